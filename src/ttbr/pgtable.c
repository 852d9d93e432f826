/* SPDX-License-Identifier: MIT */
/*
 * Building Long-descriptor translation tables in simulated memory.
 *
 * The tree's source of truth is simulated memory: every operation reads the
 * descriptors it walks through with lpae_phys and writes them back, so that
 * a descriptor planted with lpae_pgtable_set_desc() or lpae_phys_write64()
 * is seen exactly as the hardware walker sees it. The builder remembers
 * which table pages it allocated (a uthash set); only those are ever freed.
 * A table descriptor planted by the caller that points elsewhere is
 * followed like any other, but its table is never freed.
 *
 * Splitting a block writes a full next-level table that maps the same
 * output addresses with the same attributes, except the Contiguous hint,
 * which is cleared (the run it described no longer exists once part of the
 * block changes; clearing a hint never changes a translation).
 */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "ttbr/pgtable_internal.h"
#include "lpae/err.h"
#include "lpae/pgtable.h"
#include "mem/phys_internal.h"
#include "ttbr/regs_internal.h"

#define PAGE LPAE_PAGE_SIZE
#define VA_END (UINT64_C(1) << 32)
/* Leaf attribute fields: lower [11:2] and upper [63:52]. */
#define LEAF_ATTR_MASK (UINT64_C(0xFFC) | (UINT64_C(0xFFF) << 52))

typedef struct owned_table {
    lpae_pa_t pa;
    UT_hash_handle hh;
} owned_table;

/* struct lpae_pgtable: ttbr/pgtable_internal.h */

/* ---- descriptor helpers ---------------------------------------------------- */

static inline uint64_t level_size(unsigned level)
{
    return UINT64_C(1) << LPAE_LEVEL_SHIFT(level);
}

static inline bool is_table(unsigned level, uint64_t d)
{
    return level < 3 && (d & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_TABLE;
}

static inline bool is_leaf(unsigned level, uint64_t d)
{
    return (d & LPAE_DESC_TYPE_MASK) == (level < 3 ? LPAE_DESC_TYPE_BLOCK : LPAE_DESC_TYPE_PAGE);
}

uint64_t lpae_desc_leaf(unsigned level, lpae_pa_t pa, const lpae_prot *prot)
{
    if (level < 1 || level > 3 || !prot)
        return 0;
    uint64_t d = pa & LPAE_DESC_ADDR_MASK & ~(level_size(level) - 1u);
    d |= (uint64_t)(prot->attrindx & 7u) << LPAE_DESC_ATTRINDX_SHIFT;
    d |= (uint64_t)(prot->ap & 3u) << LPAE_DESC_AP_SHIFT;
    d |= (uint64_t)(prot->sh & 3u) << LPAE_DESC_SH_SHIFT;
    d |= (uint64_t)(prot->sw & 15u) << LPAE_DESC_SW_SHIFT;
    if (prot->ns)
        d |= LPAE_DESC_NS;
    if (prot->af)
        d |= LPAE_DESC_AF;
    if (prot->ng)
        d |= LPAE_DESC_NG;
    if (prot->contiguous)
        d |= LPAE_DESC_CONTIG;
    if (prot->pxn)
        d |= LPAE_DESC_PXN;
    if (prot->xn)
        d |= LPAE_DESC_XN;
    return d | (level < 3 ? LPAE_DESC_TYPE_BLOCK : LPAE_DESC_TYPE_PAGE);
}

void lpae_desc_prot(uint64_t desc, lpae_prot *prot)
{
    if (!prot)
        return;
    memset(prot, 0, sizeof *prot);
    prot->attrindx = (uint8_t)((desc & LPAE_DESC_ATTRINDX_MASK) >> LPAE_DESC_ATTRINDX_SHIFT);
    prot->ap = (uint8_t)((desc & LPAE_DESC_AP_MASK) >> LPAE_DESC_AP_SHIFT);
    prot->sh = (uint8_t)((desc & LPAE_DESC_SH_MASK) >> LPAE_DESC_SH_SHIFT);
    prot->sw = (uint8_t)((desc & LPAE_DESC_SW_MASK) >> LPAE_DESC_SW_SHIFT);
    prot->ns = (desc & LPAE_DESC_NS) != 0;
    prot->af = (desc & LPAE_DESC_AF) != 0;
    prot->ng = (desc & LPAE_DESC_NG) != 0;
    prot->contiguous = (desc & LPAE_DESC_CONTIG) != 0;
    prot->pxn = (desc & LPAE_DESC_PXN) != 0;
    prot->xn = (desc & LPAE_DESC_XN) != 0;
}

static bool prot_valid(const lpae_prot *p)
{
    return p && p->attrindx < 8 && p->ap < 4 && p->sh < 4 && p->sw < 16;
}

/* ---- memory access ----------------------------------------------------------- */

static int rd(const lpae_pgtable *pt, lpae_pa_t pa, uint64_t *d)
{
    return lpae_phys_fetch64(pt->phys, pa, d);
}

/* rd() of entry @p i of a table whose host page is @p hp (non-NULL: host
 * pages of backed frames stay put for the lpae_phys object's life), or
 * through rd() when the table's frame has no host page. */
static inline int rd_entry(const lpae_pgtable *pt, const uint8_t *hp, lpae_pa_t table, unsigned i,
                           uint64_t *d)
{
    if (hp) {
        uint64_t le;
        memcpy(&le, hp + (size_t)i * 8u, sizeof le);
        *d = lpae_phys_le64(le);
        return LPAE_OK;
    }
    return rd(pt, table + (lpae_pa_t)i * 8u, d);
}

static int wr(lpae_pgtable *pt, lpae_pa_t pa, uint64_t d)
{
    int err = lpae_phys_write64(pt->phys, pa, d);
    if (!err)
        pt->desc_writes++;
    return err;
}

static bool owns(const lpae_pgtable *pt, lpae_pa_t pa)
{
    owned_table *o;
    HASH_FIND(hh, pt->owned, &pa, sizeof pa, o);
    return o != NULL;
}

static int alloc_table(lpae_pgtable *pt, lpae_pa_t *out)
{
    owned_table *o = calloc(1, sizeof *o);
    if (!o)
        return LPAE_ENOMEM;
    int err = lpae_phys_alloc_page(pt->phys, pt->lo, pt->hi, &o->pa);
    if (err) {
        free(o);
        return err;
    }
    HASH_ADD(hh, pt->owned, pa, sizeof o->pa, o);
    pt->ntables++;
    *out = o->pa;
    return LPAE_OK;
}

static void free_table(lpae_pgtable *pt, lpae_pa_t pa)
{
    owned_table *o;
    HASH_FIND(hh, pt->owned, &pa, sizeof pa, o);
    if (!o)
        return;
    HASH_DEL(pt->owned, o);
    free(o);
    pt->ntables--;
    (void)lpae_phys_free(pt->phys, pa, PAGE);
}

/* Free the owned tables of the subtree under the level-@level table @pa. */
static void free_subtree(lpae_pgtable *pt, unsigned level, lpae_pa_t pa)
{
    if (!owns(pt, pa))
        return;
    if (level < 3) {
        const uint8_t *hp = lpae_phys_host_page(pt->phys, pa);
        for (unsigned i = 0; i < LPAE_ENTRIES_PER_TABLE; i++) {
            uint64_t d;
            if (rd_entry(pt, hp, pa, i, &d) == 0 && is_table(level, d))
                free_subtree(pt, level + 1, d & LPAE_DESC_ADDR_MASK);
        }
    }
    free_table(pt, pa);
}

/* True when no entry of the level-@level table @pa is a table or a leaf. */
static bool table_empty(const lpae_pgtable *pt, unsigned level, lpae_pa_t pa)
{
    const uint8_t *hp = lpae_phys_host_page(pt->phys, pa);
    for (unsigned i = 0; i < LPAE_ENTRIES_PER_TABLE; i++) {
        uint64_t d;
        if (rd_entry(pt, hp, pa, i, &d) == 0 && (is_table(level, d) || is_leaf(level, d)))
            return false;
    }
    return true;
}

/* Replace the level-@level block @d at @slot by a next-level table mapping
 * the same addresses; *child receives the new table. */
static int split_block(lpae_pgtable *pt, unsigned level, lpae_pa_t slot, uint64_t d,
                       lpae_pa_t *child)
{
    lpae_pa_t t;
    int err = alloc_table(pt, &t);
    if (err)
        return err;
    unsigned cl = level + 1;
    uint64_t csize = level_size(cl);
    lpae_pa_t base = d & LPAE_DESC_ADDR_MASK & ~(level_size(level) - 1u);
    uint64_t attrs = (d & LEAF_ATTR_MASK) & ~LPAE_DESC_CONTIG;
    uint64_t type = cl < 3 ? LPAE_DESC_TYPE_BLOCK : LPAE_DESC_TYPE_PAGE;
    for (unsigned i = 0; i < LPAE_ENTRIES_PER_TABLE && !err; i++)
        err = wr(pt, t + i * 8u, (base + i * csize) | attrs | type);
    if (!err)
        err = wr(pt, slot, t | LPAE_DESC_TYPE_TABLE);
    if (err) {
        free_table(pt, t);
        return err;
    }
    pt->splits++;
    *child = t;
    return LPAE_OK;
}

/* ---- geometry ---------------------------------------------------------------- */

static unsigned start_level(const lpae_pgtable *pt)
{
    return pt->region.start_level;
}

/* First VA covered by the root table (the region base). */
static uint64_t root_va(const lpae_pgtable *pt)
{
    return pt->region.base;
}

static unsigned entries_at(const lpae_pgtable *pt, unsigned level)
{
    return level == start_level(pt) ? pt->region.root_entries : LPAE_ENTRIES_PER_TABLE;
}

static int check_range(const lpae_pgtable *pt, lpae_va_t va, uint64_t size)
{
    if (size == 0)
        return LPAE_EINVAL;
    if ((va | size) & (PAGE - 1u))
        return LPAE_EALIGN;
    if (va < pt->region.base || size > (uint64_t)pt->region.last + 1u - va)
        return LPAE_ERANGE;
    return LPAE_OK;
}

/* ---- create / destroy -------------------------------------------------------- */

int lpae_pgtable_create(const lpae_pgtable_config *cfg, lpae_pgtable **out)
{
    if (!cfg || !out || !cfg->phys || cfg->tsz > 7 ||
        (cfg->sel != LPAE_SEL_TTBR0 && cfg->sel != LPAE_SEL_TTBR1) ||
        (cfg->table_hi != 0 && cfg->table_lo >= cfg->table_hi))
        return LPAE_EINVAL;
    lpae_pgtable *pt = calloc(1, sizeof *pt);
    if (!pt)
        return LPAE_ENOMEM;
    pt->phys = cfg->phys;
    pt->tsz = cfg->tsz;
    pt->lo = cfg->table_lo;
    pt->hi = cfg->table_hi ? cfg->table_hi : UINT64_MAX;
    lpae_region *r = &pt->region;
    uint64_t span = UINT64_C(1) << (32u - cfg->tsz);
    r->sel = cfg->sel;
    r->tsz = (uint8_t)cfg->tsz;
    r->start_level = (uint8_t)lpae_start_level(cfg->tsz);
    r->baddr_shift = (uint8_t)lpae_baddr_shift(cfg->tsz);
    r->root_entries = (uint16_t)(1u << (r->baddr_shift - 3u));
    r->base = cfg->sel == LPAE_SEL_TTBR0 ? 0 : (lpae_va_t)(VA_END - span);
    r->last = (lpae_va_t)(r->base + span - 1u);
    /* The root takes a whole 4 KB frame, which satisfies every BADDR
     * alignment (at most 2^12). */
    int err = alloc_table(pt, &pt->root);
    if (err) {
        free(pt);
        return err;
    }
    *out = pt;
    return LPAE_OK;
}

void lpae_pgtable_destroy(lpae_pgtable *pt)
{
    if (!pt)
        return;
    owned_table *o, *tmp;
    HASH_ITER(hh, pt->owned, o, tmp)
    {
        HASH_DEL(pt->owned, o);
        (void)lpae_phys_free(pt->phys, o->pa, PAGE);
        free(o);
    }
    free(pt);
}

lpae_pa_t lpae_pgtable_root(const lpae_pgtable *pt)
{
    return pt ? pt->root : 0;
}

uint64_t lpae_pgtable_ttbr(const lpae_pgtable *pt, uint8_t asid)
{
    return pt ? (pt->root | ((uint64_t)asid << LPAE_TTBR_ASID_SHIFT)) : 0;
}

const lpae_region *lpae_pgtable_region(const lpae_pgtable *pt)
{
    return pt ? &pt->region : NULL;
}

/* ---- range operations ---------------------------------------------------------- */

typedef enum op_kind { OP_MAP, OP_UNMAP, OP_PROTECT, OP_PROBE } op_kind;

typedef struct op {
    op_kind kind;
    uint64_t va, end; /* [va, end) */
    lpae_pa_t pa;     /* OP_MAP: output address of va */
    const lpae_prot *prot;
    unsigned flags;
    bool found; /* OP_PROBE: a leaf lies in the range */
} op;

static bool granule_ok(unsigned level, unsigned flags)
{
    if (flags & LPAE_MAP_FORCE_4K)
        return level == 3;
    if (flags & LPAE_MAP_FORCE_2M)
        return level == 2;
    if (flags & LPAE_MAP_FORCE_1G)
        return level == 1;
    return true;
}

/* Apply @o to the entries of the level-@level table @table whose first entry
 * maps VA @tbase. */
static int range_op(lpae_pgtable *pt, op *o, unsigned level, lpae_pa_t table, uint64_t tbase)
{
    uint64_t esize = level_size(level);
    uint64_t first = (o->va > tbase ? o->va - tbase : 0) / esize;
    uint64_t last = (o->end - 1u - tbase) / esize;
    uint64_t n = entries_at(pt, level);
    if (last >= n)
        last = n - 1u;
    /* the table's host page: its frame is RAM and stays this table while
     * the loop runs (only child tables are allocated or freed) */
    const uint8_t *hp = lpae_phys_host_page(pt->phys, table);
    for (uint64_t idx = first; idx <= last; idx++) {
        uint64_t d;
        int err = rd_entry(pt, hp, table, (unsigned)idx, &d);
        if (err)
            return err;
        bool leaf = is_leaf(level, d), tab = is_table(level, d);
        if (!leaf && !tab && o->kind != OP_MAP)
            continue; /* nothing to probe, unmap or protect here */
        uint64_t es = tbase + idx * esize, ee = es + esize;
        uint64_t s = o->va > es ? o->va : es, t = o->end < ee ? o->end : ee;
        bool whole = s == es && t == ee;
        lpae_pa_t slot = table + idx * 8u;
        lpae_pa_t child = d & LPAE_DESC_ADDR_MASK;

        if (o->kind == OP_PROBE) {
            if (leaf) {
                o->found = true;
                return LPAE_OK;
            }
            if (tab) {
                err = range_op(pt, o, level + 1, child, es);
                if (err || o->found)
                    return err;
            }
            continue;
        }

        if (o->kind == OP_MAP) {
            lpae_pa_t opa = o->pa + (s - o->va);
            if (whole && !(opa & (esize - 1u)) && granule_ok(level, o->flags)) {
                err = wr(pt, slot, lpae_desc_leaf(level, opa, o->prot));
                if (err)
                    return err;
                if (tab)
                    free_subtree(pt, level + 1, child);
                continue;
            }
            if (tab) {
                /* descend */
            } else if (leaf) {
                err = split_block(pt, level, slot, d, &child);
            } else {
                err = alloc_table(pt, &child);
                if (!err) {
                    err = wr(pt, slot, child | LPAE_DESC_TYPE_TABLE);
                    if (err)
                        free_table(pt, child);
                }
            }
            if (!err)
                err = range_op(pt, o, level + 1, child, es);
            if (err)
                return err;
            continue;
        }

        /* OP_UNMAP and OP_PROTECT (on a leaf or a table: see above) */
        if (whole && leaf) {
            uint64_t nd = 0;
            if (o->kind == OP_PROTECT)
                nd = lpae_desc_leaf(level, d & LPAE_DESC_ADDR_MASK, o->prot);
            err = wr(pt, slot, nd);
            if (err)
                return err;
            continue;
        }
        if (whole && tab && o->kind == OP_UNMAP) {
            free_subtree(pt, level + 1, child);
            err = wr(pt, slot, 0);
            if (err)
                return err;
            continue;
        }
        if (leaf) {
            err = split_block(pt, level, slot, d, &child);
            if (err)
                return err;
        }
        err = range_op(pt, o, level + 1, child, es);
        if (err)
            return err;
        if (o->kind == OP_UNMAP && owns(pt, child) && table_empty(pt, level + 1, child)) {
            err = wr(pt, slot, 0);
            if (err)
                return err;
            free_table(pt, child);
        }
    }
    return LPAE_OK;
}

static int run(lpae_pgtable *pt, op *o)
{
    return range_op(pt, o, start_level(pt), pt->root, root_va(pt));
}

int lpae_pgtable_map(lpae_pgtable *pt, lpae_va_t va, lpae_pa_t pa, uint64_t size,
                     const lpae_prot *prot, unsigned flags)
{
    const unsigned known =
        LPAE_MAP_FORCE_4K | LPAE_MAP_FORCE_2M | LPAE_MAP_FORCE_1G | LPAE_MAP_REPLACE;
    unsigned force = flags & (LPAE_MAP_FORCE_4K | LPAE_MAP_FORCE_2M | LPAE_MAP_FORCE_1G);
    if (!pt || !prot_valid(prot) || (flags & ~known) || (force & (force - 1u)))
        return LPAE_EINVAL;
    int err = check_range(pt, va, size);
    if (err)
        return err;
    if (pa & (PAGE - 1u))
        return LPAE_EALIGN;
    if (pa > LPAE_PA_MASK || size > (UINT64_C(1) << LPAE_PA_BITS) - pa)
        return LPAE_ERANGE;
    uint64_t g = (flags & LPAE_MAP_FORCE_1G)   ? level_size(1)
                 : (flags & LPAE_MAP_FORCE_2M) ? level_size(2)
                                               : PAGE;
    if ((flags & LPAE_MAP_FORCE_1G) && start_level(pt) != 1)
        return LPAE_EINVAL;
    if ((va | pa | size) & (g - 1u))
        return LPAE_EALIGN;
    op o = {.kind = OP_PROBE, .va = va, .end = (uint64_t)va + size};
    if (!(flags & LPAE_MAP_REPLACE)) {
        err = run(pt, &o);
        if (err)
            return err;
        if (o.found)
            return LPAE_EEXIST;
    }
    o.kind = OP_MAP;
    o.pa = pa;
    o.prot = prot;
    o.flags = flags;
    err = run(pt, &o);
    if (err) {
        /* Take out what this call mapped (the whole range: without REPLACE
         * it was unmapped before the call). */
        op u = {.kind = OP_UNMAP, .va = va, .end = (uint64_t)va + size};
        (void)run(pt, &u);
    }
    return err;
}

int lpae_pgtable_unmap(lpae_pgtable *pt, lpae_va_t va, uint64_t size)
{
    if (!pt)
        return LPAE_EINVAL;
    int err = check_range(pt, va, size);
    if (err)
        return err;
    op o = {.kind = OP_UNMAP, .va = va, .end = (uint64_t)va + size};
    return run(pt, &o);
}

int lpae_pgtable_protect(lpae_pgtable *pt, lpae_va_t va, uint64_t size, const lpae_prot *prot)
{
    if (!pt || !prot_valid(prot))
        return LPAE_EINVAL;
    int err = check_range(pt, va, size);
    if (err)
        return err;
    op o = {.kind = OP_PROTECT, .va = va, .end = (uint64_t)va + size, .prot = prot};
    return run(pt, &o);
}

/* ---- single-entry operations ------------------------------------------------------ */

static bool va_in_region(const lpae_pgtable *pt, lpae_va_t va)
{
    return va >= pt->region.base && va <= pt->region.last;
}

static lpae_pa_t slot_of(const lpae_pgtable *pt, lpae_pa_t table, unsigned level, lpae_va_t va)
{
    uint32_t vam = va & (UINT32_MAX >> pt->tsz);
    return table + ((lpae_pa_t)((vam >> LPAE_LEVEL_SHIFT(level)) & 511u) << 3);
}

int lpae_pgtable_set_table_attrs(lpae_pgtable *pt, lpae_va_t va, unsigned level,
                                 uint8_t table_attrs)
{
    if (!pt || level < start_level(pt) || level > 2 || table_attrs > 0x1Fu)
        return LPAE_EINVAL;
    if (!va_in_region(pt, va))
        return LPAE_ERANGE;
    lpae_pa_t table = pt->root;
    for (unsigned l = start_level(pt);; l++) {
        lpae_pa_t slot = slot_of(pt, table, l, va);
        uint64_t d;
        int err = rd(pt, slot, &d);
        if (err)
            return err;
        if (!is_table(l, d))
            return LPAE_ENOENT;
        if (l == level) {
            d = (d & ~LPAE_DESC_TABLE_ATTR_MASK) |
                ((uint64_t)table_attrs << LPAE_DESC_TABLE_ATTR_SHIFT);
            return wr(pt, slot, d);
        }
        table = d & LPAE_DESC_ADDR_MASK;
    }
}

int lpae_pgtable_lookup(const lpae_pgtable *pt, lpae_va_t va, lpae_pte_ref *out)
{
    if (!pt || !out)
        return LPAE_EINVAL;
    if (!va_in_region(pt, va))
        return LPAE_ERANGE;
    lpae_pa_t table = pt->root;
    for (unsigned l = start_level(pt);; l++) {
        lpae_pa_t slot = slot_of(pt, table, l, va);
        uint64_t d;
        int err = rd(pt, slot, &d);
        if (err)
            return err;
        out->level = l;
        out->desc_pa = slot;
        out->desc = d;
        if (is_leaf(l, d))
            return LPAE_OK;
        if (!is_table(l, d))
            return LPAE_ENOENT;
        table = d & LPAE_DESC_ADDR_MASK;
    }
}

/* lpae_pgtable_set_desc() after its argument checks, every case. */
static __attribute__((noinline)) int set_desc_full(lpae_pgtable *pt, lpae_va_t va, unsigned level,
                                                   uint64_t desc, lpae_pa_t *desc_pa)
{
    lpae_pa_t table = pt->root;
    for (unsigned l = start_level(pt); l < level; l++) {
        lpae_pa_t slot = slot_of(pt, table, l, va);
        uint64_t d;
        int err = rd(pt, slot, &d);
        if (err)
            return err;
        if (is_leaf(l, d))
            return LPAE_EEXIST;
        if (is_table(l, d)) {
            table = d & LPAE_DESC_ADDR_MASK;
            continue;
        }
        lpae_pa_t child;
        err = alloc_table(pt, &child);
        if (err)
            return err;
        err = wr(pt, slot, child | LPAE_DESC_TYPE_TABLE);
        if (err) {
            free_table(pt, child);
            return err;
        }
        table = child;
    }
    lpae_pa_t slot = slot_of(pt, table, level, va);
    uint64_t old;
    int err = rd(pt, slot, &old);
    if (err)
        return err;
    lpae_pa_t old_child = is_table(level, old) ? (old & LPAE_DESC_ADDR_MASK) : 0;
    lpae_pa_t new_child = is_table(level, desc) ? (desc & LPAE_DESC_ADDR_MASK) : 0;
    /* A planted table pointer may not alias another of the builder's tables. */
    if (new_child && new_child != old_child && owns(pt, new_child))
        return LPAE_EINVAL;
    err = wr(pt, slot, desc);
    if (err)
        return err;
    if (old_child && old_child != new_child)
        free_subtree(pt, level + 1, old_child);
    if (desc_pa)
        *desc_pa = slot;
    return LPAE_OK;
}

/* wr() of a leaf slot: lpae_phys_write64 of a backed page is this store
 * (lpae_pgtable_store_slot_in, pgtable_internal.h, is its first half). */
static inline __attribute__((always_inline)) int store_slot(lpae_pgtable *pt, lpae_pa_t slot,
                                                            uint64_t desc)
{
    if (lpae_pgtable_store_backed(pt, slot, desc))
        return LPAE_OK;
    return wr(pt, slot, desc);
}

/* The usual case (a kmap PTE, a planted leaf) is: every table on the way
 * exists, and neither the old nor the new descriptor is a table. Then
 * set_desc_full() would read the same descriptors, allocate and free
 * nothing, and write the one descriptor; that is done here directly.
 * Anything else goes to set_desc_full(), which starts over (the reads have
 * no side effect). */
int lpae_pgtable_set_desc(lpae_pgtable *pt, lpae_va_t va, unsigned level, uint64_t desc,
                          lpae_pa_t *desc_pa)
{
    if (!pt || level < start_level(pt) || level > 3)
        return LPAE_EINVAL;
    if (!va_in_region(pt, va))
        return LPAE_ERANGE;
    if (is_table(level, desc))
        return set_desc_full(pt, va, level, desc, desc_pa);
    lpae_pa_t table = pt->root;
    for (unsigned l = start_level(pt); l < level; l++) {
        uint64_t d;
        if (rd(pt, slot_of(pt, table, l, va), &d) != 0 || !is_table(l, d))
            return set_desc_full(pt, va, level, desc, desc_pa);
        table = d & LPAE_DESC_ADDR_MASK;
    }
    lpae_pa_t slot = slot_of(pt, table, level, va);
    uint64_t old;
    if (rd(pt, slot, &old) != 0 || is_table(level, old))
        return set_desc_full(pt, va, level, desc, desc_pa);
    int err = store_slot(pt, slot, desc);
    if (err)
        return err;
    if (desc_pa)
        *desc_pa = slot;
    return LPAE_OK;
}

int lpae_pgtable_store_slot(lpae_pgtable *pt, lpae_pa_t slot_pa, uint64_t desc)
{
    return store_slot(pt, slot_pa, desc);
}

/* ---- traversal -------------------------------------------------------------------- */

/* The first index from @p i below @p n whose entry of @p tab is not 0 (@p n
 * if none): invalid entries skipped eight at a time. */
static inline unsigned next_used(const uint64_t *tab, unsigned i, unsigned n)
{
    while (i + 8u <= n && ((tab[i] | tab[i + 1] | tab[i + 2] | tab[i + 3]) |
                           (tab[i + 4] | tab[i + 5] | tab[i + 6] | tab[i + 7])) == 0)
        i += 8u;
    while (i < n && tab[i] == 0)
        i++;
    return i;
}

static int visit(const lpae_pgtable *pt, unsigned level, lpae_pa_t table, uint64_t tbase,
                 lpae_pgtable_visit_fn fn, void *ctx)
{
    uint64_t esize = level_size(level);
    unsigned n = entries_at(pt, level);
    /* the table in one read (the visitor gets a const table: it cannot
     * change it); tables are page-aligned, so RAM holds all or none of it */
    uint64_t tab[LPAE_ENTRIES_PER_TABLE];
    if (lpae_phys_read(pt->phys, table, tab, (size_t)n * 8u) != 0)
        return 0; /* a planted table outside RAM: nothing to visit */
    /* invalid (0) entries are neither leaves nor tables */
    for (unsigned i = next_used(tab, 0, n); i < n; i = next_used(tab, i + 1u, n)) {
        uint64_t d = lpae_phys_le64(tab[i]);
        uint64_t va = tbase + i * esize;
        int ret = 0;
        if (is_leaf(level, d))
            ret = fn(ctx, (lpae_va_t)va, esize, level, d);
        else if (is_table(level, d))
            ret = visit(pt, level + 1, d & LPAE_DESC_ADDR_MASK, va, fn, ctx);
        if (ret)
            return ret;
    }
    return 0;
}

int lpae_pgtable_foreach(const lpae_pgtable *pt, lpae_pgtable_visit_fn fn, void *ctx)
{
    if (!pt || !fn)
        return LPAE_EINVAL;
    return visit(pt, start_level(pt), pt->root, root_va(pt), fn, ctx);
}

/* visit() of the entries of one table that overlap [first, last] (which
 * overlaps the table's span [tbase, tbase + n * esize)). */
static int visit_range(const lpae_pgtable *pt, unsigned level, lpae_pa_t table, uint64_t tbase,
                       uint64_t first, uint64_t last, lpae_pgtable_visit_fn fn, void *ctx)
{
    uint64_t esize = level_size(level);
    unsigned n = entries_at(pt, level);
    unsigned i0 = first > tbase ? (unsigned)((first - tbase) / esize) : 0u;
    unsigned i1 = (unsigned)((last - tbase) / esize);
    if (last - tbase >= (uint64_t)n * esize)
        i1 = n - 1u;
    if (i0 > i1)
        return 0;
    uint64_t tab[LPAE_ENTRIES_PER_TABLE];
    /* tables are page-aligned: RAM holds all of it or none, as for visit() */
    if (lpae_phys_read(pt->phys, table + (lpae_pa_t)i0 * 8u, tab, (size_t)(i1 - i0 + 1u) * 8u) != 0)
        return 0;
    /* invalid (0) entries are neither leaves nor tables */
    unsigned m = i1 - i0 + 1u;
    for (unsigned j = next_used(tab, 0, m); j < m; j = next_used(tab, j + 1u, m)) {
        unsigned i = i0 + j;
        uint64_t d = lpae_phys_le64(tab[j]);
        uint64_t va = tbase + i * esize;
        int ret = 0;
        if (is_leaf(level, d))
            ret = fn(ctx, (lpae_va_t)va, esize, level, d);
        else if (is_table(level, d))
            ret = visit_range(pt, level + 1, d & LPAE_DESC_ADDR_MASK, va, first, last, fn, ctx);
        if (ret)
            return ret;
    }
    return 0;
}

int lpae_pgtable_foreach_range(const lpae_pgtable *pt, uint64_t first, uint64_t last,
                               lpae_pgtable_visit_fn fn, void *ctx)
{
    if (!pt || !fn || first > last)
        return LPAE_EINVAL;
    uint64_t base = root_va(pt), end = (uint64_t)pt->region.last;
    if (last < base || first > end)
        return 0;
    return visit_range(pt, start_level(pt), pt->root, base, first, last, fn, ctx);
}

static int count_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)va;
    (void)desc;
    lpae_pgtable_stats *st = ctx;
    st->leaves[level]++;
    st->mapped_bytes += size;
    return 0;
}

uint64_t lpae_pgtable_desc_writes(const lpae_pgtable *pt)
{
    return pt ? pt->desc_writes : 0;
}

int lpae_pgtable_stats_get(const lpae_pgtable *pt, lpae_pgtable_stats *st)
{
    if (!pt || !st)
        return LPAE_EINVAL;
    memset(st, 0, sizeof *st);
    st->table_pages = pt->ntables;
    st->desc_writes = pt->desc_writes;
    st->splits = pt->splits;
    (void)visit(pt, start_level(pt), pt->root, root_va(pt), count_leaf, st);
    return LPAE_OK;
}
