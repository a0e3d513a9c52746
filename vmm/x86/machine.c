/* SPDX-License-Identifier: MIT */
/*
 * The x86 PC board: arch hooks for generic code (vmm/arch.h). Builds the
 * in-kernel irqchip and PIT, the legacy devices, and loads Linux (bzImage
 * or ELF vmlinux) for the 64-bit boot protocol.
 *
 * vmm/x86/: every x86 fact (memory layout, boot_params and e820, the
 * bzImage boot protocol, CPUID/MSRs, PVM, MP table, ACPI tables, register
 * state).
 * Above the core: implements the hooks it declares in arch.h and may call
 * the core, config, devices, snapshot, boot, observe, acpi (the AML
 * writer) and base;
 * nothing includes its headers but its own files and the tests.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <elf.h>

#include "acpi_sleep.h"
#include "arch.h"
#include "backend/chardev.h"
#include "cmos_rtc.h"
#include "elf_loader.h"
#include "error.h"
#include "i8042.h"
#include "log.h"
#include "serial16550.h"
#include "vm.h"
#include "x86/acpi.h"
#include "x86/bootparams.h"
#include "x86/bzimage.h"
#include "x86/cpu.h"
#include "x86/layout.h"
#include "x86/mptable.h"
#include "x86/pvm.h"
#include "x86/state.h"
#include "snap.h"
#include "blk.h"
#include "console.h"
#include "net.h"
#include "net_config.h"
#include "rng.h"

struct arch_vm {
    bool pvm;                       /* PVM-host workarounds active */
    struct kvm_cpuid2 *cpuid;       /* KVM_GET_SUPPORTED_CPUID */
    struct acpi_sleep *acpi_sleep;  /* ACPI power-off, with [machine] acpi */
    /* The virtio-mmio windows, for the DSDT. */
    struct x86_acpi_virtio virtio[CONFIG_MAX_VIRTIO_DEVICES];
    unsigned n_virtio;
};

#define RNG_SEED_BYTES 32

unsigned arch_ram_layout(uint64_t ram_size, uint64_t gpa[], uint64_t size[], unsigned max)
{
    unsigned n = 0;
    uint64_t low = MIN(ram_size, X86_MMIO_HOLE_START);
    if (n < max) {
        gpa[n] = 0;
        size[n++] = low;
    }
    if (ram_size > low && n < max) {
        gpa[n] = X86_MMIO_HOLE_END;
        size[n++] = ram_size - low;
    }
    return n;
}

bool arch_vm_init(struct vm *vm, GError **errp)
{
    struct arch_vm *a = vm->arch = g_new0(struct arch_vm, 1);
    switch (vm->cfg->pvm) {
    case CONFIG_PVM_ON:   a->pvm = true; break;
    case CONFIG_PVM_OFF:  a->pvm = false; break;
    case CONFIG_PVM_AUTO: a->pvm = x86_pvm_host_detected(); break;
    }
    if (a->pvm)
        kvmkit_log(G_LOG_LEVEL_MESSAGE, "machine", "PVM host workarounds on (%s): guest kernel "
                   "mode is emulated here, see docs/platform.md",
                  vm->cfg->pvm == CONFIG_PVM_AUTO ? "kvm_pvm detected" : "[machine] pvm = on");

    if (vm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)X86_TSS_ADDR) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_SET_TSS_ADDR: %s", g_strerror(errno));
        return false;
    }
    uint64_t idmap = X86_IDENTITY_MAP_ADDR;
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
        vm_ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_SET_IDENTITY_MAP_ADDR: %s",
                    g_strerror(errno));
        return false;
    }
    if (vm_ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, NULL) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_CREATE_IRQCHIP: %s", g_strerror(errno));
        return false;
    }
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    if (vm_ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_CREATE_PIT2: %s", g_strerror(errno));
        return false;
    }
    a->cpuid = x86_cpuid_supported(vm->kvm_fd, errp);
    return a->cpuid != NULL;
}

bool arch_vcpu_init(struct vm *vm, struct vcpu *vcpu, GError **errp)
{
    return x86_cpuid_setup(vcpu, vm->arch->cpuid, vm->arch->pvm, errp) &&
           x86_lapic_setup(vcpu, errp);
}

static void guest_reset(void *opaque)
{
    vm_request_stop(opaque, VM_STOP_RESET);
}

static void guest_poweroff(void *opaque)
{
    kvmkit_log(G_LOG_LEVEL_MESSAGE, "machine", "guest powered off (ACPI S5)");
    vm_request_stop(opaque, VM_STOP_POWEROFF);
}

static void user_quit(void *opaque)
{
    vm_request_stop(opaque, VM_STOP_USER);
}

/* The back end for @out, reading stdin if @in_stdio (a pty is its own
 * input); @label names the device in the pty's message. */
static struct chardev *char_backend(struct vm *vm, const struct config_char *out,
                                    bool in_stdio, const char *label, GError **errp)
{
    int out_fd = -1;
    switch (out->kind) {
    case CONFIG_CHAR_NONE:
        if (!in_stdio)
            return chardev_null_new();
        break;
    case CONFIG_CHAR_FILE:
        if (!in_stdio)
            return chardev_file_new(out->path, errp);
        out_fd = chardev_open_output(out->path, errp);
        if (out_fd < 0)
            return NULL;
        break;
    case CONFIG_CHAR_STDIO:
        out_fd = 1;
        break;
    case CONFIG_CHAR_PTY:
        return chardev_pty_new(vm->ctx, label, errp);
    }
    return chardev_stdio_new(vm->ctx, out_fd, in_stdio, user_quit, vm, errp);
}

/* Puts @dev on the next free virtio-mmio slot (window and GSI); frees it
 * when none is left. */
static bool add_virtio_next(struct vm *vm, struct virtio_dev *dev, void (*free_dev)(void *),
                            void *opaque, GError **errp)
{
    static const unsigned gsis[] = X86_VIRTIO_GSIS;
    /* config_finish() refused more; the check below is a second line. */
    G_STATIC_ASSERT(G_N_ELEMENTS(gsis) == CONFIG_MAX_VIRTIO_DEVICES);
    unsigned slot = vm->virtio->len;
    if (slot >= G_N_ELEMENTS(gsis)) {
        free_dev(opaque);
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "at most %zu virtio devices",
                           G_N_ELEMENTS(gsis));
    }
    uint64_t base = X86_VIRTIO_MMIO_BASE + slot * X86_VIRTIO_MMIO_SIZE;
    if (!vm_add_virtio_mmio(vm, dev, free_dev, opaque, base, gsis[slot], errp))
        return false;
    /* With ACPI the DSDT describes it; a kernel that also took it from the
     * command line would see the device twice. */
    struct arch_vm *a = vm->arch;
    a->virtio[a->n_virtio++] = (struct x86_acpi_virtio){
        .base = base, .size = X86_VIRTIO_MMIO_SIZE, .gsi = gsis[slot] };
    if (!vm->cfg->acpi)
        g_string_append_printf(vm->extra_cmdline, " virtio_mmio.device=4K@0x%" G_GINT64_MODIFIER
                               "x:%u", base, gsis[slot]);
    return true;
}

static void free_console(void *opaque)
{
    virtio_console_free(opaque);
}

/*
 * [console] device = virtio, in the next free virtio slot. Its hvc0
 * becomes /dev/console: Linux takes the last console=.
 */
static bool create_console(struct vm *vm, GError **errp)
{
    const struct vm_config *cfg = vm->cfg;
    if (cfg->console != CONFIG_CONSOLE_VIRTIO)
        return true;
    struct chardev *chr = char_backend(vm, &cfg->console_out, cfg->console_in_stdio,
                                       "virtio-console", errp);
    if (!chr)
        return false;
    struct virtio_console *con = virtio_console_new(chr);
    if (!add_virtio_next(vm, virtio_console_dev(con), free_console, con, errp))
        return false;
    g_string_append(vm->extra_cmdline, " console=hvc0");
    return true;
}

static void free_rng(void *opaque)
{
    virtio_rng_free(opaque);
}

/* [rng] device = virtio, in the next free virtio slot (after the NICs, so
 * that adding it moves no other device). */
static bool create_rng(struct vm *vm, GError **errp)
{
    if (vm->cfg->rng != CONFIG_RNG_VIRTIO)
        return true;
    struct virtio_rng *rng = virtio_rng_new();
    return add_virtio_next(vm, virtio_rng_dev(rng), free_rng, rng, errp);
}

static void free_net(void *opaque)
{
    virtio_net_free(opaque);
}

/* The back end for [net "NAME"] @n; errors name the key to blame. */
static struct net_backend *net_backend_for(struct vm *vm, const struct config_net *n,
                                           GError **errp)
{
    g_autoptr(GError) err = NULL;
    if (n->backend == CONFIG_NET_TAP) {
        struct net_backend *be = net_tap_new(n->ifname, n->offload, vm->ctx, &err);
        if (!be)
            kvmkit_fail(errp, err->code == KVMKIT_ERROR_INPUT ? KVMKIT_ERROR_INPUT
                                                              : KVMKIT_ERROR_HOST,
                        "[net \"%s\"] ifname: %s", n->name, err->message);
        return be;
    }
    struct net_user_params p;
    const char *key;
    g_autofree char *why = NULL;
    if (!net_config_user_params(n, &p, &key, &why)) {   /* config_finish() checked it */
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[net \"%s\"] %s: expected %s", n->name, key, why);
        return NULL;
    }
    int bad = -1;
    struct net_backend *be = net_slirp_new(&p, vm->ctx, &bad, &err);
    if (!be && bad >= 0) {
        g_auto(GStrv) specs = g_strsplit(n->hostfwd, ";", -1);
        const char *spec = "?";
        for (int i = 0, k = 0; specs[i]; i++) {
            char *item = g_strstrip(specs[i]);
            if (*item && k++ == bad) {
                spec = item;
                break;
            }
        }
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[net \"%s\"] hostfwd: %s: %s", n->name, spec,
                    err->message);
    } else if (!be) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[net \"%s\"]: %s", n->name, err->message);
    }
    g_free((void *)p.fwd);
    return be;
}

/* [net "NAME"]: virtio-net NICs after the other virtio devices. */
static bool create_nets(struct vm *vm, GError **errp)
{
    for (guint i = 0; i < vm->cfg->nets->len; i++) {
        const struct config_net *n = g_ptr_array_index(vm->cfg->nets, i);
        uint8_t mac[6];
        if (!n->mac || !net_config_parse_mac(n->mac, mac, NULL))
            net_config_default_mac(vm->cfg->name, n->name, mac);
        struct net_backend *be = net_backend_for(vm, n, errp);
        if (!be)
            return false;
        struct virtio_net *net = virtio_net_new(n->name, mac, n->mtu, be);
        if (!add_virtio_next(vm, virtio_net_dev(net), free_net, net, errp))
            return false;
    }
    return true;
}

static void free_blk(void *opaque)
{
    virtio_blk_free(opaque);
}

/* [disk "NAME"]: virtio-blk disks, the first virtio devices, in config
 * order. */
static bool create_disks(struct vm *vm, GError **errp)
{
    for (guint i = 0; i < vm->cfg->disks->len; i++) {
        const struct config_disk *d = g_ptr_array_index(vm->cfg->disks, i);
        g_autoptr(GError) err = NULL;
        struct block_backend *be = block_file_open(d->path, d->readonly, &err);
        if (!be)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[disk \"%s\"] path: %s", d->name,
                               err->message);
        struct virtio_blk *blk = virtio_blk_new(d->name, be);
        virtio_blk_dev(blk)->poll_max_ns = d->poll_us * 1000u;
        if (!add_virtio_next(vm, virtio_blk_dev(blk), free_blk, blk, errp))
            return false;
    }
    return true;
}

bool arch_create_devices(struct vm *vm, GError **errp)
{
    if (!create_disks(vm, errp) || !create_console(vm, errp) ||
        !create_nets(vm, errp) || !create_rng(vm, errp))
        return false;
    vm->serial_chr = char_backend(vm, &vm->cfg->serial_out, vm->cfg->serial_in_stdio,
                                  "serial port", errp);
    if (!vm->serial_chr)
        return false;
    vm->serial = serial16550_new(vm_irq_line(vm, X86_COM1_IRQ), vm->serial_chr);
    vm->i8042 = i8042_new(guest_reset, vm);
    vm->rtc = cmos_rtc_new(NULL);
    if (vm->cfg->acpi) {
        vm->arch->acpi_sleep = acpi_sleep_new(guest_poweroff, vm);
        if (!bus_register(&vm->pio, X86_ACPI_SLEEP_PORT, ACPI_SLEEP_PORTS, &acpi_sleep_ops,
                          vm->arch->acpi_sleep, "acpi-sleep", errp))
            return false;
    }
    return bus_register(&vm->pio, X86_COM1_PORT, SERIAL16550_REGS, &serial16550_bus_ops,
                        vm->serial, "ttyS0", errp) &&
           bus_register(&vm->pio, X86_I8042_DATA, 1, &i8042_data_ops, vm->i8042,
                        "i8042", errp) &&
           bus_register(&vm->pio, X86_I8042_CMD, 1, &i8042_cmd_ops, vm->i8042,
                        "i8042", errp) &&
           bus_register(&vm->pio, X86_RTC_PORT, 2, &cmos_rtc_ops, vm->rtc, "rtc", errp);
}

/*
 * The command line the guest gets: the user's, with kvmkit's own options
 * added before any " -- " (what follows it belongs to init).
 */
static char *build_cmdline(struct vm *vm)
{
    const char *user = vm->cfg->cmdline ? vm->cfg->cmdline : "";
    GString *extra = g_string_new(vm->extra_cmdline->str);
    if (vm->arch->pvm)
        g_string_append_printf(extra, " %s", x86_pvm_cmdline);
    const char *dashes = strstr(user, " -- ");
    if (g_str_has_prefix(user, "-- "))
        dashes = user;
    GString *out = g_string_new(NULL);
    if (dashes) {
        g_string_append_len(out, user, dashes - user);
        g_string_append(out, extra->str);
        g_string_append(out, dashes == user ? " " : "");
        g_string_append(out, dashes);
    } else {
        g_string_append(out, user);
        g_string_append(out, extra->str);
    }
    g_string_free(extra, TRUE);
    char *s = g_strstrip(g_string_free(out, FALSE));
    return s;
}

static bool read_image(const char *what, const char *path, char **data, gsize *len,
                       GError **errp)
{
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, data, len, &err)) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INPUT, "[boot] %s: %s", what, err->message);
        return false;
    }
    return true;
}

/* The ACPI tables at X86_ACPI_ADDR. The MP table stays next to them: Linux
 * prefers ACPI's MADT, and a kernel without ACPI still finds the CPUs. */
static bool write_acpi_tables(struct vm *vm, GError **errp)
{
    struct x86_acpi_machine m = {
        .n_cpus = vm->n_vcpus,
        .virtio = vm->arch->virtio,
        .n_virtio = vm->arch->n_virtio,
        .i8042 = vm->i8042 != NULL,
        .sleep_port = X86_ACPI_SLEEP_PORT,
    };
    size_t len;
    g_autofree uint8_t *tables = x86_acpi_build(X86_ACPI_ADDR, &m, &len);
    if (len > X86_ACPI_MAX)
        return kvmkit_fail(errp, KVMKIT_ERROR_INTERNAL, "ACPI tables: %zu bytes, room for %llu",
                           len, X86_ACPI_MAX);
    return guest_mem_write(&vm->mem, X86_ACPI_ADDR, tables, len) ||
           kvmkit_fail(errp, KVMKIT_ERROR_INTERNAL, "no room for the ACPI tables");
}

bool arch_load_guest(struct vm *vm, GError **errp)
{
    const struct vm_config *cfg = vm->cfg;
    g_autofree char *kernel = NULL, *initrd = NULL, *cmdline = NULL;
    gsize kernel_len = 0, initrd_len = 0;
    const uint8_t *img;
    struct bzimage_info bz;
    bool is_bz = false;
    uint64_t entry, kernel_end;
    uint64_t low_end = x86_low_ram_end(cfg->memory);
    uint64_t initrd_max = low_end - 1;
    uint32_t cmdline_max = X86_CMDLINE_MAX - 1;
    g_autoptr(GError) err = NULL;

    if (!read_image("kernel", cfg->kernel, &kernel, &kernel_len, errp))
        return false;
    img = (const uint8_t *)kernel;
    if (elf_probe(img, kernel_len)) {
        struct elf_info elf;
        if (!elf_parse(img, kernel_len, EM_X86_64, &elf, &err) ||
            !elf_load(&vm->mem, img, &elf, &err))
            goto bad_kernel;
        if (elf.lowest < X86_HIMEM_START) {
            g_set_error(&err, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                        "segment at 0x%" G_GINT64_MODIFIER "x is below 1 MiB", elf.lowest);
            goto bad_kernel;
        }
        entry = elf.entry;
        kernel_end = elf.highest;
    } else if (bzimage_probe(img, kernel_len)) {
        if (!bzimage_parse(img, kernel_len, &bz, &err))
            goto bad_kernel;
        is_bz = true;
        uint64_t run_at = bz.relocatable ? MAX(bz.pref_address, X86_HIMEM_START) : X86_HIMEM_START;
        kernel_end = MAX(X86_HIMEM_START + bz.pm_size, run_at + bz.init_size);
        if (kernel_end > low_end) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INPUT,
                        "[boot] kernel: needs %" G_GUINT64_FORMAT " MiB of low memory, "
                        "[machine] memory gives %" G_GUINT64_FORMAT " MiB",
                        (kernel_end + (1 << 20) - 1) >> 20, low_end >> 20);
            return false;
        }
        guest_mem_write(&vm->mem, X86_HIMEM_START, img + bz.pm_offset, bz.pm_size);
        entry = X86_HIMEM_START + 0x200;    /* 64-bit entry: startup_32 + 0x200 */
        initrd_max = MIN(initrd_max, bz.initrd_addr_max);
        cmdline_max = MIN(cmdline_max, bz.cmdline_size);
    } else {
        g_set_error(&err, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "not a Linux kernel (neither a bzImage nor an ELF vmlinux)");
        goto bad_kernel;
    }

    cmdline = build_cmdline(vm);
    size_t cmdline_len = strlen(cmdline);
    if (cmdline_len > cmdline_max) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INPUT,
                    "[boot] cmdline: %zu bytes (with kvmkit's additions), the kernel accepts at most %u",
                    cmdline_len, cmdline_max);
        return false;
    }
    guest_mem_write(&vm->mem, X86_CMDLINE_ADDR, cmdline, cmdline_len + 1);

    uint64_t initrd_gpa = 0;
    if (cfg->initrd) {
        if (!read_image("initrd", cfg->initrd, &initrd, &initrd_len, errp))
            return false;
        uint64_t top = MIN(low_end, initrd_max + 1);
        uint64_t floor = (kernel_end + 4095) & ~4095ULL;
        if (initrd_len > top || ((top - initrd_len) & ~4095ULL) < floor) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INPUT,
                        "[boot] initrd: %" G_GSIZE_FORMAT " MiB does not fit between the kernel "
                        "(ends at %" G_GUINT64_FORMAT " MiB) and the highest address the kernel "
                        "accepts for it (%" G_GUINT64_FORMAT " MiB); raise [machine] memory",
                        initrd_len >> 20, floor >> 20, top >> 20);
            return false;
        }
        initrd_gpa = (top - initrd_len) & ~4095ULL;
        guest_mem_write(&vm->mem, initrd_gpa, initrd, initrd_len);
    }

    if (!x86_setup_rng_seed(&vm->mem, X86_SETUP_DATA_ADDR, RNG_SEED_BYTES, 0, errp))
        return false;

    uint8_t *mp = guest_mem_ptr(&vm->mem, X86_MPTABLE_ADDR, x86_mptable_size(vm->n_vcpus));
    if (!mp) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL, "no room for the MP table");
        return false;
    }
    x86_mptable_write(mp, X86_MPTABLE_ADDR, vm->n_vcpus);
    if (vm->cfg->acpi && !write_acpi_tables(vm, errp))
        return false;

    struct boot_params *bp = guest_mem_ptr(&vm->mem, X86_BOOT_PARAMS_ADDR, sizeof(*bp));
    memset(bp, 0, sizeof(*bp));
    struct x86_boot_input in = {
        .setup_header = is_bz ? img + 0x1f1 : NULL,
        .setup_header_len = is_bz ? kernel_len - 0x1f1 : 0,
        .ram_size = cfg->memory,
        .cmdline_gpa = X86_CMDLINE_ADDR,
        .cmdline_len = cmdline_len,
        .initrd_gpa = initrd_gpa,
        .initrd_size = initrd_len,
        .setup_data_gpa = X86_SETUP_DATA_ADDR,
        .acpi_rsdp_gpa = cfg->acpi ? X86_ACPI_ADDR : 0,
    };
    x86_boot_params_fill(bp, &in);

    return x86_write_boot_tables(&vm->mem, errp) &&
           x86_set_boot_regs(&vm->vcpus[0], entry, X86_BOOT_PARAMS_ADDR, errp);

bad_kernel:
    g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INPUT, "[boot] kernel: %s: %s",
                cfg->kernel, err->message);
    return false;
}

bool arch_handle_exit(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
        run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
        if (vcpu->vm->arch->pvm && x86_pvm_finish_insn(vcpu))
            return true;
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "vCPU %u: KVM could not emulate an "
                   "instruction%s", vcpu->id, vcpu->vm->arch->pvm ? " (PVM host: see docs/platform.md)" : "");
        return false;
    }
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "vCPU %u: KVM internal error, suberror %u",
                   vcpu->id, run->internal.suberror);
    return false;
}

bool arch_save_state(struct vm *vm, struct snap_out *o, GError **errp)
{
    if (!x86_vm_save(vm, vm->arch->cpuid, o, errp))
        return false;
    snap_begin(o, "cpus", 1);
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        if (!x86_vcpu_save(&vm->vcpus[i], o, errp))
            return false;
    snap_end(o);
    snap_begin(o, "board", 1);
    serial16550_save(vm->serial, o, "serial@3f8");
    i8042_save(vm->i8042, o, "i8042");
    cmos_rtc_save(vm->rtc, o, "rtc");
    snap_end(o);
    return true;
}

bool arch_load_state(struct vm *vm, const struct snap_in *root, GError **errp)
{
    struct snap_in cpus, board;
    if (!x86_vm_check_cpu(root, vm->arch->cpuid, errp) ||
        !x86_vm_load(vm, root, errp) ||
        !snap_child(root, "cpus", 1, &cpus, NULL, errp))
        return false;
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        if (!x86_vcpu_load(&vm->vcpus[i], &cpus, errp))
            return false;
    return snap_child(root, "board", 1, &board, NULL, errp) &&
           serial16550_load(vm->serial, &board, "serial@3f8", errp) &&
           i8042_load(vm->i8042, &board, "i8042", errp) &&
           cmos_rtc_load(vm->rtc, &board, "rtc", errp);
}

void arch_dump_vcpu(struct vcpu *vcpu, FILE *out)
{
    x86_dump_vcpu(vcpu, out);
}

void arch_vm_destroy(struct vm *vm)
{
    if (vm->arch) {
        g_free(vm->arch->cpuid);
        acpi_sleep_free(vm->arch->acpi_sleep);
    }
    g_free(vm->arch);
    vm->arch = NULL;
}

void arch_vcpu_destroy(struct vcpu *vcpu)
{
    (void)vcpu;
}
