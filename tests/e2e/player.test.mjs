// The output plays in a real player: hls.js in headless Chromium starts
// playback, lists every rung with its resolution, plays each rung when it is
// forced, and never reports an error.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { assertPlayedEverything, describePlayback, playHls } from './lib/player.mjs';
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
