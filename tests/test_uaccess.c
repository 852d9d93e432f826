/* SPDX-License-Identifier: MIT */
/* The five user-access strategies on hand-sized cases, against hand-counted
 * operations; demand faults, -EFAULT and -EPERM paths; functional mode
 * (identical bytes under every strategy on a randomized workload). */
#include "kt_util.h"

#include <stdio.h>

#define UBASE 0x10000000u
#define ULEN 0x40000u

struct variant {
    const char *name;
    lpae_strategy s;
    lpae_switch_variant sv;
    bool legacy;
    bool lowmem_first;
    uint32_t threshold;
};

static const struct variant variants[] = {
    {"direct", LPAE_STRAT_DIRECT, LPAE_SWITCH_BOUNCE, false, false, 256},
    {"ttbr0-pan", LPAE_STRAT_TTBR0_PAN, LPAE_SWITCH_BOUNCE, false, false, 256},
    {"pinned", LPAE_STRAT_PINNED, LPAE_SWITCH_BOUNCE, false, false, 256},
    {"pinned-legacy", LPAE_STRAT_PINNED, LPAE_SWITCH_BOUNCE, true, false, 256},
    {"pinned-lowmem", LPAE_STRAT_PINNED, LPAE_SWITCH_BOUNCE, false, true, 256},
    {"switch-bounce", LPAE_STRAT_TTBR0_SWITCH, LPAE_SWITCH_BOUNCE, false, false, 256},
    {"switch-chunk", LPAE_STRAT_TTBR0_SWITCH, LPAE_SWITCH_CHUNK, false, false, 256},
    {"hybrid", LPAE_STRAT_HYBRID, LPAE_SWITCH_BOUNCE, false, false, 512},
    {"hybrid-chunk", LPAE_STRAT_HYBRID, LPAE_SWITCH_CHUNK, true, false, 64},
};

static void open_variant(struct kt *t, const struct variant *v, unsigned ncpus, bool functional)
{
    lpae_kernel_config c;
    kt_cfg(&c, v->s, ncpus);
    c.switch_variant = v->sv;
    c.kmap_legacy = v->legacy;
    c.user_lowmem_first = v->lowmem_first;
    c.hybrid_threshold = v->threshold;
    c.functional = functional;
    c.seed = 42;
    kt_open_cfg(t, &c);
}

/* Task 1 maps [UBASE, +ULEN) read/write, touches its first two pages, enters the kernel. */
static void setup(struct kt *t, lpae_strategy s)
{
    kt_open(t, s, 1);
    assert_int_equal(kt_mmap(t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    assert_int_equal(kt_touch(t, 0, 1, UBASE, 2 * LPAE_PAGE_SIZE, LPAE_TEVF_WRITE), 0);
    kt_simple(t, LPAE_TEV_SYS_ENTER, 0, 1);
}

struct ops {
    uint64_t ttbr, ttbcr, isb, dsb, tlbi, gup, kmaps, kmaps_high, faults;
};

static struct ops delta(const lpae_kernel_stats *a, const lpae_kernel_stats *b)
{
    struct ops o = {b->ttbr_writes - a->ttbr_writes,
                    b->ttbcr_writes - a->ttbcr_writes,
                    b->isb - a->isb,
                    b->dsb - a->dsb,
                    b->tlbi - a->tlbi,
                    b->gup_pages - a->gup_pages,
                    b->kmaps - a->kmaps,
                    b->kmaps_highmem - a->kmaps_highmem,
                    b->demand_faults - a->demand_faults};
    return o;
}

static void expect(const struct ops *o, uint64_t ttbr, uint64_t ttbcr, uint64_t isb, uint64_t tlbi,
                   uint64_t gup, uint64_t kmaps)
{
    assert_int_equal(o->ttbr, ttbr);
    assert_int_equal(o->ttbcr, ttbcr);
    assert_int_equal(o->isb, isb);
    assert_int_equal(o->tlbi, tlbi);
    assert_int_equal(o->gup, gup);
    assert_int_equal(o->kmaps, kmaps);
    assert_int_equal(o->faults, 0);
}

/* One event on a prepared kernel, returning the operation counts. */
static struct ops one(struct kt *t, unsigned kind, uint32_t va, uint32_t len, unsigned kbuf,
                      uint32_t kaddr, lpae_event_result *res)
{
    lpae_kernel_stats a = kt_stats(t);
    lpae_event_result r;
    assert_int_equal(kt_copy(t, kind, 0, 1, va, len, kbuf, kaddr, &r), 0);
    assert_int_equal(r.done, len);
    lpae_kernel_stats b = kt_stats(t);
    if (res)
        *res = r;
    kt_check_sums(t);
    return delta(&a, &b);
}

static void test_direct(void **state)
{
    (void)state;
    struct kt t;
    setup(&t, LPAE_STRAT_DIRECT);
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 0, 0, 0, 0, 0);
    o = one(&t, LPAE_TEV_GET_USER, UBASE + 8, 4, 0, 0, NULL);
    expect(&o, 0, 0, 0, 0, 0, 0);
    o = one(&t, LPAE_TEV_PUT_USER, UBASE + 8, 8, 0, 0, NULL);
    expect(&o, 0, 0, 0, 0, 0, 0);
    o = one(&t, LPAE_TEV_CLEAR_USER, UBASE + 100, 5000, 0, 0, NULL);
    expect(&o, 0, 0, 0, 0, 0, 0);
    /* a highmem pipe page on the kernel side is kmapped: 2 local TLBIMVA */
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE + 16, 100, LPAE_KBUF_PAGE, 0x7000, NULL);
    expect(&o, 0, 0, 2, 2, 0, 1);
    kt_close(&t);
}

static void test_pan(void **state)
{
    (void)state;
    struct kt t;
    setup(&t, LPAE_STRAT_TTBR0_PAN);
    /* uaccess_save_and_enable + uaccess_restore: 2 TTBCR writes, 2 ISBs */
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 2, 2, 0, 0, 0);
    o = one(&t, LPAE_TEV_GET_USER, UBASE + 8, 4, 0, 0, NULL);
    expect(&o, 0, 2, 2, 0, 0, 0);
    o = one(&t, LPAE_TEV_STRNCPY_FROM_USER, UBASE + 8, 40, LPAE_KBUF_SLAB, 0x9000, NULL);
    expect(&o, 0, 2, 2, 0, 0, 0);
    /* page cache: one window per kernel page (copy_page_to_iter) */
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE, 8192, LPAE_KBUF_PAGECACHE, 0x100000, NULL);
    expect(&o, 0, 4, 4, 0, 0, 0);
    /* the kernel's TTBCR in kernel mode: EPD0, T0SZ = 7, A1 (ASID 0 from TTBR1) */
    const lpae_regs *r = lpae_cpu_regs(lpae_machine_cpu(lpae_kernel_machine(t.k), 0));
    assert_true(r->ttbcr & LPAE_TTBCR_EPD0);
    assert_true(r->ttbcr & LPAE_TTBCR_A1);
    assert_int_equal(r->ttbcr & LPAE_TTBCR_T0SZ_MASK, 7);
    assert_int_equal(lpae_cpu_asid(lpae_machine_cpu(lpae_kernel_machine(t.k), 0)), 0);
    kt_close(&t);
}

static void test_pinned(void **state)
{
    (void)state;
    struct kt t;
    setup(&t, LPAE_STRAT_PINNED);
    /* GUP 1 page, kmap (user pages are highmem): 2 TLBIMVA, 2 ISB */
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 0, 2, 2, 1, 1);
    assert_int_equal(o.kmaps_high, 1);
    assert_int_equal(o.dsb, 4);
    /* two user pages */
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE + 16, 5000, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 0, 4, 4, 2, 2);
    o = one(&t, LPAE_TEV_PUT_USER, UBASE + 4094, 4, 0, 0, NULL); /* straddles two pages */
    expect(&o, 0, 0, 4, 4, 2, 2);
    /* highmem kernel page + user page: nested kmaps */
    o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_PAGE, 0x7000, NULL);
    expect(&o, 0, 0, 4, 4, 1, 2);
    lpae_kernel_stats s = kt_stats(&t);
    assert_true(s.phase[LPAE_PH_GUP] >=
                6 * (kt_cost(&t, LPAE_P_SW_IRQ_OFF) + kt_cost(&t, LPAE_P_SW_GUP_FAST_PAGE) +
                     2 * kt_cost(&t, LPAE_P_SW_ATOMIC) + kt_cost(&t, LPAE_P_SW_IRQ_ON)));
    kt_close(&t);
}

static void test_pinned_lowmem_user(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_PINNED, 1);
    c.user_lowmem_first = true;
    kt_open_cfg(&t, &c);
    assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    assert_int_equal(kt_touch(&t, 0, 1, UBASE, 2 * LPAE_PAGE_SIZE, LPAE_TEVF_WRITE), 0);
    kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
    /* lowmem fast path: no TLB operation at all */
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 0, 0, 0, 1, 1);
    assert_int_equal(o.kmaps_high, 0);
    kt_close(&t);
}

static void test_switch(void **state)
{
    (void)state;
    struct kt t;
    setup(&t, LPAE_STRAT_TTBR0_SWITCH);
    /* slab is kernel lowmem (TTBR0): bounce through the per-CPU page */
    lpae_kernel_stats a = kt_stats(&t);
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 2, 0, 2, 0, 0, 0);
    lpae_kernel_stats b = kt_stats(&t);
    assert_int_equal(b.bounce_bytes - a.bounce_bytes, 100);
    /* kernel stack is in vmalloc (TTBR1): copied inside the window */
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE + 16, 100, LPAE_KBUF_STACK, 0x100, NULL);
    expect(&o, 2, 0, 2, 0, 0, 0);
    assert_int_equal(kt_stats(&t).bounce_bytes, b.bounce_bytes);
    o = one(&t, LPAE_TEV_GET_USER, UBASE + 8, 8, 0, 0, NULL);
    expect(&o, 2, 0, 2, 0, 0, 0);
    /* highmem kernel page via the fixmap (TTBR1): kmap + one window */
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE + 16, 100, LPAE_KBUF_PAGE, 0x7000, NULL);
    expect(&o, 2, 0, 4, 2, 0, 1);
    /* 6000 bytes through a 4 KB bounce page: two windows */
    o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE, 6000, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 4, 0, 4, 0, 0, 0);
    kt_close(&t);
}

static void test_switch_chunk(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_TTBR0_SWITCH, 1);
    c.switch_variant = LPAE_SWITCH_CHUNK;
    c.switch_chunk = 32;
    kt_open_cfg(&t, &c);
    assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    assert_int_equal(kt_touch(&t, 0, 1, UBASE, 2 * LPAE_PAGE_SIZE, LPAE_TEVF_WRITE), 0);
    kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
    /* 100 bytes = 32+32+32+4: four chunks, 2 TTBR0 writes + 2 ISBs each */
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 100, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 8, 0, 8, 0, 0, 0);
    o = one(&t, LPAE_TEV_COPY_TO_USER, UBASE + 16, 64, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 4, 0, 4, 0, 0, 0);
    /* chunks split at page boundaries: 4080..4095 (16) + 16 */
    o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 4080, 32, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 4, 0, 4, 0, 0, 0);
    kt_close(&t);
}

static void test_hybrid(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_HYBRID, 1);
    c.hybrid_threshold = 256;
    kt_open_cfg(&t, &c);
    assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    assert_int_equal(kt_touch(&t, 0, 1, UBASE, 2 * LPAE_PAGE_SIZE, LPAE_TEVF_WRITE), 0);
    kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
    struct ops o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 256, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 2, 0, 2, 0, 0, 0); /* ttbr0-switch */
    o = one(&t, LPAE_TEV_COPY_FROM_USER, UBASE + 16, 257, LPAE_KBUF_SLAB, 0x5000, NULL);
    expect(&o, 0, 0, 2, 2, 1, 1); /* pinned */
    kt_close(&t);
}

/* Demand faults, -EFAULT, -EPERM and access_ok under every strategy. */
static void test_faults_and_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct kt t;
        open_variant(&t, &variants[i], 1, false);
        assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
        assert_int_equal(kt_mmap(&t, 0, 1, 0x20000000u, 0x4000, LPAE_PROT_READ), 0);
        kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
        lpae_event_result r;
        lpae_kernel_stats a = kt_stats(&t);
        /* untouched pages in a VMA: faulted in (3 pages) */
        assert_int_equal(kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, UBASE + 0x8000 + 100, 8192,
                                 LPAE_KBUF_SLAB, 0x3000, &r),
                         0);
        assert_int_equal(r.done, 8192);
        assert_int_equal(r.demand_faults, 3);
        lpae_kernel_stats b = kt_stats(&t);
        assert_int_equal(b.demand_faults - a.demand_faults, 3);
        assert_true(b.phase[LPAE_PH_FAULT] - a.phase[LPAE_PH_FAULT] >=
                    3 * kt_cost(&t, LPAE_P_SW_PAGE_FAULT));
        /* outside every VMA */
        assert_int_equal(
            kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 0, 1, 0x30000000u, 64, LPAE_KBUF_SLAB, 0x3000, &r),
            LPAE_EFAULT);
        assert_int_equal(r.done, 0);
        /* a copy running off the end of the VMA: the bytes before are copied */
        assert_int_equal(kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 0, 1, UBASE + ULEN - 100, 300,
                                 LPAE_KBUF_SLAB, 0x3000, &r),
                         LPAE_EFAULT);
        assert_int_equal(r.done, 100);
        /* access_ok(): beyond TASK_SIZE */
        assert_int_equal(kt_copy(&t, LPAE_TEV_GET_USER, 0, 1, 0xFFFF0000u, 4, 0, 0, &r),
                         LPAE_EFAULT);
        /* read-only VMA: reads fault in, writes fail (pinned: -EPERM from FOLL_WRITE) */
        assert_int_equal(kt_copy(&t, LPAE_TEV_GET_USER, 0, 1, 0x20000000u, 4, 0, 0, &r), 0);
        int st = kt_copy(&t, LPAE_TEV_PUT_USER, 0, 1, 0x20000000u, 4, 0, 0, &r);
        bool pin = variants[i].s == LPAE_STRAT_PINNED;
        assert_int_equal(st, pin ? LPAE_EPERM : LPAE_EFAULT);
        assert_int_equal(r.done, 0);
        lpae_kernel_stats c = kt_stats(&t);
        assert_int_equal(c.efaults - b.efaults, pin ? 3 : 4);
        assert_int_equal(c.eperms - b.eperms, pin ? 1 : 0);
        kt_check_sums(&t);
        kt_close(&t);
    }
}

/* Copy-on-write after fork: copy_to_user into a shared page copies it and
 * flushes the parent's stale entry (TLBIMVAIS). */
static void test_cow(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct kt t;
        open_variant(&t, &variants[i], 1, true);
        assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
        assert_int_equal(kt_touch(&t, 0, 1, UBASE, LPAE_PAGE_SIZE, LPAE_TEVF_WRITE), 0);
        lpae_tev e = kt_ev(LPAE_TEV_FORK, 0, 1);
        e.arg = 2;
        kt_do(&t, &e, NULL);
        lpae_cpu_stats c0 = kt_cpu(&t, 0);
        lpae_event_result r;
        assert_int_equal(
            kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, UBASE + 8, 16, LPAE_KBUF_SLAB, 0x3000, &r), 0);
        assert_int_equal(r.demand_faults, 1);
        lpae_cpu_stats c1 = kt_cpu(&t, 0);
        assert_int_equal(c1.tlbi[LPAE_TLBI_MVA][1] - c0.tlbi[LPAE_TLBI_MVA][1], 1);
        /* the child still sees the old bytes: its page differs from the parent's now */
        lpae_task_info p, ch;
        assert_int_equal(lpae_kernel_task_info(t.k, 1, &p), LPAE_OK);
        assert_int_equal(lpae_kernel_task_info(t.k, 2, &ch), LPAE_OK);
        assert_true(p.mm_id != ch.mm_id);
        lpae_mm_stats ms;
        assert_int_equal(lpae_mm_stats_get(p.mm, &ms), LPAE_OK);
        assert_int_equal(ms.cow_copies, 1);
        kt_close(&t);
    }
}

/* ---- functional mode -------------------------------------------------------------------- */

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

#define NEV 1500

static size_t workload(lpae_tev *ev, uint64_t seed)
{
    size_t n = 0;
    uint64_t s = seed;
    lpae_tev e = kt_ev(LPAE_TEV_MMAP, 0, 1);
    e.addr = UBASE;
    e.len = ULEN;
    e.flags = LPAE_PROT_READ | LPAE_PROT_WRITE | LPAE_MAP_ANON;
    ev[n++] = e;
    e.addr = 0x20000000u;
    e.len = 0x8000;
    e.flags = LPAE_PROT_READ | LPAE_MAP_ANON;
    ev[n++] = e;
    e = kt_ev(LPAE_TEV_FORK, 0, 1);
    e.arg = 2;
    ev[n++] = e;
    e = kt_ev(LPAE_TEV_FORK, 0, 1);
    e.arg = 3;
    e.flags = LPAE_TEVF_THREAD;
    ev[n++] = e;
    static const unsigned kinds[] = {
        LPAE_TEV_COPY_FROM_USER, LPAE_TEV_COPY_TO_USER,      LPAE_TEV_GET_USER,
        LPAE_TEV_PUT_USER,       LPAE_TEV_STRNCPY_FROM_USER, LPAE_TEV_CLEAR_USER,
        LPAE_TEV_TOUCH,          LPAE_TEV_SYS_ENTER,         LPAE_TEV_SYS_EXIT,
        LPAE_TEV_COPY_FROM_USER, LPAE_TEV_COPY_TO_USER,      LPAE_TEV_MUNMAP};
    while (n < NEV) {
        unsigned cpu = (unsigned)(rng(&s) % 2);
        uint32_t task = 1 + (uint32_t)(rng(&s) % 3);
        e = kt_ev(kinds[rng(&s) % (sizeof(kinds) / sizeof(kinds[0]))], cpu, task);
        unsigned where = (unsigned)(rng(&s) % 20);
        e.addr = where == 0   ? 0x30000000u + (uint32_t)(rng(&s) % 0x1000)
                 : where == 1 ? 0x20000000u + (uint32_t)(rng(&s) % 0x8000)
                              : UBASE + (uint32_t)(rng(&s) % ULEN);
        switch (e.kind) {
        case LPAE_TEV_GET_USER:
        case LPAE_TEV_PUT_USER:
            e.len = 1u << (rng(&s) % 4);
            break;
        case LPAE_TEV_TOUCH:
            e.len = 1 + (uint32_t)(rng(&s) % 9000);
            e.flags = (rng(&s) & 1) ? LPAE_TEVF_WRITE : LPAE_TEVF_READ;
            if (e.addr < UBASE)
                e.addr = UBASE + (uint32_t)(rng(&s) % ULEN); /* no SIGSEGV in user mode */
            break;
        case LPAE_TEV_MUNMAP:
            switch (rng(&s) % 6) { /* mostly: remap a hole */
            case 0:
                break;
            case 1:
            case 2:
                e.kind = LPAE_TEV_MPROTECT;
                e.flags = (rng(&s) & 1) ? LPAE_PROT_READ : LPAE_PROT_READ | LPAE_PROT_WRITE;
                break;
            default:
                e.kind = LPAE_TEV_MMAP;
                e.flags = LPAE_PROT_READ | LPAE_PROT_WRITE | LPAE_MAP_ANON | LPAE_MAP_FIXED;
                break;
            }
            e.addr = UBASE + (uint32_t)(rng(&s) % (ULEN / LPAE_PAGE_SIZE)) * LPAE_PAGE_SIZE;
            e.len = LPAE_PAGE_SIZE * (1 + (uint32_t)(rng(&s) % 3));
            break;
        case LPAE_TEV_SYS_ENTER:
        case LPAE_TEV_SYS_EXIT:
            e.addr = 0;
            break;
        default:
            e.len = 1 + (uint32_t)(rng(&s) % (rng(&s) % 4 ? 600 : 9000));
            e.kbuf = (uint8_t)(1 + rng(&s) % LPAE_KBUF_MAX);
            e.kaddr = (uint32_t)(rng(&s) % 8) << 12 | (uint32_t)(rng(&s) % 4096);
            if (e.kind == LPAE_TEV_CLEAR_USER)
                e.kbuf = 0, e.kaddr = 0;
            break;
        }
        if (e.addr + e.len < e.addr)
            e.len = 1;
        ev[n++] = e;
        if (rng(&s) % 50 == 0) { /* a context switch on that CPU */
            lpae_tev sw = kt_ev(LPAE_TEV_SWITCH, cpu, 1 + (uint32_t)(rng(&s) % 3));
            ev[n++] = sw;
        }
    }
    return n;
}

static void test_functional_identical(void **state)
{
    (void)state;
    static lpae_tev ev[NEV + 8];
    size_t n = workload(ev, 0x5eed);
    uint64_t kd0 = 0, ud0 = 0;
    int32_t status0[NEV + 8];
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct kt t;
        open_variant(&t, &variants[i], 2, true);
        for (size_t j = 0; j < n; j++) {
            lpae_event_result r;
            const char *why = "";
            if (lpae_tev_check(&ev[j], &why))
                fail_msg("event %zu: %s", j, why);
            assert_int_equal(lpae_kernel_apply(t.k, &ev[j], &r), LPAE_OK);
            int st = r.status == LPAE_EPERM ? LPAE_EFAULT : r.status;
            if (i == 0)
                status0[j] = st;
            else if (status0[j] != st)
                fail_msg("%s: event %zu status %d, direct %d", variants[i].name, j, st, status0[j]);
        }
        uint64_t kd, ud;
        assert_int_equal(lpae_kernel_digest(t.k, &kd), LPAE_OK);
        assert_int_equal(lpae_kernel_user_digest(t.k, &ud), LPAE_OK);
        if (i == 0) {
            kd0 = kd;
            ud0 = ud;
        } else {
            if (kd != kd0 || ud != ud0)
                fail_msg("%s: digests differ from direct", variants[i].name);
        }
        lpae_kernel_stats s = kt_stats(&t);
        assert_true(s.bytes_copied > 100000);
        assert_true(s.efaults > 0);
        kt_check_sums(&t);
        kt_close(&t);
    }
    /* the digest sees bytes: another seed for the pattern gives another digest */
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_DIRECT, 2);
    c.functional = true;
    c.seed = 43;
    kt_open_cfg(&t, &c);
    for (size_t j = 0; j < n; j++)
        assert_int_equal(lpae_kernel_apply(t.k, &ev[j], NULL), LPAE_OK);
    uint64_t kd;
    assert_int_equal(lpae_kernel_digest(t.k, &kd), LPAE_OK);
    assert_true(kd != kd0);
    kt_close(&t);
}

/* One copy over many kernel pages against the same bytes moved one kernel
 * page per copy (every access then looks its kernel page up afresh): with
 * kernel pages created and evicted during the long copies (kbuf_pages 64),
 * both give the same kernel and user digests, under every variant.
 * Regression: vmalloc buffers, whose eviction (vfree) used to free the
 * level-3 table that became empty; walk-cache entries of other ASIDs kept
 * pointing at it and the next copy through a remapped vmalloc VA took a
 * fatal kernel-side translation fault (LPAE_EFAULT). */
static void test_kernel_pages_per_copy(void **state)
{
    (void)state;
    static const unsigned kbufs[] = {LPAE_KBUF_SLAB, LPAE_KBUF_PAGECACHE, LPAE_KBUF_PAGE,
                                     LPAE_KBUF_ADDR, LPAE_KBUF_VMALLOC};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        uint64_t dig[2][2];
        for (int split = 0; split < 2; split++) {
            struct kt t;
            lpae_kernel_config c;
            kt_cfg(&c, variants[i].s, 1);
            c.switch_variant = variants[i].sv;
            c.kmap_legacy = variants[i].legacy;
            c.hybrid_threshold = variants[i].threshold;
            c.functional = true;
            c.kbuf_pages = 64;
            c.seed = 7;
            kt_open_cfg(&t, &c);
            assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
            assert_int_equal(kt_touch(&t, 0, 1, UBASE, ULEN, LPAE_TEVF_WRITE), 0);
            kt_simple(&t, LPAE_TEV_SYS_ENTER, 0, 1);
            uint64_t x = 0xC0FFEE;
            for (int n = 0; n < 60; n++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                unsigned kind = (n & 1) ? LPAE_TEV_COPY_TO_USER : LPAE_TEV_COPY_FROM_USER;
                unsigned kbuf = kbufs[(x >> 56) % 5u];
                uint32_t len = 1 + (uint32_t)((x >> 20) % (ULEN / 2));
                uint32_t ua = UBASE + (uint32_t)((x >> 8) % (ULEN - len + 1));
                uint32_t kaddr = (uint32_t)((x >> 40) % 200u) << 12 | (uint32_t)(x & 0xFFFu);
                for (uint32_t off = 0; off < len;) {
                    uint32_t n1 = len - off;
                    uint32_t room = LPAE_PAGE_SIZE - ((kaddr + off) & 0xFFFu);
                    if (split && n1 > room)
                        n1 = room;
                    lpae_event_result r;
                    assert_int_equal(kt_copy(&t, kind, 0, 1, ua + off, n1, kbuf, kaddr + off, &r),
                                     0);
                    assert_int_equal(r.done, n1);
                    off += n1;
                }
            }
            lpae_kernel_stats st = kt_stats(&t);
            assert_true(st.kbuf_evictions > 100);
            assert_int_equal(lpae_kernel_digest(t.k, &dig[split][0]), LPAE_OK);
            assert_int_equal(lpae_kernel_user_digest(t.k, &dig[split][1]), LPAE_OK);
            kt_close(&t);
        }
        if (dig[0][0] != dig[1][0] || dig[0][1] != dig[1][1])
            fail_msg("%s: one long copy and per-page copies differ", variants[i].name);
    }
}

static void test_names(void **state)
{
    (void)state;
    for (unsigned i = 0; i < LPAE_STRAT_COUNT; i++) {
        lpae_strategy s;
        assert_int_equal(lpae_strategy_parse(lpae_strategy_name((lpae_strategy)i), &s), LPAE_OK);
        assert_int_equal(s, i);
        lpae_split sp;
        assert_int_equal(lpae_split_find(lpae_strategy_natural_split(s), &sp), LPAE_OK);
    }
    lpae_strategy s;
    assert_int_equal(lpae_strategy_parse("bogus", &s), LPAE_EINVAL);
    assert_int_equal(lpae_strategy_parse(NULL, &s), LPAE_EINVAL);
    assert_string_equal(lpae_strategy_name(LPAE_STRAT_COUNT), "?");
    assert_string_equal(lpae_phase_name(LPAE_PH_GUP), "gup");
    assert_string_equal(lpae_phase_name(LPAE_PH_COUNT), "?");
}

/* A faulting copy_from_user zeroes the uncopied tail of the kernel buffer. */
static void test_zero_tail(void **state)
{
    (void)state;
    struct kt t;
    lpae_kernel_config c;
    kt_cfg(&c, LPAE_STRAT_DIRECT, 1);
    c.functional = true;
    kt_open_cfg(&t, &c);
    assert_int_equal(kt_mmap(&t, 0, 1, UBASE, ULEN, LPAE_PROT_READ | LPAE_PROT_WRITE), 0);
    lpae_event_result r;
    assert_int_equal(kt_copy(&t, LPAE_TEV_COPY_FROM_USER, 0, 1, UBASE + ULEN - 100, 300,
                             LPAE_KBUF_SLAB, 0x7000, &r),
                     LPAE_EFAULT);
    assert_int_equal(r.done, 100);
    assert_int_equal(
        kt_copy(&t, LPAE_TEV_COPY_TO_USER, 0, 1, UBASE, 300, LPAE_KBUF_SLAB, 0x7000, &r), 0);
    unsigned char want[100], got[300];
    lpae_cpu *cpu = lpae_machine_cpu(lpae_kernel_machine(t.k), 0);
    assert_int_equal(lpae_cpu_read(cpu, UBASE + ULEN - 100, LPAE_ACC_PR, want, 100, NULL, NULL),
                     LPAE_OK);
    assert_int_equal(lpae_cpu_read(cpu, UBASE, LPAE_ACC_PR, got, 300, NULL, NULL), LPAE_OK);
    assert_memory_equal(got, want, 100);
    for (int i = 100; i < 300; i++)
        assert_int_equal(got[i], 0);
    kt_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),    cmocka_unit_test(test_pan),
        cmocka_unit_test(test_pinned),    cmocka_unit_test(test_pinned_lowmem_user),
        cmocka_unit_test(test_switch),    cmocka_unit_test(test_switch_chunk),
        cmocka_unit_test(test_hybrid),    cmocka_unit_test(test_faults_and_errors),
        cmocka_unit_test(test_cow),       cmocka_unit_test(test_functional_identical),
        cmocka_unit_test(test_names),     cmocka_unit_test(test_kernel_pages_per_copy),
        cmocka_unit_test(test_zero_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
