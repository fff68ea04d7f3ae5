// I-frame playlists (trick play): every rung gets video/<rung>/iframes.m3u8
// with EXT-X-I-FRAMES-ONLY and one EXT-X-BYTERANGE per segment, and the
// master lists it in an EXT-X-I-FRAME-STREAM-INF. Checked on the bytes: the
// init segment plus each range decodes as exactly one key frame presented
// at that segment's start, the EXTINFs are the media playlist's, and the
// master's attributes (RESOLUTION, video-only CODECS, BANDWIDTH = the peak
// of the ranges' bits over their EXTINF) match.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, parseAttributes } from './lib/ladder.mjs';
import { realH264 } from './lib/media.mjs';
import { concatFiles, ffprobeJson, parseInit, parseSegmentTiming } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const RUNGS = [
  { spec: '640x360:800k', name: '360p', width: 640, height: 360 },
  { spec: '426x240:400k', name: '240p', width: 426, height: 240 },
];

function parseIframePlaylist(text) {
  const lines = text.split('\n');
  const entries = [];
  let extinf = null;
  let range = null;
  for (const l of lines) {
    if (l.startsWith('#EXTINF:')) extinf = Number(l.slice(8).split(',')[0]);
    else if (l.startsWith('#EXT-X-BYTERANGE:')) {
      const [len, off] = l.slice(17).split('@').map(Number);
      range = { len, off };
    } else if (l && !l.startsWith('#')) {
      entries.push({ uri: l, extinf, range });
      extinf = null;
      range = null;
    }
  }
  return { lines, entries };
}

describe('I-frame playlists', () => {
  let run;
  let outDir;
  before(async () => {
    ladderBin();
    const src = await realH264({ duration: 5 });
    outDir = path.join(makeTempDir('ladder-e2e-iframes-'), 'out');
    const args = ['--preset', 'veryfast', '--progress', 'none'];
    for (const r of RUNGS) args.push('--rung', r.spec);
    run = await encode(src.path, outDir, args);
  });

  it('the encode succeeds', () => {
    assert.equal(run.code, 0, describeRun(run));
  });

  for (const r of RUNGS) {
    it(`${r.name}: every entry is one key frame at its segment's start`, () => {
      const dir = path.join(outDir, 'video', r.name);
      const { lines, entries } = parseIframePlaylist(fs.readFileSync(path.join(dir, 'iframes.m3u8'), 'utf8'));
      assert.ok(lines.includes('#EXT-X-I-FRAMES-ONLY'));
      assert.ok(lines.includes('#EXT-X-MAP:URI="init.mp4"'));
      const media = parseIframePlaylist(fs.readFileSync(path.join(dir, 'index.m3u8'), 'utf8')).entries;
      assert.deepEqual(entries.map((e) => [e.uri, e.extinf]), media.map((e) => [e.uri, e.extinf]),
        'one entry per segment, same EXTINF');
      const init = parseInit(path.join(dir, 'init.mp4'));
      for (const e of entries) {
        assert.ok(e.range && e.range.len > 0, `${e.uri}: no byte range`);
        const seg = fs.readFileSync(path.join(dir, e.uri));
        assert.ok(e.range.off + e.range.len <= seg.length, `${e.uri}: range past the end`);
        const part = path.join(path.dirname(outDir), `${r.name}-${e.uri}.part`);
        fs.writeFileSync(part, seg.subarray(e.range.off, e.range.off + e.range.len));
        const joined = concatFiles([path.join(dir, 'init.mp4'), part], `${r.name}-iframe.mp4`).path;
        const j = ffprobeJson(['-count_frames', '-select_streams', 'v:0', '-show_entries',
          'stream=nb_read_frames:frame=pict_type,key_frame', joined]);
        assert.equal(Number(j.streams[0].nb_read_frames), 1, `${e.uri}: decodes as one frame`);
        assert.equal(j.frames[0].key_frame, 1, `${e.uri}: a key frame`);
        const timing = parseSegmentTiming(path.join(dir, e.uri), init);
        assert.equal(timing.firstCompositionOffset, 0, `${e.uri}: presented at its tfdt`);
      }
    });
  }

  it('the master lists each rung\'s I-frame stream with its attributes', () => {
    const master = fs.readFileSync(path.join(outDir, 'master.m3u8'), 'utf8').split('\n');
    const iframeLines = master.filter((l) => l.startsWith('#EXT-X-I-FRAME-STREAM-INF:'));
    assert.equal(iframeLines.length, RUNGS.length);
    const lastVariant = master.findLastIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
    assert.ok(master.indexOf(iframeLines[0]) > lastVariant, 'after the variants');
    for (const r of RUNGS) {
      const line = iframeLines.find((l) => l.includes(`video/${r.name}/iframes.m3u8`));
      assert.ok(line, `no I-frame stream for ${r.name}`);
      const a = parseAttributes(line.slice('#EXT-X-I-FRAME-STREAM-INF:'.length));
      assert.equal(a.RESOLUTION, `${r.width}x${r.height}`);
      assert.match(a.CODECS, /^avc1\.[0-9a-f]{6}$/, 'the video codec alone');
      assert.equal(a.AUDIO, undefined);
      const { entries } = parseIframePlaylist(
        fs.readFileSync(path.join(outDir, 'video', r.name, 'iframes.m3u8'), 'utf8'));
      const peak = Math.max(...entries.map((e) => (e.range.len * 8) / e.extinf));
      // EXTINF is printed to the millisecond; the writer used exact seconds.
      assert.ok(Math.abs(Number(a.BANDWIDTH) - peak) / peak < 0.01, `BANDWIDTH ${a.BANDWIDTH} vs ${peak}`);
    }
  });
});
