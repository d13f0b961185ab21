import { randomUUID } from 'node:crypto';
import { clip } from '../core/sanitize.ts';
import { Conn, credentials, endpoint, safeForPassword } from './conn.ts';
import { certSummary, loadCa } from './tls.ts';
import { waitForMail } from './mailbox.ts';
import { deletionSentence, describeRemoved, TEST_MAIL_MARKER } from './testmail.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * A small SMTP client written here rather than nodemailer's SMTPConnection: nodemailer is built to deliver
 * mail and hides the dialogue (banner text, EHLO extensions, which step answered what, per-step timing) that
 * this probe exists to observe and classify. The exchange is a handful of commands (RFC 5321, 3207, 4954).
 */

/** One SMTP reply: its code and its text lines (without the code). */
export interface SmtpReply {
  code: number;
  lines: string[];
}

/** Reads a (multi-line) SMTP reply; anything that is not `NNN[ -]text` is a protocol error. */
export async function readReply(conn: Conn, what: string): Promise<SmtpReply> {
  const lines: string[] = [];
  for (;;) {
    const line = await conn.readLine(what);
    const m = /^([2-5]\d\d)([ -]|$)(.*)$/.exec(line);
    if (!m) throw new ProbeFailure('protocol', `${what}: not an SMTP reply: ${clip(line, 80)}`);
    lines.push(m[3] ?? '');
    if (m[2] !== '-') return { code: Number(m[1]), lines };
  }
}

function expectCode(r: SmtpReply, ok: number, what: string): void {
  if (Math.floor(r.code / 100) !== Math.floor(ok / 100)) {
    throw new ProbeFailure('bad-status', `${what}: ${r.code} ${clip(r.lines.join(' '), 120)}`);
  }
}

/** EHLO, falling back to HELO; returns the extensions (upper-case keyword → parameters). */
async function hello(conn: Conn, name: string): Promise<Map<string, string>> {
  conn.writeLine(`EHLO ${name}`);
  const r = await readReply(conn, 'EHLO reply');
  if (r.code === 250) {
    const ext = new Map<string, string>();
    for (const l of r.lines.slice(1)) {
      const [kw = '', ...rest] = l.trim().split(/\s+/);
      if (kw !== '') ext.set(kw.toUpperCase(), rest.join(' '));
    }
    return ext;
  }
  conn.writeLine(`HELO ${name}`);
  expectCode(await readReply(conn, 'HELO reply'), 250, 'HELO');
  return new Map();
}

async function authenticate(
  p: ProbeRun,
  conn: Conn,
  ext: Map<string, string>,
  host: string,
): Promise<boolean> {
  const cred = credentials(p);
  if (cred === null) return false;
  if (!safeForPassword(conn, host)) {
    p.issue('WARNING', 'tls', 'AUTH not tried: no trusted TLS, and the password is not sent in clear');
    return false;
  }
  const mechs = (ext.get('AUTH') ?? '').toUpperCase().split(/\s+/);
  if (mechs.includes('PLAIN')) {
    const token = Buffer.from(`\0${cred.user}\0${cred.password}`).toString('base64');
    conn.writeLine(`AUTH PLAIN ${token}`, { secret: 'AUTH PLAIN ***' });
  } else if (mechs.includes('LOGIN')) {
    conn.writeLine('AUTH LOGIN');
    expectCode(await readReply(conn, 'AUTH LOGIN reply'), 334, 'AUTH LOGIN');
    conn.writeLine(Buffer.from(cred.user).toString('base64'), { secret: '*** (user)' });
    expectCode(await readReply(conn, 'AUTH LOGIN reply'), 334, 'AUTH LOGIN');
    conn.writeLine(Buffer.from(cred.password).toString('base64'), { secret: '*** (password)' });
  } else {
    throw new ProbeFailure(
      'protocol',
      `AUTH: the server offers no PLAIN or LOGIN (${ext.get('AUTH') ?? 'no AUTH'})`,
    );
  }
  const r = await readReply(conn, 'AUTH reply');
  expectCode(r, 235, `AUTH as ${cred.user}`);
  p.mark('auth');
  return true;
}

/**
 * The test message: a unique token in the subject, Message-ID, `X-Tenken-Probe` header and body, so it can
 * be found (and told from a person's mail, testmail.ts). `note` says what becomes of it (deletionSentence).
 */
export function roundtripMessage(o: {
  from: string;
  to: string;
  token: string;
  date: Date;
  helo: string;
  note?: string;
}): string {
  return [
    `From: <${o.from}>`,
    `To: <${o.to}>`,
    `Subject: tenken round trip ${o.token}`,
    `Date: ${o.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${o.token}@${o.helo}>`,
    `X-Tenken-Probe: ${o.token}`,
    '',
    `${TEST_MAIL_MARKER}.`,
    o.note ?? deletionSentence({ keep: false, mbox: false }),
    o.token,
    '',
  ].join('\r\n');
}

/** smtp:// (STARTTLS) and smtps:// (TLS from the start): banner, EHLO, STARTTLS, AUTH, and a round trip. */
export const smtp: ProbeKind = {
  name: 'smtp',
  description: 'SMTP: banner, EHLO, STARTTLS, optional AUTH, and a round trip into a mailbox',
  defaultPort: (scheme) => (scheme === 'smtps' ? 465 : 25),
  async run(p) {
    const implicit = p.url.protocol === 'smtps:';
    const { host, port } = endpoint(p.url, implicit ? 465 : 25);
    const ca = await loadCa(p);
    const tlsOpts = { servername: host, ...(ca === undefined ? {} : { ca }) };
    const helo = p.spec.helo ?? 'tenken.invalid';
    const conn = await Conn.open(p, host, port, implicit ? tlsOpts : undefined);
    const done: string[] = [];
    try {
      const banner = await readReply(conn, 'banner');
      p.mark('banner');
      p.details.banner = `${banner.code} ${banner.lines.join(' ')}`;
      expectCode(banner, 220, 'banner');
      if (p.spec.expect !== undefined && !p.details.banner.includes(p.spec.expect)) {
        throw new ProbeFailure(
          'bad-content',
          `banner "${clip(p.details.banner, 80)}" lacks "${p.spec.expect}"`,
        );
      }
      done.push(`banner in ${Math.round(p.timings.banner ?? 0)} ms`);
      let ext = await hello(conn, helo);
      p.mark('ehlo');
      const mode = p.spec.starttls ?? 'auto';
      if (!conn.secure && mode !== 'off') {
        if (ext.has('STARTTLS')) {
          conn.writeLine('STARTTLS');
          expectCode(await readReply(conn, 'STARTTLS reply'), 220, 'STARTTLS');
          await conn.startTls(tlsOpts, { opportunistic: mode === 'auto' });
          ext = await hello(conn, helo);
          done.push('STARTTLS');
        } else if (mode === 'require') {
          throw new ProbeFailure('tls', 'the server does not offer STARTTLS');
        }
      }
      p.details.extensions = [...ext.keys()];
      if (await authenticate(p, conn, ext, host)) done.push('AUTH');
      if (p.spec.roundtrip !== undefined) done.push(await roundtrip(p, conn, helo));
      conn.writeLine('QUIT');
      await readReply(conn, 'QUIT reply').catch(() => undefined);
      const cert = certSummary(p);
      if (cert !== null) done.push(cert);
      return { summary: done.join(', ') };
    } finally {
      conn.close();
    }
  },
};

async function roundtrip(p: ProbeRun, conn: Conn, helo: string): Promise<string> {
  const rt = p.spec.roundtrip;
  if (rt === undefined) return '';
  const token = `tenken-${randomUUID()}`;
  p.details.token = token;
  const from = rt.from ?? `tenken@${helo}`;
  const watch = await waitForMail.prepare(p, rt, { from, to: rt.to });
  // Earlier runs' test mails removed on the way are said whatever becomes of this one.
  let removedNote = '';
  let said = false;
  const sayRemoved = (): void => {
    if (said) return;
    said = true;
    // Something in a person's Maildir that is not a message file of theirs (a link to /etc/shadow, a FIFO)
    // was left alone: said, since only a person or a program of theirs puts it there.
    const left = watch.left();
    if (left !== null) {
      p.transcript.note(left);
      p.issue('WARNING', null, left);
    }
    const removed = watch.removed();
    const line = describeRemoved(removed, p.now());
    if (line === null) return;
    p.details.earlierTestMailsRemoved = removed.length;
    p.transcript.note(line.text);
    if (line.late) p.issue('WARNING', null, line.text);
    else removedNote = line.text;
  };
  try {
    conn.writeLine(`MAIL FROM:<${from}>`);
    expectCode(await readReply(conn, 'MAIL FROM reply'), 250, `MAIL FROM:<${from}>`);
    conn.writeLine(`RCPT TO:<${rt.to}>`);
    expectCode(await readReply(conn, 'RCPT TO reply'), 250, `RCPT TO:<${rt.to}>`);
    conn.writeLine('DATA');
    expectCode(await readReply(conn, 'DATA reply'), 354, 'DATA');
    const note = deletionSentence({ keep: rt.keep, mbox: rt.mbox !== undefined });
    conn.write(
      `${roundtripMessage({ from, to: rt.to, token, date: p.now(), helo, note })}.\r\n`,
      `(message with ${token})`,
    );
    expectCode(await readReply(conn, 'reply to the message'), 250, 'message');
    p.mark('queued');
    const queuedAt = performance.now();
    const where = await watch.wait(token);
    const ms = Math.round(performance.now() - queuedAt);
    p.mark('delivered');
    p.details.deliveryMs = ms;
    p.transcript.note(`test mail ${token} found in ${where} after ${ms} ms`);
    sayRemoved();
    return [`round trip delivered in ${ms} ms`, removedNote].filter((x) => x !== '').join(', ');
  } finally {
    sayRemoved();
  }
}
