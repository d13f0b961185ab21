/**
 * The dial-up check's finding kinds and how its results become findings. Until the lead merges
 * `DialupFindings` into src/core/findings.ts's FindingDataMap, findings are typed here (DialupFinding) and
 * check.ts hands them to the report through one cast.
 */
import type { Evidence, FindingBase } from '../core/report.ts';
import type { Status } from '../core/status.ts';
import type { LineResult, LoginRecord } from './correlate.ts';
import {
  type Call,
  type CallOutcome,
  evidenceOf,
  type ModemIssueGroup,
  type ModemIssueKind,
} from './mgetty.ts';
import { wallOf } from './time.ts';

/** Data of each dial-up finding kind (merge into FindingDataMap). */
export interface DialupFindings {
  /** A login on a dial-up line with no call answered on it shortly before: intrusion or a tampered wtmp. */
  'dialup-login-without-call': {
    line: string;
    user: string;
    time: string;
    pid: number | null;
    windowSeconds: number;
    /** The host's zone (IANA name) the text gives local times in. */
    timeZone: string;
    /** The last call on the line before the login, if any (outside the window, or another pid). */
    previousCall: { time: string; secondsBefore: number; pid: number | null; outcome: CallOutcome } | null;
  };
  /** A call answered on a dial-up line that led to no login. */
  'dialup-call-without-login': {
    line: string;
    time: string;
    pid: number | null;
    outcome: 'login-failed' | 'connect-failed' | 'no-login';
    caller: string | null;
    connection: string | null;
    /** The login name typed at mgetty's prompt (untrusted). */
    loginName: string | null;
  };
  /** A call outside the hours the line is used. */
  'dialup-off-hours-call': {
    line: string;
    time: string;
    pid: number | null;
    hours: string;
    outcome: CallOutcome;
    user: string | null;
  };
  /** Modem trouble of one kind on one line (DSR off, no dial tone, init failures, lock problems). */
  'dialup-modem-trouble': {
    line: string;
    issue: ModemIssueKind;
    count: number;
    first: string;
    last: string;
    advice: string;
  };
  /** Per-line summary: calls, logins, failures, longest session. */
  'dialup-line-summary': {
    line: string;
    /** The host's zone (IANA name) the text gives local times in. */
    timeZone: string;
    calls: number;
    logins: number;
    matched: number;
    failures: number;
    fax: number;
    unanswered: number;
    dialouts: number;
    /** Logins before the call log begins (not judged). */
    loginsBeforeLog: number;
    coverageStart: string | null;
    /** Logins after the log shows mgetty stopping for good (not judged: another getty serves the line). */
    loginsAfterLog: number;
    coverageEnd: string | null;
    /** Calls before wtmp's oldest record that no login explains (not judged: their logins may be rotated away). */
    callsBeforeWtmp: number;
    /** Calls whose login window is still open: judged (and counted) by a later run. */
    callsPending: number;
    longestSession: { user: string; start: string; seconds: number; ongoing: boolean } | null;
  };
}

/** A dial-up finding kind. */
export type DialupFindingKind = keyof DialupFindings;

/** A dial-up finding (the same shape core's Finding has once the kinds are merged). */
export type DialupFinding = {
  [K in DialupFindingKind]: FindingBase & { kind: K; data: DialupFindings[K] };
}[DialupFindingKind];

/** What to do about each kind of modem trouble (the runbook: check the cable, reset the modem). */
export const MODEM_ADVICE: Record<ModemIssueKind, string> = {
  'dsr-off': 'check that the modem is powered on and its serial cable is plugged in, then reset the modem',
  'no-dialtone': 'check the telephone line and the cable from the wall socket to the modem',
  'no-response': 'reset (power-cycle) the modem and check the serial cable',
  'init-failed': "reset (power-cycle) the modem; check the cable and the port speed in mgetty's config",
  lock: 'another program used the line without (or with a foreign) lock file in /var/lock: find it (dial-out, stale lock)',
  'gave-up': "reset the modem and read mgetty's log around these times",
  warning: "read the warning in mgetty's log; mgetty's FAQ explains most",
};

const TROUBLE_STATUS: Record<ModemIssueKind, Status> = {
  'dsr-off': 'WARNING',
  'no-dialtone': 'WARNING',
  'no-response': 'WARNING',
  'init-failed': 'WARNING',
  lock: 'WARNING',
  'gave-up': 'WARNING',
  warning: 'INFO',
};

const ISSUE_TEXT: Record<ModemIssueKind, string> = {
  'dsr-off': 'DSR off (modem off or bad cable)',
  'no-dialtone': 'no dial tone',
  'no-response': 'modem not responding',
  'init-failed': 'modem initialisation failed',
  lock: 'lock file trouble',
  'gave-up': 'mgetty gave up',
  warning: 'other mgetty warnings',
};

/** Options of the finding builder. */
export interface BuildOptions {
  /** Service name the findings are filed under. */
  service: string;
  windowSeconds: number;
  /** The host's zone for times in summaries (undefined: this process's local zone). */
  timeZone?: string | undefined;
  /** Hours text per line (`*` for all), as configured, for off-hours summaries. */
  hoursText?: Record<string, string>;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-05-25 06:01:44 Asia/Tokyo`: a time in the host's zone, saying which (as every dial-up text does). */
export function zonedText(iso: string | Date, timeZone: string): string {
  return `${localText(typeof iso === 'string' ? new Date(iso) : iso, timeZone)} ${timeZone}`;
}

/** `2026-05-25 06:01:44` in the host's zone. */
export function localText(d: Date, timeZone?: string): string {
  const w = wallOf(d, timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/** `1h 02m 03s`, `4m 05s`, `12s`. */
export function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h ${pad(m)}m ${pad(s)}s`;
  if (m) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

function loginEvidence(r: LoginRecord): Evidence {
  const host = r.host ? ` from ${r.host}` : '';
  // A wtmpdb row: the database and the row's ID (wtmpdb records no pid).
  if (r.row !== undefined)
    return {
      source: r.source ?? 'wtmpdb',
      line: r.row,
      time: r.time.toISOString(),
      text: `${r.type} ${r.user} ${r.line} (wtmpdb row ${r.row})${host}`,
    };
  return {
    source: r.source ?? 'wtmp',
    ...(r.index !== undefined ? { line: r.index } : {}),
    time: r.time.toISOString(),
    text: `${r.type} ${r.user} ${r.line} pid ${r.pid}${host}`,
  };
}

function callUser(c: Call): string | null {
  const u = c.audit?.fields.user;
  return u === undefined || u === '' ? null : u;
}

/** Findings for the correlated lines and the modem trouble, in a stable order (line, then kind, then time). */
export function buildFindings(
  lines: readonly LineResult[],
  trouble: readonly ModemIssueGroup[],
  opts: BuildOptions,
): DialupFinding[] {
  const out: DialupFinding[] = [];
  // Local times say their zone, as the logins check's do (the evidence beside them is in UTC).
  const zoneLabel = opts.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const at = (d: Date): string => zonedText(d, zoneLabel);
  const base = { service: opts.service };
  for (const r of lines) {
    for (const { login, previousCall } of r.loginsWithoutCall) {
      const prev = previousCall
        ? {
            time: previousCall.start.toISOString(),
            secondsBefore: Math.floor((login.time.getTime() - previousCall.start.getTime()) / 1000),
            pid: previousCall.pid,
            outcome: previousCall.outcome,
          }
        : null;
      const context = prev
        ? `the last call came ${durationText(prev.secondsBefore)} earlier`
        : 'no call logged on the line before it';
      out.push({
        ...base,
        kind: 'dialup-login-without-call',
        status: 'CRITICAL',
        summary: `Login by ${login.user} on ${r.line} at ${at(login.time)} with no call answered in the ${opts.windowSeconds} s before it (${context}): intrusion or a tampered wtmp`,
        evidence: [loginEvidence(login), ...(previousCall ? previousCall.evidence.slice(-1) : [])],
        first: login.time.toISOString(),
        last: login.time.toISOString(),
        user: login.user,
        ...(login.host ? { host: login.host } : {}),
        data: {
          line: r.line,
          user: login.user,
          time: login.time.toISOString(),
          pid: login.pid > 0 ? login.pid : null,
          windowSeconds: opts.windowSeconds,
          timeZone: zoneLabel,
          previousCall: prev,
        },
      });
    }
    for (const { call, outcome } of r.callsWithoutLogin) {
      const name = callUser(call);
      const what =
        outcome === 'login-failed'
          ? `login${name ? ` as ${name}` : ''} failed (no login record)`
          : outcome === 'connect-failed'
            ? `the modems did not connect (${call.audit?.reason ?? 'failed'})`
            : 'the caller left before logging in';
      out.push({
        ...base,
        kind: 'dialup-call-without-login',
        status: 'INFO',
        summary: `Call on ${r.line} at ${at(call.start)} led to no login: ${what}`,
        evidence: call.evidence.slice(0, 3),
        first: call.start.toISOString(),
        last: (call.auditTime ?? call.start).toISOString(),
        ...(name ? { user: name } : {}),
        data: {
          line: r.line,
          time: call.start.toISOString(),
          pid: call.pid,
          outcome,
          caller: call.audit?.fields.caller ?? null,
          connection: call.audit?.fields.conn ?? null,
          loginName: name,
        },
      });
    }
    const hours = opts.hoursText?.[r.line] ?? opts.hoursText?.['*'] ?? '';
    for (const call of r.offHours) {
      const name = callUser(call);
      out.push({
        ...base,
        kind: 'dialup-off-hours-call',
        status: 'WARNING',
        summary: `Call on ${r.line} at ${at(call.start)}, outside the line's hours (${hours})${name ? ` for ${name}` : ''}`,
        evidence: call.evidence.slice(0, 3),
        first: call.start.toISOString(),
        last: call.start.toISOString(),
        ...(name ? { user: name } : {}),
        data: {
          line: r.line,
          time: call.start.toISOString(),
          pid: call.pid,
          hours,
          outcome: call.outcome,
          user: name,
        },
      });
    }
  }
  for (const g of trouble) {
    const advice = MODEM_ADVICE[g.kind];
    const times =
      g.count === 1
        ? `at ${at(g.first)}`
        : `${g.count} times, ${localText(g.first, opts.timeZone)} … ${at(g.last)}`;
    out.push({
      ...base,
      kind: 'dialup-modem-trouble',
      status: TROUBLE_STATUS[g.kind],
      summary: `Modem on ${g.line}: ${ISSUE_TEXT[g.kind]} ${times}`,
      evidence: g.samples.map(evidenceOf),
      first: g.first.toISOString(),
      last: g.last.toISOString(),
      data: {
        line: g.line,
        issue: g.kind,
        count: g.count,
        first: g.first.toISOString(),
        last: g.last.toISOString(),
        advice,
      },
    });
  }
  for (const r of lines) {
    const longest = r.sessions.reduce<LineResult['sessions'][number] | null>(
      (a, s) => (!a || s.seconds > a.seconds ? s : a),
      null,
    );
    const failures = r.callsWithoutLogin.filter((c) => c.outcome !== 'no-login').length;
    const fax = r.calls.filter((c) => c.outcome === 'fax').length;
    const parts = [
      `${r.calls.length} call${r.calls.length === 1 ? '' : 's'}`,
      `${r.logins.length} login${r.logins.length === 1 ? '' : 's'} (${r.matches.length} matched)`,
      `${failures} failed`,
      ...(fax ? [`${fax} fax`] : []),
      ...(r.unanswered.length ? [`${r.unanswered.length} not answered`] : []),
      ...(r.callsPending
        ? [`${r.callsPending} call${r.callsPending === 1 ? '' : 's'} still within the login window`]
        : []),
      ...(longest
        ? [
            `longest session ${durationText(longest.seconds)} by ${longest.login.user}${longest.ongoing ? ' (still on)' : ''}`,
          ]
        : []),
    ];
    const stopped = r.loginsAfterLog && r.coverageEnd ? r.coverageEnd : null;
    if (stopped)
      parts.push(
        `${r.loginsAfterLog} later login${r.loginsAfterLog === 1 ? '' : 's'} not compared: mgetty's log ends with mgetty stopping at ${at(stopped)} (is another getty serving ${r.line}?)`,
      );
    out.push({
      ...base,
      kind: 'dialup-line-summary',
      // Said (INFO), not only listed: a line mgetty left is one the call comparison no longer guards.
      status: stopped ? 'INFO' : 'OK',
      summary: `${r.line}: ${parts.join(', ')}`,
      evidence: [],
      ...(r.coverageStart ? { first: r.coverageStart.toISOString() } : {}),
      data: {
        line: r.line,
        timeZone: zoneLabel,
        calls: r.calls.length,
        logins: r.logins.length,
        matched: r.matches.length,
        failures,
        fax,
        unanswered: r.unanswered.length,
        dialouts: r.dialouts.length,
        loginsBeforeLog: r.loginsBeforeLog,
        coverageStart: r.coverageStart?.toISOString() ?? null,
        loginsAfterLog: r.loginsAfterLog,
        coverageEnd: r.coverageEnd?.toISOString() ?? null,
        callsBeforeWtmp: r.callsBeforeWtmp,
        callsPending: r.callsPending,
        longestSession: longest
          ? {
              user: longest.login.user,
              start: longest.login.time.toISOString(),
              seconds: longest.seconds,
              ongoing: longest.ongoing,
            }
          : null,
      },
    });
  }
  return out;
}
