import type { AttackEvent, Detector } from './types.ts';

/**
 * One failed login logged twice, in two logs: pam_unix's line in auth.log and the daemon's own line in
 * mail.log or its own file (dovecot's `auth failed, 1 attempts`, vsftpd's `FAIL LOGIN`), or a web server's
 * 401 in its access log and the error log's `password mismatch`. Counting both made three mistyped
 * passwords six failures, over the brute-force threshold. The copy that may stand alone (AttackEvent.echo)
 * is held until the end of the read and counted only when no own failure of the same attempt is found.
 */

/**
 * Per PAM service (`pam_unix(SERVICE:auth)`) or backend's service, the services whose own failure lines
 * repeat its failures (dovecot's auth worker, `pam(USER,ADDR): Password mismatch`, and its login process,
 * `auth failed, 1 attempts`, log one attempt twice).
 */
export const ECHO_OWNERS: Readonly<Record<string, readonly string[]>> = {
  dovecot: ['dovecot'],
  vsftpd: ['vsftpd'],
  proftpd: ['proftpd'],
  'pure-ftpd': ['pure-ftpd'],
  ftp: ['wu-ftpd', 'proftpd', 'vsftpd', 'pure-ftpd'],
  imap: ['courier'],
  pop3: ['courier'],
  samba: ['samba'],
};

/** Services whose own lines an access log's 401 or probe (4xx) repeats: the web servers' error logs. */
export const ACCESS_OWNERS: ReadonlySet<string> = new Set(['nginx', 'apache']);

/** Services whose own failures may have an echo (the detectors keep their failure times for matching). */
export const ECHOED: ReadonlySet<string> = new Set([...Object.values(ECHO_OWNERS).flat(), ...ACCESS_OWNERS]);

/** What an own event was, shared by a source's own events that are alike (one object, not one per event). */
export interface OwnKind {
  detector: Detector;
  service: string;
  user: string | undefined;
  path: string | undefined;
}

/** Packing of an own event's numbers: attempts left (at most 1000), status + 1, probe number + 1. */
const LEFT = 1024;
const STATUS = 1024;

/**
 * A source's own events an echo can match, column-wise: two numbers per event, and what it was as one shared
 * OwnKind while all are alike (an error log holds one line per probe, a scanner's millions, often of one
 * path). For each: time (ms), what it was, how many attempts are still unmatched, and for a web probe its
 * number in the source's probe tally (-1 for none) and its status (-1 while unknown: an error-log line knows
 * none, and the access-log line it absorbs gives it the one the server answered, else the 404 ratio left it
 * out). The numbers are packed in one: `left + LEFT * (status + 1) + LEFT * STATUS * (probe + 1)`.
 */
export class OwnEvents {
  readonly t: number[] = [];
  private readonly x: number[] = [];
  /** One kind for all, or one per event once they differ. */
  private kinds: OwnKind | OwnKind[] | undefined = undefined;
  private readonly alike = new Map<string, OwnKind>();

  /** Adds one own event (`left` attempts, at most 1000; `probe`/`status` -1 for none). */
  add(t: number, k: OwnKind, left: number, probe = -1, status = -1): void {
    const key = `${k.detector}\u0000${k.service}\u0000${k.user ?? '\u0001'}\u0000${k.path ?? '\u0001'}`;
    let shared = this.alike.get(key);
    if (shared === undefined) this.alike.set(key, (shared = k));
    const i = this.t.length;
    this.t.push(t);
    this.x.push(left + LEFT * (status + 1) + LEFT * STATUS * (probe + 1));
    const kinds = this.kinds;
    if (kinds === undefined) this.kinds = shared;
    else if (Array.isArray(kinds)) kinds.push(shared);
    else if (kinds !== shared) {
      const all = new Array<OwnKind>(i).fill(kinds);
      all.push(shared);
      this.kinds = all;
    }
  }

  /** How many own events there are. */
  get size(): number {
    return this.t.length;
  }

  /** What own event `i` was. */
  kind(i: number): OwnKind {
    const kinds = this.kinds;
    return (Array.isArray(kinds) ? kinds[i] : kinds) as OwnKind;
  }

  /** Attempts of own event `i` not matched yet. */
  left(i: number): number {
    return (this.x[i] as number) % LEFT;
  }

  /** Own event `i`'s probe number, or -1. */
  probe(i: number): number {
    return Math.floor((this.x[i] as number) / (LEFT * STATUS)) - 1;
  }

  /** Own event `i`'s probe status, or -1 while unknown. */
  status(i: number): number {
    return (Math.floor((this.x[i] as number) / LEFT) % STATUS) - 1;
  }

  /** One attempt of own event `i` matched an echo; a probe of unknown status takes the echo's. */
  take(i: number, status: number | undefined): void {
    let x = (this.x[i] as number) - 1;
    if (
      status !== undefined &&
      this.probe(i) !== -1 &&
      this.status(i) === -1 &&
      status >= 0 &&
      status <= 1000
    )
      x += LEFT * (status + 1);
    this.x[i] = x;
  }
}

/** A backend's line comes first and the daemon's own line at the latest when the connection ends. */
const BEFORE_MS = 5_000;
const BACKEND_AFTER_MS = 300_000;
/** The error log and the access log write one request within a second or two of each other. */
const ACCESS_AFTER_MS = 5_000;

/** Whether own event `o` is the attempt echo `e` repeats (time aside). */
function repeats(o: OwnKind, e: AttackEvent, p: string | undefined): boolean {
  if (e.echo === 'backend')
    return (
      o.detector === 'bruteforce' &&
      (ECHO_OWNERS[e.service] ?? []).includes(o.service) &&
      (o.user === undefined || e.user === undefined || o.user === e.user)
    );
  if (!ACCESS_OWNERS.has(o.service)) return false;
  // A password-file request in the access log (`GET /cgi-bin/phf?...cat%20/etc/passwd`) is also a probe,
  // which the error log may name (`script not found ...: /usr/local/apache/cgi-bin/phf`).
  if (o.detector !== e.detector && !(e.detector === 'passwd' && o.detector === 'webprobe')) return false;
  if (e.detector === 'bruteforce') return o.user === undefined || o.user === e.user;
  // A probe: nginx logs the request's path, Apache the file's (`/var/www/html/wp-login.php`), without the
  // query (`GET /cgi-bin/phf?Qalias=...` is `script not found or unable to stat: .../cgi-bin/phf`).
  if (p === undefined || o.path === undefined) return false;
  if (o.path === p) return true;
  const q = p.indexOf('?');
  const file = q < 0 ? p : p.slice(0, q);
  return file.length > 1 && file.startsWith('/') && o.path.endsWith(file);
}

/** Indexes `0..n-1` ordered by `t` (ties in index order, as a stable sort of the events leaves them). */
export function orderByTime(t: readonly number[]): Uint32Array {
  const order = new Uint32Array(t.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((x, y) => (t[x] as number) - (t[y] as number) || x - y);
}

/**
 * Which held echoes (times `t`, events `e` with their paths apart, in the order they were held) repeat an own event: in time order,
 * each takes the earliest own event of its window with attempts left (each own event absorbs as many echoes
 * as its attempts). Returns 1 per matched echo; `own`'s attempts are consumed, and an own probe of unknown
 * status takes the status of the access-log line it absorbs.
 */
export function matchEchoes(
  own: OwnEvents,
  held: { t: readonly number[]; e: readonly AttackEvent[]; path: readonly (string | undefined)[] },
): Uint8Array {
  const byTime = orderByTime(own.t);
  const ot = own.t;
  const matched = new Uint8Array(held.t.length);
  for (const h of orderByTime(held.t)) {
    const t = held.t[h] as number;
    const e = held.e[h] as AttackEvent;
    const after = e.echo === 'backend' ? BACKEND_AFTER_MS : ACCESS_AFTER_MS;
    // First own event at or after the window's start (binary search), then forward through the window.
    let lo = 0;
    let hi = byTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ot[byTime[mid] as number] as number) < t - BEFORE_MS) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < byTime.length && (ot[byTime[i] as number] as number) <= t + after; i++) {
      const o = byTime[i] as number;
      if (own.left(o) > 0 && repeats(own.kind(o), e, held.path[h])) {
        own.take(o, e.status);
        matched[h] = 1;
        break;
      }
    }
  }
  return matched;
}
