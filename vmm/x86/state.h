/* SPDX-License-Identifier: MIT */
/*
 * x86 CPU, interrupt controller, PIT and kvmclock state for snapshots
 * (see snap.h). All run on the main thread with the VM paused, except
 * that a restore runs before any vCPU thread started.
 */
#ifndef KVMKIT_X86_STATE_H
#define KVMKIT_X86_STATE_H

#include <stdbool.h>
#include <glib.h>

struct vm;
struct vcpu;
struct snap_out;
struct snap_in;
struct kvm_cpuid2;

/* Node "cpu@ID": registers, FPU/XSAVE, XCRs, MSRs, LAPIC, events, debug
 * registers, MP state. */
bool x86_vcpu_save(struct vcpu *vcpu, struct snap_out *o, GError **errp);
bool x86_vcpu_load(struct vcpu *vcpu, const struct snap_in *parent, GError **errp);

/* Node "x86": PIC, IOAPIC, PIT, kvmclock, and the CPU feature words of
 * @cpuid (what the guest was offered). */
bool x86_vm_save(struct vm *vm, const struct kvm_cpuid2 *cpuid, struct snap_out *o,
                 GError **errp);
bool x86_vm_load(struct vm *vm, const struct snap_in *root, GError **errp);

/* Refuses a snapshot whose guest was offered CPU features @cpuid lacks,
 * naming them. */
bool x86_vm_check_cpu(const struct snap_in *root, const struct kvm_cpuid2 *cpuid,
                      GError **errp);

#endif
