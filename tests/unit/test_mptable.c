/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/x86/mptable.c: parse what x86_mptable_write produced
 * the way a guest does (MP specification 1.4, chapter 4).
 */
#include "x86/mptable.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "le_bytes.h"
#include "x86/layout.h"

#define GPA X86_MPTABLE_ADDR


struct parsed {
    unsigned n_cpu, n_bus, n_ioapic, n_ioint, n_lint;
    unsigned bsp_count, bsp_apic_id;
    uint8_t cpu_ids[256];
    uint8_t ioapic_id;
    uint32_t ioapic_addr;
    bool isa_irq_seen[16];
    size_t walked;      /* bytes of entries */
};

/* Validates and walks a table written for @n_cpus; returns what it found. */
static void parse(const uint8_t *buf, size_t size, unsigned n_cpus, struct parsed *out)
{
    memset(out, 0, sizeof(*out));
    /* Floating pointer: 16 bytes, on a 16-byte boundary, checksum 0. */
    ck_assert_mem_eq(buf, "_MP_", 4);
    ck_assert_uint_eq(buf[8], 1);           /* length in paragraphs */
    ck_assert_uint_eq(buf[9], 4);           /* spec 1.4 */
    ck_assert_uint_eq(sum8(buf, 16), 0);
    ck_assert_uint_eq(buf[11], 0);          /* feature 1: a table is present */
    ck_assert_uint_eq(GPA % 16, 0);
    uint32_t physptr = rd32(buf + 4);
    ck_assert_uint_ge(physptr, GPA + 16);
    ck_assert_uint_lt(physptr, GPA + size);

    /* Configuration table header. */
    const uint8_t *t = buf + (physptr - GPA);
    ck_assert_mem_eq(t, "PCMP", 4);
    uint16_t length = rd16(t + 4);
    ck_assert_uint_le((physptr - GPA) + length, size);
    ck_assert_uint_eq(t[6], 4);
    ck_assert_uint_eq(sum8(t, length), 0);
    uint16_t count = rd16(t + 34);
    ck_assert_uint_eq(rd32(t + 36), X86_LAPIC_ADDR);
    ck_assert_uint_eq(rd16(t + 40), 0);     /* no extended table */

    const uint8_t *p = t + 44, *end = t + length;
    for (unsigned i = 0; i < count; i++) {
        ck_assert(p < end);
        switch (p[0]) {
        case 0:                             /* processor, 20 bytes */
            ck_assert_uint_eq(p[3] & 1, 1);  /* enabled */
            if (p[3] & 2) {
                out->bsp_count++;
                out->bsp_apic_id = p[1];
            }
            out->cpu_ids[out->n_cpu++] = p[1];
            p += 20;
            break;
        case 1:                             /* bus */
            ck_assert_mem_eq(p + 2, "ISA   ", 6);
            out->n_bus++;
            p += 8;
            break;
        case 2:                             /* I/O APIC */
            out->ioapic_id = p[1];
            ck_assert_uint_eq(p[3] & 1, 1);
            out->ioapic_addr = rd32(p + 4);
            out->n_ioapic++;
            p += 8;
            break;
        case 3:                             /* I/O interrupt assignment */
            ck_assert_uint_eq(p[1], 0);     /* INT */
            ck_assert_uint_eq(p[4], 0);     /* ISA bus id */
            ck_assert_uint_lt(p[5], 16);
            ck_assert_uint_eq(p[6], n_cpus); /* to the IOAPIC */
            ck_assert_uint_eq(p[7], p[5]);  /* pin = IRQ */
            ck_assert(!out->isa_irq_seen[p[5]]);
            out->isa_irq_seen[p[5]] = true;
            out->n_ioint++;
            p += 8;
            break;
        case 4:                             /* local interrupt assignment */
            out->n_lint++;
            p += 8;
            break;
        default:
            ck_abort_msg("unknown MP entry type %u", p[0]);
        }
    }
    ck_assert_ptr_eq(p, end);
    out->walked = p - (t + 44);
}

static void check_for(unsigned n_cpus)
{
    size_t size = x86_mptable_size(n_cpus);
    /* Extra room, filled with a pattern, to catch writes past size. */
    uint8_t *buf = g_malloc(size + 64);
    memset(buf, 0xcc, size + 64);
    x86_mptable_write(buf, GPA, n_cpus);
    struct parsed r;
    parse(buf, size, n_cpus, &r);
    ck_assert_uint_eq(r.n_cpu, n_cpus);
    ck_assert_uint_eq(r.n_bus, 1);
    ck_assert_uint_eq(r.n_ioapic, 1);
    ck_assert_uint_eq(r.n_ioint, 16);
    ck_assert_uint_eq(r.n_lint, 2);
    ck_assert_uint_eq(r.bsp_count, 1);
    ck_assert_uint_eq(r.bsp_apic_id, 0);
    for (unsigned i = 0; i < n_cpus; i++)
        ck_assert_uint_eq(r.cpu_ids[i], i);
    ck_assert_uint_eq(r.ioapic_id, n_cpus);
    ck_assert_uint_eq(r.ioapic_addr, X86_IOAPIC_ADDR);
    for (unsigned irq = 0; irq < 16; irq++)
        ck_assert(r.isa_irq_seen[irq]);
    /* The table fills exactly x86_mptable_size(). */
    ck_assert_uint_eq(16 + 44 + r.walked, size);
    for (size_t i = size; i < size + 64; i++)
        ck_assert_uint_eq(buf[i], 0xcc);
    g_free(buf);
}

START_TEST(test_one_cpu) { check_for(1); }
END_TEST

START_TEST(test_two_cpus) { check_for(2); }
END_TEST

START_TEST(test_many_cpus) { check_for(64); }
END_TEST

START_TEST(test_size_grows_per_cpu)
{
    ck_assert_uint_eq(x86_mptable_size(2) - x86_mptable_size(1), 20);
    /* 16 + 44 + 20n + 8 (bus) + 8 (ioapic) + 18 * 8 (interrupts). */
    ck_assert_uint_eq(x86_mptable_size(1), 16 + 44 + 20 + 8 + 8 + 18 * 8);
}
END_TEST

START_TEST(test_pointer_follows_gpa)
{
    /* The physical pointer is relative to where the buffer sits in the guest. */
    size_t size = x86_mptable_size(1);
    g_autofree uint8_t *buf = g_malloc(size);
    x86_mptable_write(buf, 0x9fc00, 1);
    ck_assert_uint_eq(rd32(buf + 4), 0x9fc10);
    ck_assert_uint_eq(sum8(buf, 16), 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("mptable");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_one_cpu);
    tcase_add_test(tc, test_two_cpus);
    tcase_add_test(tc, test_many_cpus);
    tcase_add_test(tc, test_size_grows_per_cpu);
    tcase_add_test(tc, test_pointer_follows_gpa);
    suite_add_tcase(s, tc);
    return s;
}
