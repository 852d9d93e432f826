/* SPDX-License-Identifier: MIT */
/* Fuzz target: the probe file of `lpaesim translate`
 * (lpaesim_probes_parse). Checks: a failure is one line; every probe parsed
 * has a valid access code. */
#include "fuzz.h"
#include "lpae/walk.h"
#include "translate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lpaesim_probes p = {0};
    char err[LPAESIM_ERRLEN];
    FILE *f = fuzz_stream(data, size);
    int rc;

    if (!f)
        return 0;
    err[0] = 0;
    rc = lpaesim_probes_parse(f, "fuzz.probes", &p, err, sizeof err);
    if (rc == 0) {
        for (size_t i = 0; i < p.n; i++)
            FUZZ_CHECK(LPAE_ACC_VALID(p.v[i].access));
    } else {
        FUZZ_CHECK(rc == -1 && fuzz_one_line(err));
    }
    lpaesim_probes_free(&p);
    fclose(f);
    return 0;
}
