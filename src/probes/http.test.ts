import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { need, privateDaemon } from '../../test/services/index.ts';
import { lines, probe } from './testing.ts';

describe('http probe against nginx', () => {
  it('reports the page OK with its status, size and the expected text', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/`, expect: s.fixture.token });
    expect(r.status, r.summary).toBe('OK');
    expect(r.failure).toBeNull();
    expect(r.details.httpStatus).toBe(200);
    expect(r.summary).toMatch(/^HTTP 200 OK in \d+ ms, \d+ B, expected text found$/);
    expect(r.details.server).toMatch(/^nginx/);
    expect(r.timings.total).toBeGreaterThan(0);
    expect(lines(r)).toContain(`> GET http://127.0.0.1:${s.ports.http}/`);
  });

  it('follows a redirect and names it', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/old`, expect: s.fixture.token });
    expect(r.status, r.summary).toBe('OK');
    expect(r.details.redirects).toEqual([`http://127.0.0.1:${s.ports.http}/`]);
    expect(r.summary).toContain('after 1 redirect');
  });

  it('fails a redirect loop as bad-status once the limit is reached', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/loop`, redirects: 3 });
    expect(r.status).toBe('CRITICAL');
    expect(r.failure).toBe('bad-status');
    expect(r.summary).toContain('HTTP 302 Moved Temporarily after 3 redirects (limit 3)');
  });

  it('blames a failure after a redirect on the redirect target, not on the probed URL', async () => {
    const s = need('nginx');
    const dns = await probe({ url: `http://127.0.0.1:${s.ports.http}/elsewhere`, timeout: 5 });
    expect([dns.status, dns.failure]).toEqual(['CRITICAL', 'dns']);
    expect(dns.summary).toBe('after redirect to http://nowhere.tenken.invalid/: name not found');
    expect(dns.details.redirects).toEqual(['http://nowhere.tenken.invalid/']);
    // The probed URL is plain http: the untrusted certificate is the redirect target's.
    const tls = await probe({ url: `http://127.0.0.1:${s.ports.http}/tohttps` });
    expect([tls.status, tls.failure]).toEqual(['CRITICAL', 'tls']);
    expect(tls.summary).toMatch(
      new RegExp(
        `^after redirect to https://127\\.0\\.0\\.1:${s.ports.https}/: TLS: certificate not trusted: `,
      ),
    );
    // The same failure at the probed URL itself keeps its plain wording.
    const direct = await probe({ url: `https://127.0.0.1:${s.ports.https}/` });
    expect(direct.summary).toMatch(/^TLS: certificate not trusted: /);
  });

  it('classifies a 404 as bad-status and a 500 as bad-status', async () => {
    const s = need('nginx');
    const missing = await probe({ url: `http://127.0.0.1:${s.ports.http}/missing` });
    expect([missing.status, missing.failure]).toEqual(['CRITICAL', 'bad-status']);
    expect(missing.summary).toMatch(/^HTTP 404 Not Found from .*\/missing \(expected 2xx\)$/);
    const broken = await probe({ url: `http://127.0.0.1:${s.ports.http}/broken` });
    expect(broken.failure).toBe('bad-status');
    expect(broken.details.httpStatus).toBe(500);
  });

  it('accepts a status the spec lists', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/missing`, status: [404] });
    expect(r.status, r.summary).toBe('OK');
  });

  it('classifies a page without the expected text as bad-content, showing the page start', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/`, expect: 'not on the page' });
    expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-content']);
    expect(r.summary).toContain('"not on the page" is not in the page');
    expect(lines(r).some((l) => l.includes(s.fixture.token))).toBe(true);
  });

  it('checks the certificate of https: trusted with the CA, days left, and untrusted without it', async () => {
    const s = need('nginx');
    const url = `https://localhost:${s.ports.https}/`;
    const ok = await probe({ url, ca: s.certs.ca, expect: s.fixture.token });
    expect(ok.status, ok.summary).toBe('OK');
    expect(ok.details.certDaysLeft).toBeGreaterThanOrEqual(28);
    expect(ok.details.certDaysLeft).toBeLessThanOrEqual(30);
    expect(ok.details.certTrusted).toBe(true);
    expect(ok.summary).toMatch(/certificate (29|30) days left/);

    const untrusted = await probe({ url });
    expect([untrusted.status, untrusted.failure]).toEqual(['CRITICAL', 'tls']);
    expect(untrusted.summary).toMatch(/^TLS: certificate not trusted: /);
    expect(untrusted.details.certSubject).toBe('localhost');

    const insecure = await probe({ url, insecure: true });
    expect(insecure.status, insecure.summary).toBe('OK');
  });

  it('warns when the certificate expires within the warning days, critical within the critical days', async () => {
    const s = need('nginx');
    const url = `https://localhost:${s.ports.https}/`;
    const warn = await probe({ url, ca: s.certs.ca, certWarnDays: 40, certCritDays: 7 });
    expect([warn.status, warn.failure]).toEqual(['WARNING', 'tls']);
    expect(warn.summary).toMatch(/^certificate expires in (29|30) days; HTTP 200/);
    const crit = await probe({ url, ca: s.certs.ca, certCritDays: 45 });
    expect([crit.status, crit.failure]).toEqual(['CRITICAL', 'tls']);
  });

  it('says the days left once, and an expired certificate as expired days ago', async () => {
    const s = need('nginx');
    const url = `https://localhost:${s.ports.https}/`;
    const warn = await probe({ url, ca: s.certs.ca, certWarnDays: 40, certCritDays: 7 });
    expect(warn.summary.match(/\b(29|30) days\b/g)).toHaveLength(1);
    expect(warn.summary).not.toContain('days left');
    // 40 days on, the 30-day certificate has expired (OpenSSL still trusts it: its clock is the real one).
    const later = new Date(Date.now() + 40 * 86_400_000);
    const expired = await probe({ url, ca: s.certs.ca }, { now: () => later });
    expect([expired.status, expired.failure]).toEqual(['CRITICAL', 'tls']);
    expect(expired.summary).toMatch(/^certificate expired 1[01] days ago; HTTP 200 OK in \d+ ms, \d+ B$/);
    expect(expired.details.certDaysLeft).toBeLessThan(0);
  });

  it('logs in with basic auth from the URL or the spec, and never shows the password', async () => {
    const s = need('nginx');
    const { webUser: user, webPassword: password } = s.fixture;
    const page = `127.0.0.1:${s.ports.http}/private/`;
    const anon = await probe({ url: `http://${page}` });
    expect([anon.status, anon.failure, anon.details.httpStatus]).toEqual(['CRITICAL', 'bad-status', 401]);
    const inUrl = await probe({ url: `http://${user}:${password}@${page}`, expect: s.fixture.token });
    expect(inUrl.status, inUrl.summary).toBe('OK');
    expect(lines(inUrl)).toContain(`> GET http://${user}:***@${page}`);
    const inSpec = await probe({ url: `http://${page}`, user, password, expect: s.fixture.token });
    expect(inSpec.status, inSpec.summary).toBe('OK');
    const wrong = await probe({ url: `http://${user}:${password}@127.0.0.1:${s.ports.http}/missing` });
    expect(wrong.summary).toBe(
      `HTTP 404 Not Found from http://${user}:***@127.0.0.1:${s.ports.http}/missing (expected 2xx)`,
    );
    for (const r of [inUrl, inSpec, wrong]) expect(JSON.stringify(r)).not.toContain(password);
  });

  it('reads the page in its declared charset before looking for the expected text', async () => {
    const s = need('nginx');
    const r = await probe({ url: `http://127.0.0.1:${s.ports.http}/latin1.html`, expect: 'Café ok' });
    expect(r.status, r.summary).toBe('OK');
  });

  it('names a refused connection once nginx is stopped', async () => {
    const { daemon, ports } = await privateDaemon('nginx');
    const url = `http://127.0.0.1:${ports.http}/`;
    try {
      expect((await probe({ url })).status).toBe('OK');
    } finally {
      await daemon.stop();
    }
    const r = await probe({ url });
    expect([r.status, r.failure, r.summary]).toEqual(['CRITICAL', 'refused', 'connection refused']);
  });
});

describe('the reason a failing status is given', () => {
  it("falls back to the page's <title> when the status line has no reason phrase, terminal-safe", async () => {
    const page = '<html><head><TITLE>\n Unable to connect\x1b[2J to upstream </TITLE></head></html>';
    const server = net.createServer((sock) => {
      sock.once('data', () => {
        sock.end(
          `HTTP/1.1 502 \r\ncontent-type: text/html\r\ncontent-length: ${page.length}\r\nconnection: close\r\n\r\n${page}`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const r = await probe({ url: `http://127.0.0.1:${port}/` });
      expect([r.status, r.failure]).toEqual(['CRITICAL', 'bad-status']);
      expect(r.summary).toBe(
        `HTTP 502 (page title "Unable to connect\\x1b[2J to upstream") from http://127.0.0.1:${port}/ (expected 2xx)`,
      );
    } finally {
      server.close();
    }
  });
});
