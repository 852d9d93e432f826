/* SPDX-License-Identifier: MIT */
/* Tests of simulated physical memory and the frame allocator (lpae/phys.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/phys.h"
#include "mem/phys_internal.h"

#define G1 (UINT64_C(1) << 30)
#define PG UINT64_C(4096)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* 2 GB at 0x80000000 plus 6 GB at 4 GB (adjacent), plus 16 MB near the top. */
static lpae_phys *mk(uint64_t cap)
{
    static const lpae_ram_range r[] = {
        {UINT64_C(0x100000000), 6 * G1},
        {UINT64_C(0x80000000), 2 * G1},
        {UINT64_C(0xFFFF000000), UINT64_C(0x1000000)},
    };
    lpae_phys_config cfg = {r, 3, cap};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    assert_non_null(p);
    return p;
}

static void create_errors(void **state)
{
    (void)state;
    lpae_phys *p = NULL;
    lpae_ram_range ok = {0x80000000, G1};
    lpae_phys_config cfg = {&ok, 1, 0};
    assert_int_equal(lpae_phys_create(NULL, &p), LPAE_EINVAL);
    assert_int_equal(lpae_phys_create(&cfg, NULL), LPAE_EINVAL);
    cfg.nranges = 0;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_EINVAL);
    cfg.nranges = LPAE_PHYS_MAX_RANGES + 1;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_EINVAL);
    lpae_ram_range zero = {0x80000000, 0};
    lpae_phys_config c2 = {&zero, 1, 0};
    assert_int_equal(lpae_phys_create(&c2, &p), LPAE_EINVAL);
    lpae_ram_range big = {UINT64_C(0xFFFFF00000), UINT64_C(0x200000)};
    c2.ranges = &big;
    assert_int_equal(lpae_phys_create(&c2, &p), LPAE_EINVAL);
    lpae_ram_range mis = {0x80000800, PG};
    c2.ranges = &mis;
    assert_int_equal(lpae_phys_create(&c2, &p), LPAE_EALIGN);
    lpae_ram_range mis2 = {0x80000000, PG + 8};
    c2.ranges = &mis2;
    assert_int_equal(lpae_phys_create(&c2, &p), LPAE_EALIGN);
    lpae_ram_range ov[] = {{0x80000000, G1}, {0xA0000000, G1}};
    lpae_phys_config c3 = {ov, 2, 0};
    assert_int_equal(lpae_phys_create(&c3, &p), LPAE_EINVAL);
    assert_null(p);
    /* up to exactly 2^40 is fine */
    lpae_ram_range top = {UINT64_C(0xFFFFFFF000), PG};
    c2.ranges = &top;
    assert_int_equal(lpae_phys_create(&c2, &p), LPAE_OK);
    lpae_phys_destroy(p);
    lpae_phys_destroy(NULL);
}

static void ranges_and_is_ram(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    assert_int_equal(lpae_phys_range_count(p), 3);
    lpae_ram_range r;
    assert_int_equal(lpae_phys_range_get(p, 0, &r), LPAE_OK);
    assert_int_equal(r.base, 0x80000000); /* sorted */
    assert_int_equal(r.size, 2 * G1);
    assert_int_equal(lpae_phys_range_get(p, 2, &r), LPAE_OK);
    assert_int_equal(r.base, UINT64_C(0xFFFF000000));
    assert_int_equal(lpae_phys_range_get(p, 3, &r), LPAE_EINVAL);
    assert_int_equal(lpae_phys_range_get(NULL, 0, &r), LPAE_EINVAL);
    assert_int_equal(lpae_phys_range_count(NULL), 0);
    assert_true(lpae_phys_is_ram(p, 0x80000000, 1));
    assert_true(lpae_phys_is_ram(p, 0xFFFFFFFF, 1));
    assert_false(lpae_phys_is_ram(p, 0x7FFFFFFF, 1));
    assert_false(lpae_phys_is_ram(p, 0x7FFFFFFF, 2));
    /* adjacent ranges are two ranges for is_ram */
    assert_false(lpae_phys_is_ram(p, 0xFFFFFFF8, 16));
    assert_true(lpae_phys_is_ram(p, UINT64_C(0xFFFFFFFFF8), 8));
    assert_false(lpae_phys_is_ram(p, UINT64_C(0xFFFFFFFFF8), 9));
    assert_false(lpae_phys_is_ram(p, UINT64_C(1) << 40, 1));
    assert_false(lpae_phys_is_ram(p, 0x80000000, 0));
    assert_false(lpae_phys_is_ram(NULL, 0x80000000, 1));
    lpae_phys_destroy(p);
}

static void sparse_read_write(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    uint8_t buf[10000], back[10000];
    memset(buf, 0xAB, sizeof buf);
    assert_int_equal(lpae_phys_read(p, 0x90000000, back, sizeof back), LPAE_OK);
    for (size_t i = 0; i < sizeof back; i++)
        assert_int_equal(back[i], 0);
    lpae_phys_stats st;
    assert_int_equal(lpae_phys_stats_get(p, &st), LPAE_OK);
    assert_int_equal(st.backed_pages, 0);
    assert_int_equal(st.ram_bytes, 8 * G1 + UINT64_C(0x1000000));
    assert_int_equal(st.frames_total, st.ram_bytes / PG);
    /* across page and range boundaries */
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 7u);
    lpae_pa_t pa = UINT64_C(0x100000000) - 5000;
    assert_int_equal(lpae_phys_write(p, pa, buf, sizeof buf), LPAE_OK);
    assert_int_equal(lpae_phys_read(p, pa, back, sizeof back), LPAE_OK);
    assert_memory_equal(buf, back, sizeof buf);
    assert_int_equal(lpae_phys_stats_get(p, &st), LPAE_OK);
    assert_int_equal(st.backed_pages, 4); /* 0xFFFFE000..0x100001000 */
    assert_true(st.backing_bytes >= 4 * PG);
    /* zero-length is fine */
    assert_int_equal(lpae_phys_write(p, 0, buf, 0), LPAE_OK);
    assert_int_equal(lpae_phys_read(p, 0, back, 0), LPAE_OK);
    lpae_phys_destroy(p);
}

static void aborts_write_nothing(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    uint8_t buf[64], back[64];
    memset(buf, 0x5A, sizeof buf);
    /* below RAM */
    assert_int_equal(lpae_phys_write(p, 0x7FFFFFF0, buf, 32), LPAE_EABORT);
    assert_int_equal(lpae_phys_read(p, 0x80000000, back, 16), LPAE_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(back[i], 0);
    assert_int_equal(lpae_phys_read(p, 0x7FFFFFF0, back, 32), LPAE_EABORT);
    assert_int_equal(lpae_phys_read(p, 0x1000, back, 8), LPAE_EABORT);
    /* past the top range and past 2^40 */
    assert_int_equal(lpae_phys_write(p, UINT64_C(0xFFFFFFFFF0), buf, 32), LPAE_EABORT);
    assert_int_equal(lpae_phys_read(p, UINT64_C(1) << 40, back, 8), LPAE_EABORT);
    assert_int_equal(lpae_phys_read(p, UINT64_MAX - 3, back, 8), LPAE_EABORT);
    uint64_t v = 1;
    assert_int_equal(lpae_phys_read64(p, UINT64_C(1) << 40, &v), LPAE_EABORT);
    assert_int_equal(lpae_phys_read64(p, UINT64_C(0x300000000000), &v), LPAE_EABORT);
    assert_int_equal(lpae_phys_write64(p, UINT64_C(0x300000000000), 1), LPAE_EABORT);
    assert_int_equal(lpae_phys_read64(p, 0x40000000, &v), LPAE_EABORT);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.backed_pages, 0);
    /* bad arguments */
    assert_int_equal(lpae_phys_read(NULL, 0x80000000, back, 8), LPAE_EINVAL);
    assert_int_equal(lpae_phys_read(p, 0x80000000, NULL, 8), LPAE_EINVAL);
    assert_int_equal(lpae_phys_write(NULL, 0x80000000, buf, 8), LPAE_EINVAL);
    assert_int_equal(lpae_phys_write(p, 0x80000000, NULL, 8), LPAE_EINVAL);
    assert_int_equal(lpae_phys_read64(p, 0x80000004, &v), LPAE_EALIGN);
    assert_int_equal(lpae_phys_write64(p, 0x80000004, 1), LPAE_EALIGN);
    assert_int_equal(lpae_phys_read64(p, 0x80000000, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_phys_write64(NULL, 0x80000000, 1), LPAE_EINVAL);
    assert_int_equal(lpae_phys_stats_get(NULL, &st), LPAE_EINVAL);
    assert_int_equal(lpae_phys_stats_get(p, NULL), LPAE_EINVAL);
    lpae_phys_destroy(p);
}

static void read64_little_endian_and_fast_path(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(lpae_phys_write(p, 0x80001008, bytes, 8), LPAE_OK);
    uint64_t v = 0;
    assert_int_equal(lpae_phys_read64(p, 0x80001008, &v), LPAE_OK);
    assert_int_equal(v, UINT64_C(0x0807060504030201));
    assert_int_equal(lpae_phys_fetch64(p, 0x80001008, &v), LPAE_OK);
    assert_int_equal(v, UINT64_C(0x0807060504030201));
    assert_int_equal(lpae_phys_write64(p, UINT64_C(0xFFFFFFFFF8), UINT64_C(0x1122334455667788)),
                     LPAE_OK);
    uint8_t b[8];
    assert_int_equal(lpae_phys_read(p, UINT64_C(0xFFFFFFFFF8), b, 8), LPAE_OK);
    assert_int_equal(b[0], 0x88);
    assert_int_equal(b[7], 0x11);
    /* unbacked RAM through the fast fetch: zero; outside RAM: abort */
    v = 7;
    assert_int_equal(lpae_phys_fetch64(p, 0x90000000, &v), LPAE_OK);
    assert_int_equal(v, 0);
    assert_int_equal(lpae_phys_fetch64(p, 0x10000000, &v), LPAE_EABORT);
    assert_int_equal(lpae_phys_fetch64(p, UINT64_C(0xFF00000000000000), &v), LPAE_EABORT);
    /* a backed page next to a hole: same dir leaf, still aborts outside RAM */
    assert_int_equal(lpae_phys_fetch64(p, UINT64_C(0xFFFEFFFFF8), &v), LPAE_EABORT);
    lpae_phys_destroy(p);
}

static void backing_cap(void **state)
{
    (void)state;
    lpae_phys *p = mk(3 * PG);
    uint8_t buf[3 * 4096 + 1];
    memset(buf, 1, sizeof buf);
    /* 4 pages needed, 3 allowed: nothing written */
    assert_int_equal(lpae_phys_write(p, 0x80000000, buf, sizeof buf), LPAE_ENOMEM);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.backed_pages, 0);
    assert_int_equal(lpae_phys_write(p, 0x80000000, buf, 3 * 4096), LPAE_OK);
    assert_int_equal(lpae_phys_write64(p, 0x80003000, 1), LPAE_ENOMEM);
    uint64_t v = 9;
    assert_int_equal(lpae_phys_read64(p, 0x80003000, &v), LPAE_OK);
    assert_int_equal(v, 0);
    /* rewriting a backed page needs no new backing */
    assert_int_equal(lpae_phys_write64(p, 0x80002FF8, 2), LPAE_OK);
    /* freeing drops backing and makes room */
    assert_int_equal(lpae_phys_reserve(p, 0x80000000, PG), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, 0x80000000, PG), LPAE_OK);
    assert_int_equal(lpae_phys_write64(p, 0x80003000, 1), LPAE_OK);
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.backed_pages, 3);
    lpae_phys_destroy(p);
}

static void alloc_page_next_fit(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 8 * PG}, {0x90000000, 4 * PG}};
    lpae_phys_config cfg = {r, 2, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    lpae_pa_t pa[12];
    for (int i = 0; i < 12; i++)
        assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &pa[i]), LPAE_OK);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pa[i], 0x80000000 + (uint64_t)i * PG);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pa[8 + i], 0x90000000 + (uint64_t)i * PG);
    lpae_pa_t x;
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &x), LPAE_ENOSPC);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.frames_in_use, 12);
    /* free 2 and 5: next-fit continues after the cursor, then wraps */
    assert_int_equal(lpae_phys_free(p, pa[5], PG), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, pa[2], PG), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, pa[10], PG), LPAE_OK);
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, pa[2]); /* cursor was past the end: wrap to lowest */
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, pa[5]);
    assert_int_equal(lpae_phys_free(p, pa[3], PG), LPAE_OK);
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, pa[10]); /* after the cursor first, not the lower pa[3] */
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, pa[3]);
    /* windows */
    assert_int_equal(lpae_phys_free(p, pa[9], PG), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, pa[1], PG), LPAE_OK);
    assert_int_equal(lpae_phys_alloc_page(p, 0x90000000, 0x90004000, &x), LPAE_OK);
    assert_int_equal(x, pa[9]);
    assert_int_equal(lpae_phys_alloc_page(p, 0x90000000, 0x90004000, &x), LPAE_ENOSPC);
    /* the window must hold the whole frame */
    assert_int_equal(lpae_phys_alloc_page(p, 0x80000800, 0x80001FFF, &x), LPAE_ENOSPC);
    assert_int_equal(lpae_phys_alloc_page(p, 0x80000800, 0x80002000, &x), LPAE_OK);
    assert_int_equal(x, pa[1]);
    assert_int_equal(lpae_phys_alloc_page(p, 5, 5, &x), LPAE_EINVAL);
    assert_int_equal(lpae_phys_alloc_page(NULL, 0, 1, &x), LPAE_EINVAL);
    assert_int_equal(lpae_phys_alloc_page(p, 0, UINT64_MAX, NULL), LPAE_EINVAL);
    lpae_phys_destroy(p);
}

/* lpae_phys_alloc_page() (its cursor fast path included) against a plain
 * next-fit model: per window, the first free whole frame at or after the
 * cursor and below hi, else the first from lo; the cursor then one frame
 * past the answer. Random allocations through five windows (aligned,
 * unaligned, partial, spanning a gap between ranges), frees and
 * reservations over three ranges; every answer, error and the count of
 * frames in use agree. */
static void alloc_page_matches_next_fit(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 24 * PG}, {0x80020000, 16 * PG}, {0x80030000, 8 * PG}};
    lpae_phys_config cfg = {r, 3, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    enum { NF = 48, NW = 5 };
    lpae_pa_t frame[NF];
    bool used[NF] = {false};
    for (size_t i = 0, k = 0; i < 3; i++)
        for (uint64_t f = 0; f < r[i].size / PG; f++)
            frame[k++] = r[i].base + f * PG;
    const lpae_pa_t wlo[NW] = {0, 0x80000000, 0x80010800, 0x80020000, 0x80005000};
    const lpae_pa_t whi[NW] = {UINT64_MAX, 0x80018000, 0x80024800, 0x80038000, 0x80006FFF};
    lpae_pa_t cursor[NW];
    memcpy(cursor, wlo, sizeof cursor);
    uint64_t seed = 4711;
    unsigned allocs = 0, nospc = 0;
    for (int it = 0; it < 6000; it++) {
        uint64_t x = rng_next(&seed);
        unsigned k = (unsigned)(x >> 8) % NF;
        if (x % 10 < 6) {
            unsigned w = (unsigned)(x >> 20) % NW;
            int want_rc = LPAE_ENOSPC;
            lpae_pa_t want = 0;
            for (int pass = 0; pass < 2 && want_rc != LPAE_OK; pass++) {
                lpae_pa_t from = pass == 0 ? cursor[w] : wlo[w];
                if (pass == 0 && !(cursor[w] > wlo[w] && cursor[w] < whi[w]))
                    continue;
                from = (from + PG - 1) & ~(PG - 1);
                for (unsigned f = 0; f < NF; f++)
                    if (!used[f] && frame[f] >= from && frame[f] + PG <= whi[w] &&
                        frame[f] + PG > frame[f]) {
                        want = frame[f];
                        want_rc = LPAE_OK;
                        used[f] = true;
                        break;
                    }
            }
            lpae_pa_t got = 0;
            assert_int_equal(lpae_phys_alloc_page(p, wlo[w], whi[w], &got), want_rc);
            if (want_rc == LPAE_OK) {
                assert_int_equal(got, want);
                cursor[w] = want + PG;
                allocs++;
            } else {
                nospc++;
            }
        } else if (x % 10 < 9) {
            if (used[k]) {
                assert_int_equal(lpae_phys_free(p, frame[k], PG), LPAE_OK);
                used[k] = false;
            }
        } else if (!used[k]) {
            assert_int_equal(lpae_phys_reserve(p, frame[k], PG), LPAE_OK);
            used[k] = true;
        }
        lpae_phys_stats st;
        lpae_phys_stats_get(p, &st);
        uint64_t n = 0;
        for (unsigned f = 0; f < NF; f++)
            n += used[f];
        assert_int_equal(st.frames_in_use, n);
    }
    assert_true(allocs > 1000 && nospc > 50);
    lpae_phys_destroy(p);
}

static void alloc_is_zeroed(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    /* scribble on a free frame, then allocate it */
    assert_int_equal(lpae_phys_write64(p, 0x80000010, 0xDEAD), LPAE_OK);
    lpae_pa_t x;
    assert_int_equal(lpae_phys_alloc_page(p, 0x80000000, 0x80001000, &x), LPAE_OK);
    assert_int_equal(x, 0x80000000);
    uint64_t v = 1;
    assert_int_equal(lpae_phys_read64(p, 0x80000010, &v), LPAE_OK);
    assert_int_equal(v, 0);
    assert_true(lpae_phys_frame_in_use(p, 0x80000FFF));
    assert_false(lpae_phys_frame_in_use(p, 0x80001000));
    assert_false(lpae_phys_frame_in_use(p, 0x1000));
    assert_false(lpae_phys_frame_in_use(NULL, 0x80000000));
    /* freed frames read as zero */
    assert_int_equal(lpae_phys_write64(p, 0x80000010, 0xBEEF), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, 0x80000000, PG), LPAE_OK);
    assert_int_equal(lpae_phys_read64(p, 0x80000010, &v), LPAE_OK);
    assert_int_equal(v, 0);
    lpae_phys_destroy(p);
}

static void alloc_contig(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 64 * PG}};
    lpae_phys_config cfg = {r, 1, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    lpae_pa_t x;
    assert_int_equal(lpae_phys_reserve(p, 0x80001000, PG), LPAE_OK);
    assert_int_equal(lpae_phys_alloc_contig(p, 4 * PG, 4 * PG, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, 0x80004000);
    assert_int_equal(lpae_phys_alloc_contig(p, 2 * PG, PG, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, 0x80002000);
    assert_int_equal(lpae_phys_alloc_contig(p, 16 * PG, 16 * PG, 0, UINT64_MAX, &x), LPAE_OK);
    assert_int_equal(x, 0x80010000);
    assert_int_equal(lpae_phys_alloc_contig(p, 33 * PG, PG, 0, UINT64_MAX, &x), LPAE_ENOSPC);
    assert_int_equal(lpae_phys_alloc_contig(p, 32 * PG, 32 * PG, 0x80000000, 0x8003F000, &x),
                     LPAE_ENOSPC);
    assert_int_equal(lpae_phys_alloc_contig(p, 8 * PG, PG, 0x80020000, 0x80028000, &x), LPAE_OK);
    assert_int_equal(x, 0x80020000);
    assert_int_equal(lpae_phys_alloc_contig(p, PG, PG, 0x80020000, 0x80028000, &x), LPAE_ENOSPC);
    for (lpae_pa_t q = 0x80020000; q < 0x80028000; q += PG)
        assert_true(lpae_phys_frame_in_use(p, q));
    assert_int_equal(lpae_phys_alloc_contig(p, 0, PG, 0, UINT64_MAX, &x), LPAE_EINVAL);
    assert_int_equal(lpae_phys_alloc_contig(p, PG, 3 * PG, 0, UINT64_MAX, &x), LPAE_EINVAL);
    assert_int_equal(lpae_phys_alloc_contig(p, PG, 2048, 0, UINT64_MAX, &x), LPAE_EINVAL);
    assert_int_equal(lpae_phys_alloc_contig(p, PG + 1, PG, 0, UINT64_MAX, &x), LPAE_EALIGN);
    assert_int_equal(lpae_phys_alloc_contig(NULL, PG, PG, 0, UINT64_MAX, &x), LPAE_EINVAL);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.frames_in_use, 1 + 4 + 2 + 16 + 8);
    lpae_phys_destroy(p);
}

static void reserve_and_free(void **state)
{
    (void)state;
    lpae_phys *p = mk(0);
    /* across the adjacent ranges at 4 GB */
    assert_int_equal(lpae_phys_reserve(p, 0xFFFFE000, 4 * PG), LPAE_OK);
    assert_int_equal(lpae_phys_reserve(p, 0x100001000, PG), LPAE_EEXIST);
    assert_int_equal(lpae_phys_reserve(p, 0x100002000, 2 * PG), LPAE_OK);
    assert_int_equal(lpae_phys_reserve(p, 0x7FFFF000, 2 * PG), LPAE_EABORT);
    assert_int_equal(lpae_phys_reserve(p, 0x80000800, PG), LPAE_EALIGN);
    assert_int_equal(lpae_phys_reserve(p, 0x80000000, 100), LPAE_EALIGN);
    assert_int_equal(lpae_phys_reserve(p, 0x80000000, 0), LPAE_EINVAL);
    assert_int_equal(lpae_phys_reserve(NULL, 0x80000000, PG), LPAE_EINVAL);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.frames_in_use, 6);
    /* reserve keeps contents */
    assert_int_equal(lpae_phys_write64(p, 0x90000000, 77), LPAE_OK);
    assert_int_equal(lpae_phys_reserve(p, 0x90000000, PG), LPAE_OK);
    uint64_t v;
    lpae_phys_read64(p, 0x90000000, &v);
    assert_int_equal(v, 77);
    /* free: all-or-nothing */
    assert_int_equal(lpae_phys_free(p, 0x90000000, 2 * PG), LPAE_ENOENT);
    assert_true(lpae_phys_frame_in_use(p, 0x90000000));
    assert_int_equal(lpae_phys_free(p, 0x90000000, PG), LPAE_OK);
    assert_int_equal(lpae_phys_free(p, 0x90000000, PG), LPAE_ENOENT);
    assert_int_equal(lpae_phys_free(p, 0x10000000, PG), LPAE_EABORT);
    assert_int_equal(lpae_phys_free(p, 0x90000001, PG), LPAE_EALIGN);
    assert_int_equal(lpae_phys_free(p, 0xFFFFE000, 6 * PG), LPAE_OK);
    lpae_phys_stats_get(p, &st);
    assert_int_equal(st.frames_in_use, 0);
    lpae_phys_destroy(p);
}

/* Random writes and reads against a shadow copy, fixed seed. */
static void randomized_shadow(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 64 * PG}, {0x80040000, 64 * PG}, {0xC0000000, 16 * PG}};
    lpae_phys_config cfg = {r, 3, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    const size_t span = 128 * 4096; /* the two adjacent ranges */
    uint8_t *shadow = calloc(1, span), *buf = malloc(3 * 4096);
    assert_non_null(shadow);
    assert_non_null(buf);
    uint64_t seed = 12345;
    for (int it = 0; it < 3000; it++) {
        size_t off = (size_t)(rng_next(&seed) % span);
        size_t len = (size_t)(rng_next(&seed) % (3 * 4096)) + 1;
        if (off + len > span)
            len = span - off;
        int op = (int)(rng_next(&seed) % 4);
        if (op == 0) {
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rng_next(&seed);
            assert_int_equal(lpae_phys_write(p, 0x80000000 + off, buf, len), LPAE_OK);
            memcpy(shadow + off, buf, len);
        } else if (op == 1) {
            assert_int_equal(lpae_phys_read(p, 0x80000000 + off, buf, len), LPAE_OK);
            assert_memory_equal(buf, shadow + off, len);
        } else if (op == 2) {
            size_t f = off & ~(size_t)4095;
            if (lpae_phys_frame_in_use(p, 0x80000000 + f)) {
                assert_int_equal(lpae_phys_free(p, 0x80000000 + f, PG), LPAE_OK);
                memset(shadow + f, 0, 4096);
            } else {
                assert_int_equal(lpae_phys_reserve(p, 0x80000000 + f, PG), LPAE_OK);
            }
        } else {
            /* writes that run off the end of RAM change nothing */
            lpae_pa_t pa = 0xC0000000 + 16 * PG - (len / 2);
            assert_int_equal(lpae_phys_write(p, pa, buf, len + 1), LPAE_EABORT);
        }
    }
    uint8_t *all = malloc(span);
    assert_non_null(all);
    assert_int_equal(lpae_phys_read(p, 0x80000000, all, span), LPAE_OK);
    assert_memory_equal(all, shadow, span);
    uint8_t tail[16 * 4096];
    assert_int_equal(lpae_phys_read(p, 0xC0000000, tail, sizeof tail), LPAE_OK);
    for (size_t i = 0; i < sizeof tail; i++)
        assert_int_equal(tail[i], 0);
    free(all);
    free(shadow);
    free(buf);
    lpae_phys_destroy(p);
}

/* lpae_phys_copy_page() against lpae_phys_read() into a buffer followed by
 * lpae_phys_write(): two memories get the same random stream of writes,
 * frees and copies (one copies directly, the other through a buffer), and
 * must agree on every return code, every byte and the backing counters.
 * Pages: in RAM on both sides of two adjacent ranges, outside RAM, beyond
 * 2^40; a backing cap that the copies hit. */
static void copy_page_matches_read_then_write(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 4 * PG}, {0x80004000, 4 * PG}, {0xC0000000, 2 * PG}};
    lpae_phys_config cfg = {r, 3, 5 * PG};
    lpae_phys *a = NULL, *b = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &a), LPAE_OK);
    assert_int_equal(lpae_phys_create(&cfg, &b), LPAE_OK);
    static const lpae_pa_t pages[] = {
        0x80000000,          0x80001000,       0x80003000, 0x80004000,
        0x80007000,          0xC0000000,       0xC0001000, 0xC0002000 /* past the range */,
        0x1000 /* no RAM */, UINT64_C(1) << 40 /* beyond the PA space */};
    const size_t np = sizeof pages / sizeof pages[0];
    uint8_t buf[4096], x[4096], y[4096];
    uint64_t seed = 777;
    int rcs[3] = {0, 0, 0}; /* OK, EABORT, ENOMEM seen */
    for (int it = 0; it < 4000; it++) {
        unsigned op = (unsigned)(rng_next(&seed) % 8);
        lpae_pa_t pd = pages[rng_next(&seed) % np], ps = pages[rng_next(&seed) % np];
        size_t doff = (size_t)(rng_next(&seed) % 4096), soff = (size_t)(rng_next(&seed) % 4096);
        if (rng_next(&seed) % 4 == 0)
            doff = soff = 0;
        size_t room = 4096 - (doff > soff ? doff : soff);
        size_t n = rng_next(&seed) % 2 ? room : (size_t)(rng_next(&seed) % (room + 1));
        if (op == 0) { /* a write, the same in both */
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)rng_next(&seed);
            int ra = lpae_phys_write(a, pd + doff, buf, n);
            assert_int_equal(ra, lpae_phys_write(b, pd + doff, buf, n));
        } else if (op == 1) { /* drop a page's backing (reserve, then free) */
            if (lpae_phys_reserve(a, pd, PG) == LPAE_OK) {
                assert_int_equal(lpae_phys_reserve(b, pd, PG), LPAE_OK);
                assert_int_equal(lpae_phys_free(a, pd, PG), LPAE_OK);
                assert_int_equal(lpae_phys_free(b, pd, PG), LPAE_OK);
            }
        } else {
            if (op == 2)
                ps = pd; /* same page, overlapping */
            int ra = lpae_phys_copy_page(a, pd + doff, ps + soff, n);
            int rb = lpae_phys_read(b, ps + soff, buf, n);
            if (rb == LPAE_OK)
                rb = lpae_phys_write(b, pd + doff, buf, n);
            assert_int_equal(ra, rb);
            rcs[ra == LPAE_OK ? 0 : ra == LPAE_EABORT ? 1 : 2]++;
            assert_true(ra == LPAE_OK || ra == LPAE_EABORT || ra == LPAE_ENOMEM);
        }
        lpae_phys_stats sa, sb;
        assert_int_equal(lpae_phys_stats_get(a, &sa), LPAE_OK);
        assert_int_equal(lpae_phys_stats_get(b, &sb), LPAE_OK);
        assert_int_equal(sa.backed_pages, sb.backed_pages);
        assert_int_equal(sa.backing_bytes, sb.backing_bytes);
        if (it % 16 == 0)
            for (size_t i = 0; i < 7; i++) {
                assert_int_equal(lpae_phys_read(a, pages[i], x, sizeof x), LPAE_OK);
                assert_int_equal(lpae_phys_read(b, pages[i], y, sizeof y), LPAE_OK);
                assert_memory_equal(x, y, sizeof x);
            }
    }
    assert_true(rcs[0] > 0 && rcs[1] > 0 && rcs[2] > 0);
    /* precondition: neither range may cross a page */
    assert_int_equal(lpae_phys_copy_page(a, 0x80000000, 0x80000800, 4096), LPAE_EINVAL);
    assert_int_equal(lpae_phys_copy_page(a, 0x80000001, 0x80001000, 4096), LPAE_EINVAL);
    assert_int_equal(lpae_phys_copy_page(NULL, 0x80000000, 0x80001000, 8), LPAE_EINVAL);
    assert_int_equal(lpae_phys_copy_page(a, 0x1000, 0x2000, 0), LPAE_OK);
    lpae_phys_destroy(a);
    lpae_phys_destroy(b);
}

/* Accesses within one page (the single-page paths of read and write) against
 * a shadow, with pages backed and unbacked, at range edges and outside RAM. */
static void single_page_accesses_shadow(void **state)
{
    (void)state;
    lpae_ram_range r[] = {{0x80000000, 8 * PG}, {0x80008000, 8 * PG}};
    lpae_phys_config cfg = {r, 2, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    uint8_t *shadow = calloc(1, 16 * 4096);
    assert_non_null(shadow);
    uint8_t buf[64], got[64];
    uint64_t seed = 4242;
    for (int it = 0; it < 20000; it++) {
        size_t len = (size_t)(rng_next(&seed) % 64) + 1;
        /* from a page before RAM to a page after it */
        uint64_t off = rng_next(&seed) % (18 * 4096);
        lpae_pa_t pa = 0x80000000 - PG + off;
        bool ram = off >= PG && off + len <= 17 * PG;
        size_t s = (size_t)(off - PG);
        switch (rng_next(&seed) % 4) {
        case 0:
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rng_next(&seed);
            assert_int_equal(lpae_phys_write(p, pa, buf, len), ram ? LPAE_OK : LPAE_EABORT);
            if (ram) {
                memcpy(shadow + s, buf, len);
                assert_non_null(lpae_phys_host_page(p, pa)); /* now backed */
            }
            break;
        case 3: { /* the machine's direct path: backed pages only, all RAM */
            const uint8_t *pg = lpae_phys_host_page(p, pa);
            if (pg) {
                assert_true(off >= PG && off < 17 * PG);
                size_t in = 4096 - (size_t)(pa & 4095);
                size_t n = len < in ? len : in;
                lpae_phys_copy_bytes(got, pg + (pa & 4095), n);
                assert_memory_equal(got, shadow + s, n);
            } else if (off >= PG && off < 17 * PG) { /* unbacked RAM reads as zero */
                assert_int_equal(lpae_phys_read(p, pa & ~(PG - 1), got, 64), LPAE_OK);
                assert_memory_equal(got, shadow + (s & ~(size_t)4095), 64);
            }
            assert_null(lpae_phys_host_page(p, pa | UINT64_C(1) << 40));
            break;
        }
        case 1:
            assert_int_equal(lpae_phys_read(p, pa, got, len), ram ? LPAE_OK : LPAE_EABORT);
            if (ram)
                assert_memory_equal(got, shadow + s, len);
            break;
        default:
            if (ram && rng_next(&seed) % 8 == 0) {
                lpae_pa_t f = pa & ~(PG - 1);
                size_t sf = s & ~(size_t)4095;
                if (!lpae_phys_frame_in_use(p, f))
                    assert_int_equal(lpae_phys_reserve(p, f, PG), LPAE_OK);
                assert_int_equal(lpae_phys_free(p, f, PG), LPAE_OK);
                memset(shadow + sf, 0, 4096);
            }
            break;
        }
    }
    free(shadow);
    lpae_phys_destroy(p);
}

/* The backing directory's lookups (lpae_phys_host_page(), lpae_phys_page_in(),
 * lpae_phys_fetch64(): every directory entry without a leaf of its own
 * points at the shared empty leaf) against a plain shadow of which pages
 * are backed: random writes, 8-byte writes and frees over a few pages in
 * each of four 64 MB leaves (so that leaves are created, emptied, freed and
 * created again), lookups of every shadowed page and of PAs beyond the PA
 * space after each step, and the leaf count (in backing_bytes) against the
 * shadow's count of leaves with a backed page. */
static void directory_matches_shadow(void **state)
{
    (void)state;
    enum { LEAVES = 4, PER = 6 };
    const uint64_t leaf_span = UINT64_C(1) << LPAE_PHYS_DIR_SHIFT;
    lpae_ram_range r[] = {{0x80000000, LEAVES * leaf_span}};
    lpae_phys_config cfg = {r, 1, 0};
    lpae_phys *p = NULL;
    assert_int_equal(lpae_phys_create(&cfg, &p), LPAE_OK);
    lpae_phys_stats st;
    lpae_phys_stats_get(p, &st);
    const uint64_t base = st.backing_bytes; /* bookkeeping alone */
    bool backed[LEAVES][PER] = {{false}};
    uint64_t seed = 777, creates = 0, drops = 0;
    for (int it = 0; it < 4000; it++) {
        unsigned l = (unsigned)(rng_next(&seed) % LEAVES), k = (unsigned)(rng_next(&seed) % PER);
        lpae_pa_t pa = 0x80000000 + l * leaf_span + k * 5 * PG;
        uint64_t x = rng_next(&seed);
        if (x % 3 == 0) {
            if (lpae_phys_frame_in_use(p, pa)) {
                assert_int_equal(lpae_phys_free(p, pa, PG), LPAE_OK);
                drops += backed[l][k];
                backed[l][k] = false;
            } else {
                assert_int_equal(lpae_phys_reserve(p, pa, PG), LPAE_OK);
            }
        } else if (x % 3 == 1) {
            assert_int_equal(lpae_phys_write64(p, pa + 8, x), LPAE_OK);
            creates += !backed[l][k];
            backed[l][k] = true;
        } else {
            uint8_t b[16];
            memset(b, (int)x, sizeof b);
            assert_int_equal(lpae_phys_write(p, pa + 4088, b, sizeof b), LPAE_OK);
            creates += !backed[l][k];
            backed[l][k] = true;      /* the write crosses into pa + 4 KB: backed too */
            lpae_pa_t next = pa + PG; /* never reserved otherwise: drop it again */
            assert_non_null(lpae_phys_host_page(p, next));
            assert_int_equal(lpae_phys_reserve(p, next, PG), LPAE_OK);
            assert_int_equal(lpae_phys_free(p, next, PG), LPAE_OK);
            assert_null(lpae_phys_host_page(p, next));
        }
        size_t leaves = 0;
        for (unsigned a = 0; a < LEAVES; a++) {
            bool any = false;
            for (unsigned b = 0; b < PER; b++) {
                lpae_pa_t q = 0x80000000 + a * leaf_span + b * 5 * PG;
                uint8_t *hp = lpae_phys_host_page(p, q);
                assert_int_equal(hp != NULL, backed[a][b]);
                assert_ptr_equal(lpae_phys_page_in(p, q), hp);
                uint64_t v = 1;
                assert_int_equal(lpae_phys_fetch64(p, q + 16, &v), LPAE_OK);
                if (!backed[a][b])
                    assert_int_equal(v, 0);
                any |= backed[a][b];
            }
            /* a page of the leaf never written */
            assert_null(lpae_phys_host_page(p, 0x80000000 + a * leaf_span + leaf_span - PG));
            leaves += any;
        }
        assert_null(lpae_phys_host_page(p, UINT64_C(1) << 40));
        assert_null(lpae_phys_host_page(p, UINT64_MAX));
        uint64_t v = 5;
        assert_int_equal(lpae_phys_fetch64(p, UINT64_C(1) << 40, &v), LPAE_EABORT);
        lpae_phys_stats_get(p, &st);
        size_t pages = 0;
        for (unsigned a = 0; a < LEAVES; a++)
            for (unsigned b = 0; b < PER; b++)
                pages += backed[a][b];
        assert_int_equal(st.backed_pages, pages);
        assert_int_equal(st.backing_bytes, base + pages * PG + leaves * sizeof(lpae_phys_leaf));
    }
    assert_true(creates > 100 && drops > 100);
    lpae_phys_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_errors),
        cmocka_unit_test(ranges_and_is_ram),
        cmocka_unit_test(sparse_read_write),
        cmocka_unit_test(aborts_write_nothing),
        cmocka_unit_test(read64_little_endian_and_fast_path),
        cmocka_unit_test(backing_cap),
        cmocka_unit_test(alloc_page_next_fit),
        cmocka_unit_test(alloc_page_matches_next_fit),
        cmocka_unit_test(alloc_is_zeroed),
        cmocka_unit_test(alloc_contig),
        cmocka_unit_test(reserve_and_free),
        cmocka_unit_test(randomized_shadow),
        cmocka_unit_test(copy_page_matches_read_then_write),
        cmocka_unit_test(single_page_accesses_shadow),
        cmocka_unit_test(directory_matches_shadow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
