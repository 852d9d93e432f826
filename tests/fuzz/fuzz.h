/* SPDX-License-Identifier: MIT */
/* Shared declarations of the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput(). Built with clang and
 * -DLPAE_FUZZ=ON it links against libFuzzer; otherwise replay_main.c
 * supplies a main() that feeds it every corpus file (see tests/fuzz.cmake).
 * A target reports a bug by crashing (FUZZ_CHECK -> __builtin_trap), which
 * both drivers turn into a failure. */
#ifndef LPAE_FUZZ_H
#define LPAE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: trap when it does not hold. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond);          \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

/* A read-only stream over @p size bytes of @p data (an empty input reads as
 * an empty file). NULL only if the host is out of memory. */
static inline FILE *fuzz_stream(const uint8_t *data, size_t size)
{
    if (size == 0)
        return fopen("/dev/null", "rb");
    return fmemopen((void *)(uintptr_t)data, size, "rb");
}

/* True when @p s is one line: non-empty, no control bytes (no newline, no
 * CR copied from the input). */
static inline int fuzz_one_line(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 0;
    return 1;
}

#endif
