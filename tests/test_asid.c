/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/asid.h"
#include "lpae/err.h"

static lpae_asid_allocator *mk(unsigned ncpus, unsigned bits, unsigned kernel, lpae_asid_policy pol)
{
    lpae_asid_config cfg = {
        .ncpus = ncpus, .asid_bits = bits, .kernel_asids = kernel, .policy = pol};
    lpae_asid_allocator *a = NULL;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_OK);
    assert_non_null(a);
    return a;
}

static lpae_asid_switch_result sw(lpae_asid_allocator *a, unsigned cpu, lpae_asid_ctx *ctx)
{
    lpae_asid_switch_result r;
    assert_int_equal(lpae_asid_switch(a, cpu, ctx, &r), LPAE_OK);
    assert_int_equal(r.ctx_id, ctx->id);
    return r;
}

static lpae_asid_stats stats(const lpae_asid_allocator *a)
{
    lpae_asid_stats st;
    assert_int_equal(lpae_asid_stats_get(a, &st), LPAE_OK);
    return st;
}

/*
 * One CPU, 8-bit ASIDs, ASID 0 never handed out: the first generation holds
 * ASIDs 1..255, so new mms #1..#255 get ASIDs 1..255 and the 256th new mm
 * rolls over (generation 256 -> 512) and gets ASID 1. At that rollover the
 * CPU's active mm (#255, ASID 255) is carried over as reserved, so the second
 * generation has 254 fresh numbers (1..254): new mms #256..#509 fill it and
 * the second rollover comes at new mm #510.
 */
static void rollover_at_256th_new_mm(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(1, 0, 0, LPAE_ASID_POLICY_LINUX);
    enum { N = 600 };
    lpae_asid_ctx *mm = calloc(N, sizeof(*mm));
    assert_non_null(mm);
    assert_int_equal(lpae_asid_generation(a), 256);
    assert_int_equal(lpae_asid_user_count(a), 255);

    for (unsigned i = 0; i < 255; i++) {
        lpae_asid_switch_result r = sw(a, 0, &mm[i]);
        assert_int_equal(r.asid, i + 1);
        assert_false(r.rollover);
        assert_false(r.fast_path);
        assert_true(r.new_context);
        assert_int_equal(r.how, LPAE_ASID_HOW_FRESH);
        assert_false(r.flush_tlb_all);
        assert_int_equal(r.generation, 256);
        assert_int_equal(mm[i].id, 256u + i + 1);
    }
    lpae_asid_switch_result r = sw(a, 0, &mm[255]); /* the 256th new mm */
    assert_true(r.rollover);
    assert_int_equal(r.asid, 1);
    assert_int_equal(r.generation, 512);
    assert_int_equal(mm[255].id, 512u | 1u);
    assert_true(r.flush_tlb_all);
    assert_true(r.flush_bp_all);
    lpae_asid_stats st = stats(a);
    assert_int_equal(st.rollovers, 1);
    assert_int_equal(st.allocations, 256);
    assert_int_equal(st.fresh, 256);
    assert_int_equal(st.deferred_flushes, 1);

    /* Second generation: ASIDs 2..254 for #257..#509, then rollover at #510. */
    for (unsigned i = 256; i < 509; i++) {
        r = sw(a, 0, &mm[i]);
        assert_false(r.rollover);
        assert_int_equal(r.asid, i - 254);
        assert_false(r.flush_tlb_all);
    }
    assert_int_equal(lpae_asid_of(a, mm[508].id), 254);
    r = sw(a, 0, &mm[509]); /* the 510th new mm */
    assert_true(r.rollover);
    assert_int_equal(r.generation, 768);
    assert_int_equal(r.asid, 1);
    assert_int_equal(stats(a).rollovers, 2);
    assert_int_equal(stats(a).deferred_flushes, 2);

    /* mm #509 (index 508, ASID 254) was active at the second rollover: it
     * keeps 254 when it runs again; mm #255 (ASID 255, reserved at the first
     * rollover only) lost it and re-uses its old number since it is free. */
    r = sw(a, 0, &mm[508]);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    assert_int_equal(r.asid, 254);
    assert_int_equal(mm[508].id, 768u | 254u);
    r = sw(a, 0, &mm[254]);
    assert_int_equal(r.how, LPAE_ASID_HOW_REUSED);
    assert_int_equal(r.asid, 255);
    assert_false(r.flush_tlb_all);
    free(mm);
    lpae_asid_destroy(a);
}

/* A task running on CPU 1 keeps its ASID across a rollover that CPU 0 causes;
 * nobody else gets that number in the new generation. */
static void running_task_keeps_asid_across_remote_rollover(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(2, 8, 0, LPAE_ASID_POLICY_LINUX);
    lpae_asid_ctx A, B;
    lpae_asid_ctx_init(&A);
    lpae_asid_ctx_init(&B);
    assert_int_equal(sw(a, 1, &A).asid, 1);

    enum { N = 700 };
    lpae_asid_ctx *mm = calloc(N, sizeof(*mm));
    assert_non_null(mm);
    /* CPU 0 takes ASIDs 2..255 with 254 new mms; the 255th rolls over. */
    unsigned i = 0;
    for (; i < 254; i++)
        assert_false(sw(a, 0, &mm[i]).rollover);
    lpae_asid_switch_result r = sw(a, 0, &mm[i++]);
    assert_true(r.rollover);
    assert_int_equal(r.asid, 2); /* 1 (A on CPU 1) and 255 (CPU 0's mm) are reserved */

    lpae_asid_cpu_state cs;
    assert_int_equal(lpae_asid_cpu_state_get(a, 1, &cs), LPAE_OK);
    assert_int_equal(cs.active, 0);
    assert_int_equal(cs.reserved, A.id);
    assert_true(cs.flush_pending);
    assert_int_equal(lpae_asid_cpu_state_get(a, 0, &cs), LPAE_OK);
    assert_false(cs.flush_pending);

    /* Fill the new generation on CPU 0: ASID 1 is never handed out. */
    for (; i < N; i++) {
        r = sw(a, 0, &mm[i]);
        if (r.rollover)
            break;
        assert_int_not_equal(r.asid, 1);
    }
    assert_true(i < N);
    /* That was the second rollover: A is still reserved through CPU 1 (CPU 1
     * has not switched since), so A keeps ASID 1 in generation 3 as well. */
    assert_int_equal(lpae_asid_cpu_state_get(a, 1, &cs), LPAE_OK);
    assert_int_equal(cs.reserved, A.id);

    /* CPU 1 now switches to B and back to A. */
    r = sw(a, 1, &B);
    assert_true(r.flush_tlb_all); /* the deferred flush, once */
    assert_int_not_equal(r.asid, 1);
    r = sw(a, 1, &A);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    assert_int_equal(r.asid, 1);
    assert_int_equal(A.id, lpae_asid_generation(a) | 1u);
    assert_false(r.flush_tlb_all);
    assert_int_equal(stats(a).deferred_flushes_cpu[1], 1);
    free(mm);
    lpae_asid_destroy(a);
}

/* Every CPU performs the deferred flush exactly once per rollover, on its
 * first switch afterwards, even when that switch would be fast-path eligible. */
static void each_cpu_flushes_exactly_once(void **state)
{
    (void)state;
    enum { NCPU = 4 };
    lpae_asid_allocator *a = mk(NCPU, 4, 0, LPAE_ASID_POLICY_LINUX); /* 15 user ASIDs */
    lpae_asid_ctx run[NCPU], fresh[64];
    memset(run, 0, sizeof(run));
    memset(fresh, 0, sizeof(fresh));
    for (unsigned c = 0; c < NCPU; c++)
        sw(a, c, &run[c]); /* ASIDs 1..4 */
    unsigned k = 0;
    lpae_asid_switch_result r;
    do {
        r = sw(a, 0, &fresh[k++]);
    } while (!r.rollover);
    assert_int_equal(k, 12); /* 5..15 (11 mms), the 12th rolls over */
    assert_true(r.flush_tlb_all);
    lpae_asid_ctx *newgen = &fresh[k - 1]; /* current generation */

    /* CPU 1 switches to the new-generation mm: the generation matches but its
     * active slot was zeroed, so it takes the slow path and flushes. */
    r = sw(a, 1, newgen);
    assert_false(r.fast_path);
    assert_true(r.flush_tlb_all);
    assert_true(r.flush_bp_all);
    assert_false(r.new_context);
    /* CPUs 2 and 3 resume their old mms, which were reserved. */
    for (unsigned c = 2; c < NCPU; c++) {
        r = sw(a, c, &run[c]);
        assert_true(r.flush_tlb_all);
        assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
        assert_int_equal(r.asid, c + 1);
    }
    /* Plenty of further switches without a rollover: no more flushes. */
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned c = 0; c < NCPU; c++) {
            r = sw(a, c, round & 1 ? &run[c] : newgen);
            assert_false(r.rollover);
            assert_false(r.flush_tlb_all);
        }
    }
    lpae_asid_stats st = stats(a);
    assert_int_equal(st.rollovers, 1);
    for (unsigned c = 0; c < NCPU; c++)
        assert_int_equal(st.deferred_flushes_cpu[c], 1);
    assert_int_equal(st.deferred_flushes, NCPU);
    lpae_asid_destroy(a);
}

/* check_update_reserved_asid() updates every CPU's copy: an mm running on
 * two CPUs at a rollover keeps its ASID through a second rollover even after
 * one of the two CPUs moved on. */
static void reserved_copies_all_updated(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(3, 4, 0, LPAE_ASID_POLICY_LINUX);
    lpae_asid_ctx A = {0, 0}, B = {0, 0}, f[64];
    memset(f, 0, sizeof(f));
    assert_int_equal(sw(a, 1, &A).asid, 1);
    assert_false(sw(a, 2, &A).new_context); /* two threads of A */
    unsigned k = 0;
    while (!sw(a, 0, &f[k++]).rollover)
        ;
    lpae_asid_switch_result r = sw(a, 0, &A);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    lpae_asid_cpu_state cs;
    assert_int_equal(lpae_asid_cpu_state_get(a, 2, &cs), LPAE_OK);
    assert_int_equal(cs.reserved, A.id); /* CPU 2's copy moved too */
    sw(a, 1, &B);
    while (!sw(a, 0, &f[k++]).rollover)
        assert_true(k < 64);
    r = sw(a, 0, &A);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    assert_int_equal(r.asid, 1);
    lpae_asid_destroy(a);
}

/* Under 4G/4G one ASID (255) is kernel lowmem's: 254 user ASIDs, rollover at
 * the 255th new mm on one CPU, and 255 never reaches a user mm. */
static void four_g_keeps_kernel_asid(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(1, 8, 1, LPAE_ASID_POLICY_LINUX);
    uint32_t k = 0;
    assert_int_equal(lpae_asid_kernel(a, 0, &k), LPAE_OK);
    assert_int_equal(k, 255);
    assert_int_equal(lpae_asid_kernel(a, 1, &k), LPAE_EINVAL);
    assert_int_equal(lpae_asid_user_count(a), 254);

    enum { N = 3000 };
    lpae_asid_ctx *mm = calloc(N, sizeof(*mm));
    assert_non_null(mm);
    for (unsigned i = 0; i < 254; i++)
        assert_int_equal(sw(a, 0, &mm[i]).asid, i + 1);
    lpae_asid_switch_result r = sw(a, 0, &mm[254]); /* the 255th new mm */
    assert_true(r.rollover);
    assert_int_equal(r.asid, 1);
    /* Generation 2 lost 254 to the carried-over reservation: 2..253 for
     * #256..#507, and the next rollover at the 508th new mm. */
    for (unsigned i = 255; i < 507; i++) {
        r = sw(a, 0, &mm[i]);
        assert_false(r.rollover);
        assert_int_equal(r.asid, i - 253);
    }
    r = sw(a, 0, &mm[507]);
    assert_true(r.rollover);
    assert_int_equal(stats(a).rollovers, 2);
    for (unsigned i = 508; i < N; i++) {
        r = sw(a, 0, &mm[i]);
        assert_int_not_equal(r.asid, 255);
        assert_int_not_equal(r.asid, 0);
        /* revisit an older mm now and then (re-use / reserved paths) */
        r = sw(a, 0, &mm[(i * 7) % i]);
        assert_int_not_equal(r.asid, 255);
        assert_int_not_equal(r.asid, 0);
    }
    assert_true(stats(a).rollovers > 10);
    free(mm);
    lpae_asid_destroy(a);

    /* Two kernel ASIDs on a 4-bit space: 254 and 255 become 14 and 15. */
    a = mk(8, 4, 2, LPAE_ASID_POLICY_LINUX);
    assert_int_equal(lpae_asid_user_count(a), 13);
    assert_int_equal(lpae_asid_kernel(a, 1, &k), LPAE_OK);
    assert_int_equal(k, 14);
    lpae_asid_ctx m[200];
    memset(m, 0, sizeof(m));
    for (unsigned i = 0; i < 200; i++) {
        r = sw(a, i % 8, &m[i]);
        assert_true(r.asid >= 1 && r.asid <= 13);
    }
    lpae_asid_destroy(a);
}

static void no_asid_policy_flushes_on_every_mm_change(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(2, 8, 0, LPAE_ASID_POLICY_NONE);
    lpae_asid_ctx A = {0, 0}, B = {0, 0};
    lpae_asid_switch_result r = sw(a, 0, &A);
    assert_true(r.flush_tlb_all); /* from no mm to A */
    assert_false(r.flush_bp_all);
    assert_int_equal(r.asid, lpae_asid_first_user(a));
    assert_int_equal(r.asid, 1);
    r = sw(a, 0, &A);
    assert_false(r.flush_tlb_all); /* same mm */
    r = sw(a, 0, &B);
    assert_true(r.flush_tlb_all);
    r = sw(a, 1, &B);
    assert_true(r.flush_tlb_all); /* CPU 1 ran nothing yet */
    r = sw(a, 0, &A);
    assert_true(r.flush_tlb_all);
    r = sw(a, 1, &B);
    assert_false(r.flush_tlb_all);
    assert_int_equal(r.asid, 1);
    assert_int_not_equal(A.id, B.id);
    assert_int_equal(A.cpumask, 1u);
    assert_int_equal(B.cpumask, 3u);
    lpae_asid_stats st = stats(a);
    assert_int_equal(st.switches, 6);
    assert_int_equal(st.noasid_flushes, 4);
    assert_int_equal(st.allocations, 0);
    assert_int_equal(st.rollovers, 0);
    assert_int_equal(st.fast_path + st.slow_path, 0);
    lpae_asid_destroy(a);
}

/* Rollover points for other widths: 2^bits - 1 - kernel user ASIDs. */
static void other_widths(void **state)
{
    (void)state;
    static const struct {
        unsigned bits, kernel, expect_user;
    } cases[] = {{4, 0, 15}, {4, 1, 14}, {5, 0, 31}, {10, 1, 1022}, {16, 0, 65535}};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        lpae_asid_allocator *a = mk(1, cases[c].bits, cases[c].kernel, LPAE_ASID_POLICY_LINUX);
        assert_int_equal(lpae_asid_user_count(a), cases[c].expect_user);
        assert_int_equal(lpae_asid_generation(a), UINT64_C(1) << cases[c].bits);
        assert_int_equal(lpae_asid_config_get(a)->asid_bits, cases[c].bits);
        lpae_asid_ctx ctx;
        for (unsigned i = 0; i < cases[c].expect_user; i++) {
            lpae_asid_ctx_init(&ctx);
            lpae_asid_switch_result r = sw(a, 0, &ctx);
            assert_false(r.rollover);
            assert_int_equal(r.asid, i + 1);
        }
        lpae_asid_ctx_init(&ctx);
        lpae_asid_switch_result r = sw(a, 0, &ctx);
        assert_true(r.rollover);
        assert_int_equal(r.asid, 1);
        assert_int_equal(r.generation, UINT64_C(2) << cases[c].bits);
        lpae_asid_destroy(a);
    }
}

/* A small two-CPU scenario counted by hand. */
static void stats_match_hand_counts(void **state)
{
    (void)state;
    lpae_asid_allocator *a = mk(2, 4, 0, LPAE_ASID_POLICY_LINUX); /* 15 user ASIDs */
    lpae_asid_ctx m[20];
    memset(m, 0, sizeof(m));
    lpae_asid_switch_result r;
    /* 1: cpu0 m0 slow/fresh(1)   2: cpu1 m1 slow/fresh(2)   3: cpu0 m1 fast
     * 4: cpu1 m0 fast            5: cpu0 m0 fast */
    assert_false(sw(a, 0, &m[0]).fast_path);
    assert_false(sw(a, 1, &m[1]).fast_path);
    assert_true(sw(a, 0, &m[1]).fast_path);
    assert_true(sw(a, 1, &m[0]).fast_path);
    assert_true(sw(a, 0, &m[0]).fast_path);
    assert_int_equal(m[0].cpumask, 3u);
    /* 6..18: cpu0 m2..m14 slow/fresh (ASIDs 3..15) */
    for (unsigned i = 2; i < 15; i++)
        assert_int_equal(sw(a, 0, &m[i]).asid, i + 1);
    /* 19: cpu0 m15 -> rollover; cpu0 active m14 (15), cpu1 active m0 (1)
     *     reserved; m15 gets 2; cpu0 flushes. */
    r = sw(a, 0, &m[15]);
    assert_true(r.rollover);
    assert_int_equal(r.asid, 2);
    assert_int_equal(m[15].cpumask, 1u);
    /* 20: cpu1 m15: same generation but active zeroed -> slow, flush */
    r = sw(a, 1, &m[15]);
    assert_false(r.fast_path);
    assert_true(r.flush_tlb_all);
    /* 21: cpu1 m0: old generation, reserved by cpu1 -> kept 1 */
    r = sw(a, 1, &m[0]);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    assert_int_equal(r.asid, 1);
    /* 22: cpu0 m3: old generation, ASID 4 free -> re-used */
    r = sw(a, 0, &m[3]);
    assert_int_equal(r.how, LPAE_ASID_HOW_REUSED);
    assert_int_equal(r.asid, 4);
    /* 23: cpu0 m16: fresh from cur_idx = 2 -> 3 */
    assert_int_equal(sw(a, 0, &m[16]).asid, 3);
    /* 24: cpu0 m14: old generation, reserved by cpu0 (active at rollover) -> 15 */
    r = sw(a, 0, &m[14]);
    assert_int_equal(r.how, LPAE_ASID_HOW_RESERVED);
    assert_int_equal(r.asid, 15);
    assert_int_equal(lpae_asid_add_lost(a, 0, 40), LPAE_OK);
    assert_int_equal(lpae_asid_add_lost(a, 1, 2), LPAE_OK);

    lpae_asid_stats st = stats(a);
    assert_int_equal(st.switches, 24);
    assert_int_equal(st.fast_path, 3);
    assert_int_equal(st.slow_path, 21);
    assert_int_equal(st.allocations, 20); /* 17 fresh + 2 kept reserved + 1 re-used */
    assert_int_equal(st.fresh, 17);
    assert_int_equal(st.kept_reserved, 2);
    assert_int_equal(st.reused, 1);
    assert_int_equal(st.rollovers, 1);
    assert_int_equal(st.deferred_flushes, 2);
    assert_int_equal(st.deferred_flushes_cpu[0], 1);
    assert_int_equal(st.deferred_flushes_cpu[1], 1);
    assert_int_equal(st.tlb_entries_lost, 42);
    assert_int_equal(st.noasid_flushes, 0);
    lpae_asid_destroy(a);
}

/* ---- randomized invariant test ------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

enum { RMM = 48, RSTEPS = 60000 };

struct rworld {
    lpae_asid_allocator *a;
    unsigned ncpus, bits, kernel;
    lpae_asid_ctx mm[RMM];
    uint32_t uid[RMM];               /* identity of the mm in each slot (0 = dead) */
    int running[LPAE_ASID_MAX_CPUS]; /* slot index, -1 = none */
    uint32_t *tag;                   /* [cpu][asid]: uid that ran under asid since last flush */
    uint32_t next_uid;
};

static void check_world(struct rworld *w)
{
    uint64_t gen = lpae_asid_generation(w->a);
    uint32_t nasid = UINT32_C(1) << w->bits;
    /* distinct running mms have distinct ASIDs */
    for (unsigned c = 0; c < w->ncpus; c++) {
        for (unsigned d = c + 1; d < w->ncpus; d++) {
            int x = w->running[c], y = w->running[d];
            if (x < 0 || y < 0 || x == y)
                continue;
            assert_int_not_equal(lpae_asid_of(w->a, w->mm[x].id), lpae_asid_of(w->a, w->mm[y].id));
        }
    }
    /* within the current generation, an ASID belongs to one live mm */
    int *owner = malloc(nasid * sizeof(int));
    assert_non_null(owner);
    for (uint32_t i = 0; i < nasid; i++)
        owner[i] = -1;
    for (int i = 0; i < RMM; i++) {
        if (!w->uid[i] || (w->mm[i].id & ~(uint64_t)(nasid - 1)) != gen)
            continue;
        uint32_t asid = lpae_asid_of(w->a, w->mm[i].id);
        assert_int_equal(owner[asid], -1);
        owner[asid] = i;
    }
    free(owner);
    lpae_asid_stats st = stats(w->a);
    assert_int_equal(st.switches, st.fast_path + st.slow_path);
    assert_int_equal(st.allocations, st.kept_reserved + st.reused + st.fresh);
    uint64_t sum = 0;
    for (unsigned c = 0; c < w->ncpus; c++)
        sum += st.deferred_flushes_cpu[c];
    assert_int_equal(sum, st.deferred_flushes);
    assert_true(st.deferred_flushes <= st.rollovers * w->ncpus);
}

static void run_random(uint64_t seed)
{
    uint64_t s = seed;
    struct rworld w;
    memset(&w, 0, sizeof(w));
    w.ncpus = 1 + (unsigned)(rng_next(&s) % LPAE_ASID_MAX_CPUS);
    static const unsigned widths[] = {4, 5, 6, 8};
    w.bits = widths[rng_next(&s) % 4];
    w.kernel = (unsigned)(rng_next(&s) % 2);
    if ((UINT32_C(1) << w.bits) - 1 - w.kernel <= w.ncpus)
        w.bits = 8;
    w.a = mk(w.ncpus, w.bits, w.kernel, LPAE_ASID_POLICY_LINUX);
    uint32_t nasid = UINT32_C(1) << w.bits;
    w.tag = calloc((size_t)w.ncpus * nasid, sizeof(uint32_t));
    assert_non_null(w.tag);
    for (unsigned c = 0; c < LPAE_ASID_MAX_CPUS; c++)
        w.running[c] = -1;
    uint32_t kernel_asid = w.kernel ? nasid - 1 : 0;

    for (unsigned step = 0; step < RSTEPS; step++) {
        unsigned slot = (unsigned)(rng_next(&s) % RMM);
        bool on_cpu = false;
        for (unsigned c = 0; c < w.ncpus; c++)
            on_cpu |= w.running[c] == (int)slot;
        unsigned op = (unsigned)(rng_next(&s) % 8);
        if (op == 0 && !on_cpu) {
            /* exit + a new mm (fork/exec) in the slot */
            lpae_asid_ctx_init(&w.mm[slot]);
            w.uid[slot] = ++w.next_uid;
            continue;
        }
        if (!w.uid[slot]) {
            lpae_asid_ctx_init(&w.mm[slot]);
            w.uid[slot] = ++w.next_uid;
        }
        unsigned cpu = (unsigned)(rng_next(&s) % w.ncpus);
        if (w.running[cpu] == (int)slot)
            continue; /* switch_mm is only called for prev != next */
        lpae_asid_switch_result r = sw(w.a, cpu, &w.mm[slot]);
        assert_int_not_equal(r.asid, 0);
        assert_true(r.asid < nasid);
        if (w.kernel)
            assert_int_not_equal(r.asid, kernel_asid);
        assert_int_equal(r.asid, lpae_asid_of(w.a, w.mm[slot].id));
        assert_int_equal(w.mm[slot].id & ~(uint64_t)(nasid - 1), lpae_asid_generation(w.a));
        assert_true(w.mm[slot].cpumask & (1u << cpu));
        assert_int_equal(r.flush_tlb_all, r.flush_bp_all);
        uint32_t *t = &w.tag[(size_t)cpu * nasid];
        if (r.flush_tlb_all)
            memset(t, 0, nasid * sizeof(uint32_t));
        /* No stale entry of another mm can hit under this ASID. */
        assert_true(t[r.asid] == 0 || t[r.asid] == w.uid[slot]);
        t[r.asid] = w.uid[slot];
        w.running[cpu] = (int)slot;
        lpae_asid_cpu_state cs;
        assert_int_equal(lpae_asid_cpu_state_get(w.a, cpu, &cs), LPAE_OK);
        assert_int_equal(cs.active, w.mm[slot].id);
        assert_false(cs.flush_pending);
        if ((step & 63) == 0)
            check_world(&w);
    }
    check_world(&w);
    lpae_asid_stats st = stats(w.a);
    assert_true(st.rollovers > 0);
    assert_true(st.fast_path > 0);
    free(w.tag);
    lpae_asid_destroy(w.a);
}

static void randomized_invariants(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 24; seed++)
        run_random(seed * UINT64_C(0x9E3779B97F4A7C15));
}

/* Same seed, same outcome. */
static void deterministic(void **state)
{
    (void)state;
    lpae_asid_stats st[2];
    for (int k = 0; k < 2; k++) {
        lpae_asid_allocator *a = mk(3, 5, 1, LPAE_ASID_POLICY_LINUX);
        lpae_asid_ctx m[40];
        memset(m, 0, sizeof(m));
        uint64_t s = 42;
        for (int i = 0; i < 5000; i++) {
            uint64_t x = rng_next(&s);
            sw(a, (unsigned)(x % 3), &m[(x >> 8) % 40]);
        }
        st[k] = stats(a);
        lpae_asid_destroy(a);
    }
    assert_memory_equal(&st[0], &st[1], sizeof(st[0]));
    assert_true(st[0].rollovers > 0);
}

static void error_paths(void **state)
{
    (void)state;
    lpae_asid_allocator *a = NULL;
    lpae_asid_config cfg = {.ncpus = 2};
    assert_int_equal(lpae_asid_create(NULL, &a), LPAE_EINVAL);
    assert_int_equal(lpae_asid_create(&cfg, NULL), LPAE_EINVAL);
    cfg.ncpus = 0;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    cfg.ncpus = LPAE_ASID_MAX_CPUS + 1;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    cfg.ncpus = 2;
    cfg.asid_bits = 3;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    cfg.asid_bits = 17;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    cfg.asid_bits = 8;
    cfg.policy = (lpae_asid_policy)7;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    cfg.policy = LPAE_ASID_POLICY_LINUX;
    cfg.kernel_asids = 256;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    /* 4 bits, 8 CPUs: 15 - kernel user ASIDs must exceed 8 */
    cfg.ncpus = 8;
    cfg.asid_bits = 4;
    cfg.kernel_asids = 7;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_EINVAL);
    assert_null(a);
    cfg.kernel_asids = 6;
    assert_int_equal(lpae_asid_create(&cfg, &a), LPAE_OK);

    lpae_asid_ctx ctx = {0, 0};
    lpae_asid_switch_result r;
    assert_int_equal(lpae_asid_switch(NULL, 0, &ctx, &r), LPAE_EINVAL);
    assert_int_equal(lpae_asid_switch(a, 0, NULL, &r), LPAE_EINVAL);
    assert_int_equal(lpae_asid_switch(a, 0, &ctx, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_asid_switch(a, 8, &ctx, &r), LPAE_EINVAL);
    assert_int_equal(ctx.id, 0);
    assert_int_equal(stats(a).switches, 0);
    assert_int_equal(lpae_asid_add_lost(a, 8, 1), LPAE_EINVAL);
    assert_int_equal(lpae_asid_add_lost(NULL, 0, 1), LPAE_EINVAL);
    assert_int_equal(lpae_asid_stats_get(a, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_asid_stats_get(NULL, NULL), LPAE_EINVAL);
    lpae_asid_cpu_state cs;
    assert_int_equal(lpae_asid_cpu_state_get(a, 8, &cs), LPAE_EINVAL);
    assert_int_equal(lpae_asid_cpu_state_get(a, 0, NULL), LPAE_EINVAL);
    uint32_t k;
    assert_int_equal(lpae_asid_kernel(a, 6, &k), LPAE_EINVAL);
    assert_int_equal(lpae_asid_kernel(a, 5, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_asid_kernel(a, 5, &k), LPAE_OK);
    assert_int_equal(k, 10);
    assert_int_equal(lpae_asid_user_count(NULL), 0);
    assert_int_equal(lpae_asid_generation(NULL), 0);
    assert_int_equal(lpae_asid_of(NULL, 5), 0);
    assert_null(lpae_asid_config_get(NULL));
    lpae_asid_destroy(a);
    lpae_asid_destroy(NULL);
    lpae_asid_ctx_init(NULL);

    lpae_asid_policy p;
    assert_int_equal(lpae_asid_policy_parse("NONE", &p), LPAE_OK);
    assert_int_equal(p, LPAE_ASID_POLICY_NONE);
    assert_int_equal(lpae_asid_policy_parse("linux", &p), LPAE_OK);
    assert_int_equal(p, LPAE_ASID_POLICY_LINUX);
    assert_int_equal(lpae_asid_policy_parse("lru", &p), LPAE_EPARSE);
    assert_int_equal(lpae_asid_policy_parse(NULL, &p), LPAE_EINVAL);
    assert_string_equal(lpae_asid_policy_name(LPAE_ASID_POLICY_LINUX), "linux");
    assert_string_equal(lpae_asid_policy_name(LPAE_ASID_POLICY_NONE), "none");
    assert_null(lpae_asid_policy_name((lpae_asid_policy)9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rollover_at_256th_new_mm),
        cmocka_unit_test(running_task_keeps_asid_across_remote_rollover),
        cmocka_unit_test(each_cpu_flushes_exactly_once),
        cmocka_unit_test(reserved_copies_all_updated),
        cmocka_unit_test(four_g_keeps_kernel_asid),
        cmocka_unit_test(no_asid_policy_flushes_on_every_mm_change),
        cmocka_unit_test(other_widths),
        cmocka_unit_test(stats_match_hand_counts),
        cmocka_unit_test(randomized_invariants),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
