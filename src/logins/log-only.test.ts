import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import type { LearnedModel } from './audit.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins, type LoginsState, readState } from './check.ts';
import {
  accepted,
  boot,
  contextFor,
  loginNamed,
  logout,
  makeTree,
  PASSWD,
  syslogLine,
  t,
} from './fixtures-audit/tree.ts';
import {
  judgeShortModelLogins,
  judgeTerminalLess,
  LOG_ONLY_LIMITS,
  type LogOnlySeen,
  readLogOnly,
  rememberLogOnly,
} from './log-only.ts';
import { encodeRecords, type UtmpRecordInput } from './utmp.ts';

const findingsOf = (r: { findings: unknown[] }): LoginsFinding[] => r.findings as LoginsFinding[];
// What the tree lacks (lastlog) is said as INFO `not-checked`: left out.
const problems = (r: { findings: unknown[] }) =>
  findingsOf(r)
    .filter((f) => f.status !== 'OK' && (f.kind as string) !== 'not-checked')
    .map((f) => [f.kind, f.status, f.user, f.host]);

// alice's history: three interactive logins from 10.0.0.5, each with its sshd line (minHistory is 3).
const DAYS = ['2026-11-01T09:00', '2026-11-02T09:00', '2026-11-03T09:00'];
const WTMP = [
  boot('2026-11-01T08:00'),
  ...DAYS.flatMap((d, i) => [
    loginNamed('alice', 'pts/0', `${d}:01`, '10.0.0.5', '10.0.0.5', 200 + i),
    logout('pts/0', `${d.slice(0, 11)}10:00`, 200 + i),
  ]),
];
const HISTORY = [
  syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)'),
  ...DAYS.map((d, i) => accepted('alice', '10.0.0.5', `${d}:00`, 200 + i)),
];
const endOfDay = (day: string): string => syslogLine(`${day}T23:59:00`, 'CRON[1]: (root) CMD (true)');

function appendAuth(root: string, lines: string[]): void {
  fs.appendFileSync(path.join(root, 'var/log/auth.log'), `${lines.join('\n')}\n`);
}

/** An interactive login of alice on pts/5 from `host` at `at`: its wtmp record and its sshd line. */
function interactive(root: string, host: string, at: string): void {
  fs.appendFileSync(
    path.join(root, 'var/log/wtmp'),
    encodeRecords([loginNamed('alice', 'pts/5', `${at}:01`, host, host, 8002)]),
  );
  appendAuth(root, [accepted('alice', host, `${at}:00`, 8001, 50100)]);
}

const sftp = (user: string, host: string, at: string, pid: number): string[] => [
  accepted(user, host, `${at}:00`, pid),
  syslogLine(`${at}:01`, `sshd[${pid + 2}]: subsystem request for sftp by user ${user}`),
];

describe('logins known only from the auth log never teach the model that judges wtmp logins', () => {
  it("reports alice's interactive login from a host that one forged sshd line named before (logger -t sshd)", async () => {
    // The auditor's sequence: `logger -t sshd 'Accepted password for alice from 6.6.6.6 port 1 ssh2'`.
    const forged = syslogLine(
      '2026-11-04T03:00:00',
      'sshd: Accepted password for alice from 6.6.6.6 port 1 ssh2',
    );
    const root = makeTree({ wtmp: WTMP, auth: [...HISTORY, forged, endOfDay('2026-11-04')] });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(problems(first)).toEqual([['login-unmatched', 'WARNING', 'alice', '6.6.6.6']]);
    expect(Object.keys(first.state.model.alice?.hosts ?? {})).toEqual(['10.0.0.5']);
    expect(Object.keys(first.state.logOnly?.alice?.hosts ?? {})).toEqual(['6.6.6.6']);

    // Later a real interactive login of alice from 6.6.6.6: wtmp has it, and it is a new host to her.
    interactive(root, '6.6.6.6', '2026-11-05T10:00');
    appendAuth(root, [endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([['login-new-host', 'WARNING', 'alice', '6.6.6.6']]);
    expect(findingsOf(second)[0]?.summary).toMatch(
      /^alice logged in from 6\.6\.6\.6 on pts\/5 at 2026-11-05 10:00 UTC: a host and network \(6\.6\.6\.0\/24\) alice never used before/,
    );
    // A login wtmp backs is learned as before.
    expect(second.state.model.alice?.hosts).toHaveProperty(['6.6.6.6']);
  });

  it('keeps the nightly backup of a user with a wtmp history quiet on the second night, outside the model', async () => {
    const night = (day: string, pid: number) =>
      accepted('alice', '192.0.2.30', `${day}T03:00:00`, pid, 41000);
    const root = makeTree({
      wtmp: WTMP,
      auth: [...HISTORY, night('2026-11-04', 4500), endOfDay('2026-11-04')],
    });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(problems(first)).toEqual([['login-unmatched', 'WARNING', 'alice', '192.0.2.30']]);
    appendAuth(root, [night('2026-11-05', 4600), endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([]);
    expect(second.summary).toMatch(/1 sshd login without a wtmp record from known hosts/);
    expect(second.state.model.alice?.hosts).not.toHaveProperty(['192.0.2.30']);
    expect(second.state.model.alice?.nets).not.toHaveProperty(['192.0.2.0/24']);
    expect(second.state.logOnly?.alice?.hosts).toHaveProperty(['192.0.2.30']);
  });

  it('reports an sftp login from a new host once, then keeps it quiet, and still reports an interactive login from there', async () => {
    const root = makeTree({
      wtmp: WTMP,
      auth: [...HISTORY, ...sftp('alice', '203.0.113.66', '2026-11-04T03:00', 600), endOfDay('2026-11-04')],
    });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(problems(first)).toEqual([['login-new-host', 'WARNING', 'alice', '203.0.113.66']]);
    expect(first.state.model.alice?.hosts).not.toHaveProperty(['203.0.113.66']);

    // The next night's sftp from there is quiet; alice's interactive login from there is a new host.
    appendAuth(root, sftp('alice', '203.0.113.66', '2026-11-05T03:00', 700));
    interactive(root, '203.0.113.66', '2026-11-05T10:00');
    appendAuth(root, [endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([['login-new-host', 'WARNING', 'alice', '203.0.113.66']]);
    expect(findingsOf(second)[0]?.data).toMatchObject({ tty: 'pts/5', newNetwork: true });
  });

  it('remembers an sftp login during the learning period apart from the model, too', () => {
    const learned: LearnedModel = {
      bob: {
        logins: 1,
        hours: new Array<number>(24).fill(0),
        hosts: { '10.0.0.7': 1 },
        nets: { '10.0.0.0/24': 1 },
        durations: [],
        last: 1,
      },
    };
    const before = structuredClone(learned);
    const seen: LogOnlySeen = {};
    const login = { user: 'bob', host: '6.6.6.6', sec: 100, evidence: { source: 'x', text: 'x' } };
    const out = judgeTerminalLess([login], learned, seen, { minHistory: 3 }, 'host', makeZone('UTC'));
    expect(out).toEqual([]);
    expect(learned).toEqual(before);
    expect(seen).toEqual({ bob: { hosts: { '6.6.6.6': 100 }, nets: { '6.6.6.0/24': 100 }, last: 100 } });
  });
});

describe('the log-only hosts in the state', () => {
  it('loads a state saved before them, moving hosts a model of no wtmp login holds, and keeps the backup quiet', async () => {
    const night = (day: string, pid: number) =>
      accepted('backup', '192.0.2.30', `${day}T03:00:00`, pid, 41000);
    const passwd = `${fs.readFileSync(path.join(makeTree({}), 'etc/passwd'), 'utf8')}backup:x:1003:1003::/home/backup:/bin/sh\n`;
    const root = makeTree({
      wtmp: WTMP,
      passwd,
      auth: [...HISTORY, night('2026-11-04', 4500), endOfDay('2026-11-04')],
    });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    // The state as the old code saved it: no `logOnly`, the backup's host learned into a model of 0 logins.
    const old = JSON.parse(JSON.stringify(first.state)) as Record<string, unknown> & LoginsState;
    delete old.logOnly;
    const sec = t('2026-11-04T03:00:00');
    old.model.backup = {
      logins: 0,
      hours: new Array<number>(24).fill(0),
      hosts: { '192.0.2.30': sec },
      nets: { '192.0.2.0/24': sec },
      durations: [],
      last: 0,
    };
    const read = readState(old);
    expect(read?.model).not.toHaveProperty(['backup']);
    expect(read?.model.alice).toEqual(first.state.model.alice);
    expect(read?.logOnly).toEqual({
      backup: { hosts: { '192.0.2.30': sec }, nets: { '192.0.2.0/24': sec }, last: sec },
    });
    appendAuth(root, [night('2026-11-05', 4600), endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: old }));
    expect(problems(second)).toEqual([]);
    expect(second.state.model).not.toHaveProperty(['backup']);
  });

  it('reads a malformed set leniently and within its caps', () => {
    const hosts = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`10.0.${i}.1`, i]));
    expect(
      readLogOnly({ a: { hosts, nets: { x: 'y', '10.0.0.0/24': 5 }, last: 'z' }, b: null, c: [1] }, {}),
    ).toEqual({
      a: {
        hosts: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`10.0.${99 - i}.1`, 99 - i])),
        nets: { '10.0.0.0/24': 5 },
        last: 0,
      },
      c: { hosts: {}, nets: {}, last: 0 },
    });
    expect(readLogOnly('nonsense', {})).toEqual({});
  });

  it('keeps a user named __proto__ (any name a log line gives) as an entry, not as the prototype', () => {
    const seen: LogOnlySeen = {};
    rememberLogOnly(seen, '__proto__', '__proto__', 5);
    expect(Object.getPrototypeOf(seen)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(seen))).toEqual(
      JSON.parse('{"__proto__":{"hosts":{"__proto__":5},"nets":{},"last":5}}'),
    );
  });

  it('stays bounded under a flood of forged lines: hosts per user, and users', async () => {
    // 1,000 forged logins of alice from distinct hosts, and one each of 1,000 made-up users.
    const flood: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const at = new Date((t('2026-11-04T01:00:00') + i) * 1000).toISOString().slice(0, 19);
      flood.push(
        syslogLine(at, `sshd: Accepted password for alice from 10.${i >> 8}.${i & 255}.9 port 1 ssh2`),
      );
      flood.push(syslogLine(at, `sshd: Accepted password for u${i} from 6.6.6.6 port 1 ssh2`));
    }
    const root = makeTree({ wtmp: WTMP, auth: [...HISTORY, ...flood, endOfDay('2026-11-04')] });
    const r = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    const seen = r.state.logOnly ?? {};
    expect(Object.keys(seen)).toHaveLength(LOG_ONLY_LIMITS.users);
    for (const u of Object.values(seen)) {
      expect(Object.keys(u.hosts).length).toBeLessThanOrEqual(LOG_ONLY_LIMITS.hosts);
      expect(Object.keys(u.nets).length).toBeLessThanOrEqual(LOG_ONLY_LIMITS.nets);
    }
    // The model holds only what wtmp taught: alice, from 10.0.0.5.
    expect(Object.keys(r.state.model)).toEqual(['alice']);
    expect(Object.keys(r.state.model.alice?.hosts ?? {})).toEqual(['10.0.0.5']);
    expect(JSON.stringify(r.state).length).toBeLessThan(200_000);
  });
});

describe('the first terminal login of an account used only without one is judged by its logins without a terminal', () => {
  // The office copier's account: sftp only (no wtmp record, no model), from the copier at 192.0.2.10.
  const passwd = `${PASSWD}scanner:x:1004:1004:Copier:/home/scanner:/bin/bash\n`;
  const copier = (days: string[]): string[] =>
    days.flatMap((d, i) => sftp('scanner', '192.0.2.10', `${d}T10:12`, 900 + 10 * i));
  const WEEK = ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'];

  /** scanner's interactive login on pts/1 from `host` at `at` (ten minutes long): wtmp and its sshd line. */
  function pty(host: string, at: string, pid = 8100): { wtmp: UtmpRecordInput[]; auth: string } {
    const end = new Date((t(`${at}:01`) + 600) * 1000).toISOString().slice(0, 19);
    return {
      wtmp: [loginNamed('scanner', 'pts/1', `${at}:01`, host, host, pid + 1), logout('pts/1', end, pid + 1)],
      auth: accepted('scanner', host, `${at}:00`, pid, 40001),
    };
  }
  function addPty(root: string, host: string, at: string): void {
    const p = pty(host, at);
    fs.appendFileSync(path.join(root, 'var/log/wtmp'), encodeRecords(p.wtmp));
    appendAuth(root, [p.auth]);
  }
  const inOrder = (recs: UtmpRecordInput[]): UtmpRecordInput[] =>
    [...recs].sort((a, b) => (a.sec ?? 0) - (b.sec ?? 0));

  it("warns of scanner's first pty login from an internet address its sftp logins never came from, once", async () => {
    const root = makeTree({
      wtmp: WTMP,
      passwd,
      auth: [...HISTORY, ...copier(WEEK), endOfDay('2026-11-04')],
    });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(problems(first)).toEqual([]);
    // Remembered apart from the model, though scanner has no wtmp login (no model) at all.
    expect(first.state.model).not.toHaveProperty(['scanner']);
    expect(first.state.logOnly?.scanner?.hosts).toHaveProperty(['192.0.2.10']);

    addPty(root, '45.135.232.19', '2026-11-05T03:00');
    appendAuth(root, [endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([['login-new-host', 'WARNING', 'scanner', '45.135.232.19']]);
    const f = findingsOf(second).find((x) => x.kind === 'login-new-host');
    expect(f?.summary).toBe(
      "scanner logged in from 45.135.232.19 on pts/1 at 2026-11-05 03:00 UTC: scanner's first terminal login; before, scanner logged in only without a terminal (sftp, scp, ssh commands), from 192.0.2.10",
    );
    expect(f?.data).toMatchObject({
      basis: 'log-only',
      logOnlyHosts: ['192.0.2.10'],
      priorLogins: 0,
      knownHosts: [],
      newNetwork: true,
      network: '45.135.232.0/24',
      tty: 'pts/1',
    });
    expect(f?.evidence[0]?.source).toBe('/var/log/wtmp');
    // Learned as any wtmp login; the next run says nothing more of it.
    expect(second.state.model.scanner?.hosts).toHaveProperty(['45.135.232.19']);
    appendAuth(root, [endOfDay('2026-11-06')]);
    const third = await inspectLogins(contextFor(root, '2026-11-07T00:00', { state: second.state }));
    expect(problems(third)).toEqual([]);
  });

  it('counts the sftp logins read in the same run only when they came before the terminal login', async () => {
    const late = pty('45.135.232.19', '2026-11-04T12:00');
    const root = makeTree({
      wtmp: inOrder([...WTMP, ...late.wtmp]),
      passwd,
      auth: [...HISTORY, ...copier(WEEK), late.auth, endOfDay('2026-11-04')],
    });
    const r = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(problems(r)).toEqual([['login-new-host', 'WARNING', 'scanner', '45.135.232.19']]);

    // A terminal login before any sftp login: the user was new then (learning), whatever came after.
    const early = pty('45.135.232.19', '2026-11-01T09:30');
    const root2 = makeTree({
      wtmp: inOrder([...WTMP, ...early.wtmp]),
      passwd,
      auth: [
        ...HISTORY.slice(0, 2),
        early.auth,
        ...HISTORY.slice(2),
        ...copier(WEEK),
        endOfDay('2026-11-04'),
      ],
    });
    expect(problems(await inspectLogins(contextFor(root2, '2026-11-05T00:00')))).toEqual([]);
  });

  it('stays quiet for a first terminal login from the network the sftp logins came from', async () => {
    const root = makeTree({
      wtmp: WTMP,
      passwd,
      auth: [...HISTORY, ...copier(WEEK), endOfDay('2026-11-04')],
    });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    addPty(root, '192.0.2.11', '2026-11-05T03:00');
    appendAuth(root, [endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([]);
  });

  it('stays quiet for the first login of a user with no history at all (learning, as before)', async () => {
    const root = makeTree({ wtmp: WTMP, passwd, auth: [...HISTORY, endOfDay('2026-11-04')] });
    const first = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    addPty(root, '45.135.232.19', '2026-11-05T03:00');
    appendAuth(root, [endOfDay('2026-11-05')]);
    const second = await inspectLogins(contextFor(root, '2026-11-06T00:00', { state: first.state }));
    expect(problems(second)).toEqual([]);
  });

  it('names the earlier terminal logins too when the model holds some, and lists at most three hosts', () => {
    const at = t('2026-11-05T03:00:01');
    const session = {
      user: 'scanner',
      userBytes: 'scanner',
      tty: 'pts/2',
      host: '45.135.232.19',
      address: '45.135.232.19',
      start: at,
      end: at + 60,
      open: false,
      endKind: 'logout',
      pid: 7,
      file: 0,
      index: 4,
    } as const;
    const before: LogOnlySeen = {};
    for (const [i, h] of ['192.0.2.10', '192.0.2.11', '198.51.100.4', '203.0.113.9'].entries())
      rememberLogOnly(before, 'scanner', h, at - 1000 + i);
    const out = judgeShortModelLogins(
      [{ session, priorLogins: 1, network: '45.135.232.0/24', knownHosts: ['10.1.1.1'] }],
      before,
      // This run's: one after the login (does not count), one of another user.
      [
        { user: 'scanner', host: '45.135.232.19', sec: at + 5 },
        { user: 'alice', host: '45.135.232.19', sec: at - 5 },
      ],
      ['/var/log/wtmp'],
      'host',
      makeZone('UTC'),
    );
    expect(out.map((f) => f.summary)).toEqual([
      'scanner logged in from 45.135.232.19 on pts/2 at 2026-11-05 03:00 UTC: a host and network (45.135.232.0/24) scanner never used before (1 earlier logins, from 10.1.1.1), nor in logins without a terminal (sftp, scp, ssh commands), from 203.0.113.9, 198.51.100.4, 192.0.2.11, and 1 more',
    ]);
    expect(out[0]?.evidence).toEqual([
      {
        source: '/var/log/wtmp',
        line: 5,
        time: '2026-11-05T03:00:01Z',
        text: 'USER_PROCESS scanner pts/2 from 45.135.232.19 pid 7',
      },
    ]);
  });
});
