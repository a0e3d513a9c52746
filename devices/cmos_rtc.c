/* SPDX-License-Identifier: MIT */
#include "cmos_rtc.h"
#include "snap.h"

#include <stdint.h>
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

/*
 * UTC calendar arithmetic (proleptic Gregorian, days counted in 400-year
 * eras), done here rather than with gmtime_r()/timegm(): glibc loads the
 * host's time zone on the first call of either (an openat() of
 * /etc/localtime), on the vCPU thread that serves the port, whose seccomp
 * filter kills the process for it.
 */
struct civil {
    int64_t year;
    int64_t mon;    /* 1-12 out of civil_from_time(); any value into time_from_civil() */
    int64_t mday, hour, min, sec;
    unsigned wday;  /* 0 = Sunday; out of civil_from_time() only */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void civil_from_time(int64_t t, struct civil *c)
{
    int64_t days = floor_div(t, 86400), secs = t - days * 86400;
    c->hour = secs / 3600;
    c->min = secs / 60 % 60;
    c->sec = secs % 60;
    c->wday = (unsigned)(days + 4 - floor_div(days + 4, 7) * 7);  /* 1970-01-01: Thursday */
    /* Days since 0000-03-01, so that February is the last month of a year. */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                   /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                 /* 0 = March */
    c->mday = doy - (153 * mp + 2) / 5 + 1;
    c->mon = mp < 10 ? mp + 3 : mp - 9;
    c->year = yoe + era * 400 + (c->mon <= 2);
}

/* The inverse, with timegm()'s leniency: fields out of range carry over. */
static int64_t time_from_civil(const struct civil *c)
{
    int64_t year = c->year + floor_div(c->mon - 1, 12);
    int64_t mon = c->mon - 1 - floor_div(c->mon - 1, 12) * 12 + 1;    /* 1..12 */
    int64_t y = year - (mon <= 2);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468 + (c->mday - 1);
    return days * 86400 + c->hour * 3600 + c->min * 60 + c->sec;
}

static uint8_t read_time_reg(struct cmos_rtc *rtc, unsigned reg)
{
    struct civil c;
    civil_from_time((int64_t)rtc->now() + rtc->offset, &c);
    switch (reg) {
    case REG_SEC:  return encode(rtc, c.sec);
    case REG_MIN:  return encode(rtc, c.min);
    case REG_HOUR:
        if (rtc->ram[REG_B] & B_24H)
            return encode(rtc, c.hour);
        {
            unsigned h = c.hour % 12 ? c.hour % 12 : 12;
            return encode(rtc, h) | (c.hour >= 12 ? 0x80 : 0);
        }
    case REG_WDAY: return encode(rtc, c.wday + 1);
    case REG_MDAY: return encode(rtc, c.mday);
    case REG_MON:  return encode(rtc, c.mon);
    case REG_YEAR: return encode(rtc, (unsigned)(c.year - floor_div(c.year, 100) * 100));
    case REG_CENTURY: return encode(rtc, (unsigned)floor_div(c.year, 100));
    }
    return 0;
}

/* Applies a guest write to a time register as a change of offset. */
static void write_time_reg(struct cmos_rtc *rtc, unsigned reg, uint8_t v)
{
    struct civil c;
    civil_from_time((int64_t)rtc->now() + rtc->offset, &c);
    unsigned val = decode(rtc, reg == REG_HOUR ? (v & 0x7f) : v);
    switch (reg) {
    case REG_SEC:  c.sec = val; break;
    case REG_MIN:  c.min = val; break;
    case REG_HOUR:
        if (!(rtc->ram[REG_B] & B_24H))
            val = (val % 12) + ((v & 0x80) ? 12 : 0);
        c.hour = val;
        break;
    case REG_MDAY: c.mday = val; break;
    case REG_MON:  c.mon = val; break;
    case REG_YEAR: c.year = floor_div(c.year, 100) * 100 + val; break;
    case REG_CENTURY: c.year = (int64_t)val * 100 + (c.year - floor_div(c.year, 100) * 100); break;
    default: return;    /* weekday follows from the date */
    }
    rtc->offset = time_from_civil(&c) - (int64_t)rtc->now();
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
