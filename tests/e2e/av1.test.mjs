// AV1 (libsvtav1) rungs, end to end: a two-rung AV1 ladder from --codec av1
// and a ladder file mixing an H.264 rung into an AV1 ladder.
//
// Each AV1 rendition must be an 'av01' track whose av1C carries the
// sequence header OBU that every segment's first key frame carries in band
// (ladder takes it from a pre-flight encode, not from SVT-AV1's extradata,
// which differs), every segment must start with a key frame, every rung
// must keep every source frame and be cut at the same instants, and CODECS
// (HLS), codecs (DASH) and report.json must all carry the AV1-ISOBMFF
// string that the av1C implies ("av01.P.LLT.DD", built here from the av1C
// header, independently of ladder's sequence header parser). Playback:
// headless Chromium decodes AV1 (dav1d), so hls.js must play every level.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { checkAligned, kbpsOf, okCase, runCodecCase } from './lib/codec_case.mjs';
import { describeRun, encode, runLadder } from './lib/ladder.mjs';
import { cfrClip } from './lib/media.mjs';
import {
  assertPlayedEverything, assertShakaPlayedEverything, describeDashPlayback, playDash, playHls, playShaka,
} from './lib/player.mjs';
import { findBox, readBoxes } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-av1-');
const runCase = (name, srcOpts, args) =>
  runCodecCase(work, name, srcOpts, args, { configKey: 'av1', parseConfig: parseAv1C });
// SVT-AV1 1.4 on a 6 s clip (three 2 s chunks, every one ABR with the
// rung's correction, see engine/rate_control.c). 10 % leaves room for
// content and moof bytes.
const RATE_TOLERANCE = 0.10;
const OBU_SEQUENCE_HEADER = 1;
const OBU_FRAME_HEADER = 3;
const OBU_FRAME = 6;


/** leb128 at off: {value, len}. */
function leb128(buf, off) {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    assert.ok(off + i < buf.length, 'leb128 runs past the end');
    value += (buf[off + i] & 0x7f) * 2 ** (7 * i);
    if (!(buf[off + i] & 0x80)) return { value, len: i + 1 };
  }
  throw new Error('leb128 longer than 8 bytes');
}

/** OBUs (all with size fields) from off to end: [{type, bytes, payload}]. */
function obus(buf, off, end, stopAtFrame = false) {
  const out = [];
  while (off < end) {
    const h = buf[off];
    assert.equal(h & 0x80, 0, `forbidden bit set at ${off}`);
    const type = (h >> 3) & 0x0f;
    const ext = (h >> 2) & 1;
    assert.equal((h >> 1) & 1, 1, `OBU without a size field at ${off}`);
    const { value, len } = leb128(buf, off + 1 + ext);
    const start = off + 1 + ext + len;
    out.push({ type, bytes: buf.subarray(off, start + value), payload: buf.subarray(start, start + value) });
    off = start + value;
    if (stopAtFrame && (type === OBU_FRAME || type === OBU_FRAME_HEADER)) break;
  }
  return out;
}

/**
 * The init segment's sample entry and its av1C: {entry, av1C: {profile,
 * level, tier, bitDepth, mono, seqHeader (the OBU payload)}, codecString}.
 */
function parseAv1C(initPath) {
  const buf = fs.readFileSync(initPath);
  const stsd = findBox(buf, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  assert.ok(stsd, `${initPath}: no stsd`);
  const [entry] = readBoxes(buf, stsd.payloadStart + 8, stsd.end);
  assert.ok(entry && !entry.truncated, `${initPath}: no sample entry`);
  const children = readBoxes(buf, entry.payloadStart + 78, entry.end);
  const box = children.find((b) => b.type === 'av1C' && !b.truncated);
  if (!box) return { entry: entry.type, children: children.map((b) => b.type), av1C: null };
  const p = buf.subarray(box.payloadStart, box.end);
  assert.equal(p[0], 0x81, `${initPath}: av1C marker/version`);
  const av1C = {
    profile: p[1] >> 5, level: p[1] & 0x1f, tier: p[2] >> 7,
    bitDepth: (p[2] >> 6) & 1 ? ((p[2] >> 5) & 1 ? 12 : 10) : 8, mono: (p[2] >> 4) & 1,
    subX: (p[2] >> 3) & 1, subY: (p[2] >> 2) & 1,
  };
  const config = obus(p, 4, p.length);
  const seq = config.filter((o) => o.type === OBU_SEQUENCE_HEADER);
  assert.equal(seq.length, 1, `${initPath}: av1C configOBUs hold ${seq.length} sequence headers`);
  av1C.seqHeader = Buffer.from(seq[0].payload);
  const pad = (n) => String(n).padStart(2, '0');
  const codecString = `av01.${av1C.profile}.${pad(av1C.level)}${av1C.tier ? 'H' : 'M'}.${pad(av1C.bitDepth)}`;
  return { entry: entry.type, av1C, codecString };
}

/** The OBUs of a segment's first sample, up to its first frame OBU. */
function firstSampleObus(segPath) {
  const buf = fs.readFileSync(segPath);
  const mdat = readBoxes(buf).find((b) => b.type === 'mdat' && !b.truncated);
  assert.ok(mdat, `${segPath}: no mdat`);
  return obus(buf, mdat.payloadStart, mdat.end, true);
}




/** Every check of one AV1 rendition. */
function checkAv1Rendition(ctx, v) {
  const name = v.variant.name;
  const st = v.probe.stream;
  assert.equal(st.codec_name, 'av1', `${name}: codec`);
  assert.equal(st.codec_tag_string, 'av01', `${name}: sample entry tag`);
  assert.equal(st.pix_fmt, 'yuv420p', `${name}: pixel format`);
  assert.equal(v.av1.entry, 'av01', `${name}: sample entry`);
  assert.ok(v.av1.av1C, `${name}: no av1C in the sample entry (children: ${v.av1.children})`);
  assert.equal(v.av1.av1C.profile, 0, `${name}: an 8-bit 4:2:0 rung is Main (seq_profile 0)`);
  assert.equal(v.av1.av1C.bitDepth, 8, `${name}: bit depth`);
  assert.deepEqual([v.av1.av1C.subX, v.av1.av1C.subY, v.av1.av1C.mono], [1, 1, 0], `${name}: 4:2:0`);
  assert.equal(Number(st.level), v.av1.av1C.level, `${name}: ffprobe level ${st.level} vs av1C`);
  // The strings every manifest and the report carry.
  assert.equal(v.variant.attrs.CODECS.split(',')[0], v.av1.codecString, `${name}: HLS CODECS "${v.variant.attrs.CODECS}"`);
  assert.match(v.av1.codecString, /^av01\.0\.\d\d[MH]\.08$/, `${name}: codec string`);
  assert.equal(ctx.mpd[name], v.av1.codecString, `${name}: DASH codecs`);
  assert.equal(v.report.codecs, v.av1.codecString, `${name}: report.json codecs`);
  // Every segment: key frame first, carrying in band exactly the sequence
  // header of the av1C.
  assert.deepEqual(v.probe.unplaced, [], `${name}: packets outside every segment`);
  for (const s of v.probe.segments) {
    const seg = `${name}/${path.basename(s.file)}`;
    assert.ok(s.frames > 0 && s.firstKey, `${seg}: first packet is not a key frame`);
    assert.equal(s.timing.firstCompositionOffset, 0, `${seg}: first composition offset`);
    const first = firstSampleObus(s.file);
    const seq = first.filter((o) => o.type === OBU_SEQUENCE_HEADER);
    assert.equal(seq.length, 1, `${seg}: first key frame carries ${seq.length} sequence headers (OBU types ${first.map((o) => o.type)})`);
    assert.ok(Buffer.from(seq[0].payload).equals(v.av1.av1C.seqHeader),
      `${seg}: in-band sequence header ${Buffer.from(seq[0].payload).toString('hex')} != av1C's ${v.av1.av1C.seqHeader.toString('hex')}`);
  }
  const frames = v.probe.segments.reduce((n, s) => n + s.frames, 0);
  assert.equal(frames, ctx.srcFrames, `${name}: ${frames} frames, source has ${ctx.srcFrames}`);
  assert.equal(v.report.frames, frames, `${name}: report frames`);
  assert.equal(v.report.segments, v.probe.segments.length, `${name}: report segments`);
  assert.equal(v.report.invariant_requeues, 0, `${name}: requeues without a fault`);
  assert.equal(v.report.state, 'completed', `${name}: state`);
}



describe('--codec av1: a two-rung AV1 ladder', () => {
  let ctx = null;
  let playback = null;
  before(async () => {
    ctx = await runCase('all-av1', { width: 320, height: 180, duration: 6 },
      ['--codec', 'av1', '--preset', 'ultrafast', '--rung', '320x180:300k', '--rung', '160x90:crf40']);
    if (ctx.run.code === 0) {
      const expectLevels = ctx.video.map((v) => ({ width: v.probe.stream.width, height: v.probe.stream.height }));
      playback = {
        expectLevels,
        result: await playHls(ctx.outDir, { expectLevels }),
        dash: await playDash(ctx.outDir, { forceEach: true }),
        shaka: await playShaka(ctx.outDir, { forceEach: true }),
      };
    }
  });

  it('exits 0 and writes two AV1 renditions plus audio', () => {
    okCase(ctx);
    assert.equal(ctx.video.length, 2, ctx.out.master.lines.join('\n'));
    assert.ok(ctx.out.audio, 'audio rendition');
  });

  it('every rendition: av01 + av1C = in-band sequence header, key-frame-started segments, every frame, codec strings', () => {
    okCase(ctx);
    for (const v of ctx.video) checkAv1Rendition(ctx, v);
  });

  it('master CODECS pairs the AV1 string with the audio codec', () => {
    okCase(ctx);
    for (const v of ctx.video) assert.deepEqual(v.variant.attrs.CODECS.split(','), [v.av1.codecString, 'mp4a.40.2']);
  });

  it('segments are aligned across rungs', () => {
    checkAligned(okCase(ctx));
  });

  it(`the 300k rung lands within ${RATE_TOLERANCE * 100} % of its target, every chunk ABR`, () => {
    okCase(ctx);
    const v = ctx.video.find((x) => x.probe.stream.width === 320);
    const kbps = kbpsOf(ctx, v);
    console.log(`# ${v.variant.name}: ${kbps.toFixed(1)} kb/s for 300 kb/s, ${JSON.stringify(v.report.rate_control)}`);
    assert.ok(Math.abs(kbps / 300 - 1) <= RATE_TOLERANCE,
      `${v.variant.name}: ${kbps.toFixed(1)} kb/s for 300 kb/s (${((kbps / 300 - 1) * 100).toFixed(1)} %)`);
    const rc = v.report.rate_control;
    assert.equal(rc.abr_chunks, v.report.chunks, `${v.variant.name}: ${JSON.stringify(rc)}`);
    assert.equal(rc.crf_chunks, 0, `${v.variant.name}: ${JSON.stringify(rc)}`);
  });

  it('hls.js in Chromium plays every AV1 level', () => {
    okCase(ctx);
    assertPlayedEverything(assert, playback.result, { expectLevels: playback.expectLevels, expectAudio: true });
  });

  it('dash.js plays the AV1 MPD to the end and shows every Representation', () => {
    okCase(ctx);
    const d = playback.dash;
    const info = `\n${describeDashPlayback(d)}`;
    assert.equal(d.setupError, null, info);
    assert.deepEqual(d.errors, [], `dash.js errors${info}`);
    assert.deepEqual(d.videoErrors, [], `video errors${info}`);
    assert.ok(d.ended, `did not reach the end${info}`);
    assert.equal(d.forced.length, playback.expectLevels.length, info);
    for (const f of d.forced) assert.ok(f.ok, `${f.id} ${f.width}x${f.height} did not play at its size${info}`);
  });

  it('shaka-player plays the AV1 MPD to the end and shows every Representation', () => {
    okCase(ctx);
    assertShakaPlayedEverything(assert, playback.shaka, { expectSizes: playback.expectLevels });
  });
});

describe('ladder file: top-level "codec": "av1", one rung "codec": "h264"', () => {
  let ctx = null;
  before(async () => {
    const file = path.join(work, 'mixed.json');
    fs.writeFileSync(file, JSON.stringify({
      codec: 'av1',
      rungs: [
        { name: 'avc', height: 180, bitrate: '300k', codec: 'h264' },
        { name: 'av1', height: 180, crf: 40, profile: 'main' },
      ],
    }));
    ctx = await runCase('mixed', { width: 320, height: 180, duration: 2, audio: false },
      ['--preset', 'ultrafast', '--ladder', file]);
  });

  it('the h264 rung is avc1, the av1 rung a complete av01 rendition, cut at the same instants', () => {
    okCase(ctx);
    const avc = ctx.video.find((x) => x.variant.name === 'avc');
    assert.equal(avc.probe.stream.codec_name, 'h264');
    assert.equal(avc.report.codecs, avc.avcC.codecString);
    checkAv1Rendition(ctx, ctx.video.find((x) => x.variant.name === 'av1'));
    checkAligned(ctx);
  });
});

describe('--codec av1 odds and ends', () => {
  it('`ladder encode --codec av1 --help` exits 0 (ladder bench probes it)', async () => {
    const r = await runLadder(['encode', '--codec', 'av1', '--help'], { lock: false });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /av1 \(libsvtav1, av01\)/);
  });

  it('--test-invariant-fault: a chunk whose in-band sequence header differs is requeued; the output stays consistent', async () => {
    const ctx = await runCase('fault', { width: 320, height: 180, duration: 4, audio: false },
      ['--codec', 'av1', '--preset', 'ultrafast', '--rung', '320x180:300k', '--test-invariant-fault', '2']);
    okCase(ctx);
    const v = ctx.video[0];
    assert.ok(v.report.invariant_requeues >= 1, JSON.stringify(v.report));
    // Every segment still carries the av1C's sequence header (the check
    // inside checkAv1Rendition, minus its no-requeue assertion).
    checkAv1Rendition(ctx, { ...v, report: { ...v.report, invariant_requeues: 0 } });
  });

  it('an H.264 profile on an AV1 rung is a bad ladder (6)', async () => {
    const source = await cfrClip('30', { width: 320, height: 180, duration: 2, audio: false });
    const r = await encode(source.path, path.join(work, 'refused-profile'),
      ['--codec', 'av1', '--rung', '320x180:200k:profile=high', '--progress', 'none']);
    assert.equal(r.code, 6, describeRun(r));
    assert.match(r.stderr, /not an AV1 profile/);
  });
});
