// The audio rendition's labels come from the source's tags: EXT-X-MEDIA
// LANGUAGE (RFC 5646: the two-letter code where ISO 639-1 has one, so
// "fre" becomes "fr") and NAME (the stream title, quotes made safe for a
// quoted-string; else the language; else "audio"), DEFAULT=YES, and the
// same language as the MPD's audio AdaptationSet@lang.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, parseAttributes } from './lib/ladder.mjs';
import { mediaScratchDir, runFfmpeg } from './lib/media.mjs';
import { makeTempDir } from './lib/util.mjs';

const CASES = [
  { name: 'titled French (Matroska)', ext: 'mkv', tags: ['language=fre', 'title=Français "VO"'],
    language: 'fr', label: "Français 'VO'" },
  { name: 'English without a title (MP4)', ext: 'mp4', tags: ['language=eng'], language: 'en', label: 'en' },
  { name: 'undetermined', ext: 'mp4', tags: ['language=und'], language: null, label: 'audio' },
];

function makeSource(c, i) {
  const out = path.join(mediaScratchDir(), `labels-${i}.${c.ext}`);
  const meta = c.tags.flatMap((t) => ['-metadata:s:a:0', t]);
  runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=30:duration=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', ...meta, out], c.name);
  return out;
}

describe('audio rendition labels from the source tags', () => {
  const results = [];
  before(async () => {
    ladderBin();
    const work = makeTempDir('ladder-e2e-labels-');
    for (const [i, c] of CASES.entries()) {
      const src = makeSource(c, i);
      const outDir = path.join(work, `out${i}`);
      const run = await encode(src, outDir, ['--rung', '320x180:300k', '--progress', 'none']);
      results.push({ c, run, outDir });
    }
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.name}: LANGUAGE ${c.language ?? '(none)'}, NAME "${c.label}", DASH lang`, () => {
      const { run, outDir } = results[i];
      assert.equal(run.code, 0, describeRun(run));
      const master = fs.readFileSync(path.join(outDir, 'master.m3u8'), 'utf8');
      const line = master.split('\n').find((l) => l.startsWith('#EXT-X-MEDIA:'));
      assert.ok(line, `no EXT-X-MEDIA in\n${master}`);
      const a = parseAttributes(line.slice('#EXT-X-MEDIA:'.length));
      assert.equal(a.TYPE, 'AUDIO');
      assert.equal(a.NAME, c.label);
      assert.equal(a.LANGUAGE, c.language ?? undefined);
      assert.equal(a.DEFAULT, 'YES');
      const mpd = fs.readFileSync(path.join(outDir, 'manifest.mpd'), 'utf8');
      const set = /<AdaptationSet[^>]*contentType="audio"[^>]*>/.exec(mpd);
      assert.ok(set, 'no audio AdaptationSet');
      const lang = /\blang="([^"]*)"/.exec(set[0]);
      assert.equal(lang ? lang[1] : null, c.language);
    });
  }
});
