/* SPDX-License-Identifier: MIT */
#include "x86/pvm.h"

#include <errno.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/kvm_para.h>

#include "vm.h"
#include "x86/cpu.h"

bool x86_pvm_host_detected(void)
{
    return access("/sys/module/kvm_pvm", F_OK) == 0;
}

#define CPUID1_ECX_CX16 (1u << 13)

/* KVM paravirtual features (Documentation/virt/kvm/x86/cpuid.rst) whose
 * guest side is a hypercall: PV_UNHALT (KVM_HC_KICK_CPU, PV spinlocks),
 * PV_SEND_IPI, PV_SCHED_YIELD. */
#define KVM_HYPERCALL_FEATURES \
    ((1u << KVM_FEATURE_PV_UNHALT) | (1u << KVM_FEATURE_PV_SEND_IPI) | \
     (1u << KVM_FEATURE_PV_SCHED_YIELD))

/*
 * Measured on the PVM host (docs/platform.md; test guest-quirks):
 *   CMPXCHG16B stops the guest (emulation failure) in SLUB;
 *   VMCALL at CPL0 never completes: RIP stays on it for good (likely
 *   KVM's emulator "fixing" the hypercall and re-executing it). Linux
 *   sends every IPI through KVM_HC_SEND_IPI once it sees PV_SEND_IPI, so
 *   with 2 vCPUs the first IPI hangs the sender. Hidden, Linux writes the
 *   LAPIC's ICR, as on bare metal.
 * Leaf 1 ECX bit CX16 and leaf 0x40000001 EAX are among the bits this host's
 * KVM_SET_CPUID2 does change.
 */
void x86_pvm_adjust_cpuid(struct kvm_cpuid_entry2 *e)
{
    switch (e->function) {
    case 1:
        e->ecx &= ~CPUID1_ECX_CX16;
        break;
    case KVM_CPUID_FEATURES:
        e->eax &= ~KVM_HYPERCALL_FEATURES;
        break;
    }
}

/*
 * Measured on the PVM host (docs/platform.md): each of these features makes
 * a stock kernel execute an instruction the emulator refuses.
 *   xsave              XSAVE/XRSTOR in FPU init (not "noxsave": x86 reads
 *                      that one itself, so the generic parser does not
 *                      know it and hands it to init as an argument)
 *   cx16               CMPXCHG16B in SLUB
 *   smap               CLAC/STAC around user copies
 *   popcnt             POPCNT in hweight
 *   ssse3, sse4_1/2    kernel-mode SIMD (blake2s, crc32c)
 *   fsgsbase, rdpid    RDFSBASE/WRGSBASE, RDPID in entry code
 *   rdrand, rdseed     random number instructions
 */
const char x86_pvm_cmdline[] =
    "clearcpuid=xsave,cx16,smap,popcnt,fsgsbase,rdpid,ssse3,sse4_1,sse4_2,rdrand,rdseed";

enum x86_pvm_insn x86_pvm_classify(const uint8_t *b, size_t n, unsigned *len)
{
    if (n >= 1 && b[0] == 0xcc) {
        *len = 1;
        return X86_PVM_INSN_INT3;
    }
    if (n >= 2 && b[0] == 0xcd && b[1] == 0x03) {
        *len = 2;
        return X86_PVM_INSN_INT3;
    }
    if (n >= 1 && b[0] == 0x9b) {
        *len = 1;
        return X86_PVM_INSN_FWAIT;
    }
    return X86_PVM_INSN_UNKNOWN;
}

bool x86_pvm_finish_insn(struct vcpu *vcpu)
{
    uint8_t insn[16];
    size_t n = x86_read_insn(vcpu, insn, sizeof(insn));
    unsigned len = 0;
    enum x86_pvm_insn kind = x86_pvm_classify(insn, n, &len);
    if (kind == X86_PVM_INSN_UNKNOWN)
        return false;

    struct kvm_regs regs;
    if (vm_ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
        return false;
    regs.rip += len;
    if (vm_ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
        return false;
    if (kind == X86_PVM_INSN_INT3) {
        /* #BP is a trap: delivered with RIP after the instruction. */
        struct kvm_vcpu_events ev;
        if (vm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
            return false;
        ev.exception.injected = 1;
        ev.exception.nr = 3;
        ev.exception.has_error_code = 0;
        ev.exception.error_code = 0;
        ev.flags = 0;
        if (vm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
            return false;
    }
    return true;
}
