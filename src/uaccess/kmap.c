/* SPDX-License-Identifier: MIT */
/* kmap_local_page() / kunmap_local() as mm/highmem.c does them since v5.11
 * (with ARM's arch_kmap_local_post_map/post_unmap), and the pre-5.11
 * arch/arm/mm/highmem.c behaviour as the kmap_legacy option. The per-task
 * stack of live mappings, the per-CPU fixmap slots, and the context-switch
 * teardown and rebuild (__kmap_local_sched_out/_in). */
#include <string.h>

#include "kernel/kernel_internal.h"
#include "machine/memops_internal.h"
#include "ttbr/pgtable_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/walk.h"

/* PAGE_KERNEL for a kmap PTE: PL1 read/write, XN, global, AF, WBWA,
 * shareable; the attribute bits are lpae_desc_leaf()'s, built once at
 * construction (k->kmap_pte_attr). */
static uint64_t kmap_pte(const lpae_kernel *k, lpae_pa_t pa)
{
    return k->kmap_pte_attr | (pa & LPAE_DESC_ADDR_MASK & ~(uint64_t)(LPAE_PAGE_SIZE - 1));
}

/* The kmap slot number of a slot VA (kmap_lo <= va <= kmap_hi, page-aligned). */
static unsigned slot_of_va(const lpae_kernel *k, lpae_va_t va)
{
    return (unsigned)((k->kmap_hi - va) >> LPAE_PAGE_SHIFT);
}

/* lpae_layout_kmap_va() from the cached slot 0 of CPU 0: the fixmap slots
 * run downwards, KM_MAX_IDX per CPU. */
static int slot_va(const lpae_kernel *k, unsigned cpu, unsigned idx, lpae_va_t *va)
{
    if (cpu >= k->layout.nr_cpus || idx >= LPAE_LINUX_KM_MAX_IDX)
        return LPAE_ERANGE;
    *va = k->kmap_hi - ((lpae_va_t)(idx + LPAE_LINUX_KM_MAX_IDX * cpu) << LPAE_PAGE_SHIFT);
    return LPAE_OK;
}

int lpae_k_kmap(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_pa_t pa, lpae_va_t *va)
{
    /* the first lowmem and highmem ranges directly, the rest by the layout */
    lpae_zone z = pa - k->lm0_base < k->lm0_size   ? LPAE_ZONE_LOWMEM
                  : pa - k->hm0_base < k->hm0_size ? LPAE_ZONE_HIGHMEM
                                                   : lpae_layout_zone(&k->layout, pa);
    if (z == LPAE_ZONE_NONE || !t)
        return LPAE_EINVAL;
    if (z == LPAE_ZONE_HIGHMEM)
        return lpae_k_kmap_high(k, kc, t, pa, va);
    /* !PageHighMem(page): return page_address(page) */
    k->st.kmaps++;
    *va = lpae_k_va(k, pa & ~(lpae_pa_t)(LPAE_PAGE_SIZE - 1));
    return LPAE_OK;
}

int lpae_k_kunmap(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va)
{
    if (!t)
        return LPAE_EINVAL;
    va &= ~(lpae_va_t)(LPAE_PAGE_SIZE - 1);
    if (va < k->kmap_lo || va > k->kmap_hi) {
        /* not a kmap slot: must be a lowmem address (nothing to undo) */
        lpae_pa_t pa;
        return lpae_layout_lowmem_pa(&k->layout, va, &pa) == LPAE_OK ? LPAE_OK : LPAE_EINVAL;
    }
    if (t->nkm == 0 || t->km[t->nkm - 1].va != va)
        return LPAE_ESTATE; /* WARN_ON_ONCE(addr != __fix_to_virt(FIX_KMAP_BEGIN + idx)) */
    if (!k->cfg.kmap_legacy)
        return lpae_k_kunmap_top(k, kc, t, va);
    /* kmap_local_idx_pop() */
    lpae_k_charge(k, kc->cpu, LPAE_P_SW_KMAP);
    t->nkm--;
    if (t->nkm == 0)
        t->kmap_cpu = -1;
    return LPAE_OK;
}

void lpae_k_kmap_sched_out(lpae_kernel *k, struct kcpu *kc, struct task *t)
{
    if (!t || t->nkm == 0)
        return;
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
    for (unsigned i = 0; i < t->nkm; i++) {
        /* the legacy kmap_atomic disabled preemption: no switch with live kmaps,
         * but the PTEs are torn down the same way when it happens */
        if (lpae_k_kmap_write_pte(k, kc, slot_of_va(k, t->km[i].va), 0) == LPAE_OK)
            lpae_k_flush_kernel_page(k, kc, t->km[i].va);
    }
    lpae_k_phase(k, kc, old);
}

void lpae_k_kmap_sched_in(lpae_kernel *k, struct kcpu *kc, struct task *t)
{
    if (!t || t->nkm == 0)
        return;
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
    unsigned cpu = kc->index;
    for (unsigned i = 0; i < t->nkm; i++) {
        lpae_va_t v = t->km[i].va;
        if (t->kmap_cpu != (int)cpu && slot_va(k, cpu, i, &v) == LPAE_OK)
            t->km[i].va = v; /* the model does not enforce migrate_disable() */
        if (lpae_k_kmap_write_pte(k, kc, slot_of_va(k, v), kmap_pte(k, t->km[i].pa)) == LPAE_OK)
            lpae_k_flush_kernel_page(k, kc, v);
    }
    t->kmap_cpu = (int)cpu;
    lpae_k_phase(k, kc, old);
}
