// `ladder probe`: every field on generated sources whose facts we chose
// (VFR, rotation, 10-bit, HLG/PQ, anamorphic, several audio languages, no
// video), its errors (missing: exit 3; empty or garbage: exit 4), and the
// accuracy of its estimates against a real `ladder encode` measured here:
// peak RSS within RAM_TOLERANCE and encode CPU-seconds within
// CPU_TOLERANCE (docs/PROBE_MODEL.md explains the model and its fit).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, ladderBin, loadOutput, runLadder, stderrLines } from './lib/ladder.mjs';
import { makeMedia, runFfmpeg, vfrClip } from './lib/media.mjs';
import { findBox, probeStreams } from './lib/probe.mjs';
import { makeTempDir, runProcess, withSharedLock } from './lib/util.mjs';

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
