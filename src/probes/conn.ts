import net from 'node:net';
import tls from 'node:tls';
import { judgeCert } from './tls.ts';
import { type ProbeRun, ProbeFailure } from './types.ts';

/** Longest line a server may send before the probe calls it a protocol error. */
const MAX_LINE = 16 * 1024;
/**
 * Most a server may send on one probe connection. A probe's exchange is a banner, a few replies and at most
 * a small test message; a wrong port (chargen, a stream) or a hostile server would otherwise fill memory
 * until the deadline (an endless `220-` reply took over 1 GB in 10 s).
 */
export const MAX_RECEIVED = 8 * 1024 * 1024;
const latin1 = (b: Buffer): string => b.toString('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** How to open (or upgrade to) TLS. */
export interface TlsOptions {
  servername: string;
  /** PEM text of the CA to trust instead of the system store. */
  ca?: string;
}

/**
 * A deadline-bound client connection for line protocols (SMTP, POP3, IMAP, TCP) and framed binary ones
 * (SMB). Every read waits at most until the probe's deadline and records what it saw in the transcript;
 * node:net and node:tls do the I/O, this only buffers and times it.
 */
export class Conn {
  readonly #p: ProbeRun;
  #socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #ended = false;
  #error: Error | null = null;
  #received = 0;
  #wake: (() => void) | null = null;
  readonly #mark: boolean;

  private constructor(p: ProbeRun, socket: net.Socket, mark: boolean) {
    this.#p = p;
    this.#socket = socket;
    this.#mark = mark;
    this.#attach(socket);
  }

  /**
   * Connects (with TLS from the start when `tlsOpts` is given), marking `connect` and `tls` timings
   * unless `mark` is false (a second connection within one probe, such as a round trip's mailbox check).
   */
  static async open(
    p: ProbeRun,
    host: string,
    port: number,
    tlsOpts?: TlsOptions,
    opts: { mark?: boolean } = {},
  ): Promise<Conn> {
    const mark = opts.mark ?? true;
    const socket = net.connect({ host, port });
    await settle(p, socket, 'connect', `connection to ${host}:${port}`);
    if (mark) p.mark('connect');
    p.transcript.note(`connected to ${socket.remoteAddress ?? host}:${socket.remotePort ?? port}`);
    const conn = new Conn(p, socket, mark);
    if (tlsOpts) await conn.startTls(tlsOpts);
    return conn;
  }

  /** Whether the TLS certificate was trusted (or accepted as `insecure`); false before TLS. */
  trusted = false;

  /**
   * Upgrades the connection to TLS (implicit TLS or after STARTTLS) and judges the certificate;
   * `opportunistic` (STARTTLS in `auto` mode) turns an untrusted certificate into a warning.
   */
  async startTls(opts: TlsOptions, mode: { opportunistic?: boolean } = {}): Promise<void> {
    const raw = this.#socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => {});
    const secure = tls.connect({
      socket: raw,
      servername: net.isIP(opts.servername) ? '' : opts.servername,
      // Verification is judged after the handshake, so the report can show the certificate it rejects.
      rejectUnauthorized: false,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      // Host name check still runs and lands in authorizationError.
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(opts.servername, cert),
    });
    await settle(this.#p, secure, 'secureConnect', 'TLS handshake');
    if (this.#mark) this.#p.mark('tls');
    this.#socket = secure;
    this.#buf = Buffer.alloc(0);
    this.#attach(secure);
    this.trusted = judgeCert(this.#p, secure, mode);
  }

  /** Whether TLS is up on this connection. */
  get secure(): boolean {
    return this.#socket instanceof tls.TLSSocket;
  }

  /** Reads one line (without CR LF); `what` names it in timeout and close messages. */
  async readLine(what: string): Promise<string> {
    const line = await this.#waitFor(() => {
      const nl = this.#buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.#buf.length > MAX_LINE) {
          throw new ProbeFailure('protocol', `${what}: line longer than ${MAX_LINE} bytes`);
        }
        return undefined;
      }
      const raw = this.#buf.subarray(0, nl);
      this.#buf = this.#buf.subarray(nl + 1);
      return utf8.decode(raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw);
    }, what);
    this.#p.transcript.received(line);
    return line;
  }

  /** Reads exactly `n` bytes (binary protocols); the caller records them in the transcript. */
  readBytes(n: number, what: string): Promise<Buffer> {
    return this.#waitFor(() => {
      if (this.#buf.length < n) return undefined;
      const out = this.#buf.subarray(0, n);
      this.#buf = this.#buf.subarray(n);
      return out;
    }, what);
  }

  /** Reads whatever arrives until `done(text so far)` or the deadline; returns null when nothing came. */
  async readUntil(done: (text: string) => boolean, what: string): Promise<string | null> {
    try {
      await this.#waitFor(() => (done(latin1(this.#buf)) ? true : undefined), what);
    } catch (err) {
      if (!(err instanceof ProbeFailure) || this.#buf.length === 0) throw err;
    }
    const text = utf8.decode(this.#buf);
    this.#buf = Buffer.alloc(0);
    for (const line of text.split(/\r?\n/)) if (line !== '') this.#p.transcript.received(line);
    return text;
  }

  /** Sends a line (CR LF added); `secret` is what the transcript shows instead (passwords, AUTH data). */
  writeLine(line: string, opts: { secret?: string } = {}): void {
    this.#p.transcript.sent(line, opts);
    this.#socket.write(`${line}\r\n`);
  }

  /** Sends raw text or bytes; `shown` is what the transcript records (nothing when omitted). */
  write(data: string | Uint8Array, shown?: string): void {
    if (shown !== undefined) this.#p.transcript.sent(shown);
    this.#socket.write(data);
  }

  /** Closes the connection (quietly; errors after the exchange are of no interest). */
  close(): void {
    this.#socket.removeAllListeners('error');
    this.#socket.on('error', () => {});
    this.#socket.destroy();
  }

  #attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.#received += d.length;
      if (this.#received > MAX_RECEIVED) {
        this.#error ??= new ProbeFailure(
          'protocol',
          `the server sent more than ${MAX_RECEIVED / 1024 / 1024} MiB without finishing its answer`,
        );
        s.destroy();
      } else this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
      this.#notify();
    });
    s.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    s.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    s.on('error', (e: Error) => {
      this.#error = e;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #waitFor<T>(take: () => T | undefined, what: string): Promise<T> {
    const signal = this.#p.signal;
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (this.#error) throw this.#error;
      if (this.#ended)
        throw new ProbeFailure('protocol', `connection closed by the server while waiting for ${what}`);
      if (signal.aborted) throw new ProbeFailure('timeout', `no ${what} within ${this.#p.timeoutSeconds} s`);
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
  }
}

/**
 * Waits for a socket's `event` (connect, secureConnect) or its error, bounded by the probe's deadline;
 * on timeout or error the socket is destroyed.
 */
function settle(p: ProbeRun, socket: net.Socket, event: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      socket.off(event, onOk);
      socket.off('error', onErr);
      p.signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else {
        socket.on('error', () => {});
        socket.destroy();
        reject(err);
      }
    };
    const onOk = (): void => done();
    const onErr = (e: Error): void => done(e);
    const onAbort = (): void =>
      done(new ProbeFailure('timeout', `${what} not established within ${p.timeoutSeconds} s`));
    if (p.signal.aborted) return onAbort();
    socket.once(event, onOk);
    socket.once('error', onErr);
    p.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Host and port of a probe URL (IPv6 brackets removed), with the kind's default port. */
export function endpoint(url: URL, defaultPort: number): { host: string; port: number } {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port === '' ? defaultPort : Number(url.port) };
}

/** User and password from the spec, else from the URL's userinfo (percent-decoded). */
export function credentials(p: ProbeRun): { user: string; password: string } | null {
  const user = p.spec.user ?? (p.url.username === '' ? undefined : decodeURIComponent(p.url.username));
  if (user === undefined) return null;
  const password = p.spec.password ?? decodeURIComponent(p.url.password);
  return { user, password };
}

/**
 * Whether a password may be sent on this connection: over TLS with a trusted certificate, or to this
 * machine (a loopback link cannot be overheard by anyone who could not read the config anyway).
 */
export function safeForPassword(conn: Conn, host: string): boolean {
  return (conn.secure && conn.trusted) || isLoopback(host);
}

/** Whether a host name or address is this machine (credentials may cross a loopback link unencrypted). */
export function isLoopback(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(h) ||
    // IPv4-mapped loopback, as written or as URL parsing normalises it (::ffff:7f00:1).
    /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h) ||
    // The unspecified address, connected to, reaches this machine too.
    h === '0.0.0.0' ||
    h === '::' ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1'
  );
}
