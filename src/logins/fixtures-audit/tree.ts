/**
 * Builds small host trees for the logins audit tests: a generated wtmp (through src/logins/utmp.ts's
 * encoder), /etc/passwd, an auth log, under a fresh temp directory, plus the check context to run on it.
 * Nothing here is copied from a real host; see README.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CheckContext } from '../../checks/types.ts';
import { configSchema } from '../../config/schema.ts';
import { makeHost } from '../../core/host.ts';
import { addrFromText, encodeRecords, UT, type UtmpRecordInput } from '../utmp.ts';

/** Epoch seconds of an ISO time (UTC when no zone is given). */
export function t(iso: string): number {
  return Math.floor(Date.parse(/Z|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`) / 1000);
}

/** A login record (USER_PROCESS). */
export function login(user: string, tty: string, at: string, host = '', pid = 1000): UtmpRecordInput {
  const ip = /^[\d.]+$/.test(host) ? host : undefined;
  return {
    type: UT.USER_PROCESS,
    pid,
    line: tty,
    id: tty.slice(-4),
    user,
    host,
    sec: t(at),
    ...(ip ? { addr: addrFromText(ip) } : {}),
  };
}

/** A login from a named host with its address (as sshd writes with UseDNS). */
export function loginNamed(
  user: string,
  tty: string,
  at: string,
  host: string,
  ip: string,
  pid = 1000,
): UtmpRecordInput {
  return { ...login(user, tty, at, host, pid), addr: addrFromText(ip) };
}

/** A logout record (DEAD_PROCESS) on a tty. */
export function logout(tty: string, at: string, pid = 1000): UtmpRecordInput {
  return { type: UT.DEAD_PROCESS, pid, line: tty, id: tty.slice(-4), sec: t(at) };
}

/** A boot record. */
export function boot(at: string): UtmpRecordInput {
  return { type: UT.BOOT_TIME, line: '~', id: '~~', user: 'reboot', host: '6.1.0-test', sec: t(at) };
}

/** A shutdown record. */
export function shutdown(at: string): UtmpRecordInput {
  return {
    type: UT.RUN_LVL,
    pid: 0x30,
    line: '~',
    id: '~~',
    user: 'shutdown',
    host: '6.1.0-test',
    sec: t(at),
  };
}

/** An sshd Accepted line in RFC 3164 form (UTC tree). */
export function accepted(user: string, host: string, at: string, pid = 2000, port = 50000): string {
  return `${syslogTime(at)} testhost sshd[${pid}]: Accepted password for ${user} from ${host} port ${port} ssh2`;
}

/** Any syslog line at a time. */
export function syslogLine(at: string, rest: string): string {
  return `${syslogTime(at)} testhost ${rest}`;
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function syslogTime(at: string): string {
  const d = new Date(t(at) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** The default passwd of the test trees. */
export const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'www-data:x:33:33:www-data:/var/www:/bin/sh',
  'alice:x:1000:1000:Alice:/home/alice:/bin/bash',
  'bob:x:1001:1001:Bob:/home/bob:/bin/bash',
  'olduser:x:500:100:Old:/home/olduser:/bin/bash',
  'svc:x:1002:1002:Service:/srv/svc:/usr/sbin/nologin',
  '',
].join('\n');

/** What a test tree holds; paths are host paths. */
export interface TreeSpec {
  wtmp?: UtmpRecordInput[] | Uint8Array;
  files?: Record<string, string | Uint8Array>;
  passwd?: string;
  /** Lines of /var/log/auth.log (its mtime is set to `authMtime`, for the year inference). */
  auth?: string[];
  authMtime?: string;
}

/** Creates a tree under a fresh temp directory and returns its root. */
export function makeTree(spec: TreeSpec): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-logins-'));
  writeTree(root, spec);
  return root;
}

/** Writes (or rewrites) parts of a tree. */
export function writeTree(root: string, spec: TreeSpec): void {
  const put = (p: string, data: string | Uint8Array): void => {
    const local = path.join(root, p);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(local, data);
  };
  put('/etc/passwd', spec.passwd ?? PASSWD);
  put('/etc/hostname', 'testhost\n');
  if (spec.wtmp) put('/var/log/wtmp', spec.wtmp instanceof Uint8Array ? spec.wtmp : encodeRecords(spec.wtmp));
  for (const [p, data] of Object.entries(spec.files ?? {})) put(p, data);
  if (spec.auth) {
    put('/var/log/auth.log', `${spec.auth.join('\n')}\n`);
    const m = new Date((spec.authMtime ? t(spec.authMtime) : Date.UTC(2026, 11, 31) / 1000) * 1000);
    fs.utimesSync(path.join(root, '/var/log/auth.log'), m, m);
  }
}

/** The check context for a tree at `now`, with `checks.logins` overrides and the previous state. */
export function contextFor(
  root: string,
  now: string,
  opts: { state?: unknown; logins?: Record<string, unknown>; since?: string } = {},
): CheckContext {
  const config = configSchema.parse({
    syslog: { files: ['/var/log/auth.log'], journal: 'off' },
    checks: { logins: opts.logins ?? {} },
  });
  const host = makeHost({ root, name: 'testhost', now: new Date(t(now) * 1000), env: {} });
  return {
    host,
    config,
    plan: { services: [], syslogFiles: config.syslog.files, journal: 'off', skipped: [] },
    state: opts.state === undefined ? undefined : JSON.parse(JSON.stringify(opts.state)),
    options: { all: false, ...(opts.since ? { since: new Date(t(opts.since) * 1000) } : {}) },
    signal: new AbortController().signal,
  };
}

/** Every day from `from` for `days` days: a login of `user` at `hh:mm` UTC from `host`, one hour long. */
export function routine(
  user: string,
  host: string,
  from: string,
  days: number,
  hhmm = '09:00',
  tty = 'pts/0',
): UtmpRecordInput[] {
  const out: UtmpRecordInput[] = [];
  const start = t(`${from}T${hhmm}:00`);
  for (let d = 0; d < days; d++) {
    const sec = start + d * 86400;
    const iso = new Date(sec * 1000).toISOString().slice(0, 19);
    const end = new Date((sec + 3600) * 1000).toISOString().slice(0, 19);
    const pid = 3000 + d;
    out.push(
      /^[\d.]+$/.test(host) || host === ''
        ? login(user, tty, iso, host, pid)
        : loginNamed(user, tty, iso, host, '10.0.0.5', pid),
      logout(tty, end, pid),
    );
  }
  return out;
}
