/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/kernel.h
 * @brief A simulated Linux kernel on an lpae_machine: address spaces, the
 * ASID allocator, context switches, kernel entry/exit, kmap_local windows
 * and the user-access strategies. Replaying a trace means feeding its
 * events to lpae_kernel_apply().
 *
 * Policy lives here (Linux's choices); mechanism (walks, TLBs, caches,
 * cycle costs) lives in lpae_machine. Every cycle charged goes through the
 * machine's named cost parameters.
 */
#ifndef LPAE_KERNEL_H
#define LPAE_KERNEL_H

#include "lpae/asid.h"
#include "lpae/cost.h"
#include "lpae/err.h"
#include "lpae/export.h"
#include "lpae/layout.h"
#include "lpae/machine.h"
#include "lpae/mm.h"
#include "lpae/phys.h"
#include "lpae/split.h"
#include "lpae/trace.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the kernel reaches user memory. */
typedef enum lpae_strategy {
    LPAE_STRAT_DIRECT = 0,   /**< "direct": classic split, user mapped while the kernel runs */
    LPAE_STRAT_TTBR0_PAN,    /**< "ttbr0-pan": classic split, CONFIG_CPU_TTBR0_PAN TTBCR toggles */
    LPAE_STRAT_PINNED,       /**< "pinned": 4G/4G, GUP-fast + kmap_local + memcpy per page */
    LPAE_STRAT_TTBR0_SWITCH, /**< "ttbr0-switch": 4G/4G, TTBR0+ASID switched around the access */
    LPAE_STRAT_HYBRID,       /**< "hybrid": ttbr0-switch up to a threshold, pinned above */
    LPAE_STRAT_COUNT
} lpae_strategy;

/** "direct", "ttbr0-pan", "pinned", "ttbr0-switch", "hybrid"; "?" otherwise. */
LPAE_API const char *lpae_strategy_name(lpae_strategy s);
/** Parse a strategy name. Errors: LPAE_EINVAL (NULL or unknown). */
LPAE_API int lpae_strategy_parse(const char *name, lpae_strategy *out);
/** The split a strategy naturally runs under: "VMSPLIT_3G" or "VMSPLIT_4G_4G". */
LPAE_API const char *lpae_strategy_natural_split(lpae_strategy s);

/** ttbr0-switch when the kernel buffer is not reachable through TTBR1. */
typedef enum lpae_switch_variant {
    LPAE_SWITCH_BOUNCE = 0, /**< copy through a per-CPU bounce buffer in TTBR1 */
    LPAE_SWITCH_CHUNK = 1   /**< flip TTBR0 per chunk: ldm user, switch, stm kernel, switch */
} lpae_switch_variant;

/** Everything that defines one simulated configuration. */
typedef struct lpae_kernel_config {
    const lpae_cost *cost;     /**< CPU preset + overrides; copied at create */
    unsigned ncpus;            /**< 1..8 */
    lpae_split split;          /**< address-space split */
    const lpae_ram_range *ram; /**< NULL: 2 GB at 0x80000000 + 6 GB at 0x100000000 */
    size_t nram;
    lpae_strategy strategy;
    uint32_t hybrid_threshold; /**< bytes: ttbr0-switch for len <= threshold (hybrid) */
    lpae_switch_variant switch_variant;
    uint32_t switch_chunk;  /**< bytes per TTBR0 flip in LPAE_SWITCH_CHUNK (e.g. 32) */
    bool kmap_legacy;       /**< pre-5.11 kunmap: leave the PTE, no TLBI on unmap */
    bool user_lowmem_first; /**< false (default): user pages from highmem first (GFP_HIGHUSER) */
    bool functional;        /**< move real bytes through simulated memory */
    unsigned asid_bits;     /**< 0: 8 (Linux) */
    unsigned asid_policy;   /**< lpae_asid_policy */
    uint64_t seed;          /**< for every random choice */
    uint64_t mem_cap_bytes; /**< host memory cap for simulated state; 0 = none */
    /* added by the kern branch */
    uint32_t kbuf_pages; /**< kernel buffer pages kept (page cache, slab, vmalloc, pages);
                              the oldest is dropped beyond it; 0 = 16384 (64 MB); min 64 */
    bool implicit_vmas;  /**< an access outside every VMA (below TASK_SIZE) maps an anonymous
                              read/write VMA (the aligned 1 MB around it, clipped to its
                              neighbours) instead of failing: for imported traces, whose
                              image, bss and stack mappings predate the trace. Default false */
} lpae_kernel_config;

/** Fill @p cfg with defaults: 1 CPU, VMSPLIT_4G_4G, pinned, chunk 32, threshold 256. */
LPAE_API void lpae_kernel_config_init(lpae_kernel_config *cfg);

/** Opaque kernel. */
typedef struct lpae_kernel lpae_kernel;

/**
 * Build the machine, memory, kernel tables (TTBR1, and kernel lowmem in
 * TTBR0 under its own ASID for 4G/4G) and an initial task 1 on CPU 0.
 * Errors: LPAE_EINVAL (bad config, strategy not possible under the split),
 * LPAE_ENOMEM, LPAE_ENOSPC.
 */
LPAE_API int lpae_kernel_create(const lpae_kernel_config *cfg, lpae_kernel **out);
LPAE_API void lpae_kernel_destroy(lpae_kernel *k);
/** The underlying machine (owned by the kernel). */
LPAE_API lpae_machine *lpae_kernel_machine(lpae_kernel *k);

/** Outcome of one event. */
typedef struct lpae_event_result {
    lpae_cycles_t cycles;   /**< cycles this event cost on its CPU */
    int status;             /**< 0, or the simulated kernel's result: LPAE_EFAULT, LPAE_EPERM */
    uint32_t done;          /**< bytes actually copied (copies) */
    uint32_t demand_faults; /**< pages faulted in on the way */
} lpae_event_result;

/**
 * Apply one trace event (lpae_tev from lpae/trace.h) on the event's CPU.
 * User-access events run the configured strategy; task switches run
 * switch_mm and the ASID allocator; syscall entry/exit run kernel entry
 * and exit (TTBR0 flips under 4G/4G); mm events change the task's address
 * space. A user access to an unmapped address is demand-faulted when a VMA
 * covers it and is -EFAULT otherwise; both are results (res->status), not
 * errors. Returns 0, or LPAE_EINVAL (malformed event, CPU out of range),
 * LPAE_ENOMEM/LPAE_ENOSPC (simulated memory exhausted).
 */
LPAE_API int lpae_kernel_apply(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res);

/** Phases of kernel work a cycle is booked under (sums to the total). */
typedef enum lpae_phase {
    LPAE_PH_ENTRY = 0, /**< kernel entry/exit incl. 4G/4G TTBR0 flips */
    LPAE_PH_SWITCH,  /**< context switch: switch_mm, ASID allocator, deferred flushes, kmap rebuild
                      */
    LPAE_PH_UACCESS, /**< opening/closing user-access windows (TTBCR/TTBR0 writes, ISBs) */
    LPAE_PH_GUP,     /**< GUP-fast walk, irq off/on, refcounts, put_page */
    LPAE_PH_KMAP,    /**< kmap_local map/unmap: PTE writes, TLBIMVA, barriers, bookkeeping */
    LPAE_PH_COPY,    /**< the copy itself: translations and lines moved */
    LPAE_PH_FAULT,   /**< demand page faults */
    LPAE_PH_MM,      /**< mmap/munmap/mprotect/brk/fork/exec/exit work */
    LPAE_PH_USER,    /**< user-mode touches */
    LPAE_PH_COUNT
} lpae_phase;

/** "entry", "switch", "uaccess", "gup", "kmap", "copy", "fault", "mm", "user". */
LPAE_API const char *lpae_phase_name(lpae_phase p);

/** Whole-kernel statistics (all CPUs added up). */
typedef struct lpae_kernel_stats {
    lpae_cycles_t cycles;               /**< total over all CPUs */
    lpae_cycles_t cat[LPAE_CAT_COUNT];  /**< by mechanism category (lpae_cat) */
    lpae_cycles_t phase[LPAE_PH_COUNT]; /**< by kernel phase */
    uint64_t events, syscalls, bytes_copied, uaccess_calls, efaults, eperms;
    uint64_t demand_faults, gup_pages, kmaps, kmaps_highmem;
    uint64_t ttbr_writes, ttbcr_writes, isb, dsb, tlbi;
    uint64_t tlb_hits[LPAE_ST_COUNT], tlb_misses[LPAE_ST_COUNT];
    uint64_t walks;
    uint64_t asid_allocs, asid_rollovers, asid_flushes;
    uint64_t context_switches, tasks_created;
    /* added by the kern branch */
    uint64_t bpiall;         /**< BPIALLs issued with deferred rollover flushes (bp.iall each) */
    uint64_t mprotects;      /**< mprotect events applied */
    uint64_t bounce_bytes;   /**< ttbr0-switch: bytes moved through the per-CPU bounce page */
    uint64_t chunk_flips;    /**< ttbr0-switch chunk variant: chunks copied (2 TTBR0 writes each) */
    uint64_t entry_flips;    /**< 4G/4G: TTBR0 writes done by kernel entry and exit */
    uint64_t kbuf_evictions; /**< kernel buffer pages dropped (kbuf_pages limit or no memory) */
    uint64_t implicit_vmas;  /**< VMAs created by cfg.implicit_vmas */
} lpae_kernel_stats;

/** Fill @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_kernel_stats_get(const lpae_kernel *k, lpae_kernel_stats *st);

/* ---- additions (kern branch) ------------------------------------------ */

/**
 * Digest (64-bit FNV-1a) of every kernel-side buffer page in creation order
 * (page cache, slab, stacks, vmalloc, pages) plus the values get_user
 * returned. With cfg.functional, two replays of the same trace under any
 * strategies give the same digest. Errors: LPAE_EINVAL, LPAE_EABORT.
 */
LPAE_API int lpae_kernel_digest(const lpae_kernel *k, uint64_t *out);
/** Digest of every mapped user page (VA and bytes) of every task, by task
 *  creation order. Errors: LPAE_EINVAL, LPAE_EABORT. */
LPAE_API int lpae_kernel_user_digest(const lpae_kernel *k, uint64_t *out);
/** The layout the kernel was built with (owned by the kernel). NULL for NULL. */
LPAE_API const lpae_layout *lpae_kernel_layout(const lpae_kernel *k);
/** The shared ASID allocator (owned by the kernel). NULL for NULL. */
LPAE_API lpae_asid_allocator *lpae_kernel_asid_allocator(lpae_kernel *k);

/**
 * kmap_local_page() of the page at @p pa for the task current on @p cpu
 * (kernel mode is entered if needed). Lowmem: page_address, no PTE write,
 * no TLB operation. Highmem: next per-CPU fixmap slot, PTE write,
 * local_flush_tlb_kernel_page. *va receives the kernel VA. Cycles are
 * booked in LPAE_PH_KMAP. Errors: LPAE_EINVAL (NULL, cpu, no current task,
 * pa not RAM the kernel can use), LPAE_EOVERFLOW (16 live kmaps).
 */
LPAE_API int lpae_kernel_kmap(lpae_kernel *k, unsigned cpu, lpae_pa_t pa, lpae_va_t *va);
/**
 * kunmap_local(@p va) for the task current on @p cpu: a lowmem VA is a
 * no-op; a fixmap VA must be the most recent live kmap (clear the PTE and
 * flush, unless kmap_legacy). Errors: LPAE_EINVAL (NULL, cpu, no current
 * task, va neither lowmem nor a kmap slot), LPAE_ESTATE (unbalanced:
 * nothing mapped or not the top of the stack).
 */
LPAE_API int lpae_kernel_kunmap(lpae_kernel *k, unsigned cpu, lpae_va_t va);

/** What lpae_kernel_task_info() reports. */
typedef struct lpae_task_info {
    uint32_t pid;
    int cpu;        /**< CPU the task is current on, -1 if none */
    unsigned kmaps; /**< live highmem kmap_local slots */
    lpae_mm *mm;    /**< its address space (owned by the kernel; NULL for pid 0) */
    uint64_t mm_id; /**< identity of the mm (threads share it) */
    uint8_t asid;   /**< ASID the mm holds now (0: none yet) */
} lpae_task_info;
/** Information about task @p pid. Errors: LPAE_EINVAL, LPAE_ENOENT. */
LPAE_API int lpae_kernel_task_info(const lpae_kernel *k, uint32_t pid, lpae_task_info *out);

/** What lpae_kernel_cpu_info() reports. */
typedef struct lpae_kcpu_info {
    uint32_t current; /**< pid of the current task (if has_current) */
    bool has_current;
    bool in_kernel;        /**< kernel mode (else user mode) */
    uint64_t active_mm_id; /**< mm whose ASID the CPU runs (lazy over idle) */
    uint8_t kernel_asid;   /**< 4G/4G kernel lowmem ASID (0 for classic splits) */
} lpae_kcpu_info;
/** Information about CPU @p cpu. Errors: LPAE_EINVAL. */
LPAE_API int lpae_kernel_cpu_info(const lpae_kernel *k, unsigned cpu, lpae_kcpu_info *out);

#ifdef __cplusplus
}
#endif
#endif
