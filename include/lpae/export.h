/* SPDX-License-Identifier: MIT */
/**
 * @file lpae/export.h
 * @brief Symbol visibility. The library is built with -fvisibility=hidden;
 * only declarations marked LPAE_API are exported.
 */
#ifndef LPAE_EXPORT_H
#define LPAE_EXPORT_H

#if defined(LPAE_STATIC_DEFINE)
#define LPAE_API
#elif defined(__GNUC__) || defined(__clang__)
#define LPAE_API __attribute__((visibility("default")))
#else
#define LPAE_API
#endif

#endif
