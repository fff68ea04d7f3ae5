// Runs `ladder job -` as a child (argv, never a shell), the spec on stdin,
// and reads its JSON lines: progress lines go to onProgress, the last
// result line is returned with the exit code (and exitedAt: the
// process.hrtime clock in seconds when the child's streams closed).
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const STDERR_KEEP = 8192;

export function runLadderJob({ ladderBin, spec, onProgress, onSpawn, env }) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(ladderBin, ['job', '-'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        // LADDER_DIE_WITH_PARENT: the kernel SIGTERMs ladder when this
        // worker dies, even by SIGKILL (see README, ladder job).
        env: { ...process.env, ...env, LADDER_DIE_WITH_PARENT: '1' },
      });
    } catch (err) {
      resolve({ code: null, signal: null, result: null, stderr: '', spawnError: err });
      return;
    }
    let result = null;
    let stderr = '';
    let spawnError = null;
    const pending = [];
    child.on('error', (err) => { spawnError = err; });
    child.stdin.on('error', () => {}); // a child that exits early closes the pipe
    child.stdin.end(JSON.stringify(spec));
    child.stderr.on('data', (d) => {
      stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
    });
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let msg;
      try { msg = JSON.parse(line); } catch { return; }
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'progress' && onProgress) {
        pending.push(Promise.resolve().then(() => onProgress(msg)).catch(() => {}));
      } else if (msg.type === 'result') {
        result = msg;
      }
    });
    if (onSpawn && child.pid) onSpawn(child);
    let exited = null;
    let done = false;
    const finish = async () => {
      if (done) return;
      done = true;
      await Promise.all(pending);
      resolve({ code: exited.code, signal: exited.signal, result, stderr, spawnError, pid: child.pid, exitedAt: exited.at });
    };
    let linesClosed = false;
    lines.on('close', () => { linesClosed = true; if (exited) finish(); });
    child.on('close', (code, signal) => {
      exited = { code, signal, at: Number(process.hrtime.bigint()) / 1e9 };
      if (linesClosed) finish();
    });
    child.on('error', () => { if (!child.pid) { exited = { code: null, signal: null }; finish(); } });
  });
}
