#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-blk throughput: a guest payload next to the host's own preadv/pwritev.

    python3 bench/blk.py --build build [--runs 3] [--qd 1,4] [--set disk.bench.poll-us=N]

Makes a raw image (default 256 MiB of random bytes) and, per run and queue
depth, boots firmware/payloads/blk_bench.c on it: its request loop runs at
CPL3 (native speed on PVM hosts) doing sequential 1 MiB reads and writes and
random 4 KiB reads and writes, timed with RDTSC. The TSC rate is calibrated
against the host's monotonic clock from the arrival times of the payload's
first and last lines (several seconds apart, so a millisecond of serial
latency is well under 0.1 %). Then bench/blk_host (built by meson) makes the
same requests, same offsets, with preadv/pwritev on the same file from one
host thread, one request at a time.

Both go through the host page cache: kvmkit opens images without O_DIRECT,
and so does blk_host. Neither flushes. The image is read through right
before each guest boot and each host phase, so it is cached for both. The guest's queue depth (bench.qd) is how many
requests it keeps in flight; kvmkit still serves them one after another on
the device's I/O thread, and the host side is always one synchronous call at
a time. Prints every command, per-run figures, and the medians with the
guest/host ratio.
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

PHASES = [("seq-read", 1 << 20), ("seq-write", 1 << 20),
          ("rand-read", 4096), ("rand-write", 4096)]
LINE = re.compile(r"^BENCH phase=(\S+) bs=(\d+) ops=(\d+) qd=(\d+) errors=(\d+) "
                  r"tsc_start=(\d+) tsc_end=(\d+)")


def make_image(path, size):
    chunk = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(size >> 20):
            f.write(chunk)


def warm(path):
    """Reads the image through, so that it is in the page cache right before
    a measurement (some hosts reclaim clean page cache all the time, even
    with free memory: the development host drops ~1.5 MB/s)."""
    with open(path, "rb") as f:
        while f.read(8 << 20):
            pass


def run_guest(a, image, qd):
    """Boots the payload; returns {phase: seconds} and the TSC rate (Hz)."""
    warm(image)
    append = f"bench.seq={a.seq} bench.rand={a.rand} bench.qd={qd} bench.seed={a.seed}"
    cmd = [a.kvmkit, "run", "--kernel", a.payload, "--memory", "256M",
           "--set", f"disk.bench.path={image}", "--append", append]
    for kv in a.set:
        cmd += ["--set", kv]
    print("guest:", shlex.join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    lines = []      # (arrival time, text)
    for raw in proc.stdout:
        lines.append((time.monotonic(), raw.decode(errors="replace").strip()))
    err = proc.stderr.read().decode(errors="replace")
    proc.wait()
    mark = phases = None
    phases = {}
    for t, text in lines:
        m = re.match(r"^BENCH mark tsc=(\d+)", text)
        if m:
            mark = (t, int(m.group(1)))
        m = LINE.match(text)
        if m:
            name, errors = m.group(1), int(m.group(5))
            if errors:
                sys.exit(f"blk.py: guest {name}: {errors} requests failed")
            phases[name] = (t, int(m.group(6)), int(m.group(7)))
    if proc.returncode != 0 or mark is None or len(phases) != len(PHASES):
        sys.exit("blk.py: the guest run failed:\n" + "\n".join(x for _, x in lines) + err)
    last_t, _, last_tsc = phases[PHASES[-1][0]]
    hz = (last_tsc - mark[1]) / (last_t - mark[0])
    return {name: (end - start) / hz for name, (_, start, end) in phases.items()}, hz


def run_host(a, image, name, bs, ops):
    warm(image)
    cmd = [a.blk_host, image, name, str(bs), str(ops), str(a.seed)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return cmd, int(re.search(r"ns=(\d+)", out).group(1)) / 1e9


def figure(name, bs, ops, seconds):
    """MB/s for 1 MiB phases, IOPS for 4 KiB ones (1 MB = 10^6 bytes)."""
    return ops * bs / seconds / 1e6 if bs >= (1 << 20) else ops / seconds


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build", help="meson build directory")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--qd", default="1,4", help="guest queue depths, comma-separated (1-5)")
    p.add_argument("--seq", type=int, default=2048, help="1 MiB requests per sequential phase")
    p.add_argument("--rand", type=int, default=20000, help="4 KiB requests per random phase")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--image-mib", type=int, default=256)
    p.add_argument("--dir", default=None, help="where the image goes (default: a temp dir)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="passed to kvmkit (repeatable); the disk is [disk \"bench\"], "
                        "e.g. --set disk.bench.poll-us=0")
    a = p.parse_args(argv)
    a.kvmkit = os.path.join(a.build, "kvmkit")
    a.payload = os.path.join(a.build, "firmware", "blk_bench.elf")
    a.blk_host = os.path.join(a.build, "bench", "blk_host")
    for f in (a.kvmkit, a.payload, a.blk_host):
        if not os.path.exists(f):
            sys.exit(f"blk.py: {f} missing: build first (ninja -C {a.build})")
    qds = [int(x) for x in a.qd.split(",")]
    counts = {"seq": a.seq, "rand": a.rand}

    with tempfile.TemporaryDirectory(prefix="kvmkit-bench-", dir=a.dir) as tmp:
        image = os.path.join(tmp, "bench.img")
        make_image(image, a.image_mib << 20)
        print(f"image: {image}, {a.image_mib} MiB of random bytes, page cache warm")
        guest = {qd: {n: [] for n, _ in PHASES} for qd in qds}
        host = {n: [] for n, _ in PHASES}
        for run in range(a.runs):
            for qd in qds:
                secs, hz = run_guest(a, image, qd)
                print(f"run {run + 1} qd={qd}: TSC {hz / 1e6:.1f} MHz (calibrated); " +
                      ", ".join(f"{n} {secs[n]:.3f} s" for n, _ in PHASES))
                for n, bs in PHASES:
                    guest[qd][n].append(figure(n, bs, counts[n[:n.index('-')]], secs[n]))
            for n, bs in PHASES:
                cmd, s = run_host(a, image, n, bs, counts[n[:n.index('-')]])
                if run == 0:
                    print("host:", shlex.join(cmd))
                host[n].append(figure(n, bs, counts[n[:n.index('-')]], s))

    print(f"\nmedian of {a.runs} runs; 1 MiB phases in MB/s (10^6 B/s), 4 KiB phases in IOPS")
    header = f"{'phase':<11} {'host':>10}" + "".join(
        f" {'guest qd' + str(q):>11} {'ratio':>6}" for q in qds)
    print(header)
    for n, _ in PHASES:
        h = statistics.median(host[n])
        row = f"{n:<11} {h:>10.0f}"
        for q in qds:
            g = statistics.median(guest[q][n])
            row += f" {g:>11.0f} {g / h:>6.2f}"
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
