// The DASH output: manifest.mpd is well-formed XML, names exactly the CMAF
// files the HLS playlists name (no second copy of the media), states every
// Representation's size, codecs, frame rate and bandwidth as the bitstreams
// have them, and its SegmentTimeline matches the fragments' tfdt/trun tick
// for tick on the init segments' mdhd timescale; dash.js plays it to the
// end in headless Chromium. --format (and "format" in a ladder file)
// selects the manifests; an unknown name is a usage error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput, stderrLines } from './lib/ladder.mjs';
import { cfrClip, makeMedia } from './lib/media.mjs';
import { assertShakaPlayedEverything, describeDashPlayback as describePlayback, playDash, playShaka } from './lib/player.mjs';
import { aacCodecString, parseAvcC, parseInit, probeRendition } from './lib/probe.mjs';
import { makeTempDir, walkFiles } from './lib/util.mjs';

const XMLLINT = process.env.XMLLINT || 'xmllint';

// ------------------------------------------------------------ the MPD

/** xmllint --noout: '' when the file is well-formed XML, else its complaint. */
function xmllintProblems(file) {
  const r = spawnSync(XMLLINT, ['--noout', '--nonet', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint could not run (apt-get install libxml2-utils): ${r.error.message}`);
  return r.status === 0 ? '' : (r.stderr || `exit ${r.status}`);
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s) => s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e) => {
  if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  if (!(e in ENTITIES)) throw new Error(`unknown entity ${m}`);
  return ENTITIES[e];
});

/**
 * Element tree of a document that xmllint has already accepted:
 * {name, attrs, children}. Namespace prefixes are kept in names (the MPD
 * uses a default namespace); text other than white space is refused, the
 * MPD has none.
 */
function parseXml(text) {
  const doc = { name: '#document', attrs: {}, children: [] };
  const stack = [doc];
  const token = /<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gy;
  let m;
  while (token.lastIndex < text.length && (m = token.exec(text)) !== null) {
    if (m[1]) {
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new Error(`</${m[1]}> closes <${open && open.name}>`);
    } else if (m[2]) {
      const el = { name: m[2], attrs: {}, children: [] };
      for (const a of m[3].matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        el.attrs[a[1]] = unescapeXml(a[2] ?? a[3]);
      }
      stack[stack.length - 1].children.push(el);
      if (!m[4]) stack.push(el);
    } else if (m[5] !== undefined && m[5].trim()) {
      throw new Error(`unexpected text ${JSON.stringify(m[5].slice(0, 40))}`);
    }
  }
  if (token.lastIndex !== text.length || stack.length !== 1) throw new Error('unparsed XML');
  return doc;
}

const kids = (el, name) => el.children.filter((c) => c.name === name);
const kid = (el, name) => kids(el, name)[0] || null;

/** xs:duration "PT1H2M3.5S" -> seconds. */
function xsDuration(s) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s || '');
  assert.ok(m && s !== 'P' && s !== 'PT', `"${s}" is not an xs:duration`);
  return Number(m[1] || 0) * 86400 + Number(m[2] || 0) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
}

/** "30000/1001" | "25" -> [num, den] reduced */
function ratio(s, sep = '/') {
  const [n, d = '1'] = String(s).split(sep);
  const a = BigInt(n);
  const b = BigInt(d);
  const gcd = (x, y) => (y === 0n ? x : gcd(y, x % y));
  const g = gcd(a, b);
  return [a / g, b / g];
}

/**
 * <S> elements expanded per ISO/IEC 23009-1: t (when given) sets the
 * clock, else a segment starts where the previous one ended; r repeats d.
 */
function expandTimeline(timeline) {
  const out = [];
  let clock = null;
  for (const s of kids(timeline, 'S')) {
    if (s.attrs.t !== undefined) clock = Number(s.attrs.t);
    assert.ok(clock !== null, 'the first S of a SegmentTimeline must carry t');
    const d = Number(s.attrs.d);
    const r = s.attrs.r === undefined ? 0 : Number(s.attrs.r);
    assert.ok(Number.isInteger(d) && d > 0, `S@d "${s.attrs.d}" must be a positive integer`);
    assert.ok(Number.isInteger(r) && r >= 0, `S@r "${s.attrs.r}" must be a non-negative integer (no open-ended -1 in a static MPD)`);
    for (let k = 0; k <= r; k++) {
      out.push({ t: clock, d });
      clock += d;
    }
  }
  return out;
}

/** "$Number%05d$" etc. -> file name for segment number n. */
function fillTemplate(template, n, rep) {
  return template.replace(/\$(Number|RepresentationID|Bandwidth)(%0(\d+)d)?\$|\$\$/g, (m, id, _f, width) => {
    if (m === '$$') return '$';
    const v = id === 'Number' ? String(n) : id === 'Bandwidth' ? String(rep.attrs.bandwidth) : rep.attrs.id;
    return width ? v.padStart(Number(width), '0') : v;
  });
}

/**
 * Read OUTDIR/manifest.mpd: {file, text, doc, mpd, period, videoSet,
 * audioSets, reps:[{kind, set, el, tmpl, timescale, files:{init, segs},
 * timeline}]}.
 */
function loadMpd(outDir) {
  const file = path.join(outDir, 'manifest.mpd');
  const text = fs.readFileSync(file, 'utf8');
  const doc = parseXml(text);
  assert.equal(doc.children.length, 1, 'one root element');
  const mpd = doc.children[0];
  const periods = kids(mpd, 'Period');
  assert.equal(periods.length, 1, 'one Period');
  const period = periods[0];
  const sets = kids(period, 'AdaptationSet');
  const videoSets = sets.filter((s) => s.attrs.contentType === 'video');
  const audioSets = sets.filter((s) => s.attrs.contentType === 'audio');
  assert.equal(videoSets.length, 1, 'one video AdaptationSet');
  assert.equal(videoSets.length + audioSets.length, sets.length, 'only video and audio AdaptationSets');
  const reps = [];
  for (const set of [...videoSets, ...audioSets]) {
    for (const el of kids(set, 'Representation')) {
      const tmpl = kid(el, 'SegmentTemplate') || kid(set, 'SegmentTemplate');
      assert.ok(tmpl, `Representation ${el.attrs.id} has no SegmentTemplate`);
      const timeline = kid(tmpl, 'SegmentTimeline');
      assert.ok(timeline, `Representation ${el.attrs.id} has no SegmentTimeline`);
      const rep = { kind: set.attrs.contentType, set, el, tmpl, attrs: el.attrs, timescale: Number(tmpl.attrs.timescale) };
      rep.timeline = expandTimeline(timeline);
      const start = Number(tmpl.attrs.startNumber ?? 1);
      rep.files = {
        init: path.resolve(outDir, fillTemplate(tmpl.attrs.initialization, 0, rep)),
        segs: rep.timeline.map((_s, i) => path.resolve(outDir, fillTemplate(tmpl.attrs.media, start + i, rep))),
      };
      reps.push(rep);
    }
  }
  return { file, text, doc, mpd, period, videoSet: videoSets[0], audioSets, reps };
}

/** Probe a Representation's files: ffprobe stream, tfdt/trun per segment, avcC. */
function probeRep(rep) {
  const probe = probeRendition(rep.files.init, rep.files.segs, rep.kind === 'video' ? 'v:0' : 'a:0');
  return { probe, init: parseInit(rep.files.init), avcC: rep.kind === 'video' ? parseAvcC(rep.files.init) : null };
}

// ------------------------------------------------------------ dash.js

function assertPlayedToTheEnd(r, mpdDuration) {
  const info = `\n${describePlayback(r)}`;
  assert.equal(r.setupError, null, `player harness failed to run${info}`);
  assert.deepEqual(r.errors, [], `dash.js reported errors${info}`);
  assert.deepEqual(r.videoErrors, [], `the <video> element reported an error${info}`);
  assert.deepEqual(r.pageErrors, [], `uncaught exceptions in the page${info}`);
  assert.deepEqual(r.httpErrors, [], `dash.js requested files that do not exist${info}`);
  assert.ok(r.ended, `playback did not reach the end${info}`);
  const s = r.endSnapshot;
  assert.ok(Math.abs(s.currentTime - mpdDuration) < 0.25,
    `playback ended at ${s.currentTime} s, the MPD lasts ${mpdDuration} s${info}`);
  assert.ok(s.decodedFrames > 0, `no video frame was decoded${info}`);
  const media = r.events.filter((e) => e.type === 'FRAGMENT_LOADED' && e.kind === 'MediaSegment');
  assert.ok(media.some((e) => e.mediaType === 'video'), `no video segment was loaded${info}`);
}

// ------------------------------------------------------------ shared checks

/**
 * The MPD's structural and timing contract against the files, for any
 * output directory. Returns the probes for further checks.
 */
function checkMpdAgainstFiles(outDir, { expectAudio, expectedRungs }) {
  const m = loadMpd(outDir);
  const { mpd, period, videoSet } = m;
  assert.equal(mpd.name, 'MPD');
  assert.equal(mpd.attrs.xmlns, 'urn:mpeg:dash:schema:mpd:2011', 'MPD namespace');
  assert.equal(mpd.attrs.type, 'static');
  assert.equal(mpd.attrs.profiles, 'urn:mpeg:dash:profile:isoff-live:2011');
  assert.equal(period.attrs.id, '0');
  assert.equal(xsDuration(period.attrs.start), 0, 'Period@start');
  assert.equal(m.audioSets.length, expectAudio ? 1 : 0, 'audio AdaptationSets');

  const videoReps = m.reps.filter((r) => r.kind === 'video');
  assert.deepEqual(videoReps.map((r) => r.attrs.id).sort(), [...expectedRungs].sort(), 'one Representation per rung');
  const ids = m.reps.map((r) => r.attrs.id);
  assert.equal(new Set(ids).size, ids.length, `Representation ids are not unique: ${ids}`);

  const probes = new Map();
  let longestEnd = 0;
  let longestSegment = 0;
  for (const rep of m.reps) {
    const where = `Representation ${rep.attrs.id}`;
    // Every file the template names exists, and the template names every
    // segment of the rendition's directory.
    assert.ok(fs.existsSync(rep.files.init), `${where}: ${rep.files.init} does not exist`);
    for (const f of rep.files.segs) assert.ok(fs.existsSync(f), `${where}: ${f} does not exist`);
    const dir = path.dirname(rep.files.init);
    const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith('.m4s')).map((f) => path.join(dir, f)).sort();
    assert.deepEqual([...rep.files.segs].sort(), onDisk, `${where}: the SegmentTimeline does not name every segment in ${dir}`);

    const p = probeRep(rep);
    probes.set(rep.attrs.id, p);
    // Timescale: the init segment's mdhd.
    assert.equal(rep.timescale, p.init.timescale, `${where}: SegmentTemplate@timescale vs mdhd of ${rep.files.init}`);
    // Each S: t = the fragment's tfdt, d = the sum of its trun durations,
    // exactly (ticks).
    p.probe.segments.forEach((seg, i) => {
      const s = rep.timeline[i];
      assert.equal(s.t, seg.timing.baseDecodeTime, `${where} segment ${i + 1}: S start ${s.t} != tfdt ${seg.timing.baseDecodeTime}`);
      assert.equal(s.d, seg.timing.durationTicks, `${where} segment ${i + 1}: S@d ${s.d} != trun total ${seg.timing.durationTicks}`);
      longestSegment = Math.max(longestSegment, s.d / rep.timescale);
    });
    const totalTicks = p.probe.segments.reduce((a, s) => a + s.timing.durationTicks, 0);
    assert.equal(rep.timeline.reduce((a, s) => a + s.d, 0), totalTicks, `${where}: durations sum to the rendition's trun total`);
    const last = rep.timeline[rep.timeline.length - 1];
    longestEnd = Math.max(longestEnd, (last.t + last.d) / rep.timescale);
  }
  // The presentation lasts as long as its longest Representation (ms
  // precision); the buffer holds the longest segment.
  assert.ok(Math.abs(xsDuration(mpd.attrs.mediaPresentationDuration) - longestEnd) <= 0.0005 + 1e-9,
    `mediaPresentationDuration ${mpd.attrs.mediaPresentationDuration} vs longest Representation ${longestEnd} s`);
  assert.ok(xsDuration(mpd.attrs.minBufferTime) >= longestSegment - 1e-9,
    `minBufferTime ${mpd.attrs.minBufferTime} is shorter than the longest segment (${longestSegment} s)`);

  // Video AdaptationSet and Representations vs the bitstreams.
  assert.equal(videoSet.attrs.mimeType, 'video/mp4');
  assert.equal(videoSet.attrs.startWithSAP, '1');
  let maxW = 0;
  let maxH = 0;
  let maxRate = null;
  const pars = new Set();
  for (const rep of videoReps) {
    const where = `Representation ${rep.attrs.id}`;
    const { probe, avcC } = probes.get(rep.attrs.id);
    const st = probe.stream;
    assert.equal(Number(rep.attrs.width), st.width, `${where}: width vs ffprobe`);
    assert.equal(Number(rep.attrs.height), st.height, `${where}: height vs ffprobe`);
    assert.equal(rep.attrs.codecs, avcC.codecString, `${where}: codecs vs the avcC of init.mp4`);
    assert.deepEqual(ratio(rep.attrs.frameRate), ratio(st.r_frame_rate), `${where}: frameRate ${rep.attrs.frameRate} vs ffprobe ${st.r_frame_rate}`);
    assert.deepEqual(ratio(rep.attrs.sar, ':'), ratio(st.sample_aspect_ratio || '1:1', ':'), `${where}: sar vs ffprobe`);
    // startWithSAP=1: every segment opens with a key frame.
    probe.segments.forEach((seg, i) => assert.ok(seg.firstKey, `${where}: segment ${i + 1} does not start with a key frame`));
    // bandwidth covers the measured average and the peak segment rate.
    const bits = probe.segments.map((s) => s.bytes * 8);
    const secs = probe.segments.map((s) => s.timing.durationTicks / rep.timescale);
    const average = bits.reduce((a, b) => a + b, 0) / secs.reduce((a, b) => a + b, 0);
    const peak = Math.max(...bits.map((b, i) => b / secs[i]));
    const bandwidth = Number(rep.attrs.bandwidth);
    assert.ok(Number.isInteger(bandwidth) && bandwidth >= average, `${where}: bandwidth ${bandwidth} < measured average ${average.toFixed(0)}`);
    assert.ok(bandwidth >= Math.floor(peak), `${where}: bandwidth ${bandwidth} < peak segment rate ${peak.toFixed(0)}`);
    maxW = Math.max(maxW, st.width);
    maxH = Math.max(maxH, st.height);
    const rate = ratio(rep.attrs.frameRate);
    if (!maxRate || rate[0] * maxRate[1] > maxRate[0] * rate[1]) maxRate = rate;
    const [sn, sd] = ratio(rep.attrs.sar, ':');
    pars.add(ratio(`${BigInt(st.width) * sn}:${BigInt(st.height) * sd}`, ':').join(':'));
  }
  assert.equal(Number(videoSet.attrs.maxWidth), maxW, 'AdaptationSet@maxWidth');
  assert.equal(Number(videoSet.attrs.maxHeight), maxH, 'AdaptationSet@maxHeight');
  assert.deepEqual(ratio(videoSet.attrs.maxFrameRate), maxRate, 'AdaptationSet@maxFrameRate');
  if (pars.size === 1) assert.equal(ratio(videoSet.attrs.par, ':').join(':'), [...pars][0], 'AdaptationSet@par');
  else assert.equal(videoSet.attrs.par, undefined, 'par must be left out when rungs differ in shape');

  // segmentAlignment="true" exactly when every rung's segments start and
  // end at the same instants.
  const instants = (rep) => rep.timeline.map((s) => [BigInt(s.t), BigInt(s.t + s.d)].map((x) => ratio(`${x}/${rep.timescale}`).join('/')).join('-'));
  const aligned = videoReps.every((r) => JSON.stringify(instants(r)) === JSON.stringify(instants(videoReps[0])));
  assert.equal(videoSet.attrs.segmentAlignment, aligned ? 'true' : undefined, `segmentAlignment (rungs aligned: ${aligned})`);

  // Audio.
  if (expectAudio) {
    const set = m.audioSets[0];
    const rep = m.reps.find((r) => r.kind === 'audio');
    const { probe } = probes.get(rep.attrs.id);
    const st = probe.stream;
    assert.equal(set.attrs.mimeType, 'audio/mp4');
    assert.equal(rep.attrs.codecs, aacCodecString(st), 'audio codecs vs ffprobe profile');
    assert.equal(Number(rep.attrs.audioSamplingRate), Number(st.sample_rate), 'audioSamplingRate vs ffprobe');
    const acc = kid(rep.el, 'AudioChannelConfiguration');
    assert.ok(acc, 'AudioChannelConfiguration missing');
    assert.equal(acc.attrs.schemeIdUri, 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011');
    assert.equal(Number(acc.attrs.value), st.channels, 'AudioChannelConfiguration@value vs ffprobe channels');
    const bits = probe.segments.reduce((a, s) => a + s.bytes * 8, 0);
    const secs = probe.segments.reduce((a, s) => a + s.timing.durationTicks, 0) / rep.timescale;
    assert.ok(Number(rep.attrs.bandwidth) >= bits / secs, `audio bandwidth ${rep.attrs.bandwidth} < measured average ${bits / secs}`);
  }
  return { mpd: m, probes };
}

function mpdOf(outDir) {
  return path.join(outDir, 'manifest.mpd');
}

function m3u8Files(outDir) {
  return walkFiles(outDir).filter((f) => f.name.endsWith('.m3u8')).map((f) => f.rel);
}

function writeLadder(dir, obj) {
  const file = path.join(dir, 'ladder.json');
  fs.writeFileSync(file, JSON.stringify(obj));
  return file;
}

// ------------------------------------------------------------ tests

const RUNGS = ['640x360:900k:name=360p', '480x270:500k:name=270p', '320x180:250k:name=180p'];

describe('DASH next to HLS (default formats): a 3-rung ladder with B-frames and audio', () => {
  let run;
  let out;
  let mpd;
  let playback;
  let shaka;
  before(async () => {
    ladderBin();
    const src = await cfrClip('30000/1001', { width: 640, height: 360, duration: 6 });
    out = path.join(makeTempDir('ladder-e2e-dash-'), 'out');
    run = await encode(src.path, out, [...RUNGS.flatMap((r) => ['--rung', r]), '--preset', 'veryfast', '--progress', 'none']);
    if (run.code === 0 && fs.existsSync(mpdOf(out))) {
      playback = await playDash(out, { forceEach: true });
      shaka = await playShaka(out, { forceEach: true });
    }
  });
  const ok = () => assert.equal(run.code, 0, `ladder encode failed\n${describeRun(run)}`);

  it('writes manifest.mpd and master.m3u8 at the output root; the MPD is well-formed', () => {
    ok();
    assert.ok(fs.existsSync(path.join(out, 'master.m3u8')), 'master.m3u8 missing');
    assert.ok(fs.existsSync(mpdOf(out)), 'manifest.mpd missing');
    assert.equal(xmllintProblems(mpdOf(out)), '', 'xmllint rejects manifest.mpd');
    assert.match(fs.readFileSync(mpdOf(out), 'utf8'), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<MPD /);
  });

  it('MPD Representations, timeline and durations match the segments (ffprobe, tfdt/trun)', () => {
    ok();
    mpd = checkMpdAgainstFiles(out, { expectAudio: true, expectedRungs: ['360p', '270p', '180p'] });
    // A 3-rung ladder cut at identical times is aligned.
    assert.equal(mpd.mpd.videoSet.attrs.segmentAlignment, 'true');
  });

  it('names the same files as the HLS playlists and states the same codecs (no duplicate media)', () => {
    ok();
    const m = mpd ? mpd.mpd : loadMpd(out);
    const hls = loadOutput(out);
    for (const rep of m.reps) {
      const rendition = rep.kind === 'video'
        ? hls.variants.find((v) => v.name === rep.attrs.id)
        : hls.audio;
      assert.ok(rendition, `no HLS rendition for Representation ${rep.attrs.id}`);
      assert.equal(rep.files.init, rendition.init, `${rep.attrs.id}: initialization vs EXT-X-MAP`);
      assert.deepEqual(rep.files.segs, rendition.segs, `${rep.attrs.id}: segments vs the media playlist`);
      const hlsCodecs = (hls.variants[0].attrs.CODECS || '').split(',');
      if (rep.kind === 'video') {
        assert.equal(rep.attrs.codecs, rendition.attrs.CODECS.split(',')[0], `${rep.attrs.id}: codecs vs HLS CODECS`);
      } else {
        assert.equal(rep.attrs.codecs, hlsCodecs[1], 'audio codecs vs HLS CODECS');
      }
      // The MPD's timeline and the playlist's EXTINFs describe the same
      // durations (EXTINF has millisecond precision).
      rep.timeline.forEach((s, i) => {
        const extinf = rendition.playlist.segments[i].duration;
        assert.ok(Math.abs(s.d / rep.timescale - extinf) <= 0.0005 + 1e-9,
          `${rep.attrs.id} segment ${i + 1}: ${s.d}/${rep.timescale} s vs EXTINF ${extinf}`);
      });
    }
    // Every media file on disk belongs to a Representation.
    const named = new Set(m.reps.flatMap((r) => [r.files.init, ...r.files.segs]));
    const media = walkFiles(out).filter((f) => !f.dir && /\.(mp4|m4s)$/.test(f.name)).map((f) => path.join(out, f.rel));
    assert.deepEqual(media.filter((f) => !named.has(f)), [], 'media files the MPD does not name');
  });

  it('the durations agree with report.json', () => {
    ok();
    const m = mpd ? mpd.mpd : loadMpd(out);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    for (const rep of m.reps) {
      const total = rep.timeline.reduce((a, s) => a + s.d, 0) / rep.timescale;
      const want = rep.kind === 'video' ? report.rungs.find((r) => r.name === rep.attrs.id).duration
        : report.audio.find((a) => a.dir === `audio/${rep.attrs.id}`).duration;
      assert.ok(Math.abs(total - want) < 1e-6, `${rep.attrs.id}: timeline ${total} s vs report ${want} s`);
    }
  });

  it('dash.js plays it from the start to the end without errors', () => {
    ok();
    const m = mpd ? mpd.mpd : loadMpd(out);
    assertPlayedToTheEnd(playback, xsDuration(m.mpd.attrs.mediaPresentationDuration));
    assert.ok(playback.events.some((e) => e.type === 'FRAGMENT_LOADED' && e.mediaType === 'audio' && e.kind === 'MediaSegment'),
      `no audio segment was loaded\n${describePlayback(playback)}`);
  });

  it('shaka-player plays it to the end and shows every Representation at its size', () => {
    ok();
    const m = mpd ? mpd.mpd : loadMpd(out);
    const expectSizes = m.reps.filter((r) => r.kind === 'video')
      .map((r) => ({ width: Number(r.attrs.width), height: Number(r.attrs.height) }));
    assertShakaPlayedEverything(assert, shaka, { expectSizes });
  });

  it('dash.js lists every Representation as the MPD states it and shows each one when forced', () => {
    ok();
    const m = mpd ? mpd.mpd : loadMpd(out);
    const info = `\n${describePlayback(playback)}`;
    const want = m.reps.filter((r) => r.kind === 'video')
      .map((r) => ({ id: r.attrs.id, width: Number(r.attrs.width), height: Number(r.attrs.height), bandwidth: Number(r.attrs.bandwidth) }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const got = (playback.representations || [])
      .map((r) => ({ id: r.id, width: r.width, height: r.height, bandwidth: r.bandwidth }))
      .sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(got, want, `dash.js's video Representations${info}`);
    assert.equal((playback.audioRepresentations || []).length, 1, `dash.js's audio Representations${info}`);
    assert.equal(playback.forced.length, want.length, `not every Representation was forced${info}`);
    for (const f of playback.forced) {
      assert.ok(f.sawSize, `${f.id}: the video never showed ${f.width}x${f.height}${info}`);
      assert.ok(f.ok, `${f.id}: playback did not advance at that Representation${info}`);
    }
    assert.deepEqual(playback.errors, [], `dash.js reported errors while switching${info}`);
  });
});

// Sources whose time base is not the mp4 track timescale (Matroska: 1 ms,
// so the video track gets 16000 and copied AAC 48000) and whose audio does
// not start at the first video frame (MPEG-TS, AAC re-encoded): the
// timeline must still be the fragments' own, tick for tick.
const DASH_ONLY = [
  {
    name: 'Matroska 25 fps, AAC copied, --format dash',
    media: { name: 'dash-mkv', rate: '25', width: 480, height: 270, duration: 4, container: 'mkv' },
    rungs: ['480x270:600k', '320x180:250k'], names: ['270p', '180p'],
    args: ['--format', 'dash'],
  },
  {
    name: 'MPEG-TS 25 fps, AAC re-encoded, "format": "dash" in the ladder file',
    media: { name: 'dash-ts', rate: '25', width: 320, height: 180, duration: 4, container: 'ts' },
    ladder: { format: ['dash'], rungs: [{ height: 180, bitrate: '250k' }, { height: 144, bitrate: '150k' }] },
    names: ['180p', '144p'],
  },
];

for (const c of DASH_ONLY) {
  describe(`DASH only: ${c.name}`, () => {
    let run;
    let out;
    let playback;
    before(async () => {
      ladderBin();
      const src = await makeMedia(c.media);
      const tmp = makeTempDir('ladder-e2e-dash-only-');
      out = path.join(tmp, 'out');
      // Playlists left by an earlier HLS run in the same place must go,
      // whatever the audio renditions were called then (audio/aac was the
      // layout before one rendition per stream).
      fs.mkdirSync(path.join(out, 'video', c.names[0]), { recursive: true });
      fs.mkdirSync(path.join(out, 'audio', 'aac'), { recursive: true });
      for (const f of ['master.m3u8', `video/${c.names[0]}/index.m3u8`, 'audio/aac/index.m3u8']) {
        fs.writeFileSync(path.join(out, f), '#EXTM3U\n');
      }
      const args = c.ladder
        ? ['--ladder', writeLadder(tmp, c.ladder)]
        : c.rungs.flatMap((r) => ['--rung', r]);
      // Those stand-ins carry no journal (ladder's mark): --force takes the
      // directory as a re-run does (README "Output directories").
      run = await encode(src.path, out, [...args, ...(c.args || []), '--preset', 'veryfast', '--progress', 'none',
        '--force']);
      if (run.code === 0) playback = await playDash(out);
    });
    const ok = () => assert.equal(run.code, 0, `ladder encode failed\n${describeRun(run)}`);

    it('writes manifest.mpd and report.json, and no HLS playlist at all (stale ones removed)', () => {
      ok();
      assert.equal(xmllintProblems(mpdOf(out)), '', 'xmllint rejects manifest.mpd');
      assert.ok(fs.existsSync(path.join(out, 'report.json')), 'report.json missing');
      assert.deepEqual(m3u8Files(out), [], 'HLS playlists in a --format dash output');
      assert.match(run.stderr, /dash: .*manifest\.mpd/, 'the summary names manifest.mpd');
    });

    it('MPD timescale is each init segment\'s mdhd and every S matches tfdt/trun', () => {
      ok();
      const { mpd } = checkMpdAgainstFiles(out, { expectAudio: true, expectedRungs: c.names });
      // The case this source is here for: the track timescale is not the
      // source's (mkv: 1/1000) time base.
      for (const rep of mpd.reps) assert.ok(rep.timescale >= 10000, `${rep.attrs.id}: timescale ${rep.timescale}`);
    });

    it('dash.js plays it to the end without errors', () => {
      ok();
      assertPlayedToTheEnd(playback, xsDuration(loadMpd(out).mpd.attrs.mediaPresentationDuration));
    });
  });
}

describe('--format', () => {
  let tmp;
  let src;
  before(async () => {
    ladderBin();
    tmp = makeTempDir('ladder-e2e-format-');
    src = await cfrClip('25', { width: 320, height: 180, duration: 2 });
  });

  it('hls: master and media playlists, no manifest.mpd (a stale one is removed)', async () => {
    const out = path.join(tmp, 'hls');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'manifest.mpd'), '<MPD/>');
    // No journal with the stand-in: --force (README "Output directories").
    const r = await encode(src.path, out, ['--rung', '320x180:200k', '--preset', 'ultrafast', '--progress', 'none', '--format', 'hls',
      '--force']);
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(!fs.existsSync(mpdOf(out)), 'manifest.mpd written or left behind with --format hls');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.audio.length, 1, 'one audio rendition');
    assert.deepEqual(m3u8Files(out).sort(), [`${report.audio[0].dir}/index.m3u8`, 'master.m3u8', 'video/180p/iframes.m3u8', 'video/180p/index.m3u8']);
  });

  it('the command line wins over the ladder file; repeated names are one', async () => {
    const out = path.join(tmp, 'both');
    const ladder = writeLadder(tmp, { format: 'dash', rungs: [{ height: 180, bitrate: '200k' }] });
    const r = await encode(src.path, out, ['--ladder', ladder, '--preset', 'ultrafast', '--progress', 'none',
      '--format', 'dash,hls,dash']);
    assert.equal(r.code, 0, describeRun(r));
    assert.ok(fs.existsSync(mpdOf(out)), 'manifest.mpd missing');
    assert.ok(fs.existsSync(path.join(out, 'master.m3u8')), 'master.m3u8 missing');
  });

  for (const bad of ['bogus', 'hls,', 'hls,mp3', '', 'HLS']) {
    it(`--format '${bad}' is a usage error (exit 2) with one line naming it`, async () => {
      const out = path.join(tmp, `bad-${bad.replace(/\W/g, '_')}`);
      const r = await encode(src.path, out, ['--format', bad, '--progress', 'none']);
      assert.equal(r.code, 2, describeRun(r));
      const lines = stderrLines(r.stderr);
      assert.equal(lines.length, 1, `expected one stderr line:\n${r.stderr}`);
      assert.match(lines[0], /--format/);
      assert.match(lines[0], /hls, dash/, 'the line lists the valid names');
      assert.ok(!fs.existsSync(out), 'the output directory was created for a bad command line');
    });
  }

  it('"format" with an unknown name in a ladder file is a bad ladder (exit 6)', async () => {
    const ladder = writeLadder(tmp, { format: ['hls', 'mp3'], rungs: [{ height: 180, bitrate: '200k' }] });
    const out = path.join(tmp, 'bad-file');
    const r = await encode(src.path, out, ['--ladder', ladder, '--progress', 'none']);
    assert.equal(r.code, 6, describeRun(r));
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, `expected one stderr line:\n${r.stderr}`);
    assert.match(lines[0], /ladder file '.*ladder\.json': format\[1\]: unknown format 'mp3'/);
  });
});
