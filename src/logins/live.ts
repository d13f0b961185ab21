/**
 * `last`'s "gone - no logout" test (util-linux `is_phantom`): a login without logout is still there when it
 * is newer than the boot, its user exists, and /proc/PID/loginuid (or, without it, the owner of /dev/TTY) is
 * that user's uid. On `/` these are the running machine's; under --root the same rule is applied to the
 * tree (its /etc/passwd, /proc and /dev, its boot time from /proc/stat's `btime`), so that `last --root`
 * says of a tree what `last` says on the machine it came from. A tree without /proc cannot tell: there every
 * unclosed session is still logged in.
 */
import fs from 'node:fs';
import { resolveInRoot } from '../core/inroot.ts';
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

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Boot time in seconds from a /proc/stat text (`btime`), or null without one. */
export function statBootTime(statText: string): number | null {
  const m = /^btime\s+(\d+)\s*$/m.exec(statText);
  return m ? Number(m[1]) : null;
}

/**
 * `pidAlive` for the sessions pass: util-linux's is_phantom, inverted, on `root` (the inspected tree; `/`
 * is the running machine). The boot time is the running machine's uptime on `/` (as util-linux's), the
 * tree's recorded `btime` elsewhere (a tree's uptime says nothing of the clock now); none known: no limit.
 */
export function livePidAlive(root: string, nowMs: number): (rec: UtmpRecord) => boolean {
  const host = { root };
  // A tree with no /proc (logs copied off a host) cannot say which sessions are gone: all stay open, as
  // before this rule reached trees (and as the audits of open sessions expect).
  if (root !== '/' && !isDirectory(resolveInRoot(host, '/proc'))) return () => true;
  let uids: Map<string, number> | null = null;
  let boot = 0;
  try {
    boot =
      root === '/'
        ? bootTime(fs.readFileSync('/proc/uptime', 'utf8'), nowMs)
        : (statBootTime(fs.readFileSync(resolveInRoot(host, '/proc/stat'), 'latin1')) ?? 0);
  } catch {
    boot = 0;
  }
  return (rec) => {
    if (rec.sec < boot) return false;
    if (!uids) {
      try {
        uids = passwdUids(fs.readFileSync(resolveInRoot(host, '/etc/passwd'), 'latin1'));
      } catch {
        uids = new Map();
      }
    }
    const uid = uids.get(rec.user.slice(0, 31));
    if (uid === undefined) return false;
    let text: string | null = null;
    try {
      text = fs.readFileSync(resolveInRoot(host, `/proc/${rec.pid >>> 0}/loginuid`), 'latin1');
    } catch {
      text = null;
    }
    if (text !== null) {
      const m = /^\s*(\d+)/.exec(text);
      return m !== null && Number(m[1]) === uid;
    }
    // resolveInRoot takes a host path: a forged tty name (`../../x`) stays inside the tree, and its links
    // resolve there (it was given the joined local path once, which named ROOT twice: every such session gone).
    try {
      return fs.statSync(resolveInRoot(host, `/dev/${rec.line}`)).uid === uid;
    } catch {
      return false;
    }
  };
}
