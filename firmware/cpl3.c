/* SPDX-License-Identifier: MIT */
#include "cpl3.h"

#include <stdbool.h>

#include "lib.h"

/* Selectors of the GDT below. User data precedes user code as SYSRET
 * would want it (SDM vol. 2, SYSRET), though nothing here uses SYSRET. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS   0x28

/* kvmkit's boot identity map (vmm/x86/layout.h): PML4, PDPT, 4 PDs of
 * 2 MiB pages covering 0-4 GiB. */
#define BOOT_PML4 0x9000ULL
#define BOOT_PDPT 0xa000ULL
#define BOOT_PD   0xb000ULL
#define PTE_USER  4ULL

#define PF_VECTOR 14

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
};

static uint64_t gdt[7] __attribute__((aligned(16)));
static struct gate idt[PF_VECTOR + 1] __attribute__((aligned(16)));
static uint32_t tss[26] __attribute__((aligned(16)));     /* 104 bytes, 64-bit TSS */
static uint8_t fault_stack[4096] __attribute__((aligned(16)));
uint64_t cpl3_kernel_rsp;

void cpl3_pf_entry(void);

/* Flat 64-bit code or data segment descriptor (SDM vol. 3, 3.4.5). */
static uint64_t segment(unsigned dpl, bool code)
{
    uint64_t access = 0x92 | (code ? 0x0a : 0) | (uint64_t)dpl << 5;
    uint64_t flags = code ? 0xa : 0xc;      /* G|L for code, G|D/B for data */
    return 0xffffULL | access << 40 | 0xfULL << 48 | flags << 52;
}

static void load_tables(void)
{
    uint64_t t = (uint64_t)tss;
    /* RSP0, the stack the #PF handler starts on (SDM vol. 3, 8.7). */
    uint64_t rsp0 = (uint64_t)(fault_stack + sizeof(fault_stack));
    tss[1] = (uint32_t)rsp0;
    tss[2] = (uint32_t)(rsp0 >> 32);
    gdt[1] = segment(0, true);
    gdt[2] = segment(0, false);
    gdt[3] = segment(3, false);
    gdt[4] = segment(3, true);
    gdt[5] = (sizeof(tss) - 1) | (t & 0xffffff) << 16 | 0x89ULL << 40 | (t >> 24 & 0xff) << 56;
    gdt[6] = t >> 32;
    uint64_t pf = (uint64_t)cpl3_pf_entry;
    idt[PF_VECTOR] = (struct gate){ .off0 = pf & 0xffff, .sel = SEL_KCODE, .type = 0x8e,
                                    .off1 = pf >> 16 & 0xffff, .off2 = pf >> 32 };
    struct table_ptr g = { sizeof(gdt) - 1, (uint64_t)gdt };
    struct table_ptr i = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lgdt %0; lidt %1; ltr %w2" : : "m"(g), "m"(i), "r"(SEL_TSS) : "memory");
    /* Reload the segment registers from the new GDT (CS by a far return). */
    __asm__ volatile("mov %w0, %%ds; mov %w0, %%es; mov %w0, %%ss;"
                     "pushq %1; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     : : "r"(SEL_KDATA), "i"(SEL_KCODE) : "rax", "memory");
}

void cpl3_init(void)
{
    uint64_t *pml4 = (uint64_t *)BOOT_PML4, *pdpt = (uint64_t *)BOOT_PDPT;
    uint64_t *pd = (uint64_t *)BOOT_PD;
    pml4[0] |= PTE_USER;
    for (int i = 0; i < 4; i++)
        pdpt[i] |= PTE_USER;
    for (int i = 0; i < 4 * 512; i++)
        pd[i] |= PTE_USER;
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
    load_tables();
}

/*
 * cpl3_run(fn = rdi, arg = rsi, stack_top = rdx): saves the callee-saved
 * registers and the kernel stack pointer, puts the return stub's address
 * on the user stack as @fn's return address, and IRETQs to @fn.
 */
__asm__(
    ".text\n"
    ".globl cpl3_run\n"
    "cpl3_run:\n"
    "  push %rbx\n"
    "  push %rbp\n"
    "  push %r12\n"
    "  push %r13\n"
    "  push %r14\n"
    "  push %r15\n"
    "  mov %rsp, cpl3_kernel_rsp(%rip)\n"
    "  lea -8(%rdx), %rax\n"
    "  lea cpl3_user_return(%rip), %rcx\n"
    "  mov %rcx, (%rax)\n"
    "  pushq $0x1b\n"               /* SS = SEL_UDATA */
    "  pushq %rax\n"                /* RSP */
    "  pushq $0x2\n"                /* RFLAGS: IF clear */
    "  pushq $0x23\n"               /* CS = SEL_UCODE */
    "  pushq %rdi\n"                /* RIP */
    "  mov %rsi, %rdi\n"
    "  iretq\n"
    "cpl3_user_return:\n"           /* CPL3: fault our way back */
    "  movabs $0x200000000, %rax\n" /* 8 GiB: outside the boot map */
    "  movb $0, (%rax)\n"
    "  ud2\n"
    ".globl cpl3_pf_entry\n"
    "cpl3_pf_entry:\n"              /* CPL0, on the TSS's RSP0 stack */
    "  mov cpl3_kernel_rsp(%rip), %rsp\n"
    "  pop %r15\n"
    "  pop %r14\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  pop %rbp\n"
    "  pop %rbx\n"
    "  ret\n");
