/* SPDX-License-Identifier: MIT */
/* Fuzz target: the strace importer (lpae_trace_reader with LPAE_TRACE_STRACE).
 * The input is a whole file,
 * read once stopping at the first bad line and once skipping bad lines. See trace_common.h. */
#include "trace_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace(data, size, LPAE_TRACE_STRACE, false);
    fuzz_trace(data, size, LPAE_TRACE_STRACE, true);
    return 0;
}
