/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/phys.h
 * @brief Simulated 40-bit physical memory and its page-frame allocator.
 *
 * Memory is sparse: host backing is allocated a 4 KB page at a time on the
 * first write; RAM that was never written reads as zero. Any access that
 * touches a byte outside every configured RAM range is an external abort
 * (LPAE_EABORT), never a crash.
 *
 * The frame allocator hands out 4 KB frames (or aligned contiguous runs)
 * from a caller-given physical window, so that policy above it can express
 * zones (lowmem, highmem) and table placement. A frame is zero when handed
 * out. Freeing a frame releases its host backing.
 *
 * An lpae_phys is not thread-safe; give each thread its own or serialise.
 */
#ifndef LPAE_PHYS_H
#define LPAE_PHYS_H

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque simulated physical memory. Created by lpae_phys_create(). */
typedef struct lpae_phys lpae_phys;

/** One DRAM range. base and size are bytes, 4 KB aligned, below 2^40. */
typedef struct lpae_ram_range {
    lpae_pa_t base;
    uint64_t size;
} lpae_ram_range;

/** At most this many RAM ranges per memory map. */
#define LPAE_PHYS_MAX_RANGES 16

/** Memory map and limits. */
typedef struct lpae_phys_config {
    const lpae_ram_range *ranges; /**< borrowed for the call; copied */
    size_t nranges;               /**< 1..LPAE_PHYS_MAX_RANGES, non-overlapping */
    /** Cap on host bytes used for backing pages; 0 means no cap. A write that
     *  would exceed it fails with LPAE_ENOMEM and changes nothing. */
    uint64_t backing_cap_bytes;
} lpae_phys_config;

/** Counters. Bytes are host or simulated bytes as named. */
typedef struct lpae_phys_stats {
    uint64_t ram_bytes;     /**< simulated RAM configured */
    uint64_t frames_total;  /**< 4 KB frames in all ranges */
    uint64_t frames_in_use; /**< frames allocated or reserved */
    uint64_t backed_pages;  /**< pages with host backing (written at least once) */
    uint64_t backing_bytes; /**< host bytes held for backing and bookkeeping */
} lpae_phys_stats;

/**
 * Create physical memory for @p cfg. On success *out owns a new object that
 * the caller frees with lpae_phys_destroy().
 * Errors: LPAE_EINVAL (NULL, no range, too many ranges, overlap, zero size,
 * beyond 2^40), LPAE_EALIGN (range not 4 KB aligned), LPAE_ENOMEM.
 */
LPAE_API int lpae_phys_create(const lpae_phys_config *cfg, lpae_phys **out);

/** Free @p phys and all its backing. NULL is ignored. */
LPAE_API void lpae_phys_destroy(lpae_phys *phys);

/** True when every byte of [pa, pa+len) lies in one configured RAM range. */
LPAE_API bool lpae_phys_is_ram(const lpae_phys *phys, lpae_pa_t pa, uint64_t len);

/**
 * Copy @p len bytes at physical @p pa into @p buf. Unwritten RAM reads as 0.
 * Errors: LPAE_EINVAL (NULL), LPAE_EABORT (any byte outside RAM; buf is
 * then unspecified).
 */
LPAE_API int lpae_phys_read(const lpae_phys *phys, lpae_pa_t pa, void *buf, size_t len);

/**
 * Copy @p len bytes from @p buf to physical @p pa, backing pages as needed.
 * Errors: LPAE_EINVAL, LPAE_EABORT (nothing written), LPAE_ENOMEM (cap or
 * host allocation; nothing written).
 */
LPAE_API int lpae_phys_write(lpae_phys *phys, lpae_pa_t pa, const void *buf, size_t len);

/**
 * Read a little-endian 64-bit word at 8-byte-aligned @p pa (a descriptor).
 * Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_EABORT.
 */
LPAE_API int lpae_phys_read64(const lpae_phys *phys, lpae_pa_t pa, uint64_t *val);

/** Write a little-endian 64-bit word at 8-byte-aligned @p pa. Errors as lpae_phys_write plus
 * LPAE_EALIGN. */
LPAE_API int lpae_phys_write64(lpae_phys *phys, lpae_pa_t pa, uint64_t val);

/**
 * Allocate one zeroed 4 KB frame whose address lies in [lo, hi).
 * Pass lo = 0, hi = UINT64_MAX for anywhere. Deterministic: the lowest free
 * frame at or after the window's next-fit cursor.
 * Errors: LPAE_EINVAL, LPAE_ENOSPC (no free frame in the window).
 */
LPAE_API int lpae_phys_alloc_page(lpae_phys *phys, lpae_pa_t lo, lpae_pa_t hi, lpae_pa_t *out);

/**
 * Allocate @p size bytes (a multiple of 4 KB) of contiguous zeroed frames
 * aligned to @p align (a power of two >= 4 KB) inside [lo, hi).
 * Errors: LPAE_EINVAL (NULL, size 0, lo >= hi, or align not a power of two
 * >= 4 KB: a bad argument), LPAE_EALIGN (size not a multiple of 4 KB),
 * LPAE_ENOSPC (no free run in the window).
 */
LPAE_API int lpae_phys_alloc_contig(lpae_phys *phys, uint64_t size, uint64_t align, lpae_pa_t lo,
                                    lpae_pa_t hi, lpae_pa_t *out);

/**
 * Mark [pa, pa+size) as in use without zeroing it (firmware, a loaded image,
 * the kernel's own lowmem). Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_EABORT
 * (not RAM), LPAE_EEXIST (some frame already in use; nothing reserved).
 */
LPAE_API int lpae_phys_reserve(lpae_phys *phys, lpae_pa_t pa, uint64_t size);

/**
 * Return [pa, pa+size) to the allocator and drop its backing, so it reads as
 * zero. Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_EABORT, LPAE_ENOENT (some
 * frame was not in use; nothing freed).
 */
LPAE_API int lpae_phys_free(lpae_phys *phys, lpae_pa_t pa, uint64_t size);

/** True when the 4 KB frame containing @p pa is allocated or reserved. */
LPAE_API bool lpae_phys_frame_in_use(const lpae_phys *phys, lpae_pa_t pa);

/** Fill @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_phys_stats_get(const lpae_phys *phys, lpae_phys_stats *st);

/** Number of RAM ranges, and a copy of range @p i (LPAE_EINVAL if out of range). */
LPAE_API size_t lpae_phys_range_count(const lpae_phys *phys);
LPAE_API int lpae_phys_range_get(const lpae_phys *phys, size_t i, lpae_ram_range *out);

#ifdef __cplusplus
}
#endif
#endif
