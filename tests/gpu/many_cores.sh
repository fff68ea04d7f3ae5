#!/bin/sh
# ladder against FFmpeg's CLI on a many-core machine (the lent GPU machine:
# 16 cores, H100/H200, no NVENC), CPU only, then NVDEC and device discovery
# checks. See tests/gpu/README.md, section 9.
#
#   many_cores.sh prepare [--short]  here: build/many-cores/input.mp4 for a
#                                    machine without ffmpeg, and build/gpu-input
#                                    (decode_check.sh prepare)
#   many_cores.sh run [--short]      there (or here): everything, results in $OUT
#
# run:
#   1. a 60 s 1080p30 input (carried build/many-cores/input.mp4, else made
#      there with ffmpeg);
#   2. the 5-rung ladder (1080p 5000k, 720p 3000k, 480p 1400k, 360p 800k,
#      240p 400k; x264 veryfast; 2 s GOP, closed, no scene cut; no audio),
#      ladder (--devices cpu:N) and FFmpeg (one process: decode once, split,
#      scale, one output per rung), each pinned to N cores with taskset, for
#      N in 16 8 4 2 1 (the longest last: what the time budget cuts is the
#      least telling): wall, CPU, peak RSS (/usr/bin/time -v), parallel
#      efficiency wall(fewest) x fewest / (N x wall(N)), ladder/FFmpeg wall;
#   3. tests/gpu/decode_check.sh run (NVDEC + CUDA scaling against the CPU),
#      when build/gpu-input is there;
#   4. ladder devices --json against nvidia-smi.
#   $OUT/many_cores.md is the results table; $OUT/many_cores.csv the figures.
#
# --short: slots 2 1 on a 10 s input, no decode_check (a check that the
# script works, on any machine). Environment: LADDER_BIN (build/ladder),
# FFMPEG (ffmpeg on PATH, else build/many-cores/ffmpeg), SLOTS,
# INPUT_SECONDS, BUDGET_S (seconds the series may take, default 330: a slot
# count whose projected time would pass it is skipped and said so, so the
# whole run stays within about 8 minutes).
set -u
cd "$(dirname "$0")/../.." || exit 2
BIN=${LADDER_BIN:-build/ladder}
HERE=build/many-cores

mode=${1:-}
short=0
[ "${2:-}" = --short ] && short=1
if [ "$short" = 1 ]; then
    SLOTS=${SLOTS:-"2 1"}
    SECONDS_=${INPUT_SECONDS:-10}
else
    SLOTS=${SLOTS:-"16 8 4 2 1"}
    SECONDS_=${INPUT_SECONDS:-60}
fi
BUDGET_S=${BUDGET_S:-330}
RATE=30
GOP=60

# Libraries bundled as README section 2 says, when that machine lacks some.
if [ -d build/gpu-libs ]; then
    LD_LIBRARY_PATH=build/gpu-libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi

find_ffmpeg() {
    if [ -n "${FFMPEG:-}" ]; then
        echo "$FFMPEG"
    elif command -v ffmpeg >/dev/null 2>&1; then
        command -v ffmpeg
    elif [ -x "$HERE/ffmpeg" ]; then
        echo "$HERE/ffmpeg"
    fi
}

# testsrc2 1080p30, x264 veryfast CRF 28, GOP 60 with B-frames, no audio:
# about 20 MB a minute, so that a prepared one fits the 64 MiB carry beside
# build/ladder and build/gpu-input (CRF 23 would be 40 MB).
make_input() {
    ff=$1
    out=$2
    seconds=$3
    mkdir -p "$(dirname "$out")"
    "$ff" -hide_banner -nostdin -v error -y \
        -f lavfi -i "testsrc2=size=1920x1080:rate=$RATE:duration=$seconds" \
        -c:v libx264 -preset veryfast -crf 28 -g $GOP -bf 3 -pix_fmt yuv420p \
        -movflags +faststart "$out.part.mp4" && mv "$out.part.mp4" "$out"
}

# The ladder, as name:width:height:kbps.
RUNGS="1080p:1920:1080:5000 720p:1280:720:3000 480p:854:480:1400 360p:640:360:800 240p:426:240:400"

ladder_args() {
    for r in $RUNGS; do
        IFS=: read -r name w h k <<EOF
$r
EOF
        printf ' --rung %sx%s:%sk:name=%s' "$w" "$h" "$k" "$name"
    done
}

# FFmpeg's one process with ladder's settings (benches/src/bench_commands.c):
# maxrate 1.1 x bitrate, bufsize 2 x maxrate, GOP = segment, closed, no
# scene cut, bicubic scaling, the top rung unscaled.
ffmpeg_args() {
    dir=$1
    i=0
    graph="[0:v]split=5"
    for r in $RUNGS; do
        graph="${graph}[s$i]"
        i=$((i + 1))
    done
    i=0
    for r in $RUNGS; do
        IFS=: read -r name w h k <<EOF
$r
EOF
        if [ "$h" = 1080 ]; then f=null; else f="scale=$w:$h:flags=bicubic"; fi
        graph="${graph};[s$i]${f}[v$i]"
        i=$((i + 1))
    done
    printf '%s\n' -filter_complex "$graph"
    i=0
    for r in $RUNGS; do
        IFS=: read -r name w h k <<EOF
$r
EOF
        max=$((k * 11 / 10))
        printf '%s\n' -map "[v$i]" -c:v libx264 -preset veryfast -b:v "${k}k" -maxrate "${max}k" \
            -bufsize "$((2 * max))k" -g $GOP -keyint_min $GOP -sc_threshold 0 -flags +cgop \
            -x264-params open-gop=0 -pix_fmt yuv420p \
            -movflags +frag_keyframe+empty_moov+default_base_moof -f mp4 "$dir/$name.mp4"
        i=$((i + 1))
    done
}

# measure NAME CMD...: runs CMD; NAME.m gets "wall user sys rss_kib exit".
# /usr/bin/time -v where it exists, else python3's rusage, else wall only.
measure() {
    name=$1
    shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$name.time" "$@" >"$name.log" 2>&1
        rc=$?
        awk -v rc=$rc -F': ' '
            /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
            /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { m = $2 }
            END { printf "%.2f %.2f %.2f %d %d\n", w, u, s, m, rc }' "$name.time" >"$name.m"
    elif command -v python3 >/dev/null 2>&1; then
        python3 - "$name" "$@" <<'EOF'
import resource, subprocess, sys, time
name, cmd = sys.argv[1], sys.argv[2:]
t = time.monotonic()
with open(name + ".log", "w") as log:
    rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(name + ".m", "w").write("%.2f %.2f %.2f %d %d\n" % (w, r.ru_utime, r.ru_stime, r.ru_maxrss, rc))
EOF
    else
        t0=$(date +%s.%N)
        "$@" >"$name.log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" -v rc=$rc 'BEGIN { printf "%.2f nan nan 0 %d\n", b - a, rc }' >"$name.m"
    fi
}

# The words that run a command on cores 0..N-1 (x264, FFmpeg's decoder and
# ladder all size their threads from the affinity mask), for at most 300 s.
pin() {
    command -v taskset >/dev/null 2>&1 && printf 'taskset -c 0-%d ' $(($1 - 1))
    command -v timeout >/dev/null 2>&1 && printf 'timeout 300 '
}

# Frames of every rung of one run (packets counted, nothing decoded).
frames_of() {
    probe=$1
    shift
    for f in "$@"; do
        "$probe" -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets \
            -of csv=p=0 "$f" 2>/dev/null | head -n 1
    done | sort -u | tr '\n' ' '
}

series() {
    work=$1
    input=$2
    ff=$3
    csv=$OUT/many_cores.csv
    echo "system,slots,wall_s,user_s,sys_s,peak_rss_kib,exit,frames" >"$csv"
    start=$(date +%s)
    probe=
    if [ -n "$ff" ]; then
        probe=$(dirname "$ff")/ffprobe
        [ -x "$probe" ] || probe=$(command -v ffprobe || true)
    fi
    LADDER_STATE_DIR=$work/slots
    export LADDER_STATE_DIR
    last_n=
    last_s=
    for n in $SLOTS; do
        now=$(date +%s)
        # The time this count will take, from the last one: perfect scaling
        # downwards, plus 20 %.
        need=0
        [ -n "$last_n" ] && need=$((last_s * last_n * 6 / (n * 5)))
        if [ $((now - start + need)) -gt "$BUDGET_S" ]; then
            echo "slots $n: skipped, about $need s more would pass the ${BUDGET_S} s budget" | tee -a "$OUT/notes.txt"
            continue
        fi
        out=$work/ladder-$n
        rm -rf "$out"
        # shellcheck disable=SC2046 # pin and ladder_args are words
        measure "$OUT/ladder-$n" $(pin "$n") "$BIN" encode "$input" -o "$out" \
            $(ladder_args) --preset veryfast --segment 2 --no-audio --devices "cpu:$n" --progress none -q
        fr=
        if [ -n "$probe" ] && [ -d "$out/video" ]; then
            for d in "$out"/video/*/; do cat "$d/init.mp4" "$d"/seg_*.m4s >"$work/rung.mp4"; fr="$fr$(frames_of "$probe" "$work/rung.mp4")"; done
        fi
        echo "ladder,$n,$(tr ' ' ',' <"$OUT/ladder-$n.m"),$fr" >>"$csv"
        rm -rf "$out" "$work/rung.mp4"
        if [ -n "$ff" ]; then
            out=$work/ffmpeg-$n
            rm -rf "$out"
            mkdir -p "$out"
            # One argument a line: the filter graph holds ';' and '['.
            ffmpeg_args "$out" >"$work/ffmpeg.args"
            set --
            while IFS= read -r a; do set -- "$@" "$a"; done <"$work/ffmpeg.args"
            # shellcheck disable=SC2046
            measure "$OUT/ffmpeg-$n" $(pin "$n") "$ff" -hide_banner -nostdin -nostats -v error -y -i "$input" "$@"
            fr=
            [ -n "$probe" ] && fr=$(frames_of "$probe" "$out"/*.mp4)
            echo "ffmpeg,$n,$(tr ' ' ',' <"$OUT/ffmpeg-$n.m"),$fr" >>"$csv"
            rm -rf "$out"
        fi
        tail -n 2 "$csv"
        last_n=$n
        last_s=$(($(date +%s) - now))
    done
}

# The Markdown table from the CSV: efficiency against each system's fewest
# slots, ladder/FFmpeg wall at the same slots.
table() {
    csv=$OUT/many_cores.csv
    awk -F, -v frames="$((SECONDS_ * RATE))" '
        NR == 1 { next }
        { key = $1 "," $2; wall[key] = $3; cpu[key] = $4 + $5; rss[key] = $6; rc[key] = $7; fr[key] = $8
          if (!($1 in first) || $2 + 0 < first[$1] + 0) { first[$1] = $2; base[$1] = $3 }
          if (!seen[$2]++) order[++ns] = $2 }
        function eff(sys, n) { return (sys in base) && wall[sys "," n] > 0 ? (base[sys] * first[sys]) / (n * wall[sys "," n]) : "" }
        function cell(sys, n,    k) {
            k = sys "," n
            if (!(k in wall)) return "| | | | | "
            return sprintf("| %.2f | %.2f | %.0f | %.2f | %s%s ", wall[k], cpu[k], rss[k] / 1024, eff(sys, n),
                           rc[k] == 0 ? "ok" : "exit " rc[k], fr[k] == "" ? "" : " (" fr[k] "frames)")
        }
        END {
            printf "| slots | ladder wall s | CPU s | peak RSS MiB | efficiency | result "
            printf "| FFmpeg wall s | CPU s | peak RSS MiB | efficiency | result | ladder/FFmpeg wall |\n"
            printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for (i = 1; i <= ns; i++) {
                n = order[i]
                r = ("ffmpeg," n) in wall && wall["ffmpeg," n] > 0 ? sprintf("%.2f", wall["ladder," n] / wall["ffmpeg," n]) : "n/a"
                printf "| %s %s%s| %s |\n", n, cell("ladder", n), cell("ffmpeg", n), r
            }
            printf "\nExpected frames per rung: %d. Efficiency: wall(fewest) x fewest slots / (N x wall(N)).\n", frames
        }' "$csv"
}

devices_vs_smi() {
    "$BIN" devices --json >"$OUT/devices.json" 2>"$OUT/devices.stderr"
    echo "ladder devices --json: exit $?" >"$OUT/devices_vs_smi.txt"
    "$BIN" devices >"$OUT/devices.txt" 2>>"$OUT/devices.stderr"
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        echo "no nvidia-smi on this machine" >>"$OUT/devices_vs_smi.txt"
        cat "$OUT/devices_vs_smi.txt"
        return
    fi
    nvidia-smi --query-gpu=name,uuid,pci.bus_id,memory.total,compute_cap --format=csv,noheader,nounits \
        >"$OUT/nvidia-smi.csv" 2>&1
    nvidia-smi -q >"$OUT/nvidia-smi.txt" 2>&1
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$OUT/devices.json" "$OUT/nvidia-smi.csv" >>"$OUT/devices_vs_smi.txt" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
gpus = [d for d in doc["devices"] if d["kind"] == "nvidia"]
smi = [[c.strip() for c in l.split(",")] for l in open(sys.argv[2]) if l.strip()]
print("nvidia devices: ladder %d, nvidia-smi %d %s" % (len(gpus), len(smi), "ok" if len(gpus) == len(smi) else "MISMATCH"))
for d, s in zip(gpus, smi):
    name, uuid, bus, mib, cc = s
    checks = [
        ("name", d.get("name"), name),
        ("uuid", d.get("uuid"), uuid),
        ("bus_id", (d.get("bus_id") or "").upper(), bus.upper()),
        ("memory MiB", round((d.get("memory") or {}).get("total_bytes", 0) / 1048576), int(float(mib))),
        ("compute_capability", d.get("compute_capability"), cc),
    ]
    for what, got, want in checks:
        ok = got == want or (what == "memory MiB" and abs(got - want) <= 1)
        print("  %s: ladder %s, nvidia-smi %s %s" % (what, got, want, "ok" if ok else "MISMATCH"))
    print("  role %s, encoder_sessions %s, reason %s" % (d.get("role"), d.get("encoder_sessions"), d.get("reason")))
EOF
    else
        echo "no python3: compare devices.json with nvidia-smi.csv by hand (README section 3)" >>"$OUT/devices_vs_smi.txt"
    fi
    cat "$OUT/devices_vs_smi.txt"
}

describe_host() {
    model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
    echo "host: $(nproc) CPUs, $model"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "ladder: $("$BIN" --version 2>&1 | head -n 1)"
}

case "$mode" in
prepare)
    ff=$(find_ffmpeg)
    [ -n "$ff" ] || { echo "prepare needs ffmpeg" >&2; exit 1; }
    make_input "$ff" "$HERE/input.mp4" "$SECONDS_" || exit 1
    [ "$short" = 1 ] || [ -d build/gpu-input ] || sh tests/gpu/decode_check.sh prepare || exit 1
    du -sh "$HERE" build/gpu-input 2>/dev/null
    echo "carry: build/ladder $HERE build/gpu-input (64 MiB in all)"
    ;;
run)
    : "${OUT:?run sets OUT, the result folder}"
    mkdir -p "$OUT"
    work=$(mktemp -d "${TMPDIR:-/tmp}/many-cores.XXXXXX")
    t0=$(date +%s)
    describe_host >"$OUT/notes.txt"
    ldd "$BIN" 2>/dev/null | grep 'not found' >>"$OUT/notes.txt" && echo "ladder lacks libraries here" >>"$OUT/notes.txt"
    ff=$(find_ffmpeg)
    if [ -n "$ff" ]; then
        echo "ffmpeg: $ff: $("$ff" -hide_banner -version 2>&1 | head -n 1)" >>"$OUT/notes.txt"
    else
        echo "ffmpeg: none here (no FFmpeg rows)" >>"$OUT/notes.txt"
    fi
    input=$HERE/input.mp4
    if [ ! -f "$input" ] || [ "$short" = 1 ]; then
        [ -n "$ff" ] || { echo "no $input and no ffmpeg to make it: run prepare here and carry $HERE" >&2; exit 1; }
        input=$work/input.mp4
        make_input "$ff" "$input" "$SECONDS_" || exit 1
    fi
    echo "input: $input, $SECONDS_ s 1080p$RATE; slots: $SLOTS" >>"$OUT/notes.txt"
    cat "$OUT/notes.txt"
    series "$work" "$input" "$ff"
    table >"$OUT/many_cores.md"
    echo "series: $(($(date +%s) - t0)) s" >>"$OUT/notes.txt"
    if [ "$short" = 0 ] && [ -d build/gpu-input ]; then
        mkdir -p "$OUT/decode_check"
        OUT=$OUT/decode_check LADDER_BIN=$BIN LADDER_STATE_DIR=$work/slots sh tests/gpu/decode_check.sh run \
            >"$OUT/decode_check.txt" 2>&1
        echo "decode_check: exit $?" >>"$OUT/notes.txt"
    else
        echo "decode_check: skipped (--short, or no build/gpu-input)" >>"$OUT/notes.txt"
    fi
    devices_vs_smi
    echo "total: $(($(date +%s) - t0)) s" >>"$OUT/notes.txt"
    { echo; cat "$OUT/notes.txt"; } >>"$OUT/many_cores.md"
    rm -rf "$work"
    cat "$OUT/many_cores.md"
    ;;
*)
    sed -n 2,30p "$0"
    exit 2
    ;;
esac
