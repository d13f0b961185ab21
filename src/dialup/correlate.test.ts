import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  correlate,
  correlatedLines,
  type CorrelateOptions,
  type LineResult,
  type LoginRecord,
  recordNeeded,
  type UtType,
  windowClose,
} from './correlate.ts';
import type { Call, CallOutcome } from './mgetty.ts';
import { parseHours, wallOf } from './time.ts';

const T0 = Date.parse('2026-05-25T06:00:00Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

function call(line: string, seconds: number, pid: number | null, outcome: CallOutcome = 'login'): Call {
  const start = at(seconds);
  return {
    line,
    start,
    wall: wallOf(start, 'UTC'),
    auditTime: null,
    pid,
    outcome,
    audit: null,
    evidence: [],
  };
}

function rec(type: UtType, line: string, seconds: number, pid: number, user = ''): LoginRecord {
  return { type, line, time: at(seconds), pid, user, host: '' };
}

const login = (line: string, seconds: number, pid: number, user = 'yanagi'): LoginRecord =>
  rec('USER_PROCESS', line, seconds, pid, user);

/** Correlates with the log covering everything from an hour before T0. */
function run(calls: Call[], records: LoginRecord[], opts: Partial<CorrelateOptions> = {}): LineResult[] {
  const lines = new Set([...calls.map((c) => c.line), ...records.map((r) => r.line)]);
  const coverage = new Map([...lines].map((l) => [l, at(-3600)] as const));
  return correlate(
    { calls, unanswered: [], records, coverage },
    { windowSeconds: 120, now: at(86_400), ...opts },
  );
}

const only = (results: LineResult[], line = 'ttyS0'): LineResult => {
  const r = results.find((x) => x.line === line);
  if (!r) throw new Error(`no result for ${line}`);
  return r;
};

describe('the window', () => {
  it('matches a login exactly at the window edge and not one second later', () => {
    const inside = only(run([call('ttyS0', 0, null)], [login('ttyS0', 120, 0)]));
    expect(inside.matches.map((m) => m.seconds)).toEqual([120]);
    expect(inside.loginsWithoutCall).toEqual([]);

    const outside = only(run([call('ttyS0', 0, null)], [login('ttyS0', 121, 0)]));
    expect(outside.matches).toEqual([]);
    expect(outside.loginsWithoutCall.map((l) => [l.login.user, l.previousCall?.start.toISOString()])).toEqual(
      [['yanagi', at(0).toISOString()]],
    );
    expect(outside.callsWithoutLogin.map((c) => c.outcome)).toEqual(['login-failed']);
  });

  it("runs from mgetty's hand-over to login: a caller slow at mgetty's own prompt is no intrusion", () => {
    // Answered at 0, 200 s at mgetty's login prompt (its login-time allows 240), handed over at 200, login at 208.
    const slow = { ...call('ttyS0', 0, 700), auditTime: at(200) };
    const r = only(run([slow], [login('ttyS0', 208, 700)]));
    expect(r.matches.map((m) => [m.seconds, m.byPid])).toEqual([[208, true]]);
    expect([r.loginsWithoutCall, r.callsWithoutLogin]).toEqual([[], []]);
    // The same hand-over time does not stretch the window for a login with another pid.
    const other = only(run([{ ...call('ttyS0', 0, 700), auditTime: at(200) }], [login('ttyS0', 208, 701)]));
    expect(other.matches).toEqual([]);
  });

  it("takes a call with the login's pid answered up to mgetty's prompt time earlier when no hand-over is logged", () => {
    const r = only(run([call('ttyS0', 0, 700, 'connect')], [login('ttyS0', 300, 700)]));
    expect(r.matches.map((m) => m.byPid)).toEqual([true]);
    const unknownPid = only(run([call('ttyS0', 0, null, 'connect')], [login('ttyS0', 300, 0)]));
    expect(unknownPid.matches).toEqual([]);
  });

  it('follows the configured window', () => {
    const r = only(run([call('ttyS0', 0, null)], [login('ttyS0', 200, 0)], { windowSeconds: 300 }));
    expect(r.matches).toHaveLength(1);
  });

  it('never matches a call answered after the login', () => {
    const r = only(run([call('ttyS0', 10, null)], [login('ttyS0', 5, 0)]));
    expect(r.loginsWithoutCall).toHaveLength(1);
    expect(r.loginsWithoutCall[0]?.previousCall).toBeNull();
  });
});

describe('pids', () => {
  it('prefers the call with the login pid over a later one', () => {
    const r = only(
      run([call('ttyS0', 0, 100), call('ttyS0', 30, 200, 'connect')], [login('ttyS0', 60, 100)]),
    );
    expect(r.matches.map((m) => [m.call.pid, m.byPid])).toEqual([[100, true]]);
    expect(r.callsWithoutLogin.map((c) => [c.call.pid, c.outcome])).toEqual([[200, 'no-login']]);
  });

  it('matches a call an hour off by its pid (a stamp in the repeated hour read as the other instant)', () => {
    // The call's local stamp fell in the hour the clocks went back and was read an hour late (east of UTC)
    // or early (west): its login, 42 s after it in wtmp's UTC, is the same process.
    for (const shift of [3600, -3600]) {
      const r = only(run([call('ttyS0', 1000 + shift, 612)], [login('ttyS0', 1042, 612)]));
      expect(r.loginsWithoutCall).toEqual([]);
      expect(r.callsWithoutLogin).toEqual([]);
      expect(r.matches.map((m) => [m.call.pid, m.byPid])).toEqual([[612, true]]);
    }
    // Another pid an hour off is no match: still an intrusion.
    const other = only(run([call('ttyS0', 4600, 612)], [login('ttyS0', 1042, 700)]));
    expect(other.loginsWithoutCall).toHaveLength(1);
  });

  it('refuses a call whose pid differs from the login pid, even inside the window', () => {
    const r = only(run([call('ttyS0', 0, 100)], [login('ttyS0', 30, 300)]));
    expect(r.matches).toEqual([]);
    expect(r.loginsWithoutCall).toHaveLength(1);
  });

  it('matches on time alone when either side has no pid', () => {
    const a = only(run([call('ttyS0', 0, 100)], [login('ttyS0', 30, 0)]));
    const b = only(run([call('ttyS0', 0, null)], [login('ttyS0', 30, 300)]));
    expect([a.matches.length, b.matches.length]).toEqual([1, 1]);
    expect([a.matches[0]?.byPid, b.matches[0]?.byPid]).toEqual([false, false]);
  });

  it('lets a call lead to one login only', () => {
    const r = only(run([call('ttyS0', 0, null)], [login('ttyS0', 30, 0), login('ttyS0', 40, 0, 'mori')]));
    expect(r.matches.map((m) => m.login.user)).toEqual(['yanagi']);
    expect(r.loginsWithoutCall.map((l) => l.login.user)).toEqual(['mori']);
  });
});

describe('several lines', () => {
  it('never matches a call on one line with a login on another', () => {
    const results = run([call('ttyS1', 0, 100)], [login('ttyS0', 30, 100)]);
    expect(only(results, 'ttyS0').loginsWithoutCall).toHaveLength(1);
    expect(only(results, 'ttyS1').callsWithoutLogin).toHaveLength(1);
  });

  it('reads wtmp lines with or without /dev/ and keeps to the lines asked for', () => {
    const results = run(
      [call('ttyS0', 0, 7), call('ttyS1', 0, 8)],
      [login('/dev/ttyS0', 30, 7), login('ttyS1', 30, 8)],
      {
        lines: ['ttyS1'],
      },
    );
    expect(results.map((r) => [r.line, r.matches.length])).toEqual([['ttyS1', 1]]);
    expect(only(run([call('ttyS0', 0, 7)], [login('/dev/ttyS0', 30, 7)])).matches).toHaveLength(1);
  });

  it('ignores logins on lines no call log covers (pts, the console)', () => {
    const noLog = correlate(
      {
        calls: [call('ttyS0', 0, 7)],
        unanswered: [],
        records: [login('pts/0', 40, 9)],
        coverage: new Map([['ttyS0', at(-3600)]]),
      },
      { windowSeconds: 120, now: at(86_400) },
    );
    expect(noLog.map((r) => r.line)).toEqual(['ttyS0']);
  });
});

describe('what is judged', () => {
  it('does not judge logins before the log begins, or within a window of its start', () => {
    const r = correlate(
      {
        calls: [],
        unanswered: [],
        records: [login('ttyS0', -10, 1), login('ttyS0', 60, 2), login('ttyS0', 500, 3)],
        coverage: new Map([['ttyS0', at(0)]]),
      },
      { windowSeconds: 120, now: at(86_400) },
    )[0];
    expect(r?.loginsBeforeLog).toBe(2);
    expect(r?.loginsWithoutCall.map((l) => l.login.pid)).toEqual([3]);
  });

  it('leaves out the dial-out records mgetty writes, fax calls and calls still inside their window', () => {
    const r = only(
      run(
        [call('ttyS0', 0, 5, 'fax'), call('ttyS0', 1000, 6, 'handoff'), call('ttyS0', 86_350, 7)],
        [rec('USER_PROCESS', 'ttyS0', 300, 50, 'dialout'), login('ttyS0', 1010, 6, 'Uhonsha')],
      ),
    );
    expect(r.dialouts).toHaveLength(1);
    expect(r.logins.map((l) => l.user)).toEqual(['Uhonsha']);
    expect(r.matches.map((m) => m.call.outcome)).toEqual(['handoff']);
    expect(r.callsWithoutLogin).toEqual([]);
  });

  it("does not judge calls older than wtmp's oldest record (rotation dropped their logins), except failed connects", () => {
    const calls = [
      call('ttyS0', -7200, 5),
      call('ttyS0', -5000, null, 'connect'),
      call('ttyS0', -4000, null, 'failed'),
      call('ttyS0', 1000, 6),
    ];
    const r = correlate(
      {
        calls,
        unanswered: [],
        records: [login('ttyS0', 0, 9, 'kato')],
        coverage: new Map([['ttyS0', at(-86_400)]]),
        wtmpStart: at(0),
      },
      { windowSeconds: 120, now: at(86_400) },
    )[0];
    expect(r?.callsWithoutLogin.map((c) => [c.call.start.getTime(), c.outcome])).toEqual([
      [at(-4000).getTime(), 'connect-failed'],
      [at(1000).getTime(), 'login-failed'],
    ]);
    expect(r?.callsBeforeWtmp).toBe(2);
  });

  it('only judges events since the given time', () => {
    const r = only(run([call('ttyS0', 0, null)], [login('ttyS0', 500, 0)], { since: at(400) }));
    expect(r.calls).toEqual([]);
    expect(r.loginsWithoutCall).toHaveLength(1);
  });

  it('reports calls outside the hours of their line, with ranges across midnight', () => {
    const night = parseHours('22:00-06:00');
    expect(night).not.toBeNull();
    const r = only(
      run([call('ttyS0', -1800, null), call('ttyS0', 3 * 3600, null)], [], { hours: { ttyS0: night ?? [] } }),
    );
    expect(r.offHours.map((c) => c.wall.hour)).toEqual([9]);
    const other = only(run([call('ttyS0', 3 * 3600, null)], [], { hours: { ttyS1: night ?? [] } }));
    expect(other.offHours).toEqual([]);
    const star = only(run([call('ttyS0', 3 * 3600, null)], [], { hours: { '*': night ?? [] } }));
    expect(star.offHours).toHaveLength(1);
  });
});

describe('marks of the last run', () => {
  it('judges a call once its window closed, and a login the last run judged still takes its call', () => {
    const calls = [call('ttyS0', 0, 7)];
    const records = [login('ttyS0', 30, 7)];
    // The first run, a minute after the call: the login is matched, the call's window (pid: mgetty's prompt
    // time too) is still open, so it is not judged or counted yet.
    const first = only(run(calls, records, { now: at(60) }));
    expect([first.matches.length, first.calls.length, first.callsPending]).toEqual([1, 0, 1]);
    // The marks are the data's times: no call judged yet, the newest login judged.
    expect(first.mark).toEqual({ callsTo: 0, loginsTo: at(30).getTime() });
    // The next run: the call is judged now, and its login (not counted again) still explains it.
    const marks = new Map([['ttyS0', first.mark]]);
    const next = only(run(calls, records, { now: at(3600), marks }));
    expect([next.logins.length, next.matches.length, next.calls.length, next.callsPending]).toEqual([
      0, 0, 1, 0,
    ]);
    expect(next.callsWithoutLogin).toEqual([]);
    expect(next.mark.callsTo).toBe(windowClose(calls[0] as Call, 120) * 1000);
    // And nothing is judged twice.
    const third = only(run(calls, records, { now: at(7200), marks: new Map([['ttyS0', next.mark]]) }));
    expect([third.calls.length, third.logins.length, third.loginsWithoutCall.length]).toEqual([0, 0, 0]);
  });

  it("closes a call's window at its hand-over plus the window, or with a pid at mgetty's prompt time plus it", () => {
    const t0 = at(0).getTime() / 1000;
    expect(windowClose({ ...call('ttyS0', 0, null), auditTime: at(200) }, 120) - t0).toBe(320);
    expect(windowClose(call('ttyS0', 0, null), 120) - t0).toBe(120);
    expect(windowClose(call('ttyS0', 0, 700), 120) - t0).toBe(720);
  });
});

describe('sessions', () => {
  it('pairs a login with its logout, a later getty record, or a reboot, and keeps an open one open', () => {
    const r = only(
      run(
        [call('ttyS0', 0, 10), call('ttyS0', 5000, 11), call('ttyS0', 9000, 12), call('ttyS0', 20_000, 13)],
        [
          login('ttyS0', 30, 10),
          rec('DEAD_PROCESS', 'ttyS0', 630, 10),
          login('ttyS0', 5030, 11),
          rec('LOGIN_PROCESS', 'ttyS0', 6000, 99, 'LOGIN'),
          login('ttyS0', 9030, 12),
          rec('BOOT_TIME', '~', 9530, 0, 'reboot'),
          login('ttyS0', 20_030, 13),
        ],
      ),
    );
    expect(r.sessions.map((s) => [s.seconds, s.ongoing])).toEqual([
      [600, false],
      [970, false],
      [500, false],
      [86_400 - 20_030, true],
    ]);
  });
});

describe('a line mgetty left', () => {
  it('does not blame logins after the log ends with mgetty stopping, and counts them', () => {
    const records = [login('ttyS0', 100, 500, 'root'), login('ttyS0', 40 * 86_400, 900, 'root')];
    const coverage = new Map([['ttyS0', at(-3600)] as const]);
    const coverageEnd = new Map([['ttyS0', at(3600)] as const]);
    const [r] = correlate(
      { calls: [], unanswered: [], records, coverage, coverageEnd },
      { windowSeconds: 120, now: at(41 * 86_400) },
    );
    // The login while mgetty still ran is judged; the one after it stopped is counted, not blamed.
    expect(r?.loginsWithoutCall.map((l) => l.login.pid)).toEqual([500]);
    expect([r?.loginsAfterLog, r?.coverageEnd?.toISOString()]).toEqual([1, at(3600).toISOString()]);
  });
});

describe('the records the correlation looks at', () => {
  const TYPES: UtType[] = [
    'USER_PROCESS',
    'DEAD_PROCESS',
    'LOGIN_PROCESS',
    'INIT_PROCESS',
    'BOOT_TIME',
    'RUN_LVL',
  ];
  const LINES = ['ttyS0', 'ttyS1', '/dev/ttyS1', 'ttyUSB0', 'pts/0', 'tty1', '~'];

  it('are every record on a line reported on and every boot: the others change nothing (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            line: fc.constantFrom('ttyS0', 'ttyS1', 'ttyUSB0'),
            seconds: fc.integer({ min: 0, max: 7200 }),
            pid: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
            outcome: fc.constantFrom<CallOutcome>('login', 'handoff', 'connect', 'failed', 'fax'),
          }),
          { maxLength: 12 },
        ),
        fc.array(
          fc.record({
            type: fc.constantFrom(...TYPES),
            line: fc.constantFrom(...LINES),
            seconds: fc.integer({ min: -600, max: 8000 }),
            pid: fc.integer({ min: 0, max: 4 }),
            user: fc.constantFrom('yanagi', 'kato', 'dialout', ''),
          }),
          { maxLength: 30 },
        ),
        fc.option(fc.subarray(['ttyS0', '/dev/ttyS1', 'pts/0']), { nil: undefined }),
        (cs, rs, lines) => {
          const calls = cs.map((c) => call(c.line, c.seconds, c.pid, c.outcome));
          const records = rs.map((r) => rec(r.type, r.line, r.seconds, r.pid, r.user));
          const coverage = new Map(
            [...new Set(calls.map((c) => c.line))].map((l) => [l, at(-3600)] as const),
          );
          const input = { calls, unanswered: [], records, coverage };
          const opts = { windowSeconds: 120, now: at(86_400), lines };
          const wanted = correlatedLines(input, lines);
          const needed = records.filter((r) => recordNeeded(r.type, r.line, wanted));
          expect(correlate({ ...input, records: needed }, opts)).toEqual(correlate(input, opts));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leave out logins on other lines but keep boots and the lines asked for', () => {
    const wanted = correlatedLines(
      { calls: [call('ttyS0', 0, null), call('ttyS1', 0, null)], unanswered: [], coverage: new Map() },
      ['/dev/ttyS1'],
    );
    expect([...wanted]).toEqual(['ttyS1']);
    expect(recordNeeded('USER_PROCESS', '/dev/ttyS1', wanted)).toBe(true);
    expect(recordNeeded('DEAD_PROCESS', 'ttyS1', wanted)).toBe(true);
    expect(recordNeeded('USER_PROCESS', 'ttyS0', wanted)).toBe(false);
    expect(recordNeeded('USER_PROCESS', 'pts/0', wanted)).toBe(false);
    expect(recordNeeded('BOOT_TIME', '~', wanted)).toBe(true);
    expect(recordNeeded('RUN_LVL', '~', wanted)).toBe(false);
  });
});
