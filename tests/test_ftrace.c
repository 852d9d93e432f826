/* SPDX-License-Identifier: MIT */
/* ftrace importer: trace_pipe and trace-cmd report text, corner cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/trace.h"

#define MAXEV 128

struct result {
    lpae_tev ev[MAXEV];
    size_t n;
    int rc;
    uint64_t skipped;
    char err[512];
};

static void run(lpae_trace_reader *r, int rc, struct result *res)
{
    res->n = 0;
    res->rc = rc;
    if (rc == 0) {
        lpae_tev ev;
        while ((res->rc = lpae_trace_read(r, &ev)) == 1) {
            assert_true(res->n < MAXEV);
            res->ev[res->n++] = ev;
        }
    }
    res->skipped = lpae_trace_reader_skipped(r);
    snprintf(res->err, sizeof res->err, "%s", lpae_trace_reader_error(r));
    lpae_trace_reader_close(r);
}

static void import_text(const char *text, bool skip, struct result *res)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    lpae_trace_ropts o = {.format = LPAE_TRACE_FTRACE, .skip_bad = skip};
    lpae_trace_reader *r;
    int rc = lpae_trace_reader_open_file(f, "case.ftrace", &o, &r);
    run(r, rc, res);
    fclose(f);
}

static void trace_pipe_sample(void **state)
{
    (void)state;
    struct result r;
    lpae_trace_reader *rd;
    int rc = lpae_trace_reader_open(LPAE_SOURCE_DIR "/tests/data/ftrace_arm_sample.txt", NULL, &rd);
    assert_int_equal(lpae_trace_reader_format(rd), LPAE_TRACE_FTRACE); /* auto-detected */
    run(rd, rc, &r);
    assert_int_equal(r.rc, 0);
    const unsigned kinds[] = {
        LPAE_TEV_SYS_ENTER,      LPAE_TEV_STRNCPY_FROM_USER,
        LPAE_TEV_SYS_EXIT,       LPAE_TEV_SYS_ENTER,
        LPAE_TEV_COPY_TO_USER,   LPAE_TEV_COPY_TO_USER,
        LPAE_TEV_SYS_EXIT,       LPAE_TEV_SYS_ENTER,
        LPAE_TEV_COPY_FROM_USER, LPAE_TEV_COPY_TO_USER,
        LPAE_TEV_SYS_EXIT,       LPAE_TEV_GET_USER,
        LPAE_TEV_PUT_USER,       LPAE_TEV_PUT_USER,
        LPAE_TEV_CLEAR_USER,     LPAE_TEV_SWITCH,
        LPAE_TEV_SWITCH,         LPAE_TEV_EXEC,
        LPAE_TEV_SYS_ENTER,      LPAE_TEV_EXIT,
        LPAE_TEV_FORK,
    };
    assert_int_equal(r.n, sizeof kinds / sizeof kinds[0]);
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(r.ev[i].kind, kinds[i]);
        assert_int_equal(lpae_tev_check(&r.ev[i], NULL), 0);
    }
    assert_int_equal(r.ev[0].sysno, 322);
    assert_int_equal(r.ev[0].task, 412);
    assert_int_equal(r.ev[1].addr, 0xbe8c1e30);
    assert_int_equal(r.ev[1].len, 12); /* 11 characters + NUL */
    assert_int_equal(r.ev[2].ret, 3);
    assert_int_equal(r.ev[4].addr, 0x01c6e008);
    assert_int_equal(r.ev[4].kaddr, 0xc3a51000);
    assert_int_equal(r.ev[4].kbuf, LPAE_KBUF_ADDR);
    assert_int_equal(r.ev[4].len, 4096);
    assert_int_equal(r.ev[8].addr, 0xbef0c5f8);
    assert_int_equal(r.ev[8].kaddr, 0xc2e3bf38);
    assert_int_equal(r.ev[11].len, 4);
    assert_int_equal(r.ev[13].len, 8);
    assert_int_equal(r.ev[14].len, 512);
    assert_int_equal(r.ev[15].task, 37);
    assert_int_equal(r.ev[15].arg, 412);
    assert_int_equal(r.ev[16].task, 413); /* task names with blanks */
    assert_int_equal(r.ev[17].cpu, 1);
    assert_int_equal(r.ev[20].task, 412);
    assert_int_equal(r.ev[20].arg, 414);
}

static void trace_cmd_report(void **state)
{
    (void)state;
    struct result r;
    import_text("cpus=2\n"
                "            bash-412   [001]   101.000200: sched_switch:         bash:412 [120] S "
                "==> swapper/1:0 [120]\n"
                "            bash-412   [001]   101.000300: kprobes:ctu:          "
                "(arm_copy_to_user+0x0/0x24) to=0xbe000010 from=0xc0001000 n=64\n"
                "            bash-412   [001]   101.000400: sys_enter_read:       fd: 0x00000003, "
                "buf: 0xbe000010, count: 0x00000040\n"
                "            bash-412   [001]   101.000500: sys_exit_read:        0x40\n"
                "            bash-412   [001]   101.000600: gu2:                  "
                "(__get_user_2+0x0/0x18) arg1=0xbe000020\n",
                false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 5);
    assert_int_equal(r.ev[0].kind, LPAE_TEV_SWITCH);
    assert_int_equal(r.ev[0].task, 0);
    assert_int_equal(r.ev[0].arg, 412);
    assert_int_equal(r.ev[1].kind, LPAE_TEV_COPY_TO_USER);
    assert_int_equal(r.ev[1].len, 64);
    assert_int_equal(r.ev[2].kind, LPAE_TEV_SYS_ENTER);
    assert_int_equal(r.ev[2].sysno, 3);
    assert_int_equal(r.ev[3].ret, 0x40);
    assert_int_equal(r.ev[4].kind, LPAE_TEV_GET_USER);
    assert_int_equal(r.ev[4].len, 2);
    assert_int_equal(r.ev[4].addr, 0xbe000020); /* unnamed kprobe arguments */
}

static void bad_lines(void **state)
{
    (void)state;
    const char *text = "  bash-1 [000] .... 1.0: sys_enter: NR 3 (0)\n"
                       "garbage\n"
                       "  bash-1 [300] .... 1.0: sys_enter: NR 3 (0)\n"
                       "  bash-1 [000] .... 1.0: cfu: (arm_copy_from_user+0x0/0x24) to=0x1\n"
                       "  bash-1 [000] .... 1.0: gu3: (__get_user_3+0x0/0x24) addr=0x1\n"
                       "  bash-1 [000] .... 1.0: sys_exit: NR 3 = 1\n";
    struct result r;
    import_text(text, false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.err, "case.ftrace:2: "));
    import_text(text, true, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.skipped, 4);
    /* each kind of damage has its own line and reason */
    import_text("  bash-1 [300] .... 1.0: sys_enter: NR 3 (0)\n", false, &r);
    assert_non_null(strstr(r.err, ":1: CPU number"));
    import_text("  bash-1 [000] .... 1.0: cfu: (arm_copy_from_user+0x0/0x24) to=0x1\n", false, &r);
    assert_non_null(strstr(r.err, "to=, from= and n="));
    /* kretprobe without entry: ignored, not an error */
    import_text("  bash-1 [000] .... 1.0: r: (x+0x1/0x2 <- strncpy_from_user) ret=3\n", false, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.n, 0);
    /* a copy that would wrap 4 GiB */
    import_text(
        "  b-1 [000] .... 1.0: c: (arm_copy_to_user+0x0/0x1) to=0xffffff00 from=0x1 n=4096\n",
        false, &r);
    assert_int_equal(r.rc, LPAE_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_pipe_sample),
        cmocka_unit_test(trace_cmd_report),
        cmocka_unit_test(bad_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
