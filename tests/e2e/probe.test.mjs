// `ladder probe`: every field on generated sources whose facts we chose
// (VFR, rotation, 10-bit, HLG/PQ, anamorphic, several audio languages, no
// video), its errors (missing: exit 3; empty or garbage: exit 4), and the
// accuracy of its estimates against a real `ladder encode` measured here:
// peak RSS within RAM_TOLERANCE and encode CPU-seconds within
// CPU_TOLERANCE (docs/PROBE_MODEL.md explains the model and its fit).
//
// The timeline (engine/timeline_scan.c): on MPEG-TS inputs made of two
// pieces end to end (a 4 s gap, a 4 s jump back, a 44.1 -> 48 kHz and a
// stereo -> 5.1 audio change) and a raw H.264 stream whose VUI claims
// 90000 fps, the probe lists each fact at its output time and size, and
// `ladder encode` on the same file reports the same events in report.json.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, runLadder, stderrLines } from './lib/ladder.mjs';
import { makeMedia, runFfmpeg, vfrClip } from './lib/media.mjs';
import { ffprobeJson, findBox, probeStreams, rateValue } from './lib/probe.mjs';
import { makeTempDir, runProcess, withSharedLock } from './lib/util.mjs';

const TIME_TOLERANCE = 0.1; // seconds: where the probe and the encode place an event
const RAM_TOLERANCE = 0.35;
const CPU_TOLERANCE = 0.40;

async function probe(file, extra = []) {
  const r = await runLadder(['probe', file, '--json', ...extra]);
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout);
}

/** The tkhd matrix of the first track set to a 90 degree rotation (FFmpeg 5.1's CLI cannot write one). */
function rotate90(src, dst) {
  const buf = fs.readFileSync(src);
  const tkhd = findBox(buf, ['moov', 'trak', 'tkhd']);
  assert.ok(tkhd, 'no tkhd');
  const version = buf[tkhd.payloadStart];
  // fullbox(4) + times/ids: v0 20 bytes, v1 32 bytes; reserved(8), layer, group, volume, reserved (8)
  const matrix = tkhd.payloadStart + 4 + (version === 1 ? 32 : 20) + 16;
  const m = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000];
  m.forEach((v, i) => buf.writeInt32BE(v, matrix + 4 * i));
  fs.writeFileSync(dst, buf);
}

/** Whether the ladder binary is built with AddressSanitizer (its RSS and CPU are not the release's). */
function sanitizedBuild() {
  return fs.readFileSync(ladderBin()).includes(Buffer.from('__asan_init'));
}

describe('ladder probe', () => {
  let work;
  const src = {};
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-probe-');
    src.cfr = await makeMedia({ name: 'probe-cfr', width: 320, height: 180, rate: '30000/1001', duration: 3 });
    src.vfr = await vfrClip({ duration: 3 });
    src.hlg = await makeMedia({
      name: 'probe-hlg', width: 320, height: 180, rate: '25', duration: 2, audio: false, pixFmt: 'yuv420p10le',
      extraVideoArgs: ['-color_trc', 'arib-std-b67', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc'],
    });
    src.pq = await makeMedia({
      name: 'probe-pq', width: 320, height: 180, rate: '24', duration: 2, audio: false, pixFmt: 'yuv420p10le',
      extraVideoArgs: ['-color_trc', 'smpte2084', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc'],
    });
    src.anamorphic = await makeMedia({
      name: 'probe-sar', width: 480, height: 360, rate: '25', duration: 2, audio: false,
      extraVideoArgs: ['-aspect', '16:9'],
    });
    await withSharedLock(async () => {
      src.rotated = path.join(work, 'rotated.mp4');
      rotate90(src.cfr.path, src.rotated);
      // Two audio tracks: English stereo 48 kHz (default), French 5.1 44.1 kHz with a title.
      src.multi = path.join(work, 'multi.mkv');
      runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2',
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
        '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=44100:duration=2',
        '-map', '0:v', '-map', '1:a', '-map', '2:a', '-c:v', 'libx264', '-preset', 'ultrafast',
        '-c:a', 'aac', '-ac:a:0', '2', '-ac:a:1', '6',
        '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra',
        '-metadata:s:a:1', 'title=Commentaire', '-disposition:a:0', 'default', '-disposition:a:1', '0',
        src.multi], 'multi-audio source');
      src.audioOnly = path.join(work, 'audio-only.m4a');
      runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:a', 'aac',
        src.audioOnly], 'audio-only source');
    });
  });

  it('container, duration and a CFR video stream', async () => {
    const p = await probe(src.cfr.path);
    assert.equal(p.input, src.cfr.path);
    assert.match(p.format, /mp4/);
    assert.ok(Math.abs(p.duration - 3) < 0.1, `duration ${p.duration}`);
    assert.equal(p.size, fs.statSync(src.cfr.path).size);
    assert.equal(p.has_video, true);
    const v = p.streams[p.video_stream];
    assert.equal(v.type, 'video');
    assert.equal(v.codec, 'h264');
    assert.equal(v.width, 320);
    assert.equal(v.height, 180);
    assert.equal(v.pix_fmt, 'yuv420p');
    assert.equal(v.bit_depth, 8);
    assert.equal(v.hdr, 'SDR');
    assert.equal(v.sar, '1:1');
    assert.equal(v.dar, '16:9');
    assert.ok(Math.abs(v.measured_frame_rate - 30000 / 1001) < 0.01, `measured ${v.measured_frame_rate}`);
    assert.ok(Math.abs(v.header_frame_rate - 30000 / 1001) < 0.01);
    assert.equal(v.vfr, false);
    assert.equal(v.rotation, 0);
    assert.equal(v.default, true);
    const a = p.streams.find((s) => s.type === 'audio');
    assert.equal(a.codec, 'aac');
    assert.equal(a.profile, 'LC');
    assert.equal(a.sample_rate, 48000);
    assert.equal(a.channels, 2);
    assert.equal(a.channel_layout, 'stereo');
    // Every stream ffprobe sees, in the same order.
    assert.deepEqual(p.streams.map((s) => s.codec), probeStreams(src.cfr.path).map((s) => s.codec_name));
  });

  it('VFR: measured from packet timestamps, not the header', async () => {
    const p = await probe(src.vfr.path);
    const v = p.streams[p.video_stream];
    assert.equal(v.vfr, true, JSON.stringify(v));
    assert.ok(v.measured_frames >= 10);
    assert.match(p.format, /matroska/);
  });

  it('rotation from the display matrix', async () => {
    const p = await probe(src.rotated);
    const v = p.streams[p.video_stream];
    assert.equal(Math.abs(v.rotation), 90);
    const ff = probeStreams(src.rotated).find((s) => s.codec_type === 'video');
    const side = (ff.side_data_list || []).find((d) => 'rotation' in d);
    assert.ok(side, 'ffprobe sees the rotation too');
    assert.equal(v.rotation, Number(side.rotation));
  });

  it('10-bit HLG and PQ', async () => {
    for (const [name, hdr, trc] of [['hlg', 'HLG', 'arib-std-b67'], ['pq', 'PQ', 'smpte2084']]) {
      const p = await probe(src[name].path);
      const v = p.streams[p.video_stream];
      assert.equal(v.bit_depth, 10, name);
      assert.equal(v.pix_fmt, 'yuv420p10le', name);
      assert.equal(v.profile, 'High 10', name);
      assert.equal(v.hdr, hdr, name);
      assert.equal(v.color_transfer, trc, name);
      assert.equal(v.color_primaries, 'bt2020', name);
    }
  });

  it('anamorphic: SAR and DAR, and rung sizes from the display size', async () => {
    const p = await probe(src.anamorphic.path);
    const v = p.streams[p.video_stream];
    assert.equal(v.sar, '4:3');
    assert.equal(v.dar, '16:9');
    // Default ladder on a 640x360 display: 360p (640x360) and 240p.
    assert.deepEqual(p.estimate.rungs.map((r) => `${r.width}x${r.height}`), ['640x360', '426x240']);
  });

  it('several audio tracks: languages, title, layouts, default', async () => {
    const p = await probe(src.multi);
    const audio = p.streams.filter((s) => s.type === 'audio');
    assert.equal(audio.length, 2);
    assert.deepEqual(audio.map((a) => a.language), ['eng', 'fra']);
    assert.deepEqual(audio.map((a) => a.title), [null, 'Commentaire']);
    assert.deepEqual(audio.map((a) => a.sample_rate), [48000, 44100]);
    assert.deepEqual(audio.map((a) => a.channels), [2, 6]);
    assert.equal(audio[0].channel_layout, 'stereo');
    assert.match(audio[1].channel_layout, /^5\.1/);
    assert.deepEqual(audio.map((a) => a.default), [true, false]);
  });

  it('no video: still probes, and says so', async () => {
    const p = await probe(src.audioOnly);
    assert.equal(p.has_video, false);
    assert.equal(p.video_stream, null);
    assert.equal(p.estimate, null);
    assert.equal(p.streams.length, 1);
    assert.equal(p.streams[0].type, 'audio');
    const human = await runLadder(['probe', src.audioOnly]);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /no video stream/);
  });

  it('missing input: exit 3, one line naming it', async () => {
    const missing = path.join(work, 'nope.mp4');
    const r = await runLadder(['probe', missing]);
    assert.equal(r.code, 3, describeRun(r));
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(missing), lines[0]);
  });

  it('empty and garbage input: exit 4, one line naming it', async () => {
    const empty = path.join(work, 'empty.mp4');
    fs.writeFileSync(empty, '');
    const garbage = path.join(work, 'garbage.mp4');
    // Deterministic noise that no demuxer accepts.
    const bytes = Buffer.alloc(64 * 1024);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes[i] = x >>> 24; }
    fs.writeFileSync(garbage, bytes);
    for (const f of [empty, garbage]) {
      const r = await runLadder(['probe', f]);
      assert.equal(r.code, 4, describeRun(r));
      const lines = stderrLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].includes(f), lines[0]);
    }
  });

  it('estimates match a real encode: rungs, bytes, peak RSS, CPU-seconds', async (t) => {
    // Not one of the calibration inputs (docs/PROBE_MODEL.md): another size, rate and slot count.
    const source = await makeMedia({ name: 'probe-est', width: 960, height: 540, rate: '25', duration: 4 });
    const args = ['--devices', 'cpu:2', '--preset', 'veryfast'];
    const p = await probe(source.path, args);
    const est = p.estimate;
    const outDir = path.join(work, 'est-out');
    const r = await withSharedLock(() => runProcess('/usr/bin/time', ['-f', 'maxrss_kib=%M', ladderBin(), 'encode',
      source.path, '-o', outDir, '--progress', 'none', ...args],
    { env: { ...process.env, LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '2' } }));
    assert.equal(r.code, 0, r.stderr);
    const rep = loadOutput(outDir).report;
    // The same rungs as the encode resolved.
    assert.deepEqual(est.rungs.map((x) => [x.name, x.width, x.height, x.frames]),
      rep.rungs.map((x) => [x.name, x.width, x.height, x.frames]));
    assert.equal(est.cpu_slots, rep.cpu_slots);
    assert.equal(est.memory_budget_bytes, rep.memory.budget_bytes, 'the engine\'s budget rule');
    for (const [i, x] of est.rungs.entries()) {
      const actual = rep.rungs[i].bytes;
      assert.ok(Math.abs(x.bytes - actual) <= 0.35 * actual, `${x.name}: ${x.bytes} bytes estimated, ${actual} written`);
    }
    assert.equal(est.gpu.calibrated, false);
    assert.equal(est.gpu.note, 'uncalibrated: no GPU measured');
    assert.ok(est.gpu.total_bytes > est.gpu.decode_bytes + est.gpu.frames_bytes && est.gpu.decode_bytes > 0);
    assert.ok(est.gpu.frames_bytes > 0 && est.gpu.frames_bytes <= est.memory_budget_bytes);
    if (sanitizedBuild()) {
      t.skip('AddressSanitizer build: its RSS and CPU time are not what the model describes');
      return;
    }
    const rss = Number(/maxrss_kib=(\d+)/.exec(r.stderr)[1]) * 1024;
    const cpuMeasured = rep.rungs.reduce((s, x) => s + x.encode_cpu_seconds, 0);
    t.diagnostic(`peak RAM estimated ${(est.peak_ram_bytes / 2 ** 20).toFixed(0)} MiB, measured ${(rss / 2 ** 20).toFixed(0)} MiB; ` +
      `encode CPU estimated ${est.cpu_seconds.toFixed(2)} s, measured ${cpuMeasured.toFixed(2)} s`);
    assert.ok(Math.abs(est.peak_ram_bytes - rss) <= RAM_TOLERANCE * rss,
      `peak RAM: estimated ${(est.peak_ram_bytes / 2 ** 20).toFixed(0)} MiB, measured ${(rss / 2 ** 20).toFixed(0)} MiB`);
    const cpu = rep.rungs.reduce((s, x) => s + x.encode_cpu_seconds, 0);
    assert.equal(est.cpu_calibrated, true);
    assert.ok(Math.abs(est.cpu_seconds - cpu) <= CPU_TOLERANCE * cpu,
      `encode CPU: estimated ${est.cpu_seconds.toFixed(2)} s, measured ${cpu.toFixed(2)} s`);
  });
});

describe('ladder probe: the timeline', () => {
  let work;
  const src = {};
  /** One 6 s MPEG-TS piece starting at `offset` s (plus the muxer's 1.4 s), 25 fps H.264 + AAC. */
  function piece(name, offset, { rate = 48000, channels = 2 } = {}) {
    const file = path.join(work, name);
    runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=6',
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=6`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac', '-ac', String(channels),
      '-output_ts_offset', String(offset), '-f', 'mpegts', file], name);
    return file;
  }
  /** Two TS pieces end to end, byte-wise (a splice as a capture records it). */
  function joined(name, a, b) {
    const file = path.join(work, name);
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(a), fs.readFileSync(b)]));
    return file;
  }

  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-probe-timeline-');
    await withSharedLock(async () => {
      const p10 = piece('p10.ts', 10);
      src.gap = joined('gap-4s.ts', p10, piece('p20.ts', 20));
      src.back = joined('back-4s.ts', p10, piece('p12.ts', 12));
      src.restart = joined('restart.ts', p10, piece('p0.ts', 0));
      src.rate = joined('rate-44k-48k.ts', piece('p10-44k.ts', 10, { rate: 44100 }), piece('p16.ts', 16));
      src.layout = joined('stereo-5.1.ts', p10, piece('p16-51.ts', 16, { channels: 6 }));
      src.raw = path.join(work, 'claims-90000fps.h264');
      runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=4', '-c:v', 'libx264',
        '-preset', 'ultrafast', '-bsf:v', 'h264_metadata=tick_rate=180000', '-f', 'h264', src.raw], 'raw 90000 fps');
    });
  });

  /** The probe's timeline and report.json's of an encode of the same file. */
  async function both(file) {
    const p = await probe(file);
    assert.ok(p.timeline, 'no timeline in the probe');
    const outDir = path.join(work, `out-${path.basename(file)}`);
    const r = await encode(file, outDir, ['--rung', '320x180:300k', '--preset', 'ultrafast', '--progress', 'none']);
    assert.equal(r.code, 0, describeRun(r));
    return { timeline: p.timeline, report: loadOutput(outDir).report.timeline };
  }

  /** The probe and the encode list the same events: kind, stream, size; at within TIME_TOLERANCE. */
  function sameEvents(probed, reported) {
    const show = JSON.stringify({ probe: probed, report: reported });
    assert.equal(probed.length, reported.length, show);
    probed.forEach((e, i) => {
      const r = reported[i];
      assert.equal(e.kind, r.kind, show);
      assert.equal(e.stream, r.stream, show);
      assert.equal(e.action, r.action, show);
      assert.ok(Math.abs(e.at - r.at) <= TIME_TOLERANCE, `at: ${show}`);
      assert.ok(Math.abs(e.size - r.size) <= 0.001, `size: ${show}`);
    });
  }

  function only(timeline, kind) {
    const list = timeline.events.filter((e) => e.kind === kind);
    assert.equal(list.length, 1, JSON.stringify(timeline.events));
    return list[0];
  }

  it('a 4 s forward gap: kept, at 6 s, 4 s long; the encode agrees', async () => {
    const { timeline, report } = await both(src.gap);
    assert.equal(timeline.complete, true);
    assert.equal(timeline.scan, 'all');
    assert.equal(timeline.events_total, timeline.events.length);
    const gap = only(timeline, 'gap');
    assert.ok(Math.abs(gap.at - 6) <= TIME_TOLERANCE, JSON.stringify(gap));
    assert.ok(Math.abs(gap.size - 4) <= TIME_TOLERANCE, JSON.stringify(gap));
    assert.equal(gap.action, 'kept: picture held, silence');
    // Where it is on the input's own clock: the second piece starts at 20 s (+ the muxer's 1.4 s).
    assert.ok(Math.abs(gap.input_at - 21.4) <= TIME_TOLERANCE, JSON.stringify(gap));
    assert.equal(timeline.frame_rate.header, 25);
    assert.ok(Math.abs(timeline.frame_rate.measured - 25) < 0.01, JSON.stringify(timeline.frame_rate));
    assert.equal(timeline.frame_rate.implausible, false);
    assert.equal(timeline.frame_rate.ladder, 25);
    assert.ok(Math.abs(timeline.seconds - 16) <= 0.1, `seconds ${timeline.seconds}`);
    assert.deepEqual(timeline.audio_streams, [1]);
    sameEvents(timeline.events, report.events);
  });

  it('a 4 s jump back: continued, at 6 s, -4 s, not a restart; the encode agrees', async () => {
    const { timeline, report } = await both(src.back);
    const jump = only(timeline, 'jump_back');
    assert.ok(Math.abs(jump.at - 6) <= TIME_TOLERANCE, JSON.stringify(jump));
    assert.ok(Math.abs(jump.size + 4) <= TIME_TOLERANCE, JSON.stringify(jump));
    assert.equal(jump.restart, false);
    assert.equal(jump.action, 'continued after what came before, every stream');
    // Output 12 s: the second piece follows the first.
    assert.ok(Math.abs(timeline.seconds - 12) <= 0.1, `seconds ${timeline.seconds}`);
    assert.ok(Math.abs(timeline.frame_rate.measured - 25) < 0.01, JSON.stringify(timeline.frame_rate));
    sameEvents(timeline.events, report.events);
  });

  it('timestamps that start over: a jump_back marked as a restart; the encode agrees', async () => {
    const { timeline, report } = await both(src.restart);
    const jump = only(timeline, 'jump_back');
    assert.equal(jump.restart, true, JSON.stringify(jump));
    // From 17.4 s (10 + 1.4 + 6) back to 1.4 s.
    assert.ok(Math.abs(jump.at - 6) <= TIME_TOLERANCE && Math.abs(jump.size + 16) <= TIME_TOLERANCE,
      JSON.stringify(jump));
    assert.ok(Math.abs(jump.input_at - 1.4) <= TIME_TOLERANCE, JSON.stringify(jump));
    const human = await runLadder(['probe', src.restart]);
    assert.match(human.stdout, /jump_back +at 6\.000 s \(stream \d, input 1\.4\d\d s, restart\): -1[56]\.\d+ s/);
    sameEvents(timeline.events, report.events);
  });

  it('44.1 -> 48 kHz: an audio_format event at 6 s, from and to; the encode agrees', async () => {
    const { timeline, report } = await both(src.rate);
    const change = only(timeline, 'audio_format');
    assert.equal(change.stream, 1);
    assert.ok(Math.abs(change.at - 6) <= TIME_TOLERANCE, JSON.stringify(change));
    assert.equal(change.size, 0);
    assert.deepEqual(change.from, { sample_rate: 44100, channel_layout: 'stereo' });
    assert.deepEqual(change.to, { sample_rate: 48000, channel_layout: 'stereo' });
    assert.equal(change.input_at, null);
    assert.equal(change.action, "resampled to the rendition's format");
    sameEvents(timeline.events, report.events);
  });

  it('stereo -> 5.1: an audio_format event at 6 s (text output too); the encode agrees', async () => {
    const { timeline, report } = await both(src.layout);
    const change = only(timeline, 'audio_format');
    assert.ok(Math.abs(change.at - 6) <= TIME_TOLERANCE, JSON.stringify(change));
    assert.equal(change.from.channel_layout, 'stereo');
    assert.match(change.to.channel_layout, /^5\.1/);
    assert.equal(change.to.sample_rate, 48000);
    sameEvents(timeline.events, report.events);
    const human = await runLadder(['probe', src.layout]);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /audio_format +at 5\.9\d\d s \(stream 1\): 48000 Hz stereo -> 48000 Hz 5\.1/);
  });

  it('a raw H.264 stream claiming 90000 fps: implausible, timed at 25 fps; the encode agrees', async () => {
    const { timeline, report } = await both(src.raw);
    assert.equal(timeline.frame_rate.header, 90000);
    assert.equal(timeline.frame_rate.implausible, true);
    assert.equal(timeline.frame_rate.ladder, 25);
    assert.equal(timeline.frame_rate.measured, null, 'a raw stream carries no packet times');
    assert.equal(timeline.frame_rate.packets, 100);
    const rate = only(timeline, 'frame_rate');
    assert.equal(rate.at, 0);
    assert.ok(Math.abs(rate.size - 1 / 90000) < 1e-6, JSON.stringify(rate));
    assert.equal(rate.action, 'replaced by the measured rate');
    assert.ok(Math.abs(timeline.seconds - 4) <= 0.1, `seconds ${timeline.seconds}`);
    sameEvents(timeline.events, report.events);
    const human = await runLadder(['probe', src.raw]);
    assert.match(human.stdout, /header 90000\.000 fps is implausible: ladder encode times the pictures by count at 25\.000 fps/);
  });

  it('--timeline-scan SECONDS stops early and says so; 0 leaves the timeline out', async () => {
    const part = await probe(src.gap, ['--timeline-scan', '3']);
    assert.equal(part.timeline.scan, 3);
    assert.equal(part.timeline.complete, false);
    assert.deepEqual(part.timeline.events, []);
    assert.ok(part.timeline.seconds >= 3 && part.timeline.seconds < 4, `seconds ${part.timeline.seconds}`);
    assert.ok(part.timeline.bytes < fs.statSync(src.gap).size);
    const none = await probe(src.gap, ['--timeline-scan', '0']);
    assert.equal(none.timeline, null);
    const bad = await runLadder(['probe', src.gap, '--timeline-scan', 'soon']);
    assert.equal(bad.code, 2, describeRun(bad));
  });

  it('--gaps close: the gap is closed (jump_forward), as the encode would', async () => {
    const p = await probe(src.gap, ['--gaps', 'close']);
    const jump = only(p.timeline, 'jump_forward');
    assert.ok(Math.abs(jump.at - 6) <= TIME_TOLERANCE && Math.abs(jump.size - 4) <= TIME_TOLERANCE, JSON.stringify(jump));
    assert.ok(Math.abs(p.timeline.seconds - 12) <= 0.1, `seconds ${p.timeline.seconds}`);
  });

  it('--no-audio: only the video is on the timeline', async () => {
    const p = await probe(src.rate, ['--no-audio']);
    assert.deepEqual(p.timeline.audio_streams, []);
    assert.deepEqual(p.timeline.events, []);
  });
});

// The frame rate and frame count (issue 20): a 20 s 29.97 fps MP4 with
// B-frames was reported as "29.870 fps measured (header 29.970) VFR" with
// 598 of its 600 frames, while the encode said CFR. The measurement read
// the video in decode order and stopped at the first picture past its
// window, leaving out the B-frames shown before it. On B-frame sources in
// three containers the probe now counts what the decoder gives (ffprobe
// -count_frames), measures the header's rate, says CFR as the encode does,
// and the encode decodes that many frames; a real VFR source (30 fps then
// 15 fps) stays VFR for both.
describe('ladder probe: frame rate and frame count agree with the decoder and the encode', () => {
  let work;
  const cases = [];
  /** 20 s of H.264 with B-frames (x264's default 3) and AAC. */
  function source(name, rate, container) {
    const file = path.join(work, `${name}.${container}`);
    runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${rate}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
      '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-c:a', 'aac', file], name);
    return file;
  }

  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-probe-rate-');
    await withSharedLock(async () => {
      cases.push({ file: source('ntsc', '30000/1001', 'mp4'), vfr: false });
      cases.push({ file: source('pal', '25', 'mkv'), vfr: false });
      cases.push({ file: source('film', '24000/1001', 'ts'), vfr: false });
      const vfr = path.join(work, 'vfr-30-15.mp4');
      runFfmpeg(['-filter_complex',
        'testsrc2=size=320x180:rate=30:duration=5[a];testsrc2=size=320x180:rate=15:duration=5[b];' +
        '[a][b]concat=n=2:v=1:a=0,settb=1/90000[v]', '-map', '[v]', '-fps_mode', 'vfr',
      '-c:v', 'libx264', '-preset', 'veryfast', vfr], 'vfr 30 then 15 fps');
      cases.push({ file: vfr, vfr: true });
    });
    for (const c of cases) {
      const s = ffprobeJson(['-count_frames', '-select_streams', 'v:0', '-show_entries',
        'stream=nb_read_frames,r_frame_rate', c.file]).streams[0];
      c.frames = Number(s.nb_read_frames);
      c.header = rateValue(s.r_frame_rate);
    }
  });

  it('CFR sources: frames = the decoder\'s, rate = the header\'s, CFR (whole and partial scans)', async () => {
    for (const c of cases.filter((x) => !x.vfr)) {
      const name = path.basename(c.file);
      const p = await probe(c.file);
      const v = p.streams[p.video_stream];
      assert.equal(v.frames, c.frames, `${name}: frames`);
      assert.equal(v.frames_counted, true, name);
      assert.equal(v.vfr, false, `${name}: ${JSON.stringify(v)}`);
      assert.ok(Math.abs(v.measured_frame_rate - c.header) < 0.005, `${name}: measured ${v.measured_frame_rate}`);
      assert.ok(Math.abs(v.header_frame_rate - c.header) < 0.001, `${name}: header ${v.header_frame_rate}`);
      assert.ok(v.measured_frames >= 9.5 * c.header, `${name}: ${v.measured_frames} pictures in the 10 s window`);
      const r = p.timeline.frame_rate;
      assert.equal(r.frames, c.frames, `${name}: timeline frames`);
      assert.equal(r.cfr, true, name);
      assert.ok(Math.abs(r.measured - c.header) < 0.005, `${name}: timeline measured ${r.measured}`);
      assert.ok(Math.abs(r.ladder - c.header) < 0.001, `${name}: ladder rate ${r.ladder}`);
      for (const rung of p.estimate.rungs) assert.equal(rung.frames, c.frames, `${name}: estimate ${rung.name}`);
      // A partial timeline scan stops mid-GOP: its rate still counts the B-frames.
      const part = await probe(c.file, ['--timeline-scan', '10']);
      assert.equal(part.timeline.complete, false);
      assert.ok(Math.abs(part.timeline.frame_rate.measured - c.header) < 0.01,
        `${name}: --timeline-scan 10 measured ${part.timeline.frame_rate.measured}`);
      const human = await runLadder(['probe', c.file]);
      assert.equal(human.code, 0, describeRun(human));
      assert.match(human.stdout, new RegExp(`${c.header.toFixed(3)} fps measured \\(header ${c.header.toFixed(3)}\\) ` +
        `CFR, ${c.frames} frames`), human.stdout);
    }
  });

  it('a VFR source (30 then 15 fps) stays VFR, with the decoder\'s frame count', async () => {
    const c = cases.find((x) => x.vfr);
    const p = await probe(c.file);
    const v = p.streams[p.video_stream];
    assert.equal(v.vfr, true, JSON.stringify(v));
    assert.equal(v.frames, c.frames);
    assert.equal(c.frames, 225, 'ffprobe: 150 + 75 pictures');
    assert.ok(Math.abs(v.measured_frame_rate - 22.5) < 0.2, `measured ${v.measured_frame_rate}`);
    assert.equal(p.timeline.frame_rate.cfr, false);
  });

  it('the encode agrees: CFR/VFR and rate in its log, and it decodes that many frames', async () => {
    for (const c of cases) {
      const name = path.basename(c.file);
      const p = await probe(c.file);
      const v = p.streams[p.video_stream];
      const outDir = path.join(work, `out-${name}`);
      const r = await encode(c.file, outDir, ['-v', '--rung', '160x90:100k', '--preset', 'ultrafast',
        '--progress', 'none']);
      assert.equal(r.code, 0, describeRun(r));
      const line = /info: input .*? ([\d.]+) fps (CFR|VFR), /.exec(r.stderr);
      assert.ok(line, `no input line in\n${r.stderr}`);
      assert.equal(line[2], v.vfr ? 'VFR' : 'CFR', `${name}: the encode says ${line[0]}`);
      if (!c.vfr) assert.ok(Math.abs(Number(line[1]) - v.measured_frame_rate) < 0.005, `${name}: ${line[0]}`);
      const rep = loadOutput(outDir).report;
      assert.equal(rep.frames_in, v.frames, `${name}: frames decoded by the encode`);
    }
  });
});
