// Serve a ladder output directory on 127.0.0.1 with an hls.js player page.
// Usage: node samples/serve.mjs OUTDIR [PORT]
// hls.js comes from tests/e2e/node_modules (installed by scripts/deps.sh).
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? 'samples/out/ladder');
const port = Number(process.argv[3] ?? 8080);
const hlsJs = join(here, '..', 'tests', 'e2e', 'node_modules', 'hls.js', 'dist', 'hls.min.js');
if (!existsSync(join(root, 'master.m3u8'))) {
  console.error(`serve: no master.m3u8 in ${root}`);
  process.exit(2);
}
if (!existsSync(hlsJs)) {
  console.error('serve: hls.js missing; run ./scripts/deps.sh first');
  process.exit(2);
}
const types = {
  '.m3u8': 'application/vnd.apple.mpegurl', '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4', '.json': 'application/json', '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
};
const page = `<!doctype html><meta charset="utf-8"><title>ladder output</title>
<style>body{font:14px sans-serif;margin:2em}video{width:960px;max-width:100%;background:#000}</style>
<video id="v" controls muted autoplay></video>
<p>Level: <select id="lvl"><option value="-1">auto</option></select> <span id="info"></span></p>
<script src="/hls.min.js"></script><script>
const v = document.getElementById('v'), sel = document.getElementById('lvl'), info = document.getElementById('info');
const hls = new Hls(); hls.loadSource('/master.m3u8'); hls.attachMedia(v);
hls.on(Hls.Events.MANIFEST_PARSED, () => hls.levels.forEach((l, i) =>
  sel.add(new Option(l.width + 'x' + l.height + ' ' + Math.round(l.bitrate / 1000) + ' kb/s', i))));
hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => { const l = hls.levels[d.level]; info.textContent = 'playing ' + l.width + 'x' + l.height; });
sel.onchange = () => { hls.currentLevel = Number(sel.value); };
</script>`;
createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': types['.html'] });
    return res.end(page);
  }
  const file = path === '/hls.min.js' ? hlsJs : join(root, normalize(path));
  if (!file.startsWith(root) && file !== hlsJs) { res.writeHead(403); return res.end(); }
  if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}).listen(port, '127.0.0.1', () => console.log(`serving ${root} at http://127.0.0.1:${port}/`));
