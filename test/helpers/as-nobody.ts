/**
 * Runs a few lines of JavaScript as the unprivileged user `nobody` (uid 65534) against a module of the
 * sources, for tests of what a second user's run sees (root's 0600 lock and state files). Node 20 cannot
 * import TypeScript, so the module is bundled with esbuild first. Only root can start a process as another
 * user: callers check `isRoot()` and use a chmod 000 file instead when they are not root.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleModules } from './bundle.ts';

/** Whether this process can run code as another user. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Bundles `source` (a .ts path), runs `body` as nobody (or `opts.uid`, with `opts.env` as its environment) with its exports in scope as `m`, and returns what
 * `body` printed (trimmed). `body` is an async function body; `console.log` prints.
 */
export async function runAsNobody(
  source: string,
  body: string,
  opts: { uid?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-as-nobody-'));
  chmodSync(dir, 0o755);
  const bundle = path.join(dir, 'module.mjs');
  await bundleModules(bundle, [source]);
  const script = `import * as m from ${JSON.stringify(bundle)};\nawait (async () => {\n${body}\n})();`;
  try {
    return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: opts.uid ?? 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: '/',
      ...(opts.env ? { env: opts.env } : {}),
    }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
