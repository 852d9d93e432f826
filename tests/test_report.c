/* SPDX-License-Identifier: MIT */
/* The comparison report on hand-built results: the JSON validates against
 * docs/report-schema.json (a validator for the subset of JSON Schema the
 * schema uses lives below), every breakdown adds up to its total, the same
 * input gives byte-identical table/CSV/JSON/SVG, and the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "lpae/report.h"

/* ---- a small JSON parser ------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jnode {
    jtype t;
    bool is_int;
    double num;
    char *str;          /* J_STR value */
    char *key;          /* member name when inside an object */
    struct jnode *kids; /* first child */
    struct jnode *next; /* next sibling */
} jnode;

typedef struct jparser {
    const char *p;
    bool err;
} jparser;

static void ws(jparser *jp)
{
    while (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t')
        jp->p++;
}

static jnode *jnew(jtype t)
{
    jnode *n = calloc(1, sizeof(*n));
    assert_non_null(n);
    n->t = t;
    return n;
}

static char *jstring(jparser *jp)
{
    if (*jp->p != '"') {
        jp->err = true;
        return NULL;
    }
    jp->p++;
    size_t cap = 16, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    while (*jp->p && *jp->p != '"') {
        char c = *jp->p++;
        if ((unsigned char)c < 0x20) {
            jp->err = true;
            break;
        }
        if (c == '\\') {
            char e = *jp->p++;
            if (e == 'n')
                c = '\n';
            else if (e == 't')
                c = '\t';
            else if (e == 'u') {
                unsigned v = 0;
                for (int i = 0; i < 4; i++) {
                    char h = *jp->p++;
                    v = v * 16 + (unsigned)(h >= 'a'   ? h - 'a' + 10
                                            : h >= 'A' ? h - 'A' + 10
                                                       : h - '0');
                }
                c = (char)(v & 0x7f);
            } else if (e == '"' || e == '\\' || e == '/')
                c = e;
            else {
                jp->err = true;
                break;
            }
        }
        if (len + 2 > cap) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
        s[len++] = c;
    }
    if (*jp->p != '"')
        jp->err = true;
    else
        jp->p++;
    s[len] = '\0';
    return s;
}

static jnode *jvalue(jparser *jp);

static jnode *jvalue(jparser *jp)
{
    ws(jp);
    jnode *n = NULL;
    if (*jp->p == '{' || *jp->p == '[') {
        bool obj = *jp->p == '{';
        char close = obj ? '}' : ']';
        n = jnew(obj ? J_OBJ : J_ARR);
        jp->p++;
        ws(jp);
        jnode **tail = &n->kids;
        if (*jp->p == close) {
            jp->p++;
            return n;
        }
        for (;;) {
            char *key = NULL;
            if (obj) {
                ws(jp);
                key = jstring(jp);
                ws(jp);
                if (*jp->p != ':')
                    jp->err = true;
                else
                    jp->p++;
            }
            jnode *kid = jp->err ? NULL : jvalue(jp);
            if (!kid) {
                free(key);
                jp->err = true;
                return n;
            }
            kid->key = key;
            *tail = kid;
            tail = &kid->next;
            ws(jp);
            if (*jp->p == ',') {
                jp->p++;
                continue;
            }
            if (*jp->p == close) {
                jp->p++;
                return n;
            }
            jp->err = true;
            return n;
        }
    }
    if (*jp->p == '"') {
        n = jnew(J_STR);
        n->str = jstring(jp);
        return n;
    }
    if (strncmp(jp->p, "null", 4) == 0) {
        jp->p += 4;
        return jnew(J_NULL);
    }
    if (strncmp(jp->p, "true", 4) == 0 || strncmp(jp->p, "false", 5) == 0) {
        n = jnew(J_BOOL);
        n->num = jp->p[0] == 't';
        jp->p += jp->p[0] == 't' ? 4 : 5;
        return n;
    }
    if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
        const char *s = jp->p;
        char *end;
        n = jnew(J_NUM);
        n->num = strtod(s, &end);
        n->is_int = strcspn(s, ".eE,}] \n") == (size_t)(end - s);
        jp->p = end;
        return n;
    }
    jp->err = true;
    return NULL;
}

static void jfree(jnode *n)
{
    while (n) {
        jnode *next = n->next;
        jfree(n->kids);
        free(n->str);
        free(n->key);
        free(n);
        n = next;
    }
}

/* Parse a whole document; NULL on a syntax error. */
static jnode *jparse(const char *text)
{
    jparser jp = {text, false};
    jnode *n = jvalue(&jp);
    ws(&jp);
    if (jp.err || *jp.p) {
        jfree(n);
        return NULL;
    }
    return n;
}

static jnode *jget(const jnode *obj, const char *key)
{
    if (!obj || obj->t != J_OBJ)
        return NULL;
    for (jnode *k = obj->kids; k; k = k->next)
        if (strcmp(k->key, key) == 0)
            return k;
    return NULL;
}

/* ---- the JSON Schema subset: type, enum, const, minimum, required,
 * properties, additionalProperties (false), items, $ref (#/$defs/X),
 * if/then/else ------------------------------------------------------------ */

static bool type_ok(const jnode *v, const char *t)
{
    if (strcmp(t, "object") == 0)
        return v->t == J_OBJ;
    if (strcmp(t, "array") == 0)
        return v->t == J_ARR;
    if (strcmp(t, "string") == 0)
        return v->t == J_STR;
    if (strcmp(t, "integer") == 0)
        return v->t == J_NUM && v->is_int;
    if (strcmp(t, "number") == 0)
        return v->t == J_NUM;
    if (strcmp(t, "null") == 0)
        return v->t == J_NULL;
    if (strcmp(t, "boolean") == 0)
        return v->t == J_BOOL;
    fail_msg("schema uses unknown type %s", t);
    return false;
}

static bool jequal(const jnode *a, const jnode *b)
{
    if (a->t != b->t)
        return false;
    if (a->t == J_STR)
        return strcmp(a->str, b->str) == 0;
    if (a->t == J_NUM || a->t == J_BOOL)
        return a->num == b->num;
    return a->t == J_NULL;
}

static const char *const known_keywords[] = {
    "$schema", "$id",      "title",      "description",          "type",  "enum", "const",
    "minimum", "required", "properties", "additionalProperties", "items", "$ref", "if",
    "then",    "else",     "$defs",
};

static bool validate(const jnode *v, const jnode *s, const jnode *root, const char *path,
                     bool quiet);

static bool vfail(bool quiet, const char *path, const char *why)
{
    if (!quiet)
        print_message("schema: %s: %s\n", path, why);
    return false;
}

static bool validate(const jnode *v, const jnode *s, const jnode *root, const char *path,
                     bool quiet)
{
    assert_int_equal(s->t, J_OBJ);
    for (const jnode *k = s->kids; k; k = k->next) {
        bool known = false;
        for (size_t i = 0; i < sizeof(known_keywords) / sizeof(known_keywords[0]); i++)
            known |= strcmp(k->key, known_keywords[i]) == 0;
        if (!known)
            fail_msg("schema keyword %s is not supported by the test's validator", k->key);
    }
    const jnode *x;
    if ((x = jget(s, "$ref"))) {
        assert_int_equal(strncmp(x->str, "#/$defs/", 8), 0);
        const jnode *def = jget(jget(root, "$defs"), x->str + 8);
        assert_non_null(def);
        return validate(v, def, root, path, quiet);
    }
    if ((x = jget(s, "type"))) {
        bool ok = false;
        if (x->t == J_STR)
            ok = type_ok(v, x->str);
        else
            for (const jnode *t = x->kids; t; t = t->next)
                ok |= type_ok(v, t->str);
        if (!ok)
            return vfail(quiet, path, "wrong type");
    }
    if ((x = jget(s, "enum"))) {
        bool ok = false;
        for (const jnode *e = x->kids; e; e = e->next)
            ok |= jequal(v, e);
        if (!ok)
            return vfail(quiet, path, "not one of the enum values");
    }
    if ((x = jget(s, "const")) && !jequal(v, x))
        return vfail(quiet, path, "not the const value");
    if ((x = jget(s, "minimum")) && v->t == J_NUM && v->num < x->num)
        return vfail(quiet, path, "below the minimum");
    if (v->t == J_OBJ) {
        if ((x = jget(s, "required")))
            for (const jnode *r = x->kids; r; r = r->next)
                if (!jget(v, r->str)) {
                    char why[128];
                    snprintf(why, sizeof(why), "missing required key %s", r->str);
                    return vfail(quiet, path, why);
                }
        const jnode *props = jget(s, "properties"), *addl = jget(s, "additionalProperties");
        for (const jnode *m = v->kids; m; m = m->next) {
            const jnode *ps = jget(props, m->key);
            char sub[512];
            snprintf(sub, sizeof(sub), "%s.%s", path, m->key);
            if (ps) {
                if (!validate(m, ps, root, sub, quiet))
                    return false;
            } else if (addl && addl->t == J_BOOL && addl->num == 0) {
                return vfail(quiet, sub, "key not allowed");
            }
        }
    }
    if (v->t == J_ARR && (x = jget(s, "items"))) {
        int i = 0;
        for (const jnode *e = v->kids; e; e = e->next, i++) {
            char sub[512];
            snprintf(sub, sizeof(sub), "%s[%d]", path, i);
            if (!validate(e, x, root, sub, quiet))
                return false;
        }
    }
    if ((x = jget(s, "if"))) {
        const jnode *branch = validate(v, x, root, path, true) ? jget(s, "then") : jget(s, "else");
        if (branch && !validate(v, branch, root, path, quiet))
            return false;
    }
    return true;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static jnode *load_schema(void)
{
    char *text = read_text(LPAE_SOURCE_DIR "/docs/report-schema.json");
    jnode *s = jparse(text);
    free(text);
    assert_non_null(s);
    return s;
}

/* ---- hand-built reports -------------------------------------------------- */

static uint64_t rng(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* Random statistics whose categories and phases both add up to the total. */
static void fake_stats(lpae_kernel_stats *st, uint64_t *seed)
{
    memset(st, 0, sizeof(*st));
    for (unsigned c = 0; c < LPAE_CAT_COUNT; c++) {
        if (c == LPAE_CAT_NONE)
            continue;
        st->cat[c] = rng(seed) % 100000;
        st->cycles += st->cat[c];
    }
    lpae_cycles_t left = st->cycles;
    for (unsigned p = 0; p + 1 < LPAE_PH_COUNT; p++) {
        st->phase[p] = left ? rng(seed) % (left / 3 + 1) : 0;
        left -= st->phase[p];
    }
    st->phase[LPAE_PH_COUNT - 1] = left;
    st->events = 1000 + rng(seed) % 100;
    st->syscalls = 300;
    st->bytes_copied = rng(seed) % 2 ? 123456 : 0;
    for (unsigned l = 0; l < LPAE_ST_COUNT; l++) {
        st->tlb_hits[l] = rng(seed) % 5000;
        st->tlb_misses[l] = rng(seed) % 500;
    }
    st->walks = st->tlb_misses[LPAE_ST_MTLB];
    st->ttbr_writes = rng(seed) % 1000;
    st->asid_allocs = 7;
    st->asid_rollovers = 1;
}

#define NRES 6
typedef struct fixture {
    lpae_report_result res[2][NRES];
    lpae_report_trace tr[2];
    uint32_t lthr[3];
    lpae_cycles_t lcyc[3];
    uint32_t values[3];
    lpae_strategy strats[3];
    const char *splits[3];
    lpae_cycles_t sw_cycles[9];
    int sw_status[9];
    lpae_report_sweep sweep;
    lpae_report rep;
} fixture;

static void build(fixture *f, uint64_t seed)
{
    memset(f, 0, sizeof(*f));
    static const lpae_strategy order[NRES] = {LPAE_STRAT_DIRECT, LPAE_STRAT_TTBR0_PAN,
                                              LPAE_STRAT_PINNED, LPAE_STRAT_TTBR0_SWITCH,
                                              LPAE_STRAT_HYBRID, LPAE_STRAT_PINNED};
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < NRES; i++) {
            lpae_report_result *r = &f->res[t][i];
            r->cpu = i == NRES - 1 ? "cortex-a7" : "cortex-a15";
            r->strategy = order[i];
            r->split = order[i] <= LPAE_STRAT_TTBR0_PAN ? "VMSPLIT_3G" : "VMSPLIT_4G_4G";
            fake_stats(&r->st, &seed);
            if (order[i] == LPAE_STRAT_HYBRID) {
                r->threshold = 256;
                r->nladder = 3;
                r->ladder_threshold = f->lthr;
                r->ladder_cycles = f->lcyc;
            }
        }
        f->tr[t].trace = t ? "weird \"name\", with\ttab <&>.lpb" : "bench/traces/dd_4K.lpb.gz";
        f->tr[t].events = 1234;
        f->tr[t].bytes_read = 99;
        f->tr[t].results = f->res[t];
        f->tr[t].nresults = NRES;
    }
    /* one failed configuration, and a trace that stopped early */
    f->res[1][3].status = LPAE_EINVAL;
    f->res[1][3].error = "event 5 (switch): CPU 1 but the configuration has 1 CPU";
    f->tr[1].status = LPAE_ETRUNC;
    f->tr[1].error = "x.lpb: truncated: record 9 (byte offset 400) has only 3 of 32 bytes";
    for (int i = 0; i < 3; i++) {
        f->lthr[i] = 128u << i;
        f->lcyc[i] = 1000u + 10u * (unsigned)i;
        f->values[i] = 64u << (2 * i);
        f->splits[i] = "VMSPLIT_4G_4G";
    }
    f->strats[0] = LPAE_STRAT_PINNED;
    f->strats[1] = LPAE_STRAT_TTBR0_SWITCH;
    f->strats[2] = LPAE_STRAT_HYBRID;
    /* pinned constant, ttbr0-switch constant, hybrid grows past them: ranking changes */
    for (int v = 0; v < 3; v++) {
        f->sw_cycles[v * 3 + 0] = 5000;
        f->sw_cycles[v * 3 + 1] = 6000;
        f->sw_cycles[v * 3 + 2] = 4000u + 1500u * (unsigned)v;
    }
    f->sw_status[8] = LPAE_ENOMEM;
    f->sweep = (lpae_report_sweep){"bench/traces/dd_4K.lpb.gz",
                                   "cortex-a15",
                                   "threshold",
                                   3,
                                   f->values,
                                   3,
                                   f->strats,
                                   f->splits,
                                   f->sw_cycles,
                                   f->sw_status};
    f->rep = (lpae_report){f->tr, 2, &f->sweep, 1};
}

typedef int (*render_fn)(FILE *, const lpae_report *);

static __attribute__((noinline)) char *render(render_fn fn, const lpae_report *rep, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    assert_non_null(m);
    assert_int_equal(fn(m, rep), 0);
    assert_int_equal(fclose(m), 0);
    if (len)
        *len = n;
    return buf;
}

/* ---- tests --------------------------------------------------------------- */

static void json_validates_against_schema(void **state)
{
    (void)state;
    jnode *schema = load_schema();
    for (uint64_t seed = 1; seed <= 5; seed++) {
        fixture f;
        build(&f, seed);
        char *text = render(lpae_report_json, &f.rep, NULL);
        jnode *doc = jparse(text);
        assert_non_null(doc);
        assert_true(validate(doc, schema, schema, "$", false));
        /* spot checks: the failed configuration and the stopped trace are reported */
        const jnode *t1 = jget(doc, "traces")->kids->next;
        assert_string_equal(jget(t1, "trace")->str, f.tr[1].trace);
        assert_int_equal(jget(t1, "error")->t, J_STR);
        const jnode *r3 = jget(t1, "results")->kids->next->next->next;
        assert_string_equal(jget(r3, "status")->str, "failed");
        assert_string_equal(jget(r3, "error")->str, f.res[1][3].error);
        jfree(doc);
        free(text);
    }
    jfree(schema);
}

static void validator_rejects_bad_documents(void **state)
{
    (void)state;
    jnode *schema = load_schema();
    fixture f;
    build(&f, 9);
    char *text = render(lpae_report_json, &f.rep, NULL);
    /* each edit breaks one rule of the schema */
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"\"schema\": \"lpae-bench-report/1\"", "\"schema\": \"lpae-bench-report/2\""},
        {"\"strategy\": \"direct\"", "\"strategy\": \"fast\""},
        {"\"status\": \"ok\",\n        \"cycles\"", "\"status\": \"ok\",\n        \"cyclez\""},
        {"\"rollovers\": 1", "\"rollovers\": -1"},
        {"\"events\": 1234", "\"events\": 12.5"},
        {"\"sweeps\": [", "\"sweepz\": ["},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char *at = strstr(text, edits[i].from);
        assert_non_null(at);
        size_t pre = (size_t)(at - text), fl = strlen(edits[i].from), tl = strlen(edits[i].to);
        char *bad = malloc(strlen(text) + tl + 1);
        assert_non_null(bad);
        memcpy(bad, text, pre);
        memcpy(bad + pre, edits[i].to, tl);
        strcpy(bad + pre + tl, at + fl);
        jnode *doc = jparse(bad);
        assert_non_null(doc);
        assert_false(validate(doc, schema, schema, "$", true));
        jfree(doc);
        free(bad);
    }
    assert_null(jparse("{\"a\": [1, 2,]}"));
    free(text);
    jfree(schema);
}

static uint64_t sum_members(const jnode *obj)
{
    uint64_t s = 0;
    for (const jnode *k = obj->kids; k; k = k->next) {
        assert_true(k->is_int);
        s += (uint64_t)k->num;
    }
    return s;
}

static void breakdowns_add_up(void **state)
{
    (void)state;
    fixture f;
    build(&f, 3);
    /* a kernel that booked cycles outside every category: "other" takes them */
    f.res[0][2].st.cycles += 777;
    f.res[0][2].st.cat[LPAE_CAT_NONE] = 0;
    char *text = render(lpae_report_json, &f.rep, NULL);
    jnode *doc = jparse(text);
    assert_non_null(doc);
    int checked = 0;
    for (const jnode *t = jget(doc, "traces")->kids; t; t = t->next)
        for (const jnode *r = jget(t, "results")->kids; r; r = r->next) {
            if (strcmp(jget(r, "status")->str, "ok") != 0)
                continue;
            uint64_t cycles = (uint64_t)jget(r, "cycles")->num;
            assert_true(cycles > 0);
            assert_int_equal(sum_members(jget(r, "breakdown")), cycles);
            assert_int_equal(sum_members(jget(r, "phases")), cycles);
            checked++;
        }
    assert_int_equal(checked, 2 * NRES - 1);
    const jnode *r2 = jget(jget(doc, "traces")->kids, "results")->kids->next->next;
    assert_int_equal((uint64_t)jget(jget(r2, "breakdown"), "other")->num, 777);
    assert_int_equal((uint64_t)jget(jget(r2, "phases"), "other")->num, 777);
    jfree(doc);
    free(text);

    /* the mechanism categories partition the total for the library too */
    uint64_t seed = 77;
    for (int i = 0; i < 100; i++) {
        lpae_kernel_stats st;
        fake_stats(&st, &seed);
        st.cycles += (uint64_t)i;
        lpae_cycles_t s = 0;
        for (unsigned m = 0; m < LPAE_RM_COUNT; m++)
            s += lpae_report_mech_cycles(&st, (lpae_report_mech)m);
        assert_int_equal(s, st.cycles);
        assert_int_equal(lpae_report_mech_cycles(&st, LPAE_RM_OTHER), (uint64_t)i);
    }
    assert_int_equal(lpae_report_mech_cycles(NULL, LPAE_RM_TLB), 0);
    assert_string_equal(lpae_report_mech_name(LPAE_RM_REGWRITE), "regwrite");
    assert_string_equal(lpae_report_mech_name(LPAE_RM_COUNT), "?");
}

static void outputs_are_byte_identical(void **state)
{
    (void)state;
    render_fn fns[] = {lpae_report_table, lpae_report_csv, lpae_report_json, lpae_report_svg};
    for (size_t i = 0; i < 4; i++) {
        fixture a, b;
        build(&a, 11);
        build(&b, 11);
        size_t la, lb;
        char *ta = render(fns[i], &a.rep, &la);
        char *tb = render(fns[i], &b.rep, &lb);
        assert_true(la > 100);
        assert_int_equal(la, lb);
        assert_memory_equal(ta, tb, la);
        /* and a different input gives a different output */
        fixture c;
        build(&c, 12);
        size_t lc;
        char *tc = render(fns[i], &c.rep, &lc);
        assert_true(lc != la || memcmp(ta, tc, la) != 0);
        free(ta);
        free(tb);
        free(tc);
    }
}

static void table_content(void **state)
{
    (void)state;
    fixture f;
    build(&f, 5);
    char *t = render(lpae_report_table, &f.rep, NULL);
    assert_non_null(strstr(t, "== bench/traces/dd_4K.lpb.gz on cortex-a15"));
    assert_non_null(strstr(t, "== bench/traces/dd_4K.lpb.gz on cortex-a7"));
    assert_non_null(strstr(t, "1.00x")); /* direct against itself */
    assert_non_null(strstr(t, "hybrid@256"));
    assert_non_null(strstr(t, "best threshold 256 bytes"));
    assert_non_null(strstr(t, "failed: event 5 (switch): CPU 1"));
    assert_non_null(strstr(t, "stopped after 1234 events: x.lpb: truncated"));
    /* the sweep: hybrid best at 64, then pinned; a failed cell is shown and not ranked */
    assert_non_null(strstr(t, "hybrid < pinned < ttbr0-switch\n"));
    assert_non_null(strstr(t, "pinned < hybrid < ttbr0-switch   <- ranking changes\n"));
    assert_non_null(strstr(t, "failed  pinned < ttbr0-switch   <- ranking changes\n"));
    /* cortex-a7 has no direct: no slowdown there */
    const char *a7 = strstr(t, "on cortex-a7");
    assert_non_null(a7);
    const char *row = strstr(a7, "\npinned ");
    assert_non_null(row);
    const char *eol = strchr(row + 1, '\n');
    assert_non_null(eol);
    assert_memory_equal(eol - 2, " -", 2);
    free(t);

    char *csv = render(lpae_report_csv, &f.rep, NULL);
    /* header + one line per result */
    size_t lines = 0;
    for (const char *p = csv; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 2 * NRES);
    /* every line has the header's number of fields (no quoted commas in this fixture's
     * first trace; the second trace's name holds one, inside quotes) */
    size_t fields = 0, want = 0;
    bool quoted = false;
    for (const char *p = csv; *p; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == ',' && !quoted)
            fields++;
        else if (*p == '\n') {
            if (!want)
                want = fields;
            assert_int_equal(fields, want);
            fields = 0;
        }
    }
    assert_non_null(strstr(csv, "\"weird \"\"name\"\", with\ttab <&>.lpb\""));
    free(csv);

    char *svg = render(lpae_report_svg, &f.rep, NULL);
    assert_true(strncmp(svg, "<?xml", 5) == 0);
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_non_null(strstr(svg, "weird &quot;name&quot;, with\ttab &lt;&amp;&gt;.lpb"));
    assert_non_null(strstr(svg, ">by mechanism<"));
    assert_non_null(strstr(svg, ">by kernel phase<"));
    assert_null(strstr(svg, "nan"));
    free(svg);
}

static void error_paths(void **state)
{
    (void)state;
    fixture f;
    build(&f, 2);
    render_fn fns[] = {lpae_report_table, lpae_report_csv, lpae_report_json, lpae_report_svg};
    FILE *full = fopen("/dev/full", "w");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(fns[i](NULL, &f.rep), LPAE_EINVAL);
        assert_int_equal(fns[i](stdout, NULL), LPAE_EINVAL);
        if (full) {
            assert_int_equal(fns[i](full, &f.rep), LPAE_EIO);
            clearerr(full);
        }
    }
    if (full)
        fclose(full);
    /* an empty report is still a valid document */
    lpae_report empty = {NULL, 0, NULL, 0};
    char *text = render(lpae_report_json, &empty, NULL);
    jnode *doc = jparse(text);
    jnode *schema = load_schema();
    assert_non_null(doc);
    assert_true(validate(doc, schema, schema, "$", false));
    jfree(doc);
    jfree(schema);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_validates_against_schema),
        cmocka_unit_test(validator_rejects_bad_documents),
        cmocka_unit_test(breakdowns_add_up),
        cmocka_unit_test(outputs_are_byte_identical),
        cmocka_unit_test(table_content),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
