/* SPDX-License-Identifier: MIT */
/* Placing segments and module section groups in a Linux layout (lpae_layout). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

#define PAGE UINT64_C(4096)
#define PG_DOWN(x) ((uint64_t)(x) & ~(PAGE - 1))
#define PG_UP(x) (((uint64_t)(x) + PAGE - 1) & ~(PAGE - 1))

/* ---- Linux's module layout (kernel/module/main.c, v6.4+) --------------- */

/* enum mod_mem_type, in the order move_module() allocates them. */
enum {
    MT_TEXT,
    MT_DATA,
    MT_RODATA,
    MT_RO_AFTER_INIT,
    MT_INIT_TEXT,
    MT_INIT_DATA,
    MT_INIT_RODATA,
    MT_N
};

static const char *const mt_name[MT_N] = {"text",      "data",      "rodata",     "ro_after_init",
                                          "init.text", "init.data", "init.rodata"};
/* Permissions each type ends up with (ro_after_init as after init). */
static const uint32_t mt_flags[MT_N] = {PF_R | PF_X, PF_R | PF_W, PF_R, PF_R,
                                        PF_R | PF_X, PF_R | PF_W, PF_R};

/* layout_sections(): {required flags, excluded flags}; ARCH_SHF_SMALL is 0 on ARM. */
static const uint64_t lay_mask[5][2] = {
    {SHF_EXECINSTR | SHF_ALLOC, 0},
    {SHF_ALLOC, SHF_WRITE},
    {ELF_LINUX_SHF_RO_AFTER_INIT | SHF_ALLOC, 0},
    {SHF_WRITE | SHF_ALLOC, 0},
    {SHF_ALLOC, 0},
};
static const int core_type[5] = {MT_TEXT, MT_RODATA, MT_RO_AFTER_INIT, MT_DATA, MT_DATA};
static const int init_type[5] = {MT_INIT_TEXT, MT_INIT_RODATA, -1, MT_INIT_DATA, MT_INIT_DATA};

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* module_init_section() of arch/arm/kernel/module.c; exit sections stay in
 * core (CONFIG_MODULE_UNLOAD=y). */
static bool init_section(const char *n)
{
    return starts(n, ".init") || starts(n, ".ARM.extab.init") || starts(n, ".ARM.exidx.init");
}

/* Section flags after the loader's rewrites: .modinfo and the version
 * sections lose SHF_ALLOC (rewrite_section_headers), so does the per-CPU
 * section (allocated separately), and .data..ro_after_init / __jump_table
 * gain SHF_RO_AFTER_INIT (layout_and_allocate). */
static uint64_t module_flags(const char *n, uint64_t f)
{
    if (!strcmp(n, ".modinfo") || !strcmp(n, "__versions") || !strcmp(n, "__version_ext_crcs") ||
        !strcmp(n, "__version_ext_names") || !strcmp(n, ".data..percpu"))
        f &= ~(uint64_t)SHF_ALLOC;
    if (!strcmp(n, ".data..ro_after_init") || !strcmp(n, "__jump_table"))
        f |= ELF_LINUX_SHF_RO_AFTER_INIT;
    return f;
}

/* ---- helpers --------------------------------------------------------------- */

void elf_place_reset(lpae_elf *elf)
{
    free(elf->segs);
    free(elf->pieces);
    free(elf->sec_va);
    free(elf->sec_placed);
    elf->segs = NULL;
    elf->pieces = NULL;
    elf->sec_va = NULL;
    elf->sec_placed = NULL;
    elf->nsegs = elf->npieces = 0;
    elf->placed = false;
    elf->bias = 0;
    elf->next_va = 0;
    elf->img_lo = elf->img_hi = 0;
}

/* Leaf attributes for a segment with ELF flags @p pf. */
static lpae_prot seg_prot(uint32_t pf, bool user, bool ng)
{
    lpae_prot p;
    bool w = pf & PF_W;

    memset(&p, 0, sizeof p);
    p.attrindx = LPAE_LINUX_ATTRINDX_WBWA;
    p.sh = ELF_SH_INNER;
    p.af = true;
    p.ng = ng;
    p.xn = !(pf & PF_X);
    if (user)
        p.ap = w ? LPAE_AP_RW : LPAE_AP_RO;
    else
        p.ap = w ? LPAE_AP_PL1_RW : LPAE_AP_PL1_RO;
    return p;
}

static const char *role_name(lpae_elf_role r)
{
    switch (r) {
    case LPAE_ELF_ROLE_KERNEL:
        return "kernel";
    case LPAE_ELF_ROLE_USER:
        return "user";
    case LPAE_ELF_ROLE_MODULE:
        return "module";
    default:
        return "auto";
    }
}

/* Does the image define start_kernel, the one symbol every Linux kernel has? */
static bool defines_start_kernel(const lpae_elf *elf)
{
    lpae_elf_sym s;
    return lpae_elf_sym_find(elf, "start_kernel", &s) == 0;
}

static int pick_role(lpae_elf *elf, const lpae_layout *lay, lpae_elf_role want, lpae_elf_role *out,
                     lpae_elf_diag *diag)
{
    unsigned t = elf->eh.e_type;

    if (want == LPAE_ELF_ROLE_AUTO) {
        lpae_vregion r;
        if (t == ET_REL)
            want = LPAE_ELF_ROLE_MODULE;
        else if (t == ET_DYN)
            want = LPAE_ELF_ROLE_USER;
        else if (defines_start_kernel(elf) ||
                 (lpae_layout_classify(lay, (lpae_va_t)elf->loads[0].p_vaddr, LPAE_VIEW_USER, &r) ==
                      0 &&
                  r.kind != LPAE_VK_USER))
            want = LPAE_ELF_ROLE_KERNEL;
        else
            want = LPAE_ELF_ROLE_USER;
    }
    if ((want == LPAE_ELF_ROLE_MODULE) != (t == ET_REL) ||
        (want == LPAE_ELF_ROLE_KERNEL && t != ET_EXEC))
        return elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_TYPE, -1,
                        "%s: a %s image must be %s, this file is %s", elf->name, role_name(want),
                        want == LPAE_ELF_ROLE_MODULE   ? "ET_REL"
                        : want == LPAE_ELF_ROLE_KERNEL ? "ET_EXEC"
                                                       : "ET_EXEC or ET_DYN",
                        t == ET_REL   ? "ET_REL"
                        : t == ET_DYN ? "ET_DYN"
                                      : "ET_EXEC");
    *out = want;
    return 0;
}

static const char *sel_name(unsigned s)
{
    return s == LPAE_SEL_TTBR0 ? "TTBR0" : s == LPAE_SEL_TTBR1 ? "TTBR1" : "no TTBR (gap)";
}

/* May a segment of @p role lie in a region of @p kind? */
static bool allowed(lpae_elf_role role, unsigned kind)
{
    switch (role) {
    case LPAE_ELF_ROLE_USER:
        return kind == LPAE_VK_USER;
    case LPAE_ELF_ROLE_KERNEL:
        /* at its link address in the image region or the linear map, or
         * moved into vmalloc space (kernel-in-vmalloc) */
        return kind == LPAE_VK_KERNEL_IMAGE || kind == LPAE_VK_LOWMEM || kind == LPAE_VK_VMALLOC;
    default:
        return kind == LPAE_VK_MODULES;
    }
}

static const char *want_name(lpae_elf_role role)
{
    return role == LPAE_ELF_ROLE_USER     ? "user"
           : role == LPAE_ELF_ROLE_KERNEL ? "kernel image, lowmem or vmalloc"
                                          : "modules";
}

/* Classify and check one placed segment: every region it touches must be
 * allowed for the role, all translated through one TTBR. */
static int check_seg(lpae_elf *elf, const lpae_layout *lay, size_t i, lpae_elf_diag *diag)
{
    lpae_elf_seg *s = &elf->segs[i];
    lpae_view view = elf->role == LPAE_ELF_ROLE_USER ? LPAE_VIEW_USER : LPAE_VIEW_KERNEL;
    uint64_t last = (uint64_t)s->va + s->memsz - 1, a;
    lpae_vregion first, r;

    if (last > UINT32_MAX)
        return elf_fail(diag, LPAE_ERANGE, LPAE_ELF_P_NOFIT, (int)i,
                        "%s: segment %s (0x%08x, 0x%x bytes) would extend past 4 GB", elf->name,
                        s->name, (unsigned)s->va, (unsigned)s->memsz);
    if (lpae_layout_classify(lay, s->va, view, &first) != 0)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, (int)i, "%s: unusable layout",
                        elf->name);
    /* First: one TTBR for the whole segment. (The layout refuses splits with a
     * TTBR0/TTBR1 gap, so every region has a TTBR.) */
    for (a = s->va; a <= last; a = r.end) {
        if (lpae_layout_classify(lay, (lpae_va_t)a, view, &r) != 0)
            return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, (int)i, "%s: unusable layout",
                            elf->name);
        if (r.sel != first.sel)
            return elf_fail(diag, LPAE_ERANGE, LPAE_ELF_P_CROSS, (int)i,
                            "%s: segment %s 0x%08x-0x%08x crosses the TTBR0/TTBR1 boundary of "
                            "%s at 0x%08x (%s to %s)",
                            elf->name, s->name, (unsigned)s->va, (unsigned)last, lay->split.name,
                            (unsigned)r.start, sel_name(first.sel), sel_name(r.sel));
        if (r.end > UINT32_MAX)
            break;
    }
    /* Then: every region it touches suits the role. */
    for (a = s->va; a <= last; a = r.end) {
        lpae_layout_classify(lay, (lpae_va_t)a, view, &r);
        if (!allowed(elf->role, r.kind))
            return elf_fail(diag, LPAE_ERANGE, LPAE_ELF_P_NOFIT, (int)i,
                            "%s: segment %s 0x%08x-0x%08x does not fit the %s region of %s: "
                            "0x%08x-0x%08x is %s %s",
                            elf->name, s->name, (unsigned)s->va, (unsigned)last,
                            want_name(elf->role), lay->split.name, (unsigned)r.start,
                            (unsigned)(r.end - 1), sel_name(r.sel), lpae_vkind_name(r.kind));
        if (r.end > UINT32_MAX)
            break;
    }
    s->sel = first.sel;
    s->region = first.kind;
    s->global = first.global;
    return 0;
}

static void set_prot(lpae_elf *elf, lpae_elf_seg *s)
{
    bool user = elf->role == LPAE_ELF_ROLE_USER;
    /* User mappings are non-global (per-ASID); kernel mappings are global
     * except where the layout says otherwise (4G/4G lowmem, under the
     * kernel's own ASID). */
    bool ng = user || !s->global;
    s->mapped = (s->flags & (PF_R | PF_W | PF_X)) != 0;
    s->prot = seg_prot(s->flags, user, ng);
}

/* ---- ET_EXEC / ET_DYN ------------------------------------------------------ */

static int place_segments(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *o,
                          lpae_elf_diag *diag)
{
    uint64_t min_page = PG_DOWN(elf->loads[0].p_vaddr);
    uint64_t base = min_page;
    int64_t delta;

    if (elf->role == LPAE_ELF_ROLE_KERNEL && o->base)
        base = o->base;
    else if (elf->role == LPAE_ELF_ROLE_USER && elf->eh.e_type == ET_DYN)
        base = o->base ? o->base : PG_DOWN(lay->task_size / 3 * 2);
    delta = (int64_t)base - (int64_t)min_page;
    elf->bias = (int32_t)(uint32_t)(uint64_t)delta;

    elf->segs = calloc(elf->nloads, sizeof *elf->segs);
    elf->pieces = calloc(elf->nloads, sizeof *elf->pieces);
    if (!elf->segs || !elf->pieces)
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
    elf->nsegs = elf->npieces = elf->nloads;
    for (size_t i = 0; i < elf->nloads; i++) {
        const GElf_Phdr *ph = &elf->loads[i];
        lpae_elf_seg *s = &elf->segs[i];
        int64_t va = (int64_t)ph->p_vaddr + delta;
        int rc;

        snprintf(s->name, sizeof s->name, "LOAD%u", (unsigned)i);
        s->flags = (uint32_t)ph->p_flags & (PF_R | PF_W | PF_X);
        s->link_va = (lpae_va_t)ph->p_vaddr;
        s->memsz = (uint32_t)ph->p_memsz;
        s->filesz = (uint32_t)ph->p_filesz;
        s->file_off = (uint32_t)ph->p_offset;
        if (va < 0 || (uint64_t)va + ph->p_memsz > UINT64_C(0x100000000))
            return elf_fail(diag, LPAE_ERANGE, LPAE_ELF_P_NOFIT, (int)i,
                            "%s: segment %s moved by 0x%08x would leave the 32-bit address space",
                            elf->name, s->name, (unsigned)elf->bias);
        s->va = (lpae_va_t)va;
        rc = check_seg(elf, lay, i, diag);
        if (rc)
            return rc;
        set_prot(elf, s);
        elf->pieces[i].seg = (uint32_t)i;
        elf->pieces[i].size = s->memsz;
    }
    elf->img_lo = (lpae_va_t)PG_DOWN(elf->segs[0].va);
    elf->img_hi =
        (lpae_va_t)PG_UP((uint64_t)elf->segs[elf->nsegs - 1].va + elf->segs[elf->nsegs - 1].memsz);
    return 0;
}

/* ---- ET_REL (modules) ------------------------------------------------------ */

struct mod_sec {
    size_t ndx;
    uint64_t flags;
    uint64_t size, align;
    bool init, nobits, placed;
};

static int place_module(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *o,
                        lpae_elf_diag *diag)
{
    struct mod_sec *sec;
    uint64_t mt_size[MT_N] = {0};
    uint32_t mt_count[MT_N] = {0}, mt_file[MT_N] = {0};
    int mt_seg[MT_N];
    size_t nalloc = 0, np = 0;
    uint64_t cursor;
    int rc = 0;

    sec = calloc(elf->shnum, sizeof *sec);
    elf->sec_va = calloc(elf->shnum, sizeof *elf->sec_va);
    elf->sec_placed = calloc(elf->shnum, sizeof *elf->sec_placed);
    if (!sec || !elf->sec_va || !elf->sec_placed) {
        free(sec);
        return elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
    }
    for (size_t i = 1; i < elf->shnum; i++) {
        Elf_Scn *scn = elf_getscn(elf->e, i);
        GElf_Shdr sh;
        const char *n = elf_section_name(elf, i);

        if (!scn || !gelf_getshdr(scn, &sh))
            continue;
        sec[i].ndx = i;
        sec[i].flags = module_flags(n, sh.sh_flags);
        sec[i].size = sh.sh_size;
        sec[i].align = sh.sh_addralign ? sh.sh_addralign : 1;
        sec[i].init = init_section(n);
        sec[i].nobits = sh.sh_type == SHT_NOBITS;
        if (!(sec[i].flags & SHF_ALLOC))
            continue;
        if ((sec[i].flags & SHF_WRITE) && (sec[i].flags & SHF_EXECINSTR)) {
            rc = elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, -1,
                          "%s: section '%s' is writable and executable; Linux refuses such "
                          "modules (module_enforce_rwx_sections)",
                          elf->name, n);
            goto out;
        }
        if (sec[i].align & (sec[i].align - 1)) {
            rc = elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_BAD_SEG, -1,
                          "%s: section '%s' has sh_addralign %llu, not a power of two", elf->name,
                          n, (unsigned long long)sec[i].align);
            goto out;
        }
        nalloc++;
    }
    if (!nalloc) {
        rc = elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOLOAD, -1,
                      "%s: no SHF_ALLOC section: nothing to load", elf->name);
        goto out;
    }
    elf->pieces = calloc(nalloc, sizeof *elf->pieces);
    elf->segs = calloc(MT_N, sizeof *elf->segs);
    if (!elf->pieces || !elf->segs) {
        rc = elf_fail(diag, LPAE_ENOMEM, LPAE_ELF_P_IO, -1, "%s: out of memory", elf->name);
        goto out;
    }
    /* Core layout, then init layout; within each, mask order then section order.
     * The piece's seg field temporarily holds the mod_mem type. */
    for (int is_init = 0; is_init < 2; is_init++) {
        for (int m = 0; m < 5; m++) {
            int t = is_init ? init_type[m] : core_type[m];
            for (size_t i = 1; i < elf->shnum; i++) {
                struct mod_sec *s = &sec[i];
                uint64_t off;
                if (!(s->flags & SHF_ALLOC) || s->placed ||
                    (s->flags & lay_mask[m][0]) != lay_mask[m][0] || (s->flags & lay_mask[m][1]) ||
                    s->init != (bool)is_init || t < 0)
                    continue;
                off = (mt_size[t] + s->align - 1) & ~(s->align - 1);
                if (off + s->size > UINT32_MAX) {
                    rc = elf_fail(diag, LPAE_ERANGE, LPAE_ELF_P_NOFIT, -1,
                                  "%s: module group %s exceeds 4 GB", elf->name, mt_name[t]);
                    goto out;
                }
                mt_size[t] = off + s->size;
                mt_count[t]++;
                if (!s->nobits)
                    mt_file[t] += (uint32_t)s->size;
                s->placed = true;
                elf->pieces[np].seg = (uint32_t)t;
                elf->pieces[np].off = (uint32_t)off;
                elf->pieces[np].size = (uint32_t)s->size;
                elf->pieces[np].shndx = (uint32_t)i;
                elf->pieces[np].nobits = s->nobits;
                np++;
            }
        }
    }
    elf->npieces = np;
    /* One vmalloc allocation per non-empty type, each followed by a guard page. */
    cursor = o->base ? o->base : lay->modules_vaddr;
    for (int t = 0; t < MT_N; t++) {
        lpae_elf_seg *s;
        uint64_t need;

        mt_seg[t] = -1;
        if (!mt_size[t] || ((o->flags & LPAE_ELF_NO_INIT) && t >= MT_INIT_TEXT))
            continue;
        need = PG_UP(mt_size[t]);
        s = &elf->segs[elf->nsegs];
        snprintf(s->name, sizeof s->name, "%s", mt_name[t]);
        s->flags = mt_flags[t];
        s->memsz = (uint32_t)mt_size[t];
        s->filesz = mt_file[t];
        s->nsections = mt_count[t];
        s->va = (lpae_va_t)cursor;
        if (cursor < lay->modules_vaddr || cursor + need + PAGE > lay->modules_end) {
            rc = elf_fail(diag, LPAE_ENOSPC, LPAE_ELF_P_NOFIT, (int)elf->nsegs,
                          "%s: module group %s (%llu bytes) does not fit the modules region "
                          "0x%08x-0x%08x of %s (next free 0x%08llx)",
                          elf->name, s->name, (unsigned long long)mt_size[t],
                          (unsigned)lay->modules_vaddr, (unsigned)(lay->modules_end - 1),
                          lay->split.name, (unsigned long long)cursor);
            goto out;
        }
        rc = check_seg(elf, lay, elf->nsegs, diag);
        if (rc)
            goto out;
        set_prot(elf, s);
        mt_seg[t] = (int)elf->nsegs++;
        cursor += need + PAGE;
    }
    /* Re-point pieces at segment indices; drop pieces of skipped groups. */
    np = 0;
    for (size_t k = 0; k < elf->npieces; k++) {
        struct elf_piece p = elf->pieces[k];
        int sg = mt_seg[p.seg];
        if (sg < 0)
            continue;
        p.seg = (uint32_t)sg;
        elf->sec_va[p.shndx] = elf->segs[sg].va + p.off;
        elf->sec_placed[p.shndx] = true;
        elf->pieces[np++] = p;
    }
    elf->npieces = np;
    if (!elf->nsegs) {
        rc = elf_fail(diag, LPAE_EFORMAT, LPAE_ELF_P_NOLOAD, -1,
                      "%s: every SHF_ALLOC section is empty or left out", elf->name);
        goto out;
    }
    elf->next_va = (lpae_va_t)cursor;
    elf->img_lo = elf->segs[0].va;
    elf->img_hi = (lpae_va_t)(cursor - PAGE);
out:
    free(sec);
    return rc;
}

/* ---- public ------------------------------------------------------------------ */

int lpae_elf_place(lpae_elf *elf, const lpae_layout *lay, const lpae_elf_opts *opts,
                   lpae_elf_diag *diag)
{
    lpae_elf_opts def;
    lpae_elf_role role = LPAE_ELF_ROLE_AUTO;
    int rc;

    elf_diag_ok(diag);
    if (!elf || !lay)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1, "NULL argument");
    if (elf->loaded)
        return elf_fail(diag, LPAE_ESTATE, LPAE_ELF_P_ARG, -1,
                        "%s: already loaded; unload before placing again", elf->name);
    if (!opts) {
        memset(&def, 0, sizeof def);
        opts = &def;
    }
    if (opts->base & (LPAE_PAGE_SIZE - 1))
        return elf_fail(diag, LPAE_EALIGN, LPAE_ELF_P_ARG, -1,
                        "%s: base 0x%08x is not 4 KB aligned", elf->name, (unsigned)opts->base);
    if (lay->nregions == 0)
        return elf_fail(diag, LPAE_EINVAL, LPAE_ELF_P_ARG, -1,
                        "%s: the layout was not built (lpae_layout_build)", elf->name);
    elf_place_reset(elf);
    elf_syms_place(elf); /* back to link addresses for the role check */
    rc = pick_role(elf, lay, opts->role, &role, diag);
    if (rc)
        return rc;
    elf->role = role;
    rc = role == LPAE_ELF_ROLE_MODULE ? place_module(elf, lay, opts, diag)
                                      : place_segments(elf, lay, opts, diag);
    if (rc) {
        elf_place_reset(elf);
        elf_syms_place(elf);
        return rc;
    }
    elf->placed = true;
    elf_syms_place(elf);
    return 0;
}

lpae_elf_role lpae_elf_role_of(const lpae_elf *elf)
{
    return elf && elf->placed ? elf->role : LPAE_ELF_ROLE_AUTO;
}

size_t lpae_elf_seg_count(const lpae_elf *elf)
{
    return elf && elf->placed ? elf->nsegs : 0;
}

int lpae_elf_seg_get(const lpae_elf *elf, size_t i, lpae_elf_seg *out)
{
    if (!elf || !out || !elf->placed || i >= elf->nsegs)
        return LPAE_EINVAL;
    *out = elf->segs[i];
    return 0;
}

int lpae_elf_section_va(const lpae_elf *elf, const char *name, lpae_va_t *va)
{
    if (!elf || !name || !va)
        return LPAE_EINVAL;
    for (size_t i = 1; i < elf->shnum; i++) {
        Elf_Scn *scn;
        GElf_Shdr sh;
        if (strcmp(elf_section_name(elf, i), name) != 0)
            continue;
        if (elf->eh.e_type == ET_REL) {
            if (!elf->placed || !elf->sec_placed[i])
                return LPAE_ENOENT;
            *va = elf->sec_va[i];
            return 0;
        }
        scn = elf_getscn(elf->e, i);
        if (!scn || !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC))
            return LPAE_ENOENT;
        *va = (lpae_va_t)(sh.sh_addr + (uint32_t)elf->bias);
        return 0;
    }
    return LPAE_ENOENT;
}
