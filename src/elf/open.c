/* SPDX-License-Identifier: MIT */
/* Opening and validating ARM ELF32 files with libelf (gelf API). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/oneline.h"
#include "elf/elf_internal.h"
#include "lpae/err.h"

int elf_fail(lpae_elf_diag *diag, int err, lpae_elf_problem p, int seg, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        diag->err = err;
        diag->problem = p;
        diag->seg = seg;
        va_start(ap, fmt);
        vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
        va_end(ap);
        lpae_oneline(diag->msg);
    }
    return err;
}

void elf_diag_ok(lpae_elf_diag *diag)
{
    if (diag) {
        diag->err = 0;
        diag->problem = LPAE_ELF_P_NONE;
        diag->seg = -1;
        diag->msg[0] = '\0';
    }
}

const char *elf_section_name(const lpae_elf *elf, size_t ndx)
{
    Elf_Scn *scn;
    GElf_Shdr sh;
    const char *n;

    if (!elf->e || ndx == 0 || ndx >= elf->shnum)
        return "";
    scn = elf_getscn(elf->e, ndx);
    if (!scn || !gelf_getshdr(scn, &sh))
        return "";
    n = elf_strptr(elf->e, elf->shstrndx, sh.sh_name);
    return n ? n : "";
}

static const char *type_name(unsigned t)
{
    switch (t) {
    case ET_NONE:
        return "ET_NONE";
    case ET_REL:
        return "ET_REL";
    case ET_EXEC:
        return "ET_EXEC";
    case ET_DYN:
        return "ET_DYN";
    case ET_CORE:
        return "ET_CORE";
    default:
        return "unknown";
    }
}

/* Identification and ELF header. */
static int check_header(lpae_elf *elf, lpae_elf_diag *diag)
{
    const char *nm = elf->name;
    int cls;

    if (elf->len < SELFMAG || memcmp(elf->buf, ELFMAG, SELFMAG) != 0)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF, -1,
                        "%s: not an ELF file (no \\177ELF magic)", nm);
    if (elf->len < sizeof(Elf32_Ehdr))
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: ELF header truncated (%zu of %zu bytes)", nm, elf->len,
                        sizeof(Elf32_Ehdr));
    elf->e = elf_memory((char *)elf->buf, elf->len);
    if (!elf->e || elf_kind(elf->e) != ELF_K_ELF)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF, -1, "%s: libelf: %s", nm,
                        elf_errmsg(-1));
    cls = gelf_getclass(elf->e);
    if (cls != ELFCLASS32)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_CLASS, -1,
                        "%s: ELF class %s, expected ELFCLASS32 (ARM 32-bit)", nm,
                        cls == ELFCLASS64 ? "ELFCLASS64" : "invalid");
    if (!gelf_getehdr(elf->e, &elf->eh))
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF, -1, "%s: unreadable ELF header: %s",
                        nm, elf_errmsg(-1));
    if (elf->eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return elf_fail(diag, LPAE_EUNSUPP, LPAE_ELF_P_DATA, -1,
                        "%s: big-endian or invalid data encoding (EI_DATA %u); only "
                        "little-endian ELFDATA2LSB is modelled",
                        nm, elf->eh.e_ident[EI_DATA]);
    if (elf->eh.e_machine != EM_ARM)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_MACHINE, -1,
                        "%s: e_machine %u, expected EM_ARM (%u)", nm, elf->eh.e_machine,
                        (unsigned)EM_ARM);
    if (elf->eh.e_ident[EI_VERSION] != EV_CURRENT || elf->eh.e_version != EV_CURRENT)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_VERSION, -1,
                        "%s: ELF version %u, expected EV_CURRENT", nm, (unsigned)elf->eh.e_version);
    if (elf->eh.e_type != ET_EXEC && elf->eh.e_type != ET_DYN && elf->eh.e_type != ET_REL)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TYPE, -1,
                        "%s: e_type %s (%u); expected ET_EXEC, ET_DYN or ET_REL", nm,
                        type_name(elf->eh.e_type), (unsigned)elf->eh.e_type);
    return 0;
}

/* The section header table and every section's bytes lie inside the file. */
static int check_sections(lpae_elf *elf, lpae_elf_diag *diag)
{
    const char *nm = elf->name;
    uint64_t end;
    size_t want;

    if (elf->eh.e_shoff == 0) {
        elf->shnum = 0;
        return 0;
    }
    if (elf->eh.e_shentsize != sizeof(Elf32_Shdr))
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: e_shentsize %u, expected %zu", nm, elf->eh.e_shentsize,
                        sizeof(Elf32_Shdr));
    /* Section 0 must be readable before libelf can tell an extended count. */
    if ((uint64_t)elf->eh.e_shoff + sizeof(Elf32_Shdr) > elf->len)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: section headers at 0x%llx lie past the end of the file (%zu "
                        "bytes)",
                        nm, (unsigned long long)elf->eh.e_shoff, elf->len);
    /* The count from the ELF header (section 0 holds it when e_shnum is 0). */
    want = elf->eh.e_shnum;
    if (want == 0 && elf_getshdrnum(elf->e, &want) != 0)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: section headers unreadable: %s", nm, elf_errmsg(-1));
    end = (uint64_t)elf->eh.e_shoff + (uint64_t)want * sizeof(Elf32_Shdr);
    if (end > elf->len)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: %zu section headers end at 0x%llx, past the end of the file "
                        "(%zu bytes)",
                        nm, want, (unsigned long long)end, elf->len);
    if (elf_getshdrnum(elf->e, &elf->shnum) != 0 || elf->shnum != want)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: libelf reads %zu of %zu section headers: %s", nm, elf->shnum, want,
                        elf_errmsg(-1));
    if (elf_getshdrstrndx(elf->e, &elf->shstrndx) != 0 || elf->shstrndx >= elf->shnum)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: no valid section-name string table: %s", nm, elf_errmsg(-1));
    for (size_t i = 1; i < elf->shnum; i++) {
        Elf_Scn *scn = elf_getscn(elf->e, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TRUNC_HDR, -1,
                            "%s: section %zu header unreadable: %s", nm, i, elf_errmsg(-1));
        if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
            continue;
        if (sh.sh_offset > elf->len || sh.sh_size > elf->len - sh.sh_offset) {
            const char *sn = i == elf->shstrndx ? "(section names)" : elf_section_name(elf, i);
            return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_DATA_EOF, -1,
                            "%s: section %zu '%s' (offset 0x%llx, %llu bytes) extends past "
                            "the end of the file (%zu bytes)",
                            nm, i, sn, (unsigned long long)sh.sh_offset,
                            (unsigned long long)sh.sh_size, elf->len);
        }
    }
    return 0;
}

static int cmp_load(const void *a, const void *b)
{
    const GElf_Phdr *x = a, *y = b;
    return x->p_vaddr < y->p_vaddr ? -1 : x->p_vaddr > y->p_vaddr;
}

/* Program headers and PT_LOAD segments. */
static int check_segments(lpae_elf *elf, lpae_elf_diag *diag)
{
    const char *nm = elf->name;
    size_t phnum = 0;
    uint64_t end;

    if (elf->eh.e_type == ET_REL)
        return 0; /* a module's program headers (if any) are ignored, as Linux does */
    if (elf->eh.e_phoff == 0 || elf->eh.e_phnum == 0)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOLOAD, -1,
                        "%s: %s file without program headers: nothing to load", nm,
                        type_name(elf->eh.e_type));
    if (elf->eh.e_phentsize != sizeof(Elf32_Phdr))
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: e_phentsize %u, expected %zu", nm, elf->eh.e_phentsize,
                        sizeof(Elf32_Phdr));
    phnum = elf->eh.e_phnum;
    if (phnum == PN_XNUM && elf_getphdrnum(elf->e, &phnum) != 0)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: program headers unreadable: %s", nm, elf_errmsg(-1));
    end = (uint64_t)elf->eh.e_phoff + (uint64_t)phnum * sizeof(Elf32_Phdr);
    if (end > elf->len)
        return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                        "%s: %zu program headers end at 0x%llx, past the end of the file "
                        "(%zu bytes)",
                        nm, phnum, (unsigned long long)end, elf->len);
    elf->loads = calloc(phnum, sizeof *elf->loads);
    if (!elf->loads)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", nm);
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf->e, (int)i, &ph))
            return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_TRUNC_HDR, -1,
                            "%s: program header %zu unreadable: %s", nm, i, elf_errmsg(-1));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, (int)elf->nloads,
                            "%s: PT_LOAD at 0x%08llx has p_filesz 0x%llx > p_memsz 0x%llx", nm,
                            (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_filesz,
                            (unsigned long long)ph.p_memsz);
        if (ph.p_offset > elf->len || ph.p_filesz > elf->len - ph.p_offset)
            return elf_fail(diag, LPAE_ETRUNC, LPAE_ELF_P_DATA_EOF, (int)elf->nloads,
                            "%s: PT_LOAD at 0x%08llx (file 0x%llx+0x%llx) extends past the "
                            "end of the file (%zu bytes)",
                            nm, (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_offset,
                            (unsigned long long)ph.p_filesz, elf->len);
        if (ph.p_vaddr + ph.p_memsz > UINT64_C(0x100000000))
            return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, (int)elf->nloads,
                            "%s: PT_LOAD at 0x%08llx (0x%llx bytes) wraps past 4 GB", nm,
                            (unsigned long long)ph.p_vaddr, (unsigned long long)ph.p_memsz);
        elf->loads[elf->nloads++] = ph;
    }
    if (elf->nloads == 0)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOLOAD, -1,
                        "%s: no PT_LOAD segment with memory: nothing to load", nm);
    /* Linux maps segments in header order; the layout is reported by address. */
    qsort(elf->loads, elf->nloads, sizeof *elf->loads, cmp_load);
    for (size_t i = 1; i < elf->nloads; i++) {
        const GElf_Phdr *a = &elf->loads[i - 1], *b = &elf->loads[i];
        if (b->p_vaddr < a->p_vaddr + a->p_memsz)
            return elf_fail(diag, LPAE_EEXIST, LPAE_ELF_P_OVERLAP, (int)i,
                            "%s: PT_LOAD segments 0x%08llx-0x%08llx and 0x%08llx-0x%08llx "
                            "overlap",
                            nm, (unsigned long long)a->p_vaddr,
                            (unsigned long long)(a->p_vaddr + a->p_memsz - 1),
                            (unsigned long long)b->p_vaddr,
                            (unsigned long long)(b->p_vaddr + b->p_memsz - 1));
    }
    return 0;
}

/* Open from @p data (malloc'd, @p len bytes), taking ownership of it in
 * every case. */
static int open_owned(unsigned char *data, size_t len, const char *name, lpae_elf **out,
                      lpae_elf_diag *diag)
{
    lpae_elf *elf;
    int rc;

    *out = NULL;
    if (elf_version(EV_CURRENT) == EV_NONE) {
        free(data);
        return elf_fail(diag, LPAE_EUNSUPP, LPAE_ELF_P_IO, -1, "libelf: %s", elf_errmsg(-1));
    }
    elf = calloc(1, sizeof *elf);
    if (!elf) {
        free(data);
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "out of memory");
    }
    snprintf(elf->name, sizeof elf->name, "%s", name ? name : "(memory)");
    elf->buf = data;
    elf->len = len;
    rc = check_header(elf, diag);
    if (!rc)
        rc = check_sections(elf, diag);
    if (!rc)
        rc = check_segments(elf, diag);
    if (!rc && elf->eh.e_type == ET_REL && elf->shnum == 0)
        rc = elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOLOAD, -1,
                      "%s: ET_REL file without section headers: nothing to load", elf->name);
    if (!rc)
        rc = elf_syms_read(elf, diag);
    if (rc) {
        lpae_elf_close(elf);
        return rc;
    }
    *out = elf;
    return 0;
}

int lpae_elf_open_mem(const void *buf, size_t len, const char *name, lpae_elf **out,
                      lpae_elf_diag *diag)
{
    unsigned char *copy;

    elf_diag_ok(diag);
    if (!out || (!buf && len))
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "NULL argument");
    *out = NULL;
    copy = malloc(len ? len : 1);
    if (!copy)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory",
                        name ? name : "(memory)");
    if (len)
        memcpy(copy, buf, len);
    return open_owned(copy, len, name, out, diag);
}

int lpae_elf_open_file(const char *path, lpae_elf **out, lpae_elf_diag *diag)
{
    FILE *f;
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;

    elf_diag_ok(diag);
    if (!path || !out)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "NULL argument");
    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        return elf_fail(diag, LPAE_EIO, LPAE_ELF_P_IO, -1, "%s: cannot open: %s", path,
                        strerror(errno));
    for (;;) {
        size_t n;
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *p = realloc(data, ncap);
            if (!p) {
                free(data);
                fclose(f);
                return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", path);
            }
            data = p;
            cap = ncap;
        }
        n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(data);
        fclose(f);
        return elf_fail(diag, LPAE_EIO, LPAE_ELF_P_IO, -1, "%s: read error: %s", path, strerror(e));
    }
    fclose(f);
    return open_owned(data, len, path, out, diag);
}

void lpae_elf_close(lpae_elf *elf)
{
    if (!elf)
        return;
    elf_place_reset(elf);
    elf_syms_free(elf);
    free(elf->runs);
    free(elf->allocs);
    free(elf->loads);
    if (elf->e)
        elf_end(elf->e);
    free(elf->buf);
    free(elf);
}

unsigned lpae_elf_type(const lpae_elf *elf)
{
    return elf ? elf->eh.e_type : ET_NONE;
}

lpae_va_t lpae_elf_entry(const lpae_elf *elf)
{
    return elf ? (lpae_va_t)elf->eh.e_entry : 0;
}

const char *lpae_elf_name(const lpae_elf *elf)
{
    return elf ? elf->name : "";
}
