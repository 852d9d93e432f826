/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/mm.h"
#include "lpae/regs.h"
#include "lpae/walk.h"

#define MB (UINT64_C(1) << 20)
#define GB (UINT64_C(1) << 30)
#define PG LPAE_PAGE_SIZE

struct env {
    lpae_phys *phys;
    lpae_layout layout;
    lpae_mmsys *sys;
    uint64_t frames0; /* frames in use before any mm */
};

static void env_init(struct env *e, const char *split, const lpae_ram_range *ram, size_t nram)
{
    memset(e, 0, sizeof(*e));
    lpae_phys_config pc = {.ranges = ram, .nranges = nram};
    assert_int_equal(lpae_phys_create(&pc, &e->phys), LPAE_OK);
    lpae_layout_config lc;
    memset(&lc, 0, sizeof(lc));
    assert_int_equal(lpae_split_find(split, &lc.split), LPAE_OK);
    lc.ram = ram;
    lc.nram = nram;
    assert_int_equal(lpae_layout_build(&lc, &e->layout), LPAE_OK);
    lpae_mmsys_config mc = {.phys = e->phys, .layout = &e->layout};
    assert_int_equal(lpae_mmsys_create(&mc, &e->sys), LPAE_OK);
    lpae_phys_stats ps;
    assert_int_equal(lpae_phys_stats_get(e->phys, &ps), LPAE_OK);
    e->frames0 = ps.frames_in_use;
}

static uint64_t frames_in_use(const struct env *e)
{
    lpae_phys_stats ps;
    assert_int_equal(lpae_phys_stats_get(e->phys, &ps), LPAE_OK);
    return ps.frames_in_use;
}

static void env_fini(struct env *e)
{
    lpae_mmsys_destroy(e->sys);
    assert_int_equal(frames_in_use(e), e->frames0);
    lpae_phys_destroy(e->phys);
}

/* 512 MB lowmem bank and 64 MB of highmem above 4 GB. */
static const lpae_ram_range ram_small[] = {{0x80000000u, 512 * MB},
                                           {UINT64_C(0x100000000), 64 * MB}};

static lpae_mm *mk_mm(struct env *e)
{
    lpae_mm *mm = NULL;
    assert_int_equal(lpae_mm_create(e->sys, &mm), LPAE_OK);
    assert_non_null(mm);
    return mm;
}

static lpae_mm_fault_result fault(lpae_mm *mm, lpae_va_t va, unsigned acc)
{
    lpae_mm_fault_result r;
    assert_int_equal(lpae_mm_fault(mm, va, acc, &r), LPAE_OK);
    return r;
}

static lpae_mm_stats mstats(const lpae_mm *mm)
{
    lpae_mm_stats st;
    assert_int_equal(lpae_mm_stats_get(mm, &st), LPAE_OK);
    return st;
}

/* Walk @p va through the mm's TTBR0 under the split's TTBCR. */
static lpae_walk_result walk(struct env *e, lpae_mm *mm, lpae_va_t va, unsigned acc)
{
    lpae_regs regs;
    lpae_regs_init(&regs);
    assert_int_equal(lpae_regs_set_ttbcr(&regs, lpae_split_ttbcr(&e->layout.split, 0)), LPAE_OK);
    assert_int_equal(lpae_regs_set_ttbr(&regs, 0, lpae_mm_ttbr0(mm, 5)), LPAE_OK);
    lpae_walk_result w;
    assert_int_equal(lpae_walk(&regs, e->phys, va, acc, &w), LPAE_OK);
    return w;
}

static void demand_faults(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    lpae_mm *mm = mk_mm(&e);
    assert_int_equal(mstats(mm).table_pages, 1);
    assert_int_equal(lpae_mm_mmap(mm, 0x10000, 3 * PG, LPAE_VM_READ | LPAE_VM_WRITE), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(mm, 0x400000, 2 * PG, LPAE_VM_READ | LPAE_VM_EXEC), LPAE_OK);
    assert_int_equal(mstats(mm).pages, 0); /* nothing until touched */

    lpae_mm_fault_result r = fault(mm, 0x10005, LPAE_ACC_UR);
    assert_int_equal(r.kind, LPAE_MMF_ANON);
    assert_false(r.tlb_inv);
    assert_true(r.desc_writes >= 3); /* L1 + L2 table descriptors and the PTE */
    assert_int_equal(lpae_layout_zone(&e.layout, r.pa), LPAE_ZONE_HIGHMEM); /* GFP_HIGHUSER */
    lpae_mm_stats st = mstats(mm);
    assert_int_equal(st.pages, 1);
    assert_int_equal(st.table_pages, 3); /* 4-entry root, level 2, level 3 */
    assert_int_equal(st.anon_faults, 1);
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, r.pa), 1);

    /* the hardware walk sees what the fault mapped */
    lpae_walk_result w = walk(&e, mm, 0x10005, LPAE_ACC_UW);
    assert_int_equal(w.fault, LPAE_FAULT_NONE);
    assert_int_equal(w.pa, r.pa + 5);
    assert_true(w.attrs.ng);
    assert_true(w.attrs.xn);
    assert_int_equal(w.attrs.attrindx, 7);
    assert_int_equal(w.attrs.sh, 3);

    assert_int_equal(fault(mm, 0x10FFF, LPAE_ACC_UW).kind, LPAE_MMF_SPURIOUS);
    assert_int_equal(fault(mm, 0x11000, LPAE_ACC_PW).kind, LPAE_MMF_ANON);
    assert_int_equal(mstats(mm).table_pages, 3); /* same level-3 table */

    /* executable, read-only VMA */
    r = fault(mm, 0x400000, LPAE_ACC_UX);
    assert_int_equal(r.kind, LPAE_MMF_ANON);
    w = walk(&e, mm, 0x400000, LPAE_ACC_UX);
    assert_int_equal(w.fault, LPAE_FAULT_NONE);
    w = walk(&e, mm, 0x400000, LPAE_ACC_UW);
    assert_int_equal(w.fault, LPAE_FAULT_PERMISSION);

    lpae_mm_fault_result rr;
    assert_int_equal(lpae_mm_fault(mm, 0x400000, LPAE_ACC_UW, &rr), LPAE_EPERM);
    assert_int_equal(lpae_mm_fault(mm, 0x10000, LPAE_ACC_UX, &rr), LPAE_EPERM);
    assert_int_equal(lpae_mm_fault(mm, 0x13000, LPAE_ACC_UR, &rr), LPAE_EFAULT);
    assert_int_equal(lpae_mm_fault(mm, 0x0, LPAE_ACC_UR, &rr), LPAE_EFAULT);
    assert_int_equal(lpae_mm_fault(mm, 0x10000, 3, &rr), LPAE_EINVAL);
    assert_int_equal(lpae_mm_fault(NULL, 0x10000, LPAE_ACC_UR, &rr), LPAE_EINVAL);
    assert_int_equal(lpae_mm_fault(mm, 0x10000, LPAE_ACC_UR, NULL), LPAE_EINVAL);
    st = mstats(mm);
    assert_int_equal(st.faults, 4);
    assert_int_equal(st.anon_faults, 3);
    assert_int_equal(st.pages, 3);

    lpae_pgtable_stats ps;
    assert_int_equal(lpae_pgtable_stats_get(lpae_mm_pgtable(mm), &ps), LPAE_OK);
    assert_int_equal(ps.leaves[3], 3);
    assert_non_null(lpae_mm_asid_ctx(mm));
    assert_int_equal(lpae_mm_asid_ctx(mm)->id, 0);
    lpae_mm_destroy(mm);
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, 0);
    assert_int_equal(ss.mms_live, 0);
    assert_int_equal(ss.exits, 1);
    assert_int_equal(ss.table_pages, 0);
    env_fini(&e);
}

static void fork_copy_on_write(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    lpae_mm *p = mk_mm(&e);
    const uint32_t rw = LPAE_VM_READ | LPAE_VM_WRITE;
    assert_int_equal(lpae_mm_mmap(p, 0x8000, 4 * PG, rw), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(p, 0x20000, 2 * PG, rw | LPAE_VM_SHARED), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(p, 0x30000, 1 * PG, LPAE_VM_READ), LPAE_OK);
    assert_int_equal(lpae_mm_populate(p, 0x8000, 4 * PG), LPAE_OK);
    assert_int_equal(lpae_mm_populate(p, 0x20000, 2 * PG), LPAE_OK);
    assert_int_equal(lpae_mm_populate(p, 0x30000, PG), LPAE_OK);
    lpae_pa_t pa0 = walk(&e, p, 0x8000, LPAE_ACC_UR).pa;
    lpae_pa_t pa1 = walk(&e, p, 0x9000, LPAE_ACC_UR).pa;
    assert_int_equal(lpae_phys_write(e.phys, pa0 + 100, "hello", 6), LPAE_OK);

    lpae_mm *c = NULL;
    lpae_mm_fork_result fr;
    assert_int_equal(lpae_mm_fork(p, &c, &fr), LPAE_OK);
    assert_int_equal(fr.pages_shared, 7);
    assert_int_equal(fr.pages_wrprotect, 4);
    assert_true(fr.parent_tlb_flush);
    assert_int_equal(lpae_mm_vma_count(c), 3);
    assert_int_equal(mstats(c).pages, 7);
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, pa0), 2);
    assert_int_not_equal(lpae_mm_asid_ctx(c), lpae_mm_asid_ctx(p));

    /* both see the same page, read-only */
    lpae_walk_result w = walk(&e, c, 0x8000, LPAE_ACC_UR);
    assert_int_equal(w.pa, pa0);
    assert_int_equal(walk(&e, c, 0x8000, LPAE_ACC_UW).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(walk(&e, p, 0x8000, LPAE_ACC_UW).fault, LPAE_FAULT_PERMISSION);
    /* shared and read-only VMAs keep their permissions */
    assert_int_equal(walk(&e, c, 0x20000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    assert_int_equal(walk(&e, p, 0x20000, LPAE_ACC_UW).pa, walk(&e, c, 0x20000, LPAE_ACC_UW).pa);
    assert_int_equal(walk(&e, c, 0x30000, LPAE_ACC_UR).fault, LPAE_FAULT_NONE);

    /* child writes: copy */
    lpae_mm_fault_result r = fault(c, 0x8010, LPAE_ACC_UW);
    assert_int_equal(r.kind, LPAE_MMF_COW_COPY);
    assert_true(r.tlb_inv);
    assert_int_not_equal(r.pa, pa0);
    char buf[6];
    assert_int_equal(lpae_phys_read(e.phys, r.pa + 100, buf, 6), LPAE_OK);
    assert_string_equal(buf, "hello");
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, pa0), 1);
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, r.pa), 1);
    assert_int_equal(walk(&e, c, 0x8000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    /* parent writes the same page: it is alone now, so it reuses it */
    r = fault(p, 0x8000, LPAE_ACC_UW);
    assert_int_equal(r.kind, LPAE_MMF_COW_REUSE);
    assert_int_equal(r.pa, pa0);
    assert_true(r.tlb_inv);
    /* the other order on page 1 */
    r = fault(p, 0x9000, LPAE_ACC_UW);
    assert_int_equal(r.kind, LPAE_MMF_COW_COPY);
    assert_int_equal(fault(c, 0x9000, LPAE_ACC_UW).kind, LPAE_MMF_COW_REUSE);
    assert_int_equal(walk(&e, c, 0x9000, LPAE_ACC_UR).pa, pa1);
    /* the shared VMA never copies */
    assert_int_equal(fault(c, 0x20000, LPAE_ACC_UW).kind, LPAE_MMF_SPURIOUS);
    lpae_mm_fault_result rr;
    assert_int_equal(lpae_mm_fault(c, 0x30000, LPAE_ACC_UW, &rr), LPAE_EPERM);

    lpae_mm_stats cs = mstats(c);
    assert_int_equal(cs.cow_copies, 1);
    assert_int_equal(cs.cow_reuses, 1);

    /* exit of the child frees only what it held alone */
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, 9); /* 7 + 2 copies */
    assert_int_equal(ss.forks, 1);
    assert_int_equal(ss.mms_live, 2);
    lpae_mm_destroy(c);
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, 7);
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, pa1), 0); /* pa1 was the child's alone */
    assert_int_equal(walk(&e, p, 0x20000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    assert_int_equal(lpae_mmsys_frame_refs(e.sys, walk(&e, p, 0x20000, LPAE_ACC_UR).pa), 1);
    lpae_mm_destroy(p);
    env_fini(&e);
}

static void munmap_splits_vmas(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_2G", ram_small, 2);
    lpae_mm *mm = mk_mm(&e);
    const uint32_t rw = LPAE_VM_READ | LPAE_VM_WRITE;
    assert_int_equal(lpae_mm_mmap(mm, 0x100000, 10 * PG, rw), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(mm, 0x10A000, 2 * PG, LPAE_VM_READ), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(mm, 0x200000, 4 * PG, rw), LPAE_OK);
    assert_int_equal(lpae_mm_populate(mm, 0x100000, 12 * PG), LPAE_OK);
    assert_int_equal(mstats(mm).pages, 12);

    uint64_t n = 0;
    assert_int_equal(lpae_mm_munmap(mm, 0x103000, 2 * PG, &n), LPAE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(lpae_mm_vma_count(mm), 4);
    lpae_vma v;
    assert_int_equal(lpae_mm_vma_get(mm, 0, &v), LPAE_OK);
    assert_int_equal(v.start, 0x100000);
    assert_int_equal(v.end, 0x103000);
    assert_int_equal(lpae_mm_vma_get(mm, 1, &v), LPAE_OK);
    assert_int_equal(v.start, 0x105000);
    assert_int_equal(v.end, 0x10A000);
    assert_int_equal(v.flags, rw);
    assert_int_equal(lpae_mm_find_vma(mm, 0x103000, &v), LPAE_ENOENT);
    lpae_mm_fault_result rr;
    assert_int_equal(lpae_mm_fault(mm, 0x104000, LPAE_ACC_UR, &rr), LPAE_EFAULT);
    assert_int_equal(walk(&e, mm, 0x104000, LPAE_ACC_UR).fault, LPAE_FAULT_TRANSLATION);

    /* across two VMAs and a hole */
    assert_int_equal(lpae_mm_munmap(mm, 0x108000, 0x202000 - 0x108000, &n), LPAE_OK);
    assert_int_equal(n, 4); /* 0x108000, 0x109000, 0x10A000, 0x10B000 */
    assert_int_equal(lpae_mm_vma_count(mm), 3);
    assert_int_equal(lpae_mm_vma_get(mm, 1, &v), LPAE_OK);
    assert_int_equal(v.end, 0x108000);
    assert_int_equal(lpae_mm_vma_get(mm, 2, &v), LPAE_OK);
    assert_int_equal(v.start, 0x202000);
    assert_int_equal(v.end, 0x204000);
    assert_int_equal(lpae_mm_vma_get(mm, 3, &v), LPAE_ERANGE);
    assert_int_equal(mstats(mm).pages, 6);
    /* nothing there: fine */
    assert_int_equal(lpae_mm_munmap(mm, 0x500000, PG, &n), LPAE_OK);
    assert_int_equal(n, 0);
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, 6);

    /* errors */
    assert_int_equal(lpae_mm_munmap(mm, 0x100800, PG, &n), LPAE_EALIGN);
    assert_int_equal(lpae_mm_munmap(mm, 0x100000, 0, &n), LPAE_EINVAL);
    assert_int_equal(lpae_mm_munmap(mm, 0x7F000000u - PG, 2 * PG, &n), LPAE_ERANGE);
    assert_int_equal(lpae_mm_munmap(NULL, 0x100000, PG, &n), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mmap(mm, 0x100000, PG, LPAE_VM_READ), LPAE_EEXIST);
    assert_int_equal(lpae_mm_mmap(mm, 0x0FF000, 2 * PG, LPAE_VM_READ), LPAE_EEXIST);
    assert_int_equal(lpae_mm_mmap(mm, 0x0FF000, PG, LPAE_VM_READ), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(mm, 0x600000, PG, 0), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mmap(mm, 0x600000, PG, LPAE_VM_SHARED), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mmap(mm, 0x600000, PG, 0x100), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mmap(mm, 0x600001, PG, LPAE_VM_READ), LPAE_EALIGN);
    assert_int_equal(lpae_mm_mmap(mm, 0x600000, 100, LPAE_VM_READ), LPAE_EALIGN);
    assert_int_equal(lpae_mm_mmap(mm, 0x7EFFF000u, PG, LPAE_VM_READ), LPAE_OK);
    assert_int_equal(lpae_mm_mmap(mm, 0x7F000000u, PG, LPAE_VM_READ), LPAE_ERANGE);
    assert_int_equal(lpae_mm_populate(mm, 0x600000, PG), LPAE_EFAULT);
    assert_int_equal(lpae_mm_find_vma(NULL, 0, &v), LPAE_EINVAL);
    assert_int_equal(lpae_mm_vma_get(mm, 0, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_mm_vma_count(NULL), 0);
    lpae_mm_destroy(mm);
    env_fini(&e);
}

/* User frames come from highmem, then lowmem; out of frames is ENOSPC and
 * leaks nothing. */
static void frame_zones_and_exhaustion(void **state)
{
    (void)state;
    static const lpae_ram_range tiny[] = {{0x80000000u, 768 * MB + 16 * PG}};
    struct env e;
    env_init(&e, "VMSPLIT_3G", tiny, 1); /* 16 highmem frames */
    assert_int_equal(e.layout.highmem_bytes, 16 * PG);
    lpae_mm *mm = mk_mm(&e);
    assert_int_equal(lpae_mm_mmap(mm, 0x100000, 32 * PG, LPAE_VM_READ | LPAE_VM_WRITE), LPAE_OK);
    for (unsigned i = 0; i < 32; i++) {
        lpae_mm_fault_result r = fault(mm, 0x100000 + i * PG, LPAE_ACC_UW);
        assert_int_equal(lpae_layout_zone(&e.layout, r.pa),
                         i < 16 ? LPAE_ZONE_HIGHMEM : LPAE_ZONE_LOWMEM);
    }
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, 32);
    assert_int_equal(ss.highmem_frames, 16);
    lpae_mm_destroy(mm);
    env_fini(&e);

    /* Nearly no memory at all: the fault fails cleanly. */
    static const lpae_ram_range four[] = {{0x80000000u, 32 * MB + 4 * PG}};
    env_init(&e, "VMSPLIT_3G", four, 1);
    assert_int_equal(lpae_phys_reserve(e.phys, 0x80000000u, 32 * MB), LPAE_OK);
    e.frames0 = frames_in_use(&e);
    mm = mk_mm(&e); /* root: 1 frame */
    assert_int_equal(lpae_mm_mmap(mm, 0x100000, 8 * PG, LPAE_VM_READ | LPAE_VM_WRITE), LPAE_OK);
    fault(mm, 0x100000, LPAE_ACC_UW); /* 2 tables + 1 page: all 4 frames used */
    lpae_mm_fault_result r;
    assert_int_equal(lpae_mm_fault(mm, 0x101000, LPAE_ACC_UW, &r), LPAE_ENOSPC);
    assert_int_equal(mstats(mm).pages, 1);
    lpae_mm *c = NULL;
    assert_int_equal(lpae_mm_fork(mm, &c, NULL), LPAE_ENOSPC);
    assert_null(c);
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.mms_live, 1);
    assert_int_equal(ss.forks, 0);
    assert_int_equal(ss.exits, 0);
    lpae_mm_destroy(mm);
    env_fini(&e);
}

/* 4G/4G: kernel lowmem is a TTBR0 address space of its own, non-global,
 * PL1 only. */
static void kernel_lowmem_4g(void **state)
{
    (void)state;
    static const lpae_ram_range ram[] = {{0x80000000u, 2 * GB}, {UINT64_C(0x100000000), 2 * GB}};
    struct env e;
    env_init(&e, "VMSPLIT_4G_4G", ram, 2);
    lpae_mm *k = NULL;
    assert_int_equal(lpae_mm_create_kernel_lowmem(e.sys, &k), LPAE_OK);
    lpae_pa_t pa = UINT64_C(0x123456000);
    lpae_va_t va;
    assert_int_equal(lpae_layout_lowmem_va(&e.layout, pa, &va), LPAE_OK);
    lpae_walk_result w = walk(&e, k, va + 0x10, LPAE_ACC_PW);
    assert_int_equal(w.fault, LPAE_FAULT_NONE);
    assert_int_equal(w.pa, pa + 0x10);
    assert_true(w.attrs.ng);
    assert_true(w.attrs.xn);
    assert_true(w.size_shift >= 21); /* blocks */
    assert_int_equal(walk(&e, k, va, LPAE_ACC_UR).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(walk(&e, k, va, LPAE_ACC_PX).fault, LPAE_FAULT_PERMISSION);
    lpae_mm_stats st = mstats(k);
    assert_int_equal(st.pages, 0);
    assert_true(st.table_pages <= 1 + 4); /* root + level-2 tables for 2 MB blocks */
    lpae_mm_fault_result r;
    assert_int_equal(lpae_mm_fault(k, va, LPAE_ACC_PR, &r), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mmap(k, 0x1000, PG, LPAE_VM_READ), LPAE_EINVAL);
    lpae_mm *c = NULL;
    assert_int_equal(lpae_mm_fork(k, &c, NULL), LPAE_EINVAL);
    /* user mms still work beside it, and TASK_SIZE is 0xF0000000 */
    lpae_mm *u = mk_mm(&e);
    assert_int_equal(lpae_mm_mmap(u, 0xEFFFF000u, PG, LPAE_VM_READ), LPAE_OK);
    assert_int_equal(fault(u, 0xEFFFF000u, LPAE_ACC_UR).kind, LPAE_MMF_ANON);
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_int_equal(ss.mms_live, 1); /* the kernel mm is not a process */
    lpae_mm_destroy(k);
    /* lowmem itself is untouched: only table pages went */
    lpae_mmsys_destroy(e.sys); /* destroys u too */
    assert_int_equal(frames_in_use(&e), e.frames0);
    lpae_phys_destroy(e.phys);

    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    assert_int_equal(lpae_mm_create_kernel_lowmem(e.sys, &k), LPAE_ESTATE);
    assert_int_equal(lpae_mm_create_kernel_lowmem(NULL, &k), LPAE_EINVAL);
    env_fini(&e);
}

/* ---- randomized ---------------------------------------------------------- */

struct refcount_ctx {
    lpae_pa_t *pas;
    size_t n, cap;
};

static int count_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    (void)va;
    assert_int_equal(size, PG);
    assert_int_equal(level, 3);
    struct refcount_ctx *rc = ctx;
    if (rc->n == rc->cap) {
        rc->cap = rc->cap ? 2 * rc->cap : 256;
        rc->pas = realloc(rc->pas, rc->cap * sizeof(*rc->pas));
        assert_non_null(rc->pas);
    }
    rc->pas[rc->n++] = desc & LPAE_DESC_ADDR_MASK;
    return 0;
}

static int cmp_pa(const void *a, const void *b)
{
    lpae_pa_t x = *(const lpae_pa_t *)a, y = *(const lpae_pa_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

enum { NMM = 6 };

static void check_refcounts(struct env *e, lpae_mm **mms)
{
    struct refcount_ctx rc = {0};
    uint64_t pages = 0;
    for (int i = 0; i < NMM; i++) {
        if (!mms[i])
            continue;
        size_t before = rc.n;
        assert_int_equal(lpae_pgtable_foreach(lpae_mm_pgtable(mms[i]), count_leaf, &rc), 0);
        assert_int_equal(rc.n - before, mstats(mms[i]).pages);
        pages += rc.n - before;
    }
    if (rc.n)
        qsort(rc.pas, rc.n, sizeof(*rc.pas), cmp_pa);
    uint64_t distinct = 0;
    for (size_t i = 0; i < rc.n;) {
        size_t j = i;
        while (j < rc.n && rc.pas[j] == rc.pas[i])
            j++;
        assert_int_equal(lpae_mmsys_frame_refs(e->sys, rc.pas[i]), j - i);
        distinct++;
        i = j;
    }
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e->sys, &ss), LPAE_OK);
    assert_int_equal(ss.user_frames, distinct);
    assert_int_equal(pages, rc.n);
    free(rc.pas);
}

static void randomized_lifetimes(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    lpae_mm *mms[NMM] = {0};
    uint64_t kinds[4] = {0};
    uint64_t s = 0x5EED1234ABCDull;
    const uint32_t flag_sets[] = {LPAE_VM_READ | LPAE_VM_WRITE, LPAE_VM_READ,
                                  LPAE_VM_READ | LPAE_VM_EXEC,
                                  LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_SHARED};
    for (int step = 0; step < 20000; step++) {
        unsigned i = (unsigned)(rng(&s) % NMM);
        unsigned op = (unsigned)(rng(&s) % 20);
        if (!mms[i]) {
            mms[i] = mk_mm(&e); /* exec */
            continue;
        }
        lpae_va_t va = (lpae_va_t)((rng(&s) % 8) * 16 * PG); /* 16-page slots up to 512 KB */
        if (op <= 3) {
            lpae_mm_mmap(mms[i], va, (1 + rng(&s) % 16) * PG, flag_sets[rng(&s) % 4]);
        } else if (op <= 13) {
            lpae_mm_fault_result r;
            lpae_va_t fva = va + (lpae_va_t)(rng(&s) % 16) * PG;
            unsigned acc = (rng(&s) & 1) ? LPAE_ACC_UW : LPAE_ACC_UR;
            int err = lpae_mm_fault(mms[i], fva, acc, &r);
            assert_true(err == LPAE_OK || err == LPAE_EFAULT || err == LPAE_EPERM);
            if (err == LPAE_OK) {
                kinds[r.kind]++;
                lpae_walk_result w = walk(&e, mms[i], fva, acc);
                assert_int_equal(w.fault, LPAE_FAULT_NONE);
                assert_int_equal(w.pa, r.pa);
            }
        } else if (op <= 15) {
            uint64_t n;
            assert_int_equal(lpae_mm_munmap(mms[i], va, (1 + rng(&s) % 32) * PG, &n), LPAE_OK);
        } else if (op <= 17) {
            unsigned j = (unsigned)(rng(&s) % NMM);
            if (j == i)
                j = (i + 1) % NMM;
            lpae_mm_destroy(mms[j]); /* the slot's old process exits (NULL ok) */
            mms[j] = NULL;
            assert_int_equal(lpae_mm_fork(mms[i], &mms[j], NULL), LPAE_OK);
        } else if (op == 18) {
            lpae_mm_destroy(mms[i]); /* exit */
            mms[i] = NULL;
        } else {
            int err = lpae_mm_populate(mms[i], va, 16 * PG);
            assert_true(err == LPAE_OK || err == LPAE_EFAULT);
        }
        if (step % 100 == 0)
            check_refcounts(&e, mms);
    }
    check_refcounts(&e, mms);
    /* the run exercised every path */
    for (int k = 0; k < 4; k++)
        assert_true(kinds[k] > 0);
    lpae_mmsys_stats ss;
    assert_int_equal(lpae_mmsys_stats_get(e.sys, &ss), LPAE_OK);
    assert_true(ss.forks > 10 && ss.exits > 10);
    for (int i = 0; i < NMM; i++)
        lpae_mm_destroy(mms[i]);
    env_fini(&e);
}

/* A context switch as docs/asid.md describes it: the allocator's ASID goes
 * into the mm's TTBR0 value, and each mm translates through its own tables. */
static void switch_with_asid(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    lpae_asid_config ac = {.ncpus = 1};
    lpae_asid_allocator *alloc = NULL;
    assert_int_equal(lpae_asid_create(&ac, &alloc), LPAE_OK);
    lpae_mm *m[2] = {mk_mm(&e), mk_mm(&e)};
    lpae_pa_t pa[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(lpae_mm_mmap(m[i], 0x8000, PG, LPAE_VM_READ), LPAE_OK);
        pa[i] = fault(m[i], 0x8000, LPAE_ACC_UR).pa;
    }
    assert_int_not_equal(pa[0], pa[1]);
    lpae_regs regs;
    lpae_regs_init(&regs);
    assert_int_equal(lpae_regs_set_ttbcr(&regs, lpae_split_ttbcr(&e.layout.split, 0)), LPAE_OK);
    for (int k = 0; k < 4; k++) {
        int i = k & 1;
        lpae_asid_switch_result r;
        assert_int_equal(lpae_asid_switch(alloc, 0, lpae_mm_asid_ctx(m[i]), &r), LPAE_OK);
        assert_int_equal(r.asid, (uint32_t)i + 1);
        assert_int_equal(lpae_regs_set_ttbr(&regs, 0, lpae_mm_ttbr0(m[i], (uint8_t)r.asid)),
                         LPAE_OK);
        assert_int_equal(lpae_regs_asid(&regs), r.asid);
        lpae_walk_result w;
        assert_int_equal(lpae_walk(&regs, e.phys, 0x8004, LPAE_ACC_UR, &w), LPAE_OK);
        assert_int_equal(w.fault, LPAE_FAULT_NONE);
        assert_int_equal(w.pa, pa[i] + 4);
        assert_int_equal(w.asid, r.asid);
    }
    lpae_asid_destroy(alloc);
    env_fini(&e);
}

static void errors_and_null(void **state)
{
    (void)state;
    lpae_mmsys *sys = NULL;
    lpae_mmsys_config mc = {0};
    assert_int_equal(lpae_mmsys_create(NULL, &sys), LPAE_EINVAL);
    assert_int_equal(lpae_mmsys_create(&mc, &sys), LPAE_EINVAL);
    assert_int_equal(lpae_mmsys_stats_get(NULL, NULL), LPAE_EINVAL);
    assert_int_equal(lpae_mmsys_frame_refs(NULL, 0), 0);
    lpae_mmsys_destroy(NULL);
    lpae_mm *mm = NULL;
    assert_int_equal(lpae_mm_create(NULL, &mm), LPAE_EINVAL);
    assert_int_equal(lpae_mm_fork(NULL, &mm, NULL), LPAE_EINVAL);
    lpae_mm_destroy(NULL);
    assert_null(lpae_mm_pgtable(NULL));
    assert_null(lpae_mm_asid_ctx(NULL));
    assert_int_equal(lpae_mm_ttbr0(NULL, 1), 0);
    lpae_mm_stats st;
    assert_int_equal(lpae_mm_stats_get(NULL, &st), LPAE_EINVAL);
    assert_int_equal(lpae_mm_populate(NULL, 0, PG), LPAE_EINVAL);
}

/* mprotect: VMA splits, write removal, write grant through the next fault, XN, PROT_NONE. */
static void mprotect_changes(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "VMSPLIT_3G", ram_small, 2);
    lpae_mm *mm = mk_mm(&e);
    const uint32_t rw = LPAE_VM_READ | LPAE_VM_WRITE;
    assert_int_equal(lpae_mm_mmap(mm, 0x100000, 8 * PG, rw), LPAE_OK);
    assert_int_equal(lpae_mm_populate(mm, 0x100000, 8 * PG), LPAE_OK);
    uint64_t n = 0;
    assert_int_equal(lpae_mm_mprotect(mm, 0x102000, 2 * PG, LPAE_VM_READ, &n), LPAE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(lpae_mm_vma_count(mm), 3);
    lpae_vma v;
    assert_int_equal(lpae_mm_vma_get(mm, 1, &v), LPAE_OK);
    assert_int_equal(v.start, 0x102000);
    assert_int_equal(v.end, 0x104000);
    assert_int_equal(v.flags, LPAE_VM_READ);
    assert_int_equal(walk(&e, mm, 0x102000, LPAE_ACC_UW).fault, LPAE_FAULT_PERMISSION);
    assert_int_equal(walk(&e, mm, 0x102000, LPAE_ACC_UR).fault, LPAE_FAULT_NONE);
    assert_int_equal(walk(&e, mm, 0x104000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    lpae_mm_fault_result r;
    assert_int_equal(lpae_mm_fault(mm, 0x102000, LPAE_ACC_UW, &r), LPAE_EPERM);
    /* write granted again: the PTE stays read-only until the write fault */
    assert_int_equal(lpae_mm_mprotect(mm, 0x102000, 2 * PG, rw, &n), LPAE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(walk(&e, mm, 0x102000, LPAE_ACC_UW).fault, LPAE_FAULT_PERMISSION);
    r = fault(mm, 0x102000, LPAE_ACC_UW);
    assert_int_equal(r.kind, LPAE_MMF_COW_REUSE);
    assert_true(r.tlb_inv);
    assert_int_equal(walk(&e, mm, 0x102000, LPAE_ACC_UW).fault, LPAE_FAULT_NONE);
    /* execute: XN cleared */
    assert_int_equal(lpae_mm_mprotect(mm, 0x100000, PG, LPAE_VM_READ | LPAE_VM_EXEC, &n), LPAE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(walk(&e, mm, 0x100000, LPAE_ACC_UX).fault, LPAE_FAULT_NONE);
    /* PROT_NONE: the VMA part and its pages go */
    uint64_t pages = mstats(mm).pages;
    assert_int_equal(lpae_mm_mprotect(mm, 0x106000, 2 * PG, 0, &n), LPAE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mstats(mm).pages, pages - 2);
    assert_int_equal(lpae_mm_find_vma(mm, 0x106000, &v), LPAE_ENOENT);
    /* errors */
    assert_int_equal(lpae_mm_mprotect(NULL, 0x100000, PG, rw, &n), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mprotect(mm, 0x100000, PG, LPAE_VM_SHARED, &n), LPAE_EINVAL);
    assert_int_equal(lpae_mm_mprotect(mm, 0x100001, PG, rw, &n), LPAE_EALIGN);
    assert_int_equal(lpae_mm_mprotect(mm, 0x100000, 0, rw, &n), LPAE_EINVAL);
    lpae_mm_destroy(mm);
    env_fini(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demand_faults),      cmocka_unit_test(fork_copy_on_write),
        cmocka_unit_test(munmap_splits_vmas), cmocka_unit_test(frame_zones_and_exhaustion),
        cmocka_unit_test(kernel_lowmem_4g),   cmocka_unit_test(randomized_lifetimes),
        cmocka_unit_test(switch_with_asid),   cmocka_unit_test(errors_and_null),
        cmocka_unit_test(mprotect_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
