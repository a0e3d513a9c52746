#!/usr/bin/env bash
# Build (once) and cache the kvmkit demo/test guest: a small Linux kernel from
# Debian's linux-source-6.1 plus an uncompressed busybox initramfs.
#
#   build-guest.sh [OUTDIR]
#
# OUTDIR defaults to ${KVMKIT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/guest}.
# Results: OUTDIR/{bzImage,vmlinux,initramfs.cpio,config,key}. When OUTDIR/key
# matches the current inputs nothing is rebuilt. KVMKIT_GUEST_JOBS overrides
# the make job count (default: nproc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
DIR=${1:-${KVMKIT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kvmkit/guest}}
JOBS=${KVMKIT_GUEST_JOBS:-$(nproc)}
SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
start=$SECONDS

say() { echo "guest: $*"; }
die() { echo "guest: error: $*" >&2; exit 1; }
elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# --- required Debian packages -------------------------------------------------
pkgs=(linux-source-6.1 busybox-static build-essential bc bison flex libelf-dev
      libssl-dev cpio xz-utils)
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $st == ii* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "guest: missing Debian packages: ${missing[*]}" >&2
	echo "guest: install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
[[ -r $SRC_TARBALL ]] || die "$SRC_TARBALL not found (reinstall linux-source-6.1)"
[[ -x /bin/busybox ]] || die "/bin/busybox not found (reinstall busybox-static)"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
bbver=$(dpkg-query -W -f='${Version}' busybox-static)
key=$({
	sha256sum <"$here/guest.config"
	sha256sum <"$here/init"
	cat "$here"/patches/*.patch | sha256sum
	sha256sum <"$self"
	echo "linux-source-6.1 $srcver"
	echo "busybox-static $bbver"
} | sha256sum | cut -d' ' -f1)

outputs=(bzImage vmlinux initramfs.cpio)
is_cached() {
	[[ -f $DIR/key && $(<"$DIR/key") == "$key" ]] || return 1
	local f
	for f in "${outputs[@]}"; do [[ -s $DIR/$f ]] || return 1; done
}

if is_cached; then
	say "cached in $DIR"
	exit 0
fi

mkdir -p "$DIR"
# One builder at a time per cache directory (tests may race to build it).
exec 9>"$DIR/.lock"
if ! flock -n 9; then
	say "another build holds $DIR/.lock; waiting"
	flock 9
fi
if is_cached; then
	say "cached in $DIR"
	exit 0
fi
rm -f "$DIR/key"
say "building into $DIR (linux-source-6.1 $srcver, busybox-static $bbver, -j$JOBS)"

# --- kernel source ----------------------------------------------------------
src="$DIR/src/linux-source-6.1"
obj="$DIR/obj"
if [[ ! -f $DIR/src/.unpacked || $(<"$DIR/src/.unpacked") != "$srcver" || ! -f $src/Makefile ]]; then
	say "unpacking $SRC_TARBALL"
	rm -rf "$DIR/src" "$DIR/src.tmp" "$obj"
	mkdir -p "$DIR/src.tmp"
	tar -xf "$SRC_TARBALL" -C "$DIR/src.tmp"
	[[ -f $DIR/src.tmp/linux-source-6.1/Makefile ]] || die "unexpected tarball layout"
	echo "$srcver" >"$DIR/src.tmp/.unpacked"
	mv "$DIR/src.tmp" "$DIR/src"
fi

# --- patches (firmware/linux/patches, applied in name order) ----------------------
# Files a patch touches are restored from the tarball first, so changing or
# removing a patch never applies on top of an older one; make rebuilds only
# what changed.
patch_stamp=$(cat "$here"/patches/*.patch | sha256sum | cut -d' ' -f1)
if [[ ! -f $DIR/src/.patched || $(<"$DIR/src/.patched") != "$patch_stamp" ]]; then
	touched=()
	[[ -f $DIR/src/.patched-files ]] && mapfile -t touched <"$DIR/src/.patched-files"
	for p in "$here"/patches/*.patch; do
		while read -r f; do touched+=("$f"); done < <(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p")
	done
	if [[ ${#touched[@]} -gt 0 ]]; then
		say "restoring ${#touched[@]} patched file(s) from the tarball"
		tar -xf "$SRC_TARBALL" -C "$DIR/src" "${touched[@]/#/linux-source-6.1/}"
		touch "${touched[@]/#/$src/}"
	fi
	for p in "$here"/patches/*.patch; do
		say "applying $(basename "$p")"
		patch -p1 -d "$src" --quiet <"$p" || die "patch $(basename "$p") does not apply"
	done
	printf '%s\n' "${touched[@]}" | sort -u >"$DIR/src/.patched-files"
	echo "$patch_stamp" >"$DIR/src/.patched"
fi

# --- configuration ------------------------------------------------------------
export KBUILD_BUILD_USER=kvmkit KBUILD_BUILD_HOST=kvmkit
kmake() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
mkdir -p "$obj"
cfglog="$DIR/config.log"
say "configuring: tinyconfig + guest.config, olddefconfig"
{
	kmake tinyconfig
	# (merge_config.sh puts a temp file in the current directory)
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$here/guest.config")
	kmake olddefconfig
} >"$cfglog" 2>&1 || { tail -n 30 "$cfglog" >&2; die "configuration failed (log: $cfglog)"; }

# Every "=y" in the fragment must survive olddefconfig (a dependency mistake
# silently drops it). Other differences are reported as warnings.
bad=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		name=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		if ! grep -qxF -- "$line" "$obj/.config"; then
			got=$(grep -E "^(# )?$name[= ]" "$obj/.config" || echo "$name: absent")
			if [[ $val == y ]]; then
				bad+=("$name (wanted y, got: $got)")
			else
				say "warning: $line not applied (got: $got)"
			fi
		fi
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		name=${BASH_REMATCH[1]}
		if grep -qE "^$name=[ym]$" "$obj/.config"; then
			say "warning: $name is enabled although guest.config disables it (selected by another option)"
		fi
	fi
done <"$here/guest.config"
if ((${#bad[@]})); then
	echo "guest: these options from guest.config are not enabled in $obj/.config:" >&2
	printf '  %s\n' "${bad[@]}" >&2
	die "fix guest.config (missing dependencies?)"
fi
forbidden=$(grep -E '^CONFIG_(MODULES|FTRACE|KPROBES|ACPI|PCI|SECURITY|AUDIT|RANDOMIZE_BASE|DEBUG_INFO)=y' "$obj/.config" || true)
[[ -z $forbidden ]] || die "forbidden options enabled: $forbidden"

# --- kernel build -------------------------------------------------------------
log="$DIR/build.log"
say "building bzImage + vmlinux (log: $log)"
# make runs in its own process group so that an interrupted script can stop
# the whole build (a signal to the top make alone leaves sub-makes running).
setsid make -C "$src" O="$obj" ARCH=x86_64 -j"$JOBS" bzImage vmlinux >"$log" 2>&1 &
mpid=$!
stop_make() { if [[ -n ${mpid:-} ]]; then kill -TERM -- "-$mpid" 2>/dev/null || true; fi; }
trap stop_make EXIT
trap 'stop_make; exit 130' INT
trap 'stop_make; exit 143' TERM
while kill -0 "$mpid" 2>/dev/null; do
	for _ in $(seq 30); do
		kill -0 "$mpid" 2>/dev/null || break
		sleep 1
	done
	kill -0 "$mpid" 2>/dev/null || break
	n=$(grep -cE '^  (CC|AS) ' "$log" || true)
	last=$(grep -E '^  [A-Z]+ ' "$log" | tail -n 1 | sed 's/^ *//' || true)
	say "[$(elapsed)] still building: $n objects compiled; last: $last"
done
rc=0
wait "$mpid" || rc=$?
mpid=
if ((rc)); then
	echo "----- last lines of $log -----" >&2
	tail -n 40 "$log" >&2
	die "kernel build failed (rc=$rc)"
fi

# No kernel-mode SIMD code may be linked in (the emulator stops on it).
ncrypto=$(find "$obj/arch/x86/crypto" -name '*.o' ! -name 'built-in*' 2>/dev/null | wc -l)
((ncrypto == 0)) || die "$ncrypto objects built under arch/x86/crypto (kernel-mode SIMD); fix guest.config"

# --- initramfs ------------------------------------------------------------------
say "building initramfs"
tools="$DIR/tools"
mkdir -p "$tools"
if [[ ! -x $tools/gen_init_cpio || $src/usr/gen_init_cpio.c -nt $tools/gen_init_cpio ]]; then
	cc -O2 -o "$tools/gen_init_cpio.tmp" "$src/usr/gen_init_cpio.c"
	mv "$tools/gen_init_cpio.tmp" "$tools/gen_init_cpio"
fi
stage="$DIR/initramfs.stage"
rm -rf "$stage"
mkdir -p "$stage"
printf 'root::0:0:root:/root:/bin/sh\n' >"$stage/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$stage/group"
printf 'kvmkit\n' >"$stage/hostname"
printf '%s\n' "PS1='\\h:\\w\\\$ '" 'export PS1' >"$stage/profile"
{
	echo "dir /dev 755 0 0"
	# The kernel opens /dev/console for init before init mounts devtmpfs.
	echo "nod /dev/console 600 0 0 c 5 1"
	for d in /proc /sys /mnt /etc /bin /sbin /usr /usr/bin /usr/sbin; do
		echo "dir $d 755 0 0"
	done
	echo "dir /tmp 1777 0 0"
	echo "dir /root 700 0 0"
	echo "file /init $here/init 755 0 0"
	echo "file /bin/busybox /bin/busybox 755 0 0"
	echo "file /etc/passwd $stage/passwd 644 0 0"
	echo "file /etc/group $stage/group 644 0 0"
	echo "file /etc/hostname $stage/hostname 644 0 0"
	echo "file /etc/profile $stage/profile 644 0 0"
	# Applet symlinks where busybox wants them (bin/, sbin/, usr/bin/, usr/sbin/).
	/bin/busybox --list-full | while IFS= read -r a; do
		case $a in
		*/*) ;;
		*) continue ;; # e.g. "linuxrc" in /
		esac
		[[ $a == bin/busybox ]] && continue
		echo "slink /$a /bin/busybox 777 0 0"
	done
} >"$stage/spec"
nlinks=$(grep -c '^slink' "$stage/spec" || true)
((nlinks > 100)) || die "busybox --list-full gave only $nlinks applets"
"$tools/gen_init_cpio" "$stage/spec" >"$DIR/initramfs.cpio.tmp"

# --- install results (atomically; key last) -----------------------------------
cp "$obj/arch/x86/boot/bzImage" "$DIR/bzImage.tmp"
cp "$obj/vmlinux" "$DIR/vmlinux.tmp"
cp "$obj/.config" "$DIR/config.tmp"
mv "$DIR/bzImage.tmp" "$DIR/bzImage"
mv "$DIR/vmlinux.tmp" "$DIR/vmlinux"
mv "$DIR/initramfs.cpio.tmp" "$DIR/initramfs.cpio"
mv "$DIR/config.tmp" "$DIR/config"
rm -rf "$stage"
echo "$key" >"$DIR/key.tmp"
mv "$DIR/key.tmp" "$DIR/key"

kver=$(cat "$obj/include/config/kernel.release" 2>/dev/null || echo '?')
say "Linux $kver: bzImage $(stat -c %s "$DIR/bzImage") B, vmlinux $(stat -c %s "$DIR/vmlinux") B, initramfs.cpio $(stat -c %s "$DIR/initramfs.cpio") B ($nlinks applet links)"
say "done in $(elapsed); cached in $DIR"
