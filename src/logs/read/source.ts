import { readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, reason } from '../../core/errors.ts';
import { inTree } from '../../core/open.ts';
import {
  type Cursor,
  cursorAfter,
  cursorHeld,
  cursorAtEnd,
  cursorOfCopy,
  type Decision,
  decide,
  type IdentityOptions,
  type ReadMode,
} from '../cursor.ts';
import type { LogSourceData } from '../findings.ts';
import type { LineHit } from '../scan/lines.ts';
import type { RuleSet } from '../scan/rules.ts';
import { openLog, type OpenFile, type ReadResult, readLog, sizeOf, type SplitOptions } from './content.ts';
import { familyOf, type FamilyMember, findByInode } from './family.ts';

/**
 * Reads one log (a live path and its rotated siblings) from where the last committed run stopped,
 * oldest member first, so an old inode's last lines come before the new file's first ones.
 */

/** A problem with a log source, turned into a finding by the check. */
export interface SourceProblem {
  /** Local path of the file concerned. */
  path: string;
  /**
   * rotated: the file read last time went where its family does not follow (a name not taken in);
   * dangling: the live name is a symbolic link to nothing; limited: more new content than one run reads
   * (SourceReadOptions.limit), the rest left for the next run.
   */
  problem: LogSourceData['problem'];
  reason: string;
}

/** The file a hit came from. */
export interface HitFile {
  /** Local path. */
  path: string;
  mtimeMs: number;
  gzip: boolean;
}

/** Options of one source read. */
export interface SourceReadOptions {
  rules: RuleSet;
  mode: ReadMode;
  identity: IdentityOptions;
  countLines: boolean;
  /** Report the live file's final line even without a newline (read-only scans). */
  consumeTrailing: boolean;
  /**
   * Content bytes read at most per file in one run (0 or absent: no limit): past it the read stops at a
   * line end (or inside a long line) and a `limited` problem says how much is left for the next run.
   */
  limit?: number;
  /** Asked before each chunk: a reason to stop reading now (memory), or null (see readLog). */
  pressure?: () => string | null;
  chunk?: number;
  signal?: AbortSignal;
  /** Host path of a local path, for cursors and messages. */
  display(local: string): string;
  /**
   * The tree the local paths are in (the host's root, `/` for the live host): under --root, every file is
   * looked for, listed and opened with its links resolved inside the tree (src/core/open.ts inTree).
   */
  root: string;
  /** How to read a big plain file in parts on other threads (none: one thread). */
  split?: (file: HitFile) => SplitOptions | undefined;
  /**
   * Given each member's new cursor, with the decision taken for it and its read (when it was read), returns
   * the cursor to keep: the logins check keeps beside it the time the member's lines cover. Cursors of
   * members that could not be opened are kept as they were saved, without a call.
   */
  onCursor?: (
    cursor: Cursor,
    member: { file: OpenFile; decision: Decision; read?: ReadResult },
  ) => Cursor | Promise<Cursor>;
}

/** The outcome of reading one source. */
export interface SourceReadResult {
  cursors: Cursor[];
  problems: SourceProblem[];
  bytes: number;
  /** Members read (or skipped), oldest first, with the decision taken. */
  files: { path: string; decision: Decision['why'] }[];
}

/** A file that could not be opened: `untrusted` when the symbolic-link trust rule refused it (src/core/open.ts). */
function unreadableKind(code: string | undefined): 'unreadable' | 'untrusted' {
  return code === 'EUNTRUSTEDLINK' ? 'untrusted' : 'unreadable';
}

/** Reads the family of local path `live`; `onHit` gets every matching line in order. */
export async function readSource(
  live: string,
  opts: SourceReadOptions,
  onHit: (hit: LineHit, file: HitFile) => void,
): Promise<SourceReadResult> {
  const result: SourceReadResult = { cursors: [], problems: [], bytes: 0, files: [] };
  let members: FamilyMember[];
  try {
    members = await familyOf(live, opts.root);
  } catch (err) {
    result.problems.push({
      path: live,
      problem: errnoCode(err) === 'ENOENT' ? 'missing' : 'unreadable',
      reason: reason(err),
    });
    if (opts.mode.kind === 'resume') result.cursors = opts.mode.cursors;
    return result;
  }
  if (members.length === 0) {
    result.problems.push({ path: live, problem: 'missing', reason: reason({ code: 'ENOENT' }) });
    if (opts.mode.kind === 'resume') result.cursors = opts.mode.cursors;
    return result;
  }
  const files: OpenFile[] = [];
  let newestIsLive = false;
  let unreadable = false;
  for (const m of members) {
    try {
      files.push(await openLog(m.path, m.gzip, opts.identity.fpBytes, { root: opts.root }));
      newestIsLive = !m.rotated;
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') {
        // Rotated away between listing and opening; or the live name is a link to nothing, which is said.
        const dangling = m.rotated ? null : await danglingTarget(m.path, opts.root);
        if (dangling !== null)
          result.problems.push({
            path: m.path,
            problem: 'dangling',
            reason: `dangling symbolic link to ${dangling}`,
          });
        continue;
      }
      unreadable = true;
      result.problems.push({ path: m.path, problem: unreadableKind(code), reason: reason(err) });
    }
  }
  /** The cursor to keep for a member (see SourceReadOptions.onCursor). */
  const kept = async (cursor: Cursor, file: OpenFile, decision: Decision, read?: ReadResult) =>
    opts.onCursor ? opts.onCursor(cursor, read ? { file, decision, read } : { file, decision }) : cursor;
  try {
    const decisions = await decide(files, opts.mode, opts.identity, newestIsLive);
    // member index → content offset consumed, and whether that is inside a line already reported
    const consumedBy = new Map<number, { offset: number; inLine: boolean }>();
    for (const [i, f] of files.entries()) {
      const d = decisions[i] as Decision;
      const shown = opts.display(f.path);
      result.files.push({ path: f.path, decision: d.why });
      if (d.action === 'skip' && d.why === 'copy') continue; // its cursor depends on the original's read
      if (d.action === 'skip') {
        if (d.keep)
          consumedBy.set(i, {
            offset: d.keep.offset < 0 ? Number.MAX_SAFE_INTEGER : d.keep.offset,
            inLine: d.keep.inLine,
          });
        result.cursors.push(
          await kept(d.keep ? { ...d.keep, path: shown } : await cursorAtEnd(f, shown, opts.identity), f, d),
        );
        continue;
      }
      if (d.why === 'reset')
        result.problems.push({
          path: f.path,
          problem: 'reset',
          reason: 'its content was replaced or truncated since the last run; read from the start',
        });
      const newest = i === files.length - 1;
      const hitFile: HitFile = { path: f.path, mtimeMs: f.mtimeMs, gzip: f.gzip };
      const readOpts: Parameters<typeof readLog>[2] = {
        start: d.start,
        startLine: d.line,
        consumeTrailing: !newest || opts.consumeTrailing,
        countLines: opts.countLines,
        tailBytes: opts.identity.tailBytes,
      };
      if (d.before) readOpts.before = d.before;
      if (d.continues?.inLine) readOpts.skipLine = true;
      if (opts.limit) readOpts.limit = opts.limit;
      if (opts.pressure) readOpts.pressure = opts.pressure;
      if (opts.chunk !== undefined) readOpts.chunk = opts.chunk;
      if (opts.signal) readOpts.signal = opts.signal;
      const split = opts.split?.(hitFile);
      if (split) readOpts.split = split;
      const r = await readLog(f, opts.rules, readOpts, (hit) => onHit(hit, hitFile));
      result.bytes += r.bytes;
      addReadProblems(result.problems, f.path, r, opts.limit);
      result.cursors.push(await kept(cursorAfter(f, shown, r), f, d, r));
      consumedBy.set(i, { offset: r.offset, inLine: r.inLine });
    }
    for (const [i, f] of files.entries()) {
      const d = decisions[i] as Decision;
      if (d.action !== 'skip' || d.why !== 'copy' || d.of === undefined || d.length === undefined) continue;
      const consumed = consumedBy.get(d.of) ?? { offset: d.length, inLine: false };
      result.cursors.push(
        await kept(
          await cursorOfCopy(
            f,
            d.length,
            opts.display(f.path),
            consumed.offset,
            opts.identity,
            consumed.inLine,
          ),
          f,
          d,
        ),
      );
    }
    if (opts.mode.kind === 'resume' && newestIsLive && !unreadable) {
      const lost = await rotatedAway(live, opts.mode.cursors, files, decisions, opts);
      if (lost) result.problems.push(lost);
    }
    if (unreadable && opts.mode.kind === 'resume') {
      // Keep cursors of members we could not open, so they resume once readable.
      const mine = new Set(result.cursors.map((c) => `${c.dev}:${c.ino}`));
      for (const c of opts.mode.cursors) if (!mine.has(`${c.dev}:${c.ino}`)) result.cursors.push(c);
    }
  } finally {
    await Promise.all(files.map((f) => f.handle.close().catch(() => {})));
  }
  return result;
}

/**
 * The problems of one read: a read error part-way (`corrupt`), a `.gz` inflated only up to the gzip bound
 * (`corrupt`), and content left unread by the per-run limit (`limited`; `resumes`: a later run goes on
 * from there, which a file named on the command line, read without a cursor, does not).
 */
function addReadProblems(
  problems: SourceProblem[],
  local: string,
  r: Awaited<ReturnType<typeof readLog>>,
  limit: number | undefined,
  resumes = true,
): void {
  if (r.error !== undefined) problems.push({ path: local, problem: 'corrupt', reason: reason(r.error) });
  if (r.inflated !== undefined) problems.push({ path: local, problem: 'corrupt', reason: r.inflated });
  if (r.limited && (limit || r.limited.why)) {
    const left = r.limited.left === null ? 'the rest' : sizeOf(r.limited.left);
    const why = r.limited.why ?? `over the ${sizeOf(limit ?? 0, true)} per-run limit`;
    problems.push({
      path: local,
      problem: 'limited',
      reason: `${left} not read in this run (${why})${resumes ? '; the next run goes on from here' : ''}`,
    });
  }
}

/**
 * The problem to report when the live file is another file than last time and no member of the family
 * holds the one read then (renamed to a name the family does not take in, moved away, or deleted): lines
 * written to it after that read are not read, and that is said rather than lost silently.
 */
async function rotatedAway(
  live: string,
  cursors: readonly Cursor[],
  files: readonly OpenFile[],
  decisions: readonly Decision[],
  opts: Pick<SourceReadOptions, 'display' | 'root'>,
): Promise<SourceProblem | null> {
  const display = (local: string) => opts.display(local);
  const shown = display(live);
  const last = cursors.find((c) => c.path === shown);
  const now = files[files.length - 1];
  if (!last || !now || (now.dev === last.dev && now.ino === last.ino) || cursorHeld(last, files, decisions))
    return null;
  // A symbolic link's target is rotated where it lives.
  const dir = path.dirname(await whereLinkLeads(now.path, opts.root));
  const moved = await findByInode(
    dir,
    last.dev,
    last.ino,
    new Set(files.map((f) => path.basename(f.path))),
    opts.root,
  );
  // A file that had nothing read cannot be recognised in a `.gz` made of it (no content to verify): gone
  // from the directory, it may well be one of the members, read as new.
  if (moved === null && last.offset <= 0) return null;
  return {
    path: live,
    problem: 'rotated',
    reason:
      moved !== null
        ? `the file read last time was renamed ${display(moved)}, a name tenken does not take for a rotation of it: lines written to it after the last run are not read`
        : 'the file read last time is gone (deleted, or moved to another directory or to a name tenken does not take for a rotation of it): lines written to it after the last run, if any, are not read',
  };
}

/** Where `local` finally leads (its links resolved; inside the tree under --root), or `local` when it cannot be told. */
async function whereLinkLeads(local: string, root: string): Promise<string> {
  try {
    const inside = inTree(root, local);
    return inside !== local ? inside : await realpath(local);
  } catch {
    return local;
  }
}

/** The target of a symbolic link that points to nothing (as the link says it), or null. */
async function danglingTarget(local: string, root: string): Promise<string | null> {
  try {
    return await readlink(inTree(root, local, { last: false }));
  } catch {
    return null;
  }
}

/** Reads one file as a whole (`tenken scan FILE`): no family, no cursor; `.gz` by name. */
export async function readWholeFile(
  local: string,
  opts: Omit<SourceReadOptions, 'mode'>,
  onHit: (hit: LineHit, file: HitFile) => void,
): Promise<SourceReadResult> {
  const result: SourceReadResult = { cursors: [], problems: [], bytes: 0, files: [] };
  let f: OpenFile;
  try {
    // A file named on the command line: the admin chose it, so a symbolic link there is followed whoever
    // owns it (the trust rule is for paths tenken finds by itself, in directories daemons own).
    // Under --root, an absolute path named is the tree's (argPath): its links resolve inside the tree.
    f = await openLog(local, local.endsWith('.gz'), opts.identity.fpBytes, { follow: true, root: opts.root });
  } catch (err) {
    const code = errnoCode(err);
    const dangling = code === 'ENOENT' ? await danglingTarget(local, opts.root) : null;
    result.problems.push({
      path: local,
      problem: code === 'ENOENT' ? 'missing' : unreadableKind(code),
      reason: dangling !== null ? `dangling symbolic link to ${dangling}` : reason(err),
    });
    return result;
  }
  try {
    const readOpts: Parameters<typeof readLog>[2] = {
      start: 0,
      startLine: 0,
      consumeTrailing: opts.consumeTrailing,
      countLines: opts.countLines,
      tailBytes: opts.identity.tailBytes,
    };
    if (opts.chunk !== undefined) readOpts.chunk = opts.chunk;
    if (opts.signal) readOpts.signal = opts.signal;
    const hitFile: HitFile = { path: f.path, mtimeMs: f.mtimeMs, gzip: f.gzip };
    const split = opts.split?.(hitFile);
    if (split) readOpts.split = split;
    if (opts.limit) readOpts.limit = opts.limit;
    if (opts.pressure) readOpts.pressure = opts.pressure;
    const r = await readLog(f, opts.rules, readOpts, (hit) => onHit(hit, hitFile));
    result.bytes = r.bytes;
    result.files.push({ path: local, decision: 'all' });
    addReadProblems(result.problems, local, r, opts.limit, false);
  } finally {
    await f.handle.close();
  }
  return result;
}
