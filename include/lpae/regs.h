/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/regs.h
 * @brief The PL1&0 stage-1 translation registers of one CPU, and region
 * selection (ARMv7-A ARM DDI 0406C, B3.6.4).
 *
 * lpae_regs is a plain value the caller owns. The lpae_regs_set_*() writers
 * enforce what the architecture requires and leave the value unchanged on
 * error; code that assigns fields directly may hold any value, and the
 * walker then still answers without crashing (it reports LPAE_EUNSUPP for
 * EAE = 0 and treats SBZ bits as the ARM ARM says).
 */
#ifndef LPAE_REGS_H
#define LPAE_REGS_H

#include "lpae/export.h"
#include "lpae/hwdef.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Translation registers. All fields are raw architectural values. */
typedef struct lpae_regs {
    uint32_t ttbcr; /**< TTBCR with EAE = 1 (Long-descriptor) */
    uint64_t ttbr0; /**< 64-bit TTBR0: ASID [55:48], BADDR [39:x] */
    uint64_t ttbr1; /**< 64-bit TTBR1 */
    uint32_t mair0; /**< MAIR0 (PRRR slot): Attr0..Attr3 */
    uint32_t mair1; /**< MAIR1 (NMRR slot): Attr4..Attr7 */
    uint32_t sctlr; /**< SCTLR: M, WXN, UWXN are used */
} lpae_regs;

/** Which translation table base register a VA is translated with. */
typedef enum lpae_ttbr_sel {
    LPAE_SEL_TTBR0 = 0,
    LPAE_SEL_TTBR1 = 1,
    LPAE_SEL_NONE = 2 /**< the gap between the regions: translation fault */
} lpae_ttbr_sel;

/** The region a VA falls in, with its walk geometry. */
typedef struct lpae_region {
    lpae_ttbr_sel sel;
    uint8_t tsz;           /**< TTBCR.T0SZ or T1SZ of the selected region */
    uint8_t start_level;   /**< 1 for TnSZ 0..1, 2 for 2..7 */
    uint8_t baddr_shift;   /**< x: BADDR is TTBRn[39:x]; 5-TnSZ or 14-TnSZ */
    bool epd;              /**< TTBCR.EPDn: walks disabled (miss = translation fault) */
    lpae_va_t base;        /**< first VA of the region */
    lpae_va_t last;        /**< last VA of the region (inclusive) */
    uint16_t root_entries; /**< entries in the start-level table */
} lpae_region;

/** Zeroed registers with EAE = 1, MMU on, and Linux's MAIR0/MAIR1 values. */
LPAE_API void lpae_regs_init(lpae_regs *regs);

/**
 * Write TTBCR. Errors: LPAE_EINVAL (NULL), LPAE_EUNSUPP (EAE = 0: the
 * Short-descriptor format is not modelled), LPAE_ERES0 (an SBZ bit set).
 * TTBR values already written are not re-checked against the new TnSZ;
 * lpae_regs_check() does that.
 */
LPAE_API int lpae_regs_set_ttbcr(lpae_regs *regs, uint32_t ttbcr);

/**
 * Write TTBR0 or TTBR1 (@p which = 0 or 1) as the MCRR does: 64 bits with
 * the ASID in [55:48]. Errors: LPAE_EINVAL, LPAE_ERES0 (bits [63:56] or
 * [47:40] set), LPAE_EALIGN (BADDR bits below x set for the current TnSZ).
 */
LPAE_API int lpae_regs_set_ttbr(lpae_regs *regs, unsigned which, uint64_t ttbr);

/** Write MAIR0 or MAIR1 (@p which = 0 or 1). Errors: LPAE_EINVAL. */
LPAE_API int lpae_regs_set_mair(lpae_regs *regs, unsigned which, uint32_t mair);

/** Write SCTLR (only M, WXN, UWXN matter here). Errors: LPAE_EINVAL. */
LPAE_API int lpae_regs_set_sctlr(lpae_regs *regs, uint32_t sctlr);

/** Check a whole register set as the writers would. 0 or the first error. */
LPAE_API int lpae_regs_check(const lpae_regs *regs);

/**
 * Region selection for @p va, exactly as DDI 0406C B3.6.4 (table B3-32):
 * TTBR0 if T0SZ != 0 and VA[31:32-T0SZ] are all 0; else TTBR1 if T1SZ != 0
 * and VA[31:32-T1SZ] are all 1; else TTBR0 if T0SZ == 0; else TTBR1 if
 * T1SZ == 0; else the gap (sel = LPAE_SEL_NONE). Errors: LPAE_EINVAL.
 */
LPAE_API int lpae_regs_region(const lpae_regs *regs, lpae_va_t va, lpae_region *out);

/** The current ASID: TTBR1.ASID when TTBCR.A1 is set, else TTBR0.ASID. */
LPAE_API uint8_t lpae_regs_asid(const lpae_regs *regs);

/** The MAIR byte (Attr<n>) for AttrIndx @p attrindx (0..7). */
LPAE_API uint8_t lpae_regs_mair_attr(const lpae_regs *regs, unsigned attrindx);

/** Base address BADDR of TTBR @p which (0/1) for its current TnSZ (bits below x cleared). */
LPAE_API lpae_pa_t lpae_regs_ttbr_base(const lpae_regs *regs, unsigned which);

#ifdef __cplusplus
}
#endif
#endif
