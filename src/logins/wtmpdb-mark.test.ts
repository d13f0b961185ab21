import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { register } from '../cli/commands/last.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import { accepted, contextFor, makeTree, syslogLine, t } from './fixtures-audit/tree.ts';
import { runCommand } from './testing.ts';
import { idRanges } from './wtmpdb.ts';
import { compareWtmpdbMark, isRotatedName, rangesMinus, type WtmpdbMark } from './wtmpdb-mark.ts';
import { createWtmpdb } from '../../test/helpers/wtmpdb.ts';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const DB = '/var/lib/wtmpdb/wtmp.db';
const at = (s: string): number => t(s) * 1e6;

/** A tree with no wtmp and a wtmpdb of a boot and five ssh logins (IDs 1–6), and an auth log to 11-10. */
function tree(): { root: string; db: string } {
  const root = makeTree({
    auth: [
      syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)'),
      ...[1, 2, 3, 4, 5].map((d) => accepted('alice', '10.0.0.5', `2026-11-0${d}T09:00:00`, 100 + d)),
      syslogLine('2026-11-10T23:59:00', 'CRON[1]: (root) CMD (true)'),
    ],
  });
  const db = path.join(root, DB);
  const { db: h, add } = createWtmpdb(db);
  add([1, 'reboot', at('2026-11-01T08:00:00'), null, '~', '6.12.0-amd64', null]);
  for (const d of [1, 2, 3, 4, 5])
    add([
      3,
      'alice',
      at(`2026-11-0${d}T09:00:01`),
      at(`2026-11-0${d}T10:00:00`),
      'pts/0',
      '10.0.0.5',
      'sshd',
    ]);
  h.close();
  return { root, db };
}

const tamper = (fs_: unknown[]): LoginsFinding[] =>
  (fs_ as LoginsFinding[]).filter((f) => f.kind === 'wtmp-tamper');

async function twoRuns(change: (db: string, root: string) => void) {
  const { root, db } = tree();
  const first = await inspectLogins(contextFor(root, '2026-11-06T00:00'));
  expect(tamper(first.findings)).toEqual([]);
  change(db, root);
  return inspectLogins(contextFor(root, '2026-11-11T00:00', { state: first.state }));
}

describe('wtmpdb rows that vanish between runs', () => {
  it('reports rows deleted below the last seen ID as CRITICAL wtmp-tamper rows-removed, naming the IDs', async () => {
    const r = await twoRuns((db) => {
      const h = new Database(db);
      h.exec('DELETE FROM wtmp WHERE ID IN (3, 4)');
      h.close();
    });
    const [f] = tamper(r.findings);
    expect(f).toMatchObject({ status: 'CRITICAL', data: { check: 'rows-removed', file: DB } });
    expect(f?.summary).toContain(`${DB}: a removal of wtmpdb rows`);
    expect(f?.summary).toContain(`: 2 rows seen at the last run are gone (ID 3–4)`);
    // The database is named once, at the head of the summary.
    expect(f?.summary.split(DB)).toHaveLength(2);
    expect(f?.summary).toContain('no rotated wtmp_YYYYMMDD.db beside it');
  });

  it('reports an emptied table as CRITICAL, and reconciles the auth log up to its end (no backwards window)', async () => {
    const r = await twoRuns((db) => {
      const h = new Database(db);
      h.exec('DELETE FROM wtmp');
      h.close();
    });
    const [f] = tamper(r.findings);
    expect(f).toMatchObject({ status: 'CRITICAL', data: { check: 'rows-removed' } });
    expect(f?.summary).toContain(`the table is empty: its 6 rows of the last run (ID 1–6) are gone`);
    expect(r.summary).toMatch(/auth log 2026-11-01 … 2026-11-10 reconciled/);
  });

  it('reports the newest rows deleted (the ID sequence going back)', async () => {
    const r = await twoRuns((db) => {
      const h = new Database(db);
      h.exec('DELETE FROM wtmp WHERE ID >= 5');
      h.close();
    });
    expect(tamper(r.findings)[0]?.summary).toContain('its highest row ID went back from 6 to 4');
  });

  it('takes rows that wtmpdb rotate moved into wtmp_YYYYMMDD.db beside it as no tampering, and says so', async () => {
    const r = await twoRuns((db) => {
      // What wtmpdb rotate does: copy the rows older than the cutoff (new IDs), delete them here.
      const { db: dest, add } = createWtmpdb(path.join(path.dirname(db), 'wtmp_20261103.db'));
      const h = new Database(db);
      const old = h.prepare('SELECT * FROM wtmp WHERE Login <= ?').all(at('2026-11-03T00:00')) as {
        Type: number;
        User: string;
        Login: number;
        Logout: number | null;
        TTY: string;
        RemoteHost: string | null;
        Service: string | null;
      }[];
      for (const o of old) add([o.Type, o.User, o.Login, o.Logout, o.TTY, o.RemoteHost, o.Service]);
      dest.close();
      h.prepare('DELETE FROM wtmp WHERE Login <= ?').run(at('2026-11-03T00:00'));
      h.close();
    });
    expect(tamper(r.findings)).toEqual([]);
    expect(r.summary).toContain(`(3 rows moved by wtmpdb rotate to /var/lib/wtmpdb/wtmp_20261103.db)`);
  });

  it('reports the newest row deleted and its ID given to a later login (SQLite reuses the highest ID)', async () => {
    const r = await twoRuns((db) => {
      const h = new Database(db);
      h.prepare('DELETE FROM wtmp WHERE ID = 6').run();
      h.prepare(
        'INSERT INTO wtmp (Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(3, 'alice', at('2026-11-07T09:00:01'), at('2026-11-07T10:00:00'), 'pts/0', '10.0.0.5', 'sshd');
      expect(h.prepare('SELECT max(ID) AS id FROM wtmp').get()).toEqual({ id: 6 });
      h.close();
    });
    const removed = tamper(r.findings).filter(
      (f) => f.kind === 'wtmp-tamper' && f.data.check === 'rows-removed',
    );
    expect(removed.map((f) => f.status)).toEqual(['CRITICAL']);
    expect(removed[0]?.summary).toContain(
      "row ID 6, alice's login at 2026-11-05T09:00:01Z at the last run, holds alice's login at 2026-11-07T09:00:01Z now: the row was deleted and its ID given to a later login",
    );
    // A run that reads the same rows again says nothing.
    const { root } = tree();
    const first = await inspectLogins(contextFor(root, '2026-11-06T00:00'));
    const again = await inspectLogins(contextFor(root, '2026-11-11T00:00', { state: first.state }));
    expect(tamper(again.findings)).toEqual([]);
  });

  it('takes no planted wtmp_YYYYMMDD.db for a rotation of rows deleted above older ones left', async () => {
    const r = await twoRuns((db) => {
      // After a later login (ID 7), an intruder deletes alice's login of ID 6 and plants a "rotated" file with one row as old as the
      // oldest row left: enough rows, none newer than those left, but rotate never keeps older rows than it moves.
      const { db: dest, add } = createWtmpdb(path.join(path.dirname(db), 'wtmp_20261105.db'));
      add([1, 'reboot', at('2026-11-01T08:00:00'), null, '~', '6.12.0-amd64', null]);
      dest.close();
      const h = new Database(db);
      h.prepare(
        'INSERT INTO wtmp (Type, User, Login, Logout, TTY, RemoteHost, Service) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(3, 'alice', at('2026-11-07T09:00:01'), at('2026-11-07T10:00:00'), 'pts/0', '10.0.0.5', 'sshd');
      h.prepare('DELETE FROM wtmp WHERE ID = 6').run();
      h.close();
    });
    const [f, ...more] = tamper(r.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('CRITICAL');
    expect(f?.summary).toContain('1 row seen at the last run is gone (ID 6)');
    expect(f?.summary).toContain(
      'but wtmpdb rotate moves the oldest rows, and older ones than those gone are still here (ID 1)',
    );
  });

  it('says a cut database (SQLite reads rows of NULLs) as damaged with unreadable rows, and its rows as removed', async () => {
    const r = await twoRuns((db) => {
      const data = fs.readFileSync(db);
      fs.writeFileSync(db, data.subarray(0, data.length / 2 + 100));
    });
    const checks = tamper(r.findings).map((f) => [(f.data as { check: string }).check, f.status]);
    expect(checks).toContainEqual(['rows-removed', 'CRITICAL']);
    expect(checks).toContainEqual(['damaged', 'WARNING']);
    expect(checks).toContainEqual(['unreadable-rows', 'WARNING']);
    // Each unreadable row ID is named once (the cut pages' rows all read as ID 0).
    const rows = tamper(r.findings).find((f) => (f.data as { check: string }).check === 'unreadable-rows');
    const named = (rows?.data as { records: number[] }).records;
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named).size).toBe(named.length);
    expect(r.summary).not.toMatch(/2026-11-11 … 2026-11-10/);
  });

  it.each([
    ['emptied to 0 bytes', (db: string) => fs.writeFileSync(db, ''), 'was emptied (0 bytes)'],
    ['deleted', (db: string) => fs.rmSync(db), 'is gone'],
    [
      'replaced by a file that is no database',
      (db: string) => fs.writeFileSync(db, 'hello\n'),
      'is no SQLite database now',
    ],
  ])('reports a wtmpdb %s since the last run as CRITICAL rows-removed', async (_what, wipe, said) => {
    const r = await twoRuns(wipe);
    const f = tamper(r.findings).find((x) => (x.data as { check: string }).check === 'rows-removed');
    expect(f?.status).toBe('CRITICAL');
    expect(f?.summary).toContain(
      `${DB}: a removal of wtmpdb rows: the database ${said}: its 6 rows of the last run (ID 1–6) are gone`,
    );
  });

  it('says, instead of a backwards window, that a wtmpdb without logins was not reconciled', async () => {
    const root = makeTree({
      auth: [
        accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
        syslogLine('2026-11-04T23:59:00', 'x: y'),
      ],
    });
    createWtmpdb(path.join(root, DB)).db.close();
    const r = await inspectLogins(contextFor(root, '2026-11-05T00:00'));
    expect(r.summary).toContain(`auth log not reconciled (${DB} holds no login with a usable time)`);
    expect(r.summary).not.toMatch(/2026-11-05 … 2026-11-04/);
  });

  it('makes `last` say a cut database in one line on stderr', async () => {
    const { db } = tree();
    const data = fs.readFileSync(db);
    fs.writeFileSync(db, data.subarray(0, data.length / 2 + 100));
    const run = await runCommand([{ register }], ['last', '-f', db], {
      now: new Date(t('2026-11-11T00:00') * 1000),
    });
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(
      new RegExp(`^tenken last: ${db} is damaged \\(SQLite quick_check: .*\\): its \\d+ rows? unreadable`),
    );
  });
});

describe('wtmpdb marks', () => {
  const mark: WtmpdbMark = { file: DB, maxId: 10, rows: 10, ids: [[1, 10]], oldest: 100 };
  it('keeps ID ranges and their difference', () => {
    expect(idRanges([1, 2, 3, 5, 9, 10]).ranges).toEqual([
      [1, 3],
      [5, 5],
      [9, 10],
    ]);
    expect(idRanges([0, 0, 3, 1]).ranges).toEqual([
      [0, 1],
      [3, 3],
    ]);
    expect(
      rangesMinus(
        [[1, 10]],
        [
          [2, 3],
          [6, 6],
        ],
      ),
    ).toEqual([
      [1, 1],
      [4, 5],
      [7, 10],
    ]);
  });

  it('tells a rotation apart only when the rotated rows are enough and older than every row left', () => {
    const now = { file: DB, ids: idRanges([4, 5, 6, 7, 8, 9, 10, 11], 512, 10), oldest: 400 };
    expect(compareWtmpdbMark(mark, now, [{ display: 'r', rows: 3, newest: 300 }])).toEqual({
      removed: null,
      rotated: { count: 3, files: ['r'] },
    });
    expect(compareWtmpdbMark(mark, now, [{ display: 'r', rows: 2, newest: 300 }]).removed?.count).toBe(3);
    expect(compareWtmpdbMark(mark, now, [{ display: 'r', rows: 3, newest: 500 }]).removed?.count).toBe(3);
    // The newest rows gone, the oldest left: no rotation, whatever a file beside it holds.
    const top = { file: DB, ids: idRanges([1, 2, 3, 4, 5, 6, 7, 11], 512, 10), oldest: 100 };
    expect(compareWtmpdbMark(mark, top, [{ display: 'r', rows: 3, newest: 100 }]).removed?.count).toBe(3);
    expect(compareWtmpdbMark(mark, { ...now, file: '/other.db' }, [])).toEqual({
      removed: null,
      rotated: null,
    });
  });

  it('names the files wtmpdb rotate makes', () => {
    expect(isRotatedName('wtmp.db', 'wtmp_20261103.db')).toBe(true);
    expect(isRotatedName('wtmp.db', 'wtmp.db')).toBe(false);
    expect(isRotatedName('wtmp.db', 'wtmp_2026.db')).toBe(false);
  });
});
