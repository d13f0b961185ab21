import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import { Accountant, type LocatedEvent } from './account.ts';
import { attacksConfig } from './config.ts';
import { AttackDetectors } from './detect.ts';
import type { Family } from './extract/registry.ts';

/**
 * Open proxies: a forward proxy (DeleGate, Squid) or a web server's CONNECT relaying for clients that are not
 * its own users. The lines are the formats these daemons write; the host is `gauntlet` (192.0.2.80).
 */

const NOW = new Date(Date.UTC(2026, 10, 26, 3, 0, 0));
const SELF = ['gauntlet', 'gauntlet.ash.or.jp', '192.0.2.80'];

/** The events of a log read with `hints`, as the check reads a service's own log. */
function events(hints: Family[], lines: string[], allow: string[] = []): LocatedEvent[] {
  const acc = new Accountant({ now: NOW, zone: makeZone('UTC'), hints, self: SELF, allow });
  const out: LocatedEvent[] = [];
  acc.scanText(lines.join('\n'), 1, (e) => out.push(e));
  return out;
}

/** The findings of those events, with `serviceName` as a plan maps the extractor's service. */
function findings(
  hints: Family[],
  lines: string[],
  opts: { allow?: string[]; serviceName?: (s: string) => string; evidence?: number } = {},
) {
  const cfg = attacksConfig.parse({
    openproxy: { allow: opts.allow ?? [] },
    ...(opts.evidence !== undefined ? { evidence: opts.evidence } : {}),
  });
  const det = new AttackDetectors(cfg, opts.serviceName ? { serviceName: opts.serviceName } : {});
  for (const e of events(hints, lines, opts.allow)) det.add({ ...e, source: '/var/log/squid/access.log' });
  return det.finish();
}

/** A DeleGate (CLF) line. */
const delegate = (client: string, req: string, status: number, user = '-', day = 25) =>
  `${client} - ${user} [${day}/Nov/2026:04:20:00 +0900] "${req}" ${status} 652 0.010+0.320:0`;

/** A Squid native line. */
const squid = (client: string, code: string, method: string, url: string, user = '-', t = 1764131000) =>
  `${t}.123    512 ${client} ${code} 4567 ${method} ${url} ${user} HIER_DIRECT/93.184.216.34 text/html`;

const squidPlan = (s: string) => (s === 'proxy' ? 'squid' : 'host');

describe('open proxy: a forward proxy relaying for outside clients', () => {
  it("makes one CRITICAL finding per proxy from Squid's relayed requests and tunnels, clients named", () => {
    const r = findings(
      ['proxy'],
      [
        squid('203.0.113.9', 'TCP_MISS/200', 'GET', 'http://azenv.net/'),
        squid('203.0.113.9', 'TCP_TUNNEL/200', 'CONNECT', 'smtp.example.org:25', '-', 1764131060),
        squid('198.51.100.7', 'TCP_HIT/200', 'GET', 'http://www.example.com/ad?id=1', '-', 1764131120),
        squid('203.0.113.9', 'TCP_REFRESH_UNMODIFIED/304', 'GET', 'http://www.example.com/', '-', 1764131180),
      ],
      { serviceName: squidPlan },
    );
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f).toMatchObject({
      kind: 'attack-openproxy',
      status: 'CRITICAL',
      service: 'squid',
      summary:
        'open proxy: squid relayed 4 requests for 2 outside clients (203.0.113.9, 198.51.100.7) (if these clients are yours: checks.attacks.openproxy.allow)',
      first: '2025-11-26T04:23:20.000Z',
      last: '2025-11-26T04:26:20.000Z',
      data: {
        service: 'squid',
        requests: 4,
        clients: 2,
        clientsCapped: false,
        top: [
          { host: '203.0.113.9', requests: 3 },
          { host: '198.51.100.7', requests: 1 },
        ],
      },
    });
    expect(f?.evidence.map((e) => e.line)).toEqual([1, 2, 3, 4]);
    expect(f?.evidence[1]?.text).toContain('CONNECT smtp.example.org:25');
    // The relays are the proxy's finding, not a source's: no per-client rows.
    expect(r.sources).toEqual([]);
  });

  it('counts what DeleGate relayed (CLF, 2xx/3xx), and the same log before this change made nothing', () => {
    const lines = [
      delegate('203.0.113.45', 'GET http://azenv.net/ HTTP/1.1', 200),
      delegate('203.0.113.45', 'GET http://www.example.net/ HTTP/1.0', 302),
      delegate('203.0.113.45', 'CONNECT mail.example.com:25 HTTP/1.0', 200),
    ];
    const r = findings(['proxy'], lines, { serviceName: (s) => (s === 'proxy' ? 'delegate' : 'host') });
    expect(r.findings.map((f) => [f.kind, f.status, f.summary])).toEqual([
      [
        'attack-openproxy',
        'CRITICAL',
        'open proxy: delegate relayed 3 requests for 1 outside client (203.0.113.45) (if these clients are yours: checks.attacks.openproxy.allow)',
      ],
    ]);
  });

  it('leaves out local clients, allowed ones, denials, errors, proxy users and requests for this host', () => {
    const lines = [
      // the proxy's own users: private ranges, loopback, CGNAT, ULA, mapped, this host's address
      squid('10.0.1.23', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      squid('127.0.0.1', 'TCP_TUNNEL/200', 'CONNECT', 'www.example.com:443'),
      squid('100.64.3.4', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      squid('fd00::5', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      squid('::ffff:192.168.1.5', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      squid('192.0.2.80', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      // the config's allow list
      squid('198.51.100.200', 'TCP_MISS/200', 'GET', 'http://www.example.com/'),
      // denied, refused by credentials, never forwarded, the proxy's own redirect, an upstream error
      squid('203.0.113.9', 'TCP_DENIED/403', 'GET', 'http://azenv.net/'),
      squid('203.0.113.9', 'TCP_DENIED/407', 'CONNECT', 'smtp.example.org:25'),
      squid('203.0.113.9', 'NONE_NONE/400', 'CONNECT', 'smtp.example.org:25'),
      squid('203.0.113.9', 'TCP_REDIRECT/302', 'GET', 'http://azenv.net/'),
      squid('203.0.113.9', 'TCP_MISS/503', 'GET', 'http://azenv.net/'),
      delegate('203.0.113.9', 'CONNECT mail.example.com:25 HTTP/1.0', 403),
      // an authenticated user: the admin's design
      squid('203.0.113.9', 'TCP_MISS/200', 'GET', 'http://www.example.com/', 'alice'),
      delegate('203.0.113.9', 'GET http://www.example.com/ HTTP/1.0', 200, 'alice'),
      // a request for this host's own site: served here, not relayed elsewhere
      squid('203.0.113.9', 'TCP_MISS/200', 'GET', 'http://gauntlet.ash.or.jp/'),
      delegate('203.0.113.9', 'GET http://localhost/ HTTP/1.0', 200),
    ];
    expect(events(['proxy'], lines, ['198.51.100.192/26'])).toEqual([]);
  });

  it('keeps the probe of this host an absolute request makes, and makes a relay of a probe of another site', () => {
    const got = events(
      ['proxy'],
      [
        delegate('203.0.113.9', 'GET http://gauntlet/cgi-bin/phf HTTP/1.0', 200),
        delegate('203.0.113.9', 'GET http://www.example.com/cgi-bin/phf HTTP/1.0', 200),
        delegate('203.0.113.9', 'GET http://www.example.com/cgi-bin/phf HTTP/1.0', 404),
      ],
    );
    expect(got.map((e) => [e.line, e.event.detector, e.event.kind])).toEqual([
      [1, 'webprobe', 'probe'],
      [2, 'openproxy', 'relay'],
    ]);
    expect(got[1]?.event).toEqual({
      detector: 'openproxy',
      kind: 'relay',
      host: '203.0.113.9',
      service: 'proxy',
      attempts: 1,
      time: Date.UTC(2026, 10, 24, 19, 20),
      status: 200,
    });
    expect(got[0]?.event).not.toHaveProperty('target');
    expect(got[0]?.event).not.toHaveProperty('relayed');
  });

  it('bounds what a botnet of clients costs: requests all counted, clients one by one up to 20,000', () => {
    const lines = Array.from({ length: 25_000 }, (_, i) =>
      squid(
        `2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}`,
        'TCP_MISS/200',
        'GET',
        'http://azenv.net/',
      ),
    );
    lines.push(squid('203.0.113.9', 'TCP_MISS/200', 'GET', 'http://azenv.net/'));
    lines.push(squid('203.0.113.9', 'TCP_MISS/200', 'GET', 'http://azenv.net/'));
    const r = findings(['proxy'], lines, { evidence: 3 });
    const f = r.findings[0];
    expect(f?.kind).toBe('attack-openproxy');
    if (f?.kind !== 'attack-openproxy') return;
    expect(f.data).toMatchObject({ requests: 25_002, clients: 20_000, clientsCapped: true });
    expect(f.data.top).toHaveLength(20);
    // Past the bound a new client is counted in the total only (its own count would be memory it chooses).
    expect(f.data.top.every((c) => c.requests === 1 && c.host.startsWith('2001:db8:'))).toBe(true);
    expect(f.summary).toMatch(
      /^open proxy: proxy relayed 25002 requests for at least 20000 outside clients \(/,
    );
    // The first lines and the latest: bounded evidence.
    expect(f.evidence.map((e) => e.line)).toEqual([1, 2, 25_002]);
  });
});

describe("open proxy: a web server's access log", () => {
  const access = (client: string, req: string, status: number, user = '-') =>
    `${client} - ${user} [25/Nov/2026:04:20:00 +0900] "${req}" ${status} 166 "-" "Mozilla/5.0"`;
  const httpd = (s: string) => (s === 'web' ? 'httpd' : 'host');

  it('makes a CONNECT answered 2xx (mod_proxy_connect open to all) the CRITICAL open-proxy finding', () => {
    const r = findings(['web'], [access('203.0.113.9', 'CONNECT smtp.example.org:25 HTTP/1.1', 200)], {
      serviceName: httpd,
    });
    expect(r.findings.map((f) => [f.kind, f.status, f.service, f.summary])).toEqual([
      [
        'attack-openproxy',
        'CRITICAL',
        'httpd',
        'open proxy: httpd relayed 1 request for 1 outside client (203.0.113.9) (if these clients are yours: checks.attacks.openproxy.allow)',
      ],
    ]);
  });

  it("makes scanners' proxy requests web probes that no 200 makes CRITICAL (nginx answers any URI itself)", () => {
    // What an internet-facing nginx logs: CONNECTs it refuses, and absolute URIs its default server answers.
    const lines = [
      access('203.0.113.50', 'CONNECT www.google.com:443 HTTP/1.1', 400),
      access('203.0.113.50', 'GET http://azenv.net/ HTTP/1.1', 200),
      access('203.0.113.50', 'GET http://www.example.com/cgi-bin/phf HTTP/1.1', 200),
      access('203.0.113.50', 'CONNECT smtp.example.org:25 HTTP/1.1', 405),
    ];
    const r = findings(['web'], lines, { serviceName: httpd });
    expect(r.findings.map((f) => [f.kind, f.status, f.host])).toEqual([
      ['attack-webprobe', 'INFO', '203.0.113.50'],
    ]);
    const f = r.findings[0];
    if (f?.kind !== 'attack-webprobe') throw new Error('no web probe');
    expect(f.data).toMatchObject({ probes: 4, answered: [] });
    expect(f.data.paths).toEqual(
      expect.arrayContaining(['www.google.com:443', 'http://azenv.net/', 'smtp.example.org:25']),
    );
    expect(f.summary).not.toMatch(/possible successful probe/);
  });

  it('reaches the WARNING threshold like any probes (warnProbes 20), and leaves local and authenticated tunnels alone', () => {
    const many = Array.from({ length: 20 }, () =>
      access('203.0.113.51', 'GET http://azenv.net/ HTTP/1.1', 200),
    );
    expect(findings(['web'], many).findings.map((f) => f.status)).toEqual(['WARNING']);
    expect(
      events(
        ['web'],
        [
          access('10.0.0.5', 'CONNECT intranet.example:443 HTTP/1.1', 200),
          access('203.0.113.9', 'CONNECT smtp.example.org:25 HTTP/1.1', 200, 'alice'),
        ],
      ),
    ).toEqual([]);
  });
});
