// One rung, two encoder configurations: --devices gives the second device
// an encoder setting that changes the decoder configuration (x264 preset
// faster: another SPS, same profile and level; libaom-av1 next to
// SVT-AV1: another sequence header).
//  - Default (out-of-band parameter sets): the pre-flight keeps the odd
//    device off the rung, the report says why, and every segment decodes
//    with the rung's single init segment.
//  - --parameter-sets in-band: both devices encode the rung (avc3), each
//    segment carries the SPS/PPS that made it, both SPS really occur, and
//    the rendition decodes and plays in hls.js and dash.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeAndCollect } from './lib/checks.mjs';
import { describeRun, encode, ladderBin, loadOutput, runLadder } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { assertPlayedEverything, describeDashPlayback, playDash, playHls } from './lib/player.mjs';
import { concatFiles, decodeCheck, segmentNals } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const RUNGS = [
  { spec: '480x270:600k', box: [480, 270] },
  { spec: '320x180:300k', box: [320, 180] },
];
const DEVICES = 'cpu:1,cpu:1:preset=faster:name=alt';

function ok(ctx) {
  assert.ok(ctx, 'the encode did not run (see the before hook error)');
  assert.equal(ctx.run.code, 0, `ladder encode failed\n${describeRun(ctx.run)}`);
  return ctx;
}

function rungDevice(rung, name) {
  const d = rung.devices.find((x) => x.name === name);
  assert.ok(d, `rung ${rung.name}: no device "${name}" in report ${JSON.stringify(rung.devices)}`);
  return d;
}

/** Every segment decodes with the rung's init segment, and all together
 *  give every source frame. Sets v.inBandSps: the distinct in-band
 *  parameter sets (SPS + PPS of a segment, as one hex string) seen. */
function checkDecodes(ctx) {
  for (const v of ctx.video) {
    const { variant, avcC, probe } = v;
    assert.ok(avcC, `${variant.name}: no avcC in init.mp4`);
    const inBandSps = new Set();
    probe.segments.forEach((s, i) => {
      const name = `${variant.name}/${path.basename(s.file)}`;
      const { path: cat } = concatFiles([variant.init, s.file], `${variant.name}-mixed-${i + 1}.mp4`);
      const d = decodeCheck(cat);
      assert.equal(d.errors, '', `${name} + init.mp4: decoder errors:\n${d.errors}`);
      assert.equal(d.frames, s.frames, `${name}: decoded ${d.frames} of ${s.frames} frames`);
      const ps = segmentNals(s.file, avcC.lengthSize).filter((n) => n.type === 7 || n.type === 8);
      if (ps.length) inBandSps.add(ps.map((n) => n.data.toString('hex')).join('/'));
    });
    const whole = decodeCheck(probe.concat);
    assert.equal(whole.errors, '', `${variant.name}: init + all segments: decoder errors:\n${whole.errors}`);
    assert.equal(whole.frames, ctx.srcFrames, `${variant.name}: decoded ${whole.frames} of ${ctx.srcFrames} frames`);
    v.inBandSps = inBandSps;
  }
}

describe('two H.264 configurations on one rung, out-of-band parameter sets (default)', () => {
  let ctx = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 640, height: 360, duration: 8 });
    const outDir = path.join(makeTempDir('ladder-e2e-mixed-oob-'), 'out');
    ctx = await encodeAndCollect({ source: src, outDir, rungs: RUNGS, preset: 'veryfast', extraArgs: ['--devices', DEVICES] });
  });

  it('keeps the odd device off every rung, says why, and counts chunks per device', () => {
    const { report } = ok(ctx).out;
    assert.equal(report.parameter_sets, 'out-of-band');
    assert.deepEqual(report.devices.map((d) => [d.name, d.slots, d.preset, d.encoders.h264]),
      [['cpu', 1, 'veryfast', 'libx264'], ['alt', 1, 'faster', 'libx264']]);
    for (const r of report.rungs) {
      const alt = rungDevice(r, 'alt');
      assert.equal(alt.chunks, 0, `rung ${r.name}: the excluded device encoded ${alt.chunks} chunks`);
      assert.match(alt.excluded || '', /another decoder configuration/, `rung ${r.name}: reason ${alt.excluded}`);
      const cpu = rungDevice(r, 'cpu');
      assert.equal(cpu.excluded, null);
      assert.equal(cpu.chunks, r.chunks, `rung ${r.name}: chunks per device do not add up`);
      assert.equal(r.invariant_requeues, 0, `rung ${r.name}: routing should have made requeues unnecessary`);
    }
    assert.equal(report.devices.find((d) => d.name === 'alt').chunks, 0);
    const warned = ctx.run.stderr.split('\n').filter((l) => /event=device_excluded/.test(l) && /device=alt/.test(l));
    assert.equal(warned.length, RUNGS.length, `expected one device_excluded line per rung:\n${ctx.run.stderr}`);
  });

  it('writes avc1 with parameter sets only in the init segment, and every segment decodes with it', () => {
    ok(ctx);
    for (const v of ctx.video) assert.equal(v.avcC.sampleEntry, 'avc1', `${v.variant.name}: sample entry`);
    checkDecodes(ctx);
    for (const v of ctx.video) assert.equal(v.inBandSps.size, 0, `${v.variant.name}: SPS found in band`);
  });
});

describe('two H.264 configurations on one rung, --parameter-sets in-band', () => {
  let ctx = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 640, height: 360, duration: 8 });
    const outDir = path.join(makeTempDir('ladder-e2e-mixed-inband-'), 'out');
    ctx = await encodeAndCollect({
      source: src, outDir, rungs: RUNGS, preset: 'veryfast',
      extraArgs: ['--devices', DEVICES, '--parameter-sets', 'in-band'],
    });
  });

  it('lets both devices encode the rendition and reports it', () => {
    const { report } = ok(ctx).out;
    assert.equal(report.parameter_sets, 'in-band');
    let altChunks = 0;
    for (const r of report.rungs) {
      for (const d of r.devices) assert.equal(d.excluded, null, `rung ${r.name}: device ${d.name} excluded: ${d.excluded}`);
      assert.equal(r.devices.reduce((n, d) => n + d.chunks, 0), r.chunks, `rung ${r.name}: chunks per device`);
      altChunks += rungDevice(r, 'alt').chunks;
      assert.match(r.codecs, /^avc3\./, `rung ${r.name}: codecs ${r.codecs}`);
    }
    assert.ok(altChunks > 0, `the second device encoded nothing: ${JSON.stringify(report.rungs.map((r) => r.devices))}`);
    assert.equal(report.devices.find((d) => d.name === 'alt').chunks, altChunks);
  });

  it('writes avc3, puts SPS/PPS at the start of every segment, and both configurations occur', () => {
    ok(ctx);
    checkDecodes(ctx);
    const allSps = new Set();
    for (const v of ctx.video) {
      assert.equal(v.avcC.sampleEntry, 'avc3', `${v.variant.name}: sample entry`);
      assert.ok(v.variant.attrs.CODECS.startsWith('avc3.'), `${v.variant.name}: CODECS ${v.variant.attrs.CODECS}`);
      for (const s of v.probe.segments) {
        const nals = segmentNals(s.file, v.avcC.lengthSize);
        const firstSlice = nals.findIndex((n) => n.type === 5 || n.type === 1);
        const head = nals.slice(0, firstSlice).map((n) => n.type);
        assert.ok(head.includes(7) && head.includes(8), `${v.variant.name}/${path.basename(s.file)}: ` +
          `no SPS+PPS before the first slice (NAL types ${head})`);
      }
      for (const sps of v.inBandSps) allSps.add(sps);
    }
    // Each rung's devices made their own parameter sets (x264's faster
    // preset differs from veryfast in SPS and/or PPS fields).
    const altRungs = ctx.out.report.rungs.filter((r) => rungDevice(r, 'alt').chunks > 0 && rungDevice(r, 'cpu').chunks > 0);
    for (const r of altRungs) {
      const v = ctx.video.find((x) => x.variant.name === r.name);
      assert.equal(v.inBandSps.size, 2, `rung ${r.name}: chunks from both devices but ${v.inBandSps.size} distinct SPS/PPS`);
    }
    assert.ok(allSps.size >= 2, 'only one SPS/PPS in the whole ladder: the two configurations were not both used');
  });

  it('plays in hls.js, every level', async () => {
    ok(ctx);
    const expectLevels = ctx.video.map((v) => ({ width: v.probe.stream.width, height: v.probe.stream.height }));
    const r = await playHls(ctx.outDir, { expectLevels });
    assertPlayedEverything(assert, r, { expectLevels, expectAudio: true });
  });

  it('plays in dash.js to the end, every Representation', async () => {
    ok(ctx);
    const d = await playDash(ctx.outDir, { forceEach: true });
    const info = `\n${describeDashPlayback(d)}`;
    assert.equal(d.setupError, null, info);
    assert.deepEqual(d.errors, [], `dash.js errors${info}`);
    assert.deepEqual(d.videoErrors, [], `video errors${info}`);
    assert.ok(d.ended, `did not reach the end${info}`);
    for (const f of d.forced) assert.ok(f.ok, `${f.id} did not play at its size${info}`);
  });
});

describe('SVT-AV1 and libaom-av1 on one AV1 rung', () => {
  let mixed = null;
  let aomOnly = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 320, height: 180, duration: 4 });
    const base = makeTempDir('ladder-e2e-mixed-av1-');
    const common = { source: src, rungs: [{ spec: '320x180:200k', box: [320, 180] }], preset: 'ultrafast' };
    mixed = await encodeAndCollect({
      ...common, outDir: path.join(base, 'mixed'),
      extraArgs: ['--codec', 'av1', '--devices', 'cpu:1,cpu:1:av1=libaom-av1:name=aom'],
    });
    aomOnly = await encodeAndCollect({
      ...common, outDir: path.join(base, 'aom'), extraArgs: ['--codec', 'av1', '--devices', 'cpu:1:av1=libaom-av1'],
    });
  });

  it('keeps libaom-av1 off a rung whose sequence header came from SVT-AV1', () => {
    const { report } = ok(mixed).out;
    assert.equal(report.devices[0].encoders.av1, 'libsvtav1');
    assert.equal(report.devices[1].encoders.av1, 'libaom-av1');
    const aom = rungDevice(report.rungs[0], 'aom');
    assert.equal(aom.chunks, 0);
    assert.match(aom.excluded || '', /libaom-av1 .*another decoder configuration/);
  });

  it('encodes a whole AV1 rung with libaom-av1 when it is the first device: decodes, plays, meets the rate', async () => {
    const { report } = ok(aomOnly).out;
    assert.equal(report.devices[0].encoders.av1, 'libaom-av1');
    const r = report.rungs[0];
    assert.match(r.codecs, /^av01\.0\.\d\dM\.08$/);
    assert.equal(rungDevice(r, 'cpu').chunks, r.chunks);
    // FFmpeg 5.1's wrapper gave libaom a frame duration of one time base
    // tick until ladder set ticks_per_frame: the rate then fell to ~15 %.
    assert.ok(r.avg_bitrate > 200_000 * 0.6 && r.avg_bitrate < 200_000 * 1.4,
      `libaom-av1 rung averaged ${r.avg_bitrate} b/s for 200k`);
    const v = aomOnly.video[0];
    const whole = decodeCheck(v.probe.concat);
    assert.equal(whole.errors, '', `decoder errors:\n${whole.errors}`);
    assert.equal(whole.frames, aomOnly.srcFrames);
    const expectLevels = [{ width: v.probe.stream.width, height: v.probe.stream.height }];
    const played = await playHls(aomOnly.outDir, { expectLevels });
    assertPlayedEverything(assert, played, { expectLevels, expectAudio: true });
  });
});

// GPU devices are capability requests resolved against the host's
// inventory (`ladder devices`): `nvidia` is every NVENC GPU, `auto` the CPU
// and every GPU that can encode. On a host without NVENC (CI) `nvidia`
// fails fast with its own exit code and the reason; `auto` is the CPU.
// Where `ladder devices` reports NVENC H.264, the GPU must take part.
describe('--devices with GPU requests', () => {
  let nvencUsable = false;
  let nvidiaReason = '';
  let src = null;
  let base = null;
  before(async () => {
    ladderBin();
    const inv = JSON.parse((await runLadder(['devices', '--json'])).stdout);
    nvencUsable = inv.devices.some((d) => d.kind === 'nvidia' && d.encode.includes('h264'));
    nvidiaReason = (inv.vendors && inv.vendors.nvidia && inv.vendors.nvidia.reason) || '';
    src = await cfrClip('30', { width: 320, height: 180, duration: 4 });
    base = makeTempDir('ladder-e2e-mixed-gpu-');
  });

  it('cpu:1,nvidia: the GPU joins where NVENC exists, else exit 11 naming why', async () => {
    const dir = path.join(base, 'nvidia');
    const run = await encode(src.path, dir, ['--rung', '320x180:250k', '--devices', 'cpu:1,nvidia',
      '--parameter-sets', 'in-band', '--progress', 'none']);
    if (nvencUsable) {
      assert.equal(run.code, 0, describeRun(run));
      const rep = loadOutput(dir).report;
      const nv = rep.devices.find((d) => d.kind === 'nvidia');
      assert.ok(nv && nv.encoders.h264 === 'h264_nvenc', JSON.stringify(rep.devices));
      assert.equal(nv.slots, 1, 'one NVENC session by default');
      return;
    }
    assert.equal(run.code, 11, describeRun(run));
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /devices 'nvidia:1': no (NVIDIA GPU on this host|GPU matches)/);
    // The inventory's reason for having no NVIDIA device is the one given.
    if (nvidiaReason) assert.ok(lines[0].includes(nvidiaReason), `${lines[0]} lacks "${nvidiaReason}"`);
    assert.ok(!fs.existsSync(dir), 'a refused device request left its output directory behind');
  });

  it('auto: the CPU and every GPU that can encode', async () => {
    const dir = path.join(base, 'auto');
    const run = await encode(src.path, dir, ['--rung', '320x180:250k', '--devices', 'auto', '--progress', 'none']);
    assert.equal(run.code, 0, describeRun(run));
    const rep = loadOutput(dir).report;
    assert.equal(rep.devices[0].kind, 'cpu');
    assert.equal(rep.devices.filter((d) => d.kind === 'nvidia').length > 0, nvencUsable, JSON.stringify(rep.devices));
  });

  it('refuses an NVENC encoder on a CPU device (exit 6)', async () => {
    const bad = await encode(src.path, path.join(base, 'bad'), ['--rung', '320x180:250k', '--devices', 'cpu:1:h264=h264_nvenc',
      '--progress', 'none']);
    assert.equal(bad.code, 6, describeRun(bad));
    assert.match(bad.stderr, /a cpu device cannot run h264_nvenc/);
  });
});

// Each rung's canonical device is the first one that can encode its codec:
// with AV1 kept off the first device (`av1=none`), the second device defines
// (and encodes) the AV1 rung while the first still defines the H.264 one.
describe('the canonical device is chosen per rung', () => {
  it('cpu:1:av1=none,cpu:1:name=avbox: the H.264 rung is the first device\'s, the AV1 rung avbox\'s', async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 320, height: 180, duration: 4 });
    const work = makeTempDir('ladder-e2e-mixed-canonical-');
    const ladder = path.join(work, 'ladder.json');
    fs.writeFileSync(ladder, JSON.stringify({ rungs: [{ height: 180, bitrate: '300k' }, { height: 144, bitrate: '150k', codec: 'av1' }] }));
    const dir = path.join(work, 'out');
    const run = await encode(src.path, dir, ['--ladder', ladder, '--preset', 'ultrafast',
      '--devices', 'cpu:1:av1=none,cpu:1:name=avbox', '--progress', 'none']);
    assert.equal(run.code, 0, describeRun(run));
    const rep = loadOutput(dir).report;
    const h264 = rep.rungs.find((r) => r.codecs.startsWith('avc1'));
    const av1 = rep.rungs.find((r) => r.codecs.startsWith('av01'));
    assert.equal(h264.canonical_device, 'cpu');
    assert.equal(av1.canonical_device, 'avbox');
    const off = av1.devices.find((d) => d.name === 'cpu');
    assert.equal(off.chunks, 0);
    assert.match(off.excluded || '', /no av1 encoder here \(none asked\)/);
    assert.equal(av1.devices.find((d) => d.name === 'avbox').chunks, av1.chunks);
    // Nobody can encode AV1: a bad request for this build, before anything is written.
    const none = await encode(src.path, path.join(work, 'none'), ['--ladder', ladder, '--devices', 'cpu:1:av1=none',
      '--progress', 'none']);
    assert.equal(none.code, 10, describeRun(none));
    assert.match(none.stderr, /no device in the list has an av1 encoder/);
  });
});
