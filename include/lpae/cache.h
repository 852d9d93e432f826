/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/cache.h
 * @brief Physically indexed, physically tagged set-associative data caches
 * (the per-CPU L1D and the shared L2) with LRU replacement.
 *
 * The model tracks which lines are present, not their data (data lives in
 * lpae_phys). Every access allocates on a miss (loads and stores alike);
 * write-back traffic is not modelled. Latencies are charged by
 * lpae/machine.h from the cost parameters.
 */
#ifndef LPAE_CACHE_H
#define LPAE_CACHE_H

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Geometry. size = sets * ways * line with sets and line powers of two. */
typedef struct lpae_cache_config {
    uint32_t size; /**< bytes */
    uint32_t ways; /**< 1..64 */
    uint32_t line; /**< bytes, power of two, 8..4096 */
} lpae_cache_config;

/** Counters. */
typedef struct lpae_cache_stats {
    uint64_t accesses, hits, misses, evictions;
} lpae_cache_stats;

/** Opaque cache. */
typedef struct lpae_cache lpae_cache;

/** Create an empty cache. Errors: LPAE_EINVAL (NULL, geometry), LPAE_ENOMEM. */
LPAE_API int lpae_cache_create(const lpae_cache_config *cfg, lpae_cache **out);
/** Free. NULL is ignored. */
LPAE_API void lpae_cache_destroy(lpae_cache *c);

/**
 * Access the line holding physical @p pa: on a hit it becomes most recently
 * used; on a miss it is allocated (evicting the LRU line of its set).
 * Returns true on a hit. Counts.
 */
LPAE_API bool lpae_cache_access(lpae_cache *c, lpae_pa_t pa);
/** True when the line holding @p pa is present. Changes nothing. */
LPAE_API bool lpae_cache_probe(const lpae_cache *c, lpae_pa_t pa);
/** Drop every line (counters kept). */
LPAE_API void lpae_cache_flush(lpae_cache *c);
/** Line size in bytes (0 for NULL). */
LPAE_API uint32_t lpae_cache_line(const lpae_cache *c);
/** Counters (zeroes for NULL). */
LPAE_API lpae_cache_stats lpae_cache_stats_get(const lpae_cache *c);
/** Zero the counters (contents stay). NULL is ignored. */
LPAE_API void lpae_cache_stats_reset(lpae_cache *c);

#ifdef __cplusplus
}
#endif
#endif
