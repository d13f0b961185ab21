import type { Command } from 'commander';
import { gatherAttacks, planServiceName, squidUnreadNote } from '../../attacks/check.ts';
import { type AttackReport, AttackDetectors, listSources } from '../../attacks/detect.ts';
import { SameLineFilter } from '../../attacks/same-line.ts';
import { argPath } from '../../core/host.ts';
import {
  type AccountReadOptions,
  accountBasicAuthLogins,
  accountLog,
  fileHints,
  selfNames,
  hostAddresses,
  squidRoleOf,
  isSquidLog,
} from '../../attacks/read.ts';
import { BasicAuthLogins } from '../../attacks/extract/web.ts';
import { TenkenError, describe } from '../../core/errors.ts';
import { parseSince } from '../../core/time.ts';
import { inspectedZone } from '../../core/tz.ts';
import { clip, terminalSafe } from '../../core/sanitize.ts';
import { exitCode, type Status, worst } from '../../core/status.ts';
import { painter, statusLabel, wantColor } from '../../report/style.ts';
import { zonedTime } from '../../report/time.ts';
import { assertFormat, type App } from '../app.ts';
import { clipWidth, padEndWidth } from '../../core/width.ts';

interface AttacksOptions {
  since?: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Per-source rows joined into one string at a time (see renderText). */
const ROWS_JOINED = 4096;

/** The text report; `status` is the run's (with UNKNOWN for a log it could not read), as in JSON and the exit code. */
export function renderText(report: AttackReport, status: Status, title: string, color: boolean): string {
  const paint = painter(color);
  const lines = [
    paint('bold', title),
    `${statusLabel(paint, status, 0)}: ${plural(report.findings.length, 'finding')}, ${plural(report.sources.length, 'source')}`,
    '',
  ];
  for (const f of report.findings)
    lines.push(`${statusLabel(paint, f.status)} ${terminalSafe(clip(f.summary, 300))}`);
  if (report.findings.length > 0) lines.push('');
  const { sources, sourcesOmitted } = listSources(report);
  if (sources.length > 0) {
    lines.push(paint('bold', 'Per source'));
    lines.push(
      '  status    host                                      fail  rej  ok scan probe pw  users / services',
    );
    // Joined every ROWS_JOINED rows: a row is built as a tree of a dozen small strings, and a million
    // sources' rows held as trees until the end were ~800 MB of the run's peak (2.3 GB, now 1.5 GB).
    let rows: string[] = [];
    for (const s of sources) {
      if (rows.length === ROWS_JOINED) {
        lines.push(rows.join('\n'));
        rows = [];
      }
      const users = s.users.slice(0, 5).join(',') + (s.users.length > 5 ? ',...' : '');
      rows.push(
        `  ${statusLabel(paint, s.status)}  ${padEndWidth(clipWidth(terminalSafe(s.host), 40), 40)} ${String(s.failures).padStart(5)} ${String(s.rejects).padStart(4)} ${String(s.successes).padStart(3)} ${String(s.scans).padStart(4)} ${String(s.probes).padStart(5)} ${String(s.passwd).padStart(3)}  ${terminalSafe(clip(users, 60))}${users ? ' / ' : ''}${terminalSafe(s.services.join(','))}`,
      );
    }
    if (rows.length > 0) lines.push(rows.join('\n'));
    if (sourcesOmitted > 0)
      lines.push(`  … and ${sourcesOmitted} more source${sourcesOmitted === 1 ? '' : 's'}, all OK`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `tenken attacks [--since T] [FILE...]`: who attacked the server and how often: brute force per source,
 * port scans, web probes, password-file reads. Without FILE it reads what the `attacks` check reads (the
 * logs check's sources through src/logs's reader, the journal, btmp, wtmp) without touching saved state:
 * live logs from their start, or with --since every rotated member written since then. FILEs are read whole.
 */
export function register(program: Command, app: App): void {
  program
    .command('attacks')
    .description('per-source summary of dictionary attacks, port scans, web probes and passwd reads')
    .argument('[file...]', "log files to read (default: the syslog files and the services' logs)")
    .option(
      '--since <time>',
      "only events at or after TIME (ISO date, or a span back from now: 12h, 7d) (a date or time without offset is the host's local time)",
    )
    .addHelpText(
      'after',
      '\nFormats: text (default), json.\nExit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
    )
    .action(async (files: string[], opts: AttacksOptions, cmd: Command) => {
      const g = app.globals(cmd);
      assertFormat(g, 'attacks', ['text', 'json']);
      const loaded = await app.load(cmd);
      const host = loaded.host;
      const zone = inspectedZone(host, loaded.config.timeZone);
      const since = opts.since === undefined ? null : parseSince(opts.since, host.now, { zone });
      let report: AttackReport;
      let shown: string[];
      let unreadable = false;
      if (files.length > 0) {
        const det = new AttackDetectors(loaded.config.checks.attacks, {
          serviceName: planServiceName(loaded.plan),
        });
        const self = selfNames(host);
        const addresses = hostAddresses(host);
        const squid = squidRoleOf(host);
        // A file named twice, or lines rsyslog wrote to two of the files, count once (as in the check).
        const same = new SameLineFilter();
        shown = files;
        // Basic-auth failures in any of the files, for the logins after them (a second read of each web log).
        const basicAuth = new BasicAuthLogins();
        const reads: [string, AccountReadOptions][] = [];
        for (const [i, f] of files.entries()) {
          const local = argPath(host, app.io.cwd, f);
          const readOpts: AccountReadOptions = {
            mode: { kind: 'whole' },
            now: host.now,
            zone,
            hints: fileHints(local, host.root),
            self,
            allow: loaded.config.checks.attacks.openproxy.allow,
            addresses,
            reverseProxy: squid.accelerated && isSquidLog(local, fileHints(local, host.root)),
            display: () => f,
            root: host.root,
            consumeTrailing: true,
            basicAuth,
            onEvent: (e) => {
              if (since && e.event.time !== null && e.event.time < since.getTime()) return;
              if (!same.admit(String(i), e.text)) return; // each argument a log of its own
              det.add(e);
            },
          };
          reads.push([local, readOpts]);
          const r = await accountLog(local, readOpts);
          if (squid.unread !== null && r.files.length > 0 && isSquidLog(local, fileHints(local, host.root)))
            app.io.error(`tenken: ${terminalSafe(squidUnreadNote(f, squid.unread).summary)}`);
          for (const p of r.problems) {
            unreadable = true;
            app.io.error(`tenken: Cannot read ${terminalSafe(f)}: ${terminalSafe(p.reason)}`);
          }
        }
        for (const [local, readOpts] of reads) await accountBasicAuthLogins(local, readOpts);
        report = det.finish();
      } else {
        const got = await gatherAttacks({
          host,
          plan: loaded.plan,
          cfg: loaded.config.checks.attacks,
          timeZone: loaded.config.timeZone,
          mode: since ? { kind: 'since', since: since.getTime() } : { kind: 'resume', saved: undefined },
        });
        report = got.report;
        shown = got.files;
        for (const p of got.problems) {
          if (p.status === 'UNKNOWN') unreadable = true;
          app.io.error(`tenken: ${terminalSafe(p.summary)}`);
        }
      }
      const status = worst([
        ...report.findings.map((f) => f.status),
        ...(unreadable ? (['UNKNOWN'] as const) : []),
      ]);
      const code = exitCode(status);
      app.exit(code);
      if (g.quiet && code === 0) return;
      const text =
        g.format === 'json'
          ? `${JSON.stringify({ host: host.name, time: host.now.toISOString(), since: since?.toISOString() ?? null, status, files: shown, findings: report.findings, ...listSources(report) }, null, 2)}\n`
          : renderText(
              report,
              status,
              `Attacks on ${terminalSafe(host.name)} at ${terminalSafe(zonedTime(host.now.toISOString(), zone))}${since ? ` since ${terminalSafe(zonedTime(since.toISOString(), zone))}` : ''}`,
              wantColor({ flag: g.color, isTTY: app.io.isTTY, env: app.io.env }),
            );
      try {
        await app.io.write(text);
      } catch (err) {
        throw new TenkenError(describe('Cannot write to stdout', err));
      }
    });
}
