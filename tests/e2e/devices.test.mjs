// `ladder devices`: the inventory as JSON and as a table, on the machine
// running the test. The CPU entry is checked against the process's own view
// (cores it may use, the software encoders ffmpeg's build lists); a vendor
// with no device must say why, and on a host without NVIDIA / Intel device
// nodes it must report none.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { describe, it } from 'node:test';
import { describeRun, runLadder, stderrLines } from './lib/ladder.mjs';
import { runProcess } from './lib/util.mjs';

const EXIT_USAGE = 2;

// What the linked libavcodec offers the CPU, asked of the ffmpeg CLI (the
// same Debian libraries): codec -> software encoder.
async function softwareEncoders() {
  const r = await runProcess('ffmpeg', ['-hide_banner', '-encoders']);
  assert.equal(r.code, 0, `ffmpeg -encoders failed: ${r.stderr}`);
  const has = (name) => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(r.stdout);
  return ['h264:libx264', 'hevc:libx265', 'av1:libsvtav1']
    .map((pair) => pair.split(':'))
    .filter(([, encoder]) => has(encoder))
    .map(([codec]) => codec);
}

const hasNvidiaNodes = () => fs.existsSync('/dev/nvidiactl');
const hasRenderNodes = () => fs.existsSync('/dev/dri') &&
  fs.readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));

describe('ladder devices', () => {
  it('--json: a CPU device with one slot per usable core and its software encoders; absent vendors give a reason', async () => {
    const r = await runLadder(['devices', '--json'], { lock: false });
    assert.equal(r.code, 0, describeRun(r));
    const doc = JSON.parse(r.stdout);
    assert.ok(Array.isArray(doc.devices), 'devices[]');

    const cpus = doc.devices.filter((d) => d.kind === 'cpu');
    assert.equal(cpus.length, 1, 'exactly one CPU device');
    const cpu = cpus[0];
    assert.equal(cpu.index, 0);
    const cores = os.availableParallelism();
    assert.equal(cpu.cores, cores, 'cores = what this process may run on');
    assert.equal(cpu.encoder_sessions, cores, 'one encoder slot per core');
    assert.equal(cpu.role, 'encode');
    assert.equal(cpu.state, 'idle');
    assert.ok(cpu.memory.total_bytes > 0 && cpu.memory.free_bytes <= cpu.memory.total_bytes);
    assert.match(cpu.simd, /^(avx512f|avx2|avx|sse4\.2|sse4\.1|ssse3|sse2|neon|none)$/);
    const expected = await softwareEncoders();
    assert.deepEqual(cpu.encode, expected, `CPU encode codecs = ffmpeg's software encoders (${expected})`);
    for (const codec of expected) {
      assert.equal(cpu.encode_caps[codec].usable, true);
      assert.equal(cpu.encode_caps[codec].note, null);
    }
    assert.ok(cpu.decode.includes('h264'), 'the CPU decodes H.264');

    // Indices are positions, and vendor counts match the list.
    doc.devices.forEach((d, i) => assert.equal(d.index, i));
    for (const kind of ['cpu', 'nvidia', 'intel']) {
      const v = doc.vendors[kind];
      assert.ok(v, `vendors.${kind}`);
      assert.equal(v.devices, doc.devices.filter((d) => d.kind === kind).length, `vendors.${kind}.devices`);
      if (v.devices === 0) assert.ok(v.reason && v.reason.length > 0, `vendors.${kind}: no device needs a reason`);
    }
    // Every GPU that encodes nothing says why.
    for (const d of doc.devices.filter((x) => x.role !== 'encode')) {
      assert.ok(d.reason, `device ${d.index} (${d.role}) has a reason`);
    }
    if (!hasNvidiaNodes()) {
      assert.equal(doc.vendors.nvidia.devices, 0, 'no /dev/nvidiactl: no NVIDIA device');
      assert.match(doc.vendors.nvidia.reason, /libcuda\.so\.1|cuInit/);
    }
    if (!hasRenderNodes()) {
      assert.equal(doc.vendors.intel.devices, 0, 'no /dev/dri render node: no Intel device');
      assert.match(doc.vendors.intel.reason, /oneVPL|libvpl/);
    }
  });

  it('the table shows the same devices and the reasons for absent vendors', async () => {
    const [table, json] = await Promise.all([
      runLadder(['devices'], { lock: false }),
      runLadder(['devices', '--json'], { lock: false }),
    ]);
    assert.equal(table.code, 0, describeRun(table));
    const doc = JSON.parse(json.stdout);
    const lines = table.stdout.split('\n');
    // Two lines a device (the table fits 80 columns): who, sessions, state,
    // role; then memory and codecs.
    assert.match(lines[0], /^#\s+KIND\s+NAME\s+SESS\s+STATE/);
    assert.match(lines[1], /^\s+MEMORY free\/all; ENCODE; DECODE$/);
    for (const l of lines) assert.ok(l.length <= 80 || /: /.test(l), `over 80 columns: ${l}`);
    for (const d of doc.devices) {
      const at = lines.findIndex((l) => l.startsWith(`${d.index} `));
      assert.ok(at >= 0, `a row for device ${d.index}\n${table.stdout}`);
      const row = lines[at], detail = lines[at + 1];
      assert.match(row, new RegExp(`^${d.index}\\s+${d.kind}\\s`));
      assert.ok(detail.includes(`encode ${d.encode.length ? d.encode.join(',') : '-'}`),
        `device ${d.index} lists encode codecs\n${detail}`);
      assert.ok(row.includes(d.role), `row ${d.index} shows the role\n${row}`);
    }
    const cpuRow = lines.find((l) => l.startsWith('0 '));
    assert.match(cpuRow, new RegExp(`\\s${doc.devices[0].encoder_sessions}\\s+idle\\s`), 'sessions and state');
    for (const [kind, label] of [['nvidia', 'NVIDIA'], ['intel', 'Intel']]) {
      const v = doc.vendors[kind];
      const line = v.devices === 0 ? `${label}: none (${v.reason})` : `${label}: ${v.devices} device`;
      assert.ok(lines.some((l) => l.startsWith(line)), `table has "${line}"\n${table.stdout}`);
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await runLadder(['devices', '--help'], { lock: false });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /^Usage: ladder devices \[--json\]/);
    const viaHelp = await runLadder(['help', 'devices'], { lock: false });
    assert.equal(viaHelp.stdout, r.stdout);
  });

  for (const args of [['--jsn'], ['--json', 'extra'], ['-x']]) {
    it(`bad invocation ${JSON.stringify(args)}: one line naming it, exit 2`, async () => {
      const r = await runLadder(['devices', ...args], { lock: false });
      assert.equal(r.code, EXIT_USAGE, describeRun(r));
      assert.equal(r.stdout, '');
      const lines = stderrLines(r.stderr);
      assert.equal(lines.length, 1, describeRun(r));
      assert.ok(lines[0].includes(args[args.length - 1]), `names the bad argument: ${lines[0]}`);
    });
  }
});
