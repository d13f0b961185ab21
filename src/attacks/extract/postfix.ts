import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Postfix smtpd/postscreen: SASL authentication failures (with `sasl_username`), NOQUEUE/milter rejects,
 * command pipelining abuse, too many errors, non-SMTP commands (an HTTP client on port 25), postscreen
 * pregreet/hangup/limits. The client is the first `NAME[ADDR]` after the fixed `... from ` (or `warning: `):
 * NAME is reverse DNS that Postfix has validated, ADDR numeric; `:PORT` follows it with
 * `smtpd_client_port_logging = yes`. saslauthd itself logs no client address, so its lines cannot be
 * attributed and are not counted.
 *
 * A 5xx reject is counted whatever its reason. A 4xx (temporary) reject is counted only for the reasons
 * fail2ban's postfix filter names (the client's host or HELO or sender domain does not resolve, a DNS
 * blocklist, relaying, an unknown user...: checks Postfix answers with 450 by default but that a client
 * fails again on every retry); greylisting and the server's own lookup failures (`451 4.3.0 ... Temporary
 * lookup failure`) are what legitimate mail gets too, and are not counted.
 */

const SERVICE = 'postfix';
const CLIENT = '(?:\\S*)\\[([0-9A-Fa-f:.]+)\\]';
/** `:PORT` after the client, logged with `smtpd_client_port_logging = yes`. */
const PORT = '(?::\\d+)?';
const SASL = new RegExp(
  `^warning: ${CLIENT}${PORT}: SASL (\\S+) authentication failed: ?(.*?)(?:, sasl_username=(.*))?$`,
);
const REJECT = new RegExp(
  `^(?:NOQUEUE|\\w+): (?:milter-)?reject: [A-Z-]+ from (?:${CLIENT}${PORT}|\\[([0-9A-Fa-f:.]+)\\]:\\d+): ([45])\\d\\d (.*)$`,
);
/**
 * The reasons of a 4xx reject that are counted: after the enhanced status code, an optional `<ADDR>: ` and
 * an optional `... rejected: `, fail2ban's list (and `Malformed DNS server reply`, the other answer of the
 * same unknown-domain check).
 */
const TEMP_COUNTED =
  /^[45]\.\d{1,3}\.\d{1,3} (?:(?:<[^>]*>)?: )?(?:(?:Helo command|(?:Sender|Recipient) address) rejected: )?(?:Service unavailable|(?:Client host|Command|Data command) rejected|Relay access denied|(?:Host|Domain) not found|Malformed DNS server reply|need fully-qualified hostname|match|User unknown|[Uu]ndeliverable address)\b/;
/** A greylisting policy's answer, whatever check it hangs on: legitimate mail gets it on first contact. */
const GREYLIST = /[Gg]reylist|[Tt]ry again later/;
const NON_SMTP = new RegExp(`^warning: non-SMTP command from ${CLIENT}${PORT}: `);
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
    if (m[3] === '4') {
      const reason = m[4] as string;
      // The reply text only: the `; from=<...> to=<...> helo=<...>` after it is what the client sent, and a
      // `helo=<greylist>` must not switch the counting off.
      const reply = reason.slice(0, reason.lastIndexOf('; from=<') >>> 0 || reason.length);
      if (!TEMP_COUNTED.test(reply) || GREYLIST.test(reply)) return null;
    }
    const host = hostOf(m[1] ?? m[2]);
    return host ? event('bruteforce', 'reject', host, SERVICE, line.time) : null;
  }
  if ((m = NON_SMTP.exec(msg))) {
    // An HTTP (or other protocol's) client knocking on the mail port: a probe, not a mail conversation.
    const host = hostOf(m[1]);
    return host ? event('portscan', 'refused', host, SERVICE, line.time) : null;
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
  description: 'Postfix: SASL failures, rejects, pipelining abuse, non-SMTP clients, postscreen drops',
  programs: ['postfix', 'postscreen', 'smtpd'],
  programPattern: /^postfix[\w.-]*\//,
  needles: [
    'authentication failed',
    'reject: ',
    'improper command',
    'non-SMTP command',
    'too many errors',
    'PREGREET',
    'HANGUP after',
    ' LIMIT from',
  ],
  extract,
} satisfies Extractor;
