import { describe, expect, it } from 'vitest';
import { capFindings } from './cap.ts';
import type { Finding } from './report.ts';
import type { Status } from './status.ts';

const f = (status: Status, summary: string, kind: 'not-checked' | 'log-source' = 'not-checked'): Finding =>
  ({
    kind,
    status,
    service: 'host',
    summary,
    evidence: [],
    data: { what: 'x', reason: 'y' },
  }) as Finding;

describe('capFindings', () => {
  it('keeps every finding when there are no more than the cap', () => {
    const all = [f('INFO', 'a'), f('CRITICAL', 'b')];
    expect(capFindings(all, 2)).toEqual({ listed: all });
  });

  it('lists the worst first, then the heaviest, then in order, and counts the rest per status', () => {
    const all = [
      f('INFO', 'i1'),
      f('WARNING', 'w1'),
      f('CRITICAL', 'c1'),
      f('WARNING', 'w2'),
      f('INFO', 'i2'),
      f('WARNING', 'w3'),
    ];
    const weight = (x: Finding) => (x.summary === 'w3' ? 1 : 0);
    const { listed, omitted } = capFindings(all, 3, weight);
    expect(listed.map((x) => x.summary)).toEqual(['c1', 'w3', 'w1']);
    expect(omitted).toEqual({ count: 3, statuses: { WARNING: 1, INFO: 2 } });
    expect(Object.keys(omitted?.statuses ?? {})).toEqual(['WARNING', 'INFO']);
  });

  it('lets each kind of one status take turns, so a flood of one kind does not hide another', () => {
    const all = [
      ...Array.from({ length: 1000 }, (_, i) => f('CRITICAL', `flood${i}`)),
      f('CRITICAL', 'root', 'log-source'),
    ];
    const { listed, omitted } = capFindings(all, 3);
    expect(listed.map((x) => x.summary)).toEqual(['flood0', 'root', 'flood1']);
    expect(omitted).toEqual({ count: 998, statuses: { CRITICAL: 998 } });
  });
});
