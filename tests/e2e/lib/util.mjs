// Shared helpers for the end-to-end tests: temp dirs, child processes with
// argv arrays (never a shell), and a small cross-process machine lock.
//
// The lock exists because ctest runs the e2e files in parallel (-j2) on a
// 2-core machine, while helpers.test.mjs measures wall-clock speedups that
// only exist when both cores are idle.  Every CPU-heavy step of the other
// tests (media generation, ladder runs, browser playback) holds a *shared*
// lock; the timing test holds the *exclusive* lock while it measures, so it
// waits for in-flight work to finish and blocks new work meanwhile
// (writer preference, stale holders are detected by pid).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const E2E_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const tempRoots = [];
let cleanupRegistered = false;

/** A fresh temp directory, removed at process exit unless LADDER_E2E_KEEP=1. */
export function makeTempDir(prefix = 'ladder-e2e-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempRoots.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', () => {
      if (process.env.LADDER_E2E_KEEP === '1') {
        for (const d of tempRoots) process.stderr.write(`# kept ${d}\n`);
        return;
      }
      for (const d of tempRoots) {
        try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
      }
    });
  }
  return dir;
}

/**
 * Run a program with an argv array.  Resolves (never rejects on a non-zero
 * exit) with {code, signal, stdout, stderr, wallMs, timedOut}.
 */
export function runProcess(cmd, args, { timeoutMs = 600_000, env, cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    let child;
    try {
      child = spawn(cmd, args, {
        env: env ?? process.env, cwd, stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      reject(err);
      return;
    }
    const out = [];
    const errs = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => errs.push(d));
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code, signal, timedOut,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errs).toString('utf8'),
        wallMs: Number(process.hrtime.bigint() - start) / 1e6,
      });
    });
    if (input !== undefined) child.stdin.end(input); else child.stdin.end();
  });
}

// ---------------------------------------------------------------- locking

const LOCK_DIR = process.env.LADDER_E2E_LOCK_DIR
  || path.join(os.tmpdir(), `ladder-e2e-locks-${typeof process.getuid === 'function' ? process.getuid() : 'u'}`);
const EXCLUSIVE = path.join(LOCK_DIR, 'exclusive');

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function exclusiveOwner() {
  try {
    return Number.parseInt(fs.readFileSync(path.join(EXCLUSIVE, 'pid'), 'utf8'), 10);
  } catch {
    return null;
  }
}

function exclusiveHeldByOther() {
  if (!fs.existsSync(EXCLUSIVE)) return false;
  const owner = exclusiveOwner();
  if (owner === process.pid) return false;
  if (owner === null) {
    // Just created, pid not yet written: treat as held unless very old.
    try {
      const age = Date.now() - fs.statSync(EXCLUSIVE).mtimeMs;
      if (age < 10_000) return true;
    } catch { return false; }
  } else if (pidAlive(owner)) {
    return true;
  }
  fs.rmSync(EXCLUSIVE, { recursive: true, force: true }); // stale
  return false;
}

let sharedDepth = 0;
let sharedFile = null;
let exclusiveDepth = 0;

/** Run fn while holding the shared machine lock (re-entrant). */
export async function withSharedLock(fn) {
  if (exclusiveDepth > 0 || process.env.LADDER_E2E_NO_LOCK === '1') return fn();
  if (sharedDepth === 0) {
    fs.mkdirSync(LOCK_DIR, { recursive: true });
    for (;;) {
      while (exclusiveHeldByOther()) await sleep(200);
      const f = path.join(LOCK_DIR, `shared-${process.pid}-${Math.random().toString(36).slice(2)}`);
      fs.writeFileSync(f, String(process.pid));
      if (!exclusiveHeldByOther()) { sharedFile = f; break; }
      fs.rmSync(f, { force: true });
    }
  }
  sharedDepth++;
  try {
    return await fn();
  } finally {
    sharedDepth--;
    if (sharedDepth === 0 && sharedFile) { fs.rmSync(sharedFile, { force: true }); sharedFile = null; }
  }
}

/**
 * Run fn while holding the exclusive machine lock: waits (up to waitMs) for
 * other e2e processes' shared holds to end.  Returns fn's result.
 */
export async function withExclusiveLock(fn, { waitMs = 600_000 } = {}) {
  if (process.env.LADDER_E2E_NO_LOCK === '1') return fn();
  fs.mkdirSync(LOCK_DIR, { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      fs.mkdirSync(EXCLUSIVE);
      fs.writeFileSync(path.join(EXCLUSIVE, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      exclusiveHeldByOther(); // removes a stale one
      if (Date.now() > deadline) throw new Error(`timed out waiting for the e2e exclusive lock ${EXCLUSIVE}`);
      await sleep(250);
    }
  }
  exclusiveDepth++;
  try {
    // Wait for other processes' shared holders to drain.
    for (;;) {
      const holders = fs.readdirSync(LOCK_DIR).filter((n) => n.startsWith('shared-')).filter((n) => {
        const pid = Number.parseInt(n.split('-')[1], 10);
        if (pid === process.pid) return false;
        if (!pidAlive(pid)) { fs.rmSync(path.join(LOCK_DIR, n), { force: true }); return false; }
        return true;
      });
      if (holders.length === 0) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for other e2e tests to release ${LOCK_DIR}`);
      await sleep(250);
    }
    return await fn();
  } finally {
    exclusiveDepth--;
    fs.rmSync(EXCLUSIVE, { recursive: true, force: true });
  }
}

/** List every file under dir (relative paths). */
export function walkFiles(dir) {
  const out = [];
  const rec = (d, rel) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      out.push({ rel: r, name: ent.name, dir: ent.isDirectory() });
      if (ent.isDirectory()) rec(path.join(d, ent.name), r);
    }
  };
  rec(dir, '');
  return out;
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same
 * sequence for the same seed, so a run that picked random inputs or times can
 * be repeated.
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
