// The output plays in real players: hls.js in headless Chromium starts
// playback, lists every rung with its resolution, plays each rung when it is
// forced, and never reports an error. And both hls.js and shaka-player play
// it from the start to the end while switching rungs during playback at
// segment boundaries, staying on each for several segments, as a viewer's
// ABR does: no stall, no decode error, no hole in the buffered ranges, no
// jump of currentTime, the picture at each rung's declared size from the
// segment where it starts -- also when the rungs have different frame-rate
// caps.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import {
  assertPlayedEverything, assertSwitchedPlayback, describePlayback, playHls, playHlsSwitching, playShakaSwitching,
} from './lib/player.mjs';
import { makeTempDir } from './lib/util.mjs';

const LEVELS = [
  { width: 640, height: 360 },
  { width: 480, height: 270 },
  { width: 320, height: 180 },
];

describe('hls.js playback of a 3-rung ladder', () => {
  let run;
  let out;
  let playback;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30000/1001', { width: 640, height: 360, duration: 6 });
    out = path.join(makeTempDir('ladder-e2e-player-'), 'out');
    run = await encode(src.path, out, [
      '--rung', '640x360:900k', '--rung', '480x270:500k', '--rung', '320x180:250k',
      '--preset', 'ultrafast', '--progress', 'none',
    ]);
    if (run.code === 0) playback = await playHls(out, { expectLevels: LEVELS });
  });

  it('encodes', () => {
    assert.equal(run.code, 0, `ladder encode failed\n${describeRun(run)}`);
  });

  it('starts playing, lists the three levels, plays each forced level, without errors', () => {
    assert.equal(run.code, 0, 'encode failed (see above)');
    assertPlayedEverything(assert, playback, { expectLevels: LEVELS, expectAudio: true });
  });

  it('loads the audio rendition from the EXT-X-MEDIA group', () => {
    assert.equal(run.code, 0, 'encode failed (see above)');
    assert.ok(playback.audioTracks && playback.audioTracks.length === 1,
      `expected one audio track, got ${JSON.stringify(playback.audioTracks)}\n${describePlayback(playback)}`);
    assert.ok(playback.audioFragsLoaded > 0, 'no audio fragment loaded');
  });
});

// ------------------------------------------------------------ switching rungs during playback

// 18.018 s at 29.97 fps: nine 2.002 s segments, three per rung with
// every: 3. Played at 2x: about 12 s of wall time per playback.
const SWITCH_SECONDS = 18;
const SWITCH_SEGMENTS = 9;

/**
 * One output, encoded in before(); each it() plays it with one player and
 * switching mode (plays: [{title, play(out), expect}]).
 */
function switchingCase(title, rungs, plays, extraChecks = () => {}) {
  describe(title, () => {
    let run;
    let out;
    before(async () => {
      ladderBin();
      const src = await cfrClip('30000/1001', { width: 640, height: 360, duration: SWITCH_SECONDS });
      out = path.join(makeTempDir('ladder-e2e-player-switch-'), 'out');
      run = await encode(src.path, out, [...rungs.flatMap((r) => ['--rung', r]), '--preset', 'ultrafast', '--progress', 'none']);
    });
    const ok = () => assert.equal(run.code, 0, `ladder encode failed\n${describeRun(run)}`);

    it(`encodes ${SWITCH_SEGMENTS} segments per rung`, () => {
      ok();
      const o = loadOutput(out);
      assert.equal(o.variants.length, 3);
      for (const v of o.variants) assert.equal(v.segs.length, SWITCH_SEGMENTS, `${v.name}: segments`);
      assert.ok(o.audio, 'an audio rendition');
      extraChecks(o);
    });

    for (const p of plays) {
      it(p.title, async () => {
        ok();
        const r = await p.play(out);
        assertSwitchedPlayback(assert, r, p.expect);
      });
    }
  });
}

// hls.js sorts levels by bitrate: 0 = 180p, 1 = 270p, 2 = 360p; order
// [0, 2, 1] switches up two rungs, then down one. Shaka's levels are the
// same (variants by bandwidth); it starts where it picks (270p here), then
// follows the cycle 0, 1, 2: up one rung, then down two.
const PLAYS = [
  {
    title: 'hls.js, ABR switches every 3 segments, 180p -> 360p -> 270p: plays to the end cleanly',
    play: (out) => playHlsSwitching(out, { every: 3, order: [0, 2, 1] }),
    expect: { minLevels: 3, minSegmentsPerLevel: 3 },
  },
  {
    title: 'shaka-player, selectVariantTrack(clearBuffer false) every 3 segments: plays to the end cleanly',
    play: (out) => playShakaSwitching(out, { every: 3 }),
    expect: { minLevels: 3, minSegmentsPerLevel: 3 },
  },
];

switchingCase('switching rungs during playback: 3 rungs, 18 s, 2 s segments, audio', [
  '640x360:900k', '480x270:500k', '320x180:250k',
], [
  ...PLAYS,
  {
    // hls.nextLevel: drops the buffer ahead of the fragment playing and
    // refills from the new level, appending over the dropped range (the
    // new level starts 1-2 fragments after the ask). Starting on 360p, so
    // that over the three runs every segment of every rung plays.
    title: 'hls.js, smooth switch (nextLevel) every 2 segments, 360p -> 180p -> 270p -> 360p: plays to the end cleanly',
    play: (out) => playHlsSwitching(out, { every: 2, order: [2, 0, 1], switchWith: 'nextLevel' }),
    expect: { minLevels: 3, minSegmentsPerLevel: 2 },
  },
]);

switchingCase('switching rungs during playback: frame-rate caps differ (29.97 fps rungs and a fps=15 180p)', [
  '640x360:900k', '480x270:500k', '320x180:250k:fps=15',
], PLAYS, (o) => {
  const rate = (name) => Number(o.variants.find((v) => v.name === name).attrs['FRAME-RATE']);
  assert.equal(rate('180p'), 15, '180p FRAME-RATE');
  assert.ok(Math.abs(rate('360p') - 29.97) < 0.01, '360p FRAME-RATE');
});
