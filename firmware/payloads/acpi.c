/* SPDX-License-Identifier: MIT */
/*
 * Finds the ACPI tables the way an operating system does: the RSDP on a
 * 16-byte boundary in 0xE0000-0xFFFFF (ACPI 6.5 section 5.2.5.1), its two
 * checksums, then each table the XSDT lists (and the DSDT the FADT points
 * at): signature, length, checksum. Prints "ACPI table SIG ok" for each,
 * the MADT's count of enabled local APICs, and the sentinel
 * "KVMKIT-ACPI: ok" (or "KVMKIT-ACPI: FAIL ..." / "KVMKIT-ACPI: no RSDP").
 *
 * With acpi-test=poweroff on the command line it then powers off as Linux
 * does on a hardware-reduced machine: SLP_TYP from the DSDT's \_S5 and
 * SLP_EN, written to the FADT's sleep control register; a 2-byte write
 * first, which kvmkit must ignore. kvmkit should exit 0 without the
 * payload printing "still running".
 */
#include "lib.h"

#define BIOS_START 0xe0000
#define BIOS_END   0x100000

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)a; }
static uint64_t rd64(uint64_t a) { return rd32(a) | (uint64_t)rd32(a + 4) << 32; }

static int same(const void *a, const char *b, size_t n)
{
    const char *p = a;
    for (size_t i = 0; i < n; i++)
        if (p[i] != b[i])
            return 0;
    return 1;
}

static uint8_t sum8(uint64_t a, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += *(volatile uint8_t *)(a + i);
    return s;
}

static void fail(const char *why, uint64_t v)
{
    serial_puts("KVMKIT-ACPI: FAIL ");
    serial_puts(why);
    serial_puts(" ");
    serial_put_hex(v);
    serial_puts("\n");
}

/* Checks the table at @a (below 4 GiB, identity-mapped); @sig or NULL for
 * any printable one. Prints its line; returns its length or 0. */
static uint32_t check_table(uint64_t a, const char *sig)
{
    if (a < 0x1000 || a >= 0x100000000ULL) {
        fail("table address", a);
        return 0;
    }
    const char *s = (const char *)a;
    for (int i = 0; i < 4; i++) {
        if (s[i] < 'A' || s[i] > 'Z') {
            fail("table signature at", a);
            return 0;
        }
    }
    if (sig && !same(s, sig, 4)) {
        fail("unexpected table at", a);
        return 0;
    }
    uint32_t len = rd32(a + 4);
    if (len < 36 || len > 0x10000) {
        fail("table length", len);
        return 0;
    }
    if (sum8(a, len) != 0) {
        fail("table checksum at", a);
        return 0;
    }
    serial_puts("ACPI table ");
    for (int i = 0; i < 4; i++)
        serial_putc(s[i]);
    serial_puts(" ok\n");
    return len;
}

static uint64_t find_rsdp(void)
{
    for (uint64_t a = BIOS_START; a < BIOS_END; a += 16) {
        if (!same((const void *)a, "RSD PTR ", 8) || sum8(a, 20) != 0)
            continue;
        uint8_t rev = *(volatile uint8_t *)(a + 15);
        if (rev < 2 || rd32(a + 20) < 36 || sum8(a, rd32(a + 20)) != 0) {
            fail("RSDP revision or extended checksum at", a);
            return 0;
        }
        serial_puts("ACPI RSDP rev ");
        serial_put_dec(rev);
        serial_puts(" ok\n");
        return a;
    }
    serial_puts("KVMKIT-ACPI: no RSDP\n");
    return 0;
}

static unsigned count_lapics(uint64_t madt, uint32_t len)
{
    unsigned n = 0;
    for (uint64_t p = madt + 44; p + 2 <= madt + len;) {
        uint8_t type = *(volatile uint8_t *)p, elen = *(volatile uint8_t *)(p + 1);
        if (elen < 2)
            break;
        if (type == 0 && elen >= 8 && (rd32(p + 4) & 1))
            n++;
        p += elen;
    }
    return n;
}

/* SLP_TYPa from "Name (_S5, Package () {typ, ...})" in the DSDT, or -1. */
static int s5_type(uint64_t dsdt, uint32_t len)
{
    for (uint64_t p = dsdt + 36; p + 10 <= dsdt + len; p++) {
        const uint8_t *b = (const uint8_t *)p;
        if (b[0] != 0x08 || !same(b + 1, "_S5_", 4) || b[5] != 0x12)
            continue;
        const uint8_t *q = b + 6;
        q += 1 + (q[0] >> 6);       /* PkgLength */
        q++;                        /* NumElements */
        switch (q[0]) {
        case 0x00: return 0;
        case 0x01: return 1;
        case 0x0a: return q[1];
        default:   return -1;
        }
    }
    return -1;
}

static void poweroff(uint64_t dsdt, uint32_t dsdt_len, uint64_t fadt)
{
    int typ = s5_type(dsdt, dsdt_len);
    uint8_t space = *(volatile uint8_t *)(fadt + 244);
    uint64_t port = rd64(fadt + 248);
    if (typ < 0 || space != 1 || port == 0 || port > 0xffff) {
        fail("no \\_S5 or sleep control register", (uint64_t)typ);
        return;
    }
    serial_puts("ACPI S5: SLP_TYP ");
    serial_put_dec((uint64_t)typ);
    serial_puts(", port ");
    serial_put_hex(port);
    serial_puts("\n");
    uint8_t v = (uint8_t)(((typ & 7) << 2) | 0x20);
    outw((uint16_t)port, v);        /* the wrong width: ignored */
    serial_puts("ACPI S5: after the 2-byte write\n");
    outb((uint16_t)port, v);
    serial_puts("KVMKIT-ACPI: still running after S5\n");
}

void payload_main(const void *boot_params)
{
    uint64_t rsdp = find_rsdp();
    if (!rsdp)
        return;
    uint64_t xsdt = rd64(rsdp + 24);
    uint32_t xlen = check_table(xsdt, "XSDT");
    if (!xlen)
        return;
    unsigned n_tables = 1;
    uint64_t fadt = 0, dsdt = 0;
    uint32_t dsdt_len = 0;
    for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
        uint64_t t = rd64(xsdt + off);
        uint32_t len = check_table(t, NULL);
        if (!len)
            return;
        n_tables++;
        if (same((const void *)t, "FACP", 4)) {
            fadt = t;
            dsdt = len >= 148 ? rd64(t + 140) : 0;
            if (!dsdt)
                dsdt = rd32(t + 40);
            dsdt_len = check_table(dsdt, "DSDT");
            if (!dsdt_len)
                return;
            n_tables++;
        } else if (same((const void *)t, "APIC", 4)) {
            serial_puts("ACPI MADT LAPIC entries: ");
            serial_put_dec(count_lapics(t, len));
            serial_puts("\n");
        }
    }
    if (!fadt) {
        fail("no FADT in the XSDT", xsdt);
        return;
    }
    serial_puts("ACPI tables: ");
    serial_put_dec(n_tables);
    serial_puts("\nKVMKIT-ACPI: ok\n");

    const char *mode = cmdline_value(boot_cmdline(boot_params), "acpi-test");
    if (mode && same(mode, "poweroff", 8))
        poweroff(dsdt, dsdt_len, fadt);
}
