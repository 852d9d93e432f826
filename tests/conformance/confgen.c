/* SPDX-License-Identifier: MIT */
/* Random configurations for the QEMU conformance test (see confgen.h). */
#include "confgen.h"

#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/pgtable.h"

#define WINDOW_SIZE (UINT64_C(4) << 20) /* table pages of one configuration */
#define WINDOW_SLOTS 16
#define HOLE_LO UINT64_C(0x80000000) /* RAM ends here; nothing up to 4 GB */
#define HOLE_HI UINT64_C(0x100000000)

uint64_t conf_rng_next(conf_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t conf_rng_below(conf_rng *r, uint64_t n)
{
    return n ? conf_rng_next(r) % n : 0;
}

/* True with probability num/den. */
static bool chance(conf_rng *r, unsigned num, unsigned den)
{
    return conf_rng_below(r, den) < num;
}

unsigned conf_op_access(uint32_t op)
{
    static const unsigned acc[4] = {LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_UR, LPAE_ACC_UW};
    return acc[op & 3];
}

int conf_phys_new(lpae_phys **out)
{
    const lpae_ram_range ram = {CONF_RAM_BASE, CONF_RAM_SIZE};
    const lpae_phys_config pc = {&ram, 1, 0};
    return lpae_phys_create(&pc, out);
}

void conf_cfg_release(conf_cfg *c)
{
    if (!c)
        return;
    lpae_phys_destroy(c->phys);
    free(c->descs);
    free(c->probes);
    free(c->targets);
    memset(c, 0, sizeof *c);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return LPAE_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int add_target(conf_cfg *c, uint64_t va, uint64_t size)
{
    if (va > UINT32_MAX || size == 0)
        return 0;
    if (va + size - 1 > UINT32_MAX)
        size = UINT64_C(0x100000000) - va;
    int err = grow((void **)&c->targets, &c->target_cap, c->ntarget + 1, sizeof *c->targets);
    if (err)
        return err;
    c->targets[c->ntarget++] = (conf_target){(uint32_t)va, (uint32_t)(size - 1)};
    return 0;
}

/* ---- geometry, computed here from DDI 0406C B3.6.4 (not from lpae) ---- */
typedef struct geom {
    uint64_t lo[2], hi[2]; /* region [lo, hi) of TTBR0 / TTBR1; lo == hi when empty */
    unsigned tsz[2];
} geom;

static void geom_init(geom *g, unsigned t0, unsigned t1)
{
    const uint64_t top = UINT64_C(1) << 32;
    g->tsz[0] = t0;
    g->tsz[1] = t1;
    g->lo[0] = 0;
    g->hi[0] = t0 ? top >> t0 : (t1 ? top - (top >> t1) : top);
    g->hi[1] = top;
    g->lo[1] = t1 ? top - (top >> t1) : (t0 ? top >> t0 : top);
}

static unsigned start_level(unsigned tsz)
{
    return tsz <= 1 ? 1 : 2;
}

/* log2 of the root table's size in bytes (x of BADDR[39:x]). */
static unsigned root_shift(unsigned tsz)
{
    return tsz <= 1 ? 5 - tsz : 14 - tsz;
}

/* ---- descriptor values --------------------------------------------------- */
static const uint8_t mair_device[] = {0x00, 0x04};

static uint8_t rand_mair_attr(conf_rng *r)
{
    if (chance(r, 1, 4))
        return mair_device[conf_rng_below(r, 2)];
    return (uint8_t)(((1 + conf_rng_below(r, 15)) << 4) | (1 + conf_rng_below(r, 15)));
}

static uint64_t rand_oa(conf_rng *r, unsigned shift)
{
    uint64_t pa;
    switch (conf_rng_below(r, 4)) {
    case 0:
        pa = conf_rng_below(r, UINT64_C(1) << 32);
        break; /* below 4 GB */
    case 1:
        pa = (UINT64_C(1) << 40) - (UINT64_C(1) << shift);
        break; /* top of 40 bits */
    default:
        pa = conf_rng_next(r) & LPAE_PA_MASK;
        break; /* anywhere */
    }
    return pa & ~((UINT64_C(1) << shift) - 1);
}

/* Lower and upper attributes of a block or page descriptor. */
static uint64_t rand_leaf_attrs(conf_rng *r)
{
    uint64_t d = (conf_rng_below(r, 8) << LPAE_DESC_ATTRINDX_SHIFT) |
                 (conf_rng_below(r, 4) << LPAE_DESC_AP_SHIFT) |
                 (conf_rng_below(r, 4) << LPAE_DESC_SH_SHIFT);
    if (chance(r, 1, 2))
        d |= LPAE_DESC_NS;
    if (!chance(r, 1, 8))
        d |= LPAE_DESC_AF;
    if (chance(r, 1, 2))
        d |= LPAE_DESC_NG;
    if (chance(r, 1, 8))
        d |= LPAE_DESC_CONTIG;
    if (chance(r, 1, 2))
        d |= LPAE_DESC_PXN;
    if (chance(r, 1, 2))
        d |= LPAE_DESC_XN;
    if (chance(r, 1, 4))
        d |= conf_rng_below(r, 16) << LPAE_DESC_SW_SHIFT;
    if (chance(r, 1, 16)) /* bits [63:59] are ignored in block and page descriptors */
        d |= conf_rng_below(r, 32) << 59;
    return d;
}

static uint64_t leaf_desc(conf_rng *r, unsigned level)
{
    unsigned shift = LPAE_LEVEL_SHIFT(level);
    uint64_t d = rand_oa(r, shift) | rand_leaf_attrs(r) |
                 (level == 3 ? LPAE_DESC_TYPE_PAGE : LPAE_DESC_TYPE_BLOCK);
    if (level < 3 && chance(r, 1, 32)) /* SBZ bits of the output address of a block */
        d |= conf_rng_next(r) & ((UINT64_C(1) << shift) - 1) & LPAE_DESC_ADDR_MASK;
    return d;
}

static uint64_t table_desc(conf_rng *r, uint64_t next_pa)
{
    uint64_t d = (next_pa & LPAE_DESC_ADDR_MASK) | LPAE_DESC_TYPE_TABLE;
    if (chance(r, 2, 3))
        d |= conf_rng_below(r, 32) << LPAE_DESC_TABLE_ATTR_SHIFT;
    if (chance(r, 1, 16)) /* ignored bits [11:2] and [58:52] of a table descriptor */
        d |= (conf_rng_next(r) & UINT64_C(0xFFC)) | (conf_rng_below(r, 128) << 52);
    return d;
}

static uint64_t invalid_desc(conf_rng *r)
{
    return chance(r, 1, 3) ? 0 : conf_rng_next(r) & ~LPAE_DESC_VALID;
}

static uint64_t hole_pa(conf_rng *r)
{
    return (HOLE_LO + conf_rng_below(r, HOLE_HI - HOLE_LO)) & ~UINT64_C(0xFFF);
}

/* ---- raw trees ------------------------------------------------------------ */
typedef struct raw_ctx {
    conf_cfg *c;
    conf_rng *r;
    lpae_pa_t lo, hi;
    lpae_pa_t pages[64]; /* table pages made so far ... */
    uint8_t levels[64];  /* ... and the level each was made for */
    unsigned npages;
} raw_ctx;

static int raw_page(raw_ctx *x, unsigned level, lpae_pa_t *pa)
{
    int err = lpae_phys_alloc_page(x->c->phys, x->lo, x->hi, pa);
    if (!err && x->npages < 64) {
        x->levels[x->npages] = (uint8_t)level;
        x->pages[x->npages++] = *pa;
    }
    return err;
}

/* A table page that may be read as a level-@p level table. Reading a
 * level-3 table at level 1 or 2 would turn its pages' output addresses into
 * table pointers to anywhere (QEMU's devices, or above 4 GB where QEMU 7.2
 * truncates): only tables made for levels 1-2 are read at levels 1-2. */
static bool raw_alias(raw_ctx *x, unsigned level, lpae_pa_t *pa)
{
    lpae_pa_t ok[64];
    unsigned n = 0;
    for (unsigned i = 0; i < x->npages; i++)
        if (level == 3 || x->levels[i] <= 2)
            ok[n++] = x->pages[i];
    if (!n)
        return false;
    *pa = ok[conf_rng_below(x->r, n)];
    return true;
}

/* Fill some entries of the table at @p table_pa (level @p level, @p n
 * entries) whose first entry translates @p va_base. */
static int raw_table(raw_ctx *x, unsigned level, uint64_t va_base, unsigned n, lpae_pa_t table_pa)
{
    conf_rng *r = x->r;
    unsigned shift = LPAE_LEVEL_SHIFT(level);
    unsigned fill = n <= 8 ? n : 1 + (unsigned)conf_rng_below(r, 5);
    for (unsigned k = 0; k < fill; k++) {
        unsigned i = n <= 8 ? k : (unsigned)conf_rng_below(r, n);
        if (n <= 8 && chance(r, 1, 6))
            continue; /* leave this entry zero */
        uint64_t va = va_base + ((uint64_t)i << shift);
        uint64_t d;
        lpae_pa_t alias;
        unsigned what = (unsigned)conf_rng_below(r, 100);
        int err = 0;
        if (what < 10) {
            d = invalid_desc(r);
        } else if (level == 3) {
            d = leaf_desc(r, 3);
            if (what < 25)
                d = (d & ~LPAE_DESC_TYPE_MASK) | 1; /* reserved encoding at level 3 */
        } else if (what < 45) {
            d = leaf_desc(r, level);
        } else if (what < 50) {
            d = table_desc(r, hole_pa(r)); /* walk into a hole of the memory map */
        } else if (what < 55 && raw_alias(x, level + 1, &alias)) {
            d = table_desc(r, alias); /* read another table at level + 1 */
        } else {
            lpae_pa_t next;
            err = raw_page(x, level + 1, &next);
            if (err == LPAE_ENOSPC) {
                d = invalid_desc(r);
                err = 0;
            } else if (err) {
                return err;
            } else {
                d = table_desc(r, next);
                if (!chance(r, 1, 16)) /* else: a table of zeros */
                    err = raw_table(x, level + 1, va, LPAE_ENTRIES_PER_TABLE, next);
                if (err)
                    return err;
            }
        }
        err = lpae_phys_write64(x->c->phys, table_pa + (uint64_t)i * 8, d);
        /* Aim probes at what was written here; a table's own range is mostly
         * zeros below, and its populated entries are targets of their own. */
        bool is_table = level < 3 && (d & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_TABLE;
        if (!err && (!is_table || chance(r, 1, 4)))
            err = add_target(x->c, va, UINT64_C(1) << shift);
        if (err)
            return err;
    }
    return 0;
}

static int gen_raw(conf_cfg *c, conf_rng *r, const geom *g, lpae_pa_t lo, lpae_pa_t hi)
{
    raw_ctx x = {.c = c, .r = r, .lo = lo, .hi = hi};
    for (unsigned t = 0; t < 2; t++) {
        unsigned tsz = g->tsz[t];
        unsigned lvl = start_level(tsz);
        unsigned rs = root_shift(tsz);
        uint64_t ttbr;
        if (chance(r, 1, 16)) {
            ttbr = hole_pa(r); /* the root itself in a hole */
        } else {
            lpae_pa_t page;
            int err = raw_page(&x, lvl, &page);
            if (err)
                return err;
            uint64_t slots = rs >= 12 ? 1 : UINT64_C(1) << (12 - rs);
            ttbr = page + (conf_rng_below(r, slots) << rs);
            /* The region's VA of root entry 0: the region base with the
             * index bits above the region size cleared. */
            uint64_t base = g->lo[t] & ~((UINT64_C(1) << (32 - tsz)) - 1);
            err = raw_table(&x, lvl, base, 1u << (rs - 3), ttbr);
            if (err)
                return err;
            /* SBZ bits of the TTBR: BADDR bits below x (ignored by QEMU)
             * and bits [47:40] (QEMU: Address size fault, level 0). */
            if (chance(r, 1, 32))
                ttbr |= conf_rng_next(r) & ((UINT64_C(1) << rs) - 1);
            if (chance(r, 1, 64))
                ttbr |= (1 + conf_rng_below(r, 255)) << 40;
        }
        ttbr |= conf_rng_below(r, 256) << LPAE_TTBR_ASID_SHIFT;
        if (t == 0)
            c->regs.ttbr0 = ttbr;
        else
            c->regs.ttbr1 = ttbr;
    }
    return 0;
}

/* ---- trees made by lpae_pgtable ------------------------------------------- */
static void rand_prot(conf_rng *r, lpae_prot *p)
{
    lpae_desc_prot(rand_leaf_attrs(r), p);
}

static uint64_t rand_va_in(conf_rng *r, const geom *g, unsigned t, uint64_t align)
{
    uint64_t span = g->hi[t] - g->lo[t];
    uint64_t va = g->lo[t] + conf_rng_below(r, span);
    return va & ~(align - 1);
}

/* The trees are returned in @p pt (owned by the caller, also on error):
 * their pages must stay allocated until the descriptors are collected. */
static int gen_builder(conf_cfg *c, conf_rng *r, const geom *g, lpae_pa_t lo, lpae_pa_t hi,
                       lpae_pgtable *pt[2])
{
    int err = 0;
    for (unsigned t = 0; t < 2 && !err; t++) {
        lpae_pgtable_config pc = {c->phys, t ? LPAE_SEL_TTBR1 : LPAE_SEL_TTBR0, g->tsz[t], lo, hi};
        err = lpae_pgtable_create(&pc, &pt[t]);
        if (err)
            break;
        uint8_t asid = (uint8_t)conf_rng_below(r, 256);
        uint64_t ttbr = lpae_pgtable_ttbr(pt[t], asid);
        if (t == 0)
            c->regs.ttbr0 = ttbr;
        else
            c->regs.ttbr1 = ttbr;
        if (g->lo[t] == g->hi[t])
            continue; /* TTBR1 with T0SZ = T1SZ = 0: never used */

        unsigned nmap = 1 + (unsigned)conf_rng_below(r, 6);
        for (unsigned m = 0; m < nmap; m++) {
            static const unsigned gran_flags[3] = {LPAE_MAP_FORCE_1G, LPAE_MAP_FORCE_2M,
                                                   LPAE_MAP_FORCE_4K};
            unsigned gi = (unsigned)conf_rng_below(r, 3);
            uint64_t unit = gi == 0 ? LPAE_SIZE_1G : gi == 1 ? LPAE_SIZE_2M : LPAE_PAGE_SIZE;
            uint64_t size = unit * (1 + conf_rng_below(r, gi == 2 ? 24 : 3));
            uint64_t va = rand_va_in(r, g, t, unit);
            if (va + size > g->hi[t])
                size = g->hi[t] - va;
            if (size < LPAE_PAGE_SIZE)
                continue;
            size &= ~(uint64_t)(LPAE_PAGE_SIZE - 1);
            uint64_t pa = rand_oa(r, gi == 0 ? 30 : gi == 1 ? 21 : 12);
            if (pa + size > (UINT64_C(1) << 40))
                pa = (UINT64_C(1) << 40) - ((size + unit - 1) & ~(unit - 1));
            lpae_prot prot;
            rand_prot(r, &prot);
            unsigned flags = chance(r, 1, 2) ? gran_flags[gi] : 0;
            if (chance(r, 1, 3))
                flags |= LPAE_MAP_REPLACE;
            /* Failures (overlap, alignment, no 1 GB level) are part of the
             * exercise; what got mapped is what the probes see. */
            int e = lpae_pgtable_map(pt[t], (lpae_va_t)va, pa, size, &prot, flags);
            if (e == LPAE_ENOMEM) {
                err = e;
                break;
            }
            if (!e)
                err = add_target(c, va, size);
            if (!e && chance(r, 1, 3)) { /* change part of it: splits blocks */
                uint64_t sub = LPAE_PAGE_SIZE * (1 + conf_rng_below(r, 4));
                uint64_t off = conf_rng_below(r, size / LPAE_PAGE_SIZE) * LPAE_PAGE_SIZE;
                if (off + sub > size)
                    sub = size - off;
                rand_prot(r, &prot);
                if (chance(r, 1, 2))
                    (void)lpae_pgtable_protect(pt[t], (lpae_va_t)(va + off), sub, &prot);
                else
                    (void)lpae_pgtable_unmap(pt[t], (lpae_va_t)(va + off), sub);
            }
            if (!e && chance(r, 2, 3)) {
                unsigned lvl = 1 + (unsigned)conf_rng_below(r, 2);
                (void)lpae_pgtable_set_table_attrs(pt[t], (lpae_va_t)va, lvl,
                                                   (uint8_t)conf_rng_below(r, 32));
            }
            if (err)
                break;
        }
        /* Raw descriptor writes through the builder: odd encodings. */
        unsigned nraw = (unsigned)conf_rng_below(r, 4);
        for (unsigned k = 0; k < nraw && !err; k++) {
            unsigned lvl =
                start_level(g->tsz[t]) + (unsigned)conf_rng_below(r, 4 - start_level(g->tsz[t]));
            uint64_t va = rand_va_in(r, g, t, UINT64_C(1) << LPAE_LEVEL_SHIFT(lvl));
            uint64_t d;
            switch (conf_rng_below(r, 4)) {
            case 0:
                d = invalid_desc(r);
                break;
            case 1:
                d = lvl == 3 ? (leaf_desc(r, 3) & ~LPAE_DESC_TYPE_MASK) | 1 : leaf_desc(r, lvl);
                break;
            case 2:
                d = lvl == 3 ? leaf_desc(r, 3) : table_desc(r, hole_pa(r));
                break;
            default:
                d = leaf_desc(r, lvl);
                break;
            }
            lpae_pa_t dpa;
            int e = lpae_pgtable_set_desc(pt[t], (lpae_va_t)va, lvl, d, &dpa);
            if (e == LPAE_ENOMEM)
                err = e;
            else if (!e)
                err = add_target(c, va, UINT64_C(1) << LPAE_LEVEL_SHIFT(lvl));
        }
    }
    return err;
}

/* ---- collection, probes, the whole configuration ------------------------- */
static int collect(conf_cfg *c, lpae_pa_t lo, lpae_pa_t hi)
{
    uint64_t buf[LPAE_ENTRIES_PER_TABLE];
    for (lpae_pa_t pa = lo; pa < hi; pa += LPAE_PAGE_SIZE) {
        if (!lpae_phys_frame_in_use(c->phys, pa))
            continue;
        int err = lpae_phys_read(c->phys, pa, buf, sizeof buf);
        if (err)
            return err;
        for (unsigned i = 0; i < LPAE_ENTRIES_PER_TABLE; i++) {
            if (!buf[i])
                continue;
            err = grow((void **)&c->descs, &c->desc_cap, c->ndesc + 1, sizeof *c->descs);
            if (err)
                return err;
            c->descs[c->ndesc++] = (conf_desc){buf[i], (uint32_t)(pa + 8u * i), 0};
        }
    }
    return 0;
}

/* Replace c->phys by memory holding exactly the collected descriptors, so
 * that lpae walks the very bytes the probe program stores. */
static int rebuild_phys(conf_cfg *c)
{
    lpae_phys *p;
    int err = conf_phys_new(&p);
    for (size_t i = 0; !err && i < c->ndesc; i++)
        err = lpae_phys_write64(p, c->descs[i].pa, c->descs[i].val);
    if (err) {
        lpae_phys_destroy(p);
        return err;
    }
    lpae_phys_destroy(c->phys);
    c->phys = p;
    return 0;
}

static uint32_t pick_va(conf_rng *r, const conf_cfg *c, const geom *g)
{
    unsigned what = (unsigned)conf_rng_below(r, 100);
    if (what < 70 && c->ntarget) {
        const conf_target *t = &c->targets[conf_rng_below(r, c->ntarget)];
        uint64_t size = (uint64_t)t->size_m1 + 1;
        uint64_t off;
        switch (conf_rng_below(r, 4)) {
        case 0:
            off = conf_rng_below(r, size < 0x2000 ? size : 0x2000);
            break;
        case 1:
            off = size - 1 - conf_rng_below(r, size < 0x2000 ? size : 0x2000);
            break;
        default:
            off = conf_rng_below(r, size);
            break;
        }
        return (uint32_t)(t->va + off);
    }
    if (what < 85) { /* region edges and the gap */
        uint64_t edges[6] = {0,
                             g->hi[0],
                             g->lo[1],
                             UINT64_C(0x100000000),
                             g->hi[0] / 2,
                             g->lo[1] + (UINT64_C(0x100000000) - g->lo[1]) / 2};
        uint64_t e = edges[conf_rng_below(r, 6)];
        int64_t d = (int64_t)conf_rng_below(r, 0x4000) - 0x2000;
        return (uint32_t)(e + (uint64_t)d);
    }
    return (uint32_t)conf_rng_next(r);
}

int conf_gen(uint64_t seed, uint32_t index, unsigned nprobe, conf_cfg *c)
{
    if (!c)
        return LPAE_EINVAL;
    memset(c, 0, sizeof *c);
    conf_rng rs = {seed ^ (UINT64_C(0xD1B54A32D192ED03) * (index + UINT64_C(1)))};
    conf_rng *r = &rs;
    (void)conf_rng_next(r);
    c->seed = seed;
    c->index = index;
    /* Consecutive pairs of configurations share a T0SZ/T1SZ split, one with
     * each kind of tables: any 128 consecutive ones cover every split twice. */
    c->kind = index % CONF_KIND_COUNT;
    unsigned t0 = (index / 2) % 8, t1 = (index / 16) % 8;
    geom g;
    geom_init(&g, t0, t1);
    uint32_t ttbcr = LPAE_TTBCR_EAE | (t0 << LPAE_TTBCR_T0SZ_SHIFT) | (t1 << LPAE_TTBCR_T1SZ_SHIFT);
    if (chance(r, 1, 8))
        ttbcr |= LPAE_TTBCR_EPD0;
    if (chance(r, 1, 8))
        ttbcr |= LPAE_TTBCR_EPD1;
    if (chance(r, 1, 2))
        ttbcr |= LPAE_TTBCR_A1;
    ttbcr |= (uint32_t)conf_rng_below(r, 64) << LPAE_TTBCR_IRGN0_SHIFT; /* IRGN0, ORGN0, SH0 */
    ttbcr |= (uint32_t)conf_rng_below(r, 64) << LPAE_TTBCR_IRGN1_SHIFT; /* IRGN1, ORGN1, SH1 */
    c->regs.ttbcr = ttbcr;
    /* 1/32 of the configurations probe with the stage-1 MMU off: ATS then
     * reports the flat mapping, which lpae must render the same way. */
    c->regs.sctlr = chance(r, 1, 32) ? 0 : LPAE_SCTLR_M;
    for (unsigned i = 0; i < 4; i++) {
        c->regs.mair0 |= (uint32_t)rand_mair_attr(r) << (8 * i);
        c->regs.mair1 |= (uint32_t)rand_mair_attr(r) << (8 * i);
    }

    int err = conf_phys_new(&c->phys);
    if (err)
        goto fail;
    /* One of WINDOW_SLOTS windows spread over the arena: table addresses
     * vary in their high bits while QEMU touches at most 64 MB of it. */
    uint64_t stride = ((CONF_ARENA_HI - CONF_ARENA_LO) / WINDOW_SLOTS) & ~(WINDOW_SIZE - 1);
    lpae_pa_t lo = CONF_ARENA_LO + conf_rng_below(r, WINDOW_SLOTS) * stride;
    lpae_pa_t hi = lo + WINDOW_SIZE;
    if (c->kind == CONF_KIND_BUILDER) {
        lpae_pgtable *pt[2] = {NULL, NULL};
        err = gen_builder(c, r, &g, lo, hi, pt);
        if (!err)
            err = collect(c, lo, hi);
        lpae_pgtable_destroy(pt[0]);
        lpae_pgtable_destroy(pt[1]);
    } else {
        err = gen_raw(c, r, &g, lo, hi);
        if (!err)
            err = collect(c, lo, hi);
    }
    if (!err)
        err = rebuild_phys(c);
    if (!err)
        err = grow((void **)&c->probes, &c->probe_cap, nprobe, sizeof *c->probes);
    if (err)
        goto fail;
    for (unsigned i = 0; i < nprobe; i++)
        c->probes[i] = (conf_probe){pick_va(r, c, &g), (uint32_t)conf_rng_below(r, 4)};
    c->nprobe = nprobe;
    return 0;
fail:
    conf_cfg_release(c);
    return err;
}
