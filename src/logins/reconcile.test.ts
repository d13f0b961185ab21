import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import { JournalAccessError, type JournalRunner, spawnJournalctl } from '../logs/read/journal.ts';
import { exportFormat, writeJournal } from '../../test/helpers/journal.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import {
  accepted,
  boot,
  contextFor,
  login,
  loginNamed,
  logout,
  makeTree,
  PASSWD,
  syslogLine,
  t,
} from './fixtures-audit/tree.ts';
import type { Session } from './history.ts';
import { isPseudoTerminal } from './tty.ts';
import { isRemoteHost } from './audit.ts';
import {
  type AuthEvent,
  type AuthLogin,
  hostMatches,
  isNetworkLogin,
  journalBoots,
  mergeCoverage,
  type NoTtyMark,
  parseAuthLine,
  type TtyMark,
  type ReconcileInput,
  type ReconcileOutput,
  reconcile,
  scanAuthJournal,
} from './reconcile.ts';
import { readAuthLogs } from './auth-log.ts';
import { encodeLastlog } from './lastlog.ts';
import os from 'node:os';
import fc from 'fast-check';

const ctx = { reference: Date.UTC(2026, 10, 30), zone: makeZone('UTC') };

async function unmatched(root: string, now: string, state?: unknown) {
  const r = await inspectLogins(contextFor(root, now, { state }));
  return {
    r,
    found: (r.findings as unknown as LoginsFinding[]).filter(
      (f): f is Extract<LoginsFinding, { kind: 'login-unmatched' }> => f.kind === 'login-unmatched',
    ),
  };
}

const START = syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)');
const END = syslogLine('2026-11-04T23:59:00', 'CRON[1]: (root) CMD (true)');

describe('the reconciliation in the summary', () => {
  it("gives the auth log's span in the host's dates, not UTC's", async () => {
    // Asia/Tokyo: the auth log's stamps are local; its last line, Nov 5 08:30 there, is Nov 4 23:30 UTC.
    const recs = [boot('2026-11-01T00:00'), login('alice', 'pts/0', '2026-11-03T10:00', '203.0.113.5', 300)];
    const auth = [
      syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)'),
      accepted('alice', '203.0.113.5', '2026-11-03T19:00:00', 300),
      syslogLine('2026-11-05T08:30:00', 'CRON[1]: (root) CMD (true)'),
    ];
    const root = makeTree({ wtmp: recs, auth, files: { '/etc/timezone': 'Asia/Tokyo\n' } });
    const r = await inspectLogins(contextFor(root, '2026-11-06T00:00', {}));
    expect(r.summary).toContain('auth log 2026-11-01 … 2026-11-05 reconciled (1 network logins matched)');
  });
});

describe('parsing auth lines', () => {
  it('reads sshd Accepted lines with user, host, port and pid', () => {
    const e = parseAuthLine(
      'Nov 24 03:12:54 gauntlet sshd[3800]: Accepted password for joe from 203.0.113.45 port 48135 ssh2',
      ctx,
      '/var/log/syslog',
      592,
    );
    expect(e).toMatchObject({
      kind: 'accepted',
      daemon: 'sshd',
      user: 'joe',
      host: '203.0.113.45',
      port: 48135,
      pid: 3800,
      sec: t('2026-11-24T03:12:54'),
    });
    expect(e?.kind === 'accepted' && e.evidence).toMatchObject({ source: '/var/log/syslog', line: 592 });
  });
  it('reads login(1), dropbear, sftp and kernel lines, and ignores look-alikes', () => {
    expect(
      parseAuthLine('Nov 24 03:00:00 h login[9]: LOGIN ON pts/3 BY joe FROM pc9.example', ctx, 's', 1),
    ).toMatchObject({ daemon: 'login', user: 'joe', host: 'pc9.example', tty: 'pts/3' });
    expect(
      parseAuthLine(
        "Nov 24 03:00:00 h dropbear[9]: Password auth succeeded for 'joe' from 192.0.2.1:5555",
        ctx,
        's',
        1,
      ),
    ).toMatchObject({ daemon: 'dropbear', user: 'joe', host: '192.0.2.1', port: 5555 });
    expect(
      parseAuthLine('Nov 24 03:00:00 h sshd[10]: subsystem request for sftp by user joe', ctx, 's', 1),
    ).toMatchObject({ kind: 'no-tty', user: 'joe' });
    expect(parseAuthLine('Nov 24 03:00:00 h kernel: Linux version 6.1.0', ctx, 's', 1)).toMatchObject({
      kind: 'boot',
    });
    // A user name cannot forge an Accepted line through another program's message.
    expect(
      parseAuthLine(
        'Nov 24 03:00:00 h su[10]: Accepted password for joe from 1.2.3.4 port 1 ssh2',
        ctx,
        's',
        1,
      ),
    ).toBeNull();
    expect(
      parseAuthLine(
        'Nov 24 03:00:00 h sshd[10]: Failed password for joe from 1.2.3.4 port 1 ssh2',
        ctx,
        's',
        1,
      ),
    ).toBeNull();
  });
  it("reads sshd's VERBOSE Starting session lines: a tty, or none (command, subsystem, forced command)", () => {
    const p = (m: string) => parseAuthLine(`Nov 24 03:00:00 h sshd[9]: Starting session: ${m}`, ctx, 's', 1);
    expect(p('shell on pts/0 for joe from 10.9.8.7 port 5 id 0')).toMatchObject({
      kind: 'tty',
      tty: 'pts/0',
      user: 'joe',
      host: '10.9.8.7',
      port: 5,
    });
    expect(p('command on pts/3 for joe from 10.9.8.7 port 5 id 1')).toMatchObject({
      kind: 'tty',
      tty: 'pts/3',
    });
    expect(p('command for joe from 10.9.8.7 port 5 id 0')).toMatchObject({ kind: 'no-tty', port: 5 });
    expect(p("subsystem 'sftp' for joe from 10.9.8.7 port 5 id 0")).toMatchObject({ kind: 'no-tty' });
    // A forced command is logged whole: it may hold ` on pts/9 for x from y port 1`.
    expect(
      p(
        "forced-command (key-option) 'rsync --server -e.x on pts/9 for x from 1.2.3.4 port 1' for joe from 10.9.8.7 port 5 id 0",
      ),
    ).toMatchObject({ kind: 'no-tty', user: 'joe', host: '10.9.8.7', port: 5 });
    expect(
      p("forced-command (config) 'internal-sftp' on pts/2 for joe from 10.9.8.7 port 5 id 0"),
    ).toMatchObject({ kind: 'tty', tty: 'pts/2', user: 'joe' });
    expect(p('nonsense for joe from 10.9.8.7 port 5 id 0')).toBeNull();
  });
  it('reads a UTF-8 user name holding byte 0xA0 whole (やまだ, ムラタ), in every line form', () => {
    // The lines are latin1 (bytes); だ is E3 81 A0 and ム E3 83 A0, and JS `\s` matches U+00A0.
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    const line = (rest: string): string => bytes(`Nov 24 03:00:00 h ${rest}`);
    for (const name of ['やまだ', 'ムラタ']) {
      expect(
        parseAuthLine(line(`sshd[9]: Accepted password for ${name} from 10.9.8.7 port 5 ssh2`), ctx, 's', 1),
      ).toMatchObject({ kind: 'accepted', user: name, host: '10.9.8.7', port: 5 });
      expect(
        parseAuthLine(line(`sshd[9]: subsystem request for sftp by user ${name}`), ctx, 's', 1),
      ).toMatchObject({ kind: 'no-tty', user: name });
      expect(
        parseAuthLine(
          line(`sshd[9]: Starting session: command for ${name} from 10.9.8.7 port 5 id 0`),
          ctx,
          's',
          1,
        ),
      ).toMatchObject({ kind: 'no-tty', user: name, host: '10.9.8.7' });
      expect(
        parseAuthLine(line(`login[9]: LOGIN ON pts/3 BY ${name} FROM pc9.example`), ctx, 's', 1),
      ).toMatchObject({ daemon: 'login', user: name, host: 'pc9.example' });
    }
  });
  it('matches a wtmp login of a user whose name holds byte 0xA0 with its Accepted line', async () => {
    const latin1 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    const wtmp = [
      boot('2026-11-01T08:00'),
      login(latin1('やまだ'), 'pts/0', '2026-11-02T09:00:01', '10.9.8.7', 101),
      logout('pts/0', '2026-11-02T10:00', 101),
    ];
    const auth = [START, accepted('やまだ', '10.9.8.7', '2026-11-02T09:00:00', 101), END];
    expect((await unmatched(makeTree({ wtmp, auth }), '2026-11-05T00:00')).found).toEqual([]);
  });
  it('matches a wtmp login whose name is the log name cut at 32 bytes inside a character', async () => {
    // 12 kana are 36 bytes: ut_user keeps 32, the 11th character's first two bytes.
    const name = 'やまだたろうやまだたろう';
    const cut = Buffer.from(name, 'utf8').subarray(0, 32).toString('latin1');
    const wtmp = [
      boot('2026-11-01T08:00'),
      login(cut, 'pts/0', '2026-11-02T09:00:01', '10.9.8.7', 101),
      logout('pts/0', '2026-11-02T10:00', 101),
    ];
    const auth = [START, accepted(name, '10.9.8.7', '2026-11-02T09:00:00', 101), END];
    expect((await unmatched(makeTree({ wtmp, auth }), '2026-11-05T00:00')).found).toEqual([]);
  });
  it('matches hosts by name, address, or when only one side has a name', () => {
    expect(hostMatches('10.0.1.23', { host: 'pc23.example', address: '10.0.1.23' })).toBe(true);
    expect(hostMatches('10.0.1.23', { host: 'pc23.example', address: null })).toBe(true);
    expect(hostMatches('10.0.1.24', { host: 'pc23.example', address: '10.0.1.23' })).toBe(false);
    expect(hostMatches('::ffff:192.0.2.1', { host: '192.0.2.1', address: null })).toBe(true);
  });
  it('merges coverage', () => {
    expect(
      mergeCoverage([
        { from: 10, to: 20 },
        { from: 5, to: 12 },
        { from: 40, to: null },
        { from: 30, to: 35 },
      ]),
    ).toEqual([
      { from: 5, to: 20 },
      { from: 30, to: 35 },
    ]);
  });
});

describe('reconciliation', () => {
  const wtmp = [
    boot('2026-11-01T08:00'),
    loginNamed('alice', 'pts/0', '2026-11-02T09:00:01', 'pc5.example', '10.0.0.5', 101),
    logout('pts/0', '2026-11-02T10:00', 101),
  ];
  const authOk = [START, accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101), END];

  it('finds nothing when every network login has its Accepted line', async () => {
    expect((await unmatched(makeTree({ wtmp, auth: authOk }), '2026-11-05T00:00')).found).toEqual([]);
  });

  it('reports an sshd login that VERBOSE says started a shell on pts/0, without a wtmp login, as CRITICAL', async () => {
    const auth = [
      START,
      accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
      accepted('bob', '203.0.113.8', '2026-11-03T22:00:00', 500, 41000),
      syslogLine(
        '2026-11-03T22:00:01',
        'sshd[502]: Starting session: shell on pts/0 for bob from 203.0.113.8 port 41000 id 0',
      ),
      END,
    ];
    const { found } = await unmatched(makeTree({ wtmp, auth }), '2026-11-05T00:00');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      status: 'CRITICAL',
      user: 'bob',
      host: '203.0.113.8',
      data: { direction: 'log-without-wtmp', port: 41000, pid: 500, windowSeconds: 60, terminal: 'yes' },
    });
    expect(found[0]?.summary).toMatch(/sshd started its session on a terminal but wtmp has no login of bob/);
    expect(found[0]?.evidence.map((e) => e.line)).toEqual([3, 4]);
  });

  it('reports an sshd login that lastlog records on a pseudo-terminal, without a wtmp login, as CRITICAL', async () => {
    // bob (uid 1001): sshd's record_login wrote lastlog (it does only for a session with a pty) at 22:00:01.
    const lastlog = new Uint8Array(292 * 1002);
    lastlog.set(
      encodeLastlog({ time: t('2026-11-03T22:00:01'), line: 'pts/0', host: '203.0.113.8' }),
      292 * 1001,
    );
    const auth = [
      ...authOk.slice(0, 2),
      accepted('bob', '203.0.113.8', '2026-11-03T22:00:00', 500, 41000),
      END,
    ];
    const root = makeTree({ wtmp, auth, files: { '/var/log/lastlog': lastlog } });
    const { found } = await unmatched(root, '2026-11-05T00:00');
    expect(found.map((f) => [f.status, f.user, f.data.terminal])).toEqual([['CRITICAL', 'bob', 'yes']]);
    expect(found[0]?.summary).toMatch(/\/var\/log\/lastlog has its login on a terminal/);
    expect(found[0]?.evidence[1]).toMatchObject({ source: '/var/log/lastlog' });
  });

  it('takes no lastlog record for evidence that wtmp explains or that PAM wrote for a terminal-less session', async () => {
    // alice's interactive login at 09:00:01 (wtmp pts/0, lastlog pts/0) and, 10 s later from the same host,
    // `ssh host uptime` (no wtmp); bob's lastlog row is pam_lastlog(2)'s at session open: tty `ssh`.
    const lastlog = new Uint8Array(292 * 1002);
    lastlog.set(
      encodeLastlog({ time: t('2026-11-02T09:00:01'), line: 'pts/0', host: '10.0.0.5' }),
      292 * 1000,
    );
    lastlog.set(
      encodeLastlog({ time: t('2026-11-03T22:00:00'), line: 'ssh', host: '203.0.113.8' }),
      292 * 1001,
    );
    const auth = [
      START,
      accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
      accepted('alice', '10.0.0.5', '2026-11-02T09:00:10', 110, 50010),
      accepted('bob', '203.0.113.8', '2026-11-03T22:00:00', 500, 41000),
      END,
    ];
    const root = makeTree({ wtmp, auth, files: { '/var/log/lastlog': lastlog } });
    const { found } = await unmatched(root, '2026-11-05T00:00');
    expect(found.filter((f) => f.status === 'CRITICAL')).toEqual([]);
  });

  it('judges a dropbear login without a wtmp record by host (it logs no session type), CRITICAL only with lastlog on a pty', async () => {
    const dropbear = (user: string, host: string, at: string, pid: number, port: number) =>
      syslogLine(
        at,
        `dropbear[${pid}]: Pubkey auth succeeded for '${user}' with key md5 0f:aa from ${host}:${port}`,
      );
    const auth = [
      START,
      accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
      dropbear('bob', '203.0.113.8', '2026-11-03T22:00:00', 500, 41000),
      dropbear('carol', '198.51.100.9', '2026-11-03T23:00:00', 600, 42000),
      END,
    ];
    // carol's session had a pty: dropbear's loginrec wrote lastlog (and wtmp, which is gone).
    const lastlog = new Uint8Array(292 * 1004);
    lastlog.set(
      encodeLastlog({ time: t('2026-11-03T23:00:01'), line: 'pts/1', host: '198.51.100.9' }),
      292 * 1003,
    );
    const passwd = `${PASSWD}carol:x:1003:1003::/home/carol:/bin/sh\n`;
    const root = makeTree({ wtmp, auth, passwd, files: { '/var/log/lastlog': lastlog } });
    const { found } = await unmatched(root, '2026-11-05T00:00');
    const byUser = [...found].sort((a, b) => (a.user ?? '').localeCompare(b.user ?? ''));
    expect(byUser.map((f) => [f.status, f.user, f.data.terminal])).toEqual([
      ['WARNING', 'bob', 'unknown'],
      ['CRITICAL', 'carol', 'yes'],
    ]);
    expect(byUser[0]?.summary).toMatch(
      /^dropbear logged bob in from 203\.0\.113\.8 port 41000 .*dbclient host command/,
    );
  });

  it('judges an INFO-level sshd login without a wtmp record (rsync -e ssh) by host: a WARNING once, then quiet', async () => {
    // LogLevel INFO (Debian, Ubuntu, RHEL): the nightly backup leaves Accepted and pam_unix's lines only.
    const night = (day: string, pid: number, port: number) => [
      accepted('backup', '192.0.2.30', `${day}T03:00:00`, pid, port),
      syslogLine(
        `${day}T03:00:00`,
        `sshd[${pid}]: pam_unix(sshd:session): session opened for user backup(uid=1003) by backup(uid=0)`,
      ),
      syslogLine(`${day}T03:05:00`, `sshd[${pid}]: pam_unix(sshd:session): session closed for user backup`),
    ];
    const passwd = `${PASSWD}backup:x:1003:1003:nightly backup:/home/backup:/bin/sh\n`;
    const root = makeTree({ wtmp, passwd, auth: [...authOk, ...night('2026-11-03', 4500, 41000)] });
    const first = await unmatched(root, '2026-11-05T00:00');
    expect(first.found.map((f) => [f.status, f.user, f.host, f.data.direction, f.data.terminal])).toEqual([
      ['WARNING', 'backup', '192.0.2.30', 'log-without-wtmp', 'unknown'],
    ]);
    expect(first.found[0]?.summary).toMatch(
      /^sshd accepted backup from 192\.0\.2\.30 port 41000 at 2026-11-03 03:00 UTC \(a host and network backup never used before\) and wtmp has no login of backup within 60 s: a session without a terminal \(ssh host command, rsync, scp\) or a removed wtmp record; `LogLevel VERBOSE` in sshd_config lets tenken tell them apart$/,
    );
    // The next night, the same backup from the same host: nothing reported, counted in the summary.
    fs.appendFileSync(
      path.join(root, 'var/log/auth.log'),
      `${[...night('2026-11-05', 4600, 41100), syslogLine('2026-11-05T23:59:00', 'CRON[1]: (root) CMD (true)')].join('\n')}\n`,
    );
    const second = await unmatched(root, '2026-11-06T00:00', first.r.state);
    expect(second.found).toEqual([]);
    expect(second.r.findings.filter((f) => f.status !== 'OK' && f.status !== 'INFO')).toEqual([]);
    expect(second.r.summary).toMatch(/1 sshd login without a wtmp record from known hosts/);
  });

  it("keeps login(1)'s network login without a wtmp record CRITICAL", async () => {
    const auth = [
      ...authOk.slice(0, 2),
      syslogLine('2026-11-03T04:00:00', 'login[3302]: LOGIN ON pts/3 BY bob FROM pc22.example'),
      END,
    ];
    const { found } = await unmatched(makeTree({ wtmp, auth }), '2026-11-05T00:00');
    expect(found.map((f) => [f.status, f.user, f.data.tty, f.data.terminal])).toEqual([
      ['CRITICAL', 'bob', 'pts/3', 'yes'],
    ]);
  });

  it('does not expect wtmp for an sftp session', async () => {
    const auth = [
      START,
      ...authOk.slice(1, 2),
      accepted('bob', '203.0.113.8', '2026-11-03T22:00:00', 500),
      syslogLine('2026-11-03T22:00:01', 'sshd[502]: subsystem request for sftp by user bob'),
      END,
    ];
    expect((await unmatched(makeTree({ wtmp, auth }), '2026-11-05T00:00')).found).toEqual([]);
  });

  it('judges an sftp login by its host: a host and network the user never used is a WARNING, once', async () => {
    // alice has a history from 10.0.0.5 (three wtmp logins, each with its sshd line).
    const days = ['2026-11-01T09:00', '2026-11-02T09:00', '2026-11-03T09:00'];
    const recs = [
      boot('2026-11-01T08:00'),
      ...days.flatMap((d, i) => [
        loginNamed('alice', 'pts/0', `${d}:01`, '10.0.0.5', '10.0.0.5', 200 + i),
        logout('pts/0', `${d.slice(0, 11)}10:00`, 200 + i),
      ]),
    ];
    const sftp = (at: string, pid: number) => [
      accepted('alice', '203.0.113.66', `${at}:00`, pid),
      syslogLine(`${at}:01`, `sshd[${pid + 2}]: subsystem request for sftp by user alice`),
    ];
    const auth = [
      START,
      ...days.map((d, i) => accepted('alice', '10.0.0.5', `${d}:00`, 200 + i)),
      ...sftp('2026-11-04T03:00', 600),
      ...sftp('2026-11-04T05:00', 700),
      END,
    ];
    const r = await inspectLogins(contextFor(makeTree({ wtmp: recs, auth }), '2026-11-05T00:00', {}));
    const found = (r.findings as unknown as LoginsFinding[]).filter(
      (f) => f.data && 'tty' in f.data && f.data.tty === 'sftp/scp',
    );
    expect(found.map((f) => [f.kind, f.status, f.host])).toEqual([
      ['login-new-host', 'WARNING', '203.0.113.66'],
    ]);
    expect(found[0]?.summary).toMatch(
      /^alice logged in without a terminal \(sftp, scp; no wtmp record\) from 203\.0\.113\.66 at 2026-11-04 03:00/,
    );
  });

  it('reports a wtmp network login without a log line as CRITICAL, not a console login', async () => {
    const recs = [
      ...wtmp,
      login('mallory', 'pts/1', '2026-11-03T03:00', '198.51.100.66', 300),
      login('alice', 'tty1', '2026-11-03T04:00', '', 301),
    ];
    const { found } = await unmatched(makeTree({ wtmp: recs, auth: authOk }), '2026-11-05T00:00');
    expect(found.map((f) => [f.data.direction, f.user, f.status])).toEqual([
      ['wtmp-without-log', 'mallory', 'CRITICAL'],
    ]);
  });

  it("matches login(1)'s LOGIN ON an old-style pseudo-terminal (ttyp0) with its wtmp record", async () => {
    // A 1990s host: in.telnetd's login on the legacy BSD pty ttyp0, logged and recorded in the same second.
    const recs = [
      boot('2026-11-01T08:00'),
      login('hasimoto', 'ttyp0', '2026-11-02T09:00:20', 'pc22.lo.ash.or.jp', 3302),
      logout('ttyp0', '2026-11-02T09:31', 3302),
    ];
    const auth = [
      START,
      syslogLine('2026-11-02T09:00:20', 'login[3302]: LOGIN ON ttyp0 BY hasimoto FROM pc22.lo.ash.or.jp'),
      END,
    ];
    const { found, r } = await unmatched(makeTree({ wtmp: recs, auth }), '2026-11-05T00:00');
    expect(found).toEqual([]);
    expect(r.summary).toMatch(/\(1 network logins matched\)/);
  });

  it('reports a wtmp login on an old-style pseudo-terminal (ttyp1) without a log line as CRITICAL', async () => {
    const recs = [...wtmp, login('root', 'ttyp1', '2026-11-03T04:00:40', '203.0.113.45', 3501)];
    const { found } = await unmatched(makeTree({ wtmp: recs, auth: authOk }), '2026-11-05T00:00');
    expect(found.map((f) => [f.data.direction, f.user, f.data.tty, f.status])).toEqual([
      ['wtmp-without-log', 'root', 'ttyp1', 'CRITICAL'],
    ]);
  });

  it('leaves serial lines to the dial-up check and ftpd records alone, with or without a host', async () => {
    // mgetty leaves the caller id in ut_host and login(1) logs DIALUP AT / LOGIN ON without FROM; wu-ftpd
    // records its sessions as ftpPID. Neither has an sshd or login line with a host to match.
    const recs = [
      ...wtmp,
      login('kato', 'ttyS0', '2026-11-03T22:30:15', '03-1234-5678', 777),
      login('joe', 'ftp4242', '2026-11-03T23:00:00', 'pc23.lo.ash.or.jp', 4242),
    ];
    const auth = [
      ...authOk.slice(0, 2),
      syslogLine('2026-11-03T22:30:15', 'login[777]: DIALUP AT ttyS0 BY kato'),
      syslogLine('2026-11-03T22:30:15', 'login[777]: LOGIN ON ttyS0 BY kato FROM 03-1234-5678'),
      END,
    ];
    expect((await unmatched(makeTree({ wtmp: recs, auth }), '2026-11-05T00:00')).found).toEqual([]);
  });

  it('judges only the time both sources cover', async () => {
    // The log starts on Nov 3: the Nov 2 login cannot be judged; the log ends Nov 4: a later login waits.
    const recs = [...wtmp, login('alice', 'pts/1', '2026-11-04T23:59:30', '10.0.0.5', 300)];
    const auth = [syslogLine('2026-11-03T00:00:00', 'CRON[1]: (root) CMD (true)'), END];
    const { found, r } = await unmatched(makeTree({ wtmp: recs, auth }), '2026-11-05T00:00');
    expect(found).toEqual([]);
    expect(r.state.reconciled).toBe(t('2026-11-04T23:58:00'));
  });

  it('reports each unmatched login once across runs', async () => {
    const root = makeTree({
      wtmp,
      auth: [START, accepted('bob', '203.0.113.8', '2026-11-03T22:00:00', 500), END],
    });
    const first = await unmatched(root, '2026-11-05T00:00');
    expect(first.found.map((f) => f.user)).toEqual(['alice', 'bob']);
    const second = await unmatched(root, '2026-11-05T01:00', first.r.state);
    expect(second.found).toEqual([]);
  });

  it('reads rotated and gzip-compressed auth logs', async () => {
    const root = makeTree({ wtmp, auth: [END] });
    const old = `${[START, accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101), syslogLine('2026-11-03T00:00:00', 'CRON[1]: x')].join('\n')}\n`;
    fs.writeFileSync(path.join(root, 'var/log/auth.log.2.gz'), zlib.gzipSync(old));
    fs.writeFileSync(
      path.join(root, 'var/log/auth.log.1'),
      `${syslogLine('2026-11-03T00:00:01', 'CRON[1]: y')}\n`,
    );
    for (const f of ['auth.log.2.gz', 'auth.log.1'])
      fs.utimesSync(
        path.join(root, 'var/log', f),
        new Date('2026-11-04T00:00:00Z'),
        new Date('2026-11-04T00:00:00Z'),
      );
    const read = await readAuthLogs({
      logs: [path.join(root, 'var/log/auth.log')],
      saved: undefined,
      display: (p) => p.slice(root.length),
      root: '/',
      zone: makeZone('UTC'),
    });
    // Oldest member first: the .gz's dated lines, auth.log.1's, auth.log's.
    expect(read.spans).toEqual([
      { from: t('2026-11-01T07:59:00'), to: t('2026-11-03T00:00:00') },
      { from: t('2026-11-03T00:00:01'), to: t('2026-11-03T00:00:01') },
      { from: t('2026-11-04T23:59:00'), to: t('2026-11-04T23:59:00') },
    ]);
    expect((await unmatched(root, '2026-11-05T00:00')).found).toEqual([]);
  });
});

describe('reconciliation with the journal, on a host without an auth log file', () => {
  const wtmp = [
    boot('2026-11-01T08:00'),
    loginNamed('alice', 'pts/0', '2026-11-02T09:00:01', 'pc5.example', '10.0.0.5', 101),
    logout('pts/0', '2026-11-02T10:00', 101),
    login('mallory', 'pts/1', '2026-11-03T03:00', '198.51.100.66', 300),
  ];
  /** An entry as `journalctl -o export` prints it. */
  const entry = (at: string, id: string, pid: number, message: string) =>
    exportFormat([
      {
        __REALTIME_TIMESTAMP: String(t(at) * 1_000_000),
        _HOSTNAME: 'testhost',
        SYSLOG_IDENTIFIER: id,
        SYSLOG_PID: String(pid),
        MESSAGE: message,
      },
    ]);
  /** journalctl's stand-in: the matching entries, or the newest entry for `-n 1`. */
  /** Boots as `journalctl --list-boots -o json` prints them: the first (oldest) and one on Nov 3 at 12:00. */
  const BOOTS = JSON.stringify([
    { index: -1, boot_id: 'aa', first_entry: t('2026-10-30T00:00:00') * 1e6, last_entry: 0 },
    { index: 0, boot_id: 'bb', first_entry: t('2026-11-03T12:00:00') * 1e6, last_entry: 0 },
  ]);
  function journal(calls: string[][]): JournalRunner {
    return async function* (args) {
      await Promise.resolve(); // journalctl's output arrives asynchronously
      calls.push(args);
      if (args.includes('--list-boots')) {
        yield Buffer.from(BOOTS);
        return;
      }
      if (args.includes('-n')) {
        yield entry('2026-11-04T23:59:00', 'CRON', 1, '(root) CMD (true)');
        return;
      }
      yield entry('2026-11-01T08:00:30', 'sshd', 400, 'Server listening on 0.0.0.0 port 22.');
      yield entry(
        '2026-11-02T09:00:00',
        'sshd-session',
        101,
        'Accepted password for alice from 10.0.0.5 port 50000 ssh2',
      );
    };
  }
  const context = (root: string, now: string, journalMode: 'auto' | 'on' | 'off', state?: unknown) => {
    const c = contextFor(root, now, { state });
    return { ...c, plan: { ...c.plan, journal: journalMode } };
  };
  const unmatchedOf = (r: Awaited<ReturnType<typeof inspectLogins>>) =>
    (r.findings as unknown as LoginsFinding[]).filter(
      (f): f is Extract<LoginsFinding, { kind: 'login-unmatched' }> => f.kind === 'login-unmatched',
    );

  it('reads sshd-session’s Accepted entries as the auth log, and reports a wtmp login without one', async () => {
    const root = makeTree({ wtmp });
    const dir = path.join(root, 'var/log/journal');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'system.journal'), ''); // a journal is there (read by the stand-in)
    const calls: string[][] = [];
    const r = await inspectLogins(context(root, '2026-11-05T00:00', 'auto'), {
      journalRunner: journal(calls),
    });
    expect(unmatchedOf(r).map((f) => [f.data.direction, f.user, f.status])).toEqual([
      ['wtmp-without-log', 'mallory', 'CRITICAL'],
    ]);
    expect(r.summary).toContain('journal 2026-11-01 … 2026-11-04 reconciled (1 network logins matched)');
    expect(calls).toEqual([
      [
        ...['-o', 'export', '--no-pager', '-q', '-D', dir],
        ...['SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=login'],
        'SYSLOG_IDENTIFIER=dropbear',
      ],
      ['-o', 'export', '--no-pager', '-q', '-D', dir, '-n', '1'],
      ['--list-boots', '-o', 'json', '--no-pager', '-q', '-D', dir],
    ]);
    // The journal's boot of Nov 3 has no reboot record in wtmp; its oldest boot (maybe cut) is not judged.
    const gaps = (r.findings as unknown as LoginsFinding[]).filter(
      (f): f is Extract<LoginsFinding, { kind: 'wtmp-tamper' }> => f.kind === 'wtmp-tamper',
    );
    expect(
      gaps.map((f) => [
        f.data.check,
        f.summary.includes('a boot at 2026-11-03T12:00:00Z (journal: boot bb)'),
      ]),
    ).toEqual([['boot-gap', true]]);
    // The next run reads only from the cursor, less the matching window.
    calls.length = 0;
    await inspectLogins(context(root, '2026-11-05T01:00', 'auto', r.state), {
      journalRunner: journal(calls),
    });
    expect(calls[0]?.slice(6, 8)).toEqual(['--since', `@${(r.state.reconciled as number) - 60}`]);
  });

  it('leaves the journal alone when an auth log file covers the time, or when the config turns it off', async () => {
    const calls: string[][] = [];
    const withLog = makeTree({
      wtmp,
      auth: [START, accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101), END],
    });
    fs.mkdirSync(path.join(withLog, 'var/log/journal'), { recursive: true });
    await inspectLogins(context(withLog, '2026-11-05T00:00', 'auto'), { journalRunner: journal(calls) });
    const off = makeTree({ wtmp });
    fs.mkdirSync(path.join(off, 'var/log/journal'), { recursive: true });
    const r = await inspectLogins(context(off, '2026-11-05T00:00', 'off'), { journalRunner: journal(calls) });
    expect(calls).toEqual([]);
    expect(r.findings.map((f) => f.summary)).toContain(
      'No auth log with dated lines found (syslog files, /var/log/auth.log, /var/log/secure): wtmp was not reconciled with it',
    );
  });

  it('says why when a journal the config asks for cannot be read', async () => {
    const root = makeTree({ wtmp });
    fs.mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var/log/journal/system.journal'), ''); // a journal is there
    const failing: JournalRunner = async function* () {
      await Promise.resolve();
      yield* [];
      throw new Error('No journal files were found.');
    };
    const on = await inspectLogins(context(root, '2026-11-05T00:00', 'on'), { journalRunner: failing });
    expect(on.findings.map((f) => [f.status, f.summary])).toContainEqual([
      'WARNING',
      'Cannot read the journal: No journal files were found.: logins were not reconciled with it',
    ]);
    const auto = await inspectLogins(context(root, '2026-11-05T00:00', 'auto'), { journalRunner: failing });
    expect(auto.findings.filter((f) => f.status === 'WARNING')).toEqual([]);
  });

  it('says so when the journal is there but this user may not read it, even under auto', async () => {
    const root = makeTree({ wtmp });
    fs.mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    fs.writeFileSync(path.join(root, 'var/log/journal/system.journal'), ''); // a journal is there
    const denied: JournalRunner = async function* () {
      await Promise.resolve();
      yield* [];
      throw new JournalAccessError('permission denied: the system journal is readable only by root');
    };
    const auto = await inspectLogins(context(root, '2026-11-05T00:00', 'auto'), { journalRunner: denied });
    expect(auto.findings.map((f) => [f.status, f.summary])).toContainEqual([
      'WARNING',
      'Cannot read the journal: permission denied: the system journal is readable only by root: logins were not reconciled with it',
    ]);
  });
});

describe('the auth events of a real journal (journalctl -D)', () => {
  it('reads sshd, sshd-session, login and dropbear entries only, from `since`, up to the newest entry', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const ms = (at: string) => t(at) * 1000;
    const sshd = (at: string, pid: number, message: string) => ({
      at: ms(at),
      _HOSTNAME: 'testhost',
      SYSLOG_IDENTIFIER: 'sshd-session',
      SYSLOG_PID: pid,
      MESSAGE: message,
    });
    writeJournal(dir, [
      sshd('2026-11-01T08:00:30', 400, 'Server listening on 0.0.0.0 port 22.'),
      sshd('2026-11-02T09:00:00', 101, 'Accepted password for alice from 10.0.0.5 port 50000 ssh2'),
      // Another program's look-alike is not an sshd login.
      {
        at: ms('2026-11-02T10:00:00'),
        SYSLOG_IDENTIFIER: 'su',
        MESSAGE: 'Accepted password for eve from 1.2.3.4 port 1 ssh2',
      },
      {
        at: ms('2026-11-03T03:00:00'),
        SYSLOG_IDENTIFIER: 'login',
        SYSLOG_PID: 9,
        MESSAGE: 'LOGIN ON pts/3 BY joe FROM pc9.example',
      },
      { at: ms('2026-11-04T23:59:00'), SYSLOG_IDENTIFIER: 'CRON', MESSAGE: '(root) CMD (true)' },
    ]);
    const zone = makeZone('UTC');
    const all = await scanAuthJournal({ runner: spawnJournalctl, directory: dir, since: null, zone });
    expect(
      all.events.map((e) => (e.kind === 'accepted' ? [e.daemon, e.user, e.host, e.pid, e.sec] : e.kind)),
    ).toEqual([
      ['sshd', 'alice', '10.0.0.5', 101, t('2026-11-02T09:00:00')],
      ['login', 'joe', 'pc9.example', 9, t('2026-11-03T03:00:00')],
    ]);
    expect([all.from, all.to]).toEqual([t('2026-11-01T08:00:30'), t('2026-11-04T23:59:00')]);
    const later = await scanAuthJournal({
      runner: spawnJournalctl,
      directory: dir,
      since: t('2026-11-03T00:00:00'),
      zone,
    });
    expect(later.events.map((e) => e.kind === 'accepted' && e.user)).toEqual(['joe']);
    expect([later.from, later.to]).toEqual([t('2026-11-03T00:00:00'), t('2026-11-04T23:59:00')]);
  });

  it("gives a journal entry's evidence as the entry is: program[pid]: message and its time, no made-up stamp, host or line", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    writeJournal(dir, [
      {
        at: t('2026-11-02T09:00:00') * 1000,
        _HOSTNAME: 'testhost',
        SYSLOG_IDENTIFIER: 'sshd-session',
        SYSLOG_PID: 101,
        MESSAGE: 'Accepted password for alice from 10.0.0.5 port 50000 ssh2',
      },
      {
        at: t('2026-11-02T09:00:01') * 1000,
        _HOSTNAME: 'testhost',
        SYSLOG_IDENTIFIER: 'sshd-session',
        SYSLOG_PID: 101,
        MESSAGE: 'Starting session: shell on pts/0 for alice from 10.0.0.5 port 50000 id 0',
      },
    ]);
    const scan = await scanAuthJournal({
      runner: spawnJournalctl,
      directory: dir,
      since: null,
      zone: makeZone('UTC'),
    });
    expect(scan.events.map((e) => ('evidence' in e ? e.evidence : null))).toEqual([
      {
        source: 'journal',
        time: '2026-11-02T09:00:00Z',
        text: 'sshd-session[101]: Accepted password for alice from 10.0.0.5 port 50000 ssh2',
      },
      {
        source: 'journal',
        time: '2026-11-02T09:00:01Z',
        text: 'sshd-session[101]: Starting session: shell on pts/0 for alice from 10.0.0.5 port 50000 id 0',
      },
    ]);
    // A line of no file has no number, whoever calls the parser with 0.
    const parsed = parseAuthLine(
      'Nov  2 09:00:00 testhost sshd[7]: Accepted password for bob from 10.0.0.6 port 1 ssh2',
      ctx,
      'journal',
      0,
    );
    expect(parsed && 'evidence' in parsed ? parsed.evidence : null).not.toHaveProperty('line');
  });

  it('lists its boots, leaving out the oldest (vacuuming may have cut its start)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
    const ms = (at: string) => t(at) * 1000;
    const boot = (id: string, at: string) => ({
      at: ms(at),
      _BOOT_ID: id.repeat(32),
      SYSLOG_IDENTIFIER: 'kernel',
      MESSAGE: 'Linux version 6.12',
    });
    writeJournal(dir, [
      boot('a', '2026-11-01T08:00:00'),
      boot('b', '2026-11-03T12:00:00'),
      boot('c', '2026-11-04T07:00:00'),
    ]);
    const boots = await journalBoots({ runner: spawnJournalctl, directory: dir });
    expect(boots).toEqual([
      { sec: t('2026-11-03T12:00:00'), source: 'journal', text: `boot ${'b'.repeat(32)}` },
      { sec: t('2026-11-04T07:00:00'), source: 'journal', text: `boot ${'c'.repeat(32)}` },
    ]);
  });
});

/**
 * reconcile() as it was before it indexed sessions by user and start time: every login against every session.
 * Kept here only as the oracle of the indexed one.
 */
function reconcileByPairs(input: ReconcileInput): ReconcileOutput {
  const sameUser = (l: string, w: string): boolean => l === w || (w.length === 32 && l.startsWith(w));
  const isNetworkAuthLogin = (e: AuthEvent): e is AuthLogin =>
    e.kind === 'accepted' && isRemoteHost(e.host) && (e.tty === null || isPseudoTerminal(e.tty));
  const covers = (c: ReconcileInput['logCoverage'], from: number, to: number): boolean =>
    c.some((s) => s.from <= from && to <= s.to);
  const w = input.windowSec;
  const logins = input.events.filter(isNetworkAuthLogin);
  const noTty = input.events.filter((e): e is NoTtyMark => e.kind === 'no-tty');
  const seen = new Set<string>();
  const uniq = logins.filter((e) => {
    const k = `${e.sec} ${e.pid} ${e.user} ${e.host} ${e.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const net = input.sessions.filter(isNetworkLogin);
  const used = new Set<number>();
  const matchedSessions = new Set<Session>();
  const pairs: { d: number; e: number; s: Session }[] = [];
  for (const [ei, e] of uniq.entries()) {
    for (const s of net) {
      const d = Math.abs(s.start - e.sec);
      if (d <= w && sameUser(e.userBytes, s.userBytes) && hostMatches(e.host, s)) pairs.push({ d, e: ei, s });
    }
  }
  pairs.sort((a, b) => a.d - b.d);
  for (const p of pairs) {
    if (used.has(p.e) || matchedSessions.has(p.s)) continue;
    used.add(p.e);
    matchedSessions.add(p.s);
  }
  const inRange = (t: number): boolean => t > input.after && t <= input.until;
  const withoutTerminal: AuthLogin[] = [];
  const terminalUnknown: AuthLogin[] = [];
  const terminalEvidence: ReconcileOutput['terminalEvidence'] = new Map();
  const ttyMarks = input.events.filter((e): e is TtyMark => e.kind === 'tty');
  const plain = (h: string): string => h.toLowerCase().replace(/^::ffff:(?=.*\.)/, '');
  const logWithoutWtmp = uniq.filter((e, i) => {
    if (used.has(i) || !inRange(e.sec)) return false;
    if (e.sec - w < input.wtmpRange.from || e.sec + w > input.wtmpRange.to) return false;
    if (e.daemon === 'login') return true;
    if (e.daemon === 'dropbear') {
      terminalUnknown.push(e); // it logs no session type (no lastlog in these inputs)
      return false;
    }
    const tty = ttyMarks
      .filter((m) => m.user === e.user && m.port === e.port && m.sec >= e.sec && m.sec <= e.sec + w)
      .sort((a, b) => a.sec - b.sec)
      .find((m) => plain(m.host) === plain(e.host));
    if (tty) {
      terminalEvidence.set(e, { by: 'sshd', evidence: tty.evidence });
      return true;
    }
    if (
      noTty.some(
        (m) =>
          m.user === e.user && m.sec >= e.sec && m.sec <= e.sec + w && (m.port === null || m.port === e.port),
      )
    ) {
      withoutTerminal.push(e);
      return false;
    }
    terminalUnknown.push(e);
    return false;
  });
  const wtmpWithoutLog = net.filter(
    (s) => !matchedSessions.has(s) && inRange(s.start) && covers(input.logCoverage, s.start - w, s.start + w),
  );
  const matched = [...matchedSessions].filter((s) => inRange(s.start)).length;
  return { logWithoutWtmp, wtmpWithoutLog, matched, withoutTerminal, terminalUnknown, terminalEvidence };
}

describe('pairing logins with sessions by user and time window', () => {
  const LONG = 'ア'.repeat(11); // 33 bytes: wtmp keeps 32, cut inside a character
  const latin1 = (u: string): string => Buffer.from(u, 'utf8').toString('latin1');
  const session = (
    user: string,
    tty: string,
    host: string,
    address: string | null,
    start: number,
    i: number,
  ): Session => ({
    user,
    userBytes: latin1(user).slice(0, 32),
    tty,
    host,
    address,
    start,
    end: null,
    open: true,
    endKind: 'logout',
    pid: i,
    file: 0,
    index: i,
  });
  const acceptedAt = (
    daemon: AuthLogin['daemon'],
    user: string,
    host: string,
    port: number | null,
    pid: number | null,
    tty: string | null,
    sec: number,
  ): AuthLogin => ({
    kind: 'accepted',
    daemon,
    user,
    userBytes: latin1(user),
    host,
    port,
    pid,
    tty,
    sec,
    evidence: { source: 'auth.log', line: 1, text: `Accepted ${user}` },
  });

  it('pairs, and leaves unmatched, exactly what testing every login against every session does (property)', () => {
    const user = fc.constantFrom('alice', 'bob', LONG, 'root');
    const host = fc.constantFrom(
      '10.0.0.5',
      'pc5.example',
      '203.0.113.8',
      '::ffff:10.0.0.5',
      'localhost',
      '',
    );
    const sec = fc.integer({ min: 0, max: 120 });
    const port = fc.option(fc.integer({ min: 1, max: 3 }));
    const sessionArb = fc.record({
      user,
      tty: fc.constantFrom('pts/0', 'pts/1', 'tty1', 'ttyp0'),
      host,
      address: fc.constantFrom(null, '10.0.0.5', '203.0.113.8'),
      start: sec,
    });
    const event = fc.oneof(
      fc
        .record({
          daemon: fc.constantFrom('sshd', 'sshd', 'login', 'dropbear'),
          user,
          host,
          port,
          pid: fc.option(fc.integer({ min: 1, max: 4 })),
          tty: fc.constantFrom(null, 'pts/3', 'tty2'),
          sec,
        })
        .map((r): AuthEvent => acceptedAt(r.daemon, r.user, r.host, r.port, r.pid, r.tty, r.sec)),
      fc.record({ user, host: fc.option(host), port, sec }).map((r): AuthEvent => ({ kind: 'no-tty', ...r })),
      fc.record({ user, host, port: fc.integer({ min: 1, max: 3 }), sec }).map(
        (r): AuthEvent => ({
          kind: 'tty',
          ...r,
          tty: 'pts/1',
          evidence: { source: 'auth.log', text: 'Starting' },
        }),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(sessionArb, { maxLength: 25 }),
        fc.array(event, { maxLength: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: -10, max: 60 }),
        fc.integer({ min: 60, max: 130 }),
        fc.array(fc.record({ from: fc.option(sec), to: fc.option(sec) }), { maxLength: 3 }),
        (raw, events, windowSec, after, until, spans) => {
          const sessions = raw.map((r, i) => session(r.user, r.tty, r.host, r.address, r.start, i));
          const input: ReconcileInput = {
            sessions,
            events,
            logCoverage: mergeCoverage(spans),
            wtmpRange: { from: 10, to: 110 },
            windowSec,
            after,
            until,
          };
          expect(reconcile(input)).toEqual(reconcileByPairs(input));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reconciles 20k sessions against 1M forged Accepted lines (logger -t sshd) in bounded time', {
    timeout: 60_000,
  }, () => {
    // Every 4 s a login of one of 60 users from its own host, each with its Accepted line; and 1M lines
    // any local user can write with logger(1), for the same users from an address none of them used.
    const t0 = 1_800_000_000;
    const sessions: Session[] = [];
    const events: AuthEvent[] = [];
    for (let i = 0; i < 20_000; i++) {
      const user = `u${i % 60}`;
      sessions.push(session(user, `pts/${i % 40}`, `10.0.${i % 60}.1`, null, t0 + 4 * i, i));
      events.push(acceptedAt('sshd', user, `10.0.${i % 60}.1`, 5555, 1000 + i, null, t0 + 4 * i - 1));
    }
    for (let i = 0; i < 1_000_000; i++)
      events.push(
        acceptedAt('sshd', `u${i % 60}`, '192.0.2.1', 1, 100_000 + i, null, t0 + Math.floor(i / 12)),
      );
    const out = reconcile({
      sessions,
      events,
      logCoverage: [{ from: t0 - 100, to: t0 + 90_000 }],
      wtmpRange: { from: t0 - 100, to: t0 + 90_000 },
      windowSec: 60,
      after: 0,
      until: t0 + 90_000,
    });
    expect(out.matched).toBe(20_000);
    expect(out.wtmpWithoutLog).toEqual([]);
    expect(out.withoutTerminal).toEqual([]);
    // No VERBOSE line nor lastlog says they had a terminal: judged by host, not CRITICAL.
    expect(out.logWithoutWtmp).toEqual([]);
    expect(out.terminalUnknown).toHaveLength(1_000_000);
    expect(out.terminalUnknown.every((e) => e.host === '192.0.2.1')).toBe(true);
  });
});
