/* SPDX-License-Identifier: MIT */
/* The fixture of test_virtio_blk.c (virtio_blk_fixture.h). */
#include "virtio_blk_fixture.h"

#include <check.h>
#include <string.h>

/* ---- fixture: one device on a started queue ---- */

struct guest_mem mem;
struct fake_ring ring;
struct fake_transport ft;
struct virtio_blk *blk;
struct fake_block *probe;    /* the disk, counting calls */
uint8_t *disk;                   /* the in-memory image */
uint8_t disk_before[DISK_SIZE];  /* its contents when the device was made */
static uint16_t next_desc;

void pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i * 7 + i / SECTOR);
}

void make_device(const char *name, bool readonly, uint64_t features)
{
    virtio_blk_free(blk);
    probe = fake_block_new(DISK_SIZE, readonly);
    disk = fake_block_data(probe);
    pattern(disk, DISK_SIZE, 0x11);
    memcpy(disk_before, disk, DISK_SIZE);
    blk = virtio_blk_new(name, &probe->b);

    g_autoptr(GError) err = NULL;
    memset(fake_ram(&mem, 0, HDR_GPA), 0, HDR_GPA);     /* fresh rings */
    fake_transport_attach(&ft, virtio_blk_dev(blk), &mem, features);
    ck_assert_msg(fake_transport_start_queue(&ft, 0, QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA, &err),
                  "start: %s", err ? err->message : "?");
    ring = (struct fake_ring){ .mem = &mem, .size = QSIZE, .desc_gpa = DESC_GPA,
                               .avail_gpa = AVAIL_GPA, .used_gpa = USED_GPA };
    next_desc = 0;
}

void setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    memset(fake_ram(&mem, HDR_GPA, RAM_SIZE - HDR_GPA), POISON, RAM_SIZE - HDR_GPA);
    make_device("disk0", false, ~0ull);
}

void teardown(void)
{
    virtio_blk_free(blk);
    blk = NULL;
    guest_mem_destroy(&mem);
}

/* ---- a driver ---- */

void put_hdr(uint64_t gpa, uint32_t type, uint64_t sector)
{
    fake_wr32(&mem, gpa, type);
    fake_wr32(&mem, gpa + 4, 0);
    fake_wr64(&mem, gpa + 8, sector);
}

/* Writes @n descriptors chained in the next free slots; returns the head. */
uint16_t write_chain(uint64_t table, uint16_t first, unsigned table_size,
                            const struct seg *segs, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        unsigned idx = (first + i) % table_size;
        uint16_t flags = (segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
                         (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        fake_desc(&mem, table, idx, segs[i].gpa, segs[i].len, flags, (idx + 1) % table_size);
    }
    return first;
}

/* Makes the chain @segs available (not yet notified); returns its head. */
uint16_t submit(const struct seg *segs, unsigned n)
{
    uint16_t head = write_chain(DESC_GPA, next_desc, QSIZE, segs, n);
    next_desc = (next_desc + n) % QSIZE;
    fake_ring_make_available(&ring, head);
    return head;
}

/* Notifies; the device must complete exactly the chain @head. Returns its used length. */
uint32_t serve_one(uint16_t head)
{
    uint16_t before = fake_ring_used_idx(&ring);
    fake_transport_kick(&ft, 0);
    ck_assert_msg(ft.broken == 0, "device broken: %s", ft.why);
    ck_assert_uint_eq(fake_ring_used_idx(&ring), (uint16_t)(before + 1));
    ck_assert_uint_eq(fake_ring_used_id(&ring, before), head);
    return fake_ring_used_len(&ring, before);
}

uint8_t status_at(uint64_t gpa)
{
    return *fake_ram(&mem, gpa, 1);
}

/* Header, one data buffer (none if @len is 0), status byte: the common request. */
void request(uint32_t type, uint64_t sector, uint32_t len, bool writable,
                    uint8_t want_status, uint32_t want_used)
{
    put_hdr(HDR_GPA, type, sector);
    *fake_ram(&mem, STATUS_GPA, 1) = POISON;
    struct seg segs[3] = {
        { HDR_GPA, 16, false }, { DATA_GPA, len, writable }, { STATUS_GPA, 1, true },
    };
    if (len == 0)
        segs[1] = segs[2];
    uint32_t used = serve_one(submit(segs, len ? 3 : 2));
    ck_assert_uint_eq(status_at(STATUS_GPA), want_status);
    ck_assert_uint_eq(used, want_used);
}

void assert_disk_unchanged(void)
{
    ck_assert_msg(memcmp(disk, disk_before, DISK_SIZE) == 0, "the image changed");
}

void assert_no_backend_io(void)
{
    ck_assert_uint_eq(probe->reads, 0);
    ck_assert_uint_eq(probe->writes, 0);
    ck_assert_uint_eq(probe->discards, 0);
    ck_assert_uint_eq(probe->zeroes, 0);
    assert_disk_unchanged();
}

void assert_data_untouched(uint32_t len)
{
    const uint8_t *p = fake_ram(&mem, DATA_GPA, len);
    for (uint32_t i = 0; i < len; i++)
        ck_assert_msg(p[i] == POISON, "data byte %u written", i);
}

uint64_t config_u64(uint64_t off)
{
    uint64_t v = 0;
    virtio_blk_dev(blk)->ops->config_read(virtio_blk_dev(blk), off, (uint8_t *)&v, 8);
    return v;
}

uint32_t config_u32(uint64_t off)
{
    uint32_t v = 0;
    virtio_blk_dev(blk)->ops->config_read(virtio_blk_dev(blk), off, (uint8_t *)&v, 4);
    return v;
}
