/* SPDX-License-Identifier: MIT */
/* Region selection on the hot path (walker, TLB). Not part of the public API. */
#ifndef LPAE_REGS_INTERNAL_H
#define LPAE_REGS_INTERNAL_H

#include "lpae/hwdef.h"
#include "lpae/regs.h"

static inline unsigned lpae_ttbcr_t0sz(uint32_t ttbcr)
{
    return (ttbcr & LPAE_TTBCR_T0SZ_MASK) >> LPAE_TTBCR_T0SZ_SHIFT;
}

static inline unsigned lpae_ttbcr_t1sz(uint32_t ttbcr)
{
    return (ttbcr & LPAE_TTBCR_T1SZ_MASK) >> LPAE_TTBCR_T1SZ_SHIFT;
}

/*
 * DDI 0406C B3.6.4: which TTBR translates @va, and that region's TnSZ.
 * Returns LPAE_SEL_TTBR0, LPAE_SEL_TTBR1 or LPAE_SEL_NONE (the gap).
 */
static inline lpae_ttbr_sel lpae_select(uint32_t ttbcr, lpae_va_t va, unsigned *tsz)
{
    unsigned t0 = lpae_ttbcr_t0sz(ttbcr), t1 = lpae_ttbcr_t1sz(ttbcr);
    if (t0 != 0 && (va >> (32u - t0)) == 0) {
        *tsz = t0;
        return LPAE_SEL_TTBR0;
    }
    if (t1 != 0 && (va >> (32u - t1)) == (1u << t1) - 1u) {
        *tsz = t1;
        return LPAE_SEL_TTBR1;
    }
    if (t0 == 0) {
        *tsz = 0;
        return LPAE_SEL_TTBR0;
    }
    if (t1 == 0) {
        *tsz = 0;
        return LPAE_SEL_TTBR1;
    }
    *tsz = 0;
    return LPAE_SEL_NONE;
}

/* Start level for a region of TnSZ @tsz: 1 for 0..1, 2 for 2..7. */
static inline unsigned lpae_start_level(unsigned tsz)
{
    return tsz > 1 ? 2u : 1u;
}

/* x of BADDR[39:x]: 5 - TnSZ from level 1, 14 - TnSZ from level 2. */
static inline unsigned lpae_baddr_shift(unsigned tsz)
{
    return tsz > 1 ? 14u - tsz : 5u - tsz;
}

/* lpae_regs_asid() of non-NULL @p regs: the ASID of the TTBR TTBCR.A1 selects. */
static inline uint8_t lpae_asid_of(const lpae_regs *regs)
{
    uint64_t ttbr = (regs->ttbcr & LPAE_TTBCR_A1) ? regs->ttbr1 : regs->ttbr0;
    return (uint8_t)((ttbr & LPAE_TTBR_ASID_MASK) >> LPAE_TTBR_ASID_SHIFT);
}

#endif
