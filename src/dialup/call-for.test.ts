import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bound, callFor, correlate, indexCalls, type LoginRecord } from './correlate.ts';
import type { Call, CallOutcome } from './mgetty.ts';
import { wallOf } from './time.ts';

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * The choice as correlate() made it before calls were indexed (every login filtered every call of its window,
 * and searched every call of the line when none matched): the oracle callFor must agree with.
 */
function callForByScan(
  calls: readonly Call[],
  login: LoginRecord,
  window: number,
  used: ReadonlySet<Call>,
): Call | undefined {
  const starts = calls.map((c) => sec(c.start));
  const t = sec(login.time);
  const upTo = bound(starts, t);
  const candidates = calls
    .slice(bound(starts, t - window - 600, true), upTo)
    .filter(
      (c) =>
        !used.has(c) &&
        (c.outcome === 'login' || c.outcome === 'handoff' || c.outcome === 'connect') &&
        !(login.pid > 0 && c.pid !== null && c.pid !== login.pid) &&
        (sec(c.auditTime ?? c.start) >= t - window || (login.pid > 0 && c.pid === login.pid)),
    );
  const byPid = candidates.filter((c) => login.pid > 0 && c.pid === login.pid);
  let call = (byPid.length ? byPid : candidates).at(-1);
  if (call === undefined && login.pid > 0)
    call = calls.find(
      (c) =>
        !used.has(c) &&
        c.pid === login.pid &&
        c.outcome !== 'failed' &&
        Math.abs(sec(c.auditTime ?? c.start) - t) <= 3600 + window,
    );
  return call;
}

const T0 = Date.parse('2026-11-25T10:00:00Z');
const OUTCOMES: CallOutcome[] = ['login', 'handoff', 'failed', 'fax', 'connect'];

const arbCall = fc
  .record({
    start: fc.integer({ min: 0, max: 3 * 3600 }),
    audit: fc.option(fc.oneof(fc.integer({ min: 0, max: 900 }), fc.constant(3600)), { nil: null }),
    pid: fc.option(fc.integer({ min: 600, max: 603 }), { nil: null }),
    outcome: fc.oneof(fc.constant<CallOutcome>('login'), fc.constantFrom(...OUTCOMES)),
  })
  .map(({ start, audit, pid, outcome }): Call => {
    const s = new Date(T0 + start * 1000);
    return {
      line: 'ttyS0',
      start: s,
      wall: wallOf(s, 'UTC'),
      auditTime: audit === null ? null : new Date(s.getTime() + audit * 1000),
      pid,
      outcome,
      audit: null,
      evidence: [],
    };
  });

const arbLogin = fc
  .record({
    at: fc.integer({ min: -600, max: 3 * 3600 + 4000 }),
    pid: fc.oneof(fc.constant(0), fc.integer({ min: 600, max: 603 })),
  })
  .map(
    ({ at, pid }): LoginRecord => ({
      type: 'USER_PROCESS',
      user: 'yanagi',
      line: 'ttyS0',
      time: new Date(T0 + at * 1000),
      pid,
      host: '',
    }),
  );

describe('callFor', () => {
  it('chooses the call the scan over every call did, login after login, on random calls', () => {
    fc.assert(
      fc.property(
        fc.array(arbCall, { maxLength: 40 }),
        fc.array(arbLogin, { maxLength: 20 }),
        fc.constantFrom(60, 120, 600),
        (unsorted, logins, window) => {
          const calls = [...unsorted].sort((a, b) => a.start.getTime() - b.start.getTime());
          const index = indexCalls(calls);
          const used = new Set<Call>();
          const usedByScan = new Set<Call>();
          for (const login of [...logins].sort((a, b) => a.time.getTime() - b.time.getTime())) {
            const chosen = callFor(index, login, window, used);
            const expected = callForByScan(calls, login, window, usedByScan);
            expect(chosen === undefined ? -1 : calls.indexOf(chosen)).toBe(
              expected === undefined ? -1 : calls.indexOf(expected),
            );
            if (chosen) used.add(chosen);
            if (expected) usedByScan.add(expected);
          }
        },
      ),
      { numRuns: 3000, seed: 20261126 },
    );
  });

  it('takes a call answered up to the window and prompt time before a login, not a second more', () => {
    // Handed over to login 620 s after the answer (a caller slow at mgetty's prompt), 100 s before the login.
    const callAt = (seconds: number): Call => ({
      line: 'ttyS0',
      start: new Date(T0 + seconds * 1000),
      wall: wallOf(new Date(T0 + seconds * 1000), 'UTC'),
      auditTime: new Date(T0 + 620_000),
      pid: null,
      outcome: 'login',
      audit: null,
      evidence: [],
    });
    const login: LoginRecord = {
      type: 'USER_PROCESS',
      user: 'yanagi',
      line: 'ttyS0',
      time: new Date(T0 + 720_000),
      pid: 612,
      host: '',
    };
    for (const [start, found] of [
      [0, true],
      [-1, false],
    ] as const) {
      const calls = [callAt(start)];
      expect(callFor(indexCalls(calls), login, 120, new Set()) !== undefined).toBe(found);
      expect(callForByScan(calls, login, 120, new Set()) !== undefined).toBe(found);
    }
  });

  it('10,000 logins on a line of 400,000 forged calls are correlated', { timeout: 20_000 }, () => {
    // Any local user forges mgetty's syslog lines naming a terminal line (`dev=pts/0`), and logs in over
    // ssh: every login without a call read all the line's calls (quadratic: minutes).
    const calls: Call[] = [];
    for (let i = 0; i < 400_000; i++) {
      const start = new Date(T0 + Math.floor(i / 100) * 1000);
      calls.push({
        line: 'pts/0',
        start,
        wall: wallOf(start, 'UTC'),
        auditTime: start,
        pid: 10_000 + (i % 20_000),
        outcome: 'login',
        audit: null,
        evidence: [],
      });
    }
    const logins: LoginRecord[] = [];
    for (let i = 0; i < 10_000; i++)
      logins.push({
        type: 'USER_PROCESS',
        user: 'mallory',
        line: 'pts/0',
        time: new Date(T0 + 5 * 3600_000 + i * 1000),
        pid: 100_000 + i,
        host: '',
      });
    const [result] = correlate(
      { calls, unanswered: [], records: logins, coverage: new Map([['pts/0', new Date(T0)]]) },
      { windowSeconds: 120, now: new Date(T0 + 24 * 3600_000) },
    );
    expect(result?.loginsWithoutCall).toHaveLength(10_000);
    expect(result?.matches).toHaveLength(0);
    expect(result?.calls).toHaveLength(400_000);
  });
});
