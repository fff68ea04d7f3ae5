// Host CPU slots shared between ladder processes: with one slot on the
// host (LADDER_HOST_CPU_SLOTS=1, a private LADDER_STATE_DIR per case), two
// real `ladder encode` runs take turns; --no-wait gets exit 75 and a line
// naming the holder; kill -9 of the holder lets the waiting run go on; a
// stop signal to the waiting run ends its wait at once (exit 14).
// The "slots" JSON lines carry each process's own clock: "acquired" is
// stamped after the lock is taken and "released" before it is dropped, so
// the stamped intervals of two runs overlap only if the real holds did.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, stderrLines } from './lib/ladder.mjs';
import { slotEvent, startLadder as start } from './lib/live.mjs';
import { makeMedia } from './lib/media.mjs';
import { makeTempDir, withSharedLock } from './lib/util.mjs';

// Long enough that the first run still holds its slot when the second
// starts (seconds of encoding against milliseconds of start-up).
const BASE = ['--preset', 'medium', '--no-audio', '--rung', '640x360:800k', '--rung', '320x180:300k'];
const ARGS = [...BASE, '--progress', 'json'];


function interval(run) {
  const acquired = run.events.find(slotEvent('acquired'));
  const released = run.events.find(slotEvent('released'));
  assert.ok(acquired && released, `no acquired/released slot events\n${describeRun(run)}`);
  return [acquired.time, released.time];
}

/** Every progress line and the report come between "acquired" and "released"/after it, in stdout order. */
function assertEncodedWhileHolding(run) {
  const types = run.events.map((e) => (e.type === 'slots' ? e.event : e.type));
  const a = types.indexOf('acquired');
  const r = types.indexOf('released');
  const firstProgress = types.indexOf('progress');
  const lastProgress = types.lastIndexOf('progress');
  assert.ok(a >= 0 && firstProgress > a && lastProgress < r, `progress outside the slot hold: ${types.join(',')}`);
  assert.equal(types[types.length - 1], 'report', 'the report is the last line');
}

describe('host CPU slots between ladder processes', () => {
  let src;
  let work;
  const envFor = (name) => {
    const stateDir = path.join(work, `state-${name}`);
    return { ...process.env, LADDER_STATE_DIR: stateDir, LADDER_HOST_CPU_SLOTS: '1' };
  };
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-slots-');
    src = await makeMedia({ name: 'slots', width: 640, height: 360, rate: '30', duration: 6, audio: false });
  });

  it('two encodes on one host slot never hold it at the same time', async () => {
    await withSharedLock(async () => {
      const env = envFor('turns');
      const a = start(['encode', src.path, '-o', path.join(work, 'turns-a'), ...ARGS], env);
      const aGot = await a.waitFor(slotEvent('acquired'));
      const b = start(['encode', src.path, '-o', path.join(work, 'turns-b'), ...ARGS], env);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      assert.equal(ra.code, 0, describeRun(ra));
      assert.equal(rb.code, 0, describeRun(rb));
      // b found the slot taken and named its holder.
      const waiting = rb.events.find(slotEvent('waiting'));
      assert.ok(waiting, `the second encode did not wait\n${rb.stdout}`);
      assert.deepEqual(waiting.holders.map((h) => h.pid), [aGot.pid]);
      assert.match(waiting.holders[0].job, /^encode .*slots.* -> .*turns-a$/);
      for (const r of [ra, rb]) {
        const got = r.events.find(slotEvent('acquired'));
        assert.deepEqual(got.slots, [0]);
        assert.equal(got.capacity, 1);
        assert.equal(got.state_dir, env.LADDER_STATE_DIR);
        assertEncodedWhileHolding(r);
        const rep = r.events.find((e) => e.type === 'report');
        assert.equal(rep.cpu_slots, 1, 'the session runs with the slots it got');
      }
      const [a0, a1] = interval(ra);
      const [b0, b1] = interval(rb);
      assert.ok(a0 <= a1 && b0 <= b1);
      assert.ok(a1 <= b0 || b1 <= a0, `holds overlap: a [${a0}, ${a1}] b [${b0}, ${b1}]`);
      assert.ok(a1 <= b0, 'the waiting encode got the slot after the first released it');
      // Lock files stay (never unlinked) and are private to the user.
      const st = fs.statSync(env.LADDER_STATE_DIR);
      assert.equal(st.mode & 0o777, 0o700);
      assert.ok(fs.existsSync(path.join(env.LADDER_STATE_DIR, 'cpu.0.lock')));
    });
  });

  it('--no-wait while the slot is held: exit 75 with one line naming the holder', async () => {
    await withSharedLock(async () => {
      const env = envFor('nowait');
      const a = start(['encode', src.path, '-o', path.join(work, 'nowait-a'), ...ARGS], env);
      const aGot = await a.waitFor(slotEvent('acquired'));
      const outDir = path.join(work, 'nowait-c');
      const c = await encode(src.path, outDir, [...BASE, '--progress', 'none', '--no-wait'],
        { env, lock: false });
      // --when-busy fail is the same request in policy words.
      const f = await encode(src.path, path.join(work, 'nowait-f'), [...BASE, '--progress', 'none', '--when-busy', 'fail'],
        { env, lock: false });
      const ra = await a.done;
      assert.equal(f.code, 75, describeRun(f));
      assert.equal(ra.code, 0, describeRun(ra));
      assert.equal(c.code, 75, describeRun(c));
      const lines = stderrLines(c.stderr);
      assert.equal(lines.length, 1, `expected one line on stderr\n${c.stderr}`);
      assert.match(lines[0], /no free cpu slot on this host/);
      assert.ok(lines[0].includes(`cpu.0 held by pid ${aGot.pid}`), lines[0]);
      assert.ok(lines[0].includes(`encode ${src.path} -> ${path.join(work, 'nowait-a')}`), lines[0]);
      assert.ok(lines[0].includes(env.LADDER_STATE_DIR), lines[0]);
      assert.ok(!fs.existsSync(outDir), 'a job that gave up wrote nothing');
      // With the slot free again, --no-wait runs.
      const again = await encode(src.path, outDir, [...ARGS, '--no-wait'], { env, lock: false });
      assert.equal(again.code, 0, describeRun(again));
    });
  });

  it('kill -9 of the holder: the waiting encode takes the slot and succeeds', async () => {
    await withSharedLock(async () => {
      const env = envFor('kill');
      const a = start(['encode', src.path, '-o', path.join(work, 'kill-a'), ...ARGS], env);
      const aGot = await a.waitFor(slotEvent('acquired'));
      const outDir = path.join(work, 'kill-b');
      const b = start(['encode', src.path, '-o', outDir, ...ARGS], env);
      const waiting = await b.waitFor(slotEvent('waiting'));
      assert.deepEqual(waiting.holders.map((h) => h.pid), [aGot.pid]);
      a.child.kill('SIGKILL');
      const ra = await a.done;
      assert.equal(ra.signal, 'SIGKILL');
      assert.ok(!ra.events.some(slotEvent('released')), 'the killed holder released nothing itself');
      const rb = await b.done;
      assert.equal(rb.code, 0, describeRun(rb));
      assert.ok(fs.existsSync(path.join(outDir, 'master.m3u8')));
      const got = rb.events.find(slotEvent('acquired'));
      assert.ok(got && got.time >= aGot.time);
      assertEncodedWhileHolding(rb);
    });
  });

  it('SIGTERM while waiting for a slot: exit 14 at once with one line, nothing written, the holder unharmed', async () => {
    await withSharedLock(async () => {
      const env = envFor('stopwait');
      const a = start(['encode', src.path, '-o', path.join(work, 'stopwait-a'), ...ARGS], env);
      await a.waitFor(slotEvent('acquired'));
      const outDir = path.join(work, 'stopwait-b');
      const b = start(['encode', src.path, '-o', outDir, ...ARGS], env);
      await b.waitFor(slotEvent('waiting'));
      const sentAt = Date.now();
      b.child.kill('SIGTERM');
      const rb = await b.done;
      const stoppedAfterMs = Date.now() - sentAt;
      const aStillRunning = a.child.exitCode === null;
      assert.equal(rb.code, 14, describeRun(rb));
      const lines = stderrLines(rb.stderr);
      assert.match(lines.at(-1), /^ladder: output '.*stopwait-b': stopped while waiting for a host slot, before anything was written; run it again to start$/);
      assert.ok(!rb.events.some(slotEvent('acquired')), 'the stopped encode took no slot');
      assert.ok(!fs.existsSync(outDir), 'a job stopped before it started wrote nothing');
      // It did not wait for the holder to finish first.
      assert.ok(aStillRunning, `the stop waited for the holder (${stoppedAfterMs} ms)`);
      const ra = await a.done;
      assert.equal(ra.code, 0, describeRun(ra));
      console.log(`slots: a waiting encode stopped ${stoppedAfterMs} ms after SIGTERM`);
    });
  });
});
