/* SPDX-License-Identifier: MIT */
/* Trace writer: text or binary, header first, temp file renamed on commit. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lpae/err.h"
#include "trace/internal.h"

struct wkv {
    char key[LPAE_TRACE_KEY_MAX + 1];
    char val[LPAE_TRACE_VAL_MAX + 1];
};

struct lpae_trace_writer {
    FILE *f;
    bool own;
    bool started;
    bool failed;
    lpae_trace_fmt fmt;
    uint64_t events;
    size_t nkv;
    struct wkv *kv;
    char *path, *tmp;
};

static int writer_new(FILE *f, lpae_trace_fmt fmt, lpae_trace_writer **out)
{
    lpae_trace_writer *w = calloc(1, sizeof *w);
    if (!w)
        return LPAE_ENOMEM;
    w->kv = calloc(LPAE_TRACE_HDR_MAX, sizeof *w->kv);
    if (!w->kv) {
        free(w);
        return LPAE_ENOMEM;
    }
    w->f = f;
    w->fmt = fmt;
    *out = w;
    return 0;
}

int lpae_trace_writer_open_file(FILE *f, lpae_trace_fmt fmt, lpae_trace_writer **out)
{
    if (!f || !out || (fmt != LPAE_TRACE_TEXT && fmt != LPAE_TRACE_BINARY))
        return LPAE_EINVAL;
    return writer_new(f, fmt, out);
}

int lpae_trace_writer_open(const char *path, lpae_trace_fmt fmt, lpae_trace_writer **out)
{
    if (!path || !*path || !out || (fmt != LPAE_TRACE_TEXT && fmt != LPAE_TRACE_BINARY))
        return LPAE_EINVAL;
    if (!strcmp(path, "-"))
        return writer_new(stdout, fmt, out);
    size_t n = strlen(path);
    char *p = malloc(n + 1), *t = malloc(n + 32);
    if (!p || !t) {
        free(p);
        free(t);
        return LPAE_ENOMEM;
    }
    memcpy(p, path, n + 1);
    snprintf(t, n + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(t, "wb");
    if (!f) {
        free(p);
        free(t);
        return LPAE_EIO;
    }
    int e = writer_new(f, fmt, out);
    if (e) {
        fclose(f);
        remove(t);
        free(p);
        free(t);
        return e;
    }
    (*out)->own = true;
    (*out)->path = p;
    (*out)->tmp = t;
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    return 0;
}

int lpae_trace_writer_header(lpae_trace_writer *w, const char *key, const char *value)
{
    if (!w || !key || !value)
        return LPAE_EINVAL;
    if (w->started)
        return LPAE_ESTATE;
    size_t kl = strlen(key), vl = strlen(value);
    if (!tr_key_ok(key, kl) || !tr_val_ok(value, vl))
        return LPAE_EINVAL;
    for (size_t i = 0; i < w->nkv; i++)
        if (!strcmp(w->kv[i].key, key)) {
            memcpy(w->kv[i].val, value, vl + 1);
            return 0;
        }
    if (w->nkv >= LPAE_TRACE_HDR_MAX)
        return LPAE_EOVERFLOW;
    memcpy(w->kv[w->nkv].key, key, kl + 1);
    memcpy(w->kv[w->nkv].val, value, vl + 1);
    w->nkv++;
    return 0;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int start(lpae_trace_writer *w)
{
    w->started = true;
    if (w->fmt == LPAE_TRACE_TEXT) {
        fprintf(w->f, "# lpae-trace v%d\n", LPAE_TRACE_VERSION);
        for (size_t i = 0; i < w->nkv; i++)
            fprintf(w->f, "# %s=%s\n", w->kv[i].key, w->kv[i].val);
    } else {
        uint32_t kvlen = 0;
        for (size_t i = 0; i < w->nkv; i++)
            kvlen += 4 + (uint32_t)strlen(w->kv[i].key) + (uint32_t)strlen(w->kv[i].val);
        uint8_t h[TR_BIN_HDR_FIXED] = {0};
        memcpy(h, TR_MAGIC, TR_MAGIC_LEN);
        put_le(h + 8, LPAE_TRACE_VERSION, 2);
        put_le(h + 10, LPAE_TEV_SIZE, 2);
        put_le(h + 12, w->nkv, 4);
        put_le(h + 16, kvlen, 4);
        fwrite(h, 1, sizeof h, w->f);
        for (size_t i = 0; i < w->nkv; i++) {
            uint8_t l[4];
            size_t kl = strlen(w->kv[i].key), vl = strlen(w->kv[i].val);
            put_le(l, kl, 2);
            put_le(l + 2, vl, 2);
            fwrite(l, 1, 4, w->f);
            fwrite(w->kv[i].key, 1, kl, w->f);
            fwrite(w->kv[i].val, 1, vl, w->f);
        }
        static const uint8_t zero[8];
        size_t pad = (8 - (TR_BIN_HDR_FIXED + kvlen) % 8) % 8;
        fwrite(zero, 1, pad, w->f);
    }
    return ferror(w->f) ? LPAE_EIO : 0;
}

int lpae_trace_write(lpae_trace_writer *w, const lpae_tev *ev)
{
    if (!w || !ev || lpae_tev_check(ev, NULL))
        return LPAE_EINVAL;
    if (w->failed)
        return LPAE_EIO;
    if (!w->started && start(w)) {
        w->failed = true;
        return LPAE_EIO;
    }
    if (w->fmt == LPAE_TRACE_TEXT) {
        char line[256];
        int n = tr_text_format(ev, line, sizeof line - 1);
        if (n < 0)
            return LPAE_EINVAL;
        line[n++] = '\n';
        if (fwrite(line, 1, (size_t)n, w->f) != (size_t)n) {
            w->failed = true;
            return LPAE_EIO;
        }
    } else {
        uint8_t rec[LPAE_TEV_SIZE];
        tr_bin_encode(ev, rec);
        if (fwrite(rec, 1, sizeof rec, w->f) != sizeof rec) {
            w->failed = true;
            return LPAE_EIO;
        }
    }
    w->events++;
    return 0;
}

int lpae_trace_writer_close(lpae_trace_writer *w, bool commit)
{
    if (!w)
        return 0;
    int e = 0;
    if (commit) {
        if (!w->started && start(w))
            e = LPAE_EIO;
        if (w->fmt == LPAE_TRACE_BINARY) {
            uint8_t rec[LPAE_TEV_SIZE] = {0};
            rec[0] = TR_KIND_END;
            put_le(rec + 8, w->events, 8);
            fwrite(rec, 1, sizeof rec, w->f);
        }
        if (w->failed || fflush(w->f) || ferror(w->f))
            e = LPAE_EIO;
    }
    if (w->own) {
        if (fclose(w->f))
            e = commit ? LPAE_EIO : e;
        if (commit && !e) {
            if (rename(w->tmp, w->path))
                e = LPAE_EIO;
        }
        if (!commit || e)
            remove(w->tmp);
    } else if (commit && fflush(w->f)) {
        e = LPAE_EIO;
    }
    free(w->path);
    free(w->tmp);
    free(w->kv);
    free(w);
    return e;
}
