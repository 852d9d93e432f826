/* SPDX-License-Identifier: MIT */
/* Fuzz target: random sequences of map, unmap, protect, translate, TLBI and
 * ASID switches on a two-CPU machine (cortex-a15 preset) sharing one TTBR0
 * tree that covers the whole 4 GB (TTBCR.T0SZ = 0).
 *
 * The harness does the TLB maintenance Linux would after each table change
 * (TLBIMVAA IS per page for small ranges, else TLBIALL IS, and every page of
 * a block split at an end of the range), so the TLBs and
 * walk caches must then agree with the tables: every translation is compared
 * with a fresh lpae_walk() of the current tables, and the machine's
 * coherence checker is on and must never report. Extra TLBIs chosen by the
 * input are always allowed.
 *
 * Input: a sequence of operations, each an opcode byte and its operands
 * (little-endian). Missing bytes read as zero. */
#include <string.h>

#include "fuzz.h"
#include "lpae/cost.h"
#include "lpae/hwdef.h"
#include "lpae/err.h"
#include "lpae/machine.h"
#include "lpae/pgtable.h"
#include "lpae/walk.h"

#define RAM_BASE UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(32) << 20)
/* VAs the operations touch: 128 MB at 1 GB - 64 MB, so that level-1 (1 GB)
 * boundaries and 2 MB blocks are crossed. */
#define VA_BASE UINT32_C(0x3C000000)
#define VA_PAGES (UINT32_C(128) << 8)
/* Unmap/protect ranges up to this many pages get per-page TLBIs. */
#define TLBI_PAGES_MAX 32

typedef struct input {
    const uint8_t *p;
    size_t n;
} input;

static uint32_t take(input *in, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        uint32_t b = 0;
        if (in->n) {
            b = *in->p++;
            in->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

static void on_report(void *ctx, const lpae_coherence_report *r)
{
    char buf[512];
    (void)ctx;
    lpae_coherence_format(r, buf, sizeof buf);
    fprintf(stderr, "coherence report after correct maintenance: %s\n", buf);
    __builtin_trap();
}

/* A VA range from the input: 4 KB pages, or 2 MB blocks when bit 15 is set. */
static void take_range(input *in, lpae_va_t *va, uint64_t *size)
{
    uint32_t a = take(in, 2), n = take(in, 1);
    if (a & 0x8000u) {
        *va = VA_BASE + ((a & 0x3Fu) << 21);
        *size = (uint64_t)(n % 8 + 1) << 21;
    } else {
        *va = VA_BASE + ((a % VA_PAGES) << 12);
        *size = (uint64_t)(n % 64 + 1) << 12;
    }
}

static void take_prot(input *in, lpae_prot *prot)
{
    uint32_t b = take(in, 1);
    memset(prot, 0, sizeof *prot);
    prot->ap = (uint8_t)(b & 3u);
    prot->xn = (b >> 2) & 1u;
    prot->pxn = (b >> 3) & 1u;
    prot->ng = (b >> 4) & 1u;
    prot->af = ((b >> 5) & 1u) == 0; /* mostly set */
    prot->attrindx = (uint8_t)((b >> 6) & 3u);
}

/* The maintenance a correct kernel does after changing [va, va+size). */
static void maintain(lpae_cpu *cpu, lpae_va_t va, uint64_t size)
{
    if (size <= (uint64_t)TLBI_PAGES_MAX << 12) {
        for (uint64_t off = 0; off < size; off += 4096)
            FUZZ_CHECK(lpae_cpu_tlbi(cpu, LPAE_TLBI_MVAA, true, va + (lpae_va_t)off, 0, NULL) == 0);
    } else {
        FUZZ_CHECK(lpae_cpu_tlbi(cpu, LPAE_TLBI_ALL, true, 0, 0, NULL) == 0);
    }
    lpae_cpu_dsb(cpu);
    lpae_cpu_isb(cpu);
}

/* A block (level 1 or 2) mapping an end of [va, va+size) gets split by a
 * change of part of it. A micro-TLB that holds blocks as 4 KB pieces
 * (utlb.*.sizes = 4K) keeps pieces of the block outside the range, so Linux
 * flushes the whole block when it splits one: find such blocks before the
 * change, as [*lo, *lo + *len) (len 0 = none). */
static void edge_blocks(const lpae_pgtable *pt, lpae_va_t va, uint64_t size, lpae_va_t lo[2],
                        uint64_t len[2])
{
    lpae_va_t ends[2] = {va, (lpae_va_t)(va + size - 1)};
    for (int i = 0; i < 2; i++) {
        lpae_pte_ref ref;
        len[i] = 0;
        if (lpae_pgtable_lookup(pt, ends[i], &ref) == 0 && ref.level < 3) {
            len[i] = UINT64_C(1) << LPAE_LEVEL_SHIFT(ref.level);
            lo[i] = ends[i] & ~(lpae_va_t)(len[i] - 1);
        }
    }
}

static void maintain_blocks(lpae_cpu *cpu, const lpae_va_t lo[2], const uint64_t len[2])
{
    if (len[0])
        maintain(cpu, lo[0], len[0]);
    if (len[1] && (!len[0] || lo[1] != lo[0]))
        maintain(cpu, lo[1], len[1]);
}

static void check_translate(lpae_phys *phys, lpae_cpu *cpu, lpae_va_t va, unsigned access)
{
    lpae_xlate x;
    lpae_walk_result w;
    FUZZ_CHECK(lpae_cpu_translate(cpu, va, access, &x) == 0);
    FUZZ_CHECK(lpae_walk(lpae_cpu_regs(cpu), phys, va, access, &w) == 0);
    if (x.fault != w.fault)
        fprintf(stderr, "va 0x%08x %s: machine fault %s (src %u), walk fault %s\n", va,
                lpae_access_name(access), lpae_fault_name(x.fault), x.src,
                lpae_fault_name(w.fault));
    FUZZ_CHECK(x.fault == w.fault);
    FUZZ_CHECK(x.fsc == w.fsc);
    FUZZ_CHECK(x.level == w.level);
    if (w.fault == LPAE_FAULT_NONE || w.fault == LPAE_FAULT_PERMISSION) {
        FUZZ_CHECK(x.pa == w.pa);
        FUZZ_CHECK(x.size_shift == w.size_shift);
        FUZZ_CHECK(x.attrs.perm == w.attrs.perm);
        FUZZ_CHECK(x.attrs.mair == w.attrs.mair);
        FUZZ_CHECK(x.attrs.ap == w.attrs.ap);
        FUZZ_CHECK(x.attrs.ng == w.attrs.ng);
        FUZZ_CHECK(x.attrs.xn == w.attrs.xn);
        FUZZ_CHECK(x.attrs.pxn == w.attrs.pxn);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned accesses[6] = {LPAE_ACC_PR, LPAE_ACC_PW, LPAE_ACC_PX,
                                         LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX};
    lpae_ram_range ram = {RAM_BASE, RAM_SIZE};
    lpae_phys_config pc = {&ram, 1, 0};
    lpae_phys *phys = NULL;
    lpae_pgtable *pt = NULL;
    lpae_pgtable_config tc;
    lpae_cost *cost = NULL;
    lpae_machine *m = NULL;
    lpae_machine_config mc;
    input in = {data, size};
    unsigned ops = 0;

    FUZZ_CHECK(lpae_phys_create(&pc, &phys) == 0);
    memset(&tc, 0, sizeof tc);
    tc.phys = phys;
    tc.sel = LPAE_SEL_TTBR0;
    tc.tsz = 0;
    FUZZ_CHECK(lpae_pgtable_create(&tc, &pt) == 0);
    FUZZ_CHECK(lpae_cost_preset("cortex-a15", &cost, NULL) == 0);
    memset(&mc, 0, sizeof mc);
    mc.cost = cost;
    mc.phys = phys;
    mc.ncpus = 2;
    mc.seed = 1;
    FUZZ_CHECK(lpae_machine_create(&mc, &m) == 0);
    lpae_machine_set_checker(m, on_report, NULL);
    for (unsigned i = 0; i < 2; i++) {
        lpae_cpu *cpu = lpae_machine_cpu(m, i);
        FUZZ_CHECK(lpae_cpu_write_ttbcr(cpu, LPAE_TTBCR_EAE, NULL) == 0);
        FUZZ_CHECK(lpae_cpu_write_ttbr(cpu, 0, lpae_pgtable_ttbr(pt, (uint8_t)(i + 1)), NULL) == 0);
    }

    while (in.n && ops++ < 4096) {
        uint32_t op = take(&in, 1);
        lpae_cpu *cpu = lpae_machine_cpu(m, (op >> 7) & 1u);
        lpae_va_t va;
        uint64_t len;
        lpae_prot prot;
        lpae_va_t blo[2];
        uint64_t blen[2];
        int rc;

        switch (op & 7u) {
        case 0: /* map */
        case 1: {
            uint32_t pa_page = take(&in, 2);
            unsigned flags = (op & 0x40u) ? LPAE_MAP_REPLACE : 0;
            lpae_pa_t pa;
            take_range(&in, &va, &len);
            take_prot(&in, &prot);
            pa = RAM_BASE + ((uint64_t)pa_page << 12);
            if (len >= LPAE_SIZE_2M)
                pa &= ~(uint64_t)(LPAE_SIZE_2M - 1);
            edge_blocks(pt, va, len, blo, blen);
            rc = lpae_pgtable_map(pt, va, pa, len, &prot, flags);
            FUZZ_CHECK(rc == 0 || rc == LPAE_EEXIST || rc == LPAE_ENOSPC);
            /* A replaced mapping needs the same maintenance as an unmap; a
             * failed map removes what it made (also under REPLACE). */
            if (flags || rc != 0) {
                maintain(cpu, va, len);
                maintain_blocks(cpu, blo, blen);
            }
            break;
        }
        case 2: /* unmap */
            take_range(&in, &va, &len);
            edge_blocks(pt, va, len, blo, blen);
            rc = lpae_pgtable_unmap(pt, va, len);
            FUZZ_CHECK(rc == 0 || rc == LPAE_ENOSPC);
            maintain(cpu, va, len);
            maintain_blocks(cpu, blo, blen);
            break;
        case 3: /* protect */
            take_range(&in, &va, &len);
            take_prot(&in, &prot);
            edge_blocks(pt, va, len, blo, blen);
            rc = lpae_pgtable_protect(pt, va, len, &prot);
            FUZZ_CHECK(rc == 0 || rc == LPAE_ENOSPC);
            maintain(cpu, va, len);
            maintain_blocks(cpu, blo, blen);
            break;
        case 4: /* translate */
        case 5: {
            uint32_t a = take(&in, 3);
            unsigned access = accesses[(op >> 3) % 6u];
            va = (op & 0x40u) ? (lpae_va_t)a << 8 : VA_BASE + ((a % VA_PAGES) << 12) + (a >> 20);
            check_translate(phys, cpu, va, access);
            break;
        }
        case 6: { /* an extra TLBI of any kind */
            uint32_t a = take(&in, 4);
            lpae_tlbi kind = (lpae_tlbi)((op >> 3) & 3u);
            va = VA_BASE + ((a % VA_PAGES) << 12);
            FUZZ_CHECK(lpae_cpu_tlbi(cpu, kind, (op >> 5) & 1u, va, (uint8_t)(a >> 24), NULL) == 0);
            break;
        }
        case 7: { /* switch this CPU's ASID (the tables are shared) */
            uint8_t asid = (uint8_t)take(&in, 1);
            FUZZ_CHECK(lpae_cpu_write_ttbr(cpu, 0, lpae_pgtable_ttbr(pt, asid), NULL) == 0);
            lpae_cpu_isb(cpu);
            break;
        }
        }
    }
    lpae_machine_destroy(m);
    lpae_cost_destroy(cost);
    lpae_pgtable_destroy(pt);
    lpae_phys_destroy(phys);
    return 0;
}
