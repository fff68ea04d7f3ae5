// The hostile-input corpus: small, short inputs made at test time with the
// ffmpeg CLI and byte surgery (nothing large is committed). Every case says
// what ladder must do with it: "valid" (exit 0 and a complete, decodable
// ladder) or a documented exit code with one stderr line naming the input.
// tests/hostile/README.md is the same table in words.
//
//   node tests/hostile/make_corpus.mjs DIR     # write the corpus, list it
//
// Byte manipulation is seeded (mulberry32), so every run makes the same files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { seededRandom as mulberry32 } from '../e2e/lib/util.mjs';

const FFMPEG = process.env.FFMPEG || 'ffmpeg';

function ffmpeg(args, what) {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`ffmpeg (${what}) failed: ${r.error ? r.error.message : r.stderr}\nargv: ${JSON.stringify(args)}`);
  }
}

/** Top-level ISO BMFF boxes: [{type, start, end}]. */
function topBoxes(buf) {
  const boxes = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1 && off + 16 <= buf.length) {
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = buf.length - off;
    }
    if (size < header) break;
    boxes.push({ type, start: off, end: Math.min(off + size, buf.length), header });
    off += size;
  }
  return boxes;
}

function flipBits(buf, start, end, count, seed) {
  const out = Buffer.from(buf);
  const rnd = mulberry32(seed);
  for (let i = 0; i < count; i++) {
    const at = start + Math.floor(rnd() * (end - start));
    out[at] ^= 1 << Math.floor(rnd() * 8);
  }
  return out;
}

/** Every full box of `type` inside [start, end), found by its four letters. */
function findAll(buf, type, start = 0, end = buf.length) {
  const hits = [];
  for (let at = buf.indexOf(type, start, 'latin1'); at >= 4 && at < end; at = buf.indexOf(type, at + 4, 'latin1')) {
    hits.push(at - 4);
  }
  return hits;
}

/** Make mvhd/tkhd/mdhd (version 0) claim `seconds` of media. */
function claimDuration(buf, seconds) {
  const out = Buffer.from(buf);
  let movieScale = 1000;
  for (const at of findAll(out, 'mvhd')) {
    if (out[at + 8] !== 0) continue;
    movieScale = out.readUInt32BE(at + 20);
    out.writeUInt32BE(Math.round(seconds * movieScale), at + 24);
  }
  for (const at of findAll(out, 'tkhd')) {
    if (out[at + 8] === 0) out.writeUInt32BE(Math.round(seconds * movieScale), at + 28);
  }
  for (const at of findAll(out, 'mdhd')) {
    if (out[at + 8] !== 0) continue;
    const scale = out.readUInt32BE(at + 20);
    out.writeUInt32BE(Math.round(seconds * scale), at + 24);
  }
  return out;
}

/*
 * Write a rotation into the video track's tkhd matrix (ffmpeg 5.1's CLI has
 * no -display_rotation, and its "rotate" metadata is no longer written).
 * The matrix is {a b u; c d v; x y w} in 16.16 (w 2.30), a = d = cos,
 * b = sin, c = -sin: a picture turned `deg` degrees clockwise for display.
 */
function rotateMatrix(buf, deg) {
  const out = Buffer.from(buf);
  const rad = (deg * Math.PI) / 180;
  const cos = Math.round(Math.cos(rad));
  const sin = Math.round(Math.sin(rad));
  for (const at of findAll(out, 'tkhd')) {
    if (out[at + 8] !== 0) continue;
    const m = at + 8 + 4 + 36;     // version/flags, then the fields before the matrix
    if (out.readUInt32BE(m + 36) === 0) continue;   // width 0: not the video track
    const vals = [cos * 0x10000, sin * 0x10000, 0, -sin * 0x10000, cos * 0x10000, 0, 0, 0, 0x40000000];
    vals.forEach((v, i) => out.writeInt32BE(v, m + 4 * i));
  }
  return out;
}

const src = (size, rate, dur) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${dur}`];
const tone = (rate, dur, extra = '') => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${dur}${extra}`];
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast'];
const AAC = ['-c:a', 'aac', '-b:a', '64k'];

/*
 * The cases. expect: 'valid' or an exit code. args: extra ladder arguments
 * (default: one small rung). play: also played in hls.js. check: extra
 * assertions on a valid output, by name (see hostile.test.mjs).
 */
export const EXIT = {
  inputInvalid: 4, noVideo: 5, limit: 12,
};
/* A picture too small for lavfi's sources: raw grey bytes through FFV1. */
function tiny(f, w, h, pixFmt) {
  const raw = `${f}.gray`;
  fs.writeFileSync(raw, Buffer.alloc(w * h * 10, 128));
  try {
    ffmpeg(['-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-r', '25', '-i', raw, '-pix_fmt', pixFmt,
      '-c:v', 'ffv1', '-f', 'matroska', f], `${w}x${h}`);
  } finally {
    fs.rmSync(raw, { force: true });
  }
}
const SMALL = ['--rung', '256x256:300k'];

function cases() {
  const list = [];
  const add = (name, expect, make, extra = {}) => list.push({ name, expect, make, ...extra });

  // A plain, well-formed clip: the base for byte surgery.
  add('base.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...tone(48000, 2), ...X264, '-g', '25',
    ...AAC, '-movflags', '+faststart', f], 'base'), { play: true });
  add('moov-at-end.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...tone(48000, 2), ...X264,
    ...AAC, f], 'moov-at-end'));

  add('zero-bytes.mp4', EXIT.inputInvalid, (f) => fs.writeFileSync(f, ''));
  add('text-named.mp4', EXIT.inputInvalid, (f) => fs.writeFileSync(f, 'not a video, just text\n'.repeat(200)));
  add('random-bytes.mp4', EXIT.inputInvalid, (f) => {
    const rnd = mulberry32(7);
    fs.writeFileSync(f, Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(rnd() * 256))));
  });
  add('ftyp-only.mp4', EXIT.inputInvalid, (f, base) => {
    const buf = fs.readFileSync(base);
    const ftyp = topBoxes(buf).find((b) => b.type === 'ftyp');
    fs.writeFileSync(f, buf.subarray(ftyp.start, ftyp.end));
  });
  // Cut short: 1% has no index left, 50% loses half the frames the index
  // promises (exit 4). 99% loses the last frame only: 49 of 50 frames is
  // above the 90% ladder accepts (README "Exit codes"), so it is a ladder
  // of 1.96 s, not an error.
  for (const [pct, expect] of [[1, EXIT.inputInvalid], [50, EXIT.inputInvalid], [99, 'valid']]) {
    add(`truncated-${pct}pct.mp4`, expect, (f, base) => {
      const buf = fs.readFileSync(base);
      fs.writeFileSync(f, buf.subarray(0, Math.floor(buf.length * pct / 100)));
    });
  }
  add('truncated-50pct-moov-at-end.mp4', EXIT.inputInvalid, (f, base, dir) => {
    const buf = fs.readFileSync(path.join(dir, 'moov-at-end.mp4'));
    fs.writeFileSync(f, buf.subarray(0, Math.floor(buf.length / 2)));
  });
  add('moov-missing.mp4', EXIT.inputInvalid, (f, base) => {
    // The index cut out: the media data is all there. (Renaming it to
    // "free" is not enough: libavformat looks for a moov inside free boxes.)
    const buf = fs.readFileSync(base);
    const moov = topBoxes(buf).find((b) => b.type === 'moov');
    fs.writeFileSync(f, Buffer.concat([buf.subarray(0, moov.start), buf.subarray(moov.end)]));
  });
  // Damaged pictures are concealed or skipped: the ladder goes on.
  for (const [seed, count] of [[1, 20], [2, 200], [3, 2000]]) {
    add(`bitflip-mdat-${count}.mp4`, 'valid', (f, base) => {
      const buf = fs.readFileSync(base);
      const mdat = topBoxes(buf).find((b) => b.type === 'mdat');
      fs.writeFileSync(f, flipBits(buf, mdat.start + 64, mdat.end, count, seed));
    });
  }
  // A damaged index: 4 flips miss anything that matters, 40 break the
  // sample table so no picture decodes (exit 4).
  for (const [seed, count, expect] of [[11, 4, 'valid'], [12, 40, EXIT.inputInvalid]]) {
    add(`bitflip-moov-${count}.mp4`, expect, (f, base) => {
      const buf = fs.readFileSync(base);
      const moov = topBoxes(buf).find((b) => b.type === 'moov');
      fs.writeFileSync(f, flipBits(buf, moov.start + 8, moov.end, count, seed));
    });
  }
  // MPEG-TS resynchronises: what survives is encoded (no frame count to
  // hold it to).
  add('bitflip-ts-500.ts', 'valid', (f, base, dir) => {
    const ts = path.join(dir, '.plain.ts');
    ffmpeg(['-i', base, '-c', 'copy', ts], 'plain ts');
    const buf = fs.readFileSync(ts);
    fs.writeFileSync(f, flipBits(buf, 2048, buf.length, 500, 21));
  });
  add('claims-2h-duration.mp4', 'valid', (f, base) => fs.writeFileSync(f, claimDuration(fs.readFileSync(base), 7200)),
    { check: 'short' });

  add('audio-only.mp4', EXIT.noVideo, (f) => ffmpeg([...tone(48000, 2), ...AAC, f], 'audio only'));
  add('video-only.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...X264, f], 'video only'));

  // Sizes. H.264 4:2:0 needs even sizes; the tiny and odd ones are FFV1.
  // Under 16 pixels a side is refused, like more than --max-pixels (8K).
  add('1x1.mkv', EXIT.limit, (f) => tiny(f, 1, 1, 'yuv444p'));
  add('2x2.mkv', EXIT.limit, (f) => tiny(f, 2, 2, 'yuv420p'));
  add('odd-1921x1081.mkv', 'valid', (f) => ffmpeg([...src('1922x1082', 25, 0.2), '-vf',
    'format=yuv444p,crop=1921:1081:0:0', ...X264, f], 'odd'));
  add('4096x2160.mp4', 'valid', (f) => ffmpeg([...src('4096x2160', 25, 0.2), ...X264, f], '4k'));
  add('8192x4320.mp4', EXIT.limit, (f) => ffmpeg([...src('8192x4320', 25, 0.04), ...X264, f], '8k'));
  // Beyond 16:1 is refused (README "Security and limits").
  add('wide-4000x16.mp4', EXIT.limit, (f) => ffmpeg([...src('4000x16', 25, 1), ...X264, f], 'wide'));
  add('tall-16x4000.mp4', EXIT.limit, (f) => ffmpeg([...src('16x4000', 25, 1), ...X264, f], 'tall'));

  // Pixel formats and scan.
  add('10bit.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...X264, '-pix_fmt', 'yuv420p10le', f], '10-bit'));
  add('422.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...X264, '-pix_fmt', 'yuv422p', f], '4:2:2'));
  add('444.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...X264, '-pix_fmt', 'yuv444p', f], '4:4:4'));
  add('interlaced-tff.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...X264, '-flags', '+ildct+ilme',
    '-field_order', 'tt', f], 'interlaced'));
  add('interlaced-mpeg2-bff.ts', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), '-c:v', 'mpeg2video',
    '-flags', '+ildct+ilme', '-top', '0', '-field_order', 'bb', f], 'interlaced mpeg2'));

  // Rotation (display matrix): the ladder must be upright.
  for (const deg of [90, 180, 270]) {
    add(`rotate-${deg}.mp4`, 'valid', (f, base, dir) => {
      const plain = path.join(dir, '.plain-rotate.mp4');
      ffmpeg([...src('320x180', 25, 1), ...X264, plain], 'rotate');
      fs.writeFileSync(f, rotateMatrix(fs.readFileSync(plain), deg));
    }, { check: deg === 180 ? 'landscape' : 'portrait',
      play: deg === 90 });
  }

  // Timing. vfr-gaps-dups: frames 20-22 pushed 400 ms forward (a gap
  // before them; the frames they overtake repeat earlier times).
  add('vfr-gaps-dups.mkv', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...X264, '-vf',
    "settb=1/1000,setpts='if(between(N,20,22),PTS+400/TB/1000,PTS)'",
    '-fps_mode', 'passthrough', '-enc_time_base', '1/1000', f], 'vfr'), { play: true });
  add('vfr-dup-timestamps.mkv', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...X264, '-vf',
    "settb=1/1000,setpts='floor(N/2)*80/TB/1000'", '-fps_mode', 'passthrough', '-enc_time_base', '1/1000', f], 'dups'));
  add('timestamp-jump.ts', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...X264, '-vf',
    "setpts='if(gte(N,25),PTS+30/TB,PTS)'", '-fps_mode', 'passthrough', f], 'jump'));
  // Two TS pieces spliced, the second 60 s later (and one restarting at
  // 0 after 30 s): the jump is closed on video and audio alike.
  for (const [name, offset] of [['ts-splice-jump-forward.ts', 60], ['ts-splice-restart.ts', -29]]) {
    add(name, 'valid', (f, base, dir) => {
      const a = path.join(dir, `.${name}-a.ts`);
      const b = path.join(dir, `.${name}-b.ts`);
      ffmpeg([...src('320x180', 25, 1), ...tone(48000, 1), ...X264, ...AAC, '-output_ts_offset', '30', a], 'splice a');
      ffmpeg([...src('320x180', 25, 1), ...tone(48000, 1), ...X264, ...AAC, '-output_ts_offset',
        String(30 + offset), b], 'splice b');
      fs.writeFileSync(f, Buffer.concat([fs.readFileSync(a), fs.readFileSync(b)]));
    }, { check: 'av2s' });
  }
  add('negative-start.mkv', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...tone(48000, 2), ...X264, ...AAC,
    '-output_ts_offset', '-1', f], 'negative'));
  add('pts-wrap-2pow33.ts', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...tone(48000, 2), ...X264, ...AAC,
    '-output_ts_offset', String((2 ** 33) / 90000 - 1), f], 'wrap'));
  add('bframe-pyramid-editlist.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...tone(48000, 2),
    '-c:v', 'libx264', '-preset', 'medium', '-bf', '4', '-x264-params', 'b-pyramid=normal', ...AAC, f], 'b-pyramid'),
  { play: true });
  add('non-monotonic-dts.ts', 'valid', (f) => ffmpeg([...src('320x180', 25, 2), ...X264, '-bf', '0',
    '-bsf:v', "setts=dts='if(eq(N,12),DTS-4*3600,DTS)':pts='if(eq(N,12),PTS-4*3600,PTS)'", f], 'non-monotonic dts'));
  add('one-frame.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...X264, '-frames:v', '1', f], '1 frame'));
  add('tenth-second.mp4', 'valid', (f) => ffmpeg([...src('320x180', 30, 0.1), ...tone(48000, 0.1), ...X264, ...AAC,
    f], '0.1 s'));

  // Audio.
  add('eight-audio-streams.mkv', 'valid', (f) => {
    const args = [...src('320x180', 25, 1)];
    for (let i = 0; i < 8; i++) args.push(...tone(48000, 1));
    args.push('-map', '0:v');
    for (let i = 1; i <= 8; i++) args.push('-map', `${i}:a`);
    ffmpeg([...args, ...X264, ...AAC, f], '8 audio');
  }, { check: 'audio8' });
  add('audio-8khz-mono.mp4', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...tone(8000, 1), ...X264, ...AAC,
    '-ac', '1', f], '8 kHz'));
  add('audio-96khz-7.1.mkv', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), ...tone(96000, 1), ...X264,
    '-c:a', 'pcm_s16le', '-af', 'aformat=channel_layouts=7.1', f], '96 kHz 7.1'));

  // Other containers and codecs.
  add('vp9.webm', 'valid', (f) => ffmpeg([...src('320x180', 25, 1), '-c:v', 'libvpx-vp9', '-deadline', 'realtime',
    '-cpu-used', '8', f], 'vp9'));
  add('animated.gif', 'valid', (f) => ffmpeg([...src('160x90', 10, 1), f], 'gif'));
  add('png-as.mp4', 'valid', (f) => ffmpeg([...src('160x90', 1, 1), '-frames:v', '1', '-c:v', 'png', '-f', 'image2',
    f], 'png'));
  return list;
}

/** Write every case into dir; returns the case list with .file set. */
export function makeCorpus(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const list = cases();
  const base = path.join(dir, 'base.mp4');
  for (const c of list) {
    c.file = path.join(dir, c.name);
    c.args = c.args || SMALL;
    if (!fs.existsSync(c.file)) {
      const tmp = path.join(dir, `.tmp-${c.name}`);
      c.make(tmp, base, dir);
      fs.renameSync(tmp, c.file);
    }
  }
  return list;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node tests/hostile/make_corpus.mjs DIR');
    process.exit(2);
  }
  for (const c of makeCorpus(dir)) console.log(`${c.name}\t${c.expect}\t${fs.statSync(c.file).size}`);
}
