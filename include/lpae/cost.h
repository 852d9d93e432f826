/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/cost.h
 * @brief The cycle model's named parameters: costs in cycles and the
 * geometry of the modelled structures, loaded from CPU presets and from
 * `key = value` configuration files.
 *
 * Every cost the simulator charges comes from one parameter of this table.
 * Each value carries a mark saying where it comes from: 'D' documented by
 * ARM or a vendor, 'M' measured by a third party, 'C' taken from a compiler
 * or simulator model, 'E' an estimate, 'U' set by the user (a config file
 * line without a mark, or lpae_cost_set()), and a free-text source.
 *
 * Presets are the files presets/<name>.conf of the source tree, embedded in
 * the library at build time; lpae_cost_load_preset_file() reads the same
 * format from any path. docs/cycle-model.md describes every parameter.
 *
 * Text format, one parameter per line:
 *     key = value   # [D] source text
 * Blank lines and lines starting with '#' are ignored. Values are decimal
 * or 0x-hex integers, booleans (0/1/true/false/yes/no), a replacement
 * policy (lru, plru, rr, random), a cache level (l1d, l2, dram), or a
 * page-size list ("4K,2M,1G"; also 64K, 1M, 16M, 512M).
 */
#ifndef LPAE_COST_H
#define LPAE_COST_H

#include "lpae/export.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Parameter identifiers. The key of each is in the comment. */
typedef enum lpae_param {
    /* CPU */
    LPAE_P_CLOCK_MHZ, /**< cpu.clock_mhz: nominal clock, for ns <-> cycles in reports */
    /* L1 (micro) TLBs: instruction, data loads, data stores */
    LPAE_P_UTLB_I_ENTRIES,  /**< utlb.i.entries */
    LPAE_P_UTLB_I_WAYS,     /**< utlb.i.ways (== entries: fully associative) */
    LPAE_P_UTLB_I_SIZES,    /**< utlb.i.sizes: page sizes held */
    LPAE_P_UTLB_I_REPL,     /**< utlb.i.repl */
    LPAE_P_UTLB_I_LATENCY,  /**< utlb.i.latency: cycles charged on every lookup */
    LPAE_P_UTLB_DL_ENTRIES, /**< utlb.dl.entries: data (loads, or all data if no split) */
    LPAE_P_UTLB_DL_WAYS,    /**< utlb.dl.ways */
    LPAE_P_UTLB_DL_SIZES,   /**< utlb.dl.sizes */
    LPAE_P_UTLB_DL_REPL,    /**< utlb.dl.repl */
    LPAE_P_UTLB_DL_LATENCY, /**< utlb.dl.latency */
    LPAE_P_UTLB_DS_ENTRIES, /**< utlb.ds.entries: store D-TLB; 0 = stores use utlb.dl */
    LPAE_P_UTLB_DS_WAYS,    /**< utlb.ds.ways */
    LPAE_P_UTLB_DS_SIZES,   /**< utlb.ds.sizes */
    LPAE_P_UTLB_DS_REPL,    /**< utlb.ds.repl */
    LPAE_P_UTLB_DS_LATENCY, /**< utlb.ds.latency */
    /* Main (L2) TLB */
    LPAE_P_MTLB_ENTRIES, /**< mtlb.entries */
    LPAE_P_MTLB_WAYS,    /**< mtlb.ways */
    LPAE_P_MTLB_SIZES,   /**< mtlb.sizes */
    LPAE_P_MTLB_REPL,    /**< mtlb.repl */
    LPAE_P_MTLB_LATENCY, /**< mtlb.latency: cycles added by a micro-TLB miss (main lookup) */
    /* Micro-TLB flush rules */
    LPAE_P_UTLB_FLUSH_TTBR,   /**< utlb.flush_on_ttbr: TTBR0/TTBR1 writes flush micro-TLBs */
    LPAE_P_UTLB_FLUSH_CTXIDR, /**< utlb.flush_on_contextidr */
    LPAE_P_UTLB_FLUSH_TLBI,   /**< utlb.flush_on_tlbi: any TLB maintenance flushes micro-TLBs */
    /* Walk caches */
    LPAE_P_WC1_ENTRIES,    /**< wc.l1.entries: cached level-1 table descriptors (0 = none) */
    LPAE_P_WC1_WAYS,       /**< wc.l1.ways */
    LPAE_P_WC2_ENTRIES,    /**< wc.l2.entries: cached level-2 table descriptors (0 = none) */
    LPAE_P_WC2_WAYS,       /**< wc.l2.ways */
    LPAE_P_WC_REPL,        /**< wc.repl */
    LPAE_P_WC_ASID_TAGGED, /**< wc.asid_tagged: entries match only their ASID */
    LPAE_P_WC_LATENCY,     /**< wc.latency: cycles of a walk-cache lookup */
    /* Walker */
    LPAE_P_WALK_BASE,  /**< walk.base: fixed cycles to start a walk */
    LPAE_P_WALK_LEVEL, /**< walk.cache_level: first cache level walks read from */
    /* Data caches and DRAM */
    LPAE_P_L1D_SIZE,     /**< l1d.size (bytes) */
    LPAE_P_L1D_WAYS,     /**< l1d.ways */
    LPAE_P_L1D_LINE,     /**< l1d.line (bytes) */
    LPAE_P_L1D_LATENCY,  /**< l1d.latency: load-to-use of an L1D hit */
    LPAE_P_L2_SIZE,      /**< l2.size (bytes, shared by all CPUs) */
    LPAE_P_L2_WAYS,      /**< l2.ways */
    LPAE_P_L2_LINE,      /**< l2.line (bytes) */
    LPAE_P_L2_LATENCY,   /**< l2.latency: total load-to-use of an L2 hit */
    LPAE_P_DRAM_LATENCY, /**< dram.latency: total load-to-use served by DRAM */
    /* Copies: cycles per cache line moved, by the level that serves the line */
    LPAE_P_COPY_LINE_L1D,  /**< copy.line.l1d */
    LPAE_P_COPY_LINE_L2,   /**< copy.line.l2 */
    LPAE_P_COPY_LINE_DRAM, /**< copy.line.dram */
    /* CP15 register writes (each includes no barrier) */
    LPAE_P_CP15_TTBR0,      /**< cp15.ttbr0 */
    LPAE_P_CP15_TTBR1,      /**< cp15.ttbr1 */
    LPAE_P_CP15_TTBCR,      /**< cp15.ttbcr */
    LPAE_P_CP15_CONTEXTIDR, /**< cp15.contextidr */
    /* Barriers */
    LPAE_P_ISB, /**< barrier.isb */
    LPAE_P_DSB, /**< barrier.dsb */
    /* TLB maintenance, local and inner-shareable (broadcast) */
    LPAE_P_TLBI_ALL,     /**< tlbi.all */
    LPAE_P_TLBI_ASID,    /**< tlbi.asid */
    LPAE_P_TLBI_MVA,     /**< tlbi.mva */
    LPAE_P_TLBI_MVAA,    /**< tlbi.mvaa */
    LPAE_P_TLBI_ALL_IS,  /**< tlbi.all_is */
    LPAE_P_TLBI_ASID_IS, /**< tlbi.asid_is */
    LPAE_P_TLBI_MVA_IS,  /**< tlbi.mva_is */
    LPAE_P_TLBI_MVAA_IS, /**< tlbi.mvaa_is */
    LPAE_P_BPIALL,       /**< bp.iall: local BPIALL (branch predictor invalidate all) */
    /* Exceptions */
    LPAE_P_EXC_ENTRY, /**< exc.entry: exception (syscall, abort, irq) entry */
    LPAE_P_EXC_EXIT,  /**< exc.exit: exception return */
    /* Software costs used by the strategies */
    LPAE_P_SW_GUP_FAST_PAGE, /**< sw.gup_fast_page: get_user_pages_fast per page */
    LPAE_P_SW_ATOMIC,        /**< sw.atomic: one atomic refcount operation */
    LPAE_P_SW_KMAP,          /**< sw.kmap: kmap_local bookkeeping (slot push/pop) */
    LPAE_P_SW_PAGE_FAULT,    /**< sw.page_fault: page-fault handling (beyond exc.entry/exit) */
    LPAE_P_SW_IRQ_OFF,       /**< sw.irq_off */
    LPAE_P_SW_IRQ_ON,        /**< sw.irq_on */
    LPAE_P_COUNT
} lpae_param;

/** How a parameter's value is written and what it means. */
typedef enum lpae_param_type {
    LPAE_PT_CYCLES = 0, /**< a cost in cycles */
    LPAE_PT_COUNT,      /**< a count (entries, ways) */
    LPAE_PT_BYTES,      /**< a size in bytes */
    LPAE_PT_BOOL,       /**< 0 or 1 */
    LPAE_PT_REPL,       /**< lpae_repl */
    LPAE_PT_LEVEL,      /**< lpae_mem_level */
    LPAE_PT_SIZES,      /**< page-size set: bit n set = (1 << n)-byte pages held */
    LPAE_PT_MHZ         /**< a clock in MHz */
} lpae_param_type;

/** Replacement policies of the set-associative structures. */
typedef enum lpae_repl {
    LPAE_REPL_LRU = 0,   /**< least recently used */
    LPAE_REPL_PLRU = 1,  /**< tree pseudo-LRU (ways a power of two, at most 64) */
    LPAE_REPL_RR = 2,    /**< round-robin per set */
    LPAE_REPL_RANDOM = 3 /**< seeded pseudo-random */
} lpae_repl;

/** Levels of the memory hierarchy that can serve an access. */
typedef enum lpae_mem_level {
    LPAE_MEM_L1D = 0,
    LPAE_MEM_L2 = 1,
    LPAE_MEM_DRAM = 2,
    LPAE_MEM_LEVELS = 3
} lpae_mem_level;

/** Statistics categories a parameter's cost is booked under. */
typedef enum lpae_cat {
    LPAE_CAT_TLB = 0,    /**< TLB lookups (micro and main) */
    LPAE_CAT_WALK,       /**< walk start and walk-cache lookups */
    LPAE_CAT_WALK_FETCH, /**< descriptor fetches (also split by level and serving level) */
    LPAE_CAT_MAINT,      /**< TLB maintenance */
    LPAE_CAT_BARRIER,    /**< ISB, DSB */
    LPAE_CAT_REGWRITE,   /**< CP15 register writes */
    LPAE_CAT_COPY,       /**< bytes moved by copies */
    LPAE_CAT_MEM,        /**< plain loads and stores */
    LPAE_CAT_EXCEPTION,  /**< exception entry and exit */
    LPAE_CAT_SOFTWARE,   /**< software costs (GUP, atomics, kmap, faults, irq) */
    LPAE_CAT_NONE,       /**< geometry: not a cost */
    LPAE_CAT_COUNT
} lpae_cat;

/** Static description of one parameter. */
typedef struct lpae_param_info {
    const char *key; /**< "mtlb.latency" */
    lpae_param_type type;
    lpae_cat cat;    /**< category its cost is booked under (LPAE_CAT_NONE: geometry) */
    const char *doc; /**< one-line description with units */
} lpae_param_info;

/** Description of parameter @p id, or NULL if out of range. Static storage. */
LPAE_API const lpae_param_info *lpae_param_get_info(lpae_param id);

/** Parameter id for @p key, or LPAE_EINVAL (unknown key or NULL). */
LPAE_API int lpae_param_find(const char *key);

/** Name of a category ("tlb", "walk-fetch", ...); "?" if out of range. Static. */
LPAE_API const char *lpae_cat_name(lpae_cat cat);
/** Name of a replacement policy ("lru", "plru", "rr", "random"); "?" otherwise. */
LPAE_API const char *lpae_repl_name(unsigned repl);
/** Name of a memory level ("l1d", "l2", "dram"); "?" otherwise. */
LPAE_API const char *lpae_mem_level_name(unsigned level);

/** Opaque parameter set: values, marks and sources. */
typedef struct lpae_cost lpae_cost;

/** Where a text input went wrong. */
typedef struct lpae_cost_error {
    char origin[256]; /**< file name or origin label given by the caller */
    unsigned line;    /**< 1-based line; 0 when not tied to a line (missing key) */
    char msg[160];    /**< what was expected */
} lpae_cost_error;

/**
 * Create a parameter set with every value unset (0, mark '?').
 * The caller frees it with lpae_cost_destroy(). Errors: LPAE_EINVAL, LPAE_ENOMEM.
 */
LPAE_API int lpae_cost_create(lpae_cost **out);

/** Free @p c. NULL is ignored. */
LPAE_API void lpae_cost_destroy(lpae_cost *c);

/** Deep copy of @p c into a new object *out. Errors: LPAE_EINVAL, LPAE_ENOMEM. */
LPAE_API int lpae_cost_clone(const lpae_cost *c, lpae_cost **out);

/** Number of built-in presets, and the name of preset @p i (NULL out of range). */
LPAE_API size_t lpae_cost_preset_count(void);
LPAE_API const char *lpae_cost_preset_name(size_t i);

/**
 * Create the parameter set of built-in preset @p name ("cortex-a15", case
 * insensitive). Errors: LPAE_EINVAL (NULL, unknown name), LPAE_ENOMEM,
 * LPAE_EPARSE (a built-in preset is malformed: a build error; @p err says where).
 */
LPAE_API int lpae_cost_preset(const char *name, lpae_cost **out, lpae_cost_error *err);

/**
 * Create a parameter set from the preset file at @p path. Every parameter
 * must be given, with a mark. Errors: LPAE_EINVAL, LPAE_EIO (cannot read),
 * LPAE_EPARSE (syntax, unknown key, bad value, missing mark or key; @p err,
 * if not NULL, gives file:line and what was expected), LPAE_ENOMEM.
 */
LPAE_API int lpae_cost_load_preset_file(const char *path, lpae_cost **out, lpae_cost_error *err);

/**
 * Apply the `key = value` lines of file @p path on top of @p c (a user
 * configuration: any parameter may be overridden; marks are optional and
 * default to 'U' with source "path:line"). On error @p c is unchanged.
 * Errors: as lpae_cost_load_preset_file().
 */
LPAE_API int lpae_cost_load_file(lpae_cost *c, const char *path, lpae_cost_error *err);

/**
 * As lpae_cost_load_file() for @p len bytes of @p text; @p origin names the
 * input in errors and sources. Errors: LPAE_EINVAL, LPAE_EPARSE, LPAE_ENOMEM.
 */
LPAE_API int lpae_cost_load_text(lpae_cost *c, const char *text, size_t len, const char *origin,
                                 lpae_cost_error *err);

/** Value of parameter @p id (0 for an out-of-range id). */
LPAE_API uint32_t lpae_cost_get(const lpae_cost *c, lpae_param id);

/** Set parameter @p id to @p value with mark 'U'. Errors: LPAE_EINVAL (NULL, id, bad value for its
 * type). */
LPAE_API int lpae_cost_set(lpae_cost *c, lpae_param id, uint32_t value);

/** Mark of parameter @p id: 'D', 'M', 'C', 'E', 'U', or '?' when unset/out of range. */
LPAE_API char lpae_cost_mark(const lpae_cost *c, lpae_param id);

/** Source text of parameter @p id ("" when none). Owned by @p c. */
LPAE_API const char *lpae_cost_source(const lpae_cost *c, lpae_param id);

/** Name of the preset @p c was built from ("" for none). Owned by @p c. */
LPAE_API const char *lpae_cost_name(const lpae_cost *c);

/**
 * Format the value of @p id as the text format writes it ("4K,2M", "lru",
 * "12") into @p buf of @p len bytes. Returns the length needed (like
 * snprintf) or LPAE_EINVAL.
 */
LPAE_API int lpae_cost_format(const lpae_cost *c, lpae_param id, char *buf, size_t len);

/**
 * Check that the geometry is usable: entries a multiple of ways with a power
 * of two number of sets, PLRU ways a power of two <= 64, cache sizes and lines
 * consistent, page-size sets non-empty and among 4K/2M/512M/1G. On error
 * *bad (if not NULL) names the first offending parameter.
 * Errors: LPAE_EINVAL.
 */
LPAE_API int lpae_cost_check(const lpae_cost *c, lpae_param *bad);

#ifdef __cplusplus
}
#endif
#endif
