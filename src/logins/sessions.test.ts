import { describe, expect, it } from 'vitest';
import {
  batches,
  type LastEntry,
  lastEntries,
  matchesShow,
  presentAt,
  type SessionOptions,
} from './sessions.ts';
import { LAYOUTS, decodeRecord, encodeRecord, type UtmpRecord, type UtmpRecordInput } from './utmp.ts';

const T = 1_700_000_000;
const rec = (r: UtmpRecordInput, index = 0): UtmpRecord =>
  decodeRecord(encodeRecord(r), 0, LAYOUTS['glibc-384'], index);
const login = (line: string, user: string, at: number): UtmpRecord =>
  rec({ type: 7, pid: 100, line, user, sec: T + at });
const logout = (line: string, at: number): UtmpRecord => rec({ type: 8, line, sec: T + at });
const boot = (at: number): UtmpRecord => rec({ type: 2, line: '~', user: 'reboot', sec: T + at });
const shutdown = (at: number): UtmpRecord => rec({ type: 1, line: '~', user: 'shutdown', sec: T + at });
const runlevel = (lvl: string, at: number): UtmpRecord =>
  rec({ type: 1, pid: lvl.charCodeAt(0), line: '~', user: 'runlevel', sec: T + at });

interface Row {
  kind: LastEntry['kind'];
  end: LastEntry['end'];
  line: string;
  user: string;
  /** Seconds after T, 0 when there is no end. */
  logout: number;
}

/** Runs the pairing over records given oldest first (as in the file), like `last` reading backwards. */
function run(records: UtmpRecord[], opts: Partial<SessionOptions> = {}): Row[] {
  const entries = [
    ...lastEntries(batches([...records].reverse()), { now: T + 10_000, pidAlive: () => true, ...opts }),
  ];
  return entries.map((e) => ({
    kind: e.kind,
    end: e.end,
    line: e.line,
    user: e.record.user,
    logout: e.logout ? e.logout - T : 0,
  }));
}

describe('last pairing semantics', () => {
  it('pairs a login with the next record on its tty: a logout or the next login there', () => {
    expect(
      run([
        login('pts/0', 'alice', 10),
        login('pts/1', 'bob', 20),
        logout('pts/0', 30),
        login('pts/1', 'carol', 40),
        logout('pts/1', 50),
      ]),
    ).toEqual([
      { kind: 'login', end: 'logout', line: 'pts/1', user: 'carol', logout: 50 },
      { kind: 'login', end: 'logout', line: 'pts/1', user: 'bob', logout: 40 },
      { kind: 'login', end: 'logout', line: 'pts/0', user: 'alice', logout: 30 },
    ]);
  });

  it('ends unclosed logins with crash at a boot and down at a shutdown or run level 0/6', () => {
    const out = run([
      boot(0),
      login('tty1', 'a', 10),
      shutdown(20),
      boot(30),
      login('tty1', 'b', 40),
      boot(50),
      login('tty1', 'c', 60),
      runlevel('6', 70),
      boot(80),
    ]);
    expect(out.filter((e) => e.kind === 'login')).toEqual([
      { kind: 'login', end: 'down', line: 'tty1', user: 'c', logout: 70 },
      { kind: 'login', end: 'crash', line: 'tty1', user: 'b', logout: 50 },
      { kind: 'login', end: 'down', line: 'tty1', user: 'a', logout: 20 },
    ]);
    // A boot runs until the next shutdown seen after it, or is still running ("now").
    expect(out.filter((e) => e.kind === 'reboot').map((e) => e.logout)).toEqual([10_000, 70, 70, 20]);
  });

  it('asks pidAlive about logins left open since the last boot', () => {
    const records = [boot(0), login('pts/0', 'alive', 10), login('pts/1', 'gone', 20)];
    const out = run(records, { pidAlive: (r) => r.user === 'alive' });
    expect(out.map((e) => `${e.user}:${e.end}`)).toEqual([
      'gone:gone',
      'alive:still-logged-in',
      'reboot:reboot',
    ]);
  });

  it('lists shutdowns, run levels and clock changes only with -x', () => {
    const records = [
      boot(0),
      runlevel('3', 5),
      rec({ type: 3, line: '{', user: 'date', sec: T + 6 }),
      shutdown(20),
      boot(30),
    ];
    expect(run(records).map((e) => e.kind)).toEqual(['reboot', 'reboot']);
    expect(run(records, { extended: true }).map((e) => `${e.kind} ${e.line}`)).toEqual([
      'reboot system boot',
      'shutdown system down',
      'new-time new time',
      'runlevel (to lvl 3)',
      'reboot system boot',
    ]);
  });

  it('treats records of old writers by their contents, like util-linux COMPAT', () => {
    const records = [
      rec({ type: 0, line: 'pts/0', user: 'old', sec: T }),
      rec({ type: 6, line: 'tty1', user: 'LOGIN', sec: T + 1 }),
      logout('pts/0', 5),
    ];
    expect(run(records)).toEqual([{ kind: 'login', end: 'logout', line: 'pts/0', user: 'old', logout: 5 }]);
  });

  it('skips records outside --since/--until before pairing, as last does', () => {
    const records = [login('pts/0', 'a', 10), logout('pts/0', 100)];
    expect(run(records, { until: T + 50, pidAlive: () => false })).toEqual([
      { kind: 'login', end: 'gone', line: 'pts/0', user: 'a', logout: 0 },
    ]);
    expect(run(records, { since: T + 50 })).toEqual([]);
  });

  it('warns about unknown record types and lists every btmp record as is for lastb', () => {
    const warnings: string[] = [];
    run([rec({ type: 42, user: 'x', sec: T })], { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['unrecognized ut_type: 42']);
    const failed = run(
      [
        rec({ type: 6, line: 'ssh:notty', user: 'root', sec: T }),
        rec({ type: 6, line: 'ssh:notty', user: 'admin', sec: T + 1 }),
      ],
      { lastb: true },
    );
    expect(failed.map((e) => `${e.kind} ${e.user} ${e.logout}`)).toEqual(['failed admin 1', 'failed root 0']);
  });
});

describe('selection', () => {
  const e = (line: string, user: string, at: number, logout: number): LastEntry => ({
    kind: 'login',
    end: 'logout',
    record: login(line, user, at),
    line,
    logout: T + logout,
    file: 0,
  });
  it('matches users, ttys and ttys without their tty prefix', () => {
    expect(matchesShow(e('tty1', 'a', 0, 1), ['1'])).toBe(true);
    expect(matchesShow(e('ftp123', 'a', 0, 1), ['ftp'])).toBe(true);
    expect(matchesShow(e('pts/1', 'alice', 0, 1), ['alice'])).toBe(true);
    expect(matchesShow(e('pts/1', 'alice', 0, 1), ['ali', 'pts/2'])).toBe(false);
  });
  it("matches a non-ASCII user name given as text with the record's bytes, and a 32-byte cut one", () => {
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    expect(matchesShow(e('pts/1', bytes('やまだ'), 0, 1), ['やまだ'])).toBe(true);
    expect(matchesShow(e('pts/1', bytes('やまだ'), 0, 1), ['やま'])).toBe(false);
    // ut_user keeps 32 bytes, here inside the 11th character: the full name still selects it.
    const long = 'やまだたろうやまだたろう';
    expect(matchesShow(e('pts/1', bytes(long).slice(0, 32), 0, 1), [long])).toBe(true);
  });
  it('keeps entries spanning the --present time', () => {
    expect(presentAt(e('pts/1', 'a', 10, 20), T + 15)).toBe(true);
    expect(presentAt(e('pts/1', 'a', 10, 20), T + 25)).toBe(false);
    expect(presentAt(e('pts/1', 'a', 10, 20), T + 5)).toBe(false);
  });
});
