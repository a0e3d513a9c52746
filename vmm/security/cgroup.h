/* SPDX-License-Identifier: MIT */
/*
 * cgroup: [limits] through a cgroup v2 group of kvmkit's own
 * (docs/security.md).
 *
 * The group is made below the cgroup v2 group kvmkit was started in
 * (/proc/self/cgroup "0::PATH" under the cgroup2 mount), named
 * kvmkit-NAME-PID, with cpu.max and memory.max written before any process
 * is moved in. When the host cannot apply a limit (no cgroup v2 mount, the
 * controller missing from cgroup.controllers or not enabled and not
 * enableable in cgroup.subtree_control, no permission) the call fails with
 * a message saying which; kvmkit then refuses to start rather than run
 * without the limit.
 *
 * Threading: main thread (or the jail's supervisor process), before the
 * VM is built.
 */
#ifndef KVMKIT_CGROUP_H
#define KVMKIT_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <glib.h>

struct cgroup;

/*
 * The cgroup v2 directory the calling process belongs to, e.g.
 * "/sys/fs/cgroup/user.slice/session-1.scope". Caller frees. NULL with
 * @errp set if there is no cgroup v2 hierarchy.
 */
char *cgroup_own_dir(GError **errp);

/*
 * Makes the group @parent_dir/kvmkit-@name-@pid and writes the limits:
 * @millicores (0: no CPU limit) as cpu.max "QUOTA 100000", @memory (0: no
 * memory limit) as memory.max. Enables the controllers in the parent's
 * cgroup.subtree_control when they are offered but not enabled. Returns
 * NULL with @errp set (KVMKIT_ERROR_HOST) when a limit cannot be applied;
 * nothing is left behind then.
 */
struct cgroup *cgroup_new(const char *parent_dir, const char *name, pid_t pid,
                          unsigned millicores, uint64_t memory, GError **errp);

/* Moves process @pid into the group (writes cgroup.procs). */
bool cgroup_add_process(struct cgroup *cg, pid_t pid, GError **errp);

/* The group's directory (owned by @cg). */
const char *cgroup_dir(const struct cgroup *cg);

/* Removes the group (its processes must have exited) and frees @cg. A
 * failure is logged, not fatal. NULL is a no-op. */
void cgroup_remove(struct cgroup *cg);

/* The cpu.max line for @millicores: "150000 100000" for 1500. */
char *cgroup_cpu_max(unsigned millicores);

#endif
