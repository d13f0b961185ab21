import { existsSync, readdirSync } from 'node:fs';
import { readRegularFileSync } from '../core/open.ts';
import { hostPath } from '../core/host.ts';
import { resolveInRoot } from '../core/inroot.ts';
import { isListening, parseNetTable } from '../procs/sockets.ts';

/** What detection looks at on the host: running process names and listening TCP ports. */
export interface HostFacts {
  processes: Set<string>;
  ports: Set<number>;
  exists(hostPathName: string): boolean;
  /**
   * Units and init scripts enabled at boot (systemd `*.wants` links, a template's instances under the
   * template's name too, SysV `rc[2-5].d/S??name` links, and the programs `/etc/inittab` runs), or null when
   * the host has none of these (then nobody can tell).
   */
  bootUnits: Set<string> | null;
  /** PID 1's name (/proc/1/comm), or null when unknown: an init system starts daemons, a container's may not. */
  init: string | null;
}

/** PID 1 names of init systems that start daemons at boot. */
export const INIT_SYSTEMS: ReadonlySet<string> = new Set([
  'systemd',
  'init',
  'openrc-init',
  'runit',
  'runit-init',
  's6-svscan',
  'upstart',
  'busybox',
]);

/** inittab actions that run a program in normal operation (not `off`, `ctrlaltdel`, `powerfail`, ...). */
const INITTAB_RUNS = new Set(['respawn', 'once', 'wait', 'boot', 'bootwait', 'sysinit']);

/**
 * The programs SysV init's `/etc/inittab` runs in a multi-user runlevel (2-5, or every runlevel), by name:
 * `S0:2345:respawn:/sbin/mgetty -x0 ttyS0` gives `mgetty`. Where mgetty and gettys are started from on a
 * SysV host, which has no rc link for them.
 */
export function inittabPrograms(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length < 4) continue;
    const [, levels = '', action = ''] = fields;
    if (!INITTAB_RUNS.has(action) || (levels !== '' && !/[2-5]/.test(levels))) continue;
    // The process field may hold colons itself; `+` was an old marker for "no utmp work", `exec` a shell's.
    const words = fields.slice(3).join(':').trim().replace(/^\+/, '').split(/\s+/);
    const prog = words[0] === 'exec' ? words[1] : words[0];
    const name = prog?.split('/').pop();
    if (name) names.push(name);
  }
  return names;
}

/**
 * Names of what init starts at boot, from /etc/systemd/system/*.wants, /etc/rc[2-5].d and /etc/inittab (their
 * links resolved inside the root: RHEL's `/etc/rc3.d -> rc.d/rc3.d`, an image's absolute links).
 */
function bootUnits(root: string): Set<string> | null {
  const units = new Set<string>();
  let known = false;
  const list = (dir: string): string[] | null => {
    try {
      return readdirSync(resolveInRoot({ root }, dir));
    } catch {
      return null;
    }
  };
  const systemd = list('/etc/systemd/system');
  if (systemd) {
    known = true;
    for (const d of systemd.filter((e) => e.endsWith('.wants')))
      for (const u of list(`/etc/systemd/system/${d}`) ?? []) {
        const name = u.replace(/@?\.(?:service|socket)$/, '');
        units.add(name);
        // An enabled instance (`mgetty@ttyS0`) enables its template's daemon.
        const at = name.indexOf('@');
        if (at > 0) units.add(name.slice(0, at));
      }
  }
  for (const n of [2, 3, 4, 5]) {
    const rc = list(`/etc/rc${n}.d`);
    if (!rc) continue;
    known = true;
    for (const e of rc) {
      const m = /^S\d\d(.+)$/.exec(e);
      if (m) units.add(m[1] as string);
    }
  }
  try {
    const inittab = readRegularFileSync(resolveInRoot({ root }, '/etc/inittab'), 'latin1');
    known = true;
    for (const name of inittabPrograms(inittab)) units.add(name);
  } catch {
    // no inittab (systemd hosts): the links above decide
  }
  return known ? units : null;
}

/** Names (/proc/PID/comm) of the running processes; empty when /proc is absent or unreadable. */
function processNames(root: string): Set<string> {
  const names = new Set<string>();
  let pids: string[];
  try {
    pids = readdirSync(resolveInRoot({ root }, '/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return names;
  }
  for (const pid of pids) {
    try {
      // A zombie (exited, not yet reaped) runs no more, as the procs check holds: its name proves nothing.
      const stat = readRegularFileSync(hostPath({ root }, `/proc/${pid}/stat`), 'latin1', { root });
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state === 'Z' || state === 'X') continue;
    } catch {
      // no stat (a demo tree may hold comm alone): judged by its name
    }
    try {
      names.add(readRegularFileSync(hostPath({ root }, `/proc/${pid}/comm`), 'latin1', { root }).trim());
    } catch {
      // The process exited between readdir and read: not an error.
    }
  }
  return names;
}

function pid1(root: string): string | null {
  try {
    return readRegularFileSync(hostPath({ root }, '/proc/1/comm'), 'latin1', { root }).trim() || null;
  } catch {
    return null;
  }
}

/** Gathers detection facts from the host tree (cheap: a readdir of /proc, two small files, init's links). */
export function gatherFacts(root: string): HostFacts {
  const ports = new Set<number>();
  for (const proto of ['tcp', 'tcp6'] as const) {
    try {
      const rows = parseNetTable(
        readRegularFileSync(hostPath({ root }, `/proc/net/${proto}`), 'latin1', { root }),
        proto,
      );
      for (const r of rows) if (isListening(r)) ports.add(r.localPort);
    } catch {
      // No such table (no IPv6, or a demo tree without it).
    }
  }
  return {
    processes: processNames(root),
    ports,
    exists: (p) => {
      try {
        return existsSync(resolveInRoot({ root }, p));
      } catch {
        return false; // links that loop, or an untrusted one
      }
    },
    bootUnits: bootUnits(root),
    init: pid1(root),
  };
}
