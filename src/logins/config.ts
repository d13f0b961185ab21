import { sinceProblem } from '../core/time.ts';
import { isTimeZone } from '../core/tz.ts';
import { z } from 'zod';

const hostPathString = z.string().min(1).regex(/^\//, 'must be an absolute path (host paths start with /)');
const count = z.number().int().nonnegative();

const TRANSPORT_FORM = 'must be smtp://host:port, smtps://host:port or /path/to/sendmail';

/**
 * Why a mail transport setting cannot be used, or null. Said at load with file:line:col, so `config check`
 * catches `smtp://127.0.0.1:99999` instead of the monthly run failing on it. The messages never repeat the
 * setting: it may hold a password.
 */
export function transportProblem(transport: string): string | null {
  if (transport.startsWith('/')) return /\s/.test(transport) ? TRANSPORT_FORM : null;
  if (!/^smtps?:\/\/\S+$/i.test(transport)) return TRANSPORT_FORM;
  const port = /^[a-z]+:\/\/(?:[^/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/i.exec(transport)?.[1];
  if (
    port !== undefined &&
    port !== '' &&
    !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)
  )
    return `the port is not a number from 1 to 65535 (${TRANSPORT_FORM})`;
  let url: URL;
  try {
    url = new URL(transport);
  } catch {
    return `not a valid URL (${TRANSPORT_FORM})`;
  }
  if (url.hostname === '' || url.hostname === '[]') return `no host (${TRANSPORT_FORM})`;
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '')
    return `a path, query or fragment means nothing here (${TRANSPORT_FORM})`;
  return null;
}

/** Mail delivery of the per-user login reports (`tenken logins mail`). */
export const loginsMailConfig = z
  .object({
    /**
     * `smtp://host:port` (or `smtps://`), or the absolute path of a sendmail-compatible binary
     * (`/usr/sbin/sendmail`).
     */
    transport: z
      .string()
      .superRefine((t, ctx) => {
        const why = transportProblem(t);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      })
      .default('smtp://localhost:25'),
    /** Sender address; default `tenken@<host name>`. */
    from: z.string().min(3).optional(),
    /** Recipient per user name; users not listed get `<user>@<domain>`. */
    addresses: z.record(z.string().min(1), z.string().min(3)).default({}),
    /** Domain for users without an entry in `addresses`. */
    domain: z.string().min(1).default('localhost'),
    /** Users who get no report (shared accounts, ...), even when `addresses` names them. */
    skip: z.array(z.string().min(1)).default([]),
    /**
     * Mail only names with an account in /etc/passwd (root and system accounts never, unless in `addresses`).
     * Off: names /etc/passwd lacks are mailed too (users from LDAP or NIS).
     */
    requireAccount: z.boolean().default(true),
    /**
     * Send the transport URL's password to a server that is not this machine even when it offers no
     * STARTTLS (in clear). Off: such a server gets no password and no mail.
     */
    allowCleartextAuth: z.boolean().default(false),
    /**
     * Sessions listed in one user's mail, the latest; a longer period is counted by where the logins came from
     * instead, so the mail stays far under an MTA's size limit (postfix: 10 MB) whatever the history.
     */
    maxSessions: z.number().int().min(1).max(100_000).default(500),
    /** Deadline for connecting to the SMTP server and for each of its answers. */
    timeoutSeconds: z.number().positive().max(600).default(30),
  })
  .strict();

/** Options of the `logins` check under `checks.logins` in tenken.yaml; defaults live here. */
export const loginsConfig = z
  .object({
    /** The live wtmp; its rotated backups (`wtmp.1`, `wtmp.2.gz`, `wtmp-20261101.gz`) are found beside it. */
    wtmp: hostPathString.default('/var/log/wtmp'),
    /** lastlog, compared with wtmp (a login in lastlog that wtmp lacks was wiped from wtmp). */
    lastlog: hostPathString.default('/var/log/lastlog'),
    /** lastlog2's database (util-linux 2.40+, Debian 13), compared with wtmp the same way when it exists. */
    lastlog2: hostPathString.default('/var/lib/lastlog/lastlog2.db'),
    /** The inspected host's time zone for login hours (default: its /etc/timezone or /etc/localtime, else UTC). */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'not a time zone name this system knows (e.g. Asia/Tokyo)' })
      .optional(),
    /** Users with fewer earlier logins than this are not judged for new hosts (nothing to compare with). */
    minHistory: count.default(3),
    /** Earlier logins needed before login hours are judged. */
    minHistoryForHours: count.default(10),
    /** A login is at an odd hour when the user never logged in within this many hours of it (local time). */
    hourWindow: z.number().int().min(0).max(11).default(1),
    /** More simultaneous sessions of one user than this is reported (sessions from 2+ networks always are). */
    maxConcurrent: z.number().int().min(1).default(2),
    /** An open session is long when it lasts `longFactor` × the user's 90th percentile, and at least `longMinHours`. */
    longFactor: z.number().positive().default(4),
    longMinHours: z.number().positive().default(12),
    /** Limit for users with fewer than 5 finished sessions. */
    longDefaultHours: z.number().positive().default(48),
    /** Accounts below this uid (except root) are system accounts; /etc/login.defs UID_MIN wins when present. */
    uidMin: z.number().int().min(1).default(1000),
    /** System or nologin accounts allowed to log in (e.g. `ftp` for anonymous FTP logins in wtmp). */
    allowSystemLogins: z.array(z.string().min(1)).default([]),
    /** Clock steps backwards in wtmp smaller than this are ignored (NTP corrections). */
    backwardsToleranceSeconds: count.default(300),
    /** Reconcile wtmp with sshd/login lines of the auth log. */
    reconcile: z.boolean().default(true),
    /** How far apart an auth-log line and its wtmp record may be. */
    matchWindowSeconds: z.number().int().min(1).max(3600).default(60),
    /** Default `--since` of `tenken logins report|mail` (a span back from now or a date, as --since takes). */
    reportSince: z
      .string()
      .min(1)
      .superRefine((v, ctx) => {
        const why = sinceProblem(v, new Date());
        if (why) ctx.addIssue({ code: 'custom', message: why });
      })
      .default('30d'),
    mail: loginsMailConfig.prefault({}),
  })
  .strict();

/** Parsed `checks.logins` options. */
export type LoginsConfig = z.output<typeof loginsConfig>;

/** Parsed `checks.logins.mail` options. */
export type LoginsMailConfig = z.output<typeof loginsMailConfig>;
