/* SPDX-License-Identifier: MIT */
/*
 * The TAP back end: a Linux tun/tap interface in IFF_TAP mode. With
 * offloads on, IFF_VNET_HDR makes every read and write start with the same
 * 12-byte virtio_net_hdr_v1 the device uses (TUNSETVNETHDRSZ), and
 * TUNSETOFFLOAD(TUN_F_CSUM) lets both sides pass partial checksums.
 *
 * Reads happen on the main loop (a fd watch); writes come straight from
 * the device's I/O thread (write(2) on a tap fd is thread-safe). The fd is
 * non-blocking: a full device queue (EAGAIN) refuses the frame and a
 * one-shot G_IO_OUT watch calls the peer's tx_ready() once it drains.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <glib-unix.h>

#include "error.h"
#include "log.h"

struct net_tap {
    struct net_backend be;
    int fd;
    bool vnet_hdr;
    GMainContext *ctx;
    GSource *in_src;
    GMutex lock;
    GSource *out_src;           /* pending writability watch, under lock */
    uint8_t *buf;               /* header + NET_MAX_FRAME */
};

static struct net_tap *of(struct net_backend *b)
{
    return (struct net_tap *)b;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct net_tap *t = opaque;
    size_t hdr = sizeof(struct net_vnet_hdr);
    /* Without vnet headers, read after a zeroed header of our own. */
    uint8_t *dst = t->vnet_hdr ? t->buf : t->buf + hdr;
    (void)cond;
    for (unsigned i = 0; i < 64; i++) {     /* bounded: let the loop breathe */
        ssize_t n = read(fd, dst, NET_MAX_FRAME + (t->vnet_hdr ? hdr : 0));
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                log_warn_once_in("net", "tap-read", "tap: read: %s", g_strerror(errno));
            break;
        }
        if (!t->vnet_hdr) {
            memset(t->buf, 0, hdr);
            n += hdr;
        }
        struct iovec iov = { .iov_base = t->buf, .iov_len = n };
        if ((size_t)n > hdr && t->be.peer.rx)
            t->be.peer.rx(t->be.peer.opaque, &iov, 1);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct net_tap *t = opaque;
    (void)fd; (void)cond;
    g_mutex_lock(&t->lock);
    g_source_unref(t->out_src);
    t->out_src = NULL;
    g_mutex_unlock(&t->lock);
    if (t->be.peer.tx_ready)
        t->be.peer.tx_ready(t->be.peer.opaque);
    return G_SOURCE_REMOVE;
}

static bool tap_send(struct net_backend *b, const struct iovec *iov, unsigned n)
{
    struct net_tap *t = of(b);
    struct iovec v[n];
    memcpy(v, iov, sizeof(v));
    if (!t->vnet_hdr) {
        /* The device completed checksums (csum_offload false); drop the header. */
        size_t skip = sizeof(struct net_vnet_hdr);
        for (unsigned i = 0; i < n && skip; i++) {
            size_t s = MIN(skip, v[i].iov_len);
            v[i].iov_base = (uint8_t *)v[i].iov_base + s;
            v[i].iov_len -= s;
            skip -= s;
        }
    }
    for (;;) {
        if (writev(t->fd, v, n) >= 0)
            return true;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            log_warn_once_in("net", "tap-write", "tap: write: %s (frames dropped)", g_strerror(errno));
            return true;
        }
        break;
    }
    g_mutex_lock(&t->lock);
    if (!t->out_src) {
        t->out_src = g_unix_fd_source_new(t->fd, G_IO_OUT);
        g_source_set_callback(t->out_src, (GSourceFunc)(void (*)(void))on_writable, t, NULL);
        g_source_attach(t->out_src, t->ctx);
    }
    g_mutex_unlock(&t->lock);
    return false;
}

static void tap_destroy(struct net_backend *b)
{
    struct net_tap *t = of(b);
    if (t->in_src) {
        g_source_destroy(t->in_src);
        g_source_unref(t->in_src);
    }
    if (t->out_src) {
        g_source_destroy(t->out_src);
        g_source_unref(t->out_src);
    }
    if (t->fd >= 0)
        close(t->fd);
    g_mutex_clear(&t->lock);
    g_free(t->buf);
    g_free(t);
}

static const struct net_backend_ops tap_ops = {
    .send = tap_send,
    .destroy = tap_destroy,
};

struct net_backend *net_tap_new(const char *ifname, bool offload, GMainContext *ctx,
                                GError **errp)
{
    struct net_tap *t = g_new0(struct net_tap, 1);
    t->be.ops = &tap_ops;
    t->be.kind = "tap";
    t->ctx = ctx;
    t->vnet_hdr = offload;
    t->be.csum_offload = offload;
    g_mutex_init(&t->lock);
    t->buf = g_malloc(sizeof(struct net_vnet_hdr) + NET_MAX_FRAME);
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "/dev/net/tun: %s", g_strerror(errno));
        goto fail;
    }
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) };
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        kvmkit_fail(errp, e == EPERM ? KVMKIT_ERROR_INPUT : KVMKIT_ERROR_HOST,
                    "cannot attach to tap %s: %s%s", ifname, g_strerror(e),
                    e == EPERM ? " (create it first: ip tuntap add NAME mode tap user USER)"
                               : "");
        goto fail;
    }
    if (offload) {
        int sz = sizeof(struct net_vnet_hdr);
        if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0 ||
            ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) < 0) {
            kvmkit_fail(errp, KVMKIT_ERROR_HOST, "tap %s: vnet header setup: %s", ifname,
                        g_strerror(errno));
            goto fail;
        }
    }
    t->in_src = g_unix_fd_source_new(t->fd, G_IO_IN);
    g_source_set_callback(t->in_src, (GSourceFunc)(void (*)(void))on_readable, t, NULL);
    g_source_attach(t->in_src, ctx);
    return &t->be;
fail:
    tap_destroy(&t->be);
    return NULL;
}
