#!/bin/sh
# ladder against several FFmpeg builds, one `ladder bench` per build, on the
# same input and ladder; then one Markdown table of the results.
#
#   benches/compare_ffmpeg.sh [options] [NAME=CMD ...]
#
# Default builds: Debian 12's ffmpeg (5.1, the libraries ladder links) and
# the chroots' made by scripts/ffmpeg-chroot.sh: /work/chroots/trixie
# (Debian 13, FFmpeg 7.1) and /work/chroots/sid (unstable). NAME=CMD pairs
# replace them; CMD is what `ladder bench --ffmpeg` takes.
#
# The ladder (issue 19): 1080p 5000k, 720p 3000k, 480p 1400k, 360p 800k,
# x264 veryfast, 2 s segments = GOP; an 11 s 1080p 23.976 fps input
# (testsrc2 + sine, made here with the input FFmpeg so that every build
# encodes the same bytes); 3 rounds ("pairs": ladder and FFmpeg back to back).
#
# Options:
#   --pairs N        rounds per bench (default 3)
#   --seconds S      input length (default 11)
#   --quick          1 pair, 3 s input: proves the script works, judges nothing
#   --out DIR        results (default benches/results/compare-ffmpeg-<date>-<time>)
#   --append FILE    also append the table to FILE (e.g. benches/RESULTS.md;
#                    refused with --quick: smoke numbers are not results)
#   --ladder-bin P   ladder binary (default $LADDER_BIN, else build/ladder)
#   --input-ffmpeg C the ffmpeg that makes the input (default ffmpeg)
#
# Quote only runs on a quiet machine: the table shows the load average and
# each bench's background load.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$here")
pairs=3
seconds=11
quick=0
out=
append=
ladder_bin=${LADDER_BIN:-$root/build/ladder}
input_ffmpeg=ffmpeg

die() {
    echo "compare_ffmpeg: $*" >&2
    exit 2
}

need_arg() {
    [ $# -ge 2 ] || die "$1 needs a value"
}

builds=
add_build() {
    case $1 in
        *=*) ;;
        *) die "expected NAME=CMD, got '$1'" ;;
    esac
    name=${1%%=*}
    case $name in
        ''|*[!A-Za-z0-9._-]*) die "'$name': a build's NAME is letters, digits, . _ -" ;;
    esac
    # One build a line: NAME<tab>CMD.
    builds="$builds$name	${1#*=}
"
}

while [ $# -gt 0 ]; do
    case $1 in
        --pairs) need_arg "$@"; pairs=$2; shift 2 ;;
        --seconds) need_arg "$@"; seconds=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --out) need_arg "$@"; out=$2; shift 2 ;;
        --append) need_arg "$@"; append=$2; shift 2 ;;
        --ladder-bin) need_arg "$@"; ladder_bin=$2; shift 2 ;;
        --input-ffmpeg) need_arg "$@"; input_ffmpeg=$2; shift 2 ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option '$1'" ;;
        *) add_build "$1"; shift ;;
    esac
done

if [ "$quick" = 1 ]; then
    pairs=1
    seconds=3
    [ -z "$append" ] || die "--quick numbers are a smoke test, not results: no --append"
fi
if [ -z "$builds" ]; then
    add_build "debian12=ffmpeg"
    add_build "trixie=/work/chroots/trixie/ffmpeg"
    add_build "sid=/work/chroots/sid/ffmpeg"
fi
[ -x "$ladder_bin" ] || die "$ladder_bin: no ladder binary (build it, or --ladder-bin / LADDER_BIN)"
command -v node >/dev/null 2>&1 || die "node is needed for the table"
# Every build must run before any time is spent.
while IFS='	' read -r name cmd; do
    [ -n "$name" ] || continue
    # CMD's words split at blanks, unquoted, as ladder bench splits them.
    # shellcheck disable=SC2086
    v=$(set -f; set -- $cmd; "$@" -hide_banner -version 2>/dev/null | head -n 1)
    case $v in
        "ffmpeg version "*) echo "$name: $v" ;;
        *) echo "compare_ffmpeg: $name: '$cmd' does not run (scripts/ffmpeg-chroot.sh makes the chroots)" >&2
           exit 1 ;;
    esac
done <<EOF
$builds
EOF

out=${out:-$root/benches/results/compare-ffmpeg-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd -P)

# The input: made once, so every build encodes the same source; kept in
# ladder bench's cache, not among the results (it is megabytes).
cache=${XDG_CACHE_HOME:-$HOME/.cache}/ladder/bench
mkdir -p "$cache"
input=$cache/compare-testsrc2-1080p23.976-${seconds}s.mp4
ladder_json=$out/ladder.json
echo "input: $input"
[ -f "$input" ] || "$input_ffmpeg" -hide_banner -nostdin -v error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=24000/1001:duration=$seconds" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
    -filter_complex "[1:a]aformat=channel_layouts=stereo[a]" -map 0:v -map "[a]" \
    -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 -movflags +faststart -f mp4 "$input.part" && mv "$input.part" "$input"
[ -f "$input" ] || die "could not make $input with $input_ffmpeg"
cat >"$ladder_json" <<'EOF'
{
  "segment_seconds": 2,
  "rungs": [
    { "name": "1080p", "width": 1920, "height": 1080, "bitrate": "5000k" },
    { "name": "720p", "width": 1280, "height": 720, "bitrate": "3000k" },
    { "name": "480p", "width": 854, "height": 480, "bitrate": "1400k" },
    { "name": "360p", "width": 640, "height": 360, "bitrate": "800k" }
  ]
}
EOF

# One bench per build. --slots at the core count: no scaling curve (it is
# the same ladder in every bench), only the compared systems.
cores=$(nproc)
status=0
names=
while IFS='	' read -r name cmd; do
    [ -n "$name" ] || continue
    names="$names $name"
    echo "== $name: ladder bench --ffmpeg '$cmd' ($pairs pair(s))"
    if ! "$ladder_bin" bench --input "$input" --ladder "$ladder_json" --preset veryfast \
        --runs "$pairs" --slots "$cores" --ffmpeg "$cmd" --out "$out/$name" >"$out/$name.log" 2>&1; then
        echo "compare_ffmpeg: $name: ladder bench failed (see $out/$name.log)" >&2
        tail -n 5 "$out/$name.log" >&2
        status=1
    fi
done <<EOF
$builds
EOF

# The table: one row per build, from each bench.json.
# shellcheck disable=SC2086 # names: one word each
node - "$out" "$quick" $names >"$out/table.md" <<'EOF'
const fs = require('fs');
const [dir, quick, ...names] = process.argv.slice(2);
const f = (v, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const med = (s) => (s ? s.median : undefined);
const range = (r) => (r ? `${f(r.median)} (${f(r.min)}–${f(r.max)})` : 'n/a');
const rows = [];
let head;
for (const name of names) {
  const file = `${dir}/${name}/bench.json`;
  if (!fs.existsSync(file)) { rows.push(`| ${name} | failed: no bench.json | | | | | | | |`); continue; }
  const d = JSON.parse(fs.readFileSync(file, 'utf8'));
  head = head || d;
  const s = d.summary;
  const ratio = (ff, k) => (d.ratios.find((r) => r.ladder === 'ladder' && r.ffmpeg === ff) || {})[k];
  const q = (id) => (d.quality.systems[id] || []).find((e) => e.name === '1080p');
  const v = d.meta.ffmpeg.version.replace(/ Copyright.*/, '').replace(/^ffmpeg version /, '');
  rows.push(`| ${name} | ${v} (libavcodec ${d.meta.ffmpeg.libavcodec || '?'}) | ${f(med(s.ladder.wall_s))} | ` +
    `${f(med(s.ffmpeg_one_process.wall_s))} | ${f(med(s.ffmpeg_per_rung.wall_s))} | ` +
    `${range(ratio('ffmpeg_one_process', 'wall'))} | ${range(ratio('ffmpeg_per_rung', 'wall'))} | ` +
    `${range(ratio('ffmpeg_one_process', 'cpu'))} | ` +
    `${f(med(s.ffmpeg_one_process.peak_rss_mib), 0)} / ${f(med(s.ladder.peak_rss_mib), 0)} | ` +
    `${f((q('ladder') || {}).psnr)} / ${f((q('ffmpeg_one_process') || {}).psnr)} | ` +
    `${f(100 * med(s.ladder.background_util), 0)} % | ${d.problems.length} |`);
}
const h = head ? head.meta.host : {};
const when = head ? head.meta.date : new Date().toISOString();
const lad = head ? head.ladder.rungs.map((r) => `${r.name} ${r.bitrate_kbps}k`).join(', ') : '';
const inp = head ? `${head.input.width}x${head.input.height} ${f(head.input.fps, 3)} fps, ${head.input.frames} frames` : '';
console.log(`### ladder vs. three FFmpeg builds${quick === '1' ? ' (QUICK SMOKE RUN: not a result)' : ''}\n`);
console.log(`${when}; ${h.cpu_model || '?'}; ${h.cores || '?'} cores; load average before ${head ? head.meta.loadavg_before.map((x) => f(x)).join(' ') : '?'}. ` +
  `Input ${inp}; ladder ${lad}; x264 veryfast, 2 s GOP; ${head ? head.meta.options.runs : '?'} pair(s) per build; ` +
  `ladder links libavcodec ${head ? head.meta.libraries.libavcodec : '?'}. Results: \`${dir}\`.\n`);
console.log('| build | FFmpeg | ladder wall s | ffmpeg 1-proc wall s | ffmpeg per-rung wall s | ladder/1-proc wall | ladder/per-rung wall | ladder/1-proc CPU | peak RSS MiB ffmpeg 1-proc / ladder | PSNR 1080p ladder / ffmpeg | background load | problems |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('\nRatios: median of the per-round pairs (min–max); below 1 ladder is faster or uses less CPU. ' +
  'Wall and RSS: medians over the rounds.');
EOF
cat "$out/table.md"
if [ -n "$append" ]; then
    { echo; cat "$out/table.md"; } >>"$append"
    echo "appended to $append"
fi
exit "$status"
