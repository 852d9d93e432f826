/* SPDX-License-Identifier: MIT */
/* Fuzz target: user configuration files (lpae_cost_load_text on top of the
 * cortex-a15 preset). Checks: a failed load changes nothing and says why in
 * one line; after a successful load every parameter formats, and the
 * geometry check answers without crashing. */
#include "cost_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lpae_cost *c = NULL;
    lpae_cost_error err;
    uint64_t before;
    int rc;

    if (lpae_cost_preset("cortex-a15", &c, NULL) != 0)
        __builtin_trap();
    before = fuzz_cost_digest(c);
    memset(&err, 0, sizeof err);
    rc = lpae_cost_load_text(c, (const char *)data, size, "fuzz.conf", &err);
    if (rc != 0) {
        fuzz_cost_check_error(rc, &err);
        FUZZ_CHECK(fuzz_cost_digest(c) == before);
    } else {
        lpae_param bad;
        (void)fuzz_cost_digest(c);
        (void)lpae_cost_check(c, &bad);
    }
    lpae_cost_destroy(c);
    return 0;
}
