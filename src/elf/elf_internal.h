/* SPDX-License-Identifier: MIT */
/* Internal state of an lpae_elf. Not part of the public API. */
#ifndef LPAE_SRC_ELF_INTERNAL_H
#define LPAE_SRC_ELF_INTERNAL_H

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>

#include "lpae/elf.h"

/* Linux's module loader marks .data..ro_after_init (and __jump_table) with
 * this flag before laying out sections (kernel/module/main.c,
 * layout_and_allocate(); include/linux/module.h SHF_RO_AFTER_INIT). */
#define ELF_LINUX_SHF_RO_AFTER_INIT 0x00200000u

/* Linux's AttrIndx for normal write-back write-allocate memory
 * (L_PTE_MT_WRITEALLOC, 7 << 2; MAIR1 Attr7 = 0xff in proc-v7-3level.S). */
/* SH[1:0] = 0b11, inner shareable (L_PTE_SHARED on SMP). */
#define ELF_SH_INNER 3

/* A symbol kept for address lookup. */
struct elf_sym {
    uint32_t value; /* st_value, Thumb bit cleared for STT_FUNC */
    uint32_t va;    /* placed address */
    uint32_t size;
    uint32_t name; /* offset into the string table data */
    uint32_t shndx;
    uint8_t type, bind;
};

/* File bytes (or zeroes) that belong to a segment or group. */
struct elf_piece {
    uint32_t seg;   /* index in segs */
    uint32_t off;   /* byte offset from the segment's first byte */
    uint32_t size;  /* bytes in memory */
    uint32_t shndx; /* module section index; 0 for a PT_LOAD segment */
    bool nobits;    /* SHT_NOBITS: nothing to copy */
};

/* A mapped run: pages with one prot in one tree. */
struct elf_run {
    lpae_va_t va;
    uint32_t size;
    uint8_t sel;
};

/* A RAM allocation of the image. */
struct elf_alloc {
    lpae_pa_t pa;
    uint64_t size;
};

struct elf_name_ent; /* uthash entry, defined in sym.c */

struct lpae_elf {
    unsigned char *buf; /* owned copy of the file */
    size_t len;
    Elf *e;
    GElf_Ehdr eh;
    char name[128];
    size_t shnum, shstrndx;

    /* PT_LOAD segments from the program headers (ET_EXEC/ET_DYN). */
    GElf_Phdr *loads;
    size_t nloads;

    /* Symbols, sorted by va after each placement. */
    struct elf_sym *syms;
    size_t nsyms;
    size_t strtab_ndx; /* section of the symbol strings */
    struct elf_name_ent *by_name;
    struct elf_name_ent *name_pool;

    /* Placement. */
    bool placed;
    lpae_elf_role role;
    int32_t bias; /* ET_EXEC/ET_DYN: placed VA - link VA (mod 2^32) */
    lpae_elf_seg *segs;
    size_t nsegs;
    struct elf_piece *pieces;
    size_t npieces;
    uint32_t *sec_va; /* modules: placed VA of each section (0: not placed) */
    bool *sec_placed;
    lpae_va_t next_va;
    lpae_va_t img_lo, img_hi; /* page-aligned extent; img_hi 0 means 4 GB */

    /* Load. */
    bool loaded;
    lpae_elf_target tgt;
    lpae_mm *mm; /* set by lpae_elf_load_mm(): runs are VMAs of this mm */
    struct elf_run *runs;
    size_t nruns, cap_runs;
    struct elf_alloc *allocs;
    size_t nallocs, cap_allocs;
    lpae_elf_report rep;
};

/* Set *diag (when non-NULL) and return err. */
int elf_fail(lpae_elf_diag *diag, int err, lpae_elf_problem p, int seg, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void elf_diag_ok(lpae_elf_diag *diag);

/* Name of section @p ndx ("" when unknown). */
const char *elf_section_name(const lpae_elf *elf, size_t ndx);

/* sym.c */
int elf_syms_read(lpae_elf *elf, lpae_elf_diag *diag);
void elf_syms_place(lpae_elf *elf);
void elf_syms_free(lpae_elf *elf);

/* place.c */
void elf_place_reset(lpae_elf *elf);

/* load.c */
int elf_push_run(lpae_elf *elf, lpae_va_t va, uint32_t size, lpae_ttbr_sel sel);
int elf_undo(lpae_elf *elf);
void elf_count_leaves(const lpae_pgtable *pt, lpae_va_t va, uint64_t size, uint32_t *g);

#endif
