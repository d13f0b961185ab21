import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { servicePlan, testPlan } from '../../../test/helpers/plan.ts';
import { makeHost } from '../../core/host.ts';
import { Accountant } from '../account.ts';
import { gatherAttacks } from '../check.ts';
import { attacksConfig } from '../config.ts';
import { fileHints, hintsFor } from '../read.ts';
import { selfNamesOf } from '../host.ts';
import { isSelfTarget } from './proxy.ts';

const NOW = new Date(Date.UTC(2026, 10, 26, 3, 0, 0));

/** One line of a proxy log on host `gauntlet`. */
function one(line: string) {
  // As selfNames gives them on a Debian host: /etc/hostname's short name, then /etc/hosts' 127.0.1.1 line.
  return new Accountant({
    now: NOW,
    hints: ['proxy'],
    self: ['gauntlet', 'gauntlet.ash.or.jp', '127.0.1.1'],
  }).line(line);
}

const clf = (req: string, status: number, user = '-') =>
  `198.51.100.99 - ${user} [25/Nov/2026:04:20:00 +0900] "${req}" ${status} 652 0.010+0.320:0`;

describe('proxy access logs', () => {
  it('does not count a request the proxy relayed to another site as a probe of this server', () => {
    // Relayed (200) for an outside client: an open proxy's relay, no probe or password-file read here.
    expect(one(clf('GET http://www.example.net/cgi-bin/php.cgi?/etc/passwd HTTP/1.0', 200))).toMatchObject({
      detector: 'openproxy',
      kind: 'relay',
    });
    expect(
      one(clf('GET http://www.example.com/cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0', 404)),
    ).toBeNull();
    expect(one(clf('GET http://www.example.com/cgi-bin/test-cgi?* HTTP/1.0', 200))).toMatchObject({
      detector: 'openproxy',
      kind: 'relay',
    });
    expect(one(clf('CONNECT mail.example.org:25 HTTP/1.0', 403))).toBeNull();
  });

  it('counts requests for this host (a plain path, its own name, a loopback name), path only', () => {
    expect(one(clf('GET /cgi-bin/phf HTTP/1.0', 403))).toMatchObject({
      detector: 'webprobe',
      host: '198.51.100.99',
      service: 'proxy',
      path: '/cgi-bin/phf',
      status: 403,
    });
    const own = one(clf('GET http://gauntlet.ash.or.jp:80/cgi-bin/php.cgi?/etc/passwd HTTP/1.0', 200));
    expect(own).toMatchObject({ detector: 'passwd', path: '/cgi-bin/php.cgi?/etc/passwd', answered: true });
    expect(own).not.toHaveProperty('target');
    expect(one(clf('GET http://127.0.0.1/.env HTTP/1.0', 404))).toMatchObject({
      detector: 'webprobe',
      path: '/.env',
    });
  });

  it('counts a 407 to a request that sent a user as a failed proxy login', () => {
    expect(one(clf('GET http://www.example.net/ HTTP/1.0', 407, 'kato'))).toMatchObject({
      detector: 'bruteforce',
      kind: 'failure',
      user: 'kato',
      service: 'proxy',
    });
    expect(one(clf('GET http://www.example.net/ HTTP/1.0', 407))).toBeNull();
  });

  it("reads Squid's native format the same way", () => {
    const squid = (url: string, code: string) =>
      `1795659600.123    120 198.51.100.9 ${code} 652 GET ${url} - HIER_DIRECT/192.0.2.80 text/plain`;
    expect(one(squid('http://www.example.net/cgi-bin/phf', 'TCP_MISS/200'))).toMatchObject({
      detector: 'openproxy',
      kind: 'relay',
    });
    expect(one(squid('http://www.example.net/cgi-bin/phf', 'TCP_DENIED/403'))).toBeNull();
    const e = one(squid('http://localhost/etc/passwd', 'TCP_MISS/200'));
    expect(e).toMatchObject({
      detector: 'passwd',
      host: '198.51.100.9',
      path: '/etc/passwd',
      answered: true,
    });
    expect(e?.time).toBe(1795659600000);
  });

  it('tells this host by its name and loopback, not by a name that only starts alike', () => {
    expect(isSelfTarget('gauntlet', ['gauntlet.ash.or.jp'])).toBe(true);
    expect(isSelfTarget('gauntlet.ash.or.jp', ['gauntlet', 'gauntlet.ash.or.jp'])).toBe(true);
    // A dotted site is this host only by its full name: a proxy called `mail` relays mail.google.com.
    expect(isSelfTarget('mail.google.com', ['mail'])).toBe(false);
    expect(isSelfTarget('mail.example.net', ['mail'])).toBe(false);
    expect(isSelfTarget('gauntlet.evil.example', ['gauntlet.ash.or.jp'])).toBe(false);
    expect(isSelfTarget('::1', [])).toBe(true);
    expect(isSelfTarget('::ffff:7f00:1', [])).toBe(true);
    expect(isSelfTarget('::ffff:c000:201', [])).toBe(false);
    expect(isSelfTarget('localhost', [])).toBe(true);
    expect(isSelfTarget('10.0.0.1', ['gauntlet'])).toBe(false);
    expect(isSelfTarget('192.0.2.5', ['gauntlet', '192.0.2.5'])).toBe(true);
  });

  it("takes this host's names from /etc/hosts lines that name it (its FQDN, its own address)", () => {
    const hosts = [
      '127.0.0.1\tlocalhost',
      '127.0.1.1\tgauntlet.ash.or.jp gauntlet # Debian',
      '192.0.2.5 gauntlet.ash.or.jp',
      '192.0.2.9 mailhub.ash.or.jp mailhub',
      '::1 localhost ip6-localhost',
    ].join('\n');
    expect(selfNamesOf('gauntlet', hosts)).toEqual([
      'gauntlet',
      'gauntlet.ash.or.jp',
      '127.0.1.1',
      '192.0.2.5',
    ]);
    expect(selfNamesOf('gauntlet', '')).toEqual(['gauntlet']);
  });

  it('reads spellings of loopback the proxy reads, and a Squid fetch from this host, as this host', () => {
    expect(one(clf('GET http://[0:0:0:0:0:0:0:1]/.env HTTP/1.0', 404))).toMatchObject({ path: '/.env' });
    expect(one(clf('GET http://2130706433/.env HTTP/1.0', 404))).toMatchObject({ path: '/.env' });
    const squid = (url: string, peer: string) =>
      `1795659600.123      5 203.0.113.50 TCP_MISS/200 1812 GET ${url} - ${peer} text/plain`;
    // A reverse proxy in front of this host's web server, and a name that resolves to 127.0.0.1.
    expect(
      one(squid('http://www.gauntlet-shop.example/cgi-bin/php.cgi?/etc/passwd', 'FIRSTUP_PARENT/127.0.0.1')),
    ).toMatchObject({ detector: 'passwd', answered: true });
    expect(one(squid('http://127.0.0.1.nip.io/.env', 'HIER_DIRECT/127.0.0.1'))).toMatchObject({
      path: '/.env',
    });
    // Fetched from another server: relayed (for an outside client: an open proxy's relay, not a probe here).
    expect(one(squid('http://www.example.net/.env', 'HIER_DIRECT/93.184.216.34'))).toMatchObject({
      detector: 'openproxy',
      kind: 'relay',
    });
  });

  it("reads DeleGate's and Squid's logs as proxy logs, from the profile and on the command line", () => {
    expect(hintsFor('delegate', '/usr/local/etc/delegate/log/8080.http')).toEqual(['proxy']);
    expect(hintsFor('squid', '/var/log/squid/access.log')).toEqual(['proxy']);
    expect(hintsFor('squid', '/var/log/squid/cache.log')).toEqual([]);
    expect(fileHints('/srv/copy/8080.http', '/')).toEqual(['proxy']);
    expect(fileHints('/var/log/squid/access.log', '/')).toEqual(['proxy']);
    expect(fileHints('/var/log/squid3/access.log', '/')).toEqual(['proxy']);
    expect(fileHints('/var/log/squid-deb-proxy/access.log', '/')).toEqual(['proxy']);
    // A copy named access.log elsewhere: its first line says Squid.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-proxy-'));
    const copy = path.join(dir, 'access.log');
    writeFileSync(
      copy,
      '1795659600.123    120 198.51.100.9 TCP_MISS/200 652 GET http://x/ - HIER_DIRECT/192.0.2.80 text/plain\n',
    );
    expect(fileHints(copy, '/')).toEqual(['proxy']);
    writeFileSync(copy, '198.51.100.9 - - [30/Jun/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"\n');
    expect(fileHints(copy, '/')).toEqual(['web']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the attacks check on DeleGate's log from its profile", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reads it: a probe of the proxy itself is found, a relay for an outsider is an open proxy', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-proxy-'));
    dirs.push(root);
    const log = '/usr/local/etc/delegate/log/8080.http';
    mkdirSync(path.join(root, path.dirname(log)), { recursive: true });
    writeFileSync(
      path.join(root, log),
      [
        clf('GET http://www.example.com/cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0', 404),
        clf('GET /cgi-bin/phf HTTP/1.0', 403),
        clf('GET http://www.example.net/cgi-bin/php.cgi?/etc/passwd HTTP/1.0', 200),
        '',
      ].join('\n'),
    );
    const plan = testPlan([servicePlan('delegate', { logs: [log] })], []);
    const g = await gatherAttacks({
      host: makeHost({ root, name: 'gauntlet', now: NOW, env: { TZ: 'UTC' } }),
      plan,
      cfg: attacksConfig.parse({}),
      timeZone: 'UTC',
      mode: { kind: 'all' },
    });
    expect(g.files).toEqual([log]);
    expect(g.report.findings.map((f) => [f.kind, f.status, f.service])).toEqual([
      ['attack-openproxy', 'CRITICAL', 'delegate'],
      ['attack-webprobe', 'INFO', 'delegate'],
    ]);
    expect(g.report.findings[0]?.summary).toBe(
      'open proxy: delegate relayed 1 request for 1 outside client (198.51.100.99) (if these clients are yours: checks.attacks.openproxy.allow)',
    );
    expect(g.report.findings[1]?.data).toMatchObject({ probes: 1, paths: ['/cgi-bin/phf'], answered: [] });
  });
});
