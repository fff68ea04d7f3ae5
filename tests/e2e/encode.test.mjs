// End-to-end encodes of short generated clips, checked with ffprobe against
// the output contract: IDR at every segment start, identical segment start
// times in every rung, EXTINF = real duration, all frames kept, A/V length,
// master playlist attributes vs the real bitstreams, report.json vs files.
import path from 'node:path';
import { before, describe } from 'node:test';
import { encodeAndCollect, registerOutputChecks } from './lib/checks.mjs';
import { ladderBin } from './lib/ladder.mjs';
import { cfrClip, fourThreeClip, oddSizeClip, realH264, vfrClip } from './lib/media.mjs';
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
