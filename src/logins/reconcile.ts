/**
 * Reconciliation of wtmp with the auth log: every sshd `Accepted ... for USER from HOST port N` (and
 * login(1)'s `LOGIN ON pts/N BY USER FROM HOST`, dropbear's `auth succeeded`) should have a wtmp login of
 * that user from that host within a minute, and every wtmp network login (a remote host on a pseudo-terminal:
 * `pts/N`, or `ttyp0` on an old host; tty.ts) a log line.
 * Either one missing means one of the two was edited: CRITICAL. Only the time both sources cover is judged,
 * and only what is newer than the last run's cursor.
 *
 * sshd writes wtmp (and utmp, lastlog) only for sessions with a terminal: `scp`, `sftp`, `rsync -e ssh` and
 * `ssh host command` log `Accepted` and no wtmp record. So an sshd login without its wtmp record is CRITICAL
 * only with evidence that its session had a terminal: sshd's VERBOSE `Starting session: shell on pts/N` (or
 * `command on pts/N`, a forced tty) for that connection, or lastlog's record of that user's login at that time
 * from that host on a pseudo-terminal. An sftp subsystem request (logged by default) or the VERBOSE
 * `Starting session: command|subsystem|forced-command` without ` on TTY` marks a session without a terminal
 * (judged by its host, as sftp). With neither (sshd's default LogLevel INFO logs no session type), the
 * session's terminal is unknown: judged by host too (judgeUnknownTerminal), never CRITICAL, since a nightly
 * `rsync -e ssh` would page someone every morning. login(1)'s and dropbear's logins stay CRITICAL.
 *
 * The syslog prefix (RFC 3164 with year inference, RFC 5424, ISO) comes from src/logs/syslog.ts; the files
 * are read by auth-log.ts (only what no saved run read), the journal by scanAuthJournal.
 */
import type { Evidence } from '../core/report.ts';
import type { YearContext, Zone } from '../core/tz.ts';
import { JOURNAL_ARGS, type JournalRunner, journalEntries } from '../logs/read/journal.ts';
import { parsePrefix } from '../logs/syslog.ts';
import { isRemoteHost, type LearnedModel, localText, sessionEvidence } from './audit.ts';
import type { LoginsFinding } from './audit-findings.ts';
import type { Session } from './history.ts';
import { type LogOnlySeen, logOnlyNews, rememberLogOnly } from './log-only.ts';
import { type BootMarker, iso } from './tamper.ts';
import { isPseudoTerminal } from './tty.ts';

/** A time in a finding's summary: the host's wall time and zone, as the audit's findings say it; ISO without a zone. */
function whenText(sec: number, zone: Zone | undefined): string {
  return zone ? `${localText(sec, zone)} ${zone.name}` : iso(sec);
}

/** A login accepted by a daemon, from the auth log. */
export interface AuthLogin {
  kind: 'accepted';
  daemon: 'sshd' | 'login' | 'dropbear';
  /** The user as text (UTF-8 decoded). */
  user: string;
  /** The user's bytes as the log has them (latin1 string), compared with wtmp's. */
  userBytes: string;
  host: string;
  port: number | null;
  pid: number | null;
  tty: string | null;
  sec: number;
  evidence: Evidence;
}

/** A sign that an sshd session had no terminal (so no wtmp record is expected). */
export interface NoTtyMark {
  kind: 'no-tty';
  user: string;
  host: string | null;
  port: number | null;
  sec: number;
}

/**
 * sshd's VERBOSE `Starting session: shell on pts/N for USER from HOST port N id K`: the connection's session
 * has a terminal (sshd writes its wtmp record), so its missing record is evidence of an edit.
 */
export interface TtyMark {
  kind: 'tty';
  user: string;
  host: string;
  port: number;
  tty: string;
  sec: number;
  evidence: Evidence;
}

/** A kernel start banner (`Linux version ...`), a boot. */
export interface BootLine {
  kind: 'boot';
  sec: number;
  evidence: Evidence;
}

/** What the reconciliation reads from one log line. */
export type AuthEvent = AuthLogin | NoTtyMark | TtyMark | BootLine;

/*
 * The lines are latin1 (one char per byte), and JS `\s` holds U+00A0: byte 0xA0 inside a UTF-8 name (だ is
 * E3 81 A0, ム is E3 83 A0) would end a `\S+` field. The daemons separate their fields with a space, so a
 * field is "no space" (`[^ ]`), whatever its bytes.
 */
const ACCEPTED = /^Accepted ([^ ]+) for ([^ ]+) from ([^ ]+) port (\d+)/;
const SUBSYSTEM = /^subsystem request for ([^ ]+) by user ([^ ]+)/;
const STARTING = 'Starting session: ';
/** The tail of a `Starting session:` line, from its last ` for ` (user and address hold no space). */
const STARTING_TAIL = /^ for ([^ ]+) from ([^ ]+) port (\d+)(?: id \d+)?$/;
/** The session type's ` on TTY` (a forced command or subsystem ends with its quote when it has no tty). */
const ON_TTY = / on ([^ ']+)$/;
const LOGIN_BY = /^(?:LOGIN ON|DIALUP AT) ([^ ]+) BY ([^ ]+)(?: FROM ([^ ]+))?/;
const ROOT_LOGIN = /^ROOT LOGIN {1,2}(?:ON|on) [`']?([^ ']+)'?(?: FROM ([^ ]+))?/;
const DROPBEAR = /^(?:Password|Pubkey) auth succeeded for '([^']+)'(?: with key .*)? from ([^ ]+):(\d+)$/;
const KERNEL = /^(?:\[ *\d+\.\d+\] )?Linux version /;

const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

/** The pid of a line's syslog tag (`sshd[3800]:`), or null. */
function pidOf(line: string): number | null {
  const m = /\[(\d+)\]:/.exec(line.slice(0, 200));
  return m ? Number(m[1]) : null;
}

/**
 * Parses one log line (latin1 text) into an auth event, or null. `time` is the line's time in seconds (from
 * parsePrefix); `source`/`no` are for the evidence.
 */
export function parseAuthLine(line: string, ctx: YearContext, source: string, no: number): AuthEvent | null {
  if (
    !(line.includes('sshd') || line.includes('login') || line.includes('dropbear') || line.includes('kernel'))
  )
    return null;
  const p = parsePrefix(line, ctx);
  if (p.time === null || p.program === null) return null;
  const sec = Math.floor(p.time / 1000);
  const msg = line.slice(p.messageStart);
  // A line number from 1; a source without lines (the journal) names none.
  const evidence = (): Evidence => ({
    source,
    ...(no >= 1 ? { line: no } : {}),
    time: iso(sec),
    text: utf8(line),
  });
  const accepted = (
    daemon: 'sshd' | 'login' | 'dropbear',
    user: string,
    host: string,
    port: number | null,
    tty: string | null,
  ) =>
    ({
      kind: 'accepted',
      daemon,
      user: utf8(user),
      userBytes: user,
      host,
      port,
      pid: pidOf(line),
      tty,
      sec,
      evidence: evidence(),
    }) as const;
  if (p.program === 'sshd' || p.program.startsWith('sshd-')) {
    let m = ACCEPTED.exec(msg);
    if (m) return accepted('sshd', m[2] as string, m[3] as string, Number(m[4]), null);
    m = SUBSYSTEM.exec(msg);
    if (m) return { kind: 'no-tty', user: utf8(m[2] as string), host: null, port: null, sec };
    if (msg.startsWith(STARTING)) return parseStarting(msg, sec, evidence);
    return null;
  }
  if (p.program === 'login') {
    let m = LOGIN_BY.exec(msg);
    if (m?.[3]) return accepted('login', m[2] as string, m[3], null, m[1] as string);
    m = ROOT_LOGIN.exec(msg);
    if (m?.[2]) return accepted('login', 'root', m[2], null, m[1] as string);
    return null;
  }
  if (p.program === 'dropbear') {
    const m = DROPBEAR.exec(msg);
    if (m) return accepted('dropbear', m[1] as string, m[2] as string, Number(m[3]), null);
    return null;
  }
  if (p.program === 'kernel' && KERNEL.test(msg)) return { kind: 'boot', sec, evidence: evidence() };
  return null;
}

/**
 * sshd's `Starting session: TYPE[ on TTY] for USER from ADDR port N id K` (LogLevel VERBOSE), TYPE being
 * `shell`, `command`, `subsystem 'NAME'` or `forced-command (config|key-option) 'CMD'` (CMD may hold anything,
 * so the line is cut at its last ` for `, and the tty is read only after a type that does not end in a quote).
 */
function parseStarting(msg: string, sec: number, evidence: () => Evidence): NoTtyMark | TtyMark | null {
  const cut = msg.lastIndexOf(' for ');
  if (cut <= STARTING.length) return null;
  const m = STARTING_TAIL.exec(msg.slice(cut));
  if (!m) return null;
  const type = msg.slice(STARTING.length, cut);
  const user = utf8(m[1] as string);
  const host = m[2] as string;
  const port = Number(m[3]);
  const tty = ON_TTY.exec(type)?.[1];
  if (tty !== undefined) return { kind: 'tty', user, host, port, tty, sec, evidence: evidence() };
  const known =
    type === 'command' ||
    type === 'shell' ||
    ((type.startsWith('subsystem ') || type.startsWith('forced-command ')) && type.endsWith("'"));
  // A shell without a terminal (`ssh -T host`) gets no wtmp record either.
  return known ? { kind: 'no-tty', user, host, port, sec } : null;
}

/** What one auth-log source gave: its events and the time it covers (first and last dated line). */
export interface AuthLogScan {
  source: string;
  events: AuthEvent[];
  from: number | null;
  to: number | null;
}

const MAX_LINE = 16 * 1024;

/**
 * What the lines parseAuthLine reads contain (matched without case, a superset: it checks the exact forms).
 * The logs reader's SIMD keyword kernel finds them (auth-log.ts), so the other lines of a big syslog never
 * become strings.
 */
export const AUTH_KEYWORDS = [
  'Accepted ',
  'subsystem request for ',
  'Starting session: ',
  'LOGIN ON ',
  'DIALUP AT ',
  'ROOT LOGIN ',
  ' auth succeeded for ',
  'Linux version ',
];

/** A line as the reconciliation sees it: without its CR, cut at MAX_LINE. */
export const lineOf = (raw: string): string =>
  (raw.endsWith('\r') ? raw.slice(0, -1) : raw).slice(0, MAX_LINE);

/**
 * A journal entry as evidence: source `journal` and no line number (as the logs and attacks checks give
 * one), the entry's time, and its message with its program and pid (`sshd-session[2100]: Accepted ...`:
 * the pid joins it to the connection's other lines), not a syslog line made up around it (an ISO stamp and
 * a host that no file holds).
 */
function journalEvidence(
  e: { text: string; program: string | null; pid: number | null },
  sec: number,
): Evidence {
  const tag = e.program === null ? '' : `${e.program}${e.pid === null ? '' : `[${e.pid}]`}: `;
  return { source: 'journal', time: iso(sec), text: `${tag}${utf8(e.text.slice(0, MAX_LINE))}` };
}

/** The programs whose journal entries parseAuthLine reads (its sshd, login and dropbear forms). */
const AUTH_IDENTIFIERS = ['sshd', 'sshd-session', 'login', 'dropbear'];

/**
 * The auth events of the systemd journal, for a host without an auth log file (a default Debian 13 runs no
 * syslog daemon). `since` (seconds) limits the read to what the reconciliation has not judged yet; null
 * reads the whole journal. Each entry of sshd, login or dropbear is read as the line a syslog daemon would
 * have written for it (ISO stamp, host, `prog[pid]: message`), so one parser serves files and the journal;
 * its evidence is the entry itself (journalEvidence), not that line. Covered time: from `since` (or the first such entry) to the journal's
 * newest entry of any program (the journal is written as things happen, so it is complete up to there).
 */
export async function scanAuthJournal(opts: {
  runner: JournalRunner;
  directory?: string;
  since: number | null;
  zone: YearContext['zone'];
  signal?: AbortSignal;
}): Promise<AuthLogScan> {
  const base = [...JOURNAL_ARGS, ...(opts.directory ? ['-D', opts.directory] : [])];
  // The lines made here carry ISO stamps with their year: no year is inferred from the reference.
  const ctx: YearContext = { reference: 0, zone: opts.zone };
  const events: AuthEvent[] = [];
  let first: number | null = null;
  let last: number | null = null;
  const since = opts.since === null ? [] : ['--since', `@${Math.max(0, Math.floor(opts.since))}`];
  const matches = AUTH_IDENTIFIERS.map((id) => `SYSLOG_IDENTIFIER=${id}`);
  for await (const e of journalEntries(opts.runner([...base, ...since, ...matches], opts.signal))) {
    if (e.time === null) continue;
    const sec = Math.floor(e.time / 1000);
    first ??= sec;
    last = sec;
    const tag = `${e.program ?? 'journal'}${e.pid === null ? '' : `[${e.pid}]`}`;
    const line = `${new Date(e.time).toISOString()} ${e.host ?? 'localhost'} ${tag}: ${e.text}`;
    const ev = parseAuthLine(line.slice(0, MAX_LINE), ctx, 'journal', 0);
    if (ev && 'evidence' in ev) ev.evidence = journalEvidence(e, sec);
    if (ev) events.push(ev);
  }
  // The newest entry of any program: `-n 1` prints the journal's last entry.
  for await (const e of journalEntries(opts.runner([...base, '-n', '1'], opts.signal)))
    if (e.time !== null) last = Math.max(last ?? 0, Math.floor(e.time / 1000));
  const from = opts.since ?? first;
  return from === null || last === null || last < from
    ? { source: 'journal', events, from: null, to: null }
    : { source: 'journal', events, from, to: last };
}

/**
 * The boots the journal knows (`journalctl --list-boots -o json`, systemd 251+), as boot markers at each
 * boot's first entry (journald starts with the kernel's messages of the boot). The oldest boot is left out:
 * vacuuming may have cut its start, and its first entry would then be no boot. An older journalctl, which
 * prints a table, gives none.
 */
export async function journalBoots(opts: {
  runner: JournalRunner;
  directory?: string;
  signal?: AbortSignal;
}): Promise<BootMarker[]> {
  const chunks: Uint8Array[] = [];
  const args = [
    '--list-boots',
    '-o',
    'json',
    '--no-pager',
    '-q',
    ...(opts.directory ? ['-D', opts.directory] : []),
  ];
  for await (const c of opts.runner(args, opts.signal)) chunks.push(c);
  let boots: unknown;
  try {
    boots = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(boots)) return [];
  const out: BootMarker[] = [];
  for (const b of boots as { boot_id?: unknown; first_entry?: unknown }[]) {
    if (typeof b?.first_entry !== 'number' || typeof b.boot_id !== 'string') continue;
    out.push({ sec: Math.floor(b.first_entry / 1e6), source: 'journal', text: `boot ${b.boot_id}` });
  }
  return out.sort((a, b) => a.sec - b.sec).slice(1);
}

/** Time intervals [from, to] (seconds), merged. */
export type Coverage = { from: number; to: number }[];

/** Merges intervals. */
export function mergeCoverage(spans: readonly { from: number | null; to: number | null }[]): Coverage {
  const list = spans
    .filter((s): s is { from: number; to: number } => s.from !== null && s.to !== null && s.to >= s.from)
    .map((s) => ({ from: s.from, to: s.to }))
    .sort((a, b) => a.from - b.from);
  const out: Coverage = [];
  for (const s of list) {
    const last = out[out.length - 1];
    if (last && s.from <= last.to + 1) last.to = Math.max(last.to, s.to);
    else out.push({ ...s });
  }
  return out;
}

function covers(c: Coverage, from: number, to: number): boolean {
  return c.some((s) => s.from <= from && to <= s.to);
}

function normalHost(h: string): string {
  const l = h.toLowerCase();
  return l.startsWith('::ffff:') && l.includes('.') ? l.slice(7) : l;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/**
 * Whether a log line's host is the wtmp session's: the same name or address; or unknowable (the log has an
 * address, wtmp a name without an address field), which counts as a match on user and time alone.
 */
export function hostMatches(logHost: string, s: Pick<Session, 'host' | 'address'>): boolean {
  const l = normalHost(logHost);
  const h = normalHost(s.host);
  if (l === h) return true;
  if (s.address && l === normalHost(s.address)) return true;
  if (IP.test(l) && !IP.test(h) && !s.address) return true;
  if (!IP.test(l) && IP.test(h)) return true;
  return false;
}

/**
 * A wtmp login the log must have: a remote host on a pseudo-terminal (`pts/N`, or an old host's `ttyp0`).
 * A serial line's login is the dial-up check's (its ut_host may hold mgetty's caller id), and an ftpd's
 * record (`ftp1234`) has no sshd or login line to match.
 */
export function isNetworkLogin(s: Session): boolean {
  return isPseudoTerminal(s.tty) && isRemoteHost(s.host);
}

/**
 * An auth-log login wtmp must have: sshd's and dropbear's (a session with a terminal gets a pseudo-terminal),
 * and login(1)'s with a remote host on a pseudo-terminal (telnetd, rlogind); the same rule as isNetworkLogin,
 * so both directions judge the same logins.
 */
function isNetworkAuthLogin(e: AuthEvent): e is AuthLogin {
  return e.kind === 'accepted' && isRemoteHost(e.host) && (e.tty === null || isPseudoTerminal(e.tty));
}

/** Inputs of the reconciliation; times in seconds. */
export interface ReconcileInput {
  sessions: readonly Session[];
  events: readonly AuthEvent[];
  /** Time the auth log covers, and the span of wtmp (its first record to now). */
  logCoverage: Coverage;
  wtmpRange: { from: number; to: number };
  windowSec: number;
  /** Judge only logins after this time (the last run's cursor) up to `until`. */
  after: number;
  until: number;
  /** Each user's last login per lastlog and lastlog2 (evidence of a terminal, see terminalInLastlog). */
  lastlog?: readonly LastlogLogin[];
}

/** A user's last login as lastlog or lastlog2 records it. */
export interface LastlogLogin {
  user: string;
  sec: number;
  tty: string;
  host: string;
  /** The file, for the evidence (`/var/log/lastlog`). */
  source: string;
}

/** Unmatched logins on each side. */
export interface ReconcileOutput {
  logWithoutWtmp: AuthLogin[];
  wtmpWithoutLog: Session[];
  /** wtmp network logins judged in this run (after `after`, up to `until`) that have their log line. */
  matched: number;
  /** sshd logins of sessions without a terminal (sftp, scp): no wtmp record expected, judged by host instead. */
  withoutTerminal: AuthLogin[];
  /**
   * sshd (at the default LogLevel INFO) and dropbear logins without a wtmp record and without a sign either
   * way: a session without a terminal (`ssh host command`, rsync, scp) or a removed record. Judged by host,
   * not CRITICAL.
   */
  terminalUnknown: AuthLogin[];
  /** What shows that an sshd login of logWithoutWtmp had a terminal: sshd's VERBOSE line, or lastlog. */
  terminalEvidence: Map<AuthLogin, TerminalEvidence>;
}

/** Evidence that an sshd session had a terminal. */
export interface TerminalEvidence {
  by: 'sshd' | 'lastlog';
  evidence: Evidence;
}

/** Items grouped by a key, each group sorted by a number (ties in input order), with the sorted numbers. */
interface SortedGroup<T> {
  keys: number[];
  items: { item: T; at: number }[];
}

function groupSorted<T>(
  list: readonly T[],
  keyOf: (x: T) => string,
  numOf: (x: T) => number,
): Map<string, SortedGroup<T>> {
  const out = new Map<string, SortedGroup<T>>();
  for (const [at, item] of list.entries()) {
    const k = keyOf(item);
    const g = out.get(k) ?? { keys: [], items: [] };
    if (!out.has(k)) out.set(k, g);
    g.items.push({ item, at });
  }
  for (const g of out.values()) {
    g.items.sort((a, b) => numOf(a.item) - numOf(b.item) || a.at - b.at);
    g.keys = g.items.map((x) => numOf(x.item));
  }
  return out;
}

/** The first index of a sorted array whose value is at least `v` (the length when none is). */
function firstAtLeast(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pairs auth-log logins with wtmp network logins (same user and host, closest in time, one to one). */
export function reconcile(input: ReconcileInput): ReconcileOutput {
  const w = input.windowSec;
  const logins = input.events.filter(isNetworkAuthLogin);
  const noTty = input.events.filter((e): e is NoTtyMark => e.kind === 'no-tty');
  // The same line in two files (auth.log and syslog both configured) counts once.
  const seen = new Set<string>();
  const uniq = logins.filter((e) => {
    const k = `${e.sec} ${e.pid} ${e.user} ${e.host} ${e.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const net = input.sessions.filter(isNetworkLogin);
  const used = new Set<number>();
  const matchedSessions = new Set<Session>();
  // Closest pairs first, so a burst of logins of one user pairs up the right way.
  // Each login looks only at its user's sessions within the window (binary search on start time): testing
  // every login against every session took minutes, and anyone can write Accepted lines with logger(1).
  const byUser = groupSorted(
    net,
    (s) => s.userBytes,
    (s) => s.start,
  );
  const pairs: { d: number; e: number; si: number; s: Session }[] = [];
  for (const [ei, e] of uniq.entries()) {
    // The same user: the same bytes (latin1 strings), or, as ut_user holds 32 bytes, a 32-byte wtmp name
    // that a longer log name starts with (cut maybe inside a UTF-8 character, which text could not match).
    const groups = [byUser.get(e.userBytes)];
    if (e.userBytes.length > 32) groups.push(byUser.get(e.userBytes.slice(0, 32)));
    for (const g of groups) {
      if (!g) continue;
      for (
        let k = firstAtLeast(g.keys, e.sec - w);
        k < g.keys.length && (g.keys[k] as number) <= e.sec + w;
        k++
      ) {
        const { item: s, at: si } = g.items[k] as { item: Session; at: number };
        const d = Math.abs(s.start - e.sec);
        if (d <= w && hostMatches(e.host, s)) pairs.push({ d, e: ei, si, s });
      }
    }
  }
  // Ties in the order of a loop over logins, then sessions, as the pairing has always taken them.
  pairs.sort((a, b) => a.d - b.d || a.e - b.e || a.si - b.si);
  for (const p of pairs) {
    if (used.has(p.e) || matchedSessions.has(p.s)) continue;
    used.add(p.e);
    matchedSessions.add(p.s);
  }
  const inRange = (t: number): boolean => t > input.after && t <= input.until;
  // A mark of the login's user and port (or of no port) within [e.sec, e.sec + w].
  const marks = groupSorted(
    noTty,
    (m) => `${m.user}\0${m.port}`,
    (m) => m.sec,
  );
  const markWithin = (key: string, e: AuthLogin): boolean => {
    const g = marks.get(key);
    if (!g) return false;
    const k = firstAtLeast(g.keys, e.sec);
    return k < g.keys.length && (g.keys[k] as number) <= e.sec + w;
  };
  const ttyMarks = groupSorted(
    input.events.filter((e): e is TtyMark => e.kind === 'tty'),
    (m) => `${m.user}\0${m.port}`,
    (m) => m.sec,
  );
  // The VERBOSE line of this connection (user and port, the same address) saying its session has a tty.
  const ttyMarkOf = (e: AuthLogin): TtyMark | null => {
    const g = ttyMarks.get(`${e.user}\0${e.port}`);
    if (!g) return null;
    for (let k = firstAtLeast(g.keys, e.sec); k < g.keys.length && (g.keys[k] as number) <= e.sec + w; k++) {
      const m = (g.items[k] as { item: TtyMark }).item;
      if (normalHost(m.host) === normalHost(e.host)) return m;
    }
    return null;
  };
  const lastlogOf = terminalInLastlog(input.lastlog ?? [], input.sessions, w);
  const withoutTerminal: AuthLogin[] = [];
  const terminalUnknown: AuthLogin[] = [];
  const terminalEvidence = new Map<AuthLogin, TerminalEvidence>();
  const logWithoutWtmp = uniq.filter((e, i) => {
    if (used.has(i) || !inRange(e.sec)) return false;
    if (e.sec - w < input.wtmpRange.from || e.sec + w > input.wtmpRange.to) return false;
    // login(1) logs its tty: that session had a terminal. sshd and dropbear write wtmp only for one.
    if (e.daemon === 'login') return true;
    if (e.daemon === 'sshd') {
      const tty = ttyMarkOf(e);
      if (tty) {
        terminalEvidence.set(e, { by: 'sshd', evidence: tty.evidence });
        return true;
      }
      if (markWithin(`${e.user}\0${e.port}`, e) || markWithin(`${e.user}\0null`, e)) {
        withoutTerminal.push(e);
        return false;
      }
    }
    const last = lastlogOf(e);
    if (last) {
      terminalEvidence.set(e, { by: 'lastlog', evidence: last });
      return true;
    }
    terminalUnknown.push(e);
    return false;
  });
  const wtmpWithoutLog = net.filter(
    (s) => !matchedSessions.has(s) && inRange(s.start) && covers(input.logCoverage, s.start - w, s.start + w),
  );
  let matched = 0;
  for (const s of matchedSessions) if (inRange(s.start)) matched++;
  return { logWithoutWtmp, wtmpWithoutLog, matched, withoutTerminal, terminalUnknown, terminalEvidence };
}

/**
 * Lastlog's evidence that an sshd login had a terminal: the user's last login, on a pseudo-terminal, within
 * the window of the login and from its host. sshd writes lastlog (record_login) only for a session with a
 * pty; a PAM module that writes it at session open (RHEL's pam_lastlog in postlogin, Debian 13's
 * pam_lastlog2 in common-session) writes every sshd connection, with or without a terminal, under the tty
 * `ssh` (sshd opens the PAM session right after authentication, with PAM_TTY `ssh`, before any pty is
 * asked for): such a record is no evidence, and lastlog2 on a Debian 13 host never is for sshd. A record
 * that a wtmp login of the user on that tty at that time explains (the same user's interactive session
 * beside an `ssh host command`) is no evidence either.
 */
export function terminalInLastlog(
  facts: readonly LastlogLogin[],
  sessions: readonly Session[],
  windowSec: number,
): (e: AuthLogin) => Evidence | null {
  const byUser = new Map<string, LastlogLogin[]>();
  for (const f of facts) {
    if (f.sec <= 0 || f.host === '' || !isPseudoTerminal(f.tty)) continue;
    const list = byUser.get(f.user) ?? [];
    if (!byUser.has(f.user)) byUser.set(f.user, list);
    list.push(f);
  }
  // One pass over wtmp (a user has a record or two in lastlog and lastlog2; wtmp may hold a million logins).
  const explained = new Set<LastlogLogin>();
  for (const s of sessions) {
    for (const f of byUser.get(s.user) ?? [])
      if (s.tty === f.tty && Math.abs(s.start - f.sec) <= windowSec) explained.add(f);
  }
  for (const [user, list] of byUser)
    byUser.set(
      user,
      list.filter((f) => !explained.has(f)),
    );
  return (e) => {
    const f = byUser
      .get(e.user)
      ?.find(
        (x) => Math.abs(x.sec - e.sec) <= windowSec && hostMatches(e.host, { host: x.host, address: null }),
      );
    return f
      ? {
          source: f.source,
          time: iso(f.sec),
          text: `last login of ${f.user} on ${f.tty} from ${f.host} at ${iso(f.sec)}`,
        }
      : null;
  };
}

/** The cursor to keep: logins up to here were judged (never moves back). */
export function nextCursor(previous: number, now: number, logCoverage: Coverage, windowSec: number): number {
  const logEnd = logCoverage.length
    ? (logCoverage[logCoverage.length - 1] as { to: number }).to
    : Number.NEGATIVE_INFINITY;
  const until = Math.min(now, logEnd) - windowSec;
  return Math.max(previous, until);
}

/** Kernel banners as boot markers. */
export function bootMarkers(events: readonly AuthEvent[]): BootMarker[] {
  return events
    .filter((e): e is BootLine => e.kind === 'boot')
    .map((e) => ({
      sec: e.sec,
      source: e.evidence.source,
      ...(e.evidence.line === undefined ? {} : { line: e.evidence.line }),
      text: e.evidence.text,
    }));
}

/** A `login-unmatched` finding of an auth-log login that wtmp does not have, with what shows its terminal. */
function logWithoutWtmp(
  e: AuthLogin,
  status: LoginsFinding['status'],
  service: string,
  summary: string,
  evidence: Evidence[],
  windowSec: number,
  terminal: 'yes' | 'unknown',
): LoginsFinding {
  return {
    status,
    service,
    summary,
    evidence,
    first: iso(e.sec),
    last: iso(e.sec),
    user: e.user,
    host: e.host,
    kind: 'login-unmatched',
    data: {
      direction: 'log-without-wtmp',
      user: e.user,
      host: e.host,
      tty: e.tty,
      time: iso(e.sec),
      pid: e.pid,
      port: e.port,
      windowSeconds: windowSec,
      terminal,
    },
  };
}

/** Findings for both directions (CRITICAL: one of the two sources was edited). */
export function unmatchedFindings(
  out: ReconcileOutput,
  files: readonly string[],
  service: string,
  windowSec: number,
  zone?: Zone,
): LoginsFinding[] {
  const findings: LoginsFinding[] = [];
  for (const e of out.logWithoutWtmp) {
    const what =
      e.daemon === 'sshd'
        ? `sshd accepted ${e.user} from ${e.host}${e.port === null ? '' : ` port ${e.port}`}`
        : `${e.daemon} logged ${e.user} in from ${e.host}`;
    const tty = out.terminalEvidence.get(e);
    const why =
      tty === undefined
        ? ''
        : tty.by === 'sshd'
          ? ' and sshd started its session on a terminal'
          : ` and ${tty.evidence.source} has its login on a terminal`;
    findings.push(
      logWithoutWtmp(
        e,
        'CRITICAL',
        service,
        `${what} at ${whenText(e.sec, zone)}${why} but wtmp has no login of ${e.user} within ${windowSec} s: the wtmp record was removed`,
        tty === undefined ? [e.evidence] : [e.evidence, tty.evidence],
        windowSec,
        'yes',
      ),
    );
  }
  for (const s of out.wtmpWithoutLog) {
    findings.push({
      status: 'CRITICAL',
      service,
      summary: `wtmp has a login of ${s.user} from ${s.host} on ${s.tty} at ${whenText(s.start, zone)} but the auth log has no sshd or login line for it within ${windowSec} s: a forged wtmp record or an edited log`,
      evidence: [sessionEvidence(s, files)],
      first: iso(s.start),
      last: iso(s.start),
      user: s.user,
      host: s.host,
      kind: 'login-unmatched',
      data: {
        direction: 'wtmp-without-log',
        user: s.user,
        host: s.host,
        tty: s.tty,
        time: iso(s.start),
        pid: s.pid,
        port: null,
        windowSeconds: windowSec,
        terminal: 'yes',
      },
    });
  }
  return findings.sort((a, b) => (a.first ?? '').localeCompare(b.first ?? ''));
}

/**
 * Judges the sshd and dropbear logins whose terminal is unknown (no wtmp record, no VERBOSE line, no lastlog
 * record) by their host, as sessions without a terminal are: the first such login of a user from a host and
 * network that neither the user's learned model nor their earlier log-only logins know is a WARNING, from a
 * new host in a known network INFO. Either is then remembered in `seen`, the user's hosts seen without wtmp,
 * so the next night's rsync from there is quiet. It never enters the learned model, which judges wtmp's
 * interactive logins: the login is known from its log line alone, and anyone can write one (`logger -t
 * sshd`), so it must not make a later interactive login from that host look familiar. Unlike sftp's
 * judgement there is no learning period (`minHistory`): one of the two readings is a removed wtmp record.
 * Returns the findings and how many logins were from known hosts.
 */
export function judgeUnknownTerminal(
  logins: readonly AuthLogin[],
  learned: LearnedModel,
  seen: LogOnlySeen,
  service: string,
  windowSec: number,
  zone?: Zone,
): { findings: LoginsFinding[]; known: number } {
  const findings: LoginsFinding[] = [];
  let known = 0;
  for (const e of [...logins].sort((a, b) => a.sec - b.sec)) {
    const news = logOnlyNews(learned, seen, e.user, e.host);
    rememberLogOnly(seen, e.user, e.host, e.sec);
    if (news.knownHost) {
      known++;
      continue;
    }
    const newNetwork = !news.knownNet;
    const place = newNetwork ? 'a host and network' : 'a host in a known network';
    findings.push(
      logWithoutWtmp(
        e,
        newNetwork ? 'WARNING' : 'INFO',
        service,
        e.daemon === 'dropbear'
          ? `dropbear logged ${e.user} in from ${e.host}${e.port === null ? '' : ` port ${e.port}`} at ${whenText(e.sec, zone)} (${place} ${e.user} never used before) and wtmp has no login of ${e.user} within ${windowSec} s: a session without a terminal (dbclient host command, scp) or a removed wtmp record (dropbear logs no session type)`
          : `sshd accepted ${e.user} from ${e.host}${e.port === null ? '' : ` port ${e.port}`} at ${whenText(e.sec, zone)} (${place} ${e.user} never used before) and wtmp has no login of ${e.user} within ${windowSec} s: a session without a terminal (ssh host command, rsync, scp) or a removed wtmp record; \`LogLevel VERBOSE\` in sshd_config lets tenken tell them apart`,
        [e.evidence],
        windowSec,
        'unknown',
      ),
    );
  }
  return { findings, known };
}
