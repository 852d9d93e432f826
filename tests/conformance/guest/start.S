/* SPDX-License-Identifier: MIT */
/* Entry, Hyp vector table and abort handler of the conformance probe
 * program. QEMU (-machine virt,virtualization=on -cpu cortex-a15) starts the
 * CPU in Hyp mode with the Hyp MMU off; everything runs there. */
    .syntax unified
    .arch armv7-a
    .arch_extension virt
    .arm

    .section .text.start, "ax"
    .global _start
_start:
    ldr     sp, =__stack_top
    ldr     r0, =hyp_vectors
    mcr     p15, 4, r0, c12, c0, 0      @ HVBAR
    isb
    mrs     r0, cpsr
    and     r0, r0, #0x1f
    bl      conf_main                   @ conf_main(mode): never returns
1:  b       1b

    .text
    .balign 32
hyp_vectors:
    b       exc_other                   @ 0x00 (reset; not used in Hyp)
    b       exc_other                   @ 0x04 undefined instruction
    b       exc_other                   @ 0x08 hypervisor call
    b       exc_other                   @ 0x0c prefetch abort
    b       exc_dabt                    @ 0x10 data abort taken from Hyp mode
    b       exc_other                   @ 0x14 Hyp trap
    b       exc_other                   @ 0x18 IRQ
    b       exc_other                   @ 0x1c FIQ

/* A synchronous external abort on a translation table walk of an ATS
 * operation is taken as a Data Abort to Hyp mode. Record HSR and count it,
 * then return to the instruction after the faulting one (ELR_hyp holds the
 * faulting instruction's address). */
exc_dabt:
    push    {r0, r1}
    mrc     p15, 4, r0, c5, c2, 0       @ HSR
    ldr     r1, =conf_abort_hsr
    str     r0, [r1]
    ldr     r1, =conf_abort_count
    ldr     r0, [r1]
    add     r0, r0, #1
    str     r0, [r1]
    mrs     r0, elr_hyp
    add     r0, r0, #4
    msr     elr_hyp, r0
    pop     {r0, r1}
    eret

/* Anything else is a bug in the probe program: report it and stop. */
exc_other:
    mrc     p15, 4, r0, c5, c2, 0       @ HSR
    mrs     r1, elr_hyp
    bl      conf_unexpected             @ never returns
2:  b       2b
