/**
 * Text for the dial-up findings: the detail lines the report's text renderer shows under each finding
 * (spread `dialupDetails` into src/report/text.ts's `details`), and the `tenken dialup` view.
 */
import { append } from '../core/array.ts';
import type { Evidence, Finding, FindingBase } from '../core/report.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import { rank, type Status } from '../core/status.ts';
import { type Paint, statusLabel } from '../report/style.ts';
import type { DialupInspection } from './check.ts';
import {
  type DialupFinding,
  type DialupFindingKind,
  type DialupFindings,
  durationText,
  zonedText,
} from './findings.ts';

type DialupDetails = {
  [K in DialupFindingKind]: (f: FindingBase & { kind: K; data: DialupFindings[K] }) => string[];
};

/** Detail lines per dial-up finding kind (plain text; the renderer makes them terminal-safe). */
export const dialupDetails: DialupDetails = {
  'dialup-login-without-call': (f) => [
    `line ${f.data.line}, pid ${f.data.pid ?? '-'}; a login must follow a call within ${f.data.windowSeconds} s`,
    f.data.previousCall
      ? `last call before it: ${zonedText(f.data.previousCall.time, f.data.timeZone)} (${durationText(f.data.previousCall.secondsBefore)} earlier, pid ${f.data.previousCall.pid ?? '-'}, ${f.data.previousCall.outcome})`
      : 'no earlier call on this line in the log',
  ],
  'dialup-call-without-login': (f) => [
    [
      `line ${f.data.line}`,
      `pid ${f.data.pid ?? '-'}`,
      f.data.connection ? `connection ${f.data.connection}` : null,
      f.data.caller && f.data.caller !== 'none' ? `caller ${f.data.caller}` : null,
    ]
      .filter(Boolean)
      .join(', '),
  ],
  'dialup-off-hours-call': (f) => [`line ${f.data.line} is used ${f.data.hours}; call ${f.data.outcome}`],
  'dialup-modem-trouble': (f) => [`advice: ${f.data.advice}`],
  'dialup-line-summary': (f) => [
    `calls ${f.data.calls}, logins ${f.data.logins} (${f.data.matched} matched), failed ${f.data.failures}, fax ${f.data.fax}, not answered ${f.data.unanswered}, dial-outs ${f.data.dialouts}`,
    ...(f.data.loginsBeforeLog
      ? [`${f.data.loginsBeforeLog} logins before the log begins (not compared)`]
      : []),
    ...(f.data.callsBeforeWtmp
      ? [
          `${f.data.callsBeforeWtmp} calls before wtmp's oldest record (not compared: their logins may be rotated away)`,
        ]
      : []),
    ...(f.data.longestSession
      ? [
          `longest session: ${f.data.longestSession.user} from ${zonedText(f.data.longestSession.start, f.data.timeZone)}, ${durationText(f.data.longestSession.seconds)}${f.data.longestSession.ongoing ? ' (still logged in)' : ''}`,
        ]
      : []),
  ],
};

/** Detail lines of one dial-up finding. */
export function dialupDetailLines(f: DialupFinding): string[] {
  return (dialupDetails[f.kind] as (f: DialupFinding) => string[])(f);
}

function evidenceLine(e: Evidence): string {
  const where = e.line === undefined ? e.source : `${e.source}:${e.line}`;
  return `${terminalSafe(where)}: ${terminalSafe(clip(e.text, 200))}`;
}

/** Options of the `tenken dialup` view. */
export interface ViewOptions {
  paint: Paint;
  /** Show the OK summaries' detail lines and every evidence line. */
  verbose?: boolean;
  samples?: number;
}

/**
 * The `tenken dialup` text: what was read, then one block per line (its summary, then its findings, worst
 * first), then modem trouble not tied to a line and what could not be read. Host text goes through
 * terminalSafe.
 */
export function renderDialupText(
  insp: DialupInspection,
  header: string,
  status: Status,
  opts: ViewOptions,
): string[] {
  const { paint } = opts;
  const samples = opts.samples ?? 2;
  const out: string[] = [paint('bold', header), `${statusLabel(paint, status, 0)}`];
  if (!insp.enabled) {
    out.push('No mgetty log found: no dial-up line to inspect.');
    return out;
  }
  out.push(paint('dim', `logs: ${insp.logs.map(terminalSafe).join(', ') || 'none'}`));
  out.push(
    paint(
      'dim',
      `wtmp: ${insp.wtmp.map(terminalSafe).join(', ') || 'none'}; time zone ${insp.timeZone ?? 'local'}`,
    ),
  );
  const finding = (f: DialupFinding | Finding, indent: string): string[] => {
    const lines = [`${indent}${statusLabel(paint, f.status)} ${terminalSafe(f.summary)}`];
    const details = f.kind.startsWith('dialup-') ? dialupDetailLines(f as DialupFinding) : [];
    for (const d of details) lines.push(`${indent}         ${terminalSafe(d)}`);
    for (const e of f.evidence.slice(0, opts.verbose ? undefined : samples))
      lines.push(paint('dim', `${indent}         | ${evidenceLine(e)}`));
    if (!opts.verbose && f.evidence.length > samples)
      lines.push(paint('dim', `${indent}         | … ${f.evidence.length - samples} more`));
    return lines;
  };
  const byLine = new Map<string, DialupFinding[]>();
  for (const f of insp.findings) {
    const list = byLine.get(f.data.line) ?? [];
    list.push(f);
    byLine.set(f.data.line, list);
  }
  for (const [line, list] of [...byLine.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.push('');
    const summary = list.find((f) => f.kind === 'dialup-line-summary');
    const rest = list.filter((f) => f !== summary).sort((a, b) => rank(b.status) - rank(a.status));
    const worstOf = rest.reduce<Status>((w, f) => (rank(f.status) > rank(w) ? f.status : w), 'OK');
    out.push(
      `${statusLabel(paint, worstOf)} ${paint('bold', terminalSafe(summary ? summary.summary : line))}`,
    );
    if (summary && opts.verbose)
      for (const d of dialupDetailLines(summary)) out.push(`         ${terminalSafe(d)}`);
    for (const f of rest) append(out, finding(f, '  '));
  }
  if (insp.problems.length) {
    out.push('');
    for (const p of insp.problems) append(out, finding(p, ''));
  }
  return out;
}
