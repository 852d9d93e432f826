/* SPDX-License-Identifier: MIT */
/* Internal: replacement state of a set-associative structure (TLBs, walk
 * caches, data caches). Callers fill an invalid way first when the set has
 * one; repl_victim() is asked only when every way is valid. */
#ifndef LPAE_SRC_TLB_REPL_H
#define LPAE_SRC_TLB_REPL_H

#include <stdbool.h>
#include <stdint.h>

#include "lpae/cost.h"

/* LRU with at least REPL_CAND_MIN_WAYS ways keeps, per set, REPL_CAND
 * victim candidates: the ways with the smallest (stamp, way) at the last
 * scan, ascending, each packed with the stamp it had then as
 * stamp << REPL_WAY_BITS | way (exact: a scan runs only while the clock is
 * below REPL_STAMP_LIMIT, else the victim comes from a plain scan). A way
 * touched since has a new stamp, larger than every untouched one, so it no
 * longer matches its record and is skipped; the first candidate still
 * matching is therefore the least recently used way, the answer a full scan
 * gives. Hits need no bookkeeping; the scan runs again only when the
 * candidates are used up. 32 candidates (every way of a 32-way micro-TLB)
 * make the scan, whose cost is mostly the sorted insertion, rarer. */
#define REPL_CAND 32
#define REPL_CAND_MIN_WAYS 32
#define REPL_WAY_BITS 16
#define REPL_STAMP_LIMIT (UINT64_C(1) << (64 - REPL_WAY_BITS))

/* LRU touch log: every LRU touch also writes the slot index (mod 256) at
 * log[clock mod REPL_LOG], so the touches of the last REPL_LOG clock ticks
 * are known in order. In a one-set state whose ways (at most 256) are all
 * valid and were all touched since the last reset, the least recently used
 * way is the one whose stamp is the oldest position q of the log with
 * stamp[log[q]] == q: a way touched at time q wrote log[q], and a later
 * touch of it changes its stamp (a stale entry never matches: an entry
 * overwritten at q + k * REPL_LOG names a way whose stamp is not q).
 * repl_lru_victim_log() walks the log from lpos, a time no valid way's
 * stamp is below, so each position is visited about once: O(1) per touch,
 * no sorting, no scan. When lpos falls more than REPL_LOG behind the clock
 * (a way unused for that long) the victim comes from a plain scan. */
#define REPL_LOG 256

typedef struct repl_state {
    uint8_t policy; /* lpae_repl */
    uint8_t levels; /* PLRU tree depth: log2(ways) */
    uint32_t ways;
    uint64_t clock;        /* LRU time */
    uint64_t *stamp;       /* LRU: last-use time per way (sets * ways) */
    uint64_t *cand;        /* LRU candidates: REPL_CAND packed (stamp, way) per set, ascending;
                              NULL: no candidates (narrow sets, other policies) */
    uint8_t *cpos;         /* per set: index of the next candidate (REPL_CAND: used up) */
    uint64_t *plru;        /* PLRU: tree bits per set; bit n-1 is node n (heap order) */
    uint32_t *rr;          /* round-robin: next victim per set */
    uint64_t rng;          /* random: xorshift64 state, never 0 */
    uint64_t lpos;         /* LRU, one set: no valid way's stamp is below it (see REPL_LOG) */
    uint8_t log[REPL_LOG]; /* LRU: slot touched at time t, at log[t % REPL_LOG] */
} repl_state;

/* 0 or LPAE_EINVAL / LPAE_ENOMEM. */
int repl_init(repl_state *r, unsigned policy, uint32_t sets, uint32_t ways, uint64_t seed);
void repl_free(repl_state *r);
/* Reset to the state after repl_init() (same seed). */
void repl_reset(repl_state *r, uint32_t sets, uint64_t seed);

/* LRU touch of slot @p idx (set * ways + way). */
static inline void repl_lru_touch(repl_state *r, uint64_t idx)
{
    uint64_t c = ++r->clock;
    r->stamp[idx] = c;
    r->log[c % REPL_LOG] = (uint8_t)idx; /* read only for one-set states */
}

/* repl_lru_touch() of a state of more than one set, whose log nobody reads
 * (repl_lru_victim_log() is for one-set states): the stamp only. */
static inline void repl_lru_touch_sets(repl_state *r, uint64_t idx)
{
    r->stamp[idx] = ++r->clock;
}

static inline void repl_touch(repl_state *r, uint32_t set, uint32_t way)
{
    switch (r->policy) {
    case LPAE_REPL_LRU:
        repl_lru_touch(r, (uint64_t)set * r->ways + way);
        break;
    case LPAE_REPL_PLRU: {
        uint64_t bits = r->plru[set];
        unsigned node = 1;
        for (unsigned l = r->levels; l-- > 0;) {
            unsigned dir = (way >> l) & 1u;
            /* point the node away from the way just used */
            if (dir)
                bits &= ~(UINT64_C(1) << (node - 1));
            else
                bits |= UINT64_C(1) << (node - 1);
            node = node * 2 + dir;
        }
        r->plru[set] = bits;
        break;
    }
    default:
        break;
    }
}

uint32_t repl_victim(repl_state *r, uint32_t set);

/* repl_lru_victim_log() by a scan of the stamps (the log is too short):
 * also moves lpos up to the oldest stamp. */
uint32_t repl_lru_victim_scan(repl_state *r, bool fill);

/* Refill set @p set's LRU candidates (r->cand set) from its stamps. */
void repl_cand_fill(repl_state *r, uint32_t set);

/* repl_victim() of an LRU state, inline: the candidates' check, or the
 * stamp scan of a narrow set. */
static inline __attribute__((always_inline)) uint32_t repl_lru_victim_fill(repl_state *r,
                                                                           uint32_t set, bool fill);

static inline __attribute__((always_inline)) uint32_t repl_lru_victim(repl_state *r, uint32_t set)
{
    return repl_lru_victim_fill(r, set, false);
}

/* repl_lru_victim() of a 4-way LRU state (no candidates below
 * REPL_CAND_MIN_WAYS): a tournament; ties go to the lower way, as in the
 * scan. */
_Static_assert(REPL_CAND_MIN_WAYS > 4, "4-way sets keep no LRU candidates");
static inline __attribute__((always_inline)) uint32_t repl_lru_victim4(const repl_state *r,
                                                                       uint32_t set)
{
    const uint64_t *st = r->stamp + (uint64_t)set * 4u;
    uint64_t s0 = st[0], s1 = st[1], s2 = st[2], s3 = st[3];
    uint32_t w01 = s1 < s0, w23 = 2u + (s3 < s2);
    uint64_t v01 = w01 ? s1 : s0, v23 = s3 < s2 ? s3 : s2; /* no reloads by way */
    return v23 < v01 ? w23 : w01;
}

/* repl_lru_victim(); with @p fill the caller touches the victim before the
 * next victim query (a fill), so its candidate, stale by then, is passed. */
static inline __attribute__((always_inline)) uint32_t repl_lru_victim_fill(repl_state *r,
                                                                           uint32_t set, bool fill)
{
    const uint64_t *st = r->stamp + (uint64_t)set * r->ways;
    if (r->cand) {
        const uint64_t *c = r->cand + (size_t)set * REPL_CAND;
        unsigned i = r->cpos[set];
        while (i < REPL_CAND && st[(uint16_t)c[i]] != c[i] >> REPL_WAY_BITS)
            i++; /* touched since the scan */
        if (__builtin_expect(i < REPL_CAND, 1) || r->clock < REPL_STAMP_LIMIT) {
            if (i == REPL_CAND) {
                repl_cand_fill(r, set);
                i = 0;
            }
            r->cpos[set] = (uint8_t)(i + fill);
            return (uint16_t)c[i];
        }
    }
    if (r->ways == 4)
        return repl_lru_victim4(r, set);
    uint32_t best = 0;
    uint64_t bv = st[0]; /* kept in a register: no load chained through best */
    for (uint32_t w = 1; w < r->ways; w++)
        if (st[w] < bv) {
            bv = st[w];
            best = w;
        }
    return best;
}

/* The LRU victim of a one-set LRU state of at most 256 ways, all touched
 * since the last reset (a fully associative TLB whose ways are all valid):
 * the way a scan of the stamps answers, from the touch log (see REPL_LOG).
 * With @p fill the caller touches the victim before the next query. */
static inline __attribute__((always_inline)) uint32_t repl_lru_victim_log(repl_state *r, bool fill)
{
    const uint64_t *st = r->stamp;
    uint64_t q = r->lpos;
    if (__builtin_expect(r->clock - q < REPL_LOG, 1)) {
        /* the oldest stamp is in [q, clock] and its log entry is intact */
        for (;; q++) {
            uint32_t w = r->log[q % REPL_LOG];
            if (st[w] == q) {
                r->lpos = q + fill;
                return w;
            }
        }
    }
    return repl_lru_victim_scan(r, fill);
}

#endif
