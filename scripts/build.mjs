// Bundles src/cli/main.ts into dist/tenken.js with esbuild (milliseconds, so `npm ci` can run it from
// `prepare` and the quick start's `npx tenken` works on a fresh clone). Dependencies stay external.
import { chmodSync, existsSync, readFileSync, utimesSync } from 'node:fs';
import { build } from 'esbuild';

// The demo tree's logs have year-less timestamps; restore the mtimes git does not keep (see
// examples/demo-root/scripts/generate.mjs), so the quick start reads them in the right year.
const mtimesFile = 'examples/demo-root/scripts/mtimes.json';
if (existsSync(mtimesFile)) {
  for (const [rel, iso] of Object.entries(JSON.parse(readFileSync(mtimesFile, 'utf8')))) {
    const file = `examples/demo-root/${rel}`;
    if (existsSync(file)) utimesSync(file, new Date(iso), new Date(iso));
  }
}

if (!existsSync('src/cli/main.ts')) process.exit(0);
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/tenken.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  sourcemap: true,
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
chmodSync('dist/tenken.js', 0o755);
