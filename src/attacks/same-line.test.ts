import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SameLineFilter } from './same-line.ts';

describe('SameLineFilter', () => {
  it('drops the copy of a line another log already gave', () => {
    const f = new SameLineFilter();
    const line =
      'Jun 30 10:01:00 mx postfix/smtpd[301]: warning: unknown[203.0.113.230]: SASL LOGIN authentication failed';
    expect(f.admit('/var/log/syslog', line)).toBe(true);
    expect(f.admit('/var/log/mail.log', line)).toBe(false);
  });

  it('counts every copy of a line repeated within one log', () => {
    const f = new SameLineFilter();
    const line = 'Jun 30 10:01:00 srv sshd[7]: Failed password for root from 203.0.113.5 port 4000 ssh2';
    expect([f.admit('a', line), f.admit('a', line), f.admit('a', line)]).toEqual([true, true, true]);
  });

  it('counts a line max(n, m) times when one log has it n times and a later one m times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('x', 'y', 'z'), { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
        (logs) => {
          const f = new SameLineFilter();
          const admitted = new Map<string, number>();
          logs.forEach((lines, i) => {
            for (const t of lines) if (f.admit(`log${i}`, t)) admitted.set(t, (admitted.get(t) ?? 0) + 1);
          });
          for (const t of ['x', 'y', 'z']) {
            const most = Math.max(...logs.map((lines) => lines.filter((l) => l === t).length));
            expect(admitted.get(t) ?? 0).toBe(most);
          }
        },
      ),
    );
  });
});
