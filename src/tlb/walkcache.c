/* SPDX-License-Identifier: MIT */
/* Walk caches: one set-associative array of table descriptors per level,
 * built on the TLB's set-associative engine with a parallel payload. */
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "tlb/tlb_impl.h"
#include "tlb/walkcache_impl.h"

int lpae_walkcache_create(const lpae_walkcache_config *cfg, lpae_walkcache **out)
{
    if (!cfg || !out || (cfg->level != 1 && cfg->level != 2))
        return LPAE_EINVAL;
    unsigned shift = LPAE_LEVEL_SHIFT(cfg->level);
    /* only the level's block size: fully associative lookups and TLBI
     * visit one bucket */
    lpae_tlb_config tc = {cfg->entries, cfg->ways, 1u << shift, cfg->repl, cfg->seed};
    lpae_walkcache *wc = calloc(1, sizeof *wc);
    if (!wc)
        return LPAE_ENOMEM;
    int rc = tlb_create_any(&tc, &wc->t);
    if (!rc) {
        wc->p = calloc(cfg->entries, sizeof *wc->p);
        if (!wc->p)
            rc = LPAE_ENOMEM;
    }
    if (!rc && wc->t->fa) {
        /* per-ASID slot masks: a TLBI by VA and ASID skips the slots of
         * other ASIDs (kept by insert and every drop) */
        wc->t->amask = calloc(256, sizeof *wc->t->amask);
        if (!wc->t->amask)
            rc = LPAE_ENOMEM;
    }
    if (rc) {
        lpae_walkcache_destroy(wc);
        return rc;
    }
    wc->level = (uint8_t)cfg->level;
    wc->shift = (uint8_t)shift;
    wc->asid_tagged = cfg->asid_tagged;
    *out = wc;
    return LPAE_OK;
}

void lpae_walkcache_destroy(lpae_walkcache *wc)
{
    if (!wc)
        return;
    lpae_tlb_destroy(wc->t);
    free(wc->p);
    free(wc);
}

const lpae_wc_entry *lpae_walkcache_lookup(lpae_walkcache *wc, lpae_va_t va, uint8_t asid)
{
    return wc ? wc_lookup(wc, va, asid) : NULL;
}

const lpae_wc_entry *lpae_walkcache_probe(const lpae_walkcache *wc, lpae_va_t va, uint8_t asid)
{
    if (!wc)
        return NULL;
    long i = tlb_find(wc->t, va, asid);
    return i < 0 ? NULL : &wc->p[i];
}

const lpae_wc_entry *lpae_walkcache_insert(lpae_walkcache *wc, lpae_va_t va, uint8_t asid,
                                           uint8_t sel, const lpae_fetch *f)
{
    if (!wc || !f || f->level != wc->level ||
        (f->desc & LPAE_DESC_TYPE_MASK) != LPAE_DESC_TYPE_TABLE)
        return NULL;
    lpae_tlb_entry tr;
    memset(&tr, 0, sizeof tr);
    lpae_pa_t table_pa = f->desc & LPAE_DESC_ADDR_MASK;
    tr.pa = table_pa;
    tr.leaf_shift = wc->shift;
    tr.level = wc->level;
    tr.asid = asid;
    tr.sel = sel;
    tr.global = !wc->asid_tagged;
    /* pa of the engine entry is table_pa for the covered block's base */
    lpae_va_t base = va & ~(lpae_va_t)((UINT64_C(1) << wc->shift) - 1);
    lpae_tlb *t = wc->t;
    lpae_tlb_entry ev;
    long i = tlb_insert_idx(t, base, &tr, t->amask ? &ev : NULL);
    if (i < 0)
        return NULL;
    if (t->amask) { /* one set: the slot is the way */
        uint64_t bit = UINT64_C(1) << i;
        if (ev.valid) { /* the slot's previous entry */
            if (ev.global)
                t->gmask &= ~bit;
            else
                t->amask[ev.asid] &= ~bit;
        }
        if (tr.global)
            t->gmask |= bit;
        else
            t->amask[asid] |= bit;
    }
    lpae_wc_entry *p = &wc->p[i];
    p->va = base;
    p->table_pa = table_pa;
    p->desc_pa = f->pa;
    p->desc = f->desc;
    p->table_attrs = f->table_attrs;
    p->level = wc->level;
    p->asid = asid;
    p->sel = sel;
    p->serial = wc->t->e[i].serial; /* refreshed from the engine's entry */
    p->valid = wc->t->e[i].valid;
    return p;
}

size_t lpae_walkcache_inv_all(lpae_walkcache *wc)
{
    return wc ? lpae_tlb_inv_all(wc->t) : 0;
}

size_t lpae_walkcache_inv_asid(lpae_walkcache *wc, uint8_t asid)
{
    if (!wc)
        return 0;
    return wc->asid_tagged ? lpae_tlb_inv_asid(wc->t, asid) : lpae_tlb_inv_all(wc->t);
}

size_t lpae_walkcache_inv_va(lpae_walkcache *wc, lpae_va_t va, uint8_t asid)
{
    return wc ? lpae_tlb_inv_va(wc->t, va, asid) : 0;
}

size_t lpae_walkcache_inv_va_all(lpae_walkcache *wc, lpae_va_t va)
{
    return wc ? lpae_tlb_inv_va_all(wc->t, va) : 0;
}

size_t lpae_walkcache_count(const lpae_walkcache *wc)
{
    return wc ? lpae_tlb_count(wc->t) : 0;
}

lpae_tlb_stats lpae_walkcache_stats_get(const lpae_walkcache *wc)
{
    return lpae_tlb_stats_get(wc ? wc->t : NULL);
}

void lpae_walkcache_reset(lpae_walkcache *wc)
{
    if (!wc)
        return;
    lpae_tlb_reset(wc->t);
    memset(wc->p, 0, (size_t)wc->t->sets * wc->t->ways * sizeof *wc->p);
}
