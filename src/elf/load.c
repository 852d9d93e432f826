/* SPDX-License-Identifier: MIT */
/* Loading placed images: RAM, file bytes, translation-table entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

#define PAGE UINT64_C(4096)
#define PG_DOWN(x) ((uint64_t)(x) & ~(PAGE - 1))
#define PG_UP(x) (((uint64_t)(x) + PAGE - 1) & ~(PAGE - 1))

/* A physically contiguous span of the image: [lo, hi) VA pages at pa. */
struct cluster {
    uint64_t lo, hi;
    lpae_pa_t pa;
    size_t first, last; /* segment indices covered (inclusive) */
};

int elf_push_run(lpae_elf *elf, lpae_va_t va, uint32_t size, lpae_ttbr_sel sel)
{
    if (elf->nruns == elf->cap_runs) {
        size_t n = elf->cap_runs ? elf->cap_runs * 2 : 8;
        struct elf_run *p = realloc(elf->runs, n * sizeof *p);
        if (!p)
            return LPAE_ENOMEM;
        elf->runs = p;
        elf->cap_runs = n;
    }
    elf->runs[elf->nruns].va = va;
    elf->runs[elf->nruns].size = size;
    elf->runs[elf->nruns].sel = (uint8_t)sel;
    elf->nruns++;
    return 0;
}

static int push_alloc(lpae_elf *elf, lpae_pa_t pa, uint64_t size)
{
    if (elf->nallocs == elf->cap_allocs) {
        size_t n = elf->cap_allocs ? elf->cap_allocs * 2 : 4;
        struct elf_alloc *p = realloc(elf->allocs, n * sizeof *p);
        if (!p)
            return LPAE_ENOMEM;
        elf->allocs = p;
        elf->cap_allocs = n;
    }
    elf->allocs[elf->nallocs].pa = pa;
    elf->allocs[elf->nallocs].size = size;
    elf->nallocs++;
    return 0;
}

static lpae_pgtable *tree_for(const lpae_elf_target *t, unsigned sel)
{
    return sel == LPAE_SEL_TTBR0 ? t->ttbr0 : sel == LPAE_SEL_TTBR1 ? t->ttbr1 : NULL;
}

/* Undo everything recorded; returns the first error. */
int elf_undo(lpae_elf *elf)
{
    int first = 0;

    for (size_t i = elf->nruns; i-- > 0;) {
        const struct elf_run *r = &elf->runs[i];
        lpae_pgtable *pt = tree_for(&elf->tgt, r->sel);
        int rc = elf->mm ? lpae_mm_munmap(elf->mm, r->va, r->size, NULL)
                 : pt    ? lpae_pgtable_unmap(pt, r->va, r->size)
                         : LPAE_EINVAL;
        if (rc && !first)
            first = rc;
    }
    for (size_t i = elf->nallocs; i-- > 0;) {
        int rc = lpae_phys_free(elf->tgt.phys, elf->allocs[i].pa, elf->allocs[i].size);
        if (rc && !first)
            first = rc;
    }
    elf->nruns = elf->nallocs = 0;
    return first;
}

/* Physical frames for one cluster, aligned so that PA and VA agree modulo
 * the largest block that fits in the span (1 GB, 2 MB, else 4 KB). */
static int cluster_alloc(lpae_elf *elf, struct cluster *c, bool force4k, lpae_elf_diag *diag)
{
    static const uint64_t gran[3] = {UINT64_C(1) << 30, UINT64_C(1) << 21, PAGE};
    lpae_pa_t lo = elf->tgt.ram_lo, hi = elf->tgt.ram_hi ? elf->tgt.ram_hi : UINT64_MAX;
    uint64_t span = c->hi - c->lo;
    int rc = LPAE_ENOSPC;

    for (int g = 0; g < 3; g++) {
        uint64_t G = gran[g], lead = c->lo & (G - 1);
        lpae_pa_t pa;
        if (G > PAGE && (force4k || ((c->lo + G - 1) & ~(G - 1)) + G > c->hi))
            continue;
        rc = lpae_phys_alloc_contig(elf->tgt.phys, lead + span, G, lo, hi, &pa);
        if (rc == LPAE_ENOSPC && G > PAGE)
            continue;
        if (rc)
            break;
        if (lead) {
            rc = lpae_phys_free(elf->tgt.phys, pa, lead);
            if (rc) {
                lpae_phys_free(elf->tgt.phys, pa + lead, span);
                break;
            }
        }
        c->pa = pa + lead;
        rc = push_alloc(elf, c->pa, span);
        if (rc)
            lpae_phys_free(elf->tgt.phys, c->pa, span);
        return rc ? elf_fail(diag, rc, LPAE_ELF_P_MEMORY, -1, "%s: out of memory", elf->name) : 0;
    }
    return elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)c->first,
                    "%s: no %llu KB of simulated RAM for segment %s at 0x%08llx: %s", elf->name,
                    (unsigned long long)(span >> 10), elf->segs[c->first].name,
                    (unsigned long long)c->lo, lpae_strerror(rc));
}

/* Zero-fill a reserved (not zeroed) span. */
static int zero_span(lpae_phys *phys, lpae_pa_t pa, uint64_t size)
{
    static const unsigned char zeros[16384];
    while (size) {
        size_t n = size < sizeof zeros ? (size_t)size : sizeof zeros;
        int rc = lpae_phys_write(phys, pa, zeros, n);
        if (rc)
            return rc;
        pa += n;
        size -= n;
    }
    return 0;
}

/* Copy the file bytes of every piece. */
static int copy_bytes(lpae_elf *elf, const struct cluster *cl, size_t ncl, lpae_elf_diag *diag)
{
    size_t rawlen = 0;
    const char *raw = elf_rawfile(elf->e, &rawlen);

    for (size_t k = 0; k < elf->npieces; k++) {
        const struct elf_piece *p = &elf->pieces[k];
        const lpae_elf_seg *s = &elf->segs[p->seg];
        const struct cluster *c = NULL;
        const void *src;
        size_t n;
        lpae_pa_t pa;
        int rc;

        for (size_t j = 0; j < ncl && !c; j++)
            if (p->seg >= cl[j].first && p->seg <= cl[j].last)
                c = &cl[j];
        if (!c)
            return elf_fail(diag, LPAE_ESTATE, LPAE_ELF_P_ARG, (int)p->seg,
                            "%s: internal: segment %s has no memory", elf->name, s->name);
        pa = c->pa + ((uint64_t)s->va + p->off - c->lo);
        if (p->shndx) {
            Elf_Data *d;
            if (p->nobits || !p->size)
                continue;
            d = elf_getdata(elf_getscn(elf->e, p->shndx), NULL);
            if (!d || !d->d_buf)
                return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, (int)p->seg,
                                "%s: section '%s' unreadable: %s", elf->name,
                                elf_section_name(elf, p->shndx), elf_errmsg(-1));
            src = d->d_buf;
            n = d->d_size < p->size ? d->d_size : p->size;
        } else {
            if (!s->filesz)
                continue;
            if (!raw || (uint64_t)s->file_off + s->filesz > rawlen)
                return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_DATA_EOF, (int)p->seg,
                                "%s: segment %s bytes unreadable", elf->name, s->name);
            src = raw + s->file_off;
            n = s->filesz;
        }
        rc = lpae_phys_write(elf->tgt.phys, pa, src, n);
        if (rc)
            return elf_fail(diag, rc, LPAE_ELF_P_MEMORY, (int)p->seg,
                            "%s: writing segment %s to PA 0x%010llx: %s", elf->name, s->name,
                            (unsigned long long)pa, lpae_strerror(rc));
        elf->rep.file_bytes += n;
    }
    return 0;
}

/* Count the leaves covering [va, va+size) into g[1..3]. */
void elf_count_leaves(const lpae_pgtable *pt, lpae_va_t va, uint64_t size, uint32_t *g)
{
    uint64_t a = va, end = (uint64_t)va + size;
    while (a < end) {
        lpae_pte_ref ref;
        uint64_t step = PAGE;
        if (lpae_pgtable_lookup(pt, (lpae_va_t)a, &ref) == 0 && ref.level >= 1 && ref.level <= 3) {
            step = UINT64_C(1) << LPAE_LEVEL_SHIFT(ref.level);
            g[ref.level]++;
        }
        a = (a & ~(step - 1)) + step;
    }
}

/* Map one cluster: page intervals between segment boundaries, each with
 * the attributes of the segment that owns it (see below), mapped as runs
 * of equal attributes and owner. */
static int map_cluster(lpae_elf *elf, const struct cluster *c, unsigned mflags, lpae_elf_diag *diag)
{
    size_t n = c->last - c->first + 1, nb = 0;
    uint64_t *b = malloc(2 * n * sizeof *b);
    uint64_t run_lo = 0, run_hi = 0;
    int run_owner = -1;
    bool user = elf->role == LPAE_ELF_ROLE_USER;
    lpae_prot run_prot;
    int rc = 0;

    if (!b)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
    memset(&run_prot, 0, sizeof run_prot);
    for (size_t i = c->first; i <= c->last; i++) {
        b[nb++] = PG_DOWN(elf->segs[i].va);
        b[nb++] = PG_UP((uint64_t)elf->segs[i].va + elf->segs[i].memsz);
    }
    /* Sort the (few) boundaries. */
    for (size_t i = 1; i < nb; i++)
        for (size_t j = i; j > 0 && b[j - 1] > b[j]; j--) {
            uint64_t t = b[j];
            b[j] = b[j - 1];
            b[j - 1] = t;
        }
    for (size_t k = 0; k + 1 <= nb; k++) {
        uint64_t lo = k + 1 < nb ? b[k] : 0, hi = k + 1 < nb ? b[k + 1] : 0;
        uint32_t pf = 0;
        int owner = -1;
        bool flush;
        lpae_prot p = run_prot;

        if (k + 1 < nb && lo == hi)
            continue;
        if (k + 1 < nb)
            for (size_t i = c->first; i <= c->last; i++) {
                const lpae_elf_seg *s = &elf->segs[i];
                if (!s->mapped || PG_DOWN(s->va) >= hi || PG_UP((uint64_t)s->va + s->memsz) <= lo)
                    continue;
                /* User images: the later segment's mapping replaces the page, as
                 * binfmt_elf maps later segments with MAP_FIXED. Kernel images:
                 * the union of the permissions. */
                if (owner < 0 || user)
                    owner = (int)i;
                pf = user ? s->flags : pf | s->flags;
            }
        if (owner >= 0) {
            p = elf->segs[owner].prot;
            p.xn = !(pf & PF_X);
            if (pf & PF_W)
                p.ap = (p.ap == LPAE_AP_RO || p.ap == LPAE_AP_RW) ? LPAE_AP_RW : LPAE_AP_PL1_RW;
        }
        /* A run ends at a gap, a change of attributes or a change of owner (so
         * that leaves are counted per segment). */
        flush = run_owner >= 0 &&
                (owner != run_owner || lo != run_hi || memcmp(&p, &run_prot, sizeof p) != 0);
        if (flush) {
            const lpae_elf_seg *o = &elf->segs[run_owner];
            lpae_pgtable *pt = tree_for(&elf->tgt, o->sel);
            lpae_pa_t pa = c->pa + (run_lo - c->lo);
            rc = lpae_pgtable_map(pt, (lpae_va_t)run_lo, pa, run_hi - run_lo, &run_prot, mflags);
            if (rc) {
                rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, run_owner,
                              "%s: mapping segment %s 0x%08llx-0x%08llx (%s) failed: %s", elf->name,
                              o->name, (unsigned long long)run_lo, (unsigned long long)(run_hi - 1),
                              o->sel == LPAE_SEL_TTBR0 ? "TTBR0" : "TTBR1", lpae_strerror(rc));
                break;
            }
            rc = elf_push_run(elf, (lpae_va_t)run_lo, (uint32_t)(run_hi - run_lo), o->sel);
            if (rc) {
                lpae_pgtable_unmap(pt, (lpae_va_t)run_lo, run_hi - run_lo);
                rc = elf_fail(diag, rc, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
                break;
            }
            elf_count_leaves(pt, (lpae_va_t)run_lo, run_hi - run_lo, elf->segs[run_owner].granules);
            run_owner = -1;
        }
        if (owner < 0)
            continue;
        if (run_owner < 0) {
            run_owner = owner;
            run_lo = lo;
            run_prot = p;
        }
        run_hi = hi;
    }
    free(b);
    return rc;
}

static int check_trees(lpae_elf *elf, lpae_elf_diag *diag)
{
    for (size_t i = 0; i < elf->nsegs; i++) {
        const lpae_elf_seg *s = &elf->segs[i];
        lpae_pgtable *pt = tree_for(&elf->tgt, s->sel);
        const lpae_region *r;
        uint64_t last = (uint64_t)s->va + s->memsz - 1;
        if (!s->mapped)
            continue;
        if (!pt)
            return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, (int)i,
                            "%s: segment %s needs a %s tree and none was given", elf->name, s->name,
                            s->sel == LPAE_SEL_TTBR0 ? "TTBR0" : "TTBR1");
        r = lpae_pgtable_region(pt);
        if (!r || r->sel != s->sel || s->va < r->base || last > r->last)
            return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, (int)i,
                            "%s: segment %s 0x%08x-0x%08llx is outside the given %s tree's "
                            "region",
                            elf->name, s->name, (unsigned)s->va, (unsigned long long)last,
                            s->sel == LPAE_SEL_TTBR0 ? "TTBR0" : "TTBR1");
    }
    return 0;
}

static void table_pages(const lpae_elf_target *t, uint64_t out[2])
{
    lpae_pgtable_stats st;
    out[0] = out[1] = 0;
    if (t->ttbr0 && lpae_pgtable_stats_get(t->ttbr0, &st) == 0)
        out[0] = st.table_pages;
    if (t->ttbr1 && t->ttbr1 != t->ttbr0 && lpae_pgtable_stats_get(t->ttbr1, &st) == 0)
        out[1] = st.table_pages;
}

int lpae_elf_load(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                  const lpae_elf_target *tgt, lpae_elf_report *rep, lpae_elf_diag *diag)
{
    lpae_elf_opts def;
    struct cluster *cl = NULL;
    size_t ncl = 0;
    uint64_t before[2], after[2];
    bool module, force4k;
    unsigned mflags = 0;
    int rc;

    elf_diag_ok(diag);
    if (!elf || !lay || !tgt || !tgt->phys)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "NULL argument");
    if (elf->loaded)
        return elf_fail(diag, LPAE_ESTATE, LPAE_ELF_P_ARG, -1, "%s: already loaded", elf->name);
    if (!opts) {
        memset(&def, 0, sizeof def);
        opts = &def;
    }
    if ((opts->flags & LPAE_ELF_FIXED_PA) && (opts->pa & (PAGE - 1)))
        return elf_fail(diag, LPAE_EALIGN, LPAE_ELF_P_ARG, -1,
                        "%s: fixed PA 0x%010llx is not 4 KB aligned", elf->name,
                        (unsigned long long)opts->pa);
    rc = lpae_elf_place(elf, lay, opts, diag);
    if (rc)
        return rc;
    module = elf->role == LPAE_ELF_ROLE_MODULE;
    if (module && (opts->flags & LPAE_ELF_FIXED_PA))
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1,
                        "%s: modules live in vmalloc pages; LPAE_ELF_FIXED_PA does not apply",
                        elf->name);
    /* ARM's vmalloc maps modules with 4 KB pages (no huge vmalloc on ARM). */
    force4k = module || (opts->flags & LPAE_ELF_FORCE_4K);
    if (force4k)
        mflags |= LPAE_MAP_FORCE_4K;
    if (opts->flags & LPAE_ELF_REPLACE)
        mflags |= LPAE_MAP_REPLACE;
    elf->tgt = *tgt;
    elf->mm = NULL;
    rc = check_trees(elf, diag);
    if (rc)
        return rc;
    memset(&elf->rep, 0, sizeof elf->rep);
    for (size_t i = 0; i < elf->nsegs; i++)
        memset(elf->segs[i].granules, 0, sizeof elf->segs[i].granules);
    table_pages(tgt, before);

    /* Clusters: each module group alone; the kernel image, or a fixed-PA
     * image, as one physically contiguous span; user segments grouped when
     * they share a page. */
    cl = calloc(elf->nsegs ? elf->nsegs : 1, sizeof *cl);
    if (!cl)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
    for (size_t i = 0; i < elf->nsegs; i++) {
        uint64_t lo = PG_DOWN(elf->segs[i].va);
        uint64_t hi = PG_UP((uint64_t)elf->segs[i].va + elf->segs[i].memsz);
        bool join = ncl > 0 && !module &&
                    (elf->role == LPAE_ELF_ROLE_KERNEL || (opts->flags & LPAE_ELF_FIXED_PA) ||
                     lo < cl[ncl - 1].hi);
        if (join) {
            if (hi > cl[ncl - 1].hi)
                cl[ncl - 1].hi = hi;
            cl[ncl - 1].last = i;
        } else {
            cl[ncl].lo = lo;
            cl[ncl].hi = hi;
            cl[ncl].first = cl[ncl].last = i;
            ncl++;
        }
    }
    for (size_t j = 0; j < ncl && !rc; j++) {
        if (opts->flags & LPAE_ELF_FIXED_PA) {
            uint64_t span = cl[j].hi - cl[j].lo;
            cl[j].pa = opts->pa;
            rc = lpae_phys_reserve(tgt->phys, opts->pa, span);
            if (rc) {
                rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, -1,
                              "%s: cannot reserve PA 0x%010llx-0x%010llx: %s", elf->name,
                              (unsigned long long)opts->pa,
                              (unsigned long long)(opts->pa + span - 1), lpae_strerror(rc));
                break;
            }
            rc = push_alloc(elf, opts->pa, span);
            if (rc) {
                lpae_phys_free(tgt->phys, opts->pa, span);
                rc = elf_fail(diag, rc, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
                break;
            }
            rc = zero_span(tgt->phys, opts->pa, span);
            if (rc)
                rc = elf_fail(diag, rc, LPAE_ELF_P_MEMORY, -1, "%s: clearing PA 0x%010llx: %s",
                              elf->name, (unsigned long long)opts->pa, lpae_strerror(rc));
        } else {
            rc = cluster_alloc(elf, &cl[j], force4k, diag);
        }
    }
    if (!rc)
        rc = copy_bytes(elf, cl, ncl, diag);
    for (size_t j = 0; j < ncl && !rc; j++)
        rc = map_cluster(elf, &cl[j], mflags, diag);
    if (rc) {
        elf_undo(elf);
        free(cl);
        return rc;
    }
    for (size_t j = 0; j < ncl; j++) {
        for (size_t i = cl[j].first; i <= cl[j].last; i++)
            elf->segs[i].pa = cl[j].pa + ((uint64_t)elf->segs[i].va - cl[j].lo);
        elf->rep.ram_bytes += cl[j].hi - cl[j].lo;
    }
    free(cl);
    table_pages(tgt, after);
    elf->rep.nseg = elf->nsegs;
    elf->rep.va_lo = elf->img_lo;
    elf->rep.va_hi = elf->img_hi;
    elf->rep.next_va = elf->next_va;
    elf->rep.table_pages[0] = after[0] - before[0];
    elf->rep.table_pages[1] = after[1] - before[1];
    for (size_t i = 0; i < elf->nsegs; i++)
        for (int l = 1; l <= 3; l++)
            elf->rep.leaves[l] += elf->segs[i].granules[l];
    elf->loaded = true;
    if (rep)
        *rep = elf->rep;
    return 0;
}

int lpae_elf_report_get(const lpae_elf *elf, lpae_elf_report *rep)
{
    if (!elf || !rep)
        return LPAE_EINVAL;
    if (!elf->loaded)
        return LPAE_ESTATE;
    *rep = elf->rep;
    return 0;
}

int lpae_elf_unload(lpae_elf *elf)
{
    int rc;
    if (!elf)
        return LPAE_EINVAL;
    if (!elf->loaded)
        return LPAE_ESTATE;
    rc = elf_undo(elf);
    elf->loaded = false;
    elf->mm = NULL;
    return rc;
}
