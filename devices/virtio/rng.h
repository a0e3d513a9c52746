/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, the entropy device (virtio 1.2, section 5.4): one queue
 * (requestq) of device-writable buffers, which the device fills with
 * bytes from the host's getrandom(). No feature bits, no config space.
 *
 * A request is filled up to VIRTIO_RNG_MAX_REQUEST bytes (the spec lets
 * the device use less than the whole buffer); a chain with a buffer the
 * device may only read breaks the device (NEEDS_RESET). Stateless: a
 * snapshot holds only its transport's queue state.
 */
#ifndef KVMKIT_VIRTIO_RNG_H
#define KVMKIT_VIRTIO_RNG_H

#include "virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_MAX_REQUEST (64 * 1024)   /* bytes filled per request, at most */

struct virtio_rng;

struct virtio_rng *virtio_rng_new(void);
/* The transport must be gone already. */
void virtio_rng_free(struct virtio_rng *rng);
struct virtio_dev *virtio_rng_dev(struct virtio_rng *rng);

#endif
