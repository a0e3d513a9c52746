/* SPDX-License-Identifier: MIT */
/*
 * vmm/boot/: loaders of kernel images whose format is not an architecture's
 * (ELF vmlinux). Owns parsing the image and copying it into guest memory.
 * Calls only vmm/base/ (guest memory, errors); the arch code calls it
 * (vmm/x86/machine.c). The bzImage loader is x86's boot protocol and lives
 * in vmm/x86/.
 */
#include "elf_loader.h"

#include <elf.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"

bool elf_probe(const uint8_t *img, size_t len)
{
    return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}


#define IMAGE_ERROR(...) kvmkit_fail(errp, KVMKIT_ERROR_IMAGE, __VA_ARGS__)

bool elf_parse(const uint8_t *img, size_t len, uint16_t machine,
               struct elf_info *info, GError **errp)
{
    Elf64_Ehdr eh;
    memset(info, 0, sizeof(*info));
    if (!elf_probe(img, len))
        return IMAGE_ERROR("not an ELF file");
    if (len < sizeof(eh))
        return IMAGE_ERROR("truncated ELF header (%zu bytes)", len);
    memcpy(&eh, img, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return IMAGE_ERROR("not a 64-bit little-endian ELF file");
    if (eh.e_machine != machine)
        return IMAGE_ERROR("ELF file is for machine %u, not %u", eh.e_machine, machine);
    if (eh.e_type != ET_EXEC)
        return IMAGE_ERROR("ELF file is not an executable (e_type %u)", eh.e_type);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
        return IMAGE_ERROR("ELF file has no usable program headers");
    if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
        return IMAGE_ERROR("truncated: program headers beyond the end of the file");

    info->lowest = UINT64_MAX;
    bool entry_ok = false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (info->n_segments == ELF_MAX_SEGMENTS)
            return IMAGE_ERROR("more than %d loadable segments", ELF_MAX_SEGMENTS);
        if (ph.p_filesz > ph.p_memsz)
            return IMAGE_ERROR("segment %u: file size larger than memory size", i);
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
            return IMAGE_ERROR("truncated: segment %u extends beyond the end of the file", i);
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
            return IMAGE_ERROR("segment %u wraps around the address space", i);
        info->segments[info->n_segments++] = (struct elf_segment){
            .paddr = ph.p_paddr, .offset = ph.p_offset,
            .filesz = ph.p_filesz, .memsz = ph.p_memsz,
        };
        info->lowest = MIN(info->lowest, ph.p_paddr);
        info->highest = MAX(info->highest, ph.p_paddr + ph.p_memsz);
        if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
            entry_ok = true;
    }
    if (info->n_segments == 0)
        return IMAGE_ERROR("ELF file has no loadable segments");
    if (!entry_ok)
        return IMAGE_ERROR("entry point 0x%" G_GINT64_MODIFIER "x is not in a loaded segment "
                           "(is this a physically linked image?)", (uint64_t)eh.e_entry);
    info->entry = eh.e_entry;
    return true;
}

bool elf_load(const struct guest_mem *mem, const uint8_t *img,
              const struct elf_info *info, GError **errp)
{
    for (unsigned i = 0; i < info->n_segments; i++) {
        const struct elf_segment *s = &info->segments[i];
        uint8_t *dst = guest_mem_ptr(mem, s->paddr, s->memsz);
        if (!dst)
            return IMAGE_ERROR("segment at 0x%" G_GINT64_MODIFIER "x (%" G_GUINT64_FORMAT
                               " KiB) does not fit in guest RAM", s->paddr, s->memsz >> 10);
        memcpy(dst, img + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
    return true;
}
