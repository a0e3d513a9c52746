/* SPDX-License-Identifier: MIT */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "mmio.h"
#include "error.h"
#include "log.h"
#include "vcpu.h"
#include "backend/chardev.h"
#include "backend/net.h"
#include "cmos_rtc.h"
#include "i8042.h"
#include "serial16550.h"
#include "snap.h"
#include "snapshot.h"

int vm_ioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* Capabilities kvmkit cannot run without, by name for the error message. */
static const struct {
    int cap;
    const char *name;
} required_caps[] = {
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
};

static bool open_kvm(struct vm *vm, GError **errp)
{
    const char *path = "/dev/kvm";
    vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        int e = errno;
        const char *hint = (e == ENOENT || e == ENODEV || e == ENXIO)
                               ? " (this machine has no usable KVM: is the kvm module loaded, and does "
                                 "this host allow virtualization? docs/platform.md shows how to run "
                                 "kvmkit in a nested test host instead)"
                         : (e == EACCES || e == EPERM) ? " (add your user to the 'kvm' group or run as root)"
                         : "";
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "cannot open %s: %s%s",
                    path, g_strerror(e), hint);
        return false;
    }
    int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM,
                    "%s: KVM API version %d, kvmkit needs %d", path, version, KVM_API_VERSION);
        return false;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(required_caps); i++) {
        if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM,
                        "%s lacks the required capability %s", path, required_caps[i].name);
            return false;
        }
    }
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_GET_VCPU_MMAP_SIZE: %s",
                    g_strerror(errno));
        return false;
    }
    int max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max_vcpus <= 0)
        max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (max_vcpus > 0 && vm->cfg->cpus > (unsigned)max_vcpus) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM,
                    "[machine] cpus: %u asked, this host's KVM allows at most %d",
                    vm->cfg->cpus, max_vcpus);
        return false;
    }
    vm->vm_fd = vm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0) {
        int e = errno;
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_CREATE_VM: %s%s", g_strerror(e),
                    e == ENODEV ? " (this KVM cannot run VMs here; docs/platform.md shows how to "
                                  "run kvmkit in a nested test host instead)" : "");
        return false;
    }
    return true;
}

static bool setup_memory(struct vm *vm, const struct snapshot *snap, GError **errp)
{
    uint64_t gpa[GUEST_MEM_MAX_REGIONS], size[GUEST_MEM_MAX_REGIONS];
    unsigned n = arch_ram_layout(vm->cfg->memory, gpa, size, GUEST_MEM_MAX_REGIONS);
    if (!guest_mem_init(&vm->mem, vm->cfg->memory, errp))
        return false;
    if (snap) {
        if (snap->mem_size != vm->mem.base_size)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: memory file is %" G_GUINT64_FORMAT
                               " bytes, the machine has %" G_GUINT64_FORMAT " of RAM",
                               snap->path, snap->mem_size, vm->mem.base_size);
        if (!guest_mem_map_file(&vm->mem, snap->mem_fd, errp))
            return false;
    }
    for (unsigned i = 0; i < n; i++) {
        if (!guest_mem_add_region(&vm->mem, gpa[i], size[i], errp))
            return false;
        struct kvm_userspace_memory_region region = {
            .slot = i,
            .guest_phys_addr = gpa[i],
            .memory_size = size[i],
            .userspace_addr = (uintptr_t)vm->mem.regions[i].host,
        };
        if (vm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM,
                        "KVM_SET_USER_MEMORY_REGION (slot %u, %" G_GUINT64_FORMAT " MiB): %s",
                        i, size[i] >> 20, g_strerror(errno));
            return false;
        }
    }
    return true;
}

static void kvm_set_irq(void *opaque, unsigned gsi, bool level)
{
    struct vm *vm = opaque;
    struct kvm_irq_level irq = { .irq = gsi, .level = level };
    if (vm_ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        log_warn_once_in("vm", "irq_line", "KVM_IRQ_LINE %u: %s", gsi, g_strerror(errno));
}

struct vm_virtio {
    struct virtio_dev *dev;
    struct virtio_mmio *transport;
    uint64_t base;
    int irqfd;
    void (*free_dev)(void *);
    void *free_opaque;
};

static void irqfd_trigger(void *opaque)
{
    struct vm_virtio *v = opaque;
    /* EAGAIN: the counter is saturated, an interrupt is already pending. */
    if (eventfd_write(v->irqfd, 1) < 0 && errno != EAGAIN)
        log_warn_once_in("vm", "irqfd", "irqfd write: %s", g_strerror(errno));
}

static void vm_virtio_free(gpointer p)
{
    struct vm_virtio *v = p;
    virtio_mmio_free(v->transport);
    if (v->irqfd >= 0)
        close(v->irqfd);
    if (v->free_dev)
        v->free_dev(v->free_opaque);
    g_free(v);
}

bool vm_add_virtio_mmio(struct vm *vm, struct virtio_dev *dev, void (*free_dev)(void *),
                        void *free_opaque, uint64_t base, unsigned gsi, GError **errp)
{
    struct vm_virtio *v = g_new0(struct vm_virtio, 1);
    v->free_dev = free_dev;
    v->free_opaque = free_opaque;
    v->base = base;
    v->dev = dev;
    g_ptr_array_add(vm->virtio, v);     /* freed with the VM from here on */
    v->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct kvm_irqfd irqfd = { .fd = v->irqfd, .gsi = gsi };
    if (v->irqfd < 0 || vm_ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_KVM, "%s: KVM_IRQFD (GSI %u): %s", dev->name,
                           gsi, g_strerror(errno));
    struct virtio_mmio_irq irq = { .trigger = irqfd_trigger, .opaque = v };
    v->transport = virtio_mmio_new(dev, &vm->mem, irq, errp);
    if (!v->transport)
        return false;
    if (!bus_register(&vm->mmio, base, VIRTIO_MMIO_SIZE, &virtio_mmio_bus_ops, v->transport,
                      dev->name, errp))
        return false;
    for (unsigned i = 0; i < dev->n_queues; i++) {
        struct kvm_ioeventfd io = {
            .datamatch = i, .addr = base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4,
            .fd = virtio_mmio_notify_fd(v->transport, i),
            .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
        };
        /* Without it the notify write exits to the vCPU thread and the
         * transport forwards it to the same eventfd: slower, still correct. */
        if (vm_ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
            log_warn_once_in("vm", "ioeventfd", "KVM_IOEVENTFD: %s; queue notifications take the slow path",
                          g_strerror(errno));
    }
    return true;
}

struct virtio_dev *vm_virtio_dev(struct vm *vm, unsigned i)
{
    if (i >= vm->virtio->len)
        return NULL;
    return ((struct vm_virtio *)g_ptr_array_index(vm->virtio, i))->dev;
}

struct irq_line vm_irq_line(struct vm *vm, unsigned gsi)
{
    return (struct irq_line){ .ops = &vm->irq_ops, .opaque = vm, .gsi = gsi };
}

static bool create_vcpus(struct vm *vm, GError **errp)
{
    vm->vcpus = g_new0(struct vcpu, vm->cfg->cpus);
    for (unsigned i = 0; i < vm->cfg->cpus; i++) {
        struct vcpu *v = &vm->vcpus[i];
        v->vm = vm;
        v->id = i;
        v->fd = -1;
        vm->n_vcpus = i + 1;
        v->fd = vm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, (void *)(uintptr_t)i);
        if (v->fd < 0) {
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_KVM, "KVM_CREATE_VCPU %u: %s",
                        i, g_strerror(errno));
            return false;
        }
        v->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
        if (v->run == MAP_FAILED) {
            v->run = NULL;
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST, "mmap of vCPU %u: %s",
                        i, g_strerror(errno));
            return false;
        }
        if (!arch_vcpu_init(vm, v, errp))
            return false;
    }
    return true;
}

/* A virtio device's node in the snapshot: "mmio@d0000000". */
static char *virtio_node_name(const struct vm_virtio *v)
{
    return g_strdup_printf("mmio@%" G_GINT64_MODIFIER "x", v->base);
}

bool vm_save_state(struct vm *vm, struct snap_out *o, GError **errp)
{
    if (!arch_save_state(vm, o, errp))
        return false;
    snap_begin(o, "virtio", 1);
    for (guint i = 0; i < vm->virtio->len; i++) {
        struct vm_virtio *v = g_ptr_array_index(vm->virtio, i);
        g_autofree char *name = virtio_node_name(v);
        virtio_mmio_save(v->transport, o, name);
    }
    snap_end(o);
    return true;
}

bool vm_sync_devices(struct vm *vm, GError **errp)
{
    for (guint i = 0; i < vm->virtio->len; i++) {
        struct virtio_dev *dev = vm_virtio_dev(vm, i);
        if (dev->ops->sync && !dev->ops->sync(dev, errp))
            return false;
    }
    return true;
}

static bool sync_devices(void *vm, GError **errp)
{
    return vm_sync_devices(vm, errp);
}

static bool save_state(void *vm, struct snap_out *o, GError **errp)
{
    return vm_save_state(vm, o, errp);
}

bool vm_snapshot(struct vm *vm, const char *path, GError **errp)
{
    g_autofree char *config = config_to_ini(vm->cfg);
    struct snapshot_source src = {
        .mem = &vm->mem,
        .config = config,
        .sync_devices = sync_devices,
        .save_state = save_state,
        .opaque = vm,
    };
    return snapshot_save(&src, path, errp);
}

static bool load_state(struct vm *vm, const struct snapshot *snap, GError **errp)
{
    struct snap_in virtio;
    if (!arch_load_state(vm, &snap->root, errp) ||
        !snap_child(&snap->root, "virtio", 1, &virtio, NULL, errp))
        return false;
    for (guint i = 0; i < vm->virtio->len; i++) {
        struct vm_virtio *v = g_ptr_array_index(vm->virtio, i);
        g_autofree char *name = virtio_node_name(v);
        if (!virtio_mmio_load(v->transport, &virtio, name, errp))
            return false;
    }
    return true;
}

/* Back ends whose set-up can begin before the VM exists (net.h). */
static void preload_backends(const struct vm_config *cfg)
{
    for (guint i = 0; i < cfg->nets->len; i++) {
        const struct config_net *n = g_ptr_array_index(cfg->nets, i);
        if (n->backend == CONFIG_NET_USER) {
            net_slirp_preload();
            return;
        }
    }
}

/* KVMKIT_TRACE_STARTUP: when each construction step ends (bench/). */
static bool trace_step(bool ok, const char *step)
{
    if (ok)
        log_trace_startup(step);
    return ok;
}

struct vm *vm_new(const struct vm_config *cfg, const struct snapshot *snap, GError **errp)
{
    struct vm *vm = g_new0(struct vm, 1);
    vm->cfg = cfg;
    vm->kvm_fd = vm->vm_fd = -1;
    vm->irq_ops.set_level = kvm_set_irq;
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");
    vm->virtio = g_ptr_array_new_with_free_func(vm_virtio_free);
    vm->extra_cmdline = g_string_new(NULL);
    pthread_mutex_init(&vm->pause_lock, NULL);
    pthread_cond_init(&vm->pause_cond, NULL);
    vm->ctx = g_main_context_ref_thread_default();
    vm->loop = g_main_loop_new(vm->ctx, FALSE);
    vm->started_us = g_get_monotonic_time();

    /* Memory slots before the irqchip: on the PVM host (kernel 6.18) the
     * first KVM_SET_USER_MEMORY_REGION after KVM_CREATE_IRQCHIP waits
     * ~5 ms in synchronize_srcu_expedited(); before it, 0.3 ms for 256 MiB
     * (docs/platform.md, "Start-up costs"). */
    if (!trace_step(open_kvm(vm, errp), "open_kvm done") ||
        !trace_step(setup_memory(vm, snap, errp), "setup_memory done"))
        goto fail;
    /* Alongside the rest of the build; not before the memory slot, whose
     * ioctl the loader's mmap() calls slow down (~0.6 ms) on the PVM host. */
    preload_backends(cfg);
    if (!trace_step(arch_vm_init(vm, errp), "arch_vm_init done") ||
        !trace_step(create_vcpus(vm, errp), "create_vcpus done") ||
        !trace_step(arch_create_devices(vm, errp), "create_devices done") ||
        !trace_step(snap ? load_state(vm, snap, errp) : arch_load_guest(vm, errp),
                    snap ? "load_state done" : "load_guest done"))
        goto fail;
    return vm;
fail:
    /* The first user NIC joins the loader; a build that failed before it
     * must, before the process exits and unloads libraries under it. */
    net_slirp_preload_wait();
    vm_free(vm);
    return NULL;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason)
{
    int expected = VM_STOP_NONE;
    atomic_compare_exchange_strong(&vm->stop_reason, &expected, (int)reason);
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        vcpu_kick(&vm->vcpus[i]);
    pthread_mutex_lock(&vm->pause_lock);
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
    g_main_loop_quit(vm->loop);
}

static bool vm_stopping(struct vm *vm)
{
    return atomic_load(&vm->stop_reason) != VM_STOP_NONE;
}

void vm_park_vcpu(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    vm->n_parked++;
    pthread_cond_broadcast(&vm->pause_cond);
    while (atomic_load(&vm->pause_requested) && !vm_stopping(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    vm->n_parked--;
    pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_wait_release(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    while (!vm->released && !vm_stopping(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    bool go = !vm_stopping(vm);
    pthread_mutex_unlock(&vm->pause_lock);
    return go;
}

void vm_vcpu_exited(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    vm->n_running--;
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_is_paused(struct vm *vm)
{
    return atomic_load(&vm->pause_requested);
}

bool vm_pause(struct vm *vm, GError **errp)
{
    atomic_store(&vm->pause_requested, true);
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        vcpu_kick(&vm->vcpus[i]);
    pthread_mutex_lock(&vm->pause_lock);
    while (vm->n_parked < vm->n_running && !vm_stopping(vm))
        pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
    pthread_mutex_unlock(&vm->pause_lock);
    if (vm_stopping(vm))
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "the VM is stopping");
    /* No vCPU can notify a queue now; let each I/O thread finish what it
     * was given, so no request is half done (virtio_mmio_sync(), on all
     * threads at once). */
    for (int round = 0; round < VIRTIO_MMIO_SYNC_ROUNDS; round++)
        vm_call_on_io_threads(vm, NULL, NULL, NULL);
    return true;
}

bool vm_call_on_io_threads(struct vm *vm, bool (*fn)(void *opaque, GError **errp),
                           void *opaque, GError **errp)
{
    guint n = vm->virtio->len;
    struct virtio_mmio_call *calls[n ? n : 1];
    for (guint i = 0; i < n; i++) {
        struct vm_virtio *v = g_ptr_array_index(vm->virtio, i);
        calls[i] = virtio_mmio_call_post(v->transport, fn, opaque);
    }
    /* Every call is waited for, the first error kept. */
    bool ok = true;
    for (guint i = 0; i < n; i++)
        ok = virtio_mmio_call_wait(calls[i], ok ? errp : NULL) && ok;
    return ok;
}

void vm_resume(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    atomic_store(&vm->pause_requested, false);
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
}

void vm_start(struct vm *vm)
{
    vm->n_running = vm->n_vcpus;
    for (unsigned i = 0; i < vm->n_vcpus; i++) {
        g_autoptr(GError) err = NULL;
        if (!vcpu_start(&vm->vcpus[i], &err)) {
            kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "%s", err->message);
            pthread_mutex_lock(&vm->pause_lock);
            vm->n_running -= vm->n_vcpus - i;   /* never started */
            pthread_mutex_unlock(&vm->pause_lock);
            vm_request_stop(vm, VM_STOP_ERROR);
            break;
        }
    }
}

enum vm_stop_reason vm_run(struct vm *vm)
{
    pthread_mutex_lock(&vm->pause_lock);
    vm->released = true;
    pthread_cond_broadcast(&vm->pause_cond);
    pthread_mutex_unlock(&vm->pause_lock);
    /* Not before the vCPUs start: start-up cost (vmm/base/guest_mem.h). */
    guest_mem_advise_hugepages(&vm->mem);
    if (atomic_load(&vm->stop_reason) == VM_STOP_NONE)
        g_main_loop_run(vm->loop);
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        vcpu_join(&vm->vcpus[i]);
    return atomic_load(&vm->stop_reason);
}

void vm_free(struct vm *vm)
{
    if (!vm)
        return;
    for (unsigned i = 0; i < vm->n_vcpus; i++)
        vcpu_destroy(&vm->vcpus[i]);
    g_free(vm->vcpus);
    /* Stop the devices' I/O threads before their memory goes away. */
    if (vm->virtio)
        g_ptr_array_free(vm->virtio, TRUE);
    if (vm->extra_cmdline)
        g_string_free(vm->extra_cmdline, TRUE);
    arch_vm_destroy(vm);
    serial16550_free(vm->serial);
    i8042_free(vm->i8042);
    cmos_rtc_free(vm->rtc);
    chardev_destroy(vm->serial_chr);
    bus_destroy(&vm->pio);
    bus_destroy(&vm->mmio);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    guest_mem_destroy(&vm->mem);
    g_main_loop_unref(vm->loop);
    g_main_context_unref(vm->ctx);
    pthread_mutex_destroy(&vm->pause_lock);
    pthread_cond_destroy(&vm->pause_cond);
    g_free(vm);
}
