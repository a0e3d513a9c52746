/* SPDX-License-Identifier: MIT */
/* Unit tests for the instruction classification and CPUID changes in
 * vmm/x86/pvm.c. */
#include "x86/pvm.h"

#include <check.h>
#include "unit_main.h"
#include <linux/kvm.h>
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

/* KVM PV features with a hypercall behind them go; the others stay. */
START_TEST(test_cpuid_hides_hypercall_features)
{
    struct kvm_cpuid_entry2 kvm = { .function = 0x40000001, .eax = 0x01007efb };
    x86_pvm_adjust_cpuid(&kvm);
    /* bits 7 (PV_UNHALT), 11 (PV_SEND_IPI), 13 (PV_SCHED_YIELD) cleared */
    ck_assert_uint_eq(kvm.eax, 0x0100567b);

    struct kvm_cpuid_entry2 leaf1 = { .function = 1, .ecx = 0xffffffff, .edx = 0x1234 };
    x86_pvm_adjust_cpuid(&leaf1);
    ck_assert_uint_eq(leaf1.ecx, 0xffffffffu & ~(1u << 13));   /* CX16 */
    ck_assert_uint_eq(leaf1.edx, 0x1234);

    struct kvm_cpuid_entry2 other = { .function = 7, .eax = 1, .ebx = 2, .ecx = 3, .edx = 4 };
    x86_pvm_adjust_cpuid(&other);
    ck_assert_uint_eq(other.eax + other.ebx + other.ecx + other.edx, 10);
}
END_TEST

Suite *unit_suite(void)
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
    tc = tcase_create("cpuid");
    tcase_add_test(tc, test_cpuid_hides_hypercall_features);
    suite_add_tcase(s, tc);
    return s;
}
