// Prometheus metrics (prom-client) on their own registry, so two workers in
// one process (tests) do not collide; served on /metrics when a port is set.
import http from 'node:http';
import client from 'prom-client';

export function createMetrics() {
  const registry = new client.Registry();
  const jobs = new client.Counter({
    name: 'ladder_worker_jobs_total',
    help: 'Jobs handled, by queue and outcome (completed, failed, unrecoverable, busy_retry, requeued, lost)',
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
  // Device utilisation. A job is on its devices from its first progress
  // line (ladder prints it once it holds its host slots and opened its
  // output) to its exit: a job waiting for a host slot is active
  // (ladder_worker_active_jobs) but on no device.
  const deviceActive = new client.Gauge({
    name: 'ladder_worker_device_active_jobs',
    help: 'Jobs running on a device now, by device (cpu, nvidia0...) and device kind',
    labelNames: ['device', 'kind'],
    registers: [registry],
  });
  const deviceBusy = new client.Counter({
    name: 'ladder_worker_device_busy_seconds_total',
    help: 'Seconds jobs spent on a device (first progress line to exit, whatever the outcome), by device and device kind',
    labelNames: ['device', 'kind'],
    registers: [registry],
  });
  return { registry, jobs, duration, active, deviceActive, deviceBusy };
}

// The labels of one device name of a result's `devices` ("cpu", "nvidia0",
// "intel1"...): the kind is the name without its index.
export function deviceLabels(device) {
  const name = String(device);
  const kind = name.replace(/[-:]?\d+$/, '') || name;
  return { device: name, kind };
}

// Tracks the devices of this worker's running jobs. While a job runs its
// devices are not known yet (the result line says them at the end): it is
// counted on the devices the last successful run of its queue on this
// worker reported, else on the CPU, where `ladder job` runs every type (its
// result says ["cpu"]). At the end the busy time goes to the devices the
// result names (those of the start when it names none: a failed run).
export function createDeviceTracker(metrics, { now = () => Number(process.hrtime.bigint()) / 1e9 } = {}) {
  const lastDevices = new Map();
  // Exported from the start, at 0: the CPU is every box's device.
  metrics.deviceActive.inc(deviceLabels('cpu'), 0);
  metrics.deviceBusy.inc(deviceLabels('cpu'), 0);
  const usedBy = (result) => (result && Array.isArray(result.devices) && result.devices.length
    ? result.devices.filter((d) => typeof d === 'string' && d) : null);
  return {
    // Returns a handle: on() when the job reaches its devices (idempotent;
    // returns them), off(result, at) when its ladder has exited (at: now()'s
    // clock).
    job(queue) {
      let devices = null;
      let since = 0;
      return {
        on() {
          if (devices) return devices;
          devices = lastDevices.get(queue) || ['cpu'];
          since = now();
          for (const d of devices) metrics.deviceActive.inc(deviceLabels(d));
          return devices;
        },
        off(result, at = now()) {
          if (!devices) return;
          const seconds = Math.max(0, at - since);
          for (const d of devices) metrics.deviceActive.dec(deviceLabels(d));
          const used = usedBy(result);
          if (used && used.length && result.status === 'ok') lastDevices.set(queue, used);
          for (const d of (used && used.length ? used : devices)) metrics.deviceBusy.inc(deviceLabels(d), seconds);
          devices = null;
        },
      };
    },
  };
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
