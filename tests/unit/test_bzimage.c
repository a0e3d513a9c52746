/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/x86/bzimage.c on a setup header built by hand at the
 * offsets of Documentation/arch/x86/boot.rst, and on the real payload.
 */
#include "x86/bzimage.h"

#include <check.h>
#include "unit_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>

#include "error.h"

#define SETUP_SECTS 1
#define SETUP_SIZE ((SETUP_SECTS + 1) * 512)
#define PM_SIZE 0x100
#define IMG_SIZE (SETUP_SIZE + PM_SIZE)

static uint8_t img[IMG_SIZE + 4 * 512];

static void put8(size_t off, uint8_t v) { img[off] = v; }
static void put16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void put32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

/* A protocol 2.15 64-bit kernel: boot sector + 1 setup sector + 256 bytes. */
static void build_good(void)
{
    memset(img, 0, sizeof(img));
    put8(0x1f1, SETUP_SECTS);          /* setup_sects */
    put32(0x1f4, PM_SIZE / 16);        /* syssize, in paragraphs */
    put16(0x1fe, 0xaa55);              /* boot_flag */
    put8(0x200, 0xeb);                 /* jump */
    put8(0x201, 0x6a);                 /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    put16(0x206, 0x020f);              /* version */
    put8(0x211, 0x01);                 /* loadflags: LOADED_HIGH */
    put32(0x214, 0x100000);            /* code32_start */
    put32(0x22c, 0x7fffffff);          /* initrd_addr_max */
    put32(0x230, 0x200000);            /* kernel_alignment */
    put8(0x234, 1);                    /* relocatable_kernel */
    put16(0x236, 0x0003);              /* xloadflags: KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
    put32(0x238, 2047);                /* cmdline_size */
    put64(0x258, 0x1000000);           /* pref_address */
    put32(0x260, 0x123000);            /* init_size */
    for (unsigned i = 0; i < PM_SIZE; i++)
        img[SETUP_SIZE + i] = (uint8_t)i;
}

static void setup(void)
{
    build_good();
}

static void expect_refused(size_t len, const char *what)
{
    struct bzimage_info info;
    GError *err = NULL;
    memset(&info, 0x5a, sizeof(info));
    ck_assert_msg(!bzimage_parse(img, len, &info, &err), "accepted, wanted '%s'", what);
    ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE));
    ck_assert_msg(strstr(err->message, what), "message '%s' lacks '%s'", err->message, what);
    g_error_free(err);
}

START_TEST(test_probe)
{
    ck_assert(bzimage_probe(img, IMG_SIZE));
    ck_assert(bzimage_probe(img, 0x206));
    ck_assert(!bzimage_probe(img, 0x205));
    ck_assert(!bzimage_probe(img, 0));
    img[0x205] = 'x';
    ck_assert(!bzimage_probe(img, IMG_SIZE));
}
END_TEST

START_TEST(test_parse_good)
{
    struct bzimage_info info;
    GError *err = NULL;
    ck_assert(bzimage_parse(img, IMG_SIZE, &info, &err));
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(info.protocol, 0x020f);
    ck_assert_uint_eq(info.setup_size, SETUP_SIZE);
    ck_assert_uint_eq(info.pm_offset, SETUP_SIZE);
    ck_assert_uint_eq(info.pm_size, PM_SIZE);
    ck_assert_uint_eq(info.initrd_addr_max, 0x7fffffff);
    ck_assert_uint_eq(info.cmdline_size, 2047);
    ck_assert_uint_eq(info.kernel_alignment, 0x200000);
    ck_assert(info.relocatable);
    ck_assert_uint_eq(info.pref_address, 0x1000000);
    ck_assert_uint_eq(info.init_size, 0x123000);
}
END_TEST

START_TEST(test_parse_defaults)
{
    /* Zero fields get the defaults boot.rst gives for them. */
    put32(0x22c, 0);
    put32(0x238, 0);
    put8(0x234, 0);
    struct bzimage_info info;
    ck_assert(bzimage_parse(img, IMG_SIZE, &info, NULL));
    ck_assert_uint_eq(info.initrd_addr_max, 0x37ffffff);
    ck_assert_uint_eq(info.cmdline_size, 255);
    ck_assert(!info.relocatable);
}
END_TEST

START_TEST(test_setup_sects_zero_means_four)
{
    /* setup_sects 0 means 4 (boot.rst): 5 sectors of setup before the kernel. */
    put8(0x1f1, 0);
    memmove(img + 5 * 512, img + SETUP_SIZE, PM_SIZE);
    struct bzimage_info info;
    ck_assert(bzimage_parse(img, 5 * 512 + PM_SIZE, &info, NULL));
    ck_assert_uint_eq(info.setup_size, 5 * 512);
    ck_assert_uint_eq(info.pm_offset, 5 * 512);
    ck_assert_uint_eq(info.pm_size, PM_SIZE);
}
END_TEST

START_TEST(test_padding_after_kernel)
{
    /* Bytes after syssize paragraphs are part of the protected-mode image. */
    struct bzimage_info info;
    ck_assert(bzimage_parse(img, IMG_SIZE + 0x30, &info, NULL));
    ck_assert_uint_eq(info.pm_size, PM_SIZE + 0x30);
}
END_TEST

START_TEST(test_too_short)
{
    expect_refused(0, "too short");
    expect_refused(0x1f1, "too short");
    expect_refused(0x205, "too short");
    expect_refused(0x1f1 + sizeof(struct setup_header) - 1, "too short");
}
END_TEST

START_TEST(test_no_hdrs)
{
    memcpy(img + 0x202, "HdrT", 4);
    expect_refused(IMG_SIZE, "HdrS");
    memset(img + 0x202, 0, 4);
    expect_refused(IMG_SIZE, "HdrS");
}
END_TEST

START_TEST(test_bad_boot_flag)
{
    put16(0x1fe, 0x55aa);
    expect_refused(IMG_SIZE, "not a Linux bzImage");
    put16(0x1fe, 0);
    expect_refused(IMG_SIZE, "not a Linux bzImage");
}
END_TEST

START_TEST(test_old_protocol)
{
    put16(0x206, 0x020b);
    expect_refused(IMG_SIZE, "2.11 is too old");
    put16(0x206, 0x0200);
    expect_refused(IMG_SIZE, "too old");
    put16(0x206, BZIMAGE_MIN_PROTOCOL);
    struct bzimage_info info;
    ck_assert(bzimage_parse(img, IMG_SIZE, &info, NULL));
    ck_assert_uint_eq(info.protocol, 0x020c);
}
END_TEST

START_TEST(test_no_kernel_64)
{
    put16(0x236, 0x0002);
    expect_refused(IMG_SIZE, "XLF_KERNEL_64");
    put16(0x236, 0);
    expect_refused(IMG_SIZE, "XLF_KERNEL_64");
}
END_TEST

START_TEST(test_no_loaded_high)
{
    put8(0x211, 0x80);      /* CAN_USE_HEAP only */
    expect_refused(IMG_SIZE, "LOADED_HIGH");
}
END_TEST

START_TEST(test_setup_sects_beyond_file)
{
    put8(0x1f1, 2);         /* 1536 bytes of setup, file has 1280 */
    expect_refused(IMG_SIZE, "setup code alone");
    put8(0x1f1, 0xff);
    expect_refused(IMG_SIZE, "setup code alone");
    /* Nothing at all after the setup code. */
    put8(0x1f1, SETUP_SECTS);
    expect_refused(SETUP_SIZE, "setup code alone");
}
END_TEST

START_TEST(test_syssize_zero)
{
    put32(0x1f4, 0);
    expect_refused(IMG_SIZE, "truncated");
}
END_TEST

START_TEST(test_syssize_beyond_file)
{
    put32(0x1f4, PM_SIZE / 16 + 1);
    expect_refused(IMG_SIZE, "truncated");
    /* The file is cut one byte short of what the header promises. */
    build_good();
    expect_refused(IMG_SIZE - 1, "truncated");
    /* syssize * 16 does not overflow the comparison. */
    put32(0x1f4, 0xffffffff);
    expect_refused(IMG_SIZE, "truncated");
}
END_TEST

START_TEST(test_real_payload)
{
    const char *path = getenv("KVMKIT_HELLO_BZIMAGE");
    if (!path || !g_file_test(path, G_FILE_TEST_EXISTS)) {
        fprintf(stderr, "test_real_payload: skipped, KVMKIT_HELLO_BZIMAGE not set or missing\n");
        return;
    }
    g_autofree char *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    ck_assert_msg(g_file_get_contents(path, &data, &len, &err), "%s", err ? err->message : "");
    const uint8_t *b = (const uint8_t *)data;
    ck_assert(bzimage_probe(b, len));
    struct bzimage_info info;
    ck_assert_msg(bzimage_parse(b, len, &info, &err), "%s", err ? err->message : "");
    /* What firmware/mkbzimage.py writes. */
    ck_assert_uint_eq(info.protocol, 0x020f);
    ck_assert_uint_eq(info.setup_size, 1024);
    ck_assert_uint_eq(info.pm_offset, 1024);
    ck_assert_uint_eq(info.pm_size, len - 1024);
    ck_assert_uint_eq(info.pm_size % 16, 0);
    ck_assert_uint_eq(info.cmdline_size, 2047);
    ck_assert_uint_eq(info.pref_address, 0x100000);
    ck_assert_uint_ge(info.init_size, info.pm_size);
    ck_assert(!info.relocatable);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("bzimage");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_parse_good);
    tcase_add_test(tc, test_parse_defaults);
    tcase_add_test(tc, test_setup_sects_zero_means_four);
    tcase_add_test(tc, test_padding_after_kernel);
    tcase_add_test(tc, test_too_short);
    tcase_add_test(tc, test_no_hdrs);
    tcase_add_test(tc, test_bad_boot_flag);
    tcase_add_test(tc, test_old_protocol);
    tcase_add_test(tc, test_no_kernel_64);
    tcase_add_test(tc, test_no_loaded_high);
    tcase_add_test(tc, test_setup_sects_beyond_file);
    tcase_add_test(tc, test_syssize_zero);
    tcase_add_test(tc, test_syssize_beyond_file);
    tcase_add_test(tc, test_real_payload);
    suite_add_tcase(s, tc);
    return s;
}
