/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a hostile driver's split ring (virtio 1.2, section 2.7)
 * served by virtio-blk (5.2). The input is a small header and then guest
 * RAM from address 0, so descriptor table, avail ring, indirect tables,
 * request headers and buffers all come from the fuzzer:
 *
 *   byte 0     queue size: 1 << (b % 9), 1..256
 *   byte 1     bit 0 EVENT_IDX, bit 1 INDIRECT_DESC negotiated; bit 2 the
 *              disk is read-only; bit 3 flush fails, bit 4 reads/writes
 *              fail, bit 5 discard/write-zeroes say -EOPNOTSUPP
 *   bytes 2-3  the ring index the device starts from (le16: wrap-around)
 *   byte 4     a config space offset read once, byte 5 its size (1..8)
 *   byte 6     the driver then makes (b % 16) more ring slots available
 *              and notifies again (interrupt suppression on a second batch)
 *   bytes 7..  guest RAM from GPA 0 (the rest is zero): descriptor table at
 *              0, avail ring right after it, used ring after that (4-aligned)
 *
 * The device is served through its real queue_notify() by the fake
 * transport of the unit tests; nothing in kvmkit knows it is fuzzed.
 * Besides ASan/UBSan, the target checks that a read-only disk never
 * changes. (Counts of completed chains are not checked: buffers may overlap
 * the rings, so a read can legitimately rewrite the avail ring.)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "fake_block.h"
#include "fake_transport.h"

#define HEADER_BYTES 7
#define RAM_SIZE     0x10000u
#define DISK_SIZE    (32u * 512)

static struct guest_mem mem;
static uint8_t disk_pattern[DISK_SIZE];

static void init_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    if (!guest_mem_init(&mem, RAM_SIZE, NULL) || !guest_mem_add_region(&mem, 0, RAM_SIZE, NULL))
        abort();
    for (unsigned i = 0; i < DISK_SIZE; i++)
        disk_pattern[i] = (uint8_t)(i * 13 + i / 512);
}

static uint16_t rd16(uint64_t gpa)
{
    uint16_t v;
    memcpy(&v, guest_mem_ptr(&mem, gpa, 2), 2);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_BYTES)
        return 0;
    init_once();
    uint16_t qsize = (uint16_t)(1u << (data[0] % 9));
    uint8_t flags = data[1];
    uint16_t start_idx = (uint16_t)(data[2] | data[3] << 8);
    uint8_t cfg_off = data[4];
    unsigned cfg_size = 1 + data[5] % 8;
    unsigned more = data[6] % 16;
    data += HEADER_BYTES;
    size -= HEADER_BYTES;

    uint8_t *ram = guest_mem_ptr(&mem, 0, RAM_SIZE);
    memset(ram, 0, RAM_SIZE);
    memcpy(ram, data, MIN(size, (size_t)RAM_SIZE));

    bool readonly = flags & 4;
    struct fake_block *disk = fake_block_new(DISK_SIZE, readonly);
    memcpy(fake_block_data(disk), disk_pattern, DISK_SIZE);
    disk->flush_result = (flags & 8) ? -EIO : 0;
    disk->fail_io = flags & 16;
    disk->discard_result = (flags & 32) ? -EOPNOTSUPP : 0;
    struct virtio_blk *blk = virtio_blk_new("fuzz", &disk->b);
    struct virtio_dev *dev = virtio_blk_dev(blk);

    uint8_t cfg[8];
    dev->ops->config_read(dev, cfg_off, cfg, cfg_size);

    uint64_t features = (1ull << VIRTIO_F_VERSION_1) |
                        ((flags & 1) ? 1ull << VIRTIO_F_EVENT_IDX : 0) |
                        ((flags & 2) ? 1ull << VIRTIO_F_INDIRECT_DESC : 0);
    static struct fake_transport t;
    fake_transport_attach(&t, dev, &mem, features);
    uint64_t avail = 16ull * qsize;
    uint64_t used = (avail + 6 + 2ull * qsize + 3) & ~3ull;
    if (!fake_transport_start_queue(&t, 0, qsize, 0, avail, used, NULL))
        abort();    /* the layout above always fits */
    struct virtq *q = &t.queues[0];
    q->last_avail = q->used_idx = start_idx;
    /* As if driver and device had already gone round the ring start_idx times. */
    memcpy(guest_mem_ptr(&mem, used + 2, 2), &start_idx, 2);

    fake_transport_kick(&t, 0);
    if (more) {
        uint16_t avail_idx = (uint16_t)(rd16(avail + 2) + more);
        memcpy(guest_mem_ptr(&mem, avail + 2, 2), &avail_idx, 2);
        fake_transport_kick(&t, 0);
    }

    if (readonly && memcmp(fake_block_data(disk), disk_pattern, DISK_SIZE) != 0)
        abort();
    if (readonly && (disk->writes || disk->discards || disk->zeroes))
        abort();
    virtio_blk_free(blk);
    return 0;
}
