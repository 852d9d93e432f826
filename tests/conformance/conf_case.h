/* SPDX-License-Identifier: MIT */
/*
 * What "agree with QEMU" means (the comparison rule), and regression case
 * files: one configuration's registers and descriptors plus probes with the
 * result QEMU gave, replayed through lpae by tests/test_conformance.c.
 */
#ifndef LPAE_CONF_CASE_H
#define LPAE_CONF_CASE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf_abi.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/walk.h"

/*
 * The PAR QEMU's result stands for. A completed ATS gives its PAR. An ATS
 * whose walk hit an external abort took a synchronous Data Abort in QEMU
 * (allowed by the architecture); HSR.ISS.DFSC then carries the fault status,
 * and the PAR form of the same fault is LPAE (bit 11) | FST = DFSC | F.
 */
uint64_t conf_qemu_par(const conf_result *q);

/* Fields compared, and where the rule relaxed the comparison. */
typedef struct conf_verdict {
    bool mismatch;   /* some compared bit differs */
    bool ns_differs; /* PAR.NS differs on a success (not compared, counted) */
    bool sh_differs; /* PAR.SH differs for Device memory (not compared, counted) */
} conf_verdict;

/*
 * Compare lpae's PAR with QEMU's. Every bit is compared except, on a
 * successful translation: PAR.NS[9], UNKNOWN for a Non-secure translation
 * regime (DDI 0406C B4.1.112; QEMU's virt has no EL3, so the PL1&0 regime is
 * Non-secure); and PAR.SH[8:7] when ATTR[7:4] = 0b0000 (Device or
 * Strongly-ordered memory, whose shareability the architecture fixes
 * whatever the descriptor says; QEMU 7.2 copies the descriptor's SH).
 */
conf_verdict conf_compare(uint64_t qemu_par, uint64_t lpae_par);

/* ---- case files ---------------------------------------------------------- */
typedef struct conf_case_probe {
    uint32_t va;
    uint32_t op;   /* CONF_ATS1C* */
    conf_result q; /* what QEMU gave */
} conf_case_probe;

typedef struct conf_case {
    lpae_regs regs;
    conf_desc *descs;
    size_t ndesc;
    conf_case_probe *probes;
    size_t nprobe;
    char open_note[200]; /* "open ..." line: a known mismatch awaiting a fix */
} conf_case;

/* Write a case file (temp name, then rename). Returns 0 or a negative lpae_err. */
int conf_case_write(const char *path, const char *comment, const lpae_regs *regs,
                    const conf_desc *descs, size_t ndesc, const conf_case_probe *probes,
                    size_t nprobe);

/* Read a case file. On a parse error returns LPAE_EPARSE and puts
 * "file:line: what was expected" into @p err. Free with conf_case_free. */
int conf_case_read(const char *path, conf_case *out, char *err, size_t errlen);
void conf_case_free(conf_case *c);

/* Memory holding exactly the case's descriptors (the conformance RAM map). */
int conf_case_phys(const conf_desc *descs, size_t ndesc, lpae_phys **out);

/*
 * Print one probe's disagreement: registers, both PARs, lpae's walk
 * (lpae_walk_explain) and the descriptor chain read straight from the
 * descriptor list (the words QEMU's walk read).
 */
void conf_print_mismatch(FILE *f, const lpae_regs *regs, const conf_desc *descs, size_t ndesc,
                         const lpae_phys *phys, uint32_t va, uint32_t op, const conf_result *q);

/* "ATS1CPR".."ATS1CUW" */
const char *conf_op_name(uint32_t op);

#endif
