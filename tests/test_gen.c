/* SPDX-License-Identifier: MIT */
/* Generators: determinism from the seed, parameters in the header, every
 * workload valid, parameter errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/trace.h"

/* Generate into memory; returns malloc'd bytes. */
static char *gen_mem(lpae_gen_kind k, const lpae_gen_params *p, lpae_trace_fmt fmt, size_t *len,
                     int *rc)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open_file(f, fmt, &w), 0);
    *rc = lpae_trace_gen(k, p, w);
    assert_int_equal(lpae_trace_writer_close(w, *rc == 0), 0);
    fclose(f);
    return buf;
}

static void deterministic_from_seed(void **state)
{
    (void)state;
    for (lpae_gen_kind k = LPAE_GEN_DD; k <= LPAE_GEN_MIXED; k++) {
        lpae_gen_params p;
        assert_int_equal(lpae_gen_defaults(k, &p), 0);
        p.count = 200;
        p.procs = 20;
        p.touches = 2;
        p.seed = 12345;
        size_t l1, l2, l3;
        int rc;
        char *a = gen_mem(k, &p, LPAE_TRACE_BINARY, &l1, &rc);
        assert_int_equal(rc, 0);
        char *b = gen_mem(k, &p, LPAE_TRACE_BINARY, &l2, &rc);
        assert_int_equal(l1, l2);
        assert_memory_equal(a, b, l1);
        p.seed = 12346;
        char *c = gen_mem(k, &p, LPAE_TRACE_BINARY, &l3, &rc);
        assert_true(l1 != l3 || memcmp(a, c, l1) != 0);
        free(a);
        free(b);
        free(c);
    }
}

static void parameters_in_header_and_events_valid(void **state)
{
    (void)state;
    const char *names[] = {NULL, "dd", "smallsys", "procs", "mixed"};
    for (lpae_gen_kind k = LPAE_GEN_DD; k <= LPAE_GEN_MIXED; k++) {
        lpae_gen_params p;
        lpae_gen_kind kk;
        assert_int_equal(lpae_gen_kind_from_name(names[k], &kk), 0);
        assert_int_equal(kk, k);
        assert_int_equal(lpae_gen_defaults(k, &p), 0);
        assert_int_equal(lpae_gen_param_set(&p, "bs", "12K"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "count", "50"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "procs", "300"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "cpus", "4"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "src", "pipe"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "dst", "file"), 0);
        assert_int_equal(lpae_gen_param_set(&p, "seed", "0x99"), 0);
        size_t len;
        int rc;
        char *buf = gen_mem(k, &p, LPAE_TRACE_TEXT, &len, &rc);
        assert_int_equal(rc, 0);
        FILE *f = fmemopen(buf, len, "r");
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open_file(f, "gen", NULL, &r), 0);
        assert_string_equal(lpae_trace_header_find(r, "gen.kind"), names[k]);
        assert_string_equal(lpae_trace_header_find(r, "gen.bs"), "12288");
        assert_string_equal(lpae_trace_header_find(r, "gen.count"), "50");
        assert_string_equal(lpae_trace_header_find(r, "gen.procs"), "300");
        assert_string_equal(lpae_trace_header_find(r, "gen.cpus"), "4");
        assert_string_equal(lpae_trace_header_find(r, "gen.src"), "pipe");
        assert_string_equal(lpae_trace_header_find(r, "gen.dst"), "file");
        assert_string_equal(lpae_trace_header_find(r, "gen.seed"), "153");
        assert_non_null(lpae_trace_header_find(r, "gen.tasks"));
        assert_non_null(lpae_trace_header_find(r, "gen.touches"));
        lpae_tev ev;
        size_t kinds[LPAE_TEV_KIND_MAX + 1] = {0};
        uint32_t maxcpu = 0;
        uint64_t pipe_bytes = 0, file_bytes = 0;
        while ((rc = lpae_trace_read(r, &ev)) == 1) {
            kinds[ev.kind]++;
            if (ev.cpu > maxcpu)
                maxcpu = ev.cpu;
            if (ev.kind == LPAE_TEV_COPY_TO_USER && ev.kbuf == LPAE_KBUF_PAGE)
                pipe_bytes += ev.len;
            if (ev.kind == LPAE_TEV_COPY_FROM_USER && ev.kbuf == LPAE_KBUF_PAGECACHE) {
                file_bytes += ev.len;
                assert_true(ev.len <= 4096);
            }
        }
        assert_int_equal(rc, 0);
        lpae_trace_reader_close(r);
        fclose(f);
        free(buf);
        assert_true(kinds[LPAE_TEV_SYS_ENTER] > 0);
        assert_true(kinds[LPAE_TEV_EXIT] > 0);
        if (k == LPAE_GEN_DD) {
            assert_int_equal(maxcpu, 0); /* dd runs on one CPU */
            assert_int_equal(pipe_bytes, 50 * 12288);
            assert_int_equal(file_bytes, 50 * 12288);
        }
        if (k == LPAE_GEN_SMALLSYS)
            assert_true(kinds[LPAE_TEV_GET_USER] + kinds[LPAE_TEV_PUT_USER] > 50);
        if (k == LPAE_GEN_PROCS) {
            assert_int_equal(kinds[LPAE_TEV_FORK], 300);
            assert_int_equal(kinds[LPAE_TEV_EXEC], 300); /* > 255 address spaces */
            assert_int_equal(maxcpu, 3);
        }
        if (k == LPAE_GEN_MIXED)
            assert_true(kinds[LPAE_TEV_FORK] > 300);
    }
}

static void dd_zero_to_null_only_clears(void **state)
{
    (void)state;
    lpae_gen_params p;
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_DD, &p), 0);
    assert_int_equal(lpae_gen_param_set(&p, "src", "zero"), 0);
    assert_int_equal(lpae_gen_param_set(&p, "dst", "null"), 0);
    p.count = 10;
    size_t len;
    int rc;
    char *buf = gen_mem(LPAE_GEN_DD, &p, LPAE_TRACE_BINARY, &len, &rc);
    FILE *f = fmemopen(buf, len, "r");
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open_file(f, "gen", NULL, &r), 0);
    lpae_tev ev;
    size_t clears = 0, copies = 0;
    while (lpae_trace_read(r, &ev) == 1) {
        clears += ev.kind == LPAE_TEV_CLEAR_USER;
        copies += ev.kind == LPAE_TEV_COPY_FROM_USER || ev.kind == LPAE_TEV_COPY_TO_USER;
    }
    assert_int_equal(clears, 10);
    assert_int_equal(copies, 0);
    lpae_trace_reader_close(r);
    fclose(f);
    free(buf);
}

static void parameter_errors(void **state)
{
    (void)state;
    lpae_gen_params p;
    lpae_gen_kind k;
    assert_int_equal(lpae_gen_defaults(0, &p), LPAE_EINVAL);
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_DD, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_gen_kind_from_name("nope", &k), LPAE_EINVAL);
    assert_int_equal(lpae_gen_kind_from_name(NULL, &k), LPAE_EINVAL);
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_DD, &p), 0);
    assert_int_equal(lpae_gen_param_set(&p, "colour", "1"), LPAE_EINVAL);
    assert_int_equal(lpae_gen_param_set(&p, "bs", "12Q"), LPAE_EPARSE);
    assert_int_equal(lpae_gen_param_set(&p, "bs", "-1"), LPAE_EPARSE);
    assert_int_equal(lpae_gen_param_set(&p, "bs", "8G"), LPAE_ERANGE);
    assert_int_equal(lpae_gen_param_set(&p, "src", "null"), LPAE_EPARSE);
    assert_int_equal(lpae_gen_param_set(&p, "dst", "zero"), LPAE_EPARSE);
    assert_int_equal(lpae_gen_param_set(NULL, "bs", "1"), LPAE_EINVAL);
    /* each numeric key refuses its range's neighbours and takes its ends */
    static const char *const keys[] = {"bs", "tasks", "procs", "cpus", "touches"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        uint64_t lo, hi;
        char v[32];
        assert_int_equal(lpae_gen_param_range(keys[i], &lo, &hi), 0);
        assert_true(lo <= hi);
        snprintf(v, sizeof v, "%llu", (unsigned long long)lo);
        assert_int_equal(lpae_gen_param_set(&p, keys[i], v), 0);
        snprintf(v, sizeof v, "%llu", (unsigned long long)hi);
        assert_int_equal(lpae_gen_param_set(&p, keys[i], v), 0);
        if (lo > 0) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)lo - 1);
            assert_int_equal(lpae_gen_param_set(&p, keys[i], v), LPAE_ERANGE);
        }
        snprintf(v, sizeof v, "%llu", (unsigned long long)hi + 1);
        assert_int_equal(lpae_gen_param_set(&p, keys[i], v), LPAE_ERANGE);
    }
    {
        uint64_t lo, hi;
        assert_int_equal(lpae_gen_param_range("src", &lo, &hi), LPAE_EINVAL);
        assert_int_equal(lpae_gen_param_range(NULL, &lo, &hi), LPAE_EINVAL);
        assert_int_equal(lpae_gen_param_range("bs", NULL, &hi), LPAE_EINVAL);
    }
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_DD, &p), 0);
    size_t len;
    int rc;
    p.bs = 0;
    char *buf = gen_mem(LPAE_GEN_DD, &p, LPAE_TRACE_BINARY, &len, &rc);
    assert_int_equal(rc, LPAE_ERANGE);
    free(buf);
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_SMALLSYS, &p), 0);
    p.cpus = 0;
    buf = gen_mem(LPAE_GEN_SMALLSYS, &p, LPAE_TRACE_BINARY, &len, &rc);
    assert_int_equal(rc, LPAE_ERANGE);
    free(buf);
    assert_int_equal(lpae_trace_gen(LPAE_GEN_DD, NULL, NULL), LPAE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic_from_seed),
        cmocka_unit_test(parameters_in_header_and_events_valid),
        cmocka_unit_test(dd_zero_to_null_only_clears),
        cmocka_unit_test(parameter_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
