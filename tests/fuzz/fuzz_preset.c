/* SPDX-License-Identifier: MIT */
/* Fuzz target: preset files (lpae_cost_load_preset_file, which takes a path:
 * the input goes to an unlinked temporary file read as /proc/self/fd/N).
 * Checks: errors name what was expected in one line; a loaded preset has a
 * mark on every parameter and formats every value. */
#include <unistd.h>

#include "cost_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lpae_cost *c = NULL;
    lpae_cost_error err;
    char path[64];
    FILE *f = tmpfile();
    int rc;

    if (!f)
        return 0;
    if ((size && fwrite(data, 1, size, f) != size) || fflush(f) != 0) {
        fclose(f);
        return 0;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(f));
    memset(&err, 0, sizeof err);
    rc = lpae_cost_load_preset_file(path, &c, &err);
    if (rc != 0) {
        fuzz_cost_check_error(rc, &err);
    } else {
        FUZZ_CHECK(c != NULL);
        for (int id = 0; id < LPAE_P_COUNT; id++)
            FUZZ_CHECK(lpae_cost_mark(c, (lpae_param)id) != '?');
        (void)fuzz_cost_digest(c);
        lpae_cost_destroy(c);
    }
    fclose(f);
    return 0;
}
