// `ladder encode`'s progress, as people and programs get it.
//
// On a real terminal (tmux: a pseudo-terminal whose screen is read back,
// lines re-wrapped on a resize like the terminals people use) at 80 and 200
// columns: no line of the screen or its history is wider than the terminal,
// the total row shows the percentage, the speed (x realtime) and the ETA
// while the run goes, the final screen shows each rung once and the total
// once, and the short summary names the outputs, the report and a play
// hint. A resize from 200 to 80 columns mid-run and a Ctrl-C leave each rung
// on screen once. Without tmux these cases are skipped, saying so.
//
// JSON lines (--progress json): every line parses and has "type" and "t"
// (ISO 8601 UTC, milliseconds, never going back); every field of every line
// is documented in docs/PROGRESS.md for its type; an "overall" line exists,
// the last one final at 100 %; rung progress moves by frames (lines with
// frames of chunks being encoded); the last count of each rung is what
// ffprobe counts in its output. A failing run (input that is not media)
// ends with an "error" line carrying the exit status.
//
// Needs the lead's calls in cli/cmd_encode.c (marked LEAD below):
// progress_view_report() for the report line's "t", progress_view_error()
// for the error line, and stop_watch_target.announce =
// progress_view_notice_cb for the Ctrl-C notice above the bars.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, parseProgress } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { concatFiles, countVideoFrames } from './lib/probe.mjs';
import { E2E_DIR, makeTempDir, withSharedLock } from './lib/util.mjs';

const RUNGS = [
  { name: 'r720', spec: '1280x720:2500k' },
  { name: 'r360', spec: '640x360:900k' },
  { name: 'r180', spec: '320x180:300k' },
];
const RUNG_ARGS = RUNGS.flatMap((r) => ['--rung', `${r.spec}:name=${r.name}`]);
// Slow enough to be watched for a few seconds (a 2 s chunk of 720p takes
// over 250 ms to encode: frames are counted within it), short enough for CI.
const ARGS = [...RUNG_ARGS, '--preset', 'medium', '--no-audio'];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEIGHT = 30;

const HAVE_TMUX = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const NO_TMUX = HAVE_TMUX ? false : 'tmux is not installed: the terminal cases need a real pseudo-terminal';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
const columns = (line) => Array.from(line).length;

let socketSeq = 0;

/** `ladder encode` in a detached tmux session of width x HEIGHT. */
class Terminal {
  constructor(work, width) {
    this.work = work;
    this.socket = `ladder-e2e-progress-${process.pid}-${socketSeq++}`;
    this.exitFile = path.join(work, `exit-${this.socket}`);
    this.width = width;
  }

  tmux(...args) {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', env: this.env });
  }

  start(args, env) {
    this.env = { ...process.env, ...env, TERM: process.env.TERM || 'xterm-256color' };
    const cmd = [ladderBin(), 'encode', ...args].map(quote).join(' ');
    // The exit status to a file; the pane stays until the test is done.
    const shell = `${cmd}; echo $? > ${quote(this.exitFile)}; sleep 3600`;
    this.tmux('new-session', '-d', '-x', String(this.width), '-y', String(HEIGHT), '-s', 'p', '-c', this.work, shell);
  }

  /** The screen (history: from the first line kept), wrapped lines joined. */
  capture(history = false) {
    const out = this.tmux('capture-pane', '-p', '-J', '-t', 'p', ...(history ? ['-S', '-'] : []));
    return out.split('\n').map((l) => l.replace(/\s+$/, ''));
  }

  resize(width) {
    this.width = width;
    this.tmux('resize-window', '-t', 'p', '-x', String(width), '-y', String(HEIGHT));
  }

  keys(...k) {
    this.tmux('send-keys', '-t', 'p', ...k);
  }

  exited() {
    return fs.existsSync(this.exitFile) && fs.readFileSync(this.exitFile, 'utf8').trim() !== '';
  }

  exitCode() {
    return Number(fs.readFileSync(this.exitFile, 'utf8').trim());
  }

  /** Capture every 150 ms until pred(screen) or the run ends; the screens seen. */
  async watch(pred = () => false, timeoutMs = 300_000) {
    const screens = [];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const done = this.exited();
      const screen = this.capture();
      screens.push({ width: this.width, lines: screen });
      if (done || pred(screen)) return screens;
      await sleep(150);
    }
    throw new Error(`ladder did not finish in ${timeoutMs} ms:\n${this.capture(true).join('\n')}`);
  }

  kill() {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

const rungRow = (name) => new RegExp(`^${name}\\s+\\d+x\\d+ \\[[#.]*\\]\\s+\\d+\\.\\d%`);
const TOTAL_ROW = /^total\s+\[[#.]*\]\s+\d+\.\d%/;
const count = (lines, re) => lines.filter((l) => re.test(l)).length;

function assertFits(screens) {
  for (const s of screens) {
    for (const l of s.lines) {
      assert.ok(columns(l) <= s.width, `a line of ${columns(l)} columns on a ${s.width}-column terminal:\n${l}`);
    }
  }
}

/** Each rung's row and the total once in lines; returns the total row. */
function assertEachRowOnce(lines, what) {
  for (const r of RUNGS) {
    assert.equal(count(lines, rungRow(r.name)), 1, `${what}: rung ${r.name} shown ${count(lines, rungRow(r.name))} times:\n${lines.join('\n')}`);
  }
  assert.equal(count(lines, TOTAL_ROW), 1, `${what}: the total row shown ${count(lines, TOTAL_ROW)} times:\n${lines.join('\n')}`);
  return lines.find((l) => TOTAL_ROW.test(l));
}

/** Every rung's rendition holds all the source's frames (ffprobe). */
function assertOutputComplete(outDir, frames) {
  const out = loadOutput(outDir);
  assert.equal(out.variants.length, RUNGS.length, 'variants in master.m3u8');
  for (const v of out.variants) {
    const { path: file } = concatFiles([v.init, ...v.segs], `${path.basename(outDir)}-${v.name}.mp4`);
    assert.equal(countVideoFrames(file), frames, `frames of rendition ${v.name}`);
  }
  return out;
}

describe('ladder encode progress', () => {
  let src;
  let work;
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-progress-');
    src = await makeMedia({ name: 'progress', width: 1280, height: 720, rate: '30', duration: 8, audio: false });
  });
  const env = () => ({ LADDER_STATE_DIR: path.join(work, 'slots') });

  for (const width of [80, 200]) {
    it(`bars on a ${width}-column terminal: fitted, a total with %, speed and ETA, each rung once`, { skip: NO_TMUX }, async () => {
      await withSharedLock(async () => {
        const term = new Terminal(work, width);
        const out = `out-${width}`;
        try {
          term.start([src.path, '-o', out, ...ARGS], env());
          const screens = await term.watch();
          const history = term.capture(true);
          assert.equal(term.exitCode(), 0, `exit status\n${history.join('\n')}`);
          assertFits([...screens, { width, lines: history }]);
          // While it ran: the total with its percentage, speed and ETA.
          const running = screens.map((s) => s.lines.find((l) => TOTAL_ROW.test(l)))
            .filter((l) => l && !/100\.0%/.test(l));
          assert.ok(running.length > 0, `no total row seen before the end:\n${history.join('\n')}`);
          for (const l of running) {
            assert.match(l, /\d+\.\d%/, `total row without a percentage: ${l}`);
            assert.match(l, /(\d+(\.\d+)?|\?)x realtime/, `total row without the speed: ${l}`);
            assert.match(l, /ETA (\d+:)?\d+:\d\d|ETA --:--/, `total row without the ETA: ${l}`);
          }
          assert.ok(running.some((l) => /ETA (\d+:)?\d+:\d\d/.test(l) && /\d\.\d+x realtime/.test(l)),
            `no total row with a known speed and ETA:\n${running.join('\n')}`);
          if (width >= 200) assert.ok(running.some((l) => /elapsed \d+:\d\d/.test(l)), 'no elapsed time at 200 columns');
          // The end: every rung once, completed; the total at 100 %.
          const total = assertEachRowOnce(history, `${width} columns, final screen`);
          assert.match(total, /100\.0%/);
          assert.match(total, /ETA 0:00/);
          for (const r of RUNGS) assert.match(history.find((l) => rungRow(r.name).test(l)), /100\.0%\s+completed/);
          // The summary: short lines (checked above), what was written
          // where, the speed, the report and how to play it.
          const text = history.join('\n');
          assert.match(text, /^ladder: done: 3 rungs, 8\.0 s of media in (\d+\.\d s|\d+:\d\d) \(\d+(\.\d+)?x realtime\)$/m);
          assert.match(text, new RegExp(`^  hls: +${out}/master\\.m3u8$`, 'm'));
          assert.match(text, new RegExp(`^  dash: +${out}/manifest\\.mpd$`, 'm'));
          assert.match(text, new RegExp(`^  report: +${out}/report\\.json$`, 'm'));
          assert.match(text, new RegExp(`^  play: +ffplay ${out}/master\\.m3u8$`, 'm'));
          assert.doesNotMatch(text, /helper chunks|frame pools/, 'the detail lines are for -v');
          const o = assertOutputComplete(path.join(work, out), src.frames);
          assert.ok(fs.existsSync(o.reportPath), 'the report the summary names');
        } finally {
          term.kill();
        }
      });
    });
  }

  it('a resize from 200 to 80 columns mid-run: redrawn to fit, each rung once', { skip: NO_TMUX }, async () => {
    await withSharedLock(async () => {
      const term = new Terminal(work, 200);
      try {
        term.start([src.path, '-o', 'out-resize', ...ARGS], env());
        const before200 = await term.watch((s) => s.some((l) => /running/.test(l)));
        assert.ok(!term.exited(), 'the run ended before the resize: make it longer');
        term.resize(80);
        const after = await term.watch();
        const screen = term.capture();
        assert.equal(term.exitCode(), 0, `exit status\n${term.capture(true).join('\n')}`);
        // The screens after ladder's first redraw at 80 (a poll may still
        // see the rows of 200 re-wrapped by tmux before it): nothing wider
        // than 80, and each rung once. Only the screen: on narrowing, tmux
        // pushes the re-wrapped lines above the cursor into its history,
        // where no program can reach them.
        const first = after.findIndex((s) => s.lines.every((l) => columns(l) <= 80) && count(s.lines, TOTAL_ROW) === 1);
        assert.ok(first >= 0, `never redrawn to fit 80 columns:\n${screen.join('\n')}`);
        const redrawn = after.slice(first);
        assertFits([...redrawn, { width: 80, lines: screen }]);
        assertFits(before200);
        for (const s of redrawn.filter((x) => count(x.lines, TOTAL_ROW))) assertEachRowOnce(s.lines, 'a screen after the resize');
        const total = assertEachRowOnce(screen, 'the final screen after a resize');
        assert.match(total, /100\.0%/);
        assertOutputComplete(path.join(work, 'out-resize'), src.frames);
      } finally {
        term.kill();
      }
    });
  });

  it('Ctrl-C: the stop notice above the bars, the bars drawn once, exit 14', { skip: NO_TMUX }, async () => {
    await withSharedLock(async () => {
      const term = new Terminal(work, 80);
      try {
        term.start([src.path, '-o', 'out-stop', ...ARGS], env());
        await term.watch((s) => s.some((l) => /\d\.\d%\s+running/.test(l) && !/ 0\.0%/.test(l)));
        // Bars move by frames now, before any chunk is finished: wait for a
        // finished segment on disk, so the stop has something to keep (a
        // sanitizer build is slow enough to be stopped before one).
        const rungDir = path.join(work, 'out-stop', 'video', RUNGS[0].name);
        for (let i = 0; i < 600 && !term.exited(); i++) {
          if (fs.existsSync(rungDir) && fs.readdirSync(rungDir).some((f) => f.endsWith('.m4s'))) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(!term.exited(), 'the run ended before Ctrl-C: make it longer');
        term.keys('C-c');
        await term.watch();
        const history = term.capture(true);
        const text = history.join('\n');
        assert.equal(term.exitCode(), 14, `exit status of a stopped run\n${text}`);
        // LEAD: needs stop_watch_target.announce = progress_view_notice_cb
        // in cmd_encode.c; printed by the watcher itself, the notice lands
        // inside the bars and the next redraw leaves a row twice.
        assert.equal(count(history, /stopping at the next chunk boundary/), 1, `the stop notice once:\n${text}`);
        const notice = history.findIndex((l) => /stopping at the next chunk boundary/.test(l));
        const firstRow = history.findIndex((l) => rungRow(RUNGS[0].name).test(l));
        assert.ok(notice < firstRow, `the notice above the bars:\n${text}`);
        assertEachRowOnce(history, 'after Ctrl-C');
        for (const l of history.filter((x) => rungRow('\\w+').test(x) || TOTAL_ROW.test(x))) {
          assert.ok(columns(l) <= 80, `a row wider than the terminal: ${l}`);
        }
        // The stop is real: the kept segments are on disk, no playlist.
        const out = path.join(work, 'out-stop');
        assert.ok(!fs.existsSync(path.join(out, 'master.m3u8')), 'a stopped run writes no playlist');
        assert.ok(fs.readdirSync(path.join(out, 'video', RUNGS[0].name)).some((f) => f.endsWith('.m4s')),
          'the segments finished before the stop are kept');
      } finally {
        term.kill();
      }
    });
  });

  it('--progress json: every line typed and timed, every field documented, an overall line, frames counted', async () => {
    const out = path.join(work, 'out-json');
    const run = await encode(src.path, out, [...ARGS, '--progress', 'json'], { env: { ...process.env, ...env() } });
    assert.equal(run.code, 0, describeRun(run));
    const { events, bad } = parseProgress(run.stdout);
    assert.deepEqual(bad, [], 'stdout lines that are not JSON');
    const schema = documentedSchema();
    let last = '';
    for (const e of events) {
      assert.equal(typeof e.type, 'string', `no "type": ${JSON.stringify(e)}`);
      // LEAD: the report line has "t" once cmd_encode.c prints it through
      // progress_view_report().
      assert.match(String(e.t), ISO_UTC, `no ISO 8601 "t": ${JSON.stringify(e).slice(0, 300)}`);
      assert.ok(e.t >= last, `"t" went back: ${e.t} after ${last}`);
      last = e.t;
      assert.ok(schema[e.type], `type "${e.type}" is not in docs/PROGRESS.md`);
      if (e.type === 'report') continue;   // report.json's own fields: README
      for (const k of Object.keys(e)) {
        assert.ok(schema[e.type].has(k), `field "${k}" of "${e.type}" is not in docs/PROGRESS.md: ${JSON.stringify(e)}`);
      }
    }
    const states = ['pending', 'running', 'finalizing', 'completed', 'failed'];
    const progress = events.filter((e) => e.type === 'progress');
    for (const p of progress) {
      assert.ok(states.includes(p.state), `state ${p.state}`);
      assert.ok(p.frames_encoding >= 0 && p.frames_encoding <= p.frames_done, JSON.stringify(p));
    }
    // Frames, not chunks: some lines count frames of chunks in hand.
    assert.ok(progress.some((p) => p.frames_encoding > 0),
      'no progress line counts the frames of a chunk being encoded');
    // Every rung announced (pending) before any work.
    const firstWork = progress.findIndex((p) => p.state !== 'pending');
    assert.deepEqual(progress.slice(0, firstWork).map((p) => p.rung).sort(), RUNGS.map((_, i) => i));
    // The overall lines: going up, the last final at 100 %.
    const overall = events.filter((e) => e.type === 'overall');
    assert.ok(overall.length >= 2, `overall lines: ${overall.length}`);
    for (let i = 1; i < overall.length; i++) {
      assert.ok(overall[i].percent >= overall[i - 1].percent, `overall went back: ${JSON.stringify(overall.slice(i - 1, i + 1))}`);
    }
    const fin = overall[overall.length - 1];
    assert.equal(fin.final, true);
    assert.equal(overall.filter((o) => o.final).length, 1, 'one final overall line');
    assert.equal(fin.percent, 100);
    assert.equal(fin.rungs, RUNGS.length);
    assert.equal(fin.rungs_completed, RUNGS.length);
    assert.equal(fin.eta, 0);
    assert.ok(Math.abs(fin.media_seconds_total - src.videoDuration) < 0.2, `media_seconds_total ${fin.media_seconds_total}`);
    assert.ok(fin.speed > 0 && Math.abs(fin.speed - fin.media_seconds_done / fin.elapsed) < 0.01, JSON.stringify(fin));
    assert.ok(overall.some((o) => !o.final && o.percent > 0 && o.percent < 100 && o.eta > 0 && o.speed > 0),
      'no overall line mid-run with a speed and an ETA');
    // The last count of each rung is what the output holds.
    assertOutputComplete(out, src.frames);
    for (let i = 0; i < RUNGS.length; i++) {
      const lastOf = progress.filter((p) => p.rung === i).pop();
      assert.equal(lastOf.state, 'completed');
      assert.equal(lastOf.frames_done, src.frames, `rung ${i} frames_done`);
      assert.equal(lastOf.frames_total, src.frames, `rung ${i} frames_total`);
      assert.equal(lastOf.percent, 100);
    }
    assert.equal(events[events.length - 1].type, 'report', 'the report is the last line');
  });

  it('--progress json: a failing run ends with an error line carrying the exit status', async () => {
    const notMedia = path.join(work, 'not-media.mp4');
    fs.writeFileSync(notMedia, 'this is not a media file\n'.repeat(200));
    const run = await encode(notMedia, path.join(work, 'out-bad'), [...RUNG_ARGS, '--progress', 'json'],
      { env: { ...process.env, ...env() } });
    assert.equal(run.code, 4, describeRun(run));
    const { events, bad } = parseProgress(run.stdout);
    assert.deepEqual(bad, [], 'stdout lines that are not JSON');
    for (const e of events) assert.match(String(e.t), ISO_UTC, JSON.stringify(e));
    // LEAD: needs progress_view_error() in cmd_encode.c.
    const lastLine = events[events.length - 1];
    assert.ok(lastLine && lastLine.type === 'error', `the last line is not an error line: ${run.stdout}`);
    assert.equal(lastLine.exit_code, run.code);
    assert.match(lastLine.message, /not-media\.mp4/);
    assert.equal(events.filter((e) => e.type === 'error').length, 1, 'one error line');
    assert.ok(!events.some((e) => e.type === 'report'), 'no report for a failed run');
  });
});

/** docs/PROGRESS.md: for each "### `type`" section, the fields of its table. */
function documentedSchema() {
  const text = fs.readFileSync(path.join(E2E_DIR, '..', '..', 'docs', 'PROGRESS.md'), 'utf8');
  const schema = {};
  let current = null;
  for (const line of text.split('\n')) {
    const h = /^### `(\w+)`/.exec(line);
    if (h) {
      current = new Set();
      schema[h[1]] = current;
      continue;
    }
    if (/^## /.test(line)) current = null;
    const row = /^\| `(\w+)` \|/.exec(line);
    if (row && current) current.add(row[1]);
  }
  return schema;
}
