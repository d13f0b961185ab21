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

/** Services whose own failures an access log's 401 repeats. */
const ACCESS_OWNERS: readonly string[] = ['nginx', 'apache'];

/** Services whose own failures may have an echo (the detectors keep their failure times for matching). */
export const ECHOED = new Set([...Object.values(ECHO_OWNERS).flat(), ...ACCESS_OWNERS]);

/** An own failure an echo can match: time (ms), service, user, and how many attempts are still unmatched. */
export interface OwnFailure {
  t: number;
  service: string;
  user: string | undefined;
  left: number;
}

/** A backend's line comes first and the daemon's own line at the latest when the connection ends. */
const PAM_BEFORE_MS = 5_000;
const PAM_AFTER_MS = 300_000;
/** The error log and the access log write one request within a second or two of each other. */
const ACCESS_MS = 5_000;

/** The own failure (unmatched attempts left) that an echo of `kind` at `t` repeats, or undefined. */
export function ownFailureOf(
  own: readonly OwnFailure[],
  kind: 'backend' | 'access',
  service: string,
  user: string | undefined,
  t: number,
): OwnFailure | undefined {
  if (kind === 'backend') {
    const owners = ECHO_OWNERS[service] ?? [];
    return own.find(
      (o) =>
        o.left > 0 &&
        owners.includes(o.service) &&
        o.t >= t - PAM_BEFORE_MS &&
        o.t <= t + PAM_AFTER_MS &&
        (o.user === undefined || user === undefined || o.user === user),
    );
  }
  return own.find(
    (o) =>
      o.left > 0 &&
      ACCESS_OWNERS.includes(o.service) &&
      Math.abs(o.t - t) <= ACCESS_MS &&
      (o.user === undefined || o.user === user),
  );
}
