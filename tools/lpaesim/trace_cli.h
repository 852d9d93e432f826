/* SPDX-License-Identifier: MIT */
/* Helpers shared by the trace subcommands (convert, import, gen). */
#ifndef LPAESIM_TRACE_CLI_H
#define LPAESIM_TRACE_CLI_H

#include "lpae/trace.h"

/* Output format from --to (may be NULL) or the output name's extension
 * (.txt/.lpt = text, .lpb/.bin = binary); @p dflt otherwise. Returns
 * LPAE_TRACE_AUTO (0) after printing a message if --to is bad. */
lpae_trace_fmt lpaesim_out_format(const char *to, const char *out, lpae_trace_fmt dflt);

/* Copy every event of @p in_path (opened with @p ro) to @p out_path in
 * @p fmt, adding @p nextra header entries. Prints one line on error and
 * returns the exit status (0, 1 for bad input, 2 for usage). */
int lpaesim_trace_copy(const char *cmd, const char *in_path, const lpae_trace_ropts *ro,
                       const char *out_path, lpae_trace_fmt fmt, const char *const *extra,
                       int nextra);

/* Parse --mem-cap SIZE (K, M, G, T suffixes; 0 = the reader's default of
 * 256 MiB) into @p cap: the host memory an importer's state may use.
 * Prints one line and returns 2 when @p v is not a size, else 0. */
int lpaesim_mem_cap_arg(const char *cmd, const char *v, size_t *cap);

/* A command line that cannot run: print "lpaesim CMD: WHAT (lpaesim CMD
 * --help shows the usage)" on one line and return the exit status 2. */
int lpaesim_bad_usage(const char *cmd, const char *what);

#endif
