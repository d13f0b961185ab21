import type { YearContext } from '../core/tz.ts';
import { stampedPrefix, parseStamped, parsePrefix, stampFields } from '../logs/syslog.ts';
import type { ParsedLine } from './types.ts';

/**
 * Splits a log line into time, program, pid and message for the extractors, on top of src/logs's
 * `parsePrefix` (RFC 3164 with year inference, RFC 5424, ISO, CLF, mgetty, Samba, nginx, Apache). What it
 * adds, because the extractors need it and src/logs does not provide it:
 * - the pid (`sshd[123]:`, `prog(123):`, RFC 5424's PROCID), the key that joins sshd's lines;
 * - tags `parsePrefix` leaves alone: `prog[pid]` without a colon (proftpd), `[prog]` after a classic stamp,
 *   a `<auth.info>` facility before the host, a Solaris `[ID n fac.pri]` message id;
 * - stamps it does not read: TAI64N (daemontools' `@4000...`), ISO with a one-digit day.
 * A classic `Mmm dd hh:mm:ss host prog[pid]: ` line, by far the most common, or one stamped the ISO way
 * (`2026-11-24T10:00:00.123456+09:00 host prog[pid]: `, rsyslog's own default format) is read by
 * src/logs's `parseStamped` (character codes, the hour's start memoised); `line.test.ts` checks the split
 * against `parsePrefix` as the oracle.
 */

/** A line without time, tag or pid, for lines that need none of them. */
const NO_TAG = { program: '', pid: null } as const;

const TAI64N = /^@4000([0-9a-fA-F]{12})[0-9a-fA-F]{8} +/;
const ISO_SHORT_DAY = /^(\d{4})-(\d{2})-(\d)[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)? +/;
const BSD_FACILITY = /^<\w+\.\w+> +/;
/** The stamps parsePrefix reads before a daemon's own text: `YYYY/MM/DD hh:mm:ss `, Apache's `[Www Mmm ...] `. */
const SLASHED_OR_APACHE = /^(?:\d{4}\/\d\d\/\d\d |\[?[A-Z][a-z]{2} [A-Z][a-z]{2} )/;
/** `prog[pid]:`, `prog(pid):`, `prog:`, `prog[pid]` (proftpd logs no colon), `sshd(pam_unix)[pid]:`. */
const TAG = /^([A-Za-z0-9_./-]+(?:\(pam_unix\))?)(?:\[(\d+)\]:?|\((\d+)\):|:)$/;
const BRACKET_TAG = /^\[([A-Za-z0-9_./-]+)\]:?$/;
const HOSTNAME = /^[A-Za-z0-9_.:-]+$/;
const SOLARIS_MSGID = /^\[ID \d+ [\w.]+\] /;
const PID_IN_PARENS = /^(.+)\((\d+)\)$/;

function pidOf(line: string, open: number, close: number): number | null {
  if (open < 0 || close - open < 2 || close - open > 11) return null;
  let v = 0;
  for (let i = open + 1; i < close; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return v;
}

function firstToken(s: string): [string, string] {
  const i = s.indexOf(' ');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function oldTag(token: string): { program: string; pid: number | null } | null {
  const m = TAG.exec(token);
  if (!m) return null;
  const pid = m[2] ?? m[3];
  return { program: m[1] as string, pid: pid === undefined ? null : Number(pid) };
}

function tagged(
  program: string,
  pid: number | null,
  message: string,
  text: string,
  time: number | null,
): ParsedLine {
  const msg =
    message.charCodeAt(0) === 91 && SOLARIS_MSGID.test(message)
      ? message.replace(SOLARIS_MSGID, '')
      : message;
  return { program, pid, message: msg, text, time };
}

/** The tag forms `parsePrefix` does not take, in the text after a stamp (`rest`), host optional. */
function looseTag(rest: string, time: number | null, classic: boolean): ParsedLine {
  let r = rest;
  if (classic && r.charCodeAt(0) === 60 /* < */) {
    const f = BSD_FACILITY.exec(r);
    if (f) r = r.slice(f[0].length);
  }
  const [t1, after1] = firstToken(r);
  const tag1 = oldTag(t1);
  if (tag1) return tagged(tag1.program, tag1.pid, after1, r, time);
  if (classic) {
    const b = BRACKET_TAG.exec(t1);
    if (b) return tagged(b[1] as string, null, after1, r, time);
  }
  if (HOSTNAME.test(t1)) {
    const [t2, after2] = firstToken(after1);
    const tag2 = oldTag(t2);
    if (tag2) return tagged(tag2.program, tag2.pid, after2, after1, time);
  }
  return { ...NO_TAG, message: r, text: r, time };
}

function localTime(ctx: YearContext, y: number, mo: number, d: number, h: number, mi: number, s: number) {
  return ctx.zone.toEpoch(y, mo, d, h, mi, s);
}

/** Stamps src/logs does not read; null when the line has none of them. */
function otherStamp(line: string, ctx: YearContext): { time: number; rest: string } | null {
  let m = TAI64N.exec(line);
  if (m) {
    // TAI64 label minus 2^62; TAI runs ahead of UTC by 10 s + leap seconds (37 today): close enough for
    // windows of minutes.
    return { time: (Number.parseInt(m[1] as string, 16) - 10) * 1000, rest: line.slice(m[0].length) };
  }
  m = ISO_SHORT_DAY.exec(line);
  if (m) {
    const [y, mo, d, h, mi, s] = stampFields(m);
    return { time: localTime(ctx, y, mo - 1, d, h, mi, s), rest: line.slice(m[0].length) };
  }
  return null;
}

/**
 * One stream's line splitter. Holds the year context of the file (its mtime and zone: a year-less date gets
 * the year that does not put it after the file's last write) and a one-entry memo of the last classic stamp.
 */
export class LineSplitter {
  private readonly classicOut = stampedPrefix();
  /** After a `prefix` that returned true: the line's time (epoch ms). */
  time = 0;
  /** After `prefix`: where the tag (`prog[pid]: `) starts, where its name ends, and where the message starts. */
  tagStart = 0;
  nameEnd = 0;
  msgStart = 0;
  /** After `prefix`: the tag's `[` and `]` (-1 when it has no brackets). */
  open = -1;
  close = -1;

  constructor(private readonly ctx: YearContext) {}

  /** Splits one line (without its newline; a trailing CR is dropped). */
  split(raw: string): ParsedLine {
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    return this.classic(line) ?? this.general(line);
  }

  /**
   * `split` of a line (without CR) whose `prefix` was just read, true, and is still in the fields: the same
   * ParsedLine without reading the prefix a second time (the attack fast path reads it first, and gives the
   * lines it does not take, dovecot's and postfix's, to `split`).
   */
  splitPrefixed(line: string): ParsedLine {
    return this.classicFields(line);
  }

  /**
   * Reads a classic `[<PRI>]Mmm dd hh:mm:ss [host ]prog[pid]: ` or ISO-stamped prefix (src/logs's parseStamped, by character
   * codes, the hour's start memoised) into this splitter's fields (`time`, `tagStart`, `nameEnd`, `open`,
   * `close`, `msgStart`) without allocating; false for other shapes and for lines without a tag. The attack
   * fast path reads the fields directly; `split` builds a ParsedLine from them.
   */
  prefix(line: string): boolean {
    const c = this.classicOut;
    if (!parseStamped(line, this.ctx, c) || c.programStart < 0) return false;
    this.time = c.time;
    this.tagStart = c.programStart;
    this.nameEnd = c.programEnd;
    this.msgStart = c.messageStart;
    if (line.charCodeAt(c.programEnd) === 91 /* [ */) {
      this.open = c.programEnd;
      this.close = line.indexOf(']', c.programEnd);
    } else {
      this.open = -1;
      this.close = -1;
    }
    return true;
  }

  /** The pid in the tag's brackets after a successful `prefix`, or null. */
  pid(line: string): number | null {
    return pidOf(line, this.open, this.close);
  }

  /** `Mmm dd hh:mm:ss host prog[pid]: msg` (or without host) by character codes; null for other shapes. */
  private classic(line: string): ParsedLine | null {
    return this.prefix(line) ? this.classicFields(line) : null;
  }

  /** The ParsedLine of a line whose `prefix` is in the fields. */
  private classicFields(line: string): ParsedLine {
    const { time, tagStart, nameEnd, msgStart } = this;
    const program = line.slice(tagStart, nameEnd);
    if (this.open < 0 && program.charCodeAt(program.length - 1) === 41 /* ) */) {
      const p = PID_IN_PARENS.exec(program);
      if (p && !(p[1] as string).endsWith('(pam_unix'))
        return tagged(p[1] as string, Number(p[2]), line.slice(msgStart), line.slice(tagStart), time);
    }
    return tagged(
      program,
      pidOf(line, this.open, this.close),
      line.slice(msgStart),
      line.slice(tagStart),
      time,
    );
  }

  /** Every other shape: parsePrefix, then the forms it leaves untagged. */
  private general(line: string): ParsedLine {
    const p = parsePrefix(line, this.ctx);
    const classic = p.time !== null && /^(?:<\d{1,3}>)?[A-Z][a-z]{2} /.test(line);
    if (p.program !== null) {
      const rfc5424 = line.charCodeAt(0) === 60 && /^<\d{1,3}>1 /.test(line);
      if (rfc5424) {
        const fields = line.split(' ', 5);
        const procid = fields[4] ?? '-';
        const pid = /^\d{1,10}$/.test(procid) ? Number(procid) : null;
        const msg = line.slice(p.messageStart);
        return tagged(p.program, pid, msg, msg, p.time);
      }
      // The tag ends just before messageStart: `name[pid]: ` or `name: `.
      let end = p.messageStart;
      if (line.charCodeAt(end - 1) === 32) end--;
      end--; // the colon
      let open = -1;
      if (line.charCodeAt(end - 1) === 93) open = line.lastIndexOf('[', end - 1);
      const nameEnd = open >= 0 ? open : end;
      const start = nameEnd - p.program.length;
      let program = p.program;
      let pid = open >= 0 ? pidOf(line, open, end - 1) : null;
      const paren = open < 0 ? PID_IN_PARENS.exec(program) : null;
      if (paren && !(paren[1] as string).endsWith('(pam_unix')) {
        program = paren[1] as string;
        pid = Number(paren[2]);
      }
      return tagged(program, pid, line.slice(p.messageStart), line.slice(start), p.time);
    }
    if (p.time !== null && p.messageStart > 0 && SLASHED_OR_APACHE.test(line)) {
      // `2024/06/30 10:00:00 ` (nginx, and daemons' own files) or Apache's `[Sun Jun 30 ...] `: a tag may follow.
      return looseTag(line.slice(p.messageStart), p.time, false);
    }
    if (p.time !== null) {
      // A stamp without a tag parsePrefix knows: the rest after the stamp (host included, as `text`).
      const rest = classic
        ? line.replace(/^(?:<\d{1,3}>)?[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d{1,6})? /, '')
        : null;
      if (rest !== null && rest !== line) return looseTag(rest, p.time, true);
      const iso =
        /^(?:<\d{1,3}>)?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)? /.exec(line);
      if (iso) return looseTag(line.slice(iso[0].length), p.time, false);
      // CLF, Samba, mgetty: the daemon's own format, read whole by its extractor.
      return { ...NO_TAG, message: line, text: line, time: p.time };
    }
    const other = otherStamp(line, this.ctx);
    if (other) return looseTag(other.rest, other.time, false);
    return looseTag(line, null, false);
  }
}
