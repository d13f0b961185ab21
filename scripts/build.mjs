// Bundles src/cli/main.ts into dist/tenken.js with esbuild (milliseconds, so `npm ci` can run it from
// `prepare` and the quick start's `npx tenken` works on a fresh clone). Dependencies stay external.
import { chmodSync, existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { build } from 'esbuild';
import { parse } from 'yaml';

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
// The built-in profiles, embedded as data (src/config/profile.ts validates them at run time).
const profilesDir = 'src/config/profiles';
const profiles = Object.fromEntries(
  readdirSync(profilesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => [f.slice(0, -5), parse(readFileSync(`${profilesDir}/${f}`, 'utf8'))]),
);

/**
 * zod re-exports its ~50 message locales as `z.locales`; tenken uses only the English default (set by zod
 * itself from locales/en.js). Leaving the others out of the bundle saves ~0.4 MB of JavaScript to parse at
 * every start.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`)
        ? { path: 'zod-locales', namespace: 'tenken' }
        : undefined,
    );
    b.onLoad({ filter: /^zod-locales$/, namespace: 'tenken' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  plugins: [englishOnly],
  outfile: 'dist/tenken.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // Pure-JS dependencies (commander, yaml, zod) are bundled: one file to load instead of a few hundred
  // module resolutions at every start. Native, CommonJS-heavy or rarely used ones stay external.
  external: ['better-sqlite3', 'nodemailer', 'undici', 'basic-ftp', 'string-width'],
  sourcemap: true,
  // CommonJS code inside the ESM bundle (commander) calls require() for Node built-ins.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __tenkenCreateRequire } from 'node:module';\nconst require = __tenkenCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  define: {
    __TENKEN_PROFILES__: JSON.stringify(profiles),
    __TENKEN_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version),
    __TENKEN_SCAN_WORKER__: JSON.stringify('./scan-worker.js'),
  },
});
chmodSync('dist/tenken.js', 0o755);

// The worker thread that reads part of a big log (src/logs/read/parallel.ts): its own small bundle, so a
// worker starts without loading the CLI, the config schema or the profiles.
await build({
  entryPoints: ['src/logs/read/worker.ts'],
  outfile: 'dist/scan-worker.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  logLevel: 'warning',
});
