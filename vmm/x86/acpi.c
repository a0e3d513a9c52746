/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for the x86 board (acpi.h). Layouts: ACPI 6.5 sections 5.2.5
 * (RSDP), 5.2.6 (header), 5.2.8 (XSDT), 5.2.9 (FADT), 5.2.12 (MADT); the
 * DSDT's AML comes from vmm/acpi/aml.c.
 */
#include "x86/acpi.h"

#include <string.h>
#include <glib.h>

#include "acpi_sleep.h"
#include "aml.h"
#include "x86/layout.h"

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
    char signature[8];          /* "RSD PTR " */
    uint8_t checksum;           /* of the first 20 bytes */
    char oem_id[6];
    uint8_t revision;           /* 2: ACPI 2.0+, with the XSDT */
    uint32_t rsdt_address;      /* 0: no RSDT, the XSDT is enough */
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;  /* of all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure (section 5.2.3.2). */
struct acpi_gas {
    uint8_t space_id;           /* 1: system I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;        /* 1: byte */
    uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} __attribute__((packed));

/* Offsets from ACPI 6.5 table 5.9, checked here so a typo cannot move them. */
G_STATIC_ASSERT(sizeof(struct acpi_header) == 36);
G_STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36);
G_STATIC_ASSERT(offsetof(struct acpi_fadt, iapc_boot_arch) == 109);
G_STATIC_ASSERT(offsetof(struct acpi_fadt, flags) == 112);
G_STATIC_ASSERT(offsetof(struct acpi_fadt, x_dsdt) == 140);
G_STATIC_ASSERT(offsetof(struct acpi_fadt, sleep_control_reg) == 244);
G_STATIC_ASSERT(sizeof(struct acpi_fadt) == 276);

#define FADT_REVISION       6
#define FADT_MINOR_VERSION  5       /* ACPI 6.5 */
#define FADT_PWR_BUTTON     (1u << 4)   /* no fixed-feature power button */
#define FADT_SLP_BUTTON     (1u << 5)   /* no fixed-feature sleep button */
#define FADT_HW_REDUCED     (1u << 20)
#define BOOT_ARCH_8042      (1u << 1)
#define BOOT_ARCH_NO_VGA    (1u << 2)
#define CMOS_CENTURY_INDEX  0x32        /* devices/cmos_rtc.c keeps the century there */

/* MADT (section 5.2.12) and the entries kvmkit uses. */
#define MADT_PCAT_COMPAT    1u          /* KVM's irqchip has the dual 8259 too */
#define MADT_LOCAL_APIC     0
#define MADT_IO_APIC        1
#define MADT_INT_OVERRIDE   2
#define MADT_LAPIC_NMI      4
#define MADT_ENABLED        1u

#define OEM_ID        "KVMKIT"
#define OEM_TABLE_ID  "KVMKIT  "
#define CREATOR_ID    "KVMK"

/* Appends to @out, at a 16-byte boundary; returns the offset it starts at. */
static size_t append_aligned(GByteArray *out, const void *p, size_t len)
{
    g_byte_array_set_size(out, (out->len + 15) & ~15u);
    size_t off = out->len;
    g_byte_array_append(out, p, len);
    return off;
}

static void header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    memcpy(h->oem_id, OEM_ID, 6);
    memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, CREATOR_ID, 4);
    h->creator_revision = 1;
}

/* Sets the checksum of the table at @off in @out (its header's length). */
static void seal(GByteArray *out, size_t off)
{
    struct acpi_header *h = (struct acpi_header *)(out->data + off);
    h->checksum = 0;
    h->checksum = aml_checksum(out->data + off, h->length);
}

static struct acpi_gas io_byte(uint16_t port)
{
    return (struct acpi_gas){ .space_id = 1, .bit_width = 8, .access_size = 1,
                              .address = port };
}

/* A Device with _HID, optional _UID, and _CRS from @res (ended here). */
static void device(struct aml *a, const char *name, const char *eisa_hid, const char *str_hid,
                   int uid, struct aml *res)
{
    aml_begin_device(a, name);
    if (eisa_hid)
        aml_name_eisaid(a, "_HID", eisa_hid);
    else
        aml_name_string(a, "_HID", str_hid);
    if (uid >= 0)
        aml_name_integer(a, "_UID", (uint64_t)uid);
    aml_res_end(res);
    aml_name_buffer(a, "_CRS", res->data, res->len);
    aml_end(a);
    aml_clear(res);
}

/* The DSDT's AML: the devices under \_SB, then \_S5. */
static void dsdt_body(struct aml *a, const struct x86_acpi_machine *m)
{
    struct aml res;
    aml_init(&res);
    aml_begin_scope(a, "\\_SB");

    aml_res_io(&res, X86_COM1_PORT, X86_COM1_PORT, 1, 8);
    aml_res_irq_noflags(&res, X86_COM1_IRQ);
    device(a, "COM1", "PNP0501", NULL, 0, &res);

    /* The CMOS RTC raises no interrupt here (devices/cmos_rtc.c): no IRQ. */
    aml_res_io(&res, X86_RTC_PORT, X86_RTC_PORT, 1, 2);
    device(a, "RTC", "PNP0B00", NULL, -1, &res);

    if (m->i8042) {
        /* Nothing is attached to it, but Linux's i8042 driver expects the
         * keyboard IRQ in the controller's resources. */
        aml_res_io(&res, X86_I8042_DATA, X86_I8042_DATA, 1, 1);
        aml_res_io(&res, X86_I8042_CMD, X86_I8042_CMD, 1, 1);
        aml_res_irq_noflags(&res, 1);
        device(a, "PS2K", "PNP0303", NULL, -1, &res);
    }

    for (unsigned i = 0; i < m->n_virtio; i++) {
        const struct x86_acpi_virtio *v = &m->virtio[i];
        char name[5];
        g_snprintf(name, sizeof(name), "VR%02X", i);
        aml_res_memory32_fixed(&res, (uint32_t)v->base, v->size, true);
        /* An irqfd pulse: edge-triggered, active high, as the ISA IRQ the
         * MP table and virtio_mmio.device= described. */
        aml_res_interrupt(&res, v->gsi, true, false);
        /* "LNRO0005": the ID Linux's virtio_mmio driver matches. */
        device(a, name, NULL, "LNRO0005", (int)i, &res);
    }
    aml_end(a);

    /* \_S5: SLP_TYPa, SLP_TYPb, reserved, reserved (section 7.4.2). Only
     * SLP_TYPa matters with a sleep control register. */
    aml_name_decl(a, "_S5");
    aml_begin_package(a, 4);
    aml_integer(a, ACPI_SLEEP_S5_TYP);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_integer(a, 0);
    aml_end(a);
}

static size_t add_dsdt(GByteArray *out, const struct x86_acpi_machine *m)
{
    struct aml a;
    aml_init(&a);
    dsdt_body(&a, m);
    struct acpi_header h = { 0 };
    /* Revision 2: integers are 64 bits wide. */
    header_init(&h, "DSDT", sizeof(h) + a.len, 2);
    size_t off = append_aligned(out, &h, sizeof(h));
    g_byte_array_append(out, a.data, a.len);
    aml_clear(&a);
    seal(out, off);
    return off;
}

static size_t add_fadt(GByteArray *out, uint64_t dsdt_gpa, const struct x86_acpi_machine *m)
{
    struct acpi_fadt f = { 0 };
    header_init(&f.h, "FACP", sizeof(f), FADT_REVISION);
    f.minor_version = FADT_MINOR_VERSION;
    /* Hardware-reduced: no SCI, PM1 blocks, PM timer or GPEs; sleep
     * through the sleep registers (devices/acpi_sleep.h). */
    f.flags = FADT_HW_REDUCED | FADT_PWR_BUTTON | FADT_SLP_BUTTON;
    f.iapc_boot_arch = (m->i8042 ? BOOT_ARCH_8042 : 0) | BOOT_ARCH_NO_VGA;
    f.century = CMOS_CENTURY_INDEX;
    f.x_dsdt = dsdt_gpa;
    f.sleep_control_reg = io_byte(m->sleep_port + ACPI_SLEEP_CONTROL);
    f.sleep_status_reg = io_byte(m->sleep_port + ACPI_SLEEP_STATUS);
    memcpy(&f.hypervisor_vendor_id, "KVMKIT\0\0", 8);
    size_t off = append_aligned(out, &f, sizeof(f));
    seal(out, off);
    return off;
}

static void madt_entry(GByteArray *t, uint8_t type, const void *body, uint8_t body_len)
{
    uint8_t hdr[2] = { type, (uint8_t)(2 + body_len) };
    g_byte_array_append(t, hdr, 2);
    g_byte_array_append(t, body, body_len);
}

static size_t add_madt(GByteArray *out, const struct x86_acpi_machine *m)
{
    GByteArray *t = g_byte_array_new();
    struct acpi_header h = { 0 };
    g_byte_array_append(t, (const uint8_t *)&h, sizeof(h));
    uint32_t lapic_flags[2] = { (uint32_t)X86_LAPIC_ADDR, MADT_PCAT_COMPAT };
    g_byte_array_append(t, (const uint8_t *)lapic_flags, sizeof(lapic_flags));

    for (unsigned i = 0; i < m->n_cpus; i++) {
        /* Processor UID, APIC ID, flags (u32). */
        uint8_t lapic[6] = { (uint8_t)i, (uint8_t)i, MADT_ENABLED, 0, 0, 0 };
        madt_entry(t, MADT_LOCAL_APIC, lapic, sizeof(lapic));
    }
    /* I/O APIC ID (as in the MP table), reserved, address, GSI base 0. */
    uint8_t ioapic[10] = { (uint8_t)m->n_cpus, 0 };
    uint32_t ioapic_addr = (uint32_t)X86_IOAPIC_ADDR, gsi_base = 0;
    memcpy(ioapic + 2, &ioapic_addr, 4);
    memcpy(ioapic + 6, &gsi_base, 4);
    madt_entry(t, MADT_IO_APIC, ioapic, sizeof(ioapic));
    /*
     * KVM's default routing (no KVM_SET_GSI_ROUTING here) wires ISA IRQ n
     * to IOAPIC pin n, the PIT's IRQ 0 included, as the MP table says: the
     * timer's override states that identity explicitly (QEMU's IRQ0 -> GSI2
     * reflects routing QEMU installs itself, kvmkit does not). Flags 0:
     * conforms to the ISA bus (edge, active high).
     */
    uint8_t iso[8] = { 0 /* ISA */, 0 /* IRQ 0 */ };
    uint32_t iso_gsi = 0;
    memcpy(iso + 2, &iso_gsi, 4);
    madt_entry(t, MADT_INT_OVERRIDE, iso, sizeof(iso));
    /* LINT1 of every processor (UID 0xff) is NMI, as in the MP table. */
    uint8_t nmi[4] = { 0xff, 0, 0, 1 };
    madt_entry(t, MADT_LAPIC_NMI, nmi, sizeof(nmi));

    header_init((struct acpi_header *)t->data, "APIC", t->len, 6);
    size_t off = append_aligned(out, t->data, t->len);
    g_byte_array_free(t, TRUE);
    seal(out, off);
    return off;
}

uint8_t *x86_acpi_build(uint64_t gpa, const struct x86_acpi_machine *m, size_t *len)
{
    GByteArray *out = g_byte_array_new();
    struct acpi_rsdp rsdp = { 0 };
    append_aligned(out, &rsdp, sizeof(rsdp));

    size_t dsdt = add_dsdt(out, m);
    size_t fadt = add_fadt(out, gpa + dsdt, m);
    size_t madt = add_madt(out, m);

    struct acpi_header xh = { 0 };
    uint64_t entries[2] = { gpa + fadt, gpa + madt };
    header_init(&xh, "XSDT", sizeof(xh) + sizeof(entries), 1);
    size_t xsdt = append_aligned(out, &xh, sizeof(xh));
    g_byte_array_append(out, (const uint8_t *)entries, sizeof(entries));
    seal(out, xsdt);

    struct acpi_rsdp *r = (struct acpi_rsdp *)out->data;
    memcpy(r->signature, "RSD PTR ", 8);
    memcpy(r->oem_id, OEM_ID, 6);
    r->revision = 2;
    r->length = sizeof(*r);
    r->xsdt_address = gpa + xsdt;
    r->checksum = aml_checksum(out->data, 20);
    r->extended_checksum = aml_checksum(out->data, sizeof(*r));

    *len = out->len;
    return g_byte_array_free(out, FALSE);
}
