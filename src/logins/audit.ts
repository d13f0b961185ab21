/**
 * The login audit: judges each new login against what the user did before — hosts and networks, hours,
 * simultaneous sessions, session lengths — and flags root over the network and accounts that should never
 * log in. What a user "did before" is the learned model kept in the check's state (it outlives wtmp's
 * rotation) plus every earlier session in wtmp and its backups. Pure: sessions, accounts, the previous model
 * and the clock come in; findings and the next model go out (kept small: capped hosts, networks, durations).
 * Only wtmp's logins teach the model: a login known from the auth log alone (sftp, `ssh host command`) may be
 * a forged line, and its host is kept apart, to quiet repeats of such logins only (log-only.ts).
 */
import { ipv6Prefix64 } from '../core/net.ts';
import type { Evidence } from '../core/report.ts';
import type { LoginsFinding, LoginsFindings } from './audit-findings.ts';
import type { LoginsConfig } from './config.ts';
import type { Session } from './history.ts';
import { iso } from './tamper.ts';
import { recordNumber } from './utmp.ts';
import { passwdEntries } from '../core/passwd.ts';
import { localTime, type Zone } from '../core/tz.ts';

/** What the state keeps about one user. */
export interface UserModel {
  /** Logins counted into the model. */
  logins: number;
  /** Logins per local hour (24 counts). */
  hours: number[];
  /** Hosts (names and addresses, lower case) and networks → last seen (seconds). */
  hosts: Record<string, number>;
  nets: Record<string, number>;
  /** Lengths of the last finished sessions (seconds), oldest first. */
  durations: number[];
  /** Last login time (seconds), to drop users gone for long when the state grows. */
  last: number;
}

/** The learned model of every user. */
export type LearnedModel = Record<string, UserModel>;

/** Caps that keep the state small. */
export const LIMITS = { hosts: 64, nets: 32, durations: 20, users: 500, longReported: 500 } as const;

/** Finished sessions a user needs before their usual session length is known (else `longDefaultHours`). */
export const MIN_DURATIONS = 5;

/**
 * A long open session already reported: the session (user, tty, login time in seconds, pid) and how long it
 * had been open at that report (seconds). It is reported again only once it has been open twice as long.
 */
export interface LongReported {
  user: string;
  tty: string;
  start: number;
  pid: number;
  open: number;
}

/** Validates the reported long sessions read back from state (absent or malformed: none, each said once more). */
export function readLongReported(raw: unknown): LongReported[] {
  if (!Array.isArray(raw)) return [];
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const out: LongReported[] = [];
  for (const e of raw) {
    if (!e || typeof e !== 'object') continue;
    const r = e as Partial<LongReported>;
    if (typeof r.user !== 'string' || typeof r.tty !== 'string') continue;
    if (!num(r.start) || !num(r.pid) || !num(r.open) || r.open <= 0) continue;
    out.push({ user: r.user, tty: r.tty, start: r.start, pid: r.pid, open: r.open });
  }
  return out.slice(-LIMITS.longReported);
}

/** The identity of an open session across runs: user, tty, login time and pid. */
function longKey(s: { user: string; tty: string; start: number; pid: number }): string {
  return `${s.user}\0${s.tty}\0${s.start}\0${s.pid}`;
}

/** An account of /etc/passwd. */
export interface Account {
  uid: number;
  shell: string;
  home: string;
}

/** Accounts of an /etc/passwd text (first entry of a name wins). */
export function parsePasswd(text: string): Map<string, Account> {
  const out = new Map<string, Account>();
  for (const e of passwdEntries(text))
    if (!out.has(e.name)) out.set(e.name, { uid: e.uid, home: e.home, shell: e.shell });
  return out;
}

/** UID_MIN of an /etc/login.defs text, or undefined. */
export function loginDefsUidMin(text: string): number | undefined {
  const m = /^\s*UID_MIN\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

const NOLOGIN = /(?:^|\/)(?:nologin|false)$/;

/**
 * Why an account should not log in, or null. A uid below `uidMin` (root excepted) is a system account unless
 * it looks like a person's on a system with an older UID_MIN (a real shell and a home under /home: the runbook
 * era's Red Hat started users at 500); a nologin or false shell never logs in.
 */
export function systemReason(
  acct: Account | undefined,
  uidMin: number,
): 'system-uid' | 'nologin-shell' | null {
  if (!acct) return null;
  if (NOLOGIN.test(acct.shell)) return 'nologin-shell';
  if (acct.uid !== 0 && acct.uid < uidMin && !(acct.home.startsWith('/home/') && acct.shell !== ''))
    return 'system-uid';
  return null;
}

/** The ut_host of a terminal multiplexer's local session: mosh-server's `mosh [PID]`, tmux's `tmux(PID).%N`. */
const LOCAL_SESSION = /^(?:mosh \[\d+\]|tmux\(\d+\)\.%\d+)$/;

/**
 * Whether a wtmp host is a remote machine: any non-empty host but a local X display or screen (`:0`, `:S.1`),
 * a multiplexer's session (`mosh [123]`, `tmux(77).%0`) and localhost. Anything else counts, whatever its
 * bytes: a host with a non-ASCII byte (an IDN in UTF-8, a forged name) must not switch the audit off.
 */
export function isRemoteHost(host: string): boolean {
  if (host === '' || host.startsWith(':') || LOCAL_SESSION.test(host)) return false;
  const h = host.toLowerCase();
  return !(h === 'localhost' || h === '127.0.0.1' || h === '::1' || h.startsWith('localhost.'));
}

function ipv4(text: string): string | null {
  const m = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(text);
  if (!m || m.slice(1).some((p) => Number(p) > 255)) return null;
  return `${m[1]}.${m[2]}.${m[3]}.${m[4]}`;
}

/**
 * The network a login came from: the /24 of an IPv4 address, the /64 of an IPv6 one, else the parent domain
 * of a host name with three or more labels (`cafe-wifi.example.net` → `example.net`); null when unknown.
 */
export function networkOf(host: string, address: string | null): string | null {
  for (const a of [address, host]) {
    if (!a) continue;
    const v4 = ipv4(a);
    if (v4) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
    const v6 = ipv6Prefix64(a);
    if (v6) return v6;
  }
  const labels = host.toLowerCase().split('.').filter(Boolean);
  return labels.length >= 3 ? labels.slice(1).join('.') : null;
}

/**
 * Whether a login's host and network are ones the user's model knows, the network, and the user's most
 * recent hosts (for the message). Shared by the wtmp audit and the judgement of logins without a terminal.
 */
export function hostNews(
  m: UserModel,
  host: string,
  address: string | null,
): { knownHost: boolean; knownNet: boolean; net: string | null; recent: () => string[] } {
  const h = host.toLowerCase();
  const keys = [h, ...(address && address.toLowerCase() !== h ? [address.toLowerCase()] : [])].filter(
    Boolean,
  );
  const net = networkOf(host, address);
  // Sorted only when a message needs them (a first run judges every login of a big wtmp).
  const recent = (): string[] =>
    Object.entries(m.hosts)
      .sort((a, b) => b[1] - a[1])
      .map((e) => e[0])
      .slice(0, 5);
  // Own keys only: `'constructor' in {}` is true, and a host name is whatever a record or a log line says.
  return {
    knownHost: keys.some((k) => Object.hasOwn(m.hosts, k)),
    knownNet: net !== null && Object.hasOwn(m.nets, net),
    net,
    recent,
  };
}

/** `a host and network (N) USER never used before (K earlier logins, from ...)`, as every new-host finding says it. */
export function newHostText(
  user: string,
  net: string | null,
  newNetwork: boolean,
  prior: number,
  known: readonly string[],
): string {
  const what = newNetwork ? `a host and network${net ? ` (${net})` : ''}` : 'a host';
  return `${what} ${user} never used before (${prior} earlier logins${known.length ? `, from ${known.slice(0, 3).join(', ')}` : ''})`;
}

/** Host keys of a session: its host name and its address, lower case. */
export function hostKeys(host: string, address: string | null): string[] {
  const keys = [host.toLowerCase()];
  if (address && address !== keys[0]) keys.push(address.toLowerCase());
  return keys.filter(Boolean);
}

function emptyModel(): UserModel {
  return { logins: 0, hours: new Array<number>(24).fill(0), hosts: {}, nets: {}, durations: [], last: 0 };
}

/**
 * Keeps the `max` newest entries (values are times). Called after each login adds at most one key, so one
 * over the cap drops the oldest in place (the last of equal ones, as the sort did): sorting a copy on every
 * login took minutes on a wtmp of a million records.
 */
export function capRecord(r: Record<string, number>, max: number): Record<string, number> {
  let size = 0;
  let oldest: string | undefined;
  let oldestAt = Number.POSITIVE_INFINITY;
  for (const k in r) {
    size++;
    const v = r[k] as number;
    if (v <= oldestAt) {
      oldestAt = v;
      oldest = k;
    }
  }
  if (size <= max) return r;
  if (size === max + 1 && oldest !== undefined) {
    delete r[oldest];
    return r;
  }
  return Object.fromEntries(
    Object.entries(r)
      .sort((a, b) => b[1] - a[1])
      .slice(0, max),
  );
}

/** The 90th percentile of positive numbers (nearest rank). */
export function p90(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.9) - 1)] ?? 0;
}

/** Validates a model read back from state (anything else starts afresh). */
export function readModel(raw: unknown): LearnedModel {
  const out: LearnedModel = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [user, m] of Object.entries(raw as Record<string, unknown>)) {
    if (!m || typeof m !== 'object') continue;
    const u = m as Partial<UserModel>;
    const nums = (v: unknown): number[] =>
      Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
    const rec = (v: unknown): Record<string, number> =>
      v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).filter(
              (e): e is [string, number] => typeof e[1] === 'number',
            ),
          )
        : {};
    const hours = nums(u.hours);
    out[user] = {
      logins: typeof u.logins === 'number' ? u.logins : 0,
      hours: hours.length === 24 ? hours : new Array<number>(24).fill(0),
      hosts: rec(u.hosts),
      nets: rec(u.nets),
      durations: nums(u.durations).slice(-LIMITS.durations),
      last: typeof u.last === 'number' ? u.last : 0,
    };
  }
  return out;
}

/** Everything the audit needs. Times in seconds. */
export interface AuditInput {
  /** Every session of the history, oldest first. */
  sessions: readonly Session[];
  /** Display names of the history's files (for evidence), by Session.file. */
  files: readonly string[];
  /** Whether a session's login record is new since the last run. */
  isNew: (s: Session) => boolean;
  /** The model learnt up to the last run (undefined on a first run). */
  learned: LearnedModel | undefined;
  /** Newest record time of the last run: sessions finished after it add their length to the model. */
  lastSec: number | null;
  now: number;
  zone: Zone;
  accounts: ReadonlyMap<string, Account>;
  uidMin: number;
  config: LoginsConfig;
  service: string;
  /** Only new logins at or after this are reported (they still teach the model). */
  since?: number | undefined;
  /**
   * Long open sessions reported at earlier runs: each is said again only once open twice as long as at its
   * last report. Undefined (a first run, a state from before these were kept, a look with `--since`): every
   * long open session is said.
   */
  longReported?: readonly LongReported[] | undefined;
}

/** What the audit found and the model to keep. */
export interface AuditOutput {
  findings: LoginsFinding[];
  learned: LearnedModel;
  /** Users with new logins whose hours could not be judged yet, with their earlier logins. */
  shortHistory: { user: string; logins: number }[];
  /** New logins counted (reported or not). */
  newLogins: number;
  /** The long open sessions reported so far that are still open (for the next run), newest last, capped. */
  longReported: LongReported[];
  /**
   * New remote logins (reported, not root's) judged before the user's model held `minHistory` logins, from a
   * host and network the model did not know then: the logins check judges them against the user's logins
   * without a terminal (log-only.ts judgeShortModelLogins), as the audit cannot (they are not in the model).
   */
  shortModelLogins: ShortModelLogin[];
}

/** A new wtmp login judged while the user's model was still short of `minHistory` logins (AuditOutput). */
export interface ShortModelLogin {
  session: Session;
  /** The logins the model held then (fewer than `minHistory`). */
  priorLogins: number;
  /** The login's network (networkOf), or null. */
  network: string | null;
  /** The model's most recent hosts then (for the message). */
  knownHosts: string[];
}

/** A time as `YYYY-MM-DD HH:MM` in the zone, as the findings show it. */
export function localText(sec: number, zone: Zone): string {
  const t = localTime(sec, zone);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${t.year}-${p(t.month)}-${p(t.day)} ${p(t.hour)}:${p(t.minute)}`;
}

/** ` from HOST (ADDRESS)` of a session, as the findings say it; '' for a local login. */
export function fromText(s: Session): string {
  if (!s.host) return '';
  return s.address && s.address !== s.host ? ` from ${s.host} (${s.address})` : ` from ${s.host}`;
}

/**
 * The login record of a session as evidence: a wtmp record by its number in its file (`/var/log/wtmp:87`), a
 * wtmpdb row by its `ID` (`/var/lib/wtmpdb/wtmp.db:4`, text `... (wtmpdb row 4)`), as the dial-up check
 * names it; wtmpdb records no pid, so none is shown for it.
 */
export function sessionEvidence(s: Session, files: readonly string[]): Evidence {
  if (s.row !== undefined)
    return {
      source: files[s.file] ?? 'wtmpdb',
      line: s.row,
      time: iso(s.start),
      text: `USER_PROCESS ${s.user} ${s.tty} (wtmpdb row ${s.row})${fromText(s)}`,
    };
  return {
    source: files[s.file] ?? 'wtmp',
    line: recordNumber(s.index),
    time: iso(s.start),
    text: `USER_PROCESS ${s.user} ${s.tty}${fromText(s)} pid ${s.pid}`,
  };
}

/** The fields every finding about one session has: its login record as evidence, its time, user and host. */
function sessionFindingBase(
  s: Session,
  files: readonly string[],
  service: string,
  status: LoginsFinding['status'],
  summary: string,
) {
  return {
    status,
    service,
    summary,
    evidence: [sessionEvidence(s, files)],
    first: iso(s.start),
    last: iso(s.start),
    user: s.user,
    ...(s.host ? { host: s.host } : {}),
  };
}

/**
 * A `login-new-host` finding for session `s`: one builder for the two judgements that make it (the learned
 * model's here, the log-only logins' in log-only.ts), so their findings differ only in what they were judged by.
 */
export function newHostFinding(
  s: Session,
  files: readonly string[],
  service: string,
  status: LoginsFinding['status'],
  summary: string,
  judged: Pick<
    LoginsFindings['login-new-host'],
    'network' | 'newNetwork' | 'priorLogins' | 'knownHosts' | 'basis' | 'logOnlyHosts'
  >,
): LoginsFinding {
  return {
    ...sessionFindingBase(s, files, service, status, summary),
    kind: 'login-new-host',
    data: { user: s.user, tty: s.tty, host: s.host, address: s.address, time: iso(s.start), ...judged },
  };
}

function hoursText(hours: readonly number[]): string {
  const used = hours.flatMap((n, h) => (n > 0 ? [h] : []));
  if (!used.length) return 'none';
  const ranges: string[] = [];
  let start = used[0] as number;
  let prev = start;
  for (const h of [...used.slice(1), -1]) {
    if (h === prev + 1) {
      prev = h;
      continue;
    }
    ranges.push(start === prev ? `${start}h` : `${start}-${prev}h`);
    start = h;
    prev = h;
  }
  return ranges.join(', ');
}

/** Runs every audit rule over the new sessions and updates the model. */
export function auditLogins(input: AuditInput): AuditOutput {
  const { config: cfg, zone, files } = input;
  const learned: LearnedModel = structuredClone(input.learned ?? {});
  const findings: LoginsFinding[] = [];
  const short = new Map<string, number>();
  const model = (u: string): UserModel => {
    let m = learned[u];
    if (!m) {
      m = emptyModel();
      learned[u] = m;
    }
    return m;
  };
  const at = (sec: number): string => `${localText(sec, zone)} ${zone.name}`;
  const base = (s: Session, status: LoginsFinding['status'], summary: string) =>
    sessionFindingBase(s, files, input.service, status, summary);
  const overlaps = new Overlaps(input.sessions);
  const shortModelLogins: ShortModelLogin[] = [];
  const firstRun = input.learned === undefined;
  let newLogins = 0;
  for (const s of input.sessions) {
    const c = overlaps.at(s);
    const fresh = input.isNew(s);
    const m = model(s.user);
    const finished = s.end !== null && s.end >= s.start;
    if (!fresh) {
      // Counted at an earlier run; only a length that became known since then is new.
      if (!firstRun && finished && input.lastSec !== null && (s.end as number) > input.lastSec)
        pushDuration(m, (s.end as number) - s.start);
      if (firstRun) learn(m, s, zone);
      continue;
    }
    newLogins++;
    const report = input.since === undefined || s.start >= input.since;
    const remote = isRemoteHost(s.host);
    const hour = localTime(s.start, zone).hour;
    if (report) {
      const acct = input.accounts.get(s.user);
      const why = cfg.allowSystemLogins.includes(s.user) ? null : systemReason(acct, input.uidMin);
      if (why && acct) {
        const what =
          why === 'nologin-shell'
            ? `its shell is ${acct.shell}`
            : `uid ${acct.uid} is a system account (below ${input.uidMin})`;
        findings.push({
          ...base(
            s,
            'CRITICAL',
            `${s.user} logged in on ${s.tty}${fromText(s)} at ${at(s.start)}, but ${what}: this account should never log in`,
          ),
          kind: 'login-system-account',
          data: {
            user: s.user,
            uid: acct.uid,
            shell: acct.shell,
            reason: why,
            tty: s.tty,
            host: s.host || null,
            time: iso(s.start),
          },
        });
      }
      if (s.user === 'root' && remote) {
        findings.push({
          ...base(
            s,
            'CRITICAL',
            `root logged in over the network${fromText(s)} on ${s.tty} at ${at(s.start)}: log in as yourself and use su or sudo`,
          ),
          kind: 'login-root-remote',
          data: { user: s.user, tty: s.tty, host: s.host, address: s.address, time: iso(s.start) },
        });
      }
      if (remote && m.logins >= cfg.minHistory) {
        const { knownHost, knownNet, net, recent } = hostNews(m, s.host, s.address);
        if (!knownHost) {
          const known = recent();
          const newNetwork = !knownNet;
          findings.push(
            newHostFinding(
              s,
              files,
              input.service,
              newNetwork ? 'WARNING' : 'INFO',
              `${s.user} logged in${fromText(s)} on ${s.tty} at ${at(s.start)}: ${newHostText(s.user, net, newNetwork, m.logins, known)}`,
              { network: net, newNetwork, priorLogins: m.logins, knownHosts: known, basis: 'wtmp' },
            ),
          );
        }
      } else if (remote && s.user !== 'root') {
        // Too few wtmp logins to judge by: the check judges it by the user's log-only logins instead. root's
        // is CRITICAL already (login-root-remote).
        const { knownHost, knownNet, net, recent } = hostNews(m, s.host, s.address);
        if (!knownHost && !knownNet)
          shortModelLogins.push({ session: s, priorLogins: m.logins, network: net, knownHosts: recent() });
      }
      if (m.logins >= cfg.minHistoryForHours) {
        short.delete(s.user);
        let near = 0;
        for (let k = -cfg.hourWindow; k <= cfg.hourWindow; k++) near += m.hours[(hour + k + 24) % 24] ?? 0;
        if (near === 0) {
          const usual = m.hours.flatMap((n, h) => (n > 0 ? [h] : []));
          findings.push({
            ...base(
              s,
              'WARNING',
              `${s.user} logged in at ${at(s.start)}${fromText(s)}: an hour ${s.user} never logged in at before (${m.logins} earlier logins, at ${hoursText(m.hours)})`,
            ),
            kind: 'login-odd-hour',
            data: {
              user: s.user,
              tty: s.tty,
              host: s.host || null,
              time: iso(s.start),
              hour,
              timeZone: zone.name,
              usualHours: usual,
              priorLogins: m.logins,
              windowHours: cfg.hourWindow,
            },
          });
        }
      } else short.set(s.user, m.logins);
      const reason = c.count > cfg.maxConcurrent ? 'count' : c.networks >= 2 ? 'networks' : null;
      if (reason) {
        const shown = c.sessions(CONCURRENT_SHOWN.sessions);
        // Bounded: sessions from thousands of networks at once (a forged wtmp) would list them in each finding.
        const nets = c.networkList(CONCURRENT_SHOWN.networks);
        const more = c.networks > nets.length ? `, and ${c.networks - nets.length} more` : '';
        const what =
          reason === 'count'
            ? `${c.count} sessions at once (more than ${cfg.maxConcurrent})`
            : `sessions from ${c.networks} networks at once (${nets.join(', ')}${more})`;
        findings.push({
          ...base(
            s,
            'WARNING',
            `${s.user} logged in on ${s.tty}${fromText(s)} at ${at(s.start)} and had ${what}`,
          ),
          evidence: shown.slice(0, 10).map((o) => sessionEvidence(o, files)),
          kind: 'login-concurrent',
          data: {
            user: s.user,
            time: iso(s.start),
            reason,
            limit: cfg.maxConcurrent,
            // Bounded: a wtmp with a session that never ended (or a forged one) overlaps every later one.
            sessions: shown
              .slice(0, CONCURRENT_SHOWN.sessions)
              .map((o) => ({ tty: o.tty, host: o.host || null, start: iso(o.start) })),
            networks: nets,
            networkCount: c.networks,
          },
        });
      }
    }
    learn(m, s, zone);
  }
  // Open sessions are judged every run, but a cron job that mails on WARNING must not say the same fact every
  // hour: a long session is said once, and again only each time it has been open twice as long as when last
  // said. What was said is kept for the sessions still open; a closed one (or one gone from wtmp) is dropped.
  const said = new Map<string, LongReported>();
  for (const r of input.longReported ?? []) said.set(longKey(r), r);
  const saidNext: LongReported[] = [];
  for (const s of input.sessions) {
    if (!s.open) continue;
    const m = model(s.user);
    const open = input.now - s.start;
    const before = said.get(longKey(s));
    if (before) saidNext.push(before);
    const enough = m.durations.length >= MIN_DURATIONS;
    const usual = enough ? p90(m.durations) : null;
    const limit =
      usual !== null
        ? Math.max(cfg.longMinHours * 3600, cfg.longFactor * usual)
        : cfg.longDefaultHours * 3600;
    if (open <= limit) continue;
    if (before && open < 2 * before.open) continue;
    const n = m.durations.length;
    const usualText =
      usual !== null
        ? `${s.user}'s sessions usually last up to ${hm(usual)}`
        : `no usual length known yet (${n === 0 ? 'no finished session' : `only ${n} finished session${n === 1 ? '' : 's'}`} of ${s.user}, ${MIN_DURATIONS} needed), limit ${hm(limit)}`;
    const againAt = 2 * open;
    const record: LongReported = { user: s.user, tty: s.tty, start: s.start, pid: s.pid, open };
    if (before) saidNext[saidNext.length - 1] = record;
    else saidNext.push(record);
    findings.push({
      ...base(
        s,
        'WARNING',
        `${s.user} has been logged in on ${s.tty}${fromText(s)} since ${at(s.start)} (${hm(open)}): ${usualText}; ${before ? `said before at ${hm(before.open)}; ` : ''}said again if still open at ${hm(againAt)} (in ${hm(againAt - open)})`,
      ),
      last: iso(input.now),
      kind: 'login-long-session',
      data: {
        user: s.user,
        tty: s.tty,
        host: s.host || null,
        start: iso(s.start),
        openSeconds: open,
        limitSeconds: Math.round(limit),
        usualSeconds: usual,
        finishedSessions: n,
        reportedAtSeconds: before ? before.open : null,
        againAtSeconds: againAt,
      },
    });
  }
  return {
    findings,
    learned: capModel(learned),
    shortHistory: [...short].map(([user, logins]) => ({ user, logins })),
    newLogins,
    // Bounded: the newest sessions are kept (a forged wtmp of thousands of open sessions).
    longReported: saidNext.sort((a, b) => a.start - b.start).slice(-LIMITS.longReported),
    shortModelLogins,
  };
}

/** Networks a simultaneous-session finding lists (and sessions it shows): the rest are counted. */
export const CONCURRENT_SHOWN = { networks: 20, sessions: 20 } as const;

/**
 * The sessions of a user open at a session's start (itself included), as the simultaneous-session test
 * needs them: how many, how many distinct networks among the remote ones (networkOf, else the host in lower
 * case), and, only when a finding is made, the first of them in the input's order and the first networks
 * in the order of their first session there.
 */
export interface Concurrent {
  count: number;
  networks: number;
  /** The first `limit` sessions, in the input's order (valid until the next `at`, as networkList). */
  sessions: (limit: number) => Session[];
  /** The first `limit` networks, in the order of their first session. */
  networkList: (limit: number) => string[];
}

/** A live session in the sweep: doubly linked in the user's list and in its network's list, by input order. */
interface LiveNode {
  s: Session;
  /** Position among the user's sessions (input order). */
  pos: number;
  net: string | null;
  prev: LiveNode | null;
  next: LiveNode | null;
  netPrev: LiveNode | null;
  netNext: LiveNode | null;
}

/** A user's live sessions: a list in input order, a list per network, and those that will end, by end. */
interface UserSweep {
  all: Session[];
  /** Sessions that started by the current time (joined if still open), and sessions asked about so far. */
  added: number;
  done: number;
  head: LiveNode | null;
  tail: LiveNode | null;
  count: number;
  nets: Map<string, { head: LiveNode; tail: LiveNode; count: number }>;
  /** Min-heap by end time of the live sessions that end (not open). */
  ending: LiveNode[];
}

/** The network key of a session for the simultaneous-session test, or null for a local one. */
function concurrentNet(s: Session): string | null {
  return isRemoteHost(s.host) ? (networkOf(s.host, s.address) ?? s.host.toLowerCase()) : null;
}

/**
 * The simultaneous-session test's question for each session in turn: which sessions of the same user had
 * started by then and were still open (itself included), in the order of the input. A sweep over the
 * sessions in start order keeps per user the sessions open at the current time, with their count and the
 * count of each network, so each answer costs what changed since the last one: filtering (and mapping to
 * networks) every session still open for each login was quadratic: 8k logins still open took minutes.
 */
export class Overlaps {
  readonly #byUser = new Map<string, UserSweep>();
  readonly #sorted: boolean;

  constructor(sessions: readonly Session[]) {
    let sorted = true;
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i] as Session;
      if (i > 0 && s.start < (sessions[i - 1] as Session).start) sorted = false;
      const u = this.#byUser.get(s.user);
      if (u) u.all.push(s);
      else
        this.#byUser.set(s.user, {
          all: [s],
          added: 0,
          done: 0,
          head: null,
          tail: null,
          count: 0,
          nets: new Map(),
          ending: [],
        });
    }
    this.#sorted = sorted;
  }

  /** Call once per session, in the input's order. */
  at(s: Session): Concurrent {
    const u = this.#byUser.get(s.user);
    if (!u || !this.#sorted) {
      // Unsorted input (the history sorts its sessions by start): the plain filter.
      const list = (u?.all ?? [s]).filter(
        (o) => o.start <= s.start && (o === s || o.open || (o.end !== null && o.end > s.start)),
      );
      const nets = [...new Set(list.flatMap((o) => concurrentNet(o) ?? []))];
      return {
        count: list.length,
        networks: nets.length,
        sessions: (limit) => list.slice(0, limit),
        networkList: (limit) => nets.slice(0, limit),
      };
    }
    // Sessions that started by now join; those that ended by now (end <= start) leave.
    while (u.added < u.all.length && (u.all[u.added] as Session).start <= s.start) {
      const pos = u.added++;
      const o = u.all[pos] as Session;
      if (o.open || (o.end !== null && o.end > s.start)) this.#join(u, o, pos);
    }
    while (u.ending.length && ((u.ending[0] as LiveNode).s.end as number) <= s.start)
      this.#leave(u, heapPop(u.ending));
    // A session not open at its own start (closed at once, or never ended) is in no list: it counts for
    // itself only, at its place in the input's order.
    const pos = u.done++;
    const self = s.open || (s.end !== null && s.end > s.start) ? null : { pos };
    const selfNet = self ? concurrentNet(s) : null;
    const extraNet = selfNet !== null && !u.nets.has(selfNet) ? 1 : 0;
    return {
      count: u.count + (self ? 1 : 0),
      networks: u.nets.size + extraNet,
      sessions: (limit) => {
        const out: Session[] = [];
        for (let n = u.head; n && out.length < limit; n = n.next) {
          if (self && self.pos < n.pos && !out.includes(s)) out.push(s);
          if (out.length < limit) out.push(n.s);
        }
        if (self && out.length < limit && !out.includes(s)) out.push(s);
        return out;
      },
      networkList: (limit) => {
        // Each network at the position of its first live session (or of the session counting only for
        // itself); the `limit` first of them, kept in a small sorted array.
        const firsts: { net: string; pos: number }[] = [];
        const offer = (net: string, pos: number): void => {
          if (firsts.length === limit && pos > (firsts[limit - 1] as { pos: number }).pos) return;
          let i = firsts.length;
          while (i > 0 && (firsts[i - 1] as { pos: number }).pos > pos) i--;
          firsts.splice(i, 0, { net, pos });
          if (firsts.length > limit) firsts.pop();
        };
        for (const [net, l] of u.nets)
          offer(net, self && net === selfNet ? Math.min(l.head.pos, self.pos) : l.head.pos);
        if (extraNet && self) offer(selfNet as string, self.pos);
        return firsts.map((f) => f.net);
      },
    };
  }

  #join(u: UserSweep, s: Session, pos: number): void {
    const n: LiveNode = {
      s,
      pos,
      net: concurrentNet(s),
      prev: u.tail,
      next: null,
      netPrev: null,
      netNext: null,
    };
    if (u.tail) u.tail.next = n;
    else u.head = n;
    u.tail = n;
    u.count++;
    if (n.net !== null) {
      const l = u.nets.get(n.net);
      if (l) {
        n.netPrev = l.tail;
        l.tail.netNext = n;
        l.tail = n;
        l.count++;
      } else u.nets.set(n.net, { head: n, tail: n, count: 1 });
    }
    if (!s.open) heapPush(u.ending, n);
  }

  #leave(u: UserSweep, n: LiveNode): void {
    if (n.prev) n.prev.next = n.next;
    else u.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else u.tail = n.prev;
    u.count--;
    if (n.net !== null) {
      const l = u.nets.get(n.net) as { head: LiveNode; tail: LiveNode; count: number };
      if (--l.count === 0) u.nets.delete(n.net);
      else {
        if (n.netPrev) n.netPrev.netNext = n.netNext;
        else l.head = n.netNext as LiveNode;
        if (n.netNext) n.netNext.netPrev = n.netPrev;
        else l.tail = n.netPrev as LiveNode;
      }
    }
  }
}

const endOf = (n: LiveNode): number => n.s.end as number;

function heapPush(h: LiveNode[], n: LiveNode): void {
  h.push(n);
  for (let i = h.length - 1; i > 0; ) {
    const p = (i - 1) >> 1;
    if (endOf(h[p] as LiveNode) <= endOf(n)) break;
    h[i] = h[p] as LiveNode;
    h[p] = n;
    i = p;
  }
}

function heapPop(h: LiveNode[]): LiveNode {
  const top = h[0] as LiveNode;
  const last = h.pop() as LiveNode;
  if (h.length) {
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && endOf(h[l] as LiveNode) < endOf(h[m] as LiveNode)) m = l;
      if (r < h.length && endOf(h[r] as LiveNode) < endOf(h[m] as LiveNode)) m = r;
      if (m === i) break;
      const t = h[i] as LiveNode;
      h[i] = h[m] as LiveNode;
      h[m] = t;
      i = m;
    }
  }
  return top;
}

function pushDuration(m: UserModel, seconds: number): void {
  m.durations.push(seconds);
  if (m.durations.length > LIMITS.durations) m.durations.splice(0, m.durations.length - LIMITS.durations);
}

function learn(m: UserModel, s: Session, zone: Zone): void {
  m.logins++;
  const hour = localTime(s.start, zone).hour;
  m.hours[hour] = (m.hours[hour] ?? 0) + 1;
  m.last = Math.max(m.last, s.start);
  if (isRemoteHost(s.host)) {
    // Only a key added can take a record over its cap.
    let added = false;
    for (const k of hostKeys(s.host, s.address)) {
      const was = m.hosts[k];
      if (was === undefined) added = true;
      m.hosts[k] = Math.max(was ?? 0, s.start);
    }
    if (added) m.hosts = capRecord(m.hosts, LIMITS.hosts);
    const net = networkOf(s.host, s.address);
    if (net) {
      const was = m.nets[net];
      m.nets[net] = Math.max(was ?? 0, s.start);
      if (was === undefined) m.nets = capRecord(m.nets, LIMITS.nets);
    }
  }
  if (s.end !== null && s.end >= s.start) pushDuration(m, s.end - s.start);
}

function capModel(model: LearnedModel): LearnedModel {
  const users = Object.entries(model);
  if (users.length <= LIMITS.users) return model;
  return Object.fromEntries(users.sort((a, b) => b[1].last - a[1].last).slice(0, LIMITS.users));
}

/** `3h 05m`, `2d 4h`. */
export function hm(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m`;
}
