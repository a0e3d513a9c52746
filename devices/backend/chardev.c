/* SPDX-License-Identifier: MIT */
/* Character back ends: null, file, the terminal (stdio) and a pty. */
#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib-unix.h>

#include "error.h"
#include "log.h"

void chardev_attach(struct chardev *chr, const struct chardev_frontend *fe, void *opaque)
{
    chr->fe = fe;
    chr->fe_opaque = opaque;
    chardev_accept_input(chr);
}

void chardev_destroy(struct chardev *chr)
{
    if (chr)
        chr->ops->destroy(chr);
}

/* Writes all of @buf, retrying on EINTR/EAGAIN; output errors are dropped. */
static void write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                g_usleep(1000);
                continue;
            }
            return;
        }
        buf += n;
        len -= n;
    }
}

/* ---- null ---- */

static void null_destroy(struct chardev *chr)
{
    g_free(chr);
}

static const struct chardev_ops null_ops = {
    .destroy = null_destroy,
};

struct chardev *chardev_null_new(void)
{
    struct chardev *chr = g_new0(struct chardev, 1);
    chr->ops = &null_ops;
    return chr;
}

/* ---- file ---- */

struct chardev_file {
    struct chardev chr;
    int fd;
};

static void file_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
    write_all(((struct chardev_file *)chr)->fd, buf, len);
}

static void file_destroy(struct chardev *chr)
{
    struct chardev_file *f = (struct chardev_file *)chr;
    close(f->fd);
    g_free(f);
}

static const struct chardev_ops file_ops = {
    .write = file_write,
    .destroy = file_destroy,
};

int chardev_open_output(const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST,
                    "cannot open output file %s: %s", path, g_strerror(errno));
    return fd;
}

struct chardev *chardev_file_new(const char *path, GError **errp)
{
    int fd = chardev_open_output(path, errp);
    if (fd < 0)
        return NULL;
    struct chardev_file *f = g_new0(struct chardev_file, 1);
    f->chr.ops = &file_ops;
    f->fd = fd;
    return &f->chr;
}

/* ---- stdio ---- */

#define ESCAPE_CHAR 0x01    /* Ctrl-A */

/*
 * The saved terminal mode is process-global by nature (there is one
 * controlling terminal); it is kept here so the fatal-signal handler and
 * atexit can restore it.
 */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

static void restore_terminal(void)
{
    if (termios_saved) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
        termios_saved = 0;
    }
}

static void fatal_signal_handler(int sig)
{
    restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The terminal, and (with the same input machinery) a pty. */
struct chardev_stdio {
    struct chardev chr;
    GMainContext *ctx;
    GSource *in_source;     /* in_fd watch while the front end has room */
    int in_fd;              /* STDIN_FILENO, or the pty master */
    int out_fd;
    int pty_slave;          /* pty only (else -1): held open, see chardev_pty_new */
    bool with_input, is_tty, eof, escape;
    void (*quit)(void *opaque);
    void *quit_opaque;
    GMutex lock;            /* guards in_source against accept_input from vCPU threads */
};

/*
 * Writes to the pty master (non-blocking). When the slave side's buffer
 * stays full for PTY_WRITE_WAIT_MS, nobody is reading: the rest is dropped
 * rather than stalling the guest's console, as a disconnected terminal would.
 */
#define PTY_WRITE_WAIT_MS 10

static void pty_write(int fd, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            if (poll(&p, 1, PTY_WRITE_WAIT_MS) > 0)
                continue;
        }
        if (n < 0)
            return;
        buf += n;
        len -= n;
    }
}

static void stdio_write(struct chardev *chr, const uint8_t *buf, size_t len)
{
    struct chardev_stdio *s = (struct chardev_stdio *)chr;
    if (s->pty_slave >= 0)
        pty_write(s->out_fd, buf, len);
    else if (s->out_fd >= 0)
        write_all(s->out_fd, buf, len);
}

static void stdio_stop_watch(struct chardev_stdio *s)
{
    if (s->in_source) {
        g_source_destroy(s->in_source);
        g_source_unref(s->in_source);
        s->in_source = NULL;
    }
}

/* Delivers @len bytes, applying the escape sequence on a terminal. */
static void stdio_deliver(struct chardev_stdio *s, const uint8_t *buf, size_t len)
{
    uint8_t out[256];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (s->is_tty && s->escape) {
            s->escape = false;
            if (c == 'x' || c == 'X') {
                if (s->quit)
                    s->quit(s->quit_opaque);
                return;
            }
            if (c == 'h' || c == '?') {
                static const char help[] =
                    "\r\nC-a x    exit kvmkit\r\nC-a C-a  send C-a\r\n";
                write_all(STDERR_FILENO, (const uint8_t *)help, sizeof(help) - 1);
                continue;
            }
            if (c != ESCAPE_CHAR)
                continue;
        } else if (s->is_tty && c == ESCAPE_CHAR) {
            s->escape = true;
            continue;
        }
        out[n++] = c;
    }
    if (n && s->chr.fe)
        s->chr.fe->receive(s->chr.fe_opaque, out, n);
}

static gboolean stdio_start_watch(gpointer opaque);

/* The watch is being removed by returning G_SOURCE_REMOVE from it. */
static void stdio_forget_watch(struct chardev_stdio *s)
{
    g_mutex_lock(&s->lock);
    g_source_unref(s->in_source);
    s->in_source = NULL;
    g_mutex_unlock(&s->lock);
}

static gboolean stdio_readable(gint fd, GIOCondition cond, gpointer opaque)
{
    struct chardev_stdio *s = opaque;
    (void)cond;
    /* The watch only runs once a front end is attached (chardev_attach). */
    size_t room = s->chr.fe->can_receive(s->chr.fe_opaque);
    if (room == 0) {
        /* Wait for accept_input(). It may have run between can_receive()
         * and here while the watch still existed, so look once more. */
        stdio_forget_watch(s);
        if (s->chr.fe->can_receive(s->chr.fe_opaque) > 0)
            stdio_start_watch(s);
        return G_SOURCE_REMOVE;
    }
    uint8_t buf[256];
    /* Escape bytes are dropped, so delivering at most what was read is
     * always within room. */
    ssize_t n = read(fd, buf, MIN(room, sizeof(buf)));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        s->eof = true;
        stdio_forget_watch(s);
        return G_SOURCE_REMOVE;
    }
    stdio_deliver(s, buf, n);
    return G_SOURCE_CONTINUE;
}

static gboolean stdio_start_watch(gpointer opaque)
{
    struct chardev_stdio *s = opaque;
    g_mutex_lock(&s->lock);
    if (!s->in_source && !s->eof && s->with_input) {
        s->in_source = g_unix_fd_source_new(s->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(s->in_source, (GSourceFunc)(void (*)(void))stdio_readable, s, NULL);
        g_source_attach(s->in_source, s->ctx);
    }
    g_mutex_unlock(&s->lock);
    return G_SOURCE_REMOVE;
}

static void stdio_accept_input(struct chardev *chr)
{
    struct chardev_stdio *s = (struct chardev_stdio *)chr;
    g_mutex_lock(&s->lock);
    bool idle = !s->in_source && !s->eof && s->with_input;
    g_mutex_unlock(&s->lock);
    if (idle)
        g_main_context_invoke(s->ctx, stdio_start_watch, s);
}

static void stdio_destroy(struct chardev *chr)
{
    struct chardev_stdio *s = (struct chardev_stdio *)chr;
    stdio_stop_watch(s);
    if (s->pty_slave >= 0)
        close(s->pty_slave);
    else
        restore_terminal();
    if (s->out_fd > STDERR_FILENO)
        close(s->out_fd);   /* for a pty, the master (also in_fd) */
    g_mutex_clear(&s->lock);
    g_main_context_unref(s->ctx);
    g_free(s);
}

static const struct chardev_ops stdio_ops = {
    .write = stdio_write,
    .accept_input = stdio_accept_input,
    .destroy = stdio_destroy,
};

static void enter_raw_mode(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) < 0)
        return;
    saved_termios = t;
    termios_saved = 1;
    atexit(restore_terminal);
    static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
    for (unsigned i = 0; i < G_N_ELEMENTS(fatal); i++)
        signal(fatal[i], fatal_signal_handler);

    /* Raw input, like cfmakeraw(), but keep output post-processing so
     * kvmkit's own messages on stderr still start at column 0. */
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

struct chardev *chardev_stdio_new(GMainContext *ctx, int out_fd, bool with_input,
                                  void (*quit)(void *opaque), void *quit_opaque,
                                  GError **errp)
{
    (void)errp;
    struct chardev_stdio *s = g_new0(struct chardev_stdio, 1);
    s->chr.ops = &stdio_ops;
    s->ctx = g_main_context_ref(ctx);
    s->in_fd = STDIN_FILENO;
    s->out_fd = out_fd;
    s->pty_slave = -1;
    s->with_input = with_input;
    s->quit = quit;
    s->quit_opaque = quit_opaque;
    g_mutex_init(&s->lock);
    if (with_input) {
        s->is_tty = isatty(STDIN_FILENO);
        if (s->is_tty)
            enter_raw_mode();
    }
    return &s->chr;
}

/* ---- pty ---- */

struct chardev *chardev_pty_new(GMainContext *ctx, const char *label, GError **errp)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    char path[64];
    int slave = -1;
    /* The slave stays open here too: with no one else holding it, reads on
     * the master fail with EIO and input would end for good. */
    if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 &&
        ptsname_r(master, path, sizeof(path)) == 0)
        slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        g_set_error(errp, KVMKIT_ERROR, KVMKIT_ERROR_HOST, "cannot create a pty: %s",
                    g_strerror(errno));
        if (master >= 0)
            close(master);
        return NULL;
    }
    /* Raw, so the guest sees every byte as typed and its output unchanged. */
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    /* Where the user connects: a message, so it goes where the log goes. */
    kvmkit_log(G_LOG_LEVEL_MESSAGE, "chardev", "%s on %s", label, path);

    struct chardev_stdio *s = g_new0(struct chardev_stdio, 1);
    s->chr.ops = &stdio_ops;
    s->ctx = g_main_context_ref(ctx);
    s->in_fd = s->out_fd = master;
    s->pty_slave = slave;
    s->with_input = true;
    g_mutex_init(&s->lock);
    return &s->chr;
}
