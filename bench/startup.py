#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Start-up time and memory overhead of kvmkit, next to QEMU microvm where
QEMU can run the same payload.

  python3 bench/startup.py [--build build] [--runs 20]

Measures, for a 256 MiB guest running firmware payloads:
  - start -> first KVM_RUN (kvmkit reports the CLOCK_MONOTONIC time of its
    first KVM_RUN when KVMKIT_TRACE_STARTUP is set), with "start" taken
    two ways: just before this script's fork/exec (so it includes
    Python's spawn), and at the execve() of kvmkit, stamped by
    bench/spawn_clock.c (as Firecracker's jailer passes --start-time-us);
  - the same for bench/kvm_floor.c, which makes only the KVM calls of a
    minimal VM: what any VMM pays on this host;
  - kvmkit with [security] seccomp = off (what the filters cost), and with
    a disk, a user-mode NIC and the virtio console (a real guest's start);
  - start -> first byte the guest writes to the serial port;
  - VMM resident memory beyond guest pages touched: VmRSS minus the RSS of
    the guest-RAM mapping, read from /proc/PID/smaps while the guest waits
    for input.
Prints every command it ran."""
import argparse
import os
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GUEST_MEM = "256M"


def run_first_byte(argv, env=None, timeout=30.0):
    """Returns (t_first_kvm_run, t_first_byte, total, returncode, t_exec_to_kvm_run,
    steps) in seconds from just before the spawn (None where not seen);
    t_exec_to_kvm_run is from the "exec at" stamp of bench/spawn_clock when
    argv starts with it; steps lists (step, seconds since the stamp before)
    for every "kvmkit-trace: STEP at monotonic N ns" line."""
    t0 = time.monotonic_ns()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    first = None
    deadline = time.monotonic() + timeout
    # Wait in select(), not in a polling loop: a script spinning on one of
    # the host's 2 cores would slow down whatever the program does in
    # parallel (kvmkit's vCPU thread starts while its main thread loads
    # its filter), and the measurement with it.
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    if ready and os.read(p.stdout.fileno(), 1):
        first = time.monotonic_ns()
    try:
        _, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    total = time.monotonic_ns() - t0
    m = re.search(rb"first KVM_RUN at monotonic (\d+) ns", err or b"")
    e = re.search(rb"exec at monotonic (\d+) ns", err or b"")
    kvm_run = (int(m.group(1)) - t0) / 1e9 if m else None
    from_exec = (int(m.group(1)) - int(e.group(1))) / 1e9 if m and e else None
    steps, prev = [], t0
    for s in re.finditer(rb"kvmkit-trace: (.*?) at monotonic (\d+) ns", err or b""):
        steps.append((s.group(1).decode(), (int(s.group(2)) - prev) / 1e9))
        prev = int(s.group(2))
    return (kvm_run, (first - t0) / 1e9 if first else None, total / 1e9, p.returncode,
            from_exec, steps)


def median_ms(xs):
    xs = [x for x in xs if x is not None]
    return f"{statistics.median(xs) * 1000:.2f} ms" if xs else "n/a"


def startup(programs, runs, clock):
    """Runs each (argv, env) of @programs @runs times directly and @runs
    times under spawn_clock, all interleaved so that each sees the same
    conditions. Returns, per program, lists: first KVM_RUN from the spawn,
    first KVM_RUN from execve, first serial byte from the spawn, total; and
    a dict of each traced step's durations (under spawn_clock, so the first
    is from execve)."""
    for argv, env in programs:
        for a in (argv, [clock] + argv):
            print("command:", "KVMKIT_TRACE_STARTUP=1" if env else "", shlex.join(a))
    out = [([], [], [], [], {}) for _ in programs]
    for _ in range(runs):
        for (argv, env), (from_spawn, from_exec, first_byte, totals, steps) in zip(programs,
                                                                                    out):
            kr, fb, tot, rc, _, _ = run_first_byte(argv, env)
            if rc != 0:
                sys.exit(f"{argv[0]} exited {rc}")
            from_spawn.append(kr)
            first_byte.append(fb)
            totals.append(tot)
            _, _, _, rc, fe, traced = run_first_byte([clock] + argv, env)
            if rc != 0:
                sys.exit(f"{argv[0]} (under spawn_clock) exited {rc}")
            from_exec.append(fe)
            # from the spawn_clock stamp on: the script's own spawn is not in it
            for step, t in traced[1:]:
                steps.setdefault(step, []).append(t)
    return out


def rss_overhead(argv, ready=b"KVMKIT-ECHO-READY", timeout=30.0):
    """Runs argv (a VM waiting for a line on stdin), returns (VmRSS, guest RSS) in KiB."""
    print("command:", shlex.join(argv))
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(p.stdout.fileno(), False)
    while ready not in buf and time.monotonic() < deadline:
        try:
            chunk = p.stdout.read(4096)
        except BlockingIOError:
            chunk = None
        if chunk:
            buf += chunk
        elif chunk == b"" or p.poll() is not None:
            break
        else:
            time.sleep(0.001)
    if ready not in buf:
        p.kill()
        sys.exit("payload never became ready")
    vmrss = guest = None
    rollup = {}
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                vmrss = int(line.split()[1])
    with open(f"/proc/{p.pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                rollup[parts[0].rstrip(":")] = int(parts[1])
    # The guest-RAM mapping is the anonymous one whose size is GUEST_MEM.
    want_kb = 256 * 1024
    with open(f"/proc/{p.pid}/smaps") as f:
        size = None
        for line in f:
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("Rss:") and size == want_kb:
                guest = int(line.split()[1])
    p.stdin.write(b"bye\n")
    p.stdin.close()
    p.wait(timeout=timeout)
    return vmrss, guest, rollup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    kvmkit = os.path.join(a.build, "kvmkit")
    hello = os.path.join(a.build, "firmware", "hello.elf")
    echo = os.path.join(a.build, "firmware", "serial_echo.elf")

    print(f"# kvmkit start-up ({a.runs} runs, median), guest {GUEST_MEM}, payload {hello}")
    # What fork+exec of a trivial program costs from here: part of every figure below.
    base = []
    for _ in range(a.runs):
        t0 = time.monotonic_ns()
        subprocess.run(["/bin/true"])
        base.append((time.monotonic_ns() - t0) / 1e9)
    print(f"baseline: spawning /bin/true from this script {median_ms(base)}")
    clock = os.path.join(a.build, "bench", "spawn_clock")
    floor = os.path.join(a.build, "bench", "kvm_floor")
    env = dict(os.environ, KVMKIT_TRACE_STARTUP="1")
    kvmkit_argv = [kvmkit, "run", "--kernel", hello, "--memory", GUEST_MEM,
                   "--set", "serial.input=none"]
    # The same VM without the seccomp filters: what loading them costs
    # before the first KVM_RUN (docs/security.md).
    unfiltered_argv = kvmkit_argv + ["--set", "security.seccomp=off"]
    # And with the devices a real guest has: a disk (an empty sparse
    # image), a user-mode NIC (libslirp) and the virtio console.
    disk = tempfile.NamedTemporaryFile(prefix="kvmkit-bench-disk-", suffix=".img")
    disk.truncate(64 << 20)
    devices_argv = kvmkit_argv + ["--disk", disk.name, "--net", "user",
                                  "--console", "virtio", "--console-output", "none"]
    (fs, fe, _, _, _), (fr, fx, fb, tot, steps), (_, ux, _, _, _), (_, dx, _, _, dsteps) = startup(
        [([floor], None), (kvmkit_argv, env), (unfiltered_argv, env), (devices_argv, env)],
        a.runs, clock)
    print(f"floor   bare KVM calls (bench/kvm_floor.c) -> first KVM_RUN: "
          f"{median_ms(fs)} from the spawn, {median_ms(fe)} from execve")
    print(f"kvmkit  start -> first KVM_RUN   {median_ms(fr)} from the spawn, "
          f"{median_ms(fx)} from execve   (target <= 2 ms)")
    print(f"kvmkit  minus floor, run by run  {median_ms([k - f for k, f in zip(fx, fe) if k is not None and f is not None])} "
          f"from execve")
    print(f"kvmkit  with [security] seccomp = off {median_ms(ux)} from execve "
          f"(the filters cost {median_ms([k - u for k, u in zip(fx, ux) if k is not None and u is not None])}, run by run)")
    print("kvmkit  each step, from the end of the one before (KVMKIT_TRACE_STARTUP; "
          "'main' is from execve):")
    for step, ts in steps.items():
        print(f"          {step:<20} {median_ms(ts)}")
    print(f"kvmkit  with a disk, a user NIC and the virtio console -> first KVM_RUN "
          f"{median_ms(dx)} from execve; each step:")
    for step, ts in dsteps.items():
        print(f"          {step:<20} {median_ms(ts)}")
    print(f"kvmkit  start -> first serial byte {median_ms(fb)} from the spawn")
    print(f"kvmkit  start -> exit            {median_ms(tot)} from the spawn")

    if os.path.exists(echo):
        vmrss, guest, rollup = rss_overhead([kvmkit, "run", "--kernel", echo, "--memory",
                                             GUEST_MEM])
        if vmrss is not None and guest is not None:
            print(f"kvmkit  VmRSS {vmrss} KiB, guest RAM touched {guest} KiB, "
                  f"VMM overhead {(vmrss - guest) / 1024:.2f} MiB   (target <= 3 MiB)")
            # Guest RAM is private to the VM, so its PSS is its RSS: the
            # VMM's own share of memory, with shared library pages split
            # among the processes that map them.
            if "Pss" in rollup:
                print(f"kvmkit  of that, shared clean (library pages) "
                      f"{rollup.get('Shared_Clean', 0)} KiB; PSS beyond guest RAM "
                      f"{(rollup['Pss'] - guest) / 1024:.2f} MiB, private dirty "
                      f"{rollup.get('Private_Dirty', 0)} KiB (guest RAM included)")

    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("qemu: qemu-system-x86_64 not installed (apt-get install qemu-system-x86); "
              "no comparison")
        return 0
    bz = os.path.join(a.build, "firmware", "hello.bzImage")
    for cpu in ("host", "qemu64"):
        argv = [qemu, "-M", "microvm", "-enable-kvm", "-cpu", cpu, "-m", GUEST_MEM,
                "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                "-kernel", bz, "-append", "bench"]
        print("command:", shlex.join(argv))
        times = []
        for _ in range(min(a.runs, 5)):
            _, fb_q, tot_q, rc, _, _ = run_first_byte(argv, timeout=20.0)
            times.append(fb_q)
            if fb_q is None:
                break
        if all(t is None for t in times):
            print(f"qemu -cpu {cpu}: no serial output within 20 s on this host (rc={rc})")
            continue
        print(f"qemu -cpu {cpu}: start -> first serial byte {median_ms(times)}; "
              f"ratio qemu/kvmkit {statistics.median([t for t in times if t]) / statistics.median([x for x in fb if x]):.1f}x")
        break
    return 0


if __name__ == "__main__":
    sys.exit(main())
