/**
 * `tenken wtmp rotate [--keep N] [--compress] [--file PATH...] [--wait S]`: rotates /var/log/wtmp and
 * /var/log/btmp (when present) without a moment where the path is missing, verifying record counts, finishing
 * what a killed rotation left (src/logins/rotate.ts). Holds the run lock, as `check` does: a check reading wtmp
 * mid-rotation, or two rotations at once, saw a half-done rotation.
 */
import type { Command } from 'commander';
import { TenkenError } from '../../core/errors.ts';
import { hostPath } from '../../core/host.ts';
import {
  IncompleteRotationError,
  isMissing,
  MAX_KEEP,
  type RotateResult,
  rotateFile,
} from '../../logins/rotate.ts';
import { LOCK_WAIT_SECONDS, StateStore, waitSeconds } from '../../state/store.ts';
import type { App, GlobalOptions } from '../app.ts';

interface RotateOpts {
  keep: string;
  wait: string;
  compress?: boolean;
  file?: string[];
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function line(r: RotateResult): string {
  const extra = [
    ...r.repaired,
    r.compressed.length ? `compressed ${r.compressed.join(', ')}` : '',
    r.removed.length ? `removed ${r.removed.join(', ')}` : '',
  ].filter(Boolean);
  return `${r.file}: ${r.recordsBefore} records rotated to ${r.rotatedTo} (${r.recordsRotated} there now, ${r.recordsLive} in the new file)${extra.length ? `; ${extra.join('; ')}` : ''}\n`;
}

/** Adds `tenken wtmp rotate`. */
export function register(program: Command, app: App): void {
  const wtmp = program.command('wtmp').description('maintain wtmp and btmp');
  wtmp
    .command('rotate')
    .description('rotate wtmp and btmp without losing a record written meanwhile')
    .option('--keep <n>', `rotated files to keep (1 to ${MAX_KEEP})`, '1')
    .option('--compress', 'gzip rotated files older than .1')
    .option(
      '--file <path>',
      'rotate this file instead of /var/log/wtmp and /var/log/btmp (repeatable)',
      collect,
    )
    .option(
      '--wait <seconds>',
      'wait this long for another run (check, logins mail, wtmp rotate) to finish before giving up with exit 3',
      String(LOCK_WAIT_SECONDS),
    )
    .action(async (opts: RotateOpts, cmd: Command) => {
      const g = app.globals(cmd);
      const keep = Number(opts.keep);
      if (!/^\d+$/.test(opts.keep) || keep < 1 || keep > MAX_KEEP)
        throw new TenkenError(
          `Cannot rotate: --keep must be a whole number from 1 to ${MAX_KEEP}, not '${opts.keep}'`,
        );
      const wait = waitSeconds(opts.wait);
      // The run lock, as check and logins mail take it: never beside a check reading wtmp or another rotation.
      const release = await new StateStore(g.state).lockWait(wait * 1000, {
        onWait: (m) => app.io.error(`tenken: ${m}`),
      });
      try {
        await rotateAll(app, g, keep, opts);
      } finally {
        release();
      }
    });
}

/** Rotates each file on its own and prints what was done; exit 3 when any failed. */
async function rotateAll(app: App, g: GlobalOptions, keep: number, opts: RotateOpts): Promise<void> {
  const root = g.root ?? '/';
  const explicit = opts.file && opts.file.length > 0;
  const files = explicit ? (opts.file as string[]) : ['/var/log/wtmp', '/var/log/btmp'];
  const results: RotateResult[] = [];
  // Each file on its own: wtmp failing (an unreadable backup, a full disk) leaves btmp to grow unrotated
  // for no reason. Every failure is said in its line and the exit status is 3 when any failed.
  const failures: TenkenError[] = [];
  for (const file of files) {
    try {
      results.push(
        await rotateFile(hostPath({ root }, file), {
          keep,
          compress: opts.compress === true,
          display: file,
        }),
      );
    } catch (err) {
      // btmp is optional on a default run; anything asked for explicitly must exist.
      if (!explicit && file === '/var/log/btmp' && isMissing(err)) continue;
      if (!(err instanceof TenkenError)) throw err;
      // Rotated, but a backup was left uncompressed: the rotation is said all the same (it happened).
      if (err instanceof IncompleteRotationError) results.push(err.result);
      failures.push(err);
    }
  }
  if (g.format === 'json') await app.io.write(`${JSON.stringify({ rotated: results }, null, 2)}\n`);
  else if (!g.quiet) await app.io.write(results.map(line).join(''));
  const last = failures.pop();
  for (const f of failures) app.io.error(`tenken: ${f.message}`);
  if (last) throw last;
  app.exit(0);
}
