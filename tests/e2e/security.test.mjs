// Security and limits (README "Security and limits"): an input cannot make
// ladder read other files or reach the network, outputs stay inside their
// root, and the per-job limits refuse with their own exit codes before
// anything is written.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeRun, encode, ladderBin, runLadder, stderrLines } from './lib/ladder.mjs';
import { runFfmpeg } from './lib/media.mjs';
import { serve } from './lib/player.mjs';
import { makeTempDir, walkFiles } from './lib/util.mjs';

const EXIT = { ok: 0, usage: 2, spec: 6, output: 7, limit: 12, refused: 13 };
const work = makeTempDir('ladder-e2e-security-');
const RUNG = ['--rung', '256x256:300k', '--preset', 'ultrafast', '--progress', 'none', '-q'];
let seq = 0;
const outDir = () => path.join(work, `out-${++seq}`);

let clip; // 2 s 320x180 H.264 + AAC
let server; // a local HTTP server whose request log must stay empty

function manifests(out) {
  if (!fs.existsSync(out)) return [];
  return walkFiles(out).filter((f) => /(\.m3u8|\.mpd)$/.test(f.name)).map((f) => f.rel);
}

function assertRefused(r, { code, mention, out }) {
  const info = describeRun(r);
  assert.equal(r.signal, null, info);
  assert.equal(r.code, code, info);
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `one stderr line\n${info}`);
  if (mention) assert.ok(lines[0].includes(mention), `should name ${mention}: ${lines[0]}`);
  if (out) assert.deepEqual(manifests(out), [], 'no playlist or MPD after a refusal');
}

function write(name, text) {
  const f = path.join(work, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('input policy', () => {
  before(async () => {
    ladderBin();
    clip = path.join(work, 'clip.mp4');
    runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2', '-f', 'lavfi', '-i',
      'sine=frequency=440:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac',
      '-movflags', '+faststart', clip], 'clip');
    const media = path.join(work, 'served');
    fs.mkdirSync(media);
    fs.copyFileSync(clip, path.join(media, 'clip.mp4'));
    runFfmpeg(['-i', clip, '-c', 'copy', path.join(media, 'seg.ts')], 'ts');
    server = await serve(media);
  });
  after(() => server && server.close());

  it('a local HLS playlist is refused (exit 13), and accepted with --allow-playlist-inputs', async () => {
    const dir = path.join(work, 'hls');
    fs.mkdirSync(dir);
    runFfmpeg(['-i', clip, '-c', 'copy', '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod',
      path.join(dir, 'local.m3u8')], 'hls');
    const input = path.join(dir, 'local.m3u8');
    let out = outDir();
    assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, mention: 'local.m3u8', out });
    out = outDir();
    const r = await encode(input, out, [...RUNG, '--allow-playlist-inputs']);
    assert.equal(r.code, EXIT.ok, describeRun(r));
    assert.ok(fs.existsSync(path.join(out, 'master.m3u8')));
  });

  it('a concat list is refused (exit 13)', async () => {
    const input = write('list.ffconcat', `ffconcat version 1.0\nfile '${clip}'\nfile '${clip}'\n`);
    const out = outDir();
    assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, mention: 'list.ffconcat', out });
  });

  it('a DASH MPD is refused (exit 13)', async () => {
    const input = write('manifest.mpd', '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" '
      + `type="static"><Period><AdaptationSet><Representation id="1"><BaseURL>${server.url}/media/clip.mp4`
      + '</BaseURL></Representation></AdaptationSet></Period></MPD>\n');
    const out = outDir();
    assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, mention: 'manifest.mpd', out });
    assert.deepEqual(server.requests, [], 'the server was asked for something');
  });

  it('a file named .mp4 holding a playlist of file:///etc/passwd is refused (exit 13)', async () => {
    const input = write('evil.mp4', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n');
    const out = outDir();
    assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, mention: 'evil.mp4', out });
  });

  it('a playlist naming http://127.0.0.1 is refused and the server gets no request, even with playlists allowed', async () => {
    const input = write('net.m3u8', `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${server.url}/media/seg.ts\n#EXT-X-ENDLIST\n`);
    let out = outDir();
    assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, mention: 'net.m3u8', out });
    // Playlists allowed, protocols not: the nested http open is refused by
    // the protocol whitelist, so the input has nothing to decode.
    out = outDir();
    const r = await encode(input, out, [...RUNG, '--allow-playlist-inputs']);
    assert.notEqual(r.code, EXIT.ok, describeRun(r));
    assert.equal(r.signal, null);
    assert.deepEqual(manifests(out), []);
    assert.deepEqual(server.requests, [], 'the server was asked for something');
  });

  it('an http:// input is refused (no request made) unless --allow-protocols http', async () => {
    const url = `${server.url}/media/clip.mp4`;
    let out = outDir();
    assertRefused(await encode(url, out, RUNG), { code: EXIT.refused, mention: url, out });
    assert.deepEqual(server.requests, [], 'the server was asked for something');
    out = outDir();
    const r = await encode(url, out, [...RUNG, '--allow-protocols', 'http']);
    assert.equal(r.code, EXIT.ok, describeRun(r));
    assert.ok(server.requests.length > 0, 'the allowed input was fetched');
    server.requests.length = 0;
  });

  it("FFmpeg's proto: forms (concat:, pipe:) are refused (exit 13)", async () => {
    for (const input of [`concat:${clip}|${clip}`, 'pipe:0']) {
      const out = outDir();
      assertRefused(await encode(input, out, RUNG), { code: EXIT.refused, out });
    }
  });

  it('--allow-protocols takes only file, http, https (exit 2)', async () => {
    const r = await encode(clip, outDir(), [...RUNG, '--allow-protocols', 'ftp']);
    assert.equal(r.code, EXIT.usage, describeRun(r));
  });
});

describe('limits', () => {
  it('--max-pixels refuses a larger source (exit 12), nothing written', async () => {
    const out = outDir();
    assertRefused(await encode(clip, out, [...RUNG, '--max-pixels', '320x179']), { code: EXIT.limit, mention: 'clip.mp4' });
    assert.ok(!fs.existsSync(out), 'output directory created');
    const r = await encode(clip, outDir(), [...RUNG, '--max-pixels', '57600']);
    assert.equal(r.code, EXIT.ok, describeRun(r));
  });

  it('--max-duration refuses a longer source (exit 12)', async () => {
    const out = outDir();
    assertRefused(await encode(clip, out, [...RUNG, '--max-duration', '1.5']), { code: EXIT.limit, mention: 'clip.mp4' });
    assert.ok(!fs.existsSync(out));
  });

  it('--max-duration also holds for what is decoded, whatever the container claims', async () => {
    // A TS claims no duration up front; its frames run 2 s.
    const ts = path.join(work, 'clip.ts');
    runFfmpeg(['-i', clip, '-c', 'copy', ts], 'ts');
    const out = outDir();
    const r = await encode(ts, out, [...RUNG, '--max-duration', '1.5']);
    assertRefused(r, { code: EXIT.limit, mention: 'clip.ts', out });
  });

  it('--max-memory refuses a ladder that cannot run within it (exit 12)', async () => {
    const out = outDir();
    assertRefused(await encode(clip, out, [...RUNG, '--max-memory', '1M']), { code: EXIT.limit, mention: 'max-memory' });
    assert.ok(!fs.existsSync(out));
    const r = await encode(clip, outDir(), [...RUNG, '--max-memory', '256M']);
    assert.equal(r.code, EXIT.ok, describeRun(r));
  });
});

describe('outputs stay inside their root', () => {
  it('encode: a video/ symlink pointing outside OUTDIR is refused (exit 7) and nothing lands outside', async () => {
    const out = outDir();
    const outside = path.join(work, `outside-${seq}`);
    fs.mkdirSync(out);
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(out, 'video'));
    assertRefused(await encode(clip, out, RUNG), { code: EXIT.output, mention: 'symlink' });
    assert.deepEqual(fs.readdirSync(outside), [], 'something was written through the symlink');
  });

  it('encode: a symlink at a final file name is replaced, not followed', async () => {
    const out = outDir();
    const victim = path.join(work, `victim-${seq}.txt`);
    fs.writeFileSync(victim, 'untouched');
    // Planted in ladder's own output between two runs (a directory ladder
    // did not make is refused before anything is written: exit 17).
    const first = await encode(clip, out, RUNG);
    assert.equal(first.code, EXIT.ok, describeRun(first));
    fs.rmSync(path.join(out, 'master.m3u8'));
    fs.symlinkSync(victim, path.join(out, 'master.m3u8'));
    const r = await encode(clip, out, RUNG);
    assert.equal(r.code, EXIT.ok, describeRun(r));
    assert.equal(fs.readFileSync(victim, 'utf8'), 'untouched');
    assert.ok(fs.lstatSync(path.join(out, 'master.m3u8')).isFile());
  });

  const job = async (spec, env = {}) => {
    const f = path.join(work, `spec-${++seq}.json`);
    fs.writeFileSync(f, JSON.stringify(spec));
    // No host configuration but the one the test gives.
    const conf = path.join(work, 'empty-config.json');
    fs.writeFileSync(conf, '{}\n');
    return runLadder(['job', f], { env: { ...process.env, LADDER_CONFIG: conf, ...env } });
  };
  const thumb = (extra) => ({ type: 'thumbnail', input: clip, output: 'poster', ...extra });

  it('job: output names with "..", "/" or a leading dot are refused (exit 6)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    for (const output of ['..', '../escape', '/tmp/abs', '.hidden', 'a/b']) {
      const r = await job(thumb({ output_root: root, output }));
      assert.equal(r.code, EXIT.spec, `${output}\n${describeRun(r)}`);
      assert.match(r.stderr, /"output"/, 'the error names the output key');
    }
    assert.deepEqual(fs.readdirSync(root), []);
  });

  it('job: a symlink at the final output name is refused (exit 7)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const outside = makeTempDir('ladder-e2e-sec-outside-');
    fs.symlinkSync(outside, path.join(root, 'poster'));
    const r = await job(thumb({ output_root: root }));
    assert.equal(r.code, EXIT.output, describeRun(r));
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('job: a symlink planted at a temporary name (.poster.tmp-PID-X) is removed, never followed', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const outside = makeTempDir('ladder-e2e-sec-outside-');
    fs.writeFileSync(path.join(outside, 'keep.txt'), 'keep');
    // A dead pid: the job takes it for a leftover of a killed job.
    fs.symlinkSync(outside, path.join(root, '.poster.tmp-999999999-AAAAAA'));
    const r = await job(thumb({ output_root: root }));
    assert.equal(r.code, EXIT.ok, describeRun(r));
    assert.deepEqual(fs.readdirSync(outside), ['keep.txt'], 'the job wrote or removed through the symlink');
    assert.ok(fs.lstatSync(path.join(root, 'poster')).isDirectory());
  });

  it('job: with output_root configured, an output_root outside it (.., symlink) is refused (exit 13)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const outside = makeTempDir('ladder-e2e-sec-outside-');
    fs.mkdirSync(path.join(root, 'inner'));
    fs.symlinkSync(outside, path.join(root, 'link'));
    const env = { LADDER_OUTPUT_ROOT: root };
    for (const bad of [outside, path.join(root, '..'), path.join(root, 'link')]) {
      const r = await job(thumb({ output_root: bad }), env);
      assert.equal(r.code, EXIT.refused, `${bad}\n${describeRun(r)}`);
    }
    assert.deepEqual(fs.readdirSync(outside), []);
    const ok = await job(thumb({ output_root: path.join(root, 'inner') }), env);
    assert.equal(ok.code, EXIT.ok, describeRun(ok));
  });

  it('job: with input_allow configured, an input outside it (or a symlink out of it) is refused (exit 13)', async () => {
    const allowed = makeTempDir('ladder-e2e-sec-in-');
    const root = makeTempDir('ladder-e2e-sec-root-');
    fs.symlinkSync(clip, path.join(allowed, 'link.mp4'));
    const env = { LADDER_INPUT_ALLOW: allowed };
    let r = await job(thumb({ output_root: root }), env);
    assert.equal(r.code, EXIT.refused, describeRun(r));
    r = await job(thumb({ output_root: root, input: path.join(allowed, 'link.mp4') }), env);
    assert.equal(r.code, EXIT.refused, describeRun(r));
    fs.copyFileSync(clip, path.join(allowed, 'copy.mp4'));
    r = await job(thumb({ output_root: root, input: path.join(allowed, 'copy.mp4') }), env);
    assert.equal(r.code, EXIT.ok, describeRun(r));
  });

  it('job: an HLS playlist input is refused (exit 13)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const input = write('job.m3u8', `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://${clip}\n#EXT-X-ENDLIST\n`);
    const r = await job(thumb({ output_root: root, input }));
    assert.equal(r.code, EXIT.refused, describeRun(r));
    assert.deepEqual(fs.readdirSync(root), []);
  });

  it('job: every type holds the picture-size limit (a 4100x2400 thumbnail source: exit 12)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const big = path.join(work, 'big.mp4');
    runFfmpeg(['-f', 'lavfi', '-i', 'color=c=gray:size=4100x2400:rate=25', '-frames:v', '1', '-c:v', 'libx264',
      '-preset', 'ultrafast', big], 'big');
    const r = await job(thumb({ output_root: root, input: big }));
    assert.equal(r.code, EXIT.limit, describeRun(r));
    assert.match(r.stderr, /4100x2400/);
    assert.deepEqual(fs.readdirSync(root), []);
  });

  it('job: the ladder type takes the limits (max_pixels, exit 12)', async () => {
    const root = makeTempDir('ladder-e2e-sec-root-');
    const r = await job({ type: 'ladder', input: clip, output_root: root, output: 'l', max_pixels: 1000,
      rungs: [{ height: 144, bitrate: '200k' }], preset: 'ultrafast' });
    assert.equal(r.code, EXIT.limit, describeRun(r));
    assert.deepEqual(fs.readdirSync(root), []);
  });
});
