/* SPDX-License-Identifier: MIT */
/* Helpers shared by the kernel-model tests (test_kernel, test_kmap, test_uaccess). */
#ifndef KT_UTIL_H
#define KT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/kernel.h"

struct kt {
    lpae_kernel *k;
    unsigned reports; /* coherence-checker reports: stale TLB/walk-cache entries */
};

static inline void kt_checker(void *ctx, const lpae_coherence_report *r)
{
    (void)r;
    ((struct kt *)ctx)->reports++;
}

static inline void kt_cfg(lpae_kernel_config *c, lpae_strategy s, unsigned ncpus)
{
    lpae_kernel_config_init(c);
    c->strategy = s;
    c->ncpus = ncpus;
    if (s == LPAE_STRAT_DIRECT || s == LPAE_STRAT_TTBR0_PAN)
        assert_int_equal(lpae_split_find("VMSPLIT_3G", &c->split), LPAE_OK);
}

static inline void kt_open_cfg(struct kt *t, const lpae_kernel_config *c)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(lpae_kernel_create(c, &t->k), LPAE_OK);
    lpae_machine_set_checker(lpae_kernel_machine(t->k), kt_checker, t);
}

static inline void kt_open(struct kt *t, lpae_strategy s, unsigned ncpus)
{
    lpae_kernel_config c;
    kt_cfg(&c, s, ncpus);
    kt_open_cfg(t, &c);
}

static inline void kt_close(struct kt *t)
{
    assert_int_equal(t->reports, 0);
    lpae_kernel_destroy(t->k);
}

static inline lpae_tev kt_ev(unsigned kind, unsigned cpu, uint32_t task)
{
    lpae_tev e;
    memset(&e, 0, sizeof(e));
    e.kind = (uint8_t)kind;
    e.cpu = (uint8_t)cpu;
    e.task = task;
    if (kind == LPAE_TEV_SYS_ENTER || kind == LPAE_TEV_SYS_EXIT)
        e.sysno = 3;
    return e;
}

/* Apply an event that must succeed; returns its status. */
static inline int kt_do(struct kt *t, const lpae_tev *e, lpae_event_result *res)
{
    lpae_event_result r;
    assert_int_equal(lpae_kernel_apply(t->k, e, res ? res : &r), LPAE_OK);
    return (res ? res : &r)->status;
}

static inline int kt_simple(struct kt *t, unsigned kind, unsigned cpu, uint32_t task)
{
    lpae_tev e = kt_ev(kind, cpu, task);
    return kt_do(t, &e, NULL);
}

static inline int kt_mmap(struct kt *t, unsigned cpu, uint32_t task, uint32_t va, uint32_t len,
                          unsigned prot)
{
    lpae_tev e = kt_ev(LPAE_TEV_MMAP, cpu, task);
    e.addr = va;
    e.len = len;
    e.flags = (uint8_t)(prot | LPAE_MAP_ANON);
    return kt_do(t, &e, NULL);
}

static inline int kt_touch(struct kt *t, unsigned cpu, uint32_t task, uint32_t va, uint32_t len,
                           unsigned acc)
{
    lpae_tev e = kt_ev(LPAE_TEV_TOUCH, cpu, task);
    e.addr = va;
    e.len = len;
    e.flags = (uint8_t)acc;
    return kt_do(t, &e, NULL);
}

static inline int kt_copy(struct kt *t, unsigned kind, unsigned cpu, uint32_t task, uint32_t va,
                          uint32_t len, unsigned kbuf, uint32_t kaddr, lpae_event_result *res)
{
    lpae_tev e = kt_ev(kind, cpu, task);
    e.addr = va;
    e.len = len;
    e.kbuf = (uint8_t)kbuf;
    e.kaddr = kaddr;
    return kt_do(t, &e, res);
}

static inline lpae_kernel_stats kt_stats(struct kt *t)
{
    lpae_kernel_stats s;
    assert_int_equal(lpae_kernel_stats_get(t->k, &s), LPAE_OK);
    return s;
}

static inline lpae_cpu_stats kt_cpu(struct kt *t, unsigned cpu)
{
    lpae_cpu_stats s;
    assert_int_equal(lpae_cpu_stats_get(lpae_machine_cpu(lpae_kernel_machine(t->k), cpu), &s),
                     LPAE_OK);
    return s;
}

static inline uint32_t kt_cost(struct kt *t, lpae_param p)
{
    return lpae_cost_get(lpae_machine_cost(lpae_kernel_machine(t->k)), p);
}

/* Breakdowns must sum to the total. */
static inline void kt_check_sums(struct kt *t)
{
    lpae_kernel_stats s = kt_stats(t);
    lpae_cycles_t a = 0, b = 0;
    for (unsigned i = 0; i < LPAE_CAT_COUNT; i++)
        a += s.cat[i];
    for (unsigned i = 0; i < LPAE_PH_COUNT; i++)
        b += s.phase[i];
    assert_true(a == s.cycles);
    assert_true(b == s.cycles);
}

#endif
