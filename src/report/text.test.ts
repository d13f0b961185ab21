import { describe, expect, it } from 'vitest';
import { REPORT_VERSION, type Finding, type Report } from '../core/report.ts';
import { renderText } from './text.ts';

function reportWith(finding: Finding, rowSummary: string, timeZone = 'UTC'): Report {
  return {
    version: REPORT_VERSION,
    tool: { name: 'tenken', version: '0.0.0' },
    host: 'srv',
    root: null,
    time: '2026-11-26T00:00:00.000Z',
    timeZone,
    durationMs: 1,
    status: finding.status,
    summary: 'one finding',
    services: [],
    checks: [
      {
        kind: 'logs',
        status: finding.status,
        summary: rowSummary,
        durationMs: 1,
        results: [
          { service: finding.service, status: finding.status, summary: rowSummary, findings: [finding] },
        ],
      },
    ],
  };
}

describe('renderText', () => {
  it("shows a finding's times, its details' and the header's in the host's zone, as its summary does", () => {
    const f: Finding = {
      kind: 'attack-bruteforce',
      status: 'CRITICAL',
      service: 'sshd',
      summary: '203.0.113.45: 48 failed logins, then logged in as joe',
      evidence: [],
      first: '2026-11-24T14:41:07.000Z',
      last: '2026-11-24T14:59:12.000Z',
      host: '203.0.113.45',
      data: {
        host: '203.0.113.45',
        count: 48,
        peak: 48,
        findtime: 600,
        users: ['joe'],
        usersTotal: 1,
        services: ['sshd'],
        succeeded: { user: 'joe', time: '2026-11-24T15:02:00.000Z', service: 'sshd' },
      },
    };
    const text = renderText(reportWith(f, '1 finding', 'Asia/Tokyo'), { color: false });
    expect(text).toContain('at 2026-11-26 09:00:00 Asia/Tokyo');
    expect(text).toContain('host 203.0.113.45; 2026-11-24 23:41:07 … 23:59:12 Asia/Tokyo');
    expect(text).toContain('then logged in as joe via sshd at 2026-11-25 00:02:00 Asia/Tokyo');
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });

  it('writes the end date of a span that crosses midnight, and UTC for a host in UTC', () => {
    const f: Finding = {
      kind: 'log-source',
      status: 'WARNING',
      service: 'sshd',
      summary: 'something',
      evidence: [],
      first: '2026-11-24T23:59:00.000Z',
      last: '2026-11-25T00:01:00.000Z',
      data: { path: '/var/log/auth.log', problem: 'missing', reason: 'x' },
    };
    const text = renderText(reportWith(f, 'row'), { color: false });
    expect(text).toContain('2026-11-24 23:59:00 … 2026-11-25 00:01:00 UTC');
  });

  it('says a missing log once: its summary, no detail line repeating path and reason', () => {
    const f: Finding = {
      kind: 'log-source',
      status: 'INFO',
      service: 'vsftpd',
      summary: 'Cannot read /var/log/vsftpd.log, /var/log/xferlog: none of its 2 log paths exists',
      evidence: [],
      data: {
        path: '/var/log/vsftpd.log, /var/log/xferlog',
        problem: 'missing',
        reason: 'none of its 2 log paths exists',
      },
    };
    const text = renderText(reportWith(f, 'no new matching lines'), { color: false });
    expect(text.split('/var/log/vsftpd.log').length - 1).toBe(1);
    expect(text).toContain(
      'INFO     Cannot read /var/log/vsftpd.log, /var/log/xferlog: none of its 2 log paths exists',
    );
  });

  it("keeps an attacker's 4 KB request path from making a 4 KB line", () => {
    const path = `/${'A'.repeat(4000)}`;
    const f: Finding = {
      kind: 'attack-webprobe',
      status: 'WARNING',
      service: 'web',
      summary: `203.0.113.9: 25 web probes (${path})`,
      evidence: [{ source: '/var/log/nginx/access.log', line: 1, text: `GET ${path} HTTP/1.1` }],
      data: { host: '203.0.113.9', probes: 25, notFound: 25, ratio404: 1, paths: [path], answered: [] },
    };
    const text = renderText(reportWith(f, 'one host probed the web server'), { color: false });
    const longest = Math.max(...text.split('\n').map((l) => l.length));
    expect(longest).toBeLessThan(450);
    expect(text).toContain('203.0.113.9: 25 web probes (/AAAA');
  });

  it('says of a source that attacked in earlier runs and logged in now: its failures then, no empty peak', () => {
    const f: Finding = {
      kind: 'attack-bruteforce',
      status: 'CRITICAL',
      service: 'nginx',
      summary:
        '203.0.113.60: logged in as alice via nginx after 12 failed logins (last 2024-06-30T10:11:00.000Z)',
      evidence: [],
      host: '203.0.113.60',
      data: {
        host: '203.0.113.60',
        users: ['u0', 'u1'],
        usersTotal: 2,
        count: 12,
        peak: 0,
        findtime: 600,
        services: [],
        succeeded: { user: 'alice', time: '2024-06-30T11:00:00.000Z', service: 'nginx' },
      },
    };
    const text = renderText(reportWith(f, 'a login after an attack'), { color: false });
    expect(text).toContain('12 failures in earlier runs');
    expect(text).not.toMatch(/peak 0|against \n|against $/m);
  });

  it('leaves out the users-tried line of a brute force whose failures name no user (postfix SASL)', () => {
    const f: Finding = {
      kind: 'attack-bruteforce',
      status: 'WARNING',
      service: 'postfix',
      summary: '198.51.100.50: 6 failed logins on postfix, peak 6 in 10 min',
      evidence: [],
      host: '198.51.100.50',
      data: {
        host: '198.51.100.50',
        users: [],
        usersTotal: 0,
        count: 6,
        peak: 6,
        findtime: 600,
        services: ['postfix'],
        succeeded: null,
      },
    };
    const text = renderText(reportWith(f, '1 finding from 1 source: bruteforce'), { color: false });
    expect(text).toContain('6 failures (peak 6 in 10 min) against postfix');
    expect(text).not.toContain('users tried');
  });

  it("names a log category with its meaning, a user's title neutralised like log text", () => {
    const f: Finding = {
      kind: 'log-category',
      status: 'WARNING',
      service: 'httpd',
      summary: '4 cgi lines, 4 in the busiest hour',
      evidence: [],
      data: {
        category: 'cgi',
        title: 'CGI abuse',
        count: 4,
        perHour: {},
        peakPerHour: 4,
        top: [],
        sources: ['/var/log/apache2/access.log'],
        threshold: { warn: 1, crit: 20, warnPerHour: 1, critPerHour: 10 },
      },
    };
    const text = renderText(reportWith(f, 'frequent cgi (4)'), { color: false });
    expect(text).toContain('cgi (CGI abuse): 4 lines, peak 4/h in /var/log/apache2/access.log');
    const own = { ...f, data: { ...f.data, category: 'disk', title: 'disk \x1b[2Jfull' } };
    expect(renderText(reportWith(own, 'frequent disk (4)'), { color: false })).toContain(
      'disk (disk \\x1b[2Jfull): 4 lines',
    );
    const bare = { ...f, data: { ...f.data, category: 'mine', title: null } };
    expect(renderText(reportWith(bare, 'frequent mine (4)'), { color: false })).toContain(
      'mine: 4 lines, peak 4/h',
    );
  });
});
