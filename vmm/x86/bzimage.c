/* SPDX-License-Identifier: MIT */
#include "bzimage.h"

#include <string.h>
#include <asm/bootparam.h>

#include "error.h"

/* Offsets of setup_header fields in the image file (boot.rst). */
#define HDR_OFFSET 0x1f1

bool bzimage_probe(const uint8_t *img, size_t len)
{
    return len >= 0x206 && memcmp(img + 0x202, "HdrS", 4) == 0;
}

bool bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
                   GError **errp)
{
    struct setup_header hdr;
    memset(info, 0, sizeof(*info));
    if (len < HDR_OFFSET + sizeof(hdr)) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "too short for a Linux kernel (%zu bytes)", len);
        return false;
    }
    memcpy(&hdr, img + HDR_OFFSET, sizeof(hdr));
    if (hdr.header != 0x53726448 /* "HdrS" */ || hdr.boot_flag != 0xaa55) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "not a Linux bzImage (no \"HdrS\" boot header)");
        return false;
    }
    if (hdr.version < BZIMAGE_MIN_PROTOCOL) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "boot protocol %u.%02u is too old, kvmkit needs 2.12 or later",
                    hdr.version >> 8, hdr.version & 0xff);
        return false;
    }
    if (!(hdr.xloadflags & XLF_KERNEL_64)) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "kernel has no 64-bit entry point (XLF_KERNEL_64 not set)");
        return false;
    }
    if (!(hdr.loadflags & LOADED_HIGH)) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "kernel cannot be loaded at 1 MiB (LOADED_HIGH not set)");
        return false;
    }
    unsigned setup_sects = hdr.setup_sects ? hdr.setup_sects : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    if (setup_size >= len) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "truncated: %zu bytes, but the setup code alone is %zu", len, setup_size);
        return false;
    }
    /* syssize counts 16-byte paragraphs of the protected-mode part. */
    uint64_t sys_bytes = (uint64_t)hdr.syssize * 16;
    if (sys_bytes == 0 || sys_bytes > len - setup_size) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE,
                    "truncated: header says the kernel has %" G_GUINT64_FORMAT
                    " bytes after the setup code, the file has %zu",
                    sys_bytes, len - setup_size);
        return false;
    }
    info->protocol = hdr.version;
    info->setup_size = setup_size;
    info->pm_offset = setup_size;
    info->pm_size = len - setup_size;
    info->initrd_addr_max = hdr.initrd_addr_max ? hdr.initrd_addr_max : 0x37ffffff;
    info->cmdline_size = hdr.cmdline_size ? hdr.cmdline_size : 255;
    info->kernel_alignment = hdr.kernel_alignment;
    info->relocatable = hdr.relocatable_kernel;
    info->pref_address = hdr.pref_address;
    info->init_size = hdr.init_size;
    return true;
}
