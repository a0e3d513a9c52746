#!/bin/bash
# The whole test suite: installs dependencies, builds kvmkit with warnings
# as errors, builds (or reuses) the Linux test guest, and runs every tier:
#   unit + fuzz   on this machine (no KVM needed);
#   guest, linux  where KVM is: directly where /dev/kvm works, else inside
#                 the nested KVM test host (tests/testhost/, docs/testing.md).
# KVMKIT_TEST_HOST=auto|direct|nested forces where the KVM tiers run
# (auto: guest directly on any working KVM; linux directly on VMX/SVM, in
# the test host on PVM, where it is ~10x faster, and where KVM is missing).
# Ends with "N passed, N failed, N skipped" and where each tier ran.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
BUILD=${KVMKIT_BUILD_DIR:-build-test}
MODE=${KVMKIT_TEST_HOST:-auto}
case $MODE in auto|direct|nested) ;; *)
    echo "run-all: KVMKIT_TEST_HOST must be auto, direct or nested, not \"$MODE\"" >&2; exit 2 ;;
esac

echo "== dependencies"
bash tests/install-deps.sh

# -Dtest_hooks=true: the hidden control commands of the security tests
# (tests/guest/security_test.py); release builds leave it off.
echo "== build ($BUILD)"
if [ -d "$BUILD" ]; then
    meson setup --reconfigure -Dwerror=true -Dtest_hooks=true "$BUILD" >/dev/null
else
    meson setup -Dwerror=true -Dtest_hooks=true "$BUILD" >/dev/null
fi
ninja -C "$BUILD"

echo "== test guest (Linux kernel + initramfs, cached)"
bash firmware/linux/build-guest.sh
# Debian's cloud kernel for linux-stock-kernel, fetched here: the test host
# has no network.
python3 tests/linux/stock_kernel.py --fetch

{ read -r kind; read -r why; } < <(python3 tests/testhost/probe)
echo "== KVM here: $kind ($why)"
where_guest=direct where_linux=direct
case $MODE in
    nested) where_guest=nested where_linux=nested ;;
    auto)
        [ "$kind" = none ] && where_guest=nested
        [ "$kind" = hw ] || where_linux=nested ;;
esac
if [ "$where_guest" = nested ] || [ "$where_linux" = nested ]; then
    echo "== test host (Debian kernel + initramfs for QEMU, cached)"
    bash tests/testhost/build.sh
fi

rc=0
# run_tier NAME WHERE MESON-TEST-ARGS...: one meson test run, its own log.
run_tier() {
    local name=$1 where=$2; shift 2
    local extra=()
    if [ "$where" = nested ]; then
        # Every test boots its own test host (~5-10 s): a stuck one is
        # killed with its test and cannot take the others down.
        extra=(--wrapper "$PWD/tests/testhost/run" --timeout-multiplier "$NESTED_MULT")
    fi
    echo "== tests: $name ($where)"
    local t0=$(date +%s)
    meson test -C "$BUILD" --print-errorlogs --logbase "tier-$name" "${extra[@]}" "$@" \
        ${KVMKIT_TEST_ARGS:-} || rc=1
    echo "$name $where $(( $(date +%s) - t0 ))" >>"$BUILD/meson-logs/tiers.txt"
}
rm -f "$BUILD/meson-logs/tiers.txt" "$BUILD/meson-logs/testhost-events.txt" "$BUILD"/meson-logs/tier-*
export KVMKIT_TESTHOST_EVENTS=$PWD/$BUILD/meson-logs/testhost-events.txt
run_tier unit direct --suite unit --suite fuzz
# A test host's boot and TCG add seconds to each guest test: double their
# time limit. The Linux tests' limits are sized for PVM hosts (20-30 min),
# far above their 10-60 s in the test host; the test host gets 10 min.
NESTED_MULT=2 run_tier guest "$where_guest" --suite guest --no-suite pvm
if [ "$kind" = pvm ] || [ "$where_guest" = direct ]; then
    # The PVM quirk tests run on PVM KVM itself wherever it exists.
    run_tier pvm direct --suite pvm
else
    NESTED_MULT=2 run_tier pvm "$where_guest" --suite pvm
fi
KVMKIT_TESTHOST_TIMEOUT=600 NESTED_MULT=1 run_tier linux "$where_linux" --suite linux

# meson names each log after --logbase, plus "-run" with the test host's
# wrapper: every tier-*.json of this run.
python3 - "$BUILD/meson-logs/testhost-events.txt" "$BUILD/meson-logs/tiers.txt" \
    "$BUILD"/meson-logs/tier-*.json <<'PY'
import json, os, sys
events, tiers, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0}
for path in logs:
    try:
        lines = open(path).readlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)
        counts[r["result"]] = counts.get(r["result"], 0) + 1
        if r["result"] == "SKIP":
            out = (r.get("stdout") or "").strip().splitlines()
            print(f"skipped: {r['name']}: {out[-1] if out else ''}")
for line in open(tiers):
    name, where, secs = line.split()
    where = "in the nested test host" if where == "nested" else "directly on this machine"
    print(f"tier {name}: {where}, {secs} s")
if os.path.exists(events):
    for line in open(events):
        print(f"test host: {line.rstrip()}")
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"{passed} passed, {failed} failed, {counts['SKIP']} skipped")
PY
echo "total time: $(( $(date +%s) - start )) s"
exit $rc
