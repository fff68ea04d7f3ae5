// startWorker(options): one BullMQ Worker per subscribed queue, each job run
// as `ladder job -` (see README, "BullMQ worker"). Returns { close(), ... }.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { Worker, Queue, DelayedError, UnrecoverableError, WaitingError } from 'bullmq';
import IORedis from 'ioredis';
import { normalise } from './config.mjs';
import { jobToSpec, producerFields } from './spec.mjs';
import { runLadderJob } from './runner.mjs';
import { attribution, devicesFacts, probeDevices, runAttempt } from './attribution.mjs';
import { createDeviceTracker, createMetrics, serveMetrics } from './metrics.mjs';
import { chainJobs } from './chain.mjs';
import { createHeartbeat } from './heartbeat.mjs';

const execFileAsync = promisify(execFile);

// What a ladder exit status makes of the job, by the class ladder gives it
// (`ladder help exit-codes --json`: LADDER_ERROR_TABLE of
// include/ladder/error.h, read once at start-up):
//   fix-input    the job description is wrong (input missing or invalid, no
//                video, bad spec, input over a limit, refused by the security
//                policy, the output exists and another job made it):
//                UnrecoverableError, retrying cannot help;
//   retry-later  no free host slot: delayed with back-off, no attempt used;
//   stopped      stopped at a chunk boundary (SIGTERM): back to wait, its
//                finished segments wait in output_root for the next attempt,
//                which continues from them;
//   cancelled    a second signal: as any failure, unless the worker stops;
//   any other    an ordinary failure: the job's attempts/backoff apply.
export function exitPolicy(list) {
  const exits = (cls) => new Set(list.filter((e) => e.class === cls).map((e) => e.exit));
  return { unrecoverable: exits('fix-input'), retryLater: exits('retry-later'), stopped: exits('stopped'), cancelled: exits('cancelled') };
}

// The same policy, as ladder's table has it, for a ladder that cannot say
// (older than `help exit-codes --json`, or failing to run at start-up).
// adapters/bullmq/test/exit_codes.test.mjs checks that it is what the
// table gives.
export const FALLBACK_EXIT_POLICY = Object.freeze({
  unrecoverable: new Set([3, 4, 5, 6, 12, 13, 16, 17]),
  retryLater: new Set([75]),
  stopped: new Set([14]),
  cancelled: new Set([130]),
});

// ladder's list, checked: rows of integer exit statuses and string classes,
// with every class the worker acts on present.
function exitList(stdout) {
  const list = JSON.parse(stdout);
  if (!Array.isArray(list) || !list.every((e) => e && Number.isInteger(e.exit) && typeof e.class === 'string')) {
    throw new Error('not a list of {exit, class}');
  }
  const missing = ['fix-input', 'retry-later', 'stopped'].filter((c) => !list.some((e) => e.class === c));
  if (missing.length) throw new Error(`no ${missing.join(', ')} row`);
  return list;
}

// The exit policy of this worker's ladder: from the binary, else (one line
// in the log) the built-in copy.
export async function loadExitPolicy(ladderBin, log) {
  try {
    const { stdout } = await execFileAsync(ladderBin, ['help', 'exit-codes', '--json'], { timeout: 30000, maxBuffer: 1 << 20 });
    return exitPolicy(exitList(stdout));
  } catch (err) {
    // One line: ladder's last word on stderr, else the error's own text.
    const why = ((err.stderr && String(err.stderr).trim().split('\n').pop()) || err.message).replace(/\s+/g, ' ');
    log({ level: 'warn', msg: `cannot read ladder's exit codes (${ladderBin} help exit-codes --json: ${why}); using the built-in table` });
    return FALLBACK_EXIT_POLICY;
  }
}

// The worker process's own exit status (bin/ladder-worker.mjs) when a
// shutdown ran out of SHUTDOWN_GRACE_MS (Redis unreachable, or a ladder that
// would not stop): `timeout`'s code. 0: a clean close; 1: an error; 2: bad
// configuration.
export const GRACE_RAN_OUT_EXIT = 124;
// The last part of the grace in which the ladder children are stopped
// (SIGTERM) and their jobs put back: 10 s, or half of a shorter grace.
export const STOP_WINDOW_MS = 10000;

/** @typedef {{ stage: string, percent: number }} LadderProgress  job.progress, as ladder's progress lines say it */

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

// BullMQ's error for a job whose hash is gone from Redis (Redis restarted
// without persistence, a FLUSHALL, the job removed while it ran).
export function isMissingKey(err) {
  return /Missing key for job /.test(String(err && err.message));
}

function missingKeyJobId(message) {
  const m = /Missing key for job (\S+?)\.(?:\s|$)/.exec(message) || /could not renew lock for job (\S+)$/.exec(message);
  return m ? m[1] : null;
}

// Whether Redis keeps its data over a restart: AOF (appendonly yes) or RDB
// snapshots (a non-empty `save`). CONFIG may be refused (managed Redis):
// then INFO's aof_enabled, else unknown.
export async function redisPersistence(connection) {
  const value = (reply, key) => (Array.isArray(reply) ? reply[1] : reply && typeof reply === 'object' ? reply[key] : undefined);
  try {
    const [aof, save] = await Promise.all([connection.config('GET', 'appendonly'), connection.config('GET', 'save')]);
    const a = value(aof, 'appendonly');
    const s = value(save, 'save');
    if (a === undefined || s === undefined) throw new Error('CONFIG GET gave nothing');
    return { known: true, aof: a === 'yes', rdb: String(s).trim() !== '', via: 'config' };
  } catch (err) {
    let info = '';
    try { info = String(await connection.info('persistence')); } catch { /* refused too */ }
    const m = /aof_enabled:(\d)/.exec(info);
    if (m && m[1] === '1') return { known: true, aof: true, rdb: null, via: 'info' };
    return { known: false, aof: m ? false : null, rdb: null, via: null, reason: err.message };
  }
}

export function persistenceText(p) {
  if (!p.known) return 'unknown';
  return [p.aof && 'aof', p.rdb && 'rdb'].filter(Boolean).join('+') || 'none';
}

const PERSISTENCE_RISK = 'if it restarts, the jobs running then lose their completion (BullMQ: "Missing key for job N"; '
  + 'their outputs are written) and waiting jobs are lost';

function defaultLog(fields) {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

export async function startWorker(options = {}) {
  const config = normalise(options);
  const log = options.log || defaultLog;
  const onError = (err) => { if (options.onError) options.onError(err); else log({ level: 'error', msg: err.message }); };
  const [facts, exits] = await Promise.all([
    config.devices ? devicesFacts(config.devices) : probeDevices(config.ladderBin),
    loadExitPolicy(config.ladderBin, log),
  ]);
  const workerId = `${config.node}/${process.pid}/${crypto.randomBytes(3).toString('hex')}`;
  const metrics = createMetrics();
  const deviceTracker = createDeviceTracker(metrics);
  const children = new Set();
  let stopping = false;
  // Optional OpenTelemetry (bullmq-otel, README): a BullMQ Telemetry instance.
  const telemetry = options.telemetry || await loadTelemetry(config.otel);

  const connection = new IORedis(config.redisUrl, { maxRetriesPerRequest: null });
  const chainQueues = new Map();
  const queueFor = (name) => {
    if (!chainQueues.has(name)) chainQueues.set(name, new Queue(name, { connection, prefix: config.prefix, ...(telemetry ? { telemetry } : {}) }));
    return chainQueues.get(name);
  };

  const heartbeat = createHeartbeat({
    connection, config, facts, workerId,
    intervalMs: config.heartbeatMs, ttlMs: config.heartbeatTtlMs,
    onError,
  });

  // Jobs known to be gone from Redis (`${queue}:${id}`): what BullMQ then
  // reports about them ("Missing key", "could not renew lock") was said.
  const gone = new Set();
  // Completions returned to BullMQ and not yet recorded (`${queue}:${id}` ->
  // outputs), for a job whose key goes in between.
  const finishing = new Map();
  const forget = (set, key) => setTimeout(() => set.delete(key), 10 * 60 * 1000).unref();

  // One line for a job whose end cannot be recorded: what it was, and its
  // outputs (written) so an operator can reconcile.
  function lostLine(queue, id, what, extra) {
    const key = `${queue}:${id}`;
    gone.add(key);
    forget(gone, key);
    log({
      level: 'error',
      msg: `job ${id} on ${queue} is gone from Redis: its ${what} cannot be recorded (Redis restarted without `
        + 'persistence, was flushed, or the job was removed while it ran)',
      queue, job: String(id), ...extra,
    });
  }

  // _ladder in job.data: the previous run's fields, less `drop`, plus fields.
  const stamp = async (job, fields, drop = []) => {
    const prev = { ...(job.data && job.data._ladder) };
    for (const k of drop) delete prev[k];
    const _ladder = { ...prev, ...fields };
    await job.updateData({ ...job.data, _ladder });
    return _ladder;
  };

  async function processJob(queue, job, token) {
    let status = 'failed';
    // A job with this id runs: what was said of an earlier one (a job id
    // reused after Redis lost its data) is not about it.
    gone.delete(`${queue}:${job.id}`);
    finishing.delete(`${queue}:${job.id}`);
    const attempt = runAttempt(job);
    heartbeat.jobStarted(queue, job, job.data && job.data.class, attempt);
    const ctx = { outputs: null, outcome: null };
    try {
      const out = await runJob(queue, job, token, attempt, ctx);
      status = 'completed';
      return out;
    } catch (err) {
      if (err instanceof DelayedError) status = 'busy';
      else if (err instanceof WaitingError) status = 'requeued';
      else if (isMissingKey(err)) {
        status = 'lost';
        metrics.jobs.inc({ queue, outcome: 'lost' });
        lostLine(queue, job.id, ctx.outcome || 'run', ctx.outputs
          ? { outcome: ctx.outcome, outputs: ctx.outputs.map((o) => o.path), output_dir: ctx.outputDir }
          : { outcome: ctx.outcome });
      }
      throw err;
    } finally {
      heartbeat.jobFinished(queue, job, status);
    }
  }

  async function runJob(queue, job, token, attempt, ctx) {
    const who = attribution({ config, facts, workerId, attempt });
    const klass = job.data && job.data.class;
    await stamp(job, { ...who, class: klass ?? null, status: 'running', started_at: new Date().toISOString() },
      ['finished_at', 'next_try_at']);
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
          const devices = onDevice.on();
          const progress = { stage: p.stage, percent: p.percent };
          heartbeat.jobProgress(queue, job, progress, devices);
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
      ctx.outcome = 'completion';
      ctx.outputs = run.result.outputs || [];
      ctx.outputDir = spec.output_root && spec.output ? `${spec.output_root}/${spec.output}` : null;
      // The node is the worker's (NODE_NAME, else the host name), as in
      // _ladder; ladder's own host name stays as `host` when it differs.
      const result = { ...run.result, node: config.node };
      if (run.result.node && run.result.node !== config.node) result.host = run.result.node;
      // A success clears what an earlier run left (its error and exit code).
      const _ladder = await stamp(job, { ...who, status: 'completed', finished_at }, ['error', 'exit_code', 'next_try_at']);
      if (queue === 'proxy') await chainJobs({ job, spec, result: run.result, queueFor });
      await job.updateProgress({ stage: 'done', percent: 100 });
      done('completed');
      const key = `${queue}:${job.id}`;
      finishing.set(key, { outputs: ctx.outputs, output_dir: ctx.outputDir });
      forget(finishing, key);
      // The producer's own fields come back with the result (job.data keeps them too).
      return { ...result, producer: producerFields(queue, job, config, run.result), _ladder };
    }
    const message = errorText(run);
    ctx.outcome = `failure (exit ${run.code}: ${message})`;
    if (stopping || exits.stopped.has(run.code)) {
      // Shutdown cut the job short (ladder stopped at a chunk boundary, exit
      // 14; cancelled, exit 130; or worse), or someone stopped the ladder:
      // back to wait without using an attempt; another worker takes it (a
      // ladder job on this host continues from the stopped attempt's
      // segments).
      ctx.outcome = 'return to the queue';
      await stamp(job, { status: 'requeued', finished_at, error: message });
      await job.updateProgress({ stage: 'requeued', percent: 0 });
      done('requeued');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (exits.retryLater.has(run.code)) {
      ctx.outcome = `back-off (exit ${run.code})`;
      const retries = (job.data._ladder && job.data._ladder.busy_retries) || 0;
      const delay = busyDelay(retries, config.busyBackoffMs, config.busyBackoffMaxMs);
      await stamp(job, { status: 'busy', busy_retries: retries + 1, next_try_at: new Date(Date.now() + delay).toISOString() });
      await job.updateProgress({ stage: 'busy', percent: 0 });
      done('busy_retry');
      // BullMQ's manual delay: the job goes to the delayed set and the
      // attempt is not counted (skipAttempt); DelayedError tells the worker.
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
    await stamp(job, { status: 'failed', finished_at, exit_code: run.code, error: message });
    await job.updateProgress({ stage: 'failed', percent: 100 });
    if (exits.unrecoverable.has(run.code)) {
      done('unrecoverable');
      throw new UnrecoverableError(message);
    }
    done('failed');
    const err = new Error(message);
    err.exitCode = run.code;
    throw err;
  }

  // What BullMQ reports about a job that is gone: said once by lostLine (or
  // here, for a completion whose key went after the processor returned).
  async function workerError(queue, err) {
    const id = missingKeyJobId(err.message);
    const key = id === null ? null : `${queue}:${id}`;
    if (key && gone.has(key)) return;
    if (key && isMissingKey(err) && finishing.has(key)) {
      const f = finishing.get(key);
      finishing.delete(key);
      lostLine(queue, id, 'completion', { outcome: 'completion', outputs: f.outputs.map((o) => o.path), output_dir: f.output_dir });
      return;
    }
    if (key && /could not renew lock/.test(err.message)) {
      // Its lock could not be extended: gone from Redis while it runs?
      let state = null;
      try { state = await queueFor(queue).getJobState(id); } catch { /* Redis down: say the error */ }
      if (state === 'unknown' && !gone.has(key)) {
        gone.add(key);
        forget(gone, key);
        log({ level: 'warn', msg: `job ${id} on ${queue} is gone from Redis while it runs (Redis restarted without persistence, `
          + 'was flushed, or the job was removed): it runs to its end, whose outcome cannot be recorded', queue, job: String(id) });
        return;
      }
      if (gone.has(key)) return;
    }
    onError(err);
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
      ...(telemetry ? { telemetry } : {}),
    },
  ));
  workers.forEach((w, i) => {
    const queue = config.queues[i];
    w.on('error', (err) => { workerError(queue, err).catch(onError); });
    const settled = (job) => { if (job) finishing.delete(`${queue}:${job.id}`); };
    w.on('completed', settled);
    w.on('failed', settled);
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  // Redis durability, said once at start-up (README, "Redis durability").
  const persistence = await redisPersistence(connection);
  if (!persistence.known) {
    log({ level: 'warn', msg: `cannot tell whether Redis persists its data (${persistence.reason}): ${PERSISTENCE_RISK} `
      + 'unless AOF or RDB snapshots are on; check them', redis_persistence: 'unknown' });
  } else if (!persistence.aof && !persistence.rdb) {
    log({ level: 'warn', msg: `Redis does not persist its data (appendonly no, save ""): ${PERSISTENCE_RISK}; `
      + 'turn on AOF (appendonly yes) or RDB snapshots (save)', redis_persistence: 'none' });
  }

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
  // Graceful, and bounded: the whole shutdown takes at most
  // SHUTDOWN_GRACE_MS whatever Redis does. No new jobs; the running ones may
  // finish until the last STOP_WINDOW_MS of the grace (half a shorter one);
  // then their ladders get SIGTERM (a ladder job stops at its next chunk
  // boundary, exit 14, keeping its segments for the retry; the others
  // cancel, exit 130) and their jobs go back to wait. At the grace's end
  // whatever still runs is SIGKILLed (a killed ladder job's journal still
  // counts), the Redis connections are dropped, and close() resolves with
  // forced: true (the process exits GRACE_RAN_OUT_EXIT): jobs it could not
  // put back stay active and come back through the stalled-job check.
  async function close() {
    if (closing) return closing;
    closing = (async () => {
      const t0 = Date.now();
      const grace = config.shutdownGraceMs;
      const deadline = t0 + grace;
      const stopAt = deadline - Math.min(STOP_WINDOW_MS, Math.floor(grace / 2));
      const timers = new Set();
      const until = (t) => new Promise((r) => {
        const h = setTimeout(() => { timers.delete(h); r('late'); }, Math.max(0, t - Date.now()));
        timers.add(h);
      });
      const within = (p, t) => Promise.race([Promise.resolve(p).then(() => 'done', () => 'done'), until(t)]);

      const closed = Promise.allSettled(workers.map((w) => w.close()));
      let outcome = await within(closed, stopAt);
      if (outcome !== 'done') {
        stopping = true;
        for (const c of children) c.kill('SIGTERM');
        outcome = await within(closed, deadline);
      }
      let forced = outcome !== 'done';
      if (!forced) {
        const rest = (async () => {
          await heartbeat.stop();
          if (dashboard) await dashboard.close();
          await Promise.all([...chainQueues.values()].map((q) => q.close()));
          await connection.quit().catch(() => connection.disconnect());
        })();
        forced = (await within(rest, deadline)) !== 'done';
      }
      if (forced) {
        for (const c of children) c.kill('SIGKILL');
        heartbeat.abandon();
        connection.disconnect();
        for (const x of [...workers, ...chainQueues.values()]) Promise.resolve().then(() => x.disconnect()).catch(() => {});
        if (dashboard) dashboard.close().catch(() => {});
      }
      for (const h of timers) clearTimeout(h);
      if (server) {
        const down = new Promise((r) => server.close(r));
        server.closeAllConnections();
        await down;
      }
      return { forced, ms: Date.now() - t0 };
    })();
    return closing;
  }

  return {
    close,
    workerId,
    facts,
    exits,
    config,
    workers,
    metrics,
    children,
    redisPersistence: persistence,
    metricsPort: server ? server.address().port : 0,
    dashboardPort: dashboard ? dashboard.port : 0,
    heartbeatKey: heartbeat.key,
  };
}

// WORKER_OTEL: the tracer name for bullmq-otel (an optional package the
// operator installs next to the worker, with an OpenTelemetry SDK).
async function loadTelemetry(name) {
  if (!name) return null;
  let mod;
  try {
    mod = await import('bullmq-otel');
  } catch (err) {
    throw new Error(`WORKER_OTEL: bullmq-otel is not installed (npm install bullmq-otel in adapters/bullmq): ${err.message}`);
  }
  return new mod.BullMQOtel(name);
}
