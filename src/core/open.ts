import fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Opening input files for reading. O_NONBLOCK makes open() of a FIFO return at once instead of waiting
 * for a writer, and fstat then refuses anything but a regular file: a FIFO, socket or device would block
 * or never end, so it is `not a regular file` (a directory keeps its own `is a directory`).
 */

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** How an input file is opened. */
export interface OpenOptions {
  /**
   * false: a symbolic link at the path itself is refused (O_NOFOLLOW, error code ELOOP) instead of
   * followed. For tenken's own files (state, baseline), which it never writes through a link either.
   */
  follow?: boolean;
}

function flagsOf(opts: OpenOptions): number {
  return opts.follow === false ? FLAGS | fs.constants.O_NOFOLLOW : FLAGS;
}

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
export function openRegularSync(path: string, opts: OpenOptions = {}): { fd: number; stat: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(path, flagsOf(opts));
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
export function readRegularFileSync(path: string, encoding: BufferEncoding, opts?: OpenOptions): string;
export function readRegularFileSync(
  path: string,
  encoding?: BufferEncoding,
  opts: OpenOptions = {},
): Buffer | string {
  const { fd } = openRegularSync(path, opts);
  try {
    return encoding === undefined ? fs.readFileSync(fd) : fs.readFileSync(fd, encoding);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a regular file for reading, never blocking (async); throws the system error or `not a regular file`. */
export async function openRegular(
  path: string,
  opts: OpenOptions = {},
): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, flagsOf(opts));
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

/** Reads a whole regular file (async; as openRegular refuses others). */
export async function readRegularFile(path: string): Promise<Buffer>;
/** Reads a whole regular file as text (async; as openRegular refuses others). */
export async function readRegularFile(
  path: string,
  encoding: BufferEncoding,
  opts?: OpenOptions,
): Promise<string>;
export async function readRegularFile(
  path: string,
  encoding?: BufferEncoding,
  opts: OpenOptions = {},
): Promise<Buffer | string> {
  const { handle } = await openRegular(path, opts);
  try {
    return encoding === undefined ? await handle.readFile() : await handle.readFile({ encoding });
  } finally {
    await handle.close();
  }
}
