/* SPDX-License-Identifier: MIT */
/*
 * Linux's virtual layout per split and the lowmem/highmem zones it implies.
 * docs/layout.md has a table per split and the sources of each constant.
 */
#include "lpae/layout.h"

#include "lpae/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SZ_2M UINT32_C(0x200000)
#define SZ_8M UINT32_C(0x800000)
#define SZ_16M UINT32_C(0x1000000)
#define SZ_32M UINT32_C(0x2000000)
#define VA_TOP (UINT64_C(1) << 32)

static const char *const vkind_names[LPAE_VK_COUNT] = {
    "none",    "user", "lowmem", "kernel", "modules", "pkmap",
    "vmalloc", "io",   "fdt",    "fixmap", "vectors",
};

const char *lpae_vkind_name(lpae_vkind k)
{
    return (unsigned)k < LPAE_VK_COUNT ? vkind_names[k] : "?";
}

const char *lpae_zone_name(lpae_zone z)
{
    switch (z) {
    case LPAE_ZONE_NONE:
        return "none";
    case LPAE_ZONE_LOWMEM:
        return "lowmem";
    case LPAE_ZONE_HIGHMEM:
        return "highmem";
    }
    return "?";
}

/* ---- building ----------------------------------------------------------- */

struct builder {
    lpae_layout *l;
    uint64_t cursor; /* regions are appended in ascending order */
};

static void add_region(struct builder *b, uint64_t start, uint64_t end, lpae_vkind kind)
{
    if (end <= start)
        return;
    lpae_layout *l = b->l;
    if (start > b->cursor)
        add_region(b, b->cursor, start, LPAE_VK_NONE);
    lpae_vregion *r = &l->regions[l->nregions++];
    r->start = (lpae_va_t)start;
    r->end = end;
    r->kind = (uint8_t)kind;
    r->sel = start >= l->split.ttbr1_base ? LPAE_SEL_TTBR1 : LPAE_SEL_TTBR0;
    r->global = kind != LPAE_VK_USER && kind != LPAE_VK_NONE;
    r->kernel_asid = false;
    b->cursor = end;
}

static int check_ram(const lpae_layout_config *cfg, lpae_ram_range *sorted)
{
    if (!cfg->ram || cfg->nram == 0 || cfg->nram > LPAE_PHYS_MAX_RANGES)
        return LPAE_EINVAL;
    memcpy(sorted, cfg->ram, cfg->nram * sizeof(*sorted));
    /* insertion sort by base: at most 16 ranges */
    for (size_t i = 1; i < cfg->nram; i++) {
        lpae_ram_range t = sorted[i];
        size_t j = i;
        for (; j > 0 && sorted[j - 1].base > t.base; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = t;
    }
    for (size_t i = 0; i < cfg->nram; i++) {
        const lpae_ram_range *r = &sorted[i];
        if (r->size == 0 || r->base > LPAE_PA_MASK || r->size > (UINT64_C(1) << LPAE_PA_BITS) ||
            r->base + r->size > (UINT64_C(1) << LPAE_PA_BITS))
            return LPAE_EINVAL;
        if ((r->base | r->size) & (LPAE_PAGE_SIZE - 1))
            return LPAE_EINVAL;
        if (i > 0 && sorted[i - 1].base + sorted[i - 1].size > r->base)
            return LPAE_EINVAL;
    }
    return LPAE_OK;
}

/* Split the RAM into lowmem [phys_offset, limit) and the rest. */
static void make_zones(lpae_layout *l, const lpae_ram_range *ram, size_t nram, lpae_pa_t limit)
{
    for (size_t i = 0; i < nram; i++) {
        lpae_pa_t base = ram[i].base, end = ram[i].base + ram[i].size;
        if (base < limit) {
            lpae_pa_t lend = end < limit ? end : limit;
            l->lowmem[l->nlowmem++] = (lpae_ram_range){base, lend - base};
            l->lowmem_bytes += lend - base;
            l->lowmem_limit = lend;
            base = lend;
        }
        if (base < end) {
            if (l->config_highmem) {
                l->highmem[l->nhighmem++] = (lpae_ram_range){base, end - base};
                l->highmem_bytes += end - base;
            } else {
                l->unused_bytes += end - base;
            }
        }
    }
}

static int check_split(const lpae_split *s)
{
    if (s->t0sz > 7 || s->t1sz > 7)
        return LPAE_EUNSUPP;
    /* A gap between the TTBR0 and TTBR1 regions leaves user VAs untranslatable. */
    if (s->t0sz != 0 && (UINT64_C(1) << (32 - s->t0sz)) < s->ttbr1_base)
        return LPAE_EUNSUPP;
    if (s->page_offset & (SZ_2M - 1))
        return LPAE_EUNSUPP;
    if (s->four_g) {
        if (s->ttbr1_base != LPAE_LINUX_KERNEL_OFFSET_4G - SZ_16M ||
            s->page_offset >= s->ttbr1_base)
            return LPAE_EUNSUPP;
    } else {
        if (s->page_offset != s->ttbr1_base || s->page_offset < SZ_32M)
            return LPAE_EUNSUPP;
    }
    return LPAE_OK;
}

static uint64_t page_align_up(uint64_t x)
{
    return (x + LPAE_PAGE_SIZE - 1) & ~(uint64_t)(LPAE_PAGE_SIZE - 1);
}

/* vmalloc space from @p start to VMALLOC_END, with the PCI I/O carve-out. */
static void add_vmalloc(struct builder *b, uint64_t start, bool pci_io)
{
    uint64_t io = LPAE_LINUX_PCI_IO_VIRT_BASE, io_end = io + SZ_2M;
    if (pci_io && start <= io) {
        add_region(b, start, io, LPAE_VK_VMALLOC);
        add_region(b, io, io_end, LPAE_VK_IO);
        add_region(b, io_end, LPAE_LINUX_VMALLOC_END, LPAE_VK_VMALLOC);
    } else {
        add_region(b, start, LPAE_LINUX_VMALLOC_END, LPAE_VK_VMALLOC);
    }
}

/* Everything from VMALLOC_END up: fdt, fixmap, vectors, with holes between. */
static void add_top(struct builder *b)
{
    add_region(b, LPAE_LINUX_FDT_FIXED_BASE,
               (uint64_t)LPAE_LINUX_FDT_FIXED_BASE + LPAE_LINUX_FDT_FIXED_SIZE, LPAE_VK_FDT);
    add_region(b, LPAE_LINUX_FIXADDR_START, LPAE_LINUX_FIXADDR_END, LPAE_VK_FIXMAP);
    add_region(b, LPAE_LINUX_VECTORS_BASE, (uint64_t)LPAE_LINUX_VECTORS_BASE + LPAE_PAGE_SIZE,
               LPAE_VK_VECTORS);
    if (b->cursor < VA_TOP)
        add_region(b, b->cursor, VA_TOP, LPAE_VK_NONE);
}

int lpae_layout_build(const lpae_layout_config *cfg, lpae_layout *out)
{
    if (!cfg || !out)
        return LPAE_EINVAL;
    lpae_ram_range ram[LPAE_PHYS_MAX_RANGES];
    int err = check_ram(cfg, ram);
    if (err)
        return err;
    if (cfg->nr_cpus > LPAE_LAYOUT_MAX_NR_CPUS)
        return LPAE_EINVAL;
    const lpae_split *s = &cfg->split;
    err = check_split(s);
    if (err)
        return err;

    lpae_layout l;
    memset(&l, 0, sizeof(l));
    l.split = *s;
    l.nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : 8;
    l.four_g = s->four_g;
    l.config_highmem = !cfg->no_highmem;
    l.page_offset = s->page_offset;
    l.phys_offset = ram[0].base;
    l.vmalloc_end = LPAE_LINUX_VMALLOC_END;
    uint64_t image = cfg->image_size ? cfg->image_size : LPAE_LAYOUT_IMAGE_DEFAULT;

    /* "anchor" is what modules and pkmap sit below: PAGE_OFFSET, or
     * KERNEL_OFFSET under 4G/4G. */
    uint64_t anchor, lowmem_va_limit;
    if (s->four_g) {
        anchor = LPAE_LINUX_KERNEL_OFFSET_4G;
        lowmem_va_limit = s->ttbr1_base;
        l.task_size = s->ttbr1_base;
        l.kernel_start = LPAE_LINUX_KERNEL_OFFSET_4G;
    } else {
        uint64_t vsize = cfg->vmalloc_size ? cfg->vmalloc_size : LPAE_LINUX_VMALLOC_DEFAULT;
        uint64_t vmax =
            (uint64_t)LPAE_LINUX_VMALLOC_END - s->page_offset - SZ_32M - LPAE_LINUX_VMALLOC_OFFSET;
        if (vsize < SZ_16M || vsize > vmax || (vsize & (LPAE_PAGE_SIZE - 1)))
            return LPAE_ERANGE;
        anchor = s->page_offset;
        lowmem_va_limit = LPAE_LINUX_VMALLOC_END - vsize - LPAE_LINUX_VMALLOC_OFFSET;
        l.task_size = s->page_offset - SZ_16M;
        l.kernel_start = s->page_offset;
    }
    l.modules_vaddr = (lpae_va_t)(anchor - (cfg->thumb2 ? SZ_8M : SZ_16M));
    l.pkmap_base = l.config_highmem ? (lpae_va_t)(anchor - SZ_2M) : 0;
    l.modules_end = l.config_highmem ? l.pkmap_base : (lpae_va_t)anchor;
    uint64_t kernel_end = page_align_up(l.kernel_start + LPAE_LINUX_TEXT_OFFSET + image);

    /* Zones: the linear map reaches lowmem_va_limit - PAGE_OFFSET bytes of
     * physical memory from PHYS_OFFSET. */
    make_zones(&l, ram, cfg->nram, l.phys_offset + (lowmem_va_limit - s->page_offset));
    l.high_memory = (lpae_va_t)(s->page_offset + (l.lowmem_limit - l.phys_offset));

    struct builder b = {&l, 0};
    add_region(&b, 0, l.task_size, LPAE_VK_USER);
    add_region(&b, l.modules_vaddr, l.modules_end, LPAE_VK_MODULES);
    if (l.config_highmem)
        add_region(&b, l.pkmap_base, anchor, LPAE_VK_PKMAP);
    if (s->four_g) {
        l.vmalloc_start = LPAE_LINUX_KERNEL_OFFSET_4G;
        if (kernel_end + SZ_16M > LPAE_LINUX_VMALLOC_END)
            return LPAE_ERANGE;
        add_region(&b, l.kernel_start, kernel_end, LPAE_VK_KERNEL_IMAGE);
        add_vmalloc(&b, kernel_end, cfg->pci_io);
    } else {
        if (kernel_end > l.high_memory)
            return LPAE_ERANGE;
        add_region(&b, l.kernel_start, kernel_end, LPAE_VK_KERNEL_IMAGE);
        add_region(&b, kernel_end, l.high_memory, LPAE_VK_LOWMEM);
        l.vmalloc_start = (lpae_va_t)(((uint64_t)l.high_memory + LPAE_LINUX_VMALLOC_OFFSET) &
                                      ~(uint64_t)(LPAE_LINUX_VMALLOC_OFFSET - 1));
        add_vmalloc(&b, l.vmalloc_start, cfg->pci_io);
    }
    l.kernel_end = (lpae_va_t)kernel_end;
    add_top(&b);

    l.lowmem_region.start = l.page_offset;
    l.lowmem_region.end = l.high_memory;
    l.lowmem_region.kind = LPAE_VK_LOWMEM;
    l.lowmem_region.sel = l.page_offset >= s->ttbr1_base ? LPAE_SEL_TTBR1 : LPAE_SEL_TTBR0;
    l.lowmem_region.global = !s->four_g;
    l.lowmem_region.kernel_asid = s->four_g;
    *out = l;
    return LPAE_OK;
}

/* ---- queries --------------------------------------------------------------- */

int lpae_layout_classify(const lpae_layout *l, lpae_va_t va, lpae_view view, lpae_vregion *out)
{
    if (!l || !out || (view != LPAE_VIEW_USER && view != LPAE_VIEW_KERNEL) || l->nregions == 0)
        return LPAE_EINVAL;
    if (view == LPAE_VIEW_KERNEL && l->four_g && va < l->split.ttbr1_base) {
        if (va >= l->lowmem_region.start && va < l->lowmem_region.end) {
            *out = l->lowmem_region;
        } else {
            /* the hole of the kernel's TTBR0 address space around lowmem */
            bool below = va < l->lowmem_region.start;
            *out = (lpae_vregion){.start = below ? 0 : (lpae_va_t)l->lowmem_region.end,
                                  .end = below ? l->lowmem_region.start : l->split.ttbr1_base,
                                  .kind = LPAE_VK_NONE,
                                  .sel = LPAE_SEL_TTBR0,
                                  .kernel_asid = true};
        }
        return LPAE_OK;
    }
    size_t lo = 0, hi = l->nregions; /* regions tile [0, 2^32): find the last start <= va */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->regions[mid].start <= va)
            lo = mid;
        else
            hi = mid;
    }
    *out = l->regions[lo];
    return LPAE_OK;
}

lpae_zone lpae_layout_zone(const lpae_layout *l, lpae_pa_t pa)
{
    if (!l)
        return LPAE_ZONE_NONE;
    for (size_t i = 0; i < l->nlowmem; i++)
        if (pa >= l->lowmem[i].base && pa - l->lowmem[i].base < l->lowmem[i].size)
            return LPAE_ZONE_LOWMEM;
    for (size_t i = 0; i < l->nhighmem; i++)
        if (pa >= l->highmem[i].base && pa - l->highmem[i].base < l->highmem[i].size)
            return LPAE_ZONE_HIGHMEM;
    return LPAE_ZONE_NONE;
}

int lpae_layout_lowmem_va(const lpae_layout *l, lpae_pa_t pa, lpae_va_t *va)
{
    if (!l || !va)
        return LPAE_EINVAL;
    if (lpae_layout_zone(l, pa) != LPAE_ZONE_LOWMEM)
        return LPAE_ERANGE;
    *va = (lpae_va_t)(pa - l->phys_offset + l->page_offset);
    return LPAE_OK;
}

int lpae_layout_lowmem_pa(const lpae_layout *l, lpae_va_t va, lpae_pa_t *pa)
{
    if (!l || !pa)
        return LPAE_EINVAL;
    if (va < l->page_offset || va >= l->high_memory)
        return LPAE_ERANGE;
    lpae_pa_t p = (lpae_pa_t)(va - l->page_offset) + l->phys_offset;
    if (lpae_layout_zone(l, p) != LPAE_ZONE_LOWMEM)
        return LPAE_ERANGE;
    *pa = p;
    return LPAE_OK;
}

int lpae_fix_to_virt(unsigned idx, lpae_va_t *va)
{
    if (!va)
        return LPAE_EINVAL;
    if (idx >= LPAE_LINUX_FIX_SLOTS)
        return LPAE_ERANGE;
    *va = LPAE_LINUX_FIXADDR_TOP - ((lpae_va_t)idx << LPAE_PAGE_SHIFT);
    return LPAE_OK;
}

int lpae_layout_kmap_va(const lpae_layout *l, unsigned cpu, unsigned idx, lpae_va_t *va)
{
    if (!l || !va)
        return LPAE_EINVAL;
    if (cpu >= l->nr_cpus || idx >= LPAE_LINUX_KM_MAX_IDX)
        return LPAE_ERANGE;
    return lpae_fix_to_virt(LPAE_LINUX_FIX_KMAP_BEGIN + idx + LPAE_LINUX_KM_MAX_IDX * cpu, va);
}

int lpae_layout_pkmap_va(const lpae_layout *l, unsigned nr, lpae_va_t *va)
{
    if (!l || !va)
        return LPAE_EINVAL;
    if (!l->config_highmem || nr >= LPAE_LINUX_LAST_PKMAP)
        return LPAE_ERANGE;
    *va = l->pkmap_base + ((lpae_va_t)nr << LPAE_PAGE_SHIFT);
    return LPAE_OK;
}

/* ---- formatting -------------------------------------------------------------- */

struct out {
    char *buf;
    size_t len, pos;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void outf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->pos < o->len ? o->buf + o->pos : NULL;
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n;
}

static void out_size(struct out *o, uint64_t bytes)
{
    if (bytes >= (UINT64_C(1) << 20) && !(bytes & ((UINT64_C(1) << 20) - 1)))
        outf(o, "(%6llu MB)", (unsigned long long)(bytes >> 20));
    else
        outf(o, "(%6llu kB)", (unsigned long long)(bytes >> 10));
}

int lpae_layout_format(const lpae_layout *l, char *buf, size_t len)
{
    if (!l || (!buf && len))
        return LPAE_EINVAL;
    struct out o = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    outf(&o, "Virtual kernel memory layout (%s%s):\n", l->split.name,
         l->four_g ? ", lowmem in TTBR0 under the kernel ASID" : "");
    for (size_t i = l->nregions; i-- > 0;) {
        const lpae_vregion *r = &l->regions[i];
        if (r->kind == LPAE_VK_NONE)
            continue;
        outf(&o, "    %-8s: 0x%08x - 0x%08llx   ", lpae_vkind_name((lpae_vkind)r->kind), r->start,
             (unsigned long long)r->end);
        out_size(&o, r->end - r->start);
        outf(&o, " TTBR%u%s\n", r->sel == LPAE_SEL_TTBR1 ? 1u : 0u, r->global ? " global" : "");
    }
    if (l->four_g) {
        outf(&o, "    %-8s: 0x%08x - 0x%08llx   ", "lowmem", l->lowmem_region.start,
             (unsigned long long)l->lowmem_region.end);
        out_size(&o, l->lowmem_region.end - l->lowmem_region.start);
        outf(&o, " TTBR0 kernel ASID\n");
    }
    outf(&o, "Zones (PHYS_OFFSET 0x%llx):\n", (unsigned long long)l->phys_offset);
    for (size_t i = 0; i < l->nlowmem; i++)
        outf(&o, "    lowmem  : 0x%010llx - 0x%010llx\n", (unsigned long long)l->lowmem[i].base,
             (unsigned long long)l->lowmem[i].base + l->lowmem[i].size);
    for (size_t i = 0; i < l->nhighmem; i++)
        outf(&o, "    highmem : 0x%010llx - 0x%010llx\n", (unsigned long long)l->highmem[i].base,
             (unsigned long long)l->highmem[i].base + l->highmem[i].size);
    outf(&o, "    lowmem %llu MB, highmem %llu MB, unused %llu MB\n",
         (unsigned long long)(l->lowmem_bytes >> 20), (unsigned long long)(l->highmem_bytes >> 20),
         (unsigned long long)(l->unused_bytes >> 20));
    if (o.pos > (size_t)INT32_MAX)
        return LPAE_EOVERFLOW;
    return (int)o.pos;
}
