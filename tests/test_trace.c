/* SPDX-License-Identifier: MIT */
/* Trace formats: text <-> binary round trips, headers, error reporting,
 * truncation, skipping bad lines, .gz input, memory flat in trace length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpae/err.h"
#include "lpae/trace.h"
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
        assert_int_equal(truncate(b, size), 0);
        FILE *in = fopen(b, "rb"), *out = fopen(c, "wb");
        for (long k = 0; k < cuts[i]; k++)
            putc(getc(in), out);
        fclose(in);
        fclose(out);
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
            FILE *in = fopen(b, "rb"), *out = fopen(c, "wb");
            for (long j = 0; j < cut; j++)
                putc(getc(in), out);
            fclose(in);
            fclose(out);
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
            FILE *f = fmemopen(buf, cut ? cut : 1, "r");
            lpae_trace_ropts o = {.format = s < 3 ? fmts[s] : LPAE_TRACE_AUTO,
                                  .skip_bad = iter % 2};
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
        ev.kind = (uint8_t)(lcg(&x) % (LPAE_TEV_KIND_MAX + 3));
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
            ev.len = lcg(&x) % 2 ? lcg(&x) % 12 : lcg(&x);
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
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
