/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/acpi/aml.c: each encoding against the bytes ACPI 6.5
 * chapter 20 (and section 6.4 for resource descriptors) prescribes.
 */
#include "aml.h"

#include <check.h>
#include "unit_main.h"
#include <string.h>
#include <glib.h>

#define ck_aml_eq(a, ...)                                                   \
    do {                                                                    \
        static const uint8_t want_[] = { __VA_ARGS__ };                     \
        ck_assert_uint_eq((a)->len, sizeof(want_));                         \
        ck_assert_mem_eq((a)->data, want_, sizeof(want_));                  \
    } while (0)

START_TEST(test_pkglength_boundaries)
{
    uint8_t pl[4];
    /* One byte: total (body + 1) up to 63. */
    ck_assert_uint_eq(aml_pkglength(0, pl), 1);
    ck_assert_uint_eq(pl[0], 1);
    ck_assert_uint_eq(aml_pkglength(62, pl), 1);
    ck_assert_uint_eq(pl[0], 63);
    /* 63 + 1 = 64 no longer fits 6 bits: two bytes, total 65 = 0x41. */
    ck_assert_uint_eq(aml_pkglength(63, pl), 2);
    ck_assert_uint_eq(pl[0], 0x41);
    ck_assert_uint_eq(pl[1], 0x04);
    /* Two bytes hold totals up to 0xfff. */
    ck_assert_uint_eq(aml_pkglength(0xffd, pl), 2);
    ck_assert_uint_eq(pl[0], 0x4f);
    ck_assert_uint_eq(pl[1], 0xff);
    ck_assert_uint_eq(aml_pkglength(0xffe, pl), 3);
    ck_assert_uint_eq(pl[0], 0x81);     /* total 0x1001 */
    ck_assert_uint_eq(pl[1], 0x00);
    ck_assert_uint_eq(pl[2], 0x01);
    /* Three bytes up to 0xfffff, then four. */
    ck_assert_uint_eq(aml_pkglength(0xffffc, pl), 3);
    ck_assert_uint_eq(pl[0], 0x8f);
    ck_assert_uint_eq(pl[1], 0xff);
    ck_assert_uint_eq(pl[2], 0xff);
    ck_assert_uint_eq(aml_pkglength(0xffffd, pl), 4);
    ck_assert_uint_eq(pl[0], 0xc1);     /* total 0x100001 */
    ck_assert_uint_eq(pl[1], 0x00);
    ck_assert_uint_eq(pl[2], 0x00);
    ck_assert_uint_eq(pl[3], 0x01);
    ck_assert_uint_eq(aml_pkglength(AML_PKGLENGTH_MAX - 4, pl), 4);
    ck_assert_uint_eq(pl[0], 0xcf);
    ck_assert_uint_eq(pl[3], 0xff);
    ck_assert_uint_eq(aml_pkglength(AML_PKGLENGTH_MAX - 3, pl), 0);
}
END_TEST

/* aml_end() inserts a PkgLength that counts itself, whatever its size. */
START_TEST(test_package_grows_pkglength)
{
    static const size_t bodies[] = { 0, 61, 62, 63, 64, 0xffc, 0xffd, 0xffe, 0x12345 };
    for (size_t i = 0; i < G_N_ELEMENTS(bodies); i++) {
        struct aml a;
        aml_init(&a);
        aml_begin_package(&a, 1);
        /* NumElements already counts 1 byte of the body. */
        for (size_t k = 1; k < bodies[i]; k++)
            aml_byte(&a, 0x00);
        aml_end(&a);
        uint8_t pl[4];
        unsigned n = aml_pkglength(bodies[i] ? bodies[i] : 1, pl);
        ck_assert_uint_eq(a.data[0], 0x12);
        ck_assert_mem_eq(a.data + 1, pl, n);
        ck_assert_uint_eq(a.len, 1 + n + (bodies[i] ? bodies[i] : 1));
        ck_assert_uint_eq(a.data[1 + n], 1);    /* NumElements moved after it */
        aml_clear(&a);
    }
}
END_TEST

START_TEST(test_integers_smallest)
{
    struct aml a;
    aml_init(&a);
    aml_integer(&a, 0);
    ck_aml_eq(&a, 0x00);
    aml_clear(&a);
    aml_integer(&a, 1);
    ck_aml_eq(&a, 0x01);
    aml_clear(&a);
    aml_integer(&a, UINT64_MAX);
    ck_aml_eq(&a, 0xff);
    aml_clear(&a);
    aml_integer(&a, 2);
    ck_aml_eq(&a, 0x0a, 0x02);
    aml_clear(&a);
    aml_integer(&a, 0xff);
    ck_aml_eq(&a, 0x0a, 0xff);
    aml_clear(&a);
    aml_integer(&a, 0x100);
    ck_aml_eq(&a, 0x0b, 0x00, 0x01);
    aml_clear(&a);
    aml_integer(&a, 0xffff);
    ck_aml_eq(&a, 0x0b, 0xff, 0xff);
    aml_clear(&a);
    aml_integer(&a, 0x10000);
    ck_aml_eq(&a, 0x0c, 0x00, 0x00, 0x01, 0x00);
    aml_clear(&a);
    aml_integer(&a, 0xfec00000);
    ck_aml_eq(&a, 0x0c, 0x00, 0x00, 0xc0, 0xfe);
    aml_clear(&a);
    aml_integer(&a, 0x100000000ULL);
    ck_aml_eq(&a, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
    aml_clear(&a);
    aml_integer(&a, UINT64_MAX - 1);
    ck_aml_eq(&a, 0x0e, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    aml_clear(&a);
}
END_TEST

START_TEST(test_names)
{
    struct aml a;
    aml_init(&a);
    aml_name(&a, "_HID");
    ck_aml_eq(&a, '_', 'H', 'I', 'D');
    aml_clear(&a);
    aml_name(&a, "S5");                     /* padded */
    ck_aml_eq(&a, 'S', '5', '_', '_');
    aml_clear(&a);
    aml_name(&a, "\\_SB");
    ck_aml_eq(&a, '\\', '_', 'S', 'B', '_');
    aml_clear(&a);
    aml_name(&a, "\\_SB.COM1");             /* DualNamePrefix */
    ck_aml_eq(&a, '\\', 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
    aml_clear(&a);
    aml_name(&a, "^^_SB.PCI0.S1");          /* MultiNamePrefix, 3 segments */
    ck_aml_eq(&a, '^', '^', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
              'S', '1', '_', '_');
    aml_clear(&a);
    aml_name(&a, "\\");                     /* root alone: NullName after it */
    ck_aml_eq(&a, '\\', 0x00);
    aml_clear(&a);
    aml_name(&a, "");
    ck_aml_eq(&a, 0x00);
    aml_clear(&a);
}
END_TEST

START_TEST(test_strings_and_eisaid)
{
    struct aml a;
    aml_init(&a);
    aml_string(&a, "LNRO0005");
    ck_aml_eq(&a, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0);
    aml_clear(&a);
    aml_string(&a, "");
    ck_aml_eq(&a, 0x0d, 0);
    aml_clear(&a);
    /* Well-known values (as iasl compiles EisaId()). */
    ck_assert_uint_eq(aml_eisaid("PNP0501"), 0x0105d041);
    ck_assert_uint_eq(aml_eisaid("PNP0B00"), 0x000bd041);
    ck_assert_uint_eq(aml_eisaid("PNP0303"), 0x0303d041);
    ck_assert_uint_eq(aml_eisaid("PNP0A03"), 0x030ad041);
    aml_name_eisaid(&a, "_HID", "PNP0501");
    ck_aml_eq(&a, 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01);
    aml_clear(&a);
}
END_TEST

START_TEST(test_scope_device_method)
{
    struct aml a;
    aml_init(&a);
    aml_begin_scope(&a, "\\_SB");
    aml_begin_device(&a, "VR00");
    aml_name_integer(&a, "_UID", 0);
    aml_begin_method(&a, "_STA", 0, false);
    aml_return_integer(&a, 0x0f);
    aml_end(&a);
    aml_end(&a);
    aml_end(&a);
    ck_aml_eq(&a,
        0x10, 0x1d, '\\', '_', 'S', 'B', '_',                   /* Scope (\_SB) */
        0x5b, 0x82, 0x15, 'V', 'R', '0', '0',                   /* Device (VR00) */
        0x08, '_', 'U', 'I', 'D', 0x00,                         /* Name (_UID, Zero) */
        0x14, 0x09, '_', 'S', 'T', 'A', 0x00,                   /* Method (_STA, 0) */
        0xa4, 0x0a, 0x0f);                                      /* Return (0x0F) */
    aml_clear(&a);
    aml_begin_method(&a, "M", 7, true);
    aml_end(&a);
    ck_aml_eq(&a, 0x14, 0x06, 'M', '_', '_', '_', 0x0f);
    aml_clear(&a);
}
END_TEST

START_TEST(test_package_s5)
{
    struct aml a;
    aml_init(&a);
    aml_name_decl(&a, "_S5");
    aml_begin_package(&a, 4);
    aml_integer(&a, 5);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_end(&a);
    ck_aml_eq(&a, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00);
    aml_clear(&a);
}
END_TEST

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

START_TEST(test_resources)
{
    struct aml r;
    aml_init(&r);
    aml_res_io(&r, 0x3f8, 0x3f8, 1, 8);
    aml_res_irq_noflags(&r, 4);
    aml_res_memory32_fixed(&r, 0xd0000000, 0x1000, true);
    aml_res_interrupt(&r, 5, true, false);
    aml_res_interrupt(&r, 20, false, true);
    aml_res_end(&r);
    ck_aml_eq(&r,
        0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,         /* IO */
        0x22, 0x10, 0x00,                                       /* IRQNoFlags {4} */
        0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00,
        0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,   /* edge, high */
        0x89, 0x06, 0x00, 0x05, 0x01, 0x14, 0x00, 0x00, 0x00,   /* level, low */
        0x79, (uint8_t)-(0x47 + 0x01 + 0xf8 + 0x03 + 0xf8 + 0x03 + 0x01 + 0x08 + 0x22 +
                         0x10 + 0x86 + 0x09 + 0x01 + 0xd0 + 0x10 + 0x89 + 0x06 + 0x03 +
                         0x01 + 0x05 + 0x89 + 0x06 + 0x05 + 0x01 + 0x14 + 0x79));
    ck_assert_uint_eq(sum8(r.data, r.len), 0);

    /* As a named buffer: BufferOp, PkgLength, BufferSize, bytes. */
    struct aml a;
    aml_init(&a);
    aml_name_buffer(&a, "_CRS", r.data, r.len);
    ck_assert_uint_eq(a.data[5], 0x11);
    ck_assert_uint_eq(a.data[6], 3 + r.len);        /* PkgLength counts itself */
    ck_assert_uint_eq(a.data[7], 0x0a);
    ck_assert_uint_eq(a.data[8], r.len);
    ck_assert_mem_eq(a.data + 9, r.data, r.len);
    ck_assert_uint_eq(a.len, 9 + r.len);
    aml_clear(&a);
    aml_clear(&r);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("aml");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pkglength_boundaries);
    tcase_add_test(tc, test_package_grows_pkglength);
    tcase_add_test(tc, test_integers_smallest);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_strings_and_eisaid);
    tcase_add_test(tc, test_scope_device_method);
    tcase_add_test(tc, test_package_s5);
    tcase_add_test(tc, test_resources);
    suite_add_tcase(s, tc);
    return s;
}
