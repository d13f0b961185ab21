/**
 * Runs `tenken logins ...` in-process for tests: only src/cli/commands/logins.ts registered, the App's load()
 * reading the given root with a fixed clock, and `checks.logins` overridable (mail transport, skip list).
 */
import { Command } from 'commander';
import type { App, Format } from '../../cli/app.ts';
import { register } from '../../cli/commands/logins.ts';
import { loadAll } from '../../config/load.ts';
import { TenkenError } from '../../core/errors.ts';
import type { LoginsConfig } from '../config.ts';

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
    logins?: (c: LoginsConfig) => LoginsConfig;
  },
): Promise<LoginsRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command('tenken').exitOverride().configureOutput({
    writeOut: (s) => {
      stdout += s;
    },
    writeErr: (s) => {
      stderr += s;
    },
  });
  const app: App = {
    io: {
      write: (s) => {
        stdout += s;
        return Promise.resolve();
      },
      error: (s) => {
        stderr += `${s}\n`;
      },
      isTTY: false,
      env: {},
      cwd: opts.cwd ?? process.cwd(),
      now: () => opts.now,
    },
    globals: () => ({
      root: opts.root,
      config: undefined,
      state: opts.state,
      format: opts.format ?? 'text',
      only: undefined,
      quiet: false,
      color: false,
    }),
    load: () => {
      const l = loadAll({ root: opts.root, env: {}, now: opts.now });
      const logins = opts.logins ? opts.logins(l.config.checks.logins) : l.config.checks.logins;
      return Promise.resolve({ ...l, config: { ...l.config, checks: { ...l.config.checks, logins } } });
    },
    exit: (c) => {
      code = c;
    },
  };
  register(program, app);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof TenkenError) {
      stderr += `tenken: ${err.message}\n`;
      code = err.exitCode;
    } else throw err;
  }
  return { stdout, stderr, code };
}
