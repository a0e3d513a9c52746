/* SPDX-License-Identifier: MIT */
/*
 * The machine's ACPI tables (ACPI 6.5): an RSDP (revision 2) and, after
 * it, the XSDT, a hardware-reduced FADT, the MADT and a DSDT in AML
 * (vmm/acpi/aml.h). Linux finds the RSDP by scanning 0xE0000-0xFFFFF, so
 * kvmkit writes the whole blob at X86_ACPI_ADDR (vmm/x86/layout.h), in
 * memory the e820 map reserves. The tables are rebuilt at every boot and
 * live in guest RAM afterwards: a snapshot carries them, and a guest that
 * rewrites them only confuses itself.
 */
#ifndef KVMKIT_X86_ACPI_H
#define KVMKIT_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One virtio-mmio window and the GSI its transport raises (edge, active
 * high: an irqfd pulse). */
struct x86_acpi_virtio {
    uint64_t base;
    uint32_t size;
    unsigned gsi;
};

/* What the tables describe. */
struct x86_acpi_machine {
    unsigned n_cpus;                         /* APIC IDs 0..n_cpus-1; IOAPIC ID n_cpus */
    const struct x86_acpi_virtio *virtio;
    unsigned n_virtio;
    bool i8042;                              /* the PS/2 controller is there */
    uint16_t sleep_port;                     /* sleep control; status at +1 */
};

/*
 * Builds the tables for placing at guest-physical @gpa (16-byte aligned,
 * in 0xE0000-0xFFFFF for the RSDP to be found): the RSDP at offset 0, the
 * other tables after it at the addresses their pointers give. Returns a
 * g_malloc'd blob the caller frees and sets *@len. Never fails.
 */
uint8_t *x86_acpi_build(uint64_t gpa, const struct x86_acpi_machine *m, size_t *len);

#endif
