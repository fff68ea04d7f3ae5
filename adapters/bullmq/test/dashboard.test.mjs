// The operations page in headless Chromium: a worker process (heartbeats,
// DASHBOARD_PORT) and `ladder-worker dashboard` on a private redis-server;
// the panel shows a running job's node, GPU (attribution) and progress bar,
// the recent jobs, Bull Board loads, and a dead worker disappears after its
// heartbeat TTL. Screenshots are saved as artefacts ($LADDER_ARTIFACT_DIR,
// else $TMPDIR) and their paths printed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { readNodes } from '../src/heartbeat.mjs';
import { alive, childrenOf, freePort, ladderBin, makeMedia, repoRoot, spawnWorker, startRedis, tmpDir, waitFor } from './helpers.mjs';

// The project's pinned playwright-core (tests/e2e) and Debian's Chromium,
// launched as tests/e2e/lib/player.mjs does.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  let where;
  try {
    where = createRequire(path.join(repoRoot, 'tests/e2e/package.json')).resolve('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core is not installed (npm ci --prefix tests/e2e): ${e.message}`);
  }
  const { chromium } = (await import(pathToFileURL(where).href)).default ?? await import(pathToFileURL(where).href);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

const PREFIX = 'ops';
const NODE = 'ops-node-a';
let dir; let redis; let quick; let slow; let conn; let browser;
const procs = [];
const queues = [];
const ladders = [];

before(async () => {
  dir = tmpDir('ladder-bullmq-ops-');
  redis = await startRedis(dir);
  quick = makeMedia(dir, 'quick.mp4', 1, '160x90');
  // Conformed to 1080p at preset slow, 10 s run far longer than the test
  // looks at it; the worker is killed while it runs.
  slow = makeMedia(dir, 'slow.mp4', 10);
  conn = new IORedis(redis.url, { maxRetriesPerRequest: null });
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const pid of ladders) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const q of queues) await q.close().catch(() => {});
  if (conn) await conn.quit().catch(() => {});
  if (redis) await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function queue(name) {
  const q = new Queue(name, { connection: conn, prefix: PREFIX });
  queues.push(q);
  return q;
}

function artefact(name) {
  const base = process.env.LADDER_ARTIFACT_DIR || os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return path.join(base, `ladder-${name}-${process.pid}.png`);
}

function assertPng(file) {
  assert.ok(fs.existsSync(file), `${file} missing`);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is not a PNG`);
  assert.ok(bytes.length > 10000, `${file}: only ${bytes.length} bytes`);
}

const gpuText = (gpu) => (gpu ? `${gpu.name || gpu.uuid || 'GPU'}${gpu.index === null || gpu.index === undefined ? '' : ` #${gpu.index}`}` : 'CPU only');

test('operations page: nodes, devices, running job with progress, recent jobs, Bull Board; a dead worker disappears', async (t) => {
  const workerDashboard = await freePort();
  const worker = spawnWorker({
    REDIS_URL: redis.url, LADDER_BIN: ladderBin, OUTPUT_ROOT: dir, QUEUE_PREFIX: PREFIX,
    WORKER_QUEUES: 'proxy,conform', NODE_NAME: NODE, LADDER_TIER: 'heavy',
    HEARTBEAT_MS: '300', HEARTBEAT_TTL_MS: '2000', DASHBOARD_PORT: String(workerDashboard),
  });
  procs.push(worker);
  const port = await freePort();
  const dashboard = spawnWorker({ REDIS_URL: redis.url, QUEUE_PREFIX: PREFIX, DASHBOARD_PORT: String(port) }, ['dashboard']);
  procs.push(dashboard);
  await Promise.all([worker.ready, dashboard.ready]);
  const url = `http://127.0.0.1:${port}`;

  // A finished job for the recent list: the way a platform API enqueues.
  const proxyQ = queue('proxy');
  const done = await proxyQ.add('proxy', { input: quick, output: 'ops-proxy', chain: false });
  await waitFor('proxy completed', async () => (await proxyQ.getJobState(done.id)) === 'completed', 60000);
  const conformQ = queue('conform');
  const job = await conformQ.add('conform', { input: slow, output: 'ops-slow', width: 1920, height: 1080, preset: 'slow', class: 'realtime' });
  // Running, and its heartbeat carries encode progress.
  const beat = await waitFor('heartbeat with encode progress', async () => {
    const nodes = await readNodes(conn, PREFIX);
    const n = nodes.find((x) => x.node === NODE);
    const r = n && n.running.find((j) => j.id === String(job.id));
    return r && r.progress.stage === 'encode' && r.progress.percent > 0 ? { n, r } : null;
  }, 90000);
  ladders.push(...childrenOf(worker.pid));
  const attribution = (await conformQ.getJob(job.id)).data._ladder;
  assert.equal(attribution.node, NODE);
  assert.equal(attribution.class, 'realtime');
  assert.deepEqual(beat.r.gpu, attribution.gpu);
  assert.equal(beat.n.tier, 'heavy');
  assert.ok(beat.n.devices.length > 0 && beat.n.devices.every((d) => d.kind && d.name && d.state), JSON.stringify(beat.n.devices));
  // What runs on each device now: the job is on the CPU, which is busy with it.
  assert.deepEqual(beat.r.devices, ['cpu']);
  const cpu = beat.n.devices.find((d) => d.id === 'cpu');
  assert.ok(cpu, JSON.stringify(beat.n.devices));
  assert.equal(cpu.state, 'busy');
  assert.deepEqual(cpu.running.map((j) => [j.queue, j.id, j.stage]), [['conform', String(job.id), 'encode']]);

  // The worker's own page (DASHBOARD_PORT) answers the same API.
  const own = await (await fetch(`http://127.0.0.1:${workerDashboard}/api/nodes`)).json();
  assert.ok(own.nodes.some((n) => n.node === NODE));

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/`);
  const row = page.locator(`[data-testid=running-job][data-job="${job.id}"]`);
  await row.waitFor({ timeout: 15000 });
  assert.equal((await row.locator('[data-testid=job-node]').textContent()).trim(), NODE);
  assert.equal((await row.locator('[data-testid=gpu]').textContent()).trim(), gpuText(attribution.gpu));
  const bar = row.locator('progress[data-testid=progress]');
  assert.equal(await bar.count(), 1);
  await waitFor('progress bar above 0', async () => Number(await bar.getAttribute('value')) > 0, 15000);
  // The node's devices, as `ladder devices --json` said at start-up, and
  // what runs on each now: the CPU is busy with the job, not "idle".
  const node = page.locator(`[data-testid=node][data-node="${NODE}"]`);
  assert.ok(await node.locator('[data-testid=device]').count() > 0);
  const cpuRow = node.locator('[data-testid=device][data-device=cpu]');
  assert.equal((await cpuRow.locator('[data-testid=device-state]').textContent()).trim(), 'busy');
  assert.match(await cpuRow.locator('[data-testid=device-now]').textContent(), new RegExp(`conform ${job.id}: encode \\d+%`));
  assert.equal((await row.locator('[data-testid=job-devices]').textContent()).trim(), 'cpu');
  // The finished proxy in the recent jobs, with its node and GPU.
  const recent = page.locator(`[data-testid=recent-job][data-queue=proxy][data-job="${done.id}"]`);
  await recent.waitFor({ timeout: 10000 });
  const proxyGpu = (await proxyQ.getJob(done.id)).returnvalue._ladder.gpu;
  assert.equal((await recent.locator('[data-testid=job-node]').textContent()).trim(), NODE);
  assert.equal((await recent.locator('[data-testid=gpu]').textContent()).trim(), gpuText(proxyGpu));
  const shot = artefact('dashboard-nodes');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);
  assertPng(shot);

  // Bull Board, linked from the panel.
  await page.click('[data-testid=queues-link]');
  await page.waitForURL(/\/queues\/?$/);
  await page.getByText('conform', { exact: false }).first().waitFor({ timeout: 20000 });
  await page.getByText('proxy', { exact: false }).first().waitFor({ timeout: 5000 });
  const board = artefact('dashboard-bullboard');
  await page.screenshot({ path: board, fullPage: true });
  t.diagnostic(`screenshot: ${board}`);
  assertPng(board);
  assert.deepEqual(errors, []);

  // kill -9: no goodbye, the heartbeat key expires after its TTL (2 s).
  worker.kill('SIGKILL');
  await worker.exited;
  await waitFor('dead worker gone from /api/nodes', async () => {
    const data = await (await fetch(`${url}/api/nodes`)).json();
    return !data.nodes.some((n) => n.node === NODE);
  }, 10000);
  await page.goto(`${url}/`);
  await page.locator('[data-testid=no-nodes]').waitFor({ timeout: 10000 });
  await page.close();
  dashboard.kill('SIGTERM');
  assert.equal((await dashboard.exited).code, 0, dashboard.log);
});
