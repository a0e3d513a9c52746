/* SPDX-License-Identifier: MIT */
/*
 * seccomp_rules: the allowlists of vmm/security/seccomp_filter.h as libseccomp
 * rules, and the BPF programs compiled from them at build time.
 */
#ifndef KVMKIT_SECCOMP_RULES_H
#define KVMKIT_SECCOMP_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <linux/filter.h>

#include "seccomp_filter.h"

/*
 * The programs name the process they belong to (tgkill only to itself).
 * Built programs hold this value there instead, in exactly one
 * instruction (@pid_at); the loader puts getpid() in its place. Above
 * PID_MAX_LIMIT (2^22), so never a real pid.
 */
#define SECCOMP_RULES_PID_PLACEHOLDER 0x7e5ecc1dU

struct seccomp_program {
    const struct sock_filter *insns;
    unsigned short len;
    unsigned short pid_at;
};

/* The built programs (seccomp_programs.c, made by vmm/security/seccomp_gen.c),
 * by [log mode][enum seccomp_filter_kind]. */
extern const struct seccomp_program seccomp_programs[2][2];

/* The libseccomp version the built programs came from, "major.minor.micro". */
extern const char seccomp_programs_libseccomp[];

/*
 * Compiles the @kind allowlist with libseccomp: calls outside it are
 * logged (@log) or kill the process; @pid is the process whose threads
 * it may signal. On success *@insns (g_free) holds *@len instructions.
 * Build time and tests only: kvmkit itself does not link libseccomp.
 */
bool seccomp_rules_compile(bool log, enum seccomp_filter_kind kind, uint32_t pid,
                           struct sock_filter **insns, unsigned short *len, GError **errp);

#endif
