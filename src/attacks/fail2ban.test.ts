import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { Finding } from '../core/report.ts';
import { makeZone } from '../core/tz.ts';
import { encodeRecords, UT } from '../logins/utmp.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';
import { attacksCheck } from './check.ts';
import { jailCovers, parseFail2banBans, readFail2banBans } from './fail2ban.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = new Date(Date.UTC(2026, 10, 25, 2, 5, 0)); // 11:05 Asia/Tokyo
const plan = testPlan(
  [servicePlan('sshd', { title: 'OpenSSH', syslog: ['sshd'], reasons: [] })],
  ['/var/log/auth.log'],
);

/** Five failed guesses at 10:14:0x JST (Ubuntu 24.04's RFC 3339 stamps), as fail2ban's sshd jail bans them. */
function guesses(ip: string, minute = 14): string {
  return Array.from(
    { length: 5 },
    (_, i) =>
      `2026-11-25T10:${minute}:0${i}.000123+09:00 web1 sshd[${300 + i}]: Failed password for root from ${ip} port ${40000 + i} ssh2\n`,
  ).join('');
}
const ban = (hms: string, ip: string, jail = 'sshd') =>
  `2026-11-25 ${hms},600 fail2ban.actions        [1040]: NOTICE  [${jail}] Ban ${ip}\n`;
const found = (hms: string, ip: string) =>
  `2026-11-25 ${hms},300 fail2ban.filter         [1040]: INFO    [sshd] Found ${ip} - 2026-11-25 ${hms}\n`;

function tree(auth: string, f2b: string | null, mode = 0o640) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-fail2ban-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/timezone'), 'Asia/Tokyo\n');
  const a = path.join(root, 'var/log/auth.log');
  writeFileSync(a, auth);
  utimesSync(a, NOW, NOW);
  if (f2b !== null) {
    const f = path.join(root, 'var/log/fail2ban.log');
    writeFileSync(f, f2b);
    chmodSync(f, mode);
  }
  return root;
}

async function bruteforce(root: string) {
  const out = await attacksCheck.run({
    host: makeHost({ root, name: 'web1', now: NOW, env: {} }),
    config: configSchema.parse({}),
    plan,
    state: undefined,
    options: { all: false },
    signal: new AbortController().signal,
  });
  return out.results
    .flatMap((r) => r.findings)
    .filter((f): f is Extract<Finding, { kind: 'attack-bruteforce' }> => f.kind === 'attack-bruteforce');
}

describe('fail2ban bans', () => {
  it('are read from its log in local time, Restore Ban too, and its Found lines are no ban', () => {
    const zone = makeZone('Asia/Tokyo');
    const text = `${found('10:14:04', '203.0.113.5')}${ban('10:14:04', '203.0.113.5')}2026-11-25 11:00:00,100 fail2ban.actions        [2040]: NOTICE  [sshd] Restore Ban 2001:db8:0:0::5\n2026-11-25 11:10:00,100 fail2ban.actions        [2040]: NOTICE  [sshd] Unban 203.0.113.5\n`;
    expect(parseFail2banBans(text, zone)).toEqual([
      { jail: 'sshd', key: '203.0.113.5', time: Date.UTC(2026, 10, 25, 1, 14, 4, 600) },
      { jail: 'sshd', key: '2001:db8::5', time: Date.UTC(2026, 10, 25, 2, 0, 0, 100) },
    ]);
  });

  it("cover the services of their jail's name, and recidive all", () => {
    expect(jailCovers('sshd', 'sshd')).toBe(true);
    expect(jailCovers('postfix-sasl', 'postfix')).toBe(true);
    expect(jailCovers('apache-auth', 'apache2')).toBe(true);
    expect(jailCovers('recidive', 'dovecot')).toBe(true);
    expect(jailCovers('sshd', 'postfix')).toBe(false);
  });

  it('make a brute force fail2ban stopped INFO, not a WARNING mailed every hour', async () => {
    const ip = '203.0.113.5';
    const root = tree(guesses(ip), `${found('10:14:04', ip)}${ban('10:14:04', ip)}`);
    const bf = await bruteforce(root);
    expect(bf).toHaveLength(1);
    expect(bf[0]?.status).toBe('INFO');
    expect(bf[0]?.summary).toContain('banned by fail2ban (jail sshd) 1 s after its last failure');
    expect(bf[0]?.data.banned).toEqual({ jail: 'sshd', time: '2026-11-25T01:14:04.600Z' });
  });

  it('leave it a WARNING without a ban of that source, by a jail of another service, or from a log others may write', async () => {
    const ip = '203.0.113.5';
    expect((await bruteforce(tree(guesses(ip), null)))[0]?.status).toBe('WARNING');
    expect((await bruteforce(tree(guesses(ip), ban('10:14:04', '203.0.113.6'))))[0]?.status).toBe('WARNING');
    expect((await bruteforce(tree(guesses(ip), ban('10:14:04', ip, 'postfix-sasl'))))[0]?.status).toBe(
      'WARNING',
    );
    // A ban long before the failures (an earlier campaign) did not stop these.
    expect((await bruteforce(tree(guesses(ip, 40), ban('10:14:04', ip))))[0]?.status).toBe('WARNING');
    expect((await bruteforce(tree(guesses(ip), ban('10:14:04', ip), 0o666)))[0]?.status).toBe('WARNING');
  });

  it('never lower a login after the failures: still CRITICAL', async () => {
    const ip = '203.0.113.5';
    const root = tree(guesses(ip), ban('10:14:04', ip));
    writeFileSync(
      path.join(root, 'var/log/wtmp'),
      encodeRecords([
        {
          type: UT.USER_PROCESS,
          pid: 9,
          line: 'pts/1',
          user: 'root',
          host: ip,
          sec: Date.UTC(2026, 10, 25, 1, 30) / 1000,
        },
      ]),
    );
    expect((await bruteforce(root))[0]?.status).toBe('CRITICAL');
  });
});

describe("fail2ban's log under --root", () => {
  it("is read inside the tree when /var/log is an absolute link (an image's, not this machine's)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-fail2ban-link-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'data/log'), { recursive: true });
    mkdirSync(path.join(root, 'var'), { recursive: true });
    symlinkSync('/data/log', path.join(root, 'var/log'));
    writeFileSync(path.join(root, 'data/log/fail2ban.log'), ban('10:15:54', '203.0.113.5'));
    chmodSync(path.join(root, 'data/log/fail2ban.log'), 0o640);
    const bans = await readFail2banBans(root, makeZone('Asia/Tokyo'));
    expect(bans.map((b) => [b.jail, b.key])).toEqual([['sshd', '203.0.113.5']]);
  });
});
