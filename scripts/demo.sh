#!/bin/sh
# Set everything up, make a sample clip and encode a real ladder from it.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build -DLADDER_WERROR=OFF   # a user's build: warnings stay warnings
./samples/make-sample.sh samples/out/sample.mp4
rm -rf samples/out/ladder
./build/ladder encode samples/out/sample.mp4 -o samples/out/ladder --ladder samples/ladders/default.json
echo
echo "Output: $(pwd)/samples/out/ladder/master.m3u8"
echo "Play it: ./samples/serve.sh samples/out/ladder   (then open the printed URL)"
