// Bundles the single-page app (ui/) into www/: index.html plus /static/app-<hash>.js and .css.
// Run by the root `npm run setup` (pnpm --filter @nemq/plugin-dashboard run build:ui).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(here, 'www');
const t0 = Date.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'static'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'ui/src/main.jsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  outdir: join(out, 'static'),
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = result.metafile.outputs;
const files = Object.keys(outputs).map((f) => basename(f));
const entry = Object.entries(outputs).find(([, o]) => o.entryPoint);
const js = entry && basename(entry[0]);
const css = entry?.[1].cssBundle && basename(entry[1].cssBundle);
if (!js || !css) throw new Error(`build-ui: expected a .js and a .css output, got ${files.join(', ')}`);
const html = readFileSync(join(here, 'ui/index.html'), 'utf8').replace('%APP_JS%', `/static/${js}`).replace('%APP_CSS%', `/static/${css}`);
writeFileSync(join(out, 'index.html'), html);
// precompressed copies, served to browsers that accept gzip
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const sizes = [];
for (const [path, o] of Object.entries(outputs)) {
  if (!/\.(js|css)$/.test(path)) continue;
  const gz = gzipSync(readFileSync(path), { level: 9 });
  writeFileSync(`${path}.gz`, gz);
  sizes.push(`${basename(path)} ${kb(o.bytes)} (${kb(gz.length)} gzipped)`);
}
console.log(`build-ui: www/ in ${Date.now() - t0} ms: ${sizes.join(', ')}`);
