/**
 * The `dialup` check: mgetty's call log correlated with wtmp per serial line, and the modem's health.
 * This file is the thin I/O shell (find and read files, resolve the host's zone); parsing and correlation
 * are pure (mgetty.ts, correlate.ts, findings.ts).
 *
 * What it covers: lines run by mgetty (or vgetty), whose per-line log or syslog lines record each call.
 * agetty on ttyS* or ttyUSB* lines writes no record of calls (only errors), so a line it serves can only be checked
 * when mgetty-format or syslog call records exist for it; logins on serial lines without any call log are
 * not judged (nothing to compare with), and the line does not appear in the report.
 */
import { append } from '../core/array.ts';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Plan } from '../config/plan.ts';
import { describe, errnoCode, TenkenError } from '../core/errors.ts';
import { expandHostGlob } from '../core/glob.ts';
import { argPath, displayPath, type Host, hostPath } from '../core/host.ts';
import { inTree, resolveInRoot } from '../core/inroot.ts';
import type { FileHandle } from 'node:fs/promises';
import { type OpenOptions, openRegular } from '../core/open.ts';
import { capResult, MAX_LISTED } from '../core/cap.ts';
import type { CheckResult, Finding } from '../core/report.ts';
import { hostZoneName } from '../core/tz.ts';
import { worst } from '../core/status.ts';
import type { CheckContext, CheckKind, CheckOutcome } from '../checks/types.ts';
import { logsConfig } from '../logs/config.ts';
import { DEFAULT_CHUNK, LineScanner } from '../logs/scan/lines.ts';
import { compileRules, type RuleSet } from '../logs/scan/rules.ts';
import { gunzipFrom } from '../logs/read/content.ts';
import { liveNameOf, orderFamily } from '../logs/read/family.ts';
import type { DialupConfig } from './config.ts';
import {
  correlate,
  correlatedLines,
  type LineResult,
  type LoginRecord,
  normalLine,
  recordNeeded,
  type UtType,
} from './correlate.ts';
import { copyMembers, familyKey } from './copies.ts';
import { buildFindings, type DialupFinding } from './findings.ts';
import { LineSplitter } from './log-lines.ts';
import { GZIP_MAX_RATIO, GZIP_MAX_SIZE, gzipLimit } from '../logins/wtmp-file.ts';
import { historyInputs, WTMPDB_PATH, wtmpFamily } from '../logins/history.ts';
import { openWtmpdb } from '../logins/wtmpdb.ts';
import { LAYOUT_SAMPLE, WtmpDecoder, wtmpdbRecords, wtmpLayout } from './logins-source.ts';
import {
  deviceFromFileName,
  serialDevice,
  extractCalls,
  mayBeEntry,
  type MgettyEntry,
  type ModemIssueGroup,
  newModemIssues,
  parseMgettyLog,
} from './mgetty.ts';
import { type DialupState, marksOf, nextState, parseDialupState, withoutFutureMarks } from './state.ts';
import { type HourRange, parseHours } from './time.ts';

/** Service name the findings are filed under when the plan has no mgetty service. */
export const DIALUP_SERVICE = 'mgetty';

/** A file to read: where it is on this machine, and how the report names it. */
interface Source {
  local: string;
  shown: string;
}

/** What the dial-up inspection needs besides the host and the options. */
export interface DialupInputs {
  /**
   * mgetty logs given on the command line (local paths): replace discovery, and syslog is not read. One that
   * cannot be read throws `Cannot read FILE: why` (a TenkenError, exit 3): nothing was checked as asked.
   */
  logs?: readonly string[] | undefined;
  /** wtmp files given on the command line (local paths): replace the configured ones; unreadable, as `logs`. */
  wtmp?: readonly string[] | undefined;
  /** Only these lines. */
  ttys?: readonly string[] | undefined;
  /** Only events at or after this time. */
  since?: Date | undefined;
  /** Directory the command-line paths are relative to (default: this process's). */
  cwd?: string | undefined;
  /** The run's deadline: reading stops with an AbortError once it fires (the check is then UNKNOWN). */
  signal?: AbortSignal | undefined;
  /**
   * The check's state from the last delivered run: only what is new since is judged and counted. Absent
   * (the command, `--since`, `--all`, a first run): the whole history is.
   */
  saved?: DialupState | undefined;
}

/** Everything one inspection found, for the check and the `tenken dialup` command. */
export interface DialupInspection {
  /** False when no mgetty log exists (the check then reports nothing). */
  enabled: boolean;
  service: string;
  timeZone: string | undefined;
  logs: string[];
  wtmp: string[];
  lines: LineResult[];
  trouble: ModemIssueGroup[];
  findings: DialupFinding[];
  /** Sources that could not be read (`not-checked` findings). */
  problems: Finding[];
  /**
   * The dial-up lines known on this host, sorted: those with an mgetty log (even one not read or empty),
   * those mgetty's log lines name, those `hours` configures, and, when lines were asked for (`ttys`),
   * serial lines wtmp has records of. A line asked for that is none of these is a typo (unknownLines).
   */
  knownLines: string[];
  /** Whether a saved state limited the inspection to what is new since the last run. */
  resumed: boolean;
  /** The state to keep for the next run (the check commits it after delivery). */
  state: DialupState;
}

/** The mgetty service's name in the plan (its profile is `mgetty`), else `mgetty`. */
function serviceName(plan: Plan | undefined): string {
  return plan?.services.find((s) => s.profile === 'mgetty' || s.name === 'mgetty')?.name ?? DIALUP_SERVICE;
}

/**
 * Whether a log path names something to read: anything but a directory. A FIFO or device where the log
 * should be is read (and refused, "not a regular file"): passed over, it made `dialup` say "No mgetty log
 * found" on a host whose services check had just detected mgetty by that very file.
 */
function isLog(local: string, root: string): boolean {
  try {
    return !statSync(inTree(root, local)).isDirectory();
  } catch (err) {
    return errnoCode(err) !== 'ENOENT';
  }
}

/** A log's text as read, before parsing. */
interface ReadLog {
  shown: string;
  /** The lines parseMgettyLog can make entries of (mayBeEntry), joined by `\n`. */
  text: string;
  mtime: Date;
  /** Each kept line's number in the file. */
  lineNos: number[];
  /** A syslog file (only its getty lines are kept): the device is on each line, not in the name. */
  syslog: boolean;
  /** Whether anything at all decompressed of a `.gz` (of a plain file: whether it is non-empty). */
  content: boolean;
  /** Why a `.gz` did not decompress whole (a cut file): `text` is what did. */
  damage: unknown;
}

/** What one wtmp file gave: the records kept, how far back it reaches, when it was last written. */
type WtmpRead =
  | { ok: true; records: LoginRecord[]; oldest: number; mtime: Date }
  | { ok: false; reason: string };

/** How much of a `.gz` wtmp is kept while it is first inflated: a backup up to this size is inflated once. */
const GZIP_KEPT = 16 * 1024 * 1024;

/** Bytes of a plain wtmp read at a time (2048 records of the larger layout). */
const WTMP_CHUNK = 2048 * 400;

/**
 * The records of one wtmp file (plain, or a `.gz` backup by its name) that `keep` accepts, read in chunks:
 * memory grows with the records kept, not with the file. Records are aligned from the start of the file and
 * its layout is decided by its first records and its size, as src/logins's decoder decides it. A `.gz` is
 * inflated once to learn its size (refused past the logins check's bound, gzipLimit: a gzip bomb), and a
 * second time to be decoded unless it inflated to at most GZIP_KEPT; one cut short or damaged throws zlib's
 * error and gives no records. A layout that fits neither glibc layout is `ok: false`. A symbolic link is followed only when trusted
 * (src/core/open.ts), unless `opts` says otherwise.
 */
async function readWtmp(
  local: string,
  shown: string,
  opts: OpenOptions,
  keep: (type: UtType, line: string) => boolean,
  now: Date,
  signal?: AbortSignal,
): Promise<WtmpRead> {
  const { handle, stat: st } = await openRegular(local, opts);
  try {
    if (local.endsWith('.gz')) {
      let size = 0;
      let kept: Buffer[] | null = [];
      const head: Buffer[] = [];
      let headSize = 0;
      // The logins check's bound for the same file: a backup it reads is read here too.
      const { limit, why } = gzipLimit(st.size);
      for await (const chunk of gunzipFrom(handle)) {
        signal?.throwIfAborted();
        size += chunk.length;
        if (size > limit) throw new Error(`decompresses to more than ${limit} bytes, ${why}`);
        if (headSize < LAYOUT_SAMPLE) {
          head.push(chunk.subarray(0, LAYOUT_SAMPLE - headSize));
          headSize += Math.min(chunk.length, LAYOUT_SAMPLE - headSize);
        }
        if (kept) {
          kept.push(chunk);
          if (size > GZIP_KEPT) kept = null;
        }
      }
      const layout = wtmpLayout(Buffer.concat(head), size);
      if (!layout.ok) return layout;
      const decoder = new WtmpDecoder(layout.layout, size, shown, keep);
      if (kept) for (const chunk of kept) decoder.push(chunk);
      else
        for await (const chunk of gunzipFrom(handle)) {
          signal?.throwIfAborted();
          decoder.push(chunk);
          if (decoder.done) break;
        }
      return { ok: true, records: decoder.records, oldest: decoder.oldest, mtime: st.mtime };
    }
    const size = st.size;
    const buf = Buffer.allocUnsafe(Math.max(LAYOUT_SAMPLE, WTMP_CHUNK));
    const head = await readAt(handle, buf.subarray(0, Math.min(size, LAYOUT_SAMPLE)), 0);
    if (head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER))
      return readWtmpdb(local, shown, keep, now, st.mtime, opts.root);
    const layout = wtmpLayout(head, size);
    if (!layout.ok) return layout;
    const decoder = new WtmpDecoder(layout.layout, size, shown, keep);
    for (let pos = 0; pos < size; ) {
      signal?.throwIfAborted();
      const { bytesRead: n } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) break; // it shrank while read: the whole records before
      decoder.push(buf.subarray(0, n));
      pos += n;
    }
    return { ok: true, records: decoder.records, oldest: decoder.oldest, mtime: st.mtime };
  } finally {
    await handle.close();
  }
}

/** The first bytes of every SQLite database: a wtmpdb where a wtmp was expected is read as one. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The records of a wtmpdb (Debian 13's `/var/lib/wtmpdb/wtmp.db`) that `keep` accepts, its rows paired as
 * `last` pairs them (src/logins/wtmpdb.ts) and mapped to the records a wtmp would hold (logins-source.ts
 * `wtmpdbRecords`): what the correlation consumes does not depend on which one the host keeps. Read
 * read-only; a database that does not open or is damaged part-way throws a one-line error.
 */
function readWtmpdb(
  local: string,
  shown: string,
  keep: (type: UtType, line: string) => boolean,
  now: Date,
  mtime: Date,
  root?: string,
): WtmpRead {
  const db = openWtmpdb(local, shown, root);
  try {
    const entries = db.entries({ now: Math.floor(now.getTime() / 1000), pidAlive: () => true });
    const { records, oldest } = wtmpdbRecords(entries, shown, keep);
    return { ok: true, records, oldest, mtime };
  } finally {
    db.close();
  }
}

/** Fills `buf` from `pos` on, or as much as the file holds: the part filled. */
async function readAt(handle: FileHandle, buf: Buffer, pos: number): Promise<Buffer> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead: n } = await handle.read(buf, got, buf.length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * A per-line log's lines that can make entries, streamed: a plain file read in chunks, a `.gz` inflated in
 * chunks (src/logs's gunzipFrom, a zlib stream) up to the wtmp backups' bound (gzipLimit), each line capped
 * as src/logs caps it (log-lines.ts). Only the lines kept cost memory; a log padded with a long line or a
 * gzip bomb does not. A symbolic link is followed only when trusted (src/core/open.ts), unless `opts` says
 * otherwise (a log named on the command line).
 */
async function readText(
  local: string,
  opts: OpenOptions = {},
  signal?: AbortSignal,
): Promise<Omit<ReadLog, 'shown'>> {
  const { handle, stat: st } = await openRegular(local, opts);
  const kept: string[] = [];
  const lineNos: number[] = [];
  const lines = new LineSplitter((bytes, lineNo) => {
    const line = bytes.toString('utf8');
    if (!mayBeEntry(line)) return;
    kept.push(line);
    lineNos.push(lineNo);
  });
  let size = 0;
  let damage: unknown = null;
  try {
    if (local.endsWith('.gz')) {
      const { limit, why } = gzipLimit(st.size, GZIP_MAX_SIZE, GZIP_MAX_RATIO, 'mgetty log');
      try {
        for await (const chunk of gunzipFrom(handle)) {
          signal?.throwIfAborted();
          size += chunk.length;
          if (size > limit) throw new Error(`decompresses to more than ${limit} bytes, ${why}`);
          lines.push(chunk);
        }
      } catch (err) {
        // A .gz gzip is still writing ends short: what decompressed may be a copy of its plain twin.
        if (errnoCode(err) !== 'Z_BUF_ERROR') throw err;
        damage = err;
      }
    } else {
      const buf = Buffer.allocUnsafe(DEFAULT_CHUNK);
      for (;;) {
        signal?.throwIfAborted();
        const { bytesRead: n } = await handle.read(buf, 0, buf.length, null);
        if (n === 0) break;
        size += n;
        lines.push(buf.subarray(0, n));
      }
    }
    lines.end();
  } finally {
    await handle.close();
  }
  return { text: kept.join('\n'), mtime: st.mtime, lineNos, syslog: false, content: size > 0, damage };
}

/** Which of the logs read are copies of another member of their family (see copies.ts), by index. */
function copiesOf(read: readonly ReadLog[]): Set<number> {
  const families = new Map<string, number[]>();
  for (const [i, r] of read.entries()) {
    const key = familyKey(r.shown);
    const members = families.get(key) ?? [];
    members.push(i);
    families.set(key, members);
  }
  const out = new Set<number>();
  for (const members of families.values()) {
    if (members.length < 2) continue;
    for (const k of copyMembers(members.map((i) => (read[i] as ReadLog).text))) out.add(members[k] as number);
    // A .gz gzip has only begun to write decompresses to nothing yet: a copy of a member beside it.
    for (const i of members) {
      const r = read[i] as ReadLog;
      if (r.damage && !r.content) out.add(i);
    }
  }
  return out;
}

/** The reader's rules for mgetty/vgetty lines: the keyword `getty[` (the kernel folds case; kept lines are exact). */
let gettyRules: RuleSet | undefined;

/**
 * The mgetty/vgetty lines of a (possibly large) syslog file: src/logs's scanner finds the lines holding
 * `getty[` with its SIMD keyword kernel (bytes in place, line numbers counted), so only those lines become
 * strings. Line numbers are kept so evidence points at the right line.
 */
export async function syslogLines(
  local: string,
  chunkSize = DEFAULT_CHUNK,
  signal?: AbortSignal,
  root = '/',
): Promise<{ text: string; mtime: Date; lineNos: number[] }> {
  const { handle, stat: st } = await openRegular(local, { root });
  const kept: string[] = [];
  const lineNos: number[] = [];
  gettyRules ??= compileRules(
    logsConfig.parse({ runbook: false, categories: { getty: { keywords: ['getty['] } } }),
  );
  const scanner = new LineScanner(
    gettyRules,
    (hit) => {
      if (!hit.text.includes('getty[')) return;
      kept.push(Buffer.from(hit.text, 'latin1').toString('utf8'));
      lineNos.push(hit.line);
    },
    { chunk: chunkSize, countLines: true },
  );
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead: n } = await handle.read(scanner.buf, scanner.len, scanner.free, null);
      if (n === 0) break;
      scanner.wrote(n);
    }
    scanner.finish(true);
  } finally {
    await handle.close();
  }
  return { text: kept.join('\n'), mtime: st.mtime, lineNos };
}

/** Why `shown` could not be read, as one line's "why" part (errno text, or the reader's message). */
function whyUnread(shown: string, err: unknown): string {
  // A reader's own one-line error (`Cannot read /var/lib/wtmpdb/wtmp.db: ...`) says its path already.
  const said = describe('', err).replace(/^: /, '');
  const own = `Cannot read ${shown}: `;
  return said.startsWith(own) ? said.slice(own.length) : said;
}

/**
 * A file the admin named on the command line (`--mgetty-log`, `-f`) that cannot be read: nothing was checked
 * as asked, so the command stops with `Cannot read FILE: why` and exits 3 (UNKNOWN), as `scan FILE`,
 * `attacks FILE` and `last -f FILE` do.
 */
function unreadArgument(shown: string, err: unknown): TenkenError {
  return new TenkenError(`Cannot read ${shown}: ${whyUnread(shown, err)}`, { cause: err });
}

function notChecked(
  service: string,
  what: string,
  shown: string,
  err: unknown,
  consequence: string,
): Finding {
  const why = whyUnread(shown, err);
  return {
    kind: 'not-checked',
    status: 'WARNING',
    service,
    summary: `Cannot read ${shown}: ${why}${consequence}`,
    evidence: [],
    data: { what, path: shown, reason: why },
  };
}

/**
 * A log and its rotated copies beside it, oldest first, the log last: the family src/logs reads
 * (`x.2.gz`, `x.1`, dateext `x-20260501` in logrotate's dateformats), so both checks follow one rotation.
 */
function withRotations(host: Host, shownPath: string): string[] {
  const dir = path.posix.dirname(shownPath);
  let names: string[];
  try {
    names = readdirSync(resolveInRoot(host, dir));
  } catch {
    return [shownPath]; // the read of the log itself says why
  }
  const members = orderFamily(path.posix.basename(shownPath), names).map((m) => path.posix.join(dir, m.name));
  return members.at(-1) === shownPath ? members : [...members, shownPath];
}

/**
 * The files of a configured wtmp: the file and its rotated backups (wtmpFamily), or, for the first
 * configured one, Debian 13's wtmpdb instead when none of them exists and the database does: the logins
 * check's rule (src/logins/history.ts `historyInputs`), so both checks read the same history.
 */
function historyFamily(host: Host, configured: string, i: number): string[] {
  if (i === 0) {
    const db = hostPath(host, WTMPDB_PATH);
    const inputs = historyInputs(host, configured);
    if (inputs.length === 1 && inputs[0]?.local === db) return [WTMPDB_PATH];
  }
  return wtmpFamily(host, configured);
}

/** The records kept of every wtmp read, which were read, and how far back they reach (ms). */
interface WtmpFiles {
  records: LoginRecord[];
  wtmpRead: string[];
  wtmpStart: number | undefined;
}

/**
 * Reads the wtmp files (the command line's, else each configured one with its rotated backups), keeping the
 * records `keep` accepts; a configured file that cannot be read is handed to `problem` (with what it means
 * for the report) and passed over, one given on the command line throws a one-line TenkenError.
 */
export async function readWtmpFiles(
  host: Host,
  config: DialupConfig,
  inputs: DialupInputs,
  keep: (type: UtType, line: string) => boolean,
  problem: (err: unknown, shown: string, consequence: string) => void,
): Promise<WtmpFiles> {
  const newest = (mtime: Date): Date => (mtime > host.now ? host.now : mtime);
  const records: LoginRecord[] = [];
  const wtmpRead: string[] = [];
  // Each configured wtmp with the rotated backups beside it, as the logins check finds them (wtmp.1,
  // wtmp.2.gz, RHEL's dated wtmp-20261101): a call's login is in whichever covers its day.
  const wtmpSources: (Source & { optional: boolean })[] = inputs.wtmp?.length
    ? inputs.wtmp.map((p) => ({
        local: argPath(host, inputs.cwd ?? process.cwd(), p),
        shown: p,
        optional: false,
      }))
    : [
        ...new Map(
          config.wtmp.flatMap((configured, i) =>
            historyFamily(host, configured, i).map((p) => [
              p,
              {
                local: hostPath(host, p),
                shown: displayPath(host, hostPath(host, p)),
                // A backup is optional, and so is any configured path after the first (the old default's wtmp.1).
                optional: p !== configured || i > 0,
              },
            ]),
          ),
        ).values(),
      ];
  // How far back wtmp reaches: its oldest record, or for a file without any (just rotated, or emptied) the
  // time it was last written. Calls before it are not judged (their logins may have been rotated away).
  let wtmpStart: number | undefined;
  for (const s of wtmpSources) {
    let read: WtmpRead;
    try {
      read = await readWtmp(
        s.local,
        s.shown,
        // Under --root, the tree's links resolve inside it (src/core/open.ts), a file named or configured.
        inputs.wtmp?.length ? { follow: true, root: host.root } : { root: host.root },
        keep,
        host.now,
        inputs.signal,
      );
    } catch (err) {
      if (inputs.signal?.aborted) throw err; // the run's deadline, not this file's fault
      // A rotated copy is optional; the current one is not.
      if (s.optional && errnoCode(err) === 'ENOENT') continue;
      if (inputs.wtmp?.length) throw unreadArgument(s.shown, err);
      problem(err, s.shown, ': logins on dial-up lines not compared with calls');
      continue;
    }
    if (!read.ok) {
      if (inputs.wtmp?.length) throw unreadArgument(s.shown, new Error(read.reason));
      problem(new Error(read.reason), s.shown, '');
      continue;
    }
    append(records, read.records);
    wtmpRead.push(s.shown);
    const oldest = Number.isFinite(read.oldest) ? read.oldest : newest(read.mtime).getTime();
    wtmpStart = Math.min(wtmpStart ?? oldest, oldest);
  }
  return { records, wtmpRead, wtmpStart };
}

/** Runs the whole dial-up inspection: discover, read, parse, correlate, build findings. */
export async function inspectDialup(
  host: Host,
  config: DialupConfig,
  plan: Plan | undefined,
  inputs: DialupInputs = {},
): Promise<DialupInspection> {
  const service = serviceName(plan);
  const timeZone = hostZoneName(host, config.timeZone);
  const problems: Finding[] = [];
  // Marks later than now (the clock went back, or was ahead at the last run) are not trusted: said, and
  // their lines judged afresh.
  const { state: saved, ahead } = withoutFutureMarks(inputs.saved, host.now);
  for (const a of ahead)
    problems.push({
      kind: 'not-checked',
      status: 'WARNING',
      service,
      summary: `The last run judged ${a.line} up to ${new Date(a.mark).toISOString()}, later than now: the clock went back since, or was ahead then; ${a.line} is judged afresh (a finding of an earlier run may come once more)`,
      evidence: [],
      data: { what: 'dial-up state', path: a.line, reason: 'marks later than now' },
    });

  // 1. Which logs: the command line's, else the config's globs plus the mgetty profile's.
  let logSources: Source[];
  if (inputs.logs?.length) {
    logSources = inputs.logs.map((p) => ({ local: argPath(host, inputs.cwd ?? process.cwd(), p), shown: p }));
  } else {
    const patterns = new Set(config.logs);
    for (const s of plan?.services ?? [])
      if (s.profile === 'mgetty' || s.name === service) for (const l of s.logs) patterns.add(l);
    const shown = new Set<string>();
    for (const pattern of patterns) {
      for (const p of expandHostGlob(host, pattern)) {
        // A rotated copy a glob caught is read with its live log's family.
        if (liveNameOf(path.posix.basename(p)) !== null || p.endsWith('.gz')) continue;
        if (!isLog(hostPath(host, p), host.root)) continue;
        for (const q of withRotations(host, p)) shown.add(q);
      }
    }
    logSources = [...shown].map((p) => ({ local: hostPath(host, p), shown: p }));
  }
  const enabled = logSources.length > 0;
  const configuredLines = Object.keys(config.hours).filter((l) => l !== '*');
  const knownLines = new Set<string>([
    ...configuredLines,
    ...logSources.flatMap((s) => deviceFromFileName(s.shown) ?? []),
  ]);
  const empty: DialupInspection = {
    enabled,
    service,
    timeZone,
    logs: [],
    wtmp: [],
    lines: [],
    trouble: [],
    findings: [],
    problems,
    knownLines: [...configuredLines].sort(),
    resumed: inputs.saved !== undefined,
    state: nextState(saved, new Map(), new Map()),
  };
  if (!enabled) return empty;

  // 2. Read the per-line logs and (unless logs were given) mgetty's syslog lines, then parse every member
  // that is no copy of another member of its family. A file cannot hold lines from after the inspection
  // time: an mtime in the future (a copied or checked-out tree) is capped at now.
  const newest = (mtime: Date): Date => (mtime > host.now ? host.now : mtime);
  const read: ReadLog[] = [];
  for (const s of logSources) {
    try {
      // Logs named on the command line are the admin's choice: followed through any symbolic link.
      const follow = inputs.logs?.length ? { follow: true, root: host.root } : { root: host.root };
      read.push({ shown: s.shown, ...(await readText(s.local, follow, inputs.signal)) });
    } catch (err) {
      if (inputs.signal?.aborted) throw err; // the run's deadline, not this file's fault
      if (inputs.logs?.length) throw unreadArgument(s.shown, err);
      problems.push(notChecked(service, 'log', s.shown, err, ''));
    }
  }
  if (!inputs.logs?.length && config.syslog) {
    for (const pattern of plan?.syslogFiles ?? []) {
      for (const p of expandHostGlob(host, pattern)) {
        const local = hostPath(host, p);
        try {
          if (!statSync(inTree(host.root, local)).isFile()) continue;
        } catch {
          continue;
        }
        try {
          const { text, mtime, lineNos } = await syslogLines(local, DEFAULT_CHUNK, inputs.signal, host.root);
          if (text) read.push({ shown: p, text, mtime, lineNos, syslog: true, content: true, damage: null });
        } catch (err) {
          if (inputs.signal?.aborted) throw err;
          problems.push(notChecked(service, 'log', p, err, ''));
        }
      }
    }
  }
  const copies = copiesOf(read);
  const entries: MgettyEntry[] = [];
  const logsRead: string[] = [];
  // A syslog line's device is taken at its word only for a line that has a per-line log, is named by the
  // admin (--line, hours), or is a serial port: anyone can write syslog lines under mgetty's tag.
  const known = new Set<string>([
    ...read.filter((r) => !r.syslog).flatMap((r) => deviceFromFileName(r.shown) ?? []),
    ...(inputs.ttys ?? []).map(normalLine),
    ...Object.keys(config.hours),
  ]);
  const forged = new Map<string, number>();
  for (const [i, r] of read.entries()) {
    if (copies.has(i)) {
      // Its lines are read from the member it copies; a cut .gz of a member read whole is no damage.
      logsRead.push(r.shown);
      continue;
    }
    if (r.damage) {
      problems.push(notChecked(service, 'log', r.shown, r.damage, ''));
      continue;
    }
    const lineNos = r.lineNos;
    const parsed = parseMgettyLog(r.text, {
      source: r.shown,
      mtime: newest(r.mtime),
      timeZone,
      ...(r.syslog ? {} : { device: deviceFromFileName(r.shown) }),
    });
    for (const e of parsed) e.lineNo = lineNos[e.lineNo - 1] ?? e.lineNo;
    const trusted = r.syslog
      ? parsed.filter((e) => {
          if (e.tty === null || known.has(e.tty) || serialDevice(e.tty)) return true;
          if (forged.size < 1000 || forged.has(e.tty)) forged.set(e.tty, (forged.get(e.tty) ?? 0) + 1);
          return false;
        })
      : parsed;
    append(entries, trusted);
    logsRead.push(r.shown);
  }
  for (const e of entries) if (e.tty !== null) knownLines.add(e.tty);

  if (forged.size > 0) {
    const names = [...forged]
      .slice(0, 5)
      .map(([tty, n]) => `${tty.slice(0, 40)} (${n} line${n === 1 ? '' : 's'})`);
    const more = forged.size > 5 ? `, +${forged.size - 5} more` : '';
    // INFO: the syslog is read whole on every run, so these lines are said on every run until it rotates.
    problems.push({
      kind: 'not-checked',
      status: 'INFO',
      service,
      summary: `Syslog lines under mgetty's tag name ${names.join(', ')}${more}, no serial line and no line with an mgetty log: not read as calls (anyone can write such lines with logger)`,
      evidence: [],
      data: {
        what: 'dial-up syslog lines',
        path: [...forged.keys()].slice(0, 5).join(', '),
        reason: 'no serial line',
      },
    });
  }

  // 3. The calls, and how far each line's log covers.
  const marks = marksOf(saved);
  const ttys = inputs.ttys?.length ? inputs.ttys.map(normalLine) : undefined;
  const wantedEntries = ttys ? entries.filter((e) => e.tty === null || ttys.includes(e.tty)) : entries;
  const { calls, unanswered } = extractCalls(wantedEntries);
  const coverage = new Map<string, Date>();
  const lastEntry = new Map<string, MgettyEntry>();
  for (const e of wantedEntries) {
    if (!e.tty) continue;
    const c = coverage.get(e.tty);
    if (!c || e.time < c) coverage.set(e.tty, e.time);
    const l = lastEntry.get(e.tty);
    if (!l || e.time >= l.time) lastEntry.set(e.tty, e);
  }
  // A line whose log ends with mgetty stopping (killed, told to exit) and nothing after: mgetty has not run
  // there since (a restarted mgetty logs its start), so later logins come through another getty (a serial
  // console's agetty) and no call can explain them.
  const coverageEnd = new Map<string, Date>();
  for (const [tty, e] of lastEntry) {
    const stop =
      e.event.type === 'audit'
        ? e.event.audit.type === 'signal' || e.event.audit.type === 'exit'
        : /\bgot signal \w+, exiting\b/.test(e.message);
    if (stop) coverageEnd.set(tty, e.time);
  }

  // 4. wtmp: only the records the correlation looks at (the lines reported on, and boots), read in chunks.
  const wanted = correlatedLines({ calls, unanswered, coverage }, ttys);
  // With lines asked for, the serial lines wtmp has records of are known lines too (not typos); each line
  // name is tested once.
  const seenLines = new Set<string>();
  const noteSerial = (line: string): void => {
    if (seenLines.has(line) || seenLines.size >= 10_000) return;
    seenLines.add(line);
    if (serialDevice(normalLine(line))) knownLines.add(normalLine(line));
  };
  const { records, wtmpRead, wtmpStart } = await readWtmpFiles(
    host,
    config,
    inputs,
    (type, line) => {
      if (ttys) noteSerial(line);
      return recordNeeded(type, line, wanted);
    },
    (err, shown, consequence) => problems.push(notChecked(service, 'wtmp', shown, err, consequence)),
  );

  // 5. Correlate, from where the last run's marks leave off.
  const hours: Record<string, HourRange[]> = {};
  for (const [line, text] of Object.entries(config.hours)) {
    const ranges = parseHours(text);
    if (ranges) hours[line] = ranges;
  }
  const lines = correlate(
    {
      calls,
      unanswered,
      records,
      coverage,
      coverageEnd,
      wtmpStart: wtmpStart === undefined ? undefined : new Date(wtmpStart),
    },
    {
      windowSeconds: config.windowSeconds,
      now: host.now,
      hours,
      since: inputs.since,
      lines: ttys,
      marks: marks.lines,
    },
  );
  // Without wtmp, calls are still counted but none is judged against logins (and none will be: the run
  // said it could not compare them, and a later run judges only calls whose window closes after this one).
  const judged = wtmpRead.length ? lines : lines.map((r) => ({ ...r, callsWithoutLogin: [] }));
  // Modem trouble from log lines not counted before only, and (`--since`) from the window asked for: a
  // DSR-off of sixteen days ago made `--since 24h` a WARNING.
  const sinceMs = inputs.since?.getTime();
  const modem = newModemIssues(
    wantedEntries.filter(
      (e) => (!ttys || e.tty !== null) && (sinceMs === undefined || e.time.getTime() >= sinceMs),
    ),
    marks.modem,
  );
  const trouble = modem.groups;
  const findings = buildFindings(judged, trouble, {
    service,
    windowSeconds: config.windowSeconds,
    timeZone,
    hoursText: config.hours,
  });
  return {
    ...empty,
    logs: logsRead,
    wtmp: wtmpRead,
    lines: judged,
    trouble,
    findings,
    knownLines: [...knownLines].sort(),
    state: nextState(saved, new Map(lines.map((r) => [r.line, r.mark])), modem.marks),
  };
}

/**
 * The lines of `asked` (`--tty`, `/dev/` or not) that are none of `known` (DialupInspection's
 * `knownLines`), in the order asked: a typo (`ttys0` for `ttyS0`) would otherwise report nothing and look
 * clean.
 */
export function unknownLines(asked: readonly string[], known: readonly string[]): string[] {
  const have = new Set(known);
  return [...new Set(asked.map(normalLine))].filter((l) => !have.has(l));
}

/**
 * The findings as core Findings. The cast goes once src/core/findings.ts's FindingDataMap includes
 * DialupFindings (then DialupFinding is assignable to Finding as it stands).
 */
export function asFindings(findings: readonly DialupFinding[]): Finding[] {
  return [...findings];
}

/** One result for the report: the most serious findings (src/core/cap.ts), worst status of all, a one-line summary. */
export function dialupResult(inspection: DialupInspection): CheckResult {
  const findings = [...inspection.problems, ...asFindings(inspection.findings)];
  const status = worst(findings.map((f) => f.status));
  const count = (kind: DialupFinding['kind']): number =>
    inspection.findings.filter((f) => f.kind === kind).length;
  const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  const parts = [
    n(inspection.lines.length, 'line', 'lines'),
    n(
      inspection.lines.reduce((k, l) => k + l.calls.length, 0),
      'call',
      'calls',
    ),
    n(
      inspection.lines.reduce((k, l) => k + l.matches.length, 0),
      'login matched',
      'logins matched',
    ),
    ...(count('dialup-login-without-call') ? [`${count('dialup-login-without-call')} without a call`] : []),
    ...(count('dialup-modem-trouble')
      ? [n(count('dialup-modem-trouble'), 'kind of modem trouble', 'kinds of modem trouble')]
      : []),
  ];
  const since = inspection.resumed ? ' since the last run' : '';
  // 80k calls made one INFO each (56 MB): the most serious are listed, the line summaries and modem trouble
  // before single calls of the same status, the rest counted (`tenken dialup` shows everything).
  return capResult(
    { service: inspection.service, status, summary: `${parts.join(', ')}${since}`, findings },
    MAX_LISTED,
    (f) => LISTED_FIRST[f.kind] ?? 0,
  );
}

/** Within a status, these kinds are listed before single calls and logins: they say what a line is doing. */
const LISTED_FIRST: Partial<Record<Finding['kind'], number>> = {
  'dialup-line-summary': 2,
  'dialup-modem-trouble': 1,
};

/**
 * The `dialup` check kind (registered as `dialup`). Reports nothing when no mgetty log exists. Each run
 * judges what is new since the last delivered one (its state); `--since` and `--all` look without it.
 */
export const dialupCheck: CheckKind = {
  description: 'Dial-up lines: new mgetty calls compared with logins, new modem warnings',
  readsState: (raw) => parseDialupState(raw) !== undefined,
  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const resume = !ctx.options.all && ctx.options.since === undefined;
    const inspection = await inspectDialup(ctx.host, ctx.config.checks.dialup, ctx.plan, {
      since: ctx.options.since,
      signal: ctx.signal,
      ...(resume ? { saved: parseDialupState(ctx.state) } : {}),
    });
    if (!inspection.enabled) return { results: [] };
    const results = [dialupResult(inspection)];
    // --all and --since look without moving the saved marks.
    return resume ? { results, state: inspection.state } : { results };
  },
};

/** Whether the check has anything to inspect on this host (an mgetty log exists). */
export function dialupEnabled(host: Host, config: DialupConfig, plan?: Plan): boolean {
  for (const pattern of [
    ...config.logs,
    ...(plan?.services.find((s) => s.profile === 'mgetty')?.logs ?? []),
  ]) {
    if (expandHostGlob(host, pattern).some((p) => isLog(hostPath(host, p), host.root))) return true;
  }
  return false;
}
