// The operations page: Bull Board (the maintained BullMQ UI) for the queues
// at /queues, and a nodes and devices panel at / fed by the workers'
// heartbeats (src/heartbeat.mjs) through GET /api/nodes. Runs on its own
// (`ladder-worker dashboard`) or inside a worker (DASHBOARD_PORT).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import IORedis from 'ioredis';
import { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ALL_QUEUES } from './config.mjs';
import { readNodes } from './heartbeat.mjs';

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');
const RECENT = 20;

// The most recently finished jobs of every queue, with where they ran
// (job.data._ladder, written by the worker): unlike the heartbeats this
// survives the worker that ran them.
export async function recentJobs(queues, limit = RECENT) {
  const lists = await Promise.all(queues.map(async (q) => {
    const jobs = await q.getJobs(['completed', 'failed'], 0, limit - 1, false);
    return jobs.filter(Boolean).map((j) => {
      const a = (j.data && j.data._ladder) || {};
      return {
        queue: q.name,
        id: String(j.id),
        status: a.status || (j.failedReason ? 'failed' : 'completed'),
        node: a.node ?? null,
        worker: a.worker ?? null,
        tier: a.tier ?? null,
        gpu: a.gpu ?? null,
        backend: a.backend ?? null,
        class: a.class ?? null,
        finished_at: j.finishedOn ? new Date(j.finishedOn).toISOString() : (a.finished_at ?? null),
        error: j.failedReason || null,
      };
    });
  }));
  return lists.flat().sort((x, y) => String(y.finished_at).localeCompare(String(x.finished_at))).slice(0, limit);
}

export async function startDashboard({ redisUrl = 'redis://127.0.0.1:6379', prefix, port = 3000, host = '127.0.0.1', queues = ALL_QUEUES, readOnly = false } = {}) {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const bullQueues = queues.map((name) => new Queue(name, { connection, prefix }));

  const board = new ExpressAdapter();
  board.setBasePath('/queues');
  createBullBoard({
    queues: bullQueues.map((q) => new BullMQAdapter(q, { readOnlyMode: readOnly })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'ladder queues' } },
  });

  const app = express();
  app.disable('x-powered-by');
  app.use('/queues', board.getRouter());
  app.get('/api/nodes', async (_req, res) => {
    try {
      const [nodes, recent] = await Promise.all([readNodes(connection, prefix), recentJobs(bullQueues)]);
      res.set('Cache-Control', 'no-store').json({ time: new Date().toISOString(), prefix: prefix || 'bull', nodes, recent });
    } catch (err) {
      res.status(503).json({ error: `redis: ${err.message}` });
    }
  });
  app.use(express.static(PUBLIC, { index: 'index.html' }));

  const server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host);
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  return {
    port: server.address().port,
    host,
    async close() {
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections(); // keep-alive browsers would hold close() open
      await closed;
      await Promise.all(bullQueues.map((q) => q.close()));
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
