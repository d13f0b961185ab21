import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostPath } from '../core/host.ts';

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

/** Local ports in LISTEN state (0A) from /proc/net/tcp and tcp6. */
export function parseListeningPorts(text: string): number[] {
  const ports: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A' || !f[1]) continue;
    const port = Number.parseInt(f[1].slice(f[1].lastIndexOf(':') + 1), 16);
    if (Number.isFinite(port)) ports.push(port);
  }
  return ports;
}

/** Gathers detection facts from the host tree (cheap: a readdir of /proc and two small files). */
export function gatherFacts(root: string): HostFacts {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const p of parseListeningPorts(readFileSync(hostPath({ root }, f), 'latin1'))) ports.add(p);
    } catch {
      // No such table (no IPv6, or a demo tree without it).
    }
  }
  return { processes: processNames(root), ports, exists: (p) => existsSync(hostPath({ root }, p)) };
}
