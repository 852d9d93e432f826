/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/pgtable.h
 * @brief Building Long-descriptor translation tables in simulated memory.
 *
 * An lpae_pgtable is one table tree for one region (the TTBR0 region for a
 * given T0SZ, or the TTBR1 region for a given T1SZ). Table pages come from
 * the lpae_phys frame allocator inside a caller-given window. Mapping uses
 * the largest granule (1 GB, 2 MB, 4 KB) that the VA, PA and size alignment
 * allow, unless a granule is forced. Changing part of a block splits it into
 * a next-level table first.
 *
 * The builder only writes descriptors. It performs no TLB maintenance:
 * that is the caller's job, and forgetting it is what the coherence checker
 * finds. Every descriptor write is counted.
 */
#ifndef LPAE_PGTABLE_H
#define LPAE_PGTABLE_H

#include "lpae/export.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque table tree. */
typedef struct lpae_pgtable lpae_pgtable;

/** Where the tree lives. */
typedef struct lpae_pgtable_config {
    lpae_phys *phys;    /**< borrowed; must outlive the pgtable */
    lpae_ttbr_sel sel;  /**< LPAE_SEL_TTBR0 or LPAE_SEL_TTBR1 */
    unsigned tsz;       /**< T0SZ or T1SZ, 0..7 */
    lpae_pa_t table_lo; /**< table pages are allocated in [table_lo, table_hi) */
    lpae_pa_t table_hi; /**< 0 means no upper limit */
} lpae_pgtable_config;

/** Leaf attributes as written into a block or page descriptor. */
typedef struct lpae_prot {
    uint8_t attrindx; /**< AttrIndx[2:0] */
    uint8_t ap;       /**< AP[2:1], LPAE_AP_* */
    uint8_t sh;       /**< SH[1:0] */
    uint8_t sw;       /**< software bits [58:55] */
    bool ns, ng, af, xn, pxn, contiguous;
} lpae_prot;

/** Flags for lpae_pgtable_map(). */
enum {
    LPAE_MAP_FORCE_4K = 1u << 0, /**< only 4 KB pages */
    LPAE_MAP_FORCE_2M = 1u << 1, /**< 2 MB blocks (VA/PA/size must be 2 MB aligned) */
    LPAE_MAP_FORCE_1G = 1u << 2, /**< 1 GB blocks (level 1 must exist for the region) */
    LPAE_MAP_REPLACE = 1u << 3   /**< overwrite existing mappings instead of LPAE_EEXIST */
};

/** Counters. */
typedef struct lpae_pgtable_stats {
    uint64_t table_pages;  /**< table pages held, root included */
    uint64_t mapped_bytes; /**< VA bytes currently mapped */
    uint64_t leaves[4];    /**< live leaf descriptors by level (index 1..3) */
    uint64_t desc_writes;  /**< descriptors written since creation */
    uint64_t splits;       /**< blocks split into tables */
} lpae_pgtable_stats;

/**
 * Create an empty tree (an all-invalid root table). *out is owned by the
 * caller; free it with lpae_pgtable_destroy().
 * Errors: LPAE_EINVAL, LPAE_ENOSPC (no frame for the root), LPAE_ENOMEM.
 */
LPAE_API int lpae_pgtable_create(const lpae_pgtable_config *cfg, lpae_pgtable **out);

/** Free the tree's table pages (not the pages it maps) and the object. NULL ok. */
LPAE_API void lpae_pgtable_destroy(lpae_pgtable *pt);

/** Physical address of the root table. */
LPAE_API lpae_pa_t lpae_pgtable_root(const lpae_pgtable *pt);

/** The 64-bit TTBRn value for this tree with @p asid in [55:48]. */
LPAE_API uint64_t lpae_pgtable_ttbr(const lpae_pgtable *pt, uint8_t asid);

/** Region geometry (first and last VA, start level) of the tree. */
LPAE_API const lpae_region *lpae_pgtable_region(const lpae_pgtable *pt);

/**
 * Map [va, va+size) to [pa, pa+size) with @p prot. va, pa and size must be
 * 4 KB aligned and the VA range inside the region; pa + size <= 2^40.
 * Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_ERANGE, LPAE_EEXIST (some page is
 * mapped and REPLACE not given), LPAE_ENOSPC (no frame for a table).
 * On error, mappings already made by this call are removed again (with
 * LPAE_MAP_REPLACE the whole range is then left unmapped).
 */
LPAE_API int lpae_pgtable_map(lpae_pgtable *pt, lpae_va_t va, lpae_pa_t pa, uint64_t size,
                              const lpae_prot *prot, unsigned flags);

/**
 * Unmap [va, va+size); blocks only partly covered are split. Unmapped holes
 * inside the range are fine. Table pages that become empty are freed.
 * Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_ERANGE, LPAE_ENOSPC (a split needed a frame).
 */
LPAE_API int lpae_pgtable_unmap(lpae_pgtable *pt, lpae_va_t va, uint64_t size);

/**
 * Change the attributes of every mapped page in [va, va+size) to @p prot,
 * keeping output addresses; splits blocks as needed.
 * Errors: as lpae_pgtable_unmap().
 */
LPAE_API int lpae_pgtable_protect(lpae_pgtable *pt, lpae_va_t va, uint64_t size,
                                  const lpae_prot *prot);

/**
 * Set the table attributes (NSTable, APTable, XNTable, PXNTable as
 * bits [63:59] >> 59) of the table descriptor at @p level (1 or 2) that
 * covers @p va. Errors: LPAE_EINVAL, LPAE_ENOENT (no table descriptor there).
 */
LPAE_API int lpae_pgtable_set_table_attrs(lpae_pgtable *pt, lpae_va_t va, unsigned level,
                                          uint8_t table_attrs);

/** The leaf covering a VA. */
typedef struct lpae_pte_ref {
    unsigned level;    /**< 1..3 */
    lpae_pa_t desc_pa; /**< where the descriptor lives */
    uint64_t desc;     /**< its value */
} lpae_pte_ref;

/**
 * Find the descriptor that maps @p va (a block or page), or for an unmapped
 * VA the invalid entry where the walk stops. Errors: LPAE_EINVAL,
 * LPAE_ERANGE, LPAE_ENOENT (not mapped; *out describes the invalid entry).
 */
LPAE_API int lpae_pgtable_lookup(const lpae_pgtable *pt, lpae_va_t va, lpae_pte_ref *out);

/**
 * Write a raw descriptor value at the leaf slot for @p va at @p level,
 * creating intermediate tables as needed (a fixmap PTE write, or a test
 * planting an arbitrary encoding). Returns the descriptor's PA in *desc_pa.
 * Errors: LPAE_EINVAL, LPAE_ERANGE, LPAE_EEXIST (a block covers the slot
 * at a higher level), LPAE_ENOSPC.
 */
LPAE_API int lpae_pgtable_set_desc(lpae_pgtable *pt, lpae_va_t va, unsigned level, uint64_t desc,
                                   lpae_pa_t *desc_pa);

/** Called for each leaf, lowest VA first. Return non-zero to stop (returned as is). */
typedef int (*lpae_pgtable_visit_fn)(void *ctx, lpae_va_t va, uint64_t size, unsigned level,
                                     uint64_t desc);

/** Visit every valid leaf. Returns 0, or the visitor's non-zero value. */
LPAE_API int lpae_pgtable_foreach(const lpae_pgtable *pt, lpae_pgtable_visit_fn fn, void *ctx);

/** Fill @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_pgtable_stats_get(const lpae_pgtable *pt, lpae_pgtable_stats *st);

/** Encode @p prot and output address @p pa as a level-@p level leaf descriptor. */
LPAE_API uint64_t lpae_desc_leaf(unsigned level, lpae_pa_t pa, const lpae_prot *prot);

/** Decode the attribute fields of a leaf descriptor into @p prot. */
LPAE_API void lpae_desc_prot(uint64_t desc, lpae_prot *prot);

#ifdef __cplusplus
}
#endif
#endif
