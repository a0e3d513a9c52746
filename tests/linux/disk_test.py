#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-blk with the real guest: an ext4 image made on the host with
`mke2fs -d` is mounted in the guest, which checks a file, writes a new one,
syncs and reboots; the host then reads the new file out of the image with
debugfs and compares bytes. A second boot attaches the same image
read-only: the guest's write must fail.

With $KVMKIT_LINUX_BASE (meson sets it) neither run boots: both restore the
Linux tier's booted base (tests/linux/base.py) with this image in place of
its disk "rw" (/dev/vda), then of its read-only disk "ro" (/dev/vdb).

  disk_test.py --kvmkit PATH [--guest-dir DIR]"""
import argparse
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import base  # noqa: E402
PAYLOAD = "kvmkit-disk-test-payload-0123456789"


def run_guest(a, cmd, expects, extra):
    argv = [sys.executable, os.path.join(here, "run_linux.py"), "--kvmkit", a.kvmkit,
            "--cmd", cmd]
    if a.guest_dir:
        argv += ["--guest-dir", a.guest_dir]
    if base.base_dir():
        argv += ["--from-base"]
    for e in expects:
        argv += ["--expect", e]
    argv += ["--"] + extra
    return subprocess.call(argv)


def make_ext4_image(tmp):
    """tmp/disk.img: 16 MiB of ext4 made with mke2fs -d from a directory
    holding hello.txt ("hello from the host")."""
    root = os.path.join(tmp, "root")
    os.mkdir(root)
    with open(os.path.join(root, "hello.txt"), "w") as f:
        f.write("hello from the host\n")
    img = os.path.join(tmp, "disk.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", root, img, "16M"], check=True)
    print(f"image: {img} ({os.path.getsize(img)} bytes), made with mke2fs -d", flush=True)
    return img


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kvmkit-disk-") as tmp:
        img = make_ext4_image(tmp)
        if base.base_dir():
            # the base's disks, with this image swapped in (the kernel read
            # the old one's first blocks when it probed it: drop them)
            rw_dev, ro_dev = "/dev/vda", "/dev/vdb"
            rw_args = ["--set", "disk.rw.path=" + img]
            ro_args = ["--set", "disk.ro.path=" + img]
            prep = "echo 3 > /proc/sys/vm/drop_caches; "
            rw_serial = "rw"
        else:
            rw_dev = ro_dev = "/dev/vda"
            rw_args = ["--memory", "256M", "--disk", img]
            ro_args = ["--memory", "256M", "--disk", img + ",ro"]
            prep = ""
            rw_serial = "disk0"

        rc = run_guest(a,
                       f"{prep}cat /sys/block/vda/serial; echo; "
                       f"mount -t ext4 {rw_dev} /mnt && cat /mnt/hello.txt && "
                       f"echo {PAYLOAD} > /mnt/new.txt && sync && umount /mnt && echo disk-rw-ok",
                       ["^hello from the host$", "^disk-rw-ok$", f"^{rw_serial}$"],
                       rw_args)
        if rc != 0:
            return rc
        out = subprocess.run(["debugfs", "-R", "cat /new.txt", img], capture_output=True,
                             text=True).stdout
        if out.strip() != PAYLOAD:
            print(f"FAIL: /new.txt in the image holds {out!r}, expected {PAYLOAD!r}")
            return 1
        print("host: /new.txt in the image matches what the guest wrote")

        rc = run_guest(a,
                       f"{prep}mount -t ext4 -o ro {ro_dev} /mnt; cat /mnt/new.txt; "
                       "if echo x > /mnt/ro.txt; then echo write-succeeded; else echo write-failed; fi",
                       [f"^{PAYLOAD}$", "^write-failed$"],
                       ro_args)
        if rc != 0:
            return rc
        out = subprocess.run(["debugfs", "-R", "ls -l /", img], capture_output=True,
                             text=True).stdout
        if "ro.txt" in out:
            print("FAIL: a file appeared on the read-only disk")
            return 1
        print("host: the read-only boot left the image unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
