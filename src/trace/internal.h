/* SPDX-License-Identifier: MIT */
/* Internals shared by the trace reader, writer and importers. */
#ifndef LPAE_TRACE_INTERNAL_H
#define LPAE_TRACE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>

#include "lpae/trace.h"

/* lpae_tev_check() rule by rule, each failure with its reason: the
 * reference its fast path falls back to (and is tested against). */
int tr_tev_check_full(const lpae_tev *ev, const char **why);

/* Binary format constants (docs/trace-format.md). */
#define TR_MAGIC "LPAETRC" /* 7 bytes + NUL = 8 */
#define TR_MAGIC_LEN 8
#define TR_BIN_HDR_FIXED 24 /* magic, version, record size, nkeys, kv bytes, reserved */
#define TR_KIND_END 0xFF    /* end-of-trace record: bytes 8..15 = event count */

/* Importer work queue: plain events, or a "split" that expands lazily into
 * one copy per kernel page (page-cache page, pipe page) so that a 1 GiB
 * read costs no memory. */
enum tr_op_type { TR_OP_EVENT = 0, TR_OP_SPLIT = 1 };
struct tr_op {
    uint8_t type;
    lpae_tev ev;     /* the event, or the split's template (addr, len = total) */
    uint32_t fileid; /* split: names the kernel pages */
    uint64_t off;    /* split: file/stream offset of the next byte */
};
#define TR_QMAX 32
struct tr_queue {
    struct tr_op op[TR_QMAX];
    unsigned head, n;
};

struct tr_hdr {
    char *key, *val;
};

/* Syscall name -> number memo of the text parser, per reader (names recur
 * on every line; the table lookup is a linear scan). Direct-mapped by a hash
 * of the name; an empty slot has name[0] == 0. */
#define TR_SYSMEMO_SLOTS 64
typedef struct tr_sysmemo {
    struct {
        char name[28];
        uint32_t nr;
    } e[TR_SYSMEMO_SLOTS];
} tr_sysmemo;

#define TR_RECBUF (256 * LPAE_TEV_SIZE)

struct lpae_trace_reader {
    FILE *f;
    bool own_file;
    pid_t child; /* gzip -dc, or 0 */
    char name[256];
    lpae_trace_ropts o;
    lpae_trace_fmt fmt;
    uint64_t line, events, skipped;
    uint64_t recno;  /* binary: records read */
    uint64_t offset; /* binary: byte offset of the next record */
    int sticky;      /* sticky error, 0 = none */
    bool eof;
    bool have_pending_line; /* detection read the first line already */
    bool oom;               /* set by uthash on allocation failure */
    bool capped;            /* an allocation was refused by o.mem_cap */
    size_t mem;             /* bytes allocated by the reader */
    uint64_t size;          /* input size if a regular file, else 0 */
    size_t nhdr;
    struct tr_hdr *hdr;
    struct tr_queue q;
    /* importer hooks */
    void *imp;
    int (*imp_line)(lpae_trace_reader *r, char *line);
    void (*imp_free)(lpae_trace_reader *r);
    char err[LPAE_TRACE_LINE_MAX + 512];
    char buf[LPAE_TRACE_LINE_MAX + 2];
    tr_sysmemo sysmemo;
    /* binary records are taken from the stream TR_RECBUF bytes at a time:
     * one fread per 256 records instead of one per record */
    uint32_t rb_pos, rb_len;
    uint8_t rb[TR_RECBUF];
};

/* Allocation with accounting into r->mem. */
void *tr_alloc(lpae_trace_reader *r, size_t n);
void tr_free(lpae_trace_reader *r, void *p, size_t n);

/* Record an error "name:line: ..." and return @p code. */
int tr_fail(lpae_trace_reader *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queue helpers for importers. tr_push returns LPAE_EOVERFLOW if full. */
int tr_push(lpae_trace_reader *r, const lpae_tev *ev);
int tr_push_split(lpae_trace_reader *r, const lpae_tev *tmpl, uint32_t fileid, uint64_t off);
/* Kernel page identifier for (file, page index) with the in-page offset. */
uint32_t tr_page_tag(uint32_t fileid, uint64_t off);

/* Header entries (reader side). */
int tr_hdr_add(lpae_trace_reader *r, const char *key, const char *val);
bool tr_key_ok(const char *k, size_t n);
bool tr_val_ok(const char *v, size_t n);

/* Number parsing: decimal or 0x hex, whole string. */
bool tr_parse_u64(const char *s, uint64_t *out);
bool tr_parse_i64(const char *s, int64_t *out);

/* x86-64 name -> ARM number, aliases first (strace importer). */
uint32_t tr_sysno_from_x86_name(const char *name);

/* Codecs (event.c). tr_text_format returns the length or -1; tr_text_parse
 * returns 0 or LPAE_EPARSE with a reason in @p why. The line is modified.
 * @p memo (may be NULL) remembers syscall names already looked up. */
void tr_bin_encode(const lpae_tev *ev, uint8_t out[LPAE_TEV_SIZE]);
void tr_bin_decode(const uint8_t in[LPAE_TEV_SIZE], lpae_tev *ev);
int tr_text_format(const lpae_tev *ev, char *buf, size_t n);
int tr_text_parse(char *line, lpae_tev *ev, tr_sysmemo *memo, char *why, size_t whylen);

/* Importers. */
int tr_strace_init(lpae_trace_reader *r);
int tr_ftrace_init(lpae_trace_reader *r);

#endif
