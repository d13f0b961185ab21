import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';

/**
 * Writes a file atomically: a new temp file in the same directory (O_EXCL|O_NOFOLLOW, mode 0600), fsync,
 * rename over the target, fsync the directory. A crash leaves the old or the new file, never half of one;
 * a symlink planted at the target or temp name is refused instead of followed, and so is anything at the
 * target that is not a regular file (a directory, a device, a FIFO, a socket: renaming over it would replace it).
 * With `replaceLink` (tenken's own state files) a symlink at the target is replaced by the new file: the
 * rename swaps the link itself and never touches what it points to, and a refusal would leave the state
 * unsaved on every run.
 */
export function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode = 0o600,
  opts: { replaceLink?: boolean } = {},
): void {
  const st = targetStat(file, opts.replaceLink === true);
  // tenken's own state file (replaceLink): as for a directory, only removing what sits there lets it be saved.
  if (st && !st.isFile())
    throw new TenkenError(
      `Cannot write ${file}: not a regular file${opts.replaceLink ? ' (remove it)' : ''}`,
    );
  replaceFile(file, data, mode);
}

/**
 * Writes a file the user named (`check -o FILE`): a regular or new file atomically (as writeFileAtomic), a
 * character device (/dev/null, a terminal) in place, since renaming over it would replace the device node.
 * A symlink, directory, FIFO, socket or block device is refused.
 */
export function writeOutputFile(file: string, data: string | Uint8Array, mode = 0o644): void {
  const st = targetStat(file);
  if (st?.isCharacterDevice()) writeCharDevice(file, data);
  else if (st && !st.isFile()) throw new TenkenError(`Cannot write ${file}: not a regular file`);
  else replaceFile(file, data, mode);
}

/** lstat of a write target: undefined when absent (or a symlink to replace); a symlink or a directory is refused. */
function targetStat(file: string, replaceLink = false): Stats | undefined {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new TenkenError(describe(`Cannot write ${file}`, err));
  }
  if (st.isSymbolicLink()) {
    if (replaceLink) return undefined;
    throw new TenkenError(`Cannot write ${file}: it is a symbolic link (refusing to follow it)`);
  }
  // tenken's own state file: nobody meant a directory there, and only its removal lets the state be saved.
  if (st.isDirectory())
    throw new TenkenError(`Cannot write ${file}: is a directory${replaceLink ? ' (remove it)' : ''}`);
  return st;
}

/** Writes into an existing character device: opened without O_CREAT or following links, checked again once open. */
function writeCharDevice(file: string, data: string | Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NOCTTY);
    if (!fstatSync(fd).isCharacterDevice()) throw new TenkenError(`Cannot write ${file}: not a regular file`);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } catch (err) {
    if (err instanceof TenkenError) throw err;
    throw new TenkenError(describe(`Cannot write ${file}`, err));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Removes the temp files a killed writer of `file` left beside it (`.NAME.PID.TIME.tmp` of a pid that is gone):
 * each kill -9 between the temp's creation and the rename left one, and they piled up in the state directory
 * and beside `-o`. A live pid's temp is another writer's, in flight, and is left alone.
 */
function sweepStaleTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the write itself says what is wrong with the directory
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-z]+\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      unlinkSync(path.join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Whether a process exists (signal 0; EPERM: it exists but is not ours): a temp file's or a lock's writer. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

function replaceFile(file: string, data: string | Uint8Array, mode: number): void {
  const dir = path.dirname(file);
  sweepStaleTemps(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(
      tmp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created or is already gone
    }
    throw new TenkenError(describe(`Cannot write ${file}`, err));
  }
  try {
    const dfd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directory fsync is best effort (not supported on every file system).
  }
}
