#!/bin/sh
# Serve a ladder output directory with an hls.js player: samples/serve.sh OUTDIR [PORT]
exec node "$(dirname "$0")/serve.mjs" "$@"
