/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/blk.c (virtio 1.2, section 5.2): requests
 * built by hand in fake guest RAM, served through the real virtqueue code
 * by a fake transport, over the in-memory block back end wrapped in a probe
 * that counts calls and injects failures (fake_block.h). Every request checks the status
 * byte, the used length and what reached (or did not reach) the disk.
 * The fixture and the request helpers: virtio_blk_fixture.c.
 */
#include "blk.h"

#include <check.h>
#include "unit_main.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_block.h"
#include "fake_ring.h"
#include "fake_transport.h"
#include "metrics.h"

#include "virtio_blk_fixture.h"

/* ---- features and config space ---- */

START_TEST(test_features)
{
    uint64_t f = virtio_blk_dev(blk)->host_features;
    ck_assert(f & F(VIRTIO_F_VERSION_1));
    ck_assert(f & F(F_FLUSH));
    ck_assert(f & F(F_BLK_SIZE));
    ck_assert(f & F(F_SEG_MAX));
    ck_assert(f & F(F_SIZE_MAX));
    ck_assert(f & F(F_DISCARD));
    ck_assert(f & F(F_WRITE_ZEROES));
    ck_assert(!(f & F(F_RO)));
    ck_assert_uint_eq(virtio_blk_dev(blk)->device_id, 2);
    ck_assert_uint_eq(virtio_blk_dev(blk)->n_queues, 1);

    make_device("ro", true, ~0ull);
    f = virtio_blk_dev(blk)->host_features;
    ck_assert(f & F(F_RO));
    ck_assert(f & F(F_FLUSH));
    ck_assert(!(f & F(F_DISCARD)));
    ck_assert(!(f & F(F_WRITE_ZEROES)));
}
END_TEST

START_TEST(test_config_space)
{
    ck_assert_uint_eq(config_u64(CFG_CAPACITY), CAPACITY);
    ck_assert_uint_eq(config_u32(CFG_CAPACITY), CAPACITY);     /* 4-byte halves */
    ck_assert_uint_eq(config_u32(CFG_CAPACITY + 4), 0);
    ck_assert_uint_eq(config_u32(CFG_BLK_SIZE), SECTOR);
    uint32_t seg_max = config_u32(CFG_SEG_MAX);
    ck_assert_uint_ge(seg_max, 1);
    ck_assert_uint_le(seg_max, VIRTIO_BLK_QUEUE_SIZE - 2);  /* header and status take two */
    ck_assert_uint_ge(config_u32(CFG_SIZE_MAX), SECTOR);
    ck_assert_uint_eq(config_u32(CFG_MAX_DISCARD_SEG), 1);
    ck_assert_uint_ge(config_u32(CFG_MAX_DISCARD_SECTORS), 1);
    uint8_t b = 0;
    virtio_blk_dev(blk)->ops->config_read(virtio_blk_dev(blk), CFG_WZ_MAY_UNMAP, &b, 1);
    ck_assert_uint_eq(b, 1);
    /* Past the end of the structure: nothing read, nothing overrun. */
    uint32_t v = 0xdeadbeef;
    virtio_blk_dev(blk)->ops->config_read(virtio_blk_dev(blk), 0x100, (uint8_t *)&v, 4);
    ck_assert_uint_eq(v, 0xdeadbeef);
    /* Writes are ignored: every field is read-only without CONFIG_WCE. */
    uint64_t zero = 0;
    virtio_blk_dev(blk)->ops->config_write(virtio_blk_dev(blk), CFG_CAPACITY, (uint8_t *)&zero, 8);
    ck_assert_uint_eq(config_u64(CFG_CAPACITY), CAPACITY);
}
END_TEST

/* ---- read and write ---- */

START_TEST(test_out_in_round_trip_split)
{
    /* Three sectors at sector 5, written from three uneven buffers. */
    const uint32_t lens[3] = { 100, 900, 536 };
    uint8_t data[3 * SECTOR];
    pattern(data, sizeof(data), 0x5a);
    struct seg w[5] = { { HDR_GPA, 16, false } };
    uint64_t gpa = DATA_GPA, off = 0;
    for (unsigned i = 0; i < 3; i++) {
        memcpy(fake_ram(&mem, gpa, lens[i]), data + off, lens[i]);
        w[1 + i] = (struct seg){ gpa, lens[i], false };
        gpa += lens[i] + 64;    /* not contiguous in the guest */
        off += lens[i];
    }
    w[4] = (struct seg){ STATUS_GPA, 1, true };
    put_hdr(HDR_GPA, VIRTIO_BLK_T_OUT, 5);
    ck_assert_uint_eq(serve_one(submit(w, 5)), 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_OK);
    ck_assert_uint_eq(probe->writes, 1);
    ck_assert(memcmp(disk + 5 * SECTOR, data, sizeof(data)) == 0);
    ck_assert(memcmp(disk, disk_before, 5 * SECTOR) == 0);
    ck_assert(memcmp(disk + 8 * SECTOR, disk_before + 8 * SECTOR, DISK_SIZE - 8 * SECTOR) == 0);

    /* Read them back into four other buffers, the status in a fifth. */
    const uint32_t rlens[4] = { 1, 511, 1000, 24 };
    const uint64_t rbuf = 0x30000;
    struct seg r[6] = { { HDR_GPA + 0x100, 16, false } };
    for (unsigned i = 0, g = 0; i < 4; g += rlens[i] + 8, i++)
        r[1 + i] = (struct seg){ rbuf + g, rlens[i], true };
    r[5] = (struct seg){ STATUS_GPA + 1, 1, true };
    put_hdr(HDR_GPA + 0x100, VIRTIO_BLK_T_IN, 5);
    ck_assert_uint_eq(serve_one(submit(r, 6)), 3 * SECTOR + 1);
    ck_assert_uint_eq(status_at(STATUS_GPA + 1), VIRTIO_BLK_S_OK);
    off = 0;
    for (unsigned i = 0, g = 0; i < 4; g += rlens[i] + 8, i++) {
        ck_assert(memcmp(fake_ram(&mem, rbuf + g, rlens[i]), data + off, rlens[i]) == 0);
        ck_assert_uint_eq(*fake_ram(&mem, rbuf + g + rlens[i], 1), POISON);  /* gaps untouched */
        off += rlens[i];
    }
}
END_TEST

START_TEST(test_data_and_status_in_one_buffer)
{
    /* IN: data and status share the last writable descriptor. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_IN, 2);
    struct seg r[2] = { { HDR_GPA, 16, false }, { DATA_GPA, SECTOR + 1, true } };
    ck_assert_uint_eq(serve_one(submit(r, 2)), SECTOR + 1);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, SECTOR), disk + 2 * SECTOR, SECTOR) == 0);
    ck_assert_uint_eq(status_at(DATA_GPA + SECTOR), VIRTIO_BLK_S_OK);

    /* OUT: header and data in one readable descriptor. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_OUT, 9);
    pattern(fake_ram(&mem, HDR_GPA + 16, SECTOR), SECTOR, 0x77);
    struct seg w[2] = { { HDR_GPA, 16 + SECTOR, false }, { STATUS_GPA, 1, true } };
    ck_assert_uint_eq(serve_one(submit(w, 2)), 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_OK);
    ck_assert(memcmp(disk + 9 * SECTOR, fake_ram(&mem, HDR_GPA + 16, SECTOR), SECTOR) == 0);
}
END_TEST

START_TEST(test_header_split)
{
    /* The 16-byte header in pieces of 4, 4 and 8 bytes (type, reserved, sector). */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_OUT, 3);
    uint8_t hdr[16];
    memcpy(hdr, fake_ram(&mem, HDR_GPA, 16), 16);
    memcpy(fake_ram(&mem, HDR_GPA + 0x40, 4), hdr, 4);
    memcpy(fake_ram(&mem, HDR_GPA + 0x80, 4), hdr + 4, 4);
    memcpy(fake_ram(&mem, HDR_GPA + 0xc0, 8), hdr + 8, 8);
    pattern(fake_ram(&mem, DATA_GPA, SECTOR), SECTOR, 0x33);
    struct seg w[5] = {
        { HDR_GPA + 0x40, 4, false }, { HDR_GPA + 0x80, 4, false }, { HDR_GPA + 0xc0, 8, false },
        { DATA_GPA, SECTOR, false }, { STATUS_GPA, 1, true },
    };
    ck_assert_uint_eq(serve_one(submit(w, 5)), 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_OK);
    ck_assert(memcmp(disk + 3 * SECTOR, fake_ram(&mem, DATA_GPA, SECTOR), SECTOR) == 0);
    ck_assert(memcmp(disk + 2 * SECTOR, disk_before + 2 * SECTOR, SECTOR) == 0);

    /* A header of 1 + 15 bytes for a read. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_IN, 3);
    struct seg r[4] = {
        { HDR_GPA, 1, false }, { HDR_GPA + 1, 15, false },
        { DATA_GPA + SECTOR, SECTOR, true }, { STATUS_GPA, 1, true },
    };
    ck_assert_uint_eq(serve_one(submit(r, 4)), SECTOR + 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_OK);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA + SECTOR, SECTOR), disk + 3 * SECTOR, SECTOR) == 0);
}
END_TEST

START_TEST(test_indirect_request)
{
    /* A read described by an indirect table (the head descriptor points at it). */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_IN, 7);
    struct seg r[3] = {
        { HDR_GPA, 16, false }, { DATA_GPA, 2 * SECTOR, true }, { STATUS_GPA, 1, true },
    };
    write_chain(TABLE_GPA, 0, 3, r, 3);
    fake_desc(&mem, DESC_GPA, 0, TABLE_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_ring_make_available(&ring, 0);
    ck_assert_uint_eq(serve_one(0), 2 * SECTOR + 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_OK);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 2 * SECTOR), disk + 7 * SECTOR, 2 * SECTOR) == 0);
}
END_TEST

START_TEST(test_several_requests_one_kick)
{
    /* Three reads made available before one notification: all served in order. */
    uint16_t heads[3];
    for (unsigned i = 0; i < 3; i++) {
        put_hdr(HDR_GPA + 16 * i, VIRTIO_BLK_T_IN, i);
        struct seg r[3] = {
            { HDR_GPA + 16 * i, 16, false }, { DATA_GPA + SECTOR * i, SECTOR, true },
            { STATUS_GPA + i, 1, true },
        };
        heads[i] = submit(r, 3);
    }
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 0);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(fake_ring_used_id(&ring, i), heads[i]);
        ck_assert_uint_eq(fake_ring_used_len(&ring, i), SECTOR + 1);
        ck_assert_uint_eq(status_at(STATUS_GPA + i), VIRTIO_BLK_S_OK);
    }
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 3 * SECTOR), disk, 3 * SECTOR) == 0);
    ck_assert_uint_eq(ft.interrupts, 1);    /* one interrupt for the batch */
}
END_TEST

START_TEST(test_zero_length_read)
{
    /* No data at all is a valid (empty) request, even at the very end. */
    request(VIRTIO_BLK_T_IN, CAPACITY, 0, true, VIRTIO_BLK_S_OK, 1);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_past_end)
{
    request(VIRTIO_BLK_T_IN, CAPACITY, SECTOR, true, VIRTIO_BLK_S_IOERR, 1);
    assert_data_untouched(SECTOR);
    request(VIRTIO_BLK_T_OUT, CAPACITY, SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    /* A sector number whose byte offset overflows 64 bits. */
    request(VIRTIO_BLK_T_IN, 1ull << 55, SECTOR, true, VIRTIO_BLK_S_IOERR, 1);
    request(VIRTIO_BLK_T_OUT, UINT64_MAX, SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    assert_data_untouched(SECTOR);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_straddling_end)
{
    /* The last sector is fine; one more than that is not, and nothing is done. */
    request(VIRTIO_BLK_T_IN, CAPACITY - 1, 2 * SECTOR, true, VIRTIO_BLK_S_IOERR, 1);
    assert_data_untouched(2 * SECTOR);
    request(VIRTIO_BLK_T_OUT, CAPACITY - 1, 2 * SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    assert_no_backend_io();
    request(VIRTIO_BLK_T_IN, CAPACITY - 1, SECTOR, true, VIRTIO_BLK_S_OK, SECTOR + 1);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, SECTOR), disk + DISK_SIZE - SECTOR, SECTOR) == 0);
}
END_TEST

START_TEST(test_length_not_sector_multiple)
{
    request(VIRTIO_BLK_T_IN, 0, SECTOR + 1, true, VIRTIO_BLK_S_IOERR, 1);
    assert_data_untouched(SECTOR + 1);
    request(VIRTIO_BLK_T_OUT, 0, 100, false, VIRTIO_BLK_S_IOERR, 1);
    request(VIRTIO_BLK_T_OUT, 0, SECTOR - 1, false, VIRTIO_BLK_S_IOERR, 1);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_unknown_type)
{
    request(2, 0, SECTOR, true, VIRTIO_BLK_S_UNSUPP, 1);
    request(99, 0, 0, true, VIRTIO_BLK_S_UNSUPP, 1);
    request(0xffffffff, 0, SECTOR, false, VIRTIO_BLK_S_UNSUPP, 1);
    assert_data_untouched(SECTOR);
    assert_no_backend_io();
    ck_assert_uint_eq(probe->flushes, 0);
}
END_TEST

START_TEST(test_short_header)
{
    /* 8 readable bytes where 16 are needed. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_OUT, 0);
    *fake_ram(&mem, STATUS_GPA, 1) = POISON;
    struct seg s[2] = { { HDR_GPA, 8, false }, { STATUS_GPA, 1, true } };
    ck_assert_uint_eq(serve_one(submit(s, 2)), 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_IOERR);
    /* No readable bytes at all. */
    *fake_ram(&mem, STATUS_GPA, 1) = POISON;
    ck_assert_uint_eq(serve_one(submit(s + 1, 1)), 1);
    ck_assert_uint_eq(status_at(STATUS_GPA), VIRTIO_BLK_S_IOERR);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_wrong_direction)
{
    /* OUT whose data is device-writable: refused, the buffer is not written to disk. */
    pattern(fake_ram(&mem, DATA_GPA, SECTOR), SECTOR, 0x44);
    request(VIRTIO_BLK_T_OUT, 0, SECTOR, true, VIRTIO_BLK_S_IOERR, 1);
    /* IN with a device-readable data buffer after the header. */
    request(VIRTIO_BLK_T_IN, 0, SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_backend_io_error)
{
    probe->fail_io = true;
    request(VIRTIO_BLK_T_IN, 0, SECTOR, true, VIRTIO_BLK_S_IOERR, 1);
    ck_assert_uint_eq(probe->reads, 1);
    request(VIRTIO_BLK_T_OUT, 0, SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    ck_assert_uint_eq(probe->writes, 1);
    assert_disk_unchanged();
}
END_TEST

/* ---- flush and get-id ---- */

START_TEST(test_flush)
{
    request(VIRTIO_BLK_T_FLUSH, 0, 0, false, VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(probe->flushes, 1);
    probe->flush_result = -EIO;
    request(VIRTIO_BLK_T_FLUSH, 0, 0, false, VIRTIO_BLK_S_IOERR, 1);
    ck_assert_uint_eq(probe->flushes, 2);
    /* The sector field of a flush is ignored (5.2.6.1 says it is zero). */
    probe->flush_result = 0;
    request(VIRTIO_BLK_T_FLUSH, 12345, 0, false, VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(probe->flushes, 3);
    assert_no_backend_io();
}
END_TEST

/* Before a snapshot: the image is flushed (a read-only one is not), and a
 * failure names the disk. */
START_TEST(test_sync_for_snapshot)
{
    struct virtio_dev *dev = virtio_blk_dev(blk);
    g_autoptr(GError) err = NULL;
    ck_assert(dev->ops->sync(dev, &err));
    ck_assert_uint_eq(probe->flushes, 1);
    probe->flush_result = -EIO;
    ck_assert(!dev->ops->sync(dev, &err));
    ck_assert_msg(strstr(err->message, "virtio-blk disk0") &&
                  strstr(err->message, g_strerror(EIO)), "%s", err->message);
    g_clear_error(&err);
    make_device("disk1", true, ~0ull);
    dev = virtio_blk_dev(blk);
    ck_assert(dev->ops->sync(dev, &err));
    ck_assert_uint_eq(probe->flushes, 0);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_get_id_padded)
{
    request(VIRTIO_BLK_T_GET_ID, 0, 20, true, VIRTIO_BLK_S_OK, 21);
    const uint8_t want[20] = "disk0";
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 20), want, 20) == 0);
    /* A larger buffer: still 20 bytes, the rest untouched. */
    memset(fake_ram(&mem, DATA_GPA, 64), POISON, 64);
    request(VIRTIO_BLK_T_GET_ID, 0, 32, true, VIRTIO_BLK_S_OK, 21);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 20), want, 20) == 0);
    ck_assert_uint_eq(*fake_ram(&mem, DATA_GPA + 20, 1), POISON);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_get_id_full_name)
{
    /* A 20-byte name fills the field with no terminator; a longer one is cut. */
    make_device("abcdefghijklmnopqrst", false, ~0ull);
    request(VIRTIO_BLK_T_GET_ID, 0, 24, true, VIRTIO_BLK_S_OK, 21);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 20), "abcdefghijklmnopqrst", 20) == 0);
    ck_assert_uint_eq(*fake_ram(&mem, DATA_GPA + 20, 1), POISON);
    make_device("abcdefghijklmnopqrstuvwxyz", false, ~0ull);
    memset(fake_ram(&mem, DATA_GPA, 32), POISON, 32);
    request(VIRTIO_BLK_T_GET_ID, 0, 24, true, VIRTIO_BLK_S_OK, 21);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 20), "abcdefghijklmnopqrst", 20) == 0);
    ck_assert_uint_eq(*fake_ram(&mem, DATA_GPA + 20, 1), POISON);
}
END_TEST

START_TEST(test_get_id_short_buffer)
{
    request(VIRTIO_BLK_T_GET_ID, 0, 3, true, VIRTIO_BLK_S_OK, 4);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, 3), "dis", 3) == 0);
    ck_assert_uint_eq(*fake_ram(&mem, DATA_GPA + 3, 1), POISON);
    /* No room but the status byte. */
    request(VIRTIO_BLK_T_GET_ID, 0, 0, true, VIRTIO_BLK_S_OK, 1);
}
END_TEST

/* ---- discard and write-zeroes ---- */

/* One segment {le64 sector, le32 num_sectors, le32 flags} at DATA_GPA + 16 * @i. */
static void put_seg(unsigned i, uint64_t sector, uint32_t n, uint32_t flags)
{
    fake_wr64(&mem, DATA_GPA + 16 * i, sector);
    fake_wr32(&mem, DATA_GPA + 16 * i + 8, n);
    fake_wr32(&mem, DATA_GPA + 16 * i + 12, flags);
}

static void assert_zeroed(uint64_t sector, uint32_t n)
{
    for (uint64_t i = sector * SECTOR; i < (sector + n) * SECTOR; i++)
        ck_assert_msg(disk[i] == 0, "byte %" G_GUINT64_FORMAT " not zero", i);
    ck_assert(memcmp(disk, disk_before, sector * SECTOR) == 0);
    uint64_t end = (sector + n) * SECTOR;
    ck_assert(memcmp(disk + end, disk_before + end, DISK_SIZE - end) == 0);
}

START_TEST(test_discard)
{
    put_seg(0, 4, 3, 0);
    request(VIRTIO_BLK_T_DISCARD, 0, 16, false, VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(probe->discards, 1);
    assert_zeroed(4, 3);    /* the in-memory back end zeroes what it discards */
}
END_TEST

START_TEST(test_write_zeroes)
{
    put_seg(0, CAPACITY - 2, 2, 0);
    request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(probe->zeroes, 1);
    ck_assert(!probe->last_unmap);
    assert_zeroed(CAPACITY - 2, 2);
    /* The unmap flag is passed on. */
    put_seg(0, 0, 1, 1);
    request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, VIRTIO_BLK_S_OK, 1);
    ck_assert_uint_eq(probe->zeroes, 2);
    ck_assert(probe->last_unmap);
    ck_assert_uint_eq(disk[0], 0);
}
END_TEST

START_TEST(test_discard_out_of_range)
{
    const uint32_t types[2] = { VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES };
    for (unsigned t = 0; t < 2; t++) {
        put_seg(0, CAPACITY - 1, 2, 0);         /* straddles the end */
        request(types[t], 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
        put_seg(0, CAPACITY, 1, 0);             /* starts at the end */
        request(types[t], 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
        put_seg(0, UINT64_MAX / SECTOR, 1, 0);   /* overflows */
        request(types[t], 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
    }
    assert_no_backend_io();
}
END_TEST

START_TEST(test_discard_unsupported)
{
    const uint32_t types[2] = { VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES };
    for (unsigned t = 0; t < 2; t++) {
        /* Two segments where max_discard_seg is 1. */
        put_seg(0, 0, 1, 0);
        put_seg(1, 2, 1, 0);
        request(types[t], 0, 32, false, VIRTIO_BLK_S_UNSUPP, 1);
        /* Not a whole segment; no segment at all. */
        request(types[t], 0, 15, false, VIRTIO_BLK_S_UNSUPP, 1);
        request(types[t], 0, 0, false, VIRTIO_BLK_S_UNSUPP, 1);
        /* Reserved flag bits. */
        put_seg(0, 0, 1, 2);
        request(types[t], 0, 16, false, VIRTIO_BLK_S_UNSUPP, 1);
        put_seg(0, 0, 1, 0x80000000u);
        request(types[t], 0, 16, false, VIRTIO_BLK_S_UNSUPP, 1);
        /* More sectors than max_discard_sectors. */
        put_seg(0, 0, config_u32(CFG_MAX_DISCARD_SECTORS) + 1, 0);
        request(types[t], 0, 16, false, VIRTIO_BLK_S_UNSUPP, 1);
    }
    /* Unmap is for write-zeroes only (5.2.6.2). */
    put_seg(0, 0, 1, 1);
    request(VIRTIO_BLK_T_DISCARD, 0, 16, false, VIRTIO_BLK_S_UNSUPP, 1);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_discard_backend_refuses)
{
    /* Discard is a hint: a back end that cannot do it still answers OK... */
    probe->discard_result = -EOPNOTSUPP;
    put_seg(0, 0, 1, 0);
    request(VIRTIO_BLK_T_DISCARD, 0, 16, false, VIRTIO_BLK_S_OK, 1);
    /* ...but write-zeroes must zero. */
    request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
    probe->discard_result = -EIO;
    request(VIRTIO_BLK_T_DISCARD, 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
    ck_assert_uint_eq(probe->discards, 2);
    ck_assert_uint_eq(probe->zeroes, 1);
    assert_disk_unchanged();
}
END_TEST

START_TEST(test_discard_with_writable_data)
{
    put_seg(0, 0, 1, 0);
    request(VIRTIO_BLK_T_DISCARD, 0, 16, true, VIRTIO_BLK_S_IOERR, 1);
    assert_no_backend_io();
}
END_TEST

/* ---- read-only disk ---- */

START_TEST(test_readonly)
{
    make_device("ro", true, ~0ull);
    pattern(fake_ram(&mem, DATA_GPA, SECTOR), SECTOR, 0x99);
    request(VIRTIO_BLK_T_OUT, 0, SECTOR, false, VIRTIO_BLK_S_IOERR, 1);
    put_seg(0, 0, 1, 0);
    request(VIRTIO_BLK_T_DISCARD, 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
    request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, VIRTIO_BLK_S_IOERR, 1);
    assert_no_backend_io();
    /* Reads and flushes still work. */
    request(VIRTIO_BLK_T_IN, 1, SECTOR, true, VIRTIO_BLK_S_OK, SECTOR + 1);
    ck_assert(memcmp(fake_ram(&mem, DATA_GPA, SECTOR), disk + SECTOR, SECTOR) == 0);
    request(VIRTIO_BLK_T_FLUSH, 0, 0, false, VIRTIO_BLK_S_OK, 1);
    assert_disk_unchanged();
}
END_TEST

/* ---- chains the device cannot answer ---- */

START_TEST(test_missing_status_byte)
{
    /* Only readable buffers: nowhere to put the status. The device breaks. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_OUT, 0);
    struct seg s[2] = { { HDR_GPA, 16, false }, { DATA_GPA, SECTOR, false } };
    submit(s, 2);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 1);
    ck_assert_ptr_nonnull(strstr(ft.why, "status"));
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 0);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_zero_length_status)
{
    /* Writable descriptors, but all of zero length. */
    put_hdr(HDR_GPA, VIRTIO_BLK_T_IN, 0);
    struct seg s[3] = { { HDR_GPA, 16, false }, { DATA_GPA, 0, true }, { STATUS_GPA, 0, true } };
    submit(s, 3);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 1);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 0);
    ck_assert_uint_eq(status_at(STATUS_GPA), POISON);
    assert_no_backend_io();
}
END_TEST

START_TEST(test_broken_ring)
{
    /* A descriptor loop: virtq_pop refuses it and the device is broken. */
    fake_desc(&mem, DESC_GPA, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
    fake_desc(&mem, DESC_GPA, 1, STATUS_GPA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
    fake_ring_make_available(&ring, 0);
    fake_transport_kick(&ft, 0);
    ck_assert_uint_eq(ft.broken, 1);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), 0);
    assert_no_backend_io();
}
END_TEST

/* ---- the in-memory back end itself ---- */

START_TEST(test_block_mem)
{
    g_autofree uint8_t *buf = g_malloc(3 * SECTOR);
    struct block_backend *b = block_mem_new(4 * SECTOR, false);
    ck_assert_uint_eq(b->size, 4 * SECTOR);
    ck_assert(!b->readonly);
    for (unsigned i = 0; i < 4 * SECTOR; i++)
        ck_assert_uint_eq(block_mem_data(b)[i], 0);     /* starts zeroed */

    pattern(buf, 3 * SECTOR, 0x21);
    struct iovec w[2] = { { buf, 100 }, { buf + 100, 2 * SECTOR - 100 } };
    ck_assert_int_eq(b->ops->pwritev(b, w, 2, SECTOR), 2 * SECTOR);
    ck_assert(memcmp(block_mem_data(b) + SECTOR, buf, 2 * SECTOR) == 0);
    ck_assert_uint_eq(block_mem_data(b)[SECTOR - 1], 0);
    ck_assert_uint_eq(block_mem_data(b)[3 * SECTOR], 0);

    memset(buf, 0, 3 * SECTOR);
    struct iovec r[1] = { { buf, 3 * SECTOR } };
    ck_assert_int_eq(b->ops->preadv(b, r, 1, 0), 3 * SECTOR);
    ck_assert_uint_eq(buf[0], 0);
    ck_assert(memcmp(buf + SECTOR, block_mem_data(b) + SECTOR, 2 * SECTOR) == 0);

    /* Past the end, or with an offset that wraps: -EIO, nothing touched. */
    ck_assert_int_eq(b->ops->preadv(b, r, 1, 2 * SECTOR), -EIO);
    ck_assert_int_eq(b->ops->pwritev(b, r, 1, 4 * SECTOR), -EIO);
    ck_assert_int_eq(b->ops->preadv(b, r, 1, UINT64_MAX - 10), -EIO);
    ck_assert_int_eq(b->ops->pwritev(b, r, 1, UINT64_MAX - SECTOR + 1), -EIO);

    ck_assert_int_eq(b->ops->flush(b), 0);
    ck_assert_int_eq(b->ops->discard(b, SECTOR, SECTOR), 0);
    ck_assert_uint_eq(block_mem_data(b)[SECTOR], 0);
    ck_assert_uint_ne(block_mem_data(b)[2 * SECTOR + 1], 0);
    ck_assert_int_eq(b->ops->write_zeroes(b, 2 * SECTOR, SECTOR, true), 0);
    ck_assert_uint_eq(block_mem_data(b)[2 * SECTOR + 1], 0);
    ck_assert_int_eq(b->ops->discard(b, 3 * SECTOR, 2 * SECTOR), -EIO);
    ck_assert_int_eq(b->ops->write_zeroes(b, UINT64_MAX - 1, 2, false), -EIO);
    block_backend_free(b);

    b = block_mem_new(SECTOR, true);
    ck_assert(b->readonly);
    block_backend_free(b);
    block_backend_free(NULL);
}
END_TEST

/* ---- counters ---- */

static void record(void *opaque, const char *key, uint64_t value)
{
    g_hash_table_insert(opaque, g_strdup(key), g_memdup2(&value, sizeof(value)));
}

/* The device's counter @key, as reported through its metrics op. */
static uint64_t counter(const char *key)
{
    g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    struct virtio_dev *dev = virtio_blk_dev(blk);
    struct metrics_sink sink = { .put = record, .opaque = t };
    ck_assert_ptr_nonnull(dev->ops->metrics);
    dev->ops->metrics(dev, &sink);
    const uint64_t *v = g_hash_table_lookup(t, key);
    ck_assert_msg(v != NULL, "no counter %s", key);
    return *v;
}

START_TEST(test_counters)
{
    ck_assert_uint_eq(counter("read_requests"), 0);
    request(VIRTIO_BLK_T_OUT, 3, 2 * SECTOR, false, VIRTIO_BLK_S_OK, 1);
    request(VIRTIO_BLK_T_IN, 3, 2 * SECTOR, true, VIRTIO_BLK_S_OK, 2 * SECTOR + 1);
    request(VIRTIO_BLK_T_IN, 0, SECTOR, true, VIRTIO_BLK_S_OK, SECTOR + 1);
    request(VIRTIO_BLK_T_FLUSH, 0, 0, false, VIRTIO_BLK_S_OK, 1);
    request(VIRTIO_BLK_T_IN, CAPACITY, SECTOR, true, VIRTIO_BLK_S_IOERR, 1);   /* past the end */
    request(99, 0, 0, true, VIRTIO_BLK_S_UNSUPP, 1);
    request(VIRTIO_BLK_T_GET_ID, 0, 20, true, VIRTIO_BLK_S_OK, 21);
    ck_assert_uint_eq(counter("write_requests"), 1);
    ck_assert_uint_eq(counter("written_bytes"), 2 * SECTOR);
    ck_assert_uint_eq(counter("read_requests"), 3);
    ck_assert_uint_eq(counter("read_bytes"), 3 * SECTOR);   /* the failed read moved nothing */
    ck_assert_uint_eq(counter("flush_requests"), 1);
    ck_assert_uint_eq(counter("get_id_requests"), 1);
    ck_assert_uint_eq(counter("other_requests"), 1);
    ck_assert_uint_eq(counter("discard_requests"), 0);
    ck_assert_uint_eq(counter("write_zeroes_requests"), 0);
    ck_assert_uint_eq(counter("errors"), 2);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtio_blk");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_config_space);
    suite_add_tcase(s, tc);

    tc = tcase_create("rw");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_out_in_round_trip_split);
    tcase_add_test(tc, test_data_and_status_in_one_buffer);
    tcase_add_test(tc, test_header_split);
    tcase_add_test(tc, test_indirect_request);
    tcase_add_test(tc, test_several_requests_one_kick);
    tcase_add_test(tc, test_zero_length_read);
    tcase_add_test(tc, test_past_end);
    tcase_add_test(tc, test_straddling_end);
    tcase_add_test(tc, test_length_not_sector_multiple);
    tcase_add_test(tc, test_unknown_type);
    tcase_add_test(tc, test_short_header);
    tcase_add_test(tc, test_wrong_direction);
    tcase_add_test(tc, test_backend_io_error);
    tcase_add_test(tc, test_readonly);
    suite_add_tcase(s, tc);

    tc = tcase_create("flush_id");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_flush);
    tcase_add_test(tc, test_sync_for_snapshot);
    tcase_add_test(tc, test_get_id_padded);
    tcase_add_test(tc, test_get_id_full_name);
    tcase_add_test(tc, test_get_id_short_buffer);
    tcase_add_test(tc, test_counters);
    suite_add_tcase(s, tc);

    tc = tcase_create("discard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_write_zeroes);
    tcase_add_test(tc, test_discard_out_of_range);
    tcase_add_test(tc, test_discard_unsupported);
    tcase_add_test(tc, test_discard_backend_refuses);
    tcase_add_test(tc, test_discard_with_writable_data);
    suite_add_tcase(s, tc);

    tc = tcase_create("broken");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_missing_status_byte);
    tcase_add_test(tc, test_zero_length_status);
    tcase_add_test(tc, test_broken_ring);
    suite_add_tcase(s, tc);

    tc = tcase_create("block_mem");
    tcase_add_test(tc, test_block_mem);
    suite_add_tcase(s, tc);
    return s;
}
