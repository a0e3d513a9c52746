/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>

void log_warn_once(const char *key, const char *fmt, ...)
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
    g_warning("%s (further messages of this kind suppressed)", msg);
}
