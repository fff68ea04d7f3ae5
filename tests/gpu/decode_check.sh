#!/bin/sh
# NVDEC + CUDA scaling against the CPU path; see tests/gpu/README.md, section 6.
#   decode_check.sh prepare        make build/gpu-input/ here (needs ffmpeg)
#   decode_check.sh run            on the GPU machine: both paths, outputs in $OUT
#   decode_check.sh compare DIR    here: PSNR per rung of DIR/gpu* against DIR/cpu*
set -u
cd "$(dirname "$0")/../.."
BIN=${LADDER_BIN:-build/ladder}
INPUTS=build/gpu-input
RUNGS="--rung x1080:4000k --rung x720:2500k --rung x360:700k"

case "${1:-}" in
prepare)
    mkdir -p "$INPUTS"
    ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=10 -c:v libx264 -preset veryfast \
        -g 60 -bf 3 -pix_fmt yuv420p "$INPUTS/h264.mp4" || exit 1
    ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=6 -c:v libx265 -preset ultrafast \
        -x265-params log-level=error -g 60 -pix_fmt yuv420p10le "$INPUTS/hevc10.mp4" || exit 1
    ls -la "$INPUTS"
    ;;
run)
    : "${OUT:?run sets OUT (the device machine's result folder)}"
    "$BIN" devices --json > "$OUT/devices.json" 2> "$OUT/devices.stderr"
    for input in h264 hevc10; do
        depth=""
        [ "$input" = hevc10 ] && depth="--codec hevc --rung x720:2500k:profile=main10"
        for dev in cpu gpu auto; do
            name="$input-$dev"
            /usr/bin/time -f "$name wall %e s user %U s sys %S s" \
                "$BIN" encode "$INPUTS/$input.mp4" -o "$OUT/$name" $RUNGS $depth --format hls --no-audio \
                --decode-device "$dev" --progress none -v 2> "$OUT/$name.stderr"
            echo "$name exit $?" >> "$OUT/summary.txt"
            tail -1 "$OUT/$name.stderr" >> "$OUT/summary.txt"
        done
    done
    cat "$OUT/summary.txt"
    ;;
compare)
    dir=${2:?compare DIR}
    status=0
    for input in h264 hevc10; do
        for rung_dir in "$dir/$input-cpu"/video/*/; do
            rung=$(basename "$rung_dir")
            for dev in gpu auto; do
                other="$dir/$input-$dev/video/$rung"
                [ -d "$other" ] || { echo "$input $dev $rung: missing"; status=1; continue; }
                a=$(mktemp --suffix=.mp4); b=$(mktemp --suffix=.mp4)
                cat "$rung_dir/init.mp4" "$rung_dir"/seg_*.m4s > "$a"
                cat "$other/init.mp4" "$other"/seg_*.m4s > "$b"
                db=$(ffmpeg -v info -i "$b" -i "$a" -lavfi "[0:v][1:v]psnr" -f null - 2>&1 |
                     sed -n 's/.*PSNR.*average:\([0-9.inf]*\).*/\1/p' | tail -1)
                rm -f "$a" "$b"
                ok=$(awk -v d="$db" 'BEGIN { print (d == "inf" || d + 0 >= 45) ? "ok" : "LOW" }')
                echo "$input $dev $rung: PSNR $db dB $ok"
                [ "$ok" = ok ] || status=1
            done
        done
        python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], r['decode'])" \
            "$dir/$input-gpu/report.json" "$input gpu decode:" 2>/dev/null
    done
    exit $status
    ;;
*)
    sed -n 2,5p "$0"
    exit 2
    ;;
esac
