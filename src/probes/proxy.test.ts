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
