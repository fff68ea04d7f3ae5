#!/usr/bin/env python3
"""Benchmark: ladder vs. FFmpeg's CLI encoding the same ABR ladder in one process.

Standard library only (runs with Debian 12's python3). See benches/README.md.

    python3 benches/compare_ffmpeg.py                      # 10 s and 60 s, 5 runs each
    python3 benches/compare_ffmpeg.py --runs 2 --durations 10
    python3 benches/compare_ffmpeg.py --quick              # smoke test, < 1 min

Runs alternate ladder, ffmpeg, ladder, ffmpeg, ... per duration. Each run is
spawned with subprocess.Popen and reaped with os.wait4(), which gives the
child's user/sys CPU time and peak RSS; wall time is time.monotonic() around
spawn and reap. A Markdown summary goes to stdout, every individual run to
benches/results/compare_ffmpeg-<date>.json.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
CACHE = os.path.join(BENCH_DIR, ".cache")
RESULTS = os.path.join(BENCH_DIR, "results")

FPS_NUM, FPS_DEN = 30000, 1001          # 29.97 fps source
SEGMENT_SECONDS = 2.0                   # ladder's default --segment
AUDIO_KBPS = 128

# name, ladder --rung size, size actually encoded (the same: each box is
# within 2 pixels of the source's shape, which ladder takes as given), video kb/s
FULL_LADDER = [
    ("1080p", "1920x1080", (1920, 1080), 5000),
    ("720p", "1280x720", (1280, 720), 3000),
    ("480p", "852x480", (852, 480), 1400),
    ("360p", "640x360", (640, 360), 800),
]
FULL_SOURCE = (1920, 1080)
QUICK_LADDER = [
    ("360p", "640x360", (640, 360), 800),
    ("240p", "426x240", (426, 240), 400),
]
QUICK_SOURCE = (640, 360)
QUICK_DURATION = 3


# --------------------------------------------------------------------------
# small helpers

def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def run_text(cmd):
    """Output of a short informational command ('' if it cannot run)."""
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False).stdout
    except OSError:
        return ""


def first_line(text):
    return text.splitlines()[0].strip() if text.strip() else ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def proc_stat_busy():
    """(busy, total) seconds of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    hz = os.sysconf("SC_CLK_TCK")
    total = sum(fields)
    idle = fields[3] + fields[4]        # idle + iowait
    return (total - idle) / hz, total / hz


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def fmt_range(values, fmt):
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return (fmt + " ({}–{})").format(med, fmt.format(min(values)), fmt.format(max(values)))


def kbps(k):
    return "%dk" % k


# --------------------------------------------------------------------------
# progress line on stderr

class Progress:
    """'run i/N system duration elapsed' on stderr, refreshed while a child runs."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self._stop = threading.Event()
        self._thread = None

    def start(self, label):
        self._label = label
        self._t0 = time.monotonic()
        self._stop.clear()
        if self.tty:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        else:
            log(label + " ...")

    def _loop(self):
        while not self._stop.wait(0.5):
            sys.stderr.write("\r\033[K%s  elapsed %.1f s" % (self._label, time.monotonic() - self._t0))
            sys.stderr.flush()

    def stop(self, suffix):
        self._stop.set()
        if self._thread:
            self._thread.join()
            self._thread = None
        if self.tty:
            sys.stderr.write("\r\033[K")
        log("%s  %s" % (self._label, suffix))


PROGRESS = Progress()


# --------------------------------------------------------------------------
# measuring one command

def measure(cmd, log_path, cores):
    """Run cmd, reap it with os.wait4; return wall/cpu/rss figures."""
    la_before = loadavg()
    busy0, _ = proc_stat_busy()
    with open(log_path, "wb") as logf:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        _pid, status, ru = os.wait4(p.pid, 0)
        t1 = time.monotonic()
    p.returncode = os.waitstatus_to_exitcode(status)   # already reaped: keep Popen from waiting
    busy1, _ = proc_stat_busy()
    wall = t1 - t0
    cpu = ru.ru_utime + ru.ru_stime
    machine_busy = busy1 - busy0
    return {
        "rc": p.returncode,
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "cpu_s": cpu,
        "cpu_util": cpu / (wall * cores) if wall > 0 else None,
        "maxrss_kib": ru.ru_maxrss,          # Linux: KiB, the largest single process
        # CPU used by everything else on the machine during this run, as a
        # fraction of wall x cores (from /proc/stat; near 0 on a quiet machine)
        "background_util": max(0.0, machine_busy - cpu) / (wall * cores) if wall > 0 else None,
        "loadavg_before": la_before,
        "loadavg_after": loadavg(),
    }


def tail(path, n=20):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# inputs

def input_cmd(ffmpeg, path, size, seconds):
    w, h = size
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=%dx%d:rate=%d/%d:duration=%s" % (w, h, FPS_NUM, FPS_DEN, seconds),
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%s" % seconds,
        "-filter_complex", "[1:a]aformat=channel_layouts=stereo[a]",
        "-map", "0:v", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-ac", "2",
        "-movflags", "+faststart", "-f", "mp4", path,
    ]


def ensure_input(ffmpeg, size, seconds):
    w, h = size
    name = "testsrc2_%dx%d_%d-%d_x264-veryfast-crf18_aac128k_%ss.mp4" % (w, h, FPS_NUM, FPS_DEN, seconds)
    path = os.path.join(CACHE, name)
    cmd = input_cmd(ffmpeg, path + ".part", size, seconds)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        PROGRESS.start("generating input %dx%d %s s" % (w, h, seconds))
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            PROGRESS.stop("FAILED")
            raise SystemExit("input generation failed:\n" + r.stderr)
        os.replace(path + ".part", path)
        PROGRESS.stop("done")
    cmd[-1] = path
    return path, cmd


def probe_input(ffprobe, path):
    out = run_text([ffprobe, "-v", "error", "-count_packets",
                    "-show_entries", "stream=codec_type,codec_name,width,height,r_frame_rate,nb_read_packets,channels,bit_rate"
                    ":format=duration,size", "-of", "json", path])
    try:
        return json.loads(out)
    except ValueError:
        return {"error": out}


# --------------------------------------------------------------------------
# the two systems

def ladder_cmd(ladder_bin, inp, out, rungs, preset):
    cmd = [ladder_bin, "encode", inp, "-o", out]
    for _name, spec, _size, kb in rungs:
        cmd += ["--rung", "%s:%s" % (spec, kbps(kb))]
    return cmd + ["--preset", preset, "--progress", "none", "-q"]


def ffmpeg_cmd(ffmpeg, inp, outdir, rungs, source, preset, gop, audio, mux):
    n = len(rungs)
    labels = [chr(ord("a") + i) for i in range(n)]
    parts = ["[0:v]split=%d%s" % (n, "".join("[%s]" % l for l in labels))]
    outs = []
    for (name, _spec, size, _kb), l in zip(rungs, labels):
        if size == source:
            outs.append("[%s]" % l)
        else:
            parts.append("[%s]scale=%d:%d[%s1]" % (l, size[0], size[1], l))
            outs.append("[%s1]" % l)
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
           "-i", inp, "-filter_complex", ";".join(parts)]
    for i, ((name, _spec, _size, kb), label) in enumerate(zip(rungs, outs)):
        maxrate = int(round(kb * 1.1))
        cmd += ["-map", label]
        if i == 0:
            cmd += ["-map", "0:a"]
        cmd += ["-c:v", "libx264", "-preset", preset,
                "-b:v", kbps(kb), "-maxrate", kbps(maxrate), "-bufsize", kbps(2 * maxrate),
                "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
                "-flags", "+cgop", "-x264-params", "open-gop=0"]
        if i == 0:
            cmd += ["-c:a", "copy"] if audio == "copy" else ["-c:a", "aac", "-b:a", "%dk" % AUDIO_KBPS]
        if mux == "fmp4":
            cmd += ["-movflags", "+frag_keyframe+empty_moov+default_base_moof"]
        cmd += ["-f", "mp4", os.path.join(outdir, name + ".mp4")]
    return cmd


def aac_only_cmd(ffmpeg, inp, out):
    return [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y", "-i", inp,
            "-vn", "-c:a", "aac", "-b:a", "%dk" % AUDIO_KBPS, "-f", "mp4", out]


def check_ladder(out, rungs, frames, gop):
    """Output problems (list of strings) and per-rung bytes of a ladder run."""
    problems, info = [], {"rung_bytes": {}, "audio_bytes": None}
    if not os.path.isfile(os.path.join(out, "master.m3u8")):
        problems.append("ladder: master.m3u8 missing")
    try:
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        return problems + ["ladder: report.json unreadable (%s)" % e], info
    info["report_wall_s"] = report.get("wall_seconds")
    info["audio"] = report.get("audio")
    rrungs = report.get("rungs") or []
    if len(rrungs) != len(rungs):
        problems.append("ladder: %d rungs in report, expected %d" % (len(rrungs), len(rungs)))
    want_segments = math.ceil(frames / gop) if frames else None
    for (name, _spec, size, _kb), rr in zip(rungs, rrungs):
        rname = rr.get("name", "?")
        if (rr.get("width"), rr.get("height")) != size:
            problems.append("ladder: rung %s is %sx%s, ffmpeg is given %dx%d"
                            % (rname, rr.get("width"), rr.get("height"), size[0], size[1]))
        if rr.get("state") != "completed":
            problems.append("ladder: rung %s state %s" % (rname, rr.get("state")))
        if frames and rr.get("frames") != frames:
            problems.append("ladder: rung %s has %s frames, input %d" % (rname, rr.get("frames"), frames))
        d = os.path.join(out, "video", rname)
        segs = sorted(f for f in os.listdir(d) if f.endswith(".m4s")) if os.path.isdir(d) else []
        for f in ("init.mp4", "index.m3u8"):
            if not os.path.isfile(os.path.join(d, f)):
                problems.append("ladder: video/%s/%s missing" % (rname, f))
        if want_segments is not None and len(segs) != want_segments:
            problems.append("ladder: video/%s has %d segments, expected %d" % (rname, len(segs), want_segments))
        media = [os.path.join(d, f) for f in ["init.mp4"] + segs if os.path.isfile(os.path.join(d, f))]
        info["rung_bytes"][name] = sum(os.path.getsize(p) for p in media)
        if any(os.path.getsize(p) == 0 for p in media):
            problems.append("ladder: empty file under video/%s" % rname)
    a = os.path.join(out, "audio", "aac")
    if not (os.path.isfile(os.path.join(a, "init.mp4")) and os.path.isfile(os.path.join(a, "index.m3u8"))):
        problems.append("ladder: audio/aac init.mp4 or index.m3u8 missing")
    else:
        info["audio_bytes"] = sum(os.path.getsize(os.path.join(a, f)) for f in os.listdir(a)
                                  if f.endswith((".mp4", ".m4s")))
    return problems, info


def check_ffmpeg(outdir, rungs):
    problems, info = [], {"rung_bytes": {}}
    for name, _spec, _size, _kb in rungs:
        p = os.path.join(outdir, name + ".mp4")
        if not os.path.isfile(p) or os.path.getsize(p) == 0:
            problems.append("ffmpeg: %s.mp4 missing or empty" % name)
            continue
        info["rung_bytes"][name] = os.path.getsize(p)
    return problems, info


def packet_stats(ffprobe, src, stream, duration_hint=None):
    """Packets of one stream: count, keyframes, payload bytes, keyframe spacing."""
    out = run_text([ffprobe, "-v", "error", "-select_streams", stream,
                    "-show_entries", "packet=size,flags,pts_time", "-of", "csv=p=0", src])
    sizes, keys, last_pts = [], [], 0.0
    for line in out.splitlines():
        parts = line.strip().split(",")
        if len(parts) < 3 or not parts[1].isdigit():
            continue
        try:
            last_pts = max(last_pts, float(parts[0]))
        except ValueError:
            pass
        if "K" in parts[2]:
            keys.append(len(sizes))
        sizes.append(int(parts[1]))
    if not sizes:
        return {"error": first_line(out) or "no packets"}
    spacing = sorted({b - a for a, b in zip(keys, keys[1:])})
    payload = sum(sizes)
    res = {"packets": len(sizes), "keyframes": len(keys), "keyframe_spacing": spacing,
           "payload_bytes": payload}
    if duration_hint:
        res["payload_kbps"] = round(payload * 8 / duration_hint / 1000, 1)
    return res


def analyse_ladder(ffprobe, out, rungs, duration):
    res = {}
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    for (name, _s, _z, _k), rr in zip(rungs, report["rungs"]):
        d = os.path.join(out, "video", rr["name"])
        segs = sorted(f for f in os.listdir(d) if f.endswith(".m4s"))
        src = "concat:" + "|".join(os.path.join(d, f) for f in ["init.mp4"] + segs)
        res[name] = packet_stats(ffprobe, src, "v:0", duration)
        res[name]["segments"] = len(segs)
    a = os.path.join(out, "audio", "aac")
    segs = sorted(f for f in os.listdir(a) if f.endswith(".m4s"))
    res["audio"] = packet_stats(ffprobe, "concat:" + "|".join(os.path.join(a, f) for f in ["init.mp4"] + segs),
                                "a:0", duration)
    res["audio"]["copied"] = (report.get("audio") or {}).get("copied")
    return res


def analyse_ffmpeg(ffprobe, outdir, rungs, duration):
    res = {}
    for name, _s, _z, _k in rungs:
        res[name] = packet_stats(ffprobe, os.path.join(outdir, name + ".mp4"), "v:0", duration)
    res["audio"] = packet_stats(ffprobe, os.path.join(outdir, rungs[0][0] + ".mp4"), "a:0", duration)
    return res


# --------------------------------------------------------------------------
# report

def summarise(runs, cores):
    def vals(key, scale=1.0):
        return [r[key] * scale for r in runs if r.get(key) is not None]
    return {
        "runs": len(runs),
        "wall_s": vals("wall_s"), "cpu_s": vals("cpu_s"), "cpu_util": vals("cpu_util"),
        "maxrss_mib": vals("maxrss_kib", 1 / 1024), "background_util": vals("background_util"),
    }


def med(v):
    return statistics.median(v) if v else None


def markdown(results):
    L = []
    m = results["meta"]
    L.append("## ladder vs. FFmpeg CLI, %s" % m["date"])
    L.append("")
    L.append("%s; %s cores (nproc); %s; %s; preset %s; runs per system %d%s."
             % (m["cpu_model"], m["nproc"], m["ffmpeg_version"].split(" Copyright")[0], m["ladder_version"],
                m["args"]["preset"], m["args"]["runs"], " (QUICK smoke test)" if m["args"]["quick"] else ""))
    L.append("ffmpeg audio: %s; ffmpeg container: %s." % (m["args"]["ffmpeg_audio"], m["args"]["ffmpeg_mux"]))
    L.append("")
    L.append("| input | system | wall s | CPU s (user+sys) | CPU util | peak RSS MiB | background load |")
    L.append("|---|---|---|---|---|---|---|")
    for d in results["durations"]:
        for sysname in ("ladder", "ffmpeg", "ffmpeg_aac_only"):
            s = d["summary"].get(sysname)
            if not s or not s["wall_s"]:
                continue
            L.append("| %s s | %s | %s | %s | %s | %s | %s |" % (
                d["duration"], sysname.replace("_", " "),
                fmt_range(s["wall_s"], "{:.2f}"), fmt_range(s["cpu_s"], "{:.2f}"),
                fmt_range([u * 100 for u in s["cpu_util"]], "{:.0f}%"),
                fmt_range(s["maxrss_mib"], "{:.0f}"),
                fmt_range([u * 100 for u in s["background_util"]], "{:.0f}%")))
    L.append("")
    L.append("Median (min–max). CPU util = CPU / (wall × %d cores). Background load = CPU used by other "
             "processes during the run, same scale." % m["cores"])
    L.append("")
    L.append("| input | ladder/ffmpeg wall (median of pair ratios) | ratio of medians | ladder/ffmpeg CPU (ratio of medians) | ladder audio |")
    L.append("|---|---|---|---|---|")
    for d in results["durations"]:
        r = d["ratios"]
        L.append("| %s s | %s | %s | %s | %s |" % (
            d["duration"],
            fmt_range(r["wall_pair_ratios"], "{:.2f}"),
            "%.2f" % r["wall_ratio_of_medians"] if r["wall_ratio_of_medians"] else "n/a",
            "%.2f" % r["cpu_ratio_of_medians"] if r["cpu_ratio_of_medians"] else "n/a",
            d.get("ladder_audio") or "n/a"))
    if results.get("rss_scaling"):
        L.append("")
        for k, v in results["rss_scaling"].items():
            L.append("- peak RSS %s: %s" % (k, v))
    for d in results["durations"]:
        a = d.get("analysis")
        if not a:
            continue
        L.append("")
        L.append("### Output per rung, %s s input (bytes: median over runs; payload, frames, IDRs: last run)" % d["duration"])
        L.append("")
        L.append("| rung | ladder bytes (init+segments) | ffmpeg file bytes | ladder video payload | ffmpeg video payload | ladder frames / IDRs / IDR spacing | ffmpeg frames / IDRs / IDR spacing |")
        L.append("|---|---|---|---|---|---|---|")
        for name in d["rungs"]:
            la, fa = a["ladder"].get(name, {}), a["ffmpeg"].get(name, {})
            lb = d["bytes"]["ladder"].get(name)
            fb = d["bytes"]["ffmpeg"].get(name)

            def pl(x):
                return "%d (%s kb/s)" % (x["payload_bytes"], x.get("payload_kbps")) if "payload_bytes" in x else "n/a"

            def gop(x):
                return "%s / %s / %s" % (x.get("packets"), x.get("keyframes"), x.get("keyframe_spacing")) if "packets" in x else "n/a"
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, "%d" % lb if lb is not None else "n/a", "%d" % fb if fb is not None else "n/a",
                pl(la), pl(fa), gop(la), gop(fa)))
        la, fa = a["ladder"].get("audio", {}), a["ffmpeg"].get("audio", {})
        L.append("| audio | %s (separate rendition) | (inside %s.mp4) | %s | %s | %s packets | %s packets |" % (
            d["bytes"]["ladder_audio"] if d["bytes"].get("ladder_audio") is not None else "n/a",
            d["rungs"][0], pl(la), pl(fa), la.get("packets"), fa.get("packets")))
    if results["problems"]:
        L.append("")
        L.append("**Problems:**")
        for p in results["problems"]:
            L.append("- " + p)
    return "\n".join(L)


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--durations", default="10,60", help="input durations in seconds (default 10,60)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per system and duration (default 5)")
    ap.add_argument("--preset", default="veryfast", help="x264 preset for both (default veryfast)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 3 s 360p input, 2 rungs, 1 run each")
    ap.add_argument("--ladder", default=os.path.join(REPO, "build", "ladder"), help="ladder binary")
    ap.add_argument("--ffmpeg", default="ffmpeg")
    ap.add_argument("--ffprobe", default="ffprobe")
    ap.add_argument("--ffmpeg-audio", choices=("aac", "copy"), default="aac",
                    help="ffmpeg's audio: encode AAC 128k (default) or copy the source AAC")
    ap.add_argument("--ffmpeg-mux", choices=("fmp4", "mp4"), default="fmp4",
                    help="ffmpeg's mp4 files: fragmented at each IDR (default) or plain")
    ap.add_argument("--no-aac-reference", action="store_true",
                    help="skip the ffmpeg AAC-only reference run")
    ap.add_argument("--workdir", default=os.path.join(CACHE, "work"), help="where outputs are written")
    ap.add_argument("--json", help="results file (default benches/results/compare_ffmpeg-<date>.json; "
                                   "--quick: benches/.cache/)")
    args = ap.parse_args()

    if args.quick:
        durations, runs = [QUICK_DURATION], 1
        rungs, source = QUICK_LADDER, QUICK_SOURCE
    else:
        durations = [float(x) if "." in x else int(x) for x in args.durations.split(",") if x.strip()]
        runs, rungs, source = args.runs, FULL_LADDER, FULL_SOURCE
    if runs < 1:
        ap.error("--runs must be at least 1")
    for tool in (args.ffmpeg, args.ffprobe):
        if not shutil.which(tool):
            raise SystemExit("%s not found (apt-get install ffmpeg)" % tool)
    if not os.access(args.ladder, os.X_OK):
        raise SystemExit("%s not found: build it with ./scripts/build.sh build" % args.ladder)

    cores = len(os.sched_getaffinity(0))
    gop = round(SEGMENT_SECONDS * FPS_NUM / FPS_DEN)      # 60 at 29.97 fps
    now = datetime.datetime.now().astimezone()
    st = os.stat(args.ladder)
    meta = {
        "date": now.isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "nproc": first_line(run_text(["nproc"])),
        "cores": cores,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ffmpeg_version": first_line(run_text([args.ffmpeg, "-version"])),
        "ffmpeg_path": shutil.which(args.ffmpeg),
        "ladder_version": first_line(run_text([args.ladder, "version"])),
        "ladder_path": os.path.abspath(args.ladder),
        "ladder_sha256": sha256(args.ladder),
        "ladder_mtime": datetime.datetime.fromtimestamp(st.st_mtime).astimezone().isoformat(timespec="seconds"),
        "gop_frames": gop,
        "rungs": [{"name": n, "ladder_rung": s, "encoded_size": "%dx%d" % z, "kbps": k,
                   "maxrate_kbps": int(round(k * 1.1)), "bufsize_kbps": 2 * int(round(k * 1.1))}
                  for n, s, z, k in rungs],
        "args": {"durations": durations, "runs": runs, "preset": args.preset, "quick": args.quick,
                 "ffmpeg_audio": args.ffmpeg_audio, "ffmpeg_mux": args.ffmpeg_mux,
                 "aac_reference": not args.no_aac_reference},
        "memory_mib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20),
        "loadavg_start": loadavg(),
    }
    results = {"meta": meta, "inputs": [], "durations": [], "runs": [], "problems": []}
    problems = results["problems"]

    os.makedirs(args.workdir, exist_ok=True)
    total = len(durations) * runs * 2
    done = 0
    for seconds in durations:
        inp, gen_cmd = ensure_input(args.ffmpeg, source, seconds)
        info = probe_input(args.ffprobe, inp)
        frames = None
        for s in info.get("streams", []):
            if s.get("codec_type") == "video":
                frames = int(s.get("nb_read_packets", 0)) or None
        results["inputs"].append({"duration": seconds, "path": os.path.relpath(inp, REPO),
                                  "command": gen_cmd, "probe": info})
        # Warm-up, untimed: input in the page cache, binaries and libraries loaded.
        with open(inp, "rb") as f:
            while f.read(1 << 22):
                pass
        run_text([args.ladder, "version"])
        run_text([args.ffmpeg, "-version"])

        per = {"ladder": [], "ffmpeg": [], "ffmpeg_aac_only": []}
        dur_rec = {"duration": seconds, "frames": frames, "rungs": [r[0] for r in rungs],
                   "commands": {}, "bytes": {"ladder": {}, "ffmpeg": {}}}
        keep = {}
        for i in range(runs):
            for system in ("ladder", "ffmpeg"):
                done += 1
                rundir = os.path.join(args.workdir, "%s-%ss-%d" % (system, seconds, i + 1))
                shutil.rmtree(rundir, ignore_errors=True)
                os.makedirs(rundir)
                out = os.path.join(rundir, "out")
                if system == "ladder":
                    cmd = ladder_cmd(args.ladder, inp, out, rungs, args.preset)
                else:
                    os.makedirs(out)
                    cmd = ffmpeg_cmd(args.ffmpeg, inp, out, rungs, source, args.preset, gop,
                                     args.ffmpeg_audio, args.ffmpeg_mux)
                dur_rec["commands"][system] = cmd
                PROGRESS.start("[run %d/%d] %-6s %s s input, pair %d/%d" % (done, total, system, seconds, i + 1, runs))
                m = measure(cmd, os.path.join(rundir, "log.txt"), cores)
                rec = {"duration": seconds, "system": system, "run": i + 1, **m}
                if m["rc"] != 0:
                    probs = ["%s %s s run %d: exit %d: %s" % (system, seconds, i + 1, m["rc"],
                                                               tail(os.path.join(rundir, "log.txt"), 5))]
                    info_ = {}
                else:
                    probs, info_ = (check_ladder(out, rungs, frames, gop) if system == "ladder"
                                    else check_ffmpeg(out, rungs))
                    probs = ["%s s run %d: %s" % (seconds, i + 1, p) for p in probs]
                rec.update(info_)
                rec["problems"] = probs
                problems.extend(probs)
                results["runs"].append(rec)
                per[system].append(rec)
                PROGRESS.stop("wall %.2f s  cpu %.2f s  rss %.0f MiB%s" % (
                    m["wall_s"], m["cpu_s"], m["maxrss_kib"] / 1024,
                    "  FAILED (%d problems)" % len(probs) if probs else ""))
                if i == runs - 1 and not probs:
                    keep[system] = (rundir, out)
                else:
                    shutil.rmtree(rundir, ignore_errors=True)
            if not args.no_aac_reference and args.ffmpeg_audio == "aac":
                rundir = os.path.join(args.workdir, "aac-%ss-%d" % (seconds, i + 1))
                shutil.rmtree(rundir, ignore_errors=True)
                os.makedirs(rundir)
                cmd = aac_only_cmd(args.ffmpeg, inp, os.path.join(rundir, "audio.m4a"))
                dur_rec["commands"]["ffmpeg_aac_only"] = cmd
                PROGRESS.start("[ref] ffmpeg AAC-only %s s input, run %d/%d" % (seconds, i + 1, runs))
                m = measure(cmd, os.path.join(rundir, "log.txt"), cores)
                PROGRESS.stop("wall %.2f s  cpu %.2f s" % (m["wall_s"], m["cpu_s"]))
                rec = {"duration": seconds, "system": "ffmpeg_aac_only", "run": i + 1, **m}
                if m["rc"] != 0:
                    rec["problems"] = ["ffmpeg_aac_only %s s run %d: exit %d" % (seconds, i + 1, m["rc"])]
                    problems.extend(rec["problems"])
                results["runs"].append(rec)
                per["ffmpeg_aac_only"].append(rec)
                shutil.rmtree(rundir, ignore_errors=True)

        ok = {k: [r for r in v if r["rc"] == 0 and not r.get("problems")] for k, v in per.items()}
        dur_rec["summary"] = {k: summarise(v, cores) for k, v in ok.items() if v}
        pairs = [(a["wall_s"], b["wall_s"], a["cpu_s"], b["cpu_s"]) for a, b in zip(per["ladder"], per["ffmpeg"])
                 if a in ok["ladder"] and b in ok["ffmpeg"]]
        lw, fw = med([p[0] for p in pairs]), med([p[1] for p in pairs])
        lc, fc = med([p[2] for p in pairs]), med([p[3] for p in pairs])
        dur_rec["ratios"] = {
            "wall_pair_ratios": [p[0] / p[1] for p in pairs],
            "wall_ratio_median_of_pairs": med([p[0] / p[1] for p in pairs]),
            "wall_ratio_of_medians": lw / fw if pairs else None,
            "cpu_ratio_of_medians": lc / fc if pairs else None,
        }
        for system in ("ladder", "ffmpeg"):
            for name in dur_rec["rungs"]:
                v = [r["rung_bytes"][name] for r in ok[system] if name in r.get("rung_bytes", {})]
                if v:
                    dur_rec["bytes"][system][name] = int(med(v))
        v = [r["audio_bytes"] for r in ok["ladder"] if r.get("audio_bytes") is not None]
        dur_rec["bytes"]["ladder_audio"] = int(med(v)) if v else None
        audios = [r.get("audio") for r in ok["ladder"] if r.get("audio")]
        if audios:
            dur_rec["ladder_audio"] = "copied" if all(a.get("copied") for a in audios) else (
                "encoded" if not any(a.get("copied") for a in audios) else "mixed")
        if "ladder" in keep and "ffmpeg" in keep:
            actual = frames * FPS_DEN / FPS_NUM if frames else seconds
            try:
                dur_rec["analysis"] = {
                    "ladder": analyse_ladder(args.ffprobe, keep["ladder"][1], rungs, actual),
                    "ffmpeg": analyse_ffmpeg(args.ffprobe, keep["ffmpeg"][1], rungs, actual),
                }
                for name in dur_rec["rungs"]:
                    for system in ("ladder", "ffmpeg"):
                        a = dur_rec["analysis"][system].get(name, {})
                        if frames and a.get("packets") != frames:
                            problems.append("%s s: %s %s has %s video packets, input %d frames"
                                            % (seconds, system, name, a.get("packets"), frames))
            except (OSError, ValueError, KeyError) as e:
                problems.append("%s s: analysis failed: %r" % (seconds, e))
        for rundir, _out in keep.values():
            shutil.rmtree(rundir, ignore_errors=True)
        results["durations"].append(dur_rec)

    # peak RSS across input lengths (longest vs shortest)
    if len(results["durations"]) >= 2:
        ds = sorted(results["durations"], key=lambda d: d["duration"])
        lo, hi = ds[0], ds[-1]
        rs = {}
        for system in ("ladder", "ffmpeg"):
            a = med(lo["summary"].get(system, {}).get("maxrss_mib", []))
            b = med(hi["summary"].get(system, {}).get("maxrss_mib", []))
            if a and b:
                rs["%s RSS(%s s)/RSS(%s s)" % (system, hi["duration"], lo["duration"])] = round(b / a, 3)
        results["rss_scaling"] = rs
    meta["loadavg_end"] = loadavg()

    if args.json:
        path = args.json
    else:
        base = os.path.join(CACHE, "results") if args.quick else RESULTS
        path = os.path.join(base, "compare_ffmpeg-%s%s.json" % ("quick-" if args.quick else "",
                                                               now.strftime("%Y-%m-%d-%H%M%S")))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print(markdown(results))
    log("results: %s" % os.path.relpath(path, os.getcwd()))
    if problems:
        log("FAILED: %d problem(s)" % len(problems))
        for p in problems:
            log("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
