import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Call, type CallOutcome, mergeCalls } from './mgetty.ts';
import { wallOf } from './time.ts';

/**
 * The merging as it was before it was indexed (quadratic: every call looked back over every call of the hour
 * on its line, and every evidence line over the twin's evidence): the oracle the indexed one must agree with.
 */
function mergeCallsByScan(calls: readonly Call[]): Call[] {
  const sorted = [...calls].sort(
    (a, b) => a.line.localeCompare(b.line) || a.start.getTime() - b.start.getTime(),
  );
  const out: Call[] = [];
  const isTwin = (o: Call, c: Call): boolean =>
    o.line === c.line &&
    o.outcome === c.outcome &&
    o.pid !== null &&
    o.pid === c.pid &&
    o.auditTime !== null &&
    c.auditTime !== null &&
    Math.abs(o.auditTime.getTime() - c.auditTime.getTime()) <= 2000;
  for (const c of sorted) {
    let twin: Call | undefined;
    for (let i = out.length - 1; i >= 0; i--) {
      const o = out[i] as Call;
      if (o.line !== c.line || c.start.getTime() - o.start.getTime() > 3_600_000) break;
      if (isTwin(o, c)) {
        twin = o;
        break;
      }
    }
    if (!twin) {
      out.push({ ...c, evidence: [...c.evidence] });
      continue;
    }
    if (c.start < twin.start) {
      twin.start = c.start;
      twin.wall = c.wall;
    }
    for (const e of c.evidence)
      if (!twin.evidence.some((x) => x.source === e.source && x.line === e.line)) twin.evidence.push(e);
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || a.line.localeCompare(b.line));
}

const T0 = Date.parse('2026-11-25T10:00:00Z');
const OUTCOMES: CallOutcome[] = ['login', 'handoff', 'failed', 'fax', 'connect'];
const SOURCES = ['/var/log/mgetty.ttyS0', '/var/log/syslog', '/var/log/syslog.1'];

/** A call as the arbitrary describes it: small ranges, so that twins, near misses and ties are common. */
const arbCall = fc
  .record({
    // Mostly one line, pid and outcome: twins and near twins need all three alike.
    line: fc.oneof(fc.constant('ttyS0'), fc.constantFrom('ttyS0', 'ttyS1', 'modem')),
    // Seconds from T0, over a few hours: some calls fall just inside or outside the hour's look-back.
    start: fc.oneof(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 4 * 3600 }),
      fc.constantFrom(3599, 3600, 3601, 3602),
    ),
    // The audit line's delay after the answer (ms), or none; 2 s apart is the limit of a twin.
    audit: fc.option(
      fc.oneof(
        fc.constantFrom(0, 1000, 1999, 2000, 2001, 3000, 5000, 60_000, 3_599_000, 3_600_000, 3_601_000),
        fc.integer({ min: 0, max: 12_000 }),
      ),
      { nil: null },
    ),
    pid: fc.option(fc.integer({ min: 600, max: 601 }), { nil: null }),
    outcome: fc.oneof(fc.constant<CallOutcome>('login'), fc.constantFrom(...OUTCOMES)),
    evidence: fc.array(
      fc.record({
        source: fc.constantFrom(...SOURCES),
        line: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ line, start, audit, pid, outcome, evidence }): Call => {
    const startTime = new Date(T0 + start * 1000);
    return {
      line,
      start: startTime,
      wall: wallOf(startTime, 'UTC'),
      auditTime: audit === null ? null : new Date(startTime.getTime() + audit),
      pid,
      outcome,
      audit: null,
      evidence: evidence.map((e, i) => ({
        source: e.source,
        ...(e.line === undefined ? {} : { line: e.line }),
        text: `${line} ${start} ${i}`,
      })),
    };
  });

/** Deep copies, so that neither merging sees what the other changed. */
const copy = (calls: readonly Call[]): Call[] =>
  calls.map((c) => ({ ...c, evidence: c.evidence.map((e) => ({ ...e })) }));

describe('mergeCalls', () => {
  it('merges exactly as the scan over every call of the hour did, on random calls', () => {
    fc.assert(
      fc.property(fc.array(arbCall, { maxLength: 60 }), (calls) => {
        expect(mergeCalls(copy(calls))).toEqual(mergeCallsByScan(copy(calls)));
      }),
      { numRuns: 3000, seed: 20261126 },
    );
  });

  it('merges into the latest kept call whose audit time is within 2 s, whichever side it is on', () => {
    const at = (ms: number, auditMs: number, line: number): Call => ({
      line: 'ttyS0',
      start: new Date(T0 + ms),
      wall: wallOf(new Date(T0 + ms), 'UTC'),
      auditTime: new Date(T0 + auditMs),
      pid: 612,
      outcome: 'login',
      audit: null,
      evidence: [{ source: SOURCES[1] as string, line, text: `line ${line}` }],
    });
    // Kept apart (audit times 3 s apart): 1 and 2, started later. The third (audit 9 s) is within 2 s of
    // both: it joins the later one, its audit time earlier or later than the third's.
    for (const [first, second] of [
      [7500, 10_500],
      [10_500, 7500],
    ] as const) {
      const calls = [at(0, first, 1), at(1000, second, 2), at(2000, 9000, 3)];
      const merged = mergeCalls(copy(calls));
      expect(merged).toEqual(mergeCallsByScan(copy(calls)));
      expect(merged.map((c) => c.evidence.map((e) => e.line))).toEqual([[1], [2, 3]]);
    }
  });

  it('takes no twin that started more than an hour before, whatever the audit times', () => {
    const at = (seconds: number, auditDelayMs: number): Call => ({
      line: 'ttyS0',
      start: new Date(T0 + seconds * 1000),
      wall: wallOf(new Date(T0 + seconds * 1000), 'UTC'),
      auditTime: new Date(T0 + seconds * 1000 + auditDelayMs),
      pid: 612,
      outcome: 'login',
      audit: null,
      evidence: [{ source: SOURCES[0] as string, line: seconds, text: `${seconds}` }],
    });
    for (const [later, merged] of [
      [3600, 1],
      [3601, 2],
    ] as const) {
      const calls = [at(0, later * 1000), at(later, 0)];
      expect(mergeCalls(copy(calls))).toEqual(mergeCallsByScan(copy(calls)));
      expect(mergeCalls(copy(calls))).toHaveLength(merged);
    }
  });

  it('merges each syslog copy with its per-line call among many calls of one hour', () => {
    // 2,000 calls on one line in an hour, pids reused, each seen in both sources within 2 s.
    const calls: Call[] = [];
    for (let i = 0; i < 2000; i++) {
      const start = new Date(T0 + i * 1700);
      const base = {
        line: 'ttyS0',
        wall: wallOf(start, 'UTC'),
        pid: 600 + (i % 7),
        outcome: 'login' as const,
        audit: null,
      };
      calls.push({
        ...base,
        start,
        auditTime: new Date(start.getTime() + 5000),
        evidence: [{ source: SOURCES[0] as string, line: 2 * i + 1, text: 'CONNECT' }],
      });
      calls.push({
        ...base,
        start: new Date(start.getTime() + 5000 + (i % 3) * 1000),
        auditTime: new Date(start.getTime() + 5000 + (i % 3) * 1000),
        evidence: [{ source: SOURCES[1] as string, line: i + 1, text: 'data' }],
      });
    }
    const merged = mergeCalls(copy(calls));
    expect(merged).toEqual(mergeCallsByScan(copy(calls)));
    expect(merged).toHaveLength(2000);
    expect(merged.every((c) => c.evidence.length === 2)).toBe(true);
  });
});
