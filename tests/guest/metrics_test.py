#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Metrics and structured logs, checked from outside a running kvmkit.

    metrics_test.py --kvmkit BUILD/kvmkit --payload PAYLOAD CASE

  running  the smp payload in counter mode (--payload smp.elf) with a control
           socket and --log-format json --log-file: two `kvmkit ctl SOCK
           metrics` a little apart show every vCPU's exits and the serial
           port's output bytes rising, the VM's name, state and uptime;
           after pause the state is "paused"; the log file holds one JSON
           object per line with the VM's name and the control component.
  blk      the virtio_blk payload (--payload virtio_blk.elf) on a 1 MiB disk
           with [metrics] file: the file written as the VM stops holds the
           requests and bytes the payload made (docs/observability.md).

Prints the commands and timings. Exit 0 pass, 1 fail.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class Fail(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def check(cond, what):
    if not cond:
        raise Fail(what)


def ctl(a, sock, *args):
    cmd = [a.kvmkit, "ctl", sock] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    log(f"$ {' '.join(cmd)}\n  -> rc={r.returncode} {r.stdout.strip()[:300]} {r.stderr.strip()}")
    check(r.returncode == 0, f"ctl {args[0]} failed: {r.stdout} {r.stderr}")
    reply = json.loads(r.stdout)
    check(reply.get("ok") is True, f"ctl {args[0]}: not ok: {reply}")
    return reply


def device(m, type_):
    devs = [d for d in m["devices"] if d["type"] == type_]
    check(len(devs) == 1, f"expected one {type_} device, got {m['devices']}")
    return devs[0]["counters"]


def check_shape(m, name, cpus):
    check(m["vm"]["name"] == name, f"vm.name {m['vm']['name']!r}, expected {name!r}")
    check(m["vm"]["cpus"] == cpus and len(m["vcpus"]) == cpus, f"{cpus} vCPUs expected")
    for v in m["vcpus"]:
        check(set(v["exits"]) == {"io", "mmio", "hlt", "shutdown", "intr", "internal_error",
                                  "other"}, f"exit reasons: {sorted(v['exits'])}")
        check(v["exits_total"] == sum(v["exits"].values()), "exits_total is the sum")


def case_running(a, tmp):
    sock = os.path.join(tmp, "ctl.sock")
    out = os.path.join(tmp, "serial.out")
    logf = os.path.join(tmp, "kvmkit.log")
    cpus = 2
    cmd = [a.kvmkit, "run", "--kernel", a.payload, "--append", "counter", "--cpus", str(cpus),
           "--memory", "64M", "--name", "metrics-vm", "--control", sock,
           "--serial-output", "file:" + out, "--set", "serial.input=none",
           "--log-format", "json", "--log-file", logf]
    log("$ " + " ".join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "kvmkit.err"), "w"))
    try:
        end = time.monotonic() + 60
        while "KVMKIT-COUNT cpu=1 n=2" not in read(out):
            check(time.monotonic() < end and proc.poll() is None, "the payload never counted")
            time.sleep(0.05)
        m1 = ctl(a, sock, "metrics")
        time.sleep(0.5)
        m2 = ctl(a, sock, "metrics")
        for m in (m1, m2):
            check_shape(m, "metrics-vm", cpus)
            check(m["state"] == "running" and m["vm"]["state"] == "running", "state running")
        check(m2["vm"]["uptime_ms"] > m1["vm"]["uptime_ms"] > 0, "uptime rises")
        for v1, v2 in zip(m1["vcpus"], m2["vcpus"]):
            check(0 < v1["exits_total"] < v2["exits_total"], f"vCPU {v1['id']} exits rise")
            # Every count is a line written to the serial port: port I/O.
            check(v1["exits"]["io"] > 0, f"vCPU {v1['id']} has I/O exits")
        s1, s2 = device(m1, "serial")["tx_bytes"], device(m2, "serial")["tx_bytes"]
        check(0 < s1 < s2, f"serial tx_bytes {s1} then {s2}: expected > 0 and rising")
        check(s2 <= len(read(out).encode()) + 64, "serial tx_bytes at most what reached the file")

        ctl(a, sock, "pause")
        p = ctl(a, sock, "metrics")
        check(p["vm"]["state"] == "paused", f"state after pause: {p['vm']['state']}")
        ctl(a, sock, "resume")
        ctl(a, sock, "stop")
        check(proc.wait(timeout=30) == 0, "kvmkit exits 0 after stop")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    lines = read(logf).splitlines()
    log(f"--- {logf}\n" + "\n".join(lines))
    entries = [json.loads(l) for l in lines]
    for e in entries:
        check(set(e) == {"timestamp", "level", "component", "vm", "message"}, f"fields of {e}")
        check(e["vm"] == "metrics-vm", f"vm of {e}")
    asked = [e["message"] for e in entries if e["component"] == "control"]
    check(asked == ["pause requested", "resume requested", "stop requested"],
          f"control log lines: {asked}")


def case_blk(a, tmp):
    disk = os.path.join(tmp, "disk0.img")
    pattern = b"KVMKIT-PATTERN-0123456789abcdef-"
    with open(disk, "wb") as f:
        f.write((pattern * (1 << 20))[: 1 << 20])
    mfile = os.path.join(tmp, "metrics.json")
    cmd = [a.kvmkit, "run", "--kernel", a.payload, "--memory", "64M", "--disk", disk,
           "--set", "metrics.file=" + mfile, "--set", "metrics.interval=1",
           "--set", "serial.input=none"]
    log("$ " + " ".join(cmd))
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    stdout = r.stdout.decode(errors="replace")
    log(f"  -> rc={r.returncode} in {time.monotonic() - t0:.1f} s\n{stdout}"
        f"{r.stderr.decode(errors='replace')}")
    check(r.returncode == 0 and "VBLK done" in stdout, "the payload ran to the end")
    text = read(mfile)
    check(text.endswith("\n") and text.count("\n") == 1, "one JSON line in the metrics file")
    m = json.loads(text)
    log(json.dumps(m, indent=1))
    check_shape(m, "kvmkit", 1)
    blk = device(m, "virtio-blk")
    # GET_ID; read sector 0; write 8 sectors; read them back; flush; read past the end.
    want = {"get_id_requests": 1, "read_requests": 3, "read_bytes": 512 + 4096,
            "write_requests": 1, "written_bytes": 4096, "flush_requests": 1,
            "discard_requests": 0, "write_zeroes_requests": 0, "other_requests": 0,
            "errors": 1}
    got = {k: blk.get(k) for k in want}
    check(got == want, f"virtio-blk counters {got}, expected {want}")
    check(m["vcpus"][0]["exits"]["mmio"] > 0, "MMIO exits (the virtio registers)")
    check(device(m, "serial")["tx_bytes"] == len(r.stdout),
          "serial tx_bytes is what kvmkit printed")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("case", choices=["running", "blk"])
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="kvmkit-metrics-")
    t0 = time.monotonic()
    try:
        {"running": case_running, "blk": case_blk}[a.case](a, tmp)
    except (Fail, KeyError, ValueError, subprocess.TimeoutExpired) as e:
        log(f"FAIL: {type(e).__name__}: {e}")
        log(f"--- kvmkit.err\n{read(os.path.join(tmp, 'kvmkit.err'))}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"PASS ({a.case}, {time.monotonic() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
