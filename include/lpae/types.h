/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/types.h
 * @brief Basic address types and sizes used across lpae.
 */
#ifndef LPAE_TYPES_H
#define LPAE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A 32-bit virtual address (ARMv7 VMSA input address). */
typedef uint32_t lpae_va_t;
/** A physical address. LPAE outputs 40 bits; the upper 24 bits are zero. */
typedef uint64_t lpae_pa_t;
/** A count of simulated CPU cycles. */
typedef uint64_t lpae_cycles_t;

#define LPAE_PA_BITS 40
#define LPAE_PA_MASK ((UINT64_C(1) << LPAE_PA_BITS) - 1)
#define LPAE_PAGE_SHIFT 12
#define LPAE_PAGE_SIZE (UINT32_C(1) << LPAE_PAGE_SHIFT) /**< 4 KB granule */
#define LPAE_PAGE_MASK (~((uint64_t)LPAE_PAGE_SIZE - 1u))
#define LPAE_SIZE_2M (UINT32_C(1) << 21)
#define LPAE_SIZE_1G (UINT32_C(1) << 30)

#endif
