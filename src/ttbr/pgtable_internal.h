/* SPDX-License-Identifier: MIT */
/* Internal: cheap reads of a table tree's counters for other modules (the
 * public lpae_pgtable_stats_get() walks the whole tree to count leaves). */
#ifndef LPAE_SRC_TTBR_PGTABLE_INTERNAL_H
#define LPAE_SRC_TTBR_PGTABLE_INTERNAL_H

#include <stdint.h>

#include "lpae/pgtable.h"

/** Descriptors written since creation (lpae_pgtable_stats.desc_writes); 0 for NULL. */
uint64_t lpae_pgtable_desc_writes(const lpae_pgtable *pt);

#endif
