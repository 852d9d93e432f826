/* SPDX-License-Identifier: MIT */
#include "trace_cli.h"
#include "translate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lpae/err.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

lpae_trace_fmt lpaesim_out_format(const char *to, const char *out, lpae_trace_fmt dflt)
{
    if (to) {
        if (!strcmp(to, "text"))
            return LPAE_TRACE_TEXT;
        if (!strcmp(to, "binary"))
            return LPAE_TRACE_BINARY;
        fprintf(stderr, "lpaesim: --to takes 'text' or 'binary', not '%s'\n", to);
        return LPAE_TRACE_AUTO;
    }
    if (out && (ends_with(out, ".txt") || ends_with(out, ".lpt")))
        return LPAE_TRACE_TEXT;
    if (out && (ends_with(out, ".lpb") || ends_with(out, ".bin")))
        return LPAE_TRACE_BINARY;
    return dflt;
}

int lpaesim_trace_copy(const char *cmd, const char *in_path, const lpae_trace_ropts *ro,
                       const char *out_path, lpae_trace_fmt fmt, const char *const *extra,
                       int nextra)
{
    lpae_trace_reader *r = NULL;
    int e = lpae_trace_reader_open(in_path, ro, &r);
    if (e) {
        fprintf(stderr, "lpaesim %s: %s\n", cmd,
                r && *lpae_trace_reader_error(r) ? lpae_trace_reader_error(r) : lpae_strerror(e));
        lpae_trace_reader_close(r);
        return 1;
    }
    if (fmt == LPAE_TRACE_AUTO)
        fmt = lpae_trace_reader_format(r) == LPAE_TRACE_TEXT ? LPAE_TRACE_BINARY : LPAE_TRACE_TEXT;
    lpae_trace_writer *w = NULL;
    e = lpae_trace_writer_open(out_path, fmt, &w);
    if (e) {
        fprintf(stderr, "lpaesim %s: %s: cannot create output (%s)\n", cmd, out_path,
                lpae_strerror(e));
        lpae_trace_reader_close(r);
        return 1;
    }
    for (size_t i = 0; i < lpae_trace_header_count(r) && !e; i++) {
        const char *k, *v;
        lpae_trace_header_get(r, i, &k, &v);
        e = lpae_trace_writer_header(w, k, v);
    }
    for (int i = 0; i + 1 < nextra * 2 && !e; i += 2)
        e = lpae_trace_writer_header(w, extra[i], extra[i + 1]);
    if (e) {
        fprintf(stderr, "lpaesim %s: cannot write the header (%s)\n", cmd, lpae_strerror(e));
        lpae_trace_writer_close(w, false);
        lpae_trace_reader_close(r);
        return 1;
    }
    lpae_tev ev;
    while ((e = lpae_trace_read(r, &ev)) == 1) {
        if ((e = lpae_trace_write(w, &ev)) != 0) {
            fprintf(stderr, "lpaesim %s: %s: write failed (%s)\n", cmd, out_path, lpae_strerror(e));
            lpae_trace_writer_close(w, false);
            lpae_trace_reader_close(r);
            return 1;
        }
    }
    if (e < 0) {
        fprintf(stderr, "lpaesim %s: %s\n", cmd, lpae_trace_reader_error(r));
        lpae_trace_writer_close(w, false);
        lpae_trace_reader_close(r);
        return 1;
    }
    uint64_t skipped = lpae_trace_reader_skipped(r);
    lpae_trace_reader_close(r);
    e = lpae_trace_writer_close(w, true);
    if (e) {
        fprintf(stderr, "lpaesim %s: %s: %s\n", cmd, out_path, lpae_strerror(e));
        return 1;
    }
    if (skipped)
        fprintf(stderr, "lpaesim %s: skipped %" PRIu64 " bad lines\n", cmd, skipped);
    return 0;
}

int lpaesim_mem_cap_arg(const char *cmd, const char *v, size_t *cap)
{
    uint64_t x;
    if (lpaesim_parse_size(v, &x) < 0 || x > SIZE_MAX) {
        fprintf(stderr, "lpaesim %s: expected --mem-cap SIZE (bytes, may end in K, M, G or T)\n",
                cmd);
        return 2;
    }
    *cap = (size_t)x;
    return 0;
}

int lpaesim_bad_usage(const char *cmd, const char *what)
{
    fprintf(stderr, "lpaesim %s: %s (lpaesim %s --help shows the usage)\n", cmd, what, cmd);
    return 2;
}
