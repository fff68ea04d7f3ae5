// startWorker(options): one BullMQ Worker per subscribed queue, each job run
// as `ladder job -` (see README, "BullMQ worker"). Returns { close(), ... }.
import crypto from 'node:crypto';
import { Worker, Queue, DelayedError, UnrecoverableError, WaitingError } from 'bullmq';
import IORedis from 'ioredis';
import { normalise } from './config.mjs';
import { jobToSpec } from './spec.mjs';
import { runLadderJob } from './runner.mjs';
import { attribution, devicesFacts, probeDevices } from './attribution.mjs';
import { createDeviceTracker, createMetrics, serveMetrics } from './metrics.mjs';
import { chainJobs } from './chain.mjs';
import { createHeartbeat } from './heartbeat.mjs';

// ladder's "the job description is wrong" codes (12: input over a limit, 13:
// refused by the security policy): retrying cannot help.
export const UNRECOVERABLE_CODES = new Set([3, 4, 5, 6, 12, 13]);
export const BUSY_CODE = 75;
export const CANCELLED_CODE = 130;
// A ladder job stopped at a chunk boundary (SIGTERM): its finished segments
// wait in output_root for the next attempt, which continues from them.
export const STOPPED_CODE = 14;

// Exponential back-off with jitter for "no free host slot": base * 2^n,
// capped, then a random 50..100 % of it so a crowd of waiting jobs spreads.
export function busyDelay(retries, baseMs, maxMs, random = Math.random) {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(retries, 30));
  return Math.max(1, Math.round(full * (0.5 + 0.5 * random())));
}

function errorText(run) {
  if (run.result && run.result.error) return run.result.error;
  if (run.spawnError) return `cannot run ladder: ${run.spawnError.message}`;
  const tail = (run.stderr || '').trim().split('\n').pop();
  const how = run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
  return tail ? `ladder ${how}: ${tail}` : `ladder ${how}`;
}

export async function startWorker(options = {}) {
  const config = normalise(options);
  const facts = config.devices ? devicesFacts(config.devices) : await probeDevices(config.ladderBin);
  const workerId = `${config.node}/${process.pid}/${crypto.randomBytes(3).toString('hex')}`;
  const metrics = createMetrics();
  const deviceTracker = createDeviceTracker(metrics);
  const children = new Set();
  let stopping = false;

  const connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null });
  const chainQueues = new Map();
  const queueFor = (name) => {
    if (!chainQueues.has(name)) chainQueues.set(name, new Queue(name, { connection, prefix: config.prefix }));
    return chainQueues.get(name);
  };

  const heartbeat = createHeartbeat({
    connection, config, facts, workerId,
    intervalMs: config.heartbeatMs, ttlMs: config.heartbeatTtlMs,
    onError: (err) => { if (options.onError) options.onError(err); },
  });

  const stamp = async (job, fields) => {
    const _ladder = { ...(job.data && job.data._ladder), ...fields };
    await job.updateData({ ...job.data, _ladder });
    return _ladder;
  };

  async function processJob(queue, job, token) {
    let status = 'failed';
    heartbeat.jobStarted(queue, job, job.data && job.data.class);
    try {
      const out = await runJob(queue, job, token);
      status = 'completed';
      return out;
    } catch (err) {
      if (err instanceof DelayedError) status = 'busy';
      else if (err instanceof WaitingError) status = 'requeued';
      throw err;
    } finally {
      heartbeat.jobFinished(queue, job, status);
    }
  }

  async function runJob(queue, job, token) {
    const who = attribution({ config, facts, workerId, job });
    const klass = job.data && job.data.class;
    await stamp(job, { ...who, class: klass ?? null, status: 'running', started_at: new Date().toISOString() });
    const spec = jobToSpec(queue, job, config);
    const t0 = process.hrtime.bigint();
    metrics.active.inc({ queue });
    const onDevice = deviceTracker.job(queue);
    let run;
    try {
      run = await runLadderJob({
        ladderBin: config.ladderBin,
        spec,
        onSpawn: (child) => {
          children.add(child);
          child.once('close', () => children.delete(child));
        },
        onProgress: (p) => {
          onDevice.on();
          const progress = { stage: p.stage, percent: p.percent };
          heartbeat.jobProgress(queue, job, progress);
          return job.updateProgress(progress);
        },
      });
    } finally {
      metrics.active.dec({ queue });
      onDevice.off(run && run.result, run && run.exitedAt);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const done = (outcome) => {
      metrics.jobs.inc({ queue, outcome });
      metrics.duration.observe({ queue, outcome }, seconds);
    };
    const finished_at = new Date().toISOString();

    if (run.code === 0 && run.result && run.result.status === 'ok') {
      const _ladder = await stamp(job, { ...who, status: 'completed', finished_at });
      if (queue === 'proxy') await chainJobs({ job, spec, result: run.result, queueFor });
      done('completed');
      return { ...run.result, _ladder };
    }
    const message = errorText(run);
    if (stopping || run.code === STOPPED_CODE) {
      // Shutdown cut the job short (ladder stopped at a chunk boundary, exit
      // 14; cancelled, exit 130; or worse), or someone stopped the ladder:
      // back to wait without using an attempt; another worker takes it (a
      // ladder job on this host continues from the stopped attempt's
      // segments).
      await stamp(job, { status: 'requeued', finished_at, error: message });
      done('requeued');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (run.code === BUSY_CODE) {
      const retries = (job.data._ladder && job.data._ladder.busy_retries) || 0;
      const delay = busyDelay(retries, config.busyBackoffMs, config.busyBackoffMaxMs);
      await stamp(job, { status: 'busy', busy_retries: retries + 1, next_try_at: new Date(Date.now() + delay).toISOString() });
      done('busy_retry');
      // BullMQ's manual delay: the job goes to the delayed set and the
      // attempt is not counted (skipAttempt); DelayedError tells the worker.
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
    await stamp(job, { status: 'failed', finished_at, exit_code: run.code, error: message });
    if (UNRECOVERABLE_CODES.has(run.code)) {
      done('unrecoverable');
      throw new UnrecoverableError(message);
    }
    done('failed');
    const err = new Error(message);
    err.exitCode = run.code;
    throw err;
  }

  const workers = config.queues.map((queue) => new Worker(
    queue,
    (job, token) => processJob(queue, job, token),
    {
      connection,
      prefix: config.prefix,
      concurrency: config.concurrency[queue],
      name: workerId,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
    },
  ));
  for (const w of workers) w.on('error', (err) => { if (options.onError) options.onError(err); });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  await heartbeat.start();
  let server = null;
  if (config.metricsPort) server = await serveMetrics(metrics.registry, config.metricsPort, config.metricsHost);
  // The operations page in the worker's process (DASHBOARD_PORT), loaded
  // only when asked for: a plain worker never loads express.
  let dashboard = null;
  if (config.dashboardPort) {
    const { startDashboard } = await import('./dashboard.mjs');
    dashboard = await startDashboard({ redisUrl: config.redisUrl, prefix: config.prefix, port: config.dashboardPort, host: config.dashboardHost });
  }

  let closing = null;
  // Graceful: stop taking jobs, give the running ones the grace period, then
  // SIGTERM the ladder children (a ladder job stops at its next chunk
  // boundary, exit 14, keeping its segments for the retry; the others
  // cancel, exit 130; the jobs go back to wait), and SIGKILL whatever still
  // runs 10 s later (a killed ladder job's journal still counts).
  async function close() {
    if (closing) return closing;
    closing = (async () => {
      const closed = Promise.all(workers.map((w) => w.close()));
      let timer;
      await Promise.race([closed, new Promise((r) => { timer = setTimeout(r, config.shutdownGraceMs); })]);
      clearTimeout(timer);
      if (children.size) {
        stopping = true;
        for (const c of children) c.kill('SIGTERM');
        const hard = setTimeout(() => { for (const c of children) c.kill('SIGKILL'); }, 10000);
        await closed;
        clearTimeout(hard);
      } else {
        await closed;
      }
      await heartbeat.stop();
      if (dashboard) await dashboard.close();
      await Promise.all([...chainQueues.values()].map((q) => q.close()));
      await connection.quit().catch(() => connection.disconnect());
      if (server) await new Promise((r) => server.close(r));
    })();
    return closing;
  }

  return {
    close,
    workerId,
    facts,
    config,
    workers,
    metrics,
    children,
    metricsPort: server ? server.address().port : 0,
    dashboardPort: dashboard ? dashboard.port : 0,
    heartbeatKey: heartbeat.key,
  };
}
