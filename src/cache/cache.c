/* SPDX-License-Identifier: MIT */
/* Physically indexed set-associative data caches with LRU replacement
 * (each set in recency order: see cache_impl.h). */
#include "lpae/cache.h"

#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "cache/cache_impl.h"

static bool is_pow2(uint64_t v)
{
    return v && !(v & (v - 1));
}

int lpae_cache_create(const lpae_cache_config *cfg, lpae_cache **out)
{
    if (!cfg || !out || !is_pow2(cfg->line) || cfg->line < 8 || cfg->line > 4096 ||
        cfg->ways == 0 || cfg->ways > 64 || cfg->size == 0 ||
        cfg->size % ((uint64_t)cfg->ways * cfg->line) ||
        !is_pow2(cfg->size / ((uint64_t)cfg->ways * cfg->line)))
        return LPAE_EINVAL;
    lpae_cache *c = calloc(1, sizeof *c);
    if (!c)
        return LPAE_ENOMEM;
    c->line = cfg->line;
    c->ways = cfg->ways;
    c->sets = (uint32_t)(cfg->size / ((uint64_t)cfg->ways * cfg->line));
    c->set_mask = c->sets - 1;
    while ((1u << c->line_shift) < c->line)
        c->line_shift++;
    c->perm = c->ways >= CACHE_PERM_MIN_WAYS && c->ways <= CACHE_PERM_MAX_WAYS;
    if (c->perm) {
        c->lru = (uint8_t)(c->ways - 1);
        c->way_mask = (1u << c->ways) - 1u;
    }
    c->fast = c->perm ? (c->ways == 16  ? CACHE_FAST_PERM16
                         : c->ways == 8 ? CACHE_FAST_PERM8
                                        : CACHE_FAST_NONE)
                      : (c->ways == 2   ? CACHE_FAST_REC2
                         : c->ways == 4 ? CACHE_FAST_REC4
                                        : CACHE_FAST_NONE);
    c->tag_off = c->perm ? PERM_ROW : 0;
    c->stride = c->ways + c->tag_off;
    c->nlines = (uint64_t)c->sets * c->ways;
    c->tag = malloc((size_t)c->sets * c->stride * sizeof *c->tag);
    if (!c->tag) {
        lpae_cache_destroy(c);
        return LPAE_ENOMEM;
    }
    lpae_cache_flush(c);
    *out = c;
    return LPAE_OK;
}

void lpae_cache_destroy(lpae_cache *c)
{
    if (!c)
        return;
    free(c->tag);
    free(c);
}

bool lpae_cache_access(lpae_cache *c, lpae_pa_t pa)
{
    return c ? cache_access(c, pa) : false;
}

bool lpae_cache_probe(const lpae_cache *c, lpae_pa_t pa)
{
    if (!c)
        return false;
    uint64_t ln = pa >> c->line_shift;
    const uint64_t *row = c->tag + (size_t)((uint32_t)ln & c->set_mask) * c->stride + c->tag_off;
    for (uint32_t w = 0; w < c->ways; w++)
        if (row[w] == ln)
            return true;
    return false;
}

void lpae_cache_flush(lpae_cache *c)
{
    if (!c)
        return;
    c->flush_mark = c->fills; /* no valid line */
    /* every way empty; in the permutation layout any order is then valid:
     * start from the identity (way w at place w), POS_NONE past the ways */
    uint8_t pos[16];
    for (uint32_t w = 0; w < 16; w++)
        pos[w] = (uint8_t)(w < c->ways ? w : POS_NONE);
    for (uint32_t s = 0; s < c->sets; s++) {
        uint64_t *blk = c->tag + (size_t)s * c->stride;
        if (c->perm) {
            memcpy(blk + PERM_POS, pos, 16);
            memset(blk + PERM_SIG, 0, 16); /* stale hashes of empty ways: any value */
        }
        for (uint32_t w = 0; w < c->ways; w++)
            blk[c->tag_off + w] = NO_LINE;
    }
}

uint32_t lpae_cache_line(const lpae_cache *c)
{
    return c ? c->line : 0;
}

lpae_cache_stats lpae_cache_stats_get(const lpae_cache *c)
{
    lpae_cache_stats z = {0};
    if (!c)
        return z;
    z.accesses = c->hits + c->misses;
    z.hits = c->hits;
    z.misses = c->misses;
    z.evictions = c->misses - c->fills;
    return z;
}

void lpae_cache_stats_reset(lpae_cache *c)
{
    if (!c)
        return;
    c->flush_mark -= c->fills; /* the valid lines, fills - flush_mark, unchanged */
    c->hits = c->misses = c->fills = 0;
}
