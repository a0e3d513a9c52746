/* SPDX-License-Identifier: MIT */
/* The fixture of test_virtq.c (virtq_fixture.h). */
#include "virtq_fixture.h"

#include <check.h>
#include <string.h>

/* ---- fake guest RAM and hand-built rings (2.7.5, 2.7.6, 2.7.8) ---- */

struct guest_mem mem;
struct virtq q;
struct virtq_elem elem;     /* 16 KiB: keep it off the stack */
struct fake_ring ring;      /* the driver's view of q */

uint8_t *ram(uint64_t gpa, uint64_t len) { return fake_ram(&mem, gpa, len); }
void wr16(uint64_t gpa, uint16_t v) { fake_wr16(&mem, gpa, v); }

void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    fake_desc(&mem, table, i, addr, len, flags, next);
}

void set_avail_flags(uint16_t f) { wr16(AVAIL_GPA, f); }
void set_avail_idx(uint16_t idx) { fake_ring_set_avail_idx(&ring, idx); }
void set_used_event(uint16_t v) { fake_ring_set_used_event(&ring, v); }
void make_available(uint16_t head) { fake_ring_make_available(&ring, head); }

uint16_t used_flags(void) { return fake_rd16(&mem, USED_GPA); }
uint16_t used_idx(void) { return fake_ring_used_idx(&ring); }
uint32_t used_id(unsigned slot) { return fake_ring_used_id(&ring, slot); }
uint32_t used_len(unsigned slot) { return fake_ring_used_len(&ring, slot); }
uint16_t avail_event(void) { return fake_ring_avail_event(&ring); }

void start_queue(uint16_t size)
{
    g_autoptr(GError) err = NULL;
    virtq_reset(&q, &mem);
    q.size = size;
    q.desc_gpa = DESC_GPA;
    q.avail_gpa = AVAIL_GPA;
    q.used_gpa = USED_GPA;
    ring = (struct fake_ring){ .mem = &mem, .size = size, .desc_gpa = DESC_GPA,
                               .avail_gpa = AVAIL_GPA, .used_gpa = USED_GPA };
    ck_assert_msg(virtq_start(&q, &err), "virtq_start: %s", err ? err->message : "?");
    ck_assert(q.ready);
}

void setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    memset(&elem, 0, sizeof(elem));
    start_queue(QSIZE);
}

void teardown(void)
{
    guest_mem_destroy(&mem);
}

/* Pops expecting the driver's mistake to be refused with a message. */
void assert_pop_fails(void)
{
    g_autoptr(GError) err = NULL;
    uint16_t last = q.last_avail;
    ck_assert_int_eq(virtq_pop(&q, &elem, &err), -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(err->message);
    ck_assert_uint_eq(q.last_avail, last);
}

void assert_pop_ok(void)
{
    g_autoptr(GError) err = NULL;
    int r = virtq_pop(&q, &elem, &err);
    ck_assert_msg(r == 1, "virtq_pop returned %d: %s", r, err ? err->message : "-");
    ck_assert_ptr_null(err);
}

/* ---- virtq_start ---- */

bool start_with(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
    g_autoptr(GError) err = NULL;
    virtq_reset(&q, &mem);
    q.size = size;
    q.desc_gpa = desc;
    q.avail_gpa = avail;
    q.used_gpa = used;
    bool ok = virtq_start(&q, &err);
    ck_assert_int_eq(ok, q.ready);
    ck_assert(ok == (err == NULL));
    return ok;
}
