#!/usr/bin/env node
// ladder BullMQ worker: configuration from the environment (README, "BullMQ
// worker"); SIGTERM/SIGINT close it gracefully.
import { configFromEnv } from '../src/config.mjs';
import { startWorker } from '../src/worker.mjs';

const log = (fields) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

let config;
try {
  config = configFromEnv();
} catch (err) {
  log({ level: 'error', msg: err.message });
  process.exit(2);
}
const handle = await startWorker({ ...config, onError: (err) => log({ level: 'error', msg: err.message }) });
log({ level: 'info', msg: 'ready', worker: handle.workerId, queues: config.queues, backend: handle.facts.backend, metrics_port: handle.metricsPort });

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
