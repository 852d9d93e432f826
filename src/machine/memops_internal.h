/* SPDX-License-Identifier: MIT */
/* Internal: 8-byte loads and stores for library modules that already
 * guarantee what lpae_cpu_read()/lpae_cpu_write() check (the kernel model's
 * descriptor loads and PTE stores). Each is exactly
 * lpae_cpu_read(cpu, va, access, val, 8, NULL, NULL) (resp. lpae_cpu_write
 * of the 8 bytes at val): the same translation, line charges, data and
 * statistics, the same return value; only the argument checks are skipped. */
#ifndef LPAE_SRC_MACHINE_MEMOPS_INTERNAL_H
#define LPAE_SRC_MACHINE_MEMOPS_INTERNAL_H

#include <stdint.h>

#include "lpae/machine.h"

/* Preconditions (not checked): cpu non-NULL, val non-NULL; access a valid
 * read code (no LPAE_ACC_WRITE) for the load, a valid write code for the
 * store. An unaligned va is allowed (it goes the general way). */
int lpae_cpu_load64(lpae_cpu *cpu, lpae_va_t va, unsigned access, uint64_t *val);
int lpae_cpu_store64(lpae_cpu *cpu, lpae_va_t va, unsigned access, const uint64_t *val);

#endif
