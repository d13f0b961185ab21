/**
 * The hosts each user logged in from as only the auth log shows it: sshd and dropbear logins without a wtmp
 * record (sftp and scp, `ssh host command`, `rsync -e ssh`, or a session whose terminal is unknown at sshd's
 * LogLevel INFO). Any local user writes such a line (`logger -t sshd 'Accepted password for alice from
 * 6.6.6.6 port 1 ssh2'`), so these hosts never enter the learned model (audit.ts) that judges wtmp's
 * interactive logins: they only keep a repeat of such a log-only login quiet (the nightly backup from the
 * same host is reported once). Kept small: capped hosts and networks per user, and users.
 */
import type { Evidence } from '../core/report.ts';
import type { Zone } from '../core/tz.ts';
import {
  capRecord,
  fromText,
  hostKeys,
  hostNews,
  isRemoteHost,
  type LearnedModel,
  localText,
  networkOf,
  newHostFinding,
  newHostText,
  type ShortModelLogin,
} from './audit.ts';
import type { LoginsFinding } from './audit-findings.ts';
import type { LoginsConfig } from './config.ts';
import { iso } from './tamper.ts';

/** The hosts and networks one user's log-only logins came from. */
export interface LogOnlyUser {
  /** Hosts (lower case) → last seen (seconds). */
  hosts: Record<string, number>;
  /** Their networks (networkOf) → last seen (seconds). */
  nets: Record<string, number>;
  /** The newest log-only login (seconds), to drop the users gone longest when there are too many. */
  last: number;
}

/** Every user's log-only hosts. */
export type LogOnlySeen = Record<string, LogOnlyUser>;

/** Caps that keep the set small, as the learned model's (LIMITS in audit.ts). */
export const LOG_ONLY_LIMITS = { hosts: 64, nets: 32, users: 500 } as const;

/**
 * Whether a log-only login's host and network are known: from the user's wtmp-backed model (read, never
 * written) or from their earlier log-only logins.
 */
export function logOnlyNews(
  learned: LearnedModel,
  seen: LogOnlySeen,
  user: string,
  host: string,
): { knownHost: boolean; knownNet: boolean } {
  const h = host.toLowerCase();
  const net = networkOf(host, null);
  const m = own(learned, user);
  const s = own(seen, user);
  const has = (r: Record<string, number> | undefined, k: string | null): boolean =>
    r !== undefined && k !== null && Object.hasOwn(r, k);
  return {
    knownHost: has(m?.hosts, h) || has(s?.hosts, h),
    knownNet: has(m?.nets, net) || has(s?.nets, net),
  };
}

/**
 * Sets `r[k]` as an own property: user and host names come from log lines, and `r['__proto__'] = v` would set
 * the object's prototype instead of an entry.
 */
function setOwn<T>(r: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(r, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const own = <T>(r: Record<string, T>, k: string): T | undefined => (Object.hasOwn(r, k) ? r[k] : undefined);

/** Records a log-only login of `user` from `host` at `sec` (capped per user; users are capped by capLogOnly). */
export function rememberLogOnly(seen: LogOnlySeen, user: string, host: string, sec: number): void {
  let u = own(seen, user);
  if (!u) {
    u = { hosts: {}, nets: {}, last: 0 };
    setOwn(seen, user, u);
  }
  const h = host.toLowerCase();
  if (h !== '') setOwn(u.hosts, h, Math.max(own(u.hosts, h) ?? 0, sec));
  const net = networkOf(host, null);
  if (net) setOwn(u.nets, net, Math.max(own(u.nets, net) ?? 0, sec));
  u.last = Math.max(u.last, sec);
  u.hosts = capRecord(u.hosts, LOG_ONLY_LIMITS.hosts);
  u.nets = capRecord(u.nets, LOG_ONLY_LIMITS.nets);
}

/** Keeps the LOG_ONLY_LIMITS.users users whose log-only logins are the newest. */
export function capLogOnly(seen: LogOnlySeen): LogOnlySeen {
  const users = Object.entries(seen);
  if (users.length <= LOG_ONLY_LIMITS.users) return seen;
  return Object.fromEntries(users.sort((a, b) => b[1].last - a[1].last).slice(0, LOG_ONLY_LIMITS.users));
}

const rec = (v: unknown, max: number): Record<string, number> =>
  capRecord(
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).filter(
            (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
          ),
        )
      : {},
    max,
  );

/**
 * Reads the set back from state leniently (anything malformed is left out), and within its caps. `model` is
 * the learned model of a state saved before the set existed (`raw` absent): such a state learned log-only
 * hosts into the model, and a user's model that counts no wtmp login (`logins` 0) but holds hosts got them
 * only from the auth log. Those hosts move to the set and the user's model is dropped, so they keep quieting
 * repeats but no longer make a wtmp login of that user look familiar. (A user with wtmp logins keeps what
 * the old state learned: it cannot be told apart from what wtmp taught.)
 */
export function readLogOnly(raw: unknown, model: LearnedModel): LogOnlySeen {
  const out: LogOnlySeen = {};
  if (raw === undefined) {
    for (const [user, m] of Object.entries(model)) {
      if (m.logins !== 0 || Object.keys(m.hosts).length === 0) continue;
      out[user] = {
        hosts: rec(m.hosts, LOG_ONLY_LIMITS.hosts),
        nets: rec(m.nets, LOG_ONLY_LIMITS.nets),
        last: Math.max(0, ...Object.values(m.hosts)),
      };
      delete model[user];
    }
    return capLogOnly(out);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [user, u] of Object.entries(raw as Record<string, unknown>)) {
    if (!u || typeof u !== 'object') continue;
    const v = u as Partial<Record<keyof LogOnlyUser, unknown>>;
    out[user] = {
      hosts: rec(v.hosts, LOG_ONLY_LIMITS.hosts),
      nets: rec(v.nets, LOG_ONLY_LIMITS.nets),
      last: typeof v.last === 'number' && Number.isFinite(v.last) ? v.last : 0,
    };
  }
  return capLogOnly(out);
}

/** An sshd login of a session without a terminal (sftp, scp): it has no wtmp record to audit. */
export interface TerminalLessLogin {
  user: string;
  host: string;
  sec: number;
  evidence: Evidence;
}

/**
 * Judges sshd logins without a terminal (sftp, scp) by host, as the audit judges wtmp logins: such a session
 * writes no wtmp record, so stolen credentials used with sftp alone (to plant an authorized_keys) were never
 * seen. Only a user with a learned model of at least `minHistory` wtmp logins is judged: a host and network
 * that neither the model nor the user's earlier log-only logins know is a WARNING, a new host in a known
 * network INFO. The host is then remembered in `seen` for every user, with a model or not (never in the
 * model: the `subsystem request` line that marks sftp is as easy to forge as `Accepted`), so the next such
 * login from there is quiet, and the first terminal login of an account used only without one is judged by
 * them (judgeShortModelLogins).
 */
export function judgeTerminalLess(
  logins: readonly TerminalLessLogin[],
  learned: LearnedModel,
  seen: LogOnlySeen,
  cfg: Pick<LoginsConfig, 'minHistory'>,
  service: string,
  zone: Zone,
): LoginsFinding[] {
  const out: LoginsFinding[] = [];
  for (const e of [...logins].sort((a, b) => a.sec - b.sec)) {
    if (!isRemoteHost(e.host)) continue;
    const m = own(learned, e.user);
    const { knownHost, knownNet } = logOnlyNews(learned, seen, e.user, e.host);
    if (m && !knownHost && m.logins >= cfg.minHistory) {
      const { net, recent } = hostNews(m, e.host, null);
      const known = recent();
      out.push({
        status: knownNet ? 'INFO' : 'WARNING',
        service,
        summary: `${e.user} logged in without a terminal (sftp, scp; no wtmp record) from ${e.host} at ${localText(e.sec, zone)} ${zone.name}: ${newHostText(e.user, net, !knownNet, m.logins, known)}`,
        evidence: [e.evidence],
        first: iso(e.sec),
        last: iso(e.sec),
        user: e.user,
        host: e.host,
        kind: 'login-new-host',
        data: {
          user: e.user,
          tty: 'sftp/scp',
          host: e.host,
          address: null,
          network: net,
          time: iso(e.sec),
          newNetwork: !knownNet,
          priorLogins: m.logins,
          knownHosts: known,
          basis: 'wtmp',
        },
      });
    }
    rememberLogOnly(seen, e.user, e.host, e.sec);
  }
  return out;
}

/** A login known from the auth log alone, as judgeShortModelLogins needs it. */
export interface LogOnlyLogin {
  user: string;
  host: string;
  sec: number;
}

/** Hosts shown in a message, and kept in a finding's data. */
const SHOWN_HOSTS = { message: 3, data: 5 } as const;

/**
 * Judges the new wtmp logins the audit could not judge by host (AuditOutput.shortModelLogins: the user's
 * model held fewer than `minHistory` logins and knew neither the host nor its network) by the user's logins
 * without a terminal. sshd writes wtmp only for a session with a terminal, so an account used only with
 * sftp, scp or `ssh host command` (a copier's scanner account, a backup) has no model; its first interactive
 * login may well be whoever guessed or stole its password. Such a login from a network none of the user's
 * log-only logins came from is a WARNING; from one of them, or of a user without such logins (a new user:
 * learning), nothing. `before` is the set as the last run left it (all earlier than this run's new logins);
 * `recent` are this run's log-only logins, which count only when earlier than the login judged.
 * Judging by the log-only set is safe although any local user can forge its lines (`logger -t sshd`): a
 * forged line can only add a host, which at worst quiets this WARNING for that host's network (and is itself
 * reported, as a login without a wtmp record from a new host), never any other finding. Said once: the audit
 * passes only the logins new in this run, and learns each into the model.
 */
export function judgeShortModelLogins(
  logins: readonly ShortModelLogin[],
  before: LogOnlySeen,
  recent: readonly LogOnlyLogin[],
  files: readonly string[],
  service: string,
  zone: Zone,
): LoginsFinding[] {
  if (logins.length === 0) return [];
  // This run's log-only hosts and networks of the users judged, each with when it was first seen: one pass,
  // however many (forged) lines there are.
  const users = new Set(logins.map((l) => l.session.user));
  const firstSeen = new Map<string, { hosts: Map<string, number>; nets: Map<string, number> }>();
  const earliest = (m: Map<string, number>, k: string, sec: number): void => {
    const was = m.get(k);
    if (was === undefined || sec < was) m.set(k, sec);
  };
  for (const e of recent) {
    if (!users.has(e.user) || !isRemoteHost(e.host)) continue;
    let u = firstSeen.get(e.user);
    if (!u) {
      u = { hosts: new Map(), nets: new Map() };
      firstSeen.set(e.user, u);
    }
    earliest(u.hosts, e.host.toLowerCase(), e.sec);
    const net = networkOf(e.host, null);
    if (net) earliest(u.nets, net, e.sec);
  }
  const out: LoginsFinding[] = [];
  for (const c of logins) {
    const s = c.session;
    const prev = own(before, s.user);
    const now = firstSeen.get(s.user);
    const earlier = (m: Map<string, number> | undefined, k: string): boolean => {
      const sec = m?.get(k);
      return sec !== undefined && sec < s.start;
    };
    // Every log-only host of the user known before this login, with when it was seen (for the message).
    const hosts = new Map<string, number>(prev ? Object.entries(prev.hosts) : []);
    for (const [h, sec] of now?.hosts ?? [])
      if (sec < s.start) hosts.set(h, Math.max(hosts.get(h) ?? 0, sec));
    if (hosts.size === 0) continue;
    const known =
      hostKeys(s.host, s.address).some((k) => hosts.has(k)) ||
      (c.network !== null &&
        ((prev !== undefined && Object.hasOwn(prev.nets, c.network)) || earlier(now?.nets, c.network)));
    if (known) continue;
    const shown = [...hosts]
      .sort((a, b) => b[1] - a[1])
      .map((e) => e[0])
      .slice(0, SHOWN_HOSTS.data);
    const list = `${shown.slice(0, SHOWN_HOSTS.message).join(', ')}${hosts.size > SHOWN_HOSTS.message ? `, and ${hosts.size - SHOWN_HOSTS.message} more` : ''}`;
    const why =
      c.priorLogins === 0
        ? `${s.user}'s first terminal login; before, ${s.user} logged in only without a terminal (sftp, scp, ssh commands), from ${list}`
        : `${newHostText(s.user, c.network, true, c.priorLogins, c.knownHosts)}, nor in logins without a terminal (sftp, scp, ssh commands), from ${list}`;
    out.push(
      newHostFinding(
        s,
        files,
        service,
        'WARNING',
        `${s.user} logged in${fromText(s)} on ${s.tty} at ${localText(s.start, zone)} ${zone.name}: ${why}`,
        {
          network: c.network,
          newNetwork: true,
          priorLogins: c.priorLogins,
          knownHosts: c.knownHosts,
          basis: 'log-only',
          logOnlyHosts: shown,
        },
      ),
    );
  }
  return out;
}
