/* SPDX-License-Identifier: MIT */
#include "rng.h"

#include <errno.h>
#include <sys/random.h>

#include "metrics.h"

struct virtio_rng {
    struct virtio_dev dev;
    struct virtq_elem elem;     /* only used on the I/O thread */
    metrics_counter bytes;      /* handed to the guest */
    metrics_counter requests;
};

static struct virtio_rng *of(struct virtio_dev *dev)
{
    return (struct virtio_rng *)dev;
}

/* Fills @len bytes at @p from the host's pool; the bytes written. */
static size_t fill_random(uint8_t *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    return done;
}

static void rng_queue_notify(struct virtio_dev *dev, unsigned index)
{
    struct virtio_rng *rng = of(dev);
    struct virtq *q = virtio_dev_queue(dev, 0);
    bool pushed = false;
    if (index != 0)
        return;
    while (virtio_dev_pop(dev, 0, &rng->elem)) {
        if (rng->elem.n_out) {
            virtio_dev_broken(dev, "requestq buffer the device may only read");
            break;
        }
        /* Straight into the guest's buffers, which virtq_pop() checked. */
        size_t want = MIN(rng->elem.in_len, (size_t)VIRTIO_RNG_MAX_REQUEST), written = 0;
        const struct iovec *in = rng->elem.iov + rng->elem.n_out;
        for (unsigned i = 0; i < rng->elem.n_in && written < want; i++) {
            size_t n = MIN(in[i].iov_len, want - written);
            size_t got = fill_random(in[i].iov_base, n);
            written += got;
            if (got < n)
                break;      /* the host refused: hand over what there is */
        }
        metrics_add(&rng->bytes, written);
        metrics_add(&rng->requests, 1);
        virtq_push(q, rng->elem.head, (uint32_t)written);
        pushed = true;
    }
    if (pushed)
        virtio_dev_notify(dev, 0);
}

static void rng_metrics(struct virtio_dev *dev, const struct metrics_sink *sink)
{
    metrics_put(sink, "requests", &of(dev)->requests);
    metrics_put(sink, "bytes", &of(dev)->bytes);
}

static const struct virtio_dev_ops rng_ops = {
    .queue_notify = rng_queue_notify,
    .metrics = rng_metrics,
};

struct virtio_rng *virtio_rng_new(void)
{
    struct virtio_rng *rng = g_new0(struct virtio_rng, 1);
    virtio_dev_init(&rng->dev, "virtio-rng", 4, 1, VIRTIO_RNG_QUEUE_SIZE, &rng_ops, 0);
    return rng;
}

struct virtio_dev *virtio_rng_dev(struct virtio_rng *rng)
{
    return &rng->dev;
}

void virtio_rng_free(struct virtio_rng *rng)
{
    g_free(rng);
}
