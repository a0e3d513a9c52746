/* SPDX-License-Identifier: MIT */
/*
 * Runs a function of the payload at CPL3 and comes back to CPL0 when it
 * returns. On the PVM hosts this project runs on (docs/platform.md), CPL3
 * code runs natively while CPL0 code is emulated: hot loops (benchmarks)
 * belong at CPL3.
 *
 * The way back is a page fault: the user function returns into a stub that
 * touches an unmapped address, and the #PF handler (CPL0) restores the
 * kernel stack saved by cpl3_run(). SYSCALL is not used because on PVM
 * hosts it does not leave CPL3 (firmware/payloads/usermode.c).
 */
#ifndef KVMKIT_FW_CPL3_H
#define KVMKIT_FW_CPL3_H

#include <stdint.h>

/*
 * Loads a GDT with user segments, a TSS whose RSP0 is an internal kernel
 * stack, and an IDT with the #PF gate; marks the whole boot identity map
 * (0-4 GiB, the payload and the virtio-mmio window included) user-accessible.
 * Call once, at CPL0.
 */
void cpl3_init(void);

/*
 * Calls @fn(@arg) at CPL3 with interrupts off, on the stack ending at
 * @stack_top (16-byte aligned), and returns once @fn has returned. Results
 * travel through memory. From CPL0 only; not reentrant.
 */
void cpl3_run(void (*fn)(void *), void *arg, void *stack_top);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (uint64_t)hi << 32;
}

#endif
