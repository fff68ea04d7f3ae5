// Decoder-configuration invariant: with --test-invariant-fault 2 every 2nd
// chunk's first encode attempt uses settings that would change the decoder
// configuration (SPS/PPS).  The engine must notice, requeue the chunk, and
// still produce a rendition where every segment decodes with the single
// init.mp4 of its rung.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeAndCollect, registerOutputChecks } from './lib/checks.mjs';
import { ladderBin } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { concatFiles, decodeCheck, segmentNals } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const RUNGS = [
  { spec: '640x360:800k', box: [640, 360] },
  { spec: '480x270:500k', box: [480, 270] },
  { spec: '320x180:250k', box: [320, 180] },
];

describe('--test-invariant-fault 2', () => {
  let ctx = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30000/1001', { width: 640, height: 360, duration: 8 });
    const outDir = path.join(makeTempDir('ladder-e2e-invariant-'), 'out');
    ctx = await encodeAndCollect({
      source: src, outDir, rungs: RUNGS, extraArgs: ['--test-invariant-fault', '2', '--devices', 'cpu:2'],
    });
  });

  it('requeues faulted chunks (report invariant_requeues > 0)', () => {
    assert.equal(ctx.run.code, 0, `ladder encode failed: ${ctx.run.stderr}`);
    const per = ctx.out.report.rungs.map((r) => `${r.name}:${r.invariant_requeues}/${r.chunks}`);
    const total = ctx.out.report.rungs.reduce((n, r) => n + r.invariant_requeues, 0);
    assert.ok(total > 0, `no invariant requeues reported (requeues/chunks per rung: ${per})`);
  });

  it('every segment decodes cleanly from its rung\'s single init.mp4', () => {
    assert.equal(ctx.run.code, 0, 'encode failed');
    for (const v of ctx.video) {
      const { variant, avcC, probe } = v;
      assert.ok(avcC, `${variant.name}: no avcC in init.mp4`);
      probe.segments.forEach((s, i) => {
        const name = `${variant.name}/${path.basename(s.file)}`;
        const { path: cat } = concatFiles([variant.init, s.file], `${variant.name}-seg${i + 1}.mp4`);
        const d = decodeCheck(cat);
        assert.equal(d.errors, '', `${name} + init.mp4: decoder errors:\n${d.errors}`);
        assert.equal(d.frames, s.frames, `${name}: decoded ${d.frames} frames, the segment has ${s.frames} samples`);
        assert.equal(`${d.width}x${d.height}`, variant.attrs.RESOLUTION, `${name}: decoded size`);
        // In-band parameter sets, if any, must be the ones in avcC:
        // a different SPS/PPS means the decoder configuration changed.
        for (const n of segmentNals(s.file, avcC.lengthSize)) {
          if (n.type === 7) {
            assert.ok(avcC.sps.some((p) => p.equals(n.data)), `${name}: in-band SPS differs from avcC's`);
          } else if (n.type === 8) {
            assert.ok(avcC.pps.some((p) => p.equals(n.data)), `${name}: in-band PPS differs from avcC's`);
          }
        }
      });
      const whole = decodeCheck(probe.concat);
      assert.equal(whole.errors, '', `${variant.name}: init + all segments: decoder errors:\n${whole.errors}`);
      assert.equal(whole.frames, ctx.srcFrames, `${variant.name}: decoded ${whole.frames} frames of ${ctx.srcFrames}`);
    }
  });

  it('plays in hls.js, every level', async () => {
    assert.equal(ctx.run.code, 0, 'encode failed');
    const expectLevels = ctx.video.map((v) => ({ width: v.probe.stream.width, height: v.probe.stream.height }));
    const r = await playHls(ctx.outDir, { expectLevels });
    assertPlayedEverything(assert, r, { expectLevels, expectAudio: true });
  });

  describe('the output still meets the full contract', () => {
    registerOutputChecks(() => ctx, { audio: true, cfr: true, extinfText: '2.002', invariantFault: true });
  });
});
