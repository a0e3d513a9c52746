#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots the test guest (firmware/linux) under kvmkit, runs one command in
it through the initramfs' /init ("-- command" on the kernel command line),
and checks what a user would see: the command's output and status, and
that kvmkit exits 0 after the guest reboots. Without --cmd, /init starts an
interactive shell on the console instead: --input lines are typed into
kvmkit's stdin once the output matches --input-after.

With --from-base and $KVMKIT_LINUX_BASE set, the guest is not booted: the
Linux tier's booted base (tests/linux/base.py) is restored with the extra
arguments (host-side keys such as disk.rw.path) and --cmd is typed into its
shell, between the same markers init prints, followed by a reboot.

Prints the exact kvmkit command, guest output as it arrives (with elapsed
seconds), and the total boot-to-exit time. Exit 77 = skipped."""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time

SKIP = 77


def default_guest_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.environ.get("KVMKIT_GUEST_DIR") or os.path.join(cache, "kvmkit", "guest")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir", default=default_guest_dir())
    ap.add_argument("--image", default="vmlinux", help="vmlinux or bzImage in the guest dir")
    ap.add_argument("--kernel", help="a kernel image elsewhere (overrides --image)")
    ap.add_argument("--cmd", help="shell command run by the guest's init")
    ap.add_argument("--input", action="append", default=[],
                    help="a line for kvmkit's stdin (repeatable)")
    ap.add_argument("--input-after", default=r"\w+:\S*# ",
                    help="regex of the output to wait for before typing --input")
    ap.add_argument("--expect", action="append", default=[], help="regex the output must match")
    ap.add_argument("--append", default="console=ttyS0 reboot=k panic=-1",
                    help="kernel options before the command")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--from-base", action="store_true",
                    help="restore the booted base instead of booting (if $KVMKIT_LINUX_BASE)")
    ap.add_argument("kvmkit_args", nargs="*", help="extra arguments for kvmkit run")
    a = ap.parse_args()

    kernel = a.kernel or os.path.join(a.guest_dir, a.image)
    initrd = os.path.join(a.guest_dir, "initramfs.cpio")
    for f in (kernel, initrd):
        if not os.path.exists(f):
            print(f"SKIP: {f} missing; build it with: bash firmware/linux/build-guest.sh")
            return SKIP

    snap = None
    if a.from_base:
        import base
        try:
            snap = base.ensure(a.kvmkit, a.guest_dir)
        except base.Fail as e:
            print(f"FAIL: making the booted base: {e}")
            return 1
    if snap:
        argv = base.restore_argv(a.kvmkit, snap, a.kvmkit_args)
        a.input = ([base.command_line(a.cmd)] if a.cmd else []) + a.input
        a.input_after = ""      # the prompt was printed before the save
    else:
        # The kernel's parser keeps a double-quoted argument whole.
        cmdline = f'{a.append} -- "{a.cmd}"' if a.cmd else a.append
        # The test guest kernel has no CONFIG_ACPI (firmware/linux/guest.config):
        # it finds its virtio devices through virtio_mmio.device=, which kvmkit
        # adds with [machine] acpi = off only. Another --kernel gets ACPI.
        test_kernel = [] if a.kernel else ["--acpi", "off"]
        argv = [a.kvmkit, "run", "--kernel", kernel, "--initrd", initrd,
                "--append", cmdline] + test_kernel + a.kvmkit_args
    print("command:", shlex.join(argv), flush=True)

    start = time.monotonic()
    typed = "".join(line + "\n" for line in a.input).encode()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if typed else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if typed and not a.input_after:
        print(f"[{time.monotonic() - start:7.1f}s] (typing {typed!r})", flush=True)
        p.stdin.write(typed)
        p.stdin.flush()
        typed = b""
    out = bytearray()
    line = bytearray()
    timed_out = False
    os.set_blocking(p.stdout.fileno(), False)
    while True:
        if time.monotonic() - start > a.timeout:
            timed_out = True
            p.kill()
            break
        try:
            chunk = p.stdout.read(4096)
        except BlockingIOError:
            chunk = None
        if chunk:
            out += chunk
            if typed and re.search(a.input_after, out.decode(errors="replace")):
                print(f"[{time.monotonic() - start:7.1f}s] (typing {typed!r})", flush=True)
                p.stdin.write(typed)
                p.stdin.flush()
                typed = b""
            for b in chunk:
                if b == 10:
                    text = line.decode(errors="replace").rstrip("\r")
                    print(f"[{time.monotonic() - start:7.1f}s] {text}", flush=True)
                    line.clear()
                else:
                    line.append(b)
            continue
        if chunk == b"" or p.poll() is not None:
            rest = p.stdout.read() or b""
            out += rest
            if line or rest:
                print(f"[{time.monotonic() - start:7.1f}s] {(line + rest).decode(errors='replace')}")
            break
        time.sleep(0.05)
    rc = p.wait()
    elapsed = time.monotonic() - start
    text = out.decode(errors="replace").replace("\r", "")
    print(f"elapsed: {elapsed:.1f} s (kvmkit exit status {rc})")

    failures = []
    if timed_out:
        failures.append(f"timed out after {a.timeout:.0f} s")
    elif rc != 0:
        failures.append(f"kvmkit exited {rc}, expected 0")
    m = re.search(r"KVMKIT-CMD-END rc=(\d+)", text)
    if not a.cmd:
        if typed:
            failures.append(f"the output never matched {a.input_after!r}: nothing typed")
    elif not m:
        failures.append("the guest never finished the command (no KVMKIT-CMD-END)")
    elif m.group(1) != "0":
        failures.append(f"the command failed in the guest (rc={m.group(1)})")
    for rx in a.expect:
        if not re.search(rx, text, re.M):
            failures.append(f"output does not match {rx!r}")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
