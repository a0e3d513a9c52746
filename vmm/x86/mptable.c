/* SPDX-License-Identifier: MIT */
#include "mptable.h"

#include <string.h>

#include "aml.h"
#include "x86/layout.h"

/* Structures from the MP specification 1.4, chapter 4. */
struct mpf {                 /* floating pointer */
    char signature[4];       /* "_MP_" */
    uint32_t physptr;
    uint8_t length;          /* in 16-byte units: 1 */
    uint8_t spec_rev;        /* 4 */
    uint8_t checksum;
    uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
    char signature[4];       /* "PCMP" */
    uint16_t length;
    uint8_t spec_rev;
    uint8_t checksum;
    char oem[8];
    char product[12];
    uint32_t oem_ptr;
    uint16_t oem_size;
    uint16_t entry_count;
    uint32_t lapic_addr;
    uint16_t ext_length;
    uint8_t ext_checksum;
    uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
    uint8_t type;            /* 0 */
    uint8_t apic_id;
    uint8_t apic_ver;
    uint8_t flags;           /* bit 0 enabled, bit 1 BSP */
    uint32_t signature;
    uint32_t features;
    uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
    uint8_t type;            /* 1 */
    uint8_t bus_id;
    char bus_type[6];
} __attribute__((packed));

struct mpc_ioapic {
    uint8_t type;            /* 2 */
    uint8_t apic_id;
    uint8_t apic_ver;
    uint8_t flags;
    uint32_t addr;
} __attribute__((packed));

struct mpc_intsrc {
    uint8_t type;            /* 3: I/O interrupt, 4: local interrupt */
    uint8_t irq_type;        /* 0 INT, 1 NMI, 2 SMI, 3 ExtINT */
    uint16_t irq_flags;      /* 0: conforms to the bus */
    uint8_t src_bus;
    uint8_t src_bus_irq;
    uint8_t dst_apic;
    uint8_t dst_irq;
} __attribute__((packed));

#define MP_ISA_IRQS 16
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

size_t x86_mptable_size(unsigned n_cpus)
{
    return sizeof(struct mpf) + sizeof(struct mpc_header) +
           n_cpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
           sizeof(struct mpc_ioapic) + (MP_ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
}

void x86_mptable_write(uint8_t *buf, uint64_t gpa, unsigned n_cpus)
{
    memset(buf, 0, x86_mptable_size(n_cpus));
    struct mpf *mpf = (struct mpf *)buf;
    uint8_t *table = buf + sizeof(*mpf);
    struct mpc_header *hdr = (struct mpc_header *)table;
    uint8_t *p = table + sizeof(*hdr);
    unsigned count = 0;
    uint8_t ioapic_id = n_cpus;

    for (unsigned i = 0; i < n_cpus; i++, count++) {
        struct mpc_cpu cpu = {
            .type = 0, .apic_id = i, .apic_ver = MP_LAPIC_VERSION,
            .flags = 1 | (i == 0 ? 2 : 0),
            .signature = 0x600,        /* family 6 */
            .features = 0x201,         /* FPU, APIC */
        };
        memcpy(p, &cpu, sizeof(cpu));
        p += sizeof(cpu);
    }
    struct mpc_bus bus = { .type = 1, .bus_id = 0, .bus_type = { 'I', 'S', 'A', ' ', ' ', ' ' } };
    memcpy(p, &bus, sizeof(bus));
    p += sizeof(bus);
    count++;
    struct mpc_ioapic ioapic = {
        .type = 2, .apic_id = ioapic_id, .apic_ver = MP_IOAPIC_VERSION,
        .flags = 1, .addr = (uint32_t)X86_IOAPIC_ADDR,
    };
    memcpy(p, &ioapic, sizeof(ioapic));
    p += sizeof(ioapic);
    count++;
    /* KVM's default GSI routing wires ISA IRQ n to IOAPIC pin n. */
    for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++, count++) {
        struct mpc_intsrc src = {
            .type = 3, .irq_type = 0, .src_bus = 0, .src_bus_irq = irq,
            .dst_apic = ioapic_id, .dst_irq = irq,
        };
        memcpy(p, &src, sizeof(src));
        p += sizeof(src);
    }
    /* LINT0 is ExtINT (the 8259), LINT1 NMI, on every local APIC. */
    struct mpc_intsrc lint0 = { .type = 4, .irq_type = 3, .dst_apic = 0xff, .dst_irq = 0 };
    struct mpc_intsrc lint1 = { .type = 4, .irq_type = 1, .dst_apic = 0xff, .dst_irq = 1 };
    memcpy(p, &lint0, sizeof(lint0));
    p += sizeof(lint0);
    memcpy(p, &lint1, sizeof(lint1));
    p += sizeof(lint1);
    count += 2;

    memcpy(hdr->signature, "PCMP", 4);
    hdr->length = p - table;
    hdr->spec_rev = 4;
    memcpy(hdr->oem, "KVMKIT  ", 8);
    memcpy(hdr->product, "KVMKIT-MP   ", 12);
    hdr->entry_count = count;
    hdr->lapic_addr = (uint32_t)X86_LAPIC_ADDR;
    hdr->checksum = aml_checksum(table, hdr->length);

    memcpy(mpf->signature, "_MP_", 4);
    mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
    mpf->length = 1;
    mpf->spec_rev = 4;
    mpf->checksum = aml_checksum(buf, sizeof(*mpf));
}
