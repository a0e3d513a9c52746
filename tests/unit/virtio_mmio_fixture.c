/* SPDX-License-Identifier: MIT */
/* The fixture of test_virtio_mmio.c (virtio_mmio_fixture.h). */
#include "virtio_mmio_fixture.h"

#include <check.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

/* Rings of queue @i: descriptors, driver area (avail), device area (used). */
uint64_t desc_gpa(unsigned i)  { return 0x10000u * (i + 1); }
uint64_t avail_gpa(unsigned i) { return 0x10000u * (i + 1) + 0x1000; }
uint64_t used_gpa(unsigned i)  { return 0x10000u * (i + 1) + 0x2000; }

/* ---- fakes ---- */

struct fake_dev fake;
unsigned irqs;       /* atomic */

static void fake_config_read(struct virtio_dev *dev, uint64_t offset, uint8_t *data, unsigned size)
{
    struct fake_dev *f = (struct fake_dev *)dev;
    f->config_reads++;
    f->last_config_off = offset;
    f->last_config_size = size;
    if (offset < sizeof(f->config) && size <= sizeof(f->config) - offset)
        memcpy(data, f->config + offset, size);
}

static void fake_config_write(struct virtio_dev *dev, uint64_t offset, const uint8_t *data,
                              unsigned size)
{
    struct fake_dev *f = (struct fake_dev *)dev;
    f->config_writes++;
    if (offset < sizeof(f->config) && size <= sizeof(f->config) - offset)
        memcpy(f->config + offset, data, size);
}

static void fake_activate(struct virtio_dev *dev)
{
    ((struct fake_dev *)dev)->activations++;
}

static void fake_reset(struct virtio_dev *dev)
{
    ((struct fake_dev *)dev)->resets++;
}

void fake_scheduled(struct virtio_dev *dev, void *data)
{
    struct fake_dev *f = (struct fake_dev *)dev;
    (void)data;
    f->scheduled_runs++;
    if (pthread_equal(pthread_self(), f->main_thread))
        f->scheduled_off_io_thread = true;
}

static void fake_queue_notify(struct virtio_dev *dev, unsigned queue)
{
    struct fake_dev *f = (struct fake_dev *)dev;
    if (f->n_notified < G_N_ELEMENTS(f->notified)) {
        f->used_flags_seen[f->n_notified] = rd16(used_gpa(queue));
        f->avail_event_seen[f->n_notified] = rd16(used_gpa(queue) + 4 + 8 * QNUM);
        f->notified[f->n_notified++] = queue;
    }
    if (pthread_equal(pthread_self(), f->main_thread))
        f->notify_off_io_thread = true;
    f->io_thread = pthread_self();

    switch (f->mode) {
    case MODE_RECORD:
        break;
    case MODE_SERVE:
    case MODE_SERVE_REFILL: {
        static struct virtq_elem elem;
        struct virtq *q = virtio_dev_queue(dev, queue);
        GError *err = NULL;
        unsigned n = 0;
        int r;
        while ((r = virtq_pop(q, &elem, &err)) == 1) {
            virtq_push(q, elem.head, (uint32_t)elem.in_len);
            n++;
        }
        if (r < 0) {
            virtio_dev_broken(dev, err->message);
            g_error_free(err);
        }
        f->pushed += n;
        if (n)
            virtio_dev_notify(dev, queue);
        if (f->mode == MODE_SERVE_REFILL && f->refills) {
            f->refills--;
            make_available(queue, 1);
        }
        break;
    }
    case MODE_BREAK:
        virtio_dev_broken(dev, "fake device gave up");
        virtio_dev_broken(dev, "fake device gave up again");
        break;
    case MODE_SCHEDULE:
        virtio_dev_schedule(dev, fake_scheduled, NULL);
        break;
    case MODE_NOTIFY_OTHER:
        virtio_dev_notify(dev, (queue + 1) % N_QUEUES);
        break;
    }
}

static const struct virtio_dev_ops fake_ops = {
    .config_read = fake_config_read,
    .config_write = fake_config_write,
    .activate = fake_activate,
    .queue_notify = fake_queue_notify,
    .reset = fake_reset,
};

void irq_trigger(void *opaque)
{
    __atomic_fetch_add((unsigned *)opaque, 1, __ATOMIC_SEQ_CST);
}

unsigned irq_count(void)
{
    return __atomic_load_n(&irqs, __ATOMIC_SEQ_CST);
}

/* ---- fixture ---- */

struct guest_mem mem;
struct virtio_mmio *t;
static uint16_t drv_avail_idx[N_QUEUES];

void setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    memset(&fake, 0, sizeof(fake));
    fake.vdev = (struct virtio_dev){
        .name = "fake", .device_id = DEV_ID, .host_features = OFFERED,
        .n_queues = N_QUEUES, .queue_max = QMAX, .ops = &fake_ops,
    };
    fake.main_thread = pthread_self();
    for (unsigned i = 0; i < sizeof(fake.config); i++)
        fake.config[i] = (uint8_t)(0xa0 + i);
    memset(drv_avail_idx, 0, sizeof(drv_avail_idx));
    irqs = 0;
    g_autoptr(GError) err = NULL;
    struct virtio_mmio_irq irq = { .trigger = irq_trigger, .opaque = &irqs };
    t = virtio_mmio_new(&fake.vdev, &mem, irq, &err);
    ck_assert_msg(t != NULL, "virtio_mmio_new: %s", err ? err->message : "?");
}

void teardown(void)
{
    virtio_mmio_free(t);    /* joins the I/O thread */
    t = NULL;
    guest_mem_destroy(&mem);
}

/* ---- a driver ---- */

uint32_t rd(uint64_t off)
{
    uint8_t b[4];
    virtio_mmio_bus_ops.read(t, off, b, 4);
    uint32_t v;
    memcpy(&v, b, 4);
    return v;
}

void wr(uint64_t off, uint32_t v)
{
    uint8_t b[4];
    memcpy(b, &v, 4);
    virtio_mmio_bus_ops.write(t, off, b, 4);
}

void wr16(uint64_t gpa, uint16_t v)
{
    ck_assert(guest_mem_write(&mem, gpa, &v, 2));
}

uint16_t rd16(uint64_t gpa)
{
    uint16_t v;
    ck_assert(guest_mem_read(&mem, gpa, &v, 2));
    return v;
}

/* 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. */
uint32_t negotiate(uint64_t features)
{
    wr(STATUS, 0);
    wr(STATUS, ACK);
    wr(STATUS, ACK | DRIVER);
    wr(DRIVER_FEATURES_SEL, 0);
    wr(DRIVER_FEATURES, (uint32_t)features);
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(STATUS, ACK | DRIVER | FEATURES_OK);
    return rd(STATUS);
}

void setup_queue_at(unsigned i, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    wr(QUEUE_SEL, i);
    wr(QUEUE_NUM, num);
    wr(QUEUE_DESC_LOW, (uint32_t)desc);
    wr(QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    wr(QUEUE_DRIVER_LOW, (uint32_t)avail);
    wr(QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    wr(QUEUE_DEVICE_LOW, (uint32_t)used);
    wr(QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    wr(QUEUE_READY, 1);
}

void setup_queue(unsigned i)
{
    setup_queue_at(i, QNUM, desc_gpa(i), avail_gpa(i), used_gpa(i));
    ck_assert_uint_eq(rd(QUEUE_READY), 1);
}

/* Negotiates @features, sets up @n_queues queues and sets DRIVER_OK. */
void driver_init(uint64_t features, unsigned n_queues)
{
    ck_assert_uint_eq(negotiate(features), ACK | DRIVER | FEATURES_OK);
    for (unsigned i = 0; i < n_queues; i++)
        setup_queue(i);
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert_uint_eq(rd(STATUS), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    /* DRIVER_OK kicks the ready queues: let that settle, then forget it. */
    virtio_mmio_sync(t);
    fake.n_notified = 0;
}

/* One device-writable buffer of 64 bytes in descriptor @head of queue @i. */
void make_available(unsigned i, uint16_t head)
{
    uint64_t d = desc_gpa(i) + 16u * head;
    uint64_t addr = BUF_GPA + 0x100u * head;
    uint32_t len = 64;
    uint16_t flags = VIRTQ_DESC_F_WRITE, next = 0;
    ck_assert(guest_mem_write(&mem, d, &addr, 8));
    ck_assert(guest_mem_write(&mem, d + 8, &len, 4));
    ck_assert(guest_mem_write(&mem, d + 12, &flags, 2));
    ck_assert(guest_mem_write(&mem, d + 14, &next, 2));
    wr16(avail_gpa(i) + 4 + 2u * (drv_avail_idx[i] % QNUM), head);
    wr16(avail_gpa(i) + 2, ++drv_avail_idx[i]);
}

uint16_t used_idx(unsigned i) { return rd16(used_gpa(i) + 2); }

void kick(unsigned i)
{
    wr(QUEUE_NOTIFY, i);
    virtio_mmio_sync(t);
}
