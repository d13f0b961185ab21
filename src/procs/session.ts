/**
 * Processes a login brings and a logout takes away, beyond the ignore list's names: a user's service manager
 * (`systemd --user`, user@UID.service, which systemd-logind starts at the user's first login and stops after
 * the last logout) and the session bus it starts. Recorded in a baseline, each logout was a CRITICAL
 * "process missing" and each other user's login a "new process". Pure: judged from what /proc showed.
 */
import path from 'node:path';
import type { ProcessInfo } from './proc.ts';

/** Where systemd's own program lives: /usr/lib/systemd/systemd, /lib/systemd/systemd (split /usr), a Nix store. */
const SYSTEMD_PROGRAM = /(?:^|\/)lib\/systemd\/systemd$/;

/** Comm names (cut at 15 bytes by the kernel) of the per-user session bus: dbus-daemon, dbus-broker. */
const SESSION_BUS_NAMES = new Set(['dbus-daemon', 'dbus-broker', 'dbus-broker-lau']);

/** Whether the account is one people log in as, or root: a daemon's account (nologin) has no login sessions. */
function loginAccount(user: string, uid: number, systemUsers: ReadonlySet<string>): boolean {
  return uid === 0 || !systemUsers.has(user);
}

/**
 * Whether a process is a user's service manager: comm `systemd`, not pid 1, a child of pid 1 (which
 * starts user@UID.service), run as `…/systemd --user`, and its program, when this run may read it,
 * systemd's own (`/usr/lib/systemd/systemd`, not a file merely named systemd in /tmp or a web root).
 */
export function isUserManager(p: Pick<ProcessInfo, 'pid' | 'ppid' | 'name' | 'cmdline' | 'exe'>): boolean {
  if (p.pid === 1 || p.ppid !== 1 || p.name !== 'systemd') return false;
  const [argv0, ...args] = p.cmdline;
  if (argv0 === undefined || path.posix.basename(argv0) !== 'systemd' || !args.includes('--user'))
    return false;
  return p.exe === null || SYSTEMD_PROGRAM.test(p.exe.path);
}

/** Whether a process is a session bus (`dbus-daemon --session`, `dbus-broker-launch --scope user`). */
function isSessionBus(p: Pick<ProcessInfo, 'name' | 'cmdline'>): boolean {
  const args = p.cmdline.slice(1);
  if (p.name === 'dbus-daemon') return args.includes('--session');
  if (p.name === 'dbus-broker-lau')
    return args.some((a, i) => a === '--scope=user' || (a === '--scope' && args[i + 1] === 'user'));
  return false;
}

/**
 * The processes of login sessions in a process table: each login account's (root's included) user
 * manager, and the session bus that manager started (`dbus-daemon --session`; on Fedora and RHEL
 * `dbus-broker-launch --scope user` and its `dbus-broker`), run by the same user. A daemon's account
 * (shell nologin or false) logs in nowhere: its user manager, a lingering one or not, is judged like any
 * process, as is a program merely named systemd or dbus-daemon.
 */
export function sessionProcesses(
  processes: readonly ProcessInfo[],
  systemUsers: ReadonlySet<string>,
): Set<number> {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const managers = new Set<number>();
  for (const p of processes)
    if (isUserManager(p) && loginAccount(p.user, p.uid, systemUsers)) managers.add(p.pid);
  const out = new Set(managers);
  // Children of a manager, then the broker its launcher started: same user all the way down.
  const underManager = (p: ProcessInfo) => managers.has(p.ppid) && byPid.get(p.ppid)?.uid === p.uid;
  for (const p of processes) if (isSessionBus(p) && underManager(p)) out.add(p.pid);
  for (const p of processes) {
    const parent = byPid.get(p.ppid);
    if (p.name === 'dbus-broker' && parent && out.has(parent.pid) && parent.name === 'dbus-broker-lau')
      if (parent.uid === p.uid) out.add(p.pid);
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
