// The worker CLI as a process: SIGTERM mid-job puts the job back to wait and
// leaves no ladder behind; kill -9 mid-job ends its ladder (the kernel's
// parent-death signal) and another worker, running the real ladder, takes
// the stalled job and writes one complete output (a killed attempt's partial
// output never shows at the final name and is removed by the retry; a
// ladder job's stopped attempt keeps its segments and the retry continues
// from them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { startWorker } from '../src/worker.mjs';
import { alive, childrenOf, ladderBin, makeMedia, script, spawnWorker, startRedis, tmpDir, waitFor } from './helpers.mjs';

let dir; let redis; let media; let mid; let conn;
const MID_SECONDS = 6;
const open = [];
const procs = [];
const ladders = []; // ladder pids seen, killed at the end should a test fail

before(async () => {
  dir = tmpDir('ladder-bullmq-sig-');
  redis = await startRedis(dir);
  // 20 s conformed to 1080p at preset slow runs far longer than the tests
  // let it: they stop it after its first progress.
  media = makeMedia(dir, 'long.mp4', 20);
  mid = makeMedia(dir, 'mid.mp4', MID_SECONDS);
  conn = new IORedis(redis.url, { maxRetriesPerRequest: null });
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const pid of ladders) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const o of open.reverse()) await o.close().catch(() => {});
  await conn.quit().catch(() => {});
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const slowSpec = (output) => ({ input: media, output, width: 1920, height: 1080, preset: 'slow' });

function queue(name, prefix) {
  const q = new Queue(name, { connection: conn, prefix });
  open.push(q);
  return q;
}

function worker(env) {
  const p = spawnWorker({ REDIS_URL: redis.url, LADDER_BIN: ladderBin, OUTPUT_ROOT: dir, WORKER_QUEUES: 'conform', ...env });
  procs.push(p);
  return p;
}

// Waits until the worker runs the job's ladder and it reported progress.
async function runningLadder(q, id, workerPid) {
  await waitFor('job progress', async () => {
    const j = await q.getJob(id);
    return j && j.progress && typeof j.progress === 'object' && j.progress.stage === 'encode';
  }, 60000);
  const kids = childrenOf(workerPid);
  assert.equal(kids.length, 1, `worker children: ${kids}`);
  const comm = fs.readFileSync(`/proc/${kids[0]}/comm`, 'utf8').trim();
  assert.equal(comm, 'ladder');
  ladders.push(kids[0]);
  return kids[0];
}

test('SIGTERM mid-job: job back to wait, no attempt used, ladder gone', async () => {
  const prefix = 'term';
  // 5 s: the job may finish in the first half, then its ladder is stopped
  // (a slow 1080p encode on a loaded machine takes a while to cancel) and
  // the job put back within the grace.
  const w = worker({ QUEUE_PREFIX: prefix, SHUTDOWN_GRACE_MS: '5000' });
  await w.ready;
  const q = queue('conform', prefix);
  const job = await q.add('conform', slowSpec('term'), { attempts: 1 });
  const ladderPid = await runningLadder(q, job.id, w.pid);
  w.kill('SIGTERM');
  const { code } = await w.exited;
  assert.equal(code, 0, w.log);
  assert.equal(alive(ladderPid), false, 'ladder outlived the worker');
  const j = await q.getJob(job.id);
  // attempts: 1 — a failure would have been final.
  assert.equal(await j.getState(), 'waiting');
  assert.equal(j.attemptsMade, 0);
  assert.equal(j.data._ladder.status, 'requeued');
  assert.match(j.data._ladder.error, /cancelled/);
  assert.deepEqual(j.progress, { stage: 'requeued', percent: 0 });
  assert.equal(fs.existsSync(path.join(dir, 'term')), false);
});

// A short job for the kill -9 tests: long enough to be caught encoding
// (about 4 s here), short enough for the retry to run to the end.
const midSpec = (output) => ({ input: mid, output, width: 640, height: 360, preset: 'medium' });

// The conform output of a completed job: the result names exactly one file,
// inside OUTPUT_ROOT/OUTPUT; it is non-empty and decodes to every frame of
// the source at the asked size.
function assertConformOutput(root, output, rv) {
  const final = path.join(root, output);
  assert.deepEqual(rv.outputs.map((o) => o.path), [path.join(final, 'conform.mp4')]);
  // The file, and who made it (the job: its retry may replace it).
  assert.deepEqual(fs.readdirSync(final).sort(), ['.ladder-job', 'conform.mp4']);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(final, '.ladder-job'), 'utf8')), { type: 'conform', id: rv.job });
  const file = rv.outputs[0].path;
  assert.ok(fs.statSync(file).size > 0);
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames,width,height:format=duration', '-of', 'json', file], { encoding: 'utf8' }));
  const st = probe.streams[0];
  assert.equal(st.width, 640);
  assert.equal(st.height, 360);
  assert.equal(Number(st.nb_read_frames), MID_SECONDS * 25, JSON.stringify(probe));
  assert.ok(Math.abs(Number(probe.format.duration) - MID_SECONDS) < 0.2, JSON.stringify(probe));
}

// Worker A takes the job and is killed (-9) while its ladder encodes;
// `hard` also SIGKILLs that ladder before it can cancel (a lost box, the OOM
// killer taking the whole group), which leaves its temporary directory
// behind. Worker B, with the real ladder, gets the stalled job and must
// finish it: one complete output at the final name, nothing else.
async function killMidJob(prefix, { hard }) {
  const root = path.join(dir, `out-${prefix}`);
  fs.mkdirSync(root);
  const a = worker({ QUEUE_PREFIX: prefix, OUTPUT_ROOT: root, LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' });
  await a.ready;
  const q = queue('conform', prefix);
  const job = await q.add('conform', midSpec(prefix), { attempts: 1 });
  const ladderPid = await runningLadder(q, job.id, a.pid);
  // Mid-job the output exists only under a hidden temporary name that
  // carries the writer's pid; nothing at the final name.
  const tmpName = new RegExp(`^\\.${prefix}\\.tmp-${ladderPid}-[A-Za-z0-9]{6}$`);
  let names = fs.readdirSync(root);
  assert.equal(names.length, 1, names.join(' '));
  assert.match(names[0], tmpName);
  const first = (await q.getJob(job.id)).data._ladder.worker;
  // Stopped, ladder cannot act on the parent-death SIGTERM before the SIGKILL.
  if (hard) process.kill(ladderPid, 'SIGSTOP');
  a.kill('SIGKILL');
  await a.exited;
  if (hard) process.kill(ladderPid, 'SIGKILL');
  // LADDER_DIE_WITH_PARENT: the kernel SIGTERMs ladder, which cancels.
  await waitFor('orphaned ladder to end', () => !alive(ladderPid), 20000);
  names = fs.readdirSync(root);
  if (hard) {
    // Killed outright: the partial output stays, under its temporary name.
    assert.equal(names.length, 1, names.join(' '));
    assert.match(names[0], tmpName);
    assert.ok(fs.readdirSync(path.join(root, names[0])).length > 0, 'the killed attempt wrote nothing');
  } else {
    // Cancelled: it removed its temporary directory (a write to the dead
    // worker's pipe may kill it by SIGPIPE first: then the retry cleans up).
    assert.ok(names.length === 0 || (names.length === 1 && tmpName.test(names[0])), names.join(' '));
  }
  const b = await startWorker({ redisUrl: redis.url, ladderBin, outputRoot: root, queues: ['conform'], prefix, stalledIntervalMs: 500 });
  open.push(b);
  const done = await waitFor('stalled job completed', async () => {
    return (await q.getJobState(job.id)) === 'completed' ? q.getJob(job.id) : null;
  }, 90000);
  assert.notEqual(first, b.workerId);
  assert.equal(done.returnvalue._ladder.worker, b.workerId);
  // The stalled run counts: this is the second.
  assert.equal(done.returnvalue._ladder.attempt, 2);
  assert.equal(done.returnvalue.status, 'ok');
  assert.equal(done.returnvalue.job_type, 'conform');
  // Exactly one output for the job, complete; the killed attempt's
  // temporary directory was removed by the retry.
  assert.deepEqual(fs.readdirSync(root), [prefix]);
  assertConformOutput(root, prefix, done.returnvalue);
}

test('kill -9 mid-job: ladder dies with it, another worker completes the stalled job, one complete output', async () => {
  await killMidJob('stall', { hard: false });
});

test('kill -9 of worker and ladder mid-job: the partial output stays hidden, the retry removes it and completes', async () => {
  await killMidJob('stallhard', { hard: true });
});

// A ladder job on worker A, killed -9 once some segments are written: its
// ladder stops at a chunk boundary, the temporary directory, journal and
// segments stay; worker
// B on the same host takes the stalled job, continues from the kept
// segments and completes: one output, nothing encoded twice.
test('kill -9 mid-ladder: the other worker completes the job with the killed attempt\'s segments kept', async () => {
  const prefix = 'stalladder';
  const root = path.join(dir, `out-${prefix}`);
  fs.mkdirSync(root);
  // Worker A's ladder keeps its stderr in a file (exec: still the worker's
  // child, so the parent-death signal still reaches it).
  const stderrFile = path.join(dir, `${prefix}.stderr`);
  const logged = script(dir, `${prefix}-ladder`, `exec '${ladderBin}' "$@" 2>>'${stderrFile}'`);
  const said = () => (fs.existsSync(stderrFile) ? fs.readFileSync(stderrFile, 'utf8') : '');
  const a = worker({ QUEUE_PREFIX: prefix, OUTPUT_ROOT: root, WORKER_QUEUES: 'ladder', LADDER_BIN: logged,
    LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' });
  await a.ready;
  const q = queue('ladder', prefix);
  const job = await q.add('ladder', { input: media, output: prefix, preset: 'medium', segment_seconds: 1,
    rungs: [{ width: 960, height: 540, bitrate: '1500k' }, { width: 640, height: 360, bitrate: '800k' }] }, { attempts: 1 });
  const ladderPid = await runningLadder(q, job.id, a.pid);
  // Segments on disk, in the hidden temporary directory.
  const segments = (d) => {
    const video = path.join(d, 'video');
    return fs.existsSync(video) ? fs.readdirSync(video).reduce((n, r) => n + fs.readdirSync(path.join(video, r)).filter((f) => /^seg_\d+\.m4s$/.test(f)).length, 0) : 0;
  };
  const tmp = () => fs.readdirSync(root).filter((n) => n.startsWith(`.${prefix}.tmp-`)).map((n) => path.join(root, n));
  await waitFor('segments written', () => tmp().length === 1 && segments(tmp()[0]) >= 4, 60000, 50);
  // Worker A dies (kill -9); its ladder gets the parent-death signal, once
  // per parent it is handed to (a thread of the dying Node worker, then
  // init), takes it as one stop whatever the count, and stops at a chunk
  // boundary with its journal and segments kept (two SIGTERMs used to
  // cancel it, which removed them: about one run in three under load).
  a.kill('SIGKILL');
  await a.exited;
  await waitFor('its ladder to stop by itself', () => !alive(ladderPid), 30000);
  assert.doesNotMatch(said(), /cancelled/, `ladder took the parent's death for a cancel: ${said()}`);
  // Kept: the attempt's directory, its journal and segments.
  const left = tmp();
  assert.equal(left.length, 1, `in ${root}: [${fs.readdirSync(root).join(' ')}]; ladder said: ${said()}; worker: ${a.log}`);
  assert.ok(fs.existsSync(path.join(left[0], '.ladder-resume')), `the journal is gone; ladder said: ${said()}`);
  const b = await startWorker({ redisUrl: redis.url, ladderBin, outputRoot: root, queues: ['ladder'], prefix, stalledIntervalMs: 500, log: () => {} });
  open.push(b);
  const done = await waitFor('stalled ladder job completed', async () => {
    return (await q.getJobState(job.id)) === 'completed' ? q.getJob(job.id) : null;
  }, 90000);
  const rv = done.returnvalue;
  assert.equal(rv.status, 'ok');
  assert.equal(rv._ladder.worker, b.workerId);
  assert.equal(rv._ladder.attempt, 2);
  const resume = rv.report.resume;
  assert.equal(resume.resumed, true, JSON.stringify(resume));
  assert.ok(resume.segments_kept > 0, JSON.stringify(resume));
  for (const rung of rv.report.rungs) assert.equal(rung.chunks + rung.segments_kept, rung.segments, JSON.stringify(rung));
  assert.deepEqual(fs.readdirSync(root), [prefix], 'one output, no temporary directory left');
  assert.ok(fs.existsSync(path.join(root, prefix, 'master.m3u8')));
  // Judged from the output, not the report: every rung's playlist, the
  // killed attempt's segments and the resumed ones together, decodes to
  // every frame of the 20 s, 25 fps source.
  const video = path.join(root, prefix, 'video');
  for (const rung of fs.readdirSync(video)) {
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
      '-show_entries', 'stream=nb_read_frames', '-of', 'json', path.join(video, rung, 'index.m3u8')], { encoding: 'utf8' }));
    assert.equal(Number(probe.streams[0].nb_read_frames), 20 * 25, `${rung}: ${JSON.stringify(probe)}`);
  }
  assert.deepEqual(done.progress, { stage: 'done', percent: 100 });
});

// The worker's pipes would end an orphaned ladder anyway (SIGPIPE at its next
// line); here its output goes to a file, so only the parent-death signal of
// LADDER_DIE_WITH_PARENT=1 can end it when its parent is killed.
test('LADDER_DIE_WITH_PARENT=1: ladder cancels when its parent dies', async () => {
  const specFile = path.join(dir, 'orphan.json');
  fs.writeFileSync(specFile, JSON.stringify({ type: 'conform', id: 'orphan', output_root: dir, ...slowSpec('orphan') }));
  const out = path.join(dir, 'orphan.out');
  const sh = spawn('sh', ['-c', `'${ladderBin}' job '${specFile}' > '${out}' 2>/dev/null & echo $!; wait`],
    { env: { ...process.env, LADDER_DIE_WITH_PARENT: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(sh);
  let text = '';
  sh.stdout.on('data', (d) => { text += d; });
  const pid = Number(await waitFor('ladder pid', () => (/^\d+\n/.test(text) ? text.trim() : null), 10000));
  ladders.push(pid);
  await waitFor('ladder encoding', () => fs.existsSync(out) && /"stage":"encode"/.test(fs.readFileSync(out, 'utf8')), 60000);
  sh.kill('SIGKILL');
  await waitFor('orphaned ladder to end', () => !alive(pid), 20000);
  const last = JSON.parse(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  assert.equal(last.type, 'result');
  assert.equal(last.exit_code, 130);
});
