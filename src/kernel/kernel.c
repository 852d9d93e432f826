/* SPDX-License-Identifier: MIT */
/* The simulated kernel: construction per split, tasks, kernel entry and
 * exit, context switches (switch_mm with the ASID allocator), memory events,
 * statistics and the functional-mode digests. docs/strategies.md and
 * docs/mm.md describe the Linux code each step reproduces. */
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel_internal.h"
#include "machine/memops_internal.h"
#include "ttbr/pgtable_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/walk.h"

/* exec's initial stack VMA: the top of the ARM 3G user space (TASK_SIZE
 * 0xBF000000), 16 MB below it (RLIMIT_STACK 8 MB plus the argument area and
 * randomisation room; the model does not grow stacks on demand). */
#define EXEC_STACK_TOP UINT32_C(0xBF000000)
#define EXEC_STACK_SIZE (UINT32_C(16) << 20)
/* THREAD_SIZE on ARM: 8 KB kernel stacks. */
#define THREAD_PAGES 2u
/* Size of the anonymous VMAs cfg.implicit_vmas creates. */
#define IMPLICIT_VMA_SIZE (UINT32_C(1) << 20)
/* Linux's TTB_FLAGS_SMP for both TTBRs: IRGN/ORGN write-back write-allocate, inner shareable. */
#define TTBCR_WALK_ATTRS                                                                           \
    ((UINT32_C(1) << LPAE_TTBCR_IRGN0_SHIFT) | (UINT32_C(1) << LPAE_TTBCR_ORGN0_SHIFT) |           \
     (UINT32_C(3) << LPAE_TTBCR_SH0_SHIFT) | (UINT32_C(1) << LPAE_TTBCR_IRGN1_SHIFT) |             \
     (UINT32_C(1) << LPAE_TTBCR_ORGN1_SHIFT) | (UINT32_C(3) << LPAE_TTBCR_SH1_SHIFT))
#define KERNEL_ATTRINDX 7u /* L_PTE_MT_WRITEALLOC */
#define KERNEL_SH 3u

/* ---- names ------------------------------------------------------------------- */

static const char *const strat_names[LPAE_STRAT_COUNT] = {"direct", "ttbr0-pan", "pinned",
                                                          "ttbr0-switch", "hybrid"};

const char *lpae_strategy_name(lpae_strategy s)
{
    return (unsigned)s < LPAE_STRAT_COUNT ? strat_names[s] : "?";
}

int lpae_strategy_parse(const char *name, lpae_strategy *out)
{
    if (!name || !out)
        return LPAE_EINVAL;
    for (unsigned i = 0; i < LPAE_STRAT_COUNT; i++)
        if (strcmp(name, strat_names[i]) == 0) {
            *out = (lpae_strategy)i;
            return LPAE_OK;
        }
    return LPAE_EINVAL;
}

const char *lpae_strategy_natural_split(lpae_strategy s)
{
    if (s == LPAE_STRAT_DIRECT || s == LPAE_STRAT_TTBR0_PAN)
        return "VMSPLIT_3G";
    return (unsigned)s < LPAE_STRAT_COUNT ? "VMSPLIT_4G_4G" : "?";
}

static const char *const phase_names[LPAE_PH_COUNT] = {"entry", "switch", "uaccess", "gup", "kmap",
                                                       "copy",  "fault",  "mm",      "user"};

const char *lpae_phase_name(lpae_phase p)
{
    return (unsigned)p < LPAE_PH_COUNT ? phase_names[p] : "?";
}

void lpae_kernel_config_init(lpae_kernel_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof(*cfg));
    cfg->ncpus = 1;
    lpae_split_find("VMSPLIT_4G_4G", &cfg->split);
    cfg->strategy = LPAE_STRAT_PINNED;
    cfg->hybrid_threshold = 256;
    cfg->switch_variant = LPAE_SWITCH_BOUNCE;
    cfg->switch_chunk = 32;
    cfg->seed = 1;
}

/* ---- small helpers --------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(0x100000001B3);
    }
    return h;
}

static unsigned kc_index(const lpae_kernel *k, const struct kcpu *kc)
{
    (void)k;
    return kc->index;
}

uint8_t lpae_k_mm_asid(const lpae_kernel *k, const struct kmm *mm)
{
    if (!mm)
        return 0;
    lpae_asid_ctx *ctx = lpae_mm_asid_ctx(mm->mm);
    return ctx && ctx->id ? (uint8_t)lpae_asid_of(k->asid, ctx->id) : 0;
}

void lpae_k_flush_user_page(lpae_kernel *k, struct kcpu *kc, struct kmm *mm, lpae_va_t va)
{
    lpae_k_dsb(k, kc);
    lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_MVA, true, va & ~(lpae_va_t)(LPAE_PAGE_SIZE - 1),
                  lpae_k_mm_asid(k, mm), NULL);
    lpae_k_dsb(k, kc);
}

/* flush_tlb_mm() on SMP v7: DSB ISHST; TLBIASIDIS; DSB ISH. */
static void flush_user_mm(lpae_kernel *k, struct kcpu *kc, struct kmm *mm)
{
    lpae_asid_ctx *ctx = lpae_mm_asid_ctx(mm->mm);
    if (!ctx || ctx->id == 0)
        return; /* never ran: no TLB entry can exist */
    lpae_k_dsb(k, kc);
    lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_ASID, true, 0, lpae_k_mm_asid(k, mm), NULL);
    lpae_k_dsb(k, kc);
}

lpae_va_t lpae_k_va_slow(const lpae_kernel *k, lpae_pa_t pa)
{
    lpae_va_t va = 0;
    lpae_layout_lowmem_va(&k->layout, pa, &va);
    return va;
}

void lpae_k_fill_user(lpae_kernel *k, lpae_pa_t pa, lpae_va_t va)
{
    if (!k->cfg.functional)
        return;
    uint64_t buf[LPAE_PAGE_SIZE / 8];
    for (unsigned i = 0; i < LPAE_PAGE_SIZE / 8; i++)
        buf[i] = mix64(k->cfg.seed ^ ((uint64_t)va + 8u * i));
    lpae_phys_write(k->phys, pa, buf, sizeof(buf));
}

static lpae_prot kernel_prot(void)
{
    lpae_prot p;
    memset(&p, 0, sizeof(p));
    p.attrindx = KERNEL_ATTRINDX;
    p.sh = KERNEL_SH;
    p.ap = LPAE_AP_PL1_RW;
    p.af = true;
    p.xn = true;
    p.pxn = true;
    return p;
}

/* A zeroed frame from lowmem (or highmem first when @p high). */
static int frame_alloc(lpae_kernel *k, bool high, lpae_pa_t *pa)
{
    const lpae_layout *l = &k->layout;
    int err = LPAE_ENOSPC;
    for (int pass = 0; pass < 2 && err == LPAE_ENOSPC; pass++) {
        bool h = high && pass == 0;
        if (!high && pass == 1)
            break;
        size_t n = h ? l->nhighmem : l->nlowmem;
        const lpae_ram_range *rg = h ? l->highmem : l->lowmem;
        for (size_t i = 0; i < n && err == LPAE_ENOSPC; i++) {
            /* kernel allocations start at a seed-chosen frame of the range's
             * lower half (placement, and so cache colouring, follows the seed) */
            uint64_t pages = rg[i].size / LPAE_PAGE_SIZE;
            uint64_t skew =
                pages >= 2 ? mix64(k->cfg.seed ^ (h ? 0x100u : 0u) ^ i) % (pages / 2) : 0;
            lpae_pa_t lo = rg[i].base + skew * LPAE_PAGE_SIZE, hi = rg[i].base + rg[i].size;
            err = lpae_phys_alloc_page(k->phys, lo, hi, pa);
            if (err == LPAE_ENOSPC && lo != rg[i].base)
                err = lpae_phys_alloc_page(k->phys, rg[i].base, hi, pa);
        }
    }
    return err;
}

/* A vmalloc area of @p pages pages backed by frames (highmem first when
 * @p high), followed by a guard page. */
static int vmalloc_area(lpae_kernel *k, unsigned pages, bool high, lpae_va_t *va,
                        lpae_pa_t *first_pa)
{
    uint64_t need = (uint64_t)(pages + 1) * LPAE_PAGE_SIZE;
    bool reuse = pages == 1 && k->nvfree > 0;
    if (!reuse && (uint64_t)k->vmalloc_next + need > k->layout.vmalloc_end)
        return LPAE_ENOSPC;
    lpae_va_t base = reuse ? k->vfree[k->nvfree - 1] : k->vmalloc_next;
    lpae_prot p = kernel_prot();
    for (unsigned i = 0; i < pages; i++) {
        lpae_pa_t pa;
        int err = frame_alloc(k, high, &pa);
        if (!err)
            err = lpae_pgtable_map(k->kpt, base + i * LPAE_PAGE_SIZE, pa, LPAE_PAGE_SIZE, &p,
                                   LPAE_MAP_FORCE_4K);
        if (err)
            return err;
        if (i == 0 && first_pa)
            *first_pa = pa;
    }
    if (reuse)
        k->nvfree--;
    else
        k->vmalloc_next = (lpae_va_t)(base + need);
    *va = base;
    return LPAE_OK;
}

bool lpae_k_is_highmem(const lpae_kernel *k, lpae_pa_t pa)
{
    return lpae_layout_zone(&k->layout, pa) == LPAE_ZONE_HIGHMEM;
}

/* vfree() of a vmalloc page: clear its PTE, __flush_tlb_kernel_page (DSB
 * ISHST; TLBIMVAIS; DSB ISH; ISB), keep the VA for reuse. Like Linux's
 * vunmap_range_noflush(), only the PTE goes: the level-3 table stays even
 * when it becomes empty. Freeing it would leave walk-cache entries for the
 * other VAs it covered, tagged with the ASIDs that walked them, pointing
 * at a freed table; the TLBIMVAIS here (ASID 0) does not reach them. */
static void vunmap_page(lpae_kernel *k, struct kcpu *kc, lpae_va_t va)
{
    lpae_pte_ref ref;
    if (lpae_pgtable_lookup(k->kpt, va, &ref) == LPAE_OK && ref.level == 3)
        lpae_pgtable_store_slot(k->kpt, ref.desc_pa, 0);
    else /* not a page of vmalloc_area(): what unmap makes of it */
        lpae_pgtable_unmap(k->kpt, va, LPAE_PAGE_SIZE);
    lpae_k_dsb(k, kc);
    lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_MVA, true, va, 0, NULL);
    lpae_k_dsb(k, kc);
    lpae_k_isb(k, kc);
    if (k->nvfree == k->capvfree) {
        size_t cap = k->capvfree ? 2 * k->capvfree : 64;
        lpae_va_t *n = realloc(k->vfree, cap * sizeof(*n));
        if (!n)
            return; /* the VA is lost, nothing else */
        k->vfree = n;
        k->capvfree = cap;
    }
    k->vfree[k->nvfree++] = va;
}

/* A zeroed kernel page record: a dropped one, else the next of the newest
 * chunk (NULL on host OOM). */
static struct kpage *kpage_new(lpae_kernel *k)
{
    struct kpage *p = k->kp_free;
    if (p) {
        k->kp_free = p->hh.next;
    } else {
        if (!k->kp_chunks || k->kp_chunk_used == LPAE_K_KPAGE_CHUNK) {
            struct kpage_chunk *c = malloc(sizeof(*c)); /* records zeroed as handed out */
            if (!c)
                return NULL;
            c->next = k->kp_chunks;
            k->kp_chunks = c;
            k->kp_chunk_used = 0;
        }
        p = &k->kp_chunks->p[k->kp_chunk_used++];
    }
    memset(p, 0, sizeof(*p));
    return p;
}

/* A record no longer in use (not in kpages, not in the stack cache). */
static void kpage_drop(lpae_kernel *k, struct kpage *p)
{
    p->hh.next = k->kp_free;
    k->kp_free = p;
}

/* Take @p p out of kpages. */
static void kpage_unhash(lpae_kernel *k, struct kpage *p)
{
    HASH_DEL(k->kpages, p);
}

/* Drop the oldest kernel buffer page that is not a kernel stack (page
 * reclaim / kfree / vfree of old buffers). Returns false if there is none. */
static bool kpage_evict(lpae_kernel *k, struct kcpu *kc)
{
    for (struct kpage *p = k->kpages; p; p = p->hh.next) {
        if (p->key.kind == LPAE_KBUF_STACK)
            continue;
        unsigned old = lpae_k_phase(k, kc, LPAE_PH_MM);
        if (p->vmap)
            vunmap_page(k, kc, p->va);
        lpae_k_phase(k, kc, old);
        lpae_phys_free(k->phys, p->pa, LPAE_PAGE_SIZE);
        kpage_unhash(k, p);
        kpage_drop(k, p);
        k->nkpages_evictable--;
        k->st.kbuf_evictions++;
        return true;
    }
    return false;
}

static void kpage_fill(lpae_kernel *k, struct kpage *p)
{
    if (!k->cfg.functional)
        return;
    uint64_t buf[LPAE_PAGE_SIZE / 8];
    uint64_t seed = mix64(k->cfg.seed ^ ((uint64_t)p->key.kind << 32 | p->key.id));
    for (unsigned i = 0; i < LPAE_PAGE_SIZE / 8; i++)
        buf[i] = mix64(seed + i);
    lpae_phys_write(k->phys, p->pa, buf, sizeof(buf));
}

static int kpage_place(lpae_kernel *k, struct kpage *p, unsigned kind, uint32_t id)
{
    int err;
    bool via_ttbr1 =
        kind == LPAE_KBUF_ADDR && ((uint64_t)id << LPAE_PAGE_SHIFT) >= k->layout.split.ttbr1_base;
    if (kind == LPAE_KBUF_STACK || kind == LPAE_KBUF_VMALLOC || via_ttbr1) {
        /* vmalloc()ed: kernel stacks (VMAP_STACK, GFP_KERNEL) from lowmem,
         * vmalloc buffers (__GFP_HIGHMEM) highmem first */
        err = vmalloc_area(k, 1, kind != LPAE_KBUF_STACK, &p->va, &p->pa);
        p->ttbr1 = true;
        p->vmap = true;
    } else if (kind == LPAE_KBUF_PAGE) {
        /* alloc_page(GFP_HIGHUSER): pipe buffers, anonymous pages */
        err = frame_alloc(k, true, &p->pa);
        if (!err && lpae_k_is_highmem(k, p->pa)) {
            p->highmem = true;
        } else if (!err) {
            p->va = lpae_k_va(k, p->pa);
            p->ttbr1 = !k->layout.four_g;
        }
    } else {
        /* page cache, slab, ADDR below TTBR1: lowmem */
        err = frame_alloc(k, false, &p->pa);
        if (!err) {
            p->va = lpae_k_va(k, p->pa);
            p->ttbr1 = !k->layout.four_g;
        }
    }
    return err;
}

int lpae_k_kpage(lpae_kernel *k, struct kcpu *kc, struct task *t, unsigned kind, uint32_t id,
                 struct kpage **out)
{
    struct kpage_key key = {.kind = kind, .id = id};
    if (kind == LPAE_KBUF_STACK)
        key.id = (t ? t->pid : 0) * THREAD_PAGES + (id & (THREAD_PAGES - 1));
    struct kpage *p = NULL;
    HASH_FIND(hh, k->kpages, &key, sizeof(key), p);
    if (p) {
        *out = p;
        return LPAE_OK;
    }
    if (kind == LPAE_KBUF_STACK && k->nstack_cache > 0) {
        p = k->stack_cache[--k->nstack_cache]; /* a cached stack of an exited task */
    } else {
        if (kind != LPAE_KBUF_STACK && k->nkpages_evictable >= k->kbuf_max)
            kpage_evict(k, kc);
        p = kpage_new(k);
        if (!p)
            return LPAE_ENOMEM;
        int err;
        while ((err = kpage_place(k, p, kind, id)) == LPAE_ENOSPC && kpage_evict(k, kc))
            ;
        if (err) {
            kpage_drop(k, p);
            return err;
        }
        if (kind != LPAE_KBUF_STACK)
            k->nkpages_evictable++;
    }
    p->key = key;
    kpage_fill(k, p);
    HASH_ADD(hh, k->kpages, key, sizeof(key), p);
    *out = p;
    return LPAE_OK;
}

/* free_thread_stack(): the exiting task's stack pages go to the stack cache. */
static void stack_release(lpae_kernel *k, uint32_t pid)
{
    for (unsigned i = 0; i < THREAD_PAGES; i++) {
        struct kpage_key key = {.kind = LPAE_KBUF_STACK, .id = pid * THREAD_PAGES + i};
        struct kpage *p = NULL;
        HASH_FIND(hh, k->kpages, &key, sizeof(key), p);
        if (!p)
            continue;
        kpage_unhash(k, p);
        if (k->nstack_cache == k->capstack_cache) {
            size_t cap = k->capstack_cache ? 2 * k->capstack_cache : 16;
            struct kpage **n = realloc(k->stack_cache, cap * sizeof(struct kpage *));
            if (!n) {
                kpage_drop(k, p); /* its frame and VA stay allocated: a bounded leak on host OOM */
                continue;
            }
            k->stack_cache = n;
            k->capstack_cache = cap;
        }
        k->stack_cache[k->nstack_cache++] = p;
    }
}

/* ---- address spaces ------------------------------------------------------------------ */

static struct kmm *kmm_wrap(lpae_kernel *k, lpae_mm *mm)
{
    struct kmm *w = calloc(1, sizeof(*w));
    if (!w) {
        lpae_mm_destroy(mm);
        return NULL;
    }
    w->mm = mm;
    w->id = ++k->next_mm_id;
    w->users = 1;
    lpae_pgtable *pt = lpae_mm_pgtable(mm);
    w->pt_root = lpae_pgtable_root(pt);
    w->pt_base = lpae_pgtable_region(pt)->base;
    w->pt_level = lpae_pgtable_region(pt)->start_level;
    w->pt_shift = LPAE_LEVEL_SHIFT(w->pt_level);
    return w;
}

/* What exec leaves: an empty mm with the initial stack VMA. */
static int kmm_exec(lpae_kernel *k, struct kmm **out)
{
    lpae_mm *mm = NULL;
    int err = lpae_mm_create(k->sys, &mm);
    if (err)
        return err;
    lpae_va_t top = EXEC_STACK_TOP < k->layout.task_size ? EXEC_STACK_TOP : k->layout.task_size;
    top &= ~(lpae_va_t)(LPAE_PAGE_SIZE - 1);
    uint32_t size = top > EXEC_STACK_SIZE ? EXEC_STACK_SIZE : top / 2;
    err = lpae_mm_mmap(mm, top - size, size, LPAE_VM_READ | LPAE_VM_WRITE);
    if (err) {
        lpae_mm_destroy(mm);
        return err;
    }
    *out = kmm_wrap(k, mm);
    return *out ? LPAE_OK : LPAE_ENOMEM;
}

/* mmput(): the last user runs exit_mmap, whose fullmm tlb_finish_mmu()
 * issues flush_tlb_mm(). */
static void kmm_put(lpae_kernel *k, struct kcpu *kc, struct kmm *w)
{
    if (!w || --w->users > 0)
        return;
    flush_user_mm(k, kc, w);
    lpae_mm_destroy(w->mm);
    free(w);
}

/* ---- tasks ----------------------------------------------------------------------------- */

static struct task *task_find(lpae_kernel *k, uint32_t pid)
{
    struct task *t = NULL;
    HASH_FIND(hh, k->tasks, &pid, sizeof(pid), t);
    return t;
}

static int task_new(lpae_kernel *k, uint32_t pid, struct kmm *mm, struct task **out)
{
    struct task *t = calloc(1, sizeof(*t));
    if (!t)
        return LPAE_ENOMEM;
    t->pid = pid;
    t->mm = mm;
    t->cpu = -1;
    t->kmap_cpu = -1;
    HASH_ADD(hh, k->tasks, pid, sizeof(t->pid), t);
    k->st.tasks_created++;
    *out = t;
    return LPAE_OK;
}

/* The task @p pid, created with an exec'd address space on first sight
 * (pid 0 is the idle task: no mm). */
static int task_get(lpae_kernel *k, uint32_t pid, struct task **out)
{
    struct task *t = task_find(k, pid);
    if (t) {
        *out = t;
        return LPAE_OK;
    }
    struct kmm *mm = NULL;
    if (pid != 0) {
        int err = kmm_exec(k, &mm);
        if (err)
            return err;
    }
    int err = task_new(k, pid, mm, out);
    if (err && mm) {
        mm->users = 1;
        lpae_mm_destroy(mm->mm);
        free(mm);
    }
    return err;
}

/* ---- kernel entry / exit ------------------------------------------------------------------ */

/* Exception entry from user mode: vector_swi / __usr_entry. Under 4G/4G the
 * kernel lowmem tables are switched in (kernel_vm_context: TTBR0 write with
 * the kernel ASID, ISB); with TTBR0 PAN, usr_entry's uaccess_disable. */
/* What entering the kernel does once in LPAE_PH_ENTRY. */
static inline __attribute__((always_inline)) void entry_work(lpae_kernel *k, struct kcpu *kc)
{
    lpae_k_charge(k, kc->cpu, LPAE_P_EXC_ENTRY);
    if (k->layout.four_g) {
        lpae_k_write_ttbr0(k, kc, k->kernel_ttbr0);
        lpae_k_isb(k, kc);
        k->st.entry_flips++;
    } else if (k->cfg.strategy == LPAE_STRAT_TTBR0_PAN) {
        lpae_k_write_ttbcr(k, kc, k->ttbcr_kernel);
        lpae_k_isb(k, kc);
    }
    kc->in_kernel = true;
    lpae_k_touch_set(kc, LPAE_K_NO_TOUCH);
}

/* Enter the kernel (not in it yet), then continue in phase @p after. */
static void enter_kernel(lpae_kernel *k, struct kcpu *kc, unsigned after)
{
    lpae_k_phase(k, kc, LPAE_PH_ENTRY);
    entry_work(k, kc);
    lpae_k_phase(k, kc, after);
}

/* enter_kernel() from user mode booking to LPAE_PH_USER (a CPU whose
 * touch head is set is in that state), then phase @p after (not
 * LPAE_PH_ENTRY). */
static inline __attribute__((always_inline)) void enter_from_user(lpae_kernel *k, struct kcpu *kc,
                                                                  unsigned after)
{
    lpae_k_phase_from(k, kc, LPAE_PH_USER, LPAE_PH_ENTRY);
    entry_work(k, kc);
    lpae_k_phase_from(k, kc, LPAE_PH_ENTRY, after);
}

static inline void ensure_kernel(lpae_kernel *k, struct kcpu *kc)
{
    if (!kc->in_kernel)
        enter_kernel(k, kc, kc->phase);
}

/* Return to user: restore_user_regs. 4G/4G: usr_vm_context (TTBR0 write of
 * the user tables with the mm's ASID, ISB); PAN: uaccess_enable isb=0. */
/* What returning to user does once in LPAE_PH_ENTRY. */
static inline __attribute__((always_inline)) void exit_work(lpae_kernel *k, struct kcpu *kc)
{
    if (k->layout.four_g) {
        lpae_k_write_ttbr0(k, kc, kc->user_ttbr0);
        lpae_k_isb(k, kc);
        k->st.entry_flips++;
    } else if (k->cfg.strategy == LPAE_STRAT_TTBR0_PAN) {
        lpae_k_write_ttbcr(k, kc, k->ttbcr_user);
    }
    lpae_k_charge(k, kc->cpu, LPAE_P_EXC_EXIT);
    kc->in_kernel = false;
}

/* Return to user (in the kernel now), then continue in phase @p after. */
static void exit_kernel(lpae_kernel *k, struct kcpu *kc, unsigned after)
{
    lpae_k_phase(k, kc, LPAE_PH_ENTRY);
    exit_work(k, kc);
    lpae_k_phase(k, kc, after);
    lpae_k_touch_key(kc);
}

static inline void ensure_user(lpae_kernel *k, struct kcpu *kc)
{
    if (kc->in_kernel)
        exit_kernel(k, kc, kc->phase);
}

/* ---- context switch -------------------------------------------------------------------------- */

/* switch_mm() -> check_and_switch_context() -> cpu_switch_mm(). */
static int switch_mm(lpae_kernel *k, struct kcpu *kc, struct kmm *next)
{
    unsigned cpu = kc_index(k, kc);
    lpae_asid_switch_result r;
    int err = lpae_asid_switch(k->asid, cpu, lpae_mm_asid_ctx(next->mm), &r);
    if (err)
        return err;
    if (r.flush_bp_all) {
        /* local_flush_bp_all(): BPIALL, no barrier of its own (paired with
         * the TLBIALL below) */
        k->st.bpiall++;
        lpae_k_charge(k, kc->cpu, LPAE_P_BPIALL);
    }
    if (r.flush_tlb_all) {
        /* local_flush_tlb_all(): DSB NSHST; TLBIALL; DSB NSH; ISB */
        const lpae_tlb *t = lpae_cpu_tlb(kc->cpu, LPAE_ST_MTLB);
        uint64_t lost = t ? lpae_tlb_count(t) : 0;
        lpae_k_dsb(k, kc);
        lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_ALL, false, 0, 0, NULL);
        lpae_k_dsb(k, kc);
        lpae_k_isb(k, kc);
        lpae_asid_add_lost(k->asid, cpu, lost);
    }
    kc->user_ttbr0 = lpae_mm_ttbr0(next->mm, (uint8_t)r.asid);
    kc->active_mm_id = next->id;
    if (!k->layout.four_g || !kc->in_kernel) {
        /* cpu_v7_switch_mm: one MCRR of TTBR0 carrying the ASID, ISB. Under
         * 4G/4G in kernel mode the user tables go live at the exit to user. */
        lpae_k_write_ttbr0(k, kc, kc->user_ttbr0);
        lpae_k_isb(k, kc);
    }
    return LPAE_OK;
}

/* Make @p t current on @p kc (schedule(): prepare_task_switch -> switch_mm ->
 * finish_task_switch), in kernel mode. */
static int sched_to(lpae_kernel *k, struct kcpu *kc, struct task *t)
{
    struct task *prev = kc->cur;
    if (prev == t && (!t->mm || t->mm->id == kc->active_mm_id))
        return LPAE_OK;
    ensure_kernel(k, kc);
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_SWITCH);
    int err = LPAE_OK;
    if (prev != t) {
        k->st.context_switches++;
        if (prev) {
            if (prev->nkm)
                lpae_k_kmap_sched_out(k, kc, prev);
            prev->cpu = -1;
        }
        if (t->cpu >= 0 && t->cpu != (int)kc_index(k, kc)) {
            struct kcpu *o = &k->cpus[t->cpu];
            if (t->nkm)
                lpae_k_kmap_sched_out(k, o, t);
            o->cur = NULL;
            lpae_k_touch_set(o, LPAE_K_NO_TOUCH);
        }
    }
    if (t->mm && t->mm->id != kc->active_mm_id)
        err = switch_mm(k, kc, t->mm);
    kc->cur = t;
    t->cpu = (int)kc_index(k, kc);
    if (prev != t && t->nkm) /* the sched hooks do nothing without live kmaps */
        lpae_k_kmap_sched_in(k, kc, t);
    lpae_k_phase(k, kc, old);
    return err;
}

/* ---- faults ------------------------------------------------------------------------------------
 */

/* cfg.implicit_vmas: an address outside every VMA gets an anonymous
 * read/write VMA, the 1 MB-aligned megabyte around it clipped to the
 * neighbouring VMAs (what exec and the dynamic loader mapped before the
 * trace started: image data, bss, stack). */
static int implicit_vma(lpae_kernel *k, lpae_mm *mm, lpae_va_t va)
{
    uint64_t lo = va & ~(uint64_t)(IMPLICIT_VMA_SIZE - 1), hi = lo + IMPLICIT_VMA_SIZE;
    if (hi > k->layout.task_size)
        hi = k->layout.task_size;
    size_t n = lpae_mm_vma_count(mm);
    for (size_t i = 0; i < n; i++) {
        lpae_vma v;
        if (lpae_mm_vma_get(mm, i, &v) != LPAE_OK)
            return LPAE_EFAULT;
        if (v.end <= va && v.end > lo)
            lo = v.end;
        if (v.start > va && v.start < hi)
            hi = v.start;
    }
    if (lo >= hi || va < lo || va >= hi)
        return LPAE_EFAULT;
    int err = lpae_mm_mmap(mm, (lpae_va_t)lo, hi - lo, LPAE_VM_READ | LPAE_VM_WRITE);
    if (!err)
        k->st.implicit_vmas++;
    return err;
}

/* lpae_k_fault()'s handling between its charges: do_page_fault's mm work
 * for @p t at @p va (the caller is in LPAE_PH_FAULT, the page fault charged). */
static inline __attribute__((always_inline)) int fault_core(lpae_kernel *k, struct kcpu *kc,
                                                            struct task *t, lpae_va_t va,
                                                            unsigned access, uint32_t *nfaults)
{
    int err = LPAE_EFAULT;
    if (t && t->mm) {
        lpae_mm_fault_result fr;
        err = lpae_mm_fault(t->mm->mm, va, access, &fr);
        if (err == LPAE_EFAULT && k->cfg.implicit_vmas && implicit_vma(k, t->mm->mm, va) == LPAE_OK)
            err = lpae_mm_fault(t->mm->mm, va, access, &fr);
        if (err == LPAE_OK) {
            if (fr.kind == LPAE_MMF_ANON)
                lpae_k_fill_user(k, fr.pa, va & ~(lpae_va_t)(LPAE_PAGE_SIZE - 1));
            if (fr.tlb_inv)
                lpae_k_flush_user_page(k, kc, t->mm, va); /* ptep_clear_flush */
            if (fr.kind != LPAE_MMF_SPURIOUS) {
                k->st.demand_faults++;
                if (nfaults)
                    (*nfaults)++;
            }
        }
    }
    return err;
}

int lpae_k_fault(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va, unsigned access,
                 bool exception, uint32_t *nfaults)
{
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_FAULT);
    if (exception)
        lpae_k_charge(k, kc->cpu, LPAE_P_EXC_ENTRY);
    lpae_k_charge(k, kc->cpu, LPAE_P_SW_PAGE_FAULT);
    int err = fault_core(k, kc, t, va, access, nfaults);
    if (exception)
        lpae_k_charge(k, kc->cpu, LPAE_P_EXC_EXIT);
    lpae_k_phase(k, kc, old);
    return err;
}

/* ---- construction ---------------------------------------------------------------------------- */

static int build_kernel_tables(lpae_kernel *k)
{
    const lpae_layout *l = &k->layout;
    lpae_pgtable_config pc = {.phys = k->phys,
                              .sel = LPAE_SEL_TTBR1,
                              .tsz = l->split.t1sz,
                              .table_lo = l->lowmem[0].base,
                              .table_hi = l->lowmem_limit};
    /* the kernel image at the bottom of RAM */
    uint64_t img = (uint64_t)l->kernel_end - l->kernel_start;
    int err = lpae_phys_reserve(k->phys, l->phys_offset, img);
    if (err)
        return err;
    err = lpae_pgtable_create(&pc, &k->kpt);
    if (err)
        return err;
    lpae_prot p = kernel_prot();
    if (l->four_g) {
        /* kernel in vmalloc: KERNEL_OFFSET -> PHYS_OFFSET, global */
        p.xn = p.pxn = false;
        bool sec = ((l->kernel_start | l->phys_offset | img) & (LPAE_SIZE_2M - 1)) == 0;
        err = lpae_pgtable_map(k->kpt, l->kernel_start, l->phys_offset, img, &p,
                               sec ? LPAE_MAP_FORCE_2M : 0);
        p = kernel_prot();
        if (err)
            return err;
        err = lpae_mm_create_kernel_lowmem(k->sys, &k->klowmem);
        if (err)
            return err;
    } else {
        /* map_lowmem(): 2 MB sections where alignment allows, global */
        for (size_t i = 0; i < l->nlowmem && !err; i++) {
            lpae_va_t va = lpae_k_va(k, l->lowmem[i].base);
            bool sec = ((va | l->lowmem[i].base | l->lowmem[i].size) & (LPAE_SIZE_2M - 1)) == 0;
            err = lpae_pgtable_map(k->kpt, va, l->lowmem[i].base, l->lowmem[i].size, &p,
                                   sec ? LPAE_MAP_FORCE_2M : 0);
        }
        if (err)
            return err;
    }
    /* vectors page: PL0 read-only, executable, global */
    lpae_pa_t vpa;
    err = frame_alloc(k, false, &vpa);
    if (err)
        return err;
    lpae_prot vp = kernel_prot();
    vp.ap = LPAE_AP_RO;
    vp.xn = vp.pxn = false;
    err = lpae_pgtable_map(k->kpt, LPAE_LINUX_VECTORS_BASE, vpa, LPAE_PAGE_SIZE, &vp,
                           LPAE_MAP_FORCE_4K);
    if (err)
        return err;
    /* fixmap: the kmap_local PTE tables exist from boot (early_fixmap_init) */
    for (unsigned c = 0; c < k->cfg.ncpus && !err; c++)
        for (unsigned i = 0; i < LPAE_LINUX_KM_MAX_IDX && !err; i++) {
            lpae_va_t va;
            lpae_pa_t dpa = 0;
            unsigned n = i + LPAE_LINUX_KM_MAX_IDX * c;
            err = lpae_layout_kmap_va(l, c, i, &va);
            if (!err && va != k->kmap_hi - ((lpae_va_t)n << LPAE_PAGE_SHIFT))
                err = LPAE_ERANGE; /* the slots run down from kmap_hi */
            if (!err)
                err = lpae_pgtable_set_desc(k->kpt, va, 3, 0, &dpa);
            k->kmap_pte_pa[n] = dpa;
            k->kmap_pte_va[n] = lpae_k_va(k, dpa);
        }
    if (err)
        return err;
    k->vmalloc_next = l->vmalloc_start;
    if (l->four_g && k->vmalloc_next < l->kernel_end)
        k->vmalloc_next = l->kernel_end;
    k->vmalloc_next = (lpae_va_t)((k->vmalloc_next + LPAE_SIZE_2M - 1) & ~(LPAE_SIZE_2M - 1));
    if (l->four_g)
        for (unsigned c = 0; c < k->cfg.ncpus && !err; c++)
            err = vmalloc_area(k, 1, false, &k->cpus[c].bounce_va, NULL);
    return err;
}

static int set_regions(lpae_kernel *k)
{
    const lpae_layout *l = &k->layout;
    lpae_region_rule r[LPAE_MAX_REGIONS];
    size_t n = 0;
    memset(r, 0, sizeof(r));
#define RULE(nm, a, b, s, as)                                                                      \
    do {                                                                                           \
        strncpy(r[n].name, nm, sizeof(r[n].name) - 1);                                             \
        r[n].lo = (a);                                                                             \
        r[n].hi = (b);                                                                             \
        r[n].sel = (s);                                                                            \
        r[n].asid = (as);                                                                          \
        n++;                                                                                       \
    } while (0)
    if (l->four_g)
        RULE("ttbr0-lowmem", l->page_offset, l->high_memory - 1, LPAE_SEL_TTBR0, k->kasid);
    RULE("ttbr0-user", 0, l->task_size - 1, LPAE_SEL_TTBR0, -1);
    if (!l->four_g)
        RULE("lowmem", l->page_offset, l->high_memory - 1, LPAE_SEL_TTBR1, -1);
    RULE("vmalloc", l->vmalloc_start, l->vmalloc_end - 1, LPAE_SEL_TTBR1, -1);
    RULE("fixmap", LPAE_LINUX_FIXADDR_START, LPAE_LINUX_FIXADDR_END - 1, LPAE_SEL_TTBR1, -1);
    RULE("vectors", LPAE_LINUX_VECTORS_BASE, LPAE_LINUX_VECTORS_BASE + LPAE_PAGE_SIZE - 1,
         LPAE_SEL_TTBR1, -1);
    RULE("ttbr1", 0, UINT32_C(0xFFFFFFFF), LPAE_SEL_TTBR1, -1);
#undef RULE
    return lpae_machine_set_regions(k->m, r, n);
}

/* The layout values the per-event paths use, computed once. */
static int derive_layout(lpae_kernel *k)
{
    const lpae_layout *l = &k->layout;
    k->lm0_base = l->lowmem[0].base;
    k->lm0_size = l->lowmem[0].size;
    k->lm_va_off = (lpae_va_t)(l->page_offset - (lpae_va_t)l->phys_offset);
    if (l->nhighmem > 0) {
        k->hm0_base = l->highmem[0].base;
        k->hm0_size = l->highmem[0].size;
    }
    int err = lpae_layout_kmap_va(l, 0, 0, &k->kmap_hi);
    if (!err)
        err = lpae_layout_kmap_va(l, l->nr_cpus - 1, LPAE_LINUX_KM_MAX_IDX - 1, &k->kmap_lo);
    lpae_prot p = kernel_prot();
    k->kmap_pte_attr = lpae_desc_leaf(3, 0, &p);
    return err;
}

static int check_config(const lpae_kernel_config *c)
{
    if (c->ncpus < 1 || c->ncpus > LPAE_MAX_CPUS || (unsigned)c->strategy >= LPAE_STRAT_COUNT ||
        (c->switch_variant != LPAE_SWITCH_BOUNCE && c->switch_variant != LPAE_SWITCH_CHUNK) ||
        (c->asid_bits != 0 && (c->asid_bits < LPAE_ASID_BITS_MIN || c->asid_bits > 8)) ||
        (c->kbuf_pages != 0 && c->kbuf_pages < 64) || c->asid_policy > LPAE_ASID_POLICY_NONE ||
        (c->ram && c->nram == 0))
        return LPAE_EINVAL;
    if (c->switch_chunk == 0 || c->switch_chunk > LPAE_PAGE_SIZE || (c->switch_chunk & 3))
        return LPAE_EINVAL;
    bool classic_only = c->strategy == LPAE_STRAT_DIRECT || c->strategy == LPAE_STRAT_TTBR0_PAN;
    bool four_only = c->strategy == LPAE_STRAT_TTBR0_SWITCH || c->strategy == LPAE_STRAT_HYBRID;
    if ((classic_only && c->split.four_g) || (four_only && !c->split.four_g))
        return LPAE_EINVAL;
    return LPAE_OK;
}

int lpae_kernel_create(const lpae_kernel_config *cfg, lpae_kernel **out)
{
    if (!cfg || !out)
        return LPAE_EINVAL;
    int err = check_config(cfg);
    if (err)
        return err;
    lpae_kernel *k = calloc(1, sizeof(*k));
    if (!k)
        return LPAE_ENOMEM;
    for (unsigned c = 0; c < LPAE_MAX_CPUS; c++)
        k->cpus[c].kt = &k->touch[c];
    for (unsigned c = 0; c < sizeof(k->touch) / sizeof(k->touch[0]); c++)
        k->touch[c].head = LPAE_K_NO_TOUCH; /* cpu NULL */
    k->cfg = *cfg;
    k->kbuf_max = cfg->kbuf_pages ? cfg->kbuf_pages : UINT64_C(16384);
    static const lpae_ram_range def_ram[2] = {{UINT64_C(0x80000000), UINT64_C(2) << 30},
                                              {UINT64_C(0x100000000), UINT64_C(6) << 30}};
    const lpae_ram_range *ram = cfg->ram ? cfg->ram : def_ram;
    size_t nram = cfg->ram ? cfg->nram : 2;
    k->cfg.ram = NULL; /* borrowed for the call only */
    k->cfg.nram = 0;
    k->cfg.cost = NULL;
    if (cfg->cost)
        err = lpae_cost_clone(cfg->cost, &k->cost);
    else
        err = lpae_cost_preset("cortex-a15", &k->cost, NULL);
    lpae_phys_config pc = {.ranges = ram, .nranges = nram, .backing_cap_bytes = cfg->mem_cap_bytes};
    if (!err)
        err = lpae_phys_create(&pc, &k->phys);
    lpae_layout_config lc;
    memset(&lc, 0, sizeof(lc));
    lc.split = cfg->split;
    lc.ram = ram;
    lc.nram = nram;
    if (!err)
        err = lpae_layout_build(&lc, &k->layout);
    if (!err && k->layout.nlowmem == 0)
        err = LPAE_EINVAL;
    if (!err)
        err = derive_layout(k);
    lpae_machine_config mc = {
        .cost = k->cost, .phys = k->phys, .ncpus = cfg->ncpus, .seed = cfg->seed};
    if (!err)
        err = lpae_machine_create(&mc, &k->m);
    if (!err) {
        const lpae_cost *mcost = lpae_machine_cost(k->m);
        for (unsigned i = 0; i < LPAE_P_COUNT; i++) {
            const lpae_param_info *in = lpae_param_get_info((lpae_param)i);
            if (in && in->type == LPAE_PT_CYCLES) {
                k->param[i].cyc = lpae_cost_get(mcost, (lpae_param)i);
                k->param[i].cat = (unsigned)in->cat;
            }
        }
        k->isb_cyc = lpae_cost_get(mcost, LPAE_P_ISB);
        k->dsb_cyc = lpae_cost_get(mcost, LPAE_P_DSB);
        k->dsb_isb_cyc = k->dsb_cyc + k->isb_cyc;
    }
    lpae_mmsys_config sc = {
        .phys = k->phys, .layout = &k->layout, .user_lowmem_first = cfg->user_lowmem_first};
    if (!err)
        err = lpae_mmsys_create(&sc, &k->sys);
    lpae_asid_config ac = {.ncpus = cfg->ncpus,
                           .asid_bits = cfg->asid_bits,
                           .kernel_asids = k->layout.four_g ? 1u : 0u,
                           .policy = (lpae_asid_policy)cfg->asid_policy};
    if (!err)
        err = lpae_asid_create(&ac, &k->asid);
    if (!err && k->layout.four_g) {
        uint32_t a = 0;
        err = lpae_asid_kernel(k->asid, 0, &a);
        k->kasid = (uint8_t)a;
    }
    if (!err)
        err = build_kernel_tables(k);
    if (!err && !k->layout.four_g) {
        lpae_pgtable_config ic = {.phys = k->phys,
                                  .sel = LPAE_SEL_TTBR0,
                                  .tsz = k->layout.split.t0sz,
                                  .table_lo = k->layout.lowmem[0].base,
                                  .table_hi = k->layout.lowmem_limit};
        err = lpae_pgtable_create(&ic, &k->initpt);
    }
    if (err) {
        lpae_kernel_destroy(k);
        return err;
    }
    /* registers at the end of boot: v7_ttb_setup */
    uint32_t ttbcr = lpae_split_ttbcr(&k->layout.split, TTBCR_WALK_ATTRS);
    k->ttbcr_user = ttbcr;
    k->ttbcr_kernel = ttbcr;
    if (cfg->strategy == LPAE_STRAT_TTBR0_PAN)
        k->ttbcr_kernel = ttbcr | LPAE_TTBCR_EPD0 | LPAE_TTBCR_T0SZ_MASK | LPAE_TTBCR_A1;
    if (k->layout.four_g)
        k->kernel_ttbr0 = lpae_mm_ttbr0(k->klowmem, k->kasid);
    for (unsigned c = 0; c < cfg->ncpus && !err; c++) {
        struct kcpu *kc = &k->cpus[c];
        kc->cpu = lpae_machine_cpu(k->m, c);
        kc->index = c;
        k->touch[c].cpu = kc->cpu;
        lpae_regs r;
        lpae_regs_init(&r);
        r.ttbcr = k->ttbcr_kernel;
        r.ttbr1 = lpae_pgtable_ttbr(k->kpt, 0);
        r.ttbr0 = k->layout.four_g ? k->kernel_ttbr0 : lpae_pgtable_ttbr(k->initpt, 0);
        err = lpae_cpu_set_regs(kc->cpu, &r);
        kc->in_kernel = true;
        kc->phase = LPAE_PH_MM;
    }
    if (!err)
        err = set_regions(k);
    /* task 1 running in user mode on CPU 0 */
    struct task *t1 = NULL;
    if (!err)
        err = task_get(k, 1, &t1);
    if (!err)
        err = sched_to(k, &k->cpus[0], t1);
    if (!err)
        ensure_user(k, &k->cpus[0]);
    if (err) {
        lpae_kernel_destroy(k);
        return err;
    }
    /* construction is not part of any measurement */
    for (unsigned c = 0; c < cfg->ncpus; c++) {
        struct kcpu *kc = &k->cpus[c];
        lpae_cpu_stats_get(kc->cpu, &k->cpu_base[c]);
        kc->mark = k->cpu_base[c].cycles;
        kc->phase = LPAE_PH_USER;
    }
    for (unsigned c = 1; c < cfg->ncpus; c++)
        k->cpus[c].phase = LPAE_PH_MM;
    for (unsigned c = 0; c < cfg->ncpus; c++)
        lpae_k_touch_key(&k->cpus[c]);
    memset(k->phase_cyc, 0, sizeof(k->phase_cyc));
    memset(&k->st, 0, sizeof(k->st));
    lpae_asid_stats_get(k->asid, &k->asid_base);
    *out = k;
    return LPAE_OK;
}

void lpae_kernel_destroy(lpae_kernel *k)
{
    if (!k)
        return;
    struct task *t, *tmp;
    HASH_ITER(hh, k->tasks, t, tmp)
    {
        HASH_DEL(k->tasks, t);
        if (t->mm && --t->mm->users == 0) {
            lpae_mm_destroy(t->mm->mm);
            free(t->mm);
        }
        free(t);
    }
    HASH_CLEAR(hh, k->kpages); /* the records are the chunks' */
    while (k->kp_chunks) {
        struct kpage_chunk *c = k->kp_chunks;
        k->kp_chunks = c->next;
        free(c);
    }
    free(k->stack_cache);
    free(k->vfree);
    lpae_mm_destroy(k->klowmem);
    lpae_pgtable_destroy(k->initpt);
    lpae_pgtable_destroy(k->kpt);
    lpae_mmsys_destroy(k->sys);
    lpae_asid_destroy(k->asid);
    lpae_machine_destroy(k->m);
    lpae_phys_destroy(k->phys);
    lpae_cost_destroy(k->cost);
    free(k);
}

lpae_machine *lpae_kernel_machine(lpae_kernel *k)
{
    return k ? k->m : NULL;
}

const lpae_layout *lpae_kernel_layout(const lpae_kernel *k)
{
    return k ? &k->layout : NULL;
}

lpae_asid_allocator *lpae_kernel_asid_allocator(lpae_kernel *k)
{
    return k ? k->asid : NULL;
}

/* ---- memory events ------------------------------------------------------------------------------
 */

static uint32_t vm_flags(uint8_t fl)
{
    uint32_t f = 0;
    if (fl & LPAE_PROT_READ)
        f |= LPAE_VM_READ;
    if (fl & LPAE_PROT_WRITE)
        f |= LPAE_VM_WRITE;
    if (fl & LPAE_PROT_EXEC)
        f |= LPAE_VM_EXEC;
    if (fl & LPAE_MAP_SHARED)
        f |= LPAE_VM_SHARED;
    return f;
}

/* munmap with the TLB flush Linux issues: flush_tlb_range() over the pages
 * actually unmapped (DSB ISH; TLBIMVAIS per page; DSB ISH). */
struct range_ctx {
    lpae_va_t lo, hi, first, last;
    uint64_t n;
};

static int range_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    struct range_ctx *r = ctx;
    (void)level;
    (void)desc;
    if (va + size <= r->lo || va > r->hi)
        return 0;
    lpae_va_t a = va < r->lo ? r->lo : va;
    if (r->n == 0 || a < r->first)
        r->first = a;
    lpae_va_t b = (lpae_va_t)(va + size - 1) > r->hi ? r->hi : (lpae_va_t)(va + size - 1);
    if (r->n == 0 || b > r->last)
        r->last = b;
    r->n++;
    return 0;
}

/* flush_tlb_range() over the mapped pages found in r. */
static void flush_range(lpae_kernel *k, struct kcpu *kc, struct kmm *mm, const struct range_ctx *r)
{
    if (r->n == 0)
        return;
    lpae_k_dsb(k, kc);
    uint8_t asid = lpae_k_mm_asid(k, mm);
    for (uint64_t a = r->first; a <= r->last; a += LPAE_PAGE_SIZE)
        lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_MVA, true, (lpae_va_t)a, asid, NULL);
    lpae_k_dsb(k, kc);
}

static int do_munmap(lpae_kernel *k, struct kcpu *kc, struct kmm *mm, lpae_va_t va, uint64_t len)
{
    if (len == 0)
        return LPAE_OK;
    struct range_ctx r = {.lo = va, .hi = (lpae_va_t)(va + len - 1)};
    lpae_pgtable_foreach_range(lpae_mm_pgtable(mm->mm), r.lo, r.hi, range_leaf, &r);
    uint64_t n = 0;
    int err = lpae_mm_munmap(mm->mm, va, len, &n);
    if (err)
        return err;
    flush_range(k, kc, mm, &r);
    return LPAE_OK;
}

static int do_mprotect(lpae_kernel *k, struct kcpu *kc, struct kmm *mm, lpae_va_t va, uint64_t len,
                       uint32_t flags)
{
    if (len == 0)
        return LPAE_OK;
    struct range_ctx r = {.lo = va, .hi = (lpae_va_t)(va + len - 1)};
    lpae_pgtable_foreach_range(lpae_mm_pgtable(mm->mm), r.lo, r.hi, range_leaf, &r);
    uint64_t n = 0;
    int err = lpae_mm_mprotect(mm->mm, va, len, flags, &n);
    if (err)
        return err;
    if (n > 0)
        flush_range(k, kc, mm, &r);
    return LPAE_OK;
}

static int ev_mm(lpae_kernel *k, struct kcpu *kc, struct task *t, const lpae_tev *ev,
                 lpae_event_result *res)
{
    if (!t->mm) {
        res->status = LPAE_EFAULT;
        return LPAE_OK;
    }
    struct kmm *mm = t->mm;
    lpae_va_t pg = ev->addr & ~(lpae_va_t)(LPAE_PAGE_SIZE - 1);
    uint64_t len =
        ((uint64_t)ev->addr + ev->len + LPAE_PAGE_SIZE - 1) / LPAE_PAGE_SIZE * LPAE_PAGE_SIZE - pg;
    int err = LPAE_OK;
    switch (ev->kind) {
    case LPAE_TEV_MMAP: {
        uint32_t f = vm_flags(ev->flags);
        if (!(f & (LPAE_VM_READ | LPAE_VM_WRITE | LPAE_VM_EXEC)) || len == 0)
            break; /* PROT_NONE: no access, nothing to model */
        err = lpae_mm_mmap(mm->mm, pg, len, f);
        if (err == LPAE_EEXIST) { /* MAP_FIXED over existing mappings: unmap first */
            err = do_munmap(k, kc, mm, pg, len);
            if (!err)
                err = lpae_mm_mmap(mm->mm, pg, len, f);
        }
        break;
    }
    case LPAE_TEV_MUNMAP:
        err = do_munmap(k, kc, mm, pg, len);
        break;
    case LPAE_TEV_BRK: {
        lpae_va_t nb = (lpae_va_t)((ev->addr + LPAE_PAGE_SIZE - 1) & ~(LPAE_PAGE_SIZE - 1));
        if (!mm->has_brk) {
            /* start_brk: just above the highest mapping below the break */
            lpae_va_t start = 0;
            size_t nv = lpae_mm_vma_count(mm->mm);
            for (size_t i = 0; i < nv; i++) {
                lpae_vma v;
                if (lpae_mm_vma_get(mm->mm, i, &v) == LPAE_OK && v.end <= nb && v.end > start)
                    start = (lpae_va_t)v.end;
            }
            mm->start_brk = mm->brk = start ? start : nb;
            mm->has_brk = true;
        }
        if (nb > mm->brk) {
            err = lpae_mm_mmap(mm->mm, mm->brk, nb - mm->brk, LPAE_VM_READ | LPAE_VM_WRITE);
            if (err == LPAE_OK || err == LPAE_EEXIST)
                mm->brk = nb;
        } else if (nb < mm->brk && nb >= mm->start_brk) {
            err = do_munmap(k, kc, mm, nb, mm->brk - nb);
            if (!err)
                mm->brk = nb;
        }
        break;
    }
    case LPAE_TEV_MPROTECT:
        k->st.mprotects++;
        err =
            do_mprotect(k, kc, mm, pg, len,
                        vm_flags(ev->flags & (LPAE_PROT_READ | LPAE_PROT_WRITE | LPAE_PROT_EXEC)));
        break;
    default:
        break;
    }
    if (err == LPAE_ENOMEM || err == LPAE_ENOSPC)
        return err;
    if (err)
        res->status = err;
    return LPAE_OK;
}

static int ev_fork(lpae_kernel *k, struct kcpu *kc, struct task *t, const lpae_tev *ev,
                   lpae_event_result *res)
{
    struct task *old = task_find(k, ev->arg);
    if (old || ev->arg == 0 || ev->arg == t->pid) {
        res->status = LPAE_EEXIST;
        return LPAE_OK;
    }
    struct kmm *mm = NULL;
    if (t->mm && (ev->flags & LPAE_TEVF_THREAD)) {
        mm = t->mm;
        mm->users++;
    } else if (t->mm) {
        lpae_mm *child = NULL;
        lpae_mm_fork_result fr;
        int err = lpae_mm_fork(t->mm->mm, &child, &fr);
        if (err)
            return err;
        if (fr.parent_tlb_flush)
            flush_user_mm(k, kc, t->mm);
        mm = kmm_wrap(k, child);
        if (!mm)
            return LPAE_ENOMEM;
        mm->start_brk = t->mm->start_brk;
        mm->brk = t->mm->brk;
        mm->has_brk = t->mm->has_brk;
    } else {
        int err = kmm_exec(k, &mm);
        if (err)
            return err;
    }
    struct task *c = NULL;
    int err = task_new(k, ev->arg, mm, &c);
    if (err)
        kmm_put(k, kc, mm);
    return err;
}

static int ev_exec(lpae_kernel *k, struct kcpu *kc, struct task *t)
{
    struct kmm *nm = NULL;
    int err = kmm_exec(k, &nm);
    if (err)
        return err;
    struct kmm *old = t->mm;
    t->mm = nm;
    /* exec_mmap(): activate_mm(old, new) = switch_mm on this CPU */
    unsigned ph = lpae_k_phase(k, kc, LPAE_PH_SWITCH);
    err = switch_mm(k, kc, nm);
    lpae_k_phase(k, kc, LPAE_PH_MM);
    kmm_put(k, kc, old);
    lpae_k_phase(k, kc, ph);
    return err;
}

static void ev_exit(lpae_kernel *k, struct kcpu *kc, struct task *t)
{
    if (t->cpu >= 0) {
        k->cpus[t->cpu].cur = NULL; /* the CPU keeps the mm's ASID lazily */
        lpae_k_touch_set(&k->cpus[t->cpu], LPAE_K_NO_TOUCH);
    }
    kmm_put(k, kc, t->mm);
    stack_release(k, t->pid);
    HASH_DEL(k->tasks, t);
    free(t);
}

/* touch_fault() from user mode booking to LPAE_PH_USER (the usual case):
 * enter_kernel(k, kc, LPAE_PH_FAULT), lpae_k_fault(..., false, ...) and
 * exit_kernel(k, kc, LPAE_PH_USER) in one piece, each phase switch's old
 * phase known (the fault's own switches to LPAE_PH_FAULT and back stay
 * where they are; the handling never leaves the kernel). The same
 * accesses, charges, statistics and phase bookings in the same order. */
static int touch_fault_user(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va,
                            unsigned acc, uint32_t *nfaults)
{
    enter_from_user(k, kc, LPAE_PH_FAULT);
    /* lpae_k_fault */
    lpae_k_charge(k, kc->cpu, LPAE_P_SW_PAGE_FAULT);
    int err = fault_core(k, kc, t, va, acc, nfaults);
    /* exit_kernel */
    lpae_k_phase_from(k, kc, LPAE_PH_FAULT, LPAE_PH_ENTRY);
    exit_work(k, kc);
    lpae_k_phase_from(k, kc, LPAE_PH_ENTRY, LPAE_PH_USER);
    lpae_k_touch_key_user(kc);
    return err;
}

/* A user-mode access faulted at @p va: a user page fault (exception)
 * handled in the kernel, back in user mode. Returns 0 (retry the page),
 * 1 (SIGSEGV: res->status set, the touch ends there) or a fatal error. */
static int touch_fault(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va, unsigned acc,
                       lpae_event_result *res)
{
    /* data/prefetch abort from user mode: a touch faults in user mode,
     * booking to LPAE_PH_USER. The entry continues straight into
     * lpae_k_fault's LPAE_PH_FAULT, which then stays, and the exit returns
     * to LPAE_PH_USER: no cycle is charged in between, so passing through
     * LPAE_PH_USER on the way (entry back to the caller's phase, then the
     * fault's own switches) would book nothing more. */
    int err;
    if (__builtin_expect(!kc->in_kernel && kc->phase == LPAE_PH_USER, 1)) {
        err = touch_fault_user(k, kc, t, va, acc, &res->demand_faults);
    } else {
        if (!kc->in_kernel)
            enter_kernel(k, kc, kc->phase == LPAE_PH_USER ? LPAE_PH_FAULT : kc->phase);
        err = lpae_k_fault(k, kc, t, va, acc, false, &res->demand_faults);
        if (kc->in_kernel)
            exit_kernel(k, kc, LPAE_PH_USER);
        lpae_k_phase(k, kc, LPAE_PH_USER);
    }
    if (err == LPAE_EFAULT || err == LPAE_EPERM) {
        k->st.efaults++;
        res->status = LPAE_EFAULT; /* SIGSEGV */
        return 1;
    }
    return err;
}

/* User-mode accesses to [va, end): one load (store, instruction fetch) per
 * page, which is the page's one translation; a fault is a user page fault
 * (exception) handled, and the page retried. */
static int touch_range(lpae_kernel *k, struct kcpu *kc, struct task *t, uint64_t va, uint64_t end,
                       unsigned acc, lpae_event_result *res)
{
    while (va < end) {
        uint64_t n = LPAE_PAGE_SIZE - (va & (LPAE_PAGE_SIZE - 1));
        if (n > end - va)
            n = end - va;
        /* the lines touched, charged through the translated page; the
         * data is nobody's concern (a store writes what the page holds) */
        int err = lpae_cpu_touch(kc->cpu, (lpae_va_t)va, acc, (size_t)n, NULL);
        if (err == LPAE_EFAULT) {
            err = touch_fault(k, kc, t, (lpae_va_t)va, acc, res);
            if (err)
                return err > 0 ? LPAE_OK : err;
            continue; /* retry the page */
        }
        if (err)
            return err;
        va += n;
    }
    return LPAE_OK;
}

static int ev_touch(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t addr, uint32_t len,
                    uint8_t flags, lpae_event_result *res)
{
    return touch_range(k, kc, t, addr, (uint64_t)addr + (len ? len : 1), lpae_k_touch_access(flags),
                       res);
}

/* ---- events
 * ------------------------------------------------------------------------------------------ */

int lpae_kernel_apply(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res)
{
    if (!k || !ev)
        return lpae_k_apply_event(k, ev, res, false); /* LPAE_EINVAL, res zeroed */
    return lpae_k_apply(k, ev, res, false);
}

/* The trace kinds of the six user-access calls, in enum uop order. */
_Static_assert(LPAE_TEV_COPY_TO_USER - LPAE_TEV_COPY_FROM_USER == UOP_TO &&
                   LPAE_TEV_GET_USER - LPAE_TEV_COPY_FROM_USER == UOP_GET &&
                   LPAE_TEV_PUT_USER - LPAE_TEV_COPY_FROM_USER == UOP_PUT &&
                   LPAE_TEV_STRNCPY_FROM_USER - LPAE_TEV_COPY_FROM_USER == UOP_STRNCPY &&
                   LPAE_TEV_CLEAR_USER - LPAE_TEV_COPY_FROM_USER == UOP_CLEAR,
               "user-access kinds follow enum uop");

/* The shortcuts' tests, one place for apply_event() and
 * lpae_k_apply_checked(). A syscall entry of the task current in user mode
 * on kc's CPU, its mm active: the touch key of the CPU's state names that
 * task, so the event's head matches it with the kind swapped. */
static inline bool entry_of_current_user(const struct kcpu *kc, const lpae_tev *ev)
{
    return (lpae_k_tev_head(ev) & LPAE_K_HEAD_MASK) ==
           (kc->kt->head ^ lpae_k_head_of(LPAE_TEV_TOUCH ^ LPAE_TEV_SYS_ENTER, 0));
}

/* Event @p ev is of the task @p t current on kc's CPU, which is in the
 * kernel with the task's mm active (nothing to find, enter or switch). */
static inline bool of_current_in_kernel(const struct kcpu *kc, const struct task *t,
                                        const lpae_tev *ev)
{
    return kc->in_kernel && t && t->pid == ev->task && (!t->mm || t->mm->id == kc->active_mm_id);
}

/* Phase switches: the CPU leaves an event in LPAE_PH_MM when in the kernel,
 * LPAE_PH_USER when in user mode. Where an event ends with a kernel entry
 * or exit, that is the phase the entry or exit continues in: the phase it
 * came from would be left again at once with no cycle booked to it, which
 * books the same. */
/* lpae_k_apply_event() (@p shortcuts) or lpae_k_apply_plain(). */
static inline __attribute__((always_inline)) int apply_event(lpae_kernel *k, const lpae_tev *ev,
                                                             lpae_event_result *res, bool checked,
                                                             bool shortcuts)
{
    lpae_event_result dummy;
    bool want_cycles = res != NULL; /* nobody reads a dummy's cycles */
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    if (!k || !ev || (!checked && lpae_tev_check(ev, NULL) != LPAE_OK) || ev->cpu >= k->cfg.ncpus)
        return LPAE_EINVAL;
    unsigned kind = ev->kind;
    struct kcpu *kc = &k->cpus[ev->cpu];
    lpae_cpu_set_event_in(kc->cpu, k->nevent++);
    lpae_cycles_t c0 = want_cycles ? lpae_cpu_cycles_in(kc->cpu) : 0;
    /* k->st.events is k->nevent (lpae_kernel_stats_get) */
    /* the task current on the event's CPU is the usual one */
    struct task *t = kc->cur;
    int err = LPAE_OK;
    if (shortcuts && kind == LPAE_TEV_SYS_ENTER && entry_of_current_user(kc, ev)) {
        /* the current task enters from user mode: what the general path
         * does below (no task to find, no switch; the closing phase switch
         * finds LPAE_PH_MM, never EPERM) */
        k->st.syscalls++;
        enter_from_user(k, kc, LPAE_PH_MM);
        goto out;
    }
    if (shortcuts && kind == LPAE_TEV_SYS_EXIT && of_current_in_kernel(kc, t, ev)) {
        /* the current task returns to user mode: likewise (the closing
         * phase switch finds LPAE_PH_USER) */
        exit_kernel(k, kc, LPAE_PH_USER);
        goto out;
    }
    if (!t || t->pid != ev->task) {
        err = task_get(k, ev->task, &t);
        if (err)
            return err;
    }
    /* everything but user-mode touches runs in the kernel, in task t */
    bool user_mode = kind == LPAE_TEV_TOUCH || kind == LPAE_TEV_SYS_ENTER ||
                     (kind == LPAE_TEV_FAULT && !(ev->flags & LPAE_TEVF_KERNEL));
    if (!user_mode)
        ensure_kernel(k, kc);
    if (kc->cur != t || (t->mm && t->mm->id != kc->active_mm_id)) {
        err = sched_to(k, kc, t);
        if (err)
            return err;
    }
    switch (kind) {
    case LPAE_TEV_SWITCH:
        break; /* done by sched_to */
    case LPAE_TEV_SYS_ENTER:
        k->st.syscalls++;
        if (!kc->in_kernel)
            enter_kernel(k, kc, LPAE_PH_MM);
        break;
    case LPAE_TEV_SYS_EXIT:
        if (kc->in_kernel)
            exit_kernel(k, kc, LPAE_PH_USER);
        break;
    case LPAE_TEV_COPY_FROM_USER:
    case LPAE_TEV_COPY_TO_USER:
    case LPAE_TEV_GET_USER:
    case LPAE_TEV_PUT_USER:
    case LPAE_TEV_STRNCPY_FROM_USER:
    case LPAE_TEV_CLEAR_USER:
        err = lpae_k_uaccess(k, kc, t, (enum uop)(kind - LPAE_TEV_COPY_FROM_USER), ev, res);
        if (res->status == LPAE_EFAULT)
            k->st.efaults++;
        break;
    case LPAE_TEV_MMAP:
    case LPAE_TEV_MUNMAP:
    case LPAE_TEV_BRK:
    case LPAE_TEV_MPROTECT:
        lpae_k_phase(k, kc, LPAE_PH_MM);
        err = ev_mm(k, kc, t, ev, res);
        break;
    case LPAE_TEV_FORK:
        lpae_k_phase(k, kc, LPAE_PH_MM);
        err = ev_fork(k, kc, t, ev, res);
        break;
    case LPAE_TEV_EXEC:
        lpae_k_phase(k, kc, LPAE_PH_MM);
        err = ev_exec(k, kc, t);
        break;
    case LPAE_TEV_EXIT:
        lpae_k_phase(k, kc, LPAE_PH_MM);
        ev_exit(k, kc, t);
        t = NULL;
        break;
    case LPAE_TEV_FAULT:
    case LPAE_TEV_TOUCH:
        if (kind == LPAE_TEV_FAULT && (ev->flags & LPAE_TEVF_KERNEL))
            break; /* the user access that took it is replayed and faults by itself */
        if (kc->in_kernel)
            exit_kernel(k, kc, LPAE_PH_USER);
        else
            lpae_k_phase(k, kc, LPAE_PH_USER);
        err = ev_touch(k, kc, t, ev->addr, kind == LPAE_TEV_TOUCH ? ev->len : 1, ev->flags, res);
        break;
    default:
        break;
    }
    /* the CPU's next cycles belong to whatever mode it is left in */
    lpae_k_phase(k, kc, kc->in_kernel ? LPAE_PH_MM : LPAE_PH_USER);
    if (res->status == LPAE_EPERM)
        k->st.eperms++;
out:
    if (want_cycles)
        res->cycles = lpae_cpu_cycles_in(kc->cpu) - c0;
    return err;
}

int lpae_k_apply_event(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res, bool checked)
{
    return apply_event(k, ev, res, checked, true);
}

/* lpae_k_apply_checked()'s general path: everything but its three
 * shortcuts (out of line, so that those need no stack frame of their own). */
static __attribute__((noinline)) int apply_checked_general(lpae_kernel *k, const lpae_tev *ev)
{
    if (!k || !ev) /* the caller's promise, made visible to the compiler */
        __builtin_unreachable();
    return apply_event(k, ev, NULL, true, true);
}

/* apply_event()'s context switch event (@p ev of kind LPAE_TEV_SWITCH on
 * kc's CPU, its event counted): the task found, the kernel entered, the
 * switch, the closing phase switch. */
static __attribute__((noinline)) int switch_event(lpae_kernel *k, struct kcpu *kc,
                                                  const lpae_tev *ev)
{
    struct task *t = kc->cur;
    if (!t || t->pid != ev->task) {
        int err = task_get(k, ev->task, &t);
        if (err)
            return err;
    }
    ensure_kernel(k, kc);
    if (kc->cur != t || (t->mm && t->mm->id != kc->active_mm_id)) {
        int err = sched_to(k, kc, t);
        if (err)
            return err;
    }
    lpae_k_phase(k, kc, kc->in_kernel ? LPAE_PH_MM : LPAE_PH_USER);
    return LPAE_OK;
}

/* exit_kernel(k, kc, LPAE_PH_USER), out of line. */
static __attribute__((noinline)) void exit_to_user(lpae_kernel *k, struct kcpu *kc)
{
    lpae_k_phase(k, kc, LPAE_PH_ENTRY);
    exit_work(k, kc);
    lpae_k_phase_from(k, kc, LPAE_PH_ENTRY, LPAE_PH_USER);
    lpae_k_touch_key_user(kc);
}

/* enter_from_user(k, kc, LPAE_PH_MM), out of line. */
static __attribute__((noinline)) void enter_to_mm(lpae_kernel *k, struct kcpu *kc)
{
    enter_from_user(k, kc, LPAE_PH_MM);
}

/* apply_event(k, ev, NULL, true, true), with its syscall entry and exit
 * shortcuts and the user-access call of the current task (the usual events
 * of a mixed trace) decided here, before anything needs a stack frame. */
int lpae_k_apply_checked(lpae_kernel *k, const lpae_tev *ev)
{
    unsigned kind = ev->kind;
    if (__builtin_expect(ev->cpu >= k->cfg.ncpus, 0))
        return LPAE_EINVAL;
    struct kcpu *kc = &k->cpus[ev->cpu];
    const struct task *t = kc->cur;
    if (kind == LPAE_TEV_SYS_ENTER && entry_of_current_user(kc, ev)) {
        lpae_cpu_set_event_in(kc->cpu, k->nevent++);
        k->st.syscalls++;
        enter_to_mm(k, kc);
        return LPAE_OK;
    }
    if (of_current_in_kernel(kc, t, ev)) {
        if (kind == LPAE_TEV_SYS_EXIT) {
            lpae_cpu_set_event_in(kc->cpu, k->nevent++);
            exit_to_user(k, kc);
            return LPAE_OK;
        }
        if (kind - LPAE_TEV_COPY_FROM_USER <= LPAE_TEV_CLEAR_USER - LPAE_TEV_COPY_FROM_USER) {
            lpae_cpu_set_event_in(kc->cpu, k->nevent++);
            return lpae_k_uaccess_event(k, kc, ev);
        }
        if (kind == LPAE_TEV_SYS_ENTER) {
            /* already in the kernel (after a switch): counted, nothing to
             * enter; the closing phase switch as apply_event's */
            lpae_cpu_set_event_in(kc->cpu, k->nevent++);
            k->st.syscalls++;
            lpae_k_phase(k, kc, LPAE_PH_MM);
            return LPAE_OK;
        }
    }
    if (kind == LPAE_TEV_SWITCH) {
        lpae_cpu_set_event_in(kc->cpu, k->nevent++);
        return switch_event(k, kc, ev);
    }
    return apply_checked_general(k, ev);
}

int lpae_k_apply_plain(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res)
{
    return apply_event(k, ev, res, false, false);
}

/* The rest of lpae_k_apply()'s user touch (see kernel_internal.h): its
 * single page faulted (@p one_page), or nothing was tried yet. */
int lpae_k_touch_rest(lpae_kernel *k, const lpae_tev *ev, bool one_page, lpae_event_result *res)
{
    lpae_event_result dummy;
    if (!res) {
        memset(&dummy, 0, sizeof(dummy));
        res = &dummy;
    }
    struct kcpu *kc = &k->cpus[ev->cpu];
    struct task *t = kc->cur;
    unsigned acc = lpae_k_touch_access(ev->flags);
    lpae_va_t va = ev->addr;
    uint32_t len = ev->len ? ev->len : 1;
    /* a faulting single page is handled, then retried by touch_range */
    int err = one_page ? touch_fault(k, kc, t, va, acc, res) : LPAE_OK;
    if (err == 0)
        err = touch_range(k, kc, t, va, (uint64_t)va + len, acc, res);
    else if (err > 0)
        err = LPAE_OK;
    lpae_k_phase(k, kc, kc->in_kernel ? LPAE_PH_MM : LPAE_PH_USER);
    return err;
}

/* ---- statistics and digests
 * ---------------------------------------------------------------------------- */

int lpae_kernel_stats_get(const lpae_kernel *k, lpae_kernel_stats *st)
{
    if (!k || !st)
        return LPAE_EINVAL;
    *st = k->st;
    st->events = k->nevent;
    memcpy(st->phase, k->phase_cyc, sizeof(st->phase));
    st->cycles = 0;
    memset(st->cat, 0, sizeof(st->cat));
    st->isb = st->dsb = st->tlbi = st->walks = 0;
    memset(st->tlb_hits, 0, sizeof(st->tlb_hits));
    memset(st->tlb_misses, 0, sizeof(st->tlb_misses));
    for (unsigned c = 0; c < k->cfg.ncpus; c++) {
        const struct kcpu *kc = &k->cpus[c];
        const lpae_cpu_stats *base = &k->cpu_base[c];
        lpae_cpu_stats cs;
        lpae_cpu_stats_get(kc->cpu, &cs);
        st->cycles += cs.cycles - base->cycles;
        for (unsigned i = 0; i < LPAE_CAT_COUNT; i++)
            st->cat[i] += cs.cat[i] - base->cat[i];
        if (cs.cycles > kc->mark)
            st->phase[kc->phase] += cs.cycles - kc->mark;
        st->isb += cs.isb - base->isb;
        st->dsb += cs.dsb - base->dsb;
        for (unsigned i = 0; i < LPAE_TLBI_KINDS; i++)
            st->tlbi += cs.tlbi[i][0] + cs.tlbi[i][1] - base->tlbi[i][0] - base->tlbi[i][1];
        st->walks += cs.walks - base->walks;
        for (unsigned i = 0; i < LPAE_ST_COUNT; i++) {
            st->tlb_hits[i] += cs.hits[i] - base->hits[i];
            st->tlb_misses[i] += cs.misses[i] - base->misses[i];
        }
    }
    lpae_asid_stats as;
    lpae_asid_stats_get(k->asid, &as);
    st->asid_allocs = as.allocations - k->asid_base.allocations;
    st->asid_rollovers = as.rollovers - k->asid_base.rollovers;
    st->asid_flushes = as.deferred_flushes + as.noasid_flushes - k->asid_base.deferred_flushes -
                       k->asid_base.noasid_flushes;
    return LPAE_OK;
}

int lpae_kernel_digest(const lpae_kernel *k, uint64_t *out)
{
    if (!k || !out)
        return LPAE_EINVAL;
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    unsigned char buf[LPAE_PAGE_SIZE];
    for (const struct kpage *p = k->kpages; p; p = p->hh.next) {
        h = fnv_bytes(h, &p->key, sizeof(p->key));
        int err = lpae_phys_read(k->phys, p->pa, buf, sizeof(buf));
        if (err)
            return err;
        h = fnv_bytes(h, buf, sizeof(buf));
    }
    h = fnv_bytes(h, &k->reg_digest, sizeof(k->reg_digest));
    *out = h;
    return LPAE_OK;
}

struct udig {
    const lpae_kernel *k;
    lpae_pgtable *pt;
    uint64_t h;
    int err;
};

static int udig_leaf(void *ctx, lpae_va_t va, uint64_t size, unsigned level, uint64_t desc)
{
    struct udig *d = ctx;
    (void)level;
    unsigned char buf[LPAE_PAGE_SIZE];
    lpae_pa_t pa = desc & LPAE_DESC_ADDR_MASK;
    for (uint64_t off = 0; off < size; off += LPAE_PAGE_SIZE) {
        lpae_va_t v = (lpae_va_t)(va + off);
        d->h = fnv_bytes(d->h, &v, sizeof(v));
        d->err = lpae_phys_read(d->k->phys, pa + off, buf, sizeof(buf));
        if (d->err)
            return 1;
        d->h = fnv_bytes(d->h, buf, sizeof(buf));
    }
    return 0;
}

int lpae_kernel_user_digest(const lpae_kernel *k, uint64_t *out)
{
    if (!k || !out)
        return LPAE_EINVAL;
    struct udig d = {.k = k, .h = UINT64_C(0xCBF29CE484222325)};
    for (const struct task *t = k->tasks; t; t = t->hh.next) {
        d.h = fnv_bytes(d.h, &t->pid, sizeof(t->pid));
        if (!t->mm)
            continue;
        lpae_pgtable_foreach(lpae_mm_pgtable(t->mm->mm), udig_leaf, &d);
        if (d.err)
            return d.err;
    }
    *out = d.h;
    return LPAE_OK;
}

/* ---- direct kmap access (tests, experiments)
 * ------------------------------------------------------------ */

int lpae_kernel_kmap(lpae_kernel *k, unsigned cpu, lpae_pa_t pa, lpae_va_t *va)
{
    if (!k || !va || cpu >= k->cfg.ncpus || !k->cpus[cpu].cur)
        return LPAE_EINVAL;
    struct kcpu *kc = &k->cpus[cpu];
    ensure_kernel(k, kc);
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
    int err = lpae_k_kmap(k, kc, kc->cur, pa, va);
    lpae_k_phase(k, kc, old);
    return err;
}

int lpae_kernel_kunmap(lpae_kernel *k, unsigned cpu, lpae_va_t va)
{
    if (!k || cpu >= k->cfg.ncpus || !k->cpus[cpu].cur)
        return LPAE_EINVAL;
    struct kcpu *kc = &k->cpus[cpu];
    ensure_kernel(k, kc);
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
    int err = lpae_k_kunmap(k, kc, kc->cur, va);
    lpae_k_phase(k, kc, old);
    return err;
}

int lpae_kernel_task_info(const lpae_kernel *k, uint32_t pid, lpae_task_info *out)
{
    if (!k || !out)
        return LPAE_EINVAL;
    struct task *t = task_find((lpae_kernel *)k, pid);
    if (!t)
        return LPAE_ENOENT;
    memset(out, 0, sizeof(*out));
    out->pid = pid;
    out->cpu = t->cpu;
    out->kmaps = t->nkm;
    out->mm = t->mm ? t->mm->mm : NULL;
    out->mm_id = t->mm ? t->mm->id : 0;
    out->asid = lpae_k_mm_asid(k, t->mm);
    return LPAE_OK;
}

int lpae_kernel_cpu_info(const lpae_kernel *k, unsigned cpu, lpae_kcpu_info *out)
{
    if (!k || !out || cpu >= k->cfg.ncpus)
        return LPAE_EINVAL;
    const struct kcpu *kc = &k->cpus[cpu];
    memset(out, 0, sizeof(*out));
    out->current = kc->cur ? kc->cur->pid : 0;
    out->has_current = kc->cur != NULL;
    out->in_kernel = kc->in_kernel;
    out->active_mm_id = kc->active_mm_id;
    out->kernel_asid = k->kasid;
    return LPAE_OK;
}
