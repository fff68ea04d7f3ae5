#!/bin/sh
# Make a sample clip with FFmpeg's test sources: 1080p 29.97 fps H.264 with
# stereo AAC, moving picture and a tone, so every rung has real work to do.
# Usage: samples/make-sample.sh OUT.mp4 [SECONDS]
set -eu
out="${1:-samples/out/sample.mp4}"
seconds="${2:-10}"
mkdir -p "$(dirname "$out")"
ffmpeg -v error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30000/1001:duration=$seconds" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
    -filter_complex "[1:a]aformat=channel_layouts=stereo[a]" -map 0:v -map "[a]" \
    -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -movflags +faststart "$out"
echo "sample: $out ($seconds s, 1920x1080, 29.97 fps, H.264 + AAC)"
