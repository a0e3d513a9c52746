/* SPDX-License-Identifier: MIT */
/*
 * Loading a static ELF64 executable (a Linux vmlinux, or a firmware
 * payload) into guest memory by physical address: each PT_LOAD segment is
 * copied to p_paddr and its bss zeroed; the entry point is e_entry.
 */
#ifndef KVMKIT_ELF_LOADER_H
#define KVMKIT_ELF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "guest_mem.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
    uint64_t paddr, offset, filesz, memsz;
};

struct elf_info {
    uint64_t entry;
    unsigned n_segments;
    struct elf_segment segments[ELF_MAX_SEGMENTS];
    uint64_t lowest, highest;   /* [lowest, highest) covers every segment */
};

/* True if @img starts with the ELF magic. */
bool elf_probe(const uint8_t *img, size_t len);

/*
 * Validates @img as a 64-bit little-endian executable for @machine (EM_*)
 * and lists its loadable segments. Every offset, size and address is
 * checked against the file and for overflow; the entry point must lie in a
 * segment.
 */
bool elf_parse(const uint8_t *img, size_t len, uint16_t machine,
               struct elf_info *info, GError **errp);

/* Copies the parsed segments into @mem; fails if one is outside RAM. */
bool elf_load(const struct guest_mem *mem, const uint8_t *img,
              const struct elf_info *info, GError **errp);

#endif
