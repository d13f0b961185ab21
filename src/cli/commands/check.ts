import type { Command } from 'commander';
import { commitPending, runChecks, selectKinds } from '../../checks/run.ts';
import { TenkenError, describe } from '../../core/errors.ts';
import { exitCode, worst } from '../../core/status.ts';
import { parseSince } from '../../core/time.ts';
import { inspectedZone } from '../../core/tz.ts';
import { renderers, type ReportFormat } from '../../report/registry.ts';
import { wantColor } from '../../report/style.ts';
import { writeOutputFile } from '../../state/atomic.ts';
import { LOCK_WAIT_SECONDS, StateStore, waitSeconds } from '../../state/store.ts';
import { assertFormat, type App } from '../app.ts';

interface CheckOptions {
  all: boolean;
  since?: string;
  verbose: boolean;
  output?: string;
  wait: string;
}

/**
 * `tenken check`: the whole inspection. Order matters: lock, run, render, deliver, and only then commit
 * state, so a report that was not delivered is produced again by the next run.
 */
export function register(program: Command, app: App): void {
  program
    .command('check')
    .description(
      'inspect the host: every detected service, its logs, processes, logins and probes (the main job)',
    )
    .option('--all', 'rescan logs from the start, ignoring and keeping saved offsets', false)
    .option(
      '--since <when>',
      "only events since a duration ago (24h, 7d) or a date (2026-11-24T06:00) (a date or time without offset is the host's local time)",
    )
    .option('-v, --verbose', 'also list what is OK', false)
    .option('-o, --output <file>', 'write the report to FILE (atomically) instead of stdout (- for stdout)')
    .option(
      '--wait <seconds>',
      'wait this long for another run (check, logins mail, wtmp rotate) to finish before giving up with exit 3',
      String(LOCK_WAIT_SECONDS),
    )
    .addHelpText(
      'after',
      '\nFormats: text (default), json (docs/report.schema.json).\nExit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n' +
        'Environment: TENKEN_THREADS=N caps the worker threads a big log read uses (default: cores, up to 4).',
    )
    .action(async (opts: CheckOptions, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'check', Object.keys(renderers) as ReportFormat[]);
      const format = g.format;
      const loaded = await app.load(cmd);
      let kinds: string[];
      try {
        kinds = selectKinds(g.only, loaded.config.disable);
      } catch (err) {
        throw new TenkenError(describe('Cannot select checks', err));
      }
      const wait = waitSeconds(opts.wait);
      const store = new StateStore(g.state);
      const release = await store.lockWait(wait * 1000, { onWait: (m) => app.io.error(`tenken: ${m}`) });
      try {
        const since =
          opts.since === undefined
            ? undefined
            : parseSince(opts.since, loaded.host.now, {
                zone: inspectedZone(loaded.host, loaded.config.timeZone),
              });
        const { report, pending } = await runChecks(loaded, store, {
          kinds,
          options: { all: opts.all, ...(since ? { since } : {}) },
        });
        const code = exitCode(report.status);
        // `-o -` and `-o /dev/stdout` mean standard output (the latter is a symlink -o would refuse).
        if (opts.output === '-' || opts.output === '/dev/stdout') delete opts.output;
        // --quiet silences stdout only: a file named with -o always gets the report, so it never keeps
        // saying the last run's CRITICAL after the host is OK again.
        if (!(g.quiet && code === 0) || opts.output !== undefined) {
          const color =
            opts.output === undefined && wantColor({ flag: g.color, isTTY: app.io.isTTY, env: app.io.env });
          const text = renderers[format](report, { color, verbose: opts.verbose });
          if (opts.output === undefined) {
            try {
              await app.io.write(text);
            } catch (err) {
              throw new TenkenError(describe('Cannot write the report to stdout', err));
            }
          } else writeOutputFile(opts.output, text, 0o644);
        }
        try {
          commitPending(store, pending);
        } catch (err) {
          // The report was delivered; a state that could not be saved (a full /var) is UNKNOWN, but it must not
          // hide a CRITICAL the report holds from Nagios or cron (the worse of the two, in tenken's order).
          if (!(err instanceof TenkenError) || worst([report.status, 'UNKNOWN']) === 'UNKNOWN') throw err;
          throw new TenkenError(err.message, { exitCode: code });
        }
        app.exit(code);
      } finally {
        release();
      }
    });
}
