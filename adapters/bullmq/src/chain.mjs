// A finished proxy enqueues its thumbnail and filmstrip, fed the proxy file.
//
// Why here (inside the proxy's processor, before it returns) and not from a
// 'completed' listener or as a BullMQ flow: a flow runs children *before*
// their parent, the wrong way round (these jobs need the proxy's output), and
// the platform's API enqueues the proxy alone. A 'completed' listener runs
// after the job is marked done, so a worker dying in between loses the chain
// for good. Enqueued before the return, a failure to enqueue fails the proxy
// attempt and the retry enqueues again; the job ids derive from the proxy's
// id, so BullMQ ignores an add whose id exists: never two thumbnails.
export const CHAIN_TYPES = ['thumbnail', 'filmstrip'];

export async function chainJobs({ job, spec, result, queueFor }) {
  const chain = job.data && job.data.chain;
  if (chain === false) return [];
  const output = (result.outputs || []).find((o) => /\.mp4$/.test(o.path)) || (result.outputs || [])[0];
  if (!output) return [];
  const added = [];
  for (const type of CHAIN_TYPES) {
    const options = (chain && typeof chain === 'object' && chain[type]) || {};
    if (options === false) continue;
    const data = {
      input: output.path,
      output_root: spec.output_root,
      output: `${spec.output}-${type}`,
      // The child's identity derives from the proxy's (the owner of its
      // output, README "Outputs are the job's"): a child enqueued again by a
      // retried proxy, after the first was removed, is the same job and may
      // replace its output.
      id: `${spec.id}-${type}`,
      ...options,
    };
    if (job.data.class !== undefined && data.class === undefined) data.class = job.data.class;
    const opts = { jobId: `${job.id}-${type}` };
    if (job.opts && job.opts.priority) opts.priority = job.opts.priority;
    added.push(await queueFor(type).add(type, data, opts));
  }
  return added;
}
