/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/mm.h
 * @brief Process address spaces (Linux's mm_struct) on top of lpae_pgtable:
 * TTBR0 tables of their own, an ASID context, VMAs, demand faults with
 * copy-on-write, fork, exec and exit; plus, under VMSPLIT_4G_4G, the
 * kernel lowmem address space that lives in TTBR0 under the kernel ASID.
 *
 * An lpae_mmsys is what the mms share: simulated physical memory, the
 * layout (zones, TASK_SIZE, the split's T0SZ) and the reference counts of
 * user page frames (pages shared after fork). Every lpae_mm belongs to one
 * lpae_mmsys.
 *
 * Policy as Linux's (docs/mm.md): user pages are 4 KB, non-global (nG = 1),
 * AttrIndx 7 (write-back write-allocate, L_PTE_MT_WRITEALLOC), inner
 * shareable, AP[2:1] read/write or read-only at PL0 and PL1, XN unless the
 * VMA is executable. User page frames come from highmem first, then lowmem
 * (GFP_HIGHUSER); table pages from lowmem. A private writable page shared
 * after fork is mapped read-only and copied on the first write.
 *
 * Like lpae_pgtable, this layer writes descriptors and performs no TLB
 * maintenance: results say which TLB operations the kernel would issue.
 * Not thread-safe.
 */
#ifndef LPAE_MM_H
#define LPAE_MM_H

#include "lpae/asid.h"
#include "lpae/export.h"
#include "lpae/layout.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque shared state, and one address space. */
typedef struct lpae_mmsys lpae_mmsys;
typedef struct lpae_mm lpae_mm;

/** Configuration of the shared state. */
typedef struct lpae_mmsys_config {
    lpae_phys *phys;           /**< borrowed; must outlive the mmsys */
    const lpae_layout *layout; /**< copied */
    bool user_lowmem_first;    /**< user frames from lowmem first (default false: highmem first) */
} lpae_mmsys_config;

/** Counters of the shared state. */
typedef struct lpae_mmsys_stats {
    uint64_t mms_live;       /**< user mms existing now */
    uint64_t mms_created;    /**< lpae_mm_create() + lpae_mm_fork() */
    uint64_t forks;          /**< lpae_mm_fork() */
    uint64_t exits;          /**< lpae_mm_destroy() of user mms */
    uint64_t user_frames;    /**< distinct user page frames allocated now */
    uint64_t highmem_frames; /**< of which in highmem */
    uint64_t table_pages;    /**< table pages of all live mms (kernel lowmem mm included) */
} lpae_mmsys_stats;

/**
 * Create the shared state. *out is owned by the caller; destroy it after
 * every mm. Errors: LPAE_EINVAL (NULL, layout with no lowmem), LPAE_ENOMEM.
 */
LPAE_API int lpae_mmsys_create(const lpae_mmsys_config *cfg, lpae_mmsys **out);

/** Free the shared state. Any mm still alive is destroyed first. NULL ok. */
LPAE_API void lpae_mmsys_destroy(lpae_mmsys *sys);

/** Fill @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_mmsys_stats_get(const lpae_mmsys *sys, lpae_mmsys_stats *st);

/** Number of mms sharing the frame at @p pa (0: not a user frame). */
LPAE_API uint32_t lpae_mmsys_frame_refs(const lpae_mmsys *sys, lpae_pa_t pa);

/** VMA flags (VM_READ, VM_WRITE, VM_EXEC, VM_SHARED). */
enum {
    LPAE_VM_READ = 1u << 0,
    LPAE_VM_WRITE = 1u << 1,
    LPAE_VM_EXEC = 1u << 2,
    LPAE_VM_SHARED = 1u << 3 /**< MAP_SHARED: fork shares the pages, no copy-on-write */
};

/** One mapped region [start, end). */
typedef struct lpae_vma {
    lpae_va_t start;
    lpae_va_t end;
    uint32_t flags; /**< LPAE_VM_* */
} lpae_vma;

/**
 * Create an empty user address space (what exec gives a process): an
 * all-invalid TTBR0 root table for the split's T0SZ and a fresh ASID
 * context. Errors: LPAE_EINVAL, LPAE_ENOSPC (no frame for the root), LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_create(lpae_mmsys *sys, lpae_mm **out);

/**
 * Process exit: drop every page (frames shared with other mms stay until
 * their last user drops them), free the table pages and the mm. NULL ok.
 * The caller invalidates the mm's TLB entries (or lets its ASID age out).
 */
LPAE_API void lpae_mm_destroy(lpae_mm *mm);

/** What lpae_mm_fork() did. */
typedef struct lpae_mm_fork_result {
    uint64_t pages_shared;    /**< leaf PTEs copied into the child */
    uint64_t pages_wrprotect; /**< parent PTEs made read-only for copy-on-write */
    bool parent_tlb_flush;    /**< flush_tlb_mm(parent) owed: some parent PTE lost write access */
} lpae_mm_fork_result;

/**
 * fork(): a new mm with the parent's VMAs and PTEs. Pages of shared or
 * read-only VMAs are shared as they are; writable pages of private VMAs are
 * made read-only in both (copy-on-write). @p res may be NULL.
 * Errors: LPAE_EINVAL, LPAE_ENOSPC, LPAE_ENOMEM (nothing changed: the
 * parent's PTEs are write-protected only once the child is complete).
 */
LPAE_API int lpae_mm_fork(lpae_mm *parent, lpae_mm **child, lpae_mm_fork_result *res);

/**
 * mmap(MAP_FIXED_NOREPLACE): add the VMA [va, va+size) with @p flags. No
 * page is allocated until it is touched (lpae_mm_fault) or populated.
 * Errors: LPAE_EINVAL (NULL, size 0, no access flag), LPAE_EALIGN (va or
 * size not 4 KB aligned), LPAE_ERANGE (beyond TASK_SIZE), LPAE_EEXIST
 * (overlaps a VMA), LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_mmap(lpae_mm *mm, lpae_va_t va, uint64_t size, uint32_t flags);

/**
 * munmap(): remove [va, va+size) from the VMAs (splitting them as needed)
 * and drop its pages. *@p pages_unmapped (if not NULL) receives the number
 * of PTEs removed; the caller invalidates those TLB entries
 * (flush_tlb_range). Errors: LPAE_EINVAL, LPAE_EALIGN, LPAE_ERANGE, LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_munmap(lpae_mm *mm, lpae_va_t va, uint64_t size, uint64_t *pages_unmapped);

/**
 * mprotect(): give every VMA part inside [va, va+size) the access bits
 * @p flags (LPAE_VM_READ/WRITE/EXEC; VM_SHARED is kept), splitting VMAs as
 * needed, and update the PTEs: write is removed where the VMA loses it (a
 * write grant leaves PTEs read-only until the next write fault), XN follows
 * VM_EXEC, and with no access bit left the VMA goes and its pages are
 * unmapped. *@p pages_changed (if not NULL) receives the PTEs changed; the
 * caller invalidates them (flush_tlb_range).
 * Errors: LPAE_EINVAL (NULL, unknown flag), LPAE_EALIGN, LPAE_ERANGE,
 * LPAE_ENOSPC (a block split needed a frame), LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_mprotect(lpae_mm *mm, lpae_va_t va, uint64_t size, uint32_t flags,
                              uint64_t *pages_changed);

/** Kinds of fault handling. */
typedef enum lpae_mm_fault_kind {
    LPAE_MMF_SPURIOUS = 0, /**< the PTE already allows the access: nothing to do */
    LPAE_MMF_ANON = 1,     /**< first touch: a zeroed page was mapped */
    LPAE_MMF_COW_COPY = 2, /**< write to a shared copy-on-write page: copied */
    LPAE_MMF_COW_REUSE = 3 /**< write to a copy-on-write page no one else holds: made writable */
} lpae_mm_fault_kind;

/** Outcome of one fault. */
typedef struct lpae_mm_fault_result {
    uint8_t kind;         /**< lpae_mm_fault_kind */
    bool tlb_inv;         /**< a valid PTE changed: the caller issues TLBIMVA(va, ASID) */
    lpae_pa_t pa;         /**< PA of the page now mapped at the faulting page */
    uint64_t desc_writes; /**< descriptors written (tables created included) */
} lpae_mm_fault_result;

/**
 * Handle a fault at @p va for @p access (an LPAE_ACC_* code; only its write
 * and execute bits matter), as handle_mm_fault() would.
 * Errors: LPAE_EINVAL (NULL, invalid access code), LPAE_EFAULT (no VMA
 * covers va: SIGSEGV), LPAE_EPERM (the VMA forbids the access: SIGSEGV),
 * LPAE_ENOSPC (no free page frame or table frame), LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_fault(lpae_mm *mm, lpae_va_t va, unsigned access, lpae_mm_fault_result *res);

/**
 * Fault in every page of [va, va+size) (MAP_POPULATE / mm_populate), with
 * write intent where the VMA is writable. Errors: as lpae_mm_fault, plus
 * LPAE_EALIGN.
 */
LPAE_API int lpae_mm_populate(lpae_mm *mm, lpae_va_t va, uint64_t size);

/** The mm's TTBR0 table tree (owned by the mm). NULL for NULL. */
LPAE_API lpae_pgtable *lpae_mm_pgtable(lpae_mm *mm);

/** The mm's ASID context (mm->context), owned by the mm. NULL for NULL. */
LPAE_API lpae_asid_ctx *lpae_mm_asid_ctx(lpae_mm *mm);

/** The 64-bit TTBR0 value for this mm with @p asid in [55:48] (0 for NULL). */
LPAE_API uint64_t lpae_mm_ttbr0(const lpae_mm *mm, uint8_t asid);

/** Number of VMAs, and a copy of VMA @p i (ascending). Errors: LPAE_EINVAL, LPAE_ERANGE. */
LPAE_API size_t lpae_mm_vma_count(const lpae_mm *mm);
LPAE_API int lpae_mm_vma_get(const lpae_mm *mm, size_t i, lpae_vma *out);

/** The VMA containing @p va. Errors: LPAE_EINVAL, LPAE_ENOENT. */
LPAE_API int lpae_mm_find_vma(const lpae_mm *mm, lpae_va_t va, lpae_vma *out);

/** Counters of one mm. */
typedef struct lpae_mm_stats {
    uint64_t vmas;        /**< VMAs now */
    uint64_t pages;       /**< user pages mapped now (resident set, 4 KB each) */
    uint64_t table_pages; /**< table pages held now, root included */
    uint64_t faults;      /**< lpae_mm_fault() calls that succeeded (populate included) */
    uint64_t anon_faults; /**< of which mapped a new zeroed page */
    uint64_t cow_copies;  /**< of which copied a shared page */
    uint64_t cow_reuses;  /**< of which made a sole-owner page writable */
    uint64_t desc_writes; /**< descriptors written since creation */
} lpae_mm_stats;

/** Fill @p st. Errors: LPAE_EINVAL. */
LPAE_API int lpae_mm_stats_get(const lpae_mm *mm, lpae_mm_stats *st);

/**
 * VMSPLIT_4G_4G: build the kernel lowmem address space, TTBR0 tables that
 * map [PAGE_OFFSET, high_memory) linearly onto lowmem, PL1 read/write, XN,
 * non-global (they must not match under user ASIDs), with the largest
 * blocks alignment allows. It has no VMAs and no ASID context of its own
 * (it runs under the allocator's kernel ASID); lpae_mm_destroy() frees it
 * without touching the lowmem it maps.
 * Errors: LPAE_EINVAL (NULL), LPAE_ESTATE (the layout is not 4G/4G),
 * LPAE_ENOSPC, LPAE_ENOMEM.
 */
LPAE_API int lpae_mm_create_kernel_lowmem(lpae_mmsys *sys, lpae_mm **out);

#ifdef __cplusplus
}
#endif
#endif
