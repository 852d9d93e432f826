/* SPDX-License-Identifier: MIT */
/*
 * The conformance test's host side: the comparison rule, case files, the
 * generator's determinism and invariants, and the replay of every
 * tests/conformance/regress/NAME.case file through lpae_walk() against the PAR QEMU
 * gave. A case with an "open" line is a known disagreement awaiting a fix
 * in the walker: it must still disagree (strict expected failure), so that
 * the line is removed once the fix lands.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf_case.h"
#include "confgen.h"
#include "lpae/err.h"
#include "lpae/hwdef.h"

#define PAR_OK(attr, pa, sh)                                                                       \
    (((uint64_t)(attr) << 56) | (pa) | LPAE_PAR_LPAE | LPAE_PAR_NS | ((uint64_t)(sh) << 7))

static void test_compare_rule(void **state)
{
    (void)state;
    uint64_t q = PAR_OK(0xff, UINT64_C(0x123456000), 3);
    assert_false(conf_compare(q, q).mismatch);
    /* NS is not compared on a success, but counted. */
    conf_verdict v = conf_compare(q, q & ~LPAE_PAR_NS);
    assert_false(v.mismatch);
    assert_true(v.ns_differs);
    /* SH is compared for Normal memory ... */
    assert_true(conf_compare(q, PAR_OK(0xff, UINT64_C(0x123456000), 2)).mismatch);
    /* ... not for Device memory (ATTR[7:4] = 0), but counted. */
    uint64_t dev = PAR_OK(0x04, UINT64_C(0x123456000), 3);
    v = conf_compare(dev, PAR_OK(0x04, UINT64_C(0x123456000), 2));
    assert_false(v.mismatch);
    assert_true(v.sh_differs);
    /* Everything else is compared. */
    assert_true(conf_compare(q, q ^ (UINT64_C(1) << 12)).mismatch);
    assert_true(conf_compare(q, q ^ (UINT64_C(1) << 56)).mismatch);
    assert_true(conf_compare(UINT64_C(0x80b), UINT64_C(0x80d)).mismatch);
    assert_true(conf_compare(UINT64_C(0x80b), UINT64_C(0x80b) | LPAE_PAR_NS).mismatch);
    assert_true(conf_compare(UINT64_C(0x80b), q).mismatch);
    assert_false(conf_compare(UINT64_C(0x81f), UINT64_C(0x81f)).mismatch);
}

static void test_qemu_par(void **state)
{
    (void)state;
    conf_result par = {UINT64_C(0x11000000517bbb00), CONF_ST_PAR, 0};
    assert_int_equal(conf_qemu_par(&par), UINT64_C(0x11000000517bbb00));
    /* HSR of a Data Abort from Hyp, DFSC 0x16: external abort on the walk, level 2. */
    conf_result ab = {0, CONF_ST_ABORT, UINT32_C(0x94000156)};
    assert_int_equal(conf_qemu_par(&ab), UINT64_C(0x82d));
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/conformance-%s.case", LPAE_BINARY_DIR, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_case_roundtrip(void **state)
{
    (void)state;
    char path[512];
    tmp_path(path, sizeof path, "roundtrip");
    lpae_regs regs = {LPAE_TTBCR_EAE | 2u,  UINT64_C(0x0042000050001000),
                      UINT64_C(0x50002000), 0x44ff04ee,
                      0x000000ff,           0};
    conf_desc d[2] = {{UINT64_C(0x0060000123456f43), 0x50001008, 0},
                      {UINT64_C(0x5000300b), 0x50002000, 0}};
    conf_case_probe p[2] = {{0x00201000, CONF_ATS1CUW, {UINT64_C(0x81f), CONF_ST_PAR, 0}},
                            {0xfffff000, CONF_ATS1CPR, {0, CONF_ST_ABORT, 0x94000155}}};
    assert_int_equal(conf_case_write(path, "unit test", &regs, d, 2, p, 2), 0);
    conf_case c;
    char err[256];
    assert_int_equal(conf_case_read(path, &c, err, sizeof err), 0);
    assert_int_equal(c.regs.ttbcr, regs.ttbcr);
    assert_int_equal(c.regs.ttbr0, regs.ttbr0);
    assert_int_equal(c.regs.ttbr1, regs.ttbr1);
    assert_int_equal(c.regs.mair0, regs.mair0);
    assert_int_equal(c.regs.mair1, regs.mair1);
    assert_int_equal(c.regs.sctlr, regs.sctlr);
    assert_int_equal(c.ndesc, 2);
    assert_memory_equal(c.descs, d, sizeof d);
    assert_int_equal(c.nprobe, 2);
    assert_memory_equal(c.probes, p, sizeof p);
    assert_string_equal(c.open_note, "");
    conf_case_free(&c);
    /* An "open" line: a known disagreement, its note kept whole. */
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("open  walker reports X, QEMU Y (routed)\n", f);
    fclose(f);
    assert_int_equal(conf_case_read(path, &c, err, sizeof err), 0);
    assert_string_equal(c.open_note, "walker reports X, QEMU Y (routed)");
    conf_case_free(&c);
    remove(path);
    assert_int_equal(conf_case_write(NULL, NULL, &regs, d, 2, p, 2), LPAE_EINVAL);
}

static void expect_parse_error(const char *text, const char *want)
{
    char path[512], err[512];
    tmp_path(path, sizeof path, "bad");
    write_text(path, text);
    conf_case c;
    assert_int_equal(conf_case_read(path, &c, err, sizeof err), LPAE_EPARSE);
    assert_non_null(strstr(err, want));
    remove(path);
}

static void test_case_errors(void **state)
{
    (void)state;
    expect_parse_error("ttbcr 0x80000000\nbogus 1\n", ".case:2: expected a keyword");
    expect_parse_error("ttbcr 0x1ffffffff\n", ".case:1: expected a 32-bit register value");
    expect_parse_error("ttbcr 0x80000000\ndesc 0x50000004 1\n", ":2: expected desc PA VALUE");
    expect_parse_error("ttbcr 0x80000000\nprobe 0x1000 ATS1CXX par 0x0\n", ":2: expected probe VA");
    expect_parse_error("ttbcr 0x80000000\nprobe 0x1000 ATS1CPR pa 0x0\n", ":2: expected par 0xPAR");
    expect_parse_error("ttbcr 0x80000000\n", "expected at least one probe line");
    expect_parse_error("probe 0x1000 ATS1CPR par 0x80b\n", "expected a ttbcr line");
    conf_case c;
    char err[256];
    assert_int_equal(conf_case_read(LPAE_BINARY_DIR "/no/such.case", &c, err, sizeof err),
                     LPAE_EIO);
    assert_int_equal(conf_case_read(NULL, &c, err, sizeof err), LPAE_EINVAL);
}

static void test_gen_deterministic(void **state)
{
    (void)state;
    conf_cfg a, b;
    for (uint32_t idx = 60; idx < 70; idx++) { /* both kinds of tables */
        assert_int_equal(conf_gen(7, idx, 50, &a), 0);
        assert_int_equal(conf_gen(7, idx, 50, &b), 0);
        assert_memory_equal(&a.regs, &b.regs, sizeof a.regs);
        assert_int_equal(a.ndesc, b.ndesc);
        if (a.ndesc)
            assert_memory_equal(a.descs, b.descs, a.ndesc * sizeof *a.descs);
        assert_int_equal(a.nprobe, 50);
        assert_memory_equal(a.probes, b.probes, 50 * sizeof *a.probes);
        for (size_t i = 0; i < a.ndesc; i++) {
            assert_true(a.descs[i].pa >= CONF_ARENA_LO && a.descs[i].pa < CONF_ARENA_HI);
            assert_int_equal(a.descs[i].pa & 7, 0);
            assert_int_not_equal(a.descs[i].val, 0);
        }
        /* Table bases stay below 4 GB (QEMU 7.2 truncates higher ones). */
        assert_true((a.regs.ttbr0 & LPAE_TTBR_BADDR_MASK) < (UINT64_C(1) << 32));
        assert_true((a.regs.ttbr1 & LPAE_TTBR_BADDR_MASK) < (UINT64_C(1) << 32));
        conf_cfg_release(&a);
        conf_cfg_release(&b);
    }
    assert_int_equal(conf_gen(7, 1, 50, &a), 0);
    assert_int_equal(conf_gen(8, 1, 50, &b), 0);
    assert_memory_not_equal(a.probes, b.probes, 50 * sizeof *a.probes);
    conf_cfg_release(&a);
    conf_cfg_release(&b);
    assert_int_equal(conf_gen(7, 0, 1, NULL), LPAE_EINVAL);
}

static void test_gen_covers_splits(void **state)
{
    (void)state;
    unsigned seen[64] = {0}, kinds[CONF_KIND_COUNT] = {0};
    for (uint32_t idx = 0; idx < 128; idx++) {
        conf_cfg c;
        assert_int_equal(conf_gen(3, idx, 1, &c), 0);
        unsigned t0 = c.regs.ttbcr & 7, t1 = (c.regs.ttbcr >> 16) & 7;
        assert_true(c.regs.ttbcr & LPAE_TTBCR_EAE);
        assert_int_equal(c.regs.ttbcr & LPAE_TTBCR_RES0, 0);
        seen[t0 * 8 + t1]++;
        kinds[c.kind]++;
        conf_cfg_release(&c);
    }
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(seen[i], 2);
    assert_int_equal(kinds[CONF_KIND_BUILDER], 64);
    assert_int_equal(kinds[CONF_KIND_RAW], 64);
}

/* Replay one case; returns the number of probes lpae disagrees on. */
static unsigned replay(const char *path, conf_case *c, unsigned *nprobe)
{
    char err[512];
    int rc = conf_case_read(path, c, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    lpae_phys *phys;
    assert_int_equal(conf_case_phys(c->descs, c->ndesc, &phys), 0);
    unsigned bad = 0;
    for (size_t i = 0; i < c->nprobe; i++) {
        const conf_case_probe *p = &c->probes[i];
        lpae_walk_result w;
        uint64_t par = ~UINT64_C(0);
        if (lpae_walk(&c->regs, phys, p->va, conf_op_access(p->op), &w) == 0)
            par = lpae_walk_par(&w);
        if (conf_compare(conf_qemu_par(&p->q), par).mismatch) {
            if (!c->open_note[0]) {
                printf("%s:\n", path);
                conf_print_mismatch(stdout, &c->regs, c->descs, c->ndesc, phys, p->va, p->op,
                                    &p->q);
            }
            bad++;
        }
    }
    *nprobe += (unsigned)c->nprobe;
    lpae_phys_destroy(phys);
    return bad;
}

static void test_regress_replay(void **state)
{
    (void)state;
    const char *dir = LPAE_SOURCE_DIR "/tests/conformance/regress";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    unsigned files = 0, probes = 0, failures = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".case"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        conf_case c;
        unsigned bad = replay(path, &c, &probes);
        files++;
        if (c.open_note[0] && bad == 0) {
            printf("%s: marked open (%s) but lpae now agrees with QEMU: remove the open line\n",
                   path, c.open_note);
            failures++;
        } else if (c.open_note[0]) {
            printf("%s: known open disagreement on %u probe(s): %s\n", path, bad, c.open_note);
        } else if (bad) {
            failures++;
        }
        conf_case_free(&c);
    }
    closedir(d);
    printf("replayed %u case files, %u probes\n", files, probes);
    assert_true(files > 0);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_rule),      cmocka_unit_test(test_qemu_par),
        cmocka_unit_test(test_case_roundtrip),    cmocka_unit_test(test_case_errors),
        cmocka_unit_test(test_gen_deterministic), cmocka_unit_test(test_gen_covers_splits),
        cmocka_unit_test(test_regress_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
