/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/split.h
 * @brief User/kernel address-space splits, named as Linux names them.
 *
 * Policy, not mechanism: a split is a choice of TTBCR.T0SZ/T1SZ and a
 * PAGE_OFFSET. The presets are VMSPLIT_3G (T0SZ=0, T1SZ=2), VMSPLIT_2G
 * (0, 1), VMSPLIT_1G (2, 0) and VMSPLIT_4G_4G (0, 4: TTBR1 covers
 * 0xF0000000 and up, walked from level 2 with 128 entries). Any other pair
 * is a custom split written "t0sz=A,t1sz=B".
 */
#ifndef LPAE_SPLIT_H
#define LPAE_SPLIT_H

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One split. */
typedef struct lpae_split {
    char name[32];         /**< "VMSPLIT_3G", or "t0sz=A,t1sz=B" for custom */
    uint8_t t0sz, t1sz;    /**< TTBCR.T0SZ / T1SZ */
    bool four_g;           /**< kernel lowmem in TTBR0 under its own ASID (4G/4G) */
    lpae_va_t page_offset; /**< start of lowmem's linear map (Linux PAGE_OFFSET) */
    lpae_va_t ttbr1_base;  /**< first VA translated through TTBR1 */
} lpae_split;

/** Number of named presets, and preset @p i (LPAE_EINVAL out of range). */
LPAE_API size_t lpae_split_preset_count(void);
LPAE_API int lpae_split_preset(size_t i, lpae_split *out);

/**
 * Look up a preset by name (case-insensitive; "3G", "4G_4G" and "4g4g" are
 * accepted as short forms) or parse "t0sz=A,t1sz=B".
 * Errors: LPAE_EINVAL (NULL or unknown name), LPAE_EPARSE (bad custom form),
 * LPAE_ERANGE (TnSZ > 7).
 */
LPAE_API int lpae_split_find(const char *name, lpae_split *out);

/** TTBCR for the split: EAE | T0SZ | T1SZ | @p flags (e.g. IRGN/ORGN/SH bits). */
LPAE_API uint32_t lpae_split_ttbcr(const lpae_split *split, uint32_t flags);

#ifdef __cplusplus
}
#endif
#endif
