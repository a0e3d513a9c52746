#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshot and restore of the real Linux guest, across processes.

Boots the test guest with a virtio disk (ext4 from mke2fs -d) and a
control socket, mounts the disk, starts a background counter in the shell
("tick-N" every second), snapshots through `kvmkit ctl`, kills kvmkit with
SIGKILL, restores in a new process and checks what a user would:
  - the counter goes on from where it was (no restart, no gap);
  - the shell still answers;
  - a file written and synced after the restore is in the disk image
    (read on the host with debugfs after the VM is gone).
Prints commands, guest output with timestamps, and the restore time.

  snapshot_linux.py --kvmkit PATH [--guest-dir DIR]"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from disk_test import make_ext4_image  # noqa: E402
from run_linux import default_guest_dir  # noqa: E402

PROMPT = re.compile(r"\w+:[^#\n]*# ")


class Fail(Exception):
    pass


class Guest:
    """A kvmkit process with its serial console on a pipe and a file."""

    def __init__(self, argv, out_path):
        self.out_path = out_path
        self.argv = argv + ["--serial-output", "file:" + out_path]
        print("command:", shlex.join(self.argv), flush=True)
        self.start = time.monotonic()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=open(out_path + ".err", "w"))
        self.shown = 0

    def text(self):
        try:
            with open(self.out_path, "r", errors="replace") as f:
                return f.read().replace("\r", "")
        except FileNotFoundError:
            return ""

    def show(self):
        t = self.text()
        for line in t[self.shown:].splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            print(f"[{time.monotonic() - self.start:7.1f}s] {line.rstrip()}", flush=True)
            self.shown += len(line)
        return t

    def wait(self, regex, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            t = self.show()
            m = re.search(regex, t, re.M)
            if m:
                return m
            if self.p.poll() is not None:
                raise Fail(f"kvmkit exited ({self.p.returncode}) while waiting for {what}: "
                           f"{open(self.out_path + '.err').read()}")
            time.sleep(0.2)
        raise Fail(f"timed out after {timeout} s waiting for {what}")

    def type(self, line):
        print(f"[{time.monotonic() - self.start:7.1f}s] (typing {line!r})", flush=True)
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait()


def ctl(a, sock, *args):
    cmd = [a.kvmkit, "ctl", sock] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    print(f"$ {shlex.join(cmd)}\n  -> {r.stdout.strip()} {r.stderr.strip()}", flush=True)
    if r.returncode != 0:
        raise Fail(f"ctl {args[0]} failed")
    return r.stdout


def ticks(text):
    return [int(n) for n in re.findall(r"^tick-(\d+)$", text, re.M)]


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

    g = Guest([a.kvmkit, "run", "--kernel", kernel, "--initrd", initrd,
               "--append", "console=ttyS0 reboot=k panic=-1", "--memory", "256M",
               "--disk", img, "--control", sock], os.path.join(tmp, "boot.out"))
    try:
        g.wait(PROMPT.pattern, 900, "the shell prompt")
        g.type("mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt; "
               "(i=0; while :; do echo tick-$i; i=$((i+1)); sleep 1; done) &")
        g.wait(r"^tick-3$", 300, "the counter to reach 3")
        t0 = time.monotonic()
        reply = ctl(a, sock, "snapshot", snap)
        print(f"snapshot: {time.monotonic() - t0:.2f} s wall", flush=True)
        g.wait(r"^tick-%d$" % (max(ticks(g.text())) + 1), 120, "the counter to go on after the save")
    finally:
        g.kill()
    before = ticks(g.text())
    print(f"first VM killed with SIGKILL at tick-{before[-1]}", flush=True)
    del reply

    r = Guest([a.kvmkit, "restore", snap], os.path.join(tmp, "restored.out"))
    try:
        m = r.wait(r"^tick-\d+$", 600, "the first tick after the restore")
        first_tick_s = time.monotonic() - r.start
        after = ticks(r.text())
        print(f"restore: first tick-{after[0]} {first_tick_s:.2f} s after starting kvmkit restore",
              flush=True)
        if after[0] == 0 or after[0] - 1 not in before:
            raise Fail(f"the counter restarted: tick-{after[0]} after the restore, the first VM "
                       f"printed {before[0]}..{before[-1]}")
        r.wait(r"^tick-%d$" % (after[0] + 2), 120, "two more ticks")
        r.type("echo written-after-restore > /mnt/after.txt && sync && echo sync-done-$((40+2))")
        r.wait(r"^sync-done-42$", 300, "the sync after the restore")
        after = ticks(r.text())
        if after != list(range(after[0], after[0] + len(after))):
            raise Fail(f"ticks after the restore not consecutive: {after}")
    finally:
        r.kill()
    del m
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
