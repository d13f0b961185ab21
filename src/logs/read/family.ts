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
    const rest = e.slice(name.length);
    const num = NUMERIC.exec(rest);
    if (num) {
      numbered.push({ n: Number(num[1]), name: e, gzip: num[2] !== undefined });
      continue;
    }
    const date = DATEEXT.exec(rest);
    if (date) dated.push({ key: BigInt(date[1] as string), name: e, gzip: date[2] !== undefined });
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
