/* SPDX-License-Identifier: MIT */
/* Comparison rule, case files and mismatch reports (see conf_case.h). */
#include "conf_case.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "confgen.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

const char *conf_op_name(uint32_t op)
{
    static const char *const names[4] = {"ATS1CPR", "ATS1CPW", "ATS1CUR", "ATS1CUW"};
    return op < 4 ? names[op] : "ATS1C??";
}

uint64_t conf_qemu_par(const conf_result *q)
{
    if (q->status == CONF_ST_ABORT)
        return LPAE_PAR_LPAE | ((uint64_t)(q->hsr & 0x3f) << LPAE_PAR_FST_SHIFT) | LPAE_PAR_F;
    return q->par;
}

conf_verdict conf_compare(uint64_t qemu_par, uint64_t lpae_par)
{
    conf_verdict v = {false, false, false};
    uint64_t diff = qemu_par ^ lpae_par;
    uint64_t mask = ~UINT64_C(0);
    if (!(qemu_par & LPAE_PAR_F)) {
        mask &= ~LPAE_PAR_NS;
        v.ns_differs = (diff & LPAE_PAR_NS) != 0;
        if (((qemu_par >> LPAE_PAR_ATTR_SHIFT) & 0xf0) == 0) {
            mask &= ~(UINT64_C(3) << LPAE_PAR_SH_SHIFT);
            v.sh_differs = (diff & (UINT64_C(3) << LPAE_PAR_SH_SHIFT)) != 0;
        }
    }
    v.mismatch = (diff & mask) != 0;
    return v;
}

/* ---- writing ------------------------------------------------------------- */
static void put_result(FILE *f, const conf_result *q)
{
    if (q->status == CONF_ST_ABORT)
        fprintf(f, "abort 0x%08" PRIx32, q->hsr);
    else
        fprintf(f, "par 0x%016" PRIx64, q->par);
}

int conf_case_write(const char *path, const char *comment, const lpae_regs *regs,
                    const conf_desc *descs, size_t ndesc, const conf_case_probe *probes,
                    size_t nprobe)
{
    if (!path || !regs || (ndesc && !descs) || (nprobe && !probes))
        return LPAE_EINVAL;
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp)
        return LPAE_ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        free(tmp);
        return LPAE_EIO;
    }
    fprintf(f, "# lpae conformance case: registers, descriptors (PA value) and probes with\n"
               "# the result QEMU's ARMv7 MMU gave. Replayed by tests/test_conformance.c.\n");
    if (comment)
        fprintf(f, "# %s\n", comment);
    fprintf(f,
            "ttbcr 0x%08" PRIx32 "\nttbr0 0x%016" PRIx64 "\nttbr1 0x%016" PRIx64
            "\nmair0 0x%08" PRIx32 "\nmair1 0x%08" PRIx32 "\nsctlr 0x%08" PRIx32 "\n",
            regs->ttbcr, regs->ttbr0, regs->ttbr1, regs->mair0, regs->mair1, regs->sctlr);
    for (size_t i = 0; i < ndesc; i++)
        fprintf(f, "desc 0x%08" PRIx32 " 0x%016" PRIx64 "\n", descs[i].pa, descs[i].val);
    for (size_t i = 0; i < nprobe; i++) {
        fprintf(f, "probe 0x%08" PRIx32 " %s ", probes[i].va, conf_op_name(probes[i].op));
        put_result(f, &probes[i].q);
        fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad || rename(tmp, path)) {
        remove(tmp);
        free(tmp);
        return LPAE_EIO;
    }
    free(tmp);
    return 0;
}

/* ---- reading ------------------------------------------------------------- */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || !*s)
        return LPAE_EPARSE;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || v > max)
        return LPAE_EPARSE;
    *out = v;
    return 0;
}

static int parse_op(const char *s, uint32_t *op)
{
    for (uint32_t i = 0; s && i < 4; i++)
        if (!strcmp(s, conf_op_name(i))) {
            *op = i;
            return 0;
        }
    return LPAE_EPARSE;
}

void conf_case_free(conf_case *c)
{
    if (!c)
        return;
    free(c->descs);
    free(c->probes);
    memset(c, 0, sizeof *c);
}

int conf_case_read(const char *path, conf_case *out, char *err, size_t errlen)
{
    if (!path || !out)
        return LPAE_EINVAL;
    memset(out, 0, sizeof *out);
    out->regs.sctlr = LPAE_SCTLR_M;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err)
            snprintf(err, errlen, "%s: cannot open", path);
        return LPAE_EIO;
    }
    char line[512];
    unsigned lineno = 0;
    size_t dcap = 0, pcap = 0;
    const char *want = NULL;
    int rc = 0;
    unsigned seen = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *save = NULL;
        char *kw = strtok_r(line, " \t\r\n", &save);
        if (!kw || kw[0] == '#')
            continue;
        if (!strcmp(kw, "open")) { /* the rest of the line is the note */
            char *note = strtok_r(NULL, "\r\n", &save);
            while (note && (*note == ' ' || *note == '\t'))
                note++;
            snprintf(out->open_note, sizeof out->open_note, "%s",
                     note && *note ? note : "(no note)");
            continue;
        }
        char *a = strtok_r(NULL, " \t\r\n", &save);
        char *b = strtok_r(NULL, " \t\r\n", &save);
        char *c = strtok_r(NULL, " \t\r\n", &save);
        char *d = strtok_r(NULL, " \t\r\n", &save);
        uint64_t v, w;
        if (!strcmp(kw, "ttbcr") || !strcmp(kw, "mair0") || !strcmp(kw, "mair1") ||
            !strcmp(kw, "sctlr")) {
            if (parse_u64(a, UINT32_MAX, &v) || b) {
                want = "a 32-bit register value";
                break;
            }
            if (kw[0] == 't') {
                out->regs.ttbcr = (uint32_t)v;
                seen |= 1;
            } else if (kw[0] == 's') {
                out->regs.sctlr = (uint32_t)v;
            } else if (kw[4] == '0') {
                out->regs.mair0 = (uint32_t)v;
            } else {
                out->regs.mair1 = (uint32_t)v;
            }
        } else if (!strcmp(kw, "ttbr0") || !strcmp(kw, "ttbr1")) {
            if (parse_u64(a, UINT64_MAX, &v) || b) {
                want = "a 64-bit TTBR value";
                break;
            }
            if (kw[4] == '0')
                out->regs.ttbr0 = v;
            else
                out->regs.ttbr1 = v;
        } else if (!strcmp(kw, "desc")) {
            if (parse_u64(a, UINT32_MAX, &v) || (v & 7) || parse_u64(b, UINT64_MAX, &w) || c) {
                want = "desc PA VALUE with an 8-byte aligned 32-bit PA";
                break;
            }
            if (out->ndesc == dcap) {
                dcap = dcap ? 2 * dcap : 64;
                void *p = realloc(out->descs, dcap * sizeof *out->descs);
                if (!p) {
                    rc = LPAE_ENOMEM;
                    break;
                }
                out->descs = p;
            }
            out->descs[out->ndesc++] = (conf_desc){w, (uint32_t)v, 0};
        } else if (!strcmp(kw, "probe")) {
            conf_case_probe p = {0, 0, {0, 0, 0}};
            if (parse_u64(a, UINT32_MAX, &v) || parse_op(b, &p.op) || !c || !d) {
                want = "probe VA ATS1C{PR,PW,UR,UW} {par 0xPAR | abort 0xHSR}";
                break;
            }
            p.va = (uint32_t)v;
            if (!strcmp(c, "par") && !parse_u64(d, UINT64_MAX, &w)) {
                p.q.par = w;
                p.q.status = CONF_ST_PAR;
            } else if (!strcmp(c, "abort") && !parse_u64(d, UINT32_MAX, &w)) {
                p.q.hsr = (uint32_t)w;
                p.q.status = CONF_ST_ABORT;
            } else {
                want = "par 0xPAR or abort 0xHSR after the probe's access";
                break;
            }
            if (out->nprobe == pcap) {
                pcap = pcap ? 2 * pcap : 16;
                void *q = realloc(out->probes, pcap * sizeof *out->probes);
                if (!q) {
                    rc = LPAE_ENOMEM;
                    break;
                }
                out->probes = q;
            }
            out->probes[out->nprobe++] = p;
        } else {
            want = "a keyword: ttbcr ttbr0 ttbr1 mair0 mair1 sctlr desc probe open";
            break;
        }
    }
    if (!want && !rc && ferror(f))
        rc = LPAE_EIO;
    fclose(f);
    if (!want && !rc && !(seen & 1)) {
        want = "a ttbcr line";
        lineno++;
    }
    if (!want && !rc && !out->nprobe) {
        want = "at least one probe line";
        lineno++;
    }
    if (want) {
        if (err)
            snprintf(err, errlen, "%s:%u: expected %s", path, lineno, want);
        rc = LPAE_EPARSE;
    }
    if (rc)
        conf_case_free(out);
    return rc;
}

int conf_case_phys(const conf_desc *descs, size_t ndesc, lpae_phys **out)
{
    lpae_phys *p;
    int err = conf_phys_new(&p);
    for (size_t i = 0; !err && i < ndesc; i++)
        err = lpae_phys_write64(p, descs[i].pa, descs[i].val);
    if (err) {
        lpae_phys_destroy(p);
        return err;
    }
    *out = p;
    return 0;
}

/* ---- mismatch report ----------------------------------------------------- */
static bool lookup_desc(const conf_desc *descs, size_t n, uint64_t pa, uint64_t *val)
{
    for (size_t i = 0; i < n; i++)
        if (descs[i].pa == pa) {
            *val = descs[i].val;
            return true;
        }
    *val = 0;
    return pa >= CONF_ARENA_LO && pa < CONF_ARENA_HI;
}

/* The descriptor chain for @p va, read from the descriptor list with the
 * table geometry of DDI 0406C B3.6 (no permission logic). */
static void print_chain(FILE *f, const lpae_regs *regs, const conf_desc *descs, size_t ndesc,
                        uint32_t va)
{
    unsigned t0 = regs->ttbcr & 7, t1 = (regs->ttbcr >> 16) & 7;
    int sel;
    if (t0 && (va >> (32 - t0)) == 0)
        sel = 0;
    else if (t1 && (va >> (32 - t1)) == (1u << t1) - 1)
        sel = 1;
    else if (!t0)
        sel = 0;
    else if (!t1)
        sel = 1;
    else
        sel = -1;
    if (sel < 0) {
        fprintf(f, "    descriptors: VA is in the gap between the TTBR0 and TTBR1 regions\n");
        return;
    }
    unsigned tsz = sel ? t1 : t0;
    bool epd = regs->ttbcr & (sel ? LPAE_TTBCR_EPD1 : LPAE_TTBCR_EPD0);
    unsigned level = tsz <= 1 ? 1 : 2;
    unsigned x = tsz <= 1 ? 5 - tsz : 14 - tsz;
    uint64_t ttbr = sel ? regs->ttbr1 : regs->ttbr0;
    uint64_t table = ttbr & LPAE_TTBR_BADDR_MASK & ~((UINT64_C(1) << x) - 1);
    fprintf(f, "    descriptors: TTBR%d (T%dSZ=%u%s), walk from level %u, table 0x%010" PRIx64 "\n",
            sel, sel, tsz, epd ? ", EPD set" : "", level, table);
    if (ttbr & LPAE_DESC_ADDR_HI_MASK)
        fprintf(f,
                "      TTBR%d bits [47:40] are set (SBZ): QEMU gives an Address size fault, "
                "level 0\n",
                sel);
    if (!(regs->sctlr & LPAE_SCTLR_M))
        fprintf(f, "      SCTLR.M = 0: ATS reports the flat mapping, no walk\n");
    uint64_t in_mask = (UINT64_C(1) << (32 - tsz)) - 1;
    for (; level <= 3; level++) {
        unsigned shift = LPAE_LEVEL_SHIFT(level);
        uint64_t idx = ((va & in_mask) >> shift) &
                       (level == (tsz <= 1 ? 1u : 2u) ? ((in_mask >> shift)) : 511);
        uint64_t pa = table + idx * 8, d;
        bool ram = lookup_desc(descs, ndesc, pa, &d);
        if (!ram) {
            fprintf(f,
                    "      L%u [%3" PRIu64 "] @0x%010" PRIx64
                    " = (not RAM of the arena: walk abort "
                    "expected)\n",
                    level, idx, pa);
            return;
        }
        fprintf(f, "      L%u [%3" PRIu64 "] @0x%010" PRIx64 " = 0x%016" PRIx64 "\n", level, idx,
                pa, d);
        if (!(d & 1) || (d & 3) == 1 || level == 3)
            return;
        table = d & LPAE_DESC_ADDR_MASK;
    }
}

void conf_print_mismatch(FILE *f, const lpae_regs *regs, const conf_desc *descs, size_t ndesc,
                         const lpae_phys *phys, uint32_t va, uint32_t op, const conf_result *q)
{
    lpae_walk_result w;
    int err = lpae_walk(regs, phys, va, conf_op_access(op), &w);
    fprintf(f, "  MISMATCH VA 0x%08" PRIx32 " %s: QEMU ", va, conf_op_name(op));
    if (q->status == CONF_ST_ABORT)
        fprintf(f, "took a Data Abort, HSR 0x%08" PRIx32 " (as PAR 0x%016" PRIx64 ")", q->hsr,
                conf_qemu_par(q));
    else
        fprintf(f, "PAR 0x%016" PRIx64, q->par);
    if (err) {
        fprintf(f, ", lpae_walk failed: %s\n", lpae_err_name(err));
        return;
    }
    fprintf(f, ", lpae PAR 0x%016" PRIx64 "\n", lpae_walk_par(&w));
    fprintf(f,
            "    registers: TTBCR 0x%08" PRIx32 " TTBR0 0x%016" PRIx64 " TTBR1 0x%016" PRIx64
            " MAIR0 0x%08" PRIx32 " MAIR1 0x%08" PRIx32 "\n",
            regs->ttbcr, regs->ttbr0, regs->ttbr1, regs->mair0, regs->mair1);
    print_chain(f, regs, descs, ndesc, va);
    char buf[2048];
    if (lpae_walk_explain(&w, buf, sizeof buf) >= 0) {
        fprintf(f, "    lpae --explain:\n      ");
        for (const char *s = buf; *s; s++) {
            fputc(*s, f);
            if (*s == '\n' && s[1])
                fputs("      ", f);
        }
        if (buf[0] && buf[strlen(buf) - 1] != '\n')
            fputc('\n', f);
    }
}
