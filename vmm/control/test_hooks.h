/* SPDX-License-Identifier: MIT */
/*
 * test_hooks: hidden control-socket commands for the security tests,
 * compiled only with meson -Dtest_hooks=true (KVMKIT_TEST_HOOKS). A
 * production build has none of this.
 *
 *   {"cmd": "test-forbidden-syscall", "thread": "main" | "io" | "vcpu"}
 *       that thread issues a system call no allowlist holds; with the
 *       filters on, kvmkit dies with SIGSYS. Reply (if it survives):
 *       {"ok": true, "errno": N} (vcpu: the reply comes before the call).
 *   {"cmd": "test-open", "path": "/etc/hostname"}
 *       the main thread opens PATH read-only and reports
 *       {"ok": true, "errno": N, "error": "..."} (errno 0: it opened).
 *
 * Main thread (the control socket's loop).
 */
#ifndef KVMKIT_TEST_HOOKS_H
#define KVMKIT_TEST_HOOKS_H

#ifdef KVMKIT_TEST_HOOKS
#include "json.h"

struct vm;

/* The reply line for a "test-..." @cmd, or NULL if @cmd is not one. */
char *test_hooks_handle(struct vm *vm, const char *cmd, const struct json_value *req);
#endif

#endif
