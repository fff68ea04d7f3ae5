#!/bin/sh
# Build the libFuzzer targets (clang, ASan+UBSan) into build-fuzz and run
# each for a while over its seeds.
#
#     scripts/fuzz.sh [--keep] [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET names (fuzz_size or size) pick
# some of tests/fuzz/fuzz_*.c, default all, run one after the other with one
# worker each. Inputs come from tests/fuzz/corpus/<target>/ and
# tests/fuzz/regressions/<target>/; new interesting inputs go to a scratch
# directory that is removed afterwards, or with --keep into the corpus
# directory (then minimise before committing: see tests/fuzz/README.md).
# A crash, leak, timeout or failed property leaves its input under
# build-fuzz/artifacts/<target>/ and makes the script exit 1 after every
# target has run. FUZZ_SEED=N fixes libFuzzer's random seed, so a run is
# the same walk over the same inputs each time (scripts/test.sh does that:
# a submission's CI fails for a bug it brings, not for one a lucky walk
# found in old code; a random walk finds those in longer runs of this
# script, which leave FUZZ_SEED unset). Prints per target: executions, exec/s, coverage
# (cov = edges, ft = features) and the result.
set -eu
cd "$(dirname "$0")/.."

keep=0
if [ "${1:-}" = "--keep" ]; then
    keep=1
    shift
fi
seconds=60
case "${1:-}" in
    ''|*[!0-9]*) ;;
    *) seconds=$1; shift ;;
esac

command -v clang >/dev/null 2>&1 || { echo "fuzz.sh: clang not found (scripts/deps.sh installs it)" >&2; exit 2; }
# One configure per tree; the flags are fixed, so a re-run only rebuilds.
if [ ! -f build-fuzz/CMakeCache.txt ]; then
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DLADDER_FUZZ=ON -DLADDER_BUILD_TESTS=OFF -DLADDER_WERROR=ON >/dev/null
fi
cmake --build build-fuzz -j"${FUZZ_BUILD_JOBS:-2}" --target fuzz_targets >/dev/null

if [ $# -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        src=${src##*/}
        set -- "$@" "${src%.c}"
    done
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ladder-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
failed=""
printf '%-22s %6s %12s %9s %6s %7s  %s\n' target seconds executions exec/s cov ft result
for t in "$@"; do
    case "$t" in fuzz_*) ;; *) t="fuzz_$t" ;; esac
    bin="build-fuzz/tests/fuzz/$t"
    [ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
    corpus="tests/fuzz/corpus/$t"
    regressions="tests/fuzz/regressions/$t"
    artifacts="build-fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    if [ $keep -eq 1 ]; then
        out="$corpus"
        dirs=""
    else
        out="$scratch/$t"
        mkdir -p "$out"
        dirs="$corpus"
    fi
    [ -d "$regressions" ] && dirs="$dirs $regressions"
    # The probe target runs FFmpeg's demuxers over garbage: some scan a long
    # way, so one input gets 3 s before it counts as a hang (and 16 KB at
    # most, the size of the seeds' files and then some).
    limits="-timeout=10"
    [ "$t" = fuzz_media_probe ] && limits="-timeout=3 -max_len=16384"
    limits="$limits${FUZZ_SEED:+ -seed=$FUZZ_SEED}"
    log="$scratch/$t.log"
    rc=0
    # shellcheck disable=SC2086
    ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
        "$bin" -max_total_time="$seconds" $limits -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$out" $dirs >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ $rc -eq 0 ]; then
        result=ok
    else
        failed="$failed $t"
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        result="FAILED (exit $rc): ${artifact:-see log}"
        cp "$log" "$artifacts/last-failure.log"
    fi
    printf '%-22s %6s %12s %9s %6s %7s  %s\n' "$t" "$seconds" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$result"
    if [ $rc -ne 0 ]; then
        grep -E 'ERROR: |SUMMARY: |property failed|runtime error' "$log" | head -n 5 | sed 's/^/    /'
        echo "    log: $artifacts/last-failure.log; reproduce: $bin ${artifact:-INPUT}"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz.sh: failed:$failed (keep each reproducer under tests/fuzz/regressions/<target>/)" >&2
    exit 1
fi
