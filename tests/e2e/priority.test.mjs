// Priorities across processes: on a host with one CPU slot, a batch encode
// holds it; a realtime encode started meanwhile waits, the batch job gives
// the slot up at its next chunk boundary (nothing in hand, nothing lost),
// the realtime job runs, and the batch job resumes once no realtime job
// waits and still writes a complete ladder. The realtime job's wait and the
// batch job's chunk time are printed (a measurement, not an assertion).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, parseProgress } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { decodeCheck, probeRendition } from './lib/probe.mjs';
import { slotEvent, startLadder } from './lib/live.mjs';
import { makeTempDir } from './lib/util.mjs';

describe('--priority realtime next to a batch job on one host CPU slot', () => {
  let batch = null;
  let realtime = null;
  let batchDir = null;
  let longSrc = null;
  before(async () => {
    ladderBin();
    longSrc = await cfrClip('30', { width: 960, height: 540, duration: 16 });
    const shortSrc = await cfrClip('30', { width: 320, height: 180, duration: 2 });
    const work = makeTempDir('ladder-e2e-priority-');
    const env = { ...process.env, LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '1' };
    fs.mkdirSync(env.LADDER_STATE_DIR);
    batchDir = path.join(work, 'batch');
    // lock: false — both must run at once, past the suite's shared lock.
    const batchRun = encode(longSrc.path, batchDir, ['--rung', 'x540:2000k', '--rung', 'x360:800k', '--devices', 'cpu:1',
      '--preset', 'veryfast', '--progress', 'json'], { env, lock: false });
    // Until the batch job holds the slot: its state file names it.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !fs.readdirSync(env.LADDER_STATE_DIR).some((f) => f === 'cpu.0.lock' &&
      fs.readFileSync(path.join(env.LADDER_STATE_DIR, f), 'utf8').includes('pid'))) await sleep(50);
    await sleep(1000);
    const rtRun = encode(shortSrc.path, path.join(work, 'realtime'), ['--rung', 'x180:300k', '--priority', 'realtime',
      '--progress', 'json'], { env, lock: false });
    [batch, realtime] = await Promise.all([batchRun, rtRun]);
  });

  const slots = (run) => parseProgress(run.stdout).events.filter((e) => e.type === 'slots');
  const report = (run) => parseProgress(run.stdout).events.find((e) => e.type === 'report');

  it('both succeed; the realtime job waited, the batch job yielded once and resumed', () => {
    assert.equal(batch.code, 0, describeRun(batch));
    assert.equal(realtime.code, 0, describeRun(realtime));
    const rt = slots(realtime);
    const waiting = rt.find((e) => e.event === 'waiting');
    assert.ok(waiting, `the realtime job never waited: the batch job was done too soon?\n${JSON.stringify(rt)}`);
    const acquired = rt.find((e) => e.event === 'acquired');
    const released = rt.find((e) => e.event === 'released');
    const b = slots(batch);
    const yielded = b.find((e) => e.event === 'yielded');
    const resumed = b.find((e) => e.event === 'resumed');
    assert.ok(yielded && resumed, `batch slot events: ${JSON.stringify(b)}`);
    // The realtime job ran inside the batch job's gap, on the slot it gave.
    assert.ok(yielded.time <= acquired.time && released.time <= resumed.time,
      `yielded ${yielded.time} acquired ${acquired.time} released ${released.time} resumed ${resumed.time}`);
    assert.deepEqual(acquired.slots, [yielded.slot]);
    const br = report(batch);
    assert.equal(br.priority.class, 'batch');
    assert.ok(br.priority.yields >= 1 && br.priority.yield_seconds > 0, JSON.stringify(br.priority));
    const rr = report(realtime);
    assert.equal(rr.priority.class, 'realtime');
    assert.equal(rr.priority.yields, 0);
    const chunkSeconds = br.rungs.reduce((n, r) => n + r.encode_seconds, 0) / br.rungs.reduce((n, r) => n + r.chunks, 0);
    console.log(`# realtime waited ${(acquired.time - waiting.time).toFixed(2)} s for the slot; ` +
      `the batch job's chunks took ${chunkSeconds.toFixed(2)} s each on average`);
  });

  it('the batch job lost nothing: every rung decodes to every source frame', () => {
    assert.equal(batch.code, 0, 'batch failed');
    const out = loadOutput(batchDir);
    for (const v of out.variants) {
      const probe = probeRendition(v.init, v.segs, 'v:0');
      const d = decodeCheck(probe.concat);
      assert.equal(d.errors, '', `${v.name}: decoder errors:\n${d.errors}`);
      assert.equal(d.frames, longSrc.frames, `${v.name}: decoded ${d.frames} of ${longSrc.frames} frames`);
    }
  });

  it('rejects an unknown priority class (exit 2)', async () => {
    const r = await encode(longSrc.path, path.join(makeTempDir('ladder-e2e-priority-bad-'), 'o'), ['--priority', 'urgent']);
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /--priority 'urgent': expected realtime or batch/);
  });
});

// A batch job that gave its slot to a realtime one waits until no realtime
// job waits; a stop must not wait that long. SIGTERM then ends the wait at
// once: the batch job stops at its chunk boundary (exit 14, resumable)
// while the realtime job is still encoding.
describe('a yielded batch job stops at once, not when the realtime job ends', () => {
  it('SIGTERM while yielded: exit 14 within seconds, the realtime job still running', async () => {
    ladderBin();
    const src = await cfrClip('30', { width: 960, height: 540, duration: 16 });
    const work = makeTempDir('ladder-e2e-priority-stop-');
    const env = { ...process.env, LADDER_STATE_DIR: path.join(work, 'state'), LADDER_HOST_CPU_SLOTS: '1' };
    fs.mkdirSync(env.LADDER_STATE_DIR);
    const batch = startLadder(['encode', src.path, '-o', path.join(work, 'batch'), '--rung', 'x540:2000k',
      '--devices', 'cpu:1', '--preset', 'veryfast', '--progress', 'json'], env);
    await batch.waitFor(slotEvent('acquired'));
    // A realtime job slow enough to still run when the batch job is told to stop.
    const rt = startLadder(['encode', src.path, '-o', path.join(work, 'realtime'), '--rung', 'x540:2000k',
      '--preset', 'slow', '--priority', 'realtime', '--progress', 'json'], env);
    await batch.waitFor(slotEvent('yielded'));
    await rt.waitFor(slotEvent('acquired'));
    const t0 = Date.now();
    batch.child.kill('SIGTERM');
    await batch.done;
    const stopSeconds = (Date.now() - t0) / 1000;
    const rtRunning = rt.code === undefined;
    rt.child.kill('SIGKILL');
    await rt.done;
    const what = `batch stopped after ${stopSeconds.toFixed(2)} s; realtime ${rtRunning ? 'still running' : `ended: ${describeRun(rt)}`}`;
    assert.equal(batch.code, 14, `${what}\n${describeRun(batch)}`);
    assert.match(batch.stderr, /stopped at a chunk boundary/);
    assert.ok(rtRunning, `the realtime job ended before the batch job stopped: the test proves nothing (${what})`);
    assert.ok(stopSeconds < 10, `the yielded batch job took ${stopSeconds.toFixed(1)} s to stop`);
    console.log(`# the yielded batch job stopped ${stopSeconds.toFixed(2)} s after SIGTERM`);
  });
});
