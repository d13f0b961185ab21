/**
 * Listening sockets from /proc/net/{tcp,tcp6,udp,udp6}, mapped to the processes holding them through
 * /proc/PID/fd/* → `socket:[inode]`. Hand-written for the same reason as proc.ts: `ss`/`netstat` and their
 * npm wrappers read only the live kernel, never a tree under `--root`; the format is small and stable.
 */
import { append } from '../core/array.ts';
import { readdir } from 'node:fs/promises';
import { readRegularFile } from '../core/open.ts';
import os from 'node:os';
import path from 'node:path';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';
import { type Host, hostPath } from '../core/host.ts';
import { inTree } from '../core/inroot.ts';
import { isNotFile, isVanished, readProcLink } from './proc.ts';

/** The four socket tables, named like their files. */
export const NET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;

/** A socket table: `tcp` and `udp` are IPv4, the `6` ones IPv6 (and IPv4-mapped). */
export type NetProto = (typeof NET_TABLES)[number];

/** TCP_LISTEN in the `st` column. */
const TCP_LISTEN = 0x0a;
/** TCP_CLOSE: what an unconnected (bound, receiving) UDP socket shows. */
const UDP_UNCONNECTED = 0x07;

/** One row of a /proc/net socket table. */
export interface SocketRow {
  proto: NetProto;
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
  state: number;
  uid: number;
  inode: number;
  /** 1-based line in the table file (the header is line 1), for evidence. */
  line: number;
  /** The row as the kernel wrote it, for evidence. */
  raw: string;
}

/** Whether /proc/net hex words are in little-endian order: the kernel prints each 32-bit word in host order. */
export const HOST_LITTLE_ENDIAN = os.endianness() === 'LE';

/** The bytes of one 32-bit word printed as 8 hex digits in host order, in network order. */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const b = [0, 2, 4, 6].map((i) => Number.parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? b.reverse() : b;
}

/** Formats 16 IPv6 bytes the RFC 5952 way (longest zero run as `::`, IPv4-mapped as `::ffff:a.b.c.d`). */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12, 16).join('.')}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Decodes a /proc/net address (`0100007F:0016` or 32 hex digits for IPv6) to [address, port]. The port is
 * big-endian hex; the address is the raw in_addr / in6_addr printed as 32-bit words in host byte order, so
 * on x86 127.0.0.1 reads `0100007F` and ::1 reads `00000000000000000000000001000000`.
 */
export function decodeAddress(field: string, littleEndian = HOST_LITTLE_ENDIAN): [string, number] | null {
  const colon = field.indexOf(':');
  if (colon < 0) return null;
  const hex = field.slice(0, colon);
  const portHex = field.slice(colon + 1);
  // Four hex digits at most: parseInt read `0016zz` as 22 and `1FFFF` as a port the baseline schema refuses.
  if (!/^[0-9A-Fa-f]+$/.test(hex) || !/^[0-9A-Fa-f]{1,4}$/.test(portHex)) return null;
  const port = Number.parseInt(portHex, 16);
  if (hex.length === 8) return [wordBytes(hex, littleEndian).join('.'), port];
  if (hex.length === 32) {
    const bytes: number[] = [];
    for (let w = 0; w < 32; w += 8) bytes.push(...wordBytes(hex.slice(w, w + 8), littleEndian));
    return [formatIpv6(bytes), port];
  }
  return null;
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} table; malformed rows (an address, state, uid or inode that is not one) are skipped. */
export function parseNetTable(text: string, proto: NetProto, littleEndian = HOST_LITTLE_ENDIAN): SocketRow[] {
  const rows: SocketRow[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    const f = raw.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.length < 10) continue;
    const local = decodeAddress(f[1] as string, littleEndian);
    const remote = decodeAddress(f[2] as string, littleEndian);
    const state = /^[0-9A-Fa-f]{1,2}$/.test(f[3] as string)
      ? Number.parseInt(f[3] as string, 16)
      : Number.NaN;
    const uid = /^\d{1,10}$/.test(f[7] as string) ? Number(f[7]) : Number.NaN;
    const inode = /^\d{1,15}$/.test(f[9] as string) ? Number(f[9]) : Number.NaN;
    if (!local || !remote || Number.isNaN(state) || Number.isNaN(uid) || Number.isNaN(inode)) continue;
    rows.push({
      proto,
      localAddr: local[0],
      localPort: local[1],
      remoteAddr: remote[0],
      remotePort: remote[1],
      state,
      uid,
      inode,
      line: i + 1,
      raw: raw.trimEnd(),
    });
  }
  return rows;
}

/** TCP sockets in LISTEN, and UDP sockets bound but not connected (a UDP server's receiving socket). */
export function isListening(row: SocketRow): boolean {
  if (row.proto === 'tcp' || row.proto === 'tcp6') return row.state === TCP_LISTEN;
  return row.state === UDP_UNCONNECTED && row.remotePort === 0 && row.localPort !== 0;
}

/** A listening socket and who holds it. */
export interface Listener {
  proto: NetProto;
  addr: string;
  port: number;
  inode: number;
  uid: number;
  /** Processes holding the socket (a pre-forking server's workers share it); empty when none could be read. */
  pids: number[];
  /** Where it was read, for evidence: `/proc/net/tcp` and the line. */
  source: string;
  line: number;
  raw: string;
}

/** Whether a listener's address is the wildcard (every interface): `0.0.0.0` or `::`. */
export function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || addr === '::';
}

/** The key a listener is known by in a baseline: `tcp 0.0.0.0:22`, `tcp6 [::]:22`. */
export function listenerKey(l: { proto: string; addr: string; port: number }): string {
  return `${l.proto} ${l.addr.includes(':') ? `[${l.addr}]` : l.addr}:${l.port}`;
}

/** Parses `socket:[12345]` (an fd link target) to its inode; null for anything else. */
export function socketInode(target: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(target.trim());
  return m ? Number(m[1]) : null;
}

/**
 * The socket inodes each process holds, from /proc/PID/fd/*. Processes that vanish or whose fds are not
 * readable (other users' without root) are left out; `unreadable` counts the latter.
 */
export async function readSocketOwners(
  host: Pick<Host, 'root'>,
  pids: readonly number[],
  wanted: ReadonlySet<number>,
): Promise<{ owners: Map<number, number[]>; unreadable: number }> {
  const owners = new Map<number, number[]>();
  let unreadable = 0;
  for (const pid of pids) {
    const dir = hostPath(host, `/proc/${pid}/fd`);
    let fds: string[];
    try {
      fds = await readdir(inTree(host.root, dir));
    } catch (err) {
      if (!isVanished(err)) unreadable++;
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await readProcLink(path.join(dir, fd), host.root);
      } catch (err) {
        if (isVanished(err) || isNotFile(err)) continue;
        if (errnoCode(err) === 'EACCES' || errnoCode(err) === 'EPERM') {
          unreadable++;
          break;
        }
        throw err;
      }
      const inode = socketInode(target);
      if (inode === null || !wanted.has(inode)) continue;
      const list = owners.get(inode) ?? [];
      if (!list.includes(pid)) list.push(pid);
      owners.set(inode, list);
    }
  }
  return { owners, unreadable };
}

/** Reads the four tables under the host root; a missing table (no IPv6) is simply empty. */
export async function readSocketTables(
  host: Pick<Host, 'root'>,
  littleEndian = HOST_LITTLE_ENDIAN,
): Promise<SocketRow[]> {
  const rows: SocketRow[] = [];
  for (const proto of NET_TABLES) {
    let text: string;
    try {
      text = await readRegularFile(hostPath(host, `/proc/net/${proto}`), 'latin1', { root: host.root });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      // A FIFO or directory in a tree under --root: said in one line (the open never waits on a FIFO).
      if (isNotFile(err)) throw new TenkenError(describe(`Cannot read /proc/net/${proto}`, err));
      throw err;
    }
    append(rows, parseNetTable(text, proto, littleEndian));
  }
  return rows;
}

/** Joins listening rows with their owners (pure). */
export function listenersFrom(rows: readonly SocketRow[], owners: ReadonlyMap<number, number[]>): Listener[] {
  return rows.filter(isListening).map((r) => ({
    proto: r.proto,
    addr: r.localAddr,
    port: r.localPort,
    inode: r.inode,
    uid: r.uid,
    pids: [...(owners.get(r.inode) ?? [])].sort((a, b) => a - b),
    source: `/proc/net/${r.proto}`,
    line: r.line,
    raw: r.raw,
  }));
}

/** Every listening socket under the host root, with the pids holding it (given the pids to look through). */
export async function readListeners(
  host: Pick<Host, 'root'>,
  pids: readonly number[],
  littleEndian = HOST_LITTLE_ENDIAN,
): Promise<{ listeners: Listener[]; unreadable: number }> {
  const rows = await readSocketTables(host, littleEndian);
  const wanted = new Set(rows.filter(isListening).map((r) => r.inode));
  const { owners, unreadable } = wanted.size
    ? await readSocketOwners(host, pids, wanted)
    : { owners: new Map<number, number[]>(), unreadable: 0 };
  return { listeners: listenersFrom(rows, owners), unreadable };
}

/** Parses /proc/sys/net/ipv4/ip_local_port_range (`32768\t60999`); null when malformed. */
export function parsePortRange(text: string): [number, number] | null {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
