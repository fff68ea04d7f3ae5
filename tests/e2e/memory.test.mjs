// The memory budget bounds raw frames held for encoders, chunks still being
// built included, whatever the input's length; the default follows the
// ladder ((slots + 1) chunks of the largest rung, at least 512 MiB).
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { makeTempDir } from './lib/util.mjs';

const MiB = 1 << 20;
const BUDGET = 160 * MiB;
const RUNGS = ['1280x720:2500k', '640x360:800k'];
// yuv420p bytes of one picture
const pictureBytes = (w, h) => w * h * 1.5;

describe('memory budget', () => {
  const runs = {};
  let work;
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-memory-');
    const short = await makeMedia({ name: 'mem', width: 1280, height: 720, rate: '30', duration: 4, audio: false });
    const long = await makeMedia({ name: 'mem', width: 1280, height: 720, rate: '30', duration: 16, audio: false });
    const base = ['--devices', 'cpu:2', '--preset', 'ultrafast', '--progress', 'none'];
    for (const r of RUNGS) base.push('--rung', r);
    for (const [name, src, extra] of [
      ['short', short, ['--memory-budget', '160M']],
      ['long', long, ['--memory-budget', '160M']],
      ['default', short, []],
    ]) {
      const outDir = path.join(work, name);
      const run = await encode(src.path, outDir, [...base, ...extra]);
      runs[name] = { run, src, report: run.code === 0 ? loadOutput(outDir).report : null };
    }
  });

  it('every run succeeds', () => {
    for (const [name, r] of Object.entries(runs)) assert.equal(r.run.code, 0, `${name}: ${describeRun(r.run)}`);
  });

  it('held raw frames stay within the budget (plus at most one chunk per rung under construction)', () => {
    // 720p chunk: 60 frames x 1.38 MB = 83 MB; two fit, a third must wait.
    const chunk = (w, h) => 60 * pictureBytes(w, h);
    const overshoot = chunk(1280, 720) + chunk(640, 360);
    for (const name of ['short', 'long']) {
      const mem = runs[name].report?.memory;
      assert.ok(mem, `${name}: report.memory missing`);
      assert.equal(mem.budget_bytes, BUDGET);
      assert.ok(mem.queue_peak_bytes > 0, `${name}: nothing was ever held?`);
      assert.ok(mem.queue_peak_bytes <= BUDGET + overshoot,
        `${name}: peak ${mem.queue_peak_bytes} > budget ${BUDGET} + ${overshoot}`);
    }
  });

  it('a 4x longer input holds no more raw frames (length-independent bound)', () => {
    const s = runs.short.report.memory;
    const l = runs.long.report.memory;
    // The long run reaches the budget; the bound is the budget, not the input.
    assert.ok(l.queue_peak_bytes <= BUDGET + 60 * pictureBytes(1280, 720) + 60 * pictureBytes(640, 360));
    // Pools recycle: a 4x longer input allocates at most a little more
    // (per-rung peaks may land at different moments), never 4x.
    assert.ok(l.frame_pool_bytes < 2 * Math.max(s.frame_pool_bytes, BUDGET),
      `frame pools: ${s.frame_pool_bytes} (4 s) vs ${l.frame_pool_bytes} (16 s)`);
  });

  it('the default budget is (slots + 1) chunks of the top rung, at least 512 MiB', () => {
    const mem = runs.default.report.memory;
    const expected = Math.max(512 * MiB, 3 * 60 * pictureBytes(1280, 720));
    assert.equal(mem.budget_bytes, expected);
  });
});
