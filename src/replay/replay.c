/* SPDX-License-Identifier: MIT */
/* Streaming replay: one trace pass, many independent kernels. */
#include "lpae/replay.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/kernel_internal.h"
#include "trace/internal.h"
#include "lpae/err.h"

extern char **environ;

#define DEFAULT_PROGRESS_EVERY 65536u

typedef struct slot {
    lpae_kernel *k;
    unsigned ncpus;
    int status;
    char msg[160];
} slot;

struct lpae_replay {
    slot *slots;
    size_t n, cap;
    bool started;
};

/* Where the input's byte position can be read during a run. */
typedef struct pos_src {
    FILE *f;  /* uncompressed input: its stdio position */
    int gzfd; /* compressed input: offset shared with the gzip child */
    uint64_t total;
} pos_src;

int lpae_replay_create(lpae_replay **out)
{
    if (!out)
        return LPAE_EINVAL;
    lpae_replay *rp = calloc(1, sizeof(*rp));
    if (!rp)
        return LPAE_ENOMEM;
    *out = rp;
    return 0;
}

void lpae_replay_destroy(lpae_replay *rp)
{
    if (!rp)
        return;
    for (size_t i = 0; i < rp->n; i++)
        lpae_kernel_destroy(rp->slots[i].k);
    free(rp->slots);
    free(rp);
}

int lpae_replay_add(lpae_replay *rp, const lpae_kernel_config *cfg)
{
    if (!rp || !cfg)
        return LPAE_EINVAL;
    if (rp->started)
        return LPAE_ESTATE;
    if (rp->n > (size_t)INT32_MAX - 1)
        return LPAE_ENOMEM;
    if (rp->n == rp->cap) {
        size_t nc = rp->cap ? rp->cap * 2 : 8;
        slot *ns = realloc(rp->slots, nc * sizeof(*ns));
        if (!ns)
            return LPAE_ENOMEM;
        rp->slots = ns;
        rp->cap = nc;
    }
    lpae_kernel *k = NULL;
    int rc = lpae_kernel_create(cfg, &k);
    if (rc)
        return rc;
    slot *s = &rp->slots[rp->n];
    memset(s, 0, sizeof(*s));
    s->k = k;
    s->ncpus = cfg->ncpus;
    return (int)rp->n++;
}

size_t lpae_replay_count(const lpae_replay *rp)
{
    return rp ? rp->n : 0;
}

int lpae_replay_config_for_trace(const lpae_trace_reader *r, lpae_kernel_config *cfg)
{
    if (!r || !cfg)
        return LPAE_EINVAL;
    uint64_t n;
    if (tr_parse_u64(lpae_trace_header_find(r, "gen.cpus"), &n) && n >= 1)
        cfg->ncpus = n > LPAE_MAX_CPUS ? LPAE_MAX_CPUS : (unsigned)n;
    lpae_trace_fmt f = lpae_trace_reader_format(r);
    cfg->implicit_vmas = lpae_trace_header_find(r, "import") != NULL || f == LPAE_TRACE_STRACE ||
                         f == LPAE_TRACE_FTRACE;
    return LPAE_OK;
}

static const char *kind_name(unsigned kind)
{
    const char *n = lpae_tev_kind_name(kind);
    return n ? n : "?";
}

static void slot_fail(slot *s, int rc, uint64_t evno, const lpae_tev *ev, const char *why)
{
    s->status = rc;
    if (why)
        snprintf(s->msg, sizeof(s->msg), "event %llu (%s): %s", (unsigned long long)evno,
                 kind_name(ev->kind), why);
    else
        snprintf(s->msg, sizeof(s->msg), "event %llu (%s): %s", (unsigned long long)evno,
                 kind_name(ev->kind), lpae_strerror(rc));
}

static uint64_t pos_now(const pos_src *p)
{
    if (!p)
        return 0;
    if (p->f) {
        off_t o = ftello(p->f);
        return o > 0 ? (uint64_t)o : 0;
    }
    if (p->gzfd >= 0) {
        off_t o = lseek(p->gzfd, 0, SEEK_CUR);
        return o > 0 ? (uint64_t)o : 0;
    }
    return 0;
}

/* Events taken from the reader per batch at most. */
#define BATCH 256

/* The failure of the event @p evno into configuration @p s. */
static void apply_fail(slot *s, int e, uint64_t evno, const lpae_tev *ev)
{
    const unsigned ncpus = s->ncpus;
    if (ev->cpu >= ncpus) {
        char why[96];
        snprintf(why, sizeof(why), "CPU %u but the configuration has %u CPU%s", (unsigned)ev->cpu,
                 ncpus, ncpus == 1 ? "" : "s");
        slot_fail(s, LPAE_EINVAL, evno, ev, why);
    } else {
        slot_fail(s, e, evno, ev, NULL);
    }
}

/* Events @p evs[0..n) (numbered from @p first) into one configuration, until
 * it fails (an event on a CPU the configuration lacks fails with nothing
 * done, as lpae_k_apply() does it); @p checked: the events have passed
 * lpae_tev_check(). */
static void apply_batch(slot *s, const lpae_tev *evs, size_t n, uint64_t first, bool checked)
{
    lpae_kernel *const k = s->k;
    if (checked) {
        int e;
        size_t i = lpae_k_apply_batch(k, evs, n, &e);
        if (__builtin_expect(e != 0, 0))
            apply_fail(s, e, first + i, &evs[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int e = lpae_k_apply(k, &evs[i], NULL, false); /* per-event results unused */
        if (__builtin_expect(e != 0, 0)) {
            apply_fail(s, e, first + i, &evs[i]);
            return;
        }
    }
}

static int run(lpae_replay *rp, lpae_trace_reader *r, const lpae_replay_opts *opts,
               lpae_replay_summary *sum, const pos_src *pos)
{
    lpae_replay_opts o = {0};
    if (opts)
        o = *opts;
    uint64_t every = o.progress_every ? o.progress_every : DEFAULT_PROGRESS_EVERY;
    rp->started = true;

    lpae_replay_progress pr = {0, 0, pos ? pos->total : 0};
    /* the events after which a report is due (never without a callback)
     * and the last one to run: a batch ends at either */
    uint64_t next_report = o.progress ? every : UINT64_MAX;
    uint64_t max_events = o.max_events ? o.max_events : UINT64_MAX;
    int rc;
    /* the text and binary readers return only events that passed
     * lpae_tev_check() (a failing record is a read error), so the kernels
     * need not check them again; importers' events are checked there */
    lpae_trace_fmt fmt = lpae_trace_reader_format(r);
    bool checked = fmt == LPAE_TRACE_TEXT || fmt == LPAE_TRACE_BINARY;
    /* fixed: no configuration is added once started */
    slot *const slots = rp->slots, *const end = rp->slots + rp->n;
    /* the event count in a local (pr's address goes to the callback),
     * stored into pr before each report */
    uint64_t events = 0;
    for (;;) {
        /* next_report > events always; max_events - events may be 0 */
        uint64_t want = max_events - events;
        if (next_report - events < want)
            want = next_report - events;
        if (want == 0) {
            rc = 0;
            break;
        }
        const lpae_tev *evs;
        rc = lpae_trace_read_many(r, &evs, want < BATCH ? (size_t)want : BATCH);
        if (rc <= 0)
            break;
        size_t n = (size_t)rc;
        /* configuration by configuration: they are independent kernels, each
         * still sees the events in trace order */
        for (slot *s = slots; s != end; s++) {
            if (s->status)
                continue;
            apply_batch(s, evs, n, events + 1, checked);
        }
        events += n;
        if (events >= next_report) {
            pr.events = events;
            pr.bytes = pos_now(pos);
            if (o.progress) /* always: next_report is finite only with one */
                o.progress(o.progress_ctx, &pr);
            next_report = events + every;
        }
    }
    pr.events = events;
    pr.bytes = pos_now(pos);
    if (o.progress)
        o.progress(o.progress_ctx, &pr);
    if (sum) {
        sum->events = pr.events;
        sum->bytes = pr.bytes;
        sum->total_bytes = pr.total_bytes;
        sum->skipped = lpae_trace_reader_skipped(r);
        sum->status = rc < 0 ? rc : 0;
        sum->error[0] = '\0';
        if (rc < 0)
            snprintf(sum->error, sizeof(sum->error), "%s", lpae_trace_reader_error(r));
    }
    return rc < 0 ? rc : 0;
}

int lpae_replay_run(lpae_replay *rp, lpae_trace_reader *r, const lpae_replay_opts *opts,
                    lpae_replay_summary *sum)
{
    if (!rp || !r)
        return LPAE_EINVAL;
    return run(rp, r, opts, sum, NULL);
}

static bool ends_with_gz(const char *p)
{
    size_t n = strlen(p);
    return n > 3 && strcmp(p + n - 3, ".gz") == 0;
}

static void sum_error(lpae_replay_summary *sum, int rc, const char *fmt, const char *a,
                      const char *b)
{
    memset(sum, 0, sizeof(*sum));
    sum->status = rc;
    snprintf(sum->error, sizeof(sum->error), fmt, a, b);
}

/* Start `gzip -dc` reading @p infd (shared offset) into a pipe. */
static int spawn_gzip(int infd, int *outfd, pid_t *pid)
{
    int fds[2];
    if (pipe(fds) != 0)
        return LPAE_EIO;
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        close(fds[0]);
        close(fds[1]);
        return LPAE_ENOMEM;
    }
    posix_spawn_file_actions_adddup2(&fa, infd, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"gzip", "-dc", NULL};
    int e = posix_spawnp(pid, "gzip", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        return LPAE_EIO;
    }
    *outfd = fds[0];
    return 0;
}

int lpae_replay_run_path(lpae_replay *rp, const char *path, const lpae_trace_ropts *ropts,
                         const lpae_replay_opts *opts, lpae_replay_summary *sum)
{
    if (!rp || !path)
        return LPAE_EINVAL;
    lpae_replay_summary local;
    if (!sum)
        sum = &local;
    pos_src pos = {NULL, -1, 0};
    lpae_trace_reader *r = NULL;
    FILE *f = NULL;
    int gzin = -1, gzout = -1;
    pid_t child = -1;
    int rc;

    if (strcmp(path, "-") == 0) {
        rc = lpae_trace_reader_open_file(stdin, "<stdin>", ropts, &r);
    } else if (ends_with_gz(path)) {
        gzin = open(path, O_RDONLY | O_CLOEXEC);
        if (gzin < 0) {
            sum_error(sum, LPAE_EIO, "%s: cannot open: %s", path, strerror(errno));
            return LPAE_EIO;
        }
        struct stat st;
        if (fstat(gzin, &st) == 0 && S_ISREG(st.st_mode))
            pos.total = (uint64_t)st.st_size;
        rc = spawn_gzip(gzin, &gzout, &child);
        if (rc) {
            close(gzin);
            sum_error(sum, rc, "%s: cannot run gzip -dc%s", path, "");
            return rc;
        }
        pos.gzfd = gzin;
        rc = lpae_trace_reader_open_fd(gzout, path, ropts, &r);
    } else {
        f = fopen(path, "rb");
        if (!f) {
            sum_error(sum, LPAE_EIO, "%s: cannot open: %s", path, strerror(errno));
            return LPAE_EIO;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
            pos.total = (uint64_t)st.st_size;
        pos.f = f;
        rc = lpae_trace_reader_open_file(f, path, ropts, &r);
    }

    if (rc == 0) {
        rc = run(rp, r, opts, sum, &pos);
    } else {
        memset(sum, 0, sizeof(*sum));
        sum->status = rc;
        const char *m = r ? lpae_trace_reader_error(r) : "";
        if (m && *m)
            snprintf(sum->error, sizeof(sum->error), "%s", m);
        else
            snprintf(sum->error, sizeof(sum->error), "%s: %s", path, lpae_strerror(rc));
    }
    bool clean_end = rc == 0 && !(opts && opts->max_events && sum->events >= opts->max_events);
    lpae_trace_reader_close(r);
    if (f)
        fclose(f);
    if (gzout >= 0)
        close(gzout); /* an early stop ends gzip with SIGPIPE */
    if (child > 0) {
        int st = 0;
        while (waitpid(child, &st, 0) < 0 && errno == EINTR)
            ;
        bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!ok && clean_end) {
            rc = LPAE_ETRUNC;
            sum->status = rc;
            snprintf(sum->error, sizeof(sum->error),
                     "%s: compressed input is damaged or truncated (gzip -dc failed); "
                     "%llu events were read",
                     path, (unsigned long long)sum->events);
        }
    }
    if (gzin >= 0)
        close(gzin);
    return rc;
}

int lpae_replay_status(const lpae_replay *rp, size_t i, const char **msg)
{
    if (!rp || i >= rp->n) {
        if (msg)
            *msg = "";
        return LPAE_EINVAL;
    }
    if (msg)
        *msg = rp->slots[i].msg;
    return rp->slots[i].status;
}

int lpae_replay_stats(const lpae_replay *rp, size_t i, lpae_kernel_stats *st)
{
    if (!rp || i >= rp->n || !st)
        return LPAE_EINVAL;
    return lpae_kernel_stats_get(rp->slots[i].k, st);
}

lpae_kernel *lpae_replay_kernel(lpae_replay *rp, size_t i)
{
    if (!rp || i >= rp->n)
        return NULL;
    return rp->slots[i].k;
}

size_t lpae_replay_mem(const lpae_replay *rp)
{
    if (!rp)
        return 0;
    return sizeof(*rp) + rp->cap * sizeof(slot);
}
