/* SPDX-License-Identifier: MIT */
/* Internal: 8-byte loads and stores (and data-less touches, below) for
 * library modules that already guarantee what lpae_cpu_read() and
 * lpae_cpu_write() check (the kernel model's descriptor loads, PTE stores
 * and user touches). Each 8-byte access is exactly
 * lpae_cpu_read(cpu, va, access, val, 8, NULL, NULL) (resp. lpae_cpu_write
 * of the 8 bytes at val): the same translation, line charges, data and
 * statistics, the same return value; only the argument checks are skipped. */
#ifndef LPAE_SRC_MACHINE_MEMOPS_INTERNAL_H
#define LPAE_SRC_MACHINE_MEMOPS_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "lpae/machine.h"

/* Preconditions (not checked): cpu non-NULL, val non-NULL; access a valid
 * read code (no LPAE_ACC_WRITE) for the load, a valid write code for the
 * store. An unaligned va is allowed (it goes the general way). */
int lpae_cpu_load64(lpae_cpu *cpu, lpae_va_t va, unsigned access, uint64_t *val);
int lpae_cpu_store64(lpae_cpu *cpu, lpae_va_t va, unsigned access, const uint64_t *val);

/* A user-mode load or store of [va, va+len) whose data does not matter (a
 * trace's `touch`): exactly lpae_cpu_read of len bytes into a buffer that
 * is then dropped (a load or instruction fetch), or lpae_cpu_write of the
 * bytes [va, va+len) already holds (a store): the same translation, fault,
 * line charges, statistics, memory contents and return value, without
 * moving the data. Preconditions (not checked): cpu non-NULL, access a
 * valid code, len > 0 and [va, va+len) within one 4 KB page. */
int lpae_cpu_touch(lpae_cpu *cpu, lpae_va_t va, unsigned access, size_t len, lpae_xlate *fault);

/* lpae_cpu_cycles() and lpae_cpu_set_event() inline, for the kernel model's
 * per-event and per-phase bookkeeping: struct lpae_cpu begins with its
 * lpae_cpu_stats, whose first member is the running cycle total, followed
 * by the event id (machine.c asserts this layout). cpu non-NULL. */
static inline lpae_cycles_t lpae_cpu_cycles_in(const lpae_cpu *cpu)
{
    lpae_cycles_t c;
    memcpy(&c, (const void *)cpu, sizeof c);
    return c;
}

static inline void lpae_cpu_set_event_in(lpae_cpu *cpu, uint64_t event)
{
    memcpy((char *)(void *)cpu + sizeof(lpae_cpu_stats), &event, sizeof event);
}

/* The machine's charge of @p c cycles to category @p cat (< LPAE_CAT_COUNT),
 * inline, for the kernel model's fixed costs: exactly what
 * lpae_cpu_charge() adds for a cycles parameter of that category (the
 * category's sum and the running total; struct lpae_cpu begins with its
 * lpae_cpu_stats). machine.c's own charges are this function. */
static inline void lpae_cpu_charge_in(lpae_cpu *cpu, unsigned cat, lpae_cycles_t c)
{
    lpae_cpu_stats *st = (lpae_cpu_stats *)(void *)cpu;
    st->cat[cat] += c;
    st->cycles += c;
}

/* lpae_cpu_isb() and lpae_cpu_dsb() inline, with the preset's LPAE_P_ISB
 * (resp. LPAE_P_DSB) cycles @p c looked up once by the caller: the barrier
 * counted and charged to LPAE_CAT_BARRIER. machine.c's barriers are these. */
static inline void lpae_cpu_isb_in(lpae_cpu *cpu, lpae_cycles_t c)
{
    ((lpae_cpu_stats *)(void *)cpu)->isb++;
    lpae_cpu_charge_in(cpu, LPAE_CAT_BARRIER, c);
}

static inline void lpae_cpu_dsb_in(lpae_cpu *cpu, lpae_cycles_t c)
{
    ((lpae_cpu_stats *)(void *)cpu)->dsb++;
    lpae_cpu_charge_in(cpu, LPAE_CAT_BARRIER, c);
}

#endif
