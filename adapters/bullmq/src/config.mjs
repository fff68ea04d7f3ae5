// Worker configuration from the environment (bin/ladder-worker.mjs) or from
// options (startWorker): one normalised object either way.
import os from 'node:os';
import { WORKER_KEYS } from './spec.mjs';

export const ALL_QUEUES = ['proxy', 'thumbnail', 'filmstrip', 'conform', 'trim', 'ladder'];

function int(value, name, fallback) {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: not a non-negative integer: ${value}`);
  return n;
}

export function parseQueues(text) {
  if (text === undefined || text === null || String(text).trim() === '') return [...ALL_QUEUES];
  const list = String(text).split(',').map((s) => s.trim()).filter(Boolean);
  for (const q of list) {
    if (!ALL_QUEUES.includes(q)) throw new Error(`WORKER_QUEUES: unknown queue ${q} (known: ${ALL_QUEUES.join(',')})`);
  }
  return [...new Set(list)];
}

// A field map: a producer's field names standing for ladder's keys,
// {"sourcePath": "input", "assetId": "output"} (README, "Producers' data"),
// as a JSON text (the environment) or an object (startWorker options).
export function parseFieldMap(value, name) {
  if (value === undefined || value === null || value === '') return {};
  let map = value;
  if (typeof value === 'string') {
    try { map = JSON.parse(value); } catch (err) { throw new Error(`${name}: not JSON: ${err.message}`); }
  }
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new Error(`${name}: expected an object {"producerField": "ladderKey", ...}`);
  }
  const byTarget = new Map();
  for (const [from, to] of Object.entries(map)) {
    // `type` is the queue's name; the worker's own keys are not ladder's.
    if (typeof to !== 'string' || !/^[a-z][a-z_]*$/.test(to) || to === 'type' || WORKER_KEYS.includes(to)) {
      throw new Error(`${name}: "${from}": ${JSON.stringify(to)} is not a ladder spec key (e.g. "input", "output")`);
    }
    if (from === to || WORKER_KEYS.includes(from)) throw new Error(`${name}: "${from}" cannot be mapped`);
    if (byTarget.has(to)) throw new Error(`${name}: "${byTarget.get(to)}" and "${from}" both map to "${to}"`);
    byTarget.set(to, from);
  }
  return { ...map };
}

// The map a queue uses: the queue's own entries over the shared ones; an
// entry of the queue's that names a ladder key replaces the shared entry
// for that key.
export function mergeFieldMaps(shared, own) {
  const targets = new Set(Object.values(own));
  const merged = {};
  for (const [from, to] of Object.entries(shared)) if (!targets.has(to)) merged[from] = to;
  return { ...merged, ...own };
}

export function configFromEnv(env = process.env) {
  const queues = parseQueues(env.WORKER_QUEUES);
  const concurrency = {};
  for (const q of queues) concurrency[q] = Math.max(1, int(env[`${q.toUpperCase()}_CONCURRENCY`], `${q.toUpperCase()}_CONCURRENCY`, 1));
  return normalise({
    redisUrl: env.REDIS_URL,
    queues,
    concurrency,
    ladderBin: env.LADDER_BIN,
    node: env.NODE_NAME,
    tier: env.LADDER_TIER,
    outputRoot: env.OUTPUT_ROOT,
    metricsPort: int(env.METRICS_PORT, 'METRICS_PORT', 0),
    shutdownGraceMs: int(env.SHUTDOWN_GRACE_MS, 'SHUTDOWN_GRACE_MS', undefined),
    busyBackoffMs: int(env.BUSY_BACKOFF_MS, 'BUSY_BACKOFF_MS', undefined),
    busyBackoffMaxMs: int(env.BUSY_BACKOFF_MAX_MS, 'BUSY_BACKOFF_MAX_MS', undefined),
    lockDurationMs: int(env.LOCK_DURATION_MS, 'LOCK_DURATION_MS', undefined),
    stalledIntervalMs: int(env.STALLED_INTERVAL_MS, 'STALLED_INTERVAL_MS', undefined),
    prefix: env.QUEUE_PREFIX || undefined,
    heartbeatMs: int(env.HEARTBEAT_MS, 'HEARTBEAT_MS', undefined),
    heartbeatTtlMs: int(env.HEARTBEAT_TTL_MS, 'HEARTBEAT_TTL_MS', undefined),
    dashboardPort: int(env.DASHBOARD_PORT, 'DASHBOARD_PORT', 0),
    dashboardHost: env.DASHBOARD_HOST || undefined,
    otel: env.WORKER_OTEL || undefined,
    fieldMap: parseFieldMap(env.WORKER_FIELD_MAP, 'WORKER_FIELD_MAP'),
    queueFieldMaps: Object.fromEntries(queues.map((q) => {
      const name = `${q.toUpperCase()}_FIELD_MAP`;
      return [q, parseFieldMap(env[name], name)];
    })),
  });
}

export function normalise(o = {}) {
  const queues = o.queues ? parseQueues(Array.isArray(o.queues) ? o.queues.join(',') : o.queues) : [...ALL_QUEUES];
  const concurrency = {};
  for (const q of queues) concurrency[q] = Math.max(1, (o.concurrency && o.concurrency[q]) || 1);
  // fieldMap: every queue's; queueFieldMaps: per queue. fieldMaps is what
  // normalise made before (configFromEnv's result passed to startWorker).
  const shared = parseFieldMap(o.fieldMap, 'fieldMap');
  const fieldMaps = {};
  for (const q of queues) {
    const own = (o.queueFieldMaps && o.queueFieldMaps[q]) || (o.fieldMaps && o.fieldMaps[q]);
    fieldMaps[q] = mergeFieldMaps(shared, parseFieldMap(own, `queueFieldMaps.${q}`));
  }
  return {
    redisUrl: o.redisUrl || 'redis://127.0.0.1:6379',
    queues,
    concurrency,
    ladderBin: o.ladderBin || 'ladder',
    node: o.node || os.hostname(),
    tier: o.tier || null,
    outputRoot: o.outputRoot || null,
    metricsPort: o.metricsPort || 0,
    metricsHost: o.metricsHost || '0.0.0.0',
    shutdownGraceMs: o.shutdownGraceMs ?? 30000,
    busyBackoffMs: o.busyBackoffMs ?? 5000,
    busyBackoffMaxMs: o.busyBackoffMaxMs ?? 300000,
    lockDurationMs: o.lockDurationMs ?? 30000,
    stalledIntervalMs: o.stalledIntervalMs ?? 30000,
    prefix: o.prefix, // BullMQ key prefix (default "bull")
    // Heartbeats for the operations page: written every heartbeatMs, gone
    // heartbeatTtlMs after the last one (a dead worker disappears).
    heartbeatMs: Math.max(100, o.heartbeatMs || 2000),
    heartbeatTtlMs: Math.max(1000, o.heartbeatTtlMs || 10000),
    // The operations page in this process (0 = off); loopback unless told:
    // Bull Board can retry and remove jobs and has no login of its own.
    dashboardPort: o.dashboardPort || 0,
    dashboardHost: o.dashboardHost || '127.0.0.1',
    devices: o.devices, // tests may inject the `ladder devices --json` facts
    // OpenTelemetry through bullmq-otel (installed apart): the tracer name.
    otel: o.otel === '1' || o.otel === true ? 'ladder-worker' : o.otel || null,
    // Per queue: producer field -> ladder key, applied by jobToSpec.
    fieldMaps,
  };
}
