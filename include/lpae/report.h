/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/report.h
 * @brief The comparison report of lpae-bench: what each user-access strategy
 * costs on a trace and CPU, and why. Renders result structures (filled from
 * lpae_replay statistics, or by hand) as a text table, CSV, JSON (schema:
 * docs/report-schema.json, described in docs/report.md) and an SVG stacked
 * bar chart, plus the ranking tables of a parameter sweep.
 *
 * Every renderer is deterministic: the same structures give the same bytes.
 * Nothing here allocates per result beyond small fixed buffers; strings are
 * borrowed from the caller.
 */
#ifndef LPAE_REPORT_H
#define LPAE_REPORT_H

#include <stdio.h>

#include "lpae/export.h"
#include "lpae/kernel.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of the JSON document ("schema" key: "lpae-bench-report/1"). */
#define LPAE_REPORT_SCHEMA_VERSION 1

/** One configuration's outcome on one trace. Strings are borrowed. */
typedef struct lpae_report_result {
    const char *cpu;        /**< CPU preset name ("cortex-a15") */
    const char *split;      /**< split name ("VMSPLIT_4G_4G") */
    lpae_strategy strategy; /**< strategy */
    uint32_t threshold;     /**< hybrid: the threshold of these numbers (bytes); else 0 */
    int status;             /**< 0, or the error that stopped the configuration */
    const char *error;      /**< one-line reason when status != 0 (NULL or "" otherwise) */
    lpae_kernel_stats st;   /**< statistics (meaningful when status == 0) */
    /** hybrid: the threshold ladder run in the same pass (bytes, ascending), and
     *  the total cycles at each; nladder 0 when not applicable. */
    size_t nladder;
    const uint32_t *ladder_threshold;
    const lpae_cycles_t *ladder_cycles;
} lpae_report_result;

/** One trace: what was read and the results of every configuration. */
typedef struct lpae_report_trace {
    const char *trace;   /**< path or label as given */
    uint64_t events;     /**< events read */
    uint64_t bytes_read; /**< input bytes consumed (0 unknown) */
    uint64_t skipped;    /**< bad lines skipped */
    int status;          /**< 0, or the reader's error (results cover the events before it) */
    const char *error;   /**< reader message when status != 0 */
    const lpae_report_result *results;
    size_t nresults;
} lpae_report_trace;

/**
 * A sweep over one parameter on one trace and CPU: total cycles of each
 * strategy at each value. cycles and status are [value][strategy] arrays of
 * nvalues * nstrategies entries.
 */
typedef struct lpae_report_sweep {
    const char *trace;
    const char *cpu;
    const char *param; /**< "threshold" or a cost parameter key (lpae_param_find) */
    size_t nvalues;
    const uint32_t *values;
    size_t nstrategies;
    const lpae_strategy *strategies;
    const char *const *splits; /**< split of each strategy column */
    const lpae_cycles_t *cycles;
    const int *status; /**< 0 = the cell has a result */
} lpae_report_sweep;

/** A whole report. */
typedef struct lpae_report {
    const lpae_report_trace *traces;
    size_t ntraces;
    const lpae_report_sweep *sweeps;
    size_t nsweeps;
} lpae_report;

/**
 * Mechanism categories a result's cycles are broken down into in every
 * output: each is the sum of some lpae_cat categories, and together they
 * partition lpae_kernel_stats.cycles exactly. See docs/report.md.
 */
typedef enum lpae_report_mech {
    LPAE_RM_REGWRITE =
        0,             /**< "regwrite": TTBR0/TTBR1/TTBCR/CONTEXTIDR writes (LPAE_CAT_REGWRITE) */
    LPAE_RM_BARRIER,   /**< "barrier": ISB, DSB */
    LPAE_RM_TLBI,      /**< "tlbi": TLB maintenance */
    LPAE_RM_WALK,      /**< "walk": walk start, walk caches, descriptor fetches */
    LPAE_RM_TLB,       /**< "tlb": micro and main TLB lookups */
    LPAE_RM_COPY,      /**< "copy": lines moved by copies */
    LPAE_RM_MEM,       /**< "mem": other loads and stores */
    LPAE_RM_EXCEPTION, /**< "exception": exception entry/exit */
    LPAE_RM_SOFTWARE,  /**< "software": GUP, atomics, kmap bookkeeping, fault handling, irq */
    LPAE_RM_OTHER,     /**< "other": anything booked outside these (0 in practice) */
    LPAE_RM_COUNT
} lpae_report_mech;

/** Key of a mechanism category ("regwrite"...); "?" out of range. Static. */
LPAE_API const char *lpae_report_mech_name(lpae_report_mech m);

/** Cycles of @p st in mechanism category @p m (0 out of range). */
LPAE_API lpae_cycles_t lpae_report_mech_cycles(const lpae_kernel_stats *st, lpae_report_mech m);

/**
 * Write the human-readable table: per trace and CPU, each strategy's total
 * cycles, cycles per syscall, cycles per KiB copied, slowdown against
 * "direct", the breakdown by mechanism and by kernel phase (% of total),
 * the event counts (register writes, barriers, TLBI, walks, TLB misses by
 * level, GUP pages, kmaps, faults, ASIDs) and the best hybrid threshold;
 * then the sweeps. Errors: LPAE_EINVAL (NULL), LPAE_EIO (write failed).
 */
LPAE_API int lpae_report_table(FILE *out, const lpae_report *rep);

/** One CSV line per result (header first; sweeps are not included). Errors: as above. */
LPAE_API int lpae_report_csv(FILE *out, const lpae_report *rep);

/** The JSON document of docs/report-schema.json. Errors: as above. */
LPAE_API int lpae_report_json(FILE *out, const lpae_report *rep);

/**
 * A self-contained SVG: per trace and CPU, two stacked bar charts of each
 * strategy's cycles (by mechanism, by kernel phase) with axes, ticks,
 * labels and legends. Errors: as above.
 */
LPAE_API int lpae_report_svg(FILE *out, const lpae_report *rep);

#ifdef __cplusplus
}
#endif
#endif
