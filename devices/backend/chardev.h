/* SPDX-License-Identifier: MIT */
/*
 * Character back ends (terminal, pty, file, nothing) behind one ops table.
 * A front end (16550, virtio-console) writes with chardev_write() and
 * receives through the callbacks it attaches; it never sees a descriptor.
 *
 * Threads: write() may be called from any thread (vCPU threads for the
 * 16550). Input is delivered on the main event loop thread: the back end
 * asks can_receive() how much the front end can take and never delivers
 * more; when the front end has room again it calls chardev_accept_input(),
 * which is safe from any thread.
 */
#ifndef KVMKIT_CHARDEV_H
#define KVMKIT_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

struct chardev;

struct chardev_ops {
    void (*write)(struct chardev *chr, const uint8_t *buf, size_t len);
    void (*accept_input)(struct chardev *chr);
    void (*destroy)(struct chardev *chr);
};

struct chardev_frontend {
    size_t (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
};

struct chardev {
    const struct chardev_ops *ops;
    const struct chardev_frontend *fe;
    void *fe_opaque;
};

static inline void chardev_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
    if (chr && chr->ops->write)
        chr->ops->write(chr, buf, len);
}

static inline void chardev_accept_input(struct chardev *chr)
{
    if (chr && chr->ops->accept_input)
        chr->ops->accept_input(chr);
}

/* Connects a front end; input starts flowing on the next loop iteration. */
void chardev_attach(struct chardev *chr, const struct chardev_frontend *fe, void *opaque);

/* Frees the back end and restores anything it changed (terminal mode). */
void chardev_destroy(struct chardev *chr);

/* Output dropped, no input. */
struct chardev *chardev_null_new(void);

/* Output written to @path (created 0644, or truncated); no input. */
struct chardev *chardev_file_new(const char *path, GError **errp);

/* Opens @path for output (created 0644, or truncated); returns an fd or -1. */
int chardev_open_output(const char *path, GError **errp);

/*
 * The terminal: output to @out_fd (STDOUT_FILENO, or an fd from
 * chardev_open_output() that the back end then owns; -1 drops output),
 * input from stdin when @with_input. If stdin is a tty it is put in raw
 * mode (restored by destroy, at exit and on fatal signals) and "Ctrl-A x"
 * calls @quit(@quit_opaque) on the main loop thread, "Ctrl-A Ctrl-A" sends
 * one Ctrl-A. Otherwise stdin is streamed unchanged until EOF. Input
 * sources attach to @ctx.
 */
struct chardev *chardev_stdio_new(GMainContext *ctx, int out_fd, bool with_input,
                                  void (*quit)(void *opaque), void *quit_opaque,
                                  GError **errp);

/*
 * A new pseudo-terminal in raw mode for input and output: prints
 * "kvmkit: @label on /dev/pts/N" on stderr for the user to connect to
 * (screen, minicom). Output is dropped while nobody reads the pty and its
 * buffer stays full (writes wait at most a few ms). Input sources attach
 * to @ctx. Fails only if no pty can be allocated.
 */
struct chardev *chardev_pty_new(GMainContext *ctx, const char *label, GError **errp);

#endif
