/* SPDX-License-Identifier: MIT */
/* Unit tests for devices/i8042.c through its two port-bus ops tables. */
#include "i8042.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08

static struct i8042 *kbd;
static unsigned resets;

static void on_reset(void *opaque)
{
    ck_assert_ptr_eq(opaque, &resets);
    resets++;
}

static void setup(void)
{
    resets = 0;
    kbd = i8042_new(on_reset, &resets);
}

static void teardown(void)
{
    i8042_free(kbd);
}

static void cmd(uint8_t v) { i8042_cmd_ops.write(kbd, 0, &v, 1); }
static void data_out(uint8_t v) { i8042_data_ops.write(kbd, 0, &v, 1); }

static uint8_t status(void)
{
    uint8_t v = 0;
    i8042_cmd_ops.read(kbd, 0, &v, 1);
    return v;
}

static uint8_t data_in(void)
{
    uint8_t v = 0;
    i8042_data_ops.read(kbd, 0, &v, 1);
    return v;
}

START_TEST(test_power_on_status)
{
    ck_assert_uint_eq(status(), ST_SYS);
    ck_assert_uint_eq(status() & ST_OBF, 0);
    ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_self_test)
{
    cmd(0xaa);
    ck_assert_uint_eq(status() & ST_OBF, ST_OBF);
    ck_assert_uint_eq(status() & ST_SYS, ST_SYS);
    ck_assert_uint_eq(status() & ST_CMD, ST_CMD);   /* last write was a command */
    ck_assert_uint_eq(data_in(), 0x55);
    ck_assert_uint_eq(status() & ST_OBF, 0);       /* read empties the buffer */
    ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_interface_tests)
{
    cmd(0xab);
    ck_assert_uint_eq(status() & ST_OBF, ST_OBF);
    ck_assert_uint_eq(data_in(), 0x00);
    cmd(0xa9);
    ck_assert_uint_eq(data_in(), 0x00);
    ck_assert_uint_eq(status() & ST_OBF, 0);
}
END_TEST

START_TEST(test_command_byte)
{
    cmd(0x20);
    ck_assert_uint_eq(status() & ST_OBF, ST_OBF);
    ck_assert_uint_eq(data_in(), 0x30);     /* both ports disabled, no IRQs */
    cmd(0x60);
    ck_assert_uint_eq(status() & ST_OBF, 0);
    data_out(0x47);
    ck_assert_uint_eq(status() & ST_CMD, 0);   /* last write was data */
    cmd(0x20);
    ck_assert_uint_eq(data_in(), 0x47);
    /* The data byte is consumed: the next one goes nowhere. */
    data_out(0x00);
    cmd(0x20);
    ck_assert_uint_eq(data_in(), 0x47);
    ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_port_enable_disable)
{
    cmd(0x60);
    data_out(0x00);
    cmd(0xad);                  /* disable keyboard */
    cmd(0xa7);                  /* disable aux */
    cmd(0x20);
    ck_assert_uint_eq(data_in(), 0x30);
    cmd(0xae);
    cmd(0x20);
    ck_assert_uint_eq(data_in(), 0x20);
    cmd(0xa8);
    cmd(0x20);
    ck_assert_uint_eq(data_in(), 0x00);
}
END_TEST

START_TEST(test_reset_command)
{
    cmd(0xfe);
    ck_assert_uint_eq(resets, 1);
    cmd(0xfe);
    ck_assert_uint_eq(resets, 2);
}
END_TEST

START_TEST(test_pulse_without_bit0)
{
    /* 0xFF pulses nothing; 0xFD pulses bit 1 only: no reset. */
    cmd(0xff);
    cmd(0xfd);
    cmd(0xf1);
    ck_assert_uint_eq(resets, 0);
    cmd(0xf0);                  /* pulses bit 0 among others */
    ck_assert_uint_eq(resets, 1);
}
END_TEST

START_TEST(test_outport_write_resets)
{
    cmd(0xd1);
    ck_assert_uint_eq(resets, 0);       /* waits for its data byte */
    data_out(0xfe);
    ck_assert_uint_eq(resets, 1);
}
END_TEST

START_TEST(test_outport_write_no_reset)
{
    cmd(0xd1);
    data_out(0xdf);
    ck_assert_uint_eq(resets, 0);
    cmd(0xd0);
    ck_assert_uint_eq(data_in(), 0xdf);
    /* The pending command is consumed; a later plain data byte with bit 0 clear is harmless. */
    data_out(0x00);
    ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_outport_power_on)
{
    cmd(0xd0);
    ck_assert_uint_eq(data_in() & 0x01, 0x01);    /* reset line not asserted */
}
END_TEST

START_TEST(test_stray_data)
{
    data_out(0xff);
    data_out(0x00);
    ck_assert_uint_eq(resets, 0);
    ck_assert_uint_eq(status(), ST_SYS);
    /* Unknown commands are ignored. */
    cmd(0x12);
    ck_assert_uint_eq(status(), ST_SYS | ST_CMD);
    ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_free_null)
{
    i8042_free(NULL);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_power_on_status);
    tcase_add_test(tc, test_self_test);
    tcase_add_test(tc, test_interface_tests);
    tcase_add_test(tc, test_command_byte);
    tcase_add_test(tc, test_port_enable_disable);
    tcase_add_test(tc, test_reset_command);
    tcase_add_test(tc, test_pulse_without_bit0);
    tcase_add_test(tc, test_outport_write_resets);
    tcase_add_test(tc, test_outport_write_no_reset);
    tcase_add_test(tc, test_outport_power_on);
    tcase_add_test(tc, test_stray_data);
    tcase_add_test(tc, test_free_null);
    suite_add_tcase(s, tc);
    return s;
}
