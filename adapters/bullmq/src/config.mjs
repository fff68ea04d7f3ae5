// Worker configuration from the environment (bin/ladder-worker.mjs) or from
// options (startWorker): one normalised object either way.
import os from 'node:os';

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
  });
}

export function normalise(o = {}) {
  const queues = o.queues ? parseQueues(Array.isArray(o.queues) ? o.queues.join(',') : o.queues) : [...ALL_QUEUES];
  const concurrency = {};
  for (const q of queues) concurrency[q] = Math.max(1, (o.concurrency && o.concurrency[q]) || 1);
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
  };
}
