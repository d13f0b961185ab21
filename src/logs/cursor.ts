import { z } from 'zod';
import { contentBefore, contentLength, digest, type OpenFile } from './read/content.ts';

/**
 * Where reading stopped, per file, and how a file is recognised again. A file is identified by device +
 * inode + a fingerprint (hash) of its first bytes, and the cursor keeps a hash of the bytes just before
 * its offset: inode alone misses inode reuse, a first-bytes hash alone misses a file truncated and
 * regrown past the old offset, a path alone misses every rotation. See README.md for each case.
 */

/** One file's cursor, as saved in the state (JSON). */
export const cursorSchema = z.object({
  /** Host path where the file was last seen (for messages only; identity is below). */
  path: z.string(),
  dev: z.number(),
  ino: z.number(),
  /** Size on disk and mtime when last seen: unchanged means "nothing new" without hashing. */
  size: z.number(),
  mtimeMs: z.number(),
  gzip: z.boolean(),
  /** Hash of the first fpLen content bytes. */
  fp: z.string(),
  fpLen: z.number().int().nonnegative(),
  /** Content bytes consumed; -1 = consumed as a whole without reading (a .gz seen on the first run). */
  offset: z.number().int().min(-1),
  /** Lines consumed, or -1 when unknown. */
  line: z.number().int().min(-1),
  /** Hash of content [offset - min(tailBytes, offset), offset). */
  tail: z.string(),
  /** Consumed up to the end of the content (a rotated file that is finished). */
  eof: z.boolean(),
  /**
   * The offset is inside a line longer than the read buffer whose head was already reported (it had no
   * newline yet): the next read skips the rest of it, up to and including its newline. Absent in state
   * saved before it existed: false.
   */
  inLine: z.boolean().default(false),
});

/** A saved cursor. */
export type Cursor = z.output<typeof cursorSchema>;

/** How bytes are hashed for identity. */
export interface IdentityOptions {
  /** Bytes of the content start in the fingerprint. */
  fpBytes: number;
  /** Bytes before the offset in the tail hash. */
  tailBytes: number;
}

/** Default identity sizes: 1 KiB holds a syslog line's timestamp many times over. */
export const DEFAULT_IDENTITY: IdentityOptions = { fpBytes: 1024, tailBytes: 1024 };

/** What to do with one family member. */
export type Decision =
  | {
      action: 'read';
      start: number;
      line: number;
      /** new: never seen; resume: continue a cursor; reset: same inode, different content (truncated/replaced). */
      why: 'new' | 'resume' | 'reset' | 'all';
      before?: Buffer;
      /** The saved cursor a resumed read continues. */
      continues?: Cursor;
    }
  | {
      action: 'skip';
      /** seen: unchanged and finished; copy: a copy of content read elsewhere; first-run / since: policy. */
      why: 'seen' | 'copy' | 'first-run' | 'since';
      /** The cursor to keep for it, when it is carried over unchanged. */
      keep?: Cursor;
      /** For a copy: the member whose content it is a prefix of. */
      of?: number;
      /** For a copy: its content length. */
      length?: number;
    };

/** How a run treats saved cursors. */
export type ReadMode =
  | { kind: 'resume'; cursors: Cursor[] }
  /** No saved state for this log: read the live file from its start, take rotated ones as read (all, without a live file). */
  | { kind: 'first' }
  /** Everything from the start (`--all`), or only files written since a time (`--since`). */
  | { kind: 'all' }
  | { kind: 'since'; since: number };

function sameInode(f: OpenFile, c: Cursor): boolean {
  return f.dev === c.dev && f.ino === c.ino;
}

function unchanged(f: OpenFile, c: Cursor): boolean {
  return sameInode(f, c) && f.size === c.size && f.mtimeMs === c.mtimeMs && f.gzip === c.gzip;
}

type Relation = { kind: 'same'; before: Buffer } | { kind: 'prefix' } | { kind: 'other' };

/** Whether `f` holds the content `c` read: same first bytes, and the same bytes before c.offset. */
async function relation(f: OpenFile, c: Cursor, id: IdentityOptions): Promise<Relation> {
  if (c.offset <= 0 || c.fpLen === 0) return { kind: 'other' }; // nothing read: no content to recognise
  if (f.head.length < c.fpLen || digest(f.head.subarray(0, c.fpLen)) !== c.fp) return { kind: 'other' };
  const n = Math.min(id.tailBytes, c.offset);
  const before = await contentBefore(f, c.offset, n);
  if (before === null) return { kind: 'prefix' };
  return digest(before) === c.tail ? { kind: 'same', before } : { kind: 'other' };
}

/** f's content length when f's content is a prefix of g's (same first bytes and bytes before f's end), else null. */
async function isPrefixOf(f: OpenFile, g: OpenFile, id: IdentityOptions): Promise<number | null> {
  if (f.head.length > g.head.length || !f.head.equals(g.head.subarray(0, f.head.length))) return null;
  const fLen = await contentLength(f);
  const n = Math.min(id.tailBytes, fLen);
  const a = await contentBefore(f, fLen, n);
  const b = await contentBefore(g, fLen, n);
  return a !== null && b !== null && a.equals(b) ? fLen : null;
}

/**
 * Decides, for each member of a family (oldest first), where to start reading. Each file continues the
 * cursor that verifies the most of its content; a file whose content is a prefix of another member's is
 * a copy (copytruncate caught before the truncate, or a compressed twin) and is not read again.
 */
export async function decide(
  files: readonly OpenFile[],
  mode: ReadMode,
  id: IdentityOptions,
  /** Whether the newest file is the live one (false: it is missing, only rotated members are there). */
  newestIsLive = true,
): Promise<Decision[]> {
  if (mode.kind === 'all') return files.map(() => ({ action: 'read', start: 0, line: 0, why: 'all' }));
  if (mode.kind === 'since')
    return files.map((f) =>
      f.mtimeMs < mode.since
        ? { action: 'skip', why: 'since' }
        : { action: 'read', start: 0, line: 0, why: 'all' },
    );
  // A first run reads the live file from its start; without one (a rotation's gap, a retired log) it reads
  // nothing, as it would once the live file is there: rotated members are history.
  if (mode.kind === 'first')
    return files.map((_, i) =>
      i === files.length - 1 && newestIsLive
        ? { action: 'read', start: 0, line: 0, why: 'new' }
        : { action: 'skip', why: 'first-run' },
    );

  const cursors = mode.cursors;
  const out: (Decision | undefined)[] = files.map(() => undefined);
  const used = new Set<Cursor>();
  const resume = (i: number, c: Cursor, before?: Buffer) => {
    used.add(c);
    const f = files[i] as OpenFile;
    if (c.offset < 0 || (c.eof && unchanged(f, c))) out[i] = { action: 'skip', why: 'seen', keep: { ...c } };
    else {
      const d: Decision = { action: 'read', start: c.offset, line: c.line, why: 'resume', continues: c };
      if (before) d.before = before;
      out[i] = d;
    }
  };
  // 1. Unchanged files (same inode, size, mtime) with nothing left to consume: no hashing at all, so a
  //    run with nothing new is fast. An unchanged rotated file with an unconsumed last line goes through
  //    the steps below: it may be a copy whose last line is still being written in its original.
  files.forEach((f, i) => {
    const c = cursors.find((c) => !used.has(c) && unchanged(f, c));
    if (c && (c.eof || c.offset < 0 || i === files.length - 1)) resume(i, c);
  });
  // 2. Content verified: the cursor that verifies the most of each other file (the largest offset; the
  //    same inode, then a known line count, first among equals). Several cursors verify a file when the
  //    content one of them read is a prefix of another's (files that start with the same header: the
  //    cursor of a header-only file verifies every later file, whatever its inode); a lesser one would
  //    report again what the other one read. Cursors are ranked, not claimed: which cursor a file
  //    continues is a question about its content, and copies are sorted out between files below.
  const best: ({ c: Cursor; before: Buffer } | undefined)[] = files.map(() => undefined);
  for (const [i, f] of files.entries()) {
    if (out[i]) continue;
    const ranked = [...cursors].sort(
      (a, b) =>
        b.offset - a.offset ||
        Number(sameInode(f, b)) - Number(sameInode(f, a)) ||
        Number(b.line >= 0) - Number(a.line >= 0),
    );
    for (const c of ranked) {
      const r = await relation(f, c, id);
      if (r.kind === 'same') {
        best[i] = { c, before: r.before };
        break;
      }
    }
  }
  // 3. Copies: a file whose content is a prefix of another member's (copytruncate caught between its
  //    copy and its truncate, a compressed twin, the same file under two names) is not read, whatever
  //    cursor it verifies: its bytes are read, or were, from the other one (an unchanged one, else the
  //    newer when both are equal), which verifies at least the cursors it does.
  //    A file that is only a prefix of what a *cursor* read is not taken as read: a copy made before
  //    the last run had its own cursor then, so it is new content that starts the same way.
  for (const [i, f] of files.entries()) {
    if (out[i]) continue;
    for (const [j, g] of files.entries()) {
      const dj = out[j];
      if (j === i || (dj?.action === 'skip' && dj.why === 'copy')) continue;
      const len = await isPrefixOf(f, g, id);
      if (len === null) continue;
      if (dj || j > i || (await contentBefore(g, len + 1, 1)) !== null) {
        out[i] = { action: 'skip', why: 'copy', of: j, length: len };
        break;
      }
    }
  }
  // 4. Resume at the best verified cursor: the file itself grown, the old inode renamed by `create`,
  //    a `.gz` of it (`delaycompress` or not), or a copy of it that outlived its original.
  for (const [i, b] of best.entries()) if (b && !out[i]) resume(i, b.c, b.before);
  // 5. Everything else is new content; on an inode a cursor knew, it replaced what was there (truncated
  //    and regrown, or the inode was reused).
  return out.map((d, i) => {
    if (d) return d;
    const f = files[i] as OpenFile;
    const known = cursors.some((c) => sameInode(f, c) && !used.has(c) && c.offset > 0);
    return { action: 'read', start: 0, line: 0, why: known ? 'reset' : 'new' };
  });
}

/** The cursor for a file after reading it up to `offset` (`inLine`: inside a line already reported). */
export function cursorAfter(
  f: OpenFile,
  displayPath: string,
  r: { offset: number; line: number; tail: Buffer; eof: boolean; inLine?: boolean },
): Cursor {
  return {
    path: displayPath,
    dev: f.dev,
    ino: f.ino,
    size: f.size,
    mtimeMs: f.mtimeMs,
    gzip: f.gzip,
    fp: digest(f.head),
    fpLen: f.head.length,
    offset: r.offset,
    line: r.line,
    tail: digest(r.tail),
    eof: r.eof,
    inLine: r.inLine ?? false,
  };
}

/**
 * The cursor of a copy once the file it copies was read up to `consumed`: at its end when that covers it,
 * else at `consumed` (a final line still unterminated in the original is read from the copy later; when
 * the original's read stopped inside a long line already reported, `inLine`, so is the copy's cursor).
 */
export async function cursorOfCopy(
  f: OpenFile,
  length: number,
  displayPath: string,
  consumed: number,
  id: IdentityOptions,
  inLine = false,
): Promise<Cursor> {
  const offset = Math.min(length, consumed);
  const tail = (await contentBefore(f, offset, Math.min(id.tailBytes, offset))) ?? Buffer.alloc(0);
  return cursorAfter(f, displayPath, {
    offset,
    line: -1,
    tail,
    eof: offset === length,
    inLine: inLine && offset === consumed && offset < length,
  });
}

/** The cursor for a file taken as read without reading it (first run, copies). */
export async function cursorAtEnd(f: OpenFile, displayPath: string, id: IdentityOptions): Promise<Cursor> {
  if (f.gzip)
    return { ...cursorAfter(f, displayPath, { offset: -1, line: -1, tail: Buffer.alloc(0), eof: true }) };
  const n = Math.min(id.tailBytes, f.size);
  const tail = (await contentBefore(f, f.size, n)) ?? Buffer.alloc(0);
  return cursorAfter(f, displayPath, { offset: f.size, line: -1, tail, eof: true });
}

/**
 * Whether a family's members (opened, with the decisions taken) still hold the file cursor `c` was of: a
 * member on its inode, or one continuing it (a `.gz` made of it). When none does, the file was deleted or
 * renamed to a name the family does not take in, with whatever was written to it after the last read.
 */
export function cursorHeld(c: Cursor, files: readonly OpenFile[], decisions: readonly Decision[]): boolean {
  if (files.some((f) => sameInode(f, c))) return true;
  return decisions.some((d) =>
    d.action === 'read'
      ? d.continues === c
      : d.keep !== undefined && d.keep.dev === c.dev && d.keep.ino === c.ino && d.keep.fp === c.fp,
  );
}
