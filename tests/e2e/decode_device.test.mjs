// --decode-device: where the source is decoded.
//  - The switch to the CPU decoder after a hardware failure, driven by the
//    drill device (`fault:fail-after=N`: the CPU decodes, then "the
//    hardware" fails after N frames): at key frames, mid-GOP with B-frame
//    reordering, on the last frame and past the end, the run completes with
//    every source frame delivered exactly once, the same timestamps as a
//    CPU run, pictures that match it (PSNR >= 45 dB per rung, the bar the
//    GPU path must meet) and a report that says where and why it switched.
//  - gpu on a host without an NVDEC GPU: exit 11, one line naming the input;
//    auto there: the CPU, with the reason in the report.
//  - Bad requests, on the command line and in the host configuration.
// NVDEC itself needs a GPU: tests/gpu/README.md, section 6.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, runLadder, stderrLines } from './lib/ladder.mjs';
import { makeMedia, runFfmpeg } from './lib/media.mjs';
import { probePackets } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

// Widths that are multiples of 128: Debian's libx264 (0.164) reads
// uninitialised heap memory in its SIMD macroblock-tree code at other widths
// (320, 416, 480: output changes with MALLOC_PERTURB_), so two encodes of the
// same pictures differ there and the comparison below would be flaky.
const RUNGS = ['--rung', 'x360:crf26', '--rung', '256x144:crf28'];
const BASE = [...RUNGS, '--no-audio', '--progress', 'none', '--format', 'hls'];

function report(outDir) {
  return JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8'));
}

/** init + segments of one rendition as one file. */
function joined(outDir, rung, scratch) {
  const dir = path.join(outDir, 'video', rung);
  const segs = fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort();
  const file = path.join(scratch, `${path.basename(outDir)}-${rung}.mp4`);
  fs.writeFileSync(file, Buffer.concat(['init.mp4', ...segs].map((f) => fs.readFileSync(path.join(dir, f)))));
  return file;
}

function psnr(a, b) {
  const r = runFfmpeg(['-v', 'info', '-i', a, '-i', b, '-lavfi',
    '[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS[b];[a][b]psnr', '-f', 'null', '-'], `psnr ${a} ${b}`);
  const m = /PSNR .*average:(inf|[0-9.]+)/.exec(r.stderr);
  assert.ok(m, `no PSNR in ffmpeg's output:\n${r.stderr}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

const ptsOf = (file) => probePackets(file).map((p) => Number(p.pts)).sort((x, y) => x - y);

describe('decode fallback drill (fault:fail-after=N)', () => {
  let src = null;
  let work = null;
  let cpu = null;
  before(async () => {
    ladderBin();
    // 6 s, 30 fps, GOP 30 with 3 B-frames: reordering delay at every switch.
    src = await makeMedia({ name: 'decode-bf', width: 640, height: 360, rate: '30', duration: 6, audio: false,
      gop: 30, bframes: 3 });
    work = makeTempDir('ladder-e2e-decode-');
    const outDir = path.join(work, 'cpu');
    const run = await encode(src.path, outDir, [...BASE, '--decode-device', 'cpu']);
    assert.equal(run.code, 0, describeRun(run));
    cpu = { outDir, report: report(outDir), files: {} };
    for (const r of cpu.report.rungs) cpu.files[r.name] = joined(outDir, r.name, work);
  });

  it('a CPU run reports the CPU and no switch', () => {
    assert.deepEqual(
      { device: cpu.report.decode.device, requested: cpu.report.decode.requested,
        on_device: cpu.report.decode.frames_on_device, on_cpu: cpu.report.decode.frames_on_cpu,
        fallback: cpu.report.decode.fallback },
      { device: 'cpu', requested: 'cpu', on_device: 0, on_cpu: src.frames, fallback: null });
    assert.equal(cpu.report.frames_in, src.frames);
  });

  // 0: before the first frame; 29/30: either side of a key frame; 47: mid-GOP;
  // 179: the last frame; 500: never (the drill device finishes the input).
  for (const n of [0, 29, 30, 47, 179, 500]) {
    it(`fail-after=${n}: every frame once, same pictures as the CPU run, the switch reported`, async () => {
      const outDir = path.join(work, `fault-${n}`);
      const run = await encode(src.path, outDir, [...BASE, '--decode-device', `fault:fail-after=${n}`]);
      assert.equal(run.code, 0, describeRun(run));
      const rep = report(outDir);
      assert.equal(rep.frames_in, src.frames, `frames_in ${rep.frames_in} of ${src.frames}`);
      const d = rep.decode;
      assert.equal(d.device, 'fault');
      assert.equal(d.requested, `fault:fail-after=${n}`);
      assert.equal(d.frames_on_device + d.frames_on_cpu, src.frames, JSON.stringify(d));
      if (n < src.frames) {
        assert.equal(d.frames_on_device, n);
        assert.ok(d.fallback, 'no fallback in the report');
        assert.equal(d.fallback.at_frame, n);
        assert.match(d.fallback.reason, /fault device failed/);
        assert.ok(d.fallback.replayed_packets > 0, JSON.stringify(d.fallback));
        // The log line names the device and the frame.
        const line = stderrLines(run.stderr).find((l) => /event=decode_fallback/.test(l));
        assert.ok(line, `no decode_fallback line:\n${run.stderr}`);
        assert.match(line, new RegExp(`device=fault event=decode_fallback frame=${n} `));
        assert.match(line, /decoding on the CPU/);
      } else {
        assert.equal(d.fallback, null);
        assert.equal(d.frames_on_device, src.frames);
      }
      // No warning about dropped duplicate frames: the replayed ones are skipped quietly.
      assert.doesNotMatch(run.stderr, /repeated timestamps dropped/);
      for (const r of rep.rungs) {
        assert.equal(r.frames, src.frames, `rung ${r.name}: ${r.frames} frames`);
        const file = joined(outDir, r.name, work);
        assert.deepEqual(ptsOf(file), ptsOf(cpu.files[r.name]), `rung ${r.name}: timestamps differ from the CPU run`);
        const db = psnr(file, cpu.files[r.name]);
        assert.ok(db >= 45, `rung ${r.name}: PSNR ${db} dB against the CPU run`);
      }
    });
  }
});

describe('gpu and auto on this host', () => {
  let src = null;
  let hasNvdec = false;
  before(async () => {
    ladderBin();
    src = await makeMedia({ name: 'decode-small', width: 320, height: 180, rate: '30', duration: 2, audio: false });
    const inv = await runLadder(['devices', '--json'], { lock: false });
    assert.equal(inv.code, 0, describeRun(inv));
    const doc = JSON.parse(inv.stdout);
    hasNvdec = (doc.devices || []).some((d) => d.kind === 'nvidia' && (d.decode || []).includes('h264'));
  });

  it('gpu without an NVDEC GPU: exit 11, one line naming the input and why', async (t) => {
    if (hasNvdec) {
      t.skip('this host has an NVDEC GPU: tests/gpu covers --decode-device gpu');
      return;
    }
    const outDir = path.join(makeTempDir('ladder-e2e-decode-gpu-'), 'out');
    const run = await encode(src.path, outDir, [...BASE, '--decode-device', 'gpu']);
    assert.equal(run.code, 11, describeRun(run));
    const lines = stderrLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^ladder: input '.*decode-small.*': --decode-device gpu: no NVIDIA GPU \(.+\)$/);
    assert.ok(!fs.existsSync(path.join(outDir, 'master.m3u8')));
  });

  it('auto: the GPU when one decodes the source, else the CPU with the reason', async () => {
    const outDir = path.join(makeTempDir('ladder-e2e-decode-auto-'), 'out');
    const run = await encode(src.path, outDir, [...BASE, '--decode-device', 'auto']);
    assert.equal(run.code, 0, describeRun(run));
    const d = report(outDir).decode;
    assert.equal(d.requested, 'auto');
    if (hasNvdec) {
      assert.match(d.device, /^nvidia\d+$/);
    } else {
      assert.equal(d.device, 'cpu');
      assert.match(d.reason, /^no NVIDIA GPU \(.+\); no Intel GPU$/);
      assert.equal(d.frames_on_cpu, src.frames);
    }
  });

  it('the host configuration sets the default; the flag wins', async () => {
    const dir = makeTempDir('ladder-e2e-decode-conf-');
    const conf = path.join(dir, 'config.json');
    fs.writeFileSync(conf, JSON.stringify({ decode_device: 'fault:fail-after=10' }));
    const a = path.join(dir, 'a');
    let run = await encode(src.path, a, [...BASE, '--config', conf]);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(report(a).decode.device, 'fault');
    assert.equal(report(a).decode.fallback.at_frame, 10);
    const b = path.join(dir, 'b');
    run = await encode(src.path, b, [...BASE, '--config', conf, '--decode-device', 'cpu']);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(report(b).decode.device, 'cpu');
  });

  it('bad requests: exit 6 with one line', async () => {
    const dir = makeTempDir('ladder-e2e-decode-bad-');
    let run = await encode(src.path, path.join(dir, 'x'), [...BASE, '--decode-device', 'gpu:first']);
    assert.equal(run.code, 6, describeRun(run));
    assert.match(stderrLines(run.stderr)[0], /--decode-device 'gpu:first'/);
    const conf = path.join(dir, 'config.json');
    fs.writeFileSync(conf, JSON.stringify({ decode_device: 'nvdec' }));
    run = await encode(src.path, path.join(dir, 'y'), [...BASE, '--config', conf]);
    assert.equal(run.code, 6, describeRun(run));
    const lines = stderrLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /config\.json.*decode_device/);
  });
});
