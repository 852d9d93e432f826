/* SPDX-License-Identifier: MIT */
/* Fuzz target: the register file of `lpaesim translate`
 * (lpaesim_regs_parse). Checks: a failure is one line; a success gives
 * registers that lpae_regs_check() accepts. */
#include <string.h>

#include "fuzz.h"
#include "lpae/regs.h"
#include "translate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lpae_regs regs;
    char err[LPAESIM_ERRLEN];
    FILE *f = fuzz_stream(data, size);
    int rc;

    if (!f)
        return 0;
    memset(&regs, 0xA5, sizeof regs);
    err[0] = 0;
    rc = lpaesim_regs_parse(f, "fuzz.regs", &regs, err, sizeof err);
    if (rc == 0)
        FUZZ_CHECK(lpae_regs_check(&regs) == 0);
    else
        FUZZ_CHECK(rc == -1 && fuzz_one_line(err));
    fclose(f);
    return 0;
}
