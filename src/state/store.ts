import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TenkenError, describe, errnoCode } from '../core/errors.ts';
import { readRegularFileSync } from '../core/open.ts';
import { pidAlive, writeFileAtomic } from './atomic.ts';

/** The default state directory: /var/lib/tenken as root, else $XDG_STATE_HOME/tenken (~/.local/state/tenken). */
export function defaultStateDir(
  env: Readonly<Record<string, string | undefined>>,
  uid = process.getuid?.() ?? 0,
): string {
  if (uid === 0) return '/var/lib/tenken';
  if (env.XDG_STATE_HOME) return path.join(env.XDG_STATE_HOME, 'tenken');
  let home = env.HOME;
  if (!home) {
    try {
      home = os.homedir();
    } catch {
      // Node says "uv_os_homedir returned ENOENT": no HOME and no passwd entry (a uid from setpriv, a container).
      throw new TenkenError(
        `Cannot choose a state directory: HOME is not set and uid ${uid} has no home directory; give --state DIR`,
      );
    }
  }
  return path.join(home, '.local', 'state', 'tenken');
}

/**
 * The state directory for one inspected tree: the base itself for `/`, a subfolder per --root otherwise,
 * so the demo tree's offsets and baseline never mix with the live host's.
 */
export function stateDirFor(base: string, root: string): string {
  if (root === '/') return base;
  const id = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return path.join(base, 'roots', `${path.basename(root).replace(/[^A-Za-z0-9._-]/g, '_')}-${id}`);
}

/**
 * The directories a state directory consists of, outermost first: the base alone, or for a --root tree (as
 * stateDirFor makes it: BASE/roots/NAME-HASH) the base, its `roots` and the per-root directory.
 */
export function stateDirChain(dir: string): string[] {
  const parent = path.dirname(dir);
  if (path.basename(parent) === 'roots' && /-[0-9a-f]{12}$/.test(path.basename(dir)))
    return [path.dirname(parent), parent, dir];
  return [dir];
}

/**
 * A state directory that cannot be made (a user without a home: `nobody`'s is /nonexistent; a read-only
 * /var): the error says the way out, as the one for a missing HOME does.
 */
function cannotCreate(dir: string, err: unknown): TenkenError {
  return new TenkenError(
    `${describe(`Cannot create state directory ${dir}`, err)}; choose another with --state DIR`,
  );
}

/**
 * Creates the state directory (mode 0700) one level at a time, refusing a symbolic link at any level tenken
 * owns (the base, `roots`, the per-root directory), so state is never written through a planted link.
 */
function ensureDir(dir: string): void {
  const chain = stateDirChain(dir);
  const outer = path.dirname(chain[0] as string);
  try {
    mkdirSync(outer, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw cannotCreate(dir, err);
  }
  for (const d of chain) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw cannotCreate(d, err);
    }
    let st: Stats;
    try {
      st = lstatSync(d);
    } catch (err) {
      throw cannotCreate(d, err);
    }
    if (st.isSymbolicLink()) throw new TenkenError(`Cannot use state directory ${d}: it is a symbolic link`);
    if (!st.isDirectory()) throw new TenkenError(`Cannot use state directory ${d}: not a directory`);
    const unsafe = unsafeStateDir(st, process.geteuid?.() ?? 0, userName);
    if (unsafe) throw new TenkenError(`Cannot use state directory ${d}: ${unsafe}`);
  }
}

/** This machine's name for a uid (/etc/passwd), if it has one. */
function userName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid) && f[0]) return f[0];
    }
  } catch {
    // No passwd to read: the uid alone.
  }
  return undefined;
}

/**
 * Why a state directory (the base or one tenken made in it) is not safe to keep state in, or null: as
 * sshd's StrictModes, it must be owned by the running user or root (root's runs: by root only), and not
 * writable by its group or others unless sticky. Else another user could put a `roots` of its own in it,
 * or replace the state files, and choose the cursors (which log lines are never read). Pure.
 */
export function unsafeStateDir(
  st: Pick<Stats, 'uid' | 'mode'>,
  euid: number,
  nameOf: (uid: number) => string | undefined = () => undefined,
): string | null {
  const why: string[] = [];
  if (st.uid !== euid && st.uid !== 0) {
    const name = nameOf(st.uid);
    why.push(name ? `owned by ${name} (uid ${st.uid})` : `owned by uid ${st.uid}`);
  }
  const sticky = (st.mode & 0o1000) !== 0;
  if (!sticky && (st.mode & 0o002) !== 0) why.push('writable by others');
  else if (!sticky && (st.mode & 0o020) !== 0) why.push('writable by its group');
  if (why.length === 0) return null;
  const me = euid === 0 ? 'root' : (nameOf(euid) ?? `uid ${euid}`);
  return `${why.join(' and ')}; another user could choose what tenken remembers (make it ${me}'s and not writable by others, or give another --state)`;
}

/** A state file that exists but is not valid JSON: reported, then treated as absent. */
export interface StateProblem {
  file: string;
  reason: string;
  /** The file could not be read (not: was malformed), so this run leaves it as it is instead of replacing it. */
  kept?: true;
}

/**
 * Per-kind JSON state (log offsets, login history, ...) in one directory. Reads are lenient (a corrupt file
 * is reported and ignored); writes are atomic and happen only through `commit`, which the runner calls after
 * the report was delivered.
 */
export class StateStore {
  readonly problems: StateProblem[] = [];
  /** Kinds whose file exists but could not be read: never replaced by this run (it is another user's, ...). */
  private readonly unreadable = new Set<string>();
  constructor(readonly dir: string) {}

  private file(kind: string): string {
    if (!/^[a-z][a-z0-9-]*$/.test(kind)) throw new Error(`bad state kind ${kind}`);
    return path.join(this.dir, `${kind}.json`);
  }

  /** The committed state of one kind, or undefined when there is none (or it was unreadable). */
  read(kind: string): unknown {
    const file = this.file(kind);
    try {
      // Opened without following a link and without blocking: a FIFO here hung every run (holding the lock).
      return JSON.parse(readRegularFileSync(file, 'utf8', { follow: false })) as unknown;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      if (errnoCode(err) === 'ELOOP') {
        this.problems.push({
          file,
          reason: "is a symbolic link (not followed; this run's state replaces the link)",
        });
        return undefined;
      }
      if (err instanceof SyntaxError) {
        this.problems.push({ file, reason: 'not valid JSON (ignored)' });
        return undefined;
      }
      const code = errnoCode(err);
      if (code === 'EACCES' || code === 'EPERM') {
        // Root's 0600 state read by a user's run: replacing it would lose root's cursors and history.
        this.unreadable.add(kind);
        this.problems.push({ file, reason: describe('unreadable', err), kept: true });
        return undefined;
      }
      this.problems.push({ file, reason: describe('unreadable', err) });
      return undefined;
    }
  }

  /** Notes that one kind's saved state was set aside (the reason is reported with the file's path). */
  reject(kind: string, reason: string): void {
    this.problems.push({ file: this.file(kind), reason });
  }

  /** Atomically replaces one kind's state (not a file this run could not read: that one is left alone). */
  commit(kind: string, value: unknown): void {
    if (this.unreadable.has(kind)) return;
    ensureDir(this.dir);
    writeFileAtomic(this.file(kind), `${JSON.stringify(value)}\n`, 0o600, { replaceLink: true });
  }

  /**
   * Takes the run lock, waiting up to `waitMs` while another live run holds it (cron's hourly `check` and the
   * monthly `logins mail` start in the same minute: one of them exited 3, the month's mail or the hour's
   * check lost). Polls once a second; an error other than "held" is thrown at once.
   */
  async lockWait(
    waitMs: number,
    opts: {
      /** Said once when the wait begins (a wrapper's own timeout would else kill a silent run). */
      onWait?: (message: string) => void;
      sleep?: (ms: number) => Promise<unknown>;
    } = {},
  ): Promise<() => void> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const deadline = Date.now() + waitMs;
    let said = false;
    for (;;) {
      try {
        return this.lock();
      } catch (err) {
        if (!(err instanceof LockHeldError) || Date.now() >= deadline) throw err;
        if (!said)
          opts.onWait?.(`${err.message}: waiting up to ${Math.ceil(waitMs / 1000)} s for it to finish`);
        said = true;
      }
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * Takes the run lock (`lock` file created with O_EXCL, holding `PID START BOOT`: our pid, our start time in
   * clock ticks since boot and the boot id, so a pid reused by another process after a crash or a reboot does
   * not hold the lock). A lock whose process is gone is stale and taken over. Returns the release function.
   * Two runs never interleave their reads and commits.
   * On a full disk the lock file is created but its pid cannot be written: the run still holds it (the
   * report matters most then), and another run takes an empty lock for held until it is an hour old.
   */
  lock(): () => void {
    ensureDir(this.dir);
    const file = path.join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(
          file,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
          0o600,
        );
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw new TenkenError(describe(`Cannot take lock ${file}`, err));
        this.checkHeld(file);
        try {
          unlinkSync(file);
        } catch {
          // someone else removed it first
        }
        continue;
      }
      const ino = fstatSync(fd).ino;
      try {
        writeSync(fd, `${lockLine(process.pid)}\n`);
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'ENOSPC' && code !== 'EDQUOT') {
          closeSync(fd);
          unlinkSync(file);
          throw new TenkenError(describe(`Cannot take lock ${file}`, err));
        }
      }
      closeSync(fd);
      return () => {
        try {
          // Ours by inode, not by content: on a full disk it holds no pid.
          if (lstatSync(file).ino === ino) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    }
    throw new TenkenError(`Cannot take lock ${file}: it keeps reappearing`);
  }

  /** Throws when the existing lock `file` belongs to a live run; returns when it is stale. */
  private checkHeld(file: string): void {
    let text: string;
    let mtimeMs: number;
    let uid = -1;
    try {
      const st = lstatSync(file);
      uid = st.uid;
      // No run makes a link (the lock is created O_EXCL): stale, and unlinking it removes only the link.
      if (st.isSymbolicLink()) return;
      // A directory (or FIFO, ...) is no lock any run wrote, and unlink cannot remove it: say so, not "stale".
      if (!st.isFile()) throw new TenkenError(`Cannot take lock ${file}: not a regular file (remove it)`);
      // Not following a link nor waiting on a FIFO that replaced the file since the lstat.
      text = readRegularFileSync(file, 'utf8', { follow: false }).trim();
      mtimeMs = lstatSync(file).mtimeMs;
    } catch (err) {
      if (err instanceof TenkenError) throw err;
      const code = errnoCode(err);
      if (code === 'ENOENT') return; // vanished: its run ended
      if (code === 'ELOOP') return; // replaced by a link since the lstat: no run's lock
      if (code === 'ENOTREG' || code === 'EISDIR')
        throw new TenkenError(`Cannot take lock ${file}: not a regular file (remove it)`);
      // Unreadable (root's 0600 lock, read by a user's run): it may well be held. Taking it as stale let a
      // user's run delete a running root run's lock and both commit state.
      throw new TenkenError(
        `${describe(`Cannot take lock ${file}`, err)} (taken by a run of uid ${uid}; this run cannot tell whether it still runs)`,
      );
    }
    const pid = lockHolder(text, mtimeMs);
    if (pid !== undefined)
      throw new LockHeldError(`Another tenken run holds ${file}: pid ${pid} is still running`);
    if (text === '' && Date.now() - mtimeMs < EMPTY_LOCK_MS)
      throw new TenkenError(
        `Another tenken run holds ${file}: taken at ${new Date(mtimeMs).toISOString()} without a pid (a full disk?)`,
      );
  }
}

/** The run lock is held by a live run (the one error `lockWait` waits out). */
export class LockHeldError extends TenkenError {}

/** How long a run waits for another run's lock before giving up (exit 3), by default. */
export const LOCK_WAIT_SECONDS = 300;

/** Parses `--wait SECONDS` (0 = give up at once, as before). */
export function waitSeconds(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw new TenkenError(`Invalid --wait ${text}: give whole seconds (0 to give up at once)`);
  return n;
}

/** How long a lock without a pid (its writer ran out of disk space) counts as held. */
const EMPTY_LOCK_MS = 3_600_000;

/** How long a lock in the old format (a bare pid) can be held by the process of that pid. */
const OLD_LOCK_MS = 24 * 3_600_000;

/** The boot id of the running kernel, or undefined without /proc. */
export function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Fields 3 on of /proc/PID/stat, or undefined when the process is gone (or there is no /proc). */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or undefined when it is gone. */
export function processStart(pid: number): string | undefined {
  const start = statFields(pid)?.[22 - 3];
  return start && /^\d+$/.test(start) ? start : undefined;
}

/**
 * Whether the process has exited and only waits for its parent to collect it (state Z or X): a run killed by
 * a runner that has not reaped it yet (or a container's pid 1 that never does) holds no lock, though signal 0
 * still finds it.
 */
function processDead(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state === 'Z' || state === 'X';
}

/** The lock's content for a process: `PID START BOOT`, or the bare pid where /proc does not tell more. */
export function lockLine(pid: number): string {
  const start = processStart(pid);
  const boot = bootId();
  return start && boot ? `${pid} ${start} ${boot}` : String(pid);
}

/**
 * The pid of the run that holds a lock with this content, or undefined when the lock is stale. `PID START
 * BOOT` is held only by the process of that pid started at that tick, in this boot. A bare pid (an older
 * tenken, or no /proc) is held by that pid only if it is younger than a day and the process looks like
 * tenken (node or tenken on its command line; unreadable counts as tenken).
 */
export function lockHolder(text: string, mtimeMs: number, now = Date.now()): number | undefined {
  const m = /^(\d+)(?: (\d+) (\S+))?$/.exec(text.trim());
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid < 1 || processDead(pid)) return undefined;
  if (m[2] !== undefined) {
    const boot = bootId();
    const start = processStart(pid);
    if (boot === undefined || start === undefined) return pidAlive(pid) ? pid : undefined;
    return m[3] === boot && m[2] === start ? pid : undefined;
  }
  if (now - mtimeMs >= OLD_LOCK_MS || !pidAlive(pid)) return undefined;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return pid;
  }
  return /node|tenken/i.test(cmdline) ? pid : undefined;
}
