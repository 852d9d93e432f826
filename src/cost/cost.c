/* SPDX-License-Identifier: MIT */
/* Cost parameters: the table, presets and the `key = value` parser. */
#include "lpae/cost.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/oneline.h"
#include "cost/presets_data.h"
#include "lpae/err.h"

struct lpae_cost {
    char name[32];
    uint32_t val[LPAE_P_COUNT];
    char mark[LPAE_P_COUNT];
    char *src[LPAE_P_COUNT];
};

#define G LPAE_CAT_NONE
static const lpae_param_info param_table[LPAE_P_COUNT] = {
    [LPAE_P_CLOCK_MHZ] = {"cpu.clock_mhz", LPAE_PT_MHZ, G,
                          "nominal core clock in MHz (reports only)"},
    [LPAE_P_UTLB_I_ENTRIES] = {"utlb.i.entries", LPAE_PT_COUNT, G, "instruction micro-TLB entries"},
    [LPAE_P_UTLB_I_WAYS] = {"utlb.i.ways", LPAE_PT_COUNT, G, "instruction micro-TLB ways"},
    [LPAE_P_UTLB_I_SIZES] = {"utlb.i.sizes", LPAE_PT_SIZES, G,
                             "page sizes the instruction micro-TLB holds"},
    [LPAE_P_UTLB_I_REPL] = {"utlb.i.repl", LPAE_PT_REPL, G, "instruction micro-TLB replacement"},
    [LPAE_P_UTLB_I_LATENCY] = {"utlb.i.latency", LPAE_PT_CYCLES, LPAE_CAT_TLB,
                               "cycles per instruction micro-TLB lookup"},
    [LPAE_P_UTLB_DL_ENTRIES] = {"utlb.dl.entries", LPAE_PT_COUNT, G,
                                "data (load) micro-TLB entries"},
    [LPAE_P_UTLB_DL_WAYS] = {"utlb.dl.ways", LPAE_PT_COUNT, G, "data (load) micro-TLB ways"},
    [LPAE_P_UTLB_DL_SIZES] = {"utlb.dl.sizes", LPAE_PT_SIZES, G,
                              "page sizes the data (load) micro-TLB holds"},
    [LPAE_P_UTLB_DL_REPL] = {"utlb.dl.repl", LPAE_PT_REPL, G, "data (load) micro-TLB replacement"},
    [LPAE_P_UTLB_DL_LATENCY] = {"utlb.dl.latency", LPAE_PT_CYCLES, LPAE_CAT_TLB,
                                "cycles per data (load) micro-TLB lookup"},
    [LPAE_P_UTLB_DS_ENTRIES] = {"utlb.ds.entries", LPAE_PT_COUNT, G,
                                "store micro-TLB entries (0: stores use the load micro-TLB)"},
    [LPAE_P_UTLB_DS_WAYS] = {"utlb.ds.ways", LPAE_PT_COUNT, G, "store micro-TLB ways"},
    [LPAE_P_UTLB_DS_SIZES] = {"utlb.ds.sizes", LPAE_PT_SIZES, G,
                              "page sizes the store micro-TLB holds"},
    [LPAE_P_UTLB_DS_REPL] = {"utlb.ds.repl", LPAE_PT_REPL, G, "store micro-TLB replacement"},
    [LPAE_P_UTLB_DS_LATENCY] = {"utlb.ds.latency", LPAE_PT_CYCLES, LPAE_CAT_TLB,
                                "cycles per store micro-TLB lookup"},
    [LPAE_P_MTLB_ENTRIES] = {"mtlb.entries", LPAE_PT_COUNT, G, "main TLB entries"},
    [LPAE_P_MTLB_WAYS] = {"mtlb.ways", LPAE_PT_COUNT, G, "main TLB ways"},
    [LPAE_P_MTLB_SIZES] = {"mtlb.sizes", LPAE_PT_SIZES, G, "page sizes the main TLB holds"},
    [LPAE_P_MTLB_REPL] = {"mtlb.repl", LPAE_PT_REPL, G, "main TLB replacement"},
    [LPAE_P_MTLB_LATENCY] = {"mtlb.latency", LPAE_PT_CYCLES, LPAE_CAT_TLB,
                             "cycles a micro-TLB miss adds for the main-TLB lookup"},
    [LPAE_P_UTLB_FLUSH_TTBR] = {"utlb.flush_on_ttbr", LPAE_PT_BOOL, G,
                                "TTBR0/TTBR1 writes flush the micro-TLBs"},
    [LPAE_P_UTLB_FLUSH_CTXIDR] = {"utlb.flush_on_contextidr", LPAE_PT_BOOL, G,
                                  "CONTEXTIDR writes flush the micro-TLBs"},
    [LPAE_P_UTLB_FLUSH_TLBI] = {"utlb.flush_on_tlbi", LPAE_PT_BOOL, G,
                                "any TLB maintenance flushes the whole micro-TLBs"},
    [LPAE_P_WC1_ENTRIES] = {"wc.l1.entries", LPAE_PT_COUNT, G,
                            "walk-cache entries for level-1 table descriptors (0: none)"},
    [LPAE_P_WC1_WAYS] = {"wc.l1.ways", LPAE_PT_COUNT, G, "ways of the level-1 walk cache"},
    [LPAE_P_WC2_ENTRIES] = {"wc.l2.entries", LPAE_PT_COUNT, G,
                            "walk-cache entries for level-2 table descriptors (0: none)"},
    [LPAE_P_WC2_WAYS] = {"wc.l2.ways", LPAE_PT_COUNT, G, "ways of the level-2 walk cache"},
    [LPAE_P_WC_REPL] = {"wc.repl", LPAE_PT_REPL, G, "walk-cache replacement"},
    [LPAE_P_WC_ASID_TAGGED] = {"wc.asid_tagged", LPAE_PT_BOOL, G,
                               "walk-cache entries carry and match the ASID"},
    [LPAE_P_WC_LATENCY] = {"wc.latency", LPAE_PT_CYCLES, LPAE_CAT_WALK,
                           "cycles of a walk-cache lookup (on every main-TLB miss)"},
    [LPAE_P_WALK_BASE] = {"walk.base", LPAE_PT_CYCLES, LPAE_CAT_WALK,
                          "fixed cycles to start a table walk"},
    [LPAE_P_WALK_LEVEL] = {"walk.cache_level", LPAE_PT_LEVEL, G,
                           "first cache level descriptor fetches look up"},
    [LPAE_P_L1D_SIZE] = {"l1d.size", LPAE_PT_BYTES, G, "L1 data cache size in bytes (per CPU)"},
    [LPAE_P_L1D_WAYS] = {"l1d.ways", LPAE_PT_COUNT, G, "L1 data cache ways"},
    [LPAE_P_L1D_LINE] = {"l1d.line", LPAE_PT_BYTES, G, "L1 data cache line in bytes"},
    [LPAE_P_L1D_LATENCY] = {"l1d.latency", LPAE_PT_CYCLES, LPAE_CAT_WALK_FETCH,
                            "cycles of a load served by L1D"},
    [LPAE_P_L2_SIZE] = {"l2.size", LPAE_PT_BYTES, G, "L2 cache size in bytes (shared)"},
    [LPAE_P_L2_WAYS] = {"l2.ways", LPAE_PT_COUNT, G, "L2 cache ways"},
    [LPAE_P_L2_LINE] = {"l2.line", LPAE_PT_BYTES, G, "L2 cache line in bytes"},
    [LPAE_P_L2_LATENCY] = {"l2.latency", LPAE_PT_CYCLES, LPAE_CAT_WALK_FETCH,
                           "total cycles of a load served by L2"},
    [LPAE_P_DRAM_LATENCY] = {"dram.latency", LPAE_PT_CYCLES, LPAE_CAT_WALK_FETCH,
                             "total cycles of a load served by DRAM"},
    [LPAE_P_COPY_LINE_L1D] = {"copy.line.l1d", LPAE_PT_CYCLES, LPAE_CAT_COPY,
                              "copy cycles per line side (source or destination) served by L1D"},
    [LPAE_P_COPY_LINE_L2] = {"copy.line.l2", LPAE_PT_CYCLES, LPAE_CAT_COPY,
                             "copy cycles per line side served by L2"},
    [LPAE_P_COPY_LINE_DRAM] = {"copy.line.dram", LPAE_PT_CYCLES, LPAE_CAT_COPY,
                               "copy cycles per line side served by DRAM"},
    [LPAE_P_CP15_TTBR0] = {"cp15.ttbr0", LPAE_PT_CYCLES, LPAE_CAT_REGWRITE,
                           "cycles of an MCRR write of TTBR0"},
    [LPAE_P_CP15_TTBR1] = {"cp15.ttbr1", LPAE_PT_CYCLES, LPAE_CAT_REGWRITE,
                           "cycles of an MCRR write of TTBR1"},
    [LPAE_P_CP15_TTBCR] = {"cp15.ttbcr", LPAE_PT_CYCLES, LPAE_CAT_REGWRITE,
                           "cycles of an MCR write of TTBCR"},
    [LPAE_P_CP15_CONTEXTIDR] = {"cp15.contextidr", LPAE_PT_CYCLES, LPAE_CAT_REGWRITE,
                                "cycles of an MCR write of CONTEXTIDR"},
    [LPAE_P_ISB] = {"barrier.isb", LPAE_PT_CYCLES, LPAE_CAT_BARRIER, "cycles of an ISB"},
    [LPAE_P_DSB] = {"barrier.dsb", LPAE_PT_CYCLES, LPAE_CAT_BARRIER, "cycles of a DSB"},
    [LPAE_P_TLBI_ALL] = {"tlbi.all", LPAE_PT_CYCLES, LPAE_CAT_MAINT, "cycles of TLBIALL"},
    [LPAE_P_TLBI_ASID] = {"tlbi.asid", LPAE_PT_CYCLES, LPAE_CAT_MAINT, "cycles of TLBIASID"},
    [LPAE_P_TLBI_MVA] = {"tlbi.mva", LPAE_PT_CYCLES, LPAE_CAT_MAINT, "cycles of TLBIMVA"},
    [LPAE_P_TLBI_MVAA] = {"tlbi.mvaa", LPAE_PT_CYCLES, LPAE_CAT_MAINT, "cycles of TLBIMVAA"},
    [LPAE_P_TLBI_ALL_IS] = {"tlbi.all_is", LPAE_PT_CYCLES, LPAE_CAT_MAINT,
                            "cycles of TLBIALLIS on the issuing CPU"},
    [LPAE_P_TLBI_ASID_IS] = {"tlbi.asid_is", LPAE_PT_CYCLES, LPAE_CAT_MAINT,
                             "cycles of TLBIASIDIS on the issuing CPU"},
    [LPAE_P_TLBI_MVA_IS] = {"tlbi.mva_is", LPAE_PT_CYCLES, LPAE_CAT_MAINT,
                            "cycles of TLBIMVAIS on the issuing CPU"},
    [LPAE_P_TLBI_MVAA_IS] = {"tlbi.mvaa_is", LPAE_PT_CYCLES, LPAE_CAT_MAINT,
                             "cycles of TLBIMVAAIS on the issuing CPU"},
    [LPAE_P_BPIALL] = {"bp.iall", LPAE_PT_CYCLES, LPAE_CAT_MAINT,
                       "cycles of a local BPIALL (the mispredictions after it are not modelled)"},
    [LPAE_P_EXC_ENTRY] = {"exc.entry", LPAE_PT_CYCLES, LPAE_CAT_EXCEPTION,
                          "cycles of exception entry (SVC, abort, IRQ)"},
    [LPAE_P_EXC_EXIT] = {"exc.exit", LPAE_PT_CYCLES, LPAE_CAT_EXCEPTION,
                         "cycles of exception return"},
    [LPAE_P_SW_GUP_FAST_PAGE] = {"sw.gup_fast_page", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                                 "get_user_pages_fast cycles per page"},
    [LPAE_P_SW_ATOMIC] = {"sw.atomic", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                          "cycles of one atomic refcount operation"},
    [LPAE_P_SW_KMAP] = {"sw.kmap", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                        "kmap_local bookkeeping cycles per map or unmap"},
    [LPAE_P_SW_PAGE_FAULT] = {"sw.page_fault", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                              "page-fault handler cycles beyond exception entry/exit"},
    [LPAE_P_SW_IRQ_OFF] = {"sw.irq_off", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                           "cycles to disable interrupts"},
    [LPAE_P_SW_IRQ_ON] = {"sw.irq_on", LPAE_PT_CYCLES, LPAE_CAT_SOFTWARE,
                          "cycles to enable interrupts"},
};
#undef G

static const char *const cat_names[LPAE_CAT_COUNT] = {
    "tlb",  "walk", "walk-fetch", "maintenance", "barrier", "regwrite",
    "copy", "mem",  "exception",  "software",    "none",
};
static const char *const repl_names[] = {"lru", "plru", "rr", "random"};
static const char *const level_names[] = {"l1d", "l2", "dram"};

/* Page sizes a TLB may hold: LPAE leaf sizes, the A53's 512 MB split, and
 * the short-descriptor / contiguous sizes TRMs list. */
#define SIZES_ALLOWED                                                                              \
    ((1u << 12) | (1u << 16) | (1u << 20) | (1u << 21) | (1u << 24) | (1u << 29) | (1u << 30))

const lpae_param_info *lpae_param_get_info(lpae_param id)
{
    if ((unsigned)id >= LPAE_P_COUNT)
        return NULL;
    return &param_table[id];
}

int lpae_param_find(const char *key)
{
    if (!key)
        return LPAE_EINVAL;
    for (int i = 0; i < LPAE_P_COUNT; i++)
        if (!strcmp(param_table[i].key, key))
            return i;
    return LPAE_EINVAL;
}

const char *lpae_cat_name(lpae_cat cat)
{
    return (unsigned)cat < LPAE_CAT_COUNT ? cat_names[cat] : "?";
}

const char *lpae_repl_name(unsigned repl)
{
    return repl < 4 ? repl_names[repl] : "?";
}

const char *lpae_mem_level_name(unsigned level)
{
    return level < LPAE_MEM_LEVELS ? level_names[level] : "?";
}

int lpae_cost_create(lpae_cost **out)
{
    if (!out)
        return LPAE_EINVAL;
    lpae_cost *c = calloc(1, sizeof *c);
    if (!c)
        return LPAE_ENOMEM;
    memset(c->mark, '?', sizeof c->mark);
    *out = c;
    return LPAE_OK;
}

void lpae_cost_destroy(lpae_cost *c)
{
    if (!c)
        return;
    for (int i = 0; i < LPAE_P_COUNT; i++)
        free(c->src[i]);
    free(c);
}

static int copy_into(lpae_cost *dst, const lpae_cost *src)
{
    memcpy(dst->name, src->name, sizeof dst->name);
    memcpy(dst->val, src->val, sizeof dst->val);
    memcpy(dst->mark, src->mark, sizeof dst->mark);
    for (int i = 0; i < LPAE_P_COUNT; i++) {
        dst->src[i] = NULL;
        if (src->src[i] && !(dst->src[i] = strdup(src->src[i])))
            return LPAE_ENOMEM;
    }
    return LPAE_OK;
}

int lpae_cost_clone(const lpae_cost *c, lpae_cost **out)
{
    if (!c || !out)
        return LPAE_EINVAL;
    lpae_cost *n = calloc(1, sizeof *n);
    if (!n)
        return LPAE_ENOMEM;
    int rc = copy_into(n, c);
    if (rc) {
        lpae_cost_destroy(n);
        return rc;
    }
    *out = n;
    return LPAE_OK;
}

/* A value that fits the parameter's type. */
static bool value_ok(lpae_param id, uint32_t v)
{
    switch (param_table[id].type) {
    case LPAE_PT_BOOL:
        return v <= 1;
    case LPAE_PT_REPL:
        return v <= LPAE_REPL_RANDOM;
    case LPAE_PT_LEVEL:
        return v < LPAE_MEM_LEVELS;
    case LPAE_PT_SIZES:
        return (v & ~SIZES_ALLOWED) == 0;
    default:
        return true;
    }
}

uint32_t lpae_cost_get(const lpae_cost *c, lpae_param id)
{
    if (!c || (unsigned)id >= LPAE_P_COUNT)
        return 0;
    return c->val[id];
}

int lpae_cost_set(lpae_cost *c, lpae_param id, uint32_t value)
{
    if (!c || (unsigned)id >= LPAE_P_COUNT || !value_ok(id, value))
        return LPAE_EINVAL;
    char *s = strdup("set by the program");
    if (!s)
        return LPAE_ENOMEM;
    free(c->src[id]);
    c->src[id] = s;
    c->val[id] = value;
    c->mark[id] = 'U';
    return LPAE_OK;
}

char lpae_cost_mark(const lpae_cost *c, lpae_param id)
{
    if (!c || (unsigned)id >= LPAE_P_COUNT)
        return '?';
    return c->mark[id];
}

const char *lpae_cost_source(const lpae_cost *c, lpae_param id)
{
    if (!c || (unsigned)id >= LPAE_P_COUNT || !c->src[id])
        return "";
    return c->src[id];
}

const char *lpae_cost_name(const lpae_cost *c)
{
    return c ? c->name : "";
}

static const struct {
    const char *text;
    unsigned shift;
} size_names[] = {{"4K", 12},  {"64K", 16},  {"1M", 20}, {"2M", 21},
                  {"16M", 24}, {"512M", 29}, {"1G", 30}};
#define NSIZE_NAMES (sizeof size_names / sizeof size_names[0])

int lpae_cost_format(const lpae_cost *c, lpae_param id, char *buf, size_t len)
{
    if (!c || (unsigned)id >= LPAE_P_COUNT || (!buf && len))
        return LPAE_EINVAL;
    uint32_t v = c->val[id];
    switch (param_table[id].type) {
    case LPAE_PT_BOOL:
        return snprintf(buf, len, "%s", v ? "true" : "false");
    case LPAE_PT_REPL:
        return snprintf(buf, len, "%s", lpae_repl_name(v));
    case LPAE_PT_LEVEL:
        return snprintf(buf, len, "%s", lpae_mem_level_name(v));
    case LPAE_PT_SIZES: {
        char tmp[64];
        size_t n = 0;
        tmp[0] = '\0';
        for (size_t i = 0; i < NSIZE_NAMES; i++)
            if (v & (1u << size_names[i].shift))
                n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%s", n ? "," : "",
                                      size_names[i].text);
        return snprintf(buf, len, "%s", n ? tmp : "none");
    }
    default:
        return snprintf(buf, len, "%u", (unsigned)v);
    }
}

/* ---- parsing ------------------------------------------------------------ */

static void set_err(lpae_cost_error *err, const char *origin, unsigned line, const char *fmt,
                    const char *arg)
{
    if (!err)
        return;
    snprintf(err->origin, sizeof err->origin, "%s", origin ? origin : "");
    err->line = line;
    snprintf(err->msg, sizeof err->msg, fmt, arg ? arg : "");
    lpae_oneline(err->msg);
}

static int parse_uint(const char *s, uint32_t *out)
{
    if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_sizes(const char *s, uint32_t *out)
{
    uint32_t mask = 0;
    if (!strcasecmp(s, "none")) {
        *out = 0;
        return 0;
    }
    while (*s) {
        size_t n = strcspn(s, ",|");
        bool found = false;
        for (size_t i = 0; i < NSIZE_NAMES; i++) {
            if (strlen(size_names[i].text) == n && !strncasecmp(s, size_names[i].text, n)) {
                mask |= 1u << size_names[i].shift;
                found = true;
            }
        }
        if (!found)
            return -1;
        s += n;
        if (*s) {
            s++;
            if (!*s)
                return -1;
        }
    }
    *out = mask;
    return 0;
}

static int parse_value(lpae_param id, const char *s, uint32_t *out)
{
    switch (param_table[id].type) {
    case LPAE_PT_BOOL:
        if (!strcasecmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes")) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no")) {
            *out = 0;
            return 0;
        }
        return -1;
    case LPAE_PT_REPL:
        for (unsigned i = 0; i < 4; i++)
            if (!strcasecmp(s, repl_names[i])) {
                *out = i;
                return 0;
            }
        return -1;
    case LPAE_PT_LEVEL:
        for (unsigned i = 0; i < LPAE_MEM_LEVELS; i++)
            if (!strcasecmp(s, level_names[i])) {
                *out = i;
                return 0;
            }
        return -1;
    case LPAE_PT_SIZES:
        return parse_sizes(s, out);
    default:
        return parse_uint(s, out);
    }
}

static const char *type_expect(lpae_param_type t)
{
    switch (t) {
    case LPAE_PT_BOOL:
        return "a boolean (0, 1, true, false, yes, no)";
    case LPAE_PT_REPL:
        return "a replacement policy (lru, plru, rr, random)";
    case LPAE_PT_LEVEL:
        return "a cache level (l1d, l2, dram)";
    case LPAE_PT_SIZES:
        return "a page-size list such as 4K,2M,1G";
    default:
        return "an unsigned 32-bit integer";
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Parse @p text into @p c. preset: every line needs a mark, and every key
 * must appear. */
static int parse_into(lpae_cost *c, const char *text, size_t len, const char *origin, bool preset,
                      lpae_cost_error *err)
{
    unsigned seen_line[LPAE_P_COUNT];
    memset(seen_line, 0, sizeof seen_line);
    size_t pos = 0;
    unsigned lineno = 0;
    char line[1024] = {0}; /* also keeps the analyzer from guessing at unread bytes */
    char msg[160];

    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t n = end - pos;
        if (n >= sizeof line) {
            set_err(err, origin, lineno, "line longer than %s bytes", "1023");
            return LPAE_EPARSE;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end < len ? end + 1 : end;
        if (memchr(line, '\0', n)) {
            set_err(err, origin, lineno, "expected text, found a NUL byte%s", "");
            return LPAE_EPARSE;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        char *hash = strchr(s, '#');
        if (!eq || (hash && hash < eq)) {
            set_err(err, origin, lineno, "expected 'key = value'%s", "");
            return LPAE_EPARSE;
        }
        *eq = '\0';
        char *key = trim(s);
        char *rest = eq + 1;
        char *comment = NULL;
        if (hash) {
            *hash = '\0';
            comment = trim(hash + 1);
        }
        char *value = trim(rest);
        int id = lpae_param_find(key);
        if (id < 0) {
            set_err(err, origin, lineno, "expected a known parameter key, got '%s'", key);
            return LPAE_EPARSE;
        }
        if (seen_line[id]) {
            snprintf(msg, sizeof msg, "'%s' already set on line %u", key, seen_line[id]);
            set_err(err, origin, lineno, "%s", msg);
            return LPAE_EPARSE;
        }
        seen_line[id] = lineno;
        uint32_t v;
        if (!*value || parse_value((lpae_param)id, value, &v) || !value_ok((lpae_param)id, v)) {
            snprintf(msg, sizeof msg, "expected %s for '%s'", type_expect(param_table[id].type),
                     key);
            set_err(err, origin, lineno, "%s", msg);
            return LPAE_EPARSE;
        }
        char mark = 'U';
        const char *source = NULL;
        if (comment && comment[0] == '[' && comment[1] && comment[2] == ']' &&
            strchr("DMCE", comment[1])) {
            mark = comment[1];
            source = trim(comment + 3);
        } else if (preset) {
            snprintf(msg, sizeof msg, "expected '# [D|M|C|E] source' after the value of '%s'", key);
            set_err(err, origin, lineno, "%s", msg);
            return LPAE_EPARSE;
        } else if (comment && *comment) {
            source = comment;
        }
        char buf[320];
        if (!source || !*source) {
            snprintf(buf, sizeof buf, "%s:%u", origin, lineno);
            source = buf;
        }
        char *dup = strdup(source);
        if (!dup)
            return LPAE_ENOMEM;
        free(c->src[id]);
        c->src[id] = dup;
        c->val[id] = v;
        c->mark[id] = mark;
    }
    if (preset) {
        for (int i = 0; i < LPAE_P_COUNT; i++)
            if (!seen_line[i]) {
                set_err(err, origin, 0, "expected a value for '%s' (every key is required)",
                        param_table[i].key);
                return LPAE_EPARSE;
            }
    }
    return LPAE_OK;
}

int lpae_cost_load_text(lpae_cost *c, const char *text, size_t len, const char *origin,
                        lpae_cost_error *err)
{
    if (!c || (!text && len))
        return LPAE_EINVAL;
    if (!origin)
        origin = "<text>";
    lpae_cost tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = copy_into(&tmp, c);
    if (!rc)
        rc = parse_into(&tmp, text, len, origin, false, err);
    if (rc) {
        for (int i = 0; i < LPAE_P_COUNT; i++)
            free(tmp.src[i]);
        return rc;
    }
    for (int i = 0; i < LPAE_P_COUNT; i++) {
        free(c->src[i]);
        c->src[i] = tmp.src[i];
    }
    memcpy(c->val, tmp.val, sizeof c->val);
    memcpy(c->mark, tmp.mark, sizeof c->mark);
    return LPAE_OK;
}

static int read_file(const char *path, char **text, size_t *len, lpae_cost_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, path, 0, "cannot open: %s", strerror(errno));
        return LPAE_EIO;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return LPAE_ENOMEM;
    }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= (size_t)1 << 24) {
            free(buf);
            fclose(f);
            set_err(err, path, 0, "expected a file under 16 MB%s", "");
            return LPAE_EPARSE;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            fclose(f);
            return LPAE_ENOMEM;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        set_err(err, path, 0, "read error%s", "");
        return LPAE_EIO;
    }
    *text = buf;
    *len = n;
    return LPAE_OK;
}

int lpae_cost_load_file(lpae_cost *c, const char *path, lpae_cost_error *err)
{
    if (!c || !path)
        return LPAE_EINVAL;
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len, err);
    if (rc)
        return rc;
    rc = lpae_cost_load_text(c, text, len, path, err);
    free(text);
    return rc;
}

static int preset_from_text(const char *name, const char *text, size_t len, const char *origin,
                            lpae_cost **out, lpae_cost_error *err)
{
    lpae_cost *c;
    int rc = lpae_cost_create(&c);
    if (rc)
        return rc;
    rc = parse_into(c, text, len, origin, true, err);
    if (rc) {
        lpae_cost_destroy(c);
        return rc;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    *out = c;
    return LPAE_OK;
}

int lpae_cost_load_preset_file(const char *path, lpae_cost **out, lpae_cost_error *err)
{
    if (!path || !out)
        return LPAE_EINVAL;
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len, err);
    if (rc)
        return rc;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[32];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    rc = preset_from_text(name, text, len, path, out, err);
    free(text);
    return rc;
}

size_t lpae_cost_preset_count(void)
{
    return lpae_preset_blob_count;
}

const char *lpae_cost_preset_name(size_t i)
{
    return i < lpae_preset_blob_count ? lpae_preset_blobs[i].name : NULL;
}

int lpae_cost_preset(const char *name, lpae_cost **out, lpae_cost_error *err)
{
    if (!name || !out)
        return LPAE_EINVAL;
    for (size_t i = 0; i < lpae_preset_blob_count; i++) {
        const lpae_preset_blob *b = &lpae_preset_blobs[i];
        if (strcasecmp(b->name, name) != 0)
            continue;
        char origin[64];
        snprintf(origin, sizeof origin, "presets/%s.conf", b->name);
        return preset_from_text(b->name, (const char *)b->text, b->len, origin, out, err);
    }
    return LPAE_EINVAL;
}

/* ---- geometry check ------------------------------------------------------ */

static bool pow2(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* A set-associative structure: entries/ways sets (power of two), policy. */
static int check_sa(const lpae_cost *c, lpae_param entries, lpae_param ways, lpae_param repl,
                    bool may_be_empty, lpae_param *bad)
{
    uint32_t e = c->val[entries], w = c->val[ways];
    if (e == 0 && may_be_empty)
        return LPAE_OK;
    if (e == 0 || w == 0 || e % w || !pow2(e / w) || w > 1024) {
        *bad = e == 0 || (w && e % w == 0 && !pow2(e / w)) ? entries : ways;
        return LPAE_EINVAL;
    }
    if (c->val[repl] == LPAE_REPL_PLRU && (!pow2(w) || w > 64)) {
        *bad = repl;
        return LPAE_EINVAL;
    }
    return LPAE_OK;
}

static int check_cache(const lpae_cost *c, lpae_param size, lpae_param ways, lpae_param line,
                       lpae_param *bad)
{
    uint32_t s = c->val[size], w = c->val[ways], l = c->val[line];
    if (!pow2(l) || l < 8 || l > 4096) {
        *bad = line;
        return LPAE_EINVAL;
    }
    if (w == 0 || w > 64) {
        *bad = ways;
        return LPAE_EINVAL;
    }
    if (s == 0 || s % ((uint64_t)w * l) || !pow2(s / (w * l))) {
        *bad = size;
        return LPAE_EINVAL;
    }
    return LPAE_OK;
}

int lpae_cost_check(const lpae_cost *c, lpae_param *bad)
{
    lpae_param dummy;
    if (!bad)
        bad = &dummy;
    if (!c)
        return LPAE_EINVAL;
    for (int i = 0; i < LPAE_P_COUNT; i++)
        if (!value_ok((lpae_param)i, c->val[i])) {
            *bad = (lpae_param)i;
            return LPAE_EINVAL;
        }
    static const lpae_param tl[4][4] = {
        {LPAE_P_UTLB_I_ENTRIES, LPAE_P_UTLB_I_WAYS, LPAE_P_UTLB_I_REPL, LPAE_P_UTLB_I_SIZES},
        {LPAE_P_UTLB_DL_ENTRIES, LPAE_P_UTLB_DL_WAYS, LPAE_P_UTLB_DL_REPL, LPAE_P_UTLB_DL_SIZES},
        {LPAE_P_UTLB_DS_ENTRIES, LPAE_P_UTLB_DS_WAYS, LPAE_P_UTLB_DS_REPL, LPAE_P_UTLB_DS_SIZES},
        {LPAE_P_MTLB_ENTRIES, LPAE_P_MTLB_WAYS, LPAE_P_MTLB_REPL, LPAE_P_MTLB_SIZES},
    };
    for (int i = 0; i < 4; i++) {
        int rc = check_sa(c, tl[i][0], tl[i][1], tl[i][2], i == 2, bad);
        if (rc)
            return rc;
        /* Every TLB must hold 4 KB entries: anything can be cached as 4 KB pieces. */
        if ((i != 2 || c->val[tl[i][0]]) && !(c->val[tl[i][3]] & (1u << 12))) {
            *bad = tl[i][3];
            return LPAE_EINVAL;
        }
    }
    int rc = check_sa(c, LPAE_P_WC1_ENTRIES, LPAE_P_WC1_WAYS, LPAE_P_WC_REPL, true, bad);
    if (!rc)
        rc = check_sa(c, LPAE_P_WC2_ENTRIES, LPAE_P_WC2_WAYS, LPAE_P_WC_REPL, true, bad);
    if (!rc)
        rc = check_cache(c, LPAE_P_L1D_SIZE, LPAE_P_L1D_WAYS, LPAE_P_L1D_LINE, bad);
    if (!rc)
        rc = check_cache(c, LPAE_P_L2_SIZE, LPAE_P_L2_WAYS, LPAE_P_L2_LINE, bad);
    return rc;
}
