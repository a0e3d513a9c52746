/* SPDX-License-Identifier: MIT */
/* Unit tests for devices/cmos_rtc.c with an injected clock. */
#include "cmos_rtc.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

/* 2026-11-22 13:45:07 UTC, a Sunday. */
#define T0 ((time_t)1795355107)

enum { SEC = 0x00, SEC_ALARM = 0x01, MIN = 0x02, HOUR = 0x04, WDAY = 0x06, MDAY = 0x07,
       MON = 0x08, YEAR = 0x09, REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
       CENTURY = 0x32 };

static time_t fake_now;
static time_t get_now(void) { return fake_now; }

static struct cmos_rtc *rtc;

static void setup(void)
{
    fake_now = T0;
    rtc = cmos_rtc_new(get_now);
}

static void teardown(void)
{
    cmos_rtc_free(rtc);
}

static void wr(uint8_t reg, uint8_t v)
{
    cmos_rtc_ops.write(rtc, 0, &reg, 1);
    cmos_rtc_ops.write(rtc, 1, &v, 1);
}

static uint8_t rd(uint8_t reg)
{
    uint8_t v = 0;
    cmos_rtc_ops.write(rtc, 0, &reg, 1);
    cmos_rtc_ops.read(rtc, 1, &v, 1);
    return v;
}

START_TEST(test_bcd_time)
{
    ck_assert_uint_eq(rd(REG_B) & 0x06, 0x02);  /* BCD, 24-hour */
    ck_assert_uint_eq(rd(SEC), 0x07);
    ck_assert_uint_eq(rd(MIN), 0x45);
    ck_assert_uint_eq(rd(HOUR), 0x13);
    ck_assert_uint_eq(rd(WDAY), 0x01);          /* Sunday = 1 */
    ck_assert_uint_eq(rd(MDAY), 0x22);
    ck_assert_uint_eq(rd(MON), 0x11);
    ck_assert_uint_eq(rd(YEAR), 0x26);
    ck_assert_uint_eq(rd(CENTURY), 0x20);
}
END_TEST

START_TEST(test_clock_follows_host)
{
    fake_now = T0 + 60 * 60 * 24 * 40 + 3;      /* 2027-01-01 13:45:10 */
    ck_assert_uint_eq(rd(SEC), 0x10);
    ck_assert_uint_eq(rd(MDAY), 0x01);
    ck_assert_uint_eq(rd(MON), 0x01);
    ck_assert_uint_eq(rd(YEAR), 0x27);
    ck_assert_uint_eq(rd(WDAY), 0x06);          /* Friday */
}
END_TEST

START_TEST(test_binary_mode)
{
    wr(REG_B, 0x06);            /* binary, 24-hour */
    ck_assert_uint_eq(rd(REG_B), 0x06);
    ck_assert_uint_eq(rd(SEC), 7);
    ck_assert_uint_eq(rd(MIN), 45);
    ck_assert_uint_eq(rd(HOUR), 13);
    ck_assert_uint_eq(rd(MDAY), 22);
    ck_assert_uint_eq(rd(MON), 11);
    ck_assert_uint_eq(rd(YEAR), 26);
    ck_assert_uint_eq(rd(CENTURY), 20);
}
END_TEST

START_TEST(test_12_hour_mode)
{
    wr(REG_B, 0x00);            /* BCD, 12-hour */
    ck_assert_uint_eq(rd(HOUR), 0x81);          /* 1 PM */
    wr(REG_B, 0x04);            /* binary, 12-hour */
    ck_assert_uint_eq(rd(HOUR), 0x81);
    fake_now = T0 - 13 * 3600;                  /* 00:45:07 */
    ck_assert_uint_eq(rd(HOUR), 12);            /* midnight is 12 AM */
    wr(REG_B, 0x00);
    ck_assert_uint_eq(rd(HOUR), 0x12);
    fake_now = T0 - 3600;                       /* 12:45:07 */
    ck_assert_uint_eq(rd(HOUR), 0x92);          /* noon is 12 PM */
    fake_now = T0 - 2 * 3600;                   /* 11:45:07 */
    ck_assert_uint_eq(rd(HOUR), 0x11);
    fake_now = T0 + 10 * 3600;                  /* 23:45:07 */
    ck_assert_uint_eq(rd(HOUR), 0x91);
}
END_TEST

START_TEST(test_reg_a_uip_clear)
{
    ck_assert_uint_eq(rd(REG_A), 0x26);
    wr(REG_A, 0xa6);            /* the guest cannot set UIP */
    ck_assert_uint_eq(rd(REG_A) & 0x80, 0);
    ck_assert_uint_eq(rd(REG_A), 0x26);
}
END_TEST

START_TEST(test_reg_c_d)
{
    ck_assert_uint_eq(rd(REG_D), 0x80);
    wr(REG_D, 0x00);            /* read-only */
    ck_assert_uint_eq(rd(REG_D), 0x80);
    ck_assert_uint_eq(rd(REG_C), 0x00);
    wr(REG_C, 0xff);            /* read-only */
    ck_assert_uint_eq(rd(REG_C), 0x00);
    ck_assert_uint_eq(rd(REG_C), 0x00);         /* and cleared by reading */
}
END_TEST

START_TEST(test_cmos_ram)
{
    wr(0x10, 0xab);
    wr(0x0e, 0x01);
    wr(0x7f, 0xfe);
    wr(SEC_ALARM, 0x30);        /* alarm registers are plain storage */
    ck_assert_uint_eq(rd(0x10), 0xab);
    ck_assert_uint_eq(rd(0x0e), 0x01);
    ck_assert_uint_eq(rd(0x7f), 0xfe);
    ck_assert_uint_eq(rd(SEC_ALARM), 0x30);
    ck_assert_uint_eq(rd(0x11), 0x00);
    /* Writing RAM does not disturb the clock. */
    ck_assert_uint_eq(rd(SEC), 0x07);
}
END_TEST

START_TEST(test_index_nmi_bit_ignored)
{
    wr(0x10, 0x5a);
    ck_assert_uint_eq(rd(0x80 | 0x10), 0x5a);
    wr(0x80 | 0x11, 0xa5);
    ck_assert_uint_eq(rd(0x11), 0xa5);
    ck_assert_uint_eq(rd(0x80 | MIN), 0x45);
    ck_assert_uint_eq(rd(0x80 | REG_D), 0x80);
    /* The index port itself reads as 0xff. */
    uint8_t v = 0;
    cmos_rtc_ops.read(rtc, 0, &v, 1);
    ck_assert_uint_eq(v, 0xff);
}
END_TEST

START_TEST(test_set_minutes_shifts_clock)
{
    wr(MIN, 0x50);
    ck_assert_uint_eq(rd(MIN), 0x50);
    ck_assert_uint_eq(rd(SEC), 0x07);
    ck_assert_uint_eq(rd(HOUR), 0x13);
    ck_assert_uint_eq(rd(MDAY), 0x22);
    /* The offset holds as host time moves on. */
    fake_now += 60;
    ck_assert_uint_eq(rd(MIN), 0x51);
    ck_assert_uint_eq(rd(SEC), 0x07);
    /* Back to an earlier minute. */
    wr(MIN, 0x00);
    ck_assert_uint_eq(rd(MIN), 0x00);
    ck_assert_uint_eq(rd(HOUR), 0x13);
}
END_TEST

START_TEST(test_set_time_binary_and_12h)
{
    wr(REG_B, 0x04);            /* binary, 12-hour */
    wr(HOUR, 0x80 | 3);         /* 3 PM */
    ck_assert_uint_eq(rd(HOUR), 0x83);
    wr(REG_B, 0x06);
    ck_assert_uint_eq(rd(HOUR), 15);
    ck_assert_uint_eq(rd(MIN), 45);
    wr(REG_B, 0x00);
    wr(HOUR, 0x12);             /* 12 AM: midnight */
    wr(REG_B, 0x02);
    ck_assert_uint_eq(rd(HOUR), 0x00);
    ck_assert_uint_eq(rd(MDAY), 0x22);
}
END_TEST

START_TEST(test_set_date)
{
    wr(YEAR, 0x30);
    ck_assert_uint_eq(rd(YEAR), 0x30);
    ck_assert_uint_eq(rd(CENTURY), 0x20);
    wr(MON, 0x02);
    wr(MDAY, 0x14);
    ck_assert_uint_eq(rd(MON), 0x02);
    ck_assert_uint_eq(rd(MDAY), 0x14);
    ck_assert_uint_eq(rd(WDAY), 0x05);          /* 2030-02-14 is a Thursday */
    wr(CENTURY, 0x21);
    ck_assert_uint_eq(rd(CENTURY), 0x21);
    ck_assert_uint_eq(rd(YEAR), 0x30);
    ck_assert_uint_eq(rd(MIN), 0x45);
    ck_assert_uint_eq(rd(WDAY), 0x03);          /* 2130-02-14 is a Tuesday */
    /* Weekday writes are ignored: it follows from the date. */
    wr(WDAY, 0x07);
    ck_assert_uint_eq(rd(WDAY), 0x03);
}
END_TEST

/* The device's own calendar against glibc's, 1900 to 2400, in binary
 * 24-hour mode: every field of every sampled second. */
START_TEST(test_calendar_matches_gmtime)
{
    wr(REG_B, 0x06);
    const time_t from = -2208988800LL, to = 13569465600LL;   /* 1900-01-01, 2400-01-01 */
    unsigned n = 0;
    for (time_t t = from; t < to; t += 86400 * 3 + 3607, n++) {
        struct tm tm;
        fake_now = t;
        ck_assert(gmtime_r(&t, &tm));
        ck_assert_uint_eq(rd(SEC), tm.tm_sec);
        ck_assert_uint_eq(rd(MIN), tm.tm_min);
        ck_assert_uint_eq(rd(HOUR), tm.tm_hour);
        ck_assert_uint_eq(rd(WDAY), tm.tm_wday + 1);
        ck_assert_uint_eq(rd(MDAY), tm.tm_mday);
        ck_assert_uint_eq(rd(MON), tm.tm_mon + 1);
        ck_assert_uint_eq(rd(YEAR), tm.tm_year % 100);
        ck_assert_uint_eq(rd(CENTURY), (tm.tm_year + 1900) / 100);
    }
    ck_assert_uint_gt(n, 50000);
    /* The last second of a leap day and of a century that is not leap. */
    fake_now = 951868799;                       /* 2000-02-29 23:59:59 */
    ck_assert_uint_eq(rd(MDAY), 29);
    fake_now = 4107542399LL;                    /* 2100-02-28 23:59:59 */
    ck_assert_uint_eq(rd(MDAY), 28);
    fake_now += 1;                              /* 2100-03-01 */
    ck_assert_uint_eq(rd(MON), 3);
    ck_assert_uint_eq(rd(MDAY), 1);
}
END_TEST

/* Writes out of a field's range carry over as timegm() does them. */
START_TEST(test_set_out_of_range_carries)
{
    wr(REG_B, 0x06);
    wr(YEAR, 30);
    wr(MON, 2);
    wr(MDAY, 31);                               /* 2030-02-31 is 2030-03-03 */
    struct tm tm = { .tm_year = 130, .tm_mon = 1, .tm_mday = 31, .tm_hour = 13,
                     .tm_min = 45, .tm_sec = 7 };
    time_t want = timegm(&tm);
    ck_assert_uint_eq(rd(MON), 3);
    ck_assert_uint_eq(rd(MDAY), 3);
    wr(MON, 13);                                /* month 13: January next year */
    ck_assert_uint_eq(rd(MON), 1);
    ck_assert_uint_eq(rd(YEAR), 31);
    tm = (struct tm){ .tm_year = 130, .tm_mon = 12, .tm_mday = 3, .tm_hour = 13,
                      .tm_min = 45, .tm_sec = 7 };
    want = timegm(&tm);
    struct tm got;
    ck_assert(gmtime_r(&want, &got));
    ck_assert_uint_eq(rd(MDAY), got.tm_mday);
    ck_assert_uint_eq(rd(WDAY), got.tm_wday + 1);
    wr(MIN, 99);                                /* 13:99 is 14:39 */
    ck_assert_uint_eq(rd(HOUR), 14);
    ck_assert_uint_eq(rd(MIN), 39);
}
END_TEST

START_TEST(test_default_clock)
{
    /* With no injected clock the host's time() is used: just a sane year. */
    struct cmos_rtc *r = cmos_rtc_new(NULL);
    uint8_t reg = CENTURY, v = 0;
    cmos_rtc_ops.write(r, 0, &reg, 1);
    cmos_rtc_ops.read(r, 1, &v, 1);
    ck_assert_uint_ge(v, 0x20);
    cmos_rtc_free(r);
    cmos_rtc_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("cmos_rtc");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bcd_time);
    tcase_add_test(tc, test_clock_follows_host);
    tcase_add_test(tc, test_binary_mode);
    tcase_add_test(tc, test_12_hour_mode);
    tcase_add_test(tc, test_reg_a_uip_clear);
    tcase_add_test(tc, test_reg_c_d);
    tcase_add_test(tc, test_cmos_ram);
    tcase_add_test(tc, test_index_nmi_bit_ignored);
    tcase_add_test(tc, test_set_minutes_shifts_clock);
    tcase_add_test(tc, test_set_time_binary_and_12h);
    tcase_add_test(tc, test_set_date);
    tcase_add_test(tc, test_calendar_matches_gmtime);
    tcase_add_test(tc, test_set_out_of_range_carries);
    tcase_add_test(tc, test_default_clock);
    suite_add_tcase(s, tc);
    return s;
}
