#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshot and restore of a running payload, across processes.

    snapshot_test.py --kvmkit BUILD/kvmkit --payload smp.elf [--cpus N] CASE

Runs the smp payload in counter mode (every CPU prints "KVMKIT-COUNT cpu=C
n=K" forever) with a control socket, and then, per CASE:

  paused   pause, snapshot, SIGKILL; restore in a new process. The serial
           output of both processes put together must hold, for every CPU,
           n = 0, 1, 2, ... with no gap and no repeat: the restored VM
           carried on exactly where the first one stopped.
  running  snapshot while running, SIGKILL, restore: every CPU's first
           count after the restore follows a count the first process had
           already printed (no restart from 0), and counts keep rising.
  resave   pause, snapshot, SIGKILL; restore --paused (the guest must not
           run), snapshot again: the memory files are byte-identical (the
           save of a restored guest, whose RAM maps the old file); restore
           that and the counts go on without a gap.
  disk     with a disk, under strace -f (skipped without strace): the
           image is fdatasync()ed before the snapshot's state file is
           renamed into place, so a restore after a host crash finds on the
           image what the saved RAM may have cached unflushed.
  refuse   damaged snapshots are refused with exit 2 and a reason, and the
           VM does not start: a flipped byte (checksum), a truncated state
           file, with --verify a flipped bit in the memory file and a byte
           written into one of its holes, a memory file of the wrong size,
           a disk image whose size changed, a missing file; and a failed
           save (directory not writable) leaves the previous snapshot
           intact and the VM running.

Prints the commands and timings. Exit 0 pass, 1 fail.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

COUNT_RE = re.compile(r"KVMKIT-COUNT cpu=(\d+) n=(\d+)")


class Fail(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def counts(text):
    """{cpu: [n, ...]} in output order."""
    out = {}
    for m in COUNT_RE.finditer(text):
        out.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    return out


def read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise Fail(f"timed out after {timeout} s waiting for {what}")


class Kvmkit:
    def __init__(self, a, tmp, name, args, serial_input=False, wrap=()):
        self.out = os.path.join(tmp, name + ".out")
        self.err = os.path.join(tmp, name + ".err")
        self.cmd = list(wrap) + [a.kvmkit] + args + ["--serial-output", "file:" + self.out]
        if not serial_input:
            self.cmd += ["--set", "serial.input=none"]
        log("$ " + " ".join(self.cmd))
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(self.err, "w"))

    def text(self):
        return read(self.out)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stderr(self):
        return read(self.err)


def ctl(a, sock, *args, ok=True):
    cmd = [a.kvmkit, "ctl", sock] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    log(f"$ {' '.join(cmd)}\n  -> rc={r.returncode} {r.stdout.strip()} {r.stderr.strip()}")
    if ok and (r.returncode != 0 or '"ok":true' not in r.stdout):
        raise Fail(f"ctl {args[0]} failed: {r.stdout} {r.stderr}")
    return r


def boot(a, tmp, name="first", extra=(), kernel=None, wrap=()):
    sock = os.path.join(tmp, "ctl.sock")
    vm = Kvmkit(a, tmp, name, ["run", "--kernel", kernel or a.payload, "--append", "counter",
                               "--cpus", str(a.cpus), "--memory", "64M",
                               "--control", sock] + list(extra), wrap=wrap)
    # Every CPU has printed a few counts.
    wait_for(lambda: all(len(counts(vm.text()).get(c, [])) >= 3 for c in range(a.cpus)),
             60, f"{a.cpus} CPU(s) counting")
    return vm, sock


def check_sequence(text):
    per_cpu = counts(text)
    for cpu, ns in sorted(per_cpu.items()):
        if ns != list(range(len(ns))):
            bad = next(i for i, n in enumerate(ns) if n != i)
            raise Fail(f"cpu {cpu}: counts {ns[max(0, bad - 3):bad + 3]} around position "
                       f"{bad}: not consecutive")
    return per_cpu


def case_paused(a, tmp):
    # Booted from a copy that is gone by the restore: a restore does not
    # read the kernel again (it is in the memory file).
    kernel = os.path.join(tmp, "kernel.elf")
    shutil.copyfile(a.payload, kernel)
    vm, sock = boot(a, tmp, kernel=kernel)
    ctl(a, sock, "pause")
    before = vm.text()
    snap = os.path.join(tmp, "snap")
    ctl(a, sock, "snapshot", snap)
    time.sleep(0.3)
    if vm.text() != before:
        raise Fail("the guest printed while paused")
    vm.kill()
    os.remove(kernel)
    log(f"first run: {({c: ns[-1] for c, ns in counts(before).items()})} (last counts); "
        f"removed {kernel}")
    t0 = time.monotonic()
    # --verify: the whole memory file matches the checksums of the save.
    rv = Kvmkit(a, tmp, "restored", ["restore", snap, "--verify"])
    last = {c: ns[-1] for c, ns in counts(before).items()}
    wait_for(lambda: all(counts(rv.text()).get(c, [-1])[-1] >= last[c] + 3 for c in last),
             60, "the restored VM to count on")
    log(f"restored and counted 3 more on every CPU in {time.monotonic() - t0:.2f} s")
    rv.kill()
    per_cpu = check_sequence(before + rv.text())
    log(f"combined output consecutive: {({c: len(ns) for c, ns in per_cpu.items()})} counts")


def case_running(a, tmp):
    # With a virtio console, whose input and the serial port's both default
    # to stdin: the restore below leaves both to their defaults, as a user
    # would, and the console takes stdin.
    vm, sock = boot(a, tmp, extra=("--console", "virtio", "--console-output", "none"))
    snap = os.path.join(tmp, "snap")
    ctl(a, sock, "snapshot", snap)
    r = ctl(a, sock, "status")
    if '"state":"running"' not in r.stdout:
        raise Fail("the VM is not running after the snapshot")
    n_after = counts(vm.text())
    wait_for(lambda: all(len(counts(vm.text())[c]) > len(n_after[c]) for c in n_after),
             30, "the first VM to go on counting after the snapshot")
    vm.kill()
    first = counts(vm.text())
    rv = Kvmkit(a, tmp, "restored", ["restore", snap], serial_input=True)
    wait_for(lambda: all(len(counts(rv.text()).get(c, [])) >= 3 for c in first),
             60, "the restored VM to count")
    rv.kill()
    for cpu, ns in counts(rv.text()).items():
        if ns != list(range(ns[0], ns[0] + len(ns))):
            raise Fail(f"cpu {cpu}: restored counts not consecutive: {ns[:10]}")
        if ns[0] == 0 or ns[0] - 1 not in first[cpu]:
            raise Fail(f"cpu {cpu}: restored VM started at n={ns[0]}, the first run "
                       f"printed {first[cpu][0]}..{first[cpu][-1]}")
        log(f"cpu {cpu}: restored from n={ns[0]} (first run reached {first[cpu][-1]})")


class NoStrace(Exception):
    pass


def case_disk(a, tmp):
    strace = shutil.which("strace")
    if not strace:
        raise NoStrace("strace is not installed (apt-get install strace)")
    if subprocess.run([strace, "-o", "/dev/null", "true"], capture_output=True).returncode:
        raise NoStrace("strace cannot trace here (ptrace not allowed)")
    img = os.path.join(tmp, "disk.img")
    with open(img, "wb") as f:
        f.truncate(1 << 20)
    trace = os.path.join(tmp, "strace.log")
    vm, sock = boot(a, tmp, extra=("--disk", img),
                    wrap=(strace, "-f", "-e", "trace=openat,fdatasync,rename", "-o", trace))
    snap = os.path.join(tmp, "snap")
    ctl(a, sock, "snapshot", snap)
    vm.kill()
    fds, synced, renamed = set(), None, None
    for n, line in enumerate(read(trace).splitlines()):
        m = re.search(r'openat\(AT_FDCWD, "([^"]*)", O_RDWR[^)]*\) = (\d+)', line)
        if m and m.group(1) == img:
            fds.add(m.group(2))
        m = re.search(r"fdatasync\((\d+)\) += 0", line)
        if m and m.group(1) in fds and renamed is None:
            synced = n
        if re.search(r'rename\("[^"]*snap\.tmp", "[^"]*snap"\) += 0', line):
            renamed = n
    if not fds:
        raise Fail("strace: the image was never opened read-write")
    if renamed is None:
        raise Fail("strace: the state file was never renamed into place")
    if synced is None:
        raise Fail("strace: no fdatasync() of the image before the state file's rename")
    log(f"strace: image fdatasync()ed at line {synced + 1}, state file renamed at "
        f"line {renamed + 1}")


def mem_file(snap):
    d, base = os.path.split(snap)
    mems = [f for f in os.listdir(d) if f.startswith(base + ".") and f.endswith(".mem")]
    if len(mems) != 1:
        raise Fail(f"expected one memory file for {snap}, found {mems}")
    return os.path.join(d, mems[0])


def case_resave(a, tmp):
    vm, sock = boot(a, tmp)
    ctl(a, sock, "pause")
    before = vm.text()
    os.mkdir(os.path.join(tmp, "s1"))
    os.mkdir(os.path.join(tmp, "s2"))
    snap1, snap2 = os.path.join(tmp, "s1", "snap"), os.path.join(tmp, "s2", "snap")
    ctl(a, sock, "snapshot", snap1)
    vm.kill()
    # Restored paused, the guest runs no instruction: saved again, its
    # memory (now a private mapping of snap1's memory file, partly holes)
    # must come out byte for byte the same.
    sock2 = os.path.join(tmp, "ctl2.sock")
    rv = Kvmkit(a, tmp, "restored-paused", ["restore", snap1, "--paused", "--control", sock2])
    wait_for(lambda: os.path.exists(sock2), 30, "the restored VM's control socket")
    if '"state":"paused"' not in ctl(a, sock2, "status").stdout:
        raise Fail("restore --paused: the VM is not paused")
    time.sleep(0.3)
    if rv.text():
        raise Fail(f"restore --paused: the guest printed {rv.text()[:80]!r}")
    ctl(a, sock2, "snapshot", snap2)
    rv.kill()
    m1, m2 = mem_file(snap1), mem_file(snap2)
    with open(m1, "rb") as f1, open(m2, "rb") as f2:
        if f1.read() != f2.read():
            raise Fail(f"{m2} differs from {m1}")
    log(f"saved again from the restored VM: memory file identical "
        f"({os.stat(m2).st_blocks * 512} bytes allocated of {os.path.getsize(m2)})")
    # The checksums of a save from a restored guest (RAM mapping the old
    # file, partly holes) match too.
    rv2 = Kvmkit(a, tmp, "restored", ["restore", snap2, "--verify"])
    last = {c: ns[-1] for c, ns in counts(before).items()}
    wait_for(lambda: all(counts(rv2.text()).get(c, [-1])[-1] >= last[c] + 3 for c in last),
             60, "the VM restored from the second snapshot to count on")
    rv2.kill()
    check_sequence(before + rv2.text())


def expect_refused(a, tmp, snap, why_re, what, extra=()):
    cmd = [a.kvmkit, "restore", snap, "--serial-output", "none", "--set",
           "serial.input=none"] + list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    log(f"$ {' '.join(cmd)}  # {what}\n  -> rc={r.returncode} {r.stderr.strip()}")
    if r.returncode != 2 or not re.search(why_re, r.stderr):
        raise Fail(f"{what}: expected exit 2 and /{why_re}/, got {r.returncode}: {r.stderr}")


def case_refuse(a, tmp):
    disk = os.path.join(tmp, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    vm, sock = boot(a, tmp, extra=["--disk", disk])
    snapdir = os.path.join(tmp, "snaps")
    os.mkdir(snapdir)
    snap = os.path.join(snapdir, "snap")
    ctl(a, sock, "snapshot", snap)
    good = open(snap, "rb").read()
    mems = [f for f in os.listdir(snapdir) if f.endswith(".mem")]
    if len(mems) != 1:
        raise Fail(f"expected one memory file, found {mems}")
    # A failed save leaves the previous snapshot alone and the VM running.
    os.chmod(snapdir, 0o500)
    try:
        if os.geteuid() == 0:
            log("(root: a read-only directory does not stop root; using a path under a file)")
            r = ctl(a, sock, "snapshot", os.path.join(snap, "sub"), ok=False)
        else:
            r = ctl(a, sock, "snapshot", snap, ok=False)
    finally:
        os.chmod(snapdir, 0o700)
    if r.returncode == 0 or '"error"' not in r.stdout:
        raise Fail("a save that cannot succeed reported success")
    if open(snap, "rb").read() != good or sorted(os.listdir(snapdir)) != sorted(["snap"] + mems):
        raise Fail(f"the failed save touched the previous snapshot: {os.listdir(snapdir)}")
    if '"state":"running"' not in ctl(a, sock, "status").stdout:
        raise Fail("the VM is not running after a failed save")
    # Saving again over the same path replaces the memory file.
    ctl(a, sock, "snapshot", snap)
    mems2 = [f for f in os.listdir(snapdir) if f.endswith(".mem")]
    if len(mems2) != 1 or mems2 == mems:
        raise Fail(f"second save: memory files {mems2} (before {mems})")
    vm.kill()
    good = open(snap, "rb").read()
    mem = os.path.join(snapdir, mems2[0])

    def variant(name, data):
        p = os.path.join(tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        shutil.copy(mem, os.path.join(tmp, mems2[0]))
        return p

    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x40
    expect_refused(a, tmp, variant("flipped", bytes(flipped)), "checksum mismatch|not a valid",
                   "one flipped byte")
    expect_refused(a, tmp, variant("truncated", good[:len(good) // 3]), "not a valid device tree",
                   "truncated state file")
    expect_refused(a, tmp, variant("empty", b""), "not a valid device tree", "empty state file")
    expect_refused(a, tmp, variant("garbage", b"hello" * 100), "not a valid device tree",
                   "not a snapshot")
    expect_refused(a, tmp, os.path.join(tmp, "nonexistent"), "(?i)no such file", "missing file")
    # The memory file's checksums, read by --verify only: one flipped bit
    # in the guest's data, then one byte written into a hole.
    with open(mem, "r+b") as f:
        data_at = os.lseek(f.fileno(), 0, os.SEEK_DATA) + 100
        f.seek(data_at)
        byte = f.read(1)
        f.seek(data_at)
        f.write(bytes([byte[0] ^ 0x01]))
    block = data_at // (2 << 20) * (2 << 20)
    expect_refused(a, tmp, snap, f"is damaged: the 2048 KiB at offset {block:#x} do not match",
                   "a flipped bit in the memory file, --verify", ["--verify"])
    with open(mem, "r+b") as f:
        f.seek(data_at)
        f.write(byte)
        # The last page: the payload never touches the top of its 64 MiB.
        hole_at = os.path.getsize(mem) - 4096
        try:
            os.lseek(f.fileno(), hole_at, os.SEEK_DATA)
            raise Fail(f"{mem}: no hole at {hole_at:#x}")
        except OSError:
            pass
        f.seek(hole_at)
        f.write(b"x")
    block = hole_at // (2 << 20) * (2 << 20)
    expect_refused(a, tmp, snap, f"is damaged: the 2048 KiB at offset {block:#x} do not match",
                   "a byte written into a hole of the memory file, --verify", ["--verify"])
    with open(mem, "r+b") as f:
        f.seek(hole_at)
        f.write(b"\0")
    with open(mem, "r+b") as f:
        f.truncate(os.path.getsize(mem) - 4096)
    expect_refused(a, tmp, snap, "memory file .* bytes, the snapshot needs", "short memory file")
    with open(mem, "r+b") as f:
        f.truncate(64 << 20)
    with open(disk, "r+b") as f:
        f.truncate(2 << 20)
    expect_refused(a, tmp, snap, "disk image is now 2097152 bytes, it was 1048576",
                   "disk image changed size")
    os.unlink(disk)
    expect_refused(a, tmp, snap, "(?i)disk.*no such file", "disk image gone")


def run_in_tmp(prefix, body, what, skip=()):
    """Runs body(tmp) in a new temporary directory, kills whatever still
    runs from it and removes it; prints PASS, FAIL (with the .err files)
    or SKIP (for the exception types in skip) and returns the exit status."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    t0 = time.monotonic()
    try:
        body(tmp)
    except skip as e:
        log(f"SKIP: {e}")
        return 77
    except Fail as e:
        log(f"FAIL: {e}")
        for f in sorted(os.listdir(tmp)):
            if f.endswith(".err"):
                log(f"--- {f}\n{read(os.path.join(tmp, f))}")
        return 1
    finally:
        subprocess.run(["pkill", "-9", "-f", tmp], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"PASS ({what}, {time.monotonic() - t0:.1f} s)")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("case", choices=["paused", "running", "refuse", "resave", "disk"])
    a = p.parse_args()
    case = {"paused": case_paused, "running": case_running, "refuse": case_refuse,
            "resave": case_resave, "disk": case_disk}[a.case]
    return run_in_tmp("kvmkit-snap-", lambda tmp: case(a, tmp), f"{a.case}, {a.cpus} CPU(s)",
                      skip=(NoStrace,))


if __name__ == "__main__":
    sys.exit(main())
