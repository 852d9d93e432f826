/* SPDX-License-Identifier: MIT */
/* The five user-access strategies behind one entry point, lpae_k_uaccess().
 * docs/strategies.md gives each step with the Linux code it reproduces. */
#include <string.h>

#include "kernel/kernel_internal.h"
#include "machine/memops_internal.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"
#include "lpae/walk.h"

#define PG LPAE_PAGE_SIZE
#define PGMASK ((lpae_va_t)(LPAE_PAGE_SIZE - 1))

/* One user-access call. */
struct ucall {
    lpae_kernel *k;
    struct kcpu *kc;
    struct task *t;
    enum uop op;
    lpae_va_t uaddr;
    uint32_t len;
    unsigned kbuf;
    uint32_t kaddr;
    lpae_event_result *res;
    /* kernel side: the page kmapped for the current range (highmem kbufs) */
    lpae_va_t kmap_va;
    unsigned char reg[8]; /* get_user / put_user value */
    uint32_t done;
    /* the kernel page of the last kpage_at() (id kp_id), or NULL: kernel
     * pages are created or dropped only inside lpae_k_kpage(), whose every
     * call during the access goes through kpage_at() and replaces it */
    struct kpage *kp;
    uint32_t kp_id;
};

static bool op_writes_user(enum uop op)
{
    return op == UOP_TO || op == UOP_PUT || op == UOP_CLEAR;
}

static bool op_has_kbuf(enum uop op)
{
    return op == UOP_FROM || op == UOP_TO || op == UOP_STRNCPY;
}

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* Kernel page holding byte @p off of the call's kernel buffer. */
static inline __attribute__((always_inline)) int kpage_at(struct ucall *uc, uint32_t off,
                                                          struct kpage **p, uint32_t *pgoff)
{
    uint64_t pos = (uint64_t)(uc->kaddr & PGMASK) + off;
    uint32_t id = (uc->kaddr >> LPAE_PAGE_SHIFT) + (uint32_t)(pos >> LPAE_PAGE_SHIFT);
    *pgoff = (uint32_t)(pos & PGMASK);
    if (uc->kp && uc->kp_id == id) {
        *p = uc->kp;
        return LPAE_OK;
    }
    uc->kp = NULL;
    int err = lpae_k_kpage(uc->k, uc->kc, uc->t, uc->kbuf, id, p);
    if (!err) {
        uc->kp = *p;
        uc->kp_id = id;
    }
    return err;
}

/* Kernel VA of byte @p off (the kmapped alias for highmem pages). */
static inline __attribute__((always_inline)) int kva_at(struct ucall *uc, uint32_t off,
                                                        lpae_va_t *kva, uint32_t *room, bool *ttbr1)
{
    struct kpage *p;
    uint32_t pgoff;
    int err = kpage_at(uc, off, &p, &pgoff);
    if (err)
        return err;
    *kva = (p->highmem ? uc->kmap_va : p->va) + pgoff;
    *room = PG - pgoff;
    if (ttbr1)
        *ttbr1 = p->highmem || p->ttbr1;
    return LPAE_OK;
}

/* Move [off, off+n) between user-side address @p uva (the user VA, or a
 * kmap alias of the user page) and kernel-side @p kva. n crosses no page
 * on either side. */
static inline __attribute__((always_inline)) int
xfer(struct ucall *uc, lpae_va_t uva, lpae_va_t kva, uint32_t off, uint32_t n, lpae_xlate *fault)
{
    lpae_cpu *cpu = uc->kc->cpu;
    switch (uc->op) {
    case UOP_FROM:
    case UOP_STRNCPY:
        return lpae_cpu_copy(cpu, kva, LPAE_ACC_PW, uva, LPAE_ACC_PR, n, NULL, fault, NULL);
    case UOP_TO:
        return lpae_cpu_copy(cpu, uva, LPAE_ACC_PW, kva, LPAE_ACC_PR, n, NULL, fault, NULL);
    case UOP_GET:
        return lpae_cpu_read(cpu, uva, LPAE_ACC_PR, uc->reg + off, n, fault, NULL);
    case UOP_PUT:
        return lpae_cpu_write(cpu, uva, LPAE_ACC_PW, uc->reg + off, n, fault, NULL);
    case UOP_CLEAR: {
        static const unsigned char zero[PG];
        return lpae_cpu_write(cpu, uva, LPAE_ACC_PW, zero, n, fault, NULL);
    }
    }
    return LPAE_EINVAL;
}

/* Bytes from @p off to the next user or kernel page boundary (and the end). */
static uint32_t seg_len(struct ucall *uc, uint32_t off, uint32_t end, uint32_t kroom)
{
    uint32_t n = end - off;
    uint32_t uroom = PG - ((uc->uaddr + off) & PGMASK);
    if (n > uroom)
        n = uroom;
    if (op_has_kbuf(uc->op) && n > kroom)
        n = kroom;
    return n;
}

/* ---- faults taken inside a user access -------------------------------------------------- */

static unsigned fault_access(const struct ucall *uc)
{
    return op_writes_user(uc->op) ? LPAE_ACC_PW : LPAE_ACC_PR;
}

/* A data abort taken by a kernel access to user memory: exception entry and
 * exit (booked in LPAE_PH_ENTRY with what the strategy must do around the
 * handler), do_page_fault (LPAE_PH_FAULT). Returns 0 when the access can be
 * retried, or LPAE_EFAULT / LPAE_EPERM. */
static int abort_fault(struct ucall *uc, lpae_va_t va)
{
    lpae_kernel *k = uc->k;
    struct kcpu *kc = uc->kc;
    lpae_strategy s = k->cfg.strategy;
    bool window_ttbr0 = s == LPAE_STRAT_TTBR0_SWITCH || s == LPAE_STRAT_HYBRID;
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_ENTRY);
    lpae_k_charge(k, kc->cpu, LPAE_P_EXC_ENTRY);
    if (s == LPAE_STRAT_TTBR0_PAN) {
        /* __dabt_svc: uaccess_entry saves TTBCR in pt_regs and disables */
        lpae_k_write_ttbcr(k, kc, k->ttbcr_kernel);
        lpae_k_isb(k, kc);
    } else if (window_ttbr0) {
        /* the handler needs kernel lowmem: TTBR0 saved and switched */
        lpae_k_write_ttbr0(k, kc, k->kernel_ttbr0);
        lpae_k_isb(k, kc);
    }
    int err = lpae_k_fault(k, kc, uc->t, va, fault_access(uc), false, &uc->res->demand_faults);
    if (err == LPAE_EPERM)
        err = LPAE_EFAULT; /* do_page_fault: bad area -> fixup -> -EFAULT */
    lpae_k_phase(k, kc, LPAE_PH_ENTRY);
    if (s == LPAE_STRAT_TTBR0_PAN) {
        lpae_k_write_ttbcr(k, kc, k->ttbcr_user); /* uaccess_exit restores the saved TTBCR */
    } else if (window_ttbr0) {
        lpae_k_write_ttbr0(k, kc, kc->user_ttbr0);
        lpae_k_isb(k, kc);
    }
    lpae_k_charge(k, kc->cpu, LPAE_P_EXC_EXIT);
    lpae_k_phase(k, kc, old);
    return err;
}

/* Run xfer() for [off, off+n) with user-side @p uva; handle user faults by
 * abort_fault() and retry. Returns 0, LPAE_EFAULT/LPAE_EPERM (the access
 * failed: a result), or a fatal error. */
static int xfer_user(struct ucall *uc, lpae_va_t uva, lpae_va_t kva, uint32_t off, uint32_t n)
{
    for (int tries = 0;; tries++) {
        lpae_xlate f;
        unsigned old = lpae_k_phase(uc->k, uc->kc, LPAE_PH_COPY);
        int err = xfer(uc, uva, kva, off, n, &f);
        lpae_k_phase(uc->k, uc->kc, old);
        if (err != LPAE_EFAULT)
            return err;
        if ((f.va & ~PGMASK) != (uva & ~PGMASK) || tries >= 3)
            return LPAE_EFAULT; /* kernel side or a fault that does not go away */
        err = abort_fault(uc, f.va);
        if (err)
            return err;
    }
}

/* ---- window open/close ------------------------------------------------------------------- */

static void window_open(struct ucall *uc)
{
    lpae_kernel *k = uc->k;
    unsigned old = lpae_k_phase(k, uc->kc, LPAE_PH_UACCESS);
    if (k->cfg.strategy == LPAE_STRAT_TTBR0_PAN) {
        /* uaccess_save_and_enable(): clear A1, EPD0, T0SZ; isb */
        lpae_k_write_ttbcr(k, uc->kc, k->ttbcr_user);
        lpae_k_isb(k, uc->kc);
    } else if (k->layout.four_g) {
        lpae_k_write_ttbr0(k, uc->kc, uc->kc->user_ttbr0);
        lpae_k_isb(k, uc->kc);
    }
    lpae_k_phase(k, uc->kc, old);
}

static void window_close(struct ucall *uc)
{
    lpae_kernel *k = uc->k;
    unsigned old = lpae_k_phase(k, uc->kc, LPAE_PH_UACCESS);
    if (k->cfg.strategy == LPAE_STRAT_TTBR0_PAN) {
        /* uaccess_restore(): cpu_set_ttbcr(flags); isb */
        lpae_k_write_ttbcr(k, uc->kc, k->ttbcr_kernel);
        lpae_k_isb(k, uc->kc);
    } else if (k->layout.four_g) {
        lpae_k_write_ttbr0(k, uc->kc, k->kernel_ttbr0);
        lpae_k_isb(k, uc->kc);
    }
    lpae_k_phase(k, uc->kc, old);
}

/* ---- direct and ttbr0-pan; ttbr0-switch with a reachable kernel side ---------------------- */

static int run_window(struct ucall *uc, uint32_t lo, uint32_t hi)
{
    int err = LPAE_OK;
    window_open(uc);
    for (uint32_t off = lo; off < hi && !err;) {
        lpae_va_t kva = 0;
        uint32_t kroom = PG;
        if (op_has_kbuf(uc->op))
            err = kva_at(uc, off, &kva, &kroom, NULL);
        if (err)
            break;
        uint32_t n = seg_len(uc, off, hi, kroom);
        err = xfer_user(uc, uc->uaddr + off, kva, off, n);
        if (!err) {
            off += n;
            uc->done = off;
        }
    }
    window_close(uc);
    return err;
}

/* ---- ttbr0-switch with the kernel side in TTBR0 lowmem --------------------------------------- */

/* Copy between the kernel buffer and the per-CPU bounce page (kernel TTBR0 live). */
static int bounce_kernel(struct ucall *uc, uint32_t off, uint32_t n, bool to_bounce)
{
    lpae_cpu *cpu = uc->kc->cpu;
    lpae_va_t b = uc->kc->bounce_va;
    for (uint32_t o = off; o < off + n;) {
        lpae_va_t kva;
        uint32_t kroom;
        int err = kva_at(uc, o, &kva, &kroom, NULL);
        if (err)
            return err;
        uint32_t m = off + n - o;
        if (m > kroom)
            m = kroom;
        lpae_va_t bv = b + (o - off);
        err = to_bounce
                  ? lpae_cpu_copy(cpu, bv, LPAE_ACC_PW, kva, LPAE_ACC_PR, m, NULL, NULL, NULL)
                  : lpae_cpu_copy(cpu, kva, LPAE_ACC_PW, bv, LPAE_ACC_PR, m, NULL, NULL, NULL);
        if (err)
            return err;
        o += m;
    }
    return LPAE_OK;
}

static int run_bounce(struct ucall *uc, uint32_t lo, uint32_t hi)
{
    lpae_kernel *k = uc->k;
    bool to_user = uc->op == UOP_TO;
    int err = LPAE_OK;
    for (uint32_t off = lo; off < hi && !err;) {
        uint32_t piece = hi - off < PG ? hi - off : PG;
        if (to_user) {
            unsigned old = lpae_k_phase(k, uc->kc, LPAE_PH_COPY);
            err = bounce_kernel(uc, off, piece, true);
            lpae_k_phase(k, uc->kc, old);
            if (err)
                return err;
        }
        window_open(uc);
        uint32_t o = off;
        while (o < off + piece && !err) {
            uint32_t n = seg_len(uc, o, off + piece, PG - (o - off));
            err = xfer_user(uc, uc->uaddr + o, uc->kc->bounce_va + (o - off), o, n);
            if (!err) {
                o += n;
                if (to_user)
                    uc->done = o;
            }
        }
        window_close(uc);
        k->st.bounce_bytes += o - off;
        if (!to_user && o > off) {
            unsigned old = lpae_k_phase(k, uc->kc, LPAE_PH_COPY);
            int e2 = bounce_kernel(uc, off, o - off, false);
            lpae_k_phase(k, uc->kc, old);
            if (e2)
                return e2;
            uc->done = o;
        }
        off = o;
    }
    return err;
}

/* One ldm (@p store false) or stm of the user range [uva, uva+n) to or
 * from @p buf inside an open window, retried after abort_fault() up to three
 * times. Returns 0, LPAE_EFAULT / LPAE_EPERM, or a fatal error. */
static int chunk_user(struct ucall *uc, lpae_va_t uva, unsigned char *buf, uint32_t n, bool store)
{
    lpae_cpu *cpu = uc->kc->cpu;
    for (int tries = 0;; tries++) {
        lpae_xlate f;
        unsigned old = lpae_k_phase(uc->k, uc->kc, LPAE_PH_COPY);
        int err = store ? lpae_cpu_write(cpu, uva, LPAE_ACC_PW, buf, n, &f, NULL)
                        : lpae_cpu_read(cpu, uva, LPAE_ACC_PR, buf, n, &f, NULL);
        lpae_k_phase(uc->k, uc->kc, old);
        if (err != LPAE_EFAULT)
            return err;
        err = tries < 3 ? abort_fault(uc, f.va) : LPAE_EFAULT;
        if (err)
            return err;
    }
}

/* Arnd's register ping-pong: per chunk, ldm from one side, switch TTBR0,
 * stm to the other side, switch back. */
static int run_chunks(struct ucall *uc, uint32_t lo, uint32_t hi)
{
    lpae_kernel *k = uc->k;
    struct kcpu *kc = uc->kc;
    bool to_user = uc->op == UOP_TO;
    uint32_t chunk = k->cfg.switch_chunk;
    unsigned char regs[PG];
    int err = LPAE_OK;
    for (uint32_t off = lo; off < hi && !err;) {
        lpae_va_t kva;
        uint32_t kroom;
        err = kva_at(uc, off, &kva, &kroom, NULL);
        if (err)
            break;
        uint32_t n = seg_len(uc, off, hi, kroom);
        if (n > chunk)
            n = chunk;
        lpae_va_t uva = uc->uaddr + off;
        unsigned old;
        if (to_user) {
            old = lpae_k_phase(k, kc, LPAE_PH_COPY);
            err = lpae_cpu_read(kc->cpu, kva, LPAE_ACC_PR, regs, n, NULL, NULL); /* ldm kernel */
            lpae_k_phase(k, kc, old);
            window_open(uc); /* switch to the user tables */
            if (!err)
                err = chunk_user(uc, uva, regs, n, true); /* stm user */
            window_close(uc);                             /* back to the kernel tables */
        } else {
            window_open(uc);                           /* switch to the user tables */
            err = chunk_user(uc, uva, regs, n, false); /* ldm user */
            window_close(uc);                          /* back to the kernel tables */
            old = lpae_k_phase(k, kc, LPAE_PH_COPY);
            if (!err)
                err =
                    lpae_cpu_write(kc->cpu, kva, LPAE_ACC_PW, regs, n, NULL, NULL); /* stm kernel */
            lpae_k_phase(k, kc, old);
        }
        k->st.chunk_flips++;
        if (!err) {
            off += n;
            uc->done = off;
        }
    }
    return err;
}

/* ---- pinned: GUP-fast + kmap_local + memcpy per user page ----------------------------------- */

/* gup_fast_pgd_range(): walk the user's tables in software, every
 * descriptor loaded through the kernel's view of lowmem (the caches and the
 * TLB entries of the kernel mapping). Returns 0 with *pa, or LPAE_ENOENT
 * when GUP-fast gives up (not present, or not writable for FOLL_WRITE). */
static int gup_walk(struct ucall *uc, lpae_va_t va, bool write, lpae_pa_t *pa)
{
    const struct kmm *mm = uc->t->mm;
    const lpae_kernel *k = uc->k;
    lpae_cpu *cpu = uc->kc->cpu;
    uint32_t off = va - mm->pt_base; /* the offset into the region */
    lpae_pa_t table = mm->pt_root;
    unsigned shift = mm->pt_shift; /* 30, 21, 12 at levels 1, 2, 3 */
    for (;;) {
        lpae_pa_t dpa = table + ((lpae_pa_t)((off >> shift) & 511u) << 3);
        uint64_t d; /* set by a successful load, read only then */
        int err = lpae_cpu_load64(cpu, lpae_k_va(k, dpa), LPAE_ACC_PR, &d);
        if (err)
            return err == LPAE_EFAULT ? LPAE_ENOENT : err;
        unsigned type = (unsigned)(d & LPAE_DESC_TYPE_MASK);
        if (shift > LPAE_PAGE_SHIFT) { /* levels 1 and 2: a table or a block */
            if (type == LPAE_DESC_TYPE_TABLE) {
                table = d & LPAE_DESC_ADDR_MASK;
                shift -= 9u;
                continue;
            }
            if (type != LPAE_DESC_TYPE_BLOCK)
                return LPAE_ENOENT;
        } else if (type != LPAE_DESC_TYPE_PAGE) {
            return LPAE_ENOENT;
        }
        unsigned ap = (unsigned)((d & LPAE_DESC_AP_MASK) >> LPAE_DESC_AP_SHIFT);
        if (!(ap & 1u) || (write && (ap & 2u)) || !(d & LPAE_DESC_AF))
            return LPAE_ENOENT; /* not a user page, or read-only for FOLL_WRITE */
        uint64_t bsz = UINT64_C(1) << shift;
        *pa = (d & LPAE_DESC_ADDR_MASK & ~(bsz - 1)) + (off & (bsz - 1));
        *pa &= ~(lpae_pa_t)PGMASK;
        return LPAE_OK;
    }
}

/* get_user_pages_fast() for one page, falling back to the slow path
 * (handle_mm_fault) when the fast walk gives up. Leaves the CPU in
 * LPAE_PH_GUP (run_pinned switches on from there). */
static int gup_page(struct ucall *uc, lpae_va_t va, lpae_pa_t *pa)
{
    lpae_kernel *k = uc->k;
    struct kcpu *kc = uc->kc;
    bool write = op_writes_user(uc->op);
    for (int tries = 0;; tries++) {
        lpae_k_phase(k, kc, LPAE_PH_GUP);
        lpae_k_charge(k, kc->cpu, LPAE_P_SW_IRQ_OFF); /* local_irq_save */
        lpae_k_charge(k, kc->cpu, LPAE_P_SW_GUP_FAST_PAGE);
        int err = gup_walk(uc, va, write, pa);
        if (!err)
            lpae_k_charge(k, kc->cpu, LPAE_P_SW_ATOMIC); /* try_grab_folio */
        lpae_k_charge(k, kc->cpu, LPAE_P_SW_IRQ_ON);     /* local_irq_restore */
        if (err != LPAE_ENOENT)
            return err;
        if (tries >= 2)
            return LPAE_EFAULT;
        /* slow path: get_user_pages() -> handle_mm_fault() */
        err = lpae_k_fault(k, kc, uc->t, va, write ? LPAE_ACC_PW : LPAE_ACC_PR, false,
                           &uc->res->demand_faults);
        if (err == LPAE_EPERM)
            return write ? LPAE_EPERM : LPAE_EFAULT;
        if (err)
            return err;
    }
}

/* Per user page: GUP, kmap_local, the copy, kunmap_local, put_page. Each
 * step runs in its own phase and the next step switches straight on: no
 * cycle is charged between steps, so returning to the caller's phase in
 * between (and leaving it again) would only book zero cycles there. The
 * caller's phase is restored at the end. */
static int run_pinned(struct ucall *uc, uint32_t lo, uint32_t hi)
{
    lpae_kernel *k = uc->k;
    struct kcpu *kc = uc->kc;
    unsigned outer = kc->phase;
    int err = LPAE_OK;
    for (uint32_t off = lo; off < hi && !err;) {
        lpae_va_t uva = uc->uaddr + off;
        uint32_t upage_end = off + (PG - (uva & PGMASK));
        if (upage_end > hi)
            upage_end = hi;
        lpae_pa_t pa = 0;
        err = gup_page(uc, uva & ~PGMASK, &pa);
        if (err)
            break;
        uc->k->st.gup_pages++;
        lpae_va_t alias;
        lpae_k_phase_from(k, kc, LPAE_PH_GUP, LPAE_PH_KMAP); /* gup_page leaves LPAE_PH_GUP */
        /* a page of the first highmem range: its kmap is the new top of
         * the task's kmap stack until the kunmap below (nothing between
         * maps or unmaps), which then needs no search */
        bool high = pa - k->hm0_base < k->hm0_size;
        err = high ? lpae_k_kmap_high(k, kc, uc->t, pa, &alias)
                   : lpae_k_kmap(k, kc, uc->t, pa, &alias);
        if (err)
            break;
        uint32_t o = off;
        while (o < upage_end && !err) {
            lpae_va_t kva = 0;
            uint32_t kroom = PG;
            if (op_has_kbuf(uc->op))
                err = kva_at(uc, o, &kva, &kroom, NULL);
            if (err)
                break;
            uint32_t n = seg_len(uc, o, upage_end, kroom);
            lpae_xlate f;
            lpae_k_phase(k, kc, LPAE_PH_COPY);
            err = xfer(uc, alias + ((uc->uaddr + o) & PGMASK), kva, o, n, &f);
            if (!err) {
                o += n;
                uc->done = o;
            }
        }
        lpae_k_phase(k, kc, LPAE_PH_KMAP);
        int e2 = high && !k->cfg.kmap_legacy ? lpae_k_kunmap_top(k, kc, uc->t, alias)
                                             : lpae_k_kunmap(k, kc, uc->t, alias);
        lpae_k_phase_from(k, kc, LPAE_PH_KMAP, LPAE_PH_GUP);
        lpae_k_charge(k, kc->cpu, LPAE_P_SW_ATOMIC); /* put_page */
        if (!err)
            err = e2;
        off = o;
    }
    lpae_k_phase(k, kc, outer);
    return err;
}

/* ---- dispatch ----------------------------------------------------------------------------------
 */

static int run_range(struct ucall *uc, uint32_t lo, uint32_t hi, bool kside_ttbr1)
{
    lpae_kernel *k = uc->k;
    lpae_strategy s = k->cfg.strategy;
    if (s == LPAE_STRAT_HYBRID)
        s = uc->len <= k->cfg.hybrid_threshold ? LPAE_STRAT_TTBR0_SWITCH : LPAE_STRAT_PINNED;
    switch (s) {
    case LPAE_STRAT_DIRECT:
    case LPAE_STRAT_TTBR0_PAN:
        return run_window(uc, lo, hi);
    case LPAE_STRAT_PINNED:
        return run_pinned(uc, lo, hi);
    default:
        if (!op_has_kbuf(uc->op) || kside_ttbr1)
            return run_window(uc, lo, hi);
        if (k->cfg.switch_variant == LPAE_SWITCH_CHUNK)
            return run_chunks(uc, lo, hi);
        return run_bounce(uc, lo, hi);
    }
}

/* _copy_from_user(): on a fault the uncopied tail of the kernel buffer is
 * zeroed (memset(to + (n - res), 0, res)), in kernel mode. */
static int zero_tail(struct ucall *uc)
{
    static const unsigned char zero[PG];
    lpae_kernel *k = uc->k;
    struct kcpu *kc = uc->kc;
    unsigned old = lpae_k_phase(k, kc, LPAE_PH_COPY);
    int err = LPAE_OK;
    for (uint32_t off = uc->done; off < uc->len && !err;) {
        struct kpage *p;
        uint32_t pgoff;
        err = kpage_at(uc, off, &p, &pgoff);
        if (err)
            break;
        uint32_t n = uc->len - off < PG - pgoff ? uc->len - off : PG - pgoff;
        lpae_va_t va = p->va;
        bool high = p->highmem;
        if (high) {
            lpae_k_phase(k, kc, LPAE_PH_KMAP);
            err = lpae_k_kmap(k, kc, uc->t, p->pa, &va);
            lpae_k_phase(k, kc, LPAE_PH_COPY);
            if (err)
                break;
        }
        err = lpae_cpu_write(kc->cpu, va + pgoff, LPAE_ACC_PW, zero, n, NULL, NULL);
        if (high) {
            lpae_k_phase(k, kc, LPAE_PH_KMAP);
            int e2 = lpae_k_kunmap(k, kc, uc->t, va);
            lpae_k_phase(k, kc, LPAE_PH_COPY);
            if (!err)
                err = e2;
        }
        off += n;
    }
    lpae_k_phase(k, kc, old);
    return err;
}

/* lpae_k_uaccess(), inline for lpae_k_uaccess_event(). */
static inline __attribute__((always_inline)) int uaccess_call(lpae_kernel *k, struct kcpu *kc,
                                                              struct task *t, enum uop op,
                                                              const lpae_tev *ev,
                                                              lpae_event_result *res)
{
    struct ucall uc = {.k = k,
                       .kc = kc,
                       .t = t,
                       .op = op,
                       .uaddr = ev->addr,
                       .len = ev->len,
                       .kbuf = ev->kbuf,
                       .kaddr = ev->kaddr,
                       .res = res};
    k->st.uaccess_calls++;
    if (uc.len == 0)
        return LPAE_OK;
    /* access_ok(): the range must lie below TASK_SIZE */
    if (!t->mm || (uint64_t)uc.uaddr + uc.len > k->layout.task_size) {
        res->status = LPAE_EFAULT;
        return LPAE_OK;
    }
    if (op == UOP_PUT) {
        uint64_t v = mix64(k->cfg.seed ^ k->nevent);
        memcpy(uc.reg, &v, sizeof(uc.reg));
    }
    int err = LPAE_OK;
    if (!op_has_kbuf(op)) {
        err = run_range(&uc, 0, uc.len, true);
    } else {
        /* the kernel side page by page where it must be kmapped
         * (copy_page_{to,from}_iter: kmap_local_page around the user copy) */
        for (uint32_t off = 0; off < uc.len && !err;) {
            struct kpage *p;
            uint32_t pgoff;
            err = kpage_at(&uc, off, &p, &pgoff);
            if (err)
                break;
            uint32_t hi = uc.len;
            /* p may be evicted by later kernel-page creations: keep what is needed */
            bool high = p->highmem, reach = p->highmem || p->ttbr1;
            lpae_pa_t ppa = p->pa;
            bool per_page = high || uc.kbuf == LPAE_KBUF_PAGECACHE || uc.kbuf == LPAE_KBUF_PAGE;
            if (per_page && hi - off > PG - pgoff)
                hi = off + (PG - pgoff);
            if (high) {
                unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
                err = lpae_k_kmap(k, kc, t, ppa, &uc.kmap_va);
                lpae_k_phase(k, kc, old);
                if (err)
                    break;
            }
            err = run_range(&uc, off, hi, reach);
            if (high) {
                unsigned old = lpae_k_phase(k, kc, LPAE_PH_KMAP);
                int e2 = lpae_k_kunmap(k, kc, t, uc.kmap_va);
                lpae_k_phase(k, kc, old);
                if (!err)
                    err = e2;
            }
            off = hi;
        }
    }
    res->done = uc.done;
    k->st.bytes_copied += uc.done;
    if (err == LPAE_EFAULT || err == LPAE_EPERM) {
        res->status = err;
        err = op == UOP_FROM ? zero_tail(&uc) : LPAE_OK;
    }
    if (!err && op == UOP_GET && k->cfg.functional) {
        uint64_t v = 0;
        memcpy(&v, uc.reg, uc.len < 8 ? uc.len : 8);
        k->reg_digest = mix64(k->reg_digest ^ v) + uc.len;
    }
    return err;
}

int lpae_k_uaccess(lpae_kernel *k, struct kcpu *kc, struct task *t, enum uop op, const lpae_tev *ev,
                   lpae_event_result *res)
{
    return uaccess_call(k, kc, t, op, ev, res);
}

int lpae_k_uaccess_event(lpae_kernel *k, struct kcpu *kc, const lpae_tev *ev)
{
    lpae_event_result res;
    memset(&res, 0, sizeof(res));
    int err =
        uaccess_call(k, kc, kc->cur, (enum uop)(ev->kind - LPAE_TEV_COPY_FROM_USER), ev, &res);
    if (res.status == LPAE_EFAULT)
        k->st.efaults++;
    lpae_k_phase(k, kc, kc->in_kernel ? LPAE_PH_MM : LPAE_PH_USER);
    if (res.status == LPAE_EPERM)
        k->st.eperms++;
    return err;
}
