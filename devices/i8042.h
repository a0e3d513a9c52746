/* SPDX-License-Identifier: MIT */
/*
 * Just enough of the PS/2 keyboard controller (i8042) for a PC guest:
 * status and command byte, self tests, and the CPU reset line (command
 * 0xFE, or clearing bit 0 of the output port with 0xD1) that Linux's
 * `reboot=k` uses. No keyboard or mouse is attached.
 */
#ifndef KVMKIT_I8042_H
#define KVMKIT_I8042_H

#include "bus.h"

struct i8042;

/* @reset(@opaque) is called (on a vCPU thread) when the guest resets the CPU. */
struct i8042 *i8042_new(void (*reset)(void *opaque), void *opaque);
void i8042_free(struct i8042 *k);

/* Register on the port bus: data ops at 0x60, command/status ops at 0x64, 1 port each. */
extern const struct bus_ops i8042_data_ops;
extern const struct bus_ops i8042_cmd_ops;

struct snap_out;
struct snap_in;
/* Saves the device as child @node; loads it back (snapshots, see snap.h). */
void i8042_save(struct i8042 *k, struct snap_out *o, const char *node);
bool i8042_load(struct i8042 *k, const struct snap_in *parent, const char *node, GError **errp);

#endif
