/* SPDX-License-Identifier: MIT */
/*
 * The allowlists themselves, as libseccomp rules. Used at build time only:
 * vmm/security/seccomp_gen.c compiles them into BPF programs that are part of the
 * kvmkit binary (seccomp_programs.c in the build directory), so kvmkit
 * neither links libseccomp nor spends 1-2 ms compiling at every start
 * (docs/security.md). The unit test checks the built programs against a
 * fresh compile of these rules.
 */
#include "seccomp_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "error.h"

/*
 * System calls allowed without looking at their arguments. Names, not
 * numbers: seccomp_syscall_resolve_name() skips the ones this architecture
 * lacks. The lists come from strace runs of kvmkit and from running the
 * whole test suite under the filters (docs/security.md). A few harmless
 * calls GLib or libslirp may make on paths the tests do not reach (epoll,
 * timerfd, statx, uname, ...) are allowed ahead rather than found by a
 * crash.
 */

/* Both kinds of thread: memory, locks, time, signals, thread exit, and
 * writing to an already open fd (serial/console back ends, eventfds). */
static const char *const common_calls[] = {
    "read", "write", "readv", "writev", "futex", "brk", "munmap", "madvise",
    "mremap", "rt_sigreturn", "rt_sigprocmask", "sched_yield", "clock_gettime",
    "clock_getres", "gettimeofday", "clock_nanosleep", "nanosleep", "getpid",
    "gettid", "exit", "exit_group", "restart_syscall", "getrandom", "fstat",
};

/* The main loop and the I/O threads on top of that: the control socket
 * (accept, recv, send), snapshots (open, write, fsync, rename, unlink),
 * block I/O, slirp's sockets, glib's main loop. */
static const char *const main_calls[] = {
    "openat", "close", "poll", "ppoll", "lseek", "newfstatat", "statx", "statfs",
    "fstatfs", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "fsync", "fdatasync", "ftruncate",
    "fallocate", "rename", "renameat", "renameat2", "unlink", "unlinkat", "fcntl",
    "eventfd2", "pipe2", "accept", "accept4", "connect", "bind", "listen",
    "recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "shutdown",
    "getsockname", "getpeername", "setsockopt", "getsockopt", "rt_sigaction",
    "set_robust_list", "rseq", "sigaltstack", "sched_getaffinity", "umask",
    "getuid", "geteuid", "getgid", "getegid", "uname", "sysinfo", "prlimit64",
    "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "timerfd_create",
    "timerfd_settime", "membarrier",
    /* KVMKIT_DEBUG_REGS: a vCPU thread arms its sampling timer (vmm/vcpu.c) */
    "timer_create", "timer_settime",
};

/* ioctls a vCPU thread makes: KVM_RUN, and what the exit handlers need
 * (serial interrupts through KVM_IRQ_LINE, the PVM-host instruction
 * assists in vmm/x86/pvm.c, the register dump of a failing vCPU). */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_GET_REGS, KVM_SET_REGS,
    KVM_GET_SREGS, KVM_SET_SREGS, KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
    KVM_GET_FPU, KVM_SET_FPU, KVM_TRANSLATE, KVM_GET_LAPIC, KVM_GET_MSRS,
};

/* Terminal ioctls of the main loop: raw mode on and off for stdio/pty
 * back ends, and the queries slirp and glib make. TIOCSTI (inject input
 * into a terminal) is not among them. */
static const unsigned long tty_ioctls[] = {
    TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONREAD, FIONBIO, TIOCOUTQ,
};

static bool add(scmp_filter_ctx ctx, int nr, unsigned n_args, const struct scmp_arg_cmp *args,
                GError **errp)
{
    int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n_args, args);
    if (r < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: rule for syscall %d: %s", nr,
                           g_strerror(-r));
    return true;
}

static bool add_names(scmp_filter_ctx ctx, const char *const *names, size_t n, GError **errp)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr != __NR_SCMP_ERROR && !add(ctx, nr, 0, NULL, errp))
            return false;
    }
    return true;
}

static bool add_ioctls(scmp_filter_ctx ctx, const unsigned long *reqs, size_t n, GError **errp)
{
    for (size_t i = 0; i < n; i++) {
        /* The kernel takes the request as an unsigned int: compare the
         * low 32 bits only. */
        struct scmp_arg_cmp req = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, reqs[i] & 0xffffffffu);
        if (!add(ctx, SCMP_SYS(ioctl), 1, &req, errp))
            return false;
    }
    return true;
}

/* Rules that look at arguments, common to both kinds of thread; @pid is
 * the process the filter is for. */
static bool add_common_rules(scmp_filter_ctx ctx, uint32_t pid, GError **errp)
{
    /* Memory for malloc and thread stacks, never executable: an attacker
     * who can call mmap/mprotect cannot make new code. */
    struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
    /* Signals only to this process's own threads (vCPU kicks). */
    struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid);
    /* fstat() is newfstatat(fd, "", AT_EMPTY_PATH) in glibc: allowed
     * there on both kinds; any path is allowed on the main list. */
    struct scmp_arg_cmp empty_path = SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
    /* Threads, never new processes. */
    struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
    /* PR_SET_NAME: a thread's name (GLib names the threads it starts). */
    struct scmp_arg_cmp set_name = SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME);
    if (!add(ctx, SCMP_SYS(mmap), 1, &no_exec, errp) ||
        !add(ctx, SCMP_SYS(mprotect), 1, &no_exec, errp) ||
        !add(ctx, SCMP_SYS(tgkill), 1, &self, errp) ||
        !add(ctx, SCMP_SYS(newfstatat), 1, &empty_path, errp) ||
        !add(ctx, SCMP_SYS(clone), 1, &thread, errp) ||
        !add(ctx, SCMP_SYS(prctl), 1, &set_name, errp))
        return false;
    /* clone3 passes its flags in memory, where seccomp cannot look: make
     * it fail with ENOSYS so that glibc falls back to clone. */
    int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (r < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: clone3 rule: %s", g_strerror(-r));
    return true;
}

/* socket(): only the Internet families slirp needs for the guest's
 * connections; no netlink, no packet sockets, no Unix sockets. */
static bool add_socket_rules(scmp_filter_ctx ctx, GError **errp)
{
    static const int families[] = { AF_INET, AF_INET6 };
    for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
        struct scmp_arg_cmp fam = SCMP_A0(SCMP_CMP_EQ, families[i]);
        if (!add(ctx, SCMP_SYS(socket), 1, &fam, errp))
            return false;
    }
    return true;
}

/* Every KVM ioctl (type 0xAE): the main thread saves and restores vCPU
 * and VM state for snapshots. No thread loads a filter after the main
 * thread's (the vCPU and I/O threads are locked down before it), so
 * neither seccomp() nor PR_SET_NO_NEW_PRIVS is on any list. */
static bool add_main_rules(scmp_filter_ctx ctx, GError **errp)
{
    struct scmp_arg_cmp kvm = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00, KVMIO << 8);
    return add(ctx, SCMP_SYS(ioctl), 1, &kvm, errp);
}

/* libseccomp only exports to a file descriptor (2.5.4 has no
 * seccomp_export_bpf_mem): to a memfd, so size is no concern. Returns the
 * memfd, or -1 with @errp set. */
static int export_program(scmp_filter_ctx ctx, GError **errp)
{
    int fd = memfd_create("kvmkit-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: memfd_create: %s", g_strerror(errno));
        return -1;
    }
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0) {
        close(fd);
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: cannot export the filter: %s",
                    g_strerror(-r));
        return -1;
    }
    return fd;
}

/* Reads the program libseccomp exported to @fd, and closes @fd. */
static bool read_program(int fd, struct sock_filter **insns, unsigned short *len,
                         GError **errp)
{
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && st.st_size > 0 &&
              st.st_size % sizeof(struct sock_filter) == 0 &&
              st.st_size / sizeof(struct sock_filter) <= BPF_MAXINSNS;
    if (ok) {
        *len = st.st_size / sizeof(struct sock_filter);
        *insns = g_malloc(st.st_size);
        ok = pread(fd, *insns, st.st_size, 0) == st.st_size;
    }
    close(fd);
    if (!ok) {
        g_clear_pointer(insns, g_free);
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: cannot read the filter back");
    }
    return true;
}

bool seccomp_rules_compile(bool log, enum seccomp_filter_kind kind, uint32_t pid,
                           struct sock_filter **insns, unsigned short *len, GError **errp)
{
    uint32_t deny = log ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
    scmp_filter_ctx ctx = seccomp_init(deny);
    if (!ctx)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: cannot create a filter");
    /* Syscall numbers in a binary tree rather than a list: the kernel runs
     * the filter for every system call number when it loads it (its
     * allow-cache, with interrupts off), and on every KVM_RUN. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (r < 0) {
        seccomp_release(ctx);
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: binary tree optimization: %s",
                           g_strerror(-r));
    }
    bool ok = add_names(ctx, common_calls, G_N_ELEMENTS(common_calls), errp) &&
              add_common_rules(ctx, pid, errp) &&
              add_ioctls(ctx, vcpu_ioctls, G_N_ELEMENTS(vcpu_ioctls), errp);
    if (ok && kind == SECCOMP_FILTER_MAIN)
        ok = add_names(ctx, main_calls, G_N_ELEMENTS(main_calls), errp) &&
             add_socket_rules(ctx, errp) && add_main_rules(ctx, errp) &&
             add_ioctls(ctx, tty_ioctls, G_N_ELEMENTS(tty_ioctls), errp);
    int fd = ok ? export_program(ctx, errp) : -1;
    seccomp_release(ctx);
    return fd >= 0 && read_program(fd, insns, len, errp);
}
