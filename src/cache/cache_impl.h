/* SPDX-License-Identifier: MIT */
/* Internal: the data-cache layout and its access, inline for the machine's
 * per-line loops (copies touch one line per call). */
#ifndef LPAE_SRC_CACHE_CACHE_IMPL_H
#define LPAE_SRC_CACHE_CACHE_IMPL_H

#include "lpae/cache.h"
#include "tlb/repl.h"

#define NO_LINE UINT64_MAX

struct lpae_cache {
    uint32_t sets, ways, line;
    uint8_t line_shift;
    uint32_t set_mask;
    uint64_t *tag; /* line number (pa >> line_shift) per way, NO_LINE when empty */
    repl_state repl;
    lpae_cache_stats st;
};

/* lpae_cache_access() on a non-NULL cache: true on a hit; a miss allocates
 * the line (an empty way first, else the replacement victim). */
static inline bool cache_access(lpae_cache *c, lpae_pa_t pa)
{
    uint64_t ln = pa >> c->line_shift;
    uint32_t set = (uint32_t)ln & c->set_mask;
    uint64_t *row = c->tag + (size_t)set * c->ways;
    c->st.accesses++;
    uint32_t empty = c->ways;
    for (uint32_t w = 0; w < c->ways; w++) {
        if (row[w] == ln) {
            c->st.hits++;
            repl_touch(&c->repl, set, w);
            return true;
        }
        if (row[w] == NO_LINE && empty == c->ways)
            empty = w;
    }
    c->st.misses++;
    uint32_t way = empty;
    if (way == c->ways) {
        way = repl_victim(&c->repl, set);
        c->st.evictions++;
    }
    row[way] = ln;
    repl_touch(&c->repl, set, way);
    return false;
}

#endif
