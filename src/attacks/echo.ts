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

/** An own event an echo can match: time (ms), what it was, and how many attempts are still unmatched. */
export interface OwnEvent {
  t: number;
  detector: Detector;
  service: string;
  user: string | undefined;
  path: string | undefined;
  left: number;
  /**
   * The web probe this own event stands for: an error-log line knows no status, and the access-log line it
   * absorbs gives it the one the server answered (else the 404 ratio left it out).
   */
  probe?: { status: number | undefined };
}

/** A backend's line comes first and the daemon's own line at the latest when the connection ends. */
const BEFORE_MS = 5_000;
const BACKEND_AFTER_MS = 300_000;
/** The error log and the access log write one request within a second or two of each other. */
const ACCESS_AFTER_MS = 5_000;

/** Whether own event `o` is the attempt echo `e` repeats (time aside). */
function repeats(o: OwnEvent, e: AttackEvent): boolean {
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
  const p = e.path;
  if (p === undefined || o.path === undefined) return false;
  if (o.path === p) return true;
  const q = p.indexOf('?');
  const file = q < 0 ? p : p.slice(0, q);
  return file.length > 1 && file.startsWith('/') && o.path.endsWith(file);
}

/**
 * Splits held echoes into those that repeat an own event (each own event absorbs as many echoes as its
 * attempts) and those that stand alone. Both lists in any order; `own` is consumed.
 */
export function matchEchoes<T extends { e: AttackEvent; t: number }>(
  own: OwnEvent[],
  held: T[],
): { alone: T[]; matched: T[] } {
  const byTime = [...own].sort((x, y) => x.t - y.t);
  const alone: T[] = [];
  const matched: T[] = [];
  for (const h of [...held].sort((x, y) => x.t - y.t)) {
    const after = h.e.echo === 'backend' ? BACKEND_AFTER_MS : ACCESS_AFTER_MS;
    // First own event at or after the window's start (binary search), then forward through the window.
    let lo = 0;
    let hi = byTime.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((byTime[mid] as OwnEvent).t < h.t - BEFORE_MS) lo = mid + 1;
      else hi = mid;
    }
    let found: OwnEvent | undefined;
    for (let i = lo; i < byTime.length && (byTime[i] as OwnEvent).t <= h.t + after; i++) {
      const o = byTime[i] as OwnEvent;
      if (o.left > 0 && repeats(o, h.e)) {
        found = o;
        break;
      }
    }
    if (found) {
      found.left--;
      if (found.probe && found.probe.status === undefined) found.probe.status = h.e.status;
      matched.push(h);
    } else alone.push(h);
  }
  return { alone, matched };
}
