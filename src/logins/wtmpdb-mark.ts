/**
 * What the logins check remembers of a wtmpdb between runs, and the comparison that sees rows vanish: the
 * wtmpdb counterpart of the wtmp mark (tamper.ts `compareMark`). wtmpdb writes a row per login (the `ID` is
 * SQLite's rowid: one more than the highest) and only ever changes its Logout; rows leave it only by
 * `wtmpdb rotate`, which copies the rows older than N days into `wtmp_YYYYMMDD.db` beside it (new IDs there)
 * and deletes them. So rows seen at the last run that are gone, an emptied table or an ID sequence that went
 * back are removed records, unless rotated files beside it received as many rows, all older than every
 * row left. Pure: the reader (history.ts) and check.ts do the reading.
 */
import path from 'node:path';
import type { IdRange, WtmpdbIds } from './wtmpdb.ts';
import { iso } from './tamper.ts';

/** The wtmpdb at the end of the last run. */
export interface WtmpdbMark {
  /** Host path of the database. */
  file: string;
  /** Highest row ID, null for an empty table. */
  maxId: number | null;
  rows: number;
  /** Row IDs as ranges, null when there were too many ranges to keep (then `rows` is compared). */
  ids: IdRange[] | null;
  /** Oldest readable login (seconds), null for none: rotated rows at or after it left since the last run. */
  oldest: number | null;
  /**
   * The login row with the highest ID, its user and login time (seconds); absent in marks of earlier versions.
   * SQLite gives a new row the highest ID plus one: a deleted newest row's ID goes to the next login, and only
   * what the row holds tells the two apart.
   */
  top?: WtmpdbRow | undefined;
}

/** A login row as the mark remembers it. */
export interface WtmpdbRow {
  id: number;
  user: string;
  login: number;
}

/** Rows that rotated databases beside the live one hold and that left it since the last run. */
export interface RotatedRows {
  display: string;
  /** Rows with a login at or after the mark's `oldest`. */
  rows: number;
  /** Their newest login (seconds), null for none. */
  newest: number | null;
}

/** What the comparison found. */
export interface WtmpdbComparison {
  /** Rows gone that no rotation explains: a `wtmp-tamper` finding (`rows-removed`). */
  removed: { count: number; ids: IdRange[]; detail: string } | null;
  /** Rows gone that `wtmpdb rotate` moved (said in the check's summary, not a finding). */
  rotated: { count: number; files: string[] } | null;
}

/** Pure: reads a saved mark back leniently (undefined when malformed). */
export function readWtmpdbMark(raw: unknown): WtmpdbMark | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  if (typeof m.file !== 'string' || !int(m.rows) || m.rows < 0) return undefined;
  if (m.maxId !== null && !int(m.maxId)) return undefined;
  let ids: IdRange[] | null = null;
  if (Array.isArray(m.ids)) {
    const ok = m.ids.every(
      (r) => Array.isArray(r) && r.length === 2 && int(r[0]) && int(r[1]) && r[0] <= r[1],
    );
    if (!ok) return undefined;
    ids = (m.ids as IdRange[]).map((r) => [r[0], r[1]]);
  }
  const t = m.top as Record<string, unknown> | null | undefined;
  const top =
    t && typeof t === 'object' && int(t.id) && typeof t.user === 'string' && typeof t.login === 'number'
      ? { id: t.id, user: t.user, login: t.login }
      : undefined;
  return {
    file: m.file,
    maxId: m.maxId,
    rows: m.rows,
    ids,
    oldest: int(m.oldest) ? m.oldest : null,
    ...(top ? { top } : {}),
  };
}

/** Pure: the mark to save for a database read now (`top`: its login row of the highest ID, if any). */
export function wtmpdbMark(file: string, ids: WtmpdbIds, oldest: number | null, top?: WtmpdbRow): WtmpdbMark {
  return { file, maxId: ids.maxId, rows: ids.rows, ids: ids.ranges, oldest, ...(top ? { top } : {}) };
}

/**
 * Pure: the detail of a `rows-removed` finding when the row the mark's `top` names holds another login now
 * (`now`: that row's user and login time as read now, undefined when no login row has that ID): the newest
 * row of the last run was deleted and its ID given to a later login. Null when it is the same row.
 */
export function replacedTopRow(mark: WtmpdbMark | undefined, now: WtmpdbRow | undefined): string | null {
  const top = mark?.top;
  if (!top || !now || now.id !== top.id) return null;
  if (now.user === top.user && now.login === top.login) return null;
  return `row ID ${top.id}, ${top.user}'s login at ${iso(top.login)} at the last run, holds ${now.user}'s login at ${iso(now.login)} now: the row was deleted and its ID given to a later login`;
}

/** Pure: the IDs of `a` not in `b` (both ascending, disjoint ranges). */
export function rangesMinus(a: readonly IdRange[], b: readonly IdRange[]): IdRange[] {
  const out: IdRange[] = [];
  let j = 0;
  for (const [lo, hi] of a) {
    let from = lo;
    while (j < b.length && (b[j] as IdRange)[1] < from) j++;
    let k = j;
    while (from <= hi) {
      const r = b[k];
      if (!r || r[0] > hi) {
        out.push([from, hi]);
        break;
      }
      if (r[0] > from) out.push([from, r[0] - 1]);
      from = r[1] + 1;
      k++;
    }
  }
  return out;
}

const count = (rs: readonly IdRange[]): number => rs.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);

/** `5–9, 12` (at most `max` ranges, then `…`). */
export function rangesText(rs: readonly IdRange[], max = 5): string {
  const t = rs.slice(0, max).map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}–${hi}`));
  return `${t.join(', ')}${rs.length > max ? ', …' : ''}`;
}

/**
 * Compares the database now (`ids`: counted up to the mark's maxId; `oldest`: its oldest readable login)
 * with the last run's mark. `rotated` are the rotated databases beside it (rotatedName) with the rows they
 * hold from the mark's `oldest` on: rows gone are taken as rotated when those are at least as many and all
 * older than every readable row left (what `wtmpdb rotate` does: it moves every row older than its cutoff).
 */
export function compareWtmpdbMark(
  mark: WtmpdbMark | undefined,
  now: { file: string; ids: WtmpdbIds; oldest: number | null },
  rotated: readonly RotatedRows[],
): WtmpdbComparison {
  const none: WtmpdbComparison = { removed: null, rotated: null };
  if (!mark || mark.file !== now.file || mark.rows === 0 || mark.maxId === null) return none;
  const { ids } = now;
  let gone: IdRange[] = [];
  let reused: IdRange[] = [];
  let n: number;
  // The lowest ID of the last run's rows still here, when one is below a row gone: rotate moves the oldest
  // rows (their IDs come first: a row is written at its login), so rows gone above it were deleted.
  let keptBelow: number | null = null;
  if (mark.ids && ids.ranges) {
    const below = ids.ranges
      .filter(([lo]) => lo <= (mark.maxId as number))
      .map(([lo, hi]): IdRange => [lo, Math.min(hi, mark.maxId as number)]);
    gone = rangesMinus(mark.ids, below);
    reused = rangesMinus(below, mark.ids);
    n = count(gone);
    const kept = rangesMinus(mark.ids, gone)[0];
    const lastGone = gone[gone.length - 1];
    if (kept !== undefined && lastGone !== undefined && kept[0] < lastGone[1]) keptBelow = kept[0];
  } else {
    n = Math.max(0, mark.rows - ids.upTo);
  }
  const back = ids.maxId === null || ids.maxId < mark.maxId;
  if (n === 0 && reused.length === 0 && !back) return none;
  const moved = rotated.filter((r) => r.rows > 0);
  const movedRows = moved.reduce((k, r) => k + r.rows, 0);
  const newestMoved = Math.max(
    Number.NEGATIVE_INFINITY,
    ...moved.map((r) => r.newest ?? Number.NEGATIVE_INFINITY),
  );
  const older = now.oldest === null || newestMoved <= now.oldest;
  if (n > 0 && reused.length === 0 && keptBelow === null && movedRows >= n && older)
    return { removed: null, rotated: { count: n, files: moved.map((r) => r.display) } };
  const parts: string[] = [];
  if (n > 0)
    parts.push(
      ids.rows === 0
        ? `the table is empty: its ${mark.rows} row${mark.rows === 1 ? '' : 's'} of the last run (ID ${rangesText(mark.ids ?? [[1, mark.maxId]])}) are gone`
        : `${n} row${n === 1 ? '' : 's'} seen at the last run ${n === 1 ? 'is' : 'are'} gone${gone.length ? ` (ID ${rangesText(gone)})` : ''}`,
    );
  if (back && ids.rows > 0)
    parts.push(
      `its highest row ID went back from ${mark.maxId} to ${ids.maxId ?? 'none'} (the newest rows were deleted)`,
    );
  if (reused.length)
    parts.push(
      `IDs ${rangesText(reused)}, free at the last run, hold rows now (written below the newest row)`,
    );
  const names = moved.map((r) => path.posix.basename(r.display)).join(', ');
  const since = mark.oldest === null ? 'since' : `from ${iso(mark.oldest)} on`;
  const why =
    n === 0
      ? ''
      : movedRows === 0
        ? '; no rotated wtmp_YYYYMMDD.db beside it received rows since (wtmpdb rotate moves rows there)'
        : movedRows < n
          ? `; the rotated ${names} beside it received only ${movedRows} row${movedRows === 1 ? '' : 's'} ${since}, not the ${n} gone`
          : keptBelow !== null && older
            ? `; the rotated ${names} beside it received ${movedRows} rows ${since}, but wtmpdb rotate moves the oldest rows, and older ones than those gone are still here (ID ${keptBelow})`
            : `; the rotated ${names} beside it received ${movedRows} rows ${since}, but newer ones than the oldest row left (${now.oldest === null ? 'none' : iso(now.oldest)}): wtmpdb rotate moves only the oldest`;
  return {
    removed: { count: n, ids: gone, detail: `${parts.join('; ')}${why}` },
    rotated: null,
  };
}

/** What a wtmpdb of the last run is now, when this run read no database there. */
export type WtmpdbNow = 'missing' | 'empty' | 'not-sqlite';

/**
 * Pure: the `rows-removed` detail for a database the last run read rows from that is now gone, emptied to 0
 * bytes (`: > wtmp.db`, the simplest wipe; SQLite opens it as a fresh database) or replaced by a file that is
 * no database, or null when the last run saw no rows.
 */
export function vanishedWtmpdb(mark: WtmpdbMark, now: WtmpdbNow): string | null {
  if (mark.rows === 0) return null;
  const what =
    now === 'missing' ? 'is gone' : now === 'empty' ? 'was emptied (0 bytes)' : 'is no SQLite database now';
  const ids: IdRange[] = mark.ids ?? (mark.maxId === null ? [] : [[1, mark.maxId]]);
  return `the database ${what}: its ${mark.rows} row${mark.rows === 1 ? '' : 's'} of the last run${ids.length ? ` (ID ${rangesText(ids)})` : ''} are gone`;
}

/**
 * Pure: whether `name` is a database `wtmpdb rotate` made from the live `base` (`wtmp.db` →
 * `wtmp_20261101.db`: the name without its extension, `_`, the cutoff day).
 */
export function isRotatedName(base: string, name: string): boolean {
  const stem = base.replace(/\.[^.]{1,4}$/, '');
  return name.startsWith(`${stem}_`) && /^_\d{8}\.db$/.test(name.slice(stem.length));
}
