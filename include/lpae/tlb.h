/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/tlb.h
 * @brief Set-associative TLBs and walk caches, as structures.
 *
 * An lpae_tlb is one TLB level (a micro-TLB or a main TLB): entries x ways,
 * a set of page sizes it can hold, and a replacement policy. An entry keeps
 * everything a walk answered (output address, lpae_attrs with the
 * permission bitmask, leaf level and size, TTBR region), so a hit answers
 * exactly what the walk did. A translation whose leaf is larger than every
 * size the TLB holds is cached as a piece of the largest held size that
 * fits (the Cortex-A15's L1 TLBs cache a 2 MB block as 4 KB pieces).
 *
 * Entries are tagged with the ASID unless global (nG = 0): a global entry
 * matches every ASID. In a set-associative TLB holding several sizes, an
 * entry of size S sits in set (VA >> S) mod sets, and a lookup probes the
 * set of each size currently present (the A7's "hitmap").
 *
 * An lpae_walkcache holds table descriptors of one level (1 or 2): the next
 * table's physical address and the table attributes accumulated through
 * the descriptor, so that a walk can resume one level further down
 * (lpae_walk_from()). Entries are ASID-tagged when so configured.
 *
 * Timing is not charged here; lpae/machine.h prices lookups. Neither
 * structure is thread-safe. Lookups never allocate.
 */
#ifndef LPAE_TLB_H
#define LPAE_TLB_H

#include "lpae/cost.h"
#include "lpae/export.h"
#include "lpae/types.h"
#include "lpae/walk.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Geometry of one TLB level. */
typedef struct lpae_tlb_config {
    uint32_t entries; /**< total entries, > 0, a multiple of ways; entries/ways a power of two */
    uint32_t ways;    /**< associativity (== entries: fully associative) */
    uint32_t sizes;   /**< page sizes held: bit n = 2^n-byte entries; must include bit 12 */
    unsigned repl;    /**< lpae_repl; PLRU needs ways a power of two <= 64 */
    uint64_t seed;    /**< seed of the random policy (0 picks a fixed default) */
} lpae_tlb_config;

/** One cached translation. */
typedef struct lpae_tlb_entry {
    lpae_va_t va;       /**< first VA the entry covers (aligned to 1 << size_shift) */
    uint32_t serial;    /**< changes on every refill or invalidation of this slot; 0 = invalid */
    lpae_pa_t pa;       /**< PA of va */
    lpae_attrs attrs;   /**< as the walk answered (perm bitmask included) */
    uint8_t size_shift; /**< size this entry covers here (<= leaf_shift) */
    uint8_t leaf_shift; /**< size of the leaf the walk found: 12, 21 or 30 */
    uint8_t level;      /**< level of the leaf (1..3) */
    uint8_t asid;       /**< ASID the walk ran under (meaningless when global) */
    uint8_t sel;        /**< lpae_ttbr_sel of the walk */
    bool global;        /**< nG == 0: matches every ASID */
    bool valid;
} lpae_tlb_entry;

/** Counters of one TLB. */
typedef struct lpae_tlb_stats {
    uint64_t lookups, hits, misses;
    uint64_t inserts;     /**< fills */
    uint64_t evictions;   /**< fills that replaced a valid entry */
    uint64_t invalidated; /**< entries removed by maintenance */
} lpae_tlb_stats;

/** Opaque TLB level. */
typedef struct lpae_tlb lpae_tlb;

/**
 * Create an empty TLB. *out is owned by the caller (lpae_tlb_destroy()).
 * Errors: LPAE_EINVAL (NULL, bad geometry or sizes), LPAE_ENOMEM.
 */
LPAE_API int lpae_tlb_create(const lpae_tlb_config *cfg, lpae_tlb **out);

/** Free @p t. NULL is ignored. */
LPAE_API void lpae_tlb_destroy(lpae_tlb *t);

/**
 * Look @p va up for @p asid. On a hit the entry becomes most recently used
 * and is returned (owned by @p t, valid until the next insert or
 * invalidation); on a miss NULL. Counts a lookup and a hit or miss.
 */
LPAE_API const lpae_tlb_entry *lpae_tlb_lookup(lpae_tlb *t, lpae_va_t va, uint8_t asid);

/** As lpae_tlb_lookup() but changes nothing (no replacement update, no counting). */
LPAE_API const lpae_tlb_entry *lpae_tlb_probe(const lpae_tlb *t, lpae_va_t va, uint8_t asid);

/**
 * Cache the translation of @p va described by @p tr: its pa is the PA of
 * @p va, leaf_shift the leaf size, and size_shift the largest piece the
 * caller allows (normally leaf_shift; a lower level filled from a main-TLB
 * piece passes that piece's size). va, serial and valid are recomputed.
 * The piece size is the largest held size <= min(leaf_shift, size_shift). An invalid way of the set
 * is filled first, else the policy picks a victim; if @p evicted is not NULL it receives the
 * replaced entry (valid = false when none). Returns the new entry, or NULL on bad input.
 */
LPAE_API const lpae_tlb_entry *lpae_tlb_insert(lpae_tlb *t, lpae_va_t va, const lpae_tlb_entry *tr,
                                               lpae_tlb_entry *evicted);

/** TLBIALL: drop every entry. Returns the number dropped. */
LPAE_API size_t lpae_tlb_inv_all(lpae_tlb *t);
/** TLBIASID: drop non-global entries of @p asid; global entries stay. */
LPAE_API size_t lpae_tlb_inv_asid(lpae_tlb *t, uint8_t asid);
/** TLBIMVA: drop entries covering @p va that are global or tagged with @p asid. */
LPAE_API size_t lpae_tlb_inv_va(lpae_tlb *t, lpae_va_t va, uint8_t asid);
/** TLBIMVAA: drop entries covering @p va, whatever their ASID. */
LPAE_API size_t lpae_tlb_inv_va_all(lpae_tlb *t, lpae_va_t va);

/** Number of valid entries. */
LPAE_API size_t lpae_tlb_count(const lpae_tlb *t);
/** Total slots, and slot @p i (valid or not; NULL out of range). Slot i is set i / ways. */
LPAE_API size_t lpae_tlb_capacity(const lpae_tlb *t);
LPAE_API const lpae_tlb_entry *lpae_tlb_slot(const lpae_tlb *t, size_t i);
/** Counters (NULL-safe: zeroes). */
LPAE_API lpae_tlb_stats lpae_tlb_stats_get(const lpae_tlb *t);
/** Drop every entry and reset replacement state and counters to creation state. */
LPAE_API void lpae_tlb_reset(lpae_tlb *t);

/** Largest size shift held by @p sizes that is <= @p leaf_shift (0 if none). */
LPAE_API unsigned lpae_tlb_piece_shift(uint32_t sizes, unsigned leaf_shift);

/* ---- walk caches ------------------------------------------------------- */

/** Geometry of a walk cache for the table descriptors of one level. */
typedef struct lpae_walkcache_config {
    uint32_t entries, ways; /**< as lpae_tlb_config */
    unsigned repl;          /**< lpae_repl */
    unsigned level;         /**< 1 (descriptors covering 1 GB) or 2 (covering 2 MB) */
    bool asid_tagged;       /**< entries match only the ASID they were filled under */
    uint64_t seed;
} lpae_walkcache_config;

/** One cached table descriptor. */
typedef struct lpae_wc_entry {
    lpae_va_t va;        /**< first VA the descriptor covers */
    uint32_t serial;     /**< as lpae_tlb_entry.serial */
    lpae_pa_t table_pa;  /**< next-level table address */
    lpae_pa_t desc_pa;   /**< where the descriptor was read */
    uint64_t desc;       /**< the descriptor value */
    uint8_t table_attrs; /**< accumulated NSTable..PXNTable ([63:59] >> 59) */
    uint8_t level;       /**< level of the descriptor (1 or 2) */
    uint8_t asid;
    uint8_t sel; /**< lpae_ttbr_sel */
    bool valid;
} lpae_wc_entry;

/** Opaque walk cache. */
typedef struct lpae_walkcache lpae_walkcache;

/** Create. Errors: LPAE_EINVAL (NULL, geometry, level not 1 or 2), LPAE_ENOMEM. */
LPAE_API int lpae_walkcache_create(const lpae_walkcache_config *cfg, lpae_walkcache **out);
/** Free. NULL is ignored. */
LPAE_API void lpae_walkcache_destroy(lpae_walkcache *wc);
/** Look up the descriptor covering @p va for @p asid (updates replacement, counts). */
LPAE_API const lpae_wc_entry *lpae_walkcache_lookup(lpae_walkcache *wc, lpae_va_t va, uint8_t asid);
/** As lookup, changing nothing. */
LPAE_API const lpae_wc_entry *lpae_walkcache_probe(const lpae_walkcache *wc, lpae_va_t va,
                                                   uint8_t asid);
/**
 * Cache the table descriptor @p f (a fetch of a walk at the cache's level
 * whose descriptor is a table) for @p va under @p asid in region @p sel.
 * Returns the new entry, or NULL when @p f is not a table descriptor of
 * this level.
 */
LPAE_API const lpae_wc_entry *lpae_walkcache_insert(lpae_walkcache *wc, lpae_va_t va, uint8_t asid,
                                                    uint8_t sel, const lpae_fetch *f);
/** Invalidate all; by ASID (everything when not ASID-tagged); by VA and ASID; by VA. */
LPAE_API size_t lpae_walkcache_inv_all(lpae_walkcache *wc);
LPAE_API size_t lpae_walkcache_inv_asid(lpae_walkcache *wc, uint8_t asid);
LPAE_API size_t lpae_walkcache_inv_va(lpae_walkcache *wc, lpae_va_t va, uint8_t asid);
LPAE_API size_t lpae_walkcache_inv_va_all(lpae_walkcache *wc, lpae_va_t va);
/** Valid entries; counters; reset to creation state. */
LPAE_API size_t lpae_walkcache_count(const lpae_walkcache *wc);
LPAE_API lpae_tlb_stats lpae_walkcache_stats_get(const lpae_walkcache *wc);
LPAE_API void lpae_walkcache_reset(lpae_walkcache *wc);

#ifdef __cplusplus
}
#endif
#endif
