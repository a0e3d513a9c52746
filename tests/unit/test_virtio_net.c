/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for devices/virtio/net.c: a driver written by hand over the
 * real virtio-mmio transport and fake guest RAM, and a fake back end that
 * records what the device sends and injects frames as a back end's
 * thread would. Covers the header (5.1.6), checksum completion both ways,
 * MRG_RXBUF merging across several posted buffers (5.1.6.4), the drop
 * paths (oversize, malformed chains and headers, no buffers) and TX back
 * pressure.
 */
#include "net.h"

#include <check.h>
#include "unit_main.h"
#include <string.h>

#include "mmio.h"
#include "snap.h"

enum {
    REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
    REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
    REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM = 0x038, REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = 0x050, REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DEVICE_LOW = 0x0a0,
    REG_CONFIG = 0x100,
};

#define RAM_SIZE (4u << 20)
#define QNUM 16
#define RXQ 0
#define TXQ 1
#define RX_BUF_GPA 0x100000u     /* 64 KiB per RX descriptor */
#define TX_BUF_GPA 0x200000u
#define HDR 12u
#define F(bit) (1ull << (bit))
#define BASE_FEATURES (F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS))
#define ST_ALL (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)

static const uint8_t test_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* ---- fake back end ---- */

struct fake_be {
    struct net_backend be;
    GPtrArray *sent;    /* GByteArray *: header + frame */
    bool refuse;
};

static bool fake_send(struct net_backend *b, const struct iovec *iov, unsigned n)
{
    struct fake_be *f = (struct fake_be *)b;
    if (f->refuse)
        return false;
    GByteArray *a = g_byte_array_new();
    for (unsigned i = 0; i < n; i++)
        g_byte_array_append(a, iov[i].iov_base, iov[i].iov_len);
    g_ptr_array_add(f->sent, a);
    return true;
}

static void fake_destroy(struct net_backend *b)
{
    struct fake_be *f = (struct fake_be *)b;
    g_ptr_array_unref(f->sent);
    g_free(f);
}

static const struct net_backend_ops fake_ops = { .send = fake_send, .destroy = fake_destroy };

/* ---- fixture ---- */

static struct guest_mem mem;
static struct virtio_net *net;
static struct fake_be *be;
static struct virtio_mmio *t;
static unsigned irqs;
static uint16_t avail_idx[2], next_desc[2];

static uint64_t desc_gpa(unsigned q) { return 0x10000u * (q + 1); }
static uint64_t avail_gpa(unsigned q) { return 0x10000u * (q + 1) + 0x1000; }
static uint64_t used_gpa(unsigned q) { return 0x10000u * (q + 1) + 0x2000; }

static void irq_trigger(void *opaque)
{
    __atomic_fetch_add((unsigned *)opaque, 1, __ATOMIC_SEQ_CST);
}

static void make_device(bool csum_offload)
{
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
    be = g_new0(struct fake_be, 1);
    be->be.ops = &fake_ops;
    be->be.kind = "fake";
    be->be.csum_offload = csum_offload;
    be->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    net = virtio_net_new("eth0", test_mac, 1500, &be->be);
    struct virtio_mmio_irq irq = { .trigger = irq_trigger, .opaque = &irqs };
    t = virtio_mmio_new(virtio_net_dev(net), &mem, irq, NULL);
    ck_assert(t);
    memset(avail_idx, 0, sizeof(avail_idx));
    memset(next_desc, 0, sizeof(next_desc));
    irqs = 0;
}

static void setup(void)
{
    make_device(false);
}

static void teardown(void)
{
    virtio_mmio_free(t);
    virtio_net_free(net);
    guest_mem_destroy(&mem);
}

static void wr(uint64_t off, uint32_t v)
{
    virtio_mmio_bus_ops.write(t, off, (uint8_t *)&v, 4);
}

static uint32_t rd(uint64_t off)
{
    uint32_t v = 0;
    virtio_mmio_bus_ops.read(t, off, (uint8_t *)&v, 4);
    return v;
}

static void driver_init(uint64_t features)
{
    wr(REG_STATUS, 0);
    wr(REG_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(REG_DRIVER_FEATURES_SEL, 0);
    wr(REG_DRIVER_FEATURES, (uint32_t)features);
    wr(REG_DRIVER_FEATURES_SEL, 1);
    wr(REG_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(REG_STATUS, ST_ALL);
    ck_assert_uint_eq(rd(REG_STATUS), ST_ALL);
    for (unsigned q = 0; q < 2; q++) {
        wr(REG_QUEUE_SEL, q);
        wr(REG_QUEUE_NUM, QNUM);
        wr(REG_QUEUE_DESC_LOW, desc_gpa(q));
        wr(REG_QUEUE_DRIVER_LOW, avail_gpa(q));
        wr(REG_QUEUE_DEVICE_LOW, used_gpa(q));
        wr(REG_QUEUE_READY, 1);
    }
    wr(REG_STATUS, ST_ALL | VIRTIO_STATUS_DRIVER_OK);
    virtio_mmio_sync(t);
}

static void write_desc(unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
                       uint16_t next)
{
    uint64_t d = desc_gpa(q) + 16u * i;
    ck_assert(guest_mem_write(&mem, d, &addr, 8));
    ck_assert(guest_mem_write(&mem, d + 8, &len, 4));
    ck_assert(guest_mem_write(&mem, d + 12, &flags, 2));
    ck_assert(guest_mem_write(&mem, d + 14, &next, 2));
}

static void publish(unsigned q, uint16_t head)
{
    uint16_t idx = avail_idx[q];
    ck_assert(guest_mem_write(&mem, avail_gpa(q) + 4 + 2u * (idx % QNUM), &head, 2));
    idx++;
    ck_assert(guest_mem_write(&mem, avail_gpa(q) + 2, &idx, 2));
    avail_idx[q] = idx;
}

static void kick(unsigned q)
{
    wr(REG_QUEUE_NOTIFY, q);
    virtio_mmio_sync(t);
}

static uint16_t used_idx(unsigned q)
{
    uint16_t v;
    ck_assert(guest_mem_read(&mem, used_gpa(q) + 2, &v, 2));
    return v;
}

static void used_elem(unsigned q, unsigned slot, uint32_t *id, uint32_t *len)
{
    ck_assert(guest_mem_read(&mem, used_gpa(q) + 4 + 8u * (slot % QNUM), id, 4));
    ck_assert(guest_mem_read(&mem, used_gpa(q) + 8 + 8u * (slot % QNUM), len, 4));
}

/* Posts one writable RX buffer of @len bytes; returns its descriptor. */
static uint16_t post_rx(uint32_t len)
{
    uint16_t d = next_desc[RXQ]++ % QNUM;
    write_desc(RXQ, d, RX_BUF_GPA + 0x10000u * d, len, VIRTQ_DESC_F_WRITE, 0);
    publish(RXQ, d);
    return d;
}

static uint8_t *rx_buf(uint16_t d)
{
    return guest_mem_ptr(&mem, RX_BUF_GPA + 0x10000u * d, 0x10000);
}

/* Concatenates what the device wrote into the first @n used RX entries,
 * checking they are the buffers @d in order; returns the bytes. */
static size_t gather_rx(unsigned n, const uint16_t *d, uint8_t *out)
{
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t id, len;
        used_elem(RXQ, i, &id, &len);
        ck_assert_uint_eq(id, d[i]);
        memcpy(out + off, rx_buf(d[i]), len);
        off += len;
    }
    return off;
}

/* Sends header + frame from the guest as two descriptors. */
static void send_tx(const struct net_vnet_hdr *hdr, const uint8_t *frame, uint32_t len)
{
    uint16_t d = next_desc[TXQ] % QNUM;
    next_desc[TXQ] += 2;
    uint64_t a = TX_BUF_GPA + 0x20000u * (d / 2 % 8);
    ck_assert(guest_mem_write(&mem, a, hdr, HDR));
    ck_assert(guest_mem_write(&mem, a + 0x1000, frame, len));
    write_desc(TXQ, d, a, HDR, VIRTQ_DESC_F_NEXT, d + 1);
    write_desc(TXQ, d + 1, a + 0x1000, len, 0, 0);
    publish(TXQ, d);
    kick(TXQ);
}

/* A frame from the back end, as its thread hands it over. */
static void inject(const struct net_vnet_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = HDR },
        { .iov_base = (void *)frame, .iov_len = len },
    };
    be->be.peer.rx(be->be.peer.opaque, iov, 2);
    virtio_mmio_sync(t);
}

static void pattern(uint8_t *p, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 7 + seed);
}

static struct virtio_net_stats stats(void)
{
    struct virtio_net_stats s;
    virtio_net_get_stats(net, &s);
    return s;
}

/* An IPv4/UDP-shaped frame with a checksum field at 14 + 20 + 6. */
#define CSUM_START 34
#define CSUM_OFFSET 6
static void csum_frame(uint8_t *f, size_t len)
{
    pattern(f, len, 3);
    f[CSUM_START + CSUM_OFFSET] = 0x12;     /* the "pseudo-header sum" */
    f[CSUM_START + CSUM_OFFSET + 1] = 0x34;
}

/* A receiver adds the pseudo-header (here the 0x1234 csum_frame() put in
 * the field) to the sum over the segment, stored checksum included. */
static bool csum_ok(const uint8_t *f, size_t len)
{
    return virtio_net_csum_add(0x1234, f + CSUM_START, len - CSUM_START) == 0xffff;
}

/* ---- config space and features ---- */

START_TEST(test_config_space)
{
    uint8_t cfg[12] = { 0 };
    for (unsigned i = 0; i < sizeof(cfg); i++)
        virtio_mmio_bus_ops.read(t, REG_CONFIG + i, &cfg[i], 1);
    ck_assert_mem_eq(cfg, test_mac, 6);
    ck_assert_uint_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
    ck_assert_uint_eq(cfg[10] | cfg[11] << 8, 1500);
    wr(REG_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = rd(REG_DEVICE_FEATURES);
    ck_assert(lo & F(VIRTIO_NET_F_MAC));
    ck_assert(lo & F(VIRTIO_NET_F_STATUS));
    ck_assert(lo & F(VIRTIO_NET_F_MRG_RXBUF));
    ck_assert(lo & F(VIRTIO_NET_F_CSUM));
    ck_assert(lo & F(VIRTIO_NET_F_GUEST_CSUM));
    ck_assert(lo & F(VIRTIO_NET_F_MTU));
    ck_assert(!(lo & F(11)));       /* no HOST_TSO4: no GSO to segment */
}
END_TEST

/* ---- transmit ---- */

START_TEST(test_tx_frame)
{
    driver_init(BASE_FEATURES);
    uint8_t frame[100];
    pattern(frame, sizeof(frame), 1);
    struct net_vnet_hdr hdr = { 0 };
    send_tx(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(TXQ), 1);
    ck_assert_uint_eq(be->sent->len, 1);
    GByteArray *a = g_ptr_array_index(be->sent, 0);
    ck_assert_uint_eq(a->len, HDR + sizeof(frame));
    ck_assert_mem_eq(a->data + HDR, frame, sizeof(frame));
    ck_assert_uint_eq(stats().tx_packets, 1);
    ck_assert_uint_eq(stats().tx_bytes, sizeof(frame));
    ck_assert_uint_gt(__atomic_load_n(&irqs, __ATOMIC_SEQ_CST), 0);
}
END_TEST

START_TEST(test_tx_csum_completed_by_device)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_CSUM));
    uint8_t frame[301];     /* odd length: the last byte is padded */
    csum_frame(frame, sizeof(frame));
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_NEEDS_CSUM, .csum_start = CSUM_START,
                                .csum_offset = CSUM_OFFSET };
    send_tx(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(be->sent->len, 1);
    GByteArray *a = g_ptr_array_index(be->sent, 0);
    struct net_vnet_hdr out;
    memcpy(&out, a->data, HDR);
    ck_assert_uint_eq(out.flags & NET_VNET_HDR_F_NEEDS_CSUM, 0);
    ck_assert(csum_ok(a->data + HDR, sizeof(frame)));
    ck_assert_mem_eq(a->data + HDR, frame, CSUM_START + CSUM_OFFSET);
}
END_TEST

START_TEST(test_tx_csum_passed_to_offloading_backend)
{
    teardown();
    make_device(true);
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_CSUM));
    uint8_t frame[200];
    csum_frame(frame, sizeof(frame));
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_NEEDS_CSUM, .csum_start = CSUM_START,
                                .csum_offset = CSUM_OFFSET };
    send_tx(&hdr, frame, sizeof(frame));
    GByteArray *a = g_ptr_array_index(be->sent, 0);
    ck_assert_uint_eq(a->data[0], NET_VNET_HDR_F_NEEDS_CSUM);
    ck_assert_mem_eq(a->data + HDR, frame, sizeof(frame));
}
END_TEST

START_TEST(test_tx_malformed_dropped)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_CSUM));
    /* A chain shorter than the header. */
    write_desc(TXQ, 0, TX_BUF_GPA, 4, 0, 0);
    publish(TXQ, 0);
    /* A chain with a writable buffer. */
    write_desc(TXQ, 1, TX_BUF_GPA, 64, VIRTQ_DESC_F_WRITE, 0);
    publish(TXQ, 1);
    next_desc[TXQ] = 2;
    kick(TXQ);
    /* GSO, which was not offered. */
    uint8_t frame[64] = { 0 };
    struct net_vnet_hdr gso = { .gso_type = 1, .gso_size = 1448 };
    send_tx(&gso, frame, sizeof(frame));
    /* A checksum request past the end of the frame. */
    struct net_vnet_hdr bad = { .flags = NET_VNET_HDR_F_NEEDS_CSUM, .csum_start = 60,
                                .csum_offset = 6 };
    send_tx(&bad, frame, sizeof(frame));
    ck_assert_uint_eq(be->sent->len, 0);
    ck_assert_uint_eq(stats().tx_dropped_malformed, 4);
    ck_assert_uint_eq(used_idx(TXQ), 4);    /* all given back */
    ck_assert_uint_eq(rd(REG_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* and the device still works */
    struct net_vnet_hdr ok = { 0 };
    send_tx(&ok, frame, sizeof(frame));
    ck_assert_uint_eq(be->sent->len, 1);
}
END_TEST

START_TEST(test_tx_oversize_dropped)
{
    driver_init(BASE_FEATURES);
    write_desc(TXQ, 0, TX_BUF_GPA, HDR + NET_MAX_FRAME + 1, 0, 0);
    publish(TXQ, 0);
    kick(TXQ);
    ck_assert_uint_eq(be->sent->len, 0);
    ck_assert_uint_eq(stats().tx_dropped_oversize, 1);
    ck_assert_uint_eq(used_idx(TXQ), 1);
}
END_TEST

START_TEST(test_tx_waits_for_backend)
{
    driver_init(BASE_FEATURES);
    be->refuse = true;
    uint8_t frame[60] = { 1 };
    struct net_vnet_hdr hdr = { 0 };
    send_tx(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(TXQ), 0);    /* kept, not dropped */
    be->refuse = false;
    be->be.peer.tx_ready(be->be.peer.opaque);
    virtio_mmio_sync(t);
    ck_assert_uint_eq(used_idx(TXQ), 1);
    ck_assert_uint_eq(be->sent->len, 1);
}
END_TEST

/* ---- receive ---- */

START_TEST(test_rx_single_buffer)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_GUEST_CSUM));
    uint16_t d = post_rx(2048);
    kick(RXQ);
    uint8_t frame[1000];
    pattern(frame, sizeof(frame), 5);
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_DATA_VALID };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 1);
    uint32_t id, len;
    used_elem(RXQ, 0, &id, &len);
    ck_assert_uint_eq(id, d);
    ck_assert_uint_eq(len, HDR + sizeof(frame));
    struct net_vnet_hdr got;
    memcpy(&got, rx_buf(d), HDR);
    ck_assert_uint_eq(got.flags, NET_VNET_HDR_F_DATA_VALID);
    ck_assert_uint_eq(got.num_buffers, 1);
    ck_assert_mem_eq(rx_buf(d) + HDR, frame, sizeof(frame));
    ck_assert_uint_eq(stats().rx_packets, 1);
    ck_assert_uint_eq(stats().rx_bytes, sizeof(frame));
}
END_TEST

START_TEST(test_rx_data_valid_needs_guest_csum)
{
    driver_init(BASE_FEATURES);
    uint16_t d = post_rx(2048);
    uint8_t frame[64] = { 0 };
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_DATA_VALID };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(rx_buf(d)[0], 0);
}
END_TEST

START_TEST(test_rx_csum_completed_for_guest)
{
    driver_init(BASE_FEATURES);     /* no GUEST_CSUM: the device must finish it */
    uint16_t d = post_rx(2048);
    uint8_t frame[500];
    csum_frame(frame, sizeof(frame));
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_NEEDS_CSUM, .csum_start = CSUM_START,
                                .csum_offset = CSUM_OFFSET };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 1);
    ck_assert_uint_eq(rx_buf(d)[0], 0);
    ck_assert(csum_ok(rx_buf(d) + HDR, sizeof(frame)));
}
END_TEST

START_TEST(test_rx_mrg_merges_buffers)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_MRG_RXBUF));
    uint16_t d[4];
    for (unsigned i = 0; i < 4; i++)
        d[i] = post_rx(512);
    uint8_t frame[1400];
    pattern(frame, sizeof(frame), 9);
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 3);
    uint8_t got[HDR + sizeof(frame)];
    ck_assert_uint_eq(gather_rx(3, d, got), sizeof(got));
    for (unsigned i = 0; i < 3; i++) {
        uint32_t id, len;
        used_elem(RXQ, i, &id, &len);
        ck_assert_uint_eq(len, i < 2 ? 512 : HDR + sizeof(frame) - 1024);
    }
    struct net_vnet_hdr out;
    memcpy(&out, got, HDR);
    ck_assert_uint_eq(out.num_buffers, 3);
    ck_assert_mem_eq(got + HDR, frame, sizeof(frame));
    /* The fourth buffer is left for the next frame. */
    inject(&hdr, frame, 100);
    ck_assert_uint_eq(used_idx(RXQ), 4);
}
END_TEST

START_TEST(test_rx_mrg_largest_frame)
{
    /* mtu = 65520: a 65534-byte frame over eight 9000-byte buffers */
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_MRG_RXBUF));
    uint16_t d[8];
    for (unsigned i = 0; i < 8; i++)
        d[i] = post_rx(9000);
    static uint8_t frame[65534], got[HDR + sizeof(frame)];
    pattern(frame, sizeof(frame), 4);
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 8);
    ck_assert_uint_eq(gather_rx(8, d, got), sizeof(got));
    ck_assert_uint_eq(got[10], 8);      /* num_buffers */
    ck_assert_mem_eq(got + HDR, frame, sizeof(frame));
}
END_TEST

START_TEST(test_rx_mrg_waits_for_more_buffers)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_MRG_RXBUF));
    post_rx(512);
    uint8_t frame[1400];
    pattern(frame, sizeof(frame), 2);
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 0);    /* held, not published half */
    post_rx(512);
    kick(RXQ);
    ck_assert_uint_eq(used_idx(RXQ), 0);
    post_rx(512);
    kick(RXQ);
    ck_assert_uint_eq(used_idx(RXQ), 3);
    ck_assert_uint_eq(stats().rx_packets, 1);
}
END_TEST

START_TEST(test_rx_oversize_dropped)
{
    driver_init(BASE_FEATURES);
    uint16_t d = post_rx(100);
    uint8_t frame[1000] = { 0 };
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 0);
    ck_assert_uint_eq(stats().rx_dropped_oversize, 1);
    /* The buffer was kept for a frame that fits. */
    inject(&hdr, frame, 50);
    ck_assert_uint_eq(used_idx(RXQ), 1);
    uint32_t id, len;
    used_elem(RXQ, 0, &id, &len);
    ck_assert_uint_eq(id, d);
    ck_assert_uint_eq(len, HDR + 50);
}
END_TEST

START_TEST(test_rx_mrg_oversize_for_whole_ring)
{
    driver_init(BASE_FEATURES | F(VIRTIO_NET_F_MRG_RXBUF));
    for (unsigned i = 0; i < QNUM; i++)
        post_rx(HDR);       /* the smallest legal buffers: 16 * 12 bytes */
    uint8_t frame[1000] = { 0 };
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 0);
    ck_assert_uint_eq(stats().rx_dropped_oversize, 1);
    inject(&hdr, frame, 20);    /* fits in three of them */
    ck_assert_uint_eq(used_idx(RXQ), 3);
}
END_TEST

START_TEST(test_rx_bad_chain)
{
    driver_init(BASE_FEATURES);
    /* device-readable buffer on the RX queue */
    write_desc(RXQ, 0, RX_BUF_GPA, 2048, 0, 0);
    publish(RXQ, 0);
    next_desc[RXQ] = 1;
    uint8_t frame[64] = { 0 };
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(stats().rx_bad_chains, 1);
    ck_assert_uint_eq(used_idx(RXQ), 1);
    uint32_t id, len;
    used_elem(RXQ, 0, &id, &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(rd(REG_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* the frame was dropped with it; the next one goes through */
    post_rx(2048);
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(used_idx(RXQ), 2);
}
END_TEST

START_TEST(test_rx_queue_bounded)
{
    driver_init(BASE_FEATURES);
    static uint8_t frame[60000];
    struct net_vnet_hdr hdr = { 0 };
    unsigned n = VIRTIO_NET_RX_PENDING_MAX / sizeof(frame) + 3;
    for (unsigned i = 0; i < n; i++)
        inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(stats().rx_dropped_full, 3);
    /* Buffers arrive: what was queued is delivered, in order. */
    for (unsigned i = 0; i < 4; i++)
        post_rx(0x10000);
    kick(RXQ);
    ck_assert_uint_eq(used_idx(RXQ), 4);
}
END_TEST

START_TEST(test_rx_before_driver_ok)
{
    uint8_t frame[64] = { 0 };
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    ck_assert_uint_eq(stats().rx_dropped_inactive, 1);
    driver_init(BASE_FEATURES);
    post_rx(2048);
    kick(RXQ);
    ck_assert_uint_eq(used_idx(RXQ), 0);    /* the early frame is gone */
}
END_TEST

START_TEST(test_reset_drops_pending)
{
    driver_init(BASE_FEATURES);
    uint8_t frame[64] = { 0 };
    struct net_vnet_hdr hdr = { 0 };
    inject(&hdr, frame, sizeof(frame));
    wr(REG_STATUS, 0);
    memset(avail_idx, 0, sizeof(avail_idx));
    memset(next_desc, 0, sizeof(next_desc));
    uint16_t zero = 0;
    guest_mem_write(&mem, used_gpa(RXQ) + 2, &zero, 2);
    guest_mem_write(&mem, avail_gpa(RXQ) + 2, &zero, 2);
    driver_init(BASE_FEATURES);
    post_rx(2048);
    kick(RXQ);
    ck_assert_uint_eq(used_idx(RXQ), 0);
}
END_TEST

/* ---- snapshots: the back end's own state rides along in the NIC's node ---- */

struct stateful_be {
    struct fake_be f;
    const char *state;          /* what save() returns */
    bool refuse;                /* load() fails */
    GBytes *loaded;             /* what load() got */
    uint32_t loaded_version;
};

static GBytes *stateful_save(struct net_backend *b, uint32_t *version)
{
    struct stateful_be *s = (struct stateful_be *)b;
    *version = 7;
    return g_bytes_new(s->state, strlen(s->state));
}

static bool stateful_load(struct net_backend *b, uint32_t version, GBytes *state, GError **errp)
{
    struct stateful_be *s = (struct stateful_be *)b;
    if (s->refuse) {
        g_set_error(errp, G_FILE_ERROR, G_FILE_ERROR_INVAL, "state refused");
        return false;
    }
    s->loaded_version = version;
    gsize len;
    const void *d = g_bytes_get_data(state, &len);
    s->loaded = g_bytes_new(d, len);        /* @state points into the blob */
    return true;
}

static void stateful_destroy(struct net_backend *b)
{
    struct stateful_be *s = (struct stateful_be *)b;
    if (s->loaded)
        g_bytes_unref(s->loaded);
    g_ptr_array_unref(s->f.sent);
    g_free(s);
}

static const struct net_backend_ops stateful_ops = {
    .send = fake_send, .destroy = stateful_destroy,
    .save = stateful_save, .load = stateful_load,
};

static struct stateful_be *stateful_new(const char *kind, const char *state)
{
    struct stateful_be *s = g_new0(struct stateful_be, 1);
    s->f.be.ops = &stateful_ops;
    s->f.be.kind = kind;
    s->f.sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    s->state = state;
    return s;
}

static struct virtio_net *loaded_net;
static struct virtio_mmio *loaded_t;

/* Frees the NIC save_and_load() made (and with it its back end). */
static void free_loaded(void)
{
    virtio_mmio_free(loaded_t);
    virtio_net_free(loaded_net);
}

/* Saves a NIC whose back end has @state and loads the blob into a new NIC
 * over @into (which the NIC owns: free_loaded() frees it). */
static bool save_and_load(const char *state, struct stateful_be *into, GError **errp)
{
    struct stateful_be *src = stateful_new("fake", state);
    struct virtio_net *n1 = virtio_net_new("eth0", test_mac, 1500, &src->f.be);
    struct virtio_mmio_irq irq = { .trigger = irq_trigger, .opaque = &irqs };
    struct virtio_mmio *t1 = virtio_mmio_new(virtio_net_dev(n1), &mem, irq, NULL);
    struct snap_out *o = snap_out_new();
    virtio_mmio_save(t1, o, "nic");
    size_t len;
    void *blob = snap_out_finish(o, &len, NULL);
    ck_assert(blob);
    snap_out_free(o);
    virtio_mmio_free(t1);
    virtio_net_free(n1);

    loaded_net = virtio_net_new("eth0", test_mac, 1500, &into->f.be);
    loaded_t = virtio_mmio_new(virtio_net_dev(loaded_net), &mem, irq, NULL);
    struct snap_in root;
    ck_assert(snap_in_root(blob, len, &root, NULL));
    bool ok = virtio_mmio_load(loaded_t, &root, "nic", errp);
    g_free(blob);
    return ok;
}

START_TEST(test_snapshot_backend_state_round_trip)
{
    struct stateful_be *dst = stateful_new("fake", "unused");
    GError *err = NULL;
    ck_assert_msg(save_and_load("leases:10.0.2.15", dst, &err), "%s", err ? err->message : "");
    ck_assert(dst->loaded);
    ck_assert_uint_eq(dst->loaded_version, 7);
    gsize len;
    const char *d = g_bytes_get_data(dst->loaded, &len);
    ck_assert_uint_eq(len, strlen("leases:10.0.2.15"));
    ck_assert(memcmp(d, "leases:10.0.2.15", len) == 0);
    free_loaded();
}
END_TEST

START_TEST(test_snapshot_backend_state_other_kind_ignored)
{
    struct stateful_be *dst = stateful_new("tap", "unused");
    GError *err = NULL;
    ck_assert_msg(save_and_load("x", dst, &err), "%s", err ? err->message : "");
    ck_assert(!dst->loaded);
    free_loaded();
}
END_TEST

START_TEST(test_snapshot_backend_state_refused)
{
    struct stateful_be *dst = stateful_new("fake", "unused");
    dst->refuse = true;
    GError *err = NULL;
    ck_assert(!save_and_load("x", dst, &err));
    ck_assert(err);
    ck_assert_msg(strstr(err->message, "backend") && strstr(err->message, "state refused"),
                  "%s", err->message);
    g_error_free(err);
    free_loaded();
}
END_TEST

START_TEST(test_csum_known_value)
{
    /* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
    static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    ck_assert_uint_eq(virtio_net_csum_add(0, data, sizeof(data)), 0xddf2);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("virtio_net");
    TCase *tc = tcase_create("device");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_config_space);
    tcase_add_test(tc, test_tx_frame);
    tcase_add_test(tc, test_tx_csum_completed_by_device);
    tcase_add_test(tc, test_tx_csum_passed_to_offloading_backend);
    tcase_add_test(tc, test_tx_malformed_dropped);
    tcase_add_test(tc, test_tx_oversize_dropped);
    tcase_add_test(tc, test_tx_waits_for_backend);
    tcase_add_test(tc, test_rx_single_buffer);
    tcase_add_test(tc, test_rx_data_valid_needs_guest_csum);
    tcase_add_test(tc, test_rx_csum_completed_for_guest);
    tcase_add_test(tc, test_rx_mrg_merges_buffers);
    tcase_add_test(tc, test_rx_mrg_largest_frame);
    tcase_add_test(tc, test_rx_mrg_waits_for_more_buffers);
    tcase_add_test(tc, test_rx_oversize_dropped);
    tcase_add_test(tc, test_rx_mrg_oversize_for_whole_ring);
    tcase_add_test(tc, test_rx_bad_chain);
    tcase_add_test(tc, test_rx_queue_bounded);
    tcase_add_test(tc, test_rx_before_driver_ok);
    tcase_add_test(tc, test_reset_drops_pending);
    tcase_add_test(tc, test_csum_known_value);
    tcase_add_test(tc, test_snapshot_backend_state_round_trip);
    tcase_add_test(tc, test_snapshot_backend_state_other_kind_ignored);
    tcase_add_test(tc, test_snapshot_backend_state_refused);
    suite_add_tcase(s, tc);
    return s;
}
