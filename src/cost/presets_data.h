/* SPDX-License-Identifier: MIT */
/* Internal: the preset files embedded at build time by cmake/presets.cmake. */
#ifndef LPAE_SRC_COST_PRESETS_DATA_H
#define LPAE_SRC_COST_PRESETS_DATA_H

#include <stddef.h>

typedef struct lpae_preset_blob {
    const char *name;          /* file name without .conf */
    const unsigned char *text; /* file bytes */
    size_t len;
} lpae_preset_blob;

extern const lpae_preset_blob lpae_preset_blobs[];
extern const size_t lpae_preset_blob_count;

#endif
