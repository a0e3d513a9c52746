/* SPDX-License-Identifier: MIT */
/*
 * unit_main: the main() of every unit suite. Each test_NAME.c defines
 * unit_suite(); unit_main.c runs it with check and exits non-zero when a
 * test failed.
 */
#ifndef KVMKIT_UNIT_MAIN_H
#define KVMKIT_UNIT_MAIN_H

#include <check.h>

/* The suite of this test program's module, ready to run. */
Suite *unit_suite(void);

#endif
