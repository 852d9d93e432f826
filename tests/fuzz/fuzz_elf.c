/* SPDX-License-Identifier: MIT */
/* Fuzz target: the ELF loader. Opens the input with lpae_elf_open_mem();
 * when it validates, places and loads it (role chosen from the file) into
 * the VMSPLIT_3G and 4G/4G layouts of a 64 MB machine whose host backing is
 * capped at 16 MB, then unloads it. Checks: failures come with a one-line
 * diagnosis; a load maps segments that lie where they were placed; unloading
 * gives back every frame. */
#include <string.h>

#include "fuzz.h"
#include "lpae/elf.h"
#include "lpae/err.h"

#define RAM_BASE UINT64_C(0x80000000)
#define RAM_SIZE (UINT64_C(64) << 20)
#define BACKING_CAP (UINT64_C(16) << 20)

static void check_diag(int rc, const lpae_elf_diag *d)
{
    FUZZ_CHECK(rc < 0 && rc >= LPAE_ERR_MIN);
    FUZZ_CHECK(d->err == rc);
    /* One line, also when it quotes a section name holding a newline
     * (regression: corpus/elf/regress-newline-in-section-name.o). */
    FUZZ_CHECK(fuzz_one_line(d->msg));
}

static void load_in(lpae_elf *elf, const char *split_name)
{
    lpae_ram_range ram = {RAM_BASE, RAM_SIZE};
    lpae_phys_config pc = {&ram, 1, BACKING_CAP};
    lpae_layout_config lc;
    lpae_layout lay;
    lpae_pgtable_config c0, c1;
    lpae_phys *phys = NULL;
    lpae_pgtable *t0 = NULL, *t1 = NULL;
    lpae_phys_stats before, after;
    lpae_elf_target tgt;
    lpae_elf_report rep;
    lpae_elf_diag d;
    int rc;

    memset(&lc, 0, sizeof lc);
    FUZZ_CHECK(lpae_split_find(split_name, &lc.split) == 0);
    lc.ram = &ram;
    lc.nram = 1;
    FUZZ_CHECK(lpae_layout_build(&lc, &lay) == 0);

    rc = lpae_elf_place(elf, &lay, NULL, &d);
    if (rc != 0) {
        check_diag(rc, &d);
        return;
    }
    for (size_t i = 0; i < lpae_elf_seg_count(elf); i++) {
        lpae_elf_seg s;
        FUZZ_CHECK(lpae_elf_seg_get(elf, i, &s) == 0);
        FUZZ_CHECK(s.filesz <= s.memsz);
    }

    FUZZ_CHECK(lpae_phys_create(&pc, &phys) == 0);
    memset(&c0, 0, sizeof c0);
    c0.phys = phys;
    c0.sel = LPAE_SEL_TTBR0;
    c0.tsz = lc.split.t0sz;
    c1 = c0;
    c1.sel = LPAE_SEL_TTBR1;
    c1.tsz = lc.split.t1sz;
    FUZZ_CHECK(lpae_pgtable_create(&c0, &t0) == 0);
    if (lc.split.t1sz)
        FUZZ_CHECK(lpae_pgtable_create(&c1, &t1) == 0);
    memset(&tgt, 0, sizeof tgt);
    tgt.phys = phys;
    tgt.ttbr0 = t0;
    tgt.ttbr1 = t1;
    FUZZ_CHECK(lpae_phys_stats_get(phys, &before) == 0);

    rc = lpae_elf_load(elf, &lay, NULL, &tgt, &rep, &d);
    if (rc != 0) {
        check_diag(rc, &d);
    } else {
        char sym[128];
        FUZZ_CHECK(rep.nseg == lpae_elf_seg_count(elf));
        rc = lpae_elf_symbolize(elf, lpae_elf_entry(elf), sym, sizeof sym);
        FUZZ_CHECK(rc >= 0 || rc == LPAE_ENOENT);
        for (size_t i = 0; i < rep.nseg; i++) {
            lpae_elf_seg s;
            lpae_pte_ref ref;
            lpae_pgtable *t;
            FUZZ_CHECK(lpae_elf_seg_get(elf, i, &s) == 0);
            if (!s.mapped || !s.memsz)
                continue;
            t = s.sel == LPAE_SEL_TTBR1 ? t1 : t0;
            FUZZ_CHECK(t != NULL);
            FUZZ_CHECK(lpae_pgtable_lookup(t, s.va, &ref) == 0);
        }
        FUZZ_CHECK(lpae_elf_unload(elf) == 0);
        FUZZ_CHECK(lpae_phys_stats_get(phys, &after) == 0);
        FUZZ_CHECK(after.frames_in_use == before.frames_in_use);
    }
    lpae_pgtable_destroy(t0);
    lpae_pgtable_destroy(t1);
    lpae_phys_destroy(phys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lpae_elf *elf = NULL;
    lpae_elf_diag d;
    int rc = lpae_elf_open_mem(data, size, "fuzz.elf", &elf, &d);

    if (rc != 0) {
        check_diag(rc, &d);
        return 0;
    }
    load_in(elf, "3G");
    load_in(elf, "4G_4G");
    lpae_elf_close(elf);
    return 0;
}
