/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/security/seccomp_filter.c: the programs built into kvmkit
 * (vmm/security/seccomp_gen.c) are what libseccomp makes of vmm/security/seccomp_rules.c
 * today, with the process's pid in the right place; and loaded, they let a
 * thread signal its own process but nothing else.
 */
#include "seccomp_filter.h"
#include "seccomp_rules.h"

#include <check.h>
#include "unit_main.h"
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const enum config_seccomp modes[] = { CONFIG_SECCOMP_ON, CONFIG_SECCOMP_LOG };
static const enum seccomp_filter_kind kinds[] = { SECCOMP_FILTER_VCPU, SECCOMP_FILTER_MAIN };

/* A stale build (rules edited, programs not regenerated) or a wrong
 * placeholder position fails here. */
START_TEST(test_built_programs_match_rules)
{
    ck_assert_int_eq(seccomp_api_set(3), 0);    /* as seccomp_gen does */
    for (unsigned m = 0; m < 2; m++) {
        for (unsigned k = 0; k < 2; k++) {
            g_autoptr(GError) err = NULL;
            g_autofree struct sock_filter *want = NULL;
            unsigned short want_len, len;
            ck_assert(seccomp_rules_compile(modes[m] == CONFIG_SECCOMP_LOG, kinds[k], 4242,
                                            &want, &want_len, &err));
            len = seccomp_filter_program_len(modes[m], kinds[k]);
            g_autofree struct sock_filter *got = g_new(struct sock_filter, len);
            seccomp_filter_program(modes[m], kinds[k], 4242, got);
            ck_assert_uint_eq(len, want_len);
            ck_assert_mem_eq(got, want, len * sizeof(*got));
        }
    }
}
END_TEST

/* Only the pid differs between two processes' programs. */
START_TEST(test_pid_patched_once)
{
    for (unsigned k = 0; k < 2; k++) {
        unsigned short len_a = seccomp_filter_program_len(CONFIG_SECCOMP_ON, kinds[k]);
        unsigned short len_b = seccomp_filter_program_len(CONFIG_SECCOMP_ON, kinds[k]);
        g_autofree struct sock_filter *a = g_new(struct sock_filter, len_a);
        g_autofree struct sock_filter *b = g_new(struct sock_filter, len_b);
        seccomp_filter_program(CONFIG_SECCOMP_ON, kinds[k], 100, a);
        seccomp_filter_program(CONFIG_SECCOMP_ON, kinds[k], 200, b);
        ck_assert_uint_eq(len_a, len_b);
        unsigned diffs = 0;
        for (unsigned i = 0; i < len_a; i++) {
            if (memcmp(&a[i], &b[i], sizeof(a[i])) != 0) {
                diffs++;
                ck_assert_uint_eq(a[i].k, 100);
                ck_assert_uint_eq(b[i].k, 200);
            }
            ck_assert_uint_ne(a[i].k, SECCOMP_RULES_PID_PLACEHOLDER);
        }
        ck_assert_uint_eq(diffs, 1);
    }
}
END_TEST

/*
 * A child loads the filter, signals itself (allowed: the pid is its own),
 * reports that over a pipe, then signals its parent: killed with SIGSYS.
 */
static void check_signals(enum seccomp_filter_kind kind)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(fds[0]);
        /* Asked before the filter: getppid() is in neither list, and the
         * child must die of the tgkill, not of this. */
        pid_t parent = getppid();
        GError *err = NULL;
        if (!seccomp_filter_install(CONFIG_SECCOMP_ON, kind, &err))
            _exit(3);
        if (syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0) == 0 &&
            write(fds[1], "A", 1) == 1)
            syscall(SYS_tgkill, parent, parent, 0);
        _exit(4);
    }
    close(fds[1]);
    char c = 0;
    ck_assert_int_eq(read(fds[0], &c, 1), 1);
    ck_assert_int_eq(c, 'A');
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
                  "status 0x%x: the forbidden tgkill was not killed", status);
}

START_TEST(test_loaded_vcpu_filter)
{
    check_signals(SECCOMP_FILTER_VCPU);
}
END_TEST

START_TEST(test_loaded_main_filter)
{
    check_signals(SECCOMP_FILTER_MAIN);
}
END_TEST

START_TEST(test_off_loads_nothing)
{
    g_autoptr(GError) err = NULL;
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        pid_t parent = getppid();
        GError *e = NULL;
        if (!seccomp_filter_install(CONFIG_SECCOMP_OFF, SECCOMP_FILTER_VCPU, &e))
            _exit(3);
        syscall(SYS_tgkill, parent, parent, 0);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("seccomp");
    TCase *tc = tcase_create("seccomp");
    tcase_add_test(tc, test_built_programs_match_rules);
    tcase_add_test(tc, test_pid_patched_once);
    tcase_add_test(tc, test_loaded_vcpu_filter);
    tcase_add_test(tc, test_loaded_main_filter);
    tcase_add_test(tc, test_off_loads_nothing);
    suite_add_tcase(s, tc);
    return s;
}
