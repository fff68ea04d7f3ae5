// Serve a ladder output directory on 127.0.0.1 with a preview page
// (samples/preview/) that plays its HLS with hls.js and its DASH with
// dash.js, with a level menu and the playing level's size and bitrate.
// Usage: node samples/serve.mjs OUTDIR [PORT]   (PORT 0: any free port)
// It prints "serving OUTDIR at http://127.0.0.1:PORT/" once it listens.
// The players come from tests/e2e/node_modules (installed by
// scripts/deps.sh): nothing is fetched from elsewhere.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? 'samples/out/ladder');
const port = Number(process.argv[3] ?? 8080);
const modules = join(here, '..', 'tests', 'e2e', 'node_modules');
// What the page loads besides the output: fixed names, fixed files.
const assets = {
  '/': join(here, 'preview', 'index.html'),
  '/index.html': join(here, 'preview', 'index.html'),
  '/preview.js': join(here, 'preview', 'preview.js'),
  '/vendor/hls.min.js': join(modules, 'hls.js', 'dist', 'hls.min.js'),
  '/vendor/dash.all.min.js': join(modules, 'dashjs', 'dist', 'modern', 'umd', 'dash.all.min.js'),
};
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: port '${process.argv[3]}': expected 0..65535`);
  process.exit(2);
}
if (!existsSync(join(root, 'master.m3u8')) && !existsSync(join(root, 'manifest.mpd'))) {
  console.error(`serve: no master.m3u8 or manifest.mpd in ${root}`);
  process.exit(2);
}
for (const [name, file] of Object.entries(assets)) {
  if (!existsSync(file)) {
    console.error(`serve: ${name} missing (${file}); run ./scripts/deps.sh first`);
    process.exit(2);
  }
}
const types = {
  '.m3u8': 'application/vnd.apple.mpegurl', '.mpd': 'application/dash+xml', '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4', '.m4a': 'audio/mp4', '.json': 'application/json', '.js': 'text/javascript',
  '.html': 'text/html; charset=utf-8', '.vtt': 'text/vtt',
};

/** The file a request names: a page asset, else one under the output directory, else null. */
function fileFor(url) {
  let path;
  try {
    path = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  if (Object.hasOwn(assets, path)) return assets[path];
  const file = resolve(root, `.${path}`);
  return file.startsWith(root + sep) ? file : null;
}

const server = createServer((req, res) => {
  const file = fileFor(req.url);
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(file ? 404 : 403);
    return res.end();
  }
  // No caching: a re-encode into the same directory must show at once.
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store',
    'content-length': statSync(file).size });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
});
server.on('error', (e) => {
  console.error(`serve: ${e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () =>
  console.log(`serving ${root} at http://127.0.0.1:${server.address().port}/`));
