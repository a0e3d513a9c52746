/* SPDX-License-Identifier: MIT */
/* Unit tests for vmm/boot/elf_loader.c on ELF64 images built by hand. */
#include "elf_loader.h"

#include <check.h>
#include "unit_main.h"
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define RAM_SIZE 0x10000ULL
#define IMG_SIZE 0x200
#define PH_OFF   sizeof(Elf64_Ehdr)
#define N_PH     4

/* Segment 0: text+data+bss, segment 1: small rodata, plus ignored headers. */
#define SEG0_OFF   0x140
#define SEG0_PADDR 0x2000
#define SEG0_FILESZ 0x20
#define SEG0_MEMSZ  0x80
#define SEG1_OFF   0x160
#define SEG1_PADDR 0x3000
#define SEG1_SZ    0x10
#define ENTRY      (SEG0_PADDR + 0x10)

_Static_assert(PH_OFF + N_PH * sizeof(Elf64_Phdr) <= SEG0_OFF, "segment data overlaps phdrs");

static uint8_t img[IMG_SIZE];
static struct guest_mem mem;

static Elf64_Ehdr *ehdr(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *phdr(unsigned i) { return (Elf64_Phdr *)(img + PH_OFF) + i; }

static void build_good(void)
{
    memset(img, 0, sizeof(img));
    Elf64_Ehdr *eh = ehdr();
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = ENTRY;
    eh->e_phoff = PH_OFF;
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = N_PH;

    *phdr(0) = (Elf64_Phdr){
        .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = SEG0_OFF,
        .p_vaddr = 0xffffffff80000000ULL + SEG0_PADDR, .p_paddr = SEG0_PADDR,
        .p_filesz = SEG0_FILESZ, .p_memsz = SEG0_MEMSZ, .p_align = 0x1000,
    };
    *phdr(1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x170, .p_filesz = 8,
                             .p_memsz = 8, .p_paddr = 0xdead0000 };
    *phdr(2) = (Elf64_Phdr){
        .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = SEG1_OFF,
        .p_vaddr = SEG1_PADDR, .p_paddr = SEG1_PADDR,
        .p_filesz = SEG1_SZ, .p_memsz = SEG1_SZ, .p_align = 0x1000,
    };
    /* An empty PT_LOAD is skipped, even with nonsense fields. */
    *phdr(3) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0xffffffff,
                             .p_paddr = UINT64_MAX, .p_filesz = 0, .p_memsz = 0 };
    for (unsigned i = 0; i < SEG0_FILESZ; i++)
        img[SEG0_OFF + i] = 0x40 + i;
    for (unsigned i = 0; i < SEG1_SZ; i++)
        img[SEG1_OFF + i] = 0x80 + i;
}

static void setup(void)
{
    build_good();
    ck_assert(guest_mem_init(&mem, RAM_SIZE, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM_SIZE, NULL));
}

static void teardown(void)
{
    guest_mem_destroy(&mem);
}

/* Expects elf_parse to refuse img[0..len) with an IMAGE error containing @what. */
static void expect_refused(size_t len, const char *what)
{
    struct elf_info info;
    GError *err = NULL;
    ck_assert_msg(!elf_parse(img, len, EM_X86_64, &info, &err), "accepted, wanted '%s'", what);
    ck_assert_ptr_nonnull(err);
    ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE));
    ck_assert_msg(strstr(err->message, what), "message '%s' lacks '%s'", err->message, what);
    g_error_free(err);
}

START_TEST(test_probe)
{
    ck_assert(elf_probe(img, sizeof(img)));
    ck_assert(elf_probe(img, SELFMAG));
    ck_assert(!elf_probe(img, SELFMAG - 1));
    ck_assert(!elf_probe(img, 0));
    img[1] = 'e';
    ck_assert(!elf_probe(img, sizeof(img)));
}
END_TEST

START_TEST(test_good_parse)
{
    struct elf_info info;
    GError *err = NULL;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, &err));
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(info.entry, ENTRY);
    ck_assert_uint_eq(info.n_segments, 2);
    ck_assert_uint_eq(info.segments[0].paddr, SEG0_PADDR);
    ck_assert_uint_eq(info.segments[0].offset, SEG0_OFF);
    ck_assert_uint_eq(info.segments[0].filesz, SEG0_FILESZ);
    ck_assert_uint_eq(info.segments[0].memsz, SEG0_MEMSZ);
    ck_assert_uint_eq(info.segments[1].paddr, SEG1_PADDR);
    ck_assert_uint_eq(info.lowest, SEG0_PADDR);
    ck_assert_uint_eq(info.highest, SEG1_PADDR + SEG1_SZ);
}
END_TEST

START_TEST(test_good_load_zeroes_bss)
{
    uint8_t *ram = guest_mem_ptr(&mem, 0, RAM_SIZE);
    memset(ram, 0xaa, RAM_SIZE);
    struct elf_info info;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ck_assert(elf_load(&mem, img, &info, NULL));
    ck_assert_mem_eq(ram + SEG0_PADDR, img + SEG0_OFF, SEG0_FILESZ);
    for (unsigned i = SEG0_FILESZ; i < SEG0_MEMSZ; i++)
        ck_assert_uint_eq(ram[SEG0_PADDR + i], 0);
    ck_assert_uint_eq(ram[SEG0_PADDR + SEG0_MEMSZ], 0xaa);    /* nothing past memsz */
    ck_assert_uint_eq(ram[SEG0_PADDR - 1], 0xaa);
    ck_assert_mem_eq(ram + SEG1_PADDR, img + SEG1_OFF, SEG1_SZ);
    ck_assert_uint_eq(ram[SEG1_PADDR + SEG1_SZ], 0xaa);
}
END_TEST

START_TEST(test_truncated_header)
{
    expect_refused(sizeof(Elf64_Ehdr) - 1, "truncated ELF header");
    expect_refused(SELFMAG, "truncated ELF header");
    expect_refused(SELFMAG - 1, "not an ELF file");
    img[0] = 0;
    expect_refused(sizeof(img), "not an ELF file");
}
END_TEST

START_TEST(test_wrong_class_data)
{
    ehdr()->e_ident[EI_CLASS] = ELFCLASS32;
    expect_refused(sizeof(img), "64-bit little-endian");
    build_good();
    ehdr()->e_ident[EI_DATA] = ELFDATA2MSB;
    expect_refused(sizeof(img), "64-bit little-endian");
}
END_TEST

START_TEST(test_wrong_machine)
{
    ehdr()->e_machine = EM_AARCH64;
    expect_refused(sizeof(img), "machine");
    build_good();
    struct elf_info info;
    GError *err = NULL;
    ck_assert(!elf_parse(img, sizeof(img), EM_RISCV, &info, &err));
    g_clear_error(&err);
}
END_TEST

START_TEST(test_wrong_type)
{
    ehdr()->e_type = ET_DYN;
    expect_refused(sizeof(img), "not an executable");
    ehdr()->e_type = ET_REL;
    expect_refused(sizeof(img), "not an executable");
    ehdr()->e_type = ET_CORE;
    expect_refused(sizeof(img), "not an executable");
}
END_TEST

START_TEST(test_bad_phentsize_or_phnum)
{
    ehdr()->e_phnum = 0;
    expect_refused(sizeof(img), "no usable program headers");
    build_good();
    ehdr()->e_phentsize = sizeof(Elf32_Phdr);
    expect_refused(sizeof(img), "no usable program headers");
}
END_TEST

START_TEST(test_phdrs_beyond_eof)
{
    /* The file ends in the middle of the last program header. */
    expect_refused(PH_OFF + N_PH * sizeof(Elf64_Phdr) - 1, "program headers beyond");
    build_good();
    ehdr()->e_phoff = sizeof(img) - sizeof(Elf64_Phdr);
    expect_refused(sizeof(img), "program headers beyond");
    ehdr()->e_phoff = UINT64_MAX - 8;
    expect_refused(sizeof(img), "program headers beyond");
    ehdr()->e_phoff = sizeof(img) + 1;
    expect_refused(sizeof(img), "program headers beyond");
    /* e_phnum * phentsize must not overflow the check. */
    ehdr()->e_phoff = PH_OFF;
    ehdr()->e_phnum = 0xffff;
    expect_refused(sizeof(img), "program headers beyond");
}
END_TEST

START_TEST(test_segment_beyond_eof)
{
    phdr(2)->p_offset = sizeof(img) - SEG1_SZ + 1;
    expect_refused(sizeof(img), "beyond the end of the file");
    phdr(2)->p_offset = UINT64_MAX - 4;
    expect_refused(sizeof(img), "beyond the end of the file");
    phdr(2)->p_offset = sizeof(img) + 0x100;
    phdr(2)->p_filesz = 0;     /* even with nothing to copy, the offset is checked */
    expect_refused(sizeof(img), "beyond the end of the file");
    build_good();
    /* The file is cut short inside the segment data. */
    expect_refused(SEG1_OFF + SEG1_SZ - 1, "beyond the end of the file");
    /* Exactly at the end is fine. */
    struct elf_info info;
    ck_assert(elf_parse(img, SEG1_OFF + SEG1_SZ, EM_X86_64, &info, NULL));
}
END_TEST

START_TEST(test_filesz_gt_memsz)
{
    phdr(0)->p_filesz = SEG0_MEMSZ + 1;
    expect_refused(sizeof(img), "file size larger than memory size");
}
END_TEST

START_TEST(test_paddr_wraps)
{
    phdr(2)->p_paddr = UINT64_MAX - 4;
    expect_refused(sizeof(img), "wraps");
    /* Ending exactly at 2^64 also wraps the exclusive end. */
    phdr(2)->p_paddr = 0 - (uint64_t)SEG1_SZ;
    expect_refused(sizeof(img), "wraps");
}
END_TEST

START_TEST(test_entry_outside_segments)
{
    ehdr()->e_entry = SEG0_PADDR + SEG0_MEMSZ;     /* one past the end */
    expect_refused(sizeof(img), "entry point");
    ehdr()->e_entry = SEG0_PADDR - 1;
    expect_refused(sizeof(img), "entry point");
    ehdr()->e_entry = 0xffffffff80000000ULL + SEG0_PADDR;   /* virtual, not physical */
    expect_refused(sizeof(img), "entry point");
    /* Inside the bss or the second segment is fine. */
    struct elf_info info;
    ehdr()->e_entry = SEG0_PADDR + SEG0_MEMSZ - 1;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ehdr()->e_entry = SEG1_PADDR;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ck_assert_uint_eq(info.entry, SEG1_PADDR);
}
END_TEST

START_TEST(test_no_loadable_segments)
{
    phdr(0)->p_type = PT_NULL;
    phdr(2)->p_type = PT_GNU_STACK;
    expect_refused(sizeof(img), "no loadable segments");
}
END_TEST

START_TEST(test_too_many_segments)
{
    /* ELF_MAX_SEGMENTS + 1 one-byte segments, each holding the entry's page. */
    static uint8_t big[sizeof(Elf64_Ehdr) + (ELF_MAX_SEGMENTS + 1) * sizeof(Elf64_Phdr)];
    memcpy(big, img, sizeof(Elf64_Ehdr));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)big;
    eh->e_phnum = ELF_MAX_SEGMENTS + 1;
    eh->e_entry = 0x1000;
    Elf64_Phdr *ph = (Elf64_Phdr *)(big + PH_OFF);
    for (unsigned i = 0; i < ELF_MAX_SEGMENTS + 1; i++)
        ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0x1000 + i, .p_memsz = 1 };
    struct elf_info info;
    GError *err = NULL;
    ck_assert(!elf_parse(big, sizeof(big), EM_X86_64, &info, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "loadable segments"));
    g_clear_error(&err);
    eh->e_phnum = ELF_MAX_SEGMENTS;
    ck_assert(elf_parse(big, sizeof(big), EM_X86_64, &info, &err));
    ck_assert_uint_eq(info.n_segments, ELF_MAX_SEGMENTS);
}
END_TEST

START_TEST(test_load_outside_ram)
{
    struct elf_info info;
    GError *err = NULL;
    uint8_t *ram = guest_mem_ptr(&mem, 0, RAM_SIZE);

    /* bss runs one byte past the end of RAM. */
    phdr(2)->p_paddr = RAM_SIZE - SEG1_SZ;
    phdr(2)->p_memsz = SEG1_SZ + 1;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ck_assert(!elf_load(&mem, img, &info, &err));
    ck_assert(g_error_matches(err, KVMKIT_ERROR, KVMKIT_ERROR_IMAGE));
    ck_assert_ptr_nonnull(strstr(err->message, "does not fit"));
    g_clear_error(&err);
    /* Nothing of the refused segment was written. */
    for (unsigned i = 0; i < SEG1_SZ; i++)
        ck_assert_uint_eq(ram[RAM_SIZE - SEG1_SZ + i], 0);

    /* Wholly above RAM. */
    build_good();
    phdr(2)->p_paddr = 0x100000000ULL;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ck_assert(!elf_load(&mem, img, &info, &err));
    g_clear_error(&err);

    /* Exactly filling the end of RAM is fine. */
    build_good();
    phdr(2)->p_paddr = RAM_SIZE - SEG1_SZ;
    ck_assert(elf_parse(img, sizeof(img), EM_X86_64, &info, NULL));
    ck_assert(elf_load(&mem, img, &info, &err));
    ck_assert_mem_eq(ram + RAM_SIZE - SEG1_SZ, img + SEG1_OFF, SEG1_SZ);
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("elf_loader");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_good_parse);
    tcase_add_test(tc, test_good_load_zeroes_bss);
    tcase_add_test(tc, test_truncated_header);
    tcase_add_test(tc, test_wrong_class_data);
    tcase_add_test(tc, test_wrong_machine);
    tcase_add_test(tc, test_wrong_type);
    tcase_add_test(tc, test_bad_phentsize_or_phnum);
    tcase_add_test(tc, test_phdrs_beyond_eof);
    tcase_add_test(tc, test_segment_beyond_eof);
    tcase_add_test(tc, test_filesz_gt_memsz);
    tcase_add_test(tc, test_paddr_wraps);
    tcase_add_test(tc, test_entry_outside_segments);
    tcase_add_test(tc, test_no_loadable_segments);
    tcase_add_test(tc, test_too_many_segments);
    tcase_add_test(tc, test_load_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}
