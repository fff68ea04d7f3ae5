// `ladder bench --quick`: the harness and every system it drives still work,
// and bench.json has every field for every system and rung. It asserts no
// speed (CI machines are noisy): speed is judged from full runs.
//
// Also: broken invocations fail with one clear stderr line and their own
// exit code, before anything is run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, ladderBin, runLadder, stderrLines } from './lib/ladder.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/player.mjs';
import { makeTempDir, runProcess } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-bench-');
const EXIT = { ok: 0, failed: 1, usage: 2, inputMissing: 3, badLadder: 6, codec: 10 };

// What --quick runs: a 3 s 360p input, two rungs, one round.
const RUNGS = [
  { name: '360p', width: 640, height: 360, kbps: 800 },
  { name: '240p', width: 426, height: 240, kbps: 400 },
];
const CHARTS = ['wall.svg', 'scaling.svg', 'rd.svg', 'quality.svg'];
// The systems whose output is measured for quality, with their kind.
const QUALITY_SYSTEMS = { ladder: 'ladder', ladder_no_helpers: 'ladder', ffmpeg_one_process: 'ffmpeg',
  ffmpeg_per_rung: 'ffmpeg' };

// ------------------------------------------------------------ XML check

/**
 * A strict-enough XML well-formedness check (no dependency, no DOM in
 * Node): one root, tags nest and close, attributes quoted and unique,
 * entities known, no stray '<' or '&'. Returns {root, elements: [{name,
 * attrs}]} or throws with the position of the first problem.
 */
export function parseXml(text) {
  let i = 0;
  const stack = [];
  const elements = [];
  let root = null;
  const fail = (msg) => {
    const line = text.slice(0, i).split('\n').length;
    throw new Error(`not well-formed XML at line ${line}: ${msg}`);
  };
  const checkText = (s) => {
    if (s.includes('<')) fail('stray "<"');
    const amp = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
    if (amp.test(s)) fail(`bad entity in "${s.slice(0, 40)}"`);
  };
  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = lt < 0 ? text.slice(i) : text.slice(i, lt);
    if (stack.length === 0 && chunk.trim()) fail('text outside the root element');
    checkText(chunk);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = text.indexOf('>', i);
    if (gt < 0) fail('unterminated tag');
    const tag = text.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) fail(`</${name}> closes <${open}>`);
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w.:-]*)([\s\S]*)$/.exec(body);
      if (!m) fail(`bad tag <${tag.slice(0, 30)}>`);
      const attrs = {};
      const rest = m[2];
      const re = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/gy;
      let last = 0;
      let a;
      while ((a = re.exec(rest)) !== null) {
        if (a[1] in attrs) fail(`attribute ${a[1]} twice on <${m[1]}>`);
        const v = a[3] ?? a[4];
        checkText(v);
        attrs[a[1]] = v;
        last = re.lastIndex;
      }
      if (rest.slice(last).trim()) fail(`bad attributes on <${m[1]}>: "${rest.slice(last, last + 30)}"`);
      if (stack.length === 0) {
        if (root) fail('a second root element');
        root = m[1];
      }
      elements.push({ name: m[1], attrs });
      if (!selfClosing) stack.push(m[1]);
    }
    i = gt + 1;
  }
  if (stack.length) fail(`<${stack[stack.length - 1]}> never closed`);
  if (!root) fail('no root element');
  return { root, elements };
}

// ------------------------------------------------------------ helpers

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function assertNum(obj, key, where, { min = -Infinity, max = Infinity } = {}) {
  assert.ok(obj && key in obj, `${where}: missing "${key}"`);
  assert.ok(isNum(obj[key]), `${where}.${key} should be a number, got ${JSON.stringify(obj[key])}`);
  assert.ok(obj[key] >= min && obj[key] <= max, `${where}.${key} = ${obj[key]} outside [${min}, ${max}]`);
}

function assertSummary(s, where, opts) {
  assert.ok(s && typeof s === 'object', `${where}: missing summary`);
  assertNum(s, 'n', where, { min: 1 });
  for (const k of ['median', 'min', 'max']) assertNum(s, k, where, opts);
  assert.ok(s.min <= s.median && s.median <= s.max, `${where}: min <= median <= max`);
}

/**
 * The markers of a parsed chart whose own element (a point) or group (a
 * <g> around one rd-point) has class `cls`: {rung, system, shape, x, y},
 * x and y the centre of the circle or square drawn.
 */
function markers(xml, cls) {
  const list = [];
  xml.elements.forEach((e, i) => {
    if (e.attrs.class !== cls) return;
    const shape = e.name === 'g' ? xml.elements.slice(i + 1).find((s) => s.name === 'circle' || s.name === 'rect') : e;
    assert.ok(shape, `${cls}: no marker`);
    const x = shape.name === 'circle' ? Number(shape.attrs.cx) : Number(shape.attrs.x) + Number(shape.attrs.width) / 2;
    const y = shape.name === 'circle' ? Number(shape.attrs.cy) : Number(shape.attrs.y) + Number(shape.attrs.height) / 2;
    list.push({ rung: e.attrs['data-rung'], system: e.attrs['data-system'], shape: shape.name, x, y });
  });
  return list;
}

/** Every line of class `cls` names its rung size and passes only through
 * markers of that size: no line ever joins two rungs of different sizes. */
function assertLinesWithinRungs(xml, cls, pts) {
  for (const line of xml.elements.filter((e) => e.attrs.class === cls)) {
    const rung = line.attrs['data-rung'];
    assert.ok(rung, `a ${cls} line without data-rung`);
    for (const v of line.attrs.points.trim().split(/\s+/)) {
      const [x, y] = v.split(',').map(Number);
      const at = pts.filter((p) => Math.abs(p.x - x) < 0.2 && Math.abs(p.y - y) < 0.2);
      assert.ok(at.length > 0 && at.every((p) => p.rung === rung), `${cls} line of ${rung} through ${v}: ${JSON.stringify(at)}`);
    }
  }
}

/** The argument after `flag` in argv. */
const argAfter = (argv, flag) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};

// ------------------------------------------------------------ the quick run

describe('ladder bench --quick', () => {
  const out = path.join(work, 'quick');
  let run;
  let doc;
  before(async () => {
    ladderBin();
    run = await runLadder(['bench', '--quick', '--out', out, '--cache', path.join(out, 'cache')], { timeoutMs: 600_000 });
    const file = path.join(out, 'bench.json');
    if (fs.existsSync(file)) doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  });

  it('exits 0 with no problems', () => {
    assert.equal(run.signal, null, describeRun(run));
    assert.equal(run.code, EXIT.ok, `ladder bench --quick failed\n${describeRun(run)}`);
    assert.ok(doc, `no bench.json in ${out}`);
    assert.deepEqual(doc.problems, [], 'problems in bench.json');
  });

  it('prints the Markdown summary, the same as summary.md', () => {
    assert.match(run.stdout, /^\| system \| wall s \| CPU s \(user\+sys\) \| CPU util \| peak RSS MiB \|/m);
    assert.match(run.stdout, /^\|---\|---\|/m);
    for (const label of ['ladder', 'ladder --no-helpers', 'ffmpeg one process', 'ffmpeg per rung']) {
      assert.match(run.stdout, new RegExp(`^\\| ${label.replace(/[-+]/g, '\\$&')} \\| \\d`, 'm'),
        `no table row for ${label}`);
    }
    assert.match(run.stdout, /^\| ladder \/ ffmpeg one process \| \d/m);
    assert.match(run.stdout, /^\| 360p \| 640x360 \| ladder \| \d+ \|/m);
    assert.match(run.stdout, /Physical limit/);
    const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.equal(md, run.stdout);
  });

  it('shows progress on stderr (plain lines when not a terminal)', () => {
    const lines = stderrLines(run.stderr);
    assert.ok(lines.some((l) => /^\[run 1\/\d+\] ladder \(round 1\/1\) \.\.\.$/.test(l)), run.stderr);
    assert.ok(lines.some((l) => /^\[run \d+\/\d+\] ffmpeg per rung \(round 1\/1\): wall [\d.]+ s/.test(l)), run.stderr);
    assert.ok(!run.stderr.includes('\r'), 'no redraws when stderr is not a terminal');
  });

  it('records the machine, the versions, the input and the ladder', () => {
    const { meta, input, ladder } = doc;
    assert.equal(doc.schema, 'ladder-bench/1');
    for (const k of ['date', 'host', 'ladder', 'ffmpeg', 'libraries', 'loadavg_before', 'loadavg_after', 'options']) {
      assert.ok(k in meta, `meta.${k} missing`);
    }
    assertNum(meta.host, 'cores', 'meta.host', { min: 1 });
    assertNum(meta.host, 'memory_bytes', 'meta.host', { min: 1 });
    assert.ok(meta.host.cpu_model && meta.host.kernel, 'CPU model and kernel');
    assert.match(meta.ffmpeg.version, /^ffmpeg version /);
    assert.equal(meta.ladder.path, fs.realpathSync(ladderBin()));
    assert.match(meta.ladder.version, /^\d+\.\d+\.\d+/);
    for (const lib of ['libavformat', 'libavcodec', 'libavfilter', 'libswscale', 'libavutil']) {
      assert.match(meta.libraries[lib], /^\d+\.\d+\.\d+$/, lib);
    }
    assert.equal(meta.options.quick, true);
    assert.equal(meta.options.runs, 1);

    assert.equal(input.width, 640);
    assert.equal(input.height, 360);
    assert.equal(input.frame_rate, '30000/1001');
    assert.equal(input.frames, 90);
    assertNum(input, 'duration', 'input', { min: 2.9, max: 3.1 });
    assert.equal(input.generated.spec, '360p30000/1001:3s');
    assert.ok(Array.isArray(input.generated.command) && input.generated.command.includes('testsrc2=size=640x360:rate=30000/1001:duration=3'));
    assert.equal(input.audio.copied, true, 'the AAC-LC stereo source is copied by both');

    assert.equal(ladder.codec, 'h264');
    assert.equal(ladder.encoder, 'libx264');
    assert.equal(ladder.preset, 'veryfast');
    assert.equal(ladder.gop_frames, 60, '2 s at 29.97 fps, snapped to whole frames');
    assert.deepEqual(ladder.rungs.map((r) => [r.name, r.width, r.height, r.bitrate_kbps, r.maxrate_kbps, r.bufsize_kbps]),
      RUNGS.map((r) => [r.name, r.width, r.height, r.kbps, Math.round(r.kbps * 1.1), 2 * Math.round(r.kbps * 1.1)]));
  });

  it('runs every system once, alternating, with every figure', () => {
    const cores = doc.meta.host.cores;
    const online = doc.meta.host.online_cpus;
    const ids = doc.systems.map((s) => s.id);
    const slots = [];
    for (let k = 1; k <= cores; k++) if (k !== online) slots.push(`ladder_slots_${k}`);
    assert.deepEqual(ids, ['ladder', 'ladder_no_helpers', ...slots, 'ffmpeg_one_process', 'ffmpeg_per_rung']);
    assert.deepEqual(doc.runs.map((r) => r.system), ids, 'one run per system, in order');
    for (const r of doc.runs) {
      const where = `run ${r.system}`;
      assert.equal(r.ok, true, `${where} failed: ${JSON.stringify(r.problems)}`);
      assert.equal(r.round, 1);
      assertNum(r, 'wall_s', where, { min: 0.001 });
      assertNum(r, 'user_s', where, { min: 0 });
      assertNum(r, 'sys_s', where, { min: 0 });
      assertNum(r, 'cpu_s', where, { min: 0.001 });
      assert.ok(Math.abs(r.cpu_s - r.user_s - r.sys_s) < 1e-3, `${where}: cpu = user + sys`);
      assertNum(r, 'cpu_util', where, { min: 0 });
      assert.ok(Math.abs(r.cpu_util - r.cpu_s / (r.wall_s * cores)) < 1e-3, `${where}: cpu_util = cpu / (wall x cores)`);
      assertNum(r, 'peak_rss_kib', where, { min: 1024 });
      assertNum(r, 'background_util', where, { min: 0 });
      assert.equal(r.exit_code, 0);
      assert.ok(Array.isArray(r.commands) && r.commands.length >= 1, `${where}: commands`);
      for (const c of r.commands) assert.ok(c.every((a) => typeof a === 'string'), `${where}: argv of strings`);
      assert.equal(r.rungs.length, RUNGS.length, `${where}: rungs`);
      r.rungs.forEach((rr, i) => {
        const w = `${where} rung ${rr.name}`;
        assert.equal(rr.name, RUNGS[i].name);
        assert.equal(rr.width, RUNGS[i].width, w);
        assert.equal(rr.height, RUNGS[i].height, w);
        assertNum(rr, 'bytes', w, { min: 1000 });
        assert.equal(rr.frames, 90, `${w}: every frame`);
        assert.equal(typeof rr.encode_fps_basis, 'string', `${w}: encode_fps_basis`);
        if (r.system === 'ffmpeg_one_process') {
          assert.equal(rr.encode_fps, null, `${w}: not measurable in one process, so null`);
        } else {
          assertNum(rr, 'encode_fps', w, { min: 1 });
        }
        if (r.system.startsWith('ladder')) {
          assertNum(rr, 'encode_seconds', w, { min: 0.0001 });
          assertNum(rr, 'encode_cpu_seconds', w, { min: 0.0001 });
        }
      });
      assertNum(r, 'audio_bytes', where, { min: 100 });
    }
    const perRung = doc.runs.find((r) => r.system === 'ffmpeg_per_rung');
    assert.equal(perRung.processes.length, RUNGS.length, 'one process per rung');
    assert.equal(perRung.commands.length, RUNGS.length);
  });

  it('records the exact commands, with the same encoder settings for every system', () => {
    const cmds = Object.fromEntries(doc.runs.map((r) => [r.system, r.commands]));
    const [lad] = cmds.ladder;
    assert.equal(lad[0], fs.realpathSync(ladderBin()));
    assert.equal(lad[1], 'encode');
    assert.equal(lad[2], doc.input.path);
    for (const [flag, value] of [['--preset', 'veryfast'], ['--segment', '2'], ['--progress', 'none']]) {
      assert.equal(argAfter(lad, flag), value, `ladder ${flag}`);
    }
    assert.ok(lad.includes('-q'));
    assert.deepEqual(lad.filter((a, i) => lad[i - 1] === '--rung'), ['640x360:800k:name=360p', '426x240:400k:name=240p']);
    assert.ok(!lad.includes('--codec'), 'h264 is ladder\'s codec: --codec is not passed');
    assert.ok(cmds.ladder_no_helpers[0].includes('--no-helpers'));
    for (const r of doc.runs.filter((x) => x.system.startsWith('ladder_slots_'))) {
      assert.equal(argAfter(r.commands[0], '--devices'), `cpu:${r.system.split('_').pop()}`);
    }
    const [one] = cmds.ffmpeg_one_process;
    assert.match(argAfter(one, '-filter_complex'), /^\[0:v\]split=2\[s0\]\[s1\];\[s0\]null\[v0\];\[s1\]scale=426:240\[v1\]$/);
    const ffmpegOutputs = [...one.join(' ').split(' -map ').slice(1), ...cmds.ffmpeg_per_rung.map((c) => c.join(' '))]
      .filter((s) => s.includes('-c:v'));
    assert.equal(ffmpegOutputs.length, 2 * RUNGS.length);
    for (const o of ffmpegOutputs) {
      const rung = RUNGS.find((r) => o.includes(`/${r.name}.mp4`));
      assert.ok(rung, o);
      const k = rung.kbps;
      for (const part of ['-c:v libx264', '-preset veryfast', `-b:v ${k}k`, `-maxrate ${Math.round(k * 1.1)}k`,
        `-bufsize ${2 * Math.round(k * 1.1)}k`, '-g 60', '-keyint_min 60', '-sc_threshold 0', '-flags +cgop',
        '-x264-params open-gop=0', '-pix_fmt yuv420p']) {
        assert.ok(o.includes(part), `ffmpeg output for ${rung.name} lacks "${part}": ${o}`);
      }
    }
    assert.ok(one.join(' ').includes('-map 0:a:0 -vn -c:a copy'), 'audio copied, as ladder copies it');
  });

  it('summarises every system, pairs ladder with FFmpeg, and draws the scaling curve', () => {
    for (const s of doc.systems) {
      const sum = doc.summary[s.id];
      assert.ok(sum, `summary.${s.id}`);
      assert.equal(sum.runs_ok, 1);
      assertSummary(sum.wall_s, `summary.${s.id}.wall_s`, { min: 0 });
      assertSummary(sum.cpu_s, `summary.${s.id}.cpu_s`, { min: 0 });
      assertSummary(sum.cpu_util, `summary.${s.id}.cpu_util`, { min: 0 });
      assertSummary(sum.peak_rss_mib, `summary.${s.id}.peak_rss_mib`, { min: 1 });
      for (const r of RUNGS) {
        assertSummary(sum.rungs[r.name].bytes, `summary.${s.id}.rungs.${r.name}.bytes`, { min: 1 });
        if (s.id !== 'ffmpeg_one_process') assertSummary(sum.rungs[r.name].encode_fps, `summary.${s.id} ${r.name} fps`, { min: 0 });
      }
    }
    const pairs = doc.ratios.map((r) => `${r.ladder}/${r.ffmpeg}`);
    assert.deepEqual(pairs, ['ladder/ffmpeg_one_process', 'ladder/ffmpeg_per_rung',
      'ladder_no_helpers/ffmpeg_one_process', 'ladder_no_helpers/ffmpeg_per_rung']);
    for (const r of doc.ratios) {
      for (const k of ['wall', 'cpu']) {
        assertSummary(r[k], `ratios ${r.label} ${k}`, { min: 0 });
        assert.equal(r[k].pairs.length, 1);
        assertNum(r[k], 'ratio_of_medians', `ratios ${r.label} ${k}`, { min: 0 });
      }
    }
    const pts = doc.scaling.points;
    // 1..cores from the cpu:N runs, and the default run at its own count.
    const want = new Set([...Array(doc.meta.host.cores).keys()].map((k) => k + 1));
    want.add(doc.meta.host.online_cpus);
    assert.deepEqual(pts.map((p) => p.slots), [...want].sort((a, b) => a - b));
    assert.ok(pts.some((p) => p.system === 'ladder'), 'the default run is a point of the curve');
    for (const p of pts) {
      assertSummary(p.wall_s, `scaling ${p.slots}`, { min: 0 });
      assertNum(p, 'speedup', `scaling ${p.slots}`, { min: 0 });
    }
    const lim = doc.physical_limit;
    assertNum(lim, 'sum_encode_cpu_seconds', 'physical_limit', { min: 0.0001 });
    assertNum(lim, 'limit_s', 'physical_limit', { min: 0.0001 });
    assert.ok(Math.abs(lim.limit_s - lim.sum_encode_cpu_seconds / doc.meta.host.cores) < 1e-3);
    assertNum(lim, 'ladder_wall_over_limit', 'physical_limit', { min: 0 });
  });

  it('measures PSNR and SSIM per rung for ladder and both FFmpeg systems', () => {
    const q = doc.quality;
    assert.equal(typeof q.method, 'string');
    for (const id of ['ladder', 'ladder_no_helpers', 'ffmpeg_one_process', 'ffmpeg_per_rung']) {
      const list = q.systems[id];
      assert.ok(Array.isArray(list), `quality.systems.${id}`);
      assert.deepEqual(list.map((e) => e.name), RUNGS.map((r) => r.name));
      for (const e of list) {
        const w = `quality ${id} ${e.name}`;
        assertNum(e, 'psnr', w, { min: 25, max: 100 });
        assertNum(e, 'psnr_y', w, { min: 25, max: 100 });
        assertNum(e, 'ssim', w, { min: 0.8, max: 1 });
        assertNum(e, 'bytes', w, { min: 1000 });
        assert.equal(e.frames, 90, `${w}: every frame compared`);
      }
    }
  });

  it('draws well-formed SVG charts with the data in them', () => {
    const systems = doc.systems.length;
    for (const name of CHARTS) {
      const file = path.join(out, name);
      assert.ok(fs.existsSync(file), `${name} missing`);
      const xml = parseXml(fs.readFileSync(file, 'utf8'));
      assert.equal(xml.root, 'svg', `${name}: root element`);
      const cls = (c) => xml.elements.filter((e) => e.attrs.class === c);
      if (name === 'wall.svg') {
        const bars = cls('bar');
        assert.equal(bars.length, systems, 'one bar per system');
        for (const b of bars) assert.ok(Number(b.attrs.width) > 0, 'bars have a length');
      } else if (name === 'scaling.svg') {
        assert.equal(cls('point').length, 2 * doc.scaling.points.length, 'measured and ideal points');
        assert.ok(cls('ref').length >= 2, 'FFmpeg reference lines');
      } else if (name === 'rd.svg') {
        assert.equal(cls('rd-point').length, 4 * RUNGS.length, 'one point per rung and system');
      } else {
        assert.equal(cls('point').length, 4 * RUNGS.length, 'one point per rung and system');
      }
    }
  });

  it('draws the rate-distortion chart per rung: a series per rung and system, no line across sizes', () => {
    const xml = parseXml(fs.readFileSync(path.join(out, 'rd.svg'), 'utf8'));
    const sizes = RUNGS.map((r) => `${r.width}x${r.height}`);
    assert.deepEqual(xml.elements.filter((e) => e.attrs.class === 'panel').map((e) => e.attrs['data-rung']), sizes,
      'one panel per rung size, in ladder order');
    const series = xml.elements.filter((e) => e.attrs.class === 'rd-series');
    assert.equal(series.length, sizes.length * Object.keys(QUALITY_SYSTEMS).length);
    for (const size of sizes) {
      for (const id of Object.keys(QUALITY_SYSTEMS)) {
        const mine = series.filter((e) => e.attrs['data-rung'] === size && e.attrs['data-system'] === id);
        assert.equal(mine.length, 1, `one series for ${id} at ${size}`);
        assert.ok(mine[0].attrs['aria-label'].includes(size), `the series' label names its size: ${mine[0].attrs['aria-label']}`);
      }
    }
    // Each marker where the data says: within a panel, more kb/s is further
    // right and more PSNR higher up (the SVG's y grows downwards).
    const pts = markers(xml, 'rd-point');
    assert.equal(pts.length, sizes.length * 4);
    for (const rung of RUNGS) {
      const here = pts.filter((p) => p.rung === `${rung.width}x${rung.height}`).map((p) => {
        const q = doc.quality.systems[p.system].find((e) => e.name === rung.name);
        return { ...p, bytes: q.bytes, psnr: q.psnr };
      });
      assert.equal(here.length, 4, rung.name);
      // FFmpeg's squares and ladder's dots: two marker styles.
      for (const p of here) assert.equal(p.shape, QUALITY_SYSTEMS[p.system] === 'ffmpeg' ? 'rect' : 'circle', p.system);
      for (const a of here) {
        for (const b of here) {
          if (a.bytes > b.bytes) assert.ok(a.x >= b.x, `${rung.name}: ${a.system} right of ${b.system}`);
          if (a.psnr > b.psnr) assert.ok(a.y <= b.y, `${rung.name}: ${a.system} above ${b.system}`);
        }
      }
    }
    // Two rungs of different sizes: no line at all; and any line there is
    // runs only through markers of its own size.
    assertLinesWithinRungs(xml, 'rd-line', pts);
    assert.equal(xml.elements.filter((e) => e.name === 'polyline' || e.name === 'path').length, 0,
      'no line: no two encodes of one size and system');
    const targets = xml.elements.filter((e) => e.attrs.class === 'target');
    assert.deepEqual(targets.map((e) => e.attrs['data-rung']), sizes, 'each rung\'s target bit rate');
  });

  it('the quality chart joins no rungs of different sizes', () => {
    const xml = parseXml(fs.readFileSync(path.join(out, 'quality.svg'), 'utf8'));
    const pts = markers(xml, 'point');
    assert.equal(pts.length, 4 * RUNGS.length);
    for (const p of pts) {
      assert.ok(RUNGS.some((r) => p.rung === `${r.width}x${r.height}`), `point with data-rung ${p.rung}`);
      assert.ok(p.system in QUALITY_SYSTEMS, `point with data-system ${p.system}`);
    }
    assertLinesWithinRungs(xml, 'series', pts);
    assert.equal(xml.elements.filter((e) => e.name === 'polyline' || e.name === 'path').length, 0,
      'rungs of different sizes are never joined');
  });

  it('summary.md links report.html and shows every chart', () => {
    const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.ok(md.includes('[report.html](report.html)'), 'link to report.html');
    for (const name of CHARTS) {
      assert.match(md, new RegExp(`^!\\[[^\\]]+\\]\\(${name.replace('.', '\\.')}\\)$`, 'm'), `image link to ${name}`);
      assert.ok(fs.existsSync(path.join(out, name)), `${name} beside summary.md`);
    }
    assert.deepEqual(doc.files, { json: 'bench.json', markdown: 'summary.md', html: 'report.html', wall_svg: 'wall.svg',
      scaling_svg: 'scaling.svg', rd_svg: 'rd.svg', quality_svg: 'quality.svg' });
  });

  it('writes report.html: self-contained, with the run\'s facts, the tables and every chart inlined', () => {
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
    assert.ok(html.trimEnd().endsWith('</html>'));
    // Nothing from the network: the only URL is the SVG namespace.
    for (const m of html.matchAll(/\bhttps?:\/\/[^\s"'<>)]+/g)) assert.equal(m[0], 'http://www.w3.org/2000/svg');
    assert.ok(!/<(script|link|img|iframe)\b/i.test(html), 'no script, stylesheet or image to fetch');
    // One <svg> per chart, each the chart's file as written, well-formed.
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assert.equal(svgs.length, CHARTS.length, 'one inline <svg> per chart');
    for (const [i, name] of CHARTS.entries()) {
      const file = fs.readFileSync(path.join(out, name), 'utf8');
      assert.equal(svgs[i], file.slice(file.indexOf('<svg')).trimEnd(), `${name} inlined as written`);
      assert.equal(parseXml(svgs[i]).root, 'svg');
    }
    // The facts: which FFmpeg, its version, the host, the input and ladder.
    const ff = doc.meta.ffmpeg;
    const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    for (const fact of [ff.version.replace(/ Copyright.*/, ''), ff.command, `its libavcodec ${ff.libavcodec}`,
      doc.meta.host.cpu_model, doc.meta.host.kernel, doc.input.generated.spec, doc.meta.ladder.version,
      ...RUNGS.map((r) => `${r.name} ${r.width}x${r.height} ${r.kbps}k`)]) {
      assert.ok(html.includes(esc(fact)), `report.html lacks "${fact}"`);
    }
    // The wall/CPU/RSS table: a row per system with its median figures.
    for (const s of doc.systems) {
      const row = new RegExp(`<tr class="${s.kind}" data-system="${s.id}"><td>${esc(s.label)}</td>(.*?)</tr>`).exec(html);
      assert.ok(row, `no table row for ${s.id}`);
      const sum = doc.summary[s.id];
      const cells = [...row[1].matchAll(/<td class="n">([^<]*)<\/td>/g)].map((m) => m[1]);
      // Medians as printed (bench.json keeps 7 digits: half a printed unit apart at most).
      const want = [[sum.wall_s.median, 2], [sum.cpu_s.median, 2], [sum.cpu_util.median * 100, 0],
        [sum.peak_rss_mib.median, 0]];
      for (const [k, [v, digits]] of want.entries()) {
        assert.match(cells[k], digits ? /^\d+\.\d\d$/ : /^\d+%?$/, `${s.id} cell ${k}`);
        assert.ok(Math.abs(parseFloat(cells[k]) - v) <= 0.5 * 10 ** -digits + 1e-6, `${s.id} cell ${k}: ${cells[k]} vs ${v}`);
      }
    }
    for (const r of RUNGS) {
      for (const id of Object.keys(QUALITY_SYSTEMS)) {
        assert.ok(html.includes(`data-rung="${r.width}x${r.height}" data-system="${id}"><td>${r.name}</td>`),
          `per-rung row of ${id} ${r.name}`);
      }
    }
    assert.ok(html.includes('<p>None: every command succeeded'), 'no problems, said so');
  });

  it('report.html renders in Chromium without errors and without the network', async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await browser.newPage();
      const errors = [];
      const requests = [];
      page.on('pageerror', (e) => errors.push(String(e && e.message ? e.message : e)));
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${path.join(out, 'report.html')}`, { waitUntil: 'load' });
      const seen = await page.evaluate(() => ({
        charts: [...document.querySelectorAll('figure.chart')].map((f) => {
          const svg = f.querySelector('svg');
          const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
          return { name: f.dataset.chart, svg: f.querySelectorAll('svg').length, width: box.width, height: box.height };
        }),
        svgs: document.querySelectorAll('svg').length,
        systems: document.querySelectorAll('#systems tbody tr').length,
        rungs: document.querySelectorAll('#rungs tbody tr').length,
        series: [...document.querySelectorAll('figure[data-chart="rd.svg"] g.rd-series')]
          .map((g) => `${g.dataset.system}@${g.dataset.rung}`),
        title: document.title,
        h1: document.querySelector('h1').textContent,
      }));
      assert.deepEqual(errors, [], 'console errors');
      assert.deepEqual(requests.filter((u) => !u.startsWith('file://')), [], 'requests off the disk');
      assert.equal(seen.svgs, CHARTS.length);
      assert.deepEqual(seen.charts.map((c) => c.name), CHARTS);
      for (const c of seen.charts) assert.ok(c.svg === 1 && c.width > 100 && c.height > 100, JSON.stringify(c));
      assert.equal(seen.systems, doc.systems.length);
      assert.equal(seen.rungs, RUNGS.length * Object.keys(QUALITY_SYSTEMS).length);
      assert.equal(seen.series.length, RUNGS.length * Object.keys(QUALITY_SYSTEMS).length);
      assert.match(seen.h1, /^ladder bench: ladder vs\. FFmpeg's CLI/);
      assert.equal(seen.title, `ladder bench ${doc.meta.date}`);
    } finally {
      await browser.close().catch(() => {});
    }
  });

  it('removes the run outputs unless --keep', () => {
    assert.ok(!fs.existsSync(path.join(out, 'work')), 'work/ left behind');
    assert.ok(fs.existsSync(path.join(out, 'cache')), 'the generated input stays cached');
  });
});

// ------------------------------------------------------------ --ffmpeg CMD

// The FFmpeg to compare with is an option (a newer one from a chroot:
// scripts/ffmpeg-chroot.sh): every FFmpeg command must go through it, and
// the report must name it. A wrapper script around the system ffmpeg logs
// each call, so the test sees which program really ran.
describe('ladder bench --ffmpeg CMD', () => {
  const dir = path.join(work, 'wrapped');
  const wrapper = path.join(dir, 'my-ffmpeg.sh');
  const log = path.join(dir, 'calls.log');
  let systemVersion;
  before(async () => {
    ladderBin();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec ffmpeg "$@"\n`, { mode: 0o755 });
    const v = await runProcess('ffmpeg', ['-version'], { timeoutMs: 60_000 });
    systemVersion = v.stdout.split('\n')[0];
  });

  /** Runs `bench --quick --slots 1 --ffmpeg cmd` with a fresh cache (the
   * synthetic input is made through cmd too); returns bench.json and the
   * logged calls. */
  async function benchWith(cmd, name) {
    fs.rmSync(log, { force: true });
    const out = path.join(dir, name);
    const r = await runLadder(['bench', '--quick', '--slots', '1', '--ffmpeg', cmd, '--out', out,
      '--cache', path.join(out, 'cache')], { timeoutMs: 600_000 });
    assert.equal(r.code, EXIT.ok, describeRun(r));
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'bench.json'), 'utf8'));
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    return { r, doc, calls, md: fs.readFileSync(path.join(out, 'summary.md'), 'utf8') };
  }

  /** Every FFmpeg call went through the wrapper: -version, the synthetic
   * input, the one-process run and one process per rung; the outputs passed
   * the bench's checks and were decoded for quality. */
  function assertAllWrapped(doc, calls, prefix) {
    assert.deepEqual(doc.problems, []);
    assert.equal(calls.filter((c) => c === '-version').length, 1, calls.join('\n'));
    assert.equal(calls.filter((c) => c.includes('testsrc2=size=640x360')).length, 1, 'synthetic input');
    assert.equal(calls.filter((c) => c.includes('-filter_complex [0:v]split=2')).length, 1, 'one process');
    for (const rung of RUNGS) {
      assert.equal(calls.filter((c) => !c.includes('-filter_complex') && c.includes(`/${rung.name}.mp4`)).length, 1,
        `per-rung process for ${rung.name}`);
    }
    assert.equal(calls.length, 3 + RUNGS.length, calls.join('\n'));
    for (const run of doc.runs.filter((x) => x.system.startsWith('ffmpeg'))) {
      for (const argv of run.commands) assert.deepEqual(argv.slice(0, prefix.length), prefix, run.system);
    }
    assert.deepEqual(doc.input.generated.command.slice(0, prefix.length), prefix);
    for (const id of ['ffmpeg_one_process', 'ffmpeg_per_rung']) {
      assert.deepEqual(doc.quality.systems[id].map((e) => [e.name, e.frames]), RUNGS.map((x) => [x.name, 90]), id);
    }
  }

  it('a wrapper script: every FFmpeg call goes through it and the report names it', async () => {
    const { doc, calls, md } = await benchWith(wrapper, 'script');
    assertAllWrapped(doc, calls, [wrapper]);
    const ff = doc.meta.ffmpeg;
    assert.equal(ff.command, wrapper);
    assert.deepEqual(ff.argv, [wrapper]);
    assert.equal(ff.path, fs.realpathSync(wrapper));
    assert.equal(ff.version, systemVersion, 'the version line of the FFmpeg the wrapper runs');
    assert.match(ff.libavcodec, /^\d+\.\d+\.\d+$/);
    const shortVersion = systemVersion.replace(/ Copyright.*/, '');
    assert.ok(md.includes(`FFmpeg compared: ${shortVersion}, run as \`${wrapper}\``), md.slice(0, 600));
    assert.ok(md.includes(`its libavcodec ${ff.libavcodec}`), md.slice(0, 600));
  });

  it('a command of several words is split at blanks', async () => {
    const { doc, calls, md } = await benchWith(`/bin/sh ${wrapper}`, 'words');
    assertAllWrapped(doc, calls, ['/bin/sh', wrapper]);
    const ff = doc.meta.ffmpeg;
    assert.deepEqual(ff.argv, ['/bin/sh', wrapper]);
    assert.equal(ff.path, fs.realpathSync('/bin/sh'), 'the program the command starts');
    assert.equal(ff.version, systemVersion);
    assert.ok(md.includes(`run as \`/bin/sh ${wrapper}\` (${fs.realpathSync('/bin/sh')})`), md.slice(0, 600));
  });

  it('an empty command is a usage error', async () => {
    const r = await runLadder(['bench', '--ffmpeg', ' ', '--quick'], { timeoutMs: 60_000 });
    assert.equal(r.code, EXIT.usage, describeRun(r));
    assert.match(stderrLines(r.stderr)[0], /^ladder bench: --ffmpeg ' ': /);
  });
});

describe('the XML checker', () => {
  it('rejects what is not well-formed', () => {
    assert.doesNotThrow(() => parseXml('<?xml version="1.0"?>\n<svg a="1"><g><text>a &amp; b</text></g></svg>\n'));
    for (const bad of ['<svg><g></svg>', '<svg a="1" a="2"/>', '<svg>a & b</svg>', '<svg/><svg/>', '<svg a=1/>', 'text']) {
      assert.throws(() => parseXml(bad), /not well-formed/, bad);
    }
  });
});

// ------------------------------------------------------------ broken invocations

describe('ladder bench refuses bad invocations with one line', () => {
  before(() => { ladderBin(); });

  /** Runs `ladder bench ARGS`, expects `code` and one stderr line mentioning `mention`. */
  async function refused(args, code, mention) {
    const r = await runLadder(['bench', ...args], { timeoutMs: 120_000 });
    const info = describeRun(r);
    assert.equal(r.signal, null, info);
    assert.equal(r.code, code, `expected exit ${code}\n${info}`);
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, `expected one stderr line\n${info}`);
    assert.match(lines[0], /^ladder bench: /);
    assert.ok(lines[0].includes(mention), `"${lines[0]}" should mention ${mention}`);
    assert.equal(r.stdout, '', 'nothing on stdout');
    return r;
  }

  it('--codec foo -> usage error (2)', async () => {
    const out = path.join(work, 'codec-foo');
    await refused(['--codec', 'foo', '--quick', '--out', out], EXIT.usage, 'foo');
    assert.ok(!fs.existsSync(out), 'nothing written');
  });

  it('--input /missing -> input missing (3)', async () => {
    const out = path.join(work, 'missing');
    const input = path.join(os.tmpdir(), `ladder-bench-no-such-file-${process.pid}.mp4`);
    await refused(['--input', input, '--out', out], EXIT.inputMissing, input);
    assert.ok(!fs.existsSync(out), 'nothing written');
  });

  it('other bad options -> usage error (2)', async () => {
    await refused(['--runs', '0'], EXIT.usage, '--runs');
    await refused(['--synthetic', '1080x30'], EXIT.usage, '1080x30');
    await refused(['--preset', 'warp'], EXIT.usage, 'warp');
    await refused(['--input', 'a.mp4', '--synthetic', '360p30:1s'], EXIT.usage, '--synthetic');
    await refused(['--frobnicate'], EXIT.usage, '--frobnicate');
    await refused(['stray'], EXIT.usage, 'stray');
  });

  it('--ladder with a missing file -> bad ladder (6)', async () => {
    const file = path.join(work, 'no-ladder.json');
    await refused(['--ladder', file, '--quick', '--out', path.join(work, 'ladder-missing')], EXIT.badLadder, file);
  });

  // ladder encode has AV1 rungs (libsvtav1) now: the bench runs them like
  // HEVC (about 12 s on 2 cores with --quick).
  it('--codec av1 --quick: every system encodes AV1 and every check passes', async () => {
    const out = path.join(work, 'av1');
    const r = await runLadder(['bench', '--codec', 'av1', '--quick', '--out', out,
      '--cache', path.join(work, 'cache')], { timeoutMs: 600_000 });
    assert.equal(r.code, EXIT.ok, describeRun(r));
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'bench.json'), 'utf8'));
    assert.equal(doc.ladder.codec, 'av1');
    assert.equal(doc.ladder.encoder, 'libsvtav1');
    assert.deepEqual(doc.problems, []);
    for (const run of doc.runs) assert.equal(run.ok, true, `${run.system}: ${JSON.stringify(run.problems)}`);
  });

  it('--codec hevc --quick: every system encodes HEVC and every check passes', async () => {
    const out = path.join(work, 'hevc');
    const r = await runLadder(['bench', '--codec', 'hevc', '--quick', '--out', out,
      '--cache', path.join(work, 'cache')], { timeoutMs: 600_000 });
    assert.equal(r.code, EXIT.ok, describeRun(r));
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'bench.json'), 'utf8'));
    assert.equal(doc.ladder.codec, 'hevc');
    assert.equal(doc.ladder.encoder, 'libx265');
    assert.deepEqual(doc.problems, []);
    for (const run of doc.runs) assert.equal(run.ok, true, `${run.system}: ${JSON.stringify(run.problems)}`);
  });
});
