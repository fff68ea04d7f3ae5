#!/bin/sh
# Set everything up and run every test: unit tests and end-to-end tests on
# the normal build, then the whole suite again under AddressSanitizer+UBSan,
# then a short libFuzzer run of every fuzz target (clang). Every build makes
# warnings errors (scripts/build.sh), and Release is built (not run) with
# gcc and with clang too.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build
# What a packager runs, a Release configure (-O3, NDEBUG), built with gcc
# and with clang, here with warnings as errors, nothing run: gcc's -O3-only
# warnings (format-truncation, stringop-*) and clang's own fail here, in a
# minute or two, instead of in someone's package build. One after the
# other and before the tests, so they share the cores with nothing else.
for cc in gcc clang; do
    t0=$(date +%s)
    CC=$cc ./scripts/build.sh "build-release-$cc" -DCMAKE_BUILD_TYPE=Release >/dev/null
    echo "test.sh: Release build with $cc: $(($(date +%s) - t0)) s"
done
(cd build && ctest --output-on-failure -j2)
./scripts/build.sh build-asan -DLADDER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
# Leak checks stay on; the sanitized e2e run is slower but sees the same code.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j2)
# Every kept fuzz input was replayed above (ctest fuzz.replay.*); this
# looks for new ones: 12 s per target keeps it, with the clang build, under
# six minutes on two cores. Any crash or failed property fails the run.
# The seed is fixed so the run is reproducible; longer random runs are
# scripts/fuzz.sh alone (tests/fuzz/README.md).
FUZZ_SEED="${LADDER_FUZZ_SEED:-20261124}" ./scripts/fuzz.sh "${LADDER_FUZZ_SECONDS:-12}"
echo "test.sh: all tests passed"
