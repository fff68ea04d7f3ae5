// What the per-codec e2e files (hevc.test.mjs, av1.test.mjs) share: run one
// encode and load everything a rendition check needs, and the checks that
// do not depend on the codec.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describeRun, encode, ladderBin, loadOutput } from './ladder.mjs';
import { cfrClip } from './media.mjs';
import { countVideoFrames, parseAvcC, probeRendition } from './probe.mjs';

const MS = 0.001;

/** Representation codecs by id from manifest.mpd (plain attribute scan). */
export function mpdCodecs(outDir) {
  const xml = fs.readFileSync(path.join(outDir, 'manifest.mpd'), 'utf8');
  const out = {};
  for (const m of xml.matchAll(/<Representation\b[^>]*>/g)) {
    const id = /\bid="([^"]+)"/.exec(m[0]);
    const codecs = /\bcodecs="([^"]+)"/.exec(m[0]);
    if (id && codecs) out[id[1]] = codecs[1];
  }
  return out;
}

/**
 * Encode a 30 fps clip (srcOpts) under work/name with args, and load the
 * output: {source, outDir, run, srcFrames, out, mpd, video: [{variant,
 * probe, avcC, report, [configKey]: parseConfig(init)}]}.
 */
export async function runCodecCase(work, name, srcOpts, args, { configKey, parseConfig }) {
  ladderBin();
  const source = await cfrClip('30', srcOpts);
  const outDir = path.join(work, name);
  const run = await encode(source.path, outDir, ['--progress', 'none', ...args]);
  const ctx = { source, outDir, run, srcFrames: countVideoFrames(source.path) };
  if (run.code !== 0) return ctx;
  ctx.out = loadOutput(outDir);
  ctx.mpd = mpdCodecs(outDir);
  ctx.video = ctx.out.variants.map((v) => ({
    variant: v,
    probe: probeRendition(v.init, v.segs, 'v:0'),
    [configKey]: parseConfig(v.init),
    avcC: parseAvcC(v.init),
    report: ctx.out.report.rungs.find((r) => r.name === v.name),
  }));
  return ctx;
}

/** The case ran and the encode succeeded; returns ctx. */
export function okCase(ctx) {
  assert.ok(ctx, 'the encode did not run (see the before hook error)');
  assert.equal(ctx.run.code, 0, `ladder encode failed\n${describeRun(ctx.run)}`);
  return ctx;
}

/** Every rendition cut at the same instants with the same frame counts. */
export function checkAligned(ctx) {
  const ref = ctx.video[0];
  for (const v of ctx.video) {
    assert.equal(v.probe.segments.length, ref.probe.segments.length,
      `${v.variant.name}: ${v.probe.segments.length} segments, ${ref.variant.name}: ${ref.probe.segments.length}`);
    v.probe.segments.forEach((s, i) => {
      const r = ref.probe.segments[i];
      assert.ok(Math.abs(s.timing.baseDecodeTime / v.probe.init.timescale
        - r.timing.baseDecodeTime / ref.probe.init.timescale) <= MS,
      `segment ${i + 1}: tfdt differs between ${v.variant.name} and ${ref.variant.name}`);
      assert.equal(s.frames, r.frames, `segment ${i + 1}: ${v.variant.name} ${s.frames} frames, ${ref.variant.name} ${r.frames}`);
    });
  }
}

/** A rendition's video kb/s over the source's duration, from its segment bytes. */
export function kbpsOf(ctx, v) {
  const bytes = v.probe.segments.reduce((n, s) => n + s.bytes, 0);
  return (bytes * 8) / (ctx.source.frames / ctx.source.rateValue) / 1000;
}
