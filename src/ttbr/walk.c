/* SPDX-License-Identifier: MIT */
/*
 * The Long-descriptor stage-1 translation table walk of the PL1&0 regime
 * (DDI 0406C B3.6), its permission model and its 64-bit PAR.
 *
 * Fault priority, as the ARM ARM's translation pseudocode and QEMU's
 * get_phys_addr_lpae() order them:
 *   1. VA in the gap between the TTBR0 and TTBR1 regions, or the selected
 *      region has TTBCR.EPDn = 1: Translation fault, level 1 (also for
 *      regions whose walk would start at level 2).
 *   2. TTBRn base address with bits [47:40] set: Address size fault,
 *      level 0 (the level that stands for the TTBR).
 *   3. For each level as the walk descends: a fetch outside RAM is a
 *      synchronous external abort on the walk at that level; an invalid
 *      descriptor (bit 0 = 0) or the reserved level-3 encoding 0b01 is a
 *      Translation fault at that level.
 *   4. At the leaf: AF = 0 is an Access flag fault, then the permission
 *      check, both reported at the level of the block or page.
 * Output and next-level address bits [47:40] are UNK/SBZ in ARMv7 and are
 * ignored, as an ARMv7 implementation (and QEMU for ARMv7 CPUs) does.
 *
 * No allocation, no global state.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/walk.h"
#include "mem/phys_internal.h"
#include "ttbr/regs_internal.h"
#include "ttbr/walk_impl.h"
#include "ttbr/walk_internal.h"

/* ---- names --------------------------------------------------------------- */

static const char *const access_names[8] = {"PR", "PW", "PX", "??", "UR", "UW", "UX", "??"};

const char *lpae_access_name(unsigned access)
{
    return LPAE_ACC_VALID(access) ? access_names[access] : "??";
}

int lpae_access_parse(const char *s, unsigned *access)
{
    if (!s || !access)
        return LPAE_EINVAL;
    if (strlen(s) != 2)
        return LPAE_EPARSE;
    for (unsigned a = 0; a < 8; a++) {
        if (!LPAE_ACC_VALID(a))
            continue;
        if (toupper((unsigned char)s[0]) == access_names[a][0] &&
            toupper((unsigned char)s[1]) == access_names[a][1]) {
            *access = a;
            return LPAE_OK;
        }
    }
    return LPAE_EPARSE;
}

const char *lpae_fault_name(lpae_fault f)
{
    switch (f) {
    case LPAE_FAULT_NONE:
        return "none";
    case LPAE_FAULT_TRANSLATION:
        return "translation";
    case LPAE_FAULT_ACCESS_FLAG:
        return "access-flag";
    case LPAE_FAULT_PERMISSION:
        return "permission";
    case LPAE_FAULT_ADDRESS_SIZE:
        return "address-size";
    case LPAE_FAULT_EXT_ABORT_WALK:
        return "external-abort";
    }
    return "unknown";
}

/* ---- permissions --------------------------------------------------------- */

/*
 * AP[2:1] with APTable applied: APTable[0] forces AP[1] (PL0 access) to 0,
 * APTable[1] forces AP[2] (read-only) to 1. Then, per DDI 0406C B3.7.1 and
 * the v7 execute-never rules (B3.7.2, SCTLR.WXN/UWXN in B4.1.130):
 *   PL1 may always read; may write when AP[2] = 0;
 *   PL0 may read when AP[1] = 1; may write when AP[2:1] = 0b01;
 *   PL0 execute needs PL0 read, !XN, and not (WXN and PL0-writable);
 *   PL1 execute needs !XN, !PXN, not (WXN and PL1-writable) and not
 *   (UWXN and PL0-writable).
 * The same rules as QEMU's get_S1prot() for a v7 PL1&0 regime.
 */
static inline unsigned perm_mask(unsigned ap, unsigned aptable, bool xn, bool pxn, uint32_t sctlr)
{
    if (aptable & LPAE_APTABLE_NO_PL0)
        ap &= ~1u;
    if (aptable & LPAE_APTABLE_RO)
        ap |= 2u;
    bool user_r = (ap & 1u) != 0;
    bool user_w = ap == LPAE_AP_RW;
    bool priv_w = (ap & 2u) == 0;
    bool wxn = (sctlr & LPAE_SCTLR_WXN) != 0;
    bool uwxn = (sctlr & LPAE_SCTLR_UWXN) != 0;
    bool user_x = user_r && !xn && !(wxn && user_w);
    bool priv_x = !xn && !pxn && !(wxn && priv_w) && !(uwxn && user_w);
    unsigned m = 1u << LPAE_ACC_PR;
    if (priv_w)
        m |= 1u << LPAE_ACC_PW;
    if (priv_x)
        m |= 1u << LPAE_ACC_PX;
    if (user_r)
        m |= 1u << LPAE_ACC_UR;
    if (user_w)
        m |= 1u << LPAE_ACC_UW;
    if (user_x)
        m |= 1u << LPAE_ACC_UX;
    return m;
}

/* perm_mask() by table for the walker: index AP[2:1] | APTable << 2 | XN << 4
 * | PXN << 5 | SCTLR.WXN << 6 | SCTLR.UWXN << 7 (XN and PXN with the table
 * bits ORed in). Generated from perm_mask(); test_walk's
 * perm_mask_matches_walk compares the walker with lpae_perm_mask() (which
 * uses perm_mask()) for every combination. */
const uint8_t lpae_walk_perm_table[256] = {
    0x07, 0x77, 0x05, 0x55, 0x07, 0x07, 0x05, 0x05, 0x05, 0x55, 0x05, 0x55, 0x05, 0x05, 0x05, 0x05,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x73, 0x01, 0x51, 0x03, 0x03, 0x01, 0x01, 0x01, 0x51, 0x01, 0x51, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x05, 0x55, 0x03, 0x03, 0x05, 0x05, 0x05, 0x55, 0x05, 0x55, 0x05, 0x05, 0x05, 0x05,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x51, 0x03, 0x03, 0x01, 0x01, 0x01, 0x51, 0x01, 0x51, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x07, 0x73, 0x05, 0x55, 0x07, 0x07, 0x05, 0x05, 0x05, 0x55, 0x05, 0x55, 0x05, 0x05, 0x05, 0x05,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x73, 0x01, 0x51, 0x03, 0x03, 0x01, 0x01, 0x01, 0x51, 0x01, 0x51, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x05, 0x55, 0x03, 0x03, 0x05, 0x05, 0x05, 0x55, 0x05, 0x55, 0x05, 0x05, 0x05, 0x05,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x51, 0x03, 0x03, 0x01, 0x01, 0x01, 0x51, 0x01, 0x51, 0x01, 0x01, 0x01, 0x01,
    0x03, 0x33, 0x01, 0x11, 0x03, 0x03, 0x01, 0x01, 0x01, 0x11, 0x01, 0x11, 0x01, 0x01, 0x01, 0x01,
};

uint8_t lpae_perm_mask(unsigned ap, bool xn, bool pxn, unsigned aptable, bool xntable,
                       bool pxntable, uint32_t sctlr)
{
    return (uint8_t)perm_mask(ap & 3u, aptable & 3u, xn || xntable, pxn || pxntable, sctlr);
}

/* ---- the walk ------------------------------------------------------------ */

int lpae_walk(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
              lpae_walk_result *out)
{
    if (!regs || !phys || !out || !LPAE_ACC_VALID(access))
        return LPAE_EINVAL;
    return walk_top(regs, phys, va, access, out, true);
}

int lpae_walk_nz(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                 lpae_walk_result *out)
{
    return walk_top(regs, phys, va, access, out, false);
}

int lpae_walk_from(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                   unsigned level, lpae_pa_t table_pa, uint8_t table_attrs, lpae_walk_result *out)
{
    if (!regs || !phys || !out || !LPAE_ACC_VALID(access) || level < 2 || level > 3)
        return LPAE_EINVAL;
    return walk_from(regs, phys, va, access, level, table_pa, table_attrs, out, true);
}

int lpae_walk_from_nz(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                      unsigned level, lpae_pa_t table_pa, uint8_t table_attrs,
                      lpae_walk_result *out)
{
    return walk_from(regs, phys, va, access, level, table_pa, table_attrs, out, false);
}

/* ---- PAR ----------------------------------------------------------------- */

uint64_t lpae_walk_par(const lpae_walk_result *res)
{
    if (!res)
        return 0;
    if (res->fault != LPAE_FAULT_NONE)
        return LPAE_PAR_LPAE | ((uint64_t)(res->fsc & 0x3Fu) << LPAE_PAR_FST_SHIFT) | LPAE_PAR_F;
    return ((uint64_t)res->attrs.mair << LPAE_PAR_ATTR_SHIFT) | (res->pa & LPAE_PAR_PA_MASK) |
           LPAE_PAR_LPAE | (res->attrs.ns ? LPAE_PAR_NS : 0) |
           ((uint64_t)(res->attrs.sh & 3u) << LPAE_PAR_SH_SHIFT);
}

/* ---- explain ------------------------------------------------------------- */

typedef struct sbuf {
    char *buf;
    size_t len, used;
} sbuf;

static void sb_printf(sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = sb->used < sb->len ? sb->buf + sb->used : NULL;
    size_t room = sb->used < sb->len ? sb->len - sb->used : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb->used += (size_t)n;
}

static const char *sel_name(unsigned sel)
{
    return sel == LPAE_SEL_TTBR0 ? "TTBR0" : sel == LPAE_SEL_TTBR1 ? "TTBR1" : "none";
}

static const char *size_name(unsigned shift)
{
    return shift == 30 ? "1GB block" : shift == 21 ? "2MB block" : "4KB page";
}

static void explain_desc(sbuf *sb, const lpae_fetch *f, bool last, const lpae_walk_result *r)
{
    uint64_t d = f->desc;
    if (last && r->fault == LPAE_FAULT_EXT_ABORT_WALK) {
        sb_printf(sb, "external abort (no RAM)");
        return;
    }
    if (!(d & LPAE_DESC_VALID)) {
        sb_printf(sb, "invalid");
        return;
    }
    if (f->level == 3 && !(d & LPAE_DESC_TABLE)) {
        sb_printf(sb, "reserved (level-3 0b01)");
        return;
    }
    if (f->level < 3 && (d & LPAE_DESC_TABLE)) {
        unsigned t = (unsigned)(d >> LPAE_DESC_TABLE_ATTR_SHIFT);
        sb_printf(sb, "table -> 0x%010llx NSTable=%u APTable=%u XNTable=%u PXNTable=%u",
                  (unsigned long long)(d & LPAE_DESC_ADDR_MASK), (t >> 4) & 1u, (t >> 2) & 3u,
                  (t >> 1) & 1u, t & 1u);
        return;
    }
    sb_printf(sb, "%s AttrIndx=%u NS=%u AP=%u SH=%u AF=%u nG=%u Contig=%u PXN=%u XN=%u",
              size_name(LPAE_LEVEL_SHIFT(f->level)),
              (unsigned)((d & LPAE_DESC_ATTRINDX_MASK) >> LPAE_DESC_ATTRINDX_SHIFT),
              (unsigned)((d & LPAE_DESC_NS) != 0),
              (unsigned)((d & LPAE_DESC_AP_MASK) >> LPAE_DESC_AP_SHIFT),
              (unsigned)((d & LPAE_DESC_SH_MASK) >> LPAE_DESC_SH_SHIFT),
              (unsigned)((d & LPAE_DESC_AF) != 0), (unsigned)((d & LPAE_DESC_NG) != 0),
              (unsigned)((d & LPAE_DESC_CONTIG) != 0), (unsigned)((d & LPAE_DESC_PXN) != 0),
              (unsigned)((d & LPAE_DESC_XN) != 0));
}

int lpae_walk_explain(const lpae_walk_result *res, char *buf, size_t len)
{
    if (!res || (!buf && len))
        return LPAE_EINVAL;
    sbuf sb = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    sb_printf(&sb, "VA 0x%08x %s ASID %u: ", (unsigned)res->va, lpae_access_name(res->access),
              (unsigned)res->asid);
    if (res->start_level == 0 && res->fault == LPAE_FAULT_NONE)
        sb_printf(&sb, "MMU off (SCTLR.M = 0), flat mapping\n");
    else if (res->sel == LPAE_SEL_NONE)
        sb_printf(&sb, "no region (gap between TTBR0 and TTBR1)\n");
    else
        sb_printf(&sb, "%s region, walk from level %u\n", sel_name(res->sel),
                  (unsigned)res->start_level);
    for (unsigned i = 0; i < res->nfetch && i < LPAE_WALK_MAX_FETCH; i++) {
        const lpae_fetch *f = &res->fetch[i];
        sb_printf(&sb, "  L%u @0x%010llx = 0x%016llx  ", (unsigned)f->level,
                  (unsigned long long)f->pa, (unsigned long long)f->desc);
        explain_desc(&sb, f, i + 1 == res->nfetch, res);
        sb_printf(&sb, "\n");
    }
    if (res->fault == LPAE_FAULT_NONE) {
        const lpae_attrs *a = &res->attrs;
        sb_printf(&sb,
                  "  => PA 0x%010llx (%s) MAIR 0x%02x SH %u NS %u %s AP %u APTable %u "
                  "perm %s%s%s%s%s%s\n",
                  (unsigned long long)res->pa, size_name(res->size_shift), (unsigned)a->mair,
                  (unsigned)a->sh, (unsigned)a->ns, a->ng ? "nG" : "global", (unsigned)a->ap,
                  (unsigned)a->aptable, (a->perm & 1u) ? "PR " : "", (a->perm & 2u) ? "PW " : "",
                  (a->perm & 4u) ? "PX " : "", (a->perm & 16u) ? "UR " : "",
                  (a->perm & 32u) ? "UW " : "", (a->perm & 64u) ? "UX" : "");
    } else {
        sb_printf(&sb, "  => %s fault, level %u, FSC 0x%02x\n", lpae_fault_name(res->fault),
                  (unsigned)res->level, (unsigned)res->fsc);
    }
    sb_printf(&sb, "  PAR 0x%016llx\n", (unsigned long long)lpae_walk_par(res));
    if (sb.used > (size_t)INT32_MAX)
        return LPAE_EINVAL;
    return (int)sb.used;
}
