/**
 * /var/log/lastlog: one `struct lastlog` per uid at offset uid × size — 292 bytes on x86-64 (ll_time int32,
 * ll_line[32], ll_host[256]) and 296 with a 64-bit ll_time (aarch64). The file is sparse (its apparent size
 * reaches uid 4294967294 × 292 bytes): it is read by uid, never scanned end to end.
 */
import fs from 'node:fs';
import { describe as what, TenkenError } from '../core/errors.ts';
import { openRegularSync } from '../core/open.ts';

/** Record layouts by size. */
export const LASTLOG_LAYOUTS = { 292: { size: 292, timeSize: 4 }, 296: { size: 296, timeSize: 8 } } as const;

/** One user's last login. Strings are byte strings cut at NUL; `time` 0 = never logged in. */
export interface LastlogEntry {
  uid: number;
  time: number;
  line: string;
  host: string;
}

function cstr(buf: Uint8Array, start: number, size: number): string {
  let end = start;
  while (end < start + size && buf[end] !== 0) end++;
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/** Decodes the record at `off` (pure). */
export function decodeLastlog(
  buf: Uint8Array,
  off: number,
  uid: number,
  size: 292 | 296 = 292,
): LastlogEntry {
  const view = new DataView(buf.buffer, buf.byteOffset + off, size);
  const t = size === 292 ? view.getInt32(0, true) : Number(view.getBigInt64(0, true));
  const base = size === 292 ? 4 : 8;
  return { uid, time: t, line: cstr(buf, off + base, 32), host: cstr(buf, off + base + 32, 256) };
}

/** Encodes one record (tests and the demo generator). */
export function encodeLastlog(e: Omit<LastlogEntry, 'uid'>, size: 292 | 296 = 292): Uint8Array {
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  if (size === 292) view.setInt32(0, e.time, true);
  else view.setBigInt64(0, BigInt(e.time), true);
  const base = size === 292 ? 4 : 8;
  buf.set(Buffer.from(e.line, 'latin1').subarray(0, 32), base);
  buf.set(Buffer.from(e.host, 'latin1').subarray(0, 256), base + 32);
  return buf;
}

/**
 * Reads the entries of the given uids (those past the end of the file never logged in). Throws a one-line
 * TenkenError when the file cannot be opened.
 */
export function readLastlog(
  file: string,
  uids: Iterable<number>,
  opts: { display?: string; size?: 292 | 296; root?: string } = {},
): Map<number, LastlogEntry> {
  const size = opts.size ?? 292;
  const out = new Map<number, LastlogEntry>();
  let fd: number;
  try {
    fd = openRegularSync(file, opts.root === undefined ? {} : { root: opts.root }).fd;
  } catch (err) {
    throw new TenkenError(what(`Cannot read ${opts.display ?? file}`, err));
  }
  try {
    const buf = Buffer.alloc(size);
    for (const uid of uids) {
      if (!Number.isInteger(uid) || uid < 0) continue;
      const n = fs.readSync(fd, buf, 0, size, uid * size);
      if (n < size) continue;
      const e = decodeLastlog(buf, 0, uid, size);
      if (e.time !== 0 || e.line !== '' || e.host !== '') out.set(uid, e);
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
