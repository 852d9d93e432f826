/* SPDX-License-Identifier: MIT */
/* Internal state of the simulated kernel (include/lpae/kernel.h). Shared by
 * src/kernel/ (tasks, entry, context switch, events) and src/uaccess/
 * (kmap_local and the user-access strategies). */
#ifndef LPAE_KERNEL_INTERNAL_H
#define LPAE_KERNEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* uthash's hash function for the kernel's tables (tasks by 4-byte pid,
 * kernel pages by 8-byte key): a multiply-xorshift per 8 bytes instead of
 * Jenkins' byte loop. It only places items in buckets: lookups find the
 * same items, and iteration (insertion order) is unchanged. Every file that
 * touches these tables includes this header before any other uthash user
 * (a second HASH_FUNCTION definition would not compile). */
static inline unsigned lpae_k_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15) ^ len;
    while (len > 0) {
        uint64_t w = 0;
        size_t n = len < 8 ? len : 8;
        memcpy(&w, p, n);
        h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
        p += n;
        len -= n;
    }
    h *= UINT64_C(0x94D049BB133111EB);
    return (unsigned)(h ^ (h >> 32));
}
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = lpae_k_hash((keyptr), (size_t)(keylen)))
#include <uthash.h>

#include "lpae/asid.h"
#include "lpae/kernel.h"
#include "lpae/layout.h"
#include "lpae/mm.h"
#include "lpae/pgtable.h"
#include "lpae/trace.h"
#include "machine/memops_internal.h"
#include "ttbr/pgtable_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

/* One address space with its users (threads share it). */
struct kmm {
    lpae_mm *mm;
    uint64_t id;    /* unique, never reused: identity for "prev != next" */
    unsigned users; /* tasks using it */
    lpae_va_t start_brk, brk;
    bool has_brk;
    /* the mm's table tree, fixed for its life: root, region base, start level */
    lpae_pa_t pt_root;
    lpae_va_t pt_base;
    unsigned pt_level;
    unsigned pt_shift; /* LPAE_LEVEL_SHIFT(pt_level): the VA shift of the root's index */
};

/* One live kmap_local mapping of a task. */
struct kmap_ent {
    lpae_pa_t pa;
    lpae_va_t va;
};

struct task {
    uint32_t pid;
    struct kmm *mm; /* NULL: kernel thread / idle (pid 0) */
    int cpu;        /* CPU it is current on, or -1 */
    unsigned nkm;   /* live highmem kmap_local slots (the per-task stack) */
    int kmap_cpu;   /* CPU whose slots the live kmaps use (-1: none) */
    struct kmap_ent km[LPAE_LINUX_KM_MAX_IDX];
    UT_hash_handle hh;
};

/* A kernel-side buffer page, keyed by (kind, page id). */
struct kpage_key {
    uint32_t kind;
    uint32_t id;
};
struct kpage {
    struct kpage_key key;
    lpae_va_t va; /* kernel VA (lowmem, vmalloc); 0 for highmem pages reached by kmap */
    lpae_pa_t pa;
    bool highmem; /* reached through kmap_local */
    bool ttbr1;   /* va translated through TTBR1 (reachable with the user's TTBR0 live) */
    bool vmap;    /* va is a vmalloc mapping of its own */
    UT_hash_handle hh;
};

/* Kernel page records, LPAE_K_KPAGE_CHUNK to one allocation. */
#define LPAE_K_KPAGE_CHUNK 128u
struct kpage_chunk {
    struct kpage_chunk *next;
    struct kpage p[LPAE_K_KPAGE_CHUNK];
};

/* Per CPU: 64 bytes (asserted), so that indexing lpae_kernel.cpus is one
 * shift; the statistics at the end of construction are in cpu_base. */
struct kcpu {
    lpae_cpu *cpu;
    struct task *cur;
    /* This CPU's entry of lpae_kernel.touch: whether lpae_k_apply() does
     * the user touches of a task directly, and whose. Invariant: when set
     * (to task p), cur is p, has an mm that is the active one, the CPU is
     * in user mode and books to LPAE_PH_USER. Everything that changes one
     * of these runs in the kernel, so the kernel entry clears it and the
     * exit to user mode sets it (lpae_k_touch_key); what changes another
     * CPU's current task clears that CPU's (lpae_k_touch_set). */
    struct ktouch *kt;
    uint64_t active_mm_id; /* mm whose ASID/TTBR0 this CPU runs (lazy across idle) */
    uint64_t user_ttbr0;   /* TTBR0 value of the active mm (with its ASID) */
    lpae_cycles_t mark;    /* cycles already booked into phases */
    unsigned index;        /* its place in lpae_kernel.cpus */
    lpae_va_t bounce_va;   /* per-CPU bounce page in TTBR1 (4G/4G) */
    unsigned phase;
    bool in_kernel;
};
_Static_assert(sizeof(struct kcpu) == 64, "struct kcpu is 64 bytes");
#define LPAE_K_NO_TOUCH UINT64_MAX

/* The user-touch shortcut's entry for one trace CPU number (0..255, so that
 * an event's CPU indexes it without a range check): @c head is the first
 * eight bytes of an lpae_tev, under LPAE_K_HEAD_MASK, of a touch that
 * lpae_k_apply() does directly on that CPU (kind TOUCH and the task), or
 * LPAE_K_NO_TOUCH, which no masked head equals (it has bits outside the
 * mask); @c cpu is the machine CPU (NULL beyond the kernel's CPUs). */
struct ktouch {
    uint64_t head;
    lpae_cpu *cpu;
};

/* A cycles parameter as lpae_cpu_charge(cpu, id, 1) charges it: its
 * cycles and category (0 cycles for a parameter that is not a cycle cost,
 * which lpae_cpu_charge does not charge). */
struct kparam {
    lpae_cycles_t cyc;
    unsigned cat;
};

struct lpae_kernel {
    lpae_kernel_config cfg;
    lpae_cost *cost;
    lpae_phys *phys;
    lpae_machine *m;
    lpae_layout layout;
    lpae_mmsys *sys;
    lpae_asid_allocator *asid;
    lpae_pgtable *kpt;                 /* TTBR1 tables shared by all */
    lpae_mm *klowmem;                  /* 4G/4G: kernel lowmem TTBR0 tables */
    lpae_pgtable *initpt;              /* classic: init_mm's (empty) TTBR0 tables before any task */
    uint8_t kasid;                     /* 4G/4G kernel ASID */
    uint64_t kernel_ttbr0;             /* 4G/4G: TTBR0 value in kernel mode */
    uint32_t ttbcr_kernel, ttbcr_user; /* TTBCR in kernel mode / during uaccess and user mode */
    struct task *tasks;                /* uthash by pid */
    struct kpage *kpages;              /* uthash by key, insertion order = creation order */
    /* kernel page records come from chunks (kernel.c kpage_new), records
     * dropped are reused first: no allocation per created page */
    struct kpage_chunk *kp_chunks;
    unsigned kp_chunk_used; /* records handed out of the newest chunk */
    struct kpage *kp_free;  /* dropped records, linked by hh.next */
    uint64_t next_mm_id;
    lpae_va_t vmalloc_next; /* bump allocator for vmalloc areas */
    lpae_va_t *vfree;       /* freed one-page vmalloc areas, reused first */
    size_t nvfree, capvfree;
    struct kpage **stack_cache; /* kernel stack pages of exited tasks (cached stacks) */
    size_t nstack_cache, capstack_cache;
    uint64_t nkpages_evictable; /* buffer pages in k->kpages other than stacks */
    uint64_t kbuf_max;
    struct kcpu cpus[LPAE_MAX_CPUS];
    lpae_cpu_stats cpu_base[LPAE_MAX_CPUS]; /* each CPU's statistics at the end of construction */
    struct kparam param[LPAE_P_COUNT];      /* the machine's cycle costs (fixed at its creation) */
    lpae_cycles_t isb_cyc, dsb_cyc;         /* its LPAE_P_ISB and LPAE_P_DSB values */
    lpae_cycles_t dsb_isb_cyc;              /* dsb_cyc + isb_cyc */
    struct ktouch touch[256];               /* by lpae_tev.cpu */
    lpae_cycles_t phase_cyc[LPAE_PH_COUNT];
    lpae_kernel_stats st; /* counters kept by the kernel (the rest derived) */
    uint64_t reg_digest;  /* get_user values, folded (functional mode) */
    uint64_t nevent;
    struct lpae_asid_stats asid_base;
    /* Derived layout values, fixed at construction (layout is never changed
     * afterwards): __va() of the first lowmem range as one add, and the
     * span of every CPU's kmap_local fixmap slots. */
    lpae_pa_t lm0_base;  /* layout.lowmem[0].base */
    uint64_t lm0_size;   /* layout.lowmem[0].size */
    lpae_va_t lm_va_off; /* page_offset - phys_offset (mod 2^32) */
    lpae_pa_t hm0_base;  /* layout.highmem[0].base (0 and size 0: no highmem) */
    uint64_t hm0_size;
    lpae_va_t kmap_lo;      /* lowest kmap slot VA (last CPU, last index) */
    lpae_va_t kmap_hi;      /* highest kmap slot VA (CPU 0, index 0) */
    uint64_t kmap_pte_attr; /* kmap PTE for PA 0: PAGE_KERNEL attributes and page type */
    /* The fixmap PTE of kmap slot n = idx + KM_MAX_IDX * cpu (VA kmap_hi -
     * n pages): its PA in the kernel tables, whose PTE tables exist from
     * boot and never change, and the lowmem VA the kernel stores it through. */
    lpae_pa_t kmap_pte_pa[LPAE_MAX_CPUS * LPAE_LINUX_KM_MAX_IDX];
    lpae_va_t kmap_pte_va[LPAE_MAX_CPUS * LPAE_LINUX_KM_MAX_IDX];
};

/* lpae_kernel_apply(); @p checked: the caller guarantees lpae_tev_check(ev)
 * == 0 (replay of a text or binary trace, whose reader checks every event
 * it returns), so the check is not repeated. Every event but the usual user
 * touch (below). */
int lpae_k_apply_event(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res, bool checked);
/* lpae_k_apply_event(k, ev, NULL, true), k and ev not NULL: the copy
 * lpae_k_apply_batch() calls, without the tests these settle; its syscall
 * entry and exit shortcuts and a user-access call of the task current in
 * the kernel (no task lookup, entry or switch) are decided first, without a
 * stack frame (test_touch_batch checks it against lpae_k_apply). */
int lpae_k_apply_checked(lpae_kernel *k, const lpae_tev *ev);
/* The same without any shortcut (the general path for every event, the
 * events checked): the reference of tests/test_kernel.c. */
int lpae_k_apply_plain(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res);

/* The access code of a touch's (or a user fault's) LPAE_TEVF_* flags. */
static inline unsigned lpae_k_touch_access(uint8_t flags)
{
    /* a store if LPAE_TEVF_WRITE, else an instruction fetch if
     * LPAE_TEVF_EXEC, else a load: indexed by (EXEC, WRITE) */
    _Static_assert(LPAE_TEVF_WRITE == 2u && LPAE_TEVF_EXEC == 4u, "access bits 1 and 2");
    static const uint8_t acc[4] = {LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UX, LPAE_ACC_UW};
    return acc[(flags >> 1) & 3u];
}

/* The access code of a checked touch's flags (LPAE_TEVF_READ, WRITE, EXEC
 * only): lpae_k_touch_access without the shift. */
static inline unsigned lpae_k_touch_access3(uint8_t flags)
{
    static const uint8_t acc[8] = {LPAE_ACC_UR, LPAE_ACC_UR, LPAE_ACC_UW, LPAE_ACC_UW,
                                   LPAE_ACC_UX, LPAE_ACC_UX, LPAE_ACC_UW, LPAE_ACC_UW};
    return acc[flags & 7u];
}

/* An event's first eight bytes (kind, cpu, flags, kbuf, task) as one word,
 * and the mask that keeps its kind and task. */
_Static_assert(offsetof(lpae_tev, kind) == 0 && offsetof(lpae_tev, cpu) == 1 &&
                   offsetof(lpae_tev, flags) == 2 && offsetof(lpae_tev, kbuf) == 3 &&
                   offsetof(lpae_tev, task) == 4 && sizeof(uint32_t) == 4,
               "lpae_tev begins with four bytes and the task");
static inline uint64_t lpae_k_tev_head(const lpae_tev *ev)
{
    uint64_t w;
    memcpy(&w, ev, sizeof w);
    return w;
}
static inline uint64_t lpae_k_head_of(uint8_t kind, uint32_t task)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the same word without building an event: kind in byte 0, task in 4..7 */
    return (uint64_t)kind | (uint64_t)task << 32;
#else
    lpae_tev h;
    memset(&h, 0, sizeof h);
    h.kind = kind;
    h.task = task;
    return lpae_k_tev_head(&h);
#endif
}
#define LPAE_K_HEAD_MASK lpae_k_head_of(0xFFu, UINT32_MAX)

/* Let lpae_k_apply() do the user touches of task @p pid on this CPU, or
 * none (LPAE_K_NO_TOUCH). */
static inline void lpae_k_touch_set(struct kcpu *kc, uint64_t pid)
{
    kc->kt->head =
        pid == LPAE_K_NO_TOUCH ? LPAE_K_NO_TOUCH : lpae_k_head_of(LPAE_TEV_TOUCH, (uint32_t)pid);
}
/* The task whose touches lpae_k_apply() does on this CPU, or LPAE_K_NO_TOUCH. */
static inline uint64_t lpae_k_touch_pid(const struct kcpu *kc)
{
    if (kc->kt->head == LPAE_K_NO_TOUCH)
        return LPAE_K_NO_TOUCH;
    lpae_tev h;
    memcpy(&h, &kc->kt->head, sizeof kc->kt->head);
    return h.task;
}

/* A user touch whose first page was not done by lpae_k_apply(): the
 * single page faulted (@p one_page), or the touch spans pages (or has
 * length 0). res may be NULL (nobody reads the result). Fault handling,
 * the remaining pages, the closing phase. */
int lpae_k_touch_rest(lpae_kernel *k, const lpae_tev *ev, bool one_page, lpae_event_result *res);

/* lpae_k_touch_key(kc) for a CPU just returned to user mode (not in the
 * kernel, booking to LPAE_PH_USER): only the current task is left to test. */
static inline void lpae_k_touch_key_user(struct kcpu *kc)
{
    const struct task *t = kc->cur;
    if (!t || !t->mm || t->mm->id != kc->active_mm_id)
        lpae_k_touch_set(kc, LPAE_K_NO_TOUCH);
    else
        lpae_k_touch_set(kc, t->pid);
}

/* kc->kt for the CPU's state now. */
static inline void lpae_k_touch_key(struct kcpu *kc)
{
    const struct task *t = kc->cur;
    if (kc->in_kernel || kc->phase != LPAE_PH_USER || !t || !t->mm || t->mm->id != kc->active_mm_id)
        lpae_k_touch_set(kc, LPAE_K_NO_TOUCH);
    else
        lpae_k_touch_set(kc, t->pid);
}

/* lpae_kernel_apply() with the user touch of the task current on its CPU,
 * in user mode with its mm live and the CPU booking to LPAE_PH_USER (the
 * usual event of a user-access-heavy trace; k->touch[ev->cpu] says so),
 * done here: what lpae_k_apply_event() does for it with nothing to switch.
 * Such a touch enters no other phase unless a page faults, and then leaves
 * the kernel again into LPAE_PH_USER, so the closing phase switch has
 * nothing to do but after a fatal error (lpae_k_touch_rest does it); a
 * touch never sets LPAE_EPERM. The kernel's event count is k->nevent
 * (st.events is derived from it). k and ev are not NULL
 * (lpae_kernel_apply() checks them). */
static inline int lpae_k_apply(lpae_kernel *k, const lpae_tev *ev, lpae_event_result *res,
                               bool checked)
{
    const struct ktouch *kt;
    if ((lpae_k_tev_head(ev) & LPAE_K_HEAD_MASK) != (kt = &k->touch[ev->cpu])->head ||
        !(checked || lpae_tev_check(ev, NULL) == LPAE_OK))
        return lpae_k_apply_event(k, ev, res, checked);
    lpae_cpu *cpu = kt->cpu;
    bool want_cycles = res != NULL; /* nobody reads a dummy's cycles */
    if (want_cycles)
        memset(res, 0, sizeof(*res));
    lpae_cpu_set_event_in(cpu, k->nevent++);
    lpae_cycles_t c0 = want_cycles ? lpae_cpu_cycles_in(cpu) : 0;
    lpae_va_t va = ev->addr;
    uint32_t len = ev->len;
    int err;
    /* 1 <= len <= the bytes left in va's page; a touch of length 0 (one
     * byte) goes through lpae_k_touch_rest's page loop, which does the same */
    bool one_page = len - 1u <= (uint32_t)((LPAE_PAGE_SIZE - 1) - (va & (LPAE_PAGE_SIZE - 1)));
    if (__builtin_expect(one_page, 1)) {
        err = lpae_cpu_touch(cpu, va, lpae_k_touch_access3(ev->flags), len, NULL);
        if (__builtin_expect(err == LPAE_EFAULT, 0))
            err = lpae_k_touch_rest(k, ev, true, res);
    } else {
        err = lpae_k_touch_rest(k, ev, false, res);
    }
    if (want_cycles)
        res->cycles = lpae_cpu_cycles_in(k->touch[ev->cpu].cpu) - c0;
    return err;
}

/* The mask of an event's head that keeps its kind, CPU and task. */
static inline uint64_t lpae_k_head_cpu_mask(void)
{
    lpae_tev h;
    memset(&h, 0, sizeof h);
    h.kind = 0xFFu;
    h.cpu = 0xFFu;
    h.task = UINT32_MAX;
    return lpae_k_tev_head(&h);
}

/* lpae_k_apply(k, ev, NULL, true) for each of the checked events evs[0..n)
 * (each passed lpae_tev_check()) in order, up to the first that fails, with
 * exactly its effects: over runs of the user touches that lpae_k_apply()
 * does directly on one CPU (k->touch[ev->cpu] names them) the machine CPU,
 * the head they share and the event count stay in registers (each touch
 * still stores its event id and the kernel's count before its
 * lpae_cpu_touch, where a coherence report or its callback may read them);
 * every other event goes through lpae_k_apply_event() (its copy
 * lpae_k_apply_checked). Returns the index of
 * the first event that failed, with its error in *err, or n (*err 0). An
 * event whose CPU the kernel lacks fails with LPAE_EINVAL and no effect. */
static inline __attribute__((always_inline)) size_t
lpae_k_apply_batch(lpae_kernel *k, const lpae_tev *evs, size_t n, int *err)
{
    /* the masked head (kind, CPU, task) of the run's touches; a value no
     * masked head equals (bits outside the mask) when there is no run */
    uint64_t want = LPAE_K_NO_TOUCH;
    lpae_cpu *cpu = NULL;
    uint64_t ne = k->nevent;
    int e = 0;
    const lpae_tev *ev = evs, *const end = evs + n;
    for (; ev != end; ev++) {
        const uint64_t h = lpae_k_tev_head(ev) & lpae_k_head_cpu_mask();
        if (__builtin_expect(h != want, 0)) {
            /* another CPU, task or kind: a touch done directly there, or
             * the general path (LPAE_K_NO_TOUCH equals no masked head) */
            const struct ktouch *kt = &k->touch[ev->cpu];
            if ((h & LPAE_K_HEAD_MASK) != kt->head) {
                e = lpae_k_apply_checked(k, ev);
                /* the kernel ran: the shortcuts and the count read again */
                want = LPAE_K_NO_TOUCH;
                ne = k->nevent;
                if (e)
                    break;
                continue;
            }
            want = h;
            cpu = kt->cpu;
        }
#ifdef __clang_analyzer__
        /* want is set only together with cpu, and no masked head equals
         * LPAE_K_NO_TOUCH: the analyzer cannot see the second fact */
        if (!cpu)
            __builtin_unreachable();
#endif
        lpae_cpu_set_event_in(cpu, ne);
        k->nevent = ++ne;
        const lpae_va_t va = ev->addr;
        const uint32_t len = ev->len;
        /* as in lpae_k_apply() */
        if (__builtin_expect(
                len - 1u <= (uint32_t)((LPAE_PAGE_SIZE - 1) - (va & (LPAE_PAGE_SIZE - 1))), 1)) {
            e = lpae_cpu_touch(cpu, va, lpae_k_touch_access3(ev->flags), len, NULL);
            if (__builtin_expect(e == 0, 1))
                continue;
            if (e != LPAE_EFAULT)
                break;
            e = lpae_k_touch_rest(k, ev, true, NULL);
        } else {
            e = lpae_k_touch_rest(k, ev, false, NULL);
        }
        /* the kernel ran: the shortcuts and the count read again */
        want = LPAE_K_NO_TOUCH;
        ne = k->nevent;
        if (e)
            break;
    }
    *err = e;
    return (size_t)(ev - evs);
}

/* lpae_cpu_charge(cpu, id, 1) with the parameter's cycles and category
 * looked up in the kernel's table (k->param) instead of the machine's. */
static inline void lpae_k_charge(const lpae_kernel *k, lpae_cpu *cpu, lpae_param id)
{
    lpae_cpu_charge_in(cpu, k->param[id].cat, k->param[id].cyc);
}

/* ---- src/kernel/kernel.c helpers used by src/uaccess ---- */
/* Book the cycles since the last mark into the CPU's current phase, switch
 * phase; returns the previous phase. Staying in the same phase books
 * nothing yet: the cycles go to that phase at the next switch (or in
 * lpae_kernel_stats_get), which gives the same sums. */
static inline unsigned lpae_k_phase(lpae_kernel *k, struct kcpu *kc, unsigned phase)
{
    unsigned old = kc->phase;
    if (phase == old)
        return old;
    lpae_cycles_t now = lpae_cpu_cycles_in(kc->cpu);
    if (now > kc->mark)
        k->phase_cyc[old] += now - kc->mark;
    kc->mark = now;
    kc->phase = phase;
    return old;
}
/* lpae_k_phase() when the caller knows the CPU's phase: @p from, which is
 * not @p to. */
static inline void lpae_k_phase_from(lpae_kernel *k, struct kcpu *kc, unsigned from, unsigned to)
{
    lpae_cycles_t now = lpae_cpu_cycles_in(kc->cpu);
    if (now > kc->mark)
        k->phase_cyc[from] += now - kc->mark;
    kc->mark = now;
    kc->phase = to;
}
/* Register writes and maintenance through the machine, counted. */
static inline void lpae_k_write_ttbr0(lpae_kernel *k, struct kcpu *kc, uint64_t v)
{
    lpae_cpu_write_ttbr(kc->cpu, 0, v, NULL);
    k->st.ttbr_writes++;
}
static inline void lpae_k_write_ttbcr(lpae_kernel *k, struct kcpu *kc, uint32_t v)
{
    lpae_cpu_write_ttbcr(kc->cpu, v, NULL);
    k->st.ttbcr_writes++;
}
/* lpae_cpu_isb() and lpae_cpu_dsb() of the kernel CPU @p kc, with the
 * costs looked up at construction. */
static inline void lpae_k_isb(const lpae_kernel *k, struct kcpu *kc)
{
    lpae_cpu_isb_in(kc->cpu, k->isb_cyc);
}
static inline void lpae_k_dsb(const lpae_kernel *k, struct kcpu *kc)
{
    lpae_cpu_dsb_in(kc->cpu, k->dsb_cyc);
}
/* lpae_k_dsb(k, kc) then lpae_k_isb(k, kc), nothing between them: both
 * barriers counted, their cycles (k->dsb_isb_cyc, the sum) charged to
 * LPAE_CAT_BARRIER in one addition, which gives the same sums. */
static inline void lpae_k_dsb_isb(const lpae_kernel *k, struct kcpu *kc)
{
    lpae_cpu_stats *st = (lpae_cpu_stats *)(void *)kc->cpu; /* memops_internal.h's layout */
    st->dsb++;
    st->isb++;
    lpae_cpu_charge_in(kc->cpu, LPAE_CAT_BARRIER, k->dsb_isb_cyc);
}
/* local_flush_tlb_kernel_page(va): DSB; TLBIMVA; DSB; ISB. */
static inline void lpae_k_flush_kernel_page(const lpae_kernel *k, struct kcpu *kc, lpae_va_t va)
{
    lpae_k_dsb(k, kc);
    lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_MVA, false, va & ~(lpae_va_t)(LPAE_PAGE_SIZE - 1), 0, NULL);
    lpae_k_dsb_isb(k, kc);
}
/* __flush_tlb_page(): DSB ISHST; TLBIMVAIS (va | ASID); DSB ISH. */
void lpae_k_flush_user_page(lpae_kernel *k, struct kcpu *kc, struct kmm *mm, lpae_va_t va);
/* The ASID an mm currently holds (0 if none yet). */
uint8_t lpae_k_mm_asid(const lpae_kernel *k, const struct kmm *mm);
/* Handle a fault taken by a kernel user access or GUP's slow path at va.
 * exception: an abort was taken (exception entry/exit charged); else software.
 * Returns 0 (handled), LPAE_EFAULT / LPAE_EPERM (SIGSEGV), or a fatal error. */
int lpae_k_fault(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va, unsigned access,
                 bool exception, uint32_t *nfaults);
/* __va(pa) for lowmem (0 if pa is not lowmem). */
lpae_va_t lpae_k_va_slow(const lpae_kernel *k, lpae_pa_t pa);
static inline lpae_va_t lpae_k_va(const lpae_kernel *k, lpae_pa_t pa)
{
    if (pa - k->lm0_base < k->lm0_size) /* unsigned: pa below the base wraps high */
        return (lpae_va_t)(pa + k->lm_va_off);
    return lpae_k_va_slow(k, pa);
}
/* Fill a fresh user page with the functional pattern. */
void lpae_k_fill_user(lpae_kernel *k, lpae_pa_t pa, lpae_va_t va);
/* The kernel page for (kind, id): created on first use. */
int lpae_k_kpage(lpae_kernel *k, struct kcpu *kc, struct task *t, unsigned kind, uint32_t id,
                 struct kpage **out);

/* ---- src/uaccess/kmap.c ---- */
int lpae_k_kmap(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_pa_t pa, lpae_va_t *va);
int lpae_k_kunmap(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_va_t va);

/* set_pte_at / pte_clear on the fixmap PTE of kmap slot @p n (idx +
 * KM_MAX_IDX * cpu): the descriptor is written into the table, and the
 * store is charged through the CPU at the table's lowmem VA (a 64-bit STRD;
 * no cache clean is needed on SMP v7, whose walks are coherent). The PTE's
 * PA and VA were found once at construction (k->kmap_pte_pa/va). */
static inline int lpae_k_kmap_write_pte(lpae_kernel *k, struct kcpu *kc, unsigned n, uint64_t desc)
{
    int err = lpae_pgtable_store_slot_in(k->kpt, k->kmap_pte_pa[n], desc);
    if (err)
        return err;
    return lpae_cpu_store64(kc->cpu, k->kmap_pte_va[n], LPAE_ACC_PW, &desc);
}

/* lpae_k_kmap() of a highmem page @p pa, @p t not NULL: its whole work,
 * inline for the per-page loops of the user-access strategies. */
static inline __attribute__((always_inline)) int
lpae_k_kmap_high(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_pa_t pa, lpae_va_t *va)
{
    pa &= ~(lpae_pa_t)(LPAE_PAGE_SIZE - 1);
    k->st.kmaps++;
    unsigned idx = t->nkm;
    if (idx >= LPAE_LINUX_KM_MAX_IDX)
        return LPAE_EOVERFLOW; /* BUG_ON(idx >= KM_MAX_IDX) */
    unsigned cpu = kc->index;
    if (idx > 0 && t->kmap_cpu != (int)cpu)
        return LPAE_ESTATE; /* migrate_disable() holds a task with live kmaps on its CPU */
    /* the slot's VA: cpu < cfg.ncpus <= layout.nr_cpus (checked at
     * construction, whose kmap_va of every slot succeeded) */
    unsigned n = idx + LPAE_LINUX_KM_MAX_IDX * cpu;
    lpae_va_t v = k->kmap_hi - ((lpae_va_t)n << LPAE_PAGE_SHIFT);
    /* kmap_local_idx_push(): bookkeeping */
    lpae_k_charge(k, kc->cpu, LPAE_P_SW_KMAP);
    /* PAGE_KERNEL (k->kmap_pte_attr, built at construction) */
    int err = lpae_k_kmap_write_pte(
        k, kc, n, k->kmap_pte_attr | (pa & LPAE_DESC_ADDR_MASK & ~(uint64_t)(LPAE_PAGE_SIZE - 1)));
    if (err)
        return err;
    lpae_k_flush_kernel_page(k, kc, v); /* arch_kmap_local_post_map */
    t->km[idx].pa = pa;
    t->km[idx].va = v;
    t->nkm = idx + 1;
    t->kmap_cpu = (int)cpu;
    k->st.kmaps_highmem++;
    *va = v;
    return LPAE_OK;
}

/* lpae_k_kmap(), with the usual highmem page inline. */
static inline __attribute__((always_inline)) int
lpae_k_kmap_in(lpae_kernel *k, struct kcpu *kc, struct task *t, lpae_pa_t pa, lpae_va_t *va)
{
    /* the lowmem and highmem ranges are disjoint: lpae_k_kmap's lowmem test
     * first finds the same zone */
    if (__builtin_expect(pa - k->hm0_base < k->hm0_size && t, 1))
        return lpae_k_kmap_high(k, kc, t, pa, va);
    return lpae_k_kmap(k, kc, t, pa, va);
}

/* lpae_k_kunmap() of the page-aligned @p va, the newest live kmap of @p t
 * (not NULL), cfg.kmap_legacy off: its whole work, inline. */
static inline __attribute__((always_inline)) int lpae_k_kunmap_top(lpae_kernel *k, struct kcpu *kc,
                                                                   struct task *t, lpae_va_t va)
{
    /* pte_clear + arch_kmap_local_post_unmap (no pre_unmap: PIPT caches) */
    int err = lpae_k_kmap_write_pte(k, kc, (unsigned)((k->kmap_hi - va) >> LPAE_PAGE_SHIFT), 0);
    if (err)
        return err;
    lpae_k_dsb(k, kc);
    lpae_cpu_tlbi(kc->cpu, LPAE_TLBI_MVA, false, va, 0, NULL);
    /* DSB; ISB; then kmap_local_idx_pop(): three charges with nothing
     * between them */
    lpae_cpu_stats *st = (lpae_cpu_stats *)(void *)kc->cpu;
    st->dsb++;
    st->isb++;
    lpae_cpu_charge_in(kc->cpu, LPAE_CAT_BARRIER, k->dsb_isb_cyc);
    lpae_k_charge(k, kc->cpu, LPAE_P_SW_KMAP);
    if (--t->nkm == 0)
        t->kmap_cpu = -1;
    return LPAE_OK;
}

/* lpae_k_kunmap(), with the usual case inline. */
static inline __attribute__((always_inline)) int lpae_k_kunmap_in(lpae_kernel *k, struct kcpu *kc,
                                                                  struct task *t, lpae_va_t va)
{
    va &= ~(lpae_va_t)(LPAE_PAGE_SIZE - 1);
    if (__builtin_expect(t && t->nkm > 0 && t->km[t->nkm - 1].va == va && va >= k->kmap_lo &&
                             va <= k->kmap_hi && !k->cfg.kmap_legacy,
                         1))
        return lpae_k_kunmap_top(k, kc, t, va);
    return lpae_k_kunmap(k, kc, t, va);
}
/* __kmap_local_sched_out / _in. */
void lpae_k_kmap_sched_out(lpae_kernel *k, struct kcpu *kc, struct task *t);
void lpae_k_kmap_sched_in(lpae_kernel *k, struct kcpu *kc, struct task *t);
bool lpae_k_is_highmem(const lpae_kernel *k, lpae_pa_t pa);

/* ---- src/uaccess/uaccess.c ---- */
enum uop { UOP_FROM = 0, UOP_TO, UOP_GET, UOP_PUT, UOP_STRNCPY, UOP_CLEAR };
int lpae_k_uaccess(lpae_kernel *k, struct kcpu *kc, struct task *t, enum uop op, const lpae_tev *ev,
                   lpae_event_result *res);
/* The user-access event @p ev (a checked COPY_FROM_USER .. CLEAR_USER) of
 * the task current on @p kc, in the kernel with its mm active (no task to
 * find, no kernel entry, no switch): what lpae_k_apply_event() does for it
 * from the task lookup on, the result dropped (lpae_k_apply_checked). */
int lpae_k_uaccess_event(lpae_kernel *k, struct kcpu *kc, const lpae_tev *ev);

#endif
