/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/err.h
 * @brief Error codes shared by every lpae API.
 *
 * Fallible functions return 0 (LPAE_OK) or a negative lpae_err. The library
 * never prints, exits or aborts on bad input; callers turn codes into text
 * with lpae_strerror() (a sentence) or lpae_err_name() (the symbol name).
 */
#ifndef LPAE_ERR_H
#define LPAE_ERR_H

#include "lpae/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Negative error codes. Values are stable across releases. */
typedef enum lpae_err {
    LPAE_OK = 0,
    LPAE_EINVAL = -1,     /**< bad argument: NULL, out of range, unknown name */
    LPAE_ENOMEM = -2,     /**< host allocation failed or a configured memory cap was reached */
    LPAE_EALIGN = -3,     /**< address or size not aligned as required */
    LPAE_ERES0 = -4,      /**< register value sets a RES0/SBZ bit or breaks an architectural rule */
    LPAE_ERANGE = -5,     /**< address outside the region, RAM range or table */
    LPAE_EEXIST = -6,     /**< something is already mapped or allocated there */
    LPAE_ENOENT = -7,     /**< nothing mapped or found there */
    LPAE_ENOSPC = -8,     /**< simulated physical memory (or a slot pool) exhausted */
    LPAE_EABORT = -9,     /**< external abort: physical address outside every RAM range */
    LPAE_EFAULT = -10,    /**< simulated user access faulted (the kernel's -EFAULT) */
    LPAE_EPARSE = -11,    /**< malformed text input */
    LPAE_EFORMAT = -12,   /**< unsupported file format, magic or version */
    LPAE_EIO = -13,       /**< host I/O error */
    LPAE_EOVERFLOW = -14, /**< a fixed-size structure overflowed (e.g. kmap stack) */
    LPAE_EUNSUPP = -15,   /**< valid but not modelled (e.g. short-descriptor format) */
    LPAE_ESTATE = -16,    /**< call not valid in the current state (e.g. unbalanced unmap) */
    LPAE_ETRUNC = -17,    /**< input ended early (truncated file or record) */
    LPAE_EPERM = -18 /**< access denied by permissions (e.g. copy_to_user to a read-only page) */
} lpae_err;

/** Lowest (most negative) defined code; for iteration in tests and tools. */
#define LPAE_ERR_MIN LPAE_EPERM

/**
 * A one-line English description of @p err ("invalid argument").
 * Never NULL: unknown codes give "unknown error". The string is static.
 */
LPAE_API const char *lpae_strerror(int err);

/**
 * The symbolic name of @p err ("LPAE_EINVAL"). Never NULL: unknown codes give
 * "LPAE_E?". The string is static.
 */
LPAE_API const char *lpae_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif
