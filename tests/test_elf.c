/* SPDX-License-Identifier: MIT */
/* Tests for the ELF loader. Every ELF file used here is written by the test
 * itself with libelf (ELF_C_WRITE), except the optional real ARM binaries
 * (compiled by arm-none-eabi-gcc at build time, Debian armhf libraries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lpae/elf.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/mm.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/split.h"
#include "lpae/walk.h"

#ifndef LPAE_BINARY_DIR
#define LPAE_BINARY_DIR "."
#endif

/* ======================================================================
 * A small ELF writer on top of libelf.
 * ==================================================================== */

#define MAXSEC 16
#define MAXPH 8
#define MAXSYM 16

typedef struct tsec {
    const char *name;
    unsigned type;  /* SHT_PROGBITS, SHT_NOBITS */
    uint64_t flags; /* SHF_* */
    uint32_t addr;  /* sh_addr */
    const void *data;
    uint32_t size;
    uint32_t align;
} tsec;

typedef struct tph {
    unsigned type;  /* PT_LOAD, PT_NOTE */
    unsigned flags; /* PF_* */
    uint32_t vaddr, memsz;
    int sec; /* section (1-based as in tsec order) whose offset/size give
                p_offset/p_filesz; 0: use offset/filesz below */
    uint32_t offset, filesz;
} tph;

typedef struct tsym {
    const char *name;
    uint32_t value, size;
    unsigned type, bind;
    int sec; /* 1-based tsec index */
} tsym;

typedef struct tspec {
    int cls;          /* ELFCLASS32 unless set */
    int data;         /* ELFDATA2LSB unless set */
    unsigned machine; /* EM_ARM unless set */
    unsigned etype;
    uint32_t entry;
    tsec sec[MAXSEC];
    size_t nsec;
    tph ph[MAXPH];
    size_t nph;
    tsym sym[MAXSYM];
    size_t nsym;
} tspec;

typedef struct tbuf {
    unsigned char *p;
    size_t len;
} tbuf;

static char g_tmpdir[512];

static const char *tmpdir(void)
{
    if (!g_tmpdir[0]) {
        snprintf(g_tmpdir, sizeof g_tmpdir, "%s/test_elf_tmp", LPAE_BINARY_DIR);
        mkdir(g_tmpdir, 0755);
    }
    return g_tmpdir;
}

static size_t add_str(char *tab, size_t *len, const char *s)
{
    size_t off = *len;
    size_t n = strlen(s) + 1;
    memcpy(tab + off, s, n);
    *len += n;
    return off;
}

/* Write @p sp with libelf to @p path. */
static void write_elf(const tspec *sp, const char *path)
{
    int cls = sp->cls ? sp->cls : ELFCLASS32;
    int fd;
    Elf *e;
    GElf_Ehdr eh;
    char shstr[1024], strtab[1024];
    size_t shlen = 0, strl = 0;
    size_t name_off[MAXSEC + 4];
    Elf_Scn *scn[MAXSEC + 4];
    size_t nscn = 0;
    Elf32_Sym syms[MAXSYM + 1];
    size_t symtab_ndx = 0, strtab_ndx = 0, shstr_ndx;

    assert_int_not_equal(elf_version(EV_CURRENT), EV_NONE);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    e = elf_begin(fd, ELF_C_WRITE, NULL);
    assert_non_null(e);
    assert_non_null(gelf_newehdr(e, cls));
    assert_non_null(gelf_getehdr(e, &eh));
    eh.e_ident[EI_DATA] = (unsigned char)(sp->data ? sp->data : ELFDATA2LSB);
    eh.e_machine = (GElf_Half)(sp->machine ? sp->machine : EM_ARM);
    eh.e_type = (GElf_Half)sp->etype;
    eh.e_version = EV_CURRENT;
    eh.e_entry = sp->entry;
    eh.e_flags = 0x05000000; /* EF_ARM_EABI_VER5 */
    assert_true(gelf_update_ehdr(e, &eh));
    if (sp->nph)
        assert_non_null(gelf_newphdr(e, sp->nph));

    add_str(shstr, &shlen, "");
    for (size_t i = 0; i < sp->nsec; i++) {
        const tsec *t = &sp->sec[i];
        Elf_Data *d;
        GElf_Shdr sh;
        scn[nscn] = elf_newscn(e);
        assert_non_null(scn[nscn]);
        d = elf_newdata(scn[nscn]);
        assert_non_null(d);
        d->d_buf = (void *)t->data;
        d->d_size = t->size;
        d->d_type = ELF_T_BYTE;
        d->d_align = t->align ? t->align : 1;
        if (t->type == SHT_NOBITS)
            d->d_buf = NULL;
        assert_non_null(gelf_getshdr(scn[nscn], &sh));
        name_off[nscn] = add_str(shstr, &shlen, t->name);
        sh.sh_name = (GElf_Word)name_off[nscn];
        sh.sh_type = t->type;
        sh.sh_flags = t->flags;
        sh.sh_addr = t->addr;
        sh.sh_addralign = t->align ? t->align : 1;
        sh.sh_size = t->size;
        assert_true(gelf_update_shdr(scn[nscn], &sh));
        nscn++;
    }
    if (sp->nsym) {
        Elf_Data *d;
        GElf_Shdr sh;
        size_t nlocal = 1;
        memset(syms, 0, sizeof syms);
        add_str(strtab, &strl, "");
        /* locals first, as the ELF spec requires */
        for (size_t k = 1, pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < sp->nsym; i++) {
                const tsym *s = &sp->sym[i];
                if ((s->bind == STB_LOCAL) != (pass == 0))
                    continue;
                syms[k].st_name = (Elf32_Word)add_str(strtab, &strl, s->name);
                syms[k].st_value = s->value;
                syms[k].st_size = s->size;
                syms[k].st_info = (unsigned char)ELF32_ST_INFO(s->bind, s->type);
                syms[k].st_shndx = (Elf32_Half)s->sec;
                if (pass == 0)
                    nlocal = k + 1;
                k++;
            }
        symtab_ndx = nscn + 1;
        strtab_ndx = nscn + 2;
        scn[nscn] = elf_newscn(e);
        d = elf_newdata(scn[nscn]);
        d->d_buf = syms;
        d->d_size = (sp->nsym + 1) * sizeof(Elf32_Sym);
        d->d_type = ELF_T_SYM;
        d->d_align = 4;
        gelf_getshdr(scn[nscn], &sh);
        sh.sh_name = (GElf_Word)add_str(shstr, &shlen, ".symtab");
        sh.sh_type = SHT_SYMTAB;
        sh.sh_entsize = sizeof(Elf32_Sym);
        sh.sh_link = (GElf_Word)strtab_ndx;
        sh.sh_info = (GElf_Word)nlocal;
        sh.sh_addralign = 4;
        gelf_update_shdr(scn[nscn], &sh);
        nscn++;
        scn[nscn] = elf_newscn(e);
        d = elf_newdata(scn[nscn]);
        d->d_buf = strtab;
        d->d_size = strl;
        d->d_type = ELF_T_BYTE;
        d->d_align = 1;
        gelf_getshdr(scn[nscn], &sh);
        sh.sh_name = (GElf_Word)add_str(shstr, &shlen, ".strtab");
        sh.sh_type = SHT_STRTAB;
        gelf_update_shdr(scn[nscn], &sh);
        nscn++;
    }
    {
        Elf_Data *d;
        GElf_Shdr sh;
        size_t off;
        scn[nscn] = elf_newscn(e);
        shstr_ndx = nscn + 1;
        off = add_str(shstr, &shlen, ".shstrtab");
        d = elf_newdata(scn[nscn]);
        d->d_buf = shstr;
        d->d_size = shlen;
        d->d_type = ELF_T_BYTE;
        d->d_align = 1;
        gelf_getshdr(scn[nscn], &sh);
        sh.sh_name = (GElf_Word)off;
        sh.sh_type = SHT_STRTAB;
        gelf_update_shdr(scn[nscn], &sh);
        nscn++;
        /* e_shstrndx: fine while below SHN_LORESERVE, as here */
        assert_non_null(gelf_getehdr(e, &eh));
        eh.e_shstrndx = (GElf_Half)shstr_ndx;
        assert_true(gelf_update_ehdr(e, &eh));
    }
    (void)symtab_ndx;
    /* Lay out, then point the program headers at the sections. */
    assert_true(elf_update(e, ELF_C_NULL) >= 0);
    for (size_t i = 0; i < sp->nph; i++) {
        const tph *t = &sp->ph[i];
        GElf_Phdr ph;
        memset(&ph, 0, sizeof ph);
        ph.p_type = t->type;
        ph.p_flags = t->flags;
        ph.p_vaddr = ph.p_paddr = t->vaddr;
        ph.p_memsz = t->memsz;
        ph.p_align = 0x1000;
        if (t->sec) {
            GElf_Shdr sh;
            assert_non_null(gelf_getshdr(scn[t->sec - 1], &sh));
            ph.p_offset = sh.sh_offset;
            ph.p_filesz = sp->sec[t->sec - 1].type == SHT_NOBITS ? 0 : sh.sh_size;
        } else {
            ph.p_offset = t->offset;
            ph.p_filesz = t->filesz;
        }
        assert_true(gelf_update_phdr(e, (int)i, &ph));
    }
    assert_true(elf_update(e, ELF_C_WRITE) >= 0);
    elf_end(e);
    close(fd);
}

static tbuf read_file(const char *path)
{
    tbuf b = {NULL, 0};
    FILE *f = fopen(path, "rb");
    long n;
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc((size_t)n + 1);
    assert_non_null(b.p);
    b.len = fread(b.p, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static tbuf build(const tspec *sp, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", tmpdir(), name);
    write_elf(sp, path);
    return read_file(path);
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir(), name);
}

/* Deterministic byte patterns. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

/* ---- sample images ---------------------------------------------------- */

static unsigned char k_text[0x5000], k_rodata[0x2000], k_data[0x1800];

/* A vmlinux-like ET_EXEC: .text RX, .rodata R, .data RW + .bss, at @p base. */
static tspec kernel_spec(uint32_t base)
{
    tspec s;
    memset(&s, 0, sizeof s);
    fill(k_text, sizeof k_text, 1);
    fill(k_rodata, sizeof k_rodata, 2);
    fill(k_data, sizeof k_data, 3);
    s.etype = ET_EXEC;
    s.entry = base;
    s.sec[0] =
        (tsec){".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, base, k_text, sizeof k_text, 4096};
    s.sec[1] =
        (tsec){".rodata", SHT_PROGBITS, SHF_ALLOC, base + 0x5000, k_rodata, sizeof k_rodata, 4096};
    s.sec[2] = (tsec){".data",       SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, base + 0x7000, k_data,
                      sizeof k_data, 4096};
    s.sec[3] = (tsec){".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, base + 0x8800, NULL, 0x3000, 64};
    s.nsec = 4;
    s.ph[0] = (tph){PT_LOAD, PF_R | PF_X, base, sizeof k_text, 1, 0, 0};
    s.ph[1] = (tph){PT_LOAD, PF_R, base + 0x5000, sizeof k_rodata, 2, 0, 0};
    /* data + bss: memsz covers .bss */
    s.ph[2] = (tph){PT_LOAD, PF_R | PF_W, base + 0x7000, 0x1800 + 0x3000, 3, 0, 0};
    s.nph = 3;
    s.sym[0] = (tsym){"stext", base, 0x100, STT_FUNC, STB_GLOBAL, 1};
    s.sym[1] = (tsym){"start_kernel", base + 0x1000 + 1, 0x200, STT_FUNC, STB_GLOBAL, 1};
    s.sym[2] = (tsym){"$a", base + 0x1000, 0, STT_NOTYPE, STB_LOCAL, 1};
    s.sym[3] = (tsym){"local_helper", base + 0x1400, 0x40, STT_FUNC, STB_LOCAL, 1};
    s.sym[4] = (tsym){"linux_banner", base + 0x5010, 0x80, STT_OBJECT, STB_GLOBAL, 2};
    s.sym[5] = (tsym){"jiffies", base + 0x7100, 8, STT_OBJECT, STB_GLOBAL, 3};
    s.sym[6] = (tsym){"__bss_start", base + 0x8800, 0, STT_NOTYPE, STB_GLOBAL, 4};
    s.sym[7] = (tsym){"$d", base + 0x5000, 0, STT_NOTYPE, STB_LOCAL, 2};
    s.nsym = 8;
    return s;
}

static unsigned char m_text[0x1234], m_init[0x300], m_ro[0x456], m_data[0x210], m_roai[0x40],
    m_info[0x20], m_exit[0x80];

/* A module-like ET_REL. Section order is deliberately mixed. */
static tspec module_spec(void)
{
    tspec s;
    memset(&s, 0, sizeof s);
    fill(m_text, sizeof m_text, 11);
    fill(m_init, sizeof m_init, 12);
    fill(m_ro, sizeof m_ro, 13);
    fill(m_data, sizeof m_data, 14);
    fill(m_roai, sizeof m_roai, 15);
    fill(m_info, sizeof m_info, 16);
    fill(m_exit, sizeof m_exit, 17);
    s.etype = ET_REL;
    s.sec[0] =
        (tsec){".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, m_text, sizeof m_text, 4};
    s.sec[1] =
        (tsec){".init.text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, m_init, sizeof m_init, 4};
    s.sec[2] = (tsec){".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0, m_data, sizeof m_data, 8};
    s.sec[3] = (tsec){".rodata", SHT_PROGBITS, SHF_ALLOC, 0, m_ro, sizeof m_ro, 16};
    s.sec[4] = (tsec){".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0, NULL, 0x500, 32};
    s.sec[5] = (tsec){
        ".data..ro_after_init", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0, m_roai, sizeof m_roai, 4};
    s.sec[6] = (tsec){".modinfo", SHT_PROGBITS, SHF_ALLOC, 0, m_info, sizeof m_info, 1};
    s.sec[7] =
        (tsec){".exit.text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, m_exit, sizeof m_exit, 4};
    s.sec[8] = (tsec){".comment", SHT_PROGBITS, 0, 0, m_info, sizeof m_info, 1};
    s.nsec = 9;
    s.sym[0] = (tsym){"mod_fn", 0x10, 0x20, STT_FUNC, STB_GLOBAL, 1};
    s.sym[1] = (tsym){"init_module", 0x4, 0x40, STT_FUNC, STB_GLOBAL, 2};
    s.sym[2] = (tsym){"mod_table", 0x8, 0x10, STT_OBJECT, STB_LOCAL, 4};
    s.sym[3] = (tsym){"mod_counter", 0x100, 4, STT_OBJECT, STB_GLOBAL, 5};
    s.nsym = 4;
    return s;
}

static unsigned char u_text[0x2300], u_data[0x340];

/* A user program; text ends and data starts in the same page when @p shared. */
static tspec user_spec(unsigned etype, uint32_t text_va, bool shared)
{
    tspec s;
    uint32_t data_va = shared ? text_va + 0x2400 : text_va + 0x13000;
    memset(&s, 0, sizeof s);
    fill(u_text, sizeof u_text, 21);
    fill(u_data, sizeof u_data, 22);
    s.etype = etype;
    s.entry = text_va + 0x100;
    s.sec[0] =
        (tsec){".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text_va, u_text, sizeof u_text, 4};
    s.sec[1] =
        (tsec){".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, data_va, u_data, sizeof u_data, 4};
    s.nsec = 2;
    s.ph[0] = (tph){PT_LOAD, PF_R | PF_X, text_va, sizeof u_text, 1, 0, 0};
    s.ph[1] = (tph){PT_LOAD, PF_R | PF_W, data_va, 0x1000, 2, 0, 0};
    s.ph[2] = (tph){PT_NOTE, PF_R, text_va, 0x10, 1, 0, 0};
    s.nph = 3;
    s.sym[0] = (tsym){"main", text_va + 0x100, 0x80, STT_FUNC, STB_GLOBAL, 1};
    s.nsym = 1;
    return s;
}

/* ---- helpers ---------------------------------------------------------- */

static int open_buf(const tbuf *b, lpae_elf **out, lpae_elf_diag *d)
{
    return lpae_elf_open_mem(b->p, b->len, "t.elf", out, d);
}

static void expect_open_error(const tbuf *b, int err, lpae_elf_problem p)
{
    lpae_elf *elf = (lpae_elf *)0x1;
    lpae_elf_diag d;
    int rc = open_buf(b, &elf, &d);
    if (rc != err || d.problem != p)
        fail_msg("expected %s/problem %d, got %s/problem %d: %s", lpae_err_name(err), (int)p,
                 lpae_err_name(rc), (int)d.problem, d.msg);
    assert_null(elf);
    assert_int_equal(d.err, err);
    assert_true(strlen(d.msg) > 10);
    assert_null(strchr(d.msg, '\n'));
}

static lpae_split split_named(const char *n)
{
    lpae_split s;
    assert_int_equal(lpae_split_find(n, &s), 0);
    return s;
}

/* The Linux layout of split @p n on a machine with @p ram bytes at 0x80000000. */
static lpae_layout layout_ram(const char *n, uint64_t ram)
{
    lpae_ram_range r = {UINT64_C(0x80000000), ram};
    lpae_layout_config c;
    lpae_layout l;
    memset(&c, 0, sizeof c);
    c.split = split_named(n);
    c.ram = &r;
    c.nram = 1;
    assert_int_equal(lpae_layout_build(&c, &l), 0);
    return l;
}

static lpae_layout layout_named(const char *n)
{
    return layout_ram(n, UINT64_C(256) << 20);
}

/* A simulated machine: RAM and one tree per TTBR for a split. */
typedef struct machine {
    lpae_phys *phys;
    lpae_pgtable *t0, *t1;
    lpae_split split;
    lpae_layout lay;
    lpae_elf_target tgt;
} machine;

static void machine_init(machine *m, const char *split, uint64_t ram)
{
    lpae_ram_range r = {UINT64_C(0x80000000), ram};
    lpae_phys_config pc = {&r, 1, 0};
    lpae_pgtable_config c0, c1;

    memset(m, 0, sizeof *m);
    m->split = split_named(split);
    m->lay = layout_ram(split, ram);
    assert_int_equal(lpae_phys_create(&pc, &m->phys), 0);
    memset(&c0, 0, sizeof c0);
    c0.phys = m->phys;
    c0.sel = LPAE_SEL_TTBR0;
    c0.tsz = m->split.t0sz;
    c1 = c0;
    c1.sel = LPAE_SEL_TTBR1;
    c1.tsz = m->split.t1sz;
    assert_int_equal(lpae_pgtable_create(&c0, &m->t0), 0);
    if (m->split.t1sz)
        assert_int_equal(lpae_pgtable_create(&c1, &m->t1), 0);
    m->tgt.phys = m->phys;
    m->tgt.ttbr0 = m->t0;
    m->tgt.ttbr1 = m->t1;
}

static void machine_free(machine *m)
{
    lpae_pgtable_destroy(m->t0);
    lpae_pgtable_destroy(m->t1);
    lpae_phys_destroy(m->phys);
}

static lpae_pgtable *tree(const machine *m, lpae_ttbr_sel sel)
{
    return sel == LPAE_SEL_TTBR0 ? m->t0 : m->t1;
}

/* Translate @p va in @p m's tree @p sel; returns the leaf prot and PA. */
static bool translate(const machine *m, lpae_ttbr_sel sel, lpae_va_t va, lpae_prot *prot,
                      lpae_pa_t *pa)
{
    lpae_pte_ref ref;
    uint64_t size;
    if (lpae_pgtable_lookup(tree(m, sel), va, &ref) != 0)
        return false;
    size = UINT64_C(1) << LPAE_LEVEL_SHIFT(ref.level);
    lpae_desc_prot(ref.desc, prot);
    *pa = (ref.desc & LPAE_DESC_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
    return true;
}

/* Every byte of @p seg reads back as the file's bytes (then zeroes). */
static void check_contents(const machine *m, const lpae_elf_seg *s, const unsigned char *file,
                           size_t filesz)
{
    unsigned char *buf = malloc(s->memsz);
    assert_non_null(buf);
    assert_int_equal(lpae_phys_read(m->phys, s->pa, buf, s->memsz), 0);
    assert_memory_equal(buf, file, filesz);
    for (size_t i = filesz; i < s->memsz; i++)
        assert_int_equal(buf[i], 0);
    free(buf);
}

/* ======================================================================
 * Bad input
 * ==================================================================== */

static void not_elf(void **state)
{
    (void)state;
    unsigned char junk[256];
    tbuf b = {junk, sizeof junk};
    fill(junk, sizeof junk, 99);
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF);
    b.p = (unsigned char *)"#!/bin/sh\necho hello\n";
    b.len = strlen((char *)b.p);
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF);
    b.len = 0;
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_NOT_ELF);
    /* NULL arguments */
    {
        lpae_elf *elf;
        lpae_elf_diag d;
        assert_int_equal(lpae_elf_open_mem(NULL, 5, "x", &elf, &d), LPAE_EINVAL);
        assert_int_equal(lpae_elf_open_mem(junk, 5, "x", NULL, NULL), LPAE_EINVAL);
        assert_int_equal(lpae_elf_open_file(NULL, &elf, &d), LPAE_EINVAL);
    }
}

static void wrong_class_machine_data_type(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b;

    s.cls = ELFCLASS64;
    s.nsym = 0; /* the writer's symbol table is ELF32-only */
    b = build(&s, "class64.elf");
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_CLASS);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    s.machine = EM_386;
    b = build(&s, "i386.elf");
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_MACHINE);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    s.machine = EM_AARCH64;
    b = build(&s, "aarch64.elf");
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_MACHINE);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    s.data = ELFDATA2MSB;
    s.nsym = 0;
    b = build(&s, "be.elf");
    expect_open_error(&b, LPAE_EUNSUPP, LPAE_ELF_P_DATA);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    s.etype = ET_CORE;
    b = build(&s, "core.elf");
    expect_open_error(&b, LPAE_EFORMAT, LPAE_ELF_P_TYPE);
    free(b.p);
}

/* Every prefix of a valid file is rejected cleanly (never a crash). */
static void truncated_everywhere(void **state)
{
    (void)state;
    tspec specs[3];
    const char *names[3] = {"trunc_k.elf", "trunc_m.elf", "trunc_u.elf"};
    specs[0] = kernel_spec(0xC0008000u);
    specs[1] = module_spec();
    specs[2] = user_spec(ET_DYN, 0, false);
    for (int k = 0; k < 3; k++) {
        tbuf b = build(&specs[k], names[k]);
        size_t hist[LPAE_ELF_P_ARG + 1] = {0};
        lpae_elf *elf;
        /* the whole file opens */
        assert_int_equal(open_buf(&b, &elf, NULL), 0);
        lpae_elf_close(elf);
        for (size_t cut = 0; cut < b.len; cut++) {
            tbuf t = {b.p, cut};
            lpae_elf_diag d;
            int rc = open_buf(&t, &elf, &d);
            if (rc == 0)
                fail_msg("%s cut to %zu bytes of %zu was accepted", names[k], cut, b.len);
            assert_null(elf);
            assert_true(d.problem == LPAE_ELF_P_NOT_ELF || d.problem == LPAE_ELF_P_TRUNC_HDR ||
                        d.problem == LPAE_ELF_P_DATA_EOF);
            if (cut >= 4)
                assert_int_not_equal(d.problem, LPAE_ELF_P_NOT_ELF);
            if (cut >= 4 && cut < sizeof(Elf32_Ehdr))
                assert_int_equal(d.problem, LPAE_ELF_P_TRUNC_HDR);
            assert_true(rc == LPAE_ETRUNC || (cut < 4 && rc == LPAE_EFORMAT));
            hist[d.problem]++;
        }
        /* headers at the end are cut by most lengths; some cuts hit data */
        assert_true(hist[LPAE_ELF_P_TRUNC_HDR] > 0);
        assert_true(hist[LPAE_ELF_P_NOT_ELF] == 4);
        free(b.p);
    }
}

static void segment_beyond_eof(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b;
    lpae_elf *elf;
    lpae_elf_diag d;

    s.ph[1].sec = 0;
    s.ph[1].offset = 0x100000; /* far past the end */
    s.ph[1].filesz = 0x2000;
    b = build(&s, "eof.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_ETRUNC);
    assert_int_equal(d.problem, LPAE_ELF_P_DATA_EOF);
    assert_int_equal(d.seg, 1);
    assert_non_null(strstr(d.msg, "past the end"));
    free(b.p);

    /* p_filesz larger than p_memsz */
    s = kernel_spec(0xC0008000u);
    s.ph[1].sec = 0;
    s.ph[1].offset = 0;
    s.ph[1].filesz = 0x3000;
    b = build(&s, "filesz.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_BAD_SEG);
    free(b.p);

    /* a segment wrapping past 4 GB */
    s = kernel_spec(0xC0008000u);
    s.ph[2].vaddr = 0xFFFFF000u;
    b = build(&s, "wrap.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_BAD_SEG);
    free(b.p);
}

static void overlapping_segments(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b;
    lpae_elf *elf;
    lpae_elf_diag d;

    s.ph[1].vaddr = 0xC0008000u + 0x4ff0; /* last 16 bytes of text */
    b = build(&s, "overlap.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_EEXIST);
    assert_int_equal(d.problem, LPAE_ELF_P_OVERLAP);
    assert_non_null(strstr(d.msg, "overlap"));
    free(b.p);

    /* touching but not overlapping is fine */
    s = kernel_spec(0xC0008000u);
    s.ph[1].vaddr = 0xC0008000u + 0x5000;
    b = build(&s, "touch.elf");
    assert_int_equal(open_buf(&b, &elf, &d), 0);
    lpae_elf_close(elf);
    free(b.p);
}

static void nothing_to_load(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b;
    lpae_elf *elf;
    lpae_elf_diag d;

    s.ph[0].type = s.ph[1].type = s.ph[2].type = PT_NOTE;
    b = build(&s, "noload.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_NOLOAD);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    s.nph = 0;
    b = build(&s, "nophdr.elf");
    assert_int_equal(open_buf(&b, &elf, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_NOLOAD);
    free(b.p);
}

static void open_file_errors(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    char path[700];
    lpae_elf *elf;
    lpae_elf_diag d;

    path_of(path, sizeof path, "kernel_file.elf");
    write_elf(&s, path);
    assert_int_equal(lpae_elf_open_file(path, &elf, &d), 0);
    assert_int_equal(d.err, 0);
    assert_string_equal(lpae_elf_name(elf), path);
    assert_int_equal(lpae_elf_type(elf), ET_EXEC);
    assert_int_equal(lpae_elf_entry(elf), 0xC0008000u);
    lpae_elf_close(elf);

    path_of(path, sizeof path, "does-not-exist.elf");
    assert_int_equal(lpae_elf_open_file(path, &elf, &d), LPAE_EIO);
    assert_int_equal(d.problem, LPAE_ELF_P_IO);
    assert_non_null(strstr(d.msg, "does-not-exist"));
    assert_null(elf);
    /* a directory cannot be read */
    assert_int_equal(lpae_elf_open_file(tmpdir(), &elf, &d), LPAE_EIO);
    assert_int_equal(d.problem, LPAE_ELF_P_IO);
    assert_null(elf);
}

/* ======================================================================
 * Symbols
 * ==================================================================== */

static void symbols_at_link_addresses(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b = build(&s, "syms.elf");
    lpae_elf *elf;
    lpae_elf_sym sym;
    char buf[128];

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0008000u, &sym), 0);
    assert_string_equal(sym.name, "stext");
    assert_int_equal(sym.offset, 0);
    /* Thumb bit cleared; mapping symbol $a at the same address ignored */
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0009010u, &sym), 0);
    assert_string_equal(sym.name, "start_kernel");
    assert_int_equal(sym.va, 0xC0009000u);
    assert_int_equal(sym.offset, 0x10);
    assert_int_equal(sym.type, STT_FUNC);
    assert_int_equal(lpae_elf_symbolize(elf, 0xC0009010u, buf, sizeof buf),
                     (int)strlen("start_kernel+0x10/0x200"));
    assert_string_equal(buf, "start_kernel+0x10/0x200");
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0009400u + 4, &sym), 0);
    assert_string_equal(sym.name, "local_helper");
    assert_int_equal(sym.bind, STB_LOCAL);
    /* $d at .rodata start is not a symbol: the text symbol before it wins */
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC000D000u, &sym), 0);
    assert_string_equal(sym.name, "local_helper");
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC000D010u, &sym), 0);
    assert_string_equal(sym.name, "linux_banner");
    /* in .bss (memsz beyond filesz) */
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0010900u, &sym), 0);
    assert_string_equal(sym.name, "__bss_start");
    /* outside the image */
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0007FFFu, &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0020000u, &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_symbolize(elf, 0xC0020000u, buf, sizeof buf), LPAE_ENOENT);
    assert_string_equal(buf, "0xc0020000");
    /* by name (uthash) */
    assert_int_equal(lpae_elf_sym_find(elf, "jiffies", &sym), 0);
    assert_int_equal(sym.va, 0xC000F100u);
    assert_int_equal(sym.size, 8);
    assert_int_equal(lpae_elf_sym_find(elf, "$a", &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_sym_find(elf, "nope", &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_sym_find(NULL, "nope", &sym), LPAE_EINVAL);
    assert_int_equal(lpae_elf_sym_lookup(elf, 0, NULL), LPAE_EINVAL);
    lpae_elf_close(elf);
    free(b.p);
}

/* Random symbol tables: lookup equals a linear scan. */
static void symbols_random(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int round = 0; round < 20; round++) {
        tspec s = kernel_spec(0xC0008000u);
        tbuf b;
        lpae_elf *elf;
        static char names[MAXSYM][16];
        s.nsym = MAXSYM;
        for (size_t i = 0; i < MAXSYM; i++) {
            seed = seed * 1103515245u + 12345u;
            snprintf(names[i], sizeof names[i], "f%d_%zu", round, i);
            s.sym[i] = (tsym){
                names[i], 0xC0008000u + ((seed >> 8) % 0x1400u) * 4u, 4, STT_OBJECT, STB_GLOBAL, 1};
        }
        b = build(&s, "symrand.elf");
        assert_int_equal(open_buf(&b, &elf, NULL), 0);
        for (uint32_t va = 0xC0008000u; va < 0xC000D000u; va += 0x37) {
            lpae_elf_sym got;
            uint32_t best = 0;
            bool found = false;
            for (size_t i = 0; i < MAXSYM; i++)
                if (s.sym[i].value <= va && (!found || s.sym[i].value > best)) {
                    best = s.sym[i].value;
                    found = true;
                }
            if (!found) {
                assert_int_equal(lpae_elf_sym_lookup(elf, va, &got), LPAE_ENOENT);
                continue;
            }
            assert_int_equal(lpae_elf_sym_lookup(elf, va, &got), 0);
            assert_int_equal(got.va, best);
            assert_int_equal(got.offset, va - best);
        }
        lpae_elf_close(elf);
        free(b.p);
    }
}

/* ======================================================================
 * Placement
 * ==================================================================== */

static void kernel_lowmem_3g(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b = build(&s, "k3g.elf");
    lpae_layout sp = layout_named("VMSPLIT_3G");
    lpae_elf *elf;
    lpae_elf_seg g;
    lpae_elf_diag d;

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, &d), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_KERNEL);
    assert_int_equal(lpae_elf_seg_count(elf), 3);
    assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
    assert_string_equal(g.name, "LOAD0");
    assert_int_equal(g.va, 0xC0008000u);
    assert_int_equal(g.sel, LPAE_SEL_TTBR1);
    assert_int_equal(g.region, LPAE_VK_KERNEL_IMAGE); /* 0xC0000000-0xC1008000 */
    assert_int_equal(g.prot.ap, LPAE_AP_PL1_RO);
    assert_false(g.prot.xn);
    assert_false(g.prot.ng);
    assert_int_equal(g.prot.attrindx, 7);
    assert_true(g.prot.af);
    assert_int_equal(lpae_elf_seg_get(elf, 1, &g), 0);
    assert_int_equal(g.prot.ap, LPAE_AP_PL1_RO);
    assert_true(g.prot.xn);
    assert_int_equal(lpae_elf_seg_get(elf, 2, &g), 0);
    assert_int_equal(g.prot.ap, LPAE_AP_PL1_RW);
    assert_true(g.prot.xn);
    assert_int_equal(g.memsz, 0x4800);
    assert_int_equal(g.filesz, 0x1800);
    assert_int_equal(lpae_elf_seg_get(elf, 3, &g), LPAE_EINVAL);
    lpae_elf_close(elf);
    free(b.p);
}

/* Under 4G/4G (PAGE_OFFSET 0, lowmem in TTBR0 under the kernel ASID) a
 * kernel linked into lowmem is TTBR0 and non-global; one linked for 3G at
 * 0xC0008000 lands in a hole of the kernel's TTBR0 space and does not fit. */
static void kernel_lowmem_4g4g_is_ttbr0_ng(void **state)
{
    (void)state;
    tspec s = kernel_spec(0x00008000u);
    tbuf b = build(&s, "k4g.elf");
    lpae_layout sp = layout_named("VMSPLIT_4G_4G");
    lpae_elf *elf;
    lpae_elf_seg g;
    lpae_elf_diag d;

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_KERNEL); /* defines start_kernel */
    assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
    assert_int_equal(g.sel, LPAE_SEL_TTBR0);
    assert_int_equal(g.region, LPAE_VK_LOWMEM);
    assert_false(g.global);
    assert_true(g.prot.ng); /* kernel ASID, not global */
    assert_int_equal(g.prot.ap, LPAE_AP_PL1_RO);
    lpae_elf_close(elf);
    free(b.p);

    s = kernel_spec(0xC0008000u);
    b = build(&s, "k4g_3g.elf");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
    assert_int_equal(d.seg, 0);
    assert_non_null(strstr(d.msg, "LOAD0"));
    assert_non_null(strstr(d.msg, "TTBR0 none"));
    lpae_elf_close(elf);
    free(b.p);
}

static void kernel_moved_into_vmalloc(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b = build(&s, "kmove.elf");
    lpae_layout sp = layout_named("VMSPLIT_4G_4G");
    lpae_elf_opts o;
    lpae_elf *elf;
    lpae_elf_seg g;
    lpae_elf_sym sym;
    lpae_va_t va;

    memset(&o, 0, sizeof o);
    o.base = 0xF1008000u;
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), 0);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(lpae_elf_seg_get(elf, i, &g), 0);
        assert_int_equal(g.va - g.link_va, 0x31000000u);
        assert_int_equal(g.sel, LPAE_SEL_TTBR1);
        assert_int_equal(g.region, LPAE_VK_KERNEL_IMAGE);
        assert_false(g.prot.ng);
    }
    /* symbols follow the image */
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xF1009010u, &sym), 0);
    assert_string_equal(sym.name, "start_kernel");
    assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0009010u, &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_section_va(elf, ".data", &va), 0);
    assert_int_equal(va, 0xF100F000u);
    /* unaligned base */
    o.base = 0xF1008010u;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), LPAE_EALIGN);
    lpae_elf_close(elf);
    free(b.p);
}

static void kernel_linked_in_vmalloc(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xF1008000u);
    tbuf b = build(&s, "kvm.elf");
    lpae_layout sp = layout_named("4g4g");
    lpae_elf *elf;
    lpae_elf_seg g;

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_KERNEL);
    assert_int_equal(lpae_elf_seg_get(elf, 2, &g), 0);
    assert_int_equal(g.va, 0xF100F000u);
    assert_int_equal(g.sel, LPAE_SEL_TTBR1);
    assert_int_equal(g.region, LPAE_VK_KERNEL_IMAGE);
    /* moved down into 3G lowmem: a negative offset */
    {
        lpae_layout sp3 = layout_named("VMSPLIT_3G");
        lpae_elf_opts o;
        lpae_elf_diag d;
        lpae_elf_sym sym;
        memset(&o, 0, sizeof o);
        o.base = 0xC0008000u;
        assert_int_equal(lpae_elf_place(elf, &sp3, &o, NULL), 0);
        assert_int_equal(lpae_elf_seg_get(elf, 2, &g), 0);
        assert_int_equal(g.va, 0xC000F000u);
        assert_int_equal(lpae_elf_sym_lookup(elf, 0xC0009004u, &sym), 0);
        assert_string_equal(sym.name, "start_kernel");
        /* moved past 4 GB */
        o.base = 0xFFFF0000u;
        assert_int_equal(lpae_elf_place(elf, &sp3, &o, &d), LPAE_ERANGE);
        assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
        assert_int_equal(lpae_elf_seg_count(elf), 0);
    }
    lpae_elf_close(elf);
    free(b.p);
}

static void user_exec_and_dyn(void **state)
{
    (void)state;
    tspec s = user_spec(ET_EXEC, 0x10000, false);
    tbuf b = build(&s, "uexec.elf");
    lpae_layout sp = layout_named("VMSPLIT_3G");
    lpae_elf_opts o;
    lpae_elf *elf;
    lpae_elf_seg g;
    lpae_elf_sym sym;

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_USER);
    assert_int_equal(lpae_elf_seg_count(elf), 2); /* PT_NOTE ignored */
    assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
    assert_int_equal(g.va, 0x10000);
    assert_int_equal(g.region, LPAE_VK_USER);
    assert_int_equal(g.sel, LPAE_SEL_TTBR0);
    assert_int_equal(g.prot.ap, LPAE_AP_RO);
    assert_false(g.prot.xn);
    assert_true(g.prot.ng);
    assert_int_equal(lpae_elf_seg_get(elf, 1, &g), 0);
    assert_int_equal(g.prot.ap, LPAE_AP_RW);
    assert_true(g.prot.xn);
    assert_true(g.prot.ng);
    lpae_elf_close(elf);
    free(b.p);

    /* ET_DYN at the default base: ELF_ET_DYN_BASE = TASK_SIZE / 3 * 2 */
    s = user_spec(ET_DYN, 0, false);
    b = build(&s, "udyn.elf");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
    assert_int_equal(g.va, (0xBF000000u / 3 * 2) & ~0xFFFu);
    assert_int_equal(lpae_elf_sym_lookup(elf, g.va + 0x110, &sym), 0);
    assert_string_equal(sym.name, "main");
    /* and at an explicit base */
    memset(&o, 0, sizeof o);
    o.base = 0x40000000u;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 1, &g), 0);
    assert_int_equal(g.va, 0x40013000u);
    assert_int_equal(lpae_elf_sym_lookup(elf, 0x40000100u, &sym), 0);
    assert_string_equal(sym.name, "main");
    /* ET_DYN cannot be a kernel or a module */
    o.role = LPAE_ELF_ROLE_KERNEL;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), LPAE_EFORMAT);
    o.role = LPAE_ELF_ROLE_MODULE;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), LPAE_EFORMAT);
    assert_int_equal(lpae_elf_seg_count(elf), 0);
    lpae_elf_close(elf);
    free(b.p);
}

static void module_layout(void **state)
{
    (void)state;
    tspec s = module_spec();
    tbuf b = build(&s, "mod.ko");
    lpae_layout sp = layout_named("VMSPLIT_3G");
    lpae_elf *elf;
    lpae_elf_seg g[8];
    lpae_elf_sym sym;
    lpae_va_t va, va2;
    lpae_elf_opts o;
    const uint32_t MOD = 0xBF000000u;

    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_type(elf), ET_REL);
    /* symbols of an unplaced module do not resolve */
    assert_int_equal(lpae_elf_sym_find(elf, "mod_fn", &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_MODULE);
    /* groups in mod_mem_type order: text, data, rodata, ro_after_init, init.text */
    assert_int_equal(lpae_elf_seg_count(elf), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(lpae_elf_seg_get(elf, i, &g[i]), 0);
    assert_string_equal(g[0].name, "text");
    assert_string_equal(g[1].name, "data");
    assert_string_equal(g[2].name, "rodata");
    assert_string_equal(g[3].name, "ro_after_init");
    assert_string_equal(g[4].name, "init.text");
    /* text = .text (0x1234) then .exit.text aligned to 4 */
    assert_int_equal(g[0].va, MOD);
    assert_int_equal(g[0].memsz, 0x1234 + 0x80);
    assert_int_equal(g[0].nsections, 2);
    /* each group is its own page-rounded allocation plus a guard page */
    assert_int_equal(g[1].va, MOD + 0x2000 + 0x1000);
    /* data = .data (0x210) then .bss aligned to 32: 0x220 + 0x500 */
    assert_int_equal(g[1].memsz, 0x720);
    assert_int_equal(g[1].filesz, 0x210);
    assert_int_equal(g[2].va, g[1].va + 0x2000);
    assert_int_equal(g[2].memsz, 0x456); /* .modinfo is not loaded */
    assert_int_equal(g[3].memsz, 0x40);
    assert_int_equal(g[4].memsz, 0x300);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(g[i].region, LPAE_VK_MODULES);
        assert_int_equal(g[i].sel, LPAE_SEL_TTBR0); /* below 0xC0000000 under 3G */
        assert_false(g[i].prot.ng);                 /* kernel mappings are global */
        assert_true(g[i].prot.ap == LPAE_AP_PL1_RO || g[i].prot.ap == LPAE_AP_PL1_RW);
    }
    assert_false(g[0].prot.xn);
    assert_int_equal(g[0].prot.ap, LPAE_AP_PL1_RO);
    assert_true(g[1].prot.xn);
    assert_int_equal(g[1].prot.ap, LPAE_AP_PL1_RW);
    assert_true(g[2].prot.xn);
    assert_int_equal(g[2].prot.ap, LPAE_AP_PL1_RO);
    assert_int_equal(g[3].prot.ap, LPAE_AP_PL1_RO);
    assert_false(g[4].prot.xn);
    /* sections and symbols */
    assert_int_equal(lpae_elf_section_va(elf, ".exit.text", &va), 0);
    assert_int_equal(va, MOD + 0x1234);
    assert_int_equal(lpae_elf_section_va(elf, ".bss", &va), 0);
    assert_int_equal(va, g[1].va + 0x220);
    assert_int_equal(lpae_elf_section_va(elf, ".modinfo", &va), LPAE_ENOENT);
    assert_int_equal(lpae_elf_section_va(elf, ".comment", &va), LPAE_ENOENT);
    assert_int_equal(lpae_elf_sym_find(elf, "mod_fn", &sym), 0);
    assert_int_equal(sym.va, MOD + 0x10);
    assert_int_equal(lpae_elf_sym_find(elf, "mod_counter", &sym), 0); /* in .bss */
    assert_int_equal(sym.va, g[1].va + 0x220 + 0x100);
    assert_int_equal(lpae_elf_sym_lookup(elf, MOD + 0x18, &sym), 0);
    assert_string_equal(sym.name, "mod_fn");
    assert_int_equal(lpae_elf_sym_lookup(elf, g[4].va + 0x8, &sym), 0);
    assert_string_equal(sym.name, "init_module");
    assert_int_equal(lpae_elf_section_va(elf, ".rodata", &va), 0);
    assert_int_equal(lpae_elf_sym_lookup(elf, va + 8, &sym), 0);
    assert_string_equal(sym.name, "mod_table");

    /* without init sections; a second module placed after the first */
    memset(&o, 0, sizeof o);
    o.flags = LPAE_ELF_NO_INIT;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), 0);
    assert_int_equal(lpae_elf_seg_count(elf), 4);
    assert_int_equal(lpae_elf_sym_find(elf, "init_module", &sym), LPAE_ENOENT);
    assert_int_equal(lpae_elf_section_va(elf, ".data", &va), 0);
    o.base = 0xBF100000u;
    assert_int_equal(lpae_elf_place(elf, &sp, &o, NULL), 0);
    assert_int_equal(lpae_elf_section_va(elf, ".data", &va2), 0);
    assert_int_equal(va2 - va, 0xBF100000u - MOD);
    lpae_elf_close(elf);
    free(b.p);
}

static void module_bad_sections(void **state)
{
    (void)state;
    tspec s = module_spec();
    tbuf b;
    lpae_elf *elf;
    lpae_elf_diag d;
    lpae_layout sp = layout_named("VMSPLIT_3G");

    s.sec[2].flags |= SHF_EXECINSTR; /* .data W+X */
    b = build(&s, "wx.ko");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_BAD_SEG);
    assert_non_null(strstr(d.msg, ".data"));
    lpae_elf_close(elf);
    free(b.p);

    /* Regression: a section name holding a newline and a CR is quoted in the
     * message; the message must stay one line (control bytes become '?'). */
    s = module_spec();
    s.sec[2].flags |= SHF_EXECINSTR;
    s.sec[2].name = ".da\nta\r";
    b = build(&s, "wxnl.ko");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, &d), LPAE_EFORMAT);
    assert_non_null(strstr(d.msg, ".da?ta?"));
    assert_null(strchr(d.msg, '\n'));
    assert_null(strchr(d.msg, '\r'));
    lpae_elf_close(elf);
    free(b.p);

    s = module_spec();
    for (size_t i = 0; i < s.nsec; i++)
        s.sec[i].flags &= ~(uint64_t)SHF_ALLOC;
    b = build(&s, "noalloc.ko");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, &d), LPAE_EFORMAT);
    assert_int_equal(d.problem, LPAE_ELF_P_NOLOAD);
    lpae_elf_close(elf);
    free(b.p);
}

static void crossing_and_nofit(void **state)
{
    (void)state;
    lpae_layout sp3 = layout_named("VMSPLIT_3G");
    lpae_layout sp4 = layout_named("VMSPLIT_4G_4G");
    lpae_elf *elf;
    lpae_elf_diag d;
    lpae_elf_opts o;
    tspec s;
    tbuf b;

    /* a kernel segment straddling 0xC0000000 under 3G: TTBR0 -> TTBR1 */
    s = kernel_spec(0xBFFFC000u);
    b = build(&s, "cross.elf");
    memset(&o, 0, sizeof o);
    o.role = LPAE_ELF_ROLE_KERNEL;
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp3, &o, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_CROSS);
    assert_int_equal(d.seg, 0);
    assert_non_null(strstr(d.msg, "LOAD0"));
    assert_non_null(strstr(d.msg, "TTBR0/TTBR1"));
    assert_int_equal(lpae_elf_seg_count(elf), 0);
    /* the same image moved across 0xF0000000 under 4G/4G */
    o.base = 0xEFFFC000u;
    assert_int_equal(lpae_elf_place(elf, &sp4, &o, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_CROSS);
    lpae_elf_close(elf);
    free(b.p);

    /* a user program linked in kernel space */
    s = user_spec(ET_EXEC, 0xC0100000u, false);
    b = build(&s, "ukern.elf");
    memset(&o, 0, sizeof o);
    o.role = LPAE_ELF_ROLE_USER;
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp3, &o, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
    assert_non_null(strstr(d.msg, "LOAD0"));
    assert_non_null(strstr(d.msg, "user"));
    /* in auto mode it is taken for a kernel and fits lowmem */
    assert_int_equal(lpae_elf_place(elf, &sp3, NULL, &d), 0);
    assert_int_equal(lpae_elf_role_of(elf), LPAE_ELF_ROLE_KERNEL);
    lpae_elf_close(elf);
    free(b.p);

    /* user program reaching into the modules area (above TASK_SIZE) */
    s = user_spec(ET_EXEC, 0xBEFFF000u, false);
    b = build(&s, "utop.elf");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp3, NULL, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
    lpae_elf_close(elf);
    free(b.p);

    /* a kernel in the fixmap area */
    s = kernel_spec(0xFFC80000u);
    b = build(&s, "kfix.elf");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp3, NULL, &d), LPAE_ERANGE);
    assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
    assert_non_null(strstr(d.msg, "fixmap"));
    lpae_elf_close(elf);
    free(b.p);

    /* the modules area is full */
    s = module_spec();
    b = build(&s, "full.ko");
    memset(&o, 0, sizeof o);
    o.base = 0xBFDFD000u; /* 3 pages before MODULES_END */
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp3, &o, &d), LPAE_ENOSPC);
    assert_int_equal(d.problem, LPAE_ELF_P_NOFIT);
    assert_non_null(strstr(d.msg, "modules"));
    assert_non_null(strstr(d.msg, "data")); /* text fits, data does not */
    /* a base outside the modules area */
    o.base = 0x10000000u;
    assert_int_equal(lpae_elf_place(elf, &sp3, &o, &d), LPAE_ENOSPC);
    lpae_elf_close(elf);
    free(b.p);
}

/* Every preset split: a module lands in its modules area, a user program at
 * 0x10000 in user space, a kernel moved to the layout's image region there. */
static void every_preset(void **state)
{
    (void)state;
    tspec ks = kernel_spec(0xC0008000u), ms = module_spec(), us = user_spec(ET_EXEC, 0x10000, 0);
    tbuf kb = build(&ks, "pk.elf"), mb = build(&ms, "pm.ko"), ub = build(&us, "pu.elf");
    size_t n = lpae_split_preset_count();

    assert_true(n >= 4);
    for (size_t i = 0; i < n; i++) {
        lpae_split sp;
        lpae_layout lay;
        lpae_elf *k, *m, *u;
        lpae_elf_seg g;
        lpae_elf_opts o;
        lpae_elf_diag d;
        assert_int_equal(lpae_split_preset(i, &sp), 0);
        lay = layout_named(sp.name);
        assert_int_equal(open_buf(&kb, &k, NULL), 0);
        assert_int_equal(open_buf(&mb, &m, NULL), 0);
        assert_int_equal(open_buf(&ub, &u, NULL), 0);
        memset(&o, 0, sizeof o);
        o.base = lay.kernel_start + 0x8000;
        if (lpae_elf_place(k, &lay, &o, &d) != 0)
            fail_msg("%s: %s", sp.name, d.msg);
        assert_int_equal(lpae_elf_seg_get(k, 0, &g), 0);
        assert_int_equal(g.region, LPAE_VK_KERNEL_IMAGE);
        assert_int_equal(g.sel, LPAE_SEL_TTBR1);
        assert_int_equal(lpae_elf_place(m, &lay, NULL, &d), 0);
        assert_int_equal(lpae_elf_seg_get(m, 0, &g), 0);
        assert_int_equal(g.va, lay.modules_vaddr);
        assert_int_equal(g.region, LPAE_VK_MODULES);
        assert_int_equal(lpae_elf_place(u, &lay, NULL, &d), 0);
        assert_int_equal(lpae_elf_role_of(u), LPAE_ELF_ROLE_USER);
        assert_int_equal(lpae_elf_seg_get(u, 1, &g), 0);
        assert_int_equal(g.region, LPAE_VK_USER);
        assert_int_equal(g.sel, LPAE_SEL_TTBR0);
        assert_true(g.prot.ng);
        lpae_elf_close(k);
        lpae_elf_close(m);
        lpae_elf_close(u);
    }
    free(kb.p);
    free(mb.p);
    free(ub.p);
}

/* ======================================================================
 * Loading
 * ==================================================================== */

static void load_kernel_3g(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b = build(&s, "lk3g.elf");
    machine m;
    lpae_elf *elf;
    lpae_elf_report r, r2;
    lpae_elf_seg g;
    lpae_elf_diag d;
    lpae_phys_stats ps0, ps1;
    lpae_pgtable_stats ts0, ts1;
    const unsigned char *files[3] = {k_text, k_rodata, k_data};
    const size_t fsz[3] = {sizeof k_text, sizeof k_rodata, sizeof k_data};

    machine_init(&m, "VMSPLIT_3G", UINT64_C(256) << 20);
    assert_int_equal(lpae_phys_stats_get(m.phys, &ps0), 0);
    assert_int_equal(lpae_pgtable_stats_get(m.t1, &ts0), 0);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_report_get(elf, &r), LPAE_ESTATE);
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, &d), 0);
    assert_int_equal(r.nseg, 3);
    assert_int_equal(r.va_lo, 0xC0008000u);
    assert_int_equal(r.va_hi, 0xC0014000u);
    assert_int_equal(r.leaves[3], 12); /* 0x5000 + 0x2000 + 0x5000 bytes of 4 KB pages */
    assert_int_equal(r.leaves[2], 0);
    assert_int_equal(r.table_pages[0], 0);
    assert_true(r.table_pages[1] >= 1);
    assert_int_equal(r.ram_bytes, 0xC000);
    assert_int_equal(r.file_bytes, sizeof k_text + sizeof k_rodata + sizeof k_data);
    assert_int_equal(lpae_elf_report_get(elf, &r2), 0);
    assert_memory_equal(&r, &r2, sizeof r);
    for (size_t i = 0; i < 3; i++) {
        lpae_prot p;
        lpae_pa_t pa = 0;
        assert_int_equal(lpae_elf_seg_get(elf, i, &g), 0);
        check_contents(&m, &g, files[i], fsz[i]);
        for (uint64_t va = g.va; va < (uint64_t)g.va + g.memsz; va += 0x1000) {
            assert_true(translate(&m, LPAE_SEL_TTBR1, (lpae_va_t)va, &p, &pa));
            assert_int_equal(pa, g.pa + (va - g.va));
            assert_int_equal(p.ap, g.prot.ap);
            assert_int_equal(p.xn, g.prot.xn);
            assert_false(p.ng);
            assert_int_equal(p.attrindx, 7);
            assert_true(p.af);
        }
    }
    /* the kernel image is physically contiguous */
    assert_int_equal(lpae_elf_seg_get(elf, 2, &g), 0);
    {
        lpae_elf_seg g0;
        lpae_elf_seg_get(elf, 0, &g0);
        assert_int_equal(g.pa - g0.pa, 0x7000);
    }
    /* load twice: state error */
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, &d), LPAE_ESTATE);
    assert_int_equal(lpae_elf_place(elf, &m.lay, NULL, &d), LPAE_ESTATE);
    /* unload restores RAM and tables */
    assert_int_equal(lpae_elf_unload(elf), 0);
    assert_int_equal(lpae_elf_unload(elf), LPAE_ESTATE);
    assert_int_equal(lpae_phys_stats_get(m.phys, &ps1), 0);
    assert_int_equal(lpae_pgtable_stats_get(m.t1, &ts1), 0);
    assert_int_equal(ps1.frames_in_use, ps0.frames_in_use);
    assert_int_equal(ts1.mapped_bytes, ts0.mapped_bytes);
    {
        lpae_prot p;
        lpae_pa_t pa = 0;
        assert_false(translate(&m, LPAE_SEL_TTBR1, 0xC0008000u, &p, &pa));
    }
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);
}

/* A 6 MB kernel at 0xF1000000 under 4G/4G maps its middle with 2 MB blocks. */
static void load_big_kernel_blocks(void **state)
{
    (void)state;
    static unsigned char big[0x600000];
    tspec s;
    tbuf b;
    machine m;
    lpae_elf *elf;
    lpae_elf_report r;
    lpae_elf_seg g;
    lpae_prot p;
    lpae_pa_t pa = 0;

    fill(big, sizeof big, 5);
    memset(&s, 0, sizeof s);
    s.etype = ET_EXEC;
    s.sec[0] = (tsec){".text",    SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0xF1008000u, big,
                      sizeof big, 4096};
    s.nsec = 1;
    s.ph[0] = (tph){PT_LOAD, PF_R | PF_X, 0xF1008000u, sizeof big, 1, 0, 0};
    s.nph = 1;
    b = build(&s, "big.elf");
    machine_init(&m, "VMSPLIT_4G_4G", UINT64_C(512) << 20);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, NULL), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
    assert_int_equal(g.region, LPAE_VK_KERNEL_IMAGE);
    assert_int_equal(g.pa & 0x1FFFFF, 0x8000); /* PA congruent to VA modulo 2 MB */
    /* 0xF1008000..0xF1608000: 2 MB blocks at F1200000 and F1400000 */
    assert_int_equal(g.granules[2], 2);
    assert_int_equal(g.granules[3], (0x1F8000 + 0x8000) / 0x1000);
    assert_int_equal(r.leaves[2], 2);
    assert_true(translate(&m, LPAE_SEL_TTBR1, 0xF1300000u, &p, &pa));
    assert_int_equal(pa, g.pa + (0xF1300000u - g.va));
    check_contents(&m, &g, big, sizeof big);
    /* the same with 4 KB pages only */
    assert_int_equal(lpae_elf_unload(elf), 0);
    {
        lpae_elf_opts o;
        memset(&o, 0, sizeof o);
        o.flags = LPAE_ELF_FORCE_4K;
        assert_int_equal(lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, NULL), 0);
        assert_int_equal(r.leaves[2], 0);
        assert_int_equal(r.leaves[3], 0x600);
    }
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);
}

/* Text and data sharing a page: for a user program the later segment's
 * mapping wins (binfmt_elf maps it with MAP_FIXED); for a kernel image the
 * page gets both permissions. */
static void load_user_shared_page(void **state)
{
    (void)state;
    tspec s = user_spec(ET_EXEC, 0x10000, true);
    tbuf b = build(&s, "ushared.elf");
    machine m;
    lpae_elf *elf;
    lpae_elf_report r;
    lpae_elf_seg t, dseg;
    lpae_prot p;
    lpae_pa_t pa = 0;

    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, NULL), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 0, &t), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 1, &dseg), 0);
    /* text 0x10000-0x122ff, data 0x12400-0x133ff: page 0x12000 shared */
    assert_true(translate(&m, LPAE_SEL_TTBR0, 0x10000, &p, &pa));
    assert_int_equal(p.ap, LPAE_AP_RO);
    assert_false(p.xn);
    assert_true(p.ng);
    assert_true(translate(&m, LPAE_SEL_TTBR0, 0x12000, &p, &pa));
    assert_int_equal(p.ap, LPAE_AP_RW);
    assert_true(p.xn);
    assert_true(translate(&m, LPAE_SEL_TTBR0, 0x13000, &p, &pa));
    assert_int_equal(p.ap, LPAE_AP_RW);
    assert_true(p.xn);
    assert_int_equal(r.leaves[3], 4);
    assert_int_equal(t.granules[3], 2); /* the shared page belongs to data */
    assert_int_equal(dseg.granules[3], 2);
    assert_int_equal(dseg.pa - t.pa, 0x2400);
    check_contents(&m, &t, u_text, sizeof u_text);
    check_contents(&m, &dseg, u_data, sizeof u_data);
    assert_int_equal(r.table_pages[1], 0);
    assert_true(r.table_pages[0] >= 2); /* a level-2 and a level-3 table */
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);
}

static void load_module(void **state)
{
    (void)state;
    tspec s = module_spec();
    tbuf b = build(&s, "lmod.ko");
    machine m;
    lpae_elf *elf, *elf2;
    lpae_elf_report r, r2;
    lpae_elf_opts o;
    lpae_va_t va;
    lpae_prot p;
    lpae_pa_t pa = 0;
    static unsigned char buf[0x2000];

    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, NULL), 0);
    assert_int_equal(r.next_va, 0xBF000000u + 0x3000 + 0x2000 + 0x2000 + 0x2000 + 0x2000);
    assert_int_equal(r.leaves[2], 0);
    assert_int_equal(r.leaves[3], 2 + 1 + 1 + 1 + 1);
    assert_true(r.table_pages[0] >= 2);
    /* every section's bytes at its VA */
    for (size_t i = 0; i < s.nsec; i++) {
        const tsec *t = &s.sec[i];
        if (lpae_elf_section_va(elf, t->name, &va) != 0)
            continue;
        assert_true(translate(&m, LPAE_SEL_TTBR0, va, &p, &pa));
        assert_int_equal(lpae_phys_read(m.phys, pa, buf, t->size), 0);
        if (t->type == SHT_NOBITS) {
            for (size_t k = 0; k < t->size; k++)
                assert_int_equal(buf[k], 0);
        } else {
            assert_memory_equal(buf, t->data, t->size);
        }
    }
    /* .text executable, read-only, global */
    assert_int_equal(lpae_elf_section_va(elf, ".text", &va), 0);
    assert_true(translate(&m, LPAE_SEL_TTBR0, va, &p, &pa));
    assert_int_equal(p.ap, LPAE_AP_PL1_RO);
    assert_false(p.xn);
    assert_false(p.ng);
    /* guard pages are unmapped */
    assert_false(translate(&m, LPAE_SEL_TTBR0, 0xBF002000u, &p, &pa));
    /* a second module goes after the first */
    assert_int_equal(open_buf(&b, &elf2, NULL), 0);
    memset(&o, 0, sizeof o);
    o.base = r.next_va;
    assert_int_equal(lpae_elf_load(elf2, &m.lay, &o, &m.tgt, &r2, NULL), 0);
    assert_int_equal(r2.va_lo, r.next_va);
    /* FIXED_PA does not apply to modules */
    lpae_elf_unload(elf2);
    o.flags = LPAE_ELF_FIXED_PA;
    assert_int_equal(lpae_elf_load(elf2, &m.lay, &o, &m.tgt, &r2, NULL), LPAE_EINVAL);
    lpae_elf_close(elf2);
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);
}

static void load_errors_roll_back(void **state)
{
    (void)state;
    tspec s = kernel_spec(0xC0008000u);
    tbuf b = build(&s, "lerr.elf");
    machine m;
    lpae_elf *elf;
    lpae_elf_report r;
    lpae_elf_diag d;
    lpae_elf_opts o;
    lpae_elf_target t;
    lpae_phys_stats ps0, ps1;
    lpae_pgtable_stats ts0, ts1;
    lpae_pa_t hog;
    uint64_t hog_size;

    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    /* no TTBR1 tree */
    t = m.tgt;
    t.ttbr1 = NULL;
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &t, &r, &d), LPAE_EINVAL);
    assert_non_null(strstr(d.msg, "TTBR1"));
    /* the wrong tree for the region */
    t.ttbr1 = m.t0;
    t.ttbr0 = m.t1;
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &t, &r, &d), LPAE_EINVAL);
    /* RAM nearly exhausted: image allocation fails, nothing left behind */
    assert_int_equal(lpae_phys_stats_get(m.phys, &ps0), 0);
    hog_size = (ps0.frames_total - ps0.frames_in_use - 4) * 4096;
    assert_int_equal(lpae_phys_alloc_contig(m.phys, hog_size, 4096, 0, UINT64_MAX, &hog), 0);
    assert_int_equal(lpae_phys_stats_get(m.phys, &ps0), 0);
    assert_int_equal(lpae_pgtable_stats_get(m.t1, &ts0), 0);
    assert_int_equal(lpae_elf_load(elf, &m.lay, NULL, &m.tgt, &r, &d), LPAE_ENOSPC);
    assert_int_equal(d.problem, LPAE_ELF_P_MEMORY);
    assert_int_equal(lpae_phys_stats_get(m.phys, &ps1), 0);
    assert_int_equal(lpae_pgtable_stats_get(m.t1, &ts1), 0);
    assert_int_equal(ps1.frames_in_use, ps0.frames_in_use);
    assert_int_equal(ts1.mapped_bytes, ts0.mapped_bytes);
    assert_int_equal(lpae_elf_unload(elf), LPAE_ESTATE);
    assert_int_equal(lpae_phys_free(m.phys, hog, hog_size), 0);
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);

    /* fixed PA: reserved, zeroed, and a collision is reported */
    b = build(&s, "lfix.elf");
    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    memset(&o, 0, sizeof o);
    o.flags = LPAE_ELF_FIXED_PA;
    o.pa = UINT64_C(0x80008000);
    assert_int_equal(lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, &d), 0);
    {
        lpae_elf_seg g;
        assert_int_equal(lpae_elf_seg_get(elf, 0, &g), 0);
        assert_int_equal(g.pa, UINT64_C(0x80008000));
        assert_int_equal(lpae_elf_seg_get(elf, 2, &g), 0);
        assert_int_equal(g.pa, UINT64_C(0x8000F000));
        check_contents(&m, &g, k_data, sizeof k_data);
    }
    {
        lpae_elf *elf2;
        assert_int_equal(open_buf(&b, &elf2, NULL), 0);
        assert_int_equal(lpae_elf_load(elf2, &m.lay, &o, &m.tgt, &r, &d), LPAE_EEXIST);
        /* RAM is free but the VAs are mapped already */
        o.pa = UINT64_C(0x80400000);
        assert_int_equal(lpae_elf_load(elf2, &m.lay, &o, &m.tgt, &r, &d), LPAE_EEXIST);
        assert_int_equal(d.problem, LPAE_ELF_P_MEMORY);
        /* ... unless replacing */
        o.flags |= LPAE_ELF_REPLACE;
        assert_int_equal(lpae_elf_load(elf2, &m.lay, &o, &m.tgt, &r, &d), 0);
        assert_int_equal(lpae_elf_unload(elf2), 0);
        lpae_elf_close(elf2);
    }
    assert_int_equal(lpae_elf_unload(elf), 0);
    o.flags = LPAE_ELF_FIXED_PA;
    o.pa = UINT64_C(0x80400010);
    assert_int_equal(lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, &d), LPAE_EALIGN);
    o.pa = UINT64_C(0x10000000); /* not RAM */
    assert_int_equal(lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, &d), LPAE_EABORT);
    lpae_elf_close(elf);
    machine_free(&m);
    free(b.p);
}

/* Random layouts (fixed seeds): every page maps to the file bytes; a page
 * shared by segments gets the last one's permissions in a user program and
 * the union in a kernel image. Even rounds are user programs, odd kernels. */
static void load_random_layouts(void **state)
{
    (void)state;
    static unsigned char data[MAXPH][0x6000];
    uint32_t seed = 0xC0FFEE;

    for (int round = 0; round < 40; round++) {
        tspec s;
        tbuf b;
        machine m;
        lpae_elf *elf;
        lpae_elf_report r;
        lpae_elf_diag d;
        bool kern = round & 1;
        uint32_t va = (kern ? 0xC0100000u : 0x8000u) + ((seed >> 4) & 0xF) * 0x1000;
        lpae_elf_opts o;
        memset(&s, 0, sizeof s);
        s.etype = ET_EXEC;
        s.nph = s.nsec = 1 + (seed % 5);
        for (size_t i = 0; i < s.nph; i++) {
            uint32_t size, memsz, gap;
            seed = seed * 1664525u + 1013904223u;
            size = 1 + (seed >> 8) % 0x5FFF;
            memsz = size + ((seed >> 20) & 1 ? (seed >> 3) % 0x2000 : 0);
            fill(data[i], size, seed);
            s.sec[i] = (tsec){NULL, SHT_PROGBITS, SHF_ALLOC, va, data[i], size, 4};
            s.sec[i].name = i == 0 ? ".a" : i == 1 ? ".b" : i == 2 ? ".c" : i == 3 ? ".d" : ".e";
            s.ph[i] = (tph){
                PT_LOAD,
                (unsigned)(PF_R | ((seed >> 12) & 1 ? PF_W : 0) | ((seed >> 13) & 1 ? PF_X : 0)),
                va,
                memsz,
                (int)i + 1,
                0,
                0};
            gap = (seed >> 24) & 3 ? (seed >> 14) % 0x3000 : 0;
            va += memsz + gap;
        }
        b = build(&s, "rand.elf");
        machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
        assert_int_equal(open_buf(&b, &elf, NULL), 0);
        memset(&o, 0, sizeof o);
        o.role = kern ? LPAE_ELF_ROLE_KERNEL : LPAE_ELF_ROLE_USER;
        if (lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, &d) != 0)
            fail_msg("round %d: %s", round, d.msg);
        for (size_t i = 0; i < s.nph; i++) {
            lpae_elf_seg g;
            assert_int_equal(lpae_elf_seg_get(elf, i, &g), 0);
            check_contents(&m, &g, data[i], s.sec[i].size);
            for (uint64_t pg = g.va & ~0xFFFu; pg < (uint64_t)g.va + g.memsz; pg += 0x1000) {
                unsigned pf = 0;
                lpae_prot p;
                lpae_pa_t pa = 0;
                for (size_t j = 0; j < s.nph; j++)
                    if ((s.ph[j].vaddr & ~0xFFFu) <= pg &&
                        ((uint64_t)s.ph[j].vaddr + s.ph[j].memsz + 0xFFF) / 0x1000 * 0x1000 > pg)
                        pf = kern ? pf | s.ph[j].flags : s.ph[j].flags;
                assert_true(
                    translate(&m, kern ? LPAE_SEL_TTBR1 : LPAE_SEL_TTBR0, (lpae_va_t)pg, &p, &pa));
                if (kern)
                    assert_int_equal(p.ap, pf & PF_W ? LPAE_AP_PL1_RW : LPAE_AP_PL1_RO);
                else
                    assert_int_equal(p.ap, pf & PF_W ? LPAE_AP_RW : LPAE_AP_RO);
                assert_int_equal(p.ng, !kern);
                assert_int_equal(p.xn, !(pf & PF_X));
                if (pg >= g.va)
                    assert_int_equal(pa, g.pa + (pg - g.va));
            }
        }
        assert_int_equal(lpae_elf_unload(elf), 0);
        lpae_elf_close(elf);
        machine_free(&m);
        free(b.p);
    }
}

/* End to end through the hardware walker: a kernel image and a user program
 * loaded under 3G translate, and their permissions hold. */
static void walk_loaded_images(void **state)
{
    (void)state;
    tspec ks = kernel_spec(0xC0008000u), us = user_spec(ET_EXEC, 0x10000, false);
    tbuf kb = build(&ks, "wk.elf"), ub = build(&us, "wu.elf");
    machine m;
    lpae_pgtable_config c;
    lpae_pgtable *proc;
    lpae_elf *k, *u;
    lpae_elf_target t;
    lpae_regs regs;
    lpae_elf_seg g;
    static const struct {
        lpae_va_t va;
        unsigned acc;
        bool ok;
    } probes[] = {
        {0xC0008000u, LPAE_ACC_PX, true},  {0xC0008000u, LPAE_ACC_PR, true},
        {0xC0008000u, LPAE_ACC_PW, false}, {0xC0008000u, LPAE_ACC_UR, false},
        {0xC000D010u, LPAE_ACC_PR, true},  {0xC000D010u, LPAE_ACC_PX, false},
        {0xC000F100u, LPAE_ACC_PW, true},  {0xC0012000u, LPAE_ACC_PW, true}, /* bss */
        {0xC000F100u, LPAE_ACC_PX, false}, {0xC000F100u, LPAE_ACC_UW, false},
        {0x00010100u, LPAE_ACC_UX, true},  {0x00010100u, LPAE_ACC_UR, true},
        {0x00010100u, LPAE_ACC_UW, false}, {0x00023000u, LPAE_ACC_UW, true},
        {0x00023000u, LPAE_ACC_UX, false},
    };

    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    memset(&c, 0, sizeof c);
    c.phys = m.phys;
    c.sel = LPAE_SEL_TTBR0;
    c.tsz = m.split.t0sz;
    assert_int_equal(lpae_pgtable_create(&c, &proc), 0);
    assert_int_equal(open_buf(&kb, &k, NULL), 0);
    assert_int_equal(open_buf(&ub, &u, NULL), 0);
    assert_int_equal(lpae_elf_load(k, &m.lay, NULL, &m.tgt, NULL, NULL), 0);
    t = m.tgt;
    t.ttbr0 = proc;
    assert_int_equal(lpae_elf_load(u, &m.lay, NULL, &t, NULL, NULL), 0);

    lpae_regs_init(&regs);
    assert_int_equal(lpae_regs_set_ttbcr(&regs, lpae_split_ttbcr(&m.split, 0)), 0);
    assert_int_equal(lpae_regs_set_ttbr(&regs, 0, lpae_pgtable_ttbr(proc, 5)), 0);
    assert_int_equal(lpae_regs_set_ttbr(&regs, 1, lpae_pgtable_ttbr(m.t1, 0)), 0);
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        lpae_walk_result w;
        assert_int_equal(lpae_walk(&regs, m.phys, probes[i].va, probes[i].acc, &w), 0);
        if (probes[i].ok != (w.fault == LPAE_FAULT_NONE))
            fail_msg("0x%08x %s: fault %s", (unsigned)probes[i].va, lpae_access_name(probes[i].acc),
                     lpae_fault_name(w.fault));
        if (!probes[i].ok)
            assert_int_equal(w.fault, LPAE_FAULT_PERMISSION);
        else
            assert_int_equal(w.attrs.mair, 0xff); /* Attr7: normal WBWA */
    }
    /* the walk lands on the loaded bytes */
    {
        lpae_walk_result w;
        assert_int_equal(lpae_elf_seg_get(k, 1, &g), 0);
        assert_int_equal(lpae_walk(&regs, m.phys, 0xC000D123u, LPAE_ACC_PR, &w), 0);
        assert_int_equal(w.pa, g.pa + 0x123);
    }
    lpae_elf_close(k);
    lpae_elf_close(u);
    lpae_pgtable_destroy(proc);
    machine_free(&m);
    free(kb.p);
    free(ub.p);
}

/* User images into an lpae_mm process: VMAs, populated pages, fork, unload. */
static void load_into_mm(void **state)
{
    (void)state;
    tspec s = user_spec(ET_EXEC, 0x10000, true);
    tbuf b = build(&s, "umm.elf");
    machine m;
    lpae_mmsys_config sc = {0}; /* every field, user_lowmem_first included */
    lpae_mmsys *sys;
    lpae_mm *mm, *child;
    lpae_elf *elf, *elf2;
    lpae_elf_report r;
    lpae_elf_diag d;
    lpae_elf_opts o;
    lpae_elf_seg t, ds;
    lpae_vma v;
    lpae_mm_stats st;
    lpae_pte_ref ref;
    lpae_prot p;
    unsigned char buf[0x2300];

    machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
    memset(&sc, 0, sizeof sc);
    sc.phys = m.phys;
    sc.layout = &m.lay;
    assert_int_equal(lpae_mmsys_create(&sc, &sys), 0);
    assert_int_equal(lpae_mm_create(sys, &mm), 0);
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_load_mm(elf, &m.lay, NULL, m.phys, mm, &r, &d), 0);
    /* text [0x10000, 0x12000) lost its last page to data [0x12000, 0x14000) */
    assert_int_equal(lpae_mm_vma_count(mm), 2);
    assert_int_equal(lpae_mm_vma_get(mm, 0, &v), 0);
    assert_int_equal(v.start, 0x10000);
    assert_int_equal(v.end, 0x12000);
    assert_int_equal(v.flags, LPAE_VM_READ | LPAE_VM_EXEC);
    assert_int_equal(lpae_mm_vma_get(mm, 1, &v), 0);
    assert_int_equal(v.start, 0x12000);
    assert_int_equal(v.end, 0x14000);
    assert_int_equal(v.flags, LPAE_VM_READ | LPAE_VM_WRITE);
    assert_int_equal(r.leaves[3], 4);
    assert_int_equal(r.ram_bytes, 4 * 4096);
    assert_true(r.table_pages[0] >= 2);
    assert_int_equal(r.file_bytes, sizeof u_text + sizeof u_data);
    assert_int_equal(lpae_elf_seg_get(elf, 0, &t), 0);
    assert_int_equal(lpae_elf_seg_get(elf, 1, &ds), 0);
    assert_int_equal(t.granules[3], 2);
    assert_int_equal(ds.granules[3], 2);
    /* bytes through the mm's tables, page by page */
    for (uint32_t off = 0; off < sizeof u_text; off += 0x100) {
        lpae_pa_t pa = 0;
        uint64_t size;
        uint32_t va = 0x10000 + off;
        assert_int_equal(lpae_pgtable_lookup(lpae_mm_pgtable(mm), va, &ref), 0);
        size = UINT64_C(1) << LPAE_LEVEL_SHIFT(ref.level);
        pa = (ref.desc & LPAE_DESC_ADDR_MASK & ~(size - 1)) + (va & (size - 1));
        assert_int_equal(lpae_phys_read(m.phys, pa, buf,
                                        0x100 < sizeof u_text - off ? 0x100 : sizeof u_text - off),
                         0);
        assert_memory_equal(buf, u_text + off,
                            0x100 < sizeof u_text - off ? 0x100 : sizeof u_text - off);
    }
    assert_int_equal(lpae_pgtable_lookup(lpae_mm_pgtable(mm), 0x12400, &ref), 0);
    lpae_desc_prot(ref.desc, &p);
    assert_int_equal(p.ap, LPAE_AP_RW);
    assert_true(p.xn);
    assert_true(p.ng);
    assert_int_equal(lpae_pgtable_lookup(lpae_mm_pgtable(mm), 0x10000, &ref), 0);
    lpae_desc_prot(ref.desc, &p);
    assert_int_equal(p.ap, LPAE_AP_RO);
    assert_false(p.xn);
    /* the process forks like any other */
    assert_int_equal(lpae_mm_fork(mm, &child, NULL), 0);
    assert_int_equal(lpae_mm_vma_count(child), 2);
    lpae_mm_destroy(child);
    /* a second image over the first: EEXIST, nothing changed */
    assert_int_equal(open_buf(&b, &elf2, NULL), 0);
    assert_int_equal(lpae_mm_stats_get(mm, &st), 0);
    assert_int_equal(lpae_elf_load_mm(elf2, &m.lay, NULL, m.phys, mm, &r, &d), LPAE_EEXIST);
    assert_int_equal(d.problem, LPAE_ELF_P_MEMORY);
    assert_int_equal(lpae_mm_vma_count(mm), 2);
    /* kernel role, FIXED_PA: refused */
    memset(&o, 0, sizeof o);
    o.role = LPAE_ELF_ROLE_KERNEL;
    assert_int_equal(lpae_elf_load_mm(elf2, &m.lay, &o, m.phys, mm, &r, &d), LPAE_EINVAL);
    o.role = LPAE_ELF_ROLE_USER;
    o.flags = LPAE_ELF_FIXED_PA;
    assert_int_equal(lpae_elf_load_mm(elf2, &m.lay, &o, m.phys, mm, &r, &d), LPAE_EINVAL);
    assert_int_equal(lpae_elf_load_mm(elf2, &m.lay, NULL, m.phys, NULL, &r, &d), LPAE_EINVAL);
    lpae_elf_close(elf2);
    /* unload: the VMAs and pages go */
    assert_int_equal(lpae_elf_load_mm(elf, &m.lay, NULL, m.phys, mm, &r, &d), LPAE_ESTATE);
    assert_int_equal(lpae_elf_unload(elf), 0);
    assert_int_equal(lpae_mm_vma_count(mm), 0);
    assert_int_equal(lpae_mm_stats_get(mm, &st), 0);
    assert_int_equal(st.pages, 0);
    /* ET_DYN at its default base in the same mm */
    lpae_elf_close(elf);
    free(b.p);
    s = user_spec(ET_DYN, 0, false);
    b = build(&s, "umm_dyn.elf");
    assert_int_equal(open_buf(&b, &elf, NULL), 0);
    assert_int_equal(lpae_elf_load_mm(elf, &m.lay, NULL, m.phys, mm, &r, &d), 0);
    assert_int_equal(lpae_mm_find_vma(mm, (0xBF000000u / 3 * 2) & ~0xFFFu, &v), 0);
    lpae_elf_close(elf); /* mappings stay with the mm */
    assert_int_equal(lpae_mm_vma_count(mm), 2);
    lpae_mm_destroy(mm);
    lpae_mmsys_destroy(sys);
    machine_free(&m);
    free(b.p);
}

/* ======================================================================
 * Real ARM binaries (skipped when the build could not make them)
 * ==================================================================== */

static void load_path(const char *path, const char *split, lpae_elf_role role, lpae_va_t base)
{
    machine m;
    lpae_elf *elf;
    lpae_elf_report r;
    lpae_elf_diag d;
    lpae_elf_opts o;
    int rc;

    machine_init(&m, split, UINT64_C(256) << 20);
    rc = lpae_elf_open_file(path, &elf, &d);
    if (rc)
        fail_msg("%s", d.msg);
    memset(&o, 0, sizeof o);
    o.role = role;
    o.base = base;
    rc = lpae_elf_load(elf, &m.lay, &o, &m.tgt, &r, &d);
    if (rc)
        fail_msg("%s", d.msg);
    assert_true(r.nseg >= 1);
    assert_true(r.file_bytes > 0);
    assert_true(r.leaves[3] + r.leaves[2] > 0);
    for (size_t i = 0; i < r.nseg; i++) {
        lpae_elf_seg g;
        lpae_prot p;
        lpae_pa_t pa = 0;
        assert_int_equal(lpae_elf_seg_get(elf, i, &g), 0);
        if (!g.mapped)
            continue;
        assert_true(translate(&m, g.sel, g.va, &p, &pa));
        assert_int_equal(pa, g.pa);
    }
    lpae_elf_close(elf);
    machine_free(&m);
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void real_arm_none_eabi(void **state)
{
    (void)state;
    char user[600], kern[600], mod[600];
    lpae_elf *elf;
    lpae_elf_sym sym;
    lpae_layout sp = layout_named("VMSPLIT_3G");

    snprintf(user, sizeof user, "%s/elf-samples/arm_user.elf", LPAE_BINARY_DIR);
    snprintf(kern, sizeof kern, "%s/elf-samples/arm_kernel.elf", LPAE_BINARY_DIR);
    snprintf(mod, sizeof mod, "%s/elf-samples/arm_module.o", LPAE_BINARY_DIR);
    if (!exists(user) || !exists(kern) || !exists(mod)) {
        print_message("SKIP: arm-none-eabi-gcc samples not built (%s missing)\n", user);
        skip();
    }
    load_path(user, "VMSPLIT_3G", LPAE_ELF_ROLE_AUTO, 0);
    load_path(kern, "VMSPLIT_3G", LPAE_ELF_ROLE_AUTO, 0);
    load_path(kern, "VMSPLIT_4G_4G", LPAE_ELF_ROLE_KERNEL, 0xF1008000u);
    load_path(mod, "VMSPLIT_3G", LPAE_ELF_ROLE_AUTO, 0);
    /* symbols of the real kernel-like image */
    assert_int_equal(lpae_elf_open_file(kern, &elf, NULL), 0);
    assert_int_equal(lpae_elf_sym_find(elf, "start_kernel", &sym), 0);
    assert_true(sym.va >= 0xC0008000u);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_sym_lookup(elf, sym.va + 2, &sym), 0);
    assert_string_equal(sym.name, "start_kernel");
    lpae_elf_close(elf);
    /* module symbols resolve after placement */
    assert_int_equal(lpae_elf_open_file(mod, &elf, NULL), 0);
    assert_int_equal(lpae_elf_place(elf, &sp, NULL, NULL), 0);
    assert_int_equal(lpae_elf_sym_find(elf, "sample_init", &sym), 0);
    assert_true(sym.va >= 0xBF000000u && sym.va < 0xBFE00000u);
    lpae_elf_close(elf);
}

static void real_armhf_libc(void **state)
{
    (void)state;
    const char *libs[] = {"/usr/arm-linux-gnueabihf/lib/libc.so.6",
                          "/usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3"};
    int found = 0;
    for (size_t i = 0; i < 2; i++) {
        if (!exists(libs[i]))
            continue;
        found++;
        load_path(libs[i], "VMSPLIT_3G", LPAE_ELF_ROLE_AUTO, 0);
        load_path(libs[i], "VMSPLIT_4G_4G", LPAE_ELF_ROLE_USER, 0x40000000u);
        {
            machine m;
            lpae_mmsys_config sc = {0}; /* every field, user_lowmem_first included */
            lpae_mmsys *sys;
            lpae_mm *mm;
            lpae_elf *elf;
            lpae_elf_report r;
            lpae_elf_diag d;
            machine_init(&m, "VMSPLIT_3G", UINT64_C(64) << 20);
            memset(&sc, 0, sizeof sc);
            sc.phys = m.phys;
            sc.layout = &m.lay;
            assert_int_equal(lpae_mmsys_create(&sc, &sys), 0);
            assert_int_equal(lpae_mm_create(sys, &mm), 0);
            assert_int_equal(lpae_elf_open_file(libs[i], &elf, NULL), 0);
            if (lpae_elf_load_mm(elf, &m.lay, NULL, m.phys, mm, &r, &d) != 0)
                fail_msg("%s", d.msg);
            assert_true(lpae_mm_vma_count(mm) >= 2);
            assert_true(r.file_bytes > 0);
            lpae_elf_close(elf);
            lpae_mm_destroy(mm);
            lpae_mmsys_destroy(sys);
            machine_free(&m);
        }
    }
    if (!found) {
        print_message("SKIP: Debian libc6-armhf-cross not installed\n");
        skip();
    }
}

/* ======================================================================
 * lpaesim layout
 * ==================================================================== */

static int run_cli(const char *args, char *out, size_t outlen)
{
    char cmd[4096];
    FILE *p;
    size_t n;
    int st;
    snprintf(cmd, sizeof cmd, "%s/bin/lpaesim layout %s 2>&1", LPAE_BINARY_DIR, args);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cli_layout(void **state)
{
    (void)state;
    char bin[600], k[600], mod[600], u[600], bad[600], args[3000];
    static char out[65536];
    tspec s;
    FILE *f;
    int rc;

    snprintf(bin, sizeof bin, "%s/bin/lpaesim", LPAE_BINARY_DIR);
    if (!exists(bin)) {
        print_message("SKIP: %s not built\n", bin);
        skip();
    }
    s = kernel_spec(0xC0008000u);
    path_of(k, sizeof k, "cli_k.elf");
    write_elf(&s, k);
    s = module_spec();
    path_of(mod, sizeof mod, "cli_m.ko");
    write_elf(&s, mod);
    s = user_spec(ET_EXEC, 0x10000, false);
    path_of(u, sizeof u, "cli_u.elf");
    write_elf(&s, u);

    snprintf(args, sizeof args, "--split VMSPLIT_3G %s %s %s", k, mod, u);
    rc = run_cli(args, out, sizeof out);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "TTBR1 kernel"));
    assert_non_null(strstr(out, "0x0080008000")); /* PHYS_OFFSET + TEXT_OFFSET */
    assert_non_null(strstr(out, "TTBR0 modules"));
    assert_non_null(strstr(out, "TTBR0 user"));
    assert_non_null(strstr(out, "LOAD0"));
    assert_non_null(strstr(out, "ro_after_init"));
    assert_non_null(strstr(out, "table pages"));

    snprintf(args, sizeof args, "--split 4G_4G --kernel-base 0xF1008000 %s", k);
    rc = run_cli(args, out, sizeof out);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, out);
    assert_non_null(strstr(out, "TTBR1 kernel"));
    assert_non_null(strstr(out, "0xf1008000"));
    assert_non_null(strstr(out, "entry 0xf1008000 (stext+0x0/0x100)")); /* symbolized */
    /* not moved, it does not fit 4G/4G: its link address is a hole of the
     * kernel's TTBR0 space (lowmem starts at 0 there) */
    snprintf(args, sizeof args, "--split VMSPLIT_4G_4G %s", k);
    rc = run_cli(args, out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "LOAD0"));
    assert_non_null(strstr(out, "does not fit"));
    assert_true(strchr(out, '\n') == out + strlen(out) - 1); /* exactly one line */

    /* a segment that does not fit: one clear line naming segment and region */
    s = kernel_spec(0xBFFFC000u);
    path_of(bad, sizeof bad, "cli_cross.elf");
    write_elf(&s, bad);
    snprintf(args, sizeof args, "--split VMSPLIT_3G --kernel %s", bad);
    rc = run_cli(args, out, sizeof out);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "LOAD0"));
    assert_non_null(strstr(out, "TTBR0/TTBR1"));

    /* not an ELF */
    path_of(bad, sizeof bad, "cli_text.elf");
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("hello\n", f);
    fclose(f);
    snprintf(args, sizeof args, "%s", bad);
    rc = run_cli(args, out, sizeof out);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "not an ELF"));
    assert_true(strchr(out, '\n') == out + strlen(out) - 1); /* exactly one line */

    /* bad options */
    rc = run_cli("--split NOPE x", out, sizeof out);
    assert_int_not_equal(rc, 0);
    rc = run_cli("", out, sizeof out);
    assert_int_not_equal(rc, 0);
    rc = run_cli("--help", out, sizeof out);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_elf),
        cmocka_unit_test(wrong_class_machine_data_type),
        cmocka_unit_test(truncated_everywhere),
        cmocka_unit_test(segment_beyond_eof),
        cmocka_unit_test(overlapping_segments),
        cmocka_unit_test(nothing_to_load),
        cmocka_unit_test(open_file_errors),
        cmocka_unit_test(symbols_at_link_addresses),
        cmocka_unit_test(symbols_random),
        cmocka_unit_test(kernel_lowmem_3g),
        cmocka_unit_test(kernel_lowmem_4g4g_is_ttbr0_ng),
        cmocka_unit_test(kernel_moved_into_vmalloc),
        cmocka_unit_test(kernel_linked_in_vmalloc),
        cmocka_unit_test(user_exec_and_dyn),
        cmocka_unit_test(module_layout),
        cmocka_unit_test(module_bad_sections),
        cmocka_unit_test(crossing_and_nofit),
        cmocka_unit_test(every_preset),
        cmocka_unit_test(load_kernel_3g),
        cmocka_unit_test(load_big_kernel_blocks),
        cmocka_unit_test(load_user_shared_page),
        cmocka_unit_test(load_module),
        cmocka_unit_test(load_errors_roll_back),
        cmocka_unit_test(load_random_layouts),
        cmocka_unit_test(load_into_mm),
        cmocka_unit_test(walk_loaded_images),
        cmocka_unit_test(real_arm_none_eabi),
        cmocka_unit_test(real_armhf_libc),
        cmocka_unit_test(cli_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
