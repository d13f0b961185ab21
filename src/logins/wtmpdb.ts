/**
 * Debian 13 / openSUSE wtmpdb (`/var/lib/wtmpdb/wtmp.db`): an SQLite table
 * `wtmp(ID, Type, User, Login, Logout, TTY, RemoteHost, Service)` with times in microseconds, one row per
 * session or boot. Read read-only (better-sqlite3: the database is never written, no journal is made) and
 * mapped into the same `LastEntry` model as binary wtmp, so `tenken last` and the audit do not care which one a
 * host has. One exception, kept on purpose: a database in WAL mode (wtmpdb does not set it; an admin may)
 * gets its `-shm` index file beside it when the reader may create it (root), as with every SQLite reader of
 * a WAL database. `immutable=1` would avoid it but skips the `-wal` file, so the newest logins, not yet
 * checkpointed, would be missing from the audit; a copy taken while pam_wtmpdb writes could be torn.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { describe as what, TenkenError } from '../core/errors.ts';
import { openRegularSync } from '../core/open.ts';
import type { EndKind, LastEntry } from './sessions.ts';
import { addrFromText, UT, type UtmpRecord } from './utmp.ts';

/** wtmpdb's own `Type` values (wtmpdb.h). */
export const WTMPDB_TYPE = { EMPTY: 0, BOOT_TIME: 1, RUNLEVEL: 2, USER_PROCESS: 3 } as const;

/** One row of the wtmp table. */
export interface WtmpdbRow {
  ID: number;
  Type: number;
  User: string | null;
  Login: number | bigint | null;
  Logout: number | bigint | null;
  TTY: string | null;
  RemoteHost: string | null;
  Service: string | null;
}

/** Whether a file starts with the SQLite header (so `-f` can take a wtmp.db as well as a wtmp). */
export function isSqlite(file: string): boolean {
  try {
    const { fd } = openRegularSync(file);
    try {
      const head = Buffer.alloc(16);
      fs.readSync(fd, head, 0, 16, 0);
      return head.toString('latin1') === 'SQLite format 3\0';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

const bytes = (s: string | null): string => (s ? Buffer.from(s, 'utf8').toString('latin1') : '');

/**
 * A time column in microseconds, or null. SQLite columns are typed by value, not by schema: a hand-edited
 * database can hold text or a real there, which counts as no time (the row is left out by the caller).
 */
function usec(v: unknown): number | null {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && n <= MAX_USEC ? n : null;
}

/** After 2200, as for binary wtmp (utmp.ts `recordProblem`): not a time a writer read from its clock. */
const MAX_USEC = 7_258_118_400 * 1e6;

function recordOf(row: WtmpdbRow, index: number): UtmpRecord {
  const login = usec(row.Login) ?? 0;
  const host = row.RemoteHost ?? '';
  let addr: [number, number, number, number] = [0, 0, 0, 0];
  try {
    if (host) addr = addrFromText(host);
  } catch {
    /* a host name, not an address */
  }
  const type =
    row.Type === WTMPDB_TYPE.BOOT_TIME
      ? UT.BOOT_TIME
      : row.Type === WTMPDB_TYPE.RUNLEVEL
        ? UT.RUN_LVL
        : UT.USER_PROCESS;
  return {
    index,
    type,
    pid: 0,
    line: bytes(row.TTY),
    id: '',
    user: bytes(row.User),
    host: bytes(host),
    exitTermination: 0,
    exitStatus: 0,
    session: 0,
    sec: Math.floor(login / 1e6),
    usec: login % 1e6,
    addr,
  };
}

/** Options of the mapping: the run's start, -x, -s/-t, and the live "still there" test. */
export interface WtmpdbOptions {
  now: number;
  extended?: boolean;
  since?: number;
  until?: number;
  pidAlive: (rec: UtmpRecord) => boolean;
}

/** Pure: rows (newest login first) → `last` entries, with shutdowns synthesised from boots' Logout. */
export function* wtmpdbEntries(
  rows: Iterable<WtmpdbRow>,
  boots: readonly WtmpdbRow[],
  opts: WtmpdbOptions,
): Generator<LastEntry> {
  // Shutdowns are the Logout of boot rows; they interleave with the rows by time.
  const shutdowns = boots
    .filter((b) => usec(b.Logout) !== null)
    .map((b) => ({ row: b, at: Math.floor((usec(b.Logout) as number) / 1e6) }))
    .sort((a, b) => b.at - a.at);
  let s = 0;
  let lastboot = 0;
  let whydown: EndKind = 'crash';
  const inRange = (t: number): boolean => !((opts.since && t < opts.since) || (opts.until && opts.until < t));
  let index = 0;
  const flushShutdowns = function* (after: number): Generator<LastEntry> {
    while (s < shutdowns.length && (shutdowns[s] as { at: number }).at > after) {
      const sh = shutdowns[s++] as { row: WtmpdbRow; at: number };
      if (!inRange(sh.at)) continue;
      if (opts.extended) {
        const rec = { ...recordOf(sh.row, index++), user: 'shutdown', line: '~', sec: sh.at, usec: 0 };
        yield {
          kind: 'shutdown',
          end: 'logout',
          record: rec,
          line: 'system down',
          logout: lastboot,
          file: 0,
          // wtmpdb has no shutdown row: the shutdown is the Logout of this boot's row.
          row: sh.row.ID,
        };
      }
      lastboot = sh.at;
      whydown = 'down';
    }
  };
  for (const row of rows) {
    // A row without a usable login time is damage, not a login at 1970.
    if (usec(row.Login) === null) continue;
    const rec = recordOf(row, index++);
    yield* flushShutdowns(rec.sec);
    if (!inRange(rec.sec)) continue;
    const logoutUsec = usec(row.Logout);
    const logout = logoutUsec === null ? null : Math.floor(logoutUsec / 1e6);
    if (row.Type === WTMPDB_TYPE.BOOT_TIME) {
      yield {
        kind: 'reboot',
        end: 'reboot',
        record: rec,
        line: 'system boot',
        logout: logout ?? (lastboot || opts.now),
        file: 0,
        row: row.ID,
      };
      lastboot = rec.sec;
      whydown = 'crash';
    } else if (row.Type === WTMPDB_TYPE.USER_PROCESS) {
      if (logout !== null)
        yield { kind: 'login', end: 'logout', record: rec, line: rec.line, logout, file: 0, row: row.ID };
      else if (lastboot)
        yield {
          kind: 'login',
          end: whydown,
          record: rec,
          line: rec.line,
          logout: lastboot,
          file: 0,
          row: row.ID,
        };
      else {
        const end: EndKind = opts.pidAlive(rec) ? 'still-logged-in' : 'gone';
        yield { kind: 'login', end, record: rec, line: rec.line, logout: 0, file: 0, row: row.ID };
      }
    } else if (row.Type === WTMPDB_TYPE.RUNLEVEL && opts.extended) {
      yield {
        kind: 'runlevel',
        end: 'logout',
        record: rec,
        line: rec.line,
        logout: logout ?? opts.now,
        file: 0,
        row: row.ID,
      };
    }
  }
  yield* flushShutdowns(Number.NEGATIVE_INFINITY);
}

/** An opened wtmpdb: its first login (the `begins` time) and a lazy, newest-first entry stream. */
export interface Wtmpdb {
  display: string;
  begins: number | null;
  rows: number;
  entries(opts: WtmpdbOptions): Generator<LastEntry>;
  close(): void;
}

/**
 * The rows of a statement; an SQLite error raised while they are read (a damaged page met part-way: `database
 * disk image is malformed`) becomes a one-line `Cannot read /var/lib/wtmpdb/wtmp.db: ...` TenkenError.
 */
function* rowsOf(stmt: BetterSqlite3.Statement, display: string): Generator<WtmpdbRow> {
  try {
    yield* stmt.iterate() as IterableIterator<WtmpdbRow>;
  } catch (err) {
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
}

/** Opens a wtmpdb read-only; a missing table or a non-SQLite file is a one-line TenkenError. */
export function openWtmpdb(file: string, display = file): Wtmpdb {
  let db: BetterSqlite3.Database | undefined;
  try {
    // Loaded on first use: `tenken last` on a plain wtmp never pays for the native module.
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.defaultSafeIntegers(false);
    // The first login as the rows are read: a Login that is not a sane time (INT64_MIN printed "wtmp begins
    // ... -290308") is left out here as its row is.
    const first = db
      .prepare(
        "SELECT MIN(CASE WHEN typeof(Login) = 'integer' AND Login > 0 AND Login <= ? THEN Login END) AS first, COUNT(*) AS n FROM wtmp",
      )
      .get(MAX_USEC) as {
      first: number | null;
      n: number;
    };
    const boots = db
      .prepare('SELECT * FROM wtmp WHERE Type = ? ORDER BY Login')
      .all(WTMPDB_TYPE.BOOT_TIME) as WtmpdbRow[];
    const all = db.prepare('SELECT * FROM wtmp ORDER BY Login DESC, ID DESC');
    const handle = db;
    return {
      display,
      begins: first.first === null ? null : Math.floor(first.first / 1e6),
      rows: first.n,
      entries: (opts) => wtmpdbEntries(rowsOf(all, display), boots, opts),
      close: () => handle.close(),
    };
  } catch (err) {
    db?.close();
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
}
