/* SPDX-License-Identifier: MIT */
#include "iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

size_t iov_size(const struct iovec *iov, unsigned n)
{
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += iov[i].iov_len;
    return total;
}

/* Walks [skip, skip + len) of @iov, copying to (@to_iov false) or from @buf. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len,
                       bool to_iov)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t chunk = MIN(iov[i].iov_len - skip, len - done);
        uint8_t *part = (uint8_t *)iov[i].iov_base + skip;
        if (to_iov)
            memcpy(part, (uint8_t *)buf + done, chunk);
        else
            memcpy((uint8_t *)buf + done, part, chunk);
        done += chunk;
        skip = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
    return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
                    size_t len)
{
    return iov_copy(iov, n, skip, (void *)buf, len, true);
}
