import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * ProFTPD: every session line starts `SERVER (NAME[ADDR])` (`:` or ` -` after it); the host is that numeric
 * ADDR at the start, so a USER argument that imitates the prefix (`USER x (evil[1.2.3.4]): ...`) is never
 * read as the client.
 */

const PREFIX = /^\S+ \([^\[\]\s]*\[([0-9A-Fa-f:.]+)\]\)(?::| -) (.*)$/;
const LOGIN_FAILED = /^USER (.*?) \(Login failed\): .*$/;
const NO_SUCH_USER = /^USER (.*?): no such user found from /;
const VIOLATION = /^SECURITY VIOLATION: (.+?) login attempted\.?$/;
const MAX_ATTEMPTS = /^Maximum login attempts \(\d+\) exceeded/;
const SUCCESS = /^USER (.*?): Login successful\.?$/;

function extract(line: ParsedLine): Extracted {
  const p = PREFIX.exec(line.message);
  if (!p) return null;
  const host = hostOf(p[1]);
  if (!host) return null;
  const rest = p[2] as string;
  let m: RegExpExecArray | null;
  if ((m = LOGIN_FAILED.exec(rest)) ?? (m = NO_SUCH_USER.exec(rest)) ?? (m = VIOLATION.exec(rest))) {
    return event('bruteforce', 'failure', host, 'proftpd', line.time, { user: m[1] });
  }
  if (MAX_ATTEMPTS.test(rest)) return event('bruteforce', 'failure', host, 'proftpd', line.time);
  if ((m = SUCCESS.exec(rest)))
    return event('bruteforce', 'success', host, 'proftpd', line.time, { user: m[1] });
  return null;
}

/** ProFTPD extractor. */
export const proftpd = {
  description: 'ProFTPD: failed logins, unknown users, root login attempts, login limits',
  programs: ['proftpd'],
  needles: ['Login failed', 'no such user', 'SECURITY VIOLATION', 'Maximum login', 'Login successful'],
  extract,
} satisfies Extractor;
