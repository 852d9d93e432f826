/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/walk.h
 * @brief The Long-descriptor translation table walk (ARMv7-A, 4 KB granule,
 * levels 1 to 3, 40-bit output) and the 64-bit PAR it renders as.
 *
 * Pure mechanism: a walk reads descriptors from lpae_phys through the given
 * registers and reports every fetch. It charges no cycles; the cycle model
 * prices the fetches it lists. Faults are checked in the architecture's
 * order: a VA in the gap or in a region with EPDn = 1 (translation fault,
 * level 1); a TTBR base address above 40 bits (address size fault, level 0);
 * translation (or external abort on the walk) at each level as the walk
 * descends; then the access flag, then permissions. See docs/translation.md.
 */
#ifndef LPAE_WALK_H
#define LPAE_WALK_H

#include "lpae/export.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Access kinds as a 3-bit code: bit 0 write, bit 1 execute, bit 2 PL0 (user). */
enum {
    LPAE_ACC_WRITE = 1u,
    LPAE_ACC_EXEC = 2u,
    LPAE_ACC_USER = 4u,
    LPAE_ACC_PR = 0u, /**< privileged read  (ATS1CPR) */
    LPAE_ACC_PW = 1u, /**< privileged write (ATS1CPW) */
    LPAE_ACC_PX = 2u, /**< privileged execute (no ATS equivalent) */
    LPAE_ACC_UR = 4u, /**< user read  (ATS1CUR) */
    LPAE_ACC_UW = 5u, /**< user write (ATS1CUW) */
    LPAE_ACC_UX = 6u  /**< user execute (no ATS equivalent) */
};

/** True for the six valid access codes (write and execute together are not). */
#define LPAE_ACC_VALID(a) ((unsigned)(a) < 8u && ((unsigned)(a)&3u) != 3u)

/** Name of an access code ("PR", "UW", ...), or "??" for an invalid one. */
LPAE_API const char *lpae_access_name(unsigned access);
/** Parse "PR".."UX" (case-insensitive). Errors: LPAE_EINVAL, LPAE_EPARSE. */
LPAE_API int lpae_access_parse(const char *s, unsigned *access);

/** Fault kinds. */
typedef enum lpae_fault {
    LPAE_FAULT_NONE = 0,
    LPAE_FAULT_TRANSLATION,
    LPAE_FAULT_ACCESS_FLAG,
    LPAE_FAULT_PERMISSION,
    LPAE_FAULT_ADDRESS_SIZE,
    LPAE_FAULT_EXT_ABORT_WALK /**< a descriptor fetch hit no RAM */
} lpae_fault;

/** "none", "translation", "access-flag", "permission", "address-size", "external-abort". */
LPAE_API const char *lpae_fault_name(lpae_fault f);

/**
 * Effective attributes of a successful translation, after the table
 * attributes above the leaf are applied. `perm` answers permission checks
 * in O(1): bit (1 << access) is set when that access is allowed, so a TLB
 * hit answers exactly what a walk answers.
 */
typedef struct lpae_attrs {
    uint8_t mair;     /**< MAIR byte selected by AttrIndx (PAR.ATTR) */
    uint8_t attrindx; /**< AttrIndx[2:0] of the leaf */
    uint8_t sh;       /**< SH[1:0] of the leaf */
    uint8_t ap;       /**< AP[2:1] of the leaf (LPAE_AP_*) */
    uint8_t aptable;  /**< APTable[1:0] ORed down the walk */
    uint8_t perm;     /**< allowed-access bitmask, see above */
    bool ns;          /**< NS of the leaf ORed with NSTable above it */
    bool ng;          /**< nG: tagged with the ASID (true) or global */
    bool contiguous;  /**< Contiguous hint */
    bool xn;          /**< XN of the leaf or XNTable above it */
    bool pxn;         /**< PXN of the leaf or PXNTable above it */
} lpae_attrs;

/** One descriptor fetch of a walk. */
typedef struct lpae_fetch {
    uint8_t level;       /**< 1..3 */
    uint8_t table_attrs; /**< NSTable,APTable,XNTable,PXNTable ([63:59] >> 59) accumulated
                              through this descriptor, if it is a table */
    lpae_pa_t pa;        /**< physical address of the descriptor */
    uint64_t desc;       /**< value read (0 on external abort) */
} lpae_fetch;

/** Fetches of one walk at most (levels 1, 2 and 3). */
#define LPAE_WALK_MAX_FETCH 3

/** Outcome of one translation. */
typedef struct lpae_walk_result {
    lpae_va_t va;
    uint8_t access;      /**< LPAE_ACC_* code the walk checked */
    uint8_t sel;         /**< lpae_ttbr_sel */
    uint8_t start_level; /**< level the walk started at (as configured, or resumed) */
    uint8_t asid;        /**< current ASID during the walk */
    uint8_t nfetch;
    lpae_fetch fetch[LPAE_WALK_MAX_FETCH];
    lpae_fault fault;   /**< LPAE_FAULT_NONE on success */
    uint8_t level;      /**< level of the leaf (success) or of the fault */
    uint8_t fsc;        /**< long-descriptor fault status code (0 on success) */
    uint8_t size_shift; /**< 30, 21 or 12: the leaf maps 1 << size_shift bytes */
    lpae_pa_t pa;       /**< output address of va (success; and on permission faults) */
    lpae_attrs attrs;   /**< valid on success and on permission faults */
} lpae_walk_result;

/**
 * Translate @p va for @p access through @p regs, reading tables from
 * @p phys. Returns 0 whenever a result was produced, be it a translation or
 * a fault; the fault is in out->fault. With SCTLR.M = 0 the result is the
 * flat mapping (PA = VA, ATTR 0) as ATS reports it.
 * Errors (out untouched): LPAE_EINVAL (NULL, invalid access code),
 * LPAE_EUNSUPP (TTBCR.EAE = 0).
 */
LPAE_API int lpae_walk(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va, unsigned access,
                       lpae_walk_result *out);

/**
 * Resume a walk at @p level (2 or 3) from the table at @p table_pa with
 * accumulated table attributes @p table_attrs, as a walk cache lets the
 * hardware do. Region selection and EPDn are still checked. The result is
 * what lpae_walk() would give when the skipped descriptors are unchanged.
 * Errors: as lpae_walk(), plus LPAE_EINVAL for a level outside 2..3 or
 * above the region's start level.
 */
LPAE_API int lpae_walk_from(const lpae_regs *regs, const lpae_phys *phys, lpae_va_t va,
                            unsigned access, unsigned level, lpae_pa_t table_pa,
                            uint8_t table_attrs, lpae_walk_result *out);

/**
 * Allowed-access bitmask (lpae_attrs.perm) for leaf AP[2:1] @p ap, XN/PXN,
 * accumulated APTable/XNTable/PXNTable, and SCTLR.WXN/UWXN from @p sctlr.
 */
LPAE_API uint8_t lpae_perm_mask(unsigned ap, bool xn, bool pxn, unsigned aptable, bool xntable,
                                bool pxntable, uint32_t sctlr);

/**
 * The 64-bit Long-descriptor PAR that ATS1CPR/CPW/CUR/CUW would leave for
 * this result: on success ATTR[63:56], PA[39:12], bit 11, NS[9], SH[8:7];
 * on a fault bit 11, FST[6:1] and F. Execute accesses use the same encoding.
 */
LPAE_API uint64_t lpae_walk_par(const lpae_walk_result *res);

/**
 * Write a human-readable account of the walk (region, each fetch with its
 * level, PA and descriptor, the outcome) into @p buf of @p len bytes,
 * NUL-terminated, lines separated by '\n'. Returns the length it needed
 * (like snprintf) or LPAE_EINVAL.
 */
LPAE_API int lpae_walk_explain(const lpae_walk_result *res, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
