/* SPDX-License-Identifier: MIT */
/* lpae-tlbspeed: translations per second through the machine model: micro-TLB
 * hits (fast path), main-TLB hits, and full walks (TLBs flushed each time).
 * usage: lpae-tlbspeed [PRESET] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/machine.h"

#define RAM UINT64_C(0x80000000)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the build host is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "lpae-tlbspeed: %s: %s\n", what, lpae_strerror(rc));
    return 1;
}

int main(int argc, char **argv)
{
    const char *preset = argc > 1 ? argv[1] : "cortex-a15";
    lpae_cost *cost;
    int rc = lpae_cost_preset(preset, &cost, NULL);
    if (rc)
        return fail(preset, rc);
    lpae_ram_range ram = {RAM, 64u << 20};
    lpae_phys_config pc = {&ram, 1, 0};
    lpae_phys *phys;
    if ((rc = lpae_phys_create(&pc, &phys)))
        return fail("phys", rc);
    /* VA 0..1 GB in 4 KB pages: 512 level-3 tables whose entries all map the
     * same 512 frames (only the walk matters here) */
    lpae_phys_write64(phys, RAM, (RAM + 0x1000) | 3);
    for (unsigned t = 0; t < 512; t++)
        lpae_phys_write64(phys, RAM + 0x1000 + t * 8, (RAM + 0x2000 + t * 0x1000ull) | 3);
    for (unsigned t = 0; t < 512; t++)
        for (unsigned i = 0; i < 512; i++)
            lpae_phys_write64(phys, RAM + 0x2000 + t * 0x1000ull + i * 8,
                              (RAM + 0x300000 + i * 0x1000ull) | 3 | LPAE_DESC_AF | LPAE_DESC_NG |
                                  ((uint64_t)LPAE_AP_RW << 6));
    lpae_machine *m;
    lpae_machine_config mc = {cost, phys, 1, 1};
    if ((rc = lpae_machine_create(&mc, &m)))
        return fail("machine", rc);
    lpae_cpu *cpu = lpae_machine_cpu(m, 0);
    lpae_regs r;
    lpae_regs_init(&r);
    lpae_regs_set_ttbcr(&r, LPAE_TTBCR_EAE);
    lpae_regs_set_ttbr(&r, 0, RAM | (UINT64_C(1) << 48));
    if ((rc = lpae_cpu_set_regs(cpu, &r)))
        return fail("regs", rc);
    /* a second machine without walk caches, for full 3-level walks */
    lpae_cost *nowc;
    lpae_cost_clone(cost, &nowc);
    lpae_cost_set(nowc, LPAE_P_WC1_ENTRIES, 0);
    lpae_cost_set(nowc, LPAE_P_WC2_ENTRIES, 0);
    lpae_machine *m2;
    mc.cost = nowc;
    if ((rc = lpae_machine_create(&mc, &m2)))
        return fail("machine", rc);
    lpae_cpu *cpu2 = lpae_machine_cpu(m2, 0);
    lpae_cpu_set_regs(cpu2, &r);

    lpae_xlate x;
    uint64_t sink = 0;
    const unsigned n_fast = 50000000, n_walk = 5000000;
    /* fast path: 8 hot pages, all micro-TLB hits */
    double t0 = now();
    for (unsigned i = 0; i < n_fast; i++) {
        lpae_cpu_translate(cpu, (i & 7) << 12 | (i & 0xff0), LPAE_ACC_UR, &x);
        sink += x.pa;
    }
    double t1 = now();
    /* cycling over 8192 pages (32 MB): every translation misses both TLBs and
     * walks, resuming at level 3 from the walk cache */
    for (unsigned i = 0; i < n_walk; i++) {
        lpae_cpu_translate(cpu, (i * 4099u & 0x1FFFu) << 12, LPAE_ACC_UR, &x);
        sink += x.pa;
    }
    double t2 = now();
    /* the same without walk caches: three descriptor fetches each */
    for (unsigned i = 0; i < n_walk; i++) {
        lpae_cpu_translate(cpu2, (i * 4099u & 0x1FFFu) << 12, LPAE_ACC_UR, &x);
        sink += x.pa;
    }
    double t3 = now();
    lpae_cpu_stats st;
    lpae_cpu_stats_get(cpu2, &st);
    printf("%s: micro-TLB hits %.1f M/s; walks from the walk cache %.1f M/s; "
           "full 3-level walks %.1f M/s (%llu walks, sink %llu)\n",
           preset, n_fast / (t1 - t0) / 1e6, n_walk / (t2 - t1) / 1e6, n_walk / (t3 - t2) / 1e6,
           (unsigned long long)st.walks, (unsigned long long)sink);
    lpae_machine_destroy(m2);
    lpae_cost_destroy(nowc);
    lpae_machine_destroy(m);
    lpae_phys_destroy(phys);
    lpae_cost_destroy(cost);
    return 0;
}
