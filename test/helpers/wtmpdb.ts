/**
 * A wtmpdb fixture as pam_wtmpdb writes it (the table of wtmpdb's lib/sqlite.c), for the logins and dial-up
 * tests: one place holds the schema, so a test cannot drift from what the reader expects.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

/** A row: Type (1 boot, 3 session), User, Login and Logout (µs since the epoch), TTY, RemoteHost, Service. */
export type WtmpdbFixtureRow = [
  type: number,
  user: string,
  login: number,
  logout: number | null,
  tty: string,
  host: string | null,
  service: string | null,
];

/** Creates `file` (and its directory) with the wtmp table; rows are added by `add`, with an `ID` or the next one. */
export function createWtmpdb(file: string): {
  db: BetterSqlite3.Database;
  add: (row: WtmpdbFixtureRow, id?: number) => number | bigint;
} {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.exec(
    'CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)',
  );
  const ins = db.prepare(
    'INSERT INTO wtmp(ID, Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return { db, add: (row, id) => ins.run(id ?? null, ...row).lastInsertRowid };
}
