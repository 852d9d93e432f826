/* SPDX-License-Identifier: MIT */
/* strace importer: a capture recorded on the development machine, and
 * hand-written corner cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/trace.h"

#define MAXEV 256

struct result {
    lpae_tev ev[MAXEV];
    size_t n;
    int rc;
    uint64_t skipped;
    char err[512];
};

static void import_text(const char *text, bool skip, struct result *res)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    lpae_trace_ropts o = {.format = LPAE_TRACE_STRACE, .skip_bad = skip};
    lpae_trace_reader *r;
    memset(res, 0, sizeof *res);
    res->rc = lpae_trace_reader_open_file(f, "case.strace", &o, &r);
    if (res->rc == 0) {
        lpae_tev ev;
        while ((res->rc = lpae_trace_read(r, &ev)) == 1) {
            assert_true(res->n < MAXEV);
            assert_int_equal(lpae_tev_check(&ev, NULL), 0);
            res->ev[res->n++] = ev;
        }
    }
    res->skipped = lpae_trace_reader_skipped(r);
    snprintf(res->err, sizeof res->err, "%s", lpae_trace_reader_error(r));
    lpae_trace_reader_close(r);
    fclose(f);
}

static size_t count_kind(const struct result *r, unsigned kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->ev[i].kind == kind;
    return n;
}

static const lpae_tev *nth_kind(const struct result *r, unsigned kind, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->ev[i].kind == kind && nth-- == 0)
            return &r->ev[i];
    return NULL;
}

static void interrupted_syscalls_copy_nothing(void **state)
{
    (void)state;
    struct result r;
    import_text("100 read(0x3, 0x7ffc00001000, 0x1000) = ? ERESTARTSYS (To be restarted if "
                "SA_RESTART is set)\n"
                "100 --- SIGINT {si_signo=SIGINT, si_code=SI_KERNEL} ---\n"
                "100 restart_syscall(<... resuming interrupted read ...>) = 0\n"
                "100 read(0x3, 0x7ffc00001000, 0x1000) = -1 EINTR (Interrupted system call)\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_COPY_TO_USER), 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_SYS_ENTER), 3);
    assert_int_equal(count_kind(&r, LPAE_TEV_SYS_EXIT), 3);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 0)->ret, -512);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 1)->sysno, 0); /* restart_syscall */
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 2)->ret, -4);
}

static void unfinished_and_resumed(void **state)
{
    (void)state;
    struct result r;
    import_text("100 19:00:00.000001 openat(0xffffff9c, 0x7ffc00002000, 0) = 0x3\n"
                "100 19:00:00.000002 read(0x3, 0x7ffc00001000, 0x1000 <unfinished ...>\n"
                "101 19:00:00.000003 getpid()          = 0x65\n"
                "100 19:00:00.000004 <... read resumed>) = 0x10\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    /* order: ... enter(read,100) switch(101) enter/exit(getpid) switch(100) copy exit */
    size_t i = 0;
    while (i < r.n && !(r.ev[i].kind == LPAE_TEV_SYS_ENTER && r.ev[i].sysno == 3))
        i++;
    assert_true(i + 6 < r.n + 1);
    assert_int_equal(r.ev[i].task, 100);
    assert_int_equal(r.ev[i + 1].kind, LPAE_TEV_SWITCH);
    assert_int_equal(r.ev[i + 1].task, 101);
    assert_int_equal(r.ev[i + 1].arg, 100);
    assert_int_equal(r.ev[i + 2].kind, LPAE_TEV_SYS_ENTER);
    assert_int_equal(r.ev[i + 2].sysno, 20);
    assert_int_equal(r.ev[i + 3].kind, LPAE_TEV_SYS_EXIT);
    assert_int_equal(r.ev[i + 3].ret, 0x65);
    assert_int_equal(r.ev[i + 4].kind, LPAE_TEV_SWITCH);
    assert_int_equal(r.ev[i + 5].kind, LPAE_TEV_COPY_TO_USER);
    assert_int_equal(r.ev[i + 5].len, 16);
    assert_int_equal(r.ev[i + 5].kbuf, LPAE_KBUF_PAGECACHE);
    assert_int_equal(r.ev[i + 5].addr & 0xFFFFFF, 0x001000); /* page offset and locality kept */
    assert_int_equal(r.ev[i + 6].kind, LPAE_TEV_SYS_EXIT);
    assert_int_equal(r.ev[i + 6].ret, 16);

    /* resumed without an unfinished call: file:line and reason */
    import_text("100 getpid() = 0x64\n100 <... read resumed>) = 0x10\n", false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_non_null(strstr(r.err, "case.strace:2: "));
    assert_non_null(strstr(r.err, "without an unfinished call"));
    /* name mismatch */
    import_text("100 read(0x3, 0x1000, 0x10 <unfinished ...>\n100 <... write resumed>) = 0x10\n",
                false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_non_null(strstr(r.err, ":2: "));
}

static void pid_prefixes(void **state)
{
    (void)state;
    struct result r;
    /* strace -f to stderr: "[pid N]" for other tasks, none for the first */
    import_text("getpid() = 0x7\n[pid  4242] getppid() = 0x7\n[pid 4242] +++ exited with 3 +++\n"
                "+++ killed by SIGTERM +++\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_ENTER, 0)->task, 1); /* default task */
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_ENTER, 1)->task, 4242);
    assert_int_equal(count_kind(&r, LPAE_TEV_EXIT), 2);
    assert_int_equal(nth_kind(&r, LPAE_TEV_EXIT, 0)->task, 4242);
    assert_int_equal(nth_kind(&r, LPAE_TEV_EXIT, 0)->ret, 3);
    assert_int_equal(nth_kind(&r, LPAE_TEV_EXIT, 1)->task, 1);
    assert_int_equal(nth_kind(&r, LPAE_TEV_EXIT, 1)->ret, 128 + 15);
    /* strace's own note cutting a line (stderr output) */
    import_text("[pid 7] vfork(strace: Process 8 attached\n <unfinished ...>\n"
                "[pid 8] getpid() = 0x8\n[pid 7] <... vfork resumed>) = 0x8\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_FORK), 1);
    assert_int_equal(nth_kind(&r, LPAE_TEV_FORK, 0)->arg, 8);
    assert_int_equal(nth_kind(&r, LPAE_TEV_FORK, 0)->flags, LPAE_TEVF_THREAD);
    /* stderr-style capture whose first task later gets a prefix: a hint */
    import_text("read(0x0, 0x1000, 0x10 <unfinished ...>\n[pid 9] <... read resumed>) = 0x1\n",
                false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_non_null(strstr(r.err, "strace -f -o FILE"));
    /* bad prefix */
    import_text("[pid x] getpid() = 0x7\n", false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_non_null(strstr(r.err, ":1: "));
}

static void failed_syscalls_copy_nothing(void **state)
{
    (void)state;
    struct result r;
    import_text("7 read(0x9, 0x7ffc00001000, 0x1000) = -1 EBADF (Bad file descriptor)\n"
                "7 write(0x1, 0x7ffc00001000, 0x10) = -1 EAGAIN (Resource temporarily "
                "unavailable)\n"
                "7 openat(0xffffff9c, 0x7ffc00003000, 0) = -1 ENOENT (No such file or "
                "directory)\n"
                "7 newfstatat(0xffffff9c, 0x7ffc00003000, 0x7ffc00004000, 0) = -1 EFAULT (Bad "
                "address)\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_COPY_TO_USER), 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_COPY_FROM_USER), 0);
    /* the path of the ENOENT open was still copied in for the lookup */
    assert_int_equal(count_kind(&r, LPAE_TEV_STRNCPY_FROM_USER), 1);
    assert_int_equal(nth_kind(&r, LPAE_TEV_STRNCPY_FROM_USER, 0)->len, 32);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 0)->ret, -9);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 2)->ret, -2);
    assert_int_equal(nth_kind(&r, LPAE_TEV_SYS_EXIT, 2)->sysno, 322);
}

static void page_cache_splitting(void **state)
{
    (void)state;
    struct result r;
    import_text("5 openat(0xffffff9c, 0x7ffc00003000, 0x80000) = 0x3\n"
                "5 read(0x3, 0x7ffc00010100, 0x3000) = 0x3000\n" /* off 0: 3 pages */
                "5 lseek(0x3, 0x800, 0) = 0x800\n"
                "5 read(0x3, 0x7ffc00010100, 0x1000) = 0x1000\n"          /* 0x800 + 0x800 */
                "5 pread64(0x3, 0x7ffc00020000, 0x200, 0x1f00) = 0x200\n" /* 0x100 + 0x100 */
                "5 read(0x3, 0x7ffc00010100, 0x1000) = 0x10\n"            /* off 0x1800 */
                "5 close(0x3) = 0\n"
                "5 read(0x3, 0x7ffc00010100, 0x1000) = 0x20\n", /* unknown fd: stream */
                false, &r);
    assert_int_equal(r.rc, 0);
    uint32_t lens[] = {0x1000, 0x1000, 0x1000, 0x800, 0x800, 0x100, 0x100, 0x10, 0x20};
    uint32_t koffs[] = {0, 0, 0, 0x800, 0, 0xF00, 0, 0x800, 0};
    assert_int_equal(count_kind(&r, LPAE_TEV_COPY_TO_USER), 9);
    for (size_t i = 0; i < 9; i++) {
        const lpae_tev *e = nth_kind(&r, LPAE_TEV_COPY_TO_USER, i);
        assert_int_equal(e->len, lens[i]);
        assert_int_equal(e->kaddr & 0xFFF, koffs[i]);
        assert_int_equal(e->kbuf, i < 8 ? LPAE_KBUF_PAGECACHE : LPAE_KBUF_PAGE);
    }
    /* consecutive chunks of one read are contiguous in user space */
    assert_int_equal(nth_kind(&r, LPAE_TEV_COPY_TO_USER, 1)->addr,
                     nth_kind(&r, LPAE_TEV_COPY_TO_USER, 0)->addr + 0x1000);
    /* the same file page gives the same kernel page name */
    assert_int_equal(nth_kind(&r, LPAE_TEV_COPY_TO_USER, 0)->kaddr >> 12,
                     nth_kind(&r, LPAE_TEV_COPY_TO_USER, 3)->kaddr >> 12);
    assert_int_not_equal(nth_kind(&r, LPAE_TEV_COPY_TO_USER, 0)->kaddr >> 12,
                         nth_kind(&r, LPAE_TEV_COPY_TO_USER, 1)->kaddr >> 12);
}

static void clone_child_before_parent_returns(void **state)
{
    (void)state;
    struct result r;
    import_text("10 clone(0x1200011, 0, 0, 0x7f0000001000, 0 <unfinished ...>\n"
                "11 set_robust_list(0x7f0000002000, 0x18) = 0\n"
                "10 <... clone resumed>) = 0xb\n"
                "10 clone(0x3d0f00, 0x7f0000100000, 0x7f0000001000, 0x7f0000001000, "
                "0x7f0000003000) = 0xc\n"
                "10 clone3(0x7ffc00005000, 0x58) = 0xd\n"
                "10 mmap(0, 0x2000, 0x3, 0x22, 0xffffffff, 0) = 0x7f0000200000\n"
                "10 munmap(0x7f0000200000, 0x2000) = 0\n"
                "10 brk(0x560000100000) = 0x560000100000\n"
                "10 mprotect(0x7f0000200000, 0x1000, 0x1) = 0\n"
                "10 execve(0x7ffc00001000, 0x7ffc00002000, 0x7ffc00003000) = 0\n"
                "10 exit_group(0) = ?\n"
                "10 +++ exited with 0 +++\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(count_kind(&r, LPAE_TEV_FORK), 3);
    assert_int_equal(nth_kind(&r, LPAE_TEV_FORK, 2)->arg, 13);
    assert_int_equal(nth_kind(&r, LPAE_TEV_FORK, 2)->flags, LPAE_TEVF_THREAD); /* clone3 */
    const lpae_tev *f = nth_kind(&r, LPAE_TEV_FORK, 0);
    assert_int_equal(f->task, 10);
    assert_int_equal(f->arg, 11);
    assert_int_equal(f->flags, 0); /* no CLONE_VM: a process */
    /* the fork comes before the child's first event */
    for (size_t i = 0; i < r.n; i++) {
        if (r.ev[i].task == 11) {
            assert_true(&r.ev[i] > f);
            break;
        }
    }
    f = nth_kind(&r, LPAE_TEV_FORK, 1);
    assert_int_equal(f->arg, 12);
    assert_int_equal(f->flags, LPAE_TEVF_THREAD);
    /* CLONE_PARENT_SETTID: the tid is stored with put_user */
    assert_int_equal(count_kind(&r, LPAE_TEV_PUT_USER), 1);
    const lpae_tev *m = nth_kind(&r, LPAE_TEV_MMAP, 0);
    assert_int_equal(m->len, 0x2000);
    assert_int_equal(m->flags, LPAE_PROT_READ | LPAE_PROT_WRITE | LPAE_MAP_ANON);
    assert_int_equal(nth_kind(&r, LPAE_TEV_MUNMAP, 0)->addr, m->addr);
    assert_int_equal(nth_kind(&r, LPAE_TEV_MPROTECT, 0)->flags, LPAE_PROT_READ);
    assert_true(nth_kind(&r, LPAE_TEV_BRK, 0)->addr < m->addr); /* heap below the mmap area */
    assert_true(m->addr < 0xBF000000u);
    assert_int_equal(count_kind(&r, LPAE_TEV_EXEC), 1);
    assert_int_equal(count_kind(&r, LPAE_TEV_EXIT), 1); /* exit_group, not again at +++ */
}

static void bad_lines_and_skipping(void **state)
{
    (void)state;
    const char *text = "1 getpid() = 0x1\n"
                       "1 this is not strace\n"
                       "1 read(0x3, 0x10, 0x10) = zz\n"
                       "1 getpid() = 0x1\n";
    struct result r;
    import_text(text, false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_non_null(strstr(r.err, "case.strace:2: "));
    assert_int_equal(count_kind(&r, LPAE_TEV_SYS_EXIT), 1);
    import_text(text, true, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(count_kind(&r, LPAE_TEV_SYS_EXIT), 2);
    /* a kernel address where a user address is expected */
    import_text("1 read(0x3, 0xffff888000001000, 0x10) = 0x10\n", false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
}

static void folding_runs_out_cleanly(void **state)
{
    (void)state;
    /* 64 MiB of user space = 4 slots; a fifth distinct region fails. */
    char text[2048] = "";
    for (int i = 0; i < 6; i++) {
        char line[128];
        snprintf(line, sizeof line, "1 munmap(0x%llx, 0x1000) = 0\n",
                 0x7f0000000000ULL + (unsigned long long)i * 0x10000000ULL);
        strcat(text, line);
    }
    FILE *f = fmemopen(text, strlen(text), "r");
    lpae_trace_ropts o = {.format = LPAE_TRACE_STRACE};
    o.import.user_top = 0x04000000;
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open_file(f, "fold", &o, &r), 0);
    lpae_tev ev;
    int e;
    while ((e = lpae_trace_read(r, &ev)) == 1)
        ;
    assert_int_equal(e, LPAE_ENOSPC);
    assert_non_null(strstr(lpae_trace_reader_error(r), "fold:4: "));
    lpae_trace_reader_close(r);
    fclose(f);
    /* options out of range */
    f = fmemopen(text, strlen(text), "r");
    o.import.user_top = 0x1234;
    assert_int_equal(lpae_trace_reader_open_file(f, "fold", &o, &r), LPAE_EINVAL);
    lpae_trace_reader_close(r);
    fclose(f);
}

static void recorded_sample(void **state)
{
    (void)state;
    lpae_trace_ropts o = {0}; /* auto-detection must recognise strace */
    lpae_trace_reader *r;
    assert_int_equal(
        lpae_trace_reader_open(LPAE_SOURCE_DIR "/tests/data/strace_sh_pipe.txt", &o, &r), 0);
    assert_int_equal(lpae_trace_reader_format(r), LPAE_TRACE_STRACE);
    assert_string_equal(lpae_trace_header_find(r, "import"), "strace");
    lpae_tev ev;
    size_t kinds[LPAE_TEV_KIND_MAX + 1] = {0};
    uint64_t pc_bytes = 0, dd_chunks = 0;
    int e;
    size_t base = lpae_trace_reader_mem(r), peak = base;
    while ((e = lpae_trace_read(r, &ev)) == 1) {
        kinds[ev.kind]++;
        if (ev.kind == LPAE_TEV_COPY_TO_USER && ev.kbuf == LPAE_KBUF_PAGECACHE) {
            pc_bytes += ev.len;
            assert_true(ev.len <= 4096);
            assert_true((ev.kaddr & 0xFFF) + ev.len <= 4096); /* within one file page */
            dd_chunks += ev.len == 1096 || ev.len == 1904;
        }
        if (lpae_trace_reader_mem(r) > peak)
            peak = lpae_trace_reader_mem(r);
    }
    assert_int_equal(e, 0);
    assert_int_equal(kinds[LPAE_TEV_FORK], 3); /* cat, wc, dd */
    assert_int_equal(kinds[LPAE_TEV_EXEC], 4); /* sh, cat, wc, dd */
    assert_int_equal(kinds[LPAE_TEV_EXIT], 4);
    assert_true(kinds[LPAE_TEV_STRNCPY_FROM_USER] > 20);
    assert_true(kinds[LPAE_TEV_MMAP] > 20);
    assert_true(pc_bytes >= 2 * 8800); /* cat and dd each read the 8800-byte file */
    assert_true(dd_chunks >= 2);       /* bs=3000 splits at file-page boundaries */
    assert_true(peak - base < 64 * 1024);
    lpae_trace_reader_close(r);
}

/* Importer state does not grow with the length of a capture. */
static void memory_flat(void **state)
{
    (void)state;
    size_t growth[3];
    for (int k = 0; k < 3; k++) {
        size_t lines = (size_t)100 << (3 * k);
        size_t cap = lines * 80 + 256;
        char *text = malloc(cap);
        assert_non_null(text);
        size_t o = (size_t)snprintf(text, cap, "9 openat(0xffffff9c, 0x7ffc00003000, 0) = 0x3\n");
        for (size_t i = 0; i < lines; i++)
            o += (size_t)snprintf(text + o, cap - o,
                                  "9 read(0x3, 0x7ffc00010000, 0x10000) = 0x10000\n");
        FILE *f = fmemopen(text, o, "r");
        lpae_trace_ropts ro = {.format = LPAE_TRACE_STRACE};
        lpae_trace_reader *r;
        assert_int_equal(lpae_trace_reader_open_file(f, "flat", &ro, &r), 0);
        size_t base = lpae_trace_reader_mem(r), peak = base;
        lpae_tev ev;
        uint64_t n = 0;
        while (lpae_trace_read(r, &ev) == 1) {
            n++;
            if (lpae_trace_reader_mem(r) > peak)
                peak = lpae_trace_reader_mem(r);
        }
        assert_true(n >= lines * 16);
        growth[k] = peak - base;
        lpae_trace_reader_close(r);
        fclose(f);
        free(text);
    }
    assert_int_equal(growth[0], growth[1]);
    assert_int_equal(growth[1], growth[2]);
}

/* A capture taken with strace on a 32-bit ARM board: no folding. */
static void arm_native_capture(void **state)
{
    (void)state;
    const char *text = "300 openat(0xffffff9c, 0xbe8c1e30, 0x20000) = 0x3\n"
                       "300 _llseek(0x3, 0, 0x1800, 0xbe8c1d00, 0) = 0\n"
                       "300 read(0x3, 0x1c6e008, 0x1000) = 0x1000\n"
                       "300 fstat64(0x3, 0xbe8c1c00) = 0\n"
                       "300 mmap2(0, 0x2000, 0x3, 0x22, 0xffffffff, 0) = 0xb6f00000\n"
                       "300 read(0x3, 0x100000000, 0x10) = 0x10\n";
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    lpae_trace_ropts o = {.format = LPAE_TRACE_STRACE};
    o.import.arm = true;
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open_file(f, "arm", &o, &r), 0);
    assert_string_equal(lpae_trace_header_find(r, "import.arch"), "arm");
    lpae_tev ev;
    int e;
    size_t copies = 0;
    while ((e = lpae_trace_read(r, &ev)) == 1) {
        if (ev.kind == LPAE_TEV_STRNCPY_FROM_USER)
            assert_int_equal(ev.addr, 0xbe8c1e30);
        if (ev.kind == LPAE_TEV_COPY_TO_USER && ev.kbuf == LPAE_KBUF_PAGECACHE) {
            /* offset 0x1800 from _llseek: split 0x800 + 0x800 */
            assert_int_equal(ev.addr, 0x1c6e008 + 0x800 * copies);
            assert_int_equal(ev.len, 0x800);
            copies++;
        }
        if (ev.kind == LPAE_TEV_MMAP)
            assert_int_equal(ev.addr, 0xb6f00000);
    }
    assert_int_equal(copies, 2);
    assert_int_equal(e, LPAE_EPARSE); /* the last line's address is not 32-bit */
    assert_non_null(strstr(lpae_trace_reader_error(r), "arm:6: "));
    lpae_trace_reader_close(r);
    fclose(f);
}

/* Many live tasks against a small memory cap: a clean LPAE_ENOMEM. */
static void memory_cap(void **state)
{
    (void)state;
    size_t cap = 200000;
    char *text = malloc(cap);
    size_t o = 0;
    for (int pid = 1; pid <= 4000; pid++)
        o += (size_t)snprintf(text + o, cap - o, "%d getpid() = 0x1\n", pid);
    FILE *f = fmemopen(text, o, "r");
    lpae_trace_ropts ro = {.format = LPAE_TRACE_STRACE, .mem_cap = 64 * 1024};
    lpae_trace_reader *r;
    assert_int_equal(lpae_trace_reader_open_file(f, "cap", &ro, &r), 0);
    lpae_tev ev;
    int e;
    while ((e = lpae_trace_read(r, &ev)) == 1)
        ;
    assert_int_equal(e, LPAE_ENOMEM);
    assert_non_null(strstr(lpae_trace_reader_error(r), "memory cap"));
    assert_true(lpae_trace_reader_mem(r) <= 64 * 1024);
    lpae_trace_reader_close(r);
    fclose(f);
    /* the same input under the default cap is fine */
    f = fmemopen(text, o, "r");
    ro.mem_cap = 0;
    assert_int_equal(lpae_trace_reader_open_file(f, "cap", &ro, &r), 0);
    while ((e = lpae_trace_read(r, &ev)) == 1)
        ;
    assert_int_equal(e, 0);
    lpae_trace_reader_close(r);
    fclose(f);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupted_syscalls_copy_nothing),
        cmocka_unit_test(unfinished_and_resumed),
        cmocka_unit_test(pid_prefixes),
        cmocka_unit_test(failed_syscalls_copy_nothing),
        cmocka_unit_test(page_cache_splitting),
        cmocka_unit_test(clone_child_before_parent_returns),
        cmocka_unit_test(bad_lines_and_skipping),
        cmocka_unit_test(folding_runs_out_cleanly),
        cmocka_unit_test(recorded_sample),
        cmocka_unit_test(memory_flat),
        cmocka_unit_test(memory_cap),
        cmocka_unit_test(arm_native_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
