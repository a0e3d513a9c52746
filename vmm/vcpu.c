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
        g_autofree char *key = g_strdup_printf("mmio:%llx", (unsigned long long)run->mmio.phys_addr);
        log_warn_once_in("vcpu", key, "vCPU %u: %s of %u bytes at unassigned MMIO address 0x%llx",
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
    g_autofree char *name = g_strdup_printf("vcpu%u", vcpu->id);
    pthread_setname_np(pthread_self(), name);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    /* Last setup step: from here on only vCPU system calls. */
    g_autoptr(GError) err = NULL;
    if (!seccomp_filter_install(vcpu->vm->cfg->seccomp, SECCOMP_FILTER_VCPU, &err)) {
        g_printerr("kvmkit: vCPU %u: %s\n", vcpu->id, err->message);
        vm_request_stop(vcpu->vm, VM_STOP_ERROR);
        vm_vcpu_exited(vcpu->vm);
        return NULL;
    }

    /* For bench/startup.py: when the first guest instruction may run. */
    if (vcpu->id == 0 && g_getenv("KVMKIT_TRACE_STARTUP")) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fprintf(stderr, "kvmkit-trace: first KVM_RUN at monotonic %lld ns\n",
                (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    }

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
