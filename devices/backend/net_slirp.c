/* SPDX-License-Identifier: MIT */
/*
 * The user-mode network back end: libslirp (4.x) as a GSource on the main
 * loop. libslirp is not thread-safe, so every call into it happens on the
 * thread that runs @ctx: frames the device sends from its I/O thread wait
 * in a bounded queue (TX_QUEUE_MAX) and the loop is woken to feed them in.
 *
 * Each loop iteration: prepare() asks slirp for its fds and timeout
 * (slirp_pollfds_fill), check()/dispatch() hand back what poll() saw
 * (slirp_pollfds_poll, which also runs slirp's TCP timers) after feeding
 * queued frames (slirp_input). Frames slirp sends to the guest go straight
 * to the device's rx() on this thread.
 *
 * libslirp is loaded with dlopen() for a VM with a user-mode NIC, not
 * linked: a VM without one does not pay for loading it (and the shared
 * GLib it needs) at every start. A VM with one loads it on a thread of its
 * own while the VM is built (net_slirp_preload(), alongside the KVM
 * calls); the first net_slirp_new() joins that thread. kvmkit links GLib
 * statically (docs/platform.md, "Start-up costs"); libslirp brings its
 * own shared copy. The two never share an object: libslirp's API passes
 * plain C types and callbacks, and memory it hands out is freed with
 * free().
 */
#include "net.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <slirp/libslirp.h>

#include "error.h"
#include "log.h"

#define TX_QUEUE_MAX 256

/* The soname of libslirp 4.x. */
#define SLIRP_LIBRARY "libslirp.so.0"

/* The libslirp functions kvmkit calls, looked up once per process. */
#define SLIRP_FUNCTIONS(X) \
    X(slirp_new) X(slirp_cleanup) X(slirp_input) X(slirp_add_hostfwd) \
    X(slirp_pollfds_fill) X(slirp_pollfds_poll) X(slirp_handle_timer) \
    X(slirp_state_save) X(slirp_state_load) X(slirp_state_version)

struct slirp_api {
#define SLIRP_MEMBER(f) __typeof__(f) *f;
    SLIRP_FUNCTIONS(SLIRP_MEMBER)
#undef SLIRP_MEMBER
};

struct net_slirp;

struct slirp_source {
    GSource src;
    struct net_slirp *ns;
};

struct slirp_timer {
    struct net_slirp *ns;
    SlirpTimerId id;
    void *cb_opaque;
    GSource *src;
};

struct net_slirp {
    struct net_backend be;
    const struct slirp_api *api;
    Slirp *slirp;
    GMainContext *ctx;
    GSource *source;
    GArray *pfds;               /* GPollFD, added to the source */
    GArray *want;               /* GPollFD, what slirp asked for this time */
    gint64 deadline;            /* monotonic us when slirp's timeout expires, 0: none */

    GMutex lock;                /* guards the TX hand-over */
    GQueue tx;                  /* GBytes * (header + frame) */
    bool tx_full;               /* a send() was refused: call tx_ready() */
};

static struct net_slirp *of(struct net_backend *b)
{
    return (struct net_slirp *)b;
}

/*
 * libslirp logs (g_warning, g_debug) through the shared GLib it brought
 * in, whose writer is not kvmkit's: give it kvmkit's, so that its messages
 * follow [log] (file, format, level) and never take GLib's default path
 * (journald's socket, iconv modules), which the filters forbid. Nothing to
 * do when kvmkit itself uses the shared GLib.
 */
static void forward_shared_glib_log(void)
{
    void *glib = dlopen("libglib-2.0.so.0", RTLD_NOW | RTLD_NOLOAD);
    if (!glib)
        return;
    __typeof__(g_log_set_writer_func) *set_writer =
        (__typeof__(g_log_set_writer_func) *)dlsym(glib, "g_log_set_writer_func");
    if (set_writer && set_writer != g_log_set_writer_func)
        set_writer(log_writer, NULL, NULL);
    dlclose(glib);      /* only the reference NOLOAD took: libslirp needs it */
}

/*
 * The process-wide table of libslirp's entry points: loading a library is
 * per process, so this (with the preload thread) is the one piece of
 * state here that is not per back end. Filled on the first load; a library
 * that failed to load is tried again next time (the error names it either
 * way).
 */
static struct {
    GMutex lock;
    struct slirp_api api;
    bool loaded;
    GThread *preload;           /* net_slirp_preload()'s, until joined */
} lib;

static const struct slirp_api *slirp_api_load(GError **errp)
{
    const struct slirp_api *ret = &lib.api;
    g_mutex_lock(&lib.lock);
    if (!lib.loaded) {
        struct slirp_api a;
        void *h = dlopen(SLIRP_LIBRARY, RTLD_NOW | RTLD_LOCAL);
        const char *missing = NULL;
#define SLIRP_LOOKUP(f) \
        if (h && !missing && !(a.f = (__typeof__(f) *)dlsym(h, #f))) \
            missing = #f;
        SLIRP_FUNCTIONS(SLIRP_LOOKUP)
#undef SLIRP_LOOKUP
        if (!h || missing) {
            kvmkit_fail(errp, KVMKIT_ERROR_HOST, "user network: cannot load %s: %s%s",
                        SLIRP_LIBRARY, h ? "no function " : dlerror(),
                        h ? missing : " (install libslirp0)");
            if (h)
                dlclose(h);
            ret = NULL;
        } else {
            lib.api = a;
            lib.loaded = true;      /* the library stays loaded for the process */
            forward_shared_glib_log();
        }
    }
    g_mutex_unlock(&lib.lock);
    return ret;
}

static gpointer preload_thread(gpointer opaque)
{
    (void)opaque;
    slirp_api_load(NULL);       /* a failure is met again, and reported, below */
    return NULL;
}

void net_slirp_preload(void)
{
    g_mutex_lock(&lib.lock);
    if (!lib.loaded && !lib.preload)
        lib.preload = g_thread_try_new("slirp-load", preload_thread, NULL, NULL);
    g_mutex_unlock(&lib.lock);
}

void net_slirp_preload_wait(void)
{
    g_mutex_lock(&lib.lock);
    GThread *t = lib.preload;
    lib.preload = NULL;
    g_mutex_unlock(&lib.lock);
    if (t)
        g_thread_join(t);
}

static const struct slirp_api *slirp_api_get(GError **errp)
{
    /* Joined before use: no thread of kvmkit's outlives the lock-down
     * unfiltered. */
    net_slirp_preload_wait();
    return slirp_api_load(errp);
}

/* ---- callbacks from slirp (main loop thread) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_slirp *ns = opaque;
    /* slirp computes every checksum it sends. */
    struct net_vnet_hdr hdr = { .flags = NET_VNET_HDR_F_DATA_VALID };
    struct iovec iov[2] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = (void *)buf, .iov_len = len },
    };
    if (ns->be.peer.rx)
        ns->be.peer.rx(ns->be.peer.opaque, iov, 2);
    return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    g_autofree char *key = g_strdup_printf("slirp:%p:%s", opaque, msg);
    log_warn_once_in("net", key, "user network: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return g_get_monotonic_time() * 1000;
}

static gboolean timer_fire(gpointer opaque)
{
    struct slirp_timer *t = opaque;
    g_source_unref(t->src);
    t->src = NULL;
    t->ns->api->slirp_handle_timer(t->ns->slirp, t->id, t->cb_opaque);
    return G_SOURCE_REMOVE;
}

static void timer_stop(struct slirp_timer *t)
{
    if (t->src) {
        g_source_destroy(t->src);
        g_source_unref(t->src);
        t->src = NULL;
    }
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct slirp_timer *t = g_new0(struct slirp_timer, 1);
    *t = (struct slirp_timer){ .ns = opaque, .id = id, .cb_opaque = cb_opaque };
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    timer_stop(timer);
    g_free(timer);
}

/* @expire_ms is on the cb_clock_get_ns() clock. */
static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct slirp_timer *t = timer;
    (void)opaque;
    timer_stop(t);
    int64_t delay = expire_ms - g_get_monotonic_time() / 1000;
    t->src = g_timeout_source_new(delay > 0 ? (guint)MIN(delay, G_MAXUINT) : 0);
    g_source_set_callback(t->src, timer_fire, t, NULL);
    g_source_attach(t->src, t->ns->ctx);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    (void)fd; (void)opaque;     /* fds are collected each iteration instead */
}

static void cb_notify(void *opaque)
{
    /* slirp calls this from inside slirp_input/slirp_pollfds_poll, on the
     * loop's own thread: the next prepare() asks for its fds anyway. A
     * wakeup here would only spin the loop. */
    (void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_register_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the GSource ---- */

static int add_poll(int fd, int events, void *opaque)
{
    struct net_slirp *ns = opaque;
    GPollFD pfd = { .fd = fd };
    if (events & SLIRP_POLL_IN)
        pfd.events |= G_IO_IN;
    if (events & SLIRP_POLL_OUT)
        pfd.events |= G_IO_OUT;
    if (events & SLIRP_POLL_PRI)
        pfd.events |= G_IO_PRI;
    if (events & SLIRP_POLL_ERR)
        pfd.events |= G_IO_ERR;
    if (events & SLIRP_POLL_HUP)
        pfd.events |= G_IO_HUP;
    g_array_append_val(ns->want, pfd);
    return ns->want->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    struct net_slirp *ns = opaque;
    if (idx < 0 || (guint)idx >= ns->pfds->len)
        return 0;
    gushort r = g_array_index(ns->pfds, GPollFD, idx).revents;
    return ((r & G_IO_IN) ? SLIRP_POLL_IN : 0) | ((r & G_IO_OUT) ? SLIRP_POLL_OUT : 0) |
           ((r & G_IO_PRI) ? SLIRP_POLL_PRI : 0) | ((r & G_IO_ERR) ? SLIRP_POLL_ERR : 0) |
           ((r & G_IO_HUP) ? SLIRP_POLL_HUP : 0);
}

static bool tx_pending(struct net_slirp *ns)
{
    g_mutex_lock(&ns->lock);
    bool any = !g_queue_is_empty(&ns->tx);
    g_mutex_unlock(&ns->lock);
    return any;
}

static bool same_polls(GArray *a, GArray *b)
{
    if (a->len != b->len)
        return false;
    for (guint i = 0; i < a->len; i++) {
        GPollFD *x = &g_array_index(a, GPollFD, i), *y = &g_array_index(b, GPollFD, i);
        if (x->fd != y->fd || x->events != y->events)
            return false;
    }
    return true;
}

static gboolean src_prepare(GSource *src, gint *timeout)
{
    struct net_slirp *ns = ((struct slirp_source *)src)->ns;
    uint32_t t = UINT32_MAX;
    g_array_set_size(ns->want, 0);
    ns->api->slirp_pollfds_fill(ns->slirp, &t, add_poll, ns);
    /* Changing the source's fds wakes the loop (GLib signals its wakeup fd
     * on every add/remove): only touch them when slirp's set changed. */
    if (!same_polls(ns->want, ns->pfds)) {
        for (guint i = 0; i < ns->pfds->len; i++)
            g_source_remove_poll(src, &g_array_index(ns->pfds, GPollFD, i));
        g_array_set_size(ns->pfds, ns->want->len);
        for (guint i = 0; i < ns->want->len; i++)
            g_array_index(ns->pfds, GPollFD, i) = g_array_index(ns->want, GPollFD, i);
        /* Only now: the array no longer moves. */
        for (guint i = 0; i < ns->pfds->len; i++)
            g_source_add_poll(src, &g_array_index(ns->pfds, GPollFD, i));
    }
    *timeout = t == UINT32_MAX ? -1 : (gint)MIN(t, (uint32_t)G_MAXINT);
    ns->deadline = t == UINT32_MAX ? 0 : g_get_monotonic_time() + (gint64)t * 1000;
    return tx_pending(ns);
}

/* Dispatch only for work: an event on slirp's fds, frames to feed in, or
 * slirp's timeout (its TCP timers run in slirp_pollfds_poll()). A source
 * dispatched on every iteration would keep the loop awake. */
static gboolean src_check(GSource *src)
{
    struct net_slirp *ns = ((struct slirp_source *)src)->ns;
    for (guint i = 0; i < ns->pfds->len; i++)
        if (g_array_index(ns->pfds, GPollFD, i).revents)
            return TRUE;
    return tx_pending(ns) || (ns->deadline && g_get_monotonic_time() >= ns->deadline);
}

static gboolean src_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    struct net_slirp *ns = ((struct slirp_source *)src)->ns;
    (void)cb; (void)data;
    bool was_full;
    for (;;) {
        g_mutex_lock(&ns->lock);
        GBytes *frame = g_queue_pop_head(&ns->tx);
        was_full = ns->tx_full && g_queue_get_length(&ns->tx) < TX_QUEUE_MAX / 2;
        if (was_full)
            ns->tx_full = false;
        g_mutex_unlock(&ns->lock);
        if (was_full && ns->be.peer.tx_ready)
            ns->be.peer.tx_ready(ns->be.peer.opaque);
        if (!frame)
            break;
        gsize len;
        const uint8_t *data_ = g_bytes_get_data(frame, &len);
        ns->api->slirp_input(ns->slirp, data_ + sizeof(struct net_vnet_hdr),
                    (int)(len - sizeof(struct net_vnet_hdr)));
        g_bytes_unref(frame);
    }
    ns->api->slirp_pollfds_poll(ns->slirp, 0, get_revents, ns);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
    .prepare = src_prepare,
    .check = src_check,
    .dispatch = src_dispatch,
};

/* ---- net_backend_ops ---- */

/* Device I/O thread. */
static bool slirp_send(struct net_backend *b, const struct iovec *iov, unsigned n)
{
    struct net_slirp *ns = of(b);
    gsize len = 0;
    for (unsigned i = 0; i < n; i++)
        len += iov[i].iov_len;
    if (len <= sizeof(struct net_vnet_hdr))
        return true;
    uint8_t *copy = g_malloc(len);
    for (gsize off = 0, i = 0; i < n; off += iov[i].iov_len, i++)
        memcpy(copy + off, iov[i].iov_base, iov[i].iov_len);
    g_mutex_lock(&ns->lock);
    bool ok = g_queue_get_length(&ns->tx) < TX_QUEUE_MAX;
    if (ok)
        g_queue_push_tail(&ns->tx, g_bytes_new_take(copy, len));
    else
        ns->tx_full = true;
    g_mutex_unlock(&ns->lock);
    if (ok)
        g_main_context_wakeup(ns->ctx);
    else
        g_free(copy);
    return ok;
}

static void slirp_destroy(struct net_backend *b)
{
    struct net_slirp *ns = of(b);
    if (ns->source) {
        g_source_destroy(ns->source);
        g_source_unref(ns->source);
    }
    if (ns->slirp)
        ns->api->slirp_cleanup(ns->slirp);   /* frees its timers through cb_timer_free */
    g_queue_clear_full(&ns->tx, (GDestroyNotify)g_bytes_unref);
    g_mutex_clear(&ns->lock);
    g_array_free(ns->pfds, TRUE);
    g_array_free(ns->want, TRUE);
    g_free(ns);
}

/*
 * Snapshots: libslirp's own state (its DHCP leases, so the guest keeps its
 * address when it renews; IP ids). Port forwards are configuration and
 * come back from the machine description; TCP connections through slirp
 * are host sockets and are not saved: to the guest they reset.
 */
static ssize_t state_write(const void *buf, size_t len, void *opaque)
{
    g_byte_array_append(opaque, buf, (guint)len);
    return (ssize_t)len;
}

static GBytes *slirp_save(struct net_backend *b, uint32_t *version)
{
    const struct slirp_api *api = of(b)->api;
    GByteArray *out = g_byte_array_new();
    api->slirp_state_save(of(b)->slirp, state_write, out);
    *version = (uint32_t)api->slirp_state_version();
    return g_byte_array_free_to_bytes(out);
}

struct state_reader {
    const uint8_t *p;
    size_t left;
};

static ssize_t state_read(void *buf, size_t len, void *opaque)
{
    struct state_reader *r = opaque;
    if (len > r->left)
        return -1;      /* truncated: slirp_state_load() fails */
    memcpy(buf, r->p, len);
    r->p += len;
    r->left -= len;
    return (ssize_t)len;
}

static bool slirp_load(struct net_backend *b, uint32_t version, GBytes *state, GError **errp)
{
    const struct slirp_api *api = of(b)->api;
    if (version > (uint32_t)api->slirp_state_version())
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "user network state version %u, this "
                           "libslirp reads up to %d", version, api->slirp_state_version());
    gsize len;
    struct state_reader r = { .p = g_bytes_get_data(state, &len) };
    r.left = len;
    if (api->slirp_state_load(of(b)->slirp, (int)version, state_read, &r) < 0)
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "libslirp refused the user network state");
    return true;
}

static const struct net_backend_ops slirp_ops = {
    .send = slirp_send,
    .destroy = slirp_destroy,
    .save = slirp_save,
    .load = slirp_load,
};

struct net_backend *net_slirp_new(const struct net_user_params *p, GMainContext *ctx,
                                  int *bad_fwd, GError **errp)
{
    const struct slirp_api *api = slirp_api_get(errp);
    if (!api)
        return NULL;
    struct net_slirp *ns = g_new0(struct net_slirp, 1);
    ns->api = api;
    ns->be.ops = &slirp_ops;
    ns->be.kind = "user";
    ns->ctx = ctx;
    ns->pfds = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    ns->want = g_array_new(FALSE, TRUE, sizeof(GPollFD));
    g_mutex_init(&ns->lock);
    g_queue_init(&ns->tx);
    *bad_fwd = -1;

    SlirpConfig cfg = {
        .version = 4,
        .restricted = p->restrict_,
        .in_enabled = true,
        .vnetwork = p->net,
        .vnetmask = p->mask,
        .vhost = p->host,
        .vhostname = "kvmkit",
        .vdhcp_start = p->dhcp_start,
        .vnameserver = p->dns,
        .if_mtu = p->mtu,
        .if_mru = p->mtu,
    };
    ns->slirp = ns->api->slirp_new(&cfg, &callbacks, ns);
    if (!ns->slirp) {
        slirp_destroy(&ns->be);
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "libslirp refused the network settings");
        return NULL;
    }
    for (unsigned i = 0; i < p->n_fwd; i++) {
        const struct net_hostfwd *f = &p->fwd[i];
        errno = 0;
        if (ns->api->slirp_add_hostfwd(ns->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
                              f->guest_port) < 0) {
            char addr[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &f->host_addr, addr, sizeof(addr));
            *bad_fwd = i;
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "cannot listen on %s port %s:%u%s%s",
                        f->udp ? "udp" : "tcp", addr, f->host_port, errno ? ": " : "",
                        errno ? g_strerror(errno) : " (in use?)");
            slirp_destroy(&ns->be);
            return NULL;
        }
    }
    ns->source = g_source_new(&source_funcs, sizeof(struct slirp_source));
    ((struct slirp_source *)ns->source)->ns = ns;
    g_source_set_name(ns->source, "slirp");
    /* No blocking during dispatch: GLib would take the fds out of the poll
     * set and put them back (each put-back wakes the loop once more). */
    g_source_set_can_recurse(ns->source, TRUE);
    g_source_attach(ns->source, ctx);
    return &ns->be;
}
