/* SPDX-License-Identifier: MIT */
#include "tlb/repl.h"

#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"

int repl_init(repl_state *r, unsigned policy, uint32_t sets, uint32_t ways, uint64_t seed)
{
    *r = (repl_state){0};
    if (ways == 0 || sets == 0 || policy > LPAE_REPL_RANDOM)
        return LPAE_EINVAL;
    r->policy = (uint8_t)policy;
    r->ways = ways;
    if (policy == LPAE_REPL_LRU) {
        r->stamp = calloc((size_t)sets * ways, sizeof *r->stamp);
        if (!r->stamp)
            return LPAE_ENOMEM;
        if (ways >= REPL_CAND_MIN_WAYS && ways <= UINT16_MAX) {
            r->cand = calloc((size_t)sets * REPL_CAND, sizeof *r->cand);
            r->cpos = malloc(sets * sizeof *r->cpos);
            if (!r->cand || !r->cpos) {
                repl_free(r);
                return LPAE_ENOMEM;
            }
            memset(r->cpos, REPL_CAND, sets * sizeof *r->cpos);
        }
    } else if (policy == LPAE_REPL_PLRU) {
        if (ways > 64 || (ways & (ways - 1)))
            return LPAE_EINVAL;
        while ((1u << r->levels) < ways)
            r->levels++;
        r->plru = calloc(sets, sizeof *r->plru);
        if (!r->plru)
            return LPAE_ENOMEM;
    } else if (policy == LPAE_REPL_RR) {
        r->rr = calloc(sets, sizeof *r->rr);
        if (!r->rr)
            return LPAE_ENOMEM;
    }
    r->rng = seed ? seed : UINT64_C(0x9E3779B97F4A7C15);
    return LPAE_OK;
}

void repl_free(repl_state *r)
{
    free(r->stamp);
    free(r->plru);
    free(r->rr);
    free(r->cand);
    free(r->cpos);
    *r = (repl_state){0};
}

void repl_reset(repl_state *r, uint32_t sets, uint64_t seed)
{
    if (r->stamp)
        for (uint64_t i = 0; i < (uint64_t)sets * r->ways; i++)
            r->stamp[i] = 0;
    if (r->cand)
        memset(r->cpos, REPL_CAND, sets * sizeof *r->cpos);
    if (r->plru)
        for (uint32_t i = 0; i < sets; i++)
            r->plru[i] = 0;
    if (r->rr)
        for (uint32_t i = 0; i < sets; i++)
            r->rr[i] = 0;
    r->clock = 0;
    r->lpos = 0;
    r->rng = seed ? seed : UINT64_C(0x9E3779B97F4A7C15);
}

/* Shortest run repl_cand_fill() merges (shorter ones grow by insertion). */
#define REPL_MIN_RUN 2

/* Merge the ascending runs x[0..nx) and y[0..ny) into out[0..nx+ny). */
static inline void merge_runs(const uint64_t *x, unsigned nx, const uint64_t *y, unsigned ny,
                              uint64_t *out)
{
    const uint64_t *xe = x + nx, *ye = y + ny;
    while (x < xe && y < ye)
        *out++ = *x < *y ? *x++ : *y++;
    while (x < xe)
        *out++ = *x++;
    while (y < ye)
        *out++ = *y++;
}

/* Scan a set for its REPL_CAND smallest (stamp, way), packed, ascending.
 * Every stamp is below REPL_STAMP_LIMIT (the clock is) and ways >= REPL_CAND. */
void repl_cand_fill(repl_state *r, uint32_t set)
{
    const uint64_t *s = r->stamp + (uint64_t)set * r->ways;
    uint64_t *c = r->cand + (size_t)set * REPL_CAND;
    /* the first REPL_CAND ways, sorted by a natural merge sort: the
     * ascending runs of the keys, merged pairwise until one is left (keys
     * are distinct, so any sort gives the same order). Fills in LRU order
     * leave few runs; already sorted keys cost one pass and a copy. */
    uint64_t a[REPL_CAND], b[REPL_CAND];
    unsigned bnd[REPL_CAND + 1], nruns = 0;
    for (uint32_t v = 0; v < REPL_CAND;) {
        /* a run from v: ascending keys, and at least REPL_MIN_RUN of them
         * (shorter ones are extended by insertion) */
        bnd[nruns++] = v;
        a[v] = s[v] << REPL_WAY_BITS | v;
        uint32_t e = v + 1;
        for (; e < REPL_CAND; e++) {
            uint64_t k = s[e] << REPL_WAY_BITS | e;
            if (k > a[e - 1]) {
                a[e] = k;
                continue;
            }
            if (e >= v + REPL_MIN_RUN)
                break; /* the next run starts at e */
            uint32_t i = e;
            while (i > v && a[i - 1] > k) {
                a[i] = a[i - 1];
                i--;
            }
            a[i] = k;
        }
        v = e;
    }
    bnd[nruns] = REPL_CAND;
    uint64_t *src = a, *dst = b;
    if (nruns == 1)
        memcpy(c, a, sizeof a);
    while (nruns > 1) {
        if (nruns == 2)
            dst = c; /* the last merge writes the candidates */
        unsigned nn = 0;
        for (unsigned q = 0; q < nruns; q += 2) {
            unsigned lo = bnd[q], mid = bnd[q + 1], hi = q + 2 <= nruns ? bnd[q + 2] : mid;
            merge_runs(src + lo, mid - lo, src + mid, hi - mid, dst + lo);
            bnd[nn++] = lo;
        }
        bnd[nn] = REPL_CAND;
        nruns = nn;
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    uint32_t w = REPL_CAND;
    for (; w < r->ways; w++) { /* wider sets: keep the smallest */
        uint64_t k = s[w] << REPL_WAY_BITS | w;
        if (k >= c[REPL_CAND - 1])
            continue;
        unsigned i = REPL_CAND - 1;
        while (i > 0 && c[i - 1] > k) {
            c[i] = c[i - 1];
            i--;
        }
        c[i] = k;
    }
}

uint32_t repl_lru_victim_scan(repl_state *r, bool fill)
{
    const uint64_t *st = r->stamp;
    uint32_t best = 0;
    uint64_t bv = st[0];
    for (uint32_t w = 1; w < r->ways; w++)
        if (st[w] < bv) {
            bv = st[w];
            best = w;
        }
    r->lpos = bv + fill;
    return best;
}

uint32_t repl_victim(repl_state *r, uint32_t set)
{
    switch (r->policy) {
    case LPAE_REPL_LRU:
        return repl_lru_victim(r, set);
    case LPAE_REPL_PLRU: {
        uint64_t bits = r->plru[set];
        unsigned node = 1;
        for (unsigned l = 0; l < r->levels; l++)
            node = node * 2 + (unsigned)((bits >> (node - 1)) & 1u);
        return node - (1u << r->levels);
    }
    case LPAE_REPL_RR: {
        uint32_t v = r->rr[set];
        r->rr[set] = v + 1 == r->ways ? 0 : v + 1;
        return v;
    }
    default: {
        /* xorshift64* */
        uint64_t x = r->rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r->rng = x;
        return (uint32_t)((x * UINT64_C(2685821657736338717)) >> 32) % r->ways;
    }
    }
}
