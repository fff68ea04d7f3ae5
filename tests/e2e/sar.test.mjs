// Square pixels by default (issue 15, item 8). A rung's even size is a pixel
// or two off the source's shape (574x240 from 1280x534, 852x480 from 16:9);
// ladder used to stretch the pixels back with a sample aspect ratio, so
// browsers showed 575x240 while RESOLUTION and the MPD said 574x240 and
// hls.js met decoded frames of a size no level declared. Now every rung is
// 1:1 and RESOLUTION, @width/@height and the decoded picture are one size,
// anamorphic sources included (720x576 at 64:45 is shown 1024x576).
//
// --exact-shape (ladder file "exact_shape", job spec "exact_shape") keeps
// the old pictures: the exact-shape SAR in the bitstream and @sar, and HLS
// RESOLUTION the displayed size (width x SAR rounded).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, parseAttributes } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { concatFiles, ffprobeJson } from './lib/probe.mjs';
import { makeTempDir, runProcess, withSharedLock } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-sar-');

/** "a:b" -> a / b; absent or 0:1 (unknown) counts as square. */
function ratioValue(text) {
  const [a, b] = String(text || '1:1').split(':').map(Number);
  return a > 0 && b > 0 ? a / b : 1;
}

/** The first frame of init + first segment as a decoder gives it. */
function decodedPicture(init, seg) {
  const { path: cat } = concatFiles([init, seg], `${path.basename(path.dirname(init))}-first.mp4`);
  const j = ffprobeJson(['-select_streams', 'v:0', '-read_intervals', '%+#1',
    '-show_entries', 'frame=width,height,sample_aspect_ratio', '-show_frames', cat]);
  const f = (j.frames || [])[0];
  assert.ok(f, `${cat}: no decoded frame`);
  return { width: f.width, height: f.height, sar: f.sample_aspect_ratio || '1:1' };
}

/** Representations of manifest.mpd by id: {width, height, sar}. */
function mpdRepresentations(outDir) {
  const xml = fs.readFileSync(path.join(outDir, 'manifest.mpd'), 'utf8');
  const reps = {};
  for (const m of xml.matchAll(/<Representation\b[^>]*>/g)) {
    const attr = (name) => (new RegExp(`\\b${name}="([^"]*)"`).exec(m[0]) || [])[1];
    if (!attr('width')) continue; // audio
    reps[attr('id')] = { width: Number(attr('width')), height: Number(attr('height')), sar: attr('sar') };
  }
  return reps;
}

/** I-frame streams of the master playlist by URI: their RESOLUTION. */
function iframeResolutions(master) {
  const out = {};
  for (const t of master.tags.filter((x) => x.tag === '#EXT-X-I-FRAME-STREAM-INF')) {
    const a = parseAttributes(t.value);
    out[a.URI] = a.RESOLUTION;
  }
  return out;
}

/**
 * Everything one output says about each rung, side by side: the decoded
 * picture, RESOLUTION (variant and I-frame stream), the MPD's
 * Representation and report.json's rung.
 */
function collect(outDir) {
  const out = loadOutput(outDir);
  const mpd = mpdRepresentations(outDir);
  const iframes = iframeResolutions(out.master);
  return {
    out,
    rungs: out.variants.map((v) => ({
      name: v.name,
      decoded: decodedPicture(v.init, v.segs[0]),
      resolution: v.attrs.RESOLUTION,
      iframeResolution: iframes[`video/${v.name}/iframes.m3u8`],
      mpd: mpd[v.name],
      report: out.report.rungs.find((r) => r.name === v.name),
    })),
  };
}

/** Square pixels: one size everywhere, and the source's shape within 0.5 %. */
function assertSquare(ctx, source) {
  assert.equal(ctx.out.report.exact_shape, false, 'report.json exact_shape');
  for (const r of ctx.rungs) {
    const { width: w, height: h } = r.decoded;
    const size = `${w}x${h}`;
    assert.equal(ratioValue(r.decoded.sar), 1, `${r.name}: decoded SAR ${r.decoded.sar}, expected 1:1`);
    assert.equal(r.resolution, size, `${r.name}: RESOLUTION vs the decoded picture`);
    assert.equal(r.iframeResolution, size, `${r.name}: I-frame stream RESOLUTION vs the decoded picture`);
    assert.deepEqual([r.mpd.width, r.mpd.height], [w, h], `${r.name}: MPD @width/@height vs the decoded picture`);
    assert.equal(r.mpd.sar, '1:1', `${r.name}: MPD @sar`);
    assert.equal(r.report.sar, '1:1', `${r.name}: report.json sar`);
    assert.deepEqual([r.report.display_width, r.report.display_height, r.report.width, r.report.height],
      [w, h, w, h], `${r.name}: report.json sizes`);
    const shape = (w / h) / (source.displayWidth / source.height);
    assert.ok(Math.abs(shape - 1) < 0.005, `${r.name}: ${size} is ${((shape - 1) * 100).toFixed(2)} % off the source's shape`);
  }
}

/**
 * The exact shape: the SAR that stretches the rung to the source's shape,
 * stated alike by the bitstream, @sar and the report; RESOLUTION is the
 * shown size, the MPD keeps the encoded one.
 */
function assertExact(ctx, source) {
  assert.equal(ctx.out.report.exact_shape, true, 'report.json exact_shape');
  let stretched = 0;
  for (const r of ctx.rungs) {
    const { width: w, height: h } = r.decoded;
    const sar = ratioValue(r.decoded.sar);
    const want = (source.displayWidth * h) / (source.height * w);
    assert.ok(Math.abs(sar / want - 1) < 1e-5, `${r.name}: decoded SAR ${r.decoded.sar}, the exact shape is ${want}`);
    stretched += sar !== 1;
    const shown = `${Math.round(w * sar)}x${h}`;
    assert.equal(r.resolution, shown, `${r.name}: RESOLUTION vs the displayed size of ${w}x${h} at ${r.decoded.sar}`);
    assert.equal(r.iframeResolution, shown, `${r.name}: I-frame stream RESOLUTION`);
    assert.deepEqual([r.mpd.width, r.mpd.height], [w, h], `${r.name}: MPD @width/@height are the encoded size`);
    assert.equal(ratioValue(r.mpd.sar), ratioValue(r.decoded.sar), `${r.name}: MPD @sar ${r.mpd.sar} vs decoded ${r.decoded.sar}`);
    assert.equal(r.report.sar, r.mpd.sar, `${r.name}: report.json sar`);
    assert.equal(`${r.report.display_width}x${r.report.display_height}`, shown, `${r.name}: report.json display size`);
    assert.deepEqual([r.report.width, r.report.height], [w, h], `${r.name}: report.json encoded size`);
  }
  assert.ok(stretched > 0, 'no rung of this source needs a stretch: the case tests nothing');
}

/** `ladder job -` with spec on stdin; the result line. */
async function runJob(spec) {
  const r = await withSharedLock(() => runProcess(ladderBin(), ['job', '-'], { input: JSON.stringify(spec) }));
  const lines = r.stdout.split('\n').filter((l) => l.length);
  return { ...r, result: lines.length ? JSON.parse(lines[lines.length - 1]) : null };
}

describe('sample aspect ratio: square pixels by default, --exact-shape keeps the source shape', () => {
  // 1280x534 (2.40:1): every default rung is rounded down to even width.
  // 720x576 at 64:45 (PAL 16:9 anamorphic): shown 1024x576.
  const sources = {};
  const runs = {};
  before(async () => {
    ladderBin();
    const wide = await makeMedia({ name: 'sar-wide', width: 1280, height: 534, rate: '25', duration: 4, audio: false });
    const pal = await makeMedia({
      name: 'sar-pal', width: 720, height: 576, rate: '25', duration: 4, audio: false, extraVideoArgs: ['-aspect', '16:9'],
    });
    sources.wide = { ...wide, displayWidth: 1280 };
    sources.pal = { ...pal, displayWidth: 1024 };
    const base = ['--preset', 'ultrafast', '--progress', 'none'];
    const ladderFile = path.join(work, 'exact.json');
    fs.writeFileSync(ladderFile, JSON.stringify({
      exact_shape: true,
      rungs: [{ height: 480, bitrate: '900k' }, { height: 360, bitrate: '600k' }, { height: 240, bitrate: '300k' }],
    }));
    const cases = {
      wideSquare: [sources.wide, base],
      palSquare: [sources.pal, base],
      wideExact: [sources.wide, [...base, '--exact-shape']],
      palExact: [sources.pal, [...base, '--ladder', ladderFile]],
    };
    for (const [name, [src, args]] of Object.entries(cases)) {
      const outDir = path.join(work, name);
      const run = await encode(src.path, outDir, args);
      runs[name] = { run, outDir, ctx: run.code === 0 ? collect(outDir) : null };
    }
  });

  const ok = (name) => {
    assert.equal(runs[name].run.code, 0, describeRun(runs[name].run));
    return runs[name].ctx;
  };

  it('the sources are what the cases need (1280x534 square; 720x576 at 64:45)', () => {
    const probe = (s) => ffprobeJson(['-show_streams', '-select_streams', 'v:0', s.path]).streams[0];
    assert.equal(probe(sources.wide).sample_aspect_ratio || '1:1', '1:1');
    const pal = probe(sources.pal);
    assert.deepEqual([pal.width, pal.height, pal.sample_aspect_ratio], [720, 576, '64:45']);
  });

  it('1280x534: every rung is 1:1 and RESOLUTION, @width/@height are the decoded size', () => {
    const ctx = ok('wideSquare');
    assert.deepEqual(ctx.rungs.map((r) => `${r.decoded.width}x${r.decoded.height}`).sort(),
      ['1150x480', '574x240', '862x360']);
    assertSquare(ctx, sources.wide);
  });

  it('anamorphic 720x576 at 64:45: square-pixel rungs of the 1024x576 picture', () => {
    const ctx = ok('palSquare');
    assert.deepEqual(ctx.rungs.map((r) => `${r.decoded.width}x${r.decoded.height}`).sort(),
      ['426x240', '640x360', '852x480']);
    assertSquare(ctx, sources.pal);
  });

  it('--exact-shape on 1280x534: the exact-shape SAR, RESOLUTION the displayed size', () => {
    const ctx = ok('wideExact');
    assertExact(ctx, sources.wide);
    assert.deepEqual(ctx.rungs.map((r) => r.resolution).sort(), ['1151x480', '575x240', '863x360']);
  });

  it('"exact_shape": true in a ladder file on the anamorphic source: 852x480 at 640:639 shown 853x480', () => {
    const ctx = ok('palExact');
    assertExact(ctx, sources.pal);
    const r480 = ctx.rungs.find((r) => r.decoded.height === 480);
    assert.deepEqual([r480.decoded.width, r480.mpd.sar, r480.resolution], [852, '640:639', '853x480']);
  });

  it('hls.js: every level plays at the size its RESOLUTION declares (square pixels)', async () => {
    const ctx = ok('wideSquare');
    const expectLevels = ctx.rungs.map((r) => ({ width: r.decoded.width, height: r.decoded.height }));
    const r = await playHls(runs.wideSquare.outDir, { expectLevels });
    assertPlayedEverything(assert, r, { expectLevels });
  });

  it('hls.js, --exact-shape: the browser shows each level at its RESOLUTION (the displayed size)', async () => {
    const ctx = ok('wideExact');
    const expectLevels = ctx.rungs.map((r) => {
      const [width, height] = r.resolution.split('x').map(Number);
      return { width, height };
    });
    const r = await playHls(runs.wideExact.outDir, { expectLevels });
    assertPlayedEverything(assert, r, { expectLevels });
  });

  it('ladder job: "exact_shape" in a ladder spec reaches the encode; without it, square pixels', async () => {
    const root = path.join(work, 'jobs');
    fs.mkdirSync(root, { recursive: true });
    const spec = { type: 'ladder', input: sources.wide.path, output_root: root, format: 'hls,dash', preset: 'ultrafast',
      rungs: [{ height: 240, bitrate: '300k' }] };
    const exact = await runJob({ ...spec, output: 'exact', exact_shape: true });
    assert.equal(exact.code, 0, `${exact.stdout}\n${exact.stderr}`);
    assertExact(collect(path.join(root, 'exact')), sources.wide);
    assert.equal(exact.result.report.rungs[0].sar, '3593:3585');
    const square = await runJob({ ...spec, output: 'square' });
    assert.equal(square.code, 0, `${square.stdout}\n${square.stderr}`);
    assertSquare(collect(path.join(root, 'square')), sources.wide);
  });
});
