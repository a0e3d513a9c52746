/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the virtio-mmio suite (test_virtio_mmio.c): register
 * offsets, a fake device that records what the transport calls, fake
 * guest RAM, a recording interrupt sink, and a driver that programs the
 * transport through its register window.
 */
#ifndef KVMKIT_TEST_VIRTIO_MMIO_FIXTURE_H
#define KVMKIT_TEST_VIRTIO_MMIO_FIXTURE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "mmio.h"

/* Register offsets, 4.2.2 "MMIO Device Register Layout". */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
    DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014,
    DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
    QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038,
    QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
    INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
    QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084,
    QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094,
    QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4,
    CONFIG_GENERATION = 0x0fc, CONFIG = 0x100,
};

#define ACK         VIRTIO_STATUS_ACKNOWLEDGE
#define DRIVER      VIRTIO_STATUS_DRIVER
#define DRIVER_OK   VIRTIO_STATUS_DRIVER_OK
#define FEATURES_OK VIRTIO_STATUS_FEATURES_OK
#define NEEDS_RESET VIRTIO_STATUS_NEEDS_RESET

#define RAM_SIZE  (1u << 20)
#define BUF_GPA   0x80000u
#define N_QUEUES  2
#define QMAX      16
#define QNUM      8
#define DEV_ID    3
#define F(bit)    (1ull << (bit))
#define OFFERED   (F(0) | F(5) | F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX) | \
                   F(VIRTIO_F_VERSION_1) | F(40))

/* Rings of queue @i: descriptors, driver area (avail), device area (used). */
uint64_t desc_gpa(unsigned i);
uint64_t avail_gpa(unsigned i);
uint64_t used_gpa(unsigned i);

enum fake_mode {
    MODE_RECORD,        /* only record the notification */
    MODE_SERVE,         /* pop everything, push it used, notify if any */
    MODE_BREAK,         /* declare the device broken, twice */
    MODE_SCHEDULE,      /* schedule a function from the I/O thread */
    MODE_NOTIFY_OTHER,  /* notify the other queue, whatever state it is in */
    MODE_SERVE_REFILL,  /* serve, then make one more buffer available (no kick) */
};

struct fake_dev {
    struct virtio_dev vdev;
    enum fake_mode mode;
    pthread_t main_thread;
    /* Written on the I/O thread, read after virtio_mmio_sync(). */
    unsigned activations, resets;
    unsigned notified[32], n_notified;
    bool notify_off_io_thread;
    /* MODE_SERVE_REFILL: buffers still to make available, and the device
     * area's flags and avail_event at each queue_notify() call. */
    unsigned refills;
    uint16_t used_flags_seen[32], avail_event_seen[32];
    unsigned pushed;
    unsigned scheduled_runs;
    bool scheduled_off_io_thread;
    pthread_t io_thread;
    /* Config space accesses (vCPU thread). */
    uint8_t config[16];
    unsigned config_reads;
    uint64_t last_config_off;
    unsigned last_config_size;
    unsigned config_writes;
};

extern struct fake_dev fake;
extern unsigned irqs;       /* atomic */

void fake_scheduled(struct virtio_dev *dev, void *data);
void irq_trigger(void *opaque);
unsigned irq_count(void);

/* The transport under test on fake RAM, made by setup(). */
extern struct guest_mem mem;
extern struct virtio_mmio *t;
void setup(void);
void teardown(void);

/* A driver, through the register window. */
uint32_t rd(uint64_t off);
void wr(uint64_t off, uint32_t v);
void wr16(uint64_t gpa, uint16_t v);
uint16_t rd16(uint64_t gpa);
uint32_t negotiate(uint64_t features);
void setup_queue_at(unsigned i, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used);
void setup_queue(unsigned i);
void driver_init(uint64_t features, unsigned n_queues);
void make_available(unsigned i, uint16_t head);
uint16_t used_idx(unsigned i);
void kick(unsigned i);

#endif
