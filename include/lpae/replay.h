/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/replay.h
 * @brief Streaming replay: one pass over a trace drives several independent
 * simulated kernels (strategies x splits x CPU presets) side by side.
 *
 * Each configuration added with lpae_replay_add() gets its own lpae_kernel.
 * lpae_replay_run() reads the trace one event at a time (lpae_trace_read into
 * one caller-invisible record) and applies every event, in trace order, to
 * every configuration still running. Nothing is allocated per event: the
 * engine's own memory (lpae_replay_mem()) depends only on the number of
 * configurations, never on the trace's length; each kernel's memory grows
 * only with its simulated state. The result is deterministic: the same trace
 * and configurations give the same statistics, and a configuration replayed
 * alongside others gives exactly what it gives alone.
 *
 * Events carry their CPU; a configuration with fewer CPUs than an event
 * names stops with an error (reported by lpae_replay_status()), the others
 * go on.
 */
#ifndef LPAE_REPLAY_H
#define LPAE_REPLAY_H

#include "lpae/export.h"
#include "lpae/kernel.h"
#include "lpae/trace.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque replay engine. */
typedef struct lpae_replay lpae_replay;

/** Where a run is. */
typedef struct lpae_replay_progress {
    uint64_t events;      /**< events read and applied so far */
    uint64_t bytes;       /**< input bytes consumed so far (compressed bytes for *.gz); 0 unknown */
    uint64_t total_bytes; /**< size of the input in the same unit; 0 unknown (pipe, stdin) */
} lpae_replay_progress;

/** Progress callback: called every lpae_replay_opts.progress_every events and once at the end. */
typedef void (*lpae_replay_progress_fn)(void *ctx, const lpae_replay_progress *p);

/** Run options; zero-initialised = defaults. */
typedef struct lpae_replay_opts {
    lpae_replay_progress_fn progress; /**< NULL: none */
    void *progress_ctx;               /**< passed to @c progress */
    uint64_t progress_every;          /**< events between callbacks; 0 = 65536 */
    uint64_t max_events;              /**< stop after this many events; 0 = all */
} lpae_replay_opts;

/** What a run read. */
typedef struct lpae_replay_summary {
    uint64_t events;      /**< events read (and applied to every running configuration) */
    uint64_t bytes;       /**< input bytes consumed (as in lpae_replay_progress); 0 unknown */
    uint64_t total_bytes; /**< input size; 0 unknown */
    uint64_t skipped;     /**< bad lines skipped by the reader (skip_bad) */
    int status;           /**< 0, or the reader's error (also the run's return value) */
    char error[640];      /**< the reader's one-line message when status != 0, else "" */
} lpae_replay_summary;

/** Create an empty engine. Errors: LPAE_EINVAL (NULL), LPAE_ENOMEM. */
LPAE_API int lpae_replay_create(lpae_replay **out);

/** Destroy @p rp and every kernel it created. NULL is a no-op. */
LPAE_API void lpae_replay_destroy(lpae_replay *rp);

/**
 * Add a configuration: create its kernel now (lpae_kernel_create(); @p cfg
 * and what it points to are only borrowed for the call). Returns the
 * configuration's index (0, 1, ...) or a negative lpae_err: LPAE_EINVAL
 * (NULL), LPAE_ESTATE (a run has started), and lpae_kernel_create()'s errors.
 */
LPAE_API int lpae_replay_add(lpae_replay *rp, const lpae_kernel_config *cfg);

/** Number of configurations. */
LPAE_API size_t lpae_replay_count(const lpae_replay *rp);

/**
 * Set the fields of @p cfg that the header of the trace @p r determines,
 * leaving every other field as it is:
 *   - ncpus: the generator's "gen.cpus" (values above LPAE_MAX_CPUS are
 *     capped at it); kept when the header has none or it is not a number >= 1;
 *   - implicit_vmas: true for captures imported from strace or ftrace (an
 *     "import" header, or a strace/ftrace reader), whose exec-time mappings
 *     and stack predate the capture, so their first user accesses would
 *     otherwise fault; false for every other trace.
 * Only the header is consulted; @p r is not advanced. lpae-bench and
 * bench/speed configure their replays with it. Errors: LPAE_EINVAL (NULL).
 */
LPAE_API int lpae_replay_config_for_trace(const lpae_trace_reader *r, lpae_kernel_config *cfg);

/**
 * Replay every event of @p r through every configuration. The reader is not
 * closed. Returns 0 at a clean end of the trace (or after max_events), or the
 * reader's negative lpae_err (LPAE_EPARSE, LPAE_EFORMAT, LPAE_ETRUNC,
 * LPAE_EIO, ...): every event before the damage has been applied and
 * @p sum (if not NULL) says how many and why it stopped. A configuration
 * whose kernel fails is stopped alone (see lpae_replay_status()); that is
 * not an error of the run. Errors also: LPAE_EINVAL (NULL).
 */
LPAE_API int lpae_replay_run(lpae_replay *rp, lpae_trace_reader *r, const lpae_replay_opts *opts,
                             lpae_replay_summary *sum);

/**
 * Open @p path ("-" = standard input; "*.gz" through a child `gzip -dc`
 * whose compressed read offset gives byte progress) and lpae_replay_run()
 * it. A gzip failure after a clean end of its output is LPAE_ETRUNC.
 * Errors: as lpae_replay_run(), plus lpae_trace_reader_open()'s; the summary's
 * error line names @p path.
 */
LPAE_API int lpae_replay_run_path(lpae_replay *rp, const char *path, const lpae_trace_ropts *ropts,
                                  const lpae_replay_opts *opts, lpae_replay_summary *sum);

/**
 * Status of configuration @p i: 0 (running or finished), or the error that
 * stopped it (LPAE_EINVAL event rejected or CPU out of range, LPAE_ENOMEM,
 * LPAE_ENOSPC). @p msg (if not NULL) receives a one-line reason naming the
 * event ("event 1234 (copy_from_user): CPU 2 but the configuration has 1 CPU"),
 * "" when 0; owned by @p rp. LPAE_EINVAL also for a bad @p i.
 */
LPAE_API int lpae_replay_status(const lpae_replay *rp, size_t i, const char **msg);

/** Statistics of configuration @p i (lpae_kernel_stats_get()). Errors: LPAE_EINVAL. */
LPAE_API int lpae_replay_stats(const lpae_replay *rp, size_t i, lpae_kernel_stats *st);

/** Kernel of configuration @p i (owned by @p rp), or NULL. */
LPAE_API lpae_kernel *lpae_replay_kernel(lpae_replay *rp, size_t i);

/** Bytes the engine itself holds (excluding kernels and readers). */
LPAE_API size_t lpae_replay_mem(const lpae_replay *rp);

#ifdef __cplusplus
}
#endif
#endif
