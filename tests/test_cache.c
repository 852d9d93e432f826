/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "lpae/cache.h"
#include "lpae/err.h"
#include "cache/cache_impl.h"

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

/* ---- reference: the straightforward stamp-per-way LRU ------------------------ */

/* Each way holds a line number (pa / line) or nothing, and the time it was
 * last used. A hit refreshes the stamp; a miss fills the lowest empty way,
 * else evicts the way with the smallest stamp. Flush empties every way and
 * leaves the stamps as they were (as the previous implementation did). */
typedef struct ref_cache {
    uint32_t sets, ways, line;
    uint64_t *ln;
    bool *valid;
    uint64_t *stamp;
    uint64_t clock;
    lpae_cache_stats st;
} ref_cache;

static void ref_init(ref_cache *r, uint32_t size, uint32_t ways, uint32_t line)
{
    r->line = line;
    r->ways = ways;
    r->sets = size / (ways * line);
    size_t n = (size_t)r->sets * ways;
    r->ln = calloc(n, sizeof *r->ln);
    r->valid = calloc(n, sizeof *r->valid);
    r->stamp = calloc(n, sizeof *r->stamp);
    assert_non_null(r->ln);
    assert_non_null(r->valid);
    assert_non_null(r->stamp);
    r->clock = 0;
    r->st = (lpae_cache_stats){0};
}

static void ref_free(ref_cache *r)
{
    free(r->ln);
    free(r->valid);
    free(r->stamp);
}

/* Returns 1 on a hit, 0 on a miss that filled an empty way, 2 on a miss
 * that evicted. */
static int ref_access(ref_cache *r, uint64_t pa)
{
    uint64_t ln = pa / r->line;
    size_t base = (size_t)(ln % r->sets) * r->ways;
    r->st.accesses++;
    for (uint32_t w = 0; w < r->ways; w++)
        if (r->valid[base + w] && r->ln[base + w] == ln) {
            r->stamp[base + w] = ++r->clock;
            r->st.hits++;
            return 1;
        }
    r->st.misses++;
    uint32_t way = r->ways;
    for (uint32_t w = 0; w < r->ways && way == r->ways; w++)
        if (!r->valid[base + w])
            way = w;
    int res = 0;
    if (way == r->ways) {
        way = 0;
        for (uint32_t w = 1; w < r->ways; w++)
            if (r->stamp[base + w] < r->stamp[base + way])
                way = w;
        r->st.evictions++;
        res = 2;
    }
    r->valid[base + way] = true;
    r->ln[base + way] = ln;
    r->stamp[base + way] = ++r->clock;
    return res;
}

static bool ref_probe(const ref_cache *r, uint64_t pa)
{
    uint64_t ln = pa / r->line;
    size_t base = (size_t)(ln % r->sets) * r->ways;
    for (uint32_t w = 0; w < r->ways; w++)
        if (r->valid[base + w] && r->ln[base + w] == ln)
            return true;
    return false;
}

static void ref_flush(ref_cache *r)
{
    for (size_t i = 0; i < (size_t)r->sets * r->ways; i++)
        r->valid[i] = false;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Random fixed-seed streams over several geometries: every access (through
 * lpae_cache_access and cache_access_fast in turn) gives the same
 * hit/miss/eviction as the reference, probes agree, counters agree,
 * with flushes and counter resets in between. */
static void matches_stamp_lru_reference(void **state)
{
    (void)state;
    static const lpae_cache_config geo[] = {
        {64, 1, 64},        /* one line */
        {4096, 1, 64},      /* direct-mapped */
        {512, 2, 64},       /* 4 sets x 2 ways */
        {32768, 2, 64},     /* Cortex-A15 L1D */
        {16384, 16, 64},    /* 16 sets x 16 ways */
        {1048576, 16, 64},  /* Cortex-A15 L2 */
        {4096, 64, 64},     /* fully associative, 64 ways */
        {2560, 5, 64},      /* 8 sets x 5 ways: smallest permutation layout */
        {12288, 12, 64},    /* 16 sets x 12 ways */
        {1024, 16, 64},     /* one set of 16 ways */
        {8192, 4, 64},      /* 4 ways: largest recency layout below */
        {17408, 17, 64},    /* 16 sets x 17 ways: smallest recency layout above */
        {32768, 32, 32},    /* 32 ways */
        {65536, 64, 32},    /* 32 sets x 64 ways */
        {256, 4, 8},        /* smallest line */
        {1 << 20, 8, 4096}, /* largest line */
    };
    uint64_t seed = UINT64_C(0x2545F4914F6CDD1D);
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        lpae_cache *c = mk(geo[g].size, geo[g].ways, geo[g].line);
        ref_cache r;
        ref_init(&r, geo[g].size, geo[g].ways, geo[g].line);
        uint64_t lines = geo[g].size / geo[g].line;
        int seen[3] = {0, 0, 0};
        for (int round = 0; round < 6; round++) {
            /* footprints below, at and above capacity; a hot subset */
            uint64_t span = lines * (uint64_t)(1 + round % 3) / 2 + 1;
            for (int i = 0; i < 20000; i++) {
                uint64_t x = xorshift(&seed);
                uint64_t l = (x & 3) == 0 ? (x >> 8) % (span / 4 + 1) : (x >> 8) % span;
                /* spread lines over the 40-bit PA space, same set pattern */
                uint64_t pa = (l * geo[g].line + ((x >> 40) % geo[g].line)) ^
                              ((x & 0x10) ? (uint64_t)((x >> 2) & 0xff) << 32 : 0);
                pa &= (UINT64_C(1) << 40) - 1;
                lpae_cache_stats before = lpae_cache_stats_get(c);
                int want = ref_access(&r, pa);
                /* the public access and the machine's inline ones (with and
                 * without the MRU-hit test) take turns */
                bool hit = i % 3 == 0   ? lpae_cache_access(c, pa)
                           : i % 3 == 1 ? cache_access_fast(c, pa)
                                        : cache_access_fast_t(c, pa, false);
                lpae_cache_stats after = lpae_cache_stats_get(c);
                assert_int_equal(hit, want == 1);
                assert_int_equal(after.evictions - before.evictions, want == 2);
                seen[want]++;
                uint64_t q = (xorshift(&seed) >> 8) % span * geo[g].line;
                assert_int_equal(lpae_cache_probe(c, q), ref_probe(&r, q));
            }
            lpae_cache_stats a = lpae_cache_stats_get(c);
            assert_int_equal(a.accesses, r.st.accesses);
            assert_int_equal(a.hits, r.st.hits);
            assert_int_equal(a.misses, r.st.misses);
            assert_int_equal(a.evictions, r.st.evictions);
            if (round % 2 == 1) {
                lpae_cache_flush(c);
                ref_flush(&r);
                assert_false(lpae_cache_probe(c, 0));
            }
            if (round == 3) {
                lpae_cache_stats_reset(c);
                r.st = (lpae_cache_stats){0};
            }
        }
        /* the stream exercised hits, fills and evictions */
        assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
        ref_free(&r);
        lpae_cache_destroy(c);
    }
}

/* cache_lines() (the machine's run of consecutive lines through L1 then L2)
 * against per-line reference accesses: the same split of the lines by the
 * level that served them and the same counters in both caches, for L1
 * layouts with 1, 2 (unrolled), 4 and 8 ways, L2s reached by each inline
 * kind (16-way and 8-way permutation, recency), L1/L2 line sizes that
 * differ either way, and L2s of fewer sets than the L1. */
static void lines_run_matches_reference(void **state)
{
    (void)state;
    static const lpae_cache_config l1g[] = {
        {4096, 1, 64}, {32768, 2, 64}, {1024, 2, 32}, {8192, 4, 64}, {16384, 8, 64}};
    static const lpae_cache_config l2g[] = {{262144, 16, 64},
                                            {65536, 8, 128},
                                            {32768, 2, 64},
                                            {131072, 32, 64},
                                            {65536, 16, 128},
                                            {16384, 16, 32},
                                            {16384, 4, 128},
                                            {65536, 8, 64},
                                            /* fewer sets than the 4-way L1 (its run's
                                               segments end where the L2 wraps) */
                                            {8192, 8, 64},
                                            {16384, 16, 64}};
    uint64_t seed = 99;
    for (size_t i = 0; i < sizeof l1g / sizeof l1g[0]; i++)
        for (size_t j = 0; j < sizeof l2g / sizeof l2g[0]; j++) {
            lpae_cache *c1 = mk(l1g[i].size, l1g[i].ways, l1g[i].line);
            lpae_cache *c2 = mk(l2g[j].size, l2g[j].ways, l2g[j].line);
            ref_cache r1, r2;
            ref_init(&r1, l1g[i].size, l1g[i].ways, l1g[i].line);
            ref_init(&r2, l2g[j].size, l2g[j].ways, l2g[j].line);
            uint64_t span = (uint64_t)l2g[j].size * 3;
            for (int it = 0; it < 3000; it++) {
                uint64_t line = l1g[i].line;
                uint64_t pa = (xorshift(&seed) % span) & ~(line - 1);
                if (xorshift(&seed) & 1)
                    pa |= (xorshift(&seed) & 0xff) << 32;
                uint64_t count = 1 + xorshift(&seed) % (xorshift(&seed) % 4 ? 4 : 200);
                uint64_t n[3] = {1, 2, 3}, want[3] = {1, 2, 3}; /* added to */
                cache_lines(c1, c2, pa, count, n);
                for (uint64_t k = 0; k < count; k++) {
                    uint64_t a = pa + k * line;
                    if (ref_access(&r1, a) == 1)
                        want[0]++;
                    else if (ref_access(&r2, a) == 1)
                        want[1]++;
                    else
                        want[2]++;
                }
                assert_memory_equal(n, want, sizeof n);
                if (it % 500 == 499) {
                    lpae_cache_flush(c1);
                    ref_flush(&r1);
                }
            }
            lpae_cache_stats a1 = lpae_cache_stats_get(c1), a2 = lpae_cache_stats_get(c2);
            assert_memory_equal(&a1, &r1.st, sizeof a1);
            assert_memory_equal(&a2, &r2.st, sizeof a2);
            assert_true(a1.hits > 0 && a1.evictions > 0 && a2.hits > 0 && a2.misses > 0);
            ref_free(&r1);
            ref_free(&r2);
            lpae_cache_destroy(c1);
            lpae_cache_destroy(c2);
        }
}

/* sig_match() (the 16-byte hash compare of the permutation layout) and its
 * portable version against a plain byte loop, on random signatures with
 * forced matches. */
static void sig_match_matches_loop(void **state)
{
    (void)state;
    uint64_t seed = 7;
    int hits = 0;
    for (int it = 0; it < 20000; it++) {
        uint8_t sig[16];
        unsigned h = (unsigned)(xorshift(&seed) & 0xff);
        for (int i = 0; i < 16; i++) {
            uint64_t x = xorshift(&seed);
            sig[i] = (x & 7) == 0 ? (uint8_t)h : (uint8_t)(x >> 8);
        }
        if (it % 7 == 0) /* neighbours of h and its complement */
            sig[it % 16] = (uint8_t)(h ^ (1u << (it % 8))), sig[(it + 1) % 16] = (uint8_t)~h;
        unsigned want = 0;
        for (unsigned i = 0; i < 16; i++)
            want |= (unsigned)(sig[i] == h) << i;
        assert_int_equal(sig_match(sig, h * 0x01010101u), want);
        assert_int_equal(sig_match_swar(sig, h * 0x01010101u), want);
        hits += want != 0;
    }
    assert_true(hits > 1000);
}

/* Permutation-layout sets whose lines all share one 8-bit hash (every
 * candidate of the compare is false but one): random streams over such
 * lines of one set, and a few others, against the reference. */
static void colliding_hashes_match_reference(void **state)
{
    (void)state;
    static const lpae_cache_config geo[] = {
        {16384, 16, 64}, {1048576, 16, 64}, {2560, 5, 64}, {12288, 12, 64}};
    uint64_t seed = 12345;
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        lpae_cache *c = mk(geo[g].size, geo[g].ways, geo[g].line);
        ref_cache r;
        ref_init(&r, geo[g].size, geo[g].ways, geo[g].line);
        uint64_t sets = geo[g].size / ((uint64_t)geo[g].ways * geo[g].line);
        uint64_t ln[48];
        size_t k = 0;
        uint32_t want_h = line_key(3 * sets);
        for (uint64_t t = 1; k < 40; t++) /* lines of set 0 with hash want_h */
            if (line_key(t * sets) == want_h)
                ln[k++] = t * sets;
        for (; k < 48; k++) /* and a few of the same set with other hashes */
            ln[k] = (xorshift(&seed) % 100000 + 1) * sets;
        int seen[3] = {0, 0, 0};
        for (int i = 0; i < 30000; i++) {
            uint64_t x = xorshift(&seed);
            size_t span = (x & 3) ? 1 + geo[g].ways + (x >> 8) % 4 : 48;
            uint64_t pa = ln[(x >> 16) % span] * geo[g].line;
            lpae_cache_stats before = lpae_cache_stats_get(c);
            int want = ref_access(&r, pa);
            bool hit = i % 3 == 0   ? lpae_cache_access(c, pa)
                       : i % 3 == 1 ? cache_access_fast(c, pa)
                                    : cache_access_fast_t(c, pa, false);
            lpae_cache_stats after = lpae_cache_stats_get(c);
            assert_int_equal(hit, want == 1);
            assert_int_equal(after.evictions - before.evictions, want == 2);
            seen[want]++;
            if (i == 15000) {
                lpae_cache_flush(c);
                ref_flush(&r);
            }
        }
        lpae_cache_stats a = lpae_cache_stats_get(c);
        assert_memory_equal(&a, &r.st, sizeof a);
        assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
        ref_free(&r);
        lpae_cache_destroy(c);
    }
}

/* line_key()'s spread (a speed property, not a result): the lines of one
 * set in 16 consecutive tags (pages near each other) get 16 different
 * hash bytes for every set count from 256 to 8192, whatever the set. */
static void line_key_spreads_near_tags(void **state)
{
    (void)state;
    uint64_t seed = 77;
    for (unsigned b = 8; b <= 13; b++)
        for (int it = 0; it < 200; it++) {
            uint64_t x = xorshift(&seed);
            uint64_t set = x & ((UINT64_C(1) << b) - 1), k0 = (x >> 32) & 0xffff;
            unsigned seen[256] = {0};
            for (uint64_t k = k0; k < k0 + 16; k++) {
                uint32_t key = line_key(set + (k << b));
                assert_int_equal(key, (key & 0xffu) * UINT32_C(0x01010101));
                assert_int_equal(seen[key & 0xffu]++, 0);
            }
        }
}

/* cache_warm() (no empty way left, which lets line runs skip the empty-way
 * test) against the reference's count of valid ways, through random
 * accesses, line runs, flushes and counter resets. */
static void warm_matches_reference(void **state)
{
    (void)state;
    static const lpae_cache_config geo[] = {
        {512, 2, 64}, {16384, 16, 64}, {2560, 5, 64}, {8192, 4, 64}};
    uint64_t seed = 4242;
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        lpae_cache *c = mk(geo[g].size, geo[g].ways, geo[g].line);
        lpae_cache *l1 = mk(1024, 2, geo[g].line); /* for runs through c as L2 */
        ref_cache r, r1;
        ref_init(&r, geo[g].size, geo[g].ways, geo[g].line);
        ref_init(&r1, 1024, 2, geo[g].line);
        size_t nways = (size_t)r.sets * r.ways;
        int warm_seen = 0, cold_seen = 0;
        for (int i = 0; i < 6000; i++) {
            uint64_t x = xorshift(&seed);
            uint64_t lines = geo[g].size / geo[g].line;
            uint64_t pa = (x >> 8) % (lines * 2) * geo[g].line;
            if (x % 97 == 0) {
                lpae_cache_flush(c);
                ref_flush(&r);
            } else if (x % 89 == 0) {
                lpae_cache_stats_reset(c);
            } else if (x % 7 == 0) { /* a run through l1, then c */
                uint64_t n[3] = {0, 0, 0}, count = 1 + (x >> 40) % 20;
                cache_lines(l1, c, pa, count, n);
                for (uint64_t k = 0; k < count; k++)
                    if (ref_access(&r1, pa + k * geo[g].line) != 1)
                        ref_access(&r, pa + k * geo[g].line);
            } else {
                lpae_cache_access(c, pa);
                ref_access(&r, pa);
            }
            size_t valid = 0;
            for (size_t k = 0; k < nways; k++)
                valid += r.valid[k];
            assert_int_equal(cache_warm(c), valid == nways);
            warm_seen += valid == nways;
            cold_seen += valid != nways;
        }
        assert_true(warm_seen > 100 && cold_seen > 100);
        ref_free(&r);
        ref_free(&r1);
        lpae_cache_destroy(c);
        lpae_cache_destroy(l1);
    }
}

/* pos_touch() and pos_lru() (a hit's or fill's move of a way to the MRU
 * end of the recency places, the LRU way) against a plain array of ways in
 * recency order, on random permutations of 5 to 16 ways and every way of
 * each, and pos_fill() (a miss's fill of the LRU way) against the same move
 * of that way; pos_shift_swar() (the portable step) against the same move. */
static void pos_touch_matches_move(void **state)
{
    (void)state;
    uint64_t seed = 31337;
    for (int it = 0; it < 4000; it++) {
        unsigned ways = 5 + (unsigned)(xorshift(&seed) % 12);
        unsigned perm[16]; /* perm[i]: the way at place i */
        for (unsigned i = 0; i < ways; i++)
            perm[i] = i;
        for (unsigned i = ways - 1; i > 0; i--) { /* Fisher-Yates */
            unsigned j = (unsigned)(xorshift(&seed) % (i + 1));
            unsigned t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        uint8_t pos[16];
        memset(pos, POS_NONE, sizeof pos);
        for (unsigned i = 0; i < ways; i++)
            pos[perm[i]] = (uint8_t)i;
        assert_int_equal(pos_lru(pos, ways - 1), perm[ways - 1]);
        { /* a fill moves the LRU way */
            uint8_t fill[16], want[16];
            memcpy(fill, pos, sizeof fill);
            memset(want, POS_NONE, sizeof want);
            want[perm[ways - 1]] = 0;
            for (unsigned i = 0; i + 1 < ways; i++)
                want[perm[i]] = (uint8_t)(i + 1);
            assert_int_equal(pos_fill(fill, ways - 1), perm[ways - 1]);
            assert_memory_equal(fill, want, sizeof want);
            if (ways == 16) { /* the constant-geometry form */
                memcpy(fill, pos, sizeof fill);
                assert_int_equal(pos_fill(fill, 15u), perm[15]);
                assert_memory_equal(fill, want, sizeof want);
            }
        }
        for (unsigned w = 0; w < ways; w++) {
            unsigned moved[16], k = 1;
            moved[0] = w;
            for (unsigned i = 0; i < ways; i++)
                if (perm[i] != w)
                    moved[k++] = perm[i];
            uint8_t want[16];
            memset(want, POS_NONE, sizeof want);
            for (unsigned i = 0; i < ways; i++)
                want[moved[i]] = (uint8_t)i;
            uint8_t got[16], swar[16];
            memcpy(got, pos, sizeof got);
            pos_touch(got, w, pos[w]);
            assert_memory_equal(got, want, sizeof want);
            memcpy(swar, pos, sizeof swar);
            pos_shift_swar(swar, pos[w]);
            swar[w] = 0;
            assert_memory_equal(swar, want, sizeof want);
        }
    }
}

/* A single-line path of a cache pair under test. */
typedef unsigned (*line_fn)(lpae_cache *c1, lpae_cache *c2, uint64_t ln);

static unsigned line_p16(lpae_cache *c1, lpae_cache *c2, uint64_t ln)
{
    return cache_line_p16(c1, c2, ln);
}

static unsigned line_rec2_perm8(lpae_cache *c1, lpae_cache *c2, uint64_t ln)
{
    return cache_line_k(c1, c2, ln, CACHE_FAST_REC2, CACHE_FAST_PERM8);
}

static unsigned line_rec4_perm8(lpae_cache *c1, lpae_cache *c2, uint64_t ln)
{
    return cache_line_k(c1, c2, ln, CACHE_FAST_REC4, CACHE_FAST_PERM8);
}

static unsigned line_rec4_perm16(lpae_cache *c1, lpae_cache *c2, uint64_t ln)
{
    return cache_line_k(c1, c2, ln, CACHE_FAST_REC4, CACHE_FAST_PERM16);
}

/* 20000 fixed-seed (@p seed) bursts of 1-4 consecutive lines, from 3 times
 * the L2's size and far beyond, through @p line on the pair @p c1 (@p s1
 * bytes, @p w1 ways) / @p c2 (@p s2, @p w2; 64-byte lines) against
 * per-line reference accesses, with flushes of the L1 and counter resets
 * of the L2 mixed in: the same serving level for every line; then the same
 * counters in both caches, lines served by every level, L2 evictions, and
 * the same lines held. */
static void line_stream_matches(lpae_cache *c1, lpae_cache *c2, uint32_t s1, uint32_t w1,
                                uint32_t s2, uint32_t w2, line_fn line, uint64_t *seed)
{
    ref_cache r1, r2;
    ref_init(&r1, s1, w1, 64);
    ref_init(&r2, s2, w2, 64);
    unsigned seen[3] = {0, 0, 0};
    for (int it = 0; it < 20000; it++) {
        uint64_t x = xorshift(seed);
        uint64_t ln = (x >> 8) % ((uint64_t)s2 / 64 * 3);
        if (x & 1)
            ln |= (x >> 40 & 0xff) << 26;
        if (x % 211 == 0) {
            lpae_cache_flush(c1);
            ref_flush(&r1);
        } else if (x % 223 == 0) {
            lpae_cache_stats_reset(c2);
            r2.st = (lpae_cache_stats){0};
        }
        for (uint64_t k = 0, count = 1 + (x >> 20) % 4; k < count; k++) {
            unsigned lvl = line(c1, c2, ln + k);
            unsigned want = ref_access(&r1, (ln + k) * 64) == 1   ? 0u
                            : ref_access(&r2, (ln + k) * 64) == 1 ? 1u
                                                                  : 2u;
            assert_int_equal(lvl, want);
            seen[lvl]++;
        }
    }
    lpae_cache_stats a1 = lpae_cache_stats_get(c1), a2 = lpae_cache_stats_get(c2);
    assert_memory_equal(&a1, &r1.st, sizeof a1);
    assert_memory_equal(&a2, &r2.st, sizeof a2);
    assert_true(seen[0] > 100 && seen[1] > 100 && seen[2] > 100 && a2.evictions > 0);
    for (uint64_t q = 0; q < (uint64_t)s2 * 3; q += 64) {
        assert_int_equal(lpae_cache_probe(c1, q), ref_probe(&r1, q));
        assert_int_equal(lpae_cache_probe(c2, q), ref_probe(&r2, q));
    }
    ref_free(&r1);
    ref_free(&r2);
}

/* cache_line_p16() (a short run's line through a 2-way L1 and a 16-way L2
 * of one line size) against per-line reference accesses: the same serving
 * level for every line and the same counters in both caches, with runs
 * that start anywhere (both tag arrays wrap), flushes and counter resets;
 * cache_pair_p16() accepts that pair only. */
static void line_p16_matches_reference(void **state)
{
    (void)state;
    static const uint32_t l1size[] = {1024, 32768}, l2size[] = {16384, 262144};
    uint64_t seed = 2718;
    for (size_t g = 0; g < 2; g++) {
        lpae_cache *c1 = mk(l1size[g], 2, 64), *c2 = mk(l2size[g], 16, 64);
        lpae_cache *o1 = mk(l1size[g], 4, 64), *o2 = mk(l2size[g], 16, 128);
        assert_true(cache_pair_p16(c1, c2));
        assert_false(cache_pair_p16(o1, c2));
        assert_false(cache_pair_p16(c1, o2));
        assert_false(cache_pair_p16(c2, c1));
        line_stream_matches(c1, c2, l1size[g], 2, l2size[g], 16, line_p16, &seed);
        lpae_cache_destroy(c1);
        lpae_cache_destroy(c2);
        lpae_cache_destroy(o1);
        lpae_cache_destroy(o2);
    }
}

/* lines_p16_warm() (a warm cache_pair_p16() pair's run that wraps neither
 * tag array, through p16_warm_segment()) against per-line reference
 * accesses: where it declines (a cold cache after a flush, a run that
 * wraps either array) cache_lines() serves the run; the split of every
 * run by serving level and the counters of both caches agree, across
 * flushes and counter resets, and both ways were taken. */
static void warm_run_matches_reference(void **state)
{
    (void)state;
    static const uint32_t l1size[] = {1024, 32768}, l2size[] = {16384, 262144};
    uint64_t seed = 31337;
    for (size_t g = 0; g < 2; g++) {
        lpae_cache *c1 = mk(l1size[g], 2, 64), *c2 = mk(l2size[g], 16, 64);
        ref_cache r1, r2;
        ref_init(&r1, l1size[g], 2, 64);
        ref_init(&r2, l2size[g], 16, 64);
        const uint64_t lines2 = (uint64_t)l2size[g] / 64, sets1 = (uint64_t)l1size[g] / 128;
        unsigned taken = 0, declined = 0, seen[3] = {0, 0, 0};
        for (int it = 0; it < 6000; it++) {
            uint64_t x = xorshift(&seed);
            uint64_t ln = (x >> 8) % (lines2 * 3);
            if (x & 1)
                ln |= (x >> 40 & 0xff) << 26;
            if (x % 401 == 0) {
                lpae_cache_flush(c1);
                ref_flush(&r1);
                lpae_cache_flush(c2);
                ref_flush(&r2);
            } else if (x % 223 == 0) {
                lpae_cache_stats_reset(c2);
                r2.st = (lpae_cache_stats){0};
            }
            /* mostly page-sized runs, some that wrap, some long ones to warm up */
            uint64_t count = x % 5 == 0 ? 1 + (x >> 16) % (lines2 + 8) : 1 + (x >> 16) % sets1;
            uint64_t n[3] = {4, 5, 6}, want[3] = {4, 5, 6}; /* added to */
            if (lines_p16_warm(c1, c2, ln, count, n))
                taken++;
            else {
                declined++;
                cache_lines(c1, c2, ln * 64, count, n);
            }
            for (uint64_t k = 0; k < count; k++) {
                unsigned lvl = ref_access(&r1, (ln + k) * 64) == 1   ? 0u
                               : ref_access(&r2, (ln + k) * 64) == 1 ? 1u
                                                                     : 2u;
                want[lvl]++;
                seen[lvl]++;
            }
            assert_memory_equal(n, want, sizeof n);
            lpae_cache_stats a1 = lpae_cache_stats_get(c1), a2 = lpae_cache_stats_get(c2);
            assert_memory_equal(&a1, &r1.st, sizeof a1);
            assert_memory_equal(&a2, &r2.st, sizeof a2);
        }
        assert_true(taken > 1000 && declined > 100);
        assert_true(seen[0] > 100 && seen[1] > 100 && seen[2] > 100);
        ref_free(&r1);
        ref_free(&r2);
        lpae_cache_destroy(c1);
        lpae_cache_destroy(c2);
    }
}

/* cache_line_k() (a short run's line through a cache_pair_x() pair: 4-way
 * L1 with a 16- or 8-way L2, 2-way L1 with an 8-way L2) against per-line
 * reference accesses: the same serving level for every line and the same
 * counters in both caches, with flushes and counter resets; cache_pair_x()
 * names each pair's kind and no other pair's. */
static void line_k_matches_reference(void **state)
{
    (void)state;
    static const struct {
        uint32_t s1, w1, s2, w2;
        unsigned kind;
        line_fn line; /* cache_line_k() of the pair's geometries */
    } pg[] = {
        {8192, 4, 131072, 16, CACHE_PAIR_4_16, line_rec4_perm16},
        {1024, 4, 16384, 16, CACHE_PAIR_4_16, line_rec4_perm16},
        {8192, 4, 65536, 8, CACHE_PAIR_4_8, line_rec4_perm8},
        {2048, 4, 8192, 8, CACHE_PAIR_4_8, line_rec4_perm8},
        {8192, 2, 65536, 8, CACHE_PAIR_2_8, line_rec2_perm8},
    };
    uint64_t seed = 31415;
    for (size_t g = 0; g < sizeof pg / sizeof pg[0]; g++) {
        lpae_cache *c1 = mk(pg[g].s1, pg[g].w1, 64), *c2 = mk(pg[g].s2, pg[g].w2, 64);
        lpae_cache *o2 = mk(pg[g].s2, pg[g].w2, 128);
        assert_int_equal(cache_pair_x(c1, c2), pg[g].kind);
        assert_int_equal(cache_pair_x(c1, o2), CACHE_PAIR_NONE);
        assert_int_equal(cache_pair_x(c2, c1), CACHE_PAIR_NONE);
        assert_false(cache_pair_p16(c1, c2));
        line_stream_matches(c1, c2, pg[g].s1, pg[g].w1, pg[g].s2, pg[g].w2, pg[g].line, &seed);
        lpae_cache_destroy(c1);
        lpae_cache_destroy(c2);
        lpae_cache_destroy(o2);
    }
}

/* cache_pair_p16_memo() (the short-run path's remembered pair test)
 * against cache_pair_p16() on a random sequence of queries over L1/L2
 * pairs of several geometries, each pair asked many times. */
static void pair_memo_matches_test(void **state)
{
    (void)state;
    static const lpae_cache_config g[] = {{32768, 2, 64},   {1024, 2, 32},    {8192, 4, 64},
                                          {262144, 16, 64}, {65536, 16, 128}, {16384, 16, 32},
                                          {65536, 8, 64}};
    enum { N = sizeof g / sizeof g[0] };
    lpae_cache *c[N];
    for (size_t i = 0; i < N; i++)
        c[i] = mk(g[i].size, g[i].ways, g[i].line);
    uint64_t seed = 555;
    unsigned yes = 0, no = 0;
    for (int it = 0; it < 5000; it++) {
        uint64_t x = xorshift(&seed);
        lpae_cache *l1 = c[x % N], *l2 = c[(x >> 8) % N];
        bool want = cache_pair_p16(l1, l2);
        assert_int_equal(cache_pair_p16_memo(l1, l2), want);
        assert_int_equal(cache_pair_x_memo(l1, l2), cache_pair_x(l1, l2));
        yes += want;
        no += !want;
    }
    assert_true(yes > 100 && no > 100);
    for (size_t i = 0; i < N; i++)
        lpae_cache_destroy(c[i]);
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
        cmocka_unit_test(matches_stamp_lru_reference),
        cmocka_unit_test(lines_run_matches_reference),
        cmocka_unit_test(sig_match_matches_loop),
        cmocka_unit_test(colliding_hashes_match_reference),
        cmocka_unit_test(line_key_spreads_near_tags),
        cmocka_unit_test(warm_matches_reference),
        cmocka_unit_test(pos_touch_matches_move),
        cmocka_unit_test(line_p16_matches_reference),
        cmocka_unit_test(warm_run_matches_reference),
        cmocka_unit_test(line_k_matches_reference),
        cmocka_unit_test(pair_memo_matches_test),
        cmocka_unit_test(bad_geometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
