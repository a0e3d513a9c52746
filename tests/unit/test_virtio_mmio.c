/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/mmio.c, driven through its register window
 * with 4-byte accesses the way a guest driver does (virtio 1.2, sections
 * 3.1 and 4.2.2/4.2.3), over fake guest RAM, with a fake device that
 * records what the transport calls and a recording interrupt sink (all
 * in virtio_mmio_fixture.c).
 */
#include "mmio.h"

#include <check.h>
#include "unit_main.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio_mmio_fixture.h"

/* ---- identification and features ---- */

START_TEST(test_identity)
{
    ck_assert_uint_eq(rd(MAGIC), 0x74726976);
    ck_assert_uint_eq(rd(VERSION), 2);
    ck_assert_uint_eq(rd(DEVICE_ID), DEV_ID);
    ck_assert_uint_ne(rd(VENDOR_ID), 0);
    ck_assert_uint_eq(rd(STATUS), 0);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    wr(QUEUE_SEL, 0);
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), QMAX);
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    wr(QUEUE_SEL, N_QUEUES - 1);
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), QMAX);
    /* 4.2.3.2: a queue that does not exist has QueueNumMax 0. */
    wr(QUEUE_SEL, N_QUEUES);
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), 0);
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    wr(QUEUE_READY, 1);     /* ignored, no crash */
    wr(QUEUE_SEL, 0xffffffff);
    ck_assert_uint_eq(rd(QUEUE_NUM_MAX), 0);
    ck_assert_uint_eq(rd(0x0f8), 0);    /* reserved */
}
END_TEST

START_TEST(test_device_features)
{
    wr(DEVICE_FEATURES_SEL, 0);
    ck_assert_uint_eq(rd(DEVICE_FEATURES), (uint32_t)OFFERED);
    wr(DEVICE_FEATURES_SEL, 1);
    ck_assert_uint_eq(rd(DEVICE_FEATURES), (uint32_t)(OFFERED >> 32));
    ck_assert(rd(DEVICE_FEATURES) & (1u << (VIRTIO_F_VERSION_1 - 32)));
    wr(DEVICE_FEATURES_SEL, 2);
    ck_assert_uint_eq(rd(DEVICE_FEATURES), 0);
    wr(DEVICE_FEATURES_SEL, 0);
    ck_assert_uint_eq(rd(DEVICE_FEATURES), (uint32_t)OFFERED);
}
END_TEST

START_TEST(test_features_ok)
{
    uint64_t want = F(0) | F(40) | F(VIRTIO_F_VERSION_1);
    ck_assert_uint_eq(negotiate(want), ACK | DRIVER | FEATURES_OK);
    ck_assert_uint_eq(fake.vdev.driver_features, want);
    /* Driver features are frozen once FEATURES_OK is set. */
    wr(DRIVER_FEATURES_SEL, 0);
    wr(DRIVER_FEATURES, 0xffffffff);
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, 0);
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert_uint_eq(rd(STATUS), ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert_uint_eq(fake.vdev.driver_features, want);
    /* Only VERSION_1 is required. */
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1)), ACK | DRIVER | FEATURES_OK);
    ck_assert_uint_eq(fake.vdev.driver_features, F(VIRTIO_F_VERSION_1));
}
END_TEST

START_TEST(test_features_refused)
{
    /* Legacy interface: no VERSION_1. */
    ck_assert_uint_eq(negotiate(F(0) | F(5)), ACK | DRIVER);
    ck_assert_uint_eq(fake.vdev.driver_features, 0);
    /* Features the device did not offer, low and high words. */
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1) | F(1)), ACK | DRIVER);
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1) | F(41)), ACK | DRIVER);
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_ACCESS_PLATFORM)), ACK | DRIVER);
    ck_assert_uint_eq(fake.vdev.driver_features, 0);
    /* The driver may fix its choice and try again without a reset. */
    wr(DRIVER_FEATURES_SEL, 1);
    wr(DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
    wr(STATUS, ACK | DRIVER | FEATURES_OK);
    ck_assert_uint_eq(rd(STATUS), ACK | DRIVER | FEATURES_OK);
    ck_assert_uint_eq(fake.vdev.driver_features, F(VIRTIO_F_VERSION_1));
}
END_TEST

START_TEST(test_driver_ok_without_features_ok)
{
    /* 3.1.1: DRIVER_OK before FEATURES_OK was accepted is a driver bug. */
    ck_assert_uint_eq(negotiate(F(0)), ACK | DRIVER);
    setup_queue(0);
    wr(STATUS, ACK | DRIVER | DRIVER_OK);
    ck_assert(rd(STATUS) & NEEDS_RESET);
    ck_assert_uint_eq(fake.activations, 0);
    /* The device was never activated: it must not be asked to serve queues. */
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 0);
    /* A reset recovers. */
    wr(STATUS, 0);
    ck_assert_uint_eq(rd(STATUS), 0);
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    ck_assert_uint_eq(fake.activations, 1);
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 1);
}
END_TEST

/* ---- queues ---- */

START_TEST(test_queue_setup)
{
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1)), ACK | DRIVER | FEATURES_OK);
    setup_queue(1);
    struct virtq *q = virtio_dev_queue(&fake.vdev, 1);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_null(virtio_dev_queue(&fake.vdev, N_QUEUES));
    ck_assert(q->ready);
    ck_assert_uint_eq(q->size, QNUM);
    ck_assert_uint_eq(q->desc_gpa, desc_gpa(1));
    ck_assert_uint_eq(q->avail_gpa, avail_gpa(1));
    ck_assert_uint_eq(q->used_gpa, used_gpa(1));
    wr(QUEUE_SEL, 0);
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    ck_assert(!virtio_dev_queue(&fake.vdev, 0)->ready);

    /* 4.2.3.2: no queue register changes while the queue is ready. */
    wr(QUEUE_SEL, 1);
    ck_assert_uint_eq(rd(QUEUE_READY), 1);
    wr(QUEUE_NUM, 4);
    wr(QUEUE_DESC_LOW, 0x40000);
    wr(QUEUE_DESC_HIGH, 1);
    wr(QUEUE_DRIVER_LOW, 0x41000);
    wr(QUEUE_DRIVER_HIGH, 1);
    wr(QUEUE_DEVICE_LOW, 0x42000);
    wr(QUEUE_DEVICE_HIGH, 1);
    ck_assert_uint_eq(q->size, QNUM);
    ck_assert_uint_eq(q->desc_gpa, desc_gpa(1));
    ck_assert_uint_eq(q->avail_gpa, avail_gpa(1));
    ck_assert_uint_eq(q->used_gpa, used_gpa(1));
    ck_assert(q->ready);

    /* After QueueReady 0 they may change again; 64-bit addresses combine. */
    wr(QUEUE_READY, 0);
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    wr(QUEUE_NUM, 4);
    wr(QUEUE_DESC_LOW, 0x40000);
    wr(QUEUE_DESC_HIGH, 1);
    ck_assert_uint_eq(q->size, 4);
    ck_assert_uint_eq(q->desc_gpa, 0x100040000ull);
    wr(QUEUE_DESC_HIGH, 0);
    wr(QUEUE_DRIVER_LOW, 0x41000);
    wr(QUEUE_DEVICE_LOW, 0x42000);
    wr(QUEUE_READY, 1);
    ck_assert_uint_eq(rd(QUEUE_READY), 1);
    ck_assert_uint_eq(q->desc_gpa, 0x40000);
    ck_assert_uint_eq(rd(STATUS) & NEEDS_RESET, 0);
}
END_TEST

START_TEST(test_bad_ring_address)
{
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1)), ACK | DRIVER | FEATURES_OK);
    /* Descriptor table above RAM (through the high word). */
    setup_queue_at(0, QNUM, desc_gpa(0) | (1ull << 32), avail_gpa(0), used_gpa(0));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    ck_assert(rd(STATUS) & NEEDS_RESET);
    ck_assert(!virtio_dev_queue(&fake.vdev, 0)->ready);
    /* More of the same does not hurt: misaligned, straddling, bad sizes. */
    setup_queue_at(1, QNUM, desc_gpa(1) + 8, avail_gpa(1), used_gpa(1));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    setup_queue_at(1, QNUM, desc_gpa(1), RAM_SIZE - 8, used_gpa(1));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    setup_queue_at(1, QMAX * 2, desc_gpa(1), avail_gpa(1), used_gpa(1));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    setup_queue_at(1, 3, desc_gpa(1), avail_gpa(1), used_gpa(1));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    setup_queue_at(1, 0, desc_gpa(1), avail_gpa(1), used_gpa(1));
    ck_assert_uint_eq(rd(QUEUE_READY), 0);
    /* The driver carries on regardless; the VMM does too. */
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert(rd(STATUS) & NEEDS_RESET);
    kick(0);
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 0);
    ck_assert_uint_eq(rd(MAGIC), 0x74726976);
    /* Reset clears NEEDS_RESET. */
    wr(STATUS, 0);
    ck_assert_uint_eq(rd(STATUS), 0);
}
END_TEST

START_TEST(test_driver_ok_activates)
{
    uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC);
    ck_assert_uint_eq(negotiate(want), ACK | DRIVER | FEATURES_OK);
    unsigned resets = fake.resets;      /* negotiate() starts with a reset */
    setup_queue(0);
    setup_queue(1);
    ck_assert_uint_eq(fake.activations, 0);
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert_uint_eq(fake.activations, 1);
    ck_assert_uint_eq(fake.vdev.driver_features, want);
    for (unsigned i = 0; i < N_QUEUES; i++) {
        ck_assert(virtio_dev_queue(&fake.vdev, i)->event_idx);
        ck_assert(virtio_dev_queue(&fake.vdev, i)->indirect);
    }
    /* Writing the same status again does not re-activate. */
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert_uint_eq(fake.activations, 1);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.resets, resets);

    /* Without those features the queues do not use them. */
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    ck_assert_uint_eq(fake.activations, 2);
    ck_assert(!virtio_dev_queue(&fake.vdev, 0)->event_idx);
    ck_assert(!virtio_dev_queue(&fake.vdev, 0)->indirect);
}
END_TEST

START_TEST(test_buffers_before_driver_ok)
{
    fake.mode = MODE_SERVE;
    ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1)), ACK | DRIVER | FEATURES_OK);
    setup_queue(0);
    make_available(0, 2);
    kick(0);    /* before DRIVER_OK: not served yet */
    ck_assert_uint_eq(fake.n_notified, 0);
    ck_assert_uint_eq(used_idx(0), 0);
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(used_idx(0), 1);
    ck_assert_uint_eq(fake.pushed, 1);
    ck_assert_uint_eq(irq_count(), 1);
}
END_TEST

START_TEST(test_queue_notify)
{
    driver_init(F(VIRTIO_F_VERSION_1), N_QUEUES);
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(fake.notified[0], 1);
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 2);
    ck_assert_uint_eq(fake.notified[1], 0);
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 3);
    ck_assert_uint_eq(fake.notified[2], 1);
    ck_assert(!fake.notify_off_io_thread);
    /* Queues that do not exist. */
    kick(N_QUEUES);
    kick(0xffffffff);
    ck_assert_uint_eq(fake.n_notified, 3);
    /* The notification eventfd is the one QueueNotify writes to. */
    ck_assert_int_ge(virtio_mmio_notify_fd(t, 0), 0);
    ck_assert_int_ne(virtio_mmio_notify_fd(t, 0), virtio_mmio_notify_fd(t, 1));
    ck_assert_int_eq(virtio_mmio_notify_fd(t, N_QUEUES), -1);
    uint64_t one = 1;
    ck_assert_int_eq(write(virtio_mmio_notify_fd(t, 1), &one, sizeof(one)), sizeof(one));
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.n_notified, 4);
    ck_assert_uint_eq(fake.notified[3], 1);
    /* A queue the driver took back is not served. */
    wr(QUEUE_SEL, 1);
    wr(QUEUE_READY, 0);
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 4);
}
END_TEST

START_TEST(test_interrupt_status_ack)
{
    fake.mode = MODE_SERVE;
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    ck_assert_uint_eq(irq_count(), 0);
    make_available(0, 3);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 1);
    ck_assert_uint_eq(irq_count(), 1);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 1);
    /* Acknowledging another bit leaves this one. */
    wr(INTERRUPT_ACK, 2);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 1);
    wr(INTERRUPT_ACK, 1);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    /* Two chains in one go: one interrupt. */
    make_available(0, 4);
    make_available(0, 5);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 3);
    ck_assert_uint_eq(irq_count(), 2);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 1);
    wr(INTERRUPT_ACK, 0xffffffff);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(test_irq_only_when_wanted)
{
    fake.mode = MODE_SERVE;
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    wr16(avail_gpa(0), VIRTQ_AVAIL_F_NO_INTERRUPT);
    make_available(0, 1);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 1);
    ck_assert_uint_eq(irq_count(), 0);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    wr16(avail_gpa(0), 0);
    make_available(0, 1);
    kick(0);
    ck_assert_uint_eq(irq_count(), 1);
}
END_TEST

START_TEST(test_irq_event_idx)
{
    fake.mode = MODE_SERVE;
    driver_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX), 1);
    uint64_t used_event = avail_gpa(0) + 4 + 2 * QNUM;
    /* The first one is always sent. */
    wr16(used_event, 100);
    make_available(0, 0);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 1);
    ck_assert_uint_eq(irq_count(), 1);
    /* The device told the driver how far it read (avail_event). */
    ck_assert_uint_eq(rd16(used_gpa(0) + 4 + 8 * QNUM), 1);
    /* used_event 5 is far ahead: no interrupt for used idx 2. */
    wr16(used_event, 5);
    make_available(0, 1);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 2);
    ck_assert_uint_eq(irq_count(), 1);
    /* used_event 2: the driver wants one when used idx passes 2. */
    wr16(used_event, 2);
    make_available(0, 2);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 3);
    ck_assert_uint_eq(irq_count(), 2);
    /* NO_INTERRUPT means nothing with EVENT_IDX. */
    wr16(avail_gpa(0), VIRTQ_AVAIL_F_NO_INTERRUPT);
    wr16(used_event, 3);
    make_available(0, 3);
    kick(0);
    ck_assert_uint_eq(irq_count(), 3);
}
END_TEST

START_TEST(test_notify_unready_queue)
{
    /* The device notifies a queue the driver never set up. */
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    fake.mode = MODE_NOTIFY_OTHER;
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(irq_count(), 0);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(test_broken)
{
    driver_init(F(VIRTIO_F_VERSION_1), N_QUEUES);
    unsigned resets = fake.resets;
    fake.mode = MODE_BREAK;
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(rd(STATUS), ACK | DRIVER | FEATURES_OK | DRIVER_OK | NEEDS_RESET);
    ck_assert_uint_eq(virtio_mmio_status(t), rd(STATUS));
    /* 2.1.2: one configuration change notification, however often it breaks. */
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 2);
    ck_assert_uint_eq(irq_count(), 1);
    /* A broken device is not asked to serve any more. */
    kick(0);
    kick(1);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(irq_count(), 1);
    /* The driver cannot clear NEEDS_RESET other than by a reset. */
    wr(STATUS, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    ck_assert(rd(STATUS) & NEEDS_RESET);
    wr(STATUS, 0);
    ck_assert_uint_eq(rd(STATUS), 0);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(fake.resets, resets + 1);
    /* After a reset it works (and may break) again. */
    fake.mode = MODE_RECORD;
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(rd(STATUS) & NEEDS_RESET, 0);
}
END_TEST

START_TEST(test_broken_by_ring)
{
    /* A bad chain makes the fake device call virtio_dev_broken(). */
    fake.mode = MODE_SERVE;
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    wr16(avail_gpa(0) + 4, QNUM + 3);   /* head out of range */
    wr16(avail_gpa(0) + 2, 1);
    kick(0);
    ck_assert(rd(STATUS) & NEEDS_RESET);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 2);
    ck_assert_uint_eq(irq_count(), 1);
}
END_TEST

START_TEST(test_reset)
{
    driver_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX), N_QUEUES);
    unsigned resets = fake.resets;
    virtio_dev_config_changed(&fake.vdev);
    ck_assert_uint_ne(rd(INTERRUPT_STATUS), 0);
    wr(STATUS, 0);
    ck_assert_uint_eq(fake.resets, resets + 1);
    ck_assert_uint_eq(rd(STATUS), 0);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(fake.vdev.driver_features, 0);
    for (unsigned i = 0; i < N_QUEUES; i++) {
        wr(QUEUE_SEL, i);
        ck_assert_uint_eq(rd(QUEUE_READY), 0);
        struct virtq *q = virtio_dev_queue(&fake.vdev, i);
        ck_assert(!q->ready);
        ck_assert(!q->event_idx);
        ck_assert_uint_eq(q->last_avail, 0);
        ck_assert_uint_eq(q->used_idx, 0);
    }
    /* Not served after the reset, even with a notification pending. */
    kick(0);
    ck_assert_uint_eq(fake.n_notified, 0);
    /* Features have to be negotiated again. */
    wr(STATUS, ACK | DRIVER);
    wr(STATUS, ACK | DRIVER | FEATURES_OK);
    ck_assert_uint_eq(rd(STATUS), ACK | DRIVER);
}
END_TEST

/* ---- access widths, config space ---- */

START_TEST(test_narrow_access)
{
    uint8_t b[8];
    for (unsigned size = 1; size <= 8; size *= 2) {
        if (size == 4)
            continue;
        memset(b, 0xaa, sizeof(b));
        virtio_mmio_bus_ops.read(t, MAGIC, b, size);
        for (unsigned i = 0; i < size; i++)
            ck_assert_uint_eq(b[i], 0);
        memset(b, 0xaa, sizeof(b));
        virtio_mmio_bus_ops.read(t, VERSION + size % 4, b, size);
        for (unsigned i = 0; i < size; i++)
            ck_assert_uint_eq(b[i], 0);
        /* Writes are dropped: no status, no queue selection. */
        memset(b, ACK, sizeof(b));
        virtio_mmio_bus_ops.write(t, STATUS, b, size);
        ck_assert_uint_eq(rd(STATUS), 0);
        memset(b, 1, sizeof(b));
        virtio_mmio_bus_ops.write(t, QUEUE_SEL, b, size);
        ck_assert_uint_eq(rd(QUEUE_NUM_MAX), QMAX);
    }
    /* A misaligned 4-byte access is dropped too. */
    memset(b, 0xaa, sizeof(b));
    virtio_mmio_bus_ops.read(t, MAGIC + 2, b, 4);
    ck_assert_uint_eq(b[0] | b[1] | b[2] | b[3], 0);
    uint32_t v = ACK;
    virtio_mmio_bus_ops.write(t, STATUS + 1, (const uint8_t *)&v, 4);
    ck_assert_uint_eq(rd(STATUS), 0);
    /* 2-byte write to QueueNotify after DRIVER_OK: nothing served, no crash. */
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    uint16_t zero = 0;
    virtio_mmio_bus_ops.write(t, QUEUE_NOTIFY, (const uint8_t *)&zero, 2);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.n_notified, 0);
}
END_TEST

START_TEST(test_config_space)
{
    ck_assert_uint_eq(rd(CONFIG), 0xa3a2a1a0);
    ck_assert_uint_eq(fake.last_config_off, 0);
    ck_assert_uint_eq(fake.last_config_size, 4);
    ck_assert_uint_eq(rd(CONFIG + 8), 0xabaaa9a8);
    ck_assert_uint_eq(fake.last_config_off, 8);
    /* Config space takes any width (4.2.2.2 only covers registers). */
    uint8_t b[8] = { 0 };
    virtio_mmio_bus_ops.read(t, CONFIG + 5, b, 1);
    ck_assert_uint_eq(b[0], 0xa5);
    ck_assert_uint_eq(fake.last_config_off, 5);
    ck_assert_uint_eq(fake.last_config_size, 1);
    virtio_mmio_bus_ops.read(t, CONFIG + 6, b, 2);
    ck_assert_uint_eq(b[0], 0xa6);
    ck_assert_uint_eq(b[1], 0xa7);
    ck_assert_uint_eq(fake.last_config_size, 2);
    virtio_mmio_bus_ops.read(t, CONFIG + 8, b, 8);
    ck_assert_uint_eq(b[7], 0xaf);
    ck_assert_uint_eq(fake.last_config_size, 8);
    /* Past the device's config: the device decides (here, zeros). */
    ck_assert_uint_eq(rd(CONFIG + 0x100), 0);
    ck_assert_uint_eq(fake.last_config_off, 0x100);
    ck_assert_uint_eq(fake.config_reads, 6);
    /* Writes reach config_write with the offset. */
    uint8_t x = 0x55;
    virtio_mmio_bus_ops.write(t, CONFIG + 3, &x, 1);
    ck_assert_uint_eq(fake.config_writes, 1);
    ck_assert_uint_eq(fake.config[3], 0x55);
    ck_assert_uint_eq(rd(CONFIG), 0x55a2a1a0);
}
END_TEST

START_TEST(test_config_generation)
{
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    uint32_t gen = rd(CONFIG_GENERATION);
    ck_assert_uint_eq(rd(CONFIG_GENERATION), gen);
    virtio_dev_config_changed(&fake.vdev);
    uint32_t gen2 = rd(CONFIG_GENERATION);
    ck_assert_uint_ne(gen2, gen);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 2);
    ck_assert_uint_eq(irq_count(), 1);
    wr(INTERRUPT_ACK, 2);
    ck_assert_uint_eq(rd(INTERRUPT_STATUS), 0);
    virtio_dev_config_changed(&fake.vdev);
    ck_assert_uint_ne(rd(CONFIG_GENERATION), gen2);
    ck_assert_uint_eq(irq_count(), 2);
    /* Reading config space alone does not change it. */
    gen = rd(CONFIG_GENERATION);
    (void)rd(CONFIG);
    ck_assert_uint_eq(rd(CONFIG_GENERATION), gen);
}
END_TEST

/* ---- I/O thread ---- */

START_TEST(test_schedule)
{
    /* Before DRIVER_OK scheduled work is skipped. */
    virtio_dev_schedule(&fake.vdev, fake_scheduled, NULL);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.scheduled_runs, 0);
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    /* From another thread: runs on the I/O thread. */
    virtio_dev_schedule(&fake.vdev, fake_scheduled, NULL);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.scheduled_runs, 1);
    ck_assert(!fake.scheduled_off_io_thread);
    /* From the I/O thread itself, inside queue_notify: runs afterwards. */
    fake.mode = MODE_SCHEDULE;
    kick(0);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(fake.scheduled_runs, 2);
    ck_assert(!fake.scheduled_off_io_thread);
}
END_TEST

START_TEST(test_schedule_right_after_new)
{
    /* A fresh transport whose I/O thread may not be running yet. */
    virtio_mmio_free(t);
    struct virtio_mmio_irq irq = { .trigger = irq_trigger, .opaque = &irqs };
    t = virtio_mmio_new(&fake.vdev, &mem, irq, NULL);
    ck_assert_ptr_nonnull(t);
    driver_init(F(VIRTIO_F_VERSION_1), 1);
    virtio_dev_schedule(&fake.vdev, fake_scheduled, NULL);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(fake.scheduled_runs, 1);
    ck_assert(!fake.scheduled_off_io_thread);
}
END_TEST

/* A transport whose device polls for up to @poll_max_ns. */
static void recreate_polling(uint32_t poll_max_ns)
{
    g_autoptr(GError) err = NULL;
    virtio_mmio_free(t);
    fake.vdev.poll_max_ns = poll_max_ns;
    struct virtio_mmio_irq irq = { .trigger = irq_trigger, .opaque = &irqs };
    t = virtio_mmio_new(&fake.vdev, &mem, irq, &err);
    ck_assert_msg(t != NULL, "virtio_mmio_new: %s", err ? err->message : "?");
}

/* One buffer and one kick on queue 0; the fake device then makes another
 * buffer available each time it has served, @refills times, as a driver
 * does that sees the last one used. */
static void kick_refilling(uint64_t features, unsigned refills)
{
    fake.mode = MODE_SERVE_REFILL;
    driver_init(features, 1);
    fake.refills = refills;
    make_available(0, 0);
    kick(0);
}

START_TEST(test_poll)
{
    /* A window of up to 1 s: every wait here is shorter, so it only grows. */
    recreate_polling(1000000000u);
    kick_refilling(F(VIRTIO_F_VERSION_1), 5);
    ck_assert_uint_eq(fake.n_notified, 6);
    ck_assert_uint_eq(used_idx(0), 6);
    /* Served from the poll loop, with the driver's notifications off. */
    ck_assert_uint_eq(fake.used_flags_seen[0], 0);
    for (unsigned i = 1; i < 6; i++)
        ck_assert_uint_eq(fake.used_flags_seen[i], VIRTQ_USED_F_NO_NOTIFY);
    /* The window ended empty: notifications are on again. */
    ck_assert_uint_eq(rd16(used_gpa(0)), 0);
}
END_TEST

START_TEST(test_no_poll)
{
    /* Without polling, a buffer made available without a kick waits for one. */
    kick_refilling(F(VIRTIO_F_VERSION_1), 1);
    ck_assert_uint_eq(fake.n_notified, 1);
    ck_assert_uint_eq(used_idx(0), 1);
    kick(0);
    ck_assert_uint_eq(used_idx(0), 2);
}
END_TEST

START_TEST(test_poll_event_idx)
{
    recreate_polling(1000000000u);
    kick_refilling(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX), 3);
    ck_assert_uint_eq(used_idx(0), 4);
    /* While polling, avail_event is one behind what the device took (2.7.10:
     * the driver has passed it, so it does not notify)... */
    for (unsigned i = 1; i < 4; i++)
        ck_assert_uint_eq(fake.avail_event_seen[i], i - 1);
    /* ...and afterwards the next slot it will take. */
    ck_assert_uint_eq(rd16(used_gpa(0) + 4 + 8 * QNUM), 4);
}
END_TEST

START_TEST(test_sync_after_many_notifies)
{
    /* Notifications on several queues back to back, then one sync. */
    driver_init(F(VIRTIO_F_VERSION_1), N_QUEUES);
    for (unsigned round = 0; round < 50; round++) {
        fake.n_notified = 0;
        wr(QUEUE_NOTIFY, 0);
        wr(QUEUE_NOTIFY, 1);
        virtio_mmio_sync(t);
        ck_assert_uint_eq(fake.n_notified, 2);
    }
}
END_TEST

START_TEST(test_free_stops_io_thread)
{
    driver_init(F(VIRTIO_F_VERSION_1), N_QUEUES);
    wr(QUEUE_NOTIFY, 0);
    virtio_mmio_free(t);    /* must not hang with a notification pending */
    t = NULL;
    ck_assert_uint_le(fake.n_notified, 1);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtio_mmio");
    TCase *tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_device_features);
    tcase_add_test(tc, test_features_ok);
    tcase_add_test(tc, test_features_refused);
    tcase_add_test(tc, test_driver_ok_without_features_ok);
    tcase_add_test(tc, test_narrow_access);
    tcase_add_test(tc, test_config_space);
    tcase_add_test(tc, test_config_generation);
    suite_add_tcase(s, tc);

    tc = tcase_create("queues");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_queue_setup);
    tcase_add_test(tc, test_bad_ring_address);
    tcase_add_test(tc, test_driver_ok_activates);
    tcase_add_test(tc, test_buffers_before_driver_ok);
    tcase_add_test(tc, test_queue_notify);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("interrupts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_interrupt_status_ack);
    tcase_add_test(tc, test_irq_only_when_wanted);
    tcase_add_test(tc, test_irq_event_idx);
    tcase_add_test(tc, test_notify_unready_queue);
    tcase_add_test(tc, test_broken);
    tcase_add_test(tc, test_broken_by_ring);
    suite_add_tcase(s, tc);

    tc = tcase_create("io_thread");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_schedule);
    tcase_add_test(tc, test_schedule_right_after_new);
    tcase_add_test(tc, test_sync_after_many_notifies);
    tcase_add_test(tc, test_poll);
    tcase_add_test(tc, test_no_poll);
    tcase_add_test(tc, test_poll_event_idx);
    tcase_add_test(tc, test_free_stops_io_thread);
    suite_add_tcase(s, tc);
    return s;
}
