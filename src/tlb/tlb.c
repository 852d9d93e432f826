/* SPDX-License-Identifier: MIT */
/* Set-associative TLB levels. */
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "tlb/tlb_impl.h"

/* Sizes a TLB entry may have (see cost.h). */
#define TLB_SIZES_ALLOWED                                                                          \
    ((1u << 12) | (1u << 16) | (1u << 20) | (1u << 21) | (1u << 24) | (1u << 29) | (1u << 30))

unsigned lpae_tlb_piece_shift(uint32_t sizes, unsigned leaf_shift)
{
    return tlb_piece_shift(sizes, leaf_shift);
}

int lpae_tlb_create(const lpae_tlb_config *cfg, lpae_tlb **out)
{
    if (!cfg || !(cfg->sizes & (1u << 12)))
        return LPAE_EINVAL;
    return tlb_create_any(cfg, out);
}

int tlb_create_any(const lpae_tlb_config *cfg, lpae_tlb **out)
{
    if (!cfg || !out || cfg->entries == 0 || cfg->ways == 0 || cfg->entries % cfg->ways)
        return LPAE_EINVAL;
    uint32_t sets = cfg->entries / cfg->ways;
    if (sets & (sets - 1) || !cfg->sizes || (cfg->sizes & ~TLB_SIZES_ALLOWED))
        return LPAE_EINVAL;
    lpae_tlb *t = calloc(1, sizeof *t);
    if (!t)
        return LPAE_ENOMEM;
    t->sets = sets;
    t->ways = cfg->ways;
    t->set_mask = sets - 1;
    t->sizes = cfg->sizes;
    t->seed = cfg->seed;
    for (unsigned s = 0; s < 32; s++)
        if (cfg->sizes & (1u << s)) {
            t->sidx[s] = t->nsizes;
            t->shifts[t->nsizes++] = (uint8_t)s;
        }
    for (unsigned l = 12; l <= 30; l++) {
        unsigned p = tlb_piece_shift(cfg->sizes, l);
        t->piece[l] = (uint8_t)(p < 12 ? 0 : p);
    }
    t->e = calloc(cfg->entries, sizeof *t->e);
    t->fill = calloc(sets, sizeof *t->fill);
    t->k = malloc((size_t)cfg->entries * sizeof *t->k);
    if (t->k)
        for (uint32_t i = 0; i < cfg->entries; i++)
            tlb_key_invalid(&t->k[i]);
    bool ok = t->e && t->fill && t->k;
    if (ok && cfg->ways <= 64) {
        t->vmask = calloc(sets, sizeof *t->vmask);
        ok = t->vmask != NULL;
        if (ok && sets == 1) {
            t->fa = calloc((size_t)t->nsizes * FA_BUCKETS, sizeof *t->fa);
            ok = t->fa != NULL;
        }
    }
    int rc = ok ? repl_init(&t->repl, cfg->repl, sets, cfg->ways, cfg->seed) : LPAE_ENOMEM;
    if (rc) {
        lpae_tlb_destroy(t);
        return rc;
    }
    t->serial_next = 1;
    *out = t;
    return LPAE_OK;
}

void lpae_tlb_destroy(lpae_tlb *t)
{
    if (!t)
        return;
    repl_free(&t->repl);
    free(t->e);
    free(t->fill);
    free(t->k);
    free(t->fa);
    free(t->vmask);
    free(t->amask);
    free(t);
}

const lpae_tlb_entry *lpae_tlb_lookup(lpae_tlb *t, lpae_va_t va, uint8_t asid)
{
    if (!t)
        return NULL;
    long i = tlb_find(t, va, asid);
    if (i < 0) {
        t->st.misses++;
        return NULL;
    }
    tlb_hit(t, (size_t)i);
    return &t->e[i];
}

const lpae_tlb_entry *lpae_tlb_probe(const lpae_tlb *t, lpae_va_t va, uint8_t asid)
{
    if (!t)
        return NULL;
    long i = tlb_find(t, va, asid);
    return i < 0 ? NULL : &t->e[i];
}

/* The bucket mask of a fully associative TLB that holds entry @p e. */
static inline uint64_t *fa_bucket(lpae_tlb *t, const lpae_tlb_entry *e)
{
    unsigned s = e->size_shift;
    return &t->fa[t->sidx[s] * FA_BUCKETS + ((e->va >> s) & (FA_BUCKETS - 1))];
}

/* Slot @p idx (set @p set, way @p way) became valid with entry @p e. */
static inline void slot_valid(lpae_tlb *t, uint32_t set, uint32_t way, const lpae_tlb_entry *e)
{
    if (t->present[e->size_shift]++ == 0)
        t->pmask |= UINT32_C(1) << e->size_shift;
    if (t->vmask) {
        t->vmask[set] |= UINT64_C(1) << way;
        if (t->fa)
            *fa_bucket(t, e) |= UINT64_C(1) << way;
    }
}

/* Slot (set, way) holding valid entry @p e is about to change or go. */
static inline void slot_gone(lpae_tlb *t, uint32_t set, uint32_t way, const lpae_tlb_entry *e)
{
    if (--t->present[e->size_shift] == 0)
        t->pmask &= ~(UINT32_C(1) << e->size_shift);
    if (t->vmask) {
        t->vmask[set] &= ~(UINT64_C(1) << way);
        if (t->fa)
            *fa_bucket(t, e) &= ~(UINT64_C(1) << way);
    }
}

long tlb_insert_idx(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_tlb_entry *evicted)
{
    return tlb_insert_pa(t, va, tr, tr ? tr->pa : 0, evicted);
}

long tlb_insert_fa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted)
{
    return tlb_fill_fa(t, va, tr, pa, evicted);
}

long tlb_insert_sa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted)
{
    return tlb_fill_sa(t, va, tr, pa, evicted);
}

long tlb_insert_pa(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                   lpae_tlb_entry *evicted)
{
    if (t && tr && t->vmask && t->repl.policy == LPAE_REPL_LRU)
        return t->fa ? tlb_insert_fa(t, va, tr, pa, evicted)
                     : tlb_insert_sa(t, va, tr, pa, evicted);
    return tlb_insert_ref(t, va, tr, pa, evicted);
}

long tlb_insert_ref(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr, lpae_pa_t pa,
                    lpae_tlb_entry *evicted)
{
    if (evicted)
        evicted->valid = false;
    if (!t || !tr)
        return -1;
    unsigned s = tlb_fill_shift(t, tr);
    if (!s)
        return -1;
    uint32_t set = (va >> s) & t->set_mask;
    size_t row = (size_t)set * t->ways;
    uint32_t way;
    if (t->fill[set] < t->ways) {
        if (t->vmask) {
            way = (uint32_t)__builtin_ctzll(~t->vmask[set]); /* the first invalid way */
        } else {
            way = 0;
            while (t->e[row + way].valid)
                way++;
        }
        t->fill[set]++;
    } else {
        way = t->repl.policy == LPAE_REPL_LRU ? repl_lru_victim(&t->repl, set)
                                              : repl_victim(&t->repl, set);
        if (evicted)
            *evicted = t->e[row + way];
        slot_gone(t, set, way, &t->e[row + way]);
        t->st.evictions++;
    }
    size_t idx = row + way;
    tlb_fill_slot(t, idx, tr, va, pa, s);
    slot_valid(t, set, way, &t->e[idx]);
    t->st.inserts++;
    if (t->repl.policy == LPAE_REPL_LRU)
        repl_lru_touch(&t->repl, idx);
    else
        repl_touch(&t->repl, set, way);
    return (long)idx;
}

const lpae_tlb_entry *lpae_tlb_insert(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr,
                                      lpae_tlb_entry *evicted)
{
    long i = tlb_insert_idx(t, va, tr, evicted);
    return i < 0 ? NULL : &t->e[i];
}

void tlb_drop(lpae_tlb *t, size_t idx)
{
    lpae_tlb_entry *e = &t->e[idx];
    if (!e->valid)
        return;
    slot_gone(t, (uint32_t)(idx / t->ways), (uint32_t)(idx % t->ways), e);
    e->valid = false;
    e->serial = 0;
    if (t->amask) /* one set: the slot is the way */
        tlb_amask_drop(t, &t->k[idx], (unsigned)idx);
    tlb_key_invalid(&t->k[idx]);
    t->fill[idx / t->ways]--;
    t->st.invalidated++;
}

size_t lpae_tlb_inv_all(lpae_tlb *t)
{
    if (!t)
        return 0;
    size_t n = lpae_tlb_count(t), left = n;
    /* a slot is valid when its key's mask is not 0 (tlb_key_invalid()):
     * the scan reads the 16-byte keys, not the entries */
    const tlb_key *k = t->k;
    for (size_t i = 0; left && i < (size_t)t->sets * t->ways; i++)
        if (k[i].mask != 0) {
            tlb_drop(t, i);
            left--;
        }
    return n;
}

size_t lpae_tlb_inv_asid(lpae_tlb *t, uint8_t asid)
{
    size_t n = 0;
    if (!t)
        return 0;
    /* valid, not global and of that ASID: the key's mask holds 0xFF (an
     * invalid or global slot's holds 0) and its key the ASID in bits [7:0];
     * the scan reads the 16-byte keys, not the entries */
    const tlb_key *k = t->k;
    for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
        if ((k[i].mask & 0xFFu) != 0 && (uint8_t)k[i].key == asid) {
            tlb_drop(t, i);
            n++;
        }
    return n;
}

size_t tlb_inv_va_ref(lpae_tlb *t, lpae_va_t va, int asid)
{
    size_t n = 0;
    for (size_t i = 0; i < (size_t)t->sets * t->ways; i++) {
        const lpae_tlb_entry *e = &t->e[i];
        if (e->valid && ((va ^ e->va) >> e->size_shift) == 0 &&
            (asid < 0 || e->global || e->asid == (uint8_t)asid)) {
            tlb_drop(t, i);
            n++;
        }
    }
    return n;
}

size_t tlb_inv_va_fa_cands(lpae_tlb *t, lpae_va_t va, int asid, uint64_t c)
{
    return tlb_inv_va_fa_body(t, va, asid, c);
}

size_t tlb_inv_va_slow(lpae_tlb *t, lpae_va_t va, int asid)
{
    if (t->sets == 1)
        return tlb_inv_va_ref(t, va, asid); /* every slot is a candidate */
    if (t->vmask)
        return tlb_inv_va_sa(t, va, asid);
    /* An entry of size S covering va lives in set (va >> S) & set_mask:
     * probe that set for each size present (drops commute). */
    size_t n = 0;
    for (uint32_t pm = t->pmask; pm; pm &= pm - 1) { /* the sizes present, ascending */
        unsigned sh = (unsigned)__builtin_ctz(pm);
        uint32_t set = (va >> sh) & t->set_mask;
        size_t row = (size_t)set * t->ways;
        for (size_t i = row; i < row + t->ways; i++) {
            const lpae_tlb_entry *e = &t->e[i];
            if (e->valid && e->size_shift == sh && ((va ^ e->va) >> e->size_shift) == 0 &&
                (asid < 0 || e->global || e->asid == (uint8_t)asid)) {
                tlb_drop(t, i);
                n++;
            }
        }
    }
    return n;
}

size_t lpae_tlb_inv_va(lpae_tlb *t, lpae_va_t va, uint8_t asid)
{
    return t ? tlb_inv_va(t, va, asid) : 0;
}

size_t lpae_tlb_inv_va_all(lpae_tlb *t, lpae_va_t va)
{
    return t ? tlb_inv_va(t, va, -1) : 0;
}

size_t lpae_tlb_count(const lpae_tlb *t)
{
    size_t n = 0;
    if (t)
        for (unsigned i = 0; i < t->nsizes; i++)
            n += t->present[t->shifts[i]];
    return n;
}

size_t lpae_tlb_capacity(const lpae_tlb *t)
{
    return t ? (size_t)t->sets * t->ways : 0;
}

const lpae_tlb_entry *lpae_tlb_slot(const lpae_tlb *t, size_t i)
{
    return t && i < (size_t)t->sets * t->ways ? &t->e[i] : NULL;
}

lpae_tlb_stats lpae_tlb_stats_get(const lpae_tlb *t)
{
    lpae_tlb_stats z = {0};
    if (!t)
        return z;
    z = t->st;
    z.lookups = z.hits + z.misses; /* derived: keeps the hit path short */
    return z;
}

void lpae_tlb_reset(lpae_tlb *t)
{
    if (!t)
        return;
    memset(t->e, 0, (size_t)t->sets * t->ways * sizeof *t->e);
    memset(t->present, 0, sizeof t->present);
    t->pmask = 0;
    if (t->vmask)
        memset(t->vmask, 0, t->sets * sizeof *t->vmask);
    if (t->fa)
        memset(t->fa, 0, (size_t)t->nsizes * FA_BUCKETS * sizeof *t->fa);
    if (t->amask) {
        memset(t->amask, 0, 256 * sizeof *t->amask);
        t->gmask = 0;
    }
    memset(t->fill, 0, t->sets * sizeof *t->fill);
    for (size_t i = 0; i < (size_t)t->sets * t->ways; i++)
        tlb_key_invalid(&t->k[i]);
    memset(&t->st, 0, sizeof t->st);
    repl_reset(&t->repl, t->sets, t->seed);
}
