/* SPDX-License-Identifier: MIT */
/* Unit tests for vmm/base/guest_mem.c: the one checked gpa -> host translation. */
#include "guest_mem.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define PAGE 0x1000ULL
#define HIGH (1ULL << 32)

static struct guest_mem mem;

/* Two small regions with a hole between, like RAM below and above the 3G hole. */
static void setup_two(void)
{
    ck_assert(guest_mem_init(&mem, 4 * PAGE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, 2 * PAGE, NULL));
    ck_assert(guest_mem_add_region(&mem, HIGH, 2 * PAGE, NULL));
}

static void teardown(void)
{
    guest_mem_destroy(&mem);
}

START_TEST(test_layout)
{
    ck_assert_uint_eq(mem.n_regions, 2);
    ck_assert_uint_eq(guest_mem_size(&mem), 4 * PAGE);
    ck_assert_ptr_eq(mem.regions[0].host, mem.base);
    ck_assert_ptr_eq(mem.regions[1].host, mem.base + 2 * PAGE);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 0, 1), mem.base);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, HIGH, 1), mem.base + 2 * PAGE);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, HIGH + 5, 3), mem.base + 2 * PAGE + 5);
}
END_TEST

START_TEST(test_region_edges)
{
    /* Last byte of each region, and the whole region. */
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 2 * PAGE - 1, 1), mem.base + 2 * PAGE - 1);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 0, 2 * PAGE), mem.base);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, HIGH + 2 * PAGE - 1, 1), mem.base + 4 * PAGE - 1);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, HIGH, 2 * PAGE), mem.base + 2 * PAGE);
    /* One byte too many. */
    ck_assert_ptr_null(guest_mem_ptr(&mem, 2 * PAGE - 1, 2));
    ck_assert_ptr_null(guest_mem_ptr(&mem, 0, 2 * PAGE + 1));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH + 2 * PAGE - 4, 8));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH, 2 * PAGE + 1));
    /* Entirely outside. */
    ck_assert_ptr_null(guest_mem_ptr(&mem, 2 * PAGE, 1));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH - 1, 1));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH + 2 * PAGE, 1));
    ck_assert_ptr_null(guest_mem_ptr(&mem, UINT64_MAX, 1));
}
END_TEST

START_TEST(test_len_zero)
{
    /* Valid inside a region and at its end, not beyond. */
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 0, 0), mem.base);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 0x123, 0), mem.base + 0x123);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, 2 * PAGE, 0), mem.base + 2 * PAGE);
    ck_assert_ptr_eq(guest_mem_ptr(&mem, HIGH + 2 * PAGE, 0), mem.base + 4 * PAGE);
    ck_assert_ptr_null(guest_mem_ptr(&mem, 2 * PAGE + 1, 0));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH - 1, 0));
    ck_assert_ptr_null(guest_mem_ptr(&mem, UINT64_MAX, 0));
}
END_TEST

START_TEST(test_overflow)
{
    ck_assert_ptr_null(guest_mem_ptr(&mem, UINT64_MAX - 1, 4));
    ck_assert_ptr_null(guest_mem_ptr(&mem, UINT64_MAX, UINT64_MAX));
    ck_assert_ptr_null(guest_mem_ptr(&mem, 1, UINT64_MAX));
    ck_assert_ptr_null(guest_mem_ptr(&mem, 0, UINT64_MAX));
    ck_assert_ptr_null(guest_mem_ptr(&mem, HIGH + 1, UINT64_MAX - HIGH));
    /* A length that wraps gpa + len back into the low region. */
    ck_assert_ptr_null(guest_mem_ptr(&mem, 0x10, UINT64_MAX - 0xf));
    ck_assert_ptr_null(guest_mem_ptr(&mem, PAGE, UINT64_MAX - PAGE + 2));
}
END_TEST

START_TEST(test_hole_not_bridged)
{
    /* An access may not run from one region across the hole into another. */
    ck_assert_ptr_null(guest_mem_ptr(&mem, 2 * PAGE - 8, HIGH));
    ck_assert_ptr_null(guest_mem_ptr(&mem, 0, HIGH + 1));
    uint8_t buf[16] = { 0 };
    ck_assert(!guest_mem_write(&mem, 2 * PAGE - 8, buf, sizeof(buf)));
    ck_assert(!guest_mem_read(&mem, HIGH - 8, buf, sizeof(buf)));
}
END_TEST

START_TEST(test_read_write)
{
    const char msg[] = "kvmkit";
    ck_assert(guest_mem_write(&mem, HIGH + 0x100, msg, sizeof(msg)));
    ck_assert_str_eq((const char *)mem.base + 2 * PAGE + 0x100, msg);
    char back[sizeof(msg)] = { 0 };
    ck_assert(guest_mem_read(&mem, HIGH + 0x100, back, sizeof(back)));
    ck_assert_str_eq(back, msg);
    /* Freshly reserved memory is zeroed. */
    uint8_t z[64];
    memset(z, 0xaa, sizeof(z));
    ck_assert(guest_mem_read(&mem, 0x800, z, sizeof(z)));
    for (unsigned i = 0; i < sizeof(z); i++)
        ck_assert_uint_eq(z[i], 0);
    /* Failed writes leave memory untouched. */
    ck_assert(!guest_mem_write(&mem, 2 * PAGE - 2, msg, sizeof(msg)));
    ck_assert_uint_eq(mem.base[2 * PAGE - 2], 0);
    ck_assert(guest_mem_write(&mem, 0, msg, 0));
    ck_assert(guest_mem_read(&mem, 2 * PAGE, back, 0));
}
END_TEST

START_TEST(test_add_region_refusals)
{
    GError *err = NULL;
    /* Overlapping an existing region, in several ways. */
    ck_assert(!guest_mem_add_region(&mem, 0, PAGE, &err));
    ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL));
    g_clear_error(&err);
    ck_assert(!guest_mem_add_region(&mem, HIGH - PAGE, 2 * PAGE, &err));
    g_clear_error(&err);
    ck_assert(!guest_mem_add_region(&mem, HIGH + PAGE, PAGE, &err));
    g_clear_error(&err);
    /* No reserved memory left. */
    ck_assert(!guest_mem_add_region(&mem, 8 * PAGE, PAGE, &err));
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);
    ck_assert_uint_eq(mem.n_regions, 2);
    ck_assert_uint_eq(guest_mem_size(&mem), 4 * PAGE);
}
END_TEST

START_TEST(test_add_region_wrap_and_budget)
{
    struct guest_mem m;
    GError *err = NULL;
    ck_assert(guest_mem_init(&m, 8 * PAGE, NULL));
    /* Wraps around the top of the address space. */
    ck_assert(!guest_mem_add_region(&m, UINT64_MAX - PAGE + 2, PAGE, &err));
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);
    /* Larger than the reservation. */
    ck_assert(!guest_mem_add_region(&m, 0, 9 * PAGE, &err));
    g_clear_error(&err);
    /* At most GUEST_MEM_MAX_REGIONS regions. */
    for (unsigned i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
        ck_assert(guest_mem_add_region(&m, i * 0x100000ULL, PAGE, NULL));
    ck_assert(!guest_mem_add_region(&m, 0x10000000ULL, PAGE, &err));
    g_clear_error(&err);
    /* Host areas follow each other in the order regions were added. */
    for (unsigned i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
        ck_assert_ptr_eq(guest_mem_ptr(&m, i * 0x100000ULL, PAGE), m.base + i * PAGE);
    guest_mem_destroy(&m);
    ck_assert_ptr_null(m.base);
    ck_assert_uint_eq(m.n_regions, 0);
    ck_assert_ptr_null(guest_mem_ptr(&m, 0, 0));
}
END_TEST

START_TEST(test_init_failure_and_destroy)
{
    struct guest_mem m;
    GError *err = NULL;
    /* mmap cannot reserve 2^63 bytes, and 0 bytes is invalid. */
    ck_assert(!guest_mem_init(&m, 1ULL << 63, &err));
    ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_HOST));
    g_clear_error(&err);
    ck_assert_ptr_null(m.base);
    guest_mem_destroy(&m);
    ck_assert(!guest_mem_init(&m, 0, NULL));
    guest_mem_destroy(&m);
    /* A zeroed struct is safe to destroy and has no memory. */
    struct guest_mem zero;
    memset(&zero, 0, sizeof(zero));
    guest_mem_destroy(&zero);
    ck_assert_uint_eq(guest_mem_size(&zero), 0);
    ck_assert_ptr_null(guest_mem_ptr(&zero, 0, 0));
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("guest_mem");
    TCase *tc = tcase_create("two_regions");
    tcase_add_checked_fixture(tc, setup_two, teardown);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_region_edges);
    tcase_add_test(tc, test_len_zero);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_hole_not_bridged);
    tcase_add_test(tc, test_read_write);
    tcase_add_test(tc, test_add_region_refusals);
    suite_add_tcase(s, tc);

    TCase *tc2 = tcase_create("setup");
    tcase_add_test(tc2, test_add_region_wrap_and_budget);
    tcase_add_test(tc2, test_init_failure_and_destroy);
    suite_add_tcase(s, tc2);
    return s;
}
