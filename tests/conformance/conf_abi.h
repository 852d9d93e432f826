/* SPDX-License-Identifier: MIT */
/*
 * The test description the host writes and the probe program reads, and the
 * result records the probe program writes back. Shared by the host harness
 * (lpae-conform) and the bare-metal guest (guest/probe.c). All fields are
 * little-endian, naturally aligned; the layout is fixed by the static
 * assertions below so both compilers agree.
 *
 * Guest physical layout (-machine virt, -m 1024: RAM is [0x40000000, 0x80000000)):
 *   0x40000000  QEMU's device tree blob               1 MB
 *   0x40100000  probe program (code, data, stack)       < 1 MB
 *   0x40200000  test description (conf_blob_header ...)  < 126 MB
 *   0x48000000  result records (conf_result[])           < 128 MB
 *   0x50000000  translation table arena, zero between configurations
 *   0x80000000  nothing up to 4 GB: a hole (walks there abort)
 */
#ifndef LPAE_CONF_ABI_H
#define LPAE_CONF_ABI_H

#include <stdint.h>

#define CONF_RAM_BASE UINT32_C(0x40000000)
#define CONF_RAM_SIZE UINT32_C(0x40000000)
#define CONF_BLOB_ADDR UINT32_C(0x40200000)
#define CONF_BLOB_MAX UINT32_C(0x07E00000)
#define CONF_RESULT_ADDR UINT32_C(0x48000000)
#define CONF_RESULT_MAX UINT32_C(0x08000000)
#define CONF_ARENA_LO UINT32_C(0x50000000)
#define CONF_ARENA_HI UINT32_C(0x80000000)

#define CONF_MAGIC UINT32_C(0x46435045) /* "EPCF" */
#define CONF_VERSION 2u
#define CONF_PATH_MAX 240

/* Start of the description. */
typedef struct conf_blob_header {
    uint32_t magic;
    uint32_t version;
    uint32_t nconfigs;
    uint32_t nprobes;             /* total over all configurations */
    char out_path[CONF_PATH_MAX]; /* host file the results are written to (semihosting) */
} conf_blob_header;

/* One configuration, followed by ndesc conf_desc and nprobe conf_probe. */
typedef struct conf_config {
    uint32_t ttbcr;
    uint32_t mair0;
    uint32_t mair1;
    uint32_t ndesc;
    uint32_t nprobe;
    uint32_t sctlr_m; /* SCTLR.M during the probes: 1, or 0 for the flat mapping */
    uint64_t ttbr0;
    uint64_t ttbr1;
} conf_config;

/* A descriptor word to store before the probes and to clear after them. */
typedef struct conf_desc {
    uint64_t val;
    uint32_t pa; /* 8-byte aligned, inside the arena */
    uint32_t reserved;
} conf_desc;

/* ATS operations, in the order of their CRm=c8 opc2 encodings 0..3. */
enum { CONF_ATS1CPR = 0, CONF_ATS1CPW = 1, CONF_ATS1CUR = 2, CONF_ATS1CUW = 3 };

typedef struct conf_probe {
    uint32_t va;
    uint32_t op; /* CONF_ATS1C* */
} conf_probe;

/* Outcome of one probe. */
enum {
    CONF_ST_PAR = 0,  /* the ATS completed; par holds the 64-bit PAR */
    CONF_ST_ABORT = 1 /* the ATS took a Data Abort; hsr holds HSR, par is 0 */
};

typedef struct conf_result {
    uint64_t par;
    uint32_t status;
    uint32_t hsr;
} conf_result;

/* Header of the result file: then nprobes conf_result. */
typedef struct conf_result_header {
    uint32_t magic;
    uint32_t nprobes;
    uint32_t mode; /* CPSR.M the program started in (0x1a = Hyp) */
    uint32_t reserved;
} conf_result_header;

_Static_assert(sizeof(conf_blob_header) == 256, "conf_blob_header layout");
_Static_assert(sizeof(conf_config) == 40, "conf_config layout");
_Static_assert(sizeof(conf_desc) == 16, "conf_desc layout");
_Static_assert(sizeof(conf_probe) == 8, "conf_probe layout");
_Static_assert(sizeof(conf_result) == 16, "conf_result layout");
_Static_assert(sizeof(conf_result_header) == 16, "conf_result_header layout");

#endif
