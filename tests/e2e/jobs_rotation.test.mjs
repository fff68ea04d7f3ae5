// Transcode jobs (proxy, conform, trim) turn a rotated source upright, as
// ladder encode does: a phone video stored landscape with a 90-degree
// display matrix gives a portrait proxy whose pictures match FFmpeg's own
// autorotated encode of the same source (PSNR), not a sideways one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, ladderBin, runLadder } from './lib/ladder.mjs';
import { makeMedia, runFfmpeg } from './lib/media.mjs';
import { videoStream } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

function psnr(a, b) {
  const r = runFfmpeg(['-v', 'info', '-i', a, '-i', b, '-lavfi', '[0:v][1:v]psnr', '-f', 'null', '-'], 'psnr');
  const m = /PSNR .*average:(inf|[0-9.]+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

describe('transcode jobs and the display matrix', () => {
  let work;
  const rotated = {};
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-jobrot-');
    const src = await makeMedia({ name: 'jobrot', width: 640, height: 360, rate: '30', duration: 2, audio: false });
    for (const deg of [90, 270]) {
      rotated[deg] = path.join(work, `rot${deg}.mp4`);
      runFfmpeg(['-i', src.path, '-c', 'copy', '-metadata:s:v:0', `rotate=${deg}`, rotated[deg]], `rotate ${deg}`);
    }
  });

  for (const deg of [90, 270]) {
    it(`proxy of a ${deg}-degree source: portrait, upright like FFmpeg's autorotate`, async () => {
      const spec = { type: 'proxy', input: rotated[deg], output_root: work, output: `proxy${deg}`, height: 320 };
      const r = await runLadder(['job', '-'], { input: JSON.stringify(spec) });
      assert.equal(r.code, 0, describeRun(r));
      const out = path.join(work, `proxy${deg}`, 'proxy.mp4');
      const v = videoStream(out);
      assert.deepEqual([v.width, v.height], [180, 320]);
      // FFmpeg turns the pictures by the matrix itself (autorotate).
      const ref = path.join(work, `ref${deg}.mp4`);
      runFfmpeg(['-i', rotated[deg], '-vf', 'scale=180:320', '-c:v', 'libx264', '-crf', '18', '-an', ref], 'reference');
      const upright = psnr(out, ref);
      assert.ok(upright >= 30, `PSNR against the upright reference ${upright} dB`);
      assert.ok(fs.statSync(out).size > 0);
    });
  }
});
