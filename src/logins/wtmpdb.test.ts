import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { register } from '../cli/commands/last.ts';
import { readHistory } from './history.ts';
import { runCommand } from './testing.ts';
import { encodeRecords } from './utmp.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-wtmpdb-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T = 1_700_000_000;
const us = (s: number): number => (T + s) * 1e6;

/** A wtmpdb as pam_wtmpdb writes it (schema of wtmpdb's lib/sqlite.c). */
function makeDb(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec(
    'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)',
  );
  const ins = db.prepare(
    'INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  ins.run(1, 'reboot', us(0), us(5000), '~', '6.12.0-amd64', null);
  ins.run(3, 'alice', us(100), us(700), 'pts/0', '192.0.2.5', 'sshd');
  ins.run(3, 'bob', us(200), null, 'tty1', null, 'login');
  ins.run(1, 'reboot', us(6000), null, '~', '6.12.0-amd64', null);
  ins.run(3, 'carol', us(6100), null, 'pts/1', '2001:db8::7', 'sshd');
  db.close();
}

/** The demo's wtmp as a wtmpdb (one row per boot and session), as wtmpdb's import would hold it. */
function demoDb(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const w = fs.readFileSync(new URL('../../examples/demo-root/var/log/wtmp', import.meta.url));
  const db = new Database(file);
  db.exec(
    'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)',
  );
  const ins = db.prepare(
    'INSERT INTO wtmp(Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
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
    if (type === 2) ins.run(1, 'reboot', sec * 1e6, null, '~', str(i + 76, 256), null);
    else if (type === 7)
      open.set(
        line,
        ins.run(3, str(i + 44, 32), sec * 1e6, null, line, str(i + 76, 256) || null, 'sshd').lastInsertRowid,
      );
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

  it('leaves out a row whose login time is not a number (SQLite keeps what it is given)', async () => {
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
    expect(run.stderr).toBe('');
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
