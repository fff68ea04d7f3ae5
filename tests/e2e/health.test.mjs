// Device health with the fault-injecting device: a CPU-backed device whose
// encodes fail after its Nth (`fault:1:fail-after=N`, optionally only for
// M encodes: `fail-for=M`).
//  - A device failing mid-run: every chunk is still encoded exactly once
//    (by the healthy devices), the output is complete and plays, the
//    device is quarantined, and the report and JSON progress say so.
//  - A device that fails for a while: quarantined, re-tested after the
//    back-off, back on probation, then finishes the ladder itself.
//  - The only device failing for good: exit 8, one line, no playlist.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { encodeAndCollect } from './lib/checks.mjs';
import { describeRun, encode, ladderBin, stderrLines } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { assertPlayedEverything, playHls } from './lib/player.mjs';
import { decodeCheck } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const RUNGS = [
  { spec: '480x270:500k', box: [480, 270] },
  { spec: '320x180:250k', box: [320, 180] },
  { spec: '256x144:150k', box: [256, 144] },
];

function deviceEvents(ctx, name) {
  return ctx.progress.events.filter((e) => e.type === 'device' && e.name === name);
}

describe('--devices cpu:2,fault:1:fail-after=3: a device failing mid-run', () => {
  let ctx = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 640, height: 360, duration: 10 });
    const outDir = path.join(makeTempDir('ladder-e2e-health-'), 'out');
    ctx = await encodeAndCollect({ source: src, outDir, rungs: RUNGS, extraArgs: ['--devices', 'cpu:2,fault:1:fail-after=3'] });
  });

  it('succeeds, with every chunk encoded once by some device', () => {
    assert.equal(ctx.run.code, 0, `ladder encode failed\n${describeRun(ctx.run)}`);
    for (const r of ctx.out.report.rungs) {
      assert.equal(r.chunks, r.segments, `rung ${r.name}: ${r.chunks} chunks for ${r.segments} segments`);
      const byDevice = r.devices.reduce((n, d) => n + d.chunks, 0);
      assert.equal(byDevice, r.chunks, `rung ${r.name}: devices encoded ${byDevice} of ${r.chunks} chunks`);
    }
    const requeues = ctx.out.report.rungs.reduce((n, r) => n + r.failure_requeues, 0);
    assert.ok(requeues >= 3, `only ${requeues} chunks were given back after device failures`);
  });

  it('quarantines the fault device and says so in the report, the progress and the log', () => {
    assert.equal(ctx.run.code, 0, 'encode failed');
    const fault = ctx.out.report.devices.find((d) => d.name === 'fault');
    assert.equal(fault.kind, 'fault');
    assert.ok(fault.chunks <= 3, `the fault device is credited with ${fault.chunks} chunks, it can only make 3`);
    assert.ok(fault.failures >= 3, `fault failures ${fault.failures}`);
    assert.ok(fault.quarantines >= 1, `fault quarantines ${fault.quarantines}`);
    assert.equal(fault.state, 'quarantined');
    assert.match(fault.last_error, /injected fault/);
    const cpu = ctx.out.report.devices.find((d) => d.name === 'cpu');
    assert.equal(cpu.state, 'idle');
    assert.equal(cpu.failures, 0);
    assert.equal(cpu.chunks + fault.chunks, ctx.out.report.rungs.reduce((n, r) => n + r.chunks, 0));
    assert.ok(deviceEvents(ctx, 'fault').some((e) => e.state === 'quarantined'),
      'no JSON progress line shows the fault device quarantined');
    assert.ok(stderrLines(ctx.run.stderr).some((l) => /device=fault event=quarantined/.test(l)), ctx.run.stderr);
  });

  it('writes a complete ladder: every rung decodes to every source frame and plays', async () => {
    assert.equal(ctx.run.code, 0, 'encode failed');
    for (const v of ctx.video) {
      const d = decodeCheck(v.probe.concat);
      assert.equal(d.errors, '', `${v.variant.name}: decoder errors:\n${d.errors}`);
      assert.equal(d.frames, ctx.srcFrames, `${v.variant.name}: decoded ${d.frames} of ${ctx.srcFrames} frames`);
    }
    const expectLevels = ctx.video.map((v) => ({ width: v.probe.stream.width, height: v.probe.stream.height }));
    const r = await playHls(ctx.outDir, { expectLevels });
    assertPlayedEverything(assert, r, { expectLevels, expectAudio: true });
  });
});

describe('--devices fault:1:fail-after=1:fail-for=3: a device that recovers', () => {
  let ctx = null;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 320, height: 180, duration: 6 });
    const outDir = path.join(makeTempDir('ladder-e2e-health-recover-'), 'out');
    ctx = await encodeAndCollect({
      source: src, outDir, rungs: [RUNGS[1]], extraArgs: ['--devices', 'fault:1:fail-after=1:fail-for=3'],
    });
  });

  it('is quarantined, passes its re-test, and finishes the ladder', () => {
    assert.equal(ctx.run.code, 0, `ladder encode failed\n${describeRun(ctx.run)}`);
    const fault = ctx.out.report.devices[0];
    assert.equal(fault.quarantines, 1);
    assert.equal(fault.failures, 3);
    assert.equal(fault.state, 'idle', 'one good chunk after the re-test makes the device healthy again');
    const r = ctx.out.report.rungs[0];
    assert.equal(fault.chunks, r.chunks);
    assert.equal(r.failure_requeues, 3);
    const states = deviceEvents(ctx, 'fault').map((e) => e.state);
    const q = states.indexOf('quarantined');
    assert.ok(q >= 0 && states.indexOf('probation', q) > q, `device states: ${states}`);
    const d = decodeCheck(ctx.video[0].probe.concat);
    assert.equal(d.errors, '');
    assert.equal(d.frames, ctx.srcFrames);
  });
});

describe('--devices fault:1:fail-after=1: no device left', () => {
  it('fails with exit 8 and one line, and writes no playlist', async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 320, height: 180, duration: 6 });
    const outDir = path.join(makeTempDir('ladder-e2e-health-dead-'), 'out');
    const run = await encode(src.path, outDir, ['--rung', '320x180:250k', '--devices', 'fault:1:fail-after=1',
      '--progress', 'none']);
    assert.equal(run.code, 8, describeRun(run));
    // The warnings on the way (failures, quarantines) are log lines; the
    // error itself is one line, the last.
    const lines = stderrLines(run.stderr);
    const errors = lines.filter((l) => !/^ladder: (warning|info|debug): /.test(l));
    assert.equal(errors.length, 1, run.stderr);
    assert.equal(errors[0], lines[lines.length - 1]);
    assert.match(errors[0], /no device left to encode with: .*fault/);
    assert.ok(lines.some((l) => /device=fault event=quarantined .*re-test encode failed/.test(l)), run.stderr);
    for (const f of ['master.m3u8', 'manifest.mpd', 'report.json'])
      assert.ok(!fs.existsSync(path.join(outDir, f)), `${f} written by a failed run`);
  });
});
