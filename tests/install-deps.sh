#!/bin/bash
# Installs the Debian 12 packages kvmkit needs to build, test and make its
# demo guest. Idempotent: does nothing when all are present. Run as root.
set -euo pipefail

PACKAGES=(
    # build
    build-essential patch meson ninja-build pkg-config python3
    libglib2.0-dev libslirp-dev libfdt-dev libseccomp-dev check libjson-glib-dev
    libxxhash-dev
    # demo/test guest (firmware/linux/build-guest.sh)
    linux-source-6.1 bc bison flex libelf-dev libssl-dev xz-utils cpio
    busybox-static e2fsprogs
    # tests and tools
    device-tree-compiler valgrind gdb
    # iasl, which the unit tier's ACPI tests disassemble the tables with
    acpica-tools
    # the nested KVM test host (tests/testhost/) and QEMU in the benchmarks
    # (seabios comes with it; named for bench and the BIOS boot path)
    qemu-system-x86 seabios
    # fuzzing (tests/fuzz/run.sh): clang and its libFuzzer/sanitizer runtimes
    clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: not root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
