/**
 * The dial-up check on a host that keeps its logins in wtmpdb (Debian 13: /var/lib/wtmpdb/wtmp.db and no
 * /var/log/wtmp): the logins come from the database, by the logins check's rule (historyInputs), paired as
 * `last` pairs its rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../config/plan.ts';
import { makeHost } from '../core/host.ts';
import { wtmpdbEntries, type WtmpdbRow } from '../logins/wtmpdb.ts';
import { inspectDialup } from './check.ts';
import { dialupConfig } from './config.ts';
import { wtmpdbRecords } from './logins-source.ts';
import { createWtmpdb, type WtmpdbFixtureRow } from '../../test/helpers/wtmpdb.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

const NOW = new Date('2026-06-02T00:00:00Z');
const plan: Plan = { services: [], syslogFiles: [], journal: 'off', skipped: [] };
const us = (iso: string): number => Date.parse(iso) * 1000;
const DB = '/var/lib/wtmpdb/wtmp.db';

/** Rows of the wtmp table: Type, User, Login, Logout, TTY, RemoteHost, Service (wtmpdb's lib/sqlite.c). */
type Row = WtmpdbFixtureRow;

/** A tree with mgetty's log of ttyS0 (one call, answered and handed to login), and a wtmpdb of `rows`. */
function tree(rows: Row[] | null): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-dialup-wtmpdb-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const log = path.join(root, 'var/log/mgetty.ttyS0');
  fs.writeFileSync(
    log,
    [
      '--',
      '03/13 08:50:00 yS0  mgetty: interim release 1.2.1',
      '03/13 08:50:00 yS0  user id: 0, pid: 612, parent pid: 1',
      "05/25 06:01:44 yS0  waiting for ``CONNECT'' ** found **",
      "05/25 06:01:58 ##### data dev=ttyS0, pid=612, caller='none', conn='38400/V.34', name='', cmd='/bin/login', user='yanagi'",
      '',
    ].join('\n'),
  );
  fs.utimesSync(log, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-01T00:00:00Z'));
  if (rows) {
    const { db, add } = createWtmpdb(path.join(root, DB));
    for (const row of rows) add(row);
    db.close();
  }
  return root;
}

const BOOT: Row = [1, 'reboot', us('2026-03-13T08:49:00Z'), null, '~', '6.12.0-amd64', null];
const DIALUP: Row = [
  3,
  'yanagi',
  us('2026-05-25T06:02:10Z'),
  us('2026-05-25T06:40:10Z'),
  'ttyS0',
  null,
  'login',
];
const SSH: Row = [
  3,
  'joe',
  us('2026-05-26T10:00:00Z'),
  us('2026-05-26T11:00:00Z'),
  'pts/0',
  '192.0.2.5',
  'sshd',
];
const INTRUDER: Row = [3, 'intruder', us('2026-05-28T03:00:00Z'), null, 'ttyS0', null, 'login'];

const inspect = (root: string) =>
  inspectDialup(makeHost({ root, name: 'gauntlet', now: NOW }), dialupConfig.parse({ syslog: false }), plan);

describe('the dial-up check on a host with wtmpdb and no wtmp', () => {
  it("matches mgetty's call with the ttyS0 login wtmpdb holds, the session ending at the row's logout", async () => {
    const insp = await inspect(tree([BOOT, DIALUP, SSH]));
    expect(insp.problems).toEqual([]);
    expect(insp.wtmp).toEqual([DB]);
    const line = insp.lines.find((l) => l.line === 'ttyS0');
    expect(line?.matches.map((m) => [m.login.user, m.seconds])).toEqual([['yanagi', 26]]);
    expect(line?.loginsWithoutCall).toEqual([]);
    expect(line?.callsWithoutLogin).toEqual([]);
    expect(line?.sessions.map((s) => [s.login.user, s.end.toISOString(), s.ongoing])).toEqual([
      ['yanagi', '2026-05-25T06:40:10.000Z', false],
    ]);
    expect(insp.findings.filter((f) => f.status !== 'OK' && f.status !== 'INFO')).toEqual([]);
  });

  it('names a ttyS0 login with no call CRITICAL, its evidence the database and the row id', async () => {
    const insp = await inspect(tree([BOOT, DIALUP, SSH, INTRUDER]));
    const critical = insp.findings.filter((f) => f.status === 'CRITICAL');
    expect(critical.map((f) => f.kind)).toEqual(['dialup-login-without-call']);
    expect(critical[0]?.summary).toMatch(
      /^Login by intruder on ttyS0 at 2026-05-28 03:00:00 UTC with no call/,
    );
    // INTRUDER is the table's fourth row: ID 4.
    expect(critical[0]?.evidence[0]).toEqual({
      source: DB,
      line: 4,
      time: '2026-05-28T03:00:00.000Z',
      text: 'USER_PROCESS intruder ttyS0 (wtmpdb row 4)',
    });
  });

  it('says wtmp cannot be read, as before, on a host with neither wtmp nor wtmpdb', async () => {
    const insp = await inspect(tree(null));
    expect(insp.wtmp).toEqual([]);
    expect(insp.problems.map((p) => [p.status, p.summary])).toEqual([
      [
        'WARNING',
        'Cannot read /var/log/wtmp: no such file or directory: logins on dial-up lines not compared with calls',
      ],
    ]);
  });

  it('reads /var/log/wtmp, not the database, when both exist (the logins check reads the same)', async () => {
    const root = tree([BOOT, DIALUP, SSH, INTRUDER]);
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), '');
    const insp = await inspect(root);
    expect(insp.wtmp).toEqual(['/var/log/wtmp']);
    expect(insp.findings.filter((f) => f.status === 'CRITICAL')).toEqual([]);
  });

  it('says a damaged database in one line, without repeating its path', async () => {
    const root = tree(null);
    fs.mkdirSync(path.join(root, 'var/lib/wtmpdb'), { recursive: true });
    fs.writeFileSync(
      path.join(root, DB),
      Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(200, 7)]),
    );
    const insp = await inspect(root);
    expect(insp.problems.map((p) => p.summary)).toEqual([
      expect.stringMatching(
        /^Cannot read \/var\/lib\/wtmpdb\/wtmp\.db: (?!Cannot read)[^\n]+: logins on dial-up lines not compared with calls$/,
      ),
    ]);
  });
});

describe('wtmpdb rows as the records the correlation consumes', () => {
  const row = (ID: number, r: Row): WtmpdbRow => ({
    ID,
    Type: r[0],
    User: r[1],
    Login: r[2],
    Logout: r[3],
    TTY: r[4],
    RemoteHost: r[5],
    Service: r[6],
  });
  it('ends each session where last does: its logout, else the shutdown or the boot that closed it', () => {
    const boot1 = row(1, [
      1,
      'reboot',
      us('2026-05-01T00:00:00Z'),
      us('2026-05-02T00:00:00Z'),
      '~',
      'k',
      null,
    ]);
    const rows = [
      row(2, [3, 'a', us('2026-05-01T01:00:00Z'), us('2026-05-01T02:00:00Z'), 'ttyS0', null, 'login']),
      row(3, [3, 'b', us('2026-05-01T03:00:00Z'), null, 'ttyS0', null, 'login']), // closed by the shutdown
      row(4, [1, 'reboot', us('2026-05-03T00:00:00Z'), null, '~', 'k', null]),
      row(5, [3, 'c', us('2026-05-03T01:00:00Z'), null, 'ttyS0', null, 'login']), // still logged in
      row(6, [3, 'd', us('2026-05-03T02:00:00Z'), null, 'pts/0', '192.0.2.5', 'sshd']),
    ];
    const boots = [boot1, rows[2] as WtmpdbRow];
    const newestFirst = [boot1, ...rows].sort((x, y) => Number(y.Login) - Number(x.Login));
    const entries = wtmpdbEntries(newestFirst, boots, {
      now: Date.parse(NOW.toISOString()) / 1000,
      pidAlive: () => true,
    });
    const { records, oldest } = wtmpdbRecords(
      entries,
      DB,
      (type, line) => type === 'BOOT_TIME' || line === 'ttyS0',
    );
    expect(oldest).toBe(Date.parse('2026-05-01T00:00:00Z'));
    expect(
      records
        .map((r) => [r.type, r.user, r.line, r.time.toISOString(), r.row, r.pid, r.source])
        .sort((x, y) => String(x[3]).localeCompare(String(y[3])) || String(x[0]).localeCompare(String(y[0]))),
    ).toEqual([
      ['BOOT_TIME', 'reboot', '~', '2026-05-01T00:00:00.000Z', 1, 0, DB],
      ['USER_PROCESS', 'a', 'ttyS0', '2026-05-01T01:00:00.000Z', 2, 0, DB],
      ['DEAD_PROCESS', '', 'ttyS0', '2026-05-01T02:00:00.000Z', 2, 0, DB],
      ['USER_PROCESS', 'b', 'ttyS0', '2026-05-01T03:00:00.000Z', 3, 0, DB],
      ['DEAD_PROCESS', '', 'ttyS0', '2026-05-02T00:00:00.000Z', 3, 0, DB],
      ['BOOT_TIME', 'reboot', '~', '2026-05-03T00:00:00.000Z', 4, 0, DB],
      ['USER_PROCESS', 'c', 'ttyS0', '2026-05-03T01:00:00.000Z', 5, 0, DB],
    ]);
  });
});
