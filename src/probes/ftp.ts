import net, { isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { TLSSocket } from 'node:tls';
import { lazyRequire } from '../core/lazy.ts';
import { clip } from '../core/sanitize.ts';
import { credentials, endpoint, isLoopback } from './conn.ts';
import { judgePasv, parsePasv, pasvNeedsConnect, plainIPv4, type Reach } from './ftp-pasv.ts';
import { certSummary, judgeCert, loadCa } from './tls.ts';
import { type ProbeKind, type ProbeRun, ProbeFailure } from './types.ts';

const basicFtp = lazyRequire<typeof import('basic-ftp')>('basic-ftp');

/** Routes basic-ftp's verbose log (`> CMD`, `< reply`) into the transcript; it already masks PASS. */
function logTo(p: ProbeRun): (message: string) => void {
  return (message) => {
    if (message.startsWith('> ')) p.transcript.sent(message.slice(2));
    else if (message.startsWith('< ')) {
      for (const line of message.slice(2).split(/\r?\n/)) if (line !== '') p.transcript.received(line);
    } else p.transcript.note(message);
  };
}

/** basic-ftp's errors as failure classes: negative replies carry their code, its own timeouts say so. */
function ftpFailure(err: unknown, what: string): unknown {
  if (err instanceof basicFtp().FTPError)
    // basic-ftp's message is the server's whole reply, its code included (`421 Too many connections`).
    return new ProbeFailure(
      'bad-status',
      `${what}: ${err.code} ${clip(err.message.replace(/^\d{3}[ -]/, ''), 120)}`,
    );
  if (err instanceof Error && /^Timeout/.test(err.message)) {
    return new ProbeFailure('timeout', `${what}: ${err.message.toLowerCase()}`);
  }
  return err;
}

type FtpClient = InstanceType<ReturnType<typeof basicFtp>['Client']>;

/**
 * Whether `path`, which the server would not change into, is a file: its SIZE (in binary type, which
 * some servers require) is its size; a server without SIZE gets `{size: null}`, judged by its listing.
 * A path ending in `/` names a directory; it and a path SIZE refuses give null.
 */
async function whichFile(client: FtpClient, path: string): Promise<{ size: number | null } | null> {
  if (path.endsWith('/')) return null;
  await client.sendIgnoringError('TYPE I');
  const res = await client.sendIgnoringError(`SIZE ${path}`);
  if (res.code === 213) {
    const size = Number.parseInt(res.message.slice(4), 10);
    return { size: Number.isNaN(size) ? null : size };
  }
  return res.code >= 500 && res.code <= 504 ? { size: null } : null;
}

/** Connects to a PASV address within `ms` (or until the probe's deadline): `ok`, or why not. */
function reach(p: ProbeRun, host: string, port: number, ms: number): Promise<Reach> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const done = (r: Reach): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      p.transcript.note(`data connection to ${host}:${port}: ${r.ok ? 'open' : r.why}`);
      resolve(r);
    };
    const onAbort = (): void => done({ ok: false, why: `no answer within ${p.timeoutSeconds} s` });
    const timer = setTimeout(
      () => done({ ok: false, why: `no answer within ${(ms / 1000).toFixed(1)} s` }),
      ms,
    );
    p.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done({ ok: true }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        ECONNREFUSED: 'connection refused',
        EHOSTUNREACH: 'host unreachable',
        ENETUNREACH: 'network unreachable',
      };
      done({ ok: false, why: why[err.code ?? ''] ?? err.code ?? err.message });
    });
  });
}

/**
 * Asks PASV, as clients that do not use EPSV do, and judges its address against the one the control
 * connection went to (judgePasv): a WARNING for one clients cannot use, a note for the summary otherwise.
 * Over IPv6 there is no PASV (clients use EPSV), so nothing is asked.
 */
async function checkPasv(p: ProbeRun, client: FtpClient): Promise<string | null> {
  const server = plainIPv4(client.ftp.socket.remoteAddress ?? '');
  if (!isIPv4(server)) return null;
  const res = await client.sendIgnoringError('PASV');
  const pasv = res.code === 227 ? parsePasv(res.message) : null;
  if (pasv === null) {
    const reply = `${res.code} ${clip(res.message.replace(/^\d{3}[ -]/, ''), 80)}`;
    p.issue('WARNING', null, `PASV answered ${reply}: clients that use PASV cannot open data connections`);
    return null;
  }
  p.details.pasv = `${pasv.host}:${pasv.port}`;
  const local = new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((i) => (i !== undefined && i.family === 'IPv4' && !i.internal ? [i.address] : [])),
  );
  let r: Reach | null = null;
  if (pasvNeedsConnect(pasv, server, local)) {
    const ms = Math.min(5000, p.deadline - performance.now() - 500);
    r = ms < 100 ? null : await reach(p, pasv.host, pasv.port, ms);
  }
  const verdict = judgePasv(pasv, server, r, local);
  if (verdict.warning !== null) p.issue('WARNING', null, verdict.warning);
  return verdict.note;
}

/**
 * TLS options for basic-ftp: the certificate is judged after the handshake (judgeCert); no SNI for an
 * address (RFC 6066: Node prints a DeprecationWarning on stderr for one, which cron mails every run).
 */
export function ftpTlsOptions(
  host: string,
  ca: string | undefined,
): { rejectUnauthorized: false; servername?: string; ca?: string } {
  return {
    rejectUnauthorized: false,
    ...(isIP(host) ? {} : { servername: host }),
    ...(ca === undefined ? {} : { ca }),
  };
}

/**
 * ftp:// and ftps:// (implicit TLS): banner, AUTH TLS when offered, optional login, listing and PASV check
 * (basic-ftp).
 */
export const ftp: ProbeKind = {
  name: 'ftp',
  description: 'FTP: banner, AUTH TLS, optional login, directory listing and PASV address',
  defaultPort: (scheme) => (scheme === 'ftps' ? 990 : 21),
  async run(p) {
    const implicit = p.url.protocol === 'ftps:';
    const { host, port } = endpoint(p.url, implicit ? 990 : 21);
    const ca = await loadCa(p);
    const tlsOpts = ftpTlsOptions(host, ca);
    const client = new (basicFtp().Client)(p.timeoutSeconds * 1000);
    client.ftp.verbose = true;
    client.ftp.log = logTo(p);
    const onAbort = (): void => client.close();
    p.signal.addEventListener('abort', onAbort, { once: true });
    let step = 'banner';
    try {
      const welcome = implicit
        ? await client.connectImplicitTLS(host, port, tlsOpts)
        : await client.connect(host, port);
      p.mark('banner');
      p.details.banner = `${welcome.code} ${welcome.message.replace(/^\d{3}[ -]/, '')}`.trim();
      const parts = [`banner in ${Math.round(p.timings.banner ?? 0)} ms`];
      let trusted = implicit && judgeCert(p, client.ftp.socket as TLSSocket);
      const mode = p.spec.starttls ?? 'auto';
      if (!implicit && mode !== 'off') {
        step = 'FEAT';
        const feat = await client.features();
        if (/\bTLS\b/i.test(feat.get('AUTH') ?? '')) {
          step = 'AUTH TLS';
          await client.useTLS(tlsOpts);
          trusted = judgeCert(p, client.ftp.socket as TLSSocket, { opportunistic: mode === 'auto' });
          parts.push('AUTH TLS');
        } else if (mode === 'require') {
          throw new ProbeFailure('tls', 'the server does not offer AUTH TLS');
        }
      }
      const cred = credentials(p);
      if (cred === null) {
        if (p.spec.expect !== undefined && !p.details.banner.includes(p.spec.expect)) {
          throw new ProbeFailure(
            'bad-content',
            `banner "${clip(p.details.banner, 80)}" lacks "${p.spec.expect}"`,
          );
        }
      } else {
        if (!trusted && !isLoopback(host) && cred.user !== 'anonymous' && cred.user !== 'ftp') {
          throw new ProbeFailure(
            'tls',
            'login not tried: no trusted TLS, and the password is not sent in clear',
          );
        }
        step = `login as ${cred.user}`;
        await client.login(cred.user, cred.password === '' ? 'tenken@' : cred.password);
        p.mark('login');
        const dir = decodeURIComponent(p.url.pathname) || '/';
        // Into the directory first, as a client does: `LIST -a /locked` of a directory the user may not
        // enter lists the directory's own entry, and of a missing one lists nothing, both with a 226.
        step = `CWD ${dir}`;
        const cwd = await client.sendIgnoringError(`CWD ${dir}`);
        let file: { size: number | null } | null = null;
        if (cwd.code >= 400) {
          file = await whichFile(client, dir);
          if (file === null) throw new (basicFtp().FTPError)(cwd);
        }
        step = `listing of ${dir}`;
        const list = file === null ? await client.list() : await client.list(dir);
        p.mark('list');
        // A server without SIZE: the path is a file when its listing shows files only (a directory the
        // user may not enter lists its own entry, a missing path nothing).
        if (file?.size === null && (list.length === 0 || list.some((f) => f.isDirectory))) {
          step = `CWD ${dir}`;
          throw new (basicFtp().FTPError)(cwd);
        }
        const names = list.map((f) => f.name);
        p.details.entries = names.length;
        p.details.names = names.slice(0, 20);
        if (file !== null && file.size !== null) p.details.size = file.size;
        if (p.spec.expect !== undefined && !names.includes(p.spec.expect)) {
          throw new ProbeFailure(
            'bad-content',
            `"${clip(p.spec.expect, 60)}" is not in the listing of ${dir} (${names.length} entries)`,
          );
        }
        parts.push(
          `logged in as ${cred.user}`,
          file === null
            ? `${dir} lists ${names.length} entries`
            : `${dir} is a file${file.size === null ? '' : ` of ${file.size} bytes`}`,
        );
        step = 'PASV';
        const note = await checkPasv(p, client);
        if (note !== null) parts.push(note);
      }
      const cert = certSummary(p);
      if (cert !== null) parts.push(cert);
      return { summary: parts.join(', ') };
    } catch (err) {
      throw ftpFailure(err, step);
    } finally {
      p.signal.removeEventListener('abort', onAbort);
      client.close();
    }
  },
};
