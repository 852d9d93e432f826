/* SPDX-License-Identifier: MIT */
/* `lpaesim translate`: its input parsers and its driver, split out so that
 * tests and fuzz targets can call them without running a process.
 *
 * Every parser reports a failure as one line of text in a caller-given
 * buffer: "FILE:LINE: expected ..." for a bad line of an input file. */
#ifndef LPAESIM_TRANSLATE_H
#define LPAESIM_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/types.h"

/* Room for one diagnostic line. */
#define LPAESIM_ERRLEN 512

/* Process exit statuses of the translate command. */
enum {
    LPAESIM_EXIT_OK = 0,
    LPAESIM_EXIT_INPUT = 1, /* a bad input file or value, or a host I/O error */
    LPAESIM_EXIT_USAGE = 2  /* bad command line */
};

/* Parse a whole token as an unsigned number: "0x..." hex or decimal digits.
 * Returns 0, or -1 for anything else (empty, sign, junk, overflow). */
int lpaesim_parse_u64(const char *s, uint64_t *out);

/* As lpaesim_parse_u64, with an optional binary suffix K, M, G or T
 * (case-insensitive): "2G" = 2^31. Returns 0 or -1 (also on overflow). */
int lpaesim_parse_size(const char *s, uint64_t *out);

/* Read a register file from @p f (named @p name in messages) and write each
 * register through the checked lpae_regs_set_*() API: TTBCR first, so that
 * the TTBR alignment check uses its TnSZ, then TTBR0, TTBR1, MAIR0, MAIR1,
 * SCTLR. Lines are `name = value` (ttbcr, ttbr0, ttbr1, mair0, mair1,
 * sctlr; case-insensitive), values hex (0x) or decimal, `#` starts a
 * comment. ttbcr is required; the others keep lpae_regs_init()'s values.
 * Returns 0, or -1 with one line in @p err. @p regs is written only on
 * success. */
int lpaesim_regs_parse(FILE *f, const char *name, lpae_regs *regs, char *err, size_t errlen);

/* One probe: a VA and an LPAE_ACC_* code. */
typedef struct lpaesim_probe {
    lpae_va_t va;
    uint8_t access;
} lpaesim_probe;

/* A growable array of probes. Free with lpaesim_probes_free(). */
typedef struct lpaesim_probes {
    lpaesim_probe *v;
    size_t n, cap;
} lpaesim_probes;

/* Read a probe file: one `VA ACCESS` a line, VA a 32-bit hex or decimal
 * value, ACCESS one of PR PW UR UW PX UX (case-insensitive), `#` comments
 * and blank lines allowed. Appends to @p out. Returns 0, or -1 with one
 * line in @p err (also on host allocation failure). */
int lpaesim_probes_parse(FILE *f, const char *name, lpaesim_probes *out, char *err, size_t errlen);
void lpaesim_probes_free(lpaesim_probes *p);

/* Parse "PA:FILE" (an --image argument): PA hex or decimal below 2^40,
 * FILE non-empty; *file points into @p arg. Returns 0 or -1. */
int lpaesim_parse_image_arg(const char *arg, lpae_pa_t *pa, const char **file);

/* Parse "BASE:SIZE" (a --ram argument), SIZE with an optional K/M/G/T
 * suffix. Returns 0 or -1. Alignment and overlap are checked later, by
 * lpae_phys_create(). */
int lpaesim_parse_ram_arg(const char *arg, lpae_ram_range *out);

/* The whole command: argv[0] is "translate". Results go to @p out, the one
 * diagnostic line (if any) to @p errf. Returns an LPAESIM_EXIT_* status. */
int lpaesim_translate_main(int argc, char **argv, FILE *out, FILE *errf);

#endif
