/* SPDX-License-Identifier: MIT */
/* .symtab: sorted array for address lookup, uthash for name lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Never exit on host OOM: a failed insert just leaves the name out. */
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

#include "elf/elf_internal.h"
#include "lpae/err.h"

struct elf_name_ent {
    const char *name;
    size_t sym; /* index in elf->syms */
    UT_hash_handle hh;
};

static const char *sym_name(const lpae_elf *elf, const struct elf_sym *s)
{
    const char *n = elf_strptr(elf->e, elf->strtab_ndx, s->name);
    return n ? n : "";
}

/* Is section @p ndx one that occupies memory? */
static bool alloc_section(const lpae_elf *elf, size_t ndx)
{
    Elf_Scn *scn = elf_getscn(elf->e, ndx);
    GElf_Shdr sh;
    return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC);
}

int elf_syms_read(lpae_elf *elf, lpae_elf_diag *diag)
{
    Elf_Scn *scn = NULL, *symscn = NULL, *xscn = NULL;
    GElf_Shdr sh, symsh;
    Elf_Data *data, *xdata = NULL;
    size_t n, kept = 0;

    while ((scn = elf_nextscn(elf->e, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_SYMTAB && !symscn)
            symscn = scn;
        else if (sh.sh_type == SHT_SYMTAB_SHNDX && !xscn)
            xscn = scn;
    }
    if (!symscn)
        return 0; /* stripped: addresses stay unresolved */
    if (!gelf_getshdr(symscn, &symsh) || symsh.sh_entsize != sizeof(Elf32_Sym) ||
        symsh.sh_link == 0 || symsh.sh_link >= elf->shnum)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, -1, "%s: malformed .symtab header",
                        elf->name);
    data = elf_getdata(symscn, NULL);
    if (!data)
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, -1, "%s: .symtab unreadable: %s",
                        elf->name, elf_errmsg(-1));
    if (xscn)
        xdata = elf_getdata(xscn, NULL);
    elf->strtab_ndx = symsh.sh_link;
    n = data->d_size / sizeof(Elf32_Sym);
    elf->syms = calloc(n ? n : 1, sizeof *elf->syms);
    if (!elf->syms)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
    for (size_t i = 1; i < n; i++) {
        GElf_Sym s;
        Elf32_Word xndx = 0;
        unsigned type, shndx;
        const char *name;

        if (!gelf_getsymshndx(data, xdata, (int)i, &s, &xndx))
            continue;
        type = GELF_ST_TYPE(s.st_info);
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
            continue;
        shndx = s.st_shndx == SHN_XINDEX ? xndx : s.st_shndx;
        if (shndx == SHN_UNDEF || (shndx >= SHN_LORESERVE && s.st_shndx != SHN_XINDEX) ||
            shndx >= elf->shnum || !alloc_section(elf, shndx))
            continue;
        name = elf_strptr(elf->e, elf->strtab_ndx, s.st_name);
        /* ARM mapping symbols ($a, $t, $d) mark code/data runs, not objects. */
        if (!name || !name[0] || name[0] == '$')
            continue;
        elf->syms[kept].value = (uint32_t)s.st_value;
        if (type == STT_FUNC)
            elf->syms[kept].value &= ~UINT32_C(1); /* Thumb interworking bit */
        elf->syms[kept].va = elf->syms[kept].value;
        elf->syms[kept].size = (uint32_t)s.st_size;
        elf->syms[kept].name = s.st_name;
        elf->syms[kept].shndx = shndx;
        elf->syms[kept].type = (uint8_t)type;
        elf->syms[kept].bind = (uint8_t)GELF_ST_BIND(s.st_info);
        kept++;
    }
    elf->nsyms = kept;
    elf_syms_place(elf);
    return 0;
}

/* Rank among symbols at one address: global before weak before local,
 * functions and objects before untyped labels. Lower sorts first. */
static int sym_rank(const struct elf_sym *s)
{
    int r = s->bind == STB_GLOBAL ? 0 : s->bind == STB_WEAK ? 2 : 4;
    return r + (s->type == STT_NOTYPE);
}

static int cmp_sym(const void *a, const void *b)
{
    const struct elf_sym *x = a, *y = b;
    if (x->va != y->va)
        return x->va < y->va ? -1 : 1;
    if (sym_rank(x) != sym_rank(y))
        return sym_rank(x) - sym_rank(y);
    return x->name < y->name ? -1 : x->name > y->name;
}

static void names_free(lpae_elf *elf)
{
    HASH_CLEAR(hh, elf->by_name);
    free(elf->name_pool);
    elf->name_pool = NULL;
}

/* Recompute placed addresses, sort, and rebuild the name index. */
void elf_syms_place(lpae_elf *elf)
{
    names_free(elf);
    for (size_t i = 0; i < elf->nsyms; i++) {
        struct elf_sym *s = &elf->syms[i];
        if (elf->eh.e_type == ET_REL)
            s->va = elf->placed && elf->sec_placed && elf->sec_placed[s->shndx]
                        ? elf->sec_va[s->shndx] + s->value
                        : 0;
        else
            s->va = s->value + (uint32_t)elf->bias;
    }
    if (elf->nsyms)
        qsort(elf->syms, elf->nsyms, sizeof *elf->syms, cmp_sym);
    elf->name_pool = calloc(elf->nsyms ? elf->nsyms : 1, sizeof *elf->name_pool);
    if (!elf->name_pool)
        return; /* name lookup then reports LPAE_ENOENT; address lookup still works */
    for (size_t i = 0; i < elf->nsyms; i++) {
        struct elf_name_ent *e = &elf->name_pool[i], *old = NULL;
        e->name = sym_name(elf, &elf->syms[i]);
        e->sym = i;
        HASH_FIND_STR(elf->by_name, e->name, old);
        /* Keep the best-ranked definition of a name (globals over locals). */
        if (old) {
            if (sym_rank(&elf->syms[i]) >= sym_rank(&elf->syms[old->sym]))
                continue;
            HASH_DEL(elf->by_name, old);
        }
        HASH_ADD_KEYPTR(hh, elf->by_name, e->name, strlen(e->name), e);
    }
}

void elf_syms_free(lpae_elf *elf)
{
    names_free(elf);
    free(elf->syms);
    elf->syms = NULL;
    elf->nsyms = 0;
}

static void fill_sym(const lpae_elf *elf, const struct elf_sym *s, lpae_va_t va, lpae_elf_sym *out)
{
    out->name = sym_name(elf, s);
    out->va = s->va;
    out->size = s->size;
    out->offset = va - s->va;
    out->type = s->type;
    out->bind = s->bind;
}

/* Is @p va inside the (placed) image? */
static bool in_image(const lpae_elf *elf, lpae_va_t va)
{
    if (elf->placed)
        return va >= elf->img_lo && (elf->img_hi == 0 || va < elf->img_hi);
    if (elf->eh.e_type == ET_REL)
        return false;
    for (size_t i = 0; i < elf->nloads; i++)
        if (va >= elf->loads[i].p_vaddr && va - elf->loads[i].p_vaddr < elf->loads[i].p_memsz)
            return true;
    return false;
}

int lpae_elf_sym_lookup(const lpae_elf *elf, lpae_va_t va, lpae_elf_sym *out)
{
    size_t lo = 0, hi;

    if (!elf || !out)
        return LPAE_EINVAL;
    if (!elf->nsyms || !in_image(elf, va))
        return LPAE_ENOENT;
    /* Greatest symbol address <= va; unplaced module symbols (va 0) never match. */
    hi = elf->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (elf->syms[mid].va <= va)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return LPAE_ENOENT;
    lo--;
    /* First (best-ranked) symbol at that address. */
    while (lo > 0 && elf->syms[lo - 1].va == elf->syms[lo].va)
        lo--;
    if (elf->eh.e_type == ET_REL && !(elf->sec_placed && elf->sec_placed[elf->syms[lo].shndx]))
        return LPAE_ENOENT;
    fill_sym(elf, &elf->syms[lo], va, out);
    return 0;
}

int lpae_elf_symbolize(const lpae_elf *elf, lpae_va_t va, char *buf, size_t len)
{
    lpae_elf_sym s;
    int rc, n;

    if (!elf || (!buf && len))
        return LPAE_EINVAL;
    rc = lpae_elf_sym_lookup(elf, va, &s);
    if (rc) {
        if (len)
            snprintf(buf, len, "0x%08x", (unsigned)va);
        return rc;
    }
    n = snprintf(buf, len, "%s+0x%x/0x%x", s.name, (unsigned)s.offset, (unsigned)s.size);
    return n;
}

int lpae_elf_sym_find(const lpae_elf *elf, const char *name, lpae_elf_sym *out)
{
    struct elf_name_ent *e = NULL;

    if (!elf || !name || !out)
        return LPAE_EINVAL;
    HASH_FIND_STR(elf->by_name, name, e);
    if (!e)
        return LPAE_ENOENT;
    if (elf->eh.e_type == ET_REL && !(elf->sec_placed && elf->sec_placed[elf->syms[e->sym].shndx]))
        return LPAE_ENOENT;
    fill_sym(elf, &elf->syms[e->sym], elf->syms[e->sym].va, out);
    return 0;
}
