/**
 * Rotating wtmp/btmp without a moment where the path is missing (glibc's updwtmp opens without O_CREAT, so a
 * record written then is silently dropped — logrotate's rename-then-create has that gap) and without a copy
 * that misses what is written after it (copytruncate):
 *   1. shift wtmp.1 → wtmp.2 ... (dropping what exceeds --keep),
 *   2. create the new file beside the live one with its owner, group and mode,
 *   3. hard-link the live file to wtmp.1 (same inode: nothing is copied, nothing can be missed),
 *   4. rename the new file over wtmp (atomic: the path always names a file).
 * A writer that opened wtmp before step 4 appends to the old inode, which is wtmp.1. Record counts are checked
 * afterwards; with --compress, wtmp.2 and older are gzipped (wtmp.1 stays plain, as logrotate's
 * delaycompress, since a late writer may still append to it) and each archive is verified before the plain
 * file is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe as what, errnoCode, TenkenError } from '../core/errors.ts';
import { openWtmp } from './wtmp-file.ts';

/** Options of one rotation. */
export interface RotateOptions {
  /** Rotated files to keep (wtmp.1 ... wtmp.N), at least 1. */
  keep: number;
  /** Gzip wtmp.2 and older. */
  compress: boolean;
  /** The path as the host sees it, for messages. */
  display?: string;
}

/** What a rotation did, for the command's report. */
export interface RotateResult {
  file: string;
  rotatedTo: string;
  /** Whole records in the live file just before the rotation. */
  recordsBefore: number;
  /** Whole records now in the rotated file (>= recordsBefore: late writers append there) and the new live file. */
  recordsRotated: number;
  recordsLive: number;
  removed: string[];
  compressed: string[];
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

async function countRecords(file: string, display: string): Promise<{ records: number; size: number }> {
  const f = await openWtmp(file, { display });
  try {
    return { records: f.records, size: f.size };
  } finally {
    f.close();
  }
}

/**
 * gzip `src` to `src.gz` (via a temporary name, fsynced), verify it inflates to the same bytes, remove `src`.
 * A temporary file left by a crashed run is garbage and replaced; on any failure (a full disk) the temporary
 * file is removed, so the next rotation is not blocked by it.
 */
function compressVerified(src: string, display: string): string {
  const dst = `${src}.gz`;
  const tmp = `${dst}.tenken-tmp`;
  const before = fs.statSync(src);
  const data = fs.readFileSync(src);
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(
    tmp,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    before.mode & 0o7777,
  );
  try {
    try {
      const gz = zlib.gzipSync(data);
      let off = 0;
      while (off < gz.length) off += fs.writeSync(fd, gz, off, gz.length - off);
      try {
        fs.fchownSync(fd, before.uid, before.gid);
      } catch {
        /* not root: the archive stays ours */
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    // Verified by bytes, not by records: the archive must give back exactly what was read, whatever it holds
    // (a backup tenken cannot decode is still compressed losslessly, and its name stays the one to blame).
    let back: Buffer;
    try {
      back = zlib.gunzipSync(fs.readFileSync(tmp));
    } catch (err) {
      throw new TenkenError(what(`Cannot compress ${display}: its archive does not read back`, err));
    }
    if (!back.equals(data))
      throw new TenkenError(`Cannot compress ${display}: its archive does not read back the same bytes`);
    const after = fs.statSync(src);
    if (after.size !== before.size)
      throw new TenkenError(`Cannot compress ${display}: it changed while it was compressed`);
    fs.renameSync(tmp, dst);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.unlinkSync(src);
  return dst;
}

/** The most rotated files `--keep` may ask for. */
export const MAX_KEEP = 1000;

/** The backups of `file` that exist (`file.N`, `file.N.gz`, 1 <= N <= keep), highest N first. */
function backups(file: string, keep: number): { n: number; gz: boolean }[] {
  const base = path.basename(file);
  const found: { n: number; gz: boolean }[] = [];
  for (const entry of fs.readdirSync(path.dirname(file))) {
    if (!entry.startsWith(`${base}.`)) continue;
    const m = /^([1-9]\d{0,5})(\.gz)?$/.exec(entry.slice(base.length + 1));
    if (!m) continue;
    const n = Number(m[1]);
    if (n <= keep) found.push({ n, gz: m[2] !== undefined });
  }
  // Within one N, the .gz first (as before): the order does not matter, the names differ.
  return found.sort((a, b) => b.n - a.n || Number(b.gz) - Number(a.gz));
}

/** Rotates one wtmp-format file in place. Throws a one-line TenkenError on any failure, before data is lost. */
export async function rotateFile(file: string, opts: RotateOptions): Promise<RotateResult> {
  const display = opts.display ?? file;
  if (!Number.isInteger(opts.keep) || opts.keep < 1 || opts.keep > MAX_KEEP)
    throw new TenkenError(`Cannot rotate ${display}: --keep must be from 1 to ${MAX_KEEP}`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    throw new TenkenError(what(`Cannot rotate ${display}`, err));
  }
  if (st.isSymbolicLink()) throw new TenkenError(`Cannot rotate ${display}: is a symbolic link`);
  if (!st.isFile()) throw new TenkenError(`Cannot rotate ${display}: not a regular file`);
  const before = await countRecords(file, display);
  const result: RotateResult = {
    file: display,
    rotatedTo: `${display}.1`,
    recordsBefore: before.records,
    recordsRotated: 0,
    recordsLive: 0,
    removed: [],
    compressed: [],
  };
  const name = (n: number, gz: boolean): string => `${file}.${n}${gz ? '.gz' : ''}`;
  const fresh = path.join(path.dirname(file), `.${path.basename(file)}.tenken-new`);
  const held = path.join(path.dirname(file), `.${path.basename(file)}.tenken-old`);
  try {
    // 1. What can fail for want of space comes first, while nothing has changed: the new file, with the live
    // file's owner, group and mode (not subject to the umask), and a second name for the live inode (a
    // hard link costs an inode on tmpfs). Shifting the backups first once dropped the oldest, then failed.
    for (const leftover of [fresh, held]) if (exists(leftover)) fs.unlinkSync(leftover);
    const fd = fs.openSync(fresh, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    try {
      if (st.uid !== process.getuid?.() || st.gid !== process.getgid?.()) fs.fchownSync(fd, st.uid, st.gid);
      fs.fchmodSync(fd, st.mode & 0o7777);
    } finally {
      fs.closeSync(fd);
    }
    fs.linkSync(file, held);
    // 2. Shift the backups, oldest first, dropping those beyond --keep (only those that exist: a directory
    // listing, not a probe of every number up to --keep). Renames and unlinks need no space.
    for (const { n, gz } of backups(file, opts.keep)) {
      const from = name(n, gz);
      if (n + 1 > opts.keep) {
        fs.unlinkSync(from);
        result.removed.push(`${display}.${n}${gz ? '.gz' : ''}`);
      } else fs.renameSync(from, name(n + 1, gz));
    }
    // 3. The live inode gets its rotated name; 4. the new file replaces the path atomically. Records
    // appended meanwhile go to the live inode, now .1: none is lost.
    fs.renameSync(held, name(1, false));
    fs.renameSync(fresh, file);
  } catch (err) {
    for (const leftover of [fresh, held]) fs.rmSync(leftover, { force: true });
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(what(`Cannot rotate ${display}`, err));
  }
  const rotated = await countRecords(name(1, false), `${display}.1`);
  const live = await countRecords(file, display);
  result.recordsRotated = rotated.records;
  result.recordsLive = live.records;
  if (rotated.records < before.records) {
    throw new TenkenError(
      `Cannot rotate ${display}: ${display}.1 has ${rotated.records} records, ${before.records} were there before`,
    );
  }
  if (opts.compress) {
    let plain: number[];
    try {
      plain = backups(file, opts.keep)
        .filter((b) => !b.gz && b.n >= 2)
        .map((b) => b.n)
        .reverse();
    } catch (err) {
      throw new TenkenError(what(`Cannot compress the backups of ${display}`, err));
    }
    for (const n of plain) {
      if (exists(name(n, true))) {
        throw new TenkenError(`Cannot compress ${display}.${n}: ${display}.${n}.gz exists already`);
      }
      try {
        compressVerified(name(n, false), `${display}.${n}`);
      } catch (err) {
        if (err instanceof TenkenError) throw err;
        throw new TenkenError(what(`Cannot compress ${display}.${n}`, err));
      }
      result.compressed.push(`${display}.${n}.gz`);
    }
  }
  return result;
}

/** Whether a rotation error means "nothing to rotate" (the file does not exist). */
export function isMissing(err: unknown): boolean {
  return err instanceof TenkenError && /no such file or directory$/.test(err.message)
    ? true
    : errnoCode(err) === 'ENOENT';
}
