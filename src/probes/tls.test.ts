import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { need } from '../../test/services/index.ts';
import { daysLeft } from './tls.ts';
import { probe } from './testing.ts';

const servers: tls.Server[] = [];
const sockets: tls.TLSSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An in-process HTTPS server answering one fixed page, with the given certificate. */
async function fakeHttps(cert: string, key: string, host = '127.0.0.1'): Promise<number> {
  const srv = tls.createServer({ cert: await readFile(cert), key: await readFile(key) }, (sock) => {
    sockets.push(sock);
    sock.on('error', () => {});
    sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, host, r));
  const addr = srv.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

describe('daysLeft', () => {
  it('counts whole days to an OpenSSL valid_to date, negative once past', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(daysLeft('Mar 31 12:00:00 2026 GMT', now)).toBe(30);
    expect(daysLeft('Mar  2 11:59:59 2026 GMT', now)).toBe(0);
    expect(daysLeft('Feb 27 12:00:00 2026 GMT', now)).toBe(-2);
    expect(daysLeft('not a date', now)).toBeNaN();
  });
});

describe('TLS certificates', () => {
  it('fails https on a plain-HTTP port as tls (nginx)', async () => {
    const s = need('nginx');
    const r = await probe({ url: `https://127.0.0.1:${s.ports.http}/`, timeout: 3 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'tls']);
    expect(r.summary).toMatch(/^TLS: /);
  });

  it('is critical for a certificate about to expire (fake: a TLS server with a 3-day certificate)', async () => {
    const s = need('nginx');
    const port = await fakeHttps(s.certs.shortCert, s.certs.shortKey);
    const r = await probe({ url: `https://localhost:${port}/`, ca: s.certs.ca });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'tls']);
    expect(r.summary).toMatch(/^certificate expires in [23] days; HTTP 200 OK/);
    expect(r.details.certDaysLeft).toBeLessThanOrEqual(3);
  });

  it('reports an address the certificate does not name as not trusted (fake on 127.0.0.2)', async () => {
    const s = need('nginx');
    const port = await fakeHttps(s.certs.cert, s.certs.key, '127.0.0.2');
    const r = await probe({ url: `https://127.0.0.2:${port}/`, ca: s.certs.ca, timeout: 3 });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'tls']);
    expect(r.summary).toMatch(
      /^TLS: certificate not trusted: .*(IP: 127\.0\.0\.2 is not in the cert's list|ALTNAME)/,
    );
    expect(r.details.certTrusted).toBe(false);
  });
});
