// One exit-code table: LADDER_ERROR_TABLE (include/ladder/error.h) is what
// the binary prints (`ladder help exit-codes`, and --json), the README's
// table is that list, and the BullMQ worker's outcomes (built from the
// list at start-up, or its built-in copy) are what the classes say and what
// docs/worker.md says (one test runs the worker on a private redis-server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { FALLBACK_EXIT_POLICY, exitPolicy, loadExitPolicy, startWorker } from '../src/worker.mjs';
import { ladderBin, repoRoot, script, startRedis, tmpDir, waitFor } from './helpers.mjs';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const workerDoc = fs.readFileSync(path.join(repoRoot, 'docs/worker.md'), 'utf8');
const sorted = (xs) => [...xs].sort((a, b) => a - b);

// The binary's machine-readable list.
function jsonList() {
  return JSON.parse(execFileSync(ladderBin, ['help', 'exit-codes', '--json'], { encoding: 'utf8' }));
}

// The X(NAME, code, exit, "class", "description") rows of the header.
function headerRows() {
  const text = fs.readFileSync(path.join(repoRoot, 'include/ladder/error.h'), 'utf8').replace(/\\\n/g, ' ');
  const rows = [...text.matchAll(/\bX\((LADDER_\w+),\s*(-?\d+),\s*(\d+),\s*"([^"]+)",\s*"([^"]+)"\)/g)]
    .map((m) => ({ code: Number(m[2]), name: m[1], exit: Number(m[3]), class: m[4], description: m[5] }));
  assert.ok(rows.length > 20, `LADDER_ERROR_TABLE not found in error.h (${rows.length} rows)`);
  return rows;
}

// exit status -> class, one per status.
function classOfExit(list) {
  const map = new Map();
  for (const e of list) {
    assert.ok(!map.has(e.exit) || map.get(e.exit) === e.class, `exit ${e.exit} has classes ${map.get(e.exit)} and ${e.class}`);
    map.set(e.exit, e.class);
  }
  return map;
}

// The rows of the first Markdown table after a heading, as arrays of cells.
function tableAfter(text, heading) {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no "${heading}" heading`);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

// The exit codes a cell names before any parenthesis: "3, 4, 5 (...)" -> [3, 4, 5].
function codesIn(cell) {
  return (cell.split('(')[0].match(/\d+/g) || []).map(Number);
}

test("`ladder help exit-codes --json` is the header's LADDER_ERROR_TABLE, row for row", () => {
  const list = jsonList();
  assert.deepEqual(list, headerRows());
  // Codes 0, -1, -2, ... in order; the new usage code exits 2.
  assert.deepEqual(list.map((e) => e.code), list.map((_, i) => -i || 0));
  assert.equal(list.find((e) => e.name === 'LADDER_EUSAGE').exit, 2);
  classOfExit(list);
});

test('`ladder help exit-codes` prints the same rows for people, by exit status', () => {
  const list = jsonList();
  // A long meaning goes on under its column (rows fit 80 columns): join it back.
  const lines = execFileSync(ladderBin, ['help', 'exit-codes'], { encoding: 'utf8' }).trimEnd()
    .replace(/\n {20,}(?=\S)/g, ' ').split('\n');
  assert.match(lines[0], /^EXIT\s+CLASS\s+ERROR\s+MEANING$/);
  const rows = lines.slice(1).map((l) => {
    const m = /^\s*(\d+) {2}(\S+)\s+(LADDER_\w+) {2}(.+)$/.exec(l);
    assert.ok(m, `not "EXIT CLASS ERROR MEANING": ${JSON.stringify(l)}`);
    return { code: list.find((e) => e.name === m[3]).code, name: m[3], exit: Number(m[1]), class: m[2], description: m[4].trim() };
  });
  assert.deepEqual(rows.map((r) => r.exit), sorted(rows.map((r) => r.exit)), 'not sorted by exit status');
  assert.deepEqual([...rows].sort((a, b) => b.code - a.code), list);
  // Anything but --json after it is a usage error.
  const bad = spawnSync(ladderBin, ['help', 'exit-codes', '--yaml'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--yaml/);
});

test("the README's exit-code table is that list: the same statuses, each with its class", () => {
  const classes = classOfExit(jsonList());
  const rows = tableAfter(readme, '### Exit codes');
  assert.ok(rows.every((r) => /^\d+$/.test(r[0]) && r.length === 3), `a row not "code | class | meaning": ${JSON.stringify(rows)}`);
  assert.deepEqual(sorted(rows.map((r) => Number(r[0]))), sorted(classes.keys()));
  for (const [code, cls] of rows) assert.equal(cls, classes.get(Number(code)), `README: exit ${code} is ${cls}`);
});

test("the worker's outcomes come from the list, and its built-in copy is the list's", async () => {
  const list = jsonList();
  const logs = [];
  const policy = await loadExitPolicy(ladderBin, (f) => logs.push(f));
  assert.deepEqual(logs, [], 'the real ladder answered: nothing to say');
  assert.deepEqual(policy, exitPolicy(list));
  assert.deepEqual({ ...FALLBACK_EXIT_POLICY }, policy);
  // What each set holds, by meaning: a policy that read the wrong field
  // would fail here even where the sets agree.
  const meaning = (exit) => list.filter((e) => e.exit === exit).map((e) => e.description).join();
  assert.deepEqual([...policy.retryLater], [75]);
  assert.match(meaning(75), /retry later/);
  assert.deepEqual([...policy.stopped], [14]);
  assert.match(meaning(14), /stopped/);
  assert.deepEqual([...policy.cancelled], [130]);
  for (const exit of policy.unrecoverable) assert.match(meaning(exit), /input|ladder description|made by another job|not made by ladder/, `exit ${exit} is failed for good`);
  for (const e of list) {
    if (/^input |invalid ladder description|made by another job/.test(e.description)) {
      assert.ok(policy.unrecoverable.has(e.exit), `exit ${e.exit} (${e.description}) would be retried`);
    }
  }
  // What is not failed for good stays retried: internal, usage, environment.
  for (const e of list.filter((x) => ['internal', 'usage', 'environment'].includes(x.class))) {
    for (const set of Object.values(policy)) assert.ok(!set.has(e.exit), `exit ${e.exit} (${e.class}) has a special outcome`);
  }
});

test('a ladder that cannot list its exit codes: one log line, the built-in copy', async () => {
  const dir = tmpDir('exit-codes-');
  const cases = [
    ['an older ladder', script(dir, 'old-ladder', `if [ "$1" = help ]; then echo "ladder help: unknown option '$3'" >&2; exit 2; fi; exec '${ladderBin}' "$@"`), /unknown option '--json'/],
    ['not JSON', script(dir, 'garbled-ladder', 'echo "EXIT CLASS"'), /JSON/],
    ['no stopped row', script(dir, 'short-ladder', `echo '[{"exit":3,"class":"fix-input"},{"exit":75,"class":"retry-later"}]'`), /no stopped row/],
    ['no binary', path.join(dir, 'absent-ladder'), /ENOENT/],
  ];
  for (const [what, bin, why] of cases) {
    const logs = [];
    const policy = await loadExitPolicy(bin, (f) => logs.push(f));
    assert.equal(policy, FALLBACK_EXIT_POLICY, what);
    assert.equal(logs.length, 1, `${what}: ${JSON.stringify(logs)}`);
    assert.equal(logs[0].level, 'warn');
    assert.match(logs[0].msg, /^cannot read ladder's exit codes \(.*help exit-codes --json: .+\); using the built-in table$/);
    assert.ok(!/\n/.test(logs[0].msg), `${what}: a log line on several lines`);
    assert.match(logs[0].msg, why, what);
  }
});

// The worker decides by what its ladder says, not by a copy: a ladder
// whose list calls exit 8 fix-input has an exit-8 job failed at once, and
// the same exit from a ladder that calls it environment is retried.
test('the worker acts on the list its ladder prints', async () => {
  const dir = tmpDir('exit-codes-worker-');
  const redis = await startRedis(dir);
  const conn = new IORedis(redis.url, { maxRetriesPerRequest: null });
  const open = [];
  try {
    const run = async (name, sedExpr) => {
      const bin = script(dir, name, `if [ "$1" = help ] && [ "$2" = exit-codes ]; then '${ladderBin}' help exit-codes --json | sed '${sedExpr}'; exit 0; fi
if [ "$1" = job ]; then cat > /dev/null; echo '{"type":"result","job":"x","status":"error","error":"encoder failed","exit_code":8}'; exit 8; fi
exec '${ladderBin}' "$@"`);
      const w = await startWorker({ redisUrl: redis.url, ladderBin: bin, outputRoot: dir, queues: ['thumbnail'], prefix: name, log: () => {} });
      open.push(w);
      const q = new Queue('thumbnail', { connection: conn, prefix: name });
      open.push(q);
      const added = await q.add('thumbnail', { input: path.join(dir, 'in.mp4'), output: name }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      const job = await waitFor(`${name} job failed`, async () => ((await q.getJobState(added.id)) === 'failed' ? q.getJob(added.id) : null), 30000);
      return { w, job };
    };
    const strict = await run('strict-ladder', 's/"exit": 8, "class": "environment"/"exit": 8, "class": "fix-input"/');
    assert.ok(strict.w.exits.unrecoverable.has(8));
    assert.equal(strict.job.attemptsMade, 1, 'exit 8 as fix-input: failed at once');
    const plain = await run('plain-ladder', 'p;d');
    assert.deepEqual(plain.w.exits, exitPolicy(jsonList()));
    assert.equal(plain.job.attemptsMade, 3, 'exit 8 as environment: every attempt used');
  } finally {
    for (const o of open.reverse()) await o.close().catch(() => {});
    await conn.quit().catch(() => {});
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/worker.md's outcomes are the worker's sets", () => {
  const policy = exitPolicy(jsonList());
  const rows = tableAfter(workerDoc, '### Outcomes by exit code');
  const row = (pattern) => {
    const r = rows.find((x) => pattern.test(x[1]));
    assert.ok(r, `no outcome row matching ${pattern}`);
    return codesIn(r[0]);
  };
  assert.deepEqual(sorted(row(/UnrecoverableError/)), sorted(policy.unrecoverable));
  assert.deepEqual(row(/moveToDelayed/), [...policy.retryLater]);
  assert.deepEqual(row(/moveToWait/), [...policy.stopped]);
  const classes = classOfExit(jsonList());
  for (const r of rows) for (const code of codesIn(r[0])) assert.ok(classes.has(code), `docs/worker.md outcome row names exit ${code}, unknown to ladder`);
});
