/* SPDX-License-Identifier: MIT */
/* The machine: hand-computed cycles, flush rules, maintenance, statistics,
 * the fast path, the coherence checker, and hits == walks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/machine.h"
#include "machine/memops_internal.h"

#define RAM_BASE UINT64_C(0x80000000)
#define ROOT (RAM_BASE + 0x0000)  /* level-1 table, 4 entries (T0SZ = 0) */
#define L2T (RAM_BASE + 0x1000)   /* level-2 table for VA 0..1 GB */
#define L3T (RAM_BASE + 0x2000)   /* level-3 table for VA 0..2 MB */
#define L3T_B (RAM_BASE + 0x3000) /* a second level-3 table */
#define PG_A (RAM_BASE + 0x100000)
#define PG_B (RAM_BASE + 0x101000)
#define PG_C (RAM_BASE + 0x102000)
#define BLK (RAM_BASE + 0x200000)
#define NOT_RAM UINT64_C(0x10000000) /* a table address outside RAM */

typedef struct fixture {
    lpae_phys *phys;
    lpae_cost *cost;
    lpae_machine *m;
} fixture;

static uint64_t leaf(lpae_pa_t pa, unsigned level, unsigned ap, bool ng)
{
    uint64_t d = pa | (level == 3 ? LPAE_DESC_TYPE_PAGE : LPAE_DESC_TYPE_BLOCK) | LPAE_DESC_AF |
                 ((uint64_t)ap << LPAE_DESC_AP_SHIFT) | (UINT64_C(3) << LPAE_DESC_SH_SHIFT) |
                 (UINT64_C(1) << LPAE_DESC_ATTRINDX_SHIFT);
    return ng ? d | LPAE_DESC_NG : d;
}

static void w64(fixture *f, lpae_pa_t pa, uint64_t v)
{
    assert_int_equal(lpae_phys_write64(f->phys, pa, v), LPAE_OK);
}

/* VA 0x1000, 0x2000 -> PG_A, PG_B (user RW, nG); VA 0x200000 -> 2 MB block
 * (kernel RW, global); everything through TTBR0, walk from level 1. */
static void build_tables(fixture *f)
{
    w64(f, ROOT + 0, L2T | LPAE_DESC_TYPE_TABLE);
    w64(f, L2T + 0, L3T | LPAE_DESC_TYPE_TABLE);
    w64(f, L2T + 8, leaf(BLK, 2, LPAE_AP_PL1_RW, false));
    w64(f, L3T + 8, leaf(PG_A, 3, LPAE_AP_RW, true));
    w64(f, L3T + 16, leaf(PG_B, 3, LPAE_AP_RW, true));
}

static void set_regs(lpae_cpu *cpu, uint8_t asid)
{
    lpae_regs r;
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbcr(&r, LPAE_TTBCR_EAE), LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbr(&r, 0, ROOT | ((uint64_t)asid << LPAE_TTBR_ASID_SHIFT)),
                     LPAE_OK);
    assert_int_equal(lpae_cpu_set_regs(cpu, &r), LPAE_OK);
}

static fixture *setup_preset(const char *preset, unsigned ncpus, lpae_cost *override)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    lpae_ram_range ram = {RAM_BASE, 64u << 20};
    lpae_phys_config pc = {&ram, 1, 0};
    assert_int_equal(lpae_phys_create(&pc, &f->phys), LPAE_OK);
    if (override)
        f->cost = override;
    else
        assert_int_equal(lpae_cost_preset(preset, &f->cost, NULL), LPAE_OK);
    lpae_machine_config mc = {f->cost, f->phys, ncpus, 1234};
    assert_int_equal(lpae_machine_create(&mc, &f->m), LPAE_OK);
    build_tables(f);
    for (unsigned i = 0; i < ncpus; i++)
        set_regs(lpae_machine_cpu(f->m, i), 1);
    return f;
}

static void teardown_fixture(fixture *f)
{
    lpae_machine_destroy(f->m);
    lpae_cost_destroy(f->cost);
    lpae_phys_destroy(f->phys);
    free(f);
}

static lpae_xlate xl(lpae_cpu *cpu, lpae_va_t va, unsigned access)
{
    lpae_xlate x;
    assert_int_equal(lpae_cpu_translate(cpu, va, access, &x), LPAE_OK);
    return x;
}

/* ---- hand-computed cycles (Cortex-A15 preset values) ------------------------
 * utlb.dl.latency 0, mtlb.latency 12, walk.base 12, wc.latency 2,
 * l1d.latency 4, l2.latency 21, dram.latency 208, walks read from L1D. */

static void cold_and_warm_three_level_walk(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);

    /* Cold: micro-TLB miss (0) + main-TLB lookup (12) + walk start (12) +
     * walk-cache lookup (2) + three fetches missing L1D and L2 (3 x 208). */
    lpae_xlate x = xl(cpu, 0x1234, LPAE_ACC_UR);
    assert_int_equal(x.fault, LPAE_FAULT_NONE);
    assert_int_equal(x.pa, PG_A + 0x234);
    assert_int_equal(x.src, LPAE_XS_WALK);
    assert_int_equal(x.nfetch, 3);
    assert_int_equal(x.start_level, 1);
    assert_int_equal(x.cycles, 0 + 12 + 12 + 2 + 3 * 208);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.fetches[1][LPAE_MEM_DRAM], 1);
    assert_int_equal(st.fetches[2][LPAE_MEM_DRAM], 1);
    assert_int_equal(st.fetches[3][LPAE_MEM_DRAM], 1);
    assert_int_equal(st.fetch_cycles[3][LPAE_MEM_DRAM], 208);
    assert_int_equal(st.cat[LPAE_CAT_TLB], 12);
    assert_int_equal(st.tlb_cycles[LPAE_ST_MTLB], 12);
    assert_int_equal(st.tlb_cycles[LPAE_ST_UTLB_DL], 0);
    assert_int_equal(st.cat[LPAE_CAT_WALK], 14);
    assert_int_equal(st.cat[LPAE_CAT_WALK_FETCH], 624);
    assert_int_equal(st.cycles, 650);

    /* Same VA again: micro-TLB hit, 0 cycles. */
    x = xl(cpu, 0x1ffc, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(x.cycles, 0);
    assert_int_equal(x.pa, PG_A + 0xffc);

    /* Neighbour page: level-2 walk-cache hit, one fetch from the L3 line
     * that is now in L1D: 12 + 12 + 2 + 4 = 30 (7-cpu's measured 30). */
    x = xl(cpu, 0x2000, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_WALK);
    assert_int_equal(x.start_level, 3);
    assert_int_equal(x.nfetch, 1);
    assert_int_equal(x.cycles, 30);

    /* Warm walk: TLBs and walk caches emptied, descriptors still in L1D:
     * 12 + 12 + 2 + 3 x 4 = 38. */
    lpae_cycles_t c;
    assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_ALL, false, 0, 0, &c), LPAE_OK);
    assert_int_equal(c, 20);
    x = xl(cpu, 0x1234, LPAE_ACC_UR);
    assert_int_equal(x.nfetch, 3);
    assert_int_equal(x.cycles, 38);
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.fetches[1][LPAE_MEM_L1D], 1);
    assert_int_equal(st.fetches[3][LPAE_MEM_L1D], 2);
    assert_int_equal(st.cat[LPAE_CAT_MAINT], 20);
    assert_int_equal(st.cycles, 650 + 0 + 30 + 20 + 38);
    assert_int_equal(st.translations, 4);
    assert_int_equal(st.walks, 3);
    assert_int_equal(st.hits[LPAE_ST_UTLB_DL], 1);
    assert_int_equal(lpae_cpu_cycles(cpu), st.cycles);
    /* cold again: caches emptied, TLBs and walk caches too */
    lpae_machine_flush_caches(f->m);
    lpae_cpu_tlbi(cpu, LPAE_TLBI_ALL, false, 0, 0, NULL);
    assert_int_equal(xl(cpu, 0x1234, LPAE_ACC_UR).cycles, 650);
    teardown_fixture(f);
}

static void block_served_by_main_tlb_after_micro_miss(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    /* Cold 2-level walk of the 2 MB block: 12 + 12 + 2 + 2 x 208. */
    lpae_xlate x = xl(cpu, 0x00200000, LPAE_ACC_PR);
    assert_int_equal(x.fault, LPAE_FAULT_NONE);
    assert_int_equal(x.size_shift, 21);
    assert_int_equal(x.level, 2);
    assert_int_equal(x.cycles, 442);
    /* The A15's L1 D-TLB holds it as one 4 KB piece; the main TLB holds 2 MB. */
    const lpae_tlb *ut = lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DL);
    const lpae_tlb *mt = lpae_cpu_tlb(cpu, LPAE_ST_MTLB);
    const lpae_tlb_entry *ue = lpae_tlb_probe(ut, 0x00200000, 1);
    assert_non_null(ue);
    assert_int_equal(ue->size_shift, 12);
    assert_int_equal(lpae_tlb_probe(mt, 0x00200000, 1)->size_shift, 21);
    /* Another 4 KB of the block: micro-TLB miss, main-TLB hit: 0 + 12. */
    x = xl(cpu, 0x003ff010, LPAE_ACC_PR);
    assert_int_equal(x.src, LPAE_XS_MTLB);
    assert_int_equal(x.cycles, 12);
    assert_int_equal(x.pa, BLK + 0x1ff010);
    assert_int_equal(x.size_shift, 21);
    /* and that piece is now in the micro-TLB */
    x = xl(cpu, 0x003ff000, LPAE_ACC_PR);
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(x.cycles, 0);
    /* A store goes through the separate store micro-TLB: miss, main hit. */
    x = xl(cpu, 0x003ff000, LPAE_ACC_PW);
    assert_int_equal(x.src, LPAE_XS_MTLB);
    assert_int_equal(x.cycles, 12);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.hits[LPAE_ST_MTLB], 2);
    assert_int_equal(st.misses[LPAE_ST_UTLB_DS], 1);
    assert_int_equal(st.hits[LPAE_ST_UTLB_DL], 1);
    teardown_fixture(f);
}

static void faults_and_permissions(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    /* kernel-only block: a user read is a permission fault, cached */
    lpae_xlate x = xl(cpu, 0x00200000, LPAE_ACC_UR);
    assert_int_equal(x.fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(x.fsc, LPAE_FSC_PERMISSION(2));
    x = xl(cpu, 0x00200000, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(x.fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(x.fsc, LPAE_FSC_PERMISSION(2));
    x = xl(cpu, 0x00200000, LPAE_ACC_PR); /* same entry answers a privileged read */
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(x.fault, LPAE_FAULT_NONE);
    /* unmapped: translation fault, never cached */
    x = xl(cpu, 0x5000, LPAE_ACC_PR);
    assert_int_equal(x.fault, LPAE_FAULT_TRANSLATION);
    x = xl(cpu, 0x5000, LPAE_ACC_PR);
    assert_int_equal(x.src, LPAE_XS_WALK);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.faults, 4);
    assert_int_equal(lpae_cpu_translate(cpu, 0, 3, &x), LPAE_EINVAL);
    assert_int_equal(lpae_cpu_translate(NULL, 0, 0, &x), LPAE_EINVAL);
    teardown_fixture(f);
}

/* ---- flush rules and maintenance ----------------------------------------------- */

static void a7_register_writes_flush_micro_tlbs(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a7", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    const lpae_tlb *ut = lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DL);
    assert_int_equal(lpae_tlb_count(ut), 1);
    assert_null(lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DS)); /* no store micro-TLB */
    lpae_cycles_t c;
    assert_int_equal(lpae_cpu_write_ttbr(cpu, 0, ROOT | (UINT64_C(1) << 48), &c), LPAE_OK);
    assert_int_equal(c, 8);
    assert_int_equal(lpae_tlb_count(ut), 0);
    assert_int_equal(lpae_tlb_count(lpae_cpu_tlb(cpu, LPAE_ST_MTLB)), 1); /* main TLB kept */
    lpae_xlate x = xl(cpu, 0x1000, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_MTLB);
    assert_int_equal(x.cycles, 2);
    assert_int_equal(lpae_cpu_write_contextidr(cpu, 7), 8);
    assert_int_equal(lpae_tlb_count(ut), 0);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    /* TLBI of an unrelated VA flushes the whole micro-TLB on the A7 */
    assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x7000000, 1, NULL), LPAE_OK);
    assert_int_equal(lpae_tlb_count(ut), 0);
    assert_int_equal(lpae_tlb_count(lpae_cpu_tlb(cpu, LPAE_ST_MTLB)), 1);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.utlb_flushes, 3);
    assert_int_equal(st.reg_writes, 2);
    assert_int_equal(st.cat[LPAE_CAT_REGWRITE], 16);
    /* a rejected write changes and charges nothing */
    assert_int_equal(lpae_cpu_write_ttbr(cpu, 0, UINT64_C(1) << 60, &c), LPAE_ERES0);
    assert_int_equal(lpae_cpu_cycles(cpu), st.cycles);
    teardown_fixture(f);
}

static uint64_t rnd(uint64_t *s);

/* lpae_cpu_write_ttbr() checks values against masks derived from TTBCR
 * and updates only the ASID: fixed-seed random TTBCR and TTBR values
 * (valid and not) give the result, registers and ASID lpae_regs_set_ttbr()
 * and lpae_regs_asid() give on a copy of the registers, and a rejected
 * write charges nothing. */
static void write_ttbr_matches_regs(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    uint64_t s = 0x77b7;
    unsigned bad = 0;
    for (unsigned i = 0; i < 20000; i++) {
        if (i % 64 == 0) {
            uint32_t ttbcr = LPAE_TTBCR_EAE | (uint32_t)(rnd(&s) % 8) << LPAE_TTBCR_T0SZ_SHIFT |
                             (uint32_t)(rnd(&s) % 8) << LPAE_TTBCR_T1SZ_SHIFT |
                             (rnd(&s) % 2 ? LPAE_TTBCR_A1 : 0);
            assert_int_equal(lpae_cpu_write_ttbcr(cpu, ttbcr, NULL), LPAE_OK);
        }
        unsigned which = (unsigned)(rnd(&s) % 2);
        /* a random ASID and base, aligned to 4 KB (always valid) or with
         * random low bits, and now and then a RES0 bit */
        uint64_t v = rnd(&s) & (LPAE_TTBR_ASID_MASK | UINT64_C(0xFFFFFFFFFF));
        if (rnd(&s) % 2)
            v &= ~UINT64_C(0xFFF);
        if (rnd(&s) % 8 == 0)
            v |= UINT64_C(1) << (40 + rnd(&s) % 8);
        lpae_regs want = *lpae_cpu_regs(cpu);
        int rc = lpae_regs_set_ttbr(&want, which, v);
        lpae_cycles_t before = lpae_cpu_cycles(cpu);
        assert_int_equal(lpae_cpu_write_ttbr(cpu, which, v, NULL), rc);
        assert_memory_equal(lpae_cpu_regs(cpu), &want, sizeof want);
        assert_int_equal(lpae_cpu_asid(cpu), lpae_regs_asid(&want));
        if (rc)
            assert_int_equal(lpae_cpu_cycles(cpu), before);
        bad += rc != LPAE_OK;
    }
    assert_true(bad > 1000 && bad < 19000); /* both kinds were tried */
    teardown_fixture(f);
}

static void a15_register_writes_keep_micro_tlbs(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    xl(cpu, 0x2000, LPAE_ACC_UR);
    const lpae_tlb *ut = lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DL);
    assert_int_equal(lpae_cpu_write_ttbr(cpu, 0, ROOT | (UINT64_C(2) << 48), NULL), LPAE_OK);
    lpae_cpu_write_contextidr(cpu, 9);
    assert_int_equal(lpae_tlb_count(ut), 2);
    assert_int_equal(lpae_cpu_asid(cpu), 2);
    /* nG entries of ASID 1 do not answer for ASID 2 */
    lpae_xlate x = xl(cpu, 0x1000, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_WALK);
    /* TLBIMVA of another VA leaves matching-free entries alone */
    assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x2000, 2, NULL), LPAE_OK);
    assert_int_equal(lpae_tlb_count(ut), 3); /* 0x1000/1, 0x2000/1, 0x1000/2 */
    assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x2000, 1, NULL), LPAE_OK);
    assert_int_equal(lpae_tlb_count(ut), 2);
    teardown_fixture(f);
}

static void tlbi_kinds_and_broadcast(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 2, NULL);
    lpae_cpu *c0 = lpae_machine_cpu(f->m, 0), *c1 = lpae_machine_cpu(f->m, 1);
    assert_null(lpae_machine_cpu(f->m, 2));
    for (int i = 0; i < 2; i++) {
        lpae_cpu *c = i ? c1 : c0;
        xl(c, 0x1000, LPAE_ACC_UR);     /* nG, ASID 1 */
        xl(c, 0x00200000, LPAE_ACC_PR); /* global block */
    }
    const lpae_tlb *m0 = lpae_cpu_tlb(c0, LPAE_ST_MTLB), *m1 = lpae_cpu_tlb(c1, LPAE_ST_MTLB);
    /* local TLBIASID on cpu0: its nG entry goes, the global stays; cpu1 untouched */
    lpae_cycles_t c;
    lpae_cpu_tlbi(c0, LPAE_TLBI_ASID, false, 0, 1, &c);
    assert_int_equal(c, 20);
    assert_null(lpae_tlb_probe(m0, 0x1000, 1));
    assert_non_null(lpae_tlb_probe(m0, 0x00200000, 1));
    assert_non_null(lpae_tlb_probe(m1, 0x1000, 1));
    assert_int_equal(lpae_walkcache_count(lpae_cpu_walkcache(c0, 2)), 0); /* ASID-tagged */
    assert_int_equal(lpae_walkcache_count(lpae_cpu_walkcache(c0, 1)), 0);
    assert_int_equal(lpae_walkcache_count(lpae_cpu_walkcache(c1, 1)), 1);
    /* TLBIMVAIS from cpu0 for the global block with another ASID: both CPUs */
    lpae_cpu_tlbi(c0, LPAE_TLBI_MVA, true, 0x00300000, 77, &c);
    assert_int_equal(c, 100);
    assert_null(lpae_tlb_probe(m0, 0x00200000, 0));
    assert_null(lpae_tlb_probe(m1, 0x00200000, 0));
    assert_non_null(lpae_tlb_probe(m1, 0x1000, 1));
    /* TLBIMVAAIS: every ASID */
    lpae_cpu_tlbi(c0, LPAE_TLBI_MVAA, true, 0x1000, 0, &c);
    assert_int_equal(c, 100);
    assert_null(lpae_tlb_probe(m1, 0x1000, 1));
    assert_null(lpae_tlb_probe(lpae_cpu_tlb(c1, LPAE_ST_UTLB_DL), 0x1000, 1));
    assert_non_null(lpae_tlb_probe(lpae_cpu_tlb(c1, LPAE_ST_UTLB_DL), 0x00200000, 1));
    /* TLBIALLIS */
    xl(c1, 0x2000, LPAE_ACC_UR);
    lpae_cpu_tlbi(c0, LPAE_TLBI_ALL, true, 0, 0, &c);
    assert_int_equal(c, 150);
    assert_int_equal(lpae_tlb_count(m1), 0);
    assert_int_equal(lpae_walkcache_count(lpae_cpu_walkcache(c1, 2)), 0);
    lpae_cpu_stats s0, s1;
    lpae_cpu_stats_get(c0, &s0);
    lpae_cpu_stats_get(c1, &s1);
    assert_int_equal(s0.tlbi[LPAE_TLBI_ASID][0], 1);
    assert_int_equal(s0.tlbi[LPAE_TLBI_MVA][1], 1);
    assert_int_equal(s0.tlbi[LPAE_TLBI_ALL][1], 1);
    assert_int_equal(s0.cat[LPAE_CAT_MAINT], 20 + 100 + 100 + 150);
    assert_int_equal(s1.tlbi_received, 3);
    assert_int_equal(s1.cat[LPAE_CAT_MAINT], 0);
    assert_int_equal(lpae_cpu_tlbi(c0, LPAE_TLBI_KINDS, false, 0, 0, NULL), LPAE_EINVAL);
    assert_string_equal(lpae_tlbi_name(LPAE_TLBI_MVAA), "TLBIMVAA");
    teardown_fixture(f);
}

static void walk_cache_skips_levels_and_a72_walks_from_l2(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a72", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    /* A72: utlb 0, mtlb 8, walk.base 2, wc 2, walks read L2 (13) / DRAM (150) */
    lpae_xlate x = xl(cpu, 0x1000, LPAE_ACC_UR);
    assert_int_equal(x.cycles, 8 + 2 + 2 + 3 * 150);
    /* walk descriptors were not allocated into L1D */
    assert_false(lpae_cache_probe(lpae_cpu_l1d(cpu), ROOT));
    assert_true(lpae_cache_probe(lpae_machine_l2(f->m), ROOT));
    /* level-1 walk-cache hit (block VA in the same 1 GB): resume at level 2 */
    x = xl(cpu, 0x00200000, LPAE_ACC_PR);
    assert_int_equal(x.start_level, 2);
    assert_int_equal(x.nfetch, 1);
    assert_int_equal(x.cycles, 8 + 2 + 2 + 13); /* L2[1] shares L2[0]'s line */
    /* the A72's L1 D-TLB holds 1 MB pieces of a 2 MB block */
    assert_int_equal(lpae_tlb_probe(lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DL), 0x00200000, 1)->size_shift,
                     20);
    /* level-2 walk-cache hit: resume at level 3 */
    x = xl(cpu, 0x2000, LPAE_ACC_UR);
    assert_int_equal(x.start_level, 3);
    assert_int_equal(x.cycles, 8 + 2 + 2 + 13);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.hits[LPAE_ST_WC1], 1);
    assert_int_equal(st.hits[LPAE_ST_WC2], 1);
    assert_int_equal(st.misses[LPAE_ST_WC2], 2);
    assert_int_equal(st.fetches[2][LPAE_MEM_L2], 1);
    teardown_fixture(f);
}

static void ttbr1_region_starting_at_level_2(void **state)
{
    (void)state;
    /* VMSPLIT_4G_4G-style TTBCR: T0SZ = 0, T1SZ = 4; TTBR1 covers 0xF0000000 and up,
     * its walk starts at level 2 (128 entries), so only the level-2 walk cache applies. */
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    const lpae_pa_t t1 = RAM_BASE + 0x8000, l3 = RAM_BASE + 0x9000;
    w64(f, t1 + 0x7E * 8, l3 | LPAE_DESC_TYPE_TABLE);            /* VA 0xFFC00000..0xFFDFFFFF */
    w64(f, l3 + 0x80 * 8, leaf(PG_A, 3, LPAE_AP_PL1_RW, false)); /* 0xFFC80000 */
    w64(f, l3 + 0x81 * 8, leaf(PG_B, 3, LPAE_AP_PL1_RW, false)); /* 0xFFC81000 */
    lpae_cycles_t c;
    assert_int_equal(lpae_cpu_write_ttbcr(cpu, LPAE_TTBCR_EAE | (4u << LPAE_TTBCR_T1SZ_SHIFT), &c),
                     LPAE_OK);
    assert_int_equal(c, 10);
    assert_int_equal(lpae_cpu_write_ttbr(cpu, 1, t1, NULL), LPAE_OK);
    lpae_region_rule rules[3] = {{"fixmap", 0xFFC00000u, 0xFFEFFFFFu, LPAE_SEL_TTBR1, -1},
                                 {"ttbr1", 0, 0xFFFFFFFFu, LPAE_SEL_TTBR1, -1},
                                 {"ttbr0", 0, 0xFFFFFFFFu, LPAE_SEL_TTBR0, -1}};
    assert_int_equal(lpae_machine_set_regions(f->m, rules, 3), LPAE_OK);
    lpae_xlate x = xl(cpu, 0xFFC80010, LPAE_ACC_PW);
    assert_int_equal(x.fault, LPAE_FAULT_NONE);
    assert_int_equal(x.sel, LPAE_SEL_TTBR1);
    assert_int_equal(x.start_level, 2);
    assert_int_equal(x.nfetch, 2);
    assert_int_equal(x.pa, PG_A + 0x10);
    assert_int_equal(x.region, 0);
    assert_int_equal(x.cycles, 12 + 12 + 2 + 2 * 208);
    x = xl(cpu, 0xFFC81000, LPAE_ACC_PR);
    assert_int_equal(x.start_level, 3);
    assert_int_equal(x.nfetch, 1);
    assert_int_equal(x.cycles, 12 + 12 + 2 + 4);
    x = xl(cpu, 0x1000, LPAE_ACC_UR); /* TTBR0 still walks from level 1 */
    assert_int_equal(x.start_level, 1);
    assert_int_equal(x.region, 2);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.hits[LPAE_ST_WC1] + st.misses[LPAE_ST_WC1], 1); /* only the TTBR0 walk */
    assert_int_equal(st.hits[LPAE_ST_WC2], 1);
    lpae_xstats r;
    lpae_cpu_region_stats(cpu, 0, &r);
    assert_int_equal(r.walks, 2);
    assert_int_equal(r.cycles, 442 + 30);
    teardown_fixture(f);
}

/* ---- statistics -------------------------------------------------------------------- */

static int count_asids(void *ctx, uint8_t asid, const lpae_xstats *st)
{
    unsigned *n = ctx;
    n[asid] = (unsigned)st->translations;
    n[256]++;
    return 0;
}

static void asid_and_region_statistics(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    lpae_region_rule rules[2] = {{"user", 0, 0x001FFFFF, LPAE_SEL_TTBR0, -1},
                                 {"kernel-asid1", 0x00200000, 0x003FFFFF, LPAE_SEL_TTBR0, 1}};
    assert_int_equal(lpae_machine_set_regions(f->m, rules, 2), LPAE_OK);
    assert_int_equal(lpae_machine_region_count(f->m), 3);
    assert_string_equal(lpae_machine_region_name(f->m, 2), "other");
    xl(cpu, 0x1000, LPAE_ACC_UR);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    xl(cpu, 0x00200000, LPAE_ACC_PR);
    lpae_cpu_write_ttbr(cpu, 0, ROOT | (UINT64_C(5) << 48), NULL);
    xl(cpu, 0x00200000, LPAE_ACC_PR); /* ASID 5: "other"; global entry hits */
    lpae_xstats r;
    assert_int_equal(lpae_cpu_region_stats(cpu, 0, &r), LPAE_OK);
    assert_int_equal(r.translations, 2);
    assert_int_equal(r.walks, 1);
    assert_int_equal(r.utlb_hits, 1);
    assert_int_equal(r.cycles, 650);
    lpae_cpu_region_stats(cpu, 1, &r);
    assert_int_equal(r.translations, 1);
    lpae_cpu_region_stats(cpu, 2, &r);
    assert_int_equal(r.translations, 1);
    assert_int_equal(r.utlb_hits, 1);
    assert_int_equal(lpae_cpu_region_stats(cpu, 3, &r), LPAE_EINVAL);
    lpae_xstats a;
    assert_int_equal(lpae_cpu_asid_stats(cpu, 1, &a), LPAE_OK);
    assert_int_equal(a.translations, 3);
    assert_int_equal(lpae_cpu_asid_stats(cpu, 5, &a), LPAE_OK);
    assert_int_equal(a.translations, 1);
    assert_int_equal(lpae_cpu_asid_stats(cpu, 9, &a), LPAE_ENOENT);
    unsigned n[257] = {0};
    assert_int_equal(lpae_cpu_foreach_asid(cpu, count_asids, n), 0);
    assert_int_equal(n[256], 2);
    assert_int_equal(n[1], 3);
    /* bad rules */
    lpae_region_rule bad = {"x", 0x1000, 0x1FFF, 2, -1};
    assert_int_equal(lpae_machine_set_regions(f->m, &bad, 1), LPAE_EINVAL);
    bad.sel = -1;
    bad.hi = 0x1800;
    assert_int_equal(lpae_machine_set_regions(f->m, &bad, 1), LPAE_EINVAL);
    lpae_cpu_stats_reset(cpu);
    assert_int_equal(lpae_cpu_cycles(cpu), 0);
    assert_int_equal(lpae_tlb_stats_get(lpae_cpu_tlb(cpu, LPAE_ST_MTLB)).lookups, 0);
    assert_int_equal(lpae_cpu_charge(cpu, LPAE_P_SW_GUP_FAST_PAGE, 3), 3 * 60);
    assert_int_equal(lpae_cpu_charge(cpu, LPAE_P_EXC_ENTRY, 1), 40);
    assert_int_equal(lpae_cpu_charge(cpu, LPAE_P_MTLB_ENTRIES, 1), 0); /* geometry */
    assert_int_equal(lpae_cpu_isb(cpu), 15);
    assert_int_equal(lpae_cpu_dsb(cpu), 30);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.cat[LPAE_CAT_SOFTWARE], 180);
    assert_int_equal(st.cat[LPAE_CAT_EXCEPTION], 40);
    assert_int_equal(st.cat[LPAE_CAT_BARRIER], 45);
    assert_int_equal(st.cycles, 265);
    teardown_fixture(f);
}

static void copies_and_memory(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    unsigned char buf[128], out[128];
    for (int i = 0; i < 128; i++)
        buf[i] = (unsigned char)(i * 7 + 1);
    assert_int_equal(lpae_phys_write(f->phys, PG_A + 0x40, buf, sizeof buf), LPAE_OK);
    /* warm the TLBs, then copy 128 B line-aligned from PG_A+0x40 to PG_B+0x80 */
    xl(cpu, 0x1000, LPAE_ACC_UR);
    xl(cpu, 0x2000, LPAE_ACC_UW);
    size_t done;
    lpae_cycles_t c;
    lpae_cpu_stats_reset(cpu);
    assert_int_equal(
        lpae_cpu_copy(cpu, 0x2080, LPAE_ACC_UW, 0x1040, LPAE_ACC_UR, 128, &done, NULL, &c), 0);
    assert_int_equal(done, 128);
    /* 2 source + 2 destination lines from DRAM at copy.line.dram 28; TLB hits cost 0 */
    assert_int_equal(c, 4 * 28);
    assert_int_equal(lpae_phys_read(f->phys, PG_B + 0x80, out, sizeof out), LPAE_OK);
    assert_memory_equal(buf, out, sizeof buf);
    /* again: all four lines in L1D */
    assert_int_equal(
        lpae_cpu_copy(cpu, 0x2080, LPAE_ACC_UW, 0x1040, LPAE_ACC_UR, 128, &done, NULL, &c), 0);
    assert_int_equal(c, 4 * 4);
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.copy_bytes, 256);
    assert_int_equal(st.lines[LPAE_MEM_DRAM], 4);
    assert_int_equal(st.lines[LPAE_MEM_L1D], 4);
    assert_int_equal(st.cat[LPAE_CAT_COPY], 128);
    /* crossing into an unmapped page faults after the mapped part */
    lpae_xlate fx;
    assert_int_equal(
        lpae_cpu_copy(cpu, 0x2f00, LPAE_ACC_UW, 0x1000, LPAE_ACC_UR, 0x200, &done, &fx, &c),
        LPAE_EFAULT);
    assert_int_equal(done, 0x100);
    assert_int_equal(fx.va, 0x3000);
    assert_int_equal(fx.fault, LPAE_FAULT_TRANSLATION);
    /* a user store to the kernel block is a permission fault */
    assert_int_equal(lpae_cpu_write(cpu, 0x00200000, LPAE_ACC_UW, buf, 4, &fx, NULL), LPAE_EFAULT);
    assert_int_equal(fx.fault, LPAE_FAULT_PERMISSION);
    /* loads and stores through the caches */
    /* the store hits the permission-faulted (but cached) store micro-TLB entry */
    assert_int_equal(lpae_cpu_write(cpu, 0x00200fc0, LPAE_ACC_PW, buf, 32, NULL, &c), LPAE_OK);
    assert_int_equal(c, 208);
    assert_int_equal(lpae_cpu_read(cpu, 0x00200fc0, LPAE_ACC_PR, out, 32, NULL, &c), LPAE_OK);
    assert_memory_equal(buf, out, 32);
    assert_int_equal(c, 12 + 4); /* load micro-TLB miss, main hit; one warm L1D line */
    assert_int_equal(lpae_cpu_read(cpu, 0x1000, LPAE_ACC_PW, out, 4, NULL, NULL), LPAE_EINVAL);
    assert_int_equal(
        lpae_cpu_copy(cpu, 0x2000, LPAE_ACC_UR, 0x1000, LPAE_ACC_UR, 4, NULL, NULL, NULL),
        LPAE_EINVAL);
    teardown_fixture(f);
}

/* ---- coherence checker ------------------------------------------------------------ */

typedef struct reports {
    unsigned n;
    lpae_coherence_report last;
} reports;

static void on_report(void *ctx, const lpae_coherence_report *r)
{
    reports *rs = ctx;
    rs->n++;
    rs->last = *r;
}

static void checker_catches_missing_tlbimva(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    reports rs = {0};
    lpae_machine_set_checker(f->m, on_report, &rs);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    assert_int_equal(rs.n, 0); /* consistent hit */
    /* change the PTE and forget the TLBIMVA */
    w64(f, L3T + 8, leaf(PG_C, 3, LPAE_AP_RW, true));
    lpae_cpu_set_event(cpu, 4242);
    lpae_xlate x = xl(cpu, 0x1010, LPAE_ACC_UR);
    assert_int_equal(x.pa, PG_A + 0x10); /* the stale entry answers, as hardware would */
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.last.event, 4242);
    assert_int_equal(rs.last.va, 0x1010);
    assert_int_equal(rs.last.asid, 1);
    assert_int_equal(rs.last.structure, LPAE_ST_UTLB_DL);
    assert_int_equal(rs.last.cached_pa, PG_A + 0x10);
    assert_int_equal(rs.last.cur_pa, PG_C + 0x10);
    assert_int_equal(rs.last.cur_fault, LPAE_FAULT_NONE);
    char line[256];
    assert_true(lpae_coherence_format(&rs.last, line, sizeof line) > 0);
    assert_non_null(strstr(line, "event 4242"));
    assert_non_null(strstr(line, "utlb-dl"));
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu, &st);
    assert_int_equal(st.coherence_reports, 1);
    /* the main TLB is stale too */
    x = xl(cpu, 0x1010, LPAE_ACC_UW);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.last.structure, LPAE_ST_MTLB);
    /* with the maintenance, quiet */
    lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x1000, 1, NULL);
    lpae_cpu_dsb(cpu);
    lpae_cpu_isb(cpu);
    x = xl(cpu, 0x1010, LPAE_ACC_UR);
    assert_int_equal(x.pa, PG_C + 0x10);
    x = xl(cpu, 0x1010, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(rs.n, 2);
    /* unmapping without maintenance is reported as a translation fault now */
    w64(f, L3T + 8, 0);
    xl(cpu, 0x1010, LPAE_ACC_UR);
    assert_int_equal(rs.n, 3);
    assert_int_equal(rs.last.cur_fault, LPAE_FAULT_TRANSLATION);
    teardown_fixture(f);
}

static void checker_catches_stale_walk_cache(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    reports rs = {0};
    lpae_machine_set_checker(f->m, on_report, &rs);
    xl(cpu, 0x1000, LPAE_ACC_UR);
    /* repoint the level-2 descriptor at a new level-3 table (freed-table reuse) */
    w64(f, L3T_B + 16, leaf(PG_C, 3, LPAE_AP_RW, true));
    w64(f, L2T + 0, L3T_B | LPAE_DESC_TYPE_TABLE);
    xl(cpu, 0x2000, LPAE_ACC_UR); /* misses the TLBs, hits the level-2 walk cache */
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.last.structure, LPAE_ST_WC2);
    assert_int_equal(rs.last.cached_pa, L3T);
    assert_int_equal(rs.last.cur_pa, L3T_B);
    char line[256];
    lpae_coherence_format(&rs.last, line, sizeof line);
    assert_non_null(strstr(line, "wc-l2"));
    /* TLBIMVA of that VA cleans the walk cache as well */
    lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x2000, 1, NULL);
    lpae_xlate x = xl(cpu, 0x2000, LPAE_ACC_UR);
    assert_int_equal(x.pa, PG_C);
    assert_int_equal(rs.n, 1);
    teardown_fixture(f);
}

/* A fill that shadows a page the fast path remembers: the micro-TLB answers
 * with its lowest matching slot, so a global entry filled (for another ASID)
 * into a lower slot than a stale nG entry of the same page becomes the
 * answer for the first ASID too; the fast path must not keep the old slot. */
static void fast_path_follows_shadowing_fill(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    const lpae_tlb *dl = lpae_cpu_tlb(cpu, LPAE_ST_UTLB_DL);
    assert_int_equal(xl(cpu, 0x1000, LPAE_ACC_UR).pa, PG_A); /* slot 0 */
    assert_int_equal(xl(cpu, 0x2000, LPAE_ACC_UR).pa, PG_B); /* slot 1 */
    lpae_xlate x = xl(cpu, 0x2000, LPAE_ACC_UR);             /* remembered by the fast path */
    assert_int_equal(x.src, LPAE_XS_UTLB);
    x = xl(cpu, 0x2004, LPAE_ACC_UR); /* answered by the fast path */
    assert_int_equal(x.src, LPAE_XS_UTLB);
    assert_int_equal(x.pa, PG_B + 4);
    assert_ptr_equal(lpae_tlb_probe(dl, 0x2000, 1), lpae_tlb_slot(dl, 1));
    /* slot 0 freed; page 0x2000 remapped global to PG_C without maintenance */
    assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_MVA, false, 0x1000, 1, NULL), LPAE_OK);
    w64(f, L3T + 16, leaf(PG_C, 3, LPAE_AP_RW, false));
    set_regs(cpu, 2); /* ASID 2 misses the stale nG entries: walk, global fill */
    x = xl(cpu, 0x2000, LPAE_ACC_UR);
    assert_int_equal(x.src, LPAE_XS_WALK);
    assert_int_equal(x.pa, PG_C);
    assert_ptr_equal(lpae_tlb_probe(dl, 0x2000, 2), lpae_tlb_slot(dl, 0));
    set_regs(cpu, 1); /* slot 0 (global) now answers ASID 1 as well */
    assert_ptr_equal(lpae_tlb_probe(dl, 0x2000, 1), lpae_tlb_slot(dl, 0));
    for (int i = 0; i < 2; i++) {
        x = xl(cpu, 0x2008, LPAE_ACC_UR);
        assert_int_equal(x.src, LPAE_XS_UTLB);
        assert_int_equal(x.pa, PG_C + 8);
    }
    teardown_fixture(f);
}

/* ---- randomized: hits answer what walks answer; fast path = full path --------------- */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random tables over VA 0..1 GB (level-1 entry 0) plus a 1 GB block at 1 GB. */
static void random_tables(fixture *f, uint64_t *s)
{
    w64(f, ROOT + 8, leaf(UINT64_C(0x40000000), 1, LPAE_AP_RW, false) | LPAE_DESC_PXN);
    /* VA 2..3 GB: a level-2 table outside RAM (external abort on the walk);
     * 3..4 GB: invalid (translation fault at level 1) */
    w64(f, ROOT + 16, NOT_RAM | LPAE_DESC_TYPE_TABLE);
    w64(f, ROOT + 24, 0);
    for (unsigned i = 0; i < 16; i++) {
        lpae_pa_t l3 = RAM_BASE + 0x10000 + i * 0x1000;
        uint64_t kind = rnd(s) % 4;
        uint64_t attrs = (rnd(s) % 3 == 0) ? ((rnd(s) % 4) << LPAE_DESC_APTABLE_SHIFT) |
                                                 ((rnd(s) & 1) ? LPAE_DESC_XNTABLE : 0)
                                           : 0;
        if (kind == 0) {
            w64(f, L2T + i * 8, 0);
            continue;
        }
        if (kind == 1) {
            uint64_t d =
                leaf(RAM_BASE + 0x1000000 + i * 0x200000, 2, (unsigned)(rnd(s) % 4), rnd(s) & 1);
            w64(f, L2T + i * 8, d | ((rnd(s) & 1) ? LPAE_DESC_XN : 0));
            continue;
        }
        if (i == 15) { /* a level-3 table outside RAM */
            w64(f, L2T + i * 8, NOT_RAM | LPAE_DESC_TYPE_TABLE | attrs);
            continue;
        }
        w64(f, L2T + i * 8, l3 | LPAE_DESC_TYPE_TABLE | attrs);
        for (unsigned j = 0; j < 64; j++) {
            uint64_t d = 0;
            if (rnd(s) % 5) {
                d = leaf(RAM_BASE + 0x2000000 + (rnd(s) % 4096) * 0x1000, 3, (unsigned)(rnd(s) % 4),
                         rnd(s) & 1);
                d |= (rnd(s) % 7 == 0) ? LPAE_DESC_XN : 0;
                d |= (rnd(s) % 7 == 0) ? LPAE_DESC_PXN : 0;
                if (rnd(s) % 11 == 0)
                    d &= ~LPAE_DESC_AF;
            }
            w64(f, l3 + j * 8, d);
        }
    }
}

static lpae_va_t random_va(uint64_t *s)
{
    if (rnd(s) % 10 == 0)
        return 0x40000000u + (lpae_va_t)(rnd(s) % 0x40000000u);
    if (rnd(s) % 20 == 0) /* the upper half: TTBR1, the gap, faults */
        return 0x80000000u + (lpae_va_t)(rnd(s) % 0x80000000u);
    bool hot = rnd(s) % 4 != 0; /* locality: most accesses go to 16 hot pages */
    unsigned i = (unsigned)(rnd(s) % (hot ? 4 : 16)), j = (unsigned)(rnd(s) % (hot ? 4 : 64));
    return (lpae_va_t)(i * 0x200000u + j * 0x1000u + rnd(s) % 0x1000u);
}

/* TTBCR settings the randomized run switches between: both regions from
 * level 1 (T0SZ = 0, and 2 GB / 2 GB), the upper region disabled (EPD1),
 * a gap between the regions, TTBR0 from level 2 (its base the level-2
 * table), the ASID from TTBR1. */
static const uint32_t rnd_ttbcr[] = {
    LPAE_TTBCR_EAE,
    LPAE_TTBCR_EAE | 1u | (1u << LPAE_TTBCR_T1SZ_SHIFT),
    LPAE_TTBCR_EAE | 1u | (1u << LPAE_TTBCR_T1SZ_SHIFT) | LPAE_TTBCR_EPD1,
    LPAE_TTBCR_EAE | 1u | (2u << LPAE_TTBCR_T1SZ_SHIFT),
    LPAE_TTBCR_EAE | 2u,
    LPAE_TTBCR_EAE | 1u | (1u << LPAE_TTBCR_T1SZ_SHIFT) | LPAE_TTBCR_A1,
};

static uint64_t rnd_ttbr0(uint32_t ttbcr, uint8_t asid)
{
    lpae_pa_t base = (ttbcr & LPAE_TTBCR_T0SZ_MASK) >= 2 ? L2T : ROOT;
    return base | ((uint64_t)asid << LPAE_TTBR_ASID_SHIFT);
}

static void rnd_set_ttbcr(lpae_cpu *c, uint32_t ttbcr, uint8_t asid)
{
    assert_int_equal(lpae_cpu_write_ttbcr(c, ttbcr, NULL), LPAE_OK);
    assert_int_equal(lpae_cpu_write_ttbr(c, 0, rnd_ttbr0(ttbcr, asid), NULL), LPAE_OK);
    assert_int_equal(
        lpae_cpu_write_ttbr(c, 1, ROOT | ((uint64_t)asid << LPAE_TTBR_ASID_SHIFT), NULL), LPAE_OK);
    /* the cached entries of the old layout go (hits must answer what walks answer) */
    assert_int_equal(lpae_cpu_tlbi(c, LPAE_TLBI_ALL, false, 0, 0, NULL), LPAE_OK);
}

/* Every TLB slot, walk-cache entry (probed at each 2 MB block) and data-cache
 * counter of @p a's and @p b's CPU @p ci is the same. */
static void assert_same_structures(lpae_machine *ma, lpae_machine *mb, unsigned ci)
{
    const lpae_cpu *a = lpae_machine_cpu(ma, ci), *b = lpae_machine_cpu(mb, ci);
    for (unsigned s = 0; s <= LPAE_ST_MTLB; s++) {
        const lpae_tlb *ta = lpae_cpu_tlb(a, (lpae_struct)s), *tb = lpae_cpu_tlb(b, (lpae_struct)s);
        assert_int_equal(lpae_tlb_capacity(ta), lpae_tlb_capacity(tb));
        assert_int_equal(lpae_tlb_count(ta), lpae_tlb_count(tb));
        lpae_tlb_stats sa = lpae_tlb_stats_get(ta), sb = lpae_tlb_stats_get(tb);
        assert_memory_equal(&sa, &sb, sizeof sa);
        for (size_t i = 0; i < lpae_tlb_capacity(ta); i++) {
            const lpae_tlb_entry *ea = lpae_tlb_slot(ta, i), *eb = lpae_tlb_slot(tb, i);
            assert_int_equal(ea->valid, eb->valid);
            assert_int_equal(ea->serial, eb->serial);
            if (!ea->valid)
                continue;
            assert_int_equal(ea->va, eb->va);
            assert_int_equal(ea->pa, eb->pa);
            assert_memory_equal(&ea->attrs, &eb->attrs, sizeof ea->attrs);
            assert_int_equal(ea->size_shift, eb->size_shift);
            assert_int_equal(ea->leaf_shift, eb->leaf_shift);
            assert_int_equal(ea->level, eb->level);
            assert_int_equal(ea->asid, eb->asid);
            assert_int_equal(ea->sel, eb->sel);
            assert_int_equal(ea->global, eb->global);
        }
    }
    for (unsigned l = 1; l <= 2; l++) {
        const lpae_walkcache *wa = lpae_cpu_walkcache(a, l), *wb = lpae_cpu_walkcache(b, l);
        assert_int_equal(lpae_walkcache_count(wa), lpae_walkcache_count(wb));
        lpae_tlb_stats sa = lpae_walkcache_stats_get(wa), sb = lpae_walkcache_stats_get(wb);
        assert_memory_equal(&sa, &sb, sizeof sa);
        for (uint64_t va = 0; va < (UINT64_C(1) << 32); va += 0x200000)
            for (unsigned asid = 0; asid < 4; asid++) {
                const lpae_wc_entry *pa = lpae_walkcache_probe(wa, (lpae_va_t)va, (uint8_t)asid);
                const lpae_wc_entry *pb = lpae_walkcache_probe(wb, (lpae_va_t)va, (uint8_t)asid);
                assert_int_equal(pa == NULL, pb == NULL);
                if (!pa)
                    continue;
                assert_int_equal(pa->va, pb->va);
                assert_int_equal(pa->table_pa, pb->table_pa);
                assert_int_equal(pa->desc_pa, pb->desc_pa);
                assert_int_equal(pa->desc, pb->desc);
                assert_int_equal(pa->table_attrs, pb->table_attrs);
                assert_int_equal(pa->level, pb->level);
                assert_int_equal(pa->asid, pb->asid);
                assert_int_equal(pa->sel, pb->sel);
            }
    }
    lpae_cache_stats ca = lpae_cache_stats_get(lpae_cpu_l1d(a));
    lpae_cache_stats cb = lpae_cache_stats_get(lpae_cpu_l1d(b));
    assert_memory_equal(&ca, &cb, sizeof ca);
}

/* 1 to LPAE_MAX_REGIONS random page-aligned region rules (ranges that
 * overlap, nest and touch; either or one selection; any or one ASID) on
 * both machines. */
static void random_regions(lpae_machine *ma, lpae_machine *mb, uint64_t *s)
{
    lpae_region_rule r[LPAE_MAX_REGIONS];
    size_t n = 1 + (size_t)(rnd(s) % LPAE_MAX_REGIONS);
    memset(r, 0, sizeof r);
    for (size_t i = 0; i < n; i++) {
        /* bounds on 64 KB steps over 0..4 GB, or at 0 and the top */
        uint64_t a = (rnd(s) % 65536) << 16, b = (rnd(s) % 65536) << 16;
        if (rnd(s) % 5 == 0)
            a = 0;
        if (rnd(s) % 5 == 0)
            b = UINT64_C(1) << 32;
        if (a > b) {
            uint64_t t = a;
            a = b;
            b = t;
        }
        if (a == b)
            b = a + 0x1000;
        snprintf(r[i].name, sizeof r[i].name, "r%zu", i);
        r[i].lo = (lpae_va_t)a;
        r[i].hi = (lpae_va_t)(b - 1);
        r[i].sel = (int)(rnd(s) % 3) - 1;
        r[i].asid = rnd(s) % 3 ? -1 : (int)(1 + rnd(s) % 3);
    }
    assert_int_equal(lpae_machine_set_regions(ma, r, n), LPAE_OK);
    assert_int_equal(lpae_machine_set_regions(mb, r, n), LPAE_OK);
}

static void nop_report(void *ctx, const lpae_coherence_report *r)
{
    (void)r;
    (*(unsigned *)ctx)++;
}

static void run_random_lat(const char *preset, bool shrink, bool latency)
{
    static const unsigned acc[6] = {LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_PX,
                                    LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX};
    lpae_cost *c1, *c2;
    assert_int_equal(lpae_cost_preset(preset, &c1, NULL), 0);
    if (shrink) { /* small structures: many evictions */
        lpae_cost_set(c1, LPAE_P_MTLB_ENTRIES, 16);
        lpae_cost_set(c1, LPAE_P_MTLB_WAYS, 2);
        lpae_cost_set(c1, LPAE_P_MTLB_REPL, LPAE_REPL_RANDOM);
        lpae_cost_set(c1, LPAE_P_UTLB_DL_REPL, LPAE_REPL_RR);
        lpae_cost_set(c1, LPAE_P_WC2_ENTRIES, 4);
        lpae_cost_set(c1, LPAE_P_WC2_WAYS, 2);
        lpae_cost_set(c1, LPAE_P_WC_REPL, LPAE_REPL_PLRU);
    }
    if (latency) { /* micro-TLB hits that charge cycles (0 on every preset) */
        lpae_cost_set(c1, LPAE_P_UTLB_I_LATENCY, 1);
        lpae_cost_set(c1, LPAE_P_UTLB_DL_LATENCY, 2);
        lpae_cost_set(c1, LPAE_P_UTLB_DS_LATENCY, 3);
    }
    assert_int_equal(lpae_cost_clone(c1, &c2), 0);
    fixture *fa = setup_preset(NULL, 2, c1);
    fixture *fb = setup_preset(NULL, 2, c2);
    unsigned chk_reports = 0;
    lpae_machine_set_checker(fb->m, nop_report, &chk_reports); /* no fast path on b */
    uint64_t s = 0x5eed, sa = 77, sb = 77;
    random_tables(fa, &sa);
    random_tables(fb, &sb);
    uint32_t ttbcr[2] = {LPAE_TTBCR_EAE, LPAE_TTBCR_EAE};
    unsigned walks_by_fault[6] = {0};
    for (unsigned op = 0; op < 20000; op++) {
        unsigned ci = (unsigned)(rnd(&s) % 2);
        lpae_cpu *ca = lpae_machine_cpu(fa->m, ci), *cb = lpae_machine_cpu(fb->m, ci);
        uint64_t r = rnd(&s) % 100;
        if (r < 3) {
            uint8_t asid = (uint8_t)(1 + rnd(&s) % 3);
            lpae_cpu_write_ttbr(ca, 0, rnd_ttbr0(ttbcr[ci], asid), NULL);
            lpae_cpu_write_ttbr(cb, 0, rnd_ttbr0(ttbcr[ci], asid), NULL);
            continue;
        }
        if (r == 98 && rnd(&s) % 4 == 0) { /* 0.25 %: other statistics regions */
            /* (the region statistics start again: compare them first) */
            for (unsigned cj = 0; cj < 2; cj++)
                for (size_t i = 0; i < lpae_machine_region_count(fa->m); i++) {
                    lpae_xstats ra, rb;
                    assert_int_equal(lpae_cpu_region_stats(lpae_machine_cpu(fa->m, cj), i, &ra), 0);
                    assert_int_equal(lpae_cpu_region_stats(lpae_machine_cpu(fb->m, cj), i, &rb), 0);
                    assert_memory_equal(&ra, &rb, sizeof ra);
                }
            random_regions(fa->m, fb->m, &s);
            continue;
        }
        if (r == 99 && rnd(&s) % 4 == 0) { /* 0.25 %: another region layout */
            ttbcr[ci] = rnd_ttbcr[rnd(&s) % (sizeof rnd_ttbcr / sizeof rnd_ttbcr[0])];
            uint8_t asid = (uint8_t)(1 + rnd(&s) % 3);
            rnd_set_ttbcr(ca, ttbcr[ci], asid);
            rnd_set_ttbcr(cb, ttbcr[ci], asid);
            continue;
        }
        if (r < 4) {
            lpae_tlbi k = (lpae_tlbi)(rnd(&s) % 4);
            lpae_va_t va = random_va(&s);
            uint8_t asid = (uint8_t)(1 + rnd(&s) % 3);
            bool is = rnd(&s) & 1;
            lpae_cpu_tlbi(ca, k, is, va, asid, NULL);
            lpae_cpu_tlbi(cb, k, is, va, asid, NULL);
            continue;
        }
        if (r < 16) { /* a user touch: its fills and fast-path entries serve later
                         translations, which are compared in full below */
            lpae_va_t va = random_va(&s);
            unsigned a = acc[rnd(&s) % 6];
            size_t len = 1 + (size_t)(rnd(&s) % 64);
            lpae_xlate fxa, fxb;
            int ea = lpae_cpu_touch(ca, va, a, len, &fxa);
            int eb = lpae_cpu_touch(cb, va, a, len, &fxb);
            assert_int_equal(ea, eb);
            if (ea == LPAE_EFAULT) { /* the fault record (else none is written) */
                assert_int_equal(fxa.fault, fxb.fault);
                assert_int_equal(fxa.fsc, fxb.fsc);
                assert_int_equal(fxa.region, fxb.region);
                assert_int_equal(fxa.src, fxb.src);
            }
            continue;
        }
        lpae_va_t va = random_va(&s);
        unsigned a = acc[rnd(&s) % 6];
        lpae_xlate xa, xb;
        assert_int_equal(lpae_cpu_translate(ca, va, a, &xa), 0);
        assert_int_equal(lpae_cpu_translate(cb, va, a, &xb), 0);
        lpae_walk_result w;
        assert_int_equal(lpae_walk(lpae_cpu_regs(ca), fa->phys, va, a, &w), 0);
        /* the answer equals the walk's, wherever it came from */
        assert_int_equal(xa.fault, w.fault);
        assert_int_equal(xa.fsc, w.fsc);
        assert_int_equal(xa.level, w.level);
        if (w.fault == LPAE_FAULT_NONE || w.fault == LPAE_FAULT_PERMISSION) {
            assert_int_equal(xa.pa, w.pa);
            assert_int_equal(xa.size_shift, w.size_shift);
            assert_memory_equal(&xa.attrs, &w.attrs, sizeof w.attrs);
        }
        if (xa.src == LPAE_XS_WALK)
            walks_by_fault[xa.fault]++;
        /* fast path (a) and full path (b) agree exactly */
        assert_int_equal(xa.cycles, xb.cycles);
        assert_int_equal(xa.src, xb.src);
        assert_int_equal(xa.va, xb.va);
        assert_int_equal(xa.fault, xb.fault);
        assert_int_equal(xa.fsc, xb.fsc);
        assert_int_equal(xa.level, xb.level);
        assert_int_equal(xa.sel, xb.sel);
        assert_int_equal(xa.asid, xb.asid);
        assert_int_equal(xa.region, xb.region);
        assert_int_equal(xa.start_level, xb.start_level);
        assert_int_equal(xa.nfetch, xb.nfetch);
        if (xa.fault == LPAE_FAULT_NONE || xa.fault == LPAE_FAULT_PERMISSION) {
            assert_int_equal(xa.pa, xb.pa);
            assert_int_equal(xa.size_shift, xb.size_shift);
            assert_memory_equal(&xa.attrs, &xb.attrs, sizeof xa.attrs);
        }
    }
    assert_int_equal(chk_reports, 0); /* tables never changed */
    /* walks ended in every outcome (the address-size fault needs TTBR bits
     * the register checks refuse) */
    for (unsigned fk = 0; fk < 6; fk++)
        if (fk != LPAE_FAULT_ADDRESS_SIZE && walks_by_fault[fk] == 0)
            fail_msg("%s: no walk ended in fault kind %u", preset, fk);
    for (unsigned ci = 0; ci < 2; ci++) {
        assert_same_structures(fa->m, fb->m, ci);
        lpae_cpu_stats sa_, sb_;
        lpae_cpu_stats_get(lpae_machine_cpu(fa->m, ci), &sa_);
        lpae_cpu_stats_get(lpae_machine_cpu(fb->m, ci), &sb_);
        assert_memory_equal(&sa_, &sb_, sizeof sa_);
        for (size_t i = 0; i < lpae_machine_region_count(fa->m); i++) {
            lpae_xstats ra, rb;
            assert_int_equal(lpae_cpu_region_stats(lpae_machine_cpu(fa->m, ci), i, &ra), 0);
            assert_int_equal(lpae_cpu_region_stats(lpae_machine_cpu(fb->m, ci), i, &rb), 0);
            assert_memory_equal(&ra, &rb, sizeof ra);
        }
        for (unsigned asid = 0; asid < 4; asid++) {
            lpae_xstats ra, rb;
            int ea = lpae_cpu_asid_stats(lpae_machine_cpu(fa->m, ci), (uint8_t)asid, &ra);
            int eb = lpae_cpu_asid_stats(lpae_machine_cpu(fb->m, ci), (uint8_t)asid, &rb);
            assert_int_equal(ea, eb);
            if (!ea)
                assert_memory_equal(&ra, &rb, sizeof ra);
        }
        if (sa_.hits[LPAE_ST_UTLB_DL] <= 300 || sa_.walks <= 100)
            fail_msg("%s: utlb-dl hits %llu walks %llu", preset,
                     (unsigned long long)sa_.hits[LPAE_ST_UTLB_DL], (unsigned long long)sa_.walks);
    }
    teardown_fixture(fa);
    teardown_fixture(fb);
}

static void run_random(const char *preset, bool shrink)
{
    run_random_lat(preset, shrink, false);
}

static void randomized_hits_equal_walks(void **state)
{
    (void)state;
    run_random_lat("cortex-a15", false, true);
    run_random_lat("cortex-a7", true, true);
    run_random("cortex-a15", false);
    run_random("cortex-a15", true);
    run_random("cortex-a7", true);
    run_random("cortex-a17", true);
    run_random("cortex-a53", false);
    run_random("cortex-a72", true);
}

/* The micro-TLB's LRU victims (the touch log, and the plain scan when the
 * least recently used slot is more than 256 touches old) against the
 * checker-on machine's generic fills: phases of a few hot pages hit many
 * times, then sweeps over more pages than the 32-way micro-TLB holds, and
 * TLBIMVAs that empty slots the next fills take first. */
static void micro_tlb_lru_after_hot_phases(void **state)
{
    (void)state;
    fixture *fa = setup_preset("cortex-a15", 1, NULL);
    fixture *fb = setup_preset("cortex-a15", 1, NULL);
    unsigned chk_reports = 0;
    lpae_machine_set_checker(fb->m, nop_report, &chk_reports);
    for (unsigned i = 1; i < 96; i++) { /* pages 1..95 of the first 2 MB */
        w64(fa, L3T + 8u * i, leaf(RAM_BASE + 0x400000 + 0x1000u * i, 3, LPAE_AP_RW, true));
        w64(fb, L3T + 8u * i, leaf(RAM_BASE + 0x400000 + 0x1000u * i, 3, LPAE_AP_RW, true));
    }
    lpae_cpu *ca = lpae_machine_cpu(fa->m, 0), *cb = lpae_machine_cpu(fb->m, 0);
    uint64_t s = 0x10c;
    for (unsigned phase = 0; phase < 24; phase++) {
        unsigned n =
            phase % 3 == 0 ? 2000 : 300; /* long hot phases push the LRU way out of the log */
        for (unsigned k = 0; k < n; k++) {
            lpae_va_t va = (lpae_va_t)(1u + (unsigned)(rnd(&s) % (phase % 2 ? 4 : 3))) << 12;
            lpae_xlate xa = xl(ca, va + 8u * phase, LPAE_ACC_UR);
            lpae_xlate xb = xl(cb, va + 8u * phase, LPAE_ACC_UR);
            assert_int_equal(xa.pa, xb.pa);
            assert_int_equal(xa.src, xb.src);
            assert_int_equal(xa.cycles, xb.cycles);
        }
        unsigned span = 20 + (unsigned)(rnd(&s) % 75); /* 20..94 pages */
        for (unsigned k = 0; k < 2 * span; k++) {
            lpae_va_t va = (lpae_va_t)(1u + (k * 7u + phase) % span) << 12;
            if (rnd(&s) % 16 == 0) {
                lpae_cpu_tlbi(ca, LPAE_TLBI_MVA, false, va, 1, NULL);
                lpae_cpu_tlbi(cb, LPAE_TLBI_MVA, false, va, 1, NULL);
            }
            unsigned acc = rnd(&s) % 2 ? LPAE_ACC_UR : LPAE_ACC_UW;
            lpae_xlate xa = xl(ca, va, acc), xb = xl(cb, va, acc);
            assert_int_equal(xa.pa, xb.pa);
            assert_int_equal(xa.src, xb.src);
            assert_int_equal(xa.cycles, xb.cycles);
        }
        assert_same_structures(fa->m, fb->m, 0);
    }
    teardown_fixture(fa);
    teardown_fixture(fb);
}

/* A walk's mair byte follows MAIR0 written through lpae_cpu_set_regs()
 * (the leaf attribute cache holds decoded bytes: a MAIR write must empty
 * it), random MAIR0 values from a fixed seed, the TLBs emptied between. */
static void mair_writes_reach_walks(void **state)
{
    (void)state;
    fixture *f = setup_preset("cortex-a15", 1, NULL);
    lpae_cpu *cpu = lpae_machine_cpu(f->m, 0);
    uint64_t s = 0x3a1e;
    static const lpae_va_t vas[] = {0x1000, 0x2000, 0x200000};
    for (int i = 0; i < 64; i++) {
        lpae_regs r = *lpae_cpu_regs(cpu);
        uint32_t mair0 = (uint32_t)rnd(&s);
        assert_int_equal(lpae_regs_set_mair(&r, 0, mair0), LPAE_OK);
        assert_int_equal(lpae_cpu_set_regs(cpu, &r), LPAE_OK);
        assert_int_equal(lpae_cpu_tlbi(cpu, LPAE_TLBI_ALL, false, 0, 0, NULL), LPAE_OK);
        for (unsigned k = 0; k < 3; k++) {
            lpae_xlate x = xl(cpu, vas[k], k == 2 ? LPAE_ACC_PR : LPAE_ACC_UR);
            assert_int_equal(x.fault, LPAE_FAULT_NONE);
            assert_int_equal(x.src, LPAE_XS_WALK);
            assert_int_equal(x.attrs.attrindx, 1);
            assert_int_equal(x.attrs.mair, (uint8_t)(mair0 >> 8));
        }
    }
    teardown_fixture(f);
}

static void machine_errors(void **state)
{
    (void)state;
    lpae_machine *m = NULL;
    lpae_cost *c;
    assert_int_equal(lpae_cost_preset("cortex-a15", &c, NULL), 0);
    lpae_ram_range ram = {RAM_BASE, 1u << 20};
    lpae_phys_config pc = {&ram, 1, 0};
    lpae_phys *ph;
    assert_int_equal(lpae_phys_create(&pc, &ph), 0);
    lpae_machine_config mc = {c, ph, 0, 0};
    assert_int_equal(lpae_machine_create(&mc, &m), LPAE_EINVAL);
    mc.ncpus = 9;
    assert_int_equal(lpae_machine_create(&mc, &m), LPAE_EINVAL);
    mc.ncpus = 1;
    lpae_cost_set(c, LPAE_P_MTLB_ENTRIES, 100);
    assert_int_equal(lpae_machine_create(&mc, &m), LPAE_EINVAL);
    assert_null(m);
    lpae_cost_set(c, LPAE_P_MTLB_ENTRIES, 512);
    assert_int_equal(lpae_machine_create(&mc, &m), LPAE_OK);
    lpae_cpu *cpu = lpae_machine_cpu(m, 0);
    lpae_regs r;
    lpae_regs_init(&r);
    r.ttbcr = 0; /* EAE = 0 */
    assert_int_not_equal(lpae_cpu_set_regs(cpu, &r), LPAE_OK);
    /* MMU off: flat, free, uncached */
    lpae_regs_init(&r);
    r.sctlr &= ~LPAE_SCTLR_M;
    assert_int_equal(lpae_cpu_set_regs(cpu, &r), LPAE_OK);
    lpae_xlate x;
    assert_int_equal(lpae_cpu_translate(cpu, 0x12345678, LPAE_ACC_PR, &x), 0);
    assert_int_equal(x.src, LPAE_XS_FLAT);
    assert_int_equal(x.pa, 0x12345678);
    assert_int_equal(x.cycles, 0);
    assert_string_equal(lpae_struct_name(LPAE_ST_WC2), "wc-l2");
    assert_string_equal(lpae_struct_name(99), "?");
    assert_int_equal(lpae_machine_ncpus(m), 1);
    assert_non_null(lpae_machine_cost(m));
    lpae_machine_destroy(m);
    lpae_phys_destroy(ph);
    lpae_cost_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cold_and_warm_three_level_walk),
        cmocka_unit_test(block_served_by_main_tlb_after_micro_miss),
        cmocka_unit_test(faults_and_permissions),
        cmocka_unit_test(a7_register_writes_flush_micro_tlbs),
        cmocka_unit_test(a15_register_writes_keep_micro_tlbs),
        cmocka_unit_test(write_ttbr_matches_regs),
        cmocka_unit_test(tlbi_kinds_and_broadcast),
        cmocka_unit_test(walk_cache_skips_levels_and_a72_walks_from_l2),
        cmocka_unit_test(ttbr1_region_starting_at_level_2),
        cmocka_unit_test(asid_and_region_statistics),
        cmocka_unit_test(copies_and_memory),
        cmocka_unit_test(checker_catches_missing_tlbimva),
        cmocka_unit_test(checker_catches_stale_walk_cache),
        cmocka_unit_test(fast_path_follows_shadowing_fill),
        cmocka_unit_test(randomized_hits_equal_walks),
        cmocka_unit_test(micro_tlb_lru_after_hot_phases),
        cmocka_unit_test(mair_writes_reach_walks),
        cmocka_unit_test(machine_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
