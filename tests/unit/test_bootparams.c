/* SPDX-License-Identifier: MIT */
/* Unit tests for vmm/x86/bootparams.c: e820, the zero page, setup_data. */
#include "x86/bootparams.h"

#include <check.h>
#include "unit_main.h"
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "x86/layout.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

static void check_entry(const struct boot_e820_entry *e, uint64_t addr, uint64_t size,
                        uint32_t type)
{
    ck_assert_uint_eq(e->addr, addr);
    ck_assert_uint_eq(e->size, size);
    ck_assert_uint_eq(e->type, type);
}

/* The two low entries every map starts with. */
static void check_low(const struct boot_e820_entry *e)
{
    check_entry(&e[0], 0, X86_EBDA_START, E820_TYPE_RAM);
    check_entry(&e[1], X86_EBDA_START, X86_HIMEM_START - X86_EBDA_START, E820_TYPE_RESERVED);
}

/* Sum of RAM entries: everything but the BIOS area below 1 MiB. */
static uint64_t ram_bytes(const struct boot_e820_entry *e, unsigned n)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < n; i++)
        if (e[i].type == E820_TYPE_RAM)
            sum += e[i].size;
    return sum;
}

START_TEST(test_e820_64m)
{
    struct boot_e820_entry e[8];
    unsigned n = x86_e820_build(64 * MiB, e, 8);
    ck_assert_uint_eq(n, 3);
    check_low(e);
    check_entry(&e[2], X86_HIMEM_START, 64 * MiB - X86_HIMEM_START, E820_TYPE_RAM);
    ck_assert_uint_eq(ram_bytes(e, n), 64 * MiB - (X86_HIMEM_START - X86_EBDA_START));
    ck_assert_uint_eq(x86_low_ram_end(64 * MiB), 64 * MiB);
}
END_TEST

START_TEST(test_e820_512m)
{
    struct boot_e820_entry e[8];
    unsigned n = x86_e820_build(512 * MiB, e, 8);
    ck_assert_uint_eq(n, 3);
    check_low(e);
    check_entry(&e[2], X86_HIMEM_START, 512 * MiB - X86_HIMEM_START, E820_TYPE_RAM);
}
END_TEST

START_TEST(test_e820_3g_exactly)
{
    struct boot_e820_entry e[8];
    unsigned n = x86_e820_build(3 * GiB, e, 8);
    ck_assert_uint_eq(n, 3);     /* nothing above 4 GiB */
    check_low(e);
    check_entry(&e[2], X86_HIMEM_START, 3 * GiB - X86_HIMEM_START, E820_TYPE_RAM);
    ck_assert_uint_eq(x86_low_ram_end(3 * GiB), X86_MMIO_HOLE_START);
}
END_TEST

START_TEST(test_e820_5g)
{
    struct boot_e820_entry e[8];
    unsigned n = x86_e820_build(5 * GiB, e, 8);
    ck_assert_uint_eq(n, 4);
    check_low(e);
    check_entry(&e[2], X86_HIMEM_START, X86_MMIO_HOLE_START - X86_HIMEM_START, E820_TYPE_RAM);
    check_entry(&e[3], X86_MMIO_HOLE_END, 2 * GiB, E820_TYPE_RAM);
    ck_assert_uint_eq(x86_low_ram_end(5 * GiB), X86_MMIO_HOLE_START);
    /* No entry overlaps the hole, entries are sorted and disjoint. */
    for (unsigned i = 1; i < n; i++)
        ck_assert_uint_le(e[i - 1].addr + e[i - 1].size, e[i].addr);
    ck_assert_uint_le(e[2].addr + e[2].size, X86_MMIO_HOLE_START);
    ck_assert_uint_ge(e[3].addr, X86_MMIO_HOLE_END);
}
END_TEST

START_TEST(test_e820_3g_plus_one_page)
{
    struct boot_e820_entry e[8];
    unsigned n = x86_e820_build(3 * GiB + 0x1000, e, 8);
    ck_assert_uint_eq(n, 4);
    check_entry(&e[3], X86_MMIO_HOLE_END, 0x1000, E820_TYPE_RAM);
}
END_TEST

START_TEST(test_e820_bounded_by_max)
{
    struct boot_e820_entry e[4];
    memset(e, 0x77, sizeof(e));
    unsigned n = x86_e820_build(5 * GiB, e, 2);
    ck_assert_uint_eq(n, 2);
    check_low(e);
    ck_assert_uint_eq(e[2].addr, 0x7777777777777777ULL);    /* untouched */
    ck_assert_uint_eq(x86_e820_build(5 * GiB, e, 0), 0);
}
END_TEST

/* A kernel setup header as it sits in the file from 0x1f1, 0x80 bytes. */
static uint8_t kernel_hdr[0x80];
#define H(off) (kernel_hdr + (off) - 0x1f1)

static void build_kernel_hdr(uint8_t jump_len)
{
    memset(kernel_hdr, 0, sizeof(kernel_hdr));
    *H(0x1f1) = 27;                                     /* setup_sects */
    uint16_t flag = 0xaa55;
    memcpy(H(0x1fe), &flag, 2);
    *H(0x200) = 0xeb;
    *H(0x201) = jump_len;
    memcpy(H(0x202), "HdrS", 4);
    uint16_t version = 0x020f;
    memcpy(H(0x206), &version, 2);
    *H(0x210) = 0x42;                                   /* type_of_loader: overwritten */
    *H(0x211) = 0x01;                                   /* LOADED_HIGH */
    uint32_t v = 0x37ffffff;
    memcpy(H(0x22c), &v, 4);                            /* initrd_addr_max */
    v = 0x200000;
    memcpy(H(0x230), &v, 4);                            /* kernel_alignment */
    v = 2047;
    memcpy(H(0x238), &v, 4);                            /* cmdline_size */
    v = 0x01234567;
    memcpy(H(0x260), &v, 4);                            /* init_size */
    v = 0x89abcdef;
    memcpy(H(0x264), &v, 4);                            /* handover_offset */
    v = 0xdeadbeef;
    memcpy(H(0x268), &v, 4);                            /* kernel_info_offset */
    memset(H(0x26c), 0xee, sizeof(kernel_hdr) - (0x26c - 0x1f1));  /* past the header */
}

static struct boot_params *new_bp(void)
{
    return g_new0(struct boot_params, 1);
}

START_TEST(test_fill_copies_header_bounded)
{
    /* 0x6a: the header ends at 0x26c, so kernel_info_offset is copied. */
    build_kernel_hdr(0x6a);
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .setup_header = kernel_hdr, .setup_header_len = sizeof(kernel_hdr),
        .ram_size = 512 * MiB, .cmdline_gpa = X86_CMDLINE_ADDR, .cmdline_len = 10,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.setup_sects, 27);
    ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
    ck_assert_uint_eq(bp->hdr.header, 0x53726448);
    ck_assert_uint_eq(bp->hdr.version, 0x020f);
    ck_assert_uint_eq(bp->hdr.initrd_addr_max, 0x37ffffff);
    ck_assert_uint_eq(bp->hdr.kernel_alignment, 0x200000);
    ck_assert_uint_eq(bp->hdr.cmdline_size, 2047);     /* the kernel's, not ours */
    ck_assert_uint_eq(bp->hdr.init_size, 0x01234567);
    ck_assert_uint_eq(bp->hdr.handover_offset, 0x89abcdef);
    ck_assert_uint_eq(bp->hdr.kernel_info_offset, 0xdeadbeef);
    /* Nothing past the setup header is written. */
    const uint8_t *raw = (const uint8_t *)bp;
    for (size_t off = 0x26c; off < 0x290; off++)
        ck_assert_uint_eq(raw[off], 0);
}
END_TEST

START_TEST(test_fill_short_header_stops_at_its_end)
{
    /* An older kernel whose header ends at 0x264: init_size is the last field. */
    build_kernel_hdr(0x62);
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .setup_header = kernel_hdr, .setup_header_len = sizeof(kernel_hdr),
        .ram_size = 64 * MiB,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.init_size, 0x01234567);
    ck_assert_uint_eq(bp->hdr.handover_offset, 0);
    ck_assert_uint_eq(bp->hdr.kernel_info_offset, 0);

    /* Header ending at 0x22c: initrd_addr_max and later stay zero. */
    build_kernel_hdr(0x2a);
    memset(bp, 0, sizeof(*bp));
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.version, 0x020f);
    ck_assert_uint_eq(bp->hdr.initrd_addr_max, 0);
    ck_assert_uint_eq(bp->hdr.kernel_alignment, 0);
    ck_assert_uint_eq(bp->hdr.init_size, 0);
}
END_TEST

START_TEST(test_fill_header_bounded_by_buffer)
{
    /* A hostile length byte (0xff) cannot make the copy exceed setup_header. */
    build_kernel_hdr(0xff);
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .setup_header = kernel_hdr, .setup_header_len = sizeof(kernel_hdr),
        .ram_size = 64 * MiB,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.kernel_info_offset, 0xdeadbeef);
    const uint8_t *raw = (const uint8_t *)bp;
    for (size_t off = 0x1f1 + sizeof(struct setup_header); off < 0x290; off++)
        ck_assert_uint_eq(raw[off], 0);

    /* A buffer shorter than its own length byte claims: copy the buffer only. */
    build_kernel_hdr(0x6a);
    memset(bp, 0, sizeof(*bp));
    in.setup_header_len = 0x230 - 0x1f1;
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.initrd_addr_max, 0x37ffffff);
    ck_assert_uint_eq(bp->hdr.kernel_alignment, 0);

    /* Too short to even hold the length byte. */
    memset(bp, 0, sizeof(*bp));
    in.setup_header_len = 4;
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.setup_sects, 27);
    ck_assert_uint_eq(bp->hdr.boot_flag, 0);
    ck_assert_uint_eq(bp->hdr.header, 0);
}
END_TEST

START_TEST(test_fill_pointers)
{
    build_kernel_hdr(0x6a);
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .setup_header = kernel_hdr, .setup_header_len = sizeof(kernel_hdr),
        .ram_size = 5 * GiB,
        .cmdline_gpa = X86_CMDLINE_ADDR, .cmdline_len = 42,
        .initrd_gpa = 0x1234567000ULL, .initrd_size = 0x100001000ULL,
        .setup_data_gpa = X86_SETUP_DATA_ADDR,
        .acpi_rsdp_gpa = X86_ACPI_ADDR,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
    ck_assert_uint_eq(bp->acpi_rsdp_addr, X86_ACPI_ADDR);
    ck_assert_uint_eq(bp->hdr.loadflags & CAN_USE_HEAP, CAN_USE_HEAP);
    ck_assert_uint_eq(bp->hdr.loadflags & LOADED_HIGH, LOADED_HIGH);
    ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
    ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
    /* 64-bit initrd address and size, split into low and ext fields. */
    ck_assert_uint_eq(bp->hdr.ramdisk_image, 0x34567000);
    ck_assert_uint_eq(bp->ext_ramdisk_image, 0x12);
    ck_assert_uint_eq(bp->hdr.ramdisk_size, 0x00001000);
    ck_assert_uint_eq(bp->ext_ramdisk_size, 0x1);
    ck_assert_uint_eq(bp->hdr.setup_data, X86_SETUP_DATA_ADDR);
    ck_assert_uint_eq(bp->e820_entries, 4);
    check_low(bp->e820_table);
    check_entry(&bp->e820_table[3], X86_MMIO_HOLE_END, 2 * GiB, E820_TYPE_RAM);
}
END_TEST

START_TEST(test_fill_cmdline_above_4g)
{
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .ram_size = 5 * GiB, .cmdline_gpa = 0x100002000ULL, .cmdline_len = 1,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.cmd_line_ptr, 0x2000);
    ck_assert_uint_eq(bp->ext_cmd_line_ptr, 1);
    ck_assert_uint_eq(bp->hdr.ramdisk_image, 0);
    ck_assert_uint_eq(bp->hdr.ramdisk_size, 0);
    ck_assert_uint_eq(bp->hdr.setup_data, 0);
}
END_TEST

START_TEST(test_fill_elf_no_header)
{
    g_autofree struct boot_params *bp = new_bp();
    struct x86_boot_input in = {
        .ram_size = 64 * MiB, .cmdline_gpa = X86_CMDLINE_ADDR, .cmdline_len = 77,
    };
    x86_boot_params_fill(bp, &in);
    ck_assert_uint_eq(bp->hdr.boot_flag, 0xaa55);
    ck_assert_uint_eq(bp->hdr.header, 0x53726448);
    ck_assert_uint_eq(bp->hdr.cmdline_size, 77);
    ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
    ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
    ck_assert_uint_eq(bp->e820_entries, 3);
}
END_TEST

/* setup_data into a small fake guest RAM. */
static struct guest_mem mem;
#define RAM 0x20000ULL

static void mem_setup(void)
{
    ck_assert(guest_mem_init(&mem, RAM, NULL));
    ck_assert(guest_mem_add_region(&mem, 0, RAM, NULL));
}

static void mem_teardown(void)
{
    guest_mem_destroy(&mem);
}

START_TEST(test_rng_seed_node)
{
    GError *err = NULL;
    ck_assert(x86_setup_rng_seed(&mem, X86_SETUP_DATA_ADDR, 32, 0x12345, &err));
    ck_assert_ptr_null(err);
    const struct setup_data *sd = guest_mem_ptr(&mem, X86_SETUP_DATA_ADDR, sizeof(*sd) + 32);
    ck_assert_ptr_nonnull(sd);
    ck_assert_uint_eq(sd->next, 0x12345);
    ck_assert_uint_eq(sd->type, SETUP_RNG_SEED);
    ck_assert_uint_eq(sd->len, 32);
    /* 32 random bytes are not all zero (probability 2^-256). */
    bool nonzero = false;
    for (unsigned i = 0; i < 32; i++)
        nonzero |= sd->data[i] != 0;
    ck_assert(nonzero);
    /* Nothing written past the node. */
    const uint8_t *after = (const uint8_t *)sd + sizeof(*sd) + 32;
    for (unsigned i = 0; i < 16; i++)
        ck_assert_uint_eq(after[i], 0);
}
END_TEST

START_TEST(test_rng_seed_end_of_chain_and_empty)
{
    ck_assert(x86_setup_rng_seed(&mem, 0x100, 0, 0, NULL));
    const struct setup_data *sd = guest_mem_ptr(&mem, 0x100, sizeof(*sd));
    ck_assert_uint_eq(sd->next, 0);
    ck_assert_uint_eq(sd->type, SETUP_RNG_SEED);
    ck_assert_uint_eq(sd->len, 0);
}
END_TEST

START_TEST(test_rng_seed_outside_ram)
{
    GError *err = NULL;
    /* The node would end one byte past RAM. */
    ck_assert(!x86_setup_rng_seed(&mem, RAM - sizeof(struct setup_data) - 31, 32, 0, &err));
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);
    ck_assert(!x86_setup_rng_seed(&mem, UINT64_MAX - 8, 32, 0, &err));
    g_clear_error(&err);
    /* Exactly at the end fits. */
    ck_assert(x86_setup_rng_seed(&mem, RAM - sizeof(struct setup_data) - 32, 32, 0, &err));
}
END_TEST

Suite *unit_suite(void)
{
    Suite *s = suite_create("bootparams");
    TCase *tc = tcase_create("e820");
    tcase_add_test(tc, test_e820_64m);
    tcase_add_test(tc, test_e820_512m);
    tcase_add_test(tc, test_e820_3g_exactly);
    tcase_add_test(tc, test_e820_5g);
    tcase_add_test(tc, test_e820_3g_plus_one_page);
    tcase_add_test(tc, test_e820_bounded_by_max);
    suite_add_tcase(s, tc);

    tc = tcase_create("boot_params");
    tcase_add_test(tc, test_fill_copies_header_bounded);
    tcase_add_test(tc, test_fill_short_header_stops_at_its_end);
    tcase_add_test(tc, test_fill_header_bounded_by_buffer);
    tcase_add_test(tc, test_fill_pointers);
    tcase_add_test(tc, test_fill_cmdline_above_4g);
    tcase_add_test(tc, test_fill_elf_no_header);
    suite_add_tcase(s, tc);

    tc = tcase_create("setup_data");
    tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
    tcase_add_test(tc, test_rng_seed_node);
    tcase_add_test(tc, test_rng_seed_end_of_chain_and_empty);
    tcase_add_test(tc, test_rng_seed_outside_ram);
    suite_add_tcase(s, tc);
    return s;
}
