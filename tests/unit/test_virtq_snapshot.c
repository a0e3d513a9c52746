/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/virtq.c, continued: saving and loading a
 * queue's indices (the "snapshot" test case of the virtq suite).
 */
#include "virtq.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "virtq_fixture.h"

/* ---- snapshots ---- */

START_TEST(test_save_load)
{
    for (unsigned i = 0; i < QSIZE; i++)
        set_desc(DESC_GPA, i, BUF_GPA, 8, 0, 0);
    for (unsigned i = 0; i < 3; i++)
        make_available((uint16_t)i);
    assert_pop_ok();
    assert_pop_ok();
    virtq_push(&q, 0, 1);
    q.event_idx = true;
    ck_assert(virtq_should_notify(&q));

    struct virtq_state st;
    virtq_save(&q, &st);
    ck_assert_uint_eq(st.size, QSIZE);
    ck_assert_uint_eq(st.last_avail, 2);
    ck_assert_uint_eq(st.used_idx, 1);
    ck_assert(st.ready);

    struct virtq q2;
    g_autoptr(GError) err = NULL;
    virtq_reset(&q2, &mem);
    ck_assert_msg(virtq_load(&q2, &st, &err), "%s", err ? err->message : "");
    ck_assert(q2.ready);
    ck_assert_uint_eq(q2.size, QSIZE);
    ck_assert_uint_eq(q2.desc_gpa, DESC_GPA);
    ck_assert_uint_eq(q2.avail_gpa, AVAIL_GPA);
    ck_assert_uint_eq(q2.used_gpa, USED_GPA);
    ck_assert_uint_eq(q2.last_avail, 2);
    ck_assert_uint_eq(q2.used_idx, 1);
    ck_assert_uint_eq(q2.signalled_used, q.signalled_used);
    ck_assert_int_eq(q2.signalled_valid, q.signalled_valid);
    ck_assert_ptr_eq(q2.desc, q.desc);
    ck_assert_ptr_eq(q2.avail, q.avail);
    ck_assert_ptr_eq(q2.used, q.used);
    /* The loaded queue carries on where the saved one stopped. */
    ck_assert_int_eq(virtq_pop(&q2, &elem, NULL), 1);
    ck_assert_uint_eq(elem.head, 2);
    virtq_push(&q2, 2, 0);
    ck_assert_uint_eq(used_idx(), 2);

    /* A queue that was not ready loads as not ready, without touching RAM. */
    struct virtq_state idle = { .size = 0, .ready = false };
    ck_assert(virtq_load(&q2, &idle, NULL));
    ck_assert(!q2.ready);
}
END_TEST

START_TEST(test_load_refusals)
{
    virtq_push(&q, 0, 0);
    struct virtq_state st;
    virtq_save(&q, &st);
    struct virtq q2;

    /* The used index in RAM differs from the saved one. */
    wr16(USED_GPA + 2, 7);
    g_autoptr(GError) err = NULL;
    virtq_reset(&q2, &mem);
    ck_assert(!virtq_load(&q2, &st, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert(!q2.ready);
    g_clear_error(&err);

    /* Rings the snapshot places outside RAM or with a bad size. */
    wr16(USED_GPA + 2, 1);
    ck_assert(virtq_load(&q2, &st, NULL));
    struct virtq_state bad = st;
    bad.used_gpa = RAM_SIZE;
    ck_assert(!virtq_load(&q2, &bad, &err));
    ck_assert(!q2.ready);
    g_clear_error(&err);
    bad = st;
    bad.size = 12;
    ck_assert(!virtq_load(&q2, &bad, &err));
    ck_assert(!q2.ready);
}
END_TEST

TCase *virtq_snapshot_tcase(void)
{
    TCase *tc = tcase_create("snapshot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_load_refusals);
    return tc;
}
