/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables: how a guest without ACPI
 * learns its CPUs, its IOAPIC and how ISA interrupts are wired.
 */
#ifndef KVMKIT_X86_MPTABLE_H
#define KVMKIT_X86_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes the tables take for @n_cpus. */
size_t x86_mptable_size(unsigned n_cpus);

/*
 * Writes the floating pointer and configuration table for @n_cpus CPUs
 * (APIC ids 0..n-1, CPU 0 the BSP), one ISA bus, one IOAPIC (id n_cpus)
 * with ISA IRQs 0-15 wired to its pins 0-15, at @buf which lives at
 * guest-physical @gpa. @buf must hold x86_mptable_size() bytes.
 */
void x86_mptable_write(uint8_t *buf, uint64_t gpa, unsigned n_cpus);

#endif
