/* SPDX-License-Identifier: MIT */
#include "bootparams.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <asm/e820.h>

#include "error.h"
#include "x86/layout.h"

#ifndef E820_RAM
#define E820_RAM 1
#define E820_RESERVED 2
#endif

uint64_t x86_low_ram_end(uint64_t ram_size)
{
    return MIN(ram_size, X86_MMIO_HOLE_START);
}

unsigned x86_e820_build(uint64_t ram_size, struct boot_e820_entry *out, unsigned max)
{
    unsigned n = 0;
#define ADD(a, s, t) do { if (n < max) out[n++] = (struct boot_e820_entry){ .addr = (a), .size = (s), .type = (t) }; } while (0)
    /* Base memory up to the EBDA; the BIOS area above it holds the MP table. */
    ADD(0, X86_EBDA_START, E820_RAM);
    ADD(X86_EBDA_START, X86_HIMEM_START - X86_EBDA_START, E820_RESERVED);
    uint64_t low_end = x86_low_ram_end(ram_size);
    if (low_end > X86_HIMEM_START)
        ADD(X86_HIMEM_START, low_end - X86_HIMEM_START, E820_RAM);
    if (ram_size > X86_MMIO_HOLE_START)
        ADD(X86_MMIO_HOLE_END, ram_size - X86_MMIO_HOLE_START, E820_RAM);
#undef ADD
    return n;
}

void x86_boot_params_fill(struct boot_params *bp, const struct x86_boot_input *in)
{
    struct setup_header *hdr = &bp->hdr;
    if (in->setup_header) {
        /* The header's extent is 0x202 + the byte at 0x201 (boot.rst). */
        size_t hdr_len = sizeof(*hdr);
        if (in->setup_header_len > 0x201 - 0x1f1) {
            size_t end = 0x202 + in->setup_header[0x201 - 0x1f1];
            hdr_len = MIN(hdr_len, end - 0x1f1);
        }
        hdr_len = MIN(hdr_len, in->setup_header_len);
        memcpy(hdr, in->setup_header, hdr_len);
    } else {
        /* An ELF vmlinux has no header: provide what the kernel reads. */
        hdr->boot_flag = 0xaa55;
        hdr->header = 0x53726448;
        hdr->kernel_alignment = 0x1000000;
        hdr->cmdline_size = in->cmdline_len;
    }
    hdr->type_of_loader = 0xff;
    hdr->loadflags |= CAN_USE_HEAP;
    hdr->heap_end_ptr = 0xfe00;     /* only meaningful to real-mode setup code */
    hdr->cmd_line_ptr = (uint32_t)in->cmdline_gpa;
    bp->ext_cmd_line_ptr = (uint32_t)(in->cmdline_gpa >> 32);
    hdr->ramdisk_image = (uint32_t)in->initrd_gpa;
    hdr->ramdisk_size = (uint32_t)in->initrd_size;
    bp->ext_ramdisk_image = (uint32_t)(in->initrd_gpa >> 32);
    bp->ext_ramdisk_size = (uint32_t)(in->initrd_size >> 32);
    hdr->setup_data = in->setup_data_gpa;
    /* Boot protocol 2.14: saves the kernel its scan of the BIOS area. */
    bp->acpi_rsdp_addr = in->acpi_rsdp_gpa;
    /* Tell the kernel the screen_info is empty: no VGA console. */
    bp->screen_info.orig_video_isVGA = 0;
    bp->e820_entries = x86_e820_build(in->ram_size, bp->e820_table,
                                      E820_MAX_ENTRIES_ZEROPAGE);
}

bool x86_setup_rng_seed(const struct guest_mem *mem, uint64_t gpa, size_t seed_len,
                        uint64_t next, GError **errp)
{
    struct setup_data *sd = guest_mem_ptr(mem, gpa, sizeof(*sd) + seed_len);
    if (!sd) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL, "no RAM for the RNG seed");
        return false;
    }
    sd->next = next;
    sd->type = SETUP_RNG_SEED;
    sd->len = seed_len;
    size_t got = 0;
    while (got < seed_len) {
        ssize_t n = getrandom(sd->data + got, seed_len - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST, "getrandom: %s",
                        g_strerror(errno));
            return false;
        }
        got += n;
    }
    return true;
}
