import { append } from '../core/array.ts';
import { dialupDetails } from '../dialup/render.ts';
import { loginsDetails } from '../logins/audit-findings.ts';
import { probesDetails } from '../probes/view.ts';
import { procsDetails } from '../procs/view.ts';
import type { Evidence, Finding, FindingKind, FindingOf, Omitted, Report, TimeText } from '../core/report.ts';
import { makeZone, type Zone } from '../core/tz.ts';
import { zonedSpan, zonedTime } from './time.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import { rank, type Status, worst } from '../core/status.ts';
import { type Paint, painter, statusLabel } from './style.ts';

/** Extra lines under a finding, per kind. A mapped type over FindingKind: a new kind fails to compile here. */
type Details = { [K in FindingKind]: (f: FindingOf<K>, time: TimeText) => string[] };

const details: Details = {
  ...dialupDetails,
  ...loginsDetails,
  ...procsDetails,
  ...probesDetails,
  'check-error': (f) => [`error: ${f.data.error}`],
  'not-checked': () => [],
  'log-category': (f) => [
    `${f.data.category}${f.data.title === null ? '' : ` (${f.data.title})`}: ${f.data.count} line${f.data.count === 1 ? '' : 's'}, peak ${f.data.peakPerHour}/h in ${f.data.sources.join(', ')}`,
    ...f.data.top.slice(0, 5).map((t) => `  ${t.count} × ${clip(t.message, 200)}`),
  ],
  // The summary (`Cannot read PATH: why`) already says all a log-source finding holds.
  'log-source': () => [],
  'attack-bruteforce': (f, time) => [
    // A source that attacked in an earlier run and logged in now has no peak or services of this run.
    f.data.peak > 0
      ? `${f.data.count} failures (peak ${f.data.peak} in ${Math.round(f.data.findtime / 60)} min) against ${f.data.services.join(', ')}`
      : `${f.data.count} failures in earlier runs`,
    // A failure that names no user (postfix's `SASL LOGIN authentication failed`) leaves none to list.
    ...(f.data.usersTotal > 0 ? [`users tried (${f.data.usersTotal}): ${f.data.users.join(', ')}`] : []),
    ...(f.data.succeeded
      ? [
          `then logged in${f.data.succeeded.user ? ` as ${f.data.succeeded.user}` : ''} via ${f.data.succeeded.service}${f.data.succeeded.time ? ` at ${time(f.data.succeeded.time)}` : ''}`,
        ]
      : []),
  ],
  'attack-portscan': (f) => [
    `${f.data.count} probes of ${f.data.ports.length ? `ports ${f.data.ports.join(', ')}` : 'services'}${f.data.services.length ? ` (${f.data.services.join(', ')})` : ''}`,
    ...(f.data.confirmedBy.length ? [`reported by ${f.data.confirmedBy.join(', ')}`] : []),
  ],
  'attack-webprobe': (f) => [
    `${f.data.probes} probe${f.data.probes === 1 ? '' : 's'}, ${f.data.notFound} answered 404${f.data.ratio404 === null ? '' : ` (${Math.round(f.data.ratio404 * 100)}%)`}`,
    `paths: ${f.data.paths.join(' ')}`,
    ...f.data.answered.map((a) => `answered ${a.status}: ${a.path}`),
  ],
  'attack-passwd': (f) => [
    `${f.data.attempts} attempts via ${f.data.services.join(', ')}${f.data.answered ? ' (a server answered with the file)' : ''}`,
    `paths: ${f.data.paths.join(' ')}`,
  ],
  'attack-distributed': (f, time) => [
    `${f.data.count} failures from ${f.data.sourcesCapped ? 'at least ' : ''}${f.data.sources} sources (peak ${f.data.peak} from ${f.data.peakSources} in ${Math.round(f.data.window / 60)} min)${f.data.services.length > 0 ? ` against ${f.data.services.join(', ')}` : ''}`,
    ...(f.data.usersTotal > 0
      ? [
          `users tried (${f.data.usersTotal}): ${f.data.users.map((u) => `${u.user} (${u.count})`).join(', ')}`,
        ]
      : []),
    `most from: ${f.data.top.map((t) => `${t.host} (${t.count})`).join(', ')}`,
    ...(f.data.succeeded
      ? [
          `then ${f.data.succeeded.host} logged in${f.data.succeeded.user ? ` as ${f.data.succeeded.user}` : ''} via ${f.data.succeeded.service}${f.data.succeeded.time ? ` at ${time(f.data.succeeded.time)}` : ''}`,
        ]
      : []),
  ],
  'attack-openproxy': (f) => [
    `${f.data.requests} relayed request${f.data.requests === 1 ? '' : 's'} for ${f.data.clientsCapped ? 'at least ' : ''}${f.data.clients} outside client${f.data.clients === 1 ? '' : 's'}`,
    `clients: ${f.data.top.map((c) => `${c.host} (${c.requests})`).join(', ')}`,
  ],
  'service-detected': (f) => [
    ...(f.data.logs.length ? [`logs: ${f.data.logs.join(', ')}`] : []),
    ...(f.data.processes.length ? [`processes: ${f.data.processes.join(', ')}`] : []),
  ],
};

/** Every finding kind, derived from the exhaustive detail table (the JSON schema test compares against it). */
export const FINDING_KINDS = Object.keys(details) as FindingKind[];

function detailLines(f: Finding, time: TimeText): string[] {
  return (details[f.kind] as (f: Finding, time: TimeText) => string[])(f, time);
}

/** Options of the text renderer. */
export interface TextOptions {
  color: boolean;
  /** Show OK findings too (default: only what needs attention, plus a per-service line). */
  verbose?: boolean;
  /** Evidence lines per finding. */
  samples?: number;
}

/**
 * Longest summary or detail line (an attacker's 4 KB request path must not make a 4 KB line in a mailed
 * report; JSON keeps the whole text).
 */
const LINE_MAX = 400;

function evidenceLine(e: Evidence): string {
  // Lines count from 1: a source without them (the journal) is named alone.
  const where = e.line === undefined || e.line < 1 ? e.source : `${e.source}:${e.line}`;
  return `${terminalSafe(where)}: ${terminalSafe(clip(e.text, 300))}`;
}

interface ServiceGroup {
  service: string;
  status: Status;
  rows: { kind: string; status: Status; summary: string; findings: Finding[]; omitted?: Omitted }[];
}

/** Regroups a report's per-kind results by service, worst first. */
export function groupByService(report: Report): ServiceGroup[] {
  const groups = new Map<string, ServiceGroup>();
  for (const check of report.checks) {
    for (const r of check.results) {
      let g = groups.get(r.service);
      if (!g) {
        g = { service: r.service, status: 'OK', rows: [] };
        groups.set(r.service, g);
      }
      g.rows.push({
        kind: check.kind,
        status: r.status,
        summary: r.summary,
        findings: r.findings,
        ...(r.omitted ? { omitted: r.omitted } : {}),
      });
      g.status = worst([g.status, r.status]);
    }
  }
  return [...groups.values()].sort(
    (a, b) => rank(b.status) - rank(a.status) || a.service.localeCompare(b.service),
  );
}

function renderFinding(paint: Paint, f: Finding, samples: number, zone: Zone, headed = true): string[] {
  // A finding that the row's own line already names (same summary) shows only its details.
  const out = headed
    ? [`      ${statusLabel(paint, f.status)} ${terminalSafe(clip(f.summary, LINE_MAX))}`]
    : [];
  const when = f.first ? zonedSpan(f.first, f.last, zone) : undefined;
  const who = [f.host && `host ${f.host}`, f.user && `user ${f.user}`].filter(Boolean).join(', ');
  if (when || who)
    out.push(
      paint(
        'dim',
        `               ${[who, when]
          .filter(Boolean)
          .map((s) => terminalSafe(s as string))
          .join('; ')}`,
      ),
    );
  for (const d of detailLines(f, (iso) => zonedTime(iso, zone)))
    out.push(`               ${terminalSafe(clip(d, LINE_MAX))}`);
  for (const e of f.evidence.slice(0, samples)) out.push(paint('dim', `               | ${evidenceLine(e)}`));
  if (f.evidence.length > samples)
    out.push(paint('dim', `               | … ${f.evidence.length - samples} more`));
  return out;
}

/** `… 499960 more findings not listed (249975 critical, 249985 warning)`: what a capped result left out. */
export function omittedLine(o: Omitted): string {
  const parts = Object.entries(o.statuses).map(([s, n]) => `${n} ${s.toLowerCase()}`);
  return `… ${o.count} more finding${o.count === 1 ? '' : 's'} not listed${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * The terminal report: a header with the overall status, then one block per service (worst first), each
 * check kind's line and the findings that need attention with a few evidence lines. Every string that came
 * from the host (log text, names, paths) goes through terminalSafe.
 */
export function renderText(report: Report, opts: TextOptions): string {
  const paint = painter(opts.color);
  const samples = opts.samples ?? 3;
  const zone = makeZone(report.timeZone);
  const lines: string[] = [];
  const root = report.root ? ` (root ${terminalSafe(report.root)})` : '';
  lines.push(
    paint(
      'bold',
      `tenken ${report.tool.version}: inspection of ${terminalSafe(report.host)}${root} at ${terminalSafe(zonedTime(report.time, zone))}`,
    ),
  );
  lines.push(`${statusLabel(paint, report.status, 0)}: ${report.summary}`);
  const used = report.services.map((s) => terminalSafe(s.service)).join(', ');
  lines.push(paint('dim', `services: ${used || 'none detected'}`));
  for (const g of groupByService(report)) {
    lines.push('');
    lines.push(`${statusLabel(paint, g.status)} ${paint('bold', terminalSafe(g.service))}`);
    for (const row of g.rows) {
      lines.push(
        `  ${row.kind.padEnd(9)} ${statusLabel(paint, row.status)} ${terminalSafe(clip(row.summary, LINE_MAX))}`,
      );
      const shown = opts.verbose ? row.findings : row.findings.filter((f) => f.status !== 'OK');
      for (const f of [...shown].sort((a, b) => rank(b.status) - rank(a.status)))
        append(
          lines,
          renderFinding(paint, f, samples, zone, !(shown.length === 1 && f.summary === row.summary)),
        );
      if (row.omitted) lines.push(`      ${omittedLine(row.omitted)}`);
    }
  }
  lines.push('');
  lines.push(
    paint(
      'dim',
      `checks: ${report.checks.map((c) => `${c.kind} ${c.status} (${c.durationMs} ms)`).join(', ')}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
