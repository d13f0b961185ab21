import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { linearWhere } from './linear.ts';

/**
 * Exim mainlog (own file or syslog): authenticator failures, AUTH when not advertised, rejected RCPT, sender
 * verify failures, dropped SMTP calls, DROP in ACL. Exim writes the client as `[NAME ][(HELO) ][ADDR]`; HELO
 * is client data but holds no spaces (Exim refuses it otherwise), and the rest of each message is matched to
 * its end, so a quoted command such as `"AUTH x" H=(y) [6.6.6.6]` cannot stand in for the real client.
 */

const SERVICE = 'exim';
const LEAD =
  '^(?:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? )?(?:\\[\\d+\\] )?(?:[\\w]{6}-[\\w]{6,11}-[\\w]{2,4} )?';
const CLIENT = '(?:[^\\s\\[\\]()]+ )?(?:\\([^\\s()]*\\) )?\\[([0-9A-Fa-f:.]+)\\](?::\\d+)?';
const IFACE = '(?: I=\\[[0-9A-Fa-f:.]+\\](?::\\d+)?)?(?: Ci=\\d+)?';
const AUTHENTICATOR = new RegExp(
  `${LEAD}(\\S+) authenticator failed for ${CLIENT}${IFACE}: 535 Incorrect authentication data(?: \\(set_id=(.*)\\))?(?:: \\d+ Time\\(s\\))?$`,
);
const PROTOCOL_ERROR = new RegExp(
  `${LEAD}SMTP protocol error in "(.*?)" H=${CLIENT}${IFACE} (?:AUTH command used when not advertised|\\S+ authentication mechanism not supported)$`,
);
const RCPT_REJECT = new RegExp(
  `${LEAD}H=${CLIENT}${IFACE}(?: CV=\\S+)?(?: SNI=\\S+)?(?: F=<?[^\\s>]*>?)? rejected RCPT <?[^\\s>]*>?: (?:relay not permitted|Unrouteable address|Unknown user|Sender verify failed|.*)$`,
);
const SENDER_VERIFY = new RegExp(`${LEAD}H=${CLIENT}${IFACE} sender verify fail for <[^>]*>: .*$`);
const DROPPED = new RegExp(
  `${LEAD}SMTP call from ${CLIENT}${IFACE} dropped: too many (?:nonmail commands|syntax or protocol errors|unrecognized commands)`,
);
const DROP_ACL = new RegExp(
  `${LEAD}(?:SMTP connection from ${CLIENT}${IFACE} closed by DROP in ACL|H=${CLIENT}${IFACE} dropped by '\\w+' ACL: .*)$`,
);
// On the linear engine where it can match: `\(.*?\): rejected ... input=".*"$` was quadratic.
const SYNC = linearWhere(
  (s) => s.includes('SMTP protocol synchronization error ('),
  new RegExp(
    `${LEAD}SMTP protocol synchronization error \\(.*?\\): rejected (?:connection from|"[^"]*") H=${CLIENT}${IFACE} (?:next )?input=".*"$`,
  ),
);

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if ((m = AUTHENTICATOR.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[3] }) : null;
  }
  if ((m = PROTOCOL_ERROR.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, SERVICE, line.time) : null;
  }
  for (const re of [RCPT_REJECT, SENDER_VERIFY, DROPPED, DROP_ACL, SYNC]) {
    if ((m = re.exec(msg))) {
      const host = hostOf(m[1] ?? m[2]);
      return host ? event('bruteforce', 'reject', host, SERVICE, line.time) : null;
    }
  }
  return null;
}

/** Exim extractor. */
export const exim = {
  description: 'Exim: authenticator failures, AUTH misuse, rejected RCPT, dropped SMTP calls',
  programs: ['exim', 'exim4'],
  needles: [
    'authenticator failed',
    'SMTP protocol error',
    'rejected RCPT',
    'sender verify fail',
    'dropped',
    'DROP in ACL',
    'synchronization error',
  ],
  extract,
} satisfies Extractor;
