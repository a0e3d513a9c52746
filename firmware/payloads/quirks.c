/* SPDX-License-Identifier: MIT */
/*
 * The instructions the PVM host's emulator refuses at CPL0 and kvmkit
 * finishes itself (vmm/x86/pvm.c, docs/platform.md): INT3 must reach the
 * guest's #BP handler with RIP after the instruction, FWAIT must be a no-op.
 * With --pvm off on a PVM host, kvmkit must instead stop with
 * "could not emulate" and exit 1.
 * It also reports whether KVM's CPUID offers the PV features whose guest
 * side is VMCALL (never completes at CPL0 there): kvmkit hides them.
 */
#include "lib.h"

#define BOOT_CS 0x10
#define VECTOR_BP 3
#define GATE_INTERRUPT64 0x8e   /* present, DPL0, 64-bit interrupt gate */

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

struct idtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[VECTOR_BP + 1] __attribute__((aligned(16)));
static volatile unsigned bp_count;
static volatile uint64_t bp_rip, bp_cs;

void bp_stub(void);
void bp_handler(const uint64_t *frame);

/*
 * #BP entry: the CPU pushed SS, RSP, RFLAGS, CS, RIP (5 quadwords, RSP
 * aligned to 16 first); 9 more pushes keep the call ABI-aligned.
 * frame = RSP after the pushes + 72 points at the saved RIP.
 */
__asm__(".text\n"
        ".globl bp_stub\n"
        "bp_stub:\n\t"
        "push %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n\t"
        "push %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n\t"
        "lea 72(%rsp), %rdi\n\t"
        "call bp_handler\n\t"
        "pop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\t"
        "pop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
        "iretq\n");

void bp_handler(const uint64_t *frame)
{
    bp_rip = frame[0];
    bp_cs = frame[1];
    bp_count++;
    serial_puts("KVMKIT-BP\n");
}

static void set_gate(unsigned vector, void (*fn)(void))
{
    uint64_t a = (uint64_t)fn;
    idt[vector] = (struct idt_gate){
        .offset_lo = (uint16_t)a,
        .selector = BOOT_CS,
        .type_attr = GATE_INTERRUPT64,
        .offset_mid = (uint16_t)(a >> 16),
        .offset_hi = (uint32_t)(a >> 32),
    };
}

/* KVM_CPUID_FEATURES (0x40000001) EAX: PV_UNHALT, PV_SEND_IPI, PV_SCHED_YIELD. */
#define KVM_HYPERCALL_FEATURES ((1u << 7) | (1u << 11) | (1u << 13))

static void report_kvm_hypercall_features(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
    if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d || a < 0x40000001) {  /* "KVMKVMKVM" */
        serial_puts("KVMKIT-KVM-HYPERCALLS none\n");
        return;
    }
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000001), "c"(0));
    if ((a & KVM_HYPERCALL_FEATURES) == 0) {
        serial_puts("KVMKIT-KVM-HYPERCALLS hidden\n");
        return;
    }
    serial_puts("KVMKIT-KVM-HYPERCALLS offered=");
    serial_put_hex(a & KVM_HYPERCALL_FEATURES);
    serial_puts("\n");
}

void payload_main(const void *boot_params)
{
    struct idtr idtr = { sizeof(idt) - 1, (uint64_t)idt };
    uint64_t after_int3;
    (void)boot_params;

    report_kvm_hypercall_features();
    set_gate(VECTOR_BP, bp_stub);
    __asm__ volatile("lidt %0" : : "m"(idtr) : "memory");

    /* A trap: the handler must see RIP = the instruction after INT3. */
    __asm__ volatile("lea 1f(%%rip), %0\n\tint3\n1:" : "=r"(after_int3) : : "memory");
    if (bp_count != 1 || bp_rip != after_int3 || bp_cs != BOOT_CS) {
        serial_puts("KVMKIT-QUIRKS-FAIL int3: count=");
        serial_put_dec(bp_count);
        serial_puts(" rip=");
        serial_put_hex(bp_rip);
        serial_puts(" expected=");
        serial_put_hex(after_int3);
        serial_puts("\n");
        return;
    }
    __asm__ volatile("fwait" : : : "memory");
    serial_puts("KVMKIT-QUIRKS-OK\n");
}
