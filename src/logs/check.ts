import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import type { Plan } from '../config/plan.ts';
import type { CheckResult, FindingBase } from '../core/report.ts';
import { type Status, worst } from '../core/status.ts';
import { peakOf, topOf } from './aggregate.ts';
import { type LogsConfig, type LogThreshold, statusFor, thresholdFor, withBuiltinIgnores } from './config.ts';
import type { AttackLines } from './route.ts';
import {
  type EngineInput,
  type EngineResult,
  HOST_SERVICE,
  parseState,
  planSources,
  runEngine,
} from './engine.ts';
import type { LogCategoryData, LogSourceData } from './findings.ts';
import { compileRules, type RuleSet } from './scan/rules.ts';

/**
 * The logs check: every service's own logs plus its syslog/journal lines (by program tag), scanned once
 * for the runbook's keyword categories from where the last delivered run stopped. Returns the new
 * cursors as state; the runner commits them only after the report was delivered.
 */

/** A finding of this check (until FindingDataMap includes LogsFindings, see findings.ts). */
export type LogFinding = FindingBase &
  ({ kind: 'log-category'; data: LogCategoryData } | { kind: 'log-source'; data: LogSourceData });

/** What the logs check may be given by the registry (src/logs does not import the other checks). */
export interface LogsCheckDeps {
  /**
   * The attacks check's reading of lines (src/attacks/attack-lines.ts), used when the check kind `kind` runs
   * in the same run (CheckContext.kinds): the lines it counts are counted here too, but leave the thresholds
   * to it.
   */
  attackLines?: { kind: string; make: (ctx: CheckContext) => AttackLines };
}

/** The `logs` check kind (with `deps`: see LogsCheckDeps). */
export function makeLogsCheck(deps: LogsCheckDeps = {}): CheckKind {
  return {
    description:
      "Scans services' logs and the system logs for the runbook's keyword categories, reading only new lines",
    readsState: (raw) => parseState(raw) !== undefined,
    run: (ctx) => runLogs(ctx, deps),
  };
}

/** The `logs` check kind on its own (no other check judges any of its lines). */
export const logsCheck: CheckKind = makeLogsCheck();

async function runLogs(ctx: CheckContext, deps: LogsCheckDeps): Promise<CheckOutcome> {
  const peer = deps.attackLines;
  const attackLines = peer && ctx.kinds?.includes(peer.kind) ? peer.make(ctx) : undefined;
  const cfg = withBuiltinIgnores(ctx.config.checks.logs, ctx.plan);
  const rules = compileRules(cfg);
  const mode: EngineInput['mode'] = ctx.options.all
    ? { kind: 'all' }
    : ctx.options.since
      ? { kind: 'since', since: ctx.options.since.getTime() }
      : { kind: 'resume', state: parseState(ctx.state) };
  const result = await runEngine({
    host: ctx.host,
    plan: ctx.plan,
    config: cfg,
    rules,
    sources: await planSources(ctx.host, ctx.plan),
    mode,
    journal: ctx.plan.journal,
    timeZone: ctx.config.timeZone,
    countLines: true,
    consumeTrailing: false,
    // Only a run that saves its cursors stops early: the next one goes on from there.
    ...(mode.kind === 'resume' ? { limit: cfg.maxReadPerRun } : {}),
    noIgnore: false,
    signal: ctx.signal,
    ...(attackLines ? { attackLines } : {}),
  });
  // A first run has no last run: its count is the whole backlog since the last rotation (a day or a week of
  // ordinary scanner noise), so only the per-hour thresholds judge it.
  const firstRun = mode.kind === 'resume' && mode.state === undefined;
  const results = buildResults(ctx.plan, cfg, rules, result, { perRun: !firstRun });
  // --all and --since look without moving the saved offsets.
  return mode.kind === 'resume' ? { results, state: result.state } : { results };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A threshold's per-hour limits alone. */
function perHourOnly(t: LogThreshold): LogThreshold {
  return {
    ...(t.warnPerHour !== undefined ? { warnPerHour: t.warnPerHour } : {}),
    ...(t.critPerHour !== undefined ? { critPerHour: t.critPerHour } : {}),
  };
}

/** Per hour, `all`'s count less `part`'s (a part of it). */
function without(all: ReadonlyMap<number, number>, part: ReadonlyMap<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [h, n] of all) out.set(h, n - (part.get(h) ?? 0));
  return out;
}

/** `4200 of them attack lines judged by the attacks check`, `all attack lines ...`, `an attack line ...`. */
function attackPart(count: number, attack: number): string {
  const judged = 'judged by the attacks check';
  if (attack === 1) return `${count === 1 ? 'an' : '1 of them an'} attack line ${judged}`;
  return `${attack === count ? 'all' : `${attack} of them`} attack lines ${judged}`;
}

/** How a run's category counts are judged. */
export interface CategoryJudging {
  /**
   * Whether the per-run thresholds (`warn`, `crit`) apply. Not on a first run: with no saved offsets it reads
   * everything since the last rotation, and a day of scanner noise, under every per-hour limit, crossed them.
   */
  perRun: boolean;
}

/** The category findings of one service, in rule order. */
export function categoryFindings(
  service: string,
  thresholds: Plan['services'][number]['thresholds'],
  cfg: LogsConfig,
  rules: RuleSet,
  result: Pick<EngineResult, 'stats'>,
  judge: CategoryJudging = { perRun: true },
): LogFinding[] {
  const svc = result.stats.services.get(service);
  if (!svc) return [];
  const out: LogFinding[] = [];
  for (const c of rules.categories) {
    const s = svc.get(c.id);
    if (!s) continue;
    const configured = thresholdFor(c.id, cfg.thresholds, thresholds);
    const threshold: LogThreshold = judge.perRun ? configured : perHourOnly(configured);
    const peak = peakOf(s);
    // Lines an attack detector of this run counts are the attacks check's to judge (per source, with their
    // outcome): the thresholds judge the others. Counts, hours, top lists and samples keep every line.
    const others = s.count - s.attack;
    const otherPerHour = s.attack === 0 ? s.perHour : without(s.perHour, s.attackPerHour);
    let otherPeak = 0;
    // A first run's lines without a time fall in no hour: the per-run limits still judge those.
    let timed = 0;
    for (const n of otherPerHour.values()) {
      timed += n;
      if (n > otherPeak) otherPeak = n;
    }
    const untimedStatus = judge.perRun ? 'OK' : statusFor(others - timed, 0, configured);
    const status = judge.perRun
      ? statusFor(others, otherPeak, threshold)
      : worst([untimedStatus, statusFor(0, otherPeak, threshold)]);
    const limits =
      status === 'CRITICAL'
        ? [threshold.crit, threshold.critPerHour]
        : [threshold.warn, threshold.warnPerHour];
    const level = status === 'CRITICAL' ? 'critical' : 'warning';
    const over =
      status === 'OK'
        ? ''
        : judge.perRun
          ? ` (${level} at ${limits[0] ?? '-'} per run or ${limits[1] ?? '-'} per hour)`
          : untimedStatus === status
            ? ` (${level} at ${(status === 'CRITICAL' ? configured.crit : configured.warn) ?? '-'} per run for its ${others - timed} lines without a time; a first run's other lines are judged per hour)`
            : ` (${level} at ${limits[1] ?? '-'} per hour; a first run, which reads the whole backlog, has no per-run limit)`;
    const f: LogFinding = {
      kind: 'log-category',
      status,
      service,
      summary:
        s.attack === 0
          ? `${plural(s.count, `${c.id} line`)}, ${peak} in the busiest hour${over}`
          : `${plural(s.count, `${c.id} line`)} (${attackPart(s.count, s.attack)}), ${others === 0 ? 'no others' : `${others} other${others === 1 ? '' : 's'}, ${otherPeak} in their busiest hour${over === '' ? ', under the thresholds' : over}`}`,
      evidence: s.samples,
      data: {
        category: c.id,
        title: c.title,
        count: s.count,
        perHour: Object.fromEntries(
          [...s.perHour].sort((a, b) => a[0] - b[0]).map(([h, n]) => [new Date(h).toISOString(), n]),
        ),
        peakPerHour: peak,
        top: topOf(s, cfg.top),
        sources: [...s.sources].sort(),
        threshold,
        ...(s.attack === 0
          ? {}
          : { attackLines: { count: s.attack, otherCount: others, otherPeakPerHour: otherPeak } }),
      },
    };
    if (s.first !== null) f.first = new Date(s.first).toISOString();
    if (s.last !== null) f.last = new Date(s.last).toISOString();
    out.push(f);
  }
  return out;
}

function sourceFinding(service: string, status: Status, data: LogSourceData): LogFinding {
  const what =
    data.problem === 'reset'
      ? `${data.path} was replaced or truncated: ${data.reason}`
      : data.problem === 'rotated'
        ? data.path === 'journal'
          ? // The journal's own words: `The journal no longer holds the entry of the saved cursor ...`.
            `${data.reason.charAt(0).toUpperCase()}${data.reason.slice(1)}`
          : `Cannot follow the rotation of ${data.path}: ${data.reason}`
        : data.problem === 'journal'
          ? `Cannot read the journal: ${data.reason}`
          : data.problem === 'limited'
            ? `${data.path}: ${data.reason}`
            : `Cannot read ${data.path}: ${data.reason}`;
  return { kind: 'log-source', status, service, summary: what, evidence: [], data };
}

/**
 * The status of a source problem. An untrusted link was planted (tenken would otherwise have mailed what it
 * points to): WARNING. Content left for the next run by the per-run limit: WARNING (someone writes more than
 * a run reads). A log or journal that could not be read: UNKNOWN.
 */
function sourceStatus(problem: LogSourceData['problem']): Status {
  return problem === 'reset' || problem === 'rotated' || problem === 'dangling'
    ? 'INFO'
    : problem === 'unreadable' || problem === 'journal'
      ? 'UNKNOWN'
      : 'WARNING';
}

/** Source problems that leave a log (or the journal) unread this run. */
const NOT_READ: ReadonlySet<LogSourceData['problem']> = new Set(['unreadable', 'untrusted', 'journal']);

/** `2 logs not readable (permission denied)`, `the journal not readable`: for a result's summary. */
function notReadSummary(notRead: LogSourceData[]): string {
  const files = notRead.filter((d) => d.problem !== 'journal');
  const parts: string[] = [];
  if (files.length > 0) {
    const reasons = [...new Set(files.map((d) => d.reason))];
    const why = reasons.length <= 2 ? reasons.join(', ') : `${reasons.slice(0, 2).join(', ')}, ...`;
    parts.push(`${plural(files.length, 'log')} not readable (${why})`);
  }
  if (files.length < notRead.length) parts.push('the journal not readable');
  return parts.join(', ');
}

/**
 * Whether some log of this result's service other than those it could not read was read: its own, or (by
 * its tags, or for `host`) a system log or the journal.
 */
function otherLogsRead(service: string, syslog: readonly string[], result: EngineResult): boolean {
  const unread = new Set(result.problems.filter((p) => NOT_READ.has(p.problem)).map((p) => p.display));
  const readable = (src: EngineResult['sources'][number]) => src.found && !unread.has(src.path);
  const systemLog = result.journalRead || result.sources.some((src) => src.shared && readable(src));
  if (service === HOST_SERVICE) return systemLog;
  if (syslog.length > 0 && systemLog) return true;
  return result.sources.some((src) => !src.shared && src.services.includes(service) && readable(src));
}

/** Results per service (in plan order, then `host` for syslog lines of no service and host-wide problems). */
export function buildResults(
  plan: Plan,
  cfg: LogsConfig,
  rules: RuleSet,
  result: EngineResult,
  judge: CategoryJudging = { perRun: true },
): CheckResult[] {
  const findings = new Map<string, LogFinding[]>();
  const push = (svc: string, f: LogFinding) => findings.set(svc, [...(findings.get(svc) ?? []), f]);
  const sharedMissing = result.problems.filter((p) => p.shared && p.problem === 'missing');
  const sharedTotal = new Set(plan.syslogFiles).size;
  for (const p of result.problems) {
    const data: LogSourceData = { path: p.display, problem: p.problem, reason: p.reason };
    if (p.problem === 'journal') {
      // Read only when asked (`on`) or when it is the system log (`auto` with no syslog file): either way
      // the system's lines went unread. (INFO under `auto` let a user's run without the journal's group say OK.)
      push(HOST_SERVICE, sourceFinding(HOST_SERVICE, 'UNKNOWN', data));
      continue;
    }
    if (p.problem === 'dangling' && !p.shared) continue; // with the service's own logs, below
    const status = sourceStatus(p.problem);
    if (p.shared) {
      // Distributions keep different system logs: a missing one is normal, unless none exists at all.
      if (p.problem === 'missing') continue;
      push(HOST_SERVICE, sourceFinding(HOST_SERVICE, status, data));
    } else if (p.problem !== 'missing')
      for (const svc of p.services) push(svc, sourceFinding(svc, status, data));
  }
  // Profiles list a service's log under every path distributions use: missing ones matter only when
  // none of the service's own logs exists.
  // A daemon that logs through syslog (tags) needs no file of its own while a system log is read: Debian
  // has no mail.err, dovecot logs to mail.log by default. Saying so on every run only hid real findings.
  // Read means read: a system log that is there but could not be read (mode 0640 root:adm and tenken run
  // by another user) holds none of the daemon's lines for this run, so its own missing log is said.
  const unread = new Set(result.problems.filter((p) => NOT_READ.has(p.problem)).map((p) => p.display));
  const readable = (src: EngineResult['sources'][number]) => src.found && !unread.has(src.path);
  const systemLogRead = result.journalRead || result.sources.some((src) => src.shared && readable(src));
  // The system logs (and the journal) that could not be read: a tagged daemon's only other source.
  const sharedNotRead = result.problems.filter((p) => p.shared && NOT_READ.has(p.problem));
  for (const s of plan.services) {
    const own = result.sources.filter((src) => !src.shared && src.services.includes(s.name));
    const noneFound = own.length > 0 && !own.some((src) => src.found);
    const tagged =
      s.syslog.length > 0 || result.sources.some((src) => src.shared && src.services.includes(s.name));
    const inSyslog = s.syslog.length > 0 && systemLogRead;
    // Its lines are only in system logs none of which could be read, and no log of its own was read: it
    // was not checked at all, and says so with the host's status (UNKNOWN), not "no new matching lines".
    if (tagged && !systemLogRead && sharedNotRead.length > 0 && !own.some(readable))
      for (const p of sharedNotRead)
        push(
          s.name,
          sourceFinding(s.name, sourceStatus(p.problem), {
            path: p.display,
            problem: p.problem,
            reason: p.reason,
          }),
        );
    // A live log that is a symbolic link to nothing is always said (someone put the link there); as the
    // service's missing log when it has no other, else as INFO.
    const dangling = result.problems.filter(
      (p) => p.problem === 'dangling' && !p.shared && p.services.includes(s.name),
    );
    for (const p of dangling)
      push(
        s.name,
        sourceFinding(s.name, noneFound && !inSyslog && s.syslog.length === 0 ? 'WARNING' : 'INFO', {
          path: p.display,
          problem: p.problem,
          reason: p.reason,
        }),
      );
    if (!noneFound || inSyslog || dangling.length > 0) continue;
    const tried = own.map((src) => src.path);
    // With syslog tags its lines may well be in the system logs: then worth knowing, not a warning.
    push(
      s.name,
      sourceFinding(s.name, s.syslog.length > 0 ? 'INFO' : 'WARNING', {
        path: tried.join(', '),
        problem: 'missing',
        reason:
          tried.length === 1 ? 'no such file or directory' : `none of its ${tried.length} log paths exists`,
      }),
    );
  }
  // A journal that was tried and failed says so itself (UNKNOWN): "not read" beside it would say it was not tried.
  const journalFailed = result.problems.some((p) => p.problem === 'journal');
  if (sharedTotal > 0 && sharedMissing.length >= sharedTotal && !result.journalRead && !journalFailed) {
    push(
      HOST_SERVICE,
      sourceFinding(HOST_SERVICE, 'INFO', {
        path: sharedMissing.map((p) => p.display).join(', '),
        problem: 'missing',
        reason: 'no system log exists and the journal was not read',
      }),
    );
  }
  const services = [
    ...plan.services.map((s) => ({
      name: s.name,
      thresholds: s.thresholds,
      hasLogs: s.logs.length + s.syslog.length > 0,
      syslog: s.syslog,
    })),
  ];
  if (!services.some((s) => s.name === HOST_SERVICE))
    services.push({ name: HOST_SERVICE, thresholds: {}, hasLogs: false, syslog: [] });
  const results: CheckResult[] = [];
  for (const s of services) {
    const cats = categoryFindings(s.name, s.thresholds, cfg, rules, result, judge);
    const all = [...(findings.get(s.name) ?? []), ...cats];
    if (all.length === 0 && !s.hasLogs) continue;
    const status = worst(all.map((f) => f.status));
    const flagged = cats.filter((f) => f.status !== 'OK');
    // Lines, not category hits: "Interrupted ... failed" is in error and invalid, and is one line.
    const lines = result.stats.linesOf(s.name);
    // What raised it: the lines the thresholds judged (attack lines were the attacks check's to judge).
    const frequent = flagged
      .map((f) =>
        f.kind !== 'log-category'
          ? ''
          : f.data.attackLines
            ? `${f.data.category} (${f.data.attackLines.otherCount}, besides ${plural(f.data.attackLines.count, 'attack line')})`
            : `${f.data.category} (${f.data.count})`,
      )
      .join(', ');
    const notRead = all.flatMap((f) =>
      f.kind === 'log-source' && NOT_READ.has(f.data.problem) ? [f.data] : [],
    );
    let summary: string;
    if (notRead.length === 0)
      summary =
        cats.length === 0
          ? 'no new matching lines'
          : flagged.length === 0
            ? `${plural(lines, 'matching line')}, all categories under their thresholds`
            : `frequent ${frequent}`;
    else {
      // What could not be read comes first: "no new matching lines" alone read as "all is quiet".
      const unread = notReadSummary(notRead);
      const othersRead = cats.length > 0 || otherLogsRead(s.name, s.syslog, result);
      summary = !othersRead
        ? unread
        : cats.length === 0
          ? `${unread}; no new matching lines in the others`
          : flagged.length === 0
            ? `${unread}; ${plural(lines, 'matching line')} in the others, all categories under their thresholds`
            : `${unread}; frequent ${frequent} in the others`;
    }
    // One cast until src/core/findings.ts merges LogsFindings; the shapes are the same.
    results.push({ service: s.name, status, summary, findings: all });
  }
  return results;
}
