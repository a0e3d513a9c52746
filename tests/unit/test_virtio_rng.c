/* SPDX-License-Identifier: MIT */
/* Unit tests for devices/virtio/rng.c on the fake transport (fake_transport.h). */
#include "rng.h"
#include "fake_ring.h"
#include "fake_transport.h"

#include <check.h>
#include "unit_main.h"
#include <string.h>

#define RAM_SIZE  (1u << 20)
#define QSIZE     8
#define DESC_GPA  0x1000u
#define AVAIL_GPA 0x2000u
#define USED_GPA  0x3000u
#define BUF_GPA   0x10000u
#define POISON    0xa5

static struct guest_mem mem;
static struct virtio_rng *rng;
static struct fake_transport ft;
static struct fake_ring ring;

static void setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    memset(fake_ram(&mem, BUF_GPA, RAM_SIZE - BUF_GPA), POISON, RAM_SIZE - BUF_GPA);
    rng = virtio_rng_new();
    fake_transport_attach(&ft, virtio_rng_dev(rng), &mem, ~0ull);
    g_autoptr(GError) err = NULL;
    ck_assert_msg(fake_transport_start_queue(&ft, 0, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA,
                                             &err), "%s", err ? err->message : "?");
    ring = (struct fake_ring){ .mem = &mem, .size = QSIZE, .desc_gpa = DESC_GPA,
                               .avail_gpa = AVAIL_GPA, .used_gpa = USED_GPA };
}

static void teardown(void)
{
    virtio_rng_free(rng);
    guest_mem_destroy(&mem);
}

/* Bytes of @len at @gpa that still hold the poison: ~len/256 when random. */
static unsigned poisoned(uint64_t gpa, uint32_t len)
{
    const uint8_t *p = fake_ram(&mem, gpa, len);
    unsigned n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += p[i] == POISON;
    return n;
}

START_TEST(test_identity)
{
    struct virtio_dev *dev = virtio_rng_dev(rng);
    ck_assert_uint_eq(dev->device_id, 4);
    ck_assert_uint_eq(dev->n_queues, 1);
    ck_assert(dev->host_features & (1ULL << VIRTIO_F_VERSION_1));
}
END_TEST

/* A two-buffer chain is filled whole, with random bytes, and used at its length. */
START_TEST(test_fills_buffers)
{
    fake_desc(&mem, DESC_GPA, 0, BUF_GPA, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_desc(&mem, DESC_GPA, 1, BUF_GPA + 0x1000, 4000, VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 0);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 1);
    ck_assert_uint_eq(fake_ring_used_id(&ring, 0), 0);
    ck_assert_uint_eq(fake_ring_used_len(&ring, 0), 4100);
    ck_assert_uint_lt(poisoned(BUF_GPA, 100), 10);
    ck_assert_uint_lt(poisoned(BUF_GPA + 0x1000, 4000), 60);
    ck_assert_uint_eq(poisoned(BUF_GPA + 100, 16), 16);         /* nothing past it */
    ck_assert_uint_eq(poisoned(BUF_GPA + 0x1000 + 4000, 16), 16);
    ck_assert_uint_ge(ft.interrupts, 1);
    ck_assert_uint_eq(ft.broken, 0);

    /* A second request gets other bytes. */
    uint8_t first[64];
    memcpy(first, fake_ram(&mem, BUF_GPA, 64), 64);
    fake_desc(&mem, DESC_GPA, 2, BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 2);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 2);
    ck_assert_uint_eq(fake_ring_used_len(&ring, 1), 64);
    ck_assert(memcmp(first, fake_ram(&mem, BUF_GPA, 64), 64) != 0);
}
END_TEST

/* A request larger than VIRTIO_RNG_MAX_REQUEST gets that much (5.4.6.2:
 * the device may use less than the whole buffer). */
START_TEST(test_request_capped)
{
    uint32_t big = VIRTIO_RNG_MAX_REQUEST + 8192;
    fake_desc(&mem, DESC_GPA, 0, BUF_GPA, big, VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 0);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(fake_ring_used_len(&ring, 0), VIRTIO_RNG_MAX_REQUEST);
    ck_assert_uint_eq(poisoned(BUF_GPA + VIRTIO_RNG_MAX_REQUEST, 8192), 8192);
}
END_TEST

/* A buffer the device may only read breaks the device; nothing is used. */
START_TEST(test_readable_buffer_breaks)
{
    fake_desc(&mem, DESC_GPA, 0, BUF_GPA, 64, VIRTQ_DESC_F_NEXT, 1);
    fake_desc(&mem, DESC_GPA, 1, BUF_GPA + 64, 64, VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 0);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 1);
    ck_assert_msg(strstr(ft.why, "may only read"), "%s", ft.why);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 0);
    ck_assert_uint_eq(poisoned(BUF_GPA, 128), 128);
}
END_TEST

/* A buffer outside guest RAM is refused by the ring code, not written. */
START_TEST(test_buffer_outside_ram)
{
    fake_desc(&mem, DESC_GPA, 0, RAM_SIZE - 16, 64, VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 0);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 1);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtio_rng");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_fills_buffers);
    tcase_add_test(tc, test_request_capped);
    tcase_add_test(tc, test_readable_buffer_breaks);
    tcase_add_test(tc, test_buffer_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}
