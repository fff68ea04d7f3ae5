// Running the ladder CLI and reading what it writes (playlists, report).
import fs from 'node:fs';
import path from 'node:path';
import { E2E_DIR, runProcess, withSharedLock } from './util.mjs';

/**
 * Path of the ladder binary: $LADDER_BIN, else build/ladder relative to the
 * working directory (the repo root under ctest).  Throws a clear error when
 * it is missing, so no test silently passes or skips without a binary.
 */
export function ladderBin() {
  let bin = process.env.LADDER_BIN ? path.resolve(process.env.LADDER_BIN) : path.resolve('build/ladder');
  if (!process.env.LADDER_BIN && !fs.existsSync(bin)) {
    // Not run from the repo root (e.g. npm test in tests/e2e): try there.
    const fromRepo = path.join(E2E_DIR, '..', '..', 'build', 'ladder');
    if (fs.existsSync(fromRepo)) bin = fromRepo;
  }
  let st;
  try {
    st = fs.statSync(bin);
  } catch {
    throw new Error(`ladder binary not found at ${bin} ` +
      `(set LADDER_BIN or build it first: ./scripts/build.sh build; cwd=${process.cwd()})`);
  }
  if (!st.isFile()) throw new Error(`LADDER_BIN ${bin} is not a regular file`);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    throw new Error(`ladder binary ${bin} is not executable`);
  }
  return bin;
}

/**
 * Run `ladder ARGS...`; resolves {code, signal, stdout, stderr, wallMs, argv}.
 * By default it holds the shared machine lock (see util.mjs).
 */
export async function runLadder(args, { timeoutMs = 600_000, lock = true, env, input } = {}) {
  const bin = ladderBin();
  const exec = async () => {
    const r = await runProcess(bin, args, { timeoutMs, env, input });
    return { ...r, argv: [bin, ...args] };
  };
  const r = lock ? await withSharedLock(exec) : await exec();
  if (r.timedOut) throw new Error(`ladder timed out after ${timeoutMs} ms: ${JSON.stringify(r.argv)}\n${r.stderr}`);
  return r;
}

/** `ladder encode INPUT -o OUT ...extra` */
export function encode(input, outDir, extra = [], opts = {}) {
  return runLadder(['encode', input, '-o', outDir, ...extra], opts);
}

/** A readable description of a run for assertion messages. */
export function describeRun(r) {
  const tail = (s, n = 3000) => (s.length > n ? `...${s.slice(-n)}` : s);
  return `argv: ${JSON.stringify(r.argv)}\nexit: ${r.code}${r.signal ? ` signal ${r.signal}` : ''}\n` +
    `stderr:\n${tail(r.stderr)}`;
}

// ------------------------------------------------------------ m3u8 parsing

/** Parse an attribute list: KEY=VALUE,KEY="quoted, value",... */
export function parseAttributes(s) {
  const attrs = {};
  const re = /\s*([A-Z0-9-]+)=("[^"]*"|[^,]*)\s*(,|$)/gy;
  let m;
  let last = 0;
  while (last < s.length && (m = re.exec(s)) !== null) {
    const v = m[2];
    attrs[m[1]] = v.startsWith('"') ? v.slice(1, -1) : v;
    last = re.lastIndex;
    if (m[0].length === 0) break;
  }
  if (last < s.length) attrs.__unparsed = s.slice(last);
  return attrs;
}

/**
 * Parse an m3u8.  Master: {kind:'master', variants:[{attrs, uri}],
 * media:[attrs], independentSegments}.  Media: {kind:'media', version,
 * targetDuration, playlistType, independentSegments, map, segments:[{duration,
 * durationText, uri}], endList, mediaSequence}.  `lines` and `tags` keep
 * everything for extra checks.
 */
export function parseM3u8(text) {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const pl = {
    header: lines[0], lines, tags: [], variants: [], media: [], segments: [],
    version: null, targetDuration: null, playlistType: null, independentSegments: false,
    map: null, endList: false, mediaSequence: null, kind: 'media', unknown: [],
  };
  let pendingInf = null;
  let pendingStreamInf = null;
  for (const line of lines.slice(1)) {
    if (line.startsWith('#EXT')) {
      const colon = line.indexOf(':');
      const tag = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? null : line.slice(colon + 1);
      pl.tags.push({ tag, value });
      switch (tag) {
        case '#EXT-X-VERSION': pl.version = Number(value); break;
        case '#EXT-X-TARGETDURATION': pl.targetDuration = Number(value); break;
        case '#EXT-X-PLAYLIST-TYPE': pl.playlistType = value; break;
        case '#EXT-X-INDEPENDENT-SEGMENTS': pl.independentSegments = true; break;
        case '#EXT-X-MEDIA-SEQUENCE': pl.mediaSequence = Number(value); break;
        case '#EXT-X-MAP': pl.map = parseAttributes(value); break;
        case '#EXT-X-ENDLIST': pl.endList = true; break;
        case '#EXTINF': {
          const [d, ...title] = value.split(',');
          pendingInf = { durationText: d, duration: Number(d), title: title.join(',') };
          break;
        }
        case '#EXT-X-STREAM-INF':
          pl.kind = 'master';
          pendingStreamInf = parseAttributes(value);
          break;
        case '#EXT-X-MEDIA':
          pl.kind = 'master';
          pl.media.push(parseAttributes(value));
          break;
        default:
          pl.unknown.push(line);
      }
    } else if (line.startsWith('#')) {
      // comment
    } else if (pendingStreamInf) {
      pl.variants.push({ attrs: pendingStreamInf, uri: line });
      pendingStreamInf = null;
    } else if (pendingInf) {
      pl.segments.push({ ...pendingInf, uri: line });
      pendingInf = null;
    } else {
      pl.unknown.push(line);
    }
  }
  return pl;
}

export function readPlaylist(file) {
  return parseM3u8(fs.readFileSync(file, 'utf8'));
}

/**
 * Everything a successful encode wrote, resolved to absolute paths:
 * {outDir, master, report, variants:[{attrs, uri, dir, playlist, name,
 * init, segs:[abs paths]}], audio:null|{attrs, uri, dir, playlist, init, segs}
 * (the first EXT-X-MEDIA), audios:[the same for every EXT-X-MEDIA]}.
 */
export function loadOutput(outDir) {
  const masterPath = path.join(outDir, 'master.m3u8');
  const master = readPlaylist(masterPath);
  const rendition = (uri) => {
    const file = path.resolve(outDir, uri);
    const dir = path.dirname(file);
    const playlist = readPlaylist(file);
    return {
      uri, file, dir, name: path.basename(dir), playlist,
      init: playlist.map ? path.resolve(dir, playlist.map.URI) : null,
      segs: playlist.segments.map((s) => path.resolve(dir, s.uri)),
    };
  };
  const variants = master.variants.map((v) => ({ attrs: v.attrs, ...rendition(v.uri) }));
  const audioMedia = master.media.filter((m) => m.TYPE === 'AUDIO' && m.URI);
  const audios = audioMedia.map((m) => ({ attrs: m, ...rendition(m.URI) }));
  const audio = audios.length ? audios[0] : null;
  const reportPath = path.join(outDir, 'report.json');
  const report = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, 'utf8')) : null;
  return { outDir, masterPath, master, variants, audio, audios, audioMedia, report, reportPath };
}

/** Parse `--progress json` stdout: one JSON object per non-empty line. */
export function parseProgress(stdout) {
  const events = [];
  const bad = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      bad.push(line);
    }
  }
  return { events, bad };
}

/** Non-empty stderr lines. */
export function stderrLines(stderr) {
  return stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim().length > 0);
}
