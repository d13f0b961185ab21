import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { hasBreak } from './linear.ts';

/**
 * wu-ftpd: `failed login from NAME [ADDR]`, `FTP LOGIN REFUSED (...) FROM NAME [ADDR], user` and
 * `repeated login failures from NAME [ADDR]`. The address in brackets ends the host part; the name before
 * it is reverse DNS and ignored.
 */

const FAILED = /^failed login from (?:\S* )?\[([^\]\s]+)\](?:, (.*))?$/;
const REFUSED = /^FTP LOGIN REFUSED \(.*?\) FROM (?:\S* )?\[([^\]\s]+)\], (.*)$/;
const REPEATED = /^repeated login failures from (?:\S* )?\[([^\]\s]+)\]$/;

function extract(line: ParsedLine): Extracted {
  // All three run `^...$` over `.`: none matches a message with a line break, where REFUSED tried its
  // `(.*)$` from every `) FROM [...], ` (quadratic).
  if (hasBreak(line.message)) return null;
  const m = FAILED.exec(line.message) ?? REFUSED.exec(line.message) ?? REPEATED.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[1]);
  return host ? event('bruteforce', 'failure', host, 'wu-ftpd', line.time, { user: m[2] }) : null;
}

/** wu-ftpd extractor. */
export const wuftpd = {
  description: 'wu-ftpd: failed and refused logins',
  programs: ['wu-ftpd', 'wu.ftpd', 'ftpd'],
  needles: ['failed login', 'LOGIN REFUSED', 'login failures'],
  extract,
} satisfies Extractor;
