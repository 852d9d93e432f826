/* SPDX-License-Identifier: MIT */
/* The Linux virtual layout bounds the ELF loader needs, per split. */
#ifndef LPAE_SRC_ELF_REGION_H
#define LPAE_SRC_ELF_REGION_H

#include "lpae/elf.h"
#include "lpae/regs.h"
#include "lpae/split.h"

/* Linux's AttrIndx for normal write-back write-allocate memory
 * (L_PTE_MT_WRITEALLOC, 7 << 2; MAIR1 Attr7 = 0xff in proc-v7-3level.S). */
#define ELF_ATTRINDX_WBWA 7
/* SH[1:0] = 0b11, inner shareable (L_PTE_SHARED on SMP). */
#define ELF_SH_INNER 3

typedef struct elf_layout {
    lpae_regs regs; /* TTBCR of the split, for region selection */
    char split_name[32];
    bool four_g;
    lpae_va_t ttbr1_base;  /* first TTBR1 VA (0 when TTBR1 is unused) */
    lpae_va_t page_offset; /* PAGE_OFFSET */
    lpae_va_t task_size;   /* TASK_SIZE = PAGE_OFFSET - 16 MB */
    lpae_va_t modules_lo;  /* MODULES_VADDR = PAGE_OFFSET - 16 MB */
    lpae_va_t modules_hi;  /* MODULES_END = PKMAP_BASE = PAGE_OFFSET - 2 MB */
    lpae_va_t lowmem_hi;   /* highest high_memory the layout allows */
    lpae_va_t vmalloc_lo;  /* VMALLOC_START at its lowest */
    lpae_va_t vmalloc_hi;  /* VMALLOC_END */
} elf_layout;

/* Fill @p lay for @p split. Errors: LPAE_EINVAL, or the TTBCR check's error. */
int elf_layout_init(elf_layout *lay, const lpae_split *split);

/* The region @p va lies in; vmalloc addresses count as the kernel image
 * when @p kernel_image. */
lpae_elf_region elf_layout_classify(const elf_layout *lay, lpae_va_t va, bool kernel_image);

#endif
