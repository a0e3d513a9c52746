#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGKILL after a guest flush: what was flushed must be in the image.

    durability.py --kvmkit BUILD/kvmkit --payload BUILD/firmware/virtio_blk.elf

Boots the virtio_blk payload with vblk.mode=durable: it writes sectors
16-23 ("KVMKIT-DURABLE-<n>"), sends a FLUSH, and prints FLUSHED once the
device answered it. The moment that line appears this script kills kvmkit
with SIGKILL, then opens the image afresh and checks the sectors.

What this proves, and what it does not:
- The data check proves the device completed the writes (they reached the
  host kernel) before it answered the flush: a device that buffered writes
  in the process, or answered before its pwritev, fails it.
- It does not prove durability against power loss: the host's page cache
  survives the death of the process, so the data would be there even if
  the flush never reached the disk. That is why, when strace is installed,
  kvmkit runs under `strace -f` and the script also checks that an
  fdatasync() of the image's file descriptor returned 0 before the first
  byte of FLUSHED was written to stdout. A device that acknowledges a flush
  without fdatasync, or before it returned, fails that check.
- A real power cut (a crash of the host kernel) is not simulated.
Exit status: 0 pass, 1 fail (meson's convention).
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from run_payload import make_disk_image

IMAGE_SIZE = 1 << 20
FIRST_SECTOR, SECTORS = 16, 8


def strace_children(pid):
    """The pids strace started (its direct children)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def unhex(s):
    """Decodes a string strace printed with -xx ("\\x41\\x42")."""
    return bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", s))


def joined_calls(trace):
    """The trace's system calls, one line each: a call another thread
    interrupted ("PID call(args <unfinished ...>" ... "PID <... call
    resumed>rest") is put together on the line where it returned."""
    pending = {}
    for line in trace.splitlines():
        m = re.match(r"(\d+)\s+(.*) <unfinished \.\.\.>$", line)
        if m:
            pending[m.group(1)] = m.group(2)
            continue
        m = re.match(r"(\d+)\s+<\.\.\. \w+ resumed>(.*)$", line)
        if m and m.group(1) in pending:
            line = f"{m.group(1)} {pending.pop(m.group(1))}{m.group(2)}"
        yield line


def check_trace(trace, image, errors):
    """fdatasync(fd of @image) returned 0 before FLUSHED reached stdout."""
    fds = set()
    synced_at = None
    out = []    # (line number, byte) of everything written to fd 1
    for n, line in enumerate(joined_calls(trace)):
        m = re.search(r'openat\(AT_FDCWD, "([^"]*)", O_RDWR[^)]*\)\s+= (\d+)', line)
        if m and os.path.realpath(unhex(m.group(1))) == os.path.realpath(image).encode():
            fds.add(int(m.group(2)))
        m = re.search(r'fdatasync\((\d+)\)\s+= 0', line)
        if m and int(m.group(1)) in fds and synced_at is None:
            synced_at = n
        m = re.search(r'write\(1, "((?:\\x[0-9a-f]{2})*)"', line)
        if m:
            out += [(n, b) for b in unhex(m.group(1))]
    text = bytes(b for _, b in out)
    at = text.find(b"FLUSHED")
    if not fds:
        errors.append("strace: the image was never opened read-write")
    elif synced_at is None:
        errors.append("strace: no successful fdatasync() of the image")
    elif at < 0:
        errors.append("strace: FLUSHED not seen in writes to stdout")
    elif synced_at >= out[at][0]:
        errors.append(f"strace: fdatasync returned (trace line {synced_at + 1}) after "
                      f"FLUSHED was written (line {out[at][0] + 1})")
    else:
        print(f"strace: fdatasync returned at trace line {synced_at + 1}, "
              f"FLUSHED written from line {out[at][0] + 1}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True)
    p.add_argument("--payload", required=True, help="virtio_blk.elf")
    p.add_argument("--timeout", type=float, default=45.0)
    a = p.parse_args(argv)
    strace = shutil.which("strace")
    errors = []
    with tempfile.TemporaryDirectory(prefix="kvmkit-durable-") as tmp:
        image = os.path.join(tmp, "disk.img")
        make_disk_image(image, IMAGE_SIZE, b"KVMKIT-BEFORE-")
        cmd = [a.kvmkit, "run", "--kernel", a.payload, "--memory", "64M",
               "--disk", image, "--append", "vblk.mode=durable"]
        trace_path = os.path.join(tmp, "strace.txt")
        if strace:
            cmd = [strace, "-f", "-qq", "-xx", "-o", trace_path,
                   "-e", "trace=openat,fdatasync,write"] + cmd
        else:
            print("strace not installed: the fdatasync check is skipped "
                  "(only the data check runs)")
        print("running:", shlex.join(cmd))
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        seen = []
        killed = False
        deadline = start + a.timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line.decode(errors="replace"))
            if line.strip() == b"FLUSHED":
                target = proc.pid
                if strace:
                    # never strace itself: killed, it would lose the end
                    # of its trace
                    kids = []
                    for _ in range(200):
                        kids = strace_children(proc.pid)
                        if kids:
                            break
                        time.sleep(0.01)
                    if not kids:
                        errors.append("kvmkit not found under strace")
                        break
                    target = kids[0]
                os.kill(target, signal.SIGKILL)
                killed = True
                print(f"FLUSHED after {time.monotonic() - start:.3f} s: "
                      f"SIGKILL to kvmkit (pid {target})")
                break
        if not killed:
            proc.kill()
            errors.append("no FLUSHED line (timed out or kvmkit exited)")
        _, err = proc.communicate(timeout=30)

        # A fresh open and read, after the process is gone.
        with open(image, "rb") as f:
            f.seek(FIRST_SECTOR * 512)
            data = f.read(SECTORS * 512)
        for s in range(SECTORS):
            want = f"KVMKIT-DURABLE-{FIRST_SECTOR + s}\n".encode()
            got = data[s * 512:s * 512 + len(want)]
            if got != want:
                errors.append(f"sector {FIRST_SECTOR + s}: {got!r}, expected {want!r}")
        if strace and killed:
            with open(trace_path) as f:
                check_trace(f.read(), image, errors)

    if not errors:
        print("durability: PASS")
        return 0
    print("durability: FAIL")
    for e in errors:
        print("  " + e)
    print("---- stdout ----\n" + "".join(seen))
    print("---- stderr ----\n" + err.decode(errors="replace"))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
