/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/console.c on the real virtio-mmio transport
 * (its I/O thread included) over fake guest RAM, with a fake character back
 * end that records output and input wake-ups and feeds input the way the
 * main loop does: never more than can_receive() allows.
 */
#include "console.h"
#include "fake_ring.h"
#include "mmio.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

/* Registers, virtio 1.2 4.2.2. */
enum {
    DEVICE_ID = 0x008, DEVICE_FEATURES = 0x010, DRIVER_FEATURES = 0x020,
    DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034,
    QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050, STATUS = 0x070,
    QUEUE_DESC_LOW = 0x080, QUEUE_DRIVER_LOW = 0x090, QUEUE_DEVICE_LOW = 0x0a0,
};

#define RAM_SIZE (1u << 20)
#define QNUM     8
#define BUF_GPA  0x80000u
#define BUF_SIZE 64
#define RUNNING  (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | \
                  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

/* ---- a back end that records ---- */

struct fake_chr {
    struct chardev chr;
    GMutex lock;        /* output comes from the I/O thread */
    GByteArray *out;
    unsigned accepts;   /* atomic */
};

static void fake_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
    struct fake_chr *f = (struct fake_chr *)chr;
    g_mutex_lock(&f->lock);
    g_byte_array_append(f->out, buf, len);
    g_mutex_unlock(&f->lock);
}

static void fake_accept_input(struct chardev *chr)
{
    __atomic_fetch_add(&((struct fake_chr *)chr)->accepts, 1, __ATOMIC_SEQ_CST);
}

static void fake_destroy(struct chardev *chr)
{
    struct fake_chr *f = (struct fake_chr *)chr;
    g_byte_array_unref(f->out);
    g_mutex_clear(&f->lock);
    g_free(f);
}

static const struct chardev_ops fake_chr_ops = {
    .write = fake_write, .accept_input = fake_accept_input, .destroy = fake_destroy,
};

/* ---- fixture ---- */

static struct guest_mem mem;
static struct fake_chr *chr;
static struct virtio_console *con;
static struct virtio_mmio *t;
static struct fake_ring rings[2];
static unsigned irqs;       /* atomic */
static uint8_t next_in, next_seen;  /* input pattern: fed, and seen by the guest */

static void irq_trigger(void *opaque)
{
    __atomic_fetch_add((unsigned *)opaque, 1, __ATOMIC_SEQ_CST);
}

static void setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    chr = g_new0(struct fake_chr, 1);
    chr->chr.ops = &fake_chr_ops;
    chr->out = g_byte_array_new();
    g_mutex_init(&chr->lock);
    con = virtio_console_new(&chr->chr);
    irqs = 0;
    next_in = next_seen = 0;
    g_autoptr(GError) err = NULL;
    t = virtio_mmio_new(virtio_console_dev(con), &mem,
                        (struct virtio_mmio_irq){ .trigger = irq_trigger, .opaque = &irqs }, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "?");
}

static void teardown(void)
{
    virtio_mmio_free(t);
    virtio_console_free(con);   /* and the fake back end */
    guest_mem_destroy(&mem);
}

/* ---- the driver's side ---- */

static uint32_t rd(uint64_t off)
{
    uint32_t v;
    virtio_mmio_bus_ops.read(t, off, (uint8_t *)&v, 4);
    return v;
}

static void wr(uint64_t off, uint32_t v)
{
    virtio_mmio_bus_ops.write(t, off, (uint8_t *)&v, 4);
}

/* 3.1.1: VERSION_1 only, both queues at 0x10000 * (i + 1), DRIVER_OK. */
static void driver_init(void)
{
    wr(STATUS, 0);
    wr(STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, 1);     /* bit 32 */
    wr(STATUS, RUNNING & ~VIRTIO_STATUS_DRIVER_OK);
    for (unsigned i = 0; i < 2; i++) {
        uint64_t base = 0x10000u * (i + 1);
        memset(fake_ram(&mem, base, 0x3000), 0, 0x3000);   /* as a driver allocates them */
        rings[i] = (struct fake_ring){ .mem = &mem, .size = QNUM, .desc_gpa = base,
                                       .avail_gpa = base + 0x1000, .used_gpa = base + 0x2000 };
        wr(QUEUE_SEL, i);
        wr(QUEUE_NUM, QNUM);
        wr(QUEUE_DESC_LOW, (uint32_t)rings[i].desc_gpa);
        wr(QUEUE_DRIVER_LOW, (uint32_t)rings[i].avail_gpa);
        wr(QUEUE_DEVICE_LOW, (uint32_t)rings[i].used_gpa);
        wr(QUEUE_READY, 1);
    }
    wr(STATUS, RUNNING);
    ck_assert_uint_eq(rd(STATUS), RUNNING);
}

static void kick(unsigned q)
{
    wr(QUEUE_NOTIFY, q);
    virtio_mmio_sync(t);
}

static uint64_t buf_gpa(unsigned q, unsigned desc)
{
    return BUF_GPA + 0x1000u * q + BUF_SIZE * desc;
}

/* Makes descriptor @d of queue @q a one-buffer chain of @len bytes. */
static void post(unsigned q, unsigned d, uint32_t len, uint16_t flags)
{
    fake_desc(&mem, rings[q].desc_gpa, d, buf_gpa(q, d), len, flags, 0);
    fake_ring_make_available(&rings[q], d);
}

/* Feeds @n pattern bytes as the main loop would, then lets the I/O thread run. */
static void feed(size_t n)
{
    const struct chardev_frontend *fe = chr->chr.fe;
    ck_assert_uint_ge(fe->can_receive(chr->chr.fe_opaque), n);
    uint8_t buf[VIRTIO_CONSOLE_RX_BUFFER];
    for (size_t i = 0; i < n; i++)
        buf[i] = next_in++;
    fe->receive(chr->chr.fe_opaque, buf, n);
    virtio_mmio_sync(t);
}

static size_t room(void)
{
    return chr->chr.fe->can_receive(chr->chr.fe_opaque);
}

static unsigned irq_count(void)
{
    return __atomic_load_n(&irqs, __ATOMIC_SEQ_CST);
}

static unsigned accepts(void)
{
    return __atomic_load_n(&chr->accepts, __ATOMIC_SEQ_CST);
}

/* Checks used entry @slot of the receiveq: descriptor @d holds @len pattern bytes. */
static void check_rx(unsigned slot, unsigned d, uint32_t len)
{
    ck_assert_uint_eq(fake_ring_used_id(&rings[0], slot), d);
    ck_assert_uint_eq(fake_ring_used_len(&rings[0], slot), len);
    const uint8_t *p = fake_ram(&mem, buf_gpa(0, d), len);
    for (uint32_t i = 0; i < len; i++)
        ck_assert_uint_eq(p[i], next_seen++);
}

/* ---- tests ---- */

START_TEST(test_identity)
{
    ck_assert_uint_eq(rd(DEVICE_ID), 3);
    ck_assert_uint_eq(rd(DEVICE_FEATURES) & 7, 0);     /* no SIZE, MULTIPORT, EMERG_WRITE */
    wr(QUEUE_SEL, 1);
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), VIRTIO_CONSOLE_QUEUE_SIZE);
    wr(QUEUE_SEL, 2);       /* port 0 only: no control queues */
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), 0);
}
END_TEST

START_TEST(test_tx)
{
    driver_init();
    /* One chain of two readable buffers, then a one-buffer chain. */
    memcpy(fake_ram(&mem, buf_gpa(1, 0), 6), "hello ", 6);
    memcpy(fake_ram(&mem, buf_gpa(1, 1), 6), "world\n", 6);
    memcpy(fake_ram(&mem, buf_gpa(1, 2), 3), "ok\n", 3);
    fake_desc(&mem, rings[1].desc_gpa, 0, buf_gpa(1, 0), 6, VIRTQ_DESC_F_NEXT, 1);
    fake_desc(&mem, rings[1].desc_gpa, 1, buf_gpa(1, 1), 6, 0, 0);
    fake_ring_make_available(&rings[1], 0);
    post(1, 2, 3, 0);
    kick(1);
    ck_assert_uint_eq(chr->out->len, 15);
    ck_assert(memcmp(chr->out->data, "hello world\nok\n", 15) == 0);
    ck_assert_uint_eq(fake_ring_used_idx(&rings[1]), 2);
    ck_assert_uint_eq(fake_ring_used_id(&rings[1], 0), 0);
    ck_assert_uint_eq(fake_ring_used_len(&rings[1], 0), 0);
    ck_assert_uint_eq(fake_ring_used_id(&rings[1], 1), 2);
    ck_assert_uint_ge(irq_count(), 1);
    ck_assert_uint_eq(rd(STATUS), RUNNING);
}
END_TEST

START_TEST(test_rx)
{
    driver_init();
    post(0, 0, BUF_SIZE, VIRTQ_DESC_F_WRITE);
    post(0, 1, BUF_SIZE, VIRTQ_DESC_F_WRITE);
    post(0, 2, BUF_SIZE, VIRTQ_DESC_F_WRITE);
    kick(0);    /* buffers but no input: they wait */
    ck_assert_uint_eq(fake_ring_used_idx(&rings[0]), 0);
    unsigned irqs_before = irq_count();
    feed(3);
    ck_assert_uint_eq(fake_ring_used_idx(&rings[0]), 1);
    check_rx(0, 0, 3);
    ck_assert_uint_gt(irq_count(), irqs_before);
    feed(100);  /* spans two buffers */
    ck_assert_uint_eq(fake_ring_used_idx(&rings[0]), 3);
    check_rx(1, 1, BUF_SIZE);
    check_rx(2, 2, 100 - BUF_SIZE);
    ck_assert_uint_eq(room(), VIRTIO_CONSOLE_RX_BUFFER);
    ck_assert_uint_eq(rd(STATUS), RUNNING);
}
END_TEST

START_TEST(test_rx_back_pressure)
{
    /* Input before the driver is up waits, and fills the buffer. */
    unsigned accepts_before = accepts();
    feed(1000);
    driver_init();
    feed(VIRTIO_CONSOLE_RX_BUFFER - 1000);
    ck_assert_uint_eq(room(), 0);   /* the back end must hold the rest */
    ck_assert_uint_eq(accepts(), accepts_before);
    /*
     * The guest posts buffers: input flows, the back end is woken, more
     * input comes. 60-byte buffers, so that one of them straddles the end
     * of the device's 4 KiB ring (and the used ring wraps too).
     */
    unsigned used = 0;
    for (unsigned round = 0; round < 10; round++) {
        for (unsigned d = 0; d < QNUM; d++)
            post(0, d, 60, VIRTQ_DESC_F_WRITE);
        kick(0);
        ck_assert_uint_eq(fake_ring_used_idx(&rings[0]), used + QNUM);
        for (unsigned d = 0; d < QNUM; d++)
            check_rx(used + d, d, 60);
        used += QNUM;
        ck_assert_uint_eq(room(), used * 60 - round * 100);
        ck_assert_uint_eq(accepts(), accepts_before + round + 1);
        feed(100);
    }
    ck_assert_uint_eq(rd(STATUS), RUNNING);
}
END_TEST

START_TEST(test_tx_writable_buffer)
{
    driver_init();
    post(1, 0, BUF_SIZE, VIRTQ_DESC_F_WRITE);
    kick(1);
    ck_assert(rd(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(chr->out->len, 0);
}
END_TEST

START_TEST(test_rx_readable_buffer)
{
    driver_init();
    post(0, 0, BUF_SIZE, 0);
    feed(5);
    ck_assert(rd(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(fake_ring_used_idx(&rings[0]), 0);
    /* The input is kept; after a reset a well-behaved driver gets it. */
    driver_init();
    post(0, 1, BUF_SIZE, VIRTQ_DESC_F_WRITE);
    kick(0);
    check_rx(0, 1, 5);
}
END_TEST

START_TEST(test_tx_outside_ram)
{
    driver_init();
    fake_desc(&mem, rings[1].desc_gpa, 0, RAM_SIZE - 4, 64, 0, 0);
    fake_ring_make_available(&rings[1], 0);
    kick(1);
    ck_assert(rd(STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(chr->out->len, 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtio_console");
    TCase *tc = tcase_create("console");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_tx);
    tcase_add_test(tc, test_rx);
    tcase_add_test(tc, test_rx_back_pressure);
    tcase_add_test(tc, test_tx_writable_buffer);
    tcase_add_test(tc, test_rx_readable_buffer);
    tcase_add_test(tc, test_tx_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}
