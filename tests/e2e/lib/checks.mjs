// Collecting and checking a ladder encode: runs the CLI, probes every
// rendition, and registers node:test checks of the output against the
// contract (playlists, segments, timing, codecs, report.json).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { describeRun, encode, loadOutput, parseProgress } from './ladder.mjs';
import { parseRate } from './media.mjs';
import {
  aacCodecString, countVideoFrames, parseAvcC, probeFormat, probeRendition, segmentNals,
} from './probe.mjs';
import { walkFiles } from './util.mjs';

const MS = 0.001;

/** Bounding-box fit: scale = min(bw/sw, bh/sh, 1) (square pixels). */
export function fitScale(srcW, srcH, boxW, boxH) {
  return Math.min(boxW / srcW, boxH / srcH, 1);
}

/**
 * Why (w,h) is not an acceptable output for a source in a box, or null.
 * Acceptable: even, inside the box, never larger than the source, and
 * within 2 px of the exact aspect-keeping fit on each axis (rounding to even).
 */
export function dimsProblem(srcW, srcH, boxW, boxH, w, h) {
  const s = fitScale(srcW, srcH, boxW, boxH);
  const ew = srcW * s;
  const eh = srcH * s;
  if (w % 2 || h % 2) return `${w}x${h} is not even`;
  if (w > boxW || h > boxH) return `${w}x${h} exceeds the rung box ${boxW}x${boxH}`;
  if (w > srcW || h > srcH) return `${w}x${h} upscales the ${srcW}x${srcH} source`;
  if (Math.abs(w - ew) > 2 || Math.abs(h - eh) > 2) {
    return `${w}x${h} is not the aspect-keeping fit of ${srcW}x${srcH} into ${boxW}x${boxH} (~${ew.toFixed(1)}x${eh.toFixed(1)})`;
  }
  return null;
}

const PROFILE_IDC = {
  Baseline: 66, 'Constrained Baseline': 66, Main: 77, Extended: 88, High: 100,
  'High 10': 110, 'High 4:2:2': 122, 'High 4:4:4 Predictive': 244,
};

/**
 * Run `ladder encode` and probe everything.  rungs: [{spec, box:[w,h],
 * name?, fps?, profile?}] (spec is the --rung argument; omit rungs to use
 * the default ladder, then pass `defaultRungs` with {name, box}).
 */
export async function encodeAndCollect({
  source, outDir, rungs = null, defaultRungs = null, extraArgs = [], segmentSeconds = 2,
  preset = 'ultrafast', timeoutMs = 600_000,
}) {
  const args = ['--progress', 'json', '--preset', preset];
  for (const r of rungs || []) args.push('--rung', r.spec);
  args.push(...extraArgs);
  const run = await encode(source.path, outDir, args, { timeoutMs });
  const ctx = {
    source, outDir, run, rungs: rungs || defaultRungs, segmentSeconds, args,
    srcFrames: countVideoFrames(source.path),
    srcDuration: Number(probeFormat(source.path).duration),
  };
  if (run.code !== 0) return ctx;
  ctx.out = loadOutput(outDir);
  ctx.progress = parseProgress(run.stdout);
  ctx.video = ctx.out.variants.map((v) => ({
    variant: v,
    probe: v.init && fs.existsSync(v.init) ? probeRendition(v.init, v.segs, 'v:0') : null,
    avcC: v.init && fs.existsSync(v.init) ? parseAvcC(v.init) : null,
  }));
  if (ctx.out.audio) {
    const a = ctx.out.audio;
    ctx.audio = { rendition: a, probe: a.init && fs.existsSync(a.init) ? probeRendition(a.init, a.segs, 'a:0') : null };
  }
  return ctx;
}

/** Which rung expectation a variant belongs to (by name=, else by size). */
function matchRung(ctx, v) {
  const w = v.probe && v.probe.stream ? v.probe.stream.width : null;
  const h = v.probe && v.probe.stream ? v.probe.stream.height : null;
  const named = ctx.rungs.find((r) => r.name && r.name === v.variant.name);
  if (named) return named;
  return ctx.rungs.find((r) => !r.name && r.box
    && dimsProblem(ctx.source.width, ctx.source.height, r.box[0], r.box[1], w, h) === null) || null;
}

function outRate(ctx, rung) {
  const src = parseRate(ctx.source.rate).value;
  return rung && rung.fps ? Math.min(rung.fps, src) : src;
}

/**
 * Register the standard output checks as `it` blocks.  getCtx() returns the
 * object from encodeAndCollect (filled in a before() hook).
 * expect: {audio: bool, cfr: bool, extinfText: '2.002'|null,
 *          framesPerSegment: bool (CFR only)}
 */
export function registerOutputChecks(getCtx, expect) {
  const ok = () => {
    const ctx = getCtx();
    assert.ok(ctx, 'the encode did not run (see the before hook error)');
    assert.equal(ctx.run.code, 0, `ladder encode failed\n${describeRun(ctx.run)}`);
    return ctx;
  };

  it('exits 0 and writes master.m3u8, report.json and one directory per rung', () => {
    const ctx = ok();
    assert.ok(fs.existsSync(ctx.out.masterPath), 'master.m3u8 missing');
    assert.ok(ctx.out.report, 'report.json missing');
    assert.equal(ctx.out.master.header, '#EXTM3U', 'master.m3u8 must start with #EXTM3U');
    assert.equal(ctx.out.variants.length, ctx.rungs.length,
      `expected ${ctx.rungs.length} variants, master has ${ctx.out.variants.length}:\n${ctx.out.master.lines.join('\n')}`);
    for (const v of ctx.out.variants) {
      assert.match(v.uri, /^video\/[^/]+\/index\.m3u8$/, `variant URI ${v.uri} is not video/<rung>/index.m3u8`);
      assert.ok(fs.existsSync(v.file), `variant playlist ${v.uri} does not exist`);
    }
    const names = ctx.out.variants.map((v) => v.name);
    assert.equal(new Set(names).size, names.length, `rung directory names are not unique: ${names}`);
    for (const r of ctx.rungs) {
      if (r.name) assert.ok(names.includes(r.name), `rung named "${r.name}" not found among ${names}`);
    }
    for (const v of ctx.video) {
      assert.ok(matchRung(ctx, v), `variant ${v.variant.uri} (${v.probe?.stream?.width}x${v.probe?.stream?.height}) ` +
        `matches no requested rung ${JSON.stringify(ctx.rungs)}`);
    }
  });

  it('leaves no temp files and nothing unexpected in OUTDIR', () => {
    const ctx = ok();
    const files = walkFiles(ctx.outDir);
    // The resume journal (README "Stopping and resuming") is the one hidden
    // file a finished output keeps.
    const hidden = files.filter((f) => (f.name.startsWith('.') && f.rel !== '.ladder-resume') ||
      /\.(tmp|part|partial)$/i.test(f.name));
    assert.deepEqual(hidden.map((f) => f.rel), [], 'temp files left in OUTDIR');
    assert.ok(files.some((f) => f.rel === '.ladder-resume'), 'no resume journal in OUTDIR');
    const top = fs.readdirSync(ctx.outDir).filter((n) => n !== '.ladder-resume').sort();
    // The default formats: HLS and DASH (manifest.mpd; dash.test.mjs checks it).
    const wantTop = ['manifest.mpd', 'master.m3u8', 'report.json', 'video', ...(expect.audio ? ['audio'] : [])].sort();
    assert.deepEqual(top, wantTop, 'top level of OUTDIR');
    for (const v of ctx.out.variants) {
      // iframes.m3u8: trick play, checked by iframes.test.mjs.
      const want = ['iframes.m3u8', 'index.m3u8', 'init.mp4', ...v.playlist.segments.map((s) => s.uri)].sort();
      assert.deepEqual(fs.readdirSync(v.dir).sort(), want, `files in ${v.dir} vs its playlist`);
    }
    if (expect.audio) {
      // One rendition per source audio stream: audio/<stream>-<lang>-<codec>/.
      const a = ctx.out.audio;
      assert.deepEqual(fs.readdirSync(path.join(ctx.outDir, 'audio')), [path.basename(a.dir)],
        'audio/ must contain the one rendition the master names');
      assert.match(path.basename(a.dir), /^\d+-[a-z]{2,3}-aac$/, 'audio rendition directory name');
      const want = ['index.m3u8', 'init.mp4', ...a.playlist.segments.map((s) => s.uri)].sort();
      assert.deepEqual(fs.readdirSync(a.dir).sort(), want, `files in ${a.dir} vs its playlist`);
    }
  });

  it('media playlists have the required tags, MAP, 3-decimal EXTINF and consecutive segment names', () => {
    const ctx = ok();
    const renditions = [...ctx.out.variants, ...(ctx.out.audio ? [ctx.out.audio] : [])];
    for (const r of renditions) {
      const pl = r.playlist;
      const where = `${r.uri}:\n${pl.lines.join('\n')}`;
      assert.equal(pl.header, '#EXTM3U', `${where}\nmust start with #EXTM3U`);
      assert.equal(pl.version, 7, `EXT-X-VERSION must be 7 in ${where}`);
      assert.equal(pl.playlistType, 'VOD', `EXT-X-PLAYLIST-TYPE must be VOD in ${where}`);
      assert.ok(pl.independentSegments, `EXT-X-INDEPENDENT-SEGMENTS missing in ${where}`);
      assert.deepEqual(pl.map, { URI: 'init.mp4' }, `EXT-X-MAP must be URI="init.mp4" in ${where}`);
      assert.ok(pl.endList, `EXT-X-ENDLIST missing in ${where}`);
      assert.ok(pl.segments.length > 0, `no segments in ${where}`);
      assert.ok(Number.isInteger(pl.targetDuration) && pl.targetDuration > 0, `bad EXT-X-TARGETDURATION in ${where}`);
      pl.segments.forEach((s, i) => {
        assert.match(s.durationText, /^\d+\.\d{3}$/, `EXTINF "${s.durationText}" must have exactly three decimals (${r.uri})`);
        assert.equal(s.uri, `seg_${String(i + 1).padStart(5, '0')}.m4s`, `segment ${i + 1} of ${r.uri} is named ${s.uri}`);
        assert.ok(Math.round(s.duration) <= pl.targetDuration,
          `EXTINF ${s.durationText} rounds above TARGETDURATION ${pl.targetDuration} (${r.uri})`);
        assert.ok(s.duration > 0, `EXTINF must be positive (${r.uri} ${s.uri})`);
      });
    }
  });

  it('every video segment starts with an IDR keyframe and decodes from init.mp4', () => {
    const ctx = ok();
    for (const v of ctx.video) {
      const p = v.probe;
      assert.ok(p && p.stream, `could not probe ${v.variant.uri} (init + segments)`);
      assert.equal(p.stream.codec_name, 'h264', `${v.variant.uri} is not H.264`);
      assert.deepEqual(p.unplaced, [], `${v.variant.uri}: packets outside every segment's byte range`);
      assert.ok(v.avcC, `${v.variant.uri}: init.mp4 has no avcC box`);
      for (const s of p.segments) {
        const name = `${v.variant.name}/${path.basename(s.file)}`;
        assert.ok(s.frames > 0, `${name} has no video frames`);
        assert.ok(s.firstKey, `${name}: first packet is not a keyframe`);
        // The IDR is presented at tfdt (the chunk boundary), as the audio
        // and the playlist say: no hidden two-frame delay.
        assert.equal(s.timing.firstCompositionOffset, 0,
          `${name}: first sample's composition offset is ${s.timing.firstCompositionOffset}, not 0`);
        const nals = segmentNals(s.file, v.avcC.lengthSize);
        assert.ok(!nals.some((n) => n.error), `${name}: malformed NAL units: ${JSON.stringify(nals.find((n) => n.error))}`);
        const firstVcl = nals.find((n) => n.type >= 1 && n.type <= 5);
        assert.ok(firstVcl, `${name}: no slice NAL units`);
        assert.equal(firstVcl.type, 5, `${name}: first slice is NAL type ${firstVcl.type}, not an IDR (5)`);
      }
    }
  });

  it('segment boundaries: same start times in every rung, whole-frame segment lengths', () => {
    const ctx = ok();
    const ref = ctx.video[0];
    for (const v of ctx.video) {
      assert.equal(v.probe.segments.length, ref.probe.segments.length,
        `${v.variant.name} has ${v.probe.segments.length} segments, ${ref.variant.name} has ${ref.probe.segments.length}`);
      v.probe.segments.forEach((s, i) => {
        const r = ref.probe.segments[i];
        assert.ok(Math.abs(s.start - r.start) <= MS,
          `segment ${i + 1} starts at ${s.start} in ${v.variant.name} but at ${r.start} in ${ref.variant.name}`);
      });
    }
    for (const v of ctx.video) {
      const rung = matchRung(ctx, v);
      const segs = v.probe.segments;
      if (expect.cfr) {
        const rate = outRate(ctx, rung);
        const perSeg = Math.round(ctx.segmentSeconds * rate);
        segs.slice(0, -1).forEach((s, i) => {
          assert.equal(s.frames, perSeg,
            `${v.variant.name} segment ${i + 1} has ${s.frames} frames, expected ${perSeg} (${ctx.segmentSeconds} s at ${rate.toFixed(3)} fps)`);
        });
        const last = segs[segs.length - 1];
        assert.ok(last.frames <= perSeg, `${v.variant.name} last segment has ${last.frames} > ${perSeg} frames`);
        segs.forEach((s, i) => {
          const want = segs[0].start + (i * perSeg) / rate;
          assert.ok(Math.abs(s.start - want) <= MS, `${v.variant.name} segment ${i + 1} starts at ${s.start}, expected ${want}`);
        });
      } else {
        // VFR: boundaries are at the frame nearest each multiple of the
        // segment length; allow a frame gap either way.
        segs.forEach((s, i) => {
          const want = segs[0].start + i * ctx.segmentSeconds;
          assert.ok(Math.abs(s.start - want) <= 0.1,
            `${v.variant.name} segment ${i + 1} starts at ${s.start.toFixed(3)}, expected near ${want.toFixed(3)}`);
        });
      }
    }
  });

  it('segments tile the timeline: each lasts exactly its samples, no gaps or overlaps', () => {
    const ctx = ok();
    const renditions = ctx.video.map((v) => [v.variant.name, v.probe]);
    if (ctx.audio) renditions.push(['audio', ctx.audio.probe]);
    for (const [name, p] of renditions) {
      p.segments.forEach((s, i) => {
        const seg = `${name}/${path.basename(s.file)}`;
        assert.equal(s.timing.sampleCount, s.frames, `${seg}: moof lists ${s.timing.sampleCount} samples, ffprobe read ${s.frames}`);
        if (i + 1 < p.segments.length) {
          assert.ok(Math.abs(s.duration - s.shownMediaDuration) <= MS,
            `${seg}: next segment starts ${s.duration.toFixed(6)} s later, but its samples last ${s.shownMediaDuration.toFixed(6)} s (gap or overlap)`);
        }
      });
    }
  });

  it('EXTINF equals each segment\'s real duration (within 1 ms)', () => {
    const ctx = ok();
    const check = (name, pl, probe) => {
      pl.segments.forEach((s, i) => {
        const real = probe.segments[i].duration;
        assert.ok(Math.abs(s.duration - real) <= MS + 1e-9,
          `${name} ${s.uri}: EXTINF ${s.durationText} but the segment lasts ${real.toFixed(6)} s`);
      });
    };
    for (const v of ctx.video) check(v.variant.name, v.variant.playlist, v.probe);
    if (expect.extinfText) {
      for (const v of ctx.video) {
        v.variant.playlist.segments.slice(0, -1).forEach((s) => {
          assert.equal(s.durationText, expect.extinfText, `${v.variant.name} ${s.uri}: EXTINF`);
        });
      }
    }
    if (ctx.audio) check('audio', ctx.audio.rendition.playlist, ctx.audio.probe);
  });

  it('every rung has all the source frames (or the fps-capped share)', () => {
    const ctx = ok();
    for (const v of ctx.video) {
      const rung = matchRung(ctx, v);
      const total = v.probe.segments.reduce((n, s) => n + s.frames, 0);
      const srcRate = parseRate(ctx.source.rate).value;
      if (rung && rung.fps && rung.fps < srcRate) {
        const ratio = rung.fps / srcRate;
        const lo = Math.floor(ctx.srcFrames * ratio);
        const hi = Math.ceil(ctx.srcFrames * ratio);
        assert.ok(total >= lo && total <= hi,
          `${v.variant.name} (fps=${rung.fps}) has ${total} frames, expected ${lo}..${hi} of ${ctx.srcFrames}`);
      } else {
        assert.equal(total, ctx.srcFrames, `${v.variant.name} has ${total} frames, the source has ${ctx.srcFrames}`);
      }
    }
  });

  it('master playlist: RESOLUTION, CODECS, FRAME-RATE and BANDWIDTH match the real streams', () => {
    const ctx = ok();
    for (const v of ctx.video) {
      const a = v.variant.attrs;
      const where = `${v.variant.uri} STREAM-INF ${JSON.stringify(a)}`;
      const st = v.probe.stream;
      assert.equal(a.RESOLUTION, `${st.width}x${st.height}`, `RESOLUTION vs probed size: ${where}`);
      const rung = matchRung(ctx, v);
      if (rung && rung.box) {
        const prob = dimsProblem(ctx.source.width, ctx.source.height, rung.box[0], rung.box[1], st.width, st.height);
        assert.equal(prob, null, `${where}: ${prob}`);
      }
      assert.equal(st.pix_fmt, 'yuv420p', `${v.variant.name}: output should be 4:2:0 for HLS players (${st.pix_fmt})`);
      // CODECS: video part must be the avcC bytes; audio part the AAC object type.
      assert.ok(a.CODECS, `CODECS missing: ${where}`);
      const codecs = a.CODECS.split(',').map((c) => c.trim());
      const videoCodec = codecs.find((c) => /^avc[13]\./.test(c));
      assert.ok(videoCodec, `no avc1 codec in CODECS: ${where}`);
      assert.equal(videoCodec.toLowerCase(), v.avcC.codecString.toLowerCase(),
        `CODECS video entry vs avcC of init.mp4 (profile ${v.avcC.profile}, constraints ${v.avcC.compat}, level ${v.avcC.level}): ${where}`);
      assert.equal(PROFILE_IDC[st.profile], v.avcC.profile, `ffprobe profile "${st.profile}" vs avcC profile_idc ${v.avcC.profile}`);
      assert.equal(Number(st.level), v.avcC.level, `ffprobe level ${st.level} vs avcC level ${v.avcC.level}`);
      if (rung && rung.profile) {
        // x264 treats the profile as a ceiling: with few enough features it
        // signals a lower one.  Cases that need the exact profile use a
        // preset that enables CABAC/B-frames (rung.exactProfile).
        const want = { baseline: 66, main: 77, high: 100 }[rung.profile];
        if (rung.exactProfile) {
          assert.equal(v.avcC.profile, want, `${v.variant.name}: profile=${rung.profile} requested, avcC profile_idc is ${v.avcC.profile}`);
        } else {
          assert.ok(v.avcC.profile <= want, `${v.variant.name}: profile=${rung.profile} requested, avcC profile_idc is ${v.avcC.profile}`);
        }
      }
      if (expect.audio) {
        const want = aacCodecString(ctx.audio.probe.stream);
        assert.ok(codecs.includes(want), `CODECS lacks the audio codec ${want}: ${where}`);
        assert.equal(codecs.length, 2, `CODECS should list exactly video and audio: ${where}`);
        assert.equal(a.AUDIO, 'audio', `AUDIO="audio" missing: ${where}`);
      } else {
        assert.equal(codecs.length, 1, `CODECS should list only the video codec (no audio): ${where}`);
        assert.equal(a.AUDIO, undefined, `AUDIO attribute present without audio: ${where}`);
      }
      // FRAME-RATE
      assert.match(a['FRAME-RATE'] || '', /^\d+\.\d{3}$/, `FRAME-RATE missing or not 3 decimals: ${where}`);
      if (expect.cfr) {
        assert.equal(a['FRAME-RATE'], outRate(ctx, rung).toFixed(3), `FRAME-RATE: ${where}`);
      } else {
        assert.ok(Number(a['FRAME-RATE']) > 0, `FRAME-RATE: ${where}`);
      }
      // BANDWIDTH (peak) >= AVERAGE-BANDWIDTH > 0, and both plausible.
      const bw = Number(a.BANDWIDTH);
      const avg = Number(a['AVERAGE-BANDWIDTH']);
      assert.ok(Number.isInteger(bw) && Number.isInteger(avg), `BANDWIDTH/AVERAGE-BANDWIDTH must be integers: ${where}`);
      assert.ok(avg > 0, `AVERAGE-BANDWIDTH must be > 0: ${where}`);
      assert.ok(bw >= avg, `BANDWIDTH must be >= AVERAGE-BANDWIDTH: ${where}`);
      const segs = v.probe.segments;
      const bytes = segs.reduce((n, s) => n + s.bytes, 0);
      const dur = segs.reduce((n, s) => n + s.duration, 0);
      const videoAvg = (bytes * 8) / dur;
      const videoPeak = Math.max(...segs.map((s) => (s.bytes * 8) / s.duration));
      assert.ok(avg >= 0.9 * videoAvg, `AVERAGE-BANDWIDTH ${avg} is below the measured video average ${videoAvg.toFixed(0)} b/s: ${where}`);
      assert.ok(bw >= 0.9 * videoPeak, `BANDWIDTH ${bw} is below the measured peak segment bitrate ${videoPeak.toFixed(0)} b/s: ${where}`);
    }
  });

  it(expect.audio ? 'audio rendition: EXT-X-MEDIA, AAC, duration matches video within one audio frame'
    : 'no audio: no audio directory, no EXT-X-MEDIA, report.audio is empty', () => {
    const ctx = ok();
    const media = ctx.out.master.media;
    if (!expect.audio) {
      assert.ok(!fs.existsSync(path.join(ctx.outDir, 'audio')), 'audio/ exists although there must be no audio');
      assert.deepEqual(media, [], 'master has EXT-X-MEDIA although there is no audio');
      assert.deepEqual(ctx.out.report.audio, [], 'report.audio must be empty without audio');
      return;
    }
    assert.equal(media.length, 1, `expected one EXT-X-MEDIA, got ${JSON.stringify(media)}`);
    const m = media[0];
    assert.equal(m.TYPE, 'AUDIO', 'EXT-X-MEDIA TYPE');
    assert.equal(m['GROUP-ID'], 'audio', 'EXT-X-MEDIA GROUP-ID');
    assert.match(m.URI, /^audio\/\d+-[a-z]{2,3}-aac\/index\.m3u8$/, 'EXT-X-MEDIA URI');
    assert.equal(m.URI, `${ctx.out.report.audio[0].dir}/index.m3u8`, 'EXT-X-MEDIA URI vs report.audio[0].dir');
    assert.equal(m.DEFAULT, 'YES', 'the only rendition is the default');
    assert.ok(m.NAME, 'EXT-X-MEDIA NAME is required');
    const ap = ctx.audio.probe;
    assert.ok(ap && ap.stream, `could not probe ${m.URI} (init + segments)`);
    assert.equal(ap.stream.codec_name, 'aac', 'audio codec');
    assert.deepEqual(ap.unplaced, [], 'audio packets outside every segment');
    const sr = Number(ap.stream.sample_rate);
    const frame = 1024 / sr;
    const vp = ctx.video[0].probe;
    const vDur = vp.totalDuration;
    const aDur = ap.totalDuration;
    assert.ok(Math.abs(aDur - vDur) <= frame + MS,
      `audio lasts ${aDur.toFixed(4)} s, video ${vDur.toFixed(4)} s: more than one AAC frame (${frame.toFixed(4)} s) apart ` +
      `(audio ${ap.start}..${(ap.start + aDur).toFixed(4)}, video ${vp.start}..${(vp.start + vDur).toFixed(4)})`);
    const vEnd = (vp.timelineStart ?? vp.start) + vDur;
    const aEnd = (ap.timelineStart ?? ap.start) + aDur;
    assert.ok(Math.abs(aEnd - vEnd) <= frame + MS, `audio ends at ${aEnd.toFixed(4)}, video at ${vEnd.toFixed(4)}`);
  });

  it('report.json is consistent with the files', () => {
    const ctx = ok();
    const rep = ctx.out.report;
    for (const k of ['version', 'input', 'wall_seconds', 'cpu_slots', 'helpers', 'frames_in', 'source_duration', 'rungs', 'audio']) {
      assert.ok(k in rep, `report.json lacks "${k}": ${JSON.stringify(rep)}`);
    }
    assert.equal(rep.frames_in, ctx.srcFrames, 'report.frames_in vs ffprobe count of source frames');
    assert.ok(Math.abs(rep.source_duration - ctx.srcDuration) <= 0.05,
      `report.source_duration ${rep.source_duration} vs ffprobe ${ctx.srcDuration}`);
    assert.ok(rep.wall_seconds > 0, 'wall_seconds > 0');
    assert.ok(Number.isInteger(rep.cpu_slots) && rep.cpu_slots >= 1, `cpu_slots ${rep.cpu_slots}`);
    assert.equal(typeof rep.helpers, 'boolean', 'helpers must be a boolean');
    assert.equal(rep.rungs.length, ctx.video.length, 'one report rung per variant');
    for (const v of ctx.video) {
      const r = rep.rungs.find((x) => x.name === v.variant.name);
      assert.ok(r, `no report rung named ${v.variant.name}: ${JSON.stringify(rep.rungs.map((x) => x.name))}`);
      const where = `report rung ${r.name}`;
      const st = v.probe.stream;
      const segs = v.probe.segments;
      assert.equal(r.width, st.width, `${where} width`);
      assert.equal(r.height, st.height, `${where} height`);
      assert.equal(r.frames, segs.reduce((n, s) => n + s.frames, 0), `${where} frames vs frames in its segments`);
      assert.equal(r.segments, segs.length, `${where} segments vs playlist`);
      const segBytes = segs.reduce((n, s) => n + s.bytes, 0);
      const initBytes = fs.statSync(v.variant.init).size;
      assert.ok(r.bytes >= segBytes * 0.99 && r.bytes <= (segBytes + initBytes) * 1.01 + 1024,
        `${where} bytes ${r.bytes} vs segments ${segBytes} (+ init ${initBytes})`);
      const extinfSum = v.variant.playlist.segments.reduce((n, s) => n + s.duration, 0);
      assert.ok(Math.abs(r.duration - extinfSum) <= 0.01, `${where} duration ${r.duration} vs sum of EXTINF ${extinfSum}`);
      assert.ok(r.avg_bitrate > 0, `${where} avg_bitrate`);
      assert.ok(r.peak_bitrate >= r.avg_bitrate, `${where} peak_bitrate ${r.peak_bitrate} < avg_bitrate ${r.avg_bitrate}`);
      const measuredAvg = (segBytes * 8) / extinfSum;
      assert.ok(Math.abs(r.avg_bitrate - measuredAvg) <= 0.1 * measuredAvg + 1000,
        `${where} avg_bitrate ${r.avg_bitrate} vs measured ${measuredAvg.toFixed(0)}`);
      const fr = typeof r.frame_rate === 'string' && r.frame_rate.includes('/') ? parseRate(r.frame_rate).value : Number(r.frame_rate);
      assert.ok(Math.abs(fr - Number(v.variant.attrs['FRAME-RATE'])) <= 0.001, `${where} frame_rate ${r.frame_rate} vs FRAME-RATE`);
      const videoCodec = v.variant.attrs.CODECS.split(',')[0];
      assert.ok(r.codecs === videoCodec || r.codecs === v.variant.attrs.CODECS,
        `${where} codecs "${r.codecs}" vs CODECS "${v.variant.attrs.CODECS}"`);
      assert.ok(r.encode_seconds >= 0, `${where} encode_seconds`);
      assert.ok(Number.isInteger(r.chunks) && r.chunks >= 1, `${where} chunks ${r.chunks}`);
      assert.ok(Number.isInteger(r.chunks_by_helpers) && r.chunks_by_helpers >= 0 && r.chunks_by_helpers <= r.chunks,
        `${where} chunks_by_helpers ${r.chunks_by_helpers} (chunks ${r.chunks})`);
      assert.ok(Number.isInteger(r.invariant_requeues) && r.invariant_requeues >= 0, `${where} invariant_requeues`);
      if (!expect.invariantFault) assert.equal(r.invariant_requeues, 0, `${where}: requeues without a fault`);
      assert.equal(typeof r.state, 'string', `${where} state`);
      assert.doesNotMatch(r.state, /fail|error|cancel/i, `${where} state "${r.state}"`);
    }
    if (expect.audio) {
      assert.ok(Array.isArray(rep.audio) && rep.audio.length === 1, `report.audio must list one rendition: ${JSON.stringify(rep.audio)}`);
      const a = rep.audio[0];
      assert.equal(a.channels, Number(ctx.audio.probe.stream.channels), 'report.audio[0].channels');
      assert.equal(a.sample_rate, Number(ctx.audio.probe.stream.sample_rate), 'report.audio[0].sample_rate');
      assert.equal(a.segments, ctx.out.audio.segs.length, 'report.audio[0].segments');
      assert.equal(a.codecs, aacCodecString(ctx.audio.probe.stream), 'report.audio.codecs');
      assert.ok(a.bitrate > 0, 'report.audio.bitrate');
      assert.ok(Math.abs(a.duration - ctx.audio.probe.totalDuration) <= 0.05,
        `report.audio.duration ${a.duration} vs probed ${ctx.audio.probe.totalDuration}`);
      assert.equal(typeof a.copied, 'boolean', 'report.audio.copied');
      if (expect.audioCopied !== undefined) assert.equal(a.copied, expect.audioCopied, 'report.audio.copied');
    } else {
      assert.deepEqual(rep.audio, [], 'report.audio must be empty');
    }
  });

  it('--progress json: one JSON object per stdout line, ending with the report', () => {
    const ctx = ok();
    const { events, bad } = ctx.progress;
    assert.deepEqual(bad, [], 'stdout lines that are not JSON');
    assert.ok(events.length >= 2, `expected progress lines and a report, got ${events.length} lines`);
    // 'slots': the host CPU slots the job waited for, took and gave back;
    // 'device': health changes of the encoding devices; 'route': the
    // routing decision, once, before the run (README); 'overall': the whole
    // run's progress (docs/PROGRESS.md).
    const types = ['progress', 'overall', 'report', 'device', 'slots', 'route'];
    for (const e of events) assert.ok(types.includes(e.type), `unknown type in ${JSON.stringify(e)}`);
    for (const d of events.filter((e) => e.type === 'device')) {
      for (const k of ['name', 'state', 'chunks', 'failures', 'quarantines', 'last_error']) {
        assert.ok(k in d, `device line lacks "${k}": ${JSON.stringify(d)}`);
      }
      assert.ok(['idle', 'busy', 'quarantined', 'probation'].includes(d.state), `device state ${d.state}`);
    }
    const routes = events.filter((e) => e.type === 'route');
    assert.equal(routes.length, 1, 'exactly one route line');
    assert.equal(routes[0].ran_on, 'cpu', 'this build encodes on the CPU');
    const reports = events.filter((e) => e.type === 'report');
    assert.equal(reports.length, 1, 'exactly one report line');
    assert.equal(events[events.length - 1].type, 'report', 'the report is the last line');
    const progress = events.filter((e) => e.type === 'progress');
    assert.ok(progress.length > 0, 'no progress lines');
    for (const p of progress) {
      for (const k of ['rung', 'name', 'state', 'frames_done', 'frames_total', 'segments', 'bytes', 'fps', 'eta', 'device']) {
        assert.ok(k in p, `progress line lacks "${k}": ${JSON.stringify(p)}`);
      }
      assert.ok(p.frames_done <= p.frames_total, `frames_done > frames_total: ${JSON.stringify(p)}`);
    }
    const rep = reports[0];
    const file = ctx.out.report;
    assert.equal(rep.frames_in, file.frames_in, 'stdout report vs report.json: frames_in');
    const brief = (rs) => rs.map((r) => ({ name: r.name, frames: r.frames, segments: r.segments, bytes: r.bytes }));
    assert.deepEqual(brief(rep.rungs), brief(file.rungs), 'stdout report vs report.json: rungs');
  });
}
