// Jobs turn a rotated source upright, as ladder encode does: a phone video
// stored landscape with a 90-degree display matrix gives a portrait proxy
// whose pictures match FFmpeg's own autorotated encode of the same source
// (PSNR), not a sideways one; its thumbnail and filmstrip tiles are
// upright too (closer to FFmpeg's autorotated frame than to the picture
// turned the other way).
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

  /**
   * PSNR of an image (or a crop of it) against the source's frame at time:
   * FFmpeg's autorotated frame (upright), or with turn set the raw frame
   * turned that way instead.
   */
  function stillPsnr(image, crop, source, time, scale, turn = null) {
    const ref = path.join(work, `ref-${path.basename(image)}-${turn || 'auto'}.png`);
    const vf = turn ? `${turn},${scale}` : scale;
    runFfmpeg(['-y', ...(turn ? ['-noautorotate'] : []), '-ss', String(time), '-i', source, '-frames:v', '1',
      '-vf', vf, ref], 'still reference');
    const cut = path.join(work, `cut-${path.basename(image)}.png`);
    runFfmpeg(['-y', '-i', image, '-vf', crop || 'null', cut], 'crop');
    return psnr(cut, ref);
  }

  for (const deg of [90, 270]) {
    // The turn FFmpeg's autorotate does not make (it makes transpose=cclock
    // for a display matrix of 90 degrees, which is counterclockwise).
    const wrong = deg === 90 ? 'transpose=clock' : 'transpose=cclock';

    it(`thumbnail of a ${deg}-degree source: portrait and upright`, async () => {
      const spec = { type: 'thumbnail', input: rotated[deg], output_root: work, output: `thumb${deg}`, time: 1, width: 320, height: 320 };
      const r = await runLadder(['job', '-'], { input: JSON.stringify(spec) });
      assert.equal(r.code, 0, describeRun(r));
      const out = path.join(work, `thumb${deg}`, 'thumbnail.jpg');
      const v = videoStream(out);
      assert.deepEqual([v.width, v.height], [180, 320]);
      const good = stillPsnr(out, null, rotated[deg], 1, 'scale=180:320');
      const bad = stillPsnr(out, null, rotated[deg], 1, 'scale=180:320', wrong);
      assert.ok(good >= 25 && good > bad + 5, `upright ${good} dB, turned the wrong way ${bad} dB`);
    });

    it(`filmstrip of a ${deg}-degree source: upright tiles`, async () => {
      const spec = { type: 'filmstrip', input: rotated[deg], output_root: work, output: `strip${deg}`, count: 2, columns: 2, width: 90, height: 160 };
      const r = await runLadder(['job', '-'], { input: JSON.stringify(spec) });
      assert.equal(r.code, 0, describeRun(r));
      const dir = path.join(work, `strip${deg}`);
      const sheet = fs.readdirSync(dir).find((f) => /^sprite-\d+\.jpg$/.test(f));
      assert.ok(sheet, fs.readdirSync(dir).join(' '));
      const v = videoStream(path.join(dir, sheet));
      assert.deepEqual([v.width, v.height], [180, 160]);
      // The first tile: the cue that points at x=0 says when it was taken.
      const vtt = fs.readFileSync(path.join(dir, 'thumbnails.vtt'), 'utf8');
      const cue = /(\d+):(\d+):([\d.]+) -->[^\n]*\n[^\n]*#xywh=0,0,90,160/.exec(vtt);
      assert.ok(cue, vtt);
      const t = Number(cue[1]) * 3600 + Number(cue[2]) * 60 + Number(cue[3]);
      const tile = 'crop=90:160:0:0';
      const good = stillPsnr(path.join(dir, sheet), tile, rotated[deg], t, 'scale=90:160');
      const bad = stillPsnr(path.join(dir, sheet), tile, rotated[deg], t, 'scale=90:160', wrong);
      // Which frame of its interval a tile shows is the layout's business: the
      // orientation is what is checked here (about 16 dB against 0.6 dB).
      assert.ok(good >= 12 && good > bad + 5, `tile at ${t} s: upright ${good} dB, turned the wrong way ${bad} dB`);
    });

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
