/* SPDX-License-Identifier: MIT */
/* Tests of the split presets (lpae/split.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/regs.h"
#include "lpae/split.h"

static void presets_as_linux_names_them(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned t0, t1;
        bool four_g;
        uint32_t page_offset, ttbr1_base;
    } want[] = {
        {"VMSPLIT_3G", 0, 2, false, 0xC0000000, 0xC0000000},
        {"VMSPLIT_2G", 0, 1, false, 0x80000000, 0x80000000},
        {"VMSPLIT_1G", 2, 0, false, 0x40000000, 0x40000000},
        {"VMSPLIT_4G_4G", 0, 4, true, 0x00000000, 0xF0000000},
    };
    assert_int_equal(lpae_split_preset_count(), 4);
    for (size_t i = 0; i < 4; i++) {
        lpae_split s;
        assert_int_equal(lpae_split_preset(i, &s), LPAE_OK);
        assert_string_equal(s.name, want[i].name);
        assert_int_equal(s.t0sz, want[i].t0);
        assert_int_equal(s.t1sz, want[i].t1);
        assert_int_equal(s.four_g, want[i].four_g);
        assert_int_equal(s.page_offset, want[i].page_offset);
        assert_int_equal(s.ttbr1_base, want[i].ttbr1_base);
        /* ttbr1_base is where region selection switches to TTBR1 */
        lpae_regs r;
        lpae_regs_init(&r);
        assert_int_equal(lpae_regs_set_ttbcr(&r, lpae_split_ttbcr(&s, 0)), LPAE_OK);
        lpae_region reg;
        lpae_regs_region(&r, s.ttbr1_base, &reg);
        assert_int_equal(reg.sel, LPAE_SEL_TTBR1);
        lpae_regs_region(&r, s.ttbr1_base - 1, &reg);
        assert_int_equal(reg.sel, LPAE_SEL_TTBR0);
        /* lowmem's linear map: in TTBR1 for the classic splits, in TTBR0
         * (under the kernel ASID) for 4G/4G */
        lpae_regs_region(&r, s.page_offset, &reg);
        assert_int_equal(reg.sel, s.four_g ? LPAE_SEL_TTBR0 : LPAE_SEL_TTBR1);
    }
    lpae_split s;
    assert_int_equal(lpae_split_preset(4, &s), LPAE_EINVAL);
    assert_int_equal(lpae_split_preset(0, NULL), LPAE_EINVAL);
}

static void find_by_name(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"VMSPLIT_3G", "VMSPLIT_3G"},
        {"vmsplit_3g", "VMSPLIT_3G"},
        {"3G", "VMSPLIT_3G"},
        {"2g", "VMSPLIT_2G"},
        {"VMSPLIT_1G", "VMSPLIT_1G"},
        {"4G_4G", "VMSPLIT_4G_4G"},
        {"4g4g", "VMSPLIT_4G_4G"},
        {"VMSPLIT_4G_4G", "VMSPLIT_4G_4G"},
        {"vmsplit_4g4g", "VMSPLIT_4G_4G"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        lpae_split s;
        assert_int_equal(lpae_split_find(ok[i][0], &s), LPAE_OK);
        assert_string_equal(s.name, ok[i][1]);
    }
    lpae_split s;
    assert_int_equal(lpae_split_find("VMSPLIT_3G_OPT", &s), LPAE_EINVAL);
    assert_int_equal(lpae_split_find("5G", &s), LPAE_EINVAL);
    assert_int_equal(lpae_split_find("", &s), LPAE_EINVAL);
    assert_int_equal(lpae_split_find(NULL, &s), LPAE_EINVAL);
    assert_int_equal(lpae_split_find("3G", NULL), LPAE_EINVAL);
    char longname[200];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(lpae_split_find(longname, &s), LPAE_EINVAL);
}

static void custom_pairs(void **state)
{
    (void)state;
    for (unsigned t0 = 0; t0 < 8; t0++) {
        for (unsigned t1 = 0; t1 < 8; t1++) {
            char name[40];
            lpae_split s;
            snprintf(name, sizeof name, "t0sz=%u,t1sz=%u", t0, t1);
            assert_int_equal(lpae_split_find(name, &s), LPAE_OK);
            assert_string_equal(s.name, name);
            assert_int_equal(s.t0sz, t0);
            assert_int_equal(s.t1sz, t1);
            assert_false(s.four_g);
            snprintf(name, sizeof name, "T1SZ=%u,T0SZ=%u", t1, t0);
            lpae_split s2;
            assert_int_equal(lpae_split_find(name, &s2), LPAE_OK);
            assert_memory_equal(&s, &s2, sizeof s);
            uint32_t ttbcr = lpae_split_ttbcr(&s, 0x3500);
            assert_int_equal(ttbcr, LPAE_TTBCR_EAE | t0 | (t1 << 16) | 0x3500);
            /* ttbr1_base is the lowest VA that selects TTBR1, 0 if none */
            lpae_regs r;
            lpae_regs_init(&r);
            assert_int_equal(lpae_regs_set_ttbcr(&r, ttbcr), LPAE_OK);
            lpae_region reg;
            lpae_regs_region(&r, 0xFFFFFFFF, &reg);
            if (reg.sel != LPAE_SEL_TTBR1) {
                assert_int_equal(s.ttbr1_base, 0);
                assert_int_equal(s.page_offset, 0xC0000000);
            } else {
                assert_int_equal(s.ttbr1_base, reg.base);
                assert_int_equal(s.page_offset, reg.base);
            }
        }
    }
    lpae_split s;
    assert_int_equal(lpae_split_find("t0sz=8,t1sz=0", &s), LPAE_ERANGE);
    assert_int_equal(lpae_split_find("t0sz=0,t1sz=12345", &s), LPAE_ERANGE);
    assert_int_equal(lpae_split_find("t0sz=0", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t0sz=0,t0sz=1", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t0sz=0;t1sz=1", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t0sz=,t1sz=1", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t0sz=1,t1sz=1 ", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t0sz=x,t1sz=1", &s), LPAE_EPARSE);
    assert_int_equal(lpae_split_find("t2sz=1,t1sz=1", &s), LPAE_EINVAL);
    /* flags cannot override TnSZ */
    lpae_split_find("3G", &s);
    assert_int_equal(lpae_split_ttbcr(&s, 0x70007), LPAE_TTBCR_EAE | (2u << 16));
    assert_int_equal(lpae_split_ttbcr(NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(presets_as_linux_names_them),
        cmocka_unit_test(find_by_name),
        cmocka_unit_test(custom_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
