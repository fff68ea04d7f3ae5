#!/bin/sh
# valgrind memcheck on ladder for three hostile-corpus inputs: one valid,
# one truncated, one bit-flipped (ctest valgrind.hostile, normal build only:
# valgrind and ASan do not mix). Any memcheck error or definite/possible
# leak fails the test (exit 99 from valgrind).
#   tests/hostile/valgrind.sh LADDER_BIN [PRELOAD.so]
# PRELOAD: valgrind_hwy_shim (see valgrind_hwy_shim.c), built by CMake.
set -eu
bin="$1"
preload="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind.hostile: SKIPPED: valgrind is not installed (scripts/deps.sh installs it)"
    exit 0
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/ladder-valgrind-XXXXXX")"
trap 'rm -rf "$work"' EXIT INT TERM
node "$here/make_corpus.mjs" "$work/corpus" >/dev/null
status=0
for case in base.mp4:0 truncated-50pct.mp4:4 bitflip-mdat-200.mp4:0; do
    name="${case%%:*}"
    want="${case##*:}"
    set +e
    # One slot and no helpers: the same code paths, less valgrind time.
    LD_PRELOAD="$preload" valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible \
        --log-file="$work/$name.vg" \
        "$bin" encode "$work/corpus/$name" -o "$work/out-$name" --rung 160x90:150k --preset ultrafast \
        --devices cpu:1 --no-helpers --progress none -q 2>"$work/$name.err"
    rc=$?
    set -e
    echo "valgrind.hostile: $name: exit $rc (expected $want)"
    if [ "$rc" != "$want" ]; then
        status=1
        cat "$work/$name.err"
        grep -A40 "ERROR SUMMARY\|definitely lost\|Invalid\|uninitialised" "$work/$name.vg" | head -120
    fi
done
exit $status
