/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/trace.h
 * @brief Traces of user accesses: the event record, the text and binary
 * formats, a streaming reader (which also reads strace and ftrace captures
 * directly), a writer, and the ARM EABI syscall table.
 *
 * Every event is one fixed-size record (lpae_tev, 32 bytes) carrying the CPU
 * and the task it ran on. The reader hands out one event per call into a
 * caller-owned record (lpae_trace_read()), or a batch of events it owns
 * (lpae_trace_read_many()); its memory does not grow with the trace's length
 * (only with the number of live tasks and open files of an imported
 * capture), so a replay can stream traces of any length.
 *
 * The formats are specified in docs/trace-format.md.
 */
#ifndef LPAE_TRACE_H
#define LPAE_TRACE_H

#include <stdio.h>

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version written in the first line of text traces and in binary headers. */
#define LPAE_TRACE_VERSION 1
/** Size of one binary record and of struct lpae_tev, in bytes. */
#define LPAE_TEV_SIZE 32

/** Event kinds. Values are stable: they are the binary format's kind byte. */
typedef enum lpae_tev_kind {
    LPAE_TEV_SWITCH = 1,            /**< task @c task now runs on @c cpu; @c arg = previous task */
    LPAE_TEV_SYS_ENTER = 2,         /**< syscall @c sysno entered */
    LPAE_TEV_SYS_EXIT = 3,          /**< syscall @c sysno returned @c ret */
    LPAE_TEV_COPY_FROM_USER = 4,    /**< @c len bytes user @c addr -> kernel (@c kbuf, @c kaddr) */
    LPAE_TEV_COPY_TO_USER = 5,      /**< @c len bytes kernel (@c kbuf, @c kaddr) -> user @c addr */
    LPAE_TEV_GET_USER = 6,          /**< load of @c len (1, 2, 4 or 8) bytes at user @c addr */
    LPAE_TEV_PUT_USER = 7,          /**< store of @c len (1, 2, 4 or 8) bytes at user @c addr */
    LPAE_TEV_STRNCPY_FROM_USER = 8, /**< string of @c len bytes (with NUL) from user @c addr */
    LPAE_TEV_CLEAR_USER = 9,        /**< @c len bytes at user @c addr zeroed */
    LPAE_TEV_MMAP = 10,             /**< [@c addr, +@c len) mapped, @c flags = prot | map bits */
    LPAE_TEV_MUNMAP = 11,           /**< [@c addr, +@c len) unmapped */
    LPAE_TEV_BRK = 12,              /**< program break moved to @c addr */
    LPAE_TEV_MPROTECT = 13, /**< [@c addr, +@c len) protection set to @c flags (prot bits) */
    LPAE_TEV_FORK = 14,     /**< @c task created @c arg; LPAE_TEVF_THREAD: shares its mm */
    LPAE_TEV_EXEC = 15,     /**< @c task replaced its address space */
    LPAE_TEV_EXIT = 16,     /**< @c task exited with status @c ret */
    LPAE_TEV_FAULT = 17,    /**< page fault at @c addr (flags: access, LPAE_TEVF_KERNEL) */
    LPAE_TEV_TOUCH = 18,    /**< user-mode access to [@c addr, +@c len) (flags: access) */
} lpae_tev_kind;
/** Lowest and highest valid kind values. */
#define LPAE_TEV_KIND_MIN LPAE_TEV_SWITCH
#define LPAE_TEV_KIND_MAX LPAE_TEV_TOUCH

/** Where the kernel side of a copy lives (the @c kbuf byte). */
typedef enum lpae_kbuf {
    LPAE_KBUF_ADDR = 0,      /**< @c kaddr is a kernel virtual address */
    LPAE_KBUF_PAGECACHE = 1, /**< a page-cache page (file data) */
    LPAE_KBUF_SLAB = 2,      /**< a slab object (kmalloc, names_cache, skb data) */
    LPAE_KBUF_STACK = 3,     /**< the task's kernel stack */
    LPAE_KBUF_VMALLOC = 4,   /**< a vmalloc area */
    LPAE_KBUF_PAGE = 5,      /**< another whole page: pipe buffer, anonymous page */
} lpae_kbuf;
#define LPAE_KBUF_MAX LPAE_KBUF_PAGE

/**
 * @name Event flag bits (the @c flags byte)
 * For MMAP and MPROTECT the low three bits are the protection; MMAP adds the
 * map bits. FAULT and TOUCH use the access bits; FAULT adds LPAE_TEVF_KERNEL.
 * FORK uses LPAE_TEVF_THREAD. Other kinds have flags 0.
 * @{
 */
#define LPAE_PROT_READ 0x01u
#define LPAE_PROT_WRITE 0x02u
#define LPAE_PROT_EXEC 0x04u
#define LPAE_MAP_SHARED 0x10u  /**< MAP_SHARED (else private) */
#define LPAE_MAP_ANON 0x20u    /**< MAP_ANONYMOUS */
#define LPAE_MAP_FIXED 0x40u   /**< MAP_FIXED */
#define LPAE_TEVF_READ 0x01u   /**< access: load */
#define LPAE_TEVF_WRITE 0x02u  /**< access: store */
#define LPAE_TEVF_EXEC 0x04u   /**< access: instruction fetch */
#define LPAE_TEVF_KERNEL 0x08u /**< FAULT taken by a kernel user access */
#define LPAE_TEVF_THREAD 0x01u /**< FORK: child shares the parent's address space */
/** @} */

/** Syscall number meaning "not an ARM EABI syscall" (e.g. x86-only calls). */
#define LPAE_SYSNO_NONE UINT32_C(0xFFFFFFFF)

/**
 * One trace event: 32 bytes, fixed layout. Fields a kind does not use are 0.
 * Addresses are 32-bit virtual addresses, lengths are bytes.
 *
 * | kind                 | fields used                                   |
 * |----------------------|-----------------------------------------------|
 * | SWITCH               | arg = previous task (0 = unknown)             |
 * | SYS_ENTER            | sysno                                         |
 * | SYS_EXIT             | sysno, ret                                    |
 * | COPY_*, STRNCPY      | addr, len, kbuf, kaddr                        |
 * | GET_USER, PUT_USER   | addr, len (1, 2, 4 or 8)                      |
 * | CLEAR_USER, MUNMAP   | addr, len                                     |
 * | MMAP, MPROTECT       | addr, len, flags                              |
 * | BRK                  | addr (the new break)                          |
 * | FORK                 | arg = child task, flags (LPAE_TEVF_THREAD)    |
 * | EXEC                 | -                                             |
 * | EXIT                 | ret = exit status                             |
 * | FAULT                | addr, flags                                   |
 * | TOUCH                | addr, len, flags                              |
 *
 * For kbuf other than LPAE_KBUF_ADDR, @c kaddr is an identifier: its low 12
 * bits are the offset within the kernel page, its upper 20 bits name the
 * page (equal values = same page; 0 = unknown).
 */
typedef struct lpae_tev {
    uint8_t kind;   /**< lpae_tev_kind */
    uint8_t cpu;    /**< CPU number, 0..255 */
    uint8_t flags;  /**< kind-specific bits (see above) */
    uint8_t kbuf;   /**< lpae_kbuf for copies */
    uint32_t task;  /**< task (thread) id the event runs in */
    lpae_va_t addr; /**< user virtual address */
    uint32_t len;   /**< bytes */
    uint32_t kaddr; /**< kernel VA or page identifier (see kbuf) */
    uint32_t sysno; /**< ARM EABI syscall number, or LPAE_SYSNO_NONE */
    int32_t ret;    /**< syscall return value / exit status */
    uint32_t arg;   /**< second task: child (FORK) or previous (SWITCH) */
} lpae_tev;

/**
 * Check one event's fields against its kind (known kind, kbuf in range, size
 * 1/2/4/8 for GET/PUT_USER, no unused bit set, addr+len within 32 bits).
 * Returns 0 or LPAE_EINVAL; if @p why is non-NULL it receives a static
 * one-line reason.
 */
LPAE_API int lpae_tev_check(const lpae_tev *ev, const char **why);

/** Name of a kind as written in text traces ("copy_from_user"); NULL if unknown. */
LPAE_API const char *lpae_tev_kind_name(unsigned kind);
/** Name of a kbuf kind ("pagecache"); NULL if unknown. */
LPAE_API const char *lpae_kbuf_name(unsigned kbuf);

/**
 * @name ARM EABI syscall numbers
 * Numbers are those of arch/arm/tools/syscall.tbl (EABI and common rows;
 * the ARM-private calls are 0x0f0001.. as __ARM_NR_BASE + n). See
 * docs/trace-format.md.
 * @{
 */
/** Name of ARM EABI syscall @p nr ("read"); NULL if unknown or OABI-only. */
LPAE_API const char *lpae_sysno_name(uint32_t nr);
/**
 * Number of the ARM EABI syscall called @p name. A name ARM does not have
 * falls back to the x86-64 names strace prints (newfstatat -> fstatat64,
 * mmap -> mmap2, arch_prctl -> set_tls, ...).
 * Returns LPAE_SYSNO_NONE if there is no ARM equivalent or @p name is NULL.
 */
LPAE_API uint32_t lpae_sysno_from_name(const char *name);
/** @} */

/* ------------------------------------------------------------------------ */
/** Trace formats. */
typedef enum lpae_trace_fmt {
    LPAE_TRACE_AUTO = 0,   /**< reader: detect text or binary from the first bytes */
    LPAE_TRACE_TEXT = 1,   /**< lpae text format */
    LPAE_TRACE_BINARY = 2, /**< lpae binary format */
    LPAE_TRACE_STRACE = 3, /**< reader only: output of strace -f -e raw=all */
    LPAE_TRACE_FTRACE = 4, /**< reader only: trace_pipe / trace-cmd report text */
} lpae_trace_fmt;

/** Limits of header entries (both formats). */
#define LPAE_TRACE_KEY_MAX 64   /**< bytes in a key, [A-Za-z0-9_.-]+ */
#define LPAE_TRACE_VAL_MAX 1024 /**< bytes in a value, printable, no newline */
#define LPAE_TRACE_HDR_MAX 256  /**< entries in a header */
/** Longest text line the readers accept (bytes, without the newline). */
#define LPAE_TRACE_LINE_MAX 4095

/** Options of the importers (strace and ftrace); zero-initialised = defaults. */
typedef struct lpae_import_opts {
    /** strace: bytes assumed for a path string (raw=all hides it); 0 = 32. */
    uint32_t path_len;
    /** strace: top of the folded ARM user address space; 0 = 0xBF000000. */
    uint32_t user_top;
    /** strace: task id for lines without a pid prefix; 0 = 1. */
    uint32_t default_task;
    /** strace: kbuf for reads/writes of fds the trace never opened
     *  (inherited stdin/stdout/stderr); 0 = LPAE_KBUF_PAGE. Values are
     *  lpae_kbuf + 1 so that 0 means default. */
    uint8_t inherited_kbuf;
    /** strace: the capture was taken on 32-bit ARM (strace on the board):
     *  addresses are kept as they are instead of being folded. */
    bool arm;
} lpae_import_opts;

/** Reader options; zero-initialised = defaults. */
typedef struct lpae_trace_ropts {
    lpae_trace_fmt format; /**< LPAE_TRACE_AUTO (default) or a forced format */
    bool skip_bad;         /**< skip malformed lines (text/strace/ftrace) and count them */
    /** Cap on the reader's own memory, bytes (importer state grows with live
     *  tasks and open files); 0 = 256 MiB. Over it: LPAE_ENOMEM. */
    size_t mem_cap;
    lpae_import_opts import;
} lpae_trace_ropts;

/** A streaming trace reader. */
typedef struct lpae_trace_reader lpae_trace_reader;

/**
 * Open @p path for reading. "-" is standard input. A name ending in ".gz" is
 * read through `gzip -dc` in a child process (no zlib dependency); a gzip
 * failure (damaged file) is reported as LPAE_ETRUNC at the end.
 * On success *@p out owns the file; free it with lpae_trace_reader_close().
 * Errors: LPAE_EINVAL (NULL), LPAE_EIO (cannot open), LPAE_ENOMEM,
 * LPAE_EFORMAT / LPAE_EPARSE / LPAE_ETRUNC (bad header; *@p out is still
 * set, if non-NULL, so that lpae_trace_reader_error() can say why).
 */
LPAE_API int lpae_trace_reader_open(const char *path, const lpae_trace_ropts *opts,
                                    lpae_trace_reader **out);

/**
 * Like lpae_trace_reader_open() on an already open stream. The reader does
 * not close @p f. @p name is used in messages (NULL = "<stream>").
 */
LPAE_API int lpae_trace_reader_open_file(FILE *f, const char *name, const lpae_trace_ropts *opts,
                                         lpae_trace_reader **out);

/** Like lpae_trace_reader_open_file() on a file descriptor (not closed). */
LPAE_API int lpae_trace_reader_open_fd(int fd, const char *name, const lpae_trace_ropts *opts,
                                       lpae_trace_reader **out);

/**
 * Read the next event into *@p ev.
 * Returns 1 (an event), 0 (clean end of trace) or a negative lpae_err:
 * LPAE_EPARSE (bad text line), LPAE_EFORMAT (bad binary record),
 * LPAE_ETRUNC (binary trace or compressed stream ended early: every event
 * before the damage has been returned), LPAE_EIO, LPAE_ENOSPC (strace address
 * folding ran out of room), LPAE_EINVAL (NULL). Errors are sticky.
 * Every event returned from a text or binary trace has passed
 * lpae_tev_check() (a failing one is an LPAE_EPARSE / LPAE_EFORMAT error, or
 * skipped and counted with skip_bad); lpae_replay relies on this and does
 * not check those events again. No allocation happens per event.
 */
LPAE_API int lpae_trace_read(lpae_trace_reader *r, lpae_tev *ev);

/**
 * Read the next events in a batch, without copying them out one by one:
 * *@p evs is set to an array of the returned number of events (at least 1,
 * at most @p max), owned by the reader and valid until the next call on it
 * (any lpae_trace_read* or close). On a little-endian host the events of a
 * binary trace are the reader's own buffer of records, checked in place.
 * Returns the number of events, 0 (clean end of trace) or a negative
 * lpae_err, exactly as lpae_trace_read() would: the events are the ones
 * lpae_trace_read() would return one by one, each has passed
 * lpae_tev_check() when the input is a text or binary trace, and an error
 * is returned only when no event precedes it in the call (the events before
 * the damage come first; the error, sticky, with the same message, on the
 * next call). The two functions may be mixed on one reader. A batch may
 * hold fewer than @p max events before the end (at a buffer refill, a line
 * the fast text parser does not take, or an importer's event).
 * Errors: LPAE_EINVAL (NULL argument, @p max 0), and those of
 * lpae_trace_read(). No allocation happens per call.
 */
LPAE_API int lpae_trace_read_many(lpae_trace_reader *r, const lpae_tev **evs, size_t max);

/**
 * The last error as one line, "file:line: reason" (text formats) or
 * "file: record N (byte offset M): reason" (binary); "" if none. Owned by
 * the reader, valid until the next call on it.
 */
LPAE_API const char *lpae_trace_reader_error(const lpae_trace_reader *r);

/** The format being read (after detection). */
LPAE_API lpae_trace_fmt lpae_trace_reader_format(const lpae_trace_reader *r);
/** Events returned so far. */
LPAE_API uint64_t lpae_trace_reader_events(const lpae_trace_reader *r);
/** Input lines read so far (text formats; 0 for binary). */
LPAE_API uint64_t lpae_trace_reader_line(const lpae_trace_reader *r);
/** Bad lines skipped so far (with skip_bad). */
LPAE_API uint64_t lpae_trace_reader_skipped(const lpae_trace_reader *r);
/**
 * Input position for progress reports: *@p done bytes of *@p total read so
 * far (both in bytes of the input file, including stdio read-ahead).
 * Errors: LPAE_EINVAL (NULL), LPAE_EUNSUPP (a pipe, stdin or a .gz stream:
 * the size is not known).
 */
LPAE_API int lpae_trace_reader_progress(const lpae_trace_reader *r, uint64_t *done,
                                        uint64_t *total);
/** Bytes currently allocated by the reader itself (for memory checks). */
LPAE_API size_t lpae_trace_reader_mem(const lpae_trace_reader *r);

/** Number of header entries, and entry @p i (LPAE_EINVAL out of range). */
LPAE_API size_t lpae_trace_header_count(const lpae_trace_reader *r);
LPAE_API int lpae_trace_header_get(const lpae_trace_reader *r, size_t i, const char **key,
                                   const char **value);
/** Value of header @p key, or NULL. Owned by the reader. */
LPAE_API const char *lpae_trace_header_find(const lpae_trace_reader *r, const char *key);

/** Close the reader (and its file if it opened it). NULL is a no-op. */
LPAE_API void lpae_trace_reader_close(lpae_trace_reader *r);

/* ------------------------------------------------------------------------ */
/** A trace writer (text or binary). */
typedef struct lpae_trace_writer lpae_trace_writer;

/**
 * Create a writer for @p path in @p fmt (TEXT or BINARY). Output goes to a
 * temporary name beside @p path and is renamed onto it by
 * lpae_trace_writer_close(w, true); "-" writes to standard output.
 * Errors: LPAE_EINVAL, LPAE_EIO, LPAE_ENOMEM.
 */
LPAE_API int lpae_trace_writer_open(const char *path, lpae_trace_fmt fmt, lpae_trace_writer **out);
/** Like lpae_trace_writer_open() on an open stream (not closed, no rename). */
LPAE_API int lpae_trace_writer_open_file(FILE *f, lpae_trace_fmt fmt, lpae_trace_writer **out);

/**
 * Add a header entry; only before the first event. Keys must match
 * [A-Za-z0-9_.-]{1,64}, values be printable with no newline (≤ 1024 bytes).
 * A repeated key replaces the earlier value. Errors: LPAE_EINVAL (bad key or
 * value), LPAE_ESTATE (events already written), LPAE_EOVERFLOW (too many).
 */
LPAE_API int lpae_trace_writer_header(lpae_trace_writer *w, const char *key, const char *value);

/** Write one event (checked with lpae_tev_check()). Errors: LPAE_EINVAL, LPAE_EIO. */
LPAE_API int lpae_trace_write(lpae_trace_writer *w, const lpae_tev *ev);

/**
 * Finish and free the writer. With @p commit, flush, write the binary end
 * marker and rename the temporary file onto the target; without, delete the
 * temporary file. Returns 0 or LPAE_EIO. NULL is a no-op returning 0.
 */
LPAE_API int lpae_trace_writer_close(lpae_trace_writer *w, bool commit);

/* ------------------------------------------------------------------------ */
/** Synthetic workload kinds of lpae_trace_gen(). */
typedef enum lpae_gen_kind {
    LPAE_GEN_DD = 1,       /**< dd-like block copy loop */
    LPAE_GEN_SMALLSYS = 2, /**< many small, get_user/put_user-heavy syscalls */
    LPAE_GEN_PROCS = 3,    /**< many short processes (ASID pressure) */
    LPAE_GEN_MIXED = 4,    /**< a mix of the above on several CPUs */
} lpae_gen_kind;

/**
 * Generator parameters. lpae_gen_defaults() fills them; the kinds use:
 * DD: bs, count, src, dst. SMALLSYS: count, tasks, cpus. PROCS: procs,
 * count (syscalls per process), cpus. MIXED: all. touches: user-mode
 * memory touches emitted per syscall (all kinds).
 */
typedef struct lpae_gen_params {
    uint32_t bs;      /**< dd block size, bytes (1..64 MiB) */
    uint32_t count;   /**< dd blocks / syscalls per task */
    char src[16];     /**< dd source: "file", "zero", "pipe", "socket" */
    char dst[16];     /**< dd sink: "file", "null", "pipe", "socket" */
    uint32_t tasks;   /**< smallsys threads */
    uint32_t procs;   /**< procs processes */
    uint32_t cpus;    /**< CPUs (1..256) */
    uint32_t touches; /**< user touches per syscall */
    uint64_t seed;    /**< PRNG seed */
} lpae_gen_params;

/** Fill @p p with the defaults of @p kind. Errors: LPAE_EINVAL. */
LPAE_API int lpae_gen_defaults(lpae_gen_kind kind, lpae_gen_params *p);
/** Kind named @p name ("dd", "smallsys", "procs", "mixed"); LPAE_EINVAL if none. */
LPAE_API int lpae_gen_kind_from_name(const char *name, lpae_gen_kind *out);

/**
 * Set generator parameter @p key ("bs", "count", "src", "dst", "tasks",
 * "procs", "cpus", "touches", "seed") from text; sizes accept K/M suffixes.
 * Errors: LPAE_EINVAL (unknown key), LPAE_EPARSE (bad value), LPAE_ERANGE
 * (outside lpae_gen_param_range()).
 */
LPAE_API int lpae_gen_param_set(lpae_gen_params *p, const char *key, const char *value);

/**
 * The accepted values of numeric generator parameter @p key ("bs", "count",
 * "tasks", "procs", "cpus", "touches", "seed"): [*lo, *hi], inclusive
 * (bytes for "bs"). Errors: LPAE_EINVAL (NULL argument, or @p key is not a
 * numeric parameter).
 */
LPAE_API int lpae_gen_param_range(const char *key, uint64_t *lo, uint64_t *hi);

/**
 * Generate workload @p kind into @p w, writing every parameter and the seed
 * into the header first (keys "generator", "gen.*"). Deterministic: the same
 * parameters give the same bytes. Errors: LPAE_EINVAL, LPAE_ERANGE, and the
 * writer's errors.
 */
LPAE_API int lpae_trace_gen(lpae_gen_kind kind, const lpae_gen_params *p, lpae_trace_writer *w);

#ifdef __cplusplus
}
#endif
#endif
