/* SPDX-License-Identifier: MIT */
/* lpae-bench: on this workload and this CPU, what does each user-access
 * strategy cost, and why? Replays traces through every requested
 * configuration in one pass per trace and prints the comparison report.
 * docs/report.md explains the output. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lpae/cost.h"
#include "lpae/err.h"
#include "lpae/kernel.h"
#include "lpae/replay.h"
#include "lpae/report.h"
#include "lpae/split.h"
#include "lpae/trace.h"

#define PROG "lpae-bench"
#define MAX_LIST 16
#define MAX_SWEEP 64
#define MAX_RAM 4

static const char usage_text[] =
    "usage: " PROG " [options] TRACE...\n"
    "  --cpu PRESET,...        CPU presets (default cortex-a15)\n"
    "  --split NAME,...        splits to run every strategy under (default: each strategy's\n"
    "                          natural split; impossible combinations are skipped)\n"
    "  --strategy NAME,...     direct, ttbr0-pan, pinned, ttbr0-switch, hybrid (default all)\n"
    "  --ram SIZE              simulated RAM, e.g. 1G, 8G (default: 2G + 6G)\n"
    "  --cpus N                simulated CPUs 1..8 (default: the trace's gen.cpus, else 1)\n"
    "  --config FILE           cost overrides, 'key = value' lines (docs/cycle-model.md)\n"
    "  --threshold N           hybrid threshold in bytes (default: best of 32..8192)\n"
    "  --sweep PARAM=LO..HI[:STEPS]  sweep 'threshold' or a cost parameter key\n"
    "  --seed N                seed of the simulated kernels (default 1)\n"
    "  --format table|csv|json report on stdout (default table)\n"
    "  --json FILE             also write the JSON report to FILE\n"
    "  --svg FILE              write a stacked bar chart of the breakdown to FILE\n"
    "  --skip-bad              skip malformed trace lines and count them\n"
    "  --vmas auto|strict|implicit  user accesses outside every VMA: strict = -EFAULT;\n"
    "                          implicit = map the 1 MB around them (mappings made before\n"
    "                          the capture began); auto = implicit for imported strace and\n"
    "                          ftrace captures, strict otherwise (default auto)\n"
    "  --progress / --no-progress   force the stderr progress bar on or off\n";

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* ---- options ------------------------------------------------------------- */

typedef struct opts {
    const char *cpus[MAX_LIST];
    size_t ncpu;
    lpae_split splits[MAX_LIST];
    size_t nsplit;
    lpae_strategy strats[LPAE_STRAT_COUNT];
    size_t nstrat;
    lpae_ram_range ram[MAX_RAM];
    size_t nram;
    unsigned ncpus; /* 0 = from the trace */
    const char *config;
    uint32_t threshold; /* 0 = ladder */
    bool have_sweep;
    char sweep_param[LPAE_TRACE_KEY_MAX];
    int sweep_id; /* cost parameter, or -1 for threshold */
    uint32_t sweep_values[MAX_SWEEP];
    size_t nsweep;
    uint64_t seed;
    const char *format;
    const char *json_file;
    const char *svg_file;
    bool skip_bad;
    int progress; /* -1 auto */
    int vmas;     /* -1 auto, 0 strict, 1 implicit */
} opts;

static const uint32_t ladder[] = {32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
#define NLADDER (sizeof(ladder) / sizeof(ladder[0]))

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return -1;
    unsigned sh = 0;
    if (*end == 'K' || *end == 'k')
        sh = 10;
    else if (*end == 'M' || *end == 'm')
        sh = 20;
    else if (*end == 'G' || *end == 'g')
        sh = 30;
    if (sh)
        end++;
    if (*end || v > (UINT64_MAX >> sh))
        return -1;
    *out = (uint64_t)v << sh;
    return 0;
}

/* Split @p s at commas into @p items (pointers into @p s, modified). */
static size_t split_list(char *s, char **items, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        items[n++] = tok;
    return n;
}

static int parse_sweep(opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(o->sweep_param))
        return die("--sweep %s: expected PARAM=LO..HI[:STEPS]%s", arg, "");
    memcpy(o->sweep_param, arg, (size_t)(eq - arg));
    o->sweep_param[eq - arg] = '\0';
    if (strcmp(o->sweep_param, "threshold") == 0) {
        o->sweep_id = -1;
    } else {
        o->sweep_id = lpae_param_find(o->sweep_param);
        if (o->sweep_id < 0)
            return die("--sweep %s: expected 'threshold' or a cost parameter key such as "
                       "cp15.ttbr0 (unknown '%s')",
                       arg, o->sweep_param);
        const lpae_param_info *pi = lpae_param_get_info((lpae_param)o->sweep_id);
        if (pi->type != LPAE_PT_CYCLES && pi->type != LPAE_PT_COUNT && pi->type != LPAE_PT_BYTES &&
            pi->type != LPAE_PT_MHZ)
            return die("--sweep %s: parameter '%s' is not numeric", arg, o->sweep_param);
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", eq + 1);
    char *dots = strstr(buf, "..");
    if (!dots)
        return die("--sweep %s: expected PARAM=LO..HI[:STEPS]%s", arg, "");
    *dots = '\0';
    char *hi_s = dots + 2, *steps_s = strchr(hi_s, ':');
    if (steps_s)
        *steps_s++ = '\0';
    uint64_t lo, hi, steps = 7;
    if (parse_size(buf, &lo))
        return die("--sweep %s: expected a number for LO, got '%s'", arg, buf);
    if (parse_size(hi_s, &hi) || hi < lo || hi > UINT32_MAX)
        return die("--sweep %s: expected HI >= LO and below 2^32, got '%s'", arg, hi_s);
    if (steps_s && (parse_u64(steps_s, &steps) || steps < 2 || steps > MAX_SWEEP))
        return die("--sweep %s: expected STEPS between 2 and 64, got '%s'", arg, steps_s);
    /* geometric when the range spans a factor of 8 or more, linear otherwise */
    bool geo = lo > 0 && hi >= 8 * lo;
    o->nsweep = 0;
    for (uint64_t i = 0; i < steps; i++) {
        double f = (double)i / (double)(steps - 1), v;
        if (geo)
            v = (double)lo * pow((double)hi / (double)lo, f);
        else
            v = (double)lo + ((double)hi - (double)lo) * f;
        uint32_t u = (uint32_t)(v + 0.5);
        if (i == steps - 1)
            u = (uint32_t)hi;
        if (o->nsweep && o->sweep_values[o->nsweep - 1] >= u)
            continue;
        o->sweep_values[o->nsweep++] = u;
    }
    o->have_sweep = true;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o, char **traces, int *ntraces)
{
    int nt = 0;
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->format = "table";
    o->progress = -1;
    o->vmas = -1;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            traces[nt++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                traces[nt++] = argv[i];
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (strcmp(a, "--skip-bad") == 0) {
            o->skip_bad = true;
            continue;
        }
        if (strcmp(a, "--progress") == 0 || strcmp(a, "--no-progress") == 0) {
            o->progress = a[2] == 'p';
            continue;
        }
        static const char *const with_arg[] = {
            "--cpu",   "--split", "--strategy", "--ram",  "--cpus", "--config", "--threshold",
            "--sweep", "--seed",  "--format",   "--json", "--svg",  "--vmas"};
        bool known = false;
        for (size_t k = 0; k < sizeof(with_arg) / sizeof(with_arg[0]); k++)
            known |= strcmp(a, with_arg[k]) == 0;
        if (!known)
            return die("unknown option '%s' (see --help)%s", a, "");
        if (i + 1 >= argc)
            return die("%s: expected a value%s", a, "");
        char *v = argv[++i];
        char *items[MAX_LIST + 1];
        if (strcmp(a, "--cpu") == 0) {
            o->ncpu = split_list(v, items, MAX_LIST + 1);
            if (o->ncpu == 0 || o->ncpu > MAX_LIST)
                return die("--cpu: expected 1 to 16 preset names%s%s", "", "");
            for (size_t k = 0; k < o->ncpu; k++)
                o->cpus[k] = items[k];
        } else if (strcmp(a, "--split") == 0) {
            size_t n = split_list(v, items, MAX_LIST + 1);
            if (n == 0 || n > MAX_LIST)
                return die("--split: expected 1 to 16 split names%s%s", "", "");
            for (size_t k = 0; k < n; k++)
                if (lpae_split_find(items[k], &o->splits[k]))
                    return die("--split: unknown split '%s' (e.g. VMSPLIT_3G, VMSPLIT_4G_4G)%s",
                               items[k], "");
            o->nsplit = n;
        } else if (strcmp(a, "--strategy") == 0) {
            size_t n = split_list(v, items, MAX_LIST + 1);
            if (n == 0 || n > LPAE_STRAT_COUNT)
                return die("--strategy: expected 1 to 5 strategy names%s%s", "", "");
            for (size_t k = 0; k < n; k++) {
                if (lpae_strategy_parse(items[k], &o->strats[k]))
                    return die("--strategy: unknown strategy '%s' (direct, ttbr0-pan, pinned, "
                               "ttbr0-switch, hybrid)%s",
                               items[k], "");
                for (size_t j = 0; j < k; j++)
                    if (o->strats[j] == o->strats[k])
                        return die("--strategy: '%s' given twice%s", items[k], "");
            }
            o->nstrat = n;
        } else if (strcmp(a, "--ram") == 0) {
            uint64_t sz;
            if (parse_size(v, &sz) || sz < (16u << 20) || sz > (UINT64_C(62) << 30))
                return die("--ram %s: expected a size between 16M and 62G (e.g. 1G)%s", v, "");
            /* up to 2 GB at 0x80000000, the rest from 0x100000000 */
            uint64_t low = sz < (UINT64_C(2) << 30) ? sz : (UINT64_C(2) << 30);
            o->ram[0] = (lpae_ram_range){UINT64_C(0x80000000), low};
            o->nram = 1;
            if (sz > low)
                o->ram[o->nram++] = (lpae_ram_range){UINT64_C(0x100000000), sz - low};
        } else if (strcmp(a, "--cpus") == 0) {
            uint64_t n;
            if (parse_u64(v, &n) || n < 1 || n > 8)
                return die("--cpus %s: expected a number from 1 to 8%s", v, "");
            o->ncpus = (unsigned)n;
        } else if (strcmp(a, "--config") == 0) {
            o->config = v;
        } else if (strcmp(a, "--threshold") == 0) {
            uint64_t n;
            if (parse_size(v, &n) || n > UINT32_MAX)
                return die("--threshold %s: expected a byte count (e.g. 256, 4K)%s", v, "");
            o->threshold = (uint32_t)n;
        } else if (strcmp(a, "--sweep") == 0) {
            int rc = parse_sweep(o, v);
            if (rc)
                return rc;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_u64(v, &o->seed))
                return die("--seed %s: expected a number%s", v, "");
        } else if (strcmp(a, "--format") == 0) {
            if (strcmp(v, "table") != 0 && strcmp(v, "csv") != 0 && strcmp(v, "json") != 0)
                return die("--format %s: expected table, csv or json%s", v, "");
            o->format = v;
        } else if (strcmp(a, "--json") == 0) {
            o->json_file = v;
        } else if (strcmp(a, "--vmas") == 0) {
            if (strcmp(v, "auto") == 0)
                o->vmas = -1;
            else if (strcmp(v, "strict") == 0)
                o->vmas = 0;
            else if (strcmp(v, "implicit") == 0)
                o->vmas = 1;
            else
                return die("--vmas %s: expected auto, strict or implicit%s", v, "");
        } else if (strcmp(a, "--svg") == 0) {
            o->svg_file = v;
        }
    }
    if (nt == 0)
        return die("expected at least one TRACE (see --help)%s%s", "", "");
    if (o->ncpu == 0) {
        o->cpus[0] = "cortex-a15";
        o->ncpu = 1;
    }
    if (o->nstrat == 0) {
        for (int s = 0; s < LPAE_STRAT_COUNT; s++)
            o->strats[s] = (lpae_strategy)s;
        o->nstrat = LPAE_STRAT_COUNT;
    }
    *ntraces = nt;
    return 0;
}

/* ---- one trace ----------------------------------------------------------- */

/* A configuration in the replay. */
typedef struct job {
    size_t cpu; /* index into opts.cpus */
    size_t col; /* strategy/split column */
    uint32_t threshold;
    int sweep;   /* sweep value index, -1 for the main results */
    bool ladder; /* one rung of the hybrid ladder */
    int idx;     /* replay index */
} job;

typedef struct column {
    lpae_strategy strategy;
    lpae_split split;
} column;

typedef struct bench {
    const opts *o;
    lpae_cost *cost[MAX_LIST];              /* per CPU preset */
    lpae_cost *swcost[MAX_LIST][MAX_SWEEP]; /* per CPU preset and sweep value */
    column cols[LPAE_STRAT_COUNT * MAX_LIST];
    size_t ncol;
} bench;

/* Progress bar on stderr. */
typedef struct progress {
    const char *name;
    double t0;
    bool shown;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_cb(void *ctx, const lpae_replay_progress *p)
{
    progress *pg = ctx;
    double dt = now_s() - pg->t0;
    double rate = dt > 0 ? (double)p->events / dt : 0;
    char eta[32] = "--:--";
    int pc = -1;
    if (p->total_bytes && p->bytes) {
        double f = (double)p->bytes / (double)p->total_bytes;
        if (f > 1)
            f = 1;
        pc = (int)(f * 100);
        if (f > 0.01) {
            unsigned left = (unsigned)(dt / f - dt + 0.5);
            snprintf(eta, sizeof(eta), "%u:%02u", left / 60, left % 60);
        }
    }
    char bar[26];
    int fill = pc < 0 ? 0 : pc / 4;
    for (int i = 0; i < 25; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[25] = '\0';
    if (pc >= 0)
        fprintf(stderr, "\r%s [%s] %3d%% %" PRIu64 " events %.2f Mev/s, %s left ", pg->name, bar,
                pc, p->events, rate / 1e6, eta);
    else
        fprintf(stderr, "\r%s %" PRIu64 " events %.2f Mev/s ", pg->name, p->events, rate / 1e6);
    pg->shown = true;
}

/* What the trace's header says about how to replay it: CPUs (--cpus, else its
 * generator's gen.cpus, else 1) and whether accesses outside every VMA map one
 * (--vmas; auto: yes for captures imported from strace or ftrace, whose
 * exec-time mappings and stack predate the capture). Standard input cannot be
 * read twice, so it gets 1 CPU and strict VMAs unless told otherwise. */
static void trace_info(const opts *o, const char *path, unsigned *ncpus, bool *implicit)
{
    *ncpus = o->ncpus ? o->ncpus : 1;
    *implicit = o->vmas == 1;
    if (strcmp(path, "-") == 0)
        return;
    lpae_trace_ropts ro = {0};
    ro.skip_bad = o->skip_bad;
    lpae_trace_reader *r = NULL;
    if (lpae_trace_reader_open(path, &ro, &r) == 0) {
        lpae_kernel_config kc;
        lpae_kernel_config_init(&kc);
        kc.ncpus = *ncpus;
        lpae_replay_config_for_trace(r, &kc);
        if (!o->ncpus)
            *ncpus = kc.ncpus;
        if (o->vmas < 0)
            *implicit = kc.implicit_vmas;
    }
    lpae_trace_reader_close(r);
}

static int add_job(lpae_replay *rp, const bench *b, job *jobs, size_t *njobs, size_t max, job j,
                   unsigned ncpus, bool implicit_vmas, const lpae_cost *cost)
{
    const opts *o = b->o;
    lpae_kernel_config kc;
    lpae_kernel_config_init(&kc);
    kc.cost = cost;
    kc.ncpus = ncpus;
    kc.split = b->cols[j.col].split;
    kc.ram = o->nram ? o->ram : NULL;
    kc.nram = o->nram;
    kc.strategy = b->cols[j.col].strategy;
    if (j.threshold)
        kc.hybrid_threshold = j.threshold;
    j.threshold = kc.hybrid_threshold; /* the one in effect (the kernel's default if none) */
    kc.seed = o->seed;
    kc.implicit_vmas = implicit_vmas;
    if (*njobs >= max)
        return LPAE_ENOMEM;
    int idx = lpae_replay_add(rp, &kc);
    if (idx < 0)
        return idx;
    j.idx = idx;
    jobs[(*njobs)++] = j;
    return 0;
}

typedef struct trace_out {
    lpae_report_result *res;
    size_t nres;
    uint32_t *lthr;
    lpae_cycles_t *lcyc;
    lpae_report_sweep *sweeps;
    size_t nsweeps;
    lpae_strategy *sw_strat;
    const char **sw_split;
    lpae_cycles_t *sw_cycles;
    int *sw_status;
    uint32_t *sw_values;
    char **msgs;
    size_t nmsgs;
} trace_out;

static void trace_out_free(trace_out *t)
{
    free(t->res);
    free(t->lthr);
    free(t->lcyc);
    free(t->sweeps);
    free(t->sw_strat);
    free(t->sw_split);
    free(t->sw_cycles);
    free(t->sw_status);
    free(t->sw_values);
    for (size_t i = 0; i < t->nmsgs; i++)
        free(t->msgs[i]);
    free(t->msgs);
}

static const char *keep_msg(trace_out *t, const char *m)
{
    char *c = strdup(m ? m : "");
    if (!c)
        return "";
    t->msgs[t->nmsgs++] = c;
    return c;
}

/* Replay @p path through every configuration; fill @p rt and @p to. Returns 0, or 2 after
 * printing one line (bad input). */
static int run_trace(bench *b, const char *path, lpae_report_trace *rt, trace_out *to)
{
    const opts *o = b->o;
    if (b->ncol == 0 || o->ncpu == 0)
        return 2; /* main() refuses such runs before any trace: no result to size */
    unsigned ncpus;
    bool implicit;
    trace_info(o, path, &ncpus, &implicit);
    lpae_replay *rp = NULL;
    if (lpae_replay_create(&rp))
        return die("%s: out of memory%s", path, "");
    bool cost_sweep = o->have_sweep && o->sweep_id >= 0;
    size_t hyb_rungs = o->threshold ? 1 : NLADDER;
    size_t max = o->ncpu * b->ncol * (hyb_rungs + (o->have_sweep ? o->nsweep : 0)) + 1;
    job *jobs = calloc(max, sizeof(*jobs));
    if (!jobs) {
        lpae_replay_destroy(rp);
        return die("%s: out of memory%s", path, "");
    }
    size_t njobs = 0;
    int rc = 0;
    for (size_t c = 0; c < o->ncpu && !rc; c++) {
        for (size_t k = 0; k < b->ncol && !rc; k++) {
            bool hyb = b->cols[k].strategy == LPAE_STRAT_HYBRID;
            if (hyb && !o->threshold) {
                for (size_t l = 0; l < NLADDER && !rc; l++)
                    rc = add_job(rp, b, jobs, &njobs, max, (job){c, k, ladder[l], -1, true, 0},
                                 ncpus, implicit, b->cost[c]);
            } else {
                rc = add_job(rp, b, jobs, &njobs, max, (job){c, k, o->threshold, -1, false, 0},
                             ncpus, implicit, b->cost[c]);
            }
            if (!o->have_sweep)
                continue;
            for (size_t v = 0; v < o->nsweep && !rc; v++) {
                if (!cost_sweep && !hyb)
                    continue; /* a threshold sweep only changes hybrid */
                uint32_t thr = cost_sweep ? o->threshold : o->sweep_values[v];
                rc = add_job(rp, b, jobs, &njobs, max, (job){c, k, thr, (int)v, false, 0}, ncpus,
                             implicit, cost_sweep ? b->swcost[c][v] : b->cost[c]);
            }
        }
    }
    if (rc) {
        free(jobs);
        lpae_replay_destroy(rp);
        return die("%s: cannot build the simulated kernels: %s", path, lpae_strerror(rc));
    }

    progress pg = {path, now_s(), false};
    lpae_replay_opts ro = {0};
    bool show = o->progress == 1 || (o->progress == -1 && isatty(2));
    if (show) {
        ro.progress = progress_cb;
        ro.progress_ctx = &pg;
        ro.progress_every = 1u << 16;
    }
    lpae_trace_ropts tro = {0};
    tro.skip_bad = o->skip_bad;
    lpae_replay_summary sum;
    rc = lpae_replay_run_path(rp, path, &tro, &ro, &sum);
    if (pg.shown)
        fprintf(stderr, "\r\033[K");
    if (rc) {
        free(jobs);
        lpae_replay_destroy(rp);
        fprintf(stderr, PROG ": %s\n", sum.error[0] ? sum.error : lpae_strerror(rc));
        return 2;
    }

    /* collect */
    to->msgs = calloc(njobs + o->ncpu * b->ncol,
                      sizeof(char *)); /* at most one per job + one per result */
    to->res = calloc(o->ncpu * b->ncol, sizeof(*to->res));
    to->lthr = calloc(o->ncpu * b->ncol * NLADDER, sizeof(uint32_t));
    to->lcyc = calloc(o->ncpu * b->ncol * NLADDER, sizeof(lpae_cycles_t));
    size_t nsw = o->have_sweep ? o->ncpu : 0, cells = nsw * o->nsweep * b->ncol;
    to->sweeps = calloc(nsw ? nsw : 1, sizeof(*to->sweeps));
    to->sw_strat = calloc(b->ncol, sizeof(lpae_strategy));
    to->sw_split = calloc(b->ncol, sizeof(char *));
    to->sw_cycles = calloc(cells ? cells : 1, sizeof(lpae_cycles_t));
    to->sw_status = calloc(cells ? cells : 1, sizeof(int));
    to->sw_values = calloc(o->nsweep ? o->nsweep : 1, sizeof(uint32_t));
    if (!to->msgs || !to->res || !to->lthr || !to->lcyc || !to->sweeps || !to->sw_strat ||
        !to->sw_split || !to->sw_cycles || !to->sw_status || !to->sw_values) {
        free(jobs);
        lpae_replay_destroy(rp);
        return die("%s: out of memory%s", path, "");
    }
    for (size_t k = 0; k < b->ncol; k++) {
        to->sw_strat[k] = b->cols[k].strategy;
        to->sw_split[k] = b->cols[k].split.name;
    }
    for (size_t v = 0; v < o->nsweep; v++)
        to->sw_values[v] = o->sweep_values[v];
    for (size_t c = 0; c < o->ncpu; c++) {
        for (size_t k = 0; k < b->ncol; k++) {
            size_t slot = c * b->ncol + k;
            lpae_report_result *r = &to->res[slot];
            r->cpu = o->cpus[c];
            r->split = b->cols[k].split.name;
            r->strategy = b->cols[k].strategy;
            r->status = LPAE_ESTATE;
            r->error = "not run";
            bool have = false;
            for (size_t j = 0; j < njobs; j++) {
                const job *jb = &jobs[j];
                if (jb->cpu != c || jb->col != k || jb->sweep >= 0)
                    continue;
                const char *msg;
                int st = lpae_replay_status(rp, (size_t)jb->idx, &msg);
                lpae_kernel_stats ks;
                if (!st)
                    st = lpae_replay_stats(rp, (size_t)jb->idx, &ks);
                if (jb->ladder) {
                    size_t n = r->nladder++;
                    to->lthr[slot * NLADDER + n] = jb->threshold;
                    to->lcyc[slot * NLADDER + n] = st ? 0 : ks.cycles;
                    r->ladder_threshold = &to->lthr[slot * NLADDER];
                    r->ladder_cycles = &to->lcyc[slot * NLADDER];
                }
                /* keep the first clean result, or a cheaper rung of the ladder */
                if (!st && (!have || ks.cycles < r->st.cycles)) {
                    r->st = ks;
                    r->status = 0;
                    r->error = NULL;
                    r->threshold = r->strategy == LPAE_STRAT_HYBRID ? jb->threshold : 0;
                    have = true;
                } else if (st && !have) {
                    r->status = st;
                    r->error = keep_msg(to, msg);
                }
            }
            if (r->strategy == LPAE_STRAT_HYBRID && o->threshold == 0 && r->status == 0) {
                /* a ladder with failed rungs is reported as failed: its best is unknown */
                for (size_t j = 0; j < njobs; j++)
                    if (jobs[j].cpu == c && jobs[j].col == k && jobs[j].ladder) {
                        const char *msg;
                        int st = lpae_replay_status(rp, (size_t)jobs[j].idx, &msg);
                        if (st) {
                            r->status = st;
                            r->error = keep_msg(to, msg);
                            break;
                        }
                    }
            }
            for (size_t j = 0; j < njobs; j++) {
                const job *jb = &jobs[j];
                if (jb->cpu != c || jb->sweep < 0)
                    continue;
                size_t cell = (c * o->nsweep + (size_t)jb->sweep) * b->ncol + k;
                if (jb->col != k)
                    continue;
                lpae_kernel_stats ks;
                int st = lpae_replay_status(rp, (size_t)jb->idx, NULL);
                if (!st)
                    st = lpae_replay_stats(rp, (size_t)jb->idx, &ks);
                to->sw_status[cell] = st;
                to->sw_cycles[cell] = st ? 0 : ks.cycles;
            }
        }
        if (o->have_sweep) {
            /* a threshold sweep: the strategies it does not change keep their one result */
            for (size_t k = 0; k < b->ncol; k++) {
                if (o->sweep_id >= 0 || b->cols[k].strategy == LPAE_STRAT_HYBRID)
                    continue;
                const lpae_report_result *r = &to->res[c * b->ncol + k];
                for (size_t v = 0; v < o->nsweep; v++) {
                    size_t cell = (c * o->nsweep + v) * b->ncol + k;
                    to->sw_status[cell] = r->status;
                    to->sw_cycles[cell] = r->status ? 0 : r->st.cycles;
                }
            }
            lpae_report_sweep *sw = &to->sweeps[to->nsweeps++];
            sw->trace = path;
            sw->cpu = o->cpus[c];
            sw->param = o->sweep_param;
            sw->nvalues = o->nsweep;
            sw->values = to->sw_values;
            sw->nstrategies = b->ncol;
            sw->strategies = to->sw_strat;
            sw->splits = to->sw_split;
            sw->cycles = &to->sw_cycles[c * o->nsweep * b->ncol];
            sw->status = &to->sw_status[c * o->nsweep * b->ncol];
        }
    }
    to->nres = o->ncpu * b->ncol;
    rt->trace = path;
    rt->events = sum.events;
    rt->bytes_read = sum.bytes;
    rt->skipped = sum.skipped;
    rt->status = 0;
    rt->error = NULL;
    rt->results = to->res;
    rt->nresults = to->nres;
    free(jobs);
    lpae_replay_destroy(rp);
    return 0;
}

/* ---- output files -------------------------------------------------------- */

typedef int (*render_fn)(FILE *out, const lpae_report *rep);

/* Write @p path through a temporary name beside it, renamed on success. */
static int write_file(const char *path, render_fn fn, const lpae_report *rep)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return die("%s: out of memory%s", path, "");
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return die("%s: cannot create: %s", path, strerror(e));
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return die("%s: cannot write%s", path, "");
    }
    int rc = fn(f, rep);
    if (fclose(f) != 0)
        rc = LPAE_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = LPAE_EIO;
    if (rc) {
        unlink(tmp);
        free(tmp);
        return die("%s: cannot write: %s", path, lpae_strerror(rc));
    }
    free(tmp);
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    char **targs = calloc((size_t)argc + 1, sizeof(char *));
    int ntargs = 0;
    if (!targs)
        return die("out of memory%s%s", "", "");
    int rc = parse_args(argc, argv, &o, targs, &ntargs);
    if (rc) {
        free(targs);
        return rc;
    }
    bench b;
    memset(&b, 0, sizeof(b));
    b.o = &o;
    int exit_code = 0;

    for (size_t c = 0; c < o.ncpu && !exit_code; c++) {
        lpae_cost_error ce;
        memset(&ce, 0, sizeof(ce));
        int e = lpae_cost_preset(o.cpus[c], &b.cost[c], &ce);
        if (e) {
            fprintf(stderr, PROG ": --cpu: unknown CPU preset '%s' (known:", o.cpus[c]);
            for (size_t p = 0; p < lpae_cost_preset_count(); p++)
                fprintf(stderr, " %s", lpae_cost_preset_name(p));
            fprintf(stderr, ")\n");
            exit_code = 2;
            break;
        }
        if (o.config && (e = lpae_cost_load_file(b.cost[c], o.config, &ce))) {
            if (ce.line)
                fprintf(stderr, PROG ": %s:%u: %s\n", ce.origin, ce.line, ce.msg);
            else
                fprintf(stderr, PROG ": %s: %s\n", o.config, ce.msg[0] ? ce.msg : lpae_strerror(e));
            exit_code = 2;
            break;
        }
        for (size_t v = 0; o.have_sweep && o.sweep_id >= 0 && v < o.nsweep && !exit_code; v++) {
            if (lpae_cost_clone(b.cost[c], &b.swcost[c][v]) ||
                lpae_cost_set(b.swcost[c][v], (lpae_param)o.sweep_id, o.sweep_values[v])) {
                char num[16];
                snprintf(num, sizeof(num), "%" PRIu32, o.sweep_values[v]);
                exit_code = die("--sweep: %s cannot be set to %s", o.sweep_param, num);
            }
        }
        lpae_param bad;
        if (!exit_code && lpae_cost_check(b.cost[c], &bad)) {
            const lpae_param_info *pi = lpae_param_get_info(bad);
            exit_code =
                die("%s: parameter %s makes the geometry unusable", o.cpus[c], pi ? pi->key : "?");
        }
    }

    /* strategy/split columns */
    for (size_t s = 0; s < o.nstrat && !exit_code; s++) {
        if (o.nsplit == 0) {
            column *col = &b.cols[b.ncol++];
            col->strategy = o.strats[s];
            lpae_split_find(lpae_strategy_natural_split(o.strats[s]), &col->split);
            continue;
        }
        for (size_t p = 0; p < o.nsplit; p++) {
            /* keep only the combinations a kernel can be built for */
            lpae_kernel_config kc;
            lpae_kernel_config_init(&kc);
            kc.cost = b.cost[0];
            kc.split = o.splits[p];
            kc.strategy = o.strats[s];
            kc.ram = o.nram ? o.ram : NULL;
            kc.nram = o.nram;
            lpae_kernel *k = NULL;
            int e = lpae_kernel_create(&kc, &k);
            lpae_kernel_destroy(k);
            if (e == LPAE_EINVAL) {
                fprintf(stderr, PROG ": note: %s is not possible under %s; skipped\n",
                        lpae_strategy_name(o.strats[s]), o.splits[p].name);
                continue;
            }
            if (e) {
                exit_code = die("cannot build a simulated kernel: %s%s", lpae_strerror(e), "");
                break;
            }
            column *col = &b.cols[b.ncol++];
            col->strategy = o.strats[s];
            col->split = o.splits[p];
        }
    }
    if (!exit_code && b.ncol == 0)
        exit_code = die("no strategy is possible under the given splits%s%s", "", "");

    size_t ntr = (size_t)ntargs;
    lpae_report_trace *traces = calloc(ntr ? ntr : 1, sizeof(*traces));
    trace_out *outs = calloc(ntr ? ntr : 1, sizeof(*outs));
    lpae_report_sweep *sweeps = NULL;
    size_t nsw = 0;
    if (!traces || !outs)
        exit_code = die("out of memory%s%s", "", "");
    size_t done = 0;
    for (size_t t = 0; t < ntr && !exit_code; t++) {
        exit_code = run_trace(&b, targs[t], &traces[t], &outs[t]);
        if (!exit_code)
            done++;
    }
    if (!exit_code) {
        size_t total = 0;
        for (size_t t = 0; t < done; t++)
            total += outs[t].nsweeps;
        sweeps = calloc(total ? total : 1, sizeof(*sweeps));
        if (!sweeps)
            exit_code = die("out of memory%s%s", "", "");
        for (size_t t = 0; t < done && sweeps; t++)
            for (size_t s = 0; s < outs[t].nsweeps; s++)
                sweeps[nsw++] = outs[t].sweeps[s];
    }
    if (!exit_code) {
        lpae_report rep = {traces, done, sweeps, nsw};
        render_fn fn = strcmp(o.format, "csv") == 0    ? lpae_report_csv
                       : strcmp(o.format, "json") == 0 ? lpae_report_json
                                                       : lpae_report_table;
        if (o.json_file && (exit_code = write_file(o.json_file, lpae_report_json, &rep)))
            goto out;
        if (o.svg_file && (exit_code = write_file(o.svg_file, lpae_report_svg, &rep)))
            goto out;
        if (fn(stdout, &rep)) {
            exit_code = die("cannot write the report to standard output%s%s", "", "");
            goto out;
        }
        /* a configuration that stopped is a failure of the run, said in one line */
        for (size_t t = 0; t < done && !exit_code; t++)
            for (size_t i = 0; i < traces[t].nresults; i++) {
                const lpae_report_result *r = &traces[t].results[i];
                if (r->status) {
                    fprintf(stderr, PROG ": %s: %s on %s (%s): %s\n", traces[t].trace,
                            lpae_strategy_name(r->strategy), r->cpu, r->split,
                            r->error ? r->error : lpae_strerror(r->status));
                    exit_code = 1;
                    break;
                }
            }
    }
out:
    for (size_t t = 0; t < ntr && outs; t++)
        trace_out_free(&outs[t]);
    free(outs);
    free(traces);
    free(sweeps);
    free(targs);
    for (size_t c = 0; c < MAX_LIST; c++) {
        lpae_cost_destroy(b.cost[c]);
        for (size_t v = 0; v < MAX_SWEEP; v++)
            lpae_cost_destroy(b.swcost[c][v]);
    }
    return exit_code;
}
