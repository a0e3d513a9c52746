/* SPDX-License-Identifier: MIT */
/*
 * Parsing of a Linux bzImage's real-mode setup header
 * (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header").
 * Pure functions on a byte buffer: no I/O, no guest memory.
 */
#ifndef KVMKIT_X86_BZIMAGE_H
#define KVMKIT_X86_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Oldest protocol kvmkit boots: 2.12 added xloadflags (XLF_KERNEL_64). */
#define BZIMAGE_MIN_PROTOCOL 0x020c

struct bzimage_info {
    uint16_t protocol;          /* e.g. 0x020f */
    size_t setup_size;          /* bytes of real-mode code + header */
    size_t pm_offset;           /* file offset of the protected-mode kernel */
    size_t pm_size;             /* its size in the file */
    uint32_t initrd_addr_max;   /* highest address the initrd may end at (inclusive) */
    uint32_t cmdline_size;      /* longest command line, without the NUL */
    uint32_t kernel_alignment;
    bool relocatable;
    uint64_t pref_address;
    uint32_t init_size;         /* memory the kernel needs from its load address */
};

/* True if @img starts like a bzImage ("HdrS" at 0x202); no validation. */
bool bzimage_probe(const uint8_t *img, size_t len);

/*
 * Validates the header of @img and fills @info. Refuses, with a message
 * saying why, anything truncated, older than protocol 2.12, without a
 * 64-bit entry point (XLF_KERNEL_64) or not loadable high.
 */
bool bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
                   GError **errp);

#endif
