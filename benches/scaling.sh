#!/bin/sh
# How cost grows (issue 19): wall, CPU and peak RSS of ladder against
# FFmpeg's one-process ladder as the input gets longer, the ladder gets
# more rungs, and more jobs share the host. One Markdown table per axis.
#
#   benches/scaling.sh [--quick] [--ffmpeg CMD] [--out DIR] [--append FILE]
#
# Axes (each cell: one run of each system, back to back, ladder first):
#   length  10 s, 60 s, 5 min of 1080p 23.976 fps, 4 rungs
#   rungs   2, 5, 8 rungs on the 60 s input
#   jobs    1, 2, 4 concurrent jobs of the 10 s input, 4 rungs
# The FFmpeg command is ladder bench's (benches/src/bench_commands.c): one
# process, split + scale, libx264 at the same rates, GOP = segment, closed
# GOPs, no scene cuts, fragmented MP4 per rung, AAC audio. Peak RSS is the
# process's (GNU time's maximum resident set size); for concurrent jobs the
# sum over the jobs. --quick: 3 s / 6 s inputs and 1-2 jobs, to prove the
# script works (not results; --append refused).
# Quote only numbers from a quiet machine: the table names the load average.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
ladder=${LADDER_BIN:-$root/build/ladder}
ffmpeg=ffmpeg
quick=0
out=
append=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1; shift ;;
        --ffmpeg) ffmpeg=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --append) append=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "scaling: unknown option '$1'" >&2; exit 2 ;;
    esac
done
[ "$quick" = 0 ] || [ -z "$append" ] || { echo "scaling: --quick is not a result: no --append" >&2; exit 2; }
[ -x "$ladder" ] || { echo "scaling: no ladder binary at $ladder (LADDER_BIN)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "scaling: needs GNU time (/usr/bin/time)" >&2; exit 2; }
out=${out:-$root/benches/results/scaling-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ladder/bench
mkdir -p "$cache"
if [ "$quick" = 1 ]; then lengths="3 6"; rung_counts="2 5"; jobs_list="1 2"; mid=6; short=3
else lengths="10 60 300"; rung_counts="2 5 8"; jobs_list="1 2 4"; mid=60; short=10; fi

# All rungs; a ladder of N takes the first N.
ALL="1920:1080:5000 1280:720:3000 854:480:1400 640:360:800 426:240:400 1600:900:4000 960:540:2000 768:432:1100"

input_of() { # SECONDS -> path of a cached 1080p 23.976 fps source with stereo AAC
    f=$cache/scaling-1080p23.976-$1s.mp4
    if [ ! -f "$f" ]; then
        $ffmpeg -hide_banner -nostdin -v error -y \
            -f lavfi -i "testsrc2=size=1920x1080:rate=24000/1001:duration=$1" \
            -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$1" \
            -map 0:v -map 1:a -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p \
            -c:a aac -b:a 128k -ac 2 -movflags +faststart "$f.part.mp4" >&2
        mv "$f.part.mp4" "$f"
    fi
    echo "$f"
}

ladder_args() { # N -> --rung arguments
    i=0
    for r in $ALL; do
        i=$((i + 1)); [ $i -le "$1" ] || break
        w=${r%%:*}; rest=${r#*:}; h=${rest%%:*}; k=${rest#*:}
        printf -- '--rung %sx%s:%sk:maxrate=%sk:bufsize=%sk ' "$w" "$h" "$k" $((k * 11 / 10)) $((k * 22 / 10))
    done
}

ffmpeg_args() { # N OUTDIR -> FFmpeg's one-process ladder, as ladder bench runs it
    graph="[0:v]split=$1"
    i=0; while [ $i -lt "$1" ]; do graph="$graph[s$i]"; i=$((i + 1)); done
    i=0; maps=
    for r in $ALL; do
        [ $i -lt "$1" ] || break
        w=${r%%:*}; rest=${r#*:}; h=${rest%%:*}; k=${rest#*:}
        graph="$graph;[s$i]scale=$w:$h[v$i]"
        maps="$maps -map [v$i] -c:v libx264 -preset veryfast -b:v ${k}k -maxrate $((k * 11 / 10))k"
        maps="$maps -bufsize $((k * 22 / 10))k -g 48 -keyint_min 48 -sc_threshold 0 -flags +cgop"
        maps="$maps -x264-params open-gop=0 -pix_fmt yuv420p -an"
        maps="$maps -movflags +frag_keyframe+empty_moov+default_base_moof -f mp4 $2/r$i.mp4"
        i=$((i + 1))
    done
    echo "-filter_complex $graph $maps -map 0:a:0 -vn -c:a aac -b:a 128k -ac 2 -f mp4 $2/audio.mp4"
}

# run SYSTEM N INPUT JOBS -> "wall cpu rss_mib" (rss summed over the jobs)
run() {
    sys=$1 n=$2 in=$3 jobs=$4
    work=$out/work; rm -rf "$work"; mkdir -p "$work"
    start=$(date +%s.%N)
    j=0
    while [ $j -lt "$jobs" ]; do
        d=$work/$j; mkdir -p "$d"
        if [ "$sys" = ladder ]; then
            # shellcheck disable=SC2046
            /usr/bin/time -f '%e %U %S %M' -o "$d/time" "$ladder" encode "$in" -o "$d/out" \
                $(ladder_args "$n") --progress none -q --host-cpu-slots 64 &
        else
            # shellcheck disable=SC2046
            /usr/bin/time -f '%e %U %S %M' -o "$d/time" $ffmpeg -hide_banner -nostdin -v error -y -i "$in" \
                $(ffmpeg_args "$n" "$d") &
        fi
        j=$((j + 1))
    done
    wait
    end=$(date +%s.%N)
    cat "$work"/*/time | awk -v s="$start" -v e="$end" \
        '{cpu += $2 + $3; rss += $4} END {printf "%.1f %.1f %.0f\n", e - s, cpu, rss / 1024}'
}

row() { # LABEL N INPUT JOBS
    l=$(run ladder "$2" "$3" "$4"); f=$(run ffmpeg "$2" "$3" "$4")
    echo "$l $f" | awk -v label="$1" '{printf "| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %d | %d | %.2f |\n",
        label, $1, $4, $1 / $4, $2, $5, $2 / $5, $3, $6, $3 / $6}'
}

header() {
    printf '\n#### %s\n\n' "$1"
    echo "| $2 | ladder wall s | FFmpeg wall s | wall ratio | ladder CPU s | FFmpeg CPU s | CPU ratio | ladder peak RSS MiB | FFmpeg peak RSS MiB | RSS ratio |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
}

{
    printf '### How cost grows%s\n\n' "$([ "$quick" = 1 ] && echo ' (QUICK SMOKE RUN: not a result)')"
    printf '%s; %s; %s cores; load average before: %s. ladder %s; %s. x264 veryfast, 2 s GOP, 1080p 23.976 fps testsrc2 + AAC.\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
        "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$("$ladder" version)" \
        "$($ffmpeg -hide_banner -version | head -n 1 | cut -d' ' -f1-3)"
    header "Input length (4 rungs, one job)" "input"
    for s in $lengths; do row "${s} s" 4 "$(input_of "$s")" 1; done
    header "Rungs (${mid} s input, one job)" "rungs"
    for n in $rung_counts; do row "$n" "$n" "$(input_of "$mid")" 1; done
    header "Concurrent jobs (${short} s input, 4 rungs each; RSS summed)" "jobs"
    for j in $jobs_list; do row "$j" 4 "$(input_of "$short")" "$j"; done
    printf '\nRatios: ladder / FFmpeg; below 1 ladder is faster, uses less CPU or less memory.\n'
} | tee "$out/scaling.md"
rm -rf "$out/work"
[ -z "$append" ] || { { echo; cat "$out/scaling.md"; } >>"$append"; echo "appended to $append"; }
