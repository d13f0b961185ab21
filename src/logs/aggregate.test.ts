import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AggregateLine, addCapped, type CategoryStats, evidence, LogStats, topOf } from './aggregate.ts';

const IDS = ['error', 'network', 'access', 'invalid'];
const TOP_CAP = 2000;

/** The regex folder and the per-line, per-category aggregator the counters replaced: the oracle. */
const TOKEN = /(?<![0-9A-Za-z_.:-])[A-Za-z_.:-]*\d[0-9A-Za-z_.:-]*/g;
const oracleFold = (message: string) =>
  (message.length > 300 ? message.slice(0, 300) : message).replace(TOKEN, '#').trim();

class OracleStats {
  readonly services = new Map<string, Map<string, CategoryStats>>();
  readonly programs = new Map<string, Map<string, number>>();
  constructor(private readonly samples: number) {}
  add(service: string, categories: readonly string[], l: AggregateLine): void {
    let svc = this.services.get(service);
    if (!svc) this.services.set(service, (svc = new Map<string, CategoryStats>()));
    let folded: string | undefined;
    for (const id of categories) {
      let s = svc.get(id);
      if (!s) {
        s = {
          count: 0,
          perHour: new Map(),
          first: null,
          last: null,
          top: new Map(),
          samples: [],
          sources: new Set(),
          attack: 0,
          attackPerHour: new Map(),
        };
        svc.set(id, s);
      }
      s.count++;
      s.sources.add(l.source);
      if (l.time !== null) {
        const hour = Math.floor(l.time / 3_600_000) * 3_600_000;
        s.perHour.set(hour, (s.perHour.get(hour) ?? 0) + 1);
        if (s.first === null || l.time < s.first) s.first = l.time;
        if (s.last === null || l.time > s.last) s.last = l.time;
      }
      folded ??= oracleFold(l.text.slice(l.messageStart, l.messageStart + 600));
      addCapped(s.top, folded, 1);
      if (s.samples.length < this.samples) s.samples.push(evidence(l));
    }
  }
  addProgram(program: string | null, categories: readonly string[]): void {
    const key = program ?? '-';
    let p = this.programs.get(key);
    if (!p) this.programs.set(key, (p = new Map<string, number>()));
    for (const id of categories) p.set(id, (p.get(id) ?? 0) + 1);
  }
}

interface Line extends AggregateLine {
  service: string;
  mask: number;
  program: string | null;
}

const ids = (mask: number) => IDS.filter((_, i) => mask & (1 << i));

/** Lines fed to a LogStats, line numbers counted from `base` lines before the first. */
function feed(stats: LogStats, lines: readonly Line[], base = 0): LogStats {
  for (const l of lines) {
    stats.addLine(l.service, l.mask, l.source, l.line - base, l.time, l.text, l.messageStart);
    stats.addProgram(stats.program(l.program), l.mask);
  }
  return stats;
}

/** Both aggregators fed the same lines, compared on everything the reports read (orders included). */
function compare(lines: Line[], samples: number, got = feed(new LogStats(samples, IDS), lines)): void {
  const want = new OracleStats(samples);
  for (const l of lines) {
    want.add(l.service, ids(l.mask), l);
    want.addProgram(l.program, ids(l.mask));
  }
  const view = (services: Map<string, Map<string, CategoryStats>>) =>
    [...services].map(([svc, cats]) => [
      svc,
      [...cats].map(([id, s]) => ({
        id,
        count: s.count,
        first: s.first,
        last: s.last,
        perHour: [...s.perHour].sort((a, b) => a[0] - b[0]),
        top: [...s.top].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
        top5: topOf(s, 5),
        samples: s.samples,
        sources: [...s.sources].sort(),
      })),
    ]);
  expect(view(got.services)).toEqual(view(want.services));
  expect([...got.programs].map(([p, m]) => [p, [...m]])).toEqual(
    [...want.programs].map(([p, m]) => [p, [...m]]),
  );
}

const lineArb = fc.record({
  service: fc.constantFrom('host', 'sendmail', 'sshd'),
  mask: fc.integer({ min: 1, max: 15 }),
  source: fc.constantFrom('/var/log/syslog', '/var/log/syslog.1', '/var/log/mail.log'),
  line: fc.nat({ max: 1000 }),
  time: fc.option(fc.integer({ min: 1_790_000_000_000, max: 1_790_000_000_000 + 5 * 3_600_000 }), {
    freq: 8,
  }),
  program: fc.option(fc.constantFrom('sshd', 'postfix/smtpd', 'cron'), { freq: 6 }),
  prefix: fc.constantFrom('', 'Nov 24 10:00:00 gw sshd[1]: ', '  '),
  message: fc
    .array(
      fc.constantFrom(
        'error',
        'user',
        'root',
        'from',
        '192.0.2.7',
        'port',
        '22',
        ' ',
        '  ',
        ':',
        '#',
        'id4x',
        '\u00a0',
        'é',
      ),
      {
        maxLength: 12,
      },
    )
    .map((a) => a.join(' ')),
});

describe('LogStats', () => {
  it('gives the counts, hours, first/last, top messages, samples and programs of per-line, per-category counting', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 60 }), fc.integer({ min: 0, max: 3 }), (arbs, samples) => {
        const lines = arbs.map(
          (a): Line => ({ ...a, text: a.prefix + a.message, messageStart: a.prefix.length }),
        );
        compare(lines, samples);
      }),
      { numRuns: 300 },
    );
  });

  it('gives, merging the parts of a log counted apart (as worker threads do), what one pass gives', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 60 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 3 }),
        (arbs, samples, cuts) => {
          const lines = arbs.map(
            (a, i): Line => ({
              ...a,
              line: i + 1,
              text: a.prefix + a.message,
              messageStart: a.prefix.length,
            }),
          );
          const bounds = [
            0,
            ...cuts.map((c) => Math.min(c, lines.length)).sort((a, b) => a - b),
            lines.length,
          ];
          const merged = new LogStats(samples, IDS);
          for (let k = 0; k + 1 < bounds.length; k++) {
            const [from, to] = [bounds[k] as number, bounds[k + 1] as number];
            const part = feed(new LogStats(samples, IDS), lines.slice(from, to), from).toPart();
            merged.merge(structuredClone(part), from);
          }
          compare(lines, samples, merged);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps a merged top list bounded and exact for frequent messages past 2000 distinct ones', () => {
    const word = (n: number) => n.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(113 + Number(d)));
    const part = (from: number) => {
      const stats = new LogStats(1, IDS);
      for (let i = from; i < from + 3000; i++) {
        const msg = i % 4 === 0 ? 'failed for root' : `failed for ${word(i)}`;
        stats.addLine('sshd', 1, '/var/log/syslog', i + 1, null, msg, 0);
      }
      return stats.toPart();
    };
    const merged = new LogStats(1, IDS);
    merged.merge(part(0), 0);
    merged.merge(part(3000), 3000);
    const top = merged.services.get('sshd')?.get('error')?.top as Map<string, number>;
    expect(top.size).toBeLessThanOrEqual(2 * TOP_CAP);
    expect(top.get('failed for root')).toBe(1500);
  });

  it('still lists a frequent message after an attacker logged 2001 distinct messages twice first', () => {
    const word = (n: number) => n.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(113 + Number(d)));
    const stats = new LogStats(1, IDS);
    let line = 0;
    const add = (msg: string) => stats.addLine('host', 1, '/var/log/syslog', ++line, null, msg, 0);
    for (let i = 0; i < 2001; i++) for (const _ of [0, 1]) add(`error: bogus ${word(i)}`);
    for (let i = 0; i < 20_000; i++) {
      add('error: disk I/O error, remounted read-only');
      add(`error: junk ${word(100_000 + i)}`);
    }
    const top = stats.services.get('host')?.get('error')?.top as Map<string, number>;
    expect(top.size).toBeLessThanOrEqual(2 * TOP_CAP);
    const first = topOf(stats.services.get('host')?.get('error') as CategoryStats, 1)[0];
    expect(first?.message).toBe('error: disk I/O error, remounted read-only');
    expect(first?.count).toBe(20_000);
  });

  it('counts a category past 2000 distinct messages as per-line counting with the same pruning does', () => {
    // Distinct messages (words, no digits, so folding keeps them apart) with repeats among them.
    const word = (n: number) => n.toString(26).replace(/[0-9]/g, (d) => String.fromCharCode(113 + Number(d)));
    const lines: Line[] = [];
    for (let i = 0; i < 4600; i++) {
      const n = i % 7 === 0 ? i % 50 : i;
      lines.push({
        service: i % 5 === 0 ? 'sshd' : 'host',
        mask: 1 + (i % 3),
        program: 'sshd',
        source: '/var/log/syslog',
        line: i + 1,
        time: 1_790_000_000_000 + i * 1000,
        text: `gw sshd: failed for ${word(n)} from 192.0.2.${i % 250}`,
        messageStart: 8,
      });
    }
    compare(lines, 2);
  });
});

describe('LogStats attack lines', () => {
  it('keeps the lines marked as attack lines apart, per hour, also through a merge of parts', () => {
    const line = (n: number, hour: number): AggregateLine => ({
      source: '/var/log/syslog',
      line: n,
      time: Date.UTC(2026, 10, 24, hour, n % 60),
      text: `Nov 24 gw sshd[1]: Failed ${n}`,
      messageStart: 10,
    });
    const add = (s: LogStats, n: number, hour: number, attack: boolean) => {
      const l = line(n, hour);
      s.addLine('sshd', 1, l.source, l.line, l.time, l.text, l.messageStart, undefined, attack);
    };
    const one = new LogStats(3, ['invalid']);
    const a = new LogStats(3, ['invalid']);
    const b = new LogStats(3, ['invalid']);
    for (let i = 1; i <= 30; i++) {
      const hour = i <= 20 ? 10 : 11;
      const attack = i % 3 !== 0;
      add(one, i, hour, attack);
      add(i <= 15 ? a : b, i, hour, attack);
    }
    const merged = new LogStats(3, ['invalid']);
    merged.merge(a.toPart(), 0);
    merged.merge(b.toPart(), 0);
    for (const s of [one, merged]) {
      const c = s.services.get('sshd')?.get('invalid');
      expect(c?.count).toBe(30);
      expect(c?.attack).toBe(20);
      expect([...(c?.attackPerHour ?? [])]).toEqual([
        [Date.UTC(2026, 10, 24, 10), 14],
        [Date.UTC(2026, 10, 24, 11), 6],
      ]);
    }
  });
});
