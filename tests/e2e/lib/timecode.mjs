// A time code carried by the picture and by the sound, and a checker that
// decodes a ladder output back and measures, for every second of content,
// when the output shows and plays it (tests/timeline/, e2e.timeline).
//
// The code: content second k (0 <= k < MAX_SECONDS) is
//   picture: the left half of the frame has luma LEVELS[k % 6], the right
//            half LEVELS[floor(k / 6)] (flat, chroma neutral; 38 apart, so
//            it survives scaling to small rungs and x264 at low rates);
//   sound:   a sine of pitchHz(k) = 400 + 60 k Hz, phase-continuous (every
//            pitch is a whole number of Hz, so every second starts at phase
//            0), amplitude 0.5 on every channel but LFE.
// Either medium alone says which second of the content is playing.
//
// The checker (measureTimeline) decodes video rungs and an audio rendition
// of a ladder output the way a player presents them: presentation
// times come from the fMP4 boxes (tfdt + trun durations and composition
// offsets, less the init segment's edit list), not from ffmpeg's demuxer
// (which applies edit lists, skips AAC priming and shifts negative
// composition offsets). Time 0 is the first presentation time of the first
// video rendition's first segment; every other time is on the same clock.
// tests/timeline/README.md describes the measurement and its validation.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { loadOutput } from './ladder.mjs';
import { concatFiles, findBox, readBoxes } from './probe.mjs';

const FFMPEG = process.env.FFMPEG || 'ffmpeg';

// ------------------------------------------------------------ the code

export const LEVELS = [30, 68, 106, 144, 182, 220];
export const MAX_SECONDS = LEVELS.length * LEVELS.length; // 36
export const AMPLITUDE = 0.5;
export const pitchHz = (k) => 400 + 60 * k;

/** Luma of the two halves for content second k. */
export function codeLevels(k) {
  if (!Number.isInteger(k) || k < 0 || k >= MAX_SECONDS) throw new Error(`time code ${k} out of range`);
  return { left: LEVELS[k % 6], right: LEVELS[Math.floor(k / 6)] };
}

/** The code two measured half-picture lumas stand for: {code, err} (code null when unreadable). */
export function levelsToCode(left, right, maxErr = 12) {
  const near = (v) => {
    let best = 0;
    for (let i = 1; i < LEVELS.length; i++) if (Math.abs(v - LEVELS[i]) < Math.abs(v - LEVELS[best])) best = i;
    return { i: best, err: Math.abs(v - LEVELS[best]) };
  };
  const l = near(left);
  const r = near(right);
  const err = Math.max(l.err, r.err);
  return { code: err <= maxErr ? r.i * 6 + l.i : null, err };
}

/** The tone at content time t (seconds), amplitude 1. */
export function toneAt(t) {
  const k = Math.min(MAX_SECONDS - 1, Math.max(0, Math.floor(t + 1e-12)));
  const cycles = 400 * k + 30 * k * (k - 1) + pitchHz(k) * (t - k);
  return Math.sin(2 * Math.PI * (cycles - Math.floor(cycles)));
}

/**
 * Write raw yuv420p frames (w x h, both even) to `file`: frame n shows
 * codes[n] (a content second), or is skipped when codes[n] is null.
 */
export function writeVideoRaw(file, w, h, codes) {
  const ySize = w * h;
  const frameSize = ySize * 3 / 2;
  const cache = new Map();
  const frame = (k) => {
    if (!cache.has(k)) {
      const b = Buffer.alloc(frameSize, 128);
      const { left, right } = codeLevels(k);
      for (let y = 0; y < h; y++) {
        b.fill(left, y * w, y * w + w / 2);
        b.fill(right, y * w + w / 2, y * w + w);
      }
      cache.set(k, b);
    }
    return cache.get(k);
  };
  const fd = fs.openSync(file, 'w');
  try {
    for (const k of codes) if (k !== null) fs.writeSync(fd, frame(k));
  } finally {
    fs.closeSync(fd);
  }
}

/** Frame codes for content seconds [from, to) at `fps` frames a second. */
export function frameCodes(from, to, fps) {
  const codes = [];
  for (let n = Math.round(from * fps); n < Math.round(to * fps); n++) codes.push(Math.floor((n + 0.5) / fps));
  return codes;
}

/**
 * Write raw interleaved f32le audio of content seconds [from, to) at
 * `rate` Hz with `channels` channels (silent ones: indexes in `silent`,
 * e.g. [3] for 5.1's LFE).
 */
export function writeAudioRaw(file, rate, channels, from, to, { silent = [] } = {}) {
  const n0 = Math.round(from * rate);
  const n1 = Math.round(to * rate);
  const buf = Buffer.alloc((n1 - n0) * channels * 4);
  let o = 0;
  for (let n = n0; n < n1; n++) {
    const v = AMPLITUDE * toneAt(n / rate);
    for (let c = 0; c < channels; c++) {
      buf.writeFloatLE(silent.includes(c) ? 0 : v, o);
      o += 4;
    }
  }
  fs.writeFileSync(file, buf);
}

// ------------------------------------------------------------ fMP4 timing

function fullBoxVersion(buf, box) {
  return { version: buf[box.payloadStart], flags: buf.readUInt32BE(box.payloadStart) & 0xffffff };
}

/**
 * An fMP4 init segment: {timescale, movieTimescale, handler, edits:[{duration
 * (movie ticks), mediaTime (media ticks, -1 empty), rate}], elstShift
 * (seconds to add to media times: empty edits less the first media edit's
 * media_time), trex:{duration, size, flags}}.
 */
export function parseInitSegment(initPath) {
  const buf = fs.readFileSync(initPath);
  const mvhd = findBox(buf, ['moov', 'mvhd']);
  let movieTimescale = 1000;
  if (mvhd) movieTimescale = buf.readUInt32BE(mvhd.payloadStart + (buf[mvhd.payloadStart] === 1 ? 20 : 12));
  const mdhd = findBox(buf, ['moov', 'trak', 'mdia', 'mdhd']);
  if (!mdhd) throw new Error(`${initPath}: no moov/trak/mdia/mdhd`);
  const timescale = buf.readUInt32BE(mdhd.payloadStart + (buf[mdhd.payloadStart] === 1 ? 20 : 12));
  const hdlr = findBox(buf, ['moov', 'trak', 'mdia', 'hdlr']);
  const handler = hdlr ? buf.toString('latin1', hdlr.payloadStart + 8, hdlr.payloadStart + 12) : null;
  const edits = [];
  const elst = findBox(buf, ['moov', 'trak', 'edts', 'elst']);
  if (elst) {
    const { version } = fullBoxVersion(buf, elst);
    const count = buf.readUInt32BE(elst.payloadStart + 4);
    let o = elst.payloadStart + 8;
    for (let i = 0; i < count; i++) {
      if (version === 1) {
        edits.push({ duration: Number(buf.readBigUInt64BE(o)), mediaTime: Number(buf.readBigInt64BE(o + 8)),
          rate: buf.readInt32BE(o + 16) / 65536 });
        o += 20;
      } else {
        edits.push({ duration: buf.readUInt32BE(o), mediaTime: buf.readInt32BE(o + 4), rate: buf.readInt32BE(o + 8) / 65536 });
        o += 12;
      }
    }
  }
  // What players do with an fMP4 edit list: leading empty edits delay the
  // track, the first media edit's media_time is presentation time 0.
  let elstShift = 0;
  for (const e of edits) {
    if (e.mediaTime === -1) { elstShift += e.duration / movieTimescale; continue; }
    elstShift -= e.mediaTime / timescale;
    break;
  }
  const trexBox = findBox(buf, ['moov', 'mvex', 'trex']);
  const trex = trexBox
    ? { duration: buf.readUInt32BE(trexBox.payloadStart + 12), size: buf.readUInt32BE(trexBox.payloadStart + 16),
      flags: buf.readUInt32BE(trexBox.payloadStart + 20) }
    : { duration: 0, size: 0, flags: 0 };
  return { timescale, movieTimescale, handler, edits, elstShift, trex };
}

/**
 * Every sample of a CMAF track (init + media segments), in decode order:
 * {init, samples:[{seg, dts, cto, pts, duration, size}] (seconds; pts is the
 * presentation time a player gives it, edit list applied), tfdts:[seconds
 * per segment]}.
 */
export function readTrackTiming(initPath, segPaths) {
  const init = parseInitSegment(initPath);
  const ts = init.timescale;
  const samples = [];
  const tfdts = [];
  segPaths.forEach((segPath, segIndex) => {
    const buf = fs.readFileSync(segPath);
    let segTfdt = null;
    for (const moof of readBoxes(buf).filter((b) => b.type === 'moof' && !b.truncated)) {
      for (const traf of readBoxes(buf, moof.payloadStart, moof.end).filter((b) => b.type === 'traf')) {
        const kids = readBoxes(buf, traf.payloadStart, traf.end);
        let defDuration = init.trex.duration;
        let defSize = init.trex.size;
        const tfhd = kids.find((b) => b.type === 'tfhd');
        if (tfhd) {
          const { flags } = fullBoxVersion(buf, tfhd);
          let o = tfhd.payloadStart + 8;
          if (flags & 0x01) o += 8;
          if (flags & 0x02) o += 4;
          if (flags & 0x08) { defDuration = buf.readUInt32BE(o); o += 4; }
          if (flags & 0x10) { defSize = buf.readUInt32BE(o); o += 4; }
        }
        const tfdt = kids.find((b) => b.type === 'tfdt');
        let dts = 0;
        if (tfdt) {
          dts = buf[tfdt.payloadStart] === 1 ? Number(buf.readBigUInt64BE(tfdt.payloadStart + 4))
            : buf.readUInt32BE(tfdt.payloadStart + 4);
        } else if (samples.length) {
          const last = samples[samples.length - 1];
          dts = last.dtsTicks + last.durTicks;
        }
        if (segTfdt === null) segTfdt = dts / ts;
        for (const trun of kids.filter((b) => b.type === 'trun')) {
          const { version, flags } = fullBoxVersion(buf, trun);
          const count = buf.readUInt32BE(trun.payloadStart + 4);
          let o = trun.payloadStart + 8;
          if (flags & 0x01) o += 4;
          if (flags & 0x04) o += 4;
          for (let i = 0; i < count; i++) {
            let d = defDuration;
            let size = defSize;
            let cto = 0;
            if (flags & 0x100) { d = buf.readUInt32BE(o); o += 4; }
            if (flags & 0x200) { size = buf.readUInt32BE(o); o += 4; }
            if (flags & 0x400) o += 4;
            if (flags & 0x800) { cto = version === 1 ? buf.readInt32BE(o) : buf.readUInt32BE(o); o += 4; }
            samples.push({
              seg: segIndex, dtsTicks: dts, durTicks: d, ctoTicks: cto, size,
              dts: dts / ts, cto: cto / ts, duration: d / ts, pts: (dts + cto) / ts + init.elstShift,
            });
            dts += d;
          }
        }
      }
    }
    tfdts.push(segTfdt);
  });
  return { init, samples, tfdts };
}

// ------------------------------------------------------------ decoding

function ffmpegDecode(args, what) {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'info', ...args], {
    maxBuffer: 1 << 30, timeout: 300_000,
  });
  if (r.error) throw new Error(`ffmpeg (${what}) could not run: ${r.error.message}`);
  const stderr = r.stderr.toString('utf8');
  if (r.status !== 0) throw new Error(`ffmpeg (${what}) failed with exit ${r.status}:\n${stderr.slice(-3000)}`);
  return { stdout: r.stdout, stderr };
}

const GRID_W = 32;
const GRID_H = 8;

/**
 * Decode a video rendition to 32x8 luma per frame and read its code.
 * Returns {frames:[{pts, duration, code, left, right, err}] (presentation
 * order, seconds on the player's clock), samples, init, tfdts, decoded (frame
 * count ffmpeg gave), matchedBy ('order' | 'ffmpeg-pts'), width, height}.
 */
export function decodeVideo(initPath, segPaths) {
  const timing = readTrackTiming(initPath, segPaths);
  const cat = concatFiles([initPath, ...segPaths], 'timecode-video.mp4');
  const { stdout, stderr } = ffmpegDecode(['-ignore_editlist', '1', '-i', cat.path, '-map', '0:v:0',
    '-vf', `showinfo,scale=${GRID_W}:${GRID_H}:flags=area,format=yuv420p`, '-fps_mode', 'passthrough',
    '-f', 'rawvideo', 'pipe:1'], 'decode video');
  fs.rmSync(cat.path, { force: true });
  const infos = [...stderr.matchAll(/\] n:\s*(\d+) pts:\s*(-?\d+) pts_time:(\S+)/g)].map((m) => Number(m[3]));
  const size = /\] n:\s*0 .*? s:(\d+)x(\d+)/.exec(stderr);
  const frameBytes = GRID_W * GRID_H * 3 / 2;
  const count = Math.floor(stdout.length / frameBytes);
  const lumas = [];
  for (let i = 0; i < count; i++) {
    const y = stdout.subarray(i * frameBytes, i * frameBytes + GRID_W * GRID_H);
    const avg = (x0, x1) => {
      let s = 0;
      let n = 0;
      for (let r = 1; r < GRID_H - 1; r++) for (let c = x0; c < x1; c++) { s += y[r * GRID_W + c]; n++; }
      return s / n;
    };
    lumas.push({ left: avg(3, 13), right: avg(19, 29) });
  }
  // Decoded frames come out in presentation order: the n-th is the sample
  // with the n-th smallest presentation time when every sample decoded;
  // otherwise ffmpeg's timestamps, moved onto the player's clock.
  const byPts = [...timing.samples].sort((a, b) => a.pts - b.pts);
  let matchedBy = 'order';
  let times;
  if (byPts.length === count) {
    times = byPts.map((s) => ({ pts: s.pts, duration: s.duration }));
  } else {
    matchedBy = 'ffmpeg-pts';
    const shift = byPts.length && infos.length ? byPts[0].pts - infos[0] : 0;
    times = infos.slice(0, count).map((t) => {
      const pts = t + shift;
      const s = byPts.reduce((best, x) => (Math.abs(x.pts - pts) < Math.abs(best.pts - pts) ? x : best), byPts[0]);
      return { pts, duration: s ? s.duration : 0 };
    });
  }
  const frames = lumas.map((l, i) => ({ ...times[i], ...l, ...levelsToCode(l.left, l.right) }));
  return {
    frames, samples: timing.samples, init: timing.init, tfdts: timing.tfdts, decoded: count, matchedBy,
    width: size ? Number(size[1]) : null, height: size ? Number(size[2]) : null,
  };
}

/**
 * Decode an audio rendition to mono float PCM laid out on the player's
 * clock: {rate, start (seconds of pcm[0]), pcm (Float32Array, zeros where no
 * sample is), samples, init, tfdts, decoded (frames ffmpeg gave), matchedBy,
 * overlaps (samples written twice), channels, resyncs:[{at, to}] (where the
 * timestamps, not the sample count, placed a frame)}. `pad` seconds of zeros are
 * added before the first and after the last sample.
 */
export function decodeAudio(initPath, segPaths, { pad = 0.2 } = {}) {
  const timing = readTrackTiming(initPath, segPaths);
  const cat = concatFiles([initPath, ...segPaths], 'timecode-audio.mp4');
  const { stdout, stderr } = ffmpegDecode(['-ignore_editlist', '1', '-i', cat.path, '-map', '0:a:0',
    '-af', 'ashowinfo', '-ac', '1', '-c:a', 'pcm_f32le', '-f', 'f32le', 'pipe:1'], 'decode audio');
  fs.rmSync(cat.path, { force: true });
  const infos = [...stderr.matchAll(/\] n:(\d+) pts:(-?\d+) pts_time:(\S+).*?channels:(\d+).*?rate:(\d+) nb_samples:(\d+)/g)]
    .map((m) => ({ pts: Number(m[3]), channels: Number(m[4]), rate: Number(m[5]), nb: Number(m[6]) }));
  if (!infos.length) throw new Error(`no audio decoded:\n${stderr.slice(-2000)}`);
  const rate = infos[0].rate;
  const bytes = stdout.byteOffset % 4 ? Buffer.from(stdout) : stdout; // Float32Array wants 4-byte alignment
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4));
  // Decoded frame i is sample i of the track when the counts agree.
  const samples = timing.samples;
  const matchedBy = samples.length === infos.length ? 'order' : 'ffmpeg-pts';
  const shift = samples.length && matchedBy !== 'order' ? samples[0].pts - infos[0].pts : 0;
  // A player plays decoded audio back to back and follows the timestamps
  // only across a discontinuity (MSE: a frame that starts away from where
  // the one before ended): timestamps rounded to 1 ms (Matroska) jitter
  // by up to 0.5 ms around a sample count that is exact.
  const placed = [];
  const resyncs = [];
  let off = 0;
  let pos = null;
  infos.forEach((f, i) => {
    const t = matchedBy === 'order' ? samples[i].pts : f.pts + shift;
    const threshold = Math.max(0.005, f.nb / rate / 2);
    if (pos === null || Math.abs(t - pos) > threshold) {
      if (pos !== null) resyncs.push({ at: pos, to: t });
      pos = t;
    }
    placed.push({ t: pos, off, nb: f.nb });
    pos += f.nb / rate;
    off += f.nb;
  });
  const first = Math.min(...placed.map((p) => p.t));
  const last = Math.max(...placed.map((p) => p.t + p.nb / rate));
  const start = first - pad;
  const pcm = new Float32Array(Math.ceil((last + pad - start) * rate));
  const written = new Uint8Array(pcm.length);
  let overlaps = 0;
  for (const p of placed) {
    const at = Math.round((p.t - start) * rate);
    for (let j = 0; j < p.nb; j++) {
      const idx = at + j;
      if (idx < 0 || idx >= pcm.length || p.off + j >= all.length) continue;
      if (written[idx]) overlaps++;
      written[idx] = 1;
      pcm[idx] = all[p.off + j];
    }
  }
  return {
    rate, start, pcm, samples, init: timing.init, tfdts: timing.tfdts, decoded: infos.length, matchedBy, overlaps,
    channels: infos[0].channels, decodedSamples: off, resyncs,
  };
}

// ------------------------------------------------------------ analysis

/** Intervals of [from, to) not covered by any [pts, pts + duration) (seconds), longer than minGap. */
export function coverageHoles(samples, from, to, minGap) {
  const iv = samples.map((s) => [s.pts, s.pts + s.duration]).sort((a, b) => a[0] - b[0]);
  const holes = [];
  let reach = from;
  for (const [a, b] of iv) {
    if (a > reach + minGap && a > from) holes.push({ from: reach, to: Math.min(a, to) });
    reach = Math.max(reach, b);
    if (reach >= to) break;
  }
  if (to > reach + minGap) holes.push({ from: reach, to });
  return holes.filter((h) => h.to > h.from + minGap);
}

/** Video: runs of one code [{code, start, end, frames}] and the frame duration. */
export function videoRuns(frames) {
  const runs = [];
  let unreadable = 0;
  for (const f of frames) {
    if (f.code === null) { unreadable++; continue; }
    const last = runs[runs.length - 1];
    if (last && last.code === f.code) {
      last.end = f.pts + f.duration;
      last.frames++;
    } else {
      runs.push({ code: f.code, start: f.pts, end: f.pts + f.duration, frames: 1 });
    }
  }
  return { runs, unreadable };
}

function goertzelPower(pcm, from, n, f, rate) {
  const w = 2 * Math.cos((2 * Math.PI * f) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = pcm[from + i] + w * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - w * s1 * s2;
}

/** The pitch of pcm[from, from+n) near `around` Hz (+-40 Hz), to ~0.01 Hz (Hann window, Goertzel, golden section). */
export function measurePitch(pcm, from, n, rate, around) {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = pcm[from + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  const power = (f) => goertzelPower(w, 0, n, f, rate);
  let best = around;
  let bestP = -1;
  for (let f = around - 40; f <= around + 40; f += 2) {
    const p = power(f);
    if (p > bestP) { bestP = p; best = f; }
  }
  let a = best - 2;
  let b = best + 2;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = power(c);
  let fd = power(d);
  while (b - a > 0.005) {
    if (fc > fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = power(c); } else {
      a = c; c = d; fc = fd; d = a + g * (b - a); fd = power(d);
    }
  }
  return (a + b) / 2;
}

/**
 * Least-squares residual of fitting a sinusoid of f Hz (free amplitude and
 * phase) on sliding windows: returns resid(a, b) for sample ranges inside
 * [lo, hi) of pcm, in O(1) per call after O(hi - lo) set-up.
 */
function sineFitter(pcm, lo, hi, f, rate) {
  const n = hi - lo;
  const P = ['xs', 'xc', 'ss', 'cc', 'sc', 'xx'].reduce((o, k) => { o[k] = new Float64Array(n + 1); return o; }, {});
  for (let i = 0; i < n; i++) {
    const x = pcm[lo + i];
    const ph = (2 * Math.PI * f * (lo + i)) / rate;
    const s = Math.sin(ph);
    const c = Math.cos(ph);
    P.xs[i + 1] = P.xs[i] + x * s;
    P.xc[i + 1] = P.xc[i] + x * c;
    P.ss[i + 1] = P.ss[i] + s * s;
    P.cc[i + 1] = P.cc[i] + c * c;
    P.sc[i + 1] = P.sc[i] + s * c;
    P.xx[i + 1] = P.xx[i] + x * x;
  }
  return (a, b) => {
    const A = a - lo;
    const B = b - lo;
    const q = (k) => P[k][B] - P[k][A];
    const ss = q('ss');
    const cc = q('cc');
    const sc = q('sc');
    const xs = q('xs');
    const xc = q('xc');
    const xx = q('xx');
    const det = ss * cc - sc * sc;
    if (Math.abs(det) < 1e-9) return xx;
    const alpha = (xs * cc - xc * sc) / det;
    const beta = (xc * ss - xs * sc) / det;
    return Math.max(0, xx - (alpha * xs + beta * xc));
  };
}

/** Energy of pcm on [a, b) via a prefix sum set up over [lo, hi). */
function energyOf(pcm, lo, hi) {
  const P = new Float64Array(hi - lo + 1);
  for (let i = lo; i < hi; i++) P[i - lo + 1] = P[i - lo] + pcm[i] * pcm[i];
  return (a, b) => P[b - lo] - P[a - lo];
}

/**
 * Where the tone of `code` starts near sample `around`: the change point
 * that best splits [around - search, around + search) into [before: the
 * previous code's tone, or silence | after: this code's tone], each side
 * fitted with one sinusoid of free amplitude and phase (a least-squares
 * change point). Returns a sample index.
 */
function refineOnset(pcm, rate, around, code, prevCode, { search }) {
  const lo = Math.max(0, around - search);
  const hi = Math.min(pcm.length, around + search);
  const after = sineFitter(pcm, lo, hi, pitchHz(code), rate);
  const before = prevCode !== null ? sineFitter(pcm, lo, hi, pitchHz(prevCode), rate) : null;
  const energy = energyOf(pcm, lo, hi);
  let best = around;
  let bestCost = Infinity;
  for (let t = lo; t <= hi; t++) {
    const left = before ? Math.min(before(lo, t), energy(lo, t)) : energy(lo, t);
    const cost = left + after(t, hi);
    if (cost < bestCost) { bestCost = cost; best = t; }
  }
  if (prevCode !== null) return best;
  // Out of silence the sound may fade in (an AAC stream cut without its
  // priming frame decodes its first 1024 samples windowed): the tone starts
  // where its envelope first reaches a tenth of the amplitude after it,
  // with no gap longer than one period on the way to the change point.
  const tail = Math.min(hi, best + Math.round(rate * 0.03));
  const amp = Math.sqrt((2 * energy(best, tail)) / Math.max(1, tail - best));
  const period = Math.ceil(rate / pitchHz(code));
  let onset = best;
  for (let i = best; i >= lo; i--) {
    if (Math.abs(pcm[i]) >= 0.1 * amp) onset = i;
    else if (onset - i > period) break;
  }
  return onset;
}

/**
 * Audio: label 10 ms blocks (silence, a code, or noise), make runs, locate
 * each tone's start to the sample and measure its pitch. Returns {rate,
 * toneRms, appearances:[{code, start, end, pitch, expectedPitch}],
 * silences:[{from, to}], noise:[{from, to}], blocks}.
 */
export function analyseAudio(dec) {
  const { pcm, rate, start } = dec;
  const hop = Math.round(rate * 0.01);
  const win = Math.round(rate * 0.04);
  const labels = [];
  const rmsList = [];
  for (let at = 0; at + win <= pcm.length; at += hop) {
    let e = 0;
    for (let i = at; i < at + win; i++) e += pcm[i] * pcm[i];
    const rms = Math.sqrt(e / win);
    rmsList.push(rms);
    if (rms < 0.005) { labels.push(-1); continue; }
    // The zero-crossing rate says roughly which code; Goertzel decides
    // among its neighbours.
    let crossings = 0;
    for (let i = at + 1; i < at + win; i++) if ((pcm[i - 1] < 0) !== (pcm[i] < 0)) crossings++;
    const guess = Math.round(((crossings * rate) / (2 * win) - 400) / 60);
    let best = -2;
    let bestP = 0;
    for (let k = Math.max(0, guess - 2); k <= Math.min(MAX_SECONDS - 1, guess + 2); k++) {
      const p = goertzelPower(pcm, at, win, pitchHz(k), rate);
      if (p > bestP) { bestP = p; best = k; }
    }
    // A pure tone of rms r gives |X|^2 ~ (r * win)^2 / 2 (rectangular window).
    const purity = bestP / ((rms * win) ** 2 / 2);
    labels.push(purity > 0.5 ? best : -2);
  }
  const blockTime = (i) => start + (i * hop + win / 2) / rate;
  // Runs of equal labels.
  const runs = [];
  labels.forEach((l, i) => {
    const last = runs[runs.length - 1];
    if (last && last.label === l) last.last = i; else runs.push({ label: l, first: i, last: i });
  });
  const MIN_BLOCKS = 10; // 100 ms: shorter runs are transitions
  const solid = runs.filter((r) => r.last - r.first + 1 >= MIN_BLOCKS || (r.label >= 0 && r.last - r.first + 1 >= 4));
  // Merge neighbouring solid runs of the same label (a short blip between).
  const merged = [];
  for (const r of solid) {
    const last = merged[merged.length - 1];
    if (last && last.label === r.label && r.first - last.last <= MIN_BLOCKS) last.last = r.last;
    else merged.push({ ...r });
  }
  const toneRms = (() => {
    const v = labels.map((l, i) => (l >= 0 ? rmsList[i] : null)).filter((x) => x !== null).sort((a, b) => a - b);
    return v.length ? v[v.length >> 1] : 0;
  })();
  const appearances = [];
  const silences = [];
  const noise = [];
  merged.forEach((r, i) => {
    const from = blockTime(r.first) - 0.02;
    const to = blockTime(r.last) + 0.02;
    if (r.label === -1) { silences.push({ from, to }); return; }
    if (r.label === -2) { noise.push({ from, to }); return; }
    const prev = merged[i - 1];
    const prevCode = prev && prev.label >= 0 && r.first - prev.last <= MIN_BLOCKS ? prev.label : null;
    // Coarse start: half way between the previous run's last block and this
    // run's first; refined to the sample.
    const coarseT = prev ? (blockTime(prev.last) + blockTime(r.first)) / 2 : from;
    const around = Math.round((coarseT - start) * rate);
    const onset = refineOnset(pcm, rate, around, r.label, prevCode, { search: Math.round(rate * 0.05) });
    appearances.push({ code: r.label, start: start + onset / rate, end: to, prevCode, blocks: r.last - r.first + 1 });
  });
  // Ends: the next appearance's start where they touch.
  appearances.forEach((a, i) => {
    const next = appearances[i + 1];
    if (next && next.start < a.end + 0.05) a.end = next.start;
  });
  for (const a of appearances) {
    const len = a.end - a.start;
    const n = Math.round(Math.min(0.5, len / 2) * rate);
    const mid = Math.round(((a.start + a.end) / 2 - start) * rate);
    a.expectedPitch = pitchHz(a.code);
    a.pitch = n >= rate * 0.05 ? measurePitch(pcm, mid - (n >> 1), n, rate, a.expectedPitch) : null;
  }
  return { rate, toneRms, appearances, silences, noise };
}

/** RMS of the decoded audio over [from, to) (player clock, seconds). */
export function rmsBetween(dec, from, to) {
  const a = Math.max(0, Math.round((from - dec.start) * dec.rate));
  const b = Math.min(dec.pcm.length, Math.round((to - dec.start) * dec.rate));
  if (b <= a) return 0;
  let e = 0;
  for (let i = a; i < b; i++) e += dec.pcm[i] * dec.pcm[i];
  return Math.sqrt(e / (b - a));
}

// ------------------------------------------------------------ the check

/**
 * An expected timeline:
 *   {seconds: [{k, t, tVideo, video, audio}]
 *                                       content second k starts at output
 *                                       time t (its picture at tVideo when a
 *                                       repeated frame delays it); video/audio: whether that
 *                                       medium must show its start (the
 *                                       picture of a slideshow changes only
 *                                       every 10 s; audio longer than video)
 *    gaps: [{from, to, held}]          held picture (code `held`) and silence
 *    end: seconds                      both media cover [0, end)
 *    audioTolerance: seconds           0.005 ordinary, 0.02 otherwise
 *    startTolerance: seconds           the first sound, out of silence, may
 *                                       start this late (default 0.015: an AAC
 *                                       stream without its priming frame
 *                                       decodes its first ~10 ms silent)
 *    timesAmbiguous: false | 'why'     set: check completeness and order only
 *    noAudio: true                     the source has no sound: no rendition expected
 *    maxSegment: seconds               every segment but the last at most this long
 *    videoEndRange: [lo, hi]           the video must last between lo and hi s}
 * timeline(pieces, options) builds one: pieces [{from, to, at}] say content
 * seconds [from, to) start at output time `at`; options: audioTolerance,
 * startTolerance, timesAmbiguous, end, videoCodes / audioCodes (the seconds whose start the
 * medium shows; default all), videoTimes ({k: t} where the picture of
 * second k is due later than its sound), noAudio, maxSegment, videoEndRange.
 */
export function timeline(pieces, { audioTolerance = 0.005, startTolerance = 0.015, timesAmbiguous = false, end = null,
  videoCodes = null, audioCodes = null, noAudio = false, maxSegment = null, videoEndRange = null, videoTimes = {} } = {}) {
  // pieces: [{from, to, at}]: content [from, to) starts at output `at`.
  const seconds = [];
  const gaps = [];
  let outEnd = 0;
  pieces.forEach((p, i) => {
    for (let k = p.from; k < p.to; k++) {
      seconds.push({
        k, t: p.at + (k - p.from), tVideo: videoTimes[k] ?? p.at + (k - p.from),
        video: videoCodes ? videoCodes.includes(k) : true,
        audio: audioCodes ? audioCodes.includes(k) : true,
      });
    }
    const prev = pieces[i - 1];
    if (prev) {
      const prevEnd = prev.at + (prev.to - prev.from);
      if (p.at > prevEnd + 1e-9) gaps.push({ from: prevEnd, to: p.at, held: prev.to - 1 });
    }
    outEnd = Math.max(outEnd, p.at + (p.to - p.from));
  });
  return {
    seconds, gaps, end: end ?? outEnd, audioTolerance, startTolerance, timesAmbiguous, noAudio, maxSegment, videoEndRange,
  };
}

/** Pick a video rendition of loadOutput(): 'lowest' | 'highest' (by RESOLUTION, then BANDWIDTH) | a rung name | an index. */
function pickVariant(out, which) {
  const withVideo = out.variants.filter((v) => v.attrs.RESOLUTION);
  const pixels = (v) => (v.attrs.RESOLUTION || '0x0').split('x').reduce((a, b) => a * Number(b), 1);
  const vs = [...(withVideo.length ? withVideo : out.variants)]
    .sort((a, b) => pixels(a) - pixels(b) || Number(a.attrs.BANDWIDTH) - Number(b.attrs.BANDWIDTH));
  if (which === 'lowest') return vs[0];
  if (which === 'highest') return vs[vs.length - 1];
  if (typeof which === 'number') return out.variants[which];
  return out.variants.find((v) => v.name === which);
}

/**
 * One video rendition decoded and read: {name, width, height, frames,
 * samples, matchedBy, t0 (its first segment's first presentation time, on
 * the player's clock), tfdt, elst, frameDuration (median), runs, unreadable,
 * end, holes, frameList} with every time relative to t0 (or to `zero`).
 */
export function measureVideo(variant, zero = null) {
  const vdec = decodeVideo(variant.init, variant.segs);
  if (!vdec.samples.length || !vdec.frames.length) {
    throw new Error(`video ${variant.name}: ${vdec.samples.length} samples, ${vdec.frames.length} frames decoded`);
  }
  const t0 = vdec.samples.filter((s) => s.seg === 0).reduce((m, s) => Math.min(m, s.pts), Infinity);
  const origin = zero ?? t0;
  for (const f of vdec.frames) f.pts -= origin;
  const vsamples = vdec.samples.map((s) => ({ ...s, pts: s.pts - origin }));
  const durs = vdec.frames.map((f) => f.duration).filter((d) => d > 0).sort((a, b) => a - b);
  const frameDuration = durs.length ? durs[durs.length >> 1] : 0;
  const { runs, unreadable } = videoRuns(vdec.frames);
  const end = vsamples.reduce((m, s) => Math.max(m, s.pts + s.duration), -Infinity);
  const segDurations = [];
  for (const x of vsamples) segDurations[x.seg] = (segDurations[x.seg] || 0) + x.duration;
  return {
    name: variant.name, width: vdec.width, height: vdec.height, frames: vdec.frames.length,
    samples: vdec.samples.length, matchedBy: vdec.matchedBy, t0, tfdt: vdec.tfdts[0], elst: vdec.init.edits,
    frameDuration, runs, unreadable, end, segDurations,
    holes: coverageHoles(vsamples, 0, end, Math.max(1.5 * frameDuration, 0.001)),
    frameList: vdec.frames,
  };
}

/**
 * One audio rendition decoded on the clock whose 0 is `zero` (the video's
 * t0, player clock): {name, rate, channels, frames, samples, matchedBy,
 * overlaps, firstSample, tfdt, elst, end, toneRms, holes, appearances:[{code,
 * start, end, pitch, expectedPitch}], silences, noise, dec (the PCM)}.
 */
export function measureAudio(rendition, zero) {
  const adec = decodeAudio(rendition.init, rendition.segs);
  adec.start -= zero;
  const asamples = adec.samples.map((s) => ({ ...s, pts: s.pts - zero }));
  const an = analyseAudio(adec);
  const first = asamples.reduce((m, s) => Math.min(m, s.pts), Infinity);
  const end = asamples.reduce((m, s) => Math.max(m, s.pts + s.duration), -Infinity);
  const segDurations = [];
  for (const x of asamples) segDurations[x.seg] = (segDurations[x.seg] || 0) + x.duration;
  return {
    segDurations,
    name: rendition.name, rate: adec.rate, channels: adec.channels, frames: adec.decoded,
    samples: adec.samples.length, matchedBy: adec.matchedBy, overlaps: adec.overlaps, firstSample: first,
    tfdt: adec.tfdts[0] - zero, elst: adec.init.edits, end, toneRms: an.toneRms,
    holes: coverageHoles(asamples, Math.max(0, first), end, 0.03),
    appearances: an.appearances, silences: an.silences, noise: an.noise, dec: adec,
    resyncs: adec.resyncs.map((r) => ({ at: r.at - zero, to: r.to - zero })),
  };
}

/**
 * Measure a ladder output against an expected timeline (timeline()).
 * outDir: a directory loadOutput() reads, or its result.
 * options: rungs: video renditions to read ('lowest', 'highest', a rung
 *   name or an index; default both ends of the ladder), audio: index among
 *   the master's EXT-X-MEDIA audio renditions (default 0; null: none).
 * Returns {rungs:[measureVideo() + complete], audio: measureAudio() +
 *   complete | null, seconds:[{k, expected, video:[time per rung],
 *   videoError:[..], audio, audioError, pitch, pitchError}],
 *   problems:[string], summary:{video:[{name, complete, median, worst, end,
 *   frameDuration, codes}], audioMedian, audioWorst, pitchWorst, audioEnd,
 *   audioCodes, audioComplete}, expected}. complete: every second the
 *   medium must show appears once and in order. Every time is
 *   on the clock of the HLS stream: 0 is the first rung's first presented
 *   frame (its first segment's tfdt, edit list and composition offsets
 *   applied).
 */
export function measureTimeline(outDir, expected, { rungs = ['lowest', 'highest'], audio = 0 } = {}) {
  const out = typeof outDir === 'string' ? loadOutput(outDir) : outDir;
  const variants = [];
  for (const r of rungs) {
    const v = pickVariant(out, r);
    if (!v) throw new Error(`no rung ${r} in ${out.outDir}`);
    if (!variants.includes(v)) variants.push(v);
  }
  const first = measureVideo(variants[0]);
  const zero = first.t0;
  const videos = [first, ...variants.slice(1).map((v) => measureVideo(v, zero))];
  const rendition = audio === null ? null : out.audios[audio];
  const aud = rendition ? measureAudio(rendition, zero) : null;
  const report = { rungs: videos, audio: aud, seconds: [], problems: [], expected };
  judge(report, expected);
  return report;
}

const ms = (s) => (s === null || s === undefined ? '-' : `${(s * 1000).toFixed(1)} ms`);

function orderProblems(medium, shownCodes, wantCodes) {
  const problems = [];
  const seen = new Map();
  for (const c of shownCodes) seen.set(c, (seen.get(c) || 0) + 1);
  const missing = wantCodes.filter((k) => !seen.has(k));
  const repeated = [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
  const extra = [...seen.keys()].filter((k) => !wantCodes.includes(k));
  if (missing.length) problems.push(`${medium}: content seconds missing: ${missing.join(' ')}`);
  if (repeated.length) problems.push(`${medium}: content seconds shown more than once: ${repeated.join(', ')}`);
  if (extra.length) problems.push(`${medium}: content seconds that should not be there: ${extra.join(' ')}`);
  const order = [];
  for (const c of shownCodes) if (!order.includes(c) && wantCodes.includes(c)) order.push(c);
  const want = wantCodes.filter((k) => seen.has(k));
  if (JSON.stringify(order) !== JSON.stringify(want)) {
    problems.push(`${medium}: content seconds out of order: ${shownCodes.join(' ')}`);
  }
  return problems;
}

function judgeVideo(P, v, expected, zero) {
  const tag = `video ${v.name}`;
  const ambiguous = !!expected.timesAmbiguous;
  const fd = v.frameDuration;
  const want = expected.seconds.filter((s) => s.video).map((s) => s.k);
  const order = orderProblems(tag, v.runs.map((r) => r.code), want);
  v.complete = order.length === 0;
  P.push(...order);
  if (v.unreadable) P.push(`${tag}: ${v.unreadable} of ${v.frames} frames show no readable time code`);
  if (v.matchedBy !== 'order') P.push(`${tag}: ${v.frames} frames decoded from ${v.samples} samples`);
  if (Math.abs(v.t0 - zero) > 0.0005) P.push(`${tag}: starts at ${ms(v.t0 - zero)} on the first rung's clock`);
  const firstFrame = new Map();
  for (const r of v.runs) if (!firstFrame.has(r.code)) firstFrame.set(r.code, r.start);
  const times = new Map();
  for (const s of expected.seconds) {
    if (!s.video || !firstFrame.has(s.k)) continue;
    const t = firstFrame.get(s.k);
    times.set(s.k, t);
    const want = s.tVideo ?? s.t;
    if (!ambiguous && Math.abs(t - want) > fd + 0.0005) {
      P.push(`${tag}: second ${s.k} first shown at ${t.toFixed(4)} s, expected ${want.toFixed(3)} s (${ms(t - want)}, frame ${ms(fd)})`);
    }
  }
  if (expected.maxSegment) {
    const long = v.segDurations.slice(0, -1).map((d, i) => ({ i, d })).filter((x) => x.d > expected.maxSegment + 0.05);
    if (long.length) P.push(`${tag}: segments longer than ${expected.maxSegment} s: ${long.map((x) => `#${x.i + 1} ${x.d.toFixed(3)} s`).join(', ')}`);
  }
  if (expected.videoEndRange) {
    const [lo, hi] = expected.videoEndRange;
    if (!(v.end >= lo && v.end <= hi)) P.push(`${tag}: lasts ${v.end.toFixed(4)} s, a plausible length is ${lo}-${hi} s`);
  }
  if (ambiguous) return times;
  for (const g of expected.gaps || []) {
    const inGap = v.frameList.filter((f) => f.pts >= g.from + fd * 1.01 && f.pts < g.to - fd * 1.01);
    const wrong = inGap.filter((f) => f.code !== g.held);
    if (wrong.length) {
      P.push(`${tag}: ${wrong.length} frames in the gap ${g.from}-${g.to} s do not hold second ${g.held} ` +
        `(codes ${[...new Set(wrong.map((f) => f.code))].join(' ')})`);
    }
  }
  for (const h of v.holes) P.push(`${tag}: no frame covers ${h.from.toFixed(3)}-${h.to.toFixed(3)} s`);
  if (v.end < expected.end - fd - 0.0005) P.push(`${tag}: ends at ${v.end.toFixed(3)} s, expected ${expected.end} s`);
  const lastRun = v.runs[v.runs.length - 1];
  if (lastRun && want.length && lastRun.code !== want[want.length - 1]) {
    P.push(`${tag}: the last picture shows second ${lastRun.code}, expected ${want[want.length - 1]}`);
  }
  return times;
}

function judge(report, expected) {
  const P = report.problems;
  const { rungs, audio } = report;
  const ambiguous = !!expected.timesAmbiguous;
  const zero = rungs[0].t0;
  const videoTimes = rungs.map((v) => judgeVideo(P, v, expected, zero));
  const wantAudio = expected.seconds.filter((s) => s.audio).map((s) => s.k);
  const firstAudio = new Map();
  if (audio) {
    const order = orderProblems('audio', audio.appearances.map((a) => a.code), wantAudio);
    audio.complete = order.length === 0;
    P.push(...order);
    for (const a of audio.appearances) if (!firstAudio.has(a.code)) firstAudio.set(a.code, a);
    if (audio.matchedBy !== 'order') P.push(`audio: ${audio.frames} frames decoded from ${audio.samples} samples`);
  } else if (wantAudio.length && !expected.noAudio) {
    P.push('audio: no audio rendition');
  }
  const firstAudibleT = Math.min(...expected.seconds.filter((x) => x.audio).map((x) => x.t));
  for (const s of expected.seconds) {
    const row = {
      k: s.k, expected: s.t, video: videoTimes.map((m) => (s.video && m.has(s.k) ? m.get(s.k) : null)),
      videoError: null, audio: null, audioError: null, pitch: null, pitchError: null,
    };
    row.videoError = row.video.map((t) => (t === null ? null : t - (s.tVideo ?? s.t)));
    if (s.audio && audio && firstAudio.has(s.k)) {
      const a = firstAudio.get(s.k);
      row.audio = a.start;
      row.audioError = a.start - s.t;
      row.pitch = a.pitch;
      row.pitchError = a.pitch === null ? null : (a.pitch - a.expectedPitch) / a.expectedPitch;
      // The very first sound, out of silence, may start up to startTolerance
      // late: an AAC stream whose first frame has no priming frame before it
      // decodes silent for ~10 ms (the decoder's overlap has nothing to add).
      const first = s.t === firstAudibleT && a.prevCode === null;
      const tol = first ? Math.max(expected.audioTolerance, expected.startTolerance ?? 0) : expected.audioTolerance;
      if (!ambiguous && Math.abs(row.audioError) > tol) {
        P.push(first
          ? `audio: the sound starts at ${a.start.toFixed(4)} s, expected ${s.t.toFixed(3)} s (${ms(row.audioError)}; ` +
            `the first sound may be up to ${ms(tol)} late)`
          : `audio: second ${s.k} starts at ${a.start.toFixed(4)} s, expected ${s.t.toFixed(3)} s (${ms(row.audioError)})`);
      }
      if (row.pitchError !== null && Math.abs(row.pitchError) > 0.005) {
        P.push(`audio: second ${s.k} has pitch ${a.pitch.toFixed(2)} Hz, expected ${a.expectedPitch} Hz ` +
          `(${(row.pitchError * 100).toFixed(2)} %)`);
      }
    }
    report.seconds.push(row);
  }
  if (audio && expected.maxSegment) {
    const long = audio.segDurations.slice(0, -1).map((d, i) => ({ i, d })).filter((x) => x.d > expected.maxSegment + 0.05);
    if (long.length) P.push(`audio: segments longer than ${expected.maxSegment} s: ${long.map((x) => `#${x.i + 1} ${x.d.toFixed(3)} s`).join(', ')}`);
  }
  if (audio && !ambiguous) {
    // Gaps are silent; the sound covers [0, end) without holes.
    for (const g of expected.gaps || []) {
      const rms = rmsBetween(audio.dec, g.from + 0.03, g.to - 0.03);
      if (rms > 0.01 * Math.max(audio.toneRms, 0.1)) {
        P.push(`audio: not silent in the gap ${g.from}-${g.to} s (rms ${rms.toFixed(4)}, tone rms ${audio.toneRms.toFixed(3)})`);
      }
    }
    for (const h of audio.holes) P.push(`audio: no sample covers ${h.from.toFixed(3)}-${h.to.toFixed(3)} s`);
    // Sound that is no tone (a wrong decoder set-up, a resampling gone
    // wrong), and silence where the content has sound.
    for (const n of audio.noise) P.push(`audio: no tone (noise) ${n.from.toFixed(3)}-${n.to.toFixed(3)} s`);
    const audible = expected.seconds.filter((x) => x.audio);
    const soundFrom = audible.length ? Math.min(...audible.map((x) => x.t)) : 0;
    const soundTo = audible.length ? Math.max(...audible.map((x) => x.t)) + 1 : 0;
    for (const q of audio.silences) {
      const from = Math.max(q.from, soundFrom, audio.firstSample);
      const to = Math.min(q.to, soundTo, audio.end);
      if (to - from < 0.05) continue;
      const inGap = (expected.gaps || []).some((g) => from >= g.from - 0.05 && to <= g.to + 0.05);
      if (!inGap) P.push(`audio: silent ${from.toFixed(3)}-${to.toFixed(3)} s where the content has sound`);
    }
    if (audio.end < expected.end - 0.03) P.push(`audio: ends at ${audio.end.toFixed(3)} s, expected ${expected.end} s`);
  }
  const col = (key, i = null) => report.seconds.map((r) => (i === null ? r[key] : r[key][i])).filter((x) => x !== null);
  const med = (v) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : null; };
  const worst = (v) => (v.length ? v.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) : null);
  report.summary = {
    video: rungs.map((v, i) => ({
      name: v.name, complete: v.complete, median: med(col('videoError', i)), worst: worst(col('videoError', i)), end: v.end,
      frameDuration: v.frameDuration, codes: v.runs.map((r) => r.code).join(' '),
    })),
    audioMedian: med(col('audioError')), audioWorst: worst(col('audioError')), pitchWorst: worst(col('pitchError')),
    audioEnd: audio ? audio.end : null, audioCodes: audio ? audio.appearances.map((a) => a.code).join(' ') : null,
    audioComplete: audio ? audio.complete : null,
  };
}

/** A one-line summary: median and worst offsets per medium, ends. */
export function summarizeTimeline(report) {
  const s = report.summary;
  const v = s.video.map((x) => `${x.name} ${ms(x.median)}/${ms(x.worst)} end ${x.end.toFixed(2)}`).join(', ');
  const a = report.audio ? `audio ${ms(s.audioMedian)}/${ms(s.audioWorst)} end ${s.audioEnd.toFixed(3)}` : 'no audio';
  return `video (median/worst) ${v}; ${a}`;
}

/** One line per second and the problems: for assertion messages and the log. */
export function describeTimeline(report) {
  const lines = [report.rungs.map((v) => `rung ${v.name} ${v.width}x${v.height}, frame ${ms(v.frameDuration)}, ` +
    `starts at ${v.t0.toFixed(4)} s (player clock)`).join('; ') + (report.audio ? `; audio ${report.audio.name} ` +
    `${report.audio.rate} Hz ${report.audio.channels} ch, first sample at ${ms(report.audio.firstSample)}` : '')];
  for (const r of report.seconds) {
    const v = r.video.map((t, i) => (t === null ? '      -      ' : `${t.toFixed(4)} (${ms(r.videoError[i])})`)).join('  ');
    lines.push(`  ${String(r.k).padStart(2)}  expected ${r.expected.toFixed(3).padStart(6)}  video ${v}  audio ` +
      `${r.audio === null ? '-' : `${r.audio.toFixed(4)} (${ms(r.audioError)})`}  pitch ${r.pitch === null ? '-' : r.pitch.toFixed(2)}`);
  }
  for (const v of report.summary.video) lines.push(`  video ${v.name} codes: ${v.codes}`);
  if (report.audio) lines.push(`  audio codes: ${report.summary.audioCodes}`);
  lines.push(`  ${summarizeTimeline(report)}`);
  for (const p of report.problems) lines.push(`  PROBLEM: ${p}`);
  return lines.join('\n');
}

/** Assert a measureTimeline report has no problems (assert: node:assert/strict). */
export function assertTimeline(assert, report, what = '') {
  assert.deepEqual(report.problems, [], `${what}\n${describeTimeline(report)}`);
}
