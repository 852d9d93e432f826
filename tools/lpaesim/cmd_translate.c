/* SPDX-License-Identifier: MIT */
/*
 * lpaesim translate --regs FILE --image PA:FILE [--image PA:FILE ...]
 *                   --probes FILE [--explain] [--ram BASE:SIZE ...]
 *
 * Loads raw little-endian memory images (translation tables, typically) into
 * simulated physical memory, sets the translation registers from a file
 * through the checked lpae_regs_set_*() writers, and walks each probe,
 * printing `VA ACCESS PAR` with the 64-bit Long-descriptor PAR.
 */
#include "translate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cmds.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/walk.h"

#define PA_LIMIT (UINT64_C(1) << LPAE_PA_BITS)

/* ---- small text helpers ------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t len, const char *fmt,
                                                          ...)
{
    va_list ap;
    if (!err || !len)
        return;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* A token made safe for a one-line message: at most 40 bytes, non-printable
 * bytes shown as '?'. */
static const char *show(const char *s, char buf[48])
{
    size_t i = 0;
    for (; s[i] && i < 40; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Parse digits of @p base from s up to end (exclusive). */
static int parse_digits(const char *s, const char *end, unsigned base, uint64_t *out)
{
    uint64_t v = 0;
    if (s == end)
        return -1;
    for (; s < end; s++) {
        int d = digit_value(*s);
        if (d >= (int)base)
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -1;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int parse_number(const char *s, const char *end, uint64_t *out)
{
    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_digits(s + 2, end, 16, out);
    return parse_digits(s, end, 10, out);
}

int lpaesim_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !out)
        return -1;
    return parse_number(s, s + strlen(s), out);
}

int lpaesim_parse_size(const char *s, uint64_t *out)
{
    unsigned shift = 0;
    uint64_t v;
    size_t n;
    if (!s || !out || !(n = strlen(s)))
        return -1;
    switch (s[n - 1]) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        break;
    }
    if (parse_number(s, s + n - (shift ? 1 : 0), &v) < 0)
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

int lpaesim_parse_image_arg(const char *arg, lpae_pa_t *pa, const char **file)
{
    const char *colon;
    uint64_t v;
    if (!arg || !pa || !file || !(colon = strchr(arg, ':')) || !colon[1])
        return -1;
    if (parse_number(arg, colon, &v) < 0 || v >= PA_LIMIT)
        return -1;
    *pa = v;
    *file = colon + 1;
    return 0;
}

int lpaesim_parse_ram_arg(const char *arg, lpae_ram_range *out)
{
    const char *colon;
    uint64_t base, size;
    if (!arg || !out || !(colon = strchr(arg, ':')))
        return -1;
    if (parse_number(arg, colon, &base) < 0 || lpaesim_parse_size(colon + 1, &size) < 0)
        return -1;
    out->base = base;
    out->size = size;
    return 0;
}

/* ---- line reading --------------------------------------------------------- */

struct reader {
    FILE *f;
    const char *name;
    char *buf;
    size_t cap;
    unsigned lineno;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Next line without its comment and surrounding blanks (possibly empty).
 * Returns 1 for a line, 0 at the end, -1 with @p err set. */
static int next_line(struct reader *r, char **line, char *err, size_t errlen)
{
    ssize_t n;
    char *s, *e, *hash;

    errno = 0;
    n = getline(&r->buf, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f) || errno == ENOMEM) {
            set_err(err, errlen, "%s:%u: read error: %s", r->name, r->lineno + 1,
                    strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    r->lineno++;
    if (strlen(r->buf) != (size_t)n) {
        set_err(err, errlen, "%s:%u: expected text, found a NUL byte", r->name, r->lineno);
        return -1;
    }
    s = r->buf;
    if ((hash = strchr(s, '#')))
        *hash = '\0';
    while (is_space(*s))
        s++;
    e = s + strlen(s);
    while (e > s && is_space(e[-1]))
        *--e = '\0';
    *line = s;
    return 1;
}

/* Split off the next blank-separated token of *s (NUL-terminating it). */
static char *next_token(char **s)
{
    char *p = *s, *tok;
    while (is_space(*p))
        p++;
    if (!*p)
        return NULL;
    tok = p;
    while (*p && !is_space(*p))
        p++;
    if (*p)
        *p++ = '\0';
    *s = p;
    return tok;
}

/* ---- the register file --------------------------------------------------- */

enum { R_TTBCR, R_TTBR0, R_TTBR1, R_MAIR0, R_MAIR1, R_SCTLR, R_COUNT };

static const struct {
    const char *name;
    unsigned bits;
} reg_info[R_COUNT] = {
    {"ttbcr", 32}, {"ttbr0", 64}, {"ttbr1", 64}, {"mair0", 32}, {"mair1", 32}, {"sctlr", 32},
};

/* BADDR alignment shift x for TnSZ (DDI 0406C B4.1.154). */
static unsigned baddr_shift(unsigned tsz)
{
    return tsz <= 1 ? 5u - tsz : 14u - tsz;
}

/* Turn an error from a register writer into "expected ..." text. */
static void explain_reject(char *err, size_t errlen, const char *where, unsigned reg, uint64_t v,
                           int rc, const lpae_regs *cur)
{
    unsigned which = reg == R_TTBR1;
    unsigned tsz = which ? (cur->ttbcr & LPAE_TTBCR_T1SZ_MASK) >> LPAE_TTBCR_T1SZ_SHIFT
                         : (cur->ttbcr & LPAE_TTBCR_T0SZ_MASK) >> LPAE_TTBCR_T0SZ_SHIFT;

    if (reg == R_TTBCR && rc == LPAE_EUNSUPP)
        set_err(err, errlen,
                "%s: expected TTBCR.EAE (bit 31) set, got 0x%08" PRIx64
                ": only the Long-descriptor format is modelled",
                where, v);
    else if (reg == R_TTBCR && rc == LPAE_ERES0)
        set_err(err, errlen,
                "%s: expected TTBCR bits [6:3], [15:14] and [21:19] clear (UNK/SBZP), got "
                "0x%08" PRIx64,
                where, v);
    else if ((reg == R_TTBR0 || reg == R_TTBR1) && rc == LPAE_ERES0)
        set_err(err, errlen,
                "%s: expected TTBR%u bits [63:56] and [47:40] clear (UNK/SBZ), got 0x%016" PRIx64,
                where, which, v);
    else if ((reg == R_TTBR0 || reg == R_TTBR1) && rc == LPAE_EALIGN)
        set_err(err, errlen,
                "%s: expected TTBR%u.BADDR aligned to %u bytes for T%uSZ=%u (bits [%u:0] "
                "clear), got 0x%016" PRIx64,
                where, which, 1u << baddr_shift(tsz), which, tsz, baddr_shift(tsz) - 1, v);
    else
        set_err(err, errlen,
                "%s: expected a %s value the architecture accepts, got 0x%" PRIx64 " (%s)", where,
                reg_info[reg].name, v, lpae_strerror(rc));
}

static int write_reg(lpae_regs *regs, unsigned reg, uint64_t v)
{
    switch (reg) {
    case R_TTBCR:
        return lpae_regs_set_ttbcr(regs, (uint32_t)v);
    case R_TTBR0:
        return lpae_regs_set_ttbr(regs, 0, v);
    case R_TTBR1:
        return lpae_regs_set_ttbr(regs, 1, v);
    case R_MAIR0:
        return lpae_regs_set_mair(regs, 0, (uint32_t)v);
    case R_MAIR1:
        return lpae_regs_set_mair(regs, 1, (uint32_t)v);
    default:
        return lpae_regs_set_sctlr(regs, (uint32_t)v);
    }
}

int lpaesim_regs_parse(FILE *f, const char *name, lpae_regs *regs, char *err, size_t errlen)
{
    struct reader r = {.f = f, .name = name ? name : "regs"};
    uint64_t val[R_COUNT] = {0};
    unsigned line_of[R_COUNT] = {0};
    lpae_regs tmp;
    char *line, where[300], sb[48];
    int rc, status = -1;

    if (!f || !regs) {
        set_err(err, errlen, "%s: no register file", r.name);
        return -1;
    }
    while ((rc = next_line(&r, &line, err, errlen)) > 0) {
        char *eq, *key, *value, *rest;
        unsigned reg;
        uint64_t v;

        if (!*line)
            continue;
        if (!(eq = strchr(line, '='))) {
            set_err(err, errlen, "%s:%u: expected 'NAME = VALUE', got '%s'", r.name, r.lineno,
                    show(line, sb));
            goto out;
        }
        *eq = '\0';
        rest = line;
        key = next_token(&rest);
        if (!key || next_token(&rest)) {
            set_err(err, errlen,
                    "%s:%u: expected one register name before '=' (ttbcr, ttbr0, ttbr1, mair0, "
                    "mair1 or sctlr)",
                    r.name, r.lineno);
            goto out;
        }
        for (reg = 0; reg < R_COUNT; reg++)
            if (!strcasecmp(key, reg_info[reg].name))
                break;
        if (reg == R_COUNT) {
            set_err(err, errlen,
                    "%s:%u: expected a register name (ttbcr, ttbr0, ttbr1, mair0, mair1 or "
                    "sctlr), got '%s'",
                    r.name, r.lineno, show(key, sb));
            goto out;
        }
        rest = eq + 1;
        value = next_token(&rest);
        if (!value || next_token(&rest) || lpaesim_parse_u64(value, &v) < 0) {
            set_err(err, errlen,
                    "%s:%u: expected one hex (0x...) or decimal value for %s after '='%s%s%s",
                    r.name, r.lineno, reg_info[reg].name, value ? ", got '" : "",
                    value ? show(value, sb) : "", value ? "'" : "");
            goto out;
        }
        if (reg_info[reg].bits == 32 && v > UINT32_MAX) {
            set_err(err, errlen, "%s:%u: expected a 32-bit value for %s, got 0x%" PRIx64, r.name,
                    r.lineno, reg_info[reg].name, v);
            goto out;
        }
        if (line_of[reg]) {
            set_err(err, errlen, "%s:%u: expected %s once, it was already set on line %u", r.name,
                    r.lineno, reg_info[reg].name, line_of[reg]);
            goto out;
        }
        val[reg] = v;
        line_of[reg] = r.lineno;
    }
    if (rc < 0)
        goto out;
    if (!line_of[R_TTBCR]) {
        set_err(err, errlen, "%s:%u: expected a 'ttbcr = VALUE' line (TTBCR has no default)",
                r.name, r.lineno + 1);
        goto out;
    }

    /* Architectural order: TTBCR first so the TTBR checks see its TnSZ. */
    lpae_regs_init(&tmp);
    for (unsigned reg = 0; reg < R_COUNT; reg++) {
        if (!line_of[reg])
            continue;
        rc = write_reg(&tmp, reg, val[reg]);
        if (rc < 0) {
            snprintf(where, sizeof where, "%s:%u", r.name, line_of[reg]);
            explain_reject(err, errlen, where, reg, val[reg], rc, &tmp);
            goto out;
        }
    }
    rc = lpae_regs_check(&tmp);
    if (rc < 0) {
        set_err(err, errlen, "%s:%u: expected a consistent register set (%s)", r.name,
                line_of[R_TTBCR], lpae_strerror(rc));
        goto out;
    }
    *regs = tmp;
    status = 0;
out:
    free(r.buf);
    return status;
}

/* ---- the probe file ------------------------------------------------------ */

void lpaesim_probes_free(lpaesim_probes *p)
{
    if (!p)
        return;
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

static int probes_push(lpaesim_probes *p, lpae_va_t va, unsigned access)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        lpaesim_probe *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n].va = va;
    p->v[p->n].access = (uint8_t)access;
    p->n++;
    return 0;
}

int lpaesim_probes_parse(FILE *f, const char *name, lpaesim_probes *out, char *err, size_t errlen)
{
    struct reader r = {.f = f, .name = name ? name : "probes"};
    char *line, sb[48];
    int rc, status = -1;

    if (!f || !out) {
        set_err(err, errlen, "%s: no probe file", r.name);
        return -1;
    }
    while ((rc = next_line(&r, &line, err, errlen)) > 0) {
        char *va_s, *acc_s;
        uint64_t va;
        unsigned access;

        if (!*line)
            continue;
        va_s = next_token(&line);
        acc_s = next_token(&line);
        if (lpaesim_parse_u64(va_s, &va) < 0 || va > UINT32_MAX) {
            set_err(err, errlen, "%s:%u: expected a 32-bit VA (hex 0x... or decimal), got '%s'",
                    r.name, r.lineno, show(va_s, sb));
            goto out;
        }
        if (!acc_s || lpae_access_parse(acc_s, &access) < 0) {
            set_err(err, errlen,
                    "%s:%u: expected ACCESS after the VA: PR, PW, UR, UW, PX or UX%s%s%s", r.name,
                    r.lineno, acc_s ? ", got '" : "", acc_s ? show(acc_s, sb) : "",
                    acc_s ? "'" : "");
            goto out;
        }
        if (next_token(&line)) {
            set_err(err, errlen, "%s:%u: expected 'VA ACCESS' and nothing more on the line", r.name,
                    r.lineno);
            goto out;
        }
        if (probes_push(out, (lpae_va_t)va, access) < 0) {
            set_err(err, errlen, "%s:%u: out of memory", r.name, r.lineno);
            goto out;
        }
    }
    if (rc == 0)
        status = 0;
out:
    free(r.buf);
    return status;
}

/* ---- the command ----------------------------------------------------------- */

struct image {
    lpae_pa_t pa;
    uint64_t size;
    const char *file;
    FILE *f;
};

struct opts {
    const char *regs, *probes;
    struct image *img;
    size_t nimg;
    lpae_ram_range ram[LPAE_PHYS_MAX_RANGES];
    size_t nram;
    bool explain;
};

static void usage(FILE *f)
{
    fputs("usage: lpaesim translate --regs FILE --image PA:FILE [--image PA:FILE ...]\n"
          "                         --probes FILE [--explain] [--ram BASE:SIZE ...]\n"
          "\n"
          "Walk each probe through LPAE Long-descriptor tables and print `VA ACCESS PAR`,\n"
          "PAR being the 64-bit PAR that ATS1C{P,U}{R,W} would leave (PX and UX in the\n"
          "same encoding).\n"
          "\n"
          "  --regs FILE      `name = value` lines: ttbcr (required), ttbr0, ttbr1, mair0,\n"
          "                   mair1, sctlr; hex (0x...) or decimal; `#` comments. Values go\n"
          "                   through the architectural checks (EAE, SBZ bits, BADDR\n"
          "                   alignment). Unset registers: TTBRn = 0, Linux's MAIR0/1,\n"
          "                   SCTLR.M = 1.\n"
          "  --image PA:FILE  load FILE's bytes (raw little-endian) at physical address PA\n"
          "  --probes FILE    `VA ACCESS` lines, ACCESS one of PR PW UR UW PX UX ('-' = stdin)\n"
          "  --explain        print each walk's descriptor fetches under its line\n"
          "  --ram BASE:SIZE  a DRAM range (SIZE may end in K, M, G); up to 16. Without\n"
          "                   --ram, RAM is exactly the 4 KB pages the images cover, so a\n"
          "                   descriptor fetch anywhere else is an external abort on the walk.\n"
          "                   With --ram, RAM not covered by an image reads as zero.\n"
          "\n"
          "Exit status: 0 ok, 1 bad input file or value (one line: FILE:LINE: expected ...),\n"
          "2 bad command line.\n",
          f);
}

__attribute__((format(printf, 2, 3))) static int usage_error(FILE *errf, const char *fmt, ...)
{
    va_list ap;
    fputs("lpaesim translate: ", errf);
    va_start(ap, fmt);
    vfprintf(errf, fmt, ap);
    va_end(ap);
    fputs(" (try 'lpaesim translate --help')\n", errf);
    return LPAESIM_EXIT_USAGE;
}

/* Match "--name VALUE" or "--name=VALUE"; advances *i past the value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *val = NULL;
        return 1;
    }
    *val = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, struct opts *o, FILE *out, FILE *errf)
{
    char sb[48];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(out);
            return -1;
        }
        if (!strcmp(a, "--explain")) {
            o->explain = true;
        } else if (opt_value(argc, argv, &i, "--regs", &v)) {
            if (!v)
                return usage_error(errf, "expected a FILE after --regs");
            o->regs = v;
        } else if (opt_value(argc, argv, &i, "--probes", &v)) {
            if (!v)
                return usage_error(errf, "expected a FILE after --probes");
            o->probes = v;
        } else if (opt_value(argc, argv, &i, "--image", &v)) {
            struct image *im = &o->img[o->nimg];
            if (!v)
                return usage_error(errf, "expected PA:FILE after --image");
            if (lpaesim_parse_image_arg(v, &im->pa, &im->file) < 0)
                return usage_error(errf, "expected --image PA:FILE with PA below 2^40, got '%s'",
                                   show(v, sb));
            o->nimg++;
        } else if (opt_value(argc, argv, &i, "--ram", &v)) {
            if (!v)
                return usage_error(errf, "expected BASE:SIZE after --ram");
            if (o->nram == LPAE_PHYS_MAX_RANGES)
                return usage_error(errf, "expected at most %d --ram ranges", LPAE_PHYS_MAX_RANGES);
            if (lpaesim_parse_ram_arg(v, &o->ram[o->nram]) < 0)
                return usage_error(errf,
                                   "expected --ram BASE:SIZE (SIZE may end in K, M or G), got "
                                   "'%s'",
                                   show(v, sb));
            o->nram++;
        } else {
            return usage_error(errf, "unknown argument '%s'", show(a, sb));
        }
    }
    if (!o->regs)
        return usage_error(errf, "expected --regs FILE");
    if (!o->probes)
        return usage_error(errf, "expected --probes FILE");
    if (!o->nimg)
        return usage_error(errf, "expected at least one --image PA:FILE");
    return 0;
}

static int cmp_image(const void *a, const void *b)
{
    const struct image *x = *(struct image *const *)a, *y = *(struct image *const *)b;
    return x->pa < y->pa ? -1 : x->pa > y->pa;
}

static int cmp_range(const void *a, const void *b)
{
    const lpae_ram_range *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* Open every image, learn its size, check it fits and overlaps no other. */
static int open_images(struct opts *o, FILE *errf)
{
    struct image **byaddr;
    char sb[48];
    for (size_t i = 0; i < o->nimg; i++) {
        struct image *im = &o->img[i];
        struct stat st;
        im->f = fopen(im->file, "rb");
        if (!im->f || fstat(fileno(im->f), &st) < 0) {
            fprintf(errf, "lpaesim translate: cannot open image '%s': %s\n", show(im->file, sb),
                    strerror(errno));
            return -1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
            fprintf(errf, "lpaesim translate: image '%s': expected a non-empty regular file\n",
                    show(im->file, sb));
            return -1;
        }
        im->size = (uint64_t)st.st_size;
        if (im->size > PA_LIMIT - im->pa) {
            fprintf(errf,
                    "lpaesim translate: image '%s' at 0x%" PRIx64
                    ": expected it to end below 2^40, it is %" PRIu64 " bytes\n",
                    show(im->file, sb), im->pa, im->size);
            return -1;
        }
    }
    if (o->nimg < 2)
        return 0;
    byaddr = malloc(o->nimg * sizeof(struct image *));
    if (!byaddr) {
        fputs("lpaesim translate: out of memory\n", errf);
        return -1;
    }
    for (size_t i = 0; i < o->nimg; i++)
        byaddr[i] = &o->img[i];
    qsort(byaddr, o->nimg, sizeof(struct image *), cmp_image);
    for (size_t i = 1; i < o->nimg; i++) {
        const struct image *a = byaddr[i - 1], *b = byaddr[i];
        if (a->pa + a->size > b->pa) {
            char sb2[48];
            fprintf(errf,
                    "lpaesim translate: image '%s' at 0x%" PRIx64
                    " overlaps image '%s' at 0x%" PRIx64 "; expected disjoint images\n",
                    show(b->file, sb), b->pa, show(a->file, sb2), a->pa);
            free(byaddr);
            return -1;
        }
    }
    free(byaddr);
    return 0;
}

/* Without --ram: the 4 KB pages the images cover, merged into ranges. */
static int default_ram(struct opts *o, FILE *errf)
{
    lpae_ram_range *r = malloc(o->nimg * sizeof *r);
    size_t n = 0;
    if (!r) {
        fputs("lpaesim translate: out of memory\n", errf);
        return -1;
    }
    for (size_t i = 0; i < o->nimg; i++) {
        lpae_pa_t lo = o->img[i].pa & ~(uint64_t)(LPAE_PAGE_SIZE - 1);
        lpae_pa_t hi =
            (o->img[i].pa + o->img[i].size + LPAE_PAGE_SIZE - 1) & ~(uint64_t)(LPAE_PAGE_SIZE - 1);
        r[i].base = lo;
        r[i].size = hi - lo;
    }
    qsort(r, o->nimg, sizeof *r, cmp_range);
    for (size_t i = 0; i < o->nimg; i++) {
        if (n && r[n - 1].base + r[n - 1].size >= r[i].base) {
            uint64_t end = r[i].base + r[i].size;
            if (end > r[n - 1].base + r[n - 1].size)
                r[n - 1].size = end - r[n - 1].base;
            continue;
        }
        if (n == LPAE_PHYS_MAX_RANGES) {
            fputs("lpaesim translate: the images are spread over more than 16 RAM ranges; "
                  "expected --ram BASE:SIZE to describe the memory map\n",
                  errf);
            free(r);
            return -1;
        }
        r[n++] = r[i];
    }
    memcpy(o->ram, r, n * sizeof *r);
    o->nram = n;
    free(r);
    return 0;
}

static int load_images(const struct opts *o, lpae_phys *phys, FILE *errf)
{
    enum { CHUNK = 1 << 16 };
    unsigned char *buf = malloc(CHUNK);
    char sb[48];
    int status = -1;

    if (!buf) {
        fputs("lpaesim translate: out of memory\n", errf);
        return -1;
    }
    for (size_t i = 0; i < o->nimg; i++) {
        const struct image *im = &o->img[i];
        uint64_t done = 0;
        if (!lpae_phys_is_ram(phys, im->pa, im->size)) {
            fprintf(errf,
                    "lpaesim translate: image '%s' at 0x%" PRIx64 "..0x%" PRIx64
                    ": expected it inside one --ram range\n",
                    show(im->file, sb), im->pa, im->pa + im->size - 1);
            goto out;
        }
        while (done < im->size) {
            size_t want = im->size - done < CHUNK ? (size_t)(im->size - done) : CHUNK;
            size_t got = fread(buf, 1, want, im->f);
            int rc;
            if (got == 0) {
                fprintf(errf, "lpaesim translate: image '%s': read error or file shrank\n",
                        show(im->file, sb));
                goto out;
            }
            rc = lpae_phys_write(phys, im->pa + done, buf, got);
            if (rc < 0) {
                fprintf(errf, "lpaesim translate: loading image '%s': %s\n", show(im->file, sb),
                        lpae_strerror(rc));
                goto out;
            }
            done += got;
        }
    }
    status = 0;
out:
    free(buf);
    return status;
}

static int open_text(const char *path, const char *what, FILE **f, FILE *errf)
{
    char sb[48];
    if (!strcmp(path, "-") && !strcmp(what, "probe")) {
        *f = stdin;
        return 0;
    }
    *f = fopen(path, "r");
    if (!*f) {
        fprintf(errf, "lpaesim translate: cannot open %s file '%s': %s\n", what, show(path, sb),
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Print the walk account, each line indented by four spaces. */
static int print_explain(const lpae_walk_result *res, char **buf, size_t *cap, FILE *out)
{
    int need = lpae_walk_explain(res, *buf, *cap);
    if (need < 0)
        return need;
    if ((size_t)need >= *cap) {
        char *nb = realloc(*buf, (size_t)need + 1);
        if (!nb)
            return LPAE_ENOMEM;
        *buf = nb;
        *cap = (size_t)need + 1;
        need = lpae_walk_explain(res, *buf, *cap);
        if (need < 0)
            return need;
    }
    for (char *s = *buf; *s;) {
        char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        fprintf(out, "    %.*s\n", (int)len, s);
        s += len + (nl ? 1 : 0);
    }
    return 0;
}

int lpaesim_translate_main(int argc, char **argv, FILE *out, FILE *errf)
{
    struct opts o = {0};
    lpaesim_probes probes = {0};
    lpae_regs regs;
    lpae_phys *phys = NULL;
    FILE *f = NULL;
    char err[LPAESIM_ERRLEN], *xbuf = NULL;
    size_t xcap = 0;
    int rc, status = LPAESIM_EXIT_INPUT;

    o.img = calloc((size_t)(argc > 0 ? argc : 1), sizeof *o.img);
    if (!o.img) {
        fputs("lpaesim translate: out of memory\n", errf);
        return LPAESIM_EXIT_INPUT;
    }
    rc = parse_args(argc, argv, &o, out, errf);
    if (rc != 0 || !o.regs || !o.probes) {
        status = rc < 0 ? LPAESIM_EXIT_OK : LPAESIM_EXIT_USAGE;
        goto out;
    }

    if (open_text(o.regs, "register", &f, errf) < 0)
        goto out;
    rc = lpaesim_regs_parse(f, o.regs, &regs, err, sizeof err);
    fclose(f);
    if (rc < 0) {
        fprintf(errf, "%s\n", err);
        goto out;
    }
    if (open_text(o.probes, "probe", &f, errf) < 0)
        goto out;
    rc = lpaesim_probes_parse(f, o.probes, &probes, err, sizeof err);
    if (f != stdin)
        fclose(f);
    if (rc < 0) {
        fprintf(errf, "%s\n", err);
        goto out;
    }

    if (open_images(&o, errf) < 0)
        goto out;
    if (!o.nram && default_ram(&o, errf) < 0)
        goto out;
    {
        const lpae_phys_config cfg = {.ranges = o.ram, .nranges = o.nram};
        rc = lpae_phys_create(&cfg, &phys);
        if (rc < 0) {
            fprintf(errf,
                    "lpaesim translate: expected --ram ranges 4 KB aligned, non-empty, "
                    "disjoint and below 2^40 (%s)\n",
                    lpae_strerror(rc));
            goto out;
        }
    }
    if (load_images(&o, phys, errf) < 0)
        goto out;

    if (o.explain) {
        xcap = 4096;
        xbuf = malloc(xcap);
        if (!xbuf) {
            fputs("lpaesim translate: out of memory\n", errf);
            goto out;
        }
    }
    for (size_t i = 0; i < probes.n; i++) {
        lpae_walk_result res;
        const lpaesim_probe *p = &probes.v[i];
        rc = lpae_walk(&regs, phys, p->va, p->access, &res);
        if (rc < 0) {
            fprintf(errf, "lpaesim translate: walk of 0x%08" PRIx32 " %s failed: %s\n", p->va,
                    lpae_access_name(p->access), lpae_strerror(rc));
            goto out;
        }
        fprintf(out, "0x%08" PRIx32 " %s 0x%016" PRIx64 "\n", p->va, lpae_access_name(p->access),
                lpae_walk_par(&res));
        if (o.explain && (rc = print_explain(&res, &xbuf, &xcap, out)) < 0) {
            fprintf(errf, "lpaesim translate: explaining the walk of 0x%08" PRIx32 ": %s\n", p->va,
                    lpae_strerror(rc));
            goto out;
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(errf, "lpaesim translate: write error: %s\n", strerror(errno));
        goto out;
    }
    status = LPAESIM_EXIT_OK;
out:
    for (size_t i = 0; i < o.nimg; i++)
        if (o.img[i].f)
            fclose(o.img[i].f);
    free(o.img);
    free(xbuf);
    lpaesim_probes_free(&probes);
    lpae_phys_destroy(phys);
    return status;
}

int lpaesim_cmd_translate(int argc, char **argv)
{
    return lpaesim_translate_main(argc, argv, stdout, stderr);
}
