/* SPDX-License-Identifier: MIT */
/* Rate-limited warnings for things a guest can trigger over and over. */
#ifndef KVMKIT_LOG_H
#define KVMKIT_LOG_H

#include <glib.h>

/*
 * Logs a warning the first time @key is seen, and never again for that
 * key: a misbehaving guest cannot flood the host's logs. Thread-safe.
 */
void log_warn_once(const char *key, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
