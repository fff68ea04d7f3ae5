// `ladder encode`'s command line as a newcomer meets it: mistakes named
// with the argument that is wrong and the ladder way to say it, FFmpeg
// habits answered, -i/-y accepted, options' sources shown with -v, and an
// output that decodes when the run goes through.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { describeRun, loadOutput, runLadder, stderrLines } from './lib/ladder.mjs';
import { makeMedia } from './lib/media.mjs';
import { ffprobeJson } from './lib/probe.mjs';
import { makeTempDir } from './lib/util.mjs';

let work, source;
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LADDER_') || k === 'LADDER_BIN') env[k] = v;
  return { ...env, XDG_CONFIG_HOME: path.join(work, 'xdg'), LADDER_STATE_DIR: path.join(work, 'state'), ...extra };
}
async function usage(args, code = 2) {
  const r = await runLadder(['encode', ...args], { lock: false, env: cleanEnv() });
  assert.equal(r.code, code, describeRun(r));
  const lines = stderrLines(r.stderr);
  assert.equal(lines.length, 1, `one line on stderr\n${describeRun(r)}`);
  assert.ok(lines[0].length < 300, lines[0]);
  return lines[0];
}

describe('ladder encode: the command line', () => {
  before(async () => {
    work = makeTempDir('ladder-e2e-cli-');
    fs.mkdirSync(path.join(work, 'xdg'));
    source = (await makeMedia({ name: 'cli-src', width: 320, height: 180, rate: '25', duration: 3 })).path;
  });

  it('FFmpeg habits are named, with the ladder way (exit 2)', async () => {
    const line = await usage([source, '-o', path.join(work, 'e9'), '-crf', '23']);
    assert.match(line, /'-crf' is an FFmpeg option/);
    assert.match(line, /--rung WxH:crfN/);
    assert.doesNotMatch(line, /e9/, 'the error names -crf, not the output');
    assert.match(await usage([source, '-o', path.join(work, 'x'), '-c:v', 'libx265']), /'-c:v'.*--codec h264\|hevc\|av1/);
    assert.match(await usage([source, '-o', path.join(work, 'x'), '-b:v', '3M']), /'-b:v'.*--rung WxH:RATE/);
  });

  it('did you mean: options, presets, codecs, choices', async () => {
    assert.match(await usage([source, '-o', path.join(work, 'x'), '--segmnet', '2']),
      /unknown option '--segmnet': did you mean --segment\?/);
    const preset = await usage([source, '-o', path.join(work, 'x'), '--preset', 'slowest']);
    assert.match(preset, /--preset 'slowest'.*ultrafast.*placebo/, 'the valid names');
    assert.match(preset, /did you mean slower\?/);
    assert.match(await usage([source, '-o', path.join(work, 'x'), '--codec', 'hevv']), /did you mean 'hevc'\?/);
    assert.match(await usage([source, '-o', path.join(work, 'x'), '--audio', 'frist']), /did you mean first\?/);
    assert.match(await usage([source, '-o', path.join(work, 'x'), '--format', 'hls', 'extra.mp4']),
      /unexpected argument 'extra.mp4'/);
  });

  it('a ladder file key a slip away from a known one: exit 6, did you mean', async () => {
    const file = path.join(work, 'typo.json');
    fs.writeFileSync(file, JSON.stringify({ segment_second: 4, rungs: [{ height: 180, bitrate: '300k' }] }));
    const line = await usage([source, '-o', path.join(work, 'x'), '--ladder', file], 6);
    assert.match(line, /unknown key 'segment_second': did you mean "segment_seconds"\?/);
  });

  it('-i and -y as FFmpeg users write them; -v shows where each option came from', async () => {
    const conf = path.join(work, 'conf.json');
    fs.writeFileSync(conf, JSON.stringify({ preset: 'fast', segment_seconds: 3 }));
    const ladder = path.join(work, 'ladder.json');
    fs.writeFileSync(ladder, JSON.stringify({ segment_seconds: 1, rungs: [{ height: 180, bitrate: '300k' }] }));
    const out = path.join(work, 'ffmpeg-style');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'not ladder\'s');
    const r = await runLadder(['encode', '-i', source, '-y', '-o', out, '--ladder', ladder, '--audio-codec', 'opus',
      '--progress', 'none', '-v'], { lock: false, env: cleanEnv({ LADDER_CONFIG: conf, LADDER_PRESET: 'faster' }) });
    assert.equal(r.code, 0, describeRun(r));
    const lines = stderrLines(r.stderr);
    const option = (flag) => lines.find((l) => l.startsWith(`ladder: option --${flag} `));
    assert.match(option('preset') ?? '', /--preset faster \(env:LADDER_PRESET\)/, 'environment over the config file');
    assert.match(option('segment') ?? '', /--segment 1 \(ladder file .*ladder\.json\)/, 'ladder file over the config');
    assert.match(option('audio-codec') ?? '', /opus \(flag --audio-codec\)/);
    // What the sources say is what came out: 1 s segments, Opus audio.
    const o = loadOutput(out);
    assert.ok(o.variants[0].segs.length >= 3, 'three 1 s segments from a 3 s source');
    const p = ffprobeJson(['-show_streams', o.audio.init]);
    assert.equal(p.streams[0].codec_name, 'opus', 'the audio decodes as Opus');
  });

  it('help: short with examples, --help-all complete, testing options hidden, 80 columns', async () => {
    const short = await runLadder(['encode', '--help'], { lock: false, env: cleanEnv() });
    assert.equal(short.code, 0);
    assert.match(short.stdout, /^Examples:$/m);
    const all = await runLadder(['encode', '--help-all'], { lock: false, env: cleanEnv() });
    for (const text of [short.stdout, all.stdout])
      for (const l of text.split('\n')) assert.ok(l.length <= 80, `over 80 columns: ${l}`);
    assert.ok(short.stdout.split('\n').length < all.stdout.split('\n').length / 2, 'the short help is short');
    for (const flag of ['--exact-shape', '--gaps', '--max-pixels', '--when-busy', '--deterministic'])
      assert.ok(all.stdout.includes(flag), flag);
    assert.ok(!all.stdout.includes('--test-invariant-fault'));
  });
});
