import { hostOf } from '../host.ts';
import { event, type AttackEvent, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { linear, linearWhere } from './linear.ts';

/**
 * sendmail (`sm-mta`, `sendmail`, `sm-acceptingconnections`): AUTH failures and attacks, relay/recipient
 * rejects (`ruleset=check_*`), EXPN/VRFY refusals, pre-greeting traffic, null connections, and unknown
 * recipients tied to the session's later `from=... nrcpts=0, ... relay=` line by queue id. The host is the
 * bracketed address of the `relay=` field (or of the line's `NAME [ADDR]:` prefix); names are reverse DNS.
 */

const SERVICE = 'sendmail';
const QID = '(?:(\\w+): )?';
const RELAY = 'relay=(?:\\S+ )?\\[(?:IPv6:)?([^\\]\\s]+)\\](?: \\(may be forged\\))?';
const ATTACK = new RegExp(
  `^${QID}(?:\\S+ )?\\[(?:IPv6:)?([^\\]\\s]+)\\](?: \\(may be forged\\))?: possible SMTP attack: command=(\\w+), count=\\d+$`,
);
// AUTH_FAILURE and FROM_LINE on the linear engine where their fixed text is (`.*?(?:, user=(.*))?` and
// `from=.*, nrcpts=0, .*relay=` were quadratic, or ~30 µs a character on V8's fallback).
const AUTH_FAILURE = linearWhere(
  (s) => s.includes('AUTH failure ('),
  new RegExp(`^${QID}AUTH failure \\(\\S+\\): .*?(?:, user=(.*))?, ${RELAY}$`),
);
const RULESET = new RegExp(
  `^${QID}ruleset=check_\\w+, arg1=(<[^>]*>|[^,]*), (?:arg2=[^,]*, )?${RELAY}, reject=[45]\\d\\d `,
);
const EXPN = new RegExp(
  `^${QID}(?:\\S+ )?\\[(?:IPv6:)?([^\\]\\s]+)\\](?: \\(may be forged\\))?: (?:EXPN|VRFY|expn|vrfy) (.*) \\[rejected\\]$`,
);
// `(?:\S*) ?\[` tried every `[` of a long word from every position of it (quadratic): the linear engine.
const PREGREET = linear(
  new RegExp(
    `^${QID}rejecting commands from (?:\\S*) ?\\[(?:IPv6:)?([^\\]\\s]+)\\] due to pre-greeting traffic`,
  ),
);
const NULL_CONN = new RegExp(
  `^${QID}(?:Null connection from )?(?:\\S+ )?\\[(?:IPv6:)?([^\\]\\s]+)\\](?: \\(may be forged\\))?(?: did not issue MAIL/EXPN/VRFY/ETRN during connection to \\S+)?$`,
);
const UNKNOWN_USER = /^(\w+): <(.*)>\.\.\. (?:User unknown|No such user here)$/;
const FROM_LINE = linearWhere(
  (s) => s.includes(', nrcpts=0, '),
  new RegExp(`^(\\w+): from=.*, nrcpts=0, .*${RELAY}$`),
);

function reject(host: string | null, line: ParsedLine, user?: string): AttackEvent | null {
  return host ? event('bruteforce', 'reject', host, SERVICE, line.time, { user }) : null;
}

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if ((m = AUTH_FAILURE.exec(msg))) {
    const host = hostOf(m[3]);
    return host ? event('bruteforce', 'failure', host, SERVICE, line.time, { user: m[2] }) : null;
  }
  if ((m = ATTACK.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, SERVICE, line.time) : null;
  }
  if ((m = RULESET.exec(msg))) return reject(hostOf(m[3]), line, m[2]);
  if ((m = EXPN.exec(msg))) return reject(hostOf(m[2]), line, m[3]);
  if (msg.includes('rejecting commands from ') && (m = PREGREET.exec(msg)))
    return host2scan(hostOf(m[2]), line);
  if ((msg.includes('Null connection') || msg.includes('did not issue')) && (m = NULL_CONN.exec(msg))) {
    return host2scan(hostOf(m[2]), line);
  }
  if ((m = UNKNOWN_USER.exec(msg))) {
    return {
      note: 'pending',
      key: `sendmail:${m[1]}`,
      event: {
        detector: 'bruteforce',
        kind: 'reject',
        service: SERVICE,
        attempts: 1,
        time: line.time,
        user: m[2] as string,
      },
    };
  }
  if ((m = FROM_LINE.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? { note: 'close', key: `sendmail:${m[1]}`, host, time: line.time } : null;
  }
  return null;
}

function host2scan(host: string | null, line: ParsedLine): AttackEvent | null {
  return host ? event('portscan', 'refused', host, SERVICE, line.time) : null;
}

/** sendmail extractor. */
export const sendmail = {
  description: 'sendmail: AUTH failures, SMTP attacks, relay/recipient rejects, EXPN/VRFY, null connections',
  programs: ['sendmail', 'sm-mta', 'sm-acceptingconnections', 'sm-msp-queue'],
  needles: [
    'AUTH failure',
    'possible SMTP attack',
    'ruleset=check_',
    '[rejected]',
    'pre-greeting',
    'Null connection from',
    'did not issue',
    'User unknown',
    'No such user',
    'nrcpts=0',
  ],
  extract,
} satisfies Extractor;
