import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inferYear, makeZone, type YearContext, type Zone } from '../core/tz.ts';
import {
  stampedPrefix,
  stampFields,
  type LinePrefix,
  parseStamped,
  parsePrefix,
  tagMatches,
} from './syslog.ts';

const utc = makeZone('UTC');
const at = (iso: string) => ({ reference: Date.parse(iso), zone: utc });
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

describe('RFC 3164 prefixes', () => {
  it('takes the year from the file time, and the year before for December lines in a January file', () => {
    const ctx = at('2027-01-02T08:00:00Z');
    expect(iso(parsePrefix('Dec 31 23:59:59 gw sendmail[5836]: x', ctx).time)).toBe(
      '2026-12-31T23:59:59.000Z',
    );
    expect(iso(parsePrefix('Jan  1 00:00:01 gw sendmail[5836]: x', ctx).time)).toBe(
      '2027-01-01T00:00:01.000Z',
    );
    expect(iso(parsePrefix('Jan  2 08:30:00 gw cron: x', ctx).time)).toBe('2027-01-02T08:30:00.000Z');
  });
  it("reads Tinyproxy's own log: level, year-less local stamp with milliseconds, pid", () => {
    const line = 'NOTICE    Nov 06 13:30:00.123 [1234]: Unauthorized connection from "192.0.2.9".';
    const p = parsePrefix(line, {
      reference: Date.parse('2026-11-26T00:00:00Z'),
      zone: makeZone('Asia/Tokyo'),
    });
    expect(iso(p.time)).toBe('2026-11-06T04:30:00.000Z');
    expect(line.slice(p.messageStart)).toBe('Unauthorized connection from "192.0.2.9".');
    // A December line in a January file is last year's, as for syslog's stamps.
    expect(
      iso(
        parsePrefix(
          'CONNECT   Dec 31 23:59:59.001 [7]: Connect (file descriptor 5): 192.0.2.1',
          at('2027-01-02T00:00:00Z'),
        ).time,
      ),
    ).toBe('2026-12-31T23:59:59.000Z');
  });
  it('keeps the file year for a line a few hours ahead (clock skew), not a year back', () => {
    expect(iso(parsePrefix('Nov 24 12:00:00 gw x: y', at('2026-11-24T09:00:00Z')).time)).toBe(
      '2026-11-24T12:00:00.000Z',
    );
  });
  it('reads host and program, dropping the pid; the message starts after the tag', () => {
    const line =
      'Nov 24 10:00:00 gw sendmail[5836]: j4P1a2b3c: SYSERR(root): mailer prog died with signal 213';
    const p = parsePrefix(line, at('2026-11-25T00:00:00Z'));
    expect([p.host, p.program, line.slice(p.messageStart)]).toEqual([
      'gw',
      'sendmail',
      'j4P1a2b3c: SYSERR(root): mailer prog died with signal 213',
    ]);
    expect(
      parsePrefix('Nov  4 10:00:00 gw postfix/smtpd[1]: connect', at('2026-11-25T00:00:00Z')).program,
    ).toBe('postfix/smtpd');
    expect(parsePrefix('Nov 24 10:00:00 gw kernel: [1.0] x', at('2026-11-25T00:00:00Z')).program).toBe(
      'kernel',
    );
    expect(parsePrefix('Nov 24 10:00:00 gw -- MARK --', at('2026-11-25T00:00:00Z')).program).toBeNull();
  });
  it('converts local times in the host zone', () => {
    const p = parsePrefix('Nov 24 10:00:00 gw x: y', {
      reference: Date.parse('2026-12-01T00:00:00Z'),
      zone: makeZone('Asia/Tokyo'),
    });
    expect(iso(p.time)).toBe('2026-11-24T01:00:00.000Z');
  });
});

describe('ISO-stamped lines', () => {
  it("keeps an application log's level word in the message (no host without a tag after it)", () => {
    const line = '2025-11-26T10:01:00Z ERROR disk quota exceeded';
    const p = parsePrefix(line, at('2025-11-27T00:00:00Z'));
    expect([p.host, p.program, line.slice(p.messageStart)]).toEqual([
      null,
      null,
      'ERROR disk quota exceeded',
    ]);
    const rsyslog = '2025-11-26T10:01:00.123456+00:00 gw sshd[5]: Failed password for root';
    const q = parsePrefix(rsyslog, at('2025-11-27T00:00:00Z'));
    expect([q.host, q.program, rsyslog.slice(q.messageStart)]).toEqual([
      'gw',
      'sshd',
      'Failed password for root',
    ]);
  });
});

describe('the hour the clocks fall back', () => {
  it("reads a stamp an hour before the previous line as that hour's second pass", () => {
    // America/New_York, 2026-11-01: 01:00-01:59 happens twice (EDT, then EST).
    const ctx: YearContext = {
      reference: Date.parse('2026-11-02T00:00:00Z'),
      zone: makeZone('America/New_York'),
    };
    const times = ['01:57:00', '01:59:30', '01:00:10', '01:02:00', '02:00:00'].map((t) =>
      iso(
        parsePrefix(`Nov  1 ${t} gw sshd[1]: Failed password for root from 203.0.113.5 port 1 ssh2`, ctx)
          .time,
      ),
    );
    expect(times).toEqual([
      '2026-11-01T05:57:00.000Z',
      '2026-11-01T05:59:30.000Z',
      '2026-11-01T06:00:10.000Z',
      '2026-11-01T06:02:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  it('keeps a line that goes back outside a fold as written (no DST change there)', () => {
    const ctx: YearContext = {
      reference: Date.parse('2026-11-30T00:00:00Z'),
      zone: makeZone('America/New_York'),
    };
    const times = ['Nov 10 11:57:00', 'Nov 10 11:00:10'].map((t) =>
      iso(parsePrefix(`${t} gw x: y`, ctx).time),
    );
    expect(times).toEqual(['2026-11-10T16:57:00.000Z', '2026-11-10T16:00:10.000Z']);
  });
});

describe('other prefixes', () => {
  it('parses RFC 5424 with structured data', () => {
    const line =
      '<34>1 2026-11-24T10:00:00.123+09:00 gw sshd 812 ID47 [ex@1 a="x]y"] Failed password for root';
    const p = parsePrefix(line, at('2026-11-25T00:00:00Z'));
    expect([iso(p.time), p.host, p.program, line.slice(p.messageStart)]).toEqual([
      '2026-11-24T01:00:00.123Z',
      'gw',
      'sshd',
      'Failed password for root',
    ]);
  });
  it('parses ISO timestamps (rsyslog high precision)', () => {
    const p = parsePrefix('2026-11-24T10:00:00.5-05:00 gw named[3]: query', at('2026-11-25T00:00:00Z'));
    expect([iso(p.time), p.host, p.program]).toEqual(['2026-11-24T15:00:00.500Z', 'gw', 'named']);
  });
  it('finds the time of Apache common log lines', () => {
    const p = parsePrefix(
      '198.51.100.23 - - [24/Nov/2026:10:00:00 +0900] "GET /cgi-bin/phf HTTP/1.0" 200 12',
      at('2026-11-25T00:00:00Z'),
    );
    expect([iso(p.time), p.program]).toEqual(['2026-11-24T01:00:00.000Z', null]);
  });
});

describe('Squid access log stamps', () => {
  it("dates Squid's native lines by their epoch stamp; the message is the whole line", () => {
    const line =
      '1764150000.123     12 203.0.113.9 TCP_MISS/200 5120 GET http://www.example.com/ - HIER_DIRECT/198.51.100.1 text/html';
    const p = parsePrefix(line, at('2026-11-27T00:00:00Z'));
    expect([iso(p.time), p.program, p.messageStart]).toEqual(['2025-11-26T09:40:00.123Z', null, 0]);
  });
  it("dates DeleGate's CLF lines with their timing fields", () => {
    const p = parsePrefix(
      '203.0.113.9 - - [26/Nov/2026:09:40:00 +0900] "GET http://www.example.com/ HTTP/1.0" 200 512 0.012 0.003',
      at('2026-11-27T00:00:00Z'),
    );
    expect(iso(p.time)).toBe('2026-11-26T00:40:00.000Z');
  });
});

describe('audit.log stamps', () => {
  it('dates an audit record by its msg=audit(EPOCH.mmm:serial) stamp (node= first or not); the message is the whole line', () => {
    const avc =
      'type=AVC msg=audit(1764838800.123:412): avc:  denied  { read } for  pid=2211 comm="httpd" name="index.html" tclass=file permissive=0';
    for (const line of [avc, `node=rhel9 ${avc}`]) {
      const p = parsePrefix(line, at('2026-12-05T00:00:00Z'));
      expect([iso(p.time), p.program, p.messageStart]).toEqual(['2025-12-04T09:00:00.123Z', null, 0]);
    }
  });
  it('stays linear on a crafted ~1 MB node= line', () => {
    const t0 = performance.now();
    const p = parsePrefix(
      `node=${'x'.repeat(1 << 20)} type=AVC msg=audit(1.1:1)`,
      at('2026-12-05T00:00:00Z'),
    );
    expect(p.time).toBeNull();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it('leaves a line that only mentions such a stamp undated', () => {
    const p = parsePrefix(
      'x type=AVC msg=audit(1764838800.123:412): avc:  denied',
      at('2026-12-05T00:00:00Z'),
    );
    expect(p.time).toBeNull();
  });
});

describe('nginx error log stamps', () => {
  it('reads `2026/11/25 00:28:09 [error] ...` in the host zone; the message starts after it', () => {
    const ctx = { reference: Date.parse('2026-11-26T00:00:00Z'), zone: makeZone('Asia/Tokyo') };
    const line = '2026/11/25 00:28:09 [error] 8123#8123: *3097 open() "/var/www/favicon.ico" failed';
    const p = parsePrefix(line, ctx);
    expect([iso(p.time), p.program, line.slice(p.messageStart, p.messageStart + 7)]).toEqual([
      '2026-11-24T15:28:09.000Z',
      null,
      '[error]',
    ]);
  });
});

describe('Apache error log stamps', () => {
  it('reads 2.2 and 2.4 stamps in the host zone; the message starts after them', () => {
    const ctx = { reference: Date.parse('2026-11-25T00:00:00Z'), zone: makeZone('Asia/Tokyo') };
    for (const stamp of ['[Tue Nov 24 10:00:01 2026]', '[Tue Nov 24 10:00:01.123456 2026]']) {
      const line = `${stamp} [core:info] [pid 42] [client 203.0.113.7:4000] AH00128: File does not exist: /x`;
      const p = parsePrefix(line, ctx);
      expect([iso(p.time), p.program, line.slice(p.messageStart, p.messageStart + 11)]).toEqual([
        '2026-11-24T01:00:01.000Z',
        null,
        '[core:info]',
      ]);
    }
  });
});

describe('tag matching', () => {
  it('matches a tag exactly or as the part before a slash, never anywhere in the line', () => {
    expect(tagMatches('sendmail', 'sendmail')).toBe(true);
    expect(tagMatches('postfix/smtpd', 'postfix')).toBe(true);
    expect(tagMatches('sendmail-helper', 'sendmail')).toBe(false);
    expect(tagMatches('postfix', 'postfix/smtpd')).toBe(false);
  });
});

describe('the hand-written classic prefix parser', () => {
  const MONTH = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  /** Characters the prefix RegExps treat specially, JS `\s` members beyond ASCII included. */
  const ODD = [
    ' ',
    '  ',
    '\t',
    '\u00a0',
    '\u2000',
    '\u3000',
    '\ufeff',
    '\u0085',
    '[',
    ']',
    ':',
    ': ',
    '.',
    '\r',
    '\u00e9',
    '/',
  ];
  const digits = (min: number, max: number) =>
    fc
      .array(fc.constantFrom('0', '1', '2', '3', '5', '9'), { minLength: min, maxLength: max })
      .map((a) => a.join(''));
  const word = fc
    .array(
      fc.oneof(
        fc.constantFrom(...ODD),
        fc.constantFrom('gw', 'sendmail', 'postfix/smtpd', 'x', '-', '5836'),
        fc.string({ maxLength: 2 }),
      ),
      { maxLength: 6 },
    )
    .map((a) => a.join(''));
  /** Mostly well-formed classic lines, each part sometimes bent (month case, spacing, digit counts, fraction). */
  const classicLine = fc
    .record({
      pri: fc.oneof(
        fc.constant(''),
        digits(0, 4).map((d) => `<${d}>`),
        fc.constant('<13'),
      ),
      month: fc.oneof(fc.constantFrom(...MONTH), fc.constantFrom('jan', 'Foo', 'De')),
      sp: fc.constantFrom(' ', '  ', '   ', '\t', ''),
      day: digits(0, 3),
      time: fc.oneof(
        fc.tuple(digits(2, 2), digits(2, 2), digits(2, 2)).map(([h, m, s]) => `${h}:${m}:${s}`),
        fc
          .tuple(
            fc.integer({ min: 0, max: 23 }),
            fc.integer({ min: 0, max: 59 }),
            fc.integer({ min: 0, max: 59 }),
          )
          .map((a) => a.map((n) => String(n).padStart(2, '0')).join(':')),
        fc.constantFrom('1:00:00', '10:00', '10-00-00', '10:0a:00'),
      ),
      frac: fc.oneof(
        fc.constant(''),
        digits(0, 8).map((d) => `.${d}`),
      ),
      after: fc.constantFrom(' ', '', '  ', '\t'),
      host: word,
      hostSp: fc.constantFrom(' ', '', '  ', '\t', '\u00a0'),
      tag: word,
      pid: fc.oneof(
        fc.constant(''),
        word.map((w) => `[${w}]`),
      ),
      colon: fc.constantFrom(': ', ':', '', ' ', ']:'),
      rest: word,
    })
    .map(
      (r) =>
        `${r.pri}${r.month}${r.sp}${r.day} ${r.time}${r.frac}${r.after}${r.host}${r.hostSp}${r.tag}${r.pid}${r.colon}${r.rest}`,
    );
  /** Mostly well-formed ISO (RFC 3339) stamps, each part sometimes bent (digit counts, separators, offsets). */
  const isoLine = fc
    .record({
      pri: fc.constantFrom('', '<13>', '<34>1 '),
      date: fc.oneof(
        fc
          .tuple(
            fc.integer({ min: 1990, max: 2030 }),
            fc.integer({ min: 1, max: 12 }),
            fc.integer({ min: 1, max: 31 }),
          )
          .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
        fc.tuple(digits(3, 5), digits(1, 3), digits(1, 3)).map(([y, m, d]) => `${y}-${m}-${d}`),
      ),
      t: fc.constantFrom('T', ' ', 't', '_'),
      time: fc.oneof(
        fc.tuple(digits(2, 2), digits(2, 2), digits(2, 2)).map(([h, m, s]) => `${h}:${m}:${s}`),
        fc.constantFrom('23:59:59', '10:00', '1:00:00'),
      ),
      frac: fc.oneof(
        fc.constant(''),
        fc.constantFrom('.', ','),
        fc.tuple(fc.constantFrom('.', ','), digits(1, 11)).map(([sep, d]) => `${sep}${d}`),
      ),
      tz: fc.constantFrom('', 'Z', 'z', '+09:00', '-05:30', '+0900', '-0000', '+09', '+09:0', '+09:000'),
      after: fc.constantFrom(' ', '', '	'),
      host: word,
      hostSp: fc.constantFrom(' ', '', '  '),
      tag: word,
      colon: fc.constantFrom(': ', ':', '', ' '),
      rest: word,
    })
    .map(
      (r) =>
        `${r.pri}${r.date}${r.t}${r.time}${r.frac}${r.tz}${r.after}${r.host}${r.hostSp}${r.tag}${r.colon}${r.rest}`,
    );
  const otherLine = fc.constantFrom(
    '<34>1 2026-11-24T10:00:00.123+09:00 gw sshd 812 ID47 [ex@1 a="x]y"] Failed password',
    '2026-11-24T10:00:00.5-05:00 gw named[3]: query',
    '11/24 10:00:00 yS0 login',
    '[2026/11/24 10:00:00, 0] smbd',
    '1.2.3.4 - - [24/Nov/2026:10:00:00 +0900] "GET / HTTP/1.0" 200 1',
    '',
    'Nov',
  );
  const zones: [string, Zone][] = [
    ['UTC', makeZone('UTC')],
    ['Asia/Tokyo', makeZone('Asia/Tokyo')],
    ['America/New_York', makeZone('America/New_York')],
    ['local', makeZone(undefined)],
  ];
  const reference = fc.constantFrom(
    Date.parse('2027-01-01T12:00:00Z'),
    Date.parse('2026-12-31T23:30:00Z'),
    Date.parse('2026-03-08T07:30:00Z'),
    Date.parse('2026-11-25T00:00:00Z'),
  );

  it.each(zones)(
    'gives the time, host, program and message start the RegExp parser gives, line after line (%s)',
    (_name, zone) => {
      fc.assert(
        fc.property(
          reference,
          fc.boolean(),
          fc.array(
            fc.oneof(
              { weight: 5, arbitrary: classicLine },
              { weight: 3, arbitrary: isoLine },
              { weight: 1, arbitrary: otherLine },
            ),
            {
              minLength: 1,
              maxLength: 20,
            },
          ),
          (ref, withYear, lines) => {
            // One context for a file's lines, as the engine passes it (the hour's start is reused).
            const ctx: YearContext = withYear
              ? { reference: ref, zone, year: zone.yearOf(ref) }
              : { reference: ref, zone };
            const out = stampedPrefix();
            for (const line of lines) {
              const want = oracleParsePrefix(line, ctx);
              expect(parsePrefix(line, ctx)).toEqual(want);
              const classic = parseStamped(line, ctx, out);
              if (classic) {
                expect({
                  time: out.time,
                  host: out.hostStart < 0 ? null : line.slice(out.hostStart, out.hostEnd),
                  program: out.programStart < 0 ? null : line.slice(out.programStart, out.programEnd),
                  messageStart: out.messageStart,
                }).toEqual(want);
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it('takes the fast path for classic and ISO-stamped lines and leaves other shapes to the RegExps', () => {
    const ctx = at('2026-11-25T00:00:00Z');
    const out = stampedPrefix();
    expect(parseStamped('<13>Nov 24 10:00:00.123456 gw sshd[1]: x', ctx, out)).toBe(true);
    expect(iso(out.time)).toBe('2026-11-24T10:00:00.000Z');
    expect(parseStamped('Nov 24 10:00:00.1234567 gw sshd[1]: x', ctx, out)).toBe(false);
    expect(parseStamped('2026-11-24T10:00:00.987654+09:00 gw sshd-session[1]: x', ctx, out)).toBe(true);
    expect(iso(out.time)).toBe('2026-11-24T01:00:00.987Z');
    expect(out.programStart).toBe(36);
    expect(parseStamped('<34>1 2026-11-24T10:00:00Z gw sshd 1 - - x', ctx, out)).toBe(false);
    expect(parseStamped('11/24 10:00:00 yS0 login', ctx, out)).toBe(false);
  });
});

// ---- The oracle: parsePrefix as it was before the classic prefix was parsed by hand (RegExps). ----

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const PRI = /^<\d{1,3}>/;
const RFC3164 =
  /(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? /y;
const ISO = /(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)? /y;
const RFC5424 = /1 (-|\S+) (\S+) (\S+) (\S+) (\S+) /y;
const MGETTY = /(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) /y;
const SQUID = /(\d{9,11})\.(\d{3}) +-?\d+ /y;
const SLASHED = /(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) +/y;
const APACHE =
  /\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d{1,6})? (\d{4})\] /y;
const CLF =
  /\[(\d\d)\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]/;
const SAMBA = /\[(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)[.,\]]/y;
const HOST = /([^\s]+) /y;
const TAG = /([^\s[\]:]+)(?:\[[^\]\s]*\])?: ?/y;

function isoTime(m: RegExpExecArray, zone: Zone): number {
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const tz = m[8];
  if (!tz) return zone.toEpoch(y, mo - 1, d, h, mi, s) + Math.floor(ms);
  const base = Date.UTC(y, mo - 1, d, h, mi, s) + Math.floor(ms);
  if (tz === 'Z') return base;
  const sign = tz.startsWith('-') ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  return base - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

function hostAndTag(line: string, at: number, out: LinePrefix, hostNeedsTag = false): LinePrefix {
  // A tag right after the time means the writer left out the host (some daemons' own files).
  TAG.lastIndex = at;
  let t = TAG.exec(line);
  if (!t) {
    HOST.lastIndex = at;
    const h = HOST.exec(line);
    if (!h) {
      out.messageStart = at;
      return out;
    }
    // After an ISO stamp, a word is a host only when a tag follows it (applications' own logs).
    TAG.lastIndex = HOST.lastIndex;
    if (hostNeedsTag && !TAG.exec(line)) {
      out.messageStart = at;
      return out;
    }
    out.host = h[1] ?? null;
    at = HOST.lastIndex;
    TAG.lastIndex = at;
    t = TAG.exec(line);
  }
  if (t) {
    out.program = t[1] ?? null;
    out.messageStart = TAG.lastIndex;
  } else out.messageStart = at;
  return out;
}

/** The RegExp parser the hand-written classic path replaced, kept whole as the oracle. */
function oracleParsePrefix(line: string, ctx: YearContext): LinePrefix {
  const out: LinePrefix = { time: null, host: null, program: null, messageStart: 0 };
  let at = 0;
  const pri = PRI.exec(line);
  if (pri) at = pri[0].length;
  RFC3164.lastIndex = at;
  let m = RFC3164.exec(line);
  if (m) {
    const mo = MONTHS[m[1] as string] as number;
    const [d, h, mi, s] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
    out.time = ctx.zone.toEpoch(inferYear(mo, d, h, mi, s, ctx), mo, d, h, mi, s);
    return hostAndTag(line, RFC3164.lastIndex, out);
  }
  if (pri) {
    RFC5424.lastIndex = at;
    m = RFC5424.exec(line);
    if (m) {
      const ts = m[1] as string;
      if (ts !== '-') {
        ISO.lastIndex = 0;
        const iso = ISO.exec(`${ts} `);
        if (iso) out.time = isoTime(iso, ctx.zone);
      }
      out.host = m[2] === '-' ? null : (m[2] ?? null);
      out.program = m[3] === '-' ? null : (m[3] ?? null);
      out.messageStart = skipStructuredData(line, RFC5424.lastIndex);
      return out;
    }
  }
  ISO.lastIndex = at;
  m = ISO.exec(line);
  if (m) {
    out.time = isoTime(m, ctx.zone);
    return hostAndTag(line, ISO.lastIndex, out, true);
  }
  SQUID.lastIndex = 0;
  m = SQUID.exec(line);
  if (m) {
    out.time = Number(m[1]) * 1000 + Number(m[2]);
    return out;
  }
  MGETTY.lastIndex = 0;
  m = MGETTY.exec(line);
  if (m) {
    const [mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (mo >= 1 && mo <= 12) {
      out.time = ctx.zone.toEpoch(inferYear(mo - 1, d, h, mi, s, ctx), mo - 1, d, h, mi, s);
      out.messageStart = MGETTY.lastIndex;
      return out;
    }
  }
  SAMBA.lastIndex = 0;
  m = SAMBA.exec(line);
  if (m) {
    const [y, mo, d, h, mi, s] = stampFields(m);
    out.time = ctx.zone.toEpoch(y, mo - 1, d, h, mi, s);
    return out;
  }
  SLASHED.lastIndex = 0;
  m = SLASHED.exec(line);
  if (m) {
    const [y, mo, d, h, mi, s] = stampFields(m);
    out.time = ctx.zone.toEpoch(y, mo - 1, d, h, mi, s);
    out.messageStart = SLASHED.lastIndex;
    return out;
  }
  APACHE.lastIndex = 0;
  m = APACHE.exec(line);
  if (m) {
    const [d, h, mi, s, y] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    out.time = ctx.zone.toEpoch(y, MONTHS[m[1] as string] as number, d, h, mi, s);
    out.messageStart = APACHE.lastIndex;
    return out;
  }
  const clf = CLF.exec(line.length > 512 ? line.slice(0, 512) : line);
  if (clf) {
    const [d, y, h, mi, s, oh, om] = [clf[1], clf[3], clf[4], clf[5], clf[6], clf[8], clf[9]].map(Number);
    const sign = clf[7] === '-' ? -1 : 1;
    const mo = MONTHS[clf[2] as string] as number;
    out.time =
      Date.UTC(y as number, mo, d, h, mi, s) - sign * ((oh as number) * 60 + (om as number)) * 60_000;
  }
  return out;
}

/** Skips RFC 5424 structured data (`-` or `[id k="v"]...`, quotes may hold `]`), returning the message start. */
function skipStructuredData(line: string, at: number): number {
  if (line[at] === '-') return line[at + 1] === ' ' ? at + 2 : at + 1;
  while (line[at] === '[') {
    let i = at + 1;
    let quoted = false;
    for (; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === ']') break;
    }
    at = i + 1;
  }
  return line[at] === ' ' ? at + 1 : at;
}
