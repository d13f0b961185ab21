/**
 * Syslog prefixes → time, host and program of a line: RFC 3164 (`Nov 24 10:00:00 host sendmail[5836]: ...`,
 * year inferred), RFC 5424 (`<34>1 2026-11-24T10:00:00Z host app pid msgid [sd] msg`), ISO timestamps as
 * rsyslog's high-precision format writes them, plus the time of Apache's common log format and mgetty
 * lines (`11/24 10:00:00 yS0 ...`) and Samba's `[2026/11/24 10:00:00, 0]`. Pure: the reference time and zone are parameters.
 */

/** What a line's prefix says. */
export interface LinePrefix {
  /** Epoch milliseconds, or null when the line has no recognisable time. */
  time: number | null;
  host: string | null;
  /** The syslog tag without its pid (`sendmail[5836]` → `sendmail`), or null. */
  program: string | null;
  /** Index in the line where the message (after the prefix) starts. */
  messageStart: number;
}

/** Converts wall-clock times of a zone to epoch milliseconds. */
export interface Zone {
  toEpoch(y: number, month0: number, d: number, h: number, mi: number, s: number): number;
  /** The calendar year, in this zone, of an epoch time. */
  yearOf(ms: number): number;
}

/** A zone from an IANA name (`Asia/Tokyo`, `UTC`), or the process's local zone when undefined. */
export function makeZone(tz: string | undefined): Zone {
  if (tz === undefined || tz === '') {
    const hours = new Map<number, number>(); // local hour → its epoch start; Date construction per line is slow
    return {
      toEpoch(y, mo, d, h, mi, s) {
        const key = ((y * 12 + mo) * 32 + d) * 24 + h;
        let start = hours.get(key);
        if (start === undefined) {
          start = new Date(y, mo, d, h, 0, 0).getTime();
          if (hours.size > 10_000) hours.clear();
          hours.set(key, start);
        }
        return start + mi * 60_000 + s * 1000;
      },
      yearOf: (ms) => new Date(ms).getFullYear(),
    };
  }
  if (tz === 'UTC' || tz === 'Etc/UTC' || tz === 'GMT') {
    return {
      toEpoch: (y, mo, d, h, mi, s) => Date.UTC(y, mo, d, h, mi, s),
      yearOf: (ms) => new Date(ms).getUTCFullYear(),
    };
  }
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const wall = (ms: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(
      p.year ?? 1970,
      (p.month ?? 1) - 1,
      p.day ?? 1,
      p.hour ?? 0,
      p.minute ?? 0,
      p.second ?? 0,
    );
  };
  const offsets = new Map<number, number>(); // hour (as UTC wall) → zone offset; Intl is slow, lines are many
  return {
    toEpoch(y, mo, d, h, mi, s) {
      const asUtc = Date.UTC(y, mo, d, h, mi, s);
      const key = Math.floor(asUtc / 3_600_000);
      let off = offsets.get(key);
      if (off === undefined) {
        off = wall(asUtc) - asUtc;
        const second = wall(asUtc - off) - (asUtc - off); // correct across a DST change
        off = second;
        if (offsets.size > 10_000) offsets.clear();
        offsets.set(key, off);
      }
      return asUtc - off;
    },
    yearOf: (ms) => new Date(wall(ms)).getUTCFullYear(),
  };
}

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
const CLF =
  /\[(\d\d)\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]/;
const SAMBA = /\[(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)[.,\]]/y;
const HOST = /([^\s]+) /y;
const TAG = /([^\s[\]:]+)(?:\[[^\]\s]*\])?: ?/y;

/** How RFC 3164 and mgetty times (no year) get one: lines are not newer than the file's last write. */
export interface YearContext {
  /** The file's modification time (epoch ms): the newest a line in it can be. */
  reference: number;
  zone: Zone;
  /** The reference's year in the zone, when already known (saves a conversion per line). */
  year?: number;
}

/**
 * Year of a yearless timestamp: the reference's year, or the one before when that would put the line
 * more than a day after the file was last written (a December line in a file written in January).
 */
export function inferYear(
  month0: number,
  day: number,
  h: number,
  mi: number,
  s: number,
  ctx: YearContext,
): number {
  const year = ctx.year ?? ctx.zone.yearOf(ctx.reference);
  const t = ctx.zone.toEpoch(year, month0, day, h, mi, s);
  return t > ctx.reference + 86_400_000 ? year - 1 : year;
}

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

function hostAndTag(line: string, at: number, out: LinePrefix): LinePrefix {
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

/** Parses the prefix of one line (latin1 or text; only ASCII matters here). */
export function parsePrefix(line: string, ctx: YearContext): LinePrefix {
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
    return hostAndTag(line, ISO.lastIndex, out);
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
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    out.time = ctx.zone.toEpoch(y, mo - 1, d, h, mi, s);
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

/** Whether a line's program belongs to a profile's syslog tag: exact, or `postfix` for `postfix/smtpd`. */
export function tagMatches(program: string, tag: string): boolean {
  return (
    program === tag || (program.length > tag.length && program.startsWith(tag) && program[tag.length] === '/')
  );
}
