/* SPDX-License-Identifier: MIT */
/* Tests of the table builder (lpae/pgtable.h), checked through the walker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/pgtable.h"
#include "lpae/walk.h"
#include "ttbr/pgtable_internal.h"

#define K4 UINT64_C(0x1000)
#define M2 UINT64_C(0x200000)
#define G1 UINT64_C(0x40000000)
#define RAM UINT64_C(0x40000000)
#define LEAF_ATTR_MASK (UINT64_C(0xFFC) | (UINT64_C(0xFFF) << 52))

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

typedef struct env {
    lpae_phys *p;
    lpae_pgtable *pt;
    lpae_regs r;
} env;

static lpae_phys *mkphys(void)
{
    lpae_ram_range ram = {RAM, G1};
    lpae_phys_config cfg = {&ram, 1, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    return p;
}

/* A tree for (sel, tsz) with registers that select it. */
static void env_init(env *e, lpae_ttbr_sel sel, unsigned tsz)
{
    e->p = mkphys();
    lpae_pgtable_config cfg = {e->p, sel, tsz, RAM, RAM + G1};
    assert_int_equal(lpae_pgtable_create(&cfg, &e->pt), LPAE_OK);
    lpae_regs_init(&e->r);
    if (sel == LPAE_SEL_TTBR0) {
        assert_int_equal(lpae_regs_set_ttbcr(&e->r, LPAE_TTBCR_EAE | tsz), LPAE_OK);
        assert_int_equal(lpae_regs_set_ttbr(&e->r, 0, lpae_pgtable_ttbr(e->pt, 7)), LPAE_OK);
    } else {
        assert_int_equal(lpae_regs_set_ttbcr(&e->r, LPAE_TTBCR_EAE | (tsz << 16)), LPAE_OK);
        assert_int_equal(lpae_regs_set_ttbr(&e->r, 1, lpae_pgtable_ttbr(e->pt, 7)), LPAE_OK);
    }
}

static void env_fini(env *e)
{
    lpae_pgtable_destroy(e->pt);
    lpae_phys_destroy(e->p);
}

static const lpae_prot RW = {.attrindx = 7, .ap = LPAE_AP_PL1_RW, .sh = 3, .af = true};

static lpae_walk_result wk(env *e, lpae_va_t va, unsigned acc)
{
    lpae_walk_result r;
    assert_int_equal(lpae_walk(&e->r, e->p, va, acc, &r), LPAE_OK);
    return r;
}

static void expect_pa(env *e, lpae_va_t va, lpae_pa_t pa, unsigned level)
{
    lpae_walk_result r = wk(e, va, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, pa);
    assert_int_equal(r.level, level);
}

static void expect_unmapped(env *e, lpae_va_t va)
{
    lpae_walk_result r = wk(e, va, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_TRANSLATION);
    lpae_pte_ref ref;
    assert_int_equal(lpae_pgtable_lookup(e->pt, va, &ref), LPAE_ENOENT);
}

static lpae_pgtable_stats stats(env *e)
{
    lpae_pgtable_stats st;
    assert_int_equal(lpae_pgtable_stats_get(e->pt, &st), LPAE_OK);
    return st;
}

/* ---- creation ------------------------------------------------------------------- */

static void create_and_geometry(void **state)
{
    (void)state;
    lpae_phys *p = mkphys();
    lpae_pgtable *pt = NULL;
    lpae_pgtable_config cfg = {p, LPAE_SEL_TTBR0, 0, 0, 0};
    assert_int_equal(lpae_pgtable_create(NULL, &pt), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_create(&cfg, NULL), LPAE_EINVAL);
    cfg.tsz = 8;
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_EINVAL);
    cfg.tsz = 0;
    cfg.sel = LPAE_SEL_NONE;
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_EINVAL);
    cfg.sel = LPAE_SEL_TTBR0;
    cfg.phys = NULL;
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_EINVAL);
    cfg.phys = p;
    cfg.table_lo = 0x50000000;
    cfg.table_hi = 0x50000000;
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_EINVAL);
    cfg.table_lo = 0x10000000; /* no RAM in the window */
    cfg.table_hi = 0x20000000;
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_ENOSPC);
    assert_null(pt);
    for (unsigned sel = 0; sel < 2; sel++) {
        for (unsigned tsz = 0; tsz < 8; tsz++) {
            lpae_pgtable_config c = {p, (lpae_ttbr_sel)sel, tsz, 0x50000000, 0};
            assert_int_equal(lpae_pgtable_create(&c, &pt), LPAE_OK);
            const lpae_region *r = lpae_pgtable_region(pt);
            uint64_t span = UINT64_C(1) << (32 - tsz);
            assert_int_equal(r->sel, sel);
            assert_int_equal(r->tsz, tsz);
            assert_int_equal(r->start_level, tsz < 2 ? 1 : 2);
            assert_int_equal(r->base, sel ? (UINT64_C(1) << 32) - span : 0);
            assert_int_equal((uint64_t)r->last - r->base + 1, span);
            assert_int_equal(r->root_entries * 8u, 1u << r->baddr_shift);
            lpae_pa_t root = lpae_pgtable_root(pt);
            assert_true(root >= 0x50000000);
            assert_int_equal(root & 0xFFF, 0); /* a whole, aligned frame */
            assert_true(lpae_phys_frame_in_use(p, root));
            assert_int_equal(lpae_pgtable_ttbr(pt, 0xAB), root | (UINT64_C(0xAB) << 48));
            /* the TTBR value is acceptable to the register writer */
            lpae_regs rg;
            lpae_regs_init(&rg);
            lpae_regs_set_ttbcr(&rg, LPAE_TTBCR_EAE | (sel ? tsz << 16 : tsz));
            assert_int_equal(lpae_regs_set_ttbr(&rg, sel, lpae_pgtable_ttbr(pt, 1)), LPAE_OK);
            lpae_pgtable_stats st;
            assert_int_equal(lpae_pgtable_stats_get(pt, &st), LPAE_OK);
            assert_int_equal(st.table_pages, 1);
            assert_int_equal(st.mapped_bytes, 0);
            lpae_pgtable_destroy(pt);
            assert_false(lpae_phys_frame_in_use(p, root));
        }
    }
    lpae_pgtable_destroy(NULL);
    assert_int_equal(lpae_pgtable_root(NULL), 0);
    assert_null(lpae_pgtable_region(NULL));
    lpae_phys_destroy(p);
}

/* ---- granules --------------------------------------------------------------------- */

static void largest_granule(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    /* 1 GB aligned both sides: one level-1 block */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x40000000, UINT64_C(0x8000000000), G1, &RW, 0), 0);
    expect_pa(&e, 0x40000000, UINT64_C(0x8000000000), 1);
    expect_pa(&e, 0x7FFFFFFF, UINT64_C(0x803FFFFFFF), 1);
    /* 4 KB before a 2 MB boundary to 4 KB after the next one: pages, 2 MB, pages */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x801FF000, UINT64_C(0x1001FF000), M2 + 2 * K4, &RW, 0),
                     0);
    expect_pa(&e, 0x801FF000, UINT64_C(0x1001FF000), 3);
    expect_pa(&e, 0x80200000, UINT64_C(0x100200000), 2);
    expect_pa(&e, 0x803FFFFF, UINT64_C(0x1003FFFFF), 2);
    expect_pa(&e, 0x80400000, UINT64_C(0x100400000), 3);
    expect_unmapped(&e, 0x80401000);
    expect_unmapped(&e, 0x801FE000);
    /* VA 2 MB aligned but PA only 4 KB aligned: pages only */
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0x12345000, M2, &RW, 0), 0);
    expect_pa(&e, 0xC0000000, 0x12345000, 3);
    expect_pa(&e, 0xC01FFFFF, 0x12544FFF, 3);
    lpae_pgtable_stats st = stats(&e);
    assert_int_equal(st.leaves[1], 1);
    assert_int_equal(st.leaves[2], 1);
    assert_int_equal(st.leaves[3], 2 + 512);
    assert_int_equal(st.mapped_bytes, G1 + M2 + 2 * K4 + M2);
    assert_int_equal(st.table_pages, 1 + 2 + 2 + 1); /* root, 2 L2, L3 x2 at 0x80.., 1 at 0xC0.. */
    assert_int_equal(st.splits, 0);
    env_fini(&e);
}

static void forced_granules_and_argument_errors(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    assert_int_equal(lpae_pgtable_map(e.pt, 0, 0x80000000, M2, &RW, LPAE_MAP_FORCE_4K), 0);
    assert_int_equal(stats(&e).leaves[3], 512);
    expect_pa(&e, 0x1000, 0x80001000, 3);
    assert_int_equal(lpae_pgtable_map(e.pt, 0x40000000, 0x80000000, G1, &RW, LPAE_MAP_FORCE_2M), 0);
    assert_int_equal(stats(&e).leaves[2], 512);
    expect_pa(&e, 0x7FE00000, 0xBFE00000, 2);
    assert_int_equal(lpae_pgtable_map(e.pt, 0x80000000, 0, G1, &RW, LPAE_MAP_FORCE_1G), 0);
    assert_int_equal(stats(&e).leaves[1], 1);
    /* alignment for the forced granule */
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0001000, 0, M2, &RW, LPAE_MAP_FORCE_2M),
                     LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0x1000, M2, &RW, LPAE_MAP_FORCE_2M),
                     LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, M2, &RW, LPAE_MAP_FORCE_1G),
                     LPAE_EALIGN);
    assert_int_equal(
        lpae_pgtable_map(e.pt, 0xC0000000, 0, M2, &RW, LPAE_MAP_FORCE_2M | LPAE_MAP_FORCE_4K),
        LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, M2, &RW, 1u << 7), LPAE_EINVAL);
    /* basic argument checks */
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000800, 0, K4, &RW, 0), LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0x800, K4, &RW, 0), LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, 0x800, &RW, 0), LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, 0, &RW, 0), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, UINT64_C(0xFFFFFFF000), 2 * K4, &RW, 0),
                     LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, UINT64_C(1) << 40, K4, &RW, 0),
                     LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xFFFFF000, 0, 2 * K4, &RW, 0), LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, K4, NULL, 0), LPAE_EINVAL);
    lpae_prot bad = RW;
    bad.ap = 4;
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, K4, &bad, 0), LPAE_EINVAL);
    bad = RW;
    bad.attrindx = 8;
    assert_int_equal(lpae_pgtable_protect(e.pt, 0, K4, &bad), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_map(NULL, 0, 0, K4, &RW, 0), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_unmap(NULL, 0, K4), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x800, K4), LPAE_EALIGN);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0, 0), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_stats_get(e.pt, NULL), LPAE_EINVAL);
    /* the largest mapping: the whole 4 GB in one call */
    assert_int_equal(lpae_pgtable_map(e.pt, 0, 0, UINT64_C(1) << 32, &RW, LPAE_MAP_REPLACE), 0);
    assert_int_equal(stats(&e).leaves[1], 4);
    assert_int_equal(stats(&e).table_pages, 1);
    assert_int_equal(stats(&e).mapped_bytes, UINT64_C(1) << 32);
    expect_pa(&e, 0xFFFFFFFF, 0xFFFFFFFF, 1);
    env_fini(&e);

    /* 1 GB blocks need a level-1 table */
    env_init(&e, LPAE_SEL_TTBR1, 2);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, G1, &RW, LPAE_MAP_FORCE_1G),
                     LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xBFFFF000, 0, K4, &RW, 0), LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, G1, &RW, 0), 0);
    assert_int_equal(stats(&e).leaves[2], 512);
    expect_pa(&e, 0xFFFFFFFF, 0x3FFFFFFF, 2);
    env_fini(&e);
}

/* ---- overlap, replace, unmap, protect ------------------------------------------------ */

static void exist_and_replace(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    assert_int_equal(lpae_pgtable_map(e.pt, 0x00200000, 0x80200000, M2, &RW, 0), 0);
    lpae_pgtable_stats before = stats(&e);
    assert_int_equal(lpae_pgtable_map(e.pt, 0x00100000, 0x90000000, M2, &RW, 0), LPAE_EEXIST);
    assert_int_equal(lpae_pgtable_map(e.pt, 0x003FF000, 0x90000000, K4, &RW, 0), LPAE_EEXIST);
    lpae_pgtable_stats after = stats(&e);
    assert_int_equal(after.mapped_bytes, before.mapped_bytes);
    assert_int_equal(after.table_pages, before.table_pages);
    assert_int_equal(after.desc_writes, before.desc_writes);
    expect_unmapped(&e, 0x00100000);
    /* REPLACE one page inside the 2 MB block: split, the rest unchanged */
    lpae_prot ro = RW;
    ro.ap = LPAE_AP_RO;
    assert_int_equal(lpae_pgtable_map(e.pt, 0x00300000, 0x12345000, K4, &ro, LPAE_MAP_REPLACE), 0);
    assert_int_equal(stats(&e).splits, 1);
    expect_pa(&e, 0x00300abc, 0x12345abc, 3);
    assert_int_equal(wk(&e, 0x00300000, LPAE_ACC_UR).fault, LPAE_FAULT_NONE);
    expect_pa(&e, 0x002FF000, 0x802FF000, 3);
    expect_pa(&e, 0x00301000, 0x80301000, 3);
    assert_int_equal(wk(&e, 0x00301000, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    /* the split kept every attribute (save Contiguous) */
    lpae_walk_result a = wk(&e, 0x00200000, LPAE_ACC_PR);
    assert_int_equal(a.attrs.mair, 0xff);
    assert_int_equal(a.attrs.sh, 3);
    /* REPLACE a 2 MB range over a table: back to one block, table freed */
    uint64_t tables = stats(&e).table_pages;
    assert_int_equal(lpae_pgtable_map(e.pt, 0x00200000, 0xA0000000, M2, &RW, LPAE_MAP_REPLACE), 0);
    assert_int_equal(stats(&e).table_pages, tables - 1);
    expect_pa(&e, 0x00300000, 0xA0100000, 2);
    env_fini(&e);
}

static void desc_write_counts(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    assert_int_equal(stats(&e).desc_writes, 0);
    /* one page in an empty tree: L1 table, L2 table, the page */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x1000, 0x1000, K4, &RW, 0), 0);
    assert_int_equal(stats(&e).desc_writes, 3);
    /* a 2 MB block next to it: one write */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x200000, 0x200000, M2, &RW, 0), 0);
    assert_int_equal(stats(&e).desc_writes, 4);
    /* protecting one page of it: split (512 + 1) and the page (1) */
    assert_int_equal(lpae_pgtable_protect(e.pt, 0x200000, K4, &RW), 0);
    lpae_pgtable_stats st = stats(&e);
    assert_int_equal(st.desc_writes, 4 + 513 + 1);
    assert_int_equal(st.splits, 1);
    assert_int_equal(st.leaves[3], 513);
    assert_int_equal(st.leaves[2], 0);
    /* unmapping the first page clears it, and its emptied L3 table goes:
     * two writes, one table page fewer */
    assert_int_equal(stats(&e).table_pages, 1 + 1 + 2);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x1000, K4), 0);
    assert_int_equal(stats(&e).desc_writes, 4 + 514 + 2);
    assert_int_equal(stats(&e).table_pages, 1 + 1 + 1);
    /* table attributes: one write */
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0, 1, 0x1F), 0);
    assert_int_equal(stats(&e).desc_writes, 4 + 514 + 3);
    env_fini(&e);
}

static void unmap_splits_and_frees_tables(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    lpae_phys_stats ps;
    lpae_phys_stats_get(e.p, &ps);
    uint64_t frames0 = ps.frames_in_use;
    assert_int_equal(lpae_pgtable_map(e.pt, 0x40000000, 0x40000000, G1, &RW, 0), 0);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x40345000, K4), 0);
    lpae_pgtable_stats st = stats(&e);
    assert_int_equal(st.splits, 2); /* 1 GB -> 2 MB -> 4 KB */
    assert_int_equal(st.table_pages, 3);
    assert_int_equal(st.leaves[2], 511);
    assert_int_equal(st.leaves[3], 511);
    assert_int_equal(st.mapped_bytes, G1 - K4);
    expect_unmapped(&e, 0x40345000);
    expect_pa(&e, 0x40344fff, 0x40344fff, 3);
    expect_pa(&e, 0x40346000, 0x40346000, 3);
    expect_pa(&e, 0x40200000, 0x40200000, 3);
    expect_pa(&e, 0x401FFFFF, 0x401FFFFF, 2);
    expect_pa(&e, 0x40400000, 0x40400000, 2);
    expect_pa(&e, 0x7FFFFFFF, 0x7FFFFFFF, 2);
    /* unmapping holes is fine; unmapping the rest frees both tables */
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x40000000, G1), 0);
    st = stats(&e);
    assert_int_equal(st.table_pages, 1);
    assert_int_equal(st.mapped_bytes, 0);
    lpae_phys_stats_get(e.p, &ps);
    assert_int_equal(ps.frames_in_use, frames0);
    /* a table emptied piecewise is freed when its last page goes */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x1000, 0x1000, 2 * K4, &RW, 0), 0);
    assert_int_equal(stats(&e).table_pages, 3);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x1000, K4), 0);
    assert_int_equal(stats(&e).table_pages, 3);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x2000, K4), 0);
    assert_int_equal(stats(&e).table_pages, 1);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0, UINT64_C(1) << 32), 0);
    env_fini(&e);
}

static void protect_keeps_output(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR1, 4); /* VMSPLIT_4G_4G's TTBR1: 0xF0000000 up */
    assert_int_equal(lpae_pgtable_map(e.pt, 0xF0000000, 0x200000000, 4 * M2, &RW, 0), 0);
    lpae_prot user = RW;
    user.ap = LPAE_AP_RW;
    user.xn = true;
    user.ng = true;
    user.attrindx = 3;
    assert_int_equal(lpae_pgtable_protect(e.pt, 0xF0201000, M2, &user), 0);
    assert_int_equal(stats(&e).splits, 2);
    lpae_walk_result r = wk(&e, 0xF0201234, LPAE_ACC_UW);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, 0x200201234);
    assert_true(r.attrs.ng);
    assert_int_equal(r.attrs.mair, 0xee);
    assert_int_equal(wk(&e, 0xF0201234, LPAE_ACC_UX).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(wk(&e, 0xF0200fff, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(wk(&e, 0xF0400fff, LPAE_ACC_UR).fault, LPAE_FAULT_NONE);
    assert_int_equal(wk(&e, 0xF0401000, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    expect_pa(&e, 0xF0600000, 0x200600000, 2);
    /* protect over holes changes nothing there */
    assert_int_equal(lpae_pgtable_protect(e.pt, 0xF1000000, M2, &user), 0);
    expect_unmapped(&e, 0xF1000000);
    /* ERANGE below the region */
    assert_int_equal(lpae_pgtable_protect(e.pt, 0xEFFFF000, K4, &user), LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0xEFFFF000, 2 * K4), LPAE_ERANGE);
    env_fini(&e);
}

/* ---- single entries ------------------------------------------------------------------ */

/* set_desc against a reference built from descriptor reads: random plants
 * of invalid, leaf and page descriptors at levels 1-3 (fixed seed) over a
 * few VAs, so that tables are allocated, found, freed under a new leaf, and
 * blocks refuse deeper plants. Checks the return code, the descriptor's
 * address and value, and the desc_writes and table_pages statistics. */
static void set_desc_matches_reference(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    static const lpae_va_t vas[] = {0x0, 0x1000, 0x201000, 0x40003000, 0xC0000000, 0xFFFFF000};
    uint64_t seed = 11;
    unsigned ok = 0, eexist = 0, allocs_seen = 0, frees_seen = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t r = rng_next(&seed);
        lpae_va_t va = vas[r % 6];
        unsigned level = 1 + (unsigned)((r >> 8) % 3);
        uint64_t out = RAM + ((r >> 16) & 0x3FFFF000);
        uint64_t desc = 0;
        switch ((r >> 48) % 4) {
        case 0:
            desc = 0;
            break;
        case 1: /* leaf of the level (a level-3 page, or a block) */
            desc = (out & ~((UINT64_C(1) << (39 - 9 * level)) - 1)) | LPAE_DESC_AF |
                   (level == 3 ? LPAE_DESC_TYPE_PAGE : LPAE_DESC_TYPE_BLOCK);
            break;
        default: /* mostly pages at level 3: the kmap case */
            level = 3;
            desc = out | LPAE_DESC_AF | LPAE_DESC_TYPE_PAGE;
            break;
        }
        /* the reference: the descriptors on the way, read from RAM */
        int want = LPAE_OK;
        unsigned allocs = 0;
        lpae_pa_t table = lpae_pgtable_root(e.pt), slot = 0;
        uint64_t old = 0;
        for (unsigned l = 1; l <= level; l++) {
            uint64_t d = 0;
            slot = table + (((uint64_t)va >> (39 - 9 * l)) & 511u) * 8u;
            if (!allocs)
                assert_int_equal(lpae_phys_read64(e.p, slot, &d), LPAE_OK);
            if (l == level) {
                old = d;
                break;
            }
            if ((d & 3u) == LPAE_DESC_TYPE_BLOCK) {
                want = LPAE_EEXIST;
                break;
            }
            if ((d & 3u) == LPAE_DESC_TYPE_TABLE)
                table = d & LPAE_DESC_ADDR_MASK;
            else
                allocs++;
        }
        bool old_table = level < 3 && (old & 3u) == LPAE_DESC_TYPE_TABLE && !allocs;
        lpae_pgtable_stats s0, s1;
        assert_int_equal(lpae_pgtable_stats_get(e.pt, &s0), LPAE_OK);
        lpae_pa_t dpa = 0;
        int rc = lpae_pgtable_set_desc(e.pt, va, level, desc, &dpa);
        assert_int_equal(rc, want);
        assert_int_equal(lpae_pgtable_stats_get(e.pt, &s1), LPAE_OK);
        if (rc == LPAE_EEXIST) {
            eexist++;
            assert_int_equal(s1.desc_writes, s0.desc_writes);
            assert_int_equal(s1.table_pages, s0.table_pages);
            continue;
        }
        ok++;
        allocs_seen += allocs;
        assert_int_equal(s1.desc_writes, s0.desc_writes + allocs + 1);
        if (!allocs)
            assert_int_equal(dpa, slot);
        uint64_t now;
        assert_int_equal(lpae_phys_read64(e.p, dpa, &now), LPAE_OK);
        assert_int_equal(now, desc);
        if (old_table) {
            frees_seen++;
            assert_true(s1.table_pages < s0.table_pages);
        } else {
            assert_int_equal(s1.table_pages, s0.table_pages + allocs);
        }
    }
    assert_true(ok > 10000 && eexist > 100 && allocs_seen > 100 && frees_seen > 100);
    env_fini(&e);
}

/* lpae_pgtable_store_slot_in (inline) and lpae_pgtable_store_slot against
 * lpae_pgtable_set_desc on a twin tree: random level-3 page descriptors
 * (and zero) stored into the slot set_desc reports for random VAs (fixed
 * seed): the same return, descriptor in RAM and desc_writes. A store into a
 * RAM page with no host backing yet goes the general way (lpae_phys_write64):
 * the descriptor lands and is counted once. */
static void store_slot_matches_set_desc(void **state)
{
    (void)state;
    env e, f;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    env_init(&f, LPAE_SEL_TTBR0, 0);
    static const lpae_va_t vas[] = {0x0, 0x1000, 0x201000, 0x40003000, 0xC0000000, 0xFFFFF000};
    lpae_pa_t slot[6] = {0};
    uint64_t seed = 23;
    unsigned inl = 0;
    for (unsigned i = 0; i < 5000; i++) {
        uint64_t r = rng_next(&seed);
        unsigned v = (unsigned)(r % 6);
        uint64_t desc = (r >> 8) % 5 == 0
                            ? 0
                            : (RAM + ((r >> 16) & 0x3FFFF000)) | LPAE_DESC_AF | LPAE_DESC_TYPE_PAGE;
        lpae_pa_t dpa = 0;
        assert_int_equal(lpae_pgtable_set_desc(e.pt, vas[v], 3, desc, &dpa), LPAE_OK);
        uint64_t fw = lpae_pgtable_desc_writes(f.pt);
        bool stored = slot[v] != 0; /* by a slot store, one descriptor write */
        if (!slot[v]) {
            lpae_pa_t fpa = 0;
            assert_int_equal(lpae_pgtable_set_desc(f.pt, vas[v], 3, desc, &fpa), LPAE_OK);
            slot[v] = fpa;
        } else if ((r >> 40) % 2) {
            assert_int_equal(lpae_pgtable_store_slot_in(f.pt, slot[v], desc), LPAE_OK);
            inl++;
        } else {
            assert_int_equal(lpae_pgtable_store_slot(f.pt, slot[v], desc), LPAE_OK);
        }
        if (stored)
            assert_true(lpae_pgtable_desc_writes(f.pt) == fw + 1);
        assert_true(dpa == slot[v]);
        uint64_t de = 1, df = 2;
        assert_int_equal(lpae_phys_read64(e.p, dpa, &de), LPAE_OK);
        assert_int_equal(lpae_phys_read64(f.p, slot[v], &df), LPAE_OK);
        assert_true(de == desc && df == desc);
        assert_true(lpae_pgtable_desc_writes(e.pt) == lpae_pgtable_desc_writes(f.pt));
    }
    assert_true(inl > 1000);
    /* a slot in a page never written: no backing, the general store */
    lpae_pa_t fresh = RAM + G1 - LPAE_PAGE_SIZE + 8u * 17u;
    assert_null(lpae_phys_host_page(f.p, fresh));
    uint64_t w0 = lpae_pgtable_desc_writes(f.pt), d = 0;
    assert_int_equal(lpae_pgtable_store_slot_in(f.pt, fresh, RAM | LPAE_DESC_TYPE_PAGE), LPAE_OK);
    assert_int_equal(lpae_phys_read64(f.p, fresh, &d), LPAE_OK);
    assert_true(d == (RAM | LPAE_DESC_TYPE_PAGE));
    assert_true(lpae_pgtable_desc_writes(f.pt) == w0 + 1);
    assert_non_null(lpae_phys_host_page(f.p, fresh));
    env_fini(&e);
    env_fini(&f);
}

static void table_attrs_set_desc_lookup(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR0, 0);
    lpae_prot urw = RW;
    urw.ap = LPAE_AP_RW;
    assert_int_equal(lpae_pgtable_map(e.pt, 0x00001000, 0x80001000, K4, &urw, 0), 0);
    assert_int_equal(wk(&e, 0x1000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    /* APTable[0] on the level-1 table descriptor: no PL0 access below */
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 1, LPAE_APTABLE_NO_PL0 << 2), 0);
    assert_int_equal(wk(&e, 0x1000, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(wk(&e, 0x1000, LPAE_ACC_PW).fault, LPAE_FAULT_NONE);
    /* XNTable on the level-2 descriptor */
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 2, 0x02), 0);
    assert_int_equal(wk(&e, 0x1000, LPAE_ACC_PX).fault, LPAE_FAULT_PERMISSION);
    /* mapping more below keeps the table attributes */
    assert_int_equal(lpae_pgtable_map(e.pt, 0x2000, 0x80002000, K4, &urw, 0), 0);
    assert_int_equal(wk(&e, 0x2000, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 1, 0), 0);
    assert_int_equal(wk(&e, 0x2000, LPAE_ACC_UR).fault, LPAE_FAULT_NONE);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x40000000, 1, 0), LPAE_ENOENT);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 3, 0), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 1, 0x20), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_set_table_attrs(NULL, 0x1000, 1, 0), LPAE_EINVAL);

    /* lookup */
    lpae_pte_ref ref;
    assert_int_equal(lpae_pgtable_lookup(e.pt, 0x1abc, &ref), 0);
    assert_int_equal(ref.level, 3);
    assert_int_equal(ref.desc, lpae_desc_leaf(3, 0x80001000, &urw));
    uint64_t v;
    lpae_phys_read64(e.p, ref.desc_pa, &v);
    assert_int_equal(v, ref.desc);
    assert_int_equal(lpae_pgtable_lookup(e.pt, 0x3000, &ref), LPAE_ENOENT);
    assert_int_equal(ref.level, 3);
    assert_int_equal(ref.desc, 0);
    assert_int_equal(lpae_pgtable_lookup(e.pt, 0x40000000, &ref), LPAE_ENOENT);
    assert_int_equal(ref.level, 1);
    assert_int_equal(lpae_pgtable_lookup(NULL, 0, &ref), LPAE_EINVAL);

    /* set_desc: plant the reserved level-3 encoding */
    lpae_pa_t dpa = 0;
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0x5000, 3, 0x80005000 | LPAE_DESC_AF | 1, &dpa),
                     0);
    lpae_walk_result r = wk(&e, 0x5000, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_TRANSLATION);
    assert_int_equal(r.level, 3);
    assert_int_equal(r.fetch[2].pa, dpa);
    /* plant a table pointer into a hole: external abort on the walk; the
     * builder never frees it and unmap just drops it */
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0x80000000, 2, 0x10000003, NULL), 0);
    r = wk(&e, 0x80000000, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_EXT_ABORT_WALK);
    assert_int_equal(r.level, 3);
    assert_int_equal(lpae_pgtable_lookup(e.pt, 0x80000000, &ref), LPAE_EABORT);
    uint64_t tp = stats(&e).table_pages;
    assert_int_equal(lpae_pgtable_unmap(e.pt, 0x80000000, M2), 0);
    assert_int_equal(stats(&e).table_pages, tp - 1); /* the level-2 table it sat in */
    /* set_desc under a block: EEXIST; aliasing one of the builder's tables: EINVAL */
    assert_int_equal(lpae_pgtable_map(e.pt, 0xC0000000, 0, G1, &RW, 0), 0);
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0xC0000000, 3, 0, NULL), LPAE_EEXIST);
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0xC0000000, 1, lpae_pgtable_root(e.pt) | 3, NULL),
                     LPAE_EINVAL);
    /* set_desc over a subtree frees its tables */
    tp = stats(&e).table_pages;
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0x0, 1, 0, NULL), 0);
    assert_int_equal(stats(&e).table_pages, tp - 2);
    expect_unmapped(&e, 0x1000);
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0x0, 4, 0, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_set_desc(NULL, 0x0, 3, 0, NULL), LPAE_EINVAL);
    env_fini(&e);

    env_init(&e, LPAE_SEL_TTBR1, 2);
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0xC0000000, 1, 0, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_set_desc(e.pt, 0x1000, 3, 0, NULL), LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_lookup(e.pt, 0x1000, &ref), LPAE_ERANGE);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0xC0000000, 1, 0), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_set_table_attrs(e.pt, 0x1000, 2, 0), LPAE_ERANGE);
    env_fini(&e);
}

typedef struct visit_log {
    unsigned n, stop_at;
    lpae_va_t va[8];
    uint64_t size[8];
    unsigned level[8];
} visit_log;

static int log_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)desc;
    visit_log *l = ctx;
    if (l->n < 8) {
        l->va[l->n] = va;
        l->size[l->n] = size;
        l->level[l->n] = level;
    }
    l->n++;
    return l->n == l->stop_at ? 42 : 0;
}

static void foreach_in_va_order(void **state)
{
    (void)state;
    env e;
    env_init(&e, LPAE_SEL_TTBR1, 4);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xFFE00000, 0, M2, &RW, 0), 0);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xF0001000, 0, K4, &RW, 0), 0);
    assert_int_equal(lpae_pgtable_map(e.pt, 0xF0200000, 0, M2, &RW, 0), 0);
    visit_log l = {0};
    assert_int_equal(lpae_pgtable_foreach(e.pt, log_leaf, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.va[0], 0xF0001000);
    assert_int_equal(l.size[0], K4);
    assert_int_equal(l.level[0], 3);
    assert_int_equal(l.va[1], 0xF0200000);
    assert_int_equal(l.va[2], 0xFFE00000);
    assert_int_equal(l.level[2], 2);
    visit_log s = {.stop_at = 2};
    assert_int_equal(lpae_pgtable_foreach(e.pt, log_leaf, &s), 42);
    assert_int_equal(s.n, 2);
    assert_int_equal(lpae_pgtable_foreach(e.pt, NULL, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_pgtable_foreach(NULL, log_leaf, &l), LPAE_EINVAL);
    env_fini(&e);
}

/* Every leaf (VA, size, level, descriptor) a visitor saw, up to a stop. */
typedef struct leaf_rec {
    size_t n, cap, stop_at;
    struct {
        uint64_t va, size, desc;
        unsigned level;
    } * v;
    uint64_t first, last; /* a filter: record only leaves overlapping [first, last] */
    bool filter;
} leaf_rec;

static int rec_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    leaf_rec *r = ctx;
    if (r->filter && (va + size - 1 < r->first || va > r->last))
        return 0;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, r->cap * sizeof(*r->v));
        assert_non_null(r->v);
    }
    r->v[r->n].va = va;
    r->v[r->n].size = size;
    r->v[r->n].desc = desc;
    r->v[r->n].level = level;
    r->n++;
    return r->n == r->stop_at ? 7 : 0;
}

/* The plain reference of lpae_pgtable_foreach: every entry of every table
 * read one by one (lpae_phys_read of 8 bytes), leaves reported in VA order. */
static void plain_walk(lpae_phys *p, unsigned level, uint64_t table, unsigned n, uint64_t tbase,
                       leaf_rec *out)
{
    uint64_t esize = level == 1 ? G1 : level == 2 ? M2 : K4;
    for (unsigned i = 0; i < n; i++) {
        unsigned char b[8];
        assert_int_equal(lpae_phys_read(p, table + 8u * i, b, 8), LPAE_OK);
        uint64_t d = 0;
        for (int k = 7; k >= 0; k--)
            d = d << 8 | b[k];
        uint64_t va = tbase + i * esize;
        unsigned type = (unsigned)(d & 3u);
        if (level < 3 && type == 3u)
            plain_walk(p, level + 1, d & LPAE_DESC_ADDR_MASK, 512, va, out);
        else if ((level < 3 && type == 1u) || (level == 3 && type == 3u))
            (void)rec_leaf(out, (lpae_va_t)va, esize, level, d);
    }
}

/* lpae_pgtable_foreach (which skips invalid entries eight at a time)
 * against plain_walk on random sparse trees: runs of invalid entries of
 * every length, leaves at the ends of tables, pages and blocks. */
static void foreach_matches_plain_walk(void **state)
{
    (void)state;
    static const struct {
        lpae_ttbr_sel sel;
        unsigned tsz;
    } geo[] = {{LPAE_SEL_TTBR0, 0}, {LPAE_SEL_TTBR1, 4}, {LPAE_SEL_TTBR0, 2}};
    uint64_t seed = 0x5EED0F;
    size_t total = 0;
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        env e;
        env_init(&e, geo[g].sel, geo[g].tsz);
        const lpae_region *rg = lpae_pgtable_region(e.pt);
        uint64_t span = (uint64_t)rg->last + 1 - rg->base;
        for (int round = 0; round < 40; round++) {
            for (int m = 0; m < 25; m++) {
                uint64_t x = rng_next(&seed);
                uint64_t size = (x & 7) == 0 ? M2 : K4;
                /* cluster some pages at the ends and middles of tables */
                uint64_t slot = (x >> 8) % 4 == 0 ? 511 : (x >> 8) % 4 == 1 ? 0 : (x >> 12) % 512;
                uint64_t base = rg->base + ((x >> 24) % span & ~(M2 - 1));
                uint64_t va = size == K4 ? base + slot * K4 : base;
                if (va + size - 1 > rg->last)
                    continue;
                if ((x >> 40) % 3 == 0)
                    lpae_pgtable_unmap(e.pt, (lpae_va_t)va, size);
                else
                    lpae_pgtable_map(e.pt, (lpae_va_t)va, RAM + ((x >> 20) % 256) * M2, size, &RW,
                                     0);
            }
            leaf_rec want = {0}, got = {0};
            plain_walk(e.p, rg->start_level, lpae_pgtable_root(e.pt), rg->root_entries, rg->base,
                       &want);
            assert_int_equal(lpae_pgtable_foreach(e.pt, rec_leaf, &got), 0);
            assert_int_equal(got.n, want.n);
            for (size_t i = 0; i < got.n; i++) {
                assert_int_equal(got.v[i].va, want.v[i].va);
                assert_int_equal(got.v[i].size, want.v[i].size);
                assert_int_equal(got.v[i].desc, want.v[i].desc);
                assert_int_equal(got.v[i].level, want.v[i].level);
            }
            total += got.n;
            free(want.v);
            free(got.v);
        }
        env_fini(&e);
    }
    assert_true(total > 1000);
}

/* lpae_pgtable_foreach_range() against the whole-tree foreach filtered by
 * overlap: random trees of pages, 2 MB and 1 GB blocks, random ranges
 * (inside, across and outside the region), and a visitor that stops. */
static void foreach_range_matches_filtered_foreach(void **state)
{
    (void)state;
    static const struct {
        lpae_ttbr_sel sel;
        unsigned tsz;
    } geo[] = {{LPAE_SEL_TTBR0, 0}, {LPAE_SEL_TTBR1, 4}, {LPAE_SEL_TTBR0, 2}};
    uint64_t seed = 0xF0E4C4;
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        env e;
        env_init(&e, geo[g].sel, geo[g].tsz);
        const lpae_region *rg = lpae_pgtable_region(e.pt);
        uint64_t span = (uint64_t)rg->last + 1 - rg->base;
        for (int m = 0; m < 300; m++) {
            uint64_t x = rng_next(&seed);
            uint64_t size = (x & 7) == 0                 ? M2
                            : (x & 63) == 1 && span > G1 ? G1
                                                         : K4 * (1 + (x >> 8) % 8);
            uint64_t va = rg->base + ((x >> 16) % span & ~(size - 1));
            if (va + size - 1 > rg->last)
                continue;
            lpae_pgtable_map(e.pt, (lpae_va_t)va, RAM + ((x >> 20) % 256) * M2, size, &RW, 0);
        }
        size_t seen = 0, stopped = 0;
        for (int q = 0; q < 400; q++) {
            uint64_t x = rng_next(&seed), y = rng_next(&seed);
            uint64_t a = (q & 3) == 0 ? x % (UINT64_C(1) << 32) : rg->base + x % span;
            uint64_t len = (q & 1) ? y % (64 * K4) + 1 : y % span + 1;
            uint64_t b = a + len - 1 > UINT32_MAX ? UINT32_MAX : a + len - 1;
            leaf_rec want = {
                .filter = true, .first = a, .last = b, .stop_at = (q % 5 == 0) ? 3 : 0};
            leaf_rec got = {.stop_at = want.stop_at};
            int rw = lpae_pgtable_foreach(e.pt, rec_leaf, &want);
            int rg2 = lpae_pgtable_foreach_range(e.pt, a, b, rec_leaf, &got);
            assert_int_equal(rg2, rw);
            assert_int_equal(got.n, want.n);
            seen += got.n;
            stopped += rg2 != 0;
            for (size_t i = 0; i < got.n; i++) {
                assert_int_equal(got.v[i].va, want.v[i].va);
                assert_int_equal(got.v[i].size, want.v[i].size);
                assert_int_equal(got.v[i].desc, want.v[i].desc);
                assert_int_equal(got.v[i].level, want.v[i].level);
            }
            free(want.v);
            free(got.v);
        }
        assert_true(seen > 2000); /* the ranges hold leaves */
        assert_true(stopped > 10);
        leaf_rec r = {0};
        assert_int_equal(lpae_pgtable_foreach_range(e.pt, 5, 4, rec_leaf, &r), LPAE_EINVAL);
        assert_int_equal(lpae_pgtable_foreach_range(NULL, 0, 4, rec_leaf, &r), LPAE_EINVAL);
        assert_int_equal(lpae_pgtable_foreach_range(e.pt, 0, 4, NULL, &r), LPAE_EINVAL);
        env_fini(&e);
    }
}

static void desc_encode_decode(void **state)
{
    (void)state;
    uint64_t seed = 7;
    for (int i = 0; i < 2000; i++) {
        uint64_t x = rng_next(&seed);
        lpae_prot p = {
            .attrindx = x & 7,
            .ap = (x >> 3) & 3,
            .sh = (x >> 5) & 3,
            .sw = (x >> 7) & 15,
            .ns = (x >> 11) & 1,
            .ng = (x >> 12) & 1,
            .af = (x >> 13) & 1,
            .xn = (x >> 14) & 1,
            .pxn = (x >> 15) & 1,
            .contiguous = (x >> 16) & 1,
        };
        unsigned level = 1 + (unsigned)(x >> 20) % 3;
        lpae_pa_t pa = rng_next(&seed) & UINT64_C(0xFFFFFFFFFF);
        uint64_t d = lpae_desc_leaf(level, pa, &p);
        uint64_t sz = UINT64_C(1) << (39 - 9 * level);
        assert_int_equal(d & UINT64_C(0x000000FFFFFFF000), pa & ~(sz - 1));
        assert_int_equal(d & 3, level == 3 ? 3 : 1);
        assert_int_equal(d & (UINT64_C(0x1F) << 59), 0);
        lpae_prot q;
        lpae_desc_prot(d, &q);
        assert_memory_equal(&p, &q, sizeof p);
    }
    lpae_prot p = {0};
    assert_int_equal(lpae_desc_leaf(0, 0x1000, &p), 0);
    assert_int_equal(lpae_desc_leaf(4, 0x1000, &p), 0);
    assert_int_equal(lpae_desc_leaf(3, 0x1000, NULL), 0);
    lpae_desc_prot(0, NULL);
}

static void enospc_rolls_back(void **state)
{
    (void)state;
    lpae_phys *p = mkphys();
    lpae_pgtable *pt = NULL;
    /* room for the root and two more tables */
    lpae_pgtable_config cfg = {p, LPAE_SEL_TTBR0, 0, RAM, RAM + 3 * K4};
    assert_int_equal(lpae_pgtable_create(&cfg, &pt), LPAE_OK);
    assert_int_equal(lpae_pgtable_map(pt, 0x1000, 0x1000, K4, &RW, 0), 0); /* L2 + L3 */
    lpae_pgtable_stats st0;
    lpae_pgtable_stats_get(pt, &st0);
    assert_int_equal(st0.table_pages, 3);
    /* needs another L3 table: ENOSPC, and nothing of it stays */
    assert_int_equal(lpae_pgtable_map(pt, 0x1FF000, 0x1FF000, 2 * K4, &RW, 0), LPAE_ENOSPC);
    lpae_pgtable_stats st;
    lpae_pgtable_stats_get(pt, &st);
    assert_int_equal(st.table_pages, 3);
    assert_int_equal(st.mapped_bytes, K4);
    lpae_pte_ref ref;
    assert_int_equal(lpae_pgtable_lookup(pt, 0x1FF000, &ref), LPAE_ENOENT);
    /* a split that cannot get its table */
    assert_int_equal(lpae_pgtable_map(pt, 0x40000000, 0, G1, &RW, 0), 0);
    assert_int_equal(lpae_pgtable_unmap(pt, 0x40000000, K4), LPAE_ENOSPC);
    assert_int_equal(lpae_pgtable_protect(pt, 0x40000000, K4, &RW), LPAE_ENOSPC);
    lpae_pgtable_stats_get(pt, &st);
    assert_int_equal(st.mapped_bytes, K4 + G1);
    lpae_pgtable_destroy(pt);
    lpae_phys_destroy(p);
}

/* ---- randomized ---------------------------------------------------------------------- */

/* Model: the level-3 descriptor each 4 KB page would have, 0 = unmapped. */
typedef struct model {
    uint64_t *page;
    uint64_t base, npages;
} model;

static uint64_t page_desc(lpae_pa_t pa, const lpae_prot *p)
{
    return lpae_desc_leaf(3, pa, p);
}

static lpae_prot random_prot(uint64_t *seed)
{
    uint64_t x = rng_next(seed);
    lpae_prot p = {
        .attrindx = x & 7,
        .ap = (x >> 3) & 3,
        .sh = (x >> 5) & 3,
        .sw = (x >> 7) & 15,
        .ns = (x >> 11) & 1,
        .ng = (x >> 12) & 1,
        .af = ((x >> 13) & 7) != 0,
        .xn = (x >> 16) & 1,
        .pxn = (x >> 17) & 1,
    };
    return p;
}

static void check_va(env *e, const model *m, lpae_va_t va)
{
    uint64_t want = m->page[(va - m->base) >> 12];
    lpae_walk_result r = wk(e, va, LPAE_ACC_PR);
    if (!want) {
        assert_int_equal(r.fault, LPAE_FAULT_TRANSLATION);
        return;
    }
    if (!(want & LPAE_DESC_AF)) {
        assert_int_equal(r.fault, LPAE_FAULT_ACCESS_FLAG);
        return;
    }
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, (want & UINT64_C(0xFFFFFFF000)) | (va & 0xFFF));
    lpae_prot p;
    lpae_desc_prot(want, &p);
    assert_int_equal(r.attrs.attrindx, p.attrindx);
    assert_int_equal(r.attrs.ap, p.ap);
    assert_int_equal(r.attrs.sh, p.sh);
    assert_int_equal(r.attrs.ns, p.ns);
    assert_int_equal(r.attrs.ng, p.ng);
    assert_int_equal(r.attrs.xn, p.xn);
    assert_int_equal(r.attrs.pxn, p.pxn);
}

typedef struct cmp_ctx {
    const model *m;
    uint64_t pages;
} cmp_ctx;

/* Every leaf matches the model page by page. */
static int cmp_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    cmp_ctx *c = ctx;
    uint64_t oa = desc & UINT64_C(0xFFFFFFF000) & ~(size - 1);
    for (uint64_t off = 0; off < size; off += K4) {
        uint64_t want = c->m->page[(va + off - c->m->base) >> 12];
        uint64_t got = (desc & LEAF_ATTR_MASK) | (oa + off) | 3;
        if (want != got)
            return (int)level + 100;
        c->pages++;
    }
    return 0;
}

/* Reachable tables: count them and check that none below the root is empty. */
static uint64_t count_tables(env *e, unsigned level, lpae_pa_t t, unsigned n, bool root)
{
    uint64_t count = 1;
    bool any = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t d;
        assert_int_equal(lpae_phys_read64(e->p, t + i * 8u, &d), 0);
        if (level < 3 && (d & 3) == 3) {
            count += count_tables(e, level + 1, d & UINT64_C(0xFFFFFFF000), 512, false);
            any = true;
        } else if ((d & 3) == (level < 3 ? 1u : 3u)) {
            any = true;
        }
    }
    if (!root)
        assert_true(any);
    return count;
}

static void randomized_against_model(lpae_ttbr_sel sel, unsigned tsz, uint64_t seed, int ops)
{
    env e;
    env_init(&e, sel, tsz);
    const lpae_region *reg = lpae_pgtable_region(e.pt);
    model m = {.base = reg->base, .npages = ((uint64_t)reg->last + 1 - reg->base) >> 12};
    m.page = calloc(m.npages, sizeof *m.page);
    assert_non_null(m.page);
    uint64_t span = m.npages << 12;
    unsigned counts[3] = {0, 0, 0}, eexist = 0;
    for (int it = 0; it < ops; it++) {
        uint64_t x = rng_next(&seed);
        unsigned kind = x % 10; /* 0-4 map, 5-7 unmap, 8-9 protect */
        uint64_t gran = (x >> 8) % 8 < 4 ? K4 : (x >> 8) % 8 < 7 ? M2 : G1;
        if (gran == G1 && reg->start_level != 1)
            gran = M2;
        uint64_t maxn = gran == K4 ? 600 : gran == M2 ? 6 : 2;
        uint64_t size = gran * (1 + rng_next(&seed) % maxn);
        if (size > span)
            size = span;
        uint64_t off = (rng_next(&seed) % (span / gran)) * gran;
        if (off + size > span)
            off = span - size;
        if ((x >> 16) % 4 == 0 && gran != K4) /* misalign sometimes */
            off = (off + K4 * (1 + rng_next(&seed) % 511)) % (span - size + K4) & ~(K4 - 1);
        lpae_va_t va = (lpae_va_t)(m.base + off);
        lpae_prot p = random_prot(&seed);
        if (kind < 5) {
            lpae_pa_t pa = (rng_next(&seed) & UINT64_C(0xFFFFFFFFFF) & ~(gran - 1));
            if (pa + size > (UINT64_C(1) << 40))
                pa = 0;
            if ((x >> 20) % 3 == 0)
                pa |= K4 * (rng_next(&seed) % 3); /* break block alignment */
            unsigned flags = (x >> 24) % 3 == 0 ? LPAE_MAP_REPLACE : 0;
            if ((x >> 28) % 5 == 0)
                flags |= LPAE_MAP_FORCE_4K;
            bool any = false;
            for (uint64_t q = 0; q < size && !any; q += K4)
                any = m.page[(off + q) >> 12] != 0;
            int err = lpae_pgtable_map(e.pt, va, pa, size, &p, flags);
            if (any && !(flags & LPAE_MAP_REPLACE)) {
                assert_int_equal(err, LPAE_EEXIST);
                eexist++;
            } else {
                assert_int_equal(err, LPAE_OK);
                for (uint64_t q = 0; q < size; q += K4)
                    m.page[(off + q) >> 12] = page_desc(pa + q, &p);
            }
            counts[0]++;
        } else if (kind < 8) {
            assert_int_equal(lpae_pgtable_unmap(e.pt, va, size), LPAE_OK);
            for (uint64_t q = 0; q < size; q += K4)
                m.page[(off + q) >> 12] = 0;
            counts[1]++;
        } else {
            assert_int_equal(lpae_pgtable_protect(e.pt, va, size, &p), LPAE_OK);
            for (uint64_t q = 0; q < size; q += K4) {
                uint64_t *mp = &m.page[(off + q) >> 12];
                if (*mp)
                    *mp = page_desc(*mp & UINT64_C(0xFFFFFFF000), &p);
            }
            counts[2]++;
        }
        /* the edges of the range and a few random VAs */
        check_va(&e, &m, va);
        check_va(&e, &m, (lpae_va_t)(va + size - 1));
        if (off >= K4)
            check_va(&e, &m, va - 1);
        if (off + size < span)
            check_va(&e, &m, (lpae_va_t)(va + size));
        for (int k = 0; k < 8; k++)
            check_va(&e, &m, (lpae_va_t)(m.base + (rng_next(&seed) % span)));
        if (it % 50 == 49) {
            cmp_ctx c = {&m, 0};
            assert_int_equal(lpae_pgtable_foreach(e.pt, cmp_leaf, &c), 0);
            uint64_t mapped = 0;
            for (uint64_t i = 0; i < m.npages; i++)
                mapped += m.page[i] != 0;
            assert_int_equal(c.pages, mapped);
            lpae_pgtable_stats st = stats(&e);
            assert_int_equal(st.mapped_bytes, mapped * K4);
            assert_int_equal(st.table_pages,
                             count_tables(&e, reg->start_level, lpae_pgtable_root(e.pt),
                                          reg->root_entries, true));
        }
    }
    assert_true(counts[0] > 10 && counts[1] > 10 && counts[2] > 10 && eexist > 0);
    /* every page, one VA each */
    for (uint64_t i = 0; i < m.npages; i += 1 + (i & 7))
        check_va(&e, &m, (lpae_va_t)(m.base + (i << 12) + (i & 0xFFF)));
    /* unmapping everything frees every table but the root */
    assert_int_equal(lpae_pgtable_unmap(e.pt, (lpae_va_t)m.base, span), LPAE_OK);
    lpae_pgtable_stats st = stats(&e);
    assert_int_equal(st.table_pages, 1);
    assert_int_equal(st.mapped_bytes, 0);
    lpae_phys_stats ps;
    lpae_phys_stats_get(e.p, &ps);
    assert_int_equal(ps.frames_in_use, 1);
    free(m.page);
    env_fini(&e);
}

static void randomized_ttbr0_4g(void **state)
{
    (void)state;
    randomized_against_model(LPAE_SEL_TTBR0, 0, 0xC0FFEE, 600);
}

static void randomized_ttbr1_256m(void **state)
{
    (void)state;
    randomized_against_model(LPAE_SEL_TTBR1, 4, 0xBADC0DE, 600);
}

static void randomized_ttbr0_1g_level2(void **state)
{
    (void)state;
    randomized_against_model(LPAE_SEL_TTBR0, 2, 31337, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_and_geometry),
        cmocka_unit_test(largest_granule),
        cmocka_unit_test(forced_granules_and_argument_errors),
        cmocka_unit_test(exist_and_replace),
        cmocka_unit_test(desc_write_counts),
        cmocka_unit_test(unmap_splits_and_frees_tables),
        cmocka_unit_test(protect_keeps_output),
        cmocka_unit_test(table_attrs_set_desc_lookup),
        cmocka_unit_test(set_desc_matches_reference),
        cmocka_unit_test(store_slot_matches_set_desc),
        cmocka_unit_test(foreach_in_va_order),
        cmocka_unit_test(foreach_range_matches_filtered_foreach),
        cmocka_unit_test(foreach_matches_plain_walk),
        cmocka_unit_test(desc_encode_decode),
        cmocka_unit_test(enospc_rolls_back),
        cmocka_unit_test(randomized_ttbr0_4g),
        cmocka_unit_test(randomized_ttbr1_256m),
        cmocka_unit_test(randomized_ttbr0_1g_level2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
