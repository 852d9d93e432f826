/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/cost.h"
#include "lpae/err.h"

static const char *const expected_presets[] = {"cortex-a7", "cortex-a15", "cortex-a17",
                                               "cortex-a53", "cortex-a72"};

static void every_preset_is_complete_marked_and_consistent(void **state)
{
    (void)state;
    assert_int_equal(lpae_cost_preset_count(), 5);
    for (size_t i = 0; i < 5; i++) {
        lpae_cost *c = NULL;
        lpae_cost_error err;
        int rc = lpae_cost_preset(expected_presets[i], &c, &err);
        if (rc)
            fprintf(stderr, "%s:%u: %s\n", err.origin, err.line, err.msg);
        assert_int_equal(rc, LPAE_OK);
        assert_string_equal(lpae_cost_name(c), expected_presets[i]);
        for (int p = 0; p < LPAE_P_COUNT; p++) {
            char m = lpae_cost_mark(c, (lpae_param)p);
            assert_non_null(strchr("DMCE", m));
            assert_true(strlen(lpae_cost_source(c, (lpae_param)p)) > 2);
        }
        lpae_param bad = LPAE_P_COUNT;
        assert_int_equal(lpae_cost_check(c, &bad), LPAE_OK);
        lpae_cost_destroy(c);
    }
    assert_null(lpae_cost_preset_name(5));
}

static void preset_facts(void **state)
{
    (void)state;
    lpae_cost *a15, *a7, *a72, *a53;
    assert_int_equal(lpae_cost_preset("Cortex-A15", &a15, NULL), 0); /* case-insensitive */
    assert_int_equal(lpae_cost_preset("cortex-a7", &a7, NULL), 0);
    assert_int_equal(lpae_cost_preset("cortex-a72", &a72, NULL), 0);
    assert_int_equal(lpae_cost_preset("cortex-a53", &a53, NULL), 0);
    assert_int_equal(lpae_cost_get(a15, LPAE_P_UTLB_DL_SIZES), 1u << 12); /* 4 KB only */
    assert_int_equal(lpae_cost_get(a15, LPAE_P_UTLB_DS_ENTRIES), 32);
    assert_int_equal(lpae_cost_get(a15, LPAE_P_MTLB_LATENCY), 12);
    assert_int_equal(lpae_cost_mark(a15, LPAE_P_MTLB_LATENCY), 'M');
    assert_int_equal(lpae_cost_get(a15, LPAE_P_MTLB_ENTRIES), 512);
    assert_int_equal(lpae_cost_get(a7, LPAE_P_UTLB_FLUSH_TTBR), 1);
    assert_int_equal(lpae_cost_get(a7, LPAE_P_UTLB_FLUSH_TLBI), 1);
    assert_int_equal(lpae_cost_get(a15, LPAE_P_UTLB_FLUSH_TTBR), 0);
    assert_int_equal(lpae_cost_get(a7, LPAE_P_WALK_LEVEL), LPAE_MEM_L1D);
    assert_int_equal(lpae_cost_get(a72, LPAE_P_WALK_LEVEL), LPAE_MEM_L2);
    assert_false(lpae_cost_get(a53, LPAE_P_MTLB_SIZES) & (1u << 30)); /* no 1 GB entries */
    assert_true(lpae_cost_get(a53, LPAE_P_MTLB_SIZES) & (1u << 29));
    char buf[32];
    assert_int_equal(lpae_cost_format(a15, LPAE_P_MTLB_SIZES, buf, sizeof buf), 8);
    assert_string_equal(buf, "4K,2M,1G");
    lpae_cost_format(a15, LPAE_P_MTLB_REPL, buf, sizeof buf);
    assert_string_equal(buf, "lru");
    lpae_cost_format(a15, LPAE_P_WC_ASID_TAGGED, buf, sizeof buf);
    assert_string_equal(buf, "true");
    lpae_cost_destroy(a15);
    lpae_cost_destroy(a7);
    lpae_cost_destroy(a72);
    lpae_cost_destroy(a53);
}

static void preset_file_from_path_matches_builtin(void **state)
{
    (void)state;
    lpae_cost *file, *builtin;
    lpae_cost_error err;
    assert_int_equal(
        lpae_cost_load_preset_file(LPAE_SOURCE_DIR "/presets/cortex-a17.conf", &file, &err), 0);
    assert_int_equal(lpae_cost_preset("cortex-a17", &builtin, NULL), 0);
    assert_string_equal(lpae_cost_name(file), "cortex-a17");
    for (int p = 0; p < LPAE_P_COUNT; p++) {
        assert_int_equal(lpae_cost_get(file, (lpae_param)p), lpae_cost_get(builtin, (lpae_param)p));
        assert_int_equal(lpae_cost_mark(file, (lpae_param)p),
                         lpae_cost_mark(builtin, (lpae_param)p));
    }
    lpae_cost_destroy(file);
    lpae_cost_destroy(builtin);
    assert_int_equal(lpae_cost_load_preset_file("/nonexistent/x.conf", &file, &err), LPAE_EIO);
}

static void user_config_overrides(void **state)
{
    (void)state;
    lpae_cost *c;
    assert_int_equal(lpae_cost_preset("cortex-a15", &c, NULL), 0);
    const char *text = "# my board\n\n  mtlb.latency = 0x10\n"
                       "mtlb.repl=plru   # [M] my measurement\n"
                       "utlb.dl.sizes = 4k,2M\n"
                       "wc.asid_tagged = no\n";
    lpae_cost_error err;
    assert_int_equal(lpae_cost_load_text(c, text, strlen(text), "board.conf", &err), 0);
    assert_int_equal(lpae_cost_get(c, LPAE_P_MTLB_LATENCY), 16);
    assert_int_equal(lpae_cost_mark(c, LPAE_P_MTLB_LATENCY), 'U');
    assert_string_equal(lpae_cost_source(c, LPAE_P_MTLB_LATENCY), "board.conf:3");
    assert_int_equal(lpae_cost_get(c, LPAE_P_MTLB_REPL), LPAE_REPL_PLRU);
    assert_int_equal(lpae_cost_mark(c, LPAE_P_MTLB_REPL), 'M');
    assert_string_equal(lpae_cost_source(c, LPAE_P_MTLB_REPL), "my measurement");
    assert_int_equal(lpae_cost_get(c, LPAE_P_UTLB_DL_SIZES), (1u << 12) | (1u << 21));
    assert_int_equal(lpae_cost_get(c, LPAE_P_WC_ASID_TAGGED), 0);
    assert_int_equal(lpae_cost_get(c, LPAE_P_L2_LATENCY), 21); /* untouched */

    /* clone is deep */
    lpae_cost *d;
    assert_int_equal(lpae_cost_clone(c, &d), 0);
    assert_int_equal(lpae_cost_set(d, LPAE_P_L2_LATENCY, 99), 0);
    assert_int_equal(lpae_cost_get(c, LPAE_P_L2_LATENCY), 21);
    assert_int_equal(lpae_cost_get(d, LPAE_P_L2_LATENCY), 99);
    assert_int_equal(lpae_cost_mark(d, LPAE_P_L2_LATENCY), 'U');
    assert_int_equal(lpae_cost_set(d, LPAE_P_MTLB_REPL, 7), LPAE_EINVAL);
    assert_int_equal(lpae_cost_set(d, LPAE_P_COUNT, 1), LPAE_EINVAL);
    lpae_cost_destroy(d);
    lpae_cost_destroy(c);
}

struct bad_case {
    const char *text;
    unsigned line;
    const char *needle;
};

static void parse_errors_give_line_and_leave_object_unchanged(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"mtlb.latency 3\n", 1, "key = value"},
        {"\n\nnot.a.key = 3\n", 3, "not.a.key"},
        {"mtlb.latency = -1\n", 1, "unsigned"},
        {"mtlb.latency = 12x\n", 1, "unsigned"},
        {"mtlb.latency = 4294967296\n", 1, "unsigned"},
        {"mtlb.latency =\n", 1, "unsigned"},
        {"mtlb.repl = fifo\n", 1, "replacement"},
        {"walk.cache_level = l3\n", 1, "cache level"},
        {"mtlb.sizes = 4K,3M\n", 1, "page-size"},
        {"mtlb.sizes = 4K,\n", 1, "page-size"},
        {"wc.asid_tagged = maybe\n", 1, "boolean"},
        {"mtlb.latency = 1\nmtlb.latency = 2\n", 2, "line 1"},
        {"# x = 1 \nmtlb.latency # = 3\n", 2, "key = value"},
    };
    lpae_cost *c;
    assert_int_equal(lpae_cost_preset("cortex-a7", &c, NULL), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lpae_cost_error err;
        memset(&err, 0, sizeof err);
        int rc = lpae_cost_load_text(c, cases[i].text, strlen(cases[i].text), "u.conf", &err);
        assert_int_equal(rc, LPAE_EPARSE);
        assert_string_equal(err.origin, "u.conf");
        assert_int_equal(err.line, cases[i].line);
        if (!strstr(err.msg, cases[i].needle))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].needle);
        assert_int_equal(lpae_cost_get(c, LPAE_P_MTLB_LATENCY), 2);
        assert_int_equal(lpae_cost_mark(c, LPAE_P_MTLB_LATENCY), 'E');
    }
    /* a failing file after a good line changes nothing */
    const char *partial = "mtlb.latency = 7\nbogus\n";
    assert_int_equal(lpae_cost_load_text(c, partial, strlen(partial), "p", NULL), LPAE_EPARSE);
    assert_int_equal(lpae_cost_get(c, LPAE_P_MTLB_LATENCY), 2);
    assert_int_equal(lpae_cost_load_text(NULL, "", 0, "p", NULL), LPAE_EINVAL);
    lpae_cost_destroy(c);
}

static void preset_files_need_marks_and_all_keys(void **state)
{
    (void)state;
    char path[] = "/tmp/lpae_test_cost_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "mtlb.latency = 3  # [E] guess\nmtlb.ways = 4\n");
    fclose(f);
    lpae_cost *c = NULL;
    lpae_cost_error err;
    assert_int_equal(lpae_cost_load_preset_file(path, &c, &err), LPAE_EPARSE);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "[D|M|C|E]"));
    f = fopen(path, "w");
    fprintf(f, "mtlb.latency = 3  # [X] bad mark\n");
    fclose(f);
    assert_int_equal(lpae_cost_load_preset_file(path, &c, &err), LPAE_EPARSE);
    assert_int_equal(err.line, 1);
    f = fopen(path, "w");
    fprintf(f, "mtlb.latency = 3  # [E] guess\n");
    fclose(f);
    assert_int_equal(lpae_cost_load_preset_file(path, &c, &err), LPAE_EPARSE);
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.msg, "cpu.clock_mhz"));
    assert_null(c);
    remove(path);
    assert_int_equal(lpae_cost_preset("cortex-a99", &c, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_cost_preset(NULL, &c, NULL), LPAE_EINVAL);
}

static void check_rejects_bad_geometry(void **state)
{
    (void)state;
    lpae_cost *c;
    assert_int_equal(lpae_cost_preset("cortex-a15", &c, NULL), 0);
    lpae_param bad;
    lpae_cost_set(c, LPAE_P_MTLB_ENTRIES, 500); /* 125 sets: not a power of two */
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_EINVAL);
    assert_int_equal(bad, LPAE_P_MTLB_ENTRIES);
    lpae_cost_set(c, LPAE_P_MTLB_ENTRIES, 512);
    lpae_cost_set(c, LPAE_P_UTLB_I_ENTRIES, 48);
    lpae_cost_set(c, LPAE_P_UTLB_I_WAYS, 48);
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_OK); /* 48-way LRU is fine */
    lpae_cost_set(c, LPAE_P_UTLB_I_REPL, LPAE_REPL_PLRU);
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_EINVAL); /* PLRU needs 2^n ways */
    assert_int_equal(bad, LPAE_P_UTLB_I_REPL);
    lpae_cost_set(c, LPAE_P_UTLB_I_REPL, LPAE_REPL_RR);
    lpae_cost_set(c, LPAE_P_MTLB_SIZES, 1u << 21);
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_EINVAL);
    assert_int_equal(bad, LPAE_P_MTLB_SIZES);
    lpae_cost_set(c, LPAE_P_MTLB_SIZES, (1u << 21) | (1u << 12));
    lpae_cost_set(c, LPAE_P_L1D_SIZE, 3000);
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_EINVAL);
    assert_int_equal(bad, LPAE_P_L1D_SIZE);
    lpae_cost_set(c, LPAE_P_L1D_SIZE, 32768);
    lpae_cost_set(c, LPAE_P_L2_LINE, 48);
    assert_int_equal(lpae_cost_check(c, &bad), LPAE_EINVAL);
    assert_int_equal(bad, LPAE_P_L2_LINE);
    lpae_cost_destroy(c);
}

static void names_and_lookup(void **state)
{
    (void)state;
    assert_int_equal(lpae_param_find("tlbi.mva_is"), LPAE_P_TLBI_MVA_IS);
    assert_int_equal(lpae_param_find("nope"), LPAE_EINVAL);
    assert_int_equal(lpae_param_find(NULL), LPAE_EINVAL);
    for (int p = 0; p < LPAE_P_COUNT; p++) {
        const lpae_param_info *in = lpae_param_get_info((lpae_param)p);
        assert_non_null(in);
        assert_non_null(in->key);
        assert_int_equal(lpae_param_find(in->key), p);
        assert_true(in->type == LPAE_PT_CYCLES ? in->cat != LPAE_CAT_NONE
                                               : in->cat == LPAE_CAT_NONE);
    }
    assert_null(lpae_param_get_info(LPAE_P_COUNT));
    assert_string_equal(lpae_cat_name(LPAE_CAT_WALK_FETCH), "walk-fetch");
    assert_string_equal(lpae_repl_name(LPAE_REPL_RANDOM), "random");
    assert_string_equal(lpae_mem_level_name(LPAE_MEM_DRAM), "dram");
    assert_string_equal(lpae_mem_level_name(9), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_preset_is_complete_marked_and_consistent),
        cmocka_unit_test(preset_facts),
        cmocka_unit_test(preset_file_from_path_matches_builtin),
        cmocka_unit_test(user_config_overrides),
        cmocka_unit_test(parse_errors_give_line_and_leave_object_unchanged),
        cmocka_unit_test(preset_files_need_marks_and_all_keys),
        cmocka_unit_test(check_rejects_bad_geometry),
        cmocka_unit_test(names_and_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
