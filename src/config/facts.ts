import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostPath } from '../core/host.ts';
import { isListening, parseNetTable } from '../procs/sockets.ts';

/** What detection looks at on the host: running process names and listening TCP ports. */
export interface HostFacts {
  processes: Set<string>;
  ports: Set<number>;
  exists(hostPathName: string): boolean;
  /**
   * Units and init scripts enabled at boot (systemd `*.wants` links, SysV `rc[2-5].d/S??name` links), or
   * null when the host has neither directory (then nobody can tell).
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

/** Names of what init starts at boot, from /etc/systemd/system/*.wants and /etc/rc[2-5].d. */
function bootUnits(root: string): Set<string> | null {
  const units = new Set<string>();
  let known = false;
  const list = (dir: string): string[] | null => {
    try {
      return readdirSync(hostPath({ root }, dir));
    } catch {
      return null;
    }
  };
  const systemd = list('/etc/systemd/system');
  if (systemd) {
    known = true;
    for (const d of systemd.filter((e) => e.endsWith('.wants')))
      for (const u of list(`/etc/systemd/system/${d}`) ?? [])
        units.add(u.replace(/@?\.(?:service|socket)$/, ''));
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
  return known ? units : null;
}

/** Names (/proc/PID/comm) of the running processes; empty when /proc is absent or unreadable. */
function processNames(root: string): Set<string> {
  const names = new Set<string>();
  let pids: string[];
  try {
    pids = readdirSync(hostPath({ root }, '/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return names;
  }
  for (const pid of pids) {
    try {
      // A zombie (exited, not yet reaped) runs no more, as the procs check holds: its name proves nothing.
      const stat = readFileSync(hostPath({ root }, `/proc/${pid}/stat`), 'latin1');
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      if (state === 'Z' || state === 'X') continue;
    } catch {
      // no stat (a demo tree may hold comm alone): judged by its name
    }
    try {
      names.add(readFileSync(hostPath({ root }, `/proc/${pid}/comm`), 'latin1').trim());
    } catch {
      // The process exited between readdir and read: not an error.
    }
  }
  return names;
}

function pid1(root: string): string | null {
  try {
    return readFileSync(hostPath({ root }, '/proc/1/comm'), 'latin1').trim() || null;
  } catch {
    return null;
  }
}

/** Gathers detection facts from the host tree (cheap: a readdir of /proc, two small files, init's links). */
export function gatherFacts(root: string): HostFacts {
  const ports = new Set<number>();
  for (const proto of ['tcp', 'tcp6'] as const) {
    try {
      const rows = parseNetTable(readFileSync(hostPath({ root }, `/proc/net/${proto}`), 'latin1'), proto);
      for (const r of rows) if (isListening(r)) ports.add(r.localPort);
    } catch {
      // No such table (no IPv6, or a demo tree without it).
    }
  }
  return {
    processes: processNames(root),
    ports,
    exists: (p) => existsSync(hostPath({ root }, p)),
    bootUnits: bootUnits(root),
    init: pid1(root),
  };
}
