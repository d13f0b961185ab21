import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineHash, SameLines } from './same-line.ts';

const MAIL =
  'Jun 30 10:01:00 mx postfix/smtpd[301]: warning: unknown[203.0.113.230]: SASL LOGIN authentication failed';

describe('SameLines', () => {
  it('drops the copy of a line an earlier source already gave', () => {
    const f = new SameLines();
    expect(f.admit(0, lineHash(MAIL))).toBe(true);
    expect(f.admit(1, lineHash(MAIL))).toBe(false);
    expect(f.admit(2, lineHash(MAIL), false)).toBe(false);
  });

  it('counts every copy of a line repeated within one source', () => {
    const f = new SameLines();
    expect([0, 0, 0].map((s) => f.admit(s, lineHash(MAIL)))).toEqual([true, true, true]);
  });

  it('takes a line with a trailing CR for the same line without', () => {
    expect(lineHash(`${MAIL}\r`)).toBe(lineHash(MAIL));
    expect(lineHash(`${MAIL} `)).not.toBe(lineHash(MAIL));
  });

  it('tells whether another source kept lines', () => {
    const f = new SameLines();
    expect(f.earlier(0)).toBe(false);
    f.admit(0, lineHash(MAIL));
    expect(f.earlier(0)).toBe(false);
    expect(f.earlier(1)).toBe(true);
  });

  it('counts a line max(n, m) times when one source has it n times and a later one m times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom('x', 'y', 'z\r', 'z', MAIL), { maxLength: 12 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.boolean(),
        (sources, storeLast) => {
          const f = new SameLines();
          const admitted = new Map<string, number>();
          sources.forEach((lines, i) => {
            const store = storeLast || i < sources.length - 1;
            for (const t of lines)
              if (f.admit(i, lineHash(t), store)) {
                const k = t.replace(/\r$/, '');
                admitted.set(k, (admitted.get(k) ?? 0) + 1);
              }
          });
          for (const t of ['x', 'y', 'z', MAIL]) {
            const most = Math.max(
              ...sources.map((lines) => lines.filter((l) => l.replace(/\r$/, '') === t).length),
            );
            expect(admitted.get(t) ?? 0).toBe(most);
          }
        },
      ),
    );
  });

  it('keeps distinct lines apart as its table grows (no two of 200,000 lines taken for one)', () => {
    const f = new SameLines();
    const line = (i: number) =>
      `Nov 24 10:${String(i % 60).padStart(2, '0')}:00 gw postfix/smtp[${i}]: error ${i}`;
    let counted = 0;
    for (let i = 0; i < 200_000; i++) if (f.admit(0, lineHash(line(i)))) counted++;
    expect(counted).toBe(200_000);
    expect(f.distinct).toBe(200_000);
    let copies = 0;
    for (let i = 0; i < 200_000; i++) if (!f.admit(1, lineHash(line(i)))) copies++;
    expect(copies).toBe(200_000);
    let fresh = 0;
    for (let i = 200_000; i < 400_000; i++) if (f.admit(1, lineHash(line(i)), false)) fresh++;
    expect(fresh).toBe(200_000);
  });
});
