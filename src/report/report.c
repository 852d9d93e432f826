/* SPDX-License-Identifier: MIT */
/* The comparison report: table, CSV, JSON and SVG renderers. */
#include "lpae/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lpae/cost.h"
#include "lpae/err.h"
#include "lpae/machine.h"

/* ---- categories ---------------------------------------------------------- */

static const char *const mech_names[LPAE_RM_COUNT] = {
    "regwrite", "barrier", "tlbi", "walk", "tlb", "copy", "mem", "exception", "software", "other",
};
/* Column titles in the table. */
static const char *const mech_titles[LPAE_RM_COUNT] = {
    "TTBR/CR", "barrier", "TLBI", "walk", "TLB", "copy", "mem", "exc", "sw", "other",
};

const char *lpae_report_mech_name(lpae_report_mech m)
{
    return (unsigned)m < LPAE_RM_COUNT ? mech_names[m] : "?";
}

static lpae_cycles_t mech_named(const lpae_kernel_stats *st, lpae_report_mech m)
{
    switch (m) {
    case LPAE_RM_REGWRITE:
        return st->cat[LPAE_CAT_REGWRITE];
    case LPAE_RM_BARRIER:
        return st->cat[LPAE_CAT_BARRIER];
    case LPAE_RM_TLBI:
        return st->cat[LPAE_CAT_MAINT];
    case LPAE_RM_WALK:
        return st->cat[LPAE_CAT_WALK] + st->cat[LPAE_CAT_WALK_FETCH];
    case LPAE_RM_TLB:
        return st->cat[LPAE_CAT_TLB];
    case LPAE_RM_COPY:
        return st->cat[LPAE_CAT_COPY];
    case LPAE_RM_MEM:
        return st->cat[LPAE_CAT_MEM];
    case LPAE_RM_EXCEPTION:
        return st->cat[LPAE_CAT_EXCEPTION];
    case LPAE_RM_SOFTWARE:
        return st->cat[LPAE_CAT_SOFTWARE];
    default:
        return 0;
    }
}

lpae_cycles_t lpae_report_mech_cycles(const lpae_kernel_stats *st, lpae_report_mech m)
{
    if (!st || (unsigned)m >= LPAE_RM_COUNT)
        return 0;
    if (m != LPAE_RM_OTHER)
        return mech_named(st, m);
    /* whatever the named categories do not cover, so that they partition the total */
    lpae_cycles_t sum = 0;
    for (unsigned i = 0; i < LPAE_RM_OTHER; i++)
        sum += mech_named(st, (lpae_report_mech)i);
    return st->cycles > sum ? st->cycles - sum : 0;
}

/* Phases: the kernel's, plus "other" for cycles booked under none. */
#define NPHASE (LPAE_PH_COUNT + 1)

static const char *phase_key(unsigned p)
{
    return p < LPAE_PH_COUNT ? lpae_phase_name((lpae_phase)p) : "other";
}

static lpae_cycles_t phase_cycles(const lpae_kernel_stats *st, unsigned p)
{
    if (p < LPAE_PH_COUNT)
        return st->phase[p];
    lpae_cycles_t sum = 0;
    for (unsigned i = 0; i < LPAE_PH_COUNT; i++)
        sum += st->phase[i];
    return st->cycles > sum ? st->cycles - sum : 0;
}

/* TLB structures as reported: key, title. */
static const char *const st_keys[LPAE_ST_COUNT] = {"utlb_i", "utlb_dl", "utlb_ds",
                                                   "mtlb",   "wc1",     "wc2"};
static const char *const st_titles[LPAE_ST_COUNT] = {"uTLB-I", "uTLB-DL", "uTLB-DS",
                                                     "mTLB",   "WC1",     "WC2"};

/* ---- helpers ------------------------------------------------------------- */

static const char *str_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static const char *strat_name(const lpae_report_result *r)
{
    return lpae_strategy_name(r->strategy);
}

static void row_label(const lpae_report_result *r, char *buf, size_t len)
{
    if (r->strategy == LPAE_STRAT_HYBRID && r->threshold)
        snprintf(buf, len, "%s@%" PRIu32, strat_name(r), r->threshold);
    else
        snprintf(buf, len, "%s", strat_name(r));
}

/* The "direct" baseline of @p r's trace and CPU (NULL if none ran cleanly). */
static const lpae_report_result *baseline(const lpae_report_trace *t, const char *cpu)
{
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (r->status == 0 && r->strategy == LPAE_STRAT_DIRECT &&
            strcmp(str_or(r->cpu, ""), cpu) == 0)
            return r;
    }
    return NULL;
}

/* Is @p t->results[i] the first result with its CPU name? (groups keep first-seen order) */
static bool first_of_cpu(const lpae_report_trace *t, size_t i)
{
    const char *cpu = str_or(t->results[i].cpu, "");
    for (size_t j = 0; j < i; j++)
        if (strcmp(str_or(t->results[j].cpu, ""), cpu) == 0)
            return false;
    return true;
}

static bool same_cpu(const lpae_report_result *r, const char *cpu)
{
    return strcmp(str_or(r->cpu, ""), cpu) == 0;
}

static double ratio(lpae_cycles_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static int finish(FILE *out)
{
    if (fflush(out) != 0 || ferror(out))
        return LPAE_EIO;
    return 0;
}

static double pct(lpae_cycles_t part, lpae_cycles_t total)
{
    return total ? 100.0 * (double)part / (double)total : 0.0;
}

/* A breakdown of cycles into @p nser series (mechanisms, phases). */
typedef lpae_cycles_t (*series_fn)(const lpae_kernel_stats *st, unsigned i);

static lpae_cycles_t mech_series(const lpae_kernel_stats *st, unsigned i)
{
    return lpae_report_mech_cycles(st, (lpae_report_mech)i);
}

static const char *mech_title(unsigned m)
{
    return mech_titles[m];
}

/* ---- table --------------------------------------------------------------- */

_Static_assert(LPAE_RM_COUNT <= 16 && NPHASE <= 16, "the breakdowns keep 16 column flags");

/* "cycles by TITLE": each series as a percentage of each strategy's total,
 * only the columns some row uses. */
static void pct_table(FILE *out, const lpae_report_trace *t, const char *cpu, const char *title,
                      unsigned nser, series_fn val, const char *(*name)(unsigned))
{
    bool used[16] = {false};
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status)
            continue;
        for (unsigned m = 0; m < nser; m++)
            used[m] |= val(&r->st, m) != 0;
    }
    fprintf(out, "\ncycles by %s, %% of each strategy's total\n%-18s", title, "strategy");
    for (unsigned m = 0; m < nser; m++)
        if (used[m])
            fprintf(out, " %8s", name(m));
    fprintf(out, "\n");
    char lab[48];
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status)
            continue;
        row_label(r, lab, sizeof(lab));
        fprintf(out, "%-18s", lab);
        for (unsigned m = 0; m < nser; m++)
            if (used[m])
                fprintf(out, " %8.1f", pct(val(&r->st, m), r->st.cycles));
        fprintf(out, "\n");
    }
}

static void table_group(FILE *out, const lpae_report_trace *t, const char *cpu)
{
    const lpae_report_result *base = baseline(t, cpu);
    const lpae_report_result *any = NULL;
    for (size_t i = 0; i < t->nresults; i++)
        if (same_cpu(&t->results[i], cpu) && t->results[i].status == 0) {
            any = &t->results[i];
            break;
        }
    fprintf(out, "== %s on %s", str_or(t->trace, "-"), cpu);
    if (any)
        fprintf(out, ": %" PRIu64 " events, %" PRIu64 " syscalls, %" PRIu64 " bytes copied",
                any->st.events, any->st.syscalls, any->st.bytes_copied);
    fprintf(out, "\n\n");
    char lab[48];

    fprintf(out, "%-18s %-14s %16s %12s %10s %9s\n", "strategy", "split", "cycles", "cyc/syscall",
            "cyc/KiB", "vs direct");
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu))
            continue;
        row_label(r, lab, sizeof(lab));
        if (r->status) {
            fprintf(out, "%-18s %-14s failed: %s\n", lab, str_or(r->split, "-"),
                    str_or(r->error, lpae_strerror(r->status)));
            continue;
        }
        char sd[16] = "-";
        if (base && base->st.cycles)
            snprintf(sd, sizeof(sd), "%.2fx", (double)r->st.cycles / (double)base->st.cycles);
        fprintf(out, "%-18s %-14s %16" PRIu64 " %12.1f %10.1f %9s\n", lab, str_or(r->split, "-"),
                r->st.cycles, ratio(r->st.cycles, r->st.syscalls),
                ratio(r->st.cycles * 1024, r->st.bytes_copied), sd);
    }

    pct_table(out, t, cpu, "mechanism", LPAE_RM_COUNT, mech_series, mech_title);
    pct_table(out, t, cpu, "kernel phase", NPHASE, phase_cycles, phase_key);

    fprintf(out, "\nevents (TLB columns: misses)\n%-18s %9s %9s %9s %9s %9s %9s", "strategy",
            "TTBRw", "TTBCRw", "ISB", "DSB", "TLBI", "walks");
    for (unsigned s = 0; s <= LPAE_ST_MTLB; s++)
        fprintf(out, " %9s", st_titles[s]);
    fprintf(out, " %9s %9s %9s %9s %9s %9s\n", "GUPpages", "kmaps", "faults", "EFAULTs", "ASIDs",
            "rollover");
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status)
            continue;
        const lpae_kernel_stats *s = &r->st;
        row_label(r, lab, sizeof(lab));
        fprintf(out,
                "%-18s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64,
                lab, s->ttbr_writes, s->ttbcr_writes, s->isb, s->dsb, s->tlbi, s->walks);
        for (unsigned l = 0; l <= LPAE_ST_MTLB; l++)
            fprintf(out, " %9" PRIu64, s->tlb_misses[l]);
        fprintf(out,
                " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
                s->gup_pages, s->kmaps, s->demand_faults, s->efaults, s->asid_allocs,
                s->asid_rollovers);
    }

    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status || r->nladder == 0)
            continue;
        fprintf(out,
                "\n%s: best threshold %" PRIu32 " bytes (ttbr0-switch up to it, pinned above)\n",
                strat_name(r), r->threshold);
        fprintf(out, "  threshold:");
        for (size_t j = 0; j < r->nladder; j++)
            fprintf(out, " %10" PRIu32, r->ladder_threshold[j]);
        fprintf(out, "\n  cycles:   ");
        for (size_t j = 0; j < r->nladder; j++)
            fprintf(out, " %10" PRIu64, r->ladder_cycles[j]);
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

/* Strategy columns of a sweep sorted by cycles at value @p v (failed cells last). */
static void sweep_rank(const lpae_report_sweep *sw, size_t v, size_t *order)
{
    size_t n = sw->nstrategies;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable, deterministic */
        size_t x = order[i], j = i;
        while (j > 0) {
            size_t y = order[j - 1];
            bool xf = sw->status[v * n + x] != 0, yf = sw->status[v * n + y] != 0;
            bool less =
                (!xf && yf) || (!xf && !yf && sw->cycles[v * n + x] < sw->cycles[v * n + y]);
            if (!less)
                break;
            order[j] = y;
            j--;
        }
        order[j] = x;
    }
}

#define SWEEP_MAX_STRAT 64

static void table_sweep(FILE *out, const lpae_report_sweep *sw)
{
    size_t n = sw->nstrategies;
    if (n == 0 || n > SWEEP_MAX_STRAT)
        return;
    fprintf(out, "== sweep %s on %s, %s: total cycles, ranking best first\n\n",
            str_or(sw->param, "?"), str_or(sw->trace, "-"), str_or(sw->cpu, "-"));
    fprintf(out, "%10s", str_or(sw->param, "?"));
    for (size_t s = 0; s < n; s++)
        fprintf(out, " %14s", lpae_strategy_name(sw->strategies[s]));
    fprintf(out, "  ranking\n");
    size_t order[SWEEP_MAX_STRAT], prev[SWEEP_MAX_STRAT];
    for (size_t v = 0; v < sw->nvalues; v++) {
        fprintf(out, "%10" PRIu32, sw->values[v]);
        for (size_t s = 0; s < n; s++) {
            if (sw->status[v * n + s])
                fprintf(out, " %14s", "failed");
            else
                fprintf(out, " %14" PRIu64, sw->cycles[v * n + s]);
        }
        sweep_rank(sw, v, order);
        fprintf(out, "  ");
        for (size_t i = 0; i < n; i++) {
            if (sw->status[v * n + order[i]])
                break;
            fprintf(out, "%s%s", i ? " < " : "", lpae_strategy_name(sw->strategies[order[i]]));
        }
        if (v > 0 && memcmp(order, prev, n * sizeof(order[0])) != 0)
            fprintf(out, "   <- ranking changes");
        fprintf(out, "\n");
        memcpy(prev, order, n * sizeof(order[0]));
    }
    fprintf(out, "\n");
}

int lpae_report_table(FILE *out, const lpae_report *rep)
{
    if (!out || !rep)
        return LPAE_EINVAL;
    for (size_t ti = 0; ti < rep->ntraces; ti++) {
        const lpae_report_trace *t = &rep->traces[ti];
        if (t->status)
            fprintf(out, "!! %s: stopped after %" PRIu64 " events: %s\n\n", str_or(t->trace, "-"),
                    t->events, str_or(t->error, lpae_strerror(t->status)));
        for (size_t i = 0; i < t->nresults; i++)
            if (first_of_cpu(t, i))
                table_group(out, t, str_or(t->results[i].cpu, ""));
    }
    for (size_t s = 0; s < rep->nsweeps; s++)
        table_sweep(out, &rep->sweeps[s]);
    return finish(out);
}

/* ---- CSV ----------------------------------------------------------------- */

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_str(FILE *out, const char *s)
{
    s = str_or(s, "");
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Columns after "status": 7 totals and ratios, the categories, phases, TLB pairs, 15 counts. */
#define CSV_NUMBERS (7u + LPAE_RM_COUNT + NPHASE + 2u * LPAE_ST_COUNT + 15u)

int lpae_report_csv(FILE *out, const lpae_report *rep)
{
    if (!out || !rep)
        return LPAE_EINVAL;
    fputs("trace,cpu,split,strategy,threshold,status,cycles,events,syscalls,bytes_copied,"
          "cycles_per_syscall,cycles_per_kib,slowdown",
          out);
    for (unsigned m = 0; m < LPAE_RM_COUNT; m++)
        fprintf(out, ",mech_%s", mech_names[m]);
    for (unsigned p = 0; p < NPHASE; p++)
        fprintf(out, ",phase_%s", phase_key(p));
    for (unsigned s = 0; s < LPAE_ST_COUNT; s++)
        fprintf(out, ",%s_hits,%s_misses", st_keys[s], st_keys[s]);
    fputs(",walks,ttbr_writes,ttbcr_writes,isb,dsb,tlbi,gup_pages,kmaps,kmaps_highmem,"
          "demand_faults,efaults,asid_allocs,asid_rollovers,asid_flushes,context_switches\n",
          out);
    for (size_t ti = 0; ti < rep->ntraces; ti++) {
        const lpae_report_trace *t = &rep->traces[ti];
        for (size_t i = 0; i < t->nresults; i++) {
            const lpae_report_result *r = &t->results[i];
            const lpae_kernel_stats *s = &r->st;
            csv_str(out, t->trace);
            fputc(',', out);
            csv_str(out, r->cpu);
            fputc(',', out);
            csv_str(out, r->split);
            fprintf(out, ",%s,%" PRIu32 ",", strat_name(r), r->threshold);
            if (r->status) {
                /* the error in the status column, the numbers left empty */
                csv_str(out, str_or(r->error, lpae_strerror(r->status)));
                for (unsigned k = 0; k < CSV_NUMBERS; k++)
                    fputc(',', out);
                fputc('\n', out);
                continue;
            }
            fputs("ok", out);
            const lpae_report_result *base = baseline(t, str_or(r->cpu, ""));
            fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.2f,%.2f,", s->cycles,
                    s->events, s->syscalls, s->bytes_copied, ratio(s->cycles, s->syscalls),
                    ratio(s->cycles * 1024, s->bytes_copied));
            if (base && base->st.cycles)
                fprintf(out, "%.4f", (double)s->cycles / (double)base->st.cycles);
            for (unsigned m = 0; m < LPAE_RM_COUNT; m++)
                fprintf(out, ",%" PRIu64, lpae_report_mech_cycles(s, (lpae_report_mech)m));
            for (unsigned p = 0; p < NPHASE; p++)
                fprintf(out, ",%" PRIu64, phase_cycles(s, p));
            for (unsigned l = 0; l < LPAE_ST_COUNT; l++)
                fprintf(out, ",%" PRIu64 ",%" PRIu64, s->tlb_hits[l], s->tlb_misses[l]);
            fprintf(out,
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                    s->walks, s->ttbr_writes, s->ttbcr_writes, s->isb, s->dsb, s->tlbi,
                    s->gup_pages, s->kmaps, s->kmaps_highmem, s->demand_faults, s->efaults,
                    s->asid_allocs, s->asid_rollovers, s->asid_flushes, s->context_switches);
        }
    }
    return finish(out);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)str_or(s, ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_kv_u64(FILE *out, const char *ind, const char *k, uint64_t v, bool comma)
{
    fprintf(out, "%s\"%s\": %" PRIu64 "%s\n", ind, k, v, comma ? "," : "");
}

static void json_result(FILE *out, const lpae_report_trace *t, const lpae_report_result *r,
                        bool last)
{
    const char *I = "        ";
    const lpae_kernel_stats *s = &r->st;
    fprintf(out, "      {\n%s\"trace\": ", I);
    json_str(out, t->trace);
    fprintf(out, ",\n%s\"cpu\": ", I);
    json_str(out, r->cpu);
    fprintf(out, ",\n%s\"split\": ", I);
    json_str(out, r->split);
    fprintf(out, ",\n%s\"strategy\": ", I);
    json_str(out, strat_name(r));
    fprintf(out, ",\n");
    if (r->strategy == LPAE_STRAT_HYBRID)
        fprintf(out, "%s\"threshold\": %" PRIu32 ",\n", I, r->threshold);
    else
        fprintf(out, "%s\"threshold\": null,\n", I);
    if (r->status) {
        fprintf(out, "%s\"status\": \"failed\",\n%s\"error\": ", I, I);
        json_str(out, str_or(r->error, lpae_strerror(r->status)));
        fprintf(out, "\n      }%s\n", last ? "" : ",");
        return;
    }
    fprintf(out, "%s\"status\": \"ok\",\n", I);
    json_kv_u64(out, I, "cycles", s->cycles, true);
    json_kv_u64(out, I, "events", s->events, true);
    json_kv_u64(out, I, "syscalls", s->syscalls, true);
    json_kv_u64(out, I, "bytes_copied", s->bytes_copied, true);
    if (s->syscalls)
        fprintf(out, "%s\"cycles_per_syscall\": %.3f,\n", I, ratio(s->cycles, s->syscalls));
    else
        fprintf(out, "%s\"cycles_per_syscall\": null,\n", I);
    if (s->bytes_copied)
        fprintf(out, "%s\"cycles_per_kib\": %.3f,\n", I, ratio(s->cycles * 1024, s->bytes_copied));
    else
        fprintf(out, "%s\"cycles_per_kib\": null,\n", I);
    const lpae_report_result *base = baseline(t, str_or(r->cpu, ""));
    if (base && base->st.cycles)
        fprintf(out, "%s\"slowdown\": %.4f,\n", I, (double)s->cycles / (double)base->st.cycles);
    else
        fprintf(out, "%s\"slowdown\": null,\n", I);

    fprintf(out, "%s\"breakdown\": {", I);
    for (unsigned m = 0; m < LPAE_RM_COUNT; m++)
        fprintf(out, "%s\"%s\": %" PRIu64, m ? ", " : "", mech_names[m],
                lpae_report_mech_cycles(s, (lpae_report_mech)m));
    fprintf(out, "},\n%s\"phases\": {", I);
    for (unsigned p = 0; p < NPHASE; p++)
        fprintf(out, "%s\"%s\": %" PRIu64, p ? ", " : "", phase_key(p), phase_cycles(s, p));
    fprintf(out, "},\n%s\"tlb\": {\n", I);
    for (unsigned l = 0; l < LPAE_ST_COUNT; l++)
        fprintf(out, "%s  \"%s\": {\"hits\": %" PRIu64 ", \"misses\": %" PRIu64 "}%s\n", I,
                st_keys[l], s->tlb_hits[l], s->tlb_misses[l], l + 1 < LPAE_ST_COUNT ? "," : "");
    fprintf(out, "%s},\n", I);
    fprintf(out,
            "%s\"asid\": {\"allocations\": %" PRIu64 ", \"rollovers\": %" PRIu64
            ", \"flushes\": %" PRIu64 "},\n",
            I, s->asid_allocs, s->asid_rollovers, s->asid_flushes);
    fprintf(out,
            "%s\"counts\": {\"ttbr_writes\": %" PRIu64 ", \"ttbcr_writes\": %" PRIu64
            ", \"isb\": %" PRIu64 ", \"dsb\": %" PRIu64 ", \"tlbi\": %" PRIu64
            ", \"walks\": %" PRIu64 ", \"uaccess_calls\": %" PRIu64 ", \"efaults\": %" PRIu64
            ", \"eperms\": %" PRIu64 ", \"demand_faults\": %" PRIu64 ", \"gup_pages\": %" PRIu64
            ", \"kmaps\": %" PRIu64 ", \"kmaps_highmem\": %" PRIu64
            ", \"context_switches\": %" PRIu64 ", \"tasks_created\": %" PRIu64 "}",
            I, s->ttbr_writes, s->ttbcr_writes, s->isb, s->dsb, s->tlbi, s->walks, s->uaccess_calls,
            s->efaults, s->eperms, s->demand_faults, s->gup_pages, s->kmaps, s->kmaps_highmem,
            s->context_switches, s->tasks_created);
    if (r->nladder) {
        fprintf(out, ",\n%s\"hybrid_ladder\": [", I);
        for (size_t j = 0; j < r->nladder; j++)
            fprintf(out, "%s{\"threshold\": %" PRIu32 ", \"cycles\": %" PRIu64 "}", j ? ", " : "",
                    r->ladder_threshold[j], r->ladder_cycles[j]);
        fprintf(out, "]");
    }
    fprintf(out, "\n      }%s\n", last ? "" : ",");
}

static void json_sweep(FILE *out, const lpae_report_sweep *sw, bool last)
{
    size_t n = sw->nstrategies;
    fprintf(out, "    {\n      \"trace\": ");
    json_str(out, sw->trace);
    fprintf(out, ",\n      \"cpu\": ");
    json_str(out, sw->cpu);
    fprintf(out, ",\n      \"param\": ");
    json_str(out, sw->param);
    fprintf(out, ",\n      \"strategies\": [");
    for (size_t s = 0; s < n; s++) {
        fprintf(out, "%s", s ? ", " : "");
        json_str(out, lpae_strategy_name(sw->strategies[s]));
    }
    fprintf(out, "],\n      \"points\": [\n");
    size_t order[SWEEP_MAX_STRAT];
    for (size_t v = 0; v < sw->nvalues; v++) {
        fprintf(out, "        {\"value\": %" PRIu32 ", \"cycles\": [", sw->values[v]);
        for (size_t s = 0; s < n; s++) {
            if (sw->status[v * n + s])
                fprintf(out, "%snull", s ? ", " : "");
            else
                fprintf(out, "%s%" PRIu64, s ? ", " : "", sw->cycles[v * n + s]);
        }
        fprintf(out, "], \"ranking\": [");
        if (n <= SWEEP_MAX_STRAT) {
            sweep_rank(sw, v, order);
            bool first = true;
            for (size_t i = 0; i < n; i++) {
                if (sw->status[v * n + order[i]])
                    break;
                fprintf(out, "%s", first ? "" : ", ");
                json_str(out, lpae_strategy_name(sw->strategies[order[i]]));
                first = false;
            }
        }
        fprintf(out, "]}%s\n", v + 1 < sw->nvalues ? "," : "");
    }
    fprintf(out, "      ]\n    }%s\n", last ? "" : ",");
}

int lpae_report_json(FILE *out, const lpae_report *rep)
{
    if (!out || !rep)
        return LPAE_EINVAL;
    fprintf(out, "{\n  \"schema\": \"lpae-bench-report/%d\",\n  \"traces\": [\n",
            LPAE_REPORT_SCHEMA_VERSION);
    for (size_t ti = 0; ti < rep->ntraces; ti++) {
        const lpae_report_trace *t = &rep->traces[ti];
        fprintf(out, "    {\n      \"trace\": ");
        json_str(out, t->trace);
        fprintf(out,
                ",\n      \"events\": %" PRIu64 ",\n      \"bytes_read\": %" PRIu64
                ",\n      \"skipped\": %" PRIu64 ",\n      \"error\": ",
                t->events, t->bytes_read, t->skipped);
        if (t->status)
            json_str(out, str_or(t->error, lpae_strerror(t->status)));
        else
            fputs("null", out);
        fprintf(out, ",\n      \"results\": [\n");
        for (size_t i = 0; i < t->nresults; i++)
            json_result(out, t, &t->results[i], i + 1 == t->nresults);
        fprintf(out, "      ]\n    }%s\n", ti + 1 < rep->ntraces ? "," : "");
    }
    fprintf(out, "  ],\n  \"sweeps\": [\n");
    for (size_t s = 0; s < rep->nsweeps; s++)
        json_sweep(out, &rep->sweeps[s], s + 1 == rep->nsweeps);
    fprintf(out, "  ]\n}\n");
    return finish(out);
}

/* ---- SVG ----------------------------------------------------------------- */

#define SVG_W 1000
#define PANEL_W 470
#define PANEL_H 300
#define GROUP_H 400
#define PLOT_L 70 /* plot area offsets inside a panel */
#define PLOT_T 40
#define PLOT_H 200

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
#define NPAL (sizeof(palette) / sizeof(palette[0]))

static void svg_text(FILE *out, const char *s)
{
    for (const char *p = str_or(s, ""); *p; p++) {
        switch (*p) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            fputc(*p, out);
        }
    }
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about 5 ticks up to @p max. */
static double nice_step(double max)
{
    if (max <= 0)
        return 1;
    double raw = max / 5, p = 1;
    while (p * 10 <= raw)
        p *= 10;
    while (p > raw)
        p /= 10;
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

static void svg_panel(FILE *out, const lpae_report_trace *t, const char *cpu, double x0, double y0,
                      const char *title, unsigned nser, series_fn val,
                      const char *(*name)(unsigned))
{
    /* scale */
    lpae_cycles_t max = 0;
    size_t nbars = 0;
    bool used[16] = {false};
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status)
            continue;
        nbars++;
        if (r->st.cycles > max)
            max = r->st.cycles;
        for (unsigned k = 0; k < nser && k < 16; k++)
            used[k] |= val(&r->st, k) != 0;
    }
    double unit = 1;
    const char *uname = "cycles";
    if (max >= 1000000000ull) {
        unit = 1e9;
        uname = "Gcycles";
    } else if (max >= 1000000ull) {
        unit = 1e6;
        uname = "Mcycles";
    } else if (max >= 1000ull) {
        unit = 1e3;
        uname = "kcycles";
    }
    double vmax = (double)max / unit, step = nice_step(vmax);
    double top = step;
    while (top < vmax)
        top += step;
    double px = x0 + PLOT_L, py = y0 + PLOT_T, pw = PANEL_W - PLOT_L - 10;

    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\">", x0 + PANEL_W / 2.0, y0 + 20);
    svg_text(out, title);
    fprintf(out, "</text>\n");
    /* grid and y ticks */
    unsigned nticks = (unsigned)(top / step + 0.5);
    for (unsigned ti = 0; ti <= nticks; ti++) {
        double v = step * ti, y = py + PLOT_H - (v / top) * PLOT_H;
        fprintf(out,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%g</text>\n",
                px, y, px + pw, y, px - 6, y + 4, v);
    }
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n"
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"axis\"/>\n",
            px, py, px, py + PLOT_H, px, py + PLOT_H, px + pw, py + PLOT_H);
    fprintf(out, "<text transform=\"translate(%.1f,%.1f) rotate(-90)\" class=\"label\">%s</text>\n",
            x0 + 18, py + PLOT_H / 2.0, uname);
    /* bars */
    double slot = nbars ? pw / (double)nbars : pw, bw = slot * 0.6;
    size_t b = 0;
    char lab[48];
    for (size_t i = 0; i < t->nresults; i++) {
        const lpae_report_result *r = &t->results[i];
        if (!same_cpu(r, cpu) || r->status)
            continue;
        double bx = px + slot * (double)b + (slot - bw) / 2, acc = 0;
        for (unsigned k = 0; k < nser; k++) {
            double v = (double)val(&r->st, k) / unit;
            if (v <= 0)
                continue;
            double h = v / top * PLOT_H, y = py + PLOT_H - (acc + v) / top * PLOT_H;
            fprintf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.2f\" fill=\"%s\">"
                    "<title>",
                    bx, y, bw, h, palette[k % NPAL]);
            row_label(r, lab, sizeof(lab));
            svg_text(out, lab);
            fprintf(out, " %s: %" PRIu64 " cycles (%.1f%%)</title></rect>\n", name(k),
                    val(&r->st, k), pct(val(&r->st, k), r->st.cycles));
            acc += v;
        }
        row_label(r, lab, sizeof(lab));
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"xlab\">", bx + bw / 2, py + PLOT_H + 16);
        svg_text(out, lab);
        fprintf(out, "</text>\n");
        b++;
    }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"label\">strategy</text>\n", px + pw / 2,
            py + PLOT_H + 34);
    /* legend: the series any bar uses, in stacking order (bottom first) */
    unsigned li = 0;
    for (unsigned k = 0; k < nser; k++) {
        if (!(k < 16 && used[k]))
            continue;
        unsigned col = li % 4, line = li / 4; /* four legend entries per line */
        double lx = px + (double)col * 100, ly = py + PLOT_H + 50 + (double)line * 18;
        fprintf(out,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"legend\">%s</text>\n",
                lx, ly, palette[k % NPAL], lx + 16, ly + 10, name(k));
        li++;
    }
}

static const char *mech_name_u(unsigned i)
{
    return lpae_report_mech_name((lpae_report_mech)i);
}

int lpae_report_svg(FILE *out, const lpae_report *rep)
{
    if (!out || !rep)
        return LPAE_EINVAL;
    size_t ngroups = 0;
    for (size_t ti = 0; ti < rep->ntraces; ti++)
        for (size_t i = 0; i < rep->traces[ti].nresults; i++)
            ngroups += first_of_cpu(&rep->traces[ti], i);
    unsigned h = (unsigned)(ngroups ? ngroups : 1) * GROUP_H + 20;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
            "viewBox=\"0 0 %d %u\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            "<style>\n"
            ".title{font-size:14px;font-weight:bold;text-anchor:middle}\n"
            ".head{font-size:16px;font-weight:bold}\n"
            ".label{font-size:12px;text-anchor:middle}\n"
            ".tick{font-size:11px}\n"
            ".xlab{font-size:11px;text-anchor:middle}\n"
            ".legend{font-size:11px}\n"
            ".grid{stroke:#dddddd;stroke-width:1}\n"
            ".axis{stroke:#333333;stroke-width:1}\n"
            "</style>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            SVG_W, h, SVG_W, h);
    size_t g = 0;
    for (size_t ti = 0; ti < rep->ntraces; ti++) {
        const lpae_report_trace *t = &rep->traces[ti];
        for (size_t i = 0; i < t->nresults; i++) {
            if (!first_of_cpu(t, i))
                continue;
            const char *cpu = str_or(t->results[i].cpu, "");
            double y0 = 10 + (double)g * GROUP_H;
            fprintf(out, "<text x=\"20\" y=\"%.1f\" class=\"head\">", y0 + 20);
            svg_text(out, t->trace);
            fputs(" on ", out);
            svg_text(out, cpu);
            fputs(": where the cycles go</text>\n", out);
            svg_panel(out, t, cpu, 10, y0 + 30, "by mechanism", LPAE_RM_COUNT, mech_series,
                      mech_name_u);
            svg_panel(out, t, cpu, 20 + PANEL_W, y0 + 30, "by kernel phase", NPHASE, phase_cycles,
                      phase_key);
            g++;
        }
    }
    fprintf(out, "</svg>\n");
    return finish(out);
}
