/**
 * The `logins` check: the login audit (audit.ts), the wtmp tamper tests (tamper.ts) and the reconciliation
 * with the auth log (reconcile.ts) over the host's whole login history (history.ts). This file is the thin
 * shell: it finds and reads the files, resolves the host's zone, and keeps the state small — the learned
 * model per user, the live wtmp's mark (size, first-record fingerprint, digest) and the reconciliation cursor.
 * Only logins newer than the last run's are reported as new.
 */
import { append } from '../core/array.ts';
import fs from 'node:fs';
import { z } from 'zod';
import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import { reason } from '../core/errors.ts';
import { expandHostGlob } from '../core/glob.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { inTree, resolveInRoot } from '../core/inroot.ts';
import { readRegularFileSync } from '../core/open.ts';
import { truncate } from '../core/sanitize.ts';
import { capResult } from '../core/cap.ts';
import type { CheckResult, Finding } from '../core/report.ts';
import { worst } from '../core/status.ts';
import { hostZoneName, makeZone, type Zone, zoneFromTZ } from '../core/tz.ts';
import { wallTime } from '../report/time.ts';
import { JournalAccessError, type JournalRunner, journalAt, spawnJournalctl } from '../logs/read/journal.ts';
import {
  type Account,
  auditLogins,
  type LearnedModel,
  loginDefsUidMin,
  type LongReported,
  parsePasswd,
  readLongReported,
  readModel,
} from './audit.ts';
import type { LoginsFinding, TamperCheck } from './audit-findings.ts';
import { type AuthCursor, authCursorSchema, authEventSchema, carried, readAuthLogs } from './auth-log.ts';
import { misalignedText } from './wtmp-file.ts';
import type { LoginsConfig } from './config.ts';
import {
  historyInputs,
  type LoginHistory,
  partLost,
  readHistory,
  type Session,
  truncatedText,
} from './history.ts';
import { readLastlog } from './lastlog.ts';
import { readLastlog2 } from './lastlog2.ts';
import { livePidAlive } from './live.ts';
import {
  capLogOnly,
  judgeShortModelLogins,
  judgeTerminalLess,
  type LogOnlyLogin,
  type LogOnlySeen,
  readLogOnly,
} from './log-only.ts';
import {
  type AuthEvent,
  bootMarkers,
  mergeCoverage,
  nextCursor,
  journalBoots,
  judgeUnknownTerminal,
  reconcile,
  scanAuthJournal,
  unmatchedFindings,
} from './reconcile.ts';
import {
  type BootMarker,
  compareMark,
  isNewPosition,
  iso,
  type LastlogFact,
  lastlogNewer,
  type MarkComparison,
  missingBoots,
  tamperFindings,
  type WtmpMark,
} from './tamper.ts';
import { type UncleanBoot, uncleanRebootFindings } from './unclean-reboot.ts';
import { fieldText } from './utmp.ts';
import { isSqlite, QUICK_CHECK_MAX_BYTES, rotatedRows } from './wtmpdb.ts';

/**
 * What the last run's wtmpdb is now when this run read none there: gone, emptied to 0 bytes, or a readable
 * file that is no database; null when it is still a database (read as something else, or unreadable now:
 * then its mark waits) or cannot be told (permission denied).
 */
function wtmpdbNow(local: string, root: string): WtmpdbNow | null {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(inTree(root, local, { last: false }));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  if (!st.isFile()) return 'not-sqlite';
  if (st.size === 0) return 'empty';
  try {
    fs.accessSync(inTree(root, local), fs.constants.R_OK);
  } catch {
    return null;
  }
  return isSqlite(local, root) ? null : 'not-sqlite';
}
import {
  compareWtmpdbMark,
  isRotatedName,
  readWtmpdbMark,
  replacedTopRow,
  type WtmpdbRow,
  vanishedWtmpdb,
  type WtmpdbComparison,
  type WtmpdbMark,
  type WtmpdbNow,
  wtmpdbMark,
} from './wtmpdb-mark.ts';

/** Service name of the logins findings: they are about the machine as a whole. */
export const LOGINS_SERVICE = 'host';

/** What the check keeps between runs (JSON, small). */
export interface LoginsState {
  v: 1;
  /** The live wtmp at the end of the last run. */
  mark?: WtmpMark | undefined;
  /** The wtmpdb at the end of the last run (its row IDs), on a host that keeps one instead of wtmp. */
  db?: WtmpdbMark | undefined;
  /** Newest record time seen (seconds). */
  lastSec?: number | undefined;
  /** Logins up to this time were reconciled with the auth log (seconds). */
  reconciled?: number | undefined;
  /** lastlog times already reported per user, so a wiped login is reported once. */
  lastlog?: Record<string, number> | undefined;
  /** Where the auth logs were read up to, and their lines a later run must still see (absent in old state). */
  auth?: AuthLogState | undefined;
  /** What wtmp's logins taught: hosts, networks, hours, session lengths per user (audit.ts). */
  model: LearnedModel;
  /**
   * Hosts of each user's logins known from the auth log alone (no wtmp record: sftp, `ssh host command`):
   * they quiet repeats of such logins and never teach `model` (log-only.ts). Absent in old state.
   */
  logOnly?: LogOnlySeen | undefined;
  /**
   * Long open sessions already reported (user, tty, login time, pid) and their length then, so that each is
   * said once and again only when open twice as long; kept while the session is open (audit.ts). Absent in
   * old state: each long session still open is said once more.
   */
  long?: LongReported[] | undefined;
}

/** The auth logs' reading state: a cursor per file, and the events still inside the match window. */
export interface AuthLogState {
  /** Cursors (with each file's covered time) per live auth log (host path). */
  logs: Record<string, AuthCursor[]>;
  /**
   * Events read in earlier runs that a later run still needs: logins not judged yet (after `reconciled`),
   * and those within the match window before it (a login judged later may pair with them); boot lines
   * after `reconciled`.
   */
  carry: AuthEvent[];
}

/** Events carried to the next run at most (a flood of forged lines within one match window is cut, and said). */
export const MAX_CARRY = 10_000;

const authStateSchema = z.object({
  logs: z.record(z.string(), z.array(authCursorSchema)),
  carry: z.array(authEventSchema),
});

/** Reads state back leniently: anything malformed starts afresh. */
export function readState(raw: unknown): LoginsState | undefined {
  if (!raw || typeof raw !== 'object' || (raw as { v?: unknown }).v !== 1) return undefined;
  const r = raw as Partial<LoginsState>;
  const num = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  const m = r.mark;
  const mark =
    m &&
    typeof m === 'object' &&
    typeof m.file === 'string' &&
    typeof m.digest === 'string' &&
    num(m.size) !== undefined &&
    num(m.records) !== undefined
      ? {
          file: m.file,
          size: m.size,
          records: m.records,
          first: typeof m.first === 'string' ? m.first : null,
          digest: m.digest,
          lastSec: num(m.lastSec) ?? 0,
        }
      : undefined;
  const lastlog: Record<string, number> = {};
  if (r.lastlog && typeof r.lastlog === 'object')
    for (const [u, t] of Object.entries(r.lastlog)) if (typeof t === 'number') lastlog[u] = t;
  // Malformed auth-log state: the auth logs are read whole once more, as before cursors were kept.
  const auth = authStateSchema.safeParse(r.auth);
  const model = readModel(r.model);
  // Before `logOnly`, log-only logins were learned into the model: readLogOnly moves what it can tell apart.
  const logOnly = readLogOnly(r.logOnly, model);
  return {
    v: 1,
    mark,
    db: readWtmpdbMark(r.db),
    lastSec: num(r.lastSec),
    reconciled: num(r.reconciled),
    lastlog,
    ...(auth.success ? { auth: auth.data as AuthLogState } : {}),
    model,
    logOnly,
    long: readLongReported(r.long),
  };
}

/** The host's zone for login hours and report times. */
export function hostZone(host: Host, configured: string | undefined): Zone {
  const name = hostZoneName(host, configured);
  return name === undefined ? zoneFromTZ(undefined) : zoneFromTZ(name);
}

/** A small file of the host (its links resolved inside the root), or null when it cannot be read. */
function readText(host: Host, p: string): string | null {
  try {
    return readRegularFileSync(resolveInRoot(host, p), 'latin1');
  } catch {
    return null;
  }
}

/** Accounts and the uid where people start (login.defs UID_MIN, else the config's). */
export function readAccounts(
  host: Host,
  cfg: Pick<LoginsConfig, 'uidMin'>,
): { accounts: Map<string, Account>; uidMin: number } {
  const passwd = readText(host, '/etc/passwd');
  const defs = readText(host, '/etc/login.defs');
  return {
    accounts:
      passwd === null
        ? new Map<string, Account>()
        : parsePasswd(Buffer.from(passwd, 'latin1').toString('utf8')),
    uidMin: (defs === null ? undefined : loginDefsUidMin(defs)) ?? cfg.uidMin,
  };
}

/**
 * The auth logs (host paths of their live names): the plan's syslog files plus auth.log and secure. Each is
 * read with its rotated members (src/logs/read/family.ts); a rotated name a glob catches is its live name's.
 */
export function authLogPaths(host: Host, syslogFiles: readonly string[]): string[] {
  const patterns = [...new Set([...syslogFiles, '/var/log/auth.log', '/var/log/secure'])];
  const out: string[] = [];
  for (const pattern of patterns) {
    for (const p of expandHostGlob(host, pattern)) {
      if (/\.\d+(\.gz)?$/.test(p) || /-\d{8}(\.gz)?$/.test(p) || out.includes(p)) continue;
      try {
        if (!fs.statSync(resolveInRoot(host, p)).isFile()) continue;
      } catch {
        // absent: its rotated members may be there (many of the default syslog files do not exist at all)
      }
      out.push(p);
    }
  }
  return out;
}

function notChecked(
  what: string,
  pathText: string | undefined,
  why: string,
  status: 'WARNING' | 'INFO',
  summary: string,
): Finding {
  return {
    kind: 'not-checked',
    status,
    service: LOGINS_SERVICE,
    summary,
    evidence: [],
    data: { what, ...(pathText ? { path: pathText } : {}), reason: why },
  };
}

function btime(host: Host): number | null {
  const text = readText(host, '/proc/stat');
  const m = text ? /^btime (\d+)$/m.exec(text) : null;
  return m ? Number(m[1]) : null;
}

/** Everything one run of the check found. */
export interface LoginsInspection {
  history: LoginHistory;
  findings: Finding[];
  state: LoginsState;
  newLogins: number;
  summary: string;
  /** Content bytes of the auth-log files read in this run (only what no earlier saved run read). */
  authBytes: number;
}

/** What the inspection runs besides files (tests give a journalctl stand-in). */
export interface LoginsDeps {
  journalRunner?: JournalRunner;
}

/** Runs the whole inspection: history, audit, tamper tests, reconciliation, next state. */
export async function inspectLogins(
  ctx: Pick<CheckContext, 'host' | 'config' | 'plan' | 'state' | 'options'> &
    Partial<Pick<CheckContext, 'signal'>>,
  deps: LoginsDeps = {},
): Promise<LoginsInspection> {
  const { host } = ctx;
  const cfg = ctx.config.checks.logins;
  const now = Math.floor(host.now.getTime() / 1000);
  const zoneName = hostZoneName(host, cfg.timeZone);
  const zone = hostZone(host, cfg.timeZone);
  const prev = readState(ctx.state);
  const findings: Finding[] = [];
  const add = (fs: LoginsFinding[]): void => {
    // The one cast: until the lead merges LoginsFindings into FindingDataMap, these kinds are typed here.
    append(findings, fs);
  };

  const inputs = historyInputs(host, cfg.wtmp);
  const liveDisplay = inputs[inputs.length - 1]?.display ?? cfg.wtmp;
  const mark = prev?.mark?.file === liveDisplay ? prev.mark : undefined;
  const history = await readHistory(inputs, {
    now,
    pidAlive: livePidAlive(host.root, host.now.getTime()),
    checkpoint: mark?.size,
    checkpointId: prev?.db?.file === liveDisplay ? (prev.db.maxId ?? undefined) : undefined,
    toleranceSec: cfg.backwardsToleranceSeconds,
    readTruncated: true,
  });
  // A backup cut short or corrupt: what inflates is audited (as zcat and `last` show it), and the logins
  // between its last record read and the next file's first are lost: the auth log is reconciled only from
  // there on, or each of them would be reported as a removed wtmp record.
  let reconcileFrom = Number.NEGATIVE_INFINITY;
  for (const t of history.truncated) {
    const lost = partLost(t.reason);
    findings.push(
      notChecked(
        'wtmp',
        t.file,
        t.reason,
        'WARNING',
        lost
          ? `${truncatedText(t)}: the logins in the lost part were not audited, and the auth log is reconciled only from the next file on`
          : truncatedText(t),
      ),
    );
    if (!lost) continue;
    const at = history.files.findIndex((f) => f.display === t.file);
    const next = history.files.slice(at + 1).find((f) => f.begins !== null);
    reconcileFrom = Math.max(reconcileFrom, next?.begins ?? now);
  }
  for (const p of history.problems) {
    // glibc's updwtmp (sshd, login, systemd) never creates wtmp: while it is missing, no login is recorded.
    const missingLive = p.file === liveDisplay && p.reason === 'no such file or directory';
    findings.push(
      notChecked(
        'wtmp',
        p.file,
        p.reason,
        'WARNING',
        missingLive
          ? `Cannot read ${p.file}: ${p.reason}: no login is recorded until it exists again (the programs that write it never create it)`
          : `Cannot read ${p.file}: ${p.reason}: logins in it were not audited`,
      ),
    );
  }
  const files = history.files.map((f) => f.display);

  // Which records are new since the last run.
  let cmp: MarkComparison;
  // Without a mark of this file (wtmpdb, a new wtmp path, a wtmp missing at the last run) the last run's
  // newest record time is the cursor.
  const liveIndex = history.files.findIndex((f) => f.display === liveDisplay);
  // A live wtmp that held records at the last run and now cannot be read (deleted, replaced by junk) is
  // compared like a shrunk one: its records are looked for in the rotated files.
  const liveLost = mark !== undefined && mark.records > 0 && liveIndex < 0;
  if ((history.source === 'wtmp' || liveLost) && (mark || prev?.lastSec === undefined))
    cmp = compareMark(
      mark,
      history.files.map((f) => ({
        display: f.display,
        records: f.records,
        size: f.size,
        first: f.first,
        prefixDigest: f.prefixDigest,
      })),
      liveIndex < 0 ? null : liveIndex,
      // The oldest record left, when every file was read (an unreadable one may hold the old records).
      history.problems.length === 0 && history.truncated.length === 0 ? history.audit.begins : undefined,
    );
  else
    cmp =
      prev?.lastSec !== undefined
        ? { from: { kind: 'time', sec: prev.lastSec }, problems: [] }
        : { from: { kind: 'all' }, problems: [] };
  const isNew = (pos: { file: number; index: number }, sec: number | null): boolean =>
    isNewPosition(cmp, pos, sec);

  // 1. The audit.
  const { accounts, uidMin } = readAccounts(host, cfg);
  const since = ctx.options.since ? Math.floor(ctx.options.since.getTime() / 1000) : undefined;
  const audit = auditLogins({
    sessions: history.sessions,
    files,
    isNew: (s) => isNew(s, s.start),
    learned: prev?.model,
    lastSec: prev?.lastSec ?? null,
    now,
    zone,
    accounts,
    uidMin,
    config: cfg,
    service: LOGINS_SERVICE,
    since,
    // A look with --since moves no mark: it shows every long open session, said before or not.
    longReported: since === undefined ? prev?.long : undefined,
  });
  add(audit.findings);
  if (audit.shortHistory.length) {
    const list = audit.shortHistory.map((u) => `${u.user} (${u.logins})`).join(', ');
    findings.push(
      notChecked(
        'login hours',
        undefined,
        'not enough history',
        'INFO',
        `Login hours not judged for ${list}: fewer than ${cfg.minHistoryForHours} earlier logins to compare with`,
      ),
    );
  }

  // 2. Tamper tests on the records, the mark, the boots and lastlog.
  const groups = new Map<
    string,
    {
      check: TamperCheck;
      file: string;
      hits: { index: number | null; sec: number | null; detail: string }[];
      count: number;
    }
  >();
  const group = (
    check: TamperCheck,
    file: string,
    hit: { index: number | null; sec: number | null; detail: string },
  ): void => {
    const key = `${check}\0${file}`;
    let g = groups.get(key);
    if (!g) {
      g = { check, file, hits: [], count: 0 };
      groups.set(key, g);
    }
    g.count++;
    if (g.hits.length < 20) g.hits.push(hit);
  };
  for (const h of history.audit.hits) {
    if (isNew(h, h.sec))
      group(h.check, files[h.file] ?? cfg.wtmp, { index: h.index, sec: h.sec, detail: h.detail });
  }
  for (const f of history.files) {
    if (f.tail)
      group(f.tail.misaligned ? 'misaligned' : 'stray-tail', f.display, {
        index: null,
        sec: null,
        detail: f.tail.misaligned
          ? misalignedText(f.tail)
          : `${f.tail.length} bytes after the last whole record (offset ${f.tail.offset}): records appended after them are misaligned`,
      });
  }
  for (const p of cmp.problems) group(p.check, p.file, { index: null, sec: null, detail: p.detail });
  // wtmpdb: rows seen at the last run that are gone (wtmpdb rotate's told apart), a malformed file, rows
  // that cannot be read.
  let dbCmp: WtmpdbComparison = { removed: null, rotated: null };
  const db = history.wtmpdb;
  const dbGone =
    history.source === 'wtmpdb' || !prev?.db ? null : wtmpdbNow(hostPath(host, prev.db.file), host.root);
  const vanished = prev?.db && dbGone ? vanishedWtmpdb(prev.db, dbGone) : null;
  if (prev?.db && vanished) group('rows-removed', prev.db.file, { index: null, sec: null, detail: vanished });
  if (db && history.source === 'wtmpdb') {
    const display = history.files[0]?.display ?? liveDisplay;
    const now = { file: display, ids: db.ids, oldest: history.audit.begins };
    dbCmp = compareWtmpdbMark(prev?.db, now, []);
    // Rows gone: the rotated databases beside it are read only then.
    if (dbCmp.removed && dbCmp.removed.count > 0)
      dbCmp = compareWtmpdbMark(
        prev?.db,
        now,
        rotatedRows(db.local, display, prev?.db?.oldest ?? null, isRotatedName, host.root),
      );
    if (dbCmp.removed)
      group('rows-removed', display, { index: null, sec: null, detail: dbCmp.removed.detail });
    else {
      const replaced = replacedTopRow(prev?.db, topLoginRow(history.sessions, prev?.db?.top?.id));
      if (replaced) group('rows-removed', display, { index: null, sec: null, detail: replaced });
    }
    if (db.check.ok === false)
      group('damaged', display, {
        index: null,
        sec: null,
        detail: `SQLite's quick_check: ${db.check.problems.slice(0, 3).join('; ')}${db.check.problems.length > 3 ? '; …' : ''}`,
      });
    else if (db.check.ok === null)
      findings.push(
        notChecked(
          'wtmpdb',
          display,
          'too big for quick_check',
          'INFO',
          `${display} was not checked for damage: ${db.check.bytes} bytes, more than SQLite's quick_check is run on in a check (${QUICK_CHECK_MAX_BYTES})`,
        ),
      );
    const bad = db.unreadable;
    // index + 1 is what a finding shows as the record: the row's ID.
    for (const id of bad.ids)
      group('unreadable-rows', display, {
        index: id - 1,
        sec: null,
        detail: `row ID ${id} has no usable login time, user or type: left out of the audit`,
      });
    const g = groups.get(`unreadable-rows\0${display}`);
    if (g) g.count = bad.count;
  }
  if (cmp.rotatedAway) {
    // WARNING, not INFO: what the deleted file received after the last run is lost unseen, and an intruder
    // who rotates twice to hide a login leaves the same picture; not CRITICAL: nothing seen is contradicted.
    const { file, after, before } = cmp.rotatedAway;
    findings.push({
      ...notChecked(
        'wtmp',
        file,
        'earlier history rotated away',
        'WARNING',
        `Earlier history rotated away: ${file} was rotated more than once since the last run (or its rotated files were deleted) and the file the last run read is gone; every record left is newer than the last one seen (${iso(after)}${before === null ? '' : `; the oldest left is from ${iso(before)}`}), so none is contradicted, but logins written to the deleted file after ${iso(after)} were never audited: run the check more often than wtmp rotates, or keep more rotated files`,
      ),
      first: iso(after),
      ...(before === null ? {} : { last: iso(before) }),
    });
  }

  // lastlog, and lastlog2's database where util-linux 2.40+ keeps it (Debian 13): each a user's last login,
  // compared with wtmp (tamper tests) and evidence of a terminal for the reconciliation.
  const facts: (LastlogFact & { file: string; name: string })[] = [];
  if (history.audit.begins !== null) {
    const unreadable = (file: string, err: unknown) => {
      // The readers' errors already say what they could not read (`Cannot read FILE: why`).
      const why = reason(err).replace(`Cannot read ${file}: `, '');
      findings.push(
        notChecked('lastlog', file, why, 'INFO', `Cannot read ${file}: ${why}: not compared with wtmp`),
      );
    };
    // Under --root, links resolve inside the tree; one that cannot be resolved is left to the reader to say.
    const exists = (local: string) => {
      try {
        return fs.existsSync(inTree(host.root, local));
      } catch {
        return true;
      }
    };
    const lastlogLocal = hostPath(host, cfg.lastlog);
    if (exists(lastlogLocal)) {
      const byUid = new Map<number, string>();
      for (const [name, a] of accounts) if (!byUid.has(a.uid)) byUid.set(a.uid, name);
      try {
        for (const e of readLastlog(lastlogLocal, byUid.keys(), {
          display: cfg.lastlog,
          root: host.root,
        }).values()) {
          const user = byUid.get(e.uid);
          if (user !== undefined)
            facts.push({
              user,
              uid: e.uid,
              sec: e.time,
              tty: fieldText(e.line),
              host: fieldText(e.host),
              file: cfg.lastlog,
              name: 'lastlog',
            });
        }
      } catch (err) {
        unreadable(cfg.lastlog, err);
      }
    }
    const lastlog2Local = hostPath(host, cfg.lastlog2);
    if (exists(lastlog2Local)) {
      try {
        for (const e of readLastlog2(lastlog2Local, cfg.lastlog2, host.root))
          facts.push({
            user: e.user,
            uid: accounts.get(e.user)?.uid ?? -1,
            sec: e.time,
            tty: e.tty,
            host: e.host,
            file: cfg.lastlog2,
            name: 'lastlog2',
          });
      } catch (err) {
        unreadable(cfg.lastlog2, err);
      }
    }
  }

  // 3. The auth log: reconciliation and boot banners. The files are read from their saved cursors; the
  //    lines a later run still needs are carried in the state (see AuthLogState).
  const reconciled = prev?.reconciled ?? Number.NEGATIVE_INFINITY;
  // Hosts of log-only logins (readState made a fresh copy): judged and remembered apart from the model.
  const logOnly: LogOnlySeen = prev?.logOnly ?? {};
  // As the last run left it, before this run's log-only logins join it: the audit's logins of users with too
  // few wtmp logins are judged by it and by those of this run's that came before each (judgeShortModelLogins).
  const logOnlyBefore: LogOnlySeen = structuredClone(logOnly);
  const logOnlyNow: LogOnlyLogin[] = [];
  let nextReconciled = prev?.reconciled;
  const events: AuthEvent[] = [];
  let logNote = '';
  let quietNote = '';
  const scans: { from: number | null; to: number | null }[] = [];
  const syslogZone = makeZone(zoneName);
  /** Whether this run's state is saved (only then is the per-run read limit applied). */
  const saving = ctx.options.since === undefined && !ctx.options.all;
  const readingFiles = cfg.reconcile && history.source !== 'none';
  let authState: AuthLogState | undefined = cfg.reconcile ? prev?.auth : undefined;
  let authBytes = 0;
  if (readingFiles) {
    const read = await readAuthLogs({
      logs: authLogPaths(host, ctx.plan.syslogFiles).map((p) => hostPath(host, p)),
      saved: prev?.auth?.logs,
      display: (local) => displayPath(host, local),
      root: host.root,
      zone: syslogZone,
      ...(saving ? { limit: ctx.config.checks.logs.maxReadPerRun } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    append(events, prev?.auth?.carry ?? []);
    append(events, read.events);
    append(scans, read.spans);
    authState = { logs: read.cursors, carry: [] };
    authBytes = read.bytes;
    for (const p of read.problems) {
      // Missing files, and files replaced or rotated away since the last run, are the logs check's to report.
      if (['missing', 'dangling', 'reset', 'rotated'].includes(p.problem)) continue;
      findings.push(
        p.problem === 'limited'
          ? notChecked(
              'auth log',
              p.path,
              p.reason,
              'WARNING',
              `${p.path}: ${p.reason}: logins in the rest are reconciled with wtmp then`,
            )
          : notChecked(
              'auth log',
              p.path,
              p.reason,
              'WARNING',
              `Cannot read ${p.path}: ${p.reason}: logins in it were not reconciled with wtmp`,
            ),
      );
    }
  }
  const fileEvents = events.length;
  // No auth log file with dated lines: on a host that runs no syslog daemon the journal is the auth log.
  let logName = 'auth log';
  const journal = journalAt(host);
  const tryJournal = cfg.reconcile && history.source !== 'none' && ctx.plan.journal !== 'off';
  if (tryJournal && journal !== null && mergeCoverage(scans).length === 0) {
    try {
      const scan = await scanAuthJournal({
        runner: deps.journalRunner ?? spawnJournalctl,
        ...journal,
        since: Number.isFinite(reconciled) ? reconciled - cfg.matchWindowSeconds : null,
        zone: syslogZone,
      });
      append(events, scan.events);
      scans.push(scan);
      logName = 'journal';
    } catch (err) {
      // Where the journal was only a guess (`auto`), a host without journalctl simply has no auth log; one
      // whose journal this user may not read has one, unread.
      if (ctx.plan.journal === 'on' || err instanceof JournalAccessError)
        findings.push(
          notChecked(
            'auth log',
            'journal',
            reason(err),
            'WARNING',
            `Cannot read the journal: ${reason(err)}: logins were not reconciled with it`,
          ),
        );
    }
  }
  const coverage = mergeCoverage(scans);
  // What the login record covers: from its first login. One with no login at all covers nothing, unless it
  // held logins at the last run (it was emptied: every login since then should be in it, and the cursor
  // `reconciled` keeps the judging to those); then the auth log is judged as far as it goes.
  const heldLogins = (prev?.mark?.records ?? 0) > 0 || (prev?.db?.rows ?? 0) > 0;
  const begins = history.audit.begins ?? (heldLogins ? Number.NEGATIVE_INFINITY : null);
  const wtmpRange = { from: Math.max(begins ?? now, reconcileFrom), to: now };
  const recordName = history.source === 'wtmpdb' ? (files[0] ?? 'wtmpdb') : 'wtmp';
  if (cfg.reconcile && history.source !== 'none') {
    const lastCovered = coverage.length ? (coverage[coverage.length - 1] as { to: number }).to : null;
    if (coverage.length > 0 && (begins === null || wtmpRange.from > (lastCovered as number))) {
      // Nothing to judge: said, instead of a window that ends before it starts (`2026-11-26 … 2026-11-25`).
      const why =
        begins === null
          ? `${recordName} holds no login with a usable time`
          : `the ${logName} ends ${iso(lastCovered as number).slice(0, 10)}, before ${recordName} begins (${iso(wtmpRange.from).slice(0, 10)})`;
      findings.push(
        notChecked(
          'auth log',
          undefined,
          'nothing to reconcile',
          'INFO',
          `Logins in the ${logName} were not reconciled with ${recordName}: ${why}`,
        ),
      );
      logNote = `, ${logName} not reconciled (${why})`;
      nextReconciled = nextCursor(reconciled, now, coverage, cfg.matchWindowSeconds);
    } else if (coverage.length === 0) {
      findings.push(
        notChecked(
          'auth log',
          undefined,
          'no auth log',
          'INFO',
          `No auth log with dated lines found (syslog files, /var/log/auth.log, /var/log/secure${tryJournal ? ', the journal' : ''}): wtmp was not reconciled with it`,
        ),
      );
    } else {
      const until = nextCursor(reconciled, now, coverage, cfg.matchWindowSeconds);
      const out = reconcile({
        sessions: history.sessions,
        events,
        logCoverage: coverage,
        wtmpRange,
        windowSec: cfg.matchWindowSeconds,
        after: reconciled,
        until,
        lastlog: facts.map((f) => ({ user: f.user, sec: f.sec, tty: f.tty, host: f.host, source: f.file })),
      });
      add(unmatchedFindings(out, files, LOGINS_SERVICE, cfg.matchWindowSeconds, zone));
      append(logOnlyNow, out.withoutTerminal);
      append(logOnlyNow, out.terminalUnknown);
      add(judgeTerminalLess(out.withoutTerminal, audit.learned, logOnly, cfg, LOGINS_SERVICE, zone));
      const unknown = judgeUnknownTerminal(
        out.terminalUnknown,
        audit.learned,
        logOnly,
        LOGINS_SERVICE,
        cfg.matchWindowSeconds,
        zone,
      );
      add(unknown.findings);
      quietNote = unknown.known
        ? `; ${unknown.known} sshd login${unknown.known === 1 ? '' : 's'} without a wtmp record from known hosts (no terminal, or a removed record)`
        : '';
      nextReconciled = until;
      const first = coverage[0] as { from: number };
      const last = coverage[coverage.length - 1] as { to: number };
      // Dates of the host's clock, as the report's other times (a Tokyo morning is the day before in UTC).
      const day = (sec: number) => wallTime(iso(sec), zone)?.date ?? iso(sec).slice(0, 10);
      logNote = `, ${logName} ${day(Math.max(first.from, wtmpRange.from))} … ${day(last.to)} reconciled (${out.matched} network logins matched${quietNote})`;
    }
  }
  add(judgeShortModelLogins(audit.shortModelLogins, logOnlyBefore, logOnlyNow, files, LOGINS_SERVICE, zone));
  if (readingFiles && authState) {
    // What the next run still needs of the lines read so far: logins after the new mark and those within
    // the match window before it (a login judged then may pair with them), boots after the mark.
    const mark = nextReconciled ?? Number.NEGATIVE_INFINITY;
    const need = events
      .slice(0, fileEvents)
      .filter((e) => e.sec > (e.kind === 'boot' ? mark : mark - cfg.matchWindowSeconds));
    need.sort((a, b) => a.sec - b.sec);
    const dropped = need.length - MAX_CARRY;
    if (dropped > 0)
      findings.push(
        notChecked(
          'auth log',
          undefined,
          'too many lines to carry',
          'WARNING',
          `${dropped} auth-log lines from ${iso((need[0] as AuthEvent).sec)} on were not kept for the next run (more than ${MAX_CARRY} in the last ${cfg.matchWindowSeconds} s of the log, a flood of forged lines?): logins among them are not reconciled with wtmp`,
        ),
      );
    authState.carry = need.slice(Math.max(0, dropped)).map(carried);
  }
  const markers: BootMarker[] = bootMarkers(events);
  if (logName === 'journal' && journal !== null && history.source === 'wtmp') {
    try {
      append(markers, await journalBoots({ runner: deps.journalRunner ?? spawnJournalctl, ...journal }));
    } catch {
      // The journal was just read; a failure here only leaves out its boots, as an old journalctl does.
    }
  }
  const bt = btime(host);
  if (bt !== null) markers.push({ sec: bt, source: '/proc/stat', text: `btime ${bt}` });
  if (history.source === 'wtmp' && history.audit.begins !== null) {
    for (const m of missingBoots(history.audit.boots, markers, wtmpRange)) {
      if (m.sec <= reconciled) continue;
      group('boot-gap', cfg.wtmp, {
        index: null,
        sec: m.sec,
        detail: `a boot at ${iso(m.sec)} (${m.source}${m.line ? `:${m.line}` : ''}: ${truncate(m.text, 120)}) has no reboot record in wtmp`,
      });
    }
  }
  const lastlogSeen: Record<string, number> = { ...(prev?.lastlog ?? {}) };
  if (history.audit.begins !== null) {
    for (const { fact, wtmpLast } of lastlogNewer(facts, history.audit.lastLogin, wtmpRange)) {
      if (lastlogSeen[fact.user] === fact.sec) continue;
      lastlogSeen[fact.user] = fact.sec;
      group('lastlog-newer', fact.file, {
        index: null,
        sec: fact.sec,
        detail: `${fact.user} logged in on ${fact.tty || '?'}${fact.host ? ` from ${fact.host}` : ''} at ${iso(fact.sec)} per ${fact.name}, but wtmp's last login of ${fact.user} is ${wtmpLast === null ? 'none' : iso(wtmpLast)}`,
      });
    }
  }
  add(tamperFindings([...groups.values()], LOGINS_SERVICE));

  // Unclean reboots: a boot new since the last run's mark with no shutdown since the boot before it. A
  // wtmp's boot is new by its position (the mark); a wtmpdb's by its row ID (above the last run's highest),
  // else (no mark of this database) by the last run's newest record time.
  const dbMark = history.source === 'wtmpdb' && prev?.db && prev.db.file === files[0] ? prev.db : undefined;
  const bootIsNew = (b: UncleanBoot): boolean => {
    if (history.source !== 'wtmpdb') return isNew(b.where, b.sec);
    if (dbMark) return (b.where.row ?? 0) > (dbMark.maxId ?? 0);
    return prev?.lastSec === undefined || b.sec > prev.lastSec;
  };
  add(
    uncleanRebootFindings({
      found: history.crashes,
      isNew: bootIsNew,
      firstRun:
        history.source === 'wtmpdb' ? !dbMark && prev?.lastSec === undefined : cmp.from.kind === 'all',
      since,
      sessions: history.sessions,
      files,
      zone,
      service: LOGINS_SERVICE,
    }),
  );

  // 4. The next state.
  const live = history.files.find((f) => f.display === liveDisplay);
  const lastSec = Math.max(prev?.lastSec ?? 0, history.audit.ends ?? 0);
  const state: LoginsState = {
    v: 1,
    mark: live
      ? {
          file: live.display,
          size: live.size,
          records: live.records,
          first: live.first,
          digest: live.digest,
          lastSec,
        }
      : undefined,
    // An unreadable wtmpdb keeps the last mark: the rows are compared with it once it reads again.
    db: db
      ? wtmpdbMark(
          history.files[0]?.display ?? liveDisplay,
          db.ids,
          history.audit.begins,
          topLoginRow(history.sessions),
        )
      : prev?.db,
    lastSec,
    reconciled: nextReconciled,
    lastlog: Object.fromEntries(Object.entries(lastlogSeen).slice(-500)),
    ...(authState ? { auth: authState } : {}),
    model: audit.learned,
    logOnly: capLogOnly(logOnly),
    long: audit.longReported,
  };
  const records = history.files.reduce((n, f) => n + f.records, 0);
  const users = new Set(history.sessions.filter((s) => isNew(s, s.start)).map((s) => s.user)).size;
  const what =
    history.source === 'wtmpdb'
      ? `${files[0]}${dbCmp.rotated ? ` (${dbCmp.rotated.count} row${dbCmp.rotated.count === 1 ? '' : 's'} moved by wtmpdb rotate to ${dbCmp.rotated.files.join(', ')})` : ''}`
      : `${history.files.length} wtmp file${history.files.length === 1 ? '' : 's'} (${records} records)`;
  const summary = `${audit.newLogins} new login${audit.newLogins === 1 ? '' : 's'} by ${users} user${users === 1 ? '' : 's'}${prev ? ' since the last run' : ''} in ${what}${logNote}`;
  return { history, findings, state, newLogins: audit.newLogins, summary, authBytes };
}

/** The `logins` check kind. */
export const loginsCheck: CheckKind = {
  description:
    'logins: new hosts, odd hours, root over the network, simultaneous and long sessions, system accounts; wtmp tamper tests; wtmp vs the auth log',
  readsState: (raw) => readState(raw) !== undefined,
  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const r = await inspectLogins(ctx);
    const status = worst(r.findings.map((f) => f.status));
    const problems = r.findings.filter((f) => f.status !== 'OK' && f.status !== 'INFO').length;
    // Status and count from every finding; the report lists the most serious (a wtmp of 500k logins from
    // distinct hosts made a 500 MB report of one login-new-host and one login-unmatched each).
    const result: CheckResult = capResult({
      service: LOGINS_SERVICE,
      status,
      summary: `${r.summary}${problems ? `: ${problems} finding${problems === 1 ? '' : 's'}` : ''}`,
      findings: r.findings,
    });
    // --since and --all look without moving the saved marks, as the other kinds do (a `check --since 30d`
    // moved them, and the next plain run dropped a CRITICAL it had not yet reported).
    if (ctx.options.since !== undefined || ctx.options.all) return { results: [result] };
    return { results: [result], state: r.state };
  },
};

/** The wtmpdb login row of ID `id`, or (no `id`) the one of the highest ID, as the mark keeps it. */
function topLoginRow(sessions: readonly Session[], id?: number): WtmpdbRow | undefined {
  let top: Session | undefined;
  for (const s of sessions) {
    if (s.row === undefined) continue;
    if (id !== undefined ? s.row === id : top === undefined || s.row > (top.row as number)) top = s;
  }
  return top?.row === undefined ? undefined : { id: top.row, user: top.user, login: top.start };
}
