/* SPDX-License-Identifier: MIT */
/*
 * vmm/control/: the control socket (this file) and the hidden test
 * commands (test_hooks.c). Owns the socket, its line-based JSON protocol
 * and the client side of `kvmkit ctl`. The top layer below main.c: may
 * call the core (vm.h, vm_metrics.h) and everything below it, never
 * vmm/x86/; nothing but main.c calls it.
 */
#include "control.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <glib-unix.h>

#include "config.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "test_hooks.h"
#include "vm.h"
#include "vm_metrics.h"

#define MAX_LINE (64 * 1024)

struct control {
    struct vm *vm;
    char *path;
    int fd;
    guint watch;
    GPtrArray *clients;     /* struct client * */
    gint64 started_us;
};

struct client {
    struct control *c;
    int fd;
    guint watch;
    GString *buf;
};

static void client_free(gpointer p)
{
    struct client *cl = p;
    if (cl->watch)
        g_source_remove(cl->watch);
    close(cl->fd);
    g_string_free(cl->buf, TRUE);
    g_free(cl);
}

static bool fill_sockaddr(struct sockaddr_un *sa, const char *path, GError **errp)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path))
        return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[control] socket: %s is longer than "
                           "the %zu bytes a Unix socket path may have", path,
                           sizeof(sa->sun_path) - 1);
    strcpy(sa->sun_path, path);
    return true;
}

/* ---- replies ---- */

static char *reply_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static char *reply_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "ok");
    json_add_bool(w, false);
    json_member(w, "error");
    json_add_string(w, why);
    json_end_object(w);
    return json_writer_finish(w);
}

/* {"ok": true, "state": ..., plus members added by @extra}. */
static char *reply_ok(struct control *c, void (*extra)(struct json_writer *w, void *opaque),
                      void *opaque)
{
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "ok");
    json_add_bool(w, true);
    json_member(w, "state");
    json_add_string(w, vm_is_paused(c->vm) ? "paused" : "running");
    if (extra)
        extra(w, opaque);
    json_end_object(w);
    return json_writer_finish(w);
}

static void status_members(struct json_writer *w, void *opaque)
{
    struct control *c = opaque;
    const struct vm_config *cfg = c->vm->cfg;
    json_member(w, "name");
    json_add_string(w, cfg->name);
    json_member(w, "cpus");
    json_add_int(w, cfg->cpus);
    json_member(w, "memory");
    json_add_int(w, (int64_t)cfg->memory);
    json_member(w, "uptime_ms");
    json_add_int(w, (g_get_monotonic_time() - c->started_us) / 1000);
    json_member(w, "pid");
    json_add_int(w, getpid());
}

static void metrics_members(struct json_writer *w, void *opaque)
{
    vm_metrics_build(opaque, w);
}

struct snap_result {
    const char *path;
    double seconds;
};

static void snapshot_members(struct json_writer *w, void *opaque)
{
    struct snap_result *r = opaque;
    json_member(w, "path");
    json_add_string(w, r->path);
    json_member(w, "seconds");
    json_add_double(w, r->seconds);
}

static char *do_snapshot(struct control *c, const char *path)
{
    g_autoptr(GError) err = NULL;
    bool was_paused = vm_is_paused(c->vm);
    gint64 t0 = g_get_monotonic_time();
    if (!vm_pause(c->vm, &err))
        return reply_error("cannot pause: %s", err->message);
    bool ok = vm_snapshot(c->vm, path, &err);
    if (!was_paused)
        vm_resume(c->vm);   /* the VM keeps running after a failed save too */
    if (!ok)
        return reply_error("%s", err->message);
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    struct snap_result r = { abs, (g_get_monotonic_time() - t0) / 1e6 };
    return reply_ok(c, snapshot_members, &r);
}

/* Handles one parsed request; returns the reply (without newline). */
static char *handle_object(struct control *c, const struct json_value *req)
{
    g_autoptr(GError) err = NULL;
    if (json_type(req) != JSON_OBJECT)
        return reply_error("expected a JSON object like {\"cmd\": \"status\"}");
    const char *cmd = json_string(json_get(req, "cmd"));
    if (!cmd)
        return reply_error("\"cmd\" must be a string");
    if (strcmp(cmd, "status") != 0 && strcmp(cmd, "metrics") != 0)
        kvmkit_log(G_LOG_LEVEL_INFO, "control", "%s requested", cmd);

    if (strcmp(cmd, "status") == 0)
        return reply_ok(c, status_members, c);
    if (strcmp(cmd, "pause") == 0) {
        if (!vm_pause(c->vm, &err))
            return reply_error("cannot pause: %s", err->message);
        return reply_ok(c, NULL, NULL);
    }
    if (strcmp(cmd, "resume") == 0) {
        vm_resume(c->vm);
        return reply_ok(c, NULL, NULL);
    }
    if (strcmp(cmd, "metrics") == 0)
        return reply_ok(c, metrics_members, c->vm);
    if (strcmp(cmd, "stop") == 0) {
        vm_request_stop(c->vm, VM_STOP_USER);
        return reply_ok(c, NULL, NULL);
    }
#ifdef KVMKIT_TEST_HOOKS
    char *hook = test_hooks_handle(c->vm, cmd, req);
    if (hook)
        return hook;
#endif
    if (strcmp(cmd, "snapshot") == 0) {
        const char *path = json_string(json_get(req, "path"));
        if (!path || !*path)
            return reply_error("snapshot needs \"path\": a file name");
        if (!g_path_is_absolute(path))
            return reply_error("snapshot \"path\" must be absolute (kvmkit's working "
                               "directory is not the client's)");
        return do_snapshot(c, path);
    }
    return reply_error("unknown cmd \"%s\" (status, pause, resume, snapshot, stop, metrics)",
                       cmd);
}

/* Handles one request line; returns the reply (without newline). */
static char *handle_request(struct control *c, const char *line)
{
    g_autoptr(GError) err = NULL;
    struct json_value *req = json_parse(line, &err);
    if (!req)
        return reply_error("not JSON: %s", err->message);
    char *reply = handle_object(c, req);
    json_value_free(req);
    return reply;
}

static bool send_line(int fd, const char *s)
{
    g_autofree char *line = g_strconcat(s, "\n", NULL);
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += n;
    }
    return true;
}

static gboolean on_client(gint fd, GIOCondition cond, gpointer opaque)
{
    struct client *cl = opaque;
    char buf[4096];
    (void)cond;
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0)
        goto drop;
    g_string_append_len(cl->buf, buf, n);
    char *nl;
    while ((nl = memchr(cl->buf->str, '\n', cl->buf->len))) {
        g_autofree char *line = g_strndup(cl->buf->str, nl - cl->buf->str);
        g_string_erase(cl->buf, 0, nl - cl->buf->str + 1);
        g_strstrip(line);
        if (!*line)
            continue;
        g_autofree char *reply = handle_request(cl->c, line);
        if (!send_line(fd, reply))
            goto drop;
    }
    if (cl->buf->len > MAX_LINE) {
        g_autofree char *reply = reply_error("request longer than %d bytes", MAX_LINE);
        send_line(fd, reply);
        goto drop;
    }
    return G_SOURCE_CONTINUE;
drop:
    cl->watch = 0;      /* removed by returning G_SOURCE_REMOVE */
    g_ptr_array_remove(cl->c->clients, cl);
    return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer opaque)
{
    struct control *c = opaque;
    (void)cond;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    struct client *cl = g_new0(struct client, 1);
    cl->c = c;
    cl->fd = cfd;
    cl->buf = g_string_new(NULL);
    cl->watch = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client, cl);
    g_ptr_array_add(c->clients, cl);
    return G_SOURCE_CONTINUE;
}

/* True if something answers on @path (a live kvmkit). */
static bool socket_in_use(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    return live;
}

struct control *control_new(struct vm *vm, const char *path, GError **errp)
{
    struct sockaddr_un sa;
    struct stat st;
    if (!fill_sockaddr(&sa, path, errp))
        return NULL;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[control] socket: %s exists and is not "
                        "a socket", path);
            return NULL;
        }
        if (socket_in_use(&sa)) {
            kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[control] socket: %s is in use by "
                        "another process", path);
            return NULL;
        }
        unlink(path);   /* stale: its kvmkit is gone */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "socket: %s", g_strerror(errno));
        return NULL;
    }
    /* Created 0600 from the start: no window where others may connect. */
    mode_t old = umask(0177);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    umask(old);
    if (r < 0 || listen(fd, 8) < 0) {
        if (r == 0)
            e = errno;
        close(fd);
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[control] socket: cannot listen on %s: %s",
                    path, g_strerror(e));
        return NULL;
    }
    struct control *c = g_new0(struct control, 1);
    c->vm = vm;
    c->path = g_strdup(path);
    c->fd = fd;
    c->clients = g_ptr_array_new_with_free_func(client_free);
    c->started_us = g_get_monotonic_time();
    c->watch = g_unix_fd_add(fd, G_IO_IN, on_accept, c);
    return c;
}

void control_free(struct control *c)
{
    if (!c)
        return;
    g_ptr_array_free(c->clients, TRUE);
    if (c->watch)
        g_source_remove(c->watch);
    close(c->fd);
    unlink(c->path);
    g_free(c->path);
    g_free(c);
}

/* ---- client ---- */

char *control_request(const char *socket_path, const char *verb, const char *arg,
                      bool *ok, GError **errp)
{
    struct sockaddr_un sa;
    if (!fill_sockaddr(&sa, socket_path, errp))
        return NULL;
    struct json_writer *w = json_writer_new();
    json_begin_object(w);
    json_member(w, "cmd");
    json_add_string(w, verb);
    if (arg) {
        g_autofree char *abs = g_canonicalize_filename(arg, NULL);
        json_member(w, "path");
        json_add_string(w, abs);
    }
    json_end_object(w);
    g_autofree char *req = json_writer_finish(w);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "cannot connect to %s: %s", socket_path,
                    g_strerror(e));
        return NULL;
    }
    if (!send_line(fd, req)) {
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "%s: send: %s", socket_path, g_strerror(errno));
        close(fd);
        return NULL;
    }
    GString *reply = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while (!memchr(reply->str, '\n', reply->len) &&
           ((n = recv(fd, buf, sizeof(buf), 0)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            g_string_append_len(reply, buf, n);
    close(fd);
    char *nl = memchr(reply->str, '\n', reply->len);
    if (!nl) {
        g_string_free(reply, TRUE);
        kvmkit_fail(errp, KVMKIT_ERROR_HOST, "%s: no reply (did the VM stop?)", socket_path);
        return NULL;
    }
    *nl = '\0';
    struct json_value *r = json_parse(reply->str, NULL);
    *ok = json_get_bool(r, "ok", false);
    json_value_free(r);
    return g_string_free(reply, FALSE);
}
