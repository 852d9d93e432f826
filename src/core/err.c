/* SPDX-License-Identifier: MIT */
#include "lpae/err.h"

#include <stddef.h>

struct err_text {
    const char *name;
    const char *text;
};

/* Indexed by -code. */
static const struct err_text err_table[] = {
    {"LPAE_OK", "success"},
    {"LPAE_EINVAL", "invalid argument"},
    {"LPAE_ENOMEM", "out of memory or over the configured memory cap"},
    {"LPAE_EALIGN", "address or size not aligned"},
    {"LPAE_ERES0", "reserved (SBZ/RES0) bit set or architectural rule broken"},
    {"LPAE_ERANGE", "address out of range"},
    {"LPAE_EEXIST", "already mapped or in use"},
    {"LPAE_ENOENT", "not mapped or not found"},
    {"LPAE_ENOSPC", "no free simulated memory or slot"},
    {"LPAE_EABORT", "external abort: physical address outside RAM"},
    {"LPAE_EFAULT", "bad user address"},
    {"LPAE_EPARSE", "malformed input"},
    {"LPAE_EFORMAT", "unsupported format or version"},
    {"LPAE_EIO", "I/O error"},
    {"LPAE_EOVERFLOW", "fixed-size structure overflowed"},
    {"LPAE_EUNSUPP", "not supported by the model"},
    {"LPAE_ESTATE", "operation not valid in the current state"},
    {"LPAE_ETRUNC", "input truncated"},
    {"LPAE_EPERM", "access not permitted"},
};

static const struct err_text *lookup(int err)
{
    if (err > 0 || err < LPAE_ERR_MIN)
        return NULL;
    return &err_table[-err];
}

const char *lpae_strerror(int err)
{
    const struct err_text *t = lookup(err);
    return t ? t->text : "unknown error";
}

const char *lpae_err_name(int err)
{
    const struct err_text *t = lookup(err);
    return t ? t->name : "LPAE_E?";
}
