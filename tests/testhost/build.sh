#!/usr/bin/env bash
# Build (once) and cache the nested KVM test host: Debian's stock
# linux-image-amd64 kernel, unpacked from its .deb (never installed), and a
# small busybox initramfs with the modules the test host needs (virtio-pci,
# 9p, virtio console/rng, kvm + kvm_amd, tun/veth/bridge) and
# tests/testhost/init. tests/testhost/run boots it under QEMU (TCG, -cpu max,
# which offers SVM with NPT) to run a command with a real /dev/kvm inside.
#
#   build.sh [--quiet]
#
# Cache: ${KVMKIT_TESTHOST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/testhost}
# with vmlinuz, initrd.cpio and key. Nothing is rebuilt while key matches.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=${KVMKIT_TESTHOST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/testhost}
quiet=0
[[ ${1:-} == --quiet ]] && quiet=1
say() { ((quiet)) || echo "testhost: $*"; }
die() { echo "testhost: error: $*" >&2; exit 1; }

# Modules loaded at boot, by name; their dependencies are added in order.
MODULES=(virtio_pci virtio_console virtio_rng 9pnet_virtio 9p kvm_amd tun veth bridge)

for p in qemu-system-x86 busybox-static cpio python3; do
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $st == ii* ]] || die "missing Debian package $p (run tests/install-deps.sh)"
done

bbver=$(dpkg-query -W -f='${Version}' busybox-static)
key=$({
    sha256sum <"$here/init"
    sha256sum <"$here/build.sh"
    echo "busybox-static $bbver ${MODULES[*]}"
} | sha256sum | cut -d' ' -f1)

if [[ -f $DIR/key && $(<"$DIR/key") == "$key" && -s $DIR/vmlinuz && -s $DIR/initrd.cpio ]]; then
    say "cached in $DIR"
    exit 0
fi
mkdir -p "$DIR"

# The kernel: the newest Debian linux-image-*-amd64 that linux-image-amd64
# depends on, downloaded once into the cache.
deb=$(ls "$DIR"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
if [[ -z $deb ]]; then
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
    if [[ -z $pkg ]]; then
        apt-get update -qq >/dev/null 2>&1 || true
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
    fi
    [[ -n $pkg ]] || die "cannot resolve linux-image-amd64 (apt-get update?)"
    say "downloading $pkg"
    (cd "$DIR" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    deb=$(ls "$DIR"/linux-image-*-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n $deb ]] || die "apt-get download $pkg failed"
fi

say "building the test host initramfs from $(basename "$deb")"
work=$(mktemp -d "$DIR/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
kver=$(ls "$work/root/lib/modules" | head -n1)
vmlinuz="$work/root/boot/vmlinuz-$kver"
[[ -s $vmlinuz ]] || die "no kernel in $deb"

ird="$work/initrd"
mkdir -p "$ird"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$ird/bin/busybox"
install -m 0755 "$here/init" "$ird/init"
# Dependency order from each module's .modinfo "depends=" (no kmod needed).
python3 - "$work/root/lib/modules/$kver" "$ird/modules" "${MODULES[@]}" <<'PY'
import os, re, shutil, sys
moddir, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
paths = {}
for root, _, files in os.walk(moddir):
    for f in files:
        if f.endswith(".ko"):
            paths[f[:-3].replace("-", "_")] = os.path.join(root, f)
order = []
def add(name):
    name = name.replace("-", "_")
    if name in order:
        return
    if name not in paths:
        sys.exit(f"testhost: error: module {name} not found under {moddir}")
    data = open(paths[name], "rb").read()
    m = re.search(rb"\0depends=([^\0]*)\0", data)
    for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
        add(dep)
    order.append(name)
for w in wanted:
    add(w)
with open(os.path.join(out, "order"), "w") as f:
    for name in order:
        shutil.copy(paths[name], os.path.join(out, name + ".ko"))
        f.write(name + "\n")
PY
(cd "$ird" && find . | cpio -o -H newc --quiet) >"$work/initrd.cpio"
cp "$vmlinuz" "$DIR/vmlinuz.new"
mv "$DIR/vmlinuz.new" "$DIR/vmlinuz"
mv "$work/initrd.cpio" "$DIR/initrd.cpio"
echo "$kver" >"$DIR/kernel-version"
echo "$key" >"$DIR/key"
say "built in $DIR (kernel $kver, modules: $(tr '\n' ' ' <"$ird/modules/order"))"
