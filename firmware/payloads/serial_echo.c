/* SPDX-License-Identifier: MIT */
/*
 * Reads one line from COM1 by polling LSR.DR (no interrupts) and echoes it:
 * checks that kvmkit streams its stdin into the 16550's receiver.
 */
#include "lib.h"

#define LINE_MAX 128

void payload_main(const void *boot_params)
{
    char line[LINE_MAX + 1];
    size_t n = 0;
    (void)boot_params;
    serial_puts("KVMKIT-ECHO-READY\n");
    for (;;) {
        int c = serial_getc();
        if (c == '\n' || c == '\r')
            break;
        if (n < LINE_MAX)   /* a longer line is cut, not overflowed */
            line[n++] = (char)c;
    }
    line[n] = 0;
    serial_puts("KVMKIT-ECHO: ");
    serial_puts(line);
    serial_puts("\n");
}
