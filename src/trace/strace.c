/* SPDX-License-Identifier: MIT */
/* Importer for `strace -f -e raw=all` output (docs/trace-format.md, "strace").
 *
 * Each syscall line becomes the user accesses the ARM kernel would make for
 * it; file data is split per page-cache page at file-page boundaries. x86-64
 * addresses are folded into a 32-bit ARM user layout per address space:
 * each 16 MiB x86 chunk gets a 16 MiB ARM slot, so page offsets and
 * locality inside a chunk are kept exactly. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "trace/internal.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) tr_alloc(r, (sz))
#define uthash_free(p, sz) tr_free(r, (p), (sz))
#define uthash_nonfatal_oom(obj) (r->oom = true)
#include <uthash.h>

#define CHUNK_SHIFT 24 /* 16 MiB folding granule */
#define NSLOTS_MAX 256
#define PEND_MAX 768 /* bytes of an unfinished line kept per task */
#define X86_HIGH_CHUNK (UINT64_C(0x7f0000000000) >> CHUNK_SHIFT)

/* Estimated sizes (bytes, ARM EABI layouts) used where raw=all hides them. */
#define SZ_STAT64 104     /* struct stat64 (arch/arm/include/uapi/asm/stat.h) */
#define SZ_STATX 256      /* struct statx */
#define SZ_TIMESPEC64 16  /* struct __kernel_timespec */
#define SZ_UTSNAME 390    /* struct new_utsname: 6 x 65 */
#define SZ_RUSAGE 72      /* struct rusage, 32-bit longs */
#define SZ_SYSINFO 64     /* struct sysinfo, 32-bit */
#define SZ_RLIMIT64 16    /* struct rlimit64 */
#define SZ_SIGACTION 20   /* struct sigaction: handler, flags, restorer, mask */
#define SZ_SIGSET 8       /* kernel sigset_t */
#define SZ_POLLFD 8       /* struct pollfd */
#define SZ_EPOLL_EVENT 16 /* struct epoll_event, EABI (not packed) */
#define SZ_MSGHDR 28      /* struct user_msghdr, 32-bit */
#define SZ_IOVEC 8        /* struct iovec, 32-bit */
#define SZ_SOCKADDR 16    /* returned address: estimate (sockaddr_in) */
#define SZ_TERMIOS 36     /* struct termios, NCCS = 19 */
#define SZ_WINSIZE 8      /* struct winsize */
#define SZ_FLOCK64 32     /* struct flock64, EABI (64-bit members 8-aligned) */
#define UIO_FASTIOV 8     /* iovec arrays up to this many live on the stack */

enum fdkind { FD_FILE = 1, FD_SOCKET = 2, FD_STREAM = 3 };

struct chunk {
    uint64_t x86; /* x86 chunk number */
    uint32_t slot;
    UT_hash_handle hh;
};

struct mm {
    uint32_t id;
    uint32_t refs;
    struct chunk *chunks;
    uint8_t used[NSLOTS_MAX / 8];
    UT_hash_handle hh;
};

struct fdkey {
    uint32_t mm;
    int32_t fd;
};
struct fdent {
    struct fdkey key;
    uint8_t kind;
    bool cloexec;
    uint32_t fileid;
    uint64_t off;
    UT_hash_handle hh;
};

struct task {
    uint32_t pid;
    uint32_t mm;
    bool pending;
    bool fork_done; /* pending clone: fork already emitted for its child */
    bool exited;
    char pend[PEND_MAX];
    UT_hash_handle hh;
};

struct st {
    struct task *tasks;
    struct mm *mms;
    struct fdent *fds;
    uint32_t next_mm, next_file;
    uint32_t cur;        /* task last seen on CPU 0 */
    bool saw_unprefixed; /* a line without a pid: stderr-style output */
    size_t carry_len;    /* head of a line cut by "strace: Process N attached" */
    char carry[LPAE_TRACE_LINE_MAX + 1];
    char joined[2 * LPAE_TRACE_LINE_MAX + 2];
    uint32_t nslots;
    uint32_t path_len;
    uint8_t inherited_kbuf;
    bool arm; /* ARM capture: no folding */
};

/* A parsed syscall line. */
#define MAXARGS 8
struct call {
    char name[40];
    uint64_t a[MAXARGS];
    bool num[MAXARGS];
    int nargs;
    bool has_ret; /* "= ?" has none */
    int64_t ret;
    char err[24]; /* "ENOENT", "ERESTARTSYS", "" */
};

/* ---- helpers ---------------------------------------------------------------- */
static struct st *S(lpae_trace_reader *r)
{
    return r->imp;
}

static int oom(lpae_trace_reader *r)
{
    r->oom = false;
    if (r->capped)
        return tr_fail(r, LPAE_ENOMEM,
                       "importer state over the memory cap of %zu bytes (%zu in use)",
                       r->o.mem_cap ? r->o.mem_cap : (size_t)256 << 20, r->mem);
    return tr_fail(r, LPAE_ENOMEM, "out of memory");
}

static struct mm *mm_find(lpae_trace_reader *r, uint32_t id)
{
    struct mm *m;
    HASH_FIND(hh, S(r)->mms, &id, sizeof id, m);
    return m;
}

static struct mm *mm_new(lpae_trace_reader *r)
{
    struct st *s = S(r);
    struct mm *m = tr_alloc(r, sizeof *m);
    if (!m)
        return NULL;
    m->id = ++s->next_mm;
    HASH_ADD(hh, s->mms, id, sizeof m->id, m);
    if (r->oom) {
        tr_free(r, m, sizeof *m);
        return NULL;
    }
    return m;
}

static void fds_drop(lpae_trace_reader *r, uint32_t mm, bool only_cloexec)
{
    struct st *s = S(r);
    struct fdent *f, *tmp;
    HASH_ITER(hh, s->fds, f, tmp)
    {
        if (f->key.mm == mm && (!only_cloexec || f->cloexec)) {
            HASH_DEL(s->fds, f);
            tr_free(r, f, sizeof *f);
        }
    }
}

static void mm_put(lpae_trace_reader *r, uint32_t id)
{
    struct mm *m = mm_find(r, id);
    if (!m || --m->refs)
        return;
    struct chunk *c, *tmp;
    HASH_ITER(hh, m->chunks, c, tmp)
    {
        HASH_DEL(m->chunks, c);
        tr_free(r, c, sizeof *c);
    }
    HASH_DEL(S(r)->mms, m);
    tr_free(r, m, sizeof *m);
    fds_drop(r, id, false);
}

static struct task *task_get(lpae_trace_reader *r, uint32_t pid, bool create)
{
    struct st *s = S(r);
    struct task *t;
    HASH_FIND(hh, s->tasks, &pid, sizeof pid, t);
    if (t || !create)
        return t;
    struct mm *m = mm_new(r);
    if (!m)
        return NULL;
    m->refs = 1;
    t = tr_alloc(r, sizeof *t);
    if (!t) {
        mm_put(r, m->id);
        return NULL;
    }
    t->pid = pid;
    t->mm = m->id;
    HASH_ADD(hh, s->tasks, pid, sizeof t->pid, t);
    if (r->oom) {
        tr_free(r, t, sizeof *t);
        mm_put(r, m->id);
        return NULL;
    }
    return t;
}

static void task_del(lpae_trace_reader *r, struct task *t)
{
    uint32_t mm = t->mm;
    HASH_DEL(S(r)->tasks, t);
    tr_free(r, t, sizeof *t);
    mm_put(r, mm);
}

static bool slot_used(const struct mm *m, uint32_t s)
{
    return m->used[s / 8] & (1u << (s % 8));
}

static void slot_take(struct mm *m, uint32_t s)
{
    m->used[s / 8] |= (uint8_t)(1u << (s % 8));
}

static struct chunk *chunk_find(struct mm *m, uint64_t x)
{
    struct chunk *c;
    HASH_FIND(hh, m->chunks, &x, sizeof x, c);
    return c;
}

/* ARM slot of x86 chunk @p x in @p m, assigning one if needed. */
static int chunk_slot(lpae_trace_reader *r, struct mm *m, uint64_t x, uint32_t *slot)
{
    struct chunk *c = chunk_find(m, x);
    if (c) {
        *slot = c->slot;
        return 0;
    }
    uint32_t n = S(r)->nslots, want = UINT32_MAX;
    struct chunk *nb;
    if (x == 0) {
        want = 0;
    } else if (x > 0 && (nb = chunk_find(m, x - 1)) && nb->slot + 1 < n &&
               !slot_used(m, nb->slot + 1)) {
        want = nb->slot + 1;
    } else if ((nb = chunk_find(m, x + 1)) && nb->slot > 1 && !slot_used(m, nb->slot - 1)) {
        want = nb->slot - 1;
    } else if (x < X86_HIGH_CHUNK) {
        for (uint32_t s = 1; s < n; s++)
            if (!slot_used(m, s)) {
                want = s;
                break;
            }
    } else {
        for (uint32_t s = n - 1; s >= 1; s--)
            if (!slot_used(m, s)) {
                want = s;
                break;
            }
    }
    if (want == UINT32_MAX || (want == 0 && slot_used(m, 0)))
        return tr_fail(r, LPAE_ENOSPC,
                       "address folding: more than %" PRIu32
                       " distinct 16 MiB regions in one address space",
                       n);
    c = tr_alloc(r, sizeof *c);
    if (!c)
        return oom(r);
    c->x86 = x;
    c->slot = want;
    HASH_ADD(hh, m->chunks, x86, sizeof c->x86, c);
    if (r->oom) {
        tr_free(r, c, sizeof *c);
        return oom(r);
    }
    slot_take(m, want);
    *slot = want;
    return 0;
}

/* Fold the x86 range [a, a+len) into ARM space; all its chunks are assigned
 * in order so that a contiguous region stays contiguous where possible. */
static int fold(lpae_trace_reader *r, struct task *t, uint64_t a, uint64_t len, uint32_t *out)
{
    struct mm *m = mm_find(r, t->mm);
    if (!m)
        return tr_fail(r, LPAE_ESTATE, "internal: task without address space");
    if (S(r)->arm) {
        if (a > UINT32_MAX || len > UINT32_MAX || a + len > (UINT64_C(1) << 32))
            return tr_fail(r, LPAE_EPARSE,
                           "range 0x%" PRIx64 "+0x%" PRIx64 " is not a 32-bit ARM address range", a,
                           len);
        *out = (uint32_t)a;
        return 0;
    }
    if (a >> 47)
        return tr_fail(r, LPAE_EPARSE, "user address 0x%" PRIx64 " is not an x86-64 user address",
                       a);
    uint32_t slot = 0;
    int e = chunk_slot(r, m, a >> CHUNK_SHIFT, &slot);
    if (e)
        return e;
    uint64_t last = len ? (a + len - 1) >> CHUNK_SHIFT : a >> CHUNK_SHIFT;
    for (uint64_t x = (a >> CHUNK_SHIFT) + 1; x <= last && x - (a >> CHUNK_SHIFT) < NSLOTS_MAX;
         x++) {
        uint32_t s2 = 0;
        if ((e = chunk_slot(r, m, x, &s2)) != 0)
            return e;
    }
    *out = slot << CHUNK_SHIFT | (uint32_t)(a & ((1u << CHUNK_SHIFT) - 1));
    return 0;
}

static lpae_tev base(struct task *t, unsigned kind)
{
    lpae_tev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = (uint8_t)kind;
    ev.cpu = 0;
    ev.task = t->pid;
    return ev;
}

static int push(lpae_trace_reader *r, const lpae_tev *ev)
{
    int e = tr_push(r, ev);
    return e ? tr_fail(r, LPAE_EOVERFLOW, "internal: too many events for one line") : 0;
}

/* A user access of @p kind at x86 address @p a. len is clamped so that the
 * folded range stays inside 32 bits. */
static int access_ev(lpae_trace_reader *r, struct task *t, unsigned kind, uint64_t a, uint64_t len,
                     unsigned kbuf)
{
    if (!a || !len)
        return 0;
    lpae_tev ev = base(t, kind);
    int e = fold(r, t, a, len, &ev.addr);
    if (e)
        return e;
    uint64_t room = (UINT64_C(1) << 32) - ev.addr;
    ev.len = (uint32_t)(len < room ? len : room);
    ev.kbuf = (uint8_t)kbuf;
    return push(r, &ev);
}

static int getput(lpae_trace_reader *r, struct task *t, unsigned kind, uint64_t a, unsigned size)
{
    if (!a)
        return 0;
    lpae_tev ev = base(t, kind);
    int e = fold(r, t, a, size, &ev.addr);
    if (e)
        return e;
    ev.len = size;
    return push(r, &ev);
}

static struct fdent *fd_find(lpae_trace_reader *r, struct task *t, int64_t fd)
{
    struct fdkey k;
    memset(&k, 0, sizeof k);
    k.mm = t->mm;
    k.fd = (int32_t)fd;
    struct fdent *f;
    HASH_FIND(hh, S(r)->fds, &k, sizeof k, f);
    return f;
}

static int fd_set(lpae_trace_reader *r, struct task *t, int64_t fd, unsigned kind, bool cloexec,
                  uint32_t fileid, uint64_t off)
{
    if (fd < 0 || fd > INT32_MAX)
        return 0;
    struct fdent *f = fd_find(r, t, fd);
    if (!f) {
        f = tr_alloc(r, sizeof *f);
        if (!f)
            return oom(r);
        f->key.mm = t->mm;
        f->key.fd = (int32_t)fd;
        HASH_ADD(hh, S(r)->fds, key, sizeof f->key, f);
        if (r->oom) {
            tr_free(r, f, sizeof *f);
            return oom(r);
        }
    }
    f->kind = (uint8_t)kind;
    f->cloexec = cloexec;
    f->fileid = fileid ? fileid : ++S(r)->next_file;
    f->off = off;
    return 0;
}

static void fd_close(lpae_trace_reader *r, struct task *t, int64_t fd)
{
    struct fdent *f = fd_find(r, t, fd);
    if (f) {
        HASH_DEL(S(r)->fds, f);
        tr_free(r, f, sizeof *f);
    }
}

/* Data moved between user [a, +n) and fd: split per kernel page.
 * @p off_arg >= 0 is an explicit file offset (pread/pwrite). */
static int data(lpae_trace_reader *r, struct task *t, unsigned kind, int64_t fd, uint64_t a,
                uint64_t n, int64_t off_arg)
{
    if (!n || !a)
        return 0;
    struct fdent *f = fd_find(r, t, fd);
    if (!f) {
        /* Inherited stream (stdin/stdout/pipe): give it an entry. */
        int e = fd_set(r, t, fd, FD_STREAM, false, 0, 0);
        if (e)
            return e;
        f = fd_find(r, t, fd);
        if (!f)
            return 0;
    }
    unsigned kbuf = f->kind == FD_FILE     ? LPAE_KBUF_PAGECACHE
                    : f->kind == FD_SOCKET ? LPAE_KBUF_SLAB
                                           : S(r)->inherited_kbuf;
    uint64_t off = off_arg >= 0 ? (uint64_t)off_arg : f->off;
    lpae_tev ev = base(t, kind);
    int e = fold(r, t, a, n, &ev.addr);
    if (e)
        return e;
    uint64_t room = (UINT64_C(1) << 32) - ev.addr;
    ev.len = (uint32_t)(n < room ? n : room);
    ev.kbuf = (uint8_t)kbuf;
    if (off_arg < 0)
        f->off += n;
    if (f->kind == FD_SOCKET) /* skb data: one copy per page of the transfer */
        off = 0;
    e = tr_push_split(r, &ev, f->fileid, off);
    return e ? tr_fail(r, LPAE_EOVERFLOW, "internal: too many events for one line") : 0;
}

/* ---- line parsing ------------------------------------------------------------ */
static char *skip_ws(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Split "a, b, c" (top level; raw=all prints no nested structures, but
 * brackets are honoured anyway) into numbers where they are numbers. */
static void parse_args(char *s, struct call *c)
{
    c->nargs = 0;
    s = skip_ws(s);
    if (!*s)
        return;
    int depth = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (*p == '{' || *p == '[' || *p == '(')
            depth++;
        else if ((*p == '}' || *p == ']' || *p == ')') && depth > 0)
            depth--;
        if ((*p == ',' && depth == 0) || !*p) {
            char save = *p;
            *p = 0;
            char *tok = skip_ws(start);
            size_t l = strlen(tok);
            while (l && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
                tok[--l] = 0;
            if (c->nargs < MAXARGS) {
                uint64_t v = 0;
                int64_t sv;
                bool ok = tr_parse_u64(tok, &v);
                if (!ok && tr_parse_i64(tok, &sv)) {
                    v = (uint64_t)sv;
                    ok = true;
                }
                c->a[c->nargs] = v;
                c->num[c->nargs] = ok;
                c->nargs++;
            }
            if (!save)
                break;
            start = p + 1;
        }
    }
}

/* Parse "ARGS) = RET [ERR (text)] [<dur>]" in @p s. */
static int parse_tail(lpae_trace_reader *r, char *s, struct call *c)
{
    /* The last ')' followed by blanks (strace pads to a column) and "= ". */
    char *eq = NULL, *rv = NULL;
    for (char *p = strchr(s, ')'); p; p = strchr(p + 1, ')')) {
        char *q = skip_ws(p + 1);
        if (q[0] == '=' && q[1] == ' ') {
            eq = p;
            rv = q + 2;
        }
    }
    if (!eq)
        return tr_fail(r, LPAE_EPARSE, "expected 'name(args) = result'");
    *eq = 0;
    parse_args(s, c);
    rv = skip_ws(rv);
    c->err[0] = 0;
    if (*rv == '?') {
        c->has_ret = false;
        rv++;
    } else {
        char *end = rv;
        while (*end && *end != ' ')
            end++;
        char save = *end;
        *end = 0;
        int64_t v;
        uint64_t u;
        if (tr_parse_i64(rv, &v)) {
            c->ret = v;
        } else if (tr_parse_u64(rv, &u)) {
            c->ret = (int64_t)u;
        } else {
            return tr_fail(r, LPAE_EPARSE, "expected a return value, got '%.30s'", rv);
        }
        c->has_ret = true;
        *end = save;
        rv = end;
    }
    rv = skip_ws(rv);
    if (*rv == 'E') {
        size_t i = 0;
        while (rv[i] &&
               (isupper((unsigned char)rv[i]) || isdigit((unsigned char)rv[i]) || rv[i] == '_') &&
               i + 1 < sizeof c->err) {
            c->err[i] = rv[i];
            i++;
        }
        c->err[i] = 0;
    }
    return 0;
}

static bool is(const struct call *c, const char *n)
{
    return !strcmp(c->name, n);
}

static bool any(const struct call *c, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(c->name, *names))
            return true;
    return false;
}

/* errno values meaning "the kernel looked the path up and it failed". */
static bool path_error(const char *err)
{
    static const char *const e[] = {
        "ENOENT",  "ENOTDIR",      "EACCES", "EEXIST",    "ELOOP",  "EPERM",
        "EROFS",   "ENAMETOOLONG", "EISDIR", "ENOTEMPTY", "EXDEV",  "EBUSY",
        "ENOEXEC", "ETXTBSY",      "ENXIO",  "ENODEV",    "EINVAL", NULL};
    for (int i = 0; e[i]; i++)
        if (!strcmp(err, e[i]))
            return true;
    return false;
}

/* Argument index of the path string(s), or -1. */
static int path_arg(const struct call *c, int *second)
{
    static const char *const p0[] = {
        "open",       "creat",       "stat",         "lstat",    "access",    "unlink",
        "mkdir",      "rmdir",       "chdir",        "chmod",    "chown",     "lchown",
        "readlink",   "truncate",    "execve",       "statfs",   "chroot",    "utimes",
        "utime",      "getxattr",    "lgetxattr",    "setxattr", "lsetxattr", "listxattr",
        "llistxattr", "removexattr", "lremovexattr", "mknod",    "uselib",    "acct",
        "swapon",     "swapoff",     "stat64",       "lstat64",  NULL};
    static const char *const p1[] = {
        "openat",    "newfstatat",        "fstatat64", "faccessat", "faccessat2",
        "unlinkat",  "mkdirat",           "fchmodat",  "fchownat",  "readlinkat",
        "statx",     "execveat",          "utimensat", "mknodat",   "openat2",
        "futimesat", "name_to_handle_at", "fchmodat2", NULL};
    *second = -1;
    if (any(c, p0))
        return 0;
    if (any(c, p1))
        return 1;
    if (is(c, "rename") || is(c, "link") || is(c, "symlink")) {
        *second = 1;
        return 0;
    }
    if (is(c, "renameat") || is(c, "renameat2") || is(c, "linkat")) {
        *second = 3;
        return 1;
    }
    if (is(c, "symlinkat")) {
        *second = 2;
        return 0;
    }
    return -1;
}

static bool streq_pfx(const char *a, const char *b)
{
    return !strncmp(a, b, strlen(b));
}

/* ioctl with a known argument size: the generic _IOC encoding, plus the
 * classic tty requests whose encoding carries no size. */
static int do_ioctl(lpae_trace_reader *r, struct task *t, const struct call *c)
{
    if (c->nargs < 3 || !c->num[1] || !c->num[2])
        return 0;
    uint32_t req = (uint32_t)c->a[1];
    uint64_t arg = c->a[2];
    switch (req) {
    case 0x5401: /* TCGETS */
        return access_ev(r, t, LPAE_TEV_COPY_TO_USER, arg, SZ_TERMIOS, LPAE_KBUF_STACK);
    case 0x5402: /* TCSETS */
    case 0x5403: /* TCSETSW */
    case 0x5404: /* TCSETSF */
        return access_ev(r, t, LPAE_TEV_COPY_FROM_USER, arg, SZ_TERMIOS, LPAE_KBUF_STACK);
    case 0x5413: /* TIOCGWINSZ */
        return access_ev(r, t, LPAE_TEV_COPY_TO_USER, arg, SZ_WINSIZE, LPAE_KBUF_STACK);
    case 0x5414: /* TIOCSWINSZ */
        return access_ev(r, t, LPAE_TEV_COPY_FROM_USER, arg, SZ_WINSIZE, LPAE_KBUF_STACK);
    case 0x540F: /* TIOCGPGRP */
    case 0x541B: /* FIONREAD */
        return getput(r, t, LPAE_TEV_PUT_USER, arg, 4);
    case 0x5410: /* TIOCSPGRP */
    case 0x5421: /* FIONBIO */
        return getput(r, t, LPAE_TEV_GET_USER, arg, 4);
    default:
        break;
    }
    uint32_t dir = req >> 30, size = (req >> 16) & 0x3FFF;
    if (!size || !dir)
        return 0;
    int e = 0;
    if (dir & 1) /* _IOC_WRITE: user -> kernel */
        e = access_ev(r, t, LPAE_TEV_COPY_FROM_USER, arg, size, LPAE_KBUF_STACK);
    if (!e && (dir & 2)) /* _IOC_READ: kernel -> user */
        e = access_ev(r, t, LPAE_TEV_COPY_TO_USER, arg, size, LPAE_KBUF_STACK);
    return e;
}

static unsigned prot_bits(uint64_t p)
{
    return (unsigned)(p & 7u); /* PROT_READ/WRITE/EXEC are 1/2/4 on both */
}

/* x86-64 clone flags. */
#define X_CLONE_VM 0x100u
#define X_CLONE_PARENT_SETTID 0x100000u
#define X_O_CLOEXEC 0x80000u
#define X_MAP_SHARED 0x01u
#define X_MAP_FIXED 0x10u
#define X_MAP_ANON 0x20u

static int emit_fork(lpae_trace_reader *r, struct task *t, uint32_t child, bool thread)
{
    struct task *ct = task_get(r, child, false);
    if (!ct) {
        ct = task_get(r, child, true);
        if (!ct)
            return oom(r);
    }
    /* Child gets the parent's address space (thread/vfork) or a copy. */
    if (ct->mm != t->mm) {
        uint32_t old = ct->mm;
        struct mm *pm = mm_find(r, t->mm);
        if (thread) {
            ct->mm = t->mm;
            if (pm)
                pm->refs++;
        } else {
            struct mm *nm = mm_new(r);
            if (!nm)
                return oom(r);
            nm->refs = 1;
            ct->mm = nm->id;
            if (pm) {
                memcpy(nm->used, pm->used, sizeof nm->used);
                struct chunk *c, *tmp;
                HASH_ITER(hh, pm->chunks, c, tmp)
                {
                    struct chunk *d = tr_alloc(r, sizeof *d);
                    if (!d)
                        return oom(r);
                    d->x86 = c->x86;
                    d->slot = c->slot;
                    HASH_ADD(hh, nm->chunks, x86, sizeof d->x86, d);
                    if (r->oom) {
                        tr_free(r, d, sizeof *d);
                        return oom(r);
                    }
                }
                struct fdent *f, *ftmp;
                HASH_ITER(hh, S(r)->fds, f, ftmp)
                {
                    if (f->key.mm != t->mm)
                        continue;
                    struct fdkey k;
                    memset(&k, 0, sizeof k);
                    k.mm = nm->id;
                    k.fd = f->key.fd;
                    struct fdent *g;
                    HASH_FIND(hh, S(r)->fds, &k, sizeof k, g);
                    if (g)
                        continue;
                    g = tr_alloc(r, sizeof *g);
                    if (!g)
                        return oom(r);
                    *g = *f;
                    memset(&g->hh, 0, sizeof g->hh);
                    g->key = k;
                    HASH_ADD(hh, S(r)->fds, key, sizeof g->key, g);
                    if (r->oom) {
                        tr_free(r, g, sizeof *g);
                        return oom(r);
                    }
                }
            }
        }
        mm_put(r, old);
    }
    lpae_tev ev = base(t, LPAE_TEV_FORK);
    ev.arg = child;
    ev.flags = thread ? LPAE_TEVF_THREAD : 0;
    return push(r, &ev);
}

/* exec: a fresh address space (and fold map); open fds without
 * close-on-exec move over to it. */
static int exec_mm(lpae_trace_reader *r, struct task *t)
{
    struct mm *nm = mm_new(r);
    if (!nm)
        return oom(r);
    nm->refs = 1;
    uint32_t old = t->mm;
    struct mm *om = mm_find(r, old);
    bool shared = om && om->refs > 1;
    struct fdent *f, *ftmp;
    HASH_ITER(hh, S(r)->fds, f, ftmp)
    {
        if (f->key.mm != old || f->cloexec)
            continue;
        struct fdent *g = tr_alloc(r, sizeof *g);
        if (!g)
            return oom(r);
        *g = *f;
        memset(&g->hh, 0, sizeof g->hh);
        g->key.mm = nm->id;
        HASH_ADD(hh, S(r)->fds, key, sizeof g->key, g);
        if (r->oom) {
            tr_free(r, g, sizeof *g);
            return oom(r);
        }
        if (!shared) {
            HASH_DEL(S(r)->fds, f);
            tr_free(r, f, sizeof *f);
        }
    }
    t->mm = nm->id;
    mm_put(r, old);
    return 0;
}

static bool is_clone(const char *n)
{
    return !strcmp(n, "clone") || !strcmp(n, "clone3") || !strcmp(n, "fork") || !strcmp(n, "vfork");
}

static bool clone_thread(const struct call *c, const char *pend_args)
{
    /* vfork shares the mm until exec. clone3 keeps its flags in memory that
     * raw=all does not show; glibc calls it for pthread_create and
     * posix_spawn, both with CLONE_VM, and fork() uses clone: so clone3 is
     * taken as CLONE_VM (docs: an assumption). */
    if (!strcmp(c->name, "vfork") || !strcmp(c->name, "clone3"))
        return true;
    if (!strcmp(c->name, "clone")) {
        uint64_t fl;
        if (c->nargs >= 1 && c->num[0])
            return (c->a[0] & X_CLONE_VM) != 0;
        if (pend_args) {
            char tmp[32];
            size_t i = 0;
            while (pend_args[i] && pend_args[i] != ',' && i + 1 < sizeof tmp) {
                tmp[i] = pend_args[i];
                i++;
            }
            tmp[i] = 0;
            if (tr_parse_u64(tmp, &fl))
                return (fl & X_CLONE_VM) != 0;
        }
    }
    return false; /* fork */
}

/* The accesses and exit of a completed call. */
static int complete(lpae_trace_reader *r, struct task *t, struct call *c, uint32_t sysno)
{
    int e = 0;
    bool ok = c->has_ret && c->ret >= 0 && !c->err[0];
    int64_t ret = c->ret;
    int64_t exit_ret = c->ret; /* x86 addresses are replaced by folded ones */
    const uint64_t *a = c->a;
#define ARG(i) (c->nargs > (i) && c->num[i] ? a[i] : 0)
#define TRY(x)                                                                                     \
    do {                                                                                           \
        if ((e = (x)) != 0)                                                                        \
            return e;                                                                              \
    } while (0)

    /* Path strings: fetched before the lookup, so also on lookup errors. */
    int p2, p1 = path_arg(c, &p2);
    if (p1 >= 0 && (ok || path_error(c->err))) {
        TRY(access_ev(r, t, LPAE_TEV_STRNCPY_FROM_USER, ARG(p1), S(r)->path_len, LPAE_KBUF_SLAB));
        if (p2 >= 0)
            TRY(access_ev(r, t, LPAE_TEV_STRNCPY_FROM_USER, ARG(p2), S(r)->path_len,
                          LPAE_KBUF_SLAB));
    }
    if (ok) {
        const char *n = c->name;
        static const char *const reads[] = {"read", "pread64", "recv", "recvfrom", NULL};
        static const char *const writes[] = {"write", "pwrite64", "send", "sendto", NULL};
        static const char *const vreads[] = {"readv", "preadv", "preadv2", NULL};
        static const char *const vwrites[] = {"writev", "pwritev", "pwritev2", NULL};
        if (any(c, reads)) {
            int64_t off = is(c, "pread64") ? (int64_t)ARG(3) : -1;
            TRY(data(r, t, LPAE_TEV_COPY_TO_USER, (int64_t)ARG(0), ARG(1), (uint64_t)ret, off));
            if (is(c, "recvfrom") && ARG(4) && ARG(5)) {
                TRY(getput(r, t, LPAE_TEV_GET_USER, ARG(5), 4));
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(4), SZ_SOCKADDR, LPAE_KBUF_STACK));
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(5), 4));
            }
        } else if (any(c, writes)) {
            if (is(c, "sendto") && ARG(4) && ARG(5))
                TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(4), ARG(5) & 0xFFFF,
                              LPAE_KBUF_STACK));
            int64_t off = is(c, "pwrite64") ? (int64_t)ARG(3) : -1;
            TRY(data(r, t, LPAE_TEV_COPY_FROM_USER, (int64_t)ARG(0), ARG(1), (uint64_t)ret, off));
        } else if (any(c, vreads) || any(c, vwrites)) {
            bool rd = any(c, vreads);
            uint64_t cnt = ARG(2) > 1024 ? 1024 : ARG(2);
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(1), cnt * SZ_IOVEC,
                          cnt <= UIO_FASTIOV ? LPAE_KBUF_STACK : LPAE_KBUF_SLAB));
            int64_t off = streq_pfx(n, "preadv") || streq_pfx(n, "pwritev") ? (int64_t)ARG(3) : -1;
            /* raw=all hides the iovecs: the data is placed at the iovec
             * array's address (docs: an approximation). */
            TRY(data(r, t, rd ? LPAE_TEV_COPY_TO_USER : LPAE_TEV_COPY_FROM_USER, (int64_t)ARG(0),
                     ARG(1), (uint64_t)ret, off));
        } else if (is(c, "sendmsg") || is(c, "recvmsg")) {
            bool rd = is(c, "recvmsg");
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(1), SZ_MSGHDR, LPAE_KBUF_STACK));
            TRY(data(r, t, rd ? LPAE_TEV_COPY_TO_USER : LPAE_TEV_COPY_FROM_USER, (int64_t)ARG(0),
                     ARG(1), (uint64_t)ret, -1));
        } else if (is(c, "getdents64") || is(c, "getdents") || is(c, "readlink") ||
                   is(c, "readlinkat") || is(c, "getcwd")) {
            uint64_t buf = is(c, "readlink") ? ARG(1)
                           : is(c, "getcwd") ? ARG(0)
                                             : ARG(is(c, "readlinkat") ? 2 : 1);
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, buf, (uint64_t)ret, LPAE_KBUF_SLAB));
        } else if (is(c, "getrandom")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(0), (uint64_t)ret, LPAE_KBUF_STACK));
        } else if (is(c, "newfstatat") || is(c, "fstatat64") || is(c, "stat") || is(c, "lstat") ||
                   is(c, "fstat") || is(c, "stat64") || is(c, "lstat64") || is(c, "fstat64")) {
            uint64_t buf = (is(c, "newfstatat") || is(c, "fstatat64")) ? ARG(2) : ARG(1);
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, buf, SZ_STAT64, LPAE_KBUF_STACK));
        } else if (is(c, "statx")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(4), SZ_STATX, LPAE_KBUF_STACK));
        } else if (is(c, "openat") || is(c, "open") || is(c, "creat") || is(c, "openat2")) {
            uint64_t fl = is(c, "openat") ? ARG(2) : is(c, "open") ? ARG(1) : 0;
            TRY(fd_set(r, t, ret, FD_FILE, (fl & X_O_CLOEXEC) != 0, 0, 0));
        } else if (is(c, "socket") || is(c, "accept") || is(c, "accept4")) {
            if (!is(c, "socket") && ARG(1) && ARG(2)) {
                TRY(getput(r, t, LPAE_TEV_GET_USER, ARG(2), 4));
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(1), SZ_SOCKADDR, LPAE_KBUF_STACK));
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(2), 4));
            }
            TRY(fd_set(r, t, ret, FD_SOCKET, false, 0, 0));
        } else if (is(c, "connect") || is(c, "bind")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(1), ARG(2) & 0xFFFF, LPAE_KBUF_STACK));
        } else if (is(c, "dup") || is(c, "dup2") || is(c, "dup3") ||
                   ((is(c, "fcntl") || is(c, "fcntl64")) && (ARG(1) == 0 || ARG(1) == 1030))) {
            struct fdent *f = fd_find(r, t, (int64_t)ARG(0));
            if (f) {
                struct fdent copy = *f;
                TRY(fd_set(r, t, ret, copy.kind, false, copy.fileid, copy.off));
            }
        } else if ((is(c, "fcntl") || is(c, "fcntl64")) &&
                   (ARG(1) == 5 || ARG(1) == 6 || ARG(1) == 7 || (ARG(1) >= 12 && ARG(1) <= 14) ||
                    (ARG(1) >= 36 && ARG(1) <= 38))) {
            /* record locks: F_GETLK/SETLK/SETLKW, their 64-bit and OFD forms;
             * struct flock64 in, and out again for the GETLK forms */
            uint64_t cmd = ARG(1);
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(2), SZ_FLOCK64, LPAE_KBUF_STACK));
            if (cmd == 5 || cmd == 12 || cmd == 36)
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(2), SZ_FLOCK64, LPAE_KBUF_STACK));
        } else if (is(c, "close")) {
            fd_close(r, t, (int64_t)ARG(0));
        } else if (is(c, "lseek")) {
            struct fdent *f = fd_find(r, t, (int64_t)ARG(0));
            if (f)
                f->off = (uint64_t)ret;
        } else if (is(c, "_llseek")) { /* ARM: (fd, hi, lo, loff_t *result, whence) */
            struct fdent *f = fd_find(r, t, (int64_t)ARG(0));
            if (f && ARG(4) == 0)
                f->off = (ARG(1) << 32) | (ARG(2) & 0xFFFFFFFFu);
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(3), 8, LPAE_KBUF_STACK));
        } else if (is(c, "ioctl")) {
            TRY(do_ioctl(r, t, c));
        } else if (is(c, "mmap") || is(c, "mmap2")) {
            lpae_tev ev = base(t, LPAE_TEV_MMAP);
            TRY(fold(r, t, (uint64_t)ret, ARG(1), &ev.addr));
            uint64_t room = (UINT64_C(1) << 32) - ev.addr;
            ev.len = (uint32_t)(ARG(1) < room ? ARG(1) : room);
            uint64_t fl = ARG(3);
            ev.flags = (uint8_t)(prot_bits(ARG(2)) | ((fl & X_MAP_SHARED) ? LPAE_MAP_SHARED : 0) |
                                 ((fl & X_MAP_ANON) ? LPAE_MAP_ANON : 0) |
                                 ((fl & X_MAP_FIXED) ? LPAE_MAP_FIXED : 0));
            exit_ret = (int32_t)ev.addr;
            TRY(push(r, &ev));
        } else if (is(c, "munmap") || is(c, "mprotect")) {
            lpae_tev ev = base(t, is(c, "munmap") ? LPAE_TEV_MUNMAP : LPAE_TEV_MPROTECT);
            TRY(fold(r, t, ARG(0), ARG(1), &ev.addr));
            uint64_t room = (UINT64_C(1) << 32) - ev.addr;
            ev.len = (uint32_t)(ARG(1) < room ? ARG(1) : room);
            if (ev.kind == LPAE_TEV_MPROTECT)
                ev.flags = (uint8_t)prot_bits(ARG(2));
            TRY(push(r, &ev));
        } else if (is(c, "brk")) {
            lpae_tev ev = base(t, LPAE_TEV_BRK);
            TRY(fold(r, t, (uint64_t)ret, 0, &ev.addr));
            exit_ret = (int32_t)ev.addr;
            TRY(push(r, &ev));
        } else if (is(c, "futex")) {
            unsigned op = (unsigned)(ARG(1) & 0x7F);
            if (op == 0 || op == 9 || op == 4 ||
                op == 5) /* WAIT, WAIT_BITSET, CMP_REQUEUE, WAKE_OP */
                TRY(getput(r, t, LPAE_TEV_GET_USER, ARG(0), 4));
        } else if (is(c, "poll") || is(c, "ppoll")) {
            uint64_t nfds = ARG(1) > 4096 ? 4096 : ARG(1);
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(0), nfds * SZ_POLLFD,
                          LPAE_KBUF_STACK));
            /* revents of each pollfd go back with __put_user; one per entry
             * would overflow the queue for big sets, so they are a copy. */
            if (nfds <= 8) {
                for (uint64_t i = 0; i < nfds; i++)
                    TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(0) + i * SZ_POLLFD + 6, 2));
            } else {
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(0), nfds * SZ_POLLFD,
                              LPAE_KBUF_STACK));
            }
        } else if (is(c, "epoll_wait") || is(c, "epoll_pwait")) {
            uint64_t nev = (uint64_t)ret > 8 ? 8 : (uint64_t)ret;
            for (uint64_t i = 0; i < nev; i++) {
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(1) + i * SZ_EPOLL_EVENT, 4));
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(1) + i * SZ_EPOLL_EVENT + 8, 8));
            }
            if ((uint64_t)ret > nev)
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(1) + nev * SZ_EPOLL_EVENT,
                              ((uint64_t)ret - nev) * SZ_EPOLL_EVENT, LPAE_KBUF_STACK));
        } else if (is(c, "epoll_ctl")) {
            if (ARG(1) != 2) /* not EPOLL_CTL_DEL */
                TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(3), SZ_EPOLL_EVENT,
                              LPAE_KBUF_STACK));
        } else if (is(c, "clock_gettime") || is(c, "clock_getres") || is(c, "gettimeofday")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, is(c, "gettimeofday") ? ARG(0) : ARG(1),
                          SZ_TIMESPEC64, LPAE_KBUF_STACK));
        } else if (is(c, "nanosleep") || is(c, "clock_nanosleep")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, is(c, "nanosleep") ? ARG(0) : ARG(2),
                          SZ_TIMESPEC64, LPAE_KBUF_STACK));
        } else if (is(c, "uname")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(0), SZ_UTSNAME, LPAE_KBUF_STACK));
        } else if (is(c, "sysinfo")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(0), SZ_SYSINFO, LPAE_KBUF_STACK));
        } else if (is(c, "rt_sigaction")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(1), SZ_SIGACTION, LPAE_KBUF_STACK));
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(2), SZ_SIGACTION, LPAE_KBUF_STACK));
        } else if (is(c, "rt_sigprocmask")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(1), SZ_SIGSET, LPAE_KBUF_STACK));
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(2), SZ_SIGSET, LPAE_KBUF_STACK));
        } else if (is(c, "prlimit64") || is(c, "getrlimit") || is(c, "setrlimit")) {
            if (is(c, "prlimit64")) {
                TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(2), SZ_RLIMIT64, LPAE_KBUF_STACK));
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(3), SZ_RLIMIT64, LPAE_KBUF_STACK));
            } else {
                TRY(access_ev(r, t,
                              is(c, "getrlimit") ? LPAE_TEV_COPY_TO_USER : LPAE_TEV_COPY_FROM_USER,
                              ARG(1), SZ_RLIMIT64, LPAE_KBUF_STACK));
            }
        } else if (is(c, "wait4")) {
            if (ret > 0) {
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(1), 4));
                TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(3), SZ_RUSAGE, LPAE_KBUF_STACK));
            }
        } else if (is(c, "pipe") || is(c, "pipe2")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(0), 8, LPAE_KBUF_STACK));
        } else if (is(c, "getrusage")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_TO_USER, ARG(1), SZ_RUSAGE, LPAE_KBUF_STACK));
        } else if (is(c, "clone3")) {
            TRY(access_ev(r, t, LPAE_TEV_COPY_FROM_USER, ARG(0), ARG(1), LPAE_KBUF_STACK));
        } else if (is(c, "clone")) {
            if (ARG(0) & X_CLONE_PARENT_SETTID)
                TRY(getput(r, t, LPAE_TEV_PUT_USER, ARG(2), 4));
        } else if (is(c, "execve") || is(c, "execveat")) {
            TRY(exec_mm(r, t));
            lpae_tev ev = base(t, LPAE_TEV_EXEC);
            TRY(push(r, &ev));
        }
        if (is_clone(n) && ret > 0 && !t->fork_done)
            TRY(emit_fork(r, t, (uint32_t)ret, clone_thread(c, NULL)));
    }
    t->fork_done = false;
    if (c->has_ret) {
        lpae_tev ev = base(t, LPAE_TEV_SYS_EXIT);
        ev.sysno = sysno;
        int64_t rv = exit_ret;
        if (c->err[0] && rv == -1) {
            /* strace prints -1 and the errno name; the kernel returned
             * -errno. Known restart codes keep their kernel values. */
            static const struct {
                const char *n;
                int v;
            } codes[] = {{"ERESTARTSYS", 512},
                         {"ERESTARTNOINTR", 513},
                         {"ERESTARTNOHAND", 514},
                         {"ERESTART_RESTARTBLOCK", 516},
                         {"EPERM", 1},
                         {"ENOENT", 2},
                         {"EINTR", 4},
                         {"EIO", 5},
                         {"EBADF", 9},
                         {"EAGAIN", 11},
                         {"ENOMEM", 12},
                         {"EACCES", 13},
                         {"EFAULT", 14},
                         {"EEXIST", 17},
                         {"ENOTDIR", 20},
                         {"EISDIR", 21},
                         {"EINVAL", 22},
                         {"ENOTTY", 25},
                         {"ESPIPE", 29},
                         {"ERANGE", 34},
                         {"ENOSYS", 38}};
            for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
                if (!strcmp(c->err, codes[i].n))
                    rv = -codes[i].v;
        }
        ev.ret = rv < INT32_MIN ? INT32_MIN : rv > INT32_MAX ? INT32_MAX : (int32_t)rv;
        TRY(push(r, &ev));
    } else if (c->err[0]) {
        /* "= ? ERESTARTNOHAND": interrupted and restarted; no copies. */
        lpae_tev ev = base(t, LPAE_TEV_SYS_EXIT);
        ev.sysno = sysno;
        ev.ret = !strcmp(c->err, "ERESTARTSYS")      ? -512
                 : !strcmp(c->err, "ERESTARTNOINTR") ? -513
                 : !strcmp(c->err, "ERESTARTNOHAND") ? -514
                                                     : -516;
        TRY(push(r, &ev));
    } else if (is(c, "exit_group") || is(c, "exit")) {
        lpae_tev ev = base(t, LPAE_TEV_EXIT);
        ev.ret = (int32_t)ARG(0);
        TRY(push(r, &ev));
        t->exited = true;
    }
    return 0;
#undef ARG
#undef TRY
}

static int switch_to(lpae_trace_reader *r, struct task *t)
{
    struct st *s = S(r);
    if (s->cur == t->pid)
        return 0;
    lpae_tev ev = base(t, LPAE_TEV_SWITCH);
    ev.arg = s->cur;
    s->cur = t->pid;
    return push(r, &ev);
}

static int name_of(lpae_trace_reader *r, const char *s, char *name, size_t n, const char **rest)
{
    size_t i = 0;
    while (s[i] && (isalnum((unsigned char)s[i]) || s[i] == '_')) {
        if (i + 1 >= n)
            return tr_fail(r, LPAE_EPARSE, "syscall name too long");
        name[i] = s[i];
        i++;
    }
    name[i] = 0;
    if (!i)
        return tr_fail(r, LPAE_EPARSE, "expected a syscall name, got '%.30s'", s);
    *rest = s + i;
    return 0;
}

static int strace_line(lpae_trace_reader *r, char *line)
{
    struct st *s = S(r);
    char *p = skip_ws(line);
    if (!*p)
        return 0;
    uint32_t pid = s->cur ? s->cur : 0;
    bool have_pid = false;
    /* "[pid  123] " or "123  " */
    if (!strncmp(p, "[pid", 4)) {
        char *q = skip_ws(p + 4), *end;
        unsigned long v = strtoul(q, &end, 10);
        if (end == q || *end != ']' || v == 0 || v > UINT32_MAX)
            return tr_fail(r, LPAE_EPARSE, "bad '[pid N]' prefix");
        pid = (uint32_t)v;
        have_pid = true;
        p = skip_ws(end + 1);
    } else if (isdigit((unsigned char)*p)) {
        char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == ' ' || *q == '\t') {
            uint64_t v;
            *q = 0;
            if (!tr_parse_u64(p, &v) || v == 0 || v > UINT32_MAX)
                return tr_fail(r, LPAE_EPARSE, "bad pid '%s'", p);
            pid = (uint32_t)v;
            have_pid = true;
            p = skip_ws(q + 1);
        }
    }
    if (!have_pid) {
        pid = r->o.import.default_task ? r->o.import.default_task : 1;
        s->saw_unprefixed = true;
    }
    /* Timestamps: -t "HH:MM:SS", -tt "HH:MM:SS.ffffff", -ttt "sss.ffffff",
     * -r "+?sss.ffffff" style relative stamps. */
    if (isdigit((unsigned char)*p) || (*p == '+' && isdigit((unsigned char)p[1]))) {
        char *q = p + (*p == '+');
        while (isdigit((unsigned char)*q) || *q == ':' || *q == '.')
            q++;
        if (*q != ' ' && *q != '\t')
            return tr_fail(r, LPAE_EPARSE, "expected a timestamp, got '%.30s'", p);
        p = skip_ws(q);
    }
    /* Trailing "-T" duration "<0.000012>". */
    size_t L = strlen(p);
    if (L > 2 && p[L - 1] == '>') {
        char *lt = strrchr(p, '<');
        if (lt && lt > p && isdigit((unsigned char)lt[1])) {
            bool dur = true;
            for (char *q = lt + 1; q < p + L - 1; q++)
                if (!isdigit((unsigned char)*q) && *q != '.')
                    dur = false;
            if (dur) {
                *lt = 0;
                L = strlen(p);
                while (L && p[L - 1] == ' ')
                    p[--L] = 0;
            }
        }
    }
    if (!strncmp(p, "--- ", 4) || !strncmp(p, "[ Process", 9) || !strncmp(p, "strace:", 7))
        return 0; /* signal delivery / notes: not modelled */
    if (!strncmp(p, "+++ ", 4)) {
        struct task *t = task_get(r, pid, false);
        if (!t)
            return 0;
        int code = 0;
        if (sscanf(p, "+++ exited with %d +++", &code) != 1) {
            if (strncmp(p, "+++ killed by SIG", 17) != 0)
                return tr_fail(r, LPAE_EPARSE, "expected '+++ exited with N +++' or 'killed by'");
            code = 128 + 9; /* killed: status as a shell reports it, signal unknown here */
            static const struct {
                const char *n;
                int v;
            } sigs[] = {{"SIGHUP", 1},   {"SIGINT", 2},   {"SIGQUIT", 3},  {"SIGILL", 4},
                        {"SIGABRT", 6},  {"SIGBUS", 7},   {"SIGFPE", 8},   {"SIGKILL", 9},
                        {"SIGSEGV", 11}, {"SIGPIPE", 13}, {"SIGALRM", 14}, {"SIGTERM", 15}};
            for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
                size_t nl = strlen(sigs[i].n);
                if (!strncmp(p + 14, sigs[i].n, nl) && !isalnum((unsigned char)p[14 + nl]))
                    code = 128 + sigs[i].v;
            }
        }
        int e = 0;
        if (!t->exited) {
            if ((e = switch_to(r, t)) != 0)
                return e;
            lpae_tev ev = base(t, LPAE_TEV_EXIT);
            ev.ret = code;
            if ((e = push(r, &ev)) != 0)
                return e;
        }
        if (s->cur == pid)
            s->cur = pid; /* keep: the next line's task switches away from it */
        task_del(r, t);
        return 0;
    }

    struct call c;
    memset(&c, 0, sizeof c);
    if (!strncmp(p, "<... ", 5)) {
        const char *rest = p + 5; /* set by name_of() */
        int e = name_of(r, p + 5, c.name, sizeof c.name, &rest);
        if (e)
            return e;
        if (strncmp(rest, " resumed>", 9) != 0)
            return tr_fail(r, LPAE_EPARSE, "expected '<... %s resumed>'", c.name);
        struct task *t = task_get(r, pid, false);
        if (!t || !t->pending)
            return tr_fail(r, LPAE_EPARSE,
                           "'%s resumed' without an unfinished call in task %" PRIu32 "%s", c.name,
                           pid,
                           s->saw_unprefixed ? " (lines without a pid: capture with "
                                               "'strace -f -o FILE' so that every line has one)"
                                             : "");
        char *pn = t->pend, *pa = strchr(pn, '(');
        if (!pa || (size_t)(pa - pn) != strlen(c.name) || strncmp(pn, c.name, strlen(c.name)) != 0)
            return tr_fail(r, LPAE_EPARSE, "'%s resumed' but task %" PRIu32 " was in '%.*s'",
                           c.name, pid, (int)(pa ? pa - pn : 0), pn);
        char full[PEND_MAX + LPAE_TRACE_LINE_MAX + 2];
        snprintf(full, sizeof full, "%s%s", pa + 1, rest + 9);
        if ((e = switch_to(r, t)) != 0)
            return e;
        if (strstr(full, "<unfinished ...>")) /* resumed and unfinished again */
            return 0;
        t->pending = false;
        if ((e = parse_tail(r, full, &c)) != 0)
            return e;
        if (!strcmp(c.name, "clone") && c.nargs >= 1 && !c.num[0])
            c.nargs = 0;
        return complete(r, t, &c, tr_sysno_from_x86_name(c.name));
    }

    const char *rest = p; /* set by name_of() */
    int e = name_of(r, p, c.name, sizeof c.name, &rest);
    if (e)
        return e;
    if (*rest != '(')
        return tr_fail(r, LPAE_EPARSE, "expected 'name(' at '%.30s'", p);
    struct task *t = task_get(r, pid, true);
    if (!t)
        return oom(r);
    if (t->pending)
        return tr_fail(r, LPAE_EPARSE, "task %" PRIu32 " starts '%s' while a call is unfinished",
                       pid, c.name);
    /* A task seen for the first time while some other task has an
     * unfinished clone: that clone made it (strace -f prints the child's
     * first call before the parent's clone returns). */
    if ((e = switch_to(r, t)) != 0)
        return e;
    uint32_t sysno = tr_sysno_from_x86_name(c.name);
    lpae_tev ev = base(t, LPAE_TEV_SYS_ENTER);
    ev.sysno = sysno;
    if ((e = push(r, &ev)) != 0)
        return e;
    char *unf = strstr(rest, " <unfinished ...>");
    if (!unf)
        unf = strstr(rest, "<unfinished ...>");
    if (unf) {
        size_t n = (size_t)(unf - p);
        if (n >= PEND_MAX)
            return tr_fail(r, LPAE_EPARSE, "unfinished call longer than %d bytes", PEND_MAX);
        memcpy(t->pend, p, n);
        t->pend[n] = 0;
        t->pending = true;
        t->fork_done = false;
        return 0;
    }
    char *args = (char *)rest + 1;
    if ((e = parse_tail(r, args, &c)) != 0)
        return e;
    return complete(r, t, &c, sysno);
}

/* Attribute a newly seen task to the one pending clone, if unambiguous. */
static int strace_line_outer(lpae_trace_reader *r, char *line)
{
    struct st *s = S(r);
    /* strace writing to stderr may cut a line with its own note:
     * "vfork(strace: Process 9 attached" then " <unfinished ...>". */
    if (s->carry_len) {
        size_t n = strlen(line);
        memcpy(s->joined, s->carry, s->carry_len);
        memcpy(s->joined + s->carry_len, line, n + 1);
        s->carry_len = 0;
        line = s->joined;
    }
    char *note = strstr(line, "strace: Process ");
    if (note && note != skip_ws(line)) {
        unsigned long np;
        char tail[16] = "";
        if (sscanf(note, "strace: Process %lu %15s", &np, tail) == 2 && !strcmp(tail, "attached")) {
            size_t n = (size_t)(note - line);
            if (n > LPAE_TRACE_LINE_MAX)
                return tr_fail(r, LPAE_EPARSE, "line too long");
            memmove(s->carry, line, n);
            s->carry_len = n;
            return 0;
        }
    }
    /* Peek at the pid to detect a new task before the line creates it. */
    char *p = skip_ws(line);
    uint32_t pid = 0;
    if (!strncmp(p, "[pid", 4))
        pid = (uint32_t)strtoul(p + 4, NULL, 10);
    else if (isdigit((unsigned char)*p))
        pid = (uint32_t)strtoul(p, NULL, 10);
    if (pid && !task_get(r, pid, false) && s->tasks) {
        struct task *t, *tmp, *parent = NULL;
        int n = 0;
        HASH_ITER(hh, s->tasks, t, tmp)
        {
            if (t->pending && !t->fork_done) {
                char nm[16];
                size_t i = 0;
                while (t->pend[i] && t->pend[i] != '(' && i + 1 < sizeof nm) {
                    nm[i] = t->pend[i];
                    i++;
                }
                nm[i] = 0;
                if (is_clone(nm)) {
                    parent = t;
                    n++;
                }
            }
        }
        if (n == 1) {
            struct call c;
            memset(&c, 0, sizeof c);
            char *pa = strchr(parent->pend, '(');
            size_t nl = (size_t)(pa - parent->pend);
            memcpy(c.name, parent->pend, nl < sizeof c.name ? nl : sizeof c.name - 1);
            unsigned n0 = r->q.n;
            int e = switch_to(r, parent);
            if (!e)
                e = emit_fork(r, parent, pid, clone_thread(&c, pa + 1));
            if (e) {
                r->q.n = n0;
                return e;
            }
            parent->fork_done = true;
        }
    }
    return strace_line(r, line);
}

static void strace_free(lpae_trace_reader *r)
{
    struct st *s = S(r);
    if (!s)
        return;
    struct task *t, *tt;
    HASH_ITER(hh, s->tasks, t, tt)
    {
        task_del(r, t);
    }
    struct mm *m, *mt;
    HASH_ITER(hh, s->mms, m, mt)
    {
        m->refs = 1;
        mm_put(r, m->id);
    }
    struct fdent *f, *ft;
    HASH_ITER(hh, s->fds, f, ft)
    {
        HASH_DEL(s->fds, f);
        tr_free(r, f, sizeof *f);
    }
    tr_free(r, s, sizeof *s);
    r->imp = NULL;
}

int tr_strace_init(lpae_trace_reader *r)
{
    struct st *s = tr_alloc(r, sizeof *s);
    if (!s)
        return tr_fail(r, LPAE_ENOMEM, "out of memory");
    const lpae_import_opts *o = &r->o.import;
    uint32_t top = o->user_top ? o->user_top : UINT32_C(0xBF000000);
    if (top < (UINT32_C(4) << CHUNK_SHIFT) || (top & ((1u << CHUNK_SHIFT) - 1))) {
        tr_free(r, s, sizeof *s);
        return tr_fail(r, LPAE_EINVAL,
                       "user_top 0x%08" PRIx32 " is not a 16 MiB multiple >= 64 MiB", top);
    }
    if (o->inherited_kbuf > LPAE_KBUF_MAX + 1) {
        tr_free(r, s, sizeof *s);
        return tr_fail(r, LPAE_EINVAL, "inherited_kbuf out of range");
    }
    s->nslots = top >> CHUNK_SHIFT;
    s->path_len = o->path_len ? o->path_len : 32;
    s->inherited_kbuf = o->inherited_kbuf ? (uint8_t)(o->inherited_kbuf - 1) : LPAE_KBUF_PAGE;
    s->arm = o->arm;
    r->imp = s;
    r->imp_line = strace_line_outer;
    r->imp_free = strace_free;
    char v[64];
    snprintf(v, sizeof v, "0x%08" PRIx32, top);
    int e = tr_hdr_add(r, "import", "strace");
    if (!e)
        e = tr_hdr_add(r, "import.user_top", v);
    snprintf(v, sizeof v, "%" PRIu32, s->path_len);
    if (!e)
        e = tr_hdr_add(r, "import.path_len", v);
    if (!e)
        e = tr_hdr_add(r, "import.inherited_kbuf", lpae_kbuf_name(s->inherited_kbuf));
    if (!e)
        e = tr_hdr_add(r, "import.arch", s->arm ? "arm" : "x86-64");
    if (!e)
        e = tr_hdr_add(r, "import.fold", s->arm ? "none" : "16MiB-chunks");
    return e ? tr_fail(r, e, "out of memory") : 0;
}
