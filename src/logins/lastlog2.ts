/**
 * lastlog2 (util-linux 2.40+, pam_lastlog2: Debian 13, openSUSE), the Y2038-safe successor of /var/log/lastlog:
 * an SQLite database, /var/lib/lastlog/lastlog2.db, with one row per user name in
 * `Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT)`, Time in seconds.
 * Read read-only through better-sqlite3, like wtmpdb.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { describe as what, TenkenError } from '../core/errors.ts';
import { inTree } from '../core/open.ts';

/** One user's last login as lastlog2 keeps it. */
export interface Lastlog2Entry {
  user: string;
  /** Seconds since the epoch (0: never). */
  time: number;
  tty: string;
  host: string;
  service: string;
}

/**
 * Every row of the database; a missing table or a file that is not SQLite is a one-line TenkenError. Under
 * `root`, the path resolved inside the tree (see openWtmpdb).
 */
export function readLastlog2(file: string, display = file, root = '/'): Lastlog2Entry[] {
  let db: BetterSqlite3.Database | undefined;
  try {
    // Loaded on first use, as for wtmpdb: hosts without lastlog2 never load the native module.
    const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    db = new Database(inTree(root, file), { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT Name, Time, TTY, RemoteHost, Service FROM Lastlog2').all() as {
      Name: unknown;
      Time: unknown;
      TTY: unknown;
      RemoteHost: unknown;
      Service: unknown;
    }[];
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return rows
      .filter((r) => typeof r.Name === 'string' && r.Name !== '')
      .map((r) => ({
        user: r.Name as string,
        time: typeof r.Time === 'number' && Number.isFinite(r.Time) ? Math.trunc(r.Time) : 0,
        tty: text(r.TTY),
        host: text(r.RemoteHost),
        service: text(r.Service),
      }));
  } catch (err) {
    throw new TenkenError(what(`Cannot read ${display}`, err));
  } finally {
    db?.close();
  }
}
