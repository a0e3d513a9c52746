/* SPDX-License-Identifier: MIT */
/*
 * jail: [security] user, chroot, namespaces and the [limits] cgroup, in
 * the spirit of Firecracker's jailer but inside the one binary
 * (docs/security.md).
 *
 * The steps, in the order cmd_run takes them:
 *
 *   jail_new()     resolves the user (before /etc/passwd is out of
 *                  reach), checks that kvmkit is root if anything needs it.
 *   jail_early()   single-threaded, before the VM is built. With a pid
 *                  namespace or limits, forks once: the parent stays
 *                  outside as a small supervisor (makes the cgroup, moves
 *                  the child in, forwards SIGINT/SIGTERM/SIGHUP, waits,
 *                  removes the cgroup, exits as the child did); the child
 *                  (pid 1 of the new pid namespace) goes on. Then unshares
 *                  the mount (made private), ipc and uts namespaces, so
 *                  that every thread made later shares them.
 * jail_lock_down() then does, in order:
 *   jail_thread()  on each virtio I/O thread, after the VM is built: a
 *                  network namespace of its own (empty) and no
 *                  capabilities in the bounding set.
 *   jail_late()    main thread, everything opened (/dev/kvm, images, tap,
 *                  sockets): an empty network namespace, pivot_root (mount
 *                  namespace) or chroot into the directory, then the user:
 *                  setgroups(0), setresgid, setresuid, no_new_privs, no
 *                  capabilities. After it, paths (snapshots) are inside
 *                  the jail.
 *
 * Errors: KVMKIT_ERROR_INPUT for what the user asked wrongly (unknown
 * user, not root), KVMKIT_ERROR_HOST when the host refuses.
 */
#ifndef KVMKIT_JAIL_H
#define KVMKIT_JAIL_H

#include <stdbool.h>
#include <glib.h>

#include "config.h"

struct jail;

/* NULL with @errp set on error; a jail that does nothing when @cfg asks
 * for nothing. @cfg is borrowed and must outlive the jail. */
struct jail *jail_new(const struct vm_config *cfg, GError **errp);

/*
 * See above. Returns false with @errp set on error. Sets *@exit_status to
 * -1 in the process that goes on to run the VM, or, in the supervisor,
 * to the status kvmkit must exit with (when the child died of a signal,
 * the supervisor raises the same signal at itself first).
 */
bool jail_early(struct jail *j, int *exit_status, GError **errp);

/*
 * How the jail reaches the VM's I/O threads: @call runs @fn(@fn_opaque) on
 * every one of them at once and waits for all, false with the first error
 * (vm_call_on_io_threads() on @vm). A callback because the security layer
 * sits below the VM and does not know struct vm (docs/architecture.md).
 */
struct jail_io_threads {
    bool (*call)(void *vm, bool (*fn)(void *opaque, GError **errp), void *fn_opaque,
                 GError **errp);
    void *vm;
};

/*
 * The last step before vm_start() (main thread, the VM built, the control
 * socket listening): jail_thread() on each I/O thread, jail_late(), then
 * the seccomp filters ([security] seccomp) on each I/O thread, reached
 * through @io. False with @errp set if any step fails: kvmkit must then
 * not run the VM.
 */
bool jail_lock_down(struct jail *j, const struct jail_io_threads *io, GError **errp);

/*
 * The main thread's own seccomp filter, after vm_start() and before
 * vm_run(): the vCPU threads (started without it, under their own,
 * narrower list) load theirs meanwhile and wait for vm_run() before they
 * run the guest, which takes one of the kernel's filter loads off the
 * start-up path. False with @errp set: stop the VM.
 */
bool jail_filter_main(struct jail *j, GError **errp);

void jail_free(struct jail *j);

#endif
