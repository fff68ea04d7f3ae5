// The worker when Redis itself fails, on real redis-servers: restarted with
// AOF mid-job (nothing lost); without persistence (a warning at start-up;
// the running job's completion cannot be recorded: one line naming the job
// and its outputs, the worker goes on; the job ids that restart at 1 never
// reach another job's output); gone during a SIGTERM (the worker exits
// within SHUTDOWN_GRACE_MS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { persistenceText, redisPersistence, startWorker } from '../src/worker.mjs';
import { alive, childrenOf, ladderBin, makeMedia, script, spawnWorker, startRedis, tmpDir, waitFor } from './helpers.mjs';

let dir; let media; let slow;
const open = [];
const procs = [];
const servers = [];
const ladders = [];

before(() => {
  dir = tmpDir('ladder-bullmq-redis-');
  media = makeMedia(dir, 'small.mp4', 1, '160x90');
  slow = makeMedia(dir, 'slow.mp4', 10);
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const pid of ladders) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const o of open.reverse()) await o.close().catch(() => {});
  for (const s of servers) await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function redisIn(name, options) {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  const r = await startRedis(d, options);
  servers.push(r);
  return r;
}

// A ladder whose `ladder job` runs hold until the test opens the gate: the
// test restarts Redis while a job is surely running.
function gatedLadder(name) {
  const gate = path.join(dir, `${name}.open`);
  const bin = script(dir, name, `if [ "$1" = job ]; then while [ ! -e '${gate}' ]; do sleep 0.02; done; fi
exec '${ladderBin}' "$@"`);
  return { bin, open: () => fs.writeFileSync(gate, '') };
}

function client(url) {
  const c = new IORedis(url, { maxRetriesPerRequest: null });
  open.push({ close: () => c.quit() });
  return c;
}

function queue(conn, name, prefix) {
  const q = new Queue(name, { connection: conn, prefix });
  open.push(q);
  return q;
}

const state = (q, id) => q.getJobState(id);

test('Redis restarted with AOF while a job runs: the job and the waiting one complete, nothing lost', async () => {
  const prefix = 'aof';
  let redis = await redisIn('aof', { aof: true });
  const conn = client(redis.url);
  const gate = gatedLadder('aof-ladder');
  const logs = [];
  const root = path.join(dir, 'out-aof');
  fs.mkdirSync(root);
  const w = await startWorker({ redisUrl: redis.url, ladderBin: gate.bin, outputRoot: root, queues: ['thumbnail'], prefix, log: (f) => logs.push(f) });
  open.push(w);
  assert.deepEqual(w.redisPersistence, { known: true, aof: true, rdb: false, via: 'config' });
  assert.deepEqual(logs.filter((l) => l.level === 'warn'), [], 'a persistence warning with AOF on');
  const q = queue(conn, 'thumbnail', prefix);
  const running = await q.add('thumbnail', { input: media });
  await waitFor('job running', async () => {
    const j = await q.getJob(running.id);
    return j && j.data._ladder && j.data._ladder.status === 'running';
  }, 10000, 20);
  const waiting = await q.add('thumbnail', { input: media, output: 'second' });
  await redis.kill();
  redis = await redis.restart();
  servers.push(redis);
  gate.open();
  for (const job of [running, waiting]) {
    await waitFor(`job ${job.id} completed`, async () => (await state(q, job.id)) === 'completed', 30000);
    const j = await q.getJob(job.id);
    assert.equal(j.returnvalue.status, 'ok');
    assert.ok(fs.existsSync(j.returnvalue.outputs[0].path));
  }
  assert.deepEqual(await q.getJobCounts('completed', 'failed', 'active', 'waiting'), { completed: 2, failed: 0, active: 0, waiting: 0 });
  assert.deepEqual(logs.filter((l) => /gone from Redis/.test(l.msg)), []);
});

test('Redis without persistence: a warning at start-up; restarted mid-job, one line names the job and its outputs; new job ids never take an output', async () => {
  const prefix = 'nopersist';
  let redis = await redisIn('plain');
  const conn = client(redis.url);
  const gate = gatedLadder('plain-ladder');
  const logs = [];
  const errors = [];
  const root = path.join(dir, 'out-plain');
  fs.mkdirSync(root);
  const w = await startWorker({ redisUrl: redis.url, ladderBin: gate.bin, outputRoot: root, queues: ['thumbnail'], prefix,
    lockDurationMs: 1000, log: (f) => logs.push(f), onError: (e) => errors.push(e.message) });
  open.push(w);
  const warn = logs.filter((l) => l.level === 'warn');
  assert.equal(warn.length, 1, JSON.stringify(logs));
  assert.equal(warn[0].redis_persistence, 'none');
  assert.match(warn[0].msg, /^Redis does not persist its data .*"Missing key for job N".*turn on AOF/);
  const q = queue(conn, 'thumbnail', prefix);
  const first = await q.add('thumbnail', { input: media });
  // Running: stamped by the worker (its last write before the ladder's end).
  await waitFor('job running', async () => {
    const j = await q.getJob(first.id);
    return j && j.data._ladder && j.data._ladder.status === 'running';
  }, 10000, 20);
  // Redis comes back empty: job ids restart at 1.
  await redis.kill();
  redis = await redis.restart();
  servers.push(redis);
  // The lock renewal finds the job gone while it still runs (one warning)...
  await waitFor('job gone while running', () => logs.some((l) => /gone from Redis while it runs/.test(l.msg)), 10000, 20)
    .catch((e) => { throw new Error(`${e.message}: ${JSON.stringify({ logs, errors })}`); });
  gate.open();
  // ...and its end: one line with the job and its outputs, written.
  const line = await waitFor('the lost completion line', () => logs.find((l) => l.level === 'error' && /its completion cannot be recorded/.test(l.msg)), 20000, 20);
  const firstOut = path.join(root, `thumbnail-${first.id}-${first.timestamp}`);
  assert.equal(line.job, String(first.id));
  assert.equal(line.queue, 'thumbnail');
  assert.deepEqual(line.outputs, [path.join(firstOut, 'thumbnail.jpg')]);
  assert.equal(line.output_dir, firstOut);
  assert.ok(fs.existsSync(line.outputs[0]));
  const firstBytes = fs.readFileSync(line.outputs[0]);
  // BullMQ's own "Missing key" errors about it were not said again.
  assert.deepEqual(errors.filter((e) => /Missing key|renew lock/.test(e)), []);
  assert.equal(logs.filter((l) => /gone from Redis/.test(l.msg)).length, 2, JSON.stringify(logs));

  // The worker goes on. The same job id again: another default output.
  const again = await q.add('thumbnail', { input: media });
  assert.equal(again.id, first.id);
  await waitFor('the new job 1 completed', async () => (await state(q, again.id)) === 'completed', 20000);
  const rv = (await q.getJob(again.id)).returnvalue;
  assert.notEqual(path.dirname(rv.outputs[0].path), firstOut);
  assert.ok(fs.readFileSync(line.outputs[0]).equals(firstBytes), "the first job's output changed");

  // An explicit output name, then a FLUSHALL: the job that gets the same id
  // is refused that output (exit 16, failed at once), which stays whole.
  const named = await q.add('thumbnail', { input: media, output: 'poster-42' }, { attempts: 3 });
  await waitFor('named job completed', async () => (await state(q, named.id)) === 'completed', 20000);
  const poster = path.join(root, 'poster-42', 'thumbnail.jpg');
  const posterBytes = fs.readFileSync(poster);
  await conn.flushall();
  await q.add('thumbnail', { input: media, output: 'filler' });
  const other = await q.add('thumbnail', { input: media, output: 'poster-42', time: 0.5 }, { attempts: 3 });
  assert.equal(other.id, named.id);
  await waitFor('the other job failed', async () => (await state(q, other.id)) === 'failed', 20000);
  const f = await q.getJob(other.id);
  assert.equal(f.attemptsMade, 1, 'retried: a retry cannot help');
  assert.equal(f.data._ladder.exit_code, 16);
  assert.match(f.failedReason, new RegExp(`poster-42': exists and was made by another job \\(thumbnail job '${named.id}@${named.timestamp}'\\)`));
  assert.deepEqual(f.progress, { stage: 'failed', percent: 100 });
  assert.ok(fs.readFileSync(poster).equals(posterBytes), 'the first poster changed');
});

test('SIGTERM while Redis is gone: the worker exits within SHUTDOWN_GRACE_MS (124), its ladder stopped', async () => {
  const prefix = 'gone';
  const redis = await redisIn('gone');
  const conn = client(redis.url);
  const GRACE = 3000;
  const w = spawnWorker({ REDIS_URL: redis.url, LADDER_BIN: ladderBin, OUTPUT_ROOT: dir, WORKER_QUEUES: 'conform',
    QUEUE_PREFIX: prefix, SHUTDOWN_GRACE_MS: String(GRACE) });
  procs.push(w);
  await w.ready;
  const q = queue(conn, 'conform', prefix);
  const job = await q.add('conform', { input: slow, output: 'cut-short', width: 1920, height: 1080, preset: 'slow' });
  await waitFor('job encoding', async () => {
    const j = await q.getJob(job.id);
    return j && j.progress && j.progress.stage === 'encode';
  }, 60000);
  const kids = childrenOf(w.pid);
  assert.equal(kids.length, 1);
  ladders.push(kids[0]);
  await q.close();
  await conn.quit();
  await redis.kill();
  const t0 = Date.now();
  w.kill('SIGTERM');
  const { code } = await w.exited;
  const ms = Date.now() - t0;
  assert.equal(code, 124, w.log);
  assert.ok(ms < GRACE + 1500, `exited after ${ms} ms (grace ${GRACE})`);
  assert.ok(ms >= GRACE - 100, `exited after ${ms} ms: before the grace ran out, with Redis gone?`);
  // Its ladder was told to stop when the grace's stop window opened (half
  // of a 3 s grace before its end), and killed at the end if it had not.
  await waitFor('its ladder gone', () => !alive(kids[0]), 3000, 20);
  assert.match(w.log, /shutdown grace \(3000 ms\) ran out/);
  // Nothing at the final name.
  assert.equal(fs.existsSync(path.join(dir, 'cut-short')), false);
});

test('persistence where CONFIG is refused (managed Redis): INFO says AOF, else unknown', async () => {
  const refused = async () => { throw new Error("ERR unknown command 'CONFIG'"); };
  const info = (aof) => async () => `# Persistence\r\nloading:0\r\naof_enabled:${aof}\r\n`;
  const aof = await redisPersistence({ config: refused, info: info(1) });
  assert.deepEqual(aof, { known: true, aof: true, rdb: null, via: 'info' });
  assert.equal(persistenceText(aof), 'aof');
  const unknown = await redisPersistence({ config: refused, info: info(0) });
  assert.equal(unknown.known, false);
  assert.match(unknown.reason, /unknown command 'CONFIG'/);
  assert.equal(persistenceText(unknown), 'unknown');
  // CONFIG's replies: [name, value] (RESP2), or a map.
  const both = await redisPersistence({ config: async (_get, key) => (key === 'save' ? { save: '3600 1' } : ['appendonly', 'yes']) });
  assert.equal(persistenceText(both), 'aof+rdb');
});
