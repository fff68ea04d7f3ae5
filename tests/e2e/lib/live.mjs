// A ladder process watched while it runs: its JSON lines as they arrive
// (for tests that act on "slots" events of concurrent runs).
import { spawn } from 'node:child_process';
import { describeRun, ladderBin } from './ladder.mjs';

/** Start `ladder ARGS`; lines of stdout as they come, and how it ended. */
export function startLadder(args, env) {
  const child = spawn(ladderBin(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { child, events: [], stdout: '', stderr: '', waiters: [], argv: [ladderBin(), ...args] };
  let partial = '';
  child.stdout.on('data', (d) => {
    run.stdout += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const l of lines) {
      if (!l.trim()) continue;
      run.events.push(JSON.parse(l));
      for (const w of [...run.waiters]) if (w.check()) run.waiters.splice(run.waiters.indexOf(w), 1);
    }
  });
  child.stderr.on('data', (d) => { run.stderr += d; });
  run.done = new Promise((resolve) => child.on('close', (code, signal) => { run.code = code; run.signal = signal; resolve(run); }));
  /** Resolves with the first event matching pred (rejects if the process ends first). */
  run.waitFor = (pred) => new Promise((resolve, reject) => {
    const check = () => { const e = run.events.find(pred); if (e) resolve(e); return !!e; };
    if (check()) return;
    run.waiters.push({ check });
    run.done.then(() => { if (!check()) reject(new Error(`process ended without the event\n${describeRun(run)}`)); });
  });
  return run;
}

/** A "slots" JSON line's matcher: event name, optionally the device key. */
export const slotEvent = (name, device = null) => (e) =>
  e.type === 'slots' && e.event === name && (device === null || e.device === device);
