/* SPDX-License-Identifier: MIT */
/* Importer for ftrace text (trace_pipe, trace, `trace-cmd report`) of
 * kprobes on the arm32 user-access functions plus sched_switch and syscall
 * events (docs/trace-format.md, "ftrace"). Addresses are already 32-bit
 * ARM addresses and are kept as they are. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lpae/err.h"
#include "trace/internal.h"

#define NCPU 256

struct ft {
    /* strncpy_from_user entry seen on each CPU, waiting for its return. */
    struct {
        bool valid;
        uint32_t task, src, count;
    } sfu[NCPU];
};

static char *skip_ws(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Value of "key=" among the fields, or NULL. The value ends at a blank. */
static bool field(const char *fields, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = fields; (p = strstr(p, key)) != NULL; p++) {
        if ((p == fields || p[-1] == ' ' || p[-1] == '(' || p[-1] == ',') && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t i = 0;
            while (v[i] && v[i] != ' ' && v[i] != ',' && v[i] != ')' && i + 1 < n) {
                out[i] = v[i];
                i++;
            }
            out[i] = 0;
            return i > 0;
        }
    }
    return false;
}

static bool field_u32(const char *fields, const char *key, uint32_t *v)
{
    char b[40];
    uint64_t x;
    int64_t sx;
    if (!field(fields, key, b, sizeof b))
        return false;
    if (tr_parse_u64(b, &x) && x <= UINT32_MAX) {
        *v = (uint32_t)x;
        return true;
    }
    if (tr_parse_i64(b, &sx) && sx >= INT32_MIN && sx < 0) {
        *v = (uint32_t)(int32_t)sx;
        return true;
    }
    return false;
}

/* First field among @p keys that is present. */
static bool field_any(const char *fields, const char *const *keys, uint32_t *v)
{
    for (; *keys; keys++)
        if (field_u32(fields, *keys, v))
            return true;
    return false;
}

static int need(lpae_trace_reader *r, bool ok, const char *what)
{
    return ok ? 0 : tr_fail(r, LPAE_EPARSE, "expected %s", what);
}

static int emit(lpae_trace_reader *r, lpae_tev *ev)
{
    const char *why;
    if (lpae_tev_check(ev, &why))
        return tr_fail(r, LPAE_EPARSE, "event out of range: %s", why);
    return tr_push(r, ev) ? tr_fail(r, LPAE_EOVERFLOW, "internal: queue full") : 0;
}

static int kprobe(lpae_trace_reader *r, lpae_tev *ev, const char *func, const char *f)
{
    static const char
        *const k_to[] = {"to", "arg1", NULL},
               *const k_from[] = {"from", "arg2", NULL}, *const k_n[] = {"n", "arg3", NULL},
               *const k_addr[] = {"addr", "arg1", NULL}, *const k_cn[] = {"n", "arg2", NULL},
               *const k_src[] = {"src", "arg2", NULL}, *const k_count[] = {"count", "arg3", NULL},
               *const k_ret[] = {"ret", "arg1", NULL};
    struct ft *s = r->imp;
    uint32_t a = 0, b = 0, n = 0;
    int e;
    if (!strcmp(func, "arm_copy_from_user") || !strcmp(func, "arm_copy_to_user")) {
        bool from = !strcmp(func, "arm_copy_from_user");
        if ((e = need(r,
                      field_any(f, k_to, &a) && field_any(f, k_from, &b) && field_any(f, k_n, &n),
                      "to=, from= and n= (or arg1..arg3) fields")))
            return e;
        ev->kind = from ? LPAE_TEV_COPY_FROM_USER : LPAE_TEV_COPY_TO_USER;
        ev->addr = from ? b : a;
        ev->kaddr = from ? a : b;
        ev->len = n;
        ev->kbuf = LPAE_KBUF_ADDR;
        return n ? emit(r, ev) : 0;
    }
    if (!strncmp(func, "__get_user_", 11) || !strncmp(func, "__put_user_", 11)) {
        const char *sz = func + strlen(func) - 1;
        unsigned size = (unsigned)(*sz - '0');
        if (size != 1 && size != 2 && size != 4 && size != 8)
            return tr_fail(r, LPAE_EPARSE, "cannot tell the access size of '%s'", func);
        if ((e = need(r, field_any(f, k_addr, &a), "an addr= (or arg1) field")))
            return e;
        ev->kind = !strncmp(func, "__get_user_", 11) ? LPAE_TEV_GET_USER : LPAE_TEV_PUT_USER;
        ev->addr = a;
        ev->len = size;
        return emit(r, ev);
    }
    if (!strcmp(func, "arm_clear_user") || !strcmp(func, "__clear_user") ||
        !strcmp(func, "__clear_user_std") || !strcmp(func, "__clear_user_memset")) {
        if ((e = need(r, field_any(f, k_addr, &a) && field_any(f, k_cn, &n),
                      "addr= and n= (or arg1, arg2) fields")))
            return e;
        ev->kind = LPAE_TEV_CLEAR_USER;
        ev->addr = a;
        ev->len = n;
        return n ? emit(r, ev) : 0;
    }
    if (!strcmp(func, "strncpy_from_user")) {
        unsigned cpu = ev->cpu;
        if (strstr(f, "<-")) { /* return probe: "(caller <- strncpy_from_user) ret=N" */
            if (!s->sfu[cpu].valid || s->sfu[cpu].task != ev->task)
                return 0; /* return without a matching entry (probe set up mid-call) */
            s->sfu[cpu].valid = false;
            if ((e = need(r, field_any(f, k_ret, &n), "a ret= field")))
                return e;
            if ((int32_t)n < 0)
                return 0; /* -EFAULT: nothing useful was copied */
            uint32_t len = n + 1 > s->sfu[cpu].count ? s->sfu[cpu].count : n + 1;
            ev->kind = LPAE_TEV_STRNCPY_FROM_USER;
            ev->addr = s->sfu[cpu].src;
            ev->len = len;
            ev->kbuf = LPAE_KBUF_SLAB;
            return len ? emit(r, ev) : 0;
        }
        if ((e = need(r, field_any(f, k_src, &a) && field_any(f, k_count, &n),
                      "src= and count= (or arg2, arg3) fields")))
            return e;
        s->sfu[cpu].valid = true;
        s->sfu[cpu].task = ev->task;
        s->sfu[cpu].src = a;
        s->sfu[cpu].count = n;
        return 0;
    }
    return 0; /* a probe on something else: not a user access we model */
}

static int ftrace_line(lpae_trace_reader *r, char *line)
{
    char *p = skip_ws(line);
    if (!*p || *p == '#' || !strncmp(p, "cpus=", 5) || !strncmp(p, "version =", 9) ||
        !strncmp(p, "CPU:", 4) || !strncmp(p, "CPU ", 4) || !strncmp(p, "##### CPU", 9))
        return 0;
    /* "comm-pid [cpu] [flags] timestamp: event: fields" */
    char *lb = NULL;
    for (char *q = strchr(p, '['); q; q = strchr(q + 1, '[')) {
        char *d = q + 1;
        while (isdigit((unsigned char)*d))
            d++;
        if (d > q + 1 && *d == ']' && q > p && q[-1] == ' ') {
            lb = q;
            break;
        }
    }
    if (!lb)
        return tr_fail(r, LPAE_EPARSE, "expected 'task-pid [cpu] timestamp: event: ...'");
    char *te = lb - 1;
    while (te > p && (*te == ' ' || *te == '\t'))
        te--;
    char *dash = NULL;
    for (char *q = p; q <= te; q++)
        if (*q == '-')
            dash = q;
    uint64_t pid, cpu;
    char num[24];
    size_t pl = dash ? (size_t)(te - dash) : 0;
    if (!dash || pl == 0 || pl >= sizeof num)
        return tr_fail(r, LPAE_EPARSE, "expected 'task-pid' before the CPU field");
    memcpy(num, dash + 1, pl);
    num[pl] = 0;
    if (!tr_parse_u64(num, &pid) || pid > UINT32_MAX)
        return tr_fail(r, LPAE_EPARSE, "bad pid '%s'", num);
    char *rb = strchr(lb, ']');
    memcpy(num, lb + 1, (size_t)(rb - lb - 1) < sizeof num ? (size_t)(rb - lb - 1) : 0);
    num[(size_t)(rb - lb - 1) < sizeof num ? (size_t)(rb - lb - 1) : 0] = 0;
    if (!tr_parse_u64(num, &cpu) || cpu >= NCPU)
        return tr_fail(r, LPAE_EPARSE, "CPU number '%s' out of range 0..255", num);
    /* Skip the optional irq-flags column up to "timestamp:". */
    char *q = skip_ws(rb + 1);
    char *ts_end = NULL;
    for (int tok = 0; tok < 3 && *q; tok++) {
        char *e = q;
        while (*e && *e != ' ' && *e != '\t')
            e++;
        if (e > q && e[-1] == ':' && isdigit((unsigned char)*q)) {
            ts_end = e;
            break;
        }
        q = skip_ws(e);
    }
    if (!ts_end)
        return tr_fail(r, LPAE_EPARSE, "expected a 'seconds.micros:' timestamp");
    char *ev_name = skip_ws(ts_end);
    char *colon = strchr(ev_name, ':');
    if (!colon)
        return tr_fail(r, LPAE_EPARSE, "expected 'event:' after the timestamp");
    *colon = 0;
    char *fields = skip_ws(colon + 1);
    /* Event names may carry a group, "lpae/cfu" or "kprobes:cfu" style. */
    char *slash = strrchr(ev_name, '/');
    const char *name = slash ? slash + 1 : ev_name;

    lpae_tev ev;
    memset(&ev, 0, sizeof ev);
    ev.cpu = (uint8_t)cpu;
    ev.task = (uint32_t)pid;
    int e;
    uint32_t a = 0, b = 0;
    if (!strcmp(name, "sched_switch")) {
        ev.kind = LPAE_TEV_SWITCH;
        if (field_u32(fields, "next_pid", &a)) {
            ev.task = a;
            ev.arg = field_u32(fields, "prev_pid", &b) ? b : (uint32_t)pid;
            return emit(r, &ev);
        }
        /* trace-cmd: "prev:pid [prio] S ==> next:pid [prio]" */
        char *arrow = strstr(fields, "==>");
        if (!arrow)
            return tr_fail(r, LPAE_EPARSE, "sched_switch without next_pid= or '==>'");
        char *nb = strstr(arrow, " [");
        char *c2 = NULL;
        for (char *x = arrow; nb && x < nb; x++)
            if (*x == ':')
                c2 = x;
        if (!c2)
            return tr_fail(r, LPAE_EPARSE, "sched_switch: expected 'next:pid [prio]'");
        char pb[16];
        size_t l = (size_t)(nb - c2 - 1);
        if (l == 0 || l >= sizeof pb)
            return tr_fail(r, LPAE_EPARSE, "sched_switch: bad next pid");
        memcpy(pb, c2 + 1, l);
        pb[l] = 0;
        uint64_t np;
        if (!tr_parse_u64(pb, &np) || np > UINT32_MAX)
            return tr_fail(r, LPAE_EPARSE, "sched_switch: bad next pid '%s'", pb);
        ev.task = (uint32_t)np;
        ev.arg = (uint32_t)pid;
        return emit(r, &ev);
    }
    if (!strcmp(name, "sys_enter") || !strcmp(name, "sys_exit")) {
        uint32_t nr;
        char *s = strstr(fields, "NR ");
        if (!s || sscanf(s + 3, "%" SCNu32, &nr) != 1)
            return tr_fail(r, LPAE_EPARSE, "%s without 'NR n'", name);
        ev.sysno = nr;
        if (!strcmp(name, "sys_enter")) {
            ev.kind = LPAE_TEV_SYS_ENTER;
        } else {
            ev.kind = LPAE_TEV_SYS_EXIT;
            char *eq = strstr(s, " = ");
            int64_t rv;
            if (!eq || !tr_parse_i64(skip_ws(eq + 3), &rv) || rv < INT32_MIN || rv > INT32_MAX)
                return tr_fail(r, LPAE_EPARSE, "sys_exit without '= value'");
            ev.ret = (int32_t)rv;
        }
        return emit(r, &ev);
    }
    if (!strncmp(name, "sys_enter_", 10) || !strncmp(name, "sys_exit_", 9)) {
        bool enter = name[4] == 'e' && name[5] == 'n';
        const char *sc = name + (enter ? 10 : 9);
        ev.sysno = lpae_sysno_from_name(sc);
        if (ev.sysno == LPAE_SYSNO_NONE)
            return tr_fail(r, LPAE_EPARSE, "unknown syscall '%s'", sc);
        ev.kind = enter ? LPAE_TEV_SYS_ENTER : LPAE_TEV_SYS_EXIT;
        if (!enter) {
            char *v = skip_ws(fields);
            char *end = v;
            while (*end && *end != ' ')
                end++;
            *end = 0;
            int64_t rv;
            uint64_t uv;
            if (tr_parse_i64(v, &rv) && rv >= INT32_MIN && rv <= INT32_MAX)
                ev.ret = (int32_t)rv;
            else if (tr_parse_u64(v, &uv) && uv <= UINT32_MAX)
                ev.ret = (int32_t)(uint32_t)uv;
            else
                return tr_fail(r, LPAE_EPARSE, "%s: expected the return value", name);
        }
        return emit(r, &ev);
    }
    if (!strcmp(name, "sched_process_fork")) {
        if ((e = need(r, field_u32(fields, "child_pid", &a), "child_pid=")))
            return e;
        ev.kind = LPAE_TEV_FORK;
        if (field_u32(fields, "pid", &b))
            ev.task = b;
        ev.arg = a;
        return emit(r, &ev);
    }
    if (!strcmp(name, "sched_process_exec")) {
        ev.kind = LPAE_TEV_EXEC;
        if (field_u32(fields, "pid", &a))
            ev.task = a;
        return emit(r, &ev);
    }
    if (!strcmp(name, "sched_process_exit")) {
        ev.kind = LPAE_TEV_EXIT;
        if (field_u32(fields, "pid", &a))
            ev.task = a;
        return emit(r, &ev);
    }
    /* kprobes: "(func+0x0/0x60) fields", kretprobes: "(caller <- func) fields". */
    char *op = strchr(fields, '(');
    if (op) {
        char func[64];
        char *arrow = strstr(op, "<- ");
        const char *fs = arrow ? arrow + 3 : op + 1;
        size_t i = 0;
        while (fs[i] && (isalnum((unsigned char)fs[i]) || fs[i] == '_') && i + 1 < sizeof func) {
            func[i] = fs[i];
            i++;
        }
        func[i] = 0;
        if (i)
            return kprobe(r, &ev, func, fields);
    }
    return 0; /* another event: not modelled */
}

static void ftrace_free(lpae_trace_reader *r)
{
    tr_free(r, r->imp, sizeof(struct ft));
    r->imp = NULL;
}

int tr_ftrace_init(lpae_trace_reader *r)
{
    struct ft *s = tr_alloc(r, sizeof *s);
    if (!s)
        return tr_fail(r, LPAE_ENOMEM, "out of memory");
    r->imp = s;
    r->imp_line = ftrace_line;
    r->imp_free = ftrace_free;
    int e = tr_hdr_add(r, "import", "ftrace");
    return e ? tr_fail(r, e, "out of memory") : 0;
}
