// Job data -> `ladder job` spec, without Redis or ladder: the field map
// (from the environment and from options, per queue), what a mapped output
// name becomes, which key wins, and which fields are echoed as the
// producer's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromEnv, normalise, parseFieldMap } from '../src/config.mjs';
import { defaultOutput, jobIdentity, jobToSpec, producerFields } from '../src/spec.mjs';

const payload = {
  assetId: 'asset/42: ü', userId: 7, sourcePath: '/media/Interview: part 1.mp4',
  callbackUrl: 'https://mam.example/cb', chain: false, _ladder: { status: 'running' },
};

test('WORKER_FIELD_MAP and <QUEUE>_FIELD_MAP: shared, then per queue over it', () => {
  const cfg = configFromEnv({
    WORKER_QUEUES: 'proxy,thumbnail',
    WORKER_FIELD_MAP: '{"sourcePath":"input","assetId":"output"}',
    THUMBNAIL_FIELD_MAP: '{"posterName":"output","at":"time"}',
  });
  assert.deepEqual(cfg.fieldMaps.proxy, { sourcePath: 'input', assetId: 'output' });
  // The queue's own entry for "output" replaces the shared one.
  assert.deepEqual(cfg.fieldMaps.thumbnail, { sourcePath: 'input', posterName: 'output', at: 'time' });
  // startWorker normalises configFromEnv's result again: the maps survive.
  assert.deepEqual(normalise({ ...cfg }).fieldMaps, cfg.fieldMaps);
  // Options: fieldMap (every queue) and queueFieldMaps (per queue).
  const opts = normalise({ queues: ['conform'], fieldMap: { src: 'input' }, queueFieldMaps: { conform: { lufs: 'loudness' } } });
  assert.deepEqual(opts.fieldMaps, { conform: { src: 'input', lufs: 'loudness' } });
  assert.deepEqual(configFromEnv({}).fieldMaps.proxy, {});
});

test('a bad field map is refused at start-up, naming the variable', () => {
  assert.throws(() => parseFieldMap('{not json', 'WORKER_FIELD_MAP'), /WORKER_FIELD_MAP: not JSON/);
  assert.throws(() => parseFieldMap('["input"]', 'WORKER_FIELD_MAP'), /expected an object/);
  assert.throws(() => parseFieldMap({ a: 'type' }, 'M'), /"a": "type" is not a ladder spec key/);
  assert.throws(() => parseFieldMap({ a: 'chain' }, 'M'), /not a ladder spec key/);
  assert.throws(() => parseFieldMap({ a: 3 }, 'M'), /not a ladder spec key/);
  assert.throws(() => parseFieldMap({ a: 'input', b: 'input' }, 'M'), /"a" and "b" both map to "input"/);
  assert.throws(() => parseFieldMap({ _ladder: 'id' }, 'M'), /"_ladder" cannot be mapped/);
  assert.throws(() => configFromEnv({ PROXY_FIELD_MAP: '{"a":1}' }), /PROXY_FIELD_MAP/);
});

test('jobToSpec: mapped fields become ladder keys, the output name made safe; the rest goes through untouched', () => {
  const config = normalise({ outputRoot: '/srv/out', fieldMap: { sourcePath: 'input', assetId: 'output', userId: 'id' } });
  const job = { id: '17', data: structuredClone(payload) };
  const spec = jobToSpec('proxy', job, config);
  assert.deepEqual(spec, {
    callbackUrl: 'https://mam.example/cb',
    input: '/media/Interview: part 1.mp4',
    output: 'proxy-asset_42___',
    id: '7',
    type: 'proxy',
    output_root: '/srv/out',
  });
  assert.deepEqual(job.data, payload, 'job.data untouched');
  // Echoed: what ladder ignored, and what the map translated.
  assert.deepEqual(producerFields('proxy', job, config, { ignored_keys: ['callbackUrl'] }), {
    assetId: 'asset/42: ü', userId: 7, sourcePath: '/media/Interview: part 1.mp4', callbackUrl: 'https://mam.example/cb',
  });
  // A hidden or separator-only name is still one plain name.
  const dots = jobToSpec('proxy', { id: 1, data: { assetId: '../..', sourcePath: '/a.mp4' } }, config);
  assert.equal(dots.output, 'proxy-.._..');
});

test("jobToSpec: ladder's own key in the job wins over a mapped field; no map, no change", () => {
  const config = normalise({ fieldMap: { sourcePath: 'input', assetId: 'output' } });
  const spec = jobToSpec('trim', { id: 3, data: { sourcePath: '/a.mp4', input: '/b.mp4', assetId: 'x', in: 1, out: 2 } }, config);
  assert.equal(spec.input, '/b.mp4');
  assert.equal(spec.output, 'trim-x');
  assert.equal(spec.sourcePath, undefined, 'a mapped field is not passed on under its own name');
  const plain = jobToSpec('proxy', { id: 9, timestamp: 1733500000123, data: { input: '/a.mp4', assetId: 'A' } }, normalise({}));
  assert.deepEqual(plain, { input: '/a.mp4', assetId: 'A', type: 'proxy', id: '9@1733500000123', output: 'proxy-9-1733500000123' });
  assert.deepEqual(producerFields('proxy', { data: { input: '/a.mp4', assetId: 'A' } }, normalise({}), { ignored_keys: ['assetId'] }),
    { assetId: 'A' });
  // A producer's numeric id (its database key) goes to ladder as text, not
  // as a type error that fails the job.
  assert.equal(jobToSpec('proxy', { id: 4, data: { input: '/a.mp4', id: 123 } }, normalise({})).id, '123');
  // A result without ignored_keys (an older ladder): nothing but mapped fields.
  assert.deepEqual(producerFields('proxy', { data: { assetId: 'A' } }, normalise({}), {}), {});
});

test('defaults: the output name and the id carry the queue timestamp; the same job keeps them, a reset job id does not', () => {
  const config = normalise({});
  const job = { id: '1', timestamp: 1733500000123, data: { input: '/a.mp4' } };
  const first = jobToSpec('thumbnail', job, config);
  assert.equal(first.output, 'thumbnail-1-1733500000123');
  assert.equal(first.id, '1@1733500000123');
  assert.equal(jobIdentity(job), first.id);
  assert.equal(defaultOutput('thumbnail', job), first.output);
  // A retry, a stalled re-run: the same job object in Redis, the same names.
  assert.deepEqual(jobToSpec('thumbnail', { ...job, attemptsMade: 2 }, config), first);
  // Redis lost its data: job ids restart at 1, the timestamp differs.
  const again = jobToSpec('thumbnail', { ...job, timestamp: 1733600000999 }, config);
  assert.notEqual(again.output, first.output);
  assert.notEqual(again.id, first.id);
  // The producer's own id and output win; a custom job id is made a safe name.
  assert.deepEqual(jobToSpec('proxy', { id: 'a/b', timestamp: 5, data: { id: 'mine', output: 'o' } }, config),
    { id: 'mine', output: 'o', type: 'proxy' });
  assert.equal(jobToSpec('proxy', { id: 'a/b', timestamp: 5, data: {} }, config).output, 'proxy-a_b-5');
});

test('WORKER_OTEL: a tracer name for bullmq-otel; without the package the worker does not start', async () => {
  assert.equal(configFromEnv({ WORKER_OTEL: '1' }).otel, 'ladder-worker');
  assert.equal(configFromEnv({ WORKER_OTEL: 'media-workers' }).otel, 'media-workers');
  assert.equal(configFromEnv({}).otel, null);
  const { startWorker } = await import('../src/worker.mjs');
  // Refused before anything connects (port 1: nothing listens there).
  await assert.rejects(startWorker({ otel: '1', devices: { devices: [] }, redisUrl: 'redis://127.0.0.1:1' }),
    /^Error: WORKER_OTEL: bullmq-otel is not installed \(npm install bullmq-otel/);
});
