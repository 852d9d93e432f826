/* SPDX-License-Identifier: MIT */
/* Internals shared by the trace reader, writer and importers. */
#ifndef LPAE_TRACE_INTERNAL_H
#define LPAE_TRACE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lpae/trace.h"

/* lpae_tev_check() rule by rule, each failure with its reason: the
 * reference its fast path falls back to (and is tested against). */
int tr_tev_check_full(const lpae_tev *ev, const char **why);

/* lpae_tev_check()'s verdict without its reason as one table row per kind
 * value modulo 32 (event.c): the bits of the event that must be zero
 * (fields the kind does not use, flag bits it does not define, the high
 * bits of a 4-bit field the row tests below), except the kind byte, whose
 * every bit must equal `want`'s (the row's kind, or for a row of no kind
 * one that no kind of that row has); and the value rule: the low 4 bits of
 * the byte at `voff` must be a value set in `vok` (exactly one access bit
 * for FAULT/TOUCH, size 1/2/4/8 for GET/PUT_USER, kbuf 0..5 for copies;
 * the kind byte and all values for the rest). */
typedef struct tr_rule {
    _Alignas(64) lpae_tev zero;
    uint8_t want[16]; /* the event's first 16 bytes as they must be under zero's kind byte */
    uint16_t vok;
    uint8_t voff;
    uint8_t pad[13];
} tr_rule;
_Static_assert(sizeof(tr_rule) == 64, "one cache line per row");
extern const tr_rule tr_rules[32];

/* The verdict of lpae_tev_check() without its reason, inline for the
 * readers: true if @p ev passes. Branch-free but for addr + len within
 * 4 GiB: the row's mask test over the four words and its value rule. */
static inline bool tr_tev_ok(const lpae_tev *ev)
{
    const unsigned char *e = (const unsigned char *)ev;
    const tr_rule *r = &tr_rules[e[0] & 31u];
#ifdef __SSE2__
    /* the mask test as two 16-byte halves (rows are 64-byte aligned) */
    const __m128i *m = (const __m128i *)(const void *)r;
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)e);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(e + 16));
    a = _mm_and_si128(_mm_xor_si128(a, _mm_load_si128(m + 2)), _mm_load_si128(m));
    b = _mm_and_si128(b, _mm_load_si128(m + 1));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), _mm_setzero_si128())) != 0xFFFF ||
        (uint64_t)ev->addr + ev->len > (UINT64_C(1) << 32))
        return false;
#else
    const char *m = (const char *)&r->zero;
    uint64_t w0, w1, w2, w3, m0, m1, m2, m3, x;
    memcpy(&w0, e, 8);
    memcpy(&w1, e + 8, 8);
    memcpy(&w2, e + 16, 8);
    memcpy(&w3, e + 24, 8);
    memcpy(&m0, m, 8);
    memcpy(&m1, m + 8, 8);
    memcpy(&m2, m + 16, 8);
    memcpy(&m3, m + 24, 8);
    memcpy(&x, r->want, 8);
    if ((((w0 ^ x) & m0) | (w1 & m1) | (w2 & m2) | (w3 & m3)) != 0 ||
        (uint64_t)ev->addr + ev->len > (UINT64_C(1) << 32))
        return false;
#endif
    return (r->vok >> (e[r->voff] & 15u)) & 1u;
}

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

/* Syscall name -> number table of the text parsers, per reader (names recur
 * on every line; lpae_sysno_from_name() is a linear scan). A name of 1 to
 * TR_SYSMEMO_NAME bytes, none of them NUL, is held as four little-endian
 * 64-bit words padded with zeros, so that equal words are equal names: the
 * 32-byte key of a uthash table (event.c) of every name
 * lpae_sysno_from_name() knows, built in one allocation when a text reader
 * opens (tr_sysmemo_build), so that reading never allocates. `last` is the
 * entry found last: sys_exit repeats its sys_enter's name. Zero-initialised
 * is empty (a lookup builds it then); tr_sysmemo_free() empties it. */
#define TR_SYSMEMO_NAME 31
typedef struct tr_sysmemo {
    struct tr_sysname *names; /* uthash by the name's words */
    struct tr_sysname *last;
    struct tr_sysname *pool;  /* the entries, one allocation */
    size_t npool, cap, alloc; /* entries used, allowed, allocated */
    size_t mem;               /* bytes held (entries and uthash's tables) */
    bool complete;            /* every known name is in: a miss is an unknown name */
} tr_sysmemo;

/* 8 bytes at @p p as a little-endian word (byte 0 in bits 7:0). */
static inline uint64_t tr_ld64le(const void *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* Number of the syscall named by words @p w, as lpae_sysno_from_name()
 * gives it, through the memo (filled on a miss). LPAE_SYSNO_NONE if none. */
uint32_t tr_sysmemo_find(tr_sysmemo *m, const uint64_t w[4]);
/* Builds the table of every known name (an empty one). LPAE_ENOMEM leaves it
 * incomplete but usable: lookups then fall back to the linear scan. */
int tr_sysmemo_build(tr_sysmemo *m);
/* The same with at most @p limit entries (tests: an incomplete table). */
int tr_sysmemo_build_n(tr_sysmemo *m, size_t limit);
/* Frees what the memo holds and leaves it empty. */
void tr_sysmemo_free(tr_sysmemo *m);

/* Text reader block: the text reader takes the input in blocks of up to
 * TR_RECBUF bytes into rb, with a NUL after the data and TR_TEXT_PAD bytes
 * that the fast parser may read past it. */
#define TR_TEXT_PAD 32

#define TR_RECBUF (256 * LPAE_TEV_SIZE)
_Static_assert((TR_RECBUF + TR_TEXT_PAD) % LPAE_TEV_SIZE == 0, "rb is whole records");
/* Text events lpae_trace_read_many() parses per call at most. */
#define TR_TBATCH 64

/* lpae_trace_read's fast paths: none; binary records from rb (no error, not
 * at the end); text event lines from rb (no error, header read). */
enum { TR_MODE_SLOW = 0, TR_MODE_BINARY = 1, TR_MODE_TEXT = 2 };

struct lpae_trace_reader {
    FILE *f;
    bool own_file;
    pid_t child; /* gzip -dc, or 0 */
    char name[256];
    lpae_trace_ropts o;
    lpae_trace_fmt fmt;
    uint64_t line, events, skipped;
    uint64_t recno;    /* binary: records read (up to date in bin_next) */
    uint64_t offset;   /* binary: byte offset of the next record (ditto) */
    uint64_t data_off; /* binary: byte offset of the first record */
    uint8_t mode;      /* TR_MODE_*: the fast path lpae_trace_read may take */
    int sticky;        /* sticky error, 0 = none */
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
    bool rb_eof; /* text: the stream has no more bytes for rb */
    /* rb seen as records: in binary mode rb_pos is a multiple of
     * LPAE_TEV_SIZE, and on a little-endian host a record is its event */
    union {
        _Alignas(16) uint8_t rb[TR_RECBUF + TR_TEXT_PAD];
        lpae_tev rbev[(TR_RECBUF + TR_TEXT_PAD) / LPAE_TEV_SIZE];
    };
    /* events of lpae_trace_read_many() that are not records in rb: text
     * lines parsed, an event of the slow path */
    lpae_tev tb[TR_TBATCH];
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
/* Calls @p fn for every syscall name, in lpae_sysno_from_name()'s order of
 * precedence: the table's names with their numbers, the ARM-private ones,
 * then the x86-64 aliases (nr LPAE_SYSNO_NONE, alias_of the ARM name whose
 * number they take). */
void tr_sysno_each(void (*fn)(void *ctx, const char *name, const char *alias_of, uint32_t nr),
                   void *ctx);

/* Codecs (event.c). tr_text_format returns the length or -1; tr_text_parse
 * returns 0 or LPAE_EPARSE with a reason in @p why. The line is modified.
 * @p memo (may be NULL) remembers syscall names already looked up. */
void tr_bin_encode(const lpae_tev *ev, uint8_t out[LPAE_TEV_SIZE]);
void tr_bin_decode(const uint8_t in[LPAE_TEV_SIZE], lpae_tev *ev);
int tr_text_format(const lpae_tev *ev, char *buf, size_t n);
int tr_text_parse(char *line, lpae_tev *ev, tr_sysmemo *memo, char *why, size_t whylen);

/* The text parser's fast path, for lines that need no message: parse the
 * event line at @p line, which runs to a '\n' and lies in a buffer with a
 * NUL after its data and TR_TEXT_PAD readable bytes after that NUL. Returns
 * the position after the line's '\n' with *@p ev set, or NULL when the line
 * is not a well-formed event line of at most LPAE_TRACE_LINE_MAX bytes in
 * the forms this path knows (blank, comment, bad, unusual: NUL bytes, long
 * numbers, map= spellings other than the writer's). On NULL the line must go
 * to tr_text_parse, which gives the verdict and the message: whatever this
 * returns, tr_text_parse accepts with the same event (tests/test_trace.c
 * checks it against random lines). */
const char *tr_text_parse_fast(const char *line, lpae_tev *ev, tr_sysmemo *memo);
/* lpae_trace_read's text path: tr_text_parse_fast on the line at rb_pos
 * (consumed and counted if taken), else tr_read_slow. */
int tr_text_read_fast(lpae_trace_reader *r, lpae_tev *ev);
/* lpae_trace_read_many's text path: up to @p max (1..TR_TBATCH) event
 * lines taken by tr_text_parse_fast into r->tb, consumed and counted; 0 if
 * the line at rb_pos is not taken (it must then go to tr_read_slow with
 * tried = true). */
size_t tr_text_read_many(lpae_trace_reader *r, size_t max);
/* lpae_trace_read for all that its fast paths do not take (reader.c);
 * @p tried: tr_text_parse_fast did not take the text line at rb_pos. */
int tr_read_slow(lpae_trace_reader *r, lpae_tev *ev, bool tried);

/* Importers. */
int tr_strace_init(lpae_trace_reader *r);
int tr_ftrace_init(lpae_trace_reader *r);

#endif
