// GPU policy on a host without a GPU, through a replayed inventory
// ($LADDER_INVENTORY_FILE: `ladder devices --json` of an L4 box and of an
// H100 box, tests/e2e/fixtures). Encoders and decoders still open for real,
// so the replayed GPUs fail exactly as a GPU whose driver is gone.
//  - `ladder devices` reads the capture back field for field.
//  - A GPU listed first whose encoder does not open: the next device defines
//    the rung and encodes every chunk; the run does not fail.
//  - GPU sessions are host slots (nvidia-<UUID>): with its one session held by
//    another process a job waits for it (and goes on when the holder is
//    killed), --no-wait exits 75 naming it, --when-busy cpu runs without it,
//    gpu_sessions 2 gives the job the second one; a GPU with two NVENC
//    engines has two sessions by default.
//  - A rung NVENC cannot encode as asked (a capped CRF rung) keeps the GPU
//    off it with the reason.
//  - --decode-device auto picks the replayed GPU's NVDEC; CUDA does not open
//    here, so the CPU decodes every frame and the report says why.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, runLadder, stderrLines } from './lib/ladder.mjs';
import { slotEvent, startLadder } from './lib/live.mjs';
import { makeMedia } from './lib/media.mjs';
import { decodeCheck } from './lib/probe.mjs';
import { E2E_DIR, makeTempDir } from './lib/util.mjs';

const L4 = path.join(E2E_DIR, 'fixtures', 'inventory-l4.json');
const H100 = path.join(E2E_DIR, 'fixtures', 'inventory-h100.json');
const L4_UUID = 'GPU-4c4c4c4c-0000-1111-2222-333333333333';
const GPU_KEY = `nvidia-${L4_UUID}`;
const BASE = ['--no-audio', '--rung', '320x180:300k', '--format', 'hls'];

const report = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));

/** Hold host slot KEY.i of stateDir as another process would (flock(1)). */
async function holdSlot(stateDir, key, i = 0) {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, `${key}.${i}.lock`);
  const child = spawn('flock', ['-x', '-o', file, 'sleep', '120'], { stdio: 'ignore' });
  // flock creates the file and takes the lock before sleep starts; -o: the
  // lock is flock's own, so killing it frees the slot (as a crash would).
  for (let t = 0; t < 100 && !fs.existsSync(file); t++) await sleep(20);
  await sleep(200);
  return child;
}

function assertSegmentsDecode(outDir) {
  const dir = path.join(outDir, 'video', '180p');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.m4s'))) {
    const joined = path.join(path.dirname(outDir), `${path.basename(outDir)}-${f}.mp4`);
    fs.writeFileSync(joined, Buffer.concat([fs.readFileSync(path.join(dir, 'init.mp4')), fs.readFileSync(path.join(dir, f))]));
    const d = decodeCheck(joined);
    assert.ok(d.frames > 0 && !d.errors, `${f}: ${JSON.stringify(d)}`);
  }
}

describe('replayed inventories', () => {
  let src;
  let work;
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-gpu-policy-');
    src = await makeMedia({ name: 'gpu-policy', width: 640, height: 360, rate: '30', duration: 4, audio: false });
  });
  const envFor = (name, inventory, extra = {}) => ({
    ...process.env, LADDER_INVENTORY_FILE: inventory, LADDER_STATE_DIR: path.join(work, `state-${name}`),
    LADDER_HOST_CPU_SLOTS: '2', ...extra,
  });

  it('ladder devices reads a capture back: the H100 is decode-only, the JSON round-trips', async () => {
    const env = envFor('devices', H100);
    const table = await runLadder(['devices'], { env, lock: false });
    assert.equal(table.code, 0, describeRun(table));
    assert.match(table.stdout, /inventory replayed from .*inventory-h100\.json/);
    assert.match(table.stdout, /NVIDIA H100 80GB HBM3.*decode-only: no NVENC \(NV_ENC_ERR_UNSUPPORTED_DEVICE\)/);
    const first = await runLadder(['devices', '--json'], { env, lock: false });
    assert.equal(first.code, 0, describeRun(first));
    const again = path.join(work, 'again.json');
    fs.writeFileSync(again, first.stdout);
    const second = await runLadder(['devices', '--json'], { env: { ...env, LADDER_INVENTORY_FILE: again }, lock: false });
    assert.equal(second.stdout, first.stdout);
    const gpu = JSON.parse(first.stdout).devices[1];
    assert.deepEqual([gpu.role, gpu.encoder_sessions, gpu.encode, gpu.decode, gpu.uuid, gpu.compute_capability],
      ['decode-only', 0, [], ['h264', 'hevc', 'av1', 'vp9'], 'GPU-a100a100-h100-4000-8000-000000000001', '9.0']);
    // A capture that is not one: exit 6, one line naming the file.
    const bad = await runLadder(['devices'], { env: { ...env, LADDER_INVENTORY_FILE: src.path }, lock: false });
    assert.equal(bad.code, 6, describeRun(bad));
    assert.match(stderrLines(bad.stderr)[0], /inventory file '.*gpu-policy.*': cannot read it as JSON/);
  });

  it('a first-listed GPU whose encoder does not open: the CPU defines and encodes the rung', async () => {
    const out = path.join(work, 'fallback');
    const run = await encode(src.path, out, [...BASE, '--devices', 'nvidia,cpu:1', '--progress', 'none'],
      { env: envFor('fallback', L4) });
    assert.equal(run.code, 0, describeRun(run));
    const rung = report(out).rungs[0];
    assert.equal(rung.canonical_device, 'cpu');
    const gpu = rung.devices.find((d) => d.name === 'nvidia0');
    assert.equal(gpu.chunks, 0);
    assert.match(gpu.excluded, /h264_nvenc .*does not open/);
    assert.equal(rung.devices.find((d) => d.name === 'cpu').chunks, rung.segments);
    assert.match(run.stderr, /rung=180p device=nvidia0 event=device_excluded/);
    assertSegmentsDecode(out);
  });

  it('GPU sessions are host slots: wait for a held one, go on when its holder is killed', async () => {
    const env = envFor('wait', L4);
    const holder = await holdSlot(env.LADDER_STATE_DIR, GPU_KEY);
    const run = startLadder(['encode', src.path, '-o', path.join(work, 'wait'), ...BASE, '--devices', 'nvidia,cpu:1',
      '--progress', 'json'], env);
    try {
      const waiting = await run.waitFor(slotEvent('waiting', GPU_KEY));
      assert.equal(waiting.capacity, 1);
      assert.ok(run.events.some(slotEvent('acquired', 'cpu')), 'the CPU slot comes first');
      await sleep(500);
      assert.ok(!run.events.some(slotEvent('acquired', GPU_KEY)), 'took a session that was held');
      const killedAt = Date.now() / 1000;
      holder.kill('SIGKILL');
      const got = await run.waitFor(slotEvent('acquired', GPU_KEY));
      assert.ok(got.time >= killedAt - 0.05 && got.time < killedAt + 10,
        `acquired at ${got.time}, the holder died at ${killedAt}`);
      await run.done;
      assert.equal(run.code, 0, describeRun(run));
      assert.ok(run.events.some(slotEvent('released', GPU_KEY)));
    } finally {
      holder.kill('SIGKILL');
      run.child.kill('SIGKILL');
    }
  });

  it('--no-wait: exit 75 naming the GPU; --when-busy cpu: runs without it; gpu_sessions 2: the second one', async () => {
    const env = envFor('busy', L4);
    const holder = await holdSlot(env.LADDER_STATE_DIR, GPU_KEY);
    try {
      const args = (name) => ['encode', src.path, '-o', path.join(work, name), ...BASE, '--devices', 'nvidia,cpu:1'];
      const noWait = await runLadder([...args('nowait'), '--no-wait', '--progress', 'none'], { env });
      assert.equal(noWait.code, 75, describeRun(noWait));
      const lines = stderrLines(noWait.stderr);
      assert.equal(lines.length, 1, noWait.stderr);
      assert.match(lines[0], new RegExp(`no free ${GPU_KEY} session on this host \\(1 in .*\\).*--no-wait: exit 75`));
      assert.ok(!fs.existsSync(path.join(work, 'nowait', 'master.m3u8')));

      const cpu = await runLadder([...args('tocpu'), '--when-busy', 'cpu', '--progress', 'json'], { env });
      assert.equal(cpu.code, 0, describeRun(cpu));
      assert.match(cpu.stdout, new RegExp(`"event":"skipped","device":"${GPU_KEY}"`));
      assert.deepEqual(report(path.join(work, 'tocpu')).devices.map((d) => d.name), ['cpu']);

      const two = await runLadder([...args('two'), '--progress', 'json'], { env: { ...env, LADDER_GPU_SESSIONS: '2' } });
      assert.equal(two.code, 0, describeRun(two));
      const acquired = two.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .find(slotEvent('acquired', GPU_KEY));
      assert.deepEqual([acquired.capacity, acquired.got], [2, 1]);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('an L4 with two NVENC engines: two host sessions by default; a capped CRF rung is refused on NVENC', async () => {
    // The capture as a probe that read NV_ENC_CAPS_NUM_ENCODER_ENGINES writes it.
    const capture = JSON.parse(fs.readFileSync(L4, 'utf8'));
    const l4 = capture.devices.find((d) => d.kind === 'nvidia');
    Object.assign(l4, { encoder_sessions: 2, encoder_engines: 2 });
    const twoEngines = path.join(work, 'inventory-l4-2engines.json');
    fs.writeFileSync(twoEngines, JSON.stringify(capture));
    const env = envFor('engines', twoEngines);
    const holder = await holdSlot(env.LADDER_STATE_DIR, GPU_KEY);
    try {
      const out = path.join(work, 'engines');
      const run = await runLadder(['encode', src.path, '-o', out, '--no-audio', '--format', 'hls',
        '--rung', '320x180:crf23:maxrate=400k', '--devices', 'nvidia,cpu:1', '--progress', 'json'], { env });
      assert.equal(run.code, 0, describeRun(run));
      const events = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      // No gpu_sessions set: the GPU's engines are its host-wide sessions,
      // so the second one is free while another process holds the first.
      assert.ok(!events.some(slotEvent('waiting', GPU_KEY)), 'waited for a GPU with a free second session');
      const acquired = events.find(slotEvent('acquired', GPU_KEY));
      assert.deepEqual([acquired.capacity, acquired.got], [2, 1]);
      // FFmpeg 5.1's NVENC drops the VBV in constant-quality mode: the
      // pre-flight keeps the GPU off the rung with that reason (before any
      // encoder is opened), and the CPU encodes it.
      const rung = report(out).rungs[0];
      assert.equal(rung.canonical_device, 'cpu');
      assert.match(rung.devices.find((d) => d.name === 'nvidia0').excluded, /constant-quality mode drops the VBV buffer/);
      assertSegmentsDecode(out);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('--decode-device auto picks the replayed NVDEC; CUDA does not open, the CPU decodes every frame', async () => {
    const out = path.join(work, 'decode');
    const run = await encode(src.path, out, [...BASE, '--decode-device', 'auto', '--progress', 'none'],
      { env: envFor('decode', L4) });
    assert.equal(run.code, 0, describeRun(run));
    const d = report(out).decode;
    assert.equal(d.device, 'nvidia0');
    assert.match(d.reason, new RegExp(`NVIDIA L4 decodes h264 640x360 8-bit \\(${L4_UUID}\\)`));
    assert.equal(d.frames_on_device, 0);
    assert.equal(d.frames_on_cpu, src.frames);
    assert.match(d.fallback.reason, /cannot open CUDA device 0/);
    assert.equal(d.fallback.at_frame, 0);
    assert.match(run.stderr, /device=nvidia0 event=decode_fallback frame=0 .*decoding on the CPU/);
    // gpu:1 names a GPU the capture does not have.
    const none = await encode(src.path, path.join(work, 'decode1'), [...BASE, '--decode-device', 'gpu:1'],
      { env: envFor('decode', L4) });
    assert.equal(none.code, 11, describeRun(none));
    assert.match(stderrLines(none.stderr)[0], /--decode-device gpu:1: no GPU 1/);
  });
});

describe('a replayed Intel GPU (QSV)', () => {
  it('intel,cpu:1: the Arc is listed, takes its host session, fails its pre-flight here; the CPU encodes', async () => {
    const work = makeTempDir('ladder-e2e-gpu-intel-');
    const src = await makeMedia({ name: 'gpu-policy', width: 640, height: 360, rate: '30', duration: 4, audio: false });
    const env = { ...process.env, LADDER_INVENTORY_FILE: path.join(E2E_DIR, 'fixtures', 'inventory-arc.json'),
      LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '2' };
    const out = path.join(work, 'out');
    const run = await runLadder(['encode', src.path, '-o', out, ...BASE, '--devices', 'intel,cpu:1',
      '--progress', 'json'], { env });
    assert.equal(run.code, 0, describeRun(run));
    const events = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(events.some(slotEvent('acquired', 'intel-0')), 'no intel-0 host session');
    const rep = report(out);
    assert.deepEqual(rep.devices.map((d) => [d.name, d.kind]), [['intel0', 'intel'], ['cpu', 'cpu']]);
    const rung = rep.rungs[0];
    assert.equal(rung.canonical_device, 'cpu');
    assert.match(rung.devices.find((d) => d.name === 'intel0').excluded, /h264_qsv .*does not open/);
    assertSegmentsDecode(out);
    // Without an Intel GPU in the capture: exit 11, one line.
    const none = await runLadder(['encode', src.path, '-o', path.join(work, 'none'), ...BASE, '--devices', 'intel'],
      { env: { ...env, LADDER_INVENTORY_FILE: L4 } });
    assert.equal(none.code, 11, describeRun(none));
    assert.match(stderrLines(none.stderr)[0], /devices 'intel:1': no Intel GPU on this host/);
  });

  it('--decode-device intel picks the Arc (and auto does, with no NVIDIA GPU); no session here, the CPU decodes every frame', async () => {
    const work = makeTempDir('ladder-e2e-gpu-qsvdec-');
    const src = await makeMedia({ name: 'gpu-policy', width: 640, height: 360, rate: '30', duration: 4, audio: false });
    const env = { ...process.env, LADDER_INVENTORY_FILE: path.join(E2E_DIR, 'fixtures', 'inventory-arc.json'),
      LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '2' };
    for (const request of ['intel', 'auto']) {
      const out = path.join(work, request);
      const run = await runLadder(['encode', src.path, '-o', out, ...BASE, '--decode-device', request,
        '--progress', 'none'], { env });
      assert.equal(run.code, 0, describeRun(run));
      const d = report(out).decode;
      assert.equal(d.requested, request);
      assert.equal(d.device, 'intel0');
      assert.match(d.reason, /Intel\(R\) Arc\(TM\) A380 Graphics decodes h264 640x360 8-bit \(QSV, adapter 0\)/);
      if (request === 'auto') assert.match(d.reason, /; no NVIDIA GPU/);
      // No Intel GPU behind the capture: the session does not open, and
      // the CPU decodes every frame, as after any hardware decode error.
      assert.equal(d.frames_on_device, 0);
      assert.equal(d.frames_on_cpu, src.frames);
      assert.match(d.fallback.reason, /Quick Sync/);
      assert.match(run.stderr, /device=intel0 event=decode_fallback frame=0 .*decoding on the CPU/);
      assertSegmentsDecode(out);
    }
    // intel:1 names an adapter the capture does not have.
    const none = await runLadder(['encode', src.path, '-o', path.join(work, 'none'), ...BASE,
      '--decode-device', 'intel:1'], { env });
    assert.equal(none.code, 11, describeRun(none));
    assert.match(stderrLines(none.stderr)[0], /--decode-device intel:1: no Intel GPU 1$/);
  });
});

describe('tiers are enforced: a heavy job never lands on a light device', () => {
  // The L4 box: its GPU is heavy, its CPU light (stills only).
  const TIERS = { tiers: [
    { name: 'heavy', match: { kind: 'nvidia', nvenc: true, min_memory_gib: 16 }, jobs: ['proxy', 'conform', 'trim', 'ladder'] },
    { name: 'light', match: { kind: 'cpu' }, jobs: ['thumbnail', 'filmstrip'] }] };
  let work;
  let src;
  let env;
  before(async () => {
    work = makeTempDir('ladder-e2e-tiers-');
    src = await makeMedia({ name: 'gpu-policy', width: 640, height: 360, rate: '30', duration: 4, audio: false });
    fs.writeFileSync(path.join(work, 'tiers.json'), JSON.stringify(TIERS));
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({ tier_file: path.join(work, 'tiers.json') }));
    env = { ...process.env, LADDER_INVENTORY_FILE: L4, LADDER_CONFIG: path.join(work, 'config.json'),
      LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '2' };
  });

  it('ladder encode on the light CPU: exit 11 naming the device and its tier; the heavy GPU is kept', async () => {
    const run = await runLadder(['encode', src.path, '-o', path.join(work, 'enc'), ...BASE, '--devices', 'cpu:1'],
      { env });
    assert.equal(run.code, 11, describeRun(run));
    const lines = stderrLines(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /no device here may run ladder jobs under the tiers of .*tiers\.json: cpu \(Fixture CPU: tier light\)/);
    assert.ok(!fs.existsSync(path.join(work, 'enc', 'master.m3u8')));
    // A list with both: the CPU is left out (it cannot encode here either
    // way, so the GPU's failure to open is the run's end: exit 8, not 11).
    const both = await runLadder(['encode', src.path, '-o', path.join(work, 'enc2'), ...BASE, '--devices',
      'nvidia,cpu:1'], { env });
    assert.match(both.stderr, /tiers: device cpu may not run ladder jobs \(light\): left out/);
    assert.notEqual(both.code, 11, describeRun(both));
    assert.doesNotMatch(both.stderr, /rung=180p device=cpu /);
  });

  it('ladder job: thumbnail runs on the light CPU, proxy is refused with exit 11', async () => {
    const job = async (spec) => {
      const r = await runLadder(['job', '-'], { env, input: JSON.stringify(spec) });
      const result = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((o) => o.type === 'result');
      return { r, result };
    };
    const thumb = await job({ type: 'thumbnail', input: src.path, output_root: work, output: 'thumb', width: 160 });
    assert.equal(thumb.r.code, 0, describeRun(thumb.r));
    assert.equal(thumb.result.status, 'ok');
    const proxy = await job({ type: 'proxy', input: src.path, output_root: work, output: 'proxy' });
    assert.equal(proxy.r.code, 11, describeRun(proxy.r));
    assert.equal(proxy.result.status, 'error');
    assert.match(JSON.stringify(proxy.result), /no device here may run proxy jobs under the tiers/);
    assert.ok(!fs.existsSync(path.join(work, 'proxy')));
  });
});
