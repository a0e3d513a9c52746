/* SPDX-License-Identifier: MIT */
/* Unit tests for the instruction classification in vmm/x86/pvm.c. */
#include "x86/pvm.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#define LEN_UNTOUCHED 0xdeadu

START_TEST(test_int3)
{
    const uint8_t b[] = { 0xcc, 0x90, 0x90 };
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, sizeof(b), &len), X86_PVM_INSN_INT3);
    ck_assert_uint_eq(len, 1);
    len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, 1, &len), X86_PVM_INSN_INT3);
    ck_assert_uint_eq(len, 1);
}
END_TEST

START_TEST(test_int_03)
{
    const uint8_t b[] = { 0xcd, 0x03, 0xcc };
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, sizeof(b), &len), X86_PVM_INSN_INT3);
    ck_assert_uint_eq(len, 2);
    len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, 2, &len), X86_PVM_INSN_INT3);
    ck_assert_uint_eq(len, 2);
}
END_TEST

START_TEST(test_int_03_truncated)
{
    /* CD with its immediate byte missing cannot be classified. */
    const uint8_t b[] = { 0xcd, 0x03 };
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, 1, &len), X86_PVM_INSN_UNKNOWN);
    ck_assert_uint_eq(len, LEN_UNTOUCHED);
}
END_TEST

START_TEST(test_int_other_vector)
{
    /* INT n for n != 3 (e.g. INT 0x80, INT 4) is not INT3. */
    const uint8_t b1[] = { 0xcd, 0x80 };
    const uint8_t b2[] = { 0xcd, 0x04 };
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b1, sizeof(b1), &len), X86_PVM_INSN_UNKNOWN);
    ck_assert_int_eq(x86_pvm_classify(b2, sizeof(b2), &len), X86_PVM_INSN_UNKNOWN);
    ck_assert_uint_eq(len, LEN_UNTOUCHED);
}
END_TEST

START_TEST(test_fwait)
{
    const uint8_t b[] = { 0x9b, 0xdb, 0xe3 };   /* FWAIT; FNINIT */
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, sizeof(b), &len), X86_PVM_INSN_FWAIT);
    ck_assert_uint_eq(len, 1);
}
END_TEST

START_TEST(test_unknown)
{
    static const uint8_t cases[][4] = {
        { 0x0f, 0xc7, 0x0e, 0x00 },     /* CMPXCHG16B-ish */
        { 0x0f, 0x01, 0xca, 0x00 },     /* CLAC */
        { 0x90, 0xcc, 0x00, 0x00 },     /* INT3 not first */
        { 0xf3, 0x90, 0x00, 0x00 },     /* PAUSE */
        { 0x00, 0x00, 0x00, 0x00 },
        { 0xff, 0xff, 0xff, 0xff },
        { 0xce, 0x00, 0x00, 0x00 },     /* INTO */
        { 0x66, 0x9b, 0x00, 0x00 },     /* prefixed: not recognised */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        unsigned len = LEN_UNTOUCHED;
        ck_assert_int_eq(x86_pvm_classify(cases[i], 4, &len), X86_PVM_INSN_UNKNOWN);
        ck_assert_uint_eq(len, LEN_UNTOUCHED);
    }
}
END_TEST

START_TEST(test_empty)
{
    /* Zero bytes fetched: no byte may be read. The buffer holds INT3 to prove it. */
    const uint8_t b[] = { 0xcc };
    unsigned len = LEN_UNTOUCHED;
    ck_assert_int_eq(x86_pvm_classify(b, 0, &len), X86_PVM_INSN_UNKNOWN);
    ck_assert_uint_eq(len, LEN_UNTOUCHED);
}
END_TEST

START_TEST(test_cmdline_options)
{
    ck_assert_ptr_nonnull(strstr(x86_pvm_cmdline, "clearcpuid="));
    ck_assert_ptr_nonnull(strstr(x86_pvm_cmdline, "xsave"));
    ck_assert_ptr_nonnull(strstr(x86_pvm_cmdline, "cx16"));
    ck_assert_ptr_null(strchr(x86_pvm_cmdline, '\n'));
    /* A word without '=' that the kernel's parameter table does not know
     * (such as "noxsave") is handed to init as an argument: every option
     * kvmkit adds must be key=value. */
    gchar **words = g_strsplit(x86_pvm_cmdline, " ", -1);
    for (gchar **w = words; *w; w++)
        ck_assert_msg(strchr(*w, '=') != NULL, "option \"%s\" would reach init", *w);
    g_strfreev(words);
}
END_TEST

static Suite *pvm_suite(void)
{
    Suite *s = suite_create("pvm");
    TCase *tc = tcase_create("classify");
    tcase_add_test(tc, test_int3);
    tcase_add_test(tc, test_int_03);
    tcase_add_test(tc, test_int_03_truncated);
    tcase_add_test(tc, test_int_other_vector);
    tcase_add_test(tc, test_fwait);
    tcase_add_test(tc, test_unknown);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_cmdline_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pvm_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
