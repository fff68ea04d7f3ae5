// The worker in this process against a private redis-server and the real
// ladder binary: subscription, a proxy end to end with attribution and its
// chain, the exit-75 back-off, a bad spec, metrics (jobs and devices).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { busyDelay, startWorker } from '../src/worker.mjs';
import { configFromEnv } from '../src/config.mjs';
import { chainJobs } from '../src/chain.mjs';
import { createDeviceTracker, createMetrics, deviceLabels } from '../src/metrics.mjs';
import { freePort, ladderBin, makeMedia, script, startRedis, tmpDir, waitFor } from './helpers.mjs';

let dir; let redis; let media; let conn;
const open = [];

before(async () => {
  dir = tmpDir('ladder-bullmq-');
  redis = await startRedis(dir);
  media = makeMedia(dir, 'small.mp4', 2);
  conn = new IORedis(redis.url, { maxRetriesPerRequest: null });
});

after(async () => {
  for (const o of open.reverse()) await o.close().catch(() => {});
  await conn.quit().catch(() => {});
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function queue(name, prefix) {
  const q = new Queue(name, { connection: conn, prefix });
  open.push(q);
  return q;
}

async function worker(options) {
  const w = await startWorker({ redisUrl: redis.url, ladderBin, outputRoot: dir, busyBackoffMs: 50, ...options });
  open.push(w);
  return w;
}

async function settled(q, id, timeoutMs = 60000) {
  return waitFor(`job ${id} settled`, async () => {
    // The state first, then the job: a job read before its state could
    // predate the move (a completed state with no return value yet).
    const state = await q.getJobState(id);
    return (state === 'completed' || state === 'failed') ? { job: await q.getJob(id), state } : null;
  }, timeoutMs);
}

test('WORKER_QUEUES: only the named queues are served', async () => {
  const prefix = 'sub';
  const cfg = configFromEnv({ REDIS_URL: redis.url, WORKER_QUEUES: 'proxy,conform,trim', LADDER_BIN: ladderBin, OUTPUT_ROOT: dir, PROXY_CONCURRENCY: '2' });
  assert.deepEqual(cfg.queues, ['proxy', 'conform', 'trim']);
  assert.equal(cfg.concurrency.proxy, 2);
  await worker({ ...cfg, prefix });
  const thumb = await queue('thumbnail', prefix).add('thumbnail', { input: media, output: 'sub-thumb' });
  const proxy = await queue('proxy', prefix).add('proxy', { input: media, output: 'sub-proxy', chain: false });
  const { state } = await settled(queue('proxy', prefix), proxy.id);
  assert.equal(state, 'completed');
  // The proxy, queued after it, is done: the thumbnail was never taken.
  assert.equal(await (await queue('thumbnail', prefix).getJob(thumb.id)).getState(), 'waiting');
});

test('proxy end to end: result, progress, attribution, chain once', async () => {
  const prefix = 'e2e';
  const w = await worker({ prefix, node: 'test-node', tier: 'gold' });
  // The worker's own progress events: a QueueEvents stream subscribed just
  // before a sub-second job can miss them.
  const progress = [];
  w.workers.find((x) => x.name === 'proxy').on('progress', (_job, p) => progress.push(p));
  const q = queue('proxy', prefix);
  const job = await q.add('proxy', { input: media, output: 'clip', chain: { thumbnail: { width: 160 }, filmstrip: { count: 4 } } }, { priority: 3 });
  const { job: done, state } = await settled(q, job.id);
  assert.equal(state, 'completed', done.failedReason);
  const rv = done.returnvalue;
  assert.equal(rv.type, 'result');
  assert.equal(rv.status, 'ok');
  // The spec's id: the job id with its queue timestamp (the output's owner).
  assert.equal(rv.job, `${job.id}@${job.timestamp}`);
  // One node name: the worker's, in the result as in the attribution.
  assert.equal(rv.node, 'test-node');
  assert.equal(rv.outputs[0].path, path.join(dir, 'clip', 'proxy.mp4'));
  assert.ok(fs.statSync(rv.outputs[0].path).size > 0);
  // Attribution, in the return value and in the job data.
  for (const a of [rv._ladder, done.data._ladder]) {
    assert.equal(a.node, 'test-node');
    assert.equal(a.tier, 'gold');
    assert.equal(a.worker, w.workerId);
    assert.equal(a.attempt, 1);
    assert.equal(a.status, 'completed');
    assert.equal(a.backend, a.gpu ? 'nvenc' : 'cpu');
  }
  assert.deepEqual(rv._ladder.gpu, w.facts.gpu);
  assert.ok(progress.length > 0);
  assert.ok(progress.every((p) => typeof p.stage === 'string' && p.percent >= 0 && p.percent <= 100));
  // The last one is stored with the job, where the platform reads it: done.
  assert.deepEqual(progress[progress.length - 1], { stage: 'done', percent: 100 });
  assert.deepEqual(done.progress, { stage: 'done', percent: 100 });
  // Chain: one thumbnail and one filmstrip, fed the proxy file, done.
  for (const type of ['thumbnail', 'filmstrip']) {
    const cq = queue(type, prefix);
    const { job: child, state: cs } = await settled(cq, `${job.id}-${type}`);
    assert.equal(cs, 'completed', child.failedReason);
    assert.equal(child.data.input, rv.outputs[0].path);
    assert.equal(child.returnvalue.job, `${job.id}@${job.timestamp}-${type}`);
    assert.equal(child.opts.priority, 3);
    assert.ok(child.returnvalue.outputs.length > 0);
    assert.ok(fs.existsSync(child.returnvalue.outputs[0].path));
  }
  assert.equal((await queue('filmstrip', prefix).getJob(`${job.id}-filmstrip`)).returnvalue.tiles, 4);
  // A retried completion enqueues again: still one job per type.
  await chainJobs({ job: done, spec: { output_root: dir, output: 'clip' }, result: rv, queueFor: (t) => queue(t, prefix) });
  for (const type of ['thumbnail', 'filmstrip']) {
    const counts = await queue(type, prefix).getJobCounts();
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 1, `${type}: ${JSON.stringify(counts)}`);
  }
});

test('exit 75: delayed with back-off, no attempt used, then completes', async () => {
  const prefix = 'busy';
  const count = path.join(dir, 'busy-count');
  fs.writeFileSync(count, '0');
  // `ladder job` exits 75 ("no free host slot") twice, then runs the real ladder.
  const fake = script(dir, 'busy-ladder', `n=$(cat '${count}')
if [ "$1" = job ] && [ "$n" -lt 2 ]; then echo $((n + 1)) > '${count}'; echo '{"type":"result","job":"x","status":"error","error":"no free host slot","code":"busy","exit_code":75}'; exit 75; fi
exec '${ladderBin}' "$@"`);
  await worker({ prefix, queues: ['proxy'], ladderBin: fake, busyBackoffMs: 400 });
  const q = queue('proxy', prefix);
  // attempts: 1 — had a 75 used an attempt, the job would fail.
  const job = await q.add('proxy', { input: media, output: 'busy', chain: false }, { attempts: 1 });
  const seen = await waitFor('job delayed', async () => {
    return (await q.getJobState(job.id)) === 'delayed' ? q.getJob(job.id) : null;
  }, 30000, 20);
  assert.equal(seen.attemptsMade, 0);
  assert.equal(seen.data._ladder.status, 'busy');
  const { job: done, state } = await settled(q, job.id);
  assert.equal(state, 'completed', done.failedReason);
  assert.equal(fs.readFileSync(count, 'utf8').trim(), '2');
  assert.equal(done.data._ladder.busy_retries, 2, JSON.stringify(done.data._ladder));
  assert.equal(done.attemptsMade, 1);
  // A run that only found no slot is not an attempt; the delay is gone.
  assert.equal(done.data._ladder.attempt, 1);
  assert.equal(done.data._ladder.next_try_at, undefined);
  assert.equal(done.returnvalue.status, 'ok');
});

test('exit 14 (a ladder stopped at a chunk boundary): back to wait, no attempt used, then completes', async () => {
  const prefix = 'stopped';
  const count = path.join(dir, 'stopped-count');
  fs.writeFileSync(count, '0');
  // The first `ladder job` is stopped (what a SIGTERM from outside the
  // worker, e.g. a container's stop, makes it say); the retry runs ladder.
  const fake = script(dir, 'stopped-ladder', `n=$(cat '${count}')
if [ "$1" = job ] && [ "$n" -lt 1 ]; then echo 1 > '${count}'; echo '{"type":"result","job":"x","status":"error","error":"output: stopped at a chunk boundary with 3 segments kept","exit_code":14}'; exit 14; fi
exec '${ladderBin}' "$@"`);
  await worker({ prefix, queues: ['proxy'], ladderBin: fake });
  const q = queue('proxy', prefix);
  // attempts: 1: had the stop used the attempt, the job would fail.
  const job = await q.add('proxy', { input: media, output: 'stopped', chain: false }, { attempts: 1 });
  const { job: done, state } = await settled(q, job.id);
  assert.equal(state, 'completed', done.failedReason);
  assert.equal(fs.readFileSync(count, 'utf8').trim(), '1');
  assert.equal(done.returnvalue.status, 'ok');
  // The stopped run was a run: this is the second, and its success cleared
  // the stopped run's error.
  assert.equal(done.data._ladder.attempt, 2);
  assert.equal(done.data._ladder.error, undefined);
});

test('attribution after a failed run: attempt 2, the error cleared on success, final progress failed then done', async () => {
  const prefix = 'attempts';
  const count = path.join(dir, 'attempts-count');
  fs.writeFileSync(count, '0');
  // The first `ladder job` fails as an encoder would (exit 8: retried).
  const fake = script(dir, 'failing-ladder', `n=$(cat '${count}')
if [ "$1" = job ] && [ "$n" -lt 1 ]; then echo 1 > '${count}'; echo '{"type":"progress","job":"x","stage":"encode","percent":90}'; echo '{"type":"result","job":"x","status":"error","error":"encoder failed","exit_code":8}'; exit 8; fi
exec '${ladderBin}' "$@"`);
  const w = await worker({ prefix, queues: ['thumbnail'], ladderBin: fake, node: 'n-attempts' });
  const seen = [];
  w.workers[0].on('failed', (job) => seen.push({ progress: job.progress, _ladder: job.data._ladder }));
  const q = queue('thumbnail', prefix);
  const job = await q.add('thumbnail', { input: media, output: 'attempts' }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
  const { job: done, state } = await settled(q, job.id);
  assert.equal(state, 'completed', done.failedReason);
  // The failed run ended at 100 % "failed", not at its last "encode 90 %".
  assert.deepEqual(seen.map((s) => s.progress), [{ stage: 'failed', percent: 100 }]);
  assert.equal(seen[0]._ladder.attempt, 1);
  assert.equal(seen[0]._ladder.exit_code, 8);
  const a = done.data._ladder;
  assert.equal(a.attempt, 2);
  assert.equal(a.status, 'completed');
  assert.equal(a.error, undefined, 'the failed run\'s error stayed');
  assert.equal(a.exit_code, undefined);
  assert.deepEqual(done.returnvalue._ladder, a);
  assert.equal(done.returnvalue.node, 'n-attempts');
  assert.deepEqual(done.progress, { stage: 'done', percent: 100 });
});

test('bad spec: failed at once with the message, no retry; metrics count it', async () => {
  const prefix = 'bad';
  const port = await freePort();
  const w = await worker({ prefix, queues: ['proxy'], metricsPort: port, metricsHost: '127.0.0.1' });
  assert.equal(w.metricsPort, port);
  const q = queue('proxy', prefix);
  // A slip of ladder's own key ("heigth"): a bad spec, not a producer field.
  const bad = await q.add('proxy', { input: media, output: 'bad', heigth: 360 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
  const { job, state } = await settled(q, bad.id);
  assert.equal(state, 'failed');
  assert.equal(job.attemptsMade, 1);
  assert.match(job.failedReason, /unknown key "heigth" for a proxy job: did you mean "height"\?/);
  assert.equal(job.data._ladder.exit_code, 6);
  const ok = await q.add('proxy', { input: media, output: 'good', chain: false });
  assert.equal((await settled(q, ok.id)).state, 'completed');
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(text, /ladder_worker_jobs_total\{queue="proxy",outcome="unrecoverable"\} 1\n/);
  assert.match(text, /ladder_worker_jobs_total\{queue="proxy",outcome="completed"\} 1\n/);
  assert.match(text, /ladder_worker_job_duration_seconds_count\{queue="proxy",outcome="completed"\} 1\n/);
  assert.match(text, /ladder_worker_active_jobs\{queue="proxy"\} 0\n/);
});

test("a producer's payload: foreign keys kept in the job and echoed, a field map, a colon path; a typo fails at once", async () => {
  const prefix = 'producer';
  // What a media-asset system enqueues: its own ids and fields, its own names
  // for the source and the output, a file name with a colon, spaces, unicode.
  const source = makeMedia(dir, 'Interview: part 1 – Zoë.mp4', 1);
  await worker({ prefix, queues: ['proxy', 'thumbnail'], fieldMap: { sourcePath: 'input', assetId: 'output' } });
  const q = queue('proxy', prefix);
  const data = { assetId: 'asset:42/ü', userId: 'u-7', sourcePath: source, callbackUrl: 'https://mam.example/done',
    tags: ['a', 'b'], meta: { tenant: 't1' }, height: 180, chain: false };
  const added = await q.add('proxy', data);
  const { job, state } = await settled(q, added.id);
  assert.equal(state, 'completed', job.failedReason);
  const rv = job.returnvalue;
  assert.equal(rv.outputs[0].path, path.join(dir, 'proxy-asset_42__', 'proxy.mp4'));
  assert.equal(rv.outputs[0].height, 180);
  assert.deepEqual(rv.ignored_keys, ['userId', 'callbackUrl', 'tags', 'meta']);
  assert.deepEqual(rv.producer, { assetId: 'asset:42/ü', userId: 'u-7', sourcePath: source,
    callbackUrl: 'https://mam.example/done', tags: ['a', 'b'], meta: { tenant: 't1' } });
  // job.data: the producer's data as it was, plus the attribution.
  const { _ladder, ...rest } = job.data;
  assert.deepEqual(rest, data);
  assert.equal(_ladder.status, 'completed');
  // Without a map: ladder's own names, the producer's fields alongside.
  const t = queue('thumbnail', prefix);
  const plain = await t.add('thumbnail', { input: source, output: 'poster-42', assetId: 42, userId: 'u-7' });
  const p = await settled(t, plain.id);
  assert.equal(p.state, 'completed', p.job.failedReason);
  assert.deepEqual(p.job.returnvalue.producer, { assetId: 42, userId: 'u-7' });
  assert.ok(fs.existsSync(path.join(dir, 'poster-42', 'thumbnail.jpg')));
  // A slip of one of ladder's keys is still a bad spec: failed at once.
  const typo = await q.add('proxy', { assetId: 'x', inptu: source, sourcePath: source, chain: false }, { attempts: 3 });
  const f = await settled(q, typo.id);
  assert.equal(f.state, 'failed');
  assert.equal(f.job.attemptsMade, 1);
  assert.equal(f.job.data._ladder.exit_code, 6);
  assert.match(f.job.failedReason, /did you mean "input"\?/);
});

test('device metrics: a job is on the cpu while it runs; a completed one adds its busy seconds, the gauge is back to 0', async () => {
  const prefix = 'dev';
  const port = await freePort();
  const w = await worker({ prefix, queues: ['proxy'], metricsPort: port, metricsHost: '127.0.0.1' });
  const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (text, name) => {
    const m = new RegExp(`^${name}\\{device="cpu",kind="cpu"\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const ACTIVE = 'ladder_worker_device_active_jobs';
  const BUSY = 'ladder_worker_device_busy_seconds_total';
  // The CPU is exported from the start, at 0.
  let text = await scrape();
  assert.equal(value(text, ACTIVE), 0, text);
  assert.equal(value(text, BUSY), 0, text);
  // While the job runs (its first progress line): one job on the cpu. Read
  // from the registry in the event itself, not over HTTP: the job must not
  // be over before the read.
  const during = [];
  w.workers.find((x) => x.name === 'proxy').on('progress', () => {
    // (Copied at once: prom-client updates the value objects in place.)
    if (!during.length) during.push(w.metrics.deviceActive.get().then((m) => m.values.map((v) => [v.labels.device, v.labels.kind, v.value])));
  });
  // A job long enough (a few seconds) to be seen running.
  const big = makeMedia(dir, 'dev.mp4', 4, '1280x720');
  const q = queue('proxy', prefix);
  const job = await q.add('proxy', { input: big, output: 'dev', chain: false, height: 720, preset: 'medium' });
  const { job: done, state } = await settled(q, job.id);
  assert.equal(state, 'completed', done.failedReason);
  assert.deepEqual(done.returnvalue.devices, ['cpu']);
  assert.equal(during.length, 1);
  assert.deepEqual(await during[0], [['cpu', 'cpu', 1]]);
  text = await scrape();
  assert.equal(value(text, ACTIVE), 0, text);
  // Busy: from the first progress line to ladder's exit, within ladder's
  // own wall time (which also counts reading the spec and taking the slot).
  const busy = value(text, BUSY);
  assert.ok(busy > 0, text);
  assert.ok(busy <= done.returnvalue.timings.wall_seconds + 0.5, `${busy} > ${done.returnvalue.timings.wall_seconds}`);
  // A job that fails before it reaches a device (a bad spec) adds nothing.
  const bad = await q.add('proxy', { input: media, output: 'dev-bad', heigth: 360 });
  assert.equal((await settled(q, bad.id)).state, 'failed');
  text = await scrape();
  assert.equal(value(text, BUSY), busy, text);
  assert.equal(value(text, ACTIVE), 0, text);
});

test('device tracker: busy time goes to the result devices; the next run of the queue starts on them', async () => {
  assert.deepEqual(deviceLabels('nvidia0'), { device: 'nvidia0', kind: 'nvidia' });
  assert.deepEqual(deviceLabels('cpu'), { device: 'cpu', kind: 'cpu' });
  const m = createMetrics();
  let t = 0;
  const tracker = createDeviceTracker(m, { now: () => t });
  const read = async (metric) => Object.fromEntries((await metric.get()).values.map((v) => [`${v.labels.device}/${v.labels.kind}`, v.value]));
  assert.deepEqual(await read(m.deviceActive), { 'cpu/cpu': 0 });
  const a = tracker.job('ladder');
  a.on(); a.on(); // idempotent
  assert.deepEqual(await read(m.deviceActive), { 'cpu/cpu': 1 });
  t = 2;
  a.off({ status: 'ok', devices: ['nvidia0', 'cpu'] });
  assert.deepEqual(await read(m.deviceBusy), { 'cpu/cpu': 2, 'nvidia0/nvidia': 2 });
  // The queue's next job is counted on what the last one used, and a run
  // that fails (no devices in its result) adds its time to those.
  const b = tracker.job('ladder');
  b.on();
  assert.deepEqual(await read(m.deviceActive), { 'cpu/cpu': 1, 'nvidia0/nvidia': 1 });
  t = 5;
  b.off({ status: 'error', exit_code: 8 });
  assert.deepEqual(await read(m.deviceActive), { 'cpu/cpu': 0, 'nvidia0/nvidia': 0 });
  assert.deepEqual(await read(m.deviceBusy), { 'cpu/cpu': 5, 'nvidia0/nvidia': 5 });
  // Other queues start on the cpu; a job that never reached a device adds nothing.
  const c = tracker.job('proxy');
  c.off(null);
  const d = tracker.job('proxy');
  d.on(); t = 6; d.off(null, 5.5);
  assert.deepEqual(await read(m.deviceBusy), { 'cpu/cpu': 5.5, 'nvidia0/nvidia': 5 });
});

test('class reaches ladder: the result and the ladder report say it; a bad class is a bad spec', async () => {
  const prefix = 'class';
  await worker({ prefix, queues: ['ladder', 'thumbnail'] });
  const lq = queue('ladder', prefix);
  const tq = queue('thumbnail', prefix);
  const rungs = [{ name: '90p', width: 160, height: 90, bitrate: '200k' }];
  const rt = await lq.add('ladder', { input: media, output: 'class-rt', rungs, class: 'realtime' });
  const batch = await tq.add('thumbnail', { input: media, output: 'class-batch', class: 'batch' });
  const plain = await tq.add('thumbnail', { input: media, output: 'class-none' });
  const bad = await tq.add('thumbnail', { input: media, output: 'class-bad', class: 'urgent' }, { attempts: 3 });
  const r = await settled(lq, rt.id);
  assert.equal(r.state, 'completed', r.job.failedReason);
  assert.equal(r.job.returnvalue.class, 'realtime');
  assert.ok(r.job.returnvalue.cpu_slots >= 1);
  assert.deepEqual(r.job.returnvalue.report.priority, { class: 'realtime', yields: 0, yield_seconds: 0 });
  assert.equal(r.job.returnvalue._ladder.class, 'realtime');
  const b = await settled(tq, batch.id);
  assert.equal(b.job.returnvalue.class, 'batch');
  assert.equal(b.job.returnvalue.cpu_slots, 1);
  assert.equal((await settled(tq, plain.id)).job.returnvalue.class, 'batch');
  const f = await settled(tq, bad.id);
  assert.equal(f.state, 'failed');
  assert.equal(f.job.attemptsMade, 1);
  assert.equal(f.job.data._ladder.exit_code, 6);
  assert.match(f.job.failedReason, /"class" 'urgent'/);
});

test('exit-75 back-off: exponential, capped, jittered to 50..100 %', () => {
  assert.equal(busyDelay(0, 1000, 60000, () => 1), 1000);
  assert.equal(busyDelay(3, 1000, 60000, () => 1), 8000);
  assert.equal(busyDelay(3, 1000, 60000, () => 0), 4000);
  assert.equal(busyDelay(20, 1000, 60000, () => 1), 60000);
  assert.equal(busyDelay(100, 1000, 60000, () => 0.5), 45000);
});
