/* SPDX-License-Identifier: MIT */
/*
 * Network back ends behind one ops table: the device model (virtio-net)
 * never sees a socket, a tap fd or libslirp.
 *
 * Every frame that crosses this interface, in either direction, starts
 * with a struct net_vnet_hdr (the 12-byte virtio_net_hdr_v1 of virtio 1.2,
 * 5.1.6) followed by the Ethernet frame. A back end that cannot take
 * partial checksums (csum_offload false) gets only frames whose checksums
 * are complete: the device fills them in. A back end sets
 * NET_VNET_HDR_F_DATA_VALID on frames it knows to be correct.
 *
 * Threads: send() is called from the device's I/O thread; a back end that
 * is not thread-safe (libslirp) queues the frame for its own thread. The
 * peer's rx() and tx_ready() are called from the back end's thread (the
 * main loop): the device hands work to its I/O thread itself.
 */
#ifndef KVMKIT_NET_H
#define KVMKIT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <glib.h>

/* struct virtio_net_hdr_v1 (5.1.6), little-endian like the host. */
struct net_vnet_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
G_STATIC_ASSERT(sizeof(struct net_vnet_hdr) == 12);

#define NET_VNET_HDR_F_NEEDS_CSUM 1
#define NET_VNET_HDR_F_DATA_VALID 2
#define NET_VNET_HDR_GSO_NONE     0

/* Largest Ethernet frame either side may pass (no GSO is offered). */
#define NET_MAX_FRAME 65536

struct net_backend;

/* What the device registers with its back end. */
struct net_peer {
    /* A frame (header + Ethernet frame) for the guest; the peer copies it
     * before returning. */
    void (*rx)(void *opaque, const struct iovec *iov, unsigned n);
    /* The back end can take frames again after send() returned false. */
    void (*tx_ready)(void *opaque);
    void *opaque;
};

struct net_backend_ops {
    /*
     * Passes one frame (header + Ethernet frame) to the outside world. The
     * back end copies what it keeps. Returns false when it cannot take it
     * now (queue full, EAGAIN): the device keeps the frame and waits for
     * tx_ready(). A frame the back end drops for good still returns true.
     */
    bool (*send)(struct net_backend *b, const struct iovec *iov, unsigned n);
    /* Stops calling the peer and frees everything (main thread). */
    void (*destroy)(struct net_backend *b);
    /*
     * Snapshots, optional (NULL: the back end has no state of its own).
     * Main thread, devices quiesced. save() returns the back end's state
     * as an opaque blob with its format version; load() takes one back
     * before the VM runs, refusing a version it cannot read.
     */
    GBytes *(*save)(struct net_backend *b, uint32_t *version);
    bool (*load)(struct net_backend *b, uint32_t version, GBytes *state, GError **errp);
};

struct net_backend {
    const struct net_backend_ops *ops;
    const char *kind;           /* "user", "tap", "fake": for messages */
    bool csum_offload;          /* send() takes NET_VNET_HDR_F_NEEDS_CSUM frames */
    /* Set by net_backend_attach(); read by the back end's thread. */
    struct net_peer peer;
};

/* Registers the device (once, before the VM runs). */
static inline void net_backend_attach(struct net_backend *b, const struct net_peer *peer)
{
    b->peer = *peer;
}

static inline void net_backend_free(struct net_backend *b)
{
    if (b)
        b->ops->destroy(b);
}

/* A port forward of the user back end: connections (tcp) or datagrams
 * (udp) to host_addr:host_port go to guest_addr:guest_port. A guest_addr
 * of 0 means the first DHCP address. */
struct net_hostfwd {
    bool udp;
    struct in_addr host_addr;
    uint16_t host_port;
    struct in_addr guest_addr;
    uint16_t guest_port;
};

/* The user (libslirp) back end's network, all in network byte order. */
struct net_user_params {
    struct in_addr net, mask;       /* the guest's subnet */
    struct in_addr host;            /* the gateway: reaches the host's 127.0.0.1 */
    struct in_addr dhcp_start;      /* first address DHCP hands out */
    struct in_addr dns;             /* forwards to the host's resolver */
    bool restrict_;                 /* nothing in or out but the forwards */
    unsigned mtu;                   /* 68 to 65520 */
    const struct net_hostfwd *fwd;
    unsigned n_fwd;
};

/*
 * The user back end: libslirp driven from @ctx (the main loop; every slirp
 * call happens there). Adds the port forwards; a forward whose host port
 * cannot be bound fails with KVMKIT_ERROR_INPUT naming it (index in
 * *@bad_fwd, -1 for other errors). Frames come with DATA_VALID set (slirp
 * computes every checksum); csum_offload is false.
 */
struct net_backend *net_slirp_new(const struct net_user_params *p, GMainContext *ctx,
                                  int *bad_fwd, GError **errp);

/*
 * Starts loading libslirp (~0.6 ms on the PVM host) on a thread of its
 * own, for a VM that will have a user-mode NIC: the first net_slirp_new()
 * joins it, and reports a failure to load. Main thread, once the signal
 * mask every thread inherits is set and after any fork (vmm/security/jail.h).
 */
void net_slirp_preload(void);

/* Joins the thread net_slirp_preload() started, if still unjoined: for a
 * VM build that fails before its first user-mode NIC. */
void net_slirp_preload_wait(void);

/*
 * The TAP back end: opens /dev/net/tun and attaches to (or, with
 * CAP_NET_ADMIN, creates) the interface @ifname, with IFF_VNET_HDR when
 * @offload (then csum_offload is true), reading it from @ctx. The
 * interface is not configured (addresses, link up): that is the host's job.
 */
struct net_backend *net_tap_new(const char *ifname, bool offload, GMainContext *ctx,
                                GError **errp);

#endif
