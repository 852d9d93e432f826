/* SPDX-License-Identifier: MIT */
/* The kernel object: construction and configuration errors, kernel entry
 * and exit (4G/4G TTBR0 flips), switch_mm with the ASID allocator, rollover
 * on one and two CPUs, SMP inner-shareable maintenance, exec/exit, and whole
 * generated workloads (breakdowns summing to the totals). */
#include "kt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lpae/asid.h"
#include "lpae/trace.h"
/* the touch fast path's key (struct kcpu) and the general event path */
#include "kernel/kernel_internal.h"

static lpae_cpu *cpu_of(struct kt *t, unsigned i)
{
    return lpae_machine_cpu(lpae_kernel_machine(t->k), i);
}

static uint8_t ttbr0_asid(struct kt *t, unsigned cpu)
{
    return (uint8_t)(lpae_cpu_regs(cpu_of(t, cpu))->ttbr0 >> 48);
}

static void test_create_errors(void **state)
{
    (void)state;
    lpae_kernel *k = NULL;
    lpae_kernel_config c;
    assert_int_equal(lpae_kernel_create(NULL, &k), LPAE_EINVAL);
    lpae_kernel_config_init(&c);
    assert_int_equal(lpae_kernel_create(&c, NULL), LPAE_EINVAL);
    c.strategy = LPAE_STRAT_DIRECT; /* needs a classic split */
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    c.strategy = LPAE_STRAT_TTBR0_PAN;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_TTBR0_SWITCH, 1);
    assert_int_equal(lpae_split_find("VMSPLIT_3G", &c.split), LPAE_OK);
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 0);
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 9);
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.switch_chunk = 0;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    c.switch_chunk = 30;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.asid_bits = 9; /* TTBRn.ASID is 8 bits */
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.strategy = LPAE_STRAT_COUNT;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.switch_variant = (lpae_switch_variant)7;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
    /* simulated memory too small for the kernel image */
    lpae_ram_range tiny = {UINT64_C(0x80000000), UINT64_C(8) << 20};
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.ram = &tiny;
    c.nram = 1;
    assert_true(lpae_kernel_create(&c, &k) < 0);
    /* a machine without highmem: pinned only ever takes the lowmem fast path */
    lpae_ram_range small = {UINT64_C(0x80000000), UINT64_C(512) << 20};
    c.ram = &small;
    struct kt t;
    kt_open_cfg(&t, &c);
    assert_int_equal(lpae_kernel_layout(t.k)->nhighmem, 0);
    assert_int_equal(kt_mmap(&t, 0, 1, 0x10000000u, 0x10000, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    lpae_event_result r;
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 0, 1, 0x10000000u, 9000, LPAE_KBUF_PAGE, 0, &r), 0);
    lpae_kernel_stats s = kt_stats(&t);
    assert_int_equal(s.kmaps_highmem, 0);
    assert_int_equal(s.gup_pages, 3);
    kt_close(&t);
    assert_null(lpae_kernel_machine(NULL));
    lpae_kernel_destroy(NULL);
    assert_int_equal(lpae_kernel_stats_get(NULL, &s), LPAE_EINVAL);
}

static void test_apply_errors(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_PINNED, 2);
    lpae_tev e = kt_ev(LPAE_TEV_SYS_ENTER, 2, 1); /* CPU out of range */
    lpae_event_result r;
    assert_int_equal(lpae_kernel_apply(t.k, &e, &r), LPAE_EINVAL);
    e = kt_ev(LPAE_TEV_GET_USER, 0, 1);
    e.len = 3; /* malformed */
    assert_int_equal(lpae_kernel_apply(t.k, &e, &r), LPAE_EINVAL);
    e.kind = 200;
    assert_int_equal(lpae_kernel_apply(t.k, &e, &r), LPAE_EINVAL);
    assert_int_equal(lpae_kernel_apply(NULL, &e, &r), LPAE_EINVAL);
    assert_int_equal(lpae_kernel_apply(t.k, NULL, &r), LPAE_EINVAL);
    /* fork onto an existing pid is a result, not an error */
    e = kt_ev(LPAE_TEV_FORK, 0, 1);
    e.arg = 1;
    assert_int_equal(kt_do(&t, &e, NULL), LPAE_EEXIST);
    /* the idle task has no user memory */
    assert_int_equal(kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 1, 0, 0x1000, 4, LPAE_KBUF_SLAB, 0, &r),
                     LPAE_EFAULT);
    /* a user touch outside every VMA: SIGSEGV, counted */
    assert_int_equal(kt_touch(&t, 0, 1, 0x40000000u, 4, LPAE_TEVF_READ), LPAE_EFAULT);
    assert_int_equal(kt_stats(&t).efaults, 2);
    kt_check_sums(&t);
    kt_close(&t);
}

static void entry_exit(lpae_strategy s, uint64_t ttbr, uint64_t ttbcr, uint64_t isb)
{
    struct kt t;
    kt_open(&t, s, 1);
    for (int i = 0; i < 3; i++) {
        kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
        lpae_kcpu_info ci;
        assert_int_equal(lpae_kernel_cpu_info(t.k, 0, &ci), LPAE_OK);
        assert_true(ci.in_kernel);
        if (s == LPAE_STRAT_PINNED)
            assert_int_equal(ttbr0_asid(&t, 0), ci.kernel_asid);
        kt_simple(&t, LPAE_TEV_SYS_EXIT, 0, 1);
        lpae_task_info ti;
        assert_int_equal(lpae_kernel_task_info(t.k, 1, &ti), LPAE_OK);
        assert_int_equal(ttbr0_asid(&t, 0), ti.asid);
        assert_int_not_equal(ti.asid, 0);
    }
    lpae_kernel_stats st = kt_stats(&t);
    assert_int_equal(st.syscalls, 3);
    assert_int_equal(st.ttbr_writes, ttbr);
    assert_int_equal(st.entry_flips, ttbr);
    assert_int_equal(st.ttbcr_writes, ttbcr);
    assert_int_equal(st.isb, isb);
    assert_int_equal(st.tlbi, 0);
    lpae_cycles_t want = 3 * (kt_cost(&t, LPAE_P_EXC_ENTRY) + kt_cost(&t, LPAE_P_EXC_EXIT)) +
                         ttbr * kt_cost(&t, LPAE_P_CP15_TTBR0) +
                         ttbcr * kt_cost(&t, LPAE_P_CP15_TTBCR) + isb * kt_cost(&t, LPAE_P_ISB);
    assert_true(st.phase[LPAE_PH_ENTRY] == want);
    assert_true(st.cycles == want);
    kt_check_sums(&t);
    kt_close(&t);
}

static void test_entry_4g(void **state)
{
    (void)state;
    entry_exit(LPAE_STRAT_PINNED, 6, 0, 6); /* TTBR0 flip + ISB each way */
}

static void test_entry_classic(void **state)
{
    (void)state;
    entry_exit(LPAE_STRAT_DIRECT, 0, 0, 0);
    entry_exit(LPAE_STRAT_TTBR0_PAN, 0, 6, 3); /* uaccess_disable + isb; enable isb=0 */
}

/* A user touch outside every VMA (SIGSEGV): the abort's entry and exit book
 * to LPAE_PH_ENTRY exactly as a syscall's do (plus nothing), the fault's
 * software handling to LPAE_PH_FAULT; the fused fault path of a touch from
 * user mode must keep that split. */
static void touch_fault_phases(lpae_strategy s, uint64_t ttbr, uint64_t ttbcr, uint64_t isb)
{
    struct kt t;
    kt_open(&t, s, 1);
    assert_int_equal(kt_touch(&t, 0, 1, 0x40000000u, 4, LPAE_TEVF_READ), LPAE_EFAULT);
    for (unsigned i = 0; i < 3; i++) {
        lpae_kernel_stats a = kt_stats(&t);
        assert_int_equal(kt_touch(&t, 0, 1, 0x40000000u + 0x10000u * i, 4,
                                  i == 1 ? LPAE_TEVF_WRITE : LPAE_TEVF_READ),
                         LPAE_EFAULT);
        lpae_kernel_stats b = kt_stats(&t);
        assert_int_equal(b.efaults - a.efaults, 1);
        assert_int_equal(b.ttbr_writes - a.ttbr_writes, ttbr);
        assert_int_equal(b.entry_flips - a.entry_flips, ttbr);
        assert_int_equal(b.ttbcr_writes - a.ttbcr_writes, ttbcr);
        assert_int_equal(b.isb - a.isb, isb);
        lpae_cycles_t entry = kt_cost(&t, LPAE_P_EXC_ENTRY) + kt_cost(&t, LPAE_P_EXC_EXIT) +
                              ttbr * kt_cost(&t, LPAE_P_CP15_TTBR0) +
                              ttbcr * kt_cost(&t, LPAE_P_CP15_TTBCR) +
                              isb * kt_cost(&t, LPAE_P_ISB);
        assert_true(b.phase[LPAE_PH_ENTRY] - a.phase[LPAE_PH_ENTRY] == entry);
        assert_true(b.phase[LPAE_PH_FAULT] - a.phase[LPAE_PH_FAULT] ==
                    kt_cost(&t, LPAE_P_SW_PAGE_FAULT));
        assert_true(b.phase[LPAE_PH_USER] > a.phase[LPAE_PH_USER]);
        lpae_kcpu_info ci;
        assert_int_equal(lpae_kernel_cpu_info(t.k, 0, &ci), LPAE_OK);
        assert_false(ci.in_kernel);
    }
    kt_check_sums(&t);
    kt_close(&t);
}

static void test_touch_fault_phases(void **state)
{
    (void)state;
    touch_fault_phases(LPAE_STRAT_PINNED, 2, 0, 2);
    touch_fault_phases(LPAE_STRAT_DIRECT, 0, 0, 0);
    touch_fault_phases(LPAE_STRAT_TTBR0_PAN, 0, 2, 1);
}

static void test_switch_mm(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 1);
    lpae_tev e = kt_ev(LPAE_TEV_FORK, 0, 1);
    e.arg = 2;
    kt_do(&t, &e, NULL);
    e.arg = 3;
    e.flags = LPAE_TEVF_THREAD;
    kt_do(&t, &e, NULL);
    lpae_kernel_stats a = kt_stats(&t);
    e = kt_ev(LPAE_TEV_SWITCH, 0, 2);
    e.arg = 1;
    kt_do(&t, &e, NULL);
    lpae_kernel_stats b = kt_stats(&t);
    /* new ASID, one 64-bit TTBR0 write carrying it, ISB */
    assert_int_equal(b.context_switches - a.context_switches, 1);
    assert_int_equal(b.asid_allocs - a.asid_allocs, 1);
    assert_int_equal(b.ttbr_writes - a.ttbr_writes, 1);
    assert_int_equal(b.isb - a.isb, 1);
    assert_int_equal(b.tlbi - a.tlbi, 0);
    assert_true(b.phase[LPAE_PH_SWITCH] - a.phase[LPAE_PH_SWITCH] ==
                kt_cost(&t, LPAE_P_CP15_TTBR0) + kt_cost(&t, LPAE_P_ISB));
    lpae_task_info t2, t1;
    assert_int_equal(lpae_kernel_task_info(t.k, 2, &t2), LPAE_OK);
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &t1), LPAE_OK);
    assert_int_equal(ttbr0_asid(&t, 0), t2.asid);
    assert_int_not_equal(t1.asid, t2.asid);
    /* back to task 1: fast path, no allocation */
    e = kt_ev(LPAE_TEV_SWITCH, 0, 1);
    kt_do(&t, &e, NULL);
    lpae_kernel_stats c = kt_stats(&t);
    assert_int_equal(c.asid_allocs, b.asid_allocs);
    assert_int_equal(c.ttbr_writes - b.ttbr_writes, 1);
    /* to its thread: same mm, no switch_mm */
    e = kt_ev(LPAE_TEV_SWITCH, 0, 3);
    kt_do(&t, &e, NULL);
    lpae_kernel_stats d = kt_stats(&t);
    assert_int_equal(d.context_switches - c.context_switches, 1);
    assert_int_equal(d.ttbr_writes, c.ttbr_writes);
    assert_int_equal(d.isb, c.isb);
    /* an event of another task implies the switch */
    kt_simple(&t, LPAE_TEV_SYS_EXIT, 0, 2);
    assert_int_equal(kt_stats(&t).context_switches - d.context_switches, 1);
    kt_check_sums(&t);
    kt_close(&t);
}

static void test_switch_mm_4g(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_TTBR0_SWITCH, 1);
    kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
    lpae_kernel_stats a = kt_stats(&t);
    lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, 2);
    kt_do(&t, &e, NULL);
    lpae_kernel_stats b = kt_stats(&t);
    /* in kernel mode TTBR0 holds kernel lowmem: the user tables go live at the exit */
    assert_int_equal(b.ttbr_writes, a.ttbr_writes);
    lpae_kcpu_info ci;
    assert_int_equal(lpae_kernel_cpu_info(t.k, 0, &ci), LPAE_OK);
    assert_int_equal(ttbr0_asid(&t, 0), ci.kernel_asid);
    kt_simple(&t, LPAE_TEV_SYS_EXIT, 0, 2);
    lpae_task_info t2;
    assert_int_equal(lpae_kernel_task_info(t.k, 2, &t2), LPAE_OK);
    assert_int_equal(ttbr0_asid(&t, 0), t2.asid);
    assert_int_equal(kt_stats(&t).ttbr_writes - b.ttbr_writes, 1);
    kt_close(&t);
}

/* New mms on one CPU until the allocator rolls over. */
static void rollover_one_cpu(lpae_strategy s, unsigned expect_at)
{
    struct kt t;
    kt_open(&t, s, 1);
    lpae_kcpu_info ci;
    assert_int_equal(lpae_kernel_cpu_info(t.k, 0, &ci), LPAE_OK);
    unsigned mms = 1; /* task 1 */
    for (uint32_t pid = 2; pid < 400; pid++) {
        lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, pid);
        kt_do(&t, &e, NULL);
        mms++;
        lpae_task_info ti;
        assert_int_equal(lpae_kernel_task_info(t.k, pid, &ti), LPAE_OK);
        assert_int_not_equal(ti.asid, 0);
        if (s != LPAE_STRAT_DIRECT)
            assert_int_not_equal(ti.asid, ci.kernel_asid); /* never a user's */
        if (kt_stats(&t).asid_rollovers)
            break;
    }
    assert_int_equal(mms, expect_at);
    lpae_kernel_stats st = kt_stats(&t);
    assert_int_equal(st.asid_rollovers, 1);
    assert_int_equal(st.asid_flushes, 1);
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_ALL][0], 1);
    kt_close(&t);
}

static void test_rollover_one_cpu(void **state)
{
    (void)state;
    rollover_one_cpu(LPAE_STRAT_DIRECT, 256); /* 255 ASIDs per generation */
    rollover_one_cpu(LPAE_STRAT_PINNED, 255); /* one kept for kernel lowmem */
}

static void test_rollover_two_cpus(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 2);
    /* CPU 1 runs task 1000 and keeps it */
    lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 1, 1000);
    kt_do(&t, &e, NULL);
    assert_int_equal(kt_touch(&t, 1, 1000, 0xBEFFF000u, 4, LPAE_TEVF_WRITE), 0);
    lpae_task_info keep;
    assert_int_equal(lpae_kernel_task_info(t.k, 1000, &keep), LPAE_OK);
    uint32_t pid = 2;
    while (kt_stats(&t).asid_rollovers == 0) {
        e = kt_ev(LPAE_TEV_SWITCH, 0, pid);
        kt_do(&t, &e, NULL);
        assert_int_equal(kt_touch(&t, 0, pid, 0xBEFFF000u, 4, LPAE_TEVF_WRITE), 0);
        pid++;
        assert_true(pid < 400);
    }
    /* CPU 0 flushed at once; CPU 1 owes its flush, its task keeps its ASID */
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_ALL][0], 1);
    assert_int_equal(kt_cpu(&t, 1).tlbi[LPAE_TLBI_ALL][0], 0);
    lpae_task_info now;
    assert_int_equal(lpae_kernel_task_info(t.k, 1000, &now), LPAE_OK);
    assert_int_equal(now.asid, keep.asid);
    assert_int_equal(ttbr0_asid(&t, 1), keep.asid);
    assert_int_equal(kt_touch(&t, 1, 1000, 0xBEFFF000u, 4, LPAE_TEVF_READ), 0);
    /* CPU 1's next switch performs the deferred flush, exactly once */
    for (uint32_t i = 0; i < 5; i++) {
        e = kt_ev(LPAE_TEV_SWITCH, 1, pid + i);
        kt_do(&t, &e, NULL);
        e = kt_ev(LPAE_TEV_SWITCH, 0, 2 + i);
        kt_do(&t, &e, NULL);
    }
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_ALL][0], 1);
    assert_int_equal(kt_cpu(&t, 1).tlbi[LPAE_TLBI_ALL][0], 1);
    lpae_asid_stats as;
    assert_int_equal(lpae_asid_stats_get(lpae_kernel_asid_allocator(t.k), &as), LPAE_OK);
    assert_int_equal(as.deferred_flushes_cpu[0], 1);
    assert_int_equal(as.deferred_flushes_cpu[1], 1);
    assert_true(as.tlb_entries_lost > 0); /* the touches left entries behind */
    lpae_kernel_stats st = kt_stats(&t);
    assert_int_equal(st.asid_flushes, 2);
    assert_int_equal(st.bpiall, 2);
    kt_check_sums(&t);
    kt_close(&t);
}

/* The rollover's BPIALL is charged bp.iall in the maintenance category:
 * the same run with bp.iall raised by 1000 costs 1000 more per BPIALL there
 * and nowhere else. */
static lpae_cpu_stats rollover_with_bpiall(uint32_t bp, uint64_t *bpiall)
{
    lpae_cost *cost;
    assert_int_equal(lpae_cost_preset("cortex-a15", &cost, NULL), LPAE_OK);
    assert_int_equal(lpae_cost_set(cost, LPAE_P_BPIALL, bp), LPAE_OK);
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_DIRECT, 1);
    c.cost = cost;
    struct kt t;
    kt_open_cfg(&t, &c);
    for (uint32_t pid = 2; pid < 400 && kt_stats(&t).asid_rollovers == 0; pid++) {
        lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, pid);
        kt_do(&t, &e, NULL);
    }
    *bpiall = kt_stats(&t).bpiall;
    lpae_cpu_stats st = kt_cpu(&t, 0);
    kt_close(&t);
    lpae_cost_destroy(cost);
    return st;
}

static void test_bpiall_priced(void **state)
{
    (void)state;
    uint64_t n0, n1;
    lpae_cpu_stats a = rollover_with_bpiall(0, &n0), b = rollover_with_bpiall(1000, &n1);
    assert_int_equal(n0, n1);
    assert_true(n0 >= 1);
    assert_int_equal(b.cycles - a.cycles, 1000 * n0);
    assert_int_equal(b.cat[LPAE_CAT_MAINT] - a.cat[LPAE_CAT_MAINT], 1000 * n0);
}

/* munmap on CPU 0 must reach the TLB of CPU 1 running a thread of the same mm. */
static void test_smp_is(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 2);
    assert_int_equal(kt_mmap(&t, 0, 1, 0x10000000u, 0x4000, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    lpae_tev e = kt_ev(LPAE_TEV_FORK, 0, 1);
    e.arg = 3;
    e.flags = LPAE_TEVF_THREAD;
    kt_do(&t, &e, NULL);
    assert_int_equal(kt_touch(&t, 1, 3, 0x10001000u, 4, LPAE_TEVF_WRITE), 0);
    uint64_t rx = kt_cpu(&t, 1).tlbi_received;
    e = kt_ev(LPAE_TEV_MUNMAP, 0, 1);
    e.addr = 0x10000000u;
    e.len = 0x4000;
    kt_do(&t, &e, NULL);
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_MVA][1], 1); /* only the one page mapped */
    assert_int_equal(kt_cpu(&t, 1).tlbi_received - rx, 1);
    /* CPU 1 does not see the page any more */
    assert_int_equal(kt_touch(&t, 1, 3, 0x10001000u, 4, LPAE_TEVF_READ), LPAE_EFAULT);
    kt_close(&t);
}

static void test_exec_exit_brk(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 1);
    assert_int_equal(kt_mmap(&t, 0, 1, 0x10000u, 0x8000, LPAE_PROT_READ | LPAE_PROT_EXEC), 0);
    lpae_tev e = kt_ev(LPAE_TEV_BRK, 0, 1);
    e.addr = 0x40000u;
    kt_do(&t, &e, NULL);
    /* the heap runs from the end of the image to the break */
    assert_int_equal(kt_touch(&t, 0, 1, 0x18000u, 0x28000, LPAE_TEVF_WRITE), 0);
    assert_int_equal(kt_touch(&t, 0, 1, 0x40000u, 4, LPAE_TEVF_WRITE), LPAE_EFAULT);
    e.addr = 0x20000u; /* shrink */
    kt_do(&t, &e, NULL);
    assert_int_equal(kt_touch(&t, 0, 1, 0x20000u, 4, LPAE_TEVF_WRITE), LPAE_EFAULT);
    lpae_task_info a;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &a), LPAE_OK);
    uint64_t tl0 = kt_cpu(&t, 0).tlbi[LPAE_TLBI_ASID][1];
    kt_simple(&t, LPAE_TEV_EXEC, 0, 1);
    lpae_task_info b;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &b), LPAE_OK);
    assert_true(a.mm_id != b.mm_id);
    assert_int_equal(ttbr0_asid(&t, 0), b.asid);                      /* activate_mm */
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_ASID][1] - tl0, 1); /* old mm's exit_mmap */
    assert_int_equal(kt_touch(&t, 0, 1, 0x18000u, 4, LPAE_TEVF_READ), LPAE_EFAULT);
    kt_simple(&t, LPAE_TEV_EXIT, 0, 1);
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &b), LPAE_ENOENT);
    lpae_kcpu_info ci;
    assert_int_equal(lpae_kernel_cpu_info(t.k, 0, &ci), LPAE_OK);
    assert_false(ci.has_current);
    kt_check_sums(&t);
    kt_close(&t);
}

/* Lookups of micro-TLB @p st on CPU 0 (hits and misses). */
static uint64_t utlb_lookups(struct kt *t, unsigned st)
{
    lpae_cpu_stats s = kt_cpu(t, 0);
    return s.hits[st] + s.misses[st];
}

/* A user load, store or instruction fetch is one TLB lookup per page and
 * attempt: a touch of one mapped page costs exactly one lookup of its
 * micro-TLB and none of the others, a faulting first touch one per attempt;
 * a store touch leaves the page's bytes as they were. */
static void test_touch_one_lookup(void **state)
{
    (void)state;
    const lpae_strategy strats[] = {LPAE_STRAT_DIRECT, LPAE_STRAT_PINNED};
    const uint32_t base = 0x10000000u, code = 0x20000000u;
    for (size_t si = 0; si < sizeof strats / sizeof strats[0]; si++) {
        struct kt t;
        kt_open(&t, strats[si], 1);
        assert_int_equal(kt_mmap(&t, 0, 1, base, 0x4000, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
        assert_int_equal(kt_mmap(&t, 0, 1, code, 0x1000, LPAE_PROT_READ | LPAE_PROT_EXEC), 0);
        uint64_t i0 = utlb_lookups(&t, LPAE_ST_UTLB_I), l0 = utlb_lookups(&t, LPAE_ST_UTLB_DL),
                 s0 = utlb_lookups(&t, LPAE_ST_UTLB_DS);
        /* first store: the translation fault, then the retried store */
        lpae_event_result r;
        lpae_tev e = kt_ev(LPAE_TEV_TOUCH, 0, 1);
        e.addr = base + 0x10;
        e.len = 8;
        e.flags = LPAE_TEVF_WRITE;
        assert_int_equal(kt_do(&t, &e, &r), 0);
        assert_int_equal(r.demand_faults, 1);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DS) - s0, 2);
        /* the page is mapped: one store, one lookup */
        s0 = utlb_lookups(&t, LPAE_ST_UTLB_DS);
        assert_int_equal(kt_touch(&t, 0, 1, base + 0x20, 8, LPAE_TEVF_WRITE), 0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DS) - s0, 1);
        /* one load, one lookup */
        assert_int_equal(kt_touch(&t, 0, 1, base + 0x40, 100, LPAE_TEVF_READ), 0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DL) - l0, 1);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DS) - s0, 1);
        /* a touch across a page boundary: one lookup per page (the second
         * page faults in first: two attempts) */
        l0 = utlb_lookups(&t, LPAE_ST_UTLB_DL);
        assert_int_equal(kt_touch(&t, 0, 1, base + 0xFF0, 0x20, LPAE_TEVF_READ), 0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DL) - l0, 3);
        l0 = utlb_lookups(&t, LPAE_ST_UTLB_DL);
        assert_int_equal(kt_touch(&t, 0, 1, base + 0xFF0, 0x20, LPAE_TEVF_READ), 0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DL) - l0, 2);
        /* instruction fetches use the I side only */
        l0 = utlb_lookups(&t, LPAE_ST_UTLB_DL);
        s0 = utlb_lookups(&t, LPAE_ST_UTLB_DS);
        assert_int_equal(kt_touch(&t, 0, 1, code + 0x100, 4, LPAE_TEVF_EXEC), 0);
        uint64_t i1 = utlb_lookups(&t, LPAE_ST_UTLB_I);
        assert_int_equal(i1 - i0, 2); /* fault, retry */
        assert_int_equal(kt_touch(&t, 0, 1, code + 0x200, 4, LPAE_TEVF_EXEC), 0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_I) - i1, 1);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DL), l0);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DS), s0);
        /* a store to a read-only page: one attempt, SIGSEGV */
        assert_int_equal(kt_touch(&t, 0, 1, code + 0x300, 4, LPAE_TEVF_WRITE), LPAE_EFAULT);
        assert_int_equal(utlb_lookups(&t, LPAE_ST_UTLB_DS) - s0, 1);
        /* a store touch writes back what the page holds */
        assert_int_equal(kt_copy(&t, LPAE_TEV_PUT_USER, 0, 1, base + 0x80, 4, 0, 0, &r), 0);
        kt_simple(&t, LPAE_TEV_SYS_EXIT, 0, 1); /* user tables live */
        lpae_cpu *cpu = cpu_of(&t, 0);
        unsigned char before[64], after[64];
        assert_int_equal(lpae_cpu_read(cpu, base + 0x70, LPAE_ACC_UR, before, 64, NULL, NULL), 0);
        assert_int_equal(kt_touch(&t, 0, 1, base + 0x70, 64, LPAE_TEVF_WRITE), 0);
        assert_int_equal(lpae_cpu_read(cpu, base + 0x70, LPAE_ACC_UR, after, 64, NULL, NULL), 0);
        assert_memory_equal(before, after, 64);
        assert_true(before[0x10] | before[0x11] | before[0x12] | before[0x13]);
        kt_check_sums(&t);
        kt_close(&t);
    }
}

/* Write workload @p kind with parameters @p p into @p path, a binary trace. */
static void gen_to(const char *path, lpae_gen_kind kind, const lpae_gen_params *p)
{
    lpae_trace_writer *w;
    assert_int_equal(lpae_trace_writer_open(path, LPAE_TRACE_BINARY, &w), LPAE_OK);
    assert_int_equal(lpae_trace_gen(kind, p, w), LPAE_OK);
    assert_int_equal(lpae_trace_writer_close(w, true), LPAE_OK);
}

/* Whole generated workloads under every strategy: no error, no stale TLB
 * entry, breakdowns summing to the totals. */
static void test_generated(void **state)
{
    (void)state;
    char path[] = "/tmp/lpae_test_kernel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    lpae_gen_params p;
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_MIXED, &p), LPAE_OK);
    p.cpus = 2;
    p.count = 40;
    p.procs = 6;
    p.seed = 7;
    gen_to(path, LPAE_GEN_MIXED, &p);
    size_t cap = 1 << 16, n = 0;
    lpae_tev *ev = malloc(cap * sizeof(*ev));
    assert_non_null(ev);
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), LPAE_OK);
    int rc;
    while ((rc = lpae_trace_read(r, &ev[n])) == 1) {
        n++;
        if (n == cap) {
            cap *= 2;
            ev = realloc(ev, cap * sizeof(*ev));
            assert_non_null(ev);
        }
    }
    assert_int_equal(rc, 0);
    lpae_trace_reader_close(r);
    unlink(path);
    assert_true(n > 100);
    for (unsigned s = 0; s < LPAE_STRAT_COUNT; s++) {
        struct kt t;
        kt_open(&t, (lpae_strategy)s, 2);
        lpae_cycles_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            lpae_event_result res;
            assert_int_equal(lpae_kernel_apply(t.k, &ev[i], &res), LPAE_OK);
            sum += res.cycles;
        }
        lpae_kernel_stats st = kt_stats(&t);
        assert_true(sum == st.cycles);
        assert_true(st.syscalls > 0);
        assert_true(st.bytes_copied > 0);
        assert_int_equal(st.events, n);
        kt_check_sums(&t);
        kt_close(&t);
    }
    /* deterministic for a seed; the seed moves kernel buffers (and replacement) */
    lpae_kernel_stats st[3];
    for (int run = 0; run < 3; run++) {
        struct kt t;
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_PINNED, 2);
        c.seed = run == 2 ? 99 : 5;
        kt_open_cfg(&t, &c);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(lpae_kernel_apply(t.k, &ev[i], NULL), LPAE_OK);
        st[run] = kt_stats(&t);
        kt_close(&t);
    }
    assert_memory_equal(&st[0], &st[1], sizeof(st[0]));
    assert_true(st[0].cycles != st[2].cycles);
    assert_int_equal(st[0].bytes_copied, st[2].bytes_copied);
    free(ev);
}

/* ---- the user-touch fast path against the general event path ---------------------------- */

static uint64_t ft_rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* lpae_k_touch_pid(kc)'s invariant (kernel_internal.h), checked in full. */
static void ft_check_key(lpae_kernel *k)
{
    for (unsigned c = 0; c < LPAE_MAX_CPUS; c++)
        assert_ptr_equal(k->cpus[c].kt, &k->touch[c]);
    for (unsigned c = 0; c < 256; c++) { /* the shortcut's table: empty beyond the CPUs */
        if (c >= k->cfg.ncpus) {
            assert_true(k->touch[c].head == LPAE_K_NO_TOUCH);
            assert_null(k->touch[c].cpu);
            continue;
        }
        assert_ptr_equal(k->touch[c].cpu, k->cpus[c].cpu);
        uint64_t pid = lpae_k_touch_pid(&k->cpus[c]);
        /* and set whenever the CPU is in that state (a shortcut not missed) */
        const struct kcpu *kc = &k->cpus[c];
        const struct task *cur = kc->cur;
        bool can = !kc->in_kernel && kc->phase == LPAE_PH_USER && cur && cur->mm &&
                   cur->mm->id == kc->active_mm_id;
        assert_true(pid == (can ? cur->pid : LPAE_K_NO_TOUCH));
        if (pid == LPAE_K_NO_TOUCH) {
            assert_true(k->touch[c].head == LPAE_K_NO_TOUCH);
            continue;
        }
        /* a touch event of that task on that CPU, any flags, matches the
         * head; another kind or task does not */
        lpae_tev h;
        memset(&h, 0xA5, sizeof(h));
        h.kind = LPAE_TEV_TOUCH;
        h.cpu = (uint8_t)c;
        h.task = (uint32_t)pid;
        uint64_t w;
        memcpy(&w, &h, sizeof(w));
        assert_true((w & LPAE_K_HEAD_MASK) == k->touch[c].head);
        h.kind = LPAE_TEV_FAULT;
        memcpy(&w, &h, sizeof(w));
        assert_true((w & LPAE_K_HEAD_MASK) != k->touch[c].head);
        h.kind = LPAE_TEV_TOUCH;
        h.task ^= 1u << 20;
        memcpy(&w, &h, sizeof(w));
        assert_true((w & LPAE_K_HEAD_MASK) != k->touch[c].head);
    }
    for (unsigned c = 0; c < k->cfg.ncpus; c++) {
        const struct kcpu *kc = &k->cpus[c];
        if (lpae_k_touch_pid(kc) == LPAE_K_NO_TOUCH)
            continue;
        assert_non_null(kc->cur);
        assert_true(kc->cur->pid == lpae_k_touch_pid(kc));
        assert_non_null(kc->cur->mm);
        assert_true(kc->cur->mm->id == kc->active_mm_id);
        assert_false(kc->in_kernel);
        assert_int_equal(kc->phase, LPAE_PH_USER);
    }
}

static void ft_same_state(lpae_kernel *a, lpae_kernel *b)
{
    lpae_kernel_stats sa, sb;
    assert_int_equal(lpae_kernel_stats_get(a, &sa), LPAE_OK);
    assert_int_equal(lpae_kernel_stats_get(b, &sb), LPAE_OK);
    assert_memory_equal(&sa, &sb, sizeof(sa));
    for (unsigned c = 0; c < a->cfg.ncpus; c++) {
        lpae_cpu_stats ca, cb;
        lpae_cpu_stats_get(a->cpus[c].cpu, &ca);
        lpae_cpu_stats_get(b->cpus[c].cpu, &cb);
        assert_memory_equal(&ca, &cb, sizeof(ca));
        assert_int_equal(a->cpus[c].in_kernel, b->cpus[c].in_kernel);
        assert_int_equal(a->cpus[c].phase, b->cpus[c].phase);
        assert_true(a->cpus[c].mark == b->cpus[c].mark);
    }
}

/* A generated trace (fixed seed) with random extra user touches (tasks
 * seen so far, on any CPU: moves between CPUs, SIGSEGV addresses, page
 * crossings) and public kmap/kunmap calls, applied to one kernel through
 * lpae_kernel_apply() / lpae_k_apply() (which do a touch of the task
 * current in user mode directly) and to a twin through
 * lpae_k_apply_plain() (the general path, never a shortcut; the other
 * takes the syscall entry/exit shortcuts of lpae_k_apply_event too): every
 * result, all statistics and the digests stay equal, and the shortcuts' key
 * keeps its invariant. */
static void test_touch_fast_path(void **state)
{
    (void)state;
    char path[] = "/tmp/lpae_test_kernel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (unsigned s = 0; s < LPAE_STRAT_COUNT; s++) {
        lpae_gen_params p;
        lpae_gen_kind kind = s % 2 ? LPAE_GEN_PROCS : LPAE_GEN_MIXED;
        assert_int_equal(lpae_gen_defaults(kind, &p), LPAE_OK);
        p.cpus = 3;
        p.count = kind == LPAE_GEN_PROCS ? 4 : 20;
        p.touches = 6;
        p.seed = 11 + s;
        gen_to(path, kind, &p);
        lpae_kernel_config c;
        kt_cfg(&c, (lpae_strategy)s, 3);
        c.functional = s == LPAE_STRAT_PINNED;
        lpae_kernel *a, *b;
        assert_int_equal(lpae_kernel_create(&c, &a), LPAE_OK);
        assert_int_equal(lpae_kernel_create(&c, &b), LPAE_OK);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(path, NULL, &r), LPAE_OK);
        uint64_t rng = 0x9E3779B97F4A7C15ull + s;
        uint32_t seen[64] = {1};
        unsigned nseen = 1;
        size_t fast = 0, sys_fast = 0, n = 0;
        lpae_tev ev;
        int rc;
        while ((rc = lpae_trace_read(r, &ev)) == 1) {
            lpae_tev evs[2] = {ev, ev};
            unsigned m = 1;
            if (ev.task && nseen < 64 && seen[nseen - 1] != ev.task)
                seen[nseen++] = ev.task;
            uint64_t x = ft_rnd(&rng);
            if (x % 4 == 0) { /* an extra event before the trace's */
                lpae_tev *e = &evs[0];
                evs[1] = ev;
                m = 2;
                memset(e, 0, sizeof(*e));
                e->kind = LPAE_TEV_TOUCH;
                e->cpu = (uint8_t)((x >> 8) % 3);
                e->task = (x >> 12) % 8 ? ev.task : seen[(x >> 16) % nseen];
                e->flags = (uint8_t)(LPAE_TEVF_READ << ((x >> 20) % 3));
                e->addr = (x >> 24) % 16 ? 0x00100000u + (uint32_t)((x >> 28) % 0x10000)
                                         : 0x40000000u + (uint32_t)((x >> 28) % 0x100000);
                e->len = (uint32_t)((x >> 48) % 5 ? 1 + (x >> 52) % 64 : (x >> 52) % 9000);
                if (ev.kind == LPAE_TEV_EXIT || ev.kind == LPAE_TEV_EXEC ||
                    ev.kind == LPAE_TEV_FORK)
                    e->task = ev.task;    /* keep the trace's own task lifecycle */
                if ((x >> 56) % 8 == 0) { /* or a syscall entry or exit */
                    e->kind = (x >> 59) % 2 ? LPAE_TEV_SYS_ENTER : LPAE_TEV_SYS_EXIT;
                    e->flags = 0;
                    e->addr = 0;
                    e->len = 0;
                    e->sysno = 3;
                }
            }
            for (unsigned i = 0; i < m; i++) {
                lpae_tev *e = &evs[i];
                if (e->kind == LPAE_TEV_TOUCH && e->cpu < a->cfg.ncpus &&
                    lpae_k_touch_pid(&a->cpus[e->cpu]) == e->task)
                    fast++;
                if (e->kind == LPAE_TEV_SYS_ENTER && lpae_k_touch_pid(&a->cpus[e->cpu]) == e->task)
                    sys_fast++;
                lpae_event_result ra, rb;
                memset(&rb, 0xA5, sizeof(rb));
                int ea, eb = lpae_k_apply_plain(b, e, &rb);
                if (x & (UINT64_C(1) << (40 + i))) {
                    memset(&ra, 0x5A, sizeof(ra));
                    ea = lpae_kernel_apply(a, e, &ra);
                    assert_memory_equal(&ra, &rb, sizeof(ra));
                } else {
                    ea = lpae_k_apply(a, e, NULL, true);
                }
                assert_int_equal(ea, eb);
                n++;
                ft_check_key(a);
                ft_check_key(b);
            }
            if ((x >> 32) % 23 == 0) { /* a public kmap/kunmap pair on some CPU */
                unsigned cpu = (unsigned)((x >> 36) % 3);
                lpae_va_t va = 0, vb = 0;
                lpae_pa_t pa = 0x100000000ull + ((x >> 40) % 1024) * 4096u;
                int ka = lpae_kernel_kmap(a, cpu, pa, &va), kb = lpae_kernel_kmap(b, cpu, pa, &vb);
                assert_int_equal(ka, kb);
                if (ka == LPAE_OK) {
                    assert_true(va == vb);
                    assert_int_equal(lpae_kernel_kunmap(a, cpu, va),
                                     lpae_kernel_kunmap(b, cpu, vb));
                }
                ft_check_key(a);
            }
            if (n % 64 < 2)
                ft_same_state(a, b);
        }
        assert_int_equal(rc, 0);
        lpae_trace_reader_close(r);
        ft_same_state(a, b);
        uint64_t da, db;
        assert_int_equal(lpae_kernel_digest(a, &da), LPAE_OK);
        assert_int_equal(lpae_kernel_digest(b, &db), LPAE_OK);
        assert_true(da == db);
        assert_int_equal(lpae_kernel_user_digest(a, &da), LPAE_OK);
        assert_int_equal(lpae_kernel_user_digest(b, &db), LPAE_OK);
        assert_true(da == db);
        assert_true(fast > n / 8); /* the shortcuts were taken, often */
        assert_true(sys_fast > n / 50);
        lpae_kernel_destroy(a);
        lpae_kernel_destroy(b);
    }
    unlink(path);
}

/* The event id lpae_cpu_set_event_in() stored last in CPU c of kernel k. */
static uint64_t tb_event_id(lpae_kernel *k, unsigned c)
{
    uint64_t id;
    memcpy(&id, (const char *)(const void *)k->cpus[c].cpu + sizeof(lpae_cpu_stats), sizeof id);
    return id;
}

/* Generated traces (fixed seeds) with random extra events (touches of any
 * seen task on any CPU, page crossings, SIGSEGV addresses, syscall entries
 * and exits), cut into random batches of 1..256 events and applied to one
 * kernel through lpae_k_apply_batch() as replay does (going on after
 * a failed event) and to a twin one event at a time through lpae_k_apply():
 * the same events fail with the same errors, and after every batch all
 * statistics and cycles, each CPU's phase, mark and last event id stay
 * equal; the digests at the end. */
static void test_touch_batch(void **state)
{
    (void)state;
    char path[] = "/tmp/lpae_test_kernel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (unsigned s = 0; s < 2 * LPAE_STRAT_COUNT; s++) {
        lpae_gen_params p;
        lpae_gen_kind kind = s % 3 == 2 ? LPAE_GEN_PROCS : LPAE_GEN_MIXED;
        assert_int_equal(lpae_gen_defaults(kind, &p), LPAE_OK);
        p.cpus = 1 + s % 3;
        p.count = kind == LPAE_GEN_PROCS ? 4 : 20;
        p.touches = 16;
        p.seed = 101 + s;
        gen_to(path, kind, &p);
        lpae_kernel_config c;
        kt_cfg(&c, (lpae_strategy)(s % LPAE_STRAT_COUNT), p.cpus);
        c.functional = s % 2 == 0;
        lpae_kernel *a, *b;
        assert_int_equal(lpae_kernel_create(&c, &a), LPAE_OK);
        assert_int_equal(lpae_kernel_create(&c, &b), LPAE_OK);
        /* the stream: the trace's events with extras before some */
        size_t n = 0, cap = 1024;
        lpae_tev *evs = malloc(cap * sizeof(*evs));
        assert_non_null(evs);
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open(path, NULL, &r), LPAE_OK);
        uint64_t rng = 0xD1B54A32D192ED03ull + s;
        uint32_t seen[64] = {1};
        unsigned nseen = 1;
        lpae_tev ev;
        int rc;
        while ((rc = lpae_trace_read(r, &ev)) == 1) {
            if (n + 2 > cap) {
                cap *= 2;
                evs = realloc(evs, cap * sizeof(*evs));
                assert_non_null(evs);
            }
            if (ev.task && nseen < 64 && seen[nseen - 1] != ev.task)
                seen[nseen++] = ev.task;
            uint64_t x = ft_rnd(&rng);
            if (x % 3 == 0 && ev.kind != LPAE_TEV_EXIT && ev.kind != LPAE_TEV_EXEC &&
                ev.kind != LPAE_TEV_FORK) {
                lpae_tev *e = &evs[n];
                memset(e, 0, sizeof(*e));
                e->kind = LPAE_TEV_TOUCH;
                e->cpu = (uint8_t)((x >> 8) % p.cpus);
                e->task = (x >> 12) % 8 ? ev.task : seen[(x >> 16) % nseen];
                if ((x >> 36) % 64 == 0) /* a CPU beyond the kernel's: the event fails */
                    e->cpu = (uint8_t)(p.cpus + (x >> 42) % 250);
                e->flags = (uint8_t)(LPAE_TEVF_READ << ((x >> 20) % 3));
                e->addr = (x >> 24) % 16 ? 0x00100000u + (uint32_t)((x >> 28) % 0x10000)
                                         : 0x40000000u + (uint32_t)((x >> 28) % 0x100000);
                e->len = (uint32_t)((x >> 48) % 5 ? (x >> 52) % 65 : (x >> 52) % 9000);
                if ((x >> 56) % 8 == 0) {
                    e->kind = (x >> 59) % 2 ? LPAE_TEV_SYS_ENTER : LPAE_TEV_SYS_EXIT;
                    e->flags = 0;
                    e->addr = 0;
                    e->len = 0;
                    e->sysno = 3;
                }
                assert_int_equal(lpae_tev_check(e, NULL), LPAE_OK);
                n++;
            }
            evs[n++] = ev;
        }
        assert_int_equal(rc, 0);
        lpae_trace_reader_close(r);
        size_t i = 0, direct = 0, failed = 0;
        while (i < n) {
            size_t end = i + 1 + (size_t)(ft_rnd(&rng) % 256);
            if (end > n)
                end = n;
            /* a: as replay's batch loop, going on after a failure */
            size_t j = i;
            size_t fail_at[256], nfail = 0;
            int fail_rc[256];
            while (j < end) {
                int e;
                size_t k2 = j + lpae_k_apply_batch(a, evs + j, end - j, &e);
                j = k2;
                if (e == 0)
                    break;
                fail_at[nfail] = j;
                fail_rc[nfail++] = e;
                j++;
            }
            /* b: one event at a time */
            size_t bf = 0;
            for (j = i; j < end; j++) {
                if ((lpae_k_tev_head(&evs[j]) & LPAE_K_HEAD_MASK) == b->touch[evs[j].cpu].head)
                    direct++; /* a touch lpae_k_apply() does directly */
                int e = lpae_k_apply(b, &evs[j], NULL, true);
                if (e != 0) {
                    assert_true(bf < nfail);
                    assert_true(fail_at[bf] == j);
                    assert_int_equal(fail_rc[bf], e);
                    bf++;
                    failed++;
                }
            }
            assert_true(bf == nfail);
            ft_same_state(a, b);
            for (unsigned cp = 0; cp < p.cpus; cp++)
                assert_true(tb_event_id(a, cp) == tb_event_id(b, cp));
            ft_check_key(a);
            i = end;
        }
        uint64_t da, db;
        assert_int_equal(lpae_kernel_digest(a, &da), LPAE_OK);
        assert_int_equal(lpae_kernel_digest(b, &db), LPAE_OK);
        assert_true(da == db);
        assert_int_equal(lpae_kernel_user_digest(a, &da), LPAE_OK);
        assert_int_equal(lpae_kernel_user_digest(b, &db), LPAE_OK);
        assert_true(da == db);
        assert_true(direct > n / 4); /* runs of direct touches were taken */
        assert_true(failed > 0);     /* and failures (SIGSEGV addresses) */
        free(evs);
        lpae_kernel_destroy(a);
        lpae_kernel_destroy(b);
    }
    unlink(path);
}

/* Kernel buffer pages beyond kbuf_pages are dropped, oldest first; a
 * vmalloc page is unmapped with a broadcast flush, and its VA reused. */
static void test_kbuf_eviction(void **state)
{
    (void)state;
    for (int vm = 0; vm < 2; vm++) {
        struct kt t;
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_TTBR0_SWITCH, 2);
        c.kbuf_pages = 64;
        c.functional = true;
        kt_open_cfg(&t, &c);
        assert_int_equal(kt_mmap(&t, 0, 1, 0x10000000u, 0x10000, LPAE_PROT_READ | LPAE_PROT_WRITE),
                         0);
        uint64_t is0 = kt_cpu(&t, 0).tlbi[LPAE_TLBI_MVA][1];
        for (uint32_t i = 0; i < 200; i++) {
            lpae_event_result r;
            assert_int_equal(kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x10000000u + (i % 16) * 64,
                                     64, vm ? LPAE_KBUF_VMALLOC : LPAE_KBUF_PAGECACHE, i << 12, &r),
                             0);
            assert_int_equal(r.done, 64);
        }
        lpae_kernel_stats st = kt_stats(&t);
        assert_int_equal(st.kbuf_evictions, 200 - 64);
        uint64_t is = kt_cpu(&t, 0).tlbi[LPAE_TLBI_MVA][1] - is0;
        assert_int_equal(is, vm ? 200 - 64 : 0);
        assert_true(kt_cpu(&t, 1).tlbi_received >= is);
        kt_close(&t);
    }
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.kbuf_pages = 10;
    lpae_kernel *k;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_EINVAL);
}

/* mprotect removing write: the stale writable TLB entry is flushed (IS). */
static void test_mprotect(void **state)
{
    (void)state;
    struct kt t;
    kt_open(&t, LPAE_STRAT_DIRECT, 2);
    assert_int_equal(kt_mmap(&t, 0, 1, 0x10000000u, 0x4000, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    assert_int_equal(kt_touch(&t, 0, 1, 0x10000000u, 0x2000, LPAE_TEVF_WRITE), 0);
    uint64_t is0 = kt_cpu(&t, 0).tlbi[LPAE_TLBI_MVA][1];
    lpae_tev e = kt_ev(LPAE_TEV_MPROTECT, 0, 1);
    e.addr = 0x10000000u;
    e.len = 0x4000;
    e.flags = LPAE_PROT_READ;
    assert_int_equal(kt_do(&t, &e, NULL), 0);
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_MVA][1] - is0, 2);
    assert_int_equal(kt_touch(&t, 0, 1, 0x10001000u, 4, LPAE_TEVF_WRITE), LPAE_EFAULT);
    assert_int_equal(kt_touch(&t, 0, 1, 0x10001000u, 4, LPAE_TEVF_READ), 0);
    lpae_event_result r;
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x10000000u, 16, LPAE_KBUF_SLAB, 0, &r),
        LPAE_EFAULT);
    e.flags = LPAE_PROT_READ | LPAE_PROT_WRITE;
    assert_int_equal(kt_do(&t, &e, NULL), 0);
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x10000000u, 16, LPAE_KBUF_SLAB, 0, &r), 0);
    assert_int_equal(kt_stats(&t).mprotects, 2);
    kt_close(&t);
}

/* cfg.implicit_vmas: accesses outside every VMA map the megabyte around them. */
static void test_implicit_vmas(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.implicit_vmas = true;
    kt_open_cfg(&t, &c);
    assert_int_equal(kt_mmap(&t, 0, 1, 0x02d80000u, 0x1000, LPAE_PROT_READ), 0);
    lpae_event_result r;
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x02d05588u, 8, LPAE_KBUF_STACK, 0, &r), 0);
    assert_int_equal(r.demand_faults, 1);
    assert_int_equal(kt_touch(&t, 0, 1, 0x02d7f000u, 4, LPAE_TEVF_WRITE), 0);
    lpae_task_info ti;
    assert_int_equal(lpae_kernel_task_info(t.k, 1, &ti), LPAE_OK);
    lpae_vma v;
    assert_int_equal(lpae_mm_find_vma(ti.mm, 0x02d05588u, &v), LPAE_OK);
    assert_int_equal(v.start, 0x02d00000u);
    assert_int_equal(v.end, 0x02d80000u); /* clipped by the next VMA */
    assert_int_equal(v.flags, LPAE_VM_READ | LPAE_VM_WRITE);
    /* the read-only VMA itself is not widened */
    assert_int_equal(kt_copy(&t, LPAE_TEV_PUT_USER, 0, 1, 0x02d80000u, 4, 0, 0, &r), LPAE_EPERM);
    /* beyond TASK_SIZE: still access_ok() */
    assert_int_equal(kt_copy(&t, LPAE_TEV_GET_USER, 0, 1, 0xF8000000u, 4, 0, 0, &r), LPAE_EFAULT);
    assert_int_equal(kt_stats(&t).implicit_vmas, 1);
    kt_close(&t);
    /* off by default */
    kt_open(&t, LPAE_STRAT_PINNED, 1);
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x02d05588u, 8, LPAE_KBUF_STACK, 0, &r),
        LPAE_EFAULT);
    assert_int_equal(kt_stats(&t).implicit_vmas, 0);
    kt_close(&t);
}

/* Narrow ASIDs roll over sooner; the no-ASID policy flushes on every switch. */
static void test_asid_policies(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_DIRECT, 1);
    c.asid_bits = 4;
    kt_open_cfg(&t, &c);
    unsigned mms = 1;
    for (uint32_t pid = 2; kt_stats(&t).asid_rollovers == 0; pid++) {
        assert_true(pid < 100);
        lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, pid);
        kt_do(&t, &e, NULL);
        mms++;
    }
    assert_int_equal(mms, 16); /* 15 ASIDs per generation */
    kt_close(&t);

    kt_cfg(&c, LPAE_STRAT_DIRECT, 1);
    c.asid_policy = LPAE_ASID_POLICY_NONE;
    kt_open_cfg(&t, &c);
    lpae_kernel_stats a = kt_stats(&t);
    uint64_t all0 = kt_cpu(&t, 0).tlbi[LPAE_TLBI_ALL][0];
    for (int i = 0; i < 6; i++) {
        lpae_tev e = kt_ev(LPAE_TEV_SWITCH, 0, 2 + (uint32_t)(i & 1));
        kt_do(&t, &e, NULL);
    }
    lpae_kernel_stats b = kt_stats(&t);
    assert_int_equal(kt_cpu(&t, 0).tlbi[LPAE_TLBI_ALL][0] - all0, 6);
    assert_int_equal(b.asid_flushes - a.asid_flushes, 6);
    assert_int_equal(b.bpiall, 0);
    assert_int_equal(b.ttbr_writes - a.ttbr_writes, 6);
    assert_int_equal(b.isb - a.isb, 12); /* TLBIALL sequence + switch_mm */
    assert_int_equal(b.dsb - a.dsb, 12);
    kt_close(&t);
}

/* Region rules from the layout: where the translations of each strategy land. */
static uint64_t region_translations(struct kt *t, const char *name)
{
    lpae_machine *m = lpae_kernel_machine(t->k);
    for (size_t i = 0; i < lpae_machine_region_count(m); i++)
        if (strcmp(lpae_machine_region_name(m, i), name) == 0) {
            lpae_xstats xs;
            assert_int_equal(lpae_cpu_region_stats(lpae_machine_cpu(m, 0), i, &xs), LPAE_OK);
            return xs.translations;
        }
    fail_msg("no region %s", name);
    return 0;
}

static void test_regions(void **state)
{
    (void)state;
    for (int four = 0; four < 2; four++) {
        struct kt t;
        kt_open(&t, four ? LPAE_STRAT_PINNED : LPAE_STRAT_DIRECT, 1);
        assert_int_equal(kt_mmap(&t, 0, 1, 0x10000000u, 0x4000, LPAE_PROT_READ | LPAE_PROT_WRITE),
                         0);
        lpae_event_result r;
        assert_int_equal(
            kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 0, 1, 0x10000000u, 100, LPAE_KBUF_SLAB, 0, &r), 0);
        assert_int_equal(
            kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, 0x10000000u, 100, LPAE_KBUF_STACK, 0, &r), 0);
        assert_true(region_translations(&t, "vmalloc") > 0);
        if (four) {
            /* kernel lowmem in TTBR0 under the kernel ASID; user pages via the fixmap */
            assert_true(region_translations(&t, "ttbr0-lowmem") > 0);
            assert_true(region_translations(&t, "fixmap") > 0);
            assert_int_equal(region_translations(&t, "ttbr0-user"), 0);
        } else {
            assert_true(region_translations(&t, "lowmem") > 0);
            assert_true(region_translations(&t, "ttbr0-user") > 0);
        }
        kt_close(&t);
    }
}

/* ---- the kernel page records' pool against the hash table ------------------------------- */

/* The records in the table, the stack cache and the free list are
 * distinct and all come from the chunks. */
static void kp_check(lpae_kernel *k)
{
    size_t nrec = 0, nchunks = 0;
    for (const struct kpage_chunk *c = k->kp_chunks; c; c = c->next)
        nchunks++;
    nrec += HASH_COUNT(k->kpages);
    nrec += k->nstack_cache;
    for (const struct kpage *f = k->kp_free; f; f = f->hh.next)
        nrec++;
    if (nchunks == 0)
        assert_int_equal(nrec, 0);
    else
        assert_int_equal(nrec, (nchunks - 1) * LPAE_K_KPAGE_CHUNK + k->kp_chunk_used);
}

/* Random lookups of kernel pages (every kind, few ids so that keys repeat,
 * a small kbuf_pages so that pages are evicted
 * and records reused) and generated process traces (task exits move
 * stacks to the stack cache) against a plain uthash lookup: the same
 * record for every key, a page keeps its frame until evicted. */
static void test_kpage_pool(void **state)
{
    (void)state;
    for (unsigned round = 0; round < 2; round++) {
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_PINNED, 2);
        c.kbuf_pages = round ? 64 : 300;
        lpae_kernel *k;
        assert_int_equal(lpae_kernel_create(&c, &k), LPAE_OK);
        if (round)
            k->kbuf_max = 24; /* below the public minimum: evictions all the time */
        uint64_t rng = 0x1234567ull + round;
        struct task *t = k->cpus[0].cur;
        assert_non_null(t);
        for (unsigned i = 0; i < 20000; i++) {
            uint64_t x = ft_rnd(&rng);
            static const unsigned kinds[] = {LPAE_KBUF_PAGECACHE, LPAE_KBUF_SLAB, LPAE_KBUF_VMALLOC,
                                             LPAE_KBUF_PAGE, LPAE_KBUF_STACK};
            unsigned kind = kinds[x % 5];
            uint32_t id = (uint32_t)((x >> 8) % (round ? 64 : 700));
            struct kpage_key key = {.kind = kind, .id = id};
            if (kind == LPAE_KBUF_STACK)
                key.id = t->pid * 2u + (id & 1u);
            struct kpage *before = NULL;
            HASH_FIND(hh, k->kpages, &key, sizeof(key), before);
            lpae_pa_t pa_before = before ? before->pa : 0;
            uint64_t ev0 = k->st.kbuf_evictions;
            struct kpage *p = NULL;
            assert_int_equal(lpae_k_kpage(k, &k->cpus[0], t, kind, id, &p), LPAE_OK);
            struct kpage *h = NULL;
            HASH_FIND(hh, k->kpages, &key, sizeof(key), h);
            assert_ptr_equal(p, h);
            assert_memory_equal(&p->key, &key, sizeof(key));
            if (before) { /* found: the same record and frame, nothing evicted */
                assert_ptr_equal(p, before);
                assert_true(p->pa == pa_before);
                assert_true(k->st.kbuf_evictions == ev0);
            }
            if (i % 97 == 0)
                kp_check(k);
        }
        kp_check(k);
        lpae_kernel_destroy(k);
    }
    /* task exits: stacks to the stack cache and back */
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_PINNED, 2);
    c.kbuf_pages = 64;
    lpae_kernel *k;
    assert_int_equal(lpae_kernel_create(&c, &k), LPAE_OK);
    lpae_gen_params gp;
    assert_int_equal(lpae_gen_defaults(LPAE_GEN_PROCS, &gp), LPAE_OK);
    gp.cpus = 2;
    gp.count = 12;
    gp.seed = 5;
    char path[] = "/tmp/lpae_test_kpage_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    gen_to(path, LPAE_GEN_PROCS, &gp);
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open(path, NULL, &r), LPAE_OK);
    lpae_tev ev;
    int rc;
    size_t n = 0, exits = 0;
    while ((rc = lpae_trace_read(r, &ev)) == 1) {
        assert_int_equal(lpae_kernel_apply(k, &ev, NULL), LPAE_OK);
        exits += ev.kind == LPAE_TEV_EXIT;
        if (++n % 16 == 0)
            kp_check(k);
    }
    assert_int_equal(rc, 0);
    assert_true(exits > 0);
    assert_true(k->st.kbuf_evictions > 0);
    kp_check(k);
    lpae_trace_reader_close(r);
    unlink(path);
    lpae_kernel_destroy(k);
}

/* lpae_k_charge against lpae_cpu_charge(cpu, id, 1) on a twin kernel (every
 * parameter, cycle costs and others), and lpae_k_isb / lpae_k_dsb against
 * lpae_cpu_isb / lpae_cpu_dsb, in a fixed-seed random order, with the
 * default costs and with random ones; the CPUs' statistics agree. */
static void test_charge_inline(void **state)
{
    (void)state;
    for (unsigned round = 0; round < 2; round++) {
        lpae_kernel_config c;
        kt_cfg(&c, LPAE_STRAT_PINNED, 2);
        lpae_cost *cost = NULL;
        uint64_t rng = 0xC0FFEEull + round;
        if (round) {
            assert_int_equal(lpae_cost_preset(lpae_cost_preset_name(0), &cost, NULL), LPAE_OK);
            for (unsigned i = 0; i < LPAE_P_COUNT; i++) {
                const lpae_param_info *in = lpae_param_get_info((lpae_param)i);
                if (!in || in->type != LPAE_PT_CYCLES)
                    continue;
                uint32_t old = lpae_cost_get(cost, (lpae_param)i);
                if (lpae_cost_set(cost, (lpae_param)i, (uint32_t)(ft_rnd(&rng) % 1000)) ==
                        LPAE_OK &&
                    lpae_cost_check(cost, NULL) != LPAE_OK)
                    assert_int_equal(lpae_cost_set(cost, (lpae_param)i, old), LPAE_OK);
            }
            c.cost = cost;
        }
        lpae_kernel *a, *b;
        assert_int_equal(lpae_kernel_create(&c, &a), LPAE_OK);
        assert_int_equal(lpae_kernel_create(&c, &b), LPAE_OK);
        lpae_cost_destroy(cost);
        uint64_t charged = 0;
        for (unsigned n = 0; n < 4000; n++) {
            lpae_param id = (lpae_param)(n < LPAE_P_COUNT ? n : ft_rnd(&rng) % LPAE_P_COUNT);
            unsigned cpu = (unsigned)(ft_rnd(&rng) % 2);
            unsigned what = (unsigned)(ft_rnd(&rng) % 5);
            if (what == 4) {
                lpae_k_dsb_isb(a, &a->cpus[cpu]);
                charged += lpae_cpu_dsb(b->cpus[cpu].cpu);
                charged += lpae_cpu_isb(b->cpus[cpu].cpu);
            } else if (what == 0) {
                lpae_k_isb(a, &a->cpus[cpu]);
                charged += lpae_cpu_isb(b->cpus[cpu].cpu);
            } else if (what == 1) {
                lpae_k_dsb(a, &a->cpus[cpu]);
                charged += lpae_cpu_dsb(b->cpus[cpu].cpu);
            } else {
                lpae_k_charge(a, a->cpus[cpu].cpu, id);
                charged += lpae_cpu_charge(b->cpus[cpu].cpu, id, 1);
            }
            if (n % 50 == 0 || n == LPAE_P_COUNT) {
                for (unsigned k = 0; k < 2; k++) {
                    lpae_cpu_stats sa, sb;
                    lpae_cpu_stats_get(a->cpus[k].cpu, &sa);
                    lpae_cpu_stats_get(b->cpus[k].cpu, &sb);
                    assert_memory_equal(&sa, &sb, sizeof(sa));
                    assert_true(lpae_cpu_cycles(a->cpus[k].cpu) == sa.cycles);
                }
            }
        }
        assert_true(charged > 0);
        lpae_kernel_destroy(a);
        lpae_kernel_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_apply_errors),
        cmocka_unit_test(test_entry_4g),
        cmocka_unit_test(test_entry_classic),
        cmocka_unit_test(test_switch_mm),
        cmocka_unit_test(test_switch_mm_4g),
        cmocka_unit_test(test_rollover_one_cpu),
        cmocka_unit_test(test_rollover_two_cpus),
        cmocka_unit_test(test_bpiall_priced),
        cmocka_unit_test(test_smp_is),
        cmocka_unit_test(test_exec_exit_brk),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_kbuf_eviction),
        cmocka_unit_test(test_mprotect),
        cmocka_unit_test(test_implicit_vmas),
        cmocka_unit_test(test_asid_policies),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_touch_one_lookup),
        cmocka_unit_test(test_touch_fast_path),
        cmocka_unit_test(test_kpage_pool),
        cmocka_unit_test(test_charge_inline),
        cmocka_unit_test(test_touch_batch),
        cmocka_unit_test(test_touch_fault_phases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
