/* SPDX-License-Identifier: MIT */
/* The streaming trace reader: lpae text and binary formats, and the
 * strace/ftrace importers behind the same interface. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>

#include "core/oneline.h"
#include <unistd.h>

#include "lpae/err.h"
#include "trace/internal.h"

extern char **environ;

void *tr_alloc(lpae_trace_reader *r, size_t n)
{
    size_t cap = r->o.mem_cap ? r->o.mem_cap : (size_t)256 << 20;
    if (n > cap || r->mem > cap - n) {
        r->capped = true;
        return NULL;
    }
    void *p = calloc(1, n);
    if (p)
        r->mem += n;
    return p;
}

void tr_free(lpae_trace_reader *r, void *p, size_t n)
{
    if (!p)
        return;
    r->mem -= n;
    free(p);
}

int tr_fail(lpae_trace_reader *r, int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->fmt == LPAE_TRACE_BINARY)
        snprintf(r->err, sizeof r->err, "%s: %s", r->name, msg);
    else if (r->line)
        snprintf(r->err, sizeof r->err, "%s:%" PRIu64 ": %s", r->name, r->line, msg);
    else
        snprintf(r->err, sizeof r->err, "%s: %s", r->name, msg);
    lpae_oneline(r->err);
    return code;
}

/* ---- importer queue ------------------------------------------------------ */
static struct tr_op *q_slot(lpae_trace_reader *r)
{
    if (r->q.n >= TR_QMAX)
        return NULL;
    struct tr_op *op = &r->q.op[(r->q.head + r->q.n) % TR_QMAX];
    r->q.n++;
    return op;
}

int tr_push(lpae_trace_reader *r, const lpae_tev *ev)
{
    struct tr_op *op = q_slot(r);
    if (!op)
        return LPAE_EOVERFLOW;
    op->type = TR_OP_EVENT;
    op->ev = *ev;
    return 0;
}

int tr_push_split(lpae_trace_reader *r, const lpae_tev *tmpl, uint32_t fileid, uint64_t off)
{
    if (!tmpl->len)
        return 0;
    struct tr_op *op = q_slot(r);
    if (!op)
        return LPAE_EOVERFLOW;
    op->type = TR_OP_SPLIT;
    op->ev = *tmpl;
    op->fileid = fileid;
    op->off = off;
    return 0;
}

uint32_t tr_page_tag(uint32_t fileid, uint64_t off)
{
    /* A 20-bit page name from (file, page index): a fixed mixing function,
     * never 0 so that 0 keeps meaning "unknown". */
    uint64_t x = ((uint64_t)fileid << 40) ^ (off >> LPAE_PAGE_SHIFT);
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    uint32_t tag = (uint32_t)(x & 0xFFFFFu);
    if (!tag)
        tag = 1;
    return tag << LPAE_PAGE_SHIFT | (uint32_t)(off & (LPAE_PAGE_SIZE - 1));
}

/* Pop one event from the queue; 1 if one was produced. */
static int q_pop(lpae_trace_reader *r, lpae_tev *ev)
{
    if (!r->q.n)
        return 0;
    struct tr_op *op = &r->q.op[r->q.head];
    if (op->type == TR_OP_EVENT) {
        *ev = op->ev;
    } else {
        uint32_t in_page = (uint32_t)(op->off & (LPAE_PAGE_SIZE - 1));
        uint32_t chunk = LPAE_PAGE_SIZE - in_page;
        if (chunk > op->ev.len)
            chunk = op->ev.len;
        *ev = op->ev;
        ev->len = chunk;
        ev->kaddr = tr_page_tag(op->fileid, op->off);
        op->ev.addr += chunk;
        op->ev.len -= chunk;
        op->off += chunk;
        if (op->ev.len)
            return 1;
    }
    r->q.head = (r->q.head + 1) % TR_QMAX;
    r->q.n--;
    return 1;
}

/* ---- header entries ------------------------------------------------------ */
bool tr_key_ok(const char *k, size_t n)
{
    if (n == 0 || n > LPAE_TRACE_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)k[i]) && k[i] != '_' && k[i] != '.' && k[i] != '-')
            return false;
    return true;
}

bool tr_val_ok(const char *v, size_t n)
{
    if (n > LPAE_TRACE_VAL_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false;
    return true;
}

int tr_hdr_add(lpae_trace_reader *r, const char *key, const char *val)
{
    for (size_t i = 0; i < r->nhdr; i++) {
        if (!strcmp(r->hdr[i].key, key)) {
            size_t ol = strlen(r->hdr[i].val) + 1, nl = strlen(val) + 1;
            char *v = tr_alloc(r, nl);
            if (!v)
                return LPAE_ENOMEM;
            memcpy(v, val, nl);
            tr_free(r, r->hdr[i].val, ol);
            r->hdr[i].val = v;
            return 0;
        }
    }
    if (r->nhdr >= LPAE_TRACE_HDR_MAX)
        return LPAE_EOVERFLOW;
    if (!r->hdr) {
        r->hdr = tr_alloc(r, LPAE_TRACE_HDR_MAX * sizeof *r->hdr);
        if (!r->hdr)
            return LPAE_ENOMEM;
    }
    size_t kl = strlen(key) + 1, vl = strlen(val) + 1;
    char *k = tr_alloc(r, kl), *v = tr_alloc(r, vl);
    if (!k || !v) {
        tr_free(r, k, kl);
        tr_free(r, v, vl);
        return LPAE_ENOMEM;
    }
    memcpy(k, key, kl);
    memcpy(v, val, vl);
    r->hdr[r->nhdr].key = k;
    r->hdr[r->nhdr].val = v;
    r->nhdr++;
    return 0;
}

size_t lpae_trace_header_count(const lpae_trace_reader *r)
{
    return r ? r->nhdr : 0;
}

int lpae_trace_header_get(const lpae_trace_reader *r, size_t i, const char **key,
                          const char **value)
{
    if (!r || i >= r->nhdr)
        return LPAE_EINVAL;
    if (key)
        *key = r->hdr[i].key;
    if (value)
        *value = r->hdr[i].val;
    return 0;
}

const char *lpae_trace_header_find(const lpae_trace_reader *r, const char *key)
{
    if (!r || !key)
        return NULL;
    for (size_t i = 0; i < r->nhdr; i++)
        if (!strcmp(r->hdr[i].key, key))
            return r->hdr[i].val;
    return NULL;
}

/* ---- line input ---------------------------------------------------------- */
/* Status of the gzip child once its output has ended: 0 or LPAE_ETRUNC. */
static int child_status(lpae_trace_reader *r)
{
    if (!r->child)
        return 0;
    int st = 0;
    pid_t p;
    do
        p = waitpid(r->child, &st, 0);
    while (p < 0 && errno == EINTR);
    r->child = 0;
    if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return tr_fail(r, LPAE_ETRUNC,
                       "compressed input is damaged or truncated (gzip -dc failed); "
                       "%" PRIu64 " events were read before it",
                       r->events);
    return 0;
}

/* What read_line makes of a chunk as fgets gives it (r->buf: up to
 * sizeof r->buf - 1 bytes through a '\n', NUL-terminated; r->line counted):
 * 1 = a line without its newline, or <0 (a line too long is LPAE_EPARSE, the
 * rest of it consumed, from rb in block mode). */
static int line_done(lpae_trace_reader *r, bool block);

/* Read one line into r->buf without its newline. 1 = line, 0 = EOF, <0 error
 * (a line too long is LPAE_EPARSE, the rest of it consumed). */
static int read_line(lpae_trace_reader *r)
{
    if (r->have_pending_line) {
        r->have_pending_line = false;
        return 1;
    }
    if (!fgets(r->buf, sizeof r->buf, r->f)) {
        if (ferror(r->f))
            return tr_fail(r, LPAE_EIO, "read error: %s", strerror(errno));
        return 0;
    }
    r->line++;
    return line_done(r, false);
}

/* ---- text block input ------------------------------------------------------
 * After its header, a text trace is read TR_RECBUF bytes at a time into rb
 * (with a NUL after the data) and parsed in place by tr_text_parse_fast.
 * Lines it does not take are cut from rb exactly as fgets would cut them
 * (blk_read_line) and go through read_line's and the reference parser's
 * path, so that verdicts, messages and line numbers stay those of the
 * line-by-line reader. */

/* Move what is left in rb to its start and fill the rest from the stream. */
static void blk_fill(lpae_trace_reader *r)
{
    size_t left = r->rb_len - r->rb_pos, want = TR_RECBUF - left, got = 0;
    memmove(r->rb, r->rb + r->rb_pos, left);
    r->rb_pos = 0;
    if (!r->rb_eof && want) {
        got = fread(r->rb + left, 1, want, r->f);
        if (got < want)
            r->rb_eof = true; /* fread stops short only at the end or on an error */
    }
    r->rb_len = (uint32_t)(left + got);
    r->rb[r->rb_len] = 0;
}

/* Consume rb through the next '\n' (or to the end of the input). */
static void blk_skip_line(lpae_trace_reader *r)
{
    for (;;) {
        const uint8_t *nl = memchr(r->rb + r->rb_pos, '\n', r->rb_len - r->rb_pos);
        if (nl) {
            r->rb_pos = (uint32_t)(nl - r->rb) + 1;
            return;
        }
        r->rb_pos = r->rb_len;
        if (r->rb_eof)
            return;
        blk_fill(r);
    }
}

/* read_line from rb: the chunk fgets would give, then line_done. */
static int blk_read_line(lpae_trace_reader *r)
{
    const size_t cap = sizeof r->buf - 1;
    if (r->rb_len - r->rb_pos < cap && !r->rb_eof)
        blk_fill(r);
    size_t avail = r->rb_len - r->rb_pos;
    if (!avail) {
        if (ferror(r->f))
            return tr_fail(r, LPAE_EIO, "read error: %s", strerror(errno));
        return 0;
    }
    const uint8_t *s = r->rb + r->rb_pos;
    const uint8_t *nl = memchr(s, '\n', avail < cap ? avail : cap);
    size_t take = nl ? (size_t)(nl - s) + 1 : (avail < cap ? avail : cap);
    memcpy(r->buf, s, take);
    r->buf[take] = 0;
    r->rb_pos += (uint32_t)take;
    r->line++;
    return line_done(r, true);
}

static int line_done(lpae_trace_reader *r, bool block)
{
    size_t n = strlen(r->buf);
    if (n && r->buf[n - 1] == '\n') {
        r->buf[--n] = 0;
    } else if (n == sizeof r->buf - 1) {
        if (block) {
            blk_skip_line(r);
        } else {
            int c;
            while ((c = getc(r->f)) != EOF && c != '\n')
                ;
        }
        return tr_fail(r, LPAE_EPARSE, "line longer than %d bytes", LPAE_TRACE_LINE_MAX);
    }
    if (n && r->buf[n - 1] == '\r')
        r->buf[--n] = 0;
    if (memchr(r->buf, 0, n) != NULL && strlen(r->buf) != n)
        return tr_fail(r, LPAE_EPARSE, "NUL byte in a text line");
    return 1;
}

/* ---- text format --------------------------------------------------------- */
static int text_header_line(lpae_trace_reader *r, const char *s)
{
    /* "# key=value": header entry; anything else after '#': comment. */
    const char *k = s + 1;
    while (*k == ' ' || *k == '\t')
        k++;
    const char *eq = strchr(k, '=');
    if (!eq || !tr_key_ok(k, (size_t)(eq - k)))
        return 0;
    char key[LPAE_TRACE_KEY_MAX + 1];
    memcpy(key, k, (size_t)(eq - k));
    key[eq - k] = 0;
    const char *v = eq + 1;
    if (!tr_val_ok(v, strlen(v)))
        return tr_fail(r, LPAE_EPARSE, "header value of '%s' is too long or not printable", key);
    int e = tr_hdr_add(r, key, v);
    if (e == LPAE_EOVERFLOW)
        return tr_fail(r, e, "more than %d header entries", LPAE_TRACE_HDR_MAX);
    if (e)
        return tr_fail(r, e, "out of memory");
    return 0;
}

static int text_first_line(lpae_trace_reader *r)
{
    /* the syscall-name table now, so that reading never allocates; without
     * memory it stays incomplete and names are looked up the slow way */
    (void)tr_sysmemo_build(&r->sysmemo);
    int e = read_line(r);
    if (e < 0)
        return e;
    if (e == 0)
        return tr_fail(r, LPAE_ETRUNC, "empty file: expected '# lpae-trace v%d'",
                       LPAE_TRACE_VERSION);
    unsigned v;
    char tail;
    if (sscanf(r->buf, "# lpae-trace v%u%c", &v, &tail) != 1)
        return tr_fail(r, LPAE_EFORMAT, "expected '# lpae-trace v%d' as the first line",
                       LPAE_TRACE_VERSION);
    if (v != LPAE_TRACE_VERSION)
        return tr_fail(r, LPAE_EFORMAT, "text trace version %u is not supported (this is v%d)", v,
                       LPAE_TRACE_VERSION);
    /* Header entries are read now, so that they are known before the first
     * event; the first event line stays pending. */
    for (;;) {
        e = read_line(r);
        if (e <= 0)
            return e == LPAE_EPARSE && r->o.skip_bad ? (r->skipped++, 0) : e;
        char *s = r->buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            continue;
        if (*s != '#') {
            r->have_pending_line = true;
            return 0;
        }
        if ((e = text_header_line(r, s)) != 0)
            return e;
    }
}

/* The line in r->buf: 1 = an event in *@p ev, 0 = none (blank, comment, or
 * a bad line skipped), <0 = error. */
static int text_line(lpae_trace_reader *r, lpae_tev *ev)
{
    char why[256];
    char *s = r->buf;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s || *s == '#')
        return 0; /* blank or comment */
    int e = tr_text_parse(s, ev, &r->sysmemo, why, sizeof why);
    if (e == 0)
        return 1;
    if (r->o.skip_bad) {
        r->skipped++;
        return 0;
    }
    return tr_fail(r, e, "%s", why);
}

/* The next text event; @p tried: tr_text_parse_fast has already been tried
 * on the line at rb_pos (by lpae_trace_read) and did not take it. */
static int text_next(lpae_trace_reader *r, lpae_tev *ev, bool tried)
{
    for (;; tried = false) {
        int e;
        if (r->have_pending_line) {
            r->have_pending_line = false; /* the first event line, read with the header */
            e = 1;
        } else {
            const char *s = (const char *)r->rb + r->rb_pos;
            const char *end = tried ? NULL : tr_text_parse_fast(s, ev, &r->sysmemo);
            if (end) {
                r->rb_pos = (uint32_t)(end - (const char *)r->rb);
                r->line++;
                return 1;
            }
            /* Not taken: a line cut by the end of the block is read again
             * after a refill; anything else goes the line-by-line way. */
            size_t avail = r->rb_len - r->rb_pos;
            if (!r->rb_eof && avail <= LPAE_TRACE_LINE_MAX && !memchr(s, '\n', avail)) {
                blk_fill(r);
                continue;
            }
            e = blk_read_line(r);
        }
        if (e == 0)
            return child_status(r);
        if (e < 0) {
            if (e == LPAE_EPARSE && r->o.skip_bad) {
                r->skipped++;
                continue;
            }
            return e;
        }
        e = text_line(r, ev);
        if (e)
            return e;
    }
}

/* ---- binary format ------------------------------------------------------- */
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int bin_header(lpae_trace_reader *r)
{
    uint8_t h[TR_BIN_HDR_FIXED];
    size_t got = fread(h, 1, sizeof h, r->f);
    if (got != sizeof h)
        return tr_fail(r, LPAE_ETRUNC, "binary header truncated at byte %zu of %d", got,
                       TR_BIN_HDR_FIXED);
    if (memcmp(h, TR_MAGIC, TR_MAGIC_LEN) != 0)
        return tr_fail(r, LPAE_EFORMAT, "bad magic: not an lpae binary trace");
    unsigned ver = (unsigned)h[8] | (unsigned)h[9] << 8;
    unsigned rs = (unsigned)h[10] | (unsigned)h[11] << 8;
    uint32_t nkeys = le32(h + 12), kvlen = le32(h + 16), resv = le32(h + 20);
    if (ver != LPAE_TRACE_VERSION)
        return tr_fail(r, LPAE_EFORMAT, "binary trace version %u is not supported (this is v%d)",
                       ver, LPAE_TRACE_VERSION);
    if (rs != LPAE_TEV_SIZE || resv != 0)
        return tr_fail(r, LPAE_EFORMAT, "record size %u (expected %d) or reserved field set", rs,
                       LPAE_TEV_SIZE);
    if (nkeys > LPAE_TRACE_HDR_MAX ||
        kvlen > LPAE_TRACE_HDR_MAX * (4u + LPAE_TRACE_KEY_MAX + LPAE_TRACE_VAL_MAX))
        return tr_fail(r, LPAE_EFORMAT, "header claims %" PRIu32 " entries / %" PRIu32 " bytes",
                       nkeys, kvlen);
    r->offset = TR_BIN_HDR_FIXED;
    char key[LPAE_TRACE_KEY_MAX + 1], val[LPAE_TRACE_VAL_MAX + 1];
    uint32_t used = 0;
    for (uint32_t i = 0; i < nkeys; i++) {
        uint8_t lens[4];
        if (used + 4 > kvlen)
            return tr_fail(r, LPAE_EFORMAT, "header entry %" PRIu32 " overruns the header", i);
        if (fread(lens, 1, 4, r->f) != 4)
            return tr_fail(r, LPAE_ETRUNC, "header truncated in entry %" PRIu32, i);
        unsigned kl = (unsigned)lens[0] | (unsigned)lens[1] << 8;
        unsigned vl = (unsigned)lens[2] | (unsigned)lens[3] << 8;
        used += 4;
        if (kl == 0 || kl > LPAE_TRACE_KEY_MAX || vl > LPAE_TRACE_VAL_MAX || used + kl + vl > kvlen)
            return tr_fail(r, LPAE_EFORMAT, "header entry %" PRIu32 " has bad lengths", i);
        if (fread(key, 1, kl, r->f) != kl || fread(val, 1, vl, r->f) != vl)
            return tr_fail(r, LPAE_ETRUNC, "header truncated in entry %" PRIu32, i);
        used += kl + vl;
        key[kl] = 0;
        val[vl] = 0;
        if (!tr_key_ok(key, kl) || !tr_val_ok(val, vl))
            return tr_fail(r, LPAE_EFORMAT, "header entry %" PRIu32 " is not a valid key=value", i);
        int e = tr_hdr_add(r, key, val);
        if (e)
            return tr_fail(r, e, "header: %s", lpae_strerror(e));
    }
    if (used != kvlen)
        return tr_fail(r, LPAE_EFORMAT, "header length %" PRIu32 " does not match its entries",
                       kvlen);
    r->offset += kvlen;
    unsigned pad = (unsigned)((8 - r->offset % 8) % 8);
    uint8_t z[8];
    if (pad && fread(z, 1, pad, r->f) != pad)
        return tr_fail(r, LPAE_ETRUNC, "header padding truncated");
    for (unsigned i = 0; i < pad; i++)
        if (z[i])
            return tr_fail(r, LPAE_EFORMAT, "non-zero header padding");
    r->offset += pad;
    r->data_off = r->offset;
    return 0;
}

/* The binary record is lpae_tev's own layout (docs/trace-format.md §3), so a
 * little-endian host decodes a record with one copy. */
_Static_assert(offsetof(lpae_tev, task) == 4 && offsetof(lpae_tev, addr) == 8 &&
                   offsetof(lpae_tev, len) == 12 && offsetof(lpae_tev, kaddr) == 16 &&
                   offsetof(lpae_tev, sysno) == 20 && offsetof(lpae_tev, ret) == 24 &&
                   offsetof(lpae_tev, arg) == 28 && sizeof(lpae_tev) == LPAE_TEV_SIZE,
               "lpae_tev has the binary record's layout");

/* Refill the record buffer when less than one record is left in it. */
static size_t bin_avail(lpae_trace_reader *r)
{
    size_t left = r->rb_len - r->rb_pos;
    if (left >= LPAE_TEV_SIZE)
        return left;
    memmove(r->rb, r->rb + r->rb_pos, left);
    r->rb_pos = 0;
    r->rb_len = (uint32_t)(left + fread(r->rb + left, 1, TR_RECBUF - left, r->f));
    return r->rb_len;
}

static inline void bin_decode(const uint8_t *rec, lpae_tev *ev)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(ev, rec, sizeof *ev); /* the record is the event's own layout */
#else
    tr_bin_decode(rec, ev);
#endif
}

static int bin_next(lpae_trace_reader *r, lpae_tev *ev)
{
    /* lpae_trace_read's fast path counts only events: every record before
     * this one was an event */
    r->recno = r->events;
    r->offset = r->data_off + r->events * LPAE_TEV_SIZE;
    size_t got = bin_avail(r);
    const uint8_t *rec = r->rb + r->rb_pos;
    if (got < LPAE_TEV_SIZE) {
        if (ferror(r->f))
            return tr_fail(r, LPAE_EIO, "read error at byte offset %" PRIu64, r->offset);
        int e = child_status(r);
        if (e)
            return e;
        if (got == 0)
            return tr_fail(r, LPAE_ETRUNC,
                           "truncated: no end record after record %" PRIu64 " (byte offset %" PRIu64
                           "); %" PRIu64 " events were read",
                           r->recno, r->offset, r->events);
        return tr_fail(r, LPAE_ETRUNC,
                       "truncated: record %" PRIu64 " (byte offset %" PRIu64
                       ") has only %zu of %d bytes; %" PRIu64 " events were read",
                       r->recno, r->offset, got, LPAE_TEV_SIZE, r->events);
    }
    if (rec[0] == TR_KIND_END) {
        uint64_t n = (uint64_t)le32(rec + 8) | (uint64_t)le32(rec + 12) << 32;
        for (int i = 1; i < LPAE_TEV_SIZE; i++)
            if ((i < 8 || i >= 16) && rec[i])
                return tr_fail(r, LPAE_EFORMAT,
                               "end record at record %" PRIu64 " (byte offset %" PRIu64
                               ") has a non-zero reserved byte",
                               r->recno, r->offset);
        if (n != r->events)
            return tr_fail(r, LPAE_EFORMAT,
                           "end record at record %" PRIu64 " (byte offset %" PRIu64
                           ") counts %" PRIu64 " events, %" PRIu64 " were read",
                           r->recno, r->offset, n, r->events);
        if (got > LPAE_TEV_SIZE || getc(r->f) != EOF)
            return tr_fail(r, LPAE_EFORMAT, "data after the end record (byte offset %" PRIu64 ")",
                           r->offset + LPAE_TEV_SIZE);
        r->rb_pos += LPAE_TEV_SIZE;
        r->eof = true;
        return child_status(r);
    }
    bin_decode(rec, ev);
    if (!tr_tev_ok(ev)) {
        const char *why;
        tr_tev_check_full(ev, &why);
        return tr_fail(r, LPAE_EFORMAT, "record %" PRIu64 " (byte offset %" PRIu64 "): %s",
                       r->recno, r->offset, why);
    }
    r->rb_pos += LPAE_TEV_SIZE;
    r->recno++;
    r->offset += LPAE_TEV_SIZE;
    return 1;
}

/* ---- importers ------------------------------------------------------------ */
static int import_next(lpae_trace_reader *r, lpae_tev *ev)
{
    for (;;) {
        if (q_pop(r, ev))
            return 1;
        if (r->eof)
            return 0;
        int e = read_line(r);
        if (e == 0) {
            r->eof = true;
            e = child_status(r);
            if (e)
                return e;
            continue;
        }
        if (e == 1) {
            unsigned n0 = r->q.n;
            e = r->imp_line(r, r->buf);
            if (e)
                r->q.n = n0; /* a bad line contributes nothing */
        }
        if (e < 0) {
            if (e == LPAE_EPARSE && r->o.skip_bad) {
                r->skipped++;
                continue;
            }
            return e;
        }
    }
}

/* ---- detection and open --------------------------------------------------- */
static bool looks_strace(const char *s)
{
    /* "PID  name(", "[pid N] name(", "name(", "PID  HH:MM:SS name(" */
    while (*s == ' ')
        s++;
    if (!strncmp(s, "[pid", 4))
        return true;
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p != s && (*p == ' ' || *p == '\t'))
        return true;
    p = s;
    while (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')
        p++;
    return p != s && *p == '(';
}

static bool looks_ftrace(const char *s)
{
    if (!strncmp(s, "# tracer:", 9) || !strncmp(s, "cpus=", 5) || !strncmp(s, "version =", 9))
        return true;
    /* "   task-123   [001] ...." */
    const char *b = strstr(s, "] ");
    const char *o = strchr(s, '[');
    if (!b || !o || o > b)
        return false;
    for (const char *p = o + 1; p < b; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return o > s && o - 1 > s && (o[-1] == ' ') && strchr(s, '-') && strchr(s, '-') < o;
}

static int detect_and_start(lpae_trace_reader *r)
{
    lpae_trace_fmt f = r->o.format;
    if (f == LPAE_TRACE_AUTO) {
        int c = getc(r->f);
        if (c == EOF && ferror(r->f))
            return tr_fail(r, LPAE_EIO, "read error: %s", strerror(errno));
        if (c == EOF)
            return tr_fail(r, LPAE_ETRUNC, "empty input: not a trace");
        if (c == TR_MAGIC[0]) {
            ungetc(c, r->f);
            f = LPAE_TRACE_BINARY;
        } else {
            ungetc(c, r->f);
            int e = read_line(r);
            if (e < 0)
                return e;
            if (!strncmp(r->buf, "# lpae-trace", 12))
                f = LPAE_TRACE_TEXT;
            else if (looks_ftrace(r->buf))
                f = LPAE_TRACE_FTRACE;
            else if (looks_strace(r->buf))
                f = LPAE_TRACE_STRACE;
            else
                return tr_fail(r, LPAE_EFORMAT,
                               "not an lpae trace, strace or ftrace capture: '%.60s'", r->buf);
            r->have_pending_line = true;
        }
    }
    r->fmt = f;
    switch (f) {
    case LPAE_TRACE_TEXT:
        return text_first_line(r);
    case LPAE_TRACE_BINARY:
        return bin_header(r);
    case LPAE_TRACE_STRACE:
        return tr_strace_init(r);
    case LPAE_TRACE_FTRACE:
        return tr_ftrace_init(r);
    default:
        return tr_fail(r, LPAE_EINVAL, "unknown format %d", (int)f);
    }
}

static int reader_new(const char *name, const lpae_trace_ropts *opts, lpae_trace_reader **out)
{
    lpae_trace_reader *r = calloc(1, sizeof *r);
    if (!r)
        return LPAE_ENOMEM;
    r->mem = sizeof *r;
    snprintf(r->name, sizeof r->name, "%s", name ? name : "<stream>");
    if (opts)
        r->o = *opts;
    *out = r;
    return 0;
}

/* The fast path lpae_trace_read may take next (r->mode): none, or one
 * well-formed text line or binary record at a time from rb. */
static void set_mode(lpae_trace_reader *r)
{
    r->mode = TR_MODE_SLOW;
    if (r->sticky)
        return;
    if (r->fmt == LPAE_TRACE_BINARY && !r->eof)
        r->mode = TR_MODE_BINARY;
    else if (r->fmt == LPAE_TRACE_TEXT && !r->have_pending_line)
        r->mode = TR_MODE_TEXT;
}

static int finish_open(lpae_trace_reader *r, lpae_trace_reader **out)
{
    if (r->o.format < LPAE_TRACE_AUTO || r->o.format > LPAE_TRACE_FTRACE) {
        lpae_trace_reader_close(r);
        *out = NULL;
        return LPAE_EINVAL;
    }
    int e = detect_and_start(r);
    if (e)
        r->sticky = e;
    set_mode(r);
    *out = r;
    return e;
}

static void note_size(lpae_trace_reader *r)
{
    struct stat st;
    int fd = fileno(r->f);
    if (!r->child && fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        r->size = (uint64_t)st.st_size;
}

int lpae_trace_reader_open_file(FILE *f, const char *name, const lpae_trace_ropts *opts,
                                lpae_trace_reader **out)
{
    if (!f || !out)
        return LPAE_EINVAL;
    lpae_trace_reader *r;
    int e = reader_new(name, opts, &r);
    if (e)
        return e;
    r->f = f;
    note_size(r);
    return finish_open(r, out);
}

int lpae_trace_reader_progress(const lpae_trace_reader *r, uint64_t *done, uint64_t *total)
{
    if (!r || !done || !total)
        return LPAE_EINVAL;
    if (!r->size || !r->f)
        return LPAE_EUNSUPP;
    off_t pos = ftello(r->f);
    if (pos < 0)
        return LPAE_EUNSUPP;
    /* binary records and text taken into the reader's buffer are not done yet */
    *done = (uint64_t)pos - (r->rb_len - r->rb_pos);
    *total = r->size;
    return 0;
}

int lpae_trace_reader_open_fd(int fd, const char *name, const lpae_trace_ropts *opts,
                              lpae_trace_reader **out)
{
    if (fd < 0 || !out)
        return LPAE_EINVAL;
    int d = dup(fd);
    if (d < 0)
        return LPAE_EIO;
    FILE *f = fdopen(d, "rb");
    if (!f) {
        close(d);
        return LPAE_EIO;
    }
    lpae_trace_reader *r;
    int e = reader_new(name, opts, &r);
    if (e) {
        fclose(f);
        return e;
    }
    r->f = f;
    r->own_file = true;
    note_size(r);
    return finish_open(r, out);
}

static int spawn_gunzip(lpae_trace_reader *r, const char *path)
{
    int fds[2];
    if (pipe(fds) < 0)
        return LPAE_EIO;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"gzip", "-dc", "--", (char *)path, NULL};
    pid_t pid;
    int e = posix_spawnp(&pid, "gzip", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e) {
        close(fds[0]);
        return LPAE_EIO;
    }
    r->f = fdopen(fds[0], "rb");
    if (!r->f) {
        close(fds[0]);
        waitpid(pid, NULL, 0);
        return LPAE_EIO;
    }
    r->child = pid;
    return 0;
}

int lpae_trace_reader_open(const char *path, const lpae_trace_ropts *opts, lpae_trace_reader **out)
{
    if (!path || !out)
        return LPAE_EINVAL;
    *out = NULL;
    if (!strcmp(path, "-"))
        return lpae_trace_reader_open_fd(0, "<stdin>", opts, out);
    lpae_trace_reader *r;
    int e = reader_new(path, opts, &r);
    if (e)
        return e;
    size_t n = strlen(path);
    if (n > 3 && !strcmp(path + n - 3, ".gz")) {
        if (access(path, R_OK) != 0) {
            tr_fail(r, LPAE_EIO, "cannot open: %s", strerror(errno));
            r->sticky = LPAE_EIO;
            *out = r;
            return LPAE_EIO;
        }
        e = spawn_gunzip(r, path);
        if (e) {
            tr_fail(r, e, "cannot run gzip -dc");
            r->sticky = e;
            *out = r;
            return e;
        }
    } else {
        r->f = fopen(path, "rb");
        if (!r->f) {
            tr_fail(r, LPAE_EIO, "cannot open: %s", strerror(errno));
            r->sticky = LPAE_EIO;
            *out = r;
            return LPAE_EIO;
        }
    }
    r->own_file = true;
    setvbuf(r->f, NULL, _IOFBF, 1 << 16);
    note_size(r);
    return finish_open(r, out);
}

/* Everything but the fast paths: errors, ends, refills, the importers. */
int tr_read_slow(lpae_trace_reader *r, lpae_tev *ev, bool tried)
{
    if (r->sticky)
        return r->sticky;
    int e;
    switch (r->fmt) {
    case LPAE_TRACE_TEXT:
        e = text_next(r, ev, tried);
        break;
    case LPAE_TRACE_BINARY:
        e = r->eof ? 0 : bin_next(r, ev);
        break;
    default:
        e = import_next(r, ev);
        break;
    }
    if (e == 1)
        r->events++;
    else if (e < 0)
        r->sticky = e;
    set_mode(r);
    return e;
}

int lpae_trace_read(lpae_trace_reader *r, lpae_tev *ev)
{
    if (!r || !ev)
        return LPAE_EINVAL;
    if (r->mode == TR_MODE_BINARY) {
        /* a whole record in rb that is not the end record and passes */
        uint32_t pos = r->rb_pos;
        if (r->rb_len - pos >= LPAE_TEV_SIZE && r->rb[pos] != TR_KIND_END) {
            bin_decode(r->rb + pos, ev);
            if (tr_tev_ok(ev)) {
                r->rb_pos = pos + LPAE_TEV_SIZE;
                r->events++;
                return 1;
            }
        }
    } else if (r->mode == TR_MODE_TEXT) {
        return tr_text_read_fast(r, ev);
    }
    return tr_read_slow(r, ev, false);
}

int lpae_trace_read_many(lpae_trace_reader *r, const lpae_tev **evs, size_t max)
{
    if (!r || !evs || !max)
        return LPAE_EINVAL;
    if (r->mode == TR_MODE_BINARY) {
        /* the whole records in rb from rb_pos that are not the end record
         * and pass, checked where they lie (the end record's kind 0xFF
         * fails the kind test) */
        uint32_t pos = r->rb_pos;
        size_t avail = (r->rb_len - pos) / LPAE_TEV_SIZE, n = 0;
        if (avail > max)
            avail = max;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        const lpae_tev *p = &r->rbev[pos / LPAE_TEV_SIZE];
        if (pos % LPAE_TEV_SIZE == 0)
            while (n < avail && tr_tev_ok(&p[n]))
                n++;
#else
        const lpae_tev *p = r->tb;
        if (avail > TR_TBATCH)
            avail = TR_TBATCH;
        for (; n < avail; n++) {
            tr_bin_decode(r->rb + pos + n * LPAE_TEV_SIZE, &r->tb[n]);
            if (!tr_tev_ok(&r->tb[n]))
                break;
        }
#endif
        if (n) {
            r->rb_pos = pos + (uint32_t)(n * LPAE_TEV_SIZE);
            r->events += n;
            *evs = p;
            return (int)n;
        }
        /* a refill, the end record, a bad record: one at a time */
    } else if (r->mode == TR_MODE_TEXT) {
        size_t n = tr_text_read_many(r, max < TR_TBATCH ? max : TR_TBATCH);
        if (n) {
            *evs = r->tb;
            return (int)n;
        }
        int e = tr_read_slow(r, r->tb, true);
        if (e == 1)
            *evs = r->tb;
        return e;
    }
    int e = tr_read_slow(r, r->tb, false);
    if (e == 1)
        *evs = r->tb;
    return e;
}

const char *lpae_trace_reader_error(const lpae_trace_reader *r)
{
    return r ? r->err : "";
}

lpae_trace_fmt lpae_trace_reader_format(const lpae_trace_reader *r)
{
    return r ? r->fmt : LPAE_TRACE_AUTO;
}

uint64_t lpae_trace_reader_events(const lpae_trace_reader *r)
{
    return r ? r->events : 0;
}

uint64_t lpae_trace_reader_line(const lpae_trace_reader *r)
{
    return r ? r->line : 0;
}

uint64_t lpae_trace_reader_skipped(const lpae_trace_reader *r)
{
    return r ? r->skipped : 0;
}

size_t lpae_trace_reader_mem(const lpae_trace_reader *r)
{
    return r ? r->mem + r->sysmemo.mem : 0;
}

void lpae_trace_reader_close(lpae_trace_reader *r)
{
    if (!r)
        return;
    if (r->imp_free)
        r->imp_free(r);
    tr_sysmemo_free(&r->sysmemo);
    for (size_t i = 0; i < r->nhdr; i++) {
        tr_free(r, r->hdr[i].key, strlen(r->hdr[i].key) + 1);
        tr_free(r, r->hdr[i].val, strlen(r->hdr[i].val) + 1);
    }
    tr_free(r, r->hdr, LPAE_TRACE_HDR_MAX * sizeof *r->hdr);
    if (r->own_file && r->f)
        fclose(r->f);
    if (r->child) {
        int st;
        kill(r->child, SIGTERM);
        waitpid(r->child, &st, 0);
    }
    free(r);
}
