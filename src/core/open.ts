import fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Opening input files for reading. O_NONBLOCK makes open() of a FIFO return at once instead of waiting
 * for a writer, and fstat then refuses anything but a regular file: a FIFO, socket or device would block
 * or never end, so it is `not a regular file` (a directory keeps its own `is a directory`).
 */

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** The error for an opened path that is not a regular file (code ENOTREG, or EISDIR for a directory). */
function notRegularError(st: fs.Stats): NodeJS.ErrnoException {
  if (st.isDirectory()) return Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  return Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
}

/** A socket cannot be opened (ENXIO): reported as what it is, not as a missing device. */
function socketError(path: string, err: unknown): unknown {
  if ((err as { code?: unknown }).code !== 'ENXIO') return err;
  try {
    const st = fs.statSync(path);
    return st.isFile() ? err : notRegularError(st);
  } catch {
    return err;
  }
}

/** Opens a regular file for reading, never blocking; throws the system error or `not a regular file`. */
export function openRegularSync(path: string): { fd: number; stat: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(path, FLAGS);
  } catch (err) {
    throw socketError(path, err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegularError(stat);
    return { fd, stat };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** Reads a whole regular file (as openRegularSync refuses others). */
export function readRegularFileSync(path: string): Buffer;
/** Reads a whole regular file as text (as openRegularSync refuses others). */
export function readRegularFileSync(path: string, encoding: BufferEncoding): string;
export function readRegularFileSync(path: string, encoding?: BufferEncoding): Buffer | string {
  const { fd } = openRegularSync(path);
  try {
    return encoding === undefined ? fs.readFileSync(fd) : fs.readFileSync(fd, encoding);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a regular file for reading, never blocking (async); throws the system error or `not a regular file`. */
export async function openRegular(path: string): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (err) {
    throw socketError(path, err);
  }
  try {
    const stat = await handle.stat({ bigint: false });
    if (!stat.isFile()) throw notRegularError(stat);
    return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
