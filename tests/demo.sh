#!/bin/bash
# Installs what kvmkit needs, builds it, builds the demo guest (cached after
# the first time) and boots it to a shell on this terminal.
# Ctrl-A x quits; `poweroff -f` or `reboot -f` in the guest ends the VM.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build
bash firmware/linux/build-guest.sh
GUEST=${KVMKIT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/guest}
echo "== booting the demo guest (on a PVM host this takes a while: guest kernel code is emulated; see docs/platform.md)"
exec ./build/kvmkit run --kernel "$GUEST/vmlinux" --initrd "$GUEST/initramfs.cpio" \
    --memory 512M --append "console=ttyS0 reboot=k panic=-1" "$@"
