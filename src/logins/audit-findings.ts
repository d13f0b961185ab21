/**
 * The login audit's finding kinds (the `logins` check). Until the lead merges `LoginsFindings` into
 * src/core/findings.ts's FindingDataMap, findings are typed here (LoginsFinding) and check.ts hands them to the
 * report through one cast. Times are ISO strings in UTC; user and host text is untrusted (from wtmp / logs).
 */
import type { FindingBase, TimeText } from '../core/report.ts';

/** Which tamper test a `wtmp-tamper` finding comes from. */
export type TamperCheck =
  /** records of only zero bytes (chkwtmp's test: what log cleaners leave) */
  | 'zeroed'
  /** records whose type and time are zero while names remain */
  | 'partly-zeroed'
  /** records that no glibc writer produces (bad type, time, microseconds, control characters) */
  | 'garbage'
  /** bytes after the last whole record */
  | 'stray-tail'
  /** bytes inserted or cut inside the file: the last record reads right only from the end (an edit) */
  | 'misaligned'
  /** a record older than the one before it (beyond the tolerance), not a logged clock change */
  | 'time-backwards'
  /** a boot missing from wtmp (seen in syslog or /proc), or a login between a shutdown and the next boot */
  | 'boot-gap'
  /** the live wtmp is smaller than at the last run and no rotated file holds the old content */
  | 'shrunk'
  /** records already read at the last run changed since */
  | 'rewritten'
  /** the live wtmp, which held records at the last run, is gone or no longer a wtmp, and no rotated file holds them */
  | 'removed'
  /** lastlog says a user logged in later than any login wtmp has for them */
  | 'lastlog-newer'
  /** wtmpdb rows seen at the last run are gone (deleted, the table emptied, the ID sequence gone back) and no
   * `wtmpdb rotate` moved them */
  | 'rows-removed'
  /** a wtmpdb that SQLite's quick_check finds malformed (a cut or damaged file) */
  | 'damaged'
  /** wtmpdb rows with no usable login time, user or type (left out of the audit and of `last`) */
  | 'unreadable-rows';

/** Data of each logins finding kind (merge into FindingDataMap). */
export interface LoginsFindings {
  /** A login from a host, or a network (/24, /64, parent domain), the user never used before. */
  'login-new-host': {
    user: string;
    tty: string;
    host: string;
    address: string | null;
    network: string | null;
    time: string;
    /** True when the network is new too (else only the host within a known network). */
    newNetwork: boolean;
    /** The wtmp logins the user's model held (fewer than `minHistory` with `basis: 'log-only'`). */
    priorLogins: number;
    /** A few of the hosts the user did use before (of wtmp's logins). */
    knownHosts: string[];
    /**
     * What the login was judged against: `wtmp`, the user's learned model (`minHistory` wtmp logins or more);
     * `log-only`, a model still short of them, and the user's logins without a terminal (sftp, scp, ssh
     * commands: the auth log's alone), none of which came from this network: a first terminal login.
     */
    basis: 'wtmp' | 'log-only';
    /** With `basis: 'log-only'`: a few of the hosts of the user's earlier logins without a terminal. */
    logOnlyHosts?: string[];
  };
  /** A login at an hour (host local time) at which the user has not logged in before. */
  'login-odd-hour': {
    user: string;
    tty: string;
    host: string | null;
    time: string;
    /** Local hour 0-23 and the zone it is in. */
    hour: number;
    timeZone: string;
    /** Hours (0-23) at which the user logged in before. */
    usualHours: number[];
    priorLogins: number;
    windowHours: number;
  };
  /** root logged in over the network. */
  'login-root-remote': { user: string; tty: string; host: string; address: string | null; time: string };
  /** Several simultaneous sessions of one user, or sessions from different networks at once. */
  'login-concurrent': {
    user: string;
    time: string;
    reason: 'count' | 'networks';
    limit: number;
    sessions: { tty: string; host: string | null; start: string }[];
    /** The first 20 networks (in the order of their first session); networkCount says how many there were. */
    networks: string[];
    networkCount: number;
  };
  /**
   * A session still open far longer than the user's usual sessions: said once, and again each time it has been
   * open twice as long as when last said.
   */
  'login-long-session': {
    user: string;
    tty: string;
    host: string | null;
    start: string;
    openSeconds: number;
    limitSeconds: number;
    /** The user's 90th-percentile session length, or null without enough finished sessions. */
    usualSeconds: number | null;
    /** The user's finished sessions the usual length comes from (MIN_DURATIONS in audit.ts needed; 20 kept). */
    finishedSessions: number;
    /** How long it was open when an earlier run said it, or null when this is the first time. */
    reportedAtSeconds: number | null;
    /** How long it will have been open when it is said again (twice its length now), if still open. */
    againAtSeconds: number;
  };
  /** A login by an account that should never log in (system uid, nologin/false shell). */
  'login-system-account': {
    user: string;
    uid: number;
    shell: string;
    reason: 'system-uid' | 'nologin-shell';
    tty: string;
    host: string | null;
    time: string;
  };
  /** wtmp shows signs of tampering or damage. */
  'wtmp-tamper': {
    check: TamperCheck;
    file: string;
    /** 1-based record numbers involved (at most 20; uids for lastlog-newer; wtmpdb row IDs for unreadable-rows). */
    records: number[];
    count: number;
    detail: string;
  };
  /**
   * A boot with an earlier boot before it and no shutdown record between them (a crash, power loss, reset, a
   * VPS host killing the VM), as `last` shows the sessions open then (`crash`). Said once: each boot new since
   * the last run's wtmp mark (a first run: the newest of the history only).
   */
  'unclean-reboot': {
    /** The boot. */
    time: string;
    /** The boot before it, with no shutdown since. */
    previousBoot: string;
    /** The last record before the boot: the last sign of life (`logout on pts/0`; untrusted text). */
    lastRecord: { time: string; text: string };
    /** The sessions open at the crash (`last`'s `crash`), the first 20; sessionCount counts them all. */
    sessions: { user: string; tty: string; host: string | null; start: string }[];
    sessionCount: number;
    /** Unclean boots new in this run not given a finding of their own (said in the newest one's only). */
    notListed: number;
  };
  /** The auth log and wtmp disagree: a login in one with no counterpart in the other. */
  'login-unmatched': {
    direction: 'log-without-wtmp' | 'wtmp-without-log';
    user: string;
    host: string;
    tty: string | null;
    time: string;
    /** sshd's pid and the client's port (log side), or the wtmp record's pid. */
    pid: number | null;
    port: number | null;
    windowSeconds: number;
    /**
     * Whether the session had a terminal: `yes` (wtmp's record, login(1)'s tty, sshd's VERBOSE `Starting
     * session: ... on pts/N`, lastlog), `unknown` (sshd at LogLevel INFO, dropbear: no line tells).
     */
    terminal: 'yes' | 'unknown';
  };
}

/** A logins finding kind. */
export type LoginsFindingKind = keyof LoginsFindings;

/** A logins finding (the same shape core's Finding has once the kinds are merged). */
export type LoginsFinding = {
  [K in LoginsFindingKind]: FindingBase & { kind: K; data: LoginsFindings[K] };
}[LoginsFindingKind];

/** Every logins finding kind, for tests and the JSON schema. */
export const LOGINS_FINDING_KINDS = [
  'login-new-host',
  'login-odd-hour',
  'login-root-remote',
  'login-concurrent',
  'login-long-session',
  'login-system-account',
  'wtmp-tamper',
  'login-unmatched',
  'unclean-reboot',
] as const satisfies readonly LoginsFindingKind[];

type LoginsDetails = {
  [K in LoginsFindingKind]: (
    f: FindingBase & { kind: K; data: LoginsFindings[K] },
    time: TimeText,
  ) => string[];
};

function hours(list: readonly number[]): string {
  return list.length ? list.map((h) => `${h}h`).join(' ') : 'none';
}

/** Detail lines per logins finding kind for the text report (plain text; the renderer makes them terminal-safe). */
export const loginsDetails: LoginsDetails = {
  'login-new-host': (f) => [
    `${f.data.newNetwork ? 'new network' : 'new host in a known network'}${f.data.network ? ` ${f.data.network}` : ''}; ${f.data.priorLogins} earlier logins${f.data.basis === 'log-only' ? ' with a terminal' : ''}`,
    ...(f.data.knownHosts.length ? [`known hosts: ${f.data.knownHosts.join(', ')}`] : []),
    ...(f.data.logOnlyHosts?.length
      ? [`hosts of logins without a terminal: ${f.data.logOnlyHosts.join(', ')}`]
      : []),
  ],
  'login-odd-hour': (f) => [
    `hour ${f.data.hour} (${f.data.timeZone}); usual hours: ${hours(f.data.usualHours)} (±${f.data.windowHours}h)`,
  ],
  'login-root-remote': (f) => [`tty ${f.data.tty}${f.data.address ? `, address ${f.data.address}` : ''}`],
  'login-concurrent': (f, time) =>
    f.data.sessions.map((s) => `${s.tty} since ${time(s.start)}${s.host ? ` from ${s.host}` : ''}`),
  'login-long-session': (f) => [
    `open ${Math.round(f.data.openSeconds / 3600)} h; limit ${Math.round(f.data.limitSeconds / 3600)} h${f.data.usualSeconds === null ? `; ${f.data.finishedSessions} finished sessions, too few for a usual length` : `; usual up to ${Math.round(f.data.usualSeconds / 60)} min`}`,
    `${f.data.reportedAtSeconds === null ? 'first said now' : `said before at ${Math.round(f.data.reportedAtSeconds / 3600)} h`}; said again at ${Math.round(f.data.againAtSeconds / 3600)} h if still open`,
  ],
  'login-system-account': (f) => [`uid ${f.data.uid}, shell ${f.data.shell || '(none)'}`],
  'wtmp-tamper': (f) => [
    f.data.detail,
    ...(f.data.records.length
      ? [`records: ${f.data.records.join(', ')}${f.data.count > f.data.records.length ? ', …' : ''}`]
      : []),
  ],
  'unclean-reboot': (f, time) => [
    `last record before it: ${f.data.lastRecord.text} at ${time(f.data.lastRecord.time)}; previous boot ${time(f.data.previousBoot)}`,
    ...f.data.sessions
      .slice(0, 10)
      .map((s) => `cut: ${s.user} on ${s.tty} since ${time(s.start)}${s.host ? ` from ${s.host}` : ''}`),
    ...(f.data.sessionCount > 10 ? [`cut: ${f.data.sessionCount - 10} more sessions`] : []),
    ...(f.data.notListed > 0 ? [`${f.data.notListed} earlier unclean reboots not listed`] : []),
  ],
  'login-unmatched': (f) => [
    f.data.direction === 'log-without-wtmp'
      ? `in the auth log${f.data.pid === null ? '' : ` (pid ${f.data.pid})`}, not in wtmp (±${f.data.windowSeconds} s)`
      : `in wtmp on ${f.data.tty ?? '?'}${f.data.pid === null ? '' : ` (pid ${f.data.pid})`}, not in the auth log (±${f.data.windowSeconds} s)`,
  ],
};
