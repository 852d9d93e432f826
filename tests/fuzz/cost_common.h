/* SPDX-License-Identifier: MIT */
/* Helpers of the cost fuzz targets. */
#ifndef LPAE_FUZZ_COST_COMMON_H
#define LPAE_FUZZ_COST_COMMON_H

#include <string.h>

#include "fuzz.h"
#include "lpae/cost.h"
#include "lpae/err.h"

/* A digest of every value, mark and source of @p c, to see whether a failed
 * load changed anything (FNV-1a over the formatted values). */
static uint64_t fuzz_cost_digest(const lpae_cost *c)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (int id = 0; id < LPAE_P_COUNT; id++) {
        char buf[256];
        const char *src = lpae_cost_source(c, (lpae_param)id);
        int n = lpae_cost_format(c, (lpae_param)id, buf, sizeof buf);
        FUZZ_CHECK(n >= 0);
        buf[sizeof buf - 1] = 0;
        for (const char *s = buf; *s; s++)
            h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
        h = (h ^ (uint8_t)lpae_cost_mark(c, (lpae_param)id)) * UINT64_C(1099511628211);
        for (const char *s = src; *s; s++)
            h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
    }
    return h;
}

/* A failed load explains itself in one line. */
static void fuzz_cost_check_error(int rc, const lpae_cost_error *err)
{
    FUZZ_CHECK(rc < 0 && rc >= LPAE_ERR_MIN);
    if (rc == LPAE_EPARSE)
        FUZZ_CHECK(fuzz_one_line(err->msg));
}

#endif
