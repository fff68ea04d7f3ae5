#!/bin/sh
# Set everything up and run every test: unit tests and end-to-end tests on
# the normal build, then the whole suite again under AddressSanitizer+UBSan,
# then a short libFuzzer run of every fuzz target (clang).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build
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
