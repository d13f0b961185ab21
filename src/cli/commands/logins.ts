/**
 * `tenken logins report` and `tenken logins mail`: each user's own login history over a period, printed
 * (text, HTML, JSON) or mailed to that user to confirm. The audit itself runs in `tenken check` (kind
 * `logins`). Thin: options → src/logins (history.ts, user-report.ts, mail.ts).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { reason, TenkenError } from '../../core/errors.ts';
import { terminalSafe } from '../../core/sanitize.ts';
import { parseSince } from '../../core/time.ts';
import { hostZone, readAccounts, readState } from '../../logins/check.ts';
import { historyInputs, readHistory, truncatedText } from '../../logins/history.ts';
import { livePidAlive } from '../../logins/live.ts';
import {
  buildMails,
  MAIL_STATE,
  type ReportMail,
  readMailMarks,
  sendMails,
  writeEml,
} from '../../logins/mail.ts';
import { redactUrl } from '../../probes/spec.ts';
import {
  buildUserReports,
  htmlDocument,
  renderUserSection,
  renderUserText,
  type UserReport,
} from '../../logins/user-report.ts';
import { LOCK_WAIT_SECONDS, StateStore, waitSeconds } from '../../state/store.ts';
import type { App } from '../app.ts';

interface ReportOpts {
  user?: string[];
  since?: string;
  dryRun?: string;
  wait?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [
  ...(prev ?? []),
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** Reads the history and builds the reports the options ask for. */
async function reportsFor(
  app: App,
  cmd: Command,
  opts: ReportOpts,
  store: StateStore,
  /** Per user, where the period starts instead of --since or reportSince (the mail's marks). */
  marks: Readonly<Record<string, number>> = {},
): Promise<{
  reports: UserReport[];
  machine: string;
  loaded: Awaited<ReturnType<App['load']>>;
  now: number;
}> {
  const loaded = await app.load(cmd);
  const { host, config } = loaded;
  const cfg = config.checks.logins;
  const now = Math.floor(host.now.getTime() / 1000);
  const since = Math.floor(
    (opts.since !== undefined
      ? parseSince(opts.since, host.now, { zone: hostZone(host, cfg.timeZone) })
      : parseSince(cfg.reportSince, host.now, {
          zone: hostZone(host, cfg.timeZone),
          what: 'checks.logins.reportSince',
        })
    ).getTime() / 1000,
  );
  const sinceFor = new Map<string, number>();
  for (const [user, mark] of Object.entries(marks)) {
    if (mark <= now) sinceFor.set(user, mark);
    else
      app.io.error(
        `tenken: the last mail of ${terminalSafe(user)} ended at ${new Date(mark * 1000).toISOString()}, after now (the clock went back?): mailing from checks.logins.reportSince`,
      );
  }
  const inputs = historyInputs(host, cfg.wtmp);
  const history = await readHistory(inputs, {
    now,
    pidAlive: livePidAlive(host.root, host.now.getTime()),
    readTruncated: true,
  });
  if (history.source === 'none') {
    const p = history.problems[0];
    throw new TenkenError(
      p ? `Cannot read ${p.file}: ${p.reason}` : `Cannot read ${cfg.wtmp}: no login history`,
    );
  }
  for (const p of history.problems) app.io.error(`tenken: Cannot read ${p.file}: ${p.reason} (left out)`);
  // Said, not fatal (exit 0): the report holds everything that is left; `tenken check` warns about the file.
  for (const t of history.truncated) app.io.error(`tenken: ${truncatedText(t)}`);
  const state = readState(store.read('logins'));
  const reports = buildUserReports(history.sessions, {
    machine: host.name,
    since,
    sinceFor,
    now,
    zone: hostZone(host, cfg.timeZone),
    users: opts.user,
    learned: state?.model,
    historyBegins: history.audit.begins,
  });
  for (const u of opts.user ?? []) {
    if (!reports.some((r) => r.user === u))
      app.io.error(
        `tenken: no logins of ${terminalSafe(u)} since ${new Date((sinceFor.get(u) ?? since) * 1000).toISOString()}`,
      );
  }
  return { reports, machine: host.name, loaded, now };
}

/** Adds `tenken logins` and its subcommands. */
export function register(program: Command, app: App): void {
  const logins = program
    .command('logins')
    .description(
      "each user's own login history, printed or mailed to them (the login audit runs in `tenken check`)",
    );
  logins.action(async (_opts: unknown, cmd: Command) => {
    await app.io.write(cmd.helpInformation());
  });
  logins
    .command('report')
    .description(
      "print each user's logins over a period, first logins from a host marked (--format text|html|json)",
    )
    .option('--user <name>', 'only this user (repeatable, or comma-separated)', collect)
    .option(
      '--since <when>',
      "period start: a duration (30d, 12h) or a date (2026-11-01, the host's local midnight); default checks.logins.reportSince (30d)",
    )
    .action(async (opts: ReportOpts, cmd: Command) => {
      const g = app.globals(cmd);
      if (g.format !== 'text' && g.format !== 'html' && g.format !== 'json') {
        throw new TenkenError(
          `Cannot run tenken logins report: --format ${g.format} is not supported here (text, html, json)`,
        );
      }
      const { reports, machine } = await reportsFor(app, cmd, opts, new StateStore(g.state));
      if (g.format === 'json') {
        const data = reports.map((r) => ({
          user: r.user,
          since: new Date(r.since * 1000).toISOString(),
          until: new Date(r.until * 1000).toISOString(),
          timeZone: r.zone.name,
          sessions: r.sessions.map(({ file: _f, index: _i, userBytes: _u, ...s }) => ({
            ...s,
            start: new Date(s.start * 1000).toISOString(),
            end: s.end === null ? null : new Date(s.end * 1000).toISOString(),
          })),
        }));
        await app.io.write(`${JSON.stringify({ host: machine, reports: data }, null, 2)}\n`);
      } else if (g.format === 'html') {
        await app.io.write(
          htmlDocument(
            `Logins on ${machine}`,
            reports.map((r) => renderUserSection(r)),
          ),
        );
      } else {
        await app.io.write(reports.map((r) => renderUserText(r)).join(`\n${'-'.repeat(72)}\n\n`));
      }
    });
  logins
    .command('mail')
    .description(
      'mail each user their own logins to confirm (text + HTML), or write them as .eml files with --dry-run',
    )
    .option('--user <name>', 'only this user (repeatable, or comma-separated)', collect)
    .option(
      '--since <when>',
      "period start for everyone, moving no user's mark: a duration (30d, 12h) or a date (the host's local midnight); default: where each user's last accepted mail ended, else checks.logins.reportSince (30d)",
    )
    .option('--dry-run <dir>', 'write DIR/USER.eml instead of sending')
    .option(
      '--wait <seconds>',
      'wait this long for another run (check, logins mail, wtmp rotate) to finish before giving up with exit 3',
      String(LOCK_WAIT_SECONDS),
    )
    .action(async (opts: ReportOpts, cmd: Command) => {
      const g = app.globals(cmd);
      const wait = waitSeconds(opts.wait ?? String(LOCK_WAIT_SECONDS));
      const store = new StateStore(g.state);
      // Like check: two runs must not mail the same period twice or interleave their marks. A dry run
      // writes no state and needs no lock.
      const release = opts.dryRun
        ? () => undefined
        : await store.lockWait(wait * 1000, { onWait: (m) => app.io.error(`tenken: ${m}`) });
      try {
        await mailAction(app, cmd, opts, store);
      } finally {
        release();
      }
    });
}

/**
 * `tenken logins mail`. Each user's period starts where their last accepted mail ended (STATE/logins-mail.json;
 * first run: reportSince) and ends now; once the server accepted a user's mail, that user's mark moves to now,
 * at once and atomically. `--since` mails a chosen period for everyone and moves no mark (the regular run's
 * sequence stays whole); `--dry-run` reads the marks and moves none.
 */
async function mailAction(app: App, cmd: Command, opts: ReportOpts, store: StateStore): Promise<void> {
  const incremental = opts.since === undefined;
  const saved = readMailMarks(incremental ? store.read(MAIL_STATE) : undefined);
  for (const p of store.problems)
    app.io.error(`tenken: State file ${p.file}: ${p.reason}; mailing from checks.logins.reportSince`);
  const { reports, machine, loaded, now } = await reportsFor(app, cmd, opts, store, saved.marks);
  const cfg = loaded.config.checks.logins.mail;
  const { mails, skipped } = buildMails(
    reports,
    cfg,
    machine,
    readAccounts(loaded.host, loaded.config.checks.logins),
  );
  const lines: string[] = [];
  for (const s of skipped) lines.push(`skipped ${terminalSafe(s.user)}: ${s.why}`);
  let saveError: { user: string; why: string } | null = null;
  const accepted = (m: ReportMail): string | null => {
    if (!incremental) return null;
    saved.marks[m.user] = now;
    try {
      store.commit(MAIL_STATE, saved);
      return null;
    } catch (err) {
      saveError = { user: m.user, why: reason(err) };
      return reason(err);
    }
  };
  const results = opts.dryRun
    ? await writeEml(mails, path.resolve(app.io.cwd, opts.dryRun))
    : await sendMails(mails, cfg, accepted);
  let failed = 0;
  for (const r of results) {
    if (r.error === null)
      lines.push(
        `${opts.dryRun ? 'wrote' : 'sent'} ${terminalSafe(r.user)} <${terminalSafe(r.to)}>${opts.dryRun ? `: ${r.sent}` : ''}`,
      );
    else {
      failed++;
      app.io.error(
        `tenken: Cannot send the login report of ${terminalSafe(r.user)} to ${terminalSafe(r.to)} via ${redactUrl(cfg.transport)}: ${terminalSafe(r.error)}`,
      );
    }
  }
  const lost = saveError as { user: string; why: string } | null;
  if (lost) {
    failed++;
    app.io.error(
      `tenken: Cannot save where the mail of ${terminalSafe(lost.user)} ended: ${lost.why}; the next run mails that period again`,
    );
  }
  if (reports.length === 0) lines.push('no logins to report in the period');
  // --quiet (a monthly cron job): failures alone, on stderr.
  if (!app.globals(cmd).quiet) await app.io.write(`${lines.join('\n')}\n`);
  if (failed) app.exit(3);
}
