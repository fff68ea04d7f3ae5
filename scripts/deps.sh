#!/bin/sh
# Install what ladder needs to build and test on Debian 12, if missing.
# Idempotent: a machine that already has everything is left alone.
set -eu

PACKAGES="build-essential cmake pkg-config ffmpeg libavcodec-dev libavformat-dev
libavfilter-dev libswscale-dev libswresample-dev libavutil-dev libjson-c-dev
libcmocka-dev libxml2-dev libxml2-utils chromium libffmpeg-nvenc-dev libvpl-dev
redis-server valgrind clang libclang-rt-14-dev tmux"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# Test-time JavaScript: playwright-core drives Debian's Chromium, hls.js and
# dash.js play.
if [ -f tests/e2e/package-lock.json ]; then
    if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
        npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
        touch tests/e2e/node_modules
    fi
fi

# The BullMQ worker adapter: bullmq (with ioredis) and prom-client; its tests
# start their own redis-server. Not `npm ci`: msgpackr (under bullmq) lists
# prebuilt binaries for other platforms as optional dependencies, the
# registry this project uses does not carry them, so the lock file cannot
# name them and `npm ci` refuses it as out of sync. `npm install` with
# --no-save installs exactly the locked versions it can and writes nothing.
if [ -f adapters/bullmq/package-lock.json ]; then
    if [ ! -d adapters/bullmq/node_modules ] || [ adapters/bullmq/package-lock.json -nt adapters/bullmq/node_modules ]; then
        npm install --prefix adapters/bullmq --no-save --no-audit --no-fund --loglevel=error
        touch adapters/bullmq/node_modules
    fi
fi
