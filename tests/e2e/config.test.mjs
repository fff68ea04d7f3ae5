// Host configuration (`ladder config`), tiers in `ladder devices`, and the
// route of `ladder probe --route` / `ladder encode`. Every run gets a
// private environment: no LADDER_* variable from the caller, and
// XDG_CONFIG_HOME pointing at an empty directory, so only what a test
// writes is read.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, loadOutput, parseProgress, runLadder, stderrLines } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { makeTempDir } from './lib/util.mjs';

const EXIT_BAD_CONFIG = 6;

let work;
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LADDER_') || k === 'LADDER_BIN') env[k] = v;
  return { ...env, XDG_CONFIG_HOME: path.join(work, 'xdg'), LADDER_STATE_DIR: path.join(work, 'state'), ...extra };
}
function writeJson(name, value) {
  const file = path.join(work, name);
  fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}
async function configJson(args, env) {
  const r = await runLadder(['config', '--json', ...args], { lock: false, env });
  assert.equal(r.code, 0, describeRun(r));
  return JSON.parse(r.stdout);
}

describe('ladder config', () => {
  before(() => {
    work = makeTempDir('ladder-e2e-config-');
    fs.mkdirSync(path.join(work, 'xdg'));
  });

  it('--json: built-in defaults, each with source "default"', async () => {
    const doc = await configJson([], cleanEnv({ LADDER_STATE_DIR: '' }));
    assert.equal(doc.file, null);
    const keys = Object.keys(doc.keys);
    assert.deepEqual(keys, ['state_dir', 'host_cpu_slots', 'devices', 'gpu_sessions', 'decode_device', 'preset',
      'segment_seconds', 'memory_budget', 'when_busy', 'tier_file', 'routing.gpu_memory_reserve',
      'routing.small_job_max_pixels', 'allow_protocols', 'max_pixels', 'max_memory', 'output_root',
      'input_allow']);
    for (const k of keys) assert.equal(doc.keys[k].source, 'default', k);
    assert.equal(doc.keys.preset.value, 'veryfast');
    assert.equal(doc.keys.segment_seconds.value, 2);
    assert.equal(doc.keys.when_busy.value, 'wait');
    assert.equal(doc.keys['routing.gpu_memory_reserve'].value, 512 * 2 ** 20);
    assert.equal(doc.keys.host_cpu_slots.env, 'LADDER_HOST_CPU_SLOTS');
  });

  it('file < environment < flag, each value naming where it came from; XDG file found', async () => {
    const file = writeJson('chain.json', {
      preset: 'slow', segment_seconds: 3, host_cpu_slots: 3, when_busy: 'cpu',
      routing: { gpu_memory_reserve: '1G', small_job_max_pixels: 100 },
    });
    const env = cleanEnv({ LADDER_PRESET: 'fast', LADDER_HOST_CPU_SLOTS: '5' });
    const doc = await configJson(['--config', file, '--host-cpu-slots', '7'], env);
    assert.equal(doc.file, file);
    const at = (k) => [doc.keys[k].value, doc.keys[k].source];
    assert.deepEqual(at('segment_seconds'), [3, `file:${file}`]);
    assert.deepEqual(at('when_busy'), ['cpu', `file:${file}`]);
    assert.deepEqual(at('routing.gpu_memory_reserve'), [2 ** 30, `file:${file}`]);
    assert.deepEqual(at('preset'), ['fast', 'env:LADDER_PRESET']);
    assert.deepEqual(at('host_cpu_slots'), [7, 'flag']);
    assert.deepEqual(at('devices'), ['cpu', 'default']);
    // $LADDER_CONFIG names the file when no flag does; the XDG place when neither.
    const viaEnv = await configJson([], { ...env, LADDER_CONFIG: file });
    assert.equal(viaEnv.file, file);
    const xdgDir = path.join(work, 'xdg2', 'ladder');
    fs.mkdirSync(xdgDir, { recursive: true });
    fs.writeFileSync(path.join(xdgDir, 'config.json'), '{"segment_seconds": 5}\n');
    const viaXdg = await configJson([], { ...cleanEnv(), XDG_CONFIG_HOME: path.join(work, 'xdg2') });
    assert.equal(viaXdg.keys.segment_seconds.value, 5);
    assert.equal(viaXdg.keys.segment_seconds.source, `file:${path.join(xdgDir, 'config.json')}`);
  });

  it('a bad file: exit 6 and one line naming the key and the file', async () => {
    const cases = [
      [{ segment_seconds: 'two' }, 'segment_seconds'],
      [{ when_busy: 'later' }, 'when_busy'],
      [{ presett: 'slow' }, 'presett'],
      [{ routing: { gpu_memory_reserv: 1 } }, 'routing.gpu_memory_reserv'],
      [{ devices: 'gpu:1' }, 'devices'],
    ];
    for (const [body, key] of cases) {
      const file = writeJson(`bad-${key}.json`, body);
      for (const cmd of [['config'], ['encode', '/nonexistent.mp4', '-o', path.join(work, 'never')]]) {
        const r = await runLadder([...cmd, '--config', file], { lock: false, env: cleanEnv() });
        assert.equal(r.code, EXIT_BAD_CONFIG, describeRun(r));
        const lines = stderrLines(r.stderr);
        assert.equal(lines.length, 1, r.stderr);
        assert.ok(lines[0].includes(key) && lines[0].includes(file), lines[0]);
      }
    }
    assert.ok(!fs.existsSync(path.join(work, 'never')), 'a bad configuration writes nothing');
    // A bad environment value names the variable.
    const r = await runLadder(['config'], { lock: false, env: cleanEnv({ LADDER_WHEN_BUSY: 'sometimes' }) });
    assert.equal(r.code, EXIT_BAD_CONFIG);
    assert.match(r.stderr, /LADDER_WHEN_BUSY.*when_busy/);
  });

  it('ladder devices shows each device\'s tier from the configured tier file', async () => {
    const tiers = writeJson('tiers.json', {
      tiers: [
        { name: 'heavy', match: { kind: 'nvidia', nvenc: true, min_memory_gib: 16 }, jobs: ['ladder', 'proxy'] },
        { name: 'light', match: { kind: ['cpu', 'nvidia'] }, jobs: ['thumbnail'] },
      ],
    });
    const conf = writeJson('with-tiers.json', { tier_file: tiers });
    const r = await runLadder(['devices', '--json', '--config', conf], { lock: false, env: cleanEnv() });
    assert.equal(r.code, 0, describeRun(r));
    const doc = JSON.parse(r.stdout);
    for (const d of doc.devices) {
      const heavy = d.kind === 'nvidia' && d.encode.length > 0 && d.memory.total_bytes >= 16 * 2 ** 30;
      assert.equal(d.tier, heavy ? 'heavy' : 'light', `${d.kind} ${d.name}`);
    }
    assert.equal(doc.devices[0].tier, 'light', 'the CPU is light');
    const without = JSON.parse((await runLadder(['devices', '--json'], { lock: false, env: cleanEnv() })).stdout);
    assert.equal(without.devices[0].tier, null, 'no tier file: no tier');
    const table = await runLadder(['devices', '--tier-file', tiers], { lock: false, env: cleanEnv() });
    assert.match(table.stdout.split('\n')[0], /\bTIER\b/);
    assert.match(table.stdout.split('\n').find((l) => l.startsWith('0 ')), /\blight\b/, 'the CPU row');
    // A bad tier file is a bad configuration too.
    const bad = writeJson('bad-tiers.json', { tiers: [{ name: 'x', jobs: ['ladders'] }] });
    const rb = await runLadder(['devices', '--tier-file', bad], { lock: false, env: cleanEnv() });
    assert.equal(rb.code, EXIT_BAD_CONFIG);
    assert.ok(rb.stderr.includes(bad) && rb.stderr.includes('ladders'), rb.stderr);
    const re = await runLadder(['encode', '/nonexistent.mp4', '-o', path.join(work, 'never2')],
      { lock: false, env: cleanEnv({ LADDER_TIER_FILE: bad }) });
    assert.equal(re.code, EXIT_BAD_CONFIG, describeRun(re));
    assert.equal(stderrLines(re.stderr).length, 1, re.stderr);
    assert.ok(re.stderr.includes(bad), re.stderr);
  });

  it('probe --route and encode: CPU, "no GPU encode device", recorded in report.json and a route line', async (t) => {
    const hasGpu = fs.existsSync('/dev/nvidiactl');
    const source = await makeMedia({ name: 'config-route', width: 320, height: 180, rate: '25', duration: 3 });
    const p = await runLadder(['probe', source.path, '--route', '--json'], { env: cleanEnv() });
    assert.equal(p.code, 0, describeRun(p));
    const route = JSON.parse(p.stdout).route;
    if (hasGpu) t.diagnostic(`GPU host: route ${route.decision} (${route.reason})`);
    else assert.deepEqual(route, { decision: 'cpu', reason: 'no GPU encode device: CPU' });
    const human = await runLadder(['probe', source.path, '--route'], { env: cleanEnv() });
    assert.match(human.stdout, /^route: \S+ \(.+\)$/m);

    // The encode uses the file's preset and segment length, and records the route.
    const conf = writeJson('encode.json', { preset: 'ultrafast', segment_seconds: 1, state_dir: path.join(work, 'state2') });
    const out = path.join(work, 'out');
    // (No LADDER_STATE_DIR here: the environment would win over the file.)
    const r = await runLadder(['encode', source.path, '-o', out, '--config', conf, '--progress', 'json'],
      { env: cleanEnv({ LADDER_STATE_DIR: '' }) });
    assert.equal(r.code, 0, describeRun(r));
    const o = loadOutput(out);
    assert.equal(o.report.devices[0].preset, 'ultrafast', 'preset from the config file');
    const target = (file) => Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(fs.readFileSync(file, 'utf8'))[1]);
    assert.equal(target(o.variants[0].file), 1, 'segment length from the config file');
    assert.ok(fs.existsSync(path.join(work, 'state2', 'cpu.0.lock')), 'state_dir from the config file');
    const { events, bad } = parseProgress(r.stdout);
    assert.deepEqual(bad, [], "every stdout line is JSON");
    const line = events.find((e) => e.type === 'route');
    assert.ok(line, 'a {"type":"route"} line');
    assert.equal(line.ran_on, line.route.startsWith('gpu:') ? 'gpu' : 'cpu');
    assert.deepEqual(o.report.route, { decision: line.route, reason: line.reason });
    if (!hasGpu) assert.deepEqual(o.report.route, { decision: 'cpu', reason: 'no GPU encode device: CPU' });
    // A GPU route runs there: the report's devices then include the GPU.
    else if (line.route.startsWith('gpu:')) assert.ok(o.report.devices.some((d) => d.kind === 'nvidia'), JSON.stringify(o.report.devices));

    // A flag beats the file: --segment 2 over segment_seconds 1.
    const out2 = path.join(work, 'out2');
    const r2 = await runLadder(['encode', source.path, '-o', out2, '--config', conf, '--segment', '2',
      '--progress', 'none'], { env: cleanEnv() });
    assert.equal(r2.code, 0, describeRun(r2));
    assert.equal(target(loadOutput(out2).variants[0].file), 2, 'the flag wins over the file');
  });
});
