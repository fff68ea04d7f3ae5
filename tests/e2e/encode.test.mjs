// End-to-end encodes of short generated clips, checked with ffprobe against
// the output contract: IDR at every segment start, identical segment start
// times in every rung, EXTINF = real duration, all frames kept, A/V length,
// master playlist attributes vs the real bitstreams, report.json vs files.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeAndCollect, registerOutputChecks } from './lib/checks.mjs';
import { describeRun, encode, ladderBin, loadOutput, stderrLines } from './lib/ladder.mjs';
import { cfrClip, fourThreeClip, oddSizeClip, realH264, vfrClip } from './lib/media.mjs';
import { concatFiles, decodeCheck } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-encode-');

/**
 * One describe() per case: the encode runs in before(), every check is its
 * own test.  A missing binary fails every case with a clear message.
 */
function encodeCase(title, {
  source, rungs, defaultRungs, extraArgs = [], segmentSeconds = 2, preset = 'ultrafast', expect,
}) {
  describe(title, () => {
    let ctx = null;
    before(async () => {
      ladderBin(); // throws "ladder binary not found at ..." when missing
      const src = await source();
      const outDir = path.join(work, title.replace(/[^a-z0-9]+/gi, '_'));
      ctx = await encodeAndCollect({ source: src, outDir, rungs, defaultRungs, extraArgs, segmentSeconds, preset });
    });
    registerOutputChecks(() => ctx, expect);
  });
}

encodeCase('29.97 fps 640x360 with audio, 3 rungs (bitrate, crf, maxrate/bufsize)', {
  source: () => cfrClip('30000/1001', { width: 640, height: 360, duration: 5 }),
  rungs: [
    { spec: '640x360:800k', box: [640, 360] },
    { spec: '480x270:crf28', box: [480, 270] },
    { spec: '320x180:300k:maxrate=400k:bufsize=600k', box: [320, 180] },
  ],
  expect: { audio: true, cfr: true, extinfText: '2.002' },
});

// preset veryfast (CABAC, B-frames) so that profile=main really is Main.
encodeCase('23.976 fps 640x360 with audio, preset veryfast, profile= and name= keys', {
  source: () => cfrClip('24000/1001', { width: 640, height: 360, duration: 5 }),
  preset: 'veryfast',
  rungs: [
    { spec: '640x360:600k:profile=main', box: [640, 360], profile: 'main', exactProfile: true },
    { spec: '320x180:250k:name=tiny', box: [320, 180], name: 'tiny' },
  ],
  expect: { audio: true, cfr: true, extinfText: '2.002' },
});

encodeCase('25 fps 320x180, PCM 44.1 kHz audio in .mov (audio transcoded)', {
  source: () => cfrClip('25', {
    width: 320, height: 180, duration: 5, container: 'mov', acodec: 'pcm_s16le', sampleRate: 44100,
  }),
  rungs: [
    { spec: '320x180:300k', box: [320, 180] },
    { spec: '160x90:100k', box: [160, 90] },
  ],
  expect: { audio: true, cfr: true, extinfText: '2.000', audioCopied: false },
});

encodeCase('60 fps 640x360 with audio, fps=30 rung keeps half the frames', {
  source: () => cfrClip('60', { width: 640, height: 360, duration: 4 }),
  rungs: [
    { spec: '640x360:1000k', box: [640, 360] },
    { spec: '320x180:300k:fps=30', box: [320, 180], fps: 30 },
  ],
  expect: { audio: true, cfr: true, extinfText: '2.000' },
});

encodeCase('4:3 640x480 30 fps with audio, --segment 1', {
  source: () => fourThreeClip({ duration: 4 }),
  rungs: [
    { spec: '640x360:600k', box: [640, 360] }, // -> 480x360
    { spec: '320x180:200k', box: [320, 180] }, // -> 240x180
  ],
  extraArgs: ['--segment', '1'],
  segmentSeconds: 1,
  expect: { audio: true, cfr: true, extinfText: '1.000' },
});

encodeCase('odd size 641x359 (H.264 4:4:4), no audio', {
  source: () => oddSizeClip({ duration: 4 }),
  rungs: [
    { spec: '640x360:500k', box: [640, 360] },
    { spec: '320x180:200k', box: [320, 180] },
  ],
  expect: { audio: false, cfr: true, extinfText: '2.000' },
});

encodeCase('variable frame rate (mkv) with audio', {
  source: () => vfrClip({ width: 320, height: 180, duration: 5 }),
  rungs: [
    { spec: '320x180:300k', box: [320, 180] },
    { spec: '160x90:100k', box: [160, 90] },
  ],
  expect: { audio: true, cfr: false, extinfText: null },
});

// The default ladder (no --rung): a 720p source keeps 720p, 480p, 360p and
// 240p and drops 1080p (never upscale).  Source: H.264 High with B-frames.
encodeCase('real H.264 1280x720 with B-frames and AAC, default ladder', {
  source: () => realH264({ duration: 4 }),
  defaultRungs: [
    { name: '720p', box: [1280, 720] },
    { name: '480p', box: [854, 480] },
    { name: '360p', box: [640, 360] },
    { name: '240p', box: [426, 240] },
  ],
  expect: { audio: true, cfr: true, extinfText: '2.002' },
});

encodeCase('--no-audio on a source with audio', {
  source: () => cfrClip('30000/1001', { width: 640, height: 360, duration: 5 }),
  rungs: [{ spec: '320x180:300k', box: [320, 180] }],
  extraArgs: ['--no-audio'],
  expect: { audio: false, cfr: true, extinfText: '2.002' },
});

// A rung larger than the source is clamped to the source's size (never
// upscaled) and says so: one warning line on stderr at the default
// verbosity naming the rung, the box asked, the size made and why, and
// clamped_from in report.json. The other rung is left alone.
describe('a rung larger than the source: clamped, with a warning', () => {
  it('--rung 3840x2160:8M on a 640x360 source warns and makes 640x360', async () => {
    ladderBin();
    const src = await cfrClip('25', { width: 640, height: 360, duration: 3 });
    const outDir = path.join(work, 'clamped');
    const r = await encode(src.path, outDir, ['--rung', '3840x2160:8M', '--rung', '320x180:200k',
      '--preset', 'ultrafast', '--progress', 'none']);
    assert.equal(r.code, 0, describeRun(r));
    const warnings = stderrLines(r.stderr).filter((l) => l.includes('event=clamped'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0],
      /^ladder: warning: rung=360p event=clamped asked=3840x2160 size=640x360 reason=.*source \(640x360\)/);
    const o = loadOutput(outDir);
    assert.deepEqual(o.report.rungs.map((x) => [x.name, x.width, x.height, x.clamped_from]),
      [['360p', 640, 360, { width: 3840, height: 2160 }], ['180p', 320, 180, null]]);
    const top = o.variants.find((v) => v.name === '360p');
    const decoded = decodeCheck(concatFiles([top.init, ...top.segs], 'clamped.mp4').path);
    assert.equal(decoded.errors, '');
    assert.deepEqual([decoded.width, decoded.height], [640, 360]);
    assert.equal(decoded.frames, 75);
    assert.equal(top.attrs.RESOLUTION, '640x360');
  });
});
