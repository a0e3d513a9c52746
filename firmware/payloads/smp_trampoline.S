/* SPDX-License-Identifier: MIT */
/*
 * Application processor start-up for the smp payload.
 *
 * smp_trampoline_start..smp_trampoline_end is copied by the BSP to
 * SMP_TRAMPOLINE_ADDR (0x8000); a STARTUP IPI with vector 0x08 starts an AP
 * there in real mode (CS = 0x0800, IP = 0). It goes straight from real mode
 * to long mode (PE and PG set together, as the AMD APM vol. 2, 14.8 allows
 * once EFER.LME and CR4.PAE are set) using kvmkit's boot GDT at 0x500 and
 * identity page tables at 0x9000, then far-jumps to smp_ap_long_mode, which
 * runs at its link address like the rest of the payload.
 */
#define SMP_TRAMPOLINE_ADDR 0x8000
#define TRAMP(sym) ((sym) - smp_trampoline_start + SMP_TRAMPOLINE_ADDR)

#define BOOT_GDT_ADDR 0x500
#define BOOT_GDT_LIMIT 39
#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define PML4_ADDR 0x9000
#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define LAPIC_ID_REG 0xfee00020

#define SMP_MAX_CPUS 64
#define SMP_AP_STACK_SHIFT 11          /* 2 KiB per AP */

    .section .rodata.smp_trampoline, "a"
    .code16
    .globl smp_trampoline_start, smp_trampoline_end
smp_trampoline_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl TRAMP(trampoline_gdtr)
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $PML4_ADDR, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PE | CR0_PG), %eax
    mov %eax, %cr0
    ljmpl $BOOT_CS, $smp_ap_long_mode
    .p2align 2
trampoline_gdtr:
    .word BOOT_GDT_LIMIT
    .long BOOT_GDT_ADDR
smp_trampoline_end:

    .text
    .code64
smp_ap_long_mode:
    mov $BOOT_DS, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    /* The APIC id picks the stack; CPUID would give the host's here. */
    mov $LAPIC_ID_REG, %edx
    mov (%rdx), %edi
    shr $24, %edi
    cmp $SMP_MAX_CPUS, %edi
    jae 1f
    lea 1(%rdi), %eax
    shl $SMP_AP_STACK_SHIFT, %rax
    lea smp_ap_stacks(%rip), %rsp
    add %rax, %rsp
    call smp_ap_main                /* smp_ap_main(apic_id), never returns */
1:  cli
    hlt
    jmp 1b

    .bss
    .p2align 4
smp_ap_stacks:
    .skip SMP_MAX_CPUS << SMP_AP_STACK_SHIFT
