/**
 * Rotating wtmp/btmp without a moment where the path is missing (glibc's updwtmp opens without O_CREAT, so a
 * record written then is silently dropped — logrotate's rename-then-create has that gap) and without a copy
 * that misses what is written after it (copytruncate):
 *   1. create the new file beside the live one with its owner, group and mode, and a second (hidden) name of
 *      the live file (same inode: nothing is copied, nothing can be missed),
 *   2. shift wtmp.1 → wtmp.2 ... up to the first gap (dropping what exceeds --keep),
 *   3. rename the second name to wtmp.1,
 *   4. rename the new file over wtmp (atomic: the path always names a file).
 * A writer that opened wtmp before step 4 appends to the old inode, which is wtmp.1. Record counts are checked
 * afterwards; with --compress, wtmp.2 and older are gzipped (wtmp.1 stays plain, as logrotate's
 * delaycompress, since a late writer may still append to it) and each archive is verified before the plain
 * file is removed. A run killed at any point leaves a state the next run recognises and finishes (see
 * rotateFile): every record stays in exactly one file and no generation inside --keep is dropped.
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
  /** What an interrupted earlier rotation left and this one finished or removed, one phrase each. */
  repaired: string[];
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

/**
 * The generations the shift moves: `file.1`, `file.2`, ... up to the first number with neither a plain nor a
 * `.gz` file (a generation is a number, its names are `file.N` and `file.N.gz`). Those after a gap stay where
 * they are: a run killed part-way through the shift leaves exactly such a gap (the older generations already
 * moved up, the newer not yet), and shifting them again would push one beyond --keep and delete it.
 */
function contiguousGenerations(present: ReadonlySet<number>, keep: number): number {
  let m = 0;
  while (m < keep && present.has(m + 1)) m++;
  return m;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

const sameFile = (a: fs.Stats, b: fs.Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/**
 * Whether `gz` inflates to exactly the bytes of `plain` (a compression killed between its rename and its unlink
 * leaves both). Inflating stops one byte past the plain file's size: no gzip bomb is inflated further.
 */
function sameBytes(plain: string, gz: string): boolean {
  const data = fs.readFileSync(plain);
  try {
    return zlib.gunzipSync(fs.readFileSync(gz), { maxOutputLength: data.length + 1 }).equals(data);
  } catch {
    return false; // corrupt, cut short or longer: not the same
  }
}

/**
 * A rotation that was done (its result is reported) with something left undone after it: a backup that could
 * not be compressed, a `.N` and `.N.gz` that differ. The message says all of it in one line.
 */
export class IncompleteRotationError extends TenkenError {
  /** What the rotation did. */
  readonly result: RotateResult;
  constructor(message: string, result: RotateResult) {
    super(message);
    this.result = result;
  }
}

/**
 * Rotates one wtmp-format file in place. Throws a one-line TenkenError on any failure, before data is lost; an
 * IncompleteRotationError when the rotation was done but compressing was not.
 *
 * The caller holds the run lock (two rotations at once saw each other's half-done state). A rotation killed
 * part-way (a reboot, the OOM killer, a cron timeout) is finished or repaired first, from what is on disk:
 * - `.wtmp.tenken-old` (a second name of the live file, made before the shift) is removed: the live file holds
 *   the same records. The shift then moves only the generations from `.1` up to the first gap, so backups
 *   that were shifted already are not shifted again (no generation inside --keep is deleted for a gap).
 * - `wtmp` and `wtmp.1` the same file (killed just before the last rename): only the last step is done (a new
 *   empty `wtmp`), and that is this run's rotation; rotating again would drop a generation for an empty file.
 * - two backup names of one file (left by an older tenken that rotated again after such a kill): the newer
 *   name is kept, the other removed (removing a second name frees no byte of data).
 * - `.N` beside a `.N.gz` that inflates to exactly its bytes (killed between the archive's rename and the
 *   plain file's unlink): the plain file is removed. A pair that differs is kept and said.
 */
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
    repaired: [],
  };
  const name = (n: number, gz: boolean): string => `${file}.${n}${gz ? '.gz' : ''}`;
  const shown = (n: number, gz: boolean): string => `${display}.${n}${gz ? '.gz' : ''}`;
  const fresh = path.join(path.dirname(file), `.${path.basename(file)}.tenken-new`);
  const held = path.join(path.dirname(file), `.${path.basename(file)}.tenken-old`);
  const heldShown = path.posix.join(path.posix.dirname(display), path.basename(held));
  let finishing = false;
  let madeHeld = false;
  const problems: string[] = [];
  try {
    // 0. Repair what a killed run left. Every step removes only a second name of a file or a plain file whose
    // archive holds its bytes, so a kill in the middle of it leaves a state this same repair handles again.
    const heldSt = statOrUndefined(held);
    if (heldSt) {
      // Made by linking the live file: still the live file, or (the live file replaced since by someone else)
      // the only copy of its records, which is not ours to remove.
      if (!sameFile(heldSt, st))
        throw new TenkenError(
          `Cannot rotate ${display}: ${heldShown}, left by an interrupted rotation, is no longer ${display} (its records may be nowhere else: rename it to a free ${display}.N or remove it)`,
        );
      fs.unlinkSync(held);
      result.repaired.push('redid the rotation an interrupted run left part-way');
    }
    const base = path.basename(file);
    for (const entry of fs.readdirSync(path.dirname(file)))
      if (/^[1-9]\d{0,5}\.gz\.tenken-tmp$/.test(entry.slice(base.length + 1)) && entry.startsWith(`${base}.`))
        fs.rmSync(path.join(path.dirname(file), entry), { force: true });
    // Second names: the live file and its .1 are the killed run's last step; any other second name goes.
    const byInode = new Map<string, number>();
    for (const { n } of backups(file, opts.keep)
      .filter((b) => !b.gz)
      .reverse()) {
      const bst = statOrUndefined(name(n, false));
      if (!bst?.isFile()) continue;
      const key = `${bst.dev}:${bst.ino}`;
      const live = sameFile(bst, st);
      if (live && n === 1) finishing = true;
      const first = byInode.get(key);
      if (first === undefined && !live) byInode.set(key, n);
      else if (!(live && n === 1)) {
        fs.unlinkSync(name(n, false));
        result.repaired.push(
          `removed ${shown(n, false)} (a second name of ${first === undefined ? display : shown(first, false)}, left by an interrupted rotation)`,
        );
      }
    }
    for (const { n, gz } of backups(file, opts.keep)) {
      if (!gz || !exists(name(n, false))) continue;
      if (sameBytes(name(n, false), name(n, true))) {
        fs.unlinkSync(name(n, false));
        result.repaired.push(
          `removed ${shown(n, false)} (${shown(n, true)} holds its bytes: its compression was interrupted)`,
        );
      }
    }

    // 1. What can fail for want of space comes first, while nothing has changed: the new file, with the live
    // file's owner, group and mode (not subject to the umask), and a second name for the live inode (a
    // hard link costs an inode on tmpfs). Shifting the backups first once dropped the oldest, then failed.
    // Killed here: the next run removes both (the live file still holds everything).
    if (exists(fresh)) fs.unlinkSync(fresh);
    const fd = fs.openSync(fresh, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
    try {
      if (st.uid !== process.getuid?.() || st.gid !== process.getgid?.()) fs.fchownSync(fd, st.uid, st.gid);
      fs.fchmodSync(fd, st.mode & 0o7777);
    } finally {
      fs.closeSync(fd);
    }
    if (finishing) {
      // Killed just before the last rename: the live file is already .1. Only the new file is missing.
      result.repaired.push(
        `finished the rotation an interrupted run left (${display} was also ${display}.1)`,
      );
    } else {
      fs.linkSync(file, held);
      madeHeld = true;
      // 2. Shift the generations .1 up to the first gap, oldest first, dropping the one at --keep (a directory
      // listing, not a probe of every number up to --keep). Renames and unlinks need no space. Killed here:
      // every generation has one name (an older one may be moved already, leaving a gap below it); the next
      // run removes the held name and shifts only what is below the gap, so each record stays exactly once.
      const found = backups(file, opts.keep);
      const top = contiguousGenerations(new Set(found.map((b) => b.n)), opts.keep);
      for (const { n, gz } of found) {
        if (n > top) continue;
        const from = name(n, gz);
        if (n + 1 > opts.keep) {
          fs.unlinkSync(from);
          result.removed.push(shown(n, gz));
        } else fs.renameSync(from, name(n + 1, gz));
      }
      // 3. The live inode gets its rotated name. Killed here: wtmp and wtmp.1 are one file, which the next
      // run sees (same device and inode) and finishes with step 4 alone.
      fs.renameSync(held, name(1, false));
      madeHeld = false;
    }
    // 4. The new file replaces the path atomically. Records appended meanwhile go to the live inode, now .1:
    // none is lost.
    fs.renameSync(fresh, file);
  } catch (err) {
    // Only what this run made: a held name found on disk and refused above is someone's only copy.
    fs.rmSync(fresh, { force: true });
    if (madeHeld) fs.rmSync(held, { force: true });
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
  let found: { n: number; gz: boolean }[];
  try {
    found = backups(file, opts.keep).reverse();
  } catch (err) {
    throw new TenkenError(what(`Cannot compress the backups of ${display}`, err));
  }
  const pairs = new Set(found.filter((b) => b.gz && exists(name(b.n, false))).map((b) => b.n));
  // A .N beside a .N.gz that holds other bytes: neither is removed (which holds what cannot be told).
  for (const n of pairs)
    problems.push(
      opts.compress
        ? `Cannot compress ${shown(n, false)}: ${shown(n, true)} exists already and holds other bytes (both kept)`
        : `Cannot remove ${shown(n, false)}: ${shown(n, true)} beside it holds other bytes (both kept)`,
    );
  if (opts.compress) {
    // Lowest first. Killed before the archive's rename: the next run replaces the temporary file; after it,
    // before the unlink: the next run finds the pair and removes the plain file once the archive reads back.
    for (const { n } of found.filter((b) => !b.gz && b.n >= 2 && !pairs.has(b.n))) {
      try {
        compressVerified(name(n, false), shown(n, false));
      } catch (err) {
        problems.push(
          err instanceof TenkenError ? err.message : what(`Cannot compress ${shown(n, false)}`, err),
        );
        break; // a full disk fails the next one too
      }
      result.compressed.push(shown(n, true));
    }
  }
  if (problems.length > 0) throw new IncompleteRotationError(problems.join('; '), result);
  return result;
}

/** Whether a rotation error means "nothing to rotate" (the file does not exist). */
export function isMissing(err: unknown): boolean {
  return err instanceof TenkenError && /no such file or directory$/.test(err.message)
    ? true
    : errnoCode(err) === 'ENOENT';
}
