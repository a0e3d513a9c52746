/* SPDX-License-Identifier: MIT */
#include "net.h"

#include <stddef.h>
#include <string.h>

#include "iov.h"
#include "log.h"
#include "metrics.h"
#include "snap.h"

#define RXQ 0
#define TXQ 1
#define HDR_LEN sizeof(struct net_vnet_hdr)

/* struct virtio_net_config (5.1.4), the fields we offer. */
struct net_config {
    uint8_t mac[6];
    uint16_t status;
    uint16_t max_virtqueue_pairs;   /* only with VIRTIO_NET_F_MQ: 0 */
    uint16_t mtu;
} __attribute__((packed));

/* A frame from the back end waiting for guest buffers: header + frame. */
struct pending {
    size_t len;
    uint8_t data[];
};

struct virtio_net {
    struct virtio_dev dev;
    struct net_backend *backend;
    struct net_config config;
    struct virtio_net_stats stats;      /* atomic counters */

    /* Guards the RX hand-over from the back end's thread. */
    GMutex lock;
    GQueue rx_pending;                  /* struct pending *, oldest first */
    size_t rx_pending_bytes;
    bool rx_scheduled;                  /* an rx_run() is on its way */
    bool active;                        /* DRIVER_OK and not reset since */

    /* I/O thread only (or vCPU thread with the transport quiescent). */
    bool tx_blocked;                    /* waiting for the back end's tx_ready() */
    uint8_t *tx_buf;                    /* HDR_LEN + NET_MAX_FRAME */
    struct virtq_elem tx_elem;
    /* The head pending frame, partly written into guest buffers (MRG_RXBUF
     * lets it span several; they are held until it is complete). */
    struct virtq_elem rx_first, rx_next;
    size_t rx_off;
    unsigned rx_n;
    struct {
        uint16_t head;
        uint32_t len;
    } rx_used[VIRTIO_NET_QUEUE_SIZE];
};

enum rx_result { RX_DELIVERED, RX_DROPPED, RX_WAIT, RX_BROKEN };

static struct virtio_net *of(struct virtio_dev *dev)
{
    return (struct virtio_net *)dev;
}

static void count(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void warn(struct virtio_net *net, const char *what)
{
    g_autofree char *key = g_strdup_printf("virtio-net:%p:%s", (void *)net, what);
    log_warn_once_in("virtio-net", key, "%s: %s (dropped and counted)", net->dev.name,
                  what);
}

uint32_t virtio_net_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t i;
    for (i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)data[i] << 8 | data[i + 1];
    if (i < len)
        sum += (uint32_t)data[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

/*
 * Completes a NEEDS_CSUM frame (5.1.6.2): the checksum of bytes from
 * csum_start to the end, stored at csum_start + csum_offset (where the
 * driver put the pseudo-header sum). False if the offsets lie outside.
 */
static bool complete_csum(uint8_t *frame, size_t len, const struct net_vnet_hdr *hdr)
{
    size_t start = hdr->csum_start, at = start + hdr->csum_offset;
    if (start >= len || at + 2 > len)
        return false;
    uint16_t sum = ~virtio_net_csum_add(0, frame + start, len - start);
    frame[at] = sum >> 8;
    frame[at + 1] = sum & 0xff;
    return true;
}

/* ---- transmit: guest -> back end ---- */

/* Checks and prepares the chain in tx_elem; returns its length in tx_buf,
 * or 0 to drop it (counted). */
static size_t tx_prepare(struct virtio_net *net)
{
    struct virtq_elem *e = &net->tx_elem;
    if (e->n_in || e->out_len < HDR_LEN) {
        count(&net->stats.tx_dropped_malformed, 1);
        warn(net, "TX chain without a header or with writable buffers");
        return 0;
    }
    if (e->out_len > HDR_LEN + NET_MAX_FRAME) {
        count(&net->stats.tx_dropped_oversize, 1);
        warn(net, "TX frame larger than 64 KiB");
        return 0;
    }
    size_t len = iov_to_buf(e->iov, e->n_out, 0, net->tx_buf, e->out_len);
    struct net_vnet_hdr hdr;
    memcpy(&hdr, net->tx_buf, HDR_LEN);
    bool ok = hdr.gso_type == NET_VNET_HDR_GSO_NONE;    /* no GSO is offered */
    if (ok && (hdr.flags & NET_VNET_HDR_F_NEEDS_CSUM)) {
        if (!virtio_has_feature(&net->dev, VIRTIO_NET_F_CSUM))
            ok = false;
        else if (!net->backend->csum_offload) {
            ok = complete_csum(net->tx_buf + HDR_LEN, len - HDR_LEN, &hdr);
            hdr.flags &= ~NET_VNET_HDR_F_NEEDS_CSUM;
        }
    }
    if (!ok) {
        count(&net->stats.tx_dropped_malformed, 1);
        warn(net, "TX header with GSO or a checksum request outside the frame");
        return 0;
    }
    hdr.num_buffers = 0;
    memcpy(net->tx_buf, &hdr, HDR_LEN);
    return len;
}

static void tx_run(struct virtio_net *net)
{
    struct virtq *q = virtio_dev_queue(&net->dev, TXQ);
    bool pushed = false;
    while (q->ready && !net->tx_blocked && virtio_dev_pop(&net->dev, TXQ, &net->tx_elem)) {
        size_t len = tx_prepare(net);
        if (len) {
            struct iovec v = { .iov_base = net->tx_buf, .iov_len = len };
            if (!net->backend->ops->send(net->backend, &v, 1)) {
                virtq_unpop(q);
                net->tx_blocked = true;
                break;
            }
            count(&net->stats.tx_packets, 1);
            count(&net->stats.tx_bytes, len - HDR_LEN);
        }
        virtq_push(q, net->tx_elem.head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_dev_notify(&net->dev, TXQ);
}

static void tx_resume(struct virtio_dev *dev, void *data)
{
    (void)data;
    of(dev)->tx_blocked = false;
    tx_run(of(dev));
}

/* Back end thread. */
static void net_tx_ready(void *opaque)
{
    struct virtio_net *net = opaque;
    virtio_dev_schedule(&net->dev, tx_resume, NULL);
}

/* ---- receive: back end -> guest ---- */

/* Makes the header of a frame fit the negotiated features. */
static bool rx_prepare(struct virtio_net *net, struct pending *p)
{
    struct net_vnet_hdr hdr;
    memcpy(&hdr, p->data, HDR_LEN);
    if (hdr.gso_type != NET_VNET_HDR_GSO_NONE)
        return false;
    if (!virtio_has_feature(&net->dev, VIRTIO_NET_F_GUEST_CSUM)) {
        if ((hdr.flags & NET_VNET_HDR_F_NEEDS_CSUM) &&
            !complete_csum(p->data + HDR_LEN, p->len - HDR_LEN, &hdr))
            return false;
        hdr.flags = 0;
    }
    hdr.num_buffers = 1;
    memcpy(p->data, &hdr, HDR_LEN);
    return true;
}

static void rx_forget(struct virtio_net *net)
{
    net->rx_n = 0;
    net->rx_off = 0;
}

/* Publishes the chains held for the head frame with the lengths given. */
static void rx_commit(struct virtio_net *net, struct virtq *q, bool zero_length)
{
    for (unsigned i = 0; i < net->rx_n; i++)
        virtq_fill(q, i, net->rx_used[i].head, zero_length ? 0 : net->rx_used[i].len);
    virtq_flush(q, net->rx_n);
    rx_forget(net);
}

/* Writes as much of @p as the guest's buffers take. */
static enum rx_result rx_fill(struct virtio_net *net, struct virtq *q, struct pending *p)
{
    bool mrg = virtio_has_feature(&net->dev, VIRTIO_NET_F_MRG_RXBUF);
    if (net->rx_n == 0 && !rx_prepare(net, p)) {
        count(&net->stats.rx_dropped_oversize, 1);
        return RX_DROPPED;
    }
    while (net->rx_off < p->len) {
        struct virtq_elem *e = net->rx_n == 0 ? &net->rx_first : &net->rx_next;
        g_autoptr(GError) err = NULL;
        int r = virtq_pop(q, e, &err);
        if (r < 0) {
            virtio_dev_broken(&net->dev, err->message);
            return RX_BROKEN;
        }
        if (r == 0)
            return RX_WAIT;     /* keep what we hold: the frame continues later */
        if (e->n_out || e->in_len < HDR_LEN) {
            /* 5.1.6.3.1: every RX buffer is writable and holds a header.
             * Give this one and any held back empty. */
            net->rx_used[net->rx_n++].head = e->head;
            rx_commit(net, q, true);
            count(&net->stats.rx_bad_chains, 1);
            warn(net, "RX buffer that is readable or smaller than the header");
            return RX_DROPPED;
        }
        if (!mrg && e->in_len < p->len) {
            virtq_unpop(q);     /* too small for this frame, maybe not for the next */
            count(&net->stats.rx_dropped_oversize, 1);
            return RX_DROPPED;
        }
        size_t n = iov_from_buf(e->iov + e->n_out, e->n_in, 0, p->data + net->rx_off,
                                p->len - net->rx_off);
        net->rx_used[net->rx_n].head = e->head;
        net->rx_used[net->rx_n].len = n;
        net->rx_n++;
        net->rx_off += n;
        if (net->rx_off < p->len && net->rx_n >= MIN(q->size, VIRTIO_NET_QUEUE_SIZE)) {
            /* The whole ring does not hold it: the buffers are unused. */
            for (unsigned i = 0; i < net->rx_n; i++)
                virtq_unpop(q);
            rx_forget(net);
            count(&net->stats.rx_dropped_oversize, 1);
            return RX_DROPPED;
        }
    }
    if (mrg) {
        uint16_t nb = net->rx_n;
        iov_from_buf(net->rx_first.iov + net->rx_first.n_out, net->rx_first.n_in,
                     offsetof(struct net_vnet_hdr, num_buffers), &nb, sizeof(nb));
    }
    rx_commit(net, q, false);
    count(&net->stats.rx_packets, 1);
    count(&net->stats.rx_bytes, p->len - HDR_LEN);
    return RX_DELIVERED;
}

static void rx_run(struct virtio_net *net)
{
    struct virtq *q = virtio_dev_queue(&net->dev, RXQ);
    bool delivered = false, retried = false;
    while (q->ready) {
        g_mutex_lock(&net->lock);
        net->rx_scheduled = false;
        struct pending *p = g_queue_peek_head(&net->rx_pending);
        g_mutex_unlock(&net->lock);
        if (!p)
            break;
        enum rx_result r = rx_fill(net, q, p);
        if (r == RX_BROKEN)
            break;
        if (r == RX_WAIT) {
            /* No lost wake-up: buffers added after our last look kick us;
             * one more look catches those added before notifications were on. */
            virtq_set_notification(q, true);
            if (!retried && virtq_has_work(q)) {
                retried = true;
                continue;
            }
            break;
        }
        delivered |= r == RX_DELIVERED;
        g_mutex_lock(&net->lock);
        g_queue_pop_head(&net->rx_pending);
        net->rx_pending_bytes -= p->len;
        g_mutex_unlock(&net->lock);
        g_free(p);
    }
    if (delivered)
        virtio_dev_notify(&net->dev, RXQ);
}

static void rx_scheduled(struct virtio_dev *dev, void *data)
{
    (void)data;
    rx_run(of(dev));
}

/* Back end thread: queue the frame and wake the I/O thread. */
static void net_rx(void *opaque, const struct iovec *iov, unsigned n)
{
    struct virtio_net *net = opaque;
    size_t len = iov_size(iov, n);
    if (len < HDR_LEN || len > HDR_LEN + NET_MAX_FRAME) {
        count(&net->stats.rx_dropped_oversize, 1);
        return;
    }
    struct pending *p = g_malloc(sizeof(*p) + len);
    p->len = len;
    iov_to_buf(iov, n, 0, p->data, len);
    bool schedule = false;
    g_mutex_lock(&net->lock);
    if (!net->active) {
        count(&net->stats.rx_dropped_inactive, 1);
    } else if (net->rx_pending_bytes + len > VIRTIO_NET_RX_PENDING_MAX) {
        count(&net->stats.rx_dropped_full, 1);
    } else {
        g_queue_push_tail(&net->rx_pending, p);
        net->rx_pending_bytes += len;
        p = NULL;
        schedule = !net->rx_scheduled;
        net->rx_scheduled = true;
    }
    g_mutex_unlock(&net->lock);
    g_free(p);
    if (schedule)
        virtio_dev_schedule(&net->dev, rx_scheduled, NULL);
}

/* ---- virtio_dev_ops ---- */

static void net_queue_notify(struct virtio_dev *dev, unsigned index)
{
    if (index == RXQ)
        rx_run(of(dev));
    else if (index == TXQ)
        tx_run(of(dev));
}

static void drop_pending(struct virtio_net *net, bool active)
{
    g_mutex_lock(&net->lock);
    g_queue_clear_full(&net->rx_pending, g_free);
    net->rx_pending_bytes = 0;
    net->rx_scheduled = false;
    net->active = active;
    g_mutex_unlock(&net->lock);
    net->tx_blocked = false;
    rx_forget(net);
}

static void net_activate(struct virtio_dev *dev)
{
    drop_pending(of(dev), true);
}

static void net_reset(struct virtio_dev *dev)
{
    drop_pending(of(dev), false);
}

/* No config_write: without VIRTIO_NET_F_CTRL_MAC_ADDR every field is
 * read-only (5.1.4.2). */
static void net_config_read(struct virtio_dev *dev, uint64_t off, uint8_t *data, unsigned size)
{
    virtio_config_copy(&of(dev)->config, sizeof(of(dev)->config), off, data, size);
}

static void net_metrics(struct virtio_dev *dev, const struct metrics_sink *sink)
{
    struct virtio_net_stats st;
    virtio_net_get_stats(of(dev), &st);
    const struct { const char *key; uint64_t value; } rows[] = {
        { "rx_packets", st.rx_packets }, { "rx_bytes", st.rx_bytes },
        { "tx_packets", st.tx_packets }, { "tx_bytes", st.tx_bytes },
        { "rx_drops", st.rx_dropped_full + st.rx_dropped_oversize + st.rx_dropped_inactive },
        { "tx_drops", st.tx_dropped_malformed + st.tx_dropped_oversize },
        { "rx_dropped_full", st.rx_dropped_full },
        { "rx_dropped_oversize", st.rx_dropped_oversize },
        { "rx_dropped_inactive", st.rx_dropped_inactive },
        { "rx_bad_chains", st.rx_bad_chains },
        { "tx_dropped_malformed", st.tx_dropped_malformed },
        { "tx_dropped_oversize", st.tx_dropped_oversize },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
        sink->put(sink->opaque, rows[i].key, rows[i].value);
}

/*
 * Snapshots: the NIC's configuration comes back from the machine
 * description; what it holds is RX chains popped for a frame not yet
 * complete (MRG_RXBUF). The restored device has no such frame, so those
 * chains go back to the driver by rewinding the ring. Frames in flight
 * between the back end and the guest are not saved: to the guest they are
 * packets lost on the wire.
 */
#define SNAP_VERSION 1

static void net_save(struct virtio_dev *dev, struct snap_out *o)
{
    struct virtio_net *net = of(dev);
    snap_begin(o, "net", SNAP_VERSION);
    snap_put_bytes(o, "mac", net->config.mac, sizeof(net->config.mac));
    snap_put_u32(o, "rx-held", net->rx_n);
    if (net->backend->ops->save) {
        uint32_t version;
        g_autoptr(GBytes) state = net->backend->ops->save(net->backend, &version);
        gsize len;
        const void *data = g_bytes_get_data(state, &len);
        snap_begin(o, "backend", SNAP_VERSION);
        snap_put_str(o, "kind", net->backend->kind);
        snap_put_u32(o, "state-version", version);
        snap_put_bytes(o, "state", data, len);
        snap_end(o);
    }
    snap_end(o);
}

/* The back end's own state, when the snapshot has it and the back end is
 * of the same kind (a user network's state means nothing to a TAP one). */
static bool backend_load(struct virtio_net *net, const struct snap_in *n, GError **errp)
{
    struct snap_in b;
    if (!snap_has_child(n, "backend"))
        return true;
    if (!snap_child(n, "backend", SNAP_VERSION, &b, NULL, errp))
        return false;
    const char *kind = snap_get_str(&b, "kind", errp);
    if (!kind)
        return false;
    if (strcmp(kind, net->backend->kind) != 0 || !net->backend->ops->load)
        return true;
    uint32_t version;
    size_t len;
    const void *data = NULL;
    if (!snap_get_u32(&b, "state-version", &version, errp) ||
        !(data = snap_get_blob(&b, "state", &len, errp)))
        return false;
    g_autoptr(GBytes) state = g_bytes_new_static(data, len);
    g_autoptr(GError) err = NULL;
    if (!net->backend->ops->load(net->backend, version, state, &err))
        return snap_bad(&b, "state", errp, "%s", err->message);
    return true;
}

static bool net_load(struct virtio_dev *dev, const struct snap_in *parent, GError **errp)
{
    struct virtio_net *net = of(dev);
    struct snap_in n;
    uint8_t mac[sizeof(net->config.mac)];
    uint32_t held;
    if (!snap_child(parent, "net", SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_bytes(&n, "mac", mac, sizeof(mac), errp) ||
        !snap_get_u32(&n, "rx-held", &held, errp))
        return false;
    if (memcmp(mac, net->config.mac, sizeof(mac)) != 0)
        return snap_bad(&n, "mac", errp, "the snapshot's NIC had another MAC address");
    struct virtq *q = virtio_dev_queue(dev, RXQ);
    if (held > VIRTIO_NET_QUEUE_SIZE || (held && (!q->ready || held > q->size)))
        return snap_bad(&n, "rx-held", errp, "%u chains held, the queue cannot have them",
                        held);
    if (!backend_load(net, &n, errp))
        return false;
    for (uint32_t i = 0; i < held; i++)
        virtq_unpop(q);
    return true;
}

static const struct virtio_dev_ops net_ops = {
    .save = net_save,
    .load = net_load,
    .metrics = net_metrics,
    .config_read = net_config_read,
    .activate = net_activate,
    .queue_notify = net_queue_notify,
    .reset = net_reset,
};

struct virtio_net *virtio_net_new(const char *name, const uint8_t mac[6], uint16_t mtu,
                                  struct net_backend *backend)
{
    struct virtio_net *net = g_new0(struct virtio_net, 1);
    net->backend = backend;
    g_mutex_init(&net->lock);
    g_queue_init(&net->rx_pending);
    net->tx_buf = g_malloc(HDR_LEN + NET_MAX_FRAME);
    memcpy(net->config.mac, mac, 6);
    net->config.status = VIRTIO_NET_S_LINK_UP;
    net->config.mtu = mtu;
    virtio_dev_init(&net->dev, g_strdup_printf("virtio-net %s", name), 1, 2,
                    VIRTIO_NET_QUEUE_SIZE, &net_ops,
                    (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
                    (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_CSUM) |
                    (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_MTU));
    struct net_peer peer = { .rx = net_rx, .tx_ready = net_tx_ready, .opaque = net };
    net_backend_attach(backend, &peer);
    return net;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *net)
{
    return &net->dev;
}

void virtio_net_get_stats(struct virtio_net *net, struct virtio_net_stats *out)
{
    const uint64_t *src = (const uint64_t *)&net->stats;
    uint64_t *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void virtio_net_free(struct virtio_net *net)
{
    if (!net)
        return;
    struct virtio_net_stats st;
    virtio_net_get_stats(net, &st);
    g_debug("%s: rx %" G_GUINT64_FORMAT " packets %" G_GUINT64_FORMAT " bytes, tx %"
            G_GUINT64_FORMAT " packets %" G_GUINT64_FORMAT " bytes; dropped rx full %"
            G_GUINT64_FORMAT " oversize %" G_GUINT64_FORMAT " inactive %" G_GUINT64_FORMAT
            " bad chains %" G_GUINT64_FORMAT ", tx malformed %" G_GUINT64_FORMAT " oversize %"
            G_GUINT64_FORMAT, net->dev.name, st.rx_packets, st.rx_bytes, st.tx_packets,
            st.tx_bytes, st.rx_dropped_full, st.rx_dropped_oversize, st.rx_dropped_inactive,
            st.rx_bad_chains, st.tx_dropped_malformed, st.tx_dropped_oversize);
    net_backend_free(net->backend);
    g_queue_clear_full(&net->rx_pending, g_free);
    g_mutex_clear(&net->lock);
    g_free(net->tx_buf);
    g_free((char *)net->dev.name);
    g_free(net);
}
