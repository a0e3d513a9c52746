/* SPDX-License-Identifier: MIT */
/*
 * kvmkit's GError domain for everything but configuration errors (which
 * have their own domain in config.h so that main can exit with status 2).
 */
#ifndef KVMKIT_ERROR_H
#define KVMKIT_ERROR_H

#include <stdbool.h>
#include <glib.h>

#define KVMKIT_ERROR (kvmkit_error_quark())
GQuark kvmkit_error_quark(void);

enum kvmkit_error_code {
    KVMKIT_ERROR_HOST,      /* a host resource failed (open, mmap, ioctl) */
    KVMKIT_ERROR_KVM,       /* /dev/kvm is missing, too old or lacks a capability */
    KVMKIT_ERROR_IMAGE,     /* a kernel/initrd image is malformed or does not fit */
    KVMKIT_ERROR_INTERNAL,  /* a bug or a layout conflict inside kvmkit */
    KVMKIT_ERROR_INPUT,     /* bad user input detected after config parsing */
};

/* g_set_error() that returns false, for one-line refusals. */
bool kvmkit_fail(GError **errp, enum kvmkit_error_code code, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

#endif
