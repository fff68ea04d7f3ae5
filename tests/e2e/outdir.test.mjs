// Output directories (README "Output directories"): a re-run into ladder's
// own output leaves exactly the files a fresh run makes, and replaces the
// earlier output only once it is complete (a failed or stopped re-run leaves
// it as it was, still decodable; --resume continues the stopped re-run); a
// non-empty directory ladder did not make is refused (exit 17) and left
// untouched unless --force; `ladder job` outputs follow the same rules.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, stderrLines } from './lib/ladder.mjs';
import { startLadder } from './lib/live.mjs';
import { makeMedia } from './lib/media.mjs';
import { decodeCheck } from './lib/probe.mjs';
import { makeTempDir, runProcess, walkFiles, withSharedLock } from './lib/util.mjs';

const EXIT = { ok: 0, inputInvalid: 4, stopped: 14, notOurs: 17, owned: 16 };
const SEG = ['--segment', '1', '--progress', 'none'];
// The longer, earlier output: two rungs, audio, every format.
const LONG_ARGS = ['--rung', '256x144:crf30', '--rung', '320x180:crf28', '--format', 'hls,dash,mp4', ...SEG];
// The shorter re-run: one rung, HLS only.
const SHORT_ARGS = ['--rung', '256x144:crf30', '--format', 'hls', ...SEG];

const work = makeTempDir('ladder-e2e-outdir-');
let seq = 0;
const newDir = (name) => path.join(work, `${name}-${++seq}`);

/** Every entry under dir, hidden ones included, as sorted relative paths (directories end in /). */
function listing(dir) {
  return walkFiles(dir).map((f) => (f.dir ? `${f.rel}/` : f.rel)).sort();
}

/** relative path -> sha256 (directories: "dir"), for "left untouched". */
function treeHash(dir) {
  const out = {};
  for (const f of walkFiles(dir)) {
    out[f.rel] = f.dir ? 'dir' : crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f.rel))).digest('hex');
  }
  return out;
}

function withoutStaging(tree) {
  return Object.fromEntries(Object.entries(tree).filter(([rel]) => !rel.startsWith('.ladder-next')));
}

function okRun(r) {
  assert.equal(r.code, EXIT.ok, describeRun(r));
}

/** The first rung the master playlist names decodes whole: frames, not errors. */
function assertFirstRungDecodes(out, frames) {
  const master = fs.readFileSync(path.join(out, 'master.m3u8'), 'utf8');
  const uri = master.split('\n').find((l) => l && !l.startsWith('#'));
  assert.ok(uri, `no variant in ${out}/master.m3u8`);
  const d = decodeCheck(path.join(out, uri));
  assert.equal(d.errors, '', `decoding ${uri}: ${d.errors}`);
  assert.equal(d.frames, frames, `${uri}: ${d.frames} frames decoded`);
}

function assertOneLineRefusal(r, dir) {
  assert.equal(r.code, EXIT.notOurs, describeRun(r));
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.ok(lines[0].includes(`'${dir}'`), `the line names the directory: ${lines[0]}`);
  assert.match(lines[0], /not empty and was not made by ladder.*--force/);
}

describe('ladder encode: output directories', () => {
  let long;
  let short;
  let fresh;            // listing of a fresh run of SHORT_ARGS
  before(async () => {
    ladderBin();
    long = await makeMedia({ name: 'long', duration: 8, audio: true });
    short = await makeMedia({ name: 'short', duration: 3, audio: false });
    const out = newDir('fresh');
    okRun(await encode(short.path, out, SHORT_ARGS));
    fresh = listing(out);
    assert.ok(fresh.includes('.ladder-resume') && fresh.includes('master.m3u8'), fresh.join(' '));
  });

  it('a re-run into a longer earlier output leaves exactly the files a fresh run makes', async () => {
    const out = newDir('rerun');
    okRun(await encode(long.path, out, LONG_ARGS));
    const earlier = listing(out);
    for (const f of ['video/180p/seg_00008.m4s', 'manifest.mpd', 'mp4/144p.mp4', 'audio/']) {
      assert.ok(earlier.some((e) => e.startsWith(f)), `the earlier run made ${f}`);
    }
    okRun(await encode(short.path, out, SHORT_ARGS));
    assert.deepEqual(listing(out), fresh, 'the re-run left files of the earlier one (or lacks its own)');
    assertFirstRungDecodes(out, short.frames);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.rungs.length, 1);
    assert.ok(Math.abs(report.source_duration - 3) < 0.1, `report of the re-run: ${report.source_duration} s`);
  });

  it('an output of --format mp4 alone is still ladder\'s: a re-run replaces it', async () => {
    const out = newDir('mp4only');
    okRun(await encode(short.path, out, ['--rung', '256x144:crf30', '--format', 'mp4', ...SEG]));
    assert.ok(fs.existsSync(path.join(out, 'mp4', '144p.mp4')));
    okRun(await encode(short.path, out, SHORT_ARGS));
    assert.deepEqual(listing(out), fresh);
  });

  it('a non-empty directory ladder did not make is refused (exit 17) and left untouched', async () => {
    const out = newDir('theirs');
    fs.mkdirSync(path.join(out, 'video', '144p'), { recursive: true });
    fs.writeFileSync(path.join(out, 'notes.txt'), 'not ladder\'s');
    fs.writeFileSync(path.join(out, 'video', '144p', 'seg_00001.m4s'), 'their bytes');
    const before = treeHash(out);
    assertOneLineRefusal(await encode(short.path, out, SHORT_ARGS), out);
    assert.deepEqual(treeHash(out), before, 'a refused run changed the directory');
    // --resume without a journal there is a fresh run: refused the same way.
    assertOneLineRefusal(await encode(short.path, out, [...SHORT_ARGS, '--resume']), out);
    assert.deepEqual(treeHash(out), before, 'a refused --resume changed the directory');
    // A stray file named like the journal does not make it ladder's.
    fs.writeFileSync(path.join(out, '.ladder-resume'), 'not a journal\n');
    const withStray = treeHash(out);
    assertOneLineRefusal(await encode(short.path, out, SHORT_ARGS), out);
    assert.deepEqual(treeHash(out), withStray);
  });

  it('--force (-y) writes into it: ladder\'s names replaced, the other files left alone', async () => {
    const out = newDir('forced');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'keep me');
    fs.writeFileSync(path.join(out, 'master.m3u8'), 'their playlist');
    okRun(await encode(short.path, out, [...SHORT_ARGS, '--force']));
    assert.deepEqual(listing(out), [...fresh, 'notes.txt'].sort());
    assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'keep me');
    assertFirstRungDecodes(out, short.frames);
    // Now it holds ladder's output: a re-run needs no --force, and still
    // leaves the other file alone.
    okRun(await encode(long.path, out, ['-y', ...LONG_ARGS]));
    okRun(await encode(short.path, out, SHORT_ARGS));
    assert.deepEqual(listing(out), [...fresh, 'notes.txt'].sort());
  });

  it('a re-run of input that is not media fails (exit 4) and leaves the earlier output as it was', async () => {
    const out = newDir('bad-rerun');
    okRun(await encode(long.path, out, LONG_ARGS));
    const before = treeHash(out);
    const junk = path.join(work, 'junk.mp4');
    fs.writeFileSync(junk, 'this is not media\n'.repeat(100));
    const r = await encode(junk, out, SHORT_ARGS);
    assert.equal(r.code, EXIT.inputInvalid, describeRun(r));
    assert.deepEqual(treeHash(out), before);
    assertFirstRungDecodes(out, long.frames);
  });

  describe('a re-run stopped early (SIGINT, exit 14)', () => {
    let bigger;
    const BIG_ARGS = ['--rung', '256x144:crf30', '--rung', '640x360:crf28', '--segment', '1', '--devices', 'cpu:1'];
    before(async () => {
      bigger = await makeMedia({ name: 'bigger', duration: 40, width: 640, height: 360, audio: true });
    });

    /** Re-run bigger into out and stop it once it has written a few segments. */
    async function stoppedRerun(out) {
      const run = await withSharedLock(async () => {
        const live = startLadder(['encode', bigger.path, '-o', out, ...BIG_ARGS, '--progress', 'json']);
        await live.waitFor((e) => e.type === 'progress' && e.segments >= 2);
        live.child.kill('SIGINT');
        return live.done;
      });
      assert.equal(run.code, EXIT.stopped, describeRun(run));
      assert.match(stderrLines(run.stderr).at(-1),
        new RegExp(`^ladder: output '${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}': stopped at a chunk boundary`));
    }

    it('leaves the earlier output intact and decodable; --resume then completes the re-run', async () => {
      const out = newDir('stopped');
      okRun(await encode(short.path, out, SHORT_ARGS));
      const before = treeHash(out);
      await stoppedRerun(out);
      assert.deepEqual(withoutStaging(treeHash(out)), before, 'the stopped re-run changed the earlier output');
      assertFirstRungDecodes(out, short.frames);
      assert.ok(fs.existsSync(path.join(out, '.ladder-next', '.ladder-resume')), 'the stopped re-run keeps its journal');

      const r = await encode(bigger.path, out, [...BIG_ARGS, '--progress', 'none', '--resume']);
      okRun(r);
      const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
      assert.equal(report.resume.resumed, true);
      assert.ok(report.resume.segments_kept >= 2, `kept ${report.resume.segments_kept}`);
      const reference = newDir('stopped-reference');
      okRun(await encode(bigger.path, reference, [...BIG_ARGS, '--progress', 'none']));
      assert.deepEqual(listing(out), listing(reference), 'the resumed re-run is not what a fresh run makes');
      assertFirstRungDecodes(out, bigger.frames);
    });

    it('a plain run after the stopped one replaces everything, the stopped work included', async () => {
      const out = newDir('stopped-then-plain');
      okRun(await encode(short.path, out, SHORT_ARGS));
      await stoppedRerun(out);
      okRun(await encode(short.path, out, SHORT_ARGS));
      assert.deepEqual(listing(out), fresh);
    });
  });
});

describe('ladder job (type ladder): output directories', () => {
  let long;
  let short;
  const job = async (spec) => {
    const r = await withSharedLock(() => runProcess(ladderBin(), ['job', '-'], { input: JSON.stringify(spec) }));
    const last = r.stdout.trim().split('\n').filter(Boolean).at(-1);
    return { ...r, argv: ['job', JSON.stringify(spec)], result: last ? JSON.parse(last) : null };
  };
  const spec = (input, root, output) => ({ type: 'ladder', id: 'abr', input, output_root: root, output, format: 'hls',
    rungs: [{ height: 144, crf: 30 }], segment_seconds: 1, preset: 'ultrafast' });
  before(async () => {
    ladderBin();
    long = await makeMedia({ name: 'long', duration: 8, audio: true });
    short = await makeMedia({ name: 'short', duration: 3, audio: false });
  });

  it('a non-empty directory it did not make is refused (exit 16) and left untouched', async () => {
    const root = newDir('job-root');
    fs.mkdirSync(path.join(root, 'abr'), { recursive: true });
    fs.writeFileSync(path.join(root, 'abr', 'master.m3u8'), 'theirs');
    const before = treeHash(root);
    const r = await job(spec(short.path, root, 'abr'));
    assert.equal(r.code, EXIT.owned, describeRun(r));
    assert.deepEqual(treeHash(root), before);
  });

  it('a re-run with a shorter input leaves exactly the files a fresh job makes', async () => {
    const root = newDir('job-root');
    fs.mkdirSync(root);
    let r = await job(spec(long.path, root, 'abr'));
    okRun(r);
    assert.ok(fs.existsSync(path.join(root, 'abr', 'video', '144p', 'seg_00008.m4s')));
    r = await job(spec(short.path, root, 'abr'));
    okRun(r);
    r = await job(spec(short.path, root, 'fresh'));
    okRun(r);
    assert.deepEqual(listing(path.join(root, 'abr')), listing(path.join(root, 'fresh')));
    assert.deepEqual(fs.readdirSync(root).sort(), ['abr', 'fresh'], 'temporary directories left in output_root');
    assertFirstRungDecodes(path.join(root, 'abr'), short.frames);
  });
});
