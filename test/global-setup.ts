import { execFileSync } from 'node:child_process';

/** Builds dist/tenken.js once so CLI smoke tests run the real bundle. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
