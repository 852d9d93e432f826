/* SPDX-License-Identifier: MIT */
/* Internal: TLB layout, shared with the walk cache and the machine's fast path. */
#ifndef LPAE_SRC_TLB_TLB_IMPL_H
#define LPAE_SRC_TLB_TLB_IMPL_H

#include "lpae/tlb.h"
#include "tlb/repl.h"

/* Compact match key per slot, scanned by lookups. A lookup of (va, asid)
 * is the query word (uint64_t)va << 32 | asid (tlb_query); the slot covers
 * it when (query & mask) == key. A valid slot's mask is the size mask << 32
 * plus 0xFF when the entry is not global, its key the base << 32 plus the
 * ASID when not global. An invalid slot has mask 0 and key 1, which nothing
 * matches. */
typedef struct tlb_key {
    uint64_t key, mask;
} tlb_key;

static inline uint64_t tlb_query(lpae_va_t va, uint8_t asid)
{
    return (uint64_t)va << 32 | asid;
}

/* Fully associative TLBs (one set) of at most 64 ways keep, per held size
 * and per bucket of that size's VA bits above the size ((va >> shift) &
 * FA_BUCKETS-1), the mask of the valid slots of that size in the bucket.
 * An entry covering va is in the bucket of va for its size, so the union
 * over the held sizes holds every slot that can match; visiting it in
 * ascending slot order finds the first match the full scan finds. */
#define FA_BUCKET_BITS 8
#define FA_BUCKETS (1u << FA_BUCKET_BITS)

struct lpae_tlb {
    uint32_t sets, ways, set_mask, sizes;
    uint8_t nsizes;
    uint8_t shifts[8];    /* held size shifts, ascending */
    uint8_t sidx[32];     /* size shift -> index in shifts */
    uint8_t piece[32];    /* allowed size shift (12..30) -> piece size shift a fill takes
                             (tlb_piece_shift), 0 when below 4 KB or none fits */
    uint32_t present[32]; /* valid entries per size shift */
    uint32_t pmask;       /* bit s: present[s] != 0 */
    uint64_t *fa;         /* one set, ways <= 64: nsizes * FA_BUCKETS slot masks; else NULL */
    uint64_t *vmask;      /* ways <= 64: valid ways per set; else NULL */
    uint64_t *amask;      /* a walk cache's fully associative TLB (walkcache.c): per ASID
                             the valid non-global slots of that ASID, 256 masks; else NULL */
    uint64_t gmask;       /* with amask: the valid global slots */
    uint32_t serial_next;
    uint64_t seed;
    lpae_tlb_entry *e; /* sets * ways, set-major */
    tlb_key *k;        /* match keys, same layout */
    uint32_t *fill;    /* valid entries per set */
    repl_state repl;
    lpae_tlb_stats st;
};

static inline bool tlb_key_matches(const tlb_key *k, uint64_t query)
{
    return (query & k->mask) == k->key;
}

/* A valid slot's size shift and base VA, from its key alone (equal to the
 * entry's size_shift and va; the fills read them there: the key's line is
 * the one the lookup just probed, the entry's may not be in the host cache). */
static inline unsigned tlb_key_size(const tlb_key *k)
{
    return (unsigned)__builtin_ctzll(k->mask >> 32);
}

static inline lpae_va_t tlb_key_base(const tlb_key *k)
{
    return (lpae_va_t)(k->key >> 32);
}

/* Valid slot @p w (key @p k) of a TLB with ASID masks (t->amask set) is
 * about to go: its bit leaves the mask of its ASID, or the global one. */
static inline void tlb_amask_drop(lpae_tlb *t, const tlb_key *k, unsigned w)
{
    uint64_t keep = ~(UINT64_C(1) << w);
    if (k->mask & 0xFFu)
        t->amask[(uint8_t)k->key] &= keep;
    else
        t->gmask &= keep;
}

/* Slots of a fully associative TLB (t->fa set) that may cover va. */
static inline uint64_t tlb_fa_cands(const lpae_tlb *t, lpae_va_t va)
{
    /* every TLB holds at least one size */
    const uint64_t *fa = t->fa;
    uint64_t c = fa[(va >> t->shifts[0]) & (FA_BUCKETS - 1)];
    for (unsigned i = 1; i < t->nsizes; i++) {
        fa += FA_BUCKETS;
        c |= fa[(va >> t->shifts[i]) & (FA_BUCKETS - 1)];
    }
    return c;
}

/* The first of the candidate slots @p c (ascending) whose key matches
 * query @p q, or -1: the visit of a fully associative TLB's slot masks. */
static inline __attribute__((always_inline)) long tlb_first_match(const lpae_tlb *t, uint64_t c,
                                                                  uint64_t q)
{
    for (; c; c &= c - 1) {
        unsigned w = (unsigned)__builtin_ctzll(c);
        if (tlb_key_matches(&t->k[w], q))
            return (long)w;
    }
    return -1;
}

/* tlb_find() of a fully associative TLB with slot masks (t->fa set). */
static inline __attribute__((always_inline)) long tlb_find_fa(const lpae_tlb *t, lpae_va_t va,
                                                              uint8_t asid)
{
    return tlb_first_match(t, tlb_fa_cands(t, va), tlb_query(va, asid));
}

static inline __attribute__((always_inline)) long tlb_find_sets(const lpae_tlb *t, lpae_va_t va,
                                                                uint8_t asid);

/* Index of the slot that matches, or -1. No side effects. */
static inline __attribute__((always_inline)) long tlb_find(const lpae_tlb *t, lpae_va_t va,
                                                           uint8_t asid)
{
    uint64_t q = tlb_query(va, asid);
    if (t->sets == 1) {
        if (t->fa)
            return tlb_find_fa(t, va, asid);
        for (uint32_t w = 0; w < t->ways; w++)
            if (tlb_key_matches(&t->k[w], q))
                return (long)w;
        return -1;
    }
    return tlb_find_sets(t, va, asid);
}

/* tlb_find() of a TLB of more than one set. */
static inline __attribute__((always_inline)) long tlb_find_sets(const lpae_tlb *t, lpae_va_t va,
                                                                uint8_t asid)
{
    uint64_t q = tlb_query(va, asid);
    /* the held sizes with entries, ascending */
    for (uint32_t pm = t->pmask; pm; pm &= pm - 1) {
        unsigned s = (unsigned)__builtin_ctz(pm);
        uint32_t set = (va >> s) & t->set_mask;
        if (t->ways == 4) {     /* the common main TLB: unrolled, first match */
            if (!t->vmask[set]) /* (ways <= 64: valid-way masks kept) */
                continue;       /* an empty set: nothing matches */
            size_t base = (size_t)set * 4;
            const tlb_key *row = t->k + base; /* no multiply by ways */
            if (tlb_key_matches(&row[0], q))
                return (long)base;
            if (tlb_key_matches(&row[1], q))
                return (long)base + 1;
            if (tlb_key_matches(&row[2], q))
                return (long)base + 2;
            if (tlb_key_matches(&row[3], q))
                return (long)base + 3;
            continue;
        }
        const tlb_key *row = t->k + (size_t)set * t->ways;
        for (uint32_t w = 0; w < t->ways; w++)
            if (tlb_key_matches(&row[w], q))
                return (long)set * t->ways + w;
    }
    return -1;
}

/* Record a hit on slot idx (replacement and counters), as lpae_tlb_lookup does. */
static inline void tlb_hit(lpae_tlb *t, size_t idx)
{
    t->st.hits++; /* lookups are derived (hits + misses) */
    /* LRU stamps are laid out like the slots: no division on the common path */
    if (t->repl.policy == LPAE_REPL_LRU)
        repl_lru_touch(&t->repl, idx);
    else if (t->repl.policy == LPAE_REPL_PLRU)
        repl_touch(&t->repl, (uint32_t)(idx / t->ways), (uint32_t)(idx % t->ways));
}

/* lpae_tlb_piece_shift(), inlined. */
static inline unsigned tlb_piece_shift(uint32_t sizes, unsigned leaf_shift)
{
    /* the highest held size at or below leaf_shift */
    uint32_t m = leaf_shift >= 31 ? sizes : sizes & ((UINT32_C(2) << leaf_shift) - 1);
    return m ? 31u - (unsigned)__builtin_clz(m) : 0;
}

/* lpae_tlb_create() without the 4 KB requirement (any non-empty set of
 * allowed sizes): walk caches hold only their level's block size. */
int tlb_create_any(const lpae_tlb_config *cfg, lpae_tlb **out);

/* Fill: returns the slot index used, or -1 on bad input. */
long tlb_insert_idx(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_tlb_entry *evicted);
/* As tlb_insert_idx() with the PA of va given apart (tr->pa unused). */
long tlb_insert_pa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted);
/* tlb_insert_pa() by the one generic code path of every layout and policy
 * (the slot masks, counts and replacement kept step by step): the reference
 * the specialised fills are checked against. */
long tlb_insert_ref(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                    lpae_tlb_entry *evicted);
/* tlb_insert_pa() of a fully associative LRU TLB with slot masks (t->fa
 * set, LRU policy; t and tr not NULL): the same fill, fewer tests. */
long tlb_insert_fa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted);
/* tlb_insert_pa() of a set-associative LRU TLB of at most 64 ways (t->vmask
 * set, t->fa NULL, LRU policy; t and tr not NULL): the same fill, fewer tests. */
long tlb_insert_sa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted);
void tlb_drop(lpae_tlb *t, size_t idx);

/* The next serial of a fill (never 0). */
static inline uint32_t tlb_next_serial(lpae_tlb *t)
{
    uint32_t s = t->serial_next++;
    if (t->serial_next == 0)
        t->serial_next = 1;
    return s;
}

/* An empty slot's key: nothing matches it. */
static inline void tlb_key_invalid(tlb_key *k)
{
    k->key = 1;
    k->mask = 0;
}

/* The size shift of the piece a fill of @p tr takes in @p t, or 0 when @p t
 * cannot hold it (leaf outside 4 KB..1 GB, or no held size fits). */
static inline __attribute__((always_inline)) unsigned tlb_fill_shift(const lpae_tlb *t,
                                                                     const lpae_tlb_entry *tr)
{
    unsigned lt = tr->leaf_shift;
    if (lt < 12 || lt > 30)
        return 0;
    unsigned lim = tr->size_shift && tr->size_shift < lt ? tr->size_shift : lt;
    return t->piece[lim];
}

/* Write slot @p idx as the 2^@p s piece that holds @p va (PA @p pa) of a
 * translation with the other fields given: the entry, a fresh serial and
 * the match key. The caller keeps the slot masks, counts and replacement
 * state. */
static inline __attribute__((always_inline)) void
tlb_write_slot(lpae_tlb *t, size_t idx, lpae_va_t va, lpae_pa_t pa, unsigned s,
               const lpae_attrs *attrs, uint8_t leaf_shift, uint8_t level, uint8_t asid,
               uint8_t sel, bool global)
{
    /* s <= 30: every held size is below 32 */
    lpae_va_t vm = ~(lpae_va_t)((UINT32_C(1) << s) - 1u);
    lpae_va_t base = va & vm;
    lpae_tlb_entry *e = &t->e[idx];
    e->va = base;
    e->serial = tlb_next_serial(t);
    e->pa = pa - (va - base);
    e->attrs = *attrs;
    e->size_shift = (uint8_t)s;
    e->leaf_shift = leaf_shift;
    e->level = level;
    e->asid = asid;
    e->sel = sel;
    e->global = global;
    e->valid = true;
    tlb_key *k = &t->k[idx];
    k->key = (uint64_t)base << 32 | (global ? 0u : asid);
    k->mask = (uint64_t)vm << 32 | (global ? 0u : 0xFFu);
}

/* Write @p tr into slot @p idx as the 2^@p s piece that holds @p va (PA
 * @p pa): tlb_write_slot() with @p tr's other fields. */
static inline __attribute__((always_inline)) void tlb_fill_slot(lpae_tlb *t, size_t idx,
                                                                const lpae_tlb_entry *tr,
                                                                lpae_va_t va, lpae_pa_t pa,
                                                                unsigned s)
{
    tlb_write_slot(t, idx, va, pa, s, &tr->attrs, tr->leaf_shift, tr->level, tr->asid, tr->sel,
                   tr->global);
}

/* Slot @p idx (of set @p set's row) that held a valid entry of size @p os
 * now takes one of size @p s: the counts of sizes present. */
static inline __attribute__((always_inline)) void tlb_resize_present(lpae_tlb *t, unsigned os,
                                                                     unsigned s)
{
    if (os == s)
        return;
    if (--t->present[os] == 0)
        t->pmask &= ~(UINT32_C(1) << os);
    if (t->present[s]++ == 0)
        t->pmask |= UINT32_C(1) << s;
}

/* An invalid slot takes an entry of size @p s: the counts of sizes present. */
static inline __attribute__((always_inline)) void tlb_add_present(lpae_tlb *t, unsigned s)
{
    if (t->present[s]++ == 0)
        t->pmask |= UINT32_C(1) << s;
}

/* The first half of a fill of a fully associative LRU TLB with slot masks
 * (t->fa set, LRU policy) by a piece of size @p s covering @p va: the first
 * invalid way, else the LRU victim, whose entry is copied to @p evicted (if
 * not NULL) and leaves its bucket; *@p nb is the bucket mask the new piece
 * joins. The caller calls tlb_fa_commit() and writes the slot (in either
 * order: the commit reads nothing of the slot). */
static inline __attribute__((always_inline)) uint32_t
tlb_fa_take(lpae_tlb *t, unsigned s, lpae_va_t va, lpae_tlb_entry *evicted, uint64_t **nb)
{
    uint64_t *row = t->fa + (size_t)t->sidx[s] * FA_BUCKETS; /* size s's buckets */
    *nb = row + ((va >> s) & (FA_BUCKETS - 1));
    uint32_t way;
    if (t->fill[0] < t->ways) {
        way = (uint32_t)__builtin_ctzll(~t->vmask[0]); /* the first invalid way */
        t->fill[0]++;
        t->vmask[0] |= UINT64_C(1) << way;
        tlb_add_present(t, s);
    } else {
        way = repl_lru_victim_log(&t->repl, true); /* touched by the commit */
        if (evicted)
            *evicted = t->e[way];
        /* the old entry's size and base from its key (see tlb_key_size) */
        const tlb_key *ok = &t->k[way];
        unsigned os = tlb_key_size(ok);
        if (os != s) {
            tlb_resize_present(t, os, s);
            row = t->fa + (size_t)t->sidx[os] * FA_BUCKETS;
        }
        row[(tlb_key_base(ok) >> os) & (FA_BUCKETS - 1)] &= ~(UINT64_C(1) << way);
        t->st.evictions++;
    }
    return way;
}

/* The second half: slot @p way joins bucket mask @p nb (from tlb_fa_take()). */
static inline __attribute__((always_inline)) void tlb_fa_commit(lpae_tlb *t, uint32_t way,
                                                                uint64_t *nb)
{
    *nb |= UINT64_C(1) << way;
    t->st.inserts++;
    repl_lru_touch(&t->repl, way);
}

/* The same halves for a set-associative LRU TLB of at most 64 ways (t->vmask
 * set, t->fa NULL, LRU policy): a slot of set @p set for a piece of size
 * @p s; returns its index. */
static inline __attribute__((always_inline)) size_t tlb_sa_take(lpae_tlb *t, uint32_t set,
                                                                unsigned s, lpae_tlb_entry *evicted)
{
    size_t row = (size_t)set * t->ways;
    uint32_t way;
    if (t->fill[set] < t->ways) {
        way = (uint32_t)__builtin_ctzll(~t->vmask[set]); /* the first invalid way */
        t->fill[set]++;
        t->vmask[set] |= UINT64_C(1) << way;
        tlb_add_present(t, s);
    } else {
        way = t->ways == 4 ? repl_lru_victim4(&t->repl, set) : repl_lru_victim(&t->repl, set);
        if (evicted)
            *evicted = t->e[row + way];
        tlb_resize_present(t, tlb_key_size(&t->k[row + way]), s); /* see tlb_key_size */
        t->st.evictions++;
    }
    return row + way;
}

static inline __attribute__((always_inline)) void tlb_sa_commit(lpae_tlb *t, size_t idx)
{
    t->st.inserts++;
    repl_lru_touch_sets(&t->repl, idx); /* more than one set (t->fa NULL) */
}

/* tlb_hit() of a set-associative LRU TLB with valid-way masks (t->vmask
 * set, t->fa NULL, LRU policy). */
static inline __attribute__((always_inline)) void tlb_hit_sa(lpae_tlb *t, size_t idx)
{
    t->st.hits++;
    repl_lru_touch_sets(&t->repl, idx);
}

/* tlb_insert_fa()'s body, inline for the machine's fills. */
static inline __attribute__((always_inline)) long tlb_fill_fa(lpae_tlb *t, lpae_va_t va,
                                                              const lpae_tlb_entry *tr,
                                                              lpae_pa_t pa, lpae_tlb_entry *evicted)
{
    if (evicted)
        evicted->valid = false;
    unsigned s = tlb_fill_shift(t, tr);
    if (!s)
        return -1;
    uint64_t *nb;
    uint32_t way = tlb_fa_take(t, s, va, evicted, &nb);
    tlb_fa_commit(t, way, nb);
    tlb_fill_slot(t, way, tr, va, pa, s);
    return (long)way;
}

/* tlb_insert_sa()'s body, inline for the machine's fills. */
static inline __attribute__((always_inline)) long tlb_fill_sa(lpae_tlb *t, lpae_va_t va,
                                                              const lpae_tlb_entry *tr,
                                                              lpae_pa_t pa, lpae_tlb_entry *evicted)
{
    if (evicted)
        evicted->valid = false;
    unsigned s = tlb_fill_shift(t, tr);
    if (!s)
        return -1;
    size_t idx = tlb_sa_take(t, (va >> s) & t->set_mask, s, evicted);
    tlb_fill_slot(t, idx, tr, va, pa, s);
    tlb_sa_commit(t, idx);
    return (long)idx;
}

/* TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) by a scan of every slot and
 * the generic drop: the reference the other TLBIs by VA are tested against. */
size_t tlb_inv_va_ref(lpae_tlb *t, lpae_va_t va, int asid);

/* TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) on a TLB without slot masks. */
size_t tlb_inv_va_slow(lpae_tlb *t, lpae_va_t va, int asid);

/* tlb_drop() of valid slot @p i (way @p way of set @p set) of a TLB with
 * valid-way masks (t->vmask set; fa: t->fa set, one set): the same
 * updates, inline, the slot's size and base read from its key. */
static inline __attribute__((always_inline)) void
tlb_drop_masked_at(lpae_tlb *t, size_t i, uint32_t set, unsigned way, bool fa)
{
    const tlb_key *k = &t->k[i];
    unsigned s = tlb_key_size(k);
    uint64_t bit = UINT64_C(1) << way;
    if (--t->present[s] == 0)
        t->pmask &= ~(UINT32_C(1) << s);
    t->vmask[set] &= ~bit;
    if (fa) {
        t->fa[t->sidx[s] * FA_BUCKETS + ((tlb_key_base(k) >> s) & (FA_BUCKETS - 1))] &= ~bit;
        if (t->amask)
            tlb_amask_drop(t, k, way);
    }
    tlb_key_invalid(&t->k[i]);
    t->fill[set]--;
    t->st.invalidated++;
    /* the entry last: its byte store may alias anything (t's fields would
     * be loaded again after it) */
    lpae_tlb_entry *e = &t->e[i];
    e->serial = 0;
    e->valid = false;
}

/* The match of a TLBI by VA: a valid slot with key @p k is dropped by
 * TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) of va when
 * ((q ^ k->key) & k->mask & qm) == 0 with q = tlb_inv_query() and qm =
 * tlb_inv_qmask(): the entry covers va and, for TLBIMVA, is global or of
 * that ASID (the key holds the base under the entry's own size mask, and
 * the ASID under 0xFF only when not global). */
static inline uint64_t tlb_inv_query(lpae_va_t va, int asid)
{
    return (uint64_t)va << 32 | (uint8_t)asid;
}

static inline uint64_t tlb_inv_qmask(int asid)
{
    return asid < 0 ? UINT64_C(0xFFFFFFFF00000000) : UINT64_MAX;
}

static inline bool tlb_inv_matches(const tlb_key *k, uint64_t q, uint64_t qm)
{
    return ((q ^ k->key) & k->mask & qm) == 0;
}

/* The TLBI by VA of a fully associative TLB with slot masks over its
 * candidate slots @p c (tlb_fa_cands(), not 0): tlb.c, out of line. */
size_t tlb_inv_va_fa_cands(lpae_tlb *t, lpae_va_t va, int asid, uint64_t c);

/* TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) on a fully associative TLB
 * with slot masks (t->fa set): tlb_inv_va() without the layout test. */
static inline __attribute__((always_inline)) size_t tlb_inv_va_fa(lpae_tlb *t, lpae_va_t va,
                                                                  int asid)
{
    uint64_t c = tlb_fa_cands(t, va);
    return c ? tlb_inv_va_fa_cands(t, va, asid, c) : 0;
}

/* tlb_inv_va_fa_cands()'s body, the query and its mask given
 * (tlb_inv_query(), tlb_inv_qmask()). */
static inline __attribute__((always_inline)) size_t tlb_inv_fa_q(lpae_tlb *t, uint64_t q,
                                                                 uint64_t qm, uint64_t c)
{
    /* only the candidate slots (all valid), in ascending order (drops commute) */
    size_t n = 0;
    for (; c; c &= c - 1) {
        unsigned w = (unsigned)__builtin_ctzll(c);
        if (tlb_inv_matches(&t->k[w], q, qm)) {
            tlb_drop_masked_at(t, w, 0, w, true);
            n++;
        }
    }
    return n;
}

/* tlb_inv_fa_q() of a fully associative TLB with slot masks that holds
 * one size, 2^@p s, over the candidates @p c of its bucket *@p bk of va
 * (tlb_fa_cands()): the same drops, in the same order, each clearing its
 * bit in *@p bk straight (a slot of that size is in that bucket) instead of
 * finding its bucket from its key. */
static inline __attribute__((always_inline)) size_t
tlb_inv_fa1_q(lpae_tlb *t, uint64_t q, uint64_t qm, uint64_t c, uint64_t *bk, unsigned s)
{
    size_t n = 0;
    for (; c; c &= c - 1) {
        unsigned w = (unsigned)__builtin_ctzll(c);
        if (tlb_inv_matches(&t->k[w], q, qm)) {
            uint64_t bit = UINT64_C(1) << w;
            if (--t->present[s] == 0)
                t->pmask &= ~(UINT32_C(1) << s);
            t->vmask[0] &= ~bit;
            *bk &= ~bit;
            if (t->amask)
                tlb_amask_drop(t, &t->k[w], w);
            tlb_key_invalid(&t->k[w]);
            t->fill[0]--;
            t->st.invalidated++;
            lpae_tlb_entry *e = &t->e[w]; /* last, as in tlb_drop_masked_at() */
            e->serial = 0;
            e->valid = false;
            n++;
        }
    }
    return n;
}

/* tlb_inv_va_fa_cands()'s body. */
static inline __attribute__((always_inline)) size_t tlb_inv_va_fa_body(lpae_tlb *t, lpae_va_t va,
                                                                       int asid, uint64_t c)
{
    return tlb_inv_fa_q(t, tlb_inv_query(va, asid), tlb_inv_qmask(asid), c);
}

/* The same on a set-associative TLB with valid-way masks (t->vmask set,
 * t->fa NULL). An entry of size S covering va lives in set (va >> S) &
 * set_mask: probe that set for each size present, its valid ways only.
 * A slot of another size found there that covers va is dropped at the
 * first probe that sees it rather than at its own size's: drops commute. */
static inline __attribute__((always_inline)) size_t tlb_inv_sa_q(lpae_tlb *t, lpae_va_t va,
                                                                 uint64_t q, uint64_t qm)
{ /* q, qm: tlb_inv_query(), tlb_inv_qmask() of va and the ASID */
    size_t n = 0;
    for (uint32_t pm = t->pmask; pm; pm &= pm - 1) { /* the sizes present, ascending */
        unsigned sh = (unsigned)__builtin_ctz(pm);
        uint32_t set = (va >> sh) & t->set_mask;
        size_t row = (size_t)set * t->ways;
        for (uint64_t m = t->vmask[set]; m; m &= m - 1) {
            unsigned w = (unsigned)__builtin_ctzll(m);
            if (tlb_inv_matches(&t->k[row + w], q, qm)) {
                tlb_drop_masked_at(t, row + w, set, w, false);
                n++;
            }
        }
    }
    return n;
}

/* The same, the query made here. */
static inline __attribute__((always_inline)) size_t tlb_inv_va_sa(lpae_tlb *t, lpae_va_t va,
                                                                  int asid)
{
    return tlb_inv_sa_q(t, va, tlb_inv_query(va, asid), tlb_inv_qmask(asid));
}

/* TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) on @p t (not NULL): drops
 * every entry covering va that is global or of that ASID; returns how many. */
static inline size_t tlb_inv_va(lpae_tlb *t, lpae_va_t va, int asid)
{
    if (!t->fa)
        return tlb_inv_va_slow(t, va, asid);
    return tlb_inv_va_fa(t, va, asid);
}

#endif
