/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/elf.h
 * @brief ARM ELF32 images (kernel, user programs, modules) placed and mapped
 * into simulated LPAE translation tables.
 *
 * Files are read with libelf (the gelf API) only. Three roles:
 *  - a kernel image (vmlinux, ET_EXEC): PT_LOAD segments at their link
 *    addresses, or all moved by one offset (e.g. a kernel linked for lowmem
 *    shown at 0xF1000000 as in the kernel-in-vmalloc experiments);
 *  - a user program or shared object (ET_EXEC at its link addresses, ET_DYN
 *    at a load base) in a process's TTBR0 space;
 *  - a kernel module (ET_REL): SHF_ALLOC sections grouped as Linux's module
 *    loader groups them (text, rodata, ro_after_init, data; init variants)
 *    and each group placed in the modules area.
 *
 * Opening validates the file; lpae_elf_place() computes addresses against a
 * Linux layout (lpae_layout, built for a split and RAM map) without touching
 * memory; lpae_elf_load() also allocates simulated RAM, copies the file
 * bytes and maps them into caller-given trees; lpae_elf_load_mm() execs a
 * user image into an lpae_mm process instead. Problems are reported through an
 * lpae_err code and, when a diag is passed, one sentence naming the segment
 * or section and the region. The library never prints.
 *
 * An lpae_elf is not thread-safe.
 */
#ifndef LPAE_ELF_H
#define LPAE_ELF_H

#include "lpae/export.h"
#include "lpae/layout.h"
#include "lpae/mm.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/split.h"
#include "lpae/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opened, validated ELF file. Opaque. */
typedef struct lpae_elf lpae_elf;

/** What kind of problem a diag describes (finer than the lpae_err code). */
typedef enum lpae_elf_problem {
    LPAE_ELF_P_NONE = 0,
    LPAE_ELF_P_NOT_ELF,   /**< no ELF magic (LPAE_EFORMAT) */
    LPAE_ELF_P_CLASS,     /**< not ELFCLASS32 (LPAE_EFORMAT) */
    LPAE_ELF_P_DATA,      /**< not little-endian ELFDATA2LSB (LPAE_EUNSUPP) */
    LPAE_ELF_P_MACHINE,   /**< e_machine is not EM_ARM (LPAE_EFORMAT) */
    LPAE_ELF_P_VERSION,   /**< EI_VERSION / e_version not EV_CURRENT (LPAE_EFORMAT) */
    LPAE_ELF_P_TYPE,      /**< e_type not usable for the role (LPAE_EFORMAT) */
    LPAE_ELF_P_TRUNC_HDR, /**< ELF, program or section headers cut short (LPAE_ETRUNC) */
    LPAE_ELF_P_DATA_EOF,  /**< a segment's or section's bytes lie past the end (LPAE_ETRUNC) */
    LPAE_ELF_P_BAD_SEG,   /**< malformed segment/section: filesz > memsz, wraps 4 GB,
                               bad alignment, writable+executable module section
                               (LPAE_EFORMAT) */
    LPAE_ELF_P_OVERLAP,   /**< two PT_LOAD segments share bytes (LPAE_EEXIST) */
    LPAE_ELF_P_CROSS,     /**< a segment crosses the TTBR0/TTBR1 boundary (LPAE_ERANGE) */
    LPAE_ELF_P_NOFIT,     /**< a segment is outside the region its role needs (LPAE_ERANGE),
                               or the modules area is full (LPAE_ENOSPC) */
    LPAE_ELF_P_NOLOAD,    /**< nothing to load: no PT_LOAD / SHF_ALLOC (LPAE_EFORMAT) */
    LPAE_ELF_P_IO,        /**< the file could not be read (LPAE_EIO, LPAE_ENOMEM) */
    LPAE_ELF_P_MEMORY,    /**< simulated RAM or table pages ran out, or a page was
                               already mapped (LPAE_ENOSPC, LPAE_EEXIST, ...) */
    LPAE_ELF_P_ARG        /**< bad argument or state (LPAE_EINVAL, LPAE_ESTATE) */
} lpae_elf_problem;

/** Details of a failure. Filled by every call that takes one (NULL is fine). */
typedef struct lpae_elf_diag {
    int err;                  /**< the lpae_err returned (0 on success) */
    lpae_elf_problem problem; /**< what went wrong */
    int seg;                  /**< segment/group index concerned, or -1 */
    char msg[240];            /**< one sentence, no trailing newline; "" on success */
} lpae_elf_diag;

/** How an image is used. */
typedef enum lpae_elf_role {
    LPAE_ELF_ROLE_AUTO = 0, /**< ET_REL: module; ET_DYN: user; ET_EXEC: kernel when its
                                 lowest PT_LOAD address is outside user space (user
                                 view of the layout) or it defines start_kernel, else
                                 user */
    LPAE_ELF_ROLE_KERNEL,   /**< kernel image (ET_EXEC) */
    LPAE_ELF_ROLE_USER,     /**< user program or shared object (ET_EXEC, ET_DYN) */
    LPAE_ELF_ROLE_MODULE    /**< loadable module (ET_REL) */
} lpae_elf_role;

/** Flags for lpae_elf_opts.flags. */
enum {
    LPAE_ELF_NO_INIT = 1u << 0,  /**< modules: leave out the init groups */
    LPAE_ELF_FORCE_4K = 1u << 1, /**< map with 4 KB pages only (modules always are) */
    LPAE_ELF_FIXED_PA = 1u << 2, /**< kernel/user: reserve opts.pa instead of allocating */
    LPAE_ELF_REPLACE = 1u << 3   /**< overwrite existing mappings (LPAE_MAP_REPLACE) */
};

/** Placement options. Zero-initialise for the defaults. */
typedef struct lpae_elf_opts {
    lpae_elf_role role; /**< LPAE_ELF_ROLE_AUTO by default */
    /** Kernel: VA where the lowest segment's page goes (0: link addresses).
     *  ET_DYN: VA of the lowest page (0: ELF_ET_DYN_BASE = TASK_SIZE / 3 * 2,
     *  page aligned). Module: first VA to try in the modules area (0: MODULES_VADDR); pass
     *  the previous module's report.next_va to load several. ET_EXEC user
     *  programs are position-dependent and ignore it. Must be 4 KB aligned. */
    lpae_va_t base;
    /** With LPAE_ELF_FIXED_PA: physical address of the lowest page (4 KB aligned). */
    lpae_pa_t pa;
    unsigned flags; /**< LPAE_ELF_* */
} lpae_elf_opts;

/** One placed segment (ET_EXEC/ET_DYN) or section group (ET_REL). */
typedef struct lpae_elf_seg {
    char name[24];      /**< "LOAD0".., or "text", "rodata", "ro_after_init", "data",
                             "init.text", "init.data", "init.rodata" */
    uint32_t flags;     /**< PF_R | PF_W | PF_X as the segment/group implies */
    lpae_va_t link_va;  /**< p_vaddr (modules: 0) */
    uint32_t memsz;     /**< bytes in memory */
    uint32_t filesz;    /**< bytes that come from the file; the rest reads as zero */
    uint32_t file_off;  /**< p_offset (modules: 0) */
    uint32_t nsections; /**< modules: sections in the group; else 0 */
    /* after lpae_elf_place() */
    lpae_va_t va;      /**< first byte (link_va + bias, or the group's base) */
    lpae_ttbr_sel sel; /**< which TTBR translates it */
    uint8_t region;    /**< lpae_vkind of the layout region of its first byte */
    bool global;       /**< that region's mappings are global (nG = 0) */
    lpae_prot prot;    /**< leaf attributes it is mapped with */
    bool mapped;       /**< false for segments without R/W/X (PROT_NONE) */
    /* after lpae_elf_load() / lpae_elf_load_mm() */
    lpae_pa_t pa;         /**< PA of the first byte */
    uint32_t granules[4]; /**< leaves covering it by level (1: 1 GB, 2: 2 MB, 3: 4 KB); a
                               page two segments share is counted with the one whose
                               mapping it carries (user: the later, kernel: the earlier) */
} lpae_elf_seg;

/** Summary of a load. */
typedef struct lpae_elf_report {
    size_t nseg;             /**< segments/groups placed */
    lpae_va_t va_lo;         /**< lowest VA mapped (page aligned) */
    lpae_va_t va_hi;         /**< one past the highest VA mapped (page aligned; 0 = 4 GB) */
    lpae_va_t next_va;       /**< modules: first VA after the last group and its guard page */
    uint64_t table_pages[2]; /**< table pages the load added to the TTBR0 / TTBR1 tree */
    uint64_t leaves[4];      /**< leaf descriptors covering the image, by level */
    uint64_t ram_bytes;      /**< simulated RAM allocated or reserved for the image */
    uint64_t file_bytes;     /**< bytes copied from the file */
} lpae_elf_report;

/** Where lpae_elf_load() puts things. All borrowed; they must outlive the load. */
typedef struct lpae_elf_target {
    lpae_phys *phys;     /**< simulated RAM for the image's frames */
    lpae_pa_t ram_lo;    /**< frames are allocated in [ram_lo, ram_hi) */
    lpae_pa_t ram_hi;    /**< 0 means no upper limit */
    lpae_pgtable *ttbr0; /**< tree for VAs the split translates through TTBR0 (a process's
                              tables for user images; the kernel's -- 4G/4G lowmem, or
                              the modules pmd of the classic splits -- for the others) */
    lpae_pgtable *ttbr1; /**< tree for VAs translated through TTBR1 */
} lpae_elf_target;

/**
 * Open and validate an ELF image held in memory (copied; @p buf may be
 * freed after the call). @p name is used in messages (may be NULL).
 * On success *out is owned by the caller (lpae_elf_close()).
 * Errors: LPAE_EINVAL, LPAE_ENOMEM, LPAE_EFORMAT, LPAE_EUNSUPP, LPAE_ETRUNC,
 * LPAE_EEXIST (overlapping segments); details in @p diag.
 */
LPAE_API int lpae_elf_open_mem(const void *buf, size_t len, const char *name, lpae_elf **out,
                               lpae_elf_diag *diag);

/** As lpae_elf_open_mem() for the file at @p path; adds LPAE_EIO. */
LPAE_API int lpae_elf_open_file(const char *path, lpae_elf **out, lpae_elf_diag *diag);

/** Free @p elf (its mappings, if loaded, stay in the target). NULL is ignored. */
LPAE_API void lpae_elf_close(lpae_elf *elf);

/** e_type (ET_EXEC, ET_DYN or ET_REL) and e_entry (link address). */
LPAE_API unsigned lpae_elf_type(const lpae_elf *elf);
LPAE_API lpae_va_t lpae_elf_entry(const lpae_elf *elf);
/** The name given at open (the path for files). Never NULL. */
LPAE_API const char *lpae_elf_name(const lpae_elf *elf);

/**
 * Compute addresses, regions and permissions in layout @p lay without
 * touching memory. Replaces any previous placement (not allowed while loaded).
 * Errors: LPAE_EINVAL, LPAE_EALIGN (opts.base), LPAE_ESTATE (loaded),
 * LPAE_EFORMAT (type does not fit the role), LPAE_ERANGE (crosses
 * TTBR0/TTBR1, or does not fit the role's region), LPAE_ENOSPC (modules
 * area full), LPAE_ENOMEM.
 */
LPAE_API int lpae_elf_place(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                            lpae_elf_diag *diag);

/** The role the last placement used (AUTO before any). */
LPAE_API lpae_elf_role lpae_elf_role_of(const lpae_elf *elf);

/** Segments (groups) of the last placement: count, and a copy of number @p i. */
LPAE_API size_t lpae_elf_seg_count(const lpae_elf *elf);
LPAE_API int lpae_elf_seg_get(const lpae_elf *elf, size_t i, lpae_elf_seg *out);

/**
 * Place (as lpae_elf_place()), then allocate RAM, copy the file bytes in
 * (bss and padding read as zero), and map every segment into tgt->ttbr0 or
 * tgt->ttbr1 with the largest blocks alignment allows. On error nothing of
 * this load stays mapped or allocated. @p rep (may be NULL) receives the summary.
 * Errors: those of lpae_elf_place(), LPAE_ESTATE (already loaded),
 * LPAE_EINVAL (a needed tree is NULL or covers another region),
 * LPAE_ENOSPC, LPAE_EEXIST (already mapped; see LPAE_ELF_REPLACE),
 * LPAE_EABORT (fixed PA outside RAM), LPAE_ENOMEM.
 */
LPAE_API int lpae_elf_load(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                           const lpae_elf_target *tgt, lpae_elf_report *rep, lpae_elf_diag *diag);

/**
 * Load a user program or shared object into process address space @p mm as
 * Linux's binfmt_elf does: one VMA per PT_LOAD segment (page-rounded; a page
 * shared with the previous segment is taken over by the later one, as
 * MAP_FIXED does), every page populated through lpae_mm (so frames, tables,
 * counts, fork and munmap stay lpae_mm's), then the file bytes copied into
 * the frames; the rest (bss, padding) reads as zero. Segments with no
 * access flag are left unmapped. @p lay and @p phys must be the ones @p mm's
 * lpae_mmsys was created with. On error nothing of this load stays mapped.
 * Errors: those of lpae_elf_place() (role must be AUTO or USER),
 * LPAE_ESTATE (already loaded), LPAE_EEXIST (a VMA is there already),
 * LPAE_ENOSPC, LPAE_ENOMEM.
 */
LPAE_API int lpae_elf_load_mm(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                              lpae_phys *phys, lpae_mm *mm, lpae_elf_report *rep,
                              lpae_elf_diag *diag);

/** The report of the current load. Errors: LPAE_EINVAL, LPAE_ESTATE (not loaded). */
LPAE_API int lpae_elf_report_get(const lpae_elf *elf, lpae_elf_report *rep);

/**
 * Unmap what lpae_elf_load() mapped and free its RAM (for lpae_elf_load_mm():
 * munmap its VMAs). The trees, phys or mm given to the load must still exist. Errors: LPAE_EINVAL,
 * LPAE_ESTATE (not loaded), or the first error from the table builder (the rest is still undone).
 */
LPAE_API int lpae_elf_unload(lpae_elf *elf);

/**
 * Address within a module section after placement: for ET_REL, the VA of
 * section @p name (e.g. ".text"); for others, the section's sh_addr plus the
 * load bias. Errors: LPAE_EINVAL, LPAE_ENOENT (no such section or not placed).
 */
LPAE_API int lpae_elf_section_va(const lpae_elf *elf, const char *name, lpae_va_t *va);

/** A symbol from .symtab. */
typedef struct lpae_elf_sym {
    const char *name; /**< owned by the lpae_elf; valid until it is closed */
    lpae_va_t va;     /**< placed address (Thumb bit cleared for functions) */
    uint32_t size;    /**< st_size in bytes */
    uint32_t offset;  /**< queried address minus va */
    unsigned type;    /**< STT_FUNC, STT_OBJECT or STT_NOTYPE */
    unsigned bind;    /**< STB_LOCAL, STB_GLOBAL or STB_WEAK */
} lpae_elf_sym;

/**
 * The symbol at or below @p va (within the placed image), by binary search
 * over the sorted .symtab (mapping symbols $a/$d/$t, section and file symbols
 * excluded). Before placement, link addresses are used (ET_EXEC, ET_DYN).
 * Errors: LPAE_EINVAL, LPAE_ENOENT (no symbol, or @p va outside the image).
 */
LPAE_API int lpae_elf_sym_lookup(const lpae_elf *elf, lpae_va_t va, lpae_elf_sym *out);

/**
 * Format @p va as "name+0xoff/0xsize" (Linux's %pS form) into @p buf of
 * @p len bytes. Returns the length needed (like snprintf), or LPAE_EINVAL,
 * or LPAE_ENOENT (buf then holds the bare hexadecimal address).
 */
LPAE_API int lpae_elf_symbolize(const lpae_elf *elf, lpae_va_t va, char *buf, size_t len);

/** Find a symbol by name (hash lookup). Errors: LPAE_EINVAL, LPAE_ENOENT. */
LPAE_API int lpae_elf_sym_find(const lpae_elf *elf, const char *name, lpae_elf_sym *out);

#ifdef __cplusplus
}
#endif
#endif
