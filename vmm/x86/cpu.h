/* SPDX-License-Identifier: MIT */
/* x86 vCPU state at boot: CPUID, LAPIC, long-mode registers; and dumps. */
#ifndef KVMKIT_X86_CPU_H
#define KVMKIT_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "guest_mem.h"

struct vm;
struct vcpu;
struct kvm_cpuid2;

/* Reads KVM_GET_SUPPORTED_CPUID once per VM; caller frees with g_free. */
struct kvm_cpuid2 *x86_cpuid_supported(int kvm_fd, GError **errp);

/*
 * Sets @vcpu's CPUID from @supported with its APIC id filled in, the
 * hypervisor bit set and, when @pvm, x86_pvm_adjust_cpuid() applied.
 */
bool x86_cpuid_setup(struct vcpu *vcpu, const struct kvm_cpuid2 *supported,
                     bool pvm, GError **errp);

/* LAPIC LINT0 = ExtINT, LINT1 = NMI, as a PC BIOS leaves them. */
bool x86_lapic_setup(struct vcpu *vcpu, GError **errp);

/* Writes the boot GDT and identity page tables (first 4 GiB, 2 MiB pages). */
bool x86_write_boot_tables(const struct guest_mem *mem, GError **errp);

/*
 * Puts @vcpu in 64-bit mode at @rip with RSI = @rsi, as the 64-bit boot
 * protocol asks: flat segments from the boot GDT, paging on, interrupts off.
 */
bool x86_set_boot_regs(struct vcpu *vcpu, uint64_t rip, uint64_t rsi, GError **errp);

/* Reads up to @len instruction bytes at the guest's RIP; returns count. */
size_t x86_read_insn(struct vcpu *vcpu, uint8_t *buf, size_t len);

void x86_dump_vcpu(struct vcpu *vcpu, FILE *out);

#endif
