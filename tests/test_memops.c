/* SPDX-License-Identifier: MIT */
/* The internal 8-byte load/store and touch entry points
 * (src/machine/memops_internal.h) against lpae_cpu_read/lpae_cpu_write: two
 * identical machines,
 * the same random access sequence (fixed seed), one through each way; every
 * return value, datum, fault and statistic must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/cache.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/machine.h"
#include "machine/memops_internal.h"

#define RAM_BASE UINT64_C(0x80000000)
#define ROOT (RAM_BASE + 0x0000)
#define L2T (RAM_BASE + 0x1000)
#define L3T (RAM_BASE + 0x2000)
#define PG_A (RAM_BASE + 0x100000)
#define PG_B (RAM_BASE + 0x101000)
#define PG_R (RAM_BASE + 0x102000)
#define BLK (RAM_BASE + 0x200000)

typedef struct side {
    lpae_phys *phys;
    lpae_cost *cost;
    lpae_machine *m;
} side;

static uint64_t leaf(lpae_pa_t pa, unsigned level, unsigned ap)
{
    return pa | (level == 3 ? LPAE_DESC_TYPE_PAGE : LPAE_DESC_TYPE_BLOCK) | LPAE_DESC_AF |
           ((uint64_t)ap << LPAE_DESC_AP_SHIFT) | (UINT64_C(3) << LPAE_DESC_SH_SHIFT) |
           (UINT64_C(1) << LPAE_DESC_ATTRINDX_SHIFT) | LPAE_DESC_NG;
}

static void w64(side *s, lpae_pa_t pa, uint64_t v)
{
    assert_int_equal(lpae_phys_write64(s->phys, pa, v), LPAE_OK);
}

/* VA 0x1000, 0x2000 user RW (consecutive: an unaligned access can cross),
 * 0x3000 user read-only, 0x4000 unmapped, 0x200000 a kernel 2 MB block. */
static void setup_preset(side *s, const char *preset, uint32_t utlb_lat)
{
    lpae_ram_range ram = {RAM_BASE, 64u << 20};
    lpae_phys_config pc = {&ram, 1, 0};
    assert_int_equal(lpae_phys_create(&pc, &s->phys), LPAE_OK);
    assert_int_equal(lpae_cost_preset(preset, &s->cost, NULL), LPAE_OK);
    if (utlb_lat) /* micro-TLB hits with a latency: never plain */
        for (unsigned p = LPAE_P_UTLB_I_LATENCY; p <= LPAE_P_UTLB_DS_LATENCY; p += 5)
            assert_int_equal(lpae_cost_set(s->cost, (lpae_param)p, utlb_lat), LPAE_OK);
    lpae_machine_config mc = {s->cost, s->phys, 1, 99};
    assert_int_equal(lpae_machine_create(&mc, &s->m), LPAE_OK);
    w64(s, ROOT + 0, L2T | LPAE_DESC_TYPE_TABLE);
    w64(s, L2T + 0, L3T | LPAE_DESC_TYPE_TABLE);
    w64(s, L2T + 8, leaf(BLK, 2, LPAE_AP_PL1_RW));
    w64(s, L3T + 8, leaf(PG_A, 3, LPAE_AP_RW));
    w64(s, L3T + 16, leaf(PG_B, 3, LPAE_AP_RW));
    w64(s, L3T + 24, leaf(PG_R, 3, LPAE_AP_RO));
    for (unsigned i = 0; i < 512; i++) /* recognisable data in PG_R */
        w64(s, PG_R + 8u * i, UINT64_C(0x0101010101010101) * (i & 0xFF) ^ i);
    lpae_regs r;
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbcr(&r, LPAE_TTBCR_EAE), LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbr(&r, 0, ROOT | ((uint64_t)3 << LPAE_TTBR_ASID_SHIFT)),
                     LPAE_OK);
    assert_int_equal(lpae_cpu_set_regs(lpae_machine_cpu(s->m, 0), &r), LPAE_OK);
}

static void setup_lat(side *s, uint32_t utlb_lat)
{
    setup_preset(s, "cortex-a15", utlb_lat);
}

static void setup(side *s)
{
    setup_lat(s, 0);
}

/* The presets the comparisons run under: the Cortex-A15's 2-way L1D and
 * 16-way L2 (the machine's specialised paths), the Cortex-A7's 4-way L1D
 * and 8-way L2 and the Cortex-A53's 4-way L1D and 16-way L2 (the
 * cache_pair_x() pairs). */
static const char *const presets[] = {"cortex-a15", "cortex-a7", "cortex-a53"};

static void teardown(side *s)
{
    lpae_machine_destroy(s->m);
    lpae_cost_destroy(s->cost);
    lpae_phys_destroy(s->phys);
}

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The two CPUs' statistics are equal. */
static void cpu_stats_agree(lpae_cpu *ca, lpae_cpu *cb)
{
    lpae_cpu_stats sa, sb;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    assert_int_equal(lpae_cpu_stats_get(ca, &sa), LPAE_OK);
    assert_int_equal(lpae_cpu_stats_get(cb, &sb), LPAE_OK);
    assert_memory_equal(&sa, &sb, sizeof sa);
}

/* The cache counters of one machine (one CPU) against its CPU's own
 * statistics, an account kept apart from the caches: with walks looking up
 * the L1D (every preset's walk.cache_level but the A72's), every line a
 * load, store, touch or copy charges and every descriptor fetch is one L1D
 * access, an L1D hit when the L1D served it, else one L2 access, an L2 hit
 * when the L2 served it. */
static void caches_match_cpu(const side *s)
{
    lpae_cpu *c = lpae_machine_cpu(s->m, 0);
    lpae_cpu_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(lpae_cpu_stats_get(c, &st), LPAE_OK);
    uint64_t n[LPAE_MEM_LEVELS];
    for (unsigned l = 0; l < LPAE_MEM_LEVELS; l++) {
        n[l] = st.lines[l];
        for (unsigned k = 0; k < 4; k++)
            n[l] += st.fetches[k][l];
    }
    lpae_cache_stats s1 = lpae_cache_stats_get(lpae_cpu_l1d(c));
    lpae_cache_stats s2 = lpae_cache_stats_get(lpae_machine_l2(s->m));
    assert_int_equal(s1.hits, n[LPAE_MEM_L1D]);
    assert_int_equal(s1.misses, n[LPAE_MEM_L2] + n[LPAE_MEM_DRAM]);
    assert_int_equal(s1.accesses, s1.hits + s1.misses);
    assert_int_equal(s2.hits, n[LPAE_MEM_L2]);
    assert_int_equal(s2.misses, n[LPAE_MEM_DRAM]);
    assert_int_equal(s2.accesses, s2.hits + s2.misses);
}

/* Every cache counter of the two machines agrees (the L1D's and the L2's
 * accesses, hits, misses and evictions), and each agrees with its CPU's
 * statistics (caches_match_cpu()). */
static void caches_agree(const side *a, const side *b)
{
    const lpae_cache *a1 = lpae_cpu_l1d(lpae_machine_cpu(a->m, 0));
    const lpae_cache *b1 = lpae_cpu_l1d(lpae_machine_cpu(b->m, 0));
    const lpae_cache *a2 = lpae_machine_l2(a->m), *b2 = lpae_machine_l2(b->m);
    assert_non_null(a1);
    assert_non_null(a2);
    lpae_cache_stats x = lpae_cache_stats_get(a1), y = lpae_cache_stats_get(b1);
    assert_memory_equal(&x, &y, sizeof x);
    x = lpae_cache_stats_get(a2);
    y = lpae_cache_stats_get(b2);
    assert_memory_equal(&x, &y, sizeof x);
    caches_match_cpu(a);
    caches_match_cpu(b);
}

/* The two machines' caches hold the same lines of [lo, hi) (the contents:
 * recency has no accessor, but any difference in it shows in later hits,
 * misses and evictions, which caches_agree() compares). */
static void cache_lines_agree(const side *a, const side *b, lpae_pa_t lo, lpae_pa_t hi)
{
    const lpae_cache *c[2][2] = {{lpae_cpu_l1d(lpae_machine_cpu(a->m, 0)), lpae_machine_l2(a->m)},
                                 {lpae_cpu_l1d(lpae_machine_cpu(b->m, 0)), lpae_machine_l2(b->m)}};
    uint64_t held = 0;
    for (lpae_pa_t pa = lo; pa < hi; pa += 64) /* every preset line is 64 bytes */
        for (unsigned l = 0; l < 2; l++) {
            bool h = lpae_cache_probe(c[0][l], pa);
            assert_int_equal(h, lpae_cache_probe(c[1][l], pa));
            held += h;
        }
    assert_true(held > 0);
}

/* The two machines' RAM in [lo, hi) is equal. */
static void ram_agrees(const side *a, const side *b, lpae_pa_t lo, lpae_pa_t hi)
{
    for (lpae_pa_t pa = lo; pa < hi; pa += 8) {
        uint64_t da, db;
        assert_int_equal(lpae_phys_read64(a->phys, pa, &da), LPAE_OK);
        assert_int_equal(lpae_phys_read64(b->phys, pa, &db), LPAE_OK);
        assert_int_equal(da, db);
    }
}

static void load_store_match_preset(const char *preset)
{
    side a, b;
    setup_preset(&a, preset, 0);
    setup_preset(&b, preset, 0);
    lpae_cpu *ca = lpae_machine_cpu(a.m, 0), *cb = lpae_machine_cpu(b.m, 0);
    static const lpae_va_t bases[] = {0x1000, 0x2000, 0x3000, 0x4000, 0x200000, 0x3FF000};
    static const unsigned rd_acc[] = {LPAE_ACC_UR, LPAE_ACC_PR};
    static const unsigned wr_acc[] = {LPAE_ACC_UW, LPAE_ACC_PW};
    uint64_t x = 0x9E3779B97F4A7C15u;
    unsigned loads = 0, stores = 0, faults = 0, unaligned = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t r = next(&x);
        lpae_va_t va = bases[r % 6] + (lpae_va_t)((r >> 8) & 0xFF8);
        if ((r >> 20) % 8 == 0) { /* unaligned, sometimes crossing into the next page */
            va += (lpae_va_t)(1 + (r >> 24) % 7);
            unaligned++;
        }
        bool store = (r >> 32) & 1;
        unsigned acc = store ? wr_acc[(r >> 33) & 1] : rd_acc[(r >> 33) & 1];
        int ea, eb;
        if (store) {
            uint64_t v = next(&x);
            ea = lpae_cpu_store64(ca, va, acc, &v);
            eb = lpae_cpu_write(cb, va, acc, &v, sizeof v, NULL, NULL);
            stores++;
        } else {
            uint64_t va_ = 0xAAAA, vb = 0xAAAA;
            ea = lpae_cpu_load64(ca, va, acc, &va_);
            eb = lpae_cpu_read(cb, va, acc, &vb, sizeof vb, NULL, NULL);
            if (ea == LPAE_OK)
                assert_int_equal(va_, vb);
            loads++;
        }
        assert_int_equal(ea, eb);
        faults += ea == LPAE_EFAULT;
        cpu_stats_agree(ca, cb);
        caches_agree(&a, &b);
        if (i % 5000 == 4999)
            cache_lines_agree(&a, &b, RAM_BASE, BLK + 0x200000);
    }
    /* the sequence covered every case */
    assert_true(loads > 1000 && stores > 1000 && faults > 100 && unaligned > 100);
    /* the RAM written agrees */
    ram_agrees(&a, &b, PG_A, PG_R + 0x1000);
    teardown(&a);
    teardown(&b);
}

static void load_store_match_public_calls(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
        load_store_match_preset(presets[k]);
}

/* The PA of a mapped VA of setup()'s tables (0 when unmapped). */
static lpae_pa_t pa_of(lpae_va_t va)
{
    switch (va & ~UINT32_C(0xFFF)) {
    case 0x1000:
        return PG_A + (va & 0xFFF);
    case 0x2000:
        return PG_B + (va & 0xFFF);
    case 0x3000:
        return PG_R + (va & 0xFFF);
    default:
        return va >= 0x200000 && va < 0x400000 ? BLK + (va - 0x200000) : 0;
    }
}

/* lpae_cpu_touch against what it stands for: a read into a dropped buffer,
 * or a write of the bytes the memory holds (read beforehand without the
 * machine); every return value, fault, statistic, the RAM and the backed
 * pages agree. */
static void touch_matches_preset(const char *preset)
{
    side a, b;
    setup_preset(&a, preset, 0);
    setup_preset(&b, preset, 0);
    lpae_cpu *ca = lpae_machine_cpu(a.m, 0), *cb = lpae_machine_cpu(b.m, 0);
    static const lpae_va_t bases[] = {0x1000, 0x2000, 0x3000, 0x4000, 0x200000, 0x3FF000};
    static const unsigned accs[] = {LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX, LPAE_ACC_PR,
                                    LPAE_ACC_PW};
    uint64_t x = 0x2545F4914F6CDD1Du;
    unsigned ok = 0, faults = 0, stores = 0, runs = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t r = next(&x);
        lpae_va_t va = bases[r % 6] + (lpae_va_t)((r >> 8) & 0xFFF);
        size_t room = LPAE_PAGE_SIZE - (va & 0xFFF);
        size_t len = 1 + (size_t)((r >> 24) % ((r >> 40) & 1 ? 300 : 16));
        if (len > room)
            len = room;
        unsigned acc = accs[(r >> 32) % 5];
        lpae_xlate fa, fb;
        memset(&fa, 0x5A, sizeof fa);
        memset(&fb, 0x5A, sizeof fb);
        unsigned char buf[LPAE_PAGE_SIZE];
        int ea = lpae_cpu_touch(ca, va, acc, len, &fa), eb;
        if (acc & LPAE_ACC_WRITE) {
            lpae_pa_t pa = pa_of(va);
            memset(buf, 0, len);
            if (pa)
                assert_int_equal(lpae_phys_read(b.phys, pa, buf, len), LPAE_OK);
            eb = lpae_cpu_write(cb, va, acc, buf, len, &fb, NULL);
            stores++;
        } else {
            eb = lpae_cpu_read(cb, va, acc, buf, len, &fb, NULL);
        }
        assert_int_equal(ea, eb);
        if (ea == LPAE_EFAULT) { /* the fields a fault defines (not the padding) */
            assert_int_equal(fa.va, fb.va);
            assert_int_equal(fa.fault, fb.fault);
            assert_int_equal(fa.fsc, fb.fsc);
            assert_int_equal(fa.level, fb.level);
            assert_int_equal(fa.sel, fb.sel);
        }
        ok += ea == LPAE_OK;
        faults += ea == LPAE_EFAULT;
        runs += ea == LPAE_OK && ((pa_of(va) ^ (pa_of(va) + len - 1)) >> 6) != 0;
        cpu_stats_agree(ca, cb);
        caches_agree(&a, &b);
        if (i % 5000 == 4999)
            cache_lines_agree(&a, &b, RAM_BASE, BLK + 0x200000);
    }
    assert_true(ok > 5000 && faults > 1000 && stores > 5000 && runs > 1000);
    lpae_phys_stats pa_, pb;
    memset(&pa_, 0, sizeof pa_);
    memset(&pb, 0, sizeof pb);
    assert_int_equal(lpae_phys_stats_get(a.phys, &pa_), LPAE_OK);
    assert_int_equal(lpae_phys_stats_get(b.phys, &pb), LPAE_OK);
    assert_memory_equal(&pa_, &pb, sizeof pa_);
    ram_agrees(&a, &b, RAM_BASE, BLK + 0x200000);
    teardown(&a);
    teardown(&b);
}

static void touch_matches_read_write(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
        touch_matches_preset(presets[k]);
}

/* Many user pages (more than a micro-TLB holds) for touch_fast_path():
 * VA 0x10000 + 4K i, i < UPAGES, at PA UPG + 4K i, every eighth read-only. */
#define UPAGES 64u
#define UPG (RAM_BASE + 0x400000)

static void map_user_pages(side *s)
{
    for (unsigned i = 0; i < UPAGES; i++)
        w64(s, L3T + 8u * (16 + i),
            leaf(UPG + 0x1000u * i, 3, i % 8 == 7 ? LPAE_AP_RO : LPAE_AP_RW));
}

static void set_asid(side *s, uint8_t asid)
{
    lpae_cpu *c = lpae_machine_cpu(s->m, 0);
    lpae_regs r = *lpae_cpu_regs(c);
    assert_int_equal(lpae_regs_set_ttbr(&r, 0, ROOT | ((uint64_t)asid << LPAE_TTBR_ASID_SHIFT)),
                     LPAE_OK);
    assert_int_equal(lpae_cpu_set_regs(c, &r), LPAE_OK);
}

/* Every statistic the two CPUs keep: the totals, per ASID, per region. */
static void stats_agree(side *a, side *b, const uint8_t *asids, size_t nasids)
{
    lpae_cpu *ca = lpae_machine_cpu(a->m, 0), *cb = lpae_machine_cpu(b->m, 0);
    cpu_stats_agree(ca, cb);
    for (size_t k = 0; k < nasids; k++) {
        lpae_xstats xa, xb;
        memset(&xa, 0, sizeof xa);
        memset(&xb, 0, sizeof xb);
        assert_int_equal(lpae_cpu_asid_stats(ca, asids[k], &xa),
                         lpae_cpu_asid_stats(cb, asids[k], &xb));
        assert_memory_equal(&xa, &xb, sizeof xa);
    }
    size_t nr = lpae_machine_region_count(a->m);
    assert_int_equal(nr, lpae_machine_region_count(b->m));
    for (size_t i = 0; i < nr; i++) {
        lpae_xstats xa, xb;
        memset(&xa, 0, sizeof xa);
        memset(&xb, 0, sizeof xb);
        assert_int_equal(lpae_cpu_region_stats(ca, i, &xa), LPAE_OK);
        assert_int_equal(lpae_cpu_region_stats(cb, i, &xb), LPAE_OK);
        assert_memory_equal(&xa, &xb, sizeof xa);
    }
}

/* lpae_cpu_touch's fused micro-TLB hit (a fast-path entry answering with a
 * plain hit) against lpae_cpu_read/write, which take the full translation:
 * user touches with locality over more pages than a micro-TLB holds (so its
 * LRU choices show any difference in the hits' stamps), two ASIDs (one
 * first seen mid-run), region rules, permission faults on hits, unmapped
 * pages; with and without a micro-TLB hit latency (then no hit is plain).
 * Every return value, fault and statistic (totals, per ASID, per region)
 * agrees after every access. */
static void touch_fast_path(void **state)
{
    (void)state;
    for (uint32_t lat = 0; lat <= 2; lat += 2) {
        side a, b;
        setup_lat(&a, lat);
        setup_lat(&b, lat);
        map_user_pages(&a);
        map_user_pages(&b);
        lpae_region_rule rules[2] = {{"low", 0x10000, 0x2FFFF, LPAE_SEL_TTBR0, -1},
                                     {"high5", 0x30000, 0x4FFFF, -1, 5}};
        assert_int_equal(lpae_machine_set_regions(a.m, rules, 2), LPAE_OK);
        assert_int_equal(lpae_machine_set_regions(b.m, rules, 2), LPAE_OK);
        lpae_cpu *ca = lpae_machine_cpu(a.m, 0), *cb = lpae_machine_cpu(b.m, 0);
        static const unsigned accs[] = {LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX};
        static const uint8_t asids[] = {3, 5};
        uint64_t x = 0x7F4A7C159E3779B9u ^ lat;
        unsigned ok = 0, faults = 0, switches = 0;
        uint8_t asid = 3;
        for (unsigned i = 0; i < 30000; i++) {
            uint64_t r = next(&x);
            if (i >= 5000 && r % 400 == 0) { /* ASID 5 first seen after 5000 touches */
                asid = asid == 3 ? 5 : 3;
                set_asid(&a, asid);
                set_asid(&b, asid);
                switches++;
            }
            /* 3/4 of the touches within a few hot pages */
            unsigned pg = (r >> 8) % 4 ? (unsigned)(r >> 16) % 6 : (unsigned)(r >> 16) % UPAGES;
            lpae_va_t va = 0x10000 + 0x1000 * pg + (lpae_va_t)((r >> 24) & 0xFFF);
            if ((r >> 40) % 64 == 0)
                va = 0x4000 + (va & 0xFFF); /* unmapped: a translation fault */
            size_t room = LPAE_PAGE_SIZE - (va & 0xFFF);
            size_t len = 1 + (size_t)((r >> 44) % 48);
            if (len > room)
                len = room;
            unsigned acc = accs[(r >> 52) % 3];
            unsigned char buf[64];
            lpae_xlate fa, fb;
            memset(&fa, 0x5A, sizeof fa);
            memset(&fb, 0x5A, sizeof fb);
            int ea = lpae_cpu_touch(ca, va, acc, len, &fa), eb;
            if (acc & LPAE_ACC_WRITE) {
                memset(buf, 0, len);
                if (va >= 0x10000)
                    assert_int_equal(lpae_phys_read(b.phys, UPG + (va - 0x10000), buf, len),
                                     LPAE_OK);
                eb = lpae_cpu_write(cb, va, acc, buf, len, &fb, NULL);
            } else {
                eb = lpae_cpu_read(cb, va, acc, buf, len, &fb, NULL);
            }
            assert_int_equal(ea, eb);
            if (ea == LPAE_EFAULT) {
                assert_int_equal(fa.va, fb.va);
                assert_int_equal(fa.fault, fb.fault);
                assert_int_equal(fa.fsc, fb.fsc);
                assert_int_equal(fa.level, fb.level);
            }
            ok += ea == LPAE_OK;
            faults += ea == LPAE_EFAULT;
            stats_agree(&a, &b, asids, 2);
            caches_agree(&a, &b);
        }
        cache_lines_agree(&a, &b, RAM_BASE, UPG + 0x1000u * UPAGES);
        lpae_cpu_stats st;
        memset(&st, 0, sizeof st);
        assert_int_equal(lpae_cpu_stats_get(ca, &st), LPAE_OK);
        /* mostly micro-TLB hits, with misses (evictions) and faults */
        for (unsigned u = LPAE_ST_UTLB_I; u <= LPAE_ST_UTLB_DS; u++)
            assert_true(st.hits[u] > 5000 && st.misses[u] > 1000);
        assert_true(ok > 20000 && faults > 500 && switches > 20);
        teardown(&a);
        teardown(&b);
    }
}

static void on_report(void *ctx, const lpae_coherence_report *r)
{
    *(uint64_t *)ctx = r->event;
}

/* The inline readers of memops_internal.h against the public calls: the
 * cycle total after random work, and the event id a coherence report
 * carries. */
static void inline_cycles_and_event(void **state)
{
    (void)state;
    side a;
    setup(&a);
    lpae_cpu *c = lpae_machine_cpu(a.m, 0);
    uint64_t x = 0x1234567;
    for (unsigned i = 0; i < 2000; i++) {
        uint64_t r = next(&x), v = r;
        lpae_va_t va = (lpae_va_t)(0x1000 + (r & 0x1FF8));
        if (r >> 63)
            (void)lpae_cpu_store64(c, va, LPAE_ACC_UW, &v);
        else
            (void)lpae_cpu_load64(c, va, LPAE_ACC_UR, &v);
        assert_int_equal(lpae_cpu_cycles_in(c), lpae_cpu_cycles(c));
    }
    assert_true(lpae_cpu_cycles(c) > 0);
    /* a stale micro-TLB entry (the PTE changed without maintenance) is
     * reported with the event id set inline */
    uint64_t v, seen = 0;
    assert_int_equal(lpae_cpu_load64(c, 0x1000, LPAE_ACC_UR, &v), LPAE_OK);
    w64(&a, L3T + 8, leaf(PG_B, 3, LPAE_AP_RW));
    lpae_machine_set_checker(a.m, on_report, &seen);
    lpae_cpu_set_event_in(c, UINT64_C(0xE7E47));
    assert_int_equal(lpae_cpu_load64(c, 0x1000, LPAE_ACC_UR, &v), LPAE_OK);
    assert_int_equal(seen, UINT64_C(0xE7E47));
    teardown(&a);
}

/* lpae_cpu_copy's argument check of the two access codes against the
 * contract's words: the destination a valid code that writes, the source a
 * valid code that neither writes nor executes; every pair of codes 0..11
 * (an empty copy, so a valid pair returns LPAE_OK and *done is 0). */
static void copy_access_check(void **state)
{
    (void)state;
    side a;
    setup(&a);
    lpae_cpu *c = lpae_machine_cpu(a.m, 0);
    unsigned valid = 0;
    for (unsigned d = 0; d < 12; d++)
        for (unsigned s = 0; s < 12; s++) {
            bool ok = LPAE_ACC_VALID(d) && (d & LPAE_ACC_WRITE) && LPAE_ACC_VALID(s) &&
                      !(s & (LPAE_ACC_WRITE | LPAE_ACC_EXEC));
            size_t done = 99;
            int rc = lpae_cpu_copy(c, 0x2000, d, 0x1000, s, 0, &done, NULL, NULL);
            assert_int_equal(rc, ok ? LPAE_OK : LPAE_EINVAL);
            assert_int_equal(done, 0);
            valid += ok;
        }
    assert_int_equal(valid, 4); /* PW/UW from PR/UR */
    assert_int_equal(
        lpae_cpu_copy(NULL, 0x2000, LPAE_ACC_UW, 0x1000, LPAE_ACC_UR, 0, NULL, NULL, NULL),
        LPAE_EINVAL);
    teardown(&a);
}

/* lpae_cpu_copy() without a progress or cycle count (the one-step way a
 * copy that crosses no page takes) against the same copies with both asked
 * for (the page-step loop): every return value, fault, statistic, cache
 * counter, cached line and RAM byte agrees, and the cycles the second
 * side reports are what its total grew by. Copies between user pages, the
 * read-only page, an unmapped page and the kernel block, some crossing a
 * page, some faulting, some empty. */
static void copy_step_matches_preset(const char *preset)
{
    side a, b;
    setup_preset(&a, preset, 0);
    setup_preset(&b, preset, 0);
    lpae_cpu *ca = lpae_machine_cpu(a.m, 0), *cb = lpae_machine_cpu(b.m, 0);
    /* kernel pages 16 KB apart share L1D sets with each other and with
     * PG_A: more lines than ways, so the order of accesses shows */
    static const lpae_va_t bases[] = {0x1000,   0x2000,   0x3000,   0x4000,
                                      0x200000, 0x204000, 0x208000, 0x3FF000};
    uint64_t x = 0x853C49E6748FEA9Bu;
    unsigned ok = 0, faults = 0, crossing = 0, runs = 0;
    for (unsigned i = 0; i < 6000; i++) {
        uint64_t r = next(&x);
        lpae_va_t src = bases[r % 8] + (lpae_va_t)((r >> 8) & 0xFFF);
        lpae_va_t dst = bases[(r >> 20) % 8] + (lpae_va_t)((r >> 24) & 0xFFF);
        size_t len = (size_t)((r >> 36) % ((r >> 48) & 1 ? 4097 : 200));
        unsigned sacc = (r >> 50) & 1 ? LPAE_ACC_UR : LPAE_ACC_PR;
        unsigned dacc = (r >> 51) & 1 ? LPAE_ACC_UW : LPAE_ACC_PW;
        lpae_xlate fa, fb;
        memset(&fa, 0x5A, sizeof fa);
        memset(&fb, 0x5A, sizeof fb);
        size_t done = 99;
        lpae_cycles_t cyc = 0, before = lpae_cpu_cycles(cb);
        int ea = lpae_cpu_copy(ca, dst, dacc, src, sacc, len, NULL, &fa, NULL);
        int eb = lpae_cpu_copy(cb, dst, dacc, src, sacc, len, &done, &fb, &cyc);
        assert_int_equal(ea, eb);
        assert_int_equal(cyc, lpae_cpu_cycles(cb) - before);
        if (ea == LPAE_OK)
            assert_int_equal(done, len);
        if (ea == LPAE_EFAULT) {
            assert_int_equal(fa.va, fb.va);
            assert_int_equal(fa.fault, fb.fault);
            assert_int_equal(fa.fsc, fb.fsc);
            assert_int_equal(fa.level, fb.level);
            assert_int_equal(fa.sel, fb.sel);
        }
        bool cross = len && ((src & 0xFFF) + len > 0x1000 || (dst & 0xFFF) + len > 0x1000);
        ok += ea == LPAE_OK;
        faults += ea == LPAE_EFAULT;
        crossing += cross;
        runs += ea == LPAE_OK && !cross && len > 256;
        cpu_stats_agree(ca, cb);
        caches_agree(&a, &b);
        /* the lines held after each copy (the tables' and data pages'
         * lines compete for the same sets: the order of the accesses
         * shows in which stay) */
        static const lpae_pa_t pages[] = {ROOT, L2T, L3T,          PG_A,         PG_B,
                                          PG_R, BLK, BLK + 0x4000, BLK + 0x8000, BLK + 0x1FF000};
        const lpae_cache *c[2][2] = {{lpae_cpu_l1d(ca), lpae_machine_l2(a.m)},
                                     {lpae_cpu_l1d(cb), lpae_machine_l2(b.m)}};
        for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++)
            for (lpae_pa_t pa = pages[k]; pa < pages[k] + 0x1000; pa += 64)
                for (unsigned l = 0; l < 2; l++)
                    assert_int_equal(lpae_cache_probe(c[0][l], pa), lpae_cache_probe(c[1][l], pa));
    }
    assert_true(ok > 1000 && faults > 1000 && crossing > 500 && runs > 200);
    ram_agrees(&a, &b, RAM_BASE, BLK + 0x200000);
    teardown(&a);
    teardown(&b);
}

static void copy_step_matches_loop(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof presets / sizeof presets[0]; k++)
        copy_step_matches_preset(presets[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_store_match_public_calls),
        cmocka_unit_test(touch_matches_read_write),
        cmocka_unit_test(touch_fast_path),
        cmocka_unit_test(inline_cycles_and_event),
        cmocka_unit_test(copy_access_check),
        cmocka_unit_test(copy_step_matches_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
