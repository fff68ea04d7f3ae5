// Stitched single-file MP4 (--format mp4): one progressive file per rung
// with the audio, made from the rung's CMAF segments by stream copy
// (mux/mp4_stitch.c). Checked: the moov is in front of the media
// (faststart), every source frame is there, video and audio both start at
// 0 (no empty edit delaying the video behind the B-frame delay), the
// duration is the source's, the samples are the segments' own bytes, and
// Chromium plays the file in a plain <video> to the end. Alone, --format mp4
// leaves no CMAF files or manifests behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin } from './lib/ladder.mjs';
import { realH264 } from './lib/media.mjs';
import { playProgressive } from './lib/player.mjs';
import { boxTypes, decodeCheck, ffprobeJson, probePackets, probeRendition } from './lib/probe.mjs';
import { makeTempDir, walkFiles } from './lib/util.mjs';

const RUNGS = [
  { spec: '640x360:800k', name: '360p', width: 640, height: 360 },
  { spec: '426x240:400k', name: '240p', width: 426, height: 240 },
];

function rungArgs(extra) {
  const args = ['--preset', 'veryfast', '--progress', 'none', ...extra];
  for (const r of RUNGS) args.push('--rung', r.spec);
  return args;
}

describe('--format hls,mp4: one faststart MP4 per rung beside the HLS package', () => {
  let src;
  let run;
  let outDir;
  before(async () => {
    ladderBin();
    // B-frames with a pyramid: the stitched file must handle negative
    // composition offsets; stereo AAC so the audio is muxed in.
    src = await realH264({ duration: 5 });
    outDir = path.join(makeTempDir('ladder-e2e-mp4-'), 'out');
    run = await encode(src.path, outDir, rungArgs(['--format', 'hls,mp4']));
  });

  it('the encode succeeds and writes both formats', () => {
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(fs.existsSync(path.join(outDir, 'master.m3u8')), 'master.m3u8');
    assert.ok(!fs.existsSync(path.join(outDir, 'manifest.mpd')), 'no MPD: dash was not asked for');
    for (const r of RUNGS) assert.ok(fs.existsSync(path.join(outDir, 'mp4', `${r.name}.mp4`)), `${r.name}.mp4`);
    const partial = walkFiles(outDir).filter((f) => /partial|\.tmp/.test(f.name)).map((f) => f.rel);
    assert.deepEqual(partial, [], 'temporary files left behind');
  });

  for (const r of RUNGS) {
    it(`${r.name}.mp4: faststart, every frame, A/V from 0, the source's duration`, () => {
      const file = path.join(outDir, 'mp4', `${r.name}.mp4`);
      const top = boxTypes(file);
      assert.ok(top.indexOf('moov') >= 0 && top.indexOf('moov') < top.indexOf('mdat'),
        `moov must come before mdat: ${top.join(',')}`);
      assert.ok(!top.includes('moof'), `a progressive file, not fragmented: ${top.join(',')}`);
      const info = ffprobeJson(['-show_streams', '-show_format', file]);
      const v = info.streams.find((s) => s.codec_type === 'video');
      const a = info.streams.find((s) => s.codec_type === 'audio');
      assert.ok(v && a, 'one video and one audio stream');
      assert.equal(`${v.width}x${v.height}`, `${r.width}x${r.height}`);
      assert.equal(v.codec_tag_string, 'avc1');
      assert.equal(a.codec_name, 'aac');
      assert.equal(Number(v.start_time), 0, `video start_time ${v.start_time}`);
      assert.equal(Number(a.start_time), 0, `audio start_time ${a.start_time}`);
      const frameSeconds = 1 / src.rateValue;
      assert.ok(Math.abs(Number(v.duration) - src.frames * frameSeconds) < frameSeconds / 2,
        `video duration ${v.duration} for ${src.frames} frames`);
      const dec = decodeCheck(file);
      assert.equal(dec.errors, '', `decoding errors: ${dec.errors}`);
      assert.equal(dec.frames, src.frames, 'every source frame');
    });

    it(`${r.name}.mp4 holds the segments' samples, byte for byte`, () => {
      const dir = path.join(outDir, 'video', r.name);
      const segs = fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort().map((f) => path.join(dir, f));
      const cmaf = probeRendition(path.join(dir, 'init.mp4'), segs, 'v:0').packets.map((p) => Number(p.size));
      const stitched = probePackets(path.join(outDir, 'mp4', `${r.name}.mp4`), 'v:0').map((p) => Number(p.size));
      assert.deepEqual(stitched, cmaf, 'packet sizes differ: the stitch must copy, not re-encode');
    });
  }

  it('Chromium plays 360p.mp4 to the end in a plain <video>', async () => {
    const p = await playProgressive(outDir, 'mp4/360p.mp4');
    assert.equal(p.error, null, `media error: ${JSON.stringify(p)}`);
    assert.equal(p.why, 'ended', `did not reach the end: ${JSON.stringify(p)}`);
    assert.equal(p.videoWidth, 640);
    assert.ok(Math.abs(p.duration - src.frames / src.rateValue) < 0.1, `duration ${p.duration}`);
    assert.deepEqual(p.pageErrors, []);
  });
});

describe('--format mp4 alone', () => {
  let run;
  let outDir;
  before(async () => {
    ladderBin();
    const src = await realH264({ duration: 5 });
    outDir = path.join(makeTempDir('ladder-e2e-mp4only-'), 'out');
    run = await encode(src.path, outDir, rungArgs(['--format', 'mp4']));
  });

  it('writes the MP4s and the report, and no CMAF files or manifests', () => {
    assert.equal(run.code, 0, describeRun(run));
    const files = walkFiles(outDir).filter((f) => !f.dir).map((f) => f.rel).sort();
    // The journal keeps its job line only: ladder's mark on the directory
    // (README "Output directories").
    assert.deepEqual(files, ['.ladder-resume', 'mp4/240p.mp4', 'mp4/360p.mp4', 'report.json']);
    assert.equal(fs.readFileSync(path.join(outDir, '.ladder-resume'), 'utf8').trim().split('\n').length, 1,
      'the journal vouches for no segment');
    const dirs = walkFiles(outDir).filter((f) => f.dir).map((f) => f.rel).sort();
    assert.deepEqual(dirs, ['mp4'], 'no empty CMAF directories left');
  });
});
