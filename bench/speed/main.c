/* SPDX-License-Identifier: MIT */
/*
 * speed: how fast the simulator runs on this host (issue 11).
 *
 * Reports the median of several runs (CPU time of this process, since the
 * build host is shared) for:
 *   - translations/s through lpae_cpu_translate(): micro-TLB hits (the
 *     direct-mapped fast path), main-TLB hits, walks resumed from the walk
 *     cache, full 3-level walks (walk caches off, data caches on), and the
 *     bare walker lpae_walk() (3 fetches, no machine);
 *   - the cost of the coherence-checker test on the hit path (checker off);
 *   - trace read-and-parse throughput (the floor of any replay) for text
 *     and binary traces generated on the fly into a temporary directory;
 *   - replay events/s (lpae_replay) of the same traces through one
 *     configuration and through five in one pass, and its ratio to the
 *     read-and-parse floor;
 *   - peak resident memory (VmHWM of a fresh child process) reading and
 *     replaying traces of 10 MB, and with --big 100 MB, with --huge 1 GB.
 *
 *   - the same for a user-access-heavy trace (64 user touches per syscall;
 *     text and binary, one and five configurations),
 *     and for the user's own traces (--trace FILE, converted to binary
 *     first);
 *
 * usage: speed [--runs N] [--preset NAME] [--big] [--huge] [--tmpdir DIR]
 *              [--json FILE] [--quick] [--only xlate|floor|memory|traces]
 *              [--case N] [--trace FILE]...
 * --preset NAME picks the CPU preset of the translation and replay
 * measurements (default cortex-a15). --case N runs only translation
 * measurement N (0 fast path .. 5 checker on), for profiling one path under
 * callgrind.
 *        speed --child-read|--child-replay FILE [PRESET]   (read or replay
 *        FILE in a fresh process, print events and peak RSS; used for the
 *        memory figures and by bench/instr-counts.sh)
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/machine.h"
#include "lpae/pgtable.h"
#include "lpae/replay.h"
#include "lpae/trace.h"
#include "lpae/walk.h"

#define RAM UINT64_C(0x80000000)
#define MAX_RUNS 31
#define MAX_ROWS 96
#define MAX_TRACES 16
/* user touches per syscall: the headline mixed workload, and the
 * user-access-heavy one (most events are user loads and stores) */
#define TOUCHES_MIXED 2
#define TOUCHES_USER 64

typedef struct row {
    char name[128];
    char unit[16];
    double median, min, max;
    unsigned runs;
    const char *note;
} row;

typedef struct bench {
    unsigned runs;
    const char *preset;
    const char *tmpdir;
    bool big, huge, quick;
    const char *only;               /* NULL: every section */
    int xcase;                      /* --case N: only translation case N (for profiling), else -1 */
    const char *traces[MAX_TRACES]; /* --trace FILE: the user's own traces */
    unsigned ntraces;
    row rows[MAX_ROWS];
    unsigned nrows;
    char dir[512];
    char self[1024];
    FILE *out; /* the table: stdout, or stderr when the JSON goes to stdout */
} bench;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const char *what, int rc)
{
    fprintf(stderr, "speed: %s: %s\n", what, rc ? lpae_strerror(rc) : strerror(errno));
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static row *add_row(bench *b, const char *name, const char *unit, double *v, unsigned n,
                    const char *note)
{
    row *r = &b->rows[b->nrows++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    qsort(v, n, sizeof *v, cmp_double);
    r->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    r->min = v[0];
    r->max = v[n - 1];
    r->runs = n;
    r->note = note;
    fprintf(b->out, "%-48s %10.2f %-7s (min %.2f, max %.2f, %u runs)%s%s\n", r->name, r->median,
            r->unit, r->min, r->max, n, note ? "  " : "", note ? note : "");
    fflush(b->out);
    return r;
}

/* ---- translations ------------------------------------------------------ */

typedef struct xworld {
    lpae_phys *phys;
    lpae_cost *cost, *nowc;
    lpae_machine *m, *m2;
    lpae_cpu *cpu, *cpu2;
    lpae_regs regs;
} xworld;

/* VA 0..1 GB in 4 KB pages through TTBR0 (walks from level 1): 512 level-3
 * tables whose entries all map the same 512 frames (only the walk matters). */
static void xworld_init(xworld *w, const char *preset)
{
    int rc;
    if ((rc = lpae_cost_preset(preset, &w->cost, NULL)))
        die(preset, rc);
    lpae_ram_range ram = {RAM, 64u << 20};
    lpae_phys_config pc = {&ram, 1, 0};
    if ((rc = lpae_phys_create(&pc, &w->phys)))
        die("phys", rc);
    lpae_phys_write64(w->phys, RAM, (RAM + 0x1000) | 3);
    for (unsigned t = 0; t < 512; t++)
        lpae_phys_write64(w->phys, RAM + 0x1000 + t * 8, (RAM + 0x2000 + t * 0x1000ull) | 3);
    for (unsigned t = 0; t < 512; t++)
        for (unsigned i = 0; i < 512; i++)
            lpae_phys_write64(w->phys, RAM + 0x2000 + t * 0x1000ull + i * 8,
                              (RAM + 0x300000 + i * 0x1000ull) | 3 | LPAE_DESC_AF | LPAE_DESC_NG |
                                  ((uint64_t)LPAE_AP_RW << LPAE_DESC_AP_SHIFT));
    lpae_machine_config mc = {w->cost, w->phys, 1, 1};
    if ((rc = lpae_machine_create(&mc, &w->m)))
        die("machine", rc);
    w->cpu = lpae_machine_cpu(w->m, 0);
    lpae_regs_init(&w->regs);
    lpae_regs_set_ttbcr(&w->regs, LPAE_TTBCR_EAE);
    lpae_regs_set_ttbr(&w->regs, 0, RAM | (UINT64_C(1) << LPAE_TTBR_ASID_SHIFT));
    if ((rc = lpae_cpu_set_regs(w->cpu, &w->regs)))
        die("regs", rc);
    /* the same without walk caches: every walk fetches three descriptors */
    lpae_cost_clone(w->cost, &w->nowc);
    lpae_cost_set(w->nowc, LPAE_P_WC1_ENTRIES, 0);
    lpae_cost_set(w->nowc, LPAE_P_WC2_ENTRIES, 0);
    mc.cost = w->nowc;
    if ((rc = lpae_machine_create(&mc, &w->m2)))
        die("machine", rc);
    w->cpu2 = lpae_machine_cpu(w->m2, 0);
    lpae_cpu_set_regs(w->cpu2, &w->regs);
}

static void xworld_fini(xworld *w)
{
    lpae_machine_destroy(w->m2);
    lpae_machine_destroy(w->m);
    lpae_cost_destroy(w->nowc);
    lpae_cost_destroy(w->cost);
    lpae_phys_destroy(w->phys);
}

enum xkind { X_FAST, X_MTLB, X_WCWALK, X_FULLWALK, X_BAREWALK, X_CHECKER };

static volatile uint64_t sink; /* keeps results live */

/* One timed run: @p n operations of kind @p k; returns M operations/s and
 * checks that the operations were what they claim (source, fetches). */
static double xrun(xworld *w, enum xkind k, unsigned n, bool check)
{
    lpae_xlate x;
    uint64_t s = 0;
    unsigned bad = 0;
    lpae_cpu_stats_reset(w->cpu);
    lpae_cpu_stats_reset(w->cpu2);
    double t0 = cpu_now();
    switch (k) {
    case X_FAST: /* 8 hot pages: all micro-TLB hits */
    case X_CHECKER:
        for (unsigned i = 0; i < n; i++) {
            lpae_cpu_translate(w->cpu, (i & 7) << 12 | (i & 0xff0), LPAE_ACC_UR, &x);
            s += x.pa;
        }
        break;
    case X_MTLB: /* 128 pages cycled: more than any micro-TLB, fewer than any main TLB */
        for (unsigned i = 0; i < n; i++) {
            lpae_cpu_translate(w->cpu, (i & 127) << 12, LPAE_ACC_UR, &x);
            s += x.pa;
        }
        break;
    case X_WCWALK: /* 8192 pages (32 MB) with a stride: both TLBs miss, walk cache hits */
        for (unsigned i = 0; i < n; i++) {
            lpae_cpu_translate(w->cpu, (i * 4099u & 0x1FFFu) << 12, LPAE_ACC_UR, &x);
            s += x.pa;
        }
        break;
    case X_FULLWALK:
        for (unsigned i = 0; i < n; i++) {
            lpae_cpu_translate(w->cpu2, (i * 4099u & 0x1FFFu) << 12, LPAE_ACC_UR, &x);
            s += x.pa;
        }
        break;
    case X_BAREWALK: {
        lpae_walk_result r;
        for (unsigned i = 0; i < n; i++) {
            lpae_walk(&w->regs, w->phys, (i * 4099u & 0x1FFFu) << 12, LPAE_ACC_UR, &r);
            s += r.pa;
            bad += r.nfetch != 3;
        }
        break;
    }
    }
    double dt = cpu_now() - t0;
    sink += s;
    lpae_cpu_stats st;
    lpae_cpu_stats_get(k == X_FULLWALK ? w->cpu2 : w->cpu, &st);
    uint64_t want_walks = 0;
    switch (k) {
    case X_FAST:
    case X_CHECKER: /* at most the 8 pages, if a run before evicted them */
        bad += st.walks > 8;
        want_walks = st.walks;
        break;
    case X_MTLB:
        bad += st.hits[LPAE_ST_MTLB] + 128 < n; /* a run may start where the last ended */
        break;
    case X_WCWALK:
    case X_FULLWALK: /* a run may start on entries the previous one left */
        bad += st.walks + 1024 < n;
        want_walks = st.walks;
        break;
    case X_BAREWALK:
        want_walks = st.walks;
        break;
    }
    if (check && (st.walks != want_walks || bad))
        die("translation benchmark did not do what it measures", LPAE_EINVAL);
    return n / dt / 1e6;
}

static void on_report(void *ctx, const lpae_coherence_report *r)
{
    (void)r;
    ++*(uint64_t *)ctx;
}

static void bench_translations(bench *b)
{
    xworld w;
    xworld_init(&w, b->preset);
    struct {
        const char *name;
        enum xkind k;
        unsigned n;
    } cases[] = {
        {"translate: micro-TLB hit (fast path)", X_FAST, 50000000},
        {"translate: main-TLB hit", X_MTLB, 10000000},
        {"translate: walk from walk cache (1 fetch)", X_WCWALK, 5000000},
        {"translate: full 3-level walk, caches on", X_FULLWALK, 5000000},
        {"lpae_walk(): bare 3-level walk", X_BAREWALK, 10000000},
    };
    double v[MAX_RUNS];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (b->xcase >= 0 && (size_t)b->xcase != c)
            continue;
        unsigned n = b->quick ? cases[c].n / 10 : cases[c].n;
        xrun(&w, cases[c].k, n / 10, false); /* warm the structures */
        for (unsigned r = 0; r < b->runs; r++)
            v[r] = xrun(&w, cases[c].k, n, true);
        add_row(b, cases[c].name, "M/s", v, b->runs, NULL);
    }
    if (b->xcase >= 0 && b->xcase != 5) {
        xworld_fini(&w);
        return;
    }
    /* With the checker on, every hit re-walks the tables: shown for scale. */
    uint64_t reports = 0;
    lpae_machine_set_checker(w.m, on_report, &reports);
    unsigned n = b->quick ? 1000000 : 5000000;
    for (unsigned r = 0; r < b->runs; r++)
        v[r] = xrun(&w, X_CHECKER, n, true);
    add_row(b, "translate: micro-TLB hit, checker ON", "M/s", v, b->runs,
            "(re-walks on every hit)");
    lpae_machine_set_checker(w.m, NULL, NULL);
    xworld_fini(&w);
}

/* ---- traces ------------------------------------------------------------ */

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Generate a mixed workload (dd, small syscalls, short processes on two
 * CPUs, @p touches user-mode touches per syscall) of about @p bytes in
 * format @p fmt. */
static void gen_trace(const char *path, lpae_trace_fmt fmt, uint64_t bytes, uint32_t touches)
{
    lpae_gen_params p;
    lpae_gen_defaults(LPAE_GEN_MIXED, &p);
    p.touches = touches;
    p.bs = 4096;
    /* calibrate the size of one unit of count */
    uint32_t count = 2000;
    for (int pass = 0; pass < 2; pass++) {
        p.count = count;
        lpae_trace_writer *wr;
        int rc = lpae_trace_writer_open(path, fmt, &wr);
        if (rc)
            die(path, rc);
        if ((rc = lpae_trace_gen(LPAE_GEN_MIXED, &p, wr)))
            die("gen", rc);
        if ((rc = lpae_trace_writer_close(wr, true)))
            die(path, rc);
        if (pass == 0) {
            double per = (double)file_size(path) / count;
            double want = (double)bytes / per;
            if (want > 4e9)
                want = 4e9;
            count = want < 1 ? 1 : (uint32_t)want;
        }
    }
}

typedef struct readres {
    uint64_t events;
    double secs;
} readres;

static readres read_all(const char *path)
{
    lpae_trace_reader *r;
    int rc = lpae_trace_reader_open(path, NULL, &r);
    if (rc)
        die(path, rc);
    /* in batches, as lpae_replay reads: the floor is the fastest way the
     * library offers to read and check the events, each touched once */
    const lpae_tev *evs;
    uint64_t s = 0;
    double t0 = cpu_now();
    while ((rc = lpae_trace_read_many(r, &evs, 256)) > 0)
        for (int i = 0; i < rc; i++)
            s += evs[i].addr + evs[i].len;
    double dt = cpu_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "speed: %s\n", lpae_trace_reader_error(r));
        exit(1);
    }
    readres res = {lpae_trace_reader_events(r), dt};
    sink += s;
    lpae_trace_reader_close(r);
    return res;
}

/* Replay @p path through @p ncfg configurations (1: pinned under
 * VMSPLIT_4G_4G; 5: every strategy under its natural split), CPU preset
 * @p preset (--preset; default Cortex-A15), the CPU count and VMA rule the
 * trace's header gives (lpae_replay_config_for_trace(), as lpae-bench: the
 * generated traces have 2 CPUs; imported captures 1, with implicit VMAs).
 * Returns CPU seconds of the run (set-up excluded). */
/* What the model did per replayed event in configuration 0 (summed over
 * its CPUs): the work an events/s figure stands for. */
typedef struct work {
    double translations, walks, lines, tlbi, uaccess, bytes;
} work;

static void work_of(lpae_replay *rp, uint64_t events, work *w)
{
    lpae_kernel_stats ks;
    lpae_replay_stats(rp, 0, &ks);
    lpae_machine *m = lpae_kernel_machine(lpae_replay_kernel(rp, 0));
    memset(w, 0, sizeof *w);
    for (unsigned i = 0; i < lpae_machine_ncpus(m); i++) {
        lpae_cpu_stats st;
        lpae_cpu_stats_get(lpae_machine_cpu(m, i), &st);
        w->translations += (double)st.translations;
        w->walks += (double)st.walks;
        for (unsigned l = 0; l < LPAE_MEM_LEVELS; l++)
            w->lines += (double)st.lines[l];
        for (unsigned k = 0; k < LPAE_TLBI_KINDS; k++)
            w->tlbi += (double)(st.tlbi[k][0] + st.tlbi[k][1]);
    }
    w->uaccess = (double)ks.uaccess_calls;
    w->bytes = (double)ks.bytes_copied;
    double n = events ? (double)events : 1.0;
    w->translations /= n;
    w->walks /= n;
    w->lines /= n;
    w->tlbi /= n;
    w->uaccess /= n;
    w->bytes /= n;
}

static double replay_once(const char *preset, const char *path, unsigned ncfg, uint64_t *events,
                          uint64_t *cycles, work *w)
{
    lpae_cost *cost;
    int rc = lpae_cost_preset(preset, &cost, NULL);
    if (rc)
        die(preset, rc);
    lpae_kernel_config base;
    lpae_kernel_config_init(&base);
    lpae_trace_reader *r;
    if ((rc = lpae_trace_reader_open(path, NULL, &r)))
        die(path, rc);
    lpae_replay_config_for_trace(r, &base);
    lpae_trace_reader_close(r);
    lpae_replay *rp;
    if ((rc = lpae_replay_create(&rp)))
        die("replay", rc);
    for (unsigned i = 0; i < ncfg; i++) {
        lpae_kernel_config kc = base;
        kc.cost = cost;
        kc.strategy = ncfg == 1 ? LPAE_STRAT_PINNED : (lpae_strategy)i;
        if ((rc = lpae_split_find(lpae_strategy_natural_split(kc.strategy), &kc.split)))
            die("split", rc);
        kc.seed = 1;
        if ((rc = lpae_replay_add(rp, &kc)) < 0)
            die("replay config", rc);
    }
    lpae_replay_summary sum;
    double t0 = cpu_now();
    rc = lpae_replay_run_path(rp, path, NULL, NULL, &sum);
    double dt = cpu_now() - t0;
    if (rc) {
        fprintf(stderr, "speed: %s\n", sum.error);
        exit(1);
    }
    *cycles = 0;
    for (unsigned i = 0; i < ncfg; i++) {
        const char *msg;
        lpae_kernel_stats st;
        if (lpae_replay_status(rp, i, &msg)) {
            fprintf(stderr, "speed: configuration %u stopped: %s\n", i, msg);
            exit(1);
        }
        lpae_replay_stats(rp, i, &st);
        *cycles += st.cycles;
    }
    *events = sum.events;
    if (w)
        work_of(rp, sum.events, w);
    lpae_replay_destroy(rp);
    lpae_cost_destroy(cost);
    return dt;
}

/* The read+parse floor of @p path (rows "read+parse (floor): LABEL"), in
 * M events/s (the median). */
static double floor_rows(bench *b, const char *path, const char *label)
{
    char name[128];
    double ev[MAX_RUNS], mb[MAX_RUNS];
    read_all(path); /* page cache warm */
    for (unsigned r = 0; r < b->runs; r++) {
        readres res = read_all(path);
        ev[r] = res.events / res.secs / 1e6;
        mb[r] = file_size(path) / res.secs / 1e6;
    }
    snprintf(name, sizeof name, "read+parse (floor): %s, %.1f MB", label, file_size(path) / 1e6);
    add_row(b, name, "M ev/s", ev, b->runs, NULL);
    double floor_ev = b->rows[b->nrows - 1].median;
    snprintf(name, sizeof name, "read+parse (floor): %s", label);
    add_row(b, name, "MB/s", mb, b->runs, NULL);
    return floor_ev;
}

/* Rows "work per event: LABEL, WHAT" of one replay (not timed: the same
 * in every run, as the model is deterministic). */
static void work_rows(bench *b, const char *label, const work *w)
{
    static const char *const what[] = {"translations", "walks",         "cache lines",
                                       "TLBI ops",     "user accesses", "bytes copied"};
    const double v[] = {w->translations, w->walks, w->lines, w->tlbi, w->uaccess, w->bytes};
    char name[128];
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        double x = v[i];
        snprintf(name, sizeof name, "work per event: %s, %s", label, what[i]);
        add_row(b, name, "/event", &x, 1, i == 0 ? "(modelled work, 1 config)" : NULL);
    }
}

/* Replay rows of @p path through 1 configuration and, when @p five, 5 in
 * one pass, each with its ratio to the floor @p floor_ev (M events/s). */
static void replay_rows(bench *b, const char *path, const char *label, double floor_ev, bool five)
{
    char name[128];
    for (unsigned ncfg = 1; ncfg <= (five ? 5u : 1u); ncfg += 4) {
        double rv[MAX_RUNS], pc[MAX_RUNS];
        work w = {0}; /* set by the first run */
        for (unsigned r = 0; r < b->runs; r++) {
            uint64_t events, cycles;
            double dt = replay_once(b->preset, path, ncfg, &events, &cycles,
                                    r == 0 && ncfg == 1 ? &w : NULL);
            rv[r] = events / dt / 1e6;
            pc[r] = events * (double)ncfg / dt / 1e6;
            sink += cycles;
        }
        snprintf(name, sizeof name, "replay: %s, %u config%s", label, ncfg,
                 ncfg > 1 ? "s in one pass" : "");
        add_row(b, name, "M ev/s", rv, b->runs, NULL);
        double ratio = floor_ev / b->rows[b->nrows - 1].median;
        if (ncfg > 1) {
            snprintf(name, sizeof name, "replay: %s, 5 configs, per config", label);
            add_row(b, name, "M ev/s", pc, b->runs, "(events x configs / time)");
        }
        snprintf(name, sizeof name, "replay: %s, %u config%s / floor", label, ncfg,
                 ncfg > 1 ? "s" : "");
        add_row(b, name, "x", &ratio, 1, "(replay time / read+parse time)");
        if (ncfg == 1)
            work_rows(b, label, &w);
    }
}

static void bench_floor(bench *b)
{
    static const struct {
        lpae_trace_fmt fmt;
        const char *ext, *name;
    } f[2] = {{LPAE_TRACE_BINARY, "lpb", "binary"}, {LPAE_TRACE_TEXT, "lpt", "text"}};
    uint64_t bytes = b->quick ? (2u << 20) : (10u << 20);
    /* the mixed workload, then a trace of mostly user loads and stores, as
     * a memory-access trace of a real program would be: 64 touches per
     * syscall */
    for (int w = 0; w < 2; w++) {
        for (int i = 0; i < 2; i++) {
            char path[600], label[32];
            snprintf(path, sizeof path, "%s/floor.%s", b->dir, f[i].ext);
            snprintf(label, sizeof label, "%s%s", f[i].name, w ? ", touches=64" : "");
            gen_trace(path, f[i].fmt, bytes, w ? TOUCHES_USER : TOUCHES_MIXED);
            replay_rows(b, path, label, floor_rows(b, path, label), true);
            unlink(path);
        }
    }
}

/* The user's own traces (--trace FILE, any format lpae reads, .gz too),
 * converted to binary in the temporary directory first so that the floor
 * is the binary reader's. */
static void bench_traces(bench *b)
{
    for (unsigned t = 0; t < b->ntraces; t++) {
        char path[600], label[40];
        snprintf(path, sizeof path, "%s/trace%u.lpb", b->dir, t);
        lpae_trace_reader *r;
        lpae_trace_writer *w;
        int rc = lpae_trace_reader_open(b->traces[t], NULL, &r);
        if (rc)
            die(b->traces[t], rc);
        if ((rc = lpae_trace_writer_open(path, LPAE_TRACE_BINARY, &w)))
            die(path, rc);
        /* the header too: it says how the trace is replayed */
        for (size_t i = 0; i < lpae_trace_header_count(r); i++) {
            const char *key, *value;
            if ((rc = lpae_trace_header_get(r, i, &key, &value)) ||
                (rc = lpae_trace_writer_header(w, key, value)))
                die(path, rc);
        }
        lpae_tev ev;
        while ((rc = lpae_trace_read(r, &ev)) == 1)
            if ((rc = lpae_trace_write(w, &ev)))
                die(path, rc);
        if (rc < 0) { /* one line naming file:line; nothing left behind */
            fprintf(stderr, "speed: %s\n", lpae_trace_reader_error(r));
            lpae_trace_writer_close(w, false);
            rmdir(b->dir);
            exit(1);
        }
        lpae_trace_reader_close(r);
        if ((rc = lpae_trace_writer_close(w, true)))
            die(path, rc);
        const char *base = strrchr(b->traces[t], '/');
        snprintf(label, sizeof label, "%s", base ? base + 1 : b->traces[t]);
        replay_rows(b, path, label, floor_rows(b, path, label), false);
        unlink(path);
    }
}

/* Peak RSS of a fresh process reading @p path, in KiB. */
static long child_maxrss(bench *b, const char *mode, const char *path, uint64_t *events)
{
    int fd[2];
    if (pipe(fd))
        die("pipe", 0);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execl(b->self, b->self, mode, path, b->preset, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[64] = {0};
    ssize_t got = read(fd[0], buf, sizeof buf - 1);
    close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) || got <= 0)
        die("child reader failed", LPAE_EIO);
    char *end;
    *events = strtoull(buf, &end, 10);
    return strtol(end, NULL, 10);
}

static void bench_memory(bench *b)
{
    uint64_t sizes[3] = {10u << 20, 100u << 20, UINT64_C(1) << 30};
    const char *names[3] = {"10 MB", "100 MB", "1 GB"};
    bool on[3] = {true, b->big || b->huge, b->huge};
    for (int s = 0; s < 3; s++) {
        if (!on[s])
            continue;
        for (int f = 0; f < 2; f++) {
            char path[600], name[64];
            snprintf(path, sizeof path, "%s/mem.%s", b->dir, f ? "lpt" : "lpb");
            gen_trace(path, f ? LPAE_TRACE_TEXT : LPAE_TRACE_BINARY, sizes[s], TOUCHES_MIXED);
            for (int m = 0; m < 2; m++) {
                uint64_t events;
                long kb = child_maxrss(b, m ? "--child-replay" : "--child-read", path, &events);
                double v = kb / 1024.0;
                snprintf(name, sizeof name, "peak RSS %s %s %s (%.1f M ev)",
                         m ? "replaying" : "reading", f ? "text" : "binary", names[s],
                         events / 1e6);
                add_row(b, name, "MiB", &v, 1, NULL);
            }
            unlink(path);
        }
    }
    long kb = child_maxrss(b, "--child-read", "-", &(uint64_t){0});
    double v = kb / 1024.0;
    add_row(b, "peak RSS of the same process, empty trace", "MiB", &v, 1, NULL);
}

static int child_read(const char *path, bool replay, const char *preset)
{
    readres r = {0, 0};
    uint64_t cycles;
    if (replay)
        replay_once(preset, path, 1, &r.events, &cycles, NULL);
    else if (strcmp(path, "-") != 0) /* "-": the baseline, reads nothing */
        r = read_all(path);
    /* VmHWM of a fresh process: exec gives it its own address space, while
     * ru_maxrss would carry the parent's peak across fork and exec */
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmHWM:", 6) == 0)
                kb = strtol(line + 6, NULL, 10);
        fclose(f);
    }
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = ru.ru_maxrss;
    }
    printf("%llu %ld\n", (unsigned long long)r.events, kb);
    return 0;
}

/* ---- output ------------------------------------------------------------- */

static void machine_info(FILE *out, bool json)
{
    char model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    double load[3] = {0, 0, 0};
    f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = -1;
        fclose(f);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (json)
        fprintf(
            out,
            "  \"machine\": {\"cpus\": %ld, \"model\": \"%s\", \"load\": [%.2f, %.2f, %.2f]},\n", n,
            model, load[0], load[1], load[2]);
    else
        fprintf(out,
                "machine: %ld CPUs, %s, load average %.2f %.2f %.2f; times are process CPU time\n",
                n, model, load[0], load[1], load[2]);
}

static void write_json(bench *b, const char *path)
{
    char tmp[1100];
    FILE *f = stdout;
    if (strcmp(path, "-") != 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        f = fopen(tmp, "w");
        if (!f)
            die(tmp, 0);
    }
    fprintf(f, "{\n  \"preset\": \"%s\",\n  \"runs\": %u,\n", b->preset, b->runs);
    machine_info(f, true);
    fprintf(f, "  \"results\": [\n");
    for (unsigned i = 0; i < b->nrows; i++) {
        const row *r = &b->rows[i];
        fprintf(f,
                "    {\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.4f, \"min\": %.4f, "
                "\"max\": %.4f, \"runs\": %u}%s\n",
                r->name, r->unit, r->median, r->min, r->max, r->runs, i + 1 < b->nrows ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    if (f != stdout) {
        if (fclose(f) || rename(tmp, path))
            die(path, 0);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: speed [--runs N] [--preset NAME] [--big] [--huge] [--tmpdir DIR] "
                    "[--json FILE|-] [--quick] [--only xlate|floor|memory|traces] [--case 0-5] "
                    "[--trace FILE]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    /* --child-read|--child-replay FILE [PRESET] */
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "--child-read") == 0)
        return child_read(argv[2], false, NULL);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "--child-replay") == 0)
        return child_read(argv[2], true, argc == 4 ? argv[3] : "cortex-a15");
#ifdef __GLIBC__
    /* Each run builds and frees a whole simulated machine. Without this,
     * glibc hands the freed heap top back to the kernel at the end of a run
     * (its trim threshold is 128 KB) and the next run takes a few hundred
     * fresh page faults again for the simulated memory's backing pages:
     * 1-2 ms of system time inside the timed region, as much as the replay
     * of a short trace itself. The runs measure the simulator in a warm
     * process; the first-touch cost of a one-shot replay is in the memory
     * figures' fresh processes (--child-*), which this does not affect. */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
    bench b = {.runs = 5, .preset = "cortex-a15", .xcase = -1};
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--runs") && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end || n < 1 || n > MAX_RUNS) {
                fprintf(stderr, "speed: --runs must be 1..%d\n", MAX_RUNS);
                return 2;
            }
            b.runs = (unsigned)n;
        } else if (!strcmp(a, "--preset") && i + 1 < argc) {
            b.preset = argv[++i];
        } else if (!strcmp(a, "--tmpdir") && i + 1 < argc) {
            b.tmpdir = argv[++i];
        } else if (!strcmp(a, "--json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(a, "--big")) {
            b.big = true;
        } else if (!strcmp(a, "--huge")) {
            b.huge = true;
        } else if (!strcmp(a, "--only") && i + 1 < argc) {
            b.only = argv[++i];
            if (strcmp(b.only, "xlate") != 0 && strcmp(b.only, "floor") != 0 &&
                strcmp(b.only, "memory") != 0 && strcmp(b.only, "traces") != 0)
                usage();
        } else if (!strcmp(a, "--trace") && i + 1 < argc) {
            if (b.ntraces == MAX_TRACES) {
                fprintf(stderr, "speed: at most %d --trace files\n", MAX_TRACES);
                return 2;
            }
            b.traces[b.ntraces++] = argv[++i];
        } else if (!strcmp(a, "--case") && i + 1 < argc) {
            b.xcase = atoi(argv[++i]);
            b.only = "xlate";
        } else if (!strcmp(a, "--quick")) {
            b.quick = true;
        } else {
            usage();
        }
    }
    ssize_t sl = readlink("/proc/self/exe", b.self, sizeof b.self - 1);
    if (sl <= 0)
        die("/proc/self/exe", 0);
    b.self[sl] = 0;
    const char *td = b.tmpdir ? b.tmpdir : getenv("TMPDIR");
    snprintf(b.dir, sizeof b.dir, "%s/lpae-speed.XXXXXX", td && *td ? td : "/tmp");
    bool traces = !b.only || strcmp(b.only, "xlate") != 0;
    if (traces && !mkdtemp(b.dir)) /* only the trace sections write files */
        die(b.dir, 0);
    b.out = json && !strcmp(json, "-") ? stderr : stdout;
    machine_info(b.out, false);
    fprintf(b.out, "preset %s, median of %u runs\n", b.preset, b.runs);
    if (!b.only || !strcmp(b.only, "xlate"))
        bench_translations(&b);
    if (!b.only || !strcmp(b.only, "floor"))
        bench_floor(&b);
    if (!b.only || !strcmp(b.only, "memory"))
        bench_memory(&b);
    if (!b.only || !strcmp(b.only, "traces"))
        bench_traces(&b);
    if (traces)
        rmdir(b.dir);
    if (json)
        write_json(&b, json);
    return sink == 42 ? 3 : 0;
}
