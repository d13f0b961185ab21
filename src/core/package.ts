import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The installed package's directory, found by walking up from this module to tenken's package.json.
 * Works the same from src/ (tests) and from the dist/ bundle, so data files (profiles) need no copying.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'tenken') {
      root = dir;
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('tenken: cannot find its own package.json');
    dir = up;
  }
}

/** The version the build wrote into the bundle (scripts/build.mjs); undefined when running from src/. */
declare const __TENKEN_VERSION__: string | undefined;

/**
 * tenken's version: the bundle's own (so a bundle started away from its package still says it), else
 * package.json's.
 */
export function version(): string {
  if (typeof __TENKEN_VERSION__ !== 'undefined') return __TENKEN_VERSION__;
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
