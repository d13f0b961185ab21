import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../cli/commands/last.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import { accepted, contextFor, makeTree, syslogLine, t } from './fixtures-audit/tree.ts';
import { readHistory } from './history.ts';
import { runCommand } from './testing.ts';
import { encodeRecords } from './utmp.ts';
import { createWtmpdb } from '../../test/helpers/wtmpdb.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-wtmpdb-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = 1_700_000_000;
const us = (s: number): number => (T + s) * 1e6;

/** A wtmpdb as pam_wtmpdb writes it (schema of wtmpdb's lib/sqlite.c). */
function makeDb(file: string): void {
  const { db, add } = createWtmpdb(file);
  add([1, 'reboot', us(0), us(5000), '~', '6.12.0-amd64', null]);
  add([3, 'alice', us(100), us(700), 'pts/0', '192.0.2.5', 'sshd']);
  add([3, 'bob', us(200), null, 'tty1', null, 'login']);
  add([1, 'reboot', us(6000), null, '~', '6.12.0-amd64', null]);
  add([3, 'carol', us(6100), null, 'pts/1', '2001:db8::7', 'sshd']);
  db.close();
}

/** The demo's wtmp as a wtmpdb (one row per boot and session), as wtmpdb's import would hold it. */
function demoDb(file: string): void {
  const w = fs.readFileSync(new URL('../../examples/demo-root/var/log/wtmp', import.meta.url));
  const { db, add } = createWtmpdb(file);
  const open = new Map<string, number | bigint>();
  const str = (o: number, n: number): string => {
    const b = w.subarray(o, o + n);
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? n : z).toString('latin1');
  };
  for (let i = 0; i + 384 <= w.length; i += 384) {
    const type = w.readInt16LE(i);
    const line = str(i + 8, 32);
    const sec = w.readInt32LE(i + 340);
    if (type === 2) add([1, 'reboot', sec * 1e6, null, '~', str(i + 76, 256), null]);
    else if (type === 7)
      open.set(line, add([3, str(i + 44, 32), sec * 1e6, null, line, str(i + 76, 256) || null, 'sshd']));
    else if (type === 8 && open.has(line)) {
      db.prepare('UPDATE wtmp SET Logout = ? WHERE ID = ?').run(sec * 1e6, open.get(line));
      open.delete(line);
    }
  }
  db.close();
}

describe('wtmpdb', () => {
  it('is read when /var/log/wtmp is absent and prints what last prints for the same history', async () => {
    const db = path.join(dir, 'root/var/lib/wtmpdb/wtmp.db');
    makeDb(db);
    const before = fs.statSync(db).mtimeMs;
    const now = new Date((T + 10_000) * 1000);
    const fromDb = await runCommand([{ register }], ['last', '-x', '-i'], {
      root: path.join(dir, 'root'),
      now,
    });
    // The same history as binary wtmp records (-f takes host paths under --root).
    const wtmp = path.join(dir, 'root/var/log/wtmp.synth');
    fs.mkdirSync(path.dirname(wtmp), { recursive: true });
    fs.writeFileSync(
      wtmp,
      encodeRecords([
        { type: 2, line: '~', user: 'reboot', host: '6.12.0-amd64', sec: T },
        {
          type: 7,
          pid: 1,
          line: 'pts/0',
          user: 'alice',
          host: '192.0.2.5',
          addr: [0xc0000205, 0, 0, 0],
          sec: T + 100,
        },
        { type: 7, pid: 2, line: 'tty1', user: 'bob', sec: T + 200 },
        { type: 8, line: 'pts/0', sec: T + 700 },
        { type: 1, line: '~', user: 'shutdown', host: '6.12.0-amd64', sec: T + 5000 },
        { type: 2, line: '~', user: 'reboot', host: '6.12.0-amd64', sec: T + 6000 },
        {
          type: 7,
          pid: 3,
          line: 'pts/1',
          user: 'carol',
          host: '2001:db8::7',
          addr: [0x20010db8, 0, 0, 7],
          sec: T + 6100,
        },
      ]),
    );
    const fromWtmp = await runCommand([{ register }], ['last', '-x', '-i', '-f', '/var/log/wtmp.synth'], {
      root: path.join(dir, 'root'),
      now,
    });
    expect(fromDb.stderr).toBe('');
    expect(fromWtmp.stdout).toContain('alice    pts/0');
    expect(fromDb.stdout.split('\n').slice(0, -3)).toEqual(fromWtmp.stdout.split('\n').slice(0, -3));
    expect(fromDb.stdout).toContain('\nwtmp.db begins ');
    expect(fromDb.stdout).toMatch(/^carol {4}pts\/1 {8}2001:db8::7 {6}Tue Nov 14 23:55 {3}still logged in\n/);
    // Read-only: the database is untouched and no journal appeared.
    expect(fs.statSync(db).mtimeMs).toBe(before);
    expect(fs.readdirSync(path.dirname(db))).toEqual(['wtmp.db']);
  });

  it('leaves out a row whose login time is not a number (SQLite keeps what it is given), and says so on stderr', async () => {
    const file = path.join(dir, 'edited.db');
    makeDb(file);
    const db = new Database(file);
    db.prepare(
      'INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (3, ?, ?, NULL, ?, NULL, ?)',
    ).run('mallory', 'abc', 'pts/3', 'sshd');
    db.close();
    const run = await runCommand([{ register }], ['last', '-f', file], {
      now: new Date((T + 10_000) * 1000),
    });
    expect(run.stderr).toBe(
      `tenken last: ${file}: 1 row unreadable (no usable login time, user or type: ID 6), left out\n`,
    );
    expect(run.stdout).not.toMatch(/mallory|undefined|NaN/);
    expect(run.stdout).toMatch(/^carol /);
  });

  it('reports a database damaged past its header as "Cannot read PATH: ..." in one line, and the history as unreadable', async () => {
    const file = path.join(dir, 'damaged/wtmp.db');
    demoDb(file);
    // Cut in the middle of the table's page (a partial copy): the header still reads, the rows do not.
    fs.truncateSync(file, (fs.statSync(file).size * 3) / 4);
    const run = await runCommand([{ register }], ['last', '-f', file], {
      now: new Date((T + 10_000) * 1000),
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`tenken: Cannot read ${file}: database disk image is malformed\n`);
    const history = await readHistory([{ local: file, display: '/var/lib/wtmpdb/wtmp.db' }], {
      now: T + 10_000,
      pidAlive: () => true,
    });
    expect(history).toMatchObject({
      source: 'none',
      sessions: [],
      problems: [{ file: '/var/lib/wtmpdb/wtmp.db', reason: 'database disk image is malformed' }],
    });
  });

  it('begins at the first sane login: a Login of INT64_MIN or 0 is left out of "begins" as its row is', async () => {
    const file = path.join(dir, 'int64min.db');
    makeDb(file);
    const db = new Database(file);
    const ins = db.prepare(
      'INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (3, ?, ?, NULL, ?, NULL, ?)',
    );
    ins.run('mallory', -(2n ** 63n), 'pts/3', 'sshd');
    ins.run('eve', 0, 'pts/4', 'sshd');
    db.close();
    const run = await runCommand([{ register }], ['last', '-f', file], {
      now: new Date((T + 10_000) * 1000),
    });
    expect(run.stdout).not.toMatch(/mallory|eve|1970|-290308/);
    expect(run.stdout).toMatch(/\nint64min\.db begins Tue Nov 14 22:13:20 2023\n$/);
  });

  it('refuses a file that is not a wtmpdb with a one-line error', async () => {
    const bad = path.join(dir, 'bad.db');
    const db = new Database(bad);
    db.exec('CREATE TABLE other(x)');
    db.close();
    const run = await runCommand([{ register }], ['last', '-f', bad]);
    expect(run.stderr).toMatch(/^tenken: Cannot read .*bad\.db: no such table: wtmp\n$/);
  });
});

describe('wtmpdb evidence', () => {
  /** A tree with no /var/log/wtmp and a wtmpdb whose row IDs are not the rows' places in the listing. */
  function treeWithDb(): string {
    const root = makeTree({
      auth: [
        syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)'),
        accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
        syslogLine('2026-11-04T23:59:00', 'CRON[1]: (root) CMD (true)'),
      ],
    });
    const { db, add } = createWtmpdb(path.join(root, 'var/lib/wtmpdb/wtmp.db'));
    const at = (s: string): number => t(s) * 1e6;
    add([1, 'reboot', at('2026-11-01T08:00:00'), at('2026-11-04T12:00:00'), '~', '6.12.0-amd64', null], 7);
    add([3, 'alice', at('2026-11-02T09:00:01'), at('2026-11-02T10:00:00'), 'pts/0', '10.0.0.5', 'sshd'], 8);
    add(
      [3, 'root', at('2026-11-03T03:00:00'), at('2026-11-03T03:10:00'), 'pts/1', '203.0.113.9', 'sshd'],
      12,
    );
    add([1, 'reboot', at('2026-11-04T12:05:00'), null, '~', '6.12.0-amd64', null], 13);
    db.close();
    return root;
  }

  it('names a wtmpdb row by its ID in the logins check, as the dial-up check does', async () => {
    const r = await inspectLogins(contextFor(treeWithDb(), '2026-11-05T00:00'));
    const evidence = (r.findings as unknown as LoginsFinding[])
      .flatMap((f) => f.evidence)
      .filter((e) => e.source === '/var/lib/wtmpdb/wtmp.db');
    // root's login from 203.0.113.9 has no auth-log line (and is root over the network).
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) {
      expect(e.line).toBe(12);
      expect(e.text).toBe('USER_PROCESS root pts/1 (wtmpdb row 12) from 203.0.113.9');
    }
    const unmatched = (r.findings as unknown as LoginsFinding[]).find((f) => f.kind === 'login-unmatched');
    expect(unmatched?.evidence).toEqual([
      {
        source: '/var/lib/wtmpdb/wtmp.db',
        line: 12,
        time: '2026-11-03T03:00:00Z',
        text: 'USER_PROCESS root pts/1 (wtmpdb row 12) from 203.0.113.9',
      },
    ]);
  });

  it('gives a wtmpdb row ID as "record" in last --format json, and a shutdown its boot row', async () => {
    const root = treeWithDb();
    const run = await runCommand([{ register }], ['last', '-x'], {
      root,
      now: new Date(t('2026-11-05T00:00') * 1000),
      format: 'json',
    });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { entries: { kind: string; user: string; record: number }[] };
    expect(out.entries.map((e) => [e.kind, e.user, e.record])).toEqual([
      ['reboot', 'reboot', 13],
      ['shutdown', 'shutdown', 7],
      ['login', 'root', 12],
      ['login', 'alice', 8],
      ['reboot', 'reboot', 7],
    ]);
    // The text output has no record numbers: util-linux's columns, as before.
    const text = await runCommand([{ register }], ['last', '-x'], {
      root,
      now: new Date(t('2026-11-05T00:00') * 1000),
    });
    expect(text.stdout).toBe(
      [
        'reboot   system boot  6.12.0-amd64     Wed Nov  4 12:05   still running',
        'shutdown system down  6.12.0-amd64     Wed Nov  4 12:00 - 12:05  (00:05)',
        'root     pts/1        203.0.113.9      Tue Nov  3 03:00 - 03:10  (00:10)',
        'alice    pts/0        10.0.0.5         Mon Nov  2 09:00 - 10:00  (00:59)',
        'reboot   system boot  6.12.0-amd64     Sun Nov  1 08:00 - 12:00 (3+04:00)',
        '',
        'wtmp.db begins Sun Nov  1 08:00:00 2026',
        '',
      ].join('\n'),
    );
  });
});
