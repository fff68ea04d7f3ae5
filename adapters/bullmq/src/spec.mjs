// BullMQ job -> `ladder job` spec. job.data is the spec minus `type` (the
// queue name is the type); worker-only keys are taken out because ladder
// refuses unknown keys. `class` (realtime/batch) is ladder's own: it goes
// through, and ladder takes its host slots with that priority.
export const WORKER_KEYS = ['chain', '_ladder'];

export function safeName(text) {
  // One plain output name as ladder accepts it: no separators, not hidden.
  const s = String(text).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.slice(0, 128) || 'job';
}

export function jobToSpec(queue, job, config) {
  const data = job.data && typeof job.data === 'object' ? job.data : {};
  const spec = {};
  for (const [k, v] of Object.entries(data)) if (!WORKER_KEYS.includes(k)) spec[k] = v;
  spec.type = queue;
  if (spec.id === undefined) spec.id = String(job.id);
  if (spec.output_root === undefined && config.outputRoot) spec.output_root = config.outputRoot;
  if (spec.output === undefined) spec.output = safeName(`${queue}-${job.id}`);
  return spec;
}
