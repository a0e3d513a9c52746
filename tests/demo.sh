#!/bin/bash
# Installs what kvmkit needs, builds it, builds the demo guest (cached after
# the first time) and boots it to a shell on this terminal.
# Ctrl-A x quits; `poweroff -f` or `reboot -f` in the guest ends the VM.
# kvmkit needs KVM: where this machine has no working /dev/kvm, the demo
# runs inside the nested KVM test host (tests/testhost/, docs/testing.md),
# with this terminal attached to it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build
bash firmware/linux/build-guest.sh
GUEST=${KVMKIT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/guest}
# --acpi off: the demo kernel has no CONFIG_ACPI and finds its virtio devices
# through virtio_mmio.device=, which kvmkit adds only without ACPI.
cmd=(./build/kvmkit run --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio" --acpi off
     --memory 512M --append "console=ttyS0 reboot=k panic=-1" "$@")
{ read -r kind; read -r why; } < <(python3 tests/testhost/probe)
case $kind in
    hw)
        echo "== booting the demo guest"
        exec "${cmd[@]}" ;;
    pvm)
        echo "== booting the demo guest (PVM host: guest kernel code is emulated, so it takes about 2 minutes; see docs/platform.md)"
        exec "${cmd[@]}" ;;
    *)
        echo "== kvmkit needs KVM, and this machine has none ($why)."
        echo "== So the demo runs inside the nested KVM test host: QEMU (TCG) with Debian's kernel"
        echo "== and kvm_amd, this machine's files shared into it (docs/testing.md). Ctrl-A x"
        echo "== quits kvmkit; the test host then powers off."
        bash tests/testhost/build.sh
        exec tests/testhost/run "${cmd[@]}" ;;
esac
