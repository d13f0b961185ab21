import path from 'node:path';
import type { Command } from 'commander';
import { tenkenCommand } from '../../core/command.ts';
import { TenkenError, describe } from '../../core/errors.ts';
import { terminalSafe, truncate } from '../../core/sanitize.ts';
import {
  approveBaseline,
  type LeftOut,
  baselineExists,
  leftOutOf,
  readBaseline,
  recordBaseline,
  suspiciousProcesses,
  writeBaseline,
  youngNote,
} from '../../procs/baseline.ts';
import { BASELINE_FILE, baselinePathFor, observe, snapshotOf } from '../../procs/check.ts';
import { commandText, exeConcerns } from '../../procs/proc.ts';
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

/** Reads what runs now, as the baseline sees it (tenken itself and its parents left out on the live host). */
async function current(
  loaded: Awaited<ReturnType<typeof locate>>['loaded'],
  cfg: Awaited<ReturnType<typeof locate>>['cfg'],
) {
  const obs = await observe(loaded.host, cfg);
  const selfPid = loaded.host.live ? process.pid : undefined;
  const snap = snapshotOf(obs, cfg, selfPid, loaded.plan);
  const suspicious = suspiciousProcesses(obs.processes, cfg.tempDirs).map((s) => s.p);
  return { obs, snap, suspicious };
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
      const { snap, suspicious } = await current(loaded, cfg);
      // A program running from a memfd, a deleted binary (not a package upgrade) or a temp directory is left
      // out with its listeners: recorded, an intruder's backdoor port would have become "expected".
      const intruders = new Set(
        suspicious
          .filter((p) => exeConcerns(p.exe, cfg.tempDirs).some((c) => c !== 'replaced'))
          .map((p) => p.pid),
      );
      const healthy = {
        ...snap,
        processes: snap.processes.filter((p) => !intruders.has(p.pid)),
        listeners: snap.listeners.filter(
          (l) => !(l.pids.length > 0 && l.pids.every((pid) => intruders.has(pid))),
        ),
      };
      const b = recordBaseline(healthy, {
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
      if (g.format === 'json') {
        // What the text says besides the file: the programs left out for review, and the young processes.
        const notRecorded = suspicious.map((p) => ({
          pid: p.pid,
          name: p.name,
          user: p.user,
          exe: p.exe?.path ?? null,
        }));
        return write(app, `${JSON.stringify({ file, baseline: b, notRecorded, young, leftOut }, null, 2)}\n`);
      }
      const lines = [
        `Recorded baseline ${file}: ${b.processes.length} process groups, ${b.listeners.length} listeners`,
      ];
      if (young) lines.push(terminalSafe(young));
      lines.push(...leftOutLines(leftOut));
      if (suspicious.length) {
        lines.push(
          `Not recorded: ${suspicious.length} ${suspicious.length === 1 ? 'process runs' : 'processes run'} from a deleted or replaced binary, a memfd or a temp directory (left out of the baseline with their listeners, except a package upgrade's); they stay CRITICAL until reviewed and approved with \`${suggest(g, opts, file, 'baseline', 'approve')}\`:`,
        );
        for (const p of suspicious.slice(0, 20))
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
      'merge what runs now into the baseline, after reviewing `tenken procs` (adds, never removes)',
    )
    .option('-n, --dry-run', 'show what would change without writing', false)
    .option(
      '--file <file>',
      'baseline file (default: checks.procs.baseline of the config, else baseline.json in the state directory)',
    )
    .action(async (opts: FileOption & { dryRun: boolean }, cmd: Command) => {
      const { g, loaded, cfg, file } = await locate(app, cmd, opts);
      const old = await readBaseline(file);
      if (!old)
        throw new TenkenError(
          `No baseline at ${file}: record one first with \`${suggest(g, opts, file, 'baseline', 'record')}\``,
        );
      const { snap, suspicious } = await current(loaded, cfg);
      const { baseline: merged, changes } = approveBaseline(old, snap, {
        now: loaded.host.now,
        suspicious,
        minAgeSeconds: cfg.minAgeSeconds,
      });
      if (changes.length && !opts.dryRun) await writeBaseline(file, merged);
      const young = youngNote(
        snap.processes,
        loaded.host.now,
        cfg.minAgeSeconds,
        suggest(g, opts, file, 'baseline', 'approve'),
      );
      const leftOut = leftOutOf(snap);
      if (g.format === 'json') {
        const written = changes.length > 0 && !opts.dryRun;
        return write(app, `${JSON.stringify({ file, written, changes, young, leftOut }, null, 2)}\n`);
      }
      const head = changes.length
        ? `${opts.dryRun ? 'Would approve' : 'Approved'} ${changes.length} changes into ${file}:`
        : `Nothing to approve: what runs now matches ${file}`;
      if (g.quiet && !changes.length) return;
      await write(
        app,
        `${[head, ...changes.map((c) => `  + ${terminalSafe(c.text)}`), ...(young ? [terminalSafe(young)] : []), ...leftOutLines(leftOut)].join('\n')}\n`,
      );
    });
}
