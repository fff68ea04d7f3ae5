// Where a job ran: the node, its GPU (from `ladder devices --json`, read once
// at start-up), the backend, the tier, this worker and the attempt.
import { execFile } from 'node:child_process';

export function devicesFacts(devicesJson) {
  const devices = (devicesJson && Array.isArray(devicesJson.devices)) ? devicesJson.devices : [];
  const nvidia = devices.filter((d) => d && d.kind === 'nvidia');
  const first = nvidia[0];
  const tier = devices.map((d) => d && d.tier).find((t) => typeof t === 'string') || null;
  return {
    // For the operations page (heartbeats): what `ladder devices` said about
    // each device at start-up.
    devices: devices.filter(Boolean).map((d) => ({
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

export function attribution({ config, facts, workerId, job }) {
  return {
    node: config.node,
    gpu: facts.gpu,
    backend: facts.backend,
    tier: config.tier || facts.deviceTier || null,
    worker: workerId,
    attempt: job.attemptsMade + 1,
  };
}
