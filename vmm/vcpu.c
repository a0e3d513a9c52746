/* SPDX-License-Identifier: MIT */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "arch.h"
#include "error.h"
#include "log.h"
#include "seccomp_filter.h"
#include "vm.h"

/* The signal that kicks a vCPU out of KVM_RUN; its handler does nothing. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
    (void)sig;
}

static void install_kick_handler(void)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        struct sigaction sa = { .sa_handler = kick_handler };
        sigemptyset(&sa.sa_mask);
        sigaction(VCPU_KICK_SIGNAL, &sa, NULL);   /* no SA_RESTART */
        g_once_init_leave(&done, 1);
    }
}

/*
 * KVMKIT_DEBUG_REGS=SECONDS (docs/observability.md): each vCPU prints its
 * registers to stderr every SECONDS, to find where a guest is stuck. A
 * per-thread POSIX timer sends the kick signal, so KVM_RUN returns EINTR
 * between instructions and the dump happens there. The timer is created
 * before the seccomp filter and never deleted: it dies with the process.
 */
struct debug_regs {
    uint64_t interval_ns;   /* 0: off */
    uint64_t next_ns;
};

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void debug_regs_init(struct vcpu *vcpu, struct debug_regs *d)
{
    const char *env = g_getenv("KVMKIT_DEBUG_REGS");
    double seconds = env ? g_ascii_strtod(env, NULL) : 0;
    if (!(seconds > 0))
        return;
    struct sigevent sev = {
        .sigev_notify = SIGEV_THREAD_ID,
        .sigev_signo = VCPU_KICK_SIGNAL,
    };
    sev._sigev_un._tid = gettid();   /* sigev_notify_thread_id, which glibc 2.36 does not name */
    timer_t timer;
    d->interval_ns = (uint64_t)(seconds * 1e9);
    struct itimerspec its = {
        .it_value = { d->interval_ns / 1000000000u, d->interval_ns % 1000000000u },
    };
    its.it_interval = its.it_value;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0 ||
        timer_settime(timer, 0, &its, NULL) < 0) {
        kvmkit_log(G_LOG_LEVEL_WARNING, "vcpu", "vCPU %u: KVMKIT_DEBUG_REGS: %s", vcpu->id,
                   g_strerror(errno));
        d->interval_ns = 0;
        return;
    }
    d->next_ns = monotonic_ns() + d->interval_ns;
}

static void debug_regs_poll(struct vcpu *vcpu, struct debug_regs *d)
{
    if (d->interval_ns == 0 || monotonic_ns() < d->next_ns)
        return;
    d->next_ns += d->interval_ns;
    flockfile(stderr);   /* one dump at a time when several vCPUs print */
    arch_dump_vcpu(vcpu, stderr);
    funlockfile(stderr);
}

static bool stopping(struct vcpu *vcpu)
{
    return atomic_load(&vcpu->vm->stop_reason) != VM_STOP_NONE;
}

static void handle_io(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
        bool ok;
        if (run->io.direction == KVM_EXIT_IO_OUT)
            ok = bus_write(&vcpu->vm->pio, run->io.port, data, run->io.size);
        else
            ok = bus_read(&vcpu->vm->pio, run->io.port, data, run->io.size);
        (void)ok;   /* an empty port reads as all ones, like an ISA bus */
    }
}

static void handle_mmio(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    unsigned len = run->mmio.len;
    if (len == 0 || len > sizeof(run->mmio.data))
        return;
    bool ok;
    if (run->mmio.is_write)
        ok = bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    else
        ok = bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
    if (!ok) {
        /* One warning for all addresses: a key per address would let a
         * guest that scans the address space flood the log and grow the
         * table of keys without bound. */
        log_warn_once_in("vcpu", "mmio:unassigned",
                     "vCPU %u: %s of %u bytes at unassigned MMIO address 0x%llx",
                     vcpu->id, run->mmio.is_write ? "write" : "read", len,
                     (unsigned long long)run->mmio.phys_addr);
    }
}

static enum vcpu_exit_kind exit_kind(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_IO: return VCPU_EXIT_IO;
    case KVM_EXIT_MMIO: return VCPU_EXIT_MMIO;
    case KVM_EXIT_HLT: return VCPU_EXIT_HLT;
    case KVM_EXIT_SHUTDOWN:
    case KVM_EXIT_SYSTEM_EVENT: return VCPU_EXIT_SHUTDOWN;
    case KVM_EXIT_INTR: return VCPU_EXIT_INTR;
    case KVM_EXIT_INTERNAL_ERROR:
    case KVM_EXIT_FAIL_ENTRY: return VCPU_EXIT_INTERNAL_ERROR;
    default: return VCPU_EXIT_OTHER;
    }
}

bool vcpu_handle_exit(struct vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    metrics_add(&vcpu->exits[exit_kind(run->exit_reason)], 1);
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(vcpu);
        return true;
    case KVM_EXIT_MMIO:
        handle_mmio(vcpu);
        return true;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC; the guest halted for good. */
        kvmkit_log(G_LOG_LEVEL_MESSAGE, "vcpu", "vCPU %u halted", vcpu->id);
        vm_request_stop(vcpu->vm, VM_STOP_RESET);
        return false;
    case KVM_EXIT_SHUTDOWN:
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "vCPU %u: triple fault (KVM_EXIT_SHUTDOWN)",
                   vcpu->id);
        arch_dump_vcpu(vcpu, stderr);
        vm_request_stop(vcpu->vm, VM_STOP_ERROR);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_RESET:
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            vm_request_stop(vcpu->vm, VM_STOP_RESET);
            return false;
        default:
            break;
        }
        break;
    case KVM_EXIT_INTR:
        return true;
    default:
        if (arch_handle_exit(vcpu))
            return true;
        break;
    }
    kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "vCPU %u: unhandled exit reason %u", vcpu->id,
               run->exit_reason);
    arch_dump_vcpu(vcpu, stderr);
    vm_request_stop(vcpu->vm, VM_STOP_ERROR);
    return false;
}

static void *vcpu_thread(void *opaque)
{
    struct vcpu *vcpu = opaque;
    /* Nothing here allocates until the first KVM_RUN: a thread's first
     * malloc() has glibc map it an arena: 4 system calls and
     * page faults, ~0.04 ms of start-up on the PVM host. */
    char name[16];   /* the kernel's limit, with the NUL */
    snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
    pthread_setname_np(pthread_self(), name);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    struct debug_regs debug_regs = { 0 };
    debug_regs_init(vcpu, &debug_regs);

    /* Last setup step: from here on only vCPU system calls. */
    g_autoptr(GError) err = NULL;
    if (!seccomp_filter_install(vcpu->vm->cfg->seccomp, SECCOMP_FILTER_VCPU, &err)) {
        kvmkit_log(G_LOG_LEVEL_CRITICAL, "security", "vCPU %u: %s", vcpu->id, err->message);
        vm_request_stop(vcpu->vm, VM_STOP_ERROR);
        vm_vcpu_exited(vcpu->vm);
        return NULL;
    }
    /* No guest instruction before the main thread is locked down too. */
    if (!vm_wait_release(vcpu->vm)) {
        vm_vcpu_exited(vcpu->vm);
        return NULL;
    }

    /* For bench/startup.py: when the first guest instruction may run. */
    if (vcpu->id == 0)
        log_trace_startup("first KVM_RUN");

    /* True when no exit is waiting to be completed by the next KVM_RUN: a
     * vCPU only parks there, so its saved state is between instructions. */
    bool at_boundary = true;
    while (!stopping(vcpu)) {
        if (atomic_load(&vcpu->vm->pause_requested)) {
            if (at_boundary) {
                vm_park_vcpu(vcpu->vm);
                continue;
            }
            /* Completes the pending PIO/MMIO and returns EINTR at once. */
            vcpu->run->immediate_exit = 1;
        }
#ifdef KVMKIT_TEST_HOOKS
        if (atomic_exchange(&vcpu->vm->test_forbidden_syscall, false))
            seccomp_filter_test_forbidden();
#endif
        int r = ioctl(vcpu->fd, KVM_RUN, 0);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                metrics_add(&vcpu->exits[VCPU_EXIT_INTR], 1);
                vcpu->run->immediate_exit = 0;
                at_boundary = true;
                debug_regs_poll(vcpu, &debug_regs);
                continue;
            }
            kvmkit_log(G_LOG_LEVEL_CRITICAL, "vcpu", "vCPU %u: KVM_RUN: %s", vcpu->id,
                       g_strerror(errno));
            arch_dump_vcpu(vcpu, stderr);
            vm_request_stop(vcpu->vm, VM_STOP_ERROR);
            break;
        }
        at_boundary = false;
        if (!vcpu_handle_exit(vcpu))
            break;
    }
    vm_vcpu_exited(vcpu->vm);
    return NULL;
}

bool vcpu_start(struct vcpu *vcpu, GError **errp)
{
    install_kick_handler();
    /* Only vCPU threads take the kick signal; block it in the caller
     * (the main thread) so a kick never lands there. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
    if (r != 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST, "cannot start vCPU %u thread: %s",
                    vcpu->id, g_strerror(r));
        return false;
    }
    vcpu->thread_started = true;
    return true;
}

void vcpu_kick(struct vcpu *vcpu)
{
    if (vcpu->run)
        vcpu->run->immediate_exit = 1;
    if (vcpu->thread_started && !pthread_equal(vcpu->thread, pthread_self()))
        pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
    if (vcpu->thread_started) {
        pthread_join(vcpu->thread, NULL);
        vcpu->thread_started = false;
    }
}

void vcpu_destroy(struct vcpu *vcpu)
{
    arch_vcpu_destroy(vcpu);
    if (vcpu->run)
        munmap(vcpu->run, vcpu->vm->vcpu_mmap_size);
    if (vcpu->fd >= 0)
        close(vcpu->fd);
    vcpu->run = NULL;
    vcpu->fd = -1;
}
