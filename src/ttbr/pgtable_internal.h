/* SPDX-License-Identifier: MIT */
/* Internal: cheap reads of a table tree's counters for other modules (the
 * public lpae_pgtable_stats_get() walks the whole tree to count leaves). */
#ifndef LPAE_SRC_TTBR_PGTABLE_INTERNAL_H
#define LPAE_SRC_TTBR_PGTABLE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/pgtable.h"
#include "mem/phys_internal.h"

/* A table tree (pgtable.c); here for the inline slot store below. */
struct lpae_pgtable {
    lpae_phys *phys;
    lpae_region region;
    lpae_pa_t root;
    lpae_pa_t lo, hi;
    unsigned tsz;
    struct owned_table *owned; /* the table pages it allocated (a uthash set) */
    uint64_t ntables;
    uint64_t desc_writes;
    uint64_t splits;
};

/* The store of lpae_pgtable_store_slot() when the slot's page has host
 * backing (always, once the table was written): the descriptor stored and
 * counted, true; else nothing done, false. */
static inline bool lpae_pgtable_store_backed(lpae_pgtable *pt, lpae_pa_t slot_pa, uint64_t desc)
{
    uint8_t *pg = lpae_phys_host_page(pt->phys, slot_pa);
    if (!pg)
        return false;
    uint64_t le = lpae_phys_le64(desc);
    memcpy(pg + (slot_pa & (LPAE_PAGE_SIZE - 8u)), &le, sizeof le);
    pt->desc_writes++;
    return true;
}

/** Descriptors written since creation (lpae_pgtable_stats.desc_writes); 0 for NULL. */
uint64_t lpae_pgtable_desc_writes(const lpae_pgtable *pt);

/**
 * Store the non-table descriptor @p desc into the leaf slot at @p slot_pa,
 * counted as a descriptor write: exactly what lpae_pgtable_set_desc(pt, va,
 * level, desc, ...) does when it returned @p slot_pa for (va, level) and the
 * tables on the way to the slot have not changed since (a fixmap PTE, whose
 * tables exist from boot). Preconditions (not checked): pt non-NULL, the
 * slot as said, desc not a table descriptor. Errors: as lpae_phys_write64.
 */
int lpae_pgtable_store_slot(lpae_pgtable *pt, lpae_pa_t slot_pa, uint64_t desc);
/* lpae_pgtable_store_slot() with its usual case inline. */
static inline int lpae_pgtable_store_slot_in(lpae_pgtable *pt, lpae_pa_t slot_pa, uint64_t desc)
{
    if (__builtin_expect(lpae_pgtable_store_backed(pt, slot_pa, desc), 1))
        return LPAE_OK;
    return lpae_pgtable_store_slot(pt, slot_pa, desc);
}

/**
 * lpae_pgtable_foreach() restricted to the leaves that overlap [first,
 * last] (inclusive): the same calls for those leaves, in the same order,
 * and no call for any other leaf; only the table entries covering the range
 * are read. Returns 0, or the visitor's non-zero value. Errors: LPAE_EINVAL
 * (NULL pt or fn, first > last).
 */
int lpae_pgtable_foreach_range(const lpae_pgtable *pt, uint64_t first, uint64_t last,
                               lpae_pgtable_visit_fn fn, void *ctx);

#endif
