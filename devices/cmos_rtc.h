/* SPDX-License-Identifier: MIT */
/*
 * MC146818 CMOS real-time clock at ports 0x70/0x71: the date and time
 * (from the host's clock, UTC, in BCD or binary and 12/24-hour form as
 * register B asks), registers A-D, and 114 bytes of CMOS RAM. Guest writes
 * to the time registers move the guest's clock by an offset. Periodic,
 * alarm and update interrupts are not raised.
 */
#ifndef KVMKIT_CMOS_RTC_H
#define KVMKIT_CMOS_RTC_H

#include <time.h>

#include "bus.h"

struct cmos_rtc;

/* @now returns the host time in seconds (NULL: time()). For tests. */
struct cmos_rtc *cmos_rtc_new(time_t (*now)(void));
void cmos_rtc_free(struct cmos_rtc *rtc);

/* Register on the port bus at 0x70, 2 ports. */
extern const struct bus_ops cmos_rtc_ops;

struct snap_out;
struct snap_in;
/* Saves the device as child @node; loads it back (snapshots, see snap.h). */
void cmos_rtc_save(struct cmos_rtc *rtc, struct snap_out *o, const char *node);
bool cmos_rtc_load(struct cmos_rtc *rtc, const struct snap_in *parent, const char *node, GError **errp);

#endif
