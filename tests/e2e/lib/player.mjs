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
 * What playDash(), playShaka() and playShakaSwitching() share: Chromium on
 * player/<pageName> with its player script checked present, manifest.mpd
 * started (startPlayer(src, startOptions)), errors of the page, the player
 * and the element collected into result (which also gets setupError and
 * httpErrors), then body(page) while it is open.
 */
async function runDashPage(outDir, script, pageName, result, body, startOptions = undefined) {
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
    await page.evaluate(([src, o]) => window.startPlayer(src, o), ['/media/manifest.mpd', startOptions]);
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

// ------------------------------------------------------------ level switching during playback

/*
 * playHlsSwitching() and playShakaSwitching() play an output from the start
 * to the end the way a viewer's ABR moves through it: every `every`
 * segments the player switches to the next level of a fixed cycle,
 * seamlessly (no buffer flush behind the playhead, no seek), so each level
 * starts at a segment boundary in the middle of playback and plays for
 * several segments. A rung whose timing or decoder configuration does not
 * line up with the others at a boundary then shows up as a stall, a decode
 * error, a hole in the buffered ranges, a jump of currentTime or a picture
 * of the wrong size. Both return the same result shape (see
 * analyseSwitching) and assertSwitchedPlayback() judges either.
 */

/** hls.js error details that are stalls, not content errors. */
const HLS_STALL_ERRORS = new Set(['bufferStalledError', 'bufferNudgeOnStall', 'bufferSeekOverHole']);

/**
 * Holes in one video.buffered list: gaps between ranges, and before the
 * first range unless that is all behind the playhead (hls.js's nextLevel
 * switch drops the back buffer on purpose).
 */
function holesIn(ranges, currentTime, { startTolerance = 0.1, minGap = 0.001 } = {}) {
  const holes = [];
  if (ranges.length && ranges[0][0] > startTolerance && ranges[0][0] > currentTime) {
    holes.push({ start: 0, end: ranges[0][0] });
  }
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] - ranges[i - 1][1] > minGap) holes.push({ start: ranges[i - 1][1], end: ranges[i][0] });
  }
  return holes;
}

/**
 * Turn what a switching page recorded into the result both players share.
 * levels: [{width, height, ...}] by level key; plays: [{level, sn, start,
 * end}] the fragments in the order they played (sn consecutive when
 * nothing was skipped); asked: [{from, to, sn, currentTime, t}] the
 * switches asked (sn: the last fragment of the old level -- hls.js 'abr',
 * shaka -- or the fragment playing -- hls.js 'nextLevel'); watch:
 * watch.js's record; stallErrors: player events that are stalls.
 * Fills result.{stints, switches, resizes, unexpectedResizes, snSkips,
 * stalls, jumps, bufferHoles}.
 */
function analyseSwitching(result, { levels, plays, asked, watch, stallErrors = [] }) {
  const size = (l) => (l ? `${l.width}x${l.height}` : '?');
  // What played: runs of one level.
  const stints = [];
  for (const p of plays) {
    const last = stints[stints.length - 1];
    if (last && last.level === p.level) {
      last.lastSn = p.sn;
      last.end = p.end;
      last.segments++;
    } else {
      stints.push({ level: p.level, size: size(levels[p.level]), firstSn: p.sn, lastSn: p.sn, start: p.start, end: p.end, segments: 1 });
    }
  }
  const snSkips = [];
  for (let i = 1; i < plays.length; i++) {
    if (plays[i].sn !== plays[i - 1].sn + 1) snSkips.push({ after: plays[i - 1].sn, next: plays[i].sn, at: plays[i].start });
  }
  // The level playing at media time x (null: none known).
  const stintAt = (x) => stints.find((s) => x >= s.start - 1e-3 && x < s.end + 1e-3) || null;
  const resizes = watch.resizes.map((r) => ({ ...r, size: `${r.width}x${r.height}` }));
  // A resize must show the size of the level playing there, or of its
  // neighbour within 0.5 s of their boundary (the element reports the new
  // size a frame or a few either side of the boundary).
  const unexpectedResizes = resizes.filter((r) => {
    const near = stints.filter((s) => r.currentTime >= s.start - 0.5 && r.currentTime < s.end + 0.5);
    return !near.some((s) => s.size === r.size);
  });
  // Each switch's new level starts at its first fragment played after the
  // previous switch's start (hls.js may replace the fragment of the old
  // level that was buffering when the switch was asked).
  let cursor = 0;
  const switches = asked.map((a) => {
    const at = plays.findIndex((p, i) => i >= cursor && p.level === a.to && p.sn >= a.sn);
    const first = at >= 0 ? plays[at] : null;
    if (at >= 0) cursor = at;
    const want = levels[a.to];
    const sw = {
      from: a.from, to: a.to, fromSize: size(levels[a.from]), toSize: size(want),
      askedAt: a.currentTime, askedSn: a.sn, startSn: first ? first.sn : null, startTime: first ? first.start : null,
      sizeChangeExpected: size(levels[a.from]) !== size(want),
      sizeChangedAt: null, sizeChangedWallMs: null, decodedSize: null, sizeMatches: false, sizeLag: null,
    };
    if (first) {
      const before = resizes.filter((r) => r.currentTime < first.start - 0.5).pop();
      const r = resizes.find((x) => x.currentTime >= first.start - 0.5 && x.currentTime <= first.start + 1.0);
      if (r) {
        sw.sizeChangedAt = r.currentTime;
        sw.sizeChangedWallMs = Math.round(r.t - a.t);
        sw.decodedSize = r.size;
        sw.sizeLag = r.currentTime - first.start;
        sw.sizeMatches = r.size === sw.toSize;
      } else if (!sw.sizeChangeExpected && before) {
        // Same size on both levels: no resize; the size shown stays right.
        sw.decodedSize = before.size;
        sw.sizeMatches = before.size === sw.toSize;
      }
    }
    return sw;
  });
  const stalls = [
    ...watch.waiting.map((w) => ({ kind: 'waiting', currentTime: w.currentTime, buffered: w.buffered })),
    ...watch.frozen.map((f) => ({ kind: 'frozen', currentTime: f.currentTime, ms: f.ms })),
    ...stallErrors,
  ];
  const seen = new Set();
  const bufferHoles = [];
  // A hole ahead of the playhead that a later snapshot shows filled was a
  // moment of the player's loading order (hls.js aborts a fetch on a
  // smooth switch and may append the next fragment first): not a gap in
  // the content. One never filled is; a stall or jump is judged apart.
  const covered = (ranges, h) => ranges.some(([a, b]) => a <= h.start + 0.001 && b >= h.end - 0.001);
  const filledLater = (i, h) => h.start > watch.buffered[i].currentTime &&
    watch.buffered.slice(i + 1).some((later) => covered(later.ranges, h));
  for (const [i, b] of watch.buffered.entries()) {
    for (const h of holesIn(b.ranges, b.currentTime)) {
      const key = `${h.start.toFixed(2)}-${h.end.toFixed(2)}`;
      if (seen.has(key) || filledLater(i, h)) continue;
      seen.add(key);
      const st = stintAt(h.start);
      bufferHoles.push({ ...h, seen: b.why, level: st ? st.level : null });
    }
  }
  Object.assign(result, {
    stints, switches, resizes, unexpectedResizes, snSkips, stalls, jumps: watch.jumps, bufferHoles,
    ended: watch.endedAt !== null,
  });
  return result;
}

/** Poll `page` until watch.js saw 'ended', `failed()` is true, playback stops moving for 15 s, or timeoutMs. */
async function waitForEnd(page, failed, timeoutMs) {
  const t0 = Date.now();
  let last = { ct: -1, at: Date.now() };
  let why = 'timeout';
  while (Date.now() - t0 < timeoutMs) {
    const s = await page.evaluate(() => ({
      ended: !!(window.T.watch && window.T.watch.endedAt !== null), ct: document.getElementById('v').currentTime,
    }));
    if (s.ended) { why = 'ended'; break; }
    if (await failed()) { why = 'player error'; break; }
    if (s.ct !== last.ct) last = { ct: s.ct, at: Date.now() };
    else if (Date.now() - last.at > 15_000) { why = `stuck at ${s.ct} s for 15 s`; break; }
    await sleep(100);
  }
  return { why, ms: Date.now() - t0 };
}

/**
 * Play DIR/master.m3u8 with hls.js from the start to the end, switching
 * levels during playback (player/index.html switchingConfig() and
 * startSwitching()). switchWith:
 *   'abr' (default): hls.js in automatic mode with its own ABR controller
 *     subclassed so that its choice follows a schedule: fragment k of the
 *     presentation comes from level order[floor(k / every) % order.length].
 *     hls.js asks the ABR controller before loading each fragment, loads
 *     the new level's playlist when needed and appends the fragment after
 *     the buffer: the switch lands exactly at that fragment boundary, with
 *     no flush and no abort, by the code path of a real ABR switch.
 *     (Setting hls.loadLevel from a FRAG_LOADED / FRAG_BUFFERED handler
 *     races hls.js's loader: the switch lands one fragment early or late.)
 *   'nextLevel': hls.js's manual "smooth switch": start on order[0]; when
 *     the playhead enters the every-th fragment of the level, hls.nextLevel
 *     = the next level. hls.js keeps the fragment it will be playing once
 *     the new level can be fetched, flushes the buffer after it (and the
 *     back buffer behind the playhead) and refills from the new level,
 *     appending over the flushed range; the new level starts one or two
 *     fragments after the ask (two when its playlist was not loaded yet).
 * options:
 *   every: fragments to play on each level before switching (3)
 *   order: level indices to cycle through (hls.js sorts levels by bitrate,
 *     0 = lowest); default every level in order, 0, 1, ..., n-1, 0, ...
 *   switchWith: 'abr' | 'nextLevel' (above)
 *   playbackRate: 2 (the element's rate; hls.js loads 2 s fragments from
 *     127.0.0.1 in milliseconds, so 2x never stalled here, also with both
 *     cores busy; it halves the wall time)
 *   maxJumpSeconds: a forward currentTime jump beyond wall clock x rate
 *     that counts as a skip (0.5)
 *   master: 'master.m3u8'; hlsConfig: extra hls.js config; timeoutMs: 90000
 * Result: {player: 'hls.js', switchWith, levels (hls.js's), order, every,
 *   playbackRate, ended, endedBy, playMs, endSnapshot, duration,
 *   stints: [{level, size, firstSn, lastSn, start, end, segments}] what
 *     played, in order (from hls.js FRAG_CHANGED),
 *   switches: [{from, to, fromSize, toSize, askedAt (currentTime when
 *     asked), askedSn (the last fragment of the old level asked for: 'abr';
 *     the fragment playing: 'nextLevel'), startSn / startTime (the first
 *     fragment of the new level that played), sizeChangeExpected,
 *     sizeChangedAt (currentTime of the element's resize to the new size),
 *     sizeChangedWallMs (ms after the ask), decodedSize, sizeMatches,
 *     sizeLag (sizeChangedAt - startTime)}],
 *   resizes, unexpectedResizes (resizes to a size not playing there),
 *   snSkips (fragments that did not play, or played twice), stalls
 *   ([{kind: 'waiting' | 'frozen' | 'bufferStalledError' | ...}]), jumps
 *   (currentTime backwards, or forward more than maxJumpSeconds),
 *   bufferHoles (gaps in video.buffered when each switch was asked, when
 *   each new level's first fragment was buffered, and at the end; a gap
 *   ahead of the playhead that a later snapshot shows filled is left out),
 *   errors (hls.js, all), contentErrors (not stalls or harness aborts),
 *   fatalErrors, videoErrors, pageErrors, consoleErrors, httpErrors,
 *   events, setupError}.
 */
export function playHlsSwitching(dir, options = {}) {
  return withSharedLock(() => playHlsSwitchingUnlocked(dir, options));
}

async function playHlsSwitchingUnlocked(dir, {
  every = 3, order = null, switchWith = 'abr', playbackRate = 2, maxJumpSeconds = 0.5, master = 'master.m3u8',
  hlsConfig = {}, timeoutMs = 90_000,
} = {}) {
  const server = await serve(dir);
  const result = {
    player: 'hls.js', switchWith, levels: null, order, every, playbackRate, ended: false, endedBy: null, playMs: null,
    endSnapshot: null, duration: null, stints: [], switches: [], resizes: [], unexpectedResizes: [], snSkips: [],
    stalls: [], jumps: [], bufferHoles: [], errors: [], contentErrors: [], fatalErrors: [], videoErrors: [],
    pageErrors: [], consoleErrors: [], httpErrors: [], events: [], setupError: null,
  };
  let browser = null;
  try {
    browser = await launch();
    const page = await browser.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e && e.message ? e.message : e)));
    page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
    await page.goto(`${server.url}/index.html`, { waitUntil: 'load' });
    const sw = { every, order, switchWith, playbackRate, watch: { maxJumpSeconds } };
    await page.evaluate(([src, c, o]) => {
      window.startPlayer(src, Object.assign(window.switchingConfig(o), c));
      window.startSwitching(o);
    }, [`/media/${master}`, hlsConfig, sw]);
    const failed = () => page.evaluate(() => window.T.errors.some((e) => e.fatal) || window.T.videoErrors.length > 0);
    const end = await waitForEnd(page, failed, timeoutMs);
    result.endedBy = end.why;
    result.playMs = end.ms;
    const T = await page.evaluate(() => ({
      levels: window.T.levels, errors: window.T.errors, videoErrors: window.T.videoErrors, events: window.T.events,
      switching: window.T.switching, watch: window.T.watch.finish(), snapshot: window.snapshot(),
    }));
    result.levels = T.levels;
    result.order = T.switching.order;
    result.errors = T.errors;
    result.fatalErrors = T.errors.filter((e) => e.fatal);
    result.contentErrors = T.errors.filter((e) => !TIMING_ERRORS.has(e.details) && !HLS_STALL_ERRORS.has(e.details));
    result.videoErrors = T.videoErrors;
    result.events = T.events;
    result.endSnapshot = T.snapshot;
    result.duration = T.snapshot.duration;
    const plays = T.events.filter((e) => e.type === 'FRAG_CHANGED')
      .map((e) => ({ level: e.level, sn: e.sn, start: e.start, end: e.start + e.duration }));
    analyseSwitching(result, {
      levels: T.levels || [], plays, asked: T.switching.asked, watch: T.watch,
      stallErrors: T.errors.filter((e) => HLS_STALL_ERRORS.has(e.details))
        .map((e) => ({ kind: e.details, reason: e.reason })),
    });
  } catch (e) {
    result.setupError = e && e.stack ? e.stack : String(e);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.close();
  }
  result.httpErrors = server.requests.filter((r) => r.status >= 400 && r.path !== '/favicon.ico');
  return result;
}

/** A readable account of a playHlsSwitching() / playShakaSwitching() result. */
export function describeSwitchedPlayback(r) {
  const f = (x) => (typeof x === 'number' ? x.toFixed(3) : String(x));
  const lines = [];
  if (r.setupError) lines.push(`setup error: ${r.setupError}`);
  lines.push(`${r.player}${r.switchWith ? ` (${r.switchWith})` : ''}: every ${r.every} segments, order ${JSON.stringify(r.order)}, rate ${r.playbackRate}; ` +
    `ended=${r.ended} (${r.endedBy}) after ${r.playMs} ms; duration ${f(r.duration)}; end ${JSON.stringify(r.endSnapshot)}`);
  lines.push(`levels: ${(r.levels || []).map((l, i) => `${i}=${l.width}x${l.height}@${l.bitrate ?? l.bandwidth}`).join(' ')}`);
  lines.push(`played: ${r.stints.map((s) => `L${s.level}(${s.size}) sn ${s.firstSn}-${s.lastSn} [${f(s.start)}, ${f(s.end)})`).join(' | ')}`);
  for (const s of r.switches) {
    lines.push(`switch ${s.from}->${s.to} (${s.fromSize}->${s.toSize}) asked at ${f(s.askedAt)} (sn ${s.askedSn}): ` +
      `started sn ${s.startSn} at ${f(s.startTime)}; size ${s.decodedSize} at ${f(s.sizeChangedAt)} ` +
      `(lag ${f(s.sizeLag)} s, ${s.sizeChangedWallMs} ms after asking) ${s.sizeMatches ? 'ok' : 'WRONG'}`);
  }
  lines.push(`resizes: ${r.resizes.map((x) => `${x.size}@${f(x.currentTime)}`).join(' ')}`);
  if (r.unexpectedResizes.length) lines.push(`unexpected resizes: ${JSON.stringify(r.unexpectedResizes)}`);
  if (r.snSkips.length) lines.push(`segments skipped or played twice: ${JSON.stringify(r.snSkips)}`);
  if (r.stalls.length) lines.push(`stalls: ${JSON.stringify(r.stalls)}`);
  if (r.jumps.length) lines.push(`currentTime jumps: ${JSON.stringify(r.jumps)}`);
  if (r.bufferHoles.length) lines.push(`buffer holes: ${JSON.stringify(r.bufferHoles)}`);
  if (r.errors.length) lines.push(`player errors: ${JSON.stringify(r.errors)}`);
  if (r.videoErrors.length) lines.push(`video errors: ${JSON.stringify(r.videoErrors)}`);
  if (r.pageErrors.length) lines.push(`page errors: ${JSON.stringify(r.pageErrors)}`);
  if (r.httpErrors.length) lines.push(`http errors: ${JSON.stringify(r.httpErrors)}`);
  return lines.join('\n');
}

/**
 * Judge a playHlsSwitching() / playShakaSwitching() result: it ran, no
 * player, element, page or HTTP error; it played to 'ended' at the
 * duration; at least minLevels levels (default: all) each played a run of
 * at least minSegmentsPerLevel segments (2), and no run but the last is
 * shorter; every switch took effect within two segments of being asked and
 * the picture took the new level's declared size within 0.5 s of its first
 * segment (and never a size not playing there); no segment skipped, no
 * stall, no currentTime jump, no hole in the buffered ranges.
 */
export function assertSwitchedPlayback(assert, r, { minLevels = null, minSegmentsPerLevel = 2 } = {}) {
  const info = `\n${describeSwitchedPlayback(r)}`;
  assert.equal(r.setupError, null, `player harness failed to run${info}`);
  assert.deepEqual(r.fatalErrors, [], `${r.player} raised fatal errors${info}`);
  assert.deepEqual(r.contentErrors, [], `${r.player} reported errors about the content${info}`);
  assert.deepEqual(r.videoErrors, [], `the <video> element reported an error${info}`);
  assert.deepEqual(r.httpErrors, [], `the player requested files that do not exist${info}`);
  assert.deepEqual(r.pageErrors, [], `uncaught exceptions in the page${info}`);
  assert.ok(r.ended, `playback did not reach 'ended' (${r.endedBy})${info}`);
  assert.ok(Math.abs(r.endSnapshot.currentTime - r.duration) < 0.25,
    `playback ended at ${r.endSnapshot.currentTime} s, the presentation lasts ${r.duration} s${info}`);
  const want = minLevels ?? (r.levels || []).length;
  const held = new Set(r.stints.filter((s) => s.segments >= minSegmentsPerLevel).map((s) => s.level));
  assert.ok(held.size >= want,
    `only ${held.size} level(s) played ${minSegmentsPerLevel}+ segments in a row, want ${want}${info}`);
  // The first stint is the player's start-up (hls.js loads its first
  // fragment before its ABR controller is asked), the last one the end.
  r.stints.slice(1, -1).forEach((s) => assert.ok(s.segments >= minSegmentsPerLevel,
    `level ${s.level} (${s.size}) played only ${s.segments} segment(s) (sn ${s.firstSn}-${s.lastSn}) before the next switch${info}`));
  assert.ok(r.switches.length >= want - 1, `only ${r.switches.length} switch(es) asked${info}`);
  // A switch asked with the last segment already loaded has nothing left
  // to play on (shaka asks after every 'every'-th append, the last included).
  const lastSn = Math.max(-1, ...r.stints.map((s) => s.lastSn));
  for (const s of r.switches) {
    const what = `switch ${s.from}->${s.to} asked at ${s.askedAt.toFixed(3)} s (sn ${s.askedSn})`;
    if (s.startSn === null && s.askedSn >= lastSn) continue;
    assert.ok(s.startSn !== null, `${what}: level ${s.to} never played${info}`);
    assert.ok(s.startSn <= s.askedSn + 2, `${what}: level ${s.to} only started at sn ${s.startSn}${info}`);
    if (s.sizeChangeExpected) {
      assert.ok(s.sizeChangedAt !== null,
        `${what}: the picture did not change size within [-0.5, +1] s of sn ${s.startSn} (${s.startTime.toFixed(3)} s)${info}`);
      assert.ok(Math.abs(s.sizeLag) <= 0.5,
        `${what}: the picture changed size ${s.sizeLag.toFixed(3)} s off the segment boundary${info}`);
    }
    assert.ok(s.sizeMatches, `${what}: decoded ${s.decodedSize}, level ${s.to} declares ${s.toSize}${info}`);
  }
  assert.deepEqual(r.unexpectedResizes, [], `the picture took a size not playing there${info}`);
  assert.deepEqual(r.snSkips, [], `segments were skipped or played twice${info}`);
  assert.deepEqual(r.stalls, [], `playback stalled${info}`);
  assert.deepEqual(r.jumps, [], `currentTime jumped${info}`);
  assert.deepEqual(r.bufferHoles, [], `holes in the buffered ranges${info}`);
}

/**
 * Play OUTDIR/manifest.mpd with shaka-player from the start to the end,
 * switching variants during playback (player/shaka.html setupSwitching()):
 * ABR off (abr.enabled false), levels are the variant tracks by bandwidth,
 * 0 = lowest; playback starts on the variant shaka picks (shaka 4 ignores
 * selectVariantTrack() before its playhead exists; 270p for a 900k / 500k /
 * 250k ladder) and once the every-th video segment of the current level
 * has been appended, player.selectVariantTrack(the level after it in
 * order, clearBuffer false, safeMargin 0): shaka keeps what it buffered
 * and fetches the following segments from the new variant, so each level
 * starts at a segment boundary with no flush. streaming.bufferingGoal is 4 s (as hls.js's
 * maxBufferLength in index.html) so the new level plays soon after.
 * options: every (3), order (default 0..n-1), playbackRate (2),
 * maxJumpSeconds (0.5), shakaConfig (more player.configure()), timeoutMs.
 * Result: as playHlsSwitching()'s (player 'shaka'; levels are
 * {id, videoId, width, height, bandwidth, frameRate}; what played is taken
 * from the video segments appended, per segment the last one; askedSn is
 * the segment just appended when the switch was asked), plus responses
 * and appends (the page's records).
 */
export function playShakaSwitching(outDir, {
  every = 3, order = null, playbackRate = 2, maxJumpSeconds = 0.5, shakaConfig = {}, timeoutMs = 90_000,
} = {}) {
  const result = {
    player: 'shaka', levels: null, order, every, playbackRate, ended: false, endedBy: null, playMs: null,
    endSnapshot: null, duration: null, stints: [], switches: [], resizes: [], unexpectedResizes: [], snSkips: [],
    stalls: [], jumps: [], bufferHoles: [], errors: [], contentErrors: [], fatalErrors: [], responses: [], appends: [],
  };
  const config = {
    ...shakaConfig,
    abr: { enabled: false, ...(shakaConfig.abr || {}) },
    streaming: { bufferingGoal: 4, ...(shakaConfig.streaming || {}) },
  };
  return withSharedLock(() => runDashPage(outDir, SHAKA_JS, 'shaka.html', result, async (page) => {
    const failed = () => page.evaluate(() => window.T.errors.some((e) => e.severity !== 1) || window.T.videoErrors.length > 0);
    const end = await waitForEnd(page, failed, timeoutMs);
    result.endedBy = end.why;
    result.playMs = end.ms;
    const T = await page.evaluate(() => ({
      errors: window.T.errors, events: window.T.events, switching: window.T.switching,
      watch: window.T.watch.finish(), snapshot: window.snapshot(),
    }));
    const S = T.switching;
    result.levels = S.levels;
    result.order = S.order;
    result.responses = S.responses;
    result.appends = S.appends;
    result.endSnapshot = T.snapshot;
    result.duration = T.snapshot.duration;
    result.contentErrors = T.errors;
    result.fatalErrors = T.errors.filter((e) => e.severity !== 1);
    // What played: per segment, the last one appended.
    const bySn = new Map();
    for (const a of S.appends) if (a.level !== null && a.sn !== null) bySn.set(a.sn, a);
    const plays = [...bySn.values()].sort((a, b) => a.sn - b.sn)
      .map((a) => ({ level: a.level, sn: a.sn, start: a.start, end: a.end }));
    const started = T.watch.firstPlayingAt ?? Infinity;
    const stallErrors = T.events
      .filter((e) => e.t > started && ((e.type === 'BUFFERING' && e.buffering) || e.type === 'STALL_DETECTED' || e.type === 'GAP_JUMPED'))
      .map((e) => ({ kind: e.type, currentTime: e.currentTime }));
    analyseSwitching(result, { levels: S.levels || [], plays, asked: S.asked, watch: T.watch, stallErrors });
  }, { config, switching: { every, order, playbackRate, watch: { maxJumpSeconds } } }));
}
