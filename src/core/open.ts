import fs from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { passwdEntries } from './passwd.ts';

/**
 * Opening input files for reading. O_NONBLOCK makes open() of a FIFO return at once instead of waiting
 * for a writer, and fstat then refuses anything but a regular file: a FIFO, socket or device would block
 * or never end, so it is `not a regular file` (a directory keeps its own `is a directory`).
 */

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** How an input file is opened. */
export interface OpenOptions {
  /**
   * How a symbolic link at the path itself is treated.
   * - `'trusted'` (the default): followed only when it is trusted (see {@link linkTrusted}); otherwise
   *   refused with code EUNTRUSTEDLINK, `a symbolic link owned by proxy (uid 13) to a file it does not own
   *   (refusing to follow it)`. Every log reader gets this rule: tenken runs as root, and a daemon that
   *   owns its log directory could otherwise plant `access.log -> /root/secret` and have root-only lines
   *   mailed as evidence.
   * - true: followed whatever its owner: a path the admin typed on the command line.
   * - false: refused (O_NOFOLLOW, error code ELOOP). For tenken's own files (state, baseline), which it
   *   never writes through a link either.
   */
  follow?: boolean | 'trusted';
  /**
   * The tree the path is in (`--root DIR`): a path below it is opened where a chroot into the tree would
   * open it (every symbolic link resolved inside the tree, see {@link inTree}), and what was opened is checked
   * to be inside the tree. Absent or `/`: the live host, whose links the kernel resolves.
   */
  root?: string;
}

/**
 * The trust rule for a symbolic link, like the kernel's protected_symlinks: a link is followed when it is
 * owned by root, by the user running tenken (who could read the target anyway), or by the owner of the
 * file it finally points to (a daemon linking to its own file reveals nothing it could not read itself).
 * Pure, for tests.
 */
export function linkTrusted(linkUid: number, targetUid: number, euid: number): boolean {
  return linkUid === 0 || linkUid === euid || linkUid === targetUid;
}

const EUID = process.geteuid?.() ?? -1;

let names: Map<number, string> | null = null;
/** The user name of `uid` from the host's /etc/passwd (read once), or null. */
function userName(uid: number): string | null {
  if (names === null) {
    names = new Map();
    try {
      for (const e of passwdEntries(fs.readFileSync('/etc/passwd', 'latin1')))
        if (!names.has(e.uid)) names.set(e.uid, e.name);
    } catch {
      // no names: the uid alone is shown
    }
  }
  return names.get(uid) ?? null;
}

/** A user as errors name one: `mail (uid 8)`, or `uid 1234` when /etc/passwd does not know it. */
export function ownerName(uid: number): string {
  const name = userName(uid);
  return name === null ? `uid ${uid}` : `${name} (uid ${uid})`;
}

/** The refusal of an untrusted link (code EUNTRUSTEDLINK), naming its owner. */
export function untrustedLinkError(uid: number): NodeJS.ErrnoException {
  const owner = ownerName(uid);
  return Object.assign(
    new Error(`a symbolic link owned by ${owner} to a file it does not own (refusing to follow it)`),
    { code: 'EUNTRUSTEDLINK' },
  );
}

function errnoOf(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

/** A link changed between the check and the open (code ECHANGED). */
function changedError(): NodeJS.ErrnoException {
  return Object.assign(new Error('changed while being opened (a symbolic link swapped in?)'), {
    code: 'ECHANGED',
  });
}

/**
 * The file a trusted link was found to point to, compared with what was opened (no swap in between);
 * `follow`: the last component is itself a link (else it is opened with O_NOFOLLOW).
 */
type Expect = { dev: number; ino: number; uid: number; follow: boolean };

/**
 * What the trust rule says of a path: null when no symbolic link is on it (or lstat failed: opened with
 * O_NOFOLLOW, the open says why), the target's identity when every link on it is trusted, `dangling` for a
 * link whose target cannot be reached (the open, following it, says why; should it succeed, something
 * changed); undefined when the rule is not applied. Throws EUNTRUSTEDLINK when a link is untrusted.
 */
type Check = Expect | null | 'dangling' | undefined;

/** Most symbolic links followed resolving one path (Linux's MAXSYMLINKS); past it, ELOOP. */
export const MAX_LINK_HOPS = 40;

/** What {@link walkLinks} ends with: `cur` resolved so far, the owners of the links met, why it stopped early. */
export interface LinkWalk {
  cur: string;
  owners: number[];
  /** `missing`: a component could not be examined (missing, not a directory, no permission); `loop`: over MAX_LINK_HOPS links. */
  stopped: 'missing' | 'loop' | null;
  /** The components not resolved: the one that stopped the walk first. */
  rest: string[];
}

/**
 * Resolves the components of a path below `root` one by one, following every symbolic link as the kernel does,
 * but with `root` as `/`: an absolute target starts again at `root`, and `..` stops there (root `/`: the kernel's
 * own resolution). One walker for the trust rule (here) and for reading a tree under --root (inroot.ts).
 */
export function walkLinks(root: string, components: readonly string[]): LinkWalk {
  const owners: number[] = [];
  let pending = components.filter((c) => c !== '' && c !== '.');
  let cur = root;
  for (let hops = 0; pending.length > 0; ) {
    const c = pending.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      if (cur !== root) cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, c);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch {
      return { cur, owners, stopped: 'missing', rest: [c, ...pending] };
    }
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return { cur, owners, stopped: 'loop', rest: [c, ...pending] };
    owners.push(st.uid);
    let to: string;
    try {
      to = fs.readlinkSync(next);
    } catch {
      return { cur, owners, stopped: 'missing', rest: [c, ...pending] };
    }
    if (to.startsWith('/')) cur = root;
    pending = [...to.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
  }
  return { cur, owners, stopped: null, rest: [] };
}

/** How {@link inTree} resolves a path. */
export interface TreeOptions {
  /** Resolve a link at the last component too (default); false leaves it as it is (for lstat, readlink). */
  last?: boolean;
  /** Apply the trust rule to the links met (default); false for a path the admin typed. */
  trust?: boolean;
}

/** The error for a path whose links go on too long or loop (code ELOOP, as the kernel's). */
function loopError(): NodeJS.ErrnoException {
  return Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
}

/**
 * Where the path made of `components` (a host path's, `..` and links taken physically) is inside tree
 * `root`, every symbolic link resolved inside it as a chroot would (see inroot.ts resolveInRoot, its
 * caller for host paths). The result names no link below the root (as of this call). A link's trust is
 * checked here, by the rule of {@link linkTrusted} against what the path finally names (EUNTRUSTEDLINK). A
 * component that cannot be examined (missing, not a directory, no permission) ends the walk: the rest is
 * appended unresolved, so that using the result fails with the system's own error. Throws ELOOP past
 * {@link MAX_LINK_HOPS} links.
 */
export function resolveTreeParts(
  root: string,
  components: readonly string[],
  opts: TreeOptions = {},
): string {
  const top = path.resolve(root);
  const parts = components.filter((c) => c !== '' && c !== '.');
  const keep = opts.last === false ? parts.pop() : undefined;
  const w = walkLinks(top, parts);
  if (w.stopped === 'loop') throw loopError();
  const tail = keep === undefined ? [] : [keep];
  if (w.stopped === 'missing')
    return [path.join(w.cur, w.rest[0] as string), ...w.rest.slice(1), ...tail].join('/');
  if (opts.trust !== false && w.owners.length > 0) {
    let target: fs.Stats | undefined;
    try {
      target = fs.statSync(w.cur);
    } catch {
      // gone since: using the path says why
    }
    const bad = target === undefined ? undefined : w.owners.find((u) => !linkTrusted(u, target.uid, EUID));
    if (bad !== undefined) throw untrustedLinkError(bad);
  }
  return keep === undefined ? w.cur : path.join(w.cur, keep);
}

/** The path of `local` below tree `root` (`root/var/log` → `var/log`), or null when it is not below it. */
function belowTree(root: string, local: string): string[] | null {
  const top = path.resolve(root);
  if (top === '/') return null;
  const rel = path.relative(top, path.resolve(local));
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return rel === '' ? [] : rel.split(path.sep);
}

/**
 * The path to use for `local`, a path under the tree `root` (`--root`) as hostPath makes it
 * (`ROOT/var/log/wtmp`): every symbolic link on it resolved inside the tree, as a chroot would, so that
 * an image's `/var/log -> /data/log` means `ROOT/data/log`, never the auditing machine's `/data/log`.
 * The one function every reader of a host path under --root goes through (readdir, stat, lstat with
 * `last: false`; the openers apply it themselves given `root`). Root `/` (the live host), or a path not
 * under the root (a file named relative to the working directory): `local` unchanged.
 */
export function inTree(root: string, local: string, opts: TreeOptions = {}): string {
  const below = belowTree(root, local);
  return below === null ? local : resolveTreeParts(root, below, opts);
}

const realRoots = new Map<string, string>();

/** The root's own real path (the kernel's name for what is under it), remembered for the run. */
function realRoot(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) {
    real = fs.realpathSync(root);
    if (realRoots.size >= 64) realRoots.clear();
    realRoots.set(root, real);
  }
  return real;
}

/**
 * Whether the file open as `fd` is inside tree `root`: the kernel's own name for it (/proc/self/fd) is below
 * the root's real path. Without /proc: the path resolved again names the same file (a link swapped in and
 * left there shows; one swapped back in between does not).
 */
function openedInTree(fd: number, st: fs.Stats, root: string, again: () => string): boolean {
  let where: string;
  try {
    where = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    try {
      const now = fs.lstatSync(again());
      return now.dev === st.dev && now.ino === st.ino;
    } catch {
      return false;
    }
  }
  const top = realRoot(root);
  return where.startsWith(top === '/' ? '/' : `${top}/`);
}

/** What was opened is outside the --root tree: a link swapped in between resolving and opening (ECHANGED). */
function outsideTreeError(): NodeJS.ErrnoException {
  return Object.assign(
    new Error('changed while being opened: it led outside the --root tree (a symbolic link swapped in?)'),
    { code: 'ECHANGED' },
  );
}

/** Where an opener opens `file` under `opts.root`, or null when the kernel resolves it (no root, or not under it). */
function treeOpen(
  file: string,
  opts: OpenOptions,
): { path: string; root: string; again: () => string } | null {
  if (opts.root === undefined) return null;
  const below = belowTree(opts.root, file);
  if (below === null) return null;
  const how: TreeOptions = { last: opts.follow !== false, trust: opts.follow !== true };
  const again = () => resolveTreeParts(opts.root as string, below, how);
  return { path: again(), root: path.resolve(opts.root), again };
}

/**
 * The owners of the symbolic links met resolving `file` component by component (each hop's own components
 * too); null when a component is missing or links loop.
 */
function walk(file: string): number[] | null {
  const w = walkLinks('/', path.resolve(file).split('/'));
  return w.stopped === null ? w.owners : null;
}

/**
 * Owners of the links on each directory's path, remembered for the run (logs share a few directories, so
 * a file costs one lstat of its own name); a directory not found is not remembered.
 */
const dirs = new Map<string, number[]>();

function dirLinks(dir: string): number[] | null {
  const known = dirs.get(dir);
  if (known !== undefined) return known;
  const uids = walk(dir);
  if (uids === null) return null;
  if (dirs.size >= 4096) dirs.clear();
  dirs.set(dir, uids);
  return uids;
}

/**
 * The trust rule's decision for `file` (see Check): every symbolic link on its path, in its directories
 * (`/var/log/squid -> /root`) or at its name, must be trusted for the file it leads to. Sync (a few
 * lstat calls) for both openers.
 */
function linkCheckSync(file: string): Check {
  const abs = path.resolve(file);
  const inDirs = dirLinks(path.dirname(abs));
  if (inDirs === null) return null;
  let l: fs.Stats;
  try {
    l = fs.lstatSync(abs);
  } catch {
    return null;
  }
  let uids = inDirs;
  const link = l.isSymbolicLink();
  if (link) {
    const all = walk(abs);
    if (all === null) return 'dangling';
    uids = all;
  }
  if (uids.length === 0) return null;
  let target: fs.Stats;
  try {
    target = fs.statSync(abs);
  } catch {
    return link ? 'dangling' : null;
  }
  return verdict(uids, target, link);
}

function verdict(uids: number[], target: fs.Stats, follow: boolean): Expect {
  const bad = uids.find((u) => !linkTrusted(u, target.uid, EUID));
  if (bad !== undefined) throw untrustedLinkError(bad);
  return { dev: target.dev, ino: target.ino, uid: target.uid, follow };
}

/**
 * Whether the symbolic link at `file` may be followed by the trust rule: true for a trusted link, false
 * for an untrusted one, null when `file` is no link (or cannot be examined). For readers that look past a
 * link (a link's target's rotated siblings): only a trusted link's directory is looked into.
 */
export function followable(file: string): boolean | null {
  try {
    const c = linkCheckSync(file);
    return c === null || c === undefined || c === 'dangling' || !c.follow ? null : true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EUNTRUSTEDLINK') return false;
    throw err;
  }
}

function flagsOf(opts: OpenOptions, check: Check): number {
  if (opts.follow === false) return FLAGS | fs.constants.O_NOFOLLOW;
  if (opts.follow !== true && (check === null || (typeof check === 'object' && !check.follow)))
    return FLAGS | fs.constants.O_NOFOLLOW;
  return FLAGS;
}

/** Whether what was opened is the file a trusted link was found to point to. */
function same(check: Check, st: fs.Stats): boolean {
  if (check === null || check === undefined) return true;
  if (check === 'dangling') return false;
  return st.dev === check.dev && st.ino === check.ino && st.uid === check.uid;
}

/**
 * The trust rule's decision (lstat before open) races a swap: a plain file checked, then a link put in its
 * place, makes O_NOFOLLOW fail with ELOOP; a trusted link checked, then re-pointed, opens a file whose
 * fstat differs. Either is tried once more, then refused.
 */
const ATTEMPTS = 2;

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

/**
 * An open() that failed: a link swapped in after the check (ELOOP under O_NOFOLLOW) returns, to try again,
 * until the last attempt refuses it; anything else throws the system error (or `not a regular file`).
 */
function openFailed(
  path: string,
  err: unknown,
  rule: boolean,
  check: Check | undefined,
  attempt: number,
): void {
  if (rule && check !== 'dangling' && (check === null || !check?.follow) && errnoOf(err) === 'ELOOP') {
    if (attempt < ATTEMPTS) return;
    throw changedError();
  }
  throw socketError(path, err);
}

/**
 * An open() under --root that failed: ELOOP at a path resolved to no link at its end (one swapped in since)
 * returns, to try again, until the last attempt refuses it; anything else throws the system error.
 */
function treeOpenFailed(at: string, err: unknown, opts: OpenOptions, attempt: number): void {
  if (opts.follow !== false && errnoOf(err) === 'ELOOP') {
    if (attempt < ATTEMPTS) return;
    throw outsideTreeError();
  }
  throw socketError(at, err);
}

/** The stat of an opened fd, which must be a regular file; else the fd is closed and `not a regular file` thrown. */
function regularStatSync(fd: number): fs.Stats {
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notRegularError(stat);
    return stat;
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** {@link regularStatSync}, async; `dir`: a directory is what was asked for (openDirectory). */
async function regularStat(handle: FileHandle, dir: boolean): Promise<fs.Stats> {
  try {
    const stat = await handle.stat({ bigint: false });
    if (!dir && !stat.isFile()) throw notRegularError(stat);
    return stat;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Opens a path under --root where {@link inTree} resolved it (no link left on it, so the last component
 * is opened with O_NOFOLLOW), then checks that what was opened is inside the tree: the tree may change
 * between the resolution and the open (Node has no openat2 RESOLVE_IN_ROOT), and a directory swapped for
 * a link in between is caught there, tried once more, then refused (ECHANGED).
 */
function openInTreeSync(tree: NonNullable<ReturnType<typeof treeOpen>>, opts: OpenOptions) {
  for (let attempt = 1; ; attempt++) {
    const at = attempt === 1 ? tree.path : tree.again();
    let fd: number;
    try {
      fd = fs.openSync(at, FLAGS | fs.constants.O_NOFOLLOW);
    } catch (err) {
      treeOpenFailed(at, err, opts, attempt);
      continue;
    }
    const stat = regularStatSync(fd);
    if (openedInTree(fd, stat, tree.root, tree.again)) return { fd, stat };
    fs.closeSync(fd);
    if (attempt >= ATTEMPTS) throw outsideTreeError();
  }
}

/** {@link openInTreeSync}, async. */
async function openInTree(tree: NonNullable<ReturnType<typeof treeOpen>>, opts: OpenOptions) {
  for (let attempt = 1; ; attempt++) {
    const at = attempt === 1 ? tree.path : tree.again();
    let handle: FileHandle;
    try {
      handle = await open(at, FLAGS | fs.constants.O_NOFOLLOW);
    } catch (err) {
      treeOpenFailed(at, err, opts, attempt);
      continue;
    }
    const stat = await regularStat(handle, false);
    if (openedInTree(handle.fd, stat, tree.root, tree.again)) return { handle, stat };
    await handle.close();
    if (attempt >= ATTEMPTS) throw outsideTreeError();
  }
}

/** Opens a regular file for reading, never blocking; throws the system error or `not a regular file`. */
export function openRegularSync(path: string, opts: OpenOptions = {}): { fd: number; stat: fs.Stats } {
  const tree = treeOpen(path, opts);
  if (tree !== null) return openInTreeSync(tree, opts);
  const rule = opts.follow === undefined || opts.follow === 'trusted';
  for (let attempt = 1; ; attempt++) {
    const check = rule ? linkCheckSync(path) : undefined;
    let fd: number;
    try {
      fd = fs.openSync(path, flagsOf(opts, check));
    } catch (err) {
      openFailed(path, err, rule, check, attempt);
      continue;
    }
    const stat = regularStatSync(fd);
    if (same(check, stat)) return { fd, stat };
    fs.closeSync(fd);
    if (attempt >= ATTEMPTS) throw changedError();
  }
}

/** Reads a whole regular file (as openRegularSync refuses others). */
export function readRegularFileSync(path: string, encoding?: undefined, opts?: OpenOptions): Buffer;
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
export function openRegular(
  path: string,
  opts: OpenOptions = {},
): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  const tree = treeOpen(path, opts);
  if (tree !== null) return openInTree(tree, opts);
  return openChecked(path, opts, false);
}

/**
 * Opens a directory (O_DIRECTORY) under the same trust rule for the links on its path, for work done through
 * its descriptor (src/probes/mailfs.ts): the handle stays the directory that was checked whatever is renamed
 * or swapped at its path afterwards. Throws the system error (`not a directory`).
 */
export function openDirectory(
  path: string,
  opts: OpenOptions = {},
): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  return openChecked(path, opts, true);
}

/**
 * O_NOFOLLOW with O_DIRECTORY on a symbolic link fails with ENOTDIR, not ELOOP: said as ELOOP when the path
 * is a link, so that a link swapped in after the check is tried again, then refused, as for a file.
 */
function dirLinkAsLoop(path: string, err: unknown, flags: number): unknown {
  if (errnoOf(err) !== 'ENOTDIR' || (flags & fs.constants.O_NOFOLLOW) === 0) return err;
  try {
    return fs.lstatSync(path).isSymbolicLink() ? Object.assign(err as Error, { code: 'ELOOP' }) : err;
  } catch {
    return err;
  }
}

async function openChecked(
  path: string,
  opts: OpenOptions,
  dir: boolean,
): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  const rule = opts.follow === undefined || opts.follow === 'trusted';
  for (let attempt = 1; ; attempt++) {
    const check = rule ? linkCheckSync(path) : undefined;
    const flags = flagsOf(opts, check) | (dir ? fs.constants.O_DIRECTORY : 0);
    let handle: FileHandle;
    try {
      handle = await open(path, flags);
    } catch (err) {
      openFailed(path, dir ? dirLinkAsLoop(path, err, flags) : err, rule, check, attempt);
      continue;
    }
    const stat = await regularStat(handle, dir);
    if (same(check, stat)) return { handle, stat };
    await handle.close();
    if (attempt >= ATTEMPTS) throw changedError();
  }
}

/** Reads a whole regular file (async; as openRegular refuses others). */
export async function readRegularFile(
  path: string,
  encoding?: undefined,
  opts?: OpenOptions,
): Promise<Buffer>;
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
