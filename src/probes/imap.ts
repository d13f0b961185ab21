import { clip } from '../core/sanitize.ts';
import { Conn, credentials, endpoint, safeForPassword } from './conn.ts';
import { plural } from './http.ts';
import { certSummary, loadCa } from './tls.ts';
import type { MailboxLook, TestMail } from './testmail.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * IMAP (RFC 3501) by hand: the probe needs the greeting, CAPABILITY, STARTTLS, LOGIN, SELECT and one
 * SEARCH — a few tagged commands. Full IMAP libraries (imapflow) are not a dependency and would hide the
 * greeting and the exact tagged replies the report shows.
 */

/** One untagged response: its text (continued after each literal) and its literals, each by its item. */
interface Untagged {
  text: string;
  literals: { item: string; data: Buffer }[];
}

/** A tagged command's outcome plus the untagged responses before it. */
interface Tagged {
  status: string;
  text: string;
  untagged: string[];
  responses: Untagged[];
}

/** Quotes a string for IMAP (RFC 3501 quoted string). */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

class Session {
  readonly conn: Conn;
  #tag = 0;
  constructor(conn: Conn) {
    this.conn = conn;
  }

  /** Sends a tagged command and reads to its completion; literals `{n}` in replies are kept with theirs. */
  async command(cmd: string, what: string, secret?: string): Promise<Tagged> {
    const tag = `t${++this.#tag}`;
    this.conn.writeLine(`${tag} ${cmd}`, secret === undefined ? {} : { secret: `${tag} ${secret}` });
    const responses: Untagged[] = [];
    // An untagged response whose line ended in a literal: the next line continues it.
    let open: Untagged | null = null;
    for (;;) {
      const line = await this.conn.readLine(what);
      let resp: Untagged | null = open;
      if (resp !== null) {
        resp.text += line;
      } else if (line.startsWith(`${tag} `)) {
        const m = /^\S+ (OK|NO|BAD)\b ?(.*)$/i.exec(line);
        if (!m) throw new ProbeFailure('protocol', `${what}: not an IMAP reply: ${clip(line, 80)}`);
        const status = (m[1] ?? '').toUpperCase();
        if (status !== 'OK')
          throw new ProbeFailure('bad-status', `${what}: ${status} ${clip(m[2] ?? '', 120)}`);
        return { status, text: m[2] ?? '', untagged: responses.map((r) => r.text), responses };
      } else if (line.startsWith('* ')) {
        resp = { text: line.slice(2), literals: [] };
        responses.push(resp);
      }
      const lit = /\{(\d+)\}$/.exec(line);
      open = null;
      if (lit) {
        const data = await this.conn.readBytes(Number(lit[1]), `${what} (literal)`);
        if (resp !== null) {
          const item = /(\S+) \{\d+\}$/.exec(line)?.[1]?.toUpperCase() ?? '';
          resp.literals.push({ item, data });
          open = resp;
        }
      }
    }
  }
}

/** Opens a session: greeting, CAPABILITY, STARTTLS per the spec, LOGIN when credentials are given. */
async function openSession(
  p: ProbeRun,
  url: URL,
  mark: boolean,
): Promise<{ s: Session; banner: string; caps: string }> {
  const implicit = url.protocol === 'imaps:';
  const { host, port } = endpoint(url, implicit ? 993 : 143);
  const ca = await loadCa(p);
  const tlsOpts = { servername: host, ...(ca === undefined ? {} : { ca }) };
  const conn = await Conn.open(p, host, port, implicit ? tlsOpts : undefined, { mark });
  const s = new Session(conn);
  try {
    const banner = await conn.readLine('greeting');
    if (mark) p.mark('banner');
    if (/^\* BYE\b/i.test(banner)) throw new ProbeFailure('bad-status', `greeting: ${clip(banner, 120)}`);
    if (!/^\* (OK|PREAUTH)\b/i.test(banner)) {
      throw new ProbeFailure('protocol', `greeting: not an IMAP greeting: ${clip(banner, 80)}`);
    }
    let caps =
      (await s.command('CAPABILITY', 'CAPABILITY reply')).untagged.find((l) => /^CAPABILITY /i.test(l)) ?? '';
    const mode = p.spec.starttls ?? 'auto';
    if (!conn.secure && mode !== 'off') {
      if (/\bSTARTTLS\b/i.test(caps)) {
        await s.command('STARTTLS', 'STARTTLS reply');
        await conn.startTls(tlsOpts, { opportunistic: mode === 'auto' });
        caps =
          (await s.command('CAPABILITY', 'CAPABILITY reply')).untagged.find((l) => /^CAPABILITY /i.test(l)) ??
          '';
      } else if (mode === 'require') {
        throw new ProbeFailure('tls', 'the server does not offer STARTTLS');
      }
    }
    if (mark) p.details.capabilities = caps.split(/\s+/).slice(1);
    const cred =
      url === p.url
        ? credentials(p)
        : url.username === ''
          ? null
          : { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    if (cred !== null) {
      if (!safeForPassword(conn, host)) {
        throw new ProbeFailure(
          'tls',
          'login not tried: no trusted TLS, and the password is not sent in clear',
        );
      }
      await s.command(
        `LOGIN ${quote(cred.user)} ${quote(cred.password)}`,
        `login as ${cred.user}`,
        `LOGIN ${quote(cred.user)} ***`,
      );
      if (mark) p.mark('login');
    }
    return { s, banner, caps };
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** Earlier test mails' candidates fetched per look at most (the newest), and the bytes read of each. */
const TAKE_MAX = 200;

/**
 * Round trip over IMAP: logs into `url`, asks INBOX for the messages with an `X-Tenken-Probe` header that
 * holds `tenken-` (UID SEARCH: the server filters, however big the mailbox), reads the head of the newest
 * TAKE_MAX not judged yet, and removes this run's test mail (unless `keep`) with the earlier runs' ones
 * (`look.judge`). Only those messages are expunged (UID EXPUNGE when the server has UIDPLUS: messages a
 * person marked deleted stay for their client to expunge). Says whether this run's mail was there.
 */
export async function imapTake(p: ProbeRun, url: URL, look: MailboxLook): Promise<boolean> {
  if (url.username === '')
    throw new ProbeFailure('protocol', `${url.protocol}// round trip needs user:password@`);
  const { s, caps } = await openSession(p, url, false);
  try {
    await s.command('SELECT INBOX', 'SELECT INBOX reply');
    const r = await s.command('UID SEARCH HEADER X-Tenken-Probe "tenken-"', 'SEARCH reply');
    const uids = (r.untagged.find((l) => /^SEARCH\b/i.test(l)) ?? '')
      .split(/\s+/)
      .slice(1)
      .filter((x) => /^\d+$/.test(x) && !look.seen.has(x))
      .map(Number)
      .sort((a, b) => b - a)
      .slice(0, TAKE_MAX);
    let found = false;
    const remove: number[] = [];
    const earlier: { mail: TestMail; delivered: Date | null }[] = [];
    if (uids.length > 0) {
      const f = await s.command(
        `UID FETCH ${uids.join(',')} (UID INTERNALDATE BODY.PEEK[HEADER]<0.8192> BODY.PEEK[TEXT]<0.1024>)`,
        'FETCH reply',
      );
      for (const resp of f.responses) {
        const uid = /\bUID (\d+)/i.exec(resp.text)?.[1];
        if (!/^\d+ FETCH\b/i.test(resp.text) || uid === undefined) continue;
        const part = (name: string): string =>
          resp.literals.find((l) => l.item.startsWith(name))?.data.toString('latin1') ?? '';
        const v = look.judge(`${part('BODY[HEADER]')}${part('BODY[TEXT]')}`);
        if (v === 'own') {
          found = true;
          if (!look.keep) remove.push(Number(uid));
        } else if (v !== null) {
          const date = new Date(
            /INTERNALDATE "([^"]+)"/i.exec(resp.text)?.[1]?.replace(/^(\d+)-(\w+)-/, '$1 $2 ') ?? '',
          );
          earlier.push({ mail: v, delivered: Number.isNaN(date.getTime()) ? null : date });
          remove.push(Number(uid));
        } else {
          look.seen.add(uid);
        }
      }
    }
    if (remove.length > 0) {
      await s.command(`UID STORE ${remove.join(',')} +FLAGS.SILENT (\\Deleted)`, 'STORE reply');
      // The capabilities after login (dovecot names UIDPLUS only then).
      const now = (await s.command('CAPABILITY', 'CAPABILITY reply')).untagged.find((l) =>
        /^CAPABILITY /i.test(l),
      );
      if (/\bUIDPLUS\b/i.test(now ?? caps))
        await s.command(`UID EXPUNGE ${remove.join(',')}`, 'EXPUNGE reply');
      else await s.command('EXPUNGE', 'EXPUNGE reply');
      for (const e of earlier) look.removed(e.mail, e.delivered);
    }
    await s.command('LOGOUT', 'LOGOUT reply').catch(() => undefined);
    return found;
  } finally {
    s.conn.close();
  }
}

/** imap:// and imaps://: greeting, CAPABILITY, STARTTLS, optional login and INBOX size. */
export const imap: ProbeKind = {
  name: 'imap',
  description: 'IMAP: greeting, CAPABILITY, STARTTLS, optional login',
  defaultPort: (scheme) => (scheme === 'imaps' ? 993 : 143),
  async run(p) {
    const { s, banner } = await openSession(p, p.url, true);
    try {
      p.details.banner = banner;
      if (p.spec.expect !== undefined && !banner.includes(p.spec.expect)) {
        throw new ProbeFailure('bad-content', `greeting "${clip(banner, 80)}" lacks "${p.spec.expect}"`);
      }
      const parts = [`greeting in ${Math.round(p.timings.banner ?? 0)} ms`];
      if (s.conn.secure) parts.push('TLS');
      if (p.timings.login !== undefined) {
        const r = await s.command('EXAMINE INBOX', 'EXAMINE INBOX reply');
        const exists = r.untagged.map((l) => /^(\d+) EXISTS/i.exec(l)?.[1]).find((x) => x !== undefined);
        p.details.messages = Number(exists ?? 0);
        parts.push(`logged in, ${plural(Number(p.details.messages), 'message')} in INBOX`);
      }
      await s.command('LOGOUT', 'LOGOUT reply').catch(() => undefined);
      const cert = certSummary(p);
      if (cert !== null) parts.push(cert);
      return { summary: parts.join(', ') };
    } finally {
      s.conn.close();
    }
  },
};
