/* SPDX-License-Identifier: MIT */
/*
 * An interrupt line as a device sees it: a GSI plus who to tell when its
 * level changes. The VM implements it with KVM_IRQ_LINE; unit tests with a
 * recorder. Devices call irq_line_set() only when their output changes.
 */
#ifndef KVMKIT_IRQ_H
#define KVMKIT_IRQ_H

#include <stdbool.h>

struct irq_ops {
    void (*set_level)(void *opaque, unsigned gsi, bool level);
};

struct irq_line {
    const struct irq_ops *ops;
    void *opaque;
    unsigned gsi;
};

static inline void irq_line_set(const struct irq_line *line, bool level)
{
    if (line->ops)
        line->ops->set_level(line->opaque, line->gsi, level);
}

#endif
