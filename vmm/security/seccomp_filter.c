/* SPDX-License-Identifier: MIT */
/*
 * Loading the allowlists. The programs were compiled from
 * vmm/security/seccomp_rules.c when kvmkit was built (vmm/security/seccomp_gen.c): here
 * they only get this process's pid and go to the kernel.
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "error.h"
#include "seccomp_rules.h"

unsigned short seccomp_filter_program_len(enum config_seccomp mode,
                                          enum seccomp_filter_kind kind)
{
    return seccomp_programs[mode == CONFIG_SECCOMP_LOG][kind].len;
}

void seccomp_filter_program(enum config_seccomp mode, enum seccomp_filter_kind kind,
                            uint32_t pid, struct sock_filter *insns)
{
    const struct seccomp_program *p = &seccomp_programs[mode == CONFIG_SECCOMP_LOG][kind];
    memcpy(insns, p->insns, p->len * sizeof(*insns));
    insns[p->pid_at].k = pid;
}

/*
 * What seccomp_load() would do with libseccomp's default attributes
 * (SCMP_FLTATR_CTL_NNP on, no TSYNC, no LOG flag): no_new_privs, then the
 * filter on the calling thread only.
 */
bool seccomp_filter_install(enum config_seccomp mode, enum seccomp_filter_kind kind,
                            GError **errp)
{
    if (mode == CONFIG_SECCOMP_OFF)
        return true;
    /* On the stack: see seccomp_filter_program(). */
    unsigned short len = seccomp_filter_program_len(mode, kind);
    struct sock_filter insns[len];
    seccomp_filter_program(mode, kind, getpid(), insns);
    struct sock_fprog prog = { .len = len, .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "seccomp: cannot load the %s filter: %s",
                           kind == SECCOMP_FILTER_VCPU ? "vCPU" : "main", g_strerror(errno));
    return true;
}

#ifdef KVMKIT_TEST_HOOKS
int seccomp_filter_test_forbidden(void)
{
    errno = 0;
    long r = syscall(SYS_ptrace, PTRACE_PEEKDATA, (long)getpid(), 0L, 0L);
    return r < 0 ? errno : 0;
}
#endif
