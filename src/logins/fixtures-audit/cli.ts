/**
 * Runs `tenken logins ...` for tests through the shared in-process CLI runner (test/helpers/cli.ts) on a tree
 * at a fixed clock; `logins` overrides parts of `checks.logins` (mail transport, skip list) by writing them to
 * a config file given with --config, as a user would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../../test/helpers/cli.ts';
import type { Format } from '../../cli/app.ts';

/** What a run printed and its exit code. */
export interface LoginsRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `tenken <argv>` against `root` at `now`. */
export async function runLogins(
  argv: string[],
  opts: {
    root: string;
    now: Date;
    state: string;
    format?: Format;
    cwd?: string;
    /** Settings under `checks.logins` of the config (the tree's own config is then not read). */
    logins?: Record<string, unknown>;
  },
): Promise<LoginsRun> {
  const global = ['--root', opts.root, ...(opts.format ? ['--format', opts.format] : [])];
  const dir = opts.logins ? mkdtempSync(path.join(os.tmpdir(), 'tenken-logins-cfg-')) : undefined;
  try {
    if (dir !== undefined) {
      const config = path.join(dir, 'tenken.yaml');
      writeFileSync(config, stringify({ checks: { logins: opts.logins } }));
      global.push('--config', config);
    }
    return await runCli([...global, ...argv], {
      now: opts.now,
      state: opts.state,
      env: {},
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
