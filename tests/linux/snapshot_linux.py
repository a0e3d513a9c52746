#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshot and restore of the real Linux guest, across processes.

Starts the test guest with a virtio disk (ext4 from mke2fs -d), user
networking with a port forward and a control socket (restored from the
Linux tier's booted base when $KVMKIT_LINUX_BASE is set, else booted),
mounts the disk, takes a DHCP lease, starts a background counter in the
shell ("tick-N" every second), snapshots through `kvmkit ctl`, kills kvmkit
with SIGKILL, restores in a new process and checks what a user would:
  - the counter goes on from where it was (no restart, no gap);
  - eth0 still has its address and the port forward answers (a listener
    started in the guest after the restore, reached from the host);
  - the shell still answers;
  - a file written and synced after the restore is in the disk image
    (read on the host with debugfs after the VM is gone).
Prints commands, guest output with timestamps, and the restore time.

  snapshot_linux.py --kvmkit PATH [--guest-dir DIR]"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import base  # noqa: E402
from disk_test import make_ext4_image  # noqa: E402
from net_test import DHCP, free_port  # noqa: E402
from run_linux import default_guest_dir  # noqa: E402

Fail = base.Fail
Guest = base.Guest


def ctl(a, sock, *args):
    cmd = [a.kvmkit, "ctl", sock] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    print(f"$ {shlex.join(cmd)}\n  -> {r.stdout.strip()} {r.stderr.strip()}", flush=True)
    if r.returncode != 0:
        raise Fail(f"ctl {args[0]} failed")
    return r.stdout


def ticks(text):
    # a tick may land in the middle of the echo of a typed line
    return [int(n) for n in re.findall(r"tick-(\d+)$", text, re.M)]


def fetch(port, timeout=30):
    """What the guest's forwarded service at 127.0.0.1:@port sends, read
    until it closes or goes quiet."""
    import socket
    buf = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            while b"\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except socket.timeout:
            pass
    return buf.decode(errors="replace")


def run(a, tmp):
    kernel = os.path.join(a.guest_dir, "vmlinux")
    initrd = os.path.join(a.guest_dir, "initramfs.cpio")
    for f in (kernel, initrd):
        if not os.path.exists(f):
            print(f"SKIP: {f} missing; build it with: bash firmware/linux/build-guest.sh")
            return 77
    img = make_ext4_image(tmp)
    sock = os.path.join(tmp, "ctl.sock")
    snap = os.path.join(tmp, "linux.snap")
    port = free_port()
    fwd = f"tcp:127.0.0.1:{port}-:8080"
    print(f"host: 127.0.0.1:{port} forwarded to the guest's port 8080", flush=True)

    start = "mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt; " + DHCP
    base_snap = base.ensure(a.kvmkit, a.guest_dir) if base.base_dir() else None
    if base_snap:
        # the booted base with this disk and forward (tests/linux/base.py)
        g = Guest(base.restore_argv(a.kvmkit, base_snap,
                                    ["--set", "disk.rw.path=" + img,
                                     "--set", "net.net0.hostfwd=" + fwd, "--control", sock]),
                  os.path.join(tmp, "boot.out"))
        start = "echo 3 > /proc/sys/vm/drop_caches; " + start
    else:
        # The test guest kernel has no CONFIG_ACPI (firmware/linux/guest.config): it
        # finds its virtio devices through virtio_mmio.device=, which kvmkit adds with
        # [machine] acpi = off only.
        g = Guest([a.kvmkit, "run", "--kernel", kernel, "--initrd", initrd, "--acpi", "off",
                   "--append", "console=ttyS0 reboot=k panic=-1", "--memory", "256M",
                   "--disk", img, "--net", "user,hostfwd=" + fwd, "--control", sock],
                  os.path.join(tmp, "boot.out"))
    try:
        if not base_snap:
            g.wait(base.PROMPT, 900, "the shell prompt")
        g.type(start)
        g.wait(r"^lease=10\.0\.2\.15/", 300, "the DHCP lease")
        g.type("(i=0; while :; do echo tick-$i; i=$((i+1)); sleep 1; done) &")
        g.wait(r"tick-3$", 300, "the counter to reach 3")
        t0 = time.monotonic()
        ctl(a, sock, "snapshot", snap)
        print(f"snapshot: {time.monotonic() - t0:.2f} s wall", flush=True)
        g.wait(r"tick-%d$" % (max(ticks(g.text())) + 1), 120, "the counter to go on after the save")
    finally:
        g.kill()
    before = ticks(g.text())
    print(f"first VM killed with SIGKILL at tick-{before[-1]}", flush=True)

    r = Guest([a.kvmkit, "restore", snap], os.path.join(tmp, "restored.out"))
    try:
        r.wait(r"tick-\d+$", 600, "the first tick after the restore")
        first_tick_s = r.elapsed()
        after = ticks(r.text())
        print(f"restore: first tick-{after[0]} {first_tick_s:.2f} s after starting kvmkit restore",
              flush=True)
        if after[0] == 0 or after[0] - 1 not in before:
            raise Fail(f"the counter restarted: tick-{after[0]} after the restore, the first VM "
                       f"printed {before[0]}..{before[-1]}")
        r.wait(r"tick-%d$" % (after[0] + 2), 120, "two more ticks")
        # The user network after the restore: the guest kept its address
        # (slirp's state came back with the snapshot) and the forward from
        # the machine description listens again.
        # (each process the guest starts costs seconds of emulated kernel
        # time on PVM hosts: the host polls the forward instead)
        r.type("ifconfig eth0 | grep -o 'inet addr:[0-9.]*'; "
               "(echo fwd-answer-$((40+2)) | nc -l -p 8080; echo nc-done) &")
        r.wait(r"^inet addr:10\.0\.2\.15$", 300, "eth0 to still have 10.0.2.15")
        got, end = "", time.monotonic() + 300
        while "fwd-answer-42" not in got and time.monotonic() < end:
            try:
                got = fetch(port)
            except OSError as e:
                got = str(e)
            if "fwd-answer-42" not in got:
                time.sleep(2)   # slirp answered, but nothing listens in the guest yet
        r.show()
        print(f"host: 127.0.0.1:{port} answered {got!r}", flush=True)
        if "fwd-answer-42" not in got:
            raise Fail(f"the port forward after the restore answered {got!r}")
        r.wait(r"nc-done$", 300, "the guest's nc to finish")
        r.type("echo written-after-restore > /mnt/after.txt && sync && echo sync-done-$((40+2))")
        r.wait(r"^sync-done-42$", 300, "the sync after the restore")
        after = ticks(r.text())
        if after != list(range(after[0], after[0] + len(after))):
            raise Fail(f"ticks after the restore not consecutive: {after}")
    finally:
        r.kill()
    out = subprocess.run(["debugfs", "-R", "cat /after.txt", img], capture_output=True,
                         text=True).stdout
    if out.strip() != "written-after-restore":
        raise Fail(f"/after.txt in the image holds {out!r}")
    print("host: /after.txt written and synced after the restore is in the disk image", flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir", default=default_guest_dir())
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kvmkit-linux-snap-") as tmp:
        try:
            rc = run(a, tmp)
        except Fail as e:
            print(f"FAIL: {e}", flush=True)
            return 1
    if rc == 0:
        print("PASS", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
