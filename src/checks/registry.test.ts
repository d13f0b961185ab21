import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../test/helpers/cli.ts';
import { loadAll } from '../config/load.ts';
import type { Finding } from '../core/report.ts';
import type { LogCategoryData } from '../logs/findings.ts';
import { StateStore } from '../state/store.ts';
import { runChecks, selectKinds } from './run.ts';

/**
 * The logs check and the attacks check in one run (the registry wires the attack extractors into the logs
 * check): the lines an attack detector counts are the attacks check's to judge, and no longer push the logs
 * check's keyword categories over their thresholds; every other line still does.
 */

const NOW = new Date('2026-11-26T12:00:00Z');
const stamp = (min: number, sec = 0) =>
  `Nov 26 10:${String(min).padStart(2, '0')}:${String(sec).padStart(2, '0')} office9`;

/** firewalld's LogDenied lines (`REJECT` is the runbook's `access` keyword): internet background noise. */
const rejects = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${stamp(i % 60, 1)} kernel: filter_IN_public_REJECT: IN=ens192 OUT= MAC=00:50:56:a1:2b:3c:00:1c:73:00:00:99:08:00 SRC=103.142.${i}.7 DST=198.51.100.9 LEN=44 TOS=0x00 PREC=0x00 TTL=188 ID=${9000 + i} PROTO=TCP SPT=${35000 + i} DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 `,
  );

/** A scanner's password guesses for unknown users: three `invalid` lines each. */
const guesses = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const pid = 3000 + i;
    const from = `from 218.92.0.118 port ${40000 + i}`;
    return [
      `${stamp(i % 60, 2)} sshd[${pid}]: Invalid user admin${i} ${from}`,
      `${stamp(i % 60, 3)} sshd[${pid}]: Failed password for invalid user admin${i} ${from} ssh2`,
      `${stamp(i % 60, 4)} sshd[${pid}]: Connection closed by invalid user admin${i} 218.92.0.118 port ${40000 + i} [preauth]`,
    ];
  }).flat();

/** Real sshd lines with an `invalid` keyword that are no attack: the daemon's own trouble. */
const ordinary = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? `${stamp(i % 60, 5)} sshd[${900 + i}]: error: Bind to port 22 on 0.0.0.0 failed: Address already in use.`
      : `${stamp(i % 60, 5)} sshd[${900 + i}]: pam_systemd(sshd:session): Failed to create session: Connection timed out`,
  );

/** Look-alikes no extractor reads (not at the message's start): anyone can `logger -t sshd` them. */
const forged = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${stamp(i % 60, 6)} sshd[77]: note: Failed password for root from 203.0.113.${i} port 22 ssh2`,
  );

function tree(secure: string[], messages: string[]): string {
  const root = tempDir('tenken-defer-');
  mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  writeFileSync(path.join(root, 'usr/sbin/sshd'), '', { mode: 0o755 });
  for (const [name, lines] of [
    ['secure', secure],
    ['messages', messages],
  ] as const) {
    const file = path.join(root, 'var/log', name);
    writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
    utimesSync(file, NOW, NOW);
  }
  return root;
}

async function run(root: string, kinds: readonly string[]) {
  const loaded = loadAll({ root, env: {}, now: NOW });
  const { report } = await runChecks(loaded, new StateStore(tempDir('tenken-state-')), {
    kinds,
    options: { all: false },
  });
  return report;
}

function category(report: Awaited<ReturnType<typeof run>>, service: string, id: string) {
  const logs = report.checks.find((c) => c.kind === 'logs');
  const result = logs?.results.find((r) => r.service === service);
  const f = result?.findings.find((x: Finding) => x.kind === 'log-category' && x.data.category === id);
  if (!f) throw new Error(`no ${id} finding for ${service}`);
  return { ...f, data: f.data as LogCategoryData };
}

describe('the logs check beside the attacks check', () => {
  it("leaves firewalld's REJECT lines to the attacks check's port-scan judgement, and flags them with --only logs", async () => {
    const root = tree([], rejects(50));
    const both = category(await run(root, ['logs', 'attacks']), 'kernel', 'access');
    expect(both.status).toBe('OK');
    expect(both.summary).toBe('50 access lines (all attack lines judged by the attacks check), no others');
    expect(both.data.attackLines).toEqual({ count: 50, otherCount: 0, otherPeakPerHour: 0 });
    const alone = category(await run(root, ['logs']), 'kernel', 'access');
    expect(alone.status).toBe('WARNING');
    expect(alone.data.attackLines).toBeUndefined();
    // The counts, hours, top messages and samples are those of every line, either way.
    const { attackLines: _, ...rest } = both.data;
    expect(rest).toEqual(alone.data);
    expect(both.evidence).toEqual(alone.evidence);
  });

  it('judges the `invalid` threshold on the lines no detector counts: 40 guesses and 15 ordinary failures', async () => {
    const root = tree([...guesses(40), ...ordinary(15)], []);
    const both = category(await run(root, ['logs', 'attacks']), 'sshd', 'invalid');
    expect(both.status).toBe('WARNING');
    expect(both.data.count).toBe(135);
    expect(both.data.attackLines).toEqual({ count: 120, otherCount: 15, otherPeakPerHour: 15 });
    expect(both.summary).toBe(
      '135 invalid lines (120 of them attack lines judged by the attacks check), 15 others, 15 in their busiest hour (warning at 10 per hour; a first run, which reads the whole backlog, has no per-run limit)',
    );
    const sshd = (await run(root, ['logs', 'attacks'])).checks
      .find((c) => c.kind === 'logs')
      ?.results.find((r) => r.service === 'sshd');
    expect(sshd?.summary).toBe('frequent invalid (15, besides 120 attack lines)');
    const alone = category(await run(root, ['logs']), 'sshd', 'invalid');
    expect(alone.status).toBe('CRITICAL');
    // Under the threshold, it says so.
    const few = category(
      await run(tree([...guesses(40), ...ordinary(5)], []), ['logs', 'attacks']),
      'sshd',
      'invalid',
    );
    expect(few.status).toBe('OK');
    expect(few.summary).toBe(
      '125 invalid lines (120 of them attack lines judged by the attacks check), 5 others, 5 in their busiest hour, under the thresholds',
    );
  });

  it("leaves a botnet's guesses to the attacks check, whose distributed detector says them", async () => {
    // 150 addresses, 2 guesses each for unknown users within the hour: none reaches maxretry alone.
    const botnet = Array.from({ length: 300 }, (_, i) => {
      const pid = 6000 + i;
      const from = `from 45.${(i % 150) >> 6}.${i % 150}.9 port ${40000 + i}`;
      return [
        `${stamp(Math.floor(i / 5))} sshd[${pid}]: Invalid user oracle${i % 3} ${from}`,
        `${stamp(Math.floor(i / 5), 1)} sshd[${pid}]: Failed password for invalid user oracle${i % 3} ${from} ssh2`,
      ];
    }).flat();
    const report = await run(tree(botnet, []), ['logs', 'attacks']);
    expect(category(report, 'sshd', 'invalid').status).toBe('OK');
    const attacks = report.checks.find((c) => c.kind === 'attacks')?.results.flatMap((r) => r.findings) ?? [];
    const f = attacks.find((x) => x.kind === 'attack-distributed');
    expect(f?.status).toBe('WARNING');
    expect(f?.summary).toMatch(
      /^distributed brute force: 300 failed logins from 150 sources, each under maxretry/,
    );
    expect(attacks.filter((x) => x.kind === 'attack-bruteforce')).toEqual([]);
  });

  it('still counts a forged line that holds the keyword but that no extractor reads', async () => {
    const root = tree([...guesses(40), ...forged(12)], []);
    const both = category(await run(root, ['logs', 'attacks']), 'sshd', 'invalid');
    expect(both.data.attackLines).toEqual({ count: 120, otherCount: 12, otherPeakPerHour: 12 });
    expect(both.status).toBe('WARNING');
  });

  it('judges every line as before when the config disables the attacks check', async () => {
    const root = tree([...guesses(40)], rejects(50));
    const report = await run(root, selectKinds(undefined, ['attacks']));
    expect(category(report, 'sshd', 'invalid').status).toBe('CRITICAL');
    expect(category(report, 'kernel', 'access').status).toBe('WARNING');
  });

  it('leaves `tenken scan` as it was: every line in its category, no split', async () => {
    const root = tree([...guesses(40), ...ordinary(15)], rejects(50));
    const r = await runCli(['--root', root, '--format', 'json', 'scan'], { now: NOW });
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('attackLines');
    expect(r.stdout).not.toContain('attack lines');
    const text = await runCli(['--root', root, 'scan'], { now: NOW });
    expect(text.stdout).toMatch(/invalid\D+135\b/);
    expect(text.stdout).toMatch(/access\D+50\b/);
  });
});

/**
 * The review's outages (the office's own machines): lines from local sources are always the logs check's,
 * and so are those of a source in `checks.attacks.ignore`; the same lines from the internet are still left
 * to the attacks check.
 */
function office(files: { auth?: string[]; syslog?: string[] }, extra = ''): string {
  const root = tempDir('tenken-office-');
  mkdirSync(path.join(root, 'etc/tenken'), { recursive: true });
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  writeFileSync(path.join(root, 'etc/hostname'), 'office9\n');
  writeFileSync(
    path.join(root, 'etc/tenken/tenken.yaml'),
    `host: office9
timeZone: UTC
detect: false
services:
  sshd: { enabled: true }
  postfix: { enabled: true }
  kernel: { enabled: true }
syslog:
  files: [/var/log/auth.log, /var/log/syslog]
  journal: off
${extra}`,
  );
  for (const [name, lines] of [
    ['auth.log', files.auth ?? []],
    ['syslog', files.syslog ?? []],
  ] as const) {
    const file = path.join(root, 'var/log', name);
    writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');
    utimesSync(file, NOW, NOW);
  }
  return root;
}

/** PAM broken after an upgrade: `hosts` clients, each failing `tries` logins (a pam line and a Failed line each). */
const pamFailures = (ip: (i: number) => string, hosts = 12, tries = 3) =>
  Array.from({ length: hosts * tries }, (_, n) => {
    const i = Math.floor(n / tries);
    const pid = 5000 + n;
    const at = `${stamp((i * 3 + (n % tries)) % 60, 7)} sshd[${pid}]`;
    return [
      `${at}: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip(i)}  user=user${i}`,
      `${at}: Failed password for user${i} from ${ip(i)} port ${40000 + pid} ssh2`,
    ];
  }).flat();

/** postfix's mynetworks lost: `hosts` clients, 3 mails each refused. */
const relayDenied = (ip: (i: number) => string, hosts = 15) =>
  Array.from({ length: hosts * 3 }, (_, n) => {
    const i = Math.floor(n / 3);
    return `${stamp((i * 2 + (n % 3)) % 60, 8)} postfix/smtpd[${6000 + n}]: NOQUEUE: reject: RCPT from pc${i}.office.lan[${ip(i)}]: 554 5.7.1 <x${n}@customer.example>: Relay access denied; from=<user${i}@example.com> to=<x${n}@customer.example> proto=ESMTP helo=<pc${i}>`;
  });

/** firewalld rejecting SMB: `hosts` clients retrying 4 times each. */
const smbRejects = (ip: (i: number) => string, hosts = 20) =>
  Array.from({ length: hosts * 4 }, (_, n) => {
    const i = Math.floor(n / 4);
    return `${stamp((i * 2 + (n % 4)) % 60, 9)} kernel: filter_IN_public_REJECT: IN=eth0 OUT= MAC=52:54:00:aa:bb:cc:52:54:00:11:22:33:08:00 SRC=${ip(i)} DST=192.168.1.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${1000 + n} DF PROTO=TCP SPT=${50000 + n} DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0`;
  });

const lan = (i: number) => `192.168.1.${10 + i}`;
const internet = (i: number) => `203.0.113.${10 + i}`;

describe('the logs check beside the attacks check: local and ignored sources', () => {
  it("keeps a LAN-wide PAM failure (12 hosts × 3 failed logins) for the logs check's `invalid` threshold", async () => {
    const both = category(
      await run(office({ auth: pamFailures(lan) }), ['logs', 'attacks']),
      'sshd',
      'invalid',
    );
    expect(both.data.count).toBe(72);
    expect(both.status).toBe('WARNING');
    // No split to tell: the finding reads as it did before the attacks check took its lines.
    expect(both.data.attackLines).toBeUndefined();
    expect(both.summary).not.toContain('attack line');
    // The same failures from the internet are the attacks check's.
    const far = category(
      await run(office({ auth: pamFailures(internet) }), ['logs', 'attacks']),
      'sshd',
      'invalid',
    );
    expect(far.status).toBe('OK');
    expect(far.data.attackLines).toEqual({ count: 72, otherCount: 0, otherPeakPerHour: 0 });
  });

  it('splits a log holding both: the internet guesses are attack lines, the LAN failures are the others', async () => {
    const root = office({ auth: [...guesses(40), ...pamFailures(lan)] });
    const both = category(await run(root, ['logs', 'attacks']), 'sshd', 'invalid');
    expect(both.status).toBe('WARNING');
    expect(both.data.count).toBe(192);
    expect(both.data.attackLines).toEqual({ count: 120, otherCount: 72, otherPeakPerHour: 72 });
    expect(both.summary).toMatch(
      /^192 invalid lines \(120 of them attack lines judged by the attacks check\), 72 others, 72 in their busiest hour \(warning at /,
    );
  });

  it("keeps postfix's `Relay access denied` for 15 LAN clients for the logs check's `access` threshold", async () => {
    const both = category(
      await run(office({ syslog: relayDenied(lan) }), ['logs', 'attacks']),
      'postfix',
      'access',
    );
    expect(both.status).toBe('WARNING');
    expect(both.data.attackLines).toBeUndefined();
    const far = category(
      await run(office({ syslog: relayDenied(internet) }), ['logs', 'attacks']),
      'postfix',
      'access',
    );
    expect(far.status).toBe('OK');
    expect(far.data.attackLines).toEqual({ count: 45, otherCount: 0, otherPeakPerHour: 0 });
  });

  it("keeps firewalld's REJECTs of LAN SMB clients (80 lines) for the logs check's `access` threshold", async () => {
    const both = category(
      await run(office({ syslog: smbRejects(lan) }), ['logs', 'attacks']),
      'kernel',
      'access',
    );
    expect(both.status).toBe('WARNING');
    expect(both.data.attackLines).toBeUndefined();
    const far = category(
      await run(office({ syslog: smbRejects(internet) }), ['logs', 'attacks']),
      'kernel',
      'access',
    );
    expect(far.status).toBe('OK');
  });

  it('counts the lines of a source in checks.attacks.ignore, which the attacks check never judges', async () => {
    const one = (i: number) => (i === 0 ? '198.51.100.10' : internet(i));
    const lines = pamFailures(one, 2, 15); // 198.51.100.10: 30 lines, 203.0.113.11: 30 lines
    const ignoring = category(
      await run(office({ auth: lines }, 'checks:\n  attacks:\n    ignore: [198.51.100.10]\n'), [
        'logs',
        'attacks',
      ]),
      'sshd',
      'invalid',
    );
    expect(ignoring.data.attackLines).toEqual({ count: 30, otherCount: 30, otherPeakPerHour: 30 });
    expect(ignoring.status).toBe('WARNING');
    const judging = category(await run(office({ auth: lines }), ['logs', 'attacks']), 'sshd', 'invalid');
    expect(judging.data.attackLines).toEqual({ count: 60, otherCount: 0, otherPeakPerHour: 0 });
    expect(judging.status).toBe('OK');
  });
});
