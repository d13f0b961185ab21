/**
 * Test helpers for the logins commands: runs a command module in-process through commander with a minimal
 * App (stdout/stderr captured, env and clock injectable), and writes utmpdump text for `utmpdump -r`.
 * Used by src/logins tests and test/conformance/utmp.test.ts; not part of the CLI.
 */
import { runCli } from '../../test/helpers/cli.ts';
import type { CommandModule, Format } from '../cli/app.ts';
import { addrText } from './last-format.ts';
import type { UtmpRecordInput } from './utmp.ts';

/** What an in-process command run printed and returned. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs `tenken <argv...>` in-process through the real CLI (test/helpers/cli.ts), with `root` and `format` as
 * global options. `modules` names the commands the test exercises (all are registered anyway).
 */
export async function runCommand(
  _modules: CommandModule[],
  argv: string[],
  opts: {
    env?: Record<string, string | undefined>;
    now?: Date;
    root?: string;
    format?: Format;
    cwd?: string;
  } = {},
): Promise<CommandRun> {
  const globals = [
    ...(opts.root === undefined ? [] : ['--root', opts.root]),
    ...(opts.format === undefined ? [] : ['--format', opts.format]),
  ];
  return runCli([...globals, ...argv], {
    env: opts.env ?? { LANG: 'C', TZ: 'GMT' },
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
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
