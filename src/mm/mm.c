/* SPDX-License-Identifier: MIT */
/*
 * Process address spaces: TTBR0 tables, VMAs, demand faults with
 * copy-on-write, fork, exit; the 4G/4G kernel lowmem address space.
 * Policy notes and the Linux functions each part stands for: docs/mm.md.
 */
#include "ttbr/pgtable_internal.h"
#include "lpae/mm.h"

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/walk.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

/* AttrIndx of L_PTE_MT_WRITEALLOC and the inner-shareable SH of SMP kernels
 * (linux-arm-notes.md §2.2). */
#define SMP_SH 3u

/* Reference count of one user page frame. */
struct page_ref {
    lpae_pa_t pa;
    uint32_t refs;
    UT_hash_handle hh;
};

/* Page references are handed out of chunks of REF_CHUNK; dropped ones are
 * reused first (no allocation per demand fault). */
#define REF_CHUNK 256u
struct ref_chunk {
    struct ref_chunk *next;
    struct page_ref r[REF_CHUNK];
};

struct lpae_mmsys {
    lpae_phys *phys;
    lpae_layout layout;
    lpae_pa_t table_lo, table_hi; /* lowmem window for table pages */
    bool lowmem_first;            /* user frames: lowmem before highmem */
    struct page_ref *refs;        /* uthash, keyed by pa */
    struct ref_chunk *ref_chunks; /* every page_ref's storage */
    unsigned ref_used;            /* handed out of the newest chunk */
    struct page_ref *ref_free;    /* dropped page_refs, linked by hh.next */
    lpae_mm *mms;                 /* live mms, doubly linked */
    lpae_mmsys_stats st;
};

struct lpae_mm {
    lpae_mmsys *sys;
    lpae_mm *prev, *next;
    lpae_pgtable *pt;
    lpae_asid_ctx ctx;
    bool kernel; /* 4G/4G kernel lowmem: no VMAs, maps lowmem it does not own */
    lpae_vma *vmas;
    size_t nvmas, capvmas;
    uint64_t pages;
    lpae_mm_stats st; /* faults and their kinds; the rest is computed on demand */
};

/* ---- page frames ------------------------------------------------------------ */

static struct page_ref *ref_find(const lpae_mmsys *sys, lpae_pa_t pa)
{
    struct page_ref *r = NULL;
    HASH_FIND(hh, sys->refs, &pa, sizeof(pa), r);
    return r;
}

static void frame_count(lpae_mmsys *sys, lpae_pa_t pa, int delta)
{
    sys->st.user_frames = (uint64_t)((int64_t)sys->st.user_frames + delta);
    if (lpae_layout_zone(&sys->layout, pa) == LPAE_ZONE_HIGHMEM)
        sys->st.highmem_frames = (uint64_t)((int64_t)sys->st.highmem_frames + delta);
}

/* A page_ref record: a dropped one, else the next of the newest chunk
 * (NULL on host OOM). */
static struct page_ref *ref_new(lpae_mmsys *sys)
{
    struct page_ref *r = sys->ref_free;
    if (r) {
        sys->ref_free = r->hh.next;
        return r;
    }
    if (!sys->ref_chunks || sys->ref_used == REF_CHUNK) {
        struct ref_chunk *c = malloc(sizeof(*c));
        if (!c)
            return NULL;
        c->next = sys->ref_chunks;
        sys->ref_chunks = c;
        sys->ref_used = 0;
    }
    return &sys->ref_chunks->r[sys->ref_used++];
}

static void ref_drop(lpae_mmsys *sys, struct page_ref *r)
{
    r->hh.next = sys->ref_free;
    sys->ref_free = r;
}

/* A zeroed user frame with one reference: highmem first, then lowmem. */
static int frame_alloc(lpae_mmsys *sys, lpae_pa_t *out)
{
    struct page_ref *r = ref_new(sys);
    if (!r)
        return LPAE_ENOMEM;
    const lpae_layout *l = &sys->layout;
    int err = LPAE_ENOSPC;
    for (size_t pass = 0; pass < 2 && err == LPAE_ENOSPC; pass++) {
        bool high = (pass == 0) != sys->lowmem_first;
        size_t n = high ? l->nhighmem : l->nlowmem;
        const lpae_ram_range *rg = high ? l->highmem : l->lowmem;
        for (size_t i = 0; i < n && err == LPAE_ENOSPC; i++)
            err = lpae_phys_alloc_page(sys->phys, rg[i].base, rg[i].base + rg[i].size, out);
    }
    if (err) {
        ref_drop(sys, r);
        return err;
    }
    memset(r, 0, sizeof(*r));
    r->pa = *out;
    r->refs = 1;
    HASH_ADD(hh, sys->refs, pa, sizeof(r->pa), r);
    frame_count(sys, *out, +1);
    return LPAE_OK;
}

static void frame_get(lpae_mmsys *sys, lpae_pa_t pa)
{
    struct page_ref *r = ref_find(sys, pa);
    if (r)
        r->refs++;
}

static void frame_put(lpae_mmsys *sys, lpae_pa_t pa)
{
    struct page_ref *r = ref_find(sys, pa);
    if (!r || --r->refs > 0)
        return;
    HASH_DEL(sys->refs, r);
    ref_drop(sys, r);
    lpae_phys_free(sys->phys, pa, LPAE_PAGE_SIZE);
    frame_count(sys, pa, -1);
}

uint32_t lpae_mmsys_frame_refs(const lpae_mmsys *sys, lpae_pa_t pa)
{
    if (!sys)
        return 0;
    const struct page_ref *r = ref_find(sys, pa & ~(lpae_pa_t)(LPAE_PAGE_SIZE - 1));
    return r ? r->refs : 0;
}

/* ---- the shared state ----------------------------------------------------------- */

int lpae_mmsys_create(const lpae_mmsys_config *cfg, lpae_mmsys **out)
{
    if (!cfg || !out || !cfg->phys || !cfg->layout || cfg->layout->nlowmem == 0)
        return LPAE_EINVAL;
    lpae_mmsys *sys = calloc(1, sizeof(*sys));
    if (!sys)
        return LPAE_ENOMEM;
    sys->phys = cfg->phys;
    sys->layout = *cfg->layout;
    sys->table_lo = sys->layout.lowmem[0].base;
    sys->table_hi = sys->layout.lowmem_limit;
    sys->lowmem_first = cfg->user_lowmem_first;
    *out = sys;
    return LPAE_OK;
}

void lpae_mmsys_destroy(lpae_mmsys *sys)
{
    if (!sys)
        return;
    while (sys->mms)
        lpae_mm_destroy(sys->mms);
    HASH_CLEAR(hh, sys->refs); /* the records are the chunks' */
    while (sys->ref_chunks) {
        struct ref_chunk *c = sys->ref_chunks;
        sys->ref_chunks = c->next;
        free(c);
    }
    free(sys);
}

int lpae_mmsys_stats_get(const lpae_mmsys *sys, lpae_mmsys_stats *st)
{
    if (!sys || !st)
        return LPAE_EINVAL;
    *st = sys->st;
    st->table_pages = 0;
    for (const lpae_mm *mm = sys->mms; mm; mm = mm->next) {
        lpae_pgtable_stats ps;
        if (lpae_pgtable_stats_get(mm->pt, &ps) == LPAE_OK)
            st->table_pages += ps.table_pages;
    }
    return LPAE_OK;
}

/* ---- mm objects -------------------------------------------------------------------- */

static int mm_new(lpae_mmsys *sys, bool kernel, lpae_mm **out)
{
    lpae_mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return LPAE_ENOMEM;
    lpae_pgtable_config pc = {
        .phys = sys->phys,
        .sel = LPAE_SEL_TTBR0,
        .tsz = sys->layout.split.t0sz,
        .table_lo = sys->table_lo,
        .table_hi = sys->table_hi,
    };
    int err = lpae_pgtable_create(&pc, &mm->pt);
    if (err) {
        free(mm);
        return err;
    }
    mm->sys = sys;
    mm->kernel = kernel;
    lpae_asid_ctx_init(&mm->ctx);
    mm->next = sys->mms;
    if (sys->mms)
        sys->mms->prev = mm;
    sys->mms = mm;
    if (!kernel) {
        sys->st.mms_live++;
        sys->st.mms_created++;
    }
    *out = mm;
    return LPAE_OK;
}

int lpae_mm_create(lpae_mmsys *sys, lpae_mm **out)
{
    if (!sys || !out)
        return LPAE_EINVAL;
    return mm_new(sys, false, out);
}

/* Collect the leaves of a tree (optionally only those in [lo, hi)). */
struct leaf {
    lpae_va_t va;
    uint64_t desc;
};

struct leaves {
    struct leaf *v;
    size_t n, cap;
    uint64_t lo, hi;
    bool oom;
};

static int collect_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)size;
    (void)level;
    struct leaves *ls = ctx;
    if (va < ls->lo || va >= ls->hi)
        return 0;
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? 2 * ls->cap : 64;
        struct leaf *v = realloc(ls->v, cap * sizeof(*v));
        if (!v) {
            ls->oom = true;
            return 1;
        }
        ls->v = v;
        ls->cap = cap;
    }
    ls->v[ls->n++] = (struct leaf){va, desc};
    return 0;
}

static int put_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)va;
    (void)size;
    (void)level;
    frame_put(ctx, desc & LPAE_DESC_ADDR_MASK);
    return 0;
}

void lpae_mm_destroy(lpae_mm *mm)
{
    if (!mm)
        return;
    lpae_mmsys *sys = mm->sys;
    if (!mm->kernel) {
        lpae_pgtable_foreach(mm->pt, put_leaf, sys);
        sys->st.mms_live--;
        sys->st.exits++;
    }
    lpae_pgtable_destroy(mm->pt);
    if (mm->prev)
        mm->prev->next = mm->next;
    else
        sys->mms = mm->next;
    if (mm->next)
        mm->next->prev = mm->prev;
    free(mm->vmas);
    free(mm);
}

/* ---- VMAs -------------------------------------------------------------------------- */

/* Index of the first VMA whose end is above @p va (nvmas if none). */
static size_t vma_search(const lpae_mm *mm, lpae_va_t va)
{
    size_t lo = 0, hi = mm->nvmas;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (mm->vmas[mid].end <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline __attribute__((always_inline)) const lpae_vma *vma_find(const lpae_mm *mm,
                                                                      lpae_va_t va)
{
    size_t i = vma_search(mm, va);
    if (i < mm->nvmas && mm->vmas[i].start <= va)
        return &mm->vmas[i];
    return NULL;
}

static int vma_reserve(lpae_mm *mm, size_t n)
{
    if (mm->capvmas >= n)
        return LPAE_OK;
    size_t cap = mm->capvmas ? mm->capvmas : 8;
    while (cap < n)
        cap *= 2;
    lpae_vma *v = realloc(mm->vmas, cap * sizeof(*v));
    if (!v)
        return LPAE_ENOMEM;
    mm->vmas = v;
    mm->capvmas = cap;
    return LPAE_OK;
}

static int check_range(const lpae_mm *mm, lpae_va_t va, uint64_t size)
{
    if (size == 0)
        return LPAE_EINVAL;
    if ((va | size) & (LPAE_PAGE_SIZE - 1))
        return LPAE_EALIGN;
    if ((uint64_t)va + size > mm->sys->layout.task_size)
        return LPAE_ERANGE;
    return LPAE_OK;
}

int lpae_mm_mmap(lpae_mm *mm, lpae_va_t va, uint64_t size, uint32_t flags)
{
    if (!mm || mm->kernel || !(flags & (LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC)) ||
        (flags & ~(uint32_t)(LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC | LPAE_VM_SHARED)))
        return LPAE_EINVAL;
    int err = check_range(mm, va, size);
    if (err)
        return err;
    size_t i = vma_search(mm, va);
    if (i < mm->nvmas && mm->vmas[i].start < va + size)
        return LPAE_EEXIST;
    err = vma_reserve(mm, mm->nvmas + 1);
    if (err)
        return err;
    memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(mm->vmas[0]));
    mm->vmas[i] = (lpae_vma){va, (lpae_va_t)(va + size), flags};
    mm->nvmas++;
    return LPAE_OK;
}

/* What munmap and mprotect need before they change [va, end): room for the
 * new VMA list (@p extra more entries than now) and the leaves mapped there. */
static int range_change_begin(lpae_mm *mm, lpae_va_t va, uint64_t end, size_t extra, lpae_vma **nv,
                              struct leaves *ls)
{
    *nv = malloc((mm->nvmas + extra) * sizeof(**nv));
    if (!*nv)
        return LPAE_ENOMEM;
    *ls = (struct leaves){.lo = va, .hi = end};
    if (end > va) /* the leaves starting in [va, end) are among those overlapping it */
        lpae_pgtable_foreach_range(mm->pt, va, end - 1, collect_leaf, ls);
    if (ls->oom) {
        free(ls->v);
        free(*nv);
        return LPAE_ENOMEM;
    }
    return LPAE_OK;
}

int lpae_mm_munmap(lpae_mm *mm, lpae_va_t va, uint64_t size, uint64_t *pages_unmapped)
{
    if (!mm || mm->kernel)
        return LPAE_EINVAL;
    int err = check_range(mm, va, size);
    if (err)
        return err;
    uint64_t end = (uint64_t)va + size;
    /* The new VMA list: at most one more entry (a VMA split in two). */
    lpae_vma *nv;
    struct leaves ls;
    err = range_change_begin(mm, va, end, 1, &nv, &ls);
    if (err)
        return err;
    err = lpae_pgtable_unmap(mm->pt, va, size);
    if (err) {
        free(ls.v);
        free(nv);
        return err;
    }
    for (size_t k = 0; k < ls.n; k++)
        frame_put(mm->sys, ls.v[k].desc & LPAE_DESC_ADDR_MASK);
    mm->pages -= ls.n;
    if (pages_unmapped)
        *pages_unmapped = ls.n;
    free(ls.v);

    /* Keep what lies outside [va, end). */
    size_t n = 0;
    for (size_t k = 0; k < mm->nvmas; k++) {
        lpae_vma v = mm->vmas[k];
        if (v.end <= va || v.start >= end) {
            nv[n++] = v;
            continue;
        }
        if (v.start < va)
            nv[n++] = (lpae_vma){v.start, va, v.flags};
        if (v.end > end)
            nv[n++] = (lpae_vma){(lpae_va_t)end, v.end, v.flags};
    }
    free(mm->vmas);
    mm->capvmas = mm->nvmas + 1;
    mm->vmas = nv;
    mm->nvmas = n;
    return LPAE_OK;
}

size_t lpae_mm_vma_count(const lpae_mm *mm)
{
    return mm ? mm->nvmas : 0;
}

int lpae_mm_vma_get(const lpae_mm *mm, size_t i, lpae_vma *out)
{
    if (!mm || !out)
        return LPAE_EINVAL;
    if (i >= mm->nvmas)
        return LPAE_ERANGE;
    *out = mm->vmas[i];
    return LPAE_OK;
}

int lpae_mm_find_vma(const lpae_mm *mm, lpae_va_t va, lpae_vma *out)
{
    if (!mm || !out)
        return LPAE_EINVAL;
    const lpae_vma *v = vma_find(mm, va);
    if (!v)
        return LPAE_ENOENT;
    *out = *v;
    return LPAE_OK;
}

/* ---- faults ------------------------------------------------------------------------ */

static lpae_prot user_prot(uint32_t flags, bool writable)
{
    lpae_prot p;
    memset(&p, 0, sizeof(p));
    p.attrindx = LPAE_LINUX_ATTRINDX_WBWA;
    p.sh = SMP_SH;
    p.ap = writable ? LPAE_AP_RW : LPAE_AP_RO;
    p.ng = true;
    p.af = true;
    p.xn = !(flags & LPAE_VM_EXEC);
    return p;
}

int lpae_mm_mprotect(lpae_mm *mm, lpae_va_t va, uint64_t size, uint32_t flags,
                     uint64_t *pages_changed)
{
    if (pages_changed)
        *pages_changed = 0;
    if (!mm || mm->kernel || (flags & ~(uint32_t)(LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC)))
        return LPAE_EINVAL;
    int err = check_range(mm, va, size);
    if (err)
        return err;
    uint64_t end = (uint64_t)va + size;
    /* mprotect_fixup(): every VMA part inside [va, end) gets the new access
     * bits (VM_SHARED kept); at most two more entries (splits at both ends). */
    lpae_vma *nv;
    struct leaves ls;
    err = range_change_begin(mm, va, end, 2, &nv, &ls);
    if (err)
        return err;
    size_t n = 0;
    for (size_t k = 0; k < mm->nvmas; k++) {
        lpae_vma v = mm->vmas[k];
        if (v.end <= va || v.start >= end) {
            nv[n++] = v;
            continue;
        }
        uint32_t nf = flags | (v.flags & LPAE_VM_SHARED);
        if (v.start < va)
            nv[n++] = (lpae_vma){v.start, va, v.flags};
        lpae_va_t a = v.start < va ? va : v.start;
        lpae_va_t b = (uint64_t)v.end > end ? (lpae_va_t)end : v.end;
        if (nf & (LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC))
            nv[n++] = (lpae_vma){a, b, nf};
        if (v.end > end)
            nv[n++] = (lpae_vma){(lpae_va_t)end, v.end, v.flags};
    }
    /* change_pte_range(): PTEs lose write when the VMA does; a write grant
     * leaves them read-only (the next write fault makes them writable, as
     * for an exclusive anonymous page); XN follows VM_EXEC. PROT_NONE
     * mappings are unmapped (the model has no PROT_NONE PTEs). */
    uint64_t changed = 0;
    for (size_t k = 0; k < ls.n && !err; k++) {
        const lpae_vma *v = vma_find(mm, ls.v[k].va);
        uint32_t nf = flags | (v ? v->flags & LPAE_VM_SHARED : 0);
        lpae_prot old;
        lpae_desc_prot(ls.v[k].desc, &old);
        if (!(nf & (LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC))) {
            err = lpae_pgtable_unmap(mm->pt, ls.v[k].va, LPAE_PAGE_SIZE);
            if (!err) {
                frame_put(mm->sys, ls.v[k].desc & LPAE_DESC_ADDR_MASK);
                mm->pages--;
                changed++;
            }
            continue;
        }
        bool writable = old.ap == LPAE_AP_RW && (nf & LPAE_VM_WRITE);
        lpae_prot p = user_prot(nf, writable);
        if (p.ap == old.ap && p.xn == old.xn)
            continue;
        err = lpae_pgtable_protect(mm->pt, ls.v[k].va, LPAE_PAGE_SIZE, &p);
        changed++;
    }
    free(ls.v);
    if (err) {
        free(nv);
        return err;
    }
    free(mm->vmas);
    mm->capvmas = mm->nvmas + 2;
    mm->vmas = nv;
    mm->nvmas = n;
    if (pages_changed)
        *pages_changed = changed;
    return LPAE_OK;
}

static uint64_t desc_writes(const lpae_pgtable *pt)
{
    return lpae_pgtable_desc_writes(pt); /* no tree walk: called per fault */
}

int lpae_mm_fault(lpae_mm *mm, lpae_va_t va, unsigned access, lpae_mm_fault_result *res)
{
    if (!mm || mm->kernel || !res || !LPAE_ACC_VALID(access))
        return LPAE_EINVAL;
    const lpae_vma *vma = vma_find(mm, va);
    if (!vma)
        return LPAE_EFAULT;
    bool write = access & LPAE_ACC_WRITE;
    uint32_t need = write ? LPAE_VM_WRITE : (access & LPAE_ACC_EXEC) ? LPAE_VM_EXEC : LPAE_VM_READ;
    if (!(vma->flags & need))
        return LPAE_EPERM;
    uint32_t flags = vma->flags;
    bool vma_writable = flags & LPAE_VM_WRITE;
    lpae_va_t page = va & ~(lpae_va_t)(LPAE_PAGE_SIZE - 1);
    memset(res, 0, sizeof(*res));
    uint64_t writes0 = desc_writes(mm->pt);
    lpae_mmsys *sys = mm->sys;

    lpae_pte_ref ref;
    int err = lpae_pgtable_lookup(mm->pt, page, &ref);
    if (err == LPAE_ENOENT) {
        lpae_pa_t pa;
        err = frame_alloc(sys, &pa);
        if (err)
            return err;
        lpae_prot p = user_prot(flags, vma_writable);
        /* the lookup just found no leaf over the page: LPAE_MAP_REPLACE
         * skips the map's own probe for one, and maps the same */
        err = lpae_pgtable_map(mm->pt, page, pa, LPAE_PAGE_SIZE, &p,
                               LPAE_MAP_FORCE_4K | LPAE_MAP_REPLACE);
        if (err) {
            frame_put(sys, pa);
            return err;
        }
        mm->pages++;
        mm->st.anon_faults++;
        res->kind = LPAE_MMF_ANON;
        res->pa = pa;
    } else if (err == LPAE_OK) {
        lpae_pa_t pa = ref.desc & LPAE_DESC_ADDR_MASK;
        bool ro = (((ref.desc & LPAE_DESC_AP_MASK) >> LPAE_DESC_AP_SHIFT) & 2u) != 0;
        res->pa = pa;
        if (write && ro) {
            lpae_prot p = user_prot(flags, true);
            if (lpae_mmsys_frame_refs(sys, pa) <= 1) {
                err = lpae_pgtable_protect(mm->pt, page, LPAE_PAGE_SIZE, &p);
                if (err)
                    return err;
                mm->st.cow_reuses++;
                res->kind = LPAE_MMF_COW_REUSE;
            } else {
                lpae_pa_t npa;
                err = frame_alloc(sys, &npa);
                if (err)
                    return err;
                uint8_t buf[LPAE_PAGE_SIZE];
                err = lpae_phys_read(sys->phys, pa, buf, sizeof(buf));
                if (!err)
                    err = lpae_phys_write(sys->phys, npa, buf, sizeof(buf));
                if (!err)
                    err = lpae_pgtable_map(mm->pt, page, npa, LPAE_PAGE_SIZE, &p,
                                           LPAE_MAP_FORCE_4K | LPAE_MAP_REPLACE);
                if (err) {
                    frame_put(sys, npa);
                    return err;
                }
                frame_put(sys, pa);
                mm->st.cow_copies++;
                res->kind = LPAE_MMF_COW_COPY;
                res->pa = npa;
            }
            res->tlb_inv = true;
        } else {
            res->kind = LPAE_MMF_SPURIOUS;
        }
    } else {
        return err;
    }
    mm->st.faults++;
    res->desc_writes = desc_writes(mm->pt) - writes0;
    return LPAE_OK;
}

int lpae_mm_populate(lpae_mm *mm, lpae_va_t va, uint64_t size)
{
    if (!mm || mm->kernel)
        return LPAE_EINVAL;
    int err = check_range(mm, va, size);
    if (err)
        return err;
    for (uint64_t a = va; a < (uint64_t)va + size; a += LPAE_PAGE_SIZE) {
        const lpae_vma *vma = vma_find(mm, (lpae_va_t)a);
        if (!vma)
            return LPAE_EFAULT;
        unsigned access = (vma->flags & LPAE_VM_WRITE)  ? LPAE_ACC_UW
                          : (vma->flags & LPAE_VM_READ) ? LPAE_ACC_UR
                                                        : LPAE_ACC_UX;
        lpae_mm_fault_result r;
        err = lpae_mm_fault(mm, (lpae_va_t)a, access, &r);
        if (err)
            return err;
    }
    return LPAE_OK;
}

/* ---- fork ---------------------------------------------------------------------------- */

/* Destroy a child that never became a process. */
static void mm_discard(lpae_mm *c)
{
    if (!c)
        return;
    lpae_mmsys *sys = c->sys;
    lpae_mm_destroy(c);
    sys->st.exits--;
    sys->st.mms_created--;
}

int lpae_mm_fork(lpae_mm *parent, lpae_mm **child, lpae_mm_fork_result *res)
{
    if (!parent || parent->kernel || !child)
        return LPAE_EINVAL;
    lpae_mmsys *sys = parent->sys;
    struct leaves ls = {.lo = 0, .hi = UINT64_C(1) << 32};
    lpae_pgtable_foreach(parent->pt, collect_leaf, &ls);
    if (ls.oom) {
        free(ls.v);
        return LPAE_ENOMEM;
    }
    lpae_mm *c = NULL;
    int err = mm_new(sys, false, &c);
    if (!err)
        err = vma_reserve(c, parent->nvmas);
    if (err) {
        mm_discard(c);
        free(ls.v);
        return err;
    }
    if (parent->nvmas)
        memcpy(c->vmas, parent->vmas, parent->nvmas * sizeof(c->vmas[0]));
    c->nvmas = parent->nvmas;

    /* Map every parent page into the child; remember the parent PTEs that
     * must lose write access. ls.v is reused in place for that list. */
    size_t nwp = 0;
    for (size_t k = 0; k < ls.n; k++) {
        lpae_prot p;
        lpae_desc_prot(ls.v[k].desc, &p);
        lpae_pa_t pa = ls.v[k].desc & LPAE_DESC_ADDR_MASK;
        const lpae_vma *vma = vma_find(parent, ls.v[k].va);
        bool cow = vma && !(vma->flags & LPAE_VM_SHARED) && (vma->flags & LPAE_VM_WRITE);
        bool writable = !(p.ap & 2u);
        if (cow)
            p.ap |= 2u; /* AP[2]: read-only */
        err = lpae_pgtable_map(c->pt, ls.v[k].va, pa, LPAE_PAGE_SIZE, &p, LPAE_MAP_FORCE_4K);
        if (err) {
            mm_discard(c);
            free(ls.v);
            return err;
        }
        frame_get(sys, pa);
        c->pages++;
        if (cow && writable)
            ls.v[nwp++] = ls.v[k];
    }
    /* Write-protect the parent's copies. Changing the attributes of an
     * existing 4 KB leaf allocates nothing, so this cannot run out of
     * memory; should it fail anyway, the child is dropped and the parent
     * keeps some read-only PTEs, which its next write makes writable again
     * (copy-on-write reuse). */
    for (size_t k = 0; k < nwp; k++) {
        lpae_prot p;
        lpae_desc_prot(ls.v[k].desc, &p);
        p.ap |= 2u;
        err = lpae_pgtable_protect(parent->pt, ls.v[k].va, LPAE_PAGE_SIZE, &p);
        if (err) {
            mm_discard(c);
            free(ls.v);
            return err;
        }
    }
    if (res) {
        res->pages_shared = ls.n;
        res->pages_wrprotect = nwp;
        res->parent_tlb_flush = nwp > 0;
    }
    free(ls.v);
    sys->st.forks++;
    *child = c;
    return LPAE_OK;
}

/* ---- accessors ------------------------------------------------------------------------ */

lpae_pgtable *lpae_mm_pgtable(lpae_mm *mm)
{
    return mm ? mm->pt : NULL;
}

lpae_asid_ctx *lpae_mm_asid_ctx(lpae_mm *mm)
{
    return mm ? &mm->ctx : NULL;
}

uint64_t lpae_mm_ttbr0(const lpae_mm *mm, uint8_t asid)
{
    return mm ? lpae_pgtable_ttbr(mm->pt, asid) : 0;
}

int lpae_mm_stats_get(const lpae_mm *mm, lpae_mm_stats *st)
{
    if (!mm || !st)
        return LPAE_EINVAL;
    lpae_pgtable_stats ps;
    int err = lpae_pgtable_stats_get(mm->pt, &ps);
    if (err)
        return err;
    *st = mm->st;
    st->vmas = mm->nvmas;
    st->pages = mm->kernel ? 0 : mm->pages;
    st->table_pages = ps.table_pages;
    st->desc_writes = ps.desc_writes;
    return LPAE_OK;
}

/* ---- 4G/4G kernel lowmem ------------------------------------------------------------ */

int lpae_mm_create_kernel_lowmem(lpae_mmsys *sys, lpae_mm **out)
{
    if (!sys || !out)
        return LPAE_EINVAL;
    const lpae_layout *l = &sys->layout;
    if (!l->four_g)
        return LPAE_ESTATE;
    lpae_mm *mm = NULL;
    int err = mm_new(sys, true, &mm);
    if (err)
        return err;
    lpae_prot p;
    memset(&p, 0, sizeof(p));
    p.attrindx = LPAE_LINUX_ATTRINDX_WBWA;
    p.sh = SMP_SH;
    p.ap = LPAE_AP_PL1_RW;
    p.ng = true; /* must not match under user ASIDs */
    p.af = true;
    p.xn = true; /* kernel text lives in TTBR1 under 4G/4G */
    p.pxn = true;
    for (size_t i = 0; i < l->nlowmem && !err; i++) {
        lpae_va_t va;
        err = lpae_layout_lowmem_va(l, l->lowmem[i].base, &va);
        if (!err)
            err = lpae_pgtable_map(mm->pt, va, l->lowmem[i].base, l->lowmem[i].size, &p, 0);
    }
    if (err) {
        lpae_mm_destroy(mm);
        return err;
    }
    *out = mm;
    return LPAE_OK;
}
