import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LoginsFinding, TamperCheck } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import { boot, contextFor, login, logout, makeTree, shutdown, syslogLine, t } from './fixtures-audit/tree.ts';
import { encodeLastlog } from './lastlog.ts';
import { compareMark, missingBoots } from './tamper.ts';
import { encodeRecord, encodeRecords, UT, type UtmpRecordInput } from './utmp.ts';

const WEEK: UtmpRecordInput[] = [
  boot('2026-11-01T08:00'),
  login('alice', 'pts/0', '2026-11-02T09:00', '10.0.0.5', 101),
  logout('pts/0', '2026-11-02T10:00', 101),
  login('bob', 'pts/1', '2026-11-03T09:00', '10.0.0.6', 102),
  logout('pts/1', '2026-11-03T11:00', 102),
  login('alice', 'pts/0', '2026-11-04T09:00', '10.0.0.5', 103),
  logout('pts/0', '2026-11-04T09:30', 103),
];

async function tamper(root: string, now: string, state?: unknown, logins: Record<string, unknown> = {}) {
  const r = await inspectLogins(contextFor(root, now, { state, logins: { reconcile: false, ...logins } }));
  const found = (r.findings as unknown as LoginsFinding[]).filter(
    (f): f is Extract<LoginsFinding, { kind: 'wtmp-tamper' }> => f.kind === 'wtmp-tamper',
  );
  return { r, found, checks: found.map((f): TamperCheck => f.data.check) };
}

function image(recs: UtmpRecordInput[]): Buffer {
  return Buffer.from(encodeRecords(recs));
}

describe('record tests', () => {
  it('finds nothing in an intact wtmp', async () => {
    expect((await tamper(makeTree({ wtmp: WEEK }), '2026-11-05T00:00')).found).toEqual([]);
  });

  it('reports a zeroed record as CRITICAL with its record number', async () => {
    const img = image(WEEK);
    img.fill(0, 3 * 384, 4 * 384);
    const { found } = await tamper(makeTree({ wtmp: img }), '2026-11-05T00:00');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      status: 'CRITICAL',
      data: { check: 'zeroed', file: '/var/log/wtmp', records: [4], count: 1 },
    });
  });

  it('reports a partly zeroed record (type and time wiped, names left)', async () => {
    const img = image(WEEK);
    img.fill(0, 3 * 384, 3 * 384 + 4); // ut_type and padding
    img.fill(0, 3 * 384 + 340, 3 * 384 + 348); // tv_sec, tv_usec
    const { checks } = await tamper(makeTree({ wtmp: img }), '2026-11-05T00:00');
    expect(checks).toEqual(['partly-zeroed']);
  });

  it('reports garbage records and a stray tail', async () => {
    const img = Buffer.concat([
      image(WEEK),
      Buffer.from(encodeRecord({ type: 77, sec: t('2026-11-04T10:00') })),
      Buffer.from('junk!!'),
    ]);
    const { found } = await tamper(makeTree({ wtmp: img }), '2026-11-05T00:00');
    expect(found.map((f) => [f.data.check, f.status])).toEqual([
      ['garbage', 'WARNING'],
      ['stray-tail', 'WARNING'],
    ]);
    expect(found[1]?.summary).toContain('6 bytes after the last whole record');
  });

  it('tells bytes inserted inside wtmp (CRITICAL: an edit) from a torn write at its end', async () => {
    const img = image(WEEK);
    const inserted = Buffer.concat([img.subarray(0, 3 * 384), Buffer.alloc(17, 0x41), img.subarray(3 * 384)]);
    const root = makeTree({ wtmp: inserted });
    const r = await tamper(root, '2026-11-05T00:00');
    expect(r.found.filter((f) => f.data.check === 'misaligned').map((f) => [f.status, f.data.file])).toEqual([
      ['CRITICAL', '/var/log/wtmp'],
    ]);
    const torn = makeTree({ wtmp: Buffer.concat([img, Buffer.alloc(17, 0x41)]) });
    const t = await tamper(torn, '2026-11-05T00:00');
    expect(t.checks).toEqual(['stray-tail']);
  });

  it('reports time going backwards beyond the tolerance, but not a logged clock change', async () => {
    const back = [...WEEK, login('bob', 'pts/2', '2026-11-03T12:00', '10.0.0.6', 104)];
    const { found } = await tamper(makeTree({ wtmp: back }), '2026-11-05T00:00');
    expect(found.map((f) => f.data.check)).toEqual(['time-backwards']);
    expect(found[0]?.data.records).toEqual([back.length]);
    // Both records by the same 1-based numbers as the evidence (`/var/log/wtmp:8`): the one before it is 7.
    expect(found[0]?.summary).toBe(
      `/var/log/wtmp: a time going backwards (record ${back.length}): 2026-11-03T12:00:00Z after 2026-11-04T09:30:00Z (record ${back.length - 1})`,
    );
    expect(found[0]?.evidence[0]).toMatchObject({ source: '/var/log/wtmp', line: back.length });
    const clock = [
      ...WEEK,
      { type: UT.OLD_TIME, line: '|', user: 'date', sec: t('2026-11-04T09:30') },
      { type: UT.NEW_TIME, line: '{', user: 'date', sec: t('2026-11-03T12:00') },
      login('bob', 'pts/2', '2026-11-03T12:01', '10.0.0.6', 104),
    ];
    expect((await tamper(makeTree({ wtmp: clock }), '2026-11-05T00:00')).found).toEqual([]);
  });
});

describe('boot sequence', () => {
  it('reports a login between a shutdown and the next boot', async () => {
    const recs = [
      ...WEEK,
      shutdown('2026-11-04T18:00'),
      login('mallory', 'pts/0', '2026-11-04T19:00', '203.0.113.5', 200),
      boot('2026-11-05T08:00'),
    ];
    const { found } = await tamper(makeTree({ wtmp: recs }), '2026-11-06T00:00');
    expect(found.map((f) => f.data.check)).toEqual(['boot-gap']);
    expect(found[0]?.summary).toContain('login of mallory on pts/0');
  });

  it('reports a boot in syslog that wtmp lacks, but not the ones it has', async () => {
    const root = makeTree({
      wtmp: [...WEEK, boot('2026-11-04T20:00')],
      auth: [
        syslogLine('2026-11-01T08:00:02', 'kernel: [    0.000000] Linux version 6.1.0-test'),
        syslogLine('2026-11-03T03:00:00', 'kernel: Linux version 6.1.0-test'),
        syslogLine('2026-11-04T19:59:50', 'kernel: Linux version 6.1.0-test'),
        syslogLine('2026-11-04T21:00:00', 'CRON[1]: (root) CMD (true)'),
      ],
      authMtime: '2026-11-04T21:00:00',
    });
    const { found } = await tamper(root, '2026-11-05T00:00', undefined, { reconcile: true });
    expect(found.map((f) => f.data.check)).toEqual(['boot-gap']);
    expect(found[0]?.first).toBe('2026-11-03T03:00:00Z');
  });

  it('matches boot markers with a tolerance', () => {
    const missing = missingBoots(
      [1000, 50_000],
      [
        { sec: 1100, source: 's', text: 'a' },
        { sec: 20_000, source: 's', text: 'b' },
        { sec: 20_050, source: '/proc/stat', text: 'c' },
      ],
      { from: 0, to: 60_000 },
    );
    expect(missing.map((m) => m.text)).toEqual(['b']);
  });
});

describe('changes since the last run', () => {
  it('accepts growth and a rotation, and reports only the new records', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    // Rotation: the old file becomes wtmp.1, a new wtmp starts; a zeroed record arrives after the rotation.
    fs.renameSync(path.join(root, 'var/log/wtmp'), path.join(root, 'var/log/wtmp.1'));
    const after = Buffer.concat([
      image([login('alice', 'pts/0', '2026-11-05T09:00', '10.0.0.5', 105)]),
      Buffer.alloc(384),
    ]);
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), after);
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.found.map((f) => [f.data.check, f.data.file, f.data.records])).toEqual([
      ['zeroed', '/var/log/wtmp', [2]],
    ]);
    expect(r2.r.newLogins).toBe(1);
  });

  it('reports a wtmp that shrank without a rotation', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), image(WEEK.slice(0, 3)));
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.found.map((f) => [f.data.check, f.status])).toEqual([['shrunk', 'CRITICAL']]);
  });

  it('reports records rewritten since the last run (an old login zeroed in place)', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    const img = image([...WEEK, login('carol', 'pts/3', '2026-11-05T09:00', '10.0.0.8', 300)]);
    img.fill(0, 3 * 384, 4 * 384);
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), img);
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.checks.sort()).toEqual(['rewritten', 'zeroed']);
  });

  it('compares marks purely', () => {
    const mark = { file: '/var/log/wtmp', size: 768, records: 2, first: 'A', digest: 'D', lastSec: 5 };
    expect(
      compareMark(mark, [{ display: '/var/log/wtmp', records: 3, size: 1152, first: 'A', prefixDigest: 'D' }])
        .from,
    ).toEqual({ kind: 'position', file: 0, index: 2 });
    expect(
      compareMark(mark, [
        { display: '/var/log/wtmp', records: 3, size: 1152, first: 'B', prefixDigest: null },
      ]).problems[0]?.check,
    ).toBe('rewritten');
    // Two rotations: a rotated file beside the live one, every record newer than the mark's newest.
    const twice = [
      { display: '/var/log/wtmp.1', records: 1, size: 384, first: 'B', prefixDigest: null },
      { display: '/var/log/wtmp', records: 1, size: 384, first: 'C', prefixDigest: null },
    ];
    expect(compareMark(mark, twice, 1, 6)).toEqual({
      from: { kind: 'time', sec: 5 },
      problems: [],
      rotatedAway: { file: '/var/log/wtmp', after: 5, before: 6 },
    });
    expect(compareMark(mark, twice, 1, 5).problems[0]?.check).toBe('shrunk');
    expect(compareMark(mark, twice, 1).problems[0]?.check).toBe('shrunk');
  });
});

describe('lastlog', () => {
  it('reports a user whose lastlog login is newer than any wtmp login of theirs', async () => {
    const lastlog = Buffer.alloc(1002 * 292);
    Buffer.from(encodeLastlog({ time: t('2026-11-04T09:00'), line: 'pts/0', host: '10.0.0.5' })).copy(
      lastlog,
      1000 * 292,
    );
    Buffer.from(encodeLastlog({ time: t('2026-11-04T22:00'), line: 'pts/4', host: '203.0.113.66' })).copy(
      lastlog,
      1001 * 292,
    );
    const root = makeTree({ wtmp: WEEK, files: { '/var/log/lastlog': lastlog } });
    const { found } = await tamper(root, '2026-11-05T00:00');
    expect(found.map((f) => f.data.check)).toEqual(['lastlog-newer']);
    expect(found[0]?.summary).toContain(
      "bob logged in on pts/4 from 203.0.113.66 at 2026-11-04T22:00:00Z per lastlog, but wtmp's last login of bob is 2026-11-03T09:00:00Z",
    );
    const again = await tamper(
      root,
      '2026-11-05T01:00',
      (await inspectLogins(contextFor(root, '2026-11-05T00:00', { logins: { reconcile: false } }))).state,
    );
    expect(again.found).toEqual([]);
  });
});

describe('lastlog2 (util-linux 2.40+, Debian 13)', () => {
  /** A lastlog2 database as pam_lastlog2 writes it (its table, one row per user). */
  function lastlog2(root: string, rows: [string, number, string, string | null, string][]): void {
    const file = path.join(root, 'var/lib/lastlog/lastlog2.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.exec(
      'CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);',
    );
    const put = db.prepare('REPLACE INTO Lastlog2 VALUES(?,?,?,?,?)');
    for (const r of rows) put.run(...r);
    db.close();
  }

  it('reports a user whose lastlog2 login is newer than any wtmp login of theirs, once', async () => {
    const root = makeTree({ wtmp: WEEK });
    lastlog2(root, [
      ['alice', t('2026-11-04T09:00'), 'pts/0', '10.0.0.5', 'sshd'],
      ['bob', t('2026-11-04T22:00'), 'pts/4', '203.0.113.66', 'sshd'],
      ['mallory', 0, '', null, 'sshd'],
    ]);
    const { found, r } = await tamper(root, '2026-11-05T00:00');
    expect(found.map((f) => [f.data.check, f.data.file])).toEqual([
      ['lastlog-newer', '/var/lib/lastlog/lastlog2.db'],
    ]);
    expect(found[0]?.summary).toContain(
      "bob logged in on pts/4 from 203.0.113.66 at 2026-11-04T22:00:00Z per lastlog2, but wtmp's last login of bob is 2026-11-03T09:00:00Z",
    );
    expect((await tamper(root, '2026-11-05T01:00', r.state)).found).toEqual([]);
  });

  it('does not take a lastlog2 row of a session without a terminal (sshd via pam_lastlog2: tty ssh) for a removed login', async () => {
    const root = makeTree({ wtmp: WEEK });
    // A nightly `rsync -e ssh` as bob: pam_lastlog2 records it, sshd writes no wtmp record without a pty.
    lastlog2(root, [['bob', t('2026-11-04T22:00'), 'ssh', '192.0.2.30', 'sshd']]);
    const { found } = await tamper(root, '2026-11-05T00:00');
    expect(found).toEqual([]);
    // The same row on a terminal is still a removed wtmp login.
    lastlog2(root, [['bob', t('2026-11-04T22:00'), 'pts/4', '192.0.2.30', 'sshd']]);
    expect((await tamper(root, '2026-11-05T00:00')).found.map((f) => f.data.check)).toEqual([
      'lastlog-newer',
    ]);
  });

  it('says in one line that a lastlog2 file which is not SQLite was not compared', async () => {
    const root = makeTree({ wtmp: WEEK, files: { '/var/lib/lastlog/lastlog2.db': 'not a database' } });
    const r = await inspectLogins(contextFor(root, '2026-11-05T00:00', { logins: { reconcile: false } }));
    const info = r.findings.filter((f) => f.summary.includes('lastlog2.db'));
    expect(info.map((f) => [f.status, f.summary])).toEqual([
      ['INFO', 'Cannot read /var/lib/lastlog/lastlog2.db: file is not a database: not compared with wtmp'],
    ]);
  });
});

describe('a missing live wtmp', () => {
  it('is reported, and the records read before are not reported again once it is back', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.renameSync(path.join(root, 'var/log/wtmp'), path.join(root, 'var/log/wtmp.1'));
    const r2 = await inspectLogins(
      contextFor(root, '2026-11-06T00:00', { state: r1.r.state, logins: { reconcile: false } }),
    );
    expect(r2.findings.map((f) => [f.kind, f.status, f.summary])).toEqual([
      [
        'not-checked',
        'WARNING',
        'Cannot read /var/log/wtmp: no such file or directory: no login is recorded until it exists again (the programs that write it never create it)',
      ],
    ]);
    fs.writeFileSync(
      path.join(root, 'var/log/wtmp'),
      image([login('alice', 'pts/0', '2026-11-06T09:00', '10.0.0.5', 106)]),
    );
    const r3 = await tamper(root, '2026-11-07T00:00', r2.state);
    expect(r3.found).toEqual([]);
    expect(r3.r.newLogins).toBe(1);
  });

  it('is CRITICAL when deleted with its records (no rotated file holds them)', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.rmSync(path.join(root, 'var/log/wtmp'));
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.found.map((f) => [f.data.check, f.status, f.summary])).toEqual([
      [
        'removed',
        'CRITICAL',
        '/var/log/wtmp: a wtmp removed: /var/log/wtmp is gone or no longer a wtmp file; it held 7 records at the last run, and no rotated file starts with them',
      ],
    ]);
  });

  it('is CRITICAL when overwritten with something that is no wtmp', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.writeFileSync(path.join(root, 'var/log/wtmp'), 'nothing to see here\n'.repeat(100));
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.found.map((f) => [f.data.check, f.status])).toEqual([['removed', 'CRITICAL']]);
  });
});

describe('two rotations between runs (rotate 1)', () => {
  /** Debian's wtmp rotation (`rotate 1`, `create`): wtmp.1 is dropped, wtmp becomes wtmp.1, a new wtmp. */
  function rotate(root: string, next: UtmpRecordInput[] = []): void {
    const log = (f: string) => path.join(root, 'var/log', f);
    fs.rmSync(log('wtmp.1'), { force: true });
    fs.renameSync(log('wtmp'), log('wtmp.1'));
    fs.writeFileSync(log('wtmp'), image(next));
  }

  it('says at WARNING that earlier history rotated away when every record left is newer', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    rotate(root, [login('bob', 'pts/2', '2026-11-05T10:30', '10.0.0.6', 2002)]);
    rotate(root, [login('bob', 'pts/3', '2026-11-05T10:40', '10.0.0.6', 2003)]);
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.found).toEqual([]);
    const away = r2.r.findings.filter((f) => f.kind === 'not-checked' && f.status !== 'INFO');
    expect(away.map((f) => [f.status, f.data])).toEqual([
      ['WARNING', { what: 'wtmp', path: '/var/log/wtmp', reason: 'earlier history rotated away' }],
    ]);
    expect(away[0]?.summary).toMatch(
      /^Earlier history rotated away: \/var\/log\/wtmp was rotated more than once since the last run .* newer than the last one seen \(2026-11-04T09:30:00Z; the oldest left is from 2026-11-05T10:30:00Z\), so none is contradicted, but logins written to the deleted file after 2026-11-04T09:30:00Z were never audited/,
    );
    // Both logins left are new, and judged; the next run has nothing to say.
    expect(r2.r.newLogins).toBe(2);
    const r3 = await inspectLogins(
      contextFor(root, '2026-11-06T01:00', { state: r2.r.state, logins: { reconcile: false } }),
    );
    expect(r3.findings.filter((f) => f.status !== 'INFO' && f.status !== 'OK')).toEqual([]);
  });

  it('also with no login since (both files empty)', async () => {
    const root = makeTree({ wtmp: WEEK });
    const r1 = await tamper(root, '2026-11-05T00:00');
    rotate(root);
    rotate(root);
    const r2 = await tamper(root, '2026-12-06T00:00', r1.r.state);
    expect(r2.found).toEqual([]);
    expect(r2.r.findings.filter((f) => f.status !== 'INFO').map((f) => [f.kind, f.status])).toEqual([
      ['not-checked', 'WARNING'],
    ]);
  });

  it('stays CRITICAL when a record left is not newer than the last one seen, or no file was rotated', async () => {
    // The live wtmp emptied beside last month's wtmp.1 (older records): a wipe, not a rotation.
    const old = [boot('2026-10-01T08:00'), login('alice', 'pts/0', '2026-10-02T09:00', '10.0.0.5', 90)];
    const wiped = makeTree({ wtmp: WEEK, files: { '/var/log/wtmp.1': image(old) } });
    const w1 = await tamper(wiped, '2026-11-05T00:00');
    fs.writeFileSync(path.join(wiped, 'var/log/wtmp'), image([login('bob', 'pts/2', '2026-11-05T10:30')]));
    expect((await tamper(wiped, '2026-11-06T00:00', w1.r.state)).checks).toEqual(['shrunk']);
    // wtmp replaced by a new one and nothing beside it: no rotation left a trace.
    const alone = makeTree({ wtmp: WEEK });
    const a1 = await tamper(alone, '2026-11-05T00:00');
    fs.writeFileSync(path.join(alone, 'var/log/wtmp'), image([login('bob', 'pts/2', '2026-11-05T10:30')]));
    expect((await tamper(alone, '2026-11-06T00:00', a1.r.state)).checks).toEqual(['shrunk']);
    // Two rotations, but a backup that cannot be read may hold the records seen: not judged as rotated away.
    const hidden = makeTree({ wtmp: WEEK });
    const h1 = await tamper(hidden, '2026-11-05T00:00');
    rotate(hidden, [login('bob', 'pts/2', '2026-11-05T10:30', '10.0.0.6', 2002)]);
    rotate(hidden, [login('bob', 'pts/3', '2026-11-05T10:40', '10.0.0.6', 2003)]);
    fs.writeFileSync(path.join(hidden, 'var/log/wtmp.2'), 'nothing to see here\n'.repeat(100));
    expect((await tamper(hidden, '2026-11-06T00:00', h1.r.state)).checks).toEqual(['shrunk']);
  });
});

describe('empty files rotated', () => {
  it('reports a login made after two rotations with no login between them', async () => {
    const root = makeTree({ wtmp: WEEK });
    const log = (f: string) => path.join(root, 'var/log', f);
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.renameSync(log('wtmp'), log('wtmp.1'));
    fs.writeFileSync(log('wtmp'), '');
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    // A month without logins: the empty wtmp is rotated too, and sorts by name, not after the live file.
    fs.renameSync(log('wtmp.1'), log('wtmp.2'));
    fs.renameSync(log('wtmp'), log('wtmp.1'));
    fs.writeFileSync(log('wtmp'), image([login('alice', 'pts/5', '2026-12-06T03:00', '203.0.113.66', 4242)]));
    const r3 = await tamper(root, '2026-12-06T04:00', r2.r.state);
    expect(r3.found).toEqual([]);
    expect(r3.r.newLogins).toBe(1);
  });

  it('reports a login written to an empty wtmp that was rotated before the next run (06:20 login, 06:25 cron.daily)', async () => {
    const root = makeTree({ wtmp: WEEK });
    const log = (f: string) => path.join(root, 'var/log', f);
    const r1 = await tamper(root, '2026-11-05T00:00');
    fs.renameSync(log('wtmp'), log('wtmp.1'));
    fs.writeFileSync(log('wtmp'), '');
    // The run after the rotation sees an empty wtmp.
    const r2 = await tamper(root, '2026-11-06T00:00', r1.r.state);
    expect(r2.r.newLogins).toBe(0);
    // A login goes into that file; then it is rotated (logrotate's way: rename, create) before the next run.
    fs.appendFileSync(log('wtmp'), image([login('joe', 'pts/4', '2026-11-06T06:20', '198.51.100.7', 4343)]));
    fs.renameSync(log('wtmp.1'), log('wtmp.2'));
    fs.renameSync(log('wtmp'), log('wtmp.1'));
    fs.writeFileSync(log('wtmp'), '');
    const r3 = await tamper(root, '2026-11-06T07:00', r2.r.state);
    expect(r3.found).toEqual([]);
    expect(r3.r.newLogins).toBe(1);
    // and only once
    const r4 = await tamper(root, '2026-11-06T08:00', r3.r.state);
    expect(r4.r.newLogins).toBe(0);
  });
});
