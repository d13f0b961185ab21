// Bundles src/cli/main.ts into dist/tenken.js with esbuild (milliseconds, so `npm ci` can run it from
// `prepare` and the quick start's `npx tenken` works on a fresh clone). Dependencies stay external.
import { chmodSync, existsSync } from 'node:fs';
import { build } from 'esbuild';

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
