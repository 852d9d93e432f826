/* SPDX-License-Identifier: MIT */
/* Layout bounds per split, from the Linux ARM memory map
 * (arch/arm/include/asm/memory.h, fixmap.h, pgtable.h; see docs/elf.md). */
#include <stdio.h>
#include <string.h>

#include "elf/region.h"
#include "lpae/err.h"

#define SZ_2M UINT32_C(0x00200000)
#define SZ_8M UINT32_C(0x00800000)
#define SZ_16M UINT32_C(0x01000000)
/* VMALLOC_END (arch/arm/include/asm/pgtable.h). */
#define ARM_VMALLOC_END UINT32_C(0xff800000)
/* Default vmalloc size (240 MB) and VMALLOC_OFFSET (8 MB) bound lowmem. */
#define ARM_VMALLOC_DEFAULT (UINT32_C(240) << 20)
/* Kernel-in-vmalloc image base (KERNEL_OFFSET in Linus Walleij's branch). */
#define ARM_KERNEL_IN_VMALLOC UINT32_C(0xf1000000)

int elf_layout_init(elf_layout *lay, const lpae_split *split)
{
    lpae_region r;
    int rc;

    if (!lay || !split || split->page_offset < SZ_16M)
        return LPAE_EINVAL;
    memset(lay, 0, sizeof *lay);
    lpae_regs_init(&lay->regs);
    rc = lpae_regs_set_ttbcr(&lay->regs, lpae_split_ttbcr(split, 0));
    if (rc)
        return rc;
    snprintf(lay->split_name, sizeof lay->split_name, "%s", split->name);
    lay->four_g = split->four_g;
    lay->ttbr1_base = split->ttbr1_base;
    if (lpae_regs_region(&lay->regs, UINT32_C(0xffffffff), &r) == 0 && r.sel == LPAE_SEL_TTBR1)
        lay->ttbr1_base = r.base;
    lay->page_offset = split->page_offset;
    lay->task_size = split->page_offset - SZ_16M;
    lay->modules_lo = split->page_offset - SZ_16M;
    lay->modules_hi = split->page_offset - SZ_2M;
    lay->vmalloc_hi = ARM_VMALLOC_END;
    if (split->four_g) {
        /* 4G/4G: lowmem fills TTBR0 up to the TTBR1 region; vmalloc (with
         * the kernel image at its start) begins at 0xF1000000. */
        lay->lowmem_hi = lay->ttbr1_base;
        lay->vmalloc_lo = ARM_KERNEL_IN_VMALLOC;
    } else {
        lay->vmalloc_lo = ARM_VMALLOC_END - ARM_VMALLOC_DEFAULT;
        lay->lowmem_hi = lay->vmalloc_lo - SZ_8M;
    }
    if (lay->lowmem_hi < lay->page_offset)
        lay->lowmem_hi = lay->page_offset;
    return 0;
}

lpae_elf_region elf_layout_classify(const elf_layout *lay, lpae_va_t va, bool kernel_image)
{
    lpae_region r;

    if (lpae_regs_region(&lay->regs, va, &r) != 0 || r.sel == LPAE_SEL_NONE)
        return LPAE_ELF_RGN_NONE;
    if (va < lay->task_size)
        return r.sel == LPAE_SEL_TTBR0 ? LPAE_ELF_RGN_USER : LPAE_ELF_RGN_OTHER;
    if (va >= lay->modules_lo && va < lay->modules_hi)
        return LPAE_ELF_RGN_MODULES;
    if (va >= lay->modules_hi && va < lay->page_offset)
        return LPAE_ELF_RGN_PKMAP;
    if (va >= lay->page_offset && va < lay->lowmem_hi)
        return LPAE_ELF_RGN_LOWMEM;
    if (va >= lay->vmalloc_lo && va < lay->vmalloc_hi)
        return kernel_image ? LPAE_ELF_RGN_KERNEL : LPAE_ELF_RGN_VMALLOC;
    if (va >= lay->vmalloc_hi)
        return LPAE_ELF_RGN_FIXMAP;
    return LPAE_ELF_RGN_OTHER;
}

const char *lpae_elf_region_name(lpae_elf_region r)
{
    switch (r) {
    case LPAE_ELF_RGN_NONE:
        return "none";
    case LPAE_ELF_RGN_USER:
        return "user";
    case LPAE_ELF_RGN_LOWMEM:
        return "lowmem";
    case LPAE_ELF_RGN_MODULES:
        return "modules";
    case LPAE_ELF_RGN_PKMAP:
        return "pkmap";
    case LPAE_ELF_RGN_KERNEL:
        return "kernel";
    case LPAE_ELF_RGN_VMALLOC:
        return "vmalloc";
    case LPAE_ELF_RGN_FIXMAP:
        return "fixmap";
    case LPAE_ELF_RGN_OTHER:
        return "other";
    }
    return "none";
}
