#!/bin/sh
# Serve a ladder output directory with a preview page that plays its HLS
# (hls.js) and DASH (dash.js) with a level menu: samples/serve.sh OUTDIR [PORT]
# PORT defaults to 8080; 0 takes any free port. The URL is printed.
exec node "$(dirname "$0")/serve.mjs" "$@"
