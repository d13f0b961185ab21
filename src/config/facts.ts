import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostPath } from '../core/host.ts';
import { isListening, parseNetTable } from '../procs/sockets.ts';

/** What detection looks at on the host: running process names and listening TCP ports. */
export interface HostFacts {
  processes: Set<string>;
  ports: Set<number>;
  exists(hostPathName: string): boolean;
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
      names.add(readFileSync(hostPath({ root }, `/proc/${pid}/comm`), 'latin1').trim());
    } catch {
      // The process exited between readdir and read: not an error.
    }
  }
  return names;
}

/** Gathers detection facts from the host tree (cheap: a readdir of /proc and two small files). */
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
  return { processes: processNames(root), ports, exists: (p) => existsSync(hostPath({ root }, p)) };
}
