/* SPDX-License-Identifier: MIT */
/* Trace formats: text <-> binary round trips, headers, error reporting,
 * truncation, skipping bad lines, .gz input, memory flat in trace length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpae/err.h"
#include "lpae/trace.h"
#include "core/oneline.h"
#include "trace/internal.h"

static char tmpdir[256];

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

static uint32_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*x >> 33);
}

/* One event of every kind, with fields spread over their ranges. */
static size_t all_kinds(lpae_tev *ev, size_t cap, uint64_t seed)
{
    size_t n = 0;
    uint64_t x = seed;
#define RND() lcg(&x)
    for (unsigned k = LPAE_TEV_KIND_MIN; k <= LPAE_TEV_KIND_MAX && n < cap; k++) {
        lpae_tev e;
        memset(&e, 0, sizeof e);
        e.kind = (uint8_t)k;
        e.cpu = (uint8_t)(RND() & 0xFF);
        e.task = RND();
        switch (k) {
        case LPAE_TEV_SWITCH:
            e.arg = RND();
            break;
        case LPAE_TEV_SYS_ENTER:
            e.sysno = RND() % 2 ? 322 : LPAE_SYSNO_NONE;
            break;
        case LPAE_TEV_SYS_EXIT:
            e.sysno = RND() % 2 ? 0x0f0005 : 9999; /* private call; unnamed number */
            e.ret = -(int32_t)(RND() % 1000);
            break;
        case LPAE_TEV_COPY_FROM_USER:
        case LPAE_TEV_COPY_TO_USER:
        case LPAE_TEV_STRNCPY_FROM_USER:
            e.addr = RND() & 0x7FFFFFFF;
            e.len = RND() % 70000;
            e.kbuf = (uint8_t)(RND() % (LPAE_KBUF_MAX + 1));
            e.kaddr = RND();
            break;
        case LPAE_TEV_GET_USER:
        case LPAE_TEV_PUT_USER:
            e.addr = RND();
            e.len = 1u << (RND() % 4);
            if (e.addr > 0xFFFFFFF0u)
                e.addr = 0xFFFFFFF0u;
            break;
        case LPAE_TEV_CLEAR_USER:
        case LPAE_TEV_MUNMAP:
            e.addr = RND() & 0x7FFFF000;
            e.len = RND() % 0x100000;
            break;
        case LPAE_TEV_MMAP:
            e.addr = RND() & 0x7FFFF000;
            e.len = 0x3000;
            e.flags = (uint8_t)((RND() & 7) | LPAE_MAP_SHARED | LPAE_MAP_FIXED);
            break;
        case LPAE_TEV_MPROTECT:
            e.addr = 0x10000;
            e.len = 0x1000;
            e.flags = (uint8_t)(RND() & 7);
            break;
        case LPAE_TEV_BRK:
            e.addr = 0x00800000;
            break;
        case LPAE_TEV_FORK:
            e.arg = RND();
            e.flags = (uint8_t)(RND() & 1);
            break;
        case LPAE_TEV_EXEC:
            break;
        case LPAE_TEV_EXIT:
            e.ret = (int32_t)(RND() % 256);
            break;
        case LPAE_TEV_FAULT:
            e.addr = RND();
            e.flags = (uint8_t)((1u << (RND() % 3)) | (RND() % 2 ? LPAE_TEVF_KERNEL : 0));
            break;
        case LPAE_TEV_TOUCH:
            e.addr = RND() & 0x7FFFFFFF;
            e.len = 1 + RND() % 64;
            e.flags = (uint8_t)(1u << (RND() % 3));
            break;
        }
        assert_int_equal(lpae_tev_check(&e, NULL), 0);
        ev[n++] = e;
    }
#undef RND
    return n;
}

static void write_events(const char *path, lpae_trace_fmt fmt, const lpae_tev *ev, size_t n)
{
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(path, fmt, &w), 0);
    assert_int_equal(lpae_trace_writer_header(w, "source", "unit test = yes"), 0);
    assert_int_equal(lpae_trace_writer_header(w, "gen.seed", "42"), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(lpae_trace_write(w, &ev[i]), 0);
    assert_int_equal(lpae_trace_writer_close(w, true), 0);
}

static void read_back(const char *path, lpae_trace_fmt expect, const lpae_tev *ev, size_t n)
{
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
    assert_int_equal(lpae_trace_reader_format(r), expect);
    assert_string_equal(lpae_trace_header_find(r, "source"), "unit test = yes");
    assert_string_equal(lpae_trace_header_find(r, "gen.seed"), "42");
    assert_null(lpae_trace_header_find(r, "nope"));
    lpae_tev got;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(lpae_trace_read(r, &got), 1);
        assert_memory_equal(&got, &ev[i], sizeof got);
    }
    assert_int_equal(lpae_trace_read(r, &got), 0);
    assert_int_equal(lpae_trace_reader_events(r), n);
    uint64_t done, total;
    size_t pl = strlen(path);
    if (pl > 3 && !strcmp(path + pl - 3, ".gz")) {
        assert_int_equal(lpae_trace_reader_progress(r, &done, &total), LPAE_EUNSUPP);
    } else {
        assert_int_equal(lpae_trace_reader_progress(r, &done, &total), 0);
        assert_int_equal(done, total); /* everything read */
        assert_true(total > n * 8);
    }
    assert_int_equal(lpae_trace_reader_progress(r, NULL, &total), LPAE_EINVAL);
    lpae_trace_reader_close(r);
}

static void round_trip_every_kind(void **state)
{
    (void)state;
    assert_int_equal(sizeof(lpae_tev), LPAE_TEV_SIZE);
    lpae_tev ev[64];
    size_t n = 0;
    for (uint64_t seed = 1; seed <= 3; seed++)
        n += all_kinds(ev + n, 64 - n, seed);
    assert_int_equal(n, 3 * (LPAE_TEV_KIND_MAX - LPAE_TEV_KIND_MIN + 1));
    char t[300], b[300], t2[300];
    path_of(t, sizeof t, "rt.txt");
    path_of(b, sizeof b, "rt.lpb");
    path_of(t2, sizeof t2, "rt2.txt");
    write_events(t, LPAE_TRACE_TEXT, ev, n);
    write_events(b, LPAE_TRACE_BINARY, ev, n);
    read_back(t, LPAE_TRACE_TEXT, ev, n);
    read_back(b, LPAE_TRACE_BINARY, ev, n);
    /* text -> binary -> text is byte-identical */
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(b, NULL, &r), 0);
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(t2, LPAE_TRACE_TEXT, &w), 0);
    for (size_t i = 0; i < lpae_trace_header_count(r); i++) {
        const char *k, *v;
        assert_int_equal(lpae_trace_header_get(r, i, &k, &v), 0);
        assert_int_equal(lpae_trace_writer_header(w, k, v), 0);
    }
    assert_int_equal(lpae_trace_header_get(r, 99, NULL, NULL), LPAE_EINVAL);
    lpae_tev e;
    while (lpae_trace_read(r, &e) == 1)
        assert_int_equal(lpae_trace_write(w, &e), 0);
    assert_int_equal(lpae_trace_writer_close(w, true), 0);
    lpae_trace_reader_close(r);
    FILE *f1 = fopen(t, "rb"), *f2 = fopen(t2, "rb");
    assert_non_null(f1);
    assert_non_null(f2);
    int c1, c2;
    do {
        c1 = getc(f1);
        c2 = getc(f2);
        assert_int_equal(c1, c2);
    } while (c1 != EOF);
    fclose(f1);
    fclose(f2);
}

static lpae_trace_reader *open_text(const char *text, bool skip, int *err)
{
    char p[300];
    path_of(p, sizeof p, "in.txt");
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    lpae_trace_ropts o = {.skip_bad = skip};
    lpae_trace_reader *r = NULL;
    *err = lpae_trace_reader_open(p, &o, &r);
    return r;
}

static void text_errors_have_line_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int line;
        const char *why;
    } cases[] = {
        {"# lpae-trace v1\n0 1 exec\n0 1 bogus\n", 3, "unknown event kind"},
        {"# lpae-trace v1\n# a=b\n\n0 1 get_user addr=0x10 size=3\n", 4, "size must be"},
        {"# lpae-trace v1\n0 1 copy_to_user addr=0x10\n", 2, "needs key 'len'"},
        {"# lpae-trace v1\n0 1 mmap addr=0x10 len=1 prot=rwz\n", 2, "bad value"},
        {"# lpae-trace v1\n256 1 exec\n", 2, "CPU number"},
        {"# lpae-trace v1\n0 1 exec addr=0x10\n", 2, "not valid for exec"},
        {"# lpae-trace v1\n0 1 brk addr=0x10 addr=0x20\n", 2, "twice"},
        {"# lpae-trace v1\n0 1 touch addr=0xfffffff0 len=32 access=read\n", 2, "wraps"},
        {"# lpae-trace v1\n0 1 sys_enter sys=not_a_call\n", 2, "bad value"},
        {"# lpae-trace v1\n0 x exec\n", 2, "task id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int e;
        lpae_trace_reader *r = open_text(cases[i].text, false, &e);
        assert_int_equal(e, 0);
        lpae_tev ev;
        int got;
        while ((got = lpae_trace_read(r, &ev)) == 1)
            ;
        assert_int_equal(got, LPAE_EPARSE);
        char want[64];
        snprintf(want, sizeof want, "in.txt:%d: ", cases[i].line);
        const char *msg = lpae_trace_reader_error(r);
        assert_non_null(strstr(msg, want));
        assert_non_null(strstr(msg, cases[i].why));
        /* errors are sticky */
        assert_int_equal(lpae_trace_read(r, &ev), LPAE_EPARSE);
        lpae_trace_reader_close(r);
    }
    /* bad first line / version */
    int e;
    lpae_trace_reader *r = open_text("# lpae-trace v2\n", false, &e);
    assert_int_equal(e, LPAE_EFORMAT);
    assert_non_null(strstr(lpae_trace_reader_error(r), "version 2"));
    lpae_trace_reader_close(r);
    r = open_text("hello\n", false, &e);
    assert_int_equal(e, LPAE_EFORMAT);
    lpae_trace_reader_close(r);
    r = open_text("", false, &e);
    assert_int_equal(e, LPAE_ETRUNC);
    lpae_trace_reader_close(r);
}

static void skip_bad_lines_counts(void **state)
{
    (void)state;
    int e;
    lpae_trace_reader *r = open_text("# lpae-trace v1\n0 1 exec\nbad line\n0 1 get_user addr=1 "
                                     "size=5\n# comment\n0 2 exit status=3\n0 1 nope\n",
                                     true, &e);
    assert_int_equal(e, 0);
    lpae_tev ev;
    assert_int_equal(lpae_trace_read(r, &ev), 1);
    assert_int_equal(ev.kind, LPAE_TEV_EXEC);
    assert_int_equal(lpae_trace_read(r, &ev), 1);
    assert_int_equal(ev.kind, LPAE_TEV_EXIT);
    assert_int_equal(ev.ret, 3);
    assert_int_equal(lpae_trace_read(r, &ev), 0);
    assert_int_equal(lpae_trace_reader_skipped(r), 3);
    assert_int_equal(lpae_trace_reader_line(r), 7);
    lpae_trace_reader_close(r);
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* The first @p n bytes of file @p from as file @p to (a cut trace). */
static void copy_prefix(const char *from, const char *to, long n)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    for (long k = 0; k < n; k++)
        putc(getc(in), out);
    fclose(in);
    fclose(out);
}

static void truncated_binary_reports_events_then_etrunc(void **state)
{
    (void)state;
    lpae_tev ev[64];
    size_t n = all_kinds(ev, 64, 7);
    char b[300], c[300];
    path_of(b, sizeof b, "full.lpb");
    path_of(c, sizeof c, "cut.lpb");
    write_events(b, LPAE_TRACE_BINARY, ev, n);
    long size = file_size(b);
    long body = size - (long)(n + 1) * LPAE_TEV_SIZE; /* header bytes */
    /* Cut: inside record 5, exactly after record 5 (no end record), and
     * inside the end record. */
    long cuts[] = {body + 5 * LPAE_TEV_SIZE + 7, body + 6 * LPAE_TEV_SIZE, size - 3,
                   body + (long)n * LPAE_TEV_SIZE};
    size_t expect[] = {5, 6, n, n};
    for (size_t i = 0; i < 4; i++) {
        copy_prefix(b, c, cuts[i]);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(c, NULL, &r), 0);
        lpae_tev got;
        size_t m = 0;
        int e;
        while ((e = lpae_trace_read(r, &got)) == 1) {
            assert_memory_equal(&got, &ev[m], sizeof got);
            m++;
        }
        assert_int_equal(e, LPAE_ETRUNC);
        assert_int_equal(m, expect[i]);
        assert_non_null(strstr(lpae_trace_reader_error(r), "truncated"));
        assert_non_null(strstr(lpae_trace_reader_error(r), "byte offset"));
        lpae_trace_reader_close(r);
    }
    /* Header cut short and bad magic. */
    FILE *out = fopen(c, "wb");
    fwrite("LPAETRC\0\1\0", 1, 10, out);
    fclose(out);
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(c, NULL, &r), LPAE_ETRUNC);
    lpae_trace_reader_close(r);
    out = fopen(c, "wb");
    fwrite("LPAEXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", 1, 30, out);
    fclose(out);
    assert_int_equal(lpae_trace_reader_open(c, NULL, &r), LPAE_EFORMAT);
    lpae_trace_reader_close(r);
    /* A corrupt record (kind 0) is reported with its index and offset. */
    FILE *in = fopen(b, "rb");
    out = fopen(c, "wb");
    for (long k = 0; k < size; k++) {
        int ch = getc(in);
        putc(k == body + 2 * LPAE_TEV_SIZE ? 0 : ch, out);
    }
    fclose(in);
    fclose(out);
    assert_int_equal(lpae_trace_reader_open(c, NULL, &r), 0);
    lpae_tev got;
    int e;
    while ((e = lpae_trace_read(r, &got)) == 1)
        ;
    assert_int_equal(e, LPAE_EFORMAT);
    assert_non_null(strstr(lpae_trace_reader_error(r), "record 2"));
    lpae_trace_reader_close(r);
}

/* The reader takes records from the stream 256 at a time: cuts on and
 * around those boundaries, data after the end record in and beyond the
 * buffered block, and progress that counts only the records returned. */
static void binary_buffer_boundaries(void **state)
{
    (void)state;
    enum { N = 700 };
    static lpae_tev ev[N];
    lpae_tev one[64];
    size_t k = all_kinds(one, 64, 11);
    for (size_t i = 0; i < N; i++)
        ev[i] = one[i % k];
    char b[300], c[300];
    path_of(b, sizeof b, "many.lpb");
    path_of(c, sizeof c, "many-cut.lpb");
    write_events(b, LPAE_TRACE_BINARY, ev, N);
    long size = file_size(b);
    long body = size - (long)(N + 1) * LPAE_TEV_SIZE;
    static const long recs[] = {255, 256, 257, 511, 512, 513, 699};
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++)
        for (long part = 0; part < LPAE_TEV_SIZE; part += 9) {
            long cut = body + recs[i] * LPAE_TEV_SIZE + part;
            copy_prefix(b, c, cut);
            lpae_trace_reader *r;
            assert_int_equal(lpae_trace_reader_open(c, NULL, &r), 0);
            lpae_tev got;
            long m = 0;
            int e;
            while ((e = lpae_trace_read(r, &got)) == 1) {
                assert_memory_equal(&got, &ev[m], sizeof got);
                m++;
                uint64_t done, total;
                assert_int_equal(lpae_trace_reader_progress(r, &done, &total), 0);
                assert_int_equal(done, (uint64_t)(body + m * LPAE_TEV_SIZE));
                assert_int_equal(total, (uint64_t)cut);
            }
            assert_int_equal(e, LPAE_ETRUNC);
            assert_int_equal(m, recs[i]);
            lpae_trace_reader_close(r);
        }
    /* one extra byte after the end record, with the end record at the
     * start, the middle or the end of a buffered block */
    for (long extra = 1; extra <= 2 * 256 * LPAE_TEV_SIZE; extra *= 7) {
        FILE *in = fopen(b, "rb"), *out = fopen(c, "wb");
        for (long j = 0; j < size; j++)
            putc(getc(in), out);
        for (long j = 0; j < extra; j++)
            putc(0, out);
        fclose(in);
        fclose(out);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(c, NULL, &r), 0);
        lpae_tev got;
        long m = 0;
        int e;
        while ((e = lpae_trace_read(r, &got)) == 1)
            m++;
        assert_int_equal(e, LPAE_EFORMAT);
        assert_int_equal(m, N);
        assert_non_null(strstr(lpae_trace_reader_error(r), "data after the end record"));
        lpae_trace_reader_close(r);
    }
}

/* tr_parse_u64 at the edges of 64 bits (the overflow test has no division). */
static void parse_u64_edges(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        uint64_t v;
    } c[] = {
        {"0", true, 0},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"18446744073709551620", false, 0},
        {"1844674407370955161", true, UINT64_MAX / 10},
        {"184467440737095516150", false, 0},
        {"99999999999999999999", false, 0},
        {"0xFFFFFFFFFFFFFFFF", true, UINT64_MAX},
        {"0x10000000000000000", false, 0},
        {"0x", false, 0},
        {"", false, 0},
        {"12a", false, 0},
        {"-1", false, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint64_t v = 7;
        bool ok = tr_parse_u64(c[i].s, &v);
        if (ok != c[i].ok)
            print_error("'%s'\n", c[i].s);
        assert_int_equal(ok, c[i].ok);
        if (ok)
            assert_int_equal(v, c[i].v);
    }
}

static void gz_input_and_damage(void **state)
{
    (void)state;
    lpae_tev ev[64];
    size_t n = all_kinds(ev, 64, 11);
    char b[300], gz[320], cmd[1100];
    path_of(b, sizeof b, "z.lpb");
    write_events(b, LPAE_TRACE_BINARY, ev, n);
    snprintf(gz, sizeof gz, "%s.gz", b);
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", b, gz);
    assert_int_equal(system(cmd), 0);
    read_back(gz, LPAE_TRACE_BINARY, ev, n);
    /* Damaged: cut the compressed file in half. */
    snprintf(cmd, sizeof cmd, "head -c %ld '%s' > '%s.cut.gz'", file_size(gz) / 2, gz, b);
    assert_int_equal(system(cmd), 0);
    char cut[320];
    snprintf(cut, sizeof cut, "%s.cut.gz", b);
    lpae_trace_reader *r;
    int e = lpae_trace_reader_open(cut, NULL, &r);
    if (e == 0) {
        lpae_tev got;
        while ((e = lpae_trace_read(r, &got)) == 1)
            ;
    }
    assert_int_equal(e, LPAE_ETRUNC);
    lpae_trace_reader_close(r);
    /* Missing files. */
    path_of(cut, sizeof cut, "missing.gz");
    assert_int_equal(lpae_trace_reader_open(cut, NULL, &r), LPAE_EIO);
    assert_non_null(strstr(lpae_trace_reader_error(r), "cannot open"));
    lpae_trace_reader_close(r);
    path_of(cut, sizeof cut, "missing.lpb");
    assert_int_equal(lpae_trace_reader_open(cut, NULL, &r), LPAE_EIO);
    lpae_trace_reader_close(r);
}

static void argument_and_event_checks(void **state)
{
    (void)state;
    lpae_trace_reader *r;
    lpae_tev ev;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(lpae_trace_reader_open(NULL, NULL, &r), LPAE_EINVAL);
    assert_int_equal(lpae_trace_reader_open("x", NULL, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_trace_reader_open_file(NULL, NULL, NULL, &r), LPAE_EINVAL);
    assert_int_equal(lpae_trace_reader_open_fd(-1, NULL, NULL, &r), LPAE_EINVAL);
    assert_int_equal(lpae_trace_read(NULL, &ev), LPAE_EINVAL);
    lpae_trace_reader_close(NULL);
    assert_int_equal(lpae_trace_writer_close(NULL, true), 0);
    assert_string_equal(lpae_trace_reader_error(NULL), "");
    const char *why;
    assert_int_equal(lpae_tev_check(NULL, &why), LPAE_EINVAL);
    ev.kind = 0;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    ev.kind = 99;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    ev.kind = LPAE_TEV_EXEC;
    assert_int_equal(lpae_tev_check(&ev, &why), 0);
    ev.addr = 4;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    ev.addr = 0;
    ev.kind = LPAE_TEV_COPY_TO_USER;
    ev.kbuf = LPAE_KBUF_MAX + 1;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    ev.kbuf = 0;
    ev.flags = 1;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    ev.flags = 0;
    ev.kind = LPAE_TEV_TOUCH;
    ev.flags = LPAE_TEVF_READ | LPAE_TEVF_WRITE;
    assert_int_equal(lpae_tev_check(&ev, &why), LPAE_EINVAL);
    assert_non_null(lpae_tev_kind_name(LPAE_TEV_TOUCH));
    assert_null(lpae_tev_kind_name(0));
    assert_null(lpae_kbuf_name(LPAE_KBUF_MAX + 1));

    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(NULL, LPAE_TRACE_TEXT, &w), LPAE_EINVAL);
    assert_int_equal(lpae_trace_writer_open("x", LPAE_TRACE_STRACE, &w), LPAE_EINVAL);
    char p[300];
    path_of(p, sizeof p, "w.txt");
    remove(p);
    assert_int_equal(lpae_trace_writer_open(p, LPAE_TRACE_TEXT, &w), 0);
    assert_int_equal(lpae_trace_writer_header(w, "bad key", "v"), LPAE_EINVAL);
    assert_int_equal(lpae_trace_writer_header(w, "", "v"), LPAE_EINVAL);
    assert_int_equal(lpae_trace_writer_header(w, "k", "line\nbreak"), LPAE_EINVAL);
    assert_int_equal(lpae_trace_write(w, &ev), LPAE_EINVAL); /* bad event */
    ev.flags = LPAE_TEVF_READ;
    ev.len = 4;
    assert_int_equal(lpae_trace_write(w, &ev), 0);
    assert_int_equal(lpae_trace_writer_header(w, "late", "v"), LPAE_ESTATE);
    /* not committed: no output file is left behind */
    assert_int_equal(lpae_trace_writer_close(w, false), 0);
    assert_int_not_equal(access(p, F_OK), 0);
}

static void syscall_names(void **state)
{
    (void)state;
    assert_int_equal(lpae_sysno_from_name("read"), 3);
    assert_int_equal(lpae_sysno_from_name("openat"), 322);
    assert_int_equal(lpae_sysno_from_name("exit_group"), 248);
    assert_int_equal(lpae_sysno_from_name("mmap2"), 192);
    assert_int_equal(lpae_sysno_from_name("mmap"), 192);       /* x86 name */
    assert_int_equal(lpae_sysno_from_name("newfstatat"), 327); /* x86 name */
    assert_int_equal(lpae_sysno_from_name("set_tls"), 0x0f0005);
    assert_int_equal(lpae_sysno_from_name("arch_prctl"), 0x0f0005);
    assert_int_equal(lpae_sysno_from_name("getuid"), 24); /* ARM's own wins */
    assert_int_equal(lpae_sysno_from_name("no_such"), LPAE_SYSNO_NONE);
    assert_int_equal(lpae_sysno_from_name(NULL), LPAE_SYSNO_NONE);
    assert_string_equal(lpae_sysno_name(4), "write");
    assert_string_equal(lpae_sysno_name(0x0f0002), "cacheflush");
    assert_null(lpae_sysno_name(7)); /* was waitpid */
    assert_null(lpae_sysno_name(100000));
    for (uint32_t nr = 0; nr < 460; nr++) {
        const char *s = lpae_sysno_name(nr);
        if (s)
            assert_int_equal(lpae_sysno_from_name(s), nr);
    }
}

/* The reader's own allocations do not grow with the trace's length. */
static void memory_flat_in_trace_length(void **state)
{
    (void)state;
    size_t peak[3][2];
    const uint32_t counts[3] = {40, 400, 4000};
    for (int i = 0; i < 3; i++) {
        for (int f = 0; f < 2; f++) {
            char p[300];
            path_of(p, sizeof p, f ? "flat.lpb" : "flat.txt");
            lpae_gen_params gp;
            assert_int_equal(lpae_gen_defaults(LPAE_GEN_MIXED, &gp), 0);
            gp.count = 10;        /* syscalls per task */
            gp.procs = counts[i]; /* the length grows with the number of processes */
            gp.bs = 16384;
            lpae_trace_writer *w;
            assert_int_equal(lpae_trace_writer_open(p, f ? LPAE_TRACE_BINARY : LPAE_TRACE_TEXT, &w),
                             0);
            assert_int_equal(lpae_trace_gen(LPAE_GEN_MIXED, &gp, w), 0);
            assert_int_equal(lpae_trace_writer_close(w, true), 0);
            lpae_trace_reader *r;
            assert_int_equal(lpae_trace_reader_open(p, NULL, &r), 0);
            size_t base = lpae_trace_reader_mem(r), mx = base;
            lpae_tev ev;
            uint64_t n = 0;
            int e;
            while ((e = lpae_trace_read(r, &ev)) == 1) {
                n++;
                if (lpae_trace_reader_mem(r) > mx)
                    mx = lpae_trace_reader_mem(r);
            }
            assert_int_equal(e, 0);
            assert_true(n > counts[i]);
            assert_true(base > sizeof(lpae_tev));
            peak[i][f] = mx - base; /* growth while reading */
            lpae_trace_reader_close(r);
        }
    }
    for (int f = 0; f < 2; f++) {
        assert_int_equal(peak[0][f], 0); /* the native readers never allocate per event */
        assert_int_equal(peak[0][f], peak[1][f]);
        assert_int_equal(peak[1][f], peak[2][f]);
    }
}

/* Randomly damaged inputs (fixed seeds) never crash the readers: every run
 * ends in 0 or an error with a message. Run under ASan/UBSan by make test. */

/* ---- lpae_trace_read_many against lpae_trace_read ------------------------- */

struct read_outcome {
    lpae_tev *ev;
    size_t n, cap;
    int rc, open_rc;
    char msg[5000];
    uint64_t events, line, skipped;
};

/* Read @p len bytes at @p data with options @p o to the end or the first
 * error: one event per lpae_trace_read() call (@p x NULL), or in batches of
 * lpae_trace_read_many() of random sizes 1..300 mixed with single reads. */
static void read_outcome_of(const char *data, size_t len, const lpae_trace_ropts *o, uint64_t *x,
                            struct read_outcome *out)
{
    FILE *f = fmemopen((void *)data, len ? len : 1, "rb");
    assert_non_null(f);
    lpae_trace_reader *r = NULL;
    out->n = 0;
    out->rc = 0;
    out->open_rc = lpae_trace_reader_open_file(f, "many", o, &r);
    int e = out->open_rc;
    while (e == 0) {
        if (!x || lcg(x) % 8 == 0) {
            lpae_tev ev;
            memset(&ev, 0xA5, sizeof ev);
            e = lpae_trace_read(r, &ev);
            if (e == 1) {
                assert_true(out->n < out->cap);
                out->ev[out->n++] = ev;
                e = 0;
            } else if (e == 0) {
                e = 1; /* the end */
            }
        } else {
            const lpae_tev *evs = NULL;
            size_t max = 1 + lcg(x) % (lcg(x) % 4 ? 300 : 3);
            e = lpae_trace_read_many(r, &evs, max);
            if (e > 0) {
                assert_true((size_t)e <= max);
                assert_non_null(evs);
                assert_true(out->n + (size_t)e <= out->cap);
                memcpy(&out->ev[out->n], evs, (size_t)e * sizeof *evs);
                out->n += (size_t)e;
                assert_int_equal(lpae_trace_reader_events(r), out->n);
                e = 0;
            } else if (e == 0) {
                e = 1; /* the end */
            }
        }
        if (e == 1) {
            e = 0;
            break;
        }
    }
    out->rc = e;
    snprintf(out->msg, sizeof out->msg, "%s", r ? lpae_trace_reader_error(r) : "");
    out->events = r ? lpae_trace_reader_events(r) : 0;
    out->line = r ? lpae_trace_reader_line(r) : 0;
    out->skipped = r ? lpae_trace_reader_skipped(r) : 0;
    if (r && e < 0) { /* sticky, the same for both calls */
        const lpae_tev *evs = NULL;
        lpae_tev ev;
        assert_int_equal(lpae_trace_read_many(r, &evs, 5), e);
        assert_int_equal(lpae_trace_read(r, &ev), e);
    }
    if (r && e == 0 && out->open_rc == 0) {
        const lpae_tev *evs = NULL;
        assert_int_equal(lpae_trace_read_many(r, &evs, 5), 0);
    }
    if (r) {
        const lpae_tev *evs = NULL;
        assert_int_equal(lpae_trace_read_many(r, &evs, 0), LPAE_EINVAL);
        assert_int_equal(lpae_trace_read_many(r, NULL, 1), LPAE_EINVAL);
    }
    lpae_trace_reader_close(r);
    fclose(f);
}

/* The same input read one event at a time and in random batches: the same
 * events, verdict, message and counters. */
static void many_matches_single(const char *data, size_t len, const lpae_trace_ropts *o,
                                uint64_t *x)
{
    static struct read_outcome a, b;
    if (!a.ev) {
        a.cap = b.cap = 200000;
        a.ev = malloc(a.cap * sizeof *a.ev);
        b.ev = malloc(b.cap * sizeof *b.ev);
        assert_non_null(a.ev);
        assert_non_null(b.ev);
    }
    read_outcome_of(data, len, o, NULL, &a);
    read_outcome_of(data, len, o, x, &b);
    assert_int_equal(a.open_rc, b.open_rc);
    assert_int_equal(a.rc, b.rc);
    assert_string_equal(a.msg, b.msg);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ev, b.ev, a.n * sizeof *a.ev);
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.events, a.n);
    assert_int_equal(a.line, b.line);
    assert_int_equal(a.skipped, b.skipped);
}

static void damaged_inputs_fail_cleanly(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "# lpae-trace v1\n# k=v\n0 1 copy_to_user addr=0x1000 len=4096 kbuf=pagecache "
        "kaddr=0x5000\n3 9 fork child=10 thread=1\n0 1 mmap addr=0x10000 len=4096 prot=r-x "
        "map=shared,anon\n",
        "100 19:00:00.000001 openat(0xffffff9c, 0x7ffc00002000, 0) = 0x3\n"
        "100 read(0x3, 0x7ffc00001000, 0x1000 <unfinished ...>\n"
        "101 clone(0x100, 0, 0, 0, 0) = 0x66\n100 <... read resumed>) = 0x10\n"
        "+++ exited with 0 +++\n",
        "  bash-412 [000] d.... 1.5: ctu: (arm_copy_to_user+0x0/0x24) to=0x1000 from=0xc0000000 "
        "n=64\n  bash-412 [001] .... 1.6: sched_switch: prev_pid=412 ==> next_pid=7\n"
        "  bash-412 [001] .... 1.6: sys_exit: NR 3 = 4\n",
    };
    const lpae_trace_fmt fmts[] = {LPAE_TRACE_AUTO, LPAE_TRACE_STRACE, LPAE_TRACE_FTRACE};
    /* a binary seed too */
    lpae_tev ev[64];
    size_t n = all_kinds(ev, 64, 3);
    char *bin = NULL;
    size_t binlen = 0;
    FILE *mf = open_memstream(&bin, &binlen);
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open_file(mf, LPAE_TRACE_BINARY, &w), 0);
    assert_int_equal(lpae_trace_writer_header(w, "a", "b"), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(lpae_trace_write(w, &ev[i]), 0);
    assert_int_equal(lpae_trace_writer_close(w, true), 0);
    fclose(mf);
    uint64_t x = 2024;
    for (int s = 0; s < 4; s++) {
        const char *src = s < 3 ? seeds[s] : bin;
        size_t len = s < 3 ? strlen(src) : binlen;
        char *buf = malloc(len + 1);
        for (int iter = 0; iter < 400; iter++) {
            memcpy(buf, src, len);
            int flips = 1 + (int)(lcg(&x) % 4);
            for (int k = 0; k < flips; k++)
                buf[lcg(&x) % len] = (char)lcg(&x);
            size_t cut = iter % 5 == 0 ? lcg(&x) % len : len;
            lpae_trace_ropts o = {.format = s < 3 ? fmts[s] : LPAE_TRACE_AUTO,
                                  .skip_bad = iter % 2};
            many_matches_single(buf, cut ? cut : 1, &o, &x);
            FILE *f = fmemopen(buf, cut ? cut : 1, "r");
            lpae_trace_reader *r;
            int e = lpae_trace_reader_open_file(f, "fuzz", &o, &r);
            lpae_tev got;
            int steps = 0;
            while (e == 0 && (e = lpae_trace_read(r, &got)) == 1) {
                assert_int_equal(lpae_tev_check(&got, NULL), 0);
                assert_true(++steps < 100000);
            }
            if (e < 0)
                assert_true(strlen(lpae_trace_reader_error(r)) > 0);
            lpae_trace_reader_close(r);
            fclose(f);
        }
        free(buf);
    }
    free(bin);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/test_trace.tmp", LPAE_BINARY_DIR);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmpdir);
    return system(cmd);
}

/* lpae_tev_check()'s mask fast path against the rule-by-rule reference
 * tr_tev_check_full(): the same verdict and the same reason for random
 * events whose fields are zero most of the time, so that many are valid. */
static void tev_check_fast_matches_reference(void **state)
{
    (void)state;
    uint64_t x = 20261123;
    unsigned valid = 0, invalid = 0;
    for (int i = 0; i < 400000; i++) {
        lpae_tev ev;
        memset(&ev, 0, sizeof ev);
        /* kinds in range and just out of it, and any byte (the fast path
         * takes its row by the kind modulo 32) */
        ev.kind = (uint8_t)(i % 4 ? lcg(&x) % (LPAE_TEV_KIND_MAX + 3)
                                  : (i % 8 ? lcg(&x) % 32 + 32 * (lcg(&x) % 8) : lcg(&x)));
        ev.cpu = (uint8_t)lcg(&x);
        ev.task = lcg(&x);
        uint32_t pick = lcg(&x);
        if (pick & 1u)
            ev.flags = (uint8_t)(lcg(&x) % 5 == 0 ? lcg(&x) : (1u << (lcg(&x) % 8)));
        if (pick & 2u)
            ev.kbuf = (uint8_t)(lcg(&x) % (LPAE_KBUF_MAX + 3));
        if (pick & 4u)
            ev.kaddr = lcg(&x);
        if (pick & 8u)
            ev.addr = lcg(&x) % 3 == 0 ? UINT32_C(0xFFFFFFFF) - lcg(&x) % 64 : lcg(&x);
        if (pick & 16u)
            ev.len = lcg(&x) % 2 ? lcg(&x) % (lcg(&x) % 2 ? 12 : 40) : lcg(&x);
        if ((pick & 0x3e0u) == 0x20u)
            ev.sysno = lcg(&x);
        if ((pick & 0x3e0u) == 0x40u)
            ev.ret = (int32_t)lcg(&x);
        if ((pick & 0x3e0u) == 0x80u)
            ev.arg = lcg(&x);
        const char *w1 = NULL, *w2 = NULL;
        int r1 = lpae_tev_check(&ev, &w1);
        int r2 = tr_tev_check_full(&ev, &w2);
        assert_int_equal(r1, r2);
        assert_non_null(w1);
        assert_string_equal(w1, w2);
        assert_int_equal(lpae_tev_check(&ev, NULL), r2);
        if (r1 == 0)
            valid++;
        else
            invalid++;
    }
    assert_true(valid > 10000);
    assert_true(invalid > 10000);
    const char *w = NULL;
    assert_int_equal(lpae_tev_check(NULL, &w), tr_tev_check_full(NULL, &w));
}

/* ---- the text fast path against the reference parser ---------------------- */

/* A random valid event: every kind, fields at and between their edges. */
static void rand_event(uint64_t *x, lpae_tev *e)
{
    static const uint32_t sysnos[] = {3,
                                      4,
                                      322,
                                      192,
                                      248,
                                      403,
                                      0,
                                      452,
                                      0x0f0001,
                                      0x0f0006,
                                      9999,
                                      7,
                                      1000000,
                                      LPAE_SYSNO_NONE - 1,
                                      LPAE_SYSNO_NONE};
    static const int32_t rets[] = {0, 1, -1, 4096, INT32_MAX, INT32_MIN, -2, 100000};
    memset(e, 0, sizeof *e);
    e->kind = (uint8_t)(LPAE_TEV_KIND_MIN + lcg(x) % (LPAE_TEV_KIND_MAX - LPAE_TEV_KIND_MIN + 1));
    e->cpu = (uint8_t)(lcg(x) % 4 ? lcg(x) % 4 : lcg(x));
    uint32_t pick = lcg(x);
    e->task = pick % 5 == 0 ? UINT32_MAX - lcg(x) % 2 : pick % 5 == 1 ? lcg(x) : 100 + lcg(x) % 50;
    uint32_t addr = lcg(x) % 3 ? lcg(x) : lcg(x) % 3 ? 0 : UINT32_MAX;
    uint32_t len = lcg(x) % 2 ? lcg(x) % 100 : lcg(x) % 2 ? lcg(x) : 4096;
    if ((uint64_t)addr + len > (UINT64_C(1) << 32))
        len = (uint32_t)((UINT64_C(1) << 32) - addr);
    switch (e->kind) {
    case LPAE_TEV_SWITCH:
        e->arg = lcg(x) % 2 ? lcg(x) : 0;
        break;
    case LPAE_TEV_SYS_EXIT:
        e->ret = lcg(x) % 2 ? rets[lcg(x) % 8] : (int32_t)lcg(x);
        /* fall through */
    case LPAE_TEV_SYS_ENTER:
        e->sysno = sysnos[lcg(x) % (sizeof sysnos / sizeof sysnos[0])];
        break;
    case LPAE_TEV_COPY_FROM_USER:
    case LPAE_TEV_COPY_TO_USER:
    case LPAE_TEV_STRNCPY_FROM_USER:
        e->addr = addr;
        e->len = len;
        e->kbuf = (uint8_t)(lcg(x) % (LPAE_KBUF_MAX + 1));
        e->kaddr = lcg(x) % 2 ? lcg(x) : 0;
        break;
    case LPAE_TEV_GET_USER:
    case LPAE_TEV_PUT_USER:
        e->len = 1u << (lcg(x) % 4);
        e->addr = addr > UINT32_MAX - 8 ? UINT32_MAX - 8 : addr;
        break;
    case LPAE_TEV_CLEAR_USER:
    case LPAE_TEV_MUNMAP:
    case LPAE_TEV_TOUCH:
        e->addr = addr;
        e->len = len;
        if (e->kind == LPAE_TEV_TOUCH)
            e->flags = (uint8_t)(1u << (lcg(x) % 3));
        break;
    case LPAE_TEV_MMAP:
        e->addr = addr;
        e->len = len;
        e->flags = (uint8_t)((lcg(x) & 7) | (lcg(x) & 0x70));
        break;
    case LPAE_TEV_MPROTECT:
        e->addr = addr;
        e->len = len;
        e->flags = (uint8_t)(lcg(x) & 7);
        break;
    case LPAE_TEV_BRK:
        e->addr = addr;
        break;
    case LPAE_TEV_FORK:
        e->arg = lcg(x);
        e->flags = (uint8_t)(lcg(x) & 1);
        break;
    case LPAE_TEV_EXIT:
        e->ret = lcg(x) % 2 ? rets[lcg(x) % 8] : (int32_t)lcg(x);
        break;
    case LPAE_TEV_FAULT:
        e->addr = addr;
        e->flags = (uint8_t)((1u << (lcg(x) % 3)) | (lcg(x) % 2 ? LPAE_TEVF_KERNEL : 0));
        break;
    default:
        break;
    }
    assert_int_equal(lpae_tev_check(e, NULL), 0);
}

/* Append a random run of 1..3 blanks. */
static size_t put_blanks(char *o, uint64_t *x)
{
    size_t n = 1 + lcg(x) % 3;
    for (size_t i = 0; i < n; i++)
        o[i] = lcg(x) % 4 ? ' ' : '\t';
    return n;
}

/* Write number @p v in a random spelling the format accepts (decimal, 0x or
 * 0X hex, leading zeros, upper-case digits). */
static size_t put_number(char *o, uint64_t v, uint64_t *x)
{
    char digits[40];
    unsigned how = lcg(x) % 6;
    const char *fmt = how < 2 ? "%" PRIu64 : how < 4 ? "%" PRIx64 : "%" PRIX64;
    int n = snprintf(digits, sizeof digits, fmt, v);
    size_t zeros = lcg(x) % 4 == 0 ? lcg(x) % 20 : how >= 2 && lcg(x) % 2 ? 8 - (size_t)n % 9 : 0;
    size_t k = 0;
    if (how >= 2) {
        o[k++] = '0';
        o[k++] = how == 5 ? 'X' : 'x';
    }
    for (size_t i = 0; i < zeros; i++)
        o[k++] = '0';
    memcpy(o + k, digits, (size_t)n);
    return k + (size_t)n;
}

/* The canonical text of @p e, then respelled: blanks, key order, number
 * spellings, syscall numbers for names, CRLF. No newline. */
static size_t variant_line(const lpae_tev *e, char *o, uint64_t *x)
{
    char canon[512];
    assert_true(tr_text_format(e, canon, sizeof canon) > 0);
    if (lcg(x) % 3 == 0)
        return (size_t)sprintf(o, "%s%s", canon, lcg(x) % 4 ? "" : "\r");
    /* tokens of the canonical line */
    char *tok[16];
    size_t nt = 0;
    for (char *t = strtok(canon, " "); t && nt < 16; t = strtok(NULL, " "))
        tok[nt++] = t;
    assert_true(nt >= 3);
    /* shuffle the keys */
    for (size_t i = nt - 1; i > 3; i--) {
        size_t j = 3 + lcg(x) % (i - 2);
        char *t = tok[i];
        tok[i] = tok[j];
        tok[j] = t;
    }
    size_t k = 0;
    if (lcg(x) % 4 == 0)
        k += put_blanks(o + k, x);
    for (size_t i = 0; i < nt; i++) {
        if (i)
            k += put_blanks(o + k, x);
        char *eq = strchr(tok[i], '=');
        const char *val = eq ? eq + 1 : tok[i];
        uint64_t v;
        if (eq) {
            memcpy(o + k, tok[i], (size_t)(eq - tok[i]) + 1);
            k += (size_t)(eq - tok[i]) + 1;
        }
        bool neg = val[0] == '-';
        if (i != 2 && tr_parse_u64(val + neg, &v) && lcg(x) % 2) {
            if (neg)
                o[k++] = '-';
            k += put_number(o + k, v, x);
        } else if (eq && !strncmp(tok[i], "sys=", 4) && lcg(x) % 3 == 0 &&
                   lpae_sysno_from_name(val) != LPAE_SYSNO_NONE) {
            k += put_number(o + k, lpae_sysno_from_name(val), x);
        } else {
            size_t l = strlen(val);
            memcpy(o + k, val, l);
            k += l;
        }
    }
    if (lcg(x) % 4 == 0)
        k += put_blanks(o + k, x);
    if (lcg(x) % 4 == 0)
        o[k++] = '\r';
    o[k] = 0;
    return k;
}

/* Random edits: bytes the parsers care about, or any byte. */
static size_t mutate_line(char *o, size_t n, size_t cap, uint64_t *x)
{
    static const char alpha[] = " \t\r\n=-,x0123456789abcdefABCDEFXrwzpn_ksly#";
    unsigned edits = 1 + lcg(x) % 3;
    for (unsigned i = 0; i < edits; i++) {
        size_t at = n ? lcg(x) % (n + 1) : 0;
        char c = lcg(x) % 8 ? alpha[lcg(x) % (sizeof alpha - 1)] : (char)lcg(x);
        switch (lcg(x) % 3) {
        case 0: /* replace */
            if (at < n)
                o[at] = c;
            break;
        case 1: /* insert */
            if (n + 1 < cap) {
                memmove(o + at + 1, o + at, n - at);
                o[at] = c;
                n++;
            }
            break;
        default: /* delete */
            if (at < n) {
                memmove(o + at, o + at + 1, n - at - 1);
                n--;
            }
            break;
        }
    }
    return n;
}

/* tr_text_parse_fast against tr_text_parse on random lines: whatever the
 * fast path takes, the reference takes with the same event; on canonical
 * lines the fast path takes nearly all. */
static void text_fast_matches_reference(void **state)
{
    (void)state;
    uint64_t x = 20261124;
    static char buf[8192 + TR_TEXT_PAD + 1];
    tr_sysmemo memo;
    memset(&memo, 0, sizeof memo);
    unsigned taken = 0, canon = 0, canon_taken = 0, ref_ok = 0;
    for (int it = 0; it < 300000; it++) {
        lpae_tev e, fast, ref;
        rand_event(&x, &e);
        unsigned how = lcg(&x) % 3; /* 0 canonical, 1 respelled, 2 mutated */
        size_t n = how == 0 ? (size_t)tr_text_format(&e, buf, 512) : variant_line(&e, buf, &x);
        if (how == 2)
            n = mutate_line(buf, n, 600, &x);
        /* the parsers see one line: up to the first '\n' */
        char *nl = memchr(buf, '\n', n);
        if (nl)
            n = (size_t)(nl - buf);
        buf[n] = '\n';
        buf[n + 1] = 0;
        /* the rest of the buffer as stale as a reader's block can leave it */
        for (size_t i = n + 2; i < n + 2 + TR_TEXT_PAD; i++)
            buf[i] = (char)lcg(&x);
        const char *end = tr_text_parse_fast(buf, &fast, &memo);
        /* the reference: read_line's '\r' strip and text_next's blanks */
        char line[600];
        memcpy(line, buf, n);
        line[n] = 0;
        size_t ln = strlen(line);
        if (ln && line[ln - 1] == '\r')
            line[--ln] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        char why[256];
        int rc = *s && *s != '#' ? tr_text_parse(s, &ref, NULL, why, sizeof why) : 1;
        if (rc == 0)
            ref_ok++;
        if (how == 0) {
            canon++;
            assert_int_equal(rc, 0);
            assert_memory_equal(&ref, &e, sizeof e);
            canon_taken += end != NULL;
        }
        if (end) {
            taken++;
            if (rc != 0)
                print_error("fast path took a line the reference rejects: '%s' (%s)\n", line,
                            rc == 1 ? "blank" : why);
            assert_int_equal(rc, 0);
            assert_memory_equal(&fast, &ref, sizeof fast);
            assert_ptr_equal(end, buf + n + 1);
        }
    }
    assert_int_equal(canon_taken, canon); /* every canonical line */
    assert_true(taken > 150000);
    assert_true(ref_ok > taken); /* some lines only the reference takes */
    tr_sysmemo_free(&memo);
}

/* The memo against lpae_sysno_from_name(): every name of the table and
 * random strings, more of them than the memo holds. */
static void sysmemo_matches_lookup(void **state)
{
    (void)state;
    tr_sysmemo memo;
    memset(&memo, 0, sizeof memo);
    uint64_t x = 77;
    for (int round = 0; round < 3; round++) {
        for (uint32_t nr = 0; nr < 0x0f0010; nr = nr < 460        ? nr + 1
                                                  : nr < 0x0f0000 ? 0x0f0000
                                                                  : nr + 1) {
            const char *s = lpae_sysno_name(nr);
            char name[40];
            if (!s)
                continue;
            assert_true(strlen(s) <= TR_SYSMEMO_NAME);
            for (int variant = 0; variant < 2; variant++) {
                snprintf(name, sizeof name, "%s%s", s, variant ? "x" : "");
                char pad[32] = {0};
                memcpy(pad, name, strlen(name));
                uint64_t w[4] = {tr_ld64le(pad), tr_ld64le(pad + 8), tr_ld64le(pad + 16),
                                 tr_ld64le(pad + 24)};
                assert_int_equal(tr_sysmemo_find(&memo, w), lpae_sysno_from_name(name));
            }
        }
        for (int i = 0; i < 2000; i++) {
            static const char *const x86[] = {"mmap", "newfstatat", "arch_prctl",
                                              "stat", "getuid",     "no_such"};
            char name[40];
            size_t n = 1 + lcg(&x) % TR_SYSMEMO_NAME;
            if (lcg(&x) % 2) {
                snprintf(name, sizeof name, "%s", x86[lcg(&x) % 6]);
                n = strlen(name);
            } else {
                for (size_t j = 0; j < n; j++)
                    name[j] = (char)('!' + lcg(&x) % 94);
                name[n] = 0;
            }
            char pad[32] = {0};
            memcpy(pad, name, n);
            uint64_t w[4] = {tr_ld64le(pad), tr_ld64le(pad + 8), tr_ld64le(pad + 16),
                             tr_ld64le(pad + 24)};
            assert_int_equal(tr_sysmemo_find(&memo, w), lpae_sysno_from_name(name));
        }
    }
    /* Through the text fast path's own probe: every name, and names that
     * share their first 8 bytes with it, in random order, into one memo. */
    static const char *const tails[] = {"", "x", "64", "_time64", "_"};
    char buf[128 + TR_TEXT_PAD];
    memset(buf, 0, sizeof buf);
    tr_sysmemo_free(&memo);
    unsigned named = 0;
    for (int i = 0; i < 40000; i++) {
        uint32_t nr = lcg(&x) % 8 ? lcg(&x) % 460 : 0x0f0000 + lcg(&x) % 8;
        const char *s = lpae_sysno_name(nr);
        if (!s)
            continue;
        char name[64];
        snprintf(name, sizeof name, "%s%s", s, tails[lcg(&x) % 5]);
        snprintf(buf, 128, "0 1 sys_enter sys=%s\n", name);
        lpae_tev ev;
        const char *end = tr_text_parse_fast(buf, &ev, &memo);
        uint32_t want = lpae_sysno_from_name(name);
        if (want == LPAE_SYSNO_NONE || strlen(name) > TR_SYSMEMO_NAME) {
            assert_null(end);
        } else {
            assert_non_null(end);
            assert_int_equal(ev.sysno, want);
            named++;
        }
    }
    assert_true(named > 5000);
    assert_true(memo.mem > 0);
    tr_sysmemo_free(&memo);
    assert_true(memo.mem == 0 && memo.names == NULL);
    /* an incomplete table (as after an allocation failure) still answers
     * every name as lpae_sysno_from_name() does, through the slow scan */
    for (size_t limit = 0; limit < 400; limit += 97) {
        assert_int_equal(tr_sysmemo_build_n(&memo, limit), LPAE_ENOMEM);
        assert_false(memo.complete);
        for (uint32_t nr = 0; nr < 460; nr++) {
            const char *s = lpae_sysno_name(nr);
            char name[40], pad[32] = {0};
            if (!s)
                continue;
            snprintf(name, sizeof name, "%s%s", s, nr % 3 ? "" : "x");
            memcpy(pad, name, strlen(name));
            uint64_t w[4] = {tr_ld64le(pad), tr_ld64le(pad + 8), tr_ld64le(pad + 16),
                             tr_ld64le(pad + 24)};
            assert_int_equal(tr_sysmemo_find(&memo, w), lpae_sysno_from_name(name));
        }
        tr_sysmemo_free(&memo);
    }
    assert_int_equal(tr_sysmemo_build(&memo), LPAE_OK);
    assert_true(memo.complete);
    tr_sysmemo_free(&memo);
}

/* ---- the block reader against the line-by-line reader --------------------- */

struct text_outcome {
    lpae_tev *ev;
    size_t n;
    int rc;
    char msg[5000];
    uint64_t line, skipped;
};

/* Two text reads gave the same verdict, message, events and counters. */
static void text_outcomes_equal(const struct text_outcome *a, const struct text_outcome *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_string_equal(a->msg, b->msg);
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->ev, b->ev, a->n * sizeof *a->ev);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->skipped, b->skipped);
}

/* The line-by-line text reader as it was (fgets into a LPAE_TRACE_LINE_MAX
 * + 2 buffer, read_line's checks, text_next's blank and comment lines, then
 * tr_text_parse) over a body that follows "# lpae-trace v1" and one event
 * line. */
static void ref_read_text(const char *data, size_t len, bool skip, struct text_outcome *o)
{
    FILE *f = fmemopen((void *)data, len, "rb");
    assert_non_null(f);
    char buf[LPAE_TRACE_LINE_MAX + 2], why[256];
    o->n = 0;
    o->rc = 0;
    o->msg[0] = 0;
    o->line = o->skipped = 0;
    while (fgets(buf, sizeof buf, f)) {
        o->line++;
        size_t n = strlen(buf);
        const char *bad = NULL;
        if (n && buf[n - 1] == '\n') {
            buf[--n] = 0;
        } else if (n == sizeof buf - 1) {
            int c;
            while ((c = getc(f)) != EOF && c != '\n')
                ;
            bad = "line longer than 4095 bytes";
            /* read_line records this one even when the line is skipped */
            snprintf(o->msg, sizeof o->msg, "difftest:%" PRIu64 ": %s", o->line, bad);
        }
        if (!bad) {
            if (n && buf[n - 1] == '\r')
                buf[--n] = 0;
            char *s = buf;
            while (*s == ' ' || *s == '\t')
                s++;
            if (o->line == 1 || !*s || *s == '#')
                continue; /* the version line, blank lines, comments */
            lpae_tev ev;
            if (tr_text_parse(s, &ev, NULL, why, sizeof why) == 0) {
                o->ev[o->n++] = ev;
                continue;
            }
            bad = why;
        }
        if (skip) {
            o->skipped++;
            continue;
        }
        o->rc = LPAE_EPARSE;
        snprintf(o->msg, sizeof o->msg, "difftest:%" PRIu64 ": %s", o->line, bad);
        lpae_oneline(o->msg);
        break;
    }
    fclose(f);
}

static void read_text(const char *data, size_t len, bool skip, struct text_outcome *o)
{
    FILE *f = fmemopen((void *)data, len, "rb");
    assert_non_null(f);
    lpae_trace_ropts ro = {.format = LPAE_TRACE_TEXT, .skip_bad = skip};
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open_file(f, "difftest", &ro, &r), 0);
    o->n = 0;
    lpae_tev ev;
    while ((o->rc = lpae_trace_read(r, &ev)) == 1)
        o->ev[o->n++] = ev;
    snprintf(o->msg, sizeof o->msg, "%s", lpae_trace_reader_error(r));
    o->line = lpae_trace_reader_line(r);
    o->skipped = lpae_trace_reader_skipped(r);
    uint64_t done, total;
    if (o->rc == 0 && lpae_trace_reader_progress(r, &done, &total) == 0)
        assert_int_equal(done, len); /* everything consumed */
    lpae_trace_reader_close(r);
    fclose(f);
}

/* Random text traces (fixed seeds) through the reader and the line-by-line
 * reference: the same events, verdict, message, line count and skips, with
 * lines of every kind: canonical, respelled, damaged, blank, comments, CRLF,
 * NUL bytes, lines around and far over LPAE_TRACE_LINE_MAX, no final
 * newline, and block boundaries everywhere. */
static void text_reader_matches_line_reader(void **state)
{
    (void)state;
    uint64_t x = 4242;
    enum { CAP = 400000 };
    char *data = malloc(CAP + 20000);
    struct text_outcome a, b;
    a.ev = malloc(CAP / 8 * sizeof *a.ev);
    b.ev = malloc(CAP / 8 * sizeof *b.ev);
    assert_non_null(data);
    unsigned errors = 0, skipped = 0;
    for (int file = 0; file < 60; file++) {
        size_t len = (size_t)sprintf(data, "# lpae-trace v1\n0 1 exec\n");
        size_t target = 1000 + lcg(&x) % (file % 4 ? 60000 : CAP - 10000);
        unsigned bad_rate = file % 3 == 0 ? 0 : 1 + lcg(&x) % 200; /* per mille */
        while (len < target) {
            lpae_tev e;
            rand_event(&x, &e);
            char *o = data + len;
            size_t n;
            unsigned pick = lcg(&x) % 1000;
            if (pick < bad_rate) {
                n = variant_line(&e, o, &x);
                n = mutate_line(o, n, 600, &x);
            } else if (pick < bad_rate + 10) {
                /* long lines: around the limit (4094..4098 bytes before the
                 * newline, maybe with '\r' or NUL) and far over it */
                size_t want = lcg(&x) % 4 ? 4094 + lcg(&x) % 5 : 4096 + lcg(&x) % 9000;
                n = (size_t)sprintf(o, "0 1 exec");
                while (n < want)
                    o[n++] = lcg(&x) % 16 ? ' ' : '\t';
                if (lcg(&x) % 3 == 0)
                    o[n - 1] = '\r';
                if (lcg(&x) % 5 == 0)
                    o[lcg(&x) % n] = 0;
            } else if (pick < bad_rate + 30) {
                static const char *const odd[] = {"",      "   ", "\t", "# comment",
                                                  "  # c", "\r",  "#",  " \r"};
                n = (size_t)sprintf(o, "%s", odd[lcg(&x) % 8]);
            } else {
                n = variant_line(&e, o, &x);
            }
            len += n;
            data[len++] = '\n';
        }
        if (lcg(&x) % 4 == 0)
            len--; /* no newline at the end */
        for (int skip = 0; skip < 2; skip++) {
            read_text(data, len, skip, &a);
            ref_read_text(data, len, skip, &b);
            if (file % 3 == 1) {
                lpae_trace_ropts ro = {.format = LPAE_TRACE_TEXT, .skip_bad = skip};
                many_matches_single(data, len, &ro, &x);
            }
            if (strcmp(a.msg, b.msg) != 0)
                print_error("file %d: '%s' vs '%s'\n", file, a.msg, b.msg);
            text_outcomes_equal(&a, &b);
            errors += a.rc != 0;
            skipped += a.skipped > 0;
        }
    }
    /* Lines around LPAE_TRACE_LINE_MAX at fixed places: the first line of
     * the body (the start of the reader's first block) and after filler
     * that puts them across and just inside a block's end. */
    for (size_t want = 4092; want <= 4099; want++)
        for (int cr = 0; cr < 2; cr++)
            for (size_t filler = 0; filler < 500; filler += filler < 10 ? 1 : 97) {
                size_t len = (size_t)sprintf(data, "# lpae-trace v1\n0 1 exec\n");
                for (size_t i = 0; i < filler; i++)
                    len += (size_t)sprintf(data + len, "0 1 touch addr=0x%08zx len=1 access=read\n",
                                           i);
                size_t n = (size_t)sprintf(data + len, "0 2 exec");
                while (n < want)
                    data[len + n++] = ' ';
                if (cr)
                    data[len + n - 1] = '\r';
                len += n;
                len += (size_t)sprintf(data + len, "\n0 3 exec\n");
                for (int skip = 0; skip < 2; skip++) {
                    read_text(data, len, skip, &a);
                    ref_read_text(data, len, skip, &b);
                    text_outcomes_equal(&a, &b);
                    /* content over 4095 bytes, '\r' included, is too long */
                    assert_int_equal(a.rc, !skip && want > 4095 ? LPAE_EPARSE : 0);
                }
            }
    assert_true(errors > 10);
    assert_true(skipped > 10);
    free(data);
    free(a.ev);
    free(b.ev);
}

/* Binary traces of 0..1500 random events, whole, cut anywhere, with a
 * damaged record, a damaged end record or bytes after it, read one event at
 * a time and in random batches (fixed seed): the same events and errors. */
static void read_many_matches_read_binary(void **state)
{
    (void)state;
    uint64_t x = 777;
    enum { N = 1500 };
    lpae_tev *ev = malloc(N * sizeof *ev);
    assert_non_null(ev);
    unsigned errors = 0;
    for (int file = 0; file < 40; file++) {
        size_t n = file == 0 ? 0 : lcg(&x) % N;
        for (size_t i = 0; i < n; i++)
            rand_event(&x, &ev[i]);
        char *bin = NULL;
        size_t binlen = 0;
        FILE *mf = open_memstream(&bin, &binlen);
        lpae_trace_writer *w;
        assert_int_equal(lpae_trace_writer_open_file(mf, LPAE_TRACE_BINARY, &w), 0);
        if (file % 2)
            assert_int_equal(lpae_trace_writer_header(w, "k", file % 4 == 1 ? "v" : "vvvv"), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(lpae_trace_write(w, &ev[i]), 0);
        assert_int_equal(lpae_trace_writer_close(w, true), 0);
        fclose(mf);
        char *buf = malloc(binlen + 100);
        assert_non_null(buf);
        for (int v = 0; v < 6; v++) {
            memcpy(buf, bin, binlen);
            size_t len = binlen;
            size_t body = binlen - (n + 1) * LPAE_TEV_SIZE;
            switch (v) {
            case 1: /* cut anywhere in the records */
                len = body + lcg(&x) % ((n + 1) * LPAE_TEV_SIZE);
                break;
            case 2: /* a byte of a record changed */
            case 3:
                buf[body + lcg(&x) % ((n + 1) * LPAE_TEV_SIZE)] = (char)lcg(&x);
                break;
            case 4: /* bytes after the end record */
                for (int k = 0; k < 1 + (int)(lcg(&x) % 40); k++)
                    buf[len++] = (char)(lcg(&x) % 3);
                break;
            case 5: /* the end record counts one more */
                buf[binlen - LPAE_TEV_SIZE + 8]++;
                break;
            default:
                break;
            }
            lpae_trace_ropts o = {.format = v % 2 ? LPAE_TRACE_BINARY : LPAE_TRACE_AUTO};
            many_matches_single(buf, len, &o, &x);
            errors += v != 0;
        }
        free(buf);
        free(bin);
    }
    assert_true(errors > 100);
    free(ev);
}

/* Random valid events written as text and as binary read back identical
 * to what was written, in both formats (fixed seed). */
static void text_and_binary_read_back_identical(void **state)
{
    (void)state;
    enum { N = 30000 };
    lpae_tev *ev = malloc(N * sizeof *ev);
    assert_non_null(ev);
    uint64_t x = 99;
    for (size_t i = 0; i < N; i++)
        rand_event(&x, &ev[i]);
    char t[300], b[300];
    path_of(t, sizeof t, "rand.txt");
    path_of(b, sizeof b, "rand.lpb");
    write_events(t, LPAE_TRACE_TEXT, ev, N);
    write_events(b, LPAE_TRACE_BINARY, ev, N);
    read_back(t, LPAE_TRACE_TEXT, ev, N);
    read_back(b, LPAE_TRACE_BINARY, ev, N);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_every_kind),
        cmocka_unit_test(text_errors_have_line_numbers),
        cmocka_unit_test(skip_bad_lines_counts),
        cmocka_unit_test(truncated_binary_reports_events_then_etrunc),
        cmocka_unit_test(binary_buffer_boundaries),
        cmocka_unit_test(parse_u64_edges),
        cmocka_unit_test(gz_input_and_damage),
        cmocka_unit_test(argument_and_event_checks),
        cmocka_unit_test(syscall_names),
        cmocka_unit_test(memory_flat_in_trace_length),
        cmocka_unit_test(damaged_inputs_fail_cleanly),
        cmocka_unit_test(tev_check_fast_matches_reference),
        cmocka_unit_test(text_fast_matches_reference),
        cmocka_unit_test(sysmemo_matches_lookup),
        cmocka_unit_test(text_reader_matches_line_reader),
        cmocka_unit_test(text_and_binary_read_back_identical),
        cmocka_unit_test(read_many_matches_read_binary),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
