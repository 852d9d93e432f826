/* SPDX-License-Identifier: MIT */
/* lpaesim layout: place ELF images in a split's layout and show where each
 * segment lands, the granules used and the table pages consumed. */
#include <errno.h>
#include <inttypes.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "lpae/elf.h"
#include "lpae/err.h"
#include "lpae/layout.h"
#include "lpae/mm.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/split.h"

#define RAM_BASE UINT64_C(0x80000000) /* vexpress-style DRAM base (an assumption) */

static void layout_usage(FILE *f)
{
    fprintf(
        f,
        "usage: lpaesim layout [--split NAME] [--kernel|--user|--module]\n"
        "                      [--kernel-base VA] [--dyn-base VA] [--module-base VA]\n"
        "                      [--no-init] [--4k] [--ram MB] [--mem-cap SIZE] FILE...\n"
        "\n"
        "Loads each ARM ELF32 FILE into simulated memory for the split (default\n"
        "VMSPLIT_3G): vmlinux images (ET_EXEC defining start_kernel or linked outside\n"
        "user space) into the kernel's tables at PHYS_OFFSET + TEXT_OFFSET, programs and\n"
        "shared objects (ET_EXEC, ET_DYN) into one process as exec maps them, modules\n"
        "(ET_REL) into the modules area one after another. Prints, per segment, the\n"
        "region it lands in (TTBR0 user, TTBR0/TTBR1 lowmem, TTBR1 kernel, modules,\n"
        "vmalloc, fixmap), its permissions, the leaves used (1G/2M/4K) and the table\n"
        "pages each load consumed. A file that is not a valid ARM ELF32 image, or a\n"
        "segment that does not fit the split, is reported on one line (exit status 1).\n"
        "\n"
        "  --split NAME       VMSPLIT_3G, VMSPLIT_2G, VMSPLIT_1G, VMSPLIT_4G_4G or t0sz=A,t1sz=B\n"
        "  --kernel/--user/--module  force the role of every FILE (default: from the file)\n"
        "  --kernel-base VA   move kernel images so their lowest page is at VA\n"
        "                     (e.g. 0xF1008000: kernel in vmalloc space)\n"
        "  --dyn-base VA      load base of ET_DYN files (default TASK_SIZE / 3 * 2)\n"
        "  --module-base VA   first module VA (default MODULES_VADDR)\n"
        "  --no-init          leave out module init sections\n"
        "  --4k               map kernel images with 4 KB pages only\n"
        "  --ram MB           simulated RAM at 0x80000000 (default 1024)\n"
        "  --mem-cap SIZE     host memory the simulated RAM may use, bytes with an optional\n"
        "                     K, M or G (default 1G, 0 = no cap): images needing more fail\n"
        "                     on one line, exit status 1\n");
}

static int parse_va(const char *opt, const char *s, lpae_va_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > UINT32_MAX) {
        fprintf(stderr, "lpaesim layout: %s: expected a 32-bit address, got '%s'\n", opt, s);
        return -1;
    }
    *out = (lpae_va_t)v;
    return 0;
}

static const char *type_str(unsigned t)
{
    return t == ET_EXEC ? "ET_EXEC" : t == ET_DYN ? "ET_DYN" : t == ET_REL ? "ET_REL" : "?";
}

static const char *role_str(lpae_elf_role r)
{
    return r == LPAE_ELF_ROLE_KERNEL   ? "kernel image"
           : r == LPAE_ELF_ROLE_MODULE ? "module"
                                       : "user program";
}

static const char *ap_str(unsigned ap)
{
    switch (ap) {
    case LPAE_AP_PL1_RW:
        return "PL1 RW";
    case LPAE_AP_RW:
        return "RW    ";
    case LPAE_AP_PL1_RO:
        return "PL1 RO";
    default:
        return "RO    ";
    }
}

static void print_image(const lpae_elf *elf, const lpae_elf_report *r)
{
    printf("%s (%s, %s)\n", lpae_elf_name(elf), type_str(lpae_elf_type(elf)),
           role_str(lpae_elf_role_of(elf)));
    if (lpae_elf_type(elf) != ET_REL) {
        lpae_elf_seg g0;
        char sym[128];
        if (lpae_elf_seg_get(elf, 0, &g0) == 0) {
            lpae_va_t entry = lpae_elf_entry(elf) + (g0.va - g0.link_va);
            if (lpae_elf_symbolize(elf, entry, sym, sizeof sym) >= 0)
                printf("  entry 0x%08x (%s)\n", (unsigned)entry, sym);
            else
                printf("  entry 0x%08x\n", (unsigned)entry);
        }
    }
    printf("  %-14s %-21s %10s %4s %-14s %-12s %-6s %2s %2s %3s %3s %5s\n", "segment", "VA range",
           "size", "perm", "region", "PA", "AP", "XN", "nG", "1G", "2M", "4K");
    for (size_t i = 0; i < lpae_elf_seg_count(elf); i++) {
        lpae_elf_seg g;
        char where[32], perm[4];
        if (lpae_elf_seg_get(elf, i, &g) != 0)
            continue;
        perm[0] = g.flags & PF_R ? 'r' : '-';
        perm[1] = g.flags & PF_W ? 'w' : '-';
        perm[2] = g.flags & PF_X ? 'x' : '-';
        perm[3] = '\0';
        snprintf(where, sizeof where, "%s %s", g.sel == LPAE_SEL_TTBR1 ? "TTBR1" : "TTBR0",
                 lpae_vkind_name((lpae_vkind)g.region));
        if (!g.mapped) {
            printf("  %-14s 0x%08x-0x%08x 0x%08x %4s %-14s (no access: not mapped)\n", g.name,
                   (unsigned)g.va, (unsigned)(g.va + g.memsz - 1), (unsigned)g.memsz, perm, where);
            continue;
        }
        printf("  %-14s 0x%08x-0x%08x 0x%08x %4s %-14s 0x%010llx %s %2d %2d %3u %3u %5u\n", g.name,
               (unsigned)g.va, (unsigned)(g.va + g.memsz - 1), (unsigned)g.memsz, perm, where,
               (unsigned long long)g.pa, ap_str(g.prot.ap), g.prot.xn, g.prot.ng,
               (unsigned)g.granules[1], (unsigned)g.granules[2], (unsigned)g.granules[3]);
    }
    printf("  leaves: %llu x 1G, %llu x 2M, %llu x 4K; table pages consumed: TTBR0 +%llu, "
           "TTBR1 +%llu; RAM %llu KB; %llu bytes from the file\n",
           (unsigned long long)r->leaves[1], (unsigned long long)r->leaves[2],
           (unsigned long long)r->leaves[3], (unsigned long long)r->table_pages[0],
           (unsigned long long)r->table_pages[1], (unsigned long long)(r->ram_bytes >> 10),
           (unsigned long long)r->file_bytes);
}

struct layout_machine {
    lpae_phys *phys;
    uint64_t kernel_window; /* the first bytes of RAM, reserved for kernel images */
    lpae_mmsys *sys;        /* user images go into a process (lpae_mm), as exec does */
    lpae_mm *proc;
    lpae_pgtable *kern0; /* the kernel's TTBR0 tables (lowmem under 4G/4G, modules under 3G) */
    lpae_pgtable *kern1; /* TTBR1 */
};

static void machine_free(struct layout_machine *m)
{
    lpae_mm_destroy(m->proc);
    lpae_mmsys_destroy(m->sys);
    lpae_pgtable_destroy(m->kern0);
    lpae_pgtable_destroy(m->kern1);
    lpae_phys_destroy(m->phys);
}

static int machine_init(struct layout_machine *m, const lpae_layout *lay, uint64_t ram_mb,
                        uint64_t mem_cap)
{
    lpae_ram_range r = {RAM_BASE, ram_mb << 20};
    lpae_phys_config pc = {&r, 1, mem_cap};
    lpae_pgtable_config c;
    lpae_mmsys_config sc = {0}; /* every field, user_lowmem_first included */
    int rc;

    memset(m, 0, sizeof *m);
    rc = lpae_phys_create(&pc, &m->phys);
    if (rc)
        return rc;
    /* As at boot, the kernel image's RAM (from PHYS_OFFSET) is taken before
     * anything else: reserve it; a kernel load takes its part back. */
    m->kernel_window =
        (ram_mb << 20) / 2 < (UINT64_C(32) << 20) ? (ram_mb << 20) / 2 : (UINT64_C(32) << 20);
    rc = lpae_phys_reserve(m->phys, RAM_BASE, m->kernel_window);
    memset(&c, 0, sizeof c);
    c.phys = m->phys;
    c.sel = LPAE_SEL_TTBR0;
    c.tsz = lay->split.t0sz;
    if (!rc)
        rc = lpae_pgtable_create(&c, &m->kern0);
    c.sel = LPAE_SEL_TTBR1;
    c.tsz = lay->split.t1sz;
    if (!rc)
        rc = lpae_pgtable_create(&c, &m->kern1);
    memset(&sc, 0, sizeof sc);
    sc.phys = m->phys;
    sc.layout = lay;
    if (!rc)
        rc = lpae_mmsys_create(&sc, &m->sys);
    if (!rc)
        rc = lpae_mm_create(m->sys, &m->proc);
    if (rc)
        machine_free(m);
    return rc;
}

int lpaesim_cmd_layout(int argc, char **argv)
{
    const char *split_name = "VMSPLIT_3G";
    lpae_elf_opts base_opts;
    lpae_va_t kernel_base = 0, dyn_base = 0, module_base = 0;
    uint64_t ram_mb = 1024, mem_cap = UINT64_C(1) << 30;
    lpae_split sp;
    lpae_layout lay;
    lpae_layout_config lc;
    lpae_ram_range ram;
    struct layout_machine m;
    lpae_elf **elfs;
    lpae_elf_report *reps;
    int nfiles = 0, first = 0, rc, status = 0;

    memset(&base_opts, 0, sizeof base_opts);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            layout_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--split") && i + 1 < argc) {
            split_name = argv[++i];
        } else if (!strcmp(a, "--kernel")) {
            base_opts.role = LPAE_ELF_ROLE_KERNEL;
        } else if (!strcmp(a, "--user")) {
            base_opts.role = LPAE_ELF_ROLE_USER;
        } else if (!strcmp(a, "--module")) {
            base_opts.role = LPAE_ELF_ROLE_MODULE;
        } else if (!strcmp(a, "--kernel-base") && i + 1 < argc) {
            if (parse_va(a, argv[++i], &kernel_base))
                return 2;
        } else if (!strcmp(a, "--dyn-base") && i + 1 < argc) {
            if (parse_va(a, argv[++i], &dyn_base))
                return 2;
        } else if (!strcmp(a, "--module-base") && i + 1 < argc) {
            if (parse_va(a, argv[++i], &module_base))
                return 2;
        } else if (!strcmp(a, "--no-init")) {
            base_opts.flags |= LPAE_ELF_NO_INIT;
        } else if (!strcmp(a, "--4k")) {
            base_opts.flags |= LPAE_ELF_FORCE_4K;
        } else if (!strcmp(a, "--ram") && i + 1 < argc) {
            char *end;
            unsigned long long v;
            errno = 0;
            v = strtoull(argv[++i], &end, 0);
            if (errno || *end || v < 1 || v > 1024 * 1024) {
                fprintf(stderr, "lpaesim layout: --ram: expected megabytes 1..1048576, got '%s'\n",
                        argv[i]);
                return 2;
            }
            ram_mb = v;
        } else if (!strcmp(a, "--mem-cap") && i + 1 < argc) {
            char *end;
            unsigned long long v;
            errno = 0;
            unsigned shift = 0;
            v = strtoull(argv[++i], &end, 10);
            if (*end == 'K' || *end == 'k')
                shift = 10, end++;
            else if (*end == 'M' || *end == 'm')
                shift = 20, end++;
            else if (*end == 'G' || *end == 'g')
                shift = 30, end++;
            if (errno || end == argv[i] || *end || v > (UINT64_C(1) << 40) >> shift) {
                fprintf(stderr,
                        "lpaesim layout: --mem-cap: expected bytes with an optional K, M or G "
                        "(at most 1T), got '%s'\n",
                        argv[i]);
                return 2;
            }
            mem_cap = (uint64_t)v << shift;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "lpaesim layout: unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        } else {
            if (!first)
                first = i;
            nfiles++;
            /* files and options may be mixed; keep file order */
        }
    }
    if (!nfiles) {
        fprintf(stderr, "lpaesim layout: no ELF file given (try --help)\n");
        return 2;
    }
    rc = lpae_split_find(split_name, &sp);
    if (rc) {
        fprintf(stderr, "lpaesim layout: --split: unknown split '%s' (%s)\n", split_name,
                lpae_strerror(rc));
        return 2;
    }
    ram.base = RAM_BASE;
    ram.size = ram_mb << 20;
    memset(&lc, 0, sizeof lc);
    lc.split = sp;
    lc.ram = &ram;
    lc.nram = 1;
    rc = lpae_layout_build(&lc, &lay);
    if (rc) {
        fprintf(stderr, "lpaesim layout: --split %s: Linux has no layout for this split (%s)\n",
                sp.name, lpae_strerror(rc));
        return 2;
    }
    rc = machine_init(&m, &lay, ram_mb, mem_cap);
    if (rc) {
        fprintf(stderr, "lpaesim layout: cannot set up simulated memory: %s\n", lpae_strerror(rc));
        return 1;
    }
    elfs = calloc((size_t)nfiles, sizeof(lpae_elf *));
    reps = calloc((size_t)nfiles, sizeof *reps);
    if (!elfs || !reps) {
        fprintf(stderr, "lpaesim layout: out of memory\n");
        free(elfs);
        free(reps);
        machine_free(&m);
        return 1;
    }
    /* Load everything first so that an error is the only output. */
    {
        lpae_va_t next_module = module_base;
        int k = 0;
        for (int i = first; i < argc && !status; i++) {
            const char *a = argv[i];
            lpae_elf_diag d;
            lpae_elf_opts o = base_opts;
            lpae_elf_target t;
            lpae_elf_role role;
            bool dyn;
            if (a[0] == '-' && a[1]) {
                if (strcmp(a, "--kernel") != 0 && strcmp(a, "--user") != 0 &&
                    strcmp(a, "--module") != 0 && strcmp(a, "--no-init") != 0 &&
                    strcmp(a, "--4k") != 0)
                    i++; /* skip the option's value */
                continue;
            }
            rc = lpae_elf_open_file(a, &elfs[k], &d);
            if (rc) {
                fprintf(stderr, "lpaesim layout: %s\n", d.msg);
                status = 1;
                break;
            }
            /* Decide the role (to pick trees and bases) with a dry placement. */
            rc = lpae_elf_place(elfs[k], &lay, &o, &d);
            role = rc ? o.role : lpae_elf_role_of(elfs[k]);
            dyn = lpae_elf_type(elfs[k]) == ET_DYN;
            if (role == LPAE_ELF_ROLE_KERNEL ||
                (rc && lpae_elf_type(elfs[k]) == ET_EXEC && o.role == LPAE_ELF_ROLE_AUTO))
                o.base = kernel_base;
            else if (role == LPAE_ELF_ROLE_MODULE || (rc && lpae_elf_type(elfs[k]) == ET_REL))
                o.base = next_module;
            else if (dyn)
                o.base = dyn_base;
            memset(&t, 0, sizeof t);
            t.phys = m.phys;
            t.ttbr0 = m.kern0;
            t.ttbr1 = m.kern1;
            /* A kernel whose image starts in the layout's kernel-image region sits
             * where Linux loads it: PHYS_OFFSET + (VA - image region start), i.e.
             * PHYS_OFFSET + TEXT_OFFSET for a standard image. */
            if (lpae_elf_type(elfs[k]) == ET_EXEC && lpae_elf_place(elfs[k], &lay, &o, NULL) == 0 &&
                lpae_elf_role_of(elfs[k]) == LPAE_ELF_ROLE_KERNEL) {
                lpae_elf_seg g0, gn;
                size_t n = lpae_elf_seg_count(elfs[k]);
                if (lpae_elf_seg_get(elfs[k], 0, &g0) == 0 &&
                    lpae_elf_seg_get(elfs[k], n - 1, &gn) == 0 && g0.va >= lay.kernel_start &&
                    g0.va < lay.kernel_end) {
                    uint64_t lo = g0.va & ~UINT32_C(0xFFF);
                    uint64_t hi = ((uint64_t)gn.va + gn.memsz + 0xFFF) & ~UINT64_C(0xFFF);
                    uint64_t end;
                    o.flags |= LPAE_ELF_FIXED_PA;
                    o.pa = lay.phys_offset + (lo - lay.kernel_start);
                    /* hand the image's part of the boot reservation back */
                    end = o.pa + (hi - lo) < RAM_BASE + m.kernel_window
                              ? o.pa + (hi - lo)
                              : RAM_BASE + m.kernel_window;
                    if (o.pa < end)
                        lpae_phys_free(m.phys, o.pa, end - o.pa);
                }
            }
            if (lpae_elf_type(elfs[k]) == ET_DYN ||
                (role == LPAE_ELF_ROLE_USER && lpae_elf_type(elfs[k]) == ET_EXEC))
                rc = lpae_elf_load_mm(elfs[k], &lay, &o, m.phys, m.proc, &reps[k], &d);
            else
                rc = lpae_elf_load(elfs[k], &lay, &o, &t, &reps[k], &d);
            if (rc == LPAE_ENOMEM && mem_cap) {
                fprintf(stderr,
                        "lpaesim layout: %s: host memory cap of %" PRIu64
                        " bytes reached (expected a larger --mem-cap, or 0 for none)\n",
                        a, mem_cap);
                status = 1;
                break;
            }
            if (rc) {
                fprintf(stderr, "lpaesim layout: %s\n", d.msg);
                status = 1;
                break;
            }
            if (lpae_elf_role_of(elfs[k]) == LPAE_ELF_ROLE_MODULE)
                next_module = reps[k].next_va;
            k++;
        }
        nfiles = k;
    }
    if (!status) {
        printf("split %s: TTBCR.T0SZ=%u T1SZ=%u, TTBR1 from 0x%08x, PAGE_OFFSET 0x%08x%s\n",
               sp.name, sp.t0sz, sp.t1sz, (unsigned)sp.ttbr1_base, (unsigned)sp.page_offset,
               sp.four_g ? ", kernel lowmem in TTBR0 under its own ASID" : "");
        printf("simulated RAM 0x%010llx-0x%010llx (%llu MB); TASK_SIZE 0x%08x, modules "
               "0x%08x-0x%08x\n\n",
               (unsigned long long)RAM_BASE, (unsigned long long)(RAM_BASE + (ram_mb << 20) - 1),
               (unsigned long long)ram_mb, (unsigned)lay.task_size, (unsigned)lay.modules_vaddr,
               (unsigned)(lay.modules_end - 1));
        for (int k = 0; k < nfiles; k++) {
            print_image(elfs[k], &reps[k]);
            printf("\n");
        }
        {
            lpae_pgtable_stats su, s0, s1;
            lpae_pgtable_stats_get(lpae_mm_pgtable(m.proc), &su);
            lpae_pgtable_stats_get(m.kern0, &s0);
            lpae_pgtable_stats_get(m.kern1, &s1);
            printf("table pages held (roots included): process TTBR0 %llu, kernel TTBR0 %llu, "
                   "kernel TTBR1 %llu\n",
                   (unsigned long long)su.table_pages, (unsigned long long)s0.table_pages,
                   (unsigned long long)s1.table_pages);
        }
    }
    for (int k = 0; k < nfiles + (status ? 1 : 0); k++)
        lpae_elf_close(elfs[k]);
    free(elfs);
    free(reps);
    machine_free(&m);
    return status;
}
