/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: the KVM handles, guest memory, the two buses, the
 * vCPUs and the devices, built from a vm_config.
 *
 * Lifecycle (main thread): vm_new() -> [lock-down] -> vm_start() ->
 * [main thread's filter] -> vm_run() -> vm_free() (vmm/main.c). vm_new()
 * either returns a complete machine or NULL with an error and nothing left
 * behind; vm_free() is safe on every partially built machine.
 */
#ifndef KVMKIT_VM_H
#define KVMKIT_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "bus.h"
#include "config.h"
#include "guest_mem.h"
#include "irq.h"
#include "metrics.h"

struct kvm_run;
struct arch_vm;
struct arch_vcpu;
struct chardev;

/* Why a vCPU left KVM_RUN, as counted in struct vcpu's exits[]; names in
 * vm_metrics.c and docs/observability.md. */
enum vcpu_exit_kind {
    VCPU_EXIT_IO,               /* KVM_EXIT_IO: port I/O */
    VCPU_EXIT_MMIO,             /* KVM_EXIT_MMIO */
    VCPU_EXIT_HLT,              /* KVM_EXIT_HLT */
    VCPU_EXIT_SHUTDOWN,         /* KVM_EXIT_SHUTDOWN (triple fault), SYSTEM_EVENT */
    VCPU_EXIT_INTR,             /* KVM_EXIT_INTR or EINTR: a kick (pause, stop) */
    VCPU_EXIT_INTERNAL_ERROR,   /* KVM_EXIT_INTERNAL_ERROR, FAIL_ENTRY */
    VCPU_EXIT_OTHER,
    VCPU_EXIT_KINDS
};

struct vcpu {
    struct vm *vm;
    unsigned id;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    bool thread_started;
    struct arch_vcpu *arch;
    metrics_counter exits[VCPU_EXIT_KINDS];    /* by enum vcpu_exit_kind */
};

/* Why the VM stopped; decides kvmkit's exit status. */
enum vm_stop_reason {
    VM_STOP_NONE = 0,
    VM_STOP_RESET,      /* guest asked for a reset/reboot: exit 0 */
    VM_STOP_USER,       /* Ctrl-A x, SIGINT/SIGTERM: exit 0 */
    VM_STOP_POWEROFF,   /* guest powered off (ACPI S5): exit 0 */
    VM_STOP_ERROR,      /* triple fault or an exit kvmkit cannot handle: exit 1 */
};

struct vm {
    const struct vm_config *cfg;
    int kvm_fd;
    int vm_fd;
    int vcpu_mmap_size;
    struct guest_mem mem;
    struct bus pio;
    struct bus mmio;
    unsigned n_vcpus;
    struct vcpu *vcpus;
    struct irq_ops irq_ops;     /* KVM_IRQ_LINE */
    struct arch_vm *arch;

    GMainContext *ctx;
    GMainLoop *loop;
    atomic_int stop_reason;     /* enum vm_stop_reason, first writer wins */
    gint64 started_us;          /* g_get_monotonic_time() at vm_new() */

    /* Pausing (vm_pause/vm_resume): vCPU threads park in vm_park_vcpu(). */
    atomic_bool pause_requested;
#ifdef KVMKIT_TEST_HOOKS
    atomic_bool test_forbidden_syscall; /* a vCPU thread issues one (control.c) */
#endif
    pthread_mutex_t pause_lock;
    pthread_cond_t pause_cond;  /* parked count changed, or resume/stop */
    unsigned n_parked;          /* under pause_lock */
    unsigned n_running;         /* vCPU threads in their loop; under pause_lock */
    bool released;              /* vm_run() let the vCPUs run; under pause_lock */

    /* Virtio devices on virtio-mmio transports, in creation order. */
    GPtrArray *virtio;          /* struct vm_virtio * */
    GString *extra_cmdline;     /* kvmkit's kernel options, e.g. console=hvc0 */

    /* Devices (owned). */
    struct chardev *serial_chr;
    struct serial16550 *serial;
    struct i8042 *i8042;
    struct cmos_rtc *rtc;
};

struct snapshot;
struct snap_out;

/*
 * Builds the whole machine from @cfg (borrowed; must outlive the VM). With
 * @snap (an opened snapshot whose config @cfg was made from), guest RAM is
 * mapped from its memory file and every object's state is loaded from it
 * instead of booting a kernel.
 */
struct vm *vm_new(const struct vm_config *cfg, const struct snapshot *snap, GError **errp);

/* Makes durable what the paused VM's devices told the guest was done:
 * disk writes it never flushed (virtio_dev_ops.sync). Main thread. */
bool vm_sync_devices(struct vm *vm, GError **errp);

/* Writes the state of the paused VM: CPUs, board, virtio devices. */
bool vm_save_state(struct vm *vm, struct snap_out *o, GError **errp);

/* Saves the VM, which the caller has paused, to the snapshot file @path
 * (snapshot_save(), vmm/snapshot/snapshot.h). Main thread. */
bool vm_snapshot(struct vm *vm, const char *path, GError **errp);

/*
 * Starts the vCPU threads: each loads its seccomp filter, then waits for
 * vm_run() before it runs the guest (so the main thread can load its own
 * filter meanwhile). A thread that cannot be made stops the VM.
 */
void vm_start(struct vm *vm);

/*
 * Lets the vCPU threads run the guest, runs the event loop on the calling
 * (main) thread until the VM stops, then waits for the vCPU threads.
 * Returns the stop reason.
 */
enum vm_stop_reason vm_run(struct vm *vm);

/*
 * Asks the VM to stop (any thread, including vCPU threads and signal-free
 * contexts of the main loop). Only the first reason is kept.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);

void vm_free(struct vm *vm);

/*
 * Stops every vCPU between two instructions and waits until all are parked
 * and every virtio device's I/O thread is idle (main thread). Returns
 * false, setting @errp, if the VM is stopping. Devices fed by the main
 * loop (console input, network) stay quiet while the caller holds the
 * main thread. Pausing a paused VM is a no-op.
 */
bool vm_pause(struct vm *vm, GError **errp);

/* Lets parked vCPUs run again (main thread). */
void vm_resume(struct vm *vm);

bool vm_is_paused(struct vm *vm);

/* Runs @fn(@opaque) on every virtio I/O thread at once (@fn NULL: nothing)
 * and waits for all of them (main thread); false with the first error when
 * any returned false. */
bool vm_call_on_io_threads(struct vm *vm, bool (*fn)(void *opaque, GError **errp),
                           void *opaque, GError **errp);

/* Called by a vCPU thread that saw pause_requested: blocks until resume
 * or stop. */
void vm_park_vcpu(struct vm *vm);

/* Called by a vCPU thread as it leaves its loop. */
void vm_vcpu_exited(struct vm *vm);

/* Called by a vCPU thread, locked down, before its first KVM_RUN: blocks
 * until vm_run() or a stop. True: run the guest. */
bool vm_wait_release(struct vm *vm);

struct virtio_dev;

/*
 * Puts @dev on a virtio-mmio transport at @base (4 KiB) interrupting
 * through @gsi: queue notifications through KVM_IOEVENTFD, interrupts
 * through KVM_IRQFD. How the guest learns of it (ACPI or the kernel
 * command line) is the arch's business (vmm/x86/machine.c). @dev
 * stays the caller's but must outlive the VM; @free_dev(@dev) is called
 * by vm_free() after the transport stopped.
 */
bool vm_add_virtio_mmio(struct vm *vm, struct virtio_dev *dev, void (*free_dev)(void *),
                        void *free_opaque, uint64_t base, unsigned gsi, GError **errp);

/* The @i-th virtio device in creation order, NULL past the last (any
 * thread once the VM is built). */
struct virtio_dev *vm_virtio_dev(struct vm *vm, unsigned i);

/* Convenience: an irq_line for @gsi raised through KVM. */
struct irq_line vm_irq_line(struct vm *vm, unsigned gsi);

/* Runs ioctl with EINTR retry; returns its result, errno set on failure. */
int vm_ioctl(int fd, unsigned long req, void *arg);


#endif
