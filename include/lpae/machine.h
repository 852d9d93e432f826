/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/machine.h
 * @brief A cycle-level machine: 1 to 8 CPUs sharing simulated physical
 * memory and an L2 cache, each with its translation registers, micro-TLBs,
 * main TLB, walk caches and L1 data cache.
 *
 * Every operation returns the cycles it took, derived from the state of the
 * modelled structures and the named parameters of lpae/cost.h, and books
 * them in the CPU's statistics by category. docs/cycle-model.md gives the
 * rules. Register writes take effect at once (a later ISB is charged only
 * when the caller issues it); the caller is responsible for the TLB
 * maintenance the architecture requires, and the coherence checker reports
 * what was forgotten.
 *
 * Translation order: micro-TLB (I for execute, store for writes when the
 * CPU has one, else load) -> main TLB -> walk (walk caches, then descriptor
 * fetches through the data caches from walk.cache_level). Successful
 * translations and permission faults are cached; other faults are not.
 * With SCTLR.M = 0 translation is flat, free and uncached.
 *
 * A machine is not thread-safe. Deterministic for a given seed.
 */
#ifndef LPAE_MACHINE_H
#define LPAE_MACHINE_H

#include "lpae/cache.h"
#include "lpae/cost.h"
#include "lpae/export.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/tlb.h"
#include "lpae/types.h"
#include "lpae/walk.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum CPUs per machine. */
#define LPAE_MAX_CPUS 8
/** Maximum region rules; region index LPAE_MAX_REGIONS is "other". */
#define LPAE_MAX_REGIONS 8

typedef struct lpae_machine lpae_machine;
typedef struct lpae_cpu lpae_cpu;

/** Machine configuration. */
typedef struct lpae_machine_config {
    const lpae_cost *cost; /**< copied; must pass lpae_cost_check() */
    lpae_phys *phys;       /**< borrowed, shared by all CPUs; must outlive the machine */
    unsigned ncpus;        /**< 1..LPAE_MAX_CPUS */
    uint64_t seed;         /**< seeds random replacement (each structure gets its own stream) */
} lpae_machine_config;

/**
 * Create a machine; every CPU starts with lpae_regs_init() registers, empty
 * TLBs and caches and zero cycles. Default regions: "ttbr0" (any TTBR0
 * translation) and "ttbr1". Errors: LPAE_EINVAL (NULL, ncpus, geometry that
 * fails lpae_cost_check()), LPAE_ENOMEM.
 */
LPAE_API int lpae_machine_create(const lpae_machine_config *cfg, lpae_machine **out);
/** Free the machine and its CPUs (not the phys). NULL is ignored. */
LPAE_API void lpae_machine_destroy(lpae_machine *m);
/** Number of CPUs. */
LPAE_API unsigned lpae_machine_ncpus(const lpae_machine *m);
/** CPU @p i (NULL out of range). Owned by the machine. */
LPAE_API lpae_cpu *lpae_machine_cpu(lpae_machine *m, unsigned i);
/** The machine's parameter set (owned by the machine). */
LPAE_API const lpae_cost *lpae_machine_cost(const lpae_machine *m);
/** Empty every L1D and the L2 (an experiment's cold start; no cycles, counters kept). */
LPAE_API void lpae_machine_flush_caches(lpae_machine *m);
/** The shared L2 (owned by the machine; read its stats). */
LPAE_API const lpae_cache *lpae_machine_l2(const lpae_machine *m);

/* ---- regions (classification for statistics; the layout is policy) --- */

/** One classification rule: VA range, TTBR, ASID. First match wins. */
typedef struct lpae_region_rule {
    char name[24];    /**< e.g. "ttbr0-user", "ttbr0-lowmem", "ttbr1", "fixmap" */
    lpae_va_t lo, hi; /**< inclusive VA range */
    int sel;          /**< LPAE_SEL_TTBR0, LPAE_SEL_TTBR1, or -1 for either */
    int asid;         /**< 0..255, or -1 for any */
} lpae_region_rule;

/**
 * Replace the region rules (copied; at most LPAE_MAX_REGIONS). Translations
 * matching no rule count under "other" (index @p n). Region statistics of
 * every CPU are reset. Errors: LPAE_EINVAL (NULL with n > 0, too many,
 * lo > hi, sel or asid out of range).
 */
LPAE_API int lpae_machine_set_regions(lpae_machine *m, const lpae_region_rule *rules, size_t n);
/** Number of regions including "other", and the name of region @p i ("" out of range). */
LPAE_API size_t lpae_machine_region_count(const lpae_machine *m);
LPAE_API const char *lpae_machine_region_name(const lpae_machine *m, size_t i);

/* ---- coherence checker ------------------------------------------------- */

/** Structures a cached translation can come from. */
typedef enum lpae_struct {
    LPAE_ST_UTLB_I = 0,
    LPAE_ST_UTLB_DL,
    LPAE_ST_UTLB_DS,
    LPAE_ST_MTLB,
    LPAE_ST_WC1,
    LPAE_ST_WC2,
    LPAE_ST_COUNT
} lpae_struct;

/** "utlb-i", "utlb-dl", "utlb-ds", "mtlb", "wc-l1", "wc-l2"; "?" otherwise. */
LPAE_API const char *lpae_struct_name(unsigned s);

/** A cached entry that no longer matches the tables. */
typedef struct lpae_coherence_report {
    unsigned cpu;
    uint64_t event; /**< caller's event id at the time (lpae_cpu_set_event()) */
    lpae_va_t va;
    uint8_t asid;      /**< current ASID */
    uint8_t access;    /**< LPAE_ACC_* of the translation */
    uint8_t structure; /**< lpae_struct that hit */
    /* what the structure answered */
    lpae_pa_t cached_pa; /**< PA of va (TLB), or next table PA (walk cache) */
    lpae_attrs cached_attrs;
    uint8_t cached_level; /**< leaf level (TLB) or descriptor level (walk cache) */
    uint8_t cached_shift; /**< leaf size shift (TLB); table attrs (walk cache) */
    uint8_t entry_asid;
    bool entry_global;
    /* what a walk of the current tables answers */
    lpae_fault cur_fault;
    lpae_pa_t cur_pa; /**< PA of va, or next table PA at that level (0 if none) */
    lpae_attrs cur_attrs;
    uint8_t cur_level;
    uint8_t cur_shift; /**< leaf size shift, or table attrs (walk cache) */
} lpae_coherence_report;

/** Receives reports. Must not call back into the machine. */
typedef void (*lpae_coherence_fn)(void *ctx, const lpae_coherence_report *r);

/**
 * Switch the checker on (@p fn not NULL) or off. When on, every TLB and
 * walk-cache hit re-walks the current tables (without charging cycles or
 * touching caches) and reports a mismatch. Results and cycles are the same
 * either way.
 */
LPAE_API void lpae_machine_set_checker(lpae_machine *m, lpae_coherence_fn fn, void *ctx);

/** One-line description of @p r into @p buf (snprintf semantics). LPAE_EINVAL on NULL. */
LPAE_API int lpae_coherence_format(const lpae_coherence_report *r, char *buf, size_t len);

/* ---- per-CPU state and registers ------------------------------------- */

/** Index of @p cpu in its machine. */
LPAE_API unsigned lpae_cpu_index(const lpae_cpu *cpu);
/** Current registers (owned by the CPU). */
LPAE_API const lpae_regs *lpae_cpu_regs(const lpae_cpu *cpu);
/**
 * Load a whole register set as at reset: no cycles, no flush. Errors:
 * LPAE_EINVAL, or the first error of lpae_regs_check() (nothing changed).
 */
LPAE_API int lpae_cpu_set_regs(lpae_cpu *cpu, const lpae_regs *regs);
/** Current ASID (TTBR0 or TTBR1 per TTBCR.A1). */
LPAE_API uint8_t lpae_cpu_asid(const lpae_cpu *cpu);

/**
 * MCRR write of TTBR0/TTBR1 (@p which 0/1): cp15.ttbrN cycles, micro-TLB
 * flush if utlb.flush_on_ttbr. Errors as lpae_regs_set_ttbr() (no cycles).
 * *cycles (if not NULL) receives the cycles charged.
 */
LPAE_API int lpae_cpu_write_ttbr(lpae_cpu *cpu, unsigned which, uint64_t ttbr,
                                 lpae_cycles_t *cycles);
/** Write TTBCR: cp15.ttbcr cycles. Errors as lpae_regs_set_ttbcr(). */
LPAE_API int lpae_cpu_write_ttbcr(lpae_cpu *cpu, uint32_t ttbcr, lpae_cycles_t *cycles);
/** Write CONTEXTIDR (PROCID; the ASID lives in TTBRn with LPAE): cp15.contextidr cycles,
 *  micro-TLB flush if utlb.flush_on_contextidr. Returns the cycles. */
LPAE_API lpae_cycles_t lpae_cpu_write_contextidr(lpae_cpu *cpu, uint32_t contextidr);
/** ISB and DSB: barrier.isb / barrier.dsb cycles, returned. */
LPAE_API lpae_cycles_t lpae_cpu_isb(lpae_cpu *cpu);
LPAE_API lpae_cycles_t lpae_cpu_dsb(lpae_cpu *cpu);

/** TLB maintenance operations. */
typedef enum lpae_tlbi {
    LPAE_TLBI_ALL = 0, /**< TLBIALL */
    LPAE_TLBI_ASID,    /**< TLBIASID: non-global entries of an ASID */
    LPAE_TLBI_MVA,     /**< TLBIMVA: VA + ASID, and global entries of the VA */
    LPAE_TLBI_MVAA,    /**< TLBIMVAA: VA, all ASIDs */
    LPAE_TLBI_KINDS
} lpae_tlbi;

/** "TLBIALL", "TLBIASID", "TLBIMVA", "TLBIMVAA" ("?" otherwise). */
LPAE_API const char *lpae_tlbi_name(unsigned kind);

/**
 * Perform TLB maintenance @p kind for @p va / @p asid (ignored where the
 * kind has none) on the main TLB, the walk caches and the micro-TLBs (all
 * of them when utlb.flush_on_tlbi, else the matching entries). @p is
 * selects the inner-shareable form, which acts on every CPU of the machine;
 * only the issuing CPU is charged (tlbi.<kind> or tlbi.<kind>_is), and
 * *cycles (if not NULL) receives that charge.
 * Errors: LPAE_EINVAL (NULL, unknown kind).
 */
LPAE_API int lpae_cpu_tlbi(lpae_cpu *cpu, lpae_tlbi kind, bool is, lpae_va_t va, uint8_t asid,
                           lpae_cycles_t *cycles);

/** Charge @p count times cost parameter @p id (a cycles parameter) in its category.
 *  Returns the cycles charged (0 for a parameter that is not a cost). */
LPAE_API lpae_cycles_t lpae_cpu_charge(lpae_cpu *cpu, lpae_param id, uint64_t count);

/** Set the event id that coherence reports carry from now on. */
LPAE_API void lpae_cpu_set_event(lpae_cpu *cpu, uint64_t event);

/* ---- translation and memory ------------------------------------------ */

/** Where a translation was answered. */
typedef enum lpae_xlate_src {
    LPAE_XS_UTLB = 0, /**< micro-TLB */
    LPAE_XS_MTLB,     /**< main TLB */
    LPAE_XS_WALK,     /**< table walk */
    LPAE_XS_FLAT      /**< MMU off */
} lpae_xlate_src;

/** Outcome of one translation, with what it cost. */
typedef struct lpae_xlate {
    lpae_va_t va;
    lpae_pa_t pa;     /**< valid when fault is NONE or PERMISSION */
    lpae_attrs attrs; /**< valid when fault is NONE or PERMISSION */
    lpae_fault fault;
    uint8_t fsc;         /**< long-descriptor fault status code (0 on success) */
    uint8_t level;       /**< leaf level, or the level of the fault */
    uint8_t size_shift;  /**< leaf size shift (12, 21, 30) */
    uint8_t sel;         /**< lpae_ttbr_sel */
    uint8_t asid;        /**< ASID used for the lookup */
    uint8_t src;         /**< lpae_xlate_src */
    uint8_t start_level; /**< walks: level the walk started at (after walk-cache skipping) */
    uint8_t nfetch;      /**< walks: descriptor fetches */
    uint8_t region;      /**< statistics region index */
    lpae_cycles_t cycles;
} lpae_xlate;

/**
 * Translate @p va for @p access (LPAE_ACC_*) on @p cpu, filling @p out.
 * Faults are results (out->fault), not errors.
 * Errors: LPAE_EINVAL (NULL, invalid access), LPAE_EUNSUPP (TTBCR.EAE = 0).
 */
LPAE_API int lpae_cpu_translate(lpae_cpu *cpu, lpae_va_t va, unsigned access, lpae_xlate *out);

/**
 * Load @p len bytes at @p va into @p buf (access must not write), or store
 * them (access must write), page by page: one translation per page touched,
 * then each cache line through L1D/L2/DRAM at l1d/l2/dram.latency (mem).
 * On a fault the bytes before the faulting page are done, *fault (if not
 * NULL) describes it and LPAE_EFAULT is returned. *cycles (if not NULL)
 * receives the cycles, also on error.
 * Errors: LPAE_EINVAL, LPAE_EFAULT, LPAE_EABORT (PA outside RAM), LPAE_ENOMEM.
 */
LPAE_API int lpae_cpu_read(lpae_cpu *cpu, lpae_va_t va, unsigned access, void *buf, size_t len,
                           lpae_xlate *fault, lpae_cycles_t *cycles);
LPAE_API int lpae_cpu_write(lpae_cpu *cpu, lpae_va_t va, unsigned access, const void *buf,
                            size_t len, lpae_xlate *fault, lpae_cycles_t *cycles);

/**
 * Copy @p len bytes from @p src (read with @p src_access) to @p dst (written
 * with @p dst_access, which must include LPAE_ACC_WRITE) as memcpy does, in
 * chunks that cross no page on either side: each chunk translates both
 * sides once, then every source and destination line is charged
 * copy.line.<level that served it> (copy). *done (if not NULL) receives the
 * bytes copied; on a fault the chunk is not copied.
 * Errors: LPAE_EINVAL, LPAE_EFAULT, LPAE_EABORT, LPAE_ENOMEM.
 */
LPAE_API int lpae_cpu_copy(lpae_cpu *cpu, lpae_va_t dst, unsigned dst_access, lpae_va_t src,
                           unsigned src_access, size_t len, size_t *done, lpae_xlate *fault,
                           lpae_cycles_t *cycles);

/* ---- statistics -------------------------------------------------------- */

/** Translation counters for one ASID or one region. */
typedef struct lpae_xstats {
    uint64_t translations, utlb_hits, mtlb_hits, walks, flat, faults, fetches;
    lpae_cycles_t cycles; /**< translation cycles */
} lpae_xstats;

/** Per-CPU statistics. */
typedef struct lpae_cpu_stats {
    lpae_cycles_t cycles;              /**< total */
    lpae_cycles_t cat[LPAE_CAT_COUNT]; /**< by category */
    lpae_cycles_t tlb_cycles[4];       /**< the tlb category by level: LPAE_ST_UTLB_I..MTLB */
    uint64_t translations, faults, walks, flat;
    uint64_t hits[LPAE_ST_COUNT], misses[LPAE_ST_COUNT];
    uint64_t fetches[4]
                    [LPAE_MEM_LEVELS]; /**< descriptor fetches by level (1..3) and serving level */
    lpae_cycles_t fetch_cycles[4][LPAE_MEM_LEVELS];
    uint64_t tlbi[LPAE_TLBI_KINDS][2]; /**< issued, [0] local, [1] inner-shareable */
    uint64_t tlbi_received;            /**< IS operations from other CPUs applied here */
    uint64_t utlb_flushes;             /**< whole micro-TLB flushes by the flush rules */
    uint64_t reg_writes, isb, dsb;
    uint64_t copy_bytes, mem_bytes;
    uint64_t lines[LPAE_MEM_LEVELS]; /**< copy and load/store lines by serving level */
    uint64_t coherence_reports;
} lpae_cpu_stats;

/** Copy of @p cpu's statistics into @p out. Errors: LPAE_EINVAL. */
LPAE_API int lpae_cpu_stats_get(const lpae_cpu *cpu, lpae_cpu_stats *out);
/** Cycles so far (lpae_cpu_stats.cycles). */
LPAE_API lpae_cycles_t lpae_cpu_cycles(const lpae_cpu *cpu);
/** Statistics of @p asid. Errors: LPAE_EINVAL, LPAE_ENOENT (never current during a translation). */
LPAE_API int lpae_cpu_asid_stats(const lpae_cpu *cpu, uint8_t asid, lpae_xstats *out);
/** Call @p fn for each ASID seen, in first-seen order; stops at a non-zero return (returned). */
LPAE_API int lpae_cpu_foreach_asid(const lpae_cpu *cpu,
                                   int (*fn)(void *ctx, uint8_t asid, const lpae_xstats *st),
                                   void *ctx);
/** Statistics of region @p i (< lpae_machine_region_count()). Errors: LPAE_EINVAL. */
LPAE_API int lpae_cpu_region_stats(const lpae_cpu *cpu, size_t i, lpae_xstats *out);
/** Zero every counter of @p cpu and of its structures (contents stay). */
LPAE_API void lpae_cpu_stats_reset(lpae_cpu *cpu);

/** The CPU's structures, for inspection (owned by the CPU; NULL if absent or out of range). */
LPAE_API const lpae_tlb *lpae_cpu_tlb(const lpae_cpu *cpu, lpae_struct which);
LPAE_API const lpae_walkcache *lpae_cpu_walkcache(const lpae_cpu *cpu, unsigned level);
LPAE_API const lpae_cache *lpae_cpu_l1d(const lpae_cpu *cpu);

#ifdef __cplusplus
}
#endif
#endif
