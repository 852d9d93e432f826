/* SPDX-License-Identifier: MIT */
/* lpaesim import strace|ftrace FILE -o OUT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "lpae/err.h"
#include "trace_cli.h"

static int usage(FILE *f)
{
    fprintf(f,
            "usage: lpaesim import strace|ftrace FILE -o OUT [options]\n"
            "  FILE: output of `strace -f -tt -e raw=all -o FILE CMD`, or ftrace text\n"
            "        (trace_pipe / trace-cmd report) with the kprobes of docs/trace-format.md.\n"
            "        May be '-' or end in .gz.\n"
            "options:\n"
            "  --to text|binary   output format (default from OUT's extension, else binary)\n"
            "  --skip-bad         skip malformed lines and report how many\n"
            "  --mem-cap SIZE     host memory the importer may use (default 256M); a capture\n"
            "                     that needs more fails with one line\n"
            "  --path-len N       strace: bytes per path string (default 32, an estimate)\n"
            "  --user-top ADDR    strace: top of the folded ARM user space (default 0xbf000000)\n"
            "  --inherited KBUF   strace: kernel-buffer kind for inherited fds (default page)\n"
            "  --arm              strace: captured on 32-bit ARM; keep addresses as they are\n");
    return f == stdout ? 0 : 2;
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    unsigned long long x = strtoull(s, &end, 0);
    if (!*s || *end || x > UINT32_MAX || s[0] == '-')
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int lpaesim_cmd_import(int argc, char **argv)
{
    if (argc < 2)
        return lpaesim_bad_usage("import", "expected 'strace' or 'ftrace' and a capture file");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return usage(stdout);
    lpae_trace_ropts ro = {0};
    if (!strcmp(argv[1], "strace"))
        ro.format = LPAE_TRACE_STRACE;
    else if (!strcmp(argv[1], "ftrace"))
        ro.format = LPAE_TRACE_FTRACE;
    else {
        fprintf(stderr, "lpaesim import: expected 'strace' or 'ftrace', not '%s'\n", argv[1]);
        return 2;
    }
    const char *in = NULL, *out = NULL, *to = NULL;
    for (int i = 2; i < argc; i++) {
        uint32_t v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout);
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--to") && i + 1 < argc) {
            to = argv[++i];
        } else if (!strcmp(argv[i], "--arm")) {
            ro.import.arm = true;
        } else if (!strcmp(argv[i], "--skip-bad")) {
            ro.skip_bad = true;
        } else if (!strcmp(argv[i], "--mem-cap") && i + 1 < argc) {
            if (lpaesim_mem_cap_arg("import", argv[++i], &ro.mem_cap))
                return 2;
        } else if (!strcmp(argv[i], "--path-len") && i + 1 < argc) {
            if (parse_u32(argv[++i], &v) || v == 0 || v > 4096) {
                fprintf(stderr, "lpaesim import: --path-len takes 1..4096\n");
                return 2;
            }
            ro.import.path_len = v;
        } else if (!strcmp(argv[i], "--user-top") && i + 1 < argc) {
            if (parse_u32(argv[++i], &v) || v < (4u << 24) || (v & 0xFFFFFFu)) {
                fprintf(stderr, "lpaesim import: --user-top takes a 16 MiB multiple >= 64 MiB\n");
                return 2;
            }
            ro.import.user_top = v;
        } else if (!strcmp(argv[i], "--inherited") && i + 1 < argc) {
            const char *k = argv[++i];
            int found = -1;
            for (unsigned b = 0; b <= LPAE_KBUF_MAX; b++)
                if (!strcmp(k, lpae_kbuf_name(b)))
                    found = (int)b;
            if (found < 0) {
                fprintf(stderr, "lpaesim import: unknown kernel-buffer kind '%s'\n", k);
                return 2;
            }
            ro.import.inherited_kbuf = (uint8_t)(found + 1);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr,
                    "lpaesim import: unknown or incomplete argument '%s' (lpaesim import --help "
                    "shows the usage)\n",
                    argv[i]);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            return lpaesim_bad_usage("import", "more than one capture file");
        }
    }
    if (!in)
        return lpaesim_bad_usage("import", "expected a capture FILE");
    if (!out)
        return lpaesim_bad_usage("import", "expected -o OUT");
    lpae_trace_fmt fmt = lpaesim_out_format(to, out, LPAE_TRACE_BINARY);
    if (fmt == LPAE_TRACE_AUTO)
        return 2;
    const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
    const char *extra[] = {"import.source", base};
    return lpaesim_trace_copy("import", in, &ro, out, fmt, extra, 1);
}
