#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots one firmware payload in kvmkit and checks what it printed.

    run_payload.py --kvmkit BUILD/kvmkit [checks...] -- [kvmkit run args...]

Runs `kvmkit run [vm.conf] ARGS` with a timeout and optional stdin text,
then checks the exit code and regexes on stdout/stderr (searched per line,
re.MULTILINE, after CR-LF -> LF). Prints the exact command and the elapsed
time; on failure, the full output. Exit status: 0 pass, 1 fail, 77 skip
(meson's convention). Python standard library only.

Inputs the test needs are made in a temporary directory:
  --config SECTION.KEY=VALUE   writes vm.conf and passes it as the config file
  --serial-file                adds --serial-output file:PATH; checks with
                               --serial-file-re apply to PATH's content
  --kernel-from FILE --truncate N | --random-bytes N | --empty-kernel
                               a malformed kernel image, passed as --kernel
  --disk-image SIZE:TEXT[:ro]  a raw disk image of SIZE bytes (K/M suffixes)
                               filled with TEXT repeated, passed as
                               --disk PATH[,ro] (repeatable: disk0, disk1...);
                               --disk-expect N:OFFSET:TEXT checks image N
                               holds TEXT at byte OFFSET after the run
Host dependence (a PVM host is one where /sys/module/kvm_pvm exists):
  --pvm-host-only              skip (77) elsewhere
  --non-pvm-exit N, --non-pvm-stdout-re RE
                               on other hosts, the only checks (exit code
                               default 0); all other checks are dropped
"""
import argparse
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time

SKIP = 77
PVM_SYSFS = "/sys/module/kvm_pvm"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True, help="path to the kvmkit binary")
    p.add_argument("--name", help="test name, for the log")
    p.add_argument("--timeout", type=float, default=45.0,
                   help="seconds before kvmkit is killed (default 45)")
    p.add_argument("--stdin", default=None,
                   help="text written to kvmkit's stdin ('\\n' is a newline); "
                        "default: stdin is /dev/null")
    p.add_argument("--exit", type=int, default=0, dest="exit_code",
                   help="expected exit code (default 0)")
    p.add_argument("--stdout-re", action="append", default=[],
                   help="regex that must match stdout (repeatable)")
    p.add_argument("--stderr-re", action="append", default=[],
                   help="regex that must match stderr (repeatable)")
    p.add_argument("--stdout-utc-re", action="append", default=[],
                   help="like --stdout-re, after time.strftime() with the host's UTC "
                        "time as kvmkit started or as it ended (either may match)")
    p.add_argument("--stdout-not-re", action="append", default=[],
                   help="regex that must not match stdout (repeatable)")
    p.add_argument("--count", nargs=2, action="append", default=[],
                   metavar=("RE", "N"),
                   help="RE must match stdout exactly N times (repeatable)")
    p.add_argument("--config", action="append", default=[],
                   metavar="SECTION.KEY=VALUE",
                   help="write a vm.conf with these keys and run it")
    p.add_argument("--serial-file", action="store_true",
                   help="send serial output to a temporary file")
    p.add_argument("--serial-file-re", action="append", default=[],
                   help="regex that must match the serial output file")
    p.add_argument("--kernel-from", help="source file for a malformed kernel")
    p.add_argument("--truncate", type=int,
                   help="kernel = the first N bytes of --kernel-from")
    p.add_argument("--random-bytes", type=int,
                   help="kernel = N pseudo-random bytes (fixed seed)")
    p.add_argument("--empty-kernel", action="store_true",
                   help="kernel = an empty file")
    p.add_argument("--stderr-count", nargs=2, action="append", default=[],
                   metavar=("RE", "N"),
                   help="RE must match stderr exactly N times (repeatable)")
    p.add_argument("--disk-image", action="append", default=[],
                   metavar="SIZE:TEXT[:ro]",
                   help="make a disk image and pass it as --disk (repeatable)")
    p.add_argument("--disk-expect", action="append", default=[],
                   metavar="N:OFFSET:TEXT",
                   help="after the run, disk image N holds TEXT at OFFSET")
    p.add_argument("--pvm-host-only", action="store_true",
                   help="skip unless this is a PVM host")
    p.add_argument("--non-pvm-exit", type=int,
                   help="expected exit code on a host without kvm_pvm")
    p.add_argument("--non-pvm-stdout-re", action="append", default=None,
                   help="stdout regexes on a host without kvm_pvm")
    p.add_argument("args", nargs=argparse.REMAINDER,
                   help="-- then arguments for `kvmkit run`")
    a = p.parse_args(argv)
    if a.args and a.args[0] == "--":
        a.args = a.args[1:]
    return a


def parse_size(text):
    """'64K', '1M', '4096' -> bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1:].upper() in units:
        return int(text[:-1]) * units[text[-1:].upper()]
    return int(text)


def make_disk_image(path, size, text):
    """Writes a raw image of @size bytes: @text (bytes) repeated."""
    reps = size // len(text) + 1
    with open(path, "wb") as f:
        f.write((text * reps)[:size])


def disk_image_path(tmp, index):
    return os.path.join(tmp, f"disk{index}.img")


def make_disk_images(a, tmp):
    """--disk-image: creates the images; returns the kvmkit arguments."""
    extra = []
    for i, spec in enumerate(a.disk_image):
        size, sep, rest = spec.partition(":")
        text, ro = (rest[:-3], True) if rest.endswith(":ro") else (rest, False)
        if not sep or not text:
            sys.exit(f"run_payload: bad --disk-image {spec!r}")
        path = disk_image_path(tmp, i)
        make_disk_image(path, parse_size(size), text.encode())
        extra += ["--disk", path + (",ro" if ro else "")]
    return extra


def check_disk_images(a, tmp, errors):
    """--disk-expect: reads the images afresh after kvmkit is gone."""
    for spec in a.disk_expect:
        index, _, rest = spec.partition(":")
        offset, _, text = rest.partition(":")
        path = disk_image_path(tmp, int(index))
        with open(path, "rb") as f:
            f.seek(int(offset))
            got = f.read(len(text))
        if got != text.encode():
            errors.append(f"disk{index} at {offset}: {got!r}, expected {text!r}")


def make_inputs(a, tmp):
    """Creates the temporary files the options ask for; returns the config
    file to pass (or None) and extra kvmkit arguments."""
    extra = make_disk_images(a, tmp)
    malformed = None
    if a.truncate is not None:
        with open(a.kernel_from, "rb") as f:
            data = f.read(a.truncate)
        malformed = ("truncated-" + os.path.basename(a.kernel_from), data)
    elif a.random_bytes is not None:
        malformed = ("random.bin", random.Random(0x6b766d).randbytes(a.random_bytes))
    elif a.empty_kernel:
        malformed = ("empty.bin", b"")
    if malformed:
        path = os.path.join(tmp, malformed[0])
        with open(path, "wb") as f:
            f.write(malformed[1])
        extra += ["--kernel", path]

    serial_path = None
    if a.serial_file:
        serial_path = os.path.join(tmp, "serial.log")
        extra += ["--serial-output", "file:" + serial_path]

    conf = None
    if a.config:
        sections = {}
        for item in a.config:
            key, sep, value = item.partition("=")
            section, dot, key = key.partition(".")
            if not sep or not dot:
                sys.exit(f"run_payload: bad --config {item!r}")
            sections.setdefault(section, []).append((key, value))
        conf = os.path.join(tmp, "vm.conf")
        with open(conf, "w") as f:
            f.write("# written by tests/guest/run_payload.py\n")
            for section, keys in sections.items():
                f.write(f"[{section}]\n")
                for key, value in keys:
                    f.write(f"{key} = {value}\n")
    return conf, extra, serial_path


def check_re(what, text, patterns, errors, want=True):
    for pat in patterns:
        found = re.search(pat, text, re.MULTILINE) is not None
        if found != want:
            errors.append(f"{what}: {'no' if want else 'unexpected'} match for /{pat}/")


def check_count(what, text, pairs, errors):
    for pat, n in pairs:
        got = len(re.findall(pat, text, re.MULTILINE))
        if got != int(n):
            errors.append(f"{what}: /{pat}/ matched {got} times, expected {n}")


def main(argv):
    a = parse_args(argv)
    name = a.name or "guest test"
    pvm_host = os.path.exists(PVM_SYSFS)
    if a.pvm_host_only and not pvm_host:
        print(f"{name}: SKIP: {PVM_SYSFS} does not exist; the emulation failures "
              "this test provokes only happen on a PVM host")
        return SKIP
    if not pvm_host and (a.non_pvm_exit is not None or a.non_pvm_stdout_re is not None):
        # Another host, another outcome: its checks replace all the others.
        a.exit_code = a.non_pvm_exit if a.non_pvm_exit is not None else 0
        a.stdout_re = a.non_pvm_stdout_re or []
        a.stdout_not_re, a.stderr_re, a.count = [], [], []

    with tempfile.TemporaryDirectory(prefix="kvmkit-guest-") as tmp:
        conf, extra, serial_path = make_inputs(a, tmp)
        cmd = [a.kvmkit, "run"] + ([conf] if conf else []) + a.args + extra
        print("running:", shlex.join(cmd))
        if conf:
            with open(conf) as f:
                print(f"vm.conf:\n{f.read()}", end="")
        stdin_text = a.stdin.replace("\\n", "\n") if a.stdin is not None else None
        start = time.monotonic()
        utc_start = time.gmtime()
        timed_out = False
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin_text is not None
                                else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(
                stdin_text.encode() if stdin_text is not None else None, timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            proc.kill()
            out, err = proc.communicate()
        elapsed = time.monotonic() - start
        stdout = out.decode(errors="replace").replace("\r\n", "\n")
        stderr = err.decode(errors="replace").replace("\r\n", "\n")
        serial = None
        if serial_path is not None and os.path.exists(serial_path):
            with open(serial_path, "rb") as f:
                serial = f.read().decode(errors="replace").replace("\r\n", "\n")
        disk_errors = []
        check_disk_images(a, tmp, disk_errors)

    rc = proc.returncode
    print(f"exit code {rc}, {elapsed:.3f} s")
    errors = disk_errors
    if timed_out:
        errors.append(f"timed out after {a.timeout:g} s (killed)")
    elif rc < 0 or rc >= 128:
        errors.append(f"kvmkit crashed or was killed (exit code {rc})")
    elif rc != a.exit_code:
        errors.append(f"exit code {rc}, expected {a.exit_code}")
    check_re("stdout", stdout, a.stdout_re, errors)
    utc_end = time.gmtime()
    for pat in a.stdout_utc_re:
        pats = {time.strftime(pat, utc_start), time.strftime(pat, utc_end)}
        if not any(re.search(p, stdout, re.MULTILINE) for p in pats):
            errors.append(f"stdout: no match for /{' or '.join(sorted(pats))}/")
    check_re("stdout", stdout, a.stdout_not_re, errors, want=False)
    check_re("stderr", stderr, a.stderr_re, errors)
    check_count("stdout", stdout, a.count, errors)
    check_count("stderr", stderr, a.stderr_count, errors)
    if a.serial_file:
        if serial is None:
            errors.append("serial output file was not created")
        else:
            check_re("serial file", serial, a.serial_file_re, errors)

    if not errors:
        print(f"{name}: PASS")
        return 0
    print(f"{name}: FAIL")
    for e in errors:
        print("  " + e)
    print("---- stdout ----\n" + stdout, end="" if stdout.endswith("\n") else "\n")
    print("---- stderr ----\n" + stderr, end="" if stderr.endswith("\n") else "\n")
    if serial is not None:
        print("---- serial file ----\n" + serial, end="" if serial.endswith("\n") else "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
