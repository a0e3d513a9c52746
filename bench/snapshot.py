#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Snapshot benchmark: save time, bytes written and restore-to-running time
for guests of several RAM sizes, next to dd writing the same bytes.

    python3 bench/snapshot.py [--build build] [--sizes 256M,1G,4G] [--touch 0.25]

For each size: boots firmware/payloads/memtouch (which fills --touch of its
RAM with non-zero data at CPL3, then prints heartbeats), saves it through
the control socket, measures
  - save: wall time of `kvmkit ctl SOCK snapshot`, and the bytes the memory
    file really occupies (sparse: st_blocks),
  - dd: `dd if=/dev/zero of=FILE bs=1M count=N conv=fdatasync` for the N MiB
    the guest touched, on the same file system, just before the save and
    under the same conditions (guest alive, SETTLE_S after any big free),
  - restore: from spawning `kvmkit restore` to its first KVM_RUN
    (KVMKIT_TRACE_STARTUP) = "resume", and to the first heartbeat the
    restored guest prints,
right after the save ("warm", median of --restores runs: kvmkit and its
libraries are in the page cache; the memory file is not, kvmkit writes it
with O_DIRECT) and cold (drop_caches, root only, one run); and the same
restore with --verify (the whole memory file read and checked against its
checksums before the VM starts), cold and warm, one run each.
Targets (issue 5): resume within 10 ms at any size; save >= 80% of dd.
Prints every command it runs."""
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
SETTLE_S = 3    # > the kernel's page_reporting delay (2 s)


def sh(cmd, **kw):
    print("$ " + shlex.join(cmd), flush=True)
    return subprocess.run(cmd, **kw)


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def wait_file(path, regex, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path, errors="replace") as f:
                m = re.search(regex, f.read(), re.M)
                if m:
                    return time.monotonic(), m
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    raise SystemExit(f"timeout waiting for /{regex}/ in {path}")


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def restore(a, tmp, snap, tag, cold, extra=()):
    out = os.path.join(tmp, f"restore-{tag}.out")
    cmd = [a.kvmkit, "restore", snap, "--serial-output", "file:" + out,
           "--set", "serial.input=none"] + list(extra)
    if cold and not drop_caches():
        return None
    print("$ KVMKIT_TRACE_STARTUP=1 " + shlex.join(cmd), flush=True)
    env = dict(os.environ, KVMKIT_TRACE_STARTUP="1")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    first_run = main_at = None
    for line in p.stderr:
        m = re.search(r"main at monotonic (\d+) ns", line)
        if m:
            main_at = int(m.group(1)) / 1e9 - t0
        m = re.search(r"first KVM_RUN at monotonic (\d+) ns", line)
        if m:
            first_run = int(m.group(1)) / 1e9 - t0
            break
    t_beat, _ = wait_file(out, r"^KVMKIT-BEAT", 60)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return first_run, t_beat - t0, first_run - main_at


def one_size(a, size, tmp):
    mib = int(size * a.touch) >> 20
    sock = os.path.join(tmp, "ctl.sock")
    out = os.path.join(tmp, "boot.out")
    cmd = [a.kvmkit, "run", "--kernel", a.payload, "--append", f"touch={mib}",
           "--memory", f"{size >> 20}M", "--control", sock, "--serial-output", "file:" + out,
           "--set", "serial.input=none"]
    print("$ " + shlex.join(cmd), flush=True)
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    wait_file(out, r"^KVMKIT-BEAT", 600)
    # dd and the save run under the same conditions: the guest alive and
    # holding its memory, and SETTLE_S after the last big free. On a host
    # that is itself a VM with free page reporting (docs/platform.md),
    # memory freed a moment ago (a killed VM, an unlinked file's page
    # cache) is still backed by the outer host and much faster to fill;
    # whichever ran second would get it.
    ddfile = os.path.join(tmp, "dd.out")
    count = max(1, mib)
    time.sleep(SETTLE_S)
    t0 = time.monotonic()
    sh(["dd", "if=/dev/zero", "of=" + ddfile, "bs=1M", f"count={count}", "conv=fdatasync"],
       capture_output=True)
    dd_s = time.monotonic() - t0
    os.unlink(ddfile)
    time.sleep(SETTLE_S)
    snap = os.path.join(tmp, "snap")
    t0 = time.monotonic()
    r = sh([a.kvmkit, "ctl", sock, "snapshot", snap], capture_output=True, text=True)
    save_s = time.monotonic() - t0
    if r.returncode:
        raise SystemExit(r.stdout + r.stderr)
    vm.send_signal(signal.SIGKILL)
    vm.wait()
    mem = [f for f in os.listdir(tmp) if f.endswith(".mem")][0]
    st = os.stat(os.path.join(tmp, mem))
    written = st.st_blocks * 512
    # Warm: the median (by resume time) of --restores runs; one sample
    # moves by milliseconds on a shared machine.
    runs = sorted((restore(a, tmp, snap, f"warm{i}", False) for i in range(a.restores)),
                  key=lambda r: r[0])
    warm = runs[len(runs) // 2]
    cold = restore(a, tmp, snap, "cold", True)
    # --verify reads every data block of the memory file before resuming.
    verify_cold = restore(a, tmp, snap, "verify-cold", True, ["--verify"])
    verify_warm = restore(a, tmp, snap, "verify-warm", False, ["--verify"])
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    return {
        "size": size, "touched": mib << 20, "written": written, "save_s": save_s,
        "save_rate": written / save_s / 1e6, "dd_rate": (count << 20) / dd_s / 1e6,
        "dd_mib": count,
        "warm": warm, "cold": cold, "verify_warm": verify_warm, "verify_cold": verify_cold,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--sizes", default="256M,1G,4G")
    ap.add_argument("--touch", type=float, default=0.25, help="fraction of RAM the guest fills")
    ap.add_argument("--dir", help="where to write snapshots (default: a temp dir in /var/tmp)")
    ap.add_argument("--restores", type=int, default=5, help="warm restores per size (median)")
    a = ap.parse_args()
    a.kvmkit = os.path.join(a.build, "kvmkit")
    a.payload = os.path.join(a.build, "firmware", "memtouch.elf")
    print(f"command: {shlex.join(sys.argv)}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kvmkit-bench-snap-", dir=a.dir or "/var/tmp") as tmp:
        for s in a.sizes.split(","):
            rows.append(one_size(a, parse_size(s), tmp))

    def ms(x):
        return f"{x * 1000:7.1f}" if x is not None else "    n/a"

    print()
    print("| RAM | touched | written | save s | save MB/s | dd MB/s | save/dd | "
          "resume ms | of which in main() | first beat ms | resume ms (cold) | first beat ms (cold) "
          "| resume ms --verify | resume ms --verify (cold) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cold = r["cold"] or (None, None, None)
        vcold = r["verify_cold"] or (None, None, None)
        print(f"| {r['size'] >> 20} MiB | {r['touched'] >> 20} MiB | {r['written'] / 2**20:.0f} MiB "
              f"| {r['save_s']:.2f} | {r['save_rate']:.0f} | {r['dd_rate']:.0f} "
              f"| {r['save_rate'] / r['dd_rate']:.2f} | {ms(r['warm'][0])} | {ms(r['warm'][2])} "
              f"| {ms(r['warm'][1])} | {ms(cold[0])} | {ms(cold[1])} "
              f"| {ms(r['verify_warm'][0])} | {ms(vcold[0])} |")
    print("\nresume = spawn of `kvmkit restore` to its first KVM_RUN (warm: median of "
          f"{a.restores} runs right after the "
          "save, the memory file itself is not cached, it was written with O_DIRECT; cold: after "
          "drop_caches); dd: the touched MiB, run just before the save with the guest alive; 'of which in main()' leaves out "
          "exec and dynamic linking; first beat = to the first heartbeat line the restored guest "
          "wrote (a CPL0 serial write, emulated on PVM hosts); save s = wall time of "
          "`kvmkit ctl SOCK snapshot` (pause + state + memory + fsyncs); --verify: the same "
          "restore reading the whole memory file against its checksums first (one run each, "
          "cold after drop_caches, warm right after it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
