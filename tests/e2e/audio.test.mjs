// Audio renditions: every source audio stream becomes its own rendition
// (--audio all, the default), or only the first (--audio first), or none;
// each in audio/<stream>-<lang>-<codec>/ with its own EXT-X-MEDIA (LANGUAGE,
// NAME, CHANNELS, DEFAULT=YES on the source's default stream only) and its
// own DASH AdaptationSet; 5.1 stays 5.1, --audio-channels 2 downmixes;
// --audio-codec opus writes Opus (dOps) that hls.js and dash.js play; every
// rendition is cut at the video's segment boundaries and starts at video
// time zero, also from an MPEG-TS source that starts at 1.4 s; --format mp4
// puts every rendition in each stitched file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput } from './lib/ladder.mjs';
import { mediaScratchDir, runFfmpeg } from './lib/media.mjs';
import { assertPlayedEverything, describeDashPlayback, playDash, playHls } from './lib/player.mjs';
import { ffprobeJson, parseInit, parseSegmentTiming, probePackets, probeStreams } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const SECONDS = 4;
const MS = 0.001;
// A CRF rung: this test is about audio, and CRF needs no rate model.
const RUNG = ['--rung', 'x180:crf30', '--preset', 'ultrafast', '--progress', 'none'];

/** 4 s, 25 fps, and three audio streams: eng stereo AAC (default), fra 5.1 AC-3, spa mono PCM 44.1 kHz. */
function threeStreamSource() {
  const out = path.join(mediaScratchDir(), 'audio-three-streams.mkv');
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.partial.mkv`;
  runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=48000:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=550:sample_rate=44100:duration=${SECONDS}`,
    '-filter_complex', '[1:a]aformat=channel_layouts=stereo[st];[2:a]aformat=channel_layouts=5.1(side)[sur]',
    '-map', '0:v', '-map', '[st]', '-map', '[sur]', '-map', '3:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25',
    '-c:a:0', 'aac', '-b:a:0', '128k', '-c:a:1', 'ac3', '-c:a:2', 'pcm_s16le',
    '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', '-metadata:s:a:2', 'language=spa',
    '-disposition:a:0', 'default', '-disposition:a:1', '0', '-disposition:a:2', '0', tmp], 'three audio streams');
  fs.renameSync(tmp, out);
  return out;
}

/** MPEG-TS (starts at 1.4 s, as FFmpeg's muxer does) with MP2 audio, which ladder re-encodes. */
function tsSource() {
  const out = path.join(mediaScratchDir(), 'audio-start-time.ts');
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.partial.ts`;
  runFfmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=25:duration=${SECONDS}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
    '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25',
    '-c:a', 'mp2', '-b:a', '128k', tmp], 'mpeg-ts source');
  fs.renameSync(tmp, out);
  return out;
}

/** [{start, end}] in seconds of a CMAF track's segments, from tfdt and trun. */
function segmentTimes(initPath, segPaths) {
  const init = parseInit(initPath);
  return segPaths.map((f) => {
    const t = parseSegmentTiming(f, init);
    return { start: t.baseDecodeTime / init.timescale, end: (t.baseDecodeTime + t.durationTicks) / init.timescale };
  });
}

/**
 * Every audio rendition: ffprobe stream (codec, channels) and segment times
 * vs the video's, within one audio frame; first packet at 0.
 */
function checkRenditions(out, { codec, channels }) {
  const video = out.variants[0];
  const vTimes = segmentTimes(video.init, video.segs);
  assert.equal(out.audios.length, channels.length, 'number of audio renditions');
  out.audios.forEach((a, i) => {
    const st = probeStreams(a.init).find((s) => s.codec_type === 'audio');
    assert.ok(st, `${a.uri}: no audio stream in init.mp4`);
    assert.equal(st.codec_name, codec, `${a.uri}: codec`);
    assert.equal(Number(st.channels), channels[i], `${a.uri}: channels`);
    assert.equal(a.attrs.CHANNELS, String(channels[i]), `${a.uri}: CHANNELS`);
    const frame = (codec === 'opus' ? 960 : 1024) / Number(st.sample_rate);
    const aTimes = segmentTimes(a.init, a.segs);
    assert.equal(aTimes.length, vTimes.length, `${a.uri}: segments, audio vs video`);
    assert.equal(aTimes[0].start, 0, `${a.uri}: first segment's tfdt`);
    aTimes.forEach((t, k) => {
      assert.ok(Math.abs(t.start - vTimes[k].start) <= frame + MS,
        `${a.uri} segment ${k + 1} starts at ${t.start.toFixed(4)} s, video at ${vTimes[k].start.toFixed(4)} s`);
      const [ad, vd] = [t.end - t.start, vTimes[k].end - vTimes[k].start];
      assert.ok(Math.abs(ad - vd) <= frame + MS, `${a.uri} segment ${k + 1} lasts ${ad.toFixed(4)} s, video ${vd.toFixed(4)} s`);
    });
    const cat = path.join(path.dirname(a.init), 'whole.mp4');
    fs.writeFileSync(cat, Buffer.concat([a.init, ...a.segs].map((f) => fs.readFileSync(f))));
    const first = probePackets(cat, 'a:0')[0];
    fs.unlinkSync(cat);
    assert.equal(first.pts, 0, `${a.uri}: first packet's time`);
  });
}

function audioSets(outDir) {
  const mpd = fs.readFileSync(path.join(outDir, 'manifest.mpd'), 'utf8');
  const r = spawnSync(process.env.XMLLINT || 'xmllint', ['--noout', '--nonet', path.join(outDir, 'manifest.mpd')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `xmllint rejects manifest.mpd: ${r.stderr}`);
  return [...mpd.matchAll(/<AdaptationSet[^>]*contentType="audio"[^>]*>([\s\S]*?)<\/AdaptationSet>/g)].map((m) => ({
    head: m[0].slice(0, m[0].indexOf('>') + 1),
    lang: (/\blang="([^"]*)"/.exec(m[0].slice(0, m[0].indexOf('>') + 1)) || [])[1] ?? null,
    codecs: (/codecs="([^"]*)"/.exec(m[1]) || [])[1],
    channels: Number((/<AudioChannelConfiguration[^>]*value="(\d+)"/.exec(m[1]) || [])[1]),
    main: /<Role[^>]*value="main"/.test(m[1]),
  }));
}

describe('audio renditions', () => {
  const runs = {};
  let work;
  before(async () => {
    ladderBin();
    work = makeTempDir('ladder-e2e-audio-');
    const src = threeStreamSource();
    const ladderFile = path.join(work, 'ladder.json');
    fs.writeFileSync(ladderFile, JSON.stringify({
      audio: 'first', audio_codec: 'opus', audio_channels: 2, rungs: [{ height: 180, crf: 30 }],
    }));
    const cases = {
      all: [src, ['--format', 'hls,dash,mp4']],
      first: [src, ['--audio', 'first']],
      none: [src, ['--audio', 'none']],
      stereo: [src, ['--audio-channels', '2']],
      opus: [src, ['--audio-codec', 'opus']],
      ts: [tsSource(), []],
    };
    for (const [name, [input, args]] of Object.entries(cases)) {
      const outDir = path.join(work, name);
      runs[name] = { outDir, run: await encode(input, outDir, [...RUNG, ...args]) };
    }
    const fileOut = path.join(work, 'file');
    runs.file = { outDir: fileOut, run: await encode(src, fileOut, ['--ladder', ladderFile, '--preset', 'ultrafast', '--progress', 'none']) };
  });
  const output = (name) => {
    const { run, outDir } = runs[name];
    assert.equal(run.code, 0, describeRun(run));
    return loadOutput(outDir);
  };

  it('--audio all (default): three renditions with their own labels, channels and one default', () => {
    const out = output('all');
    const media = out.audios.map((a) => a.attrs);
    assert.deepEqual(media.map((m) => m.URI),
      ['audio/1-en-aac/index.m3u8', 'audio/2-fr-aac/index.m3u8', 'audio/3-es-aac/index.m3u8']);
    assert.deepEqual(media.map((m) => m.LANGUAGE), ['en', 'fr', 'es']);
    assert.deepEqual(media.map((m) => m.DEFAULT), ['YES', 'NO', 'NO'], 'DEFAULT=YES on the source default only');
    assert.ok(media.every((m) => m['GROUP-ID'] === 'audio' && m.AUTOSELECT === 'YES' && m.TYPE === 'AUDIO'));
    assert.equal(new Set(media.map((m) => m.NAME)).size, 3, 'NAMEs are unique');
    for (const v of out.variants) {
      assert.equal(v.attrs.CODECS.split(',').filter((c) => c === 'mp4a.40.2').length, 1, `CODECS ${v.attrs.CODECS}`);
      assert.equal(v.attrs.AUDIO, 'audio');
    }
    checkRenditions(out, { codec: 'aac', channels: [2, 6, 1] });
    assert.deepEqual(fs.readdirSync(path.join(out.outDir, 'audio')).sort(), ['1-en-aac', '2-fr-aac', '3-es-aac']);
    const rep = out.report.audio;
    assert.deepEqual(rep.map((a) => [a.index, a.language, a.channels, a.sample_rate, a.copied, a.default, a.codecs]),
      [[1, 'en', 2, 48000, true, true, 'mp4a.40.2'], [2, 'fr', 6, 48000, false, false, 'mp4a.40.2'],
        [3, 'es', 1, 44100, false, false, 'mp4a.40.2']], 'report.audio');
    rep.forEach((a, i) => {
      assert.equal(a.segments, out.audios[i].segs.length, `report.audio[${i}].segments`);
      assert.ok(a.bitrate > 0 && Math.abs(a.duration - SECONDS) < 0.05, `report.audio[${i}]: ${JSON.stringify(a)}`);
    });
  });

  it('--audio all: one DASH AdaptationSet per rendition with lang, channels, codecs and one main Role', () => {
    const sets = audioSets(runs.all.outDir);
    assert.deepEqual(sets.map((s) => [s.lang, s.channels, s.codecs, s.main]),
      [['en', 2, 'mp4a.40.2', true], ['fr', 6, 'mp4a.40.2', false], ['es', 1, 'mp4a.40.2', false]]);
  });

  it('--format mp4: the stitched file holds every rendition, the default first and alone enabled', () => {
    const out = output('all');
    const info = ffprobeJson(['-show_streams', path.join(out.outDir, 'mp4', '180p.mp4')]);
    const audio = info.streams.filter((s) => s.codec_type === 'audio');
    assert.deepEqual(audio.map((s) => [s.channels, s.tags && s.tags.language, s.disposition.default]),
      [[2, 'eng', 1], [6, 'fra', 0], [1, 'spa', 0]]);
    for (const s of audio) assert.equal(Number(s.start_time), 0, `audio track ${s.index} start_time`);
  });

  it('--audio first: one rendition, the first stream', () => {
    const out = output('first');
    assert.deepEqual(out.audios.map((a) => a.uri), ['audio/1-en-aac/index.m3u8']);
    assert.equal(out.audios[0].attrs.DEFAULT, 'YES');
    assert.equal(audioSets(out.outDir).length, 1);
    checkRenditions(out, { codec: 'aac', channels: [2] });
  });

  it('--audio none: no audio rendition, no audio directory, no audio in CODECS', () => {
    const out = output('none');
    assert.deepEqual(out.audioMedia, []);
    assert.ok(!fs.existsSync(path.join(out.outDir, 'audio')), 'audio/ exists');
    assert.equal(audioSets(out.outDir).length, 0);
    assert.deepEqual(out.report.audio, []);
    for (const v of out.variants) assert.equal(v.attrs.CODECS.split(',').length, 1, v.attrs.CODECS);
  });

  it('--audio-channels 2: 5.1 downmixed to stereo, mono stays mono', () => {
    const out = output('stereo');
    checkRenditions(out, { codec: 'aac', channels: [2, 2, 1] });
    assert.deepEqual(out.report.audio.map((a) => a.channels), [2, 2, 1]);
  });

  it('--audio-codec opus: Opus in every rendition (48 kHz), CODECS "opus"', () => {
    const out = output('opus');
    checkRenditions(out, { codec: 'opus', channels: [2, 6, 1] });
    assert.deepEqual(out.audios.map((a) => path.basename(a.dir)), ['1-en-opus', '2-fr-opus', '3-es-opus']);
    for (const v of out.variants) assert.ok(v.attrs.CODECS.split(',').includes('opus'), v.attrs.CODECS);
    assert.ok(out.report.audio.every((a) => a.codecs === 'opus' && a.sample_rate === 48000 && !a.copied));
    assert.deepEqual(audioSets(out.outDir).map((s) => s.codecs), ['opus', 'opus', 'opus']);
  });

  it('--audio-codec opus: hls.js plays it with its audio', async () => {
    const r = await playHls(runs.opus.outDir);
    assertPlayedEverything(assert, r, { expectAudio: true });
    assert.equal((r.audioTracks || []).length, 3, `hls.js audio tracks ${JSON.stringify(r.audioTracks)}`);
  });

  it('--audio-codec opus: dash.js plays it to the end with its audio', async () => {
    const r = await playDash(runs.opus.outDir);
    const info = `\n${describeDashPlayback(r)}`;
    assert.equal(r.setupError, null, info);
    assert.deepEqual(r.errors, [], `dash.js errors${info}`);
    assert.deepEqual(r.videoErrors, [], `video errors${info}`);
    assert.deepEqual(r.httpErrors, [], `missing files${info}`);
    assert.ok(r.ended, `did not play to the end${info}`);
    assert.ok(r.events.some((e) => e.type === 'FRAGMENT_LOADED' && e.mediaType === 'audio' && e.kind === 'MediaSegment'),
      `no audio segment loaded${info}`);
  });

  it('MPEG-TS source starting at 1.4 s: the re-encoded audio starts at video time zero', () => {
    const out = output('ts');
    const src = probeStreams(tsSource()).find((s) => s.codec_type === 'audio');
    assert.ok(Number(src.start_time) > 1, `the source should start late, starts at ${src.start_time}`);
    assert.equal(out.report.audio[0].copied, false);
    checkRenditions(out, { codec: 'aac', channels: [1] });
  });

  it('ladder file keys "audio", "audio_codec", "audio_channels"', () => {
    const out = output('file');
    assert.deepEqual(out.audios.map((a) => a.uri), ['audio/1-en-opus/index.m3u8']);
    checkRenditions(out, { codec: 'opus', channels: [2] });
  });

  it('a bad --audio, --audio-codec or --audio-channels is a usage error (exit 2)', async () => {
    for (const args of [['--audio', 'some'], ['--audio-codec', 'mp3'], ['--audio-channels', '4']]) {
      const r = await encode(threeStreamSource(), path.join(work, 'bad'), [...RUNG, ...args]);
      assert.equal(r.code, 2, describeRun(r));
      assert.match(r.stderr, new RegExp(args[0]), 'the message names the option');
    }
  });
});
