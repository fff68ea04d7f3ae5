// Prometheus metrics (prom-client) on their own registry, so two workers in
// one process (tests) do not collide; served on /metrics when a port is set.
import http from 'node:http';
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  const jobs = new client.Counter({
    name: 'ladder_worker_jobs_total',
    help: 'Jobs handled, by queue and outcome (completed, failed, unrecoverable, busy_retry, requeued)',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'ladder_worker_job_duration_seconds',
    help: 'Wall time of one ladder job run, by queue and outcome',
    labelNames: ['queue', 'outcome'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const active = new client.Gauge({
    name: 'ladder_worker_active_jobs',
    help: 'Jobs running now, by queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  return { registry, jobs, duration, active };
}

export function serveMetrics(registry, port, host) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(async (req, res) => {
      if (req.method === 'GET' && req.url.split('?')[0] === '/metrics') {
        try {
          const body = await registry.metrics();
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        } catch (err) {
          res.writeHead(500); res.end(String(err));
        }
      } else {
        res.writeHead(404); res.end('not found\n');
      }
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
