/* SPDX-License-Identifier: MIT */
/*
 * The driver's side of a split virtqueue (virtio 1.2, section 2.7) in fake
 * guest RAM, for unit tests that build descriptor chains by hand: write
 * descriptors, make chains available, read back the used ring.
 *
 * Every access goes through guest_mem_ptr() and aborts the running check
 * test if it falls outside RAM (a bug in the test, not in the device).
 */
#ifndef KVMKIT_TEST_FAKE_RING_H
#define KVMKIT_TEST_FAKE_RING_H

#include <stdint.h>

#include "guest_mem.h"

struct fake_ring {
    const struct guest_mem *mem;
    uint16_t size;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    uint16_t avail_idx;     /* the driver's copy of avail->idx */
};

/* Host pointer for [gpa, gpa + len) of @mem; aborts the test if unmapped. */
uint8_t *fake_ram(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

void fake_wr16(const struct guest_mem *mem, uint64_t gpa, uint16_t v);
void fake_wr32(const struct guest_mem *mem, uint64_t gpa, uint32_t v);
void fake_wr64(const struct guest_mem *mem, uint64_t gpa, uint64_t v);
uint16_t fake_rd16(const struct guest_mem *mem, uint64_t gpa);
uint32_t fake_rd32(const struct guest_mem *mem, uint64_t gpa);

/* Descriptor @i of the table at @table: {le64 addr, le32 len, le16 flags, le16 next}. */
void fake_desc(const struct guest_mem *mem, uint64_t table, unsigned i, uint64_t addr,
               uint32_t len, uint16_t flags, uint16_t next);

/* avail {le16 flags, le16 idx, le16 ring[size], le16 used_event}. */
void fake_ring_set_avail_idx(struct fake_ring *r, uint16_t idx);
void fake_ring_set_used_event(struct fake_ring *r, uint16_t v);
/* Makes the chain starting at @head available, as a driver would. */
void fake_ring_make_available(struct fake_ring *r, uint16_t head);

/* used {le16 flags, le16 idx, {le32 id, le32 len}[size], le16 avail_event}. */
uint16_t fake_ring_used_idx(const struct fake_ring *r);
uint32_t fake_ring_used_id(const struct fake_ring *r, unsigned slot);
uint32_t fake_ring_used_len(const struct fake_ring *r, unsigned slot);
uint16_t fake_ring_avail_event(const struct fake_ring *r);

#endif
