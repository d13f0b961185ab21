import type { Dispatcher } from 'undici';
import { lazyRequire } from '../core/lazy.ts';
import { credentials } from './conn.ts';
import { fetchPage } from './http.ts';
import { redactUrl } from './spec.ts';
import { loadCa } from './tls.ts';
import type { ProbeKind, ProbeRun } from './types.ts';

const undici = lazyRequire<typeof import('undici')>('undici');

/**
 * The proxy's `Proxy-Authorization`: the probe's credentials (`user`/`password` of the spec, else the proxy
 * URL's `user:password@`), as for every probe its URL's. The target site never gets them (http.ts basicAuth).
 */
function proxyToken(p: ProbeRun): string | undefined {
  const cred = credentials(p);
  if (cred === null) return undefined;
  return `Basic ${Buffer.from(`${cred.user}:${cred.password}`).toString('base64')}`;
}

/**
 * The way through the proxy a browser takes: an http:// URL as a forward request (the absolute URL in the
 * request line, on a connection to the proxy), an https:// URL through CONNECT (undici's ProxyAgent).
 * undici's own forward path drops the status line's reason phrase, and with it the proxy's only word on
 * why it failed (`502 Unable to connect to upstream proxy`): here the forward request is a plain request to
 * the proxy, whose reason phrase reaches fetchPage.
 */
function throughProxy(p: ProbeRun, tunnel: Dispatcher): Dispatcher {
  const proxy = p.url;
  const ms = p.timeoutSeconds * 1000;
  const toProxy = new (undici().Pool)(proxy.origin, {
    connections: 1,
    connect: { timeout: ms },
    headersTimeout: ms,
    bodyTimeout: ms,
  });
  const token = proxyToken(p);
  const auth: Record<string, string> = token === undefined ? {} : { 'proxy-authorization': token };
  class ThroughProxy extends undici().Dispatcher {
    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = String(opts.origin ?? '');
      if (!origin.startsWith('http:')) return tunnel.dispatch(opts, handler);
      const own = opts.headers && !Array.isArray(opts.headers) ? opts.headers : {};
      return toProxy.dispatch(
        {
          ...opts,
          origin: proxy.origin,
          path: `${origin}${opts.path}`,
          headers: { ...auth, host: new URL(origin).host, ...own },
        },
        handler,
      );
    }
    override close(): Promise<void> {
      return Promise.all([toProxy.close(), tunnel.close()]).then(() => {});
    }
    override destroy(): Promise<void> {
      return Promise.all([toProxy.destroy(), tunnel.destroy()]).then(() => {});
    }
  }
  return new ThroughProxy();
}

/**
 * Fetches `target` through the HTTP proxy at the probe URL, as a browser configured with that proxy would:
 * a plain forward request for http://, CONNECT for https://.
 */
export const proxy: ProbeKind = {
  name: 'proxy',
  description: 'HTTP proxy: fetch a URL through it (CONNECT for https), status and expected text',
  defaultPort: () => 8080,
  async run(p) {
    const target = new URL(p.spec.target ?? '');
    const token = proxyToken(p);
    const ca = await loadCa(p);
    p.details.target = redactUrl(target.href);
    const tunnel = new (undici().ProxyAgent)({
      // The credentials go as the token (the spec's user:/password: too), not in the URI's userinfo.
      uri: p.url.origin,
      ...(token === undefined ? {} : { token }),
      requestTls: { rejectUnauthorized: p.spec.insecure !== true, ...(ca === undefined ? {} : { ca }) },
      connect: { timeout: p.timeoutSeconds * 1000 },
      // The CONNECT to the proxy is sent without the request's signal: its own timeouts are the probe's, not
      // undici's 300 s (runProbe's deadline ends the probe anyway; this lets the connection go too).
      clientFactory: (origin, opts) =>
        new (undici().Pool)(origin, {
          ...opts,
          headersTimeout: p.timeoutSeconds * 1000,
          bodyTimeout: p.timeoutSeconds * 1000,
        }),
    });
    const agent = throughProxy(p, tunnel);
    try {
      return await fetchPage(p, target, agent, p.url.host);
    } finally {
      void agent.destroy().catch(() => {});
    }
  },
};
