// Worker heartbeats in Redis, for the operations page: every few seconds a
// worker writes what it is (node, tier, devices, queues) and what it runs
// (jobs with their progress, and per device the jobs on it now) under
// PREFIX:ladder:node:WORKERID with a TTL.
// A worker that dies stops writing and its key expires: the page never
// shows a node that is gone for longer than the TTL. A worker that closes
// deletes its key at once.
export const NODE_KEY_PART = 'ladder:node';

export function nodeKey(prefix, workerId) {
  return `${prefix || 'bull'}:${NODE_KEY_PART}:${workerId}`;
}

// Keep the last `keep` finished jobs of this worker, newest first.
const RECENT_KEEP = 10;

export function createHeartbeat({ connection, config, facts, workerId, intervalMs, ttlMs, onError }) {
  const key = nodeKey(config.prefix, workerId);
  const running = new Map(); // `${queue}:${id}` -> job entry
  const recent = [];
  const startedAt = new Date().toISOString();
  let timer = null;
  let stopped = false;
  let writing = Promise.resolve();

  // Each device as `ladder devices` said at start-up (`probed_state`), with
  // what runs on it now: `state` is "busy" while a job is on it, else the
  // probed state ("idle"...). A job is on its devices from its first
  // progress line (it holds its host slots) to its end.
  const devicesNow = () => (facts.devices || []).map((d) => {
    const on = [...running.values()].filter((j) => Array.isArray(j.devices) && j.devices.includes(d.id));
    return {
      ...d,
      probed_state: d.state ?? null,
      state: on.length ? 'busy' : d.state ?? null,
      running: on.map((j) => ({ queue: j.queue, id: j.id, stage: j.progress.stage, percent: j.progress.percent })),
    };
  });

  const state = () => ({
    worker: workerId,
    node: config.node,
    tier: config.tier || facts.deviceTier || null,
    pid: process.pid,
    queues: config.queues,
    concurrency: config.concurrency,
    backend: facts.backend,
    gpu: facts.gpu,
    devices: devicesNow(),
    started_at: startedAt,
    updated_at: new Date().toISOString(),
    ttl_ms: ttlMs,
    running: [...running.values()],
    recent,
  });

  // Writes are chained so an older state never lands after a newer one.
  const beat = () => {
    if (stopped) return writing;
    const text = JSON.stringify(state());
    writing = writing.then(() => connection.set(key, text, 'PX', ttlMs)).catch((err) => { if (onError) onError(err); });
    return writing;
  };

  return {
    key,
    beat,
    start() {
      timer = setInterval(beat, intervalMs);
      timer.unref();
      return beat();
    },
    jobStarted(queue, job, klass, attempt) {
      running.set(`${queue}:${job.id}`, {
        queue,
        id: String(job.id),
        name: job.name,
        class: klass ?? null,
        attempt,
        started_at: new Date().toISOString(),
        progress: { stage: 'start', percent: 0 },
        gpu: facts.gpu,
        devices: [], // none until it holds its host slots (its first progress line)
      });
      beat();
    },
    jobProgress(queue, job, progress, devices) {
      const entry = running.get(`${queue}:${job.id}`);
      if (!entry) return;
      entry.progress = progress; // written with the next beat...
      if (devices && entry.devices.join() !== devices.join()) {
        entry.devices = [...devices];
        beat(); // ...but reaching its devices shows at once
      }
    },
    jobFinished(queue, job, status) {
      const k = `${queue}:${job.id}`;
      const entry = running.get(k);
      running.delete(k);
      recent.unshift({ ...(entry || { queue, id: String(job.id), gpu: facts.gpu }), status, finished_at: new Date().toISOString() });
      recent.length = Math.min(recent.length, RECENT_KEEP);
      beat();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await writing;
      await connection.del(key).catch(() => {});
    },
    // Stop beating without touching Redis (a shutdown that ran out of
    // time): the key expires after its TTL.
    abandon() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}

// Every live worker's state (the dashboard's side), sorted by node then worker.
export async function readNodes(connection, prefix) {
  const pattern = `${prefix || 'bull'}:${NODE_KEY_PART}:*`;
  const keys = [];
  let cursor = '0';
  do {
    const [next, batch] = await connection.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (!keys.length) return [];
  const values = await connection.mget(...keys);
  const nodes = [];
  for (const v of values) {
    if (!v) continue; // expired between SCAN and MGET
    try { nodes.push(JSON.parse(v)); } catch { /* not ours */ }
  }
  nodes.sort((a, b) => String(a.node).localeCompare(String(b.node)) || String(a.worker).localeCompare(String(b.worker)));
  return nodes;
}
