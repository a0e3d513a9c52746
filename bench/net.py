#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-net throughput through the user (libslirp) back end, next to the
same transfer over the host's loopback.

    python3 bench/net.py --kvmkit build/kvmkit [--size 10M] [--runs 1]

Guest side: boots the Linux test guest (firmware/linux) with two port
forwards, 127.0.0.1:P1 -> guest :5000 and 127.0.0.1:P2 -> guest :5001.
busybox `nc -l -p 5000 >/tmp/f` in the guest receives SIZE random bytes the
host sends (host -> guest), then `nc -l -p 5001 </tmp/f` sends them back
(guest -> host). Times are taken on the host from connect() to the last byte
(guest -> host) or to the guest's close (host -> guest), so they include
slirp, the virtio queues and the guest's TCP stack. sha256 is checked both
ways (tests/linux/net_test.py does the work).

Host side: the same SIZE bytes through the same kind of busybox nc listener
on the host's 127.0.0.1, with the same Python client.

On PVM hosts (docs/platform.md) the guest kernel is emulated, so every
packet the guest's TCP stack handles costs milliseconds: the guest figures
measure that, not kvmkit's copy path. Prints every command and both
figures."""
import argparse
import hashlib
import os
import shlex
import socket
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "linux"))
import net_test  # noqa: E402


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * mult[s[-1].upper()] if s[-1].upper() in mult else int(s)


def wait_listening(port):
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def host_loopback(size):
    """busybox nc on the host, both directions; returns (in_s, out_s)."""
    data = os.urandom(size)
    want = hashlib.sha256(data).hexdigest()
    path = f"/tmp/kvmkit-net-bench-{os.getpid()}"
    port = net_test.free_port()
    argv = ["busybox", "nc", "-l", "-p", str(port)]
    print("host command:", shlex.join(argv), f"</dev/null >{path}", flush=True)
    with open(path, "wb") as out:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out)
        # probing would be taken for the transfer: give nc time to listen
        time.sleep(0.5)
        t0 = net_test.send_all(port, data)
        p.wait()
        in_s = time.monotonic() - t0
    port = net_test.free_port()
    argv = ["busybox", "nc", "-l", "-p", str(port)]
    print("host command:", shlex.join(argv), f"<{path}", flush=True)
    with open(path, "rb") as src:
        p = subprocess.Popen(argv, stdin=src, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        back, out_s = net_test.recv_exact(port, size)
        p.terminate()
        p.wait()
    os.unlink(path)
    if hashlib.sha256(back).hexdigest() != want:
        raise RuntimeError("host loopback: the bytes came back different")
    return in_s, out_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir", default=net_test.default_guest_dir())
    ap.add_argument("--size", default="10M")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--mtu", type=int, help="[net] mtu for the guest (default 1500)")
    ap.add_argument("--timeout", type=float, default=1700)
    a = ap.parse_args()
    size = parse_size(a.size)
    a.back_size = size      # the benchmark sends everything back
    mib = size / (1 << 20)
    rows = []
    for run in range(a.runs):
        failures, r = net_test.transfer_through_forwards(a, size)
        if failures is None:
            print(f"SKIP: {r.missing[0]} missing; build it with bash firmware/linux/build-guest.sh")
            return 77
        if failures:
            for f in failures:
                print("FAIL:", f)
            return 1
        h_in, h_out = host_loopback(size)
        rows.append((r["in_s"], r["out_s"], h_in, h_out))
    print()
    print(f"{mib:.1f} MiB per transfer, {a.runs} run(s), guest MTU {a.mtu or 1500}; "
          "MiB/s (seconds)")
    print(f"{'':28}{'host->guest':>22}{'guest->host':>22}")
    for i, (gi, go, hi, ho) in enumerate(rows):
        print(f"run {i + 1}: guest, user back end  {mib / gi:12.2f} ({gi:6.2f} s)"
              f"{mib / go:12.2f} ({go:6.2f} s)")
        print(f"run {i + 1}: host loopback         {mib / hi:12.2f} ({hi:6.2f} s)"
              f"{mib / ho:12.2f} ({ho:6.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
