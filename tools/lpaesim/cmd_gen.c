/* SPDX-License-Identifier: MIT */
/* lpaesim gen KIND [key=value...] --seed N -o OUT */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "lpae/err.h"
#include "trace_cli.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: lpaesim gen dd|smallsys|procs|mixed [key=value...] [--seed N] -o OUT\n"
               "            [--to text|binary]\n"
               "keys (sizes take K/M/G):\n"
               "  bs=SIZE       dd block size (default 64K)\n"
               "  count=N       dd blocks, or syscalls per task/process\n"
               "  src=KIND      dd source: file, zero, pipe, socket (default file)\n"
               "  dst=KIND      dd sink: file, null, pipe, socket (default null)\n"
               "  tasks=N       smallsys threads (default 4)\n"
               "  procs=N       procs: processes over the run (default 512)\n"
               "  cpus=N        CPUs (default 1 for dd, 2 otherwise)\n"
               "  touches=N     user-mode memory touches per syscall (default 0)\n"
               "  seed=N        same as --seed (default 1)\n"
               "Every parameter is written into the output header.\n");
    return f == stdout ? 0 : 2;
}

int lpaesim_cmd_gen(int argc, char **argv)
{
    if (argc < 2)
        return lpaesim_bad_usage("gen", "expected a workload: dd, smallsys, procs or mixed");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return usage(stdout);
    lpae_gen_kind kind;
    if (lpae_gen_kind_from_name(argv[1], &kind)) {
        fprintf(stderr, "lpaesim gen: unknown workload '%s' (dd, smallsys, procs, mixed)\n",
                argv[1]);
        return 2;
    }
    lpae_gen_params p;
    lpae_gen_defaults(kind, &p);
    const char *out = NULL, *to = NULL;
    for (int i = 2; i < argc; i++) {
        const char *key = NULL, *val = NULL;
        char kbuf[32];
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout);
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--to") && i + 1 < argc) {
            to = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            key = "seed";
            val = argv[++i];
        } else {
            const char *eq = strchr(argv[i], '=');
            if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof kbuf) {
                fprintf(stderr,
                        "lpaesim gen: expected key=value, -o OUT, --to FORMAT or --seed N, not "
                        "'%s'\n",
                        argv[i]);
                return 2;
            }
            memcpy(kbuf, argv[i], (size_t)(eq - argv[i]));
            kbuf[eq - argv[i]] = 0;
            key = kbuf;
            val = eq + 1;
        }
        int e = lpae_gen_param_set(&p, key, val);
        uint64_t lo, hi;
        if (e == LPAE_ERANGE && lpae_gen_param_range(key, &lo, &hi) == 0) {
            fprintf(stderr, "lpaesim gen: %s=%s: out of range (%llu..%llu)\n", key, val,
                    (unsigned long long)lo, (unsigned long long)hi);
            return 2;
        }
        if (e) {
            fprintf(stderr, "lpaesim gen: %s=%s: %s\n", key, val,
                    e == LPAE_EINVAL ? "unknown parameter" : lpae_strerror(e));
            return 2;
        }
    }
    if (!out)
        return lpaesim_bad_usage("gen", "expected -o OUT");
    lpae_trace_fmt fmt = lpaesim_out_format(to, out, LPAE_TRACE_BINARY);
    if (fmt == LPAE_TRACE_AUTO)
        return 2;
    lpae_trace_writer *w;
    int e = lpae_trace_writer_open(out, fmt, &w);
    if (e) {
        fprintf(stderr, "lpaesim gen: %s: cannot create output (%s)\n", out, lpae_strerror(e));
        return 1;
    }
    e = lpae_trace_gen(kind, &p, w);
    if (e) {
        lpae_trace_writer_close(w, false);
        fprintf(stderr, "lpaesim gen: %s\n",
                e == LPAE_ERANGE || e == LPAE_EINVAL ? "a parameter is out of range"
                                                     : lpae_strerror(e));
        return e == LPAE_ERANGE || e == LPAE_EINVAL ? 2 : 1;
    }
    e = lpae_trace_writer_close(w, true);
    if (e) {
        fprintf(stderr, "lpaesim gen: %s: %s\n", out, lpae_strerror(e));
        return 1;
    }
    return 0;
}
