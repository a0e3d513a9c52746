/* SPDX-License-Identifier: MIT */
/* Prints a sentinel and the command line it was given, then resets. */
#include "lib.h"

void payload_main(const void *boot_params)
{
    serial_puts("KVMKIT-HELLO\n");
    serial_puts("cmdline=[");
    serial_puts(boot_cmdline(boot_params));
    serial_puts("]\n");
}
