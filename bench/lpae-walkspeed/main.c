/* SPDX-License-Identifier: MIT */
/*
 * lpae-walkspeed: full translation table walks per second on this host.
 *
 * Builds a VMSPLIT_3G layout with the table builder (user space: 1 GB of
 * 4 KB pages in TTBR0; lowmem: 768 MB of 2 MB blocks in TTBR1) and times
 * lpae_walk() over pseudo-random VAs (fixed seed), plus lpae_walk_from()
 * resuming at level 3. Usage: lpae-walkspeed [WALKS]  (default 20000000).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lpae/err.h"
#include "lpae/pgtable.h"
#include "lpae/walk.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what, int err)
{
    fprintf(stderr, "lpae-walkspeed: %s: %s\n", what, lpae_strerror(err));
    return 1;
}

int main(int argc, char **argv)
{
    unsigned long n = 20000000ul;
    if (argc > 2) {
        fprintf(stderr, "lpae-walkspeed: usage: lpae-walkspeed [WALKS]\n");
        return 2;
    }
    if (argc == 2) {
        char *end;
        errno = 0;
        n = strtoul(argv[1], &end, 0);
        if (errno || *end || n == 0) {
            fprintf(stderr, "lpae-walkspeed: WALKS must be a positive integer, got '%s'\n",
                    argv[1]);
            return 2;
        }
    }
    lpae_ram_range ram[] = {{UINT64_C(0x80000000), UINT64_C(0x80000000)}};
    lpae_phys_config pc = {ram, 1, 0};
    lpae_phys *phys;
    int err = lpae_phys_create(&pc, &phys);
    if (err)
        return fail("phys", err);
    lpae_pgtable *user, *kern;
    lpae_pgtable_config uc = {phys, LPAE_SEL_TTBR0, 0, UINT64_C(0x80000000), 0};
    lpae_pgtable_config kc = {phys, LPAE_SEL_TTBR1, 2, UINT64_C(0x80000000), 0};
    if ((err = lpae_pgtable_create(&uc, &user)) || (err = lpae_pgtable_create(&kc, &kern)))
        return fail("pgtable", err);
    lpae_prot up = {.attrindx = 7, .ap = LPAE_AP_RW, .sh = 3, .af = true, .ng = true};
    lpae_prot kp = {.attrindx = 7, .ap = LPAE_AP_PL1_RW, .sh = 3, .af = true};
    if ((err = lpae_pgtable_map(user, 0, UINT64_C(0x100000000), UINT64_C(1) << 30, &up,
                                LPAE_MAP_FORCE_4K)) ||
        (err = lpae_pgtable_map(kern, 0xC0000000, UINT64_C(0x80000000), 768u << 20, &kp, 0)))
        return fail("map", err);
    lpae_regs regs;
    lpae_regs_init(&regs);
    regs.ttbcr |= 2u << 16;
    regs.ttbr0 = lpae_pgtable_ttbr(user, 1);
    regs.ttbr1 = lpae_pgtable_ttbr(kern, 0);

    static const char *const name[3] = {"user 4KB pages (3 fetches)", "lowmem 2MB blocks (1 fetch)",
                                        "walk_from level 3 (1 fetch)"};
    for (int c = 0; c < 3; c++) {
        lpae_walk_result r;
        unsigned long ok = 0;
        uint32_t x = 12345;
        double t0 = now();
        for (unsigned long i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            if (c == 0) {
                lpae_walk(&regs, phys, x & 0x3FFFFFFFu, LPAE_ACC_UR, &r);
            } else if (c == 1) {
                lpae_walk(&regs, phys, 0xC0000000u + (x % (768u << 20)), LPAE_ACC_PW, &r);
            } else {
                lpae_va_t va = x & 0x3FFFFFFFu;
                lpae_pte_ref ref;
                if (i == 0 && lpae_pgtable_lookup(user, va, &ref) != 0)
                    return fail("lookup", LPAE_ENOENT);
                /* the level-3 table of the first VA's 2 MB region */
                static lpae_pa_t l3;
                if (i == 0)
                    l3 = ref.desc_pa & ~UINT64_C(0xFFF);
                lpae_walk_from(&regs, phys,
                               (va & 0x3FFFFFFFu & ~0x1FFFFFu) | (lpae_va_t)(x & 0x1FFFFFu),
                               LPAE_ACC_UR, 3, l3, 0, &r);
            }
            ok += r.fault == LPAE_FAULT_NONE;
        }
        double dt = now() - t0;
        if (ok != n)
            return fail(name[c], LPAE_EFAULT);
        printf("%-30s %lu walks in %.3f s: %.1f M walks/s\n", name[c], n, dt, (double)n / dt / 1e6);
    }
    lpae_pgtable_destroy(user);
    lpae_pgtable_destroy(kern);
    lpae_phys_destroy(phys);
    return 0;
}
