/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdarg.h>

G_DEFINE_QUARK(kvmkit-error-quark, kvmkit_error)

bool kvmkit_fail(GError **errp, enum kvmkit_error_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, KVMKIT_ERROR, code, msg);
    return false;
}
