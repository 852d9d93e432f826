/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/layout.h
 * @brief The Linux virtual memory layout of each split, and the lowmem /
 * highmem zones it implies (policy, not mechanism).
 *
 * Classic splits (VMSPLIT_3G/2G/1G), from arch/arm/include/asm/memory.h,
 * fixmap.h and arch/arm/mm/mmu.c:
 *   user     [0, TASK_SIZE)                 TASK_SIZE = PAGE_OFFSET - 16 MB
 *   modules  [PAGE_OFFSET - 16 MB (8 MB Thumb-2), PKMAP_BASE or PAGE_OFFSET)
 *   pkmap    [PAGE_OFFSET - 2 MB, PAGE_OFFSET)  (with highmem; LAST_PKMAP 512)
 *   lowmem   [PAGE_OFFSET, high_memory)     the kernel image at its bottom
 *   vmalloc  [VMALLOC_START, 0xFF800000)    VMALLOC_START = high_memory + 8 MB, 8 MB aligned
 *   fdt      [0xFF800000, 0xFFC00000)       FDT_FIXED_BASE, 2 * SECTION_SIZE
 *   fixmap   [0xFFC80000, 0xFFF00000)
 *   vectors  [0xFFFF0000, 0xFFFF1000)
 * Lowmem ends at most at VMALLOC_END - vmalloc size (240 MB) - VMALLOC_OFFSET,
 * i.e. 0xF0000000 by default (768 MB under VMSPLIT_3G).
 *
 * VMSPLIT_4G_4G (TTBR1 = 0xF0000000 and up): user space gets all of TTBR0
 * below 0xF0000000; kernel lowmem is a separate TTBR0 address space
 * [PAGE_OFFSET, high_memory) with non-global mappings under the kernel ASID;
 * the top 256 MB hold modules and pkmap (below KERNEL_OFFSET, placed as the
 * classic layout places them below PAGE_OFFSET), the kernel image at
 * KERNEL_OFFSET = 0xF1000000 (kernel-in-vmalloc), vmalloc above it, then
 * fdt, fixmap and vectors as in the classic layout. See docs/layout.md.
 */
#ifndef LPAE_LAYOUT_H
#define LPAE_LAYOUT_H

#include "lpae/export.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/split.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Linux constants (arch/arm/include/asm/{memory,fixmap,highmem,pgtable}.h) ---- */
#define LPAE_LINUX_VECTORS_BASE UINT32_C(0xFFFF0000)  /**< VECTORS_BASE (high vectors) */
#define LPAE_LINUX_FIXADDR_START UINT32_C(0xFFC80000) /**< FIXADDR_START */
#define LPAE_LINUX_FIXADDR_END UINT32_C(0xFFF00000)   /**< FIXADDR_END */
#define LPAE_LINUX_FIXADDR_TOP (LPAE_LINUX_FIXADDR_END - LPAE_PAGE_SIZE) /**< FIXADDR_TOP */
#define LPAE_LINUX_FDT_FIXED_BASE UINT32_C(0xFF800000)                   /**< FDT_FIXED_BASE */
#define LPAE_LINUX_FDT_FIXED_SIZE (2u * LPAE_SIZE_2M)    /**< 2 * SECTION_SIZE (LPAE: 2 MB) */
#define LPAE_LINUX_VMALLOC_END UINT32_C(0xFF800000)      /**< VMALLOC_END */
#define LPAE_LINUX_VMALLOC_OFFSET (UINT32_C(8) << 20)    /**< VMALLOC_OFFSET, guard below vmalloc */
#define LPAE_LINUX_VMALLOC_DEFAULT (UINT32_C(240) << 20) /**< default vmalloc= size */
#define LPAE_LINUX_PCI_IO_VIRT_BASE UINT32_C(0xFEE00000) /**< PCI_IO_VIRT_BASE (2 MB) */
#define LPAE_LINUX_TEXT_OFFSET UINT32_C(0x8000)          /**< TEXT_OFFSET (textofs-y) */
#define LPAE_LINUX_KERNEL_OFFSET_4G UINT32_C(0xF1000000) /**< KERNEL_OFFSET, kernel-in-vmalloc */
#define LPAE_LINUX_FIX_KMAP_BEGIN 1u                     /**< after FIX_EARLYCON_MEM_BASE */
#define LPAE_LINUX_KM_MAX_IDX 16u                        /**< kmap_local slots per CPU */
/* Linux's AttrIndx values for LPAE (pgtable-3level-hwdef.h L_PTE_MT_* >> 2), read
 * through its MAIR0 0xeeaa4400 / MAIR1 0xff000004 (proc-v7-3level.S). */
#define LPAE_LINUX_ATTRINDX_UNCACHED 0u /**< Strongly-ordered */
#define LPAE_LINUX_ATTRINDX_BUFFERABLE 1u
#define LPAE_LINUX_ATTRINDX_WT 2u /**< write-through */
#define LPAE_LINUX_ATTRINDX_WB 3u /**< write-back */
#define LPAE_LINUX_ATTRINDX_WBWA                                                                   \
    7u                             /**< write-back write-allocate: normal kernel and user memory   \
                                    */
#define LPAE_LINUX_LAST_PKMAP 512u /**< PTRS_PER_PTE with LPAE */
/** Fixmap slots between FIXADDR_START and FIXADDR_END. */
#define LPAE_LINUX_FIX_SLOTS                                                                       \
    ((LPAE_LINUX_FIXADDR_END - LPAE_LINUX_FIXADDR_START) >> LPAE_PAGE_SHIFT)
/** Largest NR_CPUS the fixmap holds: FIX_KMAP_BEGIN + 16 * NR_CPUS + 2 text-poke slots. */
#define LPAE_LAYOUT_MAX_NR_CPUS 32u
/** Default kernel image size after TEXT_OFFSET (estimate: a multi_v7 kernel). */
#define LPAE_LAYOUT_IMAGE_DEFAULT (UINT32_C(16) << 20)

/** What a virtual address range is used for. */
typedef enum lpae_vkind {
    LPAE_VK_NONE = 0,     /**< hole or guard: nothing is mapped there by design */
    LPAE_VK_USER,         /**< user space, TTBR0, non-global, user ASID */
    LPAE_VK_LOWMEM,       /**< linear map of lowmem */
    LPAE_VK_KERNEL_IMAGE, /**< kernel image (text, data, bss) */
    LPAE_VK_MODULES,      /**< module area */
    LPAE_VK_PKMAP,        /**< kmap() permanent mappings */
    LPAE_VK_VMALLOC,      /**< vmalloc / ioremap space */
    LPAE_VK_IO,           /**< static PCI I/O mapping inside vmalloc space */
    LPAE_VK_FDT,          /**< fixed read-only device-tree mapping */
    LPAE_VK_FIXMAP,       /**< fixmap (kmap_local slots) */
    LPAE_VK_VECTORS,      /**< exception vector page */
    LPAE_VK_COUNT
} lpae_vkind;

/** "none", "user", "lowmem", "kernel", "modules", "pkmap", "vmalloc", "io", "fdt",
 *  "fixmap", "vectors"; "?" for an unknown kind. */
LPAE_API const char *lpae_vkind_name(lpae_vkind k);

/** One virtual region. */
typedef struct lpae_vregion {
    lpae_va_t start;  /**< first VA */
    uint64_t end;     /**< one past the last VA (up to 2^32) */
    uint8_t kind;     /**< lpae_vkind */
    uint8_t sel;      /**< lpae_ttbr_sel the region is translated through */
    bool global;      /**< mapped with nG = 0 (kernel mappings of the classic splits) */
    bool kernel_asid; /**< 4G/4G lowmem: TTBR0 tables of the kernel, under its ASID */
} lpae_vregion;

/** Which TTBR0 tables are live when classifying a VA (matters only under 4G/4G). */
typedef enum lpae_view {
    LPAE_VIEW_USER = 0,  /**< a process's TTBR0 tables */
    LPAE_VIEW_KERNEL = 1 /**< the kernel lowmem TTBR0 tables (4G/4G) */
} lpae_view;

/** Physical zones. */
typedef enum lpae_zone {
    LPAE_ZONE_NONE = 0,   /**< not RAM, or RAM the kernel cannot use (no highmem) */
    LPAE_ZONE_LOWMEM = 1, /**< permanently mapped by the linear map */
    LPAE_ZONE_HIGHMEM = 2 /**< reachable only through kmap / kmap_local / vmap */
} lpae_zone;

/** "none", "lowmem", "highmem"; "?" otherwise. */
LPAE_API const char *lpae_zone_name(lpae_zone z);

/** Layout inputs. Zero-initialise, then set split and RAM. */
typedef struct lpae_layout_config {
    lpae_split split;          /**< from lpae_split_find() / lpae_split_preset() */
    const lpae_ram_range *ram; /**< RAM ranges, borrowed for the call */
    size_t nram;               /**< 1..LPAE_PHYS_MAX_RANGES, non-overlapping */
    uint64_t image_size;       /**< kernel bytes after TEXT_OFFSET; 0 = 16 MB (estimate) */
    uint64_t vmalloc_size;     /**< classic splits: vmalloc= bytes; 0 = 240 MB */
    unsigned nr_cpus;          /**< NR_CPUS for kmap_local fixmap slots; 0 = 8; max 32 */
    bool thumb2;               /**< CONFIG_THUMB2_KERNEL: MODULES_VADDR = PAGE_OFFSET - 8 MB */
    bool no_highmem;           /**< CONFIG_HIGHMEM=n: no pkmap, RAM above lowmem unused */
    bool pci_io;               /**< PCI I/O reserved at PCI_IO_VIRT_BASE (2 MB) */
} lpae_layout_config;

#define LPAE_LAYOUT_MAX_REGIONS 24

/**
 * A built layout: a plain value the caller owns (no heap memory). All VAs
 * follow Linux's names; "end" values are exclusive.
 */
typedef struct lpae_layout {
    lpae_split split;
    unsigned nr_cpus;
    bool four_g;
    bool config_highmem;     /**< CONFIG_HIGHMEM */
    lpae_va_t page_offset;   /**< PAGE_OFFSET */
    lpae_va_t task_size;     /**< TASK_SIZE */
    lpae_va_t modules_vaddr; /**< MODULES_VADDR */
    lpae_va_t modules_end;   /**< MODULES_END */
    lpae_va_t pkmap_base;    /**< PKMAP_BASE (0 without highmem) */
    lpae_va_t kernel_start;  /**< start of the kernel image region (PAGE_OFFSET or KERNEL_OFFSET) */
    lpae_va_t kernel_end;    /**< its end: start + TEXT_OFFSET + image size, page aligned */
    lpae_va_t high_memory;   /**< end of the linear map */
    lpae_va_t vmalloc_start; /**< VMALLOC_START (4G/4G: KERNEL_OFFSET, image at its bottom) */
    lpae_va_t vmalloc_end;   /**< VMALLOC_END */
    lpae_pa_t phys_offset;   /**< PHYS_OFFSET: lowest RAM address */
    lpae_pa_t lowmem_limit;  /**< arm_lowmem_limit: end PA of lowmem */
    uint64_t lowmem_bytes;   /**< RAM in ZONE lowmem */
    uint64_t highmem_bytes;  /**< RAM in ZONE highmem */
    uint64_t unused_bytes;   /**< RAM above lowmem without CONFIG_HIGHMEM */
    size_t nlowmem, nhighmem;
    lpae_ram_range lowmem[LPAE_PHYS_MAX_RANGES];  /**< lowmem pieces, ascending */
    lpae_ram_range highmem[LPAE_PHYS_MAX_RANGES]; /**< highmem pieces, ascending */
    lpae_vregion lowmem_region; /**< [PAGE_OFFSET, high_memory) and how it is mapped */
    size_t nregions;
    /** Regions tiling [0, 2^32) as seen with a process's TTBR0 tables live,
     *  ascending, holes included as LPAE_VK_NONE. */
    lpae_vregion regions[LPAE_LAYOUT_MAX_REGIONS];
} lpae_layout;

/**
 * Build the layout for @p cfg into @p out.
 * Errors: LPAE_EINVAL (NULL, no or too many RAM ranges, overlapping or
 * unaligned RAM, nr_cpus > 32), LPAE_EUNSUPP (a split Linux cannot run on:
 * classic split with PAGE_OFFSET != first TTBR1 VA, a TTBR0/TTBR1 gap,
 * PAGE_OFFSET not 2 MB aligned or below 32 MB; 4G/4G with TTBR1 not starting
 * at 0xF0000000 or PAGE_OFFSET at or above it), LPAE_ERANGE (vmalloc size
 * outside [16 MB, VMALLOC_END - PAGE_OFFSET - 40 MB], image larger than the
 * room it has).
 */
LPAE_API int lpae_layout_build(const lpae_layout_config *cfg, lpae_layout *out);

/**
 * The region containing @p va in @p view (LPAE_VIEW_KERNEL differs from
 * the user view only under 4G/4G, below the TTBR1 region: there VAs in
 * [PAGE_OFFSET, high_memory) are lowmem and the rest are holes).
 * Errors: LPAE_EINVAL (NULL, unknown view).
 */
LPAE_API int lpae_layout_classify(const lpae_layout *l, lpae_va_t va, lpae_view view,
                                  lpae_vregion *out);

/** Zone of physical address @p pa (LPAE_ZONE_NONE for NULL or non-RAM). */
LPAE_API lpae_zone lpae_layout_zone(const lpae_layout *l, lpae_pa_t pa);

/** __va(): the linear-map VA of lowmem PA @p pa. Errors: LPAE_EINVAL, LPAE_ERANGE (not lowmem). */
LPAE_API int lpae_layout_lowmem_va(const lpae_layout *l, lpae_pa_t pa, lpae_va_t *va);

/** __pa(): the PA of linear-map VA @p va. Errors: LPAE_EINVAL, LPAE_ERANGE (outside
 *  [PAGE_OFFSET, high_memory), or a hole between RAM ranges). */
LPAE_API int lpae_layout_lowmem_pa(const lpae_layout *l, lpae_va_t va, lpae_pa_t *pa);

/** __fix_to_virt(@p idx) = FIXADDR_TOP - idx * 4 KB (grows down).
 *  Errors: LPAE_EINVAL (NULL), LPAE_ERANGE (idx >= LPAE_LINUX_FIX_SLOTS). */
LPAE_API int lpae_fix_to_virt(unsigned idx, lpae_va_t *va);

/**
 * The fixmap VA of kmap_local slot @p idx (0..15) of CPU @p cpu:
 * __fix_to_virt(FIX_KMAP_BEGIN + idx + KM_MAX_IDX * cpu).
 * Errors: LPAE_EINVAL (NULL), LPAE_ERANGE (cpu >= nr_cpus or idx >= 16).
 */
LPAE_API int lpae_layout_kmap_va(const lpae_layout *l, unsigned cpu, unsigned idx, lpae_va_t *va);

/** The pkmap VA of permanent-kmap slot @p nr (0..511): PKMAP_BASE + nr * 4 KB.
 *  Errors: LPAE_EINVAL (NULL), LPAE_ERANGE (no highmem, nr >= 512). */
LPAE_API int lpae_layout_pkmap_va(const lpae_layout *l, unsigned nr, lpae_va_t *va);

/**
 * Write the layout as Linux's boot log prints it ("vector : 0x... - 0x...
 * (   4 kB)", one region per line) plus the zones, into @p buf of @p len
 * bytes, NUL-terminated. Returns the length needed (like snprintf) or
 * LPAE_EINVAL.
 */
LPAE_API int lpae_layout_format(const lpae_layout *l, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
