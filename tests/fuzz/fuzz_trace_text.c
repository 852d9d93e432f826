/* SPDX-License-Identifier: MIT */
/* Fuzz target: the lpae text trace reader.
 * The input is a whole file,
 * read once stopping at the first bad line and once skipping bad lines. See trace_common.h. */
#include "trace_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace(data, size, LPAE_TRACE_TEXT, false);
    fuzz_trace(data, size, LPAE_TRACE_TEXT, true);
    return 0;
}
