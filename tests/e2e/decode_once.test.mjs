// Decode once, whatever the number of rungs, proven from outside ladder:
// tests/e2e/decode_count_shim.c, preloaded, counts every decoder's packets
// and frames (it interposes avcodec_send_packet/avcodec_receive_frame, so
// libavformat's own probing is counted too) and the bytes read from the
// input file. ladder encode with 1 rung and with 5 rungs must decode the
// source's frames exactly once and read the file about once, the same in
// both; every rung must still hold every frame.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, loadOutput } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { concatFiles, countVideoFrames, decodeCheck } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

const work = makeTempDir('ladder-e2e-decode-once-');
const ONE = [['640x360', '900k']];
const FIVE = [['640x360', '900k'], ['512x288', '600k'], ['426x240', '400k'], ['320x180', '250k'], ['256x144', '150k']];

/** The shim: from ctest (LADDER_DECODE_COUNT_SHIM), else beside the ladder
 * binary in its build tree (tests/libdecode_count_shim.so). */
function shimPath() {
  const given = process.env.LADDER_DECODE_COUNT_SHIM;
  if (given) return given;
  return path.join(path.dirname(fs.realpathSync(ladderBin())), 'tests', 'libdecode_count_shim.so');
}

/** ladder encode under the shim; returns the run, its output and the counts
 * summed over every process it started. */
async function countedEncode(src, name, rungs) {
  const out = path.join(work, name);
  const log = path.join(work, `${name}.jsonl`);
  fs.rmSync(log, { force: true });
  const env = {
    ...process.env,
    LD_PRELOAD: shimPath(),
    LADDER_DECODE_COUNT_OUT: log,
    LADDER_DECODE_COUNT_INPUT: src.path,
    // The shim comes before the sanitizer runtime (ASan builds).
    ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ''}verify_asan_link_order=0`,
  };
  const args = rungs.flatMap(([size, rate]) => ['--rung', `${size}:${rate}`]);
  const run = await encode(src.path, out, [...args, '--progress', 'none'], { env, timeoutMs: 600_000 });
  assert.equal(run.code, 0, describeRun(run));
  assert.ok(fs.existsSync(log), `the shim wrote no counts (${log}): was it preloaded?`);
  const procs = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const p of procs) assert.equal(p.overflow, false, 'the shim lost count of decoders');
  const decoders = procs.flatMap((p) => p.decoders);
  const video = decoders.filter((d) => d.type === 'video');
  const sum = (list, k) => list.reduce((a, d) => a + d[k], 0);
  return {
    run, out, procs, video,
    videoFrames: sum(video, 'frames'),
    audioFrames: sum(decoders.filter((d) => d.type === 'audio'), 'frames'),
    inputBytes: procs.reduce((a, p) => a + p.input_bytes, 0),
    passes: procs.flatMap((p) => p.input_passes),
  };
}

describe('the source is read and decoded once, whatever the number of rungs', () => {
  let src;
  let frames;
  let packets;
  let size;
  const results = {};
  before(async () => {
    ladderBin();
    assert.ok(fs.existsSync(shimPath()),
      `no decode-count shim at ${shimPath()}: build the decode_count_shim target (tests/CMakeLists.txt)`);
    // B-frames (reordering) and a bitrate high enough that the file is a few
    // MB: probing's fixed reads stay small next to the whole file.
    src = await makeMedia({ name: 'decode-once', width: 640, height: 360, rate: '30', duration: 10,
      preset: 'veryfast', bframes: 3, extraVideoArgs: ['-crf', '14'] });
    frames = decodeCheck(src.path).frames;
    packets = countVideoFrames(src.path);
    size = fs.statSync(src.path).size;
    assert.equal(frames, 300, 'the source has 300 frames');
    results.one = await countedEncode(src, 'one-rung', ONE);
    results.five = await countedEncode(src, 'five-rungs', FIVE);
  });

  for (const [key, rungs] of [['one', ONE], ['five', FIVE]]) {
    it(`${rungs.length} rung(s): every rung holds every source frame`, () => {
      const o = loadOutput(results[key].out);
      assert.equal(o.variants.length, rungs.length);
      for (const v of o.variants) {
        const cat = concatFiles([v.init, ...v.segs], `${key}-${v.name}.mp4`);
        const d = decodeCheck(cat.path);
        assert.equal(d.errors, '', `${v.name} decodes cleanly`);
        assert.equal(d.frames, frames, `${v.name}: every frame`);
      }
    });

    it(`${rungs.length} rung(s): one video decoder decodes every frame once`, () => {
      const r = results[key];
      const busy = r.video.filter((d) => d.frames > 0);
      assert.equal(busy.length, 1, `one video decoder decodes: ${JSON.stringify(r.video)}`);
      assert.equal(busy[0].frames, frames, 'it decodes every frame once');
      assert.equal(busy[0].packets, packets, 'it is sent every packet once');
      // Probing (avformat_find_stream_info) may send a packet or two to a
      // decoder of its own; it decodes no picture the encode uses.
      const probing = r.video.filter((d) => d !== busy[0]);
      assert.ok(probing.every((d) => d.packets <= 4), `probing decoders: ${JSON.stringify(probing)}`);
      assert.equal(r.videoFrames, frames, 'no picture is decoded twice, anywhere in the run');
    });

    it(`${rungs.length} rung(s): the input file is read through once`, () => {
      const { passes, inputBytes } = results[key];
      // One opening reads the whole file (the decode pass); the others only
      // its head: the format sniffed, the first packets read to learn the
      // streams (the run's probe), a fixed cost whatever the rungs.
      const whole = passes.filter((b) => b >= size);
      assert.equal(whole.length, 1, `one pass over the ${size}-byte file: ${JSON.stringify(passes)}`);
      assert.ok(whole[0] <= size + 64 * 1024, `the pass reads the file once: ${whole[0]} of ${size} bytes`);
      for (const b of passes.filter((x) => x < size)) {
        assert.ok(b <= size / 2, `a probe reads the head only: ${b} of ${size} bytes (${JSON.stringify(passes)})`);
      }
      assert.ok(inputBytes < 2 * size, `${inputBytes} bytes read in all`);
    });
  }

  it('five rungs decode and read exactly what one rung does', () => {
    const { one, five } = results;
    assert.equal(five.videoFrames, one.videoFrames);
    assert.equal(five.audioFrames, one.audioFrames);
    assert.deepEqual(five.video.map((d) => [d.codec, d.packets, d.frames]),
      one.video.map((d) => [d.codec, d.packets, d.frames]));
    // The same openings read the same bytes; one buffer's worth of slack.
    assert.equal(five.passes.length, one.passes.length, `${JSON.stringify(one.passes)} vs ${JSON.stringify(five.passes)}`);
    assert.ok(Math.abs(five.inputBytes - one.inputBytes) <= 64 * 1024,
      `one rung read ${one.inputBytes} bytes, five read ${five.inputBytes}`);
  });
});
