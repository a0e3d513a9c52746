/* SPDX-License-Identifier: MIT */
#include "console.h"

#include "iov.h"
#include "metrics.h"
#include "snap.h"

struct virtio_console {
    struct virtio_dev dev;
    struct chardev *chr;

    /*
     * Host input not yet in a guest buffer: a ring of VIRTIO_CONSOLE_RX_BUFFER
     * bytes. The main loop thread adds (receive), the I/O thread takes
     * (rx_flush); the lock orders them.
     */
    GMutex rx_lock;
    uint8_t rx_buf[VIRTIO_CONSOLE_RX_BUFFER];
    size_t rx_head;     /* oldest byte */
    size_t rx_len;

    struct virtq_elem elem;     /* only used on the I/O thread */

    /* Counters (metrics.h), from the guest's side: tx is its output. */
    metrics_counter rx_bytes, tx_bytes;
};

static struct virtio_console *of(struct virtio_dev *dev)
{
    return (struct virtio_console *)dev;
}

/* Moves up to one guest buffer's worth of pending input into con->elem's
 * writable buffers; returns the bytes moved. */
static size_t rx_fill(struct virtio_console *con)
{
    const struct iovec *in = con->elem.iov + con->elem.n_out;
    g_mutex_lock(&con->rx_lock);
    size_t n = MIN(con->rx_len, con->elem.in_len);
    size_t first = MIN(n, VIRTIO_CONSOLE_RX_BUFFER - con->rx_head);
    iov_from_buf(in, con->elem.n_in, 0, con->rx_buf + con->rx_head, first);
    iov_from_buf(in, con->elem.n_in, first, con->rx_buf, n - first);
    con->rx_head = (con->rx_head + n) % VIRTIO_CONSOLE_RX_BUFFER;
    con->rx_len -= n;
    g_mutex_unlock(&con->rx_lock);
    return n;
}

static bool rx_pending(struct virtio_console *con)
{
    g_mutex_lock(&con->rx_lock);
    bool pending = con->rx_len > 0;
    g_mutex_unlock(&con->rx_lock);
    return pending;
}

/* Hands pending input to the guest's receive buffers (I/O thread). Chains
 * stay in the ring until there is input for them. */
static void rx_flush(struct virtio_console *con)
{
    struct virtq *q = virtio_dev_queue(&con->dev, VIRTIO_CONSOLE_RXQ);
    bool pushed = false, freed = false;
    while (rx_pending(con) && virtio_dev_pop(&con->dev, VIRTIO_CONSOLE_RXQ, &con->elem)) {
        if (con->elem.n_out) {
            virtio_dev_broken(&con->dev, "receiveq buffer the device may only read");
            break;
        }
        size_t n = rx_fill(con);
        metrics_add(&con->rx_bytes, n);
        virtq_push(q, con->elem.head, n);
        pushed = true;
        freed |= n > 0;
    }
    if (pushed)
        virtio_dev_notify(&con->dev, VIRTIO_CONSOLE_RXQ);
    /* The back end stopped offering input when the buffer was full. */
    if (freed)
        chardev_accept_input(con->chr);
}

/* Guest output to the back end; buffers are used with len 0 (5.3.6.2). */
static void tx_flush(struct virtio_console *con)
{
    struct virtq *q = virtio_dev_queue(&con->dev, VIRTIO_CONSOLE_TXQ);
    bool pushed = false;
    while (virtio_dev_pop(&con->dev, VIRTIO_CONSOLE_TXQ, &con->elem)) {
        if (con->elem.n_in) {
            virtio_dev_broken(&con->dev, "transmitq buffer the device must write");
            break;
        }
        for (unsigned i = 0; i < con->elem.n_out; i++)
            chardev_write(con->chr, con->elem.iov[i].iov_base, con->elem.iov[i].iov_len);
        metrics_add(&con->tx_bytes, con->elem.out_len);
        virtq_push(q, con->elem.head, 0);
        pushed = true;
    }
    if (pushed)
        virtio_dev_notify(&con->dev, VIRTIO_CONSOLE_TXQ);
}

static void console_queue_notify(struct virtio_dev *dev, unsigned index)
{
    if (index == VIRTIO_CONSOLE_RXQ)
        rx_flush(of(dev));
    else if (index == VIRTIO_CONSOLE_TXQ)
        tx_flush(of(dev));
}

static void rx_scheduled(struct virtio_dev *dev, void *data)
{
    (void)data;
    rx_flush(of(dev));
}

/* ---- chardev front end (main loop thread) ---- */

static size_t console_can_receive(void *opaque)
{
    struct virtio_console *con = opaque;
    g_mutex_lock(&con->rx_lock);
    size_t room = VIRTIO_CONSOLE_RX_BUFFER - con->rx_len;
    g_mutex_unlock(&con->rx_lock);
    return room;
}

static void console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    struct virtio_console *con = opaque;
    g_mutex_lock(&con->rx_lock);
    /* The back end never offers more than can_receive() allowed. */
    g_assert(len <= VIRTIO_CONSOLE_RX_BUFFER - con->rx_len);
    for (size_t i = 0; i < len; i++)
        con->rx_buf[(con->rx_head + con->rx_len + i) % VIRTIO_CONSOLE_RX_BUFFER] = buf[i];
    con->rx_len += len;
    g_mutex_unlock(&con->rx_lock);
    /* Before the device is on a transport, the input waits for the guest's
     * first receive buffers (their notification flushes it). */
    if (con->dev.transport)
        virtio_dev_schedule(&con->dev, rx_scheduled, NULL);
}

static const struct chardev_frontend console_frontend = {
    .can_receive = console_can_receive,
    .receive = console_receive,
};

/* ---- lifecycle ---- */

/*
 * No config space ops: struct virtio_console_config (5.3.4) matters only
 * with VIRTIO_CONSOLE_F_SIZE, _MULTIPORT or _EMERG_WRITE, none offered, so
 * the transport's zeros (and ignored writes) are what the spec asks for.
 */
static void console_metrics(struct virtio_dev *dev, const struct metrics_sink *sink)
{
    metrics_put(sink, "rx_bytes", &of(dev)->rx_bytes);
    metrics_put(sink, "tx_bytes", &of(dev)->tx_bytes);
}

/* Snapshots: host input not yet delivered to the guest travels with it. */
#define SNAP_VERSION 1

static void console_save(struct virtio_dev *dev, struct snap_out *o)
{
    struct virtio_console *con = of(dev);
    uint8_t pending[VIRTIO_CONSOLE_RX_BUFFER];
    g_mutex_lock(&con->rx_lock);
    size_t n = con->rx_len;
    for (size_t i = 0; i < n; i++)
        pending[i] = con->rx_buf[(con->rx_head + i) % VIRTIO_CONSOLE_RX_BUFFER];
    g_mutex_unlock(&con->rx_lock);
    snap_begin(o, "console", SNAP_VERSION);
    snap_put_bytes(o, "rx-pending", pending, n);
    snap_end(o);
}

static bool console_load(struct virtio_dev *dev, const struct snap_in *parent, GError **errp)
{
    struct virtio_console *con = of(dev);
    struct snap_in n;
    size_t len;
    const uint8_t *pending;
    if (!snap_child(parent, "console", SNAP_VERSION, &n, NULL, errp) ||
        !(pending = snap_get_blob(&n, "rx-pending", &len, errp)))
        return false;
    if (len > VIRTIO_CONSOLE_RX_BUFFER)
        return snap_bad(&n, "rx-pending", errp, "%zu bytes, the buffer holds %d", len,
                        VIRTIO_CONSOLE_RX_BUFFER);
    g_mutex_lock(&con->rx_lock);
    memcpy(con->rx_buf, pending, len);
    con->rx_head = 0;
    con->rx_len = len;
    g_mutex_unlock(&con->rx_lock);
    return true;
}

static const struct virtio_dev_ops console_ops = {
    .queue_notify = console_queue_notify,
    .save = console_save,
    .load = console_load,
    .metrics = console_metrics,
};

struct virtio_console *virtio_console_new(struct chardev *chr)
{
    struct virtio_console *con = g_new0(struct virtio_console, 1);
    con->chr = chr;
    g_mutex_init(&con->rx_lock);
    virtio_dev_init(&con->dev, "virtio-console", 3, 2, VIRTIO_CONSOLE_QUEUE_SIZE, &console_ops,
                    0);
    chardev_attach(chr, &console_frontend, con);
    return con;
}

struct virtio_dev *virtio_console_dev(struct virtio_console *con)
{
    return &con->dev;
}

void virtio_console_free(struct virtio_console *con)
{
    if (!con)
        return;
    chardev_destroy(con->chr);
    g_mutex_clear(&con->rx_lock);
    g_free(con);
}
