/* SPDX-License-Identifier: MIT */
/* Internal: the walk's body (walk_top, walk_from), inline for walk.c's entry
 * points and the machine's walk. See walk.c for the fault priority. */
#ifndef LPAE_SRC_TTBR_WALK_IMPL_H
#define LPAE_SRC_TTBR_WALK_IMPL_H

#include <stddef.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/walk.h"
#include "mem/phys_internal.h"
#include "ttbr/regs_internal.h"

/* Accumulated table attributes, as bits [63:59] of a table descriptor >> 59. */
#define TATTR_PXN 0x01u
#define TATTR_XN 0x02u
#define TATTR_AP_SHIFT 2u
#define TATTR_NS 0x10u

/* perm bits of every valid access code */
#define PERM_ALL                                                                                   \
    ((1u << LPAE_ACC_PR) | (1u << LPAE_ACC_PW) | (1u << LPAE_ACC_PX) | (1u << LPAE_ACC_UR) |       \
     (1u << LPAE_ACC_UW) | (1u << LPAE_ACC_UX))

/* perm_mask() by table (walk.c): index AP[2:1] | APTable << 2 | XN << 4 |
 * PXN << 5 | SCTLR.WXN << 6 | SCTLR.UWXN << 7. */
extern const uint8_t lpae_walk_perm_table[256];

static inline unsigned perm_index(unsigned ap, unsigned aptable, bool xn, bool pxn, uint32_t sctlr)
{
    return ap | aptable << 2 | (unsigned)xn << 4 | (unsigned)pxn << 5 |
           ((sctlr & LPAE_SCTLR_WXN) ? 64u : 0u) | ((sctlr & LPAE_SCTLR_UWXN) ? 128u : 0u);
}

/* The long-descriptor fault status code of fault @p f at @p level. */
static inline uint8_t fault_fsc(lpae_fault f, unsigned level)
{
    static const uint8_t base[] = {
        [LPAE_FAULT_TRANSLATION] = LPAE_FSC_TRANSLATION(0),
        [LPAE_FAULT_ACCESS_FLAG] = LPAE_FSC_ACCESS_FLAG(0),
        [LPAE_FAULT_PERMISSION] = LPAE_FSC_PERMISSION(0),
        [LPAE_FAULT_ADDRESS_SIZE] = LPAE_FSC_ADDRESS_SIZE(0),
        [LPAE_FAULT_EXT_ABORT_WALK] = LPAE_FSC_EXT_ABORT_WALK(0),
    };
    return (uint8_t)(base[f] | level);
}

static inline int set_fault(lpae_walk_result *r, lpae_fault f, unsigned level)
{
    r->fault = f;
    r->level = (uint8_t)level;
    r->fsc = fault_fsc(f, level);
    return LPAE_OK;
}

/* MAIR encodings of the MMU-off memory types (DDI 0406C B3.2.1). */
#define MAIR_STRONGLY_ORDERED 0x00u /* data accesses */
#define MAIR_NORMAL_WT 0xEEu        /* instruction fetches, SCTLR.I = 1 */
#define MAIR_NORMAL_NC 0x44u        /* instruction fetches, SCTLR.I = 0 */

static inline void flat_result(lpae_walk_result *r, lpae_va_t va, unsigned access, uint32_t sctlr)
{
    /* SCTLR.M = 0: PA = VA, every access allowed. Data accesses are
     * Strongly-ordered; instruction fetches are Normal memory, Write-Through
     * cacheable when SCTLR.I = 1, else Non-cacheable; all Outer Shareable. */
    r->sel = LPAE_SEL_NONE;
    r->pa = va;
    r->size_shift = LPAE_PAGE_SHIFT;
    r->attrs.sh = 2;
    r->attrs.perm = (uint8_t)PERM_ALL;
    if (access & LPAE_ACC_EXEC)
        r->attrs.mair = (sctlr & LPAE_SCTLR_I) ? MAIR_NORMAL_WT : MAIR_NORMAL_NC;
    else
        r->attrs.mair = MAIR_STRONGLY_ORDERED;
}

/* The attributes of block or page descriptor @p d, with the table
 * attributes @p tattrs (TATTR_*) gathered above it. */
static inline __attribute__((always_inline)) void leaf_attrs(const lpae_regs *regs, uint64_t d,
                                                             unsigned tattrs, lpae_attrs *a)
{
    a->attrindx = (uint8_t)((d & LPAE_DESC_ATTRINDX_MASK) >> LPAE_DESC_ATTRINDX_SHIFT);
    a->mair = (uint8_t)((a->attrindx < 4 ? regs->mair0 : regs->mair1) >> (8u * (a->attrindx & 3u)));
    a->sh = (uint8_t)((d & LPAE_DESC_SH_MASK) >> LPAE_DESC_SH_SHIFT);
    a->ap = (uint8_t)((d & LPAE_DESC_AP_MASK) >> LPAE_DESC_AP_SHIFT);
    a->aptable = (uint8_t)((tattrs >> TATTR_AP_SHIFT) & 3u);
    a->ns = (d & LPAE_DESC_NS) || (tattrs & TATTR_NS);
    a->ng = (d & LPAE_DESC_NG) != 0;
    a->contiguous = (d & LPAE_DESC_CONTIG) != 0;
    a->xn = (d & LPAE_DESC_XN) || (tattrs & TATTR_XN);
    a->pxn = (d & LPAE_DESC_PXN) || (tattrs & TATTR_PXN);
    a->perm = lpae_walk_perm_table[perm_index(a->ap, a->aptable, a->xn, a->pxn, regs->sctlr)];
}

/*
 * Descend from the table at @table (level @level), with table attributes
 * @tattrs gathered above it, through the region of TnSZ @tsz.
 */
static inline __attribute__((always_inline)) int
walk_levels(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
            unsigned level, lpae_pa_t table, unsigned tsz, unsigned tattrs, lpae_walk_result *r)
{
    uint32_t vam = va & (UINT32_MAX >> tsz);
    for (;;) {
        lpae_pa_t dpa = table + ((lpae_pa_t)((vam >> LPAE_LEVEL_SHIFT(level)) & 511u) << 3);
        lpae_fetch *f = &r->fetch[r->nfetch++];
        uint64_t d;
        f->level = (uint8_t)level;
        f->pa = dpa;
        f->table_attrs = (uint8_t)tattrs;
        if (lpae_phys_fetch64(phys, dpa, &d) != 0) {
            f->desc = 0;
            return set_fault(r, LPAE_FAULT_EXT_ABORT_WALK, level);
        }
        f->desc = d;
        if (!(d & LPAE_DESC_VALID) || (level == 3 && !(d & LPAE_DESC_TABLE)))
            return set_fault(r, LPAE_FAULT_TRANSLATION, level);
        if (level < 3 && (d & LPAE_DESC_TABLE)) {
            tattrs |= (unsigned)(d >> LPAE_DESC_TABLE_ATTR_SHIFT);
            f->table_attrs = (uint8_t)tattrs;
            table = d & LPAE_DESC_ADDR_MASK;
            level++;
            continue;
        }
        /* Block (levels 1, 2) or page (level 3). */
        unsigned shift = LPAE_LEVEL_SHIFT(level);
        uint64_t off = (UINT64_C(1) << shift) - 1u;
        lpae_attrs *a = &r->attrs;
        r->level = (uint8_t)level;
        r->size_shift = (uint8_t)shift;
        r->pa = (d & LPAE_DESC_ADDR_MASK & ~off) | (va & off);
        leaf_attrs(regs, d, tattrs, a);
        if (!(d & LPAE_DESC_AF))
            return set_fault(r, LPAE_FAULT_ACCESS_FLAG, level);
        if (!(a->perm & (1u << access)))
            return set_fault(r, LPAE_FAULT_PERMISSION, level);
        return LPAE_OK;
    }
}

static inline void result_init(lpae_walk_result *r, const lpae_regs *regs, lpae_va_t va,
                               unsigned access, bool zero_fetch)
{
    if (zero_fetch) {
        memset(r, 0, sizeof *r);
    } else { /* everything but the fetch records */
        memset(r, 0, offsetof(lpae_walk_result, fetch));
        memset((char *)r + offsetof(lpae_walk_result, fault), 0,
               sizeof *r - offsetof(lpae_walk_result, fault));
    }
    r->va = va;
    r->access = (uint8_t)access;
    r->asid = lpae_asid_of(regs);
}

static inline __attribute__((always_inline)) int walk_top(const lpae_regs *regs,
                                                          const lpae_phys *phys, lpae_va_t va,
                                                          unsigned access, lpae_walk_result *out,
                                                          bool zero_fetch)
{
    if (!(regs->ttbcr & LPAE_TTBCR_EAE))
        return LPAE_EUNSUPP;
    result_init(out, regs, va, access, zero_fetch);
    if (!(regs->sctlr & LPAE_SCTLR_M)) {
        flat_result(out, va, access, regs->sctlr);
        return LPAE_OK;
    }
    unsigned tsz;
    lpae_ttbr_sel sel = lpae_select(regs->ttbcr, va, &tsz);
    out->sel = (uint8_t)sel;
    out->start_level = 1;
    if (sel == LPAE_SEL_NONE)
        return set_fault(out, LPAE_FAULT_TRANSLATION, 1);
    if (regs->ttbcr & (sel == LPAE_SEL_TTBR1 ? LPAE_TTBCR_EPD1 : LPAE_TTBCR_EPD0))
        return set_fault(out, LPAE_FAULT_TRANSLATION, 1);
    unsigned level = lpae_start_level(tsz);
    out->start_level = (uint8_t)level;
    uint64_t ttbr = sel == LPAE_SEL_TTBR1 ? regs->ttbr1 : regs->ttbr0;
    /* TTBR bits [47:40] lie above the 40-bit output size. */
    if (ttbr & UINT64_C(0x0000FF0000000000))
        return set_fault(out, LPAE_FAULT_ADDRESS_SIZE, 0);
    lpae_pa_t base = ttbr & LPAE_TTBR_BADDR_MASK & ~((UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u);
    return walk_levels(regs, phys, va, access, level, base, tsz, 0, out);
}

static inline __attribute__((always_inline)) int walk_from(const lpae_regs *regs,
                                                           const lpae_phys *phys, lpae_va_t va,
                                                           unsigned access, unsigned level,
                                                           lpae_pa_t table_pa, uint8_t table_attrs,
                                                           lpae_walk_result *out, bool zero_fetch)
{
    if (!(regs->ttbcr & LPAE_TTBCR_EAE))
        return LPAE_EUNSUPP;
    unsigned tsz;
    lpae_ttbr_sel sel = lpae_select(regs->ttbcr, va, &tsz);
    bool epd = sel != LPAE_SEL_NONE &&
               (regs->ttbcr & (sel == LPAE_SEL_TTBR1 ? LPAE_TTBCR_EPD1 : LPAE_TTBCR_EPD0));
    /* Start levels are 1 or 2, so a resume level of 2 or 3 is never above
     * the region's start level. */
    unsigned start = lpae_start_level(tsz);
    result_init(out, regs, va, access, zero_fetch);
    if (!(regs->sctlr & LPAE_SCTLR_M)) {
        flat_result(out, va, access, regs->sctlr);
        return LPAE_OK;
    }
    out->sel = (uint8_t)sel;
    out->start_level = 1;
    if (sel == LPAE_SEL_NONE || epd)
        return set_fault(out, LPAE_FAULT_TRANSLATION, 1);
    out->start_level = (uint8_t)level;
    lpae_pa_t base = table_pa & LPAE_PA_MASK;
    if (level == start)
        base &= ~((UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u);
    else
        base &= LPAE_DESC_ADDR_MASK;
    return walk_levels(regs, phys, va, access, level, base, tsz, table_attrs & 0x1Fu, out);
}

#endif
