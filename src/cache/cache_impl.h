/* SPDX-License-Identifier: MIT */
/* Internal: the data-cache layout and its access, inline for the machine's
 * per-line loops (copies touch one line per call).
 *
 * Replacement is LRU, and LRU is a stack algorithm: which lines a set holds,
 * and so every hit, miss and eviction, does not depend on which way holds a
 * line. A set therefore keeps its line numbers in recency order, most
 * recently used first, with empty ways (NO_LINE) after every valid one. A hit
 * at position p moves that line to the front; a miss pushes the new line in
 * at the front and drops the last entry, which is an eviction when it was a
 * valid line. This is exactly the stamp-per-way LRU that fills an empty way
 * first (tests/test_cache.c checks it against one), without stamps or a
 * victim scan. */
#ifndef LPAE_SRC_CACHE_CACHE_IMPL_H
#define LPAE_SRC_CACHE_CACHE_IMPL_H

#include "lpae/cache.h"

/* Never a line number: pa >> line_shift with line_shift >= 3 is < 2^61. */
#define NO_LINE UINT64_MAX

struct lpae_cache {
    uint32_t sets, ways, line;
    uint8_t line_shift;
    uint32_t set_mask;
    uint64_t *tag; /* per set, ways line numbers (pa >> line_shift), MRU first,
                      NO_LINE (empty) after the valid ones */
    lpae_cache_stats st;
};

/* lpae_cache_access() on a non-NULL cache: true on a hit; a miss allocates
 * the line (into an empty way if the set has one, else evicting the LRU
 * line). */
static inline bool cache_access(lpae_cache *c, lpae_pa_t pa)
{
    uint64_t ln = pa >> c->line_shift;
    uint64_t *row = c->tag + (size_t)((uint32_t)ln & c->set_mask) * c->ways;
    c->st.accesses++;
    /* Shift the set down by one from the front while searching: when the
     * line is found at p, row[0..p] has become ln, row[0..p-1]. Empty ways
     * (NO_LINE) never match; on a miss the entry that falls off the end is
     * either an empty way (the fill took it) or the LRU line (an eviction). */
    uint64_t carry = row[0];
    row[0] = ln;
    if (carry == ln) {
        c->st.hits++;
        return true;
    }
    const uint64_t *end = row + c->ways;
    for (uint64_t *q = row + 1; q < end; q++) {
        uint64_t t = *q;
        *q = carry;
        if (t == ln) {
            c->st.hits++;
            return true;
        }
        carry = t;
    }
    c->st.misses++;
    if (carry != NO_LINE)
        c->st.evictions++; /* the least recently used line fell off the end */
    return false;
}

#endif
