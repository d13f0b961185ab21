import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.ts';

/** The config error of a `checks.logins` YAML body (null when it is valid). */
function problem(body: string): string | null {
  try {
    parseConfig(`checks:\n  logins:\n${body}`, 'tenken.yaml');
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('checks.logins.mail.transport is validated at load', () => {
  it('refuses a port out of range with file:line:col, and never repeats the setting (it may hold a password)', () => {
    const msg = problem('    mail:\n      transport: "smtp://mailer:S3cretPass@127.0.0.1:99999"\n');
    expect(msg).toBe(
      'Invalid config tenken.yaml:\ntenken.yaml:4:18: the port is not a number from 1 to 65535 (must be smtp://host:port, smtps://host:port or /path/to/sendmail) (at checks.logins.mail.transport)',
    );
    expect(msg).not.toContain('S3cretPass');
  });

  it('refuses port 0, a URL without a host, a path, and other schemes', () => {
    expect(problem('    mail:\n      transport: "smtp://127.0.0.1:0"\n')).toMatch(/4:18: the port is not/);
    expect(problem('    mail:\n      transport: "smtp://:25"\n')).toMatch(/4:18: not a valid URL/);
    expect(problem('    mail:\n      transport: "smtp://mx:25/inbox"\n')).toMatch(/4:18: a path, query/);
    expect(problem('    mail:\n      transport: "ftp://mx"\n')).toMatch(/4:18: must be smtp:/);
  });

  it('takes SMTP URLs with or without a port, IPv6 hosts, and a sendmail path', () => {
    for (const t of [
      'smtp://localhost:25',
      'smtp://mx.example.org',
      'smtps://u:p@[::1]:465',
      '/usr/sbin/sendmail',
    ])
      expect(problem(`    mail:\n      transport: "${t}"\n`)).toBeNull();
  });
});

describe('checks.logins.reportSince is validated at load', () => {
  it('refuses a word that is no span or date, with file:line:col', () => {
    expect(problem('    reportSince: fortnight\n')).toBe(
      'Invalid config tenken.yaml:\ntenken.yaml:3:18: expected a span back from now or an ISO date (e.g. 24h, 7d, 2026-11-01) (at checks.logins.reportSince)',
    );
    expect(problem('    reportSince: 2026-02-30\n')).toMatch(/3:18: no such date/);
  });

  it('takes spans and dates', () => {
    for (const v of ['30d', '2w', '2026-11-01']) expect(problem(`    reportSince: "${v}"\n`)).toBeNull();
  });
});
