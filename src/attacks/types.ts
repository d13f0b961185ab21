/**
 * Shared shapes of the attack pipeline: a split log line goes into an extractor, which returns an event
 * (or a note for the multi-line joiner); events go into the sliding-window detectors.
 */

/** The detectors an event can feed (`openproxy`: a proxy relayed for an outside client). */
export const DETECTORS = ['bruteforce', 'portscan', 'webprobe', 'passwd', 'openproxy'] as const;

/** Which detector counts an event. */
export type Detector = (typeof DETECTORS)[number];

/**
 * What kind of event a line is. `success` is a login that worked (counted only to tell whether an attack
 * then succeeded); every other kind is something done to the server by `host`.
 */
export type EventKind =
  /** Wrong password, unknown user, refused login: one guess. */
  | 'failure'
  /** A mail server refused to relay, verify or accept from the host. */
  | 'reject'
  /** A login that succeeded (sshd `Accepted`, ftp `OK LOGIN`). */
  | 'success'
  /** A scan already recognised by a scan detector (portsentry, scanlogd). */
  | 'scan'
  /** A refused, dropped or aborted connection (tcp wrappers, xinetd, firewall LOG, no SSH banner). */
  | 'refused'
  /** A request for a known probe path, or a shellshock header. */
  | 'probe'
  /** A proxy (or a web server's CONNECT) relayed a request to another site for `host`. */
  | 'relay';

/** A log line split into its syslog parts; extractors take these and never see the raw prefix. */
export interface ParsedLine {
  /** Syslog tag (`sshd`, `postfix/smtpd`), or '' for a daemon's own log without a tag. */
  program: string;
  /** Process id from `prog[pid]`, or null. */
  pid: number | null;
  /** The message after `prog[pid]: `; for untagged lines, the text after the time stamp. */
  message: string;
  /** The text after the time stamp and host name (tag included), for own-log formats. */
  text: string;
  /** Time of the line (epoch ms) when its prefix has one, else null. */
  time: number | null;
}

/** One thing a detector counts: who did what to which service. Text fields are untrusted log text. */
export interface AttackEvent {
  detector: Detector;
  kind: EventKind;
  /** The remote address or name exactly as logged, `::ffff:` stripped; `local` for a local tty. */
  host: string;
  user?: string;
  /** Daemon family (`sshd`, `postfix`, `apache`...). */
  service: string;
  /** How many failures this line stands for (0 for a success with none pending). */
  attempts: number;
  /** Epoch milliseconds, or null when the line has no time (numbers: a Date is made only for a finding). */
  time: number | null;
  /** Target port (scans, firewall lines). */
  port?: number;
  /** Ports a scan detector listed. */
  ports?: number[];
  /** Requested path (web probes, passwd reads). */
  path?: string;
  /** HTTP status or FTP completion answer, when logged. */
  status?: number;
  /** For passwd reads: whether the server answered with the file (2xx, FTP transfer complete). */
  answered?: boolean;
  /**
   * Set on a failure another line may also hold in the daemon's own words: `backend` for the line of the
   * authentication backend (pam_unix for dovecot, vsftpd, proftpd...; dovecot's auth worker) of a daemon
   * that logs its own failures, `access` for a 401 in a web server's access log (its error log names the
   * same request). The detectors count it only when no own failure from the same host matches it.
   */
  echo?: 'backend' | 'access';
  /**
   * The site an absolute-form request named in a proxy's log (`GET http://www.example.net/...`): the proxy
   * relayed it there. The accounting keeps such an event only when the site is this host, and then drops
   * this field (see Accountant).
   */
  target?: string;
  /** The server the proxy fetched it from (Squid's hierarchy field): this host's address makes it this host's. */
  targetPeer?: string;
  /**
   * The proxy relayed the request (2xx/3xx, not denied, no proxy user): when `target` is another site and the
   * client is not local, the accounting makes the event an `openproxy` relay (see Accountant).
   */
  relayed?: true;
}

/**
 * A fact for the multi-line joiner, keyed by process (or mail queue id):
 * - `connect`: the host of this connection, for later lines that lack it;
 * - `invalid`: sshd's `Invalid user X from HOST`, the first sign of a connection's first attempt;
 * - `attempt`: sshd's `Failed ... for invalid user X` or `Failed keyboard-interactive...`, a failure unless
 *   it is the attempt `invalid` or `pamError` counted;
 * - `pamError`: old OpenSSH's `PAM: Authentication failure for X from HOST`, whose `Failed` line follows;
 * - `pending`: a failure whose host comes later (`Too many authentication failures`);
 * - `close`: the connection ended (`Connection closed by HOST`), releasing a pending failure;
 * - `pam`: a pam_unix failure of a daemon that also logs its own failures (counted only when alone);
 * - `success`: a login that worked, ending a run of pam failures.
 */
export type Note =
  | { note: 'connect'; key: JoinKey; host: string }
  | { note: 'invalid' | 'attempt' | 'pamError'; key: JoinKey; event: AttackEvent }
  | {
      note: 'pending';
      key: JoinKey;
      event: Omit<AttackEvent, 'host'> & { host?: string };
      /** Dropped when this connection's terminal failure was already counted. */
      unlessCounted?: boolean;
      /**
       * Ends a run of failures (OpenSSH logs `maximum authentication attempts exceeded` right after the
       * connection's last `Failed` line): no attempt of its own when a failure line of the connection counted.
       */
      afterFailures?: boolean;
      /** Held until the connection closes even when its host is already known. */
      defer?: boolean;
    }
  | { note: 'close'; key: JoinKey; host: string; time: number | null }
  | { note: 'pam'; key: JoinKey; host: string; user: string; service: string; time: number | null }
  | { note: 'success'; key: JoinKey; event: AttackEvent };

/** A joiner key: sshd's pid (a number, -1 when the line has none), or a mail queue id (`sendmail:ID`). */
export type JoinKey = number | string;

/** What an extractor makes of a line: an event, a note for the joiner, or nothing. */
export type Extracted = AttackEvent | Note | null;

/** One daemon family's extraction rules. */
export interface Extractor {
  /** One line for docs and `--help`. */
  description: string;
  /** Syslog tags handled, exact (`sshd`, `sm-mta`). */
  programs: readonly string[];
  /** Tags handled by pattern (`postfix/smtpd`, `postfix-incoming/smtpd`). */
  programPattern?: RegExp;
  /**
   * Substrings of which every line this family can count contains one (case-sensitive). They make the
   * pipeline's prefilter: a line holding none of them is never split or matched.
   */
  needles: readonly string[];
  /** Pure: a split line to zero or one event or note. */
  extract(line: ParsedLine): Extracted;
}

/** Builds an event, leaving optional fields out rather than undefined (exactOptionalPropertyTypes). */
export function event(
  detector: Detector,
  kind: EventKind,
  host: string,
  service: string,
  time: number | null,
  extra: {
    user?: string | undefined;
    port?: number | undefined;
    ports?: number[] | undefined;
    path?: string | undefined;
    status?: number | undefined;
    answered?: boolean | undefined;
    attempts?: number;
    echo?: AttackEvent['echo'];
  } = {},
): AttackEvent {
  const e: AttackEvent = {
    detector,
    kind,
    host,
    service,
    attempts: extra.attempts ?? (kind === 'success' ? 0 : 1),
    time,
  };
  if (extra.user !== undefined) e.user = extra.user;
  if (extra.port !== undefined) e.port = extra.port;
  if (extra.ports !== undefined) e.ports = extra.ports;
  if (extra.path !== undefined) e.path = extra.path;
  if (extra.status !== undefined) e.status = extra.status;
  if (extra.answered !== undefined) e.answered = extra.answered;
  if (extra.echo !== undefined) e.echo = extra.echo;
  return e;
}

/** True for a note (joiner input), false for an event. */
export function isNote(x: AttackEvent | Note): x is Note {
  return 'note' in x;
}
