/**
 * Mailing each user their own login report (`tenken logins mail`), through nodemailer: an SMTP server
 * (`smtp://localhost:25` by default) with deadlines on connecting and on every answer, or a sendmail binary
 * (run in its own process group, killed with everything it started at the deadline).
 * The message has a plain-text part and an HTML alternative; `--dry-run DIR` writes the .eml files nodemailer
 * would send instead. A failure is one line: `Cannot send ... via smtp://localhost:25: connection refused`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lazyRequire } from '../core/lazy.ts';
import { describe, reason, TenkenError } from '../core/errors.ts';
import { isLoopback } from '../probes/conn.ts';
import { redactUrl } from '../probes/spec.ts';
import { writeFileAtomic } from '../state/atomic.ts';
import { type Account, systemReason } from './audit.ts';
import type { LoginsMailConfig } from './config.ts';
import { htmlDocument, renderUserSection, renderUserText, type UserReport } from './user-report.ts';

const nodemailer = lazyRequire<typeof import('nodemailer')>('nodemailer');
/** The part of nodemailer's SMTPConnection the SMTPUTF8 probe uses (its types are not reachable through exports). */
interface SmtpProbe {
  once(event: 'error', listener: (err: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  connect(callback: (err?: Error) => void): void;
  quit(): void;
  /** The EHLO keywords (nodemailer's own field). */
  _supportedExtensions?: string[];
}
const smtpConnection = lazyRequire<new (options: object) => SmtpProbe>('nodemailer/lib/smtp-connection');

/** One message to send. */
export interface ReportMail {
  user: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

/** Address of a user: the config's map, else `user@domain`. */
export function addressOf(user: string, cfg: Pick<LoginsMailConfig, 'addresses' | 'domain'>): string {
  return cfg.addresses[user] ?? `${user}@${cfg.domain}`;
}

// A user name from wtmp goes into a header: only names a mailbox can have are mailed (others are skipped
// and said so), so no header injection or odd address can come from a log.
const SAFE_USER = /^[A-Za-z0-9._-]{1,32}$/;

/** The accounts of the inspected host (its /etc/passwd) and where people's uids start (UID_MIN). */
export interface MailAccounts {
  accounts: ReadonlyMap<string, Account>;
  uidMin: number;
}

/**
 * Why a user gets no mail, or null when they get one. A name in `addresses` is always mailed (unless in
 * `skip`): that is the way to mail root, a system account or a name /etc/passwd lacks. Otherwise only a
 * person's account is: a name without an account (a deleted user, noise such as `Uhonsha` from a modem line)
 * has nobody to read it unless `requireAccount` is off (LDAP or NIS users); root's logins are the
 * administrators' own; system accounts (uid below UID_MIN, or a nologin shell, as the login audit judges
 * them) are no one's mailbox.
 */
export function skipReason(
  user: string,
  cfg: Pick<LoginsMailConfig, 'skip' | 'addresses' | 'requireAccount'>,
  people: MailAccounts,
): string | null {
  if (cfg.skip.includes(user)) return 'in the skip list';
  if (cfg.addresses[user] !== undefined) return null;
  if (!SAFE_USER.test(user)) return 'not a name a mailbox can have (set checks.logins.mail.addresses for it)';
  const acct = people.accounts.get(user);
  if (!acct) {
    return cfg.requireAccount
      ? 'no account in /etc/passwd (a deleted user, or not a user at all); set checks.logins.mail.addresses for it to mail it'
      : null;
  }
  if (acct.uid === 0)
    return "uid 0: root's logins are the administrators' own (set checks.logins.mail.addresses for it to mail them)";
  const why = systemReason(acct, people.uidMin);
  if (why === 'system-uid')
    return `a system account (uid ${acct.uid}, below ${people.uidMin}); set checks.logins.mail.addresses for it to mail it`;
  if (why === 'nologin-shell')
    return `a system account (shell ${acct.shell}); set checks.logins.mail.addresses for it to mail it`;
  return null;
}

/** Messages for the reports; users who get none (skipReason) are returned apart with the reason. */
export function buildMails(
  reports: readonly UserReport[],
  cfg: LoginsMailConfig,
  machine: string,
  people: MailAccounts,
): { mails: ReportMail[]; skipped: { user: string; why: string }[] } {
  const mails: ReportMail[] = [];
  const skipped: { user: string; why: string }[] = [];
  const from = cfg.from ?? `tenken@${SAFE_USER.test(machine) ? machine : 'localhost'}`;
  for (const r of reports) {
    const why = skipReason(r.user, cfg, people);
    if (why !== null) {
      skipped.push({ user: r.user, why });
      continue;
    }
    const title = `Your logins on ${machine}`;
    mails.push({
      user: r.user,
      to: addressOf(r.user, cfg),
      from,
      subject: `${title}: ${r.sessions.length} login${r.sessions.length === 1 ? '' : 's'} to confirm`,
      text: renderUserText(r, { limit: cfg.maxSessions }),
      html: htmlDocument(title, [renderUserSection(r, { limit: cfg.maxSessions })]),
    });
  }
  return { mails, skipped };
}

/** The state kind (STATE/logins-mail.json) holding where each user's last accepted mail ended. */
export const MAIL_STATE = 'logins-mail';

/**
 * Per user, the end (seconds) of the last period whose mail the server accepted: the next run's period for
 * that user starts there, so every login is mailed once whatever the cron schedule (a monthly run with a
 * 30-day period missed the 31st day; a weekly one mailed each login four times).
 */
export interface MailMarks {
  v: 1;
  marks: Record<string, number>;
}

/** The saved marks, leniently: anything that is not a mark is dropped (that user starts afresh). */
export function readMailMarks(raw: unknown): MailMarks {
  const out: MailMarks = { v: 1, marks: {} };
  const marks = raw && typeof raw === 'object' ? (raw as { marks?: unknown }).marks : undefined;
  if (!marks || typeof marks !== 'object') return out;
  for (const [user, sec] of Object.entries(marks))
    if (typeof sec === 'number' && Number.isSafeInteger(sec) && sec >= 0) out.marks[user] = sec;
  return out;
}

/** The part of a nodemailer transporter used here (SMTP and sendmail alike). */
export interface MailTransport {
  sendMail(m: { from: string; to: string; subject: string; text: string; html: string }): Promise<unknown>;
  close(): void;
}

/** Where the messages go: an SMTP URL or a sendmail binary, as the config says. */
export function transportOf(
  cfg: Pick<LoginsMailConfig, 'transport' | 'timeoutSeconds' | 'allowCleartextAuth'>,
): MailTransport {
  if (cfg.transport.startsWith('/')) return sendmailTransport(cfg.transport, cfg.timeoutSeconds * 1000);
  return smtpTransport(smtpOptions(cfg));
}

/**
 * Whether an envelope address needs SMTPUTF8 (RFC 6531): a non-ASCII local part (`山田@例え.jp`). A
 * non-ASCII domain alone does not: nodemailer writes it as its A-label (`xn--r8jz45g.jp`).
 */
export function needsSmtpUtf8(address: string): boolean {
  const at = address.lastIndexOf('@');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for anything past ASCII
  return /[^\x00-\x7f]/.test(at < 0 ? address : address.slice(0, at));
}

/**
 * nodemailer's SMTP transport, refusing a message whose envelope needs SMTPUTF8 when the server does not
 * offer it: nodemailer then sends the raw UTF-8 address without the SMTPUTF8 keyword, an envelope the server
 * may garble or bounce later. The server's extensions come from one EHLO (after STARTTLS, as the send does),
 * asked once per run and only when such an address is there.
 */
export function smtpTransport(opts: SmtpOptions): MailTransport {
  const inner = nodemailer().createTransport(opts);
  let offers: Promise<boolean> | undefined;
  return {
    async sendMail(m) {
      if (needsSmtpUtf8(m.to) || needsSmtpUtf8(m.from)) {
        offers ??= offersSmtpUtf8(opts);
        if (!(await offers))
          throw Object.assign(
            new Error(
              `the server does not offer SMTPUTF8, which the address ${needsSmtpUtf8(m.to) ? m.to : m.from} needs (a non-ASCII local part): not sent`,
            ),
            { code: 'ESMTPUTF8' },
          );
      }
      return inner.sendMail(m);
    },
    close() {
      inner.close();
    },
  };
}

/** Whether the server lists SMTPUTF8 in its EHLO answer (connects, EHLO, STARTTLS as the options say, QUIT). */
async function offersSmtpUtf8(opts: SmtpOptions): Promise<boolean> {
  const SMTPConnection = smtpConnection();
  const { auth: _auth, ...connect } = opts;
  const conn = new SMTPConnection(connect);
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once('error', reject);
      conn.connect((err) => (err ? reject(err) : resolve()));
    });
    return (conn._supportedExtensions ?? []).includes('SMTPUTF8');
  } finally {
    conn.on('error', () => undefined);
    conn.quit();
  }
}

/** nodemailer's SMTP options for a transport URL (the config checked it at load). */
export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  dnsTimeout: number;
  tls: { rejectUnauthorized: boolean };
  auth?: { user: string; pass: string };
}

/**
 * The SMTP options of a transport URL. With a user and password in it and a server that is not this machine,
 * STARTTLS is required (nodemailer's requireTLS): a server that offers none gets no password in clear unless
 * `allowCleartextAuth` says so; smtps:// is TLS from the start. The local MTA's certificate is usually
 * self-signed and is not checked; any other server's must be valid.
 */
export function smtpOptions(
  cfg: Pick<LoginsMailConfig, 'transport' | 'timeoutSeconds' | 'allowCleartextAuth'>,
): SmtpOptions {
  const ms = cfg.timeoutSeconds * 1000;
  const url = new URL(cfg.transport);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = isLoopback(host);
  const auth = url.username
    ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
    : undefined;
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    requireTLS: auth !== undefined && !secure && !local && !cfg.allowCleartextAuth,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    dnsTimeout: ms,
    tls: { rejectUnauthorized: !local },
    ...(auth ? { auth } : {}),
  };
}

/**
 * A sendmail-compatible binary (`sendmail -i -f FROM TO`, the message on its stdin), run in its own process
 * group: at the deadline (`timeoutMs` for the whole message) the group is killed, the binary and whatever it
 * started, and its exit is waited for, so nothing is left behind.
 */
export function sendmailTransport(binary: string, timeoutMs: number): MailTransport {
  const composer = nodemailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async sendMail(m) {
      const info = await composer.sendMail(m);
      const { from, to } = info.envelope;
      // An address starting with '-' would be read as an option (nodemailer's sendmail transport refuses it too).
      if ([from || '', ...to].some((a) => /^"?-/.test(a)))
        throw Object.assign(new Error('invalid envelope address'), { code: 'EENVELOPE' });
      await runTransport(
        binary,
        ['-i', ...(from ? ['-f', from] : []), ...to],
        info.message as Buffer,
        timeoutMs,
      );
    },
    close() {
      composer.close();
    },
  };
}

/** How much of the binary's stderr is kept (its first line goes into the error). */
const STDERR_KEEP = 4096;

/** The first non-empty line of a program's stderr, trimmed (the rest is usually a repeat or a usage text). */
export function firstLine(stderr: string): string {
  return (
    stderr
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/**
 * Runs `binary args` with `input` on its stdin in a new process group; kills the group at the deadline. A
 * failure carries the first line of what the binary said on stderr (`exited with code 67: no such user`).
 */
function runTransport(binary: string, args: string[], input: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let stderrDone = false;
    // Drained whatever its size (a full pipe would block the binary), the first bytes kept.
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr += chunk.toString('utf8').slice(0, STDERR_KEEP - stderr.length);
    });
    child.stderr.on('error', () => undefined);
    child.stderr.once('close', () => {
      stderrDone = true;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.once('error', (err) => {
      // Not started at all (ENOENT, EACCES); once started, 'exit' follows and tells more.
      if (child.pid === undefined) {
        clearTimeout(timer);
        reject(err);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      let settled = false;
      const settle = (): void => {
        if (settled) return;
        settled = true;
        child.stderr.destroy();
        const said = firstLine(stderr);
        const fail = (what: string): void =>
          reject(Object.assign(new Error(said ? `${what}: ${said}` : what), { code: 'ESENDMAIL' }));
        if (timedOut) reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
        else if (code) fail(`exited with code ${code}`);
        else if (signal) fail(`killed by ${signal}`);
        else resolve();
      };
      // Its last words may still be in the pipe; a child it left behind may hold the pipe open: wait briefly.
      if (stderrDone) settle();
      else {
        const grace = setTimeout(settle, 200);
        child.stderr.once('close', () => {
          clearTimeout(grace);
          settle();
        });
      }
    });
    // A transport that exits without reading its input makes the write fail (EPIPE): its exit says more.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** SIGKILL to a whole process group (the transport and its children); gone already is fine. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** What happened to one message. */
export interface SendResult {
  user: string;
  to: string;
  /** Where it went (`smtp://localhost:25`, its password masked; the .eml path) or null on failure. */
  sent: string | null;
  error: string | null;
}

/**
 * A user name as a file name that no other name gets: letters, digits, `_`, `-` and inner dots kept, every
 * other byte of its UTF-8 (a leading dot, `%`, `/`, non-ASCII) as `%XX`. Before, `.x` and `_x` both became
 * `_x.eml` and one report overwrote the other.
 */
export function emlName(user: string): string {
  let out = '';
  for (const [i, byte] of Buffer.from(user, 'utf8').entries()) {
    const c = String.fromCharCode(byte);
    out +=
      /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0)
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out || '%';
}

/**
 * Writes each message as DIR/USER.eml (what would be sent; the name as emlName gives it), creating DIR. Each file is written atomically
 * (mode 0600: a user's logins are theirs) and never through a symlink; a failure is a one-line TenkenError.
 */
export async function writeEml(mails: readonly ReportMail[], dir: string): Promise<SendResult[]> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new TenkenError(describe(`Cannot create ${dir}`, err));
  }
  const composer = nodemailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const out: SendResult[] = [];
  // Names differing only in case share a file on a case-insensitive file system: `~N` (never in emlName).
  const taken = new Set<string>();
  for (const m of mails) {
    const info = await composer.sendMail({
      from: m.from,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
    });
    let name = emlName(m.user);
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${emlName(m.user)}~${n}`;
    taken.add(name.toLowerCase());
    const file = path.join(dir, `${name}.eml`);
    writeFileAtomic(file, info.message as Buffer);
    out.push({ user: m.user, to: m.to, sent: file, error: null });
  }
  return out;
}

const CONNECTION_ERRORS = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETLS',
]);

/** Why a send failed, in a few words (nodemailer's message, or the errno text of its cause). */
export function sendFailure(err: unknown): string {
  const e = err as
    | { code?: string; errno?: unknown; message?: string; cause?: unknown; response?: string }
    | undefined;
  if (e?.code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '')) return 'timed out';
  if (e?.code === 'ESMTPUTF8') return e.message ?? 'the server does not offer SMTPUTF8';
  // requireTLS (a password for a server that is not this machine) and no STARTTLS: nodemailer tries it anyway.
  if (e?.code === 'ETLS' && (e as { command?: string }).command === 'STARTTLS')
    return `the server offers no STARTTLS${e.response ? ` (${e.response.split('\n')[0]})` : ''}, and the transport's password is not sent in clear (checks.logins.mail.allowCleartextAuth: true would send it)`;
  if (e?.cause) {
    const why = reason(e.cause);
    if (why) return why;
  }
  if (/ECONNREFUSED/.test(e?.message ?? '')) return 'connection refused';
  if (e?.response) return e.response.split('\n')[0] ?? 'rejected';
  return reason(err).split('\n')[0] ?? 'failed';
}

/**
 * Sends each message; stops at the first connection-level failure (the server is down for everyone) and
 * reports the rest as not sent. `onAccepted` runs as soon as the server took a message (the caller saves that
 * user's mark then, not at the end: a run that fails half-way must not mail the others again); when it
 * returns a reason instead of null, the rest are not sent. Never throws for a delivery problem.
 */
export async function sendMails(
  mails: readonly ReportMail[],
  cfg: LoginsMailConfig,
  onAccepted: (m: ReportMail) => string | null = () => null,
): Promise<SendResult[]> {
  const transport = transportOf(cfg);
  const out: SendResult[] = [];
  let down: string | null = null;
  try {
    for (const m of mails) {
      if (down) {
        out.push({ user: m.user, to: m.to, sent: null, error: `not sent: ${down}` });
        continue;
      }
      try {
        // A backstop: nodemailer's SMTP deadlines are per step (connect, each answer), and the sendmail
        // transport kills its process group at timeoutSeconds.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
            cfg.timeoutSeconds * 1000 * 3,
          );
        });
        try {
          await Promise.race([
            transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html }),
            deadline,
          ]);
        } finally {
          clearTimeout(timer);
        }
        out.push({ user: m.user, to: m.to, sent: redactUrl(cfg.transport), error: null });
        const stop = onAccepted(m);
        if (stop !== null) down = stop;
      } catch (err) {
        const why = sendFailure(err);
        out.push({ user: m.user, to: m.to, sent: null, error: why });
        const code = (err as { code?: string }).code;
        if (code && CONNECTION_ERRORS.has(code)) down = why;
      }
    }
  } finally {
    transport.close();
  }
  return out;
}
