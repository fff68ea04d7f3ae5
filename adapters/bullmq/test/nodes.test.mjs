// The seed's topology on one Redis: two heavy worker processes on two nodes
// (proxy, conform, trim: a strong card each) and a light one (thumbnail,
// filmstrip only: a weak card never takes a heavy job), fed 50 mixed jobs
// by a producer written the way a platform API writes one (a plain
// `new Queue(type).add(type, data)`, BullMQ's default prefix). Every job
// completes exactly once, heavy types only on the heavy nodes (both take
// some: competing consumers), light ones only on the light worker, each
// output exists once, and each job says where it ran, with one node name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { ladderBin, makeMedia, spawnWorker, startRedis, tmpDir, waitFor } from './helpers.mjs';

const HEAVY = ['proxy', 'conform', 'trim'];
const LIGHT = ['thumbnail', 'filmstrip'];
const TYPES = [...HEAVY, ...LIGHT];
const TOTAL = 50;

let dir; let redis; let media;
const procs = [];
const closers = [];

before(async () => {
  dir = tmpDir('ladder-bullmq-nodes-');
  redis = await startRedis(dir);
  media = makeMedia(dir, 'tiny.mp4', 1, '160x90');
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const c of closers.reverse()) await c.close().catch(() => {});
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// The platform's side: it knows the queue names and the job data, nothing
// of the worker (no prefix, no options).
function platformProducer(redisUrl) {
  const connection = { url: redisUrl };
  const queues = new Map();
  return {
    enqueue(type, data) {
      if (!queues.has(type)) queues.set(type, new Queue(type, { connection }));
      return queues.get(type).add(type, data);
    },
    close: () => Promise.all([...queues.values()].map((q) => q.close())),
  };
}

const jobData = (type, i) => {
  const base = { input: media, output: `${type}-${i}` };
  switch (type) {
    case 'proxy': return { ...base, height: 90, chain: false };
    case 'conform': return { ...base, width: 160, height: 90, preset: 'ultrafast' };
    case 'trim': return { ...base, in: 0.2, out: 0.8, preset: 'ultrafast' };
    case 'thumbnail': return { ...base, width: 160 };
    default: return { ...base, count: 4 };
  }
};

test('two heavy workers and a light one, 50 mixed jobs: each done exactly once, each type only on its tier', async (t) => {
  const common = { REDIS_URL: redis.url, LADDER_BIN: ladderBin, OUTPUT_ROOT: dir, HEARTBEAT_MS: '500' };
  const heavyA = spawnWorker({ ...common, NODE_NAME: 'heavy-a', LADDER_TIER: 'heavy', WORKER_QUEUES: HEAVY.join(','), PROXY_CONCURRENCY: '2' });
  const heavyB = spawnWorker({ ...common, NODE_NAME: 'heavy-b', LADDER_TIER: 'heavy', WORKER_QUEUES: HEAVY.join(',') });
  const light = spawnWorker({ ...common, NODE_NAME: 'light-a', LADDER_TIER: 'light', WORKER_QUEUES: LIGHT.join(','), THUMBNAIL_CONCURRENCY: '2', FILMSTRIP_CONCURRENCY: '2' });
  const workers = [heavyA, heavyB, light];
  procs.push(...workers);
  await Promise.all(workers.map((w) => w.ready));

  // Completions as BullMQ announces them, counted per job.
  const completed = new Map(); // `${type}:${id}` -> count
  const failed = [];
  for (const type of TYPES) {
    const events = new QueueEvents(type, { connection: { url: redis.url } });
    closers.push(events);
    events.on('completed', ({ jobId }) => completed.set(`${type}:${jobId}`, (completed.get(`${type}:${jobId}`) || 0) + 1));
    events.on('failed', ({ jobId, failedReason }) => failed.push(`${type}:${jobId}: ${failedReason}`));
    await events.waitUntilReady();
  }

  const producer = platformProducer(redis.url);
  closers.push(producer);
  const jobs = [];
  for (let i = 0; i < TOTAL; i++) {
    const type = TYPES[i % TYPES.length];
    const job = await producer.enqueue(type, jobData(type, i));
    jobs.push({ type, id: String(job.id), output: `${type}-${i}` });
  }
  const t0 = Date.now();
  await waitFor(`${TOTAL} completions`, () => {
    assert.deepEqual(failed, []);
    return completed.size === TOTAL;
  }, 150000, 100);
  const seconds = (Date.now() - t0) / 1000;

  // Read each job back through the same plain queues.
  const where = { 'heavy-a': {}, 'heavy-b': {}, 'light-a': {} };
  for (const j of jobs) {
    const q = new Queue(j.type, { connection: { url: redis.url } });
    closers.push(q);
    const job = await q.getJob(j.id);
    assert.equal(await job.getState(), 'completed', `${j.type}:${j.id}`);
    assert.equal(job.attemptsMade, 1, `${j.type}:${j.id} attempts`);
    const rv = job.returnvalue;
    assert.equal(rv.status, 'ok');
    assert.equal(rv.job_type, j.type);
    const node = rv._ladder.node;
    assert.ok(node in where, node);
    assert.equal(rv.node, node, 'one node name in the result and the attribution');
    assert.equal(rv._ladder.tier, HEAVY.includes(j.type) ? 'heavy' : 'light', `${j.type}:${j.id} ran on ${node}`);
    assert.equal(rv._ladder.attempt, 1);
    assert.deepEqual(job.progress, { stage: 'done', percent: 100 });
    where[node][j.type] = (where[node][j.type] || 0) + 1;
    assert.ok(rv.outputs.length > 0);
    for (const o of rv.outputs) {
      assert.equal(path.dirname(o.path), path.join(dir, j.output));
      assert.ok(fs.statSync(o.path).size > 0, o.path);
    }
  }
  // One completion event per job, no other.
  for (const j of jobs) assert.equal(completed.get(`${j.type}:${j.id}`), 1, `${j.type}:${j.id}`);
  // Every output once, nothing half-written left behind.
  const entries = fs.readdirSync(dir).filter((e) => fs.statSync(path.join(dir, e)).isDirectory());
  assert.deepEqual(entries.sort(), jobs.map((j) => j.output).sort());
  // Competing consumers: both heavy nodes took heavy jobs.
  for (const n of ['heavy-a', 'heavy-b']) assert.ok(Object.keys(where[n]).length > 0, `${n} ran nothing: ${JSON.stringify(where)}`);
  t.diagnostic(`${TOTAL} jobs in ${seconds.toFixed(1)} s; by node: ${JSON.stringify(where)}`);

  for (const p of workers) p.kill('SIGTERM');
  for (const p of workers) assert.equal((await p.exited).code, 0, p.log);
});
