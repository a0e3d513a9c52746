/* SPDX-License-Identifier: MIT */
/*
 * The small set of hooks generic code calls into the architecture
 * (vmm/x86/ implements them). All x86 knowledge stays behind these.
 * All run on the main thread during VM construction, except
 * arch_handle_exit() and arch_dump_vcpu(), which run on the vCPU's thread.
 */
#ifndef KVMKIT_ARCH_H
#define KVMKIT_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

struct vm;
struct vcpu;

/* Guest RAM regions for @ram_size bytes: fills gpa/size pairs, returns count. */
unsigned arch_ram_layout(uint64_t ram_size, uint64_t gpa[], uint64_t size[], unsigned max);

/* After the VM fd exists, before memory and vCPUs: irqchip, PIT, quirks. */
bool arch_vm_init(struct vm *vm, GError **errp);

/* Per-vCPU setup after KVM_CREATE_VCPU: CPUID, MSRs, LAPIC. */
bool arch_vcpu_init(struct vm *vm, struct vcpu *vcpu, GError **errp);

/* The board's fixed devices (serial, i8042, RTC) on the buses. */
bool arch_create_devices(struct vm *vm, GError **errp);

/* Loads kernel, initrd and command line, and sets the boot vCPU's registers. */
bool arch_load_guest(struct vm *vm, GError **errp);

/*
 * An exit the generic loop does not handle. Returns true if the vCPU may
 * run again; false stops the VM with an error (after a dump).
 */
bool arch_handle_exit(struct vcpu *vcpu);

/* Registers, segments and the bytes at RIP, for fatal errors. */
void arch_dump_vcpu(struct vcpu *vcpu, FILE *out);

struct snap_out;
struct snap_in;

/*
 * Snapshots (main thread, vCPUs parked or not started): the CPU state of
 * every vCPU, the interrupt controllers, timers and the board's devices.
 * Load refuses state that does not fit this host or machine.
 */
bool arch_save_state(struct vm *vm, struct snap_out *o, GError **errp);
bool arch_load_state(struct vm *vm, const struct snap_in *root, GError **errp);

void arch_vm_destroy(struct vm *vm);
void arch_vcpu_destroy(struct vcpu *vcpu);

#endif
