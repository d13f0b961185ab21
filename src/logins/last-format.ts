/**
 * The text of util-linux `last` 2.38 (login-utils/last.c `list()` and the `begins` trailer), byte for byte
 * under LANG=C for the same TZ: column widths `%-8.*s %-12.12s %-16.*s %-*.*s %-*.*s %s`, its time formats,
 * durations (`(24855+03:14)`, ` (-00:02)`), the ftp/uucp tty shortening, and its escaping of unprintable
 * bytes (`\303`, `*A`). One deliberate difference: newline, carriage return and bell inside a field are
 * escaped too (`*J`, `*M`, `*G`), because `last` prints them raw and a crafted wtmp could forge lines.
 */
import { type EndKind, type LastEntry, shownLine } from './sessions.ts';
import type { Zone } from '../core/tz.ts';
import { ctime, ctimeShort, hhmm, isoTime } from './tz.ts';

/** `--time-format` values. */
export const TIME_FORMATS = ['notime', 'short', 'full', 'iso'] as const;

/** One of `notime`, `short`, `full` (`-F`), `iso`. */
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** Display options of `last` (what `list()` reads from its control struct). */
export interface FormatOptions {
  timeFormat: TimeFormat;
  /** false with `-R`. */
  showHost: boolean;
  /** `-a`: host in the last column. */
  hostLast: boolean;
  /** `-i`: the address from ut_addr_v6 instead of ut_host. */
  useIp: boolean;
  /** `-w`: full user (32) and host (256) names instead of 8 and 16. */
  fullNames: boolean;
  /** Start of the run in seconds (entries ending then print `still running`). */
  now: number;
  zone: Zone;
  /** The locale's codeset is UTF-8 (utf8Locale): valid printable multibyte characters print as they are. */
  utf8?: boolean;
}

const IN_LEN: Record<TimeFormat, number> = { notime: 0, short: 16, full: 24, iso: 25 };
const OUT_LEN: Record<TimeFormat, number> = { notime: 0, short: 7, full: 26, iso: 27 };

/** Formats one time as util-linux's `time_formatter` does for the login column or the trailer. */
function inTime(fmt: TimeFormat, sec: number, zone: Zone): string {
  if (fmt === 'notime') return '';
  if (fmt === 'iso') return isoTime(sec, zone);
  return ctime(sec, zone);
}

/** The login column: `inTime` cut to its width (`%-*.*s`). */
function loginColumn(fmt: TimeFormat, sec: number, zone: Zone): string {
  if (fmt === 'short') return ctimeShort(sec, zone);
  const t = inTime(fmt, sec, zone);
  const w = IN_LEN[fmt];
  return t.length === w ? t : col(t, w, w);
}

function outTime(fmt: TimeFormat, sec: number, zone: Zone): string {
  if (fmt === 'notime') return '';
  if (fmt === 'short') return hhmm(sec, zone);
  if (fmt === 'iso') return isoTime(sec, zone);
  return ctime(sec, zone);
}

/** printf `%02d` (the sign counts in the width). */
function d02(n: number): string {
  if (n < 0) return `-${String(-n)}`.padStart(2, '0');
  return n < 10 ? `0${n}` : String(n);
}

/** The `(days+hh:mm)` column for a session of `secs` seconds, with util-linux's sign quirks. */
export function durationText(secs: number): string {
  const mins = Math.trunc(secs / 60) % 60;
  const hours = Math.trunc(secs / 3600) % 24;
  const days = Math.trunc(secs / 86400);
  if (days) return `(${days}+${d02(Math.abs(hours))}:${d02(Math.abs(mins))})`;
  if (hours) return ` (${d02(hours)}:${d02(Math.abs(mins))})`;
  if (secs >= 0) return ` (${d02(hours)}:${d02(mins)})`;
  return ` (-00:${d02(Math.abs(mins))})`;
}

/** glibc `inet_ntop` for the 16 bytes of ut_addr_v6 (given as four big-endian words). */
export function addrText(addr: readonly [number, number, number, number]): string {
  const [a0, a1, a2, a3] = addr;
  const v4 = (w: number): string => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  // util-linux dns_lookup: IPv4-mapped, or the last three words zero, is IPv4 (in the first word).
  if (a0 === 0 && a1 === 0 && a2 === 0xffff) return v4(a3);
  if (a1 === 0 && a2 === 0 && a3 === 0) return v4(a0);
  const words: number[] = [];
  for (const w of addr) words.push(w >>> 16, w & 0xffff);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += v4(a3);
      break;
    }
    out += (words[i] as number).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/**
 * Whether the C library's LC_CTYPE codeset is UTF-8 for this environment: the first non-empty of LC_ALL,
 * LC_CTYPE and LANG, as glibc's setlocale(LC_ALL, "") picks it, naming a `.UTF-8` (or `.utf8`) locale.
 * `last` prints a user or host's valid multibyte characters only then (octal escapes in C/POSIX).
 */
export function utf8Locale(env: Readonly<Record<string, string | undefined>>): boolean {
  const name = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /\.utf-?8(?:@|$)/i.test(name);
}

/**
 * The length of the UTF-8 character at `i` of a byte string and its code point, as glibc's mbtowc takes
 * it (no overlong forms, no surrogates, nothing past U+10FFFF), or null for an invalid or cut sequence.
 */
function utf8At(s: string, i: number): { len: number; cp: number } | null {
  const b0 = s.charCodeAt(i);
  const len = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (len === 0 || i + len > s.length) return null;
  let cp = b0 & (0x7f >> len);
  for (let k = 1; k < len; k++) {
    const b = s.charCodeAt(i + k);
    if ((b & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  return { len, cp };
}

/**
 * glibc's iswprint in C.UTF-8: an assigned character that is not a control, nor U+2028/U+2029 (checked
 * against glibc 2.36, Unicode 14; Node's newer Unicode may call a few newer characters printable). Bidi
 * overrides and isolates are left out on purpose (as terminalSafe does): they reorder what the admin sees.
 */
function printableWide(cp: number): boolean {
  if (cp < 0xa0 || cp === 0x2028 || cp === 0x2029) return false;
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return false;
  return !/\p{Cn}/u.test(String.fromCodePoint(cp));
}

/**
 * util-linux `fputs_careful(line, stdout, '*', false)` on a whole line of bytes: printable ASCII and tab as
 * is, control characters as `*` + (c ^ 0x40) (newline, CR and bell too, here), other bytes as `\ooo`. In a
 * UTF-8 locale (`utf8`), a valid printable multibyte character is printed as it is (as text: the writer
 * encodes it back to the same bytes), and only the bytes of invalid or unprintable ones are escaped.
 */
export function careful(line: string, utf8 = false): string {
  // biome-ignore lint: control characters are the point
  if (!/[^\t\x20-\x7e]/.test(line)) return line;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 9) out += line[i];
    else if (c >= 0x80) {
      const ch = utf8 ? utf8At(line, i) : null;
      if (ch && printableWide(ch.cp)) {
        out += String.fromCodePoint(ch.cp);
        i += ch.len - 1;
      } else out += `\\${(c & 255).toString(8).padStart(3, ' ')}`;
    } else out += `*${String.fromCharCode(c ^ 0x40)}`;
  }
  return out;
}

const SPACES = ' '.repeat(32);

/** printf `%-MIN.MAXs` on a byte string. */
function col(s: string, min: number, max: number): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  if (cut.length >= min) return cut;
  return min - cut.length <= 32 ? cut + SPACES.slice(0, min - cut.length) : cut.padEnd(min);
}

function endColumns(e: LastEntry, o: FormatOptions): [string, string] {
  const fmt = o.timeFormat;
  const secs = e.logout - e.record.sec;
  let logout = `- ${outTime(fmt, e.logout, o.zone)}`;
  let length: string;
  const long = fmt === 'full' || fmt === 'iso';
  if (e.logout === o.now) {
    if (long) {
      logout = '  still running';
      length = '';
    } else {
      logout = '  still';
      length = 'running';
    }
  } else length = durationText(secs);
  const what: EndKind = e.end;
  switch (what) {
    case 'crash':
      logout = '- crash';
      break;
    case 'down':
      logout = '- down ';
      break;
    case 'still-logged-in':
      if (long) {
        logout = '  still logged in';
        length = '';
      } else {
        logout = '  still';
        length = 'logged in';
      }
      break;
    case 'gone':
      if (long) {
        logout = '  gone - no logout';
        length = '';
      } else if (fmt === 'short') {
        logout = '   gone';
        length = '- no logout';
      } else {
        logout = '';
        length = 'no logout';
      }
      break;
    case 'timechange':
      logout = '';
      length = '';
      break;
    case 'logout':
    case 'reboot':
      break;
  }
  return [logout, length];
}

/** The host column: ut_host (at most 255 bytes, as util-linux copies it), or with `-i` the address. */
function domainOf(e: LastEntry, o: FormatOptions): string {
  if (o.useIp) return addrText(e.record.addr);
  const h = e.record.host;
  return h.length > 255 ? h.slice(0, 255) : h;
}

/** One output line of `last` for the entry, newline included, escaped as util-linux prints it. */
export function formatEntry(e: LastEntry, o: FormatOptions): string {
  const fmt = o.timeFormat;
  const outLen = OUT_LEN[fmt];
  const nameLen = o.fullNames ? 32 : 8;
  const domainLen = o.fullNames ? 256 : 16;
  const [logout, length] = endColumns(e, o);
  const user = col(e.record.user, 8, nameLen);
  const line = col(shownLine(e.line), 12, 12);
  const times = `${loginColumn(fmt, e.record.sec, o.zone)} ${logout.length === outLen ? logout : col(logout, outLen, outLen)}`;
  let text: string;
  if (!o.showHost) text = `${user} ${line} ${times} ${length}`;
  else if (!o.hostLast) text = `${user} ${line} ${col(domainOf(e, o), 16, domainLen)} ${times} ${length}`;
  else text = `${user} ${line} ${times} ${col(length, 12, 12)} ${domainOf(e, o)}`;
  // trim_trailing_spaces: isspace() in the C locale (a loop: an anchored regex rescans every position).
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 32 && (c < 9 || c > 13)) break;
    end--;
  }
  return `${careful(end === text.length ? text : text.slice(0, end), o.utf8 === true)}\n`;
}

/** The `\nwtmp begins Wed Aug 28 03:00:00 2013\n` trailer (empty with `--time-format notime`). */
export function trailer(
  fileName: string,
  begins: number,
  o: Pick<FormatOptions, 'timeFormat' | 'zone'>,
): string {
  if (o.timeFormat === 'notime') return '';
  return `\n${fileName} begins ${inTime(o.timeFormat, begins, o.zone)}\n`;
}
