import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';

/** The repository root (tests run from anywhere). */
export const REPO = path.resolve(import.meta.dirname, '..', '..');

/** The bundled demo tree. */
export const DEMO_ROOT = path.join(REPO, 'examples', 'demo-root');

/** A fresh temp directory. */
export function tempDir(prefix = 'tenken-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Output of an in-process CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured output (fast, and coverage sees it). `--state` defaults to a fresh
 * temp dir so tests never touch the user's state.
 */
export async function runCli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; now?: Date; state?: string } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const state = opts.state ?? tempDir('tenken-state-');
  const code = await main(['--state', state, ...args], {
    write: (t) => {
      stdout += t;
      return Promise.resolve();
    },
    error: (t) => {
      stderr += `${t}\n`;
    },
    isTTY: false,
    env: { LANG: 'C', TZ: 'UTC', HOME: os.tmpdir(), ...opts.env },
    cwd: opts.cwd ?? REPO,
    ...(opts.now ? { now: () => opts.now as Date } : {}),
  });
  return { code, stdout, stderr };
}
