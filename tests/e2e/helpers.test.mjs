// Helpers: with --devices cpu:2 and a ladder whose top rung dominates, the
// slot that finishes the tiny rungs must help encode chunks of the top rung,
// and the output must not depend on who encoded what. How much sooner the
// ladder finishes is a speed figure: `ladder bench` measures it (ladder vs
// ladder --no-helpers, see benches/RESULTS.md), not this test, so a loaded
// CI machine cannot make it flaky.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { probeRendition } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const PRESET = process.env.LADDER_E2E_HELPERS_PRESET || 'medium';
const RUNGS = ['1280x720:2500k', '128x72:80k', '96x54:60k', '64x36:40k'];

describe('helpers join a ladder\'s dominant rung', () => {
  const runs = []; // {helpers, run, report, outDir}
  let src;
  before(async () => {
    ladderBin();
    src = await makeMedia({
      name: 'helpers', width: 1280, height: 720, rate: '30000/1001', duration: 8, audio: false, preset: 'veryfast',
    });
    const work = makeTempDir('ladder-e2e-helpers-');
    const args = ['--devices', 'cpu:2', '--preset', PRESET, '--progress', 'none'];
    for (const r of RUNGS) args.push('--rung', r);
    let i = 0;
    for (const helpers of [true, false]) {
      const outDir = path.join(work, `run${++i}-${helpers ? 'helpers' : 'nohelpers'}`);
      const run = await encode(src.path, outDir, helpers ? args : [...args, '--no-helpers']);
      const report = run.code === 0 ? loadOutput(outDir).report : null;
      runs.push({ helpers, run, report, outDir });
      if (run.code !== 0) break;
    }
  });

  it('both runs succeed', () => {
    assert.equal(runs.length, 2, `only ${runs.length} runs happened`);
    for (const r of runs) {
      assert.equal(r.run.code, 0, `ladder encode (${r.helpers ? 'helpers' : '--no-helpers'}) failed\n${describeRun(r.run)}`);
      assert.ok(r.report, `no report.json in ${r.outDir}`);
    }
  });

  it('report.helpers and chunks_by_helpers reflect the mode', () => {
    for (const r of runs) {
      const rep = r.report;
      assert.ok(rep, 'missing report');
      assert.equal(rep.helpers, r.helpers, `report.helpers should be ${r.helpers}`);
      assert.equal(rep.cpu_slots, 2, '--devices cpu:2 -> cpu_slots 2');
      const top = rep.rungs.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
      assert.equal(top.width, 1280, `top rung is ${top.width}x${top.height}`);
      if (r.helpers) {
        assert.ok(top.chunks_by_helpers > 0,
          `with helpers the top rung should have chunks encoded by helpers: ${JSON.stringify(top)}`);
      } else {
        for (const rung of rep.rungs) {
          assert.equal(rung.chunks_by_helpers, 0, `--no-helpers but rung ${rung.name} has chunks_by_helpers=${rung.chunks_by_helpers}`);
        }
      }
    }
  });

  it('helpers and --no-helpers produce the same frames and segments', () => {
    const shape = (r) => loadOutput(r.outDir).variants.map((v) => {
      const p = probeRendition(v.init, v.segs, 'v:0');
      return { name: v.name, frames: p.segments.map((s) => s.frames), starts: p.segments.map((s) => s.start.toFixed(3)) };
    }).sort((a, b) => a.name.localeCompare(b.name));
    const a = shape(runs[0]);
    const b = shape(runs[1]);
    assert.deepEqual(a, b, 'segment layout differs between helpers and --no-helpers');
    for (const v of a) {
      assert.equal(v.frames.reduce((x, y) => x + y, 0), src.frames, `${v.name}: frames`);
    }
  });

});
