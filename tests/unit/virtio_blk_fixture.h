/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the virtio-blk suite (test_virtio_blk.c): one device on
 * a started queue over fake guest RAM and an in-memory disk, and the
 * helpers that build requests by hand and check what they did.
 */
#ifndef KVMKIT_TEST_VIRTIO_BLK_FIXTURE_H
#define KVMKIT_TEST_VIRTIO_BLK_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "blk.h"
#include "fake_block.h"
#include "fake_ring.h"
#include "fake_transport.h"

#define RAM_SIZE    (1u << 20)
#define DESC_GPA    0x1000u
#define AVAIL_GPA   0x2000u
#define USED_GPA    0x3000u
#define TABLE_GPA   0x8000u     /* indirect tables */
#define HDR_GPA     0x10000u
#define DATA_GPA    0x20000u
#define STATUS_GPA  0x40000u
#define QSIZE       16
#define SECTOR      512u
#define DISK_SIZE   (128u * SECTOR)
#define CAPACITY    (DISK_SIZE / SECTOR)
#define POISON      0xee        /* in status bytes and buffers before a request */

/* Feature bits of 5.2.3 the tests look at. */
#define F_SIZE_MAX     1
#define F_SEG_MAX      2
#define F_RO           5
#define F_BLK_SIZE     6
#define F_FLUSH        9
#define F_DISCARD      13
#define F_WRITE_ZEROES 14
#define F(bit)         (1ull << (bit))

/* Offsets in struct virtio_blk_config (5.2.4). */
#define CFG_CAPACITY      0
#define CFG_SIZE_MAX      8
#define CFG_SEG_MAX       12
#define CFG_BLK_SIZE      20
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_MAX_DISCARD_SEG     40
#define CFG_WZ_MAY_UNMAP  56

/* One device on a started queue (setup()), over an in-memory disk. */
extern struct guest_mem mem;
extern struct fake_ring ring;
extern struct fake_transport ft;
extern struct virtio_blk *blk;
extern struct fake_block *probe;    /* the disk, counting calls */
extern uint8_t *disk;                   /* the in-memory image */
extern uint8_t disk_before[DISK_SIZE];  /* its contents when the device was made */

void pattern(uint8_t *p, size_t len, unsigned seed);
void make_device(const char *name, bool readonly, uint64_t features);
void setup(void);
void teardown(void);

/* Requests built by hand, served, and checked. */
struct seg {
    uint64_t gpa;
    uint32_t len;
    bool writable;
};

void put_hdr(uint64_t gpa, uint32_t type, uint64_t sector);
uint16_t write_chain(uint64_t table, uint16_t first, unsigned table_size,
                            const struct seg *segs, unsigned n);
uint16_t submit(const struct seg *segs, unsigned n);
uint32_t serve_one(uint16_t head);
uint8_t status_at(uint64_t gpa);
void request(uint32_t type, uint64_t sector, uint32_t len, bool writable,
                    uint8_t want_status, uint32_t want_used);
void assert_disk_unchanged(void);
void assert_no_backend_io(void);
void assert_data_untouched(uint32_t len);

/* The device's config space. */
uint64_t config_u64(uint64_t off);
uint32_t config_u32(uint64_t off);

#endif
