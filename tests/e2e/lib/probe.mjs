// ffprobe helpers (spawnSync with argv arrays, never a shell) and a little
// ISO-BMFF reading for what ffprobe does not show (avcC bytes, NAL types).
//
// CMAF segments are probed the way a player sees them: init.mp4 and the
// segments are concatenated byte for byte into a temp file; packets are then
// attributed to segments by their byte position (ffprobe's packet "pos"),
// and a segment's start time is the earliest pts of its packets, which the
// mov demuxer derives from the fragment's tfdt.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './util.mjs';

const FFPROBE = process.env.FFPROBE || 'ffprobe';

let scratch = null;
function scratchDir() {
  if (!scratch) scratch = makeTempDir('ladder-e2e-probe-');
  return scratch;
}
let scratchSeq = 0;

/** Run ffprobe with -of json; returns the parsed object (throws on failure). */
export function ffprobeJson(args, { allowStderr = true } = {}) {
  const argv = ['-hide_banner', '-v', 'error', '-of', 'json', ...args];
  const r = spawnSync(FFPROBE, argv, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
  if (r.error) throw new Error(`ffprobe could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ffprobe ${JSON.stringify(argv)} failed (${r.status}): ${r.stderr}`);
  if (!allowStderr && r.stderr.trim()) throw new Error(`ffprobe reported errors for ${JSON.stringify(argv)}: ${r.stderr}`);
  const obj = JSON.parse(r.stdout || '{}');
  obj.__stderr = r.stderr;
  return obj;
}

const num = (v) => (v === undefined || v === null || v === 'N/A' ? null : Number(v));

/** All streams of a file, as ffprobe reports them. */
export function probeStreams(file) {
  return ffprobeJson(['-show_streams', file]).streams || [];
}

export function probeFormat(file) {
  return ffprobeJson(['-show_format', file]).format || {};
}

export function videoStream(file) {
  return probeStreams(file).find((s) => s.codec_type === 'video') || null;
}

export function audioStream(file) {
  return probeStreams(file).find((s) => s.codec_type === 'audio') || null;
}

/** Number of video packets (= frames for H.264 in mp4/mkv) in a file. */
export function countVideoFrames(file) {
  const j = ffprobeJson(['-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets', file]);
  const s = (j.streams || [])[0];
  if (!s) throw new Error(`no video stream in ${file}`);
  return Number(s.nb_read_packets);
}

/**
 * Packets of one stream in demux order:
 * [{pts, dts, duration, size, pos, key}] (times in seconds).
 */
export function probePackets(file, select = 'v:0') {
  const j = ffprobeJson(['-select_streams', select, '-show_entries',
    'packet=pts_time,dts_time,duration_time,size,pos,flags', file]);
  const packets = (j.packets || []).map((p) => ({
    pts: num(p.pts_time), dts: num(p.dts_time), duration: num(p.duration_time),
    size: Number(p.size), pos: num(p.pos), key: (p.flags || '').includes('K'),
    discard: (p.flags || '').includes('D'),
  }));
  // A missing duration (some muxers leave the first one out) is the gap to
  // the next packet in presentation order.
  const byPts = packets.filter((p) => p.pts !== null).sort((a, b) => a.pts - b.pts);
  byPts.forEach((p, i) => {
    if (p.duration === null && i + 1 < byPts.length) p.duration = byPts[i + 1].pts - p.pts;
  });
  return packets;
}

/** Decoded frames: [{pts, key, pictType, width, height, duration}]. */
export function probeFrames(file, select = 'v:0') {
  const j = ffprobeJson(['-select_streams', select, '-show_frames', '-show_entries',
    'frame=pts_time,best_effort_timestamp_time,key_frame,pict_type,width,height,pkt_duration_time,pix_fmt', file]);
  return (j.frames || []).map((f) => ({
    pts: num(f.pts_time ?? f.best_effort_timestamp_time), key: f.key_frame === 1,
    pictType: f.pict_type, width: f.width, height: f.height, duration: num(f.pkt_duration_time),
    pixFmt: f.pix_fmt,
  }));
}

/**
 * Decode a whole stream with -v error: {frames, errors} where errors is the
 * decoder's stderr (empty when the stream decodes cleanly).
 */
export function decodeCheck(file, select = 'v:0') {
  const argv = ['-hide_banner', '-v', 'error', '-count_frames', '-select_streams', select,
    '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', file];
  const r = spawnSync(FFPROBE, argv, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.error) throw new Error(`ffprobe could not run: ${r.error.message}`);
  let frames = null;
  let width = null;
  let height = null;
  try {
    const s = JSON.parse(r.stdout).streams[0];
    frames = Number(s.nb_read_frames);
    width = s.width;
    height = s.height;
  } catch { /* reported through errors */ }
  return { frames, width, height, errors: r.stderr.trim(), status: r.status };
}

/** Binary concatenation of files into a new temp file; returns {path, ranges}. */
export function concatFiles(files, name = 'concat.mp4') {
  const out = path.join(scratchDir(), `${++scratchSeq}-${name}`);
  const fd = fs.openSync(out, 'w');
  const ranges = [];
  let offset = 0;
  try {
    for (const f of files) {
      const buf = fs.readFileSync(f);
      fs.writeSync(fd, buf);
      ranges.push({ file: f, start: offset, end: offset + buf.length });
      offset += buf.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { path: out, ranges };
}

/**
 * Probe one CMAF rendition: init + every segment, concatenated.
 * Returns {concat, stream, segments:[{file, packets, start, end, duration,
 * frames, firstKey, bytes}], packets, totalDuration}.
 * `end` is the start of the next segment (or, for the last one, the end of
 * its last packet); duration = end - start.
 */
export function probeRendition(initPath, segPaths, select = 'v:0') {
  const { path: cat, ranges } = concatFiles([initPath, ...segPaths], `${path.basename(path.dirname(initPath))}.mp4`);
  const stream = probeStreams(cat).find((s) => (select.startsWith('v') ? s.codec_type === 'video' : s.codec_type === 'audio')) || null;
  const packets = probePackets(cat, select);
  const init = parseInit(initPath);
  const segments = segPaths.map((f, i) => {
    const t = parseSegmentTiming(f, init);
    return {
      file: f, index: i, range: ranges[i + 1], packets: [], bytes: ranges[i + 1].end - ranges[i + 1].start,
      timing: t, mediaDuration: t.durationTicks / init.timescale,
    };
  });
  const unplaced = [];
  for (const p of packets) {
    const seg = segments.find((s) => p.pos !== null && p.pos >= s.range.start && p.pos < s.range.end);
    if (seg) seg.packets.push(p); else unplaced.push(p);
  }
  for (const s of segments) {
    // Discarded packets (edit list: e.g. AAC priming) are not presented and
    // do not count towards start times or durations; they still count as
    // samples (frames) of the segment.
    const shown = s.packets.filter((p) => p.pts !== null && !p.discard);
    s.frames = s.packets.length;
    s.discarded = s.packets.filter((p) => p.discard).length;
    s.start = shown.length ? Math.min(...shown.map((p) => p.pts)) : null;
    s.lastEnd = shown.length ? Math.max(...shown.map((p) => p.pts + (p.duration || 0))) : null;
    s.firstKey = s.packets.length ? s.packets[0].key : false;
    s.firstPts = s.packets.length ? s.packets[0].pts : null;
  }
  // A segment lasts until the next one starts.  The last one lasts the sum
  // of its sample durations (moof/trun: what a player appends), less any
  // samples an edit list discards; demuxed packets may carry no durations.
  for (const s of segments) {
    s.shownMediaDuration = s.timing.durations.slice(s.discarded).reduce((a, b) => a + b, 0) / init.timescale;
  }
  segments.forEach((s, i) => {
    const next = segments[i + 1];
    if (s.start === null) {
      s.end = null;
      s.duration = null;
    } else if (next && next.start !== null) {
      s.end = next.start;
      s.duration = s.end - s.start;
    } else {
      s.duration = s.timing.sampleCount === s.frames ? s.shownMediaDuration : s.lastEnd - s.start;
      s.end = s.start + s.duration;
    }
  });
  const first = segments.find((s) => s.start !== null);
  const last = [...segments].reverse().find((s) => s.end !== null);
  return {
    concat: cat, stream, segments, packets, unplaced, init,
    start: first ? first.start : null,
    // The CMAF timeline players use: the first fragment's tfdt. With
    // negative composition offsets (trun v1) tfdt is the first frame's
    // presentation time, while ffprobe 5.1's mov demuxer shifts every pts by
    // the largest negative offset (two frames with B-pyramids).
    timelineStart: segments.length && segments[0].timing.baseDecodeTime !== null
      ? segments[0].timing.baseDecodeTime / init.timescale : null,
    end: last ? last.end : null,
    totalDuration: first && last ? last.end - first.start : 0,
  };
}

// ------------------------------------------------------------ ISO BMFF bits

/** Top-level (or nested, within [start,end)) boxes of a buffer. */
export function readBoxes(buf, start = 0, end = buf.length) {
  const boxes = [];
  let off = start;
  while (off + 8 <= end) {
    let size = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = end - off;
    }
    if (size < header || off + size > end) {
      boxes.push({ type, start: off, size, header, truncated: true });
      break;
    }
    boxes.push({ type, start: off, size, header, payloadStart: off + header, end: off + size });
    off += size;
  }
  return boxes;
}

const hex2 = (n) => n.toString(16).padStart(2, '0');

/**
 * Parse the avcC box of an init segment: {profile, compat, level,
 * codecString ("avc1.64001f"), lengthSize, sps:[Buffer], pps:[Buffer]}.
 * Returns null when there is no avcC (not H.264).
 */
export function parseAvcC(initPath) {
  const buf = fs.readFileSync(initPath);
  const at = buf.indexOf(Buffer.from('avcC', 'latin1'));
  if (at < 4) return null;
  const size = buf.readUInt32BE(at - 4);
  const p = at + 4;
  const end = at - 4 + size;
  const profile = buf[p + 1];
  const compat = buf[p + 2];
  const level = buf[p + 3];
  const lengthSize = (buf[p + 4] & 3) + 1;
  let off = p + 5;
  const nsps = buf[off] & 0x1f;
  off += 1;
  const sps = [];
  for (let i = 0; i < nsps; i++) {
    const len = buf.readUInt16BE(off);
    sps.push(Buffer.from(buf.subarray(off + 2, off + 2 + len)));
    off += 2 + len;
  }
  const npps = buf[off];
  off += 1;
  const pps = [];
  for (let i = 0; i < npps && off < end; i++) {
    const len = buf.readUInt16BE(off);
    pps.push(Buffer.from(buf.subarray(off + 2, off + 2 + len)));
    off += 2 + len;
  }
  // Sample entry type just before: avc1 or avc3 (in-band parameter sets).
  const sampleEntry = buf.includes(Buffer.from('avc3', 'latin1')) ? 'avc3' : 'avc1';
  return {
    profile, compat, level, lengthSize, sps, pps, sampleEntry,
    codecString: `${sampleEntry}.${hex2(profile)}${hex2(compat)}${hex2(level)}`,
  };
}

/** NAL unit type from a unit's first byte(s), per codec. */
export const NAL_TYPE = {
  h264: (buf, off) => buf[off] & 0x1f,
  hevc: (buf, off) => (buf[off] >> 1) & 0x3f,
};

/**
 * NAL units of a media segment's mdat(s), assuming one track per segment
 * (CMAF): [{type, data}] in order (type: NAL_TYPE.h264 unless told).
 */
export function segmentNals(segPath, lengthSize = 4, nalType = NAL_TYPE.h264) {
  const buf = fs.readFileSync(segPath);
  const nals = [];
  for (const box of readBoxes(buf)) {
    if (box.type !== 'mdat' || box.truncated) continue;
    let off = box.payloadStart;
    while (off + lengthSize <= box.end) {
      let len = 0;
      for (let i = 0; i < lengthSize; i++) len = len * 256 + buf[off + i];
      off += lengthSize;
      if (len === 0 || off + len > box.end) {
        nals.push({ type: -1, data: null, error: `bad NAL length ${len} at ${off}` });
        break;
      }
      nals.push({ type: nalType(buf, off), data: buf.subarray(off, off + len) });
      off += len;
    }
  }
  return nals;
}

/** First box of `type` along a path of nested boxes, e.g. ['moov','trak','mdia','mdhd']. */
export function findBox(buf, types, start = 0, end = buf.length) {
  let box = null;
  let s = start;
  let e = end;
  for (const t of types) {
    box = readBoxes(buf, s, e).find((b) => b.type === t && !b.truncated);
    if (!box) return null;
    s = box.payloadStart;
    e = box.end;
  }
  return box;
}

/** Timescale (mdhd) and trex default sample duration of a one-track init segment. */
export function parseInit(initPath) {
  const buf = fs.readFileSync(initPath);
  const mdhd = findBox(buf, ['moov', 'trak', 'mdia', 'mdhd']);
  if (!mdhd) throw new Error(`${initPath}: no moov/trak/mdia/mdhd`);
  const v = buf[mdhd.payloadStart];
  const timescale = buf.readUInt32BE(mdhd.payloadStart + (v === 1 ? 20 : 12));
  const trex = findBox(buf, ['moov', 'mvex', 'trex']);
  const trexDefaultDuration = trex ? buf.readUInt32BE(trex.payloadStart + 12) : 0;
  const elst = findBox(buf, ['moov', 'trak', 'edts', 'elst']);
  return { timescale, trexDefaultDuration, hasEditList: !!elst };
}

/**
 * Sample timing of a media segment from its moof(s): {baseDecodeTime,
 * sampleCount, durationTicks, durations[]} (ticks of the init timescale).
 */
export function parseSegmentTiming(segPath, init) {
  const buf = fs.readFileSync(segPath);
  let baseDecodeTime = null;
  let sampleCount = 0;
  let durationTicks = 0;
  let firstCompositionOffset = null;
  const durations = [];
  for (const moof of readBoxes(buf).filter((b) => b.type === 'moof' && !b.truncated)) {
    for (const traf of readBoxes(buf, moof.payloadStart, moof.end).filter((b) => b.type === 'traf')) {
      const kids = readBoxes(buf, traf.payloadStart, traf.end);
      let defaultDuration = init.trexDefaultDuration;
      const tfhd = kids.find((b) => b.type === 'tfhd');
      if (tfhd) {
        const flags = buf.readUInt32BE(tfhd.payloadStart) & 0xffffff;
        let o = tfhd.payloadStart + 8; // version/flags, track_ID
        if (flags & 0x01) o += 8; // base-data-offset
        if (flags & 0x02) o += 4; // sample-description-index
        if (flags & 0x08) defaultDuration = buf.readUInt32BE(o);
      }
      const tfdt = kids.find((b) => b.type === 'tfdt');
      if (tfdt && baseDecodeTime === null) {
        const v = buf[tfdt.payloadStart];
        baseDecodeTime = v === 1 ? Number(buf.readBigUInt64BE(tfdt.payloadStart + 4)) : buf.readUInt32BE(tfdt.payloadStart + 4);
      }
      for (const trun of kids.filter((b) => b.type === 'trun')) {
        const version = buf[trun.payloadStart];
        const flags = buf.readUInt32BE(trun.payloadStart) & 0xffffff;
        const count = buf.readUInt32BE(trun.payloadStart + 4);
        let o = trun.payloadStart + 8;
        if (flags & 0x01) o += 4; // data-offset
        if (flags & 0x04) o += 4; // first-sample-flags
        for (let i = 0; i < count; i++) {
          let d = defaultDuration;
          if (flags & 0x100) { d = buf.readUInt32BE(o); o += 4; }
          if (flags & 0x200) o += 4;
          if (flags & 0x400) o += 4;
          if (flags & 0x800) {
            // version 1: signed offsets (B-frames shown before they decode)
            const c = version === 1 ? buf.readInt32BE(o) : buf.readUInt32BE(o);
            if (firstCompositionOffset === null) firstCompositionOffset = c;
            o += 4;
          } else if (firstCompositionOffset === null) {
            firstCompositionOffset = 0;
          }
          durations.push(d);
          durationTicks += d;
        }
        sampleCount += count;
      }
    }
  }
  return { baseDecodeTime, sampleCount, durationTicks, durations, firstCompositionOffset };
}

/** Top-level box types of a file, e.g. ['styp','moof','mdat']. */
export function boxTypes(file) {
  return readBoxes(fs.readFileSync(file)).map((b) => b.type);
}

/** RFC 6381 codec string of an AAC stream from ffprobe's profile. */
export function aacCodecString(stream) {
  if (!stream || stream.codec_name !== 'aac') return null;
  const aot = { LC: 2, 'HE-AAC': 5, 'HE-AACv2': 29, Main: 1, LTP: 4, SSR: 3 }[stream.profile];
  return aot ? `mp4a.40.${aot}` : null;
}

/** ffprobe rate "30000/1001" -> number */
export function rateValue(r) {
  if (!r || r === '0/0') return null;
  const [n, d] = String(r).split('/').map(Number);
  return d ? n / d : n;
}
