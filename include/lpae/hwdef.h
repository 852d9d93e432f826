/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/hwdef.h
 * @brief Hardware definitions of the ARMv7-A Long-descriptor translation
 * table format and its control registers, named as the ARM Architecture
 * Reference Manual (DDI 0406C, B3.6 and B4.1) names them.
 *
 * This is the one place each bit is defined. Mechanism only: no Linux policy.
 */
#ifndef LPAE_HWDEF_H
#define LPAE_HWDEF_H

#include <stdint.h>

/* ---- TTBCR (Long-descriptor, TTBCR.EAE == 1), DDI 0406C B4.1.153 ---- */
#define LPAE_TTBCR_T0SZ_SHIFT 0
#define LPAE_TTBCR_T0SZ_MASK (UINT32_C(7) << 0)
#define LPAE_TTBCR_EPD0 (UINT32_C(1) << 7)
#define LPAE_TTBCR_IRGN0_SHIFT 8
#define LPAE_TTBCR_ORGN0_SHIFT 10
#define LPAE_TTBCR_SH0_SHIFT 12
#define LPAE_TTBCR_T1SZ_SHIFT 16
#define LPAE_TTBCR_T1SZ_MASK (UINT32_C(7) << 16)
#define LPAE_TTBCR_A1 (UINT32_C(1) << 22)
#define LPAE_TTBCR_EPD1 (UINT32_C(1) << 23)
#define LPAE_TTBCR_IRGN1_SHIFT 24
#define LPAE_TTBCR_ORGN1_SHIFT 26
#define LPAE_TTBCR_SH1_SHIFT 28
#define LPAE_TTBCR_IMP (UINT32_C(1) << 30) /* IMPLEMENTATION DEFINED */
#define LPAE_TTBCR_EAE (UINT32_C(1) << 31)
/* bits [6:3], [15:14], [21:19] are UNK/SBZP */
#define LPAE_TTBCR_RES0 (UINT32_C(0x78) | UINT32_C(0xC000) | UINT32_C(0x380000))

/* ---- TTBR0/TTBR1, 64-bit (Long-descriptor), DDI 0406C B4.1.154/155 ---- */
#define LPAE_TTBR_ASID_SHIFT 48
#define LPAE_TTBR_ASID_MASK (UINT64_C(0xff) << 48)
#define LPAE_TTBR_BADDR_MASK UINT64_C(0x000000FFFFFFFFFF) /* [39:x]; low bits by TnSZ */
/* [63:56] and [47:40] are UNK/SBZ */
#define LPAE_TTBR_RES0 (UINT64_C(0xFF00000000000000) | UINT64_C(0x0000FF0000000000))

/* ---- SCTLR bits the translation regime uses, DDI 0406C B4.1.130 ---- */
#define LPAE_SCTLR_M (UINT32_C(1) << 0)     /* stage 1 MMU enable */
#define LPAE_SCTLR_I (UINT32_C(1) << 12)    /* I-cache enable: MMU-off fetch attributes */
#define LPAE_SCTLR_WXN (UINT32_C(1) << 19)  /* write permission implies XN */
#define LPAE_SCTLR_UWXN (UINT32_C(1) << 20) /* PL0-writable implies PL1 XN */

/* ---- Descriptors, DDI 0406C B3.6.1/B3.6.2 ---- */
#define LPAE_DESC_VALID (UINT64_C(1) << 0)
#define LPAE_DESC_TABLE (UINT64_C(1) << 1) /* levels 1-2: table; level 3: page */
#define LPAE_DESC_TYPE_MASK UINT64_C(3)
#define LPAE_DESC_TYPE_BLOCK UINT64_C(1) /* levels 1-2 */
#define LPAE_DESC_TYPE_TABLE UINT64_C(3) /* levels 1-2 */
#define LPAE_DESC_TYPE_PAGE UINT64_C(3)  /* level 3; 0b01 at level 3 is reserved (invalid) */
/* Output/next-level address bits [39:12] (pages, tables), [39:21] (2 MB), [39:30] (1 GB). */
#define LPAE_DESC_ADDR_MASK UINT64_C(0x000000FFFFFFF000)
#define LPAE_DESC_ADDR_HI_MASK UINT64_C(0x0000FF0000000000) /* [47:40]: UNK/SBZ in ARMv7 */

/* Lower block/page attributes [11:2] */
#define LPAE_DESC_ATTRINDX_SHIFT 2 /* AttrIndx[2:0] selects a MAIR byte */
#define LPAE_DESC_ATTRINDX_MASK (UINT64_C(7) << 2)
#define LPAE_DESC_NS (UINT64_C(1) << 5)
#define LPAE_DESC_AP_SHIFT 6 /* AP[2:1] at bits [7:6]; AP[1] = PL0 access, AP[2] = read-only */
#define LPAE_DESC_AP_MASK (UINT64_C(3) << 6)
#define LPAE_DESC_SH_SHIFT 8
#define LPAE_DESC_SH_MASK (UINT64_C(3) << 8)
#define LPAE_DESC_AF (UINT64_C(1) << 10)
#define LPAE_DESC_NG (UINT64_C(1) << 11)
/* Upper block/page attributes [63:52] */
#define LPAE_DESC_CONTIG (UINT64_C(1) << 52)
#define LPAE_DESC_PXN (UINT64_C(1) << 53)
#define LPAE_DESC_XN (UINT64_C(1) << 54)
#define LPAE_DESC_SW_SHIFT 55 /* [58:55] reserved for software use */
#define LPAE_DESC_SW_MASK (UINT64_C(0xF) << 55)
/* Table descriptor attributes [63:59] */
#define LPAE_DESC_PXNTABLE (UINT64_C(1) << 59)
#define LPAE_DESC_XNTABLE (UINT64_C(1) << 60)
#define LPAE_DESC_APTABLE_SHIFT 61 /* APTable[1:0] at [62:61] */
#define LPAE_DESC_APTABLE_MASK (UINT64_C(3) << 61)
#define LPAE_DESC_NSTABLE (UINT64_C(1) << 63)
#define LPAE_DESC_TABLE_ATTR_SHIFT 59
#define LPAE_DESC_TABLE_ATTR_MASK (UINT64_C(0x1F) << 59)

/* AP[2:1] values (two-bit field value, AP[2] is the high bit) */
#define LPAE_AP_PL1_RW 0 /* PL1 read/write, PL0 no access */
#define LPAE_AP_RW 1     /* read/write at any privilege */
#define LPAE_AP_PL1_RO 2 /* PL1 read-only, PL0 no access */
#define LPAE_AP_RO 3     /* read-only at any privilege */

/* APTable[1:0] bits (DDI 0406C B3.6.1, table B3-?) */
#define LPAE_APTABLE_NO_PL0 1 /* APTable[0]: no PL0 access at later levels */
#define LPAE_APTABLE_RO 2     /* APTable[1]: no write access at later levels */

/* Long-descriptor fault status codes (FSC / PAR.FST[5:0]); LL = level */
#define LPAE_FSC_ADDRESS_SIZE(l) (0x00u | (unsigned)(l))
#define LPAE_FSC_TRANSLATION(l) (0x04u | (unsigned)(l))
#define LPAE_FSC_ACCESS_FLAG(l) (0x08u | (unsigned)(l))
#define LPAE_FSC_PERMISSION(l) (0x0Cu | (unsigned)(l))
#define LPAE_FSC_EXT_ABORT 0x10u
#define LPAE_FSC_EXT_ABORT_WALK(l) (0x14u | (unsigned)(l))

/* 64-bit PAR, Long-descriptor format (DDI 0406C B4.1.112) */
#define LPAE_PAR_F (UINT64_C(1) << 0)
#define LPAE_PAR_FST_SHIFT 1                  /* FST[5:0] at [6:1] when F = 1 */
#define LPAE_PAR_SH_SHIFT 7                   /* SH[1:0] at [8:7] when F = 0 */
#define LPAE_PAR_FAULT_PTW (UINT64_C(1) << 8) /* stage-2 fault on a stage-1 walk */
#define LPAE_PAR_NS (UINT64_C(1) << 9)
#define LPAE_PAR_FAULT_S (UINT64_C(1) << 9) /* stage of the fault, when F = 1 */
#define LPAE_PAR_LPAE (UINT64_C(1) << 11)
#define LPAE_PAR_PA_MASK UINT64_C(0x000000FFFFFFF000)
#define LPAE_PAR_ATTR_SHIFT 56

/* Geometry */
#define LPAE_DESC_SIZE 8
#define LPAE_ENTRIES_PER_TABLE 512
#define LPAE_LEVEL_SHIFT(l) (39u - 9u * (unsigned)(l)) /* 30, 21, 12 for levels 1..3 */

#endif
