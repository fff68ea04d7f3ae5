// samples/serve.sh's preview page (samples/preview/): a clip encoded here is
// served by serve.sh itself on a free port and opened in headless Chromium
// (Debian's chromium through playwright-core, as player.test.mjs does). For
// HLS (hls.js) and DASH (dash.js) alike: playback passes 2 s, the level menu
// lists every rung with its size and bitrate, and choosing a level in the
// menu switches the picture to that level's size (the video's videoHeight)
// while playback goes on, down and then up again. The page loads nothing
// from anywhere but serve.sh.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/player.mjs';
import { E2E_DIR, makeTempDir, withSharedLock } from './lib/util.mjs';

const SERVE = path.resolve(E2E_DIR, '..', '..', 'samples', 'serve.sh');
const RUNGS = [
  { spec: '640x360:900k', width: 640, height: 360 },
  { spec: '480x270:500k', width: 480, height: 270 },
  { spec: '320x180:250k', width: 320, height: 180 },
];
const TIMEOUT_MS = 30_000;

/** `sh samples/serve.sh DIR 0`: resolves {url, stop} once it prints where it listens. */
function startServe(dir) {
  const child = spawn('sh', [SERVE, dir, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`serve.sh did not start: ${out}${err}`)); }, TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[1], stop }); }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.sh exited ${code}: ${out}${err}`)); });
  });
}

async function launch() {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** What the page shows now. */
function state(page) {
  return page.evaluate(() => {
    const v = document.getElementById('video');
    return {
      time: v.currentTime, width: v.videoWidth, height: v.videoHeight, paused: v.paused,
      levels: window.preview.levels, playing: window.preview.playing, errors: window.preview.errors,
      menu: [...document.getElementById('level').options].map((o) => [o.value, o.textContent]),
      current: document.getElementById('current').textContent,
    };
  });
}

/** Poll state(page) until ok(s) holds; fails with the last state. */
async function waitFor(page, what, ok, timeoutMs = TIMEOUT_MS) {
  const t0 = Date.now();
  let s;
  for (;;) {
    s = await state(page);
    if (ok(s)) return s;
    if (s.errors.length) assert.fail(`${what}: the page reports ${JSON.stringify(s.errors)}`);
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Choose level `index` in the menu; it must play at its size while time goes on. */
async function choose(page, index, s0) {
  const level = s0.levels[index];
  await page.selectOption('#level', String(index));
  const from = (await state(page)).time;
  const s = await waitFor(page, `level ${index} (${level.width}x${level.height})`,
    (x) => x.height === level.height && x.width === level.width && x.time > from + 0.5);
  assert.equal(s.playing, index, 'the page says which level plays');
  assert.match(s.current, new RegExp(`^${level.width}x${level.height}, \\d+ kb/s$`));
  return s;
}

async function play(url, format) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const foreign = [];
    const pageErrors = [];
    // Over the network, only serve.sh (blob: URLs are the players' own media sources).
    page.on('request', (r) => {
      if (!r.url().startsWith(`${url}/`) && !/^(blob|data):/.test(r.url())) foreign.push(r.url());
    });
    page.on('pageerror', (e) => pageErrors.push(String(e && e.message ? e.message : e)));
    await page.goto(`${url}/?format=${format}`, { waitUntil: 'load' });
    const started = await waitFor(page, `${format}: playback past 2 s`,
      (x) => x.levels.length === RUNGS.length && x.time > 2 && x.height > 0);
    // Every rung in the menu, with its size and bitrate; "auto" first.
    assert.equal(started.menu[0][0], '-1');
    const sizes = started.levels.map((l) => `${l.width}x${l.height}`).sort();
    assert.deepEqual(sizes, RUNGS.map((r) => `${r.width}x${r.height}`).sort());
    for (const [i, l] of started.levels.entries()) {
      assert.equal(started.menu[i + 1][0], String(i));
      assert.match(started.menu[i + 1][1], new RegExp(`^${l.width}x${l.height}, \\d+ kb/s$`));
      assert.ok(l.bitrate > 0);
    }
    // Down to the smallest level other than the one playing, then up to the largest.
    const byHeight = (a, b) => started.levels[a].height - started.levels[b].height;
    const order = started.levels.map((_, i) => i).sort(byHeight);
    const low = order.find((i) => started.levels[i].height !== started.height);
    const afterLow = await choose(page, low, started);
    const high = order[order.length - 1];
    assert.notEqual(started.levels[high].height, afterLow.height);
    await choose(page, high, started);
    assert.deepEqual(foreign, [], 'requests outside serve.sh');
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
  }
}

describe('samples/serve.sh preview page: HLS and DASH with a level menu', () => {
  let run;
  let out;
  let server;
  before(async () => {
    ladderBin();
    const src = await cfrClip('25', { width: 640, height: 360, duration: 16 });
    out = path.join(makeTempDir('ladder-e2e-preview-'), 'out');
    run = await encode(src.path, out, [...RUNGS.flatMap((r) => ['--rung', r.spec]), '--preset', 'ultrafast',
      '--progress', 'none']);
    if (run.code === 0) server = await startServe(out);
  });
  after(async () => { if (server) await server.stop(); });

  it('encodes, and serve.sh serves the page, the players and the output', async () => {
    assert.equal(run.code, 0, describeRun(run));
    for (const [p, type] of [['/', /text\/html/], ['/preview.js', /javascript/], ['/vendor/hls.min.js', /javascript/],
      ['/vendor/dash.all.min.js', /javascript/], ['/master.m3u8', /mpegurl/], ['/manifest.mpd', /dash\+xml/]]) {
      const r = await fetch(`${server.url}${p}`);
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-type'), type, p);
      await r.arrayBuffer();
    }
    for (const p of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/nope.m3u8']) {
      const r = await fetch(`${server.url}${p}`);
      assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
      await r.arrayBuffer();
    }
  });

  for (const format of ['hls', 'dash']) {
    it(`${format}: plays past 2 s, lists every rung, and the menu switches the level`, async () => {
      assert.equal(run.code, 0, 'encode failed (see above)');
      await withSharedLock(() => play(server.url, format));
    });
  }
});
