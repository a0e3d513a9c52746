/* SPDX-License-Identifier: MIT */
/*
 * The fixture the config suite's files share (test_config.c,
 * test_config_disks.c, test_config_net.c). Each test runs in a fresh
 * temporary directory (the cwd), so config files are written as "vm.conf"
 * and error messages can be compared whole.
 */
#ifndef KVMKIT_TEST_CONFIG_FIXTURE_H
#define KVMKIT_TEST_CONFIG_FIXTURE_H

#include <check.h>
#include <glib.h>

#include "config.h"

/* The test directory (absolute, symlink-free). */
extern char *tmp;

/* The checked fixture: a fresh directory as the cwd, removed after. */
void setup_all(void);
void teardown_all(void);

/* Writes @text to @path. */
void put(const char *path, const char *text);

/* An absolute path under the test directory, and a formatted string; both
 * freed at the end of the test. */
const char *in_tmp(const char *rel);
const char *fmt(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* config_parse_run_args("run", first, ..., NULL) on a fresh config;
 * returns the error message, or NULL on success (*cfg is then left for
 * checks; the caller clears it either way). */
const char *run(struct vm_config *cfg, const char *first, ...);

/* Like run() on a config of its own, and expects failure. */
const char *run_err(const char *first, ...);

/* Writes vm.conf (with a kernel "bzImage" next to it) and runs it. */
const char *file_err(const char *text);

/* file_err() with a [boot] kernel first, for errors found at the end. */
const char *vm_err(const char *text);

#define ck_err(got, expected) ck_assert_str_eq((got), (expected))

/* The tests of test_config_disks.c ([disk], [console]) and
 * test_config_net.c ([net], [log], [metrics], [security], [limits]),
 * added to the suite's one test case in this order. */
void config_disk_tests(TCase *tc);
void config_net_tests(TCase *tc);

#endif
