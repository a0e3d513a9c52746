/* SPDX-License-Identifier: MIT */
/*
 * The "zero page" (struct boot_params) handed to a Linux kernel entered
 * through the 64-bit boot protocol, with its e820 map, command line,
 * initrd and setup_data chain (Documentation/arch/x86/boot.rst,
 * zero-page.rst).
 */
#ifndef KVMKIT_X86_BOOTPARAMS_H
#define KVMKIT_X86_BOOTPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include <asm/bootparam.h>

#include "guest_mem.h"

/* e820 map for @ram_size bytes of RAM laid out by arch_ram_layout(). */
unsigned x86_e820_build(uint64_t ram_size, struct boot_e820_entry *out, unsigned max);

/* Highest address + 1 of RAM below the 32-bit MMIO hole. */
uint64_t x86_low_ram_end(uint64_t ram_size);

struct x86_boot_input {
    const uint8_t *setup_header;    /* the kernel's header bytes (from 0x1f1), or NULL for ELF */
    size_t setup_header_len;
    uint64_t ram_size;
    uint64_t cmdline_gpa;
    uint32_t cmdline_len;           /* without NUL */
    uint64_t initrd_gpa, initrd_size;
    uint64_t setup_data_gpa;        /* first setup_data node, or 0 */
    uint64_t acpi_rsdp_gpa;         /* the ACPI RSDP, or 0 (the kernel scans) */
};

/*
 * Fills @bp (zeroed by the caller) from @in: copies the kernel's setup
 * header (bounded by its own length byte, boot.rst "Details of header
 * fields"), marks the loader as "undefined" (0xff), points at the command
 * line, initrd and setup_data, and writes the e820 table.
 */
void x86_boot_params_fill(struct boot_params *bp, const struct x86_boot_input *in);

/*
 * Writes a SETUP_RNG_SEED setup_data node with @seed_len random bytes at
 * @gpa, chained to @next (0 ends the chain). False if the seed cannot be
 * read or the node does not fit in RAM.
 */
bool x86_setup_rng_seed(const struct guest_mem *mem, uint64_t gpa, size_t seed_len,
                        uint64_t next, GError **errp);

#endif
