import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Postfix smtpd/postscreen: SASL authentication failures (with `sasl_username`), NOQUEUE/milter rejects,
 * command pipelining abuse, too many errors, postscreen pregreet/hangup/limits. The client is the first
 * `NAME[ADDR]` after the fixed `... from `: NAME is reverse DNS that Postfix has validated, ADDR numeric.
 * saslauthd itself logs no client address, so its lines cannot be attributed and are not counted.
 */

const SERVICE = 'postfix';
const CLIENT = '(?:\\S*)\\[([0-9A-Fa-f:.]+)\\]';
const SASL = new RegExp(
  `^warning: ${CLIENT}: SASL (\\S+) authentication failed: ?(.*?)(?:, sasl_username=(.*))?$`,
);
const REJECT = new RegExp(
  `^(?:NOQUEUE|\\w+): (?:milter-)?reject: [A-Z-]+ from (?:${CLIENT}|\\[([0-9A-Fa-f:.]+)\\]:\\d+): [45]\\d\\d `,
);
const PIPELINING = new RegExp(`^improper command pipelining after \\S+ from ${CLIENT}:?(?: .*)?$`);
const TOO_MANY = new RegExp(`^too many errors after \\S+ from ${CLIENT}$`);
const SCREEN =
  /^(?:PREGREET \d+ after \S+ from|HANGUP after \S+ from|COMMAND (?:TIME|COUNT|LENGTH) LIMIT from) \[([0-9A-Fa-f:.]+)\]:\d+/;
/** SASL failures that are not the client's guess (the auth server was down, an unsupported mechanism). */
const NOT_A_GUESS = /^(?:Connection lost to authentication server|Invalid authentication mechanism)/;

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if ((m = SASL.exec(msg))) {
    if (NOT_A_GUESS.test(m[3] as string)) return null;
    const host = hostOf(m[1]);
    return host ? event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[4] }) : null;
  }
  if ((m = REJECT.exec(msg))) {
    const host = hostOf(m[1] ?? m[2]);
    return host ? event('bruteforce', 'reject', host, SERVICE, line.time) : null;
  }
  if ((m = PIPELINING.exec(msg)) ?? (m = TOO_MANY.exec(msg))) {
    const host = hostOf(m[1]);
    return host ? event('bruteforce', 'reject', host, SERVICE, line.time) : null;
  }
  if ((m = SCREEN.exec(msg))) {
    const host = hostOf(m[1]);
    return host ? event('portscan', 'refused', host, SERVICE, line.time) : null;
  }
  return null;
}

/** Postfix extractor. */
export const postfix = {
  description: 'Postfix: SASL failures, rejects, pipelining abuse, postscreen drops',
  programs: ['postfix', 'postscreen', 'smtpd'],
  programPattern: /^postfix[\w.-]*\//,
  needles: [
    'authentication failed',
    'reject: ',
    'improper command',
    'too many errors',
    'PREGREET',
    'HANGUP after',
    ' LIMIT from',
  ],
  extract,
} satisfies Extractor;
