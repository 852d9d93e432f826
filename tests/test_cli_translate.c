/* SPDX-License-Identifier: MIT */
/* Tests of `lpaesim translate`: its parsers, the whole command run in-process
 * (lpaesim_translate_main) on hand-built table images with PARs worked out
 * from the ARM ARM, every class of bad input, a randomized cross-check
 * against lpae_walk() with a fixed seed, and one run of the real binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/pgtable.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/walk.h"
#include "translate.h"

/* ---- fixture: a temp directory with files ---------------------------------- */

#define MAX_FILES 32

struct fx {
    char dir[64];
    char *files[MAX_FILES];
    size_t nfiles;
    char *out, *err; /* output of the last run */
    int status;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    strcpy(fx->dir, "/tmp/lpae-cli-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    for (size_t i = 0; i < fx->nfiles; i++) {
        unlink(fx->files[i]);
        free(fx->files[i]);
    }
    rmdir(fx->dir);
    free(fx->out);
    free(fx->err);
    free(fx);
    return 0;
}

static const char *path_of(struct fx *fx, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s/%s", fx->dir, name);
    for (size_t i = 0; i < fx->nfiles; i++)
        if (!strcmp(fx->files[i], buf))
            return fx->files[i];
    assert_true(fx->nfiles < MAX_FILES);
    fx->files[fx->nfiles] = strdup(buf);
    assert_non_null(fx->files[fx->nfiles]);
    return fx->files[fx->nfiles++];
}

static const char *write_bytes(struct fx *fx, const char *name, const void *data, size_t len)
{
    const char *p = path_of(fx, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *write_text(struct fx *fx, const char *name, const char *text)
{
    return write_bytes(fx, name, text, strlen(text));
}

static char *slurp(FILE *f)
{
    long n;
    char *s;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    return s;
}

/* Run `translate ARGS...` in-process (NULL-terminated list). */
static int run(struct fx *fx, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    FILE *out = tmpfile(), *err = tmpfile();

    assert_non_null(out);
    assert_non_null(err);
    argv[argc++] = (char *)"translate";
    va_start(ap, fx);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) {
        assert_true(argc < 63);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    fx->status = lpaesim_translate_main(argc, argv, out, err);
    free(fx->out);
    free(fx->err);
    fx->out = slurp(out);
    fx->err = slurp(err);
    fclose(out);
    fclose(err);
    return fx->status;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The run failed with @p status and exactly one stderr line containing @p want. */
static void assert_one_line_error(const struct fx *fx, int status, const char *want)
{
    if (fx->status != status || count_lines(fx->err) != 1 || !strstr(fx->err, want) ||
        fx->out[0] != '\0')
        fail_msg("status %d (want %d), stderr '%s' (want one line with '%s'), stdout '%s'",
                 fx->status, status, fx->err, want, fx->out);
}

/* ---- hand-built tables ------------------------------------------------------ */

/* Four 4 KB tables at IMG_PA: L1 for TTBR0 (T0SZ=0), an L2, an L3, and the
 * level-2 root for TTBR1 (T1SZ=4: 0xF0000000 and up, 128 entries). */
#define IMG_PA UINT64_C(0x80000000)
#define IMG_SIZE 0x4000u

static void put64(unsigned char *img, size_t off, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        img[off + i] = (unsigned char)(v >> (8 * i));
}

static void build_image(unsigned char img[IMG_SIZE])
{
    memset(img, 0, IMG_SIZE);
    /* L1 @0x80000000 */
    put64(img, 0x0000 + 0 * 8, UINT64_C(0x80001003)); /* table -> L2 */
    put64(
        img, 0x0000 + 1 * 8,
        UINT64_C(0x840000F4D)); /* 1 GB block, PA 0x8_4000_0000, AttrIndx 3, AP=RW, SH=3, AF, nG */
    put64(img, 0x0000 + 2 * 8, 0);                    /* invalid */
    put64(img, 0x0000 + 3 * 8, UINT64_C(0xC0000001)); /* 1 GB block, AF = 0 */
    /* L2 @0x80001000 */
    put64(img, 0x1000 + 0 * 8, UINT64_C(0x80002003)); /* table -> L3 */
    put64(img, 0x1000 + 1 * 8,
          UINT64_C(0x004000008020078D)); /* 2 MB block, AttrIndx 3, PL1 RO, SH=3, AF, XN */
    /* L3 @0x80002000 */
    put64(img, 0x2000 + 0 * 8, 0);                    /* invalid */
    put64(img, 0x2000 + 1 * 8, UINT64_C(0x800107CF)); /* page, AttrIndx 3, AP=RO, SH=3, AF */
    put64(img, 0x2000 + 2 * 8, UINT64_C(0x80011001)); /* level-3 0b01: reserved */
    /* TTBR1 L2 root @0x80003000 */
    put64(img, 0x3000 + 0 * 8, UINT64_C(0x8040070D)); /* 2 MB block, PL1 RW, SH=3, AF, global */
}

static const char good_regs[] = "# 4G/4G split: T0SZ=0, T1SZ=4\n"
                                "ttbcr = 0x80040000\n"
                                "TTBR0 = 0x0005000080000000   # ASID 5\n"
                                "ttbr1=0x80003000\n"
                                "\n"
                                "mair0 = 0xeeaa4400\n"
                                "mair1 = 4278190084\n" /* 0xff000004, in decimal */
                                "sctlr = 0x1\n";

struct expect {
    const char *probe;
    const char *line;
};

/* PARs worked out by hand from DDI 0406C B4.1.112 and B3.6. */
static const struct expect expected[] = {
    {"0x00001234 PR", "0x00001234 PR 0xee00000080010980"}, /* L3 page, ATTR 0xee, SH 3 */
    {"0x00001234 ur", "0x00001234 UR 0xee00000080010980"}, /* AP=RO: PL0 may read */
    {"0x00001234 PW", "0x00001234 PW 0x000000000000081f"}, /* permission, level 3 */
    {"0x00001234 UW", "0x00001234 UW 0x000000000000081f"},
    {"0x00000010 PR", "0x00000010 PR 0x000000000000080f"}, /* invalid L3: translation, level 3 */
    {"8192 PR", "0x00002000 PR 0x000000000000080f"},       /* reserved L3 encoding */
    {"0x40123456 UW", "0x40123456 UW 0xee00000840123980"}, /* 1 GB block above 4 GB */
    {"0x00205000 PR", "0x00205000 PR 0xee00000080205980"}, /* 2 MB block */
    {"0x00205000 PW", "0x00205000 PW 0x000000000000081d"}, /* permission, level 2 */
    {"0x00205000 UR", "0x00205000 UR 0x000000000000081d"},
    {"0x00205000 PX", "0x00205000 PX 0x000000000000081d"}, /* XN */
    {"0x80000000 PR", "0x80000000 PR 0x000000000000080b"}, /* invalid L1: translation, level 1 */
    {"0xC0000000 PR", "0xc0000000 PR 0x0000000000000813"}, /* AF = 0: access flag, level 1 */
    {"0xF0001000 PR", "0xf0001000 PR 0xee00000080401980"}, /* TTBR1, 2 MB block from level 2 */
    {"0xF0001000 UR", "0xf0001000 UR 0x000000000000081d"}, /* PL1-only */
    {"0xF0200000 PR", "0xf0200000 PR 0x000000000000080d"}, /* invalid TTBR1 L2 entry */
};

struct files {
    const char *regs, *probes, *image;
    char image_arg[300];
};

static void good_files(struct fx *fx, struct files *fl)
{
    unsigned char img[IMG_SIZE];
    char probes[2048] = "# probes\n";
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        strcat(probes, expected[i].probe);
        strcat(probes, i % 3 == 0 ? "   # a comment\n" : "\n");
    }
    build_image(img);
    fl->regs = write_text(fx, "regs.txt", good_regs);
    fl->probes = write_text(fx, "probes.txt", probes);
    fl->image = write_bytes(fx, "tables.bin", img, sizeof img);
    snprintf(fl->image_arg, sizeof fl->image_arg, "0x80000000:%s", fl->image);
}

/* ---- tests: number parsers --------------------------------------------------- */

static void parses_numbers(void **state)
{
    uint64_t v;
    lpae_pa_t pa;
    const char *file;
    lpae_ram_range r;
    (void)state;

    assert_int_equal(lpaesim_parse_u64("0x10", &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(lpaesim_parse_u64("0XfF", &v), 0);
    assert_int_equal(v, 255);
    assert_int_equal(lpaesim_parse_u64("010", &v), 0); /* decimal, not octal */
    assert_int_equal(v, 10);
    assert_int_equal(lpaesim_parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(lpaesim_parse_u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
    const char *bad[] = {"",
                         "0x",
                         "-1",
                         "+1",
                         "1a",
                         " 1",
                         "1 ",
                         "0x1g",
                         "18446744073709551616",
                         "0x10000000000000000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lpaesim_parse_u64(bad[i], &v) == 0)
            fail_msg("'%s' parsed", bad[i]);

    assert_int_equal(lpaesim_parse_size("2G", &v), 0);
    assert_true(v == UINT64_C(0x80000000));
    assert_int_equal(lpaesim_parse_size("0x10k", &v), 0);
    assert_int_equal(v, 16384);
    assert_int_equal(lpaesim_parse_size("3m", &v), 0);
    assert_int_equal(v, 3u << 20);
    assert_int_equal(lpaesim_parse_size("4096", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(lpaesim_parse_size("G", &v), -1);
    assert_int_equal(lpaesim_parse_size("2X", &v), -1);
    assert_int_equal(lpaesim_parse_size("0x400000000000T", &v), -1); /* overflows */

    assert_int_equal(lpaesim_parse_image_arg("0x80000000:a:b.bin", &pa, &file), 0);
    assert_true(pa == UINT64_C(0x80000000));
    assert_string_equal(file, "a:b.bin");
    assert_int_equal(lpaesim_parse_image_arg("0x10000000000:x", &pa, &file), -1); /* 2^40 */
    assert_int_equal(lpaesim_parse_image_arg("0x1000:", &pa, &file), -1);
    assert_int_equal(lpaesim_parse_image_arg("file.bin", &pa, &file), -1);
    assert_int_equal(lpaesim_parse_image_arg("zz:file.bin", &pa, &file), -1);

    assert_int_equal(lpaesim_parse_ram_arg("0x80000000:2G", &r), 0);
    assert_true(r.base == UINT64_C(0x80000000) && r.size == UINT64_C(0x80000000));
    assert_int_equal(lpaesim_parse_ram_arg("0x80000000", &r), -1);
    assert_int_equal(lpaesim_parse_ram_arg("0x80000000:", &r), -1);
    assert_int_equal(lpaesim_parse_ram_arg(":4K", &r), -1);
}

/* ---- tests: the register file ------------------------------------------------ */

static int parse_regs_text(struct fx *fx, const char *text, lpae_regs *regs, char *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc;
    (void)fx;
    assert_non_null(f);
    rc = lpaesim_regs_parse(f, "r.txt", regs, err, LPAESIM_ERRLEN);
    fclose(f);
    return rc;
}

static void regs_good(void **state)
{
    lpae_regs regs, init;
    char err[LPAESIM_ERRLEN] = "";

    assert_int_equal(parse_regs_text(*state, good_regs, &regs, err), 0);
    assert_int_equal(regs.ttbcr, 0x80040000u);
    assert_true(regs.ttbr0 == UINT64_C(0x0005000080000000));
    assert_true(regs.ttbr1 == UINT64_C(0x80003000));
    assert_int_equal(regs.mair0, 0xeeaa4400u);
    assert_int_equal(regs.mair1, 0xff000004u);
    assert_int_equal(regs.sctlr, 1u);
    assert_int_equal(lpae_regs_asid(&regs), 5);

    /* Only ttbcr: the rest keeps lpae_regs_init()'s values. */
    lpae_regs_init(&init);
    assert_int_equal(parse_regs_text(*state, "ttbcr = 0x80000000\n", &regs, err), 0);
    assert_int_equal(regs.ttbcr, 0x80000000u);
    assert_true(regs.ttbr0 == init.ttbr0 && regs.ttbr1 == init.ttbr1);
    assert_true(regs.mair0 == init.mair0 && regs.mair1 == init.mair1);
    assert_true(regs.sctlr == init.sctlr);

    /* TTBCR is applied first whatever the line order: TTBR1 = 0x80003400 is
     * only 1 KB aligned, which T1SZ=4 allows (x = 10) but T1SZ=0 would not. */
    assert_int_equal(
        parse_regs_text(*state, "ttbr1 = 0x80003400\nttbcr = 0x80040000\n", &regs, err), 0);
    assert_true(regs.ttbr1 == UINT64_C(0x80003400));
}

struct bad_regs {
    const char *text;
    const char *want; /* substring of the message, which starts "r.txt:LINE: expected" */
};

static const struct bad_regs bad_regs_cases[] = {
    {"ttbcr 0x80000000\n", "r.txt:1: expected 'NAME = VALUE'"},
    {"# c\nttbr2 = 0\n", "r.txt:2: expected a register name"},
    {"ttbcr = \n", "r.txt:1: expected one hex (0x...) or decimal value for ttbcr"},
    {"ttbcr = 0x8000000g\n", "r.txt:1: expected one hex (0x...) or decimal value for ttbcr"},
    {"ttbcr = 0x80000000 0x1\n", "r.txt:1: expected one hex"},
    {"ttbcr = -1\n", "r.txt:1: expected one hex"},
    {"ttbcr ttbr0 = 1\n", "r.txt:1: expected one register name before '='"},
    {" = 1\n", "r.txt:1: expected one register name before '='"},
    {"mair0 = 0x100000000\n", "r.txt:1: expected a 32-bit value for mair0"},
    {"ttbcr = 0x80000000\nttbcr = 0x80000000\n", "r.txt:2: expected ttbcr once"},
    {"ttbr0 = 0\n\n", "r.txt:3: expected a 'ttbcr = VALUE' line"},
    {"", "r.txt:1: expected a 'ttbcr = VALUE' line"},
    /* Rejected by the architectural checks of lpae_regs_set_*(): */
    {"ttbcr = 0\n", "r.txt:1: expected TTBCR.EAE (bit 31) set"},
    {"ttbcr = 0x80000008\n", "r.txt:1: expected TTBCR bits [6:3], [15:14] and [21:19] clear"},
    {"ttbcr = 0x80004000\n", "r.txt:1: expected TTBCR bits"},
    {"ttbcr = 0x80080000\n", "r.txt:1: expected TTBCR bits"},
    {"ttbcr = 0x80000000\nttbr0 = 0x10000000000\n",
     "r.txt:2: expected TTBR0 bits [63:56] and [47:40] clear"},
    {"ttbcr = 0x80000000\nttbr1 = 0x0100000000000000\n",
     "r.txt:2: expected TTBR1 bits [63:56] and [47:40] clear"},
    {"ttbcr = 0x80040000\n# T1SZ=4: 1 KB alignment\nttbr1 = 0x80003200\n",
     "r.txt:3: expected TTBR1.BADDR aligned to 1024 bytes for T1SZ=4"},
    {"ttbcr = 0x80000000\nttbr0 = 0x80000010\n",
     "r.txt:2: expected TTBR0.BADDR aligned to 32 bytes for T0SZ=0"},
};

static void regs_bad(void **state)
{
    for (size_t i = 0; i < sizeof bad_regs_cases / sizeof bad_regs_cases[0]; i++) {
        const struct bad_regs *c = &bad_regs_cases[i];
        lpae_regs regs;
        char err[LPAESIM_ERRLEN] = "";
        memset(&regs, 0xA5, sizeof regs);
        if (parse_regs_text(*state, c->text, &regs, err) != -1 || !strstr(err, c->want) ||
            strchr(err, '\n'))
            fail_msg("case %zu: got '%s', want '%s'", i, err, c->want);
        /* regs untouched on error */
        assert_int_equal(regs.ttbcr, 0xA5A5A5A5u);
    }
}

static void regs_nul_byte(void **state)
{
    static const char text[] = "ttbcr = 0x80000000\nttbr0\0 = 0\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    lpae_regs regs;
    char err[LPAESIM_ERRLEN] = "";
    (void)state;
    assert_non_null(f);
    assert_int_equal(lpaesim_regs_parse(f, "r.txt", &regs, err, sizeof err), -1);
    fclose(f);
    assert_non_null(strstr(err, "r.txt:2: expected text, found a NUL byte"));
}

/* ---- tests: the probe file ------------------------------------------------- */

static int parse_probes_text(const char *text, lpaesim_probes *p, char *err)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc;
    assert_non_null(f);
    rc = lpaesim_probes_parse(f, "p.txt", p, err, LPAESIM_ERRLEN);
    fclose(f);
    return rc;
}

static void probes_good(void **state)
{
    lpaesim_probes p = {0};
    char err[LPAESIM_ERRLEN] = "";
    (void)state;
    assert_int_equal(parse_probes_text("# x\n0x1000 PR\n\n  4096\tuw # c\n0xffffffff px\r\n"
                                       "0 UX\n1 PW\n2 UR\n",
                                       &p, err),
                     0);
    assert_int_equal(p.n, 6);
    assert_int_equal(p.v[0].va, 0x1000);
    assert_int_equal(p.v[0].access, LPAE_ACC_PR);
    assert_int_equal(p.v[1].va, 4096);
    assert_int_equal(p.v[1].access, LPAE_ACC_UW);
    assert_int_equal(p.v[2].va, 0xffffffffu);
    assert_int_equal(p.v[2].access, LPAE_ACC_PX);
    assert_int_equal(p.v[3].access, LPAE_ACC_UX);
    assert_int_equal(p.v[4].access, LPAE_ACC_PW);
    assert_int_equal(p.v[5].access, LPAE_ACC_UR);
    lpaesim_probes_free(&p);
    assert_null(p.v);

    /* Many probes: the array grows. */
    {
        size_t n = 5000, len = n * 16 + 1;
        char *text = malloc(len), *s = text;
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            s += sprintf(s, "0x%08zx PR\n", i * 4096);
        assert_int_equal(parse_probes_text(text, &p, err), 0);
        assert_int_equal(p.n, n);
        assert_int_equal(p.v[n - 1].va, (n - 1) * 4096);
        free(text);
        lpaesim_probes_free(&p);
    }
}

static void probes_bad(void **state)
{
    static const struct bad_regs cases[] = {
        {"0x1000\n", "p.txt:1: expected ACCESS after the VA: PR, PW, UR, UW, PX or UX"},
        {"0x1000 PR\n0x2000 XR\n", "p.txt:2: expected ACCESS after the VA"},
        {"0x1000 PRW\n", "p.txt:1: expected ACCESS"},
        {"0x100000000 PR\n", "p.txt:1: expected a 32-bit VA"},
        {"zz PR\n", "p.txt:1: expected a 32-bit VA (hex 0x... or decimal), got 'zz'"},
        {"-4 PR\n", "p.txt:1: expected a 32-bit VA"},
        {"PR 0x1000\n", "p.txt:1: expected a 32-bit VA"},
        {"\n\n0x1000 PR extra\n", "p.txt:3: expected 'VA ACCESS' and nothing more"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lpaesim_probes p = {0};
        char err[LPAESIM_ERRLEN] = "";
        if (parse_probes_text(cases[i].text, &p, err) != -1 || !strstr(err, cases[i].want) ||
            strchr(err, '\n'))
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
        lpaesim_probes_free(&p);
    }
}

/* ---- tests: whole runs --------------------------------------------------------- */

static void translate_good(void **state)
{
    struct fx *fx = *state;
    struct files fl;
    char want[2048] = "";

    good_files(fx, &fl);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        strcat(want, expected[i].line);
        strcat(want, "\n");
    }
    assert_int_equal(
        run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", fl.probes, NULL), 0);
    assert_string_equal(fx->err, "");
    assert_string_equal(fx->out, want);

    /* --opt=value forms and option order do not matter. */
    char regs_eq[300], probes_eq[300], image_eq[320];
    snprintf(regs_eq, sizeof regs_eq, "--regs=%s", fl.regs);
    snprintf(probes_eq, sizeof probes_eq, "--probes=%s", fl.probes);
    snprintf(image_eq, sizeof image_eq, "--image=%s", fl.image_arg);
    assert_int_equal(run(fx, probes_eq, image_eq, regs_eq, NULL), 0);
    assert_string_equal(fx->out, want);
}

static void translate_explain(void **state)
{
    struct fx *fx = *state;
    struct files fl;
    unsigned char img[IMG_SIZE];
    const lpae_ram_range ram = {IMG_PA, IMG_SIZE};
    const lpae_phys_config cfg = {.ranges = &ram, .nranges = 1};
    lpae_phys *phys;
    lpae_regs regs;
    char err[LPAESIM_ERRLEN], want[32768] = "", text[4096];
    FILE *f;

    good_files(fx, &fl);
    /* The expected text: lpae_walk_explain() of the same walks, indented. */
    build_image(img);
    assert_int_equal(lpae_phys_create(&cfg, &phys), 0);
    assert_int_equal(lpae_phys_write(phys, IMG_PA, img, sizeof img), 0);
    f = fmemopen((void *)good_regs, strlen(good_regs), "r");
    assert_non_null(f);
    assert_int_equal(lpaesim_regs_parse(f, "regs", &regs, err, sizeof err), 0);
    fclose(f);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        lpae_walk_result res;
        lpae_va_t va = (lpae_va_t)strtoul(expected[i].probe, NULL, 0);
        unsigned acc;
        assert_int_equal(lpae_access_parse(strchr(expected[i].probe, ' ') + 1, &acc), 0);
        assert_int_equal(lpae_walk(&regs, phys, va, acc, &res), 0);
        int n = lpae_walk_explain(&res, text, sizeof text);
        assert_true(n > 0 && (size_t)n < sizeof text);
        strcat(want, expected[i].line);
        strcat(want, "\n");
        for (char *s = text; *s;) {
            size_t len = strcspn(s, "\n");
            strcat(want, "    ");
            strncat(want, s, len);
            strcat(want, "\n");
            s += len + (s[len] ? 1 : 0);
        }
    }
    lpae_phys_destroy(phys);

    assert_int_equal(run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", fl.probes,
                         "--explain", NULL),
                     0);
    assert_string_equal(fx->err, "");
    assert_string_equal(fx->out, want);
    /* Each probe has at least one explanation line (the fetch or the region). */
    assert_true(count_lines(fx->out) > sizeof expected / sizeof expected[0]);
}

static void translate_ram_map(void **state)
{
    struct fx *fx = *state;
    struct files fl;
    const char *regs, *probes;

    good_files(fx, &fl);
    /* TTBR0 points outside the image. By default RAM is just the image's
     * pages, so the level-1 fetch is an external abort on the walk (FSC
     * 0b0101LL, level 1); with --ram covering it, it reads zero and gives a
     * level-1 translation fault. */
    regs = write_text(fx, "regs2.txt", "ttbcr = 0x80040000\nttbr0 = 0x90000000\n");
    probes = write_text(fx, "probes2.txt", "0x1000 PR\n");
    assert_int_equal(run(fx, "--regs", regs, "--image", fl.image_arg, "--probes", probes, NULL), 0);
    assert_string_equal(fx->out, "0x00001000 PR 0x000000000000082b\n");
    assert_int_equal(run(fx, "--regs", regs, "--image", fl.image_arg, "--probes", probes, "--ram",
                         "0x80000000:1G", NULL),
                     0);
    assert_string_equal(fx->out, "0x00001000 PR 0x000000000000080b\n");
    /* Two ranges, the image in the first. */
    assert_int_equal(run(fx, "--regs", regs, "--image", fl.image_arg, "--probes", probes, "--ram",
                         "0x80000000:256M", "--ram", "0x800000000:1g", NULL),
                     0);
    assert_string_equal(fx->out, "0x00001000 PR 0x000000000000082b\n");

    /* A second image, not page aligned, extends the default RAM map. */
    {
        unsigned char zeros[24] = {0};
        char arg[320];
        const char *z = write_bytes(fx, "zeros.bin", zeros, sizeof zeros);
        snprintf(arg, sizeof arg, "0x90000ff8:%s", z);
        assert_int_equal(run(fx, "--regs", regs, "--image", fl.image_arg, "--image", arg,
                             "--probes", probes, NULL),
                         0);
        assert_string_equal(fx->out, "0x00001000 PR 0x000000000000080b\n");
    }
}

static void translate_bad_input(void **state)
{
    struct fx *fx = *state;
    struct files fl;
    char arg[320];
    const char *p;

    good_files(fx, &fl);
    /* Missing files. */
    run(fx, "--regs", "/nonexistent/regs", "--image", fl.image_arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "cannot open register file '/nonexistent/regs'");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", "/nonexistent/p", NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "cannot open probe file '/nonexistent/p'");
    run(fx, "--regs", fl.regs, "--image", "0x80000000:/nonexistent/img", "--probes", fl.probes,
        NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "cannot open image '/nonexistent/img'");

    /* A bad line: file:line. */
    p = write_text(fx, "bad-regs.txt", "ttbcr = 0x80040000\nttbr0 = banana\n");
    run(fx, "--regs", p, "--image", fl.image_arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "bad-regs.txt:2: expected one hex");
    assert_true(strncmp(fx->err, p, strlen(p)) == 0); /* the line starts with the file name */

    /* A bad access. */
    p = write_text(fx, "bad-probes.txt", "0x1000 PR\n0x2000 RW\n");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", p, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT,
                          "bad-probes.txt:2: expected ACCESS after the VA: PR, PW, UR, UW, PX or "
                          "UX, got 'RW'");

    /* A register value the architecture rejects. */
    p = write_text(fx, "eae0.txt", "# no EAE\nttbcr = 0x00040000\n");
    run(fx, "--regs", p, "--image", fl.image_arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "eae0.txt:2: expected TTBCR.EAE (bit 31) set");
    p = write_text(fx, "align.txt", "ttbcr = 0x80040000\nttbr1 = 0x80003008\n");
    run(fx, "--regs", p, "--image", fl.image_arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "align.txt:2: expected TTBR1.BADDR aligned");

    /* Images: empty, overlapping, outside --ram, beyond 2^40. */
    p = write_bytes(fx, "empty.bin", "", 0);
    snprintf(arg, sizeof arg, "0x90000000:%s", p);
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--image", arg, "--probes", fl.probes,
        NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected a non-empty regular file");
    snprintf(arg, sizeof arg, "0x80003ff8:%s", fl.image);
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--image", arg, "--probes", fl.probes,
        NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected disjoint images");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--ram", "0x40000000:1G", "--probes",
        fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected it inside one --ram range");
    snprintf(arg, sizeof arg, "0xfffffff000:%s", fl.image);
    run(fx, "--regs", fl.regs, "--image", arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected it to end below 2^40");
    snprintf(arg, sizeof arg, "0x80000000:%s", fx->dir);
    run(fx, "--regs", fl.regs, "--image", arg, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected a non-empty regular file");

    /* --ram the physical memory model rejects. */
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--ram", "0x80000800:1G", "--probes",
        fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected --ram ranges 4 KB aligned");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--ram", "0x80000000:1G", "--ram",
        "0xA0000000:1G", "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_INPUT, "expected --ram ranges");
}

static void translate_usage(void **state)
{
    struct fx *fx = *state;
    struct files fl;

    good_files(fx, &fl);
    run(fx, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected --regs FILE");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected --probes FILE");
    run(fx, "--regs", fl.regs, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected at least one --image PA:FILE");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", fl.probes, "--bogus", NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "unknown argument '--bogus'");
    run(fx, "--regs", NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected a FILE after --regs");
    run(fx, "--regs", fl.regs, "--image", fl.image, "--probes", fl.probes, NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected --image PA:FILE");
    run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", fl.probes, "--ram", "1G", NULL);
    assert_one_line_error(fx, LPAESIM_EXIT_USAGE, "expected --ram BASE:SIZE");
    /* 17 --ram ranges */
    {
        char *argv[64];
        char bufs[17][32];
        int argc = 0;
        FILE *out = tmpfile(), *err = tmpfile();
        argv[argc++] = (char *)"translate";
        for (int i = 0; i < 17; i++) {
            snprintf(bufs[i], sizeof bufs[i], "0x%x:4K", 0x1000 * 2 * i);
            argv[argc++] = (char *)"--ram";
            argv[argc++] = bufs[i];
        }
        argv[argc] = NULL;
        assert_int_equal(lpaesim_translate_main(argc, argv, out, err), LPAESIM_EXIT_USAGE);
        char *e = slurp(err);
        assert_non_null(strstr(e, "expected at most 16 --ram ranges"));
        free(e);
        fclose(out);
        fclose(err);
    }
    run(fx, "--help", NULL);
    assert_int_equal(fx->status, 0);
    assert_non_null(strstr(fx->out, "usage: lpaesim translate"));
    assert_string_equal(fx->err, "");
}

/* ---- randomized cross-check against lpae_walk() ------------------------------ */

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void translate_matches_walk(void **state)
{
    struct fx *fx = *state;
    const lpae_ram_range ram = {UINT64_C(0x80000000), UINT64_C(0x40000000)};
    const lpae_phys_config cfg = {.ranges = &ram, .nranges = 1};
    const lpae_pa_t tlo = UINT64_C(0x80000000), thi = UINT64_C(0x80100000);
    lpae_phys *phys;
    lpae_pgtable *t0, *t1;
    lpae_regs regs;
    uint64_t seed = UINT64_C(0x1234567887654321);
    unsigned char *img = malloc(thi - tlo);
    char *probes = malloc(64 * 1024), *want = malloc(64 * 1024), *ps = probes, *ws = want;
    char regs_text[256], image_arg[320];
    const char *rp, *pp, *ip;

    assert_non_null(img);
    assert_non_null(probes);
    assert_non_null(want);
    assert_int_equal(lpae_phys_create(&cfg, &phys), 0);
    const lpae_pgtable_config c0 = {phys, LPAE_SEL_TTBR0, 0, tlo, thi};
    const lpae_pgtable_config c1 = {phys, LPAE_SEL_TTBR1, 4, tlo, thi};
    assert_int_equal(lpae_pgtable_create(&c0, &t0), 0);
    assert_int_equal(lpae_pgtable_create(&c1, &t1), 0);
    lpae_va_t mapped[200];
    size_t nmapped = 0;
    unsigned kinds[8] = {0};
    for (int i = 0; i < 200; i++) {
        uint64_t r = xorshift(&seed);
        lpae_prot prot = {.attrindx = (uint8_t)(r & 7),
                          .ap = (uint8_t)((r >> 3) & 3),
                          .sh = (uint8_t)((r >> 5) & 3),
                          .af = (r >> 7) & 1,
                          .ng = (r >> 8) & 1,
                          .xn = (r >> 9) & 1,
                          .pxn = (r >> 10) & 1};
        lpae_va_t va = (lpae_va_t)(xorshift(&seed) & 0xFFFFF000u);
        lpae_pa_t pa = (xorshift(&seed) & UINT64_C(0xFFFFFFF000));
        uint64_t size = ((r >> 11) & 1) ? LPAE_SIZE_2M : LPAE_PAGE_SIZE;
        if (size == LPAE_SIZE_2M) {
            va &= ~(LPAE_SIZE_2M - 1);
            pa &= ~(uint64_t)(LPAE_SIZE_2M - 1);
        }
        if (i % 4 == 0)
            va |= 0xF0000000u; /* a quarter in the TTBR1 region */
        lpae_pgtable *t = va >= 0xF0000000u ? t1 : t0;
        int rc = lpae_pgtable_map(t, va, pa, size, &prot, 0);
        assert_true(rc == 0 || rc == LPAE_EEXIST);
        if (rc == 0) {
            mapped[nmapped++] = va;
            /* Now and then restrict the level-2 table above it (APTable, XNTable, ...). */
            if (size == LPAE_PAGE_SIZE && (r >> 12) % 5 == 0)
                assert_int_equal(
                    lpae_pgtable_set_table_attrs(t, va, 2, (uint8_t)((r >> 16) & 0x1F)), 0);
        }
    }
    assert_true(nmapped > 100);
    lpae_regs_init(&regs);
    assert_int_equal(lpae_regs_set_ttbcr(&regs, 0x80040000u), 0);
    assert_int_equal(lpae_regs_set_ttbr(&regs, 0, lpae_pgtable_ttbr(t0, 7)), 0);
    assert_int_equal(lpae_regs_set_ttbr(&regs, 1, lpae_pgtable_ttbr(t1, 0)), 0);
    snprintf(regs_text, sizeof regs_text,
             "ttbcr = 0x%" PRIx32 "\nttbr0 = 0x%" PRIx64 "\nttbr1 = %" PRIu64 "\nmair0 = 0x%" PRIx32
             "\nmair1 = 0x%" PRIx32 "\nsctlr = 0x%" PRIx32 "\n",
             regs.ttbcr, regs.ttbr0, regs.ttbr1, regs.mair0, regs.mair1, regs.sctlr);
    assert_int_equal(lpae_phys_read(phys, tlo, img, thi - tlo), 0);

    for (int i = 0; i < 1000; i++) {
        static const unsigned acc[] = {LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_PX,
                                       LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX};
        lpae_walk_result res;
        lpae_va_t va = (lpae_va_t)xorshift(&seed);
        unsigned a = acc[xorshift(&seed) % 6];
        if (i % 2) /* half the probes land in a mapped page */
            va = mapped[xorshift(&seed) % nmapped] + (va & 0xFFFu);
        assert_int_equal(lpae_walk(&regs, phys, va, a, &res), 0);
        kinds[res.fault & 7]++;
        ps += sprintf(ps, "%" PRIu32 " %s\n", va, lpae_access_name(a));
        ws += sprintf(ws, "0x%08" PRIx32 " %s 0x%016" PRIx64 "\n", va, lpae_access_name(a),
                      lpae_walk_par(&res));
    }
    /* The probes reach successes and several kinds of fault. */
    assert_true(kinds[LPAE_FAULT_NONE] > 100);
    assert_true(kinds[LPAE_FAULT_TRANSLATION] > 100);
    assert_true(kinds[LPAE_FAULT_PERMISSION] > 20);
    assert_true(kinds[LPAE_FAULT_ACCESS_FLAG] > 20);
    rp = write_text(fx, "rnd-regs.txt", regs_text);
    pp = write_text(fx, "rnd-probes.txt", probes);
    ip = write_bytes(fx, "rnd-tables.bin", img, thi - tlo);
    snprintf(image_arg, sizeof image_arg, "0x%" PRIx64 ":%s", tlo, ip);
    assert_int_equal(run(fx, "--regs", rp, "--image", image_arg, "--probes", pp, NULL), 0);
    assert_string_equal(fx->out, want);

    lpae_pgtable_destroy(t0);
    lpae_pgtable_destroy(t1);
    lpae_phys_destroy(phys);
    free(img);
    free(probes);
    free(want);
}

/* ---- the real binary ------------------------------------------------------ */

static void binary_runs(void **state)
{
    struct fx *fx = *state;
    struct files fl;
    char cmd[2048], *out, *err;
    const char *outp, *errp, *bad;
    FILE *f;
    int st;

    good_files(fx, &fl);
    outp = path_of(fx, "bin.out");
    errp = path_of(fx, "bin.err");
    snprintf(cmd, sizeof cmd, "'%s' translate --regs '%s' --image '%s' --probes '%s' >'%s' 2>'%s'",
             LPAESIM_PATH, fl.regs, fl.image_arg, fl.probes, outp, errp);
    st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(
        run(fx, "--regs", fl.regs, "--image", fl.image_arg, "--probes", fl.probes, NULL), 0);
    f = fopen(outp, "r");
    assert_non_null(f);
    out = slurp(f);
    fclose(f);
    assert_string_equal(out, fx->out);
    free(out);

    /* '-' reads the probes from stdin. */
    snprintf(cmd, sizeof cmd,
             "'%s' translate --regs '%s' --image '%s' --probes - <'%s' >'%s' 2>'%s'", LPAESIM_PATH,
             fl.regs, fl.image_arg, fl.probes, outp, errp);
    st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    f = fopen(outp, "r");
    assert_non_null(f);
    out = slurp(f);
    fclose(f);
    assert_string_equal(out, fx->out);
    free(out);

    bad = write_text(fx, "bin-bad.txt", "0x1000 PQ\n");
    snprintf(cmd, sizeof cmd, "'%s' translate --regs '%s' --image '%s' --probes '%s' >'%s' 2>'%s'",
             LPAESIM_PATH, fl.regs, fl.image_arg, bad, outp, errp);
    st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == LPAESIM_EXIT_INPUT);
    f = fopen(errp, "r");
    assert_non_null(f);
    err = slurp(f);
    fclose(f);
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, "bin-bad.txt:1: expected ACCESS"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_numbers),
        cmocka_unit_test_setup_teardown(regs_good, setup, teardown),
        cmocka_unit_test_setup_teardown(regs_bad, setup, teardown),
        cmocka_unit_test(regs_nul_byte),
        cmocka_unit_test(probes_good),
        cmocka_unit_test(probes_bad),
        cmocka_unit_test_setup_teardown(translate_good, setup, teardown),
        cmocka_unit_test_setup_teardown(translate_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(translate_ram_map, setup, teardown),
        cmocka_unit_test_setup_teardown(translate_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(translate_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(translate_matches_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(binary_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
