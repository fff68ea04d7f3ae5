// Where a job ran: the node, its GPU (from `ladder devices --json`, read once
// at start-up), the backend, the tier, this worker and the attempt.
import { execFile } from 'node:child_process';

// A device's name as a result's `devices` and the device metrics say it:
// "cpu", "nvidia0", "intel1"...
export function deviceId(d) {
  if (!d || d.kind === 'cpu') return 'cpu';
  return `${d.kind}${d.index ?? ''}`;
}

export function devicesFacts(devicesJson) {
  const devices = (devicesJson && Array.isArray(devicesJson.devices)) ? devicesJson.devices : [];
  const nvidia = devices.filter((d) => d && d.kind === 'nvidia');
  const first = nvidia[0];
  const tier = devices.map((d) => d && d.tier).find((t) => typeof t === 'string') || null;
  return {
    // For the operations page (heartbeats): what `ladder devices` said about
    // each device at start-up.
    devices: devices.filter(Boolean).map((d) => ({
      id: deviceId(d),
      index: d.index ?? null,
      kind: d.kind ?? null,
      name: d.name ?? null,
      uuid: d.uuid ?? null,
      state: d.state ?? null,
      role: d.role ?? null,
      reason: d.reason ?? null,
      tier: d.tier ?? null,
    })),
    gpu: first ? { name: first.name ?? null, uuid: first.uuid ?? null, index: first.index ?? null } : null,
    backend: first ? 'nvenc' : 'cpu',
    deviceTier: tier,
  };
}

export function probeDevices(ladderBin) {
  return new Promise((resolve) => {
    execFile(ladderBin, ['devices', '--json'], { timeout: 30000, maxBuffer: 4 << 20 }, (err, stdout) => {
      if (err) { resolve(devicesFacts(null)); return; }
      try { resolve(devicesFacts(JSON.parse(stdout))); } catch { resolve(devicesFacts(null)); }
    });
  });
}

// The number of the run that starts now: 1 for the first, one more after a
// run that failed, stalled (its worker died) or was put back by a shutdown;
// a run that only found no free host slot (exit 75, status "busy") does not
// count. BullMQ's attemptsMade counts failures only (a stalled re-run or a
// moveToWait leaves it as it was), so the worker keeps its own count in
// job.data._ladder, where the previous run left it.
export function runAttempt(job) {
  const prev = (job.data && job.data._ladder) || {};
  const last = Number.isInteger(prev.attempt) && prev.attempt > 0 ? prev.attempt : 0;
  if (!last) return (job.attemptsMade || 0) + 1;
  return prev.status === 'busy' ? last : last + 1;
}

export function attribution({ config, facts, workerId, attempt }) {
  return {
    node: config.node,
    gpu: facts.gpu,
    backend: facts.backend,
    tier: config.tier || facts.deviceTier || null,
    worker: workerId,
    attempt,
  };
}
