/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, section 5.1) over a network back end
 * (backend/net.h): one RX and one TX queue, the MAC address, link status
 * and MTU in config space, VIRTIO_NET_F_MRG_RXBUF, and checksum offload in
 * both directions (VIRTIO_NET_F_CSUM, _GUEST_CSUM): when the back end
 * cannot take a partial checksum the device completes it.
 *
 * Threads: queues are served on the transport's I/O thread. Frames from
 * the back end arrive on its thread (the main loop) and wait in a bounded
 * queue (VIRTIO_NET_RX_PENDING_MAX bytes) until the guest posts buffers;
 * past that bound they are dropped and counted, as are frames larger than
 * everything the guest posted, malformed TX headers and chains with the
 * wrong kind of buffers. A broken ring (virtq_pop fails) breaks the device
 * (NEEDS_RESET); nothing the guest does stops the VMM.
 */
#ifndef KVMKIT_VIRTIO_NET_H
#define KVMKIT_VIRTIO_NET_H

#include <stdint.h>

#include "backend/net.h"
#include "virtio.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_RX_PENDING_MAX (1u << 20)

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_S_LINK_UP 1

/* Counters; read with virtio_net_get_stats() from any thread. */
struct virtio_net_stats {
    uint64_t rx_packets, rx_bytes;      /* delivered to the guest */
    uint64_t tx_packets, tx_bytes;      /* handed to the back end */
    uint64_t rx_dropped_full;           /* pending queue over its bound */
    uint64_t rx_dropped_oversize;       /* larger than the guest's buffers */
    uint64_t rx_dropped_inactive;       /* the driver was not running */
    uint64_t rx_bad_chains;             /* RX chain with readable or too small buffers */
    uint64_t tx_dropped_malformed;      /* bad header or chain */
    uint64_t tx_dropped_oversize;       /* over NET_MAX_FRAME */
};

struct virtio_net;

/*
 * @backend is owned by the device from now on (the device attaches itself
 * as its peer); @name is for messages; @mac is the address the guest gets;
 * @mtu (68 to 65520) is offered with VIRTIO_NET_F_MTU.
 */
struct virtio_net *virtio_net_new(const char *name, const uint8_t mac[6], uint16_t mtu,
                                  struct net_backend *backend);
/* After the transport stopped: frees the back end too. */
void virtio_net_free(struct virtio_net *net);
struct virtio_dev *virtio_net_dev(struct virtio_net *net);
void virtio_net_get_stats(struct virtio_net *net, struct virtio_net_stats *out);

/* The Internet checksum (RFC 1071) of @len bytes, folded, not inverted;
 * start from @sum 0. */
uint32_t virtio_net_csum_add(uint32_t sum, const uint8_t *data, size_t len);

#endif
