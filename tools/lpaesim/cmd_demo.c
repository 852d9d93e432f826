/* SPDX-License-Identifier: MIT */
/*
 * lpaesim demo: translation walks on a built-in VMSPLIT_4G_4G layout.
 *
 * The layout follows the 3840/256 design discussed for arm32 (Arnd Bergmann,
 * afzal mohammed, Linus Walleij, 2020-2022): TTBR1 (T1SZ = 4) covers
 * 0xF0000000 and up, walked from level 2, and holds the kernel image,
 * vmalloc, the fixmap (kmap_atomic slots) and the vectors page, all global;
 * TTBR0 (T0SZ = 0) covers everything below and holds either the current
 * process's pages (user ASID) or the kernel's linear map of lowmem
 * (non-global, under the kernel's own ASID). Entering the kernel switches
 * TTBR0 from the one to the other.
 *
 * Anchors: the kernel image at KERNEL_OFFSET 0xF1000000 (Linus Walleij's
 * kernel-in-vmalloc branches), kmap_atomic slot 0 at
 * __fix_to_virt(FIX_KMAP_BEGIN) = FIXADDR_TOP - 4 KB = 0xFFEFE000 and the
 * vectors page at VECTORS_BASE 0xFFFF0000 (arch/arm/include/asm/fixmap.h,
 * memory.h). The sizes and the user layout are illustrative.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "lpae/err.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/split.h"
#include "lpae/walk.h"

/* Physical memory: 2 GB at 0x80000000 and 2 GB above 4 GB (highmem). */
#define RAM0_BASE UINT64_C(0x80000000)
#define RAM0_SIZE UINT64_C(0x80000000)
#define RAM1_BASE UINT64_C(0x800000000)
#define RAM1_SIZE UINT64_C(0x80000000)
/* The kernel image occupies the first 16 MB; table pages come after it. */
#define KIMAGE_PA RAM0_BASE
#define KIMAGE_SIZE UINT64_C(0x1000000)
#define TABLES_LO (RAM0_BASE + KIMAGE_SIZE)
#define TABLES_HI (TABLES_LO + UINT64_C(0x1000000))

/* Virtual layout (TTBR1 part). */
#define KERNEL_VA UINT32_C(0xF1000000)    /* KERNEL_OFFSET, kernel-in-vmalloc */
#define KTEXT_SIZE UINT32_C(0x800000)     /* first 8 MB: text, read-only */
#define VMALLOC_AREA UINT32_C(0xF2001000) /* one 8 KB vmalloc area after a guard page */
#define FIXMAP_KMAP0 UINT32_C(0xFFEFE000) /* __fix_to_virt(FIX_KMAP_BEGIN) */
#define VECTORS_VA UINT32_C(0xFFFF0000)   /* VECTORS_BASE */
/* Virtual layout (TTBR0, user). */
#define USER_TEXT UINT32_C(0x00010000)
#define USER_DATA UINT32_C(0x00020000)
#define USER_STACK UINT32_C(0xEFFFE000) /* top of the TTBR0 region */

#define USER_ASID 42
#define KERNEL_ASID 1

struct demo {
    lpae_split split;
    lpae_phys *phys;
    lpae_pgtable *user, *kern0, *ttbr1;
    lpae_regs user_regs, kern_regs;
    lpae_pa_t user_data_pa, kmap_page_pa;
    uint64_t lowmem_size;
    char *xbuf;
    size_t xcap;
};

static int fail(const char *what, int err)
{
    fprintf(stderr, "lpaesim demo: %s: %s\n", what, lpae_strerror(err));
    return -1;
}

static int map(lpae_pgtable *pt, lpae_va_t va, lpae_pa_t pa, uint64_t size, const lpae_prot *prot,
               const char *what)
{
    int rc = lpae_pgtable_map(pt, va, pa, size, prot, 0);
    return rc < 0 ? fail(what, rc) : 0;
}

/* Map @p npages fresh frames from [lo, hi) at @p va. *first gets the first PA. */
static int map_fresh(struct demo *d, lpae_pgtable *pt, lpae_va_t va, unsigned npages, lpae_pa_t lo,
                     lpae_pa_t hi, const lpae_prot *prot, lpae_pa_t *first, const char *what)
{
    for (unsigned i = 0; i < npages; i++) {
        lpae_pa_t pa;
        int rc = lpae_phys_alloc_page(d->phys, lo, hi, &pa);
        if (rc < 0)
            return fail(what, rc);
        if (first && i == 0)
            *first = pa;
        if (map(pt, va + i * LPAE_PAGE_SIZE, pa, LPAE_PAGE_SIZE, prot, what) < 0)
            return -1;
    }
    return 0;
}

static int new_tree(struct demo *d, lpae_ttbr_sel sel, unsigned tsz, lpae_pgtable **out)
{
    const lpae_pgtable_config cfg = {
        .phys = d->phys, .sel = sel, .tsz = tsz, .table_lo = TABLES_LO, .table_hi = TABLES_HI};
    int rc = lpae_pgtable_create(&cfg, out);
    return rc < 0 ? fail("creating a table tree", rc) : 0;
}

static int build(struct demo *d)
{
    const lpae_ram_range ram[2] = {{RAM0_BASE, RAM0_SIZE}, {RAM1_BASE, RAM1_SIZE}};
    const lpae_phys_config pcfg = {.ranges = ram, .nranges = 2};
    /* AttrIndx 7: Linux's write-back write-allocate memory (MAIR1 byte 0xff). */
    const lpae_prot ktext = {.attrindx = 7, .ap = LPAE_AP_PL1_RO, .sh = 3, .af = true};
    const lpae_prot kdata = {
        .attrindx = 7, .ap = LPAE_AP_PL1_RW, .sh = 3, .af = true, .xn = true, .pxn = true};
    const lpae_prot vectors = {.attrindx = 7, .ap = LPAE_AP_RO, .sh = 3, .af = true};
    const lpae_prot lowmem = {.attrindx = 7,
                              .ap = LPAE_AP_PL1_RW,
                              .sh = 3,
                              .af = true,
                              .ng = true,
                              .xn = true,
                              .pxn = true};
    const lpae_prot utext = {
        .attrindx = 7, .ap = LPAE_AP_RO, .sh = 3, .af = true, .ng = true, .pxn = true};
    const lpae_prot udata = {
        .attrindx = 7, .ap = LPAE_AP_RW, .sh = 3, .af = true, .ng = true, .xn = true, .pxn = true};
    int rc;

    if ((rc = lpae_split_find("VMSPLIT_4G_4G", &d->split)) < 0)
        return fail("the VMSPLIT_4G_4G preset", rc);
    if (d->split.ttbr1_base != 0xF0000000u || d->split.page_offset >= d->split.ttbr1_base) {
        fprintf(stderr, "lpaesim demo: VMSPLIT_4G_4G preset is not the 3840/256 layout\n");
        return -1;
    }
    if ((rc = lpae_phys_create(&pcfg, &d->phys)) < 0)
        return fail("creating physical memory", rc);
    if ((rc = lpae_phys_reserve(d->phys, KIMAGE_PA, KIMAGE_SIZE)) < 0)
        return fail("reserving the kernel image", rc);
    if (new_tree(d, LPAE_SEL_TTBR0, d->split.t0sz, &d->user) < 0 ||
        new_tree(d, LPAE_SEL_TTBR0, d->split.t0sz, &d->kern0) < 0 ||
        new_tree(d, LPAE_SEL_TTBR1, d->split.t1sz, &d->ttbr1) < 0)
        return -1;

    /* TTBR1: kernel image (2 MB blocks), a vmalloc area, a kmap slot, vectors. */
    if (map(d->ttbr1, KERNEL_VA, KIMAGE_PA, KTEXT_SIZE, &ktext, "mapping kernel text") < 0 ||
        map(d->ttbr1, KERNEL_VA + KTEXT_SIZE, KIMAGE_PA + KTEXT_SIZE, KIMAGE_SIZE - KTEXT_SIZE,
            &kdata, "mapping kernel data") < 0)
        return -1;
    if (map_fresh(d, d->ttbr1, VMALLOC_AREA, 2, TABLES_HI, RAM0_BASE + RAM0_SIZE, &kdata, NULL,
                  "mapping a vmalloc area") < 0 ||
        map_fresh(d, d->ttbr1, FIXMAP_KMAP0, 1, RAM1_BASE, RAM1_BASE + RAM1_SIZE, &kdata,
                  &d->kmap_page_pa, "mapping a kmap_atomic slot") < 0 ||
        map_fresh(d, d->ttbr1, VECTORS_VA, 1, TABLES_HI, RAM0_BASE + RAM0_SIZE, &vectors, NULL,
                  "mapping the vectors page") < 0)
        return -1;

    /* TTBR0, kernel context: lowmem linear map, as far as it fits below TTBR1. */
    d->lowmem_size = d->split.ttbr1_base - d->split.page_offset;
    if (d->lowmem_size > RAM0_SIZE)
        d->lowmem_size = RAM0_SIZE;
    if (map(d->kern0, d->split.page_offset, RAM0_BASE, d->lowmem_size, &lowmem, "mapping lowmem") <
        0)
        return -1;

    /* TTBR0, user context: text, data backed by highmem, a stack page. */
    if (map_fresh(d, d->user, USER_TEXT, 2, TABLES_HI, RAM0_BASE + RAM0_SIZE, &utext, NULL,
                  "mapping user text") < 0 ||
        map_fresh(d, d->user, USER_DATA, 4, RAM1_BASE, RAM1_BASE + RAM1_SIZE, &udata,
                  &d->user_data_pa, "mapping user data") < 0 ||
        map_fresh(d, d->user, USER_STACK, 1, RAM1_BASE, RAM1_BASE + RAM1_SIZE, &udata, NULL,
                  "mapping the user stack") < 0)
        return -1;

    /* Registers: TTBR1 is shared; TTBR0 differs between the two contexts. */
    lpae_regs_init(&d->user_regs);
    if ((rc = lpae_regs_set_ttbcr(&d->user_regs, lpae_split_ttbcr(&d->split, 0))) < 0 ||
        (rc = lpae_regs_set_ttbr(&d->user_regs, 1, lpae_pgtable_ttbr(d->ttbr1, 0))) < 0)
        return fail("setting TTBCR/TTBR1", rc);
    d->kern_regs = d->user_regs;
    if ((rc = lpae_regs_set_ttbr(&d->user_regs, 0, lpae_pgtable_ttbr(d->user, USER_ASID))) < 0 ||
        (rc = lpae_regs_set_ttbr(&d->kern_regs, 0, lpae_pgtable_ttbr(d->kern0, KERNEL_ASID))) < 0)
        return fail("setting TTBR0", rc);
    return 0;
}

/* One line per tree; a TTBR0 tree only sees the VAs below TTBR1's region. */
static void tree_line(const struct demo *d, const char *name, const lpae_pgtable *pt, int asid)
{
    lpae_pgtable_stats st;
    const lpae_region *r = lpae_pgtable_region(pt);
    lpae_va_t last = r->last;
    char tag[16];
    if (lpae_pgtable_stats_get(pt, &st) < 0)
        return;
    if (r->sel == LPAE_SEL_TTBR0 && d->split.ttbr1_base && last >= d->split.ttbr1_base)
        last = d->split.ttbr1_base - 1;
    if (asid < 0)
        snprintf(tag, sizeof tag, "global");
    else
        snprintf(tag, sizeof tag, "ASID %d", asid);
    printf("  %-20s 0x%08" PRIx32 "-0x%08" PRIx32 "  root 0x%010" PRIx64
           "  from level %u  %2" PRIu64 " table page%s  %s\n",
           name, r->base, last, lpae_pgtable_root(pt), (unsigned)r->start_level, st.table_pages,
           st.table_pages == 1 ? " " : "s", tag);
}

static void print_layout(const struct demo *d)
{
    printf("lpae demo: ARMv7 LPAE translation under %s (TTBCR.T0SZ=%u, T1SZ=%u)\n\n", d->split.name,
           (unsigned)d->split.t0sz, (unsigned)d->split.t1sz);
    printf("RAM: 2 GB at 0x0080000000, 2 GB at 0x0800000000 (above 4 GB: 40-bit outputs)\n");
    printf("TTBCR 0x%08" PRIx32 "; TTBR0 switches between two trees, TTBR1 is shared:\n",
           d->user_regs.ttbcr);
    tree_line(d, "TTBR0 user", d->user, USER_ASID);
    tree_line(d, "TTBR0 kernel lowmem", d->kern0, KERNEL_ASID);
    tree_line(d, "TTBR1 kernel", d->ttbr1, -1);
    printf("Virtual layout:\n"
           "  0x%08" PRIx32 " user text (2 pages)        0x%08" PRIx32
           " user data (4 pages, highmem)\n"
           "  0x%08" PRIx32 " user stack page            0x%08" PRIx32
           " lowmem linear map (%" PRIu64 " MB, kernel context)\n"
           "  0x%08" PRIx32 " kernel text (8 MB, RO)     0x%08" PRIx32 " kernel data (8 MB)\n"
           "  0x%08" PRIx32 " vmalloc area (8 KB)        0x%08" PRIx32
           " kmap_atomic slot 0 (fixmap)\n"
           "  0x%08" PRIx32 " vectors page\n\n",
           USER_TEXT, USER_DATA, USER_STACK, d->split.page_offset, d->lowmem_size >> 20, KERNEL_VA,
           KERNEL_VA + KTEXT_SIZE, VMALLOC_AREA, FIXMAP_KMAP0, VECTORS_VA);
}

static int walk(struct demo *d, unsigned n, const char *title, bool kernel_ctx, lpae_va_t va,
                unsigned access, lpae_walk_result *res)
{
    const lpae_regs *regs = kernel_ctx ? &d->kern_regs : &d->user_regs;
    int rc = lpae_walk(regs, d->phys, va, access, res), need;

    if (rc < 0)
        return fail("walk", rc);
    printf("%u. %s\n   %s context (TTBR0 ASID %u): 0x%08" PRIx32 " %s -> PAR 0x%016" PRIx64 "\n", n,
           title, kernel_ctx ? "kernel" : "user", kernel_ctx ? KERNEL_ASID : USER_ASID, va,
           lpae_access_name(access), lpae_walk_par(res));
    need = lpae_walk_explain(res, d->xbuf, d->xcap);
    if (need >= 0 && (size_t)need >= d->xcap) {
        char *nb = realloc(d->xbuf, (size_t)need + 1);
        if (!nb)
            return fail("explaining a walk", LPAE_ENOMEM);
        d->xbuf = nb;
        d->xcap = (size_t)need + 1;
        need = lpae_walk_explain(res, d->xbuf, d->xcap);
    }
    if (need < 0)
        return fail("explaining a walk", need);
    for (char *s = d->xbuf; *s;) {
        size_t len = strcspn(s, "\n");
        printf("     %.*s\n", (int)len, s);
        s += len + (s[len] ? 1 : 0);
    }
    return 0;
}

static const char *outcome(const lpae_walk_result *r, char *buf, size_t len)
{
    if (r->fault == LPAE_FAULT_NONE)
        snprintf(buf, len, "PA 0x%010" PRIx64 " in %u fetch%s", r->pa, (unsigned)r->nfetch,
                 r->nfetch == 1 ? "" : "es");
    else
        snprintf(buf, len, "%s fault at level %u", lpae_fault_name(r->fault), (unsigned)r->level);
    return buf;
}

static int run(struct demo *d)
{
    lpae_walk_result r, u;
    char ob[96];

    print_layout(d);
    if (walk(d, 1, "A user instruction fetch: 4 KB page, three fetches from level 1", false,
             USER_TEXT + 0x10, LPAE_ACC_UX, &r) < 0)
        return -1;
    printf("   => %s; nG, so the TLB entry is tagged with ASID %u.\n\n", outcome(&r, ob, sizeof ob),
           USER_ASID);

    if (walk(d, 2, "A user write to a page backed by RAM above 4 GB", false, USER_DATA + 0x2468,
             LPAE_ACC_UW, &u) < 0)
        return -1;
    printf("   => %s: a 40-bit output address, which only LPAE can reach.\n\n",
           outcome(&u, ob, sizeof ob));

    if (walk(d, 3, "The kernel writes lowmem through its own TTBR0 tables", true,
             d->split.page_offset + 0x01234560, LPAE_ACC_PW, &r) < 0)
        return -1;
    printf("   => %s; the block size follows the alignment of the linear map.\n\n",
           outcome(&r, ob, sizeof ob));

    if (walk(d, 4, "copy_from_user without a strategy: the user VA from the kernel context", true,
             USER_DATA + 0x2468, LPAE_ACC_PR, &r) < 0)
        return -1;
    if (r.fault != LPAE_FAULT_NONE)
        printf("   => %s: with TTBR0 holding the kernel's tables the user's page is not\n"
               "      mapped at all. The kernel must pin and kmap it, or switch TTBR0 back.\n\n",
               outcome(&r, ob, sizeof ob));
    else
        printf("   => %s, not the user's PA 0x%010" PRIx64 ":\n"
               "      the kernel's TTBR0 maps the same VA to lowmem. The kernel must pin and\n"
               "      kmap the user page, or switch TTBR0 back for the copy.\n\n",
               outcome(&r, ob, sizeof ob), u.pa);

    if (walk(d, 5, "Kernel code through TTBR1: the walk starts at level 2 (T1SZ=4)", false,
             KERNEL_VA + 0x208000, LPAE_ACC_PX, &r) < 0)
        return -1;
    printf("   => %s; a global 2 MB block, the same in every context.\n\n",
           outcome(&r, ob, sizeof ob));

    if (walk(d, 6, "User mode reads kernel text", false, KERNEL_VA + 0x208000, LPAE_ACC_UR, &r) < 0)
        return -1;
    printf("   => %s: AP[2:1] gives PL0 no access.\n\n", outcome(&r, ob, sizeof ob));

    if (walk(d, 7, "A kmap_atomic slot in the fixmap, mapping a highmem page", true,
             FIXMAP_KMAP0 + 0x80, LPAE_ACC_PW, &r) < 0)
        return -1;
    printf("   => %s (the page at 0x%010" PRIx64 ").\n\n", outcome(&r, ob, sizeof ob),
           d->kmap_page_pa);

    if (walk(d, 8, "The guard page below a vmalloc area", true, VMALLOC_AREA - 0x800, LPAE_ACC_PR,
             &r) < 0)
        return -1;
    printf("   => %s: an invalid level-3 descriptor.\n\n", outcome(&r, ob, sizeof ob));

    if (walk(d, 9, "Unmapped kernel space: no level-2 table entry", true, 0xF8000000u, LPAE_ACC_PR,
             &r) < 0)
        return -1;
    printf("   => %s. VMSPLIT_4G_4G has no gap between the regions:\n"
           "      T0SZ=0 gives TTBR0 every VA below 0x%08" PRIx32
           ", so faults come from the tables.\n",
           outcome(&r, ob, sizeof ob), d->split.ttbr1_base);
    return 0;
}

int lpaesim_cmd_demo(int argc, char **argv)
{
    struct demo d = {0};
    int status = 1;

    if (argc > 1) {
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
            printf("usage: lpaesim demo\n\nWalks a built-in VMSPLIT_4G_4G layout (user pages "
                   "and kernel lowmem in TTBR0\nunder separate ASIDs, kernel image, vmalloc, "
                   "fixmap and vectors in TTBR1)\nand explains each walk.\n");
            return 0;
        }
        fprintf(stderr, "lpaesim demo: unexpected argument (try 'lpaesim demo --help')\n");
        return 2;
    }
    d.xcap = 2048;
    d.xbuf = malloc(d.xcap);
    if (!d.xbuf) {
        fail("starting", LPAE_ENOMEM);
    } else if (build(&d) == 0 && run(&d) == 0) {
        status = fflush(stdout) == 0 ? 0 : 1;
    }
    free(d.xbuf);
    lpae_pgtable_destroy(d.user);
    lpae_pgtable_destroy(d.kern0);
    lpae_pgtable_destroy(d.ttbr1);
    lpae_phys_destroy(d.phys);
    return status;
}
