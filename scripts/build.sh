#!/bin/sh
# Configure and build into a directory (default: build). Extra args go to cmake
# (after ours, so they win: -DCMAKE_BUILD_TYPE=Release, -DLADDER_WERROR=OFF).
# Developers' and CI's builds make warnings errors (LADDER_WERROR); a plain
# cmake configure, as a packager runs it, leaves them warnings.
set -eu
dir="${1:-build}"
[ $# -gt 0 ] && shift
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLADDER_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
