// The timeline corpus: small inputs that carry a time code in the picture
// and in the sound (tests/e2e/lib/timecode.mjs), each with the timeline a
// correct ladder output must present. Made at test time from raw frames and
// samples written here, the ffmpeg CLI, and byte surgery on MPEG-TS and
// Matroska (timestamps moved in place); nothing is committed, and every run
// makes the same files. tests/timeline/README.md is the same list in words,
// with what today's binary does with each.
//
//   node tests/timeline/make_corpus.mjs DIR     # write the corpus, list it
//
// makeCorpus(dir) returns [{name, path, expected, notes, ladderArgs}];
// expected is a timeline() of timecode.mjs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { frameCodes, timeline, writeAudioRaw, writeVideoRaw } from '../e2e/lib/timecode.mjs';

const FFMPEG = process.env.FFMPEG || 'ffmpeg';
const FFPROBE = process.env.FFPROBE || 'ffprobe';

function ffmpeg(args, what) {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`ffmpeg (${what}) failed: ${r.error ? r.error.message : r.stderr}\nargv: ${JSON.stringify(args)}`);
  }
}

function ffprobe(args) {
  const r = spawnSync(FFPROBE, ['-hide_banner', '-v', 'error', '-of', 'json', ...args], {
    encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20,
  });
  if (r.error || r.status !== 0) throw new Error(`ffprobe ${JSON.stringify(args)} failed: ${r.error ? r.error.message : r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Packets of one stream: [{pts, dts, duration, size, key}] in seconds (demuxer view). */
function packets(file, select) {
  return (ffprobe(['-select_streams', select, '-show_entries', 'packet=pts_time,dts_time,duration_time,size,flags', file])
    .packets || []).map((p) => ({
    pts: p.pts_time === undefined ? null : Number(p.pts_time), dts: p.dts_time === undefined ? null : Number(p.dts_time),
    duration: p.duration_time === undefined ? null : Number(p.duration_time), size: Number(p.size),
    key: (p.flags || '').includes('K'),
  }));
}

function check(cond, what) {
  if (!cond) throw new Error(`timeline corpus: ${what}`);
}

/** Jumps in a stream's packet times (in order of the file) larger than `min` s either way. */
function jumps(file, select, min) {
  const p = packets(file, select).filter((x) => x.dts !== null || x.pts !== null);
  const out = [];
  for (let i = 1; i < p.length; i++) {
    const a = p[i - 1].dts ?? p[i - 1].pts;
    const b = p[i].dts ?? p[i].pts;
    if (Math.abs(b - a) > min) out.push({ at: a, to: b, by: b - a });
  }
  return out;
}

// ------------------------------------------------------------ sources

const W = 320;
const H = 180;
const X264 = (preset = 'veryfast') => ['-c:v', 'libx264', '-preset', preset];
const AAC = (kbps = 128) => ['-c:a', 'aac', '-b:a', `${kbps}k`];

/**
 * Time-coded source: video content seconds [video[0], video[1]) at fps
 * (or the frame codes `codes` at fps), audio content [audio[0], audio[1]) at
 * rate/channels, encoded with `args` (codec and container options) to out.
 * audioOffset: seconds the audio input starts after the video input.
 */
function encodeSource(out, {
  fps = 25, video = [0, 16], codes = null, audio = [0, 16], rate = 48000, channels = 2, layout = null,
  silent = [], args = [], scratch, audioOffset = 0,
}) {
  const inputs = [];
  const tmp = [];
  if (video) {
    const f = path.join(scratch, `.${path.basename(out)}.yuv`);
    writeVideoRaw(f, W, H, codes ?? frameCodes(video[0], video[1], fps));
    // NTSC rates exactly (30000/1001), not as a rounded decimal.
    const n1001 = fps * 1001;
    const rateText = Number.isInteger(fps) || Math.abs(n1001 - Math.round(n1001)) > 1e-6 ? String(fps) : `${Math.round(n1001)}/1001`;
    inputs.push('-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${W}x${H}`, '-framerate', rateText, '-i', f);
    tmp.push(f);
  }
  if (audio) {
    const f = path.join(scratch, `.${path.basename(out)}.f32`);
    writeAudioRaw(f, rate, channels, audio[0], audio[1], { silent });
    if (audioOffset) inputs.push('-itsoffset', audioOffset.toFixed(9));
    inputs.push('-f', 'f32le', '-ar', String(rate), '-ac', String(channels));
    if (layout) inputs.push('-ch_layout', layout);
    inputs.push('-i', f);
    tmp.push(f);
  }
  try {
    ffmpeg([...inputs, ...args, out], path.basename(out));
  } finally {
    for (const f of tmp) fs.rmSync(f, { force: true });
  }
}

// ------------------------------------------------------------ MPEG-TS surgery

const TS = 188;

/** Every PES start in a TS: [{pkt, pid, streamId, ptsAt, dtsAt, pts, dts}] (byte offsets of the fields). */
function tsPes(buf) {
  check(buf.length % TS === 0 && buf[0] === 0x47, 'not a 188-byte MPEG-TS');
  const list = [];
  for (let p = 0; p < buf.length; p += TS) {
    const pusi = buf[p + 1] & 0x40;
    const afc = (buf[p + 3] >> 4) & 3;
    if (!pusi || !(afc & 1)) continue;
    let o = p + 4;
    if (afc & 2) o += 1 + buf[p + 4];
    if (buf[o] !== 0 || buf[o + 1] !== 0 || buf[o + 2] !== 1) continue; // PSI
    const streamId = buf[o + 3];
    const flags = buf[o + 7] >> 6;
    const pes = { pkt: p, pid: ((buf[p + 1] & 0x1f) << 8) | buf[p + 2], streamId, ptsAt: null, dtsAt: null };
    if (flags & 2) { pes.ptsAt = o + 9; pes.pts = readTs(buf, pes.ptsAt); }
    if (flags === 3) { pes.dtsAt = o + 14; pes.dts = readTs(buf, pes.dtsAt); }
    list.push(pes);
  }
  return list;
}

function readTs(buf, at) {
  return ((buf[at] >> 1) & 7) * 2 ** 30 + (buf[at + 1] << 22) + ((buf[at + 2] >> 1) << 15) + (buf[at + 3] << 7) + (buf[at + 4] >> 1);
}

function writeTs(buf, at, v) {
  const x = ((v % 2 ** 33) + 2 ** 33) % 2 ** 33;
  const hi = Math.floor(x / 2 ** 30);
  const lo = x % 2 ** 30;
  buf[at] = (buf[at] & 0xf0) | (hi << 1) | 1;
  buf[at + 1] = (lo >> 22) & 0xff;
  buf[at + 2] = (((lo >> 15) & 0x7f) << 1) | 1;
  buf[at + 3] = (lo >> 7) & 0xff;
  buf[at + 4] = ((lo & 0x7f) << 1) | 1;
}

/** PCR fields: [{pkt, at, base}] (base in 90 kHz ticks). */
function tsPcrs(buf) {
  const list = [];
  for (let p = 0; p < buf.length; p += TS) {
    const afc = (buf[p + 3] >> 4) & 3;
    if (!(afc & 2) || buf[p + 4] < 7 || !(buf[p + 5] & 0x10)) continue;
    const at = p + 6;
    const base = buf[at] * 2 ** 25 + (buf[at + 1] << 17) + (buf[at + 2] << 9) + (buf[at + 3] << 1) + (buf[at + 4] >> 7);
    list.push({ pkt: p, at, base });
  }
  return list;
}

function writePcr(buf, at, base) {
  const x = ((base % 2 ** 33) + 2 ** 33) % 2 ** 33;
  buf[at] = Math.floor(x / 2 ** 25) & 0xff;
  buf[at + 1] = Math.floor(x / 2 ** 17) & 0xff;
  buf[at + 2] = Math.floor(x / 2 ** 9) & 0xff;
  buf[at + 3] = Math.floor(x / 2) & 0xff;
  buf[at + 4] = ((x % 2) << 7) | (buf[at + 4] & 0x7f);
}

/**
 * Move every PES whose PTS is at or after `boundary` (90 kHz) by `delta`
 * ticks, and every PCR from the first such PES on: a splice of the same
 * packets, so a decoder sees the content uninterrupted.
 */
function tsShiftFrom(buf, boundary, delta) {
  const out = Buffer.from(buf);
  const pes = tsPes(out);
  let firstPkt = Infinity;
  let moved = 0;
  for (const p of pes) {
    if (p.ptsAt === null || p.pts < boundary) continue;
    writeTs(out, p.ptsAt, p.pts + delta);
    if (p.dtsAt !== null) writeTs(out, p.dtsAt, p.dts + delta);
    firstPkt = Math.min(firstPkt, p.pkt);
    moved++;
  }
  for (const c of tsPcrs(out)) if (c.pkt >= firstPkt) writePcr(out, c.at, c.base + delta);
  check(moved > 0, 'no PES at or after the splice point');
  return out;
}

/** Blank out (to null packets) every TS packet of the PES units `drop` (from tsPes). */
function tsDropPes(buf, drop) {
  const out = Buffer.from(buf);
  const starts = tsPes(out);
  for (const d of drop) {
    const i = starts.findIndex((s) => s.pkt === d.pkt);
    const next = starts.slice(i + 1).find((s) => s.pid === d.pid);
    const end = next ? next.pkt : out.length;
    for (let p = d.pkt; p < end; p += TS) {
      if ((((out[p + 1] & 0x1f) << 8) | out[p + 2]) !== d.pid) continue;
      out[p + 1] = 0x1f;
      out[p + 2] = 0xff;
    }
  }
  return out;
}

/** Renumber continuity counters per PID (two files put end to end count on). */
function tsRenumberCc(buf) {
  const cc = new Map();
  for (let p = 0; p < buf.length; p += TS) {
    const pid = ((buf[p + 1] & 0x1f) << 8) | buf[p + 2];
    if (pid === 0x1fff || !(((buf[p + 3] >> 4) & 3) & 1)) continue;
    const n = cc.has(pid) ? (cc.get(pid) + 1) & 15 : buf[p + 3] & 15;
    cc.set(pid, n);
    buf[p + 3] = (buf[p + 3] & 0xf0) | n;
  }
  return buf;
}

/** The first video PES's PTS: content time 0 (ffmpeg starts audio's priming frame before it). */
function tsVideoStart(buf) {
  const v = tsPes(buf).find((p) => p.streamId >= 0xe0 && p.streamId <= 0xef && p.ptsAt !== null);
  check(v, 'no video PES');
  return v.pts;
}

// A 16 s A/V TS made in one piece (no B-frames, an IDR at content 8 s, one
// PES per audio frame), cut at content 8 s: 8 s = 375 AAC frames at 48 kHz,
// so the cut falls between audio frames too.
// Made once per corpus directory (.continuous.ts) and kept for every case.
const SPLICE_AT = 8;
function continuousTs(scratch) {
  const out = path.join(scratch, '.continuous.ts');
  if (!fs.existsSync(out)) {
    const tmp = path.join(scratch, '.continuous.tmp.ts');
    encodeSource(tmp, {
      video: [0, 16], audio: [0, 16], scratch,
      args: [...X264(), '-bf', '0', '-g', '50', '-force_key_frames', String(SPLICE_AT), ...AAC(), '-pes_payload_size', '0',
        '-f', 'mpegts'],
    });
    fs.renameSync(tmp, out);
  }
  return fs.readFileSync(out);
}

// ------------------------------------------------------------ Matroska surgery

/** EBML element at `at`: {id, idLen, size, sizeLen, data (offset), end}. */
function ebml(buf, at) {
  const vint = (o, keepMarker) => {
    const b = buf[o];
    let len = 1;
    while (len <= 8 && !(b & (0x80 >> (len - 1)))) len++;
    let v = keepMarker ? b : b & (0xff >> len);
    for (let i = 1; i < len; i++) v = v * 256 + buf[o + i];
    const unknown = !keepMarker && v === 2 ** (7 * len) - 1;
    return { v, len, unknown };
  };
  const id = vint(at, true);
  const size = vint(at + id.len, false);
  const data = at + id.len + size.len;
  return { id: id.v, size: size.unknown ? null : size.v, data, end: size.unknown ? null : data + size.v };
}

/**
 * Move every block at or after `fromMs` (absolute, ms) by `deltaMs`, in
 * place: a cluster holding a moved block gets its Timestamp moved (same
 * byte width; EBML uints may have leading zeros) and the blocks in it that
 * stay keep their time through their 16-bit relative timestamps. Only
 * SimpleBlocks (what ffmpeg writes). Returns the number of blocks moved.
 */
function mkvShiftBlocks(buf, fromMs, deltaMs) {
  const seg = ebml(buf, ebml(buf, 0).end); // EBML header, then Segment
  check(seg.id === 0x18538067, 'no Matroska Segment');
  let moved = 0;
  let at = seg.data;
  const end = seg.end ?? buf.length;
  while (at < end) {
    const el = ebml(buf, at);
    check(el.end !== null, 'Matroska element of unknown size');
    if (el.id === 0x1f43b675) {
      let tc = null;
      const blocks = [];
      for (let c = el.data; c < el.end;) {
        const k = ebml(buf, c);
        if (k.id === 0xe7) {
          tc = k;
          tc.value = 0;
          for (let i = k.data; i < k.end; i++) tc.value = tc.value * 256 + buf[i];
        } else if (k.id === 0xa3) {
          let o = k.data;
          while (!(buf[o] & 0x80)) o++; // track number (a 1-byte vint in practice)
          k.relAt = k.data + (o - k.data) + 1;
          blocks.push(k);
        }
        c = k.end;
      }
      check(tc !== null, 'a Cluster without a Timestamp');
      const abs = blocks.map((b) => tc.value + buf.readInt16BE(b.relAt));
      if (abs.some((t) => t >= fromMs)) {
        let nv = tc.value + deltaMs;
        check(nv >= 0 && nv < 256 ** tc.size, `cluster timestamp ${nv} does not fit ${tc.size} bytes`);
        const newTc = nv;
        for (let i = tc.end - 1; i >= tc.data; i--) { buf[i] = nv % 256; nv = Math.floor(nv / 256); }
        blocks.forEach((b, i) => {
          const t = abs[i] >= fromMs ? abs[i] + deltaMs : abs[i];
          if (abs[i] >= fromMs) moved++;
          const rel = t - newTc;
          check(rel >= -32768 && rel <= 32767, `block at ${abs[i]} ms cannot move`);
          buf.writeInt16BE(rel, b.relAt);
        });
      }
    }
    at = el.end;
  }
  return moved;
}

/** The first video packet's time in a file (s): content time 0. */
function videoStart(file) {
  return packets(file, 'v:0').reduce((m, p) => Math.min(m, p.pts ?? Infinity), Infinity);
}

/**
 * Remux (-c copy) with every packet from content `at` s on moved `by` s
 * (setts on both streams; needs no B-frames and a keyframe there).
 */
function shiftRemux(src, out, at, by, args = []) {
  const from = (videoStart(src) + at - 0.0005).toFixed(4);
  const shift = `setts=pts='if(gte(PTS*TB\\,${from})\\,PTS+${by}/TB\\,PTS)':` +
    `dts='if(gte(PTS*TB\\,${from})\\,DTS+${by}/TB\\,DTS)'`;
  ffmpeg(['-i', src, '-c', 'copy', '-bsf:v', shift, '-bsf:a', shift, ...args, out], `shift ${path.basename(out)}`);
}

// ------------------------------------------------------------ cases

/*
 * Each case: name, what it is (README), how to make it, the expected
 * timeline, notes, and how it was verified. Times: content second k starts
 * at output time t (timeline()); forward gaps keep their length as a held
 * picture and silence; backward jumps and restarts continue right after the
 * content before; audio past the video's end is kept and the video holds
 * its last picture; edit lists apply as players apply them.
 */
function cases() {
  const list = [];
  const add = (name, what, expected, make, notes = '', extra = {}) => list.push({ name, what, expected, make, notes, ...extra });
  const ordinary = (n, extra = {}) => timeline([{ from: 0, to: n, at: 0 }], extra);
  const STRICT = { audioTolerance: 0.005 };
  const LOOSE = { audioTolerance: 0.02 };

  add('ordinary.mp4', '16 s, 25 fps H.264 (x264 veryfast: B-frames, edit list), AAC 48 kHz stereo 256 kb/s (ladder re-encodes it)',
    ordinary(16, STRICT), (f, s) => encodeSource(f, {
      scratch: s, args: [...X264(), '-g', '50', ...AAC(256), '-movflags', '+faststart'],
    }), 'the everyday input; ladder re-encodes audio richer than 1.5x its 128k');
  add('ordinary-44k.mp4', '16 s, 30 fps H.264, AAC 44.1 kHz stereo 128 kb/s (ladder copies it)',
    ordinary(16, STRICT), (f, s) => encodeSource(f, {
      scratch: s, fps: 30, rate: 44100, args: [...X264(), '-g', '60', ...AAC(128), '-movflags', '+faststart'],
    }), 'ladder copies AAC it need not change (audio_plan.c)');
  // The everyday rates of the other e2e tests' inputs, gap-free: they get
  // the same decoded check, audio within 5 ms.
  add('ordinary-2997.mp4', '12 s, 29.97 fps H.264 (B-frames), AAC 48 kHz stereo 128 kb/s (copied)',
    ordinary(12, STRICT), (f, s) => encodeSource(f, {
      scratch: s, fps: 30000 / 1001, video: [0, 12], audio: [0, 12],
      args: [...X264(), '-g', '60', ...AAC(128), '-movflags', '+faststart'],
    }), 'NTSC rate: second boundaries fall between frames (the first frame at or after k shows it)');
  add('ordinary-23976.mkv', '12 s, 23.976 fps H.264 in Matroska (1 ms times), AAC 48 kHz stereo 128 kb/s (copied)',
    ordinary(12, STRICT), (f, s) => encodeSource(f, {
      scratch: s, fps: 24000 / 1001, video: [0, 12], audio: [0, 12], args: [...X264(), '-g', '48', ...AAC(128)],
    }), 'film rate in a 1 ms time base: timestamps jitter by up to half a millisecond');
  add('ordinary-50.ts', '12 s, 50 fps H.264 in MPEG-TS (starts at 1.4 s), MP2 audio 48 kHz stereo (encoded)',
    ordinary(12, STRICT), (f, s) => encodeSource(f, {
      scratch: s, fps: 50, video: [0, 12], audio: [0, 12], args: [...X264(), '-g', '100', '-c:a', 'mp2', '-b:a', '192k'],
    }), 'a broadcast capture without incidents: ladder decodes and encodes its audio');

  // Forward gaps in MPEG-TS: content 0-8 s, then G s of nothing, then 8-16 s.
  for (const G of [1, 2, 4, 6, 9]) {
    add(`gap-${G}s.ts`, `16 s A/V MPEG-TS; at content 8 s both streams' timestamps jump ${G} s forward`,
      timeline([{ from: 0, to: 8, at: 0 }, { from: 8, to: 16, at: 8 + G }], LOOSE), (f, s) => {
        const buf = continuousTs(s);
        fs.writeFileSync(f, tsShiftFrom(buf, tsVideoStart(buf) + SPLICE_AT * 90000, G * 90000));
      }, `held picture (second 7) and silence for ${G} s`);
  }
  for (const J of [2, 4]) {
    add(`jump-back-${J}s.ts`, `16 s A/V MPEG-TS; at content 8 s both streams' timestamps jump ${J} s back (over content already played)`,
      ordinary(16, LOOSE), (f, s) => {
        const buf = continuousTs(s);
        fs.writeFileSync(f, tsShiftFrom(buf, tsVideoStart(buf) + SPLICE_AT * 90000, -J * 90000));
      }, 'the content after the jump continues right after the content before');
  }
  add('restart-0.ts', '16 s A/V MPEG-TS; at content 8 s the timestamps restart at 0 (a splice of a second programme)',
    ordinary(16, LOOSE), (f, s) => {
      const buf = continuousTs(s);
      const at = tsVideoStart(buf) + SPLICE_AT * 90000;
      fs.writeFileSync(f, tsShiftFrom(buf, at, -at));
    }, 'PTS and PCR restart at 0 (PCR briefly wraps below 0 before the first frame)');

  // Audio format changes mid-stream: two TS files end to end, timestamps
  // continuing, no audio frame overlapping another and no hole. The
  // second piece's sound starts at the first piece's last frame boundary
  // at least 12.5 ms before 8 s, and its priming frame is blanked: its first
  // frame, decoded without the one before, is silent for ~10 ms, which falls
  // before 8 s (a short dropout in second 7), and its content from 8 s on
  // decodes whole. The first piece's frames after that boundary are blanked.
  const formatSplice = (f, s, a, b) => {
    const pa = path.join(s, '.splice-a.ts');
    const pb = path.join(s, '.splice-b.ts');
    const common = [...X264(), '-bf', '0', '-g', '50', '-pes_payload_size', '0', '-f', 'mpegts'];
    const frameA = 1024 / (a.rate || 48000);
    const startB = Math.floor((SPLICE_AT - 0.0125) / frameA) * frameA; // content time of B's first sound
    encodeSource(pa, { scratch: s, video: [0, 8], audio: [0, 8], ...a, args: [...AAC(), ...(a.args || []), ...common] });
    encodeSource(pb, { scratch: s, video: [8, 16], audio: [startB, 16], audioOffset: startB - SPLICE_AT, ...b,
      args: [...AAC(), ...(b.args || []), ...common] });
    let A = fs.readFileSync(pa);
    let B = fs.readFileSync(pb);
    const tA = tsVideoStart(A);
    // Line the second piece's content up with the first's (ffmpeg starts
    // a TS at 1.4 s plus whatever the audio priming needs).
    B = tsShiftFrom(B, 0, tA + SPLICE_AT * 90000 - tsVideoStart(B));
    const isAudio = (p) => p.streamId >= 0xc0 && p.streamId <= 0xdf;
    const bFirst = tA + startB * 90000;
    const bPriming = tsPes(B).filter((p) => isAudio(p) && p.pts < bFirst - 2);
    check(bPriming.length === 1, `second piece: ${bPriming.length} audio frames before its first content frame`);
    B = tsDropPes(B, bPriming);
    A = tsDropPes(A, tsPes(A).filter((p) => isAudio(p) && p.pts + frameA * 90000 > bFirst + 2));
    fs.writeFileSync(f, tsRenumberCc(Buffer.concat([A, B])));
    fs.rmSync(pa);
    fs.rmSync(pb);
  };
  add('rate-44k-to-48k.ts', '16 s A/V MPEG-TS; the AAC is 44.1 kHz for 8 s, then 48 kHz (two TS files end to end, timestamps continuous)',
    ordinary(16, LOOSE), (f, s) => formatSplice(f, s, { rate: 44100 }, { rate: 48000 }),
    'the 48 kHz sound starts at 7.964 s, where the 44.1 kHz part\'s frames end; its first ~10 ms decode silent');
  add('stereo-to-5.1.ts', '16 s A/V MPEG-TS; the AAC is stereo for 8 s, then 5.1 (two TS files end to end)',
    ordinary(16, LOOSE), (f, s) => formatSplice(f, s, { channels: 2 },
      { channels: 6, layout: '5.1', silent: [3], args: ['-b:a', '384k'] }), 'the tone is on every 5.1 channel but the LFE');

  // An edit list hiding the first 2 s: one keyframe, cut at 2 s with -c copy.
  add('editlist-hides-2s.mp4', 'H.264 (one keyframe) + AAC cut with ffmpeg -ss 2 -c copy: 12 s of content, the edit list hides the first 2 s',
    timeline([{ from: 2, to: 12, at: 0 }], STRICT), (f, s) => {
      const src = path.join(s, '.editlist-src.mp4');
      encodeSource(src, { scratch: s, video: [0, 12], audio: [0, 12],
        args: [...X264(), '-g', '300', '-keyint_min', '300', '-sc_threshold', '0', ...AAC()] });
      ffmpeg(['-ss', '2', '-i', src, '-c', 'copy', f], 'edit list cut');
      fs.rmSync(src);
    }, 'players start at content 2 s: the 50 frames before are decoded but not shown');

  // AVI with zero-length frames: frames dropped from a 25 fps source, muxed
  // passthrough; the AVI muxer writes an empty chunk for each missing one.
  const DROPPED = [[30, 34], [80, 89], [160, 160], [200, 200]];
  add('avi-zero-length-frames.avi', '12 s MPEG-4 Part 2 + PCM AVI, 25 fps; 17 frames are zero-length chunks (repeat the previous picture), one of them the first frame of second 8',
    ordinary(12, { ...STRICT, videoTimes: { 8: 8.04 } }), (f, s) => encodeSource(f, {
      scratch: s, video: [0, 12], audio: [0, 12],
      args: ['-vf', `select='not(${DROPPED.map(([a, b]) => `between(n\\,${a}\\,${b})`).join('+')})'`, '-fps_mode', 'passthrough',
        '-c:v', 'mpeg4', '-q:v', '3', '-g', '25', '-c:a', 'pcm_s16le'],
    }), 'second 8\'s picture first shows at 8.04 s (its first frame repeats second 7); the PCM sound is on time');

  add('slideshow.mp4', '30 s: H.264 at 0.1 fps (3 pictures: seconds 0, 10, 20) + 30 s AAC',
    timeline([{ from: 0, to: 30, at: 0 }], { ...STRICT, videoCodes: [0, 10, 20], maxSegment: 2 }), (f, s) => encodeSource(f, {
      scratch: s, fps: 0.1, codes: [0, 10, 20], video: [0, 30], audio: [0, 30],
      args: [...X264(), ...AAC(), '-movflags', '+faststart'],
    }), 'the picture changes at 10 and 20 s; 2 s segments with audio throughout');

  add('audio-longer-12s.mp4', 'H.264 8 s + AAC 20 s (the sound goes on 12 s past the last picture)',
    timeline([{ from: 0, to: 20, at: 0 }], { ...STRICT, videoCodes: [0, 1, 2, 3, 4, 5, 6, 7] }), (f, s) => encodeSource(f, {
      scratch: s, video: [0, 8], audio: [0, 20], args: [...X264(), '-g', '50', ...AAC(), '-movflags', '+faststart'],
    }), 'the video holds second 7 until 20 s');

  add('raw-90000fps.h264', 'raw H.264 elementary stream, 250 frames (10 s of content at 25 fps), VUI timing claims 90000 fps, no audio',
    timeline([{ from: 0, to: 10, at: 0 }], {
      ...STRICT, noAudio: true, videoEndRange: [5, 20],
      timesAmbiguous: 'a raw stream has no timestamps and its VUI says 90000 fps: any sane rate is right',
    }),
    (f, s) => encodeSource(f, {
      scratch: s, fps: 90000, codes: frameCodes(0, 10, 25), audio: null, args: [...X264(), '-g', '50', '-f', 'h264'],
    }), 'completeness and order only, and a plausible length (5-20 s: not 2.8 ms, not hours)');
  add('squeezed-300-frames.mp4', 'MP4: 300 frames (10 s of content at 30 fps) within 0.25 ms (timescale 1.2 MHz, 1 tick each) + 10 s AAC',
    timeline([{ from: 0, to: 10, at: 0 }], {
      ...STRICT, videoEndRange: [5, 20],
      timesAmbiguous: 'the frame times are meaningless; re-timed at 30 fps they would match the audio',
    }),
    (f, s) => {
      const src = path.join(s, '.squeeze-src.mp4');
      encodeSource(src, { scratch: s, fps: 30, video: [0, 10], audio: [0, 10], args: [...X264(), '-bf', '0', '-g', '60', ...AAC()] });
      ffmpeg(['-i', src, '-c', 'copy', '-bsf:v', 'setts=ts=N:duration=1:time_base=1/1200000', '-video_track_timescale', '1200000',
        '-movflags', '+faststart', f], 'squeeze');
      fs.rmSync(src);
    }, 'completeness and order only, and a plausible length (5-20 s)');

  // The forward gap and the backward jump in other containers.
  add('gap-4s.mp4', 'MP4 (copy of a 16 s one): at content 8 s both tracks jump 4 s forward (the samples before last 4 s longer)',
    timeline([{ from: 0, to: 8, at: 0 }, { from: 8, to: 16, at: 12 }], LOOSE), (f, s) => {
      const src = path.join(s, '.gap-src.mp4');
      encodeSource(src, { scratch: s, args: [...X264(), '-bf', '0', '-g', '50', '-force_key_frames', '8', ...AAC()] });
      shiftRemux(src, f, SPLICE_AT, 4, ['-movflags', '+faststart']);
      fs.rmSync(src);
    }, 'MP4 has no backward jumps (sample durations are unsigned): no such case');
  add('gap-4s.mkv', 'Matroska: at content 8 s both tracks jump 4 s forward',
    timeline([{ from: 0, to: 8, at: 0 }, { from: 8, to: 16, at: 12 }], LOOSE), (f, s) => {
      const src = path.join(s, '.gap-src.mkv');
      encodeSource(src, { scratch: s, args: [...X264(), '-bf', '0', '-g', '50', '-force_key_frames', '8', ...AAC()] });
      shiftRemux(src, f, SPLICE_AT, 4, ['-fflags', '+bitexact', '-f', 'matroska']);
      fs.rmSync(src);
    }, 'Matroska times are whole ms: the audio is on a 1 ms grid');
  add('jump-back-4s.mkv', 'Matroska: at content 8 s the block timestamps of both tracks jump 4 s back',
    ordinary(16, LOOSE), (f, s) => {
      encodeSource(f, { scratch: s, args: [...X264(), '-bf', '0', '-g', '50', '-force_key_frames', '8', ...AAC(), '-write_crc32', '0', '-fflags', '+bitexact',
        '-f', 'matroska'] });
      const at = Math.round((videoStart(f) + SPLICE_AT) * 1000);
      const buf = fs.readFileSync(f);
      check(mkvShiftBlocks(buf, at, -4000) > 0, 'no Matroska block at or after 8 s');
      fs.writeFileSync(f, buf);
    }, 'made by rewriting Cluster and block timestamps in place (no muxer writes backward jumps)');

  // Variable frame rate under a header that claims a constant one. The
  // pictures are written at each part's own rate and timed by setpts (on a
  // 90 kHz time base), x264 veryfast (B-frames) into MP4, as a camera or an
  // editor's VFR export is. Every picture is presented at its own time:
  // the output has the source's pictures, no more, at the source's times
  // (sameFrames: timeline.test.mjs compares them picture by picture).
  const vfrSource = (f, s, parts, container) => {
    const codes = parts.flatMap((p) => frameCodes(p.from, p.to, p.fps));
    let expr = '';
    let n = 0;
    const pieces = parts.map((p) => {
      const piece = { first: n, from: p.from, fps: p.fps };
      n += Math.round((p.to - p.from) * p.fps);
      return piece;
    });
    for (let i = pieces.length - 1; i >= 0; i--) {
      const p = pieces[i];
      const t = `(${p.from}+(N-${p.first})/${p.fps})`;
      expr = i === pieces.length - 1 ? t : `if(lt(N\\,${pieces[i + 1].first})\\,${t}\\,${expr})`;
    }
    const end = parts[parts.length - 1].to;
    const mp4 = container === 'mp4' ? f : path.join(s, `.${path.basename(f)}.mp4`);
    encodeSource(mp4, {
      scratch: s, fps: parts[0].fps, codes, video: [0, end], audio: [0, end],
      args: ['-vf', `settb=1/90000,setpts='${expr}/TB'`, '-fps_mode', 'passthrough', '-enc_time_base', '1/90000',
        ...X264(), ...AAC(),
        ...(container === 'mp4' ? ['-movflags', '+faststart'] : ['-f', 'mp4'])],
    });
    if (container !== 'mp4') {
      // Remuxed: Matroska states one frame duration, the average, which
      // FFmpeg reads as both rates.
      ffmpeg(['-i', mp4, '-c', 'copy', '-f', 'matroska', f], `remux ${path.basename(f)}`);
      fs.rmSync(mp4);
    }
  };
  add('vfr-30-15.mkv', 'VFR H.264 (30 fps for 8 s, then 15 fps) + AAC, remuxed from MP4 to Matroska: the header claims a constant 22.6 fps (its average frame, in whole ms, as both rates)',
    ordinary(16, STRICT),
    (f, s) => vfrSource(f, s, [{ from: 0, to: 8, fps: 30 }, { from: 8, to: 16, fps: 15 }], 'mkv'),
    'the source\'s 360 pictures at their own times: none held, none added', { sameFrames: true });
  add('vfr-30-15-45.mp4', 'VFR H.264 in MP4 (30 fps for 4 s, 15 fps for 3 s, 45 fps for 3 s, 30 fps for 2 s) + AAC: FFmpeg reads a constant 30 fps (the first pictures\' rate and the average)',
    ordinary(12, STRICT),
    (f, s) => vfrSource(f, s, [{ from: 0, to: 4, fps: 30 }, { from: 4, to: 7, fps: 15 }, { from: 7, to: 10, fps: 45 },
      { from: 10, to: 12, fps: 30 }], 'mp4'),
    'the source\'s 360 pictures at their own times: none held, none added', { sameFrames: true });
  return list;
}

/**
 * The pictures a source presents: {times (seconds from the first, sorted),
 * end (where the last one ends, from the first: its packet's duration, else
 * the stream's end)}, from its packets (those the demuxer marks discarded,
 * an edit list's, are not presented).
 */
export function presentedFrames(file) {
  const j = ffprobe(['-select_streams', 'v:0', '-show_entries',
    'stream=start_time,duration:packet=pts_time,duration_time,flags', file]);
  const p = (j.packets || []).filter((x) => x.pts_time !== undefined && !(x.flags || '').includes('D'));
  const pts = p.map((x) => Number(x.pts_time)).sort((a, b) => a - b);
  const last = p.reduce((m, x) => (Number(x.pts_time) > Number(m.pts_time) ? x : m), p[0]);
  const st = j.streams[0];
  const end = last.duration_time !== undefined ? Number(last.pts_time) + Number(last.duration_time)
    : Number(st.start_time) + Number(st.duration);
  return { times: pts.map((t) => t - pts[0]), end: end - pts[0] };
}

// ------------------------------------------------------------ verification

/** What ffprobe must see in each made file (the corpus is what it says). */
function verify(c) {
  const f = c.path;
  const vj = (min) => jumps(f, 'v:0', min);
  const aj = (min) => jumps(f, 'a:0', min);
  const near = (a, b, tol = 0.1) => Math.abs(a - b) <= tol;
  let m;
  if ((m = /^gap-(\d+)s\.(ts|mp4|mkv)$/.exec(c.name))) {
    const G = Number(m[1]);
    const v = vj(0.5);
    const a = aj(0.5);
    check(v.length === 1 && near(v[0].by, G + 0.04), `${c.name}: video jumps ${JSON.stringify(v)}`);
    check(a.length === 1 && near(a[0].by, G + 0.021), `${c.name}: audio jumps ${JSON.stringify(a)}`);
  } else if ((m = /^jump-back-(\d+)s\.(ts|mkv)$/.exec(c.name))) {
    const J = Number(m[1]);
    const v = vj(0.5);
    const a = aj(0.5);
    check(v.length === 1 && near(v[0].by, -J + 0.04), `${c.name}: video jumps ${JSON.stringify(v)}`);
    check(a.length === 1 && near(a[0].by, -J + 0.021, 0.03), `${c.name}: audio jumps ${JSON.stringify(a)}`);
  } else if (c.name === 'restart-0.ts') {
    const v = vj(0.5);
    check(v.length === 1 && v[0].to < 0.1, `${c.name}: video jumps ${JSON.stringify(v)}`);
  } else if (c.name === 'rate-44k-to-48k.ts' || c.name === 'stereo-to-5.1.ts') {
    // ffprobe 5.1 shows no sample rate per frame: ask the decoder (ashowinfo).
    const r = spawnSync(FFMPEG, ['-hide_banner', '-nostdin', '-v', 'info', '-i', f, '-map', '0:a:0', '-af', 'ashowinfo',
      '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    const kinds = [...new Set([...r.stderr.matchAll(/channels:(\d+) chlayout:\S+ rate:(\d+)/g)].map((x) => `${x[2]}Hz/${x[1]}ch`))];
    check(kinds.length === 2, `${c.name}: audio frames are ${kinds.join(', ')}`);
    check(vj(0.5).length === 0 && aj(0.5).length === 0, `${c.name}: timestamps jump`);
  } else if (c.name === 'editlist-hides-2s.mp4') {
    const s = ffprobe(['-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames,nb_read_frames', f]).streams[0];
    check(Number(s.nb_frames) === 300 && Number(s.nb_read_frames) === 250, `${c.name}: nb_frames ${s.nb_frames}, presented ${s.nb_read_frames}`);
  } else if (c.name === 'avi-zero-length-frames.avi') {
    const buf = fs.readFileSync(f);
    const at = buf.indexOf('idx1', 0, 'latin1');
    let zero = 0;
    for (let o = at + 8; o + 16 <= at + 8 + buf.readUInt32LE(at + 4); o += 16) {
      if (buf.toString('latin1', o, o + 2) === '00' && buf.readUInt32LE(o + 12) === 0) zero++;
    }
    const s = ffprobe(['-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames,nb_read_packets', f]).streams[0];
    check(zero === 17 && Number(s.nb_frames) === 300 && Number(s.nb_read_packets) === 283,
      `${c.name}: ${zero} zero-length chunks in idx1, nb_frames ${s.nb_frames}, demuxed ${s.nb_read_packets}`);
  } else if (c.name === 'raw-90000fps.h264') {
    const s = ffprobe(['-show_entries', 'stream=r_frame_rate', f]).streams[0];
    check(s.r_frame_rate === '90000/1', `${c.name}: r_frame_rate ${s.r_frame_rate}`);
  } else if (c.name === 'squeezed-300-frames.mp4') {
    const p = packets(f, 'v:0');
    check(p.length === 300 && p[299].pts < 0.00025, `${c.name}: ${p.length} frames, last at ${p[p.length - 1].pts}`);
  } else if ((m = /^vfr-([\d-]+)\.(mkv|mp4)$/.exec(c.name))) {
    // The header claims one rate (FFmpeg's two agree), the packets come at
    // each part's.
    const s = ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate,avg_frame_rate', f]).streams[0];
    const rate = (q) => q.split('/').reduce((a, b) => Number(a) / Number(b));
    check(Math.abs(rate(s.r_frame_rate) - rate(s.avg_frame_rate)) < 0.001 * rate(s.r_frame_rate),
      `${c.name}: r_frame_rate ${s.r_frame_rate}, avg_frame_rate ${s.avg_frame_rate}`);
    const { times } = presentedFrames(f);
    const want = m[1].split('-').map(Number);
    const rates = times.slice(1).map((t, i) => want.find((r) => Math.abs(t - times[i] - 1 / r) <= 0.0011));
    check(times.length === 360 && rates.every((r) => r) && want.every((r) => rates.includes(r)),
      `${c.name}: ${times.length} pictures, steps ${[...new Set(times.slice(1).map((t, i) => (t - times[i]).toFixed(4)))]}`);
  } else if (c.name === 'slideshow.mp4') {
    const p = packets(f, 'v:0');
    check(p.length === 3, `${c.name}: ${p.length} pictures`);
  }
}

/**
 * The cases without making them: [{name, what, expected, notes, make}]
 * (make(tmpPath, dir) writes one; makeCase() does it and checks it).
 */
export function listCases() {
  return cases();
}

/** Make one case of listCases() in dir (kept when already there) and check it; returns it with .path. */
export function makeCase(dir, c) {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, c.name);
  if (!fs.existsSync(p)) {
    const tmp = path.join(dir, `.tmp-${c.name}`);
    c.make(tmp, dir);
    fs.renameSync(tmp, p);
    try {
      verify({ ...c, path: p });
    } catch (e) {
      if (process.env.TIMELINE_KEEP_BAD !== '1') fs.rmSync(p, { force: true });
      throw e;
    }
  }
  return { ...c, path: p };
}

/** Write every case into dir; returns [{name, path, expected, notes, what}]. */
export function makeCorpus(dir) {
  return cases().map((c) => {
    const { make, ...made } = makeCase(dir, c);
    return made;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node tests/timeline/make_corpus.mjs DIR');
    process.exit(2);
  }
  for (const c of makeCorpus(dir)) {
    console.log(`${c.name}\t${fs.statSync(c.path).size}\t${c.what}`);
  }
}
