/**
 * Parser of mgetty's logs: the per-line log (`/var/log/mgetty.ttyS0`, `mgetty.log.ttyS0`,
 * `/var/log/mgetty/mg_ttyS0.log`, vgetty's too) and the same program's lines in syslog (`mgetty[612]: ...`).
 * Pure: text in, entries and calls out; the file's mtime and the host's zone are parameters.
 *
 * Formats, from mgetty's logfile.c and the texinfo manual's "logfiles" section:
 *   `MM/DD HH:MM:SS <infix> <message>`      infix = last 3 characters of the device (`yS0`, `dem` for
 *                                            /dev/modem), followed by one or more spaces (levels indent)
 *   `MM/DD HH:MM:SS ##### <audit>`          audit lines carry no infix; the device is in `dev=`
 *   `--`                                     written when a new mgetty process first opens the log
 *   `Mar  3 20:45:59 host mgetty[4038]: <audit or error>`   syslog: audit lines without `#####`, errors
 * Audit lines (login.c, mgetty.c, faxrec.c): `data dev=ttyS0, pid=4038, caller='none', conn='38400/V.32',
 * name='', cmd='/bin/login', user='mbox'`, `failed A_FAIL dev=...`, `failed timeout dev=...`,
 * `failed in mg_init_data, dev=..., pid=...`, `failed dev=..., pid=..., got signal 15, exiting`,
 * `fax dev=..., pid=..., caller=..., name='', id='...', +FHNG=100, pages=1, time=00:00:29`,
 * `denied caller dev=...`, `rejected, rings=2`, `phone stopped ringing (rings=1, dev=..., pid=..., caller='')`,
 * `missed ringback!`, `exit dev=..., pid=..., got signal USR2, exiting`.
 * A call is answered when the chat `waiting for ``CONNECT''` ends in ` ** found **` (appended to the last
 * line logged, which at higher debug levels is a `got:`/`CND:` line) or `wfr: found action string:
 * ``CONNECT''` (auto-answer). mgetty then exec()s login in the same process: the wtmp record's pid is
 * mgetty's pid (the `data` line's `pid=`, or the `user id: 0, pid: 612, parent pid: 1` line).
 */
import type { Evidence } from '../core/report.ts';
import { clip } from '../core/sanitize.ts';
import { inferYears, laterPass } from '../core/tz.ts';
import { instantOf, type WallStamp, type WallTime, zoneOf } from './time.ts';

/** Kinds of modem trouble mgetty logs; grouped into one finding each per line. */
export const MODEM_ISSUES = [
  'dsr-off',
  'no-dialtone',
  'no-response',
  'init-failed',
  'lock',
  'gave-up',
  'warning',
] as const;

/** A kind of modem trouble. */
export type ModemIssueKind = (typeof MODEM_ISSUES)[number];

/** First match wins; `warning` catches the other WARNING lines mgetty writes. */
const ISSUE_PATTERNS: readonly (readonly [ModemIssueKind, RegExp])[] = [
  ['dsr-off', /\bDSR is off\b/i],
  ['no-dialtone', /\bNO[ _-]?DIAL[ _-]?TONE\b/i],
  ['no-response', /doesn'?t react|not responding|no response from (?:the )?modem/i],
  [
    'init-failed',
    /init chat (?:failed|timed out)|failed in mg_init_data|mg_init_device failed|cannot get terminal line|open device \S+ failed|cannot (?:open|get|set) (?:line|TIO)\b|modem initiali[sz]ation failed/i,
  ],
  [
    'lock',
    /can'?t lock|cannot lock|could not lock|lock not made: link|cannot create tempfile|cannot get lock name|compiled with (?:ascii|binary) locks|junk on the line/i,
  ],
  ['gave-up', /giving up|gave up/i],
  ['warning', /^\s*WARNING\b|\bwarning:/i],
];

/** Which kind of modem trouble a message reports, if any. */
export function modemIssue(message: string): ModemIssueKind | null {
  for (const [kind, re] of ISSUE_PATTERNS) if (re.test(message)) return kind;
  return null;
}

/** Audit record types (the word(s) that start an audit line). */
export type AuditType =
  | 'data'
  | 'failed'
  | 'init-failed'
  | 'signal'
  | 'fax'
  | 'denied'
  | 'rejected'
  | 'stopped'
  | 'ringback'
  | 'exit'
  | 'other';

/** One parsed audit line. Field values are untrusted (`user` is what the caller typed). */
export interface Audit {
  type: AuditType;
  /** For `failed`: `A_FAIL` or `timeout`. */
  reason: string | null;
  dev: string | null;
  pid: number | null;
  fields: Record<string, string>;
}

const AUDIT_START = /^(data|failed|fax|denied caller|rejected|phone stopped ringing|missed ringback|exit)\b/;

/**
 * Splits `key=value, key='quoted, value', ...` into fields. Hand-written because quoted values may hold
 * commas and quotes; a quoted value ends at a quote followed by `, key=`, `)` or the end of the line, and
 * `user` (what the caller typed, last on the line) runs to the line's last quote so it cannot forge fields.
 */
export function auditFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const keyRe = /(?:^|[\s,(])([A-Za-z+][\w+]*)=/g;
  let m: RegExpExecArray | null;
  while ((m = keyRe.exec(text)) !== null) {
    const name = m[1] as string;
    let pos = keyRe.lastIndex;
    let value: string;
    if (text[pos] === "'") {
      let end: number;
      if (name === 'user') end = text.lastIndexOf("'");
      else {
        end = pos + 1;
        for (;;) {
          end = text.indexOf("'", end);
          if (end < 0 || /^'(?:,\s*[A-Za-z+][\w+]*=|\)|\s*$)/.test(text.slice(end, end + 40))) break;
          end++;
        }
      }
      if (end <= pos) end = text.length;
      value = text.slice(pos + 1, end);
      pos = end + 1;
    } else {
      const stop = text.slice(pos).search(/[,)]/);
      const end = stop < 0 ? text.length : pos + stop;
      value = text.slice(pos, end).trim();
      pos = end;
    }
    if (!(name in fields)) fields[name] = value;
    keyRe.lastIndex = pos;
  }
  return fields;
}

/** Parses an audit message (after `##### ` in the per-line log, or a syslog message); null if it is none. */
export function parseAudit(message: string): Audit | null {
  const start = AUDIT_START.exec(message);
  if (!start) return null;
  const fields = auditFields(message);
  let type: AuditType;
  let reason: string | null = null;
  const word = start[1] as string;
  if (word === 'data') type = 'data';
  else if (word === 'fax') type = 'fax';
  else if (word === 'denied caller') type = 'denied';
  else if (word === 'rejected') type = 'rejected';
  else if (word === 'phone stopped ringing') type = 'stopped';
  else if (word === 'missed ringback') type = 'ringback';
  else if (word === 'exit') type = 'exit';
  else {
    const f = /^failed (A_FAIL|timeout)\b/.exec(message);
    if (f) {
      type = 'failed';
      reason = f[1] as string;
    } else if (/^failed in mg_init_data/.test(message)) type = 'init-failed';
    else if (/got signal/.test(message)) type = 'signal';
    else type = 'other';
  }
  const pid = fields.pid !== undefined && /^\d+$/.test(fields.pid) ? Number(fields.pid) : null;
  return { type, reason, dev: fields.dev ?? null, pid, fields };
}

/** What one log line means for the dial-up check. */
export type MgettyEvent =
  | { type: 'separator' }
  | { type: 'start'; program: string; version: string }
  | { type: 'pid'; pid: number; parentPid: number | null }
  | { type: 'expect'; what: string; found: boolean }
  | { type: 'found' }
  | { type: 'connect' }
  | { type: 'chat-failed' }
  | { type: 'audit'; audit: Audit }
  | { type: 'other' };

/** One parsed line. */
export interface MgettyEntry {
  /** Where it came from, as the host sees it. */
  source: string;
  /** 1-based line number in the source. */
  lineNo: number;
  /** The line as written (CR removed); untrusted. */
  raw: string;
  /** `mgetty` for the per-line log, `syslog` for a syslog line. */
  format: 'mgetty' | 'syslog';
  time: Date;
  /** Local wall-clock time as written (with its inferred year), for the line's hours of use. */
  wall: WallTime;
  /** Device (`ttyS0`) when known. */
  tty: string | null;
  /** Process id when the line carries one (syslog prefix, audit `pid=`). */
  pid: number | null;
  message: string;
  event: MgettyEvent;
  issue: ModemIssueKind | null;
}

/** What the parser needs besides the text. */
export interface ParseOptions {
  /** Host path of the file, for evidence. */
  source: string;
  /** The file's last modification: the newest a line can be (year inference). */
  mtime: Date;
  /** The host's IANA zone; undefined = this process's local zone. */
  timeZone?: string | undefined;
  /** Device the file is for, from its name (`ttyS0` for `mgetty.log.ttyS0`), when known. */
  device?: string | null | undefined;
}

// The `s` flag: mgetty writes what the caller typed as is, and a CR or U+2028 in it must not lose the line.
const PER_LINE = /^(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) (.*)$/s;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SYSLOG_3164 = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ([mv]getty)\[(\d+)\]: ?(.*)$/s;
const SYSLOG_ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})? (\S+) ([mv]getty)\[(\d+)\]: ?(.*)$/s;

/**
 * Whether parseMgettyLog can make an entry of this line (it skips every other): the check keeps only such
 * lines of a big log, with their line numbers.
 */
export function mayBeEntry(line: string): boolean {
  const raw = line.endsWith('\r') ? line.slice(0, -1) : line;
  return raw === '--' || PER_LINE.test(raw) || SYSLOG_3164.test(raw) || SYSLOG_ISO.test(raw);
}

/** The device a log file is for, from its name: `mgetty.ttyS0`, `mgetty.log.ttyS0.1.gz`, `vg_ttyS3.log`. */
export function deviceFromFileName(name: string): string | null {
  const base = name
    .replace(/^.*\//, '')
    .replace(/\.gz$/, '')
    .replace(/\.\d+$/, '')
    .replace(/\.log$/, '');
  const m = /(?:^|[._-])((?:tty|cua)[A-Za-z0-9]+|modem)$/.exec(base);
  return m ? (m[1] as string) : null;
}

/**
 * Whether a device name from a syslog line can be a line mgetty serves: a serial port or modem (`ttyS0`,
 * `ttyUSB0`, `ttyACM0`, `ttyAMA0`, ISDN's `ttyI0`, `cua0`, `modem`), not a pseudo-terminal or a virtual console.
 * Anyone can write syslog lines (`logger -t mgetty ... dev=pts/0`): taken at their word, a forged line made
 * every ssh login on pts/0 a CRITICAL "login without a call".
 */
export function serialDevice(tty: string): boolean {
  return /^(?:tty(?:S|USB|ACM|AMA|I|HS|XR|MXUSB|SA|mxc|O|d|s)\d+|cua\w+|modem\w*)$/.test(tty);
}

const BREAK = /[\n\r\u2028\u2029]/g;

/** Index of the next line terminator (what `.` does not match) at or after `from`, or -1. */
function nextBreak(s: string, from: number): number {
  BREAK.lastIndex = from;
  return BREAK.exec(s)?.index ?? -1;
}

/** Index of the last line terminator of `s`, or -1. */
function lastBreak(s: string): number {
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return i;
  }
  return -1;
}

/**
 * The first `OPEN...''` of `s` with no line terminator inside (what `/OPEN(.*?)''/` finds), the text
 * between and the text after it; in linear time.
 */
function quoted(s: string, open: string): { what: string; rest: string } | null {
  for (let from = 0; ; ) {
    const i = s.indexOf(open, from);
    if (i < 0) return null;
    const c = i + open.length;
    const e = s.indexOf("''", c);
    if (e < 0) return null;
    const t = nextBreak(s, c);
    if (t < 0 || e < t) return { what: s.slice(c, e), rest: s.slice(e + 2) };
    from = t + 1; // no start before the break can reach past it
  }
}

/** Classifies a per-line log message (infix removed). */
function perLineEvent(message: string): MgettyEvent {
  const start = /^([mv]getty): (.+)$/.exec(message);
  if (start) return { type: 'start', program: start[1] as string, version: (start[2] as string).trim() };
  const pid = /^user id: \d+, pid: (\d+), parent pid: (\d+)/.exec(message);
  if (pid) return { type: 'pid', pid: Number(pid[1]), parentPid: Number(pid[2]) };
  // mgetty 1.2.1 names its pid after CONNECT, before its login prompt (the pid login will have).
  const utmpPid = /^looking for utmp entry\.\.\. \(PID: (\d+)\)/.exec(message);
  if (utmpPid) return { type: 'pid', pid: Number(utmpPid[1]), parentPid: null };
  // `/waiting for ``(.*?)''(.*)$/`: its tail `(.*)$` cannot cross a line break, so only the text after the
  // last one can hold it. Both patterns are spelled with indexOf: the lazy `(.*?)` ran to the end of the
  // line from every `waiting for ``` of a crafted one (quadratic).
  const last = lastBreak(message);
  const expect = quoted(last < 0 ? message : message.slice(last + 1), 'waiting for ``');
  if (expect) return { type: 'expect', what: expect.what, found: /\*\* found \*\*/.test(expect.rest) };
  const action = quoted(message, 'found action string: ``');
  if (action) return action.what === 'CONNECT' ? { type: 'connect' } : { type: 'chat-failed' };
  if (/\*\* found \*\*/.test(message)) return { type: 'found' };
  if (/timeout in chat script/.test(message)) return { type: 'chat-failed' };
  return { type: 'other' };
}

interface Pending {
  lineNo: number;
  raw: string;
  format: 'mgetty' | 'syslog';
  stamp: WallStamp | null;
  /** For ISO syslog lines: the exact instant and the wall time as written. */
  exact: { time: Date; wall: WallTime } | null;
  suffix: string | null;
  tty: string | null;
  pid: number | null;
  program: string;
  message: string;
  event: MgettyEvent;
}

function num(s: string | undefined): number {
  return Number(s);
}

/**
 * The modem trouble a pending line reports. One mgetty process that cannot initialise the modem logs it up
 * to three times (`init chat timed out, trying force-init-chat`, `init chat failed, exiting...`, the audit
 * line `failed in mg_init_data`) and exits: the failure counts once per process, as the DSR warning each
 * start logs does, else one failed initialisation counted three.
 */
function issueOf(p: Pending, initFailed: { run: number; seen: Set<string> }): ModemIssueKind | null {
  if (p.format === 'mgetty' && (p.event.type === 'separator' || p.event.type === 'start')) initFailed.run++;
  const issue =
    p.event.type === 'audit'
      ? p.event.audit.type === 'init-failed'
        ? 'init-failed'
        : null
      : modemIssue(p.message);
  if (issue !== 'init-failed') return issue;
  const proc = p.format === 'mgetty' ? `run ${initFailed.run}` : `pid ${p.pid}`;
  if (initFailed.seen.has(proc)) return null;
  initFailed.seen.add(proc);
  return issue;
}

/** A line longer than this is parsed by its first LONG_LINE_HEAD characters only. */
const MAX_LINE = 1 << 20;
const LONG_LINE_HEAD = 64 << 10;

/**
 * Parses a log's text into entries, in file order. Lines of other programs (a syslog file) and
 * continuation lines (modem output spread over lines) are skipped; per-line and syslog lines may be mixed.
 */
export function parseMgettyLog(text: string, opts: ParseOptions): MgettyEntry[] {
  const pending: Pending[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i] as string;
    // As src/logs reads a line over 1 MiB: only its first 64 KiB (a caller's input is written as typed).
    if (raw.length > MAX_LINE) raw = raw.slice(0, LONG_LINE_HEAD);
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw === '') continue;
    const lineNo = i + 1;
    if (raw === '--') {
      pending.push({
        lineNo,
        raw,
        format: 'mgetty',
        stamp: null,
        exact: null,
        suffix: null,
        tty: null,
        pid: null,
        program: 'mgetty',
        message: '',
        event: { type: 'separator' },
      });
      continue;
    }
    const pl = PER_LINE.exec(raw);
    if (pl) {
      const stamp = {
        month: num(pl[1]),
        day: num(pl[2]),
        hour: num(pl[3]),
        minute: num(pl[4]),
        second: num(pl[5]),
      };
      if (
        stamp.month < 1 ||
        stamp.month > 12 ||
        stamp.day < 1 ||
        stamp.day > 31 ||
        stamp.hour > 23 ||
        stamp.minute > 59 ||
        stamp.second > 60
      )
        continue;
      const rest = pl[6] as string;
      if (rest.startsWith('##### ')) {
        const message = rest.slice(6).trim();
        const audit = parseAudit(message);
        pending.push({
          lineNo,
          raw,
          format: 'mgetty',
          stamp,
          exact: null,
          suffix: null,
          tty: audit?.dev ?? null,
          pid: audit?.pid ?? null,
          program: 'mgetty',
          message,
          event: audit ? { type: 'audit', audit } : { type: 'other' },
        });
        continue;
      }
      // `(.*)$` cannot match across a line break: none then, without trying ` +` at every length.
      const infix = nextBreak(rest, 0) < 0 ? /^(\S{1,8}) +(.*)$/.exec(rest) : null;
      const suffix = infix ? (infix[1] as string) : null;
      const message = infix ? (infix[2] as string) : rest.trim();
      pending.push({
        lineNo,
        raw,
        format: 'mgetty',
        stamp,
        exact: null,
        suffix,
        tty: null,
        pid: null,
        program: 'mgetty',
        message,
        event: perLineEvent(message),
      });
      continue;
    }
    const sys = SYSLOG_3164.exec(raw);
    const iso = sys ? null : SYSLOG_ISO.exec(raw);
    if (!sys && !iso) continue;
    let stamp: WallStamp | null = null;
    let exact: Pending['exact'] = null;
    let program: string;
    let pid: number;
    let message: string;
    if (sys) {
      const month = MONTHS.indexOf(sys[1] as string) + 1;
      if (month === 0) continue;
      stamp = { month, day: num(sys[2]), hour: num(sys[3]), minute: num(sys[4]), second: num(sys[5]) };
      program = sys[7] as string;
      pid = num(sys[8]);
      message = sys[9] as string;
    } else {
      const m = iso as RegExpExecArray;
      const wall = {
        year: num(m[1]),
        month: num(m[2]),
        day: num(m[3]),
        hour: num(m[4]),
        minute: num(m[5]),
        second: num(m[6]),
      };
      const zone = m[7];
      let time: Date;
      if (zone === undefined) time = instantOf(wall, opts.timeZone);
      else {
        const off =
          zone === 'Z'
            ? 0
            : (zone.startsWith('-') ? -1 : 1) * (num(zone.slice(1, 3)) * 60 + num(zone.slice(-2)));
        time = new Date(
          Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - off * 60_000,
        );
      }
      exact = { time, wall };
      program = m[9] as string;
      pid = num(m[10]);
      message = m[11] as string;
    }
    const audit = parseAudit(message);
    pending.push({
      lineNo,
      raw,
      format: 'syslog',
      stamp,
      exact,
      suffix: null,
      tty: audit?.dev ?? null,
      pid: audit?.pid ?? pid,
      program,
      message,
      event: audit ? { type: 'audit', audit } : { type: 'other' },
    });
  }

  // Years: one pass over the stamped lines in order, anchored at the file's mtime.
  const stamped = pending.filter((p) => p.stamp !== null);
  const years = inferYears(
    stamped.map((p) => p.stamp as WallStamp),
    { reference: opts.mtime.getTime(), zone: zoneOf(opts.timeZone) },
  );
  const yearOf = new Map<Pending, number>();
  stamped.forEach((p, i) => yearOf.set(p, years[i] as number));

  // Devices: the file name's, else the `dev=` of an audit line whose name ends in the infix.
  const devices = new Set<string>();
  for (const p of pending) if (p.tty) devices.add(p.tty);
  const bySuffix = (suffix: string): string => {
    if (opts.device?.endsWith(suffix)) return opts.device;
    for (const d of devices) if (d.endsWith(suffix)) return d;
    return /^y/.test(suffix) ? `tt${suffix}` : suffix;
  };
  // Syslog lines without dev= (errors) belong to the device their pid audited elsewhere in the file.
  const devOfPid = new Map<number, string>();
  for (const p of pending) if (p.format === 'syslog' && p.tty && p.pid !== null) devOfPid.set(p.pid, p.tty);

  // A separator line has no time of its own: it takes the time of the next stamped line.
  const nextTimed = new Array<Pending | undefined>(pending.length);
  for (let i = pending.length - 1, next: Pending | undefined; i >= 0; i--) {
    nextTimed[i] = next;
    const p = pending[i] as Pending;
    if (p.stamp || p.exact) next = p;
  }

  const entries: MgettyEntry[] = [];
  // Which processes logged an init failure (a per-line log's runs by number, syslog's by pid).
  const initFailed = { run: 0, seen: new Set<string>() };
  let lastTime: { time: Date; wall: WallTime } | null = null;
  for (const [i, p] of pending.entries()) {
    let time: Date;
    let wall: WallTime;
    if (p.exact) ({ time, wall } = p.exact);
    else if (p.stamp) {
      wall = { year: yearOf.get(p) as number, ...p.stamp };
      time = instantOf(wall, opts.timeZone);
      // mgetty writes in time order: a stamp well before the line before, in the hour the clocks fell back,
      // is that hour's second pass (a call and its login there were an hour apart).
      const before = lastTime?.time.getTime();
      if (before !== undefined && time.getTime() < before - 600_000) {
        const later = laterPass(zoneOf(opts.timeZone), time.getTime());
        if (later !== null && later >= before - 600_000) time = new Date(later);
      }
    } else {
      const next = nextTimed[i];
      if (next?.exact) ({ time, wall } = next.exact);
      else if (next?.stamp) {
        wall = { year: yearOf.get(next) as number, ...next.stamp };
        time = instantOf(wall, opts.timeZone);
      } else if (lastTime) ({ time, wall } = lastTime);
      else continue;
    }
    lastTime = { time, wall };
    let tty = p.tty;
    if (!tty && p.suffix) tty = bySuffix(p.suffix);
    if (!tty && p.format === 'syslog' && p.pid !== null) tty = devOfPid.get(p.pid) ?? null;
    if (!tty && p.format === 'mgetty') tty = opts.device ?? null;
    entries.push({
      source: opts.source,
      lineNo: p.lineNo,
      raw: p.raw,
      format: p.format,
      time,
      wall,
      tty,
      pid: p.pid,
      message: p.message,
      event: p.event,
      issue: issueOf(p, initFailed),
    });
  }
  return entries;
}

/** How an answered call ended, as far as mgetty knows. */
export type CallOutcome =
  /** mgetty handed the caller to a login program (`data ... cmd='/bin/login'`). */
  | 'login'
  /** mgetty handed the call to another program (uucico, pppd via AutoPPP): no login record expected. */
  | 'handoff'
  /** The modem did not connect (`failed A_FAIL` / `failed timeout`). */
  | 'failed'
  | 'fax'
  /** CONNECT seen, then nothing: the caller hung up at the prompt, or the log ends. */
  | 'connect';

/** One incoming call on a line. */
export interface Call {
  line: string;
  /** When the call was answered (CONNECT), else the audit line's time. */
  start: Date;
  wall: WallTime;
  /** The audit line's time, when there is one. */
  auditTime: Date | null;
  /** mgetty's pid: the login record's pid when login was exec'd. */
  pid: number | null;
  outcome: CallOutcome;
  audit: Audit | null;
  evidence: Evidence[];
}

/** A call mgetty did not answer (caller ID denied, /etc/nologin.<tty>, stopped ringing). */
export interface Unanswered {
  line: string;
  time: Date;
  type: AuditType;
  evidence: Evidence;
}

/**
 * Evidence of an entry: its text clipped like every log line in a report, without the NULs a power loss
 * leaves after mgetty's last line (it writes the newline before each line, so they join that line).
 */
export function evidenceOf(e: MgettyEntry): Evidence {
  return {
    source: e.source,
    line: e.lineNo,
    time: e.time.toISOString(),
    text: clip(e.raw.replace(/\0+$/, ''), 2000),
  };
}

function outcomeOf(audit: Audit): CallOutcome | null {
  if (audit.type === 'fax') return 'fax';
  if (audit.type === 'failed') return 'failed';
  if (audit.type !== 'data') return null;
  const cmd = audit.fields.cmd ?? '';
  return /(?:^|\/)login$/.test(cmd) || cmd === '' ? 'login' : 'handoff';
}

/**
 * Calls and unanswered rings from parsed entries. Per-line logs are read as a state machine per file and
 * device (a `--` or `mgetty:` line starts a new process; `user id: .., pid: N` gives its pid; CONNECT opens a
 * call that the next audit line completes); syslog audit lines are calls on their own. The same call seen in
 * both a per-line log and syslog is merged (same line, pid and outcome, audit times within 2 s).
 */
export function extractCalls(entries: readonly MgettyEntry[]): { calls: Call[]; unanswered: Unanswered[] } {
  const calls: Call[] = [];
  const unanswered: Unanswered[] = [];
  interface State {
    pid: number | null;
    expecting: string | null;
    open: Call | null;
  }
  const states = new Map<string, State>();
  const close = (s: State): void => {
    if (s.open) calls.push(s.open);
    s.open = null;
  };
  const open = (e: MgettyEntry, line: string, pid: number | null): Call => ({
    line,
    start: e.time,
    wall: e.wall,
    auditTime: null,
    pid,
    outcome: 'connect',
    audit: null,
    evidence: [evidenceOf(e)],
  });
  for (const e of entries) {
    if (e.format === 'syslog') {
      if (e.event.type !== 'audit' || !e.tty) continue;
      const audit = e.event.audit;
      const outcome = outcomeOf(audit);
      if (outcome) calls.push({ ...open(e, e.tty, audit.pid ?? e.pid), auditTime: e.time, outcome, audit });
      else if (['denied', 'rejected', 'stopped', 'ringback'].includes(audit.type))
        unanswered.push({ line: e.tty, time: e.time, type: audit.type, evidence: evidenceOf(e) });
      continue;
    }
    const key = `${e.source}\0${e.tty ?? ''}`;
    let s = states.get(key);
    if (!s) {
      s = { pid: null, expecting: null, open: null };
      states.set(key, s);
    }
    const ev = e.event;
    const connect = (): void => {
      if (!e.tty) return;
      const st = s;
      close(st);
      st.open = open(e, e.tty, st.pid);
    };
    switch (ev.type) {
      case 'separator':
      case 'start':
        close(s);
        s.pid = null;
        s.expecting = null;
        break;
      case 'pid':
        if (s.open && s.open.pid !== null && s.open.pid !== ev.pid) close(s);
        // The pid named after CONNECT is the call's: it was opened before mgetty said it.
        if (s.open && s.open.pid === null) s.open.pid = ev.pid;
        s.pid = ev.pid;
        break;
      case 'expect':
        if (ev.found) {
          if (ev.what === 'CONNECT') connect();
          s.expecting = null;
        } else s.expecting = ev.what;
        break;
      case 'found':
        if (s.expecting === 'CONNECT') connect();
        s.expecting = null;
        break;
      case 'connect':
        connect();
        s.expecting = null;
        break;
      case 'chat-failed':
        s.expecting = null;
        break;
      case 'audit': {
        const audit = ev.audit;
        const line = audit.dev ?? e.tty;
        const outcome = outcomeOf(audit);
        if (audit.pid !== null) s.pid = audit.pid;
        if (outcome && line) {
          const o = s.open;
          if (o && o.line === line && (o.pid === null || audit.pid === null || o.pid === audit.pid)) {
            o.outcome = outcome;
            o.audit = audit;
            o.auditTime = e.time;
            o.pid = audit.pid ?? o.pid;
            o.evidence.push(evidenceOf(e));
            close(s);
          } else {
            close(s);
            calls.push({ ...open(e, line, audit.pid), auditTime: e.time, outcome, audit });
          }
        } else {
          // The process that took the call ends (a hang-up's `got signal 1`): its pid is the call's.
          const o = s.open;
          if (o && o.pid === null && audit.pid !== null && o.line === line) o.pid = audit.pid;
          close(s);
          if (line && ['denied', 'rejected', 'stopped', 'ringback'].includes(audit.type))
            unanswered.push({ line, time: e.time, type: audit.type, evidence: evidenceOf(e) });
        }
        break;
      }
      case 'other':
        break;
    }
  }
  for (const s of states.values()) close(s);
  return { calls: mergeCalls(calls), unanswered };
}

/** How far apart two sources may stamp the same call's audit line (ms). */
const TWIN_AUDIT_MS = 2000;
/** Twins start within minutes of each other on the same line: a call looks back this far (ms) for its twin. */
const TWIN_LOOKBACK_MS = 3_600_000;

/** `localeCompare`'s order (the same default collator), made once instead of at every comparison. */
const LINE_ORDER = new Intl.Collator();

/**
 * Merges the same call seen in two sources (per-line log and syslog), keeping the earliest start. Twins have
 * the same line, outcome and pid and audit times within 2 s; of the calls that started up to an hour before,
 * the one merged into is the latest. Candidates are indexed by line, outcome, pid and 2-second slot of the
 * audit time, and each merged call keeps a set of its evidence: linear in the calls (syslog lines anyone
 * can write with `logger`; scanning back over every call of the hour made 80,000 of them take minutes).
 */
export function mergeCalls(calls: readonly Call[]): Call[] {
  // Most calls share their line: equal strings compare equal without asking the collator.
  const byLine = (a: Call, b: Call): number => (a.line === b.line ? 0 : LINE_ORDER.compare(a.line, b.line));
  const sorted = [...calls].sort((a, b) => byLine(a, b) || a.start.getTime() - b.start.getTime());
  const out: Call[] = [];
  /** Merged calls that may take a twin, by line, outcome, pid and slot, in the order they were kept. */
  const slots = new Map<string, { call: Call; index: number }[]>();
  const slotKey = (c: Call, slot: number): string => `${slot}\0${c.pid}\0${c.outcome}\0${c.line}`;
  /** The evidence a merged call holds (source and line), made when a twin first joins it. */
  const held = new Map<Call, Set<string>>();
  const evidenceKey = (e: Evidence): string => `${e.line}\0${e.source}`;
  for (const c of sorted) {
    const audit = c.pid === null ? null : c.auditTime?.getTime();
    if (audit === null || audit === undefined) {
      // No pid or no audit time: never a twin, never has one.
      out.push({ ...c, evidence: [...c.evidence] });
      continue;
    }
    const slot = Math.floor(audit / TWIN_AUDIT_MS);
    const start = c.start.getTime();
    // The latest kept call (highest index) within the hour whose audit time is within 2 s. A slot's list is
    // in start order; two of its calls within an hour of each other would have been twins, so each list
    // holds at most one call in the window, and the look back stops at the first call before it.
    let twin: { call: Call; index: number } | undefined;
    for (let s = slot - 1; s <= slot + 1; s++) {
      const list = slots.get(slotKey(c, s));
      if (!list) continue;
      for (let i = list.length - 1; i >= 0; i--) {
        const o = list[i] as { call: Call; index: number };
        if (start - o.call.start.getTime() > TWIN_LOOKBACK_MS) break;
        if (Math.abs((o.call.auditTime as Date).getTime() - audit) > TWIN_AUDIT_MS) continue;
        if (!twin || o.index > twin.index) twin = o;
        break;
      }
    }
    if (!twin) {
      const kept = { ...c, evidence: [...c.evidence] };
      const key = slotKey(c, slot);
      const list = slots.get(key);
      const entry = { call: kept, index: out.length };
      if (list) list.push(entry);
      else slots.set(key, [entry]);
      out.push(kept);
      continue;
    }
    const into = twin.call;
    if (c.start < into.start) {
      into.start = c.start;
      into.wall = c.wall;
    }
    let seen = held.get(into);
    if (!seen) {
      seen = new Set(into.evidence.map(evidenceKey));
      held.set(into, seen);
    }
    for (const e of c.evidence) {
      const key = evidenceKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      into.evidence.push(e);
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || byLine(a, b));
}

/** Modem trouble of one kind on one line. */
export interface ModemIssueGroup {
  line: string;
  kind: ModemIssueKind;
  count: number;
  first: Date;
  last: Date;
  /** The first lines and the last one, as evidence. */
  samples: MgettyEntry[];
}

/** The modem-trouble lines that count, in order: a line with a per-line log takes them from there only. */
function countedIssues(entries: readonly MgettyEntry[]): MgettyEntry[] {
  const perLine = new Set(entries.filter((e) => e.format === 'mgetty' && e.tty).map((e) => e.tty as string));
  // mgetty copies its errors to syslog: counting both would double them.
  return entries.filter((e) => e.issue && !(e.format === 'syslog' && perLine.has(e.tty ?? 'unknown')));
}

/**
 * Groups modem-trouble lines by line and kind. A line with a per-line log takes its trouble from there only:
 * mgetty copies its errors to syslog, and counting both would double them.
 */
export function groupModemIssues(entries: readonly MgettyEntry[]): ModemIssueGroup[] {
  return groupIssues(countedIssues(entries));
}

/** Where counting a line's modem trouble stopped: the newest trouble line's time (ms) and how many had it. */
export interface ModemMark {
  time: number;
  count: number;
}

/**
 * Modem trouble from new log lines only: per line, the trouble lines after its mark (a later time, or past
 * the first `count` of the mark's own time, as logs are written in order), grouped; and the marks to keep.
 * Marks are times rather than file offsets: rotation moves lines between files, never changes their time.
 */
export function newModemIssues(
  entries: readonly MgettyEntry[],
  marks: ReadonlyMap<string, ModemMark>,
): { groups: ModemIssueGroup[]; marks: Map<string, ModemMark> } {
  const byLine = new Map<string, MgettyEntry[]>();
  for (const e of countedIssues(entries)) {
    const line = e.tty ?? 'unknown';
    const list = byLine.get(line) ?? [];
    list.push(e);
    byLine.set(line, list);
  }
  const fresh: MgettyEntry[] = [];
  const next = new Map<string, ModemMark>();
  for (const [line, list] of byLine) {
    // Stable: lines of the same time keep their order in the log.
    const sorted = [...list].sort((a, b) => a.time.getTime() - b.time.getTime());
    const mark = marks.get(line);
    let sameTime = 0;
    for (const e of sorted) {
      const t = e.time.getTime();
      if (!mark || t > mark.time) fresh.push(e);
      else if (t === mark.time && ++sameTime > mark.count) fresh.push(e);
    }
    const last = (sorted.at(-1) as MgettyEntry).time.getTime();
    next.set(line, { time: last, count: sorted.filter((e) => e.time.getTime() === last).length });
  }
  return { groups: groupIssues(fresh), marks: next };
}

/** Groups counted trouble lines by line and kind, in MODEM_ISSUES order per line. */
function groupIssues(entries: readonly MgettyEntry[]): ModemIssueGroup[] {
  const groups = new Map<string, ModemIssueGroup & { lastEntry: MgettyEntry }>();
  for (const e of entries) {
    if (!e.issue) continue;
    const line = e.tty ?? 'unknown';
    const key = `${line}\0${e.issue}`;
    const g = groups.get(key);
    if (!g) {
      groups.set(key, {
        line,
        kind: e.issue,
        count: 1,
        first: e.time,
        last: e.time,
        samples: [e],
        lastEntry: e,
      });
      continue;
    }
    g.count++;
    if (e.time < g.first) g.first = e.time;
    if (e.time >= g.last) {
      g.last = e.time;
      g.lastEntry = e;
    }
    if (g.samples.length < 2) g.samples.push(e);
  }
  return [...groups.values()]
    .map(({ lastEntry, ...g }) => ({
      ...g,
      samples: g.samples.includes(lastEntry) ? g.samples : [...g.samples, lastEntry],
    }))
    .sort(
      (a, b) => a.line.localeCompare(b.line) || MODEM_ISSUES.indexOf(a.kind) - MODEM_ISSUES.indexOf(b.kind),
    );
}
