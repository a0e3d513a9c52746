/* SPDX-License-Identifier: MIT */
/* Unit tests for vmm/base/bus.c: registration, overlap rules and dispatch. */
#include "bus.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* A device that records its last access and answers reads with a pattern. */
struct rec_dev {
    unsigned reads, writes;
    uint64_t last_offset;
    unsigned last_size;
    uint8_t last_data[8];
    uint8_t fill;
};

static void rec_read(void *opaque, uint64_t offset, uint8_t *data, unsigned size)
{
    struct rec_dev *d = opaque;
    d->reads++;
    d->last_offset = offset;
    d->last_size = size;
    for (unsigned i = 0; i < size; i++)
        data[i] = d->fill + i;
}

static void rec_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned size)
{
    struct rec_dev *d = opaque;
    d->writes++;
    d->last_offset = offset;
    d->last_size = size;
    memcpy(d->last_data, data, size);
}

static const struct bus_ops rec_ops = { .read = rec_read, .write = rec_write };
static const struct bus_ops write_only_ops = { .write = rec_write };

static struct bus bus;
static struct rec_dev dev_a, dev_b;

static void setup(void)
{
    bus_init(&bus, "test");
    memset(&dev_a, 0, sizeof(dev_a));
    memset(&dev_b, 0, sizeof(dev_b));
    dev_a.fill = 0x10;
    dev_b.fill = 0x20;
}

static void teardown(void)
{
    bus_destroy(&bus);
}

/* Registers [base, base+len) as "b"; returns success, frees any error. */
static bool try_register(uint64_t base, uint64_t len)
{
    GError *err = NULL;
    bool ok = bus_register(&bus, base, len, &rec_ops, &dev_b, "b", &err);
    if (ok) {
        ck_assert_ptr_null(err);
    } else {
        ck_assert_ptr_nonnull(err);
        ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_INTERNAL));
        g_error_free(err);
    }
    return ok;
}

START_TEST(test_register_and_find)
{
    ck_assert(bus_register(&bus, 0x3f8, 8, &rec_ops, &dev_a, "a", NULL));
    ck_assert(bus_register(&bus, 0x60, 1, &rec_ops, &dev_b, "b", NULL));
    ck_assert_uint_eq(bus.ranges->len, 2);
    /* Sorted by base. */
    ck_assert_uint_eq(g_array_index(bus.ranges, struct bus_range, 0).base, 0x60);
    ck_assert_uint_eq(g_array_index(bus.ranges, struct bus_range, 1).base, 0x3f8);

    const struct bus_range *r = bus_find(&bus, 0x3f8, 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_eq(r->opaque, &dev_a);
    ck_assert_str_eq(r->name, "a");
    ck_assert_ptr_eq(bus_find(&bus, 0x3ff, 1), r);
    ck_assert_ptr_null(bus_find(&bus, 0x400, 1));
    ck_assert_ptr_null(bus_find(&bus, 0x3f7, 1));
    ck_assert_ptr_eq(bus_find(&bus, 0x60, 1)->opaque, &dev_b);
    ck_assert_ptr_null(bus_find(&bus, 0x61, 1));
    ck_assert_ptr_null(bus_find(&bus, 0, 1));
}
END_TEST

START_TEST(test_overlap_rejected)
{
    ck_assert(bus_register(&bus, 0x100, 0x10, &rec_ops, &dev_a, "a", NULL));
    ck_assert(!try_register(0x100, 0x10));    /* exact */
    ck_assert(!try_register(0xf8, 0x10));     /* partial, from below */
    ck_assert(!try_register(0x108, 0x10));    /* partial, from above */
    ck_assert(!try_register(0x80, 0x100));    /* containing */
    ck_assert(!try_register(0x104, 0x4));     /* contained */
    ck_assert(!try_register(0x10f, 1));       /* last byte */
    ck_assert(!try_register(0xff, 2));        /* first byte */
    ck_assert_uint_eq(bus.ranges->len, 1);
}
END_TEST

START_TEST(test_overlap_message_names_both)
{
    GError *err = NULL;
    ck_assert(bus_register(&bus, 0x100, 0x10, &rec_ops, &dev_a, "uart", NULL));
    ck_assert(!bus_register(&bus, 0x108, 4, &rec_ops, &dev_b, "rtc", &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err->message, "uart"));
    ck_assert_ptr_nonnull(strstr(err->message, "rtc"));
    g_error_free(err);
}
END_TEST

START_TEST(test_adjacent_ok)
{
    ck_assert(bus_register(&bus, 0x100, 0x10, &rec_ops, &dev_a, "a", NULL));
    ck_assert(try_register(0xf0, 0x10));      /* ends right before */
    ck_assert(try_register(0x110, 0x10));     /* starts right after */
    ck_assert_uint_eq(bus.ranges->len, 3);
    ck_assert_ptr_eq(bus_find(&bus, 0xff, 1)->opaque, &dev_b);
    ck_assert_ptr_eq(bus_find(&bus, 0x100, 1)->opaque, &dev_a);
    ck_assert_ptr_eq(bus_find(&bus, 0x10f, 1)->opaque, &dev_a);
    ck_assert_ptr_eq(bus_find(&bus, 0x110, 1)->opaque, &dev_b);
    /* Filling a gap exactly between two ranges is fine too. */
    ck_assert(try_register(0x200, 0x10));
    ck_assert(try_register(0x120, 0xe0));
    ck_assert(!try_register(0x11f, 2));
}
END_TEST

START_TEST(test_invalid_ranges)
{
    ck_assert(!try_register(0x100, 0));
    ck_assert(!try_register(UINT64_MAX, 2));          /* wraps */
    ck_assert(!try_register(UINT64_MAX - 0xf, 0x20)); /* wraps */
    ck_assert(!try_register(2, UINT64_MAX));          /* wraps by one */
    ck_assert_uint_eq(bus.ranges->len, 0);
    /* Ranges that end exactly at the top of the address space are valid. */
    ck_assert(try_register(UINT64_MAX, 1));
    ck_assert(try_register(0, UINT64_MAX));
    ck_assert_ptr_nonnull(bus_find(&bus, UINT64_MAX, 1));
    ck_assert_ptr_null(bus_find(&bus, UINT64_MAX, 2));
    ck_assert_ptr_nonnull(bus_find(&bus, UINT64_MAX - 8, 8));
    ck_assert_ptr_null(bus_find(&bus, UINT64_MAX - 7, 8));   /* straddles the two */
}
END_TEST

START_TEST(test_top_of_space_overlap)
{
    ck_assert(bus_register(&bus, UINT64_MAX - 0xff, 0x100, &rec_ops, &dev_a, "a", NULL));
    ck_assert(!try_register(UINT64_MAX, 1));
    ck_assert(!try_register(UINT64_MAX - 0x1ff, 0x101));
    ck_assert(try_register(UINT64_MAX - 0x1ff, 0x100));
}
END_TEST

START_TEST(test_dispatch_relative_offsets)
{
    ck_assert(bus_register(&bus, 0x1000, 0x100, &rec_ops, &dev_a, "a", NULL));
    ck_assert(bus_register(&bus, 0x2000, 0x10, &rec_ops, &dev_b, "b", NULL));

    uint8_t data[8] = { 0 };
    ck_assert(bus_read(&bus, 0x1004, data, 4));
    ck_assert_uint_eq(dev_a.reads, 1);
    ck_assert_uint_eq(dev_a.last_offset, 4);
    ck_assert_uint_eq(dev_a.last_size, 4);
    ck_assert_uint_eq(data[0], 0x10);
    ck_assert_uint_eq(data[3], 0x13);

    const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    ck_assert(bus_write(&bus, 0x2008, w, 8));
    ck_assert_uint_eq(dev_b.writes, 1);
    ck_assert_uint_eq(dev_b.last_offset, 8);
    ck_assert_uint_eq(dev_b.last_size, 8);
    ck_assert_mem_eq(dev_b.last_data, w, 8);
    ck_assert_uint_eq(dev_a.writes, 0);

    ck_assert(bus_write(&bus, 0x1000, w, 1));
    ck_assert_uint_eq(dev_a.last_offset, 0);
    ck_assert_uint_eq(dev_a.last_data[0], 1);
    ck_assert(bus_read(&bus, 0x10ff, data, 1));
    ck_assert_uint_eq(dev_a.last_offset, 0xff);
}
END_TEST

START_TEST(test_straddling_access_unclaimed)
{
    ck_assert(bus_register(&bus, 0x1000, 0x10, &rec_ops, &dev_a, "a", NULL));
    ck_assert(bus_register(&bus, 0x1010, 0x10, &rec_ops, &dev_b, "b", NULL));
    uint8_t data[8];
    memset(data, 0, sizeof(data));
    /* 0x100e..0x1011 crosses from a into b: nobody claims it. */
    ck_assert(!bus_read(&bus, 0x100e, data, 4));
    for (unsigned i = 0; i < 4; i++)
        ck_assert_uint_eq(data[i], 0xff);
    ck_assert(!bus_write(&bus, 0x100c, data, 8));
    ck_assert_ptr_null(bus_find(&bus, 0x100f, 2));
    ck_assert_ptr_nonnull(bus_find(&bus, 0x100e, 2));
    ck_assert_uint_eq(dev_a.reads + dev_a.writes + dev_b.reads + dev_b.writes, 0);
    /* Past the last range. */
    ck_assert(!bus_read(&bus, 0x101c, data, 8));
    ck_assert(bus_read(&bus, 0x1018, data, 8));
    ck_assert_uint_eq(dev_b.last_offset, 8);
}
END_TEST

START_TEST(test_unclaimed_read_fills_ones)
{
    uint8_t data[8];
    memset(data, 0x5a, sizeof(data));
    ck_assert(!bus_read(&bus, 0x80, data, 2));
    ck_assert_uint_eq(data[0], 0xff);
    ck_assert_uint_eq(data[1], 0xff);
    ck_assert_uint_eq(data[2], 0x5a);   /* only @size bytes touched */

    ck_assert(bus_register(&bus, 0x100, 4, &rec_ops, &dev_a, "a", NULL));
    memset(data, 0, sizeof(data));
    ck_assert(!bus_read(&bus, 0x104, data, 8));
    for (unsigned i = 0; i < 8; i++)
        ck_assert_uint_eq(data[i], 0xff);
    ck_assert(!bus_write(&bus, 0x99, data, 1));
    ck_assert_uint_eq(dev_a.reads + dev_a.writes, 0);
}
END_TEST

START_TEST(test_missing_read_op)
{
    ck_assert(bus_register(&bus, 0x100, 4, &write_only_ops, &dev_a, "wo", NULL));
    uint8_t data[4] = { 0 };
    /* Claimed, but a device without a read op reads as all ones. */
    ck_assert(bus_read(&bus, 0x100, data, 4));
    ck_assert_uint_eq(data[0], 0xff);
    ck_assert_uint_eq(data[3], 0xff);
    ck_assert(bus_write(&bus, 0x102, data, 2));
    ck_assert_uint_eq(dev_a.writes, 1);
    ck_assert_uint_eq(dev_a.last_offset, 2);
}
END_TEST

START_TEST(test_many_ranges_sorted)
{
    /* Insert out of order; binary search must still find each. */
    static struct rec_dev devs[32];
    static const char *names = "dev";
    for (unsigned i = 0; i < 32; i++) {
        unsigned slot = (i * 7) % 32;
        ck_assert(bus_register(&bus, 0x1000 + slot * 0x20, 0x10, &rec_ops, &devs[slot],
                               names, NULL));
    }
    for (unsigned slot = 0; slot < 32; slot++) {
        uint64_t base = 0x1000 + slot * 0x20;
        ck_assert_ptr_eq(bus_find(&bus, base, 1)->opaque, &devs[slot]);
        ck_assert_ptr_eq(bus_find(&bus, base + 0xf, 1)->opaque, &devs[slot]);
        ck_assert_ptr_null(bus_find(&bus, base + 0x10, 1));
        ck_assert_ptr_null(bus_find(&bus, base + 0x1f, 1));
    }
    for (unsigned i = 1; i < bus.ranges->len; i++)
        ck_assert_uint_lt(g_array_index(bus.ranges, struct bus_range, i - 1).base,
                          g_array_index(bus.ranges, struct bus_range, i).base);
}
END_TEST

START_TEST(test_destroy_twice_safe)
{
    bus_destroy(&bus);
    bus_destroy(&bus);
    ck_assert_ptr_null(bus.ranges);
    bus_init(&bus, "again");    /* teardown destroys it */
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_register_and_find);
    tcase_add_test(tc, test_overlap_rejected);
    tcase_add_test(tc, test_overlap_message_names_both);
    tcase_add_test(tc, test_adjacent_ok);
    tcase_add_test(tc, test_invalid_ranges);
    tcase_add_test(tc, test_top_of_space_overlap);
    tcase_add_test(tc, test_dispatch_relative_offsets);
    tcase_add_test(tc, test_straddling_access_unclaimed);
    tcase_add_test(tc, test_unclaimed_read_fills_ones);
    tcase_add_test(tc, test_missing_read_op);
    tcase_add_test(tc, test_many_ranges_sorted);
    tcase_add_test(tc, test_destroy_twice_safe);
    suite_add_tcase(s, tc);
    return s;
}
