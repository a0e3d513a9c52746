#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-net with the real guest (firmware/linux), checked as a user would.

  net_test.py --kvmkit PATH dhcp-wget      udhcpc gets a lease from the user
                                           back end; wget fetches a page from
                                           an HTTP server on the host's
                                           127.0.0.1 through the gateway
                                           10.0.2.2; sha256 compared
  net_test.py --kvmkit PATH hostfwd [--size N]   (restrict = on)
                                           a host port forwarded to busybox
                                           nc -l in the guest: N bytes (10 MiB)
                                           host -> guest, then back guest ->
                                           host on a second forward; sha256
                                           compared on both sides
  net_test.py --kvmkit PATH tap            backend = tap in a network
                                           namespace made for the test; the
                                           guest pings the namespace's end
                                           and fetches a page from it

Prints the exact kvmkit command, the guest's output with elapsed seconds,
and transfer times. Exit 0 = pass, 1 = fail, 77 = skipped (with why)."""
import argparse
import hashlib
import http.server
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time

SKIP = 77
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import base  # noqa: E402
from run_linux import default_guest_dir  # noqa: E402

# The initramfs has busybox but no udhcpc default script: the guest writes
# one that applies the lease and prints it.
def dhcp(ifname):
    return ("printf '#!/bin/sh\\n[ $1 = bound ] && ifconfig $interface $ip netmask $subnet "
            "&& route add default gw $router && echo lease=$ip/$subnet gw=$router dns=$dns\\n' "
            f">/tmp/d; chmod +x /tmp/d; ifconfig lo up; ifconfig {ifname} up; "
            f"udhcpc -i {ifname} -q -n -t 10 -T 3 -s /tmp/d")


DHCP = dhcp("eth0")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    """One boot of the guest running @cmd; on_line(text) sees each line of
    output (from the reader thread) as it arrives. With @restore_args (a
    list) and $KVMKIT_LINUX_BASE set, the Linux tier's booted base is
    restored with them instead (its NIC net0 is eth0) and @cmd typed into
    its shell (tests/linux/base.py)."""

    def __init__(self, a, cmd, kvmkit_args, on_line=None, restore_args=None):
        kernel = os.path.join(a.guest_dir, "vmlinux")
        initrd = os.path.join(a.guest_dir, "initramfs.cpio")
        self.missing = [f for f in (kernel, initrd) if not os.path.exists(f)]
        # The test guest kernel has no CONFIG_ACPI (firmware/linux/guest.config): it
        # finds its virtio devices through virtio_mmio.device=, which kvmkit adds with
        # [machine] acpi = off only.
        self.argv = [a.kvmkit, "run", "--kernel", kernel, "--initrd", initrd,
                     "--acpi", "off", "--memory", "256M", "--append",
                     f'console=ttyS0 reboot=k panic=-1 -- "{cmd}"'] + kvmkit_args
        self.typed = None
        if restore_args is not None and base.base_dir() and not self.missing:
            snap = base.ensure(a.kvmkit, a.guest_dir)
            self.argv = base.restore_argv(a.kvmkit, snap, restore_args)
            self.typed = (base.command_line(cmd) + "\n").encode()
        self.on_line = on_line
        self.lines = []
        self.start = None

    def run(self, timeout):
        print("command:", shlex.join(self.argv), flush=True)
        self.start = time.monotonic()
        # KVMKIT_DEBUG: kvmkit prints each NIC's packet and drop counters at exit
        p = subprocess.Popen(self.argv, stdin=subprocess.PIPE if self.typed else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=dict(os.environ, KVMKIT_DEBUG="1"))
        if self.typed:
            print(f"[{self.elapsed():7.1f}s] (typing {self.typed!r})", flush=True)
            p.stdin.write(self.typed)
            p.stdin.flush()
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        for raw in p.stdout:
            text = raw.decode(errors="replace").rstrip("\r\n")
            self.lines.append(text)
            print(f"[{self.elapsed():7.1f}s] {text}", flush=True)
            if self.on_line:
                self.on_line(text)
        rc = p.wait()
        timed_out = not timer.is_alive()
        timer.cancel()
        print(f"elapsed: {self.elapsed():.1f} s (kvmkit exit status {rc})", flush=True)
        return rc, timed_out

    def elapsed(self):
        return time.monotonic() - self.start

    def text(self):
        return "\n".join(self.lines)


def check_run(g, rc, timed_out, expects):
    failures = []
    if timed_out:
        failures.append("timed out")
    elif rc != 0:
        failures.append(f"kvmkit exited {rc}, expected 0")
    m = re.search(r"KVMKIT-CMD-END rc=(\d+)", g.text())
    if not m:
        failures.append("the guest never finished the command")
    elif m.group(1) != "0":
        failures.append(f"the command failed in the guest (rc={m.group(1)})")
    for rx in expects:
        if not re.search(rx, g.text(), re.M):
            failures.append(f"output does not match {rx!r}")
    return failures


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        print("http server:", fmt % args, flush=True)


def serve_dir(directory, host="127.0.0.1"):
    handler = lambda *h: QuietHandler(*h, directory=directory)  # noqa: E731
    srv = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def dhcp_wget(a):
    import tempfile
    with tempfile.TemporaryDirectory(prefix="kvmkit-net-") as tmp:
        data = os.urandom(256 * 1024)
        with open(os.path.join(tmp, "page.bin"), "wb") as f:
            f.write(data)
        want = hashlib.sha256(data).hexdigest()
        srv = serve_dir(tmp)
        port = srv.server_address[1]
        print(f"host: serving page.bin ({len(data)} bytes, sha256 {want}) on 127.0.0.1:{port}")
        cmd = (f"{DHCP} && wget -q -O /tmp/p http://10.0.2.2:{port}/page.bin && "
               "sha256sum /tmp/p && cat /sys/class/net/eth0/address")
        g = Guest(a, cmd, ["--net", "user"], restore_args=[])
        if g.missing:
            print(f"SKIP: {g.missing[0]} missing; build it with: bash firmware/linux/build-guest.sh")
            return SKIP
        rc, timed_out = g.run(a.timeout)
        srv.shutdown()
        failures = check_run(g, rc, timed_out, [
            r"^lease=10\.0\.2\.15/255\.255\.255\.0 gw=10\.0\.2\.2 dns=10\.0\.2\.3$",
            rf"^{want}  /tmp/p$",
            r"^02:[0-9a-f:]{14}$|^[0-9a-f][26ae]:[0-9a-f:]{14}$",
        ])
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("host: the guest got its lease and fetched the page intact")
    return 1 if failures else 0


def send_all(port, data):
    """Connects to 127.0.0.1:port, sends data, closes; returns the
    monotonic time of the connect. (sendall() returns once the data is in
    socket buffers, megabytes before the guest has it: the caller times the
    transfer up to the guest's own report.)"""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    return t0


def recv_exact(port, size):
    """Reads size bytes from 127.0.0.1:port; returns (bytes, seconds)."""
    t0 = time.monotonic()
    buf = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
        while len(buf) < size:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    return bytes(buf), time.monotonic() - t0


def transfer_through_forwards(a, size, restrict=False):
    """Boots a guest with two forwards; host -> guest (@size bytes), then
    guest -> host (the first a.back_size of them: the guest's busybox nc
    writes 1 KiB per emulated system call, ~10 KB/s on PVM hosts, so the
    full size back would take half an hour there; bench/net.py measures
    that direction). With @restrict, also checks that the guest cannot
    reach the host's 127.0.0.1 through the gateway. Returns (failures,
    timings dict)."""
    p_in, p_out = free_port(), free_port()
    data = os.urandom(size)
    want = hashlib.sha256(data).hexdigest()
    back_size = min(size, a.back_size)
    want_back = hashlib.sha256(data[:back_size]).hexdigest()
    print(f"host: {size} bytes, sha256 {want}; forwards 127.0.0.1:{p_in} -> :5000, "
          f"127.0.0.1:{p_out} -> :5001", flush=True)
    # "ready" once /proc/net/tcp lists the port (5000 = 0x1388) as LISTEN (0A)
    listening = "until grep -q ':{} 00000000:0000 0A' /proc/net/tcp; do sleep 1; done"
    # From the booted base: its NIC net1 (eth1) is restrict = on, mtu 65520.
    from_base = bool(base.base_dir()) and restrict and a.mtu == 65520
    fwds = f"tcp:127.0.0.1:{p_in}-:5000;tcp:127.0.0.1:{p_out}-:5001"
    cmd = (f"{dhcp('eth1' if from_base else 'eth0')} || exit 1; "
           "(nc -l -p 5000 </dev/null >/tmp/f; echo nc-in-done) & "
           f"{listening.format('1388')}; echo nc-in-ready; wait; sha256sum /tmp/f; "
           f"(head -c {back_size} /tmp/f | nc -l -p 5001; echo nc-out-done) & "
           f"{listening.format('1389')}; echo nc-out-ready; wait")
    srv = None
    if restrict:
        import tempfile
        tmp = tempfile.mkdtemp(prefix="kvmkit-net-")
        with open(os.path.join(tmp, "x"), "w") as f:
            f.write("reachable\n")
        srv = serve_dir(tmp)
        cmd += (f"; if wget -q -T 10 -O - http://10.0.2.2:{srv.server_address[1]}/x; "
                "then echo restrict-leaked; else echo restrict-held; fi")
    result = {}

    def on_line(text):
        try:
            if text == "nc-in-ready":
                result["in_t0"] = send_all(p_in, data)
                print(f"host: {size} bytes handed to the socket", flush=True)
            elif text == "nc-in-done" and "in_t0" in result:
                # the guest's nc exits after the last byte and the FIN
                result["in_s"] = time.monotonic() - result["in_t0"]
                print(f"host: the guest had all {size} bytes after {result['in_s']:.2f} s",
                      flush=True)
            elif text == "nc-out-ready":
                back, secs = recv_exact(p_out, back_size)
                result["out_s"] = secs
                result["back_sha"] = hashlib.sha256(back).hexdigest()
                print(f"host: received {len(back)} bytes in {secs:.2f} s, sha256 "
                      f"{result['back_sha']}", flush=True)
        except OSError as e:
            result["error"] = f"{text}: {e}"
            print(f"host: {result['error']}", flush=True)

    fwd = f"user,hostfwd=tcp:127.0.0.1:{p_in}-:5000,hostfwd=tcp:127.0.0.1:{p_out}-:5001"
    if restrict:
        fwd += ",restrict=on"
    if a.mtu:
        fwd += f",mtu={a.mtu}"
    g = Guest(a, cmd, ["--net", fwd], on_line,
              restore_args=["--set", "net.net1.hostfwd=" + fwds] if from_base else None)
    if g.missing:
        return None, g
    rc, timed_out = g.run(a.timeout)
    if srv:
        srv.shutdown()
    expects = [rf"^{want}  /tmp/f$"] + (["^restrict-held$"] if restrict else [])
    failures = check_run(g, rc, timed_out, expects)
    if "error" in result:
        failures.append(result["error"])
    if "in_s" not in result or "out_s" not in result:
        failures.append("a transfer did not complete (no nc-in-done or no data back)")
    if result.get("back_sha") != want_back:
        failures.append(f"the bytes read back from the guest have sha256 {result.get('back_sha')}")
    result["size"] = size
    result["back_size"] = back_size
    return failures, result


def hostfwd(a):
    if a.mtu is None:
        a.mtu = 65520
    failures, result = transfer_through_forwards(a, a.size, restrict=True)
    if failures is None:
        print(f"SKIP: {result.missing[0]} missing; build it with: bash firmware/linux/build-guest.sh")
        return SKIP
    for f in failures:
        print("FAIL:", f)
    if not failures:
        mib = a.size / (1 << 20)
        back = result["back_size"] / (1 << 20)
        print(f"host: intact both ways: host->guest {mib:.2f} MiB in {result['in_s']:.1f} s "
              f"({mib / result['in_s']:.2f} MiB/s), guest->host {back:.2f} MiB in "
              f"{result['out_s']:.1f} s ({back / result['out_s']:.3f} MiB/s)")
    return 1 if failures else 0


def sh(*argv, check=True):
    print("+", shlex.join(argv), flush=True)
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def tap(a):
    """A namespace holds the tap (so the host's network is untouched); kvmkit
    runs inside it. The guest gets 192.168.77.2, the namespace 192.168.77.1."""
    if not os.path.exists("/dev/net/tun"):
        print("SKIP: /dev/net/tun does not exist on this machine")
        return SKIP
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("SKIP: creating a network namespace needs root and iproute2 (ip)")
        return SKIP
    ns = f"kvmkit-tap-{os.getpid()}"
    r = sh("ip", "netns", "add", ns, check=False)
    if r.returncode != 0:
        print(f"SKIP: cannot create a network namespace: {r.stderr.strip()}")
        return SKIP
    try:
        nsx = ["ip", "netns", "exec", ns]
        r = sh(*nsx, "ip", "tuntap", "add", "dev", "ktap0", "mode", "tap", check=False)
        if r.returncode != 0:
            print(f"SKIP: cannot create a tap device in a namespace: {r.stderr.strip()}")
            return SKIP
        sh(*nsx, "ip", "addr", "add", "192.168.77.1/24", "dev", "ktap0")
        sh(*nsx, "ip", "link", "set", "ktap0", "up")
        sh(*nsx, "ip", "link", "set", "lo", "up")
        import tempfile
        with tempfile.TemporaryDirectory(prefix="kvmkit-tap-") as tmp:
            data = os.urandom(64 * 1024)
            with open(os.path.join(tmp, "page.bin"), "wb") as f:
                f.write(data)
            want = hashlib.sha256(data).hexdigest()
            srv = subprocess.Popen(nsx + [sys.executable, "-m", "http.server", "-b",
                                          "192.168.77.1", "-d", tmp, "8000"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                cmd = ("ifconfig lo up; ifconfig eth0 192.168.77.2 netmask 255.255.255.0 up && "
                       "ping -c 3 192.168.77.1 && "
                       "wget -q -O /tmp/p http://192.168.77.1:8000/page.bin && sha256sum /tmp/p")
                g = Guest(a, cmd, ["--net", f"tap,ifname=ktap0,offload={a.offload}"])
                g.argv = nsx + g.argv
                if g.missing:
                    print(f"SKIP: {g.missing[0]} missing; build it with: "
                          "bash firmware/linux/build-guest.sh")
                    return SKIP
                rc, timed_out = g.run(a.timeout)
            finally:
                srv.terminate()
                srv.wait()
        failures = check_run(g, rc, timed_out, [r"3 packets transmitted, 3 packets received",
                                                rf"^{want}  /tmp/p$"])
    finally:
        sh("ip", "netns", "del", ns, check=False)
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("host: the guest reached the namespace over the tap (ping, HTTP)")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvmkit", required=True)
    ap.add_argument("--guest-dir", default=default_guest_dir())
    ap.add_argument("--timeout", type=float, default=1500)
    ap.add_argument("--size", type=int, default=10 << 20)
    ap.add_argument("--back-size", type=int, default=256 << 10,
                    help="bytes the guest sends back (hostfwd; default 256 KiB)")
    ap.add_argument("--offload", default="on", help="tap: offload key")
    ap.add_argument("--mtu", type=int, help="hostfwd: the NIC's mtu key (default 65520: at "
                    "1500 the emulated guest kernel of PVM hosts takes tens of minutes "
                    "for 10 MiB)")
    ap.add_argument("mode", choices=["dhcp-wget", "hostfwd", "tap"])
    a = ap.parse_args()
    return {"dhcp-wget": dhcp_wget, "hostfwd": hostfwd, "tap": tap}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
