/* SPDX-License-Identifier: MIT */
#include "cmos_rtc.h"
#include "snap.h"

#include <string.h>
#include <glib.h>

enum {
    REG_SEC = 0x00, REG_MIN = 0x02, REG_HOUR = 0x04, REG_WDAY = 0x06,
    REG_MDAY = 0x07, REG_MON = 0x08, REG_YEAR = 0x09,
    REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
    REG_CENTURY = 0x32,
};

#define B_SET  0x80   /* updates inhibited while the guest sets the time */
#define B_DM   0x04   /* binary (not BCD) */
#define B_24H  0x02
#define D_VRT  0x80   /* RAM and time valid */

struct cmos_rtc {
    GMutex lock;
    time_t (*now)(void);
    time_t offset;          /* guest time = host time + offset */
    uint8_t index;
    uint8_t ram[128];
};

static uint8_t to_bcd(unsigned v) { return (uint8_t)(((v / 10) << 4) | (v % 10)); }
static unsigned from_bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xf); }

static uint8_t encode(const struct cmos_rtc *rtc, unsigned v)
{
    return (rtc->ram[REG_B] & B_DM) ? (uint8_t)v : to_bcd(v);
}

static unsigned decode(const struct cmos_rtc *rtc, uint8_t v)
{
    return (rtc->ram[REG_B] & B_DM) ? v : from_bcd(v);
}

static uint8_t read_time_reg(struct cmos_rtc *rtc, unsigned reg)
{
    time_t t = rtc->now() + rtc->offset;
    struct tm tm;
    gmtime_r(&t, &tm);
    switch (reg) {
    case REG_SEC:  return encode(rtc, tm.tm_sec);
    case REG_MIN:  return encode(rtc, tm.tm_min);
    case REG_HOUR:
        if (rtc->ram[REG_B] & B_24H)
            return encode(rtc, tm.tm_hour);
        {
            unsigned h = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
            return encode(rtc, h) | (tm.tm_hour >= 12 ? 0x80 : 0);
        }
    case REG_WDAY: return encode(rtc, tm.tm_wday + 1);
    case REG_MDAY: return encode(rtc, tm.tm_mday);
    case REG_MON:  return encode(rtc, tm.tm_mon + 1);
    case REG_YEAR: return encode(rtc, tm.tm_year % 100);
    case REG_CENTURY: return encode(rtc, (tm.tm_year + 1900) / 100);
    }
    return 0;
}

/* Applies a guest write to a time register as a change of offset. */
static void write_time_reg(struct cmos_rtc *rtc, unsigned reg, uint8_t v)
{
    time_t t = rtc->now() + rtc->offset;
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned val = decode(rtc, reg == REG_HOUR ? (v & 0x7f) : v);
    switch (reg) {
    case REG_SEC:  tm.tm_sec = val; break;
    case REG_MIN:  tm.tm_min = val; break;
    case REG_HOUR:
        if (!(rtc->ram[REG_B] & B_24H))
            val = (val % 12) + ((v & 0x80) ? 12 : 0);
        tm.tm_hour = val;
        break;
    case REG_MDAY: tm.tm_mday = val; break;
    case REG_MON:  tm.tm_mon = val - 1; break;
    case REG_YEAR: tm.tm_year = (tm.tm_year / 100) * 100 + val; break;
    case REG_CENTURY: tm.tm_year = val * 100 + tm.tm_year % 100 - 1900; break;
    default: return;    /* weekday follows from the date */
    }
    rtc->offset = timegm(&tm) - rtc->now();
}

/* Seconds, minutes, hours, weekday, date, month, year, century; the odd
 * registers below 6 are alarms and live in RAM. */
static bool is_time_reg(unsigned reg)
{
    return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR || reg == REG_WDAY ||
           reg == REG_MDAY || reg == REG_MON || reg == REG_YEAR || reg == REG_CENTURY;
}

static time_t host_now(void)
{
    return time(NULL);
}

static void rtc_read(void *opaque, uint64_t off, uint8_t *data, unsigned size)
{
    struct cmos_rtc *rtc = opaque;
    (void)size;
    g_mutex_lock(&rtc->lock);
    if (off == 0) {
        data[0] = 0xff;     /* the index register is write-only */
    } else {
        unsigned reg = rtc->index;
        if (is_time_reg(reg))
            data[0] = read_time_reg(rtc, reg);
        else if (reg == REG_A)
            data[0] = rtc->ram[REG_A] & 0x7f;   /* UIP never set: time is always readable */
        else if (reg == REG_C) {
            data[0] = rtc->ram[REG_C];
            rtc->ram[REG_C] = 0;
        } else
            data[0] = rtc->ram[reg];
    }
    g_mutex_unlock(&rtc->lock);
}

static void rtc_write(void *opaque, uint64_t off, const uint8_t *data, unsigned size)
{
    struct cmos_rtc *rtc = opaque;
    (void)size;
    g_mutex_lock(&rtc->lock);
    if (off == 0) {
        rtc->index = data[0] & 0x7f;    /* bit 7 is the NMI mask */
    } else {
        unsigned reg = rtc->index;
        if (is_time_reg(reg))
            write_time_reg(rtc, reg, data[0]);
        else if (reg == REG_C || reg == REG_D)
            ;   /* read-only */
        else
            rtc->ram[reg] = data[0];
    }
    g_mutex_unlock(&rtc->lock);
}

const struct bus_ops cmos_rtc_ops = { .read = rtc_read, .write = rtc_write };

struct cmos_rtc *cmos_rtc_new(time_t (*now)(void))
{
    struct cmos_rtc *rtc = g_new0(struct cmos_rtc, 1);
    g_mutex_init(&rtc->lock);
    rtc->now = now ? now : host_now;
    rtc->ram[REG_A] = 0x26;           /* 32.768 kHz time base, 1024 Hz rate */
    rtc->ram[REG_B] = B_24H;          /* BCD, 24-hour */
    rtc->ram[REG_D] = D_VRT;
    return rtc;
}

void cmos_rtc_free(struct cmos_rtc *rtc)
{
    if (!rtc)
        return;
    g_mutex_clear(&rtc->lock);
    g_free(rtc);
}

/* ---- snapshot ---- */

#define SNAP_VERSION 1

/* The guest's clock is saved as its offset from the host's, so a restored
 * guest reads the time of day, not the time of the save. */
void cmos_rtc_save(struct cmos_rtc *rtc, struct snap_out *o, const char *node)
{
    g_mutex_lock(&rtc->lock);
    snap_begin(o, node, SNAP_VERSION);
    snap_put_u64(o, "offset", (uint64_t)(int64_t)rtc->offset);
    snap_put_u32(o, "index", rtc->index);
    snap_put_bytes(o, "ram", rtc->ram, sizeof(rtc->ram));
    snap_end(o);
    g_mutex_unlock(&rtc->lock);
}

bool cmos_rtc_load(struct cmos_rtc *rtc, const struct snap_in *parent, const char *node,
                   GError **errp)
{
    struct snap_in n;
    uint64_t offset;
    uint32_t index;
    uint8_t ram[sizeof(rtc->ram)];
    if (!snap_child(parent, node, SNAP_VERSION, &n, NULL, errp) ||
        !snap_get_u64(&n, "offset", &offset, errp) ||
        !snap_get_u32(&n, "index", &index, errp) ||
        !snap_get_bytes(&n, "ram", ram, sizeof(ram), errp))
        return false;
    g_mutex_lock(&rtc->lock);
    rtc->offset = (time_t)(int64_t)offset;
    rtc->index = index & 0x7f;
    memcpy(rtc->ram, ram, sizeof(ram));
    g_mutex_unlock(&rtc->lock);
    return true;
}
