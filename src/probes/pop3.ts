import { clip } from '../core/sanitize.ts';
import { Conn, credentials, endpoint, safeForPassword } from './conn.ts';
import { certSummary, loadCa } from './tls.ts';
import type { MailboxLook, TestMail } from './testmail.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

/*
 * POP3 (RFC 1939, STLS from RFC 2595) by hand: a few single-line commands. npm's POP3 clients are
 * unmaintained and hide the greeting and replies this probe reports.
 */

/** Reads a `+OK` / `-ERR` line; `-ERR` is a bad status, anything else a protocol error. */
async function status(conn: Conn, what: string): Promise<string> {
  const line = await conn.readLine(what);
  if (line.startsWith('+OK')) return line;
  if (line.startsWith('-ERR')) throw new ProbeFailure('bad-status', `${what}: ${clip(line, 120)}`);
  throw new ProbeFailure('protocol', `${what}: not a POP3 reply: ${clip(line, 80)}`);
}

/** Reads a multi-line body up to the lone `.`, undoing dot-stuffing. */
async function multiline(conn: Conn, what: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const line = await conn.readLine(what);
    if (line === '.') return out;
    out.push(line.startsWith('..') ? line.slice(1) : line);
  }
}

interface Session {
  conn: Conn;
  banner: string;
  capa: string[];
}

/** Connects, reads the greeting, upgrades with STLS per the spec and logs in when credentials are given. */
async function openSession(p: ProbeRun, url: URL, login: boolean, mark: boolean): Promise<Session> {
  const implicit = url.protocol === 'pop3s:';
  const { host, port } = endpoint(url, implicit ? 995 : 110);
  const ca = await loadCa(p);
  const tlsOpts = { servername: host, ...(ca === undefined ? {} : { ca }) };
  const conn = await Conn.open(p, host, port, implicit ? tlsOpts : undefined, { mark });
  try {
    const banner = await status(conn, 'greeting');
    if (mark) p.mark('banner');
    conn.writeLine('CAPA');
    const capaReply = await conn.readLine('CAPA reply');
    const capa = capaReply.startsWith('+OK')
      ? (await multiline(conn, 'CAPA list')).map((c) => c.toUpperCase())
      : [];
    const mode = p.spec.starttls ?? 'auto';
    if (!conn.secure && mode !== 'off') {
      if (capa.some((c) => c === 'STLS')) {
        conn.writeLine('STLS');
        await status(conn, 'STLS reply');
        await conn.startTls(tlsOpts, { opportunistic: mode === 'auto' });
      } else if (mode === 'require') {
        throw new ProbeFailure('tls', 'the server does not offer STLS');
      }
    }
    const cred = login ? credentialsFor(p, url) : null;
    if (cred !== null) {
      if (!safeForPassword(conn, host)) {
        throw new ProbeFailure(
          'tls',
          'login not tried: no trusted TLS, and the password is not sent in clear',
        );
      }
      conn.writeLine(`USER ${cred.user}`);
      await status(conn, 'USER reply');
      conn.writeLine(`PASS ${cred.password}`, { secret: 'PASS ***' });
      await status(conn, `login as ${cred.user}`);
      if (mark) p.mark('login');
    }
    return { conn, banner, capa };
  } catch (err) {
    conn.close();
    throw err;
  }
}

function credentialsFor(p: ProbeRun, url: URL): { user: string; password: string } | null {
  if (url === p.url) return credentials(p);
  if (url.username === '') return null;
  return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** Newest messages looked at per look (POP3 cannot search: each is a TOP). */
const TAKE_NEWEST = 50;

/**
 * Round trip over POP3: logs into `url`, reads the head of each of the newest TAKE_NEWEST messages (TOP n 10,
 * newest first; those UIDL says an earlier look of this run judged are skipped), and deletes this run's test
 * mail (unless `keep`) with the earlier runs' ones (`look.judge`). Says whether this run's mail was there.
 */
export async function pop3Take(p: ProbeRun, url: URL, look: MailboxLook): Promise<boolean> {
  if (url.username === '')
    throw new ProbeFailure('protocol', `${url.protocol}// round trip needs user:password@`);
  const { conn } = await openSession(p, url, true, false);
  try {
    conn.writeLine('STAT');
    const count = Number(/^\+OK (\d+)/.exec(await status(conn, 'STAT reply'))?.[1] ?? '0');
    const uidl = new Map<number, string>();
    if (count > 0) {
      conn.writeLine('UIDL');
      if ((await conn.readLine('UIDL reply')).startsWith('+OK')) {
        for (const l of await multiline(conn, 'UIDL list')) {
          const m = /^(\d+) (\S+)$/.exec(l);
          if (m) uidl.set(Number(m[1]), m[2] ?? '');
        }
      }
    }
    let found = false;
    const earlier: TestMail[] = [];
    for (let n = count; n >= 1 && n > count - TAKE_NEWEST; n--) {
      const id = uidl.get(n);
      if (id !== undefined && look.seen.has(id)) continue;
      conn.writeLine(`TOP ${n} 10`);
      await status(conn, `TOP ${n} reply`);
      const v = look.judge((await multiline(conn, `head of message ${n}`)).join('\r\n'));
      if (v === null) {
        if (id !== undefined) look.seen.add(id);
        continue;
      }
      if (v === 'own') found = true;
      else earlier.push(v);
      if (v !== 'own' || !look.keep) {
        conn.writeLine(`DELE ${n}`);
        await status(conn, `DELE ${n} reply`);
      }
    }
    conn.writeLine('QUIT');
    await status(conn, 'QUIT reply');
    // Deletions happen at QUIT: only now are the earlier ones gone. POP3 does not say when mail arrived.
    for (const mail of earlier) look.removed(mail, null);
    return found;
  } finally {
    conn.close();
  }
}

/** pop3:// and pop3s://: greeting, STLS, optional login and mailbox size. */
export const pop3: ProbeKind = {
  name: 'pop3',
  description: 'POP3: greeting, STLS, optional login',
  defaultPort: (scheme) => (scheme === 'pop3s' ? 995 : 110),
  async run(p) {
    const { conn, banner } = await openSession(p, p.url, true, true);
    try {
      p.details.banner = banner;
      if (p.spec.expect !== undefined && !banner.includes(p.spec.expect)) {
        throw new ProbeFailure('bad-content', `greeting "${clip(banner, 80)}" lacks "${p.spec.expect}"`);
      }
      const parts = [`greeting in ${Math.round(p.timings.banner ?? 0)} ms`];
      if (conn.secure) parts.push('TLS');
      if (p.timings.login !== undefined) {
        conn.writeLine('STAT');
        const m = /^\+OK (\d+) (\d+)/.exec(await status(conn, 'STAT reply'));
        p.details.messages = Number(m?.[1] ?? 0);
        parts.push(`logged in, ${p.details.messages} messages`);
      }
      conn.writeLine('QUIT');
      await status(conn, 'QUIT reply').catch(() => undefined);
      const cert = certSummary(p);
      if (cert !== null) parts.push(cert);
      return { summary: parts.join(', ') };
    } finally {
      conn.close();
    }
  },
};
