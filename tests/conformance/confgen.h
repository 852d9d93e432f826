/* SPDX-License-Identifier: MIT */
/*
 * Random translation configurations for the QEMU conformance test: register
 * values, tables built with lpae's own table builder (lpae_pgtable) or with
 * raw descriptor writes, and probes (VA, ATS operation). Seeded and
 * deterministic: configuration i of seed S is the same on every run and
 * does not depend on the configurations before it.
 */
#ifndef LPAE_CONFGEN_H
#define LPAE_CONFGEN_H

#include <stddef.h>
#include <stdint.h>

#include "conf_abi.h"
#include "lpae/phys.h"
#include "lpae/regs.h"
#include "lpae/walk.h"

/* splitmix64: small, seedable, no global state. */
typedef struct conf_rng {
    uint64_t s;
} conf_rng;

uint64_t conf_rng_next(conf_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t conf_rng_below(conf_rng *r, uint64_t n);

/* How the tables of a configuration were made. */
enum { CONF_KIND_BUILDER = 0, CONF_KIND_RAW = 1, CONF_KIND_COUNT = 2 };

/* A VA range the generator put something at (a leaf, an invalid or odd
 * descriptor): probes are aimed at these. */
typedef struct conf_target {
    uint32_t va;
    uint32_t size_m1; /* size - 1 */
} conf_target;

/* One configuration. The descriptors listed are exactly the non-zero
 * 64-bit words of the table window in phys. */
typedef struct conf_cfg {
    uint64_t seed;
    uint32_t index;
    unsigned kind;
    lpae_regs regs;
    lpae_phys *phys; /* owned */
    conf_desc *descs;
    size_t ndesc, desc_cap;
    conf_probe *probes;
    size_t nprobe, probe_cap;
    conf_target *targets;
    size_t ntarget, target_cap;
} conf_cfg;

/* The memory map both sides use: RAM [CONF_RAM_BASE, +CONF_RAM_SIZE). */
int conf_phys_new(lpae_phys **out);

/* Generate configuration @p index of @p seed with @p nprobe probes into
 * @p out (zeroed by the caller or released with conf_cfg_release first).
 * Returns 0 or a negative lpae_err. */
int conf_gen(uint64_t seed, uint32_t index, unsigned nprobe, conf_cfg *out);

/* Free what conf_gen allocated and zero the object. */
void conf_cfg_release(conf_cfg *c);

/* ATS operation -> lpae access code. */
unsigned conf_op_access(uint32_t op);

#endif
