/* SPDX-License-Identifier: MIT */
/* Loading user images into an lpae_mm process address space, the way
 * binfmt_elf maps PT_LOAD segments (one VMA each, later ones MAP_FIXED). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

#define PAGE UINT64_C(4096)
#define PG_DOWN(x) ((uint64_t)(x) & ~(PAGE - 1))
#define PG_UP(x) (((uint64_t)(x) + PAGE - 1) & ~(PAGE - 1))

/* PA of @p va in @p mm's tables (4 KB user pages). */
static int mm_pa(lpae_mm *mm, lpae_va_t va, lpae_pa_t *pa)
{
    lpae_pte_ref ref;
    uint64_t size;
    int rc = lpae_pgtable_lookup(lpae_mm_pgtable(mm), va, &ref);
    if (rc)
        return rc;
    size = UINT64_C(1) << LPAE_LEVEL_SHIFT(ref.level);
    *pa = (ref.desc & LPAE_DESC_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
    return 0;
}

/* Copy @p n bytes to user VA @p va page by page through the mm's tables. */
static int copy_to_mm(lpae_mm *mm, lpae_phys *phys, lpae_va_t va, const char *src, size_t n)
{
    while (n) {
        size_t chunk = (size_t)(PAGE - (va & (PAGE - 1)));
        lpae_pa_t pa;
        int rc;
        if (chunk > n)
            chunk = n;
        rc = mm_pa(mm, va, &pa);
        if (!rc)
            rc = lpae_phys_write(phys, pa, src, chunk);
        if (rc)
            return rc;
        va += (lpae_va_t)chunk;
        src += chunk;
        n -= chunk;
    }
    return 0;
}

static uint32_t vm_flags(uint32_t pf)
{
    return ((pf & PF_R) ? LPAE_VM_READ : 0) | ((pf & PF_W) ? LPAE_VM_WRITE : 0) |
           ((pf & PF_X) ? LPAE_VM_EXEC : 0);
}

int lpae_elf_load_mm(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                     lpae_phys *phys, lpae_mm *mm, lpae_elf_report *rep, lpae_elf_diag *diag)
{
    lpae_elf_opts o;
    lpae_mm_stats before, after;
    size_t rawlen = 0;
    const char *raw;
    uint64_t prev_end = 0;
    int rc;

    elf_diag_ok(diag);
    if (!elf || !lay || !phys || !mm)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "NULL argument");
    if (elf->loaded)
        return elf_fail(diag, LPAE_ESTATE, LPAE_ELF_P_ARG, -1, "%s: already loaded", elf->name);
    memset(&o, 0, sizeof o);
    if (opts)
        o = *opts;
    if (o.role != LPAE_ELF_ROLE_AUTO && o.role != LPAE_ELF_ROLE_USER)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1,
                        "%s: only user images load into a process address space", elf->name);
    if (o.flags & (LPAE_ELF_FIXED_PA | LPAE_ELF_REPLACE))
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1,
                        "%s: lpae_mm allocates the frames; FIXED_PA and REPLACE do not apply",
                        elf->name);
    o.role = LPAE_ELF_ROLE_USER;
    rc = lpae_elf_place(elf, lay, &o, diag);
    if (rc)
        return rc;
    if (lpae_mm_stats_get(mm, &before) != 0)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "%s: not a process mm", elf->name);
    memset(&elf->rep, 0, sizeof elf->rep);
    memset(&elf->tgt, 0, sizeof elf->tgt);
    elf->tgt.phys = phys;
    elf->tgt.ttbr0 = lpae_mm_pgtable(mm);
    elf->mm = mm;
    elf->nruns = elf->nallocs = 0;

    /* One VMA per segment, in address order; populate each. */
    for (size_t i = 0; i < elf->nsegs && !rc; i++) {
        lpae_elf_seg *s = &elf->segs[i];
        uint64_t lo = PG_DOWN(s->va), hi = PG_UP((uint64_t)s->va + s->memsz);
        memset(s->granules, 0, sizeof s->granules);
        if (!s->mapped)
            continue;
        if (lo < prev_end) {
            /* MAP_FIXED over the previous segment's last page */
            rc = lpae_mm_munmap(mm, (lpae_va_t)lo, prev_end - lo, NULL);
            if (rc) {
                rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)i,
                              "%s: unmapping the page segment %s shares: %s", elf->name, s->name,
                              lpae_strerror(rc));
                break;
            }
        }
        rc = lpae_mm_mmap(mm, (lpae_va_t)lo, hi - lo, vm_flags(s->flags));
        if (rc) {
            rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)i,
                          "%s: mmap of segment %s 0x%08llx-0x%08llx failed: %s", elf->name, s->name,
                          (unsigned long long)lo, (unsigned long long)(hi - 1), lpae_strerror(rc));
            break;
        }
        rc = elf_push_run(elf, (lpae_va_t)lo, (uint32_t)(hi - lo), LPAE_SEL_TTBR0);
        if (rc) {
            lpae_mm_munmap(mm, (lpae_va_t)lo, hi - lo, NULL);
            rc = elf_fail(diag, rc, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
            break;
        }
        rc = lpae_mm_populate(mm, (lpae_va_t)lo, hi - lo);
        if (rc)
            rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)i, "%s: populating segment %s: %s",
                          elf->name, s->name, lpae_strerror(rc));
        prev_end = hi;
    }
    /* File bytes, in address order (a shared page gets both segments' bytes). */
    raw = elf_rawfile(elf->e, &rawlen);
    for (size_t i = 0; i < elf->nsegs && !rc; i++) {
        const lpae_elf_seg *s = &elf->segs[i];
        if (!s->mapped || !s->filesz)
            continue;
        if (!raw || (uint64_t)s->file_off + s->filesz > rawlen) {
            rc = elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_DATA_EOF, (int)i,
                          "%s: segment %s bytes unreadable", elf->name, s->name);
            break;
        }
        rc = copy_to_mm(mm, phys, s->va, raw + s->file_off, s->filesz);
        if (rc)
            rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)i, "%s: writing segment %s: %s",
                          elf->name, s->name, lpae_strerror(rc));
        else
            elf->rep.file_bytes += s->filesz;
    }
    if (rc) {
        elf_undo(elf);
        elf->mm = NULL;
        return rc;
    }
    /* Leaves per segment (a shared page counts with the later segment), PAs. */
    for (size_t i = 0; i < elf->nsegs; i++) {
        lpae_elf_seg *s = &elf->segs[i];
        uint64_t lo = PG_DOWN(s->va), hi = PG_UP((uint64_t)s->va + s->memsz);
        if (!s->mapped)
            continue;
        for (size_t j = i + 1; j < elf->nsegs; j++)
            if (elf->segs[j].mapped && PG_DOWN(elf->segs[j].va) < hi) {
                hi = PG_DOWN(elf->segs[j].va);
                break;
            }
        if (hi > lo)
            elf_count_leaves(lpae_mm_pgtable(mm), (lpae_va_t)lo, hi - lo, s->granules);
        mm_pa(mm, s->va, &s->pa);
        for (int l = 1; l <= 3; l++)
            elf->rep.leaves[l] += s->granules[l];
    }
    lpae_mm_stats_get(mm, &after);
    elf->rep.nseg = elf->nsegs;
    elf->rep.va_lo = elf->img_lo;
    elf->rep.va_hi = elf->img_hi;
    elf->rep.table_pages[0] = after.table_pages - before.table_pages;
    elf->rep.ram_bytes = (after.pages - before.pages) * PAGE;
    elf->loaded = true;
    if (rep)
        *rep = elf->rep;
    return 0;
}
