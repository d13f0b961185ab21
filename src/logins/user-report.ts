/**
 * Per-user login reports: each user's own sessions over a period (time, tty, where from, how long), with the
 * first login from each host marked, as plain text and as HTML. The runbook mailed each user `last USER` so
 * they could confirm the logins were theirs; this is that, readable. Pure: sessions in, text out. Every string
 * from wtmp is untrusted: terminalSafe for text, htmlEscape for HTML.
 */
import { htmlEscape, terminalSafe } from '../core/sanitize.ts';
import { hm, isRemoteHost, type LearnedModel, networkOf } from './audit.ts';
import type { Session } from './history.ts';
import { localTime, type Zone } from '../core/tz.ts';

/** A session in a report, with what was new about it. */
export interface ReportSession extends Session {
  /** The first login of this user from this host in the known history. */
  firstFromHost: boolean;
  /** ... and from this network. */
  firstFromNetwork: boolean;
}

/** One user's report. */
export interface UserReport {
  user: string;
  /** The inspected machine's name. */
  machine: string;
  since: number;
  until: number;
  zone: Zone;
  /** Start of the known history (the oldest wtmp record), seconds. */
  historyBegins: number | null;
  sessions: ReportSession[];
}

/** Options of the report builder. */
export interface ReportOptions {
  machine: string;
  since: number;
  now: number;
  zone: Zone;
  /** Only these users (default: everyone with a login in the period). */
  users?: readonly string[] | undefined;
  /** The check's learned model: hosts known before the oldest wtmp record are not "first". */
  learned?: LearnedModel | undefined;
  historyBegins: number | null;
}

/**
 * Builds the reports of every user with a login in [since, now], oldest session first. A host counts as new
 * at a user's first login from it in the whole history (not only the period), and not at all when the
 * learned model saw it before the history begins.
 */
export function buildUserReports(sessions: readonly Session[], opts: ReportOptions): UserReport[] {
  const seenHosts = new Map<string, Set<string>>();
  const seenNets = new Map<string, Set<string>>();
  const begins = opts.historyBegins ?? Number.POSITIVE_INFINITY;
  const seed = (user: string): [Set<string>, Set<string>] => {
    let h = seenHosts.get(user);
    let n = seenNets.get(user);
    if (!h || !n) {
      const m = opts.learned?.[user];
      h = new Set(Object.entries(m?.hosts ?? {}).flatMap(([k, t]) => (t < begins ? [k] : [])));
      n = new Set(Object.entries(m?.nets ?? {}).flatMap(([k, t]) => (t < begins ? [k] : [])));
      seenHosts.set(user, h);
      seenNets.set(user, n);
    }
    return [h, n];
  };
  const wanted = opts.users && opts.users.length ? new Set(opts.users) : null;
  const byUser = new Map<string, ReportSession[]>();
  const sorted = [...sessions].sort((a, b) => a.start - b.start);
  for (const s of sorted) {
    if (wanted && !wanted.has(s.user)) continue;
    const [hosts, nets] = seed(s.user);
    let firstFromHost = false;
    let firstFromNetwork = false;
    if (isRemoteHost(s.host)) {
      const keys = [s.host.toLowerCase(), ...(s.address ? [s.address.toLowerCase()] : [])];
      const net = networkOf(s.host, s.address);
      firstFromHost = !keys.some((k) => hosts.has(k));
      firstFromNetwork = net !== null && !nets.has(net);
      for (const k of keys) hosts.add(k);
      if (net) nets.add(net);
    }
    if (s.start < opts.since || s.start > opts.now) continue;
    const list = byUser.get(s.user) ?? [];
    list.push({ ...s, firstFromHost, firstFromNetwork });
    byUser.set(s.user, list);
  }
  return [...byUser.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([user, list]) => ({
      user,
      machine: opts.machine,
      since: opts.since,
      until: opts.now,
      zone: opts.zone,
      historyBegins: opts.historyBegins,
      sessions: list,
    }));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function p2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `Mon 2026-11-02 09:00` in the zone. */
export function whenText(sec: number, zone: Zone): string {
  const t = localTime(sec, zone);
  return `${DAYS[t.wday]} ${t.year}-${p2(t.month)}-${p2(t.day)} ${p2(t.hour)}:${p2(t.minute)}`;
}

function dateText(sec: number, zone: Zone): string {
  const t = localTime(sec, zone);
  return `${t.year}-${p2(t.month)}-${p2(t.day)}`;
}

/** How long, as the reader wants it: `1h 05m`, `still logged in`, `2h 10m (crash)`. */
export function durationText(s: Session, now: number): string {
  if (s.open) return `still logged in (${hm(now - s.start)})`;
  if (s.end === null) return 'gone, no logout';
  const d = hm(s.end - s.start);
  if (s.endKind === 'crash') return `${d} (ended by a crash)`;
  if (s.endKind === 'down') return `${d} (ended by a shutdown)`;
  return d;
}

function fromText(s: Session): string {
  if (!s.host) return s.tty.startsWith('tty') && !s.tty.startsWith('ttyS') ? 'console' : 'local';
  return s.address && s.address !== s.host ? `${s.host} (${s.address})` : s.host;
}

function mark(s: ReportSession): string {
  if (s.firstFromNetwork) return '**';
  if (s.firstFromHost) return '*';
  return '';
}

function intro(r: UserReport): string {
  return `Logins of ${r.user} on ${r.machine} from ${dateText(r.since, r.zone)} to ${dateText(r.until, r.zone)} (times ${r.zone.name})`;
}

const CLOSING =
  'Please check that you made each of these logins. If one was not you, tell the administrator at once ' +
  'and change your password.';

/** The report as plain text (terminal-safe). */
export function renderUserText(r: UserReport): string {
  const rows = r.sessions.map((s) =>
    [
      whenText(s.start, r.zone),
      s.tty,
      `${fromText(s)}${mark(s) ? ` ${mark(s)}` : ''}`,
      durationText(s, r.until),
    ].map(terminalSafe),
  );
  const head = ['When', 'Tty', 'From', 'Duration'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [terminalSafe(intro(r)), '', line(head), ...rows.map(line), ''];
  out.push(`${r.sessions.length} login${r.sessions.length === 1 ? '' : 's'}.`);
  if (r.sessions.some((s) => s.firstFromHost)) {
    out.push(
      `*  first login from this host${r.historyBegins !== null ? ` (in the records since ${dateText(r.historyBegins, r.zone)})` : ''}`,
      '** first login from this network',
    );
  }
  out.push('', CLOSING, '');
  return out.join('\n');
}

/** The small stylesheet of the HTML reports (inline in the document: mail clients load nothing external). */
export const REPORT_CSS = [
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:1.5em}',
  'h2{font-size:1.15em;margin:1.2em 0 .4em}',
  'table{border-collapse:collapse;font-size:.95em}',
  'th,td{text-align:left;padding:.25em .8em;border-bottom:1px solid #ddd;vertical-align:top}',
  'th{background:#f3f3f3}',
  'tr.new td{background:#fff4d6}',
  'td.when{font-family:ui-monospace,monospace;white-space:nowrap}',
  '.tag{font-size:.8em;color:#8a5a00;margin-left:.5em}',
  'p.note{color:#555;font-size:.9em}',
].join('\n');

/** One user's report as an HTML section (every value escaped). */
export function renderUserSection(r: UserReport): string {
  const rows = r.sessions.map((s) => {
    const tag = s.firstFromNetwork
      ? 'first login from this network'
      : s.firstFromHost
        ? 'first login from this host'
        : '';
    return [
      `<tr${tag ? ' class="new"' : ''}>`,
      `<td class="when">${htmlEscape(whenText(s.start, r.zone))}</td>`,
      `<td>${htmlEscape(s.tty)}</td>`,
      `<td>${htmlEscape(fromText(s))}${tag ? `<span class="tag">${htmlEscape(tag)}</span>` : ''}</td>`,
      `<td>${htmlEscape(durationText(s, r.until))}</td>`,
      '</tr>',
    ].join('');
  });
  return [
    `<section><h2>${htmlEscape(intro(r))}</h2>`,
    '<table><thead><tr><th>When</th><th>Tty</th><th>From</th><th>Duration</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
    `<p class="note">${r.sessions.length} login${r.sessions.length === 1 ? '' : 's'}. ${htmlEscape(CLOSING)}</p>`,
    '</section>',
  ].join('\n');
}

/** A whole HTML document around sections (already escaped HTML). */
export function htmlDocument(title: string, sections: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${htmlEscape(title)}</title>`,
    `<style>\n${REPORT_CSS}\n</style>`,
    '</head><body>',
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}
