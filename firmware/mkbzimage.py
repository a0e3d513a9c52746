#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Wraps a payload ELF (linked at 1 MiB, 64-bit entry at +0x200) into a
minimal bzImage: one setup sector carrying a protocol 2.15 header with
XLF_KERNEL_64, followed by the flat protected-mode image.
(Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header".)"""
import struct
import sys

LOAD = 0x100000


def flat_image(elf):
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("mkbzimage: not an ELF64 file")
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    segs = []
    for i in range(phnum):
        p_type, _flags, off, _vaddr, paddr, filesz, memsz, _align = \
            struct.unpack_from("<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and memsz:
            segs.append((paddr, off, filesz, memsz))
    file_end = max(p + f for p, _, f, _ in segs)
    mem_end = max(p + m for p, _, _, m in segs)
    if min(p for p, _, _, _ in segs) != LOAD:
        sys.exit("mkbzimage: payload must be linked at 1 MiB")
    img = bytearray(file_end - LOAD)
    for paddr, off, filesz, _ in segs:
        img[paddr - LOAD:paddr - LOAD + filesz] = elf[off:off + filesz]
    return bytes(img), mem_end - LOAD


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        pm, init_size = flat_image(f.read())
    pm += b"\0" * (-len(pm) % 16)
    setup = bytearray(1024)                       # boot sector + 1 setup sector
    struct.pack_into("<B", setup, 0x1f1, 1)        # setup_sects
    struct.pack_into("<I", setup, 0x1f4, len(pm) // 16)   # syssize
    struct.pack_into("<H", setup, 0x1fe, 0xAA55)   # boot_flag
    setup[0x200:0x202] = b"\xeb\x66"               # jmp; header ends at 0x268
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020f)   # protocol 2.15
    struct.pack_into("<B", setup, 0x211, 0x01)     # loadflags: LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, LOAD)     # code32_start
    struct.pack_into("<I", setup, 0x22c, 0x7fffffff)  # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)    # kernel_alignment
    struct.pack_into("<B", setup, 0x234, 0)        # not relocatable
    struct.pack_into("<H", setup, 0x236, 0x1)      # xloadflags: XLF_KERNEL_64
    struct.pack_into("<I", setup, 0x238, 2047)     # cmdline_size
    struct.pack_into("<Q", setup, 0x258, LOAD)     # pref_address
    struct.pack_into("<I", setup, 0x260, max(init_size, len(pm)))  # init_size
    with open(dst, "wb") as f:
        f.write(bytes(setup) + pm)


if __name__ == "__main__":
    main()
