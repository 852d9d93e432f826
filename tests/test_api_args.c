/* SPDX-License-Identifier: MIT */
/* Every LPAE_API entry point on bad arguments: NULL pointers, out-of-range
 * indices and values, misaligned addresses and sizes. Fallible functions
 * must return the error their header documents (and change nothing);
 * functions that cannot fail must return a neutral value (0, NULL, false,
 * "?") without crashing.
 *
 * test_every_api_is_covered reads the headers in include/lpae/ and fails when an
 * LPAE_API function is not called in this file, so a new entry point cannot
 * be added without a case here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "lpae/asid.h"
#include "lpae/cache.h"
#include "lpae/cost.h"
#include "lpae/elf.h"
#include "lpae/err.h"
#include "lpae/kernel.h"
#include "lpae/layout.h"
#include "lpae/machine.h"
#include "lpae/mm.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/replay.h"
#include "lpae/report.h"
#include "lpae/split.h"
#include "lpae/tlb.h"
#include "lpae/trace.h"
#include "lpae/walk.h"

#define RAM_BASE UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(16) << 20)

/* A small world: RAM, a TTBR0 tree, registers, a machine. */
typedef struct world {
    lpae_phys *phys;
    lpae_pgtable *pt;
    lpae_regs regs;
    lpae_cost *cost;
    lpae_machine *m;
    lpae_cpu *cpu;
} world;

static int world_setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    lpae_ram_range r = {RAM_BASE, RAM_SIZE};
    lpae_phys_config pc = {&r, 1, 0};
    lpae_pgtable_config tc;
    lpae_machine_config mc;
    assert_non_null(w);
    assert_int_equal(lpae_phys_create(&pc, &w->phys), 0);
    memset(&tc, 0, sizeof tc);
    tc.phys = w->phys;
    tc.sel = LPAE_SEL_TTBR0;
    assert_int_equal(lpae_pgtable_create(&tc, &w->pt), 0);
    lpae_regs_init(&w->regs);
    assert_int_equal(lpae_regs_set_ttbcr(&w->regs, LPAE_TTBCR_EAE), 0);
    assert_int_equal(lpae_regs_set_ttbr(&w->regs, 0, lpae_pgtable_ttbr(w->pt, 1)), 0);
    assert_int_equal(lpae_cost_preset("cortex-a15", &w->cost, NULL), 0);
    memset(&mc, 0, sizeof mc);
    mc.cost = w->cost;
    mc.phys = w->phys;
    mc.ncpus = 1;
    assert_int_equal(lpae_machine_create(&mc, &w->m), 0);
    w->cpu = lpae_machine_cpu(w->m, 0);
    assert_non_null(w->cpu);
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    world *w = *state;
    lpae_machine_destroy(w->m);
    lpae_cost_destroy(w->cost);
    lpae_pgtable_destroy(w->pt);
    lpae_phys_destroy(w->phys);
    free(w);
    return 0;
}

#define E(expected, call) assert_int_equal((call), (expected))

/* ---- err.h, split.h, regs.h, walk.h ------------------------------------ */

static void test_err_split_regs_walk(void **state)
{
    world *w = *state;
    lpae_regs r;
    lpae_region reg;
    lpae_split sp;
    lpae_walk_result res;
    unsigned acc;
    char buf[8];
    (void)state;

    assert_string_equal(lpae_strerror(12345), "unknown error");
    assert_string_equal(lpae_err_name(-999), "LPAE_E?");

    E(LPAE_EINVAL, lpae_split_preset(lpae_split_preset_count(), &sp));
    E(LPAE_EINVAL, lpae_split_preset(0, NULL));
    E(LPAE_EINVAL, lpae_split_find(NULL, &sp));
    E(LPAE_EINVAL, lpae_split_find("3G", NULL));
    E(LPAE_EINVAL, lpae_split_find("no-such-split", &sp));
    E(LPAE_ERANGE, lpae_split_find("t0sz=8,t1sz=0", &sp));
    E(LPAE_EPARSE, lpae_split_find("t0sz=x,t1sz=0", &sp));
    assert_int_equal(lpae_split_ttbcr(NULL, 0), 0);

    lpae_regs_init(NULL); /* no-op */
    lpae_regs_init(&r);
    E(LPAE_EINVAL, lpae_regs_set_ttbcr(NULL, LPAE_TTBCR_EAE));
    E(LPAE_EUNSUPP, lpae_regs_set_ttbcr(&r, 0)); /* EAE = 0: short descriptors */
    E(LPAE_ERES0, lpae_regs_set_ttbcr(&r, LPAE_TTBCR_EAE | (1u << 6))); /* SBZ bit 6 */
    E(LPAE_EINVAL, lpae_regs_set_ttbr(NULL, 0, 0));
    E(LPAE_EINVAL, lpae_regs_set_ttbr(&r, 2, 0));
    E(LPAE_ERES0, lpae_regs_set_ttbr(&r, 0, UINT64_C(1) << 40));
    E(LPAE_EALIGN, lpae_regs_set_ttbr(&r, 0, 0x80000001u));
    E(LPAE_EINVAL, lpae_regs_set_mair(NULL, 0, 0));
    E(LPAE_EINVAL, lpae_regs_set_mair(&r, 2, 0));
    E(LPAE_EINVAL, lpae_regs_set_sctlr(NULL, 1));
    E(LPAE_EINVAL, lpae_regs_check(NULL));
    E(LPAE_EINVAL, lpae_regs_region(NULL, 0, &reg));
    E(LPAE_EINVAL, lpae_regs_region(&r, 0, NULL));
    assert_int_equal(lpae_regs_asid(NULL), 0);
    assert_int_equal(lpae_regs_mair_attr(NULL, 0), 0);
    assert_int_equal(lpae_regs_mair_attr(&r, 8), 0);
    assert_int_equal(lpae_regs_ttbr_base(NULL, 0), 0);
    assert_int_equal(lpae_regs_ttbr_base(&r, 2), 0);

    assert_string_equal(lpae_access_name(3), "??");
    assert_string_equal(lpae_access_name(99), "??");
    E(LPAE_EINVAL, lpae_access_parse(NULL, &acc));
    E(LPAE_EINVAL, lpae_access_parse("PR", NULL));
    E(LPAE_EPARSE, lpae_access_parse("RW", &acc));
    assert_non_null(lpae_fault_name((lpae_fault)99));
    E(LPAE_EINVAL, lpae_walk(NULL, w->phys, 0, LPAE_ACC_PR, &res));
    E(LPAE_EINVAL, lpae_walk(&w->regs, NULL, 0, LPAE_ACC_PR, &res));
    E(LPAE_EINVAL, lpae_walk(&w->regs, w->phys, 0, LPAE_ACC_PR, NULL));
    E(LPAE_EINVAL, lpae_walk(&w->regs, w->phys, 0, 3, &res));
    E(LPAE_EINVAL, lpae_walk_from(NULL, w->phys, 0, LPAE_ACC_PR, 2, RAM_BASE, 0, &res));
    E(LPAE_EINVAL, lpae_walk_from(&w->regs, w->phys, 0, LPAE_ACC_PR, 0, RAM_BASE, 0, &res));
    E(LPAE_EINVAL, lpae_walk_from(&w->regs, w->phys, 0, LPAE_ACC_PR, 4, RAM_BASE, 0, &res));
    E(LPAE_EINVAL, lpae_walk_from(&w->regs, w->phys, 0, 7, 2, RAM_BASE, 0, &res));
    (void)lpae_perm_mask(7, true, true, 3, true, true, 0xFFFFFFFFu); /* any bits: a mask */
    assert_int_equal(lpae_walk_par(NULL), 0);
    E(LPAE_EINVAL, lpae_walk_explain(NULL, buf, sizeof buf));
    assert_int_equal(lpae_walk(&w->regs, w->phys, 0, LPAE_ACC_PR, &res), 0);
    E(LPAE_EINVAL, lpae_walk_explain(&res, NULL, 4));
}

/* ---- phys.h -------------------------------------------------------------- */

static void test_phys(void **state)
{
    world *w = *state;
    lpae_ram_range r = {RAM_BASE, RAM_SIZE}, many[LPAE_PHYS_MAX_RANGES + 1];
    lpae_phys_config pc = {&r, 1, 0};
    lpae_phys *p = NULL;
    lpae_phys_stats st;
    lpae_pa_t pa;
    uint64_t v;
    char b[8] = {0};

    E(LPAE_EINVAL, lpae_phys_create(NULL, &p));
    E(LPAE_EINVAL, lpae_phys_create(&pc, NULL));
    pc.nranges = 0;
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    for (size_t i = 0; i < LPAE_PHYS_MAX_RANGES + 1; i++)
        many[i] = (lpae_ram_range){RAM_BASE + i * 0x100000, 0x1000};
    pc.ranges = many;
    pc.nranges = LPAE_PHYS_MAX_RANGES + 1;
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    pc.ranges = NULL;
    pc.nranges = 1;
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    pc.ranges = &r;
    r.size = 0;
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    r.size = 0x1800;
    E(LPAE_EALIGN, lpae_phys_create(&pc, &p));
    r = (lpae_ram_range){UINT64_C(1) << 40, 0x1000};
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    many[1] = many[0];
    pc.ranges = many;
    pc.nranges = 2;
    E(LPAE_EINVAL, lpae_phys_create(&pc, &p));
    assert_null(p);
    lpae_phys_destroy(NULL);

    assert_false(lpae_phys_is_ram(NULL, RAM_BASE, 1));
    assert_false(lpae_phys_is_ram(w->phys, RAM_BASE + RAM_SIZE - 1, 2));
    E(LPAE_EINVAL, lpae_phys_read(NULL, RAM_BASE, b, 1));
    E(LPAE_EINVAL, lpae_phys_read(w->phys, RAM_BASE, NULL, 1));
    E(LPAE_EABORT, lpae_phys_read(w->phys, RAM_BASE - 1, b, 2));
    E(LPAE_EABORT, lpae_phys_read(w->phys, UINT64_MAX, b, 2));
    /* Lengths that wrap the address space are outside RAM, not overflows. */
    E(LPAE_EABORT, lpae_phys_read(w->phys, RAM_BASE, b, SIZE_MAX));
    E(LPAE_EABORT, lpae_phys_write(w->phys, RAM_BASE + 8, b, SIZE_MAX - 4));
    assert_false(lpae_phys_is_ram(w->phys, RAM_BASE, UINT64_MAX));
    E(LPAE_EINVAL, lpae_phys_reserve(w->phys, RAM_BASE, 0));
    E(LPAE_EABORT, lpae_phys_reserve(w->phys, RAM_BASE, UINT64_MAX & LPAE_PAGE_MASK));
    E(LPAE_EABORT, lpae_phys_free(w->phys, RAM_BASE, UINT64_MAX & LPAE_PAGE_MASK));
    E(LPAE_EINVAL, lpae_phys_write(NULL, RAM_BASE, b, 1));
    E(LPAE_EINVAL, lpae_phys_write(w->phys, RAM_BASE, NULL, 1));
    E(LPAE_EABORT, lpae_phys_write(w->phys, RAM_BASE + RAM_SIZE - 1, b, 2));
    E(LPAE_EINVAL, lpae_phys_read64(NULL, RAM_BASE, &v));
    E(LPAE_EINVAL, lpae_phys_read64(w->phys, RAM_BASE, NULL));
    E(LPAE_EALIGN, lpae_phys_read64(w->phys, RAM_BASE + 4, &v));
    E(LPAE_EABORT, lpae_phys_read64(w->phys, 0, &v));
    E(LPAE_EINVAL, lpae_phys_write64(NULL, RAM_BASE, 0));
    E(LPAE_EALIGN, lpae_phys_write64(w->phys, RAM_BASE + 4, 0));
    E(LPAE_EABORT, lpae_phys_write64(w->phys, 0, 0));
    E(LPAE_EINVAL, lpae_phys_alloc_page(NULL, 0, UINT64_MAX, &pa));
    E(LPAE_EINVAL, lpae_phys_alloc_page(w->phys, 0, UINT64_MAX, NULL));
    E(LPAE_ENOSPC, lpae_phys_alloc_page(w->phys, 0, RAM_BASE, &pa));
    E(LPAE_EINVAL, lpae_phys_alloc_contig(NULL, 0x1000, 0x1000, 0, UINT64_MAX, &pa));
    E(LPAE_EINVAL, lpae_phys_alloc_contig(w->phys, 0x1000, 0x1000, 0, UINT64_MAX, NULL));
    E(LPAE_EALIGN, lpae_phys_alloc_contig(w->phys, 0x1800, 0x1000, 0, UINT64_MAX, &pa));
    E(LPAE_EINVAL, lpae_phys_alloc_contig(w->phys, 0x1000, 0x3000, 0, UINT64_MAX, &pa));
    E(LPAE_EINVAL, lpae_phys_alloc_contig(w->phys, 0x1000, 0x1000, RAM_BASE, RAM_BASE, &pa));
    E(LPAE_ENOSPC, lpae_phys_alloc_contig(w->phys, RAM_SIZE * 2, 0x1000, 0, UINT64_MAX, &pa));
    E(LPAE_EINVAL, lpae_phys_reserve(NULL, RAM_BASE, 0x1000));
    E(LPAE_EALIGN, lpae_phys_reserve(w->phys, RAM_BASE + 1, 0x1000));
    E(LPAE_EALIGN, lpae_phys_reserve(w->phys, RAM_BASE, 0x10));
    E(LPAE_EABORT, lpae_phys_reserve(w->phys, 0, 0x1000));
    E(LPAE_EEXIST, lpae_phys_reserve(w->phys, lpae_pgtable_root(w->pt), 0x1000));
    E(LPAE_EINVAL, lpae_phys_free(NULL, RAM_BASE, 0x1000));
    E(LPAE_EALIGN, lpae_phys_free(w->phys, RAM_BASE + 8, 0x1000));
    E(LPAE_EABORT, lpae_phys_free(w->phys, 0, 0x1000));
    E(LPAE_ENOENT, lpae_phys_free(w->phys, RAM_BASE + RAM_SIZE - 0x1000, 0x1000));
    assert_false(lpae_phys_frame_in_use(NULL, RAM_BASE));
    assert_false(lpae_phys_frame_in_use(w->phys, 0));
    E(LPAE_EINVAL, lpae_phys_stats_get(NULL, &st));
    E(LPAE_EINVAL, lpae_phys_stats_get(w->phys, NULL));
    assert_int_equal(lpae_phys_range_count(NULL), 0);
    E(LPAE_EINVAL, lpae_phys_range_get(NULL, 0, &r));
    E(LPAE_EINVAL, lpae_phys_range_get(w->phys, 1, &r));
    E(LPAE_EINVAL, lpae_phys_range_get(w->phys, 0, NULL));
}

/* The backing cap: a write past it fails with LPAE_ENOMEM, changes nothing. */
static void test_phys_cap(void **state)
{
    lpae_ram_range r = {RAM_BASE, RAM_SIZE};
    lpae_phys_config pc = {&r, 1, 2 * 4096};
    lpae_phys *p;
    lpae_phys_stats st;
    unsigned char page[3 * 4096], back[3 * 4096];
    (void)state;
    memset(page, 0x5A, sizeof page);
    assert_int_equal(lpae_phys_create(&pc, &p), 0);
    E(LPAE_ENOMEM, lpae_phys_write(p, RAM_BASE, page, sizeof page));
    assert_int_equal(lpae_phys_stats_get(p, &st), 0);
    assert_int_equal(st.backed_pages, 0);
    assert_int_equal(lpae_phys_read(p, RAM_BASE, back, sizeof back), 0);
    assert_int_equal(back[0], 0);
    E(0, lpae_phys_write(p, RAM_BASE, page, 2 * 4096));
    E(LPAE_ENOMEM, lpae_phys_write64(p, RAM_BASE + 2 * 4096, 1));
    lpae_phys_destroy(p);
}

/* ---- pgtable.h ------------------------------------------------------------ */

static int visit_count(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)va;
    (void)size;
    (void)level;
    (void)desc;
    ++*(int *)ctx;
    return 0;
}

static void test_pgtable(void **state)
{
    world *w = *state;
    lpae_pgtable_config tc;
    lpae_pgtable *pt = NULL;
    lpae_prot prot = {.ap = LPAE_AP_RW, .af = true};
    lpae_pte_ref ref;
    lpae_pgtable_stats st;
    lpae_pa_t dpa;

    memset(&tc, 0, sizeof tc);
    tc.phys = w->phys;
    E(LPAE_EINVAL, lpae_pgtable_create(NULL, &pt));
    E(LPAE_EINVAL, lpae_pgtable_create(&tc, NULL));
    tc.tsz = 8;
    E(LPAE_EINVAL, lpae_pgtable_create(&tc, &pt));
    tc.tsz = 0;
    tc.sel = LPAE_SEL_NONE;
    E(LPAE_EINVAL, lpae_pgtable_create(&tc, &pt));
    tc.sel = LPAE_SEL_TTBR0;
    tc.phys = NULL;
    E(LPAE_EINVAL, lpae_pgtable_create(&tc, &pt));
    tc.phys = w->phys;
    tc.table_hi = RAM_BASE; /* no RAM below the window's end */
    E(LPAE_ENOSPC, lpae_pgtable_create(&tc, &pt));
    assert_null(pt);
    lpae_pgtable_destroy(NULL);
    assert_int_equal(lpae_pgtable_root(NULL), 0);
    assert_int_equal(lpae_pgtable_ttbr(NULL, 1), 0);
    assert_null(lpae_pgtable_region(NULL));

    E(LPAE_EINVAL, lpae_pgtable_map(NULL, 0, RAM_BASE, 0x1000, &prot, 0));
    E(LPAE_EINVAL, lpae_pgtable_map(w->pt, 0, RAM_BASE, 0x1000, NULL, 0));
    E(LPAE_EINVAL, lpae_pgtable_map(w->pt, 0, RAM_BASE, 0, &prot, 0));
    E(LPAE_EALIGN, lpae_pgtable_map(w->pt, 0x10, RAM_BASE, 0x1000, &prot, 0));
    E(LPAE_EALIGN, lpae_pgtable_map(w->pt, 0, RAM_BASE + 8, 0x1000, &prot, 0));
    E(LPAE_EALIGN, lpae_pgtable_map(w->pt, 0, RAM_BASE, 0x1001, &prot, 0));
    E(LPAE_EALIGN, lpae_pgtable_map(w->pt, 0x1000, RAM_BASE, 0x200000, &prot, LPAE_MAP_FORCE_2M));
    E(LPAE_ERANGE, lpae_pgtable_map(w->pt, 0, (UINT64_C(1) << 40) - 0x1000, 0x2000, &prot, 0));
    E(LPAE_ERANGE, lpae_pgtable_map(w->pt, 0xFFFFF000u, RAM_BASE, 0x2000, &prot, 0));
    E(LPAE_ERANGE,
      lpae_pgtable_map(w->pt, 0x1000, RAM_BASE, UINT64_MAX & LPAE_PAGE_MASK, &prot, 0));
    E(LPAE_ERANGE, lpae_pgtable_unmap(w->pt, 0x1000, UINT64_MAX & LPAE_PAGE_MASK));
    E(0, lpae_pgtable_map(w->pt, 0x1000, RAM_BASE, 0x1000, &prot, 0));
    E(LPAE_EEXIST, lpae_pgtable_map(w->pt, 0x1000, RAM_BASE, 0x1000, &prot, 0));
    E(LPAE_EINVAL, lpae_pgtable_unmap(NULL, 0x1000, 0x1000));
    E(LPAE_EALIGN, lpae_pgtable_unmap(w->pt, 0x1004, 0x1000));
    E(LPAE_EALIGN, lpae_pgtable_unmap(w->pt, 0x1000, 0x10));
    E(LPAE_ERANGE, lpae_pgtable_unmap(w->pt, 0xFFFFF000u, 0x2000));
    E(LPAE_EINVAL, lpae_pgtable_protect(NULL, 0x1000, 0x1000, &prot));
    E(LPAE_EINVAL, lpae_pgtable_protect(w->pt, 0x1000, 0x1000, NULL));
    E(LPAE_EALIGN, lpae_pgtable_protect(w->pt, 0x1001, 0x1000, &prot));
    E(LPAE_EINVAL, lpae_pgtable_set_table_attrs(NULL, 0x1000, 1, 0));
    E(LPAE_EINVAL, lpae_pgtable_set_table_attrs(w->pt, 0x1000, 3, 0));
    E(LPAE_ENOENT, lpae_pgtable_set_table_attrs(w->pt, 0x80000000u, 1, 0));
    E(LPAE_EINVAL, lpae_pgtable_lookup(NULL, 0x1000, &ref));
    E(LPAE_EINVAL, lpae_pgtable_lookup(w->pt, 0x1000, NULL));
    E(LPAE_ENOENT, lpae_pgtable_lookup(w->pt, 0x5000, &ref));
    E(LPAE_EINVAL, lpae_pgtable_set_desc(NULL, 0x1000, 3, 0, &dpa));
    E(LPAE_EINVAL, lpae_pgtable_set_desc(w->pt, 0x1000, 0, 0, &dpa));
    E(LPAE_EINVAL, lpae_pgtable_set_desc(w->pt, 0x1000, 4, 0, &dpa));
    {
        int n = 0;
        E(LPAE_EINVAL, lpae_pgtable_foreach(NULL, visit_count, &n));
        E(LPAE_EINVAL, lpae_pgtable_foreach(w->pt, NULL, &n));
        assert_int_equal(n, 0);
    }
    E(LPAE_EINVAL, lpae_pgtable_stats_get(NULL, &st));
    E(LPAE_EINVAL, lpae_pgtable_stats_get(w->pt, NULL));
    assert_int_equal(lpae_desc_leaf(0, RAM_BASE, &prot), 0);
    assert_int_equal(lpae_desc_leaf(3, RAM_BASE, NULL), 0);
    lpae_desc_prot(0, NULL); /* no-op */
    E(0, lpae_pgtable_unmap(w->pt, 0x1000, 0x1000));
}

/* ---- tlb.h, cache.h ------------------------------------------------------- */

static void test_tlb_cache(void **state)
{
    lpae_tlb_config tc = {.entries = 32, .ways = 2, .sizes = 1u << 12};
    lpae_walkcache_config wc = {.entries = 8, .ways = 2, .level = 1};
    lpae_cache_config cc = {.size = 32768, .ways = 2, .line = 64};
    lpae_tlb *t = NULL;
    lpae_walkcache *c = NULL;
    lpae_cache *k = NULL;
    lpae_tlb_entry e;
    lpae_fetch f;
    lpae_tlb_stats ts;
    lpae_cache_stats cs;
    (void)state;

    E(LPAE_EINVAL, lpae_tlb_create(NULL, &t));
    E(LPAE_EINVAL, lpae_tlb_create(&tc, NULL));
    tc.entries = 0;
    E(LPAE_EINVAL, lpae_tlb_create(&tc, &t));
    tc.entries = 24; /* 12 sets: not a power of two */
    E(LPAE_EINVAL, lpae_tlb_create(&tc, &t));
    tc.entries = 32;
    tc.sizes = 1u << 21; /* no 4 KB */
    E(LPAE_EINVAL, lpae_tlb_create(&tc, &t));
    tc.sizes = 1u << 12;
    tc.repl = 99;
    E(LPAE_EINVAL, lpae_tlb_create(&tc, &t));
    assert_null(t);
    lpae_tlb_destroy(NULL);
    assert_null(lpae_tlb_lookup(NULL, 0, 0));
    assert_null(lpae_tlb_probe(NULL, 0, 0));
    memset(&e, 0, sizeof e);
    assert_null(lpae_tlb_insert(NULL, 0, &e, NULL));
    assert_int_equal(lpae_tlb_inv_all(NULL), 0);
    assert_int_equal(lpae_tlb_inv_asid(NULL, 1), 0);
    assert_int_equal(lpae_tlb_inv_va(NULL, 0, 1), 0);
    assert_int_equal(lpae_tlb_inv_va_all(NULL, 0), 0);
    assert_int_equal(lpae_tlb_count(NULL), 0);
    assert_int_equal(lpae_tlb_capacity(NULL), 0);
    assert_null(lpae_tlb_slot(NULL, 0));
    ts = lpae_tlb_stats_get(NULL);
    assert_int_equal(ts.hits, 0);
    lpae_tlb_reset(NULL);
    (void)lpae_tlb_piece_shift(0, 99); /* any value: no crash */
    tc.repl = 0;
    assert_int_equal(lpae_tlb_create(&tc, &t), 0);
    assert_null(lpae_tlb_insert(t, 0, NULL, NULL));
    assert_null(lpae_tlb_slot(t, lpae_tlb_capacity(t)));
    lpae_tlb_destroy(t);

    E(LPAE_EINVAL, lpae_walkcache_create(NULL, &c));
    E(LPAE_EINVAL, lpae_walkcache_create(&wc, NULL));
    wc.level = 3;
    E(LPAE_EINVAL, lpae_walkcache_create(&wc, &c));
    wc.level = 1;
    wc.ways = 3;
    E(LPAE_EINVAL, lpae_walkcache_create(&wc, &c));
    assert_null(c);
    lpae_walkcache_destroy(NULL);
    assert_null(lpae_walkcache_lookup(NULL, 0, 0));
    assert_null(lpae_walkcache_probe(NULL, 0, 0));
    memset(&f, 0, sizeof f);
    assert_null(lpae_walkcache_insert(NULL, 0, 0, 0, &f));
    assert_int_equal(lpae_walkcache_inv_all(NULL), 0);
    assert_int_equal(lpae_walkcache_inv_asid(NULL, 0), 0);
    assert_int_equal(lpae_walkcache_inv_va(NULL, 0, 0), 0);
    assert_int_equal(lpae_walkcache_inv_va_all(NULL, 0), 0);
    assert_int_equal(lpae_walkcache_count(NULL), 0);
    ts = lpae_walkcache_stats_get(NULL);
    assert_int_equal(ts.misses, 0);
    lpae_walkcache_reset(NULL);
    wc.ways = 2;
    assert_int_equal(lpae_walkcache_create(&wc, &c), 0);
    assert_null(lpae_walkcache_insert(c, 0, 0, 0, NULL));
    lpae_walkcache_destroy(c);

    E(LPAE_EINVAL, lpae_cache_create(NULL, &k));
    E(LPAE_EINVAL, lpae_cache_create(&cc, NULL));
    cc.line = 48;
    E(LPAE_EINVAL, lpae_cache_create(&cc, &k));
    cc.line = 64;
    cc.ways = 65;
    E(LPAE_EINVAL, lpae_cache_create(&cc, &k));
    assert_null(k);
    lpae_cache_destroy(NULL);
    assert_false(lpae_cache_access(NULL, 0));
    assert_false(lpae_cache_probe(NULL, 0));
    lpae_cache_flush(NULL);
    assert_int_equal(lpae_cache_line(NULL), 0);
    cs = lpae_cache_stats_get(NULL);
    assert_int_equal(cs.accesses, 0);
    lpae_cache_stats_reset(NULL);
}

/* ---- cost.h ---------------------------------------------------------------- */

static void test_cost(void **state)
{
    world *w = *state;
    lpae_cost *c = NULL;
    lpae_cost_error err;
    lpae_param bad;
    char buf[32];

    assert_null(lpae_param_get_info(LPAE_P_COUNT));
    assert_null(lpae_param_get_info((lpae_param)-1));
    E(LPAE_EINVAL, lpae_param_find(NULL));
    E(LPAE_EINVAL, lpae_param_find("no.such.key"));
    assert_string_equal(lpae_cat_name(LPAE_CAT_COUNT), "?");
    assert_string_equal(lpae_repl_name(99), "?");
    assert_string_equal(lpae_mem_level_name(99), "?");
    E(LPAE_EINVAL, lpae_cost_create(NULL));
    lpae_cost_destroy(NULL);
    E(LPAE_EINVAL, lpae_cost_clone(NULL, &c));
    E(LPAE_EINVAL, lpae_cost_clone(w->cost, NULL));
    assert_null(lpae_cost_preset_name(lpae_cost_preset_count()));
    E(LPAE_EINVAL, lpae_cost_preset(NULL, &c, &err));
    E(LPAE_EINVAL, lpae_cost_preset("cortex-a15", NULL, &err));
    E(LPAE_EINVAL, lpae_cost_preset("pentium", &c, &err));
    E(LPAE_EINVAL, lpae_cost_load_preset_file(NULL, &c, &err));
    E(LPAE_EINVAL, lpae_cost_load_preset_file("x", NULL, &err));
    E(LPAE_EIO, lpae_cost_load_preset_file("/nonexistent/preset.conf", &c, &err));
    E(LPAE_EINVAL, lpae_cost_load_file(NULL, "x", &err));
    E(LPAE_EINVAL, lpae_cost_load_file(w->cost, NULL, &err));
    E(LPAE_EIO, lpae_cost_load_file(w->cost, "/nonexistent/user.conf", &err));
    E(LPAE_EINVAL, lpae_cost_load_text(NULL, "", 0, "t", &err));
    E(LPAE_EINVAL, lpae_cost_load_text(w->cost, NULL, 4, "t", &err));
    E(LPAE_EPARSE, lpae_cost_load_text(w->cost, "mtlb.latency = -1\n", 18, "t", &err));
    assert_null(c);
    assert_int_equal(lpae_cost_get(NULL, LPAE_P_CLOCK_MHZ), 0);
    assert_int_equal(lpae_cost_get(w->cost, LPAE_P_COUNT), 0);
    E(LPAE_EINVAL, lpae_cost_set(NULL, LPAE_P_CLOCK_MHZ, 1));
    E(LPAE_EINVAL, lpae_cost_set(w->cost, LPAE_P_COUNT, 1));
    assert_int_equal(lpae_cost_mark(NULL, LPAE_P_CLOCK_MHZ), '?');
    assert_int_equal(lpae_cost_mark(w->cost, LPAE_P_COUNT), '?');
    assert_string_equal(lpae_cost_source(w->cost, LPAE_P_COUNT), "");
    assert_string_equal(lpae_cost_source(NULL, LPAE_P_CLOCK_MHZ), "");
    assert_string_equal(lpae_cost_name(NULL), "");
    E(LPAE_EINVAL, lpae_cost_format(NULL, LPAE_P_CLOCK_MHZ, buf, sizeof buf));
    E(LPAE_EINVAL, lpae_cost_format(w->cost, LPAE_P_COUNT, buf, sizeof buf));
    E(LPAE_EINVAL, lpae_cost_format(w->cost, LPAE_P_CLOCK_MHZ, NULL, 4));
    E(LPAE_EINVAL, lpae_cost_check(NULL, &bad));
}

/* ---- machine.h ------------------------------------------------------------ */

static int count_asid(void *ctx, uint8_t asid, const lpae_xstats *st)
{
    (void)asid;
    (void)st;
    ++*(int *)ctx;
    return 0;
}

static void test_machine(void **state)
{
    world *w = *state;
    lpae_machine_config mc = {w->cost, w->phys, 1, 0};
    lpae_machine *m = NULL;
    lpae_region_rule rule = {"x", 10, 5, -1, -1};
    lpae_coherence_report rep;
    lpae_cycles_t cyc = 77;
    lpae_xlate x;
    lpae_cpu_stats cs;
    lpae_xstats xs;
    size_t done;
    char buf[64];
    int n = 0;

    E(LPAE_EINVAL, lpae_machine_create(NULL, &m));
    E(LPAE_EINVAL, lpae_machine_create(&mc, NULL));
    mc.ncpus = 0;
    E(LPAE_EINVAL, lpae_machine_create(&mc, &m));
    mc.ncpus = LPAE_MAX_CPUS + 1;
    E(LPAE_EINVAL, lpae_machine_create(&mc, &m));
    mc.ncpus = 1;
    mc.cost = NULL;
    E(LPAE_EINVAL, lpae_machine_create(&mc, &m));
    mc.cost = w->cost;
    mc.phys = NULL;
    E(LPAE_EINVAL, lpae_machine_create(&mc, &m));
    assert_null(m);
    lpae_machine_destroy(NULL);
    assert_int_equal(lpae_machine_ncpus(NULL), 0);
    assert_null(lpae_machine_cpu(NULL, 0));
    assert_null(lpae_machine_cpu(w->m, 1));
    assert_null(lpae_machine_cost(NULL));
    lpae_machine_flush_caches(NULL);
    assert_null(lpae_machine_l2(NULL));
    E(LPAE_EINVAL, lpae_machine_set_regions(NULL, &rule, 1));
    E(LPAE_EINVAL, lpae_machine_set_regions(w->m, NULL, 1));
    E(LPAE_EINVAL, lpae_machine_set_regions(w->m, &rule, 1)); /* lo > hi */
    rule.lo = 0;
    rule.sel = 5;
    E(LPAE_EINVAL, lpae_machine_set_regions(w->m, &rule, 1));
    rule.sel = -1;
    rule.asid = 256;
    E(LPAE_EINVAL, lpae_machine_set_regions(w->m, &rule, 1));
    E(LPAE_EINVAL, lpae_machine_set_regions(w->m, &rule, LPAE_MAX_REGIONS + 1));
    assert_int_equal(lpae_machine_region_count(NULL), 0);
    assert_string_equal(lpae_machine_region_name(w->m, 99), "");
    assert_string_equal(lpae_machine_region_name(NULL, 0), "");
    assert_string_equal(lpae_struct_name(LPAE_ST_COUNT), "?");
    lpae_machine_set_checker(NULL, NULL, NULL);
    memset(&rep, 0, sizeof rep);
    E(LPAE_EINVAL, lpae_coherence_format(NULL, buf, sizeof buf));
    E(LPAE_EINVAL, lpae_coherence_format(&rep, NULL, 4));

    assert_int_equal(lpae_cpu_index(NULL), 0);
    assert_null(lpae_cpu_regs(NULL));
    E(LPAE_EINVAL, lpae_cpu_set_regs(NULL, &w->regs));
    E(LPAE_EINVAL, lpae_cpu_set_regs(w->cpu, NULL));
    assert_int_equal(lpae_cpu_asid(NULL), 0);
    E(LPAE_EINVAL, lpae_cpu_write_ttbr(NULL, 0, 0, &cyc));
    E(LPAE_EINVAL, lpae_cpu_write_ttbr(w->cpu, 2, 0, &cyc));
    E(LPAE_EALIGN, lpae_cpu_write_ttbr(w->cpu, 0, 0x80000001u, &cyc));
    E(LPAE_EINVAL, lpae_cpu_write_ttbcr(NULL, LPAE_TTBCR_EAE, &cyc));
    assert_int_equal(lpae_cpu_write_contextidr(NULL, 1), 0);
    assert_int_equal(lpae_cpu_isb(NULL), 0);
    assert_int_equal(lpae_cpu_dsb(NULL), 0);
    assert_string_equal(lpae_tlbi_name(LPAE_TLBI_KINDS), "?");
    E(LPAE_EINVAL, lpae_cpu_tlbi(NULL, LPAE_TLBI_ALL, false, 0, 0, &cyc));
    E(LPAE_EINVAL, lpae_cpu_tlbi(w->cpu, LPAE_TLBI_KINDS, false, 0, 0, &cyc));
    assert_int_equal(lpae_cpu_charge(NULL, LPAE_P_DSB, 1), 0);
    assert_int_equal(lpae_cpu_charge(w->cpu, LPAE_P_COUNT, 1), 0);
    lpae_cpu_set_event(NULL, 1);
    E(LPAE_EINVAL, lpae_cpu_translate(NULL, 0, LPAE_ACC_PR, &x));
    E(LPAE_EINVAL, lpae_cpu_translate(w->cpu, 0, LPAE_ACC_PR, NULL));
    E(LPAE_EINVAL, lpae_cpu_translate(w->cpu, 0, 3, &x));
    E(LPAE_EINVAL, lpae_cpu_read(NULL, 0, LPAE_ACC_PR, buf, 1, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_read(w->cpu, 0, LPAE_ACC_PR, NULL, 1, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_read(w->cpu, 0, LPAE_ACC_PW, buf, 1, NULL, NULL)); /* writes */
    E(LPAE_EINVAL, lpae_cpu_write(NULL, 0, LPAE_ACC_PW, buf, 1, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_write(w->cpu, 0, LPAE_ACC_PW, NULL, 1, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_write(w->cpu, 0, LPAE_ACC_PR, buf, 1, NULL, NULL)); /* reads */
    E(LPAE_EINVAL, lpae_cpu_copy(NULL, 0, LPAE_ACC_PW, 0, LPAE_ACC_PR, 1, &done, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_copy(w->cpu, 0, LPAE_ACC_PR, 0, LPAE_ACC_PR, 1, &done, NULL, NULL));
    E(LPAE_EINVAL, lpae_cpu_stats_get(NULL, &cs));
    E(LPAE_EINVAL, lpae_cpu_stats_get(w->cpu, NULL));
    assert_int_equal(lpae_cpu_cycles(NULL), 0);
    E(LPAE_EINVAL, lpae_cpu_asid_stats(NULL, 0, &xs));
    E(LPAE_EINVAL, lpae_cpu_asid_stats(w->cpu, 0, NULL));
    E(LPAE_ENOENT, lpae_cpu_asid_stats(w->cpu, 200, &xs));
    E(LPAE_EINVAL, lpae_cpu_foreach_asid(NULL, count_asid, &n));
    E(LPAE_EINVAL, lpae_cpu_foreach_asid(w->cpu, NULL, &n));
    E(LPAE_EINVAL, lpae_cpu_region_stats(NULL, 0, &xs));
    E(LPAE_EINVAL, lpae_cpu_region_stats(w->cpu, lpae_machine_region_count(w->m), &xs));
    E(LPAE_EINVAL, lpae_cpu_region_stats(w->cpu, 0, NULL));
    lpae_cpu_stats_reset(NULL);
    assert_null(lpae_cpu_tlb(NULL, LPAE_ST_MTLB));
    assert_null(lpae_cpu_tlb(w->cpu, LPAE_ST_WC1));
    assert_null(lpae_cpu_walkcache(NULL, 1));
    assert_null(lpae_cpu_walkcache(w->cpu, 3));
    assert_null(lpae_cpu_l1d(NULL));
}

/* ---- asid.h, layout.h, mm.h ----------------------------------------------- */

static void test_asid_layout_mm(void **state)
{
    world *w = *state;
    lpae_asid_config ac = {.ncpus = 1};
    lpae_asid_allocator *a = NULL;
    lpae_asid_ctx ctx;
    lpae_asid_switch_result sr;
    lpae_asid_stats as;
    lpae_asid_cpu_state cst;
    lpae_asid_policy pol;
    uint32_t asid;
    lpae_layout_config lc;
    lpae_layout lay;
    lpae_ram_range r = {RAM_BASE, RAM_SIZE};
    lpae_vregion vr;
    lpae_va_t va;
    lpae_pa_t pa;
    lpae_mmsys_config sc;
    lpae_mmsys *sys = NULL;
    lpae_mmsys_stats ss;
    lpae_mm *mm = NULL, *child = NULL;
    lpae_mm_fork_result fr;
    lpae_mm_fault_result flt;
    lpae_vma vma;
    lpae_mm_stats ms;
    uint64_t pages;
    char buf[16];

    E(LPAE_EINVAL, lpae_asid_create(NULL, &a));
    E(LPAE_EINVAL, lpae_asid_create(&ac, NULL));
    ac.ncpus = 0;
    E(LPAE_EINVAL, lpae_asid_create(&ac, &a));
    ac.ncpus = 1;
    ac.asid_bits = 3;
    E(LPAE_EINVAL, lpae_asid_create(&ac, &a));
    ac.asid_bits = 17;
    E(LPAE_EINVAL, lpae_asid_create(&ac, &a));
    assert_null(a);
    lpae_asid_destroy(NULL);
    lpae_asid_ctx_init(NULL);
    ac.asid_bits = 0;
    assert_int_equal(lpae_asid_create(&ac, &a), 0);
    lpae_asid_ctx_init(&ctx);
    E(LPAE_EINVAL, lpae_asid_switch(NULL, 0, &ctx, &sr));
    E(LPAE_EINVAL, lpae_asid_switch(a, 0, NULL, &sr));
    E(LPAE_EINVAL, lpae_asid_switch(a, 1, &ctx, &sr));
    E(LPAE_EINVAL, lpae_asid_add_lost(NULL, 0, 1));
    E(LPAE_EINVAL, lpae_asid_add_lost(a, 1, 1));
    E(LPAE_EINVAL, lpae_asid_stats_get(NULL, &as));
    E(LPAE_EINVAL, lpae_asid_stats_get(a, NULL));
    E(LPAE_EINVAL, lpae_asid_cpu_state_get(NULL, 0, &cst));
    E(LPAE_EINVAL, lpae_asid_cpu_state_get(a, 1, &cst));
    E(LPAE_EINVAL, lpae_asid_cpu_state_get(a, 0, NULL));
    assert_int_equal(lpae_asid_of(NULL, 1), 0);
    assert_int_equal(lpae_asid_generation(NULL), 0);
    assert_int_equal(lpae_asid_user_count(NULL), 0);
    assert_int_equal(lpae_asid_first_user(NULL), 0);
    E(LPAE_EINVAL, lpae_asid_kernel(NULL, 0, &asid));
    E(LPAE_EINVAL, lpae_asid_kernel(a, 99, &asid));
    E(LPAE_EINVAL, lpae_asid_kernel(a, 0, NULL));
    assert_null(lpae_asid_config_get(NULL));
    assert_null(lpae_asid_policy_name((lpae_asid_policy)99));
    E(LPAE_EINVAL, lpae_asid_policy_parse(NULL, &pol));
    E(LPAE_EINVAL, lpae_asid_policy_parse("linux", NULL));
    E(LPAE_EPARSE, lpae_asid_policy_parse("lru", &pol));
    lpae_asid_destroy(a);

    assert_non_null(lpae_vkind_name((lpae_vkind)999));
    assert_non_null(lpae_zone_name((lpae_zone)999));
    memset(&lc, 0, sizeof lc);
    assert_int_equal(lpae_split_find("4G_4G", &lc.split), 0);
    E(LPAE_EINVAL, lpae_layout_build(NULL, &lay));
    E(LPAE_EINVAL, lpae_layout_build(&lc, NULL));
    E(LPAE_EINVAL, lpae_layout_build(&lc, &lay)); /* no RAM */
    lc.ram = &r;
    lc.nram = 1;
    lc.nr_cpus = 33;
    E(LPAE_EINVAL, lpae_layout_build(&lc, &lay));
    lc.nr_cpus = 0;
    r.base += 0x800;
    E(LPAE_EINVAL, lpae_layout_build(&lc, &lay));
    r.base = RAM_BASE;
    assert_int_equal(lpae_layout_build(&lc, &lay), 0);
    E(LPAE_EINVAL, lpae_layout_classify(NULL, 0, LPAE_VIEW_USER, &vr));
    E(LPAE_EINVAL, lpae_layout_classify(&lay, 0, (lpae_view)7, &vr));
    E(LPAE_EINVAL, lpae_layout_classify(&lay, 0, LPAE_VIEW_USER, NULL));
    (void)lpae_layout_zone(NULL, RAM_BASE);
    E(LPAE_EINVAL, lpae_layout_lowmem_va(NULL, RAM_BASE, &va));
    E(LPAE_EINVAL, lpae_layout_lowmem_va(&lay, RAM_BASE, NULL));
    E(LPAE_ERANGE, lpae_layout_lowmem_va(&lay, 0, &va));
    E(LPAE_EINVAL, lpae_layout_lowmem_pa(NULL, lay.page_offset, &pa));
    E(LPAE_EINVAL, lpae_layout_lowmem_pa(&lay, lay.page_offset, NULL));
    E(LPAE_ERANGE, lpae_layout_lowmem_pa(&lay, lay.high_memory, &pa));
    E(LPAE_EINVAL, lpae_fix_to_virt(0, NULL));
    E(LPAE_ERANGE, lpae_fix_to_virt(LPAE_LINUX_FIX_SLOTS, &va));
    E(LPAE_EINVAL, lpae_layout_kmap_va(NULL, 0, 0, &va));
    E(LPAE_ERANGE, lpae_layout_kmap_va(&lay, lay.nr_cpus, 0, &va));
    E(LPAE_ERANGE, lpae_layout_kmap_va(&lay, 0, 16, &va));
    E(LPAE_EINVAL, lpae_layout_pkmap_va(NULL, 0, &va));
    E(LPAE_ERANGE, lpae_layout_pkmap_va(&lay, 512, &va));
    E(LPAE_EINVAL, lpae_layout_format(NULL, buf, sizeof buf));

    memset(&sc, 0, sizeof sc);
    sc.phys = w->phys;
    sc.layout = &lay;
    E(LPAE_EINVAL, lpae_mmsys_create(NULL, &sys));
    E(LPAE_EINVAL, lpae_mmsys_create(&sc, NULL));
    sc.phys = NULL;
    E(LPAE_EINVAL, lpae_mmsys_create(&sc, &sys));
    sc.phys = w->phys;
    sc.layout = NULL;
    E(LPAE_EINVAL, lpae_mmsys_create(&sc, &sys));
    assert_null(sys);
    lpae_mmsys_destroy(NULL);
    E(LPAE_EINVAL, lpae_mmsys_stats_get(NULL, &ss));
    assert_int_equal(lpae_mmsys_frame_refs(NULL, RAM_BASE), 0);
    E(LPAE_EINVAL, lpae_mm_create(NULL, &mm));
    E(LPAE_EINVAL, lpae_mm_create_kernel_lowmem(NULL, &mm));
    sc.layout = &lay;
    assert_int_equal(lpae_mmsys_create(&sc, &sys), 0);
    E(LPAE_EINVAL, lpae_mmsys_stats_get(sys, NULL));
    E(LPAE_EINVAL, lpae_mm_create(sys, NULL));
    E(LPAE_EINVAL, lpae_mm_create_kernel_lowmem(sys, NULL));
    assert_int_equal(lpae_mm_create(sys, &mm), 0);
    lpae_mm_destroy(NULL);
    E(LPAE_EINVAL, lpae_mm_fork(NULL, &child, &fr));
    E(LPAE_EINVAL, lpae_mm_fork(mm, NULL, &fr));
    E(LPAE_EINVAL, lpae_mm_mmap(NULL, 0x10000, 0x1000, LPAE_PROT_READ));
    E(LPAE_EINVAL, lpae_mm_mmap(mm, 0x10000, 0, LPAE_PROT_READ));
    E(LPAE_EALIGN, lpae_mm_mmap(mm, 0x10004, 0x1000, LPAE_PROT_READ));
    E(LPAE_EINVAL, lpae_mm_munmap(NULL, 0x10000, 0x1000, &pages));
    E(LPAE_EALIGN, lpae_mm_munmap(mm, 0x10004, 0x1000, &pages));
    E(LPAE_EINVAL, lpae_mm_fault(NULL, 0x10000, LPAE_ACC_UR, &flt));
    E(LPAE_EINVAL, lpae_mm_fault(mm, 0x10000, 3, &flt));
    E(LPAE_EFAULT, lpae_mm_fault(mm, 0x10000, LPAE_ACC_UR, &flt)); /* no VMA */
    E(LPAE_EINVAL, lpae_mm_populate(NULL, 0x10000, 0x1000));
    E(LPAE_EINVAL, lpae_mm_mprotect(NULL, 0x10000, 0x1000, LPAE_PROT_READ, &pages));
    E(LPAE_EALIGN, lpae_mm_mprotect(mm, 0x10004, 0x1000, LPAE_PROT_READ, &pages));
    E(LPAE_EINVAL, lpae_mm_mprotect(mm, 0x10000, 0x1000, 0x80000000u, &pages));
    assert_null(lpae_mm_pgtable(NULL));
    assert_null(lpae_mm_asid_ctx(NULL));
    assert_int_equal(lpae_mm_ttbr0(NULL, 1), 0);
    assert_int_equal(lpae_mm_vma_count(NULL), 0);
    E(LPAE_EINVAL, lpae_mm_vma_get(NULL, 0, &vma));
    E(LPAE_ERANGE, lpae_mm_vma_get(mm, 0, &vma));
    E(LPAE_EINVAL, lpae_mm_find_vma(NULL, 0x10000, &vma));
    E(LPAE_ENOENT, lpae_mm_find_vma(mm, 0x10000, &vma));
    E(LPAE_EINVAL, lpae_mm_stats_get(NULL, &ms));
    E(LPAE_EINVAL, lpae_mm_stats_get(mm, NULL));
    lpae_mm_destroy(mm);
    lpae_mmsys_destroy(sys);
}

/* ---- elf.h ------------------------------------------------------------------ */

static void test_elf(void **state)
{
    world *w = *state;
    static const unsigned char junk[8] = "notelf!";
    lpae_elf *elf = NULL;
    lpae_elf_diag d;
    lpae_elf_seg seg;
    lpae_elf_report rep;
    lpae_elf_sym sym;
    lpae_elf_target tgt;
    lpae_layout lay;
    lpae_va_t va;
    char buf[32];

    memset(&lay, 0, sizeof lay);
    memset(&tgt, 0, sizeof tgt);
    tgt.phys = w->phys;
    tgt.ttbr0 = w->pt;
    E(LPAE_EINVAL, lpae_elf_open_mem(NULL, 8, "x", &elf, &d));
    E(LPAE_EINVAL, lpae_elf_open_mem(junk, sizeof junk, "x", NULL, &d));
    E(LPAE_EFORMAT, lpae_elf_open_mem(junk, sizeof junk, "x", &elf, &d));
    assert_int_equal(d.err, LPAE_EFORMAT);
    E(LPAE_EINVAL, lpae_elf_open_file(NULL, &elf, &d));
    E(LPAE_EINVAL, lpae_elf_open_file("x", NULL, &d));
    E(LPAE_EIO, lpae_elf_open_file("/nonexistent/x.elf", &elf, &d));
    assert_null(elf);
    lpae_elf_close(NULL);
    assert_int_equal(lpae_elf_type(NULL), 0);
    assert_int_equal(lpae_elf_entry(NULL), 0);
    assert_non_null(lpae_elf_name(NULL));
    E(LPAE_EINVAL, lpae_elf_place(NULL, &lay, NULL, &d));
    assert_int_equal(lpae_elf_role_of(NULL), LPAE_ELF_ROLE_AUTO);
    assert_int_equal(lpae_elf_seg_count(NULL), 0);
    E(LPAE_EINVAL, lpae_elf_seg_get(NULL, 0, &seg));
    E(LPAE_EINVAL, lpae_elf_load(NULL, &lay, NULL, &tgt, &rep, &d));
    E(LPAE_EINVAL, lpae_elf_load_mm(NULL, &lay, NULL, w->phys, NULL, &rep, &d));
    E(LPAE_EINVAL, lpae_elf_report_get(NULL, &rep));
    E(LPAE_EINVAL, lpae_elf_unload(NULL));
    E(LPAE_EINVAL, lpae_elf_section_va(NULL, ".text", &va));
    E(LPAE_EINVAL, lpae_elf_sym_lookup(NULL, 0, &sym));
    E(LPAE_EINVAL, lpae_elf_symbolize(NULL, 0, buf, sizeof buf));
    E(LPAE_EINVAL, lpae_elf_sym_find(NULL, "main", &sym));
}

/* ---- trace.h ------------------------------------------------------------------ */

static void test_trace(void **state)
{
    lpae_tev ev;
    lpae_trace_reader *r = NULL;
    lpae_trace_writer *wr = NULL;
    lpae_gen_params gp;
    lpae_gen_kind gk;
    const char *why = NULL, *k, *v;
    (void)state;

    memset(&ev, 0, sizeof ev);
    E(LPAE_EINVAL, lpae_tev_check(NULL, &why));
    E(LPAE_EINVAL, lpae_tev_check(&ev, &why)); /* kind 0 */
    assert_non_null(why);
    ev.kind = LPAE_TEV_GET_USER;
    ev.len = 3;
    E(LPAE_EINVAL, lpae_tev_check(&ev, NULL));
    ev.kind = LPAE_TEV_COPY_FROM_USER;
    ev.len = 0x100;
    ev.addr = 0xFFFFFF80u; /* wraps 4 GB */
    E(LPAE_EINVAL, lpae_tev_check(&ev, NULL));
    assert_null(lpae_tev_kind_name(0));
    assert_null(lpae_tev_kind_name(LPAE_TEV_KIND_MAX + 1));
    assert_null(lpae_kbuf_name(LPAE_KBUF_MAX + 1));
    assert_null(lpae_sysno_name(LPAE_SYSNO_NONE));
    assert_int_equal(lpae_sysno_from_name(NULL), LPAE_SYSNO_NONE);

    E(LPAE_EINVAL, lpae_trace_reader_open(NULL, NULL, &r));
    E(LPAE_EINVAL, lpae_trace_reader_open("x", NULL, NULL));
    E(LPAE_EIO, lpae_trace_reader_open("/nonexistent/t.lpb", NULL, &r));
    lpae_trace_reader_close(r);
    r = NULL;
    E(LPAE_EINVAL, lpae_trace_reader_open_file(NULL, "x", NULL, &r));
    E(LPAE_EINVAL, lpae_trace_reader_open_file(stdin, "x", NULL, NULL));
    E(LPAE_EINVAL, lpae_trace_reader_open_fd(0, "x", NULL, NULL));
    assert_true(lpae_trace_reader_open_fd(-1, "x", NULL, &r) < 0);
    lpae_trace_reader_close(r);
    r = NULL;
    E(LPAE_EINVAL, lpae_trace_read(NULL, &ev));
    {
        const lpae_tev *evs = NULL;
        E(LPAE_EINVAL, lpae_trace_read_many(NULL, &evs, 1));
        assert_null(evs);
    }
    {
        uint64_t done, total;
        int fds[2];
        lpae_trace_ropts ro;
        E(LPAE_EINVAL, lpae_trace_reader_progress(NULL, &done, &total));
        /* A pipe has no size. */
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write(fds[1], "# lpae-trace v1\n", 16), 16);
        close(fds[1]);
        memset(&ro, 0, sizeof ro);
        ro.format = LPAE_TRACE_TEXT;
        assert_int_equal(lpae_trace_reader_open_fd(fds[0], "pipe", &ro, &r), 0);
        E(LPAE_EINVAL, lpae_trace_reader_progress(r, NULL, &total));
        E(LPAE_EINVAL, lpae_trace_reader_progress(r, &done, NULL));
        E(LPAE_EUNSUPP, lpae_trace_reader_progress(r, &done, &total));
        lpae_trace_reader_close(r);
        r = NULL;
        close(fds[0]);
    }
    assert_non_null(lpae_trace_reader_error(NULL));
    assert_int_equal(lpae_trace_reader_format(NULL), LPAE_TRACE_AUTO);
    assert_int_equal(lpae_trace_reader_events(NULL), 0);
    assert_int_equal(lpae_trace_reader_line(NULL), 0);
    assert_int_equal(lpae_trace_reader_skipped(NULL), 0);
    assert_int_equal(lpae_trace_reader_mem(NULL), 0);
    assert_int_equal(lpae_trace_header_count(NULL), 0);
    E(LPAE_EINVAL, lpae_trace_header_get(NULL, 0, &k, &v));
    assert_null(lpae_trace_header_find(NULL, "x"));
    lpae_trace_reader_close(NULL);

    E(LPAE_EINVAL, lpae_trace_writer_open(NULL, LPAE_TRACE_TEXT, &wr));
    E(LPAE_EINVAL, lpae_trace_writer_open("x.lpt", LPAE_TRACE_STRACE, &wr));
    E(LPAE_EINVAL, lpae_trace_writer_open("x.lpt", LPAE_TRACE_TEXT, NULL));
    E(LPAE_EIO, lpae_trace_writer_open("/nonexistent/dir/x.lpt", LPAE_TRACE_TEXT, &wr));
    E(LPAE_EINVAL, lpae_trace_writer_open_file(NULL, LPAE_TRACE_TEXT, &wr));
    E(LPAE_EINVAL, lpae_trace_writer_open_file(stdout, LPAE_TRACE_AUTO, &wr));
    assert_null(wr);
    {
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(lpae_trace_writer_open_file(f, LPAE_TRACE_BINARY, &wr), 0);
        E(LPAE_EINVAL, lpae_trace_writer_header(NULL, "k", "v"));
        E(LPAE_EINVAL, lpae_trace_writer_header(wr, NULL, "v"));
        E(LPAE_EINVAL, lpae_trace_writer_header(wr, "k", NULL));
        E(LPAE_EINVAL, lpae_trace_writer_header(wr, "bad key", "v"));
        E(LPAE_EINVAL, lpae_trace_writer_header(wr, "k", "two\nlines"));
        E(LPAE_EINVAL, lpae_trace_write(NULL, &ev));
        E(LPAE_EINVAL, lpae_trace_write(wr, NULL));
        E(LPAE_EINVAL, lpae_trace_write(wr, &ev)); /* fails lpae_tev_check */
        E(0, lpae_trace_writer_close(wr, false));
        fclose(f);
    }
    E(0, lpae_trace_writer_close(NULL, true));

    E(LPAE_EINVAL, lpae_gen_defaults((lpae_gen_kind)0, &gp));
    E(LPAE_EINVAL, lpae_gen_defaults(LPAE_GEN_DD, NULL));
    E(LPAE_EINVAL, lpae_gen_kind_from_name(NULL, &gk));
    E(LPAE_EINVAL, lpae_gen_kind_from_name("dd", NULL));
    E(LPAE_EINVAL, lpae_gen_kind_from_name("bogus", &gk));
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_DD, &gp), 0);
    E(LPAE_EINVAL, lpae_gen_param_set(NULL, "bs", "4K"));
    E(LPAE_EINVAL, lpae_gen_param_set(&gp, NULL, "4K"));
    E(LPAE_EINVAL, lpae_gen_param_set(&gp, "bs", NULL));
    E(LPAE_EINVAL, lpae_gen_param_set(&gp, "no_such_key", "1"));
    E(LPAE_EPARSE, lpae_gen_param_set(&gp, "bs", "4Q"));
    {
        uint64_t lo, hi;
        E(LPAE_EINVAL, lpae_gen_param_range(NULL, &lo, &hi));
        E(LPAE_EINVAL, lpae_gen_param_range("bs", NULL, &hi));
        E(LPAE_EINVAL, lpae_gen_param_range("bs", &lo, NULL));
        E(LPAE_EINVAL, lpae_gen_param_range("dst", &lo, &hi));
    }
    E(LPAE_EINVAL, lpae_trace_gen(LPAE_GEN_DD, NULL, NULL));
    E(LPAE_EINVAL, lpae_trace_gen(LPAE_GEN_DD, &gp, NULL));
    {
        /* bs = 0 is refused by lpae_gen_param_set(), and by the generator
         * (set directly) before it writes anything. */
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(lpae_trace_writer_open_file(f, LPAE_TRACE_BINARY, &wr), 0);
        E(LPAE_ERANGE, lpae_gen_param_set(&gp, "bs", "0"));
        gp.bs = 0;
        E(LPAE_ERANGE, lpae_trace_gen(LPAE_GEN_DD, &gp, wr));
        E(LPAE_EINVAL, lpae_trace_gen((lpae_gen_kind)99, &gp, wr));
        E(0, lpae_trace_writer_close(wr, false));
        fclose(f);
    }
}

/* ---- kernel.h, replay.h, report.h, and mm.h's mprotect ------------------- */

static void test_kernel_replay_report(void **state)
{
    world *w = *state;
    lpae_kernel_config kc;
    lpae_kernel *k = NULL;
    lpae_strategy strat;
    lpae_tev ev;
    lpae_event_result er;
    lpae_kernel_stats ks;
    lpae_task_info ti;
    lpae_kcpu_info ci;
    lpae_replay *rp = NULL;
    lpae_report rep;
    lpae_va_t va;
    uint64_t dg;
    const char *msg;

    assert_string_equal(lpae_strategy_name(LPAE_STRAT_COUNT), "?");
    E(LPAE_EINVAL, lpae_strategy_parse(NULL, &strat));
    E(LPAE_EINVAL, lpae_strategy_parse("pinned", NULL));
    E(LPAE_EINVAL, lpae_strategy_parse("no-such-strategy", &strat));
    (void)lpae_strategy_natural_split(LPAE_STRAT_COUNT); /* any answer, no crash */
    assert_non_null(lpae_phase_name(LPAE_PH_COUNT));

    lpae_kernel_config_init(&kc);
    kc.cost = w->cost;
    E(LPAE_EINVAL, lpae_kernel_create(NULL, &k));
    E(LPAE_EINVAL, lpae_kernel_create(&kc, NULL));
    kc.ncpus = 0;
    E(LPAE_EINVAL, lpae_kernel_create(&kc, &k));
    kc.ncpus = LPAE_MAX_CPUS + 1;
    E(LPAE_EINVAL, lpae_kernel_create(&kc, &k));
    kc.ncpus = 1;
    kc.strategy = LPAE_STRAT_COUNT;
    E(LPAE_EINVAL, lpae_kernel_create(&kc, &k));
    kc.strategy = LPAE_STRAT_DIRECT; /* needs a classic split, the default is 4G/4G */
    E(LPAE_EINVAL, lpae_kernel_create(&kc, &k));
    assert_null(k);
    lpae_kernel_destroy(NULL);
    assert_null(lpae_kernel_machine(NULL));
    E(LPAE_EINVAL, lpae_kernel_stats_get(NULL, &ks));
    E(LPAE_EINVAL, lpae_kernel_digest(NULL, &dg));
    E(LPAE_EINVAL, lpae_kernel_user_digest(NULL, &dg));
    assert_null(lpae_kernel_layout(NULL));
    assert_null(lpae_kernel_asid_allocator(NULL));
    E(LPAE_EINVAL, lpae_kernel_kmap(NULL, 0, RAM_BASE, &va));
    E(LPAE_EINVAL, lpae_kernel_kunmap(NULL, 0, 0));
    E(LPAE_EINVAL, lpae_kernel_task_info(NULL, 1, &ti));
    E(LPAE_EINVAL, lpae_kernel_cpu_info(NULL, 0, &ci));
    memset(&ev, 0, sizeof ev);
    E(LPAE_EINVAL, lpae_kernel_apply(NULL, &ev, &er));

    kc.strategy = LPAE_STRAT_PINNED;
    assert_int_equal(lpae_kernel_create(&kc, &k), 0);
    E(LPAE_EINVAL, lpae_kernel_apply(k, NULL, &er));
    E(LPAE_EINVAL, lpae_kernel_apply(k, &ev, &er)); /* kind 0 */
    ev.kind = LPAE_TEV_EXEC;
    ev.task = 1;
    ev.cpu = 1; /* the configuration has one CPU */
    E(LPAE_EINVAL, lpae_kernel_apply(k, &ev, &er));
    E(LPAE_EINVAL, lpae_kernel_stats_get(k, NULL));
    E(LPAE_EINVAL, lpae_kernel_digest(k, NULL));
    E(LPAE_EINVAL, lpae_kernel_user_digest(k, NULL));
    E(LPAE_EINVAL, lpae_kernel_kmap(k, 1, RAM_BASE, &va));
    E(LPAE_EINVAL, lpae_kernel_kmap(k, 0, 0, &va)); /* not RAM */
    E(LPAE_EINVAL, lpae_kernel_kmap(k, 0, RAM_BASE, NULL));
    E(LPAE_EINVAL, lpae_kernel_kunmap(k, 1, 0));
    {
        const lpae_layout *kl = lpae_kernel_layout(k);
        assert_non_null(kl);
        /* vmalloc space is neither lowmem nor a kmap slot */
        E(LPAE_EINVAL, lpae_kernel_kunmap(k, 0, kl->vmalloc_start));
        /* a kmap slot with nothing mapped: unbalanced */
        assert_int_equal(lpae_layout_kmap_va(kl, 0, 0, &va), 0);
        E(LPAE_ESTATE, lpae_kernel_kunmap(k, 0, va));
    }
    E(LPAE_EINVAL, lpae_kernel_task_info(k, 1, NULL));
    E(LPAE_ENOENT, lpae_kernel_task_info(k, 99999, &ti));
    E(LPAE_EINVAL, lpae_kernel_cpu_info(k, 1, &ci));
    E(LPAE_EINVAL, lpae_kernel_cpu_info(k, 0, NULL));
    lpae_kernel_destroy(k);

    E(LPAE_EINVAL, lpae_replay_create(NULL));
    lpae_replay_destroy(NULL);
    E(LPAE_EINVAL, lpae_replay_add(NULL, &kc));
    assert_int_equal(lpae_replay_count(NULL), 0);
    E(LPAE_EINVAL, lpae_replay_run(NULL, NULL, NULL, NULL));
    E(LPAE_EINVAL, lpae_replay_run_path(NULL, "x", NULL, NULL, NULL));
    E(LPAE_EINVAL, lpae_replay_status(NULL, 0, &msg));
    E(LPAE_EINVAL, lpae_replay_stats(NULL, 0, &ks));
    assert_null(lpae_replay_kernel(NULL, 0));
    assert_int_equal(lpae_replay_mem(NULL), 0);
    E(LPAE_EINVAL, lpae_replay_config_for_trace(NULL, &kc));
    assert_int_equal(lpae_replay_create(&rp), 0);
    E(LPAE_EINVAL, lpae_replay_add(rp, NULL));
    kc.ncpus = 0;
    assert_true(lpae_replay_add(rp, &kc) < 0);
    assert_int_equal(lpae_replay_count(rp), 0);
    E(LPAE_EINVAL, lpae_replay_run(rp, NULL, NULL, NULL));
    E(LPAE_EINVAL, lpae_replay_run_path(rp, NULL, NULL, NULL, NULL));
    E(LPAE_EIO, lpae_replay_run_path(rp, "/nonexistent/t.lpb", NULL, NULL, NULL));
    E(LPAE_EINVAL, lpae_replay_status(rp, 0, &msg));
    E(LPAE_EINVAL, lpae_replay_stats(rp, 0, &ks));
    assert_null(lpae_replay_kernel(rp, 0));
    lpae_replay_destroy(rp);

    assert_string_equal(lpae_report_mech_name(LPAE_RM_COUNT), "?");
    memset(&ks, 0, sizeof ks);
    assert_int_equal(lpae_report_mech_cycles(NULL, LPAE_RM_TLB), 0);
    assert_int_equal(lpae_report_mech_cycles(&ks, LPAE_RM_COUNT), 0);
    memset(&rep, 0, sizeof rep);
    E(LPAE_EINVAL, lpae_report_table(NULL, &rep));
    E(LPAE_EINVAL, lpae_report_table(stdout, NULL));
    E(LPAE_EINVAL, lpae_report_csv(NULL, &rep));
    E(LPAE_EINVAL, lpae_report_csv(stdout, NULL));
    E(LPAE_EINVAL, lpae_report_json(NULL, &rep));
    E(LPAE_EINVAL, lpae_report_json(stdout, NULL));
    E(LPAE_EINVAL, lpae_report_svg(NULL, &rep));
    E(LPAE_EINVAL, lpae_report_svg(stdout, NULL));
}

/* ---- coverage -------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* Every "LPAE_API ... name(" declared in include/lpae/ is called here. */
static void test_every_api_is_covered(void **state)
{
    char *self = slurp(LPAE_SOURCE_DIR "/tests/test_api_args.c");
    struct dirent **names;
    int n = scandir(LPAE_SOURCE_DIR "/include/lpae", &names, NULL, alphasort);
    size_t apis = 0, missing = 0;
    (void)state;
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        char path[512], *hdr, *p;
        size_t len = strlen(names[i]->d_name);
        if (len < 3 || strcmp(names[i]->d_name + len - 2, ".h") ||
            !strcmp(names[i]->d_name, "export.h")) {
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof path, LPAE_SOURCE_DIR "/include/lpae/%s", names[i]->d_name);
        hdr = slurp(path);
        for (p = hdr; (p = strstr(p, "LPAE_API ")) != NULL; p++) {
            char *paren = strchr(p, '('), *s, name[80], call[84];
            assert_non_null(paren);
            s = paren;
            while (s > p && s[-1] == ' ')
                s--;
            len = 0;
            while (s > p && (s[-1] == '_' || (s[-1] >= 'a' && s[-1] <= 'z') ||
                             (s[-1] >= '0' && s[-1] <= '9')))
                s--, len++;
            assert_true(len > 0 && len < sizeof name);
            memcpy(name, s, len);
            name[len] = 0;
            snprintf(call, sizeof call, "%s(", name);
            apis++;
            /* The call must appear outside this coverage test's own text. */
            if (!strstr(self, call)) {
                print_error("%s: %s is not exercised by tests/test_api_args.c\n", names[i]->d_name,
                            name);
                missing++;
            }
        }
        free(hdr);
        free(names[i]);
    }
    free(names);
    free(self);
    print_message("%zu LPAE_API functions, %zu not covered\n", apis, missing);
    assert_true(apis >= 200);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_err_split_regs_walk, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_phys, world_setup, world_teardown),
        cmocka_unit_test(test_phys_cap),
        cmocka_unit_test_setup_teardown(test_pgtable, world_setup, world_teardown),
        cmocka_unit_test(test_tlb_cache),
        cmocka_unit_test_setup_teardown(test_cost, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_machine, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_asid_layout_mm, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_elf, world_setup, world_teardown),
        cmocka_unit_test(test_trace),
        cmocka_unit_test_setup_teardown(test_kernel_replay_report, world_setup, world_teardown),
        cmocka_unit_test(test_every_api_is_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
