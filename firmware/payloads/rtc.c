/* SPDX-License-Identifier: MIT */
/*
 * Reads the date and time from the CMOS RTC (ports 0x70/0x71) the way
 * Linux's mc146818 code does: waits for UIP clear, reads each register,
 * BCD as register B says. Prints "KVMKIT-RTC: YYYY-MM-DD HH:MM:SS wday=N",
 * then resets. The port is served on a vCPU thread, under its filter.
 */
#include "lib.h"

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned bcd(uint8_t v, int binary)
{
    return binary ? v : (unsigned)(v >> 4) * 10 + (v & 0xf);
}

static void put2(unsigned v)
{
    serial_putc((char)('0' + v / 10 % 10));
    serial_putc((char)('0' + v % 10));
}

void payload_main(const void *boot_params)
{
    (void)boot_params;
    while (cmos_read(0x0a) & 0x80)
        ;
    int binary = cmos_read(0x0b) & 0x04;
    unsigned sec = bcd(cmos_read(0x00), binary), min = bcd(cmos_read(0x02), binary);
    unsigned hour = bcd(cmos_read(0x04), binary), wday = bcd(cmos_read(0x06), binary);
    unsigned mday = bcd(cmos_read(0x07), binary), mon = bcd(cmos_read(0x08), binary);
    unsigned year = bcd(cmos_read(0x09), binary), century = bcd(cmos_read(0x32), binary);
    serial_puts("KVMKIT-RTC: ");
    put2(century);
    put2(year);
    serial_putc('-');
    put2(mon);
    serial_putc('-');
    put2(mday);
    serial_putc(' ');
    put2(hour);
    serial_putc(':');
    put2(min);
    serial_putc(':');
    put2(sec);
    serial_puts(" wday=");
    serial_put_dec(wday);
    serial_putc('\n');
}
