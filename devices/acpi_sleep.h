/* SPDX-License-Identifier: MIT */
/*
 * The sleep control and status registers of a hardware-reduced ACPI
 * machine (ACPI 6.5 section 4.8.3.7): two 1-byte I/O registers the FADT
 * names (SLEEP_CONTROL_REG, SLEEP_STATUS_REG), with which the guest enters
 * S5, i.e. powers off. Only S5 is offered (the DSDT has no other \_Sx).
 * The device holds no state: the status register reads 0 (WAK_STS never
 * set: the machine never wakes), so it has nothing to snapshot.
 */
#ifndef KVMKIT_ACPI_SLEEP_H
#define KVMKIT_ACPI_SLEEP_H

#include "bus.h"

/* Register offsets in the 2-port range. */
#define ACPI_SLEEP_CONTROL 0
#define ACPI_SLEEP_STATUS  1
#define ACPI_SLEEP_PORTS   2

/* Sleep control register fields. */
#define ACPI_SLEEP_TYP_SHIFT 2          /* SLP_TYPx, bits 4:2 */
#define ACPI_SLEEP_TYP_MASK  0x1c
#define ACPI_SLEEP_EN        0x20       /* SLP_EN */
/* The SLP_TYP value of S5 the DSDT's \_S5 gives: the guest writes
 * (ACPI_SLEEP_S5_TYP << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_EN. */
#define ACPI_SLEEP_S5_TYP    5

struct acpi_sleep;

/* @poweroff(@opaque) is called (on a vCPU thread) when the guest enters S5. */
struct acpi_sleep *acpi_sleep_new(void (*poweroff)(void *opaque), void *opaque);
void acpi_sleep_free(struct acpi_sleep *s);

/* Register on the port bus, ACPI_SLEEP_PORTS ports. Accesses other than
 * 1 byte wide are ignored (and logged once). */
extern const struct bus_ops acpi_sleep_ops;

#endif
