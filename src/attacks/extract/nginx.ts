import { hostOf } from '../host.ts';
import { passwdPath, probeName } from '../probes.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { type Exec, linearWhere } from './linear.ts';

/**
 * nginx error log: basic-auth and PAM failures, `access forbidden by rule`, and missing files on probe paths.
 * nginx appends `, client: ADDR, server: NAME, request: "..."` to the message. The user name comes before
 * that tail and is client data: the message's fixed text is matched with the user name greedy, so the tail
 * used is the one that follows the last occurrence of the fixed text.
 */

const SERVICE = 'nginx';
const HEAD =
  /(?:^|\s)(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[(?:emerg|alert|crit|error|warn|notice|info)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
// ` +`: nginx takes (and logs as sent) a request line with several spaces after the method, which a
// scanner can use to step past a single-space pattern.
const TAIL = ', client: ([0-9A-Fa-f:.]+), server: [^,]*(?:, request: "([A-Z]+) +(\\S+)[^"]*")?';
// On the linear engine, where their fixed start is: TAIL's `(\S+)[^"]*"` tried `[^"]*` to the end from every
// length of a long request word without a closing quote (quadratic), as did `(.*)` before TAIL.
const startsUser = (s: string) => s.startsWith('user "');
const FAILURES: readonly Exec[] = [
  linearWhere(startsUser, new RegExp(`^user "(.*)":? was not found in "[^"]*"${TAIL}`)),
  linearWhere(startsUser, new RegExp(`^user "(.*)": password mismatch${TAIL}`)),
  linearWhere(
    (s) => s.startsWith("PAM: user '"),
    new RegExp(`^PAM: user '(.*)' - not authenticated: .*?${TAIL}`),
  ),
];
const FORBIDDEN = linearWhere(
  (s) => s.startsWith('access forbidden by rule'),
  new RegExp(`^access forbidden by rule${TAIL}`),
);
const MISSING = linearWhere(
  (s) => s.startsWith('open() "') || s.startsWith('"'),
  new RegExp(`^(?:open\\(\\) "[^"]*" failed|"[^"]*" is not found) \\(2: No such file or directory\\)${TAIL}`),
);

function extract(line: ParsedLine): Extracted {
  const h = HEAD.exec(line.message);
  if (!h) return null;
  const msg = h[1] as string;
  for (const re of FAILURES) {
    const m = re.exec(msg);
    if (m) {
      const host = hostOf(m[2]);
      return host ? event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[1] }) : null;
    }
  }
  const m = FORBIDDEN.exec(msg) ?? MISSING.exec(msg);
  if (m) {
    const host = hostOf(m[1]);
    const path = m[3];
    if (!host || path === undefined) return null;
    if (passwdPath(path)) return event('passwd', 'probe', host, SERVICE, line.time, { path, status: 404 });
    if (probeName(path)) return event('webprobe', 'probe', host, SERVICE, line.time, { path, status: 404 });
  }
  return null;
}

/** nginx error log extractor. */
export const nginx = {
  description: 'nginx error log: basic-auth/PAM failures, forbidden and missing probe paths',
  programs: ['nginx'],
  needles: [', client: '],
  extract,
} satisfies Extractor;
