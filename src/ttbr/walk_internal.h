/* SPDX-License-Identifier: MIT */
/* Internal: the walker for the machine's hot path. Not part of the public API. */
#ifndef LPAE_SRC_TTBR_WALK_INTERNAL_H
#define LPAE_SRC_TTBR_WALK_INTERNAL_H

#include "lpae/walk.h"

/* lpae_walk() and lpae_walk_from() for a caller that has checked the
 * arguments (non-NULL pointers, valid access code, level 2 or 3) and reads
 * only out->fetch[0 .. nfetch): the fetch records past nfetch are left as
 * they were instead of zeroed. Every other field and every return value is
 * what the public functions give. */
int lpae_walk_nz(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                 lpae_walk_result *out);
int lpae_walk_from_nz(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                      unsigned level, lpae_pa_t table_pa, uint8_t table_attrs,
                      lpae_walk_result *out);

#endif
