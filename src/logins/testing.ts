/**
 * Test helpers for the logins commands: runs a command module in-process through commander with a minimal
 * App (stdout/stderr captured, env and clock injectable), and writes utmpdump text for `utmpdump -r`.
 * Used by src/logins tests and test/conformance/utmp.test.ts; not part of the CLI.
 */
import { Command } from 'commander';
import type { App, CommandModule, Format, GlobalOptions } from '../cli/app.ts';
import { TenkenError } from '../core/errors.ts';
import { addrText } from './last-format.ts';
import type { UtmpRecordInput } from './utmp.ts';

/** What an in-process command run printed and returned. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `tenken <argv...>` with only `modules` registered. TenkenErrors become stderr + code, like main. */
export async function runCommand(
  modules: CommandModule[],
  argv: string[],
  opts: {
    env?: Record<string, string | undefined>;
    now?: Date;
    root?: string;
    format?: Format;
    cwd?: string;
  } = {},
): Promise<CommandRun> {
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
  const globals: GlobalOptions = {
    root: opts.root,
    config: undefined,
    state: '/tmp/tenken-state',
    format: opts.format ?? 'text',
    only: undefined,
    quiet: false,
    color: false,
  };
  const app: App = {
    io: {
      write: (t) => {
        stdout += t;
        return Promise.resolve();
      },
      error: (t) => {
        stderr += `${t}\n`;
      },
      isTTY: false,
      env: opts.env ?? { LANG: 'C', TZ: 'GMT' },
      cwd: opts.cwd ?? process.cwd(),
      ...(opts.now ? { now: () => opts.now as Date } : {}),
    },
    globals: () => globals,
    load: () => Promise.reject(new Error('not available in tests')),
    exit: (c) => {
      code = c;
    },
  };
  for (const m of modules) m.register(program, app);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof TenkenError) {
      stderr += `tenken: ${err.message}\n`;
      code = err.exitCode;
    } else if (err && typeof err === 'object' && 'exitCode' in err && typeof err.exitCode === 'number') {
      code = err.exitCode;
    } else throw err;
  }
  return { stdout, stderr, code };
}

function isoUsec(sec: number, usec: number): string {
  const d = new Date(sec * 1000);
  const base = d.toISOString().slice(0, 19);
  return `${base},${String(usec).padStart(6, '0')}+00:00`;
}

function pad(s: string, min: number): string {
  return s.length < min ? s.padEnd(min) : s;
}

/**
 * util-linux `utmpdump` text for records (its exact columns, UTC times), so `LANG=C TZ=GMT utmpdump -r`
 * can rebuild the binary file as an independent oracle of the encoder.
 */
export function utmpdumpText(recs: readonly UtmpRecordInput[]): string {
  return recs
    .map((r) => {
      const addr = addrText(r.addr ?? [0, 0, 0, 0]);
      return `[${r.type ?? 0}] [${String(r.pid ?? 0).padStart(5, '0')}] [${pad((r.id ?? '').slice(0, 4), 4)}] [${pad(r.user ?? '', 8)}] [${pad(r.line ?? '', 12)}] [${pad(r.host ?? '', 20)}] [${pad(addr, 15)}] [${isoUsec(r.sec ?? 0, r.usec ?? 0)}]\n`;
    })
    .join('');
}
