// BullMQ job -> `ladder job` spec. job.data is the spec minus `type` (the
// queue name is the type), plus whatever the producer carries of its own
// (assetId, userId, callbackUrl...): ladder ignores keys that are not its
// own and lists them in its result (`ignored_keys`), and refuses a key that
// is a slip away from one of its own ("inptu": did you mean "input"?). The
// worker's own keys are taken out. `class` (realtime/batch) is ladder's: it
// goes through, and ladder takes its host slots with that priority.
// The queue's field map lets a producer's fields stand for ladder's keys
// (README, "Producers' data").
export const WORKER_KEYS = ['chain', '_ladder'];

export function safeName(text) {
  // One plain output name as ladder accepts it: no separators, not hidden.
  const s = String(text).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.slice(0, 128) || 'job';
}

function fieldMapOf(queue, config) {
  return (config && config.fieldMaps && config.fieldMaps[queue]) || {};
}

// A mapped value as ladder takes it: the output name is made safe and
// carries the type, as the default TYPE-JOBID-TIMESTAMP does (so one asset's
// proxy and conform never share a directory); an id is a string.
function mappedValue(queue, key, value) {
  if (key === 'output') return safeName(`${queue}-${value}`);
  if (key === 'id' && (typeof value === 'number' || typeof value === 'string')) return String(value);
  return value;
}

// Which job made an output (`ladder job` records the spec's type and id in
// OUTPUT/.ladder-job and replaces an output only for the same pair): the
// BullMQ job id with the job's queue timestamp, so the job stays itself
// through its retries, stalled re-runs and resumes, while a new job that
// got the same id after Redis lost its data (ids restart at 1) is another.
export function jobIdentity(job) {
  const ts = Number(job.timestamp);
  return Number.isFinite(ts) && ts > 0 ? `${job.id}@${ts}` : String(job.id);
}

// The default output name: the type, the job id and its queue timestamp
// (TYPE-JOBID-TIMESTAMP), unique across Redis resets.
export function defaultOutput(queue, job) {
  const ts = Number(job.timestamp);
  return safeName(Number.isFinite(ts) && ts > 0 ? `${queue}-${job.id}-${ts}` : `${queue}-${job.id}`);
}

export function jobToSpec(queue, job, config) {
  const data = job.data && typeof job.data === 'object' ? job.data : {};
  const map = fieldMapOf(queue, config);
  const spec = {};
  // A mapped field is not passed under its own name: it might sit a slip
  // away from a ladder key ("inputs" for "input") and be taken for a typo.
  // A producer's numeric id (a database key) is ladder's id as text: ladder
  // takes ids as strings, and a number is not a slip to refuse the job for.
  for (const [k, v] of Object.entries(data)) {
    if (!WORKER_KEYS.includes(k) && !Object.hasOwn(map, k)) spec[k] = k === 'id' && typeof v === 'number' ? String(v) : v;
  }
  // Ladder's own key, when the job gives it too, wins over a mapped field.
  for (const [from, to] of Object.entries(map)) {
    if (data[from] !== undefined && data[from] !== null && spec[to] === undefined) spec[to] = mappedValue(queue, to, data[from]);
  }
  spec.type = queue;
  if (spec.id === undefined) spec.id = jobIdentity(job);
  if (spec.output_root === undefined && config.outputRoot) spec.output_root = config.outputRoot;
  if (spec.output === undefined) spec.output = defaultOutput(queue, job);
  return spec;
}

// The producer's own fields of a job, echoed as they were given in the
// return value (`producer`): those ladder did not take (its result's
// `ignored_keys`) and those the field map translated.
export function producerFields(queue, job, config, result) {
  const data = job.data && typeof job.data === 'object' ? job.data : {};
  const map = fieldMapOf(queue, config);
  const ignored = new Set(result && Array.isArray(result.ignored_keys) ? result.ignored_keys : []);
  const out = {};
  for (const [k, v] of Object.entries(data)) {
    if (!WORKER_KEYS.includes(k) && (ignored.has(k) || Object.hasOwn(map, k))) out[k] = v;
  }
  return out;
}
