/* SPDX-License-Identifier: MIT */
/* Unit tests for devices/acpi_sleep.c: only a 1-byte S5 write powers off. */
#include "acpi_sleep.h"

#include <check.h>
#include "unit_main.h"
#include <glib.h>

static void count_poweroff(void *opaque)
{
    (*(unsigned *)opaque)++;
}

static void wr(struct acpi_sleep *s, uint64_t off, uint32_t v, unsigned size)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    acpi_sleep_ops.write(s, off, b, size);
}

#define S5 ((ACPI_SLEEP_S5_TYP << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_EN)

START_TEST(test_s5_powers_off)
{
    unsigned n = 0;
    struct acpi_sleep *s = acpi_sleep_new(count_poweroff, &n);
    ck_assert_uint_eq(S5, 0x34);
    wr(s, ACPI_SLEEP_CONTROL, S5, 1);
    ck_assert_uint_eq(n, 1);
    acpi_sleep_free(s);
}
END_TEST

START_TEST(test_ignored_writes)
{
    unsigned n = 0;
    struct acpi_sleep *s = acpi_sleep_new(count_poweroff, &n);
    /* SLP_TYP without SLP_EN (Linux writes the type first). */
    wr(s, ACPI_SLEEP_CONTROL, ACPI_SLEEP_S5_TYP << ACPI_SLEEP_TYP_SHIFT, 1);
    /* Another sleep type, which the DSDT does not offer. */
    wr(s, ACPI_SLEEP_CONTROL, (3 << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_EN, 1);
    /* The status register (WAK_STS clear). */
    wr(s, ACPI_SLEEP_STATUS, 0x80, 1);
    wr(s, ACPI_SLEEP_STATUS, S5, 1);
    /* Wrong widths, at either register. */
    wr(s, ACPI_SLEEP_CONTROL, S5, 2);
    wr(s, ACPI_SLEEP_CONTROL, S5, 4);
    wr(s, ACPI_SLEEP_CONTROL, S5 | (S5 << 8), 2);
    ck_assert_uint_eq(n, 0);
    acpi_sleep_free(s);
}
END_TEST

START_TEST(test_reads)
{
    struct acpi_sleep *s = acpi_sleep_new(count_poweroff, NULL);
    uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
    acpi_sleep_ops.read(s, ACPI_SLEEP_STATUS, b, 1);
    ck_assert_uint_eq(b[0], 0);             /* WAK_STS never set */
    acpi_sleep_ops.read(s, ACPI_SLEEP_CONTROL, b, 1);
    ck_assert_uint_eq(b[0], 0);
    acpi_sleep_ops.read(s, ACPI_SLEEP_CONTROL, b, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(b[i], 0xff);     /* wrong width: all ones */
    acpi_sleep_free(s);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("acpi_sleep");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_s5_powers_off);
    tcase_add_test(tc, test_ignored_writes);
    tcase_add_test(tc, test_reads);
    suite_add_tcase(s, tc);
    return s;
}
