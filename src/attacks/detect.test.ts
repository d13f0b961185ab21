import { describe, expect, it } from 'vitest';
import { Accountant, type LocatedEvent } from './account.ts';
import { attacksConfig } from './config.ts';
import { AttackDetectors, listSources } from './detect.ts';
import type { AttackFinding } from './findings.ts';
import { makeZone } from '../core/tz.ts';
import type { Family } from './extract/registry.ts';

const NOW = new Date(Date.UTC(2024, 5, 30, 12, 0, 0));
/** The fixtures' year-less and offset-less stamps are UTC, whatever zone the tests run in. */
const UTC = makeZone('UTC');

function detect(text: string, hints: Family[] = [], cfg: unknown = {}) {
  const det = new AttackDetectors(attacksConfig.parse(cfg));
  const acc = new Accountant({ now: NOW, zone: UTC, hints });
  acc.scanText(text, 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/auth.log' }));
  return { det, report: () => det.finish() };
}

function sshLines(n: number, host: string, startSec = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const s = startSec + i;
    const t = `10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    return `Jun 30 ${t} srv sshd[${1000 + i}]: Failed password for invalid user u${i % 7} from ${host} port ${40000 + i} ssh2`;
  });
}

describe('brute-force detector', () => {
  it('makes a CRITICAL finding for a host that failed 50 times and then logged in', () => {
    const lines = [
      ...sshLines(50, '203.0.113.50'),
      'Jun 30 10:05:00 srv sshd[2000]: Accepted password for root from 203.0.113.50 port 41000 ssh2',
    ];
    const r = detect(lines.join('\n')).report();
    const f = r.findings.find((x) => x.kind === 'attack-bruteforce');
    expect(f?.status).toBe('CRITICAL');
    expect(f?.host).toBe('203.0.113.50');
    expect(f?.kind === 'attack-bruteforce' && f.data.count).toBe(50);
    expect(f?.kind === 'attack-bruteforce' && f.data.succeeded?.user).toBe('root');
    expect(f?.evidence[0]).toMatchObject({ source: '/var/log/auth.log', line: 1 });
    expect(r.sources[0]).toMatchObject({
      host: '203.0.113.50',
      status: 'CRITICAL',
      failures: 50,
      successes: 1,
    });
  });

  it("names the services of the failures only, not those of the same source's other events", () => {
    const det = new AttackDetectors(attacksConfig.parse({}));
    const feed = (text: string, hints: Family[], source: string) => {
      const acc = new Accountant({ now: NOW, zone: UTC, hints });
      acc.scanText(text, 1, (e: LocatedEvent) => det.add({ ...e, source }));
    };
    feed(
      Array.from(
        { length: 6 },
        (_, i) =>
          `Jun 30 10:00:0${i} srv vsftpd[${40 + i}]: [pid ${40 + i}] [bad] FAIL LOGIN: Client "203.0.113.70"`,
      ).join('\n'),
      [],
      '/var/log/syslog',
    );
    feed(
      '203.0.113.70 - - [30/Jun/2024:10:01:00 +0000] "GET /.env HTTP/1.1" 404 1 "-" "x"',
      ['web'],
      '/var/log/nginx/access.log',
    );
    const bf = det.finish().findings.find((f) => f.kind === 'attack-bruteforce');
    expect(bf?.summary).toMatch(/ on vsftpd, peak 6 in 10 min$/);
  });

  it('counts one /64 as one attacker when each of its addresses stays under maxretry', () => {
    const lines = Array.from({ length: 10 }, (_, i) =>
      [0, 1].map(
        (k) =>
          `Jun 30 10:0${i % 10}:${10 + k * 20} srv sshd[${300 + i * 2 + k}]: Failed password for root from 2001:db8:1:2::${(i + 1).toString(16)} port ${4000 + i} ssh2`,
      ),
    ).flat();
    // Two addresses of another /64, and one of a third: each alone, nothing.
    lines.push(
      'Jun 30 10:00:30 srv sshd[900]: Failed password for root from 2001:db8:9::1 port 1 ssh2',
      'Jun 30 10:00:31 srv sshd[901]: Failed password for root from 2001:db8:9::2 port 1 ssh2',
      'Jun 30 10:00:32 srv sshd[902]: Failed password for root from 2001:db8:7::1 port 1 ssh2',
    );
    const r = detect(lines.join('\n')).report();
    expect(r.findings.map((f) => [f.status, f.host, f.kind === 'attack-bruteforce' && f.data.count])).toEqual(
      [['WARNING', '2001:db8:1:2::/64', 20]],
    );
    expect(r.findings[0]?.summary).toMatch(
      /^2001:db8:1:2::\/64: 20 failed logins from 10 addresses of one \/64 \(users root\) on sshd, peak \d+ in 10 min$/,
    );
  });

  it('makes the /64 finding of a /64 with 150,000 addresses (one failure each) without overflowing the stack', () => {
    const det = new AttackDetectors(attacksConfig.parse({}));
    const base = Date.UTC(2024, 5, 30, 10, 0, 0);
    for (let i = 1; i <= 150_000; i++)
      det.add({
        event: {
          detector: 'bruteforce',
          kind: 'failure',
          host: `2001:db8:1:2::${i.toString(16)}`,
          service: 'sshd',
          attempts: 1,
          time: base + i * 500,
          user: 'root',
        },
        line: i,
        text: '',
        source: '/var/log/auth.log',
      });
    const r = det.finish();
    const f = r.findings.find((x) => x.host === '2001:db8:1:2::/64');
    expect(f?.kind === 'attack-bruteforce' && f.data.count).toBe(150_000);
  });

  it('says failed logins and rejected mail transactions apart when a source has both', () => {
    const r = detect(
      [
        '2024-06-30 10:11:00 H=(User) [203.0.113.10] F=<x@example.com> rejected RCPT <a@example.net>: relay not permitted',
        '2024-06-30 10:12:00 H=(User) [203.0.113.10] F=<x@example.com> rejected RCPT <b@example.net>: relay not permitted',
        '2024-06-30 10:12:30 H=(User) [203.0.113.10] F=<x@example.com> rejected RCPT <c@example.net>: relay not permitted',
        '2024-06-30 10:12:40 H=(User) [203.0.113.10] F=<x@example.com> rejected RCPT <d@example.net>: relay not permitted',
        '2024-06-30 10:13:00 dovecot_plain authenticator failed for (User) [203.0.113.10]: 535 Incorrect authentication data (set_id=admin)',
      ].join('\n'),
      ['exim'],
    ).report();
    expect(r.findings.map((f) => f.summary)).toEqual([
      expect.stringMatching(
        /^203\.0\.113\.10: 5 failures \(1 failed login, 4 rejected mail transactions\) \(users admin\) on exim/,
      ),
    ]);
  });

  it('keeps exactly `evidence` lines: the first ones and the latest, none with 0', () => {
    const lines = sshLines(12, '203.0.113.51').join('\n');
    const count = (evidence: number) =>
      detect(lines, [], { evidence })
        .report()
        .findings.find((f) => f.kind === 'attack-bruteforce')?.evidence ?? [];
    expect(count(0)).toEqual([]);
    expect(count(1).map((e) => e.line)).toEqual([12]);
    expect(count(5).map((e) => e.line)).toEqual([1, 2, 3, 4, 12]);
    expect(count(20).map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('is a WARNING when the attacker never got in, and names the users tried', () => {
    const r = detect(sshLines(8, '198.51.100.8').join('\n')).report();
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.status).toBe('WARNING');
    expect(r.findings[0]?.kind === 'attack-bruteforce' && r.findings[0].data.users).toContain('u0');
  });

  it('does not flag a user who mistyped once and then logged in', () => {
    const r = detect(
      [
        'Jun 30 10:00:00 srv sshd[1]: Failed password for bob from 192.0.2.10 port 5000 ssh2',
        'Jun 30 10:00:09 srv sshd[1]: Accepted password for bob from 192.0.2.10 port 5000 ssh2',
      ].join('\n'),
    ).report();
    expect(r.findings).toEqual([]);
    expect(r.sources[0]?.status).toBe('OK');
  });

  it('uses findtime: failures spread out over hours stay below maxretry', () => {
    const spread = sshLines(6, '192.0.2.99').map((l, i) =>
      l.replace(/^Jun 30 10:\d\d/, `Jun 30 ${String(i + 1).padStart(2, '0')}:00`),
    );
    expect(detect(spread.join('\n')).report().findings).toEqual([]);
    expect(detect(spread.join('\n'), [], { bruteforce: { findtime: '1d' } }).report().findings).toHaveLength(
      1,
    );
  });

  it('counts a wtmp login passed in as the success', () => {
    const { det, report } = detect(sshLines(10, '192.0.2.77').join('\n'));
    det.addLogin({
      host: '192.0.2.77',
      user: 'admin',
      time: Date.UTC(2024, 5, 30, 11, 0, 0),
      service: 'wtmp',
    });
    expect(report().findings[0]?.status).toBe('CRITICAL');
  });

  it('never reports ignored sources', () => {
    expect(
      detect(sshLines(10, '192.0.2.1').join('\n'), [], { ignore: ['192.0.2.1'] }).report().sources,
    ).toEqual([]);
  });

  it('never reports the sources of an ignored CIDR, and still reports those outside it', () => {
    const lines = [
      ...sshLines(10, '198.51.100.7'),
      ...sshLines(10, '198.51.100.200'),
      ...sshLines(10, '203.0.113.9'),
      ...sshLines(10, '2001:db8:5::9'),
    ];
    const r = detect(lines.join('\n'), [], { ignore: ['198.51.100.0/24', '2001:db8:5::/48'] }).report();
    expect(r.sources.map((s) => s.host)).toEqual(['203.0.113.9']);
  });
});

describe('port scan, web probe and passwd detectors', () => {
  it('reports a firewall burst across ports as a port scan', () => {
    const lines = [21, 22, 23, 25, 80, 110].map(
      (p, i) =>
        `Jun 30 10:00:0${i} srv kernel: [1.0] IN=eth0 OUT= MAC=x SRC=203.0.113.9 DST=10.0.0.1 LEN=44 PROTO=TCP SPT=40000 DPT=${p} SYN`,
    );
    const r = detect(lines.join('\n')).report();
    expect(r.findings.map((f) => f.kind)).toEqual(['attack-portscan']);
    expect(r.findings[0]?.kind === 'attack-portscan' && r.findings[0].data.ports).toEqual([
      21, 22, 23, 25, 80, 110,
    ]);
  });

  it('says how many ports a scan touched in all, and the peak inside one window apart', () => {
    // Ten ports over 20 minutes: the first five inside one 5-minute window, then one every 3 minutes.
    const at = [
      '10:00:00',
      '10:00:10',
      '10:00:20',
      '10:00:30',
      '10:00:40',
      '10:06:00',
      '10:09:00',
      '10:12:00',
      '10:15:00',
      '10:18:00',
    ];
    const lines = at.map(
      (t, i) =>
        `Jun 30 ${t} srv kernel: [1.0] IN=eth0 OUT= MAC=x SRC=203.0.113.9 DST=10.0.0.1 LEN=44 PROTO=TCP SPT=40000 DPT=${20 + i} SYN`,
    );
    const f = detect(lines.join('\n')).report().findings[0];
    expect(f?.kind === 'attack-portscan' && f.data.peakTargets).toBe(5);
    expect(f?.summary).toContain(
      '10 probes across 10 ports/services (20, 21, 22, 23, 24, 25, 26, 27, ...), peak 5 in 5 min',
    );
  });

  it('keeps a scan the firewall dropped INFO, and makes one that reached a service a WARNING', () => {
    const fw = [21, 22, 23, 25, 80, 110].map(
      (p, i) =>
        `Jun 30 10:00:0${i} srv kernel: [1.0] IN=eth0 OUT= MAC=x SRC=203.0.113.9 DST=10.0.0.1 LEN=44 PROTO=TCP SPT=40000 DPT=${p} SYN`,
    );
    const dropped = detect(fw.join('\n')).report().findings;
    expect(dropped.map((f) => [f.kind, f.status])).toEqual([['attack-portscan', 'INFO']]);
    expect(dropped[0]?.summary).toMatch(/; all dropped by the firewall$/);
    const reached = [
      ...fw,
      'Jun 30 10:00:07 srv sshd[77]: Did not receive identification string from 203.0.113.9 port 40100',
    ];
    const r = detect(reached.join('\n')).report().findings;
    expect(r.map((f) => [f.kind, f.status])).toEqual([['attack-portscan', 'WARNING']]);
  });

  it('keeps a few unanswered web probes INFO, and makes many a WARNING', () => {
    const get = (i: number, path: string) =>
      `203.0.113.21 - - [30/Jun/2024:10:00:${String(i).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 404 0 "-" "-"`;
    const few = detect([get(1, '/.env'), get(2, '/wp-login.php'), get(3, '/.git/config')].join('\n'), [
      'web',
    ]);
    expect(few.report().findings.map((f) => [f.kind, f.status])).toEqual([['attack-webprobe', 'INFO']]);
    const one = detect(get(1, '/.env'), ['web']).report().findings[0];
    expect(one?.summary).toBe('203.0.113.21: 1 web probe (/.env)');
    const many = detect(Array.from({ length: 20 }, (_, i) => get(i, `/.env.${i}`)).join('\n'), ['web']);
    expect(many.report().findings.map((f) => [f.kind, f.status])).toEqual([['attack-webprobe', 'WARNING']]);
  });

  it('marks a CGI probe answered 200 as a possible successful probe (CRITICAL)', () => {
    const lines = [
      '203.0.113.20 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0" 404 0 "-" "-"',
      '203.0.113.20 - - [30/Jun/2024:10:00:01 +0000] "GET /cgi-bin/test-cgi HTTP/1.0" 200 512 "-" "-"',
      '203.0.113.20 - - [30/Jun/2024:10:00:02 +0000] "GET /.env HTTP/1.1" 404 0 "-" "-"',
    ];
    const r = detect(lines.join('\n'), ['web']).report();
    const probe = r.findings.find((f) => f.kind === 'attack-webprobe');
    expect(probe?.status).toBe('CRITICAL');
    expect(probe?.kind === 'attack-webprobe' && probe.data.answered).toEqual([
      { path: '/cgi-bin/test-cgi', status: 200 },
    ]);
    expect(probe?.kind === 'attack-webprobe' && probe.data.ratio404).toBeCloseTo(2 / 3);
    expect(probe?.kind === 'attack-webprobe' && probe.data.probes).toBe(3);
    expect(r.findings.find((f) => f.kind === 'attack-passwd')?.status).toBe('WARNING');
  });

  it('names services as the plan does in every list (httpd, not `web`), the daemon when no service owns it', () => {
    const det = new AttackDetectors(attacksConfig.parse({}), {
      serviceName: (s) => (s === 'web' ? 'httpd' : 'host'),
    });
    const acc = new Accountant({ now: NOW, zone: UTC, hints: ['web'] });
    const lines = [
      '203.0.113.23 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0" 404 0 "-" "-"',
      '203.0.113.23 - - [30/Jun/2024:10:00:01 +0000] "GET /.env HTTP/1.1" 404 0 "-" "-"',
    ];
    acc.scanText(lines.join('\n'), 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/access.log' }));
    const sshd = new Accountant({ now: NOW, zone: UTC });
    sshd.scanText(sshLines(6, '203.0.113.23').join('\n'), 1, (e: LocatedEvent) =>
      det.add({ ...e, source: '/var/log/auth.log' }),
    );
    const r = det.finish();
    expect(r.sources[0]?.services.sort()).toEqual(['httpd', 'sshd']);
    const pw = r.findings.find((f) => f.kind === 'attack-passwd');
    expect(pw?.service).toBe('httpd');
    expect(pw?.kind === 'attack-passwd' && pw.data.services).toEqual(['httpd']);
    expect(pw?.summary).toContain('via httpd');
    const bf = r.findings.find((f) => f.kind === 'attack-bruteforce');
    expect([bf?.service, bf?.kind === 'attack-bruteforce' && bf.data.services]).toEqual(['host', ['sshd']]);
  });

  it("gives each finding its own first and last time, not its source's", () => {
    const det = new AttackDetectors(attacksConfig.parse({}));
    const feed = (text: string, hints: Family[], source: string) => {
      const acc = new Accountant({ now: NOW, zone: UTC, hints });
      acc.scanText(text, 1, (e: LocatedEvent) => det.add({ ...e, source }));
    };
    // Ten days before its probes, the same address failed to log in over ssh.
    feed(sshLines(6, '203.0.113.22', 0).join('\n').replaceAll('Jun 30', 'Jun 20'), [], '/var/log/auth.log');
    feed(
      [
        '203.0.113.22 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0" 404 0 "-" "-"',
        '203.0.113.22 - - [30/Jun/2024:10:00:05 +0000] "GET /.env HTTP/1.1" 404 0 "-" "-"',
        '203.0.113.22 - - [30/Jun/2024:10:00:09 +0000] "GET /.git/config HTTP/1.1" 404 0 "-" "-"',
      ].join('\n'),
      ['web'],
      '/var/log/apache2/access.log',
    );
    const r = det.finish();
    const span = (kind: string) => {
      const f = r.findings.find((x) => x.kind === kind);
      return [f?.first, f?.last];
    };
    expect(span('attack-bruteforce')).toEqual(['2024-06-20T10:00:00.000Z', '2024-06-20T10:00:05.000Z']);
    expect(span('attack-webprobe')).toEqual(['2024-06-30T10:00:00.000Z', '2024-06-30T10:00:09.000Z']);
    expect(span('attack-passwd')).toEqual(['2024-06-30T10:00:00.000Z', '2024-06-30T10:00:00.000Z']);
    // The source's own line still spans everything it did.
    expect(r.sources[0]).toMatchObject({
      first: '2024-06-20T10:00:00.000Z',
      last: '2024-06-30T10:00:09.000Z',
    });
  });
});

describe('one attempt logged in two logs', () => {
  /** Each log through its own accountant (as files are read), into one set of detectors. */
  function twoLogs(logs: { source: string; text: string; hints?: Family[] }[], cfg: unknown = {}) {
    const det = new AttackDetectors(attacksConfig.parse(cfg));
    for (const log of logs) {
      const acc = new Accountant({ now: NOW, zone: UTC, hints: log.hints ?? [] });
      acc.scanText(log.text, 1, (e: LocatedEvent) => det.add({ ...e, source: log.source }));
    }
    return det.finish();
  }
  const pamDovecot = (sec: number) =>
    `Jun 30 10:00:${String(sec).padStart(2, '0')} mx auth: pam_unix(dovecot:auth): authentication failure; logname= uid=0 euid=0 tty=dovecot ruser=admin rhost=203.0.113.30  user=admin`;
  const dovecotOwn = (sec: number, n: number) =>
    `Jun 30 10:00:${String(sec).padStart(2, '0')} mx dovecot: imap-login: Disconnected (auth failed, ${n} attempts in 9 secs): user=<admin>, method=PLAIN, rip=203.0.113.30, lip=192.0.2.1, session=<SvLnWihhAIJ/AAAB>`;

  it("counts pam_unix's line of a dovecot login once with dovecot's own (3 mistyped passwords stay 3)", () => {
    const r = twoLogs(
      [
        { source: '/var/log/auth.log', text: [pamDovecot(1), pamDovecot(4), pamDovecot(7)].join('\n') },
        { source: '/var/log/mail.log', text: dovecotOwn(10, 3) },
      ],
      { bruteforce: { maxretry: 4 } },
    );
    expect(r.findings).toEqual([]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.30', failures: 3 });
  });

  it("counts pam_unix's lines alone when no own line of the daemon matches them", () => {
    const r = twoLogs([
      { source: '/var/log/auth.log', text: [1, 2, 3, 4, 5].map(pamDovecot).join('\n') },
      // dovecot's line names only the last two attempts: three pam lines stand alone
      { source: '/var/log/mail.log', text: dovecotOwn(6, 2) },
    ]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.30', failures: 5 });
    expect(r.findings).toHaveLength(1);
  });

  it("counts a web server's 401 once with its error log's password mismatch for the same request", () => {
    const err = (sec: number) =>
      `2024/06/30 10:00:${String(sec).padStart(2, '0')} [error] 29213#29213: *${sec} user "alice": password mismatch, client: 203.0.113.9, server: test.local, request: "GET /secret/ HTTP/1.1", host: "test.local"`;
    const acc = (sec: number) =>
      `203.0.113.9 - alice [30/Jun/2024:10:00:${String(sec).padStart(2, '0')} +0000] "GET /secret/ HTTP/1.1" 401 179 "-" "curl/7.88.1"`;
    const secs = [1, 2, 3];
    const r = twoLogs([
      { source: '/var/log/nginx/error.log', text: secs.map(err).join('\n'), hints: ['apache', 'nginx'] },
      { source: '/var/log/nginx/access.log', text: secs.map(acc).join('\n'), hints: ['web'] },
    ]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.9', failures: 3 });
    expect(r.findings).toEqual([]);
  });
});

describe('one web request in the access log and the error log', () => {
  const access = (sec: number, path: string, status: number) =>
    `203.0.113.77 - - [30/Jun/2024:10:00:${String(sec).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" ${status} 153 "-" "zgrab/0.x"`;
  function report(logs: { source: string; text: string; hints: Family[] }[]) {
    const det = new AttackDetectors(attacksConfig.parse({}));
    for (const log of logs) {
      const acc = new Accountant({ now: NOW, zone: UTC, hints: log.hints });
      acc.scanText(log.text, 1, (e: LocatedEvent) => det.add({ ...e, source: log.source }));
    }
    return det.finish();
  }

  it("counts nginx's missing-file line and the access log's 404 of the same request once", () => {
    const err = (sec: number, path: string) =>
      `2024/06/30 10:00:${String(sec).padStart(2, '0')} [error] 812#812: *${sec} open() "/usr/share/nginx/html${path}" failed (2: No such file or directory), client: 203.0.113.77, server: _, request: "GET ${path} HTTP/1.1", host: "192.0.2.5"`;
    const paths = ['/wp-login.php', '/.env', '/phpmyadmin/index.php'];
    const r = report([
      {
        source: '/var/log/nginx/error.log',
        text: paths.map((p, i) => err(i, p)).join('\n'),
        hints: ['apache', 'nginx'],
      },
      {
        source: '/var/log/nginx/access.log',
        text: [...paths.map((p, i) => access(i, p, 404)), access(9, '/.git/config', 404)].join('\n'),
        hints: ['web'],
      },
    ]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.77', probes: 4 });
  });

  it("takes the access log's answer for a probe its error-log line stands for (the 404 ratio counts it)", () => {
    const err = (sec: number, path: string) =>
      `2024/06/30 10:00:${String(sec).padStart(2, '0')} [error] 812#812: *${sec} open() "/usr/share/nginx/html${path}" failed (2: No such file or directory), client: 203.0.113.77, server: _, request: "GET ${path} HTTP/1.1", host: "192.0.2.5"`;
    const paths = ['/wp-login.php', '/.env', '/phpmyadmin/index.php', '/.git/config'];
    const r = report([
      {
        source: '/var/log/nginx/error.log',
        text: paths.map((p, i) => err(i, p)).join('\n'),
        hints: ['apache', 'nginx'],
      },
      {
        source: '/var/log/nginx/access.log',
        text: paths.map((p, i) => access(i, p, 404)).join('\n'),
        hints: ['web'],
      },
    ]);
    const f = r.findings.find((x) => x.kind === 'attack-webprobe');
    expect(f?.kind === 'attack-webprobe' && [f.data.probes, f.data.notFound, f.data.ratio404]).toEqual([
      4, 4, 1,
    ]);
  });

  it("matches Apache's file path with the request's path", () => {
    const err = (sec: number, file: string) =>
      `[Sun Jun 30 10:00:${String(sec).padStart(2, '0')}.000000 2024] [core:info] [pid 4242] [client 203.0.113.77:40000] AH00128: File does not exist: /var/www/html${file}`;
    const r = report([
      {
        source: '/var/log/apache2/error.log',
        text: [err(1, '/wp-login.php'), err(2, '/.env')].join('\n'),
        hints: ['apache', 'nginx'],
      },
      {
        source: '/var/log/apache2/access.log',
        text: [access(1, '/wp-login.php', 404), access(2, '/.env', 404)].join('\n'),
        hints: ['web'],
      },
    ]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.77', probes: 2 });
  });

  it("matches Apache 1.3's script-not-found line with a CGI request that carries a query", () => {
    const err = (sec: number, script: string) =>
      `[Tue Jun 30 10:00:${String(sec).padStart(2, '0')} 2024] [error] [client 203.0.113.77] script not found or unable to stat: /usr/local/apache/share/cgi-bin/${script}`;
    const r = report([
      {
        source: '/usr/local/var/apache/log/error.log',
        text: [err(1, 'test-cgi'), err(2, 'phf')].join('\n'),
        hints: ['apache', 'nginx'],
      },
      {
        source: '/usr/local/var/apache/log/access.log',
        text: [access(1, '/cgi-bin/test-cgi?*', 404), access(2, '/cgi-bin/phf?Qname=root%0aid', 404)].join(
          '\n',
        ),
        hints: ['web'],
      },
    ]);
    const f = r.findings.find((x) => x.kind === 'attack-webprobe');
    expect(f?.kind === 'attack-webprobe' && [f.data.probes, f.data.notFound]).toEqual([2, 2]);
  });

  it('counts phf reading /etc/passwd as one probe and one password-file read when the error log names it too', () => {
    const r = report([
      {
        source: '/usr/local/var/apache/log/error.log',
        text: '[Tue Jun 30 10:00:01 2024] [error] [client 203.0.113.77] script not found or unable to stat: /usr/local/apache/share/cgi-bin/phf',
        hints: ['apache', 'nginx'],
      },
      {
        source: '/usr/local/var/apache/log/access.log',
        text: access(1, '/cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd', 404),
        hints: ['web'],
      },
    ]);
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.77', probes: 1, passwd: 1 });
  });
});

describe("dovecot's auth worker and login process", () => {
  it('count one attempt once (auth_verbose logs the worker line, the login line follows)', () => {
    const det = new AttackDetectors(attacksConfig.parse({}));
    const acc = new Accountant({ now: NOW, zone: UTC });
    const lines = [1, 2, 3].flatMap((i) => [
      `Jun 30 10:0${i}:00 mx dovecot: auth: Info: passwd-file(bob,203.0.113.44,<SvLnWihhAIJ/AAA${i}>): Password mismatch`,
      `Jun 30 10:0${i}:02 mx dovecot: imap-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<bob>, method=PLAIN, rip=203.0.113.44, lip=127.0.0.1, session=<SvLnWihhAIJ/AAA${i}>`,
    ]);
    acc.scanText(lines.join('\n'), 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/mail.log' }));
    const r = det.finish();
    expect(r.sources[0]).toMatchObject({ host: '203.0.113.44', failures: 3 });
  });
});

describe('sources', () => {
  it('groups an IPv6 attacker the kernel logs in full with the same address sshd logs compressed', () => {
    const full = '2001:0db8:0000:0000:0000:0000:0000:0149';
    const lines = [
      ...[0, 1, 2].map(
        (i) =>
          `Jun 30 10:00:0${i} srv kernel: [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=${full} DST=2001:0db8:0000:0000:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=50 FLOWLBL=0 PROTO=TCP SPT=4000${i} DPT=${22 + i} WINDOW=1024 RES=0x00 SYN URGP=0`,
      ),
      ...[3, 4].map(
        (i) =>
          `Jun 30 10:00:0${i} srv sshd[90${i}]: Failed password for root from 2001:db8::149 port 4100${i} ssh2`,
      ),
    ];
    const r = detect(lines.join('\n'), [], { ignore: ['2001:DB8::7'] }).report();
    expect(r.sources).toHaveLength(1);
    expect(r.sources[0]).toMatchObject({ host: '2001:db8::149', failures: 2, scans: 3 });
    // An ignore entry matches the address in either form.
    const ignored = detect(lines.join('\n'), [], { ignore: [full] }).report();
    expect(ignored.sources).toEqual([]);
  });
});

describe('btmp records of an sshd attempt for an invalid user', () => {
  it('takes both records sshd writes for `Invalid user` and its `Failed password` as the one attempt the log shows', () => {
    // OpenSSH 9.2's messages (test/e2e-attacks.test.ts) as rsyslog writes them to auth.log, and the three
    // records it wrote to btmp for them: one for nobody, two (pid 6846, same second) for nosuchssh.
    const log = [
      'Nov 26 13:23:23 vm sshd[6817]: Failed password for nobody from 127.0.0.1 port 57054 ssh2',
      'Nov 26 13:23:23 vm sshd[6817]: Connection closed by authenticating user nobody 127.0.0.1 port 57054 [preauth]',
      'Nov 26 13:23:23 vm sshd[6846]: Invalid user nosuchssh from 127.0.0.1 port 57062',
      'Nov 26 13:23:23 vm sshd[6846]: Could not get shadow information for NOUSER',
      'Nov 26 13:23:23 vm sshd[6846]: Failed password for invalid user nosuchssh from 127.0.0.1 port 57062 ssh2',
      'Nov 26 13:23:23 vm sshd[6846]: Connection closed by invalid user nosuchssh 127.0.0.1 port 57062 [preauth]',
    ].join('\n');
    const det = new AttackDetectors(attacksConfig.parse({}));
    const acc = new Accountant({ now: new Date(Date.UTC(2026, 10, 26, 14)), zone: makeZone('UTC') });
    acc.scanText(log, 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/auth.log' }));
    const t = Date.UTC(2026, 10, 26, 13, 23, 23);
    for (const [record, user] of ['nobody', 'nosuchssh', 'nosuchssh'].entries())
      det.addFailedLogin({
        host: '127.0.0.1',
        user,
        time: t,
        source: '/var/log/btmp',
        record: record + 1,
        text: `${user} ssh:notty 127.0.0.1`,
        service: 'sshd',
      });
    const r = det.finish();
    expect(r.sources.map((s) => [s.host, s.failures, s.users])).toEqual([
      ['127.0.0.1', 2, ['nobody', 'nosuchssh']],
    ]);
  });
});

describe('btmp read without its log lines (the logs rotated away, a first run)', () => {
  /** sshd's btmp records of a connection: `n` records of `user` from pid `pid`, one a second from `sec`. */
  const records = (host: string, user: string, pid: number, n: number, sec: number) =>
    Array.from({ length: n }, (_, i) => ({
      host,
      user,
      pid,
      time: Date.UTC(2026, 10, 1, 3, 0, sec + i),
      source: '/var/log/btmp',
      record: sec + i + 1,
      text: `${user} ssh:notty ${host}`,
      service: 'sshd',
    }));
  const failures = (accounts: ReadonlySet<string> | undefined) => {
    const det = new AttackDetectors(attacksConfig.parse({}), { accounts });
    for (const r of [
      // an unknown name, 3 passwords refused on one connection: its lookup record and 3 tries
      ...records('192.0.2.7', 'oracle', 4100, 4, 0),
      // an unknown name that gave up after the lookup: one record, the attempt the log's `Invalid user` is
      ...records('192.0.2.7', 'test', 4101, 1, 10),
      // an account: a record per refused password, no lookup record
      ...records('192.0.2.7', 'root', 4102, 2, 20),
      // the same pid and unknown name a day later is another connection (pids are reused)
      ...records('192.0.2.7', 'oracle', 4100, 2, 86_400),
    ])
      det.addFailedLogin(r);
    return det.finish().sources.map((s) => [s.host, s.failures]);
  };

  it("counts an unknown name's tries, not sshd's lookup record, on each connection", () => {
    expect(failures(new Set(['root', 'alice']))).toEqual([['192.0.2.7', 3 + 1 + 2 + 1]]);
  });

  it('counts every record when the accounts are unknown (/etc/passwd unreadable)', () => {
    expect(failures(undefined)).toEqual([['192.0.2.7', 4 + 1 + 2 + 2]]);
  });
});

describe('btmp with old OpenSSH keyboard-interactive', () => {
  it('takes both records of an illegal user`s attempt as the one the log shows (Illegal user, PAM error, Failed)', () => {
    const log = [
      'Jan  5 10:00:01 srv sshd[2001]: Illegal user admin from 192.0.2.7',
      'Jan  5 10:00:03 srv sshd[2001]: error: PAM: Authentication failure for illegal user admin from 192.0.2.7',
      'Jan  5 10:00:03 srv sshd[2001]: Failed keyboard-interactive/pam for illegal user admin from 192.0.2.7 port 4242 ssh2',
    ].join('\n');
    const det = new AttackDetectors(attacksConfig.parse({}));
    const acc = new Accountant({ now: new Date(Date.UTC(2026, 0, 6)), zone: makeZone('UTC') });
    acc.scanText(log, 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/secure' }));
    // sshd's records: one when the user was looked up, one for the failed authentication.
    for (const [record, sec] of [1, 3].entries())
      det.addFailedLogin({
        host: '192.0.2.7',
        user: 'admin',
        time: Date.UTC(2026, 0, 5, 10, 0, sec),
        source: '/var/log/btmp',
        record: record + 1,
        text: 'admin ssh:notty 192.0.2.7',
        service: 'sshd',
      });
    expect(det.finish().sources.map((s) => [s.host, s.failures])).toEqual([['192.0.2.7', 1]]);
  });
});

describe('the sources tenken attacks lists', () => {
  it('lists the addresses of a /64 that made a finding, however many OK sources there are', () => {
    const row = (host: string, failures: number) => ({
      host,
      status: 'OK' as const,
      failures,
      rejects: 0,
      successes: 0,
      scans: 0,
      probes: 0,
      passwd: 0,
      users: ['root'],
      services: ['sshd'],
      first: null,
      last: null,
    });
    const members = Array.from({ length: 150 }, (_, i) => row(`2001:db8:1:2::${(i + 1).toString(16)}`, 1));
    const others = Array.from({ length: 150 }, (_, i) => row(`10.1.0.${i + 1}`, 2));
    const finding = {
      kind: 'attack-bruteforce',
      status: 'WARNING',
      host: '2001:db8:1:2::/64',
    } as AttackFinding;
    const listed = listSources({ sources: [...members, ...others], findings: [finding] }, 100);
    expect(listed.sources.filter((s) => s.host.startsWith('2001:db8:1:2::'))).toHaveLength(150);
    expect(listed).toMatchObject({ sourcesTotal: 300, sourcesOmitted: 50 });
  });
});

describe('evidence', () => {
  it('shows the first evidence-1 lines and the latest of held access-log probes, with evidence over 32', () => {
    const lines = Array.from(
      { length: 100 },
      (_, i) =>
        `203.0.113.21 - - [30/Jun/2024:10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000] "GET /cgi-bin/test${String(i).padStart(3, '0')}.cgi HTTP/1.1" 404 0 "-" "-"`,
    );
    const r = detect(lines.join('\n'), ['web'], { evidence: 50 }).report();
    const f = r.findings.find((x) => x.kind === 'attack-webprobe');
    const shown = (f?.evidence ?? []).map((e) => /test(\d{3})\.cgi/.exec(e.text)?.[1]);
    expect(shown).toEqual([...Array.from({ length: 49 }, (_, i) => String(i).padStart(3, '0')), '099']);
  });
});
