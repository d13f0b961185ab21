/**
 * util-linux `last` 2.38's session semantics (login-utils/last.c, process_wtmp_file), as data: records are
 * consumed newest first; a login is closed by the next record on the same tty (a logout, or the next login
 * there), by a shutdown (`down`) or a boot (`crash`) after it, else it is `still logged in` or, when its
 * process is gone, `gone - no logout`. Reboot, shutdown, run-level and clock-change records become entries of
 * their own (the latter three with `extended`, i.e. `last -x`). The same model feeds `tenken last`, the audit
 * and the per-user reports: a `LastEntry` is one login session (or one system event) with its end.
 */
import { UT, type UtmpRecord } from './utmp.ts';

/** util-linux's SHUTDOWN_TIME pseudo type (set for `~`/`shutdown` records). */
export const SHUTDOWN_TIME = 254;

/** How an entry ended, as `last` reports it (its R_* codes). */
export type EndKind =
  /** paired with a logout (or the next login) on the same tty: `- 12:34 (00:10)` */
  | 'logout'
  /** no logout, a boot came next: `- crash` */
  | 'crash'
  /** no logout, a shutdown came next: `- down` */
  | 'down'
  /** no logout and the login's process still runs: `still logged in` */
  | 'still-logged-in'
  /** no logout and the process is gone: `gone - no logout` */
  | 'gone'
  /** a boot record, ended by the next shutdown (or `still running`) */
  | 'reboot'
  /** a clock change (`last -x`): no end */
  | 'timechange';

/** What an entry is about. */
export type EntryKind = 'login' | 'reboot' | 'shutdown' | 'runlevel' | 'new-time' | 'old-time' | 'failed';

/** One line of `last`: a session (or system event) and how it ended. */
export interface LastEntry {
  kind: EntryKind;
  end: EndKind;
  /** The login (or event) record, as read. */
  record: UtmpRecord;
  /** The tty column as `last` shows it (`system boot`, `(to lvl 3)`, `ftp` for `ftp123`, ...), a byte string. */
  line: string;
  /** End time in seconds (logout, shutdown, next boot); 0 when there is none, `now` while running. */
  logout: number;
  /** Index of the source file in the merged history (0 = oldest), for evidence. */
  file: number;
  /**
   * The wtmpdb row's `ID` the entry was read from (a wtmpdb only), for evidence; a shutdown's is its boot's
   * row, whose `Logout` it is (wtmpdb keeps no shutdown row).
   */
  row?: number;
}

/** Records of the merged history, newest first, with the file they came from (a chunk of one file). */
export interface RecordBatch {
  records: readonly UtmpRecord[];
  file: number;
}

/** Wraps records (newest first) of one file as the batches lastEntries takes. */
export function* batches(records: Iterable<UtmpRecord>, file = 0, size = 1024): Generator<RecordBatch> {
  let buf: UtmpRecord[] = [];
  for (const r of records) {
    buf.push(r);
    if (buf.length >= size) {
      yield { records: buf, file };
      buf = [];
    }
  }
  if (buf.length > 0) yield { records: buf, file };
}

/** Options of the pairing pass (the parts of `last` that act while reading). */
export interface SessionOptions {
  /** Start of the run (seconds): open reboots and run levels end "now" and print `still running`. */
  now: number;
  /** `-x`: list shutdown, run-level and clock-change entries too. */
  extended?: boolean;
  /** `lastb`: every record is one failed login, no pairing. */
  lastb?: boolean;
  /** `-s` / `-t` in seconds: records outside are skipped before pairing (0 or absent = no limit). */
  since?: number;
  until?: number;
  /**
   * Whether an unclosed login's session still exists (util-linux `is_phantom`, inverted). On the live host
   * that checks boot time, the user, /proc/PID/loginuid or the tty owner; elsewhere tenken cannot know.
   */
  pidAlive: (record: UtmpRecord) => boolean;
  /** Called for a record `last` would warn about (`unrecognized ut_type`). */
  warn?: (message: string) => void;
}

function userIs(rec: UtmpRecord, prefix: string): boolean {
  return rec.user.startsWith(prefix);
}

/**
 * The entries `last` would list, newest first, from records given newest first. Lazy: stop iterating once
 * enough were taken (`-n`), and only the current tty map is kept in memory.
 */
export function* lastEntries(input: Iterable<RecordBatch>, opts: SessionOptions): Generator<LastEntry> {
  const now = opts.now;
  let lastboot = 0;
  let lastrch = now;
  let lastdown = now;
  let whydown: EndKind = 'crash';
  // util-linux keeps a list of later records per tty and uses the newest one with the same ut_line:
  // a map from tty to that newest record's time is the same thing.
  let ttys = new Map<string, number>();
  const since = opts.since ?? 0;
  const until = opts.until ?? 0;
  for (const { records, file } of input)
    for (const ut of records) {
      if (since && ut.sec < since) continue;
      if (until && until < ut.sec) continue;
      if (opts.lastb) {
        yield { kind: 'failed', end: 'logout', record: ut, line: ut.line, logout: ut.sec, file };
        continue;
      }
      let type = ut.type;
      if (ut.line.startsWith('~')) {
        if (userIs(ut, 'shutdown')) type = SHUTDOWN_TIME;
        else if (userIs(ut, 'reboot')) type = UT.BOOT_TIME;
        else if (userIs(ut, 'runlevel')) type = UT.RUN_LVL;
      } else {
        // "For stupid old applications that don't fill in ut_type correctly."
        if (type !== UT.DEAD_PROCESS && ut.user !== '' && ut.line !== '' && !userIs(ut, 'LOGIN'))
          type = UT.USER_PROCESS;
        if (ut.user === '') type = UT.DEAD_PROCESS;
        if (userIs(ut, 'date')) {
          if (ut.line.startsWith('|')) type = UT.OLD_TIME;
          if (ut.line.startsWith('{')) type = UT.NEW_TIME;
        }
      }
      let down = false;
      switch (type) {
        case SHUTDOWN_TIME:
          if (opts.extended)
            yield {
              kind: 'shutdown',
              end: 'logout',
              record: ut,
              line: 'system down',
              logout: lastboot,
              file,
            };
          lastdown = lastrch = ut.sec;
          down = true;
          break;
        case UT.OLD_TIME:
        case UT.NEW_TIME:
          if (opts.extended) {
            const nt = type === UT.NEW_TIME;
            yield {
              kind: nt ? 'new-time' : 'old-time',
              end: 'timechange',
              record: ut,
              line: nt ? 'new time' : 'old time',
              logout: lastdown,
              file,
            };
          }
          break;
        case UT.BOOT_TIME:
          yield { kind: 'reboot', end: 'reboot', record: ut, line: 'system boot', logout: lastdown, file };
          lastboot = ut.sec;
          down = true;
          break;
        case UT.RUN_LVL: {
          const x = ut.pid & 255;
          if (opts.extended) {
            // snprintf("(to lvl %c)") into ut_line: a NUL level cuts the string there.
            const line = x === 0 ? '(to lvl ' : `(to lvl ${String.fromCharCode(x)})`;
            yield { kind: 'runlevel', end: 'logout', record: ut, line, logout: lastrch, file };
          }
          if (x === 0x30 || x === 0x36) {
            lastdown = ut.sec;
            down = true;
            type = SHUTDOWN_TIME;
          }
          lastrch = ut.sec;
          break;
        }
        case UT.USER_PROCESS: {
          const closed = ttys.get(ut.line);
          if (closed !== undefined) {
            yield { kind: 'login', end: 'logout', record: ut, line: ut.line, logout: closed, file };
            ttys.delete(ut.line);
          } else {
            let end: EndKind;
            if (!lastboot) end = opts.pidAlive(ut) ? 'still-logged-in' : 'gone';
            else end = whydown;
            yield { kind: 'login', end, record: ut, line: ut.line, logout: lastboot, file };
          }
          if (ut.line !== '') ttys.set(ut.line, ut.sec);
          break;
        }
        case UT.DEAD_PROCESS:
          if (ut.line !== '') ttys.set(ut.line, ut.sec);
          break;
        case UT.EMPTY:
        case UT.INIT_PROCESS:
        case UT.LOGIN_PROCESS:
        case UT.ACCOUNTING:
          break;
        default:
          opts.warn?.(`unrecognized ut_type: ${type}`);
      }
      if (down) {
        lastboot = ut.sec;
        whydown = type === SHUTDOWN_TIME ? 'down' : 'crash';
        ttys = new Map();
      }
    }
}

/**
 * Failed logins (`lastb`) need no pairing: each btmp record is one attempt. Exported for the attack
 * detection, which counts them per source host and user.
 */
export function* failedLogins(
  records: Iterable<RecordBatch>,
  opts: { since?: number; until?: number },
): Generator<LastEntry> {
  yield* lastEntries(records, { now: 0, lastb: true, pidAlive: () => false, ...opts });
}

/** The ftp/uucp line shortening and the user/tty selection of `last NAME...` (util-linux `list`). */
export function shownLine(line: string): string {
  if (/^ftp\d/.test(line)) return 'ftp';
  if (/^uucp\d/.test(line)) return 'uucp';
  return line;
}

/**
 * Whether `last NAME...` lists the entry: a user name, a tty, or a tty without its `tty` prefix. The names
 * are text (argv, UTF-8) and the record's fields bytes (latin1 strings), so the names are compared as their
 * UTF-8 bytes, as util-linux's strncmp does.
 */
export function matchesShow(entry: LastEntry, show: readonly string[]): boolean {
  if (show.length === 0) return true;
  const line = shownLine(entry.line);
  const user = entry.record.user;
  // strncmp(ut_user, name, 32): a full 32-byte user matches any name that starts with it.
  const userMatches = (w: string): boolean => user === w || (user.length === 32 && w.slice(0, 32) === user);
  return show.some((name) => {
    const w = Buffer.from(name, 'utf8').toString('latin1');
    return userMatches(w) || line === w || (line.startsWith('tty') && line.slice(3) === w);
  });
}

/** Whether the entry covers the instant `present` (`last -p`); 0 = no filter. */
export function presentAt(entry: LastEntry, present: number): boolean {
  if (!present) return true;
  if (present < entry.record.sec) return false;
  if (entry.logout > 0 && entry.logout < present) return false;
  return true;
}
