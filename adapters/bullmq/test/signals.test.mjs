// The worker CLI as a process: SIGTERM mid-job puts the job back to wait and
// leaves no ladder behind; kill -9 mid-job ends its ladder (the kernel's
// parent-death signal) and another worker takes the stalled job.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { startWorker } from '../src/worker.mjs';
import { alive, childrenOf, ladderBin, makeMedia, script, spawnWorker, startRedis, tmpDir, waitFor } from './helpers.mjs';

let dir; let redis; let media; let conn;
const open = [];
const procs = [];
const ladders = []; // ladder pids seen, killed at the end should a test fail

before(async () => {
  dir = tmpDir('ladder-bullmq-sig-');
  redis = await startRedis(dir);
  // 20 s conformed to 1080p at preset slow runs far longer than the tests
  // let it: they stop it after its first progress.
  media = makeMedia(dir, 'long.mp4', 20);
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
  const w = worker({ QUEUE_PREFIX: prefix, SHUTDOWN_GRACE_MS: '300' });
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
  assert.equal(fs.existsSync(path.join(dir, 'term')), false);
});

test('kill -9 mid-job: ladder dies with it, another worker takes the stalled job', async () => {
  const prefix = 'stall';
  const a = worker({ QUEUE_PREFIX: prefix, LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' });
  await a.ready;
  const q = queue('conform', prefix);
  const job = await q.add('conform', slowSpec('stall'), { attempts: 1 });
  const ladderPid = await runningLadder(q, job.id, a.pid);
  const first = (await q.getJob(job.id)).data._ladder.worker;
  a.kill('SIGKILL');
  await a.exited;
  // LADDER_DIE_WITH_PARENT: the kernel SIGTERMs ladder, which cancels.
  await waitFor('orphaned ladder to end', () => !alive(ladderPid), 20000);
  // The second worker's ladder answers at once: what matters is that the
  // stalled checker hands it the job.
  const fake = script(dir, 'ok-ladder', `if [ "$1" = job ]; then cat >/dev/null; echo '{"type":"progress","job":"x","stage":"start","percent":0}'
echo '{"type":"result","job":"x","job_type":"conform","status":"ok","outputs":[]}'; fi`);
  const b = await startWorker({ redisUrl: redis.url, ladderBin: fake, outputRoot: dir, queues: ['conform'], prefix, stalledIntervalMs: 500 });
  open.push(b);
  const done = await waitFor('stalled job completed', async () => {
    return (await q.getJobState(job.id)) === 'completed' ? q.getJob(job.id) : null;
  }, 60000);
  assert.notEqual(first, b.workerId);
  assert.equal(done.returnvalue._ladder.worker, b.workerId);
  assert.equal(done.returnvalue.status, 'ok');
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
