import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { followable, inTree } from '../../core/open.ts';

/**
 * A log's family: the live file and its rotated siblings, oldest first. Recognised names (logrotate's):
 * `name.N` and `name.N.gz` (higher N is older; Samba's own `name.old` is the newest, or placed by mtime when a numbered one is newer), and dateext names in the common `dateformat`s:
 * `name-YYYYMMDD[HH[MM[SS]]]`, `name-YYYY-MM-DD[-HH…]`, `name-YYYYMMDD-EPOCH` (`-%Y%m%d-%s`),
 * `name.YYYYMMDD`, `name_YYYYMMDD`, `name-EPOCH`, each also with `.gz`.
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
const OLD = /^\.old(\.gz)?$/;
/**
 * logrotate's `dateformat`s: `-`, `.` or `_`, then `%Y%m%d` or `%Y-%m-%d`, optionally an hour, minute and
 * second (`%H`, `%M`, `%S`, with or without separators), optionally `-%s`.
 */
const DATED =
  /^[-._](\d{4})(-?)(\d\d)\2(\d\d)(?:[-_]?(\d\d)(?:[-_:]?(\d\d)(?:[-_:]?(\d\d))?)?)?(?:[-_](\d{9,11}))?(\.gz)?$/;
/** `-%s` alone (seconds since the epoch), and any other run of 8 to 14 digits after a `-` (as before). */
const DIGITS = /^-(\d{8,14})(\.gz)?$/;

/** What a rotated name adds to its live name: a number (higher is older) or a date key (higher is newer). */
type Suffix = { n: number; gzip: boolean } | { key: bigint; gzip: boolean };

/** Date fields as a 14-digit YYYYMMDDHHMMSS number, or null when they are no date. */
function dateDigits(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): bigint | null {
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return null;
  return BigInt(((((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi) * 100 + s);
}

/** Seconds since the epoch as YYYYMMDDHHMMSS (UTC). */
function epochDigits(epoch: number): bigint {
  const t = new Date(epoch * 1000);
  return dateDigits(
    t.getUTCFullYear(),
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  ) as bigint;
}

/** Ordering key of a date (YYYYMMDDHHMMSS) and an epoch (`-%s`, 0 when none): every format on one scale. */
const dateKey = (digits: bigint, epoch: number) => digits * 100_000_000_000n + BigInt(epoch);

/** The rotation suffix `rest` (what follows the live name) stands for, or null when it is none. */
function rotatedSuffix(rest: string): Suffix | null {
  const num = NUMERIC.exec(rest);
  if (num) return { n: Number(num[1]), gzip: num[2] !== undefined };
  // Samba's own rotation (`max log size`, 1000 KiB in Debian's smb.conf): log.smbd → log.smbd.old, the
  // newest rotated copy (ranked before `.1`). Unfollowed, every such rotation lost the lines not yet read.
  const old = OLD.exec(rest);
  if (old) return { n: 0, gzip: old[1] !== undefined };
  const m = DATED.exec(rest);
  if (m) {
    const f = [m[1], m[3], m[4], m[5], m[6], m[7]].map((x) => (x === undefined ? 0 : Number(x)));
    const digits = dateDigits(...(f as [number, number, number, number, number, number]));
    if (digits !== null) return { key: dateKey(digits, m[8] ? Number(m[8]) : 0), gzip: m[9] !== undefined };
  }
  // Not a date: `-%s` (seconds since the epoch), or digits taken for a date key as they always were.
  const run = DIGITS.exec(rest);
  if (!run) return null;
  const text = run[1] as string;
  const epoch = text.length <= 11 ? Number(text) : 0;
  return { key: epoch ? dateKey(epochDigits(epoch), epoch) : BigInt(text), gzip: run[2] !== undefined };
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

/**
 * Lists the family of local path `file` (the live file may be missing while logrotate swaps it). When the
 * live file is a symbolic link (`auth.log -> /srv/x/auth.log`), its target is rotated where it lives:
 * the family is the link's rotated siblings (from before it was a link), then the target's, then the
 * live file under the link's name. Only a trusted link's target directory is looked into (the trust rule
 * of src/core/open.ts): one a daemon planted (`access.log -> /root/x`) adds nothing, and the live file's
 * open refuses it. Under `root` (`--root`), every link resolves inside the tree (inTree), a link's target
 * too; member paths stay as the tree names them (`ROOT/var/log/x.1`), so that they are shown as host paths.
 */
export async function familyOf(file: string, root: string): Promise<FamilyMember[]> {
  const dir = path.dirname(file);
  const name = path.basename(file);
  const members = await oldByTime(
    orderFamily(name, await readdir(inTree(root, dir))).map((m) => ({
      path: path.join(dir, m.name),
      rotated: m.rotated,
      gzip: m.gzip,
    })),
    root,
  );
  const target = await linkTarget(file, root);
  if (target === null || target === file) return members;
  const targetDir = path.dirname(target);
  const names = await Promise.resolve(targetDir)
    .then((d) => readdir(inTree(root, d)))
    .catch(() => [] as string[]);
  const known = new Set(members.map((m) => m.path));
  const there = orderFamily(path.basename(target), names)
    .filter((m) => m.rotated && !known.has(path.join(targetDir, m.name)))
    .map((m) => ({ path: path.join(targetDir, m.name), rotated: true, gzip: m.gzip }));
  return [...members.filter((m) => m.rotated), ...there, ...members.filter((m) => !m.rotated)];
}

/**
 * Puts Samba's `.old` among the numbered members by modification time. Debian rotates `log.smbd` both ways:
 * Samba renames it to `.old` when it passes `max log size` (1000 KiB), and logrotate renames it to `.1`
 * weekly. `orderFamily` ranks `.old` newest, which holds when Samba rotated last; when logrotate did (a `.1`
 * written after `.old`), a run that read both read Sunday's lines before Friday's, and an attack's failures
 * came after the login that followed them.
 */
async function oldByTime(members: FamilyMember[], root: string): Promise<FamilyMember[]> {
  const i = members.findIndex((m) => m.rotated && /\.old(\.gz)?$/.test(m.path));
  if (i <= 0) return members;
  const mtime = async (p: string) =>
    (await lstat(inTree(root, p, { last: false })).catch(() => null))?.mtimeMs ?? Number.NaN;
  const old = members[i] as FamilyMember;
  const oldTime = await mtime(old.path);
  let at = i;
  // Numbered members sit just before `.old` (oldest first): step back over those written after it.
  while (at > 0) {
    const prev = members[at - 1] as FamilyMember;
    if (!/\.\d{1,4}(\.gz)?$/.test(prev.path) || !((await mtime(prev.path)) > oldTime)) break;
    at--;
  }
  if (at === i) return members;
  const rest = members.filter((_, k) => k !== i);
  rest.splice(at, 0, old);
  return rest;
}

/**
 * Where a trusted symbolic link finally points (an existing path), or null when `file` is no link, a
 * dangling one, or one the trust rule refuses. Under a tree (`root`), where it points inside the tree.
 */
async function linkTarget(file: string, root: string): Promise<string | null> {
  try {
    const at = inTree(root, file, { last: false });
    if (!(await lstat(at)).isSymbolicLink()) return null;
    const inside = inTree(root, file);
    if (inside !== at) {
      // Under --root: resolved inside the tree, the trust rule applied on the way (a refused link throws).
      await lstat(inside);
      return inside;
    }
    if (followable(file) !== true) return null;
    return await realpath(file);
  } catch {
    return null;
  }
}

/**
 * The local path of the file on device `dev`, inode `ino` in directory `dir` (names in `skip` aside), or
 * null: where a log read last time went when no member of its family holds it (a rotation to a name the
 * family does not take in). Only asked when that happened, so a directory listing and a stat per name.
 * (`root`: the tree `dir` is in, as familyOf's.)
 */
export async function findByInode(
  dir: string,
  dev: number,
  ino: number,
  skip: ReadonlySet<string>,
  root: string,
): Promise<string | null> {
  let real: string;
  try {
    real = inTree(root, dir);
  } catch {
    return null;
  }
  const names = (await readdir(real).catch(() => [] as string[])).filter((n) => !skip.has(n)).sort();
  const found = await Promise.all(
    names.map((n) =>
      // lstat: a link in the directory is not where the file went (a rename is), and is not followed.
      lstat(path.join(real, n)).then(
        (st) => st.isFile() && st.dev === dev && st.ino === ino,
        () => false,
      ),
    ),
  );
  const i = found.indexOf(true);
  return i < 0 ? null : path.join(dir, names[i] as string);
}
