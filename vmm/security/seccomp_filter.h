/* SPDX-License-Identifier: MIT */
/*
 * seccomp_filter: the per-thread system call allowlists (docs/security.md).
 *
 * Two lists, written as libseccomp rules (vmm/security/seccomp_rules.c) and
 * compiled into BPF when kvmkit is built: one for vCPU threads (KVM_RUN
 * and what the exit handlers need), one for the main loop and the virtio I/O
 * threads (everything the control socket, snapshots, slirp, tap, chardevs
 * and block back ends do once the VM is built). A system call outside the
 * list kills the whole process with SIGSYS (SECCOMP_RET_KILL_PROCESS); in
 * log mode it is allowed and logged by the kernel's audit subsystem.
 *
 * Filters are per thread and stack: a thread created after its creator
 * installed a filter runs under both. Every thread is started before the
 * main thread loads its own and loads its list itself: the I/O threads in
 * jail_lock_down(), the vCPU threads as they start (vm_start(), while the
 * main thread loads its filter; they run the guest only from vm_run() on).
 * So no thread runs under the main list and another on top, and no list
 * allows seccomp() itself.
 *
 * (Named seccomp_filter, not seccomp: a vmm/security/seccomp.h would shadow
 * libseccomp's <seccomp.h> on the include path of vmm/security/seccomp_rules.c.)
 */
#ifndef KVMKIT_SECCOMP_FILTER_H
#define KVMKIT_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "config.h"

enum seccomp_filter_kind {
    SECCOMP_FILTER_VCPU,  /* a vCPU thread */
    SECCOMP_FILTER_MAIN,  /* the main loop, and each virtio I/O thread */
};

/*
 * Installs the @kind allowlist on the calling thread, in @mode (OFF does
 * nothing and returns true). Sets no_new_privs on the thread. Call it once
 * per thread, after the thread's own setup and before it serves the guest.
 * Returns false with @errp set (KVMKIT_ERROR_HOST) if the kernel refuses.
 */
bool seccomp_filter_install(enum config_seccomp mode, enum seccomp_filter_kind kind,
                            GError **errp);

struct sock_filter;

/* The number of instructions of the @kind program for @mode (ON or LOG). */
unsigned short seccomp_filter_program_len(enum config_seccomp mode,
                                          enum seccomp_filter_kind kind);

/*
 * Writes the @kind program for @mode of process @pid into @insns (room for
 * seccomp_filter_program_len() instructions), as installed: the built
 * program with @pid in place. Allocates nothing: a vCPU thread loads its
 * filter just before its first KVM_RUN, and its first malloc() would have
 * glibc map a new arena for the thread there (~0.04 ms on the PVM host).
 */
void seccomp_filter_program(enum config_seccomp mode, enum seccomp_filter_kind kind,
                            uint32_t pid, struct sock_filter *insns);

#ifdef KVMKIT_TEST_HOOKS
/*
 * Test builds only (meson -Dtest_hooks=true): issues a system call that no
 * allowlist holds (ptrace PEEKDATA of itself, which fails harmlessly with
 * ESRCH when nothing filters it). Under a filter in ON mode the process
 * dies with SIGSYS; otherwise returns the errno it got.
 */
int seccomp_filter_test_forbidden(void);
#endif

#endif
