// Stop and resume. SIGINT/SIGTERM stop `ladder encode` at a chunk boundary
// (exit 14: every segment written so far kept and journaled, no playlist
// presented as complete); kill -9 stops it anywhere. Either way `--resume`
// finishes the job without encoding the kept segments again, and the output
// is the uninterrupted run's, byte for byte (CRF rungs at widths that are
// multiples of 128, or any rungs with --deterministic: docs/ARCHITECTURE.md
// "Determinism"), and plays.
//
// Stop points are random (seeded: LADDER_RESUME_SEED to repeat a run; the
// seed is printed) across the reference run's wall time.
// LADDER_RESUME_TRIALS=N runs N kill -9 trials instead of 5 (the soak).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, stderrLines } from './lib/ladder.mjs';
import { startLadder } from './lib/live.mjs';
import { makeMedia } from './lib/media.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { makeTempDir, seededRandom, walkFiles } from './lib/util.mjs';

const RUNGS = ['--rung', '256x144:crf30', '--rung', '640x360:crf28', '--segment', '1'];
const LADDER = [...RUNGS, '--progress', 'none'];
const KILL_TRIALS = Number(process.env.LADDER_RESUME_TRIALS || 5);
const SEED = Number(process.env.LADDER_RESUME_SEED || Date.now() % 1_000_000);

const random = seededRandom(SEED);

/** Every file under dir (relative path -> sha256), hidden files and the report left out. */
function hashTree(dir) {
  const out = {};
  for (const f of walkFiles(dir)) {
    if (!f.dir && !f.name.startsWith('.') && f.name !== 'report.json') {
      out[f.rel] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f.rel))).digest('hex');
    }
  }
  return out;
}

function hiddenLeftovers(dir) {
  return walkFiles(dir).filter((f) => !f.dir && f.name.startsWith('.') && f.name !== '.ladder-resume')
    .map((f) => f.rel);
}

function segmentFiles(dir) {
  const video = path.join(dir, 'video');
  if (!fs.existsSync(video)) return 0;
  return fs.readdirSync(video).reduce(
    (n, rung) => n + fs.readdirSync(path.join(video, rung)).filter((f) => /^seg_\d+\.m4s$/.test(f)).length, 0);
}

/** Start an encode, send signals at the given times (ms), resolve how it ended. */
function interrupted(input, out, signals) {
  const argv = ['encode', input, '-o', out, ...LADDER];
  const child = spawn(ladderBin(), argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const t0 = Date.now();
  const timers = signals.map(([ms, sig]) => setTimeout(() => child.kill(sig), ms));
  return new Promise((resolve) => child.on('close', (code, signal) => {
    timers.forEach(clearTimeout);
    resolve({ code, signal, stderr, argv: [ladderBin(), ...argv], wallMs: Date.now() - t0 });
  }));
}

function report(out) {
  return JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
}

describe('stop and resume', () => {
  let src;
  let work;
  let reference;        // relative path -> sha256 of the uninterrupted run
  let referenceMs;
  let totalSegments;

  before(async () => {
    ladderBin();
    // Host slots of its own: under ctest every e2e encode shares the
    // build's slot directory, and a signal timed against the reference
    // run must find the run running, not queued behind another test's
    // encode (a signal then ends the wait: exit 14 with nothing written,
    // tests/e2e/slots.test.mjs). Every ladder this file starts inherits it.
    process.env.LADDER_STATE_DIR = makeTempDir('ladder-e2e-resume-slots-');
    // FLAC in Matroska: the audio is encoded (AAC), not copied, so its
    // encoder's whole-track state is part of what must come out the same.
    src = await makeMedia({ name: 'resume', width: 640, height: 360, rate: '30', duration: 16,
      container: 'mkv', acodec: 'flac' });
    work = makeTempDir('ladder-e2e-resume-');
    const out = path.join(work, 'reference');
    const r = await encode(src.path, out, LADDER);
    assert.equal(r.code, 0, describeRun(r));
    reference = hashTree(out);
    referenceMs = r.wallMs;
    totalSegments = report(out).rungs.reduce((n, x) => n + x.segments, 0);
    assert.equal(totalSegments, 32);
    console.log(`resume: seed ${SEED} (LADDER_RESUME_SEED), reference run ${referenceMs} ms`);
  });

  /** --resume into out; the result must be the reference, with kept segments not encoded again. */
  async function resumeAndCompare(out, what) {
    const before = segmentFiles(out);
    const hadJournal = fs.existsSync(path.join(out, '.ladder-resume'));
    const r = await encode(src.path, out, [...LADDER, '--resume']);
    assert.equal(r.code, 0, `${what}: resume\n${describeRun(r)}`);
    const rep = report(out);
    assert.equal(rep.resume.resumed, hadJournal, `${what}: resumed`);
    assert.ok(rep.resume.segments_kept <= before, `${what}: kept ${rep.resume.segments_kept} of ${before} files`);
    for (const rung of rep.rungs) {
      assert.equal(rung.chunks + rung.segments_kept, rung.segments,
        `${what}: ${rung.name}: ${rung.chunks} encoded + ${rung.segments_kept} kept != ${rung.segments} segments`);
    }
    assert.equal(rep.rungs.reduce((n, x) => n + x.segments_kept, 0), rep.resume.segments_kept);
    assert.deepEqual(hashTree(out), reference, `${what}: the resumed output differs from the uninterrupted run`);
    assert.deepEqual(hiddenLeftovers(out), [], `${what}: temporary files left behind`);
    return rep;
  }

  it('SIGINT stops at a chunk boundary (exit 14), --resume ends with the uninterrupted bytes', async () => {
    let stoppedWithSegments = 0;
    for (let trial = 0; trial < 3; trial++) {
      const out = path.join(work, `sigint-${trial}`);
      const at = Math.round(referenceMs * (0.15 + 0.6 * random()));
      const r = await interrupted(src.path, out, [[at, 'SIGINT']]);
      if (r.code === 0) continue;             // finished before the signal: nothing to resume
      assert.equal(r.code, 14, `stop at ${at} ms\n${describeRun(r)}`);
      const lines = stderrLines(r.stderr);
      assert.match(lines.at(-1), /^ladder: output '.*': stopped at a chunk boundary with (\d+) segments kept; run again with --resume to continue$/);
      const kept = Number(lines.at(-1).match(/with (\d+) segments/)[1]);
      assert.equal(segmentFiles(out), kept, 'every segment the stop reports is on disk, and no other');
      // Nothing presents the partial ladder as complete.
      for (const f of ['master.m3u8', 'manifest.mpd', 'report.json']) assert.ok(!fs.existsSync(path.join(out, f)), f);
      const journal = fs.readFileSync(path.join(out, '.ladder-resume'), 'utf8').trim().split('\n');
      assert.match(journal.at(-1), /"event":"stopped"/);
      stoppedWithSegments += kept > 0;
      const rep = await resumeAndCompare(out, `SIGINT at ${at} ms`);
      assert.equal(rep.resume.segments_kept, kept);
    }
    assert.ok(stoppedWithSegments > 0, 'no trial stopped mid-run with segments to keep');
  });

  it('a signal during set-up (on the first progress line, before the run) is a stop too: exit 14, then --resume', async () => {
    // The route line comes before the host slot and the session exist: the
    // watcher holds the stop and applies it when the session is made.
    const out = path.join(work, 'setup');
    const argv = ['encode', src.path, '-o', out, ...RUNGS, '--progress', 'json'];
    const run = startLadder(argv, process.env);
    await run.waitFor((e) => e.type === 'route');
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 14, describeRun(r));
    const lines = stderrLines(r.stderr);
    assert.match(lines.at(-1), /^ladder: output '.*': stopped at a chunk boundary with \d+ segments kept; run again with --resume to continue$/);
    assert.ok(!r.events.some((e) => e.type === 'report'), 'a stopped run reports no finished ladder');
    for (const f of ['master.m3u8', 'manifest.mpd', 'report.json']) assert.ok(!fs.existsSync(path.join(out, f)), f);
    await resumeAndCompare(out, 'SIGINT during set-up');
  });

  it('a second signal cancels at once (exit 130); the output still resumes', async () => {
    const out = path.join(work, 'twice');
    const at = Math.round(referenceMs * 0.4);
    // Two different signals at once: two of the same could merge into one
    // while pending, and a stop with no chunk in hand can end before a
    // later one arrives.
    const r = await interrupted(src.path, out, [[at, 'SIGTERM'], [at, 'SIGINT']]);
    if (r.code === 0) return;
    assert.equal(r.code, 130, describeRun(r));
    assert.equal(stderrLines(r.stderr).at(-1), 'ladder: cancelled');
    await resumeAndCompare(out, 'SIGTERM and SIGINT');
  });

  it(`kill -9 at random points (${KILL_TRIALS} trials), then --resume: the uninterrupted bytes`, async () => {
    const counts = [];
    for (let trial = 0; trial < KILL_TRIALS; trial++) {
      const out = path.join(work, `kill-${trial}`);
      const at = Math.round(referenceMs * 0.95 * random());
      const r = await interrupted(src.path, out, [[at, 'SIGKILL']]);
      assert.ok(r.signal === 'SIGKILL' || r.code === 0, describeRun(r));
      const files = fs.existsSync(out) ? segmentFiles(out) : 0;
      const rep = await resumeAndCompare(out, `kill -9 at ${at} ms (trial ${trial})`);
      counts.push(`${at}ms:${files}->${rep.resume.segments_kept}`);
      fs.rmSync(out, { recursive: true, force: true });
    }
    console.log(`resume: kill -9 trials (at: segment files -> kept): ${counts.join(' ')}`);
  });

  it('resuming a finished output encodes nothing; an empty one starts from the beginning', async () => {
    const out = path.join(work, 'finished');
    const first = await encode(src.path, out, [...LADDER, '--resume']);
    assert.equal(first.code, 0, describeRun(first));
    assert.equal(report(out).resume.segments_kept, 0);
    assert.deepEqual(hashTree(out), reference);
    const again = await encode(src.path, out, [...LADDER, '--resume']);
    assert.equal(again.code, 0, describeRun(again));
    const rep = report(out);
    assert.equal(rep.resume.segments_kept, totalSegments);
    assert.deepEqual(rep.rungs.map((x) => x.chunks), [0, 0]);
    assert.deepEqual(hashTree(out), reference);
    const r = await playHls(out, { expectLevels: [{ width: 256, height: 144 }, { width: 640, height: 360 }] });
    assertPlayedEverything(assert, r, { expectAudio: true });
  });

  it('--deterministic: a bitrate ladder at 320 wide comes out the same every run, and so does its resume', async () => {
    const args = ['--rung', '320x180:300k', '--rung', '640x360:800k', '--segment', '1', '--progress', 'none',
      '--deterministic'];
    const outs = [];
    for (let i = 0; i < 2; i++) {
      const out = path.join(work, `deterministic-${i}`);
      const r = await encode(src.path, out, args);
      assert.equal(r.code, 0, describeRun(r));
      outs.push(hashTree(out));
    }
    assert.deepEqual(outs[1], outs[0], 'two deterministic runs differ');
    const rep = report(path.join(work, 'deterministic-0'));
    assert.equal(rep.deterministic, true);
    for (const rung of rep.rungs) assert.equal(rung.rate_control.crf_chunks, 0, rung.name);
    for (let trial = 0; trial < 2; trial++) {
      const out = path.join(work, `deterministic-kill-${trial}`);
      const at = Math.round(referenceMs * (0.2 + 0.6 * random()));
      const child = spawn(ladderBin(), ['encode', src.path, '-o', out, ...args], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), at);
      await new Promise((resolve) => child.on('close', resolve));
      clearTimeout(timer);
      const again = await encode(src.path, out, [...args, '--resume']);
      assert.equal(again.code, 0, describeRun(again));
      assert.deepEqual(hashTree(out), outs[0], `kill -9 at ${at} ms, then --resume: differs from the uninterrupted run`);
    }
    // The journal says how it was made: resuming it adaptively is another job.
    const refused = await encode(src.path, path.join(work, 'deterministic-kill-0'),
      args.filter((a) => a !== '--deterministic').concat('--resume'));
    assert.equal(refused.code, 15, describeRun(refused));
  });

  it('a ladder job stopped by SIGTERM (exit 14) continues on its next attempt, as it would have ended', async () => {
    const root = path.join(work, 'jobs');
    fs.mkdirSync(root);
    const rungs = [{ name: '144p', width: 256, height: 144, crf: 30 }, { name: '360p', width: 640, height: 360, crf: 28 }];
    const spec = (output) => JSON.stringify({ type: 'ladder', input: src.path, output_root: root, output, rungs,
      segment_seconds: 1 });
    const job = (output, signals = []) => new Promise((resolve) => {
      const argv = ['job', '-'];
      const child = spawn(ladderBin(), argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.stdin.end(spec(output));
      const timers = signals.map(([ms, sig]) => setTimeout(() => child.kill(sig), ms));
      child.on('close', (code, signal) => {
        timers.forEach(clearTimeout);
        const lines = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
        resolve({ code, signal, stderr, result: lines.at(-1), argv: [ladderBin(), ...argv] });
      });
    });
    const whole = await job('whole');
    assert.equal(whole.code, 0, describeRun(whole));
    const expected = hashTree(path.join(root, 'whole'));

    let resumedWith = 0;
    for (let trial = 0; trial < 3 && !resumedWith; trial++) {
      const out = `stopped-${trial}`;
      const first = await job(out, [[Math.round(referenceMs * (0.3 + 0.3 * random())), 'SIGTERM']]);
      if (first.code === 0) continue;
      assert.equal(first.code, 14, describeRun(first));
      assert.equal(first.result.status, 'error');
      assert.match(first.result.error, /stopped at a chunk boundary/);
      // Nothing at the final name; the attempt's directory waits, journal and all.
      assert.ok(!fs.existsSync(path.join(root, out)));
      const left = fs.readdirSync(root).filter((f) => f.startsWith(`.${out}.tmp-`));
      assert.equal(left.length, 1, fs.readdirSync(root).join(' '));
      assert.ok(fs.existsSync(path.join(root, left[0], '.ladder-resume')));
      const kept = segmentFiles(path.join(root, left[0]));
      const second = await job(out);
      assert.equal(second.code, 0, describeRun(second));
      assert.equal(second.result.report.resume.segments_kept, kept);
      assert.deepEqual(hashTree(path.join(root, out)), expected, 'the continued job differs from an uninterrupted one');
      assert.deepEqual(fs.readdirSync(root).filter((f) => f.startsWith('.')), [], 'temporary directories left');
      resumedWith = kept;
    }
    assert.ok(resumedWith > 0, 'no attempt stopped with segments to keep');
  });

  it('another job\'s output is refused (exit 15, the line that changed), and left as it was', async () => {
    const out = path.join(work, 'other-job');
    const r = await interrupted(src.path, out, [[Math.round(referenceMs * 0.5), 'SIGINT']]);
    assert.ok(r.code === 14 || r.code === 0, describeRun(r));
    const before = hashTree(out);
    const journal = fs.readFileSync(path.join(out, '.ladder-resume'));
    const other = LADDER.map((a) => (a === '640x360:crf28' ? '640x360:crf26' : a));
    const refused = await encode(src.path, out, [...other, '--resume']);
    assert.equal(refused.code, 15, describeRun(refused));
    const lines = stderrLines(refused.stderr);
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0], /^ladder: output '.*other-job': cannot resume: it was made for another job: 'rung 360p 640x360 sar=1:1 h264 8-bit fps=30\/1 crf=28 .*' became 'rung 360p 640x360 sar=1:1 h264 8-bit fps=30\/1 crf=26 .*'$/);
    assert.deepEqual(hashTree(out), before, 'a refused resume changed the output');
    assert.ok(journal.equals(fs.readFileSync(path.join(out, '.ladder-resume'))), 'a refused resume changed the journal');
    // Without --resume the new job simply starts over, and owns the directory.
    const fresh = await encode(src.path, out, other);
    assert.equal(fresh.code, 0, describeRun(fresh));
    assert.equal(report(out).resume.resumed, false);
  });

  it('the pixels\' shape and the gap rule are part of the job: --exact-shape or --gaps close on a resume is refused (exit 15)', async () => {
    const out = path.join(work, 'other-shape');
    const r = await interrupted(src.path, out, [[Math.round(referenceMs * 0.5), 'SIGINT']]);
    assert.ok(r.code === 14 || r.code === 0, describeRun(r));
    const before = hashTree(out);
    const refused = await encode(src.path, out, [...LADDER, '--exact-shape', '--resume']);
    assert.equal(refused.code, 15, describeRun(refused));
    const lines = stderrLines(refused.stderr);
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0], /cannot resume: it was made for another job: 'segments .*, square pixels, gaps held' became 'segments .*, exact shape, gaps held'$/);
    assert.deepEqual(hashTree(out), before, 'a refused resume changed the output');
    // So is what a gap in the input becomes (--gaps).
    const gaps = await encode(src.path, out, [...LADDER, '--gaps', 'close', '--resume']);
    assert.equal(gaps.code, 15, describeRun(gaps));
    assert.match(stderrLines(gaps.stderr)[0], /'segments .*, gaps held' became 'segments .*, gaps closed'$/);
    assert.deepEqual(hashTree(out), before, 'a refused resume changed the output');
  });
});
