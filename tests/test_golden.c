/* SPDX-License-Identifier: MIT */
/* Golden outputs: the cycles and key statistics of fixed reference
 * workloads, recorded from the code before any speed work (issue 11).
 * Every optimisation must leave them unchanged: the same work gives the same
 * cycles.
 *
 * The machine workload: for each CPU preset, a two-CPU machine with a
 * VMSPLIT_3G-style layout (two user address spaces in TTBR0 with ASIDs 1
 * and 2, 4 KB pages and 2 MB blocks; kernel lowmem in TTBR1 with 2 MB
 * blocks) runs a fixed-seed sequence of translations (every access kind,
 * hits, walks, translation and permission faults), TLB maintenance of every
 * kind (local and inner-shareable), TTBR0 switches, table changes without
 * maintenance, loads/stores, copies and barriers. Each result (PA, fault,
 * source, level, fetches, cycles) is folded into a hash; the final
 * statistics of both CPUs and the L2 are compared with the recorded values.
 * The same sequence with the coherence checker on must give the same hash
 * and cycles (the checker only observes).
 *
 * The replay workload: reference traces (two generated workloads and two
 * shipped real traces from bench/traces) replayed through every strategy
 * under its natural split in one pass (Cortex-A15, 2 CPUs); each
 * configuration's cycles and key statistics are compared with the recorded
 * values.
 *
 * Re-recorded once since, for a model change: BPIALL became priced
 * (bp.iall, 20 cycles on the A15), which adds 8 x 20 cycles to each gen-procs
 * row (its ASID rollovers) and changes nothing else.
 *
 * To re-record (only when the model itself changes on purpose, never for a
 * speed change): LPAE_GOLDEN_PRINT=1 ./test_golden prints the table rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/machine.h"
#include "lpae/pgtable.h"
#include "lpae/replay.h"
#include "lpae/split.h"
#include "lpae/trace.h"

#define RAM_BASE UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(256) << 20)
#define USER_LO 0x00010000u /* user 4 KB pages: 16 MB */
#define USER_PAGES 4096u
#define USER_BLK 0x10000000u /* user 2 MB blocks: 16 MB */
#define KERN_LO 0xC0000000u  /* lowmem: 64 MB of 2 MB blocks */
#define KERN_SIZE (64u << 20)
#define STEPS 60000u
#define TABLES_HI (RAM_BASE + (UINT64_C(32) << 20)) /* table pages below the mapped frames */

/* One preset's recorded outputs. */
typedef struct golden {
    const char *preset;
    uint64_t hash;      /* FNV-1a over every operation's results */
    uint64_t cycles[2]; /* per CPU, total */
    uint64_t walks;     /* both CPUs */
    uint64_t utlb_hits; /* both CPUs, all micro-TLBs */
    uint64_t mtlb_hits; /* both CPUs */
    uint64_t fetches;   /* descriptor fetches, both CPUs, all levels */
    uint64_t faults;    /* both CPUs */
    uint64_t l2_misses; /* shared L2 */
} golden;

/* Recorded from the code of commit 9fede54 (before issue 11's changes). */
static const golden goldens[] = {
    /* clang-format off */
    {"cortex-a15", UINT64_C(0x919d3290c06ffd21), {9226751, 9375776}, 27007, 24548, 33836, 30951, 9219, 460688},
    {"cortex-a17", UINT64_C(0xcd23cafc7554644e), {11149119, 11348013}, 26921, 44126, 14344, 30865, 9219, 460693},
    {"cortex-a53", UINT64_C(0x12e8829e2db655aa), {11822356, 12178070}, 27003, 30165, 28223, 30932, 9219, 554134},
    {"cortex-a7", UINT64_C(0x789bf8860fce7f32), {23054313, 23756891}, 28683, 29601, 27113, 32644, 9216, 620564},
    {"cortex-a72", UINT64_C(0x3f33bdd9c13d7069), {6756762, 6881891}, 26921, 44186, 14284, 30850, 9219, 460689},
    /* clang-format on */
    {NULL, 0, {0, 0}, 0, 0, 0, 0, 0, 0}, /* end */
};

typedef struct world {
    lpae_phys *phys;
    lpae_cost *cost;
    lpae_machine *m;
    lpae_pgtable *user[2], *kern;
    uint64_t ttbr0[2];
    uint64_t hash;
    uint64_t rng;
    uint64_t reports;
} world;

static void mix(world *w, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        w->hash ^= (v >> (8 * i)) & 0xFF;
        w->hash *= UINT64_C(0x100000001b3);
    }
}

static uint64_t rnd(world *w)
{
    /* xorshift64* */
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * UINT64_C(2685821657736338717);
}

static void mix_xlate(world *w, int rc, const lpae_xlate *x)
{
    mix(w, (uint64_t)(int64_t)rc);
    mix(w, x->pa);
    mix(w, (uint64_t)x->fault | (uint64_t)x->src << 8 | (uint64_t)x->level << 16 |
               (uint64_t)x->nfetch << 24 | (uint64_t)x->start_level << 32 |
               (uint64_t)x->size_shift << 40 | (uint64_t)x->asid << 48);
    mix(w, (uint64_t)x->attrs.perm | (uint64_t)x->attrs.mair << 8);
    mix(w, x->cycles);
}

static void on_report(void *ctx, const lpae_coherence_report *r)
{
    world *w = ctx;
    (void)r;
    w->reports++;
}

static void world_init(world *w, const char *preset)
{
    memset(w, 0, sizeof *w);
    w->hash = UINT64_C(0xcbf29ce484222325);
    w->rng = UINT64_C(0x9E3779B97F4A7C15);
    lpae_ram_range ram = {RAM_BASE, RAM_SIZE};
    lpae_phys_config pc = {&ram, 1, 0};
    assert_int_equal(lpae_phys_create(&pc, &w->phys), LPAE_OK);
    assert_int_equal(lpae_cost_preset(preset, &w->cost, NULL), LPAE_OK);
    lpae_machine_config mc = {w->cost, w->phys, 2, 42};
    assert_int_equal(lpae_machine_create(&mc, &w->m), LPAE_OK);

    /* VMSPLIT_3G: TTBCR.T1SZ = 2 (TTBR1 from 0xC0000000), TTBR0 covers 3 GB */
    lpae_prot up = {.attrindx = 7, .ap = LPAE_AP_RW, .sh = 3, .af = true, .ng = true};
    lpae_prot ro = {.attrindx = 7, .ap = LPAE_AP_RO, .sh = 3, .af = true, .ng = true, .xn = true};
    lpae_prot kp = {.attrindx = 7, .ap = LPAE_AP_PL1_RW, .sh = 3, .af = true};
    for (unsigned a = 0; a < 2; a++) {
        lpae_pgtable_config uc = {w->phys, LPAE_SEL_TTBR0, 0, RAM_BASE, TABLES_HI};
        assert_int_equal(lpae_pgtable_create(&uc, &w->user[a]), LPAE_OK);
        lpae_pa_t pa = RAM_BASE + (UINT64_C(32) << 20) + a * (UINT64_C(32) << 20);
        assert_int_equal(
            lpae_pgtable_map(w->user[a], USER_LO, pa, USER_PAGES * 4096ull, &up, LPAE_MAP_FORCE_4K),
            LPAE_OK);
        /* a read-only, execute-never stretch for permission faults */
        assert_int_equal(lpae_pgtable_protect(w->user[a], USER_LO + 0x100000, 0x40000, &ro),
                         LPAE_OK);
        assert_int_equal(lpae_pgtable_map(w->user[a], USER_BLK, pa + (UINT64_C(16) << 20),
                                          UINT64_C(16) << 20, &up, LPAE_MAP_FORCE_2M),
                         LPAE_OK);
        w->ttbr0[a] = lpae_pgtable_ttbr(w->user[a], (uint8_t)(a + 1));
    }
    lpae_pgtable_config kc = {w->phys, LPAE_SEL_TTBR1, 2, RAM_BASE, TABLES_HI};
    assert_int_equal(lpae_pgtable_create(&kc, &w->kern), LPAE_OK);
    assert_int_equal(lpae_pgtable_map(w->kern, KERN_LO, RAM_BASE + (UINT64_C(128) << 20), KERN_SIZE,
                                      &kp, LPAE_MAP_FORCE_2M),
                     LPAE_OK);
    lpae_regs r;
    lpae_regs_init(&r);
    assert_int_equal(lpae_regs_set_ttbcr(&r, LPAE_TTBCR_EAE | (2u << LPAE_TTBCR_T1SZ_SHIFT)),
                     LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbr(&r, 1, lpae_pgtable_ttbr(w->kern, 0)), LPAE_OK);
    for (unsigned c = 0; c < 2; c++) {
        assert_int_equal(lpae_regs_set_ttbr(&r, 0, w->ttbr0[c]), LPAE_OK);
        assert_int_equal(lpae_cpu_set_regs(lpae_machine_cpu(w->m, c), &r), LPAE_OK);
    }
}

static void world_fini(world *w)
{
    lpae_machine_destroy(w->m);
    lpae_pgtable_destroy(w->user[0]);
    lpae_pgtable_destroy(w->user[1]);
    lpae_pgtable_destroy(w->kern);
    lpae_cost_destroy(w->cost);
    lpae_phys_destroy(w->phys);
}

/* A user VA with locality: mostly a small hot set, sometimes anywhere in
 * the mapped ranges, sometimes unmapped. */
static lpae_va_t user_va(world *w)
{
    uint64_t r = rnd(w);
    unsigned k = (unsigned)(r % 100);
    uint32_t off = (uint32_t)(r >> 40) & 0xFFF;
    if (k < 60)
        return USER_LO + (((uint32_t)(r >> 8) % 24) << 12) + off;
    if (k < 85)
        return USER_LO + (((uint32_t)(r >> 8) % USER_PAGES) << 12) + off;
    if (k < 97)
        return USER_BLK + ((uint32_t)(r >> 8) & 0xFFFFFF);
    return 0x20000000u + ((uint32_t)(r >> 8) & 0xFFFFFF); /* unmapped */
}

static lpae_va_t kern_va(world *w)
{
    uint64_t r = rnd(w);
    if (r % 4)
        return KERN_LO + ((uint32_t)(r >> 8) % (1u << 20));
    return KERN_LO + ((uint32_t)(r >> 8) % KERN_SIZE);
}

static void step(world *w)
{
    uint64_t r = rnd(w);
    lpae_cpu *cpu = lpae_machine_cpu(w->m, (unsigned)(r >> 60) & 1);
    unsigned op = (unsigned)(r % 1000);
    lpae_xlate x;
    lpae_cycles_t cyc = 0;
    int rc;
    if (op < 820) {
        static const unsigned acc[8] = {LPAE_ACC_UR, LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX,
                                        LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_UR, LPAE_ACC_PR};
        unsigned a = acc[(r >> 20) & 7];
        lpae_va_t va = (r >> 24) & 7 ? user_va(w) : kern_va(w);
        rc = lpae_cpu_translate(cpu, va, a, &x);
        mix_xlate(w, rc, &x);
        return;
    }
    if (op < 835) { /* mostly by VA; TLBIALL and TLBIASID one time in eight each */
        static const lpae_tlbi kinds[8] = {LPAE_TLBI_ALL,  LPAE_TLBI_ASID, LPAE_TLBI_MVA,
                                           LPAE_TLBI_MVA,  LPAE_TLBI_MVA,  LPAE_TLBI_MVAA,
                                           LPAE_TLBI_MVAA, LPAE_TLBI_MVA};
        lpae_tlbi kind = kinds[(r >> 20) & 7];
        rc = lpae_cpu_tlbi(cpu, kind, (r >> 24) & 1, user_va(w) & ~0xFFFu,
                           (uint8_t)(1 + ((r >> 25) & 1)), &cyc);
        mix(w, (uint64_t)(int64_t)rc);
        mix(w, cyc);
        return;
    }
    if (op < 845) { /* context switch: TTBR0 to the other address space, ISB */
        unsigned a = (unsigned)(r >> 20) & 1;
        rc = lpae_cpu_write_ttbr(cpu, 0, w->ttbr0[a], &cyc);
        mix(w, (uint64_t)(int64_t)rc);
        mix(w, cyc + lpae_cpu_isb(cpu));
        return;
    }
    if (op < 850) { /* table change without maintenance (stale entries) */
        unsigned a = (unsigned)(r >> 20) & 1;
        lpae_va_t va = USER_LO + ((((uint32_t)(r >> 24)) % 32) << 12); /* the hot set */
        lpae_prot p = {.attrindx = 7,
                       .ap = (r >> 40) & 1 ? LPAE_AP_RO : LPAE_AP_RW,
                       .sh = 3,
                       .af = true,
                       .ng = true};
        rc = lpae_pgtable_protect(w->user[a], va, 4096, &p);
        mix(w, (uint64_t)(int64_t)rc);
        return;
    }
    if (op < 950) { /* copy_from_user / copy_to_user */
        size_t len = 1 + (size_t)((r >> 20) % 9000);
        size_t done = 0;
        lpae_va_t u = user_va(w), k = kern_va(w);
        if ((r >> 40) & 1)
            rc = lpae_cpu_copy(cpu, k, LPAE_ACC_PW, u, LPAE_ACC_PR, len, &done, &x, &cyc);
        else
            rc = lpae_cpu_copy(cpu, u, LPAE_ACC_PW, k, LPAE_ACC_PR, len, &done, &x, &cyc);
        mix(w, (uint64_t)(int64_t)rc);
        mix(w, done);
        mix(w, cyc);
        if (rc == LPAE_EFAULT)
            mix_xlate(w, rc, &x);
        return;
    }
    if (op < 990) { /* get_user / put_user style loads and stores */
        uint8_t data[256];
        size_t len = 1 + (size_t)((r >> 20) % sizeof data);
        lpae_va_t u = user_va(w);
        memset(data, (int)(r >> 32), sizeof data);
        if ((r >> 40) & 1)
            rc = lpae_cpu_read(cpu, u, LPAE_ACC_PR, data, len, &x, &cyc);
        else
            rc = lpae_cpu_write(cpu, u, LPAE_ACC_PW, data, len, &x, &cyc);
        mix(w, (uint64_t)(int64_t)rc);
        mix(w, cyc);
        mix(w, data[0] | (uint64_t)data[len - 1] << 8);
        return;
    }
    mix(w, lpae_cpu_dsb(cpu));
    mix(w, lpae_cpu_charge(cpu, LPAE_P_SW_ATOMIC, 1 + (r >> 20) % 3));
}

static void run(const char *preset, bool checker, golden *out)
{
    world w;
    world_init(&w, preset);
    if (checker)
        lpae_machine_set_checker(w.m, on_report, &w);
    for (unsigned i = 0; i < STEPS; i++) {
        lpae_cpu_set_event(lpae_machine_cpu(w.m, 0), i);
        lpae_cpu_set_event(lpae_machine_cpu(w.m, 1), i);
        step(&w);
    }
    memset(out, 0, sizeof *out);
    out->preset = preset;
    out->hash = w.hash;
    for (unsigned c = 0; c < 2; c++) {
        lpae_cpu_stats st;
        assert_int_equal(lpae_cpu_stats_get(lpae_machine_cpu(w.m, c), &st), LPAE_OK);
        out->cycles[c] = st.cycles;
        out->walks += st.walks;
        out->utlb_hits +=
            st.hits[LPAE_ST_UTLB_I] + st.hits[LPAE_ST_UTLB_DL] + st.hits[LPAE_ST_UTLB_DS];
        out->mtlb_hits += st.hits[LPAE_ST_MTLB];
        for (unsigned l = 1; l < 4; l++)
            for (unsigned s = 0; s < LPAE_MEM_LEVELS; s++)
                out->fetches += st.fetches[l][s];
        out->faults += st.faults;
    }
    lpae_cache_stats l2 = lpae_cache_stats_get(lpae_machine_l2(w.m));
    out->l2_misses = l2.misses;
    if (checker) /* the sequence changes tables without maintenance */
        assert_true(w.reports > 0);
    world_fini(&w);
}

static const golden *find(const char *preset)
{
    for (const golden *g = goldens; g->preset; g++)
        if (strcmp(g->preset, preset) == 0)
            return g;
    return NULL;
}

static void machine_workloads_match_golden(void **state)
{
    (void)state;
    bool print = getenv("LPAE_GOLDEN_PRINT") != NULL;
    size_t n = lpae_cost_preset_count();
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        const char *name = lpae_cost_preset_name(i);
        golden g;
        run(name, false, &g);
        if (print) {
            printf("    {\"%s\", UINT64_C(0x%016llx), {%llu, %llu}, %llu, %llu, %llu, %llu, %llu, "
                   "%llu},\n",
                   name, (unsigned long long)g.hash, (unsigned long long)g.cycles[0],
                   (unsigned long long)g.cycles[1], (unsigned long long)g.walks,
                   (unsigned long long)g.utlb_hits, (unsigned long long)g.mtlb_hits,
                   (unsigned long long)g.fetches, (unsigned long long)g.faults,
                   (unsigned long long)g.l2_misses);
            continue;
        }
        const golden *want = find(name);
        if (!want)
            fail_msg("no golden values recorded for preset %s", name);
        assert_int_equal(g.hash, want->hash);
        assert_int_equal(g.cycles[0], want->cycles[0]);
        assert_int_equal(g.cycles[1], want->cycles[1]);
        assert_int_equal(g.walks, want->walks);
        assert_int_equal(g.utlb_hits, want->utlb_hits);
        assert_int_equal(g.mtlb_hits, want->mtlb_hits);
        assert_int_equal(g.fetches, want->fetches);
        assert_int_equal(g.faults, want->faults);
        assert_int_equal(g.l2_misses, want->l2_misses);
        /* the workload exercises every path */
        assert_true(g.walks > 1000 && g.utlb_hits > 10000 && g.mtlb_hits > 100 && g.faults > 100);
    }
}

/* The checker observes only: the same results and cycles with it on. */
static void checker_on_gives_same_results(void **state)
{
    (void)state;
    const char *presets[] = {"cortex-a15", "cortex-a7"};
    for (size_t i = 0; i < 2; i++) {
        golden off, on;
        run(presets[i], false, &off);
        run(presets[i], true, &on);
        assert_int_equal(on.hash, off.hash);
        assert_int_equal(on.cycles[0], off.cycles[0]);
        assert_int_equal(on.cycles[1], off.cycles[1]);
        assert_int_equal(on.utlb_hits, off.utlb_hits);
        assert_int_equal(on.l2_misses, off.l2_misses);
    }
}

/* ---- replay of reference traces ------------------------------------------ */

typedef struct rgolden {
    const char *trace;
    const char *strategy;
    uint64_t cycles, walks, tlbi, mtlb_misses, bytes_copied, efaults, demand_faults, switches;
} rgolden;

/* Recorded from the bench branch (8281489) merged with the kern branch
 * (12b4aaf), without issue 11's changes. */
static const rgolden rgoldens[] = {
    /* clang-format off */
    {"gen-mixed", "direct", 23193574, 5144, 1888, 5144, 20059675, 1586, 1320, 6375},
    {"gen-mixed", "ttbr0-pan", 24988789, 5144, 1888, 5144, 20059675, 1586, 1320, 6375},
    {"gen-mixed", "pinned", 32623002, 26309, 46738, 26309, 20059675, 1586, 1320, 6375},
    {"gen-mixed", "ttbr0-switch", 27768657, 5120, 1888, 5120, 20059675, 1586, 1320, 6375},
    {"gen-mixed", "hybrid", 27191222, 10843, 13712, 10843, 20059675, 1586, 1320, 6375},
    {"gen-procs", "direct", 21920508, 14069, 1680, 14069, 4312834, 0, 6824, 3811},
    {"gen-procs", "ttbr0-pan", 22931733, 14069, 1680, 14069, 4312834, 0, 6824, 3811},
    {"gen-procs", "pinned", 25718862, 17375, 19000, 17375, 4312834, 0, 6824, 3811},
    {"gen-procs", "ttbr0-switch", 23655215, 14059, 1680, 14059, 4312834, 0, 6824, 3811},
    {"gen-procs", "hybrid", 23533556, 14023, 4600, 14023, 4312834, 0, 6824, 3811},
    {"dd_4K", "direct", 8787369, 50, 8, 50, 16786291, 0, 18, 1},
    {"dd_4K", "ttbr0-pan", 9144744, 50, 8, 50, 16786291, 0, 18, 1},
    {"dd_4K", "pinned", 10605884, 4185, 8368, 4185, 16786291, 0, 18, 1},
    {"dd_4K", "ttbr0-switch", 11306150, 42, 8, 42, 16786291, 0, 18, 1},
    {"dd_4K", "hybrid", 10581690, 4139, 8210, 4139, 16786291, 0, 18, 1},
    {"gcc", "direct", 1417279, 516, 6, 516, 1092306, 0, 256, 25},
    {"gcc", "ttbr0-pan", 1697844, 516, 6, 516, 1092306, 0, 256, 25},
    {"gcc", "pinned", 2759183, 3072, 6142, 3072, 1092306, 0, 256, 25},
    {"gcc", "ttbr0-switch", 1912076, 517, 6, 517, 1092306, 0, 256, 25},
    {"gcc", "hybrid", 1971019, 869, 1192, 869, 1092306, 0, 256, 25},
    /* clang-format on */
    {NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0}, /* end */
};

static void gen_trace(const char *path, lpae_gen_kind kind, uint32_t count)
{
    lpae_gen_params p;
    assert_int_equal(lpae_gen_defaults(kind, &p), LPAE_OK);
    p.count = count;
    p.cpus = 2;
    p.touches = 2;
    p.seed = 7;
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(path, LPAE_TRACE_BINARY, &w), LPAE_OK);
    assert_int_equal(lpae_trace_gen(kind, &p, w), LPAE_OK);
    assert_int_equal(lpae_trace_writer_close(w, true), LPAE_OK);
}

static void replay_matches_golden(void **state)
{
    (void)state;
    bool print = getenv("LPAE_GOLDEN_PRINT") != NULL;
    char dir[] = "/tmp/lpae-golden.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mixed[64], procs[64];
    snprintf(mixed, sizeof mixed, "%s/mixed.lpb", dir);
    snprintf(procs, sizeof procs, "%s/procs.lpb", dir);
    gen_trace(mixed, LPAE_GEN_MIXED, 150);
    gen_trace(procs, LPAE_GEN_PROCS, 8);
    struct {
        const char *name, *path;
        bool imported;
    } traces[] = {
        {"gen-mixed", mixed, false},
        {"gen-procs", procs, false},
        {"dd_4K", LPAE_SOURCE_DIR "/bench/traces/dd_4K.lpb.gz", true},
        {"gcc", LPAE_SOURCE_DIR "/bench/traces/gcc.lpb.gz", true},
    };
    lpae_cost *a15;
    assert_int_equal(lpae_cost_preset("cortex-a15", &a15, NULL), LPAE_OK);
    size_t checked = 0;
    for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
        lpae_replay *rp;
        assert_int_equal(lpae_replay_create(&rp), LPAE_OK);
        for (int s = 0; s < LPAE_STRAT_COUNT; s++) {
            lpae_kernel_config kc;
            lpae_kernel_config_init(&kc);
            kc.cost = a15;
            kc.ncpus = 2;
            kc.strategy = (lpae_strategy)s;
            assert_int_equal(lpae_split_find(lpae_strategy_natural_split(kc.strategy), &kc.split),
                             LPAE_OK);
            kc.seed = 42;
            kc.implicit_vmas = traces[t].imported;
            assert_int_equal(lpae_replay_add(rp, &kc), s);
        }
        lpae_replay_summary sum;
        assert_int_equal(lpae_replay_run_path(rp, traces[t].path, NULL, NULL, &sum), LPAE_OK);
        assert_true(sum.events > 1000);
        for (int s = 0; s < LPAE_STRAT_COUNT; s++) {
            const char *msg;
            assert_int_equal(lpae_replay_status(rp, (size_t)s, &msg), LPAE_OK);
            lpae_kernel_stats st;
            assert_int_equal(lpae_replay_stats(rp, (size_t)s, &st), LPAE_OK);
            rgolden g = {traces[t].name,   lpae_strategy_name((lpae_strategy)s),
                         st.cycles,        st.walks,
                         st.tlbi,          st.tlb_misses[LPAE_ST_MTLB],
                         st.bytes_copied,  st.efaults,
                         st.demand_faults, st.context_switches};
            if (print) {
                printf("    {\"%s\", \"%s\", %llu, %llu, %llu, %llu, %llu, %llu, %llu, %llu},\n",
                       g.trace, g.strategy, (unsigned long long)g.cycles,
                       (unsigned long long)g.walks, (unsigned long long)g.tlbi,
                       (unsigned long long)g.mtlb_misses, (unsigned long long)g.bytes_copied,
                       (unsigned long long)g.efaults, (unsigned long long)g.demand_faults,
                       (unsigned long long)g.switches);
                continue;
            }
            const rgolden *want = NULL;
            for (const rgolden *r = rgoldens; r->trace; r++)
                if (!strcmp(r->trace, g.trace) && !strcmp(r->strategy, g.strategy))
                    want = r;
            if (!want)
                fail_msg("no golden values for %s / %s", g.trace, g.strategy);
            assert_int_equal(g.cycles, want->cycles);
            assert_int_equal(g.walks, want->walks);
            assert_int_equal(g.tlbi, want->tlbi);
            assert_int_equal(g.mtlb_misses, want->mtlb_misses);
            assert_int_equal(g.bytes_copied, want->bytes_copied);
            assert_int_equal(g.efaults, want->efaults);
            assert_int_equal(g.demand_faults, want->demand_faults);
            assert_int_equal(g.switches, want->switches);
            assert_true(g.cycles > 0);
            checked++;
        }
        lpae_replay_destroy(rp);
    }
    lpae_cost_destroy(a15);
    unlink(mixed);
    unlink(procs);
    rmdir(dir);
    if (!print)
        assert_int_equal(checked, 4 * LPAE_STRAT_COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(machine_workloads_match_golden),
        cmocka_unit_test(checker_on_gives_same_results),
        cmocka_unit_test(replay_matches_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
