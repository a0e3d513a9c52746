/* SPDX-License-Identifier: MIT */
/*
 * Enters CPL3 with IRETQ and comes back through SYSCALL and a
 * page fault, the ways a 64-bit Linux process enters its kernel (INT 0x80 is
 * not one; on the PVM host it did not reach a DPL3 gate), printing the
 * privilege level each handler runs at:
 *   KVMKIT-USER-SYSCALL cpl=N   N is 0 on real hardware; 3 on the PVM hosts
 *                               this project runs on (docs/platform.md), which
 *                               is why the test guest kernel carries
 *                               firmware/linux/patches/0001-*
 *   KVMKIT-USER-PF cpl=0
 *   KVMKIT-USER-DONE
 */
#include "lib.h"

struct gdt_ptr { uint16_t limit; uint64_t base; } __attribute__((packed));
struct idt_entry { uint16_t off0, sel; uint8_t ist, type; uint16_t off1; uint32_t off2, zero; };

static uint64_t gdt[8] __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
static uint8_t tss[104] __attribute__((aligned(16)));
static uint8_t kstack[4096] __attribute__((aligned(16)));
static uint8_t ustack[4096] __attribute__((aligned(16)));
volatile int stage;

#define KCS 0x08
#define KDS 0x10
#define UDS 0x1b
#define UCS 0x23
#define TSS_SEL 0x28

extern void syscall_entry(void);
extern void pf_entry(void);
extern void user_code(void);

__asm__(
    ".text\n"
    "syscall_entry:\n"          /* rcx = user rip, r11 = rflags; same stack (no swap needed here) */
    "  push %rcx\n"
    "  push %r11\n"
    "  mov $1, %edi\n"
    "  call kernel_event\n"
    "  pop %r11\n"
    "  pop %rcx\n"
    "  testb $3, cpl_now(%rip)\n"
    "  jnz 2f\n"
    "  sysretq\n"
    "2: jmp *%rcx\n"            /* still in user mode (PVM quirk): just continue */
    "pf_entry:\n"
    "  mov $2, %edi\n"
    "  call kernel_event\n"     /* does not return */
    "user_code:\n"
    "  syscall\n"
    "  movabs $0x200000000, %rax\n"  /* 8 GiB: not mapped, #PF */
    "  movb $1, (%rax)\n"
    "1: jmp 1b\n");

volatile uint8_t cpl_now;
static volatile int8_t cpl_seen[3] = { -1, -1, -1 };

/* Records the privilege level of each entry; prints only from the #PF
 * handler, which runs at CPL0 (a handler stuck at CPL3 cannot do port I/O
 * on a PVM host, where IOPL does not reach the hardware). */
void kernel_event(int what)
{
    static const char *names[] = { "", "SYSCALL", "PF" };
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    cpl_now = cs & 3;
    cpl_seen[what] = cs & 3;
    if (what != 2)
        return;
    for (int i = 1; i <= 2; i++) {
        serial_puts("KVMKIT-USER-");
        serial_puts(names[i]);
        if (cpl_seen[i] < 0) {
            serial_puts(" not reached\n");
            continue;
        }
        serial_puts(" cpl=");
        serial_put_dec(cpl_seen[i]);
        serial_puts("\n");
    }
    serial_puts("KVMKIT-USER-DONE\n");
    reset_via_i8042();
}

static void set_gate(int vec, void (*fn)(void), int dpl)
{
    uint64_t a = (uint64_t)fn;
    idt[vec] = (struct idt_entry){ .off0 = a & 0xffff, .sel = KCS, .ist = 0,
        .type = 0x8e | (dpl << 5), .off1 = (a >> 16) & 0xffff, .off2 = a >> 32 };
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | (uint64_t)hi << 32;
}

void payload_main(const void *bp)
{
    (void)bp;
    /* Let CPL3 run this payload's code and stacks: set U on the path to
     * the first 2 MiB of the identity map. */
    uint64_t *pml4 = (uint64_t *)0x9000, *pdpt = (uint64_t *)0xa000, *pd = (uint64_t *)0xb000;
    pml4[0] |= 4;
    for (int i = 0; i < 4; i++)
        pdpt[i] |= 4;
    pd[0] |= 4;
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");

    gdt[1] = 0x00af9b000000ffffULL;   /* kernel code */
    gdt[2] = 0x00cf93000000ffffULL;   /* kernel data */
    gdt[3] = 0x00cff3000000ffffULL;   /* user data, DPL3 */
    gdt[4] = 0x00affb000000ffffULL;   /* user code 64, DPL3 */
    uint64_t t = (uint64_t)tss;
    *(uint64_t *)(tss + 4) = (uint64_t)(kstack + sizeof(kstack));   /* rsp0 */
    gdt[5] = 0x0000890000000067ULL | ((t & 0xffffff) << 16) | ((t >> 24 & 0xff) << 56);
    gdt[6] = t >> 32;
    struct gdt_ptr g = { sizeof(gdt) - 1, (uint64_t)gdt };
    struct gdt_ptr i = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lgdt %0; lidt %1; mov %2, %%ax; ltr %%ax"
                     : : "m"(g), "m"(i), "r"((uint16_t)TSS_SEL) : "rax");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; pushq %1; lea 1f(%%rip), %%rax; "
                     "pushq %%rax; lretq; 1:" : : "r"((uint16_t)KDS), "i"(KCS) : "rax", "memory");
    set_gate(14, pf_entry, 0);

    /* SYSCALL: EFER.SCE, STAR (kernel CS 0x08, user base 0x10 -> CS 0x23, SS 0x1b), LSTAR. */
    wrmsr(0xc0000080, rdmsr(0xc0000080) | 1);
    wrmsr(0xc0000081, ((uint64_t)0x13 << 48) | ((uint64_t)KCS << 32));
    wrmsr(0xc0000082, (uint64_t)syscall_entry);
    wrmsr(0xc0000084, 0x200);   /* clear IF on entry */

    serial_puts("KVMKIT-USER-ENTER\n");
    __asm__ volatile("pushq %0; pushq %1; pushq $0x2; pushq %2; pushq %3; iretq"
                     : : "i"(UDS), "r"((uint64_t)(ustack + sizeof(ustack))), "i"(UCS),
                         "r"((uint64_t)user_code) : "memory");
}
