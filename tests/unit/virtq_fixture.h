/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the virtqueue suite (test_virtq.c, test_virtq_snapshot.c):
 * fake guest RAM, a split ring built by hand in it (virtio 1.2, 2.7.5,
 * 2.7.6, 2.7.8), the queue under test and the driver-side helpers.
 */
#ifndef KVMKIT_TEST_VIRTQ_FIXTURE_H
#define KVMKIT_TEST_VIRTQ_FIXTURE_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "fake_ring.h"
#include "guest_mem.h"
#include "virtq.h"

#define RAM_SIZE   (1u << 20)
#define DESC_GPA   0x1000u
#define AVAIL_GPA  0x2000u
#define USED_GPA   0x3000u
#define TABLE_GPA  0x8000u     /* indirect tables */
#define BUF_GPA    0x10000u    /* buffers */
#define QSIZE      8

/* The queue under test on fake RAM (setup()), and the driver's view of it. */
extern struct guest_mem mem;
extern struct virtq q;
extern struct virtq_elem elem;     /* 16 KiB: keep it off the stack */
extern struct fake_ring ring;      /* the driver's view of q */

uint8_t *ram(uint64_t gpa, uint64_t len);
void wr16(uint64_t gpa, uint16_t v);
void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next);
void set_avail_flags(uint16_t f);
void set_avail_idx(uint16_t idx);
void set_used_event(uint16_t v);
void make_available(uint16_t head);
uint16_t used_flags(void);
uint16_t used_idx(void);
uint32_t used_id(unsigned slot);
uint32_t used_len(unsigned slot);
uint16_t avail_event(void);
void start_queue(uint16_t size);
void setup(void);
void teardown(void);
void assert_pop_fails(void);
void assert_pop_ok(void);
bool start_with(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used);

/* The "snapshot" test case (test_virtq_snapshot.c). */
TCase *virtq_snapshot_tcase(void);

#endif
