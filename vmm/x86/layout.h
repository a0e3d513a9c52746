/* SPDX-License-Identifier: MIT */
/*
 * The x86 machine's guest-physical memory map and fixed resources, all in
 * one place. Low memory (below 1 MiB) holds what the boot protocol and the
 * MP specification need; the kernel goes at 1 MiB; a 1 GiB hole below
 * 4 GiB is kept for MMIO devices and KVM's private pages.
 */
#ifndef KVMKIT_X86_LAYOUT_H
#define KVMKIT_X86_LAYOUT_H

#define X86_GDT_ADDR          0x0500ULL    /* flat boot GDT */
#define X86_BOOT_PARAMS_ADDR  0x7000ULL    /* "zero page" (struct boot_params) */
#define X86_PML4_ADDR         0x9000ULL    /* identity map: PML4, PDPT, 4 PDs */
#define X86_PDPT_ADDR         0xa000ULL
#define X86_PD_ADDR           0xb000ULL    /* 4 pages: 0xb000-0xefff, 2 MiB pages up to 4 GiB */
#define X86_SETUP_DATA_ADDR   0x10000ULL   /* setup_data chain (RNG seed) */
#define X86_CMDLINE_ADDR      0x20000ULL
#define X86_CMDLINE_MAX       0x10000ULL   /* bytes reserved, including NUL */
#define X86_EBDA_START        0x9fc00ULL   /* end of usable base memory */
#define X86_ACPI_ADDR         0xe0000ULL   /* RSDP, then the other ACPI tables (BIOS area) */
#define X86_ACPI_MAX          0x10000ULL   /* bytes for them, up to the MP table */
#define X86_MPTABLE_ADDR      0xf0000ULL   /* MP floating pointer + table (BIOS area) */
#define X86_HIMEM_START       0x100000ULL  /* 1 MiB: protected-mode kernel */

#define X86_MMIO_HOLE_START   0xc0000000ULL  /* 3 GiB */
#define X86_MMIO_HOLE_END     0x100000000ULL /* 4 GiB */
#define X86_TSS_ADDR          0xfffbd000ULL  /* KVM_SET_TSS_ADDR (3 pages), in the hole */
#define X86_IDENTITY_MAP_ADDR 0xfffbc000ULL  /* KVM_SET_IDENTITY_MAP_ADDR (1 page) */
#define X86_IOAPIC_ADDR       0xfec00000ULL
#define X86_LAPIC_ADDR        0xfee00000ULL

/* Virtio-mmio windows, one 4 KiB page and one GSI each. The GSIs are ISA
 * IRQs no legacy device here uses (4 is COM1, 8 the RTC, 13 the FPU), so
 * the MP table's identity ISA wiring covers them. */
#define X86_VIRTIO_MMIO_BASE  0xd0000000ULL
#define X86_VIRTIO_MMIO_SIZE  0x1000ULL
#define X86_VIRTIO_GSIS       { 5, 6, 7, 9, 10, 11, 12, 14, 15 }

/* Legacy ISA devices. */
#define X86_COM1_PORT  0x3f8
#define X86_COM1_IRQ   4
#define X86_I8042_DATA 0x60
#define X86_I8042_CMD  0x64
#define X86_RTC_PORT   0x70
#define X86_RTC_IRQ    8

/* The ACPI sleep control (+0) and status (+1) registers the FADT names
 * (devices/acpi_sleep.h): a port range no PC device uses. */
#define X86_ACPI_SLEEP_PORT 0x600

/* Boot GDT selectors, as Linux's 64-bit boot protocol expects (__BOOT_CS/DS). */
#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18

#endif
