import { clip } from '../core/sanitize.ts';
import { Conn, credentials, endpoint, safeForPassword } from './conn.ts';
import { plural } from './http.ts';
import { certSummary, loadCa } from './tls.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * IMAP (RFC 3501) by hand: the probe needs the greeting, CAPABILITY, STARTTLS, LOGIN, SELECT and one
 * SEARCH — a few tagged commands. Full IMAP libraries (imapflow) are not a dependency and would hide the
 * greeting and the exact tagged replies the report shows.
 */

/** A tagged command's outcome plus the untagged lines before it. */
interface Tagged {
  status: string;
  text: string;
  untagged: string[];
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

  /** Sends a tagged command and reads to its completion; literals `{n}` in replies are skipped over. */
  async command(cmd: string, what: string, secret?: string): Promise<Tagged> {
    const tag = `t${++this.#tag}`;
    this.conn.writeLine(`${tag} ${cmd}`, secret === undefined ? {} : { secret: `${tag} ${secret}` });
    const untagged: string[] = [];
    for (;;) {
      const line = await this.conn.readLine(what);
      const lit = /\{(\d+)\}$/.exec(line);
      if (lit) await this.conn.readBytes(Number(lit[1]), `${what} (literal)`);
      if (line.startsWith(`${tag} `)) {
        const m = /^\S+ (OK|NO|BAD)\b ?(.*)$/i.exec(line);
        if (!m) throw new ProbeFailure('protocol', `${what}: not an IMAP reply: ${clip(line, 80)}`);
        const status = (m[1] ?? '').toUpperCase();
        if (status !== 'OK')
          throw new ProbeFailure('bad-status', `${what}: ${status} ${clip(m[2] ?? '', 120)}`);
        return { status, text: m[2] ?? '', untagged };
      }
      if (line.startsWith('* ')) untagged.push(line.slice(2));
    }
  }
}

/** Opens a session: greeting, CAPABILITY, STARTTLS per the spec, LOGIN when credentials are given. */
async function openSession(p: ProbeRun, url: URL, mark: boolean): Promise<{ s: Session; banner: string }> {
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
    return { s, banner };
  } catch (err) {
    conn.close();
    throw err;
  }
}

/**
 * Round trip over IMAP: logs into `url`, searches INBOX for the token's header, expunges the message unless
 * `keep`, and says whether it was there.
 */
export async function imapTake(p: ProbeRun, url: URL, token: string, keep: boolean): Promise<boolean> {
  if (url.username === '')
    throw new ProbeFailure('protocol', `${url.protocol}// round trip needs user:password@`);
  const { s } = await openSession(p, url, false);
  try {
    await s.command('SELECT INBOX', 'SELECT INBOX reply');
    const r = await s.command(`SEARCH HEADER X-Tenken-Probe ${quote(token)}`, 'SEARCH reply');
    const ids = (r.untagged.find((l) => /^SEARCH\b/i.test(l)) ?? '')
      .split(/\s+/)
      .slice(1)
      .filter((x) => /^\d+$/.test(x));
    if (ids.length > 0 && !keep) {
      await s.command(`STORE ${ids.join(',')} +FLAGS.SILENT (\\Deleted)`, 'STORE reply');
      await s.command('EXPUNGE', 'EXPUNGE reply');
    }
    await s.command('LOGOUT', 'LOGOUT reply').catch(() => undefined);
    return ids.length > 0;
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
