// Play an output directory in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core) and report what happened: HLS with hls.js
// (playHls), DASH with dash.js (playDash), progressive MP4 (playProgressive).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E_DIR, withSharedLock } from './util.mjs';

const HLS_JS = path.join(E2E_DIR, 'node_modules', 'hls.js', 'dist', 'hls.min.js');
const DASH_JS = path.join(E2E_DIR, 'node_modules', 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js');
const SHAKA_JS = path.join(E2E_DIR, 'node_modules', 'shaka-player', 'dist', 'shaka-player.compiled.js');
const PAGE_DIR = path.join(E2E_DIR, 'player');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const MIME = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
};

/**
 * Serve `mediaDir` under /media/, hls.js at /hls.min.js, dash.js at
 * /dash.all.min.js, shaka-player at /shaka-player.compiled.js, the test
 * pages at /index.html, /dash.html and /shaka.html and their shared
 * /watch.js on 127.0.0.1 (random free port).  Resolves {url, close,
 * requests} where requests logs every {path, status}.
 */
export function serve(mediaDir) {
  const requests = [];
  const root = path.resolve(mediaDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      pathname = '/__bad__';
    }
    let file = null;
    if (pathname === '/' || pathname === '/index.html') file = path.join(PAGE_DIR, 'index.html');
    else if (pathname === '/hls.min.js') file = HLS_JS;
    else if (pathname === '/dash.html') file = path.join(PAGE_DIR, 'dash.html');
    else if (pathname === '/dash.all.min.js') file = DASH_JS;
    else if (pathname === '/shaka.html') file = path.join(PAGE_DIR, 'shaka.html');
    else if (pathname === '/shaka-player.compiled.js') file = SHAKA_JS;
    else if (pathname === '/watch.js') file = path.join(PAGE_DIR, 'watch.js');
    else if (pathname === '/favicon.ico') file = null;
    else if (pathname.startsWith('/media/')) {
      const f = path.resolve(root, `.${pathname.slice('/media'.length)}`);
      if (f === root || f.startsWith(root + path.sep)) file = f;
    }
    const send = (status, body, type) => {
      requests.push({ path: pathname, status, bytes: body ? body.length : 0 });
      res.writeHead(status, {
        'Content-Type': type || 'text/plain', 'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': '*', 'Content-Length': body ? body.length : 0,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!file) { send(404, Buffer.from('not found')); return; }
    fs.readFile(file, (err, data) => {
      if (err) { send(404, Buffer.from('not found')); return; }
      send(200, data, MIME[path.extname(file).toLowerCase()] || 'application/octet-stream');
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`, requests,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required'];

async function launch() {
  if (!fs.existsSync(HLS_JS)) {
    throw new Error(`hls.js not installed at ${HLS_JS}: run npm ci --prefix tests/e2e`);
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (npm ci --prefix tests/e2e): ${e.message}`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Play DIR/master.m3u8 with hls.js.
 * options:
 *   expectLevels: [{width, height}]  levels hls.js must list (any order)
 *   master: playlist path relative to dir (default 'master.m3u8')
 *   startSeconds: currentTime that counts as "playback started" (1.0)
 *   advanceSeconds: playback needed at a forced level after its size shows (0.75)
 *   forceLevels: force each level in turn (true)
 *   startTimeoutMs / levelTimeoutMs: 30000 / 30000
 * Result: {started, startSnapshot, levels, levelsMatchExpected, perLevel:[{index,
 *   width, height, switched, fragsLoaded, fragsBuffered, sawSize, advanced,
 *   ok, snapshot}], audioTracks, audioFragsLoaded, errors, fatalErrors,
 *   videoErrors, finalSnapshot, pageErrors, consoleErrors, httpErrors, events,
 *   requests}.
 */
export async function playHls(dir, options = {}) {
  return withSharedLock(() => playHlsUnlocked(dir, options));
}

async function playHlsUnlocked(dir, {
  expectLevels = null, master = 'master.m3u8', startSeconds = 1.0, advanceSeconds = 0.75,
  forceLevels = true, startTimeoutMs = 30_000, levelTimeoutMs = 30_000, hlsConfig = {},
} = {}) {
  const server = await serve(dir);
  const browser = await launch();
  const result = {
    started: false, startSnapshot: null, levels: null, levelsMatchExpected: null, perLevel: [],
    audioTracks: null, audioFragsLoaded: 0, errors: [], fatalErrors: [], videoErrors: [],
    finalSnapshot: null, pageErrors: [], consoleErrors: [], httpErrors: [], events: [], requests: server.requests,
    setupError: null,
  };
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e && e.message ? e.message : e)));
    page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
    await page.goto(`${server.url}/index.html`, { waitUntil: 'load' });
    await page.evaluate(([src, cfg]) => window.startPlayer(src, cfg), [`/media/${master}`, hlsConfig]);

    const snap = () => page.evaluate(() => window.snapshot());
    const events = (from = 0) => page.evaluate((m) => window.T.events.slice(m), from);

    // 1. Playback starts.
    const t0 = Date.now();
    while (Date.now() - t0 < startTimeoutMs) {
      const s = await snap();
      const fatal = await page.evaluate(() => window.T.errors.some((e) => e.fatal));
      if (s.currentTime >= startSeconds) { result.started = true; result.startSnapshot = s; break; }
      if (fatal || s.error) { result.startSnapshot = s; break; }
      await sleep(100);
    }
    result.startMs = Date.now() - t0;
    result.levels = await page.evaluate(() => window.T.levels);
    if (expectLevels && result.levels) {
      const key = (l) => `${l.width}x${l.height}`;
      const got = result.levels.map(key).sort();
      const want = expectLevels.map(key).sort();
      result.levelsMatchExpected = JSON.stringify(got) === JSON.stringify(want);
    }

    // 2. Force each level: switch, rewind, and watch it play at that size.
    if (forceLevels && result.started && result.levels) {
      // Highest level first: playback starts on level 0 (startLevel: 0), so
      // every forced level is a real switch (level 0 comes last).
      const order = result.levels.map((_l, i) => i).reverse();
      for (const i of order) {
        const lvl = result.levels[i];
        const mark = await page.evaluate(() => window.T.events.length);
        await page.evaluate((idx) => {
          const v = document.getElementById('v');
          window.T.hls.currentLevel = idx;
          v.currentTime = 0;
          v.play().catch(() => {});
        }, i);
        const entry = {
          index: i, width: lvl.width, height: lvl.height, switched: false, fragsLoaded: 0,
          fragsBuffered: 0, sawSize: false, advanced: 0, ok: false, snapshot: null,
        };
        const ts = Date.now();
        let ctAtSize = null;
        while (Date.now() - ts < levelTimeoutMs) {
          const s = await snap();
          const ev = await events(mark);
          // Switched: a LEVEL_SWITCHED to i after forcing it, or (single
          // level) i was already the level playing.
          const all = await events(0);
          const lastSwitch = all.filter((e) => e.type === 'LEVEL_SWITCHED').pop();
          entry.switched = ev.some((e) => e.type === 'LEVEL_SWITCHED' && e.level === i)
            || (lastSwitch !== undefined && lastSwitch.level === i && s.currentLevel === i);
          entry.fragsLoaded = ev.filter((e) => e.type === 'FRAG_LOADED' && e.fragType === 'main' && e.level === i).length;
          entry.fragsBuffered = ev.filter((e) => e.type === 'FRAG_BUFFERED' && e.fragType === 'main' && e.level === i).length;
          const sizeOk = s.videoWidth === lvl.width && s.videoHeight === lvl.height;
          entry.snapshot = s;
          if (entry.switched && entry.fragsBuffered > 0 && sizeOk) {
            entry.sawSize = true;
            if (ctAtSize === null) ctAtSize = s.currentTime;
            entry.advanced = s.currentTime - ctAtSize;
            if (entry.advanced >= advanceSeconds) { entry.ok = true; break; }
          }
          if (s.error || (await page.evaluate(() => window.T.errors.some((e) => e.fatal)))) break;
          if (s.ended) {
            // Ran out of content before we saw enough: rewind and keep going.
            await page.evaluate(() => { const v = document.getElementById('v'); v.currentTime = 0; v.play().catch(() => {}); });
            ctAtSize = null;
          }
          await sleep(100);
        }
        entry.ms = Date.now() - ts;
        result.perLevel.push(entry);
      }
      result.perLevel.sort((a, b) => a.index - b.index);
    }

    const T = await page.evaluate(() => ({
      errors: window.T.errors, videoErrors: window.T.videoErrors, audioTracks: window.T.audioTracks, events: window.T.events,
    }));
    result.errors = T.errors;
    result.fatalErrors = T.errors.filter((e) => e.fatal);
    result.videoErrors = T.videoErrors;
    result.audioTracks = T.audioTracks;
    result.events = T.events;
    result.audioFragsLoaded = T.events.filter((e) => e.type === 'FRAG_LOADED' && e.fragType === 'audio').length;
    result.finalSnapshot = await snap();
  } catch (e) {
    result.setupError = e && e.stack ? e.stack : String(e);
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
  result.httpErrors = result.requests.filter((r) => r.status >= 400 && r.path !== '/favicon.ico');
  return result;
}

/** Short human summary of a playHls result, for assertion messages. */
export function describePlayback(r) {
  const lines = [];
  if (r.setupError) lines.push(`setup error: ${r.setupError}`);
  lines.push(`started=${r.started} startSnapshot=${JSON.stringify(r.startSnapshot)}`);
  lines.push(`levels=${JSON.stringify((r.levels || []).map((l) => `${l.width}x${l.height}@${l.bitrate}`))}`);
  for (const p of r.perLevel) {
    lines.push(`level ${p.index} ${p.width}x${p.height}: ok=${p.ok} switched=${p.switched} loaded=${p.fragsLoaded} ` +
      `buffered=${p.fragsBuffered} sawSize=${p.sawSize} advanced=${p.advanced.toFixed(2)} video=${p.snapshot && `${p.snapshot.videoWidth}x${p.snapshot.videoHeight}@${p.snapshot.currentTime.toFixed(2)}`}`);
  }
  if (r.errors.length) lines.push(`hls errors: ${JSON.stringify(r.errors)}`);
  if (r.videoErrors.length) lines.push(`video errors: ${JSON.stringify(r.videoErrors)}`);
  if (r.pageErrors.length) lines.push(`page errors: ${JSON.stringify(r.pageErrors)}`);
  if (r.httpErrors.length) lines.push(`http errors: ${JSON.stringify(r.httpErrors)}`);
  return lines.join('\n');
}

/**
 * hls.js error details that come from a slow machine or from the harness,
 * not from the content: stall notices, and a fragment load aborted because
 * the harness forced another level while it was in flight (non-fatal
 * networkError "aborted"; a missing file still fails the httpErrors check).
 */
export const TIMING_ERRORS = new Set(['bufferStalledError', 'bufferNudgeOnStall', 'aborted']);

/**
 * Standard assertions on a playHls result (used by several test files).
 * `assert` is node:assert/strict.
 */
export function assertPlayedEverything(assert, r, { expectLevels = null, expectAudio = false } = {}) {
  const info = `\n${describePlayback(r)}`;
  assert.equal(r.setupError, null, `player harness failed to run${info}`);
  assert.ok(r.started, `hls.js playback did not start (currentTime never passed 1 s)${info}`);
  assert.deepEqual(r.fatalErrors, [], `hls.js raised fatal errors${info}`);
  // Non-fatal errors hls.js recovers from by skipping content (e.g. a
  // segment it cannot parse: fragParsingError) still mean broken output.
  // Only stall notices and harness-caused aborts (TIMING_ERRORS) are tolerated.
  const contentErrors = r.errors.filter((e) => !TIMING_ERRORS.has(e.details));
  assert.deepEqual(contentErrors, [], `hls.js reported (non-fatal) errors about the content${info}`);
  assert.deepEqual(r.videoErrors, [], `the <video> element reported an error${info}`);
  assert.equal(r.finalSnapshot && r.finalSnapshot.error, null, `video.error is set at the end${info}`);
  assert.deepEqual(r.httpErrors, [], `the player requested files that do not exist${info}`);
  assert.deepEqual(r.pageErrors, [], `uncaught exceptions in the page${info}`);
  if (expectLevels) {
    assert.ok(r.levels, `hls.js never parsed the manifest${info}`);
    assert.ok(r.levelsMatchExpected,
      `hls.levels ${JSON.stringify(r.levels.map((l) => `${l.width}x${l.height}`))} != expected ` +
      `${JSON.stringify(expectLevels.map((l) => `${l.width}x${l.height}`))}${info}`);
  }
  assert.equal(r.perLevel.length, (r.levels || []).length, `not every level was forced${info}`);
  for (const p of r.perLevel) {
    assert.ok(p.switched, `level ${p.index} (${p.width}x${p.height}): no LEVEL_SWITCHED after forcing it${info}`);
    assert.ok(p.fragsBuffered > 0, `level ${p.index} (${p.width}x${p.height}): no fragment of that level was buffered${info}`);
    assert.ok(p.sawSize, `level ${p.index}: video never showed ${p.width}x${p.height}${info}`);
    assert.ok(p.ok, `level ${p.index} (${p.width}x${p.height}): playback did not advance ${p.advanced.toFixed(2)} s at that level${info}`);
  }
  if (expectAudio) {
    assert.ok(r.audioFragsLoaded > 0, `no audio fragments were loaded although the master has an audio rendition${info}`);
  }
}

/**
 * Play one progressive file (DIR/file, e.g. 'mp4/720p.mp4') in a plain
 * <video> element, as a browser does with a download link: no MSE, no
 * player library. Muted at 4x speed to the end. Result: {ended, currentTime,
 * duration, videoWidth, videoHeight, error, pageErrors}.
 */
export async function playProgressive(dir, file, { timeoutMs = 60_000 } = {}) {
  return withSharedLock(async () => {
    const server = await serve(dir);
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const pageErrors = [];
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      await page.goto(`${server.url}/index.html`, { waitUntil: 'load' });
      const result = await page.evaluate(([src, ms]) => new Promise((resolve) => {
        const v = document.createElement('video');
        v.muted = true;
        v.preload = 'auto';
        document.body.appendChild(v);
        const done = (why) => resolve({
          why, ended: v.ended, currentTime: v.currentTime, duration: v.duration,
          videoWidth: v.videoWidth, videoHeight: v.videoHeight,
          error: v.error ? `${v.error.code} ${v.error.message}` : null,
        });
        const timer = setTimeout(() => done('timeout'), ms);
        v.addEventListener('error', () => { clearTimeout(timer); done('error'); });
        v.addEventListener('ended', () => { clearTimeout(timer); done('ended'); });
        v.addEventListener('loadedmetadata', () => {
          v.playbackRate = 4;
          v.play().catch((e) => { clearTimeout(timer); resolve({ why: 'play() rejected', error: String(e) }); });
        });
        v.src = src;
      }), [`/media/${file}`, timeoutMs]);
      result.pageErrors = pageErrors;
      return result;
    } finally {
      await browser.close();
      await server.close();
    }
  });
}

/**
 * DASH players: force each of items ({id, width, height}) in turn with
 * force(item) and watch the video play at its size for 0.75 s (isItem(s,
 * item) adds a player-specific check on the snapshot). Returns [{id,
 * width, height, sawSize, advanced, ok, snapshot}].
 */
async function forceInTurn(items, force, snap, failed, isItem) {
  const forced = [];
  for (const item of items) {
    const entry = { id: item.id, width: item.width, height: item.height, sawSize: false, advanced: 0, ok: false };
    await force(item);
    const ts = Date.now();
    let atSize = null;
    while (Date.now() - ts < 30_000) {
      const s = await snap();
      entry.snapshot = s;
      if (isItem(s, item) && s.videoWidth === item.width && s.videoHeight === item.height && !s.ended) {
        entry.sawSize = true;
        if (atSize === null) atSize = s.currentTime;
        entry.advanced = s.currentTime - atSize;
        if (entry.advanced >= 0.75) { entry.ok = true; break; }
      }
      if (await failed()) break;
      await sleep(100);
    }
    forced.push(entry);
  }
  return forced;
}

/**
 * What playDash() and playShaka() share: Chromium on player/<pageName>
 * with its player script checked present, manifest.mpd started, errors of
 * the page, the player and the element collected into result (which also
 * gets setupError and httpErrors), then body(page) while it is open.
 */
async function runDashPage(outDir, script, pageName, result, body) {
  for (const f of [script, CHROMIUM]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing (npm ci --prefix tests/e2e; apt-get install chromium)`);
  }
  const { chromium } = await import('playwright-core');
  const server = await serve(outDir);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  Object.assign(result, { errors: [], videoErrors: [], pageErrors: [], consoleErrors: [], httpErrors: [], events: [],
    setupError: null });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e && e.message ? e.message : e)));
    page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
    await page.goto(`${server.url}/${pageName}`, { waitUntil: 'load' });
    await page.evaluate((src) => window.startPlayer(src), '/media/manifest.mpd');
    await body(page);
    const T = await page.evaluate(() => ({ errors: window.T.errors, videoErrors: window.T.videoErrors, events: window.T.events }));
    Object.assign(result, T);
  } catch (e) {
    result.setupError = e && e.stack ? e.stack : String(e);
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
  result.httpErrors = server.requests.filter((r) => r.status >= 400 && r.path !== '/favicon.ico');
  return result;
}

// ------------------------------------------------------------ DASH (dash.js)

/**
 * Play OUTDIR/manifest.mpd with dash.js from the start to the end, then
 * (forceEach) force every video Representation in turn from time 0 and
 * watch it play at its size. Result: {ended, endSnapshot, representations,
 * audioRepresentations, forced:[{id, width, height, sawSize, advanced, ok}],
 * errors, videoErrors, pageErrors, httpErrors, events, setupError}.
 * The page is player/dash.html; dash.js comes from node_modules.
 */
export function playDash(outDir, { forceEach = false, timeoutMs = 60_000 } = {}) {
  const result = { ended: false, endSnapshot: null, representations: null, audioRepresentations: null, forced: [] };
  return withSharedLock(() => runDashPage(outDir, DASH_JS, 'dash.html', result, async (page) => {
    const snap = () => page.evaluate(() => window.snapshot());
    const failed = () => page.evaluate(() => window.T.errors.length > 0 || window.T.videoErrors.length > 0);

    // 1. From the start to the end, as a viewer would.
    const t0 = Date.now();
    // Under load dash.js sometimes leaves the element paused on the last
    // frame with everything buffered and no 'ended' event (MSE
    // endOfStream raced). Three seconds there, with no error, is the end
    // of the presentation too; result.endedBy says which it was.
    let atEndSince = null;
    while (Date.now() - t0 < timeoutMs) {
      const s = await snap();
      const endedEvent = await page.evaluate(() => window.T.events.some((e) => e.type === 'ENDED'));
      if (s.ended || endedEvent) { result.ended = true; result.endedBy = 'ended'; result.endSnapshot = s; break; }
      const lastBuffered = s.buffered && s.buffered.length ? s.buffered[s.buffered.length - 1][1] : 0;
      const atEnd = s.paused && s.duration > 0 && Math.abs(s.currentTime - s.duration) < 0.05 &&
        lastBuffered >= s.duration - 0.05;
      atEndSince = atEnd ? (atEndSince ?? Date.now()) : null;
      if (atEnd && Date.now() - atEndSince > 3000) {
        result.ended = true;
        result.endedBy = 'paused at the end, all buffered';
        result.endSnapshot = s;
        break;
      }
      if (await failed()) { result.endSnapshot = s; break; }
      await sleep(100);
    }
    if (!result.endSnapshot) result.endSnapshot = await snap();
    result.playMs = Date.now() - t0;
    ({ video: result.representations, audio: result.audioRepresentations } = await page.evaluate(
      () => ({ video: window.T.representations, audio: window.T.audioRepresentations })));

    // 2. Every Representation, forced, highest first.
    if (forceEach && result.ended && result.representations) {
      const order = [...result.representations].sort((a, b) => b.bandwidth - a.bandwidth);
      result.forced = await forceInTurn(order, (r) => page.evaluate((id) => window.forceRepresentation(id), r.id),
        snap, failed, (s, r) => s.representation === r.id);
    }
  }));
}

/** A readable account of a playDash() result for assertion messages. */
export function describeDashPlayback(r) {
  const lines = [];
  if (r.setupError) lines.push(`setup error: ${r.setupError}`);
  lines.push(`ended=${r.ended} (${r.endedBy ?? '-'}) after ${r.playMs} ms, end snapshot=${JSON.stringify(r.endSnapshot)}`);
  lines.push(`representations=${JSON.stringify(r.representations)}`);
  for (const f of r.forced) lines.push(`forced ${f.id}: ${JSON.stringify({ ...f, snapshot: undefined })} last=${JSON.stringify(f.snapshot)}`);
  if (r.errors.length) lines.push(`dash.js errors: ${JSON.stringify(r.errors)}`);
  if (r.videoErrors.length) lines.push(`video errors: ${JSON.stringify(r.videoErrors)}`);
  if (r.pageErrors.length) lines.push(`page errors: ${JSON.stringify(r.pageErrors)}`);
  if (r.httpErrors.length) lines.push(`http errors: ${JSON.stringify(r.httpErrors)}`);
  const frags = r.events.filter((e) => e.type === 'FRAGMENT_LOADED').map((e) => `${e.mediaType}:${e.id}#${e.index}`);
  lines.push(`fragments loaded: ${frags.join(' ')}`);
  return lines.join('\n');
}

// ------------------------------------------------------------ DASH (shaka-player)

/**
 * Play OUTDIR/manifest.mpd with shaka-player from the start to the end,
 * then (forceEach) every variant track in turn from time 0 at its size.
 * Result: {ended, endSnapshot, tracks, audioLanguages, forced:[{id, width,
 * height, sawSize, advanced, ok}], errors, videoErrors, pageErrors,
 * httpErrors, events, setupError}. The page is player/shaka.html.
 */
export function playShaka(outDir, { forceEach = false, timeoutMs = 60_000 } = {}) {
  const result = { ended: false, endSnapshot: null, tracks: null, audioLanguages: null, forced: [] };
  return withSharedLock(() => runDashPage(outDir, SHAKA_JS, 'shaka.html', result, async (page) => {
    const snap = () => page.evaluate(() => window.snapshot());
    const failed = () => page.evaluate(() => window.T.errors.some((e) => e.severity !== 1) || window.T.videoErrors.length > 0);
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const s = await snap();
      if (s.ended) { result.ended = true; result.endSnapshot = s; break; }
      if (await failed()) { result.endSnapshot = s; break; }
      await sleep(100);
    }
    if (!result.endSnapshot) result.endSnapshot = await snap();
    result.playMs = Date.now() - t0;
    ({ tracks: result.tracks, audioLanguages: result.audioLanguages } = await page.evaluate(
      () => ({ tracks: window.T.tracks, audioLanguages: window.T.audioLanguages })));
    if (forceEach && result.ended && result.tracks) {
      // One track per size: shaka lists a variant per (video, audio) pair.
      const seen = new Set();
      const order = [...result.tracks].sort((a, b) => b.bandwidth - a.bandwidth)
        .filter((t) => { const k = `${t.width}x${t.height}`; if (seen.has(k)) return false; seen.add(k); return true; });
      result.forced = await forceInTurn(order, (t) => page.evaluate((id) => window.forceTrack(id), t.id), snap, failed,
        () => true);
    }
  }));
}

/** A readable account of a playShaka() result for assertion messages. */
export function describeShakaPlayback(r) {
  const lines = [];
  if (r.setupError) lines.push(`setup error: ${r.setupError}`);
  lines.push(`ended=${r.ended} after ${r.playMs} ms, end snapshot=${JSON.stringify(r.endSnapshot)}`);
  lines.push(`tracks=${JSON.stringify(r.tracks)}`);
  for (const f of r.forced) lines.push(`forced ${f.id}: ${JSON.stringify({ ...f, snapshot: undefined })} last=${JSON.stringify(f.snapshot)}`);
  if (r.errors.length) lines.push(`shaka errors: ${JSON.stringify(r.errors)}`);
  if (r.videoErrors.length) lines.push(`video errors: ${JSON.stringify(r.videoErrors)}`);
  if (r.pageErrors.length) lines.push(`page errors: ${JSON.stringify(r.pageErrors)}`);
  if (r.httpErrors.length) lines.push(`http errors: ${JSON.stringify(r.httpErrors)}`);
  return lines.join('\n');
}

/** Played to the end with no error, and (forceEach) every size shown. */
export function assertShakaPlayedEverything(assert, r, { expectSizes = null } = {}) {
  const info = `\n${describeShakaPlayback(r)}`;
  assert.equal(r.setupError, null, `player harness failed to run${info}`);
  assert.deepEqual(r.errors, [], `shaka-player reported errors${info}`);
  assert.deepEqual(r.videoErrors, [], `the video element reported errors${info}`);
  assert.deepEqual(r.httpErrors, [], `requests failed${info}`);
  assert.ok(r.ended, `playback did not reach the end${info}`);
  if (expectSizes) {
    const sizes = [...new Set(r.tracks.map((t) => `${t.width}x${t.height}`))].sort();
    assert.deepEqual(sizes, expectSizes.map((s) => `${s.width}x${s.height}`).sort(), `variant sizes${info}`);
    for (const f of r.forced) assert.ok(f.ok, `track ${f.width}x${f.height} did not play at its size${info}`);
  }
}
