/* SPDX-License-Identifier: MIT */
/* Fuzz target: the lpae binary trace reader.
 * The input is a whole file. See trace_common.h. */
#include "trace_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trace(data, size, LPAE_TRACE_BINARY, false);
    return 0;
}
