/* SPDX-License-Identifier: MIT */
/* lpaesim convert: lpae trace text <-> binary (and any readable input). */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "trace_cli.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: lpaesim convert IN -o OUT [--to text|binary] [--from FORMAT] [--skip-bad]\n"
               "       [--mem-cap SIZE]\n"
               "  IN may be '-' (stdin) or end in .gz (read through gzip -dc).\n"
               "  --to: output format; default from OUT's extension (.txt/.lpt text,\n"
               "        .lpb/.bin binary), else the other format than IN's.\n"
               "  --from: auto (default), text, binary, strace, ftrace.\n"
               "  --skip-bad: skip malformed text lines and report how many.\n"
               "  --mem-cap SIZE: host memory the reader may use (default 256M); a trace\n"
               "    that needs more fails with one line.\n");
    return f == stdout ? 0 : 2;
}

static int from_format(const char *s, lpae_trace_fmt *out)
{
    static const char *const names[] = {"auto", "text", "binary", "strace", "ftrace"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *out = (lpae_trace_fmt)i;
            return 0;
        }
    return -1;
}

static int unknown(const char *arg)
{
    fprintf(stderr,
            "lpaesim convert: unknown or incomplete argument '%s' (lpaesim convert --help shows "
            "the usage)\n",
            arg);
    return 2;
}

int lpaesim_cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *to = NULL;
    lpae_trace_ropts ro = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout);
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--to") && i + 1 < argc)
            to = argv[++i];
        else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            if (from_format(argv[++i], &ro.format)) {
                fprintf(stderr, "lpaesim convert: unknown --from format '%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--skip-bad"))
            ro.skip_bad = true;
        else if (!strcmp(argv[i], "--mem-cap") && i + 1 < argc) {
            if (lpaesim_mem_cap_arg("convert", argv[++i], &ro.mem_cap))
                return 2;
        } else if (argv[i][0] == '-' && argv[i][1])
            return unknown(argv[i]);
        else if (!in)
            in = argv[i];
        else
            return lpaesim_bad_usage("convert", "more than one input file");
    }
    if (!in)
        return lpaesim_bad_usage("convert", "expected an input trace IN");
    if (!out)
        return lpaesim_bad_usage("convert", "expected -o OUT");
    lpae_trace_fmt fmt = lpaesim_out_format(to, out, LPAE_TRACE_AUTO);
    if (to && fmt == LPAE_TRACE_AUTO)
        return 2;
    return lpaesim_trace_copy("convert", in, &ro, out, fmt, NULL, 0);
}
