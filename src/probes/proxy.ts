import { lazyRequire } from '../core/lazy.ts';
import { fetchPage } from './http.ts';
import { redactUrl } from './spec.ts';
import { loadCa } from './tls.ts';
import type { ProbeKind } from './types.ts';

const undici = lazyRequire<typeof import('undici')>('undici');

/**
 * Fetches `target` through the HTTP proxy at the probe URL, as a browser configured with that proxy would:
 * a plain forward request for http://, CONNECT for https:// (undici's ProxyAgent does both).
 */
export const proxy: ProbeKind = {
  name: 'proxy',
  description: 'HTTP proxy: fetch a URL through it (CONNECT for https), status and expected text',
  defaultPort: () => 8080,
  async run(p) {
    const target = new URL(p.spec.target ?? '');
    const ca = await loadCa(p);
    p.details.target = redactUrl(target.href);
    const agent = new (undici().ProxyAgent)({
      uri: p.url.href,
      // A plain forward request for http:// targets, as browsers send it; CONNECT only for https://.
      proxyTunnel: false,
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
    const via = ` via ${p.url.host}${target.protocol === 'https:' ? ' (CONNECT)' : ''}`;
    try {
      return await fetchPage(p, target, agent, via);
    } finally {
      void agent.destroy().catch(() => {});
    }
  },
};
