#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Linux tier's booted base: the test guest booted once per test run,
at its shell prompt, saved as a snapshot that later Linux tests restore
instead of booting (a boot is ~3 minutes on PVM hosts, a restore well
under a second).

The base machine: 1 vCPU, 256 MiB, the serial console's shell, a control
socket, two 16 MiB disks ("rw" = /dev/vda, and "ro" = /dev/vdb offered
read-only) and two user-network NICs, neither configured in the guest:
"net0" = eth0 (defaults) and "net1" = eth1 (restrict = on, mtu = 65520,
for the port-forward test).
A test restores it with its own disk images and port forwards
(`--set disk.rw.path=IMG`, `--set net.net0.hostfwd=...`, host-side keys a
restore may change) and types commands into the shell. The disks were
never mounted in the base, but the kernel read their first blocks while
probing them: a test that swaps in another image drops the page cache
first (`echo 3 > /proc/sys/vm/drop_caches`), as after swapping any disk
under a running system.

The base lives in $KVMKIT_LINUX_BASE (meson sets it to the build dir's
linux-base/) and is rebuilt when kvmkit, the kernel, the initramfs or this
file change; a lock file serialises its creation. Without the variable
the tests boot as before.

  base.py --kvmkit PATH [--guest-dir DIR] [--dir DIR]   makes it (or says it is there)"""
import argparse
import fcntl
import hashlib
import os
import re
import shlex
import signal
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from run_linux import default_guest_dir  # noqa: E402

PROMPT = r"\w+:[^#\n]*# "
DISK_SIZE = 16 << 20


class Fail(Exception):
    pass


class Guest:
    """A kvmkit process with its serial console on a pipe (input) and a file
    (output), shown with elapsed seconds as it arrives."""

    def __init__(self, argv, out_path, env=None):
        self.out_path = out_path
        if os.path.exists(out_path):
            os.unlink(out_path)     # never read an earlier run's output
        self.argv = argv + ["--serial-output", "file:" + out_path]
        print("command:", shlex.join(self.argv), flush=True)
        self.start = time.monotonic()
        self.p = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=open(out_path + ".err", "w"),
                                  env=dict(os.environ, **(env or {})))
        self.shown = 0

    def elapsed(self):
        return time.monotonic() - self.start

    def text(self):
        try:
            with open(self.out_path, "r", errors="replace") as f:
                return f.read().replace("\r", "")
        except FileNotFoundError:
            return ""

    def stderr(self):
        with open(self.out_path + ".err", errors="replace") as f:
            return f.read()

    def show(self):
        t = self.text()
        for line in t[self.shown:].splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            print(f"[{self.elapsed():7.1f}s] {line.rstrip()}", flush=True)
            self.shown += len(line)
        return t

    def wait(self, regex, timeout, what, since=0):
        """The first match of @regex in the output from offset @since."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            t = self.show()
            m = re.compile(regex, re.M).search(t, since)
            if m:
                return m
            if self.p.poll() is not None:
                self.show()
                raise Fail(f"kvmkit exited ({self.p.returncode}) while waiting for {what}: "
                           f"{self.stderr().strip()}")
            time.sleep(0.2)
        raise Fail(f"timed out after {timeout:.0f} s waiting for {what}")

    def type(self, line):
        print(f"[{self.elapsed():7.1f}s] (typing {line!r})", flush=True)
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def wait_exit(self, timeout):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail(f"kvmkit still running after {timeout:.0f} s")
        self.show()
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
        self.p.wait()


def base_dir():
    """$KVMKIT_LINUX_BASE, or None: the tests then boot."""
    return os.environ.get("KVMKIT_LINUX_BASE") or None


def _key(kvmkit, kernel, initrd):
    h = hashlib.sha256()
    for f in (os.path.realpath(kvmkit), kernel, initrd, os.path.abspath(__file__)):
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _create(kvmkit, kernel, initrd, d):
    for name in os.listdir(d):
        if name != ".lock":
            os.unlink(os.path.join(d, name))
    for name in ("rw.img", "ro.img"):
        with open(os.path.join(d, name), "wb") as f:
            f.truncate(DISK_SIZE)
    # The socket lives in TMPDIR: the build directory may be on a file
    # system that cannot hold one (9p, in the nested test host).
    sockdir = tempfile.mkdtemp(prefix="kvmkit-base-")
    sock = os.path.join(sockdir, "ctl.sock")
    snap = os.path.join(d, "base.snap")
    # The test guest kernel has no CONFIG_ACPI (firmware/linux/guest.config): it
    # finds its virtio devices through virtio_mmio.device=, which kvmkit adds with
    # [machine] acpi = off only.
    g = Guest([kvmkit, "run", "--kernel", kernel, "--initrd", initrd, "--acpi", "off",
               "--append", "console=ttyS0 reboot=k panic=-1", "--memory", "256M",
               "--set", "disk.rw.path=" + os.path.join(d, "rw.img"),
               "--set", "disk.ro.path=" + os.path.join(d, "ro.img"),
               "--set", "disk.ro.readonly=true",
               "--set", "net.net0.backend=user",
               "--set", "net.net1.restrict=on", "--set", "net.net1.mtu=65520",
               "--control", sock], os.path.join(d, "boot.out"))
    try:
        g.wait(PROMPT, 900, "the shell prompt")
        # the kernel is done with its start-up output and idle at the prompt
        g.type("for d in vda vdb; do echo disk $d $(cat /sys/block/$d/serial) "
               "$(cat /sys/block/$d/ro); done; echo base-ready-$((6*7))")
        g.wait(r"^base-ready-42$", 300, "the shell to answer")
        t = g.text()
        if not re.search(r"^disk vda rw 0\ndisk vdb ro 1$", t, re.M):
            raise Fail("the base's disks are not vda = rw, vdb = ro (read-only)")
        t0 = time.monotonic()
        cmd = [kvmkit, "ctl", sock, "snapshot", snap]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        print(f"$ {shlex.join(cmd)}\n  -> {r.stdout.strip()} {r.stderr.strip()}", flush=True)
        if r.returncode != 0:
            raise Fail("the base snapshot failed")
        print(f"base: booted to the prompt in {t0 - g.start:.1f} s, saved in "
              f"{time.monotonic() - t0:.2f} s", flush=True)
    finally:
        g.kill()
        shutil.rmtree(sockdir, ignore_errors=True)
    return snap


def ensure(kvmkit, guest_dir=None, d=None):
    """The base snapshot's path, made first if missing or stale. None when
    there is no base directory (the caller boots instead)."""
    d = d or base_dir()
    if not d:
        return None
    guest_dir = guest_dir or default_guest_dir()
    kernel = os.path.join(guest_dir, "vmlinux")
    initrd = os.path.join(guest_dir, "initramfs.cpio")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = _key(kvmkit, kernel, initrd)
        stamp = os.path.join(d, "key")
        snap = os.path.join(d, "base.snap")
        try:
            with open(stamp) as f:
                if f.read().strip() == key and os.path.exists(snap):
                    print(f"base: reusing {snap}", flush=True)
                    return snap
        except FileNotFoundError:
            pass
        if os.path.exists(stamp):
            os.unlink(stamp)
        print(f"base: booting the test guest once to make {snap} (minutes on PVM hosts)",
              flush=True)
        _create(kvmkit, kernel, initrd, d)
        with open(stamp, "w") as f:
            f.write(key + "\n")
        return snap


def restore_argv(kvmkit, snap, extra=()):
    return [kvmkit, "restore", snap] + list(extra)


def command_line(cmd):
    """What init's command mode runs (firmware/linux/init), as one line to
    type into the restored shell: the command between the BEGIN/END
    markers, then sync and reboot (kvmkit exits 0)."""
    return (f"echo KVMKIT-CMD-BEGIN; sh -c {shlex.quote(cmd)}; echo \"KVMKIT-CMD-END rc=$?\"; "
            "sync; reboot -f")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir", default=default_guest_dir())
    ap.add_argument("--dir", default=base_dir())
    a = ap.parse_args()
    if not a.dir:
        print("no base directory: give --dir or set KVMKIT_LINUX_BASE")
        return 2
    try:
        print(ensure(a.kvmkit, a.guest_dir, a.dir))
    except Fail as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
