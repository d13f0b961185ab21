import path from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles the exports of TypeScript modules into one ES module at `outfile`, for a child process (node cannot
 * import .ts, and tests that measure memory or run as another user need a process of their own).
 */
export async function bundleModules(outfile: string, modules: readonly string[]): Promise<string> {
  await build({
    stdin: {
      contents: modules.map((m) => `export * from ${JSON.stringify(path.resolve(m))};`).join('\n'),
      resolveDir: path.dirname(outfile),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}
