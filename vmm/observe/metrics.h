/* SPDX-License-Identifier: MIT */
/*
 * Counters and how an object reports them, without knowing the output
 * format: the counters are owned by each object (a device, a vCPU), and
 * read by vmm/vm_metrics.c, which turns them into JSON (docs/observability.md).
 *
 * Counters are 64-bit relaxed atomics: any thread may add to them (vCPU
 * threads, I/O threads, the main loop) and any thread may read them. A
 * reader sees each counter exact, but not a snapshot of all counters at
 * one instant; that is all monitoring needs, and it costs one uncontended
 * atomic add per event.
 */
#ifndef KVMKIT_METRICS_H
#define KVMKIT_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t metrics_counter;

static inline void metrics_add(metrics_counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t metrics_read(const metrics_counter *c)
{
    return atomic_load_explicit((metrics_counter *)c, memory_order_relaxed);
}

/*
 * Where an object writes its counters: put(opaque, key, value) once per
 * counter, key a static string in snake_case ("read_bytes"). Called on the
 * thread that collects (the main loop); the object must not block.
 */
struct metrics_sink {
    void (*put)(void *opaque, const char *key, uint64_t value);
    void *opaque;
};

static inline void metrics_put(const struct metrics_sink *s, const char *key,
                               const metrics_counter *c)
{
    s->put(s->opaque, key, metrics_read(c));
}

#endif
