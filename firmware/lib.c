/* SPDX-License-Identifier: MIT */
#include "lib.h"

#define COM1 0x3f8
#define LSR_DR 0x01
#define LSR_THRE 0x20

void serial_putc(char c)
{
    while (!(inb(COM1 + 5) & LSR_THRE))
        ;
    outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            serial_putc('\r');
        serial_putc(*s++);
    }
}

void serial_put_hex(uint64_t v)
{
    char buf[19] = "0x";
    int n = 2;
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        buf[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
    buf[n] = 0;
    serial_puts(buf);
}

void serial_put_dec(uint64_t v)
{
    char buf[21];
    int n = 20;
    buf[n] = 0;
    do {
        buf[--n] = '0' + v % 10;
        v /= 10;
    } while (v);
    serial_puts(buf + n);
}

void serial_put_printable(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        serial_putc(b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '?');
}

int serial_getc(void)
{
    while (!(inb(COM1 + 5) & LSR_DR))
        ;
    return inb(COM1);
}

const char *boot_cmdline(const void *boot_params)
{
    /* struct boot_params: hdr.cmd_line_ptr at 0x228, ext_cmd_line_ptr at 0x0c8. */
    const uint8_t *bp = boot_params;
    if (!bp)
        return "";
    uint64_t lo = *(const uint32_t *)(bp + 0x228);
    uint64_t hi = *(const uint32_t *)(bp + 0x0c8);
    uint64_t p = lo | hi << 32;
    return p ? (const char *)p : "";
}

const char *cmdline_value(const char *cmdline, const char *key)
{
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *k = key;
        while (*k && *p == *k)
            p++, k++;
        if (!*k && *p == '=')   /* p started at a token: a whole-key match */
            return p + 1;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

uint64_t parse_dec(const char *s, uint64_t def)
{
    if (!s || *s < '0' || *s > '9')
        return def;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

void reset_via_i8042(void)
{
    outb(0x64, 0xfe);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
