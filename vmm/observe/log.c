/* SPDX-License-Identifier: MIT */
/*
 * vmm/observe/: how kvmkit reports. Owns the log (log.c), the counters
 * objects keep (metrics.h) and the JSON it writes and reads (json.c: log
 * lines, metrics, the control protocol). Calls only vmm/base/; devices and
 * every layer above may call it. Collecting a VM's counters needs the VM:
 * that is vmm/vm_metrics.c, in the core.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "json.h"

void log_warn_once_in(const char *component, const char *key, const char *fmt, ...)
{
    /* Process-wide by design: one log, one set of keys already reported. */
    static GMutex lock;
    static GHashTable *seen;
    g_mutex_lock(&lock);
    if (!seen)
        seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    bool first = g_hash_table_add(seen, g_strdup(key));
    g_mutex_unlock(&lock);
    if (!first)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    kvmkit_log(G_LOG_LEVEL_WARNING, component ? component : "kvmkit",
               "%s (further messages of this kind suppressed)", msg);
}

/* ---- the writer ---- */

/* Process-wide like the log itself: set by the main thread before any
 * other thread exists, read-only afterwards. */
static struct {
    enum log_format format;
    enum log_level level;
    char *vm_name;
    int fd;
} settings = { .level = LOG_LEVEL_INFO, .fd = STDERR_FILENO };

static enum log_level level_of(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return LOG_LEVEL_ERROR;
    if (level & G_LOG_LEVEL_WARNING)
        return LOG_LEVEL_WARNING;
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return LOG_LEVEL_INFO;
    return LOG_LEVEL_DEBUG;
}

static const char *const level_names[] = { "error", "warning", "info", "debug" };

/* The value of field @key as a string, or NULL. */
static const char *field(const GLogField *fields, gsize n, const char *key)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0 && fields[i].value)
            return fields[i].length < 0 ? fields[i].value : NULL;
    return NULL;
}

static char *format_json(enum log_level lv, const char *component, const char *vm_name,
                         const char *msg, gint64 time_us)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
    g_autofree char *secs = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S") : g_strdup("?");
    g_autofree char *stamp = g_strdup_printf("%s.%06dZ", secs,
                                             (int)(time_us % G_USEC_PER_SEC));
    struct json_writer *b = json_writer_new();
    json_begin_object(b);
    json_member(b, "timestamp");
    json_add_string(b, stamp);
    json_member(b, "level");
    json_add_string(b, level_names[lv]);
    json_member(b, "component");
    json_add_string(b, component);
    json_member(b, "vm");
    if (vm_name)
        json_add_string(b, vm_name);
    else
        json_add_null(b);
    json_member(b, "message");
    json_add_string(b, msg);
    json_end_object(b);
    g_autofree char *line = json_writer_finish(b);
    return g_strconcat(line, "\n", NULL);
}

char *log_format_line(enum log_format format, GLogLevelFlags level, const GLogField *fields,
                      gsize n_fields, const char *vm_name, gint64 time_us)
{
    enum log_level lv = level_of(level);
    const char *msg = field(fields, n_fields, "MESSAGE");
    const char *component = field(fields, n_fields, LOG_FIELD_COMPONENT);
    if (!component)
        component = field(fields, n_fields, "GLIB_DOMAIN");
    if (!msg)
        msg = "";
    if (format == LOG_FORMAT_JSON)
        return format_json(lv, component ? component : "kvmkit", vm_name, msg, time_us);
    /* Terminals in raw mode keep output post-processing (chardev.c), so
     * "\n" is enough for a clean line start. */
    const char *tag = lv == LOG_LEVEL_ERROR ? "error: " : lv == LOG_LEVEL_WARNING ? "warning: " : "";
    return g_strdup_printf("kvmkit: %s%s\n", tag, msg);
}

static void write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;     /* nowhere left to report it */
        s += n;
        len -= n;
    }
}

GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                            gpointer opaque)
{
    (void)opaque;
    if (level_of(level) > settings.level)
        return G_LOG_WRITER_HANDLED;
    g_autofree char *line = log_format_line(settings.format, level, fields, n_fields,
                                            settings.vm_name, g_get_real_time());
    /* One write per line: lines of concurrent threads do not interleave. */
    write_all(settings.fd, line, strlen(line));
    return G_LOG_WRITER_HANDLED;
}

void log_trace_startup(const char *step)
{
    if (!g_getenv("KVMKIT_TRACE_STARTUP"))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fprintf(stderr, "kvmkit-trace: %s at monotonic %lld ns\n", step,
            (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

void log_init(void)
{
    if (g_getenv("KVMKIT_DEBUG"))
        settings.level = LOG_LEVEL_DEBUG;
    g_log_set_writer_func(log_writer, NULL, NULL);
}

bool log_configure(enum log_format format, enum log_level level, const char *vm_name,
                   const char *path, GError **errp)
{
    int fd = STDERR_FILENO;
    if (path) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0)
            return kvmkit_fail(errp, KVMKIT_ERROR_INPUT, "[log] file: cannot open %s: %s",
                               path, g_strerror(errno));
    }
    if (settings.fd != STDERR_FILENO)
        close(settings.fd);
    settings.fd = fd;
    settings.format = format;
    if (!g_getenv("KVMKIT_DEBUG"))
        settings.level = level;
    g_free(settings.vm_name);
    settings.vm_name = g_strdup(vm_name);
    return true;
}
