// Test helpers: a private redis-server, tiny media, fake ladder scripts.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const ladderBin = path.resolve(repoRoot, process.env.LADDER_BIN || 'build/ladder');
export const workerBin = path.resolve(repoRoot, 'adapters/bullmq/bin/ladder-worker.mjs');

// Host slots: every ladder job takes host CPU slots (README, "Sharing a
// host"). A private state directory per test process keeps these tests off
// the slots of other ladders on the machine (and theirs off ours).
process.env.LADDER_STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'ladder-bullmq-slots-'));
process.on('exit', () => fs.rmSync(process.env.LADDER_STATE_DIR, { recursive: true, force: true }));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, timeoutMs = 30000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// A private redis-server on a free loopback port. Without persistence by
// default; aof: true writes an AOF in dir, fsynced at every write, so a
// kill -9 loses nothing. restart() starts it again on the same port and
// dir (what it kept, it loads).
export async function startRedis(dir, { aof = false, port } = {}) {
  port = port || await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    ...(aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  await waitFor('redis-server ready', () => /Ready to accept connections/.test(log) || proc.exitCode !== null, 15000, 50);
  if (proc.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
  const ended = (sig) => new Promise((r) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return r();
    proc.once('exit', r);
    proc.kill(sig);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => ended('SIGTERM'),
    kill: () => ended('SIGKILL'),
    restart: () => startRedis(dir, { aof, port }),
  };
}

export function makeMedia(dir, name, seconds, size = '320x180') {
  const file = path.join(dir, name);
  execFileSync('ffmpeg', ['-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', file]);
  return file;
}

export function script(dir, name, body) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

// The pids whose parent is `ppid` (Linux /proc).
export function childrenOf(ppid) {
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

// Alive and not a zombie.
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// The worker CLI as its own process (for signals); args ['dashboard'] for
// the operations page.
export function spawnWorker(env, args = []) {
  const proc = spawn(process.execPath, [workerBin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  proc.log = '';
  proc.stderr.on('data', (d) => { proc.log += d; });
  proc.ready = waitFor('worker ready', () => /"msg":"(dashboard )?ready"/.test(proc.log) || proc.exitCode !== null, 30000, 50)
    .then(() => { if (proc.exitCode !== null) throw new Error(`worker exited: ${proc.log}`); });
  proc.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return proc;
}
