import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { linearWhere } from './linear.ts';

/**
 * Pure-FTPd: `(USER@HOST) [WARNING] Authentication failed for user [NAME]`. USER is client data and may hold
 * `@`: the host is after the last `@` of the parenthesised prefix.
 */

// On the linear engine, for messages with the right end: `\((.*)@` then `(.*) is now logged in$` was
// quadratic over a line of `@s) [INFO] ` repeated.
const FAILED = linearWhere(
  (s) => s.endsWith(']'),
  /^\((.*)@([^@\s()]+)\) \[WARNING\] Authentication failed for user \[(.*)\]$/,
);
const OK = linearWhere(
  (s) => s.endsWith(' is now logged in'),
  /^\((.*)@([^@\s()]+)\) \[INFO\] (.*) is now logged in$/,
);

function extract(line: ParsedLine): Extracted {
  let m = FAILED.exec(line.message);
  if (m) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, 'pure-ftpd', line.time, { user: m[3] }) : null;
  }
  m = OK.exec(line.message);
  if (m) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'success', host, 'pure-ftpd', line.time, { user: m[3] }) : null;
  }
  return null;
}

/** Pure-FTPd extractor. */
export const pureftpd = {
  description: 'Pure-FTPd: authentication failures',
  programs: ['pure-ftpd'],
  needles: ['Authentication failed', 'logged in'],
  extract,
} satisfies Extractor;
