/* SPDX-License-Identifier: MIT */
/* TLB levels and walk caches as structures: matching, sizes, replacement
 * order, every invalidation kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/tlb.h"
#include "tlb/repl.h"
#include "tlb/tlb_impl.h"
#include "tlb/walkcache_impl.h"

#define S4K (1u << 12)
#define S2M (1u << 21)
#define S1G (1u << 30)

static lpae_tlb *mk(uint32_t entries, uint32_t ways, uint32_t sizes, unsigned repl)
{
    lpae_tlb_config cfg = {entries, ways, sizes, repl, 42};
    lpae_tlb *t = NULL;
    assert_int_equal(lpae_tlb_create(&cfg, &t), LPAE_OK);
    return t;
}

/* A translation as a walk would report it. */
static lpae_tlb_entry tr(lpae_pa_t pa, unsigned leaf_shift, bool global, uint8_t asid)
{
    lpae_tlb_entry e;
    memset(&e, 0, sizeof e);
    e.pa = pa;
    e.leaf_shift = (uint8_t)leaf_shift;
    e.size_shift = (uint8_t)leaf_shift;
    e.level = leaf_shift == 12 ? 3 : leaf_shift == 21 ? 2 : 1;
    e.global = global;
    e.asid = asid;
    e.attrs.ng = !global;
    e.attrs.perm = 0x3f;
    e.attrs.ap = LPAE_AP_RW;
    return e;
}

static void hit_miss_and_asid_matching(void **state)
{
    (void)state;
    lpae_tlb *t = mk(8, 8, S4K, LPAE_REPL_LRU);
    lpae_tlb_entry a = tr(0x80001000, 12, false, 5);
    assert_null(lpae_tlb_lookup(t, 0x1000, 5));
    const lpae_tlb_entry *e = lpae_tlb_insert(t, 0x1234, &a, NULL);
    assert_non_null(e);
    assert_int_equal(e->va, 0x1000);
    assert_int_equal(e->pa, 0x80001000 - 0x234);
    e = lpae_tlb_lookup(t, 0x1ffc, 5);
    assert_non_null(e);
    assert_int_equal(e->pa + (0x1ffc - e->va), 0x80001000 - 0x234 + 0xffc);
    assert_null(lpae_tlb_lookup(t, 0x1ffc, 6)); /* other ASID */
    assert_null(lpae_tlb_lookup(t, 0x2000, 5)); /* next page */
    lpae_tlb_entry g = tr(0x90000000, 12, true, 5);
    lpae_tlb_insert(t, 0xc0000000, &g, NULL);
    for (unsigned asid = 0; asid < 256; asid += 51)
        assert_non_null(lpae_tlb_lookup(t, 0xc0000ab0, (uint8_t)asid));
    lpae_tlb_stats st = lpae_tlb_stats_get(t);
    assert_int_equal(st.hits, 1 + 6);
    assert_int_equal(st.misses, 3);
    assert_int_equal(st.inserts, 2);
    assert_int_equal(lpae_tlb_count(t), 2);
    /* probe does not count */
    assert_non_null(lpae_tlb_probe(t, 0x1000, 5));
    assert_int_equal(lpae_tlb_stats_get(t).lookups, st.lookups);
    lpae_tlb_destroy(t);
}

static void block_cached_as_4k_pieces(void **state)
{
    (void)state;
    /* A15 L1: 4 KB only */
    lpae_tlb *t = mk(32, 32, S4K, LPAE_REPL_LRU);
    lpae_tlb_entry b = tr(0x40000000 + 0x5000, 21, false, 1); /* PA of VA 0x00205000 */
    const lpae_tlb_entry *e = lpae_tlb_insert(t, 0x00205000, &b, NULL);
    assert_int_equal(e->size_shift, 12);
    assert_int_equal(e->leaf_shift, 21);
    assert_int_equal(e->level, 2);
    assert_int_equal(e->va, 0x00205000);
    assert_int_equal(e->pa, 0x40005000);
    assert_non_null(lpae_tlb_lookup(t, 0x00205fff, 1));
    assert_null(lpae_tlb_lookup(t, 0x00206000, 1)); /* another piece of the same block */
    assert_null(lpae_tlb_lookup(t, 0x00204fff, 1));
    lpae_tlb_destroy(t);

    /* Main TLB holding 2 MB: one entry covers the block */
    t = mk(16, 4, S4K | S2M | S1G, LPAE_REPL_LRU);
    e = lpae_tlb_insert(t, 0x00205000, &b, NULL);
    assert_int_equal(e->size_shift, 21);
    assert_int_equal(e->va, 0x00200000);
    assert_int_equal(e->pa, 0x40000000);
    assert_non_null(lpae_tlb_lookup(t, 0x003fffff, 1));
    assert_null(lpae_tlb_lookup(t, 0x00400000, 1));
    /* 1 GB and 4 KB in the same set-associative TLB */
    lpae_tlb_entry g = tr(0x1000, 30, true, 0); /* PA of 0x40001000 */
    lpae_tlb_insert(t, 0x40001000, &g, NULL);
    lpae_tlb_entry p = tr(0x123000, 12, false, 1);
    lpae_tlb_insert(t, 0x00001000, &p, NULL);
    e = lpae_tlb_lookup(t, 0x7fffffff, 9);
    assert_non_null(e);
    assert_int_equal(e->size_shift, 30);
    assert_int_equal(e->pa + (0x7fffffff - e->va), 0x3fffffff);
    e = lpae_tlb_lookup(t, 0x00001008, 1);
    assert_non_null(e);
    assert_int_equal(e->size_shift, 12);
    assert_int_equal(lpae_tlb_piece_shift(S4K | (1u << 29), 30), 29); /* A53: 1 GB as 512 MB */
    assert_int_equal(lpae_tlb_piece_shift(S4K | (1u << 20), 21), 20); /* A72 L1: 2 MB as 1 MB */
    assert_int_equal(lpae_tlb_piece_shift(S4K, 11), 0);
    lpae_tlb_destroy(t);
}

/* Fill one 4-way set (4 KB pages that index set 0 of a 16x4 TLB) and
 * return the VA of the entry the next fill evicts. */
static lpae_va_t set_va(unsigned i)
{
    return (lpae_va_t)(i * 4u) << 12; /* 4 sets: VA page multiple of 4 -> set 0 */
}

static lpae_va_t victim_after(lpae_tlb *t, unsigned newcomer)
{
    lpae_tlb_entry ev, x = tr(0x1000000 + newcomer * 0x1000u, 12, false, 0);
    assert_non_null(lpae_tlb_insert(t, set_va(newcomer), &x, &ev));
    assert_true(ev.valid);
    return ev.va;
}

static void fill_set(lpae_tlb *t)
{
    for (unsigned i = 0; i < 4; i++) {
        lpae_tlb_entry x = tr(0x1000000 + i * 0x1000u, 12, false, 0);
        lpae_tlb_entry ev;
        lpae_tlb_insert(t, set_va(i), &x, &ev);
        assert_false(ev.valid); /* invalid ways first */
    }
}

static void replacement_orders(void **state)
{
    (void)state;
    /* LRU */
    lpae_tlb *t = mk(16, 4, S4K, LPAE_REPL_LRU);
    fill_set(t);
    assert_non_null(lpae_tlb_lookup(t, set_va(0), 0)); /* 0 becomes MRU */
    assert_int_equal(victim_after(t, 4), set_va(1));
    assert_int_equal(victim_after(t, 5), set_va(2));
    assert_non_null(lpae_tlb_lookup(t, set_va(3), 0));
    assert_int_equal(victim_after(t, 6), set_va(0));
    lpae_tlb_destroy(t);

    /* tree PLRU, 4 ways: fills touch ways 0,1,2,3 -> root points left, left node to way 0 */
    t = mk(16, 4, S4K, LPAE_REPL_PLRU);
    fill_set(t);
    assert_int_equal(victim_after(t, 4), set_va(0)); /* way 0 replaced, touched */
    /* root now points right; right node last touched way 3 -> victim way 2 */
    assert_int_equal(victim_after(t, 5), set_va(2));
    /* root points left; left node last touched way 0 -> way 1 */
    assert_int_equal(victim_after(t, 6), set_va(1));
    lpae_tlb_destroy(t);

    /* round-robin ignores hits */
    t = mk(16, 4, S4K, LPAE_REPL_RR);
    fill_set(t);
    assert_non_null(lpae_tlb_lookup(t, set_va(0), 0));
    assert_int_equal(victim_after(t, 4), set_va(0));
    assert_int_equal(victim_after(t, 5), set_va(1));
    assert_int_equal(victim_after(t, 6), set_va(2));
    assert_int_equal(victim_after(t, 7), set_va(3));
    assert_int_equal(victim_after(t, 8), set_va(4)); /* way 0 again */
    lpae_tlb_destroy(t);

    /* random: same seed, same sequence; a different seed differs somewhere */
    lpae_va_t seq[2][40];
    for (int run = 0; run < 2; run++) {
        lpae_tlb_config cfg = {16, 4, S4K, LPAE_REPL_RANDOM, run == 0 ? 7 : 8};
        lpae_tlb *r;
        assert_int_equal(lpae_tlb_create(&cfg, &r), 0);
        fill_set(r);
        for (unsigned i = 0; i < 40; i++)
            seq[run][i] = victim_after(r, 4 + i);
        lpae_tlb_reset(r);
        assert_int_equal(lpae_tlb_count(r), 0);
        fill_set(r);
        for (unsigned i = 0; i < 40; i++)
            assert_int_equal(victim_after(r, 4 + i), seq[run][i]);
        lpae_tlb_destroy(r);
    }
    assert_true(memcmp(seq[0], seq[1], sizeof seq[0]) != 0);
}

static void invalidation_kinds(void **state)
{
    (void)state;
    lpae_tlb *t = mk(64, 64, S4K | S2M, LPAE_REPL_LRU);
    lpae_tlb_entry a1 = tr(0x1000, 12, false, 1), a2 = tr(0x2000, 12, false, 2);
    lpae_tlb_entry g = tr(0x3000, 12, true, 0), blk = tr(0x400000, 21, false, 1);
    lpae_tlb_entry b1 = tr(0x5000, 12, false, 1);
    /* same VA 0x10000 in ASIDs 1 and 2, a global at 0x20000, a block, another page */
    lpae_tlb_insert(t, 0x10000, &a1, NULL);
    lpae_tlb_insert(t, 0x10000, &a2, NULL);
    lpae_tlb_insert(t, 0x20000, &g, NULL);
    lpae_tlb_insert(t, 0x00600000, &blk, NULL);
    lpae_tlb_insert(t, 0x30000, &b1, NULL);
    assert_int_equal(lpae_tlb_count(t), 5);

    /* TLBIMVA: VA + ASID; the other ASID's entry stays */
    assert_int_equal(lpae_tlb_inv_va(t, 0x10abc, 1), 1);
    assert_null(lpae_tlb_probe(t, 0x10000, 1));
    assert_non_null(lpae_tlb_probe(t, 0x10000, 2));
    /* TLBIMVA also removes a global entry of that VA, whatever the ASID */
    assert_int_equal(lpae_tlb_inv_va(t, 0x20000, 77), 1);
    assert_null(lpae_tlb_probe(t, 0x20000, 0));
    /* TLBIMVA by any address inside a block removes the block */
    assert_int_equal(lpae_tlb_inv_va(t, 0x007ff000, 1), 1);
    lpae_tlb_insert(t, 0x20000, &g, NULL);
    lpae_tlb_insert(t, 0x10000, &a1, NULL);
    /* TLBIASID: non-global of that ASID only */
    assert_int_equal(lpae_tlb_inv_asid(t, 1), 2);   /* 0x10000/1 and 0x30000/1 */
    assert_non_null(lpae_tlb_probe(t, 0x20000, 1)); /* global stays */
    assert_non_null(lpae_tlb_probe(t, 0x10000, 2));
    /* TLBIMVAA: every ASID */
    lpae_tlb_insert(t, 0x10000, &a1, NULL);
    assert_int_equal(lpae_tlb_inv_va_all(t, 0x10000), 2);
    assert_int_equal(lpae_tlb_count(t), 1);
    /* TLBIALL */
    assert_int_equal(lpae_tlb_inv_all(t), 1);
    assert_int_equal(lpae_tlb_count(t), 0);
    assert_int_equal(lpae_tlb_stats_get(t).invalidated, 1 + 1 + 1 + 2 + 2 + 1);
    lpae_tlb_destroy(t);
}

static void serials_change_on_refill(void **state)
{
    (void)state;
    lpae_tlb *t = mk(1, 1, S4K, LPAE_REPL_LRU);
    lpae_tlb_entry a = tr(0x1000, 12, false, 1);
    uint32_t s1 = lpae_tlb_insert(t, 0x1000, &a, NULL)->serial;
    uint32_t s2 = lpae_tlb_insert(t, 0x2000, &a, NULL)->serial;
    assert_int_not_equal(s1, 0);
    assert_int_not_equal(s1, s2);
    lpae_tlb_inv_all(t);
    assert_int_equal(lpae_tlb_slot(t, 0)->serial, 0);
    assert_false(lpae_tlb_slot(t, 0)->valid);
    assert_null(lpae_tlb_slot(t, 1));
    assert_int_equal(lpae_tlb_capacity(t), 1);
    lpae_tlb_destroy(t);
}

static void bad_configs(void **state)
{
    (void)state;
    lpae_tlb *t = NULL;
    lpae_tlb_config c = {0, 1, S4K, 0, 0};
    assert_int_equal(lpae_tlb_create(&c, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){12, 4, S4K, 0, 0}; /* 3 sets */
    assert_int_equal(lpae_tlb_create(&c, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){16, 4, S2M, 0, 0}; /* no 4 KB */
    assert_int_equal(lpae_tlb_create(&c, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){16, 4, 0, 0, 0}; /* internal: no size at all */
    assert_int_equal(tlb_create_any(&c, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){16, 4, S2M | (1u << 13), 0, 0}; /* a size no TLB holds */
    assert_int_equal(tlb_create_any(&c, &t), LPAE_EINVAL);
    assert_int_equal(tlb_create_any(NULL, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){48, 48, S4K, LPAE_REPL_PLRU, 0};
    assert_int_equal(lpae_tlb_create(&c, &t), LPAE_EINVAL);
    c = (lpae_tlb_config){16, 4, S4K, 9, 0};
    assert_int_equal(lpae_tlb_create(&c, &t), LPAE_EINVAL);
    assert_int_equal(lpae_tlb_create(NULL, &t), LPAE_EINVAL);
    assert_null(t);
    t = mk(4, 4, S4K, 0);
    lpae_tlb_entry bad = tr(0, 12, false, 0);
    bad.leaf_shift = 40;
    assert_null(lpae_tlb_insert(t, 0, &bad, NULL));
    assert_null(lpae_tlb_insert(t, 0, NULL, NULL));
    assert_null(lpae_tlb_lookup(NULL, 0, 0));
    lpae_tlb_destroy(t);
}

/* Randomized against a reference: a fully associative LRU TLB must hold
 * exactly the N most recently used distinct (page, ASID) keys. */
static void randomized_lru_against_reference(void **state)
{
    (void)state;
    enum { N = 8, OPS = 20000 };
    lpae_tlb *t = mk(N, N, S4K, LPAE_REPL_LRU);
    uint32_t ref[N];
    unsigned nref = 0;
    uint64_t x = 12345;
    for (unsigned op = 0; op < OPS; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t page = (uint32_t)(x % 14), asid = (uint32_t)((x >> 8) % 2);
        uint32_t key = page << 8 | asid;
        lpae_va_t va = page << 12;
        const lpae_tlb_entry *e = lpae_tlb_lookup(t, va, (uint8_t)asid);
        int pos = -1;
        for (unsigned i = 0; i < nref; i++)
            if (ref[i] == key)
                pos = (int)i;
        assert_int_equal(e != NULL, pos >= 0);
        if (pos < 0) {
            lpae_tlb_entry n = tr(0x100000 + page * 0x1000u, 12, false, (uint8_t)asid);
            lpae_tlb_insert(t, va, &n, NULL);
            if (nref == N) {
                memmove(ref, ref + 1, (N - 1) * sizeof ref[0]);
                nref--;
            }
        } else {
            memmove(ref + pos, ref + pos + 1, (nref - (unsigned)pos - 1) * sizeof ref[0]);
            nref--;
        }
        ref[nref++] = key; /* most recent last */
    }
    lpae_tlb_destroy(t);
}

static lpae_walkcache *mkwc(unsigned level, bool tagged)
{
    lpae_walkcache_config cfg = {16, 4, LPAE_REPL_LRU, level, tagged, 1};
    lpae_walkcache *wc = NULL;
    assert_int_equal(lpae_walkcache_create(&cfg, &wc), LPAE_OK);
    return wc;
}

static void walkcache_rules(void **state)
{
    (void)state;
    lpae_walkcache *wc = mkwc(2, true);
    lpae_fetch f = {2, 0x6, 0x80003008, UINT64_C(0x0000000080042003) | LPAE_DESC_PXNTABLE};
    const lpae_wc_entry *e = lpae_walkcache_insert(wc, 0x00234567, 3, 0, &f);
    assert_non_null(e);
    assert_int_equal(e->va, 0x00200000);
    assert_int_equal(e->table_pa, 0x80042000);
    assert_int_equal(e->table_attrs, 0x6);
    assert_int_equal(e->level, 2);
    assert_non_null(lpae_walkcache_lookup(wc, 0x003fffff, 3));
    assert_null(lpae_walkcache_lookup(wc, 0x00400000, 3));
    assert_null(lpae_walkcache_lookup(wc, 0x00200000, 4)); /* ASID-tagged */
    /* not a table descriptor, or the wrong level */
    lpae_fetch blk = {2, 0, 0x80003010, UINT64_C(0x40000401)};
    assert_null(lpae_walkcache_insert(wc, 0x00400000, 3, 0, &blk));
    lpae_fetch l1 = {1, 0, 0x80000000, UINT64_C(0x80003003)};
    assert_null(lpae_walkcache_insert(wc, 0x00400000, 3, 0, &l1));
    /* maintenance */
    assert_int_equal(lpae_walkcache_inv_va(wc, 0x00210000, 4), 0);
    assert_int_equal(lpae_walkcache_inv_va(wc, 0x00210000, 3), 1);
    lpae_walkcache_insert(wc, 0x00234567, 3, 0, &f);
    lpae_walkcache_insert(wc, 0x00234567, 4, 0, &f);
    assert_int_equal(lpae_walkcache_count(wc), 2);
    assert_int_equal(lpae_walkcache_inv_asid(wc, 4), 1);
    assert_int_equal(lpae_walkcache_inv_va_all(wc, 0x00200000), 1);
    lpae_walkcache_insert(wc, 0x00234567, 4, 0, &f);
    assert_int_equal(lpae_walkcache_inv_all(wc), 1);
    lpae_tlb_stats st = lpae_walkcache_stats_get(wc);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    lpae_walkcache_destroy(wc);

    /* untagged: any ASID hits; TLBIASID must drop everything */
    wc = mkwc(1, false);
    lpae_fetch f1 = {1, 0, 0x80000018, UINT64_C(0x80005003)};
    e = lpae_walkcache_insert(wc, 0xc0001000, 1, 0, &f1);
    assert_int_equal(e->va, 0xc0000000);
    assert_non_null(lpae_walkcache_lookup(wc, 0xffffffff, 200));
    assert_int_equal(lpae_walkcache_inv_asid(wc, 9), 1);
    assert_int_equal(lpae_walkcache_count(wc), 0);
    lpae_walkcache_destroy(wc);

    lpae_walkcache_config bad = {16, 4, LPAE_REPL_LRU, 3, true, 0};
    assert_int_equal(lpae_walkcache_create(&bad, &wc), LPAE_EINVAL);
    bad.level = 2;
    bad.entries = 10;
    assert_int_equal(lpae_walkcache_create(&bad, &wc), LPAE_EINVAL);
}

/* A walk-cache hit returns the slot's payload as it is (wc_lookup() copies
 * nothing): under random inserts, lookups and maintenance of every kind,
 * every hit's payload names the engine slot that a plain scan finds
 * covering (va, ASID), with that slot's serial and valid flag; and a fully
 * associative walk cache's per-ASID slot masks equal the ones rebuilt from
 * its slots. */
static void walkcache_hit_payload_matches_engine(void **state)
{
    (void)state;
    for (int layout = 0; layout < 3; layout++) {
        /* fully associative (16 ways) and 4-way sets, tagged and not */
        lpae_walkcache_config cfg = {16, layout == 1 ? 4 : 16, LPAE_REPL_LRU, 2, layout != 2, 7};
        lpae_walkcache *wc = NULL;
        assert_int_equal(lpae_walkcache_create(&cfg, &wc), LPAE_OK);
        uint64_t x = 4242 + (uint64_t)layout;
        unsigned hits = 0;
        for (int op = 0; op < 50000; op++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            lpae_va_t va = (lpae_va_t)((x % 12) << 21 | (x >> 8 & 0x1FFFFF)); /* 12 blocks */
            uint8_t asid = (uint8_t)(1 + (x >> 30) % 3);
            unsigned k = (unsigned)((x >> 40) % 100);
            if (k < 35) {
                lpae_fetch f = {2, (uint8_t)(x >> 50 & 0x1F), 0x80003000 + (x >> 20 & 0xFF8),
                                (UINT64_C(0x80040000) + ((x >> 12 & 0xFF) << 12)) | 3u};
                assert_non_null(lpae_walkcache_insert(wc, va, asid, 0, &f));
            } else if (k < 90) {
                const lpae_tlb *t = wc->t;
                long want = -1;
                for (size_t i = 0; i < lpae_tlb_capacity(t) && want < 0; i++) {
                    const lpae_tlb_entry *e = lpae_tlb_slot(t, i);
                    if (e->valid && ((va ^ e->va) >> e->size_shift) == 0 &&
                        (e->global || e->asid == asid))
                        want = (long)i;
                }
                const lpae_wc_entry *p = lpae_walkcache_lookup(wc, va, asid);
                assert_int_equal(p != NULL, want >= 0);
                if (!p)
                    continue;
                hits++;
                size_t i = (size_t)(p - wc->p);
                const lpae_tlb_entry *e = lpae_tlb_slot(t, i);
                assert_true(e->valid);
                assert_true(p->valid);
                assert_int_equal(p->serial, e->serial);
                assert_int_equal(p->va, e->va);
                assert_int_equal(p->table_pa, e->pa);
                assert_int_equal(p->asid, e->asid);
                assert_true(((va ^ p->va) >> 21) == 0);
            } else if (k < 95) {
                lpae_walkcache_inv_va(wc, va, asid);
            } else if (k < 97) {
                lpae_walkcache_inv_va_all(wc, va);
            } else if (k < 99) {
                lpae_walkcache_inv_asid(wc, asid);
            } else if ((x >> 56) % 2) {
                lpae_walkcache_reset(wc);
            } else {
                lpae_walkcache_inv_all(wc);
            }
            /* a fully associative walk cache's ASID masks (TLBI by VA and
             * ASID) against the slots: rebuilt from scratch after every step */
            const lpae_tlb *t = wc->t;
            assert_int_equal(t->amask != NULL, t->fa != NULL);
            if (t->amask && (op % 7 == 0 || k >= 90)) {
                uint64_t g = 0, a[256] = {0};
                for (size_t i = 0; i < lpae_tlb_capacity(t); i++) {
                    const lpae_tlb_entry *e = lpae_tlb_slot(t, i);
                    if (!e->valid)
                        continue;
                    if (e->global)
                        g |= UINT64_C(1) << i;
                    else
                        a[e->asid] |= UINT64_C(1) << i;
                }
                assert_int_equal(t->gmask, g);
                assert_memory_equal(t->amask, a, sizeof a);
            }
        }
        assert_true(hits > 5000);
        lpae_walkcache_destroy(wc);
    }
}

/* The LRU victim candidates of wide sets (repl.c) answer exactly what a full
 * scan of the stamps answers, under random touches, victims and resets. */
static void lru_candidates_match_full_scan(void **state)
{
    (void)state;
    const uint32_t sets = 4, ways_list[3] = {32, 40, 64};
    uint64_t x = 0x1234567;
    for (int wi = 0; wi < 3; wi++) {
        uint32_t ways = ways_list[wi];
        repl_state r;
        assert_int_equal(repl_init(&r, LPAE_REPL_LRU, sets, ways, 1), LPAE_OK);
        assert_non_null(r.cand);
        for (int step = 0; step < 260000; step++) {
            if (step == 200000) /* the clock near the packing limit: plain scans take over */
                r.clock = REPL_STAMP_LIMIT - 5000;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint32_t set = (uint32_t)(x % sets);
            unsigned op = (unsigned)((x >> 8) % 100);
            if (op < 60) {
                /* touch a way, biased to a few hot ones */
                uint32_t way =
                    (x >> 20) & 1 ? (uint32_t)((x >> 24) % 4) : (uint32_t)((x >> 24) % ways);
                repl_touch(&r, set, way);
            } else if (op < 99) {
                const uint64_t *s = r.stamp + (uint64_t)set * ways;
                uint32_t best = 0;
                for (uint32_t w = 1; w < ways; w++)
                    if (s[w] < s[best])
                        best = w;
                uint32_t v = repl_victim(&r, set);
                assert_int_equal(v, best);
                if ((x >> 40) & 1)
                    repl_touch(&r, set, v); /* the fill that follows a victim */
            } else if (step < 200000) {
                repl_reset(&r, sets, 1);
            }
        }
        assert_true(r.clock > REPL_STAMP_LIMIT);
        repl_free(&r);
    }
    /* narrow sets keep the plain scan */
    repl_state r;
    assert_int_equal(repl_init(&r, LPAE_REPL_LRU, 8, 4, 1), LPAE_OK);
    assert_null(r.cand);
    repl_free(&r);
}

/* The LRU victim from the touch log (repl_lru_victim_log, one set, every
 * way touched) answers what a full scan of the stamps answers, under random
 * touches biased to hot ways (so the oldest way falls out of the log and the
 * scan fallback runs), victims with and without the fill's touch, and
 * resets. */
static void lru_log_matches_full_scan(void **state)
{
    (void)state;
    const uint32_t ways_list[4] = {2, 8, 32, 64};
    uint64_t x = 0x9876543;
    unsigned fallbacks = 0, logged = 0;
    for (int wi = 0; wi < 4; wi++) {
        uint32_t ways = ways_list[wi];
        repl_state r;
        assert_int_equal(repl_init(&r, LPAE_REPL_LRU, 1, ways, 1), LPAE_OK);
        for (uint32_t w = 0; w < ways; w++)
            repl_touch(&r, 0, w); /* every way once */
        for (int step = 0; step < 200000; step++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned op = (unsigned)((x >> 8) % 1000);
            if (op < 700) {
                /* long phases on a few hot ways leave the oldest behind */
                bool hot = ((uint64_t)step >> 12) & 1;
                uint32_t way =
                    hot ? (uint32_t)((x >> 24) % (ways < 3 ? 1 : 3)) : (uint32_t)((x >> 24) % ways);
                repl_touch(&r, 0, way);
            } else if (op < 999) {
                const uint64_t *s = r.stamp;
                uint32_t best = 0;
                for (uint32_t w = 1; w < ways; w++)
                    if (s[w] < s[best])
                        best = w;
                bool fill = (x >> 40) & 1;
                if (r.clock - r.lpos < REPL_LOG)
                    logged++;
                else
                    fallbacks++;
                uint32_t v = repl_lru_victim_log(&r, fill);
                assert_int_equal(v, best);
                if (fill)
                    repl_touch(&r, 0, v); /* the fill that follows a victim */
            } else {
                repl_reset(&r, 1, 1);
                for (uint32_t w = ways; w-- > 0;)
                    repl_touch(&r, 0, w);
            }
        }
        repl_free(&r);
    }
    assert_true(fallbacks > 100); /* both ways of answering were exercised */
    assert_true(logged > 1000);
}

/* Slots covering @p va for @p asid (-1: any), counted by brute force. */
static size_t covering(const lpae_tlb *t, lpae_va_t va, int asid)
{
    size_t n = 0;
    for (size_t i = 0; i < lpae_tlb_capacity(t); i++) {
        const lpae_tlb_entry *e = lpae_tlb_slot(t, i);
        n += e->valid && ((va ^ e->va) >> e->size_shift) == 0 &&
             (asid < 0 || e->global || e->asid == (uint8_t)asid);
    }
    return n;
}

/* Lookups (which skip the scan of a fully associative TLB when the miss
 * filter says no slot can match) answer what a brute-force scan of the
 * slots answers, and invalidation by VA (which probes only the sets that
 * can hold the VA) removes exactly the covering slots, under mixed page
 * sizes, global entries, every invalidation kind and resets. */
static void lookups_match_brute_force(void **state)
{
    (void)state;
    const uint32_t sizes[4] = {S4K, S4K | S2M | S1G, S4K | S2M | S1G, S4K};
    const uint32_t ways[4] = {32, 32, 4, 2};
    uint64_t x = 777;
    for (int si = 0; si < 4; si++) {
        lpae_tlb *t = mk(si < 2 ? 32 : 64, ways[si], sizes[si], LPAE_REPL_LRU);
        unsigned hits = 0;
        for (int op = 0; op < 100000; op++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* 80 pages spread so that VA[19:12] buckets collide */
            lpae_va_t va = (lpae_va_t)((x % 80) * 0x1000u * 37u) & 0x3FFFFFFFu;
            uint8_t asid = (uint8_t)((x >> 20) % 3);
            unsigned k = (unsigned)((x >> 30) % 100);
            if (k < 60) {
                const lpae_tlb_entry *want = NULL;
                for (size_t i = 0; i < lpae_tlb_capacity(t); i++) {
                    const lpae_tlb_entry *e = lpae_tlb_slot(t, i);
                    if (e->valid && ((va ^ e->va) >> e->size_shift) == 0 &&
                        (e->global || e->asid == asid)) {
                        want = e;
                        break;
                    }
                }
                const lpae_tlb_entry *got = lpae_tlb_lookup(t, va, asid);
                if (ways[si] == 32) { /* one set: the first slot in way order */
                    assert_ptr_equal(got, want);
                } else { /* sets: sizes are probed smallest first */
                    assert_int_equal(got != NULL, want != NULL);
                    if (got)
                        assert_true(((va ^ got->va) >> got->size_shift) == 0 &&
                                    (got->global || got->asid == asid));
                }
                hits += got != NULL;
            } else if (k < 90) {
                unsigned shift = (x >> 40) % 8 == 0 ? 21 : (x >> 40) % 8 == 1 ? 30 : 12;
                lpae_tlb_entry n = tr(0x40000000, shift, (x >> 44) % 4 == 0, asid);
                lpae_tlb_insert(t, va, &n, NULL);
            } else if (k < 94) {
                size_t want = covering(t, va, asid);
                assert_int_equal(lpae_tlb_inv_va(t, va, asid), want);
                assert_int_equal(covering(t, va, asid), 0);
            } else if (k < 97) {
                size_t want = covering(t, va, -1);
                assert_int_equal(lpae_tlb_inv_va_all(t, va), want);
                assert_int_equal(covering(t, va, -1), 0);
            } else if (k < 99) {
                lpae_tlb_inv_asid(t, asid);
            } else if ((x >> 50) % 4 == 0) {
                lpae_tlb_reset(t);
            } else {
                lpae_tlb_inv_all(t);
            }
        }
        assert_true(hits > 1000);
        lpae_tlb_destroy(t);
    }
}

/* ---- a straightforward reference TLB -------------------------------------- */

/* Everything the library's TLB keeps, the plain way: slots scanned in order,
 * LRU by full scan of the stamps, round robin by a counter per set. */
#define REF_MAX 512
typedef struct ref_tlb {
    uint32_t sets, ways, sizes;
    unsigned policy;
    lpae_tlb_entry e[REF_MAX];
    uint64_t stamp[REF_MAX], clock;
    uint32_t rr[REF_MAX];
    lpae_tlb_stats st;
} ref_tlb;

static void ref_init(ref_tlb *r, uint32_t entries, uint32_t ways, uint32_t sizes, unsigned policy)
{
    memset(r, 0, sizeof *r);
    r->sets = entries / ways;
    r->ways = ways;
    r->sizes = sizes;
    r->policy = policy;
}

static bool ref_covers(const lpae_tlb_entry *e, lpae_va_t va, int asid)
{
    return e->valid && ((va ^ e->va) >> e->size_shift) == 0 &&
           (asid < 0 || e->global || e->asid == (uint8_t)asid);
}

static void ref_touch(ref_tlb *r, size_t i)
{
    r->stamp[i] = ++r->clock;
}

/* Slot index of the lookup's answer, or -1; @p count: a real lookup. */
static long ref_lookup(ref_tlb *r, lpae_va_t va, uint8_t asid, bool count)
{
    long hit = -1;
    if (r->sets == 1) {
        for (uint32_t w = 0; w < r->ways && hit < 0; w++)
            if (ref_covers(&r->e[w], va, asid))
                hit = (long)w;
    } else {
        /* the sizes present, smallest first; each probes its own set */
        for (unsigned s = 0; s < 32 && hit < 0; s++) {
            if (!(r->sizes & (1u << s)))
                continue;
            bool present = false;
            for (uint32_t i = 0; i < r->sets * r->ways; i++)
                present |= r->e[i].valid && r->e[i].size_shift == s;
            if (!present)
                continue;
            uint32_t set = (va >> s) & (r->sets - 1);
            for (uint32_t w = 0; w < r->ways && hit < 0; w++)
                if (ref_covers(&r->e[set * r->ways + w], va, asid))
                    hit = (long)(set * r->ways + w);
        }
    }
    if (count) {
        if (hit < 0) {
            r->st.misses++;
        } else {
            r->st.hits++;
            if (r->policy == LPAE_REPL_LRU)
                ref_touch(r, (size_t)hit);
        }
    }
    return hit;
}

static long ref_insert(ref_tlb *r, lpae_va_t va, const lpae_tlb_entry *in)
{
    unsigned lim =
        in->size_shift && in->size_shift < in->leaf_shift ? in->size_shift : in->leaf_shift;
    unsigned s = 0;
    for (unsigned k = 12; k <= lim; k++)
        if (r->sizes & (1u << k))
            s = k;
    lpae_va_t base = va & ~(lpae_va_t)((UINT64_C(1) << s) - 1);
    uint32_t set = (va >> s) & (r->sets - 1), way = r->ways;
    for (uint32_t w = 0; w < r->ways && way == r->ways; w++)
        if (!r->e[set * r->ways + w].valid)
            way = w;
    if (way == r->ways) {
        if (r->policy == LPAE_REPL_LRU) {
            way = 0;
            for (uint32_t w = 1; w < r->ways; w++)
                if (r->stamp[set * r->ways + w] < r->stamp[set * r->ways + way])
                    way = w;
        } else {
            way = r->rr[set];
            r->rr[set] = (way + 1) % r->ways;
        }
        r->st.evictions++;
    }
    lpae_tlb_entry *e = &r->e[set * r->ways + way];
    *e = *in;
    e->va = base;
    e->pa = in->pa - (va - base);
    e->size_shift = (uint8_t)s;
    e->valid = true;
    r->st.inserts++;
    if (r->policy == LPAE_REPL_LRU)
        ref_touch(r, set * r->ways + way);
    return (long)(set * r->ways + way);
}

/* Drop what @p kind selects (0 all, 1 ASID, 2 VA+ASID, 3 VA); returns how many. */
static size_t ref_inv(ref_tlb *r, unsigned kind, lpae_va_t va, uint8_t asid)
{
    size_t n = 0;
    for (uint32_t i = 0; i < r->sets * r->ways; i++) {
        lpae_tlb_entry *e = &r->e[i];
        bool drop = kind == 0   ? e->valid
                    : kind == 1 ? e->valid && !e->global && e->asid == asid
                    : kind == 2 ? ref_covers(e, va, asid)
                                : ref_covers(e, va, -1);
        if (drop) {
            e->valid = false;
            n++;
        }
    }
    r->st.invalidated += n;
    return n;
}

static void ref_compare(const ref_tlb *r, const lpae_tlb *t)
{
    size_t valid = 0;
    assert_int_equal(lpae_tlb_capacity(t), r->sets * r->ways);
    for (uint32_t i = 0; i < r->sets * r->ways; i++) {
        const lpae_tlb_entry *a = lpae_tlb_slot(t, i), *b = &r->e[i];
        assert_int_equal(a->valid, b->valid);
        if (!b->valid)
            continue;
        valid++;
        assert_int_equal(a->va, b->va);
        assert_int_equal(a->pa, b->pa);
        assert_int_equal(a->size_shift, b->size_shift);
        assert_int_equal(a->global, b->global);
        if (!b->global)
            assert_int_equal(a->asid, b->asid);
        /* the fills read an evicted slot's size and base from its key */
        assert_int_equal(tlb_key_size(&t->k[i]), b->size_shift);
        assert_int_equal(tlb_key_base(&t->k[i]), b->va);
        /* the machine builds main-TLB results from these bytes */
        assert_int_equal(a->level, b->level);
        assert_int_equal(a->leaf_shift, b->leaf_shift);
        assert_int_equal(a->sel, b->sel);
    }
    assert_int_equal(lpae_tlb_count(t), valid);
    lpae_tlb_stats st = lpae_tlb_stats_get(t);
    assert_int_equal(st.hits, r->st.hits);
    assert_int_equal(st.misses, r->st.misses);
    assert_int_equal(st.inserts, r->st.inserts);
    assert_int_equal(st.evictions, r->st.evictions);
    assert_int_equal(st.invalidated, r->st.invalidated);
}

/* The TLB (its per-size slot masks of fully associative TLBs, valid-way
 * masks, miss filters and set probing) against the reference above: the
 * same slot answers every lookup, every fill lands in the same slot, every
 * invalidation of each kind drops the same slots, under random fixed-seed
 * streams of lookups, probes, fills of mixed sizes, global and nG entries. */
static void matches_reference_tlb(void **state)
{
    (void)state;
    static const struct {
        uint32_t entries, ways, sizes;
    } geo[] = {
        {32, 32, S4K},                                        /* A15 micro-TLB */
        {32, 32, S4K | S2M | S1G},                            /* mixed sizes */
        {48, 48, S4K | (1u << 16) | (1u << 20)},              /* A72 I-side */
        {10, 10, S4K | (1u << 20)},                           /* A7 micro-TLB */
        {16, 16, S4K | S2M},                                  /* a walk cache */
        {80, 80, S4K | S2M},                                  /* > 64 ways: plain scan */
        {512, 4, S4K | S2M | S1G},                            /* A15 main TLB */
        {128, 2, S4K | (1u << 16) | (1u << 20) | (1u << 24)}, /* two ways */
        {16, 16, S2M},                                        /* walk caches: one size */
        {4, 4, S1G},                                          /* (tlb_create_any) */
        {64, 4, S2M},
    };
    static ref_tlb r;
    uint64_t x = 0x5eed;
    for (size_t g = 0; g < sizeof geo / sizeof geo[0]; g++) {
        for (unsigned pol = 0; pol < 2; pol++) {
            unsigned policy = pol ? LPAE_REPL_RR : LPAE_REPL_LRU;
            bool no4k = !(geo[g].sizes & S4K);
            lpae_tlb *t;
            if (no4k) {
                lpae_tlb_config cfg = {geo[g].entries, geo[g].ways, geo[g].sizes, policy, 1};
                assert_int_equal(lpae_tlb_create(&cfg, &t), LPAE_EINVAL);
                assert_int_equal(tlb_create_any(&cfg, &t), LPAE_OK);
            } else {
                t = mk(geo[g].entries, geo[g].ways, geo[g].sizes, policy);
            }
            ref_init(&r, geo[g].entries, geo[g].ways, geo[g].sizes, policy);
            unsigned hits = 0, dropped = 0;
            for (int op = 0; op < 40000; op++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                /* pages that collide in the low VA bits and in the high ones */
                uint32_t np = geo[g].entries < 40 ? geo[g].entries : 40;
                lpae_va_t va = (lpae_va_t)((x % np) * 0x1000u * 257u);
                if ((x >> 7) % 8 == 0)
                    va ^= (lpae_va_t)((x >> 10) % 4) << 30;
                va |= (lpae_va_t)((x >> 12) & 0xFFFu);
                uint8_t asid = (uint8_t)((x >> 20) % 3);
                unsigned k = (unsigned)((x >> 30) % 100);
                if (k < 45) {
                    long want = ref_lookup(&r, va, asid, true);
                    const lpae_tlb_entry *got = lpae_tlb_lookup(t, va, asid);
                    assert_ptr_equal(got, want < 0 ? NULL : lpae_tlb_slot(t, (size_t)want));
                    hits += want >= 0;
                } else if (k < 50) {
                    long want = ref_lookup(&r, va, asid, false);
                    const lpae_tlb_entry *got = lpae_tlb_probe(t, va, asid);
                    assert_ptr_equal(got, want < 0 ? NULL : lpae_tlb_slot(t, (size_t)want));
                } else if (k < 85) {
                    unsigned m = (unsigned)(x >> 40) % 10;
                    unsigned shift = m == 0 ? 30 : m < 3 ? 21 : 12;
                    unsigned low = (unsigned)__builtin_ctz(geo[g].sizes);
                    if (shift < low)
                        shift = low; /* no size at or below it held */
                    lpae_tlb_entry n = tr(0x40000000 + ((x >> 44) % 64) * 0x200000u, shift,
                                          (x >> 50) % 4 == 0, asid);
                    if ((x >> 52) % 4 == 0 && !no4k)
                        n.size_shift = 12;            /* a piece of a larger leaf */
                    n.sel = (uint8_t)((x >> 54) % 2); /* TTBR0 or TTBR1 */
                    lpae_tlb_entry ev;
                    long want = ref_insert(&r, va, &n);
                    const lpae_tlb_entry *got = lpae_tlb_insert(t, va, &n, &ev);
                    assert_ptr_equal(got, lpae_tlb_slot(t, (size_t)want));
                } else if (k < 99) {
                    unsigned kind = k < 87 ? 1 : k < 94 ? 2 : k < 98 ? 3 : 0;
                    size_t want = ref_inv(&r, kind, va, asid), got;
                    switch (kind) {
                    case 0:
                        got = lpae_tlb_inv_all(t);
                        break;
                    case 1:
                        got = lpae_tlb_inv_asid(t, asid);
                        break;
                    case 2:
                        got = lpae_tlb_inv_va(t, va, asid);
                        break;
                    default:
                        got = lpae_tlb_inv_va_all(t, va);
                        break;
                    }
                    assert_int_equal(got, want);
                    dropped += (unsigned)got;
                } else {
                    lpae_tlb_reset(t);
                    ref_init(&r, geo[g].entries, geo[g].ways, geo[g].sizes, policy);
                }
                ref_compare(&r, t);
            }
            assert_true(hits > 1000);
            assert_true(dropped > 100);
            lpae_tlb_destroy(t);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_miss_and_asid_matching),
        cmocka_unit_test(block_cached_as_4k_pieces),
        cmocka_unit_test(replacement_orders),
        cmocka_unit_test(invalidation_kinds),
        cmocka_unit_test(serials_change_on_refill),
        cmocka_unit_test(bad_configs),
        cmocka_unit_test(randomized_lru_against_reference),
        cmocka_unit_test(lru_candidates_match_full_scan),
        cmocka_unit_test(lru_log_matches_full_scan),
        cmocka_unit_test(lookups_match_brute_force),
        cmocka_unit_test(walkcache_rules),
        cmocka_unit_test(walkcache_hit_payload_matches_engine),
        cmocka_unit_test(matches_reference_tlb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
