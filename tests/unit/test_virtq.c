/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/virtq.c: split rings built by hand in fake
 * guest RAM (virtio 1.2, section 2.7), popped and pushed the way a device
 * does, with a hostile driver's mistakes each refused with an error.
 * The fixture: virtq_fixture.c; save and load: test_virtq_snapshot.c.
 */
#include "virtq.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "fake_ring.h"

#include "virtq_fixture.h"

START_TEST(test_start_ok)
{
    ck_assert_ptr_eq(q.desc, (void *)ram(DESC_GPA, 1));
    ck_assert_ptr_eq(q.avail, (void *)ram(AVAIL_GPA, 1));
    ck_assert_ptr_eq(q.used, (void *)ram(USED_GPA, 1));
    ck_assert_uint_eq(q.last_avail, 0);
    ck_assert_uint_eq(q.used_idx, 0);
    /* The minimal alignments of 2.7 (16/2/4) suffice. */
    ck_assert(start_with(QSIZE, 0x1010, 0x2002, 0x3004));
    /* Rings may end at the end of RAM (the used ring 2 bytes short: alignment). */
    ck_assert(start_with(QSIZE, RAM_SIZE - 16 * QSIZE, RAM_SIZE - (4 + 2 * QSIZE + 2),
                         RAM_SIZE - (4 + 8 * QSIZE + 4)));
    ck_assert(start_with(1, DESC_GPA, AVAIL_GPA, USED_GPA));
    ck_assert(start_with(VIRTQ_MAX_SIZE, 0, 0x80000, 0x90000));
}
END_TEST

START_TEST(test_start_refusals)
{
    ck_assert(!start_with(0, DESC_GPA, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(3, DESC_GPA, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(6, DESC_GPA, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(65535, DESC_GPA, AVAIL_GPA, USED_GPA));
    /* Misaligned rings. */
    ck_assert(!start_with(QSIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2));
    /* Outside RAM. */
    ck_assert(!start_with(QSIZE, RAM_SIZE, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, RAM_SIZE + 0x1000, USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, AVAIL_GPA, 1ull << 40));
    ck_assert(!start_with(QSIZE, 0xfffffffffffffff0ull, AVAIL_GPA, USED_GPA));
    /* Straddling the end of RAM by a little. */
    ck_assert(!start_with(QSIZE, RAM_SIZE - 16 * QSIZE + 16, AVAIL_GPA, USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, RAM_SIZE - (4 + 2 * QSIZE), USED_GPA));
    ck_assert(!start_with(QSIZE, DESC_GPA, AVAIL_GPA, RAM_SIZE - (4 + 8 * QSIZE)));
}
END_TEST

/* ---- pop ---- */

START_TEST(test_pop_empty)
{
    g_autoptr(GError) err = NULL;
    ck_assert(!virtq_has_work(&q));
    ck_assert_int_eq(virtq_pop(&q, &elem, &err), 0);
    ck_assert_ptr_null(err);
    /* A queue that is not ready is empty too, whatever the ring says. */
    make_available(0);
    q.ready = false;
    ck_assert(!virtq_has_work(&q));
    ck_assert_int_eq(virtq_pop(&q, &elem, &err), 0);
    ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_pop_single)
{
    set_desc(DESC_GPA, 3, BUF_GPA, 100, 0, 0);
    make_available(3);
    ck_assert(virtq_has_work(&q));
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 3);
    ck_assert_uint_eq(elem.n_out, 1);
    ck_assert_uint_eq(elem.n_in, 0);
    ck_assert_uint_eq(elem.out_len, 100);
    ck_assert_uint_eq(elem.in_len, 0);
    ck_assert_ptr_eq(elem.iov[0].iov_base, (void *)ram(BUF_GPA, 100));
    ck_assert_uint_eq(elem.iov[0].iov_len, 100);
    ck_assert_uint_eq(q.last_avail, 1);
    ck_assert(!virtq_has_work(&q));
    ck_assert_int_eq(virtq_pop(&q, &elem, NULL), 0);

    /* A lone device-writable buffer, and an empty one at the end of RAM. */
    set_desc(DESC_GPA, 0, BUF_GPA + 0x100, 7, VIRTQ_DESC_F_WRITE, 0);
    make_available(0);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 0);
    ck_assert_uint_eq(elem.n_out, 0);
    ck_assert_uint_eq(elem.n_in, 1);
    ck_assert_uint_eq(elem.in_len, 7);
    ck_assert_uint_eq(elem.out_len, 0);
    set_desc(DESC_GPA, 1, RAM_SIZE, 0, 0, 0);
    make_available(1);
    assert_pop_ok();
    ck_assert_uint_eq(elem.n_out, 1);
    ck_assert_uint_eq(elem.out_len, 0);
}
END_TEST

START_TEST(test_pop_chain)
{
    /* 5 -> 2 -> 7: two readable buffers, then one writable. */
    set_desc(DESC_GPA, 5, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
    set_desc(DESC_GPA, 2, BUF_GPA + 0x1000, 32, VIRTQ_DESC_F_NEXT, 7);
    set_desc(DESC_GPA, 7, BUF_GPA + 0x2000, 64, VIRTQ_DESC_F_WRITE, 0);
    make_available(5);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 5);
    ck_assert_uint_eq(elem.n_out, 2);
    ck_assert_uint_eq(elem.n_in, 1);
    ck_assert_uint_eq(elem.out_len, 48);
    ck_assert_uint_eq(elem.in_len, 64);
    ck_assert_ptr_eq(elem.iov[0].iov_base, (void *)ram(BUF_GPA, 16));
    ck_assert_uint_eq(elem.iov[0].iov_len, 16);
    ck_assert_ptr_eq(elem.iov[1].iov_base, (void *)ram(BUF_GPA + 0x1000, 32));
    ck_assert_uint_eq(elem.iov[1].iov_len, 32);
    ck_assert_ptr_eq(elem.iov[2].iov_base, (void *)ram(BUF_GPA + 0x2000, 64));
    ck_assert_uint_eq(elem.iov[2].iov_len, 64);

    /* A chain using every descriptor of the queue is fine. */
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC_GPA, i, BUF_GPA + 0x100 * i, 8,
                 (i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0) | (i >= QSIZE / 2 ? VIRTQ_DESC_F_WRITE : 0),
                 (uint16_t)(i + 1));
    make_available(0);
    assert_pop_ok();
    ck_assert_uint_eq(elem.n_out, QSIZE / 2);
    ck_assert_uint_eq(elem.n_in, QSIZE / 2);
    ck_assert_uint_eq(elem.out_len + elem.in_len, 8 * QSIZE);
}
END_TEST

START_TEST(test_avail_full_ring)
{
    /* avail idx exactly size ahead is a full ring, not an error. */
    for (unsigned i = 0; i < QSIZE; i++) {
        set_desc(DESC_GPA, i, BUF_GPA + i, 1, 0, 0);
        make_available((uint16_t)(QSIZE - 1 - i));
    }
    for (unsigned i = 0; i < QSIZE; i++) {
        assert_pop_ok();
        ck_assert_uint_eq(elem.head, QSIZE - 1 - i);
    }
    ck_assert_int_eq(virtq_pop(&q, &elem, NULL), 0);
}
END_TEST

START_TEST(test_wraparound)
{
    /* 70000 pop/push cycles on a size-4 queue: both 16-bit indices wrap. */
    start_queue(4);
    for (unsigned i = 0; i < 4; i++)
        set_desc(DESC_GPA, i, BUF_GPA + 0x100 * i, 0x10, VIRTQ_DESC_F_WRITE, 0);
    /* Plain ifs in the loop: every ck_assert records a mark point. */
    for (uint32_t n = 0; n < 70000; n++) {
        uint16_t head = (uint16_t)((n * 3) % 4);
        make_available(head);
        if (!virtq_has_work(&q) || virtq_pop(&q, &elem, NULL) != 1)
            ck_abort_msg("cycle %u: nothing to pop", n);
        if (elem.head != head || elem.n_in != 1 || elem.in_len != 0x10)
            ck_abort_msg("cycle %u: popped head %u, %u bytes", n, elem.head, (unsigned)elem.in_len);
        virtq_push(&q, elem.head, n);
        if (used_idx() != (uint16_t)(n + 1) || used_id(n % 4) != head || used_len(n % 4) != n)
            ck_abort_msg("cycle %u: used idx %u, id %u, len %u", n, used_idx(), used_id(n % 4),
                         used_len(n % 4));
    }
    ck_assert_uint_eq(q.last_avail, (uint16_t)70000);
    ck_assert_uint_eq(q.used_idx, (uint16_t)70000);
}
END_TEST

START_TEST(test_wraparound_batched)
{
    /* Start just below 65535 and fill the whole ring across the wrap. */
    start_queue(4);
    q.last_avail = q.used_idx = 65533;
    set_avail_idx(65533);
    wr16(USED_GPA + 2, 65533);
    for (unsigned i = 0; i < 4; i++)
        set_desc(DESC_GPA, i, BUF_GPA, 1, 0, 0);
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 4; i++)
            make_available((uint16_t)i);
        for (unsigned i = 0; i < 4; i++) {
            assert_pop_ok();
            ck_assert_uint_eq(elem.head, i);
        }
        ck_assert_int_eq(virtq_pop(&q, &elem, NULL), 0);
        for (unsigned i = 0; i < 4; i++)
            virtq_push(&q, (uint16_t)i, 1);
    }
    ck_assert_uint_eq(q.last_avail, (uint16_t)(65533 + 12));
    ck_assert_uint_eq(used_idx(), (uint16_t)(65533 + 12));
    /* Slot of entry 65533 + 11 = 8 (mod 65536) is 0; it holds head 3. */
    ck_assert_uint_eq(used_id((uint16_t)(65533 + 11) % 4), 3);
}
END_TEST

/* ---- hostile rings ---- */

START_TEST(test_bad_head)
{
    make_available(QSIZE);
    assert_pop_fails();
    set_avail_idx(0);
    make_available(0xffff);
    assert_pop_fails();
}
END_TEST

START_TEST(test_bad_next)
{
    set_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
    make_available(0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_loop)
{
    /* a -> b -> a */
    set_desc(DESC_GPA, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 4);
    set_desc(DESC_GPA, 4, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    make_available(1);
    assert_pop_fails();
    /* a -> a */
    set_avail_idx(0);
    set_desc(DESC_GPA, 2, BUF_GPA, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    make_available(2);
    assert_pop_fails();
}
END_TEST

START_TEST(test_chain_longer_than_queue)
{
    /* 0 -> 1 -> ... -> 7 -> 0: one descriptor more than the queue has. */
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC_GPA, i, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QSIZE));
    make_available(0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_readable_after_writable)
{
    set_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC_GPA, 1, BUF_GPA + 8, 8, 0, 0);
    make_available(0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_buffer_outside_ram)
{
    set_desc(DESC_GPA, 0, RAM_SIZE, 1, 0, 0);
    make_available(0);
    assert_pop_fails();
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, RAM_SIZE - 8, 9, VIRTQ_DESC_F_WRITE, 0);
    make_available(0);
    assert_pop_fails();
    /* Bad buffer at the end of an otherwise fine chain. */
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC_GPA, 1, 1ull << 40, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_buffer_overflow)
{
    /* addr + len wraps past 2^64 into RAM. */
    set_desc(DESC_GPA, 0, 0xfffffffffffffff0ull, 0x20, 0, 0);
    make_available(0);
    assert_pop_fails();
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, UINT64_MAX, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
    make_available(0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_avail_idx_jump)
{
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC_GPA, i, BUF_GPA, 8, 0, 0);
    set_avail_idx(QSIZE + 1);
    assert_pop_fails();
    set_avail_idx(0x8000);
    assert_pop_fails();
    set_avail_idx(0xffff);     /* moved backwards */
    assert_pop_fails();
    ck_assert_uint_eq(q.last_avail, 0);
}
END_TEST

/* ---- indirect descriptors (2.7.5.3) ---- */

/* Head descriptor 0 points at an indirect table of @n entries at TABLE_GPA. */
static void make_indirect_head(uint32_t len, uint16_t extra_flags)
{
    set_desc(DESC_GPA, 0, TABLE_GPA, len, VIRTQ_DESC_F_INDIRECT | extra_flags, 1);
    make_available(0);
}

START_TEST(test_indirect_ok)
{
    q.indirect = true;
    /* Table entries 0 -> 2 -> 1: readable, readable, writable; 3 unused. */
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
    set_desc(TABLE_GPA, 2, BUF_GPA + 0x100, 20, VIRTQ_DESC_F_NEXT, 1);
    set_desc(TABLE_GPA, 1, BUF_GPA + 0x200, 30, VIRTQ_DESC_F_WRITE, 0);
    make_indirect_head(4 * 16, 0);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 0);
    ck_assert_uint_eq(elem.n_out, 2);
    ck_assert_uint_eq(elem.n_in, 1);
    ck_assert_uint_eq(elem.out_len, 30);
    ck_assert_uint_eq(elem.in_len, 30);
    ck_assert_ptr_eq(elem.iov[0].iov_base, (void *)ram(BUF_GPA, 10));
    ck_assert_ptr_eq(elem.iov[1].iov_base, (void *)ram(BUF_GPA + 0x100, 20));
    ck_assert_ptr_eq(elem.iov[2].iov_base, (void *)ram(BUF_GPA + 0x200, 30));
    ck_assert_uint_eq(elem.iov[2].iov_len, 30);

    /* 2.7.5.3.2: the device ignores WRITE on the descriptor pointing at the table. */
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
    make_indirect_head(16, VIRTQ_DESC_F_WRITE);
    assert_pop_ok();
    ck_assert_uint_eq(elem.n_out, 1);
    ck_assert_uint_eq(elem.n_in, 0);
}
END_TEST

START_TEST(test_indirect_not_negotiated)
{
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
    make_indirect_head(16, 0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_indirect_bad_table)
{
    q.indirect = true;
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
    make_indirect_head(0, 0);
    assert_pop_fails();
    set_avail_idx(0);
    make_indirect_head(24, 0);
    assert_pop_fails();
    set_avail_idx(0);
    make_indirect_head(15, 0);
    assert_pop_fails();
    /* Table outside RAM, straddling its end, wrapping 2^64. */
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, RAM_SIZE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    make_available(0);
    assert_pop_fails();
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    make_available(0);
    assert_pop_fails();
    set_avail_idx(0);
    set_desc(DESC_GPA, 0, 0xfffffffffffffff0ull, 32, VIRTQ_DESC_F_INDIRECT, 0);
    make_available(0);
    assert_pop_fails();
    /* A bad buffer inside a good table. */
    set_avail_idx(0);
    set_desc(TABLE_GPA, 0, RAM_SIZE - 4, 8, 0, 0);
    make_indirect_head(16, 0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_indirect_nested)
{
    q.indirect = true;
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 1);
    set_desc(TABLE_GPA, 1, TABLE_GPA + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    set_desc(TABLE_GPA + 0x100, 0, BUF_GPA, 10, 0, 0);
    make_indirect_head(2 * 16, 0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_indirect_loop)
{
    q.indirect = true;
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 1);
    set_desc(TABLE_GPA, 1, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 0);
    make_indirect_head(2 * 16, 0);
    assert_pop_fails();
    /* A next index past the table's end. */
    set_avail_idx(0);
    set_desc(TABLE_GPA, 1, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 2);
    make_indirect_head(2 * 16, 0);
    assert_pop_fails();
    /* Readable after writable inside the table. */
    set_avail_idx(0);
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    set_desc(TABLE_GPA, 1, BUF_GPA, 10, 0, 0);
    make_indirect_head(2 * 16, 0);
    assert_pop_fails();
}
END_TEST

START_TEST(test_indirect_with_next)
{
    q.indirect = true;
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, 0, 0);
    set_desc(DESC_GPA, 1, BUF_GPA, 10, VIRTQ_DESC_F_WRITE, 0);
    make_indirect_head(16, VIRTQ_DESC_F_NEXT);
    assert_pop_fails();
}
END_TEST

START_TEST(test_indirect_mid_chain)
{
    q.indirect = true;
    set_desc(TABLE_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_WRITE, 0);
    set_desc(DESC_GPA, 0, BUF_GPA, 10, VIRTQ_DESC_F_NEXT, 1);
    set_desc(DESC_GPA, 1, TABLE_GPA, 16, VIRTQ_DESC_F_INDIRECT, 0);
    make_available(0);
    assert_pop_fails();
}
END_TEST

/* ---- push, notifications ---- */

START_TEST(test_push)
{
    set_desc(DESC_GPA, 6, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
    set_desc(DESC_GPA, 2, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
    make_available(6);
    make_available(2);
    assert_pop_ok();
    assert_pop_ok();
    /* Completed out of order: used entries carry the head ids. */
    virtq_push(&q, 2, 5);
    ck_assert_uint_eq(used_idx(), 1);
    ck_assert_uint_eq(used_id(0), 2);
    ck_assert_uint_eq(used_len(0), 5);
    virtq_push(&q, 6, 0);
    ck_assert_uint_eq(used_idx(), 2);
    ck_assert_uint_eq(used_id(1), 6);
    ck_assert_uint_eq(used_len(1), 0);
    ck_assert_uint_eq(q.used_idx, 2);
    /* The used ring slot wraps with the queue size. */
    for (unsigned i = 0; i < QSIZE; i++)
        virtq_push(&q, (uint16_t)i, 100 + i);
    ck_assert_uint_eq(used_idx(), QSIZE + 2);
    ck_assert_uint_eq(used_id(1), QSIZE - 1);
    ck_assert_uint_eq(used_len(1), 100 + QSIZE - 1);
}
END_TEST

START_TEST(test_notify_flags)
{
    virtq_push(&q, 0, 0);
    ck_assert(virtq_should_notify(&q));
    set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    virtq_push(&q, 0, 0);
    ck_assert(!virtq_should_notify(&q));
    ck_assert(!virtq_should_notify(&q));
    set_avail_flags(0);
    virtq_push(&q, 0, 0);
    ck_assert(virtq_should_notify(&q));
    /* used_event means nothing without EVENT_IDX. */
    set_used_event(100);
    virtq_push(&q, 0, 0);
    ck_assert(virtq_should_notify(&q));
}
END_TEST

START_TEST(test_notify_event_idx)
{
    q.event_idx = true;
    /* The first notification is always sent: nothing was signalled yet. */
    set_used_event(50);
    virtq_push(&q, 0, 0);                   /* used idx 1 */
    ck_assert(virtq_should_notify(&q));
    /* used_event = 1: notify once the entry at index 1 is used (idx 1 -> 2). */
    set_used_event(1);
    virtq_push(&q, 0, 0);                   /* 2 */
    ck_assert(virtq_should_notify(&q));
    set_used_event(4);
    virtq_push(&q, 0, 0);                   /* 3 */
    ck_assert(!virtq_should_notify(&q));
    virtq_push(&q, 0, 0);                   /* 4 */
    ck_assert(!virtq_should_notify(&q));
    virtq_push(&q, 0, 0);                   /* 5: passes used_event 4 */
    ck_assert(virtq_should_notify(&q));
    virtq_push(&q, 0, 0);                   /* 6: already signalled past 4 */
    ck_assert(!virtq_should_notify(&q));
    /* Several pushes crossing used_event in one go. */
    set_used_event(7);
    virtq_push(&q, 0, 0);                   /* 7 */
    virtq_push(&q, 0, 0);                   /* 8 */
    virtq_push(&q, 0, 0);                   /* 9 */
    ck_assert(virtq_should_notify(&q));
    /* Nothing pushed since the last check: no interrupt. */
    ck_assert(!virtq_should_notify(&q));
    /* With EVENT_IDX the NO_INTERRUPT flag is ignored (2.7.10). */
    set_avail_flags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    set_used_event(9);
    virtq_push(&q, 0, 0);                   /* 10 */
    ck_assert(virtq_should_notify(&q));
}
END_TEST

START_TEST(test_notify_event_idx_wrap)
{
    q.event_idx = true;
    q.used_idx = 65534;
    wr16(USED_GPA + 2, 65534);
    virtq_push(&q, 0, 0);                   /* 65535 */
    ck_assert(virtq_should_notify(&q));     /* first one */
    set_used_event(0);
    virtq_push(&q, 0, 0);                   /* 0 */
    ck_assert(!virtq_should_notify(&q));
    virtq_push(&q, 0, 0);                   /* 1: passes used_event 0 */
    ck_assert(virtq_should_notify(&q));
    set_used_event(65535);                  /* already behind: never again until it moves */
    virtq_push(&q, 0, 0);
    ck_assert(!virtq_should_notify(&q));
}
END_TEST

START_TEST(test_pop_event_idx_writes_avail_event)
{
    wr16(USED_GPA + 4 + 8u * QSIZE, 0xdead);
    set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
    make_available(0);
    make_available(0);
    assert_pop_ok();
    /* Without EVENT_IDX the field belongs to nobody: left alone. */
    ck_assert_uint_eq(avail_event(), 0xdead);
    q.event_idx = true;
    assert_pop_ok();
    ck_assert_uint_eq(avail_event(), 2);
    make_available(0);
    assert_pop_ok();
    ck_assert_uint_eq(avail_event(), 3);
    ck_assert_int_eq(virtq_pop(&q, &elem, NULL), 0);
    ck_assert_uint_eq(avail_event(), 3);
}
END_TEST

START_TEST(test_set_notification)
{
    virtq_set_notification(&q, false);
    ck_assert_uint_eq(used_flags(), VIRTQ_USED_F_NO_NOTIFY);
    virtq_set_notification(&q, true);
    ck_assert_uint_eq(used_flags(), 0);
    q.event_idx = true;
    q.last_avail = 5;
    virtq_set_notification(&q, true);
    ck_assert_uint_eq(avail_event(), 5);
    ck_assert_uint_eq(used_flags(), 0);
    /* Not ready: no ring to write to. */
    q.ready = false;
    virtq_set_notification(&q, false);
}
END_TEST

/* The driver's side of 2.7.10 with EVENT_IDX (Linux's vring_need_event):
 * does moving avail idx from @old to @new cross avail_event? */
static bool driver_would_notify(uint16_t old, uint16_t new)
{
    return (uint16_t)(new - avail_event() - 1) < (uint16_t)(new - old);
}

START_TEST(test_notification_off_event_idx)
{
    set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
    q.event_idx = true;
    make_available(0);
    assert_pop_ok();
    ck_assert(driver_would_notify(1, 2));
    /* Off: avail_event is one behind what we took, and popping leaves it
     * there, so the driver does not notify for the next buffers. */
    virtq_set_notification(&q, false);
    ck_assert(!driver_would_notify(1, 2));
    make_available(0);
    make_available(0);
    assert_pop_ok();
    ck_assert(!driver_would_notify(3, 4));
    assert_pop_ok();
    ck_assert_uint_eq(avail_event(), 0);
    /* On again: the next slot we will take. */
    virtq_set_notification(&q, true);
    ck_assert_uint_eq(avail_event(), 3);
    ck_assert(driver_would_notify(3, 4));
    make_available(0);
    assert_pop_ok();
    ck_assert_uint_eq(avail_event(), 4);
}
END_TEST

/* A queue the driver stops and starts again while notifications were off
 * (a poller left them so) starts with them on: pops move avail_event. */
START_TEST(test_restart_turns_notifications_on)
{
    set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
    q.event_idx = true;
    virtq_set_notification(&q, false);
    q.ready = false;
    ck_assert(virtq_start(&q, NULL));
    make_available(0);
    assert_pop_ok();
    ck_assert_uint_eq(avail_event(), 1);
}
END_TEST

START_TEST(test_peek)
{
    struct virtq_peek peek;
    set_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
    virtq_peek_init(&q, &peek);
    ck_assert(!virtq_peek_has_work(&peek));
    make_available(0);
    ck_assert(virtq_peek_has_work(&peek));
    assert_pop_ok();
    /* A snapshot of the index: stale until taken again. */
    ck_assert(virtq_peek_has_work(&peek));
    virtq_peek_init(&q, &peek);
    ck_assert(!virtq_peek_has_work(&peek));
    /* A reset does not make the peek read outside guest RAM. */
    make_available(0);
    virtq_reset(&q, &mem);
    ck_assert(virtq_peek_has_work(&peek));
}
END_TEST

START_TEST(test_notify_not_ready)
{
    /* A queue never started has no rings: nothing to read, nobody to tell. */
    virtq_reset(&q, &mem);
    ck_assert(!virtq_should_notify(&q));
    q.event_idx = true;
    ck_assert(!virtq_should_notify(&q));
}
END_TEST

START_TEST(test_unpop)
{
    set_desc(DESC_GPA, 4, BUF_GPA, 8, 0, 0);
    set_desc(DESC_GPA, 5, BUF_GPA, 8, 0, 0);
    make_available(4);
    make_available(5);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 4);
    virtq_unpop(&q);
    ck_assert(virtq_has_work(&q));
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 4);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 5);
    virtq_unpop(&q);
    assert_pop_ok();
    ck_assert_uint_eq(elem.head, 5);
    ck_assert_int_eq(virtq_pop(&q, &elem, NULL), 0);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtq");
    TCase *tc = tcase_create("start");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_start_ok);
    tcase_add_test(tc, test_start_refusals);
    suite_add_tcase(s, tc);

    tc = tcase_create("pop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pop_empty);
    tcase_add_test(tc, test_pop_single);
    tcase_add_test(tc, test_pop_chain);
    tcase_add_test(tc, test_avail_full_ring);
    tcase_add_test(tc, test_wraparound);
    tcase_add_test(tc, test_wraparound_batched);
    tcase_add_test(tc, test_unpop);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bad_head);
    tcase_add_test(tc, test_bad_next);
    tcase_add_test(tc, test_loop);
    tcase_add_test(tc, test_chain_longer_than_queue);
    tcase_add_test(tc, test_readable_after_writable);
    tcase_add_test(tc, test_buffer_outside_ram);
    tcase_add_test(tc, test_buffer_overflow);
    tcase_add_test(tc, test_avail_idx_jump);
    suite_add_tcase(s, tc);

    tc = tcase_create("indirect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_indirect_ok);
    tcase_add_test(tc, test_indirect_not_negotiated);
    tcase_add_test(tc, test_indirect_bad_table);
    tcase_add_test(tc, test_indirect_nested);
    tcase_add_test(tc, test_indirect_loop);
    tcase_add_test(tc, test_indirect_with_next);
    tcase_add_test(tc, test_indirect_mid_chain);
    suite_add_tcase(s, tc);

    tc = tcase_create("used");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_push);
    tcase_add_test(tc, test_notify_flags);
    tcase_add_test(tc, test_notify_event_idx);
    tcase_add_test(tc, test_notify_event_idx_wrap);
    tcase_add_test(tc, test_pop_event_idx_writes_avail_event);
    tcase_add_test(tc, test_set_notification);
    tcase_add_test(tc, test_notification_off_event_idx);
    tcase_add_test(tc, test_restart_turns_notifications_on);
    tcase_add_test(tc, test_peek);
    tcase_add_test(tc, test_notify_not_ready);
    suite_add_tcase(s, tc);

    suite_add_tcase(s, virtq_snapshot_tcase());
    return s;
}
