/**
 * Correlation of incoming calls (mgetty's log) with login records (wtmp) per serial line: every login on a
 * dial-up line must follow a call answered on that line within a window, and mgetty's pid is the login's pid
 * (mgetty exec()s login), so when both carry a pid they must agree. Pure: calls, logins and options in,
 * per-line results out.
 */
import type { Call, Unanswered } from './mgetty.ts';
import { type HourRange, withinHours } from './time.ts';

/** How far a daylight-saving change moves local time (the repeated hour). */
const DST_SHIFT_SECONDS = 3600;
/** `ut_type` names (glibc bits/utmp.h). */
export type UtType =
  | 'EMPTY'
  | 'RUN_LVL'
  | 'BOOT_TIME'
  | 'NEW_TIME'
  | 'OLD_TIME'
  | 'INIT_PROCESS'
  | 'LOGIN_PROCESS'
  | 'USER_PROCESS'
  | 'DEAD_PROCESS'
  | 'ACCOUNTING'
  | 'UNKNOWN';

/** The part of a wtmp record the correlation needs. Text fields are untrusted. */
export interface LoginRecord {
  type: UtType;
  user: string;
  /** Line without `/dev/` (`ttyS0`). */
  line: string;
  time: Date;
  /** 0 when the writer set none. */
  pid: number;
  host: string;
  /** Host path of the file, and the 1-based record number, for evidence. */
  source?: string;
  index?: number;
  /** The wtmpdb row's ID, when the record was read from a wtmpdb (`source` is the database), for evidence. */
  row?: number;
}

/** Options of the correlation. */
export interface CorrelateOptions {
  /** A login must come at most this many seconds after its call was answered. */
  windowSeconds: number;
  /** The inspection time: calls younger than the window are not judged yet; open sessions end here. */
  now: Date;
  /** Allowed hours per line (`*` for every line); a line without an entry has no off-hours check. */
  hours?: Record<string, readonly HourRange[]>;
  /** Only judge events at or after this time. */
  since?: Date | undefined;
  /** Only these lines (default: every line a call log covers). */
  lines?: readonly string[] | undefined;
  /**
   * What the last run judged, per line (the check's state): only later logins and calls whose window closed
   * since are judged and counted. A line without a mark has everything judged.
   */
  marks?: ReadonlyMap<string, LineMark> | undefined;
}

/** How far a run judged one line (times in ms since the epoch), so the next run judges only what is new. */
export interface LineMark {
  /** Calls whose login window had closed by this time were judged. */
  callsTo: number;
  /** The newest login record on the line when it was judged, or null when it had none. */
  loginsTo: number | null;
}

/** A login and the call it followed. */
export interface Match {
  login: LoginRecord;
  call: Call;
  /** Seconds from the call's answer to the login. */
  seconds: number;
  /** True when both had a pid and they agree. */
  byPid: boolean;
}

/** A login session on the line, as `last` pairs them. */
export interface Session {
  login: LoginRecord;
  end: Date;
  seconds: number;
  /** No logout record yet: the session runs until `now`. */
  ongoing: boolean;
}

/** A call that led to no login, and why as far as the logs tell. */
export interface CallWithoutLogin {
  call: Call;
  /** `login-failed`: login ran but wrote no record (wrong password, gave up); `connect-failed`: the modems
   * did not connect (A_FAIL / timeout); `no-login`: CONNECT, then the caller left before login. */
  outcome: 'login-failed' | 'connect-failed' | 'no-login';
}

/** Everything found for one line. */
export interface LineResult {
  line: string;
  /** The earliest time the call log covers for this line: logins before it are not judged. */
  coverageStart: Date | null;
  /** Calls judged by this run: their login window closed (since the last run's mark, when there is one). */
  calls: Call[];
  /** USER_PROCESS records on the line that were matched or judged (dial-outs excluded). */
  logins: LoginRecord[];
  matches: Match[];
  loginsWithoutCall: { login: LoginRecord; previousCall: Call | null }[];
  callsWithoutLogin: CallWithoutLogin[];
  offHours: Call[];
  unanswered: Unanswered[];
  /** Records mgetty writes (user `dialout`) while another program dials out on the line. */
  dialouts: LoginRecord[];
  sessions: Session[];
  /** Logins before the call log begins (or within a window of its start) that no call explains: not judged. */
  loginsBeforeLog: number;
  /** When the log shows mgetty stopping on this line for good (nothing logged after), else null. */
  coverageEnd: Date | null;
  /** Logins after that stop that no call explains (another getty serves the line): not judged. */
  loginsAfterLog: number;
  /** Calls before wtmp's oldest record that no login explains (their logins may be rotated away): not judged. */
  callsBeforeWtmp: number;
  /** Calls whose login window is still open at `now`: judged by a later run. */
  callsPending: number;
  /** How far this run judged the line (the next run's mark). */
  mark: LineMark;
}

/** Input of the correlation. */
export interface CorrelateInput {
  calls: readonly Call[];
  unanswered: readonly Unanswered[];
  /**
   * wtmp's records: sessions need logouts and reboots too. At least those recordNeeded() keeps for the
   * lines reported on; any others are passed over.
   */
  records: readonly LoginRecord[];
  /** Per line, the earliest time its call log covers. */
  coverage: ReadonlyMap<string, Date>;
  /** Per line, when its log ends with mgetty stopping (a signal, an exit) and nothing after. */
  coverageEnd?: ReadonlyMap<string, Date>;
  /**
   * The earliest time wtmp covers (its oldest record), when known: a call before it may have led to a login
   * whose record rotation has dropped, so it is not judged. Undefined: wtmp covers everything.
   */
  wtmpStart?: Date | undefined;
}

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

/** `ttyS0` for `/dev/ttyS0` or `ttyS0`. */
export function normalLine(line: string): string {
  return line.replace(/^\/dev\//, '');
}

/** Index of the first element greater than x (or at least x with `orEqual`) in an ascending array. */
export function bound(sorted: readonly number[], x: number, orEqual = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v > x || (orEqual && v === x)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The items by key, each list in the items' order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Each login's session on its line, as `last` pairs them: it ends at the first later DEAD_PROCESS of its pid
 * (or without pids), a new getty or login record on the line, or a reboot; else it is still open at `now`.
 * Records are scanned from the login's place and the scan stops at the first ending, so this stays linear
 * in practice.
 */
function sessionsOf(
  logins: readonly LoginRecord[],
  lineRecords: readonly LoginRecord[],
  bootTimes: readonly number[],
  now: Date,
): Session[] {
  const times = lineRecords.map((r) => r.time.getTime());
  const out: Session[] = [];
  for (const login of logins) {
    let finish: number | null = null;
    for (let i = bound(times, login.time.getTime(), true); i < lineRecords.length; i++) {
      const r = lineRecords[i] as LoginRecord;
      if (r === login) continue;
      const ends =
        (r.type === 'DEAD_PROCESS' && (login.pid === 0 || r.pid === 0 || r.pid === login.pid)) ||
        r.type === 'USER_PROCESS' ||
        r.type === 'LOGIN_PROCESS' ||
        r.type === 'INIT_PROCESS';
      if (ends) {
        finish = r.time.getTime();
        break;
      }
    }
    const boot = bootTimes[bound(bootTimes, login.time.getTime())];
    if (boot !== undefined && (finish === null || boot < finish)) finish = boot;
    const stop = finish === null ? now : new Date(finish);
    out.push({
      login,
      end: stop,
      seconds: Math.max(0, sec(stop) - sec(login.time)),
      ongoing: finish === null,
    });
  }
  return out;
}

/**
 * How long before a login its call may have been answered when mgetty's hand-over to login is not logged
 * (no audit line): mgetty's own prompt waits up to `login-time` (240 s by default) before login runs.
 */
const PROMPT_SECONDS = 600;

/**
 * When a call's login window closes (seconds since the epoch): no later login can match it, so the call is
 * judged then. A login matches within the window after the hand-over (else the answer), or, with the call's
 * pid, up to mgetty's prompt time later.
 */
export function windowClose(call: Call, windowSeconds: number): number {
  const start = sec(call.start);
  const latest =
    call.pid !== null
      ? start + PROMPT_SECONDS
      : Math.min(sec(call.auditTime ?? call.start), start + PROMPT_SECONDS);
  return latest + windowSeconds;
}

/** One line's calls in start order, indexed for matching logins: by pid, and those without one. */
export interface LineCalls {
  calls: readonly Call[];
  /** Each call's start, in seconds. */
  starts: readonly number[];
  /** Positions in `calls`, ascending. */
  all: readonly number[];
  byPid: ReadonlyMap<number, readonly number[]>;
  noPid: readonly number[];
}

/** Indexes one line's calls, given in start order. */
export function indexCalls(calls: readonly Call[]): LineCalls {
  const byPid = new Map<number, number[]>();
  const noPid: number[] = [];
  calls.forEach((c, i) => {
    if (c.pid === null) noPid.push(i);
    else {
      const list = byPid.get(c.pid);
      if (list) list.push(i);
      else byPid.set(c.pid, [i]);
    }
  });
  return { calls, starts: calls.map((c) => sec(c.start)), all: calls.map((_, i) => i), byPid, noPid };
}

/** Index in `positions` of the first position whose start is greater than x (or at least x with `orEqual`). */
function boundIn(
  positions: readonly number[],
  starts: readonly number[],
  x: number,
  orEqual = false,
): number {
  let lo = 0;
  let hi = positions.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = starts[positions[mid] as number] as number;
    if (v > x || (orEqual && v === x)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The call a login follows, among those not `used` yet: the call answered last before it whose hand-over to
 * login (the audit line, else the answer) came within the window, preferring the call with the same pid (which
 * may be up to mgetty's prompt time older); a call whose pid differs from the login's never matches. Without
 * one, a call with its pid within the hour the clocks go back. Looks only at the calls of the login's pid, or
 * those without a pid, in its window: forged syslog calls by the hundred thousand made every login of the
 * line read all of them.
 */
export function callFor(
  index: LineCalls,
  login: LoginRecord,
  window: number,
  used: ReadonlySet<Call>,
): Call | undefined {
  const t = sec(login.time);
  const { calls, starts } = index;
  const usable = (c: Call): boolean =>
    !used.has(c) && (c.outcome === 'login' || c.outcome === 'handoff' || c.outcome === 'connect');
  const handedOver = (c: Call): boolean => sec(c.auditTime ?? c.start) >= t - window;
  /** The last call of `positions` answered in the login's window that passes `ok`. */
  const last = (positions: readonly number[] | undefined, ok: (c: Call) => boolean): Call | undefined => {
    if (!positions) return undefined;
    const from = boundIn(positions, starts, t - window - PROMPT_SECONDS, true);
    for (let i = boundIn(positions, starts, t) - 1; i >= from; i--) {
      const c = calls[positions[i] as number] as Call;
      if (ok(c)) return c;
    }
    return undefined;
  };
  if (!(login.pid > 0)) return last(index.all, (c) => usable(c) && handedOver(c));
  const mine = index.byPid.get(login.pid);
  const call = last(mine, usable) ?? last(index.noPid, (c) => usable(c) && handedOver(c));
  if (call) return call;
  // A call in the hour the clocks went back reads its local stamp as one of the two instants it names,
  // perhaps the wrong one: an hour off, its login (wtmp keeps UTC) found no call, a false "intrusion".
  // mgetty hands the line to login in the same process, so the same pid within that hour is that call.
  for (const i of mine ?? []) {
    const c = calls[i] as Call;
    if (
      !used.has(c) &&
      c.outcome !== 'failed' &&
      Math.abs(sec(c.auditTime ?? c.start) - t) <= DST_SHIFT_SECONDS + window
    )
      return c;
  }
  return undefined;
}

/**
 * The lines correlate() reports on: those its call log covers or that have calls or unanswered rings, only
 * those of `lines` when given.
 */
export function correlatedLines(
  input: Pick<CorrelateInput, 'calls' | 'unanswered' | 'coverage'>,
  lines?: readonly string[],
): Set<string> {
  const names = new Set<string>([
    ...input.coverage.keys(),
    ...input.calls.map((c) => c.line),
    ...input.unanswered.map((u) => u.line),
  ]);
  if (!lines) return names;
  const wanted = new Set(lines.map(normalLine));
  return new Set([...names].filter((l) => wanted.has(l)));
}

/**
 * Whether correlate() looks at a wtmp record of this type and line when it reports on `lines`
 * (correlatedLines): every record on those lines (logins, and the logouts and gettys that end their
 * sessions) and every boot (which ends all sessions). The others can be dropped as wtmp is read, so a
 * reader keeps only what the dial-up lines need, not the whole of wtmp.
 */
export function recordNeeded(type: UtType, line: string, lines: ReadonlySet<string>): boolean {
  return type === 'BOOT_TIME' || lines.has(normalLine(line));
}

/**
 * Correlates calls and logins per line. A login matches the call answered last before it on the same line
 * whose hand-over to login (the audit line, else the answer) came within the window, preferring the call
 * with the same pid; a call whose pid differs from the login's never matches. Each call matches one login
 * at most.
 */
export function correlate(input: CorrelateInput, opts: CorrelateOptions): LineResult[] {
  const window = opts.windowSeconds;
  const since = opts.since ? sec(opts.since) : -Infinity;
  const lineNames = correlatedLines(input, opts.lines);
  const records = [...input.records].sort((a, b) => a.time.getTime() - b.time.getTime());
  const boots = records.filter((r) => r.type === 'BOOT_TIME').map((r) => r.time.getTime());
  // Each line's calls, records and rings, in their order, grouped once: a filter of everything per line was
  // quadratic when forged syslog lines named a new line each (40,000 lines took 13 s).
  const callsOf = groupBy(input.calls, (c) => c.line);
  const recordsOf = groupBy(records, (r) => normalLine(r.line));
  const unansweredOf = groupBy(input.unanswered, (u) => u.line);
  const results: LineResult[] = [];
  for (const line of [...lineNames].sort()) {
    const coverageStart = input.coverage.get(line) ?? null;
    const calls = (callsOf.get(line) ?? []).sort((a, b) => a.start.getTime() - b.start.getTime());
    const lineRecords = recordsOf.get(line) ?? [];
    const users = lineRecords.filter((r) => r.type === 'USER_PROCESS');
    const dialouts = users.filter((r) => r.user === 'dialout');
    const judgedFrom = Math.max(since, coverageStart ? sec(coverageStart) + window : Infinity);
    const coverageEnd = input.coverageEnd?.get(line) ?? null;
    const judgedTo = coverageEnd ? sec(coverageEnd) + window : Infinity;
    let loginsAfterLog = 0;
    const all = users.filter((r) => r.user !== 'dialout');
    const logins: LoginRecord[] = [];
    let loginsBeforeLog = 0;
    const used = new Set<Call>();
    const matches: Match[] = [];
    const loginsWithoutCall: LineResult['loginsWithoutCall'] = [];
    // What the last run judged: its logins still take their calls (so those are not judged again as calls
    // without a login), but only later logins are counted and judged.
    const mark = opts.marks?.get(line);
    const loginsTo = mark?.loginsTo ?? null;
    const fresh = (r: LoginRecord): boolean => loginsTo === null || r.time.getTime() > loginsTo;
    // Logins from before the log (or too close to its start) are matched when they can be, never blamed.
    const index = indexCalls(calls);
    const starts = index.starts;
    for (const login of all.filter((r) => sec(r.time) >= since)) {
      const t = sec(login.time);
      const upTo = bound(starts, t);
      const call = callFor(index, login, window, used);
      if (call) used.add(call);
      // A record stamped after now (written while the clock was ahead) is judged once the clock has passed it:
      // judged now, its time became the mark, and every run until then judged the line afresh, again.
      if (!fresh(login) || t > sec(opts.now)) continue;
      if (call) {
        logins.push(login);
        matches.push({ login, call, seconds: t - sec(call.start), byPid: call.pid === login.pid });
      } else if (t >= judgedTo) loginsAfterLog++;
      else if (t >= judgedFrom) {
        logins.push(login);
        loginsWithoutCall.push({ login, previousCall: calls[upTo - 1] ?? null });
      } else loginsBeforeLog++;
    }
    // A call is judged (counted, compared, checked against the hours) once its login window has closed, by
    // this run or, when it closed before the last run's inspection time, by that one.
    const nowSec = sec(opts.now);
    const callsFrom = mark ? sec(new Date(mark.callsTo)) : -Infinity;
    const inSince = calls.filter((c) => sec(c.start) >= since);
    const judgedCalls = inSince.filter((c) => {
      const close = windowClose(c, window);
      return close > callsFrom && close <= nowSec;
    });
    const callsPending = inSince.filter((c) => windowClose(c, window) > nowSec).length;
    const wtmpFrom = input.wtmpStart ? sec(input.wtmpStart) : -Infinity;
    const callsWithoutLogin: CallWithoutLogin[] = [];
    let callsBeforeWtmp = 0;
    for (const call of judgedCalls) {
      if (used.has(call)) continue;
      // The mirror of loginsBeforeLog: wtmp cannot say whether a call older than its records led to a login.
      if (sec(call.start) < wtmpFrom) {
        if (call.outcome === 'login' || call.outcome === 'connect') callsBeforeWtmp++;
        else if (call.outcome === 'failed') callsWithoutLogin.push({ call, outcome: 'connect-failed' });
        continue;
      }
      if (call.outcome === 'login') callsWithoutLogin.push({ call, outcome: 'login-failed' });
      else if (call.outcome === 'failed') callsWithoutLogin.push({ call, outcome: 'connect-failed' });
      else if (call.outcome === 'connect') callsWithoutLogin.push({ call, outcome: 'no-login' });
    }
    const hours = opts.hours?.[line] ?? opts.hours?.['*'];
    const offHours = hours ? judgedCalls.filter((c) => !withinHours(hours, c.wall)) : [];
    // Unanswered rings are judged like calls, a window after them (a line mgetty writes late is not missed).
    const unanswered = (unansweredOf.get(line) ?? []).filter((u) => {
      const close = sec(u.time) + window;
      return sec(u.time) >= since && close > callsFrom && close <= nowSec;
    });
    const newest = users
      .filter((r) => r.time.getTime() <= opts.now.getTime())
      .reduce<number | null>((n, r) => Math.max(n ?? r.time.getTime(), r.time.getTime()), null);
    // The mark is the data's time, not the clock's: the newest window this run judged. At the clock's time, a
    // run with the clock ahead (a dead CMOS battery before NTP steps it back) set it hours ahead, and the calls
    // logged before the clock caught up with it were never judged, and no mark was later than now to say so.
    let callsTo = mark?.callsTo ?? 0;
    for (const c of judgedCalls) callsTo = Math.max(callsTo, windowClose(c, window) * 1000);
    for (const u of unanswered) callsTo = Math.max(callsTo, (sec(u.time) + window) * 1000);
    const next: LineMark = {
      callsTo,
      loginsTo: newest === null ? loginsTo : Math.max(newest, loginsTo ?? newest),
    };
    results.push({
      line,
      coverageStart,
      calls: judgedCalls,
      logins,
      matches,
      loginsWithoutCall,
      callsWithoutLogin,
      offHours,
      unanswered,
      dialouts: dialouts.filter((r) => sec(r.time) >= since && fresh(r)),
      sessions: sessionsOf(
        all.filter(
          (r) =>
            sec(r.time) >= since &&
            fresh(r) &&
            (coverageStart === null || r.time >= coverageStart) &&
            sec(r.time) < judgedTo,
        ),
        lineRecords,
        boots,
        opts.now,
      ),
      loginsBeforeLog,
      coverageEnd,
      loginsAfterLog,
      callsBeforeWtmp,
      callsPending,
      mark: next,
    });
  }
  return results;
}
