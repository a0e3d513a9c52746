/* SPDX-License-Identifier: MIT */
/*
 * Logging: every message of kvmkit goes through glib's structured log
 * (g_log_structured) with a component ("vcpu", "virtio-blk", "control",
 * ...) and reaches one writer installed by log_init(), which adds the VM's
 * name and writes one line per message, as text or as JSON, to stderr or a
 * file (docs/observability.md). g_message()/g_warning() from code without a
 * component still work: they get the component "kvmkit".
 *
 * Plus rate-limited warnings for things a guest can trigger over and over.
 */
#ifndef KVMKIT_LOG_H
#define KVMKIT_LOG_H

#include <glib.h>
#include <stdbool.h>

/* [log] format */
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* [log] level: the least severe level written. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* The structured-log field that carries the component. */
#define LOG_FIELD_COMPONENT "KVMKIT_COMPONENT"

/*
 * Logs a printf-style message at @level (G_LOG_LEVEL_CRITICAL for errors:
 * G_LOG_LEVEL_ERROR would abort) for @component, a short static name.
 * Any thread.
 */
#define kvmkit_log(level, component, ...)                                          \
    g_log_structured(G_LOG_DOMAIN, (level), LOG_FIELD_COMPONENT, (component),      \
                     "MESSAGE", __VA_ARGS__)

/*
 * Logs a warning for @component the first time @key is seen, and never
 * again for that key: a misbehaving guest cannot flood the host's logs.
 * Thread-safe.
 */
void log_warn_once_in(const char *component, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The same, for callers that name no component ("kvmkit"). */
#define log_warn_once(key, ...) log_warn_once_in(NULL, (key), __VA_ARGS__)

/*
 * With KVMKIT_TRACE_STARTUP set in the environment, writes
 * "kvmkit-trace: STEP at monotonic NS ns" to stderr: when each start-up
 * step ended, on CLOCK_MONOTONIC (bench/startup.py, docs/testing.md).
 * Straight to stderr, not through the log: a benchmark's time stamps.
 */
void log_trace_startup(const char *step);

/*
 * kvmkit's GLib log writer, which log_init() installs. Exposed for a
 * second copy of GLib in the process (the shared one libslirp brings,
 * devices/backend/net_slirp.c), so that its messages go the same way.
 */
GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                            gpointer opaque);

/*
 * Installs the writer (glib allows one per process): text to stderr, level
 * info (debug with KVMKIT_DEBUG set in the environment), no VM name until
 * log_configure(). Main thread, first thing in main().
 */
void log_init(void);

/*
 * Sets the format, the least severe level written, the VM name (copied)
 * and the destination: @path (NULL: stderr) opened for appending, created
 * mode 0640. Main thread, before other threads log. On error (the file
 * cannot be opened) nothing changes and @errp is set.
 */
bool log_configure(enum log_format format, enum log_level level, const char *vm_name,
                   const char *path, GError **errp);

/*
 * One log line for @fields (as given to a GLogWriterFunc) at @level, with
 * its trailing newline: "kvmkit: warning: MESSAGE" in text (no tag for
 * info and debug, "error: " for errors), or a JSON object with timestamp
 * (@time_us, microseconds since the epoch, as ISO 8601 UTC), level,
 * component, vm (@vm_name, null if NULL) and message. Caller frees.
 */
char *log_format_line(enum log_format format, GLogLevelFlags level, const GLogField *fields,
                      gsize n_fields, const char *vm_name, gint64 time_us);

#endif
