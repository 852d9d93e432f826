/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lpae/cache.h"
#include "lpae/err.h"

static lpae_cache *mk(uint32_t size, uint32_t ways, uint32_t line)
{
    lpae_cache_config cfg = {size, ways, line};
    lpae_cache *c = NULL;
    assert_int_equal(lpae_cache_create(&cfg, &c), LPAE_OK);
    return c;
}

static void hits_lines_and_lru(void **state)
{
    (void)state;
    /* 4 sets x 2 ways x 64 B */
    lpae_cache *c = mk(512, 2, 64);
    assert_int_equal(lpae_cache_line(c), 64);
    assert_false(lpae_cache_access(c, 0x1000));
    assert_true(lpae_cache_access(c, 0x103f));  /* same line */
    assert_false(lpae_cache_access(c, 0x1040)); /* next line, next set */
    /* set 0 lines: 0x1000, 0x1100, 0x1200 (stride 4 lines = 256 B) */
    assert_false(lpae_cache_access(c, 0x1100));
    assert_true(lpae_cache_access(c, 0x1000));  /* 0x1000 MRU, 0x1100 LRU */
    assert_false(lpae_cache_access(c, 0x1200)); /* evicts 0x1100 */
    assert_true(lpae_cache_probe(c, 0x1000));
    assert_false(lpae_cache_probe(c, 0x1100));
    assert_true(lpae_cache_probe(c, 0x1200));
    /* physically indexed: high PA bits (40-bit) are tags */
    assert_false(lpae_cache_access(c, UINT64_C(0xff00001000)));
    lpae_cache_stats st = lpae_cache_stats_get(c);
    assert_int_equal(st.accesses, 7);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 5);
    assert_int_equal(st.evictions, 2);
    lpae_cache_flush(c);
    assert_false(lpae_cache_probe(c, 0x1000));
    lpae_cache_destroy(c);
}

static void capacity_sweep(void **state)
{
    (void)state;
    lpae_cache *c = mk(32768, 4, 64);
    for (int pass = 0; pass < 2; pass++)
        for (uint64_t pa = 0; pa < 32768; pa += 64)
            assert_int_equal(lpae_cache_access(c, pa), pass == 1);
    /* one more line per set than fits: LRU thrashes a cyclic sweep */
    lpae_cache_flush(c);
    for (int pass = 0; pass < 3; pass++)
        for (uint64_t pa = 0; pa < 32768 + 8192; pa += 64)
            assert_false(lpae_cache_access(c, pa));
    lpae_cache_destroy(c);
}

static void bad_geometry(void **state)
{
    (void)state;
    lpae_cache *c = NULL;
    lpae_cache_config bad[] = {{0, 1, 64},   {512, 0, 64},  {512, 2, 48},
                               {768, 2, 64}, {512, 65, 64}, {64, 1, 4}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lpae_cache_create(&bad[i], &c), LPAE_EINVAL);
    assert_int_equal(lpae_cache_create(NULL, &c), LPAE_EINVAL);
    assert_null(c);
    assert_false(lpae_cache_access(NULL, 0));
    assert_int_equal(lpae_cache_stats_get(NULL).accesses, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hits_lines_and_lru),
        cmocka_unit_test(capacity_sweep),
        cmocka_unit_test(bad_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
