/* SPDX-License-Identifier: MIT */
/* Tests of the translation registers and region selection (lpae/regs.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/regs.h"

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint32_t ttbcr_of(unsigned t0, unsigned t1)
{
    return LPAE_TTBCR_EAE | t0 | (t1 << 16);
}

static void init_values(void **state)
{
    (void)state;
    lpae_regs r;
    memset(&r, 0xA5, sizeof r);
    lpae_regs_init(&r);
    assert_int_equal(r.ttbcr, LPAE_TTBCR_EAE);
    assert_int_equal(r.ttbr0, 0);
    assert_int_equal(r.ttbr1, 0);
    assert_int_equal(r.mair0, 0xeeaa4400);
    assert_int_equal(r.mair1, 0xff000004);
    assert_int_equal(r.sctlr, LPAE_SCTLR_M);
    assert_int_equal(lpae_regs_check(&r), LPAE_OK);
    lpae_regs_init(NULL); /* harmless */
}

static void ttbcr_writes(void **state)
{
    (void)state;
    lpae_regs r;
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbcr(&r, 0x00000002), LPAE_EUNSUPP);
    assert_int_equal(r.ttbcr, LPAE_TTBCR_EAE);
    for (unsigned b = 0; b < 32; b++) {
        uint32_t v = LPAE_TTBCR_EAE | (UINT32_C(1) << b);
        int expect = (LPAE_TTBCR_RES0 >> b) & 1u ? LPAE_ERES0 : LPAE_OK;
        assert_int_equal(lpae_regs_set_ttbcr(&r, v), expect);
        assert_int_equal(r.ttbcr, expect == LPAE_OK ? v : LPAE_TTBCR_EAE);
        lpae_regs_init(&r);
    }
    /* the RES0 set is bits [6:3], [15:14], [21:19] */
    assert_int_equal(LPAE_TTBCR_RES0, 0x0038C078);
    /* Linux's SMP VMSPLIT_3G value and the PAN uaccess-disabled one */
    assert_int_equal(lpae_regs_set_ttbcr(&r, 0xB5023500), LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbcr(&r, 0xB5403587), LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbcr(NULL, LPAE_TTBCR_EAE), LPAE_EINVAL);
    assert_int_equal(lpae_regs_set_sctlr(NULL, 0), LPAE_EINVAL);
    assert_int_equal(lpae_regs_set_sctlr(&r, LPAE_SCTLR_WXN), LPAE_OK);
    assert_int_equal(r.sctlr, LPAE_SCTLR_WXN);
    assert_int_equal(lpae_regs_set_mair(&r, 0, 0x11223344), LPAE_OK);
    assert_int_equal(lpae_regs_set_mair(&r, 1, 0x55667788), LPAE_OK);
    assert_int_equal(r.mair0, 0x11223344);
    assert_int_equal(r.mair1, 0x55667788);
    assert_int_equal(lpae_regs_set_mair(&r, 2, 0), LPAE_EINVAL);
    assert_int_equal(lpae_regs_set_mair(NULL, 0, 0), LPAE_EINVAL);
}

static void ttbr_writes_check_res0_and_alignment(void **state)
{
    (void)state;
    for (unsigned which = 0; which < 2; which++) {
        for (unsigned tsz = 0; tsz < 8; tsz++) {
            lpae_regs r;
            lpae_regs_init(&r);
            assert_int_equal(lpae_regs_set_ttbcr(&r, which ? ttbcr_of(0, tsz) : ttbcr_of(tsz, 0)),
                             LPAE_OK);
            unsigned x = tsz > 1 ? 14 - tsz : 5 - tsz; /* DDI 0406C B4.1.154 */
            uint64_t ok = (UINT64_C(0x5A) << 48) | (UINT64_C(0xFF) << 32) | (UINT64_C(1) << x);
            assert_int_equal(lpae_regs_set_ttbr(&r, which, ok), LPAE_OK);
            assert_int_equal(which ? r.ttbr1 : r.ttbr0, ok);
            assert_int_equal(lpae_regs_ttbr_base(&r, which), ok & UINT64_C(0xFFFFFFFFFF));
            for (unsigned b = 0; b < x; b++) {
                uint64_t bad = ok | (UINT64_C(1) << b);
                assert_int_equal(lpae_regs_set_ttbr(&r, which, bad), LPAE_EALIGN);
                assert_int_equal(which ? r.ttbr1 : r.ttbr0, ok);
            }
            for (unsigned b = 40; b < 64; b++) {
                uint64_t v = UINT64_C(1) << b;
                int expect = (b >= 48 && b < 56) ? LPAE_OK : LPAE_ERES0;
                assert_int_equal(lpae_regs_set_ttbr(&r, which, v), expect);
            }
            /* lpae_regs_check() sees what a direct assignment did */
            if (which)
                r.ttbr1 = ok | 1u;
            else
                r.ttbr0 = ok | 1u;
            assert_int_equal(lpae_regs_check(&r), LPAE_EALIGN);
            /* ttbr_base ignores the misaligned low bits */
            assert_int_equal(lpae_regs_ttbr_base(&r, which), ok & UINT64_C(0xFFFFFFFFFF));
        }
    }
    lpae_regs r;
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbr(&r, 2, 0), LPAE_EINVAL);
    assert_int_equal(lpae_regs_set_ttbr(NULL, 0, 0), LPAE_EINVAL);
    assert_int_equal(lpae_regs_ttbr_base(&r, 2), 0);
    r.ttbr1 = UINT64_C(1) << 60;
    assert_int_equal(lpae_regs_check(&r), LPAE_ERES0);
    r.ttbr1 = 0;
    r.ttbcr = 0;
    assert_int_equal(lpae_regs_check(&r), LPAE_EUNSUPP);
    r.ttbcr = LPAE_TTBCR_EAE | (1u << 4);
    assert_int_equal(lpae_regs_check(&r), LPAE_ERES0);
    assert_int_equal(lpae_regs_check(NULL), LPAE_EINVAL);
    /* a TnSZ change does not re-check TTBRs; check() does */
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbr(&r, 0, 0x1000 | 0x20), LPAE_OK); /* x = 5 */
    assert_int_equal(lpae_regs_set_ttbcr(&r, ttbcr_of(2, 0)), LPAE_OK);  /* x = 12 */
    assert_int_equal(lpae_regs_check(&r), LPAE_EALIGN);
}

/* Expected selection written numerically (gem5's ttbr0_max/ttbr1_min form),
 * independent of the bit-field form in the library. */
static lpae_ttbr_sel expect_sel(unsigned t0, unsigned t1, uint32_t va, unsigned *tsz)
{
    uint64_t ttbr0_end = UINT64_C(1) << (32 - t0);
    uint64_t ttbr1_start = (UINT64_C(1) << 32) - (UINT64_C(1) << (32 - t1));
    *tsz = 0;
    if (t0 && va < ttbr0_end) {
        *tsz = t0;
        return LPAE_SEL_TTBR0;
    }
    if (t1 && va >= ttbr1_start) {
        *tsz = t1;
        return LPAE_SEL_TTBR1;
    }
    if (!t0)
        return LPAE_SEL_TTBR0;
    if (!t1)
        return LPAE_SEL_TTBR1;
    return LPAE_SEL_NONE;
}

static void region_all_64_pairs(void **state)
{
    (void)state;
    uint64_t seed = 64;
    for (unsigned t0 = 0; t0 < 8; t0++) {
        for (unsigned t1 = 0; t1 < 8; t1++) {
            lpae_regs r;
            lpae_regs_init(&r);
            assert_int_equal(lpae_regs_set_ttbcr(&r, ttbcr_of(t0, t1) | LPAE_TTBCR_EPD1), 0);
            uint32_t vas[64];
            unsigned n = 0;
            uint64_t e0 = UINT64_C(1) << (32 - t0);
            uint64_t s1 = (UINT64_C(1) << 32) - (UINT64_C(1) << (32 - t1));
            vas[n++] = 0;
            vas[n++] = UINT32_MAX;
            vas[n++] = (uint32_t)(e0 - 1);
            vas[n++] = (uint32_t)e0;
            vas[n++] = (uint32_t)(s1 - 1);
            vas[n++] = (uint32_t)s1;
            for (unsigned k = 1; k < 16; k++)
                vas[n++] = k << 28;
            while (n < 64)
                vas[n++] = (uint32_t)rng_next(&seed);
            unsigned seen[3] = {0, 0, 0};
            for (unsigned i = 0; i < n; i++) {
                unsigned tsz;
                lpae_ttbr_sel want = expect_sel(t0, t1, vas[i], &tsz);
                lpae_region reg;
                assert_int_equal(lpae_regs_region(&r, vas[i], &reg), LPAE_OK);
                assert_int_equal(reg.sel, want);
                seen[want]++;
                assert_true(vas[i] >= reg.base && vas[i] <= reg.last);
                /* every VA of [base, last] selects the same region */
                unsigned tb, tl;
                assert_int_equal(expect_sel(t0, t1, reg.base, &tb), want);
                assert_int_equal(expect_sel(t0, t1, reg.last, &tl), want);
                if (reg.base > 0)
                    assert_int_not_equal(expect_sel(t0, t1, reg.base - 1, &tb), want);
                if (reg.last < UINT32_MAX)
                    assert_int_not_equal(expect_sel(t0, t1, reg.last + 1, &tl), want);
                if (want == LPAE_SEL_NONE) {
                    assert_false(reg.epd);
                    continue;
                }
                assert_int_equal(reg.tsz, tsz);
                assert_int_equal(reg.start_level, tsz <= 1 ? 1 : 2);
                assert_int_equal(reg.baddr_shift, tsz <= 1 ? 5 - tsz : 14 - tsz);
                /* the root table indexes VA[31-TnSZ : start-level shift] */
                unsigned idx_bits = 32 - tsz - (reg.start_level == 1 ? 30 : 21);
                assert_int_equal(reg.root_entries, 1u << idx_bits);
                assert_int_equal(reg.root_entries * 8u, 1u << reg.baddr_shift);
                assert_int_equal(reg.epd, want == LPAE_SEL_TTBR1);
            }
            /* the gap exists exactly when both TnSZ are non-zero and the
             * regions do not meet */
            if (t0 && t1 && !(t0 == 1 && t1 == 1))
                assert_true(seen[LPAE_SEL_NONE] > 0);
            if (!t0 || !t1 || (t0 == 1 && t1 == 1)) {
                lpae_region reg;
                for (uint64_t va = 0; va < (UINT64_C(1) << 32); va += UINT64_C(1) << 24) {
                    lpae_regs_region(&r, (uint32_t)va, &reg);
                    assert_int_not_equal(reg.sel, LPAE_SEL_NONE);
                }
            }
        }
    }
    lpae_region reg;
    lpae_regs rr;
    lpae_regs_init(&rr);
    assert_int_equal(lpae_regs_region(NULL, 0, &reg), LPAE_EINVAL);
    assert_int_equal(lpae_regs_region(&rr, 0, NULL), LPAE_EINVAL);
}

static void named_splits(void **state)
{
    (void)state;
    lpae_regs r;
    lpae_region reg;
    lpae_regs_init(&r);
    /* VMSPLIT_3G: TTBR1 from 0xC0000000, level 2, 512 entries, 4 KB aligned */
    lpae_regs_set_ttbcr(&r, ttbcr_of(0, 2));
    lpae_regs_region(&r, 0xBFFFFFFF, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR0);
    assert_int_equal(reg.start_level, 1);
    assert_int_equal(reg.root_entries, 4);
    assert_int_equal(reg.last, 0xBFFFFFFF);
    lpae_regs_region(&r, 0xC0000000, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR1);
    assert_int_equal(reg.start_level, 2);
    assert_int_equal(reg.root_entries, 512);
    assert_int_equal(reg.baddr_shift, 12);
    /* VMSPLIT_1G: T0SZ = 2, TTBR1 by exclusion from 0x40000000 at level 1 */
    lpae_regs_set_ttbcr(&r, ttbcr_of(2, 0));
    lpae_regs_region(&r, 0x3FFFFFFF, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR0);
    assert_int_equal(reg.start_level, 2);
    lpae_regs_region(&r, 0x40000000, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR1);
    assert_int_equal(reg.start_level, 1);
    assert_int_equal(reg.base, 0x40000000);
    assert_int_equal(reg.last, 0xFFFFFFFF);
    /* VMSPLIT_4G_4G: TTBR1 = top 256 MB, level 2, 128 entries, 1 KB aligned */
    lpae_regs_set_ttbcr(&r, ttbcr_of(0, 4));
    lpae_regs_region(&r, 0xF0000000, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR1);
    assert_int_equal(reg.root_entries, 128);
    assert_int_equal(reg.baddr_shift, 10);
    lpae_regs_region(&r, 0xEFFFFFFF, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR0);
    assert_int_equal(reg.start_level, 1);
    assert_int_equal(reg.last, 0xEFFFFFFF);
    /* PAN's uaccess-off TTBCR: T0SZ = 7 and EPD0: TTBR0 is 32 MB, walks off */
    lpae_regs_set_ttbcr(&r, 0xB5403587);
    lpae_regs_region(&r, 0x01FFFFFF, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR0);
    assert_true(reg.epd);
    assert_int_equal(reg.root_entries, 16);
    lpae_regs_region(&r, 0x02000000, &reg);
    assert_int_equal(reg.sel, LPAE_SEL_TTBR1);
    assert_false(reg.epd);
    assert_int_equal(reg.base, 0x02000000);
}

static void asid_and_mair(void **state)
{
    (void)state;
    lpae_regs r;
    lpae_regs_init(&r);
    r.ttbr0 = UINT64_C(0x12) << 48;
    r.ttbr1 = UINT64_C(0xEF) << 48;
    assert_int_equal(lpae_regs_asid(&r), 0x12);
    r.ttbcr |= LPAE_TTBCR_A1;
    assert_int_equal(lpae_regs_asid(&r), 0xEF);
    assert_int_equal(lpae_regs_asid(NULL), 0);
    /* Linux: UNCACHED 0, BUFFERED 1, WT 2, WB 3, WBWA 7 */
    static const uint8_t want[8] = {0x00, 0x44, 0xaa, 0xee, 0x04, 0x00, 0x00, 0xff};
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(lpae_regs_mair_attr(&r, i), want[i]);
    assert_int_equal(lpae_regs_mair_attr(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_values),
        cmocka_unit_test(ttbcr_writes),
        cmocka_unit_test(ttbr_writes_check_res0_and_alignment),
        cmocka_unit_test(region_all_64_pairs),
        cmocka_unit_test(named_splits),
        cmocka_unit_test(asid_and_mair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
