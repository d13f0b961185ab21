import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeZone, type YearContext } from '../core/tz.ts';
import { parsePrefix } from '../logs/syslog.ts';
import { LineSplitter } from './line.ts';

const zone = makeZone('UTC');
const reference = Date.UTC(2024, 5, 30, 12, 0, 0);
const ctx: YearContext = { reference, zone, year: 2024 };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Classic syslog lines with the odd bytes the fast path must treat like parsePrefix's RegExps do. */
const classicLine = fc
  .record({
    mo: fc.integer({ min: 0, max: 11 }),
    d: fc.integer({ min: 1, max: 31 }),
    h: fc.integer({ min: 0, max: 23 }),
    mi: fc.integer({ min: 0, max: 59 }),
    s: fc.integer({ min: 0, max: 59 }),
    host: fc.constantFrom('', 'srv ', 'srv.example.org ', 'a\tb ', 'h\xa0x ', '2001:db8::1 '),
    prog: fc.constantFrom(
      'sshd',
      'postfix/smtpd',
      'sshd(pam_unix)',
      'CRON',
      'kernel',
      'x:y',
      'prog(42)',
      'a]b',
    ),
    pid: fc.constantFrom('', '[1234]', '[]', '[12 3]', '[abc]', '[99999999999]', '[1'),
    colon: fc.constantFrom(': ', ':', ' ', ':  '),
    msg: fc.string({ maxLength: 20 }),
  })
  .map(
    (r) =>
      `${MONTHS[r.mo]} ${String(r.d).padStart(2, ' ')} ${two(r.h)}:${two(r.mi)}:${two(r.s)} ${r.host}${r.prog}${r.pid}${r.colon}${r.msg}`,
  );

/** The same lines stamped the ISO way (RFC 3339, as rsyslog's default file format writes them). */
const isoLine = fc
  .tuple(
    classicLine,
    fc.constantFrom('2024-06-30T10:00:00', '2024-12-31 23:59:59', '2025-01-01T00:00:00'),
    fc.constantFrom('', '.5', '.123456', ',999999999', '.'),
    fc.constantFrom('', 'Z', '+09:00', '-0530', '+09'),
  )
  .map(([line, stamp, frac, tz]) => `${stamp}${frac}${tz}${line.slice(15)}`);

describe('line splitter', () => {
  it.each(['UTC', 'Europe/Berlin', 'America/New_York'])(
    'agrees with src/logs parsePrefix on time, program and message start of classic and ISO lines (%s)',
    (tz) => {
      const z = makeZone(tz);
      const c: YearContext = { reference, zone: z, year: z.yearOf(reference) };
      // One splitter for many lines: its per-hour memo must never leak a time into another hour.
      const sp = new LineSplitter(c);
      fc.assert(
        fc.property(fc.oneof(classicLine, isoLine), (line) => {
          const want = parsePrefix(line, c);
          const got = sp.split(line);
          expect(got.time).toBe(want.time);
          if (want.program === null) return;
          // The pid moves out of `prog(42)`; otherwise the program is parsePrefix's.
          const unwrapped = got.program === 'prog' && got.pid === 42;
          expect(unwrapped ? 'prog(42)' : got.program).toBe(want.program);
          expect(got.message).toBe(line.slice(want.messageStart));
        }),
        { numRuns: 2000 },
      );
    },
  );

  it('splits a line whose prefix was just read (splitPrefixed) exactly as split does', () => {
    const sp = new LineSplitter(ctx);
    const again = new LineSplitter(ctx);
    let taken = 0;
    fc.assert(
      fc.property(fc.oneof(classicLine, isoLine), (line) => {
        if (line.includes('\r') || !sp.prefix(line)) return;
        taken++;
        expect(sp.splitPrefixed(line)).toStrictEqual(again.split(line));
      }),
      { numRuns: 3000 },
    );
    // About a third of the generated lines have a prefix (~1,000 of 3,000; it was the bound once, and a run
    // drew 991): far from none, so the comparison is not vacuous, with room for the draw.
    expect(taken).toBeGreaterThan(500);
  });

  it('memoises the time per stamp without mixing up consecutive lines', () => {
    const sp = new LineSplitter(ctx);
    const a = sp.split('Jun 30 10:00:00 srv sshd[1]: a');
    const b = sp.split('Jun 30 10:00:00 srv sshd[2]: b');
    const c = sp.split('Jun 30 10:00:01 srv sshd[3]: c');
    expect(a.time).toBe(Date.UTC(2024, 5, 30, 10, 0, 0));
    expect(b.time).toBe(a.time);
    expect(c.time).toBe(Date.UTC(2024, 5, 30, 10, 0, 1));
  });

  it('gives a December line in a file written in January the year before', () => {
    const jan: YearContext = { reference: Date.UTC(2025, 0, 2), zone, year: 2025 };
    expect(new LineSplitter(jan).split('Dec 31 23:59:59 h sshd[1]: x').time).toBe(
      Date.UTC(2024, 11, 31, 23, 59, 59),
    );
  });

  it.each([
    ['Jun 30 10:00:00 srv sshd[4242]: Failed password', 'sshd', 4242, 'Failed password'],
    ['Jun 30 10:00:00 sshd[7]: hostless', 'sshd', 7, 'hostless'],
    [
      'Jun 30 10:00:00 srv proftpd[99] srv (1.2.3.4[1.2.3.4]): no colon',
      'proftpd',
      99,
      'srv (1.2.3.4[1.2.3.4]): no colon',
    ],
    ['Jun 30 10:00:00 [sshd] bracketed', 'sshd', null, 'bracketed'],
    ['Jun 30 10:00:00 <auth.info> srv sshd[5]: facility', 'sshd', 5, 'facility'],
    ['Jun 30 10:00:00 srv login(1234): FAILED LOGIN', 'login', 1234, 'FAILED LOGIN'],
    [
      'Jun 30 10:00:00 srv sshd(pam_unix)[88]: authentication failure',
      'sshd(pam_unix)',
      88,
      'authentication failure',
    ],
    ['Jun 30 10:00:00 srv sshd[3]: [ID 800047 auth.info] Failed', 'sshd', 3, 'Failed'],
    ['<34>1 2024-06-30T10:00:00Z srv sshd 321 - - Failed x', 'sshd', 321, 'Failed x'],
    ['2024-06-30T10:00:00+00:00 srv sshd[9]: iso', 'sshd', 9, 'iso'],
    ['2024/06/30 10:00:00 srv sshd[9]: slashed', 'sshd', 9, 'slashed'],
    ['@400000006681ad1c00000000 sshd[9]: tai64n', 'sshd', 9, 'tai64n'],
  ])('splits %s', (line, program, pid, message) => {
    const got = new LineSplitter(ctx).split(line);
    expect(got).toMatchObject({ program, pid, message });
    expect(got.time).not.toBeNull();
  });

  it('leaves an untagged own-log line whole, with the time of its stamp', () => {
    const got = new LineSplitter(ctx).split(
      '203.0.113.5 - - [30/Jun/2024:10:00:00 +0000] "GET /phf HTTP/1.0" 404 0',
    );
    expect(got).toMatchObject({ program: '', pid: null });
    expect(got.message).toBe(got.text);
    expect(got.time).toBe(Date.UTC(2024, 5, 30, 10, 0, 0));
  });
});
