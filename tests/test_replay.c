/* SPDX-License-Identifier: MIT */
/* Replay engine: determinism, one multi-configuration pass equals separate
 * passes, memory flat in trace length, truncated and damaged traces are
 * reported after the events before the damage, SMP CPU checks, progress,
 * and the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpae/cost.h"
#include "lpae/err.h"
#include "lpae/machine.h"
#include "lpae/replay.h"
#include "lpae/split.h"
#include "lpae/trace.h"

static char tmpdir[256];
static lpae_cost *a15;

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* Generate workload @p kind with parameters "k=v" pairs into tmpdir/@p name. */
static void gen(const char *name, lpae_gen_kind kind, const char *const *kv, size_t nkv,
                lpae_trace_fmt fmt)
{
    char path[400];
    path_of(path, sizeof(path), name);
    lpae_gen_params p;
    assert_int_equal(lpae_gen_defaults(kind, &p), 0);
    for (size_t i = 0; i + 1 < nkv; i += 2)
        assert_int_equal(lpae_gen_param_set(&p, kv[i], kv[i + 1]), 0);
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(path, fmt, &w), 0);
    assert_int_equal(lpae_trace_gen(kind, &p, w), 0);
    assert_int_equal(lpae_trace_writer_close(w, true), 0);
}

static void config(lpae_kernel_config *kc, lpae_strategy s, unsigned ncpus, uint32_t thr)
{
    lpae_kernel_config_init(kc);
    kc->cost = a15;
    kc->ncpus = ncpus;
    kc->strategy = s;
    assert_int_equal(lpae_split_find(lpae_strategy_natural_split(s), &kc->split), 0);
    if (thr)
        kc->hybrid_threshold = thr;
    kc->seed = 42;
}

/* The configurations the tests replay: every strategy, and hybrid twice. */
#define NCFG (LPAE_STRAT_COUNT + 1)
static void add_all(lpae_replay *rp, unsigned ncpus)
{
    for (int s = 0; s < LPAE_STRAT_COUNT; s++) {
        lpae_kernel_config kc;
        config(&kc, (lpae_strategy)s, ncpus, 0);
        assert_int_equal(lpae_replay_add(rp, &kc), s);
    }
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_HYBRID, ncpus, 4096);
    assert_int_equal(lpae_replay_add(rp, &kc), LPAE_STRAT_COUNT);
}

static void replay_file(const char *name, unsigned ncpus, lpae_kernel_stats *st,
                        lpae_replay_summary *sum)
{
    char path[400];
    path_of(path, sizeof(path), name);
    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(&rp), 0);
    add_all(rp, ncpus);
    assert_int_equal(lpae_replay_run_path(rp, path, NULL, NULL, sum), 0);
    for (size_t i = 0; i < NCFG; i++) {
        const char *msg;
        assert_int_equal(lpae_replay_status(rp, i, &msg), 0);
        assert_string_equal(msg, "");
        assert_int_equal(lpae_replay_stats(rp, i, &st[i]), 0);
    }
    lpae_replay_destroy(rp);
}

static void deterministic(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "300",     "procs", "20",   "cpus",
                                     "2",     "touches", "2",     "seed", "5"};
    gen("mixed.lpb", LPAE_GEN_MIXED, kv, 10, LPAE_TRACE_BINARY);
    gen("mixed.txt", LPAE_GEN_MIXED, kv, 10, LPAE_TRACE_TEXT);
    lpae_kernel_stats a[NCFG], b[NCFG], c[NCFG];
    lpae_replay_summary sa, sb, sc;
    replay_file("mixed.lpb", 2, a, &sa);
    replay_file("mixed.lpb", 2, b, &sb);
    replay_file("mixed.txt", 2, c, &sc); /* the text form replays the same */
    assert_true(sa.events > 1000);
    assert_int_equal(sa.events, sb.events);
    assert_int_equal(sa.events, sc.events);
    assert_int_equal(sa.bytes, sa.total_bytes); /* read to the end */
    for (size_t i = 0; i < NCFG; i++) {
        assert_true(a[i].cycles > 0);
        assert_int_equal(a[i].events, sa.events);
        assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
        assert_memory_equal(&a[i], &c[i], sizeof(a[i]));
    }
    /* and the strategies do differ, so equality above means something */
    assert_true(a[LPAE_STRAT_DIRECT].cycles != a[LPAE_STRAT_PINNED].cycles);
}

static void multi_config_equals_separate(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "200", "procs", "12", "cpus", "2", "seed", "9"};
    gen("multi.lpb", LPAE_GEN_MIXED, kv, 8, LPAE_TRACE_BINARY);
    lpae_kernel_stats together[NCFG];
    lpae_replay_summary sum;
    replay_file("multi.lpb", 2, together, &sum);
    char path[400];
    path_of(path, sizeof(path), "multi.lpb");
    for (size_t i = 0; i < NCFG; i++) {
        lpae_replay *rp;
        assert_int_equal(lpae_replay_create(&rp), 0);
        lpae_kernel_config kc;
        if (i < LPAE_STRAT_COUNT)
            config(&kc, (lpae_strategy)i, 2, 0);
        else
            config(&kc, LPAE_STRAT_HYBRID, 2, 4096);
        assert_int_equal(lpae_replay_add(rp, &kc), 0);
        lpae_replay_summary s1;
        assert_int_equal(lpae_replay_run_path(rp, path, NULL, NULL, &s1), 0);
        assert_int_equal(s1.events, sum.events);
        lpae_kernel_stats alone;
        assert_int_equal(lpae_replay_stats(rp, 0, &alone), 0);
        assert_memory_equal(&alone, &together[i], sizeof(alone));
        lpae_replay_destroy(rp);
    }
}

/* Replay skips lpae_tev_check() for text and binary traces because their
 * readers return only checked events: check that contract, and that replay
 * gives exactly what lpae_kernel_apply() (which checks) gives event by event. */
static void replay_equals_kernel_apply(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "150", "procs", "10", "cpus", "2", "seed", "3"};
    static const char *const names[2] = {"apply.lpb", "apply.txt"};
    gen(names[0], LPAE_GEN_MIXED, kv, 8, LPAE_TRACE_BINARY);
    gen(names[1], LPAE_GEN_MIXED, kv, 8, LPAE_TRACE_TEXT);
    for (int f = 0; f < 2; f++) {
        lpae_kernel_stats viareplay[NCFG];
        lpae_replay_summary sum;
        replay_file(names[f], 2, viareplay, &sum);
        lpae_kernel *k[NCFG];
        for (size_t i = 0; i < NCFG; i++) {
            lpae_kernel_config kc;
            config(&kc, i < LPAE_STRAT_COUNT ? (lpae_strategy)i : LPAE_STRAT_HYBRID, 2,
                   i < LPAE_STRAT_COUNT ? 0 : 4096);
            assert_int_equal(lpae_kernel_create(&kc, &k[i]), 0);
        }
        char path[400];
        path_of(path, sizeof(path), names[f]);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
        lpae_tev ev;
        uint64_t n = 0;
        int rc;
        while ((rc = lpae_trace_read(r, &ev)) == 1) {
            assert_int_equal(lpae_tev_check(&ev, NULL), 0);
            for (size_t i = 0; i < NCFG; i++)
                assert_int_equal(lpae_kernel_apply(k[i], &ev, NULL), 0);
            n++;
        }
        assert_int_equal(rc, 0);
        lpae_trace_reader_close(r);
        assert_int_equal(n, sum.events);
        assert_true(n > 500);
        for (size_t i = 0; i < NCFG; i++) {
            lpae_kernel_stats st;
            assert_int_equal(lpae_kernel_stats_get(k[i], &st), 0);
            assert_memory_equal(&st, &viareplay[i], sizeof(st));
            lpae_kernel_destroy(k[i]);
        }
    }
}

/* Per-phase cycles (test_golden holds totals, not the phase split) of
 * every strategy on a small mixed trace, recorded with main at 13e6661,
 * before the speed work: phase bookkeeping may get cheaper, never
 * different. */
static void phase_cycles_match_reference(void **state)
{
    (void)state;
    static const uint64_t want[LPAE_STRAT_COUNT][LPAE_PH_COUNT] = {
        {595670, 66200, 0, 0, 75993, 5041617, 3866000, 27720, 1635058},
        {893510, 66200, 462900, 0, 75993, 5041617, 3866000, 27720, 1635058},
        {945065, 0, 0, 1448853, 2062369, 5164264, 3866000, 27720, 1644502},
        {1021145, 0, 462900, 0, 75222, 6110412, 3866000, 27720, 1636647},
        {1004465, 0, 344500, 376734, 591827, 5113415, 3866000, 27720, 1637797},
    };
    static const char *const kv[] = {"count", "60", "touches", "2", "cpus", "2", "seed", "11"};
    gen("phases.lpb", LPAE_GEN_MIXED, kv, 8, LPAE_TRACE_BINARY);
    char path[400];
    path_of(path, sizeof(path), "phases.lpb");
    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(&rp), 0);
    for (int s = 0; s < LPAE_STRAT_COUNT; s++) {
        lpae_kernel_config kc;
        lpae_kernel_config_init(&kc);
        kc.ncpus = 2;
        kc.strategy = (lpae_strategy)s;
        assert_int_equal(lpae_split_find(lpae_strategy_natural_split(kc.strategy), &kc.split), 0);
        assert_int_equal(lpae_replay_add(rp, &kc), s);
    }
    lpae_replay_summary sum;
    assert_int_equal(lpae_replay_run_path(rp, path, NULL, NULL, &sum), 0);
    assert_int_equal(sum.events, 31987);
    for (int s = 0; s < LPAE_STRAT_COUNT; s++) {
        lpae_kernel_stats ks;
        assert_int_equal(lpae_replay_stats(rp, (size_t)s, &ks), 0);
        uint64_t total = 0;
        for (int i = 0; i < LPAE_PH_COUNT; i++) {
            assert_int_equal(ks.phase[i], want[s][i]);
            total += ks.phase[i];
        }
        assert_int_equal(total, ks.cycles);
    }
    lpae_replay_destroy(rp);
}

static size_t reader_mem_first, reader_mem_seen;
static void progress_mem(void *ctx, const lpae_replay_progress *p)
{
    lpae_trace_reader *r = ctx;
    (void)p;
    size_t m = lpae_trace_reader_mem(r);
    if (!reader_mem_first)
        reader_mem_first = m;
    if (m > reader_mem_seen)
        reader_mem_seen = m;
}

static void memory_flat_in_trace_length(void **state)
{
    (void)state;
    size_t engine[3], reader[3];
    uint64_t events[3];
    static const char *const counts[3] = {"500", "2000", "8000"};
    for (int i = 0; i < 3; i++) {
        const char *kv[] = {"count", counts[i], "bs", "16K", "seed", "3"};
        char name[32];
        snprintf(name, sizeof(name), "dd%d.lpb", i);
        gen(name, LPAE_GEN_DD, kv, 6, LPAE_TRACE_BINARY);
        char path[400];
        path_of(path, sizeof(path), name);
        lpae_replay *rp;
        assert_int_equal(lpae_replay_create(&rp), 0);
        add_all(rp, 1);
        size_t before = lpae_replay_mem(rp);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
        reader_mem_seen = reader_mem_first = 0;
        lpae_replay_opts o = {progress_mem, r, 1000, 0};
        lpae_replay_summary sum;
        assert_int_equal(lpae_replay_run(rp, r, &o, &sum), 0);
        engine[i] = lpae_replay_mem(rp);
        assert_int_equal(engine[i], before); /* nothing allocated while replaying */
        reader[i] = reader_mem_seen;
        assert_int_equal(reader_mem_first, reader_mem_seen); /* the reader stays flat too */
        events[i] = sum.events;
        assert_int_equal(sum.bytes, 0); /* unknown for a caller's reader */
        lpae_trace_reader_close(r);
        lpae_replay_destroy(rp);
    }
    assert_true(events[2] > 10 * events[0]);
    assert_int_equal(engine[0], engine[1]);
    assert_int_equal(engine[1], engine[2]);
    assert_true(reader[0] > 0);
    /* the header (which records the count) is the only difference between the readers */
    assert_true(reader[2] - reader[0] < 16);
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

static void copy_prefix(const char *from, const char *to, long n)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    assert_non_null(a);
    assert_non_null(b);
    for (long i = 0; i < n; i++)
        fputc(fgetc(a), b);
    fclose(a);
    fclose(b);
}

static void truncated_trace_reports_events_then_error(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "100", "seed", "1"};
    gen("t.lpb", LPAE_GEN_DD, kv, 4, LPAE_TRACE_BINARY);
    char full[400], cut[400], cutgz[400], cmd[1000];
    path_of(full, sizeof(full), "t.lpb");
    path_of(cut, sizeof(cut), "t_cut.lpb");
    long size = file_size(full);
    /* the end record (32 bytes) and 10 bytes of the last event go */
    copy_prefix(full, cut, size - 42);
    lpae_kernel_stats whole[NCFG];
    lpae_replay_summary ws;
    replay_file("t.lpb", 1, whole, &ws);

    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(&rp), 0);
    add_all(rp, 1);
    lpae_replay_summary sum;
    assert_int_equal(lpae_replay_run_path(rp, cut, NULL, NULL, &sum), LPAE_ETRUNC);
    assert_int_equal(sum.status, LPAE_ETRUNC);
    assert_int_equal(sum.events, ws.events - 1);
    assert_non_null(strstr(sum.error, "truncated"));
    assert_non_null(strstr(sum.error, "t_cut.lpb"));
    for (size_t i = 0; i < NCFG; i++) {
        lpae_kernel_stats st;
        assert_int_equal(lpae_replay_stats(rp, i, &st), 0);
        assert_int_equal(st.events, sum.events); /* the events before the damage were applied */
    }
    /* a run has started: no more configurations */
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_DIRECT, 1, 0);
    assert_int_equal(lpae_replay_add(rp, &kc), LPAE_ESTATE);
    lpae_replay_destroy(rp);

    /* a cut .gz: the events gzip could give, then the error */
    path_of(cutgz, sizeof(cutgz), "t_cut.lpb.gz");
    snprintf(cmd, sizeof(cmd), "gzip -c '%s' | head -c 600 > '%s'", full, cutgz);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(lpae_replay_create(&rp), 0);
    add_all(rp, 1);
    int rc = lpae_replay_run_path(rp, cutgz, NULL, NULL, &sum);
    assert_int_equal(rc, LPAE_ETRUNC);
    assert_true(sum.events < ws.events);
    assert_true(sum.error[0] != '\0');
    lpae_replay_destroy(rp);

    /* a whole .gz replays like the plain file, with compressed byte progress */
    snprintf(cmd, sizeof(cmd), "gzip -kf '%s'", full);
    assert_int_equal(system(cmd), 0);
    char gz[420];
    snprintf(gz, sizeof(gz), "%s.gz", full);
    assert_int_equal(lpae_replay_create(&rp), 0);
    add_all(rp, 1);
    assert_int_equal(lpae_replay_run_path(rp, gz, NULL, NULL, &sum), 0);
    assert_int_equal(sum.events, ws.events);
    assert_int_equal(sum.total_bytes, (uint64_t)file_size(gz));
    assert_int_equal(sum.bytes, sum.total_bytes);
    lpae_kernel_stats st;
    assert_int_equal(lpae_replay_stats(rp, 0, &st), 0);
    assert_memory_equal(&st, &whole[0], sizeof(st));
    lpae_replay_destroy(rp);

    /* a bad text line: file:line, after the events before it */
    char bad[400];
    path_of(bad, sizeof(bad), "bad.txt");
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("# lpae-trace v1\n0 1 sys_enter sys=getpid\n0 1 sys_exit sys=getpid ret=1\n0 1 bogus\n",
          f);
    fclose(f);
    assert_int_equal(lpae_replay_create(&rp), 0);
    add_all(rp, 1);
    assert_int_equal(lpae_replay_run_path(rp, bad, NULL, NULL, &sum), LPAE_EPARSE);
    assert_int_equal(sum.events, 2);
    assert_non_null(strstr(sum.error, "bad.txt:4: "));
    lpae_replay_destroy(rp);
}

static uint64_t last_events, calls;
static void progress_count(void *ctx, const lpae_replay_progress *p)
{
    (void)ctx;
    assert_true(p->events >= last_events);
    assert_true(p->total_bytes == 0 || p->bytes <= p->total_bytes);
    last_events = p->events;
    calls++;
}

static void smp_cpus_progress_and_limits(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "100", "tasks", "4", "cpus", "2", "seed", "2"};
    gen("smp.lpb", LPAE_GEN_SMALLSYS, kv, 8, LPAE_TRACE_BINARY);
    char path[400];
    path_of(path, sizeof(path), "smp.lpb");
    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(&rp), 0);
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_PINNED, 1, 0); /* too few CPUs for this trace */
    assert_int_equal(lpae_replay_add(rp, &kc), 0);
    config(&kc, LPAE_STRAT_PINNED, 2, 0);
    assert_int_equal(lpae_replay_add(rp, &kc), 1);
    assert_int_equal(lpae_replay_count(rp), 2);
    last_events = calls = 0;
    lpae_replay_opts o = {progress_count, NULL, 50, 0};
    lpae_replay_summary sum;
    assert_int_equal(lpae_replay_run_path(rp, path, NULL, &o, &sum), 0);
    assert_int_equal(last_events, sum.events);
    assert_true(calls >= sum.events / 50);
    const char *msg;
    assert_int_equal(lpae_replay_status(rp, 0, &msg), LPAE_EINVAL);
    assert_non_null(strstr(msg, "CPU 1 but the configuration has 1 CPU"));
    assert_int_equal(lpae_replay_status(rp, 1, &msg), 0);
    lpae_kernel_stats st;
    assert_int_equal(lpae_replay_stats(rp, 1, &st), 0);
    assert_int_equal(st.events, sum.events);
    assert_non_null(lpae_replay_kernel(rp, 1));
    assert_null(lpae_replay_kernel(rp, 2));
    lpae_replay_destroy(rp);

    /* max_events stops early and cleanly */
    assert_int_equal(lpae_replay_create(&rp), 0);
    assert_int_equal(lpae_replay_add(rp, &kc), 0);
    lpae_replay_opts lim = {NULL, NULL, 0, 10};
    assert_int_equal(lpae_replay_run_path(rp, path, NULL, &lim, &sum), 0);
    assert_int_equal(sum.events, 10);
    assert_int_equal(lpae_replay_stats(rp, 0, &st), 0);
    assert_int_equal(st.events, 10);
    lpae_replay_destroy(rp);
}

/* Replay takes events from the reader in batches: a report still comes
 * after exactly every progress_every events, with every configuration
 * having applied all of them; a configuration's failure names its event;
 * max_events stops at its event inside a batch. */
static uint64_t every_seen, every_bad, every_at[256];
static void progress_exact(void *ctx, const lpae_replay_progress *p)
{
    lpae_replay *rp = ctx;
    lpae_kernel_stats st;
    assert_int_equal(lpae_replay_stats(rp, 1, &st), 0);
    if (st.events != p->events)
        every_bad++;
    if (every_seen < 256)
        every_at[every_seen] = p->events;
    every_seen++;
}

static void batches_end_at_reports_and_limits(void **state)
{
    (void)state;
    static const char *const kv[] = {"count", "300", "tasks", "4", "cpus", "2", "seed", "5"};
    gen("batch.lpb", LPAE_GEN_SMALLSYS, kv, 8, LPAE_TRACE_BINARY);
    char path[400];
    path_of(path, sizeof(path), "batch.lpb");
    /* the first event on CPU 1, numbered from 1 */
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
    lpae_tev ev;
    uint64_t n = 0, first_cpu1 = 0;
    while (lpae_trace_read(r, &ev) == 1) {
        n++;
        if (ev.cpu == 1 && !first_cpu1)
            first_cpu1 = n;
    }
    lpae_trace_reader_close(r);
    assert_true(n > 1000 && first_cpu1 > 1);
    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(&rp), 0);
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_PINNED, 1, 0);
    assert_int_equal(lpae_replay_add(rp, &kc), 0);
    config(&kc, LPAE_STRAT_PINNED, 2, 0);
    assert_int_equal(lpae_replay_add(rp, &kc), 1);
    every_seen = every_bad = 0;
    lpae_replay_opts o = {progress_exact, rp, 37, 0};
    lpae_replay_summary sum;
    assert_int_equal(lpae_replay_run_path(rp, path, NULL, &o, &sum), 0);
    assert_int_equal(sum.events, n);
    assert_true(n / 37 + 1 < 256);
    assert_int_equal(every_seen, n / 37 + 1); /* one per 37 events, and the final one */
    assert_int_equal(every_bad, 0);
    for (uint64_t i = 0; i + 1 < every_seen; i++)
        assert_int_equal(every_at[i], 37 * (i + 1));
    assert_int_equal(every_at[every_seen - 1], n);
    const char *msg;
    char want[64];
    snprintf(want, sizeof want, "event %llu (", (unsigned long long)first_cpu1);
    assert_int_equal(lpae_replay_status(rp, 0, &msg), LPAE_EINVAL);
    assert_non_null(strstr(msg, want));
    lpae_kernel_stats st;
    assert_int_equal(lpae_replay_stats(rp, 0, &st), 0);
    assert_int_equal(st.events, first_cpu1 - 1);
    lpae_replay_destroy(rp);
    for (uint64_t lim = 255; lim <= 514; lim += 37) {
        assert_int_equal(lpae_replay_create(&rp), 0);
        assert_int_equal(lpae_replay_add(rp, &kc), 0);
        lpae_replay_opts lo = {NULL, NULL, 0, lim};
        assert_int_equal(lpae_replay_run_path(rp, path, NULL, &lo, &sum), 0);
        assert_int_equal(sum.events, lim);
        assert_int_equal(lpae_replay_stats(rp, 0, &st), 0);
        assert_int_equal(st.events, lim);
        lpae_replay_destroy(rp);
    }
}

/* Write @p text into tmpdir/@p name and open a reader on it. */
static lpae_trace_reader *open_text(const char *name, const char *text)
{
    char path[400];
    path_of(path, sizeof(path), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    lpae_trace_reader *r = NULL;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
    return r;
}

/* lpae_replay_config_for_trace(): the CPU count from gen.cpus (capped,
 * ignored when absent or not a number >= 1), implicit VMAs exactly for
 * imported captures, every other field untouched. Regression: bench/speed
 * replayed imported strace captures with strict VMAs, so most of their
 * copies faulted instead of being modelled. */
static void config_for_trace(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned ncpus; /* expected, from 5 */
        bool implicit;
    } cases[] = {
        {"# lpae-trace v1\n# gen.cpus=3\n0 1 switch\n", 3, false},
        {"# lpae-trace v1\n# gen.cpus=99\n0 1 switch\n", LPAE_MAX_CPUS, false},
        {"# lpae-trace v1\n# gen.cpus=0\n0 1 switch\n", 5, false},
        {"# lpae-trace v1\n# gen.cpus=two\n0 1 switch\n", 5, false},
        {"# lpae-trace v1\n0 1 switch\n", 5, false},
        {"# lpae-trace v1\n# import=strace\n0 1 switch\n", 5, true},
        {"# lpae-trace v1\n# import=ftrace\n# gen.cpus=2\n0 1 switch\n", 2, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lpae_trace_reader *r = open_text("hdr.lpt", cases[i].text);
        lpae_kernel_config kc, before;
        config(&kc, LPAE_STRAT_PINNED, 5, 0);
        kc.implicit_vmas = !cases[i].implicit;
        memcpy(&before, &kc, sizeof kc); /* padding too */
        assert_int_equal(lpae_replay_config_for_trace(r, &kc), 0);
        assert_int_equal(kc.ncpus, cases[i].ncpus);
        assert_int_equal(kc.implicit_vmas, cases[i].implicit);
        kc.ncpus = before.ncpus;
        kc.implicit_vmas = before.implicit_vmas;
        assert_memory_equal(&kc, &before, sizeof kc);
        assert_int_equal(lpae_replay_config_for_trace(r, NULL), LPAE_EINVAL);
        lpae_trace_reader_close(r);
    }
    /* a strace capture read directly is an import too */
    char path[400];
    snprintf(path, sizeof path, "%s/tests/data/strace_sh_pipe.txt", LPAE_SOURCE_DIR);
    lpae_trace_reader *r = NULL;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), 0);
    assert_int_equal(lpae_trace_reader_format(r), LPAE_TRACE_STRACE);
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_PINNED, 1, 0);
    assert_int_equal(lpae_replay_config_for_trace(r, &kc), 0);
    assert_true(kc.implicit_vmas);
    assert_int_equal(kc.ncpus, 1);
    lpae_trace_reader_close(r);
    assert_int_equal(lpae_replay_config_for_trace(NULL, &kc), LPAE_EINVAL);
}

static void error_paths(void **state)
{
    (void)state;
    lpae_replay *rp;
    assert_int_equal(lpae_replay_create(NULL), LPAE_EINVAL);
    assert_int_equal(lpae_replay_create(&rp), 0);
    assert_int_equal(lpae_replay_add(rp, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_replay_add(NULL, NULL), LPAE_EINVAL);
    lpae_kernel_config kc;
    config(&kc, LPAE_STRAT_DIRECT, 1, 0);
    kc.ncpus = 0; /* rejected by the kernel: nothing added */
    assert_true(lpae_replay_add(rp, &kc) < 0);
    assert_int_equal(lpae_replay_count(rp), 0);
    assert_int_equal(lpae_replay_run(rp, NULL, NULL, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_replay_run_path(rp, NULL, NULL, NULL, NULL), LPAE_EINVAL);
    lpae_replay_summary sum;
    assert_int_equal(lpae_replay_run_path(rp, "/nonexistent/x.lpb", NULL, NULL, &sum), LPAE_EIO);
    assert_non_null(strstr(sum.error, "/nonexistent/x.lpb"));
    assert_int_equal(lpae_replay_run_path(rp, "/nonexistent/x.lpb.gz", NULL, NULL, &sum), LPAE_EIO);
    const char *msg = NULL;
    assert_int_equal(lpae_replay_status(rp, 0, &msg), LPAE_EINVAL);
    assert_string_equal(msg, "");
    lpae_kernel_stats st;
    assert_int_equal(lpae_replay_stats(rp, 0, &st), LPAE_EINVAL);
    assert_int_equal(lpae_replay_mem(NULL), 0);
    assert_int_equal(lpae_replay_count(NULL), 0);
    lpae_replay_destroy(rp);
    lpae_replay_destroy(NULL);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/test_replay.tmp", LPAE_BINARY_DIR);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", tmpdir);
    if (system(cmd) != 0)
        return -1;
    return lpae_cost_preset("cortex-a15", &a15, NULL);
}

static int teardown(void **state)
{
    (void)state;
    lpae_cost_destroy(a15);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deterministic),
        cmocka_unit_test(multi_config_equals_separate),
        cmocka_unit_test(replay_equals_kernel_apply),
        cmocka_unit_test(phase_cycles_match_reference),
        cmocka_unit_test(memory_flat_in_trace_length),
        cmocka_unit_test(truncated_trace_reports_events_then_error),
        cmocka_unit_test(smp_cpus_progress_and_limits),
        cmocka_unit_test(batches_end_at_reports_and_limits),
        cmocka_unit_test(config_for_trace),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
