// One exit-code table: what ladder's C table says (engine/error.c, printed
// by `ladder help exit-codes`), the README's table, the README's worker
// outcomes and the worker's own sets (which codes fail a job for good,
// which go back to the queue) must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUSY_CODE, CANCELLED_CODE, OWNED_CODE, STOPPED_CODE, UNRECOVERABLE_CODES } from '../src/worker.mjs';
import { ladderBin, repoRoot } from './helpers.mjs';

// exit code -> the C table's meanings (several errors may share one exit).
function cTable() {
  const out = execFileSync(ladderBin, ['help', 'exit-codes'], { encoding: 'utf8' });
  const table = new Map();
  for (const line of out.trim().split('\n')) {
    const m = /^(\d+)\t(.+)$/.exec(line);
    assert.ok(m, `not "EXIT<tab>meaning": ${JSON.stringify(line)}`);
    const code = Number(m[1]);
    table.set(code, [...(table.get(code) || []), m[2]]);
  }
  return table;
}

// The rows of the first Markdown table after a heading, as arrays of cells.
function tableAfter(text, heading) {
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no "${heading}"`);
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

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

test("the README's exit-code table is ladder's C table", () => {
  const c = cTable();
  const rows = tableAfter(readme, '### Exit codes');
  const documented = rows.map((r) => Number(r[0]));
  assert.ok(rows.every((r) => /^\d+$/.test(r[0])), `a row without a code: ${JSON.stringify(rows)}`);
  assert.deepEqual([...documented].sort((a, b) => a - b), [...c.keys()].sort((a, b) => a - b),
    `README codes ${documented} vs C ${[...c.keys()]}`);
});

test("the worker's sets are codes of that table, with the meanings they are handled for", () => {
  const c = cTable();
  for (const code of [...UNRECOVERABLE_CODES, BUSY_CODE, STOPPED_CODE, CANCELLED_CODE]) {
    assert.ok(c.has(code), `the worker handles exit ${code}, which ladder never returns`);
  }
  assert.match(c.get(BUSY_CODE).join(), /retry later/);
  assert.match(c.get(STOPPED_CODE).join(), /stopped/);
  assert.match(c.get(CANCELLED_CODE).join(), /cancelled/);
  // Failed for good: the job itself is wrong (input, spec, limit, policy,
  // an output name another job's output has), never what a later try or
  // another node could fix.
  const forGood = /input|ladder description|made by another job/;
  for (const code of UNRECOVERABLE_CODES) {
    assert.match(c.get(code).join(), forGood, `exit ${code} (${c.get(code)}) is failed for good`);
  }
  for (const [code, meanings] of c) {
    if (/^input /.test(meanings.join()) || /invalid ladder description|made by another job/.test(meanings.join())) {
      assert.ok(UNRECOVERABLE_CODES.has(code), `exit ${code} (${meanings}) would be retried`);
    }
  }
  assert.match(c.get(OWNED_CODE).join(), /output exists and was made by another job/);
});

test("the README's worker outcomes are the worker's sets", () => {
  const rows = tableAfter(readme, '**Outcomes by exit code.**');
  const row = (pattern) => {
    const r = rows.find((x) => pattern.test(x[1]));
    assert.ok(r, `no outcome row matching ${pattern}`);
    return codesIn(r[0]);
  };
  assert.deepEqual(row(/UnrecoverableError/).sort((a, b) => a - b), [...UNRECOVERABLE_CODES].sort((a, b) => a - b));
  assert.deepEqual(row(/moveToDelayed/), [BUSY_CODE]);
  assert.deepEqual(row(/moveToWait/), [STOPPED_CODE]);
  const c = cTable();
  for (const r of rows) for (const code of codesIn(r[0])) assert.ok(c.has(code), `README outcome row names exit ${code}, unknown to ladder`);
});
