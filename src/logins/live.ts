/**
 * The live-host half of `last`'s "gone - no logout" test (util-linux `is_phantom`): a login without logout is
 * still there when it is newer than the boot, its user exists, and /proc/PID/loginuid (or, without it, the
 * owner of /dev/TTY) is that user's uid. Only meaningful on the machine that wrote the wtmp (root `/`);
 * elsewhere every open session is reported as still logged in.
 */
import fs from 'node:fs';
import { hostPath } from '../core/host.ts';
import { passwdEntries } from '../core/passwd.ts';
import type { UtmpRecord } from './utmp.ts';

/** Uid of each user in an /etc/passwd text (first entry wins, like getpwnam over files). */
export function passwdUids(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of passwdEntries(text)) if (!out.has(e.name)) out.set(e.name, e.uid);
  return out;
}

/** Boot time in seconds, from /proc/uptime and the given wall clock. */
export function bootTime(uptimeText: string, nowMs: number): number {
  const up = Number.parseFloat(uptimeText);
  return Number.isFinite(up) ? Math.floor(nowMs / 1000 - up) : 0;
}

/**
 * `pidAlive` for the sessions pass: util-linux's is_phantom, inverted. `root` is the inspected tree; only for
 * `/` are /proc and /dev those of the machine whose wtmp this is, so other roots get `() => true`.
 */
export function livePidAlive(root: string, nowMs: number): (rec: UtmpRecord) => boolean {
  if (root !== '/') return () => true;
  let uids: Map<string, number> | null = null;
  let boot = 0;
  try {
    boot = bootTime(fs.readFileSync('/proc/uptime', 'utf8'), nowMs);
  } catch {
    boot = 0;
  }
  return (rec) => {
    if (rec.sec < boot) return false;
    if (!uids) {
      try {
        uids = passwdUids(fs.readFileSync(hostPath({ root }, '/etc/passwd'), 'latin1'));
      } catch {
        uids = new Map();
      }
    }
    const uid = uids.get(rec.user.slice(0, 31));
    if (uid === undefined) return false;
    const loginuid = `/proc/${rec.pid >>> 0}/loginuid`;
    let text: string | null = null;
    try {
      text = fs.readFileSync(loginuid, 'latin1');
    } catch {
      text = null;
    }
    if (text !== null) {
      const m = /^\s*(\d+)/.exec(text);
      return m !== null && Number(m[1]) === uid;
    }
    try {
      return fs.statSync(`/dev/${rec.line}`).uid === uid;
    } catch {
      return false;
    }
  };
}
