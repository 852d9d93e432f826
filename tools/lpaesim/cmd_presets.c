/* SPDX-License-Identifier: MIT */
/* lpaesim presets: list the built-in CPU presets, or print one (or a preset
 * file given by path, optionally with user config files applied on top)
 * with every value, its mark and its source. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "lpae/cost.h"
#include "lpae/err.h"

static int presets_usage(FILE *f)
{
    fprintf(f,
            "usage: lpaesim presets                      list the built-in presets\n"
            "       lpaesim presets NAME|FILE.conf [--config FILE]...\n"
            "                                            print every parameter with its mark\n"
            "                                            ([D]ocumented, [M]easured, [C]ompiler\n"
            "                                            model, [E]stimate, [U]ser) and source\n");
    return f == stdout ? 0 : 2;
}

static void print_error(const char *what, int rc, const lpae_cost_error *err)
{
    if (rc == LPAE_EPARSE || (rc == LPAE_EIO && err->origin[0])) {
        if (err->line)
            fprintf(stderr, "%s:%u: %s\n", err->origin, err->line, err->msg);
        else
            fprintf(stderr, "%s: %s\n", err->origin, err->msg);
    } else {
        fprintf(stderr, "lpaesim presets: %s: %s\n", what, lpae_strerror(rc));
    }
}

int lpaesim_cmd_presets(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return presets_usage(stdout);
    if (argc == 1) {
        for (size_t i = 0; i < lpae_cost_preset_count(); i++) {
            lpae_cost *c;
            lpae_cost_error err;
            const char *name = lpae_cost_preset_name(i);
            if (lpae_cost_preset(name, &c, &err) == LPAE_OK) {
                printf("%-12s %4u MHz  main TLB %u entries %u-way, walks from %s\n", name,
                       (unsigned)lpae_cost_get(c, LPAE_P_CLOCK_MHZ),
                       (unsigned)lpae_cost_get(c, LPAE_P_MTLB_ENTRIES),
                       (unsigned)lpae_cost_get(c, LPAE_P_MTLB_WAYS),
                       lpae_mem_level_name(lpae_cost_get(c, LPAE_P_WALK_LEVEL)));
                lpae_cost_destroy(c);
            } else {
                printf("%s (malformed: %s)\n", name, err.msg);
            }
        }
        return 0;
    }
    const char *name = argv[1];
    lpae_cost *c = NULL;
    lpae_cost_error err;
    memset(&err, 0, sizeof err);
    int rc;
    if (strchr(name, '/') || strstr(name, ".conf"))
        rc = lpae_cost_load_preset_file(name, &c, &err);
    else
        rc = lpae_cost_preset(name, &c, &err);
    if (rc == LPAE_EINVAL) {
        fprintf(stderr,
                "lpaesim presets: unknown preset '%s' (run 'lpaesim presets' for the list)\n",
                name);
        return 1;
    }
    if (rc) {
        print_error(name, rc, &err);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") != 0 || i + 1 >= argc) {
            lpae_cost_destroy(c);
            return presets_usage(stderr);
        }
        rc = lpae_cost_load_file(c, argv[++i], &err);
        if (rc) {
            print_error(argv[i], rc, &err);
            lpae_cost_destroy(c);
            return 1;
        }
    }
    lpae_param bad;
    if (lpae_cost_check(c, &bad)) {
        fprintf(stderr, "lpaesim presets: %s: inconsistent value for '%s'\n", name,
                lpae_param_get_info(bad)->key);
        lpae_cost_destroy(c);
        return 1;
    }
    printf("# preset %s\n", lpae_cost_name(c));
    for (int i = 0; i < LPAE_P_COUNT; i++) {
        char val[64];
        lpae_cost_format(c, (lpae_param)i, val, sizeof val);
        printf("%-26s = %-12s # [%c] %s\n", lpae_param_get_info((lpae_param)i)->key, val,
               lpae_cost_mark(c, (lpae_param)i), lpae_cost_source(c, (lpae_param)i));
    }
    lpae_cost_destroy(c);
    return 0;
}
