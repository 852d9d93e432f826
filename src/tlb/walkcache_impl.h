/* SPDX-License-Identifier: MIT */
/* Internal: walk-cache layout. */
#ifndef LPAE_SRC_TLB_WALKCACHE_IMPL_H
#define LPAE_SRC_TLB_WALKCACHE_IMPL_H

#include "lpae/tlb.h"
#include "tlb/tlb_impl.h"

struct lpae_walkcache {
    lpae_tlb *t;      /* tags, ASIDs, replacement */
    lpae_wc_entry *p; /* payload per slot */
    uint8_t level, shift;
    bool asid_tagged;
};

/* lpae_walkcache_lookup() of non-NULL @p wc, inline. The payload of a slot
 * that hits already holds the engine entry's serial and valid flag: only
 * lpae_walkcache_insert() fills the engine's slots, and it copies both; a
 * slot whose serial changes otherwise (dropped, reset) is invalid and hits
 * nothing until the next insert (test_tlb checks it on every hit). */
static inline __attribute__((always_inline)) const lpae_wc_entry *
wc_lookup(lpae_walkcache *wc, lpae_va_t va, uint8_t asid)
{
    lpae_tlb *t = wc->t;
    /* tlb_find_fa() of the one held size, 2^shift: one bucket */
    long i =
        t->fa ? tlb_first_match(t, t->fa[(va >> wc->shift) & (FA_BUCKETS - 1)], tlb_query(va, asid))
              : tlb_find(t, va, asid);
    if (i < 0) {
        t->st.misses++;
        return NULL;
    }
    tlb_hit(t, (size_t)i);
    return &wc->p[i];
}

#endif
