/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/asid.h
 * @brief The ASID allocator of Linux arch/arm/mm/context.c, as a policy
 * object without a machine.
 *
 * Context ids are 64-bit values generation | asid, as mm->context.id is:
 * the low asid_bits hold the ASID, the bits above hold the generation,
 * which starts at 1 << asid_bits and advances by 1 << asid_bits at each
 * rollover. A context id of 0 means "never allocated". ASID 0 is never
 * handed out. Each CPU has an active and a reserved context id; a rollover
 * clears the ASID bitmap, carries each CPU's active id over as reserved, and
 * marks every CPU as owing a local TLBIALL + BPIALL, which it performs on its
 * next slow path (see docs/asid.md for the line-by-line mapping).
 *
 * The allocator charges no cycles and touches no TLB. lpae_asid_switch()
 * reports what happened so that the machine layer can charge the costs and
 * perform the TLB maintenance it asks for.
 *
 * Optionally some ASIDs are permanently reserved for the kernel (VMSPLIT_4G_4G
 * runs kernel lowmem in TTBR0 under an ASID of its own); they are the highest
 * numbers of the ASID space and never reach a user mm. A no-ASID policy is
 * available as a reference point: every switch to a different mm flushes the
 * local TLB.
 *
 * An lpae_asid_allocator is not thread-safe: a simulated SMP machine calls it
 * from one host thread, in event order, exactly as Linux serialises the slow
 * path with cpu_asid_lock.
 */
#ifndef LPAE_ASID_H
#define LPAE_ASID_H

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most CPUs an allocator serves (the machine models 1 to 8). */
#define LPAE_ASID_MAX_CPUS 8
/** Linux's ASID_BITS on ARM (also with LPAE). */
#define LPAE_ASID_BITS_DEFAULT 8
/** Narrowest and widest ASID space accepted for experiments. Widths above 8
 *  are hypothetical on ARMv7: TTBRn.ASID is 8 bits wide. */
#define LPAE_ASID_BITS_MIN 4
#define LPAE_ASID_BITS_MAX 16

/** Allocation policy. */
typedef enum lpae_asid_policy {
    /** arch/arm/mm/context.c: generations, rollover, deferred local flushes. */
    LPAE_ASID_POLICY_LINUX = 0,
    /** Reference point without ASIDs: every user mm runs under the one ASID
     *  lpae_asid_first_user(), and every switch to an mm other than the one
     *  last run on that CPU requires a local TLBIALL. */
    LPAE_ASID_POLICY_NONE = 1
} lpae_asid_policy;

/** Allocator configuration. Zero-initialise, then set what you need. */
typedef struct lpae_asid_config {
    unsigned ncpus;          /**< CPUs, 1..LPAE_ASID_MAX_CPUS */
    unsigned asid_bits;      /**< ASID width, LPAE_ASID_BITS_MIN..MAX; 0 means 8 */
    unsigned kernel_asids;   /**< ASIDs kept out of user hands (1 under VMSPLIT_4G_4G) */
    lpae_asid_policy policy; /**< LPAE_ASID_POLICY_LINUX (0) by default */
} lpae_asid_config;

/**
 * The allocator's per-mm state, owned by the caller's mm object: Linux's
 * mm->context.id and mm_cpumask(mm). Initialise with lpae_asid_ctx_init()
 * (or zero it) when the mm is created; there is nothing to release when the
 * mm dies (Linux frees ASIDs only by rollover). A context belongs to one
 * allocator.
 */
typedef struct lpae_asid_ctx {
    uint64_t id;      /**< generation | asid; 0 = never allocated */
    uint32_t cpumask; /**< bit n: the mm has run on CPU n since its last new ASID */
} lpae_asid_ctx;

/** Opaque allocator. */
typedef struct lpae_asid_allocator lpae_asid_allocator;

/** How new_context() found the ASID. */
typedef enum lpae_asid_how {
    LPAE_ASID_HOW_NONE = 0,     /**< new_context() did not run */
    LPAE_ASID_HOW_RESERVED = 1, /**< the old ASID was live at the rollover: kept */
    LPAE_ASID_HOW_REUSED = 2,   /**< the old ASID number was free: re-used */
    LPAE_ASID_HOW_FRESH = 3     /**< a new number from the round-robin search */
} lpae_asid_how;

/**
 * What one lpae_asid_switch() did. The caller performs, on this CPU and in
 * this order: if flush_bp_all, BPIALL; if flush_tlb_all, the local TLBIALL
 * sequence (DSB NSHST; TLBIALL; DSB NSH; ISB); then the TTBR0 write with
 * @c asid and an ISB.
 */
typedef struct lpae_asid_switch_result {
    uint64_t ctx_id;     /**< the mm's context id after the switch */
    uint64_t generation; /**< the allocator's generation after the switch */
    uint32_t asid;       /**< ASID to write into TTBR0[55:48] (width asid_bits) */
    uint8_t how;         /**< lpae_asid_how */
    bool fast_path;      /**< lock-free fast path taken (no cpu_asid_lock) */
    bool new_context;    /**< new_context() ran (an allocation) */
    bool rollover;       /**< this switch started a new generation */
    bool flush_tlb_all;  /**< local TLBIALL owed now (deferred rollover flush, or no-ASID policy) */
    bool flush_bp_all;   /**< local BPIALL owed now (paired with the deferred rollover flush) */
} lpae_asid_switch_result;

/** Counters. All counts are events since creation. */
typedef struct lpae_asid_stats {
    uint64_t switches;         /**< lpae_asid_switch() calls that succeeded */
    uint64_t fast_path;        /**< of which took the fast path */
    uint64_t slow_path;        /**< of which took the slow path (Linux policy) */
    uint64_t allocations;      /**< new_context() calls: kept_reserved + reused + fresh */
    uint64_t kept_reserved;    /**< allocations answered by check_update_reserved_asid() */
    uint64_t reused;           /**< allocations that re-used the old ASID number */
    uint64_t fresh;            /**< allocations from the bitmap search */
    uint64_t rollovers;        /**< generations started (flush_context() calls) */
    uint64_t deferred_flushes; /**< deferred TLBIALL+BPIALL executed, all CPUs */
    uint64_t deferred_flushes_cpu[LPAE_ASID_MAX_CPUS]; /**< the same, per CPU */
    uint64_t noasid_flushes;   /**< TLBIALLs required by the no-ASID policy */
    uint64_t tlb_entries_lost; /**< TLB entries the caller reports lost to the flushes */
} lpae_asid_stats;

/**
 * Create an allocator. *out is owned by the caller; free with
 * lpae_asid_destroy().
 * Errors: LPAE_EINVAL (NULL, ncpus outside 1..8, asid_bits outside 4..16,
 * unknown policy, or too few user ASIDs: 2^asid_bits - 1 - kernel_asids must
 * exceed ncpus so that a rollover always leaves a free ASID), LPAE_ENOMEM.
 */
LPAE_API int lpae_asid_create(const lpae_asid_config *cfg, lpae_asid_allocator **out);

/** Free the allocator. NULL is ignored. */
LPAE_API void lpae_asid_destroy(lpae_asid_allocator *a);

/** Initialise an mm's context (id 0, empty cpumask). NULL is ignored. */
LPAE_API void lpae_asid_ctx_init(lpae_asid_ctx *ctx);

/**
 * check_and_switch_context(): switch CPU @p cpu to the mm whose context is
 * @p ctx, updating ctx->id and ctx->cpumask, and describe the outcome in
 * @p res. The caller calls this when switch_mm() would (prev != next).
 * Errors (nothing changed): LPAE_EINVAL (NULL, cpu >= ncpus).
 */
LPAE_API int lpae_asid_switch(lpae_asid_allocator *a, unsigned cpu, lpae_asid_ctx *ctx,
                              lpae_asid_switch_result *res);

/**
 * Add @p n TLB entries that the machine discarded because of a flush this
 * allocator asked CPU @p cpu to perform (stats.tlb_entries_lost).
 * Errors: LPAE_EINVAL (NULL, cpu >= ncpus).
 */
LPAE_API int lpae_asid_add_lost(lpae_asid_allocator *a, unsigned cpu, uint64_t n);

/** Copy the counters into @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_asid_stats_get(const lpae_asid_allocator *a, lpae_asid_stats *st);

/** Per-CPU allocator state, for diagnostics and invariant checks. */
typedef struct lpae_asid_cpu_state {
    uint64_t active;    /**< active_asids[cpu]: 0 after a rollover until the next switch */
    uint64_t reserved;  /**< reserved_asids[cpu] */
    bool flush_pending; /**< tlb_flush_pending has this CPU */
} lpae_asid_cpu_state;

/** Fill @p st for @p cpu. Errors: LPAE_EINVAL (NULL, cpu >= ncpus). */
LPAE_API int lpae_asid_cpu_state_get(const lpae_asid_allocator *a, unsigned cpu,
                                     lpae_asid_cpu_state *st);

/** The ASID part of context id @p id (id & (2^asid_bits - 1)); 0 for NULL. */
LPAE_API uint32_t lpae_asid_of(const lpae_asid_allocator *a, uint64_t id);

/** The current generation (a multiple of 2^asid_bits, starting at 2^asid_bits); 0 for NULL. */
LPAE_API uint64_t lpae_asid_generation(const lpae_asid_allocator *a);

/** User ASIDs per generation: 2^asid_bits - 1 - kernel_asids; 0 for NULL. */
LPAE_API uint32_t lpae_asid_user_count(const lpae_asid_allocator *a);

/** The ASID user mms run under in the no-ASID policy (1); 0 for NULL. */
LPAE_API uint32_t lpae_asid_first_user(const lpae_asid_allocator *a);

/**
 * Kernel ASID number @p i (0 <= i < kernel_asids): 2^asid_bits - 1 - i, the
 * highest numbers. Errors: LPAE_EINVAL (NULL, i out of range).
 */
LPAE_API int lpae_asid_kernel(const lpae_asid_allocator *a, unsigned i, uint32_t *asid);

/** The configuration the allocator was created with (asid_bits filled in). NULL for NULL. */
LPAE_API const lpae_asid_config *lpae_asid_config_get(const lpae_asid_allocator *a);

/** "linux" or "none"; NULL for an unknown policy. */
LPAE_API const char *lpae_asid_policy_name(lpae_asid_policy p);

/** Parse "linux" or "none" (case-insensitive). Errors: LPAE_EINVAL (NULL), LPAE_EPARSE. */
LPAE_API int lpae_asid_policy_parse(const char *s, lpae_asid_policy *out);

#ifdef __cplusplus
}
#endif
#endif
