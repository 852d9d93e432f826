/* SPDX-License-Identifier: MIT */
/* The cycle-level machine: CPUs, their TLB hierarchy, walk caches and data
 * caches, the cost model and the coherence checker. See docs/cycle-model.md. */
#include "lpae/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Never exit on allocation failure: an ASID whose record cannot be indexed
 * stays unseen and is retried on its next translation. */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) ((elt)->seen = false)
#include <uthash.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "cache/cache_impl.h"
#include "mem/phys_internal.h"
#include "tlb/tlb_impl.h"
#include "tlb/walkcache_impl.h"
#include "ttbr/regs_internal.h"
#include "ttbr/walk_impl.h"
#include "ttbr/walk_internal.h"
#include "machine/memops_internal.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Fast path: a tiny direct-mapped table per micro-TLB, indexed by VA page,
 * remembering which micro-TLB slot answered (page, ASID) last time and the
 * answer itself. It finds exactly the slot the full lookup would find; the
 * hit is then accounted by the same code (fast_hit). An entry stays valid
 * while its slot keeps its serial and the CPU's fast-path generation of
 * that micro-TLB is unchanged:
 * - a fully associative micro-TLB answers with the lowest matching slot, so
 *   removing other slots (maintenance, evictions) never changes the answer;
 *   a fill can only shadow the pages it covers: a 4 KB fill clears the one
 *   entry of its page, a larger one bumps the generation (fp_note_fill);
 * - a set-associative one probes sizes by presence, so any fill or
 *   maintenance bumps the generation;
 * - a serial wrap (serials are reused) bumps it too. */
#define FP_BITS 8
#define FP_SIZE (1u << FP_BITS)
#define FP_KEY(va, asid) (((va) & ~(lpae_va_t)0xFFFu) | (asid))
#define UMAP_INVALID 3u /* umap[] of an invalid access code */

/* Region cache: the statistics region of a VA for a TTBR selection and an
 * ASID class, with the largest VA range around it that gets the same
 * answer from the rules (see region_span: lo and hi - lo kept). The class
 * of an ASID that some rule names is the ASID, of every other ASID RC_ANY:
 * the rules answer all of those alike (rules of another ASID never apply).
 * Two blocks of RC_BLOCK entries per CPU, one for RC_ANY and one for the
 * named ASIDs, each indexed by VA[31:28] and the selection; the current
 * ASID's block and tag are found when the ASID changes (set_asid).
 * Emptied whenever the rules change. */
#define RC_BLOCK 64u
#define RC_ANY 256u
#define RC_TAG(cls, sel) (UINT32_C(1) << 20 | (uint32_t)(cls) << 8 | (sel)) /* never 0 */
#define RC_INDEX(va, sel) ((va) >> 28 << 2 | ((sel)&3u))

typedef struct rc_entry {
    uint32_t tag; /* RC_TAG, 0 when empty */
    lpae_va_t lo, span;
    uint8_t region;
} rc_entry;

/* Leaf attribute cache: the lpae_attrs a walk decodes from a leaf
 * descriptor depend only on its bits [11:2] and [54:52], the table
 * attributes gathered above it, SCTLR.WXN and SCTLR.UWXN (the permission
 * mask), and MAIR0/MAIR1 (the mair byte). A direct-mapped table per CPU of
 * AC_SIZE decoded sets, keyed by the descriptor and table bits and the
 * SCTLR bits (ac_key); key 0 is empty. The entries hold the mair byte of
 * the MAIR values in ac_mair: plan_regs() empties the table when MAIR0 or
 * MAIR1 differs from them (the registers change only through
 * lpae_cpu_set_regs()). */
#define AC_BITS 6
#define AC_SIZE (1u << AC_BITS)

typedef struct ac_entry {
    uint32_t key;
    lpae_attrs a;
} ac_entry;

/* The walk's view of TTBCR and SCTLR, derived whenever either changes
 * (plan_regs): VAs below b0 are TTBR0's, from b1 up TTBR1's, between them
 * the gap (lpae_select() as ranges); per region its TnSZ, start level, VA
 * mask and base alignment mask, and whether a walk may use it (EPDn clear)
 * and which walk caches. ok: TTBCR.EAE and SCTLR.M are set (otherwise the
 * walk is walk_rare()'s). */
typedef struct plan_region {
    uint8_t tsz, start, shift; /* TnSZ, start level, LPAE_LEVEL_SHIFT(start) */
    bool usable, use1, use2;   /* !EPDn; look up walk cache 1, 2 */
    uint32_t vam;              /* VA bits the region's tables index */
    uint64_t base_mask;        /* TTBRn BADDR bits [39:x] */
} plan_region;

typedef struct walk_plan {
    bool ok;
    uint64_t b0, b1;
    plan_region r[2];
} walk_plan;

typedef struct fp_entry {
    uint32_t key; /* FP_KEY: VA[31:12] and the ASID */
    uint32_t slot;
    uint64_t gen;       /* 0: empty (fpgen starts at 1 and only grows) */
    lpae_xstats *rx;    /* the statistics of the region the page is in */
    const uint32_t *sp; /* &the micro-TLB's e[slot].serial (read once key and gen hold) */
    uint8_t plain;      /* access codes whose hit is plain: permitted, no hit latency,
                           LRU micro-TLB (plain_hit) */
    uint32_t serial;    /* the slot's serial (lpae_tlb_entry.serial) when filled */
    lpae_xlate x;       /* the answer for a permitted access, with va 0 and pa the
                           entry's PA minus its VA (add the VA) */
} fp_entry;

typedef struct asid_rec {
    int asid; /* uthash key */
    bool seen;
    uint32_t rtag; /* set_asid()'s RC_TAG(class, 0) of this ASID (asid_classes()) */
    lpae_xstats st;
    struct rc_entry *rcb; /* set_asid()'s region cache block: the CPU's rc (RC_ANY) or
                             rc + RC_BLOCK (named) */
    UT_hash_handle hh;
} asid_rec;

struct lpae_cpu {
    /* first, for memops_internal.h's inline readers: the statistics (their
     * first member is the running cycle total), then the event id */
    lpae_cpu_stats st;
    uint64_t event;
    lpae_machine *m;
    unsigned idx;
    lpae_regs regs;
    uint32_t contextidr;
    uint8_t asid;
    uint32_t rtag;        /* RC_TAG(class of asid, 0) */
    struct rc_entry *rcb; /* rc's block of that class */
    bool mmu_on;
    bool checking;     /* copy of (m->chk != NULL) */
    bool fast;         /* mmu_on && !checking: the fast path applies (one load) */
    uint8_t umap[8];   /* access code -> micro-TLB index */
    uint8_t fmap[8];   /* umap when fast, else all UMAP_INVALID: one test on the fast path */
    lpae_tlb *utlb[3]; /* I, DL, DS (DS may be NULL) */
    fp_entry *fpt[3];  /* fp[u]: an entry's address without the stride of fp's rows */
    uint32_t ulat[3];
    lpae_tlb *mtlb;
    bool ufa[3];           /* utlb[u] takes tlb_insert_fa (fully associative, LRU) */
    bool lean[3];          /* ufa[u] && mtlb_sa: translate_miss()'s main-TLB hit */
    bool mtlb_sa;          /* mtlb takes tlb_insert_sa (set-associative LRU, <= 64 ways) */
    bool walk_fast;        /* plan.ok && !checking (plan_regs(), set_fast()): walk() applies */
    lpae_tlb *tlbi_fa[5];  /* tlbi_direct: the micro-TLBs and both walk caches' TLBs */
    uint64_t *tlbi_bk[5];  /* tlbi_one: tlbi_fa[k]->fa (its one size's buckets) */
    uint8_t tlbi_sh[5];    /* tlbi_one: tlbi_fa[k]->shifts[0] */
    bool tlbi_one;         /* tlbi_direct, each of tlbi_fa holds one size, the same in
                              the three micro-TLBs */
    bool tlbi_fast;        /* tlbi_direct && !checking (set_fast()) */
    bool tlbi_direct;      /* TLBI by VA: three fully associative micro-TLBs with slot masks,
                              a main TLB with valid-way masks and both walk caches, and
                              micro-TLBs not flushed whole on a TLBI (tlbi_va_direct) */
    lpae_walkcache *wc[3]; /* [1], [2]; NULL when absent */
    lpae_cache *l1d;
    asid_rec *asid_recs;  /* 256 preallocated records */
    asid_rec *asid_index; /* uthash of the ASIDs seen, first-seen order */
    asid_rec *cur;        /* record of the current ASID */
    lpae_xstats region[LPAE_MAX_REGIONS + 1];
    walk_plan plan;            /* from regs: plan_regs() */
    uint64_t ttbr_bad[2];      /* TTBRn bits lpae_regs_set_ttbr() refuses (plan_regs()) */
    rc_entry rc[2 * RC_BLOCK]; /* region cache: RC_ANY's block, then the named ASIDs' */
    ac_entry ac[AC_SIZE];      /* leaf attribute cache */
    uint32_t ac_mair[2];       /* MAIR0, MAIR1 of the entries of ac */
    uint32_t ac_sk;            /* ac_key()'s SCTLR bits (plan_regs()) */
    uint64_t fpgen[3];         /* fast-path generation per micro-TLB */
    fp_entry fp[3][FP_SIZE];
};

_Static_assert(offsetof(struct lpae_cpu, st) == 0 && offsetof(lpae_cpu_stats, cycles) == 0 &&
                   offsetof(struct lpae_cpu, event) == sizeof(lpae_cpu_stats),
               "memops_internal.h reads the cycle total and writes the event id in place");

struct lpae_machine {
    lpae_cost *cost;
    uint32_t p[LPAE_P_COUNT];
    uint8_t pcat[LPAE_P_COUNT]; /* category of each cycles parameter; PCAT_NONE otherwise */
    lpae_phys *phys;
    unsigned ncpus;
    lpae_cache *l2;
    lpae_region_rule rules[LPAE_MAX_REGIONS];
    size_t nrules;
    uint64_t ruled[4]; /* bit a: some rule names ASID a */
    lpae_coherence_fn chk;
    void *chk_ctx;
    uint32_t mem_lat[LPAE_MEM_LEVELS];
    uint32_t copy_line[LPAE_MEM_LEVELS];
    lpae_cpu *cpu[LPAE_MAX_CPUS];
};

#define PCAT_NONE 0xFFu

static const char *const struct_names[LPAE_ST_COUNT] = {"utlb-i", "utlb-dl", "utlb-ds",
                                                        "mtlb",   "wc-l1",   "wc-l2"};
static const char *const tlbi_names[LPAE_TLBI_KINDS] = {"TLBIALL", "TLBIASID", "TLBIMVA",
                                                        "TLBIMVAA"};

const char *lpae_struct_name(unsigned s)
{
    return s < LPAE_ST_COUNT ? struct_names[s] : "?";
}

const char *lpae_tlbi_name(unsigned kind)
{
    return kind < LPAE_TLBI_KINDS ? tlbi_names[kind] : "?";
}

static lpae_cycles_t total(const lpae_cpu *cpu)
{
    return cpu->st.cycles; /* kept equal to the sum of the categories by every charge */
}

static inline void charge(lpae_cpu *cpu, lpae_cat cat, lpae_cycles_t c)
{
    lpae_cpu_charge_in(cpu, cat, c);
}

/* ---- creation ----------------------------------------------------------- */

static uint64_t mix_seed(uint64_t seed, unsigned cpu, unsigned s)
{
    uint64_t x = seed + UINT64_C(0x9E3779B97F4A7C15) * (cpu * 16u + s + 1u);
    x ^= x >> 31;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    x ^= x >> 29;
    return x ? x : 1;
}

static void fp_flush(lpae_cpu *cpu)
{
    memset(cpu->fp, 0, sizeof cpu->fp);
}

static void set_fast(lpae_cpu *cpu)
{
    cpu->fast = cpu->mmu_on && !cpu->checking;
    cpu->tlbi_fast = cpu->tlbi_direct && !cpu->checking;
    cpu->walk_fast = cpu->plan.ok && !cpu->checking;
    if (cpu->fast)
        memcpy(cpu->fmap, cpu->umap, sizeof cpu->fmap);
    else
        memset(cpu->fmap, UMAP_INVALID, sizeof cpu->fmap);
}

/* Every ASID record's region class from the machine's rules (m->ruled):
 * at creation and after every change of the rules. */
static void asid_classes(lpae_cpu *cpu)
{
    for (unsigned a = 0; a < 256; a++) {
        bool named = (cpu->m->ruled[a >> 6] >> (a & 63)) & 1u;
        cpu->asid_recs[a].rtag = RC_TAG(named ? a : RC_ANY, 0);
        cpu->asid_recs[a].rcb = cpu->rc + (named ? RC_BLOCK : 0);
    }
}

/* The current ASID from the registers: its record and region class (the
 * record's, from asid_classes()). */
static inline void set_asid(lpae_cpu *cpu)
{
    uint8_t a = lpae_asid_of(&cpu->regs);
    asid_rec *r = &cpu->asid_recs[a];
    cpu->asid = a;
    cpu->rtag = r->rtag;
    cpu->rcb = r->rcb;
    cpu->cur = r;
}

static void set_cur_asid(lpae_cpu *cpu)
{
    set_asid(cpu);
    cpu->mmu_on = (cpu->regs.sctlr & LPAE_SCTLR_M) != 0;
    set_fast(cpu);
}

/* cpu->plan from cpu->regs: call after every TTBCR or SCTLR change. */
/* ac_key()'s bits of SCTLR value @p sctlr: WXN and UWXN, and bit 20 (a
 * key is never 0). */
static uint32_t ac_sctlr_bits(uint32_t sctlr)
{
    return ((sctlr & (LPAE_SCTLR_WXN | LPAE_SCTLR_UWXN)) >> 19) << 18 | UINT32_C(1) << 20;
}

static void plan_regs(lpae_cpu *cpu)
{
    uint32_t ttbcr = cpu->regs.ttbcr;
    walk_plan *pl = &cpu->plan;
    unsigned t0 = lpae_ttbcr_t0sz(ttbcr), t1 = lpae_ttbcr_t1sz(ttbcr);
    uint64_t top = UINT64_C(1) << 32;
    uint64_t bot1 = t1 ? top - (UINT64_C(1) << (32u - t1)) : top;
    pl->ok = (ttbcr & LPAE_TTBCR_EAE) && (cpu->regs.sctlr & LPAE_SCTLR_M);
    cpu->walk_fast = pl->ok && !cpu->checking;
    /* lpae_select(): TTBR0's T0SZ region first, then TTBR1's T1SZ region;
     * a region whose TnSZ is 0 takes every VA the other leaves */
    pl->b0 = t0 ? UINT64_C(1) << (32u - t0) : bot1;
    pl->b1 = t1 ? bot1 : pl->b0;
    cpu->ac_sk = ac_sctlr_bits(cpu->regs.sctlr);
    if (cpu->ac_mair[0] != cpu->regs.mair0 || cpu->ac_mair[1] != cpu->regs.mair1) {
        memset(cpu->ac, 0, sizeof cpu->ac); /* their mair bytes are stale */
        cpu->ac_mair[0] = cpu->regs.mair0;
        cpu->ac_mair[1] = cpu->regs.mair1;
    }
    for (unsigned r = 0; r < 2; r++) {
        plan_region *pr = &pl->r[r];
        unsigned tsz = r ? t1 : t0;
        pr->tsz = (uint8_t)tsz;
        pr->start = (uint8_t)lpae_start_level(tsz);
        pr->shift = (uint8_t)LPAE_LEVEL_SHIFT(pr->start);
        pr->usable = !(ttbcr & (r ? LPAE_TTBCR_EPD1 : LPAE_TTBCR_EPD0));
        pr->use1 = cpu->wc[1] && pr->start == 1;
        pr->use2 = cpu->wc[2] != NULL; /* start levels are 1 or 2 */
        pr->vam = UINT32_MAX >> tsz;
        pr->base_mask = LPAE_TTBR_BADDR_MASK & ~((UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u);
        /* what lpae_regs_set_ttbr() refuses: RES0 bits, BADDR below x */
        cpu->ttbr_bad[r] = LPAE_TTBR_RES0 | ((UINT64_C(1) << lpae_baddr_shift(tsz)) - 1u);
    }
}

static void cpu_destroy(lpae_cpu *cpu)
{
    if (!cpu)
        return;
    for (int i = 0; i < 3; i++) {
        lpae_tlb_destroy(cpu->utlb[i]);
        lpae_walkcache_destroy(cpu->wc[i]);
    }
    lpae_tlb_destroy(cpu->mtlb);
    lpae_cache_destroy(cpu->l1d);
    HASH_CLEAR(hh, cpu->asid_index);
    free(cpu->asid_recs);
    free(cpu);
}

static int cpu_create(lpae_machine *m, unsigned idx, uint64_t seed, lpae_cpu **out)
{
    const uint32_t *p = m->p;
    lpae_cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu)
        return LPAE_ENOMEM;
    cpu->m = m;
    cpu->idx = idx;
    int rc = LPAE_OK;
    static const lpae_param ub[3] = {LPAE_P_UTLB_I_ENTRIES, LPAE_P_UTLB_DL_ENTRIES,
                                     LPAE_P_UTLB_DS_ENTRIES};
    for (unsigned u = 0; u < 3 && !rc; u++) {
        lpae_param b = ub[u]; /* entries, ways, sizes, repl, latency follow in order */
        if (p[b] == 0)
            continue;
        lpae_tlb_config tc = {p[b], p[b + 1], p[b + 2], p[b + 3], mix_seed(seed, idx, u)};
        rc = lpae_tlb_create(&tc, &cpu->utlb[u]);
        cpu->ulat[u] = p[b + 4];
    }
    if (!rc && !cpu->utlb[0])
        rc = LPAE_EINVAL;
    if (!rc && !cpu->utlb[1])
        rc = LPAE_EINVAL;
    if (!rc) {
        lpae_tlb_config tc = {p[LPAE_P_MTLB_ENTRIES], p[LPAE_P_MTLB_WAYS], p[LPAE_P_MTLB_SIZES],
                              p[LPAE_P_MTLB_REPL], mix_seed(seed, idx, 3)};
        rc = lpae_tlb_create(&tc, &cpu->mtlb);
    }
    for (unsigned l = 1; l <= 2 && !rc; l++) {
        lpae_param e = l == 1 ? LPAE_P_WC1_ENTRIES : LPAE_P_WC2_ENTRIES;
        if (p[e] == 0)
            continue;
        lpae_walkcache_config wc = {p[e],
                                    p[e + 1],
                                    p[LPAE_P_WC_REPL],
                                    l,
                                    p[LPAE_P_WC_ASID_TAGGED] != 0,
                                    mix_seed(seed, idx, 3 + l)};
        rc = lpae_walkcache_create(&wc, &cpu->wc[l]);
    }
    if (!rc) {
        lpae_cache_config cc = {p[LPAE_P_L1D_SIZE], p[LPAE_P_L1D_WAYS], p[LPAE_P_L1D_LINE]};
        rc = lpae_cache_create(&cc, &cpu->l1d);
    }
    if (!rc) {
        cpu->asid_recs = calloc(256, sizeof *cpu->asid_recs);
        if (!cpu->asid_recs)
            rc = LPAE_ENOMEM;
    }
    if (rc) {
        cpu_destroy(cpu);
        return rc;
    }
    for (int a = 0; a < 256; a++)
        cpu->asid_recs[a].asid = a;
    asid_classes(cpu);
    for (unsigned u = 0; u < 3; u++)
        cpu->ufa[u] =
            cpu->utlb[u] && cpu->utlb[u]->fa && cpu->utlb[u]->repl.policy == LPAE_REPL_LRU;
    cpu->mtlb_sa = cpu->mtlb->vmask && !cpu->mtlb->fa && cpu->mtlb->repl.policy == LPAE_REPL_LRU;
    for (unsigned u = 0; u < 3; u++)
        cpu->lean[u] = cpu->ufa[u] && cpu->mtlb_sa;
    cpu->tlbi_direct = cpu->mtlb->vmask && !cpu->mtlb->fa && cpu->wc[1] && cpu->wc[1]->t->fa &&
                       cpu->wc[1]->t->amask && cpu->wc[2] && cpu->wc[2]->t->fa &&
                       cpu->wc[2]->t->amask && p[LPAE_P_UTLB_FLUSH_TLBI] == 0;
    for (unsigned u = 0; u < 3; u++)
        cpu->tlbi_direct = cpu->tlbi_direct && cpu->utlb[u] && cpu->utlb[u]->fa;
    if (cpu->tlbi_direct) {
        lpae_tlb *fa[5] = {cpu->utlb[0], cpu->utlb[1], cpu->utlb[2], cpu->wc[1]->t, cpu->wc[2]->t};
        cpu->tlbi_one = true;
        for (unsigned k = 0; k < 5; k++) {
            cpu->tlbi_fa[k] = fa[k];
            cpu->tlbi_bk[k] = fa[k]->fa; /* never reallocated */
            cpu->tlbi_sh[k] = fa[k]->shifts[0];
            cpu->tlbi_one = cpu->tlbi_one && fa[k]->nsizes == 1;
        }
        /* tlbi_va_direct(): the micro-TLBs' one size is the same */
        cpu->tlbi_one = cpu->tlbi_one && cpu->tlbi_sh[1] == cpu->tlbi_sh[0] &&
                        cpu->tlbi_sh[2] == cpu->tlbi_sh[0];
    }
    for (unsigned u = 0; u < 3; u++) {
        cpu->fpgen[u] = 1;
        cpu->fpt[u] = cpu->fp[u];
    }
    for (unsigned acc = 0; acc < 8; acc++)
        cpu->umap[acc] = !LPAE_ACC_VALID(acc)     ? UMAP_INVALID
                         : (acc & LPAE_ACC_EXEC)  ? 0
                         : (acc & LPAE_ACC_WRITE) ? (cpu->utlb[2] ? 2 : 1)
                                                  : 1;
    lpae_regs_init(&cpu->regs);
    set_cur_asid(cpu);
    plan_regs(cpu);
    *out = cpu;
    return LPAE_OK;
}

int lpae_machine_create(const lpae_machine_config *cfg, lpae_machine **out)
{
    if (!cfg || !out || !cfg->cost || !cfg->phys || cfg->ncpus < 1 || cfg->ncpus > LPAE_MAX_CPUS ||
        lpae_cost_check(cfg->cost, NULL))
        return LPAE_EINVAL;
    lpae_machine *m = calloc(1, sizeof *m);
    if (!m)
        return LPAE_ENOMEM;
    int rc = lpae_cost_clone(cfg->cost, &m->cost);
    if (rc) {
        free(m);
        return rc;
    }
    for (int i = 0; i < LPAE_P_COUNT; i++) {
        m->p[i] = lpae_cost_get(m->cost, (lpae_param)i);
        const lpae_param_info *in = lpae_param_get_info((lpae_param)i);
        m->pcat[i] = in && in->type == LPAE_PT_CYCLES ? (uint8_t)in->cat : PCAT_NONE;
    }
    m->phys = cfg->phys;
    m->ncpus = cfg->ncpus;
    m->mem_lat[LPAE_MEM_L1D] = m->p[LPAE_P_L1D_LATENCY];
    m->mem_lat[LPAE_MEM_L2] = m->p[LPAE_P_L2_LATENCY];
    m->mem_lat[LPAE_MEM_DRAM] = m->p[LPAE_P_DRAM_LATENCY];
    m->copy_line[LPAE_MEM_L1D] = m->p[LPAE_P_COPY_LINE_L1D];
    m->copy_line[LPAE_MEM_L2] = m->p[LPAE_P_COPY_LINE_L2];
    m->copy_line[LPAE_MEM_DRAM] = m->p[LPAE_P_COPY_LINE_DRAM];
    lpae_cache_config l2 = {m->p[LPAE_P_L2_SIZE], m->p[LPAE_P_L2_WAYS], m->p[LPAE_P_L2_LINE]};
    rc = lpae_cache_create(&l2, &m->l2);
    for (unsigned i = 0; i < cfg->ncpus && !rc; i++)
        rc = cpu_create(m, i, cfg->seed, &m->cpu[i]);
    if (rc) {
        lpae_machine_destroy(m);
        return rc;
    }
    lpae_region_rule def[2] = {{"ttbr0", 0, 0xFFFFFFFFu, LPAE_SEL_TTBR0, -1},
                               {"ttbr1", 0, 0xFFFFFFFFu, LPAE_SEL_TTBR1, -1}};
    lpae_machine_set_regions(m, def, 2);
    *out = m;
    return LPAE_OK;
}

void lpae_machine_destroy(lpae_machine *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < LPAE_MAX_CPUS; i++)
        cpu_destroy(m->cpu[i]);
    lpae_cache_destroy(m->l2);
    lpae_cost_destroy(m->cost);
    free(m);
}

unsigned lpae_machine_ncpus(const lpae_machine *m)
{
    return m ? m->ncpus : 0;
}

lpae_cpu *lpae_machine_cpu(lpae_machine *m, unsigned i)
{
    return m && i < m->ncpus ? m->cpu[i] : NULL;
}

const lpae_cost *lpae_machine_cost(const lpae_machine *m)
{
    return m ? m->cost : NULL;
}

void lpae_machine_flush_caches(lpae_machine *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->ncpus; i++)
        lpae_cache_flush(m->cpu[i]->l1d);
    lpae_cache_flush(m->l2);
}

const lpae_cache *lpae_machine_l2(const lpae_machine *m)
{
    return m ? m->l2 : NULL;
}

/* ---- regions -------------------------------------------------------------- */

int lpae_machine_set_regions(lpae_machine *m, const lpae_region_rule *rules, size_t n)
{
    if (!m || (!rules && n) || n > LPAE_MAX_REGIONS)
        return LPAE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const lpae_region_rule *r = &rules[i];
        /* page-aligned ranges: the fast path classifies per 4 KB page */
        if (r->lo > r->hi || (r->lo & 0xFFFu) || (r->hi & 0xFFFu) != 0xFFFu || r->sel < -1 ||
            r->sel > LPAE_SEL_TTBR1 || r->asid < -1 || r->asid > 255 ||
            !memchr(r->name, '\0', sizeof r->name))
            return LPAE_EINVAL;
    }
    if (n)
        memcpy(m->rules, rules, n * sizeof *rules);
    m->nrules = n;
    memset(m->ruled, 0, sizeof m->ruled);
    for (size_t i = 0; i < n; i++)
        if (rules[i].asid >= 0)
            m->ruled[rules[i].asid >> 6] |= UINT64_C(1) << (rules[i].asid & 63);
    for (unsigned c = 0; c < m->ncpus; c++) {
        lpae_cpu *cpu = m->cpu[c];
        memset(cpu->region, 0, sizeof cpu->region);
        fp_flush(cpu);
        memset(cpu->rc, 0, sizeof cpu->rc);
        asid_classes(cpu);
        set_cur_asid(cpu); /* its class */
    }
    return LPAE_OK;
}

size_t lpae_machine_region_count(const lpae_machine *m)
{
    return m ? m->nrules + 1 : 0;
}

const char *lpae_machine_region_name(const lpae_machine *m, size_t i)
{
    if (!m || i > m->nrules)
        return "";
    return i == m->nrules ? "other" : m->rules[i].name;
}

static inline uint8_t classify(const lpae_machine *m, lpae_va_t va, unsigned sel, uint8_t asid)
{
    for (size_t i = 0; i < m->nrules; i++) {
        const lpae_region_rule *r = &m->rules[i];
        if (va >= r->lo && va <= r->hi && (r->sel < 0 || (unsigned)r->sel == sel) &&
            (r->asid < 0 || r->asid == asid))
            return (uint8_t)i;
    }
    return (uint8_t)m->nrules;
}

/* classify() of @p va, with in *@p lo and *@p hi the largest range around
 * it whose every VA classify() puts in the same region: within the answer's
 * rule (all VAs when none matches), outside every earlier rule that applies
 * to @p sel and @p asid (they do not hold va). */
static uint8_t region_span(const lpae_machine *m, lpae_va_t va, unsigned sel, uint8_t asid,
                           lpae_va_t *lo, lpae_va_t *hi)
{
    lpae_va_t l = 0, h = UINT32_MAX;
    size_t i;
    for (i = 0; i < m->nrules; i++) {
        const lpae_region_rule *r = &m->rules[i];
        if ((r->sel >= 0 && (unsigned)r->sel != sel) || (r->asid >= 0 && r->asid != asid))
            continue;
        if (va >= r->lo && va <= r->hi) {
            if (r->lo > l)
                l = r->lo;
            if (r->hi < h)
                h = r->hi;
            break;
        }
        if (r->hi < va && r->hi + 1u > l)
            l = r->hi + 1u;
        else if (r->lo > va && r->lo - 1u < h)
            h = r->lo - 1u;
    }
    *lo = l;
    *hi = h;
    return (uint8_t)i;
}

/* classify() for @p cpu's current ASID through its region cache. */
static inline __attribute__((always_inline)) uint8_t region_of(lpae_cpu *cpu, lpae_va_t va,
                                                               unsigned sel)
{
    rc_entry *e = &cpu->rcb[RC_INDEX(va, sel)];
    uint32_t tag = cpu->rtag | sel;
    if (LIKELY(e->tag == tag && va - e->lo <= e->span))
        return e->region;
    lpae_va_t lo, hi;
    e->tag = tag;
    e->region = region_span(cpu->m, va, sel, cpu->asid, &lo, &hi);
    e->lo = lo;
    e->span = hi - lo;
    return e->region;
}

/* ---- accounting ----------------------------------------------------------- */

/* The counters as users see them: translations derived from where they ended. */
static lpae_xstats xstats_view(const lpae_xstats *x)
{
    lpae_xstats v = *x;
    v.translations = v.utlb_hits + v.mtlb_hits + v.walks + v.flat;
    return v;
}

static inline void xstats_add(lpae_xstats *x, const lpae_xlate *o)
{
    switch (o->src) {
    case LPAE_XS_FLAT:
        x->flat++;
        break;
    case LPAE_XS_UTLB:
        x->utlb_hits++;
        break;
    case LPAE_XS_MTLB:
        x->mtlb_hits++;
        break;
    case LPAE_XS_WALK:
        x->walks++;
        break;
    default:
        break;
    }
    x->faults += o->fault != LPAE_FAULT_NONE;
    x->fetches += o->nfetch;
    x->cycles += o->cycles;
}

static void asid_seen(lpae_cpu *cpu)
{
    asid_rec *r = cpu->cur;
    r->seen = true;
    HASH_ADD_INT(cpu->asid_index, asid, r);
    /* xstats are kept whether or not indexing succeeded */
}

static inline void account(lpae_cpu *cpu, const lpae_xlate *o)
{
    cpu->st.faults += o->fault != LPAE_FAULT_NONE;
    if (UNLIKELY(!cpu->cur->seen))
        asid_seen(cpu);
    xstats_add(&cpu->cur->st, o);
    xstats_add(&cpu->region[o->region], o);
}

/* account() of a translation whose source is the constant @p src (it is
 * o->src): the counter is chosen at compile time. */
static inline __attribute__((always_inline)) void account_src(lpae_cpu *cpu, const lpae_xlate *o,
                                                              uint8_t src)
{
    if (UNLIKELY(!cpu->cur->seen))
        asid_seen(cpu);
    lpae_xstats *x[2] = {&cpu->cur->st, &cpu->region[o->region]};
    unsigned fault = o->fault != LPAE_FAULT_NONE;
    if (src == LPAE_XS_MTLB) { /* no fetches; faults (permission) rare */
        if (UNLIKELY(fault)) {
            cpu->st.faults++;
            x[0]->faults++;
            x[1]->faults++;
        }
        lpae_cycles_t cycles = o->cycles; /* read before the stores */
        for (int k = 0; k < 2; k++) {
            x[k]->mtlb_hits++;
            x[k]->cycles += cycles;
        }
        return;
    }
    cpu->st.faults += fault;
    /* read before the stores, which the compiler cannot tell from o's */
    uint64_t nfetch = o->nfetch;
    lpae_cycles_t cycles = o->cycles;
    for (int k = 0; k < 2; k++) {
        x[k]->walks++;
        x[k]->fetches += nfetch;
        x[k]->faults += fault;
        x[k]->cycles += cycles;
    }
}

static inline __attribute__((always_inline)) void
from_entry(lpae_xlate *o, const lpae_tlb_entry *e, lpae_va_t va, unsigned access, uint8_t asid)
{
    o->va = va;
    o->pa = e->pa + (va - e->va);
    o->attrs = e->attrs;
    o->level = e->level;
    o->size_shift = e->leaf_shift;
    o->sel = e->sel;
    o->asid = asid;
    o->start_level = 0;
    o->nfetch = 0;
    if ((e->attrs.perm >> access) & 1u) {
        o->fault = LPAE_FAULT_NONE;
        o->fsc = 0;
    } else {
        o->fault = LPAE_FAULT_PERMISSION;
        o->fsc = (uint8_t)LPAE_FSC_PERMISSION(e->level);
    }
}

/* from_entry() with o->src = @p src, checker off: fsc (0), level,
 * size_shift, sel, asid, src, start_level and nfetch (0) stored as one
 * word, made from @p e's leaf_shift, level, asid and sel read as one. */
_Static_assert(offsetof(lpae_xlate, level) == offsetof(lpae_xlate, fsc) + 1 &&
                   offsetof(lpae_xlate, size_shift) == offsetof(lpae_xlate, fsc) + 2 &&
                   offsetof(lpae_xlate, sel) == offsetof(lpae_xlate, fsc) + 3 &&
                   offsetof(lpae_xlate, asid) == offsetof(lpae_xlate, fsc) + 4 &&
                   offsetof(lpae_xlate, src) == offsetof(lpae_xlate, fsc) + 5 &&
                   offsetof(lpae_xlate, start_level) == offsetof(lpae_xlate, fsc) + 6 &&
                   offsetof(lpae_xlate, nfetch) == offsetof(lpae_xlate, fsc) + 7 &&
                   offsetof(lpae_tlb_entry, level) == offsetof(lpae_tlb_entry, leaf_shift) + 1 &&
                   offsetof(lpae_tlb_entry, asid) == offsetof(lpae_tlb_entry, leaf_shift) + 2 &&
                   offsetof(lpae_tlb_entry, sel) == offsetof(lpae_tlb_entry, leaf_shift) + 3,
               "from_entry_word: the bytes sit as it reads and writes them");
static inline __attribute__((always_inline)) void
from_entry_word(lpae_xlate *o, const lpae_tlb_entry *e, lpae_va_t va, unsigned access, uint8_t asid,
                uint8_t src, bool permitted)
{
    o->va = va;
    o->pa = e->pa + (va - e->va);
    o->attrs = e->attrs;
    o->fault = LPAE_FAULT_NONE;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t b; /* leaf_shift, level, asid, sel */
    memcpy(&b, (const unsigned char *)e + offsetof(lpae_tlb_entry, leaf_shift), sizeof b);
    /* fsc 0, level, size_shift (the leaf's), sel, asid, src, 0, 0 */
    uint64_t w =
        (b & UINT32_C(0xFF00FF00)) | (b & 0xFFu) << 16 | (uint64_t)asid << 32 | (uint64_t)src << 40;
    memcpy((unsigned char *)o + offsetof(lpae_xlate, fsc), &w, sizeof w);
#else
    o->fsc = 0;
    o->level = e->level;
    o->size_shift = e->leaf_shift;
    o->sel = e->sel;
    o->asid = asid;
    o->src = src;
    o->start_level = 0;
    o->nfetch = 0;
#endif
    if (!permitted && UNLIKELY(!((e->attrs.perm >> access) & 1u))) {
        o->fault = LPAE_FAULT_PERMISSION;
        o->fsc = (uint8_t)LPAE_FSC_PERMISSION(e->level);
    }
}

/* Make @p f describe a hit of micro-TLB @p u's slot @p slot for @p va (of
 * region @p region) under the current ASID, in the generation it has now. */
static void fp_fill(lpae_cpu *cpu, unsigned u, size_t slot, lpae_va_t va, uint8_t region,
                    fp_entry *f)
{
    const lpae_tlb *t = cpu->utlb[u];
    const lpae_tlb_entry *e = &t->e[slot];
    f->key = FP_KEY(va, cpu->asid);
    f->slot = (uint32_t)slot;
    f->sp = &e->serial;
    f->gen = cpu->fpgen[u];
    f->serial = e->serial;
    f->rx = &cpu->region[region];
    f->plain = cpu->ulat[u] || t->repl.policy != LPAE_REPL_LRU ? 0 : e->attrs.perm;
    lpae_xlate *x = &f->x; /* every field, as from_entry() for a permitted access */
    x->va = 0;
    x->pa = e->pa - e->va;
    x->attrs = e->attrs;
    x->fault = LPAE_FAULT_NONE;
    x->fsc = 0;
    x->level = e->level;
    x->size_shift = e->leaf_shift;
    x->sel = e->sel;
    x->asid = cpu->asid;
    x->src = LPAE_XS_UTLB;
    x->start_level = 0;
    x->nfetch = 0;
    x->region = region;
    x->cycles = cpu->ulat[u];
}

/* The rarer parts of a micro-TLB hit: a permission fault, a hit latency. */
static __attribute__((noinline)) void hit_extra(lpae_cpu *cpu, unsigned u, const fp_entry *f,
                                                unsigned access, lpae_xlate *o)
{
    lpae_xstats *x[2] = {&cpu->cur->st, f->rx};
    lpae_cpu_stats *st = &cpu->st;
    if (!((f->x.attrs.perm >> access) & 1u)) {
        o->fault = LPAE_FAULT_PERMISSION;
        o->fsc = (uint8_t)LPAE_FSC_PERMISSION(f->x.level);
        st->faults++;
        for (int i = 0; i < 2; i++)
            x[i]->faults++;
    }
    lpae_cycles_t c = f->x.cycles;
    if (c) {
        st->cat[LPAE_CAT_TLB] += c;
        st->cycles += c;
        st->tlb_cycles[u] += c;
        for (int i = 0; i < 2; i++)
            x[i]->cycles += c;
    }
}

/* A micro-TLB hit described by @p f: shared by the fast and the full path,
 * so both account identically. */
static __attribute__((noinline)) int fast_hit(lpae_cpu *cpu, const fp_entry *f, lpae_va_t va,
                                              unsigned access, lpae_xlate *o)
{
    unsigned u = cpu->umap[access];
    *o = f->x;
    o->va = va;
    o->pa = f->x.pa + va;
    tlb_hit(cpu->utlb[u], f->slot);
    if (UNLIKELY(!cpu->cur->seen))
        asid_seen(cpu);
    cpu->cur->st.utlb_hits++; /* translations are derived when read */
    f->rx->utlb_hits++;
    if (UNLIKELY(!((f->x.attrs.perm >> access) & 1u) | (f->x.cycles != 0)))
        hit_extra(cpu, u, f, access, o);
    return LPAE_OK;
}

/* The accounting of a plain hit (f->plain has the access, the ASID has
 * been seen) of micro-TLB @p t: fast_hit()'s, without the extras. Shared by
 * plain_hit() and lpae_cpu_touch()'s fused hit. */
static inline __attribute__((always_inline)) void plain_account(lpae_cpu *cpu, lpae_tlb *t,
                                                                const fp_entry *f)
{
    t->st.hits++;
    repl_lru_touch(&t->repl, f->slot);
    cpu->cur->st.utlb_hits++;
    f->rx->utlb_hits++;
}

/* Whether fast-path entry @p f may be hit by @p access: the hit is plain
 * and the ASID has been seen (plain_hit() applies, else fast_hit()). */
static inline __attribute__((always_inline)) bool plain_ok(const lpae_cpu *cpu, const fp_entry *f,
                                                           unsigned access)
{
    return LIKELY((f->plain >> access) & 1u) && LIKELY(cpu->cur->seen);
}

/* fast_hit() when plain_ok(): no calls, no spills. */
static inline __attribute__((always_inline)) void
plain_hit(lpae_cpu *cpu, lpae_tlb *t, const fp_entry *f, lpae_va_t va, lpae_xlate *o)
{
    *o = f->x;
    o->va = va;
    o->pa = f->x.pa + va;
    plain_account(cpu, t, f);
}

/* The fast-path entry of micro-TLB @p u (of a fast CPU: u is its fmap[] of
 * a valid access) that answers @p va under the current ASID, or NULL:
 * the entry of the page's row whose key, generation and slot serial all
 * still hold. */
static inline __attribute__((always_inline)) const fp_entry *fp_lookup(const lpae_cpu *cpu,
                                                                       unsigned u, lpae_va_t va)
{
    const fp_entry *f = &cpu->fpt[u][(va >> 12) & (FP_SIZE - 1)];
    if (LIKELY(f->key == FP_KEY(va, cpu->asid) && f->gen == cpu->fpgen[u] && *f->sp == f->serial))
        return f;
    return NULL;
}

/* ---- coherence checker ------------------------------------------------------ */

static bool attrs_equal(const lpae_attrs *a, const lpae_attrs *b)
{
    return a->mair == b->mair && a->attrindx == b->attrindx && a->sh == b->sh && a->ap == b->ap &&
           a->aptable == b->aptable && a->perm == b->perm && a->ns == b->ns && a->ng == b->ng &&
           a->contiguous == b->contiguous && a->xn == b->xn && a->pxn == b->pxn;
}

static void report_init(lpae_cpu *cpu, lpae_coherence_report *r, lpae_va_t va, unsigned access,
                        unsigned s)
{
    memset(r, 0, sizeof *r);
    r->cpu = cpu->idx;
    r->event = cpu->event;
    r->va = va;
    r->asid = cpu->asid;
    r->access = (uint8_t)access;
    r->structure = (uint8_t)s;
}

static void emit(lpae_cpu *cpu, const lpae_coherence_report *r)
{
    cpu->st.coherence_reports++;
    cpu->m->chk(cpu->m->chk_ctx, r);
}

static void check_tlb(lpae_cpu *cpu, unsigned s, const lpae_tlb_entry *e, lpae_va_t va,
                      unsigned access)
{
    lpae_walk_result w;
    if (lpae_walk(&cpu->regs, cpu->m->phys, va, access, &w))
        return;
    lpae_pa_t pa = e->pa + (va - e->va);
    bool present = w.fault == LPAE_FAULT_NONE || w.fault == LPAE_FAULT_PERMISSION;
    if (present && w.pa == pa && w.level == e->level && w.size_shift == e->leaf_shift &&
        attrs_equal(&w.attrs, &e->attrs))
        return;
    lpae_coherence_report r;
    report_init(cpu, &r, va, access, s);
    r.cached_pa = pa;
    r.cached_attrs = e->attrs;
    r.cached_level = e->level;
    r.cached_shift = e->leaf_shift;
    r.entry_asid = e->asid;
    r.entry_global = e->global;
    r.cur_fault = w.fault;
    r.cur_level = w.level;
    if (present) {
        r.cur_pa = w.pa;
        r.cur_attrs = w.attrs;
        r.cur_shift = w.size_shift;
    }
    emit(cpu, &r);
}

static void check_wc(lpae_cpu *cpu, unsigned s, const lpae_wc_entry *e, lpae_va_t va,
                     unsigned access)
{
    lpae_walk_result w;
    if (lpae_walk(&cpu->regs, cpu->m->phys, va, access, &w))
        return;
    const lpae_fetch *f = NULL;
    for (unsigned k = 0; k < w.nfetch; k++)
        if (w.fetch[k].level == e->level)
            f = &w.fetch[k];
    bool table = f && (f->desc & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_TABLE;
    if (table && (f->desc & LPAE_DESC_ADDR_MASK) == e->table_pa && f->table_attrs == e->table_attrs)
        return;
    lpae_coherence_report r;
    report_init(cpu, &r, va, access, s);
    r.cached_pa = e->table_pa;
    r.cached_level = e->level;
    r.cached_shift = e->table_attrs;
    r.entry_asid = e->asid;
    r.entry_global = false;
    r.cur_fault = w.fault;
    r.cur_level = e->level;
    if (table) {
        r.cur_pa = f->desc & LPAE_DESC_ADDR_MASK;
        r.cur_shift = f->table_attrs;
    }
    emit(cpu, &r);
}

void lpae_machine_set_checker(lpae_machine *m, lpae_coherence_fn fn, void *ctx)
{
    if (!m)
        return;
    m->chk = fn;
    m->chk_ctx = ctx;
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu[i]->checking = fn != NULL;
        set_fast(m->cpu[i]);
    }
}

int lpae_coherence_format(const lpae_coherence_report *r, char *buf, size_t len)
{
    if (!r || (!buf && len))
        return LPAE_EINVAL;
    bool wc = r->structure == LPAE_ST_WC1 || r->structure == LPAE_ST_WC2;
    if (wc)
        return snprintf(buf, len,
                        "cpu%u event %llu: stale %s entry for VA 0x%08x ASID %u: cached level-%u "
                        "table 0x%010llx attrs 0x%x, tables now %s 0x%010llx attrs 0x%x",
                        r->cpu, (unsigned long long)r->event, lpae_struct_name(r->structure),
                        (unsigned)r->va, (unsigned)r->asid, (unsigned)r->cached_level,
                        (unsigned long long)r->cached_pa, (unsigned)r->cached_shift,
                        r->cur_pa ? "give table" : "give no table at that level",
                        (unsigned long long)r->cur_pa, (unsigned)r->cur_shift);
    return snprintf(
        buf, len,
        "cpu%u event %llu: stale %s entry for VA 0x%08x ASID %u (%s): cached PA "
        "0x%010llx level %u perm 0x%02x, tables now %s PA 0x%010llx level %u perm 0x%02x",
        r->cpu, (unsigned long long)r->event, lpae_struct_name(r->structure), (unsigned)r->va,
        (unsigned)r->asid, r->entry_global ? "global" : "nG", (unsigned long long)r->cached_pa,
        (unsigned)r->cached_level, (unsigned)r->cached_attrs.perm, lpae_fault_name(r->cur_fault),
        (unsigned long long)r->cur_pa, (unsigned)r->cur_level, (unsigned)r->cur_attrs.perm);
}

/* ---- memory hierarchy ------------------------------------------------------- */

/* The level that serves the line of @p pa from the L2 down: the L2
 * access out of line (as cache_access_call()), answered as a level so
 * that callers need not map the hit. A hit on the L2 set's MRU line (a
 * walk's descriptors, a kernel's PTE loads) skips the recency update. */
static __attribute__((noinline)) unsigned l2_level(lpae_cache *l2, lpae_pa_t pa)
{
    return cache_access_fast(l2, pa) ? LPAE_MEM_L2 : LPAE_MEM_DRAM;
}

/* l2_level() for user and copy data (one-line touches, reads, writes and
 * copies), whose L2 hits are seldom on the MRU line: without that test
 * (the recency update leaves an MRU line where it is). */
static __attribute__((noinline)) unsigned l2_level_data(lpae_cache *l2, lpae_pa_t pa)
{
    return cache_access_fast_t(l2, pa, false) ? LPAE_MEM_L2 : LPAE_MEM_DRAM;
}

/* serve_l1() for user and copy data (through l2_level_data()). */
static inline __attribute__((always_inline)) unsigned serve_l1_data(lpae_cpu *cpu, lpae_pa_t pa)
{
    if (cache_access_l1(cpu->l1d, pa))
        return LPAE_MEM_L1D;
    return l2_level_data(cpu->m->l2, pa);
}

/* Access the line of @p pa starting at cache level @p from; returns the
 * level that served it. Missing levels on the way allocate the line.
 * (Walk fetches: kept small, the walk's frame is crowded.) */
static inline unsigned serve(lpae_cpu *cpu, lpae_pa_t pa, unsigned from)
{
    if (from == LPAE_MEM_L1D) {
        if (cache_access_l1(cpu->l1d, pa))
            return LPAE_MEM_L1D;
        from = LPAE_MEM_L2;
    }
    if (from == LPAE_MEM_L2)
        return l2_level(cpu->m->l2, pa);
    return LPAE_MEM_DRAM;
}

/* serve(cpu, pa, LPAE_MEM_L1D) for walk fetches and 8-byte loads and
 * stores: the L1D access unrolled inline for its commonest geometries, the
 * L2 behind a call. */
static inline __attribute__((always_inline)) unsigned serve_l1(lpae_cpu *cpu, lpae_pa_t pa)
{
    if (cache_access_l1(cpu->l1d, pa))
        return LPAE_MEM_L1D;
    return l2_level(cpu->m->l2, pa);
}

/* ---- translation -------------------------------------------------------------- */

/* The translation a walk answered, as an lpae_xlate from @p src. */
static void xlate_from_walk(const lpae_cpu *cpu, lpae_va_t va, const lpae_walk_result *w,
                            uint8_t src, lpae_xlate *o)
{
    o->va = va;
    o->pa = w->pa;
    o->attrs = w->attrs;
    o->fault = w->fault;
    o->fsc = w->fsc;
    o->level = w->level;
    o->size_shift = w->size_shift;
    o->sel = w->sel;
    o->asid = cpu->asid;
    o->src = src;
}

static __attribute__((noinline)) int translate_flat(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                    lpae_xlate *o)
{
    lpae_walk_result w;
    int rc = lpae_walk(&cpu->regs, cpu->m->phys, va, access, &w);
    if (rc)
        return rc;
    memset(o, 0, sizeof *o);
    xlate_from_walk(cpu, va, &w, LPAE_XS_FLAT, o);
    o->region = classify(cpu->m, va, w.sel, cpu->asid);
    cpu->st.flat++;
    account(cpu, o);
    return LPAE_OK;
}

/* Micro-TLB @p u just filled slot @p i for @p va: drop the fast-path
 * entries whose answer the new slot may shadow (see fp_entry). */
static inline __attribute__((always_inline)) void fp_note_fill(lpae_cpu *cpu, unsigned u, long i,
                                                               lpae_va_t va)
{
    const lpae_tlb *t = cpu->utlb[u];
    const lpae_tlb_entry *e = &t->e[i];
    if (t->sets > 1 || e->size_shift > 12 || e->serial == 1)
        cpu->fpgen[u]++;
    else
        cpu->fpt[u][(va >> 12) & (FP_SIZE - 1)].gen = 0;
}

/* Fully associative micro-TLB @p u just filled slot @p way (serial
 * @p serial) with a piece of size 2^@p s for @p va after a miss of (va,
 * current ASID): fp_note_fill(); and as no other slot answers (va, ASID),
 * the page's fast-path entry is made to name the new slot (returned; the
 * caller completes it with fp_complete() before anything else runs). */
static inline __attribute__((always_inline)) fp_entry *
fp_note_fill_fa(lpae_cpu *cpu, unsigned u, uint32_t way, lpae_va_t va, unsigned s, uint32_t serial)
{
    if (s > 12 || serial == 1)
        cpu->fpgen[u]++;
    fp_entry *f = &cpu->fpt[u][(va >> 12) & (FP_SIZE - 1)];
    f->key = FP_KEY(va, cpu->asid);
    f->slot = way;
    f->sp = &cpu->utlb[u]->e[way].serial;
    f->gen = cpu->fpgen[u];
    f->serial = serial;
    return f;
}

/* The rest of fp_fill() for fast-path entry @p f of micro-TLB @p u (fully
 * associative, LRU) made by fp_note_fill_fa(), from @p o: the permitted
 * main-TLB hit for @p va (region o->region) whose entry the new slot
 * copies (same attributes, level, leaf size, selection and PA; fault,
 * fsc, start level and fetches 0). */
static inline __attribute__((always_inline)) void
fp_complete(lpae_cpu *cpu, unsigned u, fp_entry *f, const lpae_xlate *o, lpae_va_t va)
{
    f->rx = &cpu->region[o->region];
    f->plain = cpu->ulat[u] ? 0 : o->attrs.perm;
    lpae_xlate *x = &f->x;
    *x = *o; /* then what differs */
    x->va = 0;
    x->pa = o->pa - va;
    x->src = LPAE_XS_UTLB;
    x->cycles = cpu->ulat[u];
}

/* Fill micro-TLB @p u for @p va (PA @p pa) from main-TLB entry @p from
 * (valid, covering va) whose match key is @p from_key. */
static inline __attribute__((always_inline)) void fill_utlb(lpae_cpu *cpu, unsigned u, lpae_va_t va,
                                                            const lpae_tlb_entry *from,
                                                            const tlb_key *from_key, lpae_pa_t pa)
{
    /* from's size_shift: no larger than the main-TLB piece */
    lpae_tlb *t = cpu->utlb[u];
    if (cpu->ufa[u]) {
        /* tlb_fill_shift(t, from): a main-TLB entry's size is at least 4 KB
         * and at most its leaf's, which is at most 1 GB */
        unsigned s = t->piece[from->size_shift];
        if (!s)
            return;
        uint64_t *nb;
        uint32_t way = tlb_fa_take(t, s, va, NULL, &nb);
        /* the commit reads nothing of the slot: done before the slot's
         * byte stores, after which every pointer of t would be reloaded */
        tlb_fa_commit(t, way, nb);
        lpae_tlb_entry *e = &t->e[way];
        uint32_t serial;
        if (s == from->size_shift) {
            /* the same piece: what tlb_fill_slot() writes is from's entry
             * (base, PA of the base, fields) and key, with a fresh serial */
            serial = tlb_next_serial(t);
            *e = *from;
            e->serial = serial;
            t->k[way] = *from_key;
        } else {
            tlb_fill_slot(t, way, from, va, pa, s);
            serial = e->serial;
        }
        /* fp_note_fill() of a fully associative micro-TLB */
        if (s > 12 || serial == 1)
            cpu->fpgen[u]++;
        else
            cpu->fpt[u][(va >> 12) & (FP_SIZE - 1)].gen = 0;
        return;
    }
    long i = tlb_insert_pa(t, va, from, pa, NULL);
    if (i >= 0)
        fp_note_fill(cpu, u, i, va);
}

/* fill_utlb() by the generic fill (tlb_insert_ref): the reference path of
 * a CPU with the coherence checker on, which tests compare with the
 * specialised fills of a CPU with it off. */
static __attribute__((noinline)) void fill_utlb_ref(lpae_cpu *cpu, unsigned u, lpae_va_t va,
                                                    const lpae_tlb_entry *from, lpae_pa_t pa)
{
    long i = tlb_insert_ref(cpu->utlb[u], va, from, pa, NULL);
    if (i >= 0)
        fp_note_fill(cpu, u, i, va);
}

/* walk() through the walker's result record and the generic fills: every
 * case, including TTBCR.EAE = 0, SCTLR.M = 0 and the coherence checker on
 * (which may read the CPU's counters from its callback while the walk is
 * under way); the reference the one-pass walk() is tested against. */
static __attribute__((noinline)) int walk_rare(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                               unsigned u, lpae_xlate *o, lpae_cycles_t *c)
{
    lpae_machine *m = cpu->m;
    const uint32_t *p = m->p;
    lpae_walk_result w;
    int rc;
    /* the region of va (what lpae_regs_region() answers, without the bounds) */
    unsigned tsz;
    uint32_t ttbcr = cpu->regs.ttbcr;
    lpae_ttbr_sel sel = lpae_select(ttbcr, va, &tsz);
    bool epd = ttbcr & (sel == LPAE_SEL_TTBR1 ? LPAE_TTBCR_EPD1 : LPAE_TTBCR_EPD0);
    unsigned start_level = lpae_start_level(tsz);
    lpae_cycles_t wcyc = p[LPAE_P_WALK_BASE]; /* + the walk-cache latency if looked up */
    const lpae_wc_entry *hit = NULL;
    bool usable = sel != LPAE_SEL_NONE && !epd;
    bool use2 = usable && cpu->wc[2] && start_level <= 2;
    bool use1 = usable && cpu->wc[1] && start_level == 1;
    if (use1 || use2) {
        wcyc += p[LPAE_P_WC_LATENCY];
        if (use2) {
            hit = lpae_walkcache_lookup(cpu->wc[2], va, cpu->asid);
            if (hit && UNLIKELY(m->chk != NULL))
                check_wc(cpu, LPAE_ST_WC2, hit, va, access);
        }
        if (!hit && use1) {
            hit = lpae_walkcache_lookup(cpu->wc[1], va, cpu->asid);
            if (hit && UNLIKELY(m->chk != NULL))
                check_wc(cpu, LPAE_ST_WC1, hit, va, access);
        }
    }
    *c += wcyc;
    charge(cpu, LPAE_CAT_WALK, wcyc);
    /* arguments checked by translate_slow; hit->level is 1 or 2 */
    if (hit)
        rc = walk_from(&cpu->regs, m->phys, va, access, hit->level + 1u, hit->table_pa,
                       hit->table_attrs, &w, false); /* lpae_walk_from_nz, inline */
    else
        rc = walk_top(&cpu->regs, m->phys, va, access, &w, false); /* lpae_walk_nz, inline */
    if (rc)
        return rc;
    /* Fetch records have levels 1..3. Each fetch is served by the memory
     * hierarchy, but one that aborted (the last, on an external abort) is
     * charged as DRAM without a cache access; the fetch cycles are charged
     * once, summed (the same totals). */
    unsigned from = p[LPAE_P_WALK_LEVEL];
    unsigned aborted = w.fault == LPAE_FAULT_EXT_ABORT_WALK;
    const lpae_fetch *f = w.fetch, *end = w.fetch + w.nfetch - aborted;
    lpae_cycles_t fc = 0;
    for (; f < end; f++) {
        unsigned lvl = serve(cpu, f->pa, from);
        lpae_cycles_t lat = m->mem_lat[lvl];
        fc += lat;
        cpu->st.fetches[f->level][lvl]++;
        cpu->st.fetch_cycles[f->level][lvl] += lat;
        if (f->level < 3 && cpu->wc[f->level] &&
            (f->desc & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_TABLE)
            lpae_walkcache_insert(cpu->wc[f->level], va, cpu->asid, w.sel, f);
    }
    if (UNLIKELY(aborted)) { /* the last fetch: no cache access, DRAM latency */
        lpae_cycles_t lat = m->mem_lat[LPAE_MEM_DRAM];
        fc += lat;
        cpu->st.fetches[f->level][LPAE_MEM_DRAM]++;
        cpu->st.fetch_cycles[f->level][LPAE_MEM_DRAM] += lat;
    }
    *c += fc;
    charge(cpu, LPAE_CAT_WALK_FETCH, fc);
    cpu->st.walks++;
    xlate_from_walk(cpu, va, &w, LPAE_XS_WALK, o);
    o->start_level = w.start_level;
    o->nfetch = w.nfetch;
    if (w.fault == LPAE_FAULT_NONE || w.fault == LPAE_FAULT_PERMISSION) {
        lpae_tlb_entry tr = {.pa = w.pa,
                             .attrs = w.attrs,
                             .size_shift = w.size_shift,
                             .leaf_shift = w.size_shift,
                             .level = w.level,
                             .asid = cpu->asid,
                             .sel = w.sel,
                             .global = !w.attrs.ng};
        long j = tlb_insert_ref(cpu->mtlb, va, &tr, w.pa, NULL);
        if (j >= 0)
            fill_utlb_ref(cpu, u, va, &cpu->mtlb->e[j], w.pa);
    }
    return LPAE_OK;
}

/* Serve the descriptor fetch at @p dpa (level @p level) through the memory
 * hierarchy from cache level @p from and count it; returns its cycles. */
static inline __attribute__((always_inline)) lpae_cycles_t
fetch_served(lpae_cpu *cpu, lpae_pa_t dpa, unsigned level, unsigned from)
{
    unsigned lvl = from == LPAE_MEM_L1D ? serve_l1(cpu, dpa) : serve(cpu, dpa, from);
    lpae_cycles_t lat = cpu->m->mem_lat[lvl];
    cpu->st.fetches[level][lvl]++;
    cpu->st.fetch_cycles[level][lvl] += lat;
    return lat;
}

/* The key of leaf descriptor @p d under table attributes @p tattrs and
 * SCTLR bits @p sk (ac_sctlr_bits()) in the leaf attribute cache (never 0). */
static inline uint32_t ac_key(uint64_t d, unsigned tattrs, uint32_t sk)
{
    return (uint32_t)((d >> 2) & 0x3FFu) | (uint32_t)((d >> 52) & 7u) << 10 | tattrs << 13 | sk;
}

/* leaf_attrs() through @p cpu's leaf attribute cache. */
static inline __attribute__((always_inline)) void leaf_attrs_cached(lpae_cpu *cpu, uint64_t d,
                                                                    unsigned tattrs, lpae_attrs *a)
{
    uint32_t key = ac_key(d, tattrs, cpu->ac_sk);
    ac_entry *e = &cpu->ac[(key * UINT32_C(0x9E3779B1)) >> (32 - AC_BITS)];
    if (UNLIKELY(e->key != key)) {
        leaf_attrs(&cpu->regs, d, tattrs, &e->a); /* with the mair byte of ac_mair */
        e->key = key;
    }
    *a = e->a;
}

/* A walk's fault that has no leaf (no PA, no attributes): @p f at @p level. */
static inline void walk_fault(lpae_xlate *o, lpae_fault f, unsigned level)
{
    o->pa = 0;
    memset(&o->attrs, 0, sizeof o->attrs);
    o->size_shift = 0;
    o->fault = f;
    o->level = (uint8_t)level;
    o->fsc = fault_fsc(f, level);
}

/* One level @p L (a constant) of walk(): the descriptor of @p vam in the
 * table at *@p table read into *@p d, served by the memory hierarchy from
 * cache level @p from (its cycles added to *@p fc) and checked. A table
 * descriptor (levels 1, 2) is cached by the walk cache of its level (for
 * o->va, o->asid, o->sel), *@p table and *@p tattrs become the next
 * level's, and 0 is returned; otherwise 1: a leaf (block or page), or a
 * fault in *@p fault (a fetch that aborts is charged as DRAM without a
 * cache access). */
static inline __attribute__((always_inline)) int
walk_step(lpae_cpu *cpu, const lpae_xlate *o, unsigned L, uint32_t vam, unsigned from,
          lpae_pa_t *table, unsigned *tattrs, uint64_t *d, lpae_cycles_t *fc, lpae_fault *fault)
{
    lpae_pa_t dpa = *table + ((lpae_pa_t)((vam >> LPAE_LEVEL_SHIFT(L)) & 511u) << 3);
    if (UNLIKELY(lpae_phys_fetch64(cpu->m->phys, dpa, d) != 0)) {
        lpae_cycles_t lat = cpu->m->mem_lat[LPAE_MEM_DRAM];
        *fc += lat;
        cpu->st.fetches[L][LPAE_MEM_DRAM]++;
        cpu->st.fetch_cycles[L][LPAE_MEM_DRAM] += lat;
        *fault = LPAE_FAULT_EXT_ABORT_WALK;
        return 1;
    }
    *fc += fetch_served(cpu, dpa, L, from);
    uint64_t v = *d;
    /* bits [1:0]: 0b11 a table (levels 1, 2) or page (level 3); 0b01 a
     * block (levels 1, 2), reserved at level 3; bit 0 clear: invalid */
    if (UNLIKELY(!(v & LPAE_DESC_VALID))) {
        *fault = LPAE_FAULT_TRANSLATION;
        return 1;
    }
    if (!(v & LPAE_DESC_TABLE)) {
        if (L == 3)
            *fault = LPAE_FAULT_TRANSLATION;
        return 1; /* block */
    }
    if (L == 3)
        return 1; /* page */
    *tattrs |= (unsigned)(v >> LPAE_DESC_TABLE_ATTR_SHIFT);
    if (cpu->wc[L]) {
        lpae_fetch f = {.level = (uint8_t)L, .table_attrs = (uint8_t)*tattrs, .pa = dpa, .desc = v};
        lpae_walkcache_insert(cpu->wc[L], o->va, o->asid, o->sel, &f);
    }
    *table = v & LPAE_DESC_ADDR_MASK;
    return 0;
}

/* Walk after a main-TLB miss; fills walk caches and TLBs. One pass: each
 * descriptor is served by the memory hierarchy (and a table descriptor
 * cached by the walk cache of its level) as the walk reads it, the answer
 * is written straight into @p o, and the main TLB is filled from it. The
 * same accesses, fills, counts and cycles, in the same order, as walk_rare(),
 * which takes the cases this one leaves out (a CPU without walk_fast). */
static inline __attribute__((always_inline)) int walk(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                      unsigned u, lpae_xlate *o, lpae_cycles_t *c)
{
    lpae_machine *m = cpu->m;
    const lpae_regs *regs = &cpu->regs;
    const walk_plan *pl = &cpu->plan; /* ok, and no checker (cpu->walk_fast) */
    const uint32_t *p = m->p;
    uint8_t asid = cpu->asid;
    /* lpae_select() by the plan's ranges */
    lpae_ttbr_sel sel = va < pl->b0    ? LPAE_SEL_TTBR0
                        : va >= pl->b1 ? LPAE_SEL_TTBR1
                                       : LPAE_SEL_NONE;
    lpae_cycles_t wcyc = p[LPAE_P_WALK_BASE]; /* + the walk-cache latency if looked up */
    o->va = va;
    o->sel = (uint8_t)sel;
    o->asid = asid;
    o->src = LPAE_XS_WALK;
    cpu->st.walks++;
    if (UNLIKELY(sel == LPAE_SEL_NONE || !pl->r[sel].usable)) {
        *c += wcyc;
        charge(cpu, LPAE_CAT_WALK, wcyc);
        o->start_level = 1;
        o->nfetch = 0;
        walk_fault(o, LPAE_FAULT_TRANSLATION, 1);
        return LPAE_OK;
    }
    const plan_region *pr = &pl->r[sel];
    unsigned start = pr->start; /* 1 or 2 */
    const lpae_wc_entry *hit = NULL;
    if (pr->use1 || pr->use2) {
        wcyc += p[LPAE_P_WC_LATENCY];
        if (pr->use2)
            hit = wc_lookup(cpu->wc[2], va, asid);
        if (!hit && pr->use1)
            hit = wc_lookup(cpu->wc[1], va, asid);
    }
    *c += wcyc;
    charge(cpu, LPAE_CAT_WALK, wcyc);
    unsigned level = start, tattrs = 0;
    lpae_pa_t table;
    if (hit) { /* resume below the cached table descriptor (level 1 or 2) */
        level = hit->level + 1u;
        table = hit->table_pa & LPAE_PA_MASK;
        if (level == start)
            table &= pr->base_mask;
        else
            table &= LPAE_DESC_ADDR_MASK;
        tattrs = hit->table_attrs & 0x1Fu;
    } else {
        uint64_t ttbr = sel == LPAE_SEL_TTBR1 ? regs->ttbr1 : regs->ttbr0;
        if (UNLIKELY(ttbr & UINT64_C(0x0000FF0000000000))) { /* TTBR bits [47:40] */
            o->start_level = (uint8_t)start;
            o->nfetch = 0;
            walk_fault(o, LPAE_FAULT_ADDRESS_SIZE, 0);
            return LPAE_OK;
        }
        table = ttbr & pr->base_mask;
    }
    unsigned first = level;
    o->start_level = (uint8_t)level;
    /* the levels, unrolled (walk_step) */
    unsigned from = p[LPAE_P_WALK_LEVEL];
    uint32_t vam = va & pr->vam;
    lpae_cycles_t fc = 0;
    lpae_fault fault = LPAE_FAULT_NONE;
    uint64_t d = 0;
    switch (level) {
    case 1:
        if (walk_step(cpu, o, 1, vam, from, &table, &tattrs, &d, &fc, &fault))
            break;
        level = 2;
        /* fall through */
    case 2:
        if (walk_step(cpu, o, 2, vam, from, &table, &tattrs, &d, &fc, &fault))
            break;
        level = 3;
        /* fall through */
    default:
        walk_step(cpu, o, 3, vam, from, &table, &tattrs, &d, &fc, &fault);
        break;
    }
    unsigned shift = LPAE_LEVEL_SHIFT(level);
    *c += fc;
    charge(cpu, LPAE_CAT_WALK_FETCH, fc);
    o->nfetch = (uint8_t)(level - first + 1u);
    if (UNLIKELY(fault != LPAE_FAULT_NONE)) {
        walk_fault(o, fault, level);
        return LPAE_OK;
    }
    uint64_t off = (UINT64_C(1) << shift) - 1u;
    lpae_pa_t pa = (d & LPAE_DESC_ADDR_MASK & ~off) | (va & off);
    o->pa = pa;
    leaf_attrs_cached(cpu, d, tattrs, &o->attrs);
    o->level = (uint8_t)level;
    o->size_shift = (uint8_t)shift;
    if (UNLIKELY(!(d & LPAE_DESC_AF))) {
        o->fault = LPAE_FAULT_ACCESS_FLAG;
        o->fsc = fault_fsc(LPAE_FAULT_ACCESS_FLAG, level);
        return LPAE_OK;
    }
    if ((o->attrs.perm >> access) & 1u) {
        o->fault = LPAE_FAULT_NONE;
        o->fsc = 0;
    } else {
        o->fault = LPAE_FAULT_PERMISSION;
        o->fsc = fault_fsc(LPAE_FAULT_PERMISSION, level);
    }
    /* the main TLB straight from the walk (tlb_fill_sa() of the entry the
     * walk describes: leaf and allowed size both the leaf's), then the
     * micro-TLB from the main TLB's new entry */
    lpae_tlb *mt = cpu->mtlb;
    long j;
    if (cpu->mtlb_sa) {
        unsigned s = mt->piece[shift];
        if (!s)
            return LPAE_OK;
        size_t idx = tlb_sa_take(mt, (va >> s) & mt->set_mask, s, NULL);
        tlb_write_slot(mt, idx, va, pa, s, &o->attrs, (uint8_t)shift, (uint8_t)level, asid,
                       (uint8_t)sel, !o->attrs.ng);
        tlb_sa_commit(mt, idx);
        j = (long)idx;
    } else {
        lpae_tlb_entry tr = {.pa = pa,
                             .attrs = o->attrs,
                             .size_shift = (uint8_t)shift,
                             .leaf_shift = (uint8_t)shift,
                             .level = (uint8_t)level,
                             .asid = asid,
                             .sel = (uint8_t)sel,
                             .global = !o->attrs.ng};
        j = tlb_insert_pa(mt, va, &tr, pa, NULL);
        if (j < 0)
            return LPAE_OK;
    }
    fill_utlb(cpu, u, va, &mt->e[j], &mt->k[j], pa);
    return LPAE_OK;
}

/* translate_walk() of a CPU without walk_fast: walk_rare(), and the
 * checker's CPUs classify plainly (a reference for tests). */
static __attribute__((noinline)) int translate_walk_rare(lpae_cpu *cpu, lpae_va_t va,
                                                         unsigned access, unsigned u, lpae_xlate *o,
                                                         lpae_cycles_t c)
{
    lpae_machine *m = cpu->m;
    int rc = walk_rare(cpu, va, access, u, o, &c);
    if (rc)
        return rc;
    o->region = m->chk == NULL ? region_of(cpu, va, o->sel) : classify(m, va, o->sel, cpu->asid);
    o->cycles = c;
    account_src(cpu, o, LPAE_XS_WALK);
    return LPAE_OK;
}

/* The main-TLB miss of translate_full() (@p c: the TLB cycles charged so
 * far), out of line: the walk's large frame stays off the main-TLB hit. */
static __attribute__((noinline)) int translate_walk(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                    unsigned u, lpae_xlate *o, lpae_cycles_t c)
{
    cpu->mtlb->st.misses++;
    if (UNLIKELY(!cpu->walk_fast))
        return translate_walk_rare(cpu, va, access, u, o, c);
    int rc = walk(cpu, va, access, u, o, &c);
    if (rc)
        return rc;
    o->region = region_of(cpu, va, o->sel); /* no checker */
    o->cycles = c;
    account_src(cpu, o, LPAE_XS_WALK);
    return LPAE_OK;
}

/* A micro-TLB hit of slot @p i found by the full lookup (the fast-path
 * entry did not answer): the entry is made again and the hit is the fast
 * path's. */
static __attribute__((noinline)) int utlb_hit(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                              unsigned u, size_t i, lpae_xlate *o)
{
    lpae_machine *m = cpu->m;
    lpae_tlb *ut = cpu->utlb[u];
    const lpae_tlb_entry *e = &ut->e[i];
    fp_entry tmp, *f = &tmp;
    uint8_t region;
    if (LIKELY(m->chk == NULL)) {
        region = region_of(cpu, va, e->sel);
        f = &cpu->fpt[u][(va >> 12) & (FP_SIZE - 1)];
    } else { /* the checker's CPUs: the plain classification (a reference for tests) */
        region = classify(m, va, e->sel, cpu->asid);
        check_tlb(cpu, u, e, va, access);
    }
    fp_fill(cpu, u, i, va, region, f);
    if (LIKELY(f != &tmp) && LIKELY((f->plain >> access) & 1u) && LIKELY(cpu->cur->seen)) {
        plain_hit(cpu, ut, f, va, o); /* the fast path's hit (checker off) */
        return LPAE_OK;
    }
    return fast_hit(cpu, f, va, access, o);
}

/* A micro-TLB miss of micro-TLB @p u: its counter and the cycles of both
 * TLB lookups charged; returns those cycles. */
static inline __attribute__((always_inline)) lpae_cycles_t utlb_miss(lpae_cpu *cpu, lpae_tlb *ut,
                                                                     unsigned u)
{
    uint32_t ml = cpu->m->p[LPAE_P_MTLB_LATENCY];
    ut->st.misses++;
    lpae_cycles_t c = cpu->ulat[u] + ml;
    charge(cpu, LPAE_CAT_TLB, c);
    cpu->st.tlb_cycles[u] += cpu->ulat[u];
    cpu->st.tlb_cycles[LPAE_ST_MTLB] += ml;
    return c;
}

static inline __attribute__((always_inline)) int
translate_full(lpae_cpu *cpu, lpae_va_t va, unsigned access, unsigned u, lpae_xlate *o)
{
    lpae_machine *m = cpu->m;
    lpae_tlb *ut = cpu->utlb[u];
    long i = cpu->ufa[u] ? tlb_find_fa(ut, va, cpu->asid) : tlb_find(ut, va, cpu->asid);
    if (i >= 0)
        return utlb_hit(cpu, va, access, u, (size_t)i, o);
    lpae_cycles_t c = utlb_miss(cpu, ut, u);
    lpae_tlb *mt = cpu->mtlb;
    long j = tlb_find(mt, va, cpu->asid);
    if (j >= 0) {
        if (LIKELY(cpu->mtlb_sa))
            tlb_hit_sa(mt, (size_t)j);
        else
            tlb_hit(mt, (size_t)j);
        const lpae_tlb_entry *e = &mt->e[j];
        if (LIKELY(m->chk == NULL)) {
            from_entry_word(o, e, va, access, cpu->asid, LPAE_XS_MTLB, false);
            fill_utlb(cpu, u, va, e, &mt->k[j], o->pa);
            o->region = region_of(cpu, va, o->sel);
        } else { /* the checker's CPUs: the generic fill and classification */
            check_tlb(cpu, LPAE_ST_MTLB, e, va, access);
            from_entry(o, e, va, access, cpu->asid);
            o->src = LPAE_XS_MTLB;
            fill_utlb_ref(cpu, u, va, e, o->pa);
            o->region = classify(m, va, o->sel, cpu->asid);
        }
        o->cycles = c;
        account_src(cpu, o, LPAE_XS_MTLB);
        return LPAE_OK;
    }
    return translate_walk(cpu, va, access, u, o, c);
}

/* translate_full() out of line, for every MMU-on case: the walk is inline
 * here, one frame for the whole miss. */
static __attribute__((noinline)) int translate_gen(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                   lpae_xlate *out)
{
    return translate_full(cpu, va, access, cpu->umap[access], out);
}

/* The fast-path miss of a fast CPU (MMU on, checker off; arguments
 * valid). When micro-TLB and main TLB allow it (cpu->lean[u]: a fully
 * associative LRU micro-TLB with slot masks, a set-associative LRU main
 * TLB with valid-way masks), a main-TLB hit in its common case runs here
 * without calls: every condition that would take other code is tested
 * before anything is changed (the ASID seen, the region in the region
 * cache, the access permitted, a piece size the micro-TLB holds, a full
 * micro-TLB's victim in its touch log), and
 * any that fails hands the whole translation to translate_gen(), which
 * does the same updates in the same order. */
static int touch_pa(lpae_cpu *cpu, lpae_pa_t pa, unsigned access, size_t len);
static int fault_out(const lpae_xlate *x, lpae_xlate *fault);

/* The end of miss_in()'s translation @p o (returned @p rc) that left the
 * main-TLB hit's common case: for a touch (@p touch), the fault or the
 * touch of @p len bytes at its PA; else @p rc. */
static inline __attribute__((always_inline)) int miss_end(lpae_cpu *cpu, int rc,
                                                          const lpae_xlate *o, bool touch,
                                                          unsigned access, size_t len,
                                                          lpae_xlate *fault)
{
    if (!touch || rc != LPAE_OK)
        return rc;
    if (o->fault != LPAE_FAULT_NONE)
        return fault_out(o, fault);
    return touch_pa(cpu, o->pa, access, len);
}

static inline __attribute__((always_inline)) int miss_in(lpae_cpu *cpu, lpae_va_t va,
                                                         unsigned access, lpae_xlate *o, bool touch,
                                                         size_t len, lpae_xlate *fault)
{
    unsigned u = cpu->umap[access];
    if (UNLIKELY(!cpu->lean[u]))
        return miss_end(cpu, translate_gen(cpu, va, access, o), o, touch, access, len, fault);
    lpae_tlb *ut = cpu->utlb[u];
    uint8_t asid = cpu->asid;
    uint64_t q = tlb_query(va, asid);
    for (uint64_t cd = tlb_fa_cands(ut, va); cd; cd &= cd - 1) {
        unsigned w = (unsigned)__builtin_ctzll(cd);
        if (tlb_key_matches(&ut->k[w], q))
            return miss_end(cpu, utlb_hit(cpu, va, access, u, w, o), o, touch, access, len, fault);
    }
    lpae_tlb *mt = cpu->mtlb;
    long j = tlb_find_sets(mt, va, asid); /* mtlb_sa: more than one set */
    if (UNLIKELY(j < 0))
        return miss_end(cpu, translate_walk(cpu, va, access, u, o, utlb_miss(cpu, ut, u)), o, touch,
                        access, len, fault);
    /* the tests: nothing changed yet */
    const lpae_tlb_entry *e = &mt->e[j];
    unsigned es = e->size_shift, s = ut->piece[es]; /* the piece the micro-TLB takes */
    unsigned sel = e->sel;
    const rc_entry *rc = &cpu->rcb[RC_INDEX(va, sel)];
    if (UNLIKELY(rc->tag != (cpu->rtag | sel) || va - rc->lo > rc->span || !cpu->cur->seen ||
                 !((e->attrs.perm >> access) & 1u) || !s))
        return miss_end(cpu, translate_gen(cpu, va, access, o), o, touch, access, len, fault);
    repl_state *ur = &ut->repl;
    uint64_t lp = ur->lpos;
    uint32_t way;
    bool full = ut->fill[0] >= ut->ways;
    if (LIKELY(full)) {
        if (UNLIKELY(ur->clock - lp >= REPL_LOG))
            return miss_end(cpu, translate_gen(cpu, va, access, o), o, touch, access, len, fault);
        for (;; lp++) { /* repl_lru_victim_log()'s walk of the log */
            way = ur->log[lp % REPL_LOG];
            if (ur->stamp[way] == lp)
                break;
        }
    } else {
        way = (uint32_t)__builtin_ctzll(~ut->vmask[0]); /* the first invalid way */
    }
    /* the updates, in translate_full()'s order; a touch builds no result
     * of its own: only its PA is read, and the fast-path entry's answer is
     * written in place */
    lpae_cycles_t c = utlb_miss(cpu, ut, u);
    tlb_hit_sa(mt, (size_t)j);
    lpae_pa_t pa;
    if (touch) {
        pa = e->pa + (va - e->va);
    } else {
        from_entry_word(o, e, va, access, asid, LPAE_XS_MTLB, true); /* tested above */
        pa = o->pa;
    }
    /* fill_utlb(): tlb_fa_take() of a full TLB, tlb_fa_commit(), the slot */
    uint64_t bit = UINT64_C(1) << way;
    if (LIKELY(full)) {
        ur->lpos = lp + 1;
        const tlb_key *ok = &ut->k[way];
        unsigned os = tlb_key_size(ok);
        if (UNLIKELY(os != s))
            tlb_resize_present(ut, os, s);
        ut->fa[(size_t)ut->sidx[os] * FA_BUCKETS + ((tlb_key_base(ok) >> os) & (FA_BUCKETS - 1))] &=
            ~bit;
        ut->st.evictions++;
    } else {
        ut->fill[0]++;
        ut->vmask[0] |= bit;
        tlb_add_present(ut, s);
    }
    ut->fa[(size_t)ut->sidx[s] * FA_BUCKETS + ((va >> s) & (FA_BUCKETS - 1))] |= bit;
    ut->st.inserts++;
    repl_lru_touch(ur, way);
    uint32_t serial;
    if (LIKELY(s == es)) { /* the same piece: e's entry and key, a fresh serial */
        serial = tlb_next_serial(ut);
        lpae_tlb_entry *ne = &ut->e[way];
        *ne = *e;
        ne->serial = serial;
        ut->k[way] = mt->k[j];
    } else {
        tlb_fill_slot(ut, way, e, va, pa, s);
        serial = ut->e[way].serial;
    }
    fp_entry *nf = fp_note_fill_fa(cpu, u, way, va, s, serial);
    uint8_t region = rc->region;
    if (touch) {
        /* fp_complete() of the answer from_entry_word() gives (region
         * and cycles set), built in the entry */
        lpae_xlate *x = &nf->x;
        from_entry_word(x, e, va, access, asid, LPAE_XS_UTLB, true);
        x->va = 0;
        x->pa = pa - va;
        x->region = region;
        x->cycles = cpu->ulat[u];
        nf->rx = &cpu->region[region];
        nf->plain = cpu->ulat[u] ? 0 : e->attrs.perm;
    } else {
        o->region = region;
        o->cycles = c;
        fp_complete(cpu, u, nf, o, va);
    }
    /* account_src() of a permitted main-TLB hit of a seen ASID */
    lpae_xstats *x0 = &cpu->cur->st, *x1 = &cpu->region[region];
    x0->mtlb_hits++;
    x0->cycles += c;
    x1->mtlb_hits++;
    x1->cycles += c;
    if (touch) /* permitted: no fault */
        return touch_pa(cpu, pa, access, len);
    return LPAE_OK;
}

static __attribute__((noinline)) int translate_miss(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                    lpae_xlate *o)
{
    return miss_in(cpu, va, access, o, false, 0, NULL);
}

/* translate_miss() of lpae_cpu_touch() (a fast CPU, arguments valid, no
 * fast-path entry answers), then the fault or the touch of @p len bytes:
 * a main-TLB hit's common case keeps its result to itself and ends in a
 * tail call to touch_pa(). */
static __attribute__((noinline)) int touch_miss(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                size_t len, lpae_xlate *fault)
{
    lpae_xlate x;
    return miss_in(cpu, va, access, &x, true, len, fault);
}

/* Everything but the fast path's hit, arguments checked from scratch. */
static __attribute__((noinline)) int translate_slow(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                    lpae_xlate *out)
{
    if (!cpu || !out || !LPAE_ACC_VALID(access))
        return LPAE_EINVAL;
    if (!cpu->mmu_on)
        return translate_flat(cpu, va, access, out);
    return translate_gen(cpu, va, access, out);
}

int lpae_cpu_translate(lpae_cpu *cpu, lpae_va_t va, unsigned access, lpae_xlate *out)
{
    /* A leaf: a hit of the fast-path table, or a tail call. An invalid
     * access code, or a CPU off the fast path, maps to UMAP_INVALID. */
    if (LIKELY(cpu != NULL) && LIKELY(out != NULL) && LIKELY(access < 8u)) {
        unsigned u = cpu->fmap[access];
        if (LIKELY(u != UMAP_INVALID)) {
            const fp_entry *f = fp_lookup(cpu, u, va);
            if (LIKELY(f != NULL)) {
                if (plain_ok(cpu, f, access)) {
                    plain_hit(cpu, cpu->utlb[u], f, va, out);
                    return LPAE_OK;
                }
                return fast_hit(cpu, f, va, access, out);
            }
            /* a fast CPU (MMU on, checker off), arguments valid */
            return translate_miss(cpu, va, access, out);
        }
    }
    return translate_slow(cpu, va, access, out);
}

/* ---- registers, barriers, maintenance --------------------------------------- */

unsigned lpae_cpu_index(const lpae_cpu *cpu)
{
    return cpu ? cpu->idx : 0;
}

const lpae_regs *lpae_cpu_regs(const lpae_cpu *cpu)
{
    return cpu ? &cpu->regs : NULL;
}

uint8_t lpae_cpu_asid(const lpae_cpu *cpu)
{
    return cpu ? cpu->asid : 0;
}

int lpae_cpu_set_regs(lpae_cpu *cpu, const lpae_regs *regs)
{
    if (!cpu || !regs)
        return LPAE_EINVAL;
    int rc = lpae_regs_check(regs);
    if (rc)
        return rc;
    cpu->regs = *regs;
    set_cur_asid(cpu);
    plan_regs(cpu);
    return LPAE_OK;
}

/* Maintenance changed micro-TLB @p u: set-associative ones lose their
 * fast-path entries (fully associative ones keep those whose slot stays). */
static void fp_note_inv(lpae_cpu *cpu, unsigned u)
{
    if (cpu->utlb[u] && cpu->utlb[u]->sets > 1)
        cpu->fpgen[u]++;
}

static void flush_utlbs(lpae_cpu *cpu)
{
    for (unsigned u = 0; u < 3; u++) {
        lpae_tlb_inv_all(cpu->utlb[u]);
        fp_note_inv(cpu, u);
    }
    cpu->st.utlb_flushes++;
}

/* flush_utlbs(), then LPAE_OK (a tail call of lpae_cpu_write_ttbr()). */
static __attribute__((noinline)) int flush_utlbs_ok(lpae_cpu *cpu)
{
    flush_utlbs(cpu);
    return LPAE_OK;
}

static lpae_cycles_t regwrite(lpae_cpu *cpu, lpae_param cost, bool flush)
{
    lpae_cycles_t c = cpu->m->p[cost];
    charge(cpu, LPAE_CAT_REGWRITE, c);
    cpu->st.reg_writes++;
    if (flush)
        flush_utlbs(cpu);
    set_cur_asid(cpu);
    return c;
}

/* regwrite() of a TTBR whose value the registers take: a TTBR write
 * changes the ASID, not SCTLR.M or the fast path (set_asid() suffices). */
int lpae_cpu_write_ttbr(lpae_cpu *cpu, unsigned which, uint64_t ttbr, lpae_cycles_t *cycles)
{
    if (!cpu || which > 1)
        return LPAE_EINVAL;
    if (UNLIKELY(ttbr & cpu->ttbr_bad[which]))
        return lpae_regs_set_ttbr(&cpu->regs, which, ttbr); /* its error; nothing written */
    if (which)
        cpu->regs.ttbr1 = ttbr;
    else
        cpu->regs.ttbr0 = ttbr;
    const uint32_t *p = cpu->m->p;
    lpae_cycles_t c = p[which ? LPAE_P_CP15_TTBR1 : LPAE_P_CP15_TTBR0];
    charge(cpu, LPAE_CAT_REGWRITE, c);
    cpu->st.reg_writes++;
    set_asid(cpu);
    if (cycles)
        *cycles = c;
    /* the flush last (it reads nothing set_asid() sets): the common case
     * makes no call, so it saves no registers */
    if (UNLIKELY(p[LPAE_P_UTLB_FLUSH_TTBR]))
        return flush_utlbs_ok(cpu);
    return LPAE_OK;
}

int lpae_cpu_write_ttbcr(lpae_cpu *cpu, uint32_t ttbcr, lpae_cycles_t *cycles)
{
    if (!cpu)
        return LPAE_EINVAL;
    int rc = lpae_regs_set_ttbcr(&cpu->regs, ttbcr);
    if (rc)
        return rc;
    plan_regs(cpu);
    lpae_cycles_t c = regwrite(cpu, LPAE_P_CP15_TTBCR, false);
    if (cycles)
        *cycles = c;
    return LPAE_OK;
}

lpae_cycles_t lpae_cpu_write_contextidr(lpae_cpu *cpu, uint32_t contextidr)
{
    if (!cpu)
        return 0;
    cpu->contextidr = contextidr;
    return regwrite(cpu, LPAE_P_CP15_CONTEXTIDR, cpu->m->p[LPAE_P_UTLB_FLUSH_CTXIDR] != 0);
}

lpae_cycles_t lpae_cpu_isb(lpae_cpu *cpu)
{
    if (!cpu)
        return 0;
    lpae_cpu_isb_in(cpu, cpu->m->p[LPAE_P_ISB]);
    return cpu->m->p[LPAE_P_ISB];
}

lpae_cycles_t lpae_cpu_dsb(lpae_cpu *cpu)
{
    if (!cpu)
        return 0;
    lpae_cpu_dsb_in(cpu, cpu->m->p[LPAE_P_DSB]);
    return cpu->m->p[LPAE_P_DSB];
}

/* The TLBI by VA (tlb_inv_va_fa()) of fully associative TLB tlbi_fa[@p k]
 * of a CPU with tlbi_one (one held size), query @p q and mask @p qm:
 * skipped on one load when the bucket of va holds nothing. */
static inline __attribute__((always_inline)) void tlbi_fa1(lpae_cpu *cpu, unsigned k, lpae_va_t va,
                                                           int asid, uint64_t q, uint64_t qm)
{
    unsigned s = cpu->tlbi_sh[k];
    uint64_t *bk = &cpu->tlbi_bk[k][(va >> s) & (FA_BUCKETS - 1)]; /* tlb_fa_cands() */
    uint64_t c = *bk;
    if (!c)
        return;
    const lpae_tlb *t = cpu->tlbi_fa[k];
    if (asid >= 0) /* TLBIMVA: only global slots and those of the ASID can match */
        c &= t->gmask | t->amask[asid];
    if (c)
        tlb_inv_fa1_q(cpu->tlbi_fa[k], q, qm, c, bk, s);
}

/* TLBIMVA (asid >= 0) or TLBIMVAA (asid < 0) on a CPU with tlbi_direct:
 * what tlbi_apply's loops do, layout tests done at creation; fully
 * associative micro-TLBs need no fp_note_inv(). (The structures are
 * independent: the order they are visited in does not matter.) */
static inline __attribute__((always_inline)) void tlbi_va_direct(lpae_cpu *cpu, lpae_va_t va,
                                                                 int asid)
{
    uint64_t q = tlb_inv_query(va, asid), qm = tlb_inv_qmask(asid);
    tlb_inv_sa_q(cpu->mtlb, va, q, qm); /* first: its loop gets the registers */
    if (LIKELY(cpu->tlbi_one)) {
        /* the micro-TLBs hold the same one size: one bucket index, three
         * loads, and nothing more when all three buckets are empty */
        unsigned s = cpu->tlbi_sh[0], i = (va >> s) & (FA_BUCKETS - 1);
        uint64_t *b0 = &cpu->tlbi_bk[0][i], *b1 = &cpu->tlbi_bk[1][i], *b2 = &cpu->tlbi_bk[2][i];
        uint64_t c0 = *b0, c1 = *b1, c2 = *b2;
        if (UNLIKELY(c0 | c1 | c2)) {
            if (c0)
                tlb_inv_fa1_q(cpu->tlbi_fa[0], q, qm, c0, b0, s);
            if (c1)
                tlb_inv_fa1_q(cpu->tlbi_fa[1], q, qm, c1, b1, s);
            if (c2)
                tlb_inv_fa1_q(cpu->tlbi_fa[2], q, qm, c2, b2, s);
        }
        tlbi_fa1(cpu, 3, va, asid, q, qm); /* the walk caches (ASID masks kept) */
        tlbi_fa1(cpu, 4, va, asid, q, qm);
    } else {
        for (unsigned k = 0; k < 5; k++)
            tlb_inv_va_fa(cpu->tlbi_fa[k], va, asid);
    }
}

static void tlbi_apply(lpae_cpu *cpu, lpae_tlbi kind, lpae_va_t va, uint8_t asid)
{
    bool whole_utlb = cpu->m->p[LPAE_P_UTLB_FLUSH_TLBI] != 0;
    if ((kind == LPAE_TLBI_MVA || kind == LPAE_TLBI_MVAA) && !whole_utlb) {
        /* the common case straight: every structure, in the order below */
        int a = kind == LPAE_TLBI_MVA ? asid : -1;
        if (cpu->tlbi_direct && cpu->m->chk == NULL) {
            tlbi_va_direct(cpu, va, a);
            return;
        }
        /* the checker's CPUs: every slot scanned (a reference for tests) */
        size_t (*inv)(lpae_tlb *, lpae_va_t, int) = cpu->m->chk ? tlb_inv_va_ref : tlb_inv_va;
        for (unsigned u = 0; u < 3; u++) {
            if (!cpu->utlb[u])
                continue;
            inv(cpu->utlb[u], va, a);
            fp_note_inv(cpu, u);
        }
        inv(cpu->mtlb, va, a);
        for (unsigned l = 1; l <= 2; l++)
            if (cpu->wc[l])
                inv(cpu->wc[l]->t, va, a); /* = lpae_walkcache_inv_va() */
        return;
    }
    for (unsigned s = 0; s < 4; s++) {
        lpae_tlb *t = s < 3 ? cpu->utlb[s] : cpu->mtlb;
        if (!t || (s < 3 && whole_utlb))
            continue;
        switch (kind) {
        case LPAE_TLBI_ALL:
            lpae_tlb_inv_all(t);
            break;
        case LPAE_TLBI_ASID:
            lpae_tlb_inv_asid(t, asid);
            break;
        case LPAE_TLBI_MVA:
            tlb_inv_va(t, va, asid);
            break;
        default:
            tlb_inv_va(t, va, -1);
            break;
        }
        if (s < 3)
            fp_note_inv(cpu, s);
    }
    if (whole_utlb)
        flush_utlbs(cpu);
    for (unsigned l = 1; l <= 2; l++) {
        lpae_walkcache *wc = cpu->wc[l];
        if (!wc)
            continue;
        switch (kind) {
        case LPAE_TLBI_ALL:
            lpae_walkcache_inv_all(wc);
            break;
        case LPAE_TLBI_ASID:
            lpae_walkcache_inv_asid(wc, asid);
            break;
        case LPAE_TLBI_MVA:
            tlb_inv_va(wc->t, va, asid); /* = lpae_walkcache_inv_va() */
            break;
        default:
            tlb_inv_va(wc->t, va, -1);
            break;
        }
    }
}

/* lpae_cpu_tlbi() of a valid kind other than its direct case: out of
 * line, so that the direct case runs in a frame of its own. */
static __attribute__((noinline)) int tlbi_general(lpae_cpu *cpu, lpae_tlbi kind, bool is,
                                                  lpae_va_t va, uint8_t asid, lpae_cycles_t *cycles)
{
    lpae_machine *m = cpu->m;
    lpae_param cost = (lpae_param)((is ? LPAE_P_TLBI_ALL_IS : LPAE_P_TLBI_ALL) + kind);
    lpae_cycles_t c = m->p[cost];
    charge(cpu, LPAE_CAT_MAINT, c);
    cpu->st.tlbi[kind][is ? 1 : 0]++;
    if (is) {
        for (unsigned i = 0; i < m->ncpus; i++) {
            tlbi_apply(m->cpu[i], kind, va, asid);
            if (m->cpu[i] != cpu)
                m->cpu[i]->st.tlbi_received++;
        }
    } else {
        tlbi_apply(cpu, kind, va, asid);
    }
    if (cycles)
        *cycles = c;
    return LPAE_OK;
}

int lpae_cpu_tlbi(lpae_cpu *cpu, lpae_tlbi kind, bool is, lpae_va_t va, uint8_t asid,
                  lpae_cycles_t *cycles)
{
    if (!cpu || (unsigned)kind >= LPAE_TLBI_KINDS)
        return LPAE_EINVAL;
    if (LIKELY(!is && (kind == LPAE_TLBI_MVA || kind == LPAE_TLBI_MVAA) && cpu->tlbi_fast)) {
        /* kmap/kunmap's TLBIMVA: tlbi_general()'s charge, count and
         * tlbi_va_direct() in a frame without calls */
        lpae_cycles_t c = cpu->m->p[LPAE_P_TLBI_ALL + kind];
        charge(cpu, LPAE_CAT_MAINT, c);
        cpu->st.tlbi[kind][0]++;
        tlbi_va_direct(cpu, va, kind == LPAE_TLBI_MVA ? asid : -1);
        if (cycles)
            *cycles = c;
        return LPAE_OK;
    }
    return tlbi_general(cpu, kind, is, va, asid, cycles);
}

lpae_cycles_t lpae_cpu_charge(lpae_cpu *cpu, lpae_param id, uint64_t count)
{
    if (!cpu || (unsigned)id >= LPAE_P_COUNT || cpu->m->pcat[id] == PCAT_NONE)
        return 0;
    lpae_cycles_t c = (lpae_cycles_t)cpu->m->p[id] * count;
    charge(cpu, (lpae_cat)cpu->m->pcat[id], c);
    return c;
}

void lpae_cpu_set_event(lpae_cpu *cpu, uint64_t event)
{
    if (cpu)
        cpu->event = event;
}

/* ---- memory operations ---------------------------------------------------------- */

static int fault_out(const lpae_xlate *x, lpae_xlate *fault)
{
    if (fault)
        *fault = *x;
    return LPAE_EFAULT;
}

/* Add the lines of a run that each level served (@p n) to the statistics
 * and charge them at @p cost per level. */
static inline __attribute__((always_inline)) void run_charge(lpae_cpu *cpu, const uint64_t n[3],
                                                             const uint32_t *cost, lpae_cat cat)
{
    cpu->st.lines[LPAE_MEM_L1D] += n[LPAE_MEM_L1D];
    cpu->st.lines[LPAE_MEM_L2] += n[LPAE_MEM_L2];
    cpu->st.lines[LPAE_MEM_DRAM] += n[LPAE_MEM_DRAM];
    charge(cpu, cat,
           n[LPAE_MEM_L1D] * cost[LPAE_MEM_L1D] + n[LPAE_MEM_L2] * cost[LPAE_MEM_L2] +
               n[LPAE_MEM_DRAM] * cost[LPAE_MEM_DRAM]);
}

/* Runs of up to this many L1D lines go through lines_few(), longer ones
 * through lines_run(). */
#define LINES_FEW 4u

/* Charge the @p count L1D lines from line number @p ln (count > 1)
 * through the hierarchy from L1D: each line served as serve(cpu, a,
 * LPAE_MEM_L1D) serves it, the counts and cycles of the run added once. */
static __attribute__((noinline)) void lines_run(lpae_cpu *cpu, uint64_t ln, uint64_t count,
                                                const uint32_t *cost, lpae_cat cat)
{
    uint64_t n[LPAE_MEM_LEVELS] = {0, 0, 0};
    lpae_cache *l1 = cpu->l1d, *l2 = cpu->m->l2;
    /* the commonest case (a warm cache_pair_p16() pair, a run that wraps
     * neither tag array) through its own loop, anything else out of line */
    if (UNLIKELY(!cache_pair_p16_memo(l1, l2)) || UNLIKELY(!lines_p16_warm(l1, l2, ln, count, n)))
        cache_lines_call(l1, l2, ln << l1->line_shift, count, n);
    run_charge(cpu, n, cost, cat);
}

/* The lines [@p ln, @p last] through @p l1 and @p l2, a pair of geometries
 * @p k1 and @p k2 (constants: cache_line_k()), a line at a time: each line
 * counted as the single access counts it, their cycles charged at once. */
static inline __attribute__((always_inline)) void
lines_pair_k(lpae_cpu *cpu, lpae_cache *l1, lpae_cache *l2, uint64_t ln, uint64_t last,
             const uint32_t *cost, lpae_cat cat, unsigned k1, unsigned k2)
{
    unsigned lvl = cache_line_k(l1, l2, ln, k1, k2);
    cpu->st.lines[lvl]++;
    lpae_cycles_t c = cost[lvl];
    while (UNLIKELY(ln != last)) { /* the first line apart: nothing hoisted for a run */
        lvl = cache_line_k(l1, l2, ++ln, k1, k2);
        cpu->st.lines[lvl]++;
        c += cost[lvl];
    }
    charge(cpu, cat, c);
}

/* lines_pair_k() for the pair kind @p kind (CACHE_PAIR_*, not NONE) that
 * cache_pair_x() gave @p l1 and @p l2. */
static inline __attribute__((always_inline)) void lines_pair_x(lpae_cpu *cpu, lpae_cache *l1,
                                                               lpae_cache *l2, uint64_t ln,
                                                               uint64_t last, const uint32_t *cost,
                                                               lpae_cat cat, unsigned kind)
{
    if (kind == CACHE_PAIR_4_16)
        lines_pair_k(cpu, l1, l2, ln, last, cost, cat, CACHE_FAST_REC4, CACHE_FAST_PERM16);
    else if (kind == CACHE_PAIR_4_8)
        lines_pair_k(cpu, l1, l2, ln, last, cost, cat, CACHE_FAST_REC4, CACHE_FAST_PERM8);
    else
        lines_pair_k(cpu, l1, l2, ln, last, cost, cat, CACHE_FAST_REC2, CACHE_FAST_PERM8);
}

/* lines_run() of a short run (count <= LINES_FEW), in a small frame: the
 * commonest cache pair here a line at a time, with the counts and cycles
 * of each line added as the single access adds them; the pairs of
 * cache_pair_x() likewise (lines_pair_x()); any other pair through
 * lines_run(). */
static __attribute__((noinline)) void lines_few(lpae_cpu *cpu, uint64_t ln, uint64_t count,
                                                const uint32_t *cost, lpae_cat cat)
{
    lpae_cache *l1 = cpu->l1d, *l2 = cpu->m->l2;
    if (__builtin_expect(!cache_pair_p16_memo(l1, l2), 0)) {
        unsigned kind = cache_pair_x_memo(l1, l2);
        if (kind != CACHE_PAIR_NONE)
            lines_pair_x(cpu, l1, l2, ln, ln + count - 1, cost, cat, kind);
        else
            lines_run(cpu, ln, count, cost, cat);
        return;
    }
    lpae_cycles_t c = 0;
    for (uint64_t end = ln + count; ln != end; ln++) {
        unsigned lvl = cache_line_p16(l1, l2, ln);
        cpu->st.lines[lvl]++;
        c += cost[lvl];
    }
    charge(cpu, cat, c);
}

/* Charge the lines of [pa, pa+len) (len > 0). */
static inline __attribute__((always_inline)) void lines(lpae_cpu *cpu, lpae_pa_t pa, size_t len,
                                                        const uint32_t *cost, lpae_cat cat)
{
    unsigned sh = cpu->l1d->line_shift;       /* the L1D line: LPAE_P_L1D_LINE */
    if (((pa ^ (pa + len - 1)) >> sh) == 0) { /* one line: most accesses */
        unsigned lvl = serve_l1_data(cpu, pa);
        cpu->st.lines[lvl]++;
        charge(cpu, cat, cost[lvl]);
        return;
    }
    uint64_t first = pa >> sh, count = ((pa + len - 1) >> sh) - first + 1;
    if (count <= LINES_FEW)
        lines_few(cpu, first, count, cost, cat);
    else
        lines_run(cpu, first, count, cost, cat);
}

/* rw() of an access within one page (most loads and stores: PTEs,
 * descriptors, user words): the loop's one pass, with nothing but the
 * buffer, length and result live across the translation. */
static inline __attribute__((always_inline)) int rw_page(lpae_cpu *cpu, lpae_va_t va,
                                                         unsigned access, bool rd, void *rbuf,
                                                         const void *wbuf, size_t len,
                                                         lpae_xlate *fault, lpae_cycles_t *cycles)
{
    lpae_cycles_t start = total(cpu);
    lpae_xlate x;
    int rc = lpae_cpu_translate(cpu, va, access, &x);
    if (rc == LPAE_OK) {
        if (x.fault != LPAE_FAULT_NONE) {
            rc = fault_out(&x, fault);
        } else {
            lines(cpu, x.pa, len, cpu->m->mem_lat, LPAE_CAT_MEM);
            uint8_t *pg = lpae_phys_host_page(cpu->m->phys, x.pa);
            if (pg) { /* backed RAM: what lpae_phys_read/write would do */
                size_t po = (size_t)(x.pa & (LPAE_PAGE_SIZE - 1));
                if (rd)
                    lpae_phys_copy_bytes(rbuf, pg + po, len);
                else
                    lpae_phys_copy_bytes(pg + po, wbuf, len);
            } else {
                rc = rd ? lpae_phys_read(cpu->m->phys, x.pa, rbuf, len)
                        : lpae_phys_write(cpu->m->phys, x.pa, wbuf, len);
            }
            if (rc == LPAE_OK)
                cpu->st.mem_bytes += len;
        }
    }
    if (cycles)
        *cycles = total(cpu) - start;
    return rc;
}

/* Bit a set when access code a is valid and writes (w true) or does not
 * (w false): the argument checks of lpae_cpu_read/write in one test. */
#define ACC_OK_BIT(a, w)                                                                           \
    ((unsigned)(LPAE_ACC_VALID(a) && (((a)&LPAE_ACC_WRITE) != 0) == (w)) << (a))
#define ACC_OK_MASK(w)                                                                             \
    (ACC_OK_BIT(0, w) | ACC_OK_BIT(1, w) | ACC_OK_BIT(2, w) | ACC_OK_BIT(3, w) |                   \
     ACC_OK_BIT(4, w) | ACC_OK_BIT(5, w) | ACC_OK_BIT(6, w) | ACC_OK_BIT(7, w))

/* Inline into lpae_cpu_read (@p rd true: into rbuf) and lpae_cpu_write
 * (from wbuf), so that the direction is a constant. */
static inline __attribute__((always_inline)) int rw(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                    bool rd, void *rbuf, const void *wbuf,
                                                    size_t len, lpae_xlate *fault,
                                                    lpae_cycles_t *cycles)
{
    lpae_cycles_t start = total(cpu);
    int rc = LPAE_OK;
    size_t off = 0;
    while (off < len) {
        lpae_va_t a = (lpae_va_t)(va + off);
        size_t n = LPAE_PAGE_SIZE - (a & (LPAE_PAGE_SIZE - 1));
        if (n > len - off)
            n = len - off;
        lpae_xlate x;
        rc = lpae_cpu_translate(cpu, a, access, &x);
        if (rc)
            break;
        if (x.fault != LPAE_FAULT_NONE) {
            rc = fault_out(&x, fault);
            break;
        }
        lines(cpu, x.pa, n, cpu->m->mem_lat, LPAE_CAT_MEM);
        /* [x.pa, x.pa + n) lies within one page (as [a, a + n) does) */
        uint8_t *pg = lpae_phys_host_page(cpu->m->phys, x.pa);
        if (pg) { /* backed RAM: what lpae_phys_read/write would do */
            size_t po = (size_t)(x.pa & (LPAE_PAGE_SIZE - 1));
            if (rd)
                lpae_phys_copy_bytes((char *)rbuf + off, pg + po, n);
            else
                lpae_phys_copy_bytes(pg + po, (const char *)wbuf + off, n);
        } else {
            rc = rd ? lpae_phys_read(cpu->m->phys, x.pa, (char *)rbuf + off, n)
                    : lpae_phys_write(cpu->m->phys, x.pa, (const char *)wbuf + off, n);
            if (rc)
                break;
        }
        cpu->st.mem_bytes += n;
        off += n;
    }
    if (cycles)
        *cycles = total(cpu) - start;
    return rc;
}

/* The ways of lpae_cpu_read() and lpae_cpu_write() once their arguments
 * are checked, each in a frame of its own (the checks then run in the
 * caller's small frame and end in a tail call): an access within one page
 * (rw_page()), any other (rw()). */
static __attribute__((noinline)) int read_page(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                               void *buf, size_t len, lpae_xlate *fault,
                                               lpae_cycles_t *cycles)
{
    return rw_page(cpu, va, access, true, buf, NULL, len, fault, cycles);
}

static __attribute__((noinline)) int read_pages(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                void *buf, size_t len, lpae_xlate *fault,
                                                lpae_cycles_t *cycles)
{
    return rw(cpu, va, access, true, buf, NULL, len, fault, cycles);
}

static __attribute__((noinline)) int write_page(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                const void *buf, size_t len, lpae_xlate *fault,
                                                lpae_cycles_t *cycles)
{
    return rw_page(cpu, va, access, false, NULL, buf, len, fault, cycles);
}

static __attribute__((noinline)) int write_pages(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                 const void *buf, size_t len, lpae_xlate *fault,
                                                 lpae_cycles_t *cycles)
{
    return rw(cpu, va, access, false, NULL, buf, len, fault, cycles);
}

int lpae_cpu_read(lpae_cpu *cpu, lpae_va_t va, unsigned access, void *buf, size_t len,
                  lpae_xlate *fault, lpae_cycles_t *cycles)
{
    if (!cpu || (!buf && len) || access > 7u || !((ACC_OK_MASK(false) >> access) & 1u) ||
        (uint64_t)va + len > UINT64_C(1) << 32)
        return LPAE_EINVAL;
    if (len && len <= LPAE_PAGE_SIZE - (va & (LPAE_PAGE_SIZE - 1)))
        return read_page(cpu, va, access, buf, len, fault, cycles);
    return read_pages(cpu, va, access, buf, len, fault, cycles);
}

int lpae_cpu_write(lpae_cpu *cpu, lpae_va_t va, unsigned access, const void *buf, size_t len,
                   lpae_xlate *fault, lpae_cycles_t *cycles)
{
    if (!cpu || (!buf && len) || access > 7u || !((ACC_OK_MASK(true) >> access) & 1u) ||
        (uint64_t)va + len > UINT64_C(1) << 32)
        return LPAE_EINVAL;
    if (len && len <= LPAE_PAGE_SIZE - (va & (LPAE_PAGE_SIZE - 1)))
        return write_page(cpu, va, access, buf, len, fault, cycles);
    return write_pages(cpu, va, access, buf, len, fault, cycles);
}

/* The 8-byte accesses below take one buffer pointer @p buf, read into
 * (@p rd true, a constant) or written from: a store's const buffer is
 * passed without its qualifier and never written. Five arguments at most,
 * so that every way out is a tail call and the common ones are leaves. */

/* rw8_data() of a page with no host page: what lpae_phys_read/write make
 * of it. */
static __attribute__((noinline)) int rw8_unbacked(lpae_cpu *cpu, lpae_pa_t pa, bool rd,
                                                  uint64_t *buf)
{
    int rc =
        rd ? lpae_phys_read(cpu->m->phys, pa, buf, 8) : lpae_phys_write(cpu->m->phys, pa, buf, 8);
    if (rc == LPAE_OK)
        cpu->st.mem_bytes += 8;
    return rc;
}

/* rw8_pa()'s rest once its line was served by level @p lvl: the counts,
 * the cycles and the data. */
static inline __attribute__((always_inline)) int rw8_data(lpae_cpu *cpu, lpae_pa_t pa, unsigned lvl,
                                                          bool rd, uint64_t *buf)
{
    cpu->st.lines[lvl]++;
    charge(cpu, LPAE_CAT_MEM, cpu->m->mem_lat[lvl]);
    uint8_t *pg = lpae_phys_host_page(cpu->m->phys, pa);
    if (UNLIKELY(pg == NULL))
        return rw8_unbacked(cpu, pa, rd, buf);
    /* backed RAM: what lpae_phys_read/write would do */
    size_t po = (size_t)(pa & (LPAE_PAGE_SIZE - 8));
    if (rd)
        memcpy(buf, pg + po, 8);
    else
        memcpy(pg + po, buf, 8);
    cpu->st.mem_bytes += 8;
    return LPAE_OK;
}

/* rw8_pa() past an L1D access: after a miss of the 2-way L1D (@p l1_miss:
 * the line allocated and counted there) the L2, else (another L1D
 * geometry) serve_l1(); then the rest. */
static __attribute__((noinline)) int rw8_l2(lpae_cpu *cpu, lpae_pa_t pa, bool l1_miss, bool rd,
                                            uint64_t *buf)
{
    unsigned lvl = l1_miss ? l2_level(cpu->m->l2, pa) : serve_l1(cpu, pa);
    return rw8_data(cpu, pa, lvl, rd, buf);
}

/* rw8_pa() of an L1D other than a 2-way one: a 4-way L1D's cache_pair_x()
 * pair serves the line as cache_line_k() does (both geometries constant),
 * any other through rw8_l2(). */
static __attribute__((noinline)) int rw8_lx(lpae_cpu *cpu, lpae_pa_t pa, bool rd, uint64_t *buf)
{
    lpae_cache *l1 = cpu->l1d, *l2 = cpu->m->l2;
    uint64_t ln = pa >> l1->line_shift;
    unsigned kind = cache_pair_x_memo(l1, l2), lvl;
    if (kind == CACHE_PAIR_4_16)
        lvl = cache_line_k(l1, l2, ln, CACHE_FAST_REC4, CACHE_FAST_PERM16);
    else if (kind == CACHE_PAIR_4_8)
        lvl = cache_line_k(l1, l2, ln, CACHE_FAST_REC4, CACHE_FAST_PERM8);
    else
        return rw8_l2(cpu, pa, false, rd, buf);
    return rw8_data(cpu, pa, lvl, rd, buf);
}

/* rw_page() of an 8-byte aligned access, with no fault record and no cycle
 * count asked for, once translated to @p pa without a fault: such an
 * access never crosses a line (lines are at least 8 bytes), so its one
 * line is served as serve_l1() serves it, without the run test; a hit of
 * the 2-way L1D inline. */
static inline __attribute__((always_inline)) int rw8_pa(lpae_cpu *cpu, lpae_pa_t pa, bool rd,
                                                        uint64_t *buf)
{
    lpae_cache *c = cpu->l1d;
    if (UNLIKELY(c->fast != CACHE_FAST_REC2))
        return rw8_lx(cpu, pa, rd, buf);
    uint64_t ln = pa >> c->line_shift; /* cache_access_l1() */
    if (!rec2_step(c->tag + (size_t)((uint32_t)ln & c->set_mask) * 2, ln, &c->fills)) {
        c->misses++;
        return rw8_l2(cpu, pa, true, rd, buf);
    }
    c->hits++;
    return rw8_data(cpu, pa, LPAE_MEM_L1D, rd, buf);
}

/* What lpae_cpu_translate() does once the fast-path entry @p f (NULL: none
 * answers) has been looked up for a call that did not take the plain hit:
 * the fused paths' (touches, 8-byte loads and stores) way to the full
 * translation, without a second lookup. */
static inline __attribute__((always_inline)) int
translate_rest(lpae_cpu *cpu, const fp_entry *f, lpae_va_t va, unsigned access, lpae_xlate *x)
{
    if (f)
        return fast_hit(cpu, f, va, access, x);
    if (cpu->fmap[access] != UMAP_INVALID)
        return translate_miss(cpu, va, access, x);
    return translate_slow(cpu, va, access, x);
}

/* rw8() of all but a plain fast-path hit: the full translation (the
 * fast-path entry looked up again: it has no side effects), then
 * rw8_pa(); an unaligned access (@p va & 7) the public way. */
static __attribute__((noinline)) int rw8_full(lpae_cpu *cpu, lpae_va_t va, unsigned access, bool rd,
                                              uint64_t *buf)
{
    if (va & 7u)
        return rd ? lpae_cpu_read(cpu, va, access, buf, 8, NULL, NULL)
                  : lpae_cpu_write(cpu, va, access, buf, 8, NULL, NULL);
    const fp_entry *f = NULL;
    unsigned u = cpu->fmap[access];
    if (u != UMAP_INVALID)
        f = fp_lookup(cpu, u, va);
    lpae_xlate x;
    int rc = translate_rest(cpu, f, va, access, &x);
    if (rc != LPAE_OK)
        return rc;
    if (x.fault != LPAE_FAULT_NONE)
        return LPAE_EFAULT; /* fault_out(&x, NULL) */
    return rw8_pa(cpu, x.pa, rd, buf);
}

/* rw_page() of an 8-byte access with no fault record and no cycle count
 * asked for. The common case fused as in lpae_cpu_touch(): an aligned
 * access whose fast-path entry gives a plain hit has its PA without an
 * lpae_xlate. */
static inline __attribute__((always_inline)) int rw8(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                     bool rd, uint64_t *buf)
{
    unsigned u = cpu->fmap[access];
    if (LIKELY(u != UMAP_INVALID) && LIKELY((va & 7u) == 0)) {
        const fp_entry *f = fp_lookup(cpu, u, va);
        if (LIKELY(f != NULL) && plain_ok(cpu, f, access)) {
            plain_account(cpu, cpu->utlb[u], f);
            return rw8_pa(cpu, f->x.pa + va, rd, buf);
        }
    }
    return rw8_full(cpu, va, access, rd, buf);
}

/* memops_internal.h: an aligned 8-byte access never crosses a page, and a
 * 32-bit va + 8 never passes 4 GiB; an unaligned one takes the public path. */
int lpae_cpu_load64(lpae_cpu *cpu, lpae_va_t va, unsigned access, uint64_t *val)
{
    return rw8(cpu, va, access, true, val);
}

int lpae_cpu_store64(lpae_cpu *cpu, lpae_va_t va, unsigned access, const uint64_t *val)
{
    return rw8(cpu, va, access, false, (uint64_t *)val); /* never written */
}

/* lpae_cpu_touch() of a page with no host page: the lines charged, then
 * what lpae_phys_read/write would make of it: zeros read from RAM (else an
 * abort), or the page backed with its zeros. */
static __attribute__((noinline)) int touch_unbacked(lpae_cpu *cpu, lpae_pa_t pa, unsigned access,
                                                    size_t len)
{
    static const uint8_t zeros[LPAE_PAGE_SIZE];
    int rc = LPAE_OK;
    lines(cpu, pa, len, cpu->m->mem_lat, LPAE_CAT_MEM);
    if (access & LPAE_ACC_WRITE)
        rc = lpae_phys_write(cpu->m->phys, pa, zeros, len);
    else if (!lpae_phys_is_ram(cpu->m->phys, pa, len))
        rc = LPAE_EABORT;
    if (rc == LPAE_OK)
        cpu->st.mem_bytes += len;
    return rc;
}

/* touch_pa_x() but for a cache_pair_x() pair's short run: a page with
 * no host page, a cache pair cache_pair_x() has no kind for, a run of more
 * than LINES_FEW lines. Notes the pair in the L1 (cache_pair_p16_memo(),
 * else cache_pair_x_memo()) so that the next touch takes the way meant for
 * it. */
static __attribute__((noinline)) int touch_pa_gen(lpae_cpu *cpu, lpae_pa_t pa, unsigned access,
                                                  size_t len)
{
    lpae_cache *l1 = cpu->l1d, *l2 = cpu->m->l2;
    if (!cache_pair_p16_memo(l1, l2))
        (void)cache_pair_x_memo(l1, l2);
    if (!lpae_phys_host_page(cpu->m->phys, pa))
        return touch_unbacked(cpu, pa, access, len);
    lines(cpu, pa, len, cpu->m->mem_lat, LPAE_CAT_MEM);
    cpu->st.mem_bytes += len;
    return LPAE_OK;
}

/* touch_pa() of all but the common case (the cache_pair_p16() pair's
 * backed short run) when the L1 notes a cache_pair_x() kind for its L2. A
 * backed page's run of up to LINES_FEW lines through such a pair (a 4-way
 * L1D, or an 8-way L2) goes as lines_few() takes it, both geometries
 * constant (lines_pair_x()); anything else through touch_pa_gen(). */
static __attribute__((noinline)) int touch_pa_x(lpae_cpu *cpu, lpae_pa_t pa, unsigned access,
                                                size_t len)
{
    lpae_machine *m = cpu->m;
    lpae_cache *l1 = cpu->l1d, *l2 = m->l2;
    unsigned sh = l1->line_shift;
    uint64_t ln = pa >> sh, last = (pa + len - 1) >> sh;
    if (UNLIKELY(last - ln >= LINES_FEW) | UNLIKELY(l1->pairx_kind == CACHE_PAIR_NONE) ||
        UNLIKELY(!lpae_phys_host_page(m->phys, pa)))
        return touch_pa_gen(cpu, pa, access, len);
    cpu->st.mem_bytes += len;
    lines_pair_x(cpu, l1, l2, ln, last, m->mem_lat, LPAE_CAT_MEM, l1->pairx_kind);
    return LPAE_OK;
}

/* lpae_cpu_touch() once its translation gave @p pa without a fault, with
 * no call but a tail call for anything unusual (touch_pa_x() when the L1
 * notes a cache_pair_x() pair, else touch_pa_gen()). A
 * backed page and the commonest cache pair (cache_pair_p16()): each line as
 * cache_line_p16() (lines_few()'s step: the same accesses, counts and
 * cycles as serve_l1_data()'s single access), the byte count first
 * (nothing can fail after the host-page test). */
static inline __attribute__((always_inline)) int touch_pa_in(lpae_cpu *cpu, lpae_pa_t pa,
                                                             unsigned access, size_t len)
{
    lpae_machine *m = cpu->m;
    lpae_cache *l1 = cpu->l1d, *l2 = m->l2;
    unsigned sh = l1->line_shift;
    uint64_t ln = pa >> sh, last = (pa + len - 1) >> sh;
    if (UNLIKELY(l1->pair != l2) | UNLIKELY(last - ln >= LINES_FEW) ||
        UNLIKELY(!lpae_phys_host_page(m->phys, pa)))
        return l1->pairx == l2 ? touch_pa_x(cpu, pa, access, len)
                               : touch_pa_gen(cpu, pa, access, len);
    cpu->st.mem_bytes += len;
    unsigned lvl = cache_line_p16(l1, l2, ln);
    cpu->st.lines[lvl]++;
    /* cpu->m read again (the line's byte stores may alias it): m is not
     * kept in a register across the line, one saved register less */
    charge(cpu, LPAE_CAT_MEM, cpu->m->mem_lat[lvl]);
    while (UNLIKELY(ln != last)) { /* the first line apart: nothing hoisted for a run */
        lvl = cache_line_p16(l1, l2, ++ln);
        cpu->st.lines[lvl]++;
        charge(cpu, LPAE_CAT_MEM, cpu->m->mem_lat[lvl]);
    }
    return LPAE_OK;
}

/* touch_pa_in() out of line, for touch_full()'s tail call (a leaf). */
static __attribute__((noinline)) int touch_pa(lpae_cpu *cpu, lpae_pa_t pa, unsigned access,
                                              size_t len)
{
    return touch_pa_in(cpu, pa, access, len);
}

/* lpae_cpu_touch() of all but a plain fast-path hit, with the full
 * translation: what lpae_cpu_translate() does once the fast-path entry @p f
 * (NULL: none answers) has been looked up, then touch_pa(). */
static __attribute__((noinline)) int touch_full(lpae_cpu *cpu, lpae_va_t va, unsigned access,
                                                size_t len, lpae_xlate *fault, const fp_entry *f)
{
    lpae_xlate x;
    int rc = translate_rest(cpu, f, va, access, &x);
    if (rc != LPAE_OK)
        return rc;
    if (x.fault != LPAE_FAULT_NONE)
        return fault_out(&x, fault);
    return touch_pa(cpu, x.pa, access, len);
}

/* memops_internal.h: a load or store whose data nobody uses. A load's bytes
 * would be dropped, and a store of the bytes the memory already holds
 * changes nothing, so only the translation, the line charges and the byte
 * count remain. The common case fused: a fast CPU whose fast-path entry answers the page
 * with a plain hit (lpae_cpu_translate()'s plain_hit(), sharing its
 * lookup and accounting) gives the PA without filling an lpae_xlate, and
 * its lines are charged inline (touch_pa_in()); anything else ends in a
 * tail call to touch_full(). */
int lpae_cpu_touch(lpae_cpu *cpu, lpae_va_t va, unsigned access, size_t len, lpae_xlate *fault)
{
    const fp_entry *f = NULL;
    unsigned u = cpu->fmap[access];
    if (LIKELY(u != UMAP_INVALID)) {
        f = fp_lookup(cpu, u, va);
        if (LIKELY(f != NULL)) {
            if (plain_ok(cpu, f, access)) {
                plain_account(cpu, cpu->utlb[u], f);
                return touch_pa_in(cpu, f->x.pa + va, access, len);
            }
        } else {
            return touch_miss(cpu, va, access, len, fault);
        }
    }
    return touch_full(cpu, va, access, len, fault, f);
}

/* One step of lpae_cpu_copy(): 0 < len bytes that cross no page on either
 * side, translated, their lines charged and copied. */
static inline __attribute__((always_inline)) int copy_one(lpae_cpu *cpu, lpae_va_t dst,
                                                          unsigned dst_access, lpae_va_t src,
                                                          unsigned src_access, size_t len,
                                                          lpae_xlate *fault)
{
    lpae_xlate xs, xd;
    int rc = lpae_cpu_translate(cpu, src, src_access, &xs);
    if (rc)
        return rc;
    if (xs.fault != LPAE_FAULT_NONE)
        return fault_out(&xs, fault);
    rc = lpae_cpu_translate(cpu, dst, dst_access, &xd);
    if (rc)
        return rc;
    if (xd.fault != LPAE_FAULT_NONE)
        return fault_out(&xd, fault);
    lines(cpu, xs.pa, len, cpu->m->copy_line, LPAE_CAT_COPY);
    lines(cpu, xd.pa, len, cpu->m->copy_line, LPAE_CAT_COPY);
    rc = lpae_phys_copy_page(cpu->m->phys, xd.pa, xs.pa, len);
    if (rc == LPAE_OK)
        cpu->st.copy_bytes += len;
    return rc;
}

/* copy_one() in a frame of its own: lpae_cpu_copy() of a single step with
 * no progress or cycle count asked for (the kernel model's copies). */
static __attribute__((noinline)) int copy_step(lpae_cpu *cpu, lpae_va_t dst, unsigned dst_access,
                                               lpae_va_t src, unsigned src_access, size_t len,
                                               lpae_xlate *fault)
{
    return copy_one(cpu, dst, dst_access, src, src_access, len, fault);
}

/* lpae_cpu_copy() once its arguments are checked: page step by page step. */
static __attribute__((noinline)) int copy_loop(lpae_cpu *cpu, lpae_va_t dst, unsigned dst_access,
                                               lpae_va_t src, unsigned src_access, size_t len,
                                               size_t *done, lpae_xlate *fault,
                                               lpae_cycles_t *cycles)
{
    lpae_cycles_t start = total(cpu);
    int rc = LPAE_OK;
    size_t off = 0;
    while (off < len) {
        lpae_va_t s = (lpae_va_t)(src + off), d = (lpae_va_t)(dst + off);
        size_t n = len - off;
        size_t ns = LPAE_PAGE_SIZE - (s & (LPAE_PAGE_SIZE - 1));
        size_t nd = LPAE_PAGE_SIZE - (d & (LPAE_PAGE_SIZE - 1));
        if (n > ns)
            n = ns;
        if (n > nd)
            n = nd;
        rc = copy_one(cpu, d, dst_access, s, src_access, n, fault);
        if (rc)
            break;
        off += n;
        if (done)
            *done = off;
    }
    if (cycles)
        *cycles = total(cpu) - start;
    return rc;
}

int lpae_cpu_copy(lpae_cpu *cpu, lpae_va_t dst, unsigned dst_access, lpae_va_t src,
                  unsigned src_access, size_t len, size_t *done, lpae_xlate *fault,
                  lpae_cycles_t *cycles)
{
    if (done)
        *done = 0;
    /* the valid writes are PW and UW, the valid reads that are not fetches
     * PR and UR: the codes with bit 0 set (resp. clear) and nothing but
     * LPAE_ACC_USER else */
    if (!cpu || (dst_access & ~(unsigned)LPAE_ACC_USER) != LPAE_ACC_WRITE ||
        (src_access & ~(unsigned)LPAE_ACC_USER) != 0 || (uint64_t)dst + len > UINT64_C(1) << 32 ||
        (uint64_t)src + len > UINT64_C(1) << 32)
        return LPAE_EINVAL;
    if (!done && !cycles && len && len <= LPAE_PAGE_SIZE - (src & (LPAE_PAGE_SIZE - 1)) &&
        len <= LPAE_PAGE_SIZE - (dst & (LPAE_PAGE_SIZE - 1)))
        return copy_step(cpu, dst, dst_access, src, src_access, len, fault);
    return copy_loop(cpu, dst, dst_access, src, src_access, len, done, fault, cycles);
}

/* ---- statistics ------------------------------------------------------------------ */

int lpae_cpu_stats_get(const lpae_cpu *cpu, lpae_cpu_stats *out)
{
    if (!cpu || !out)
        return LPAE_EINVAL;
    *out = cpu->st;
    /* derived: the total, and hits/misses from the structures' own counters */
    out->cycles = total(cpu);
    out->translations = out->flat + out->walks;
    for (unsigned s = 0; s < LPAE_ST_COUNT; s++) {
        lpae_tlb_stats ts = s < 4 ? lpae_tlb_stats_get(lpae_cpu_tlb(cpu, (lpae_struct)s))
                                  : lpae_walkcache_stats_get(cpu->wc[s - 3]);
        out->hits[s] = ts.hits;
        out->misses[s] = ts.misses;
        if (s <= LPAE_ST_MTLB)
            out->translations += ts.hits; /* every translation ends at a hit, a walk or flat */
    }
    return LPAE_OK;
}

lpae_cycles_t lpae_cpu_cycles(const lpae_cpu *cpu)
{
    return cpu ? total(cpu) : 0;
}

int lpae_cpu_asid_stats(const lpae_cpu *cpu, uint8_t asid, lpae_xstats *out)
{
    if (!cpu || !out)
        return LPAE_EINVAL;
    asid_rec *r;
    int key = asid;
    HASH_FIND_INT(cpu->asid_index, &key, r);
    if (!r)
        return LPAE_ENOENT;
    *out = xstats_view(&r->st);
    return LPAE_OK;
}

int lpae_cpu_foreach_asid(const lpae_cpu *cpu,
                          int (*fn)(void *ctx, uint8_t asid, const lpae_xstats *st), void *ctx)
{
    if (!cpu || !fn)
        return LPAE_EINVAL;
    for (const asid_rec *r = cpu->asid_index; r; r = r->hh.next) {
        lpae_xstats v = xstats_view(&r->st);
        int rc = fn(ctx, (uint8_t)r->asid, &v);
        if (rc)
            return rc;
    }
    return LPAE_OK;
}

int lpae_cpu_region_stats(const lpae_cpu *cpu, size_t i, lpae_xstats *out)
{
    if (!cpu || !out || i > cpu->m->nrules)
        return LPAE_EINVAL;
    *out = xstats_view(&cpu->region[i]);
    return LPAE_OK;
}

void lpae_cpu_stats_reset(lpae_cpu *cpu)
{
    if (!cpu)
        return;
    memset(&cpu->st, 0, sizeof cpu->st);
    memset(cpu->region, 0, sizeof cpu->region);
    for (int a = 0; a < 256; a++)
        memset(&cpu->asid_recs[a].st, 0, sizeof cpu->asid_recs[a].st);
    for (int u = 0; u < 3; u++)
        if (cpu->utlb[u])
            memset(&cpu->utlb[u]->st, 0, sizeof cpu->utlb[u]->st);
    memset(&cpu->mtlb->st, 0, sizeof cpu->mtlb->st);
    for (int l = 1; l <= 2; l++)
        if (cpu->wc[l])
            memset(&cpu->wc[l]->t->st, 0, sizeof cpu->wc[l]->t->st);
    lpae_cache_stats_reset(cpu->l1d);
}

const lpae_tlb *lpae_cpu_tlb(const lpae_cpu *cpu, lpae_struct which)
{
    if (!cpu)
        return NULL;
    if ((unsigned)which < 3)
        return cpu->utlb[which];
    return which == LPAE_ST_MTLB ? cpu->mtlb : NULL;
}

const lpae_walkcache *lpae_cpu_walkcache(const lpae_cpu *cpu, unsigned level)
{
    return cpu && (level == 1 || level == 2) ? cpu->wc[level] : NULL;
}

const lpae_cache *lpae_cpu_l1d(const lpae_cpu *cpu)
{
    return cpu ? cpu->l1d : NULL;
}
