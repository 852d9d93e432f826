/* SPDX-License-Identifier: MIT */
/* kmap_local windows: lowmem fast path, highmem map/unmap TLB maintenance,
 * the kmap_legacy option, nesting, overflow, unbalanced unmaps and the
 * context-switch teardown/rebuild. */
#include "kt_util.h"

#include "lpae/layout.h"
#include "lpae/walk.h"
/* the inline kmap paths (lpae_k_kmap_in, lpae_k_kunmap_in) */
#include "kernel/kernel_internal.h"

static lpae_cpu *cpu_of(struct kt *t, unsigned i)
{
    return lpae_machine_cpu(lpae_kernel_machine(t->k), i);
}

static lpae_pa_t high_pa(struct kt *t, unsigned n)
{
    const lpae_layout *l = lpae_kernel_layout(t->k);
    assert_true(l->nhighmem > 0);
    return l->highmem[0].base + (lpae_pa_t)(n + 1000) * LPAE_PAGE_SIZE;
}

static lpae_pa_t low_pa(struct kt *t)
{
    const lpae_layout *l = lpae_kernel_layout(t->k);
    return l->lowmem[0].base + (UINT64_C(64) << 20);
}

/* Translation of a kernel VA now (PR): the PA, or ~0 when it faults. */
static lpae_pa_t xlate(struct kt *t, unsigned cpu, lpae_va_t va)
{
    lpae_xlate x;
    assert_int_equal(lpae_cpu_translate(cpu_of(t, cpu), va, LPAE_ACC_PR, &x), LPAE_OK);
    return x.fault == LPAE_FAULT_NONE ? x.pa : ~(lpae_pa_t)0;
}

static uint64_t mva_local(struct kt *t, unsigned cpu)
{
    return kt_cpu(t, cpu).tlbi[LPAE_TLBI_MVA][0];
}

static void test_lowmem_fast_path(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_PINNED, 1);
    lpae_cpu_stats c0 = kt_cpu(&t, 0);
    lpae_kernel_stats s0 = kt_stats(&t);
    lpae_va_t va = 0;
    lpae_pa_t pa = low_pa(&t);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, pa + 123, &va), LPAE_OK);
    lpae_va_t want;
    assert_int_equal(lpae_layout_lowmem_va(lpae_kernel_layout(t.k), pa, &want), LPAE_OK);
    assert_int_equal(va, want);
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
    lpae_cpu_stats c1 = kt_cpu(&t, 0);
    lpae_kernel_stats s1 = kt_stats(&t);
    for (unsigned i = 0; i < LPAE_TLBI_KINDS; i++)
        assert_int_equal(c1.tlbi[i][0] + c1.tlbi[i][1], c0.tlbi[i][0] + c0.tlbi[i][1]);
    assert_int_equal(c1.dsb, c0.dsb);
    assert_int_equal(s1.kmaps, s0.kmaps + 1);
    assert_int_equal(s1.kmaps_highmem, s0.kmaps_highmem);
    assert_int_equal(s1.phase[LPAE_PH_KMAP], s0.phase[LPAE_PH_KMAP]); /* no cycle at all */
    struct lpae_task_info ti;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &ti), LPAE_OK);
    assert_int_equal(ti.kmaps, 0); /* page_address: no slot pushed */
    kt_close(&t);
}

static void pair(bool legacy)
{
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.kmap_legacy = legacy;
    kt_open_cfg(&t, &c);
    lpae_pa_t pa = high_pa(&t, 0);
    kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
    lpae_cpu_stats c0 = kt_cpu(&t, 0);
    lpae_va_t va = 0;
    assert_int_equal(lpae_kernel_kmap(t.k, 0, pa, &va), LPAE_OK);
    lpae_va_t slot0;
    assert_int_equal(lpae_layout_kmap_va(lpae_kernel_layout(t.k), 0, 0, &slot0), LPAE_OK);
    assert_int_equal(va, slot0);
    lpae_cpu_stats c1 = kt_cpu(&t, 0);
    /* local_flush_tlb_kernel_page: DSB, TLBIMVA, DSB, ISB */
    assert_int_equal(c1.tlbi[LPAE_TLBI_MVA][0] - c0.tlbi[LPAE_TLBI_MVA][0], 1);
    assert_int_equal(c1.dsb - c0.dsb, 2);
    assert_int_equal(c1.isb - c0.isb, 1);
    assert_true(xlate(&t, 0, va + 8) == pa + 8);
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
    lpae_cpu_stats c2 = kt_cpu(&t, 0);
    assert_int_equal(c2.tlbi[LPAE_TLBI_MVA][0] - c0.tlbi[LPAE_TLBI_MVA][0], legacy ? 1 : 2);
    assert_int_equal(c2.dsb - c0.dsb, legacy ? 2 : 4);
    assert_int_equal(c2.isb - c0.isb, legacy ? 1 : 2);
    for (unsigned i = 0; i < LPAE_TLBI_KINDS; i++)
        assert_int_equal(c2.tlbi[i][1], c0.tlbi[i][1]); /* all local */
    if (legacy)
        assert_true(xlate(&t, 0, va) == pa); /* the PTE stays */
    else
        assert_true(xlate(&t, 0, va) == ~(lpae_pa_t)0);
    /* the slot is reused for another page: the map-side flush keeps it coherent */
    lpae_pa_t pb = high_pa(&t, 1);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, pb, &va), LPAE_OK);
    assert_int_equal(va, slot0);
    assert_true(xlate(&t, 0, va) == pb);
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
    lpae_kernel_stats s = kt_stats(&t);
    assert_int_equal(s.kmaps_highmem, 2);
    kt_close(&t);
}

static void test_highmem_pair(void **state)
{
    (void)state;
    pair(false);
}

static void test_highmem_pair_legacy(void **state)
{
    (void)state;
    pair(true);
}

static void test_nesting_and_errors(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_PINNED, 2);
    lpae_va_t va[LPAE_LINUX_KM_MAX_IDX + 1];
    for (unsigned i = 0; i < LPAE_LINUX_KM_MAX_IDX; i++) {
        assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, i), &va[i]), LPAE_OK);
        if (i)
            assert_true(va[i] == va[i - 1] - LPAE_PAGE_SIZE); /* fixmap grows down */
    }
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 99), &va[16]), LPAE_EOVERFLOW);
    struct lpae_task_info ti;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &ti), LPAE_OK);
    assert_int_equal(ti.kmaps, 16);
    /* out of order: not the top of the stack */
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va[3]), LPAE_ESTATE);
    for (unsigned i = LPAE_LINUX_KM_MAX_IDX; i-- > 0;) {
        assert_true(xlate(&t, 0, va[i]) == high_pa(&t, i));
        assert_int_equal(lpae_kernel_kunmap(t.k, 0, va[i]), LPAE_OK);
    }
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va[0]), LPAE_ESTATE); /* nothing mapped */
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, 0xF8000000u), LPAE_EINVAL);
    lpae_va_t v;
    assert_int_equal(lpae_kernel_kmap(t.k, 0, UINT64_C(0x10000), &v), LPAE_EINVAL); /* not RAM */
    assert_int_equal(lpae_kernel_kmap(t.k, 1, high_pa(&t, 0), &v), LPAE_EINVAL);    /* CPU 1 idle */
    assert_int_equal(lpae_kernel_kmap(t.k, 7, high_pa(&t, 0), &v), LPAE_EINVAL);
    assert_int_equal(lpae_kernel_kmap(NULL, 0, high_pa(&t, 0), &v), LPAE_EINVAL);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 0), NULL), LPAE_EINVAL);
    kt_close(&t);
}

static void test_sched_teardown_rebuild(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_PINNED, 1);
    lpae_va_t a, b;
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 0), &a), LPAE_OK);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 1), &b), LPAE_OK);
    uint64_t m0 = mva_local(&t, 0);
    lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, 2);
    e.arg = 1;
    kt_do(&t, &e, NULL);
    assert_int_equal(mva_local(&t, 0) - m0, 2); /* both PTEs cleared and flushed */
    assert_true(xlate(&t, 0, a) == ~(lpae_pa_t)0);
    assert_true(xlate(&t, 0, b) == ~(lpae_pa_t)0);
    struct lpae_task_info ti;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &ti), LPAE_OK);
    assert_int_equal(ti.kmaps, 2);
    assert_int_equal(ti.cpu, -1);
    /* task 2 uses the same slots meanwhile */
    lpae_va_t c;
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 5), &c), LPAE_OK);
    assert_int_equal(c, a);
    m0 = mva_local(&t, 0);
    e = kt_ev(LPAE_TEV_SWITCH, 0, 1);
    e.arg = 2;
    kt_do(&t, &e, NULL);
    assert_int_equal(mva_local(&t, 0) - m0, 3); /* 1 torn down (task 2), 2 rebuilt (task 1) */
    assert_true(xlate(&t, 0, a) == high_pa(&t, 0));
    assert_true(xlate(&t, 0, b) == high_pa(&t, 1));
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, b), LPAE_OK);
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, a), LPAE_OK);
    lpae_kernel_stats s = kt_stats(&t);
    assert_int_equal(s.context_switches, 2);
    kt_check_sums(&t);
    kt_close(&t);
}

/* Classic split: the fixmap is in TTBR1 as well; lowmem pages need nothing. */
static void test_classic_split(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 1);
    lpae_va_t va;
    uint64_t m0 = mva_local(&t, 0);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, low_pa(&t), &va), LPAE_OK);
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
    assert_int_equal(mva_local(&t, 0), m0);
    assert_int_equal(lpae_kernel_kmap(t.k, 0, high_pa(&t, 0), &va), LPAE_OK);
    assert_true(xlate(&t, 0, va) == high_pa(&t, 0));
    assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
    assert_int_equal(mva_local(&t, 0) - m0, 2);
    kt_close(&t);
}

/* The fixmap PTE of every kmap slot, found once at construction: on every
 * CPU and at every index the kmap makes the slot translate to its page and
 * the kunmap makes it fault again, and no other CPU's slot changes, so the
 * descriptor went where the walker reads it (the walk of the kernel's own
 * tables is the reference); each write is one charged D-side store.
 * Several rounds with fixed-seed random pages. */
static void test_every_slot_pte(void **state)
{
    (void)state;
    const unsigned ncpus = 4;
    struct kt t;
    kt_open(&t, LPAE_STRAT_PINNED, ncpus);
    for (unsigned c = 1; c < ncpus; c++)
        kt_simple(&t, LPAE_TEV_SYS_ENTER, c, 10 + c); /* a current task on each CPU */
    uint64_t x = 0x5107;
    for (unsigned round = 0; round < 3; round++)
        for (unsigned c = 0; c < ncpus; c++) {
            lpae_va_t va[LPAE_LINUX_KM_MAX_IDX];
            lpae_pa_t pa[LPAE_LINUX_KM_MAX_IDX];
            for (unsigned i = 0; i < LPAE_LINUX_KM_MAX_IDX; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                pa[i] = high_pa(&t, (unsigned)(x >> 40) % 4096u);
                lpae_cpu_stats s0 = kt_cpu(&t, c);
                assert_int_equal(lpae_kernel_kmap(t.k, c, pa[i], &va[i]), LPAE_OK);
                lpae_cpu_stats s1 = kt_cpu(&t, c);
                assert_int_equal(s1.hits[LPAE_ST_UTLB_DS] + s1.misses[LPAE_ST_UTLB_DS] -
                                     s0.hits[LPAE_ST_UTLB_DS] - s0.misses[LPAE_ST_UTLB_DS],
                                 1); /* the PTE store */
                lpae_va_t want;
                assert_int_equal(lpae_layout_kmap_va(lpae_kernel_layout(t.k), c, i, &want),
                                 LPAE_OK);
                assert_int_equal(va[i], want);
                assert_true(xlate(&t, c, va[i] + 0x18) == pa[i] + 0x18);
            }
            /* no write hit another slot: the other CPUs' slots are all empty */
            for (unsigned i = 0; i < LPAE_LINUX_KM_MAX_IDX; i++) {
                assert_true(xlate(&t, c, va[i]) == pa[i]);
                for (unsigned d = 0; d < ncpus; d++) {
                    lpae_va_t o;
                    assert_int_equal(lpae_layout_kmap_va(lpae_kernel_layout(t.k), d, i, &o),
                                     LPAE_OK);
                    if (d != c)
                        assert_true(xlate(&t, c, o) == ~(lpae_pa_t)0);
                }
            }
            for (unsigned i = LPAE_LINUX_KM_MAX_IDX; i-- > 0;) {
                assert_int_equal(lpae_kernel_kunmap(t.k, c, va[i]), LPAE_OK);
                assert_true(xlate(&t, c, va[i]) == ~(lpae_pa_t)0);
                if (i)
                    assert_true(xlate(&t, c, va[i - 1]) == pa[i - 1]);
            }
        }
    kt_check_sums(&t);
    kt_close(&t);
}

/* The kernel's cached layout values (the __va() offset of the first lowmem
 * range, the zone of a PA, the kmap slot VAs and the span of the slots)
 * against lpae_layout_*() for random PAs and VAs, with RAM in several
 * pieces so that the slow paths are taken too. */
static void test_cached_layout_matches_layout(void **state)
{
    (void)state;
    static const lpae_ram_range ram[3] = {{UINT64_C(0x80000000), UINT64_C(256) << 20},
                                          {UINT64_C(0xA0000000), UINT64_C(256) << 20},
                                          {UINT64_C(0x100000000), UINT64_C(4) << 30}};
    for (int variant = 0; variant < 2; variant++) {
        struct kt t;
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_PINNED, 2);
        if (variant) {
            c.ram = ram;
            c.nram = 3;
        }
        kt_open_cfg(&t, &c);
        const lpae_layout *l = lpae_kernel_layout(t.k);
        lpae_va_t slot0, last;
        assert_int_equal(lpae_layout_kmap_va(l, 0, 0, &slot0), LPAE_OK);
        assert_int_equal(lpae_layout_kmap_va(l, l->nr_cpus - 1, LPAE_LINUX_KM_MAX_IDX - 1, &last),
                         LPAE_OK);
        uint64_t x = 0x5eed + (uint64_t)variant;
        unsigned seen[3] = {0, 0, 0};
        for (int i = 0; i < 20000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            lpae_pa_t pa = UINT64_C(0x70000000) + (x >> 20) % (UINT64_C(0x100000000) + (1u << 30));
            lpae_zone z = lpae_layout_zone(l, pa);
            seen[z == LPAE_ZONE_NONE ? 0 : z == LPAE_ZONE_LOWMEM ? 1 : 2]++;
            lpae_va_t va = 0;
            int rc = lpae_kernel_kmap(t.k, 0, pa, &va);
            if (z == LPAE_ZONE_NONE) {
                assert_int_equal(rc, LPAE_EINVAL);
                continue;
            }
            assert_int_equal(rc, LPAE_OK);
            if (z == LPAE_ZONE_LOWMEM) {
                lpae_va_t want;
                assert_int_equal(lpae_layout_lowmem_va(l, pa & ~(lpae_pa_t)0xFFF, &want), LPAE_OK);
                assert_int_equal(va, want);
            } else {
                assert_int_equal(va, slot0);
                assert_true(xlate(&t, 0, va + 0x10) == (pa & ~(lpae_pa_t)0xFFF) + 0x10);
            }
            assert_int_equal(lpae_kernel_kunmap(t.k, 0, va), LPAE_OK);
            /* a VA with no live kmap: a slot is out of order, a lowmem VA is
             * nothing to undo, anything else is refused */
            lpae_va_t v = (lpae_va_t)(x >> 32);
            if (i % 4 == 0)
                v = last - 0x2000u + (lpae_va_t)((x >> 40) % 0x4000u);
            if (i % 4 == 1)
                v = slot0 - 0x2000u + (lpae_va_t)((x >> 40) % 0x4000u);
            lpae_pa_t p;
            lpae_va_t vp = v & ~(lpae_va_t)0xFFF;
            int want = vp >= last && vp <= slot0                     ? LPAE_ESTATE
                       : lpae_layout_lowmem_pa(l, vp, &p) == LPAE_OK ? LPAE_OK
                                                                     : LPAE_EINVAL;
            assert_int_equal(lpae_kernel_kunmap(t.k, 0, v), want);
        }
        assert_true(seen[0] > 100 && seen[1] > 100 && seen[2] > 100);
        kt_close(&t);
    }
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Both kernels' CPUs, kernel statistics, descriptor writes and the task's
 * kmap stack agree. */
static void same_kmap_state(lpae_kernel *a, lpae_kernel *b, struct task *ta, struct task *tb)
{
    for (unsigned c = 0; c < a->cfg.ncpus; c++) {
        lpae_cpu_stats sa, sb;
        lpae_cpu_stats_get(a->cpus[c].cpu, &sa);
        lpae_cpu_stats_get(b->cpus[c].cpu, &sb);
        assert_memory_equal(&sa, &sb, sizeof(sa));
    }
    assert_memory_equal(&a->st, &b->st, sizeof(a->st));
    assert_true(lpae_pgtable_desc_writes(a->kpt) == lpae_pgtable_desc_writes(b->kpt));
    assert_int_equal(ta->nkm, tb->nkm);
    assert_int_equal(ta->kmap_cpu, tb->kmap_cpu);
    assert_memory_equal(ta->km, tb->km, sizeof(ta->km));
}

/* lpae_k_kmap_in / lpae_k_kunmap_in (the inline paths of the user-access
 * loops) against lpae_k_kmap / lpae_k_kunmap on a twin kernel: a fixed-seed
 * random sequence of highmem, lowmem and bad PAs, a NULL task, nesting up to
 * and past KM_MAX_IDX, the top, other slots, lowmem and bad VAs to unmap,
 * on both CPUs, with and without kmap_legacy; the same results, VAs,
 * statistics, PTE writes and kmap stacks. */
static void test_kmap_inline_matches(void **state)
{
    (void)state;
    for (unsigned legacy = 0; legacy < 2; legacy++) {
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_PINNED, 2);
        c.kmap_legacy = legacy != 0;
        lpae_kernel *a, *b;
        assert_int_equal(lpae_kernel_create(&c, &a), LPAE_OK);
        assert_int_equal(lpae_kernel_create(&c, &b), LPAE_OK);
        lpae_tev ev = kt_ev(LPAE_TEV_SYS_ENTER, 0, 7);
        assert_int_equal(lpae_kernel_apply(a, &ev, NULL), LPAE_OK);
        assert_int_equal(lpae_kernel_apply(b, &ev, NULL), LPAE_OK);
        struct task *ta = a->cpus[0].cur, *tb = b->cpus[0].cur;
        assert_non_null(ta);
        assert_non_null(tb);
        const lpae_layout *l = lpae_kernel_layout(a);
        assert_true(l->nhighmem > 0);
        uint64_t rng = 0x5EEDull + legacy;
        unsigned highmaps = 0;
        for (unsigned n = 0; n < 6000; n++) {
            unsigned cpu = rnd(&rng) % 8 == 0 ? 1u : 0u;
            unsigned what = (unsigned)(rnd(&rng) % 10);
            bool null_task = rnd(&rng) % 32 == 0;
            struct task *xa = null_task ? NULL : ta, *xb = null_task ? NULL : tb;
            if (what < 5) {
                lpae_pa_t pa;
                unsigned z = (unsigned)(rnd(&rng) % 8);
                if (z < 5)
                    pa = l->highmem[0].base + (rnd(&rng) % 4096) * LPAE_PAGE_SIZE +
                         rnd(&rng) % LPAE_PAGE_SIZE;
                else if (z < 7)
                    pa = l->lowmem[0].base + (rnd(&rng) % 4096) * LPAE_PAGE_SIZE;
                else
                    pa = UINT64_C(0x10000) + rnd(&rng) % LPAE_PAGE_SIZE; /* not RAM */
                lpae_va_t va1 = 1, va2 = 1;
                int e1 = lpae_k_kmap_in(a, &a->cpus[cpu], xa, pa, &va1);
                int e2 = lpae_k_kmap(b, &b->cpus[cpu], xb, pa, &va2);
                assert_int_equal(e1, e2);
                assert_true(va1 == va2);
                highmaps += e1 == LPAE_OK && z < 5;
            } else {
                lpae_va_t va;
                unsigned z = (unsigned)(rnd(&rng) % 8);
                if (z < 5 && ta->nkm > 0)
                    va = ta->km[ta->nkm - 1].va + (lpae_va_t)(rnd(&rng) % LPAE_PAGE_SIZE);
                else if (z < 6)
                    va = a->kmap_hi - (lpae_va_t)((rnd(&rng) % 32) << LPAE_PAGE_SHIFT);
                else if (z < 7)
                    va = (lpae_va_t)(l->page_offset + (rnd(&rng) % 4096) * LPAE_PAGE_SIZE);
                else
                    va = (lpae_va_t)rnd(&rng);
                int e1 = lpae_k_kunmap_in(a, &a->cpus[cpu], xa, va);
                int e2 = lpae_k_kunmap(b, &b->cpus[cpu], xb, va);
                assert_int_equal(e1, e2);
            }
            if (n % 16 == 0)
                same_kmap_state(a, b, ta, tb);
        }
        same_kmap_state(a, b, ta, tb);
        assert_true(highmaps > 100);
        lpae_kernel_destroy(a);
        lpae_kernel_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cached_layout_matches_layout),
        cmocka_unit_test(test_lowmem_fast_path),
        cmocka_unit_test(test_highmem_pair),
        cmocka_unit_test(test_highmem_pair_legacy),
        cmocka_unit_test(test_nesting_and_errors),
        cmocka_unit_test(test_sched_teardown_rebuild),
        cmocka_unit_test(test_classic_split),
        cmocka_unit_test(test_every_slot_pte),
        cmocka_unit_test(test_kmap_inline_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
