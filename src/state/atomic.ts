import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';

/**
 * Writes a file atomically: a new temp file in the same directory (O_EXCL|O_NOFOLLOW, mode 0600), fsync,
 * rename over the target, fsync the directory. A crash leaves the old or the new file, never half of one;
 * a symlink planted at the target or temp name is refused instead of followed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  const dir = path.dirname(file);
  try {
    const st = lstatSync(file);
    if (st.isSymbolicLink())
      throw new TenkenError(`Cannot write ${file}: it is a symbolic link (refusing to follow it)`);
  } catch (err) {
    if (err instanceof TenkenError) throw err;
    if (errnoCode(err) !== 'ENOENT') throw new TenkenError(describe(`Cannot write ${file}`, err));
  }
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
