/* SPDX-License-Identifier: MIT */
#include "error.h"

G_DEFINE_QUARK(kvmkit-error-quark, kvmkit_error)
