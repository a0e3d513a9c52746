/* SPDX-License-Identifier: MIT */
/*
 * 16550A UART (National Semiconductor PC16550D datasheet): eight byte-wide
 * registers, 16-byte receive FIFO, interrupts for received data, character
 * timeout, THR empty, line status and modem status, loopback mode.
 *
 * Transmission is instantaneous: a byte written to THR goes to the
 * character back end at once and THR/TSR are empty again, so the baud
 * rate has no effect on timing. The receive FIFO is filled from the back
 * end with flow control (never overruns). A character-timeout interrupt is
 * raised as soon as data below the trigger level waits in the FIFO.
 *
 * The interrupt output is gated by MCR.OUT2, as on PC serial cards.
 * Thread-safe: register accesses (vCPU threads) and input (main loop) are
 * serialised by a per-device lock.
 */
#ifndef KVMKIT_SERIAL16550_H
#define KVMKIT_SERIAL16550_H

#include <stdint.h>

#include "backend/chardev.h"
#include "bus.h"
#include "irq.h"

#define SERIAL16550_REGS 8

struct serial16550;

/* Creates a UART on @irq using @chr (not owned; may be NULL: no back end). */
struct serial16550 *serial16550_new(struct irq_line irq, struct chardev *chr);
void serial16550_free(struct serial16550 *s);

/* The ops to register on the port bus, @s as opaque, SERIAL16550_REGS long. */
extern const struct bus_ops serial16550_bus_ops;

/* Register state, for tests and (later) snapshots. */
struct serial16550_regs {
    uint8_t ier, iir, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    unsigned rx_count;
};
void serial16550_get_regs(struct serial16550 *s, struct serial16550_regs *out);

struct metrics_sink;
/* Counters (docs/observability.md), from the guest's side: tx_bytes it
 * sent, rx_bytes it was given, rx_overruns lost (loopback only). Any thread. */
void serial16550_metrics(struct serial16550 *s, const struct metrics_sink *sink);

struct snap_out;
struct snap_in;
/* Saves registers and the receive FIFO as child @node (any thread). */
void serial16550_save(struct serial16550 *s, struct snap_out *o, const char *node);
/* Loads child @node of @parent, then re-derives the interrupt line. */
bool serial16550_load(struct serial16550 *s, const struct snap_in *parent, const char *node,
                      GError **errp);

#endif
