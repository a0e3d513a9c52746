/* SPDX-License-Identifier: MIT */
/*
 * Reads the date and time from the CMOS RTC (ports 0x70/0x71) the way
 * Linux's mc146818 code does: waits for UIP clear, reads each register
 * (until two reads agree), BCD as register B says. Prints
 * "KVMKIT-RTC: YYYY-MM-DD HH:MM:SS wday=N", then resets. The port is served on a vCPU thread, under its filter.
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

/* The time registers, in the order read: seconds to century. */
static const uint8_t time_regs[] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };

static void read_time(uint8_t v[sizeof(time_regs)])
{
    while (cmos_read(0x0a) & 0x80)
        ;
    for (unsigned i = 0; i < sizeof(time_regs); i++)
        v[i] = cmos_read(time_regs[i]);
}

void payload_main(const void *boot_params)
{
    (void)boot_params;
    /* Read until two reads agree, as Linux does: a second may tick (a
     * month end) between the registers of one read. */
    uint8_t v[sizeof(time_regs)], again[sizeof(time_regs)];
    read_time(v);
    for (;;) {
        read_time(again);
        unsigned i = 0;
        while (i < sizeof(v) && v[i] == again[i])
            i++;
        if (i == sizeof(v))
            break;
        for (i = 0; i < sizeof(v); i++)
            v[i] = again[i];
    }
    int binary = cmos_read(0x0b) & 0x04;
    unsigned sec = bcd(v[0], binary), min = bcd(v[1], binary), hour = bcd(v[2], binary);
    unsigned wday = bcd(v[3], binary), mday = bcd(v[4], binary), mon = bcd(v[5], binary);
    unsigned year = bcd(v[6], binary), century = bcd(v[7], binary);
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
