#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seccomp, privilege drop, jail and limits, checked from outside kvmkit.

    security_test.py --kvmkit BUILD/kvmkit --payload smp.elf CASE

kvmkit must be built with -Dtest_hooks=true (hidden control commands,
vmm/control/test_hooks.h). The smp payload in counter mode keeps the VM busy.

  kill-main, kill-io, kill-vcpu
           that thread issues a system call outside its allowlist: kvmkit
           must die of SIGSYS (returncode -31), and the kernel's audit line
           (dmesg, when readable) names the system call.
  kill-jailed
           kill-vcpu as nobody in a pid namespace: the supervisor process
           outside dies of the same SIGSYS.
  seccomp-off
           the same request with [security] seccomp = off: kvmkit lives on
           (and warned at start-up).
  jail     as root: user = nobody, chroot into an empty directory,
           namespaces = mount,pid,net,ipc,uts, and the limits below where
           the host can apply them: /proc/PID/status of the VMM
           (the supervisor's child) shows uid 65534, Seccomp: 2,
           NoNewPrivs: 1 and no capabilities on every thread; a file outside
           the jail cannot be opened (ENOENT/EACCES), one inside can; the VM
           stops cleanly.
  limits   [limits] cpu = 0.5 and memory = 256M: the cgroup's cpu.max and
           memory.max hold them while the VM runs, and the group is gone
           after. Where the host has no cgroup v2 cpu/memory controller,
           skipped (77) and limits-refused runs instead.
  limits-refused
           on such a host, kvmkit must refuse to start (exit 1, a message
           naming [limits]) instead of running unlimited; skipped where the
           limits can be applied.

Exit 0 pass, 1 fail, 77 skip (the reason is printed).
"""
import argparse
import errno
import json
import os
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snapshot_test import (Fail, Kvmkit, counts, ctl, log, read,  # noqa: E402
                           run_in_tmp, wait_for)

SIGSYS = 31


class Skip(Exception):
    pass


def request(sock, obj):
    """One raw JSON request (the hidden commands have no `kvmkit ctl` verb)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall((json.dumps(obj) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    log(f"  {json.dumps(obj)} -> {buf.decode().strip() or '(no reply)'}")
    return json.loads(buf) if buf.strip() else None


def boot(a, tmp, extra=(), name="vm"):
    sock = os.path.join(tmp, "ctl.sock")
    vm = Kvmkit(a, tmp, name, ["run", "--kernel", a.payload, "--append", "counter",
                               "--memory", "64M", "--control", sock] + list(extra))
    wait_for(lambda: len(counts(vm.text()).get(0, [])) >= 3 or vm.proc.poll() is not None,
             60, "the guest to count")
    if vm.proc.poll() is not None:
        raise Fail(f"kvmkit exited with {vm.proc.returncode}: {vm.stderr()}")
    return vm, sock


def disk(tmp):
    path = os.path.join(tmp, "disk.img")
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    return path


def audit_line(pid):
    r = subprocess.run(["dmesg"], capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if "type=1326" in l and f"pid={pid}" in l]
    return lines[-1] if lines else None


def case_kill(a, tmp, thread, jailed=False):
    extra = ["--disk", disk(tmp)] if thread == "io" else []
    if jailed:
        if os.geteuid() != 0:
            raise Skip("needs root (kvmkit starts as root to build the jail)")
        os.mkdir(os.path.join(tmp, "jail"))
        extra += ["--set", "security.user=nobody", "--set", "security.namespaces=pid,mount",
                  "--set", "security.chroot=" + os.path.join(tmp, "jail")]
    vm, sock = boot(a, tmp, extra)
    pid = vmm_pid(vm.proc.pid) if jailed else vm.proc.pid   # the audit line names the VMM
    try:
        request(sock, {"cmd": "test-forbidden-syscall", "thread": thread})
    except (ConnectionError, json.JSONDecodeError, socket.timeout):
        pass   # main: killed before it replied
    try:
        vm.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        vm.kill()
        raise Fail(f"kvmkit still ran 20 s after the {thread} thread's forbidden call")
    if vm.proc.returncode != -SIGSYS:
        raise Fail(f"expected death by SIGSYS (-31), got {vm.proc.returncode}: {vm.stderr()}")
    log(f"kvmkit died of SIGSYS ({thread} thread)")
    line = audit_line(pid)
    log(f"audit: {line}" if line else "(no audit line readable in dmesg here)")
    if line and "syscall=101" not in line:   # ptrace on x86-64
        raise Fail(f"the audit line names another system call: {line}")


def case_seccomp_off(a, tmp):
    vm, sock = boot(a, tmp, ["--set", "security.seccomp=off"])
    r = request(sock, {"cmd": "test-forbidden-syscall", "thread": "main"})
    if not r or not r.get("ok") or r.get("errno") != errno.ESRCH:
        raise Fail(f"expected ok with errno ESRCH, got {r}")
    request(sock, {"cmd": "test-forbidden-syscall", "thread": "vcpu"})
    n = len(counts(vm.text())[0])
    wait_for(lambda: len(counts(vm.text())[0]) > n + 3, 20, "the guest to go on counting")
    if vm.proc.poll() is not None:
        raise Fail(f"kvmkit exited: {vm.proc.returncode}")
    if not re.search(r"seccomp = off", vm.stderr()):
        raise Fail(f"no warning about seccomp = off: {vm.stderr()}")
    ctl(a, sock, "stop")
    vm.proc.wait(timeout=20)
    log(f"alive with seccomp = off; stopped with {vm.proc.returncode}")


def status_fields(pid):
    out = {}
    for line in read(f"/proc/{pid}/status").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.split()
    return out


def vmm_pid(supervisor):
    """The supervisor's only child: the process that runs the VM."""
    path = f"/proc/{supervisor}/task/{supervisor}/children"
    wait_for(lambda: read(path).split(), 10, "the supervisor's child")
    return int(read(path).split()[0])


def case_jail(a, tmp):
    if os.geteuid() != 0:
        raise Skip("needs root (kvmkit starts as root to build the jail)")
    jail = os.path.join(tmp, "jail")
    os.mkdir(jail)
    os.chmod(tmp, 0o755)
    with open(os.path.join(jail, "inside.txt"), "w") as f:
        f.write("in the jail\n")
    os.chmod(os.path.join(jail, "inside.txt"), 0o644)
    no_limits = cgroup_v2_limits_possible()
    if no_limits:
        log(f"(without [limits]: {no_limits}; see the limits-refused case)")
    vm, sock = boot(a, tmp, ["--set", "security.user=nobody", "--set", "security.chroot=" + jail,
                             "--set", "security.namespaces=mount,pid,net,ipc,uts",
                             "--disk", disk(tmp)] + ([] if no_limits else LIMITS))
    pid = vmm_pid(vm.proc.pid)
    log(f"supervisor pid {vm.proc.pid}, VMM pid {pid}")
    group = None if no_limits else check_limits(pid)
    tids = os.listdir(f"/proc/{pid}/task")
    for tid in tids:
        st = status_fields(f"{pid}/task/{tid}")
        name = read(f"/proc/{pid}/task/{tid}/comm").strip()
        log(f"  thread {tid} {name}: Uid {st['Uid']} Gid {st['Gid']} Seccomp {st['Seccomp']} "
            f"NoNewPrivs {st['NoNewPrivs']} CapEff {st['CapEff']} CapBnd {st['CapBnd']}")
        if st["Uid"] != ["65534"] * 4 or st["Gid"] != ["65534"] * 4:
            raise Fail(f"thread {name}: not uid/gid 65534")
        if st["Seccomp"] != ["2"] or st["NoNewPrivs"] != ["1"]:
            raise Fail(f"thread {name}: not filtered (Seccomp {st['Seccomp']})")
        if any(int(st[k][0], 16) for k in ("CapEff", "CapPrm", "CapBnd")):
            raise Fail(f"thread {name}: capabilities left")
        if st["Groups"]:
            raise Fail(f"thread {name}: supplementary groups {st['Groups']}")
    if len(tids) < 3:
        raise Fail(f"expected main, vCPU and I/O threads, found {len(tids)}")
    for ns in ("mnt", "pid", "net", "ipc", "uts"):
        if os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}"):
            raise Fail(f"the VMM shares the host's {ns} namespace")
    r = request(sock, {"cmd": "test-open", "path": "/etc/hostname"})
    if not r or r.get("errno") not in (errno.ENOENT, errno.EACCES):
        raise Fail(f"the VMM could open /etc/hostname (outside the jail): {r}")
    r = request(sock, {"cmd": "test-open", "path": "/inside.txt"})
    if not r or r.get("errno") != 0:
        raise Fail(f"the VMM cannot open /inside.txt in the jail: {r}")
    ctl(a, sock, "stop")
    vm.proc.wait(timeout=20)
    if vm.proc.returncode != 0:
        raise Fail(f"kvmkit exited with {vm.proc.returncode}: {vm.stderr()}")
    if group and os.path.exists(group):
        raise Fail(f"{group} was left behind")
    log("jailed VM ran and stopped cleanly")


def cgroup_v2_limits_possible():
    """None if this host can apply cpu and memory limits, else why not."""
    mnt = None
    for line in read("/proc/self/mountinfo").splitlines():
        if " - cgroup2 " in line:
            mnt = line.split()[4]
    if not mnt:
        return "no cgroup v2 file system is mounted"
    own = next((l[3:] for l in read("/proc/self/cgroup").splitlines() if l.startswith("0::")),
               None)
    if own is None:
        return "not in a cgroup v2 group"
    ctrl = read(os.path.join(mnt + own, "cgroup.controllers")).split()
    if "cpu" not in ctrl or "memory" not in ctrl:
        return f"cgroup v2 at {mnt} offers only {ctrl} (cpu/memory are on cgroup v1 here)"
    return None


LIMITS = ["--set", "limits.cpu=0.5", "--set", "limits.memory=256M"]


def check_limits(pid):
    """The cgroup v2 directory of @pid, after checking it holds LIMITS."""
    group = next(l[3:] for l in read(f"/proc/{pid}/cgroup").splitlines() if l.startswith("0::"))
    mnt = next(l.split()[4] for l in read("/proc/self/mountinfo").splitlines()
               if " - cgroup2 " in l)
    d = mnt + group
    cpu, mem = read(os.path.join(d, "cpu.max")).strip(), read(os.path.join(d, "memory.max")).strip()
    log(f"cgroup {d}: cpu.max {cpu!r}, memory.max {mem!r}")
    if not re.search(r"kvmkit-\S+-\d+$", d) or cpu != "50000 100000" or mem != str(256 << 20):
        raise Fail("the VMM's cgroup does not hold the limits")
    return d


def case_limits(a, tmp):
    why = cgroup_v2_limits_possible()
    if why:
        raise Skip(f"cannot apply limits on this host: {why}")
    vm, sock = boot(a, tmp, LIMITS)
    d = check_limits(vmm_pid(vm.proc.pid))
    ctl(a, sock, "stop")
    vm.proc.wait(timeout=20)
    if os.path.exists(d):
        raise Fail(f"{d} was left behind")


def case_limits_refused(a, tmp):
    why = cgroup_v2_limits_possible()
    if not why:
        raise Skip("this host can apply the limits: see the limits case")
    log(f"this host cannot apply limits: {why}")
    cmd = [a.kvmkit, "run", "--kernel", a.payload, "--append", "counter",
           "--serial-output", "none", "--set", "serial.input=none",
           "--set", "limits.cpu=1.5", "--set", "limits.memory=600M"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    log(f"$ {' '.join(cmd)}\n  -> rc={r.returncode} {r.stderr.strip()}")
    if r.returncode != 1 or "[limits]" not in r.stderr:
        raise Fail("expected a refusal naming [limits] with exit 1")


CASES = {
    "kill-main": lambda a, t: case_kill(a, t, "main"),
    "kill-io": lambda a, t: case_kill(a, t, "io"),
    "kill-vcpu": lambda a, t: case_kill(a, t, "vcpu"),
    "kill-jailed": lambda a, t: case_kill(a, t, "vcpu", jailed=True),
    "seccomp-off": case_seccomp_off,
    "jail": case_jail,
    "limits": case_limits,
    "limits-refused": case_limits_refused,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True)
    p.add_argument("--payload", required=True)
    p.add_argument("case", choices=sorted(CASES))
    a = p.parse_args()
    return run_in_tmp("kvmkit-sec-", lambda tmp: CASES[a.case](a, tmp), a.case, skip=Skip)


if __name__ == "__main__":
    sys.exit(main())
