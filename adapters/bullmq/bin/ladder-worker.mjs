#!/usr/bin/env node
// ladder BullMQ worker: configuration from the environment (README, "BullMQ
// worker"); SIGTERM/SIGINT close it gracefully within SHUTDOWN_GRACE_MS.
//
//   ladder-worker              run a worker
//   ladder-worker dashboard    serve the operations page only (no jobs run)
//
// Exit status: 0 closed cleanly; 1 an error; 2 bad configuration; 124 the
// shutdown ran out of SHUTDOWN_GRACE_MS (Redis unreachable, or a ladder
// that would not stop): jobs it could not put back stay active in Redis and
// come back through BullMQ's stalled-job check.
import { configFromEnv } from '../src/config.mjs';

const log = (fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

const command = process.argv[2] || 'worker';
if (!['worker', 'dashboard'].includes(command)) {
  process.stderr.write('Usage: ladder-worker [worker|dashboard]   (configuration from the environment: docs/worker.md, "BullMQ worker")\n');
  process.exit(2);
}

let config;
try {
  config = configFromEnv();
} catch (err) {
  log({ level: 'error', msg: err.message });
  process.exit(2);
}

let handle;
if (command === 'dashboard') {
  // Only Redis is needed: no ladder binary, no device probe.
  const { startDashboard } = await import('../src/dashboard.mjs');
  const port = process.env.DASHBOARD_PORT === undefined || process.env.DASHBOARD_PORT === '' ? 3000 : config.dashboardPort;
  handle = await startDashboard({ redisUrl: config.redisUrl, prefix: config.prefix, port, host: config.dashboardHost });
  log({ level: 'info', msg: 'dashboard ready', url: `http://${handle.host}:${handle.port}/`, queues_url: `http://${handle.host}:${handle.port}/queues/` });
} else {
  const { startWorker, persistenceText } = await import('../src/worker.mjs');
  try {
    handle = await startWorker({ ...config, log, onError: (err) => log({ level: 'error', msg: err.message }) });
  } catch (err) {
    log({ level: 'error', msg: err.message });
    process.exit(/^WORKER_OTEL/.test(err.message) ? 2 : 1);
  }
  log({ level: 'info', msg: 'ready', worker: handle.workerId, queues: config.queues, backend: handle.facts.backend,
    redis_persistence: persistenceText(handle.redisPersistence), metrics_port: handle.metricsPort, dashboard_port: handle.dashboardPort });
}

const GRACE_RAN_OUT_EXIT = 124; // src/worker.mjs
let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    const grace = command === 'dashboard' ? 10000 : config.shutdownGraceMs;
    log({ level: 'info', msg: `${sig}: closing`, grace_ms: grace });
    // Whatever close() waits on, the process ends within the grace (and a
    // little for the exit itself).
    setTimeout(() => {
      log({ level: 'error', msg: 'shutdown grace ran out: exiting' });
      process.exit(GRACE_RAN_OUT_EXIT);
    }, grace + 500).unref();
    try {
      const r = await handle.close();
      if (r && r.forced) {
        log({ level: 'error', msg: `shutdown grace (${grace} ms) ran out: exiting without Redis; jobs not put back `
          + 'stay active and come back through the stalled-job check', ms: r.ms });
        process.exit(GRACE_RAN_OUT_EXIT);
      }
      log({ level: 'info', msg: 'closed', ms: r ? r.ms : undefined });
      process.exit(0);
    } catch (err) {
      log({ level: 'error', msg: err.message });
      process.exit(1);
    }
  });
}
