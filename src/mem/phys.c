/* SPDX-License-Identifier: MIT */
/*
 * Sparse simulated 40-bit physical memory and its page-frame allocator.
 * See lpae/phys.h for the contract and phys_internal.h for the layout.
 */
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/phys.h"
#include "mem/phys_internal.h"

#define PAGE LPAE_PAGE_SIZE
#define PA_LIMIT (UINT64_C(1) << LPAE_PA_BITS)

/* ---- RAM ranges ---------------------------------------------------------- */

/* The range holding the byte at @pa, or NULL. Ranges are sorted. */
static const lpae_phys_range *range_of(const lpae_phys *p, lpae_pa_t pa)
{
    for (size_t i = 0; i < p->nranges; i++) {
        const lpae_phys_range *r = &p->range[i];
        if (pa < r->base)
            return NULL;
        if (pa - r->base < r->size)
            return r;
    }
    return NULL;
}

static lpae_phys_range *range_of_mut(lpae_phys *p, lpae_pa_t pa)
{
    return (lpae_phys_range *)range_of(p, pa);
}

/* True when every 4 KB page touched by [pa, pa+len) is RAM (len > 0). */
static bool pages_are_ram(const lpae_phys *p, lpae_pa_t pa, uint64_t len)
{
    if (pa >= PA_LIMIT || len > PA_LIMIT - pa)
        return false;
    lpae_pa_t end = pa + len;
    while (pa < end) {
        const lpae_phys_range *r = range_of(p, pa);
        if (!r)
            return false;
        pa = r->base + r->size; /* skip the rest of this range */
    }
    return true;
}

/* ---- backing ------------------------------------------------------------- */

static uint8_t **slot_of(lpae_phys *p, lpae_pa_t pa, bool create)
{
    size_t d = (size_t)(pa >> LPAE_PHYS_DIR_SHIFT);
    lpae_phys_leaf *leaf = p->dir[d];
    if (leaf == p->empty) {
        if (!create)
            return NULL;
        leaf = calloc(1, sizeof *leaf);
        if (!leaf)
            return NULL;
        p->dir[d] = leaf;
        p->leaves++;
    }
    return &leaf->page[(pa >> LPAE_PAGE_SHIFT) & (LPAE_PHYS_LEAF_SIZE - 1u)];
}

/* Drop the host backing of the page at @pa (it then reads as zero). */
static void drop_page(lpae_phys *p, lpae_pa_t pa)
{
    size_t d = (size_t)(pa >> LPAE_PHYS_DIR_SHIFT);
    lpae_phys_leaf *leaf = p->dir[d];
    if (leaf == p->empty)
        return;
    uint8_t **slot = &leaf->page[(pa >> LPAE_PAGE_SHIFT) & (LPAE_PHYS_LEAF_SIZE - 1u)];
    if (!*slot)
        return;
    free(*slot);
    *slot = NULL;
    p->backed_pages--;
    if (--p->dir_count[d] == 0) {
        free(leaf);
        p->dir[d] = p->empty;
        p->leaves--;
    }
}

/* memset(p, 0, n) as 16-byte vector stores, 32 to a 512-byte block, then
 * four to a 64-byte block: a constant-size memset in a loop compiles
 * to rep stos (or a library call), which costs several times the
 * instructions. */
typedef uint64_t zero_vec __attribute__((vector_size(16)));

static inline void zero_64(uint8_t *p)
{
    const zero_vec z = {0, 0};
    memcpy(p, &z, 16);
    memcpy(p + 16, &z, 16);
    memcpy(p + 32, &z, 16);
    memcpy(p + 48, &z, 16);
}

static void zero_fill(uint8_t *p, size_t n)
{
    for (; n >= 512; n -= 512, p += 512) {
        zero_64(p);
        zero_64(p + 64);
        zero_64(p + 128);
        zero_64(p + 192);
        zero_64(p + 256);
        zero_64(p + 320);
        zero_64(p + 384);
        zero_64(p + 448);
    }
    for (; n >= 64; n -= 64, p += 64)
        zero_64(p);
    memset(p, 0, n);
}

/* Give the page at @pa a backing page if it has none: zeroed, unless
 * @p zero is false (the caller overwrites all 4 KB of it at once). The page
 * comes from malloc and is zeroed inline: calloc's library memset costs
 * about ten times the instructions. */
static int back_page(lpae_phys *p, lpae_pa_t pa, bool zero)
{
    uint8_t **slot = slot_of(p, pa, true);
    if (!slot)
        return LPAE_ENOMEM;
    if (*slot)
        return 0;
    uint8_t *pg = malloc(PAGE);
    if (!pg) {
        size_t d = (size_t)(pa >> LPAE_PHYS_DIR_SHIFT);
        if (p->dir_count[d] == 0) {
            free(p->dir[d]);
            p->dir[d] = p->empty;
            p->leaves--;
        }
        return LPAE_ENOMEM;
    }
    if (zero)
        zero_fill(pg, PAGE);
    *slot = pg;
    p->dir_count[pa >> LPAE_PHYS_DIR_SHIFT]++;
    p->backed_pages++;
    return 0;
}

/* ---- create / destroy ---------------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
    const lpae_ram_range *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base ? 1 : 0;
}

int lpae_phys_create(const lpae_phys_config *cfg, lpae_phys **out)
{
    if (!cfg || !out || !cfg->ranges || cfg->nranges == 0 || cfg->nranges > LPAE_PHYS_MAX_RANGES)
        return LPAE_EINVAL;
    lpae_ram_range sorted[LPAE_PHYS_MAX_RANGES];
    memcpy(sorted, cfg->ranges, cfg->nranges * sizeof sorted[0]);
    for (size_t i = 0; i < cfg->nranges; i++) {
        if (sorted[i].size == 0 || sorted[i].base >= PA_LIMIT ||
            sorted[i].size > PA_LIMIT - sorted[i].base)
            return LPAE_EINVAL;
        if ((sorted[i].base | sorted[i].size) & (PAGE - 1u))
            return LPAE_EALIGN;
    }
    qsort(sorted, cfg->nranges, sizeof sorted[0], cmp_range);
    for (size_t i = 1; i < cfg->nranges; i++)
        if (sorted[i].base < sorted[i - 1].base + sorted[i - 1].size)
            return LPAE_EINVAL; /* overlap */

    lpae_phys *p = calloc(1, sizeof *p);
    if (!p)
        return LPAE_ENOMEM;
    p->empty = calloc(1, sizeof *p->empty);
    if (!p->empty) {
        free(p);
        return LPAE_ENOMEM;
    }
    for (size_t d = 0; d < LPAE_PHYS_DIR_SIZE; d++)
        p->dir[d] = p->empty;
    p->nranges = cfg->nranges;
    p->backing_cap_bytes = cfg->backing_cap_bytes;
    for (size_t i = 0; i < cfg->nranges; i++) {
        lpae_phys_range *r = &p->range[i];
        r->base = sorted[i].base;
        r->size = sorted[i].size;
        r->nframes = r->size / PAGE;
        size_t words = (size_t)((r->nframes + 63u) / 64u);
        r->bitmap = calloc(words, sizeof(uint64_t));
        if (!r->bitmap) {
            lpae_phys_destroy(p);
            return LPAE_ENOMEM;
        }
        p->bitmap_bytes += words * sizeof(uint64_t);
        p->frames_total += r->nframes;
    }
    *out = p;
    return LPAE_OK;
}

void lpae_phys_destroy(lpae_phys *phys)
{
    if (!phys)
        return;
    for (size_t d = 0; d < LPAE_PHYS_DIR_SIZE; d++) {
        lpae_phys_leaf *leaf = phys->dir[d];
        if (leaf == phys->empty)
            continue;
        for (size_t i = 0; i < LPAE_PHYS_LEAF_SIZE; i++)
            free(leaf->page[i]);
        free(leaf);
    }
    for (size_t i = 0; i < phys->nranges; i++)
        free(phys->range[i].bitmap);
    free(phys->empty);
    free(phys);
}

/* ---- access -------------------------------------------------------------- */

bool lpae_phys_is_ram(const lpae_phys *phys, lpae_pa_t pa, uint64_t len)
{
    if (!phys || len == 0 || pa >= PA_LIMIT || len > PA_LIMIT - pa)
        return false;
    const lpae_phys_range *r = range_of(phys, pa);
    return r && pa + len <= r->base + r->size;
}

int lpae_phys_fetch64_slow(const lpae_phys *phys, lpae_pa_t pa, uint64_t *val)
{
    if (pa >= PA_LIMIT || !range_of(phys, pa))
        return LPAE_EABORT;
    const uint8_t *pg = lpae_phys_page_in(phys, pa);
    uint64_t v = 0;
    if (pg)
        memcpy(&v, pg + (pa & (PAGE - 8u)), sizeof v);
    *val = lpae_phys_le64(v);
    return LPAE_OK;
}

int lpae_phys_read(const lpae_phys *phys, lpae_pa_t pa, void *buf, size_t len)
{
    if (!phys || (!buf && len))
        return LPAE_EINVAL;
    if (len == 0)
        return LPAE_OK;
    size_t poff = (size_t)(pa & (PAGE - 1u));
    if (len <= PAGE - poff && pa < PA_LIMIT) {
        /* within one page: RAM ranges are 4 KB aligned, so its first byte
         * being RAM makes all of it RAM; a backed page is RAM */
        const uint8_t *pg = lpae_phys_page_in(phys, pa);
        if (pg) {
            lpae_phys_copy_bytes(buf, pg + poff, len);
            return LPAE_OK;
        }
        if (!range_of(phys, pa))
            return LPAE_EABORT;
        memset(buf, 0, len);
        return LPAE_OK;
    }
    if (!pages_are_ram(phys, pa, len))
        return LPAE_EABORT;
    uint8_t *dst = buf;
    while (len) {
        size_t off = (size_t)(pa & (PAGE - 1u));
        size_t n = PAGE - off;
        if (n > len)
            n = len;
        const uint8_t *pg = lpae_phys_page_in(phys, pa);
        if (pg)
            memcpy(dst, pg + off, n);
        else
            memset(dst, 0, n);
        dst += n;
        pa += n;
        len -= n;
    }
    return LPAE_OK;
}

int lpae_phys_write(lpae_phys *phys, lpae_pa_t pa, const void *buf, size_t len)
{
    if (!phys || (!buf && len))
        return LPAE_EINVAL;
    if (len == 0)
        return LPAE_OK;
    size_t poff = (size_t)(pa & (PAGE - 1u));
    if (len <= PAGE - poff && pa < PA_LIMIT) {
        /* within one backed page (a backed page is RAM) */
        uint8_t *pg = lpae_phys_page_in(phys, pa);
        if (pg) {
            lpae_phys_copy_bytes(pg + poff, buf, len);
            return LPAE_OK;
        }
        /* not backed yet: the general path checks RAM and backs it */
    }
    if (!pages_are_ram(phys, pa, len))
        return LPAE_EABORT;
    lpae_pa_t first = pa & LPAE_PAGE_MASK;
    lpae_pa_t last = (pa + len - 1u) & LPAE_PAGE_MASK;
    uint64_t missing = 0;
    for (lpae_pa_t q = first;; q += PAGE) {
        if (!lpae_phys_page_in(phys, q))
            missing++;
        if (q == last)
            break;
    }
    if (missing) {
        if (phys->backing_cap_bytes &&
            (phys->backed_pages + missing) * PAGE > phys->backing_cap_bytes)
            return LPAE_ENOMEM;
        /* Back every missing page first so that a host allocation failure
         * leaves memory as it was. */
        lpae_pa_t stack_list[16];
        lpae_pa_t *added = stack_list;
        if (missing > 16) {
            added = malloc((size_t)missing * sizeof *added);
            if (!added)
                return LPAE_ENOMEM;
        }
        size_t nadded = 0;
        int err = LPAE_OK;
        for (lpae_pa_t q = first;; q += PAGE) {
            if (!lpae_phys_page_in(phys, q)) {
                err = back_page(phys, q, true);
                if (err)
                    break;
                added[nadded++] = q;
            }
            if (q == last)
                break;
        }
        if (err)
            for (size_t i = 0; i < nadded; i++)
                drop_page(phys, added[i]);
        if (added != stack_list)
            free(added);
        if (err)
            return err;
    }
    const uint8_t *src = buf;
    while (len) {
        size_t off = (size_t)(pa & (PAGE - 1u));
        size_t n = PAGE - off;
        if (n > len)
            n = len;
        uint8_t **slot = slot_of(phys, pa, false);
        memcpy(*slot + off, src, n);
        src += n;
        pa += n;
        len -= n;
    }
    return LPAE_OK;
}

int lpae_phys_copy_page(lpae_phys *phys, lpae_pa_t dst, lpae_pa_t src, size_t n)
{
    size_t soff = (size_t)(src & (PAGE - 1u)), doff = (size_t)(dst & (PAGE - 1u));
    if (!phys || n > PAGE - soff || n > PAGE - doff)
        return LPAE_EINVAL;
    if (n == 0)
        return LPAE_OK;
    uint8_t *bs = lpae_phys_host_page(phys, src), *bd = lpae_phys_host_page(phys, dst);
    if (bs && bd) { /* both backed, so both RAM: nothing to check */
        memmove(bd + doff, bs + soff, n);
        return LPAE_OK;
    }
    /* one page each: RAM ranges are 4 KB aligned; a backed page is RAM (and
     * inside the PA space), an unbacked one is checked */
    if ((!bs && (src >= PA_LIMIT || !range_of(phys, src))) ||
        (!bd && (dst >= PA_LIMIT || !range_of(phys, dst))))
        return LPAE_EABORT;
    const uint8_t *sp = bs;
    uint8_t *dp = bd;
    bool fresh = false;
    if (!dp) {
        if (phys->backing_cap_bytes && (phys->backed_pages + 1u) * PAGE > phys->backing_cap_bytes)
            return LPAE_ENOMEM;
        /* a whole-page copy from a backed page overwrites every byte */
        int err = back_page(phys, dst, !(sp && n == PAGE));
        if (err)
            return err;
        dp = lpae_phys_page_in(phys, dst);
        fresh = true; /* zeroed, or about to be overwritten */
    }
    if (sp)
        memmove(dp + doff, sp + soff, n);
    else if (!fresh)
        zero_fill(dp + doff, n); /* unwritten RAM reads as zero */
    return LPAE_OK;
}

int lpae_phys_read64(const lpae_phys *phys, lpae_pa_t pa, uint64_t *val)
{
    if (!phys || !val)
        return LPAE_EINVAL;
    if (pa & 7u)
        return LPAE_EALIGN;
    return lpae_phys_fetch64(phys, pa, val);
}

int lpae_phys_write64(lpae_phys *phys, lpae_pa_t pa, uint64_t val)
{
    if (!phys)
        return LPAE_EINVAL;
    if (pa & 7u)
        return LPAE_EALIGN;
    if (pa < PA_LIMIT) {
        uint8_t **slot = slot_of(phys, pa, false);
        if (slot && *slot) {
            uint64_t le = lpae_phys_le64(val);
            memcpy(*slot + (pa & (PAGE - 8u)), &le, sizeof le);
            return LPAE_OK;
        }
    }
    uint64_t le = lpae_phys_le64(val);
    return lpae_phys_write(phys, pa, &le, sizeof le);
}

/* ---- frame allocator ----------------------------------------------------- */

static inline bool bit_get(const lpae_phys_range *r, uint64_t f)
{
    return (r->bitmap[f >> 6] >> (f & 63u)) & 1u;
}

static inline void bit_set(lpae_phys_range *r, uint64_t f)
{
    r->bitmap[f >> 6] |= UINT64_C(1) << (f & 63u);
}

static inline void bit_clear(lpae_phys_range *r, uint64_t f)
{
    r->bitmap[f >> 6] &= ~(UINT64_C(1) << (f & 63u));
}

/* Lowest clear bit in frames [f0, f1) of @r, or UINT64_MAX. */
static uint64_t first_free(const lpae_phys_range *r, uint64_t f0, uint64_t f1)
{
    uint64_t f = f0;
    while (f < f1) {
        uint64_t w = r->bitmap[f >> 6] | ((UINT64_C(1) << (f & 63u)) - 1u);
        if (w != UINT64_MAX) {
            uint64_t hit = (f & ~UINT64_C(63)) + (uint64_t)__builtin_ctzll(~w);
            return hit < f1 ? hit : UINT64_MAX;
        }
        f = (f & ~UINT64_C(63)) + 64u;
    }
    return UINT64_MAX;
}

/* Lowest free frame whose whole 4 KB lies in [lo, hi), or 0 with *found false. */
static lpae_pa_t find_free_frame(const lpae_phys *p, lpae_pa_t lo, lpae_pa_t hi, bool *found)
{
    *found = false;
    if (lo > UINT64_MAX - (PAGE - 1u))
        return 0;
    lo = (lo + PAGE - 1u) & LPAE_PAGE_MASK;
    for (size_t i = 0; i < p->nranges; i++) {
        const lpae_phys_range *r = &p->range[i];
        lpae_pa_t rs = r->base, re = r->base + r->size;
        lpae_pa_t s = lo > rs ? lo : rs;
        lpae_pa_t e = hi < re ? hi : re;
        e &= LPAE_PAGE_MASK; /* whole frames only */
        if (s >= e)
            continue;
        uint64_t f = first_free(r, (s - rs) / PAGE, (e - rs) / PAGE);
        if (f != UINT64_MAX) {
            *found = true;
            return rs + f * PAGE;
        }
    }
    return 0;
}

static lpae_phys_window *window_for(lpae_phys *p, lpae_pa_t lo, lpae_pa_t hi)
{
    for (unsigned i = 0; i < LPAE_PHYS_NWINDOWS; i++)
        if (p->win[i].valid && p->win[i].lo == lo && p->win[i].hi == hi)
            return &p->win[i];
    lpae_phys_window *w = &p->win[p->win_next];
    p->win_next = (p->win_next + 1u) % LPAE_PHYS_NWINDOWS;
    w->valid = true;
    w->lo = lo;
    w->hi = hi;
    w->cursor = lo;
    return w;
}

/* Mark the free frame at @p pa, in range @p r, allocated. */
static void take_frame_in(lpae_phys *p, lpae_phys_range *r, lpae_pa_t pa)
{
    bit_set(r, (pa - r->base) / PAGE);
    r->in_use++;
    drop_page(p, pa); /* a frame is zero when handed out */
}

int lpae_phys_alloc_page(lpae_phys *phys, lpae_pa_t lo, lpae_pa_t hi, lpae_pa_t *out)
{
    if (!phys || !out || lo >= hi)
        return LPAE_EINVAL;
    lpae_phys_window *w = window_for(phys, lo, hi);
    bool found = false;
    lpae_pa_t pa = 0, c = w->cursor;
    if (c > lo && c < hi) {
        /* The cursor (one past the window's last frame, so frame aligned)
         * on a free frame whole below hi: the first frame that
         * find_free_frame(c, hi) would find. */
        lpae_phys_range *r = range_of_mut(phys, c);
        if (r) {
            lpae_pa_t re = r->base + r->size, e = (hi < re ? hi : re) & LPAE_PAGE_MASK;
            if (c < e && !bit_get(r, (c - r->base) / PAGE)) {
                take_frame_in(phys, r, c);
                w->cursor = c + PAGE;
                *out = c;
                return LPAE_OK;
            }
        }
        pa = find_free_frame(phys, c, hi, &found);
    }
    if (!found)
        pa = find_free_frame(phys, lo, hi, &found);
    if (!found)
        return LPAE_ENOSPC;
    take_frame_in(phys, range_of_mut(phys, pa), pa);
    w->cursor = pa + PAGE;
    *out = pa;
    return LPAE_OK;
}

int lpae_phys_alloc_contig(lpae_phys *phys, uint64_t size, uint64_t align, lpae_pa_t lo,
                           lpae_pa_t hi, lpae_pa_t *out)
{
    if (!phys || !out || size == 0 || lo >= hi || align < PAGE || (align & (align - 1u)))
        return LPAE_EINVAL;
    if (size & (PAGE - 1u))
        return LPAE_EALIGN;
    for (size_t i = 0; i < phys->nranges; i++) {
        lpae_phys_range *r = &phys->range[i];
        lpae_pa_t rs = r->base, re = r->base + r->size;
        lpae_pa_t s = lo > rs ? lo : rs;
        lpae_pa_t e = hi < re ? hi : re;
        if (s >= e)
            continue;
        lpae_pa_t cand = (s + align - 1u) & ~(align - 1u);
        while (cand >= s && cand < e && size <= e - cand) {
            uint64_t f0 = (cand - rs) / PAGE, n = size / PAGE, busy = UINT64_MAX;
            for (uint64_t f = f0; f < f0 + n; f++) {
                if (bit_get(r, f)) {
                    busy = f;
                    break;
                }
            }
            if (busy == UINT64_MAX) {
                for (uint64_t f = f0; f < f0 + n; f++)
                    take_frame_in(phys, r, rs + f * PAGE);
                *out = cand;
                return LPAE_OK;
            }
            lpae_pa_t next = rs + (busy + 1u) * PAGE;
            cand = (next + align - 1u) & ~(align - 1u);
        }
    }
    return LPAE_ENOSPC;
}

/* Common checks of reserve/free: 0, or an error. */
static int check_frames(const lpae_phys *p, lpae_pa_t pa, uint64_t size)
{
    if (!p || size == 0)
        return LPAE_EINVAL;
    if ((pa | size) & (PAGE - 1u))
        return LPAE_EALIGN;
    if (!pages_are_ram(p, pa, size))
        return LPAE_EABORT;
    return LPAE_OK;
}

int lpae_phys_reserve(lpae_phys *phys, lpae_pa_t pa, uint64_t size)
{
    int err = check_frames(phys, pa, size);
    if (err)
        return err;
    for (lpae_pa_t q = pa; q < pa + size; q += PAGE)
        if (lpae_phys_frame_in_use(phys, q))
            return LPAE_EEXIST;
    for (lpae_pa_t q = pa; q < pa + size; q += PAGE) {
        lpae_phys_range *r = range_of_mut(phys, q);
        bit_set(r, (q - r->base) / PAGE);
        r->in_use++;
    }
    return LPAE_OK;
}

int lpae_phys_free(lpae_phys *phys, lpae_pa_t pa, uint64_t size)
{
    int err = check_frames(phys, pa, size);
    if (err)
        return err;
    for (lpae_pa_t q = pa; q < pa + size; q += PAGE)
        if (!lpae_phys_frame_in_use(phys, q))
            return LPAE_ENOENT;
    for (lpae_pa_t q = pa; q < pa + size; q += PAGE) {
        lpae_phys_range *r = range_of_mut(phys, q);
        bit_clear(r, (q - r->base) / PAGE);
        r->in_use--;
        drop_page(phys, q);
    }
    return LPAE_OK;
}

bool lpae_phys_frame_in_use(const lpae_phys *phys, lpae_pa_t pa)
{
    if (!phys || pa >= PA_LIMIT)
        return false;
    const lpae_phys_range *r = range_of(phys, pa);
    return r && bit_get(r, (pa - r->base) / PAGE);
}

int lpae_phys_stats_get(const lpae_phys *phys, lpae_phys_stats *st)
{
    if (!phys || !st)
        return LPAE_EINVAL;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < phys->nranges; i++) {
        st->ram_bytes += phys->range[i].size;
        st->frames_in_use += phys->range[i].in_use;
    }
    st->frames_total = phys->frames_total;
    st->backed_pages = phys->backed_pages;
    st->backing_bytes = phys->backed_pages * PAGE + phys->leaves * sizeof(lpae_phys_leaf) +
                        phys->bitmap_bytes + sizeof *phys;
    return LPAE_OK;
}

size_t lpae_phys_range_count(const lpae_phys *phys)
{
    return phys ? phys->nranges : 0;
}

int lpae_phys_range_get(const lpae_phys *phys, size_t i, lpae_ram_range *out)
{
    if (!phys || !out || i >= phys->nranges)
        return LPAE_EINVAL;
    out->base = phys->range[i].base;
    out->size = phys->range[i].size;
    return LPAE_OK;
}
