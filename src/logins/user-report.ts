/**
 * Per-user login reports: each user's own sessions over a period (time, tty, where from, how long), with the
 * first login from each host marked, as plain text and as HTML. The runbook mailed each user `last USER` so
 * they could confirm the logins were theirs; this is that, readable. Pure: sessions in, text out. Every string
 * from wtmp is untrusted: terminalSafe for text, htmlEscape for HTML.
 */
import { append } from '../core/array.ts';
import { htmlEscape, terminalSafe } from '../core/sanitize.ts';
import { hm, isRemoteHost, type LearnedModel, networkOf } from './audit.ts';
import type { Session } from './history.ts';
import { localTime, type Zone } from '../core/tz.ts';
import { displayWidth, padEndWidth } from '../core/width.ts';

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
  /** Per-user period starts (where the last accepted mail ended), over `since`. */
  sinceFor?: ReadonlyMap<string, number> | undefined;
  /** Only these users (default: everyone with a login in the period). */
  users?: readonly string[] | undefined;
  /** The check's learned model: hosts known before the oldest wtmp record are not "first". */
  learned?: LearnedModel | undefined;
  historyBegins: number | null;
}

/**
 * Builds the reports of every user with a login in [since, now), oldest session first; a user's period starts
 * at `sinceFor` when it names them. The end is open, so the next period starting at this `now` holds each
 * login once. A host counts as new
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
    if (s.start < (opts.sinceFor?.get(s.user) ?? opts.since) || s.start >= opts.now) continue;
    const list = byUser.get(s.user) ?? [];
    list.push({ ...s, firstFromHost, firstFromNetwork });
    byUser.set(s.user, list);
  }
  return [...byUser.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([user, list]) => ({
      user,
      machine: opts.machine,
      since: opts.sinceFor?.get(user) ?? opts.since,
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

/** How a report is rendered. */
export interface RenderOptions {
  /**
   * List at most this many sessions, the latest; when there are more, every session of the period is counted
   * in a summary by where it came from instead (at most this many places too). Default: all. A mail must stay
   * under the server's size limit (postfix refuses more than 10 MB): 100,000 logins were 15.8 MB.
   */
  limit?: number | undefined;
}

/** Sessions of a report from one place (a host, or the console), for the summary of a long report. */
export interface PlaceSummary {
  /** The From column's text. */
  from: string;
  logins: number;
  ttys: string[];
  first: number;
  last: number;
  /** The first login from this host (network) in the known history is among them. */
  firstFromHost: boolean;
  firstFromNetwork: boolean;
}

/** Every session of the report counted by where it came from, most logins first (pure). */
export function summarizePlaces(r: UserReport): PlaceSummary[] {
  const by = new Map<string, PlaceSummary & { ttySet: Set<string> }>();
  for (const s of r.sessions) {
    const from = fromText(s);
    let p = by.get(from);
    if (!p) {
      p = {
        from,
        logins: 0,
        ttys: [],
        ttySet: new Set(),
        first: s.start,
        last: s.start,
        firstFromHost: false,
        firstFromNetwork: false,
      };
      by.set(from, p);
    }
    p.logins++;
    p.ttySet.add(s.tty);
    p.first = Math.min(p.first, s.start);
    p.last = Math.max(p.last, s.start);
    p.firstFromHost ||= s.firstFromHost;
    p.firstFromNetwork ||= s.firstFromNetwork;
  }
  return [...by.values()]
    .map(({ ttySet, ...p }) => ({ ...p, ttys: [...ttySet].sort() }))
    .sort((a, b) => b.logins - a.logins || a.first - b.first);
}

/** What a report shows: the sessions listed, and (when they are not all) the summary and how many are left. */
interface Shown {
  listed: ReportSession[];
  /** Sessions not listed (counted in the summary). */
  earlier: number;
  places: PlaceSummary[] | null;
  /** Places not in the summary, and their logins. */
  morePlaces: { places: number; logins: number };
}

function shown(r: UserReport, opts: RenderOptions): Shown {
  const limit = opts.limit;
  if (limit === undefined || r.sessions.length <= limit)
    return { listed: r.sessions, earlier: 0, places: null, morePlaces: { places: 0, logins: 0 } };
  const all = summarizePlaces(r);
  const places = all.slice(0, limit);
  const rest = all.slice(limit);
  return {
    listed: r.sessions.slice(r.sessions.length - limit),
    earlier: r.sessions.length - limit,
    places,
    morePlaces: { places: rest.length, logins: rest.reduce((n, p) => n + p.logins, 0) },
  };
}

/** `12,345` (the counts of a long report). */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

function ttysText(ttys: readonly string[]): string {
  return ttys.length <= 3 ? ttys.join(', ') : `${ttys.slice(0, 3).join(', ')} +${ttys.length - 3}`;
}

function placeMark(p: PlaceSummary): string {
  return p.firstFromNetwork ? '**' : p.firstFromHost ? '*' : '';
}

/** Rows as aligned columns (the last one not padded), by display width: a Japanese name takes 2 a character. */
function columns(head: string[], rows: string[][]): string[] {
  // A loop, not Math.max(...rows): a user with 130k logins overflowed the stack with the spread.
  const widths = head.map((h, i) => {
    let w = displayWidth(h);
    for (const row of rows) w = Math.max(w, displayWidth(row[i] as string));
    return w;
  });
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : padEndWidth(c, widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The report as plain text (terminal-safe); `limit` bounds a long one (a mail). */
export function renderUserText(r: UserReport, opts: RenderOptions = {}): string {
  const view = shown(r, opts);
  const rows = view.listed.map((s) =>
    [
      whenText(s.start, r.zone),
      s.tty,
      `${fromText(s)}${mark(s) ? ` ${mark(s)}` : ''}`,
      durationText(s, r.until),
    ].map(terminalSafe),
  );
  const out = [terminalSafe(intro(r)), ''];
  if (view.places) {
    out.push(`${plural(r.sessions.length, 'login')} in the period, by where they came from:`, '');
    append(
      out,
      columns(
        ['From', 'Logins', 'Ttys', 'First', 'Last'],
        view.places.map((p) =>
          [
            `${p.from}${placeMark(p) ? ` ${placeMark(p)}` : ''}`,
            count(p.logins),
            ttysText(p.ttys),
            whenText(p.first, r.zone),
            whenText(p.last, r.zone),
          ].map(terminalSafe),
        ),
      ),
    );
    if (view.morePlaces.places)
      out.push(
        `… and ${plural(view.morePlaces.places, 'more place')} (${plural(view.morePlaces.logins, 'login')})`,
      );
    out.push('', `The latest ${count(view.listed.length)}:`, '');
  }
  append(out, columns(['When', 'Tty', 'From', 'Duration'], rows)).push('');
  if (view.earlier) out.push(`… and ${count(view.earlier)} more, earlier (counted above).`);
  out.push(`${plural(r.sessions.length, 'login')}.`);
  if (r.sessions.some((s) => s.firstFromHost)) {
    // Both marks are judged over the same records (a user's oldest record is always a first): both say so.
    const since =
      r.historyBegins !== null ? ` (in the records since ${dateText(r.historyBegins, r.zone)})` : '';
    out.push(`*  first login from this host${since}`, `** first login from this network${since}`);
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

/** One user's report as an HTML section (every value escaped); `limit` bounds a long one (a mail). */
export function renderUserSection(r: UserReport, opts: RenderOptions = {}): string {
  const view = shown(r, opts);
  const rows = view.listed.map((s) => {
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
  const out = [`<section><h2>${htmlEscape(intro(r))}</h2>`];
  if (view.places) {
    out.push(
      `<p>${htmlEscape(`${plural(r.sessions.length, 'login')} in the period, by where they came from:`)}</p>`,
      '<table><thead><tr><th>From</th><th>Logins</th><th>Ttys</th><th>First</th><th>Last</th></tr></thead><tbody>',
    );
    append(
      out,
      view.places.map((p) => {
        const tag = p.firstFromNetwork
          ? 'first login from this network'
          : p.firstFromHost
            ? 'first login from this host'
            : '';
        return [
          `<tr${tag ? ' class="new"' : ''}>`,
          `<td>${htmlEscape(p.from)}${tag ? `<span class="tag">${htmlEscape(tag)}</span>` : ''}</td>`,
          `<td>${htmlEscape(count(p.logins))}</td>`,
          `<td>${htmlEscape(ttysText(p.ttys))}</td>`,
          `<td class="when">${htmlEscape(whenText(p.first, r.zone))}</td>`,
          `<td class="when">${htmlEscape(whenText(p.last, r.zone))}</td>`,
          '</tr>',
        ].join('');
      }),
    ).push('</tbody></table>');
    if (view.morePlaces.places)
      out.push(
        `<p class="note">${htmlEscape(`… and ${plural(view.morePlaces.places, 'more place')} (${plural(view.morePlaces.logins, 'login')})`)}</p>`,
      );
    out.push(`<p>${htmlEscape(`The latest ${count(view.listed.length)}:`)}</p>`);
  }
  out.push('<table><thead><tr><th>When</th><th>Tty</th><th>From</th><th>Duration</th></tr></thead><tbody>');
  append(out, rows).push('</tbody></table>');
  if (view.earlier)
    out.push(
      `<p class="note">${htmlEscape(`… and ${count(view.earlier)} more, earlier (counted above).`)}</p>`,
    );
  out.push(
    `<p class="note">${htmlEscape(`${plural(r.sessions.length, 'login')}.`)} ${htmlEscape(CLOSING)}</p>`,
    '</section>',
  );
  return out.join('\n');
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
