import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { linear } from './linear.ts';

/**
 * Courier: `imapd|pop3d...: LOGIN FAILED, user=U, ip=[ADDR]` (ADDR ends the line; U is client data before
 * it) and `courieresmtpd: error,relay=ADDR,...: 550 User unknown | msg="535 Authentication failed."`
 * (ADDR is the first field).
 */

const LOGIN = /^LOGIN FAILED, (?:user=(.*), |method=\S+, )?ip=\[([^\]\s]+)\](?:, port=\[\d+\])?$/;
// Its `from=<.*>,to=<.*>` was quadratic over a line of `>,to=<` on the backtracking engine.
const SMTP = linear(
  /^error,relay=([0-9A-Fa-f:.]+),(?:port=\d+,)?(?:ident=[^,]*,)?(?:from=<.*>,to=<.*>: 550 User (?:<.*> )?unknown\.?|msg="535 Authentication failed\.",cmd: .*)$/,
);

function extract(line: ParsedLine): Extracted {
  let m = LOGIN.exec(line.message);
  if (m) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, 'courier', line.time, { user: m[1] }) : null;
  }
  m = line.message.startsWith('error,relay=') ? SMTP.exec(line.message) : null;
  if (m) {
    const host = hostOf(m[1]);
    return host
      ? event(
          'bruteforce',
          line.message.includes('535 Authentication failed') ? 'failure' : 'reject',
          host,
          'courier',
          line.time,
        )
      : null;
  }
  return null;
}

/** Courier extractor. */
export const courier = {
  description: 'Courier IMAP/POP3/ESMTP: failed logins and unknown recipients',
  programs: [
    'imapd',
    'imapd-ssl',
    'pop3d',
    'pop3d-ssl',
    'courierpop3login',
    'courierimaplogin',
    'courieresmtpd',
    'courier-imapd',
    'courier-pop3d',
  ],
  needles: ['LOGIN FAILED', 'error,relay='],
  extract,
} satisfies Extractor;
