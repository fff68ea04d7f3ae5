// 10-bit rungs: from a 10-bit HDR (PQ, BT.2020) source, an HEVC rung that
// asks for bit_depth 10 is Main 10 and an AV1 one is 10-bit Main, while an
// 8-bit rung of the same ladder is 8-bit; every rung keeps the source's
// colour description; the codecs strings say so (from the bitstream); the
// AV1 10-bit rendition plays in Chromium. An 8-bit source keeps a 10-bit
// request 8-bit (and says so), and an H.264 10-bit rung is refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, stderrLines } from './lib/ladder.mjs';
import { cfrClip, makeMedia } from './lib/media.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { decodeCheck, ffprobeJson, probeRendition } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const HDR_ARGS = ['-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc'];

function stream(file) {
  return ffprobeJson(['-show_streams', '-select_streams', 'v:0', file]).streams[0];
}

describe('10-bit rungs from a 10-bit PQ source', () => {
  let src = null;
  let run = null;
  let out = null;
  before(async () => {
    ladderBin();
    src = await makeMedia({
      name: 'pq10', width: 640, height: 360, rate: '30', duration: 4, audio: true, vcodec: 'libx265',
      pixFmt: 'yuv420p10le', extraVideoArgs: ['-preset', 'ultrafast', '-x265-params', 'log-level=error', ...HDR_ARGS],
    });
    const dir = path.join(makeTempDir('ladder-e2e-tenbit-'), 'out');
    const ladder = path.join(path.dirname(dir), 'ladder.json');
    fs.writeFileSync(ladder, JSON.stringify({
      rungs: [
        { name: 'hevc10', height: 360, bitrate: '900k', codec: 'hevc', bit_depth: 10 },
        { name: 'av1p10', height: 270, bitrate: '500k', codec: 'av1', bit_depth: 10 },
        { name: 'hevc8', height: 180, bitrate: '300k', codec: 'hevc' },
      ],
    }));
    run = await encode(src.path, dir, ['--ladder', ladder, '--preset', 'ultrafast', '--progress', 'none']);
    if (run.code === 0) out = loadOutput(dir);
  });

  it('encodes each rung at the depth it asked for, with codecs strings to match', () => {
    assert.equal(run.code, 0, `ladder encode failed\n${describeRun(run)}`);
    const want = {
      hevc10: { pix: 'yuv420p10le', profile: 'Main 10', codecs: /^hvc1\.2\.4\.L\d+\.[0-9A-F]+/, depth: 10 },
      av1p10: { pix: 'yuv420p10le', profile: 'Main', codecs: /^av01\.0\.\d\dM\.10$/, depth: 10 },
      hevc8: { pix: 'yuv420p', profile: 'Main', codecs: /^hvc1\.1\.6\.L\d+/, depth: 8 },
    };
    for (const v of out.variants) {
      const w = want[v.name];
      assert.ok(w, `unexpected rung ${v.name}`);
      const probe = probeRendition(v.init, v.segs, 'v:0');
      const st = stream(probe.concat);
      assert.equal(st.pix_fmt, w.pix, `${v.name}: pixel format`);
      assert.equal(st.profile, w.profile, `${v.name}: profile`);
      // The source's colour description travels into every rung.
      assert.equal(st.color_transfer, 'smpte2084', `${v.name}: transfer`);
      assert.equal(st.color_primaries, 'bt2020', `${v.name}: primaries`);
      const d = decodeCheck(probe.concat);
      assert.equal(d.errors, '', `${v.name}: decoder errors:\n${d.errors}`);
      assert.equal(d.frames, src.frames, `${v.name}: decoded ${d.frames} of ${src.frames} frames`);
      const rr = out.report.rungs.find((r) => r.name === v.name);
      assert.equal(rr.bit_depth, w.depth, `${v.name}: report bit_depth`);
      assert.match(rr.codecs, w.codecs, `${v.name}: report codecs`);
      assert.ok(v.attrs.CODECS.startsWith(rr.codecs), `${v.name}: CODECS ${v.attrs.CODECS} vs report ${rr.codecs}`);
    }
  });

  it('labels the ladder HDR: HLS VIDEO-RANGE=PQ and the MPD\'s CICP descriptors', () => {
    assert.equal(run.code, 0, 'encode failed');
    for (const v of out.variants) assert.equal(v.attrs['VIDEO-RANGE'], 'PQ', `${v.name}: VIDEO-RANGE`);
    const iframes = out.master.lines.filter((l) => l.startsWith('#EXT-X-I-FRAME-STREAM-INF:'));
    assert.ok(iframes.length > 0 && iframes.every((l) => l.includes('VIDEO-RANGE=PQ')), iframes.join('\n'));
    const mpd = fs.readFileSync(path.join(out.outDir, 'manifest.mpd'), 'utf8');
    for (const [scheme, value] of [['ColourPrimaries', 9], ['TransferCharacteristics', 16], ['MatrixCoefficients', 9]]) {
      assert.ok(mpd.includes(`schemeIdUri="urn:mpeg:mpegB:cicp:${scheme}" value="${value}"`), `MPD lacks ${scheme}=${value}`);
    }
  });

  it('plays the AV1 10-bit rendition in hls.js', async () => {
    assert.equal(run.code, 0, 'encode failed');
    // Only the AV1 level: Chromium here decodes neither HEVC profile.
    const dir = out.outDir;
    const av1 = out.variants.find((v) => v.name === 'av1p10');
    const master = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS',
      ...out.master.lines.filter((l) => l.startsWith('#EXT-X-MEDIA')),
      `#EXT-X-STREAM-INF:${Object.entries(av1.attrs).map(([k, v]) => (
        ['CODECS', 'AUDIO'].includes(k) ? `${k}="${v}"` : `${k}=${v}`)).join(',')}`, av1.uri, ''].join('\n');
    fs.writeFileSync(path.join(dir, 'av1only.m3u8'), master);
    const st = stream(probeRendition(av1.init, av1.segs, 'v:0').concat);
    const expectLevels = [{ width: st.width, height: st.height }];
    const r = await playHls(dir, { master: 'av1only.m3u8', expectLevels });
    assertPlayedEverything(assert, r, { expectLevels, expectAudio: true });
  });
});

describe('10-bit requests that cannot be met', () => {
  it('keeps an 8-bit source 8-bit, and logs why', async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 320, height: 180, duration: 2 });
    const dir = path.join(makeTempDir('ladder-e2e-tenbit8-'), 'out');
    const run = await encode(src.path, dir, ['--rung', 'x180:300k:bit_depth=10', '--codec', 'hevc', '--preset',
      'ultrafast', '--progress', 'none', '-v']);
    assert.equal(run.code, 0, describeRun(run));
    const out = loadOutput(dir);
    assert.equal(out.report.rungs[0].bit_depth, 8);
    assert.match(out.report.rungs[0].codecs, /^hvc1\.1\.6\./);
    const v = out.variants[0];
    assert.equal(stream(probeRendition(v.init, v.segs, 'v:0').concat).pix_fmt, 'yuv420p');
    assert.ok(stderrLines(run.stderr).some((l) => /event=bit_depth reason=source is 8-bit/.test(l)), run.stderr);
  });

  it('refuses an H.264 10-bit rung with exit 6 and one line', async () => {
    const src = await cfrClip('30', { width: 320, height: 180, duration: 2 });
    const dir = path.join(makeTempDir('ladder-e2e-tenbit264-'), 'out');
    const run = await encode(src.path, dir, ['--rung', 'x180:300k:bit_depth=10', '--progress', 'none']);
    assert.equal(run.code, 6, describeRun(run));
    const lines = stderrLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /bit depth 10 needs hevc or av1/);
    assert.ok(!fs.existsSync(dir), 'a refused ladder left its output directory behind');
  });
});
