/* SPDX-License-Identifier: MIT */
/*
 * Bare-metal ARMv7 probe program for the lpae conformance test. Runs in Hyp
 * mode on QEMU -machine virt,virtualization=on -cpu cortex-a15. For each
 * configuration of the test description it stores the translation table
 * descriptors at their PAs, programs the PL1&0 stage-1 registers (MAIR0/1,
 * TTBCR, TTBR0/1, HCR = 0, TLBIALL, SCTLR.M = 1, or 0 when the description
 * asks for the flat mapping), runs ATS1CPR/CPW/CUR/CUW +
 * ISB + MRRC PAR for each probe, records the PAR (or the Data Abort it took),
 * then clears the descriptors again. The results go to a host file through
 * semihosting SYS_OPEN/SYS_WRITE, and SYS_EXIT ends QEMU.
 */
#include <stdint.h>

#include "../conf_abi.h"

void conf_main(uint32_t mode);
void conf_unexpected(uint32_t hsr, uint32_t elr);

volatile uint32_t conf_abort_hsr;
volatile uint32_t conf_abort_count;

/* ---- semihosting (SVC 0x123456 in A32) -------------------------------- */
#define SH_SYS_OPEN 0x01
#define SH_SYS_CLOSE 0x02
#define SH_SYS_WRITE0 0x04
#define SH_SYS_WRITE 0x05
#define SH_SYS_EXIT 0x18
#define SH_EXIT_OK 0x20026  /* ADP_Stopped_ApplicationExit */
#define SH_EXIT_ERR 0x20023 /* ADP_Stopped_RunTimeErrorUnknown */

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("svc 0x123456" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static void puts_host(const char *s)
{
    semihost(SH_SYS_WRITE0, s);
}

static void hex32(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
}

static void __attribute__((noreturn)) stop(int ok)
{
    semihost(SH_SYS_EXIT, (const void *)(uintptr_t)(ok ? SH_EXIT_OK : SH_EXIT_ERR));
    for (;;)
        ;
}

static void __attribute__((noreturn)) fail(const char *what, uint32_t v)
{
    static const char prefix[] = "lpae-conform guest: ";
    char line[80];
    unsigned n = 0;
    while (prefix[n]) {
        line[n] = prefix[n];
        n++;
    }
    while (*what && n < 60)
        line[n++] = *what++;
    line[n++] = ' ';
    line[n++] = '0';
    line[n++] = 'x';
    hex32(line + n, v);
    n += 8;
    line[n++] = '\n';
    line[n] = 0;
    puts_host(line);
    stop(0);
}

void conf_unexpected(uint32_t hsr, uint32_t elr)
{
    (void)elr;
    fail("unexpected exception, HSR", hsr);
}

/* ---- system registers ----------------------------------------------- */
static inline void wr_ttbcr(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c2, c0, 2" ::"r"(v));
}
static inline void wr_mair0(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c10, c2, 0" ::"r"(v));
}
static inline void wr_mair1(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c10, c2, 1" ::"r"(v));
}
static inline void wr_hcr(uint32_t v)
{
    __asm__ volatile("mcr p15, 4, %0, c1, c1, 0" ::"r"(v));
}
static inline uint32_t rd_sctlr(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c1, c0, 0" : "=r"(v));
    return v;
}
static inline void wr_sctlr(uint32_t v)
{
    __asm__ volatile("mcr p15, 0, %0, c1, c0, 0" ::"r"(v));
}
static inline void wr_ttbr0(uint64_t v)
{
    __asm__ volatile("mcrr p15, 0, %0, %1, c2" ::"r"((uint32_t)v), "r"((uint32_t)(v >> 32)));
}
static inline void wr_ttbr1(uint64_t v)
{
    __asm__ volatile("mcrr p15, 1, %0, %1, c2" ::"r"((uint32_t)v), "r"((uint32_t)(v >> 32)));
}
static inline void tlbiall(void)
{
    __asm__ volatile("mcr p15, 0, %0, c8, c7, 0" ::"r"(0));
}
static inline void dsb(void)
{
    __asm__ volatile("dsb" ::: "memory");
}
static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}

static inline uint64_t rd_par(void)
{
    uint32_t lo, hi;
    __asm__ volatile("mrrc p15, 0, %0, %1, c7" : "=r"(lo), "=r"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* The ATS operation itself; a walk abort resumes after the MCR. */
static inline void ats(uint32_t va, uint32_t op)
{
    switch (op) {
    case CONF_ATS1CPR:
        __asm__ volatile("mcr p15, 0, %0, c7, c8, 0" ::"r"(va) : "memory");
        break;
    case CONF_ATS1CPW:
        __asm__ volatile("mcr p15, 0, %0, c7, c8, 1" ::"r"(va) : "memory");
        break;
    case CONF_ATS1CUR:
        __asm__ volatile("mcr p15, 0, %0, c7, c8, 2" ::"r"(va) : "memory");
        break;
    default:
        __asm__ volatile("mcr p15, 0, %0, c7, c8, 3" ::"r"(va) : "memory");
        break;
    }
    isb();
}

static void store_descs(const conf_desc *d, uint32_t n, int clear)
{
    for (uint32_t i = 0; i < n; i++) {
        if (d[i].pa < CONF_ARENA_LO || d[i].pa >= CONF_ARENA_HI || (d[i].pa & 7))
            fail("descriptor outside the arena at", d[i].pa);
        volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)d[i].pa;
        *p = clear ? 0 : d[i].val;
    }
    dsb();
}

void conf_main(uint32_t mode)
{
    const conf_blob_header *h = (const conf_blob_header *)(uintptr_t)CONF_BLOB_ADDR;
    conf_result_header *rh = (conf_result_header *)(uintptr_t)CONF_RESULT_ADDR;
    conf_result *res = (conf_result *)(rh + 1);

    if (mode != 0x1a)
        fail("not started in Hyp mode; CPSR.M", mode);
    if (h->magic != CONF_MAGIC || h->version != CONF_VERSION)
        fail("bad test description magic", h->magic);
    if ((uint64_t)h->nprobes * sizeof(conf_result) + sizeof *rh > CONF_RESULT_MAX)
        fail("too many probes", h->nprobes);

    const uint8_t *p = (const uint8_t *)(h + 1);
    const uint8_t *end = (const uint8_t *)(uintptr_t)(CONF_BLOB_ADDR + CONF_BLOB_MAX);
    uint32_t done = 0;
    uint32_t sctlr = rd_sctlr() & ~UINT32_C(1);

    wr_hcr(0);
    for (uint32_t c = 0; c < h->nconfigs; c++) {
        const conf_config *cfg = (const conf_config *)p;
        p += sizeof *cfg;
        const conf_desc *descs = (const conf_desc *)p;
        p += (uint64_t)cfg->ndesc * sizeof(conf_desc);
        const conf_probe *probes = (const conf_probe *)p;
        p += (uint64_t)cfg->nprobe * sizeof(conf_probe);
        if (p > end || done + cfg->nprobe > h->nprobes)
            fail("test description overruns at configuration", c);

        store_descs(descs, cfg->ndesc, 0);
        wr_sctlr(sctlr); /* PL1&0 stage 1 off while its registers change */
        isb();
        wr_mair0(cfg->mair0);
        wr_mair1(cfg->mair1);
        wr_ttbcr(cfg->ttbcr);
        wr_ttbr0(cfg->ttbr0);
        wr_ttbr1(cfg->ttbr1);
        isb();
        tlbiall();
        dsb();
        isb();
        wr_sctlr(sctlr | (cfg->sctlr_m & 1u));
        isb();

        for (uint32_t i = 0; i < cfg->nprobe; i++) {
            conf_result *r = &res[done + i];
            uint32_t before = conf_abort_count;
            ats(probes[i].va, probes[i].op);
            if (conf_abort_count != before) {
                r->par = 0;
                r->status = CONF_ST_ABORT;
                r->hsr = conf_abort_hsr;
            } else {
                r->par = rd_par();
                r->status = CONF_ST_PAR;
                r->hsr = 0;
            }
        }
        done += cfg->nprobe;
        store_descs(descs, cfg->ndesc, 1);
    }
    if (done != h->nprobes)
        fail("probe count differs from the header:", done);

    rh->magic = CONF_MAGIC;
    rh->nprobes = done;
    rh->mode = mode;
    rh->reserved = 0;

    uint32_t len = 0;
    while (len < CONF_PATH_MAX - 1 && h->out_path[len])
        len++;
    uint32_t open_args[3] = {(uint32_t)(uintptr_t)h->out_path, 5 /* "wb" */, len};
    uint32_t fd = semihost(SH_SYS_OPEN, open_args);
    if (fd == UINT32_C(0xffffffff))
        fail("SYS_OPEN of the result file failed", fd);
    uint32_t nbytes = (uint32_t)sizeof *rh + done * (uint32_t)sizeof(conf_result);
    uint32_t write_args[3] = {fd, (uint32_t)(uintptr_t)rh, nbytes};
    uint32_t left = semihost(SH_SYS_WRITE, write_args);
    if (left != 0)
        fail("SYS_WRITE left bytes unwritten:", left);
    uint32_t close_args[1] = {fd};
    semihost(SH_SYS_CLOSE, close_args);
    stop(1);
}
