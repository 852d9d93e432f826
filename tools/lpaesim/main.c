/* SPDX-License-Identifier: MIT */
/* lpaesim: the command-line front end of the lpae library. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static int usage(FILE *f, const struct command *cmds, size_t n)
{
    fprintf(f, "usage: lpaesim COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < n; i++)
        if (cmds[i].fn)
            fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
    fprintf(f, "\n'lpaesim COMMAND --help' describes each command.\n");
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    const struct command cmds[] = {
        {"translate", lpaesim_cmd_translate, "translate probe VAs through LPAE tables, print PARs"},
        {"demo", lpaesim_cmd_demo, "walk a built-in VMSPLIT_4G_4G layout and explain it"},
        {"presets", lpaesim_cmd_presets, "list CPU presets, or print one with sources"},
        {"convert", lpaesim_cmd_convert, "convert traces between text and binary"},
        {"import", lpaesim_cmd_import, "import strace or ftrace captures as lpae traces"},
        {"gen", lpaesim_cmd_gen, "generate synthetic workloads from a seed"},
        {"layout", lpaesim_cmd_layout, "place ELF images in a split's layout"},
    };
    const size_t n = sizeof cmds / sizeof cmds[0];

    if (argc < 2)
        return usage(stderr, cmds, n);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return usage(stdout, cmds, n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        if (!cmds[i].fn) {
            fprintf(stderr, "lpaesim: command '%s' is not part of this build\n", argv[1]);
            return 2;
        }
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "lpaesim: unknown command '%s' (try 'lpaesim --help')\n", argv[1]);
    return 2;
}
