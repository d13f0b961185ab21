import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * A log's family: the live file and its rotated siblings, oldest first. Recognised names (logrotate's):
 * `name.N` and `name.N.gz` (higher N is older), and dateext `name-YYYYMMDD[HH…]` / `name-EPOCH`, plus `.gz`.
 */

/** One member of a family. */
export interface FamilyMember {
  /** Local path. */
  path: string;
  /** Rotated member (not the live name). */
  rotated: boolean;
  gzip: boolean;
}

const NUMERIC = /^\.(\d{1,4})(\.gz)?$/;
const DATEEXT = /^-(\d{8,14})(\.gz)?$/;

/** What a rotated name adds to its live name: a number (higher is older) or a date key (higher is newer). */
type Suffix = { n: number; gzip: boolean } | { key: bigint; gzip: boolean };

/** The rotation suffix `rest` (what follows the live name) stands for, or null when it is none. */
function rotatedSuffix(rest: string): Suffix | null {
  const num = NUMERIC.exec(rest);
  if (num) return { n: Number(num[1]), gzip: num[2] !== undefined };
  const date = DATEEXT.exec(rest);
  if (date) return { key: BigInt(date[1] as string), gzip: date[2] !== undefined };
  return null;
}

/** Whether a name ends in a dotted IPv4 address (Samba's per-client `log.192.0.2.7`, `.gz` aside). */
function endsInIPv4(name: string): boolean {
  const run = /(?:\d+\.)*\d+$/.exec(name.replace(/\.gz$/, ''));
  return run !== null && run[0].split('.').length === 4 && run[0].split('.').every((o) => o.length <= 3);
}

/**
 * The live name a rotated name belongs to (`mg_ttyS1.log.2.gz` → `mg_ttyS1.log`), or null when the name
 * is not one logrotate makes. The shortest live name wins (`log-20261126-1764150000` → `log`); a name
 * ending in an IPv4 address is a live name (`log.192.0.2.7`), its rotations (`log.192.0.2.7.1`) are not.
 */
export function liveNameOf(name: string): string | null {
  for (let i = 1; i < name.length; i++) {
    const c = name[i];
    if (c !== '.' && c !== '-' && c !== '_') continue;
    if (rotatedSuffix(name.slice(i)) === null) continue;
    // `log.192.0.2.7` is a live name (its `.7` no rotation); `log.192.0.2.7.1` is one of its rotations.
    if (endsInIPv4(name) && !endsInIPv4(name.slice(0, i))) continue;
    return name.slice(0, i);
  }
  return null;
}

/**
 * Orders a directory's names into `name`'s family, oldest first: dateext members by date, then numbered
 * ones from the highest number down, then the live file. Pure, for tests; `familyOf` reads the directory.
 */
export function orderFamily(
  name: string,
  entries: readonly string[],
): { name: string; rotated: boolean; gzip: boolean }[] {
  const dated: { key: bigint; name: string; gzip: boolean }[] = [];
  const numbered: { n: number; name: string; gzip: boolean }[] = [];
  let live = false;
  for (const e of entries) {
    if (e === name) {
      live = true;
      continue;
    }
    if (!e.startsWith(name)) continue;
    const s = rotatedSuffix(e.slice(name.length));
    if (s === null) continue;
    if ('n' in s) numbered.push({ n: s.n, name: e, gzip: s.gzip });
    else dated.push({ key: s.key, name: e, gzip: s.gzip });
  }
  // A plain and a .gz member with the same rank (a compression caught half-way): the plain one is older data.
  dated.sort((a, b) => (a.key === b.key ? Number(a.gzip) - Number(b.gzip) : a.key < b.key ? -1 : 1));
  numbered.sort((a, b) => (a.n === b.n ? Number(a.gzip) - Number(b.gzip) : b.n - a.n));
  return [
    ...dated.map((d) => ({ name: d.name, rotated: true, gzip: d.gzip })),
    ...numbered.map((d) => ({ name: d.name, rotated: true, gzip: d.gzip })),
    ...(live ? [{ name, rotated: false, gzip: name.endsWith('.gz') }] : []),
  ];
}

/** Lists the family of local path `file` (the live file may be missing while logrotate swaps it). */
export async function familyOf(file: string): Promise<FamilyMember[]> {
  const dir = path.dirname(file);
  const names = await readdir(dir);
  return orderFamily(path.basename(file), names).map((m) => ({
    path: path.join(dir, m.name),
    rotated: m.rotated,
    gzip: m.gzip,
  }));
}
