/**
 * Processes from /proc, read by hand: the npm process listers (ps-list, pidusage, systeminformation) shell
 * out to `ps` or read the live /proc only, so none can inspect a tree under `--root` (the demo server, a
 * fixture, a mounted image), and none report what matters here: the exe link with its " (deleted)" mark,
 * the effective user, the start time from btime + starttime. The parsers are pure (text/bytes in, data out);
 * the reader at the bottom is the only part that touches the file system.
 */
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { readRegularFile } from '../core/open.ts';
import path from 'node:path';
import { errnoCode } from '../core/errors.ts';
import { type Host, hostPath } from '../core/host.ts';
import { inTree, resolveInRoot } from '../core/inroot.ts';
import { passwdEntries } from '../core/passwd.ts';
import { loginDefsUidMin, systemReason } from '../logins/audit.ts';

/** Clock ticks per second for /proc times (USER_HZ): 100 on every Linux ABI in use. */
export const CLOCK_TICKS = 100;

/** PF_KTHREAD in /proc/PID/stat flags: the task is a kernel thread (no user space, no exe, no cmdline). */
const PF_KTHREAD = 0x00200000;

/** The fields of /proc/PID/stat that tenken uses. */
export interface ProcStat {
  pid: number;
  /** Command name (at most 15 bytes), as between the parentheses. */
  comm: string;
  /** One-letter state: R S D Z T t X I ... */
  state: string;
  ppid: number;
  flags: number;
  numThreads: number;
  /** Start time in clock ticks after boot; null when the field is not a number (a damaged or forged file). */
  starttime: number | null;
  /** Resident set size in pages. */
  rssPages: number;
}

/** A decimal field of a /proc file as a safe integer (`-` allowed with `signed`), else null. */
function decimal(text: string | undefined, signed = false): number | null {
  if (text === undefined || !(signed ? /^-?\d{1,16}$/ : /^\d{1,16}$/).test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Parses /proc/PID/stat. The command name may hold spaces and parentheses, so it runs from the first `(` to
 * the LAST `)`; the numbered fields follow (proc(5): state is field 3, starttime field 22, rss field 24).
 * Returns null when the text is not a stat line (no pid, state or 22 fields). A numeric field that is not a
 * number (a damaged file, a forged tree) is 0, the start time null: one such process is shown without a
 * start time instead of failing the whole check.
 */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = decimal(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // ppid is -1..., flags and counts are unsigned; the kernel prints rss signed.
  const field = (n: number, signed = false): number => decimal(rest[n - 3], signed) ?? 0;
  const state = rest[0];
  if (pid === null || !state || rest.length < 22) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: field(4, true),
    flags: field(9),
    numThreads: field(20, true),
    starttime: decimal(rest[22 - 3]),
    rssPages: Math.max(0, field(24, true)),
  };
}

/** The fields of /proc/PID/status that tenken uses. */
export interface ProcStatus {
  name: string;
  /** One-letter state (`S` of `S (sleeping)`). */
  state: string;
  ppid: number;
  /** Real, effective, saved and filesystem uids. */
  uids: number[];
  /** VmRSS in KiB; null for kernel threads and zombies, which have no memory map. */
  rssKb: number | null;
}

/** Undoes the escaping /proc/PID/status applies to Name (`\n` → newline, `\\` → backslash). */
function unescapeName(s: string): string {
  return s.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * Parses /proc/PID/status (`Key:\tvalue` lines); null when it has no Name line or no Uid line of numbers.
 * A PPid or VmRSS that is not a number is 0 or null.
 */
export function parseStatus(text: string): ProcStatus | null {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1).replace(/^[\t ]+/, ''));
  }
  const name = map.get('Name');
  const uids = (map.get('Uid') ?? '')
    .trim()
    .split(/\s+/)
    .map((u) => decimal(u));
  if (name === undefined || uids.length === 0 || uids.some((u) => u === null)) return null;
  const rss = /^(\d{1,16}) kB\s*$/.exec(map.get('VmRSS') ?? '');
  return {
    name: unescapeName(name),
    state: (map.get('State') ?? '?').charAt(0),
    ppid: decimal(map.get('PPid')?.trim()) ?? 0,
    uids: uids as number[],
    rssKb: rss ? Number(rss[1]) : null,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Splits /proc/PID/cmdline (arguments separated and ended by NUL) into arguments. Trailing empty ones
 * are dropped: programs that rewrite their title (nginx, sshd, postfix) pad it with NULs. Empty for
 * kernel threads and zombies.
 */
export function parseCmdline(bytes: Uint8Array): string[] {
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start || i < bytes.length) args.push(utf8.decode(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  while (args.length > 0 && args[args.length - 1] === '') args.pop();
  return args;
}

/** Parses /proc/PID/comm: the name without its newline. */
export function parseComm(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Where a process's program is, from the /proc/PID/exe link target. */
export interface ExeLink {
  path: string;
  /** The file was deleted (or replaced by an upgrade) after the process started it. */
  deleted: boolean;
  /** Deleted, and a regular file is at its path again: replaced on disk (a package upgrade), not removed. */
  replaced?: boolean;
}

const DELETED = ' (deleted)';

/** Parses an exe link target: the kernel appends " (deleted)" when the file is gone. */
export function parseExeTarget(text: string): ExeLink {
  const t = text.replace(/\n$/, '');
  return t.endsWith(DELETED)
    ? { path: t.slice(0, -DELETED.length), deleted: true }
    : { path: t, deleted: false };
}

/** Parses /proc/PID/loginuid: the audit login uid, or null when unset (4294967295, i.e. (uid_t)-1). */
export function parseLoginuid(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 0 && n < 0xffffffff ? n : null;
}

/** Parses the `btime` line (boot time, seconds since the epoch) of /proc/stat; null when absent or not a number. */
export function parseBtime(text: string): number | null {
  const m = /^btime[ \t]+(\d+)[ \t]*$/m.exec(text);
  return m ? decimal(m[1]) : null;
}

/**
 * A process's start time: boot time plus its starttime ticks; null when that is no date (a starttime or
 * btime of a damaged /proc beyond the year 275760 made an Invalid Date, and toISOString threw).
 */
export function startTimeOf(starttimeTicks: number, btime: number, clockTicks = CLOCK_TICKS): Date | null {
  const d = new Date((btime + starttimeTicks / clockTicks) * 1000);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Parses /etc/passwd into uid → user name (the first name wins for a shared uid, as getpwuid does). */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const e of passwdEntries(text)) if (!users.has(e.uid)) users.set(e.uid, e.name);
  return users;
}

/** One process, as tenken reports it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Name as in /proc/PID/comm (what `ps -o comm` shows and what profiles list). */
  name: string;
  /** Full command line, one element per argument; empty for kernel threads and zombies. */
  cmdline: string[];
  /** Effective uid and its name (the uid as a string when /etc/passwd does not know it). */
  uid: number;
  user: string;
  state: string;
  /** ISO start time; null when /proc/stat has no btime or the process's stat no usable starttime. */
  start: string | null;
  /** Resident memory in KiB (0 for kernel threads). */
  rssKb: number;
  /** The program file; null when unknown (kernel thread, or not readable without root). */
  exe: ExeLink | null;
  kernelThread: boolean;
  /** Audit login uid (who logged in to start this session), null when unset. */
  loginuid: number | null;
}

/** The raw texts of one /proc/PID directory, as read. */
export interface ProcTexts {
  stat: string;
  status: string;
  cmdline: Uint8Array;
  comm: string | null;
  exe: string | null;
  loginuid: string | null;
}

/** Builds a ProcessInfo from the texts of one /proc/PID; null when stat or status is unreadable text. */
export function processFromTexts(
  t: ProcTexts,
  ctx: { users: ReadonlyMap<number, string>; btime: number | null; clockTicks?: number; pageKb?: number },
): ProcessInfo | null {
  const stat = parseStat(t.stat);
  const status = parseStatus(t.status);
  if (!stat || !status) return null;
  const uid = status.uids[1] ?? status.uids[0] ?? -1;
  const kernelThread = (stat.flags & PF_KTHREAD) !== 0;
  return {
    pid: stat.pid,
    ppid: stat.ppid,
    name: t.comm === null ? stat.comm : parseComm(t.comm),
    cmdline: parseCmdline(t.cmdline),
    uid,
    user: ctx.users.get(uid) ?? String(uid),
    state: stat.state,
    start:
      ctx.btime === null || stat.starttime === null
        ? null
        : (startTimeOf(stat.starttime, ctx.btime, ctx.clockTicks)?.toISOString() ?? null),
    rssKb: status.rssKb ?? stat.rssPages * (ctx.pageKb ?? 4),
    exe: t.exe === null || kernelThread ? null : parseExeTarget(t.exe),
    kernelThread,
    loginuid: t.loginuid === null ? null : parseLoginuid(t.loginuid),
  };
}

/** How a /proc entry disappeared under us: the process exited between readdir and read. */
export function isVanished(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ESRCH';
}

/** A /proc entry that is no file: a FIFO, socket, device or directory in a tree under --root (never waited on). */
export function isNotFile(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOTREG' || code === 'EISDIR';
}

/**
 * Reads a link in a /proc tree. On the live host these are symlinks; a fixture or demo tree may store the
 * target as a plain file's text instead (EINVAL from readlink), since a checkout cannot hold a real /proc.
 * Under `root` (--root), the directories on its path resolve inside the tree (the link itself is data).
 */
export async function readProcLink(file: string, root = '/'): Promise<string> {
  try {
    return await readlink(inTree(root, file, { last: false }));
  } catch (err) {
    if (errnoCode(err) !== 'EINVAL') throw err;
    return (await readRegularFile(file, 'utf8', { root })).replace(/\n$/, '');
  }
}

/** lstat of a host path, its directories' links resolved inside the root (the name itself not followed). */
function lstatInRoot(host: Pick<Host, 'root'>, p: string) {
  return Promise.resolve(hostPath(host, p)).then((local) => lstat(inTree(host.root, local, { last: false })));
}

/** Reads an optional /proc file: null when it is absent or unreadable (a kernel thread has no exe). */
async function optional<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch {
    return null;
  }
}

/** What the reader needs besides the tree: user names and boot time, read once per run. */
export interface ProcEnv {
  users: ReadonlyMap<number, string>;
  btime: number | null;
  /** Names of the accounts nobody logs in as (shell nologin or false; root excluded): daemons' own users. */
  systemUsers: ReadonlySet<string>;
  /** People's accounts (peopleOf), uid → name; absent in an environment built before they were known. */
  people?: ReadonlyMap<number, string>;
}

/** UID_MAX of an /etc/login.defs text, or undefined. */
export function loginDefsUidMax(text: string): number | undefined {
  const m = /^\s*UID_MAX\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * People's accounts, uid → name: not root, a uid from /etc/login.defs UID_MIN (1000 when it says none) to
 * UID_MAX (60000), a login shell; an account below UID_MIN with a real shell and a home under /home counts
 * too, as the logins check judges it (systemReason: the runbook era's Red Hat started users at 500).
 */
export function peopleOf(passwdText: string, loginDefs: string | null): Map<number, string> {
  const uidMin = (loginDefs === null ? undefined : loginDefsUidMin(loginDefs)) ?? 1000;
  const uidMax = (loginDefs === null ? undefined : loginDefsUidMax(loginDefs)) ?? 60000;
  const out = new Map<number, string>();
  for (const e of passwdEntries(passwdText)) {
    if (e.uid === 0 || e.uid > uidMax || out.has(e.uid)) continue;
    if (systemReason({ uid: e.uid, home: e.home, shell: e.shell }, uidMin) === null) out.set(e.uid, e.name);
  }
  return out;
}

/** Names of the accounts whose login shell refuses logins (`nologin`, `false`), root aside. */
export function systemUsersOf(passwdText: string): Set<string> {
  const out = new Set<string>();
  for (const e of passwdEntries(passwdText))
    if (e.uid !== 0 && /(?:^|\/)(?:nologin|false)$/.test(e.shell)) out.add(e.name);
  return out;
}

/**
 * Reads /etc/passwd, /etc/login.defs and /proc/stat's btime under the host root (missing files give
 * empty/null); the config files' links resolve inside the root (resolveInRoot).
 */
export async function readProcEnv(host: Pick<Host, 'root'>): Promise<ProcEnv> {
  const passwd = await optional(() => readRegularFile(resolveInRoot(host, '/etc/passwd'), 'utf8'));
  const defs = await optional(() => readRegularFile(resolveInRoot(host, '/etc/login.defs'), 'utf8'));
  const stat = await optional(() =>
    readRegularFile(hostPath(host, '/proc/stat'), 'utf8', { root: host.root }),
  );
  return {
    users: parsePasswd(passwd ?? ''),
    btime: stat === null ? null : parseBtime(stat),
    systemUsers: systemUsersOf(passwd ?? ''),
    people: peopleOf(passwd ?? '', defs),
  };
}

/**
 * Reads one process under the host root; null when it vanished mid-read (ENOENT/ESRCH on stat, status or
 * cmdline) or its files are not process files. Other errors (EACCES on stat) propagate: they are not races.
 */
export async function readProcess(
  host: Pick<Host, 'root'>,
  pid: number,
  env: ProcEnv,
  counts?: { hidden: number; exeUnreadable?: number },
): Promise<ProcessInfo | null> {
  const dir = hostPath(host, `/proc/${pid}`);
  // Under --root, the tree's /proc: its links resolve inside the tree (src/core/open.ts).
  const inRoot = { root: host.root };
  try {
    const stat = await readRegularFile(path.join(dir, 'stat'), 'utf8', inRoot);
    const status = await readRegularFile(path.join(dir, 'status'), 'utf8', inRoot);
    const cmdline = new Uint8Array(await readRegularFile(path.join(dir, 'cmdline'), undefined, inRoot));
    const comm = await optional(() => readRegularFile(path.join(dir, 'comm'), 'utf8', inRoot));
    // Another user's program cannot be read without root (EACCES): counted, so that the report can say that
    // its deleted, memfd or temp-dir binary could not be looked for. (A kernel thread has none: ENOENT.)
    const exe = await readProcLink(path.join(dir, 'exe'), host.root).catch((err: unknown) => {
      if (counts && isHidden(err)) counts.exeUnreadable = (counts.exeUnreadable ?? 0) + 1;
      return null;
    });
    const loginuid = await optional(() => readRegularFile(path.join(dir, 'loginuid'), 'utf8', inRoot));
    return processFromTexts({ stat, status, cmdline, comm, exe, loginuid }, env);
  } catch (err) {
    // Gone, or (in a tree under --root) a FIFO or directory where a file belongs: no process file.
    if (isVanished(err) || isNotFile(err)) return null;
    // /proc mounted hidepid=1 (or 2): another user's process is listed but its files are not readable.
    if (isHidden(err)) {
      if (counts) counts.hidden++;
      return null;
    }
    throw err;
  }
}

function isHidden(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'EACCES' || code === 'EPERM';
}

/** The numeric entries of <root>/proc, ascending; [] when there is no /proc (a tree without one). */
export async function listPids(host: Pick<Host, 'root'>): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(resolveInRoot(host, '/proc'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => /^[0-9]+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Every process under the host root's /proc, skipping those that exit while being read and zombies (state
 * Z or X): a daemon that has exited but was not yet reaped runs no more (a stopped vsftpd's zombie read as
 * "running, but nothing listens").
 */
export async function readProcesses(host: Pick<Host, 'root'>, env?: ProcEnv): Promise<ProcessInfo[]> {
  return (await readProcessesCounted(host, env)).processes;
}

/**
 * readProcesses, and how many processes this user may not read (/proc mounted `hidepid`): they are left out
 * and counted, not an error (an EPERM on another user's stat ended `tenken procs` as an internal error);
 * and how many processes' programs (`exe`) it may not read (another user's, without root).
 */
export async function readProcessesCounted(
  host: Pick<Host, 'root'>,
  env?: ProcEnv,
): Promise<{ processes: ProcessInfo[]; hidden: number; exeUnreadable: number }> {
  const e = env ?? (await readProcEnv(host));
  const out: ProcessInfo[] = [];
  const counts = { hidden: 0, exeUnreadable: 0 };
  const files = new Map<string, boolean>();
  for (const pid of await listPids(host)) {
    const p = await readProcess(host, pid, e, counts);
    if (!p || p.state === 'Z' || p.state === 'X') continue;
    if (p.exe?.deleted && !p.exe.path.startsWith('/memfd:')) {
      // dpkg and rpm install a new binary beside the old one and rename it over: the old is "deleted".
      let there = files.get(p.exe.path);
      if (there === undefined) {
        there = await lstatInRoot(host, p.exe.path).then(
          (st) => st.isFile(),
          () => false,
        );
        files.set(p.exe.path, there);
      }
      if (there) p.exe.replaced = true;
    }
    out.push(p);
  }
  return { processes: out, hidden: counts.hidden, exeUnreadable: counts.exeUnreadable };
}

/** Owner and permission bits of a process's program file, as this run could examine it. */
export interface ProgramFile {
  /** Owner's uid. */
  uid: number;
  /** st_mode: the file type and permission bits. */
  mode: number;
}

/**
 * The program files of the processes whose program path `wanted` picks, by pid: owner and mode, for
 * judging whether only root could have put them there. On the host itself (root `/`) the file examined is
 * the one the process runs, through /proc/PID/exe (a deleted one, or another file mounted over the path in
 * the process's own mount namespace, is not the file now at the path); else, or when that link cannot be
 * followed, the file at the path under the root (lstat: a symbolic link there is no program). A program
 * that cannot be examined either way (not in a --root tree) is left out of the map.
 */
export async function readProgramFiles(
  host: Pick<Host, 'root'>,
  processes: readonly ProcessInfo[],
  wanted: (exePath: string) => boolean,
): Promise<Map<number, ProgramFile>> {
  const out = new Map<number, ProgramFile>();
  for (const p of processes) {
    if (p.exe === null || !wanted(p.exe.path)) continue;
    const running =
      host.root === '/' ? await stat(hostPath(host, `/proc/${p.pid}/exe`)).catch(() => null) : null;
    const st = running ?? (await lstatInRoot(host, p.exe.path).catch(() => null));
    if (st) out.set(p.pid, { uid: st.uid, mode: st.mode });
  }
  return out;
}

/** Where a program lives that a healthy daemon never runs from, for `suspiciousExe`. */
export const DEFAULT_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

/** Why a process's program is suspicious. */
export type ExeConcern = 'deleted' | 'replaced' | 'memfd' | 'temp-dir';

/**
 * Why a process's program looks like an intruder's: deleted after start, replaced on disk since (an upgrade
 * that needs a restart: a milder concern, alone), an anonymous memfd (fileless malware; the kernel shows `/memfd:NAME (deleted)`), or a
 * world-writable temp directory. Empty when nothing is wrong or the exe is unknown.
 */
export function exeConcerns(
  exe: ExeLink | null,
  tempDirs: readonly string[] = DEFAULT_TEMP_DIRS,
): ExeConcern[] {
  if (!exe) return [];
  if (exe.path.startsWith('/memfd:')) return ['memfd'];
  const out: ExeConcern[] = [];
  if (exe.deleted) out.push(exe.replaced ? 'replaced' : 'deleted');
  if (tempDirs.some((d) => exe.path === d || exe.path.startsWith(`${d.replace(/\/+$/, '')}/`)))
    out.push('temp-dir');
  return out;
}

/** The command line as one string, like `ps -o args` (the bracketed name for kernel threads). */
export function commandText(p: Pick<ProcessInfo, 'cmdline' | 'name'>): string {
  return p.cmdline.length ? p.cmdline.join(' ') : `[${p.name}]`;
}

/** Who this run is, as /proc's `hidepid` option judges it. */
export interface Viewer {
  uid: number;
  groups: readonly number[];
}

/** This process as a Viewer. */
export function currentViewer(): Viewer {
  return { uid: process.geteuid?.() ?? 0, groups: process.getgroups?.() ?? [] };
}

/**
 * The `hidepid` option of the /proc mount in a mountinfo text (`/proc/self/mountinfo`) when it hides other
 * users' processes from `viewer`: `1`/`noaccess` (listed, files unreadable) or `2`/`invisible` (not listed at
 * all); null when /proc hides nothing from it (no option, `0`/`off`, root, or a member of the mount's `gid=`).
 * With hidepid=2 a missing daemon and a hidden one look the same.
 */
export function hidepidFor(mountinfo: string, viewer: Viewer): string | null {
  if (viewer.uid === 0) return null;
  let found: string | null = null;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f[4] !== '/proc' || dash < 0 || f[dash + 1] !== 'proc') continue;
    const opts = (f[dash + 3] ?? '').split(',');
    const hidepid = opts.find((o) => o.startsWith('hidepid='))?.slice(8) ?? null;
    const gid = opts.find((o) => o.startsWith('gid='))?.slice(4);
    // The last mount at /proc is the one in effect.
    found =
      hidepid === null || hidepid === '0' || hidepid === 'off' || hidepid === 'ptraceable'
        ? null
        : gid !== undefined && viewer.groups.includes(Number(gid))
          ? null
          : `hidepid=${hidepid}`;
  }
  return found;
}
