/* SPDX-License-Identifier: MIT */
/*
 * lpae-conform: differential test of lpae's Long-descriptor walk against
 * QEMU's ARMv7 MMU. Generates configurations (confgen.c), runs them in
 * batches through the bare-metal probe program under qemu-system-arm, runs
 * the same probes through lpae_walk(), compares every PAR (conf_compare())
 * and prints the probe count, the mismatches and the coverage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf_case.h"
#include "confgen.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

extern char **environ;

#define QEMU_TIMEOUT_S 300

typedef struct opts {
    uint64_t probes;
    uint64_t seed;
    unsigned per_config;
    uint64_t batch;
    const char *guest;
    const char *qemu;
    const char *work;
    const char *regress_dir;
    const char *golden_dir;
    unsigned max_report;
    unsigned max_cases;
    const char *lpaesim; /* with cases: replay case files through `lpaesim translate` */
    const char *cases;
} opts;

/* What lpae said about one probe, and what it exercised. */
enum { F_GAP = 1, F_EPD = 2, F_OA4G = 4, F_NG = 8, F_NSLEAF = 16, F_XN = 32, F_PXN = 64 };
enum { DK_INVALID, DK_BLOCK, DK_TABLE, DK_PAGE, DK_RESERVED, DK_ABORT, DK_NONE, DK_COUNT };
static const char *const dk_names[DK_COUNT] = {"invalid",  "block", "table", "page",
                                               "reserved", "abort", "none"};

typedef struct probe_info {
    uint64_t lpae_par;
    uint8_t pair; /* T0SZ * 8 + T1SZ */
    uint8_t dkind, dlevel;
    uint8_t apcombo; /* AP[2:1] * 4 + APTable, or 0xff */
    uint8_t flags;
    uint8_t walk_err; /* lpae_walk() failed */
} probe_info;

typedef struct batch_cfg {
    lpae_regs regs;
    uint32_t index;
    unsigned kind;
    conf_desc *descs;
    size_t ndesc;
    conf_probe *probes;
    size_t nprobe;
    size_t first;
} batch_cfg;

typedef struct stats {
    uint64_t probes, configs, boots, mismatches, ns_diff, sh_diff, cases_written;
    uint64_t kinds[CONF_KIND_COUNT];
    uint64_t pair[64];
    uint64_t fetched[DK_COUNT][4]; /* every descriptor read, by kind and level */
    uint64_t last[DK_COUNT][4];    /* the descriptor the walk ended on */
    uint64_t result[7][4];         /* QEMU: success by leaf level; faults by FST type x level */
    uint64_t ap[16];
    uint64_t flags[7];
    uint64_t ops[4];
    uint64_t walk_errors;
    double qemu_s;
} stats;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned desc_kind(uint64_t d, unsigned level)
{
    if (!(d & LPAE_DESC_VALID))
        return DK_INVALID;
    if (level == 3)
        return (d & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_PAGE ? DK_PAGE : DK_RESERVED;
    return (d & LPAE_DESC_TYPE_MASK) == LPAE_DESC_TYPE_TABLE ? DK_TABLE : DK_BLOCK;
}

static void lpae_side(const lpae_regs *regs, const lpae_phys *phys, uint32_t va, uint32_t op,
                      probe_info *pi, stats *st)
{
    lpae_walk_result w;
    memset(pi, 0, sizeof *pi);
    pi->pair = (uint8_t)((regs->ttbcr & 7) * 8 + ((regs->ttbcr >> 16) & 7));
    pi->apcombo = 0xff;
    pi->dkind = DK_NONE;
    int err = lpae_walk(regs, phys, va, conf_op_access(op), &w);
    if (err) {
        pi->walk_err = 1;
        return;
    }
    pi->lpae_par = lpae_walk_par(&w);
    if (!(regs->sctlr & LPAE_SCTLR_M))
        return; /* the flat mapping: no walk to account for */
    if (w.sel == LPAE_SEL_NONE)
        pi->flags |= F_GAP;
    else {
        lpae_region rg;
        if (!lpae_regs_region(regs, va, &rg) && rg.epd)
            pi->flags |= F_EPD;
    }
    for (unsigned i = 0; i < w.nfetch && i < LPAE_WALK_MAX_FETCH; i++) {
        const lpae_fetch *fe = &w.fetch[i];
        bool aborted = w.fault == LPAE_FAULT_EXT_ABORT_WALK && i + 1 == w.nfetch;
        unsigned k = aborted ? DK_ABORT : desc_kind(fe->desc, fe->level);
        if (fe->level <= 3)
            st->fetched[k][fe->level]++;
        if (i + 1 == w.nfetch) {
            pi->dkind = (uint8_t)k;
            pi->dlevel = fe->level;
        }
    }
    if (w.fault == LPAE_FAULT_NONE || w.fault == LPAE_FAULT_PERMISSION) {
        pi->apcombo = (uint8_t)((w.attrs.ap & 3) * 4 + (w.attrs.aptable & 3));
        if (w.attrs.ng)
            pi->flags |= F_NG;
        if (w.attrs.ns)
            pi->flags |= F_NSLEAF;
        if (w.attrs.xn)
            pi->flags |= F_XN;
        if (w.attrs.pxn)
            pi->flags |= F_PXN;
        if (w.fault == LPAE_FAULT_NONE && w.pa >= (UINT64_C(1) << 32))
            pi->flags |= F_OA4G;
    }
}

/* ---- running QEMU ---------------------------------------------------------- */
static bool in_path(const char *prog)
{
    if (strchr(prog, '/'))
        return access(prog, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n && n + strlen(prog) + 2 < sizeof buf) {
            memcpy(buf, path, n);
            buf[n] = '/';
            strcpy(buf + n + 1, prog);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Run argv with stdin from /dev/null and stdout+stderr into @p log; kill it
 * after QEMU_TIMEOUT_S. Returns its exit status, or -1 (reported). */
static int run_prog(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "lpae-conform: cannot start %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    double t0 = now_s();
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "lpae-conform: waitpid: %s\n", strerror(errno));
            return -1;
        }
        if (now_s() - t0 > QEMU_TIMEOUT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "lpae-conform: %s did not finish within %d s (log: %s)\n", argv[0],
                    QEMU_TIMEOUT_S, log);
            return -1;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (!WIFEXITED(status)) {
        fprintf(stderr, "lpae-conform: %s was killed by signal %d\n", argv[0],
                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return -1;
    }
    return WEXITSTATUS(status);
}

static void print_log(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  %s", line);
    if (f)
        fclose(f);
}

static int run_qemu(const opts *o, const char *blob, const char *log)
{
    char dev_guest[4200], dev_blob[4200];
    snprintf(dev_guest, sizeof dev_guest, "loader,file=%s,cpu-num=0", o->guest);
    snprintf(dev_blob, sizeof dev_blob, "loader,file=%s,addr=0x%08" PRIx32 ",force-raw=on", blob,
             CONF_BLOB_ADDR);
    char *argv[] = {(char *)o->qemu,
                    "-machine",
                    "virt,virtualization=on",
                    "-cpu",
                    "cortex-a15",
                    "-m",
                    "1024",
                    "-display",
                    "none",
                    "-nic",
                    "none",
                    "-monitor",
                    "none",
                    "-serial",
                    "none",
                    "-semihosting-config",
                    "enable=on,target=native",
                    "-device",
                    dev_guest,
                    "-device",
                    dev_blob,
                    NULL};
    int st = run_prog(argv, log);
    if (st == 0)
        return 0;
    if (st > 0) {
        fprintf(stderr, "lpae-conform: QEMU exited with status %d; its output:\n", st);
        print_log(log);
    }
    return -1;
}

/* ---- one batch ------------------------------------------------------------- */
static int write_blob(const char *path, const char *out_path, const batch_cfg *cfgs, size_t n,
                      uint64_t nprobes)
{
    conf_blob_header h;
    memset(&h, 0, sizeof h);
    h.magic = CONF_MAGIC;
    h.version = CONF_VERSION;
    h.nconfigs = (uint32_t)n;
    h.nprobes = (uint32_t)nprobes;
    if (strlen(out_path) >= CONF_PATH_MAX) {
        fprintf(stderr, "lpae-conform: work directory path too long: %s\n", out_path);
        return -1;
    }
    strcpy(h.out_path, out_path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "lpae-conform: %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint64_t size = sizeof h;
    fwrite(&h, sizeof h, 1, f);
    for (size_t i = 0; i < n; i++) {
        const batch_cfg *c = &cfgs[i];
        conf_config cc = {c->regs.ttbcr,      c->regs.mair0,       c->regs.mair1,
                          (uint32_t)c->ndesc, (uint32_t)c->nprobe, c->regs.sctlr & LPAE_SCTLR_M,
                          c->regs.ttbr0,      c->regs.ttbr1};
        fwrite(&cc, sizeof cc, 1, f);
        if (c->ndesc) /* a configuration may have no table at all */
            fwrite(c->descs, sizeof *c->descs, c->ndesc, f);
        if (c->nprobe)
            fwrite(c->probes, sizeof *c->probes, c->nprobe, f);
        size += sizeof cc + c->ndesc * sizeof *c->descs + c->nprobe * sizeof *c->probes;
    }
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad || size > CONF_BLOB_MAX) {
        fprintf(stderr, "lpae-conform: %s: %s\n", path,
                bad ? "write failed" : "test description larger than the guest's window");
        return -1;
    }
    return 0;
}

static conf_result *read_results(const char *path, uint64_t nprobes)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "lpae-conform: the probe program wrote no results (%s)\n", path);
        return NULL;
    }
    conf_result_header rh;
    conf_result *r = malloc((nprobes ? nprobes : 1) * sizeof *r);
    bool ok = r && fread(&rh, sizeof rh, 1, f) == 1 && rh.magic == CONF_MAGIC &&
              rh.nprobes == nprobes && fread(r, sizeof *r, nprobes, f) == nprobes;
    fclose(f);
    if (!ok) {
        fprintf(stderr, "lpae-conform: %s: malformed or short result file\n", path);
        free(r);
        return NULL;
    }
    return r;
}

static void fault_cell(uint64_t par, const probe_info *pi, unsigned *row, unsigned *col)
{
    if (!(par & LPAE_PAR_F)) {
        *row = 0; /* success, by the level of the leaf lpae found */
        *col = pi->dkind == DK_BLOCK || pi->dkind == DK_PAGE ? pi->dlevel : 0;
        return;
    }
    unsigned fst = (unsigned)(par >> LPAE_PAR_FST_SHIFT) & 0x3f;
    unsigned type = fst >> 2;
    *col = fst & 3;
    *row = type == 1 ? 1 : type == 2 ? 2 : type == 3 ? 3 : type == 5 ? 4 : type == 0 ? 5 : 6;
}

static int do_batch(const opts *o, batch_cfg *cfgs, size_t n, probe_info *pis, uint64_t nprobes,
                    stats *st)
{
    char blob[4096], res[4096], log[4096];
    snprintf(blob, sizeof blob, "%s/batch.bin", o->work);
    snprintf(res, sizeof res, "%s/results.bin", o->work);
    snprintf(log, sizeof log, "%s/qemu.log", o->work);
    remove(res);
    if (write_blob(blob, res, cfgs, n, nprobes))
        return -1;
    double t0 = now_s();
    if (run_qemu(o, blob, log))
        return -1;
    st->qemu_s += now_s() - t0;
    st->boots++;
    conf_result *q = read_results(res, nprobes);
    if (!q)
        return -1;
    for (size_t c = 0; c < n; c++) {
        const batch_cfg *bc = &cfgs[c];
        conf_case_probe bad[16];
        unsigned nbad = 0;
        lpae_phys *phys = NULL;
        for (size_t i = 0; i < bc->nprobe; i++) {
            size_t k = bc->first + i;
            const probe_info *pi = &pis[k];
            uint64_t qpar = conf_qemu_par(&q[k]);
            conf_verdict v = conf_compare(qpar, pi->lpae_par);
            if (pi->walk_err)
                v.mismatch = true;
            unsigned row, col;
            fault_cell(qpar, pi, &row, &col);
            st->result[row][col]++;
            st->ns_diff += v.ns_differs;
            st->sh_diff += v.sh_differs;
            if (!v.mismatch)
                continue;
            st->mismatches++;
            if (nbad < 16)
                bad[nbad++] = (conf_case_probe){bc->probes[i].va, bc->probes[i].op, q[k]};
            if (st->mismatches <= o->max_report) {
                if (!phys && conf_case_phys(bc->descs, bc->ndesc, &phys))
                    phys = NULL;
                printf("configuration %" PRIu32 " of seed %" PRIu64 " (%s tables):\n", bc->index,
                       o->seed, bc->kind == CONF_KIND_RAW ? "raw" : "lpae_pgtable");
                if (phys)
                    conf_print_mismatch(stdout, &bc->regs, bc->descs, bc->ndesc, phys,
                                        bc->probes[i].va, bc->probes[i].op, &q[k]);
            }
        }
        lpae_phys_destroy(phys);
        char path[4400], note[128];
        if (nbad && o->regress_dir && st->cases_written < o->max_cases) {
            snprintf(path, sizeof path, "%s/s%" PRIu64 "-c%" PRIu32 ".case", o->regress_dir,
                     o->seed, bc->index);
            snprintf(note, sizeof note,
                     "mismatch found by lpae-conform --seed %" PRIu64 ", configuration %" PRIu32,
                     o->seed, bc->index);
            if (conf_case_write(path, note, &bc->regs, bc->descs, bc->ndesc, bad, nbad) == 0) {
                st->cases_written++;
                printf("  kept as regression case %s\n", path);
            } else {
                fprintf(stderr, "lpae-conform: cannot write %s\n", path);
            }
        }
        if (o->golden_dir && !nbad && bc->index < 128 &&
            (bc->index % 9 == 0 || !(bc->regs.sctlr & LPAE_SCTLR_M))) {
            conf_case_probe *all = malloc(bc->nprobe * sizeof *all);
            if (all) {
                for (size_t i = 0; i < bc->nprobe; i++)
                    all[i] =
                        (conf_case_probe){bc->probes[i].va, bc->probes[i].op, q[bc->first + i]};
                snprintf(path, sizeof path, "%s/golden-s%" PRIu64 "-c%03" PRIu32 ".case",
                         o->golden_dir, o->seed, bc->index);
                snprintf(note, sizeof note,
                         "agreement sample: lpae-conform --seed %" PRIu64
                         ", configuration %" PRIu32,
                         o->seed, bc->index);
                if (conf_case_write(path, note, &bc->regs, bc->descs, bc->ndesc, all, bc->nprobe))
                    fprintf(stderr, "lpae-conform: cannot write %s\n", path);
                free(all);
            }
        }
    }
    free(q);
    return 0;
}

/* ---- report ---------------------------------------------------------------- */
static void report(const opts *o, const stats *st, double total_s)
{
    printf("lpae-conform: seed %" PRIu64 ": %" PRIu64 " probes in %" PRIu64
           " configurations, %" PRIu64 " QEMU boot(s), QEMU %.2f s, total %.2f s\n",
           o->seed, st->probes, st->configs, st->boots, st->qemu_s, total_s);
    printf("mismatches: %" PRIu64 " of %" PRIu64 " probes (agreement %.4f %%)\n", st->mismatches,
           st->probes,
           st->probes ? 100.0 * (double)(st->probes - st->mismatches) / (double)st->probes : 0.0);
    if (st->walk_errors)
        printf("lpae_walk() returned an error for %" PRIu64 " probes (counted as mismatches)\n",
               st->walk_errors);
    printf("not compared by rule (docs/conformance.md): PAR.NS differed on %" PRIu64
           " successful probes; PAR.SH differed for Device memory on %" PRIu64 "\n",
           st->ns_diff, st->sh_diff);
    printf("coverage:\n  configurations: %" PRIu64 " lpae_pgtable-built, %" PRIu64 " raw\n",
           st->kinds[CONF_KIND_BUILDER], st->kinds[CONF_KIND_RAW]);
    printf("  ATS operations: ATS1CPR %" PRIu64 ", ATS1CPW %" PRIu64 ", ATS1CUR %" PRIu64
           ", ATS1CUW %" PRIu64 "\n",
           st->ops[0], st->ops[1], st->ops[2], st->ops[3]);
    unsigned pairs = 0;
    for (unsigned i = 0; i < 64; i++)
        pairs += st->pair[i] != 0;
    printf("  splits: %u of 64 T0SZ/T1SZ pairs; probes by T0SZ (rows) x T1SZ (columns):\n", pairs);
    for (unsigned a = 0; a < 8; a++) {
        printf("    T0SZ=%u", a);
        for (unsigned b = 0; b < 8; b++)
            printf(" %7" PRIu64, st->pair[a * 8 + b]);
        printf("\n");
    }
    printf("  descriptors read (lpae's walks), by kind x level:    L1       L2       L3\n");
    for (unsigned k = 0; k < DK_COUNT; k++) {
        if (k == DK_NONE)
            continue;
        printf("    %-9s %-32s", dk_names[k], "");
        for (unsigned l = 1; l <= 3; l++)
            printf(" %8" PRIu64, st->fetched[k][l]);
        printf("\n");
    }
    static const char *const rows[7] = {
        "success (L0: MMU off)", "translation fault",  "access flag fault", "permission fault",
        "ext. abort on walk",    "address size fault", "other fault"};
    printf("  results (QEMU), by kind x level:          L0       L1       L2       L3\n");
    for (unsigned r = 0; r < 7; r++) {
        printf("    %-22s %12s", rows[r], "");
        for (unsigned l = 0; l < 4; l++)
            printf(" %8" PRIu64, st->result[r][l]);
        printf("\n");
    }
    unsigned combos = 0;
    for (unsigned i = 0; i < 16; i++)
        combos += st->ap[i] != 0;
    printf("  AP[2:1] x APTable (successes and permission faults): %u of 16 combinations\n   ",
           combos);
    for (unsigned i = 0; i < 16; i++)
        printf(" %u/%u:%" PRIu64, i / 4, i % 4, st->ap[i]);
    printf("\n");
    static const char *const fl[7] = {"gap", "EPDn", "OA>=4GB", "nG", "NS", "XN", "PXN"};
    printf("  probes that hit:");
    for (unsigned i = 0; i < 7; i++)
        printf(" %s %" PRIu64 "%s", fl[i], st->flags[i], i < 6 ? "," : "\n");
}

/* ---- case files through `lpaesim translate` -------------------------------- */
static int write_case_inputs(const char *work, const conf_case *c, char ***img_args, size_t *nimg)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/regs.txt", work);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "ttbcr = 0x%08" PRIx32 "\nttbr0 = 0x%016" PRIx64 "\nttbr1 = 0x%016" PRIx64
            "\nmair0 = 0x%08" PRIx32 "\nmair1 = 0x%08" PRIx32 "\nsctlr = 0x%08" PRIx32 "\n",
            c->regs.ttbcr, c->regs.ttbr0, c->regs.ttbr1, c->regs.mair0, c->regs.mair1,
            c->regs.sctlr);
    if (fclose(f))
        return -1;
    snprintf(path, sizeof path, "%s/probes.txt", work);
    f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < c->nprobe; i++)
        fprintf(f, "0x%08" PRIx32 " %s\n", c->probes[i].va,
                lpae_access_name(conf_op_access(c->probes[i].op)));
    if (fclose(f))
        return -1;
    /* One 4 KB image per page holding descriptors. */
    *img_args = NULL;
    *nimg = 0;
    for (size_t i = 0; i < c->ndesc; i++) {
        uint32_t page = c->descs[i].pa & ~UINT32_C(0xfff);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = (c->descs[j].pa & ~UINT32_C(0xfff)) == page;
        if (seen)
            continue;
        uint64_t buf[LPAE_ENTRIES_PER_TABLE] = {0};
        for (size_t j = i; j < c->ndesc; j++)
            if ((c->descs[j].pa & ~UINT32_C(0xfff)) == page)
                buf[(c->descs[j].pa & 0xfff) / 8] = c->descs[j].val;
        snprintf(path, sizeof path, "%s/img-%08" PRIx32 ".bin", work, page);
        f = fopen(path, "wb");
        if (!f || fwrite(buf, sizeof buf, 1, f) != 1) {
            if (f)
                fclose(f);
            return -1;
        }
        if (fclose(f))
            return -1;
        char **na = realloc(*img_args, (*nimg + 1) * sizeof *na);
        if (!na)
            return -1;
        *img_args = na;
        size_t len = strlen(path) + 16;
        na[*nimg] = malloc(len);
        if (!na[*nimg])
            return -1;
        snprintf(na[*nimg], len, "0x%08" PRIx32 ":%s", page, path);
        (*nimg)++;
    }
    return 0;
}

/* Replay one case through the CLI; returns mismatches, or -1. */
static long cli_replay_case(const opts *o, const char *work, const char *file, size_t *nprobe,
                            size_t *skipped)
{
    conf_case c;
    char err[512];
    if (conf_case_read(file, &c, err, sizeof err)) {
        fprintf(stderr, "lpae-conform: %s\n", err);
        return -1;
    }
    char **imgs = NULL;
    size_t nimg = 0;
    long bad = -1;
    int chk = lpae_regs_check(&c.regs);
    if (chk) {
        /* lpaesim writes registers through the checked writers, which refuse
         * SBZ bits the walker itself tolerates (the way QEMU does). */
        printf("%s: skipped: lpaesim refuses its registers (%s)\n", file, lpae_err_name(chk));
        conf_case_free(&c);
        (*skipped)++;
        return 0;
    }
    char regs[4200], probes[4200], out[4200];
    snprintf(regs, sizeof regs, "%s/regs.txt", work);
    snprintf(probes, sizeof probes, "%s/probes.txt", work);
    snprintf(out, sizeof out, "%s/lpaesim.out", work);
    char **argv = NULL;
    if (write_case_inputs(work, &c, &imgs, &nimg)) {
        fprintf(stderr, "lpae-conform: cannot write lpaesim inputs in %s\n", work);
        goto done;
    }
    argv = calloc(10 + 2 * nimg, sizeof *argv);
    if (!argv)
        goto done;
    size_t k = 0;
    argv[k++] = (char *)o->lpaesim;
    argv[k++] = "translate";
    argv[k++] = "--regs";
    argv[k++] = regs;
    argv[k++] = "--probes";
    argv[k++] = probes;
    argv[k++] = "--ram";
    argv[k++] = "0x40000000:1G";
    for (size_t i = 0; i < nimg; i++) {
        argv[k++] = "--image";
        argv[k++] = imgs[i];
    }
    int st = run_prog(argv, out);
    if (st != 0) {
        if (st > 0) {
            fprintf(stderr, "lpae-conform: %s: lpaesim translate exited with %d:\n", file, st);
            print_log(out);
        }
        goto done;
    }
    FILE *f = fopen(out, "r");
    if (!f)
        goto done;
    char line[256];
    size_t i = 0;
    bad = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long va, par;
        char acc[8];
        if (sscanf(line, "%llx %7s %llx", &va, acc, &par) != 3)
            continue; /* not a result line */
        if (i >= c.nprobe || va != c.probes[i].va) {
            fprintf(stderr, "lpae-conform: %s: lpaesim output does not follow the probes at '%s'",
                    file, line);
            bad = -1;
            break;
        }
        if (conf_compare(conf_qemu_par(&c.probes[i].q), par).mismatch) {
            printf("%s: lpaesim translate gives 0x%016llx for 0x%08llx %s, QEMU 0x%016" PRIx64 "\n",
                   file, par, va, acc, conf_qemu_par(&c.probes[i].q));
            bad++;
        }
        i++;
    }
    fclose(f);
    if (bad >= 0 && i != c.nprobe) {
        fprintf(stderr, "lpae-conform: %s: lpaesim printed %zu results for %zu probes\n", file, i,
                c.nprobe);
        bad = -1;
    }
    if (bad > 0 && c.open_note[0]) {
        printf("%s: known open disagreement (%s)\n", file, c.open_note);
        bad = 0;
    }
    *nprobe += c.nprobe;
done:
    for (size_t j = 0; j < nimg; j++)
        free(imgs[j]);
    free(imgs);
    free(argv);
    conf_case_free(&c);
    return bad;
}

static int cli_replay_dir(const opts *o)
{
    if (!in_path(o->lpaesim)) {
        fprintf(stderr, "lpae-conform: %s not found or not executable\n", o->lpaesim);
        return 2;
    }
    DIR *d = opendir(o->cases);
    if (!d) {
        fprintf(stderr, "lpae-conform: %s: %s\n", o->cases, strerror(errno));
        return 2;
    }
    char work[] = "/tmp/lpae-conform-cli.XXXXXX";
    if (!mkdtemp(work)) {
        closedir(d);
        fprintf(stderr, "lpae-conform: cannot create a work directory: %s\n", strerror(errno));
        return 2;
    }
    struct dirent *e;
    size_t files = 0, probes = 0, skipped = 0;
    long mismatches = 0;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".case"))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", o->cases, e->d_name);
        long bad = cli_replay_case(o, work, path, &probes, &skipped);
        if (bad < 0) {
            rc = 2;
            break;
        }
        mismatches += bad;
        files++;
    }
    closedir(d);
    /* Remove what this run wrote in its own work directory. */
    DIR *w = opendir(work);
    while (w && (e = readdir(w))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", work, e->d_name);
        remove(path);
    }
    if (w)
        closedir(w);
    rmdir(work);
    if (rc)
        return rc;
    printf("lpae-conform: lpaesim translate on %zu case files (%zu skipped), %zu probes: %ld "
           "disagree with QEMU\n",
           files - skipped, skipped, probes, mismatches);
    if (files == skipped) {
        fprintf(stderr, "lpae-conform: no .case files in %s\n", o->cases);
        return 2;
    }
    return mismatches ? 1 : 0;
}

/* ---- main ------------------------------------------------------------------ */
static int usage(FILE *f)
{
    fprintf(f, "usage: lpae-conform --guest PROBE.ELF [--qemu qemu-system-arm] [--probes N]\n"
               "         [--seed S] [--per-config K] [--batch P] [--work DIR]\n"
               "         [--regress-dir DIR] [--max-cases N] [--max-report N] [--golden-dir DIR]\n"
               "   or: lpae-conform --lpaesim PATH/lpaesim --cases DIR\n"
               "Runs N probes (default 1000000) of seed S through QEMU's ARMv7 MMU and lpae,\n"
               "compares every PAR and prints mismatches and coverage. Exit status 1 when\n"
               "any probe disagrees, 2 on a usage or environment error.\n"
               "The second form replays every DIR/NAME.case through `lpaesim translate` and\n"
               "compares its PARs with the QEMU results recorded in the case.\n");
    return f == stdout ? 0 : 2;
}

static int parse_num(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {1000000, 1,  150, 200000, NULL, "qemu-system-arm", NULL, NULL,
              NULL,    10, 20,  NULL,   NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout);
        if (!v) {
            fprintf(stderr, "lpae-conform: %s needs a value (try --help)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--guest"))
            o.guest = v;
        else if (!strcmp(a, "--qemu"))
            o.qemu = v;
        else if (!strcmp(a, "--work"))
            o.work = v;
        else if (!strcmp(a, "--regress-dir"))
            o.regress_dir = v;
        else if (!strcmp(a, "--golden-dir"))
            o.golden_dir = v;
        else if (!strcmp(a, "--lpaesim"))
            o.lpaesim = v;
        else if (!strcmp(a, "--cases"))
            o.cases = v;
        else if (parse_num(v, &n)) {
            fprintf(stderr, "lpae-conform: %s expects a number, got '%s'\n", a, v);
            return 2;
        } else if (!strcmp(a, "--probes"))
            o.probes = n;
        else if (!strcmp(a, "--seed"))
            o.seed = n;
        else if (!strcmp(a, "--per-config") && n >= 1 && n <= 100000)
            o.per_config = (unsigned)n;
        else if (!strcmp(a, "--batch") && n >= 1 && n <= 4000000)
            o.batch = n;
        else if (!strcmp(a, "--max-report") && n <= 100000)
            o.max_report = (unsigned)n;
        else if (!strcmp(a, "--max-cases") && n <= 100000)
            o.max_cases = (unsigned)n;
        else {
            fprintf(stderr, "lpae-conform: unknown option or value out of range: %s %s\n", a, v);
            return 2;
        }
    }
    if (o.lpaesim || o.cases) {
        if (!o.lpaesim || !o.cases) {
            fprintf(stderr, "lpae-conform: --lpaesim PATH and --cases DIR go together\n");
            return 2;
        }
        return cli_replay_dir(&o);
    }
    if (!o.guest) {
        fprintf(stderr, "lpae-conform: --guest PROBE.ELF is required (try --help)\n");
        return 2;
    }
    if (access(o.guest, R_OK)) {
        fprintf(stderr,
                "lpae-conform: probe program %s is missing: arm-none-eabi-gcc was not "
                "found when CMake configured; install gcc-arm-none-eabi (make deps) and "
                "re-run cmake\n",
                o.guest);
        return 2;
    }
    if (!in_path(o.qemu)) {
        fprintf(stderr, "lpae-conform: %s not found: install qemu-system-arm (make deps)\n",
                o.qemu);
        return 2;
    }
    const char *dirs[2] = {o.regress_dir, o.golden_dir};
    for (unsigned i = 0; i < 2; i++)
        if (dirs[i] && mkdir(dirs[i], 0755) && errno != EEXIST) {
            fprintf(stderr, "lpae-conform: %s: %s\n", dirs[i], strerror(errno));
            return 2;
        }
    char workbuf[] = "/tmp/lpae-conform.XXXXXX";
    bool own_work = !o.work;
    if (own_work) {
        if (!mkdtemp(workbuf)) {
            fprintf(stderr, "lpae-conform: cannot create a work directory: %s\n", strerror(errno));
            return 2;
        }
        o.work = workbuf;
    } else if (mkdir(o.work, 0755) && errno != EEXIST) {
        fprintf(stderr, "lpae-conform: %s: %s\n", o.work, strerror(errno));
        return 2;
    }
    /* The probe program opens its result file by this name through QEMU's
     * semihosting, relative to QEMU's working directory: make it absolute. */
    char *absw = malloc(8192);
    if (!absw || (o.work[0] != '/' && !getcwd(absw, 4096))) {
        fprintf(stderr, "lpae-conform: cannot resolve the work directory %s\n", o.work);
        free(absw);
        return 2;
    }
    if (o.work[0] == '/')
        snprintf(absw, 8192, "%s", o.work);
    else
        snprintf(absw + strlen(absw), 8192 - strlen(absw), "/%s", o.work);
    o.work = absw;

    stats *st = calloc(1, sizeof *st);
    size_t cap = (size_t)((o.batch + o.per_config - 1) / o.per_config) + 1;
    batch_cfg *cfgs = calloc(cap, sizeof *cfgs);
    probe_info *pis = malloc((size_t)(o.batch + o.per_config) * sizeof *pis);
    int rc = 0;
    if (!st || !cfgs || !pis) {
        fprintf(stderr, "lpae-conform: out of memory\n");
        rc = 2;
        goto out;
    }
    double t0 = now_s();
    uint32_t index = 0;
    while (st->probes < o.probes && !rc) {
        size_t n = 0;
        uint64_t nb = 0;
        while (nb < o.batch && st->probes + nb < o.probes && n + 1 < cap) {
            uint64_t left = o.probes - st->probes - nb;
            unsigned k = left < o.per_config ? (unsigned)left : o.per_config;
            conf_cfg c;
            int err = conf_gen(o.seed, index, k, &c);
            if (err) {
                fprintf(stderr, "lpae-conform: generating configuration %" PRIu32 ": %s\n", index,
                        lpae_strerror(err));
                rc = 2;
                break;
            }
            batch_cfg *b = &cfgs[n++];
            *b = (batch_cfg){c.regs, c.index, c.kind, c.descs, c.ndesc, c.probes, c.nprobe, nb};
            for (size_t i = 0; i < c.nprobe; i++) {
                probe_info *pi = &pis[nb + i];
                lpae_side(&c.regs, c.phys, c.probes[i].va, c.probes[i].op, pi, st);
                st->pair[pi->pair]++;
                st->ops[c.probes[i].op & 3]++;
                st->walk_errors += pi->walk_err;
                if (pi->apcombo != 0xff)
                    st->ap[pi->apcombo]++;
                for (unsigned f = 0; f < 7; f++)
                    st->flags[f] += (pi->flags >> f) & 1;
            }
            st->kinds[c.kind]++;
            nb += c.nprobe;
            c.descs = NULL;
            c.probes = NULL;
            conf_cfg_release(&c);
            index++;
        }
        if (!rc && n && do_batch(&o, cfgs, n, pis, nb, st))
            rc = 2;
        st->probes += nb;
        st->configs += n;
        for (size_t i = 0; i < n; i++) {
            free(cfgs[i].descs);
            free(cfgs[i].probes);
        }
    }
    if (!rc) {
        report(&o, st, now_s() - t0);
        rc = st->mismatches ? 1 : 0;
    }
out:
    if (own_work) {
        char p[4200];
        snprintf(p, sizeof p, "%s/batch.bin", o.work);
        remove(p);
        snprintf(p, sizeof p, "%s/results.bin", o.work);
        remove(p);
        snprintf(p, sizeof p, "%s/qemu.log", o.work);
        remove(p);
        rmdir(o.work);
    }
    free(absw);
    free(st);
    free(cfgs);
    free(pis);
    return rc;
}
