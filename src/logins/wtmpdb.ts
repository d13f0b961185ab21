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
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { reason, describe as what, TenkenError } from '../core/errors.ts';
import { inTree, openRegularSync } from '../core/open.ts';
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

/**
 * Whether a file starts with the SQLite header (so `-f` can take a wtmp.db as well as a wtmp). `root`: the
 * host's, under which the file's links resolve inside the tree (as for every reader here).
 */
export function isSqlite(file: string, root = '/'): boolean {
  try {
    const { fd } = openRegularSync(file, { root });
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

/**
 * Whether a row can be read as a login, a boot or a run level: a sane Login time, a user and a type. wtmpdb
 * always writes all three (User is NOT NULL in its schema); a row without them is a damaged page (a cut
 * file reads as rows of NULLs) or a hand edit. SQL twin: READABLE_SQL.
 */
function readable(row: WtmpdbRow): boolean {
  return usec(row.Login) !== null && row.User !== null && typeof row.Type === 'number';
}

/** readable() as an SQL condition (one parameter: MAX_USEC). */
const READABLE_SQL =
  "typeof(Login) = 'integer' AND Login > 0 AND Login <= ? AND User IS NOT NULL AND typeof(Type) = 'integer'";

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
    // A row without a usable login time, user or type is damage, not a login at 1970 (counted apart:
    // Wtmpdb.unreadable).
    if (!readable(row)) continue;
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

/** A run of consecutive row IDs, both ends included. */
export type IdRange = [first: number, last: number];

/** The row IDs of a table: what the logins check remembers to see rows vanish (wtmpdb-mark.ts). */
export interface WtmpdbIds {
  /** The highest ID, null for an empty table. */
  maxId: number | null;
  /** Rows in the table. */
  rows: number;
  /** The IDs as ranges, ascending; null when there are more than `maxRanges` of them (only `upTo` then). */
  ranges: IdRange[] | null;
  /** Rows whose ID is at most the `upTo` asked for (all rows when none was). */
  upTo: number;
}

/**
 * Pure: IDs (ascending as `ORDER BY ID` gives them; a damaged table may give them out of order or twice) as
 * ranges, or null past `maxRanges` ranges. Also counts the IDs up to `upTo`.
 */
export function idRanges(ids: Iterable<number>, maxRanges = 512, upTo = Number.POSITIVE_INFINITY): WtmpdbIds {
  let out: IdRange[] = [];
  let rows = 0;
  let below = 0;
  let maxId: number | null = null;
  let unordered = false;
  for (const id of ids) {
    rows++;
    if (id <= upTo) below++;
    if (maxId === null || id > maxId) maxId = id;
    const last = out[out.length - 1];
    if (last && id >= last[0] && id <= last[1]) continue;
    if (last && id === last[1] + 1) last[1] = id;
    else {
      if (last && id < last[0]) unordered = true;
      out.push([id, id]);
    }
  }
  if (unordered) {
    out.sort((a, b) => a[0] - b[0]);
    const merged: IdRange[] = [];
    for (const r of out) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    out = merged;
  }
  return { maxId, rows, ranges: out.length > maxRanges ? null : out, upTo: below };
}

/** Largest database that `quickCheck` reads whole (SQLite's quick_check reads every page). */
export const QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024;

/** What SQLite's `PRAGMA quick_check` said: ok, its problems, or that the file was too big to check. */
export type QuickCheck = { ok: true } | { ok: false; problems: string[] } | { ok: null; bytes: number };

/** Pure: quick_check's rows as one-line problems (its first row starts `*** in database main ***`). */
export function quickCheckProblems(rows: readonly string[]): string[] {
  if (rows.length === 1 && rows[0] === 'ok') return [];
  return rows
    .flatMap((r) => r.split('\n'))
    .map((l) => l.replace(/[\p{Cc}]/gu, ' ').trim())
    .filter((l) => l !== '' && !/^\*\*\* in database /.test(l))
    .map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l));
}

/** Rows `wtmpdbEntries` leaves out (readable() false): how many, and the first IDs. */
export interface WtmpdbUnreadable {
  count: number;
  ids: number[];
}

/** A row's Login (`logout: false`) or Logout (`logout: true`) as a point in time (Wtmpdb.timeline). */
export interface WtmpdbEvent {
  sec: number;
  logout: boolean;
  ID: number;
  Type: number;
  User: string | null;
  TTY: string | null;
  RemoteHost: string | null;
}

const TIMELINE_SQL = `SELECT t, logout, ID, Type, User, TTY, RemoteHost FROM (
  SELECT Login AS t, 0 AS logout, ID, Type, User, TTY, RemoteHost FROM wtmp WHERE ${READABLE_SQL}
  UNION ALL
  SELECT Logout AS t, 1 AS logout, ID, Type, User, TTY, RemoteHost FROM wtmp WHERE ${READABLE_SQL}
    AND typeof(Logout) = 'integer' AND Logout > 0 AND Logout <= ?
) ORDER BY t, logout, ID`;

/** An opened wtmpdb: its first login (the `begins` time) and a lazy, newest-first entry stream. */
export interface Wtmpdb {
  display: string;
  begins: number | null;
  rows: number;
  /** Rows with no usable login time, user or type: damage the entries leave out. */
  unreadable: WtmpdbUnreadable;
  entries(opts: WtmpdbOptions): Generator<LastEntry>;
  /** The row IDs (one pass over the table's rowids), counting those up to `upTo`. */
  ids(upTo?: number): WtmpdbIds;
  /**
   * Every readable row's Login and (when set) Logout as events, oldest first: what the rows say of the machine
   * being up, for the unclean-reboot test (a boot row's Logout is its shutdown).
   */
  timeline(): Generator<WtmpdbEvent>;
  /** SQLite's quick_check (at most `maxBytes` of file: past that, not run). */
  quickCheck(maxBytes?: number): QuickCheck;
  close(): void;
}

/**
 * The one line that says a wtmpdb is damaged (stderr of `last`, the logins check's finding detail), or null
 * when it is not: quick_check's problems and the rows left out.
 */
export function damageText(db: Pick<Wtmpdb, 'display' | 'unreadable'>, check: QuickCheck): string | null {
  const parts: string[] = [];
  if (check.ok === false)
    parts.push(
      `${db.display} is damaged (SQLite quick_check: ${check.problems.slice(0, 3).join('; ')}${check.problems.length > 3 ? '; …' : ''})`,
    );
  const n = db.unreadable.count;
  if (n > 0) {
    const ids = db.unreadable.ids.slice(0, 5).join(', ');
    parts.push(
      `${check.ok === false ? 'its' : db.display + ':'} ${n} row${n === 1 ? '' : 's'} unreadable (no usable login time, user or type: ID ${ids}${n > 5 ? ', …' : ''}), left out`,
    );
  }
  return parts.length ? parts.join(': ') : null;
}

/**
 * The rows of a statement; an SQLite error raised while they are read (a damaged page met part-way: `database
 * disk image is malformed`) becomes a one-line `Cannot read /var/lib/wtmpdb/wtmp.db: ...` TenkenError.
 */
function* rowsOf<T = WtmpdbRow>(stmt: BetterSqlite3.Statement, display: string): Generator<T> {
  try {
    yield* stmt.iterate() as IterableIterator<T>;
  } catch (err) {
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
}

/**
 * Opens a wtmpdb read-only; a missing table or a non-SQLite file is a one-line TenkenError. Under `root`,
 * SQLite opens the path resolved inside the tree (it opens by name: the check of open.ts's openers that
 * the file opened is inside the tree cannot be made for it).
 */
export function openWtmpdb(file: string, display = file, root = '/'): Wtmpdb {
  let db: BetterSqlite3.Database | undefined;
  try {
    // Loaded on first use: `tenken last` on a plain wtmp never pays for the native module.
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(inTree(root, file), { readonly: true, fileMustExist: true });
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
    const bad = db.prepare(`SELECT ID FROM wtmp WHERE NOT (${READABLE_SQL}) ORDER BY ID`).pluck();
    const unreadable: WtmpdbUnreadable = { count: 0, ids: [] };
    for (const id of bad.iterate(MAX_USEC) as IterableIterator<number>) {
      // A cut file's pages read as rows whose ID is 0 too: each ID is named once.
      if (unreadable.count++ < 20 && !unreadable.ids.includes(id)) unreadable.ids.push(id);
    }
    const handle = db;
    return {
      display,
      begins: first.first === null ? null : Math.floor(first.first / 1e6),
      rows: first.n,
      unreadable,
      entries: (opts) => wtmpdbEntries(rowsOf(all, display), boots, opts),
      ids: (upTo) =>
        idRanges(
          rowsOf<number>(handle.prepare('SELECT ID FROM wtmp ORDER BY ID').pluck(), display),
          512,
          upTo,
        ),
      timeline: function* () {
        const stmt = handle.prepare(TIMELINE_SQL).bind(MAX_USEC, MAX_USEC, MAX_USEC);
        for (const r of rowsOf<Omit<WtmpdbEvent, 'sec' | 'logout'> & { t: number; logout: number }>(
          stmt,
          display,
        ))
          yield { ...r, sec: Math.floor(r.t / 1e6), logout: r.logout === 1 };
      },
      quickCheck: (maxBytes = QUICK_CHECK_MAX_BYTES) => {
        const bytes = fs.statSync(file).size;
        if (bytes > maxBytes) return { ok: null, bytes };
        try {
          const problems = quickCheckProblems(
            (handle.pragma('quick_check(20)') as Record<string, unknown>[]).map((r) =>
              String(Object.values(r)[0]),
            ),
          );
          return problems.length ? { ok: false, problems } : { ok: true };
        } catch (err) {
          return { ok: false, problems: [reason(err)] };
        }
      },
      close: () => handle.close(),
    };
  } catch (err) {
    db?.close();
    throw new TenkenError(what(`Cannot read ${display}`, err));
  }
}

/**
 * The rows of the databases `wtmpdb rotate` left beside `file` (`wtmp_20261101.db`, isRotatedName) with a
 * login at or after `since` (seconds; null: all): what left the live database since a run that saw its
 * oldest row at `since`. A rotated file that cannot be read counts as holding none (the rows are then
 * reported as removed, with the rotated files named).
 */
export function rotatedRows(
  file: string,
  display: string,
  since: number | null,
  isRotated: (base: string, name: string) => boolean,
  root = '/',
): { display: string; rows: number; newest: number | null }[] {
  const dir = path.dirname(file);
  let names: string[];
  try {
    names = fs.readdirSync(inTree(root, dir)).sort();
  } catch {
    return [];
  }
  const out: { display: string; rows: number; newest: number | null }[] = [];
  for (const name of names) {
    if (!isRotated(path.basename(file), name)) continue;
    const shown = path.posix.join(path.posix.dirname(display), name);
    const local = path.join(dir, name);
    let db: BetterSqlite3.Database | undefined;
    try {
      if (!isSqlite(local, root)) throw new Error('not a database');
      const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
      db = new Database(inTree(root, local), { readonly: true, fileMustExist: true });
      db.defaultSafeIntegers(false);
      const r = db
        .prepare(`SELECT COUNT(*) AS n, MAX(Login) AS newest FROM wtmp WHERE ${READABLE_SQL} AND Login >= ?`)
        .get(MAX_USEC, since === null ? 0 : since * 1e6) as { n: number; newest: number | null };
      out.push({ display: shown, rows: r.n, newest: r.newest === null ? null : Math.floor(r.newest / 1e6) });
    } catch {
      out.push({ display: shown, rows: 0, newest: null });
    } finally {
      db?.close();
    }
  }
  return out;
}
