/* SPDX-License-Identifier: MIT */
/* The lpaesim commands on bad input: each failure is ONE line on stderr, a
 * non-zero exit status (2 for a bad command line, 1 for bad input or a host
 * error), nothing on stdout, and no output file -- neither the target nor a
 * temporary left beside it; an existing target is left as it was.
 * Also: `translate --mem-cap` turns images bigger than the cap into such a
 * failure, and a truncated binary trace names the events read before the
 * damage. Runs the built lpaesim (LPAESIM_PATH) in a scratch directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef LPAESIM_PATH
#error "LPAESIM_PATH must name the lpaesim binary (tests/cli_errors.cmake)"
#endif

#define MAXARGS 16

typedef struct fixture {
    char dir[512];  /* scratch directory the commands run in */
    char cap[512];  /* where their stdout/stderr are captured */
    char err[4096]; /* stderr of the last run */
    size_t errlen;
    size_t outlen; /* bytes on stdout of the last run */
} fixture;

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

static void write_file(const fixture *fx, const char *name, const void *data, size_t len)
{
    char p[600];
    FILE *f;
    path_in(p, sizeof p, fx->dir, name);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const fixture *fx, const char *name, const char *text)
{
    write_file(fx, name, text, strlen(text));
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
    return n;
}

static bool exists_in(const fixture *fx, const char *name)
{
    char p[600];
    struct stat st;
    path_in(p, sizeof p, fx->dir, name);
    return stat(p, &st) == 0;
}

/* Run lpaesim with the NULL-terminated arguments in the scratch directory;
 * returns its exit status (-1 if it did not exit normally). */
static int run(fixture *fx, const char *const *args)
{
    const char *argv[MAXARGS + 2];
    char outp[600], errp[600], tmp[64];
    int n = 0, status;
    pid_t pid;

    argv[n++] = LPAESIM_PATH;
    for (; args[n - 1] && n <= MAXARGS; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    path_in(outp, sizeof outp, fx->cap, "stdout");
    path_in(errp, sizeof errp, fx->cap, "stderr");
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || chdir(fx->dir) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
            dup2(in, 0) < 0)
            _exit(127);
        execv(LPAESIM_PATH, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    fx->errlen = read_file(errp, fx->err, sizeof fx->err);
    fx->outlen = read_file(outp, tmp, sizeof tmp);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Names in the scratch directory, sorted, as one string "a b c ". */
static void listing(const fixture *fx, char *buf, size_t len)
{
    struct dirent **names;
    int n = scandir(fx->dir, &names, NULL, alphasort);
    size_t used = 0;
    assert_true(n >= 0);
    buf[0] = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            int m = snprintf(buf + used, len - used, "%s ", names[i]->d_name);
            assert_true(m > 0 && (size_t)m < len - used);
            used += (size_t)m;
        }
        free(names[i]);
    }
    free(names);
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char tmpl[512];
    assert_non_null(fx);
    snprintf(tmpl, sizeof tmpl, "%s/cli_errors.XXXXXX", LPAE_BINARY_DIR);
    assert_non_null(mkdtemp(tmpl));
    snprintf(fx->cap, sizeof fx->cap, "%s", tmpl);
    path_in(fx->dir, sizeof fx->dir, fx->cap, "work");
    assert_int_equal(mkdir(fx->dir, 0755), 0);
    *state = fx;
    return 0;
}

static void rm_tree(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char p[700];
        struct stat st;
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, names[i]->d_name);
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                rm_tree(p);
            else
                unlink(p);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    rm_tree(fx->cap);
    free(fx);
    return 0;
}

/* The register and probe files of a translate run that works: TTBR0 at
 * 0x80000000 (an image of zeroes: every probe faults), T0SZ = 0. */
static void translate_inputs(fixture *fx)
{
    static unsigned char zero[8192];
    write_text(fx, "good.regs", "ttbcr = 0x80000000\nttbr0 = 0x80000000\n");
    write_text(fx, "good.probes", "0x1000 PR\n");
    write_file(fx, "img.bin", zero, sizeof zero);
}

/* One failing command: its status, a single stderr line containing each
 * of the NULL-terminated @p needles, nothing on stdout, and the directory
 * listing unchanged (no output file, no temporary). */
static void expect_failure(fixture *fx, int status, const char *const *args, ...)
{
    char before[2048], after[2048];
    const char *needle;
    va_list ap;
    int rc;

    listing(fx, before, sizeof before);
    rc = run(fx, args);
    listing(fx, after, sizeof after);
    if (rc != status || fx->errlen == 0 || fx->err[fx->errlen - 1] != '\n' ||
        memchr(fx->err, '\n', fx->errlen - 1) != NULL || fx->outlen != 0 || strcmp(before, after))
        print_error("lpaesim %s %s: exit %d (expected %d), stdout %zu bytes, stderr [%s], "
                    "files before [%s] after [%s]\n",
                    args[0], args[1] ? args[1] : "", rc, status, fx->outlen, fx->err, before,
                    after);
    assert_int_equal(rc, status);
    assert_true(fx->errlen > 0 && fx->err[fx->errlen - 1] == '\n');
    assert_null(memchr(fx->err, '\n', fx->errlen - 1));
    assert_int_equal(fx->outlen, 0);
    assert_string_equal(before, after);
    va_start(ap, args);
    while ((needle = va_arg(ap, const char *)) != NULL) {
        if (!strstr(fx->err, needle))
            print_error("stderr [%s] lacks '%s'\n", fx->err, needle);
        assert_non_null(strstr(fx->err, needle));
    }
    va_end(ap);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_translate(void **state)
{
    fixture *fx = *state;
    translate_inputs(fx);
    write_text(fx, "bad.regs", "ttbcr = 0x80000000\nttbr0 = 0x80000001\n");
    write_text(fx, "bad.probes", "0x1000 RW\n");

    expect_failure(fx, 2, ARGS("translate"), "expected --regs FILE", NULL);
    expect_failure(fx, 2, ARGS("translate", "--bogus"), "unknown argument", NULL);
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "bad.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin"),
                   "bad.regs:2: expected", NULL);
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "good.regs", "--probes", "bad.probes", "--image",
                        "0x80000000:img.bin"),
                   "bad.probes:1: expected", NULL);
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "missing.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin"),
                   "cannot open register file 'missing.regs'", NULL);
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "good.regs", "--probes", "good.probes", "--image",
                        "0x80000000:missing.bin"),
                   "cannot open image 'missing.bin'", NULL);
    expect_failure(fx, 2,
                   ARGS("translate", "--regs", "good.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin", "--ram", "0x80000000:4Q"),
                   "expected --ram BASE:SIZE", NULL);
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "good.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin", "--ram", "0x80000100:1M"),
                   "4 KB aligned", NULL);
}

static void test_translate_mem_cap(void **state)
{
    fixture *fx = *state;
    translate_inputs(fx);
    /* 8 KB of image under a 4 KB cap: refused before loading. */
    expect_failure(fx, 1,
                   ARGS("translate", "--regs", "good.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin", "--mem-cap", "4K"),
                   "need 8192 bytes of host memory, over the cap of 4096", "--mem-cap", NULL);
    expect_failure(fx, 2,
                   ARGS("translate", "--regs", "good.regs", "--probes", "good.probes", "--image",
                        "0x80000000:img.bin", "--mem-cap", "lots"),
                   "expected --mem-cap SIZE", NULL);
    /* The same run fits in 8 KB, and without a cap. */
    assert_int_equal(run(fx, ARGS("translate", "--regs", "good.regs", "--probes", "good.probes",
                                  "--image", "0x80000000:img.bin", "--mem-cap", "8K")),
                     0);
    assert_true(fx->outlen > 0);
    assert_int_equal(run(fx, ARGS("translate", "--regs", "good.regs", "--probes", "good.probes",
                                  "--image", "0x80000000:img.bin", "--mem-cap", "0")),
                     0);
}

/* A binary trace of a few events, cut inside its third record. */
static void make_truncated(fixture *fx)
{
    char p[600];
    assert_int_equal(run(fx, ARGS("gen", "dd", "count=3", "-o", "full.lpb")), 0);
    path_in(p, sizeof p, fx->dir, "full.lpb");
    /* header + 2 records + part of a third: the header is at most a few
     * hundred bytes, so cut 20 bytes into the last 32-byte record. */
    {
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_true(st.st_size > 100);
        assert_int_equal(truncate(p, st.st_size - 44), 0);
    }
}

static void test_convert(void **state)
{
    fixture *fx = *state;
    char old[16];
    write_text(fx, "bad.txt", "# lpae-trace v1\n0 1 exec\n0 1 copy_from_user addr=zz\n");
    make_truncated(fx);

    expect_failure(fx, 2, ARGS("convert"), "expected an input trace", "--help", NULL);
    expect_failure(fx, 2, ARGS("convert", "bad.txt"), "expected -o OUT", NULL);
    expect_failure(fx, 2, ARGS("convert", "--bogus"), "unknown or incomplete argument '--bogus'",
                   NULL);
    expect_failure(fx, 1, ARGS("convert", "bad.txt", "-o", "out.lpb"), "bad.txt:3: ", NULL);
    expect_failure(fx, 1, ARGS("convert", "missing.lpb", "-o", "out.txt"), "cannot open", NULL);
    /* The events before the damage are counted, and no output is written. */
    expect_failure(fx, 1, ARGS("convert", "full.lpb", "-o", "out.txt"), "truncated",
                   "events were read", NULL);
    /* An existing output survives a failed conversion unchanged. */
    write_text(fx, "keep.lpb", "old");
    expect_failure(fx, 1, ARGS("convert", "bad.txt", "-o", "keep.lpb"), "bad.txt:3: ", NULL);
    {
        char p[600];
        path_in(p, sizeof p, fx->dir, "keep.lpb");
        assert_int_equal(read_file(p, old, sizeof old), 3);
        assert_string_equal(old, "old");
    }
    assert_false(exists_in(fx, "out.lpb"));
}

static void test_import(void **state)
{
    fixture *fx = *state;
    write_text(fx, "bad.strace", "1 getpid() = 0x1\n1 what\n");
    write_text(fx, "bad.ftrace", "this is not ftrace\n");

    expect_failure(fx, 2, ARGS("import"), "expected 'strace' or 'ftrace'", NULL);
    expect_failure(fx, 2, ARGS("import", "strace"), "expected a capture FILE", NULL);
    expect_failure(fx, 2, ARGS("import", "strace", "bad.strace"), "expected -o OUT", NULL);
    expect_failure(fx, 2, ARGS("import", "elf", "bad.strace", "-o", "out.lpb"), NULL);
    expect_failure(fx, 1, ARGS("import", "strace", "bad.strace", "-o", "out.lpb"),
                   "bad.strace:2: ", NULL);
    expect_failure(fx, 1, ARGS("import", "ftrace", "bad.ftrace", "-o", "out.lpb"),
                   "bad.ftrace:1: ", NULL);
    expect_failure(fx, 1, ARGS("import", "strace", "missing.txt", "-o", "out.lpb"), "cannot open",
                   NULL);
}

static void test_gen(void **state)
{
    fixture *fx = *state;
    expect_failure(fx, 2, ARGS("gen"), "expected a workload", NULL);
    expect_failure(fx, 2, ARGS("gen", "dd"), "expected -o OUT", NULL);
    expect_failure(fx, 2, ARGS("gen", "dd", "bogus", "-o", "out.lpb"), "expected key=value",
                   "'bogus'", NULL);
    expect_failure(fx, 2, ARGS("gen", "mixed", "cpus=300", "-o", "out.lpb"), "cpus=300",
                   "out of range (1..256)", NULL);
    expect_failure(fx, 2, ARGS("gen", "nope", "-o", "out.lpb"), NULL);
    expect_failure(fx, 2, ARGS("gen", "dd", "bs=0", "-o", "out.lpb"), "bs=0", "out of range (1..",
                   NULL);
    expect_failure(fx, 2, ARGS("gen", "dd", "count=abc", "-o", "out.lpb"), "count=abc", NULL);
    expect_failure(fx, 1, ARGS("gen", "dd", "-o", "no/such/dir/out.lpb"), NULL);
}

static void test_layout(void **state)
{
    fixture *fx = *state;
    static const unsigned char elf_head[] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0};
    write_text(fx, "notelf.elf", "hello\n");
    write_file(fx, "cut.elf", elf_head, sizeof elf_head);

    expect_failure(fx, 2, ARGS("layout"), "no ELF file", NULL);
    expect_failure(fx, 2, ARGS("layout", "--split", "nope", "notelf.elf"), "unknown split", NULL);
    expect_failure(fx, 2, ARGS("layout", "--ram", "0", "notelf.elf"), "--ram", NULL);
    expect_failure(fx, 1, ARGS("layout", "notelf.elf"), "notelf.elf", "not an ELF file", NULL);
    expect_failure(fx, 1, ARGS("layout", "cut.elf"), "cut.elf", NULL);
    expect_failure(fx, 1, ARGS("layout", "missing.elf"), "missing.elf", "cannot open", NULL);
}

/* `layout --mem-cap`: images whose simulated RAM needs more host memory
 * than the cap fail on one line. */
static void test_layout_mem_cap(void **state)
{
    fixture *fx = *state;
    char src[600], data[65536];
    size_t n;
    FILE *f;
    snprintf(src, sizeof src, "%s/tests/fuzz/corpus/elf/kernel.elf", LPAE_SOURCE_DIR);
    f = fopen(src, "rb");
    assert_non_null(f);
    n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof data);
    write_file(fx, "kernel.elf", data, n);

    expect_failure(fx, 1, ARGS("layout", "--mem-cap", "4K", "kernel.elf"),
                   "kernel.elf: host memory cap of 4096 bytes reached", NULL);
    expect_failure(fx, 2, ARGS("layout", "--mem-cap", "lots", "kernel.elf"),
                   "--mem-cap: expected bytes", NULL);
    assert_int_equal(run(fx, ARGS("layout", "--mem-cap", "1M", "kernel.elf")), 0);
    assert_true(fx->outlen > 0);
    assert_int_equal(run(fx, ARGS("layout", "--mem-cap", "0", "kernel.elf")), 0);
}

static void test_presets(void **state)
{
    fixture *fx = *state;
    write_text(fx, "bad.conf", "# typo on line 3\nmtlb.latency = 3\nmtlb.latnecy = 4\n");
    write_text(fx, "badval.conf", "mtlb.latency = many\n");

    expect_failure(fx, 1, ARGS("presets", "nope"), "unknown preset 'nope'", NULL);
    expect_failure(fx, 1, ARGS("presets", "cortex-a15", "--config", "bad.conf"),
                   "bad.conf:3: ", "mtlb.latnecy", NULL);
    expect_failure(fx, 1, ARGS("presets", "cortex-a15", "--config", "badval.conf"),
                   "badval.conf:1: ", NULL);
    expect_failure(fx, 1, ARGS("presets", "cortex-a15", "--config", "missing.conf"), "missing.conf",
                   NULL);
}

static void test_unknown_command(void **state)
{
    fixture *fx = *state;
    expect_failure(fx, 2, ARGS("no-such-command"), NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_translate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_translate_mem_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_convert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_layout_mem_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_presets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
