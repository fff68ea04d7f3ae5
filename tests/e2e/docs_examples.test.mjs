// Every example in README.md and docs/*.md runs, and every relative link
// leads somewhere.
//
// The convention the pages follow (say it in one place, here):
// - Every fenced ```sh or ```console block is an example. Each command in
//   it is run: `ladder ...` (with LADDER_BIN), `ls`/`cat`, optionally after
//   NAME=value environment assignments, and `sudo cmake --install DIR`
//   (into a temporary prefix, from the build tree of LADDER_BIN). A
//   command must exit 0, unless a console block shows `$ echo $?` after it
//   with the status it exits with.
// - In a ```console block, `$ ` starts a command and the lines up to the
//   next one are what it printed (stdout and stderr). The real output must
//   have the same shape, line for line in order (a shown line may stand for
//   several alike ones, `...` for lines left out): the same first word
//   (digits aside), the same key=value names, and for a JSON line the same
//   "type" and at least the shown keys.
// - The examples of the `ladder encode --help` block in the README run too.
// - `<!-- no-run: REASON -->` on the line before a block keeps it from
//   running (it needs a GPU, Redis, root, or builds the tree); the test
//   prints each one with its reason and allows only a few.
// - `<!-- file: NAME -->` before a fenced block writes the block to NAME in
//   the page's working directory, for the examples after it (a ladder
//   file, a job spec). Every ```json block must parse.
// Each page runs in its own directory holding in.mp4 and in.mov (4 s of
// 640x360 at 25 fps with stereo AAC, made here) and links to samples/ and
// tests/, in order: later examples see what earlier ones wrote. Examples
// that succeed are judged by what they wrote: every rung of an encode
// decodes to every source frame, a job's outputs exist, JSON parses.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, ladderBin } from './lib/ladder.mjs';
import { makeMedia, runFfmpeg } from './lib/media.mjs';
import { concatFiles, decodeCheck } from './lib/probe.mjs';
import { E2E_DIR, makeTempDir, runProcess, withSharedLock } from './lib/util.mjs';

const REPO = path.resolve(E2E_DIR, '..', '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort()
  .map((f) => `docs/${f}`)];
const HELP_MARKER = '<!-- ladder encode --help -->';
const MAX_NOT_RUN = 8;
const SOURCE = { width: 640, height: 360, rate: '25', duration: 4 };
const SOURCE_FRAMES = 100;

// ------------------------------------------------------------ the pages

/** Fenced blocks of a Markdown page: {lang, body, line, marker}. */
function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    blocks.push({ lang: open[1], body: lines.slice(i + 1, end), line: i + 1, marker: prev >= 0 ? lines[prev].trim() : '' });
    i = end;
  }
  return blocks;
}

/** Shell words of one command line: quotes, no other shell syntax. */
function shellWords(line, where) {
  const words = [];
  let cur = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      assert.ok(close > i, `${where}: unbalanced quote`);
      let s = line.slice(i + 1, close);
      if (c === '"') {
        assert.ok(!/[$`]/.test(s), `${where}: "${s}" needs a shell: mark the block <!-- no-run: ... -->`);
        s = s.replace(/\\(["\\])/g, '$1');
      }
      cur = (cur ?? '') + s;
      i = close;
    } else if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === '#' && cur === null) {
      break; // a comment
    } else {
      assert.ok(!/[|&;<>()$`\\*?]/.test(c), `${where}: '${c}' needs a shell: mark the block <!-- no-run: ... -->`);
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** Lines with their `\` continuations joined. */
function joinContinued(lines) {
  const out = [];
  for (const l of lines) {
    if (out.length && out[out.length - 1].endsWith('\\')) out[out.length - 1] = `${out[out.length - 1].slice(0, -1)} ${l.trim()}`;
    else out.push(l);
  }
  return out;
}

/** The commands of one block: [{text, exit, shown: [lines] | null}]. */
function commandsOf(block) {
  if (block.lang === 'sh') {
    return joinContinued(block.body).filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => ({ text: l.trim(), exit: 0, shown: null }));
  }
  // console: "$ cmd" then its output; "$ echo $?" then the status.
  const cmds = [];
  const lines = joinContinued(block.body);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!l.startsWith('$ ')) {
      assert.ok(cmds.length, `${block.where}: output before the first "$ " command`);
      cmds[cmds.length - 1].shown.push(l);
    } else if (l.trim() === '$ echo $?') {
      assert.ok(cmds.length, `${block.where}: "echo $?" without a command`);
      const status = lines[++i];
      assert.match(status ?? '', /^\d+$/, `${block.where}: "echo $?" is not followed by a status`);
      cmds[cmds.length - 1].exit = Number(status);
    } else {
      cmds.push({ text: l.slice(2).trim(), exit: 0, shown: [] });
    }
  }
  return cmds;
}

/** The help block's "Examples:" commands (indented "ladder ..." lines). */
function helpExamples(text) {
  const block = fencedBlocks(text).find((b) => b.marker === HELP_MARKER);
  assert.ok(block, `no block after ${HELP_MARKER}`);
  return block.body.filter((l) => /^ {2}ladder /.test(l)).map((l) => ({ text: l.trim(), exit: 0, shown: null }));
}

/** Everything a page asks of the test, in order. */
function pageSteps(page) {
  const text = fs.readFileSync(path.join(REPO, page), 'utf8');
  const steps = [];
  for (const b of fencedBlocks(text)) {
    b.where = `${page}:${b.line}`;
    const file = /^<!-- file: (\S+) -->$/.exec(b.marker);
    const noRun = /^<!-- no-run: (.+) -->$/.exec(b.marker);
    if (b.lang === 'json') steps.push({ kind: 'json', block: b });
    if (file) steps.push({ kind: 'file', name: file[1], block: b });
    // The help's examples stand alone: each in a directory of its own.
    if (b.marker === HELP_MARKER) for (const c of helpExamples(text)) steps.push({ kind: 'run', cmd: c, where: b.where, fresh: true });
    if (b.lang !== 'sh' && b.lang !== 'console') continue;
    if (noRun) { steps.push({ kind: 'skip', why: noRun[1], where: b.where }); continue; }
    const cmds = commandsOf(b);
    assert.ok(cmds.length, `${b.where}: an example block with no command`);
    for (const c of cmds) steps.push({ kind: 'run', cmd: c, where: b.where });
  }
  return steps;
}

// ------------------------------------------------------------ output shape

function shapeOf(line) {
  const t = line.trim();
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t);
      return { json: Object.keys(o), type: o.type };
    } catch { /* shown with ellipses: compared as words */ }
  }
  const words = t.split(/\s+/);
  return {
    first: words[0].replace(/\d+/g, '#'),
    labels: words.filter((w) => /^[a-z_]+=/.test(w)).map((w) => w.split('=')[0]),
  };
}

function sameShape(shown, real) {
  if (shown.json) return !!real.json && real.type === shown.type && shown.json.every((k) => real.json.includes(k));
  return !real.json && real.first === shown.first && shown.labels.every((l) => real.labels.includes(l));
}

/** The first shown line the real output does not have, or null. */
function shapeMismatch(shown, stdout, stderr) {
  const streams = [stdout, stderr].map((s) => s.split('\n').filter((l) => l.trim()).map(shapeOf));
  const cursors = [0, 0];
  for (const line of shown) {
    if (!line.trim() || line.trim() === '...') continue;
    const want = shapeOf(line);
    let found = false;
    for (const k of [0, 1]) {
      const at = streams[k].findIndex((s, i) => i >= cursors[k] && sameShape(want, s));
      if (at >= 0) { cursors[k] = at; found = true; break; }
    }
    if (!found) return line;
  }
  return null;
}

// ------------------------------------------------------------ running

function exampleEnv(work, assignments) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('LADDER_') || k === 'LADDER_STATE_DIR') env[k] = v;
  }
  // No host configuration but the example's own.
  return { ...env, XDG_CONFIG_HOME: path.join(work, 'xdg'), ...assignments };
}

/** What a successful `ladder encode` wrote: every rung decodes whole. */
function judgeEncode(work, argv, where) {
  const o = argv.findIndex((a) => a === '-o' || a === '--output');
  assert.ok(o >= 0 && argv[o + 1], `${where}: an encode example without -o DIR`);
  const out = path.resolve(work, argv[o + 1]);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.ok(report.rungs.length > 0, `${where}: report.json lists no rung`);
  for (const r of report.rungs) {
    const dir = path.join(out, 'video', r.name);
    let file = path.join(out, 'mp4', `${r.name}.mp4`);
    if (fs.existsSync(path.join(dir, 'init.mp4'))) {
      const segs = fs.readdirSync(dir).filter((f) => /^seg_\d+\.m4s$/.test(f)).sort().map((f) => path.join(dir, f));
      file = concatFiles([path.join(dir, 'init.mp4'), ...segs], `${r.name}.mp4`).path;
    }
    const d = decodeCheck(file);
    assert.equal(d.errors, '', `${where}: rung ${r.name} does not decode cleanly`);
    assert.equal(d.frames, SOURCE_FRAMES, `${where}: rung ${r.name}: ${d.frames} frames decoded, the source has ${SOURCE_FRAMES}`);
    assert.deepEqual([d.width, d.height], [r.width, r.height], `${where}: rung ${r.name}'s size`);
  }
}

/** What a successful `ladder job` wrote: the result's outputs. */
function judgeJob(work, stdout, where) {
  const result = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(result.status, 'ok', where);
  assert.ok(result.outputs.length > 0, `${where}: no output`);
  for (const f of result.outputs) {
    assert.equal(fs.statSync(path.resolve(work, f.path)).size, f.bytes, `${where}: ${f.path}`);
    if (f.width) assert.equal(decodeCheck(path.resolve(work, f.path)).width, f.width, `${where}: ${f.path}'s width`);
  }
}

/** What a successful `ladder bench` wrote: bench.json, with no problem. */
function judgeBench(work, argv, where) {
  const o = argv.findIndex((a) => a === '-o' || a === '--out');
  const bench = JSON.parse(fs.readFileSync(path.resolve(work, argv[o + 1], 'bench.json'), 'utf8'));
  assert.deepEqual(bench.problems, [], `${where}: bench.json lists problems`);
  assert.ok(bench.runs.length > 0, `${where}: bench.json has no run`);
}

/** `sudo cmake --install DIR`: LADDER_BIN's build tree into a temporary prefix. */
async function runInstall(words, step, t) {
  const build = path.dirname(ladderBin());
  if (!fs.existsSync(path.join(build, 'cmake_install.cmake'))) {
    t.diagnostic(`${step.where}: not run: ${build} (LADDER_BIN's directory) is not a CMake build tree`);
    return false;
  }
  const prefix = makeTempDir('ladder-e2e-docs-prefix-');
  const extra = words.slice(4).filter((w, i, all) => w !== '--prefix' && all[i - 1] !== '--prefix');
  const args = ['--install', build, ...extra, '--prefix', prefix];
  const r = await runProcess('cmake', args);
  assert.equal(r.code, 0, `${step.where}: cmake ${args.join(' ')}\n${r.stderr}`);
  // What the README says the install puts under the prefix.
  for (const f of ['bin/ladder', 'share/man/man1/ladder.1', 'share/bash-completion/completions/ladder',
    'include/ladder/ladder.h']) {
    assert.ok(fs.existsSync(path.join(prefix, f)), `${step.where}: ${f} is not installed`);
  }
  assert.match(fs.readFileSync(path.join(prefix, 'share/man/man1/ladder.1'), 'utf8'), /^\.TH LADDER 1/m);
  return true;
}

async function runStep(step, work, t) {
  const where = `${step.where}: ${step.cmd.text}`;
  const words = shellWords(step.cmd.text, where);
  const assignments = {};
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const w = words.shift();
    assignments[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  const [prog, ...args] = words;
  if (prog === 'sudo' && args[0] === 'cmake' && args[1] === '--install') return runInstall(words, step, t);
  assert.ok(['ladder', 'ls', 'cat'].includes(prog),
    `${where}: the test runs ladder, ls and cat; mark the block <!-- no-run: REASON --> for anything else`);
  const env = exampleEnv(work, assignments);
  const bin = prog === 'ladder' ? ladderBin() : prog;
  const r = { ...(await withSharedLock(() => runProcess(bin, args, { env, cwd: work, timeoutMs: 300_000 }))), argv: [bin, ...args] };
  assert.ok(!r.timedOut, `${where}: timed out`);
  assert.equal(r.code, step.cmd.exit, `${where}: exit status\n${describeRun(r)}`);
  if (step.cmd.shown?.length) {
    const miss = shapeMismatch(step.cmd.shown, r.stdout, r.stderr);
    assert.equal(miss, null, `${where}: the docs show a line the real output has no line like:\n${miss}\n` +
      `real stdout:\n${r.stdout}\nreal stderr:\n${r.stderr}`);
  }
  if (prog === 'ladder' && r.code === 0) {
    if (args[0] === 'encode' && !args.includes('--help')) judgeEncode(work, args, where);
    if (args[0] === 'job') judgeJob(work, r.stdout, where);
    if (args[0] === 'bench') judgeBench(work, args, where);
    if (args.includes('--json')) JSON.parse(r.stdout);
  }
  return true;
}

// ------------------------------------------------------------ links

function slug(heading) {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

/** Relative links of a page outside code: [{target, line}]. */
function linksOf(text) {
  const lines = text.split('\n');
  const links = [];
  let fenced = false;
  lines.forEach((l, i) => {
    if (/^```/.test(l)) fenced = !fenced;
    if (fenced) return;
    const prose = l.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z]+:/.test(m[1])) links.push({ target: m[1], line: i + 1 });
    }
  });
  return links;
}

// ------------------------------------------------------------ the tests

/** A page's working directory: the inputs, samples/ and tests/. */
function workDir(input) {
  const work = makeTempDir('ladder-e2e-docs-');
  fs.mkdirSync(path.join(work, 'xdg'));
  fs.copyFileSync(input, path.join(work, 'in.mp4'));
  runFfmpeg(['-i', input, '-c', 'copy', '-map', '0', path.join(work, 'in.mov')], 'in.mov');
  for (const dir of ['samples', 'tests']) fs.symlinkSync(path.join(REPO, dir), path.join(work, dir));
  return work;
}

describe('the docs: examples and links', () => {
  let input;
  const counts = { run: 0, notRun: [] };

  before(async () => {
    input = (await makeMedia({ name: 'docs', ...SOURCE, audio: true })).path;
  });

  for (const page of PAGES) {
    it(`${page}: every example runs as shown`, async (t) => {
      const steps = pageSteps(page);
      const work = workDir(input);
      for (const step of steps) {
        if (step.kind === 'json') {
          assert.doesNotThrow(() => JSON.parse(step.block.body.join('\n')), `${step.block.where}: a json block that is not JSON`);
        } else if (step.kind === 'file') {
          fs.writeFileSync(path.join(work, step.name), `${step.block.body.join('\n')}\n`);
        } else if (step.kind === 'skip') {
          counts.notRun.push(`${step.where}: ${step.why}`);
          t.diagnostic(`not run: ${step.where}: ${step.why}`);
        } else if (await runStep(step, step.fresh ? workDir(input) : work, t)) {
          counts.run++;
        } else {
          counts.notRun.push(`${step.where}: not a build tree`);
        }
      }
    });
  }

  it('few examples are left unrun, and many run', (t) => {
    t.diagnostic(`${counts.run} commands run; ${counts.notRun.length} blocks not run:`);
    for (const n of counts.notRun) t.diagnostic(`  not run: ${n}`);
    assert.ok(counts.notRun.length <= MAX_NOT_RUN, `more than ${MAX_NOT_RUN} examples not run:\n${counts.notRun.join('\n')}`);
    assert.ok(counts.run >= 25, `only ${counts.run} commands found: is the convention still followed?`);
  });

  it('every relative link names a file that exists, and a heading there', () => {
    const problems = [];
    let checked = 0;
    for (const page of PAGES) {
      const file = path.join(REPO, page);
      for (const { target, line } of linksOf(fs.readFileSync(file, 'utf8'))) {
        const [rel, anchor] = target.split('#');
        const dest = rel ? path.resolve(path.dirname(file), rel) : file;
        checked++;
        if (!fs.existsSync(dest)) {
          problems.push(`${page}:${line}: ${target}: no such file`);
        } else if (anchor !== undefined && dest.endsWith('.md') && !anchorsOf(dest).has(anchor)) {
          problems.push(`${page}:${line}: ${target}: no heading #${anchor} in ${path.relative(REPO, dest)}`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked >= 30, `only ${checked} links found`);
  });
});
