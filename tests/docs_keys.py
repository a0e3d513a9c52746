#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/config.md documents every config key kvmkit has, and no other.

    docs_keys.py --kvmkit BUILD/kvmkit --doc docs/config.md

Reads the keys from `kvmkit run --help-keys` (the key table in
vmm/config/schema.c) and the rows "| `[section]` | `key` |" of the doc's key
table (`[disk "NAME"]` for a named section), and fails listing what one
has and the other lacks. Also checks each row's default against the one
--help-keys prints. Exit 0 pass, 1 fail.
"""
import argparse
import re
import subprocess
import sys


def keys_from_help(kvmkit):
    out = subprocess.run([kvmkit, "run", "--help-keys"], capture_output=True, text=True,
                         check=True).stdout
    keys, section = {}, None
    for line in out.splitlines():
        m = re.match(r"\[(\w+)( \"NAME\")?\]", line)
        if m:
            section = m.group(1) + (' "NAME"' if m.group(2) else "")
            continue
        m = re.match(r"  ([\w-]+) =(?: (.*))?$", line)
        if m and section:
            keys[(section, m.group(1))] = (m.group(2) or "").strip()
    return keys


def keys_from_doc(path):
    keys = {}
    with open(path) as f:
        for line in f:
            # Columns: section, key, type, default, meaning; "\|" is a
            # pipe inside a cell.
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)]
            if len(cells) < 6:
                continue
            ms, mk = re.fullmatch(r"`\[(.+)\]`", cells[1]), re.fullmatch(r"`([\w-]+)`", cells[2])
            if ms and mk:
                keys[(ms.group(1), mk.group(1))] = cells[4]
    return keys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kvmkit", required=True)
    p.add_argument("--doc", required=True)
    a = p.parse_args()
    code, doc = keys_from_help(a.kvmkit), keys_from_doc(a.doc)
    errors = []
    for k in sorted(set(code) - set(doc)):
        errors.append(f"[{k[0]}] {k[1]}: a key of kvmkit's, missing from {a.doc}")
    for k in sorted(set(doc) - set(code)):
        errors.append(f"[{k[0]}] {k[1]}: in {a.doc}, not a key of kvmkit's")
    for k in sorted(set(code) & set(doc)):
        want = code[k]
        # The doc writes a default as `VALUE`, or "none" for no default.
        if want and f"`{want}`" not in doc[k]:
            errors.append(f"[{k[0]}] {k[1]}: default {want!r} in kvmkit, {doc[k]!r} in {a.doc}")
    print(f"{len(code)} keys in kvmkit, {len(doc)} rows in {a.doc}")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
