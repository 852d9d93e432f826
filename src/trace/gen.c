/* SPDX-License-Identifier: MIT */
/* Synthetic workload generators (lpaesim gen). Deterministic from the seed:
 * a splitmix64 stream held in the generator object drives every choice. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "trace/internal.h"

#define MAX_CPUS 256
#define MAX_TASKS 4096
#define MAX_LIVE_PROCS 64

/* Syscall numbers used here (ARM EABI). */
enum {
    NR_EXIT_GROUP = 248,
    NR_READ = 3,
    NR_WRITE = 4,
    NR_GETPID = 20,
    NR_IOCTL = 54,
    NR_FUTEX = 240,
    NR_POLL = 168,
    NR_RT_SIGPROCMASK = 175,
    NR_CLOCK_GETTIME64 = 403,
    NR_EPOLL_WAIT = 252,
    NR_GETSOCKOPT = 295,
    NR_MMAP2 = 192,
    NR_BRK = 45,
    NR_OPENAT = 322,
    NR_CLOSE = 6,
    NR_CLONE = 120,
    NR_EXECVE = 11,
    NR_MPROTECT = 125,
    NR_MUNMAP = 91,
};

enum src_kind { K_FILE, K_ZERO, K_NULL, K_PIPE, K_SOCKET };

enum actor_type { A_DD, A_SMALL, A_PROC };

struct actor {
    uint8_t type;
    bool alive;
    uint8_t cpu;
    uint32_t task;
    uint32_t left;  /* syscalls (or dd blocks) still to do */
    uint32_t buf;   /* user buffer */
    uint32_t stack; /* user stack top area */
    uint32_t heap;  /* heap base */
    uint64_t in_off, out_off;
    uint32_t in_file, out_file;
    uint8_t phase; /* dd: 0 read next, 1 write next; proc: setup steps */
};

struct gen {
    lpae_trace_writer *w;
    lpae_gen_params p;
    uint64_t rng;
    int err;
    uint32_t cur[MAX_CPUS];
    uint32_t next_task, next_file;
    enum src_kind src, dst;
};

static uint64_t rnd(struct gen *g)
{
    uint64_t z = (g->rng += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint32_t below(struct gen *g, uint32_t n)
{
    return n ? (uint32_t)(rnd(g) % n) : 0;
}

static void put(struct gen *g, const lpae_tev *ev)
{
    if (!g->err)
        g->err = lpae_trace_write(g->w, ev);
}

static lpae_tev mk(const struct actor *a, unsigned kind)
{
    lpae_tev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (uint8_t)kind;
    ev.cpu = a->cpu;
    ev.task = a->task;
    return ev;
}

static void run_on_cpu(struct gen *g, const struct actor *a)
{
    if (g->cur[a->cpu] == a->task)
        return;
    lpae_tev ev = mk(a, LPAE_TEV_SWITCH);
    ev.arg = g->cur[a->cpu];
    g->cur[a->cpu] = a->task;
    put(g, &ev);
}

static void sys(struct gen *g, const struct actor *a, bool enter, uint32_t nr, int32_t ret)
{
    lpae_tev ev = mk(a, enter ? LPAE_TEV_SYS_ENTER : LPAE_TEV_SYS_EXIT);
    ev.sysno = nr;
    ev.ret = enter ? 0 : ret;
    put(g, &ev);
}

static void acc(struct gen *g, const struct actor *a, unsigned kind, uint32_t addr, uint32_t len,
                unsigned kbuf, uint32_t kaddr)
{
    lpae_tev ev = mk(a, kind);
    ev.addr = addr;
    ev.len = len;
    ev.kbuf = (uint8_t)kbuf;
    ev.kaddr = kaddr;
    put(g, &ev);
}

static void touches(struct gen *g, const struct actor *a, uint32_t base, uint32_t span)
{
    for (uint32_t i = 0; i < g->p.touches; i++) {
        lpae_tev ev = mk(a, LPAE_TEV_TOUCH);
        uint32_t off = below(g, span > 64 ? span - 64 : 1) & ~7u;
        ev.addr = base + off;
        ev.len = 8 << below(g, 4);
        ev.flags = below(g, 3) ? LPAE_TEVF_READ : LPAE_TEVF_WRITE;
        put(g, &ev);
    }
}

/* Data moved between a user buffer and a stream of @p kind at offset @p off:
 * split per kernel page like the kernel copies it. */
static void stream_copy(struct gen *g, const struct actor *a, bool to_user, enum src_kind k,
                        uint32_t ubuf, uint32_t len, uint32_t file, uint64_t *off)
{
    unsigned kind = to_user ? LPAE_TEV_COPY_TO_USER : LPAE_TEV_COPY_FROM_USER;
    if (k == K_NULL)
        return; /* /dev/null: write_null copies nothing */
    if (k == K_ZERO) {
        if (to_user)
            acc(g, a, LPAE_TEV_CLEAR_USER, ubuf, len, 0, 0);
        return;
    }
    unsigned kbuf = k == K_FILE   ? LPAE_KBUF_PAGECACHE
                    : k == K_PIPE ? LPAE_KBUF_PAGE
                                  : LPAE_KBUF_SLAB;
    uint32_t done = 0;
    while (done < len) {
        uint32_t in_page = (uint32_t)(*off & (LPAE_PAGE_SIZE - 1));
        uint32_t chunk = LPAE_PAGE_SIZE - in_page;
        if (chunk > len - done)
            chunk = len - done;
        acc(g, a, kind, ubuf + done, chunk, kbuf, tr_page_tag(file, *off));
        done += chunk;
        *off += chunk;
    }
}

static int parse_kind(const char *s, bool is_src, enum src_kind *k)
{
    if (!strcmp(s, "file"))
        *k = K_FILE;
    else if (!strcmp(s, "pipe"))
        *k = K_PIPE;
    else if (!strcmp(s, "socket"))
        *k = K_SOCKET;
    else if (is_src && !strcmp(s, "zero"))
        *k = K_ZERO;
    else if (!is_src && !strcmp(s, "null"))
        *k = K_NULL;
    else
        return LPAE_EINVAL;
    return 0;
}

/* ---- actors ----------------------------------------------------------------- */
static void dd_start(struct gen *g, struct actor *a)
{
    run_on_cpu(g, a);
    acc(g, a, LPAE_TEV_EXEC, 0, 0, 0, 0);
    uint32_t len = (g->p.bs + LPAE_PAGE_SIZE - 1) & ~(LPAE_PAGE_SIZE - 1);
    a->buf =
        (UINT32_C(0xB6000000) - len - (below(g, 256) << LPAE_PAGE_SHIFT)) & ~(LPAE_PAGE_SIZE - 1);
    sys(g, a, true, NR_MMAP2, 0);
    lpae_tev ev = mk(a, LPAE_TEV_MMAP);
    ev.addr = a->buf;
    ev.len = len;
    ev.flags = LPAE_PROT_READ | LPAE_PROT_WRITE | LPAE_MAP_ANON;
    put(g, &ev);
    sys(g, a, false, NR_MMAP2, (int32_t)a->buf);
    a->in_file = ++g->next_file;
    a->out_file = ++g->next_file;
    a->in_off = a->out_off = 0;
}

static void dd_step(struct gen *g, struct actor *a)
{
    run_on_cpu(g, a);
    if (a->phase == 0) {
        sys(g, a, true, NR_READ, 0);
        stream_copy(g, a, true, g->src, a->buf, g->p.bs, a->in_file, &a->in_off);
        sys(g, a, false, NR_READ, (int32_t)g->p.bs);
        touches(g, a, a->buf, g->p.bs);
        a->phase = 1;
    } else {
        sys(g, a, true, NR_WRITE, 0);
        stream_copy(g, a, false, g->dst, a->buf, g->p.bs, a->out_file, &a->out_off);
        sys(g, a, false, NR_WRITE, (int32_t)g->p.bs);
        a->phase = 0;
        a->left--;
    }
}

/* One small syscall, get_user/put_user heavy. */
static void small_step(struct gen *g, struct actor *a)
{
    run_on_cpu(g, a);
    uint32_t sp = a->stack - 0x400 - (below(g, 64) << 4);
    uint32_t heap = a->heap + (below(g, 1024) << 6);
    switch (below(g, 9)) {
    case 0:
        sys(g, a, true, NR_GETPID, 0);
        sys(g, a, false, NR_GETPID, (int32_t)a->task);
        break;
    case 1: /* futex(FUTEX_WAIT): reads the futex word */
        sys(g, a, true, NR_FUTEX, 0);
        acc(g, a, LPAE_TEV_GET_USER, heap & ~3u, 4, 0, 0);
        sys(g, a, false, NR_FUTEX, 0);
        break;
    case 2:
        sys(g, a, true, NR_CLOCK_GETTIME64, 0);
        acc(g, a, LPAE_TEV_COPY_TO_USER, sp, 16, LPAE_KBUF_STACK, 0);
        sys(g, a, false, NR_CLOCK_GETTIME64, 0);
        break;
    case 3:
        sys(g, a, true, NR_RT_SIGPROCMASK, 0);
        acc(g, a, LPAE_TEV_COPY_FROM_USER, sp, 8, LPAE_KBUF_STACK, 0);
        acc(g, a, LPAE_TEV_COPY_TO_USER, sp + 8, 8, LPAE_KBUF_STACK, 0);
        sys(g, a, false, NR_RT_SIGPROCMASK, 0);
        break;
    case 4: { /* poll: pollfd array in, revents back one __put_user each */
        uint32_t n = 1 + below(g, 4);
        sys(g, a, true, NR_POLL, 0);
        acc(g, a, LPAE_TEV_COPY_FROM_USER, sp, 8 * n, LPAE_KBUF_STACK, 0);
        for (uint32_t i = 0; i < n; i++)
            acc(g, a, LPAE_TEV_PUT_USER, sp + 8 * i + 6, 2, 0, 0);
        sys(g, a, false, NR_POLL, (int32_t)n);
        break;
    }
    case 5: /* ioctl(FIONREAD) */
        sys(g, a, true, NR_IOCTL, 0);
        acc(g, a, LPAE_TEV_PUT_USER, sp, 4, 0, 0);
        sys(g, a, false, NR_IOCTL, 0);
        break;
    case 6: { /* epoll_wait: two __put_user per event */
        uint32_t n = 1 + below(g, 3);
        sys(g, a, true, NR_EPOLL_WAIT, 0);
        for (uint32_t i = 0; i < n; i++) {
            acc(g, a, LPAE_TEV_PUT_USER, heap + 16 * i, 4, 0, 0);
            acc(g, a, LPAE_TEV_PUT_USER, heap + 16 * i + 8, 8, 0, 0);
        }
        sys(g, a, false, NR_EPOLL_WAIT, (int32_t)n);
        break;
    }
    case 7: /* getsockopt: get_user(optlen), copy_to_user(optval), put_user(optlen) */
        sys(g, a, true, NR_GETSOCKOPT, 0);
        acc(g, a, LPAE_TEV_GET_USER, sp, 4, 0, 0);
        acc(g, a, LPAE_TEV_COPY_TO_USER, sp + 4, 4, LPAE_KBUF_STACK, 0);
        acc(g, a, LPAE_TEV_PUT_USER, sp, 4, 0, 0);
        sys(g, a, false, NR_GETSOCKOPT, 0);
        break;
    default: { /* a small pipe read */
        uint32_t n = 1 + below(g, 64);
        sys(g, a, true, NR_READ, 0);
        acc(g, a, LPAE_TEV_COPY_TO_USER, heap, n, LPAE_KBUF_PAGE, tr_page_tag(a->task, 0));
        sys(g, a, false, NR_READ, (int32_t)n);
        break;
    }
    }
    touches(g, a, a->heap, 1u << 16);
    a->left--;
}

/* A short process: exec, map its image, libraries and heap, a few small
 * syscalls with path lookups and file reads, exit. */
static void proc_step(struct gen *g, struct actor *a)
{
    run_on_cpu(g, a);
    if (a->phase == 0) {
        sys(g, a, true, NR_EXECVE, 0);
        acc(g, a, LPAE_TEV_STRNCPY_FROM_USER, 0xBEFFF000u + below(g, 0x800), 16 + below(g, 32),
            LPAE_KBUF_SLAB, 0);
        acc(g, a, LPAE_TEV_EXEC, 0, 0, 0, 0);
        sys(g, a, false, NR_EXECVE, 0);
        a->stack = 0xBEFFF000u - (below(g, 2048) << LPAE_PAGE_SHIFT);
        a->heap = 0x00020000u + (below(g, 1024) << LPAE_PAGE_SHIFT);
        a->phase = 1;
        return;
    }
    if (a->phase == 1) {
        static const struct {
            uint32_t base, len;
            uint8_t prot;
        } maps[] = {{0x00010000u, 0x8000u, LPAE_PROT_READ | LPAE_PROT_EXEC},
                    {0xB6E00000u, 0x120000u, LPAE_PROT_READ | LPAE_PROT_EXEC},
                    {0xB6F40000u, 0x3000u, LPAE_PROT_READ | LPAE_PROT_WRITE},
                    {0xB6F80000u, 0x20000u, LPAE_PROT_READ | LPAE_PROT_EXEC}};
        uint32_t slide = below(g, 256) << LPAE_PAGE_SHIFT;
        for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
            sys(g, a, true, NR_MMAP2, 0);
            lpae_tev ev = mk(a, LPAE_TEV_MMAP);
            ev.addr = maps[i].base - (i ? slide : 0);
            ev.len = maps[i].len;
            ev.flags = maps[i].prot;
            put(g, &ev);
            sys(g, a, false, NR_MMAP2, (int32_t)ev.addr);
        }
        sys(g, a, true, NR_BRK, 0);
        lpae_tev ev = mk(a, LPAE_TEV_BRK);
        ev.addr = a->heap + 0x21000u;
        put(g, &ev);
        sys(g, a, false, NR_BRK, (int32_t)ev.addr);
        a->phase = 2;
        return;
    }
    if (a->left == 0) {
        sys(g, a, true, NR_EXIT_GROUP, 0);
        lpae_tev ev = mk(a, LPAE_TEV_EXIT);
        put(g, &ev);
        a->alive = false;
        return;
    }
    if (below(g, 4) == 0) { /* open + read a small file + close */
        uint32_t file = ++g->next_file;
        uint64_t off = 0;
        sys(g, a, true, NR_OPENAT, 0);
        acc(g, a, LPAE_TEV_STRNCPY_FROM_USER, a->heap + (below(g, 64) << 5), 12 + below(g, 40),
            LPAE_KBUF_SLAB, 0);
        sys(g, a, false, NR_OPENAT, 3);
        uint32_t n = 64 + below(g, 8192);
        sys(g, a, true, NR_READ, 0);
        stream_copy(g, a, true, K_FILE, a->heap + 0x10000u, n, file, &off);
        sys(g, a, false, NR_READ, (int32_t)n);
        sys(g, a, true, NR_CLOSE, 0);
        sys(g, a, false, NR_CLOSE, 0);
        a->left--;
    } else {
        small_step(g, a);
    }
}

static int check_params(lpae_gen_kind kind, const lpae_gen_params *p, struct gen *g)
{
    if (p->cpus < 1 || p->cpus > MAX_CPUS || p->touches > 1024)
        return LPAE_ERANGE;
    if (kind == LPAE_GEN_DD || kind == LPAE_GEN_MIXED) {
        if (p->bs < 1 || p->bs > (64u << 20))
            return LPAE_ERANGE;
        if (parse_kind(p->src, true, &g->src) || parse_kind(p->dst, false, &g->dst))
            return LPAE_EINVAL;
    }
    if ((kind == LPAE_GEN_SMALLSYS || kind == LPAE_GEN_MIXED) &&
        (p->tasks < 1 || p->tasks > MAX_TASKS))
        return LPAE_ERANGE;
    if ((kind == LPAE_GEN_PROCS || kind == LPAE_GEN_MIXED) && p->procs < 1)
        return LPAE_ERANGE;
    return 0;
}

static const char *const kind_names[] = {NULL, "dd", "smallsys", "procs", "mixed"};

int lpae_gen_kind_from_name(const char *name, lpae_gen_kind *out)
{
    if (!name || !out)
        return LPAE_EINVAL;
    for (int i = 1; i <= 4; i++)
        if (!strcmp(name, kind_names[i])) {
            *out = (lpae_gen_kind)i;
            return 0;
        }
    return LPAE_EINVAL;
}

int lpae_gen_defaults(lpae_gen_kind kind, lpae_gen_params *p)
{
    if (!p || kind < LPAE_GEN_DD || kind > LPAE_GEN_MIXED)
        return LPAE_EINVAL;
    memset(p, 0, sizeof *p);
    p->bs = 65536;
    p->count = kind == LPAE_GEN_DD ? 1024 : kind == LPAE_GEN_PROCS ? 32 : 10000;
    snprintf(p->src, sizeof p->src, "file");
    snprintf(p->dst, sizeof p->dst, "null");
    p->tasks = 4;
    p->procs = kind == LPAE_GEN_MIXED ? 64 : 512;
    p->cpus = kind == LPAE_GEN_DD ? 1 : 2;
    p->touches = 0;
    p->seed = 1;
    return 0;
}

static int parse_size(const char *v, uint64_t *out)
{
    char buf[32];
    size_t n = strlen(v);
    if (!n || n >= sizeof buf)
        return LPAE_EPARSE;
    memcpy(buf, v, n + 1);
    uint64_t mul = 1;
    char last = buf[n - 1];
    if (last == 'k' || last == 'K')
        mul = 1024;
    else if (last == 'm' || last == 'M')
        mul = UINT64_C(1024) * 1024;
    else if (last == 'g' || last == 'G')
        mul = UINT64_C(1) << 30;
    if (mul > 1)
        buf[n - 1] = 0;
    uint64_t x;
    if (!tr_parse_u64(buf, &x) || (x && UINT64_MAX / x < mul))
        return LPAE_EPARSE;
    *out = x * mul;
    return 0;
}

/* The numeric parameters and their ranges (lpae_trace_gen() checks the
 * same ranges on the parameters a kind uses). */
static const struct {
    const char *key;
    uint64_t lo, hi;
} ranges[] = {
    {"bs", 1, 64u << 20},     {"count", 0, UINT32_MAX}, {"tasks", 1, MAX_TASKS},
    {"procs", 1, UINT32_MAX}, {"cpus", 1, MAX_CPUS},    {"touches", 0, 1024},
    {"seed", 0, UINT64_MAX},
};

int lpae_gen_param_range(const char *key, uint64_t *lo, uint64_t *hi)
{
    if (!key || !lo || !hi)
        return LPAE_EINVAL;
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (!strcmp(key, ranges[i].key)) {
            *lo = ranges[i].lo;
            *hi = ranges[i].hi;
            return 0;
        }
    return LPAE_EINVAL;
}

int lpae_gen_param_set(lpae_gen_params *p, const char *key, const char *value)
{
    if (!p || !key || !value)
        return LPAE_EINVAL;
    if (!strcmp(key, "src") || !strcmp(key, "dst")) {
        enum src_kind k;
        if (parse_kind(value, key[0] == 's', &k))
            return LPAE_EPARSE;
        snprintf(key[0] == 's' ? p->src : p->dst, sizeof p->src, "%s", value);
        return 0;
    }
    uint64_t v;
    if (parse_size(value, &v))
        return LPAE_EPARSE;
    if (!strcmp(key, "seed")) {
        p->seed = v;
        return 0;
    }
    uint64_t lo, hi;
    if (lpae_gen_param_range(key, &lo, &hi))
        return LPAE_EINVAL;
    if (v < lo || v > hi)
        return LPAE_ERANGE;
    uint32_t *f = !strcmp(key, "bs")        ? &p->bs
                  : !strcmp(key, "count")   ? &p->count
                  : !strcmp(key, "tasks")   ? &p->tasks
                  : !strcmp(key, "procs")   ? &p->procs
                  : !strcmp(key, "cpus")    ? &p->cpus
                  : !strcmp(key, "touches") ? &p->touches
                                            : NULL;
    if (!f)
        return LPAE_EINVAL;
    *f = (uint32_t)v;
    return 0;
}

static int header(struct gen *g, lpae_gen_kind kind)
{
    char v[64];
    const lpae_gen_params *p = &g->p;
    int e = lpae_trace_writer_header(g->w, "generator", "lpaesim gen");
    if (!e)
        e = lpae_trace_writer_header(g->w, "gen.kind", kind_names[kind]);
    if (!e)
        e = lpae_trace_writer_header(g->w, "gen.version", "1");
#define HDR(name, fmt, val)                                                                        \
    do {                                                                                           \
        snprintf(v, sizeof v, fmt, val);                                                           \
        if (!e)                                                                                    \
            e = lpae_trace_writer_header(g->w, "gen." name, v);                                    \
    } while (0)
    HDR("seed", "%" PRIu64, p->seed);
    HDR("bs", "%" PRIu32, p->bs);
    HDR("count", "%" PRIu32, p->count);
    HDR("src", "%s", p->src);
    HDR("dst", "%s", p->dst);
    HDR("tasks", "%" PRIu32, p->tasks);
    HDR("procs", "%" PRIu32, p->procs);
    HDR("cpus", "%" PRIu32, p->cpus);
    HDR("touches", "%" PRIu32, p->touches);
#undef HDR
    return e;
}

int lpae_trace_gen(lpae_gen_kind kind, const lpae_gen_params *p, lpae_trace_writer *w)
{
    if (!p || !w || kind < LPAE_GEN_DD || kind > LPAE_GEN_MIXED)
        return LPAE_EINVAL;
    struct gen *g = calloc(1, sizeof *g);
    if (!g)
        return LPAE_ENOMEM;
    g->w = w;
    g->p = *p;
    g->rng = p->seed;
    int e = check_params(kind, p, g);
    if (!e)
        e = header(g, kind);
    uint32_t nthreads = (kind == LPAE_GEN_SMALLSYS || kind == LPAE_GEN_MIXED) ? p->tasks : 0;
    size_t cap = 1 + nthreads + MAX_LIVE_PROCS;
    struct actor *act = e ? NULL : calloc(cap, sizeof *act);
    if (!e && !act)
        e = LPAE_ENOMEM;
    if (e) {
        free(g);
        return e;
    }
    size_t n = 0;
    g->next_task = 100;
    if (kind == LPAE_GEN_DD || kind == LPAE_GEN_MIXED) {
        struct actor *a = &act[n++];
        a->type = A_DD;
        a->alive = true;
        a->task = g->next_task++;
        a->cpu = 0;
        a->left = p->count;
        dd_start(g, a);
    }
    if (nthreads) {
        /* One process, its first thread cloning the others. */
        struct actor *lead = &act[n];
        for (uint32_t i = 0; i < nthreads; i++) {
            struct actor *a = &act[n++];
            a->type = A_SMALL;
            a->alive = true;
            a->task = g->next_task++;
            a->cpu = (uint8_t)(i % p->cpus);
            a->left = p->count;
            a->stack = 0xBEFFF000u - i * 0x00100000u;
            a->heap = 0x00100000u;
            if (i == 0) {
                run_on_cpu(g, a);
                acc(g, a, LPAE_TEV_EXEC, 0, 0, 0, 0);
            } else {
                run_on_cpu(g, lead);
                sys(g, lead, true, NR_CLONE, 0);
                lpae_tev ev = mk(lead, LPAE_TEV_FORK);
                ev.arg = a->task;
                ev.flags = LPAE_TEVF_THREAD;
                put(g, &ev);
                sys(g, lead, false, NR_CLONE, (int32_t)a->task);
            }
        }
    }
    uint32_t procs_left = (kind == LPAE_GEN_PROCS || kind == LPAE_GEN_MIXED) ? p->procs : 0;
    struct actor parent = {.type = A_PROC, .alive = true, .cpu = 0, .task = 1};
    size_t proc_base = n;
    uint32_t live_cap = p->cpus * 2 > MAX_LIVE_PROCS ? MAX_LIVE_PROCS : p->cpus * 2;
    size_t nproc_slots = 0;
    for (;;) {
        if (g->err)
            break;
        /* Spawn processes while there is room. */
        while (procs_left && nproc_slots < live_cap) {
            struct actor *a = &act[proc_base + nproc_slots++];
            memset(a, 0, sizeof *a);
            a->type = A_PROC;
            a->alive = true;
            a->task = g->next_task++;
            a->cpu = (uint8_t)(below(g, p->cpus));
            a->left = p->count;
            parent.cpu = a->cpu;
            run_on_cpu(g, &parent);
            sys(g, &parent, true, NR_CLONE, 0);
            lpae_tev ev = mk(&parent, LPAE_TEV_FORK);
            ev.arg = a->task;
            put(g, &ev);
            sys(g, &parent, false, NR_CLONE, (int32_t)a->task);
            procs_left--;
        }
        size_t total = proc_base + nproc_slots;
        size_t alive = 0;
        for (size_t i = 0; i < total; i++)
            alive += act[i].alive && (act[i].left || act[i].type == A_PROC);
        if (!alive)
            break;
        /* Pick a live actor at random (weights: equal). */
        size_t k = below(g, (uint32_t)alive);
        struct actor *a = NULL;
        for (size_t i = 0; i < total; i++) {
            if (!(act[i].alive && (act[i].left || act[i].type == A_PROC)))
                continue;
            if (k-- == 0) {
                a = &act[i];
                break;
            }
        }
        switch (a->type) {
        case A_DD:
            dd_step(g, a);
            if (!a->left) {
                run_on_cpu(g, a);
                sys(g, a, true, NR_EXIT_GROUP, 0);
                lpae_tev ev = mk(a, LPAE_TEV_EXIT);
                put(g, &ev);
                a->alive = false;
            }
            break;
        case A_SMALL:
            small_step(g, a);
            if (!a->left) {
                run_on_cpu(g, a);
                lpae_tev ev = mk(a, LPAE_TEV_EXIT);
                put(g, &ev);
                a->alive = false;
            }
            break;
        default:
            proc_step(g, a);
            if (!a->alive) /* reuse the slot: move the last live slot here */
                *a = act[proc_base + --nproc_slots];
            break;
        }
    }
    e = g->err;
    free(act);
    free(g);
    return e;
}
