/* SPDX-License-Identifier: MIT */
/*
 * Copying between flat buffers and scatter/gather lists (struct iovec), as
 * device models see guest buffers after virtq_pop(). Pure functions; any
 * thread.
 */
#ifndef KVMKIT_IOV_H
#define KVMKIT_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Total bytes of @n entries. */
size_t iov_size(const struct iovec *iov, unsigned n);

/* Copies up to @len bytes out of @iov, starting @skip bytes in; returns the
 * bytes copied (fewer when the list ends first). */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);

/* Copies up to @len bytes of @buf into @iov, starting @skip bytes in;
 * returns the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
                    size_t len);

#endif
