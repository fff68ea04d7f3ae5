// The hostile-input corpus (tests/hostile/make_corpus.mjs): every input ends
// as its case declares, within a time bound, without a signal, and a failure
// never leaves anything that looks complete. Valid outputs are checked with
// ffprobe (every rung decodes, durations add up), a few are played in
// hls.js. Prints the outcome table (input -> exit, time, rungs) at the end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCorpus } from '../hostile/make_corpus.mjs';
import { describeRun, encode, ladderBin, loadOutput, stderrLines } from './lib/ladder.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { concatFiles, decodeCheck } from './lib/probe.mjs';
import { makeTempDir, walkFiles } from './lib/util.mjs';

// One input's bound, ASan+UBSan build included (a normal run takes < 1 s).
const TIME_BOUND_MS = 60_000;
const work = makeTempDir('ladder-e2e-hostile-');
const corpus = makeCorpus(path.join(work, 'corpus'));
const table = [];

/** Files that would make an output look complete. */
function manifests(out) {
  if (!fs.existsSync(out)) return [];
  return walkFiles(out).filter((f) => /(^|\/)(master\.m3u8|index\.m3u8|iframes\.m3u8|manifest\.mpd)$/.test(f.rel))
    .map((f) => f.rel);
}

function checkValid(c, out, r) {
  const o = loadOutput(out);
  assert.ok(fs.existsSync(path.join(out, 'manifest.mpd')), 'manifest.mpd');
  assert.ok(o.variants.length >= 1, 'at least one rung');
  const srcDuration = o.report.source_duration;
  assert.ok(srcDuration > 0, `source_duration ${srcDuration}`);
  for (const v of o.variants) {
    const cat = concatFiles([v.init, ...v.segs], `${c.name}-${v.name}.mp4`);
    const d = decodeCheck(cat.path);
    assert.equal(d.status, 0, `${v.uri}: ffprobe failed: ${d.errors}`);
    assert.equal(d.errors, '', `${v.uri}: decode errors: ${d.errors}`);
    const rep = o.report.rungs.find((x) => x.name === v.name);
    assert.equal(d.frames, rep.frames, `${v.uri}: decoded ${d.frames} frames, report says ${rep.frames}`);
    assert.equal(d.width, rep.width, `${v.uri}: width`);
    assert.equal(d.height, rep.height, `${v.uri}: height`);
    const total = v.playlist.segments.reduce((a, s) => a + s.duration, 0);
    assert.ok(v.playlist.segments.every((s) => s.duration > 0 && s.duration <= v.playlist.targetDuration + 0.5),
      `${v.uri}: a segment duration is 0 or above the target`);
    assert.ok(Math.abs(total - srcDuration) < 0.1 + srcDuration * 0.02,
      `${v.uri}: playlist lasts ${total} s, source ${srcDuration} s`);
  }
  const top = o.report.rungs[0];
  if (c.check === 'portrait') assert.ok(top.height > top.width, `rotated source must be portrait: ${top.width}x${top.height}`);
  if (c.check === 'landscape') assert.ok(top.width > top.height, `landscape: ${top.width}x${top.height}`);
  if (c.check === 'short') assert.ok(srcDuration < 3, `${srcDuration} s encoded from a 2 s file`);
  if (c.check === 'audio8') assert.equal(o.audios.length, 8, 'eight audio renditions');
  if (c.check === 'av2s') {
    // Two 1 s pieces: 2 s of video and of audio, whatever the jump between.
    assert.ok(Math.abs(srcDuration - 2) < 0.1, `video lasts ${srcDuration} s`);
    for (const a of o.report.audio) assert.ok(Math.abs(a.duration - 2) < 0.15, `audio ${a.dir} lasts ${a.duration} s`);
  }
  return o;
}

function checkFailure(c, out, r) {
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `expected one stderr line\n${describeRun(r)}`);
  assert.ok(lines[0].includes(c.name), `the error line should name the input: "${lines[0]}"`);
  assert.deepEqual(manifests(out), [], 'a failed run left playlists or an MPD behind');
}

describe('hostile inputs', () => {
  before(() => { ladderBin(); });
  after(() => {
    const w = Math.max(...table.map((t) => t.name.length));
    const lines = table.map((t) => `${t.name.padEnd(w)}  expect ${String(t.expect).padEnd(5)}  ` +
      `exit ${String(t.code).padStart(3)}  ${(t.ms / 1000).toFixed(2).padStart(6)} s  ${t.rungs}`);
    console.log(`\nhostile corpus: ${table.length} inputs\n${lines.join('\n')}`);
  });

  it('has at least 40 inputs', () => assert.ok(corpus.length >= 40, `${corpus.length} inputs`));

  for (const c of corpus) {
    it(`${c.name} -> ${c.expect === 'valid' ? 'valid ladder' : `exit ${c.expect}`}`, async () => {
      const out = path.join(work, 'out', c.name);
      const r = await encode(c.file, out, [...c.args, '--preset', 'ultrafast', '--progress', 'none', '-q'],
        { timeoutMs: TIME_BOUND_MS });
      const row = { name: c.name, expect: c.expect, code: r.signal || r.code, ms: r.wallMs, rungs: '-' };
      table.push(row);
      assert.equal(r.signal, null, `killed by ${r.signal}\n${describeRun(r)}`);
      if (c.expect === 'valid') {
        assert.equal(r.code, 0, describeRun(r));
        const o = checkValid(c, out, r);
        row.rungs = o.report.rungs.map((x) => `${x.width}x${x.height}/${x.frames}f`).join(' ') +
          (o.audios.length ? ` +${o.audios.length}a` : '');
        if (c.play) {
          const p = await playHls(out);
          assertPlayedEverything(assert, p, { expectAudio: o.audios.length > 0 });
        }
      } else {
        assert.equal(r.code, c.expect, describeRun(r));
        checkFailure(c, out, r);
      }
    });
  }
});
