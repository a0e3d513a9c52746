#!/bin/bash
# Builds the libFuzzer targets with clang (ASan + UBSan, both fatal) in a
# build dir of their own and runs each for a bounded time over a copy of its
# seed corpus (tests/fuzz/corpus/NAME/). Fails on any crash, leak, sanitizer
# report or hang; a crashing input is left in $KVMKIT_FUZZ_BUILD/artifacts/.
#
#   tests/fuzz/run.sh [NAME...]        default: every target
#   KVMKIT_FUZZ_SECONDS=600            fuzzing time per target (default 60)
#   KVMKIT_FUZZ_BUILD=dir              the clang build dir (default build-fuzz)
#
# Exits 77 (meson's "skipped") when clang or libFuzzer is not installed.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${KVMKIT_FUZZ_BUILD:-$src/build-fuzz}
seconds=${KVMKIT_FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(virtq_blk)

if ! command -v clang >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; return (int)n * 0; }' |
     clang -x c -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
    echo "skip: clang with libFuzzer not installed (tests/install-deps.sh installs it)"
    exit 77
fi

echo "== fuzz: building in $build"
if [ ! -f "$build/build.ninja" ]; then
    rm -rf "$build"
    CC=clang meson setup -Dfuzz=true "$build" "$src" >/dev/null
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}" | tail -1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/artifacts"
corpus=
trap 'rm -rf "$corpus"' EXIT
rc=0
for name in "${targets[@]}"; do
    corpus=$(mktemp -d)
    cp "$src/tests/fuzz/corpus/$name"/* "$corpus/"
    echo "== fuzz: $name for $seconds s over $(ls "$corpus" | wc -l) seed inputs"
    # -timeout: one input running for 10 s is a hang, and a failure.
    set +e
    "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$name-" "$corpus" 2>&1
    status=$?
    set -e
    rm -rf "$corpus"
    if [ "$status" -ne 0 ]; then
        echo "FAIL: fuzz_$name exited $status; the input is in $build/artifacts/"
        rc=1
    else
        echo "ok: fuzz_$name"
    fi
done
exit $rc
