import path from 'node:path';
import type { Command } from 'commander';
import { tenkenCommand } from '../../core/command.ts';
import { TenkenError, describe } from '../../core/errors.ts';
import { terminalSafe, truncate } from '../../core/sanitize.ts';
import {
  type ApproveChange,
  approveBaseline,
  type Baseline,
  baselineExists,
  type LeftOut,
  leftOutOf,
  readBaseline,
  recordBaseline,
  setApartIntruders,
  type Unapprovable,
  writeBaseline,
  youngNote,
} from '../../procs/baseline.ts';
import { BASELINE_FILE, baselinePathFor, observe, snapshotOf } from '../../procs/check.ts';
import { commandText } from '../../procs/proc.ts';
import { renderBaseline } from '../../procs/view.ts';
import { assertFormat, type App } from '../app.ts';

interface FileOption {
  file?: string;
}

/** The baseline file for a command: --file, else checks.procs.baseline, else baseline.json in the state dir. */
async function locate(app: App, cmd: Command, opts: FileOption) {
  const g = app.globals(cmd);
  assertFormat(g, 'baseline', ['text', 'json']);
  const loaded = await app.load(cmd);
  const cfg = loaded.config.checks.procs;
  const given =
    opts.file ??
    baselinePathFor(cfg, { stateDir: g.state, configPath: loaded.configPath, cwd: app.io.cwd }) ??
    path.join(g.state, BASELINE_FILE);
  return { g, loaded, cfg, file: path.resolve(app.io.cwd, given) };
}

/**
 * A baseline command to suggest, as this run would need it: its --root, --config, --state, and the
 * --file it was given (`tenken procs` takes that as --baseline).
 */
function suggest(g: ReturnType<App['globals']>, opts: FileOption, file: string, ...words: string[]): string {
  const named = opts.file === undefined ? [] : [words[0] === 'procs' ? '--baseline' : '--file', file];
  return tenkenCommand(g.invocation ?? [], ...words, ...named);
}

async function write(app: App, text: string): Promise<void> {
  try {
    await app.io.write(text);
  } catch (err) {
    throw new TenkenError(describe('Cannot write to stdout', err));
  }
}

/**
 * The lines saying which programs of people's login sessions were left out of the baseline (leftOutOf):
 * `left out: irssi (carol): a program of carol's login session`.
 */
function leftOutLines(leftOut: readonly LeftOut[]): string[] {
  const shown = leftOut.slice(0, 20).map((l) => `left out: ${terminalSafe(l.text)}`);
  return leftOut.length > 20 ? [...shown, `left out: ${leftOut.length - 20} more`] : shown;
}

/**
 * The lines saying which programs (and their listeners) were left out as the procs check judges them
 * CRITICAL on their own (setApartIntruders): `left out: /dev/shm/.x/kdevtmpfsi (deleted) of kdevtmpfsi
 * (scanner): runs from a deleted binary in a temp directory; investigate it`.
 */
function intruderLines(leftOut: readonly Unapprovable[]): string[] {
  const shown = leftOut.slice(0, 20).map((l) => `left out: ${terminalSafe(l.text)}`);
  return leftOut.length > 20 ? [...shown, `left out: ${leftOut.length - 20} more`] : shown;
}

/**
 * Reads what runs now, as the baseline sees it (tenken itself and its parents left out on the live host),
 * with what must never be taken in set apart (`leftOut`, setApartIntruders) and the approvable suspicious
 * programs (a package upgrade's, replaced on disk). `approved` are those the baseline already approves.
 */
async function current(
  loaded: Awaited<ReturnType<typeof locate>>['loaded'],
  cfg: Awaited<ReturnType<typeof locate>>['cfg'],
  approved: Baseline['approved'] = [],
) {
  const obs = await observe(loaded.host, cfg);
  const selfPid = loaded.host.live ? process.pid : undefined;
  const snap = snapshotOf(obs, cfg, selfPid, loaded.plan);
  const { healthy, leftOut, approvable } = setApartIntruders(snap, obs.processes, {
    tempDirs: cfg.tempDirs,
    approved,
  });
  return { snap: healthy, leftOut, approvable };
}

/**
 * The exit status of `record` and `approve`: 2 (CRITICAL) when a program was left out as an intruder's, as
 * the next check reports it; else 0.
 */
function leftOutStatus(app: App, leftOut: readonly Unapprovable[]): void {
  app.exit(leftOut.length > 0 ? 2 : 0);
}

/** The item that names a change first (`tcp/8080`, `nginx`), for messages. */
function itemOf(c: ApproveChange): string {
  return c.items[0] ?? c.text;
}

/** Whether an item names a program or listener left out (an intruder's, or a person's session program). */
function namesLeftOut(
  item: string,
  intruders: readonly Unapprovable[],
  personal: readonly LeftOut[],
): boolean {
  return intruders.some((u) => u.items.includes(item)) || personal.some((l) => l.name === item);
}

/**
 * `tenken baseline record|show|approve`: the healthy state `tenken procs` and `tenken check` compare with.
 * `record` refuses to replace an existing baseline without --force and leaves suspicious programs (deleted,
 * memfd, temp dir) out with their listeners: taking them in needs an explicit `approve` after review.
 */
export function register(program: Command, app: App): void {
  const baseline = program
    .command('baseline')
    .description('record, show or approve the healthy state of processes and listeners');

  baseline
    .command('record')
    .description('record what runs and listens now as the healthy state')
    .option('--force', 'replace an existing baseline', false)
    .option(
      '--file <file>',
      'baseline file (default: checks.procs.baseline of the config, else baseline.json in the state directory)',
    )
    .action(async (opts: FileOption & { force: boolean }, cmd: Command) => {
      const { g, loaded, cfg, file } = await locate(app, cmd, opts);
      if (!opts.force && (await baselineExists(file))) {
        const old = await readBaseline(file).catch(() => null);
        throw new TenkenError(
          `A baseline exists at ${file}${old ? ` (updated ${old.updated})` : ''}: review \`${suggest(g, opts, file, 'procs')}\`, then ` +
            `\`${suggest(g, opts, file, 'baseline', 'approve')}\` merges what runs now into it, or \`${suggest(g, opts, file, 'baseline', 'record', '--force')}\` replaces it`,
        );
      }
      // A program running from a memfd, a deleted binary (not a package upgrade) or a temp directory is left
      // out with its listeners: recorded, an intruder's backdoor port would have become "expected".
      const { snap, leftOut: intruders, approvable } = await current(loaded, cfg);
      const b = recordBaseline(snap, {
        host: loaded.host.name,
        now: loaded.host.now,
        suspicious: [],
        minAgeSeconds: cfg.minAgeSeconds,
      });
      await writeBaseline(file, b);
      const leftOut = leftOutOf(snap);
      const young = youngNote(
        snap.processes,
        loaded.host.now,
        cfg.minAgeSeconds,
        suggest(g, opts, file, 'baseline', 'approve'),
      );
      leftOutStatus(app, intruders);
      if (g.format === 'json') {
        // What the text says besides the file: the programs left out for review, and the young processes.
        const notRecorded = intruders
          .filter((u) => u.listener === null)
          .flatMap((u) =>
            u.pids.map((pid) => ({ pid, name: u.process, user: u.user, exe: u.exe, text: u.text })),
          );
        return write(
          app,
          `${JSON.stringify({ file, baseline: b, notRecorded, intruders, young, leftOut }, null, 2)}\n`,
        );
      }
      const lines = [
        `Recorded baseline ${file}: ${b.processes.length} process groups, ${b.listeners.length} listeners`,
      ];
      if (young) lines.push(terminalSafe(young));
      lines.push(...leftOutLines(leftOut), ...intruderLines(intruders));
      if (intruders.length)
        lines.push(
          'The programs left out stay CRITICAL in every check, and neither `record` nor `approve` takes them in: find out who started them.',
        );
      if (approvable.length) {
        lines.push(
          `Recorded, not approved: ${approvable.length} ${approvable.length === 1 ? 'process runs' : 'processes run'} from a binary replaced on disk since ${approvable.length === 1 ? 'it' : 'they'} started (a package upgrade?): WARNING until restarted, or approved with \`${suggest(g, opts, file, 'baseline', 'approve')}\`:`,
        );
        for (const p of approvable.slice(0, 20))
          lines.push(
            `  ${p.pid} ${terminalSafe(p.user)} ${terminalSafe(p.exe?.path ?? '?')}${p.exe?.deleted ? ' (deleted)' : ''}: ${terminalSafe(truncate(commandText(p), 120))}`,
          );
      }
      if (!g.quiet) await write(app, `${lines.join('\n')}\n`);
    });

  baseline
    .command('show')
    .description('print the recorded baseline')
    .option(
      '--file <file>',
      'baseline file (default: checks.procs.baseline of the config, else baseline.json in the state directory)',
    )
    .action(async (opts: FileOption, cmd: Command) => {
      const { g, file } = await locate(app, cmd, opts);
      const b = await readBaseline(file);
      if (!b)
        throw new TenkenError(
          `No baseline at ${file}: record one with \`${suggest(g, opts, file, 'baseline', 'record')}\``,
        );
      if (g.format === 'json') return write(app, `${JSON.stringify(b, null, 2)}\n`);
      await write(app, `${renderBaseline(b, file).join('\n')}\n`);
    });

  baseline
    .command('approve')
    .description(
      'merge what runs now into the baseline, after reviewing `tenken procs` (adds, never removes); with items, only those',
    )
    .argument(
      '[item...]',
      'only these differences: a listener as the findings write it (tcp/8080, udp6/53) or a process name',
    )
    .option('-n, --dry-run', 'show what would change without writing', false)
    .option(
      '--file <file>',
      'baseline file (default: checks.procs.baseline of the config, else baseline.json in the state directory)',
    )
    .addHelpText(
      'after',
      '\nPrograms the procs check judges CRITICAL by themselves (run from a temp directory, a memfd, or a deleted\n' +
        'binary not replaced by an upgrade) and listeners held only by them are never approved: they are listed\n' +
        'as left out, and the exit status is then 2; else 0.',
    )
    .action(async (items: string[], opts: FileOption & { dryRun: boolean }, cmd: Command) => {
      const { g, loaded, cfg, file } = await locate(app, cmd, opts);
      const old = await readBaseline(file);
      if (!old)
        throw new TenkenError(
          `No baseline at ${file}: record one first with \`${suggest(g, opts, file, 'baseline', 'record')}\``,
        );
      const { snap, leftOut: intruders, approvable } = await current(loaded, cfg, old.approved);
      const wanted = items.length > 0 ? [...new Set(items)] : undefined;
      const {
        baseline: merged,
        changes,
        skipped,
        unmatched,
      } = approveBaseline(old, snap, {
        now: loaded.host.now,
        suspicious: approvable,
        minAgeSeconds: cfg.minAgeSeconds,
        ...(wanted ? { items: wanted } : {}),
      });
      const leftOut = leftOutOf(snap);
      const unknown = unmatched.filter((i) => !namesLeftOut(i, intruders, leftOut));
      if (unknown.length > 0) {
        const known = [...new Set([...changes, ...skipped].map(itemOf))];
        const shown =
          known.slice(0, 20).join(', ') + (known.length > 20 ? `, +${known.length - 20} more` : '');
        throw new TenkenError(
          `Cannot approve ${unknown.join(', ')}: ${unknown.length === 1 ? 'it names' : 'they name'} no difference between what runs now and ${file} (${known.length ? `the differences: ${shown}` : 'there is none'}); nothing was approved`,
        );
      }
      if (changes.length && !opts.dryRun) await writeBaseline(file, merged);
      leftOutStatus(app, intruders);
      const young = youngNote(
        snap.processes,
        loaded.host.now,
        cfg.minAgeSeconds,
        suggest(g, opts, file, 'baseline', 'approve'),
      );
      if (g.format === 'json') {
        const written = changes.length > 0 && !opts.dryRun;
        return write(
          app,
          `${JSON.stringify({ file, written, changes, notApproved: skipped, young, leftOut, intruders }, null, 2)}\n`,
        );
      }
      const head = changes.length
        ? `${opts.dryRun ? 'Would approve' : 'Approved'} ${changes.length} changes into ${file}:`
        : wanted
          ? `Nothing approved into ${file}`
          : intruders.length
            ? `Nothing to approve: apart from what is left out below, what runs now matches ${file}`
            : `Nothing to approve: what runs now matches ${file}`;
      if (g.quiet && !changes.length && !intruders.length) return;
      const lines = [head, ...changes.map((c) => `  + ${terminalSafe(c.text)}`)];
      if (skipped.length)
        lines.push(
          `Not approved, not named on the command line (${skipped.length}):`,
          ...skipped.slice(0, 20).map((c) => `  - ${terminalSafe(c.text)} [${terminalSafe(itemOf(c))}]`),
          ...(skipped.length > 20 ? [`  - ${skipped.length - 20} more`] : []),
        );
      if (young) lines.push(terminalSafe(young));
      lines.push(...leftOutLines(leftOut), ...intruderLines(intruders));
      if (intruders.length)
        lines.push(
          'The programs left out stay CRITICAL in every check, and neither `record` nor `approve` takes them in: find out who started them.',
        );
      await write(app, `${lines.join('\n')}\n`);
    });
}
