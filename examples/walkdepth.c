/* SPDX-License-Identifier: MIT */
/*
 * walkdepth: how deep is a translation table walk under a given split?
 *
 * Builds a small kernel-style layout for one split (default VMSPLIT_4G_4G)
 * in simulated memory: a user page through TTBR0, 64 MB of kernel lowmem
 * linear map (through TTBR1, or, under 4G/4G, through a separate TTBR0 tree
 * tagged with the kernel's own ASID), and the vectors page at 0xFFFF0000
 * through TTBR1. It then walks a few VAs in the user and the kernel context
 * and prints, for each, the region, the start level, the number of
 * descriptor fetches and the 64-bit PAR.
 *
 * It uses only the installed public API (<lpae/...>), as a research tool
 * built against liblpae would.
 *
 *   walkdepth [SPLIT]      SPLIT: VMSPLIT_3G, VMSPLIT_2G, VMSPLIT_1G,
 *                          VMSPLIT_4G_4G (default) or t0sz=A,t1sz=B
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <lpae/err.h>
#include <lpae/pgtable.h>
#include <lpae/phys.h>
#include <lpae/regs.h>
#include <lpae/split.h>
#include <lpae/walk.h>

#define RAM_BASE UINT64_C(0x80000000)
#define RAM_SIZE UINT64_C(0x40000000)   /* 1 GB */
#define TABLES_HI UINT64_C(0x80400000)  /* table pages come from the first 4 MB */
#define LOWMEM_SIZE UINT64_C(0x4000000) /* 64 MB of linear map */
#define USER_VA UINT32_C(0x00010000)
#define VECTORS_VA UINT32_C(0xFFFF0000)
#define USER_ASID 1
#define KERNEL_ASID 0

struct layout {
    lpae_phys *phys;
    lpae_split split;
    lpae_pgtable *user;   /* TTBR0, user context */
    lpae_pgtable *lowmem; /* TTBR0 in kernel context under 4G/4G; else NULL */
    lpae_pgtable *ttbr1;  /* NULL when T1SZ = 0 leaves no TTBR1 region below 4 GB */
};

static int check(int err, const char *what)
{
    if (err < 0)
        fprintf(stderr, "walkdepth: %s: %s\n", what, lpae_strerror(err));
    return err;
}

static int new_tree(struct layout *l, lpae_ttbr_sel sel, unsigned tsz, lpae_pgtable **out)
{
    const lpae_pgtable_config cfg = {
        .phys = l->phys, .sel = sel, .tsz = tsz, .table_lo = RAM_BASE, .table_hi = TABLES_HI};
    return check(lpae_pgtable_create(&cfg, out), "creating a table tree");
}

static int build(struct layout *l)
{
    const lpae_ram_range ram = {RAM_BASE, RAM_SIZE};
    const lpae_phys_config pcfg = {.ranges = &ram, .nranges = 1};
    const lpae_prot user_rw = {
        .attrindx = 7, .ap = LPAE_AP_RW, .sh = 3, .af = true, .ng = true, .xn = true, .pxn = true};
    const lpae_prot kern_rw = {.attrindx = 7,
                               .ap = LPAE_AP_PL1_RW,
                               .sh = 3,
                               .af = true,
                               .ng = l->split.four_g,
                               .xn = true,
                               .pxn = true};
    const lpae_prot vectors = {.attrindx = 7, .ap = LPAE_AP_RO, .sh = 3, .af = true};
    lpae_pa_t user_page, vec_page;
    int err;

    if (check(lpae_phys_create(&pcfg, &l->phys), "creating physical memory") < 0)
        return -1;
    /* The frames the linear map covers beyond the table window are the
     * kernel's; user and vectors pages come from above them. */
    if (check(lpae_phys_reserve(l->phys, TABLES_HI, LOWMEM_SIZE - (TABLES_HI - RAM_BASE)),
              "reserving lowmem") < 0)
        return -1;
    if (new_tree(l, LPAE_SEL_TTBR0, l->split.t0sz, &l->user) < 0)
        return -1;
    if (l->split.t1sz != 0 || l->split.t0sz != 0)
        if (new_tree(l, LPAE_SEL_TTBR1, l->split.t1sz, &l->ttbr1) < 0)
            return -1;
    if (l->split.four_g && new_tree(l, LPAE_SEL_TTBR0, l->split.t0sz, &l->lowmem) < 0)
        return -1;

    err = lpae_phys_alloc_page(l->phys, RAM_BASE + LOWMEM_SIZE, RAM_BASE + RAM_SIZE, &user_page);
    if (check(err, "allocating the user page") < 0)
        return -1;
    err = lpae_phys_alloc_page(l->phys, RAM_BASE + LOWMEM_SIZE, RAM_BASE + RAM_SIZE, &vec_page);
    if (check(err, "allocating the vectors page") < 0)
        return -1;
    if (check(lpae_pgtable_map(l->user, USER_VA, user_page, LPAE_PAGE_SIZE, &user_rw, 0),
              "mapping the user page") < 0)
        return -1;

    /* Lowmem: in TTBR1 for the classic splits, in the kernel's TTBR0 tree for 4G/4G. */
    lpae_pgtable *lm = l->lowmem ? l->lowmem : l->ttbr1;
    if (!lm || l->split.page_offset < lpae_pgtable_region(lm)->base) {
        fprintf(stderr, "walkdepth: split %s puts PAGE_OFFSET outside the kernel's tree\n",
                l->split.name);
        return -1;
    }
    if (check(lpae_pgtable_map(lm, l->split.page_offset, RAM_BASE, LOWMEM_SIZE, &kern_rw, 0),
              "mapping lowmem") < 0)
        return -1;
    if (l->ttbr1 &&
        check(lpae_pgtable_map(l->ttbr1, VECTORS_VA, vec_page, LPAE_PAGE_SIZE, &vectors, 0),
              "mapping the vectors page") < 0)
        return -1;
    return 0;
}

static void probe(const lpae_regs *regs, const lpae_phys *phys, const char *ctx, lpae_va_t va,
                  unsigned access)
{
    lpae_walk_result r;
    if (check(lpae_walk(regs, phys, va, access, &r), "walk") < 0)
        return;
    printf("%-7s 0x%08" PRIx32 " %s  %-5s L%u  %u fetch%s  PAR 0x%016" PRIx64 "  %s\n", ctx, va,
           lpae_access_name(access),
           r.sel == LPAE_SEL_TTBR0   ? "TTBR0"
           : r.sel == LPAE_SEL_TTBR1 ? "TTBR1"
                                     : "gap",
           (unsigned)r.start_level, (unsigned)r.nfetch, r.nfetch == 1 ? "  " : "es",
           lpae_walk_par(&r), lpae_fault_name(r.fault));
}

int main(int argc, char **argv)
{
    struct layout l = {0};
    lpae_regs user, kern;
    int status = 1;

    if (argc > 2 || check(lpae_split_find(argc == 2 ? argv[1] : "VMSPLIT_4G_4G", &l.split),
                          "unknown split") < 0) {
        fprintf(stderr, "usage: walkdepth [VMSPLIT_3G|VMSPLIT_2G|VMSPLIT_1G|VMSPLIT_4G_4G]\n");
        return 2;
    }
    if (build(&l) < 0)
        goto out;

    lpae_regs_init(&user);
    if (check(lpae_regs_set_ttbcr(&user, lpae_split_ttbcr(&l.split, 0)), "TTBCR") < 0 ||
        check(lpae_regs_set_ttbr(&user, 0, lpae_pgtable_ttbr(l.user, USER_ASID)), "TTBR0") < 0)
        goto out;
    if (l.ttbr1 && check(lpae_regs_set_ttbr(&user, 1, lpae_pgtable_ttbr(l.ttbr1, 0)), "TTBR1") < 0)
        goto out;
    kern = user;
    if (l.lowmem &&
        check(lpae_regs_set_ttbr(&kern, 0, lpae_pgtable_ttbr(l.lowmem, KERNEL_ASID)), "TTBR0") < 0)
        goto out;

    printf("split %s: T0SZ=%u T1SZ=%u PAGE_OFFSET=0x%08" PRIx32 " TTBR1 from 0x%08" PRIx32 "\n",
           l.split.name, (unsigned)l.split.t0sz, (unsigned)l.split.t1sz, l.split.page_offset,
           l.split.ttbr1_base);
    probe(&user, l.phys, "user", USER_VA, LPAE_ACC_UW);
    probe(&user, l.phys, "user", l.split.page_offset + 0x1000, LPAE_ACC_PR);
    probe(&user, l.phys, "user", VECTORS_VA, LPAE_ACC_UX);
    probe(&kern, l.phys, "kernel", USER_VA, LPAE_ACC_PR);
    probe(&kern, l.phys, "kernel", l.split.page_offset + 0x1000, LPAE_ACC_PW);
    probe(&kern, l.phys, "kernel", VECTORS_VA, LPAE_ACC_PX);
    status = 0;
out:
    lpae_pgtable_destroy(l.user);
    lpae_pgtable_destroy(l.lowmem);
    lpae_pgtable_destroy(l.ttbr1);
    lpae_phys_destroy(l.phys);
    return status;
}
