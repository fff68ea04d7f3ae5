#!/usr/bin/env python3
"""Write the seed corpus, tests/fuzz/corpus/<target>/ (run from anywhere).

Seeds are small valid (and a few nearly valid) inputs from which the
fuzzer mutates. Text seeds are written here by hand; bitstream seeds (SPS,
VPS, avcC, hvcC, AV1 sequence headers and av1C, an AAC config, a CMAF
segment, tiny media files) are cut out of tiny encodes made with ffmpeg
now, so only their few hundred bytes are kept. Needs ffmpeg with libx264,
libx265, libaom-av1 (or libsvtav1) and the native aac encoder. Only needed
to regenerate the seeds: the committed ones are what CI uses.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def boxes(buf, start=0, end=None):
    """(type, payload offset, payload end, box start) of each box in buf."""
    end = len(buf) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, typ = struct.unpack(">I4s", buf[pos:pos + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", buf[pos + 8:pos + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - pos
        if size < hdr or pos + size > end:
            return
        yield typ.decode("latin-1"), pos + hdr, pos + size, pos
        pos += size


def find_box(buf, path, start=0, end=None):
    """Payload (offset, end) of the box at path ("moov/trak/mdia/..."), descending
    into sample entries by skipping their fixed fields."""
    name, _, rest = path.partition("/")
    for typ, off, stop, _ in boxes(buf, start, end):
        if typ == name:
            if not rest:
                return off, stop
            skip = {"stsd": 8, "avc1": 78, "hvc1": 78, "hev1": 78, "av01": 78, "mp4a": 28}.get(typ, 0)
            return find_box(buf, rest, off + skip, stop)
    return None


def sample_entry_config(mp4, entry, config):
    data = open(mp4, "rb").read()
    r = find_box(data, "moov/trak/mdia/minf/stbl/stsd/%s/%s" % (entry, config))
    if not r:
        sys.exit("make-seeds: no %s/%s in %s" % (entry, config, mp4))
    return data[r[0]:r[1]]


def annexb_units(data, keep):
    """The NAL units whose type keep() accepts, with 4-byte start codes."""
    out = b""
    parts = data.split(b"\x00\x00\x01")
    for p in parts[1:]:
        p = p.rstrip(b"\x00")
        if p and keep(p):
            out += b"\x00\x00\x00\x01" + p
    return out


def bitstream_seeds(tmp):
    src = ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10:duration=0.2"]
    # H.264: avcC from MP4, Annex B SPS+PPS, for three profiles.
    for profile in ("baseline", "main", "high"):
        mp4 = os.path.join(tmp, "h264-%s.mp4" % profile)
        ffmpeg(*src, "-c:v", "libx264", "-profile:v", profile, "-pix_fmt", "yuv420p", mp4)
        put("fuzz_codec_string", "h264-avcc-%s" % profile, b"\x00" + sample_entry_config(mp4, "avc1", "avcC"))
        raw = os.path.join(tmp, "h264-%s.h264" % profile)
        ffmpeg("-i", mp4, "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-frames:v", "1", raw)
        ps = annexb_units(open(raw, "rb").read(), lambda n: (n[0] & 0x1f) in (7, 8))
        put("fuzz_codec_string", "h264-annexb-%s" % profile, b"\x00" + ps)
    # HEVC: hvcC and Annex B VPS+SPS+PPS, Main and Main 10.
    for pix in ("yuv420p", "yuv420p10le"):
        mp4 = os.path.join(tmp, "hevc-%s.mp4" % pix)
        ffmpeg(*src, "-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", pix,
               "-tag:v", "hvc1", mp4)
        hvcc = sample_entry_config(mp4, "hvc1", "hvcC")
        put("fuzz_codec_string", "hevc-hvcc-%s" % pix, b"\x01" + hvcc)
        raw = os.path.join(tmp, "hevc-%s.hevc" % pix)
        ffmpeg("-i", mp4, "-c", "copy", "-bsf:v", "hevc_mp4toannexb", "-frames:v", "1", raw)
        ps = annexb_units(open(raw, "rb").read(), lambda n: ((n[0] >> 1) & 0x3f) in (32, 33, 34))
        put("fuzz_codec_string", "hevc-annexb-%s" % pix, b"\x01" + ps)
    # AV1: av1C from MP4 and the first temporal unit's OBUs (TD + sequence header).
    av1 = "libaom-av1"
    enc = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    if "libaom-av1" not in enc:
        av1 = "libsvtav1"
    for pix in ("yuv420p", "yuv420p10le"):
        mp4 = os.path.join(tmp, "av1-%s.mp4" % pix)
        extra = ["-cpu-used", "8"] if av1 == "libaom-av1" else ["-preset", "12"]
        ffmpeg(*src, "-c:v", av1, *extra, "-pix_fmt", pix, mp4)
        av1c = sample_entry_config(mp4, "av01", "av1C")
        put("fuzz_codec_string", "av1-av1c-%s" % pix, b"\x02" + av1c)
        seq = av1c[4:]            # configOBUs: the sequence header OBU
        put("fuzz_codec_string", "av1-obus-%s" % pix, b"\x02" + b"\x12\x00" + seq)
        put("fuzz_av1_obu", "td-seq-%s" % pix, b"\x12\x00" + seq)
        put("fuzz_av1_obu", "seq-%s" % pix, seq)
        # A whole (small) key frame packet: TD, sequence header, frame.
        obu = os.path.join(tmp, "av1-%s.obu" % pix)
        ffmpeg("-i", mp4, "-c", "copy", "-frames:v", "1", "-f", "obu", obu)
        put("fuzz_av1_obu", "temporal-unit-%s" % pix, open(obu, "rb").read()[:1024])
    # AAC-LC and HE-AAC style configs (the latter by hand: escape and SBR).
    m4a = os.path.join(tmp, "aac.m4a")
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.1", "-c:a", "aac", m4a)
    put("fuzz_codec_string", "aac-lc", b"\x03" + sample_entry_config(m4a, "mp4a", "esds")[-5:-3])
    put("fuzz_codec_string", "aac-asc-lc", b"\x03\x12\x10")
    put("fuzz_codec_string", "aac-asc-escape", b"\x03\xf8\x20\x00")
    # CMAF media segment: the first moof+mdat of a fragmented MP4.
    frag = os.path.join(tmp, "frag.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=32x32:rate=5:duration=0.4", "-c:v", "libx264",
           "-preset", "ultrafast", "-g", "2", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
           frag)
    data = open(frag, "rb").read()
    top = list(boxes(data))
    first = next(i for i, b in enumerate(top) if b[0] == "moof")
    seg = b"".join(data[b[3]:b[2]] for b in top[first:first + 2])
    put("fuzz_fmp4_index", "cmaf-segment.m4s", b"\x00\x00\x00\x18styp" + b"msdhmsdhcmfc" + b"\x00" * 4 + seg)
    put("fuzz_fmp4_index", "moof-mdat.m4s", seg)
    # Tiny media files for the probe: MP4 with audio, Matroska, WAV, ADTS, MPEG-TS.
    probe = "fuzz_media_probe"
    mp4 = os.path.join(tmp, "tiny.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=16x16:rate=5:duration=0.4", "-f", "lavfi", "-i",
           "sine=duration=0.1:sample_rate=8000", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", "-b:a", "16k", "-metadata:s:a:0", "language=eng", "-shortest", mp4)
    put(probe, "tiny.mp4", open(mp4, "rb").read())
    mkv = os.path.join(tmp, "tiny.mkv")
    ffmpeg("-i", mp4, "-c", "copy", mkv)
    put(probe, "tiny.mkv", open(mkv, "rb").read())
    ts = os.path.join(tmp, "tiny.ts")
    ffmpeg("-i", mp4, "-c", "copy", "-frames:v", "1", ts)
    put(probe, "tiny.ts", open(ts, "rb").read()[:4 * 188])
    wav = os.path.join(tmp, "tiny.wav")
    ffmpeg("-f", "lavfi", "-i", "sine=duration=0.02:sample_rate=8000", "-ac", "1", wav)
    put(probe, "tiny.wav", open(wav, "rb").read())
    adts = os.path.join(tmp, "tiny.aac")
    ffmpeg("-i", m4a, "-c", "copy", "-t", "0.05", adts)
    put(probe, "tiny.aac", open(adts, "rb").read())
    for name in ("tiny.mp4", "tiny.mkv"):
        size = os.path.getsize(os.path.join(CORPUS, probe, name))
        if size > 8192:
            sys.exit("make-seeds: %s is %d bytes, keep seeds small" % (name, size))


def text_seeds():
    samples = os.path.join(HERE, "..", "..", "samples")
    for name in sorted(os.listdir(os.path.join(samples, "ladders"))):
        put("fuzz_ladder_config", name, open(os.path.join(samples, "ladders", name), "rb").read())
    put("fuzz_ladder_config", "options.json",
        '{"segment_seconds": 2.002, "format": ["hls", "dash"], "codec": "hevc", "audio": "first",\n'
        ' "audio_codec": "opus", "audio_channels": 6, "parameter_sets": "in-band", "exact_shape": true,\n'
        ' "rungs": [{"name": "720p", "width": 1280, "height": 720, "bitrate": 3000, "max_fps": 29.97,\n'
        '            "profile": "main10", "codec": "hevc", "bit_depth": 10},\n'
        '           {"height": 360, "crf": 28, "maxrate": "900k", "profile": "baseline", "codec": "h264"}]}\n')
    put("fuzz_ladder_config", "bom-bad.json", b"\xef\xbb\xbf{\"rungs\": [{\"height\": 720, \"bitrate\": \"3M\"}], \"x\": 1}")

    for i, spec in enumerate([
            "1280x720:3000k", "x720:3M:maxrate=3300k:bufsize=6000k:fps=30000/1001:profile=main:name=720p",
            "1920x:crf23:maxrate=8M", "640x360:800000:fps=25:profile=baseline", "hls,dash,mp4", "hevc",
            "av1", "in-band", "opus", "6", "veryslow"]):
        put("fuzz_rung_spec", "seed-%02d" % i, spec)

    for i, size in enumerate(["512M", "1.5GiB", "1048576", "2G", "1T", "0.5kB", "1e3", "0x10M"]):
        put("fuzz_size", "seed-%02d" % i, size)

    base = '"input": "in.mp4", "output_root": "/tmp", "output": "out"'
    jobs = {
        "proxy": '{"type": "proxy", "id": "job-1", %s, "height": 720, "bitrate": "3M", "audio_bitrate": 96, "preset": "fast"}',
        "thumbnail": '{"type": "thumbnail", %s, "time": 2.5, "width": 320, "format": "webp", "quality": 80}',
        "filmstrip": '{"type": "filmstrip", %s, "count": 12, "columns": 4, "rows": 2, "width": 128, "height": 72, "interval": 5}',
        "conform": '{"type": "conform", %s, "fps": 25, "width": 1280, "height": 720, "fit": "crop", "pix_fmt": "yuv420p", "audio_channels": 2, "audio_rate": 48000, "loudness": -23, "crf": 20}',
        "trim": '{"type": "trim", %s, "in": 1, "out": 3.5, "mode": "reencode"}',
        "ladder": '{"type": "ladder", %s, "rungs": [{"height": 360, "bitrate": "800k"}, {"height": 720, "crf": 23}], "format": "hls,dash", "codec": "h264", "segment_seconds": 4}',
        "url": '{"type": "proxy", "input": "https://media.example/in.mp4", "output_root": "/tmp", "output": "o", "url_allow": ["https://media.example/"]}',
    }
    for name, text in jobs.items():
        put("fuzz_job_spec", name + ".json", text % base if "%s" in text else text)

    put("fuzz_host_config", "sample.json", open(os.path.join(samples, "ladder.config.json"), "rb").read())
    put("fuzz_host_config", "devices.json",
        '{"devices": "cpu:3,nvidia:2:gpu=0:min-free=8G", "when_busy": "cpu", "memory_budget": "1.5GiB",\n'
        ' "routing": {"gpu_memory_reserve": 0, "small_job_max_pixels": 0}, "input_allow": []}\n')
    put("fuzz_tiers", "sample.json", open(os.path.join(samples, "ladder.tiers.json"), "rb").read())
    put("fuzz_tiers", "all-keys.json",
        '{"tiers": [{"name": "enc", "match": {"kind": ["nvidia", "intel"], "nvenc": false,\n'
        ' "encode": ["h264", "hevc", "av1", "vp9"], "min_memory_gib": 0.5, "min_cores": 4,\n'
        ' "name_contains": "H100"}, "jobs": ["ladder"]}, {"name": "any", "match": {}, "jobs": []}]}\n')

    for i, spec in enumerate([
            "cpu:4", "cpu:3,cpu:1:av1=libaom-av1", "nvidia:2:gpu=0:min-free=8G:hevc=hevc_nvenc",
            "nvidia:uuid=GPU-12345678-abcd", "fault:1:fail-after=2:fail-for=1:name=bad",
            "auto", "cpu:preset=slow:h264=libx264,cpu:name=cpu-b"]):
        put("fuzz_device_spec", "seed-%02d" % i, b"\x07" + spec.encode())

    for i, triple in enumerate([
            "avc1.64001f\navc1.4d401e\navc1.42c00d", "hvc1.2.4.L123.B0\nhvc1.1.6.L93.B0\nhev1.1.6.L90.90",
            "av01.0.04M.08\nav01.0.04M.08\nav01.0.05M.08", "mp4a.40.2\nmp4a.40.2\nmp4a.40.5",
            "hvc1.A1.6.H150.B0.23\nhvc1.1.6.L150\nhvc1.1.0.L1"]):
        put("fuzz_codec_decodable", "seed-%02d" % i, triple)


def structured_seeds():
    """Inputs for the targets that build structures from bytes (fuzz.h's
    fuzz_reader): each is a well-formed structure the writers accept."""
    def s(text):
        b = text.encode()
        return bytes([len(b)]) + b

    def u32(v):
        return struct.pack(">I", v)

    def u64(v):
        return struct.pack(">Q", v)

    # fuzz_hls_playlist: mode, then fields in the order the target reads them.
    segs = b"".join(s("seg_%05d.m4s" % i) + u32(2002) + u64(0) + u64(0) for i in range(1, 4))
    put("fuzz_hls_playlist", "media", b"\x00" + s("init.mp4") + b"\x03" + segs)
    segs = b"".join(s("seg_%05d.m4s" % i) + u32(2000) + u64(100 * i) + u64(1500) for i in range(1, 3))
    put("fuzz_hls_playlist", "iframes", b"\x01" + s("init.mp4") + b"\x02" + segs)
    audio = b"\x05" + s("aac_128k") + s("en") + s("audio/1-en-aac/index.m3u8") + b"\x02"
    var = (b"\x01" + s("video/720p/index.m3u8") + u64(3300000) + u64(3000000) + s("avc1.64001f,mp4a.40.2")
           + u32(1280) + u32(720) + u32(29970) + s("video/720p/iframes.m3u8") + u64(400000) + s("avc1.64001f"))
    put("fuzz_hls_playlist", "master", b"\x02\x01\x01" + audio + var)

    # fuzz_dash_mpd: counts, then video and audio representations.
    def timeline(dir_, n):
        return s(dir_) + b"\x00\x01" + b"\x00" + bytes([n]) + b"\xff" * n

    video = (s("720p") + s("avc1.64001f") + u64(3300000) + b"\x05\x00\x02\xd0" + u32(30000) + u32(1001)
             + u32(1) + u32(1) + b"\x01\x01\x01" + timeline("video/720p", 3))
    audio = (s("1-en-aac") + s("mp4a.40.2") + u64(128000) + u32(48000) + b"\x02" + s("en") + b"\x01"
             + timeline("audio/1-en-aac", 2))
    put("fuzz_dash_mpd", "video-audio", b"\x01\x01" + video + audio)
    put("fuzz_dash_mpd", "video-only", b"\x01\x00" + video)

    # fuzz_audio_plan: source, request, stream index, then the language tag.
    put("fuzz_audio_plan", "aac-stereo-eng", b"\x01" + u32(3) + u32(48000) + u64(128000) + b"\x00\x02\x00\x80\x00\x01" + b"eng")
    put("fuzz_audio_plan", "opus-51-fre", b"\x02" + u32(6) + u32(48000) + u64(0) + b"\x01\x00\x00\x00\x00\x02" + b"FRE")
    put("fuzz_audio_plan", "other-71-und", b"\x00" + u32(8) + u32(44100) + u64(640000) + b"\x00\x06\x01\x00\x00\x03" + b"und")

    # fuzz_filmstrip: count, interval, duration, columns, rows, tile size, then a luma plane.
    put("fuzz_filmstrip", "count-12", b"\x00\x0c" + u32(10000) + u32(60000) + b"\x04\x02\x00\x80\x00\x48")
    put("fuzz_filmstrip", "interval", b"\x00\x00" + u32(5000) + u32(93500) + b"\x05\x00\x00\xa0\x00\x5a")


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    text_seeds()
    structured_seeds()
    with tempfile.TemporaryDirectory() as tmp:
        bitstream_seeds(tmp)
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        total = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print("%-22s %2d seeds, %6d bytes" % (target, len(files), total))


if __name__ == "__main__":
    main()
