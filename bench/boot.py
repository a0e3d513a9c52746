#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Linux boot time: kvmkit next to QEMU microvm, on the same kernel and
initramfs, in the same run.

  python3 bench/boot.py [--build build] [--runs 5] [--cpus 1] [--memory 256M]

For each kernel (the test guest's bzImage, firmware/linux/build-guest.sh,
and Debian's cloud kernel when tests/linux/stock_kernel.py --fetch has
cached it), boots the test initramfs with the command `true` and measures,
from just before the spawn: the first serial byte, init running the command
(the KVMKIT-CMD-BEGIN line the initramfs prints) and the VMM's exit after
the guest reboots. kvmkit and QEMU runs are interleaved; medians and the
ratio QEMU/kvmkit are printed with every command line.

Needs KVM. Where this machine has none, run it in the nested test host:
  tests/testhost/run python3 bench/boot.py --build build
(TCG slows the test host, so compare ratios from one run, not absolute
times with other hosts.) A boot not done in 60 s counts as failed ("-").
Measured there (1 run): the test guest's bzImage to init, kvmkit 1.68 s,
QEMU microvm 3.79 s (2.26x); Debian's cloud kernel, first serial byte
kvmkit 3.59 s, QEMU 5.16 s (1.44x), init kvmkit 8.0 s, QEMU not within
60 s."""
import argparse
import glob
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time

MARK = b"KVMKIT-CMD-BEGIN"


def cache():
    return os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


def boot(argv, timeout=60.0):
    """Returns (first byte, init, exit) in seconds after the spawn, None where not seen."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    first = init = None
    buf = b""
    os.set_blocking(p.stdout.fileno(), False)
    while p.poll() is None and time.monotonic() - t0 < timeout:
        try:
            chunk = p.stdout.read(65536)
        except BlockingIOError:
            chunk = None
        if chunk:
            now = time.monotonic() - t0
            first = first if first is not None else now
            buf = (buf + chunk)[-4096:]
            if init is None and MARK in buf:
                init = now
        else:
            time.sleep(0.002)
    if p.poll() is None:
        p.kill()
        p.wait()
        return first, init, None
    rest = p.stdout.read() or b""
    if init is None and MARK in buf + rest:
        init = time.monotonic() - t0
    return first, init, (time.monotonic() - t0) if p.returncode == 0 else None


def med(xs):
    xs = [x for x in xs if x is not None]
    return (statistics.median(xs), len(xs)) if xs else (None, 0)


def fmt(v):
    return f"{v[0] * 1000:8.0f} ms ({v[1]} ok)" if v[0] is not None else "       -       "


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cpus", default="1")
    ap.add_argument("--memory", default="256M")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    kvmkit = os.path.join(a.build, "kvmkit")
    guest = os.environ.get("KVMKIT_GUEST_DIR") or os.path.join(cache(), "kvmkit", "guest")
    initrd = os.path.join(guest, "initramfs.cpio")
    kernels = [("test guest bzImage", os.path.join(guest, "bzImage"))]
    stock = sorted(glob.glob(os.path.join(cache(), "kvmkit", "stock-kernel", "root", "boot",
                                          "vmlinuz-*")))
    if stock:
        kernels.append(("Debian cloud kernel", stock[-1]))
    for name, path in kernels + [("initramfs", initrd)]:
        if not os.path.exists(path):
            sys.exit(f"bench: {path} missing ({name}); run firmware/linux/build-guest.sh")
    qemu = shutil.which("qemu-system-x86_64")
    kvm_ok = os.access("/dev/kvm", os.R_OK | os.W_OK)
    if not kvm_ok:
        sys.exit("bench: no usable /dev/kvm here; run it in the nested test host: "
                 "tests/testhost/run python3 bench/boot.py --build " + a.build)
    print(f"# {a.runs} runs each, interleaved, {a.cpus} vCPU, {a.memory}; "
          f"times from spawn; medians")
    for name, kernel in kernels:
        append = "console=ttyS0 panic=-1 quiet"
        vmms = [("kvmkit", [kvmkit, "run", "--kernel", kernel, "--initrd", initrd,
                            "--memory", a.memory, "--cpus", a.cpus,
                            "--append", append + ' reboot=k -- "true"'])]
        if qemu:
            # microvm has no i8042: the guest reboots by triple fault, and
            # -no-reboot turns that into QEMU's exit.
            vmms.append(("qemu microvm", [qemu, "-M", "microvm", "-accel", "kvm", "-cpu", "host",
                                          "-smp", a.cpus, "-m", a.memory, "-nodefaults",
                                          "-no-user-config", "-display", "none", "-no-reboot",
                                          "-serial", "stdio", "-kernel", kernel, "-initrd", initrd,
                                          "-append", append + ' reboot=t -- "true"']))
        results = {v: [] for v, _ in vmms}
        for _ in range(a.runs):
            for v, argv in vmms:
                results[v].append(boot(argv))
        print(f"\n## {name}: {kernel}")
        for v, argv in vmms:
            print(f"$ {shlex.join(argv)}")
        print(f"{'vmm':14} {'first byte':>20} {'init runs':>20} {'exit':>20}")
        meds = {}
        for v, _ in vmms:
            r = results[v]
            meds[v] = [med([x[i] for x in r]) for i in range(3)]
            print(f"{v:14} " + " ".join(f"{fmt(m):>20}" for m in meds[v]))
        if "qemu microvm" in meds:
            ratio = []
            for i in range(3):
                k, q = meds["kvmkit"][i][0], meds["qemu microvm"][i][0]
                ratio.append(f"{q / k:.2f}x" if k and q else "-")
            print(f"{'qemu/kvmkit':14} " + " ".join(f"{r:>20}" for r in ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
