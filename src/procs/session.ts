/**
 * Processes a login brings and a logout takes away, beyond the ignore list's names: a user's service manager
 * (`systemd --user`, user@UID.service, which systemd-logind starts at the user's first login and stops after
 * the last logout) and the session bus it starts. Recorded in a baseline, each logout was a CRITICAL
 * "process missing" and each other user's login a "new process". Pure: judged from what /proc showed.
 */
import path from 'node:path';
import type { ProcessInfo, ProgramFile } from './proc.ts';

/** A Nix store entry's name: 32 characters of Nix's base32 (no e, o, u, t), a dash. */
const NIX_STORE = '/nix/store/[0-9a-df-np-sv-z]{32}-';

/**
 * Where systemd's own program lives, the whole path anchored: /usr/lib/systemd/systemd, /lib/systemd/systemd
 * (split /usr), NixOS's /nix/store/HASH-systemd-VERSION/lib/systemd/systemd. Only root writes there: a
 * user's copy (`~/.local/lib/systemd/systemd`, `/tmp/lib/systemd/systemd`) is judged like any program.
 */
const SYSTEMD_PROGRAM = new RegExp(`^(?:/usr/lib|/lib|${NIX_STORE}systemd-[0-9][^/]*/lib)/systemd/systemd$`);

/** Where the session bus's programs live (dbus-daemon; dbus-broker-launch and dbus-broker), anchored alike. */
const SESSION_BUS_PROGRAM = new RegExp(
  `^(?:/usr/bin|/bin|${NIX_STORE}dbus-[0-9][^/]*/bin)/dbus-daemon$|^(?:/usr/bin|/bin|${NIX_STORE}dbus-broker-[0-9][^/]*/bin)/dbus-broker(?:-launch)?$`,
);

/** Comm names (cut at 15 bytes by the kernel) of the per-user session bus: dbus-daemon, dbus-broker. */
const SESSION_BUS_NAMES = new Set(['dbus-daemon', 'dbus-broker', 'dbus-broker-lau']);

/**
 * Whether a process's program path is where systemd or the session bus is installed (anchored; see
 * SYSTEMD_PROGRAM): only such processes' program files are examined (readProgramFiles in proc.ts).
 */
export function sessionProgramPath(exePath: string): boolean {
  return SYSTEMD_PROGRAM.test(exePath) || SESSION_BUS_PROGRAM.test(exePath);
}

/**
 * Whether a process's program is one only root could have put in place: its path is the expected one, and its
 * file, when this run could examine it (`programs` has the pid), is a regular file owned by root and not
 * writable by group or others. A program this run may not read (exe null: another user's process without
 * root) is not vouched for: the process is judged like any other. A person's own manager is readable by that
 * person, and as root every one is; an unproven exemption is what hid a disguised process.
 */
function genuineProgram(
  p: Pick<ProcessInfo, 'pid' | 'exe'>,
  expected: RegExp,
  programs: ReadonlyMap<number, ProgramFile> | undefined,
): boolean {
  if (p.exe === null || !expected.test(p.exe.path)) return false;
  const file = programs?.get(p.pid);
  if (file === undefined) return true;
  const S_IFMT = 0o170000;
  const S_IFREG = 0o100000;
  return (file.mode & S_IFMT) === S_IFREG && file.uid === 0 && (file.mode & 0o022) === 0;
}

/** Whether the account is one people log in as, or root: a daemon's account (nologin) has no login sessions. */
function loginAccount(user: string, uid: number, systemUsers: ReadonlySet<string>): boolean {
  return uid === 0 || !systemUsers.has(user);
}

/**
 * Whether a process is a user's service manager: comm `systemd`, not pid 1, a child of pid 1 (which
 * starts user@UID.service), run as `…/systemd --user`, and its program systemd's own: at one of its
 * real paths (`/usr/lib/systemd/systemd`, `/lib/systemd/systemd`, a NixOS store's), not a copy in a home
 * or temp directory, and its file, where `programs` says what it is, root's and writable by root alone.
 * A program this run may not read (exe null) is not taken for one.
 */
export function isUserManager(
  p: Pick<ProcessInfo, 'pid' | 'ppid' | 'name' | 'cmdline' | 'exe'>,
  programs?: ReadonlyMap<number, ProgramFile>,
): boolean {
  if (p.pid === 1 || p.ppid !== 1 || p.name !== 'systemd') return false;
  const [argv0, ...args] = p.cmdline;
  if (argv0 === undefined || path.posix.basename(argv0) !== 'systemd' || !args.includes('--user'))
    return false;
  return genuineProgram(p, SYSTEMD_PROGRAM, programs);
}

/**
 * Whether a process is a session bus (`dbus-daemon --session`, `dbus-broker-launch --scope user`) run from
 * the bus's own program (as for the manager: anchored path, root's file, a readable exe).
 */
function isSessionBus(
  p: Pick<ProcessInfo, 'pid' | 'name' | 'cmdline' | 'exe'>,
  programs: ReadonlyMap<number, ProgramFile> | undefined,
): boolean {
  const args = p.cmdline.slice(1);
  let bus = false;
  if (p.name === 'dbus-daemon') bus = args.includes('--session');
  else if (p.name === 'dbus-broker-lau')
    bus = args.some((a, i) => a === '--scope=user' || (a === '--scope' && args[i + 1] === 'user'));
  return bus && genuineProgram(p, SESSION_BUS_PROGRAM, programs);
}

/**
 * The processes of login sessions in a process table: each login account's (root's included) user
 * manager, and the session bus that manager started (`dbus-daemon --session`; on Fedora and RHEL
 * `dbus-broker-launch --scope user` and its `dbus-broker`), run by the same user, each from its own
 * program (see isUserManager; `programs`: the program files this run examined, by pid). A daemon's account
 * (shell nologin or false) logs in nowhere: its user manager, a lingering one or not, is judged like any
 * process, as is a program merely named systemd or dbus-daemon, or a copy of one outside root's directories.
 */
export function sessionProcesses(
  processes: readonly ProcessInfo[],
  systemUsers: ReadonlySet<string>,
  programs?: ReadonlyMap<number, ProgramFile>,
): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const managers = new Set<number>();
  for (const p of processes)
    if (isUserManager(p, programs) && loginAccount(p.user, p.uid, systemUsers)) managers.add(p.pid);
  const out = new Set(managers);
  // Children of a manager, then the broker its launcher started: same user all the way down.
  const underManager = (p: ProcessInfo) => managers.has(p.ppid) && byPid.get(p.ppid)?.uid === p.uid;
  for (const p of processes) if (isSessionBus(p, programs) && underManager(p)) out.add(p.pid);
  for (const p of processes) {
    const parent = byPid.get(p.ppid);
    if (p.name === 'dbus-broker' && parent && out.has(parent.pid) && parent.name === 'dbus-broker-lau')
      if (parent.uid === p.uid && genuineProgram(p, SESSION_BUS_PROGRAM, programs)) out.add(p.pid);
  }
  return out;
}

/**
 * Whether a baseline entry (name, user) can only be a login session's process: recorded by a tenken that
 * did not leave them out (a baseline taken from the admin's own SSH session held `systemd alice`). Judged,
 * it said CRITICAL at every logout; such entries are skipped. `systemd root` stays judged (pid 1 is in it),
 * and so do a daemon account's.
 */
export function sessionEntry(name: string, user: string, systemUsers: ReadonlySet<string>): boolean {
  if (systemUsers.has(user)) return false;
  if (name === 'systemd') return user !== 'root';
  // The system bus runs as its own account (messagebus, dbus), never as root or a person.
  return SESSION_BUS_NAMES.has(name);
}

/**
 * The person whose login session a process belongs to, or null: its audit login uid
 * (/proc/PID/loginuid, set by pam_loginuid at an SSH, console or cron login and kept across `su` and
 * `sudo`) is a person's account (`people`: see peopleOf in proc.ts), and the process runs as a person's
 * account too. Carol's `irssi` in tmux is hers; what an admin starts as root or as a daemon's account from
 * a session (a daemon restarted with `sudo /etc/init.d/nginx restart` on a sysvinit host, its www-data
 * workers) is not, and neither is anything of root's own session (loginuid 0): those belong to the host's
 * healthy state.
 */
export function sessionOwner(
  p: Pick<ProcessInfo, 'uid' | 'loginuid'>,
  people: ReadonlyMap<number, string> | undefined,
): string | null {
  if (people === undefined || p.loginuid === null || p.loginuid === 0 || p.uid === 0) return null;
  if (!people.has(p.uid)) return null;
  return people.get(p.loginuid) ?? null;
}
