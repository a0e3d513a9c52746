/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/x86/acpi.c: walk the tables the way a guest does
 * (RSDP -> XSDT -> FADT -> DSDT, MADT) and check each one's signature,
 * length, checksum and contents; then have iasl, the ACPICA disassembler,
 * read them back (skipped when iasl is not installed).
 */
#include "x86/acpi.h"

#include <check.h>
#include "unit_main.h"
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "acpi_sleep.h"
#include "le_bytes.h"
#include "x86/layout.h"

#define GPA X86_ACPI_ADDR


struct tables {
    uint8_t *blob;
    size_t len;
    const uint8_t *xsdt, *fadt, *madt, *dsdt;
    struct x86_acpi_virtio virtio[9];
};

/* The table at guest address @gpa, checked: inside the blob, signature,
 * length, checksum. */
static const uint8_t *table_at(const struct tables *t, uint64_t gpa, const char *sig)
{
    ck_assert_uint_ge(gpa, GPA);
    ck_assert_uint_le(gpa + 36, GPA + t->len);
    const uint8_t *p = t->blob + (gpa - GPA);
    ck_assert_mem_eq(p, sig, 4);
    uint32_t len = rd32(p + 4);
    ck_assert_uint_ge(len, 36);
    ck_assert_uint_le(gpa + len, GPA + t->len);
    ck_assert_msg(sum8(p, len) == 0, "%s checksum", sig);
    ck_assert_mem_eq(p + 10, "KVMKIT", 6);
    return p;
}

static void build(struct tables *t, unsigned n_cpus, unsigned n_virtio, bool i8042)
{
    static const unsigned gsis[] = X86_VIRTIO_GSIS;
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < G_N_ELEMENTS(t->virtio); i++)
        t->virtio[i] = (struct x86_acpi_virtio){
            .base = X86_VIRTIO_MMIO_BASE + i * X86_VIRTIO_MMIO_SIZE,
            .size = X86_VIRTIO_MMIO_SIZE, .gsi = gsis[i] };
    struct x86_acpi_machine m = {
        .n_cpus = n_cpus, .virtio = t->virtio, .n_virtio = n_virtio, .i8042 = i8042,
        .sleep_port = X86_ACPI_SLEEP_PORT,
    };
    t->blob = x86_acpi_build(GPA, &m, &t->len);
    ck_assert_uint_le(t->len, X86_ACPI_MAX);

    /* RSDP: revision 2, both checksums, 16-byte aligned (GPA is). */
    const uint8_t *r = t->blob;
    ck_assert_mem_eq(r, "RSD PTR ", 8);
    ck_assert_uint_eq(sum8(r, 20), 0);
    ck_assert_uint_eq(r[15], 2);
    ck_assert_uint_eq(rd32(r + 20), 36);
    ck_assert_uint_eq(sum8(r, 36), 0);
    ck_assert_uint_eq(GPA % 16, 0);

    t->xsdt = table_at(t, rd64(r + 24), "XSDT");
    uint32_t xlen = rd32(t->xsdt + 4);
    ck_assert_uint_eq(xlen, 36 + 2 * 8);
    t->fadt = table_at(t, rd64(t->xsdt + 36), "FACP");
    t->madt = table_at(t, rd64(t->xsdt + 44), "APIC");
    t->dsdt = table_at(t, rd64(t->fadt + 140), "DSDT");
}

START_TEST(test_fadt)
{
    struct tables t;
    build(&t, 1, 0, true);
    const uint8_t *f = t.fadt;
    ck_assert_uint_eq(rd32(f + 4), 276);
    ck_assert_uint_eq(f[8], 6);                     /* revision */
    ck_assert_uint_eq(f[131], 5);                   /* minor: 6.5 */
    ck_assert_uint_eq(rd32(f + 40), 0);             /* DSDT: X_DSDT only */
    ck_assert_uint_eq(rd32(f + 112) & (1u << 20), 1u << 20);    /* HW_REDUCED_ACPI */
    ck_assert_uint_eq(rd16(f + 46), 0);             /* no SCI */
    ck_assert_uint_eq(rd32(f + 56), 0);             /* no PM1a event block */
    ck_assert_uint_eq(rd32(f + 64), 0);
    ck_assert_uint_eq(rd16(f + 109), 0x6);          /* 8042 | VGA not present */
    ck_assert_uint_eq(f[108], 0x32);                /* CMOS century */
    /* Sleep control and status: 1-byte system-I/O registers. */
    static const uint8_t gas_hdr[4] = { 1, 8, 0, 1 };
    ck_assert_mem_eq(f + 244, gas_hdr, 4);
    ck_assert_uint_eq(rd64(f + 248), X86_ACPI_SLEEP_PORT + ACPI_SLEEP_CONTROL);
    ck_assert_mem_eq(f + 256, gas_hdr, 4);
    ck_assert_uint_eq(rd64(f + 260), X86_ACPI_SLEEP_PORT + ACPI_SLEEP_STATUS);
    g_free(t.blob);

    build(&t, 1, 0, false);
    ck_assert_uint_eq(rd16(t.fadt + 109), 0x4);     /* no 8042 */
    g_free(t.blob);
}
END_TEST

static void check_madt(unsigned n_cpus)
{
    struct tables t;
    build(&t, n_cpus, 0, true);
    const uint8_t *m = t.madt;
    uint32_t len = rd32(m + 4);
    ck_assert_uint_eq(rd32(m + 36), X86_LAPIC_ADDR);
    ck_assert_uint_eq(rd32(m + 40), 1);             /* PCAT_COMPAT */
    unsigned n_lapic = 0, n_ioapic = 0, n_iso = 0, n_nmi = 0;
    const uint8_t *p = m + 44, *end = m + len;
    while (p < end) {
        ck_assert_uint_ge(p[1], 2);
        ck_assert(p + p[1] <= end);
        switch (p[0]) {
        case 0:
            ck_assert_uint_eq(p[1], 8);
            ck_assert_uint_eq(p[2], n_lapic);       /* processor UID */
            ck_assert_uint_eq(p[3], n_lapic);       /* APIC ID */
            ck_assert_uint_eq(rd32(p + 4), 1);      /* enabled */
            n_lapic++;
            break;
        case 1:
            ck_assert_uint_eq(p[1], 12);
            ck_assert_uint_eq(p[2], n_cpus);        /* ID after the CPUs', as the MP table */
            ck_assert_uint_eq(rd32(p + 4), X86_IOAPIC_ADDR);
            ck_assert_uint_eq(rd32(p + 8), 0);      /* GSI base */
            n_ioapic++;
            break;
        case 2:
            ck_assert_uint_eq(p[1], 10);
            ck_assert_uint_eq(p[2], 0);             /* ISA */
            ck_assert_uint_eq(p[3], 0);             /* IRQ 0 ... */
            ck_assert_uint_eq(rd32(p + 4), 0);      /* ... on pin 0, KVM's routing */
            ck_assert_uint_eq(rd16(p + 8), 0);
            n_iso++;
            break;
        case 4:
            ck_assert_uint_eq(p[1], 6);
            ck_assert_uint_eq(p[2], 0xff);
            ck_assert_uint_eq(p[5], 1);             /* LINT1 */
            n_nmi++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", p[0]);
        }
        p += p[1];
    }
    ck_assert_ptr_eq(p, end);
    ck_assert_uint_eq(n_lapic, n_cpus);
    ck_assert_uint_eq(n_ioapic, 1);
    ck_assert_uint_eq(n_iso, 1);
    ck_assert_uint_eq(n_nmi, 1);
    ck_assert_uint_eq(len, 44 + 8 * n_cpus + 12 + 10 + 6);
    g_free(t.blob);
}

static const unsigned madt_cpus[] = { 1, 2, 8, 64 };

START_TEST(test_madt)
{
    check_madt(madt_cpus[_i]);
}
END_TEST

static unsigned count_bytes(const uint8_t *p, size_t len, const void *needle, size_t n)
{
    unsigned c = 0;
    for (size_t i = 0; i + n <= len; i++)
        c += memcmp(p + i, needle, n) == 0;
    return c;
}

START_TEST(test_dsdt_device_mix)
{
    for (unsigned n = 0; n <= 9; n++) {
        struct tables t;
        build(&t, 2, n, n % 2 == 0);
        uint32_t len = rd32(t.dsdt + 4);
        ck_assert_uint_eq(t.dsdt[8], 2);            /* 64-bit integers */
        ck_assert_uint_eq(count_bytes(t.dsdt, len, "LNRO0005", 8), n);
        ck_assert_uint_eq(count_bytes(t.dsdt, len, "_S5_", 4), 1);
        ck_assert_uint_eq(count_bytes(t.dsdt, len, "COM1", 4), 1);
        ck_assert_uint_eq(count_bytes(t.dsdt, len, "PS2K", 4), n % 2 == 0);
        /* \_S5 as the sleep device expects: Package (4) { 5, 0, 0, 0 }. */
        static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04,
                                      0x0a, ACPI_SLEEP_S5_TYP, 0, 0, 0 };
        ck_assert_uint_eq(count_bytes(t.dsdt, len, s5, sizeof(s5)), 1);
        /* Every virtio window's Memory32Fixed and edge/high Interrupt. */
        for (unsigned i = 0; i < n; i++) {
            uint8_t mem[12] = { 0x86, 0x09, 0x00, 0x01 };
            uint32_t base = (uint32_t)t.virtio[i].base, size = 0x1000;
            memcpy(mem + 4, &base, 4);
            memcpy(mem + 8, &size, 4);
            ck_assert_uint_eq(count_bytes(t.dsdt, len, mem, sizeof(mem)), 1);
            uint8_t irq[9] = { 0x89, 0x06, 0x00, 0x03, 0x01 };
            uint32_t gsi = t.virtio[i].gsi;
            memcpy(irq + 5, &gsi, 4);
            ck_assert_uint_eq(count_bytes(t.dsdt, len, irq, sizeof(irq)), 1);
        }
        g_free(t.blob);
    }
}
END_TEST

/* ---- iasl ---- */

/* @text without comments, its whitespace runs made one space. */
static char *normalize(const char *text)
{
    GString *out = g_string_new(NULL);
    bool space = false;
    for (const char *p = text; *p; p++) {
        if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
            if (!*p)
                break;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *close = strstr(p + 2, "*/");
            if (!close)
                break;
            /* Whitespace before a comment goes, after it stays. */
            p = close + 1;
            space = false;
            continue;
        }
        if (g_ascii_isspace(*p)) {
            space = true;
            continue;
        }
        if (space && out->len)
            g_string_append_c(out, ' ');
        space = false;
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* False, saying that @test is skipped, if iasl is not installed. */
static bool iasl_found(const char *test)
{
    g_autofree char *iasl = g_find_program_in_path("iasl");
    if (!iasl)
        fprintf(stderr, "%s: skipped, iasl not found (Debian: acpica-tools)\n", test);
    return iasl != NULL;
}

/* Disassembles @table with `iasl -d` in a temporary directory; returns
 * what iasl wrote. */
static char *iasl_disassemble(const uint8_t *table, const char *name)
{
    g_autofree char *iasl = g_find_program_in_path("iasl");
    ck_assert_ptr_nonnull(iasl);
    g_autofree char *dir = g_dir_make_tmp("kvmkit-acpi-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    g_autofree char *bin = g_strdup_printf("%s/%s.dat", dir, name);
    g_autofree char *dsl = g_strdup_printf("%s/%s.dsl", dir, name);
    ck_assert(g_file_set_contents(bin, (const char *)table, rd32(table + 4), NULL));
    g_autofree char *bin_base = g_strdup_printf("%s.dat", name);
    const char *argv[] = { iasl, "-d", bin_base, NULL };
    g_autofree char *out = NULL, *err = NULL;
    int status;
    ck_assert(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "iasl -d failed: %s%s", out, err);
    g_autofree char *text = NULL;
    ck_assert_msg(g_file_get_contents(dsl, &text, NULL, NULL), "iasl wrote no %s", dsl);
    g_unlink(bin);
    g_unlink(dsl);
    g_rmdir(dir);
    return g_steal_pointer(&text);
}

/* @fragment is in @text, both without comments and with any whitespace
 * run made one space. */
static void ck_has(const char *text, const char *fragment)
{
    g_autofree char *asl = normalize(text);
    g_autofree char *want = normalize(fragment);
    if (!strstr(asl, want))
        fprintf(stderr, "ASL:\n%s\n", asl);
    ck_assert_msg(strstr(asl, want), "ASL lacks \"%s\" (printed above)", want);
}

START_TEST(test_iasl_dsdt)
{
    if (!iasl_found("test_iasl_dsdt"))
        return;
    struct tables t;
    build(&t, 2, 3, true);
    g_autofree char *asl = iasl_disassemble(t.dsdt, "dsdt");
    ck_has(asl, "Scope (\\_SB) {");
    ck_has(asl, "Device (COM1) { Name (_HID, EisaId (\"PNP0501\")) Name (_UID, Zero)"
                " Name (_CRS, ResourceTemplate () {"
                " IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08, ) IRQNoFlags () {4} }) }");
    ck_has(asl, "Device (RTC) { Name (_HID, EisaId (\"PNP0B00\"))"
                " Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0070, 0x0070, 0x01, 0x02, ) }) }");
    ck_has(asl, "Device (PS2K) { Name (_HID, EisaId (\"PNP0303\"))");
    ck_has(asl, "IO (Decode16, 0x0060, 0x0060, 0x01, 0x01, ) IO (Decode16, 0x0064, 0x0064, 0x01, 0x01, )"
                " IRQNoFlags () {1}");
    ck_has(asl, "Device (VR00) { Name (_HID, \"LNRO0005\") Name (_UID, Zero)"
                " Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, 0xD0000000, 0x00001000, )"
                " Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 0x00000005, } }) }");
    ck_has(asl, "Device (VR01) { Name (_HID, \"LNRO0005\") Name (_UID, One)"
                " Name (_CRS, ResourceTemplate () { Memory32Fixed (ReadWrite, 0xD0001000, 0x00001000, )"
                " Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 0x00000006, } }) }");
    ck_has(asl, "Device (VR02) { Name (_HID, \"LNRO0005\") Name (_UID, 0x02)");
    ck_has(asl, "0x00000007, }");
    ck_assert(!strstr(asl, "VR03"));
    ck_has(asl, "Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero })");
    g_free(t.blob);
}
END_TEST

START_TEST(test_iasl_fadt_madt)
{
    if (!iasl_found("test_iasl_fadt_madt"))
        return;
    struct tables t;
    build(&t, 2, 0, true);
    g_autofree char *fadt = iasl_disassemble(t.fadt, "facp");
    g_autofree char *madt = iasl_disassemble(t.madt, "apic");
    /* iasl checks each checksum and says so if one is wrong. */
    ck_assert(!strstr(fadt, "Incorrect"));
    ck_assert(!strstr(madt, "Incorrect"));
    ck_has(fadt, "Table Length : 00000114 [008h 0008 1] Revision : 06");
    ck_has(fadt, "8042 Present on ports 60/64 (V2) : 1 VGA Not Present (V4) : 1");
    ck_has(fadt, "Hardware Reduced (V5) : 1");
    ck_has(fadt, "FADT Minor Revision : 05");
    ck_has(fadt, "Sleep Control Register : [Generic Address Structure]"
                 " [0F4h 0244 1] Space ID : 01 [SystemIO] [0F5h 0245 1] Bit Width : 08"
                 " [0F6h 0246 1] Bit Offset : 00 [0F7h 0247 1] Encoded Access Width : 01 [Byte Access:8]"
                 " [0F8h 0248 8] Address : 0000000000000600");
    ck_has(fadt, "Sleep Status Register : [Generic Address Structure]"
                 " [100h 0256 1] Space ID : 01 [SystemIO]");
    ck_has(fadt, "Address : 0000000000000601");
    ck_has(madt, "Processor ID : 01 [037h 0055 1] Local Apic ID : 01");
    ck_has(madt, "I/O Apic ID : 02 [03Fh 0063 1] Reserved : 00 [040h 0064 4] Address : FEC00000");
    ck_has(madt, "Interrupt Source Override] [049h 0073 1] Length : 0A [04Ah 0074 1] Bus : 00"
                 " [04Bh 0075 1] Source : 00 [04Ch 0076 4] Interrupt : 00000000");
    ck_has(madt, "Interrupt Input LINT : 01");
    g_free(t.blob);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fadt);
    tcase_add_loop_test(tc, test_madt, 0, G_N_ELEMENTS(madt_cpus));
    tcase_add_test(tc, test_dsdt_device_mix);
    suite_add_tcase(s, tc);
    TCase *iasl = tcase_create("iasl");
    tcase_add_test(iasl, test_iasl_dsdt);
    tcase_add_test(iasl, test_iasl_fadt_madt);
    suite_add_tcase(s, iasl);
    return s;
}
