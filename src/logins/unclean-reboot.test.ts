import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWtmpdb } from '../../test/helpers/wtmpdb.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import { boot, contextFor, login, logout, makeTree, t } from './fixtures-audit/tree.ts';
import { utmpdumpText } from './testing.ts';
import { CrashTracker, MAX_KEPT_CRASHES } from './unclean-reboot.ts';
import { encodeRecords, UT, type UtmpRecordInput } from './utmp.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

/** systemd-update-utmp's record at a clean stop: RUN_LVL, user `shutdown`, line `~`, pid 0. */
function systemdShutdown(at: string): UtmpRecordInput {
  return {
    type: UT.RUN_LVL,
    pid: 0,
    line: '~',
    id: '~~',
    user: 'shutdown',
    host: '6.8.0-generic',
    sec: t(at),
  };
}

/** systemd's run-level record once the system is up (`runlevel` 5). */
function runlevel(at: string): UtmpRecordInput {
  return {
    type: UT.RUN_LVL,
    pid: 0x35,
    line: '~',
    id: '~~',
    user: 'runlevel',
    host: '6.8.0-generic',
    sec: t(at),
  };
}

/** The wtmp bytes util-linux's `utmpdump -r` writes for the records (tenken's encoder must agree). */
function wtmpBytes(recs: UtmpRecordInput[]): Uint8Array {
  const bytes = execFileSync('utmpdump', ['-r'], {
    input: utmpdumpText(recs),
    env: { LANG: 'C', TZ: 'GMT' },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  // The same records as tenken's encoder writes them (utmpdump pads ids to 4 columns).
  const id4 = recs.map((r) => ({ ...r, id: (r.id ?? '').slice(-4).padEnd(4) }));
  expect(Buffer.compare(bytes, Buffer.from(encodeRecords(id4)))).toBe(0);
  return bytes;
}

/** The sessions util-linux `last -f` shows ending in `crash`, as `user tty`. */
function lastCrashes(root: string): string[] {
  const out = execFileSync('last', ['-f', path.join(root, 'var/log/wtmp')], {
    env: { LANG: 'C', TZ: 'GMT' },
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => /- crash/.test(l))
    .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
}

const unclean = (fs: readonly unknown[]) =>
  (fs as LoginsFinding[]).filter(
    (f): f is Extract<LoginsFinding, { kind: 'unclean-reboot' }> => f.kind === 'unclean-reboot',
  );

const TOKYO = { timeZone: 'Asia/Tokyo', reconcile: false };

/** A day of an Ubuntu server: booted, alice and bob log in; alice logs out. */
function day(date: string): UtmpRecordInput[] {
  return [
    boot(`${date}T00:00:10`),
    runlevel(`${date}T00:00:30`),
    login('alice', 'pts/0', `${date}T01:00:00`, '192.0.2.5', 2001),
    login('bob', 'pts/1', `${date}T02:00:00`, '', 2002),
    logout('pts/0', `${date}T03:00:00`, 2001),
  ];
}

describe('unclean reboots in the logins check', () => {
  it('says nothing of a clean reboot (a shutdown record before the next boot)', async () => {
    const recs = [...day('2026-11-01'), systemdShutdown('2026-11-01T20:00:00'), ...day('2026-11-02')];
    const root = makeTree({ wtmp: wtmpBytes(recs) });
    expect(lastCrashes(root)).toEqual([]);
    const r = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    expect(unclean(r.findings)).toEqual([]);
  });

  it('says a boot with no shutdown since the previous one once, as a WARNING with the last record and the sessions cut', async () => {
    // bob's session on pts/1 was open when the power went: `last` shows it as `crash`.
    const recs = [...day('2026-11-01'), ...day('2026-11-02')];
    const root = makeTree({ wtmp: wtmpBytes(recs) });
    expect(lastCrashes(root)).toEqual(['bob pts/1']);
    const r = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    const found = unclean(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      status: 'WARNING',
      service: 'host',
      first: '2026-11-01T03:00:00Z',
      last: '2026-11-02T00:00:10Z',
      data: {
        time: '2026-11-02T00:00:10Z',
        previousBoot: '2026-11-01T00:00:10Z',
        lastRecord: { time: '2026-11-01T03:00:00Z', text: 'logout on pts/0' },
        sessions: [{ user: 'bob', tty: 'pts/1', host: null, start: '2026-11-01T02:00:00Z' }],
        sessionCount: 1,
        notListed: 0,
      },
    });
    // Times in the host's zone, as the other logins findings say them.
    expect(found[0]?.summary).toBe(
      'Unclean reboot: the system booted at 2026-11-02 09:00 Asia/Tokyo with no shutdown since the boot at 2026-11-01 09:00 Asia/Tokyo (a crash, power loss, reset or killed VM); last record before it: logout on pts/0 at 2026-11-01 12:00 Asia/Tokyo; sessions cut (as `last` shows `crash`): bob on pts/1',
    );
    expect(found[0]?.evidence.slice(0, 2)).toEqual([
      {
        source: '/var/log/wtmp',
        line: 6,
        time: '2026-11-02T00:00:10Z',
        text: 'BOOT_TIME reboot ~ (system boot)',
      },
      {
        source: '/var/log/wtmp',
        line: 5,
        time: '2026-11-01T03:00:00Z',
        text: 'last record before it: logout on pts/0',
      },
    ]);
  });

  it('does not say the same crash again at the next run, and says a later one once', async () => {
    const recs = [...day('2026-11-01'), ...day('2026-11-02')];
    const root = makeTree({ wtmp: wtmpBytes(recs) });
    const first = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    expect(unclean(first.findings)).toHaveLength(1);
    // More logins, no boot: nothing new to say.
    const more = [...recs, login('alice', 'pts/0', '2026-11-03T01:00:00', '192.0.2.5', 2003)];
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), wtmpBytes(more));
    const second = await inspectLogins(
      contextFor(root, '2026-11-03T02:00', { logins: TOKYO, state: first.state }),
    );
    expect(unclean(second.findings)).toEqual([]);
    // The VM is killed again: that boot alone is said, with the sessions open then (bob's of 11-02, alice's).
    const again = [...more, boot('2026-11-03T05:00:00')];
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), wtmpBytes(again));
    expect(lastCrashes(root)).toEqual(['alice pts/0', 'bob pts/1', 'bob pts/1']);
    const third = await inspectLogins(
      contextFor(root, '2026-11-03T06:00', { logins: TOKYO, state: second.state }),
    );
    expect(unclean(third.findings).map((f) => [f.data.time, f.data.sessions.map((s) => s.user)])).toEqual([
      ['2026-11-03T05:00:00Z', ['bob', 'alice']],
    ]);
    const fourth = await inspectLogins(
      contextFor(root, '2026-11-03T07:00', { logins: TOKYO, state: third.state }),
    );
    expect(unclean(fourth.findings)).toEqual([]);
  });

  it('says only the newest crash of a long history on a first run, counting the others', async () => {
    // A year of daily crashes (no shutdown ever recorded), then two clean reboots.
    const recs: UtmpRecordInput[] = [];
    const start = t('2025-11-01T00:00:00');
    for (let d = 0; d < 365; d++)
      recs.push(...day(new Date((start + d * 86400) * 1000).toISOString().slice(0, 10)));
    recs.push(systemdShutdown('2026-10-31T20:00:00'), ...day('2026-11-01'));
    recs.push(systemdShutdown('2026-11-01T20:00:00'), ...day('2026-11-02'));
    const root = makeTree({ wtmp: wtmpBytes(recs) });
    expect(lastCrashes(root)).toHaveLength(364);
    const r = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    const found = unclean(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]?.data).toMatchObject({ time: '2026-10-31T00:00:10Z', notListed: 363 });
    expect(found[0]?.summary).toMatch(/; 363 earlier unclean reboots in the history not listed$/);
    // And the next run says none of them again.
    const next = await inspectLogins(contextFor(root, '2026-11-03T01:00', { logins: TOKYO, state: r.state }));
    expect(unclean(next.findings)).toEqual([]);
  });

  it('says at most ten crashes new since the last run, the rest counted in the newest', async () => {
    const base = [...day('2026-10-01'), systemdShutdown('2026-10-01T20:00:00')];
    const root = makeTree({ wtmp: wtmpBytes(base) });
    const first = await inspectLogins(contextFor(root, '2026-10-02T00:00', { logins: TOKYO }));
    const recs = [...base];
    for (let d = 2; d <= 14; d++) recs.push(...day(`2026-10-${String(d).padStart(2, '0')}`));
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), wtmpBytes(recs));
    const r = await inspectLogins(
      contextFor(root, '2026-10-15T00:00', { logins: TOKYO, state: first.state }),
    );
    const found = unclean(r.findings);
    // The boot of 10-02 followed a clean shutdown; those of 10-03 … 10-14 are twelve crashes.
    expect(found.map((f) => f.data.time.slice(0, 10))).toEqual(
      Array.from({ length: 10 }, (_, i) => `2026-10-${String(i + 5).padStart(2, '0')}`),
    );
    expect(found.map((f) => f.data.notListed)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  });

  it('takes the boot before a crash from a rotated wtmp', async () => {
    const root = makeTree({ wtmp: wtmpBytes(day('2026-11-02')) });
    fs.writeFileSync(path.join(root, 'var/log/wtmp.1'), wtmpBytes(day('2026-11-01')));
    const r = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    const found = unclean(r.findings);
    expect(found.map((f) => [f.data.time, f.data.lastRecord, f.evidence[1]?.source])).toEqual([
      ['2026-11-02T00:00:10Z', { time: '2026-11-01T03:00:00Z', text: 'logout on pts/0' }, '/var/log/wtmp.1'],
    ]);
  });

  it('reads a wtmpdb: a boot row without Logout before the next boot is a crash, said once', async () => {
    const root = makeTree({});
    const file = path.join(root, 'var/lib/wtmpdb/wtmp.db');
    const { db, add } = createWtmpdb(file);
    const at = (s: string): number => t(s) * 1e6;
    // A clean stop (Logout of the boot row: `wtmpdb shutdown`), then a boot that was never shut down.
    add([1, 'reboot', at('2026-11-01T00:00:00'), at('2026-11-01T20:00:00'), '~', '6.12.0-amd64', null]);
    add([1, 'reboot', at('2026-11-02T00:00:00'), null, '~', '6.12.0-amd64', null]);
    add([3, 'alice', at('2026-11-02T01:00:00'), at('2026-11-02T02:00:00'), 'pts/0', '192.0.2.5', 'sshd']);
    add([3, 'bob', at('2026-11-02T03:00:00'), null, 'pts/1', null, 'sshd']);
    add([1, 'reboot', at('2026-11-02T05:00:00'), null, '~', '6.12.0-amd64', null]);
    db.close();
    const r = await inspectLogins(contextFor(root, '2026-11-03T00:00', { logins: TOKYO }));
    const found = unclean(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      status: 'WARNING',
      data: {
        time: '2026-11-02T05:00:00Z',
        previousBoot: '2026-11-02T00:00:00Z',
        lastRecord: { time: '2026-11-02T03:00:00Z', text: 'login of bob on pts/1' },
        sessions: [{ user: 'bob', tty: 'pts/1' }],
      },
    });
    expect(found[0]?.evidence[0]).toEqual({
      source: '/var/lib/wtmpdb/wtmp.db',
      line: 5,
      time: '2026-11-02T05:00:00Z',
      text: 'BOOT_TIME reboot ~ (system boot) (wtmpdb row 5)',
    });
    // The next run, with a login since: not said again (the row IDs mark what was seen).
    const again = new Database(file);
    again
      .prepare(
        'INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(3, 'alice', at('2026-11-03T01:00:00'), null, 'pts/0', '192.0.2.5', 'sshd');
    again.close();
    const next = await inspectLogins(contextFor(root, '2026-11-03T02:00', { logins: TOKYO, state: r.state }));
    expect(unclean(next.findings)).toEqual([]);
  });
});

describe('CrashTracker', () => {
  it('keeps the newest unclean boots and counts them all', () => {
    const c = new CrashTracker();
    const where = { file: 0, index: 0 };
    for (let i = 0; i < MAX_KEPT_CRASHES + 50; i++) c.boot(i * 10, where);
    const r = c.result();
    expect(r.count).toBe(MAX_KEPT_CRASHES + 49);
    expect(r.boots).toHaveLength(MAX_KEPT_CRASHES);
    expect(r.boots.at(-1)?.sec).toBe((MAX_KEPT_CRASHES + 49) * 10);
  });
});
