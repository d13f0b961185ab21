/**
 * The login history of a host, read in place: the live wtmp and its rotated backups (`wtmp.1`,
 * `wtmp.2.gz`, `wtmp-20261101.gz`) merged oldest first, or a wtmpdb. One forward pass per file feeds the
 * tamper tests and the fingerprints; one backward pass runs `last`'s pairing (sessions.ts) so a session here
 * is exactly a line of `tenken last`. The audit, the reports and the mail all read this.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { reason, TenkenError } from '../core/errors.ts';
import { displayPath, type Host, hostPath } from '../core/host.ts';
import { inTree, resolveInRoot } from '../core/inroot.ts';
import { digest } from '../logs/read/content.ts';
import { addrText } from './last-format.ts';
import { type EndKind, type LastEntry, lastEntries, type RecordBatch } from './sessions.ts';
import { isBoot, isShutdown, type RecordAudit, WtmpAuditor } from './tamper.ts';
import { CrashTracker, recordText, type UncleanBoots } from './unclean-reboot.ts';
import { decodeRecord, fieldText, recordProblem, UT, type UtmpRecord } from './utmp.ts';
import { chunksBackward, openWtmp, type StrayTail, type WtmpFile } from './wtmp-file.ts';
import {
  isSqlite,
  openWtmpdb,
  type QuickCheck,
  WTMPDB_TYPE,
  type WtmpdbEvent,
  type WtmpdbIds,
  type WtmpdbUnreadable,
} from './wtmpdb.ts';

/** A file of the history: where it is on this machine and how the host names it. */
export interface HistoryFile {
  local: string;
  display: string;
  /** The host's root (absent: `/`): under --root, the file's links resolve inside the tree. */
  root?: string;
}

/** One login session (a `last` line of kind login), with text fields decoded as UTF-8. */
export interface Session {
  /** The user as text (UTF-8 decoded; a bad byte is U+FFFD). */
  user: string;
  /** ut_user's bytes (latin1 string): what matching against other bytes (the auth log's) compares. */
  userBytes: string;
  tty: string;
  /** The remote host as wtmp has it ('' for a local login). */
  host: string;
  /** ut_addr_v6 as text, or null when zero. */
  address: string | null;
  /** Login time (seconds). */
  start: number;
  /** End time (seconds), null while open. */
  end: number | null;
  /** Still logged in (no logout, no boot since, and, on the live host, its process is there). */
  open: boolean;
  endKind: EndKind;
  pid: number;
  /** File number in the history (0 = oldest) and 0-based record number in it. */
  file: number;
  index: number;
  /** The wtmpdb row's `ID` (a wtmpdb only): what evidence names, as `select * from wtmp where ID=N` finds it. */
  row?: number;
}

/** What was learnt about one file. */
export interface FileInfo {
  display: string;
  layout: string;
  records: number;
  /** Bytes of whole records. */
  size: number;
  tail: StrayTail | null;
  compressed: boolean;
  /** Fingerprint of the first record, null for an empty file. */
  first: string | null;
  /** Digest of all whole records, and of the first `checkpoint` bytes (null when the file is shorter). */
  digest: string;
  prefixDigest: string | null;
  /** First record's time (seconds), or null. */
  begins: number | null;
}

/** The history: files oldest first, sessions oldest first, the tamper pass, and what could not be read. */
export interface LoginHistory {
  source: 'wtmp' | 'wtmpdb' | 'none';
  files: FileInfo[];
  sessions: Session[];
  audit: RecordAudit;
  /** Boots with an earlier boot and no shutdown between them (unclean-reboot.ts), in record order. */
  crashes: UncleanBoots;
  /** Files that could not be read: `Cannot read /var/log/wtmp.1: permission denied`. */
  problems: { file: string; reason: string }[];
  /**
   * .gz files cut short or damaged, read up to where they inflate (only with `readTruncated`): host path,
   * records read, and why inflating stopped (`unexpected end of file`, `incorrect data check`).
   */
  truncated: { file: string; records: number; reason: string }[];
  /**
   * A wtmpdb read (source `wtmpdb`): its local path, row IDs (counted up to `checkpointId`), SQLite's
   * quick_check and the rows left out as unreadable.
   */
  wtmpdb?: { local: string; ids: WtmpdbIds; check: QuickCheck; unreadable: WtmpdbUnreadable };
}

/** Options of the history reader. */
export interface HistoryOptions {
  /** The run's time (seconds): open sessions of `last` end "now". */
  now: number;
  /** Whether an unclosed login's process still runs (live.ts); elsewhere `() => true`. */
  pidAlive: (rec: UtmpRecord) => boolean;
  /** Byte count whose prefix digest to compute per file (the last run's mark), if any. */
  checkpoint?: number | undefined;
  /** A wtmpdb's highest row ID at the last run: its rows up to it are counted (WtmpdbIds.upTo). */
  checkpointId?: number | undefined;
  /** Tolerance of the time-backwards test, seconds. */
  toleranceSec?: number;
  /**
   * Read a rotated .gz cut short up to where it ends and list it in `truncated` (the per-user reports: the
   * logins before the cut are worth showing); otherwise it is a problem and left out (the audit's choice).
   */
  readTruncated?: boolean;
}

const ROTATED = /^(?:\.(\d+)|-(\d{8}(?:\d{2})?))(?:\.gz)?$/;

/**
 * The live wtmp and its rotated backups as host paths, oldest first by name (`wtmp-20261001.gz`,
 * `wtmp.2.gz`, `wtmp.1`, `wtmp`); the history sorts them again by their first record.
 */
export function wtmpFamily(host: Pick<Host, 'root'>, wtmpPath: string): string[] {
  const dir = path.posix.dirname(wtmpPath);
  const base = path.posix.basename(wtmpPath);
  let names: string[] = [];
  try {
    names = fs.readdirSync(resolveInRoot(host, dir));
  } catch {
    names = [];
  }
  const rotated: { name: string; num: number; date: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(base)) continue;
    const m = ROTATED.exec(name.slice(base.length));
    if (m) rotated.push({ name, num: m[1] === undefined ? 0 : Number(m[1]), date: m[2] ?? '' });
  }
  rotated.sort((a, b) => {
    if (a.date && b.date) return a.date.localeCompare(b.date);
    if (a.date || b.date) return a.date ? -1 : 1;
    return b.num - a.num;
  });
  return [...rotated.map((r) => path.posix.join(dir, r.name)), wtmpPath];
}

/** Time of the file's first plausible record (a zeroed first record must not move the file to 1970). */
function firstSec(f: WtmpFile): number | null {
  const buf = f.read(0, 64);
  const size = f.layout.size;
  for (let off = 0; off + size <= buf.length; off += size) {
    if (recordProblem(buf, off, f.layout)) continue;
    const r = decodeRecord(buf, off, f.layout, off / size);
    if (r.type !== 0 && r.sec > 0) return r.sec;
  }
  return null;
}

const CHUNK = 4096;

/** One forward pass: fingerprints, digests, and every record through the tamper auditor. */
function scanFile(
  f: WtmpFile,
  fileNo: number,
  auditor: WtmpAuditor,
  checkpoint: number | undefined,
  crashes: CrashTracker,
): FileInfo {
  const size = f.layout.size;
  const all = createHash('sha256');
  const prefix = checkpoint !== undefined && checkpoint <= f.records * size ? createHash('sha256') : null;
  let hashed = 0;
  let first: string | null = null;
  let records = 0;
  auditor.startFile(fileNo);
  for (let at = 0; at < f.records; at += CHUNK) {
    const buf = f.read(at, CHUNK);
    const n = buf.length / size;
    if (n === 0) break;
    if (at === 0) first = digest(buf.subarray(0, size));
    all.update(buf);
    if (prefix && checkpoint !== undefined && hashed < checkpoint) {
      prefix.update(buf.subarray(0, Math.min(buf.length, checkpoint - hashed)));
    }
    hashed += buf.length;
    for (let i = 0; i < n; i++) {
      const off = i * size;
      const r = decodeRecord(buf, off, f.layout, at + i);
      const problem = recordProblem(buf, off, f.layout);
      auditor.record(r, problem);
      // A damaged or empty record says nothing about the machine being up.
      if (problem || r.type === UT.EMPTY) continue;
      const where = { file: fileNo, index: r.index };
      if (isBoot(r)) crashes.boot(r.sec, where);
      else if (isShutdown(r)) crashes.shutdown(r.sec, where);
      else crashes.activity(r.sec, recordText(r), where);
    }
    records += n;
  }
  return {
    display: f.display,
    layout: f.layout.name,
    records,
    size: records * size,
    tail: f.tail,
    compressed: f.compressed,
    first,
    digest: all.digest('base64url').slice(0, 22),
    prefixDigest: prefix ? prefix.digest('base64url').slice(0, 22) : null,
    begins: firstSec(f),
  };
}

/** A `last` login entry as a Session. */
export function sessionOf(e: LastEntry): Session {
  const r = e.record;
  const open = e.end === 'still-logged-in';
  const address = r.addr.every((w) => w === 0) ? null : addrText(r.addr);
  return {
    user: fieldText(r.user),
    userBytes: r.user,
    tty: fieldText(e.line),
    host: fieldText(r.host),
    address,
    start: r.sec,
    end: open || e.end === 'gone' || !e.logout ? null : e.logout,
    open,
    endKind: e.end,
    pid: r.pid,
    file: e.file,
    index: r.index,
    ...(e.row !== undefined ? { row: e.row } : {}),
  };
}

function* merged(files: readonly WtmpFile[]): Generator<RecordBatch> {
  for (let i = files.length - 1; i >= 0; i--) {
    for (const records of chunksBackward(files[i] as WtmpFile)) yield { records, file: i };
  }
}

function emptyAudit(): RecordAudit {
  return { hits: [], boots: [], lastLogin: new Map(), begins: null, ends: null };
}

/**
 * Reads the whole history of `inputs` (wtmp files, the live one last as historyInputs gives them, or one
 * wtmpdb). Unreadable or foreign files are listed in `problems` and left out; the rest is still read.
 */
export async function readHistory(
  inputs: readonly HistoryFile[],
  opts: HistoryOptions,
): Promise<LoginHistory> {
  const problems: { file: string; reason: string }[] = [];
  const db = inputs.find((i) => isSqlite(i.local, i.root));
  if (db) return readWtmpdb(db, opts);
  const opened: { f: WtmpFile; begins: number | null; order: number }[] = [];
  try {
    for (const [order, input] of inputs.entries()) {
      try {
        const f = await openWtmp(input.local, {
          display: input.display,
          ...(input.root !== undefined ? { root: input.root } : {}),
          ...(opts.readTruncated ? { readTruncated: true } : {}),
        });
        opened.push({ f, begins: firstSec(f), order });
      } catch (err) {
        problems.push({ file: input.display, reason: reason(err).replace(/^Cannot read [^:]*: /, '') });
      }
    }
    // One history ordered by each file's first record, and the live file (the last input) last whatever its
    // first record: new records are appended there, and the mark comparison takes the last file for it.
    // Rotated files without a record (an empty wtmp rotated away) hold nothing and go first: sorted after
    // the live file, such a file once made every later login count as already seen.
    const liveOrder = inputs.length - 1;
    opened.sort((a, b) => {
      if (a.order === liveOrder || b.order === liveOrder) return a.order === liveOrder ? 1 : -1;
      if (a.begins === null || b.begins === null)
        return a.begins === b.begins ? a.order - b.order : a.begins === null ? -1 : 1;
      return a.begins - b.begins || a.order - b.order;
    });
    const files = opened.map((o) => o.f);
    const auditor = new WtmpAuditor(opts.toleranceSec ?? 300);
    const crashes = new CrashTracker();
    const infos = files.map((f, i) => scanFile(f, i, auditor, opts.checkpoint, crashes));
    const sessions: Session[] = [];
    for (const e of lastEntries(merged(files), { now: opts.now, pidAlive: opts.pidAlive })) {
      if (e.kind === 'login') sessions.push(sessionOf(e));
    }
    sessions.reverse();
    sessions.sort((a, b) => a.start - b.start || a.file - b.file || a.index - b.index);
    return {
      source: files.length ? 'wtmp' : 'none',
      files: infos,
      sessions,
      audit: auditor.result(),
      crashes: crashes.result(),
      problems,
      truncated: files
        .filter((f) => f.truncated)
        .map((f) => ({ file: f.display, records: f.records, reason: f.damage ?? 'unexpected end of file' })),
    };
  } finally {
    for (const o of opened) o.f.close();
  }
}

/**
 * Whether a .gz that stopped inflating for `reason` lost a part: not when only its trailer's CRC or length
 * disagreed (every byte inflated).
 */
export function partLost(reason: string): boolean {
  return !/^incorrect (data|length) check$/.test(reason);
}

/**
 * The one line that says a .gz backup was read only in part (stderr of `last` and `logins report`, the
 * check's finding): `/var/log/wtmp.2.gz is cut short or corrupt (unexpected end of file): ...`.
 */
export function truncatedText(t: { file: string; records: number; reason: string }): string {
  const n = `${t.records} record${t.records === 1 ? '' : 's'}`;
  return !partLost(t.reason)
    ? `${t.file} is corrupt (${t.reason}): all of it inflates but does not match its gzip checksum; its ${n} were read as they are, as zcat prints them`
    : `${t.file} is cut short or corrupt (${t.reason}): read the ${n} before that point, as zcat does; any after it are lost`;
}

/** A history of nothing, with the file listed as unreadable and why. */
function unreadable(input: HistoryFile, err: unknown): LoginHistory {
  return {
    source: 'none',
    files: [],
    sessions: [],
    audit: emptyAudit(),
    crashes: { boots: [], count: 0 },
    problems: [{ file: input.display, reason: reason(err).replace(/^Cannot read [^:]*: /, '') }],
    truncated: [],
  };
}

function readWtmpdb(input: HistoryFile, opts: HistoryOptions): LoginHistory {
  let handle: ReturnType<typeof openWtmpdb>;
  try {
    handle = openWtmpdb(input.local, input.display, input.root);
  } catch (err) {
    return unreadable(input, err);
  }
  try {
    const sessions: Session[] = [];
    const audit = emptyAudit();
    let ids: WtmpdbIds;
    let check: QuickCheck;
    try {
      // SQLite reads a cut file as what its pages still say (rows of NULLs): quick_check tells that apart.
      check = handle.quickCheck();
      ids = handle.ids(opts.checkpointId);
      for (const e of handle.entries({ now: opts.now, pidAlive: opts.pidAlive })) {
        if (e.kind === 'reboot') audit.boots.push(e.record.sec);
        if (e.kind !== 'login') continue;
        const s = sessionOf(e);
        sessions.push(s);
        if ((audit.lastLogin.get(s.user) ?? Number.NEGATIVE_INFINITY) < s.start)
          audit.lastLogin.set(s.user, s.start);
      }
    } catch (err) {
      // A damaged page met part-way: the rows are read newest first, so what was read is only the newest
      // part, and auditing it would call every older login in the auth log a removed record. The file is
      // reported unreadable, like one that does not open; the rest of the check still runs.
      if (!(err instanceof TenkenError)) throw err;
      return unreadable(input, err);
    }
    sessions.sort((a, b) => a.start - b.start || a.index - b.index);
    const crashes = new CrashTracker();
    try {
      for (const e of handle.timeline()) {
        const where = { file: 0, index: 0, row: e.ID };
        if (e.Type === WTMPDB_TYPE.BOOT_TIME) {
          if (e.logout) crashes.shutdown(e.sec, where);
          else crashes.boot(e.sec, where);
        } else crashes.activity(e.sec, wtmpdbEventText(e), where);
      }
    } catch (err) {
      if (!(err instanceof TenkenError)) throw err;
      return unreadable(input, err);
    }
    audit.begins = handle.begins;
    // Sorted by start: the last is the latest (Math.max(...all) overflows the stack on a big wtmp.db).
    audit.ends = sessions.at(-1)?.start ?? null;
    return {
      source: 'wtmpdb',
      files: [
        {
          display: input.display,
          layout: 'wtmpdb',
          records: handle.rows,
          size: 0,
          tail: null,
          compressed: false,
          first: null,
          digest: '',
          prefixDigest: null,
          begins: handle.begins,
        },
      ],
      sessions,
      audit,
      crashes: crashes.result(),
      problems: [],
      truncated: [],
      wtmpdb: { local: input.local, ids, check, unreadable: handle.unreadable },
    };
  } finally {
    handle.close();
  }
}

/** A wtmpdb row's Login or Logout as a sign of life (`logout of alice on pts/0`), as recordText says a wtmp one. */
function wtmpdbEventText(e: WtmpdbEvent): string {
  const tty = e.TTY ?? '?';
  if (e.Type === WTMPDB_TYPE.USER_PROCESS)
    return e.logout
      ? `logout of ${e.User ?? '?'} on ${tty}`
      : `login of ${e.User ?? '?'} on ${tty}${e.RemoteHost ? ` from ${e.RemoteHost}` : ''}`;
  if (e.Type === WTMPDB_TYPE.RUNLEVEL) return e.logout ? 'run level end' : 'run level change';
  return `row of type ${e.Type}`;
}

/** Where Debian 13's wtmpdb keeps its database (pam_wtmpdb, `wtmpdb last`). */
export const WTMPDB_PATH = '/var/lib/wtmpdb/wtmp.db';

/** The history files of a host: the configured wtmp family, else Debian 13's wtmpdb when wtmp is absent. */
export function historyInputs(
  host: Pick<Host, 'root'>,
  wtmpPath: string,
  wtmpdbPath = WTMPDB_PATH,
): HistoryFile[] {
  const family = wtmpFamily(host, wtmpPath).map((p) => ({
    local: hostPath(host, p),
    display: p,
    root: host.root,
  }));
  const exists = (p: string): boolean => {
    try {
      return fs.statSync(inTree(host.root, p)).isFile();
    } catch {
      return false;
    }
  };
  if (family.some((f) => exists(f.local)))
    return family.filter((f, i) => i === family.length - 1 || exists(f.local));
  const db = hostPath(host, wtmpdbPath);
  if (exists(db)) return [{ local: db, display: displayPath(host, db), root: host.root }];
  return family.slice(-1);
}
