/* SPDX-License-Identifier: MIT */
#include "blk.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "snap.h"

#include "iov.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define SECTOR 512ULL
#define ID_BYTES 20
#define SIZE_MAX_BYTES (1u << 20)   /* largest single buffer we advertise */
#define SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
#define MAX_DISCARD_SECTORS (1u << 22)
#define MAX_DISCARD_SEG 1

/* struct virtio_blk_config (5.2.4), the fields we fill. */
struct blk_config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint8_t geometry[4];
    uint32_t blk_size;
    uint8_t topology[8];
    uint8_t writeback, unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
} __attribute__((packed));

struct blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct blk_discard_seg {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;     /* bit 0: unmap (write-zeroes only) */
};

struct virtio_blk {
    struct virtio_dev dev;
    struct block_backend *backend;
    char id[ID_BYTES];
    struct blk_config config;
    struct virtq_elem elem;     /* only used on the I/O thread */

    /* Counters (metrics.h): added to on the I/O thread, read from any. */
    struct {
        metrics_counter read_requests, write_requests, flush_requests;
        metrics_counter get_id_requests, discard_requests, write_zeroes_requests;
        metrics_counter other_requests;     /* unknown types, short headers */
        metrics_counter read_bytes, written_bytes;
        metrics_counter errors;             /* requests answered IOERR or UNSUPP */
    } stats;
};

static struct virtio_blk *of(struct virtio_dev *dev)
{
    return (struct virtio_blk *)dev;
}

/*
 * Builds in @out the iovec for bytes [skip, total - trim) of @iov: the data
 * part of a request (after the header, before the status byte).
 */
static unsigned iov_slice(const struct iovec *iov, unsigned n, size_t skip, size_t trim,
                          struct iovec *out, size_t *len)
{
    size_t total = iov_size(iov, n);
    *len = 0;
    if (skip + trim > total)
        return 0;
    size_t want = total - skip - trim;
    unsigned m = 0;
    for (unsigned i = 0; i < n && *len < want; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t chunk = MIN(iov[i].iov_len - skip, want - *len);
        out[m].iov_base = (uint8_t *)iov[i].iov_base + skip;
        out[m].iov_len = chunk;
        m++;
        *len += chunk;
        skip = 0;
    }
    return m;
}

static bool in_range(const struct virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
    uint64_t cap = blk->backend->size / SECTOR;
    if (sector > cap)
        return false;
    return bytes <= (cap - sector) * SECTOR;
}

static uint8_t do_discard(struct virtio_blk *blk, const struct iovec *out, unsigned n_out,
                          size_t data_len, bool zeroes)
{
    if (blk->backend->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (data_len == 0 || data_len % sizeof(struct blk_discard_seg))
        return VIRTIO_BLK_S_UNSUPP;
    if (data_len / sizeof(struct blk_discard_seg) > MAX_DISCARD_SEG)
        return VIRTIO_BLK_S_UNSUPP;
    struct blk_discard_seg seg;
    iov_to_buf(out, n_out, sizeof(struct blk_req_header), &seg, sizeof(seg));
    if (seg.num_sectors > MAX_DISCARD_SECTORS || (!zeroes && (seg.flags & 1)) || (seg.flags & ~1u))
        return VIRTIO_BLK_S_UNSUPP;
    if (!in_range(blk, seg.sector, (uint64_t)seg.num_sectors * SECTOR))
        return VIRTIO_BLK_S_IOERR;
    int r = zeroes ? blk->backend->ops->write_zeroes(blk->backend, seg.sector * SECTOR,
                                                     (uint64_t)seg.num_sectors * SECTOR, seg.flags & 1)
                   : blk->backend->ops->discard(blk->backend, seg.sector * SECTOR,
                                                (uint64_t)seg.num_sectors * SECTOR);
    if (r == -EOPNOTSUPP)
        return zeroes ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;   /* discard is a hint */
    return r < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* Counts a finished request of @type (UINT32_MAX: header unreadable) that
 * moved @bytes of data and ended with status @st. */
static void count_request(struct virtio_blk *blk, uint32_t type, uint8_t st, size_t bytes)
{
    switch (type) {
    case VIRTIO_BLK_T_IN:
        metrics_add(&blk->stats.read_requests, 1);
        if (st == VIRTIO_BLK_S_OK)
            metrics_add(&blk->stats.read_bytes, bytes);
        break;
    case VIRTIO_BLK_T_OUT:
        metrics_add(&blk->stats.write_requests, 1);
        if (st == VIRTIO_BLK_S_OK)
            metrics_add(&blk->stats.written_bytes, bytes);
        break;
    case VIRTIO_BLK_T_FLUSH:
        metrics_add(&blk->stats.flush_requests, 1);
        break;
    case VIRTIO_BLK_T_GET_ID:
        metrics_add(&blk->stats.get_id_requests, 1);
        break;
    case VIRTIO_BLK_T_DISCARD:
        metrics_add(&blk->stats.discard_requests, 1);
        break;
    case VIRTIO_BLK_T_WRITE_ZEROES:
        metrics_add(&blk->stats.write_zeroes_requests, 1);
        break;
    default:
        metrics_add(&blk->stats.other_requests, 1);
        break;
    }
    if (st != VIRTIO_BLK_S_OK)
        metrics_add(&blk->stats.errors, 1);
}

/* Serves one request; returns the bytes written into the driver's buffers. */
static bool handle_request(struct virtio_blk *blk, struct virtq_elem *e, uint32_t *written)
{
    const struct iovec *out = e->iov, *in = e->iov + e->n_out;
    struct blk_req_header hdr = { .type = UINT32_MAX };
    *written = 0;
    if (e->in_len < 1)
        return false;   /* nowhere to put the status: the driver broke the ring */
    const struct iovec *last = &in[e->n_in - 1];
    while (last->iov_len == 0 && last > in)
        last--;
    if (last->iov_len == 0)
        return false;
    uint8_t *status = (uint8_t *)last->iov_base + last->iov_len - 1;

    uint8_t st = VIRTIO_BLK_S_OK;
    struct iovec data[VIRTQ_MAX_SG];
    size_t data_len = 0;
    unsigned n_data;
    if (iov_to_buf(out, e->n_out, 0, &hdr, sizeof(hdr)) < sizeof(hdr)) {
        st = VIRTIO_BLK_S_IOERR;
        goto done;
    }
    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
        if (e->out_len != sizeof(hdr)) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        n_data = iov_slice(in, e->n_in, 0, 1, data, &data_len);
        if (data_len % SECTOR || !in_range(blk, hdr.sector, data_len)) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        if (data_len && blk->backend->ops->preadv(blk->backend, data, n_data,
                                                  hdr.sector * SECTOR) != (ssize_t)data_len) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        *written = data_len;
        break;
    case VIRTIO_BLK_T_OUT:
        if (e->in_len != 1) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        n_data = iov_slice(out, e->n_out, sizeof(hdr), 0, data, &data_len);
        if (blk->backend->readonly || data_len % SECTOR || !in_range(blk, hdr.sector, data_len)) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        if (data_len && blk->backend->ops->pwritev(blk->backend, data, n_data,
                                                   hdr.sector * SECTOR) != (ssize_t)data_len)
            st = VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (blk->backend->ops->flush(blk->backend) < 0)
            st = VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_GET_ID:
        n_data = iov_slice(in, e->n_in, 0, 1, data, &data_len);
        *written = iov_from_buf(data, n_data, 0, blk->id, MIN(data_len, (size_t)ID_BYTES));
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (e->in_len != 1) {
            st = VIRTIO_BLK_S_IOERR;
            break;
        }
        st = do_discard(blk, out, e->n_out, e->out_len - sizeof(hdr),
                        hdr.type == VIRTIO_BLK_T_WRITE_ZEROES);
        break;
    default:
        st = VIRTIO_BLK_S_UNSUPP;
        break;
    }
done:
    count_request(blk, hdr.type, st, data_len);
    *status = st;
    *written += 1;
    return true;
}

static void blk_queue_notify(struct virtio_dev *dev, unsigned index)
{
    struct virtio_blk *blk = of(dev);
    struct virtq *q = virtio_dev_queue(dev, index);
    bool pushed = false;
    while (virtio_dev_pop(dev, index, &blk->elem)) {
        uint32_t written;
        if (!handle_request(blk, &blk->elem, &written)) {
            virtio_dev_broken(dev, "request without a writable status byte");
            break;
        }
        virtq_push(q, blk->elem.head, written);
        pushed = true;
    }
    if (pushed)
        virtio_dev_notify(dev, index);
}

static void blk_config_read(struct virtio_dev *dev, uint64_t off, uint8_t *data, unsigned size)
{
    virtio_config_copy(&of(dev)->config, sizeof(of(dev)->config), off, data, size);
}

static void blk_config_write(struct virtio_dev *dev, uint64_t off, const uint8_t *data,
                             unsigned size)
{
    /* All fields we offer are read-only (no CONFIG_WCE). */
    (void)dev; (void)off; (void)data; (void)size;
}

/* Snapshots keep the disk's shape, never its contents: the image file is
 * the user's, and must still be the same size when the VM comes back. */
#define SNAP_VERSION 1

static void blk_save(struct virtio_dev *dev, struct snap_out *o)
{
    struct virtio_blk *blk = of(dev);
    snap_begin(o, "blk", SNAP_VERSION);
    snap_put_u64(o, "capacity-bytes", blk->backend->size);
    snap_put_u32(o, "readonly", blk->backend->readonly);
    snap_end(o);
}

static bool blk_load(struct virtio_dev *dev, const struct snap_in *parent, GError **errp)
{
    struct virtio_blk *blk = of(dev);
    struct snap_in n;
    uint64_t size;
    uint32_t ro;
    if (!snap_child(parent, "blk", SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_u64(&n, "capacity-bytes", &size, errp) ||
        !snap_get_u32(&n, "readonly", &ro, errp))
        return false;
    if (size != blk->backend->size)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: the disk image is now %" G_GUINT64_FORMAT
                           " bytes, it was %" G_GUINT64_FORMAT " when the snapshot was taken",
                           dev->name, blk->backend->size, size);
    if (!ro && blk->backend->readonly)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "%s: the snapshot had the disk writable, "
                           "it is now read-only", dev->name);
    return true;
}

static void blk_metrics(struct virtio_dev *dev, const struct metrics_sink *sink)
{
    struct virtio_blk *blk = of(dev);
    metrics_put(sink, "read_requests", &blk->stats.read_requests);
    metrics_put(sink, "write_requests", &blk->stats.write_requests);
    metrics_put(sink, "flush_requests", &blk->stats.flush_requests);
    metrics_put(sink, "get_id_requests", &blk->stats.get_id_requests);
    metrics_put(sink, "discard_requests", &blk->stats.discard_requests);
    metrics_put(sink, "write_zeroes_requests", &blk->stats.write_zeroes_requests);
    metrics_put(sink, "other_requests", &blk->stats.other_requests);
    metrics_put(sink, "read_bytes", &blk->stats.read_bytes);
    metrics_put(sink, "written_bytes", &blk->stats.written_bytes);
    metrics_put(sink, "errors", &blk->stats.errors);
}

static bool blk_sync(struct virtio_dev *dev, GError **errp)
{
    struct virtio_blk *blk = (struct virtio_blk *)dev;
    int r = blk->backend->readonly ? 0 : blk->backend->ops->flush(blk->backend);
    if (r < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_HOST, "%s: flushing the image: %s", dev->name,
                           g_strerror(-r));
    return true;
}

static const struct virtio_dev_ops blk_ops = {
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .queue_notify = blk_queue_notify,
    .save = blk_save,
    .load = blk_load,
    .sync = blk_sync,
    .metrics = blk_metrics,
};

struct virtio_blk *virtio_blk_new(const char *name, struct block_backend *backend)
{
    struct virtio_blk *blk = g_new0(struct virtio_blk, 1);
    blk->backend = backend;
    /* 20 bytes, NUL-padded, not terminated when the name fills them (5.2.6). */
    memcpy(blk->id, name, MIN(strlen(name), (size_t)ID_BYTES));
    virtio_dev_init(&blk->dev, g_strdup_printf("virtio-blk %s", name), 2, 1,
                    VIRTIO_BLK_QUEUE_SIZE, &blk_ops,
                    (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                    (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH));
    if (backend->readonly)
        blk->dev.host_features |= 1ULL << VIRTIO_BLK_F_RO;
    else
        blk->dev.host_features |= (1ULL << VIRTIO_BLK_F_DISCARD) |
                                  (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    blk->config = (struct blk_config){
        .capacity = backend->size / SECTOR,
        .size_max = SIZE_MAX_BYTES,
        .seg_max = SEG_MAX,
        .blk_size = SECTOR,
        .num_queues = 1,
        .max_discard_sectors = MAX_DISCARD_SECTORS,
        .max_discard_seg = MAX_DISCARD_SEG,
        .discard_sector_alignment = 1,
        .max_write_zeroes_sectors = MAX_DISCARD_SECTORS,
        .max_write_zeroes_seg = MAX_DISCARD_SEG,
        .write_zeroes_may_unmap = 1,
    };
    return blk;
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *blk)
{
    return &blk->dev;
}

void virtio_blk_free(struct virtio_blk *blk)
{
    if (!blk)
        return;
    block_backend_free(blk->backend);
    g_free((char *)blk->dev.name);
    g_free(blk);
}
