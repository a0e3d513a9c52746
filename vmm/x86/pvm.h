/* SPDX-License-Identifier: MIT */
/*
 * Work-arounds for KVM hosts that run guest kernel mode through KVM's
 * instruction emulator (the PVM back end, module kvm_pvm; see
 * docs/platform.md). All such host quirks live here, detected and on by
 * default only where detected ([machine] pvm = auto|on|off).
 *
 * On such hosts:
 *  - the kernel command line gets options that keep Linux away from
 *    instructions the emulator refuses (XSAVE, CMPXCHG16B, CLAC/STAC, ...);
 *  - CMPXCHG16B is hidden in CPUID (one of the few bits KVM_SET_CPUID2
 *    changes there), and so are the KVM PV features that make the guest
 *    execute VMCALL (which never completes at CPL0 there);
 *  - a few emulation failures that are safe to finish are finished here
 *    (INT3, FWAIT); any other stops the VM with the instruction bytes.
 */
#ifndef KVMKIT_X86_PVM_H
#define KVMKIT_X86_PVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* True if this host's KVM is the PVM back end (/sys/module/kvm_pvm). */
bool x86_pvm_host_detected(void);

struct kvm_cpuid_entry2;

/* Hides, in one CPUID entry, what a guest must not use on a PVM host. */
void x86_pvm_adjust_cpuid(struct kvm_cpuid_entry2 *entry);

/* Kernel command-line options appended in PVM mode. */
extern const char x86_pvm_cmdline[];

enum x86_pvm_insn {
    X86_PVM_INSN_UNKNOWN,
    X86_PVM_INSN_INT3,      /* CC, or CD 03: inject #BP after it */
    X86_PVM_INSN_FWAIT,     /* 9B: no x87 exception can be pending; skip */
};

/* Classifies the instruction in @bytes; sets *@len to its length if known. */
enum x86_pvm_insn x86_pvm_classify(const uint8_t *bytes, size_t n, unsigned *len);

/*
 * Handles KVM_EXIT_INTERNAL_ERROR/EMULATION on @vcpu's thread. Returns true
 * if the instruction was finished and the vCPU may continue.
 */
bool x86_pvm_finish_insn(struct vcpu *vcpu);

#endif
