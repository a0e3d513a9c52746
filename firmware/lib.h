/* SPDX-License-Identifier: MIT */
/*
 * Freestanding helpers for test payloads: port I/O, polled 16550 output,
 * the boot command line, and ways to end the VM. Payloads run at CPL0,
 * which the PVM host emulates instruction by instruction: keep them short.
 */
#ifndef KVMKIT_FW_LIB_H
#define KVMKIT_FW_LIB_H

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(uint64_t v);
void serial_put_dec(uint64_t v);
int serial_getc(void);  /* blocks until a byte arrives */
/* Prints @n bytes of @p, each non-printable one as '?'. */
void serial_put_printable(const void *p, size_t n);

/* The command line from boot_params (NULL-safe: returns "" if none). */
const char *boot_cmdline(const void *boot_params);

/* The value of KEY=VALUE on @cmdline (a pointer into it, ended by a space
 * or NUL), or NULL if KEY is absent. */
const char *cmdline_value(const char *cmdline, const char *key);

/* The decimal number at @s (stops at the first non-digit); @def if none. */
uint64_t parse_dec(const char *s, uint64_t def);

/* Ends the VM the way Linux's reboot=k does; kvmkit exits 0. */
__attribute__((noreturn)) void reset_via_i8042(void);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif
