/* SPDX-License-Identifier: MIT */
/*
 * The ASID allocator of Linux arch/arm/mm/context.c (Will Deacon, 2012),
 * modelled step by step; docs/asid.md maps each function to the original.
 * Names follow the kernel's: asid_generation, asid_map, active_asids,
 * reserved_asids, tlb_flush_pending, cur_idx.
 */
#include "lpae/asid.h"

#include "lpae/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lpae_asid_allocator {
    lpae_asid_config cfg;
    unsigned bits;              /* ASID_BITS */
    uint32_t nasids;            /* NUM_USER_ASIDS = ASID_FIRST_VERSION = 1 << bits (bitmap size) */
    uint64_t asid_mask;         /* ASID_MASK: the generation bits, ~0 << bits */
    uint64_t asid_generation;   /* starts at ASID_FIRST_VERSION */
    uint32_t cur_idx;           /* round-robin search start, initially 1 */
    uint32_t tlb_flush_pending; /* cpumask */
    uint64_t active_asids[LPAE_ASID_MAX_CPUS];
    uint64_t reserved_asids[LPAE_ASID_MAX_CPUS];
    uint64_t noasid_last[LPAE_ASID_MAX_CPUS]; /* no-ASID policy: mm serial last run */
    uint64_t noasid_serial;                   /* no-ASID policy: last serial handed out */
    size_t nwords;                            /* asid_map words */
    uint64_t *asid_map;                       /* bitmap of nasids bits */
    lpae_asid_stats st;
};

/* ---- bitmap helpers --------------------------------------------------- */

static bool map_test(const lpae_asid_allocator *a, uint32_t bit)
{
    return (a->asid_map[bit / 64] >> (bit % 64)) & 1u;
}

static void map_set(lpae_asid_allocator *a, uint32_t bit)
{
    a->asid_map[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* __test_and_set_bit: returns the old value. */
static bool map_test_and_set(lpae_asid_allocator *a, uint32_t bit)
{
    bool old = map_test(a, bit);
    map_set(a, bit);
    return old;
}

/* find_next_zero_bit(asid_map, nasids, start): nasids when none is free. */
static uint32_t map_find_next_zero(const lpae_asid_allocator *a, uint32_t start)
{
    if (start >= a->nasids)
        return a->nasids;
    size_t w = start / 64;
    uint64_t word = ~a->asid_map[w] & (~UINT64_C(0) << (start % 64));
    for (;;) {
        if (word) {
            uint32_t bit = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(word));
            return bit < a->nasids ? bit : a->nasids;
        }
        if (++w >= a->nwords)
            return a->nasids;
        word = ~a->asid_map[w];
    }
}

/* bitmap_zero(), then the permanently reserved kernel ASIDs are marked again
 * so that no search can ever find them. */
static void map_clear(lpae_asid_allocator *a)
{
    memset(a->asid_map, 0, a->nwords * sizeof(a->asid_map[0]));
    for (unsigned i = 0; i < a->cfg.kernel_asids; i++)
        map_set(a, a->nasids - 1 - i);
}

/* ---- creation ------------------------------------------------------------ */

int lpae_asid_create(const lpae_asid_config *cfg, lpae_asid_allocator **out)
{
    if (!cfg || !out)
        return LPAE_EINVAL;
    unsigned bits = cfg->asid_bits ? cfg->asid_bits : LPAE_ASID_BITS_DEFAULT;
    if (cfg->ncpus < 1 || cfg->ncpus > LPAE_ASID_MAX_CPUS)
        return LPAE_EINVAL;
    if (bits < LPAE_ASID_BITS_MIN || bits > LPAE_ASID_BITS_MAX)
        return LPAE_EINVAL;
    if (cfg->policy != LPAE_ASID_POLICY_LINUX && cfg->policy != LPAE_ASID_POLICY_NONE)
        return LPAE_EINVAL;
    uint32_t nasids = UINT32_C(1) << bits;
    /* ASID 0 and the kernel ASIDs are never handed out; after a rollover up
     * to ncpus numbers are held as reserved and one more must remain. */
    if (cfg->kernel_asids >= nasids || nasids - 1 - cfg->kernel_asids <= cfg->ncpus)
        return LPAE_EINVAL;

    lpae_asid_allocator *a = calloc(1, sizeof(*a));
    if (!a)
        return LPAE_ENOMEM;
    a->nwords = (nasids + 63) / 64;
    a->asid_map = calloc(a->nwords, sizeof(a->asid_map[0]));
    if (!a->asid_map) {
        free(a);
        return LPAE_ENOMEM;
    }
    a->cfg = *cfg;
    a->cfg.asid_bits = bits;
    a->bits = bits;
    a->nasids = nasids;
    a->asid_mask = ~UINT64_C(0) << bits;
    a->asid_generation = nasids; /* ATOMIC64_INIT(ASID_FIRST_VERSION) */
    a->cur_idx = 1;
    map_clear(a);
    *out = a;
    return LPAE_OK;
}

void lpae_asid_destroy(lpae_asid_allocator *a)
{
    if (!a)
        return;
    free(a->asid_map);
    free(a);
}

void lpae_asid_ctx_init(lpae_asid_ctx *ctx)
{
    if (!ctx)
        return;
    ctx->id = 0;
    ctx->cpumask = 0;
}

/* ---- context.c ----------------------------------------------------------- */

/* flush_context(): start a new generation's bitmap. No TLB operation here:
 * every CPU owes a local flush on its next slow path. */
static void flush_context(lpae_asid_allocator *a)
{
    map_clear(a);
    for (unsigned i = 0; i < a->cfg.ncpus; i++) {
        uint64_t asid = a->active_asids[i]; /* atomic64_xchg(&active_asids[i], 0) */
        a->active_asids[i] = 0;
        /* A CPU that has not switched since the last rollover keeps the id
         * it had reserved then: that mm may still be running there. */
        if (asid == 0)
            asid = a->reserved_asids[i];
        map_set(a, (uint32_t)(asid & ~a->asid_mask));
        a->reserved_asids[i] = asid;
    }
    a->tlb_flush_pending = (UINT32_C(1) << a->cfg.ncpus) - 1; /* cpumask_setall */
}

/* check_update_reserved_asid(): every CPU is scanned, no early exit, so
 * that all copies of a reserved id move to the new generation. */
static bool check_update_reserved_asid(lpae_asid_allocator *a, uint64_t asid, uint64_t newasid)
{
    bool hit = false;
    for (unsigned cpu = 0; cpu < a->cfg.ncpus; cpu++) {
        if (a->reserved_asids[cpu] == asid) {
            hit = true;
            a->reserved_asids[cpu] = newasid;
        }
    }
    return hit;
}

static uint64_t new_context(lpae_asid_allocator *a, lpae_asid_ctx *ctx,
                            lpae_asid_switch_result *res)
{
    uint64_t asid = ctx->id;
    uint64_t generation = a->asid_generation;

    a->st.allocations++;
    if (asid != 0) {
        uint64_t newasid = generation | (asid & ~a->asid_mask);
        /* The ASID was live on some CPU at the rollover: keep it. */
        if (check_update_reserved_asid(a, asid, newasid)) {
            a->st.kept_reserved++;
            res->how = LPAE_ASID_HOW_RESERVED;
            return newasid;
        }
        /* The old number is still free in this generation: re-use it. */
        if (!map_test_and_set(a, (uint32_t)(asid & ~a->asid_mask))) {
            a->st.reused++;
            res->how = LPAE_ASID_HOW_REUSED;
            return newasid;
        }
    }

    uint32_t n = map_find_next_zero(a, a->cur_idx);
    if (n == a->nasids) {
        /* Rollover: a new generation. ASID #0 stays out of the search. */
        a->asid_generation += a->nasids; /* atomic64_add_return(ASID_FIRST_VERSION) */
        generation = a->asid_generation;
        flush_context(a);
        a->st.rollovers++;
        res->rollover = true;
        n = map_find_next_zero(a, 1);
    }
    map_set(a, n);
    a->cur_idx = n;
    ctx->cpumask = 0; /* cpumask_clear(mm_cpumask(mm)) */
    a->st.fresh++;
    res->how = LPAE_ASID_HOW_FRESH;
    return (uint64_t)n | generation;
}

static void switch_linux(lpae_asid_allocator *a, unsigned cpu, lpae_asid_ctx *ctx,
                         lpae_asid_switch_result *res)
{
    uint32_t bit = UINT32_C(1) << cpu;
    uint64_t asid = ctx->id;

    /* Fast path: same generation, and this CPU's active slot was not zeroed
     * by a rollover (the exchange happens only if the generation matches). */
    if (!((asid ^ a->asid_generation) >> a->bits)) {
        uint64_t old = a->active_asids[cpu]; /* atomic64_xchg */
        a->active_asids[cpu] = asid;
        if (old != 0) {
            a->st.fast_path++;
            res->fast_path = true;
            ctx->cpumask |= bit;
            res->ctx_id = asid;
            return;
        }
    }

    /* Slow path, under cpu_asid_lock. */
    a->st.slow_path++;
    asid = ctx->id;
    if ((asid ^ a->asid_generation) >> a->bits) {
        asid = new_context(a, ctx, res);
        res->new_context = true;
        ctx->id = asid;
    }
    if (a->tlb_flush_pending & bit) { /* cpumask_test_and_clear_cpu */
        a->tlb_flush_pending &= ~bit;
        res->flush_bp_all = true;  /* local_flush_bp_all() */
        res->flush_tlb_all = true; /* local_flush_tlb_all() */
        a->st.deferred_flushes++;
        a->st.deferred_flushes_cpu[cpu]++;
    }
    a->active_asids[cpu] = asid;
    ctx->cpumask |= bit;
    res->ctx_id = asid;
}

static void switch_none(lpae_asid_allocator *a, unsigned cpu, lpae_asid_ctx *ctx,
                        lpae_asid_switch_result *res)
{
    if (ctx->id == 0)
        ctx->id = ++a->noasid_serial; /* a serial number identifies the mm */
    if (a->noasid_last[cpu] != ctx->id) {
        a->noasid_last[cpu] = ctx->id;
        res->flush_tlb_all = true;
        a->st.noasid_flushes++;
    }
    ctx->cpumask |= UINT32_C(1) << cpu;
    res->ctx_id = ctx->id;
}

int lpae_asid_switch(lpae_asid_allocator *a, unsigned cpu, lpae_asid_ctx *ctx,
                     lpae_asid_switch_result *res)
{
    if (!a || !ctx || !res || cpu >= a->cfg.ncpus)
        return LPAE_EINVAL;
    memset(res, 0, sizeof(*res));
    a->st.switches++;
    if (a->cfg.policy == LPAE_ASID_POLICY_NONE) {
        switch_none(a, cpu, ctx, res);
        res->asid = 1;
    } else {
        switch_linux(a, cpu, ctx, res);
        res->asid = (uint32_t)(res->ctx_id & ~a->asid_mask);
    }
    res->generation = a->asid_generation;
    return LPAE_OK;
}

/* ---- accessors ------------------------------------------------------------ */

int lpae_asid_add_lost(lpae_asid_allocator *a, unsigned cpu, uint64_t n)
{
    if (!a || cpu >= a->cfg.ncpus)
        return LPAE_EINVAL;
    a->st.tlb_entries_lost += n;
    return LPAE_OK;
}

int lpae_asid_stats_get(const lpae_asid_allocator *a, lpae_asid_stats *st)
{
    if (!a || !st)
        return LPAE_EINVAL;
    *st = a->st;
    return LPAE_OK;
}

int lpae_asid_cpu_state_get(const lpae_asid_allocator *a, unsigned cpu, lpae_asid_cpu_state *st)
{
    if (!a || !st || cpu >= a->cfg.ncpus)
        return LPAE_EINVAL;
    st->active = a->active_asids[cpu];
    st->reserved = a->reserved_asids[cpu];
    st->flush_pending = (a->tlb_flush_pending >> cpu) & 1u;
    return LPAE_OK;
}

uint32_t lpae_asid_of(const lpae_asid_allocator *a, uint64_t id)
{
    return a ? (uint32_t)(id & ~a->asid_mask) : 0;
}

uint64_t lpae_asid_generation(const lpae_asid_allocator *a)
{
    return a ? a->asid_generation : 0;
}

uint32_t lpae_asid_user_count(const lpae_asid_allocator *a)
{
    return a ? a->nasids - 1 - a->cfg.kernel_asids : 0;
}

uint32_t lpae_asid_first_user(const lpae_asid_allocator *a)
{
    return a ? 1 : 0;
}

int lpae_asid_kernel(const lpae_asid_allocator *a, unsigned i, uint32_t *asid)
{
    if (!a || !asid || i >= a->cfg.kernel_asids)
        return LPAE_EINVAL;
    *asid = a->nasids - 1 - i;
    return LPAE_OK;
}

const lpae_asid_config *lpae_asid_config_get(const lpae_asid_allocator *a)
{
    return a ? &a->cfg : NULL;
}

const char *lpae_asid_policy_name(lpae_asid_policy p)
{
    switch (p) {
    case LPAE_ASID_POLICY_LINUX:
        return "linux";
    case LPAE_ASID_POLICY_NONE:
        return "none";
    }
    return NULL;
}

int lpae_asid_policy_parse(const char *s, lpae_asid_policy *out)
{
    if (!s || !out)
        return LPAE_EINVAL;
    if (strcasecmp(s, "linux") == 0)
        *out = LPAE_ASID_POLICY_LINUX;
    else if (strcasecmp(s, "none") == 0)
        *out = LPAE_ASID_POLICY_NONE;
    else
        return LPAE_EPARSE;
    return LPAE_OK;
}
