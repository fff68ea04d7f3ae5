// A full output device: ladder encode onto a small tmpfs whose space runs
// out mid-run ends with exit 9 and one line saying so, leaves no playlist or
// manifest naming a missing segment (and no report claiming success), and
// once space is back the same command with --resume completes a valid
// ladder, keeping the segments written before the device filled. Where no
// tmpfs can be mounted (root or CAP_SYS_ADMIN needed), a preloaded write(2)
// shim plays the full device (LADDER_DISKFULL_SHIM=1 forces that way).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, stderrLines } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { decodeCheck } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const RUNGS = ['--rung', '640x360:1200k', '--rung', '256x144:300k', '--no-audio', '--progress', 'none'];

function listOutputs(dir) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

describe('disk full on the output device', () => {
  let mountDir = null;
  let mounted = false;
  let why = '';
  let src;
  before(async () => {
    ladderBin();
    src = await makeMedia({ name: 'diskfull', width: 640, height: 360, rate: '30', duration: 8, audio: false });
    mountDir = makeTempDir('ladder-e2e-diskfull-');
    // LADDER_DISKFULL_SHIM=1 takes the shim's way even where a mount works.
    if (process.env.LADDER_DISKFULL_SHIM === '1') {
      why = 'LADDER_DISKFULL_SHIM=1';
      return;
    }
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountDir], { encoding: 'utf8' });
    mounted = r.status === 0;
    why = (r.stderr || r.error?.message || `mount exit ${r.status}`).trim();
  });
  after(() => {
    if (mounted) spawnSync('umount', [mountDir]);
  });

  // The device fills up: a 4 MiB tmpfs with a filler leaving about 400 KB
  // (the 8 s ladder needs about 1.4 MB), or, where no tmpfs can be mounted,
  // write(2) failing with ENOSPC past 400 KB under the output directory
  // (tests/e2e/enospc_shim.c preloaded). Returns how to run into it and how
  // to give the space back.
  function fullDevice(t) {
    if (mounted) {
      const filler = path.join(mountDir, 'filler');
      const free = () => {
        const s = fs.statfsSync(mountDir);
        return s.bavail * s.bsize;
      };
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 400 * 1024)));
      return { out: path.join(mountDir, 'out'), opts: {}, spaceBack: () => fs.unlinkSync(filler) };
    }
    const shim = process.env.LADDER_ENOSPC_SHIM;
    if (!shim || !fs.existsSync(shim)) return null;
    t.diagnostic(`no tmpfs (${why}): a preloaded write(2) shim fills the device instead`);
    const out = path.join(makeTempDir('ladder-e2e-diskfull-shim-'), 'out');
    const env = {
      ...process.env,
      LD_PRELOAD: shim,
      LADDER_ENOSPC_DIR: out,
      LADDER_ENOSPC_BYTES: String(400 * 1024),
      // The shim comes before the sanitizer runtime (ASan builds).
      ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}verify_asan_link_order=0`,
    };
    return { out, opts: { env }, spaceBack: () => {} };
  }

  it('exit 9, one line, no playlist naming a missing segment; completes once space is back', async (t) => {
    const device = fullDevice(t);
    if (!device) {
      t.skip(`cannot mount a small tmpfs here (${why}) and no ENOSPC shim was built`);
      return;
    }
    const { out } = device;
    const full = await encode(src.path, out, RUNGS, device.opts);
    assert.equal(full.code, 9, describeRun(full));
    const lines = stderrLines(full.stderr);
    assert.equal(lines.length, 1, full.stderr);
    assert.match(lines[0], /^ladder: output '.*\/out\/video\/[^']+': rung \w+: writing segment for chunk \d+ failed: no space left on the output device$/);
    const left = listOutputs(out);
    assert.ok(left.some((f) => f.endsWith('.m4s')), `nothing was written before the device filled: ${left}`);
    assert.deepEqual(left.filter((f) => /\.(m3u8|mpd)$|report\.json$/.test(f)), [],
      'a playlist, manifest or report was left behind');

    // Space is back: --resume keeps the segments written before the device
    // filled (none is encoded again) and completes the ladder.
    const written = left.filter((f) => f.endsWith('.m4s') && f.startsWith('video/')).length;
    device.spaceBack();
    const again = await encode(src.path, out, [...RUNGS, '--resume']);
    assert.equal(again.code, 0, describeRun(again));
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.resume.resumed, true);
    assert.ok(report.resume.segments_kept > 0 && report.resume.segments_kept <= written,
      `kept ${report.resume.segments_kept} of the ${written} video segments written before the device filled`);
    for (const r of report.rungs)
      assert.equal(r.chunks + r.segments_kept, r.segments, `${r.name}: encoded + kept != segments`);
    for (const r of report.rungs) {
      const dir = path.join(out, 'video', r.name);
      const segs = fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort();
      assert.equal(segs.length, r.segments, `${r.name}: ${segs.length} segment files for ${r.segments} segments`);
      const joined = path.join(path.dirname(out), `${r.name}.mp4`);
      fs.writeFileSync(joined, Buffer.concat(['init.mp4', ...segs].map((f) => fs.readFileSync(path.join(dir, f)))));
      const d = decodeCheck(joined);
      assert.equal(d.frames, src.frames, `${r.name}: ${JSON.stringify(d)}`);
      fs.unlinkSync(joined);
    }
    assert.ok(fs.existsSync(path.join(out, 'master.m3u8')));
  });
});
