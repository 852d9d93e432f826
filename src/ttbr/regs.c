/* SPDX-License-Identifier: MIT */
/*
 * PL1&0 stage-1 translation registers and region selection
 * (DDI 0406C B3.6.4, B4.1.153-155).
 */
#include <string.h>

#include "lpae/err.h"
#include "lpae/regs.h"
#include "ttbr/regs_internal.h"

/* Linux's MAIR0/MAIR1 (PRRR/NMRR slots), arch/arm/mm/proc-v7-3level.S. */
#define LINUX_MAIR0 UINT32_C(0xeeaa4400)
#define LINUX_MAIR1 UINT32_C(0xff000004)

void lpae_regs_init(lpae_regs *regs)
{
    if (!regs)
        return;
    memset(regs, 0, sizeof *regs);
    regs->ttbcr = LPAE_TTBCR_EAE;
    regs->mair0 = LINUX_MAIR0;
    regs->mair1 = LINUX_MAIR1;
    regs->sctlr = LPAE_SCTLR_M;
}

static int check_ttbcr(uint32_t ttbcr)
{
    if (!(ttbcr & LPAE_TTBCR_EAE))
        return LPAE_EUNSUPP;
    if (ttbcr & LPAE_TTBCR_RES0)
        return LPAE_ERES0;
    return LPAE_OK;
}

/* TTBRn value against the TnSZ of @ttbcr. */
static int check_ttbr(uint32_t ttbcr, unsigned which, uint64_t ttbr)
{
    if (ttbr & LPAE_TTBR_RES0)
        return LPAE_ERES0;
    unsigned tsz = which ? lpae_ttbcr_t1sz(ttbcr) : lpae_ttbcr_t0sz(ttbcr);
    uint64_t low = (UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u;
    if (ttbr & low)
        return LPAE_EALIGN;
    return LPAE_OK;
}

int lpae_regs_set_ttbcr(lpae_regs *regs, uint32_t ttbcr)
{
    if (!regs)
        return LPAE_EINVAL;
    int err = check_ttbcr(ttbcr);
    if (err)
        return err;
    regs->ttbcr = ttbcr;
    return LPAE_OK;
}

int lpae_regs_set_ttbr(lpae_regs *regs, unsigned which, uint64_t ttbr)
{
    if (!regs || which > 1)
        return LPAE_EINVAL;
    int err = check_ttbr(regs->ttbcr, which, ttbr);
    if (err)
        return err;
    if (which)
        regs->ttbr1 = ttbr;
    else
        regs->ttbr0 = ttbr;
    return LPAE_OK;
}

int lpae_regs_set_mair(lpae_regs *regs, unsigned which, uint32_t mair)
{
    if (!regs || which > 1)
        return LPAE_EINVAL;
    if (which)
        regs->mair1 = mair;
    else
        regs->mair0 = mair;
    return LPAE_OK;
}

int lpae_regs_set_sctlr(lpae_regs *regs, uint32_t sctlr)
{
    if (!regs)
        return LPAE_EINVAL;
    regs->sctlr = sctlr;
    return LPAE_OK;
}

int lpae_regs_check(const lpae_regs *regs)
{
    if (!regs)
        return LPAE_EINVAL;
    int err = check_ttbcr(regs->ttbcr);
    if (!err)
        err = check_ttbr(regs->ttbcr, 0, regs->ttbr0);
    if (!err)
        err = check_ttbr(regs->ttbcr, 1, regs->ttbr1);
    return err;
}

int lpae_regs_region(const lpae_regs *regs, lpae_va_t va, lpae_region *out)
{
    if (!regs || !out)
        return LPAE_EINVAL;
    uint32_t ttbcr = regs->ttbcr;
    unsigned t0 = lpae_ttbcr_t0sz(ttbcr), t1 = lpae_ttbcr_t1sz(ttbcr), tsz;
    /* Region bounds as 64-bit values so that 2^32 is expressible. */
    uint64_t top0 = UINT64_C(1) << (32u - t0);                         /* end of TTBR0 by T0SZ */
    uint64_t bot1 = (UINT64_C(1) << 32) - (UINT64_C(1) << (32u - t1)); /* start of TTBR1 */
    memset(out, 0, sizeof *out);
    out->sel = lpae_select(ttbcr, va, &tsz);
    switch (out->sel) {
    case LPAE_SEL_TTBR0:
        out->base = 0;
        if (t0 != 0)
            out->last = (lpae_va_t)(top0 - 1u);
        else
            out->last = t1 != 0 ? (lpae_va_t)(bot1 - 1u) : UINT32_MAX;
        out->epd = (ttbcr & LPAE_TTBCR_EPD0) != 0;
        break;
    case LPAE_SEL_TTBR1:
        out->base = t1 != 0 ? (lpae_va_t)bot1 : (lpae_va_t)top0;
        out->last = UINT32_MAX;
        out->epd = (ttbcr & LPAE_TTBCR_EPD1) != 0;
        break;
    default: /* the gap: both TnSZ non-zero */
        out->base = (lpae_va_t)top0;
        out->last = (lpae_va_t)(bot1 - 1u);
        out->start_level = 1; /* the fault is reported at level 1 */
        return LPAE_OK;
    }
    out->tsz = (uint8_t)tsz;
    out->start_level = (uint8_t)lpae_start_level(tsz);
    out->baddr_shift = (uint8_t)lpae_baddr_shift(tsz);
    out->root_entries = (uint16_t)(1u << (out->baddr_shift - 3u));
    return LPAE_OK;
}

uint8_t lpae_regs_asid(const lpae_regs *regs)
{
    return regs ? lpae_asid_of(regs) : 0;
}

uint8_t lpae_regs_mair_attr(const lpae_regs *regs, unsigned attrindx)
{
    if (!regs)
        return 0;
    attrindx &= 7u;
    uint32_t mair = attrindx < 4 ? regs->mair0 : regs->mair1;
    return (uint8_t)(mair >> (8u * (attrindx & 3u)));
}

lpae_pa_t lpae_regs_ttbr_base(const lpae_regs *regs, unsigned which)
{
    if (!regs || which > 1)
        return 0;
    unsigned tsz = which ? lpae_ttbcr_t1sz(regs->ttbcr) : lpae_ttbcr_t0sz(regs->ttbcr);
    uint64_t ttbr = which ? regs->ttbr1 : regs->ttbr0;
    return ttbr & LPAE_TTBR_BADDR_MASK & ~((UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u);
}
