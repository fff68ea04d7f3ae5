#!/usr/bin/env node
// ladder BullMQ worker: configuration from the environment (README, "BullMQ
// worker"); SIGTERM/SIGINT close it gracefully.
//
//   ladder-worker              run a worker
//   ladder-worker dashboard    serve the operations page only (no jobs run)
import { configFromEnv } from '../src/config.mjs';

const log = (fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

const command = process.argv[2] || 'worker';
if (!['worker', 'dashboard'].includes(command)) {
  process.stderr.write('Usage: ladder-worker [worker|dashboard]   (configuration from the environment: README, "BullMQ worker")\n');
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
  const { startWorker } = await import('../src/worker.mjs');
  handle = await startWorker({ ...config, onError: (err) => log({ level: 'error', msg: err.message }) });
  log({ level: 'info', msg: 'ready', worker: handle.workerId, queues: config.queues, backend: handle.facts.backend, metrics_port: handle.metricsPort, dashboard_port: handle.dashboardPort });
}

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    log({ level: 'info', msg: `${sig}: closing`, grace_ms: config.shutdownGraceMs });
    try {
      await handle.close();
      log({ level: 'info', msg: 'closed' });
      process.exit(0);
    } catch (err) {
      log({ level: 'error', msg: err.message });
      process.exit(1);
    }
  });
}
