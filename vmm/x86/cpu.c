/* SPDX-License-Identifier: MIT */
#include "x86/cpu.h"

#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "error.h"
#include "vm.h"
#include "x86/layout.h"
#include "x86/pvm.h"

#define CPUID_MAX_ENTRIES 256

struct kvm_cpuid2 *x86_cpuid_supported(int kvm_fd, GError **errp)
{
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
    c->nent = CPUID_MAX_ENTRIES;
    if (vm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_GET_SUPPORTED_CPUID: %s",
                    g_strerror(errno));
        g_free(c);
        return NULL;
    }
    return c;
}

#define CPUID1_ECX_HYPERVISOR (1u << 31)

bool x86_cpuid_setup(struct vcpu *vcpu, const struct kvm_cpuid2 *supported,
                     bool pvm, GError **errp)
{
    size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
    g_autofree struct kvm_cpuid2 *c = g_memdup2(supported, size);
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            e->ebx = (e->ebx & 0x00ffffff) | (vcpu->id << 24);
            e->ecx |= CPUID1_ECX_HYPERVISOR;
            break;
        case 0xb:
        case 0x1f:
            e->edx = vcpu->id;   /* x2APIC id */
            break;
        }
        if (pvm)
            x86_pvm_adjust_cpuid(e);
    }
    if (vm_ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_SET_CPUID2 (vCPU %u): %s",
                    vcpu->id, g_strerror(errno));
        return false;
    }
    return true;
}

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static void set_lvt_mode(struct kvm_lapic_state *s, unsigned reg, uint32_t mode)
{
    uint32_t v;
    memcpy(&v, &s->regs[reg], 4);
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&s->regs[reg], &v, 4);
}

bool x86_lapic_setup(struct vcpu *vcpu, GError **errp)
{
    struct kvm_lapic_state s;
    if (vm_ioctl(vcpu->fd, KVM_GET_LAPIC, &s) < 0)
        goto fail;
    set_lvt_mode(&s, APIC_LVT0, APIC_MODE_EXTINT);
    set_lvt_mode(&s, APIC_LVT1, APIC_MODE_NMI);
    if (vm_ioctl(vcpu->fd, KVM_SET_LAPIC, &s) < 0)
        goto fail;
    return true;
fail:
    g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "LAPIC setup (vCPU %u): %s",
                vcpu->id, g_strerror(errno));
    return false;
}

/* GDT entries: null, null, 64-bit code (0x10), data (0x18), TSS (0x20). */
static const uint64_t boot_gdt[] = {
    0,
    0,
    0x00af9b000000ffffULL,   /* code: present, DPL0, exec/read, L=1, G=1 */
    0x00cf93000000ffffULL,   /* data: present, DPL0, read/write, D/B=1, G=1 */
    0x00008b0000000067ULL,   /* TSS: present, busy 64-bit TSS, limit 0x67 */
};

bool x86_write_boot_tables(const struct guest_mem *mem, GError **errp)
{
    uint64_t *pml4 = guest_mem_ptr(mem, X86_PML4_ADDR, 4096);
    uint64_t *pdpt = guest_mem_ptr(mem, X86_PDPT_ADDR, 4096);
    uint64_t *pd = guest_mem_ptr(mem, X86_PD_ADDR, 4 * 4096);
    if (!pml4 || !pdpt || !pd ||
        !guest_mem_write(mem, X86_GDT_ADDR, boot_gdt, sizeof(boot_gdt))) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL, "no RAM for boot page tables");
        return false;
    }
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    pml4[0] = X86_PDPT_ADDR | 0x3;                       /* present, writable */
    for (unsigned i = 0; i < 4; i++)
        pdpt[i] = (X86_PD_ADDR + i * 4096ULL) | 0x3;
    for (uint64_t i = 0; i < 4 * 512; i++)
        pd[i] = (i << 21) | 0x83;                        /* present, writable, 2 MiB */
    return true;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64, .g = 1,
    };
}

#define CR0_PE 0x1u
#define CR0_ET 0x10u
#define CR0_NE 0x20u
#define CR0_PG 0x80000000u
#define CR4_PAE 0x20u
#define EFER_LME 0x100u
#define EFER_LMA 0x400u

bool x86_set_boot_regs(struct vcpu *vcpu, uint64_t rip, uint64_t rsi, GError **errp)
{
    struct kvm_sregs sregs;
    if (vm_ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
        goto fail;
    set_seg(&sregs.cs, X86_BOOT_CS, 0xb, true);
    set_seg(&sregs.ds, X86_BOOT_DS, 0x3, false);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.tr = (struct kvm_segment){
        .base = 0, .limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1,
    };
    sregs.gdt.base = X86_GDT_ADDR;
    sregs.gdt.limit = sizeof(boot_gdt) - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
    sregs.cr3 = X86_PML4_ADDR;
    sregs.cr4 = CR4_PAE;
    sregs.efer = EFER_LME | EFER_LMA;
    if (vm_ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
        goto fail;

    struct kvm_regs regs = {
        .rflags = 0x2,
        .rip = rip,
        .rsi = rsi,
        .rsp = X86_PML4_ADDR - 16,     /* a small boot stack below the page tables */
    };
    if (vm_ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
        goto fail;
    return true;
fail:
    g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "setting boot registers: %s",
                g_strerror(errno));
    return false;
}

size_t x86_read_insn(struct vcpu *vcpu, uint8_t *buf, size_t len)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    if (vm_ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
        vm_ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
        return 0;
    uint64_t linear = sregs.cs.base + regs.rip;
    size_t got = 0;
    while (got < len) {
        struct kvm_translation tr = { .linear_address = linear + got };
        if (vm_ioctl(vcpu->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
            break;
        /* Stay within one page per translation. */
        size_t chunk = MIN(len - got, 4096 - ((linear + got) & 4095));
        if (!guest_mem_read(&vcpu->vm->mem, tr.physical_address, buf + got, chunk))
            break;
        got += chunk;
    }
    return got;
}

static void dump_seg(FILE *out, const char *name, const struct kvm_segment *s)
{
    fprintf(out, "  %-3s sel=%04x base=%016llx limit=%08x type=%x p=%u dpl=%u db=%u s=%u l=%u g=%u\n",
            name, s->selector, (unsigned long long)s->base, s->limit, s->type, s->present,
            s->dpl, s->db, s->s, s->l, s->g);
}

void x86_dump_vcpu(struct vcpu *vcpu, FILE *out)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    if (vm_ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || vm_ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(out, "kvmkit: vCPU %u: cannot read registers: %s\n", vcpu->id, g_strerror(errno));
        return;
    }
    fprintf(out, "kvmkit: vCPU %u registers:\n", vcpu->id);
    fprintf(out, "  rip=%016llx rflags=%016llx\n", r.rip, r.rflags);
    fprintf(out, "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", r.rax, r.rbx, r.rcx, r.rdx);
    fprintf(out, "  rsi=%016llx rdi=%016llx rbp=%016llx rsp=%016llx\n", r.rsi, r.rdi, r.rbp, r.rsp);
    fprintf(out, "  r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n", r.r8, r.r9, r.r10, r.r11);
    fprintf(out, "  r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n", r.r12, r.r13, r.r14, r.r15);
    fprintf(out, "  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
            s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
    dump_seg(out, "cs", &s.cs);
    dump_seg(out, "ds", &s.ds);
    dump_seg(out, "ss", &s.ss);
    dump_seg(out, "tr", &s.tr);
    fprintf(out, "  gdt=%016llx/%x idt=%016llx/%x\n", s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
    /* On AMD SVM, KVM reinitializes the VMCB on a SHUTDOWN intercept
     * (svm.c shutdown_interception: the VMCB is undefined after it), so
     * after a triple fault the vCPU holds its reset values. VMX keeps the
     * faulting state. Say so rather than let the reset values pass for it. */
    if (r.rip == 0xfff0 && s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 && !(s.cr0 & 1))
        fprintf(out, "  (these are the vCPU's reset values: KVM on AMD SVM resets a vCPU after a "
                     "triple fault, so the state at the fault is lost)\n");
    uint8_t insn[16];
    size_t n = x86_read_insn(vcpu, insn, sizeof(insn));
    fprintf(out, "  code at rip:");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %02x", insn[i]);
    fprintf(out, n ? "\n" : " (not mapped)\n");
}
