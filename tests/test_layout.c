/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/layout.h"

#define MB (UINT64_C(1) << 20)
#define GB (UINT64_C(1) << 30)

static lpae_split mksplit(const char *name, unsigned t0, unsigned t1, bool four_g, uint32_t po,
                          uint32_t base)
{
    lpae_split s;
    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "%s", name);
    s.t0sz = (uint8_t)t0;
    s.t1sz = (uint8_t)t1;
    s.four_g = four_g;
    s.page_offset = po;
    s.ttbr1_base = base;
    return s;
}

/* The preset values of include/lpae/split.h. */
static lpae_split split_3g(void)
{
    return mksplit("VMSPLIT_3G", 0, 2, false, 0xC0000000u, 0xC0000000u);
}
static lpae_split split_2g(void)
{
    return mksplit("VMSPLIT_2G", 0, 1, false, 0x80000000u, 0x80000000u);
}
static lpae_split split_1g(void)
{
    return mksplit("VMSPLIT_1G", 2, 0, false, 0x40000000u, 0x40000000u);
}
static lpae_split split_4g(uint32_t po)
{
    return mksplit("VMSPLIT_4G_4G", 0, 4, true, po, 0xF0000000u);
}

/* 2 GB at 0x80000000 plus 6 GB above 4 GB. */
static const lpae_ram_range ram_8g[] = {{0x80000000u, 2 * GB}, {UINT64_C(0x100000000), 6 * GB}};

static lpae_layout build(lpae_split s, const lpae_ram_range *ram, size_t nram)
{
    lpae_layout_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.split = s;
    cfg.ram = ram;
    cfg.nram = nram;
    lpae_layout l;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);
    return l;
}

static lpae_vregion cls(const lpae_layout *l, uint32_t va, lpae_view view)
{
    lpae_vregion r;
    assert_int_equal(lpae_layout_classify(l, va, view, &r), LPAE_OK);
    assert_true(va >= r.start && va < r.end);
    return r;
}

static void expect(const lpae_layout *l, uint32_t va, lpae_vkind kind, lpae_ttbr_sel sel)
{
    lpae_vregion r = cls(l, va, LPAE_VIEW_USER);
    if (r.kind != kind || r.sel != sel)
        fail_msg("0x%08x: got %s/TTBR%u, want %s/TTBR%u", va, lpae_vkind_name(r.kind), r.sel,
                 lpae_vkind_name(kind), sel);
}

/* Regions tile [0, 2^32) in order, and classify agrees with a linear scan. */
static void check_tiling(const lpae_layout *l, uint64_t seed)
{
    assert_true(l->nregions > 0 && l->nregions <= LPAE_LAYOUT_MAX_REGIONS);
    assert_int_equal(l->regions[0].start, 0);
    for (size_t i = 0; i < l->nregions; i++) {
        assert_true(l->regions[i].end > l->regions[i].start);
        if (i + 1 < l->nregions)
            assert_int_equal(l->regions[i].end, l->regions[i + 1].start);
        /* no region straddles the TTBR1 boundary */
        assert_true(l->regions[i].start >= l->split.ttbr1_base ||
                    l->regions[i].end <= l->split.ttbr1_base);
    }
    assert_int_equal(l->regions[l->nregions - 1].end, UINT64_C(1) << 32);
    uint64_t s = seed;
    for (int k = 0; k < 2000; k++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        uint32_t va = (uint32_t)(s >> 32);
        size_t j = 0;
        while (!(va >= l->regions[j].start && va < l->regions[j].end))
            j++;
        lpae_vregion r = cls(l, va, LPAE_VIEW_USER);
        assert_int_equal(r.start, l->regions[j].start);
        assert_int_equal(r.kind, l->regions[j].kind);
    }
}

static void vmsplit_3g(void **state)
{
    (void)state;
    lpae_layout l = build(split_3g(), ram_8g, 2);
    assert_int_equal(l.page_offset, 0xC0000000u);
    assert_int_equal(l.task_size, 0xBF000000u);
    assert_int_equal(l.modules_vaddr, 0xBF000000u);
    assert_int_equal(l.modules_end, 0xBFE00000u);
    assert_int_equal(l.pkmap_base, 0xBFE00000u);
    assert_int_equal(l.high_memory, 0xF0000000u);
    assert_int_equal(l.vmalloc_start, 0xF0800000u);
    assert_int_equal(l.vmalloc_end, 0xFF800000u);
    assert_int_equal(l.phys_offset, 0x80000000u);
    assert_int_equal(l.lowmem_limit, 0xB0000000u);
    assert_int_equal(l.lowmem_bytes, 768 * MB);
    assert_int_equal(l.highmem_bytes, 1280 * MB + 6 * GB);
    assert_int_equal(l.nlowmem, 1);
    assert_int_equal(l.nhighmem, 2);
    assert_int_equal(l.highmem[0].base, 0xB0000000u);
    assert_int_equal(l.kernel_start, 0xC0000000u);
    assert_int_equal(l.kernel_end, 0xC0000000u + 0x8000u + 16 * MB);

    expect(&l, 0x00000000u, LPAE_VK_USER, LPAE_SEL_TTBR0);
    expect(&l, 0xBEFFFFFFu, LPAE_VK_USER, LPAE_SEL_TTBR0);
    expect(&l, 0xBF000000u, LPAE_VK_MODULES, LPAE_SEL_TTBR0); /* below PAGE_OFFSET: TTBR0 */
    expect(&l, 0xBFE00000u, LPAE_VK_PKMAP, LPAE_SEL_TTBR0);
    expect(&l, 0xC0000000u, LPAE_VK_KERNEL_IMAGE, LPAE_SEL_TTBR1);
    expect(&l, 0xC2000000u, LPAE_VK_LOWMEM, LPAE_SEL_TTBR1);
    expect(&l, 0xEFFFFFFFu, LPAE_VK_LOWMEM, LPAE_SEL_TTBR1);
    expect(&l, 0xF0000000u, LPAE_VK_NONE, LPAE_SEL_TTBR1); /* VMALLOC_OFFSET guard */
    expect(&l, 0xF0800000u, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1);
    expect(&l, 0xFEE00000u, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1); /* no PCI I/O by default */
    expect(&l, 0xFF800000u, LPAE_VK_FDT, LPAE_SEL_TTBR1);
    expect(&l, 0xFFC00000u, LPAE_VK_NONE, LPAE_SEL_TTBR1);
    expect(&l, 0xFFC80000u, LPAE_VK_FIXMAP, LPAE_SEL_TTBR1);
    expect(&l, 0xFFEFFFFFu, LPAE_VK_FIXMAP, LPAE_SEL_TTBR1);
    expect(&l, 0xFFF00000u, LPAE_VK_NONE, LPAE_SEL_TTBR1);
    expect(&l, 0xFFFF0000u, LPAE_VK_VECTORS, LPAE_SEL_TTBR1);
    expect(&l, 0xFFFF1000u, LPAE_VK_NONE, LPAE_SEL_TTBR1);
    expect(&l, 0xFFFFFFFFu, LPAE_VK_NONE, LPAE_SEL_TTBR1);
    assert_false(cls(&l, 0x1000, LPAE_VIEW_USER).global);
    assert_true(cls(&l, 0xBF000000u, LPAE_VIEW_USER).global);
    assert_true(cls(&l, 0xC2000000u, LPAE_VIEW_USER).global);
    /* the kernel view is the same under a classic split */
    lpae_vregion r = cls(&l, 0xC2000000u, LPAE_VIEW_KERNEL);
    assert_int_equal(r.kind, LPAE_VK_LOWMEM);
    assert_int_equal(cls(&l, 0x1000, LPAE_VIEW_KERNEL).kind, LPAE_VK_USER);
    assert_int_equal(l.lowmem_region.sel, LPAE_SEL_TTBR1);
    assert_true(l.lowmem_region.global);
    assert_false(l.lowmem_region.kernel_asid);

    assert_int_equal(lpae_layout_zone(&l, 0x80000000u), LPAE_ZONE_LOWMEM);
    assert_int_equal(lpae_layout_zone(&l, 0xAFFFFFFFu), LPAE_ZONE_LOWMEM);
    assert_int_equal(lpae_layout_zone(&l, 0xB0000000u), LPAE_ZONE_HIGHMEM);
    assert_int_equal(lpae_layout_zone(&l, UINT64_C(0x27FFFFFFF)), LPAE_ZONE_HIGHMEM);
    assert_int_equal(lpae_layout_zone(&l, UINT64_C(0x280000000)), LPAE_ZONE_NONE);
    assert_int_equal(lpae_layout_zone(&l, 0x1000), LPAE_ZONE_NONE);
    check_tiling(&l, 3);
}

static void vmsplit_2g_and_1g(void **state)
{
    (void)state;
    lpae_layout l = build(split_2g(), ram_8g, 2);
    assert_int_equal(l.task_size, 0x7F000000u);
    assert_int_equal(l.pkmap_base, 0x7FE00000u);
    assert_int_equal(l.lowmem_bytes, 1792 * MB); /* 0x80000000..0xF0000000 */
    assert_int_equal(l.high_memory, 0xF0000000u);
    assert_int_equal(l.highmem_bytes, 256 * MB + 6 * GB);
    expect(&l, 0x7F000000u, LPAE_VK_MODULES, LPAE_SEL_TTBR0);
    expect(&l, 0x80000000u, LPAE_VK_KERNEL_IMAGE, LPAE_SEL_TTBR1);
    check_tiling(&l, 2);

    /* VMSPLIT_1G: T0SZ = 2, TTBR0 is exactly [0, 1 GB). Lowmem reaches
     * 2816 MB: all of the first bank and 768 MB of the second. */
    l = build(split_1g(), ram_8g, 2);
    assert_int_equal(l.task_size, 0x3F000000u);
    assert_int_equal(l.lowmem_bytes, 2816 * MB);
    assert_int_equal(l.nlowmem, 2);
    assert_int_equal(l.lowmem[1].base, UINT64_C(0x100000000));
    assert_int_equal(l.lowmem[1].size, 768 * MB);
    assert_int_equal(l.lowmem_limit, UINT64_C(0x130000000));
    assert_int_equal(l.highmem_bytes, 6 * GB - 768 * MB);
    assert_int_equal(l.high_memory, 0xF0000000u);
    expect(&l, 0x3FE00000u, LPAE_VK_PKMAP, LPAE_SEL_TTBR0);
    expect(&l, 0x40000000u, LPAE_VK_KERNEL_IMAGE, LPAE_SEL_TTBR1);
    expect(&l, 0xEFFFF000u, LPAE_VK_LOWMEM, LPAE_SEL_TTBR1);
    lpae_va_t va = 0;
    assert_int_equal(lpae_layout_lowmem_va(&l, UINT64_C(0x100000000), &va), LPAE_OK);
    assert_int_equal(va, 0x40000000u + 2 * GB);
    check_tiling(&l, 1);
}

static void vmsplit_4g_4g(void **state)
{
    (void)state;
    lpae_layout l = build(split_4g(0), ram_8g, 2);
    assert_true(l.four_g);
    assert_int_equal(l.task_size, 0xF0000000u);
    assert_int_equal(l.modules_vaddr, 0xF0000000u);
    assert_int_equal(l.pkmap_base, 0xF0E00000u);
    assert_int_equal(l.kernel_start, 0xF1000000u);
    assert_int_equal(l.vmalloc_start, 0xF1000000u);
    assert_int_equal(l.kernel_end, 0xF1000000u + 0x8000u + 16 * MB);
    /* 3840 MB of lowmem: 2 GB + 1792 MB of the upper bank */
    assert_int_equal(l.lowmem_bytes, 3840 * MB);
    assert_int_equal(l.lowmem_limit, UINT64_C(0x170000000));
    assert_int_equal(l.highmem_bytes, 8 * GB - 3840 * MB);
    assert_int_equal(l.high_memory, 0xF0000000u);

    expect(&l, 0x00000000u, LPAE_VK_USER, LPAE_SEL_TTBR0);
    expect(&l, 0xEFFFFFFFu, LPAE_VK_USER, LPAE_SEL_TTBR0);
    expect(&l, 0xF0000000u, LPAE_VK_MODULES, LPAE_SEL_TTBR1);
    expect(&l, 0xF0E00000u, LPAE_VK_PKMAP, LPAE_SEL_TTBR1);
    expect(&l, 0xF1000000u, LPAE_VK_KERNEL_IMAGE, LPAE_SEL_TTBR1);
    expect(&l, 0xF1208000u, LPAE_VK_KERNEL_IMAGE, LPAE_SEL_TTBR1);
    expect(&l, 0xF2008000u, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1);
    expect(&l, 0xFF7FFFFFu, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1);
    expect(&l, 0xFF800000u, LPAE_VK_FDT, LPAE_SEL_TTBR1);
    expect(&l, 0xFFC80000u, LPAE_VK_FIXMAP, LPAE_SEL_TTBR1);
    expect(&l, 0xFFFF0000u, LPAE_VK_VECTORS, LPAE_SEL_TTBR1);
    /* every kernel region is in the top 256 MB */
    for (size_t i = 0; i < l.nregions; i++)
        if (l.regions[i].kind != LPAE_VK_USER && l.regions[i].kind != LPAE_VK_NONE)
            assert_true(l.regions[i].start >= 0xF0000000u);

    /* Kernel view: TTBR0 holds lowmem, non-global, under the kernel ASID. */
    lpae_vregion r = cls(&l, 0x10000000u, LPAE_VIEW_KERNEL);
    assert_int_equal(r.kind, LPAE_VK_LOWMEM);
    assert_int_equal(r.sel, LPAE_SEL_TTBR0);
    assert_false(r.global);
    assert_true(r.kernel_asid);
    assert_int_equal(cls(&l, 0x10000000u, LPAE_VIEW_USER).kind, LPAE_VK_USER);
    assert_int_equal(cls(&l, 0xF1000000u, LPAE_VIEW_KERNEL).kind, LPAE_VK_KERNEL_IMAGE);
    check_tiling(&l, 4);

    lpae_va_t va;
    lpae_pa_t pa;
    assert_int_equal(lpae_layout_lowmem_va(&l, UINT64_C(0x16FFFF000), &va), LPAE_OK);
    assert_int_equal(va, 0xEFFFF000u);
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0xEFFFF000u, &pa), LPAE_OK);
    assert_int_equal(pa, UINT64_C(0x16FFFF000));
    assert_int_equal(lpae_layout_lowmem_va(&l, UINT64_C(0x170000000), &va), LPAE_ERANGE);

    /* A non-zero PAGE_OFFSET leaves a hole below lowmem in the kernel view,
     * and less lowmem. */
    l = build(split_4g(0x10000000u), ram_8g, 2);
    assert_int_equal(l.lowmem_bytes, 3584 * MB);
    r = cls(&l, 0x1000, LPAE_VIEW_KERNEL);
    assert_int_equal(r.kind, LPAE_VK_NONE);
    assert_int_equal(r.end, 0x10000000u);
    assert_int_equal(cls(&l, 0x10000000u, LPAE_VIEW_KERNEL).kind, LPAE_VK_LOWMEM);

    /* With 1 GB of RAM, lowmem ends early and the rest of TTBR0 is a hole. */
    static const lpae_ram_range one[] = {{0x80000000u, GB}};
    l = build(split_4g(0), one, 1);
    assert_int_equal(l.high_memory, 0x40000000u);
    assert_int_equal(l.highmem_bytes, 0);
    r = cls(&l, 0x40000000u, LPAE_VIEW_KERNEL);
    assert_int_equal(r.kind, LPAE_VK_NONE);
    assert_int_equal(r.start, 0x40000000u);
    assert_int_equal(r.end, 0xF0000000u);
}

static void small_ram_and_options(void **state)
{
    (void)state;
    /* 512 MB: all lowmem, vmalloc starts 8 MB above high_memory. */
    static const lpae_ram_range small[] = {{0x80000000u, 512 * MB}};
    lpae_layout l = build(split_3g(), small, 1);
    assert_int_equal(l.lowmem_bytes, 512 * MB);
    assert_int_equal(l.highmem_bytes, 0);
    assert_int_equal(l.nhighmem, 0);
    assert_int_equal(l.high_memory, 0xE0000000u);
    assert_int_equal(l.vmalloc_start, 0xE0800000u);
    expect(&l, 0xE0000000u, LPAE_VK_NONE, LPAE_SEL_TTBR1);
    expect(&l, 0xE0800000u, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1);

    lpae_layout_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.split = split_3g();
    cfg.ram = ram_8g;
    cfg.nram = 2;
    cfg.vmalloc_size = 480 * MB; /* vmalloc=480M: lowmem 0xC0000000..0xE1000000 */
    cfg.thumb2 = true;
    cfg.pci_io = true;
    cfg.image_size = 10 * MB;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);
    assert_int_equal(l.lowmem_bytes, 528 * MB);
    assert_int_equal(l.high_memory, 0xE1000000u);
    assert_int_equal(l.vmalloc_start, 0xE1800000u);
    assert_int_equal(l.modules_vaddr, 0xBF800000u);
    assert_int_equal(l.task_size, 0xBF000000u);
    expect(&l, 0xBF000000u, LPAE_VK_NONE, LPAE_SEL_TTBR0);
    expect(&l, 0xBF800000u, LPAE_VK_MODULES, LPAE_SEL_TTBR0);
    expect(&l, 0xFEE00000u, LPAE_VK_IO, LPAE_SEL_TTBR1);
    expect(&l, 0xFEFFFFFFu, LPAE_VK_IO, LPAE_SEL_TTBR1);
    expect(&l, 0xFF000000u, LPAE_VK_VMALLOC, LPAE_SEL_TTBR1);
    expect(&l, 0xC0A08000u, LPAE_VK_LOWMEM, LPAE_SEL_TTBR1);
    check_tiling(&l, 5);

    /* CONFIG_HIGHMEM=n: no pkmap, modules reach PAGE_OFFSET, RAM above
     * lowmem is unused. */
    cfg.thumb2 = false;
    cfg.pci_io = false;
    cfg.vmalloc_size = 0;
    cfg.no_highmem = true;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);
    assert_false(l.config_highmem);
    assert_int_equal(l.modules_end, 0xC0000000u);
    assert_int_equal(l.highmem_bytes, 0);
    assert_int_equal(l.unused_bytes, 8 * GB - 768 * MB);
    expect(&l, 0xBFE00000u, LPAE_VK_MODULES, LPAE_SEL_TTBR0);
    assert_int_equal(lpae_layout_zone(&l, 0xB0000000u), LPAE_ZONE_NONE);
    lpae_va_t va;
    assert_int_equal(lpae_layout_pkmap_va(&l, 0, &va), LPAE_ERANGE);
    check_tiling(&l, 6);
}

static void ram_with_holes(void **state)
{
    (void)state;
    /* Unsorted input with a hole: lowmem covers both banks below the limit. */
    static const lpae_ram_range holes[] = {{0xA0000000u, 256 * MB}, {0x80000000u, 256 * MB}};
    lpae_layout l = build(split_3g(), holes, 2);
    assert_int_equal(l.phys_offset, 0x80000000u);
    assert_int_equal(l.nlowmem, 2);
    assert_int_equal(l.lowmem_bytes, 512 * MB);
    assert_int_equal(l.lowmem_limit, 0xB0000000u);
    assert_int_equal(l.high_memory, 0xF0000000u);
    lpae_pa_t pa;
    lpae_va_t va;
    /* __pa of the hole is not RAM */
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0xD0000000u, &pa), LPAE_ERANGE);
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0xE0001000u, &pa), LPAE_OK);
    assert_int_equal(pa, 0xA0001000u);
    assert_int_equal(lpae_layout_lowmem_va(&l, 0xA0001000u, &va), LPAE_OK);
    assert_int_equal(va, 0xE0001000u);
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0xBFFFF000u, &pa), LPAE_ERANGE);
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0xF0000000u, &pa), LPAE_ERANGE);
    /* round trip over lowmem */
    for (lpae_pa_t p = 0x80000000u; p < 0x90000000u; p += 0x123000) {
        assert_int_equal(lpae_layout_lowmem_va(&l, p, &va), LPAE_OK);
        assert_int_equal(lpae_layout_lowmem_pa(&l, va, &pa), LPAE_OK);
        assert_int_equal(pa, p);
    }
}

static void fixmap_slots(void **state)
{
    (void)state;
    lpae_va_t va;
    assert_int_equal(lpae_fix_to_virt(0, &va), LPAE_OK);
    assert_int_equal(va, 0xFFEFF000u); /* FIXADDR_TOP */
    assert_int_equal(lpae_fix_to_virt(1, &va), LPAE_OK);
    assert_int_equal(va, 0xFFEFE000u); /* grows down */
    assert_int_equal(LPAE_LINUX_FIX_SLOTS, 640);
    assert_int_equal(lpae_fix_to_virt(639, &va), LPAE_OK);
    assert_int_equal(va, 0xFFC80000u); /* FIXADDR_START */
    assert_int_equal(lpae_fix_to_virt(640, &va), LPAE_ERANGE);
    assert_int_equal(lpae_fix_to_virt(0, NULL), LPAE_EINVAL);

    lpae_layout_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.split = split_3g();
    cfg.ram = ram_8g;
    cfg.nram = 2;
    cfg.nr_cpus = LPAE_LAYOUT_MAX_NR_CPUS;
    lpae_layout l;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);
    /* CPU 0 slot 0 is FIX_KMAP_BEGIN = 1; CPU 1 slot 0 is 17. */
    assert_int_equal(lpae_layout_kmap_va(&l, 0, 0, &va), LPAE_OK);
    assert_int_equal(va, 0xFFEFE000u);
    assert_int_equal(lpae_layout_kmap_va(&l, 0, 15, &va), LPAE_OK);
    assert_int_equal(va, 0xFFEFF000u - 16 * 0x1000u);
    assert_int_equal(lpae_layout_kmap_va(&l, 1, 0, &va), LPAE_OK);
    assert_int_equal(va, 0xFFEFF000u - 17 * 0x1000u);
    /* all slots distinct, page aligned and inside the fixmap */
    lpae_va_t prev = 0xFFFFFFFFu;
    for (unsigned c = 0; c < cfg.nr_cpus; c++) {
        for (unsigned i = 0; i < LPAE_LINUX_KM_MAX_IDX; i++) {
            assert_int_equal(lpae_layout_kmap_va(&l, c, i, &va), LPAE_OK);
            assert_true(va < prev);
            assert_int_equal(va & 0xFFFu, 0);
            assert_int_equal(cls(&l, va, LPAE_VIEW_USER).kind, LPAE_VK_FIXMAP);
            prev = va;
        }
    }
    assert_int_equal(lpae_layout_kmap_va(&l, 32, 0, &va), LPAE_ERANGE);
    assert_int_equal(lpae_layout_kmap_va(&l, 0, 16, &va), LPAE_ERANGE);
    assert_int_equal(lpae_layout_kmap_va(NULL, 0, 0, &va), LPAE_EINVAL);
    /* default NR_CPUS is 8 */
    lpae_layout l8 = build(split_3g(), ram_8g, 2);
    assert_int_equal(l8.nr_cpus, 8);
    assert_int_equal(lpae_layout_kmap_va(&l8, 8, 0, &va), LPAE_ERANGE);

    /* pkmap: 512 slots from PKMAP_BASE */
    assert_int_equal(lpae_layout_pkmap_va(&l, 0, &va), LPAE_OK);
    assert_int_equal(va, 0xBFE00000u);
    assert_int_equal(lpae_layout_pkmap_va(&l, 511, &va), LPAE_OK);
    assert_int_equal(va, 0xBFFFF000u);
    assert_int_equal(cls(&l, va, LPAE_VIEW_USER).kind, LPAE_VK_PKMAP);
    assert_int_equal(lpae_layout_pkmap_va(&l, 512, &va), LPAE_ERANGE);
}

static void format_like_boot_log(void **state)
{
    (void)state;
    lpae_layout l = build(split_3g(), ram_8g, 2);
    int need = lpae_layout_format(&l, NULL, 0);
    assert_true(need > 0);
    char *buf = malloc((size_t)need + 1);
    assert_non_null(buf);
    assert_int_equal(lpae_layout_format(&l, buf, (size_t)need + 1), need);
    assert_int_equal(strlen(buf), (size_t)need);
    assert_non_null(strstr(buf, "fixmap  : 0xffc80000 - 0xfff00000   (  2560 kB)"));
    assert_non_null(strstr(buf, "vmalloc : 0xf0800000 - 0xff800000   (   240 MB)"));
    assert_non_null(strstr(buf, "lowmem  : 0xc1008000 - 0xf0000000"));
    assert_non_null(strstr(buf, "vectors : 0xffff0000 - 0xffff1000   (     4 kB)"));
    assert_non_null(strstr(buf, "lowmem 768 MB, highmem 7424 MB"));
    /* truncated output stays NUL-terminated and reports the full length */
    char small[16];
    assert_int_equal(lpae_layout_format(&l, small, sizeof(small)), need);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    free(buf);
    assert_int_equal(lpae_layout_format(NULL, small, sizeof(small)), LPAE_EINVAL);
    assert_int_equal(lpae_layout_format(&l, NULL, 5), LPAE_EINVAL);

    lpae_layout l4 = build(split_4g(0), ram_8g, 2);
    need = lpae_layout_format(&l4, NULL, 0);
    buf = malloc((size_t)need + 1);
    assert_non_null(buf);
    lpae_layout_format(&l4, buf, (size_t)need + 1);
    assert_non_null(
        strstr(buf, "lowmem  : 0x00000000 - 0xf0000000   (  3840 MB) TTBR0 kernel ASID"));
    assert_non_null(strstr(buf, "kernel  : 0xf1000000 - 0xf2008000"));
    free(buf);
}

/* The presets of lpae/split.h (branch core) build, and match the values
 * these tests assume. */
static void split_presets(void **state)
{
    (void)state;
    const lpae_split want[] = {split_3g(), split_2g(), split_1g(), split_4g(0)};
    assert_int_equal(lpae_split_preset_count(), 4);
    for (size_t i = 0; i < lpae_split_preset_count(); i++) {
        lpae_split s;
        assert_int_equal(lpae_split_preset(i, &s), LPAE_OK);
        lpae_split f;
        assert_int_equal(lpae_split_find(s.name, &f), LPAE_OK);
        size_t k = 0;
        while (k < 4 && strcmp(want[k].name, s.name) != 0)
            k++;
        assert_true(k < 4);
        assert_int_equal(s.t0sz, want[k].t0sz);
        assert_int_equal(s.t1sz, want[k].t1sz);
        assert_int_equal(s.four_g, want[k].four_g);
        assert_int_equal(s.page_offset, want[k].page_offset);
        assert_int_equal(s.ttbr1_base, want[k].ttbr1_base);
        lpae_layout l = build(s, ram_8g, 2);
        check_tiling(&l, i + 10);
        /* every region's TTBR agrees with the architecture's region selection */
        lpae_regs regs;
        lpae_regs_init(&regs);
        assert_int_equal(lpae_regs_set_ttbcr(&regs, lpae_split_ttbcr(&s, 0)), LPAE_OK);
        for (size_t r = 0; r < l.nregions; r++) {
            lpae_region rg;
            assert_int_equal(lpae_regs_region(&regs, l.regions[r].start, &rg), LPAE_OK);
            assert_int_equal(rg.sel, l.regions[r].sel);
            assert_int_equal(lpae_regs_region(&regs, (lpae_va_t)(l.regions[r].end - 1), &rg),
                             LPAE_OK);
            assert_int_equal(rg.sel, l.regions[r].sel);
        }
    }
    /* a custom split with a gap is refused */
    lpae_layout_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(lpae_split_find("t0sz=2,t1sz=2", &cfg.split), LPAE_OK);
    cfg.ram = ram_8g;
    cfg.nram = 2;
    lpae_layout l;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(lpae_vkind_name(LPAE_VK_USER), "user");
    assert_string_equal(lpae_vkind_name(LPAE_VK_KERNEL_IMAGE), "kernel");
    assert_string_equal(lpae_vkind_name(LPAE_VK_VECTORS), "vectors");
    assert_string_equal(lpae_vkind_name(LPAE_VK_COUNT), "?");
    assert_string_equal(lpae_zone_name(LPAE_ZONE_HIGHMEM), "highmem");
    assert_string_equal(lpae_zone_name((lpae_zone)7), "?");
}

static void error_paths(void **state)
{
    (void)state;
    lpae_layout l;
    lpae_layout_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.split = split_3g();
    cfg.ram = ram_8g;
    cfg.nram = 2;
    assert_int_equal(lpae_layout_build(NULL, &l), LPAE_EINVAL);
    assert_int_equal(lpae_layout_build(&cfg, NULL), LPAE_EINVAL);
    cfg.nram = 0;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    cfg.nram = LPAE_PHYS_MAX_RANGES + 1;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    static const lpae_ram_range overlap[] = {{0x80000000u, GB}, {0xA0000000u, GB}};
    cfg.ram = overlap;
    cfg.nram = 2;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    static const lpae_ram_range unaligned[] = {{0x80000800u, GB}};
    cfg.ram = unaligned;
    cfg.nram = 1;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    static const lpae_ram_range beyond[] = {{UINT64_C(0xFFFFF00000), 2 * MB}};
    cfg.ram = beyond;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    static const lpae_ram_range empty[] = {{0x80000000u, 0}};
    cfg.ram = empty;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    cfg.ram = ram_8g;
    cfg.nram = 2;
    cfg.nr_cpus = 33;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EINVAL);
    cfg.nr_cpus = 0;

    /* splits Linux cannot run on */
    cfg.split = mksplit("x", 0, 2, false, 0xB0000000u, 0xC0000000u);
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
    cfg.split = mksplit("gap", 2, 2, false, 0xC0000000u, 0xC0000000u);
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
    cfg.split = mksplit("4g-bad", 0, 3, true, 0, 0xE0000000u);
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
    cfg.split = split_4g(0xF0000000u);
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
    cfg.split = split_4g(0x00100000u); /* not 2 MB aligned */
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);
    cfg.split = mksplit("tsz", 9, 2, false, 0xC0000000u, 0xC0000000u);
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_EUNSUPP);

    /* vmalloc= out of range, image too large */
    cfg.split = split_3g();
    cfg.vmalloc_size = 8 * MB;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_ERANGE);
    cfg.vmalloc_size = 0xFF800000u - 0xC0000000u - 40 * MB + 0x1000;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_ERANGE);
    cfg.vmalloc_size = 0xFF800000u - 0xC0000000u - 40 * MB;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);
    assert_int_equal(l.high_memory, 0xC2000000u); /* 32 MB of lowmem left */
    cfg.vmalloc_size = 0;
    static const lpae_ram_range tiny[] = {{0x80000000u, 8 * MB}};
    cfg.ram = tiny;
    cfg.nram = 1;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_ERANGE); /* 16 MB image in 8 MB */
    cfg.split = split_4g(0);
    cfg.image_size = 250 * MB;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_ERANGE);
    cfg.image_size = 0;
    assert_int_equal(lpae_layout_build(&cfg, &l), LPAE_OK);

    lpae_vregion r;
    assert_int_equal(lpae_layout_classify(NULL, 0, LPAE_VIEW_USER, &r), LPAE_EINVAL);
    assert_int_equal(lpae_layout_classify(&l, 0, LPAE_VIEW_USER, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_layout_classify(&l, 0, (lpae_view)5, &r), LPAE_EINVAL);
    lpae_layout zero;
    memset(&zero, 0, sizeof(zero));
    assert_int_equal(lpae_layout_classify(&zero, 0, LPAE_VIEW_USER, &r), LPAE_EINVAL);
    assert_int_equal(lpae_layout_zone(NULL, 0x80000000u), LPAE_ZONE_NONE);
    lpae_va_t va;
    lpae_pa_t pa;
    assert_int_equal(lpae_layout_lowmem_va(NULL, 0x80000000u, &va), LPAE_EINVAL);
    assert_int_equal(lpae_layout_lowmem_va(&l, 0x80000000u, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_layout_lowmem_pa(NULL, 0, &pa), LPAE_EINVAL);
    assert_int_equal(lpae_layout_lowmem_pa(&l, 0, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_layout_pkmap_va(NULL, 0, &va), LPAE_EINVAL);
    assert_int_equal(lpae_layout_pkmap_va(&l, 0, NULL), LPAE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vmsplit_3g),
        cmocka_unit_test(vmsplit_2g_and_1g),
        cmocka_unit_test(vmsplit_4g_4g),
        cmocka_unit_test(small_ram_and_options),
        cmocka_unit_test(ram_with_holes),
        cmocka_unit_test(fixmap_slots),
        cmocka_unit_test(format_like_boot_log),
        cmocka_unit_test(split_presets),
        cmocka_unit_test(names),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
