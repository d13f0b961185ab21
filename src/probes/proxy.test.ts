import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { need, privateDaemon } from '../../test/services/index.ts';
import { lines, probe } from './testing.ts';

describe('proxy probe against tinyproxy', () => {
  it('fetches an http page through the proxy', async () => {
    const s = need('tinyproxy', 'nginx');
    const r = await probe({
      url: `http://127.0.0.1:${s.ports.proxy}`,
      kind: 'proxy',
      target: `http://127.0.0.1:${s.ports.http}/`,
      expect: s.fixture.token,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(r.kind).toBe('proxy');
    expect(r.details.httpStatus).toBe(200);
    expect(lines(r)).toContain(`> GET http://127.0.0.1:${s.ports.http}/ via 127.0.0.1:${s.ports.proxy}`);
  });

  it("never sends the proxy's password to the site: the site gets only the target URL's own", async () => {
    const s = need('tinyproxy');
    const seen: IncomingHttpHeaders[] = [];
    const site = createServer((req, res) => {
      seen.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const port = (site.address() as AddressInfo).port;
    try {
      const proxyUrl = `http://puser:psecret@127.0.0.1:${s.ports.proxy}`;
      const plain = await probe({ url: proxyUrl, kind: 'proxy', target: `http://127.0.0.1:${port}/` });
      expect(plain.status, plain.summary).toBe('OK');
      const own = await probe({
        url: proxyUrl,
        kind: 'proxy',
        target: `http://tuser:tsecret@127.0.0.1:${port}/`,
      });
      expect(own.status, own.summary).toBe('OK');
      expect(seen).toHaveLength(2);
      expect(seen[0]?.authorization).toBeUndefined();
      expect(seen[1]?.authorization).toBe(`Basic ${Buffer.from('tuser:tsecret').toString('base64')}`);
      // (tinyproxy without BasicAuth passes the Proxy-Authorization header on: that one is the proxy's doing.)
    } finally {
      site.close();
    }
  });

  it("sends the spec's user: and password: to the proxy, for a forward request and for CONNECT", async () => {
    const auths: (string | undefined)[] = [];
    const proxyServer = createServer((req, res) => {
      auths.push(req.headers['proxy-authorization']);
      res.writeHead(req.headers['proxy-authorization'] ? 200 : 407, { 'content-type': 'text/plain' });
      res.end('through');
    });
    proxyServer.on('connect', (req, socket) => {
      auths.push(req.headers['proxy-authorization']);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    await new Promise<void>((resolve) => proxyServer.listen(0, '127.0.0.1', resolve));
    const port = (proxyServer.address() as AddressInfo).port;
    try {
      const spec = {
        url: `http://127.0.0.1:${port}`,
        kind: 'proxy',
        user: 'alice',
        password: '50%off',
      } as const;
      const plain = await probe({ ...spec, target: 'http://site.invalid/' });
      expect(plain.status, plain.summary).toBe('OK');
      await probe({ ...spec, target: 'https://site.invalid/' });
      const want = `Basic ${Buffer.from('alice:50%off').toString('base64')}`;
      expect(auths).toEqual([want, want]);
    } finally {
      proxyServer.close();
    }
  });

  it('fetches an https page through CONNECT', async () => {
    const s = need('tinyproxy', 'nginx');
    const r = await probe({
      url: `http://127.0.0.1:${s.ports.proxy}`,
      kind: 'proxy',
      target: `https://localhost:${s.ports.https}/`,
      ca: s.certs.ca,
      expect: s.fixture.token,
    });
    expect(r.status, r.summary).toBe('OK');
    expect(lines(r)[0]).toContain('(CONNECT)');
  });

  it('classifies a CONNECT the proxy refuses as bad-status', async () => {
    const s = need('tinyproxy', 'postfix');
    const r = await probe({
      url: `http://127.0.0.1:${s.ports.proxy}`,
      kind: 'proxy',
      target: `https://127.0.0.1:${s.ports.smtp}/`,
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.summary).toBe(`the proxy refused CONNECT to 127.0.0.1:${s.ports.smtp}: HTTP 403`);
  });

  it('classifies an upstream the proxy cannot reach as bad-status from the proxy', async () => {
    const s = need('tinyproxy');
    const r = await probe({
      url: `http://127.0.0.1:${s.ports.proxy}`,
      kind: 'proxy',
      target: 'http://127.0.0.1:1/',
    });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(r.details.httpStatus).toBe(500);
    // The status is the proxy's own: said to come through it, with its reason phrase.
    expect(r.summary).toBe(
      `HTTP 500 Unable to connect from http://127.0.0.1:1/ through the proxy 127.0.0.1:${s.ports.proxy} (expected 2xx)`,
    );
  });

  it("says a status is the proxy's, with its reason, when its upstream proxy is down", async () => {
    const s = need('nginx');
    const { daemon, ports } = await privateDaemon('tinyproxy', { proxyUpstream: '127.0.0.1:1' });
    try {
      const r = await probe({
        url: `http://127.0.0.1:${ports.proxy}`,
        kind: 'proxy',
        target: `http://127.0.0.1:${s.ports.http}/`,
      });
      expect([r.status, r.failure, r.details.httpStatus]).toEqual(['CRITICAL', 'bad-status', 502]);
      expect(r.summary).toBe(
        `HTTP 502 Unable to connect to upstream proxy from http://127.0.0.1:${s.ports.http}/ through the proxy 127.0.0.1:${ports.proxy} (expected 2xx)`,
      );
    } finally {
      await daemon.stop();
    }
  });

  it('names a refused connection once tinyproxy is stopped', async () => {
    const s = need('nginx');
    const { daemon, ports } = await privateDaemon('tinyproxy');
    const spec = {
      url: `http://127.0.0.1:${ports.proxy}`,
      kind: 'proxy',
      target: `http://127.0.0.1:${s.ports.http}/`,
    };
    try {
      expect((await probe(spec)).status).toBe('OK');
    } finally {
      await daemon.stop();
    }
    const r = await probe(spec);
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });
});
