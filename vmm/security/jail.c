/* SPDX-License-Identifier: MIT */
/*
 * vmm/security/: the host side of confinement. Owns the jail (namespaces,
 * chroot, user change: this file), the seccomp allowlists (seccomp_*.c)
 * and cgroup limits (cgroup.c). Calls vmm/config/, vmm/observe/ and
 * vmm/base/; reaches the VM's threads only through the jail_io_threads
 * callback main.c gives it. The core calls it (vCPU filters).
 */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cgroup.h"
#include "error.h"
#include "seccomp_filter.h"

struct jail {
    const struct vm_config *cfg;
    unsigned ns;            /* CONFIG_NS_* */
    unsigned millicores;    /* [limits] cpu, 0: none */
    bool has_user;
    uid_t uid;
    gid_t gid;
    bool supervised;        /* this is the child of a supervisor */
};

static bool host_fail(GError **errp, const char *what)
{
    return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "[security]: %s: %s", what, g_strerror(errno));
}

static bool resolve_user(struct jail *j, const char *spec, GError **errp)
{
    unsigned long uid, gid;
    char end;
    if (sscanf(spec, "%lu:%lu%c", &uid, &gid, &end) == 2) {
        j->uid = uid;
        j->gid = gid;
    } else {
        struct passwd *pw = getpwnam(spec);
        if (!pw)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[security] user: no user \"%s\" "
                               "on this host", spec);
        j->uid = pw->pw_uid;
        j->gid = pw->pw_gid;
    }
    j->has_user = true;
    return true;
}

struct jail *jail_new(const struct vm_config *cfg, GError **errp)
{
    struct jail *j = g_new0(struct jail, 1);
    g_autofree char *expected = NULL;
    j->cfg = cfg;
    if (!config_parse_namespaces(cfg->namespaces, &j->ns, &expected) ||
        (cfg->limit_cpu && !config_parse_cpu_limit(cfg->limit_cpu, &j->millicores)))
        g_assert_not_reached();   /* vmm/config/ checked them */
    const char *asked = cfg->security_user ? "user" : cfg->security_chroot ? "chroot"
                      : j->ns ? "namespaces" : NULL;
    if (asked && geteuid() != 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[security] %s: needs kvmkit to start as root "
                    "(it drops to [security] user once the VM is built)", asked);
        goto fail;
    }
    if (cfg->security_user && !resolve_user(j, cfg->security_user, errp))
        goto fail;
    return j;
fail:
    g_free(j);
    return NULL;
}

void jail_free(struct jail *j)
{
    g_free(j);
}

/* ---- the supervisor ---------------------------------------------------- */

/* The child the supervisor forwards signals to. Process-global because a
 * signal handler needs it; only the supervisor process sets it. */
static volatile pid_t supervised_child;

static void forward_signal(int sig)
{
    if (supervised_child > 0)
        kill(supervised_child, sig);
}

/* The supervisor's side after fork: lets the child go, waits for it and
 * returns the status kvmkit exits with. */
static int supervise(pid_t child, int go_fd, struct cgroup *cg)
{
    if (write(go_fd, "g", 1) != 1)
        kill(child, SIGKILL);
    close(go_fd);
    supervised_child = child;
    struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    cgroup_remove(cg);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    /* Die of the same signal (SIGSYS for a seccomp kill), without a core
     * file of the supervisor. */
    int sig = WTERMSIG(status);
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    return 128 + sig;
}

/* Forks; in the parent, supervises and sets *exit_status. */
static bool fork_supervisor(struct jail *j, int *exit_status, GError **errp)
{
    const struct vm_config *cfg = j->cfg;
    struct cgroup *cg = NULL;
    if (j->millicores || cfg->limit_memory) {
        g_autofree char *parent = cgroup_own_dir(errp);
        if (!parent ||
            !(cg = cgroup_new(parent, cfg->name, getpid(), j->millicores, cfg->limit_memory,
                              errp)))
            return false;
    }
    /* Only children enter the new pid namespace: the VMM is its pid 1. */
    int go[2];
    if (((j->ns & CONFIG_NS_PID) && unshare(CLONE_NEWPID) < 0) || pipe2(go, O_CLOEXEC) < 0) {
        host_fail(errp, j->ns & CONFIG_NS_PID ? "unshare(CLONE_NEWPID)" : "pipe");
        cgroup_remove(cg);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent_pid = getpid();
    pid_t child = fork();
    if (child < 0) {
        host_fail(errp, "fork");
        cgroup_remove(cg);
        return false;
    }
    if (child == 0) {
        /* The VMM: dies with the supervisor, waits until it is in the
         * cgroup (EOF: the supervisor failed). */
        char c;
        close(go[1]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(go[0], &c, 1) != 1 || (!(j->ns & CONFIG_NS_PID) && getppid() != parent_pid))
            _exit(1);
        close(go[0]);
        g_free(cg);   /* the supervisor's to remove; not a cgroup_remove() */
        j->supervised = true;
        *exit_status = -1;
        return true;
    }
    close(go[0]);
    if (cg && !cgroup_add_process(cg, child, errp)) {
        close(go[1]);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
        cgroup_remove(cg);
        return false;
    }
    *exit_status = supervise(child, go[1], cg);
    return true;
}

bool jail_early(struct jail *j, int *exit_status, GError **errp)
{
    *exit_status = -1;
    if ((j->ns & CONFIG_NS_PID) || j->millicores || j->cfg->limit_memory) {
        if (!fork_supervisor(j, exit_status, errp))
            return false;
        if (*exit_status >= 0)
            return true;
    }
    int flags = (j->ns & CONFIG_NS_MOUNT ? CLONE_NEWNS : 0) |
                (j->ns & CONFIG_NS_IPC ? CLONE_NEWIPC : 0) |
                (j->ns & CONFIG_NS_UTS ? CLONE_NEWUTS : 0);
    if (flags && unshare(flags) < 0)
        return host_fail(errp, "unshare");
    /* Nothing kvmkit mounts or unmounts reaches the host. */
    if ((j->ns & CONFIG_NS_MOUNT) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return host_fail(errp, "making the mount namespace private");
    if ((j->ns & CONFIG_NS_UTS) && sethostname(j->cfg->name, strlen(j->cfg->name)) < 0)
        return host_fail(errp, "sethostname");
    return true;
}

/* ---- after the VM is built --------------------------------------------- */

/* Empties the calling thread's capability bounding set (per thread). */
static bool drop_bounding_set(GError **errp)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_READ, cap) < 0)
            break;   /* past the kernel's last capability */
        if (prctl(PR_CAPBSET_DROP, cap) < 0)
            return host_fail(errp, "PR_CAPBSET_DROP");
    }
    return true;
}

static bool jail_thread(void *opaque, GError **errp)
{
    struct jail *j = opaque;
    if ((j->ns & CONFIG_NS_NET) && unshare(CLONE_NEWNET) < 0)
        return host_fail(errp, "unshare(CLONE_NEWNET)");
    return !j->has_user || drop_bounding_set(errp);
}

static bool enter_root(struct jail *j, GError **errp)
{
    const char *dir = j->cfg->security_chroot;
    if (!(j->ns & CONFIG_NS_MOUNT)) {
        if (chroot(dir) < 0 || chdir("/") < 0)
            return host_fail(errp, "chroot");
        return true;
    }
    /* pivot_root(".", "."): the old root ends up stacked under the new
     * one and is detached at once; every thread's root moves with it. */
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(dir) < 0)
        return host_fail(errp, "bind-mounting the chroot directory");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return host_fail(errp, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        return host_fail(errp, "detaching the old root");
    return true;
}

static bool drop_user(struct jail *j, GError **errp)
{
    /* glibc applies set*id and setgroups to every thread of the process;
     * leaving uid 0 clears each thread's capabilities. */
    if (!drop_bounding_set(errp))
        return false;
    if (setgroups(0, NULL) < 0)
        return host_fail(errp, "setgroups");
    if (setresgid(j->gid, j->gid, j->gid) < 0)
        return host_fail(errp, "setresgid");
    if (setresuid(j->uid, j->uid, j->uid) < 0)
        return host_fail(errp, "setresuid");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return host_fail(errp, "PR_SET_NO_NEW_PRIVS");
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
    if (syscall(SYS_capset, &hdr, none) < 0)
        return host_fail(errp, "capset");
    /* A credential change clears the parent-death signal. */
    if (j->supervised && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        return host_fail(errp, "PR_SET_PDEATHSIG");
    return true;
}

static bool jail_late(struct jail *j, GError **errp)
{
    if ((j->ns & CONFIG_NS_NET) && unshare(CLONE_NEWNET) < 0)
        return host_fail(errp, "unshare(CLONE_NEWNET)");
    if (j->cfg->security_chroot && !enter_root(j, errp))
        return false;
    return !j->has_user || drop_user(j, errp);
}

static bool io_thread_filter(void *opaque, GError **errp)
{
    const struct jail *j = opaque;
    return seccomp_filter_install(j->cfg->seccomp, SECCOMP_FILTER_MAIN, errp);
}

bool jail_lock_down(struct jail *j, const struct jail_io_threads *io, GError **errp)
{
    /* The I/O threads' filters go on after the user change: glibc makes
     * every thread call setresuid itself, which the filters forbid. */
    bool thread_work = (j->ns & CONFIG_NS_NET) || j->has_user;   /* see jail_thread() */
    if ((thread_work && !io->call(io->vm, jail_thread, j, errp)) ||
        !jail_late(j, errp) ||
        !io->call(io->vm, io_thread_filter, j, errp))
        return false;
    if (j->cfg->seccomp == CONFIG_SECCOMP_OFF)
        g_warning("[security] seccomp = off: no system call filters; a guest that "
                  "takes over a device model can use every system call");
    return true;
}

bool jail_filter_main(struct jail *j, GError **errp)
{
    return seccomp_filter_install(j->cfg->seccomp, SECCOMP_FILTER_MAIN, errp);
}
