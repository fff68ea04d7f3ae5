// Self-test of the e2e harness itself, independent of the ladder binary:
// FFmpeg's own HLS muxer makes a 2-level fMP4 ladder, and the probe and
// player helpers must read it correctly, play it, and notice when it is
// broken.  When this file fails, the other e2e failures are suspect too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadOutput, parseAttributes, parseM3u8 } from './lib/ladder.mjs';
import { cfrClip, runFfmpeg } from './lib/media.mjs';
import { assertPlayedEverything, describePlayback, playHls } from './lib/player.mjs';
import { countVideoFrames, parseAvcC, probeRendition, segmentNals } from './lib/probe.mjs';
import { makeTempDir, withSharedLock } from './lib/util.mjs';

const LEVELS = [{ width: 640, height: 360 }, { width: 320, height: 180 }];

/** FFmpeg HLS (fMP4) with the ladder's layout: video/<name>/, audio/aac/. */
async function ffmpegLadder(src, out) {
  await withSharedLock(async () => {
    const common = ['-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', 'init.mp4', '-start_number', '1'];
    for (const [name, w, h, rate] of [['360p', 640, 360, '700k'], ['180p', 320, 180, '250k']]) {
      const dir = path.join(out, 'video', name);
      fs.mkdirSync(dir, { recursive: true });
      runFfmpeg(['-i', src.path, '-map', '0:v', '-vf', `scale=${w}:${h}`, '-c:v', 'libx264', '-preset', 'ultrafast',
        '-b:v', rate, '-force_key_frames', 'expr:eq(mod(n,60),0)', '-sc_threshold', '0', '-g', '60',
        ...common, '-hls_segment_filename', path.join(dir, 'seg_%05d.m4s'), path.join(dir, 'index.m3u8')], `hls ${name}`);
    }
    const adir = path.join(out, 'audio', 'aac');
    fs.mkdirSync(adir, { recursive: true });
    runFfmpeg(['-i', src.path, '-map', '0:a', '-c:a', 'aac', '-b:a', '96k', ...common,
      '-hls_segment_filename', path.join(adir, 'seg_%05d.m4s'), path.join(adir, 'index.m3u8')], 'hls audio');
  });
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="aac",DEFAULT=YES,AUTOSELECT=YES,URI="audio/aac/index.m3u8"'];
  for (const [name, w, h, bw] of [['360p', 640, 360, 900000], ['180p', 320, 180, 400000]]) {
    const avc = parseAvcC(path.join(out, 'video', name, 'init.mp4'));
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${bw},AVERAGE-BANDWIDTH=${bw - 1000},CODECS="${avc.codecString},mp4a.40.2",` +
      `RESOLUTION=${w}x${h},FRAME-RATE=29.970,AUDIO="audio"`, `video/${name}/index.m3u8`);
  }
  fs.writeFileSync(path.join(out, 'master.m3u8'), `${lines.join('\n')}\n`);
}

describe('harness self-test on FFmpeg\'s own HLS output', () => {
  let src;
  let out;
  before(async () => {
    src = await cfrClip('30000/1001', { width: 640, height: 360, duration: 6 });
    out = path.join(makeTempDir('ladder-e2e-harness-'), 'good');
    await ffmpegLadder(src, out);
  });

  it('m3u8 parser: attributes with quoted commas, master and media playlists', () => {
    assert.deepEqual(parseAttributes('BANDWIDTH=1,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,AUDIO="audio"'),
      { BANDWIDTH: '1', CODECS: 'avc1.64001f,mp4a.40.2', RESOLUTION: '640x360', AUDIO: 'audio' });
    const media = parseM3u8('#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n' +
      '#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.002,\nseg_00001.m4s\n#EXTINF:1.001,\nseg_00002.m4s\n#EXT-X-ENDLIST\n');
    assert.equal(media.kind, 'media');
    assert.deepEqual(media.segments.map((s) => [s.durationText, s.uri]), [['2.002', 'seg_00001.m4s'], ['1.001', 'seg_00002.m4s']]);
    assert.deepEqual(media.map, { URI: 'init.mp4' });
    assert.ok(media.endList && media.independentSegments && media.version === 7 && media.targetDuration === 2);
    const o = loadOutput(out);
    assert.equal(o.master.kind, 'master');
    assert.deepEqual(o.variants.map((v) => v.name), ['360p', '180p']);
    assert.equal(o.audio.uri, 'audio/aac/index.m3u8');
  });

  it('probe: 60-frame IDR-started segments of 2.002 s, all frames, avcC codec string', () => {
    const o = loadOutput(out);
    const frames = countVideoFrames(src.path);
    assert.equal(frames, 180, 'source frame count');
    for (const v of o.variants) {
      const p = probeRendition(v.init, v.segs, 'v:0');
      assert.deepEqual(p.unplaced, []);
      assert.deepEqual(p.segments.map((s) => s.frames), [60, 60, 60], `${v.name} frames per segment`);
      for (const s of p.segments) {
        assert.ok(s.firstKey, `${s.file} starts with a keyframe`);
        assert.ok(Math.abs(s.duration - 2.002) < 0.0005, `${s.file} lasts ${s.duration}`);
        assert.equal(segmentNals(s.file).find((n) => n.type >= 1 && n.type <= 5).type, 5, 'IDR first');
      }
      assert.match(parseAvcC(v.init).codecString, /^avc1\.[0-9a-f]{6}$/);
    }
    const a = probeRendition(o.audio.init, o.audio.segs, 'a:0');
    assert.ok(Math.abs(a.totalDuration - 6.006) < 0.05, `audio lasts ${a.totalDuration}`);
  });

  it('player: plays both levels, hls.js sees the audio group, no errors', async () => {
    const r = await playHls(out, { expectLevels: LEVELS });
    assertPlayedEverything(assert, r, { expectLevels: LEVELS, expectAudio: true });
  });

  it('player: notices a corrupt segment and a wrong RESOLUTION', async () => {
    const bad = path.join(path.dirname(out), 'bad');
    fs.cpSync(out, bad, { recursive: true });
    // Garbage instead of the 360p level's second segment.
    fs.writeFileSync(path.join(bad, 'video', '360p', 'seg_00002.m4s'), Buffer.alloc(20000, 0x5a));
    const r = await playHls(bad, { expectLevels: LEVELS, levelTimeoutMs: 8_000 });
    assert.throws(() => assertPlayedEverything(assert, r, { expectLevels: LEVELS }),
      /hls\.js|level|video|playback/, `a corrupt segment went unnoticed:\n${describePlayback(r)}`);
    // The master claims 480x270 for the 640x360 level: expectLevels must fail.
    const master = fs.readFileSync(path.join(out, 'master.m3u8'), 'utf8').replace('RESOLUTION=640x360', 'RESOLUTION=480x270');
    fs.writeFileSync(path.join(bad, 'master.m3u8'), master);
    fs.copyFileSync(path.join(out, 'video', '360p', 'seg_00002.m4s'), path.join(bad, 'video', '360p', 'seg_00002.m4s'));
    const r2 = await playHls(bad, { expectLevels: LEVELS, levelTimeoutMs: 5_000 });
    assert.equal(r2.levelsMatchExpected, false, 'a wrong RESOLUTION went unnoticed');
    assert.ok(r2.perLevel.some((p) => !p.sawSize), `the player should never see 480x270:\n${describePlayback(r2)}`);
  });
});
