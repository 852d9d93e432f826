/* SPDX-License-Identifier: MIT */
/* Tests of the Long-descriptor walk, permissions and PAR (lpae/walk.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/walk.h"

#define AF LPAE_DESC_AF
#define RAM_BASE UINT64_C(0x40000000)
#define NO_RAM UINT64_C(0x10000000)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

typedef struct env {
    lpae_phys *p;
    lpae_regs r;
} env;

/* 1 GB of RAM at 0x40000000 (as QEMU's virt board); VMSPLIT_3G registers:
 * TTBR0 root (level 1, 4 entries) at 0x40000000, TTBR1 root (level 2, 512
 * entries) at 0x40001000. */
static int setup(void **state)
{
    env *e = calloc(1, sizeof *e);
    lpae_ram_range ram = {RAM_BASE, UINT64_C(1) << 30};
    lpae_phys_config cfg = {&ram, 1, 0};
    if (!e || lpae_phys_create(&cfg, &e->p))
        return -1;
    lpae_regs_init(&e->r);
    if (lpae_regs_set_ttbcr(&e->r, LPAE_TTBCR_EAE | (2u << 16)) ||
        lpae_regs_set_ttbr(&e->r, 0, RAM_BASE) || lpae_regs_set_ttbr(&e->r, 1, RAM_BASE + 0x1000))
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env *e = *state;
    lpae_phys_destroy(e->p);
    free(e);
    return 0;
}

static void w64(env *e, lpae_pa_t pa, uint64_t v)
{
    assert_int_equal(lpae_phys_write64(e->p, pa, v), LPAE_OK);
}

static uint64_t tbl(lpae_pa_t pa)
{
    return pa | 3u;
}

static lpae_walk_result walk(env *e, lpae_va_t va, unsigned acc)
{
    lpae_walk_result r;
    assert_int_equal(lpae_walk(&e->r, e->p, va, acc, &r), LPAE_OK);
    return r;
}

static void expect_fault(const lpae_walk_result *r, lpae_fault f, unsigned level, unsigned fsc)
{
    assert_int_equal(r->fault, f);
    assert_int_equal(r->level, level);
    assert_int_equal(r->fsc, fsc);
    assert_int_equal(lpae_walk_par(r), UINT64_C(0x800) | ((uint64_t)fsc << 1) | 1u);
}

/* ---- descriptor types ---------------------------------------------------- */

static void blocks_pages_tables_40bit(void **state)
{
    env *e = *state;
    /* L1[0]: 1 GB block at 0x80_0000_0000 */
    w64(e, RAM_BASE + 0, UINT64_C(0x8000000000) | AF | 1);
    /* L1[1]: table -> L2 at +0x2000; L2[0] 2 MB block at the top of 40 bits */
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    w64(e, RAM_BASE + 0x2000, UINT64_C(0xFFFFE00000) | AF | 1);
    /* L2[1]: table -> L3 at +0x3000; L3[5]: page */
    w64(e, RAM_BASE + 0x2008, tbl(RAM_BASE + 0x3000));
    w64(e, RAM_BASE + 0x3000 + 5 * 8, UINT64_C(0xABCDEF0000) | AF | 3);
    /* L2[2]: block with bits [47:40] and [20:12] set: both ignored */
    w64(e, RAM_BASE + 0x2010, UINT64_C(0x0000AB0123400000) | UINT64_C(0x1FF000) | AF | 1);

    lpae_walk_result r = walk(e, 0x12345678, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, UINT64_C(0x8012345678));
    assert_int_equal(r.size_shift, 30);
    assert_int_equal(r.level, 1);
    assert_int_equal(r.sel, LPAE_SEL_TTBR0);
    assert_int_equal(r.start_level, 1);
    assert_int_equal(r.nfetch, 1);
    assert_int_equal(r.fetch[0].pa, RAM_BASE);
    assert_int_equal(r.fetch[0].level, 1);

    r = walk(e, 0x40012345, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, UINT64_C(0xFFFFE12345));
    assert_int_equal(r.size_shift, 21);
    assert_int_equal(r.level, 2);
    assert_int_equal(r.nfetch, 2);
    assert_int_equal(r.fetch[1].pa, RAM_BASE + 0x2000);
    assert_int_equal(r.fetch[1].desc, UINT64_C(0xFFFFE00000) | AF | 1);

    r = walk(e, 0x40205678, LPAE_ACC_PW);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, UINT64_C(0xABCDEF0678));
    assert_int_equal(r.size_shift, 12);
    assert_int_equal(r.level, 3);
    assert_int_equal(r.nfetch, 3);
    assert_int_equal(r.fetch[0].pa, RAM_BASE + 8);
    assert_int_equal(r.fetch[1].pa, RAM_BASE + 0x2008);
    assert_int_equal(r.fetch[2].pa, RAM_BASE + 0x3028);
    assert_int_equal(r.fetch[2].level, 3);
    assert_int_equal(lpae_walk_par(&r) & LPAE_PAR_PA_MASK, UINT64_C(0xABCDEF0000));

    r = walk(e, 0x40401234, LPAE_ACC_PR);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, UINT64_C(0x0123401234));

    /* TTBR1 (level 2 start): 0xC0000000 is index 0, 0xFFFFFFFF index 511 */
    w64(e, RAM_BASE + 0x1000, UINT64_C(0x0200000000) | AF | 1);
    w64(e, RAM_BASE + 0x1000 + 511 * 8, tbl(RAM_BASE + 0x4000));
    w64(e, RAM_BASE + 0x4000 + 511 * 8, UINT64_C(0x00FFFFF000) | AF | 3);
    r = walk(e, 0xC0000010, LPAE_ACC_PR);
    assert_int_equal(r.sel, LPAE_SEL_TTBR1);
    assert_int_equal(r.start_level, 2);
    assert_int_equal(r.fetch[0].pa, RAM_BASE + 0x1000);
    assert_int_equal(r.fetch[0].level, 2);
    assert_int_equal(r.pa, UINT64_C(0x0200000010));
    r = walk(e, 0xFFFFFFFF, LPAE_ACC_PR);
    assert_int_equal(r.nfetch, 2);
    assert_int_equal(r.fetch[0].pa, RAM_BASE + 0x1000 + 511 * 8);
    assert_int_equal(r.pa, UINT64_C(0x00FFFFFFFF));
}

/* Every bits[1:0] encoding at every level, with the other bits all set or
 * all clear: bit 0 = 0 is invalid whatever else is set; 0b01 is a block at
 * levels 1-2 and reserved (translation fault) at level 3; 0b11 is a table at
 * levels 1-2 and a page at level 3. */
static void every_type_encoding_at_every_level(void **state)
{
    env *e = *state;
    const lpae_pa_t l2 = RAM_BASE + 0x2000, l3 = RAM_BASE + 0x3000, leafpage = RAM_BASE + 0x5000;
    for (unsigned level = 1; level <= 3; level++) {
        for (unsigned type = 0; type < 4; type++) {
            for (int fill = 0; fill < 2; fill++) {
                /* path to `level` through tables; VA 0x40000000 */
                w64(e, RAM_BASE + 8, tbl(l2));
                w64(e, l2, tbl(l3));
                lpae_pa_t slot = level == 1 ? RAM_BASE + 8 : level == 2 ? l2 : l3;
                uint64_t rest =
                    fill ? (UINT64_C(0x80000FFFFFFFFFFC) & ~UINT64_C(0x7FF8000000000000)) : 0;
                /* keep a table's next-level address inside RAM */
                uint64_t addr = type == 3 && level < 3 ? leafpage : RAM_BASE + 0x200000;
                uint64_t d = ((rest & ~LPAE_DESC_ADDR_MASK) | addr | AF | type);
                w64(e, slot, d);
                if (type == 3 && level < 3) {
                    /* the next level holds a valid leaf */
                    w64(e, leafpage,
                        level == 2 ? (UINT64_C(0x7000) | AF | 3) : (UINT64_C(0x200000) | AF | 1));
                }
                lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_PR);
                assert_int_equal(r.nfetch, type == 3 && level < 3 ? level + 1 : level);
                assert_int_equal(r.fetch[level - 1].desc, d);
                if (!(type & 1)) {
                    expect_fault(&r, LPAE_FAULT_TRANSLATION, level, 4 + level);
                } else if (type == 1 && level == 3) {
                    expect_fault(&r, LPAE_FAULT_TRANSLATION, 3, 7);
                } else if (type == 1) {
                    assert_int_equal(r.fault, LPAE_FAULT_NONE);
                    assert_int_equal(r.level, level);
                } else {
                    assert_int_equal(r.fault, LPAE_FAULT_NONE);
                    assert_int_equal(r.level, level == 3 ? 3 : level + 1);
                }
                w64(e, leafpage, 0);
            }
        }
    }
}

/* ---- attributes ---------------------------------------------------------- */

static void attributes_and_mair(void **state)
{
    env *e = *state;
    e->r.mair0 = 0x33221100;
    e->r.mair1 = 0x77665544;
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    for (unsigned idx = 0; idx < 8; idx++) {
        for (unsigned sh = 0; sh < 4; sh++) {
            uint64_t d = UINT64_C(0x80000000) | AF | 1 | ((uint64_t)idx << 2) |
                         ((uint64_t)sh << 8) | ((idx & 1) ? LPAE_DESC_NG : 0) |
                         ((sh & 1) ? LPAE_DESC_CONTIG : 0) | ((idx & 2) ? LPAE_DESC_NS : 0);
            w64(e, RAM_BASE + 0x2000, d);
            lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_PR);
            assert_int_equal(r.fault, LPAE_FAULT_NONE);
            assert_int_equal(r.attrs.attrindx, idx);
            assert_int_equal(r.attrs.mair, idx * 0x11);
            assert_int_equal(r.attrs.sh, sh);
            assert_int_equal(r.attrs.ng, idx & 1);
            assert_int_equal(r.attrs.contiguous, sh & 1);
            assert_int_equal(r.attrs.ns, (idx & 2) != 0);
            uint64_t par = lpae_walk_par(&r);
            assert_int_equal(par >> 56, idx * 0x11);
            assert_int_equal((par >> 7) & 3, sh);
            assert_int_equal((par >> 9) & 1, (idx & 2) != 0);
            assert_int_equal(par & 0xFFF & ~(UINT64_C(0x380)), 0x800);
        }
    }
    /* NSTable forces NS below it */
    w64(e, RAM_BASE + 0x2000, UINT64_C(0x80000000) | AF | 1);
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000) | LPAE_DESC_NSTABLE);
    lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_PR);
    assert_true(r.attrs.ns);
    assert_int_equal(r.fetch[0].table_attrs, 0x10);
    assert_true(lpae_walk_par(&r) & LPAE_PAR_NS);
    /* ASID reported from TTBR0 or TTBR1 by A1 */
    e->r.ttbr0 |= UINT64_C(0x21) << 48;
    e->r.ttbr1 |= UINT64_C(0x43) << 48;
    r = walk(e, 0x40000000, LPAE_ACC_PR);
    assert_int_equal(r.asid, 0x21);
    e->r.ttbcr |= LPAE_TTBCR_A1;
    r = walk(e, 0x40000000, LPAE_ACC_PR);
    assert_int_equal(r.asid, 0x43);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
}

/* PAR values seen on QEMU (docs/qemu-notes.md). */
static void par_values_as_qemu(void **state)
{
    env *e = *state;
    /* success 0x11000000517bbb00: ATTR 0x11, PA 0x517bb000, NS, SH = 0b10 */
    e->r.mair0 = 0x00001100; /* Attr1 = 0x11 */
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000));
    w64(e, RAM_BASE + 0x3000,
        UINT64_C(0x517bb000) | AF | 3 | (1u << 2) | LPAE_DESC_NS | (UINT64_C(2) << 8));
    lpae_walk_result r = walk(e, 0x40000abc, LPAE_ACC_PR);
    assert_int_equal(lpae_walk_par(&r), UINT64_C(0x11000000517bbb00));
    /* translation L1/L2/L3 */
    r = walk(e, 0x80000000, LPAE_ACC_PR);
    assert_int_equal(lpae_walk_par(&r), 0x80b);
    r = walk(e, 0x40200000, LPAE_ACC_PR);
    assert_int_equal(lpae_walk_par(&r), 0x80d);
    r = walk(e, 0x40001000, LPAE_ACC_PR);
    assert_int_equal(lpae_walk_par(&r), 0x80f);
    /* access flag L1/L2/L3 */
    w64(e, RAM_BASE + 0, UINT64_C(0x80000000) | 1);
    w64(e, RAM_BASE + 0x2008, UINT64_C(0x80000000) | 1);
    w64(e, RAM_BASE + 0x3008, UINT64_C(0x80000000) | 3);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x00000000, LPAE_ACC_PR), &r)), 0x813);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x40200000, LPAE_ACC_PR), &r)), 0x815);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x40001000, LPAE_ACC_PR), &r)), 0x817);
    /* permission L1/L2/L3: AP = 0b10 (PL1 read-only), write */
    uint64_t ro = UINT64_C(2) << 6 | AF;
    w64(e, RAM_BASE + 0, UINT64_C(0x80000000) | ro | 1);
    w64(e, RAM_BASE + 0x2008, UINT64_C(0x80000000) | ro | 1);
    w64(e, RAM_BASE + 0x3008, UINT64_C(0x80000000) | ro | 3);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x00000000, LPAE_ACC_PW), &r)), 0x81b);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x40200000, LPAE_ACC_PW), &r)), 0x81d);
    assert_int_equal(lpae_walk_par((r = walk(e, 0x40001000, LPAE_ACC_UW), &r)), 0x81f);
    /* a permission fault still reports the translation */
    assert_int_equal(r.pa, UINT64_C(0x80000000));
    assert_int_equal(r.attrs.ap, 2);
    /* address size (TTBR bits [47:40]): level 0, 0x801 */
    e->r.ttbr0 |= UINT64_C(1) << 40;
    r = walk(e, 0x00000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_ADDRESS_SIZE, 0, 0);
    assert_int_equal(lpae_walk_par(&r), 0x801);
    assert_int_equal(r.nfetch, 0);
    assert_int_equal(lpae_walk_par(NULL), 0);
}

/* ---- permissions ---------------------------------------------------------- */

/* Effective AP[2:1] for leaf AP (row) under APTable (column), DDI 0406C
 * B3.6.1: APTable[0] removes PL0 access, APTable[1] removes write access. */
static const unsigned eff_ap[4][4] = {
    {0, 0, 2, 2},
    {1, 0, 3, 2},
    {2, 2, 2, 2},
    {3, 2, 3, 2},
};

/* Allowed accesses for an effective AP with no XN/PXN/WXN (B3.7.1 table). */
static bool allowed(unsigned ap, unsigned acc)
{
    static const char *const table[4] = {
        "PR PW PX",          /* 0b00 PL1 RW */
        "PR PW PX UR UW UX", /* 0b01 RW at any PL */
        "PR PX",             /* 0b10 PL1 RO */
        "PR PX UR UX",       /* 0b11 RO at any PL */
    };
    return strstr(table[ap], lpae_access_name(acc)) != NULL;
}

static const unsigned all_acc[6] = {LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_PX,
                                    LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX};

static void ap_times_aptable_every_access(void **state)
{
    env *e = *state;
    /* three placements of APTable: at L1, at L2, and split over both */
    for (int where = 0; where < 3; where++) {
        for (unsigned ap = 0; ap < 4; ap++) {
            for (unsigned apt = 0; apt < 4; apt++) {
                uint64_t t1 = 0, t2 = 0;
                if (where == 0)
                    t1 = (uint64_t)apt << 61;
                else if (where == 1)
                    t2 = (uint64_t)apt << 61;
                else
                    t1 = (uint64_t)(apt & 1) << 61, t2 = (uint64_t)(apt & 2) << 61;
                w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000) | t1);
                w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000) | t2);
                w64(e, RAM_BASE + 0x3000, UINT64_C(0x90000000) | AF | 3 | ((uint64_t)ap << 6));
                for (unsigned i = 0; i < 6; i++) {
                    lpae_walk_result r = walk(e, 0x40000123, all_acc[i]);
                    bool ok = allowed(eff_ap[ap][apt], all_acc[i]);
                    if (ok) {
                        assert_int_equal(r.fault, LPAE_FAULT_NONE);
                        assert_int_equal(r.pa, 0x90000123);
                    } else {
                        /* reported at the page's level, also when APTable
                         * above caused it */
                        expect_fault(&r, LPAE_FAULT_PERMISSION, 3, 0x0F);
                        assert_int_equal(r.pa, 0x90000123);
                    }
                    assert_int_equal(r.attrs.ap, ap);
                    assert_int_equal(r.attrs.aptable, apt);
                    assert_int_equal((r.attrs.perm >> all_acc[i]) & 1, ok);
                }
            }
        }
    }
}

static void xn_pxn_and_table_forms(void **state)
{
    env *e = *state;
    /* columns: PR PW PX UR UW UX for AP = 0b01 */
    struct {
        uint64_t t1, leaf;
        const char *allowed;
    } cases[] = {
        {0, 0, "PR PW PX UR UW UX"},
        {0, LPAE_DESC_XN, "PR PW UR UW"},
        {0, LPAE_DESC_PXN, "PR PW UR UW UX"},
        {LPAE_DESC_XNTABLE, 0, "PR PW UR UW"},
        {LPAE_DESC_PXNTABLE, 0, "PR PW UR UW UX"},
        {LPAE_DESC_PXNTABLE, LPAE_DESC_XN, "PR PW UR UW"},
        {LPAE_DESC_XNTABLE | LPAE_DESC_PXNTABLE, 0, "PR PW UR UW"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int at_l2 = 0; at_l2 < 2; at_l2++) {
            w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000) | (at_l2 ? 0 : cases[c].t1));
            w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000) | (at_l2 ? cases[c].t1 : 0));
            w64(e, RAM_BASE + 0x3000,
                UINT64_C(0x90000000) | AF | 3 | (UINT64_C(1) << 6) | cases[c].leaf);
            for (unsigned i = 0; i < 6; i++) {
                lpae_walk_result r = walk(e, 0x40000000, all_acc[i]);
                bool ok = strstr(cases[c].allowed, lpae_access_name(all_acc[i])) != NULL;
                assert_int_equal(r.fault, ok ? LPAE_FAULT_NONE : LPAE_FAULT_PERMISSION);
            }
            lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_PR);
            assert_int_equal(
                r.attrs.xn,
                (cases[c].leaf | cases[c].t1) & (LPAE_DESC_XN | LPAE_DESC_XNTABLE) ? 1 : 0);
            assert_int_equal(
                r.attrs.pxn,
                (cases[c].leaf | cases[c].t1) & (LPAE_DESC_PXN | LPAE_DESC_PXNTABLE) ? 1 : 0);
        }
    }
    /* a page not readable at PL0 is not executable at PL0 (AP = 0b00) */
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000));
    w64(e, RAM_BASE + 0x3000, UINT64_C(0x90000000) | AF | 3);
    assert_int_equal(walk(e, 0x40000000, LPAE_ACC_UX).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(walk(e, 0x40000000, LPAE_ACC_PX).fault, LPAE_FAULT_NONE);
}

static void wxn_and_uwxn(void **state)
{
    env *e = *state;
    /* [sctlr variant][ap]: the allowed accesses */
    static const char *const want[3][4] = {
        /* WXN */
        {"PR PW", "PR PW UR UW", "PR PX", "PR PX UR UX"},
        /* UWXN */
        {"PR PW PX", "PR PW UR UW UX", "PR PX", "PR PX UR UX"},
        /* WXN | UWXN */
        {"PR PW", "PR PW UR UW", "PR PX", "PR PX UR UX"},
    };
    static const uint32_t sctlr[3] = {LPAE_SCTLR_WXN, LPAE_SCTLR_UWXN,
                                      LPAE_SCTLR_WXN | LPAE_SCTLR_UWXN};
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000));
    for (int v = 0; v < 3; v++) {
        e->r.sctlr = LPAE_SCTLR_M | sctlr[v];
        for (unsigned ap = 0; ap < 4; ap++) {
            w64(e, RAM_BASE + 0x3000, UINT64_C(0x90000000) | AF | 3 | ((uint64_t)ap << 6));
            for (unsigned i = 0; i < 6; i++) {
                bool ok = strstr(want[v][ap], lpae_access_name(all_acc[i])) != NULL;
                assert_int_equal(walk(e, 0x40000000, all_acc[i]).fault,
                                 ok ? LPAE_FAULT_NONE : LPAE_FAULT_PERMISSION);
            }
        }
    }
    /* write permission removed by APTable lifts WXN; PL0 access removed by
     * APTable lifts UWXN */
    w64(e, RAM_BASE + 0x3000, UINT64_C(0x90000000) | AF | 3 | (UINT64_C(1) << 6));
    e->r.sctlr = LPAE_SCTLR_M | LPAE_SCTLR_WXN;
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000) | ((uint64_t)LPAE_APTABLE_RO << 61));
    assert_int_equal(walk(e, 0x40000000, LPAE_ACC_PX).fault, LPAE_FAULT_NONE);
    assert_int_equal(walk(e, 0x40000000, LPAE_ACC_UX).fault, LPAE_FAULT_NONE);
    e->r.sctlr = LPAE_SCTLR_M | LPAE_SCTLR_UWXN;
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000) | ((uint64_t)LPAE_APTABLE_NO_PL0 << 61));
    assert_int_equal(walk(e, 0x40000000, LPAE_ACC_PX).fault, LPAE_FAULT_NONE);
}

/* lpae_perm_mask agrees with the walker for every input combination. */
static void perm_mask_matches_walk(void **state)
{
    env *e = *state;
    for (unsigned bits = 0; bits < 1024; bits++) {
        unsigned ap = bits & 3, apt = (bits >> 2) & 3;
        bool xn = bits & 16, pxn = bits & 32, xnt = bits & 64, pxnt = bits & 128;
        uint32_t sctlr = LPAE_SCTLR_M | ((bits & 256) ? LPAE_SCTLR_WXN : 0) |
                         ((bits & 512) ? LPAE_SCTLR_UWXN : 0);
        e->r.sctlr = sctlr;
        w64(e, RAM_BASE + 8,
            tbl(RAM_BASE + 0x2000) | ((uint64_t)apt << 61) | (xnt ? LPAE_DESC_XNTABLE : 0) |
                (pxnt ? LPAE_DESC_PXNTABLE : 0));
        w64(e, RAM_BASE + 0x2000,
            UINT64_C(0x80000000) | AF | 1 | ((uint64_t)ap << 6) | (xn ? LPAE_DESC_XN : 0) |
                (pxn ? LPAE_DESC_PXN : 0));
        uint8_t m = lpae_perm_mask(ap, xn, pxn, apt, xnt, pxnt, sctlr);
        for (unsigned i = 0; i < 6; i++) {
            lpae_walk_result r = walk(e, 0x40000000, all_acc[i]);
            assert_int_equal(r.attrs.perm, m);
            assert_int_equal(r.fault == LPAE_FAULT_NONE, (m >> all_acc[i]) & 1);
        }
        /* PR is always allowed; PW never without PR; no bit for invalid codes */
        assert_true(m & 1);
        assert_int_equal(m & 0x88, 0);
        if (!(bits & 0x3F0) && !(apt))
            for (unsigned i = 0; i < 6; i++)
                assert_int_equal((m >> all_acc[i]) & 1, allowed(ap, all_acc[i]));
    }
}

/* ---- fault order ---------------------------------------------------------- */

static void access_flag_before_permission(void **state)
{
    env *e = *state;
    for (unsigned level = 1; level <= 3; level++) {
        w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
        w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000));
        lpae_pa_t slot = level == 1   ? RAM_BASE + 8
                         : level == 2 ? RAM_BASE + 0x2000
                                      : RAM_BASE + 0x3000;
        /* AF = 0, AP = PL1 read-only + XN: every access but PR would be a
         * permission fault, yet all are access flag faults */
        uint64_t d =
            UINT64_C(0x80000000) | (UINT64_C(2) << 6) | LPAE_DESC_XN | (level == 3 ? 3 : 1);
        w64(e, slot, d);
        for (unsigned i = 0; i < 6; i++) {
            lpae_walk_result r = walk(e, 0x40000000, all_acc[i]);
            expect_fault(&r, LPAE_FAULT_ACCESS_FLAG, level, 8 + level);
        }
        /* with AF set, the permission check decides */
        w64(e, slot, d | AF);
        assert_int_equal(walk(e, 0x40000000, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
        lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_UR);
        expect_fault(&r, LPAE_FAULT_PERMISSION, level, 12 + level);
        /* an invalid descriptor with AF and everything else set is a
         * translation fault, not AF/permission */
        w64(e, slot, (d | AF | UINT64_C(0xFFF0000000000000)) & ~UINT64_C(1));
        r = walk(e, 0x40000000, LPAE_ACC_UW);
        expect_fault(&r, LPAE_FAULT_TRANSLATION, level, 4 + level);
    }
}

static void external_abort_on_walk(void **state)
{
    env *e = *state;
    /* TTBR0 into a hole: level 1 */
    e->r.ttbr0 = NO_RAM;
    lpae_walk_result r = walk(e, 0x40000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_EXT_ABORT_WALK, 1, 0x15);
    assert_int_equal(r.nfetch, 1);
    assert_int_equal(r.fetch[0].pa, NO_RAM + 8);
    assert_int_equal(r.fetch[0].desc, 0);
    e->r.ttbr0 = RAM_BASE;
    /* L1 table into a hole: level 2 */
    w64(e, RAM_BASE + 8, tbl(NO_RAM));
    r = walk(e, 0x40200000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_EXT_ABORT_WALK, 2, 0x16);
    assert_int_equal(r.fetch[1].pa, NO_RAM + 8);
    /* L2 table into a hole: level 3 */
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000));
    w64(e, RAM_BASE + 0x2000, tbl(UINT64_C(0xFF00000000)));
    r = walk(e, 0x40003000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_EXT_ABORT_WALK, 3, 0x17);
    assert_int_equal(r.fetch[2].pa, UINT64_C(0xFF00000018));
    /* TTBR1 (level-2 start) into a hole */
    e->r.ttbr1 = NO_RAM;
    r = walk(e, 0xC0000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_EXT_ABORT_WALK, 2, 0x16);
    /* explain says so */
    char buf[512];
    assert_true(lpae_walk_explain(&r, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "external abort"));
}

static void gap_epd_and_address_size_order(void **state)
{
    env *e = *state;
    w64(e, RAM_BASE + 0x1000, UINT64_C(0x80000000) | AF | 1);
    w64(e, RAM_BASE + 0, UINT64_C(0x80000000) | AF | 1);
    w64(e, RAM_BASE + 8, UINT64_C(0x80000000) | AF | 1);
    /* the gap: T0SZ = 1, T1SZ = 2 leaves 0x80000000..0xBFFFFFFF */
    e->r.ttbcr = LPAE_TTBCR_EAE | 1u | (2u << 16);
    lpae_walk_result r = walk(e, 0x80000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    assert_int_equal(r.sel, LPAE_SEL_NONE);
    assert_int_equal(r.nfetch, 0);
    r = walk(e, 0xBFFFFFFF, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    assert_int_equal(walk(e, 0xC0000000, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
    assert_int_equal(walk(e, 0x7FFFFFFF, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
    /* EPD1 on a level-2-start region still faults at level 1 */
    e->r.ttbcr = LPAE_TTBCR_EAE | (2u << 16) | LPAE_TTBCR_EPD1;
    r = walk(e, 0xC0000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    assert_int_equal(r.nfetch, 0);
    assert_int_equal(walk(e, 0x00000000, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
    /* EPD0 */
    e->r.ttbcr = LPAE_TTBCR_EAE | (2u << 16) | LPAE_TTBCR_EPD0;
    r = walk(e, 0x00000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    assert_int_equal(walk(e, 0xC0000000, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
    /* EPD0 comes before the TTBR address-size check; without it, the
     * address size fault comes before any fetch */
    e->r.ttbr0 = RAM_BASE | (UINT64_C(0x80) << 40);
    r = walk(e, 0x00000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    e->r.ttbcr = LPAE_TTBCR_EAE | (2u << 16);
    r = walk(e, 0x00000000, LPAE_ACC_PR);
    expect_fault(&r, LPAE_FAULT_ADDRESS_SIZE, 0, 0);
    /* bits [63:56] and the ASID are not address bits */
    e->r.ttbr0 = RAM_BASE | (UINT64_C(0xFF) << 48) | (UINT64_C(0xFF) << 56);
    assert_int_equal(walk(e, 0x00000000, LPAE_ACC_PR).fault, LPAE_FAULT_NONE);
    /* BADDR bits below x are ignored (treated as zero) */
    e->r.ttbr0 = RAM_BASE | 0x18;
    r = walk(e, 0x00000000, LPAE_ACC_PR);
    assert_int_equal(r.fetch[0].pa, RAM_BASE);
}

/* For all 64 TnSZ pairs: the walk uses the selected TTBR, the start level's
 * table with VA[31-TnSZ:start shift] as index, and faults in the gap. */
static void all_pairs_walk(void **state)
{
    env *e = *state;
    const lpae_pa_t root[2] = {RAM_BASE + 0x10000, RAM_BASE + 0x20000};
    uint64_t seed = 99;
    for (unsigned t0 = 0; t0 < 8; t0++) {
        for (unsigned t1 = 0; t1 < 8; t1++) {
            e->r.ttbcr = LPAE_TTBCR_EAE | t0 | (t1 << 16);
            e->r.ttbr0 = root[0];
            e->r.ttbr1 = root[1];
            for (int k = 0; k < 48; k++) {
                uint32_t va = (uint32_t)rng_next(&seed);
                if (k < 16)
                    va = (uint32_t)k << 28 | (uint32_t)(rng_next(&seed) & 0x0FFFFFFF);
                lpae_region reg;
                assert_int_equal(lpae_regs_region(&e->r, va, &reg), LPAE_OK);
                lpae_walk_result r;
                if (reg.sel == LPAE_SEL_NONE) {
                    r = walk(e, va, LPAE_ACC_PR);
                    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
                    continue;
                }
                unsigned shift = reg.start_level == 1 ? 30 : 21;
                uint32_t idx = (va & (UINT32_MAX >> reg.tsz)) >> shift;
                assert_true(idx < reg.root_entries);
                lpae_pa_t slot = root[reg.sel] + idx * 8u;
                uint64_t oa = (UINT64_C(0x1234) << 30) & LPAE_DESC_ADDR_MASK;
                w64(e, slot, oa | AF | 1);
                r = walk(e, va, LPAE_ACC_PR);
                assert_int_equal(r.fault, LPAE_FAULT_NONE);
                assert_int_equal(r.sel, reg.sel);
                assert_int_equal(r.start_level, reg.start_level);
                assert_int_equal(r.nfetch, 1);
                assert_int_equal(r.fetch[0].pa, slot);
                assert_int_equal(r.pa, oa | (va & ((UINT32_C(1) << shift) - 1)));
                w64(e, slot, 0);
                r = walk(e, va, LPAE_ACC_PR);
                expect_fault(&r, LPAE_FAULT_TRANSLATION, reg.start_level, 4 + reg.start_level);
            }
        }
    }
}

/* ---- walk_from ------------------------------------------------------------ */

static void random_tree(env *e, uint64_t *seed)
{
    /* a 3G layout with random descriptors in a few tables */
    const lpae_pa_t tables[6] = {RAM_BASE + 0x2000, RAM_BASE + 0x3000, RAM_BASE + 0x4000,
                                 RAM_BASE + 0x5000, RAM_BASE + 0x6000, RAM_BASE + 0x7000};
    for (unsigned t = 0; t < 6; t++)
        for (unsigned i = 0; i < 512; i++)
            w64(e, tables[t] + i * 8u, 0);
    for (unsigned i = 0; i < 4; i++)
        w64(e, RAM_BASE + i * 8u, 0);
    for (unsigned i = 0; i < 512; i++)
        w64(e, RAM_BASE + 0x1000 + i * 8u, 0);
    /* fill: roots and tables with random entries; table pointers only to tables */
    lpae_pa_t slots[4 + 512 + 6 * 512];
    unsigned ns = 0;
    for (unsigned i = 0; i < 4; i++)
        slots[ns++] = RAM_BASE + i * 8u;
    for (unsigned i = 0; i < 512; i++)
        slots[ns++] = RAM_BASE + 0x1000 + i * 8u;
    for (unsigned t = 0; t < 6; t++)
        for (unsigned i = 0; i < 512; i++)
            slots[ns++] = tables[t] + i * 8u;
    for (unsigned s = 0; s < ns; s++) {
        uint64_t x = rng_next(seed);
        uint64_t attrs = (rng_next(seed) & (UINT64_C(0xFFF) | (UINT64_C(0xFFF) << 52))) & ~3u;
        if (rng_next(seed) % 4)
            attrs |= AF;
        uint64_t oa = rng_next(seed) & LPAE_DESC_ADDR_MASK;
        switch (x % 5) {
        case 0:
            w64(e, slots[s], x & ~UINT64_C(1)); /* invalid */
            break;
        case 1:
        case 2:
            w64(e, slots[s], tbl(tables[rng_next(seed) % 6]) | (attrs & LPAE_DESC_TABLE_ATTR_MASK));
            break;
        case 3:
            w64(e, slots[s], oa | attrs | 1); /* block, or reserved at level 3 */
            break;
        default:
            w64(e, slots[s], oa | attrs | 3); /* table pointer anywhere / page */
            break;
        }
    }
}

static void same_outcome(const lpae_walk_result *a, const lpae_walk_result *b, unsigned skip)
{
    assert_int_equal(a->fault, b->fault);
    assert_int_equal(a->level, b->level);
    assert_int_equal(a->fsc, b->fsc);
    assert_int_equal(lpae_walk_par(a), lpae_walk_par(b));
    assert_int_equal(a->sel, b->sel);
    assert_int_equal(a->asid, b->asid);
    if (a->fault == LPAE_FAULT_NONE || a->fault == LPAE_FAULT_PERMISSION) {
        assert_int_equal(a->pa, b->pa);
        assert_int_equal(a->size_shift, b->size_shift);
        assert_memory_equal(&a->attrs, &b->attrs, sizeof a->attrs);
    }
    assert_int_equal(a->nfetch, b->nfetch + skip);
    for (unsigned i = 0; i < b->nfetch; i++) {
        assert_int_equal(a->fetch[i + skip].level, b->fetch[i].level);
        assert_int_equal(a->fetch[i + skip].pa, b->fetch[i].pa);
        assert_int_equal(a->fetch[i + skip].desc, b->fetch[i].desc);
        assert_int_equal(a->fetch[i + skip].table_attrs, b->fetch[i].table_attrs);
    }
}

static void walk_from_equals_walk(void **state)
{
    env *e = *state;
    uint64_t seed = 2024;
    unsigned resumed = 0, outcomes[6] = {0};
    for (int round = 0; round < 8; round++) {
        random_tree(e, &seed);
        e->r.sctlr =
            LPAE_SCTLR_M | (uint32_t)(rng_next(&seed) & (LPAE_SCTLR_WXN | LPAE_SCTLR_UWXN));
        for (int k = 0; k < 4000; k++) {
            uint32_t va = (uint32_t)rng_next(&seed);
            unsigned acc = all_acc[rng_next(&seed) % 6];
            lpae_walk_result full = walk(e, va, acc);
            outcomes[full.fault]++;
            for (unsigned i = 0; i < full.nfetch; i++) {
                const lpae_fetch *f = &full.fetch[i];
                /* resume below every table descriptor the walk went through */
                if (f->level == 3 || (f->desc & 3) != 3)
                    continue;
                lpae_walk_result part;
                assert_int_equal(lpae_walk_from(&e->r, e->p, va, acc, f->level + 1u,
                                                f->desc & LPAE_DESC_ADDR_MASK, f->table_attrs,
                                                &part),
                                 LPAE_OK);
                assert_int_equal(part.start_level, f->level + 1u);
                same_outcome(&full, &part, i + 1);
                resumed++;
            }
            /* resuming at the start level of a level-2 region is a full walk */
            if (full.sel == LPAE_SEL_TTBR1) {
                lpae_walk_result part;
                assert_int_equal(
                    lpae_walk_from(&e->r, e->p, va, acc, 2, RAM_BASE + 0x1000, 0, &part), LPAE_OK);
                same_outcome(&full, &part, 0);
            }
        }
    }
    /* the random trees exercised every outcome */
    assert_true(resumed > 1000);
    for (unsigned f = 0; f <= LPAE_FAULT_PERMISSION; f++)
        assert_true(outcomes[f] > 10);
}

/* ---- modes and errors ----------------------------------------------------- */

static void mmu_off_flat(void **state)
{
    env *e = *state;
    e->r.sctlr = 0;
    lpae_walk_result r = walk(e, 0xDEADBEEF, LPAE_ACC_UW);
    assert_int_equal(r.fault, LPAE_FAULT_NONE);
    assert_int_equal(r.pa, 0xDEADBEEF);
    assert_int_equal(r.nfetch, 0);
    assert_int_equal(lpae_walk_par(&r), UINT64_C(0xDEADB000) | 0x800 | (2u << 7));
    for (unsigned i = 0; i < 6; i++) {
        r = walk(e, 0, all_acc[i]);
        assert_int_equal(r.fault, LPAE_FAULT_NONE);
        assert_int_equal(r.attrs.mair, (all_acc[i] & LPAE_ACC_EXEC) ? 0x44 : 0x00);
    }
    e->r.sctlr = LPAE_SCTLR_I;
    r = walk(e, 0x8000, LPAE_ACC_PX);
    assert_int_equal(lpae_walk_par(&r), UINT64_C(0xEE00000000008900));
    assert_int_equal(walk(e, 0x8000, LPAE_ACC_PR).attrs.mair, 0);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0x1234, LPAE_ACC_PR, 3, RAM_BASE, 0, &r), 0);
    assert_int_equal(r.pa, 0x1234);
    char buf[256];
    lpae_walk_explain(&r, buf, sizeof buf);
    assert_non_null(strstr(buf, "MMU off"));
}

static void argument_errors(void **state)
{
    env *e = *state;
    lpae_walk_result r;
    memset(&r, 0x5A, sizeof r);
    assert_int_equal(lpae_walk(NULL, e->p, 0, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk(&e->r, NULL, 0, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk(&e->r, e->p, 0, 0, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_walk(&e->r, e->p, 0, 3, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk(&e->r, e->p, 0, 7, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk(&e->r, e->p, 0, 8, &r), LPAE_EINVAL);
    e->r.ttbcr &= ~LPAE_TTBCR_EAE;
    assert_int_equal(lpae_walk(&e->r, e->p, 0, 0, &r), LPAE_EUNSUPP);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0, 0, 2, RAM_BASE, 0, &r), LPAE_EUNSUPP);
    e->r.ttbcr |= LPAE_TTBCR_EAE;
    /* out untouched on error */
    assert_int_equal(r.va, 0x5A5A5A5A);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0, 0, 1, RAM_BASE, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0, 0, 4, RAM_BASE, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0, 3, 2, RAM_BASE, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_walk_from(NULL, e->p, 0, 0, 2, RAM_BASE, 0, &r), LPAE_EINVAL);
    /* walk_from still honours the gap and EPD */
    e->r.ttbcr = LPAE_TTBCR_EAE | 1u | (2u << 16);
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0x80000000, 0, 3, RAM_BASE, 0, &r), 0);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    e->r.ttbcr = LPAE_TTBCR_EAE | LPAE_TTBCR_EPD0;
    assert_int_equal(lpae_walk_from(&e->r, e->p, 0x80000000, 0, 2, RAM_BASE, 0, &r), 0);
    expect_fault(&r, LPAE_FAULT_TRANSLATION, 1, 5);
    assert_int_equal(lpae_walk_explain(NULL, NULL, 0), LPAE_EINVAL);
    assert_int_equal(lpae_walk_explain(&r, NULL, 5), LPAE_EINVAL);
}

static void names(void **state)
{
    (void)state;
    static const char *const n[6] = {"PR", "PW", "PX", "UR", "UW", "UX"};
    for (unsigned i = 0; i < 6; i++) {
        assert_string_equal(lpae_access_name(all_acc[i]), n[i]);
        unsigned a = 99;
        assert_int_equal(lpae_access_parse(n[i], &a), LPAE_OK);
        assert_int_equal(a, all_acc[i]);
        char lower[3] = {(char)(n[i][0] + 32), (char)(n[i][1] + 32), 0};
        assert_int_equal(lpae_access_parse(lower, &a), LPAE_OK);
        assert_int_equal(a, all_acc[i]);
        assert_true(LPAE_ACC_VALID(all_acc[i]));
    }
    assert_false(LPAE_ACC_VALID(3));
    assert_false(LPAE_ACC_VALID(7));
    assert_false(LPAE_ACC_VALID(8));
    assert_string_equal(lpae_access_name(3), "??");
    assert_string_equal(lpae_access_name(99), "??");
    unsigned a;
    assert_int_equal(lpae_access_parse("PRX", &a), LPAE_EPARSE);
    assert_int_equal(lpae_access_parse("XW", &a), LPAE_EPARSE);
    assert_int_equal(lpae_access_parse("", &a), LPAE_EPARSE);
    assert_int_equal(lpae_access_parse("??", &a), LPAE_EPARSE);
    assert_int_equal(lpae_access_parse(NULL, &a), LPAE_EINVAL);
    assert_int_equal(lpae_access_parse("PR", NULL), LPAE_EINVAL);
    assert_string_equal(lpae_fault_name(LPAE_FAULT_NONE), "none");
    assert_string_equal(lpae_fault_name(LPAE_FAULT_TRANSLATION), "translation");
    assert_string_equal(lpae_fault_name(LPAE_FAULT_ACCESS_FLAG), "access-flag");
    assert_string_equal(lpae_fault_name(LPAE_FAULT_PERMISSION), "permission");
    assert_string_equal(lpae_fault_name(LPAE_FAULT_ADDRESS_SIZE), "address-size");
    assert_string_equal(lpae_fault_name(LPAE_FAULT_EXT_ABORT_WALK), "external-abort");
    assert_string_equal(lpae_fault_name((lpae_fault)42), "unknown");
}

static void explain_text(void **state)
{
    env *e = *state;
    w64(e, RAM_BASE + 8, tbl(RAM_BASE + 0x2000) | LPAE_DESC_XNTABLE);
    w64(e, RAM_BASE + 0x2000, tbl(RAM_BASE + 0x3000));
    w64(e, RAM_BASE + 0x3000, UINT64_C(0x123456000) | AF | 3 | LPAE_DESC_NG);
    lpae_walk_result r = walk(e, 0x40000010, LPAE_ACC_PR);
    char buf[1024];
    int n = lpae_walk_explain(&r, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_non_null(strstr(buf, "TTBR0 region, walk from level 1"));
    assert_non_null(strstr(buf, "L1 @0x0040000008 = 0x"));
    assert_non_null(strstr(buf, "XNTable=1"));
    assert_non_null(strstr(buf, "L3 @0x0040003000"));
    assert_non_null(strstr(buf, "4KB page"));
    assert_non_null(strstr(buf, "=> PA 0x0123456010"));
    assert_non_null(strstr(buf, "nG"));
    char par[40];
    snprintf(par, sizeof par, "PAR 0x%016llx", (unsigned long long)lpae_walk_par(&r));
    assert_non_null(strstr(buf, par));
    /* snprintf-like: length needed, truncated output NUL-terminated */
    char small[16];
    memset(small, 'x', sizeof small);
    assert_int_equal(lpae_walk_explain(&r, small, sizeof small), n);
    assert_int_equal(small[15], '\0');
    assert_int_equal(strncmp(small, buf, 15), 0);
    assert_int_equal(lpae_walk_explain(&r, NULL, 0), n);
    r = walk(e, 0x40001000, LPAE_ACC_PR);
    lpae_walk_explain(&r, buf, sizeof buf);
    assert_non_null(strstr(buf, "translation fault, level 3, FSC 0x07"));
    assert_non_null(strstr(buf, "invalid"));
    e->r.ttbcr = LPAE_TTBCR_EAE | 1u | (2u << 16);
    r = walk(e, 0x80000000, LPAE_ACC_PR);
    lpae_walk_explain(&r, buf, sizeof buf);
    assert_non_null(strstr(buf, "gap"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(blocks_pages_tables_40bit),
        T(every_type_encoding_at_every_level),
        T(attributes_and_mair),
        T(par_values_as_qemu),
        T(ap_times_aptable_every_access),
        T(xn_pxn_and_table_forms),
        T(wxn_and_uwxn),
        T(perm_mask_matches_walk),
        T(access_flag_before_permission),
        T(external_abort_on_walk),
        T(gap_epd_and_address_size_order),
        T(all_pairs_walk),
        T(walk_from_equals_walk),
        T(mmu_off_flat),
        T(argument_errors),
        cmocka_unit_test(names),
        T(explain_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
