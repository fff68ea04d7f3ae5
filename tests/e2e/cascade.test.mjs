// Cascade scaling (issue 19): a rung 2 to 2.5 times smaller (width and
// height) than a rung made from the source is scaled from that rung's
// pictures (lanczos) instead of the source's (bicubic); --no-cascade scales every
// rung from the source. The rule and its measurements: benches/RESULTS.md
// "Cascade scaling".
//
// Judged on the output, decoded back:
//  - the default ladder from a 1080p source: report.json says which rung fed
//    which (360p <- 720p, 240p <- 480p, the rest the source); the rungs made
//    from the source are the same bytes as with --no-cascade (--deterministic
//    on both runs), so feeding other rungs changes nothing in them; every
//    cascaded rung keeps every frame and its PSNR against a high-quality
//    downscale of the source (lanczos, accurate rounding, full chroma) is no
//    more than 0.1 dB under the same rung made with --no-cascade (the rule
//    allows 0.05 dB before encoding; the encode adds noise);
//  - frame-rate caps: a rung at full rate is never fed by a capped rung, a
//    capped rung may be fed by a full-rate one and keeps the frames it keeps
//    with --no-cascade.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin } from './lib/ladder.mjs';
import { runFfmpeg } from './lib/media.mjs';
import { countVideoFrames, decodeCheck } from './lib/probe.mjs';
import { makeTempDir, withSharedLock } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-cascade-');
const COMMON = ['--no-audio', '--format', 'hls', '--progress', 'none', '--deterministic'];

/**
 * A 1080p source with detail in every frequency band, as scaling sees it:
 * testsrc2's edges and text plus grain that changes every frame.
 */
function makeSource(name, size, seconds, rate) {
  const file = path.join(work, `${name}.mp4`);
  runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`,
    '-vf', 'noise=alls=8:allf=t,format=yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16',
    file], `source ${name}`);
  return file;
}

function report(outDir) {
  return JSON.parse(fs.readFileSync(path.join(outDir, 'report.json'), 'utf8'));
}

function segmentsOf(outDir, rung) {
  const dir = path.join(outDir, 'video', rung);
  return ['init.mp4', ...fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort()]
    .map((f) => path.join(dir, f));
}

/** init + segments of one rendition as one playable file. */
function joined(outDir, rung) {
  const file = path.join(work, `${path.basename(outDir)}-${rung}.mp4`);
  fs.writeFileSync(file, Buffer.concat(segmentsOf(outDir, rung).map((f) => fs.readFileSync(f))));
  return file;
}

/** PSNR (average of Y, U, V) of a rendition against the source scaled to
 * its size with a high-quality filter: the reference both runs are judged by. */
function psnrAgainstSource(file, source, width, height) {
  const r = runFfmpeg(['-v', 'info', '-i', file, '-i', source, '-lavfi',
    `[0:v]setpts=PTS-STARTPTS[a];[1:v]setpts=PTS-STARTPTS,scale=${width}:${height}:` +
    'flags=lanczos+accurate_rnd+full_chroma_int[b];[a][b]psnr', '-f', 'null', '-'], `psnr ${file}`);
  const m = /PSNR y:([0-9.]+) .*average:([0-9.]+)/.exec(r.stderr);
  assert.ok(m, `no PSNR in ffmpeg's output:\n${r.stderr}`);
  return { y: Number(m[1]), average: Number(m[2]) };
}

const scaledFrom = (rep) => Object.fromEntries(rep.rungs.map((r) => [r.name, r.scaled_from]));

describe('cascade scaling, default ladder from 1080p', () => {
  let source = null;
  let frames = 0;
  const out = {};
  before(async () => {
    ladderBin();
    // 3 s at 24 fps: two chunks per rung, under a minute per run on 2 cores.
    source = await withSharedLock(async () => makeSource('src1080', '1920x1080', 3, 24));
    frames = countVideoFrames(source);
    for (const [name, extra] of [['cascade', []], ['direct', ['--no-cascade']]]) {
      const outDir = path.join(work, name);
      const run = await encode(source, outDir, [...COMMON, ...extra]);
      assert.equal(run.code, 0, describeRun(run));
      out[name] = { outDir, report: report(outDir) };
    }
  });

  it('report.json: 360p from 720p, 240p from 480p, the rest from the source; none with --no-cascade', () => {
    assert.deepEqual(scaledFrom(out.cascade.report),
      { '1080p': null, '720p': null, '480p': null, '360p': '720p', '240p': '480p' });
    assert.deepEqual(scaledFrom(out.direct.report),
      { '1080p': null, '720p': null, '480p': null, '360p': null, '240p': null });
  });

  it('rungs made from the source are the same bytes either way', () => {
    for (const rung of ['1080p', '720p', '480p']) {
      const a = segmentsOf(out.cascade.outDir, rung);
      const b = segmentsOf(out.direct.outDir, rung);
      assert.equal(a.length, b.length, `${rung}: ${a.length} files against ${b.length}`);
      a.forEach((f, i) => assert.ok(fs.readFileSync(f).equals(fs.readFileSync(b[i])),
        `${rung}: ${path.basename(f)} differs from the --no-cascade run's`));
    }
  });

  for (const [rung, width, height] of [['360p', 640, 360], ['240p', 426, 240]]) {
    it(`${rung}: every frame, and PSNR against the source within 0.1 dB of --no-cascade`, () => {
      const cascaded = joined(out.cascade.outDir, rung);
      const direct = joined(out.direct.outDir, rung);
      const decoded = decodeCheck(cascaded);
      assert.deepEqual({ frames: decoded.frames, width: decoded.width, height: decoded.height },
        { frames, width, height }, decoded.errors);
      assert.equal(decoded.errors, '', `${rung}: decode errors`);
      const a = psnrAgainstSource(cascaded, source, width, height);
      const b = psnrAgainstSource(direct, source, width, height);
      const msg = `${rung}: cascade ${JSON.stringify(a)} dB, --no-cascade ${JSON.stringify(b)} dB`;
      assert.ok(a.average >= b.average - 0.1, msg);
      assert.ok(a.y >= b.y - 0.1, msg);
      // A broken feed (frames of the wrong time or rung) is far below either.
      assert.ok(a.average > 30, msg);
    });
  }
});

describe('cascade scaling and frame-rate caps', () => {
  const RUNGS = ['--rung', '768x432:crf28:name=432', '--rung', '640x360:crf28:fps=15:name=360cap',
    '--rung', '320x180:crf30:name=180full', '--rung', '320x180:crf32:fps=10:name=180cap'];
  const out = {};
  before(async () => {
    ladderBin();
    const source = await withSharedLock(async () => makeSource('src720', '1280x720', 2, 30));
    for (const [name, extra] of [['cascade', []], ['direct', ['--no-cascade']]]) {
      const outDir = path.join(work, `caps-${name}`);
      const run = await encode(source, outDir, [...COMMON, ...RUNGS, ...extra]);
      assert.equal(run.code, 0, describeRun(run));
      out[name] = { outDir, report: report(outDir) };
    }
  });

  it('full-rate rungs never from a capped one; capped ones from a full-rate one', () => {
    // 360cap: 432 is under twice its size, so from the source. 180full: the
    // nearest rung twice its size is 360cap, capped: from 432 (2.4x). 180cap:
    // from 432 too; 180full is cascaded itself, so it feeds nobody.
    assert.deepEqual(scaledFrom(out.cascade.report),
      { 432: null, '360cap': null, '180full': '432', '180cap': '432' });
  });

  it('a capped rung keeps the frames it keeps when made from the source', () => {
    for (const rung of ['180full', '180cap', '360cap']) {
      const a = decodeCheck(joined(out.cascade.outDir, rung));
      const b = decodeCheck(joined(out.direct.outDir, rung));
      assert.ok(a.frames > 0 && a.errors === '', `${rung}: ${JSON.stringify(a)}`);
      assert.equal(a.frames, b.frames, `${rung}: ${a.frames} frames, ${b.frames} with --no-cascade`);
    }
    const capped = out.cascade.report.rungs.find((r) => r.name === '180cap');
    assert.ok(capped.frames > 0 && capped.frames <= 21, `180cap at 10 fps over 2 s: ${capped.frames} frames`);
  });
});
