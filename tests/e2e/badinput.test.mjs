// Bad inputs and bad invocations: each must exit with its documented code,
// print exactly one line on stderr naming the input (or the offending
// argument), and leave no master.m3u8 behind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, runLadder, stderrLines } from './lib/ladder.mjs';
import { audioOnlyClip, cfrClip, realH264, truncatedCopy } from './lib/media.mjs';
import { countVideoFrames, probeRendition } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-bad-');
const EXIT = {
  ok: 0, internal: 1, usage: 2, inputMissing: 3, inputInvalid: 4, noVideo: 5, badLadder: 6,
  outputUnwritable: 7, encoder: 8, diskFull: 9, unsupported: 10,
};

let seq = 0;
const outDir = () => path.join(work, `out-${++seq}`);
const RUNG = ['--rung', '320x180:200k', '--preset', 'ultrafast', '--progress', 'none'];

/**
 * Assert a failed run: exit code, exactly one stderr line that mentions
 * `mention` (the input path or its basename, or the bad argument), and no
 * master.m3u8 in `out`.
 */
function assertFailure(r, { code, mention, out }) {
  const info = describeRun(r);
  assert.equal(r.signal, null, `ladder was killed by ${r.signal}\n${info}`);
  assert.equal(r.code, code, `expected exit ${code}\n${info}`);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `expected exactly one line on stderr, got ${lines.length}\n${info}`);
  if (mention) {
    const alts = Array.isArray(mention) ? mention : [mention];
    assert.ok(alts.some((m) => lines[0].includes(m)), `the error line should name ${JSON.stringify(alts)}: "${lines[0]}"`);
  }
  if (out) {
    assert.ok(!fs.existsSync(path.join(out, 'master.m3u8')), `master.m3u8 exists after a failure (exit ${r.code}) in ${out}`);
  }
}

const names = (p) => [p, path.basename(p)];

describe('bad input files', () => {
  before(() => { ladderBin(); });

  it('missing input file -> exit 3', async () => {
    const input = path.join(work, 'does-not-exist.mp4');
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.inputMissing, mention: names(input), out });
  });

  it('zero-length input file -> exit 4', async () => {
    const input = path.join(work, 'empty.mp4');
    fs.writeFileSync(input, '');
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.inputInvalid, mention: names(input), out });
  });

  // Note: FFmpeg's "tty" demuxer happily opens *.txt files (ANSI art as
  // video), so libavformat alone will not reject this one: the ladder has
  // to treat it as invalid input itself.
  it('text file -> exit 4', async () => {
    const input = path.join(work, 'notes.txt');
    fs.writeFileSync(input, 'This is not a video.\nJust some text, several lines of it.\n'.repeat(50));
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.inputInvalid, mention: names(input), out });
  });

  it('text file named .mp4 -> exit 4', async () => {
    const input = path.join(work, 'fake.mp4');
    fs.writeFileSync(input, 'hello, I am not an mp4\n'.repeat(100));
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.inputInvalid, mention: names(input), out });
  });

  // Truncation, part 1: an mp4 whose index (moov) is at the end.  Its first
  // 30% holds only mdat bytes and no index, so nothing in it is decodable:
  // that must be exit 4 on any correct implementation.
  it('truncated mp4 without its index (moov at the end, first 30%) -> exit 4', async () => {
    const src = await realH264({ duration: 3, faststart: false });
    const input = truncatedCopy(src.path, 0.3, 'truncated-moov-at-end.mp4');
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.inputInvalid, mention: names(input), out });
  });

  // Truncation, part 2: a faststart mp4 (moov first) cut to 30%.  The index
  // is intact and promises frames whose bytes are missing.  Whether that is
  // "truncated input" (exit 4) or a shorter clip (exit 0) is a policy
  // choice the contract leaves open ("expect 4, or success with consistent
  // output"), so both are accepted — but a success must be a complete,
  // self-consistent output, and a failure must be a clean exit 4.
  it('truncated faststart mp4 (first 30%) -> exit 4, or exit 0 with a consistent output', async () => {
    const src = await realH264({ duration: 3, faststart: true });
    const input = truncatedCopy(src.path, 0.3, 'truncated-faststart.mp4');
    const out = outDir();
    const r = await encode(input, out, ['--rung', '320x180:200k', '--rung', '160x90:100k',
      '--preset', 'ultrafast', '--progress', 'none']);
    if (r.code !== EXIT.ok) {
      assertFailure(r, { code: EXIT.inputInvalid, mention: names(input), out });
      return;
    }
    const o = loadOutput(out);
    assert.equal(o.variants.length, 2, 'two variants');
    const counts = o.variants.map((v) => {
      const p = probeRendition(v.init, v.segs, 'v:0');
      assert.ok(p.segments.every((s) => s.frames > 0 && s.firstKey), `${v.uri}: empty segment or no keyframe start`);
      return p.segments.reduce((n, s) => n + s.frames, 0);
    });
    assert.equal(counts[0], counts[1], `rungs disagree on frame count: ${counts}`);
    assert.ok(counts[0] > 0 && counts[0] <= countVideoFrames(src.path), `frames ${counts[0]}`);
    assert.equal(o.report.rungs[0].frames, counts[0], 'report frames');
  });

  it('audio-only file -> exit 5', async () => {
    const { path: input } = await audioOnlyClip();
    const out = outDir();
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.noVideo, mention: names(input), out });
  });
});

describe('bad ladder configuration -> exit 6', () => {
  let input;
  before(async () => {
    ladderBin();
    input = (await cfrClip('25', { width: 320, height: 180, duration: 2, audio: false })).path;
  });

  for (const spec of ['320x180', 'axb:300k', '320x180:fast', '320x180:300k:bogus=1', '0x0:300k', '320x180:crf99x']) {
    it(`--rung ${spec}`, async () => {
      const out = outDir();
      const r = await encode(input, out, ['--rung', spec, '--progress', 'none']);
      assertFailure(r, { code: EXIT.badLadder, mention: spec, out });
    });
  }

  it('--ladder with malformed JSON', async () => {
    const file = path.join(work, 'broken-ladder.json');
    fs.writeFileSync(file, '{ "rungs": [ { "width": 640, "height": 360, "bitrate": "800k" }, ');
    const out = outDir();
    const r = await encode(input, out, ['--ladder', file, '--progress', 'none']);
    assertFailure(r, { code: EXIT.badLadder, mention: names(file), out });
  });
});

describe('output and usage errors', () => {
  let input;
  before(async () => {
    ladderBin();
    input = (await cfrClip('25', { width: 320, height: 180, duration: 2, audio: false })).path;
  });

  it('output directory below a regular file -> exit 7', async () => {
    // A path under a regular file cannot be created even by root
    // (ENOTDIR), unlike a chmod'ed directory.
    const file = path.join(work, 'regular-file');
    fs.writeFileSync(file, 'x');
    const out = path.join(file, 'out');
    const r = await encode(input, out, RUNG);
    assertFailure(r, { code: EXIT.outputUnwritable, mention: [out, file] });
    assert.ok(!fs.existsSync(path.join(out, 'master.m3u8')), 'no master.m3u8');
  });

  it('unknown flag -> exit 2', async () => {
    const out = outDir();
    const r = await runLadder(['encode', input, '-o', out, '--definitely-not-a-flag']);
    assertFailure(r, { code: EXIT.usage, mention: '--definitely-not-a-flag', out });
  });

  it('missing -o -> exit 2', async () => {
    const r = await runLadder(['encode', input]);
    const info = describeRun(r);
    assert.equal(r.code, EXIT.usage, `expected exit 2\n${info}`);
    assert.equal(stderrLines(r.stderr).length, 1, `expected exactly one line on stderr\n${info}`);
  });

  it('unknown command -> exit 2', async () => {
    const r = await runLadder(['transmogrify', input]);
    const info = describeRun(r);
    assert.equal(r.code, EXIT.usage, `expected exit 2\n${info}`);
    assert.equal(stderrLines(r.stderr).length, 1, `expected exactly one line on stderr\n${info}`);
  });
});
