/* SPDX-License-Identifier: MIT */
/* Subcommands of lpaesim. Each lives in its own cmd_<name>.c and returns the
 * process exit status. */
#ifndef LPAESIM_CMDS_H
#define LPAESIM_CMDS_H

/* Weak so that a partial checkout still links; main() reports a missing one. */
#define LPAESIM_CMD(name) int lpaesim_cmd_##name(int argc, char **argv) __attribute__((weak))

LPAESIM_CMD(translate); /* walk probes through tables (issue: foundation) */
LPAESIM_CMD(demo);      /* translation demo on a built-in layout */
LPAESIM_CMD(presets);   /* list / print CPU presets */
LPAESIM_CMD(convert);   /* trace text <-> binary */
LPAESIM_CMD(import);    /* strace / ftrace importers */
LPAESIM_CMD(gen);       /* synthetic trace generators */
LPAESIM_CMD(layout);    /* ELF images against a split */

#endif
