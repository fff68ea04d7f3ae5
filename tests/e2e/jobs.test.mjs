// `ladder job`: every job type run through the real CLI on generated media,
// checked with ffprobe / ffmpeg; the JSON-lines contract (progress lines,
// one result line last), exit codes of bad specs, URL allow-list, and the
// atomic output directory (a killed job leaves no final directory, a rerun
// of the same job replaces the previous result, another job's is refused).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ladderBin, stderrLines } from './lib/ladder.mjs';
import { audioOnlyClip, runFfmpeg } from './lib/media.mjs';
import { boxTypes, ffprobeJson, probeStreams } from './lib/probe.mjs';
import { makeTempDir, runProcess, withSharedLock } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-jobs-');
const media = path.join(work, 'media');
fs.mkdirSync(media);
const EXIT = { inputMissing: 3, noVideo: 5, badSpec: 6, outputUnwritable: 7, unsupported: 10, refused: 13, ownedOutput: 16 };

let leadIn; // 2 s black, then 3 s testsrc2; 44.1 kHz mono sine
let numbered; // 4 s at 25 fps: frame N has luma 16 + 2N; stereo 48 kHz sine
let longer; // 6 s 1280x720, for the kill test

before(() => {
  leadIn = path.join(media, 'leadin.mp4');
  runFfmpeg(['-f', 'lavfi', '-i', 'color=black:s=320x180:r=25:d=2', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=3',
    '-f', 'lavfi', '-i', 'sine=f=440:d=5:sample_rate=44100',
    '-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]', '-map', '[v]', '-map', '2:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-ac', '1', leadIn], 'lead-in clip');
  numbered = path.join(media, 'numbered.mp4');
  runFfmpeg(['-f', 'lavfi', '-i', 'color=gray:s=320x180:r=25:d=4', '-f', 'lavfi', '-i', 'sine=f=1000:d=4:sample_rate=48000',
    '-vf', "geq=lum='16+2*N':cb=128:cr=128,format=yuv420p", '-map', '0:v', '-map', '1:a',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '50', '-c:a', 'aac', '-ac', '2', numbered], 'numbered clip');
  longer = path.join(media, 'longer.mp4');
  runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=30:d=6', '-f', 'lavfi', '-i', 'sine=d=6',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', longer], 'longer clip');
});

let seq = 0;
function newRoot() {
  const root = path.join(work, `root-${++seq}`);
  fs.mkdirSync(root);
  return root;
}

/** Run `ladder job -` with spec on stdin (or a file when viaFile). */
async function runJob(spec, { viaFile = false, env, cwd } = {}) {
  let args = ['job', '-'];
  let input;
  if (viaFile) {
    const f = path.join(work, `spec-${++seq}.json`);
    fs.writeFileSync(f, typeof spec === 'string' ? spec : JSON.stringify(spec));
    args = ['job', f];
  } else {
    input = typeof spec === 'string' ? spec : JSON.stringify(spec);
  }
  const bin = ladderBin();
  const r = await withSharedLock(() => runProcess(bin, args, { input, env, cwd }));
  const lines = r.stdout.split('\n').filter((l) => l.length);
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l);
    } catch {
      assert.fail(`stdout line ${i} is not JSON: ${l}`);
    }
  });
  const results = parsed.filter((o) => o.type === 'result');
  assert.equal(results.length, 1, `exactly one result line expected:\n${r.stdout}\n${r.stderr}`);
  assert.equal(parsed[parsed.length - 1].type, 'result', 'the result line must be the last line');
  for (const p of parsed.slice(0, -1)) {
    assert.equal(p.type, 'progress');
    assert.ok(p.percent >= 0 && p.percent <= 100, `percent out of range: ${JSON.stringify(p)}`);
    assert.equal(typeof p.stage, 'string');
  }
  return { ...r, result: results[0], progress: parsed.slice(0, -1), info: `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}` };
}

function assertOk(r) {
  assert.equal(r.code, 0, r.info);
  assert.equal(r.result.status, 'ok', r.info);
  assert.equal(r.stderr.trim(), '', `no stderr on success: ${r.stderr}`);
  for (const o of r.result.outputs) {
    assert.ok(fs.existsSync(o.path), `output ${o.path} missing`);
    assert.equal(o.bytes, fs.statSync(o.path).size, `bytes of ${o.path}`);
  }
  assert.deepEqual(r.result.devices, ['cpu']);
  assert.equal(typeof r.result.node, 'string');
  assert.ok(r.result.timings.wall_seconds > 0 && r.result.timings.cpu_seconds > 0);
}

function assertError(r, code, mention) {
  assert.equal(r.code, code, r.info);
  assert.equal(r.result.status, 'error', r.info);
  assert.equal(r.result.exit_code, code);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `exactly one stderr line:\n${r.stderr}`);
  assert.ok(lines[0].includes(mention), `stderr should name ${mention}: ${lines[0]}`);
  assert.ok(r.result.error.includes(mention), `result error should name ${mention}: ${r.result.error}`);
}

/** Mean luma of the first frame of a picture or video (signalstats YAVG). */
function firstFrameLuma(file) {
  const j = ffprobeJson(['-f', 'lavfi', '-i', `movie=${file},signalstats`, '-read_intervals', '%+#1',
    '-show_entries', 'frame_tags=lavfi.signalstats.YAVG']);
  return Number(j.frames[0].tags['lavfi.signalstats.YAVG']);
}

function streamOf(file, type) {
  return probeStreams(file).find((s) => s.codec_type === type);
}

function countFrames(file) {
  const j = ffprobeJson(['-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', file]);
  return Number(j.streams[0].nb_read_frames);
}

function assertFaststart(file) {
  const boxes = boxTypes(file);
  assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat'),
    `moov before mdat (faststart): ${boxes.join(',')}`);
}

function integratedLoudness(file) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostats', '-i', file, '-map', '0:a', '-af', 'ebur128', '-f', 'null', '-'],
    { encoding: 'utf8' });
  const m = /Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+) LUFS/.exec(r.stderr);
  assert.ok(m, `no ebur128 summary:\n${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

describe('ladder job: types', () => {
  it('proxy: 540p box, H.264 + AAC stereo 48k, every source frame, faststart (spec from a file)', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'proxy', id: 'p-1', input: leadIn, output_root: root, output: 'proxy', height: 120 },
      { viaFile: true });
    assertOk(r);
    assert.equal(r.result.job, 'p-1');
    const file = path.join(root, 'proxy', 'proxy.mp4');
    assert.equal(r.result.outputs[0].path, file);
    const v = streamOf(file, 'video');
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.pix_fmt, 'yuv420p');
    assert.equal(v.height, 120);
    assert.equal(v.width, 214); // 320x180 at height 120, even width
    assert.equal(r.result.outputs[0].height, 120);
    assert.equal(countFrames(file), 125);
    const a = streamOf(file, 'audio');
    assert.equal(a.codec_name, 'aac');
    assert.equal(a.channels, 2);
    assert.equal(Number(a.sample_rate), 48000);
    assertFaststart(file);
    assert.ok(Math.abs(r.result.outputs[0].duration - 5) < 0.1, `duration ${r.result.outputs[0].duration}`);
    assert.ok(r.progress.length >= 1, 'progress lines');
  });

  it('proxy: an anamorphic source keeps its display shape with square pixels', async () => {
    const clip = path.join(media, 'anamorphic.mp4');
    runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25:d=2', '-vf', 'setsar=4/3', '-c:v', 'libx264',
      '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], 'anamorphic clip');
    const root = newRoot();
    const r = await runJob({ type: 'proxy', input: clip, output_root: root, output: 'p' });
    assertOk(r);
    const v = streamOf(path.join(root, 'p', 'proxy.mp4'), 'video');
    assert.equal(v.height, 180, 'never above the source height');
    assert.equal(v.width, 426, '320 x 4/3 display width, even');
    assert.ok(!v.sample_aspect_ratio || v.sample_aspect_ratio === '1:1', `SAR ${v.sample_aspect_ratio}`);
  });

  it('thumbnail: skips a black lead-in when no time is given', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'thumbnail', id: 't-1', input: leadIn, output_root: root, output: 'thumb', width: 160 });
    assertOk(r);
    assert.ok(r.result.time >= 2.0, `chosen time ${r.result.time} is in the black lead-in`);
    assert.equal(r.result.chosen, 'auto');
    const file = path.join(root, 'thumb', 'thumbnail.jpg');
    const s = probeStreams(file)[0];
    assert.equal(s.codec_name, 'mjpeg');
    assert.equal(s.width, 160);
    assert.equal(s.height, 90);
    assert.ok(firstFrameLuma(file) > 40, 'the thumbnail is not black');
  });

  it('thumbnail: an explicit time is honoured (even a black frame), WebP when asked', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'thumbnail', input: leadIn, output_root: root, output: 'thumb', time: 1.0, format: 'webp' });
    const hasWebp = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout.includes('libwebp');
    if (!hasWebp) {
      assertError(r, EXIT.unsupported, 'format');
      return;
    }
    assertOk(r);
    assert.ok(Math.abs(r.result.time - 1.0) < 0.05, `time ${r.result.time}`);
    const file = path.join(root, 'thumb', 'thumbnail.webp');
    assert.equal(probeStreams(file)[0].codec_name, 'webp');
    assert.ok(firstFrameLuma(file) < 24, 'the frame at 1 s is black');
  });

  it('filmstrip: sprite grid and a WebVTT track whose cues cover the duration and point inside the sprite', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'filmstrip', input: leadIn, output_root: root, output: 'strip', interval: 1,
      columns: 3, width: 96, height: 54 });
    assertOk(r);
    const dir = path.join(root, 'strip');
    const vtt = fs.readFileSync(path.join(dir, 'thumbnails.vtt'), 'utf8');
    const lines = vtt.split('\n');
    assert.equal(lines[0], 'WEBVTT');
    const cues = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$/.exec(lines[i]);
      if (!m) continue;
      const t = (h, mi, s, ms) => Number(h) * 3600 + Number(mi) * 60 + Number(s) + Number(ms) / 1000;
      const x = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[i + 1]);
      assert.ok(x, `cue payload: ${lines[i + 1]}`);
      cues.push({ start: t(m[1], m[2], m[3], m[4]), end: t(m[5], m[6], m[7], m[8]), file: x[1],
        x: +x[2], y: +x[3], w: +x[4], h: +x[5] });
    }
    assert.equal(cues.length, 5);
    assert.equal(r.result.tiles, 5);
    assert.equal(cues[0].start, 0);
    for (let i = 1; i < cues.length; i++) assert.equal(cues[i].start, cues[i - 1].end, `gap before cue ${i}`);
    assert.ok(Math.abs(cues[cues.length - 1].end - 5) < 0.05, `last cue ends at ${cues[cues.length - 1].end}`);
    for (const c of cues) {
      const sprite = path.join(dir, c.file);
      const s = probeStreams(sprite)[0];
      assert.equal(s.codec_name, 'mjpeg');
      assert.ok(c.x >= 0 && c.y >= 0 && c.x + c.w <= s.width && c.y + c.h <= s.height,
        `cue ${JSON.stringify(c)} outside the ${s.width}x${s.height} sprite`);
      assert.equal(c.w, 96);
      assert.equal(c.h, 54);
    }
    const s = probeStreams(path.join(dir, 'sprite-0.jpg'))[0];
    assert.equal(s.width, 288);
    assert.equal(s.height, 108);
  });

  it('filmstrip: each tile shows the frame at the middle of its span (seeking through a longer clip)', async () => {
    // 30 s at 10 fps, frame N has luma 16 + N/2: tiles every 10 s show frames 50, 150, 250.
    const clip = path.join(media, 'numbered-long.mp4');
    runFfmpeg(['-f', 'lavfi', '-i', 'color=gray:s=160x90:r=10:d=30', '-vf', "geq=lum='16+N/2':cb=128:cr=128,format=yuv420p",
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '20', clip], 'long numbered clip');
    const root = newRoot();
    const r = await runJob({ type: 'filmstrip', input: clip, output_root: root, output: 's', interval: 10, columns: 3,
      width: 64, height: 36, quality: 95 });
    assertOk(r);
    const sprite = path.join(root, 's', 'sprite-0.jpg');
    [50, 150, 250].forEach((frame, i) => {
      const j = ffprobeJson(['-f', 'lavfi', '-i', `movie=${sprite},crop=48:24:${i * 64 + 8}:6,signalstats`,
        '-show_entries', 'frame_tags=lavfi.signalstats.YAVG']);
      const got = Number(j.frames[0].tags['lavfi.signalstats.YAVG']);
      const want = (16 + frame / 2 - 16) * 255 / 219; // JPEG is full range
      assert.ok(Math.abs(got - want) < 3, `tile ${i}: luma ${got}, expected ${want.toFixed(1)} (frame ${frame})`);
    });
  });

  it('conform: frame rate, letterboxed size, pixel format, audio layout/rate and loudness target', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'conform', input: leadIn, output_root: root, output: 'c', fps: 30, width: 320,
      height: 240, fit: 'pad', audio_channels: 2, audio_rate: 44100, loudness: -20, crf: 26, preset: 'ultrafast' });
    assertOk(r);
    const file = path.join(root, 'c', 'conform.mp4');
    const v = streamOf(file, 'video');
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.equal(v.r_frame_rate, '30/1');
    assert.equal(v.pix_fmt, 'yuv420p');
    assert.equal(countFrames(file), 150, '5 s at 30 fps');
    const a = streamOf(file, 'audio');
    assert.equal(a.channels, 2);
    assert.equal(Number(a.sample_rate), 44100);
    assertFaststart(file);
    const lufs = integratedLoudness(file);
    assert.ok(Math.abs(lufs - -20) <= 1, `integrated loudness ${lufs} LUFS, target -20`);
    // Letterbox: the bars above and below the 16:9 picture are black.
    const top = ffprobeJson(['-f', 'lavfi', '-i', `movie=${file},trim=start=3,crop=320:20:0:0,signalstats`,
      '-read_intervals', '%+#1', '-show_entries', 'frame_tags=lavfi.signalstats.YAVG']);
    assert.ok(Number(top.frames[0].tags['lavfi.signalstats.YAVG']) < 20, 'top bar is black');
  });

  it('conform: crop fills the frame, mono', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'conform', input: leadIn, output_root: root, output: 'c', width: 240,
      height: 240, fit: 'crop', audio_channels: 1, pix_fmt: 'yuv444p', preset: 'ultrafast' });
    assertOk(r);
    const file = path.join(root, 'c', 'conform.mp4');
    const v = streamOf(file, 'video');
    assert.equal(v.width, 240);
    assert.equal(v.height, 240);
    assert.equal(v.pix_fmt, 'yuv444p');
    assert.equal(streamOf(file, 'audio').channels, 1);
    const top = ffprobeJson(['-f', 'lavfi', '-i', `movie=${file},trim=start=3,crop=240:20:0:0,signalstats`,
      '-read_intervals', '%+#1', '-show_entries', 'frame_tags=lavfi.signalstats.YAVG']);
    assert.ok(Number(top.frames[0].tags['lavfi.signalstats.YAVG']) > 30, 'no bars: the picture reaches the top');
  });

  for (const mode of ['reencode', undefined]) {
    it(`trim (${mode || 'default mode'}): first frame is the one at "in", duration out-in, audio in sync`, async () => {
      const root = newRoot();
      const spec = { type: 'trim', input: numbered, output_root: root, output: 't', in: 1.6, out: 3.2 };
      if (mode) spec.mode = mode;
      const r = await runJob(spec);
      assertOk(r);
      assert.equal(r.result.mode_used, 'reencode');
      const file = path.join(root, 't', 'trim.mp4');
      // Frame 40 (1.6 s at 25 fps) has luma 16 + 80 = 96; its neighbours 94 and 98.
      const y = firstFrameLuma(file);
      assert.ok(Math.abs(y - 96) < 1, `first frame luma ${y}: not the frame at 1.6 s`);
      assert.equal(countFrames(file), 40);
      const v = streamOf(file, 'video');
      const a = streamOf(file, 'audio');
      assert.ok(Math.abs(Number(v.start_time)) < 0.001, `video starts at ${v.start_time}`);
      assert.ok(Math.abs(Number(a.start_time) - Number(v.start_time)) < 0.03, `audio starts at ${a.start_time}`);
      assert.ok(Math.abs(Number(a.duration) - 1.6) < 0.05, `audio duration ${a.duration}`);
      assertFaststart(file);
    });
  }

  it('ladder: HLS ladder of the given rungs through libladder', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'ladder', input: leadIn, output_root: root, output: 'abr', format: 'hls',
      rungs: [{ name: 'small', width: 320, height: 180, bitrate: '300k' }, { height: 90, bitrate: 150 }],
      segment_seconds: 2, preset: 'ultrafast' });
    assertOk(r);
    const dir = path.join(root, 'abr');
    const master = fs.readFileSync(path.join(dir, 'master.m3u8'), 'utf8');
    assert.match(master, /RESOLUTION=320x180/);
    assert.match(master, /RESOLUTION=160x90/);
    assert.ok(!fs.existsSync(path.join(dir, 'manifest.mpd')), 'format hls only');
    assert.equal(r.result.rungs, 2);
    assert.equal(r.result.outputs[0].path, path.join(dir, 'master.m3u8'));
    assert.equal(r.result.report.rungs.length, 2);
  });
});

describe('ladder job: errors', () => {
  it('bad specs exit 6 with one line naming the key, and a parseable result line', async () => {
    const root = newRoot();
    const cases = [
      [{ type: 'proxy', input: leadIn, output_root: root, output: 'x', hieght: 720 }, 'hieght'],
      [{ type: 'proxy', input: leadIn, output_root: root, output: '../x' }, 'output'],
      [{ type: 'proxy', input: leadIn, output_root: root, output: '/abs' }, 'output'],
      [{ type: 'trim', input: leadIn, output_root: root, output: 'x', in: 2 }, '"out"'],
      [{ type: 'shrink', input: leadIn, output_root: root, output: 'x' }, 'type'],
      ['{"type": "proxy", ', 'JSON'],
    ];
    for (const [spec, key] of cases) {
      const r = await runJob(spec);
      assertError(r, EXIT.badSpec, key);
    }
    const r = await runJob({ type: 'proxy', id: 'bad-1', input: leadIn, output_root: root, output: 'x', height: 'tall' });
    assertError(r, EXIT.badSpec, 'height');
    assert.equal(r.result.job, 'bad-1', 'the id is echoed even for a bad spec');
    assert.deepEqual(fs.readdirSync(root), [], 'nothing written for a bad spec');
  });

  it('missing input 3, no video 5, unwritable output_root 7', async () => {
    const root = newRoot();
    let r = await runJob({ type: 'proxy', input: path.join(work, 'nope.mp4'), output_root: root, output: 'x' });
    assertError(r, EXIT.inputMissing, 'nope.mp4');
    const audio = (await audioOnlyClip()).path;
    r = await runJob({ type: 'thumbnail', input: audio, output_root: root, output: 'x' });
    assertError(r, EXIT.noVideo, path.basename(audio));
    r = await runJob({ type: 'thumbnail', input: leadIn, output_root: path.join(root, 'missing'), output: 'x' });
    assertError(r, EXIT.outputUnwritable, 'missing');
    assert.deepEqual(fs.readdirSync(root), [], 'no final or temporary directory left by failed jobs');
  });

  it('URL inputs: refused unless on the allow-list (spec or LADDER_JOB_URL_ALLOW)', async () => {
    const root = newRoot();
    const url = 'http://127.0.0.1:9/clip.mp4';
    let r = await runJob({ type: 'proxy', input: url, output_root: root, output: 'x' });
    assertError(r, EXIT.badSpec, 'url_allow');
    r = await runJob({ type: 'proxy', input: url, output_root: root, output: 'x', url_allow: ['https://cdn.example/'] });
    assertError(r, EXIT.badSpec, 'url_allow');
    // Allowed: the job goes on to open it (nothing listens on port 9: input missing, not refused).
    r = await runJob({ type: 'proxy', input: url, output_root: root, output: 'x', url_allow: ['http://127.0.0.1:9/'] });
    assertError(r, EXIT.inputMissing, url);
    r = await runJob({ type: 'proxy', input: url, output_root: root, output: 'x' },
      { env: { ...process.env, LADDER_JOB_URL_ALLOW: 'https://a.example/,http://127.0.0.1:9/' } });
    assertError(r, EXIT.inputMissing, url);
    // The ladder type too (its session was given no protocol: refused, 13).
    r = await runJob({ type: 'ladder', input: url, output_root: root, output: 'x', url_allow: ['http://127.0.0.1:9/'] });
    assertError(r, EXIT.inputMissing, url);
  });
});

describe("ladder job: a producer's data and its file names", () => {
  // File names as a media system has them: a colon, spaces, unicode.
  const names = path.join(work, 'names');
  let colon; // names/Interview: part 1 – Zoë.mp4
  before(() => {
    fs.mkdirSync(names);
    colon = path.join(names, 'Interview: part 1 – Zoë.mp4');
    fs.copyFileSync(leadIn, colon);
    fs.copyFileSync(leadIn, path.join(names, 'clip:v2.mp4'));
  });

  it('foreign keys are ignored and listed in the result, with one stderr line', async () => {
    const root = newRoot();
    const r = await runJob({ type: 'thumbnail', input: leadIn, output_root: root, output: 'p', assetId: 'a-1',
      userId: 7, callbackUrl: 'https://mam.example/cb', meta: { tenant: 't' }, width: 160 });
    assert.equal(r.code, 0, r.info);
    assert.deepEqual(r.result.ignored_keys, ['assetId', 'userId', 'callbackUrl', 'meta']);
    assert.equal(r.result.outputs[0].width, 160);
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, r.info);
    assert.match(lines[0], /not ladder's keys, ignored: \["assetId","userId","callbackUrl","meta"\]/);
    const plain = await runJob({ type: 'thumbnail', input: leadIn, output_root: root, output: 'q' });
    assertOk(plain);
    assert.deepEqual(plain.result.ignored_keys, []);
  });

  it('a slip of one of ladder\'s keys is a bad spec (6) that names the key meant', async () => {
    const root = newRoot();
    for (const [spec, want] of [
      [{ type: 'proxy', inptu: leadIn, input: leadIn, output_root: root, output: 'x' }, '"inptu" for a proxy job: did you mean "input"?'],
      [{ type: 'proxy', input: leadIn, outputRoot: root, output_root: root, output: 'x' }, 'did you mean "output_root"?'],
      [{ type: 'ladder', input: leadIn, output_root: root, output: 'x', segment_secs: 4 }, 'did you mean "segment_seconds"?'],
    ]) {
      assertError(await runJob(spec), EXIT.badSpec, want);
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  it('a colon, spaces and unicode in a local path: a file (proxy, thumbnail, ladder; absolute and relative)', async () => {
    const root = newRoot();
    let r = await runJob({ type: 'proxy', input: colon, output_root: root, output: 'proxy', height: 90 });
    assertOk(r);
    assert.equal(streamOf(r.result.outputs[0].path, 'video').height, 90);
    r = await runJob({ type: 'ladder', input: colon, output_root: root, output: 'abr', format: 'hls',
      rungs: [{ height: 90, bitrate: 150 }], preset: 'ultrafast' });
    assertOk(r);
    assert.equal(r.result.report.rungs.length, 1);
    // Relative: FFmpeg would read "clip:" as a protocol; it is the file.
    r = await runJob({ type: 'thumbnail', input: 'clip:v2.mp4', output_root: root, output: 'rel' }, { cwd: names });
    assertOk(r);
    r = await runJob({ type: 'ladder', input: 'clip:v2.mp4', output_root: root, output: 'rel-abr', format: 'hls',
      rungs: [{ height: 90, bitrate: 150 }], preset: 'ultrafast' }, { cwd: names });
    assertOk(r);
    // An FFmpeg protocol form is a (missing) file name too, never a protocol.
    r = await runJob({ type: 'thumbnail', input: `concat:${colon}|${colon}`, output_root: root, output: 'c' }, { cwd: names });
    assertError(r, EXIT.inputMissing, 'concat:');
    // A file: URL is refused: the path is what input_allow holds.
    r = await runJob({ type: 'thumbnail', input: `file://${colon}`, output_root: root, output: 'f' });
    assertError(r, EXIT.badSpec, 'file: URL');
  });

  it('input_allow: a missing input inside is 3, one outside is 13 whether it exists or not', async () => {
    const root = newRoot();
    const env = { ...process.env, LADDER_INPUT_ALLOW: names };
    let r = await runJob({ type: 'thumbnail', input: path.join(names, 'gone: take 2.mp4'), output_root: root, output: 'x' }, { env });
    assertError(r, EXIT.inputMissing, 'gone: take 2.mp4');
    r = await runJob({ type: 'thumbnail', input: path.join(names, 'no dir', 'x.mp4'), output_root: root, output: 'x' }, { env });
    assertError(r, EXIT.inputMissing, 'no dir');
    for (const outside of [leadIn, path.join(media, 'nope.mp4'), path.join(names, '..', 'media', 'nope.mp4')]) {
      r = await runJob({ type: 'thumbnail', input: outside, output_root: root, output: 'x' }, { env });
      assertError(r, EXIT.refused, 'input_allow');
    }
    r = await runJob({ type: 'thumbnail', input: colon, output_root: root, output: 'ok' }, { env });
    assertOk(r);
  });
});

/** Start a job, send sig once it reported its start, wait for the end. */
/**
 * Run a job and send it sig once it has started. twice: once it is
 * encoding (a stop then has chunks in hand to finish), and again 50 ms
 * later, while it finishes them.
 */
function signalMidJob(spec, sig, { twice = false } = {}) {
  return withSharedLock(() => new Promise((resolve, reject) => {
    const child = spawn(ladderBin(), ['job', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      // Signalled once it has started, well before it can finish. Twice:
      // another signal at once (two of the same could merge while pending,
      // and a stop with no chunk in hand can end before a later one).
      if (!sent && (twice ? /"stage":"(?!start)/ : /"stage":"start"/).test(stdout)) {
        sent = true;
        child.kill(sig);
        if (twice) child.kill(sig === 'SIGINT' ? 'SIGTERM' : 'SIGINT');
      }
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(JSON.stringify(spec));
  }));
}

describe('ladder job: host slots and class', () => {
  // A private state directory with one host CPU slot: only these jobs
  // compete for it.
  const slotEnv = () => {
    const dir = fs.mkdtempSync(path.join(work, 'slots-'));
    return { dir, env: { ...process.env, LADDER_STATE_DIR: dir, LADDER_HOST_CPU_SLOTS: '1' } };
  };

  it('a realtime job makes a running batch ladder job yield its slot at a chunk boundary', async () => {
    const { dir, env } = slotEnv();
    const root = newRoot();
    const rungs = [{ name: '360p', width: 640, height: 360, bitrate: '800k' }, { name: '180p', width: 320, height: 180, bitrate: '300k' }];
    const batch = runJob({ type: 'ladder', input: longer, output_root: root, output: 'batch', rungs, preset: 'medium', segment_seconds: 1 }, { env });
    // The batch job holds the only slot (its lock file names it).
    const lock = path.join(dir, 'cpu.0.lock');
    for (let i = 0; !(fs.existsSync(lock) && fs.readFileSync(lock, 'utf8').includes('job ladder')); i++) {
      assert.ok(i < 600, 'the batch ladder job never took its slot');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500));
    const rt = await runJob({ type: 'thumbnail', class: 'realtime', input: numbered, output_root: root, output: 'rt' }, { env });
    const rtDone = Date.now();
    assertOk(rt);
    assert.equal(rt.result.class, 'realtime');
    assert.equal(rt.result.cpu_slots, 1);
    const b = await batch;
    assertOk(b);
    assert.ok(Date.now() >= rtDone);
    assert.equal(b.result.class, 'batch');
    assert.equal(b.result.report.priority.class, 'batch');
    assert.ok(b.result.report.priority.yields >= 1, JSON.stringify(b.result.report.priority));
  });

  it('when_busy fail: no free slot is exit 75 at once, one line naming the slots', async () => {
    const { dir, env } = slotEnv();
    // Hold the only slot from outside (flock(1), as a ladder would).
    const holder = spawn('flock', [path.join(dir, 'cpu.0.lock'), 'sleep', '30'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && fs.readdirSync(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      const r = await runJob({ type: 'thumbnail', id: 'busy', input: numbered, output_root: newRoot(), output: 'busy' },
        { env: { ...env, LADDER_WHEN_BUSY: 'fail' } });
      assertError(r, 75, 'no free cpu slot');
      assert.equal(r.result.job, 'busy');
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('a bad class is a bad spec (exit 6)', async () => {
    const r = await runJob({ type: 'proxy', class: 'urgent', input: numbered, output_root: newRoot(), output: 'bad-class' });
    assertError(r, 6, '"class"');
  });
});

describe('ladder job: atomic output', () => {
  it('a killed job leaves no final directory; the next run succeeds and clears its leftovers', async () => {
    const root = newRoot();
    const spec = { type: 'conform', input: longer, output_root: root, output: 'slow', width: 1280, height: 720,
      preset: 'medium', crf: 18 };
    const k = await signalMidJob(spec, 'SIGKILL');
    assert.equal(k.signal, 'SIGKILL', `the job ended by itself first (exit ${k.code}):\n${k.stdout}`);
    assert.ok(!fs.existsSync(path.join(root, 'slow')), 'no final directory after a kill');
    assert.ok(fs.readdirSync(root).some((n) => n.startsWith('.slow.tmp-')), 'the killed job left its hidden temporary');
    // A fast spec for the same output: it succeeds and removes the dead job's temporary directory.
    const r = await runJob({ ...spec, width: 320, height: 180, preset: 'ultrafast', crf: 30 });
    assertOk(r);
    assert.deepEqual(fs.readdirSync(root), ['slow'], 'only the final directory remains');
  });

  // A ladder job stops at its first SIGTERM (its next attempt continues:
  // tests/e2e/resume.test.mjs); a second one cancels it like any job.
  for (const [type, twice] of [['conform', false], ['ladder', true]]) {
    it(`SIGTERM${twice ? ' twice' : ''} cancels a ${type} job: exit 130, a cancelled result line, nothing left in output_root`, async () => {
      const root = newRoot();
      const spec = type === 'conform'
        ? { type, id: 'c-9', input: longer, output_root: root, output: 'x', width: 1280, height: 720, preset: 'medium', crf: 18 }
        : { type, id: 'c-9', input: longer, output_root: root, output: 'x', preset: 'medium',
          rungs: [{ height: 720, bitrate: '3000k' }, { height: 360, bitrate: '800k' }] };
      const r = await signalMidJob(spec, 'SIGTERM', { twice });
      assert.equal(r.signal, null, `killed instead of cancelled:\n${r.stderr}`);
      assert.equal(r.code, 130, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const last = lines[lines.length - 1];
      assert.equal(last.type, 'result');
      assert.equal(last.status, 'error');
      assert.equal(last.job, 'c-9');
      assert.equal(last.exit_code, 130);
      assert.equal(stderrLines(r.stderr).length, 1, r.stderr);
      assert.deepEqual(fs.readdirSync(root), [], 'no final and no temporary directory');
    });
  }

  it('one SIGTERM stops a ladder job at a chunk boundary: exit 14, its directory and journal kept for the retry', async () => {
    const root = newRoot();
    const spec = { type: 'ladder', id: 's-1', input: longer, output_root: root, output: 'x', preset: 'medium',
      rungs: [{ height: 720, bitrate: '3000k' }, { height: 360, bitrate: '800k' }] };
    const r = await signalMidJob(spec, 'SIGTERM');
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 14, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const last = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    assert.equal(last.type, 'result');
    assert.equal(last.status, 'error');
    assert.equal(last.exit_code, 14);
    assert.match(last.error, /stopped at a chunk boundary/);
    const left = fs.readdirSync(root);
    assert.equal(left.length, 1, left.join(' '));
    assert.match(left[0], /^\.x\.tmp-\d+-/);
    assert.ok(fs.existsSync(path.join(root, left[0], '.ladder-resume')), 'the journal is kept');
  });

  it('running twice replaces the first result cleanly', async () => {
    const root = newRoot();
    const spec = { type: 'thumbnail', input: leadIn, output_root: root, output: 'poster', time: 3 };
    assertOk(await runJob(spec));
    fs.writeFileSync(path.join(root, 'poster', 'stale-marker'), 'from the first run');
    const r = await runJob({ ...spec, width: 64 });
    assertOk(r);
    assert.deepEqual(fs.readdirSync(path.join(root, 'poster')).sort(), ['.ladder-job', 'thumbnail.jpg']);
    assert.equal(probeStreams(path.join(root, 'poster', 'thumbnail.jpg'))[0].width, 64);
    assert.deepEqual(fs.readdirSync(root), ['poster']);
  });
});

// Who made an output: OUTPUT/.ladder-job holds the job's type and id; a
// re-run of the same job replaces the output, another job never does.
describe('ladder job: an output is its job\'s', () => {
  const owner = (root, name) => JSON.parse(fs.readFileSync(path.join(root, name, '.ladder-job'), 'utf8'));
  const files = (dir) => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));

  it("the same job replaces its output; another id or type is refused at once (exit 16), the output left as it was", async () => {
    const root = newRoot();
    const spec = { type: 'thumbnail', id: 'asset-7@1733500000000', input: leadIn, output_root: root, output: 'poster', time: 3 };
    assertOk(await runJob(spec));
    assert.deepEqual(owner(root, 'poster'), { type: 'thumbnail', id: 'asset-7@1733500000000' });
    // A retry of the same job (same type and id, any other key) replaces it.
    assertOk(await runJob({ ...spec, width: 64 }));
    assert.equal(probeStreams(path.join(root, 'poster', 'thumbnail.jpg'))[0].width, 64);
    const before = files(path.join(root, 'poster'));
    // The same job id after a queue reset is another job: the id says so.
    const other = await runJob({ ...spec, id: 'asset-7@1733599999999', width: 32 });
    assertError(other, EXIT.ownedOutput, `'${path.join(root, 'poster')}': exists and was made by another job (thumbnail job 'asset-7@1733500000000')`);
    assert.equal(other.progress.length, 0, 'refused before any work');
    // Another type with the same id is another job too; so is one without an id.
    assertError(await runJob({ type: 'filmstrip', id: spec.id, input: leadIn, output_root: root, output: 'poster', count: 2 }),
      EXIT.ownedOutput, "made by another job (thumbnail job 'asset-7@1733500000000')");
    const { id, ...anonymous } = spec;
    assertError(await runJob(anonymous), EXIT.ownedOutput, 'made by another job');
    assert.deepEqual(files(path.join(root, 'poster')), before, 'a refused job changed the output');
    assert.deepEqual(fs.readdirSync(root), ['poster'], 'a refused job left something in output_root');
    // Jobs without an id are one job for this rule (a spec run by hand, again).
    assertOk(await runJob({ ...anonymous, output: 'by-hand' }));
    assertOk(await runJob({ ...anonymous, output: 'by-hand', width: 48 }));
    assert.deepEqual(owner(root, 'by-hand'), { type: 'thumbnail', id: '' });
  });

  it('a directory `ladder job` did not make (no .ladder-job) is refused and left as it was', async () => {
    const root = newRoot();
    fs.mkdirSync(path.join(root, 'theirs'));
    fs.writeFileSync(path.join(root, 'theirs', 'keep.txt'), 'not ours');
    const r = await runJob({ type: 'thumbnail', id: 'x', input: leadIn, output_root: root, output: 'theirs' });
    assertError(r, EXIT.ownedOutput, 'was not made by `ladder job` (no .ladder-job in it)');
    assert.deepEqual(fs.readdirSync(path.join(root, 'theirs')), ['keep.txt']);
    assert.deepEqual(fs.readdirSync(root), ['theirs']);
  });

  it('two jobs for one output at once: the later commit is refused (exit 16), the first result stays whole', async () => {
    const root = newRoot();
    // Their own host slots: both run at once, whatever else runs.
    const env = { ...process.env, LADDER_STATE_DIR: fs.mkdtempSync(path.join(work, 'slots-')), LADDER_HOST_CPU_SLOTS: '2' };
    const slow = spawn(ladderBin(), ['job', '-'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    slow.stdout.on('data', (d) => { stdout += d; });
    const ended = new Promise((resolve) => slow.on('close', (code) => resolve(code)));
    slow.stdin.end(JSON.stringify({ type: 'conform', id: 'slow', input: longer, output_root: root, output: 'shared',
      width: 1280, height: 720, preset: 'medium', crf: 18 }));
    // Past its own check (nothing there yet) and encoding: another job takes the name.
    for (let i = 0; !/"stage":"encode"/.test(stdout); i++) {
      assert.ok(i < 600, `the slow job never encoded:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const quick = await runJob({ type: 'thumbnail', id: 'quick', input: leadIn, output_root: root, output: 'shared', time: 3 }, { env });
    assertOk(quick);
    const code = await ended;
    const last = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.equal(code, EXIT.ownedOutput, stdout);
    assert.equal(last.exit_code, EXIT.ownedOutput);
    assert.match(last.error, /shared': exists and was made by another job; not replaced/);
    assert.deepEqual(owner(root, 'shared'), { type: 'thumbnail', id: 'quick' });
    assert.deepEqual(fs.readdirSync(path.join(root, 'shared')).sort(), ['.ladder-job', 'thumbnail.jpg']);
    assert.deepEqual(fs.readdirSync(root), ['shared'], 'the refused job left its temporary directory');
  });
});
