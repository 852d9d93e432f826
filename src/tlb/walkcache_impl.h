/* SPDX-License-Identifier: MIT */
/* Internal: walk-cache layout. */
#ifndef LPAE_SRC_TLB_WALKCACHE_IMPL_H
#define LPAE_SRC_TLB_WALKCACHE_IMPL_H

#include "lpae/tlb.h"

struct lpae_walkcache {
    lpae_tlb *t;      /* tags, ASIDs, replacement */
    lpae_wc_entry *p; /* payload per slot */
    uint8_t level, shift;
    bool asid_tagged;
};

#endif
