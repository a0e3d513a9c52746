/* SPDX-License-Identifier: MIT */
/*
 * x86 CPU and interrupt-controller state for snapshots: what KVM keeps for
 * each vCPU (registers, FPU/XSAVE, XCRs, MSRs, LAPIC, pending events, debug
 * registers, MP state) and for the VM (PIC, IOAPIC, PIT, kvmclock), as raw
 * KVM structures in versioned snap nodes. The structures are KVM's stable
 * ABI, so a snapshot moves between kernels; the CPU features the guest saw
 * are saved too and compared with the restoring host's.
 */
#include "x86/state.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "error.h"
#include "log.h"
#include "snap.h"
#include "vm.h"

#define VCPU_VERSION 1
#define VM_VERSION 1
#define MAX_MSRS 512
#define MSR_IA32_TSC_DEADLINE 0x6e0

/* One vCPU ioctl on a local struct; fails with the ioctl's name. */
#define KVM_VCPU_CALL(fd, req, ptr, what, id)                                        \
    (vm_ioctl((fd), (req), (ptr)) < 0                                                \
         ? kvmkit_fail(errp, KVMKIT_ERROR_KVM, "%s (vCPU %u): %s", (what), (id),     \
                       g_strerror(errno))                                            \
         : true)

/* ---- MSRs ---- */

/*
 * The MSRs to save: every index KVM lists (KVM_GET_MSR_INDEX_LIST) that this
 * vCPU can actually read, found one by one (some listed ones depend on CPU
 * features the host lacks).
 */
static struct kvm_msrs *readable_msrs(struct vcpu *vcpu, GError **errp)
{
    g_autofree struct kvm_msr_list *list =
        g_malloc0(sizeof(*list) + MAX_MSRS * sizeof(list->indices[0]));
    list->nmsrs = MAX_MSRS;
    if (vm_ioctl(vcpu->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_KVM, "KVM_GET_MSR_INDEX_LIST: %s", g_strerror(errno));
        return NULL;
    }
    struct kvm_msrs *msrs = g_malloc0(sizeof(*msrs) + list->nmsrs * sizeof(msrs->entries[0]));
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } one;
    for (unsigned i = 0; i < list->nmsrs; i++) {
        memset(&one, 0, sizeof(one));
        one.hdr.nmsrs = 1;
        one.e.index = list->indices[i];
        if (ioctl(vcpu->fd, KVM_GET_MSRS, &one) == 1)
            msrs->entries[msrs->nmsrs++] = one.e;
    }
    return msrs;
}

static bool set_msrs(struct vcpu *vcpu, const struct kvm_msr_entry *e, unsigned n,
                     GError **errp)
{
    g_autofree struct kvm_msrs *msrs = g_malloc0(sizeof(*msrs) + n * sizeof(*e));
    unsigned done = 0;
    while (done < n) {
        msrs->nmsrs = n - done;
        memcpy(msrs->entries, e + done, (n - done) * sizeof(*e));
        int r = vm_ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
        if (r < 0)
            return kvmkit_fail(errp, KVMKIT_ERROR_KVM, "KVM_SET_MSRS (vCPU %u): %s", vcpu->id,
                               g_strerror(errno));
        done += r;
        if (done < n) {
            /* KVM stops at the first MSR it refuses: one this host does
             * not have. Skip it with a warning rather than give up. */
            g_autofree char *key = g_strdup_printf("msr:%x", e[done].index);
            log_warn_once_in("snapshot", key, "restore: this host refuses MSR 0x%x; continuing without it",
                          e[done].index);
            done++;
        }
    }
    return true;
}

/* ---- vCPU ---- */

bool x86_vcpu_save(struct vcpu *vcpu, struct snap_out *o, GError **errp)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
    struct kvm_debugregs dregs;
    struct kvm_mp_state mp;
    unsigned id = vcpu->id;
    int fd = vcpu->fd;
    int kvm = vcpu->vm->kvm_fd;

    if (!KVM_VCPU_CALL(fd, KVM_GET_REGS, &regs, "KVM_GET_REGS", id) ||
        !KVM_VCPU_CALL(fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", id) ||
        !KVM_VCPU_CALL(fd, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", id) ||
        !KVM_VCPU_CALL(fd, KVM_GET_VCPU_EVENTS, &events, "KVM_GET_VCPU_EVENTS", id) ||
        !KVM_VCPU_CALL(fd, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE", id))
        return false;
    g_autofree struct kvm_msrs *msrs = readable_msrs(vcpu, errp);
    if (!msrs)
        return false;

    char name[16];
    g_snprintf(name, sizeof(name), "cpu@%u", id);
    snap_begin(o, name, VCPU_VERSION);
    snap_put_bytes(o, "regs", &regs, sizeof(regs));
    snap_put_bytes(o, "sregs", &sregs, sizeof(sregs));
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0) {
        /* struct kvm_xsave is the 4 KiB legacy layout; enough for the
         * features kvmkit's CPUID gives (no AMX). */
        g_autofree struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
        if (!KVM_VCPU_CALL(fd, KVM_GET_XSAVE, xs, "KVM_GET_XSAVE", id))
            return false;
        snap_put_bytes(o, "xsave", xs, sizeof(*xs));
    } else {
        struct kvm_fpu fpu;
        if (!KVM_VCPU_CALL(fd, KVM_GET_FPU, &fpu, "KVM_GET_FPU", id))
            return false;
        snap_put_bytes(o, "fpu", &fpu, sizeof(fpu));
    }
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0) {
        struct kvm_xcrs xcrs;
        if (!KVM_VCPU_CALL(fd, KVM_GET_XCRS, &xcrs, "KVM_GET_XCRS", id))
            return false;
        snap_put_bytes(o, "xcrs", &xcrs, sizeof(xcrs));
    }
    snap_put_bytes(o, "msrs", msrs->entries, msrs->nmsrs * sizeof(msrs->entries[0]));
    snap_put_bytes(o, "lapic", &lapic, sizeof(lapic));
    snap_put_bytes(o, "events", &events, sizeof(events));
    if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0) {
        if (!KVM_VCPU_CALL(fd, KVM_GET_DEBUGREGS, &dregs, "KVM_GET_DEBUGREGS", id))
            return false;
        snap_put_bytes(o, "debugregs", &dregs, sizeof(dregs));
    }
    snap_put_u32(o, "mp-state", mp.mp_state);
    snap_end(o);
    return true;
}

bool x86_vcpu_load(struct vcpu *vcpu, const struct snap_in *parent, GError **errp)
{
    struct snap_in n;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_lapic_state lapic;
    struct kvm_vcpu_events events;
    struct kvm_mp_state mp;
    unsigned id = vcpu->id;
    int fd = vcpu->fd;
    char name[16];
    size_t msr_len;
    const void *msr_blob;

    g_snprintf(name, sizeof(name), "cpu@%u", id);
    if (!snap_child(parent, name, VCPU_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "regs", &regs, sizeof(regs), errp) ||
        !snap_get_bytes(&n, "sregs", &sregs, sizeof(sregs), errp) ||
        !snap_get_bytes(&n, "lapic", &lapic, sizeof(lapic), errp) ||
        !snap_get_bytes(&n, "events", &events, sizeof(events), errp) ||
        !snap_get_u32(&n, "mp-state", &mp.mp_state, errp) ||
        !(msr_blob = snap_get_blob(&n, "msrs", &msr_len, errp)))
        return false;
    if (msr_len % sizeof(struct kvm_msr_entry) || msr_len / sizeof(struct kvm_msr_entry) > MAX_MSRS)
        return snap_bad(&n, "msrs", errp, "%zu bytes is not a list of MSRs", msr_len);

    /* The order QEMU and Firecracker use: special registers (EFER, CR4,
     * APIC base) before the FPU state and MSRs that depend on them, the
     * LAPIC after the APIC base MSR, events last. */
    if (!KVM_VCPU_CALL(fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", id) ||
        !KVM_VCPU_CALL(fd, KVM_SET_REGS, &regs, "KVM_SET_REGS", id))
        return false;
    if (snap_has_prop(&n, "xsave")) {
        g_autofree struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
        if (!snap_get_bytes(&n, "xsave", xs, sizeof(*xs), errp) ||
            !KVM_VCPU_CALL(fd, KVM_SET_XSAVE, xs, "KVM_SET_XSAVE", id))
            return false;
    } else {
        struct kvm_fpu fpu;
        if (!snap_get_bytes(&n, "fpu", &fpu, sizeof(fpu), errp) ||
            !KVM_VCPU_CALL(fd, KVM_SET_FPU, &fpu, "KVM_SET_FPU", id))
            return false;
    }
    if (snap_has_prop(&n, "xcrs")) {
        struct kvm_xcrs xcrs;
        if (!snap_get_bytes(&n, "xcrs", &xcrs, sizeof(xcrs), errp) ||
            !KVM_VCPU_CALL(fd, KVM_SET_XCRS, &xcrs, "KVM_SET_XCRS", id))
            return false;
    }
    g_autofree struct kvm_msr_entry *msrs = g_memdup2(msr_blob, msr_len);
    if (!set_msrs(vcpu, msrs, msr_len / sizeof(*msrs), errp))
        return false;
    if (!KVM_VCPU_CALL(fd, KVM_SET_MP_STATE, &mp, "KVM_SET_MP_STATE", id) ||
        !KVM_VCPU_CALL(fd, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", id))
        return false;
    /* KVM ignores a TSC deadline written while the LAPIC timer is not in
     * TSC-deadline mode, which it is not until KVM_SET_LAPIC: written
     * again now, or the guest's armed timer is lost and an idle guest
     * sleeps until some other interrupt wakes it. */
    for (size_t i = 0; i < msr_len / sizeof(*msrs); i++)
        if (msrs[i].index == MSR_IA32_TSC_DEADLINE && !set_msrs(vcpu, &msrs[i], 1, errp))
            return false;
    /* Pending exceptions and interrupts exactly as saved (the flags make
     * KVM take the NMI and SIPI fields too). */
    events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
    if (!KVM_VCPU_CALL(fd, KVM_SET_VCPU_EVENTS, &events, "KVM_SET_VCPU_EVENTS", id))
        return false;
    if (snap_has_prop(&n, "debugregs")) {
        struct kvm_debugregs dregs;
        if (!snap_get_bytes(&n, "debugregs", &dregs, sizeof(dregs), errp) ||
            !KVM_VCPU_CALL(fd, KVM_SET_DEBUGREGS, &dregs, "KVM_SET_DEBUGREGS", id))
            return false;
    }
    return true;
}

/* ---- VM: interrupt controllers, PIT, kvmclock, CPU features ---- */

static const struct {
    uint32_t chip;
    const char *name;
} irqchips[] = {
    { KVM_IRQCHIP_PIC_MASTER, "pic-master" },
    { KVM_IRQCHIP_PIC_SLAVE, "pic-slave" },
    { KVM_IRQCHIP_IOAPIC, "ioapic" },
};

#define VM_GET(req, ptr, what)                                                       \
    (vm_ioctl(vm->vm_fd, (req), (ptr)) < 0                                          \
         ? kvmkit_fail(errp, KVMKIT_ERROR_KVM, "%s: %s", (what), g_strerror(errno))  \
         : true)

/*
 * CPUID words whose feature bits a guest may have started using: the
 * restoring host must have every bit that was set (leaf, subleaf, register).
 */
static const struct {
    uint32_t leaf, subleaf;
    unsigned reg;   /* 0 eax, 1 ebx, 2 ecx, 3 edx */
    const char *name;
} feature_words[] = {
    { 1, 0, 2, "CPUID.1:ECX" },
    { 1, 0, 3, "CPUID.1:EDX" },
    { 7, 0, 1, "CPUID.7.0:EBX" },
    { 7, 0, 2, "CPUID.7.0:ECX" },
    { 7, 0, 3, "CPUID.7.0:EDX" },
    { 0xd, 1, 0, "CPUID.0xD.1:EAX" },
    { 0x80000001, 0, 2, "CPUID.80000001:ECX" },
    { 0x80000001, 0, 3, "CPUID.80000001:EDX" },
};

static uint32_t feature_word(const struct kvm_cpuid2 *c, unsigned i)
{
    for (unsigned j = 0; j < c->nent; j++) {
        const struct kvm_cpuid_entry2 *e = &c->entries[j];
        if (e->function == feature_words[i].leaf &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == feature_words[i].subleaf)) {
            const uint32_t regs[4] = { e->eax, e->ebx, e->ecx, e->edx };
            return regs[feature_words[i].reg];
        }
    }
    return 0;
}

bool x86_vm_save(struct vm *vm, const struct kvm_cpuid2 *cpuid, struct snap_out *o,
                 GError **errp)
{
    struct kvm_irqchip chips[G_N_ELEMENTS(irqchips)];
    struct kvm_pit_state2 pit;
    struct kvm_clock_data clock = { 0 };
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        memset(&chips[i], 0, sizeof(chips[i]));
        chips[i].chip_id = irqchips[i].chip;
        if (!VM_GET(KVM_GET_IRQCHIP, &chips[i], "KVM_GET_IRQCHIP"))
            return false;
    }
    if (!VM_GET(KVM_GET_PIT2, &pit, "KVM_GET_PIT2") ||
        !VM_GET(KVM_GET_CLOCK, &clock, "KVM_GET_CLOCK"))
        return false;
    snap_begin(o, "x86", VM_VERSION);
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchips); i++)
        snap_put_bytes(o, irqchips[i].name, &chips[i].chip, sizeof(chips[i].chip));
    snap_put_bytes(o, "pit", &pit, sizeof(pit));
    snap_put_u64(o, "kvmclock-ns", clock.clock);
    uint32_t words[G_N_ELEMENTS(feature_words)];
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_words); i++)
        words[i] = feature_word(cpuid, i);
    snap_put_bytes(o, "cpu-features", words, sizeof(words));
    snap_end(o);
    return true;
}

bool x86_vm_check_cpu(const struct snap_in *root, const struct kvm_cpuid2 *cpuid, GError **errp)
{
    struct snap_in n;
    uint32_t words[G_N_ELEMENTS(feature_words)];
    if (!snap_child(root, "x86", VM_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "cpu-features", words, sizeof(words), errp))
        return false;
    g_autoptr(GString) missing = g_string_new(NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(feature_words); i++) {
        uint32_t lacks = words[i] & ~feature_word(cpuid, i);
        for (unsigned bit = 0; bit < 32; bit++)
            if (lacks & (1u << bit))
                g_string_append_printf(missing, "%s%s bit %u", missing->len ? ", " : "",
                                       feature_words[i].name, bit);
    }
    if (missing->len)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "the snapshot's guest may use CPU "
                           "features this host lacks: %s", missing->str);
    return true;
}

bool x86_vm_load(struct vm *vm, const struct snap_in *root, GError **errp)
{
    struct snap_in n;
    struct kvm_pit_state2 pit;
    struct kvm_clock_data clock = { 0 };
    uint64_t ns;
    if (!snap_child(root, "x86", VM_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "pit", &pit, sizeof(pit), errp) ||
        !snap_get_u64(&n, "kvmclock-ns", &ns, errp))
        return false;
    clock.clock = ns;
    for (unsigned i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        struct kvm_irqchip chip = { .chip_id = irqchips[i].chip };
        if (!snap_get_bytes(&n, irqchips[i].name, &chip.chip, sizeof(chip.chip), errp) ||
            !VM_GET(KVM_SET_IRQCHIP, &chip, "KVM_SET_IRQCHIP"))
            return false;
    }
    return VM_GET(KVM_SET_PIT2, &pit, "KVM_SET_PIT2") &&
           VM_GET(KVM_SET_CLOCK, &clock, "KVM_SET_CLOCK");
}
