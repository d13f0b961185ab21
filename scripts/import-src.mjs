// Imports names from the repository's TypeScript sources for the benchmarks (Node 20 cannot import .ts):
// writes an entry that re-exports them, bundles it with esbuild into `tmp`, and imports the bundle.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `{ 'src/attacks/read.ts': ['accountLog'], ... }` → the module with those names, bundled in `tmp`. */
export async function importSources(tmp, exports) {
  const entry = path.join(tmp, 'entry.ts');
  writeFileSync(
    entry,
    Object.entries(exports)
      .map(
        ([file, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(path.join(repo, file))};\n`,
      )
      .join(''),
  );
  const bundle = path.join(tmp, 'sources.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  });
  return import(pathToFileURL(bundle).href);
}
