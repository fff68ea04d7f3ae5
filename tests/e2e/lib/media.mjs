// Test media, generated at test time with the system ffmpeg from lavfi
// sources (testsrc2 picture, sine tone).  Files are cached per process (one
// node --test file = one process) in a temp dir, keyed by their options, or
// in LADDER_E2E_MEDIA_DIR when set (kept across runs).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, withSharedLock } from './util.mjs';

const FFMPEG = process.env.FFMPEG || 'ffmpeg';

let mediaDir = null;
function dir() {
  if (!mediaDir) {
    if (process.env.LADDER_E2E_MEDIA_DIR) {
      mediaDir = process.env.LADDER_E2E_MEDIA_DIR;
      fs.mkdirSync(mediaDir, { recursive: true });
    } else {
      mediaDir = makeTempDir('ladder-e2e-media-');
    }
  }
  return mediaDir;
}

/** "30000/1001" | "25" | 29.97 -> {num, den, value} */
export function parseRate(rate) {
  const s = String(rate);
  if (s.includes('/')) {
    const [n, d] = s.split('/').map(Number);
    return { num: n, den: d, value: n / d };
  }
  const v = Number(s);
  if (Number.isInteger(v)) return { num: v, den: 1, value: v };
  return { num: Math.round(v * 1000), den: 1000, value: v };
}

export function runFfmpeg(args, what) {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`ffmpeg (${what}) could not run: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`ffmpeg (${what}) failed with exit ${r.status}:\n${r.stderr}\nargv: ${JSON.stringify(args)}`);
  }
  return r;
}

const DEFAULTS = {
  width: 320,
  height: 180,
  rate: '30000/1001',
  duration: 4, // seconds; the frame count is round(duration * rate)
  audio: true,
  sampleRate: 48000,
  channels: 2,
  vcodec: 'libx264',
  pixFmt: 'yuv420p',
  preset: 'ultrafast',
  bframes: null, // null: encoder default for the preset
  gop: null, // keyframe interval in frames (null: encoder default)
  acodec: 'aac',
  audioBitrate: '96k',
  container: 'mp4',
  faststart: true,
  vfr: false, // irregular frame spacing via setpts
  extraVideoArgs: [],
};

const cache = new Map();

/**
 * Generate (or reuse) a test clip.  Returns
 * {path, width, height, rate, frames, videoDuration, audio, sampleRate, vfr, opts}.
 */
export async function makeMedia(options = {}) {
  const o = { ...DEFAULTS, ...options };
  const key = JSON.stringify(o);
  if (cache.has(key)) return cache.get(key);
  const p = withSharedLock(async () => generate(o, key));
  cache.set(key, p);
  try {
    return await p;
  } catch (e) {
    cache.delete(key);
    throw e;
  }
}

function generate(o, key) {
  const rate = parseRate(o.rate);
  const frames = Math.round(o.duration * rate.value);
  const hash = crypto.createHash('sha1').update(key).digest('hex').slice(0, 10);
  const name = `${o.name || 'clip'}-${o.width}x${o.height}-${String(o.rate).replace('/', '_')}-${hash}.${o.container}`;
  const out = path.join(dir(), name);
  // Nominal video duration of the frames (VFR: the setpts curve is anchored
  // so the last frame lands near the same time).
  const videoDuration = frames * rate.den / rate.num;
  const info = {
    path: out, width: o.width, height: o.height, rate: o.rate, rateValue: rate.value,
    frames, videoDuration, audio: !!o.audio, sampleRate: o.audio ? o.sampleRate : null,
    vfr: !!o.vfr, opts: o,
  };
  if (fs.existsSync(out) && fs.statSync(out).size > 0) return info;

  const tmp = `${out}.partial.${o.container}`;
  // testsrc2 rounds odd sizes down to even: render one pixel larger, crop.
  const evenW = o.width + (o.width % 2);
  const evenH = o.height + (o.height % 2);
  const args = [
    '-f', 'lavfi', '-i',
    `testsrc2=size=${evenW}x${evenH}:rate=${o.rate}:duration=${(videoDuration + 1).toFixed(3)}`,
  ];
  if (o.audio) {
    args.push('-f', 'lavfi', '-i',
      `sine=frequency=440:beep_factor=4:sample_rate=${o.sampleRate}:duration=${videoDuration.toFixed(6)}`);
  }
  // Exactly `frames` frames; the output then ends with the (exactly as long)
  // audio instead of cutting the audio short like -frames:v would.
  const vf = [`trim=end_frame=${frames}`];
  if (evenW !== o.width || evenH !== o.height) {
    // Convert first: cropping a subsampled format rounds odd sizes down.
    vf.push(`format=${o.pixFmt || 'yuv444p'}`, `crop=${o.width}:${o.height}:0:0`);
  }
  if (o.vfr) {
    // Irregular spacing: t(N) = N/r + 0.4/r * sin(N), strictly increasing
    // (gaps between 0.62/r and 1.38/r), on a 1 ms time base so mkv keeps it.
    const r = rate.value;
    vf.push('settb=1/1000', `setpts='(N/${r}+${(0.4 / r).toFixed(6)}*sin(N))/TB'`);
  }
  args.push('-map', '0:v');
  if (o.audio) args.push('-map', '1:a');
  args.push('-vf', vf.join(','));
  args.push('-c:v', o.vcodec);
  if (o.vcodec === 'libx264') {
    args.push('-preset', o.preset);
    if (o.bframes !== null) args.push('-bf', String(o.bframes));
  }
  if (o.gop !== null) args.push('-g', String(o.gop));
  if (o.pixFmt) args.push('-pix_fmt', o.pixFmt);
  args.push(...o.extraVideoArgs);
  if (o.vfr) args.push('-fps_mode', 'vfr', '-enc_time_base', '1/1000');
  if (o.audio) {
    args.push('-c:a', o.acodec, '-ac', String(o.channels), '-ar', String(o.sampleRate));
    if (o.acodec === 'aac') args.push('-b:a', o.audioBitrate);
  }
  if (o.container === 'mp4' || o.container === 'mov') {
    if (o.faststart) args.push('-movflags', '+faststart');
  }
  args.push(tmp);
  runFfmpeg(args, `generate ${name}`);
  fs.renameSync(tmp, out);
  return info;
}

// ------------------------------------------------------------ named inputs

/** A constant-frame-rate clip with audio, e.g. cfrClip('24000/1001'). */
export function cfrClip(rate, { width = 320, height = 180, duration = 5, audio = true, ...rest } = {}) {
  return makeMedia({ name: 'cfr', rate, width, height, duration, audio, ...rest });
}

/** Variable frame rate H.264 in Matroska (1 ms time base), with audio. */
export function vfrClip({ width = 320, height = 180, duration = 5, audio = true, ...rest } = {}) {
  return makeMedia({
    name: 'vfr', rate: '25', width, height, duration, audio, vfr: true, container: 'mkv', ...rest,
  });
}

/**
 * Odd picture size: 4:2:0 H.264 cannot have odd dimensions, so this is
 * H.264 High 4:4:4 (yuv444p), no audio.
 */
export function oddSizeClip({ width = 641, height = 359, duration = 4, audio = false, ...rest } = {}) {
  return makeMedia({
    name: 'odd', rate: '25', width, height, duration, audio, pixFmt: 'yuv444p', ...rest,
  });
}

/** 4:3 source, 30 fps, with audio. */
export function fourThreeClip({ duration = 4, ...rest } = {}) {
  return makeMedia({ name: 'fourthree', rate: '30', width: 640, height: 480, duration, ...rest });
}

/**
 * The "real" input: 1280x720 29.97 fps H.264 High with B-frames (3, pyramid),
 * 2 s GOP not aligned to anything the ladder wants, stereo AAC, mp4.
 */
export function realH264({ duration = 4, faststart = true, audio = true, ...rest } = {}) {
  return makeMedia({
    name: 'real', rate: '30000/1001', width: 1280, height: 720, duration, audio,
    preset: 'veryfast', bframes: 3, gop: 73, faststart,
    extraVideoArgs: ['-crf', '23', '-profile:v', 'high', '-x264-params', 'b-pyramid=normal:scenecut=0'],
    ...rest,
  });
}

/** Audio-only AAC in mp4 (.m4a). */
export async function audioOnlyClip({ duration = 3 } = {}) {
  return withSharedLock(async () => {
    const out = path.join(dir(), `audio-only-${duration}.m4a`);
    if (!fs.existsSync(out)) {
      runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`,
        '-c:a', 'aac', '-b:a', '96k', `${out}.partial.m4a`], 'audio-only');
      fs.renameSync(`${out}.partial.m4a`, out);
    }
    return { path: out, audio: true };
  });
}

/** The first `fraction` of a file's bytes, written next to it. */
export function truncatedCopy(src, fraction, name) {
  const buf = fs.readFileSync(src);
  const out = path.join(dir(), name);
  fs.writeFileSync(out, buf.subarray(0, Math.floor(buf.length * fraction)));
  return out;
}

export function mediaScratchDir() {
  return dir();
}
