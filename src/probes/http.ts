import type { buildConnector, Dispatcher } from 'undici';
import { lazyRequire } from '../core/lazy.ts';
import { clip, terminalSafe } from '../core/sanitize.ts';
import { classify } from './classify.ts';
import { credentials, isLoopback } from './conn.ts';
import { redactUrl } from './spec.ts';
import { certSummary, judgeCert, loadCa } from './tls.ts';
import { type ProbeKind, type ProbeRun, type ProbeVerdict, ProbeFailure } from './types.ts';

/** Most of a page read to look for the expected text; the rest is not downloaded. */
const BODY_MAX = 1024 * 1024;
const USER_AGENT = 'tenken-probe/1';
const decoder = new TextDecoder('utf-8', { fatal: false });
const undici = lazyRequire<typeof import('undici')>('undici');

/**
 * An undici connector that keeps the TLS socket's certificate: undici hides the socket, but the
 * connector sees it first. Verification is judged here (judgeCert) so an untrusted or expiring certificate
 * is reported with its dates instead of a bare handshake error.
 */
function connector(p: ProbeRun, ca: string | undefined): buildConnector.connector {
  const base = undici().buildConnector({
    rejectUnauthorized: false,
    timeout: p.timeoutSeconds * 1000,
    ...(ca === undefined ? {} : { ca }),
  });
  return (opts, callback) => {
    base(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      if (p.timings.connect === undefined) p.mark('connect');
      if ('getPeerCertificate' in socket) {
        try {
          judgeCert(p, socket);
        } catch (e) {
          socket.destroy();
          return callback(e as Error, null);
        }
      }
      callback(null, socket);
    });
  };
}

/** Whether an HTTP status counts as up for this probe (default: any 2xx). */
export function statusAccepted(code: number, accepted: readonly number[] | undefined): boolean {
  return accepted === undefined ? code >= 200 && code < 300 : accepted.includes(code);
}

/** "1 redirect", "2.5 KiB": small helpers for summaries. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Bytes in a human unit. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A decoder for the page's declared charset (`text/html; charset=iso-8859-1`, Shift_JIS, EUC-JP), else UTF-8. */
function decoderFor(contentType: string | undefined): typeof decoder {
  const label = /;\s*charset="?([\w.:-]+)"?/i.exec(contentType ?? '')?.[1];
  if (label !== undefined) {
    try {
      return new TextDecoder(label, { fatal: false });
    } catch {
      // a label TextDecoder does not know: UTF-8, as a browser would guess
    }
  }
  return decoder;
}

async function readBody(
  body: Dispatcher.ResponseData['body'],
  contentType: string | undefined,
): Promise<{ text: string; bytes: number; cut: boolean }> {
  const dec = decoderFor(contentType);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    chunks.push(b);
    bytes += b.length;
    if (bytes >= BODY_MAX) {
      body.destroy();
      return { text: dec.decode(Buffer.concat(chunks).subarray(0, BODY_MAX)), bytes, cut: true };
    }
  }
  return { text: dec.decode(Buffer.concat(chunks)), bytes, cut: false };
}

/**
 * The Authorization header for credentials in the spec or the URL, and only to the URL's own origin (a
 * redirect elsewhere does not get them). Over plain HTTP to another machine they are not sent, and a WARNING
 * says so, as the mail probes do for a password without TLS. Through a proxy, the probe's credentials are the
 * proxy's (its Proxy-Authorization): the site gets only those written in the target URL, never the proxy's.
 */
function basicAuth(p: ProbeRun, url: URL, start: URL, proxied: boolean): Record<string, string> {
  const cred = proxied ? urlCredentials(start) : credentials(p);
  if (cred === null || url.origin !== start.origin) return {};
  if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
    p.issue('WARNING', 'tls', 'credentials not sent: plain HTTP to another machine would show the password');
    return {};
  }
  return { authorization: `Basic ${Buffer.from(`${cred.user}:${cred.password}`).toString('base64')}` };
}

/** The user and password written in a URL (`http://user:pass@site/`), decoded; null without a user. */
function urlCredentials(url: URL): { user: string; password: string } | null {
  if (url.username === '') return null;
  return { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

/** The URL to request: without its userinfo (sent as a header, never in the request line). */
function withoutUserinfo(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const u = new URL(url.href);
  u.username = '';
  u.password = '';
  return u;
}

/** undici's message when the proxy answers CONNECT with anything but 200. */
const TUNNEL_REFUSED = /Proxy response \((\d+)\) !== 200 when HTTP Tunneling/;

/**
 * What a request's (or its body's) failure says: a proxy's refused CONNECT named as such, and after a
 * redirect the hop it happened at, since the probed server answered correctly and the failure (an unknown
 * name, an untrusted certificate, a refused connection) is at the redirect's target.
 */
function requestFailure(p: ProbeRun, err: unknown, url: URL, hopped: boolean, proxy: string): unknown {
  const at = hopped ? `after redirect to ${clip(redactUrl(url.href), 200)}: ` : '';
  const refused = proxy !== '' && err instanceof Error ? TUNNEL_REFUSED.exec(err.message) : null;
  if (refused) {
    p.transcript.received(`HTTP ${refused[1]} to CONNECT ${url.host}`);
    return new ProbeFailure(
      'bad-status',
      `${at}the proxy refused CONNECT to ${url.host}: HTTP ${refused[1]}`,
    );
  }
  if (!hopped) return err;
  const c = classify(err, { aborted: p.signal.aborted, timeoutSeconds: p.timeoutSeconds });
  return new ProbeFailure(c.failure, `${at}${c.reason}`);
}

/**
 * Why the server gave its status, for a failure line: the status line's reason phrase, else (HTTP/2, or a
 * server that sends none) the page's `<title>`; server text, so made terminal-safe and clipped. Empty when
 * neither says anything.
 */
export function statusReason(statusText: string | undefined, page: string): string {
  const phrase = (statusText ?? '').replace(/\s+/g, ' ').trim();
  if (phrase !== '') return ` ${clip(terminalSafe(phrase), 80)}`;
  // indexOf, not a regex: the page is up to 1 MiB of the server's text.
  const lower = page.slice(0, 64 * 1024).toLowerCase();
  const open = lower.indexOf('<title');
  const start = open < 0 ? -1 : lower.indexOf('>', open);
  const end = start < 0 ? -1 : lower.indexOf('</title', start);
  if (end < 0) return '';
  const title = page
    .slice(start + 1, Math.min(end, start + 1 + 400))
    .replace(/\s+/g, ' ')
    .trim();
  return title === '' ? '' : ` (page title "${clip(terminalSafe(title), 80)}")`;
}

/**
 * GETs `start` through `dispatcher`, following redirects itself (each hop in the transcript), and judges
 * the final status and the expected text. Shared by the http and proxy kinds; `proxy` is the proxy's
 * host:port when the dispatcher goes through one (its statuses are then said to come through it).
 */
export async function fetchPage(
  p: ProbeRun,
  start: URL,
  dispatcher: Dispatcher,
  proxy = '',
): Promise<ProbeVerdict> {
  const maxRedirects = p.spec.redirects ?? 5;
  const hops: string[] = [];
  let url = start;
  for (;;) {
    const via = proxy === '' ? '' : ` via ${proxy}${url.protocol === 'https:' ? ' (CONNECT)' : ''}`;
    p.transcript.sent(`GET ${redactUrl(url.href)}${via}`);
    const here = url;
    const fail = (err: unknown): never => {
      throw requestFailure(p, err, here, hops.length > 0, proxy);
    };
    const res = await undici()
      .request(withoutUserinfo(url), {
        method: 'GET',
        dispatcher,
        signal: p.signal,
        headers: { 'user-agent': USER_AGENT, accept: '*/*', ...basicAuth(p, url, start, proxy !== '') },
      })
      .catch(fail);
    p.mark('firstByte');
    const h = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    p.transcript.received(`HTTP ${res.statusCode} ${res.statusText ?? ''}`.trim());
    for (const name of ['server', 'location', 'content-type', 'content-length']) {
      const v = h(name);
      if (v !== undefined) p.transcript.received(`${name}: ${v}`);
    }
    const location = h('location');
    const redirect = res.statusCode >= 300 && res.statusCode < 400 && location !== undefined;
    if (redirect && !statusAccepted(res.statusCode, p.spec.status) && hops.length < maxRedirects) {
      await res.body.dump().catch(fail);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new ProbeFailure(
          'protocol',
          `HTTP ${res.statusCode} redirect to a bad URL: ${clip(location, 100)}`,
        );
      }
      hops.push(redactUrl(next.href));
      p.details.redirects = [...hops];
      url = next;
      continue;
    }
    const body = await readBody(res.body, h('content-type')).catch(fail);
    p.mark('body');
    p.details.httpStatus = res.statusCode;
    p.details.finalUrl = redactUrl(url.href);
    p.details.bytes = body.bytes;
    if (body.cut) p.details.truncated = true;
    const server = h('server');
    if (server !== undefined) p.details.server = server;
    const line = `HTTP ${res.statusCode} ${res.statusText ?? ''}`.trim();
    if (!statusAccepted(res.statusCode, p.spec.status)) {
      snippet(p, body.text);
      const wanted = p.spec.status === undefined ? '2xx' : p.spec.status.join(' or ');
      const tooMany = redirect ? ` after ${plural(hops.length, 'redirect')} (limit ${maxRedirects})` : '';
      const through = proxy === '' ? '' : ` through the proxy ${proxy}`;
      throw new ProbeFailure(
        'bad-status',
        `HTTP ${res.statusCode}${statusReason(res.statusText, body.text)}${tooMany} from ${redactUrl(url.href)}${through} (expected ${wanted})`,
      );
    }
    if (p.spec.expect !== undefined && !body.text.includes(p.spec.expect)) {
      snippet(p, body.text);
      const scope = body.cut ? `first ${size(BODY_MAX)} of the page` : `page (${size(body.bytes)})`;
      throw new ProbeFailure(
        'bad-content',
        `${line} but "${clip(p.spec.expect, 60)}" is not in the ${scope}`,
      );
    }
    const parts = [
      `${line} in ${Math.round(p.timings.firstByte ?? 0)} ms`,
      body.cut ? `more than ${size(BODY_MAX)} (read no further)` : size(body.bytes),
    ];
    if (hops.length > 0) parts.push(`after ${plural(hops.length, 'redirect')}`);
    if (p.spec.expect !== undefined) parts.push('expected text found');
    const cert = certSummary(p);
    if (cert !== null) parts.push(cert);
    return { summary: parts.join(', ') };
  }
}

/** The start of a page, for the transcript of a failure: a few non-empty lines. */
function snippet(p: ProbeRun, text: string): void {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, 4);
  for (const l of lines) p.transcript.received(l);
}

/** http:// and https://: status, expected text, redirects, response time, certificate days left. */
export const http: ProbeKind = {
  name: 'http',
  description: 'HTTP(S): status, expected text, redirects, response time, certificate days left',
  defaultPort: (scheme) => (scheme === 'https' ? 443 : 80),
  async run(p) {
    const ca = await loadCa(p);
    const agent = new (undici().Agent)({ connect: connector(p, ca), connections: 1, pipelining: 0 });
    try {
      return await fetchPage(p, p.url, agent);
    } finally {
      void agent.destroy().catch(() => {});
    }
  },
};
