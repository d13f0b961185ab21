import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { passwdPath } from '../probes.ts';
import { hasBreak } from './linear.ts';

/**
 * vsftpd: its own log (`[pid N] [user] FAIL LOGIN: Client "HOST"`), the same text through syslog, and with
 * `log_ftp_protocol` the `FTP command: Client "HOST", "RETR /etc/passwd"` lines. The user name in brackets
 * is client data; the client address is the last `Client "..."` of the line, ending it.
 */

const FAIL = /^.*FAIL LOGIN: Client "([^"\s]+)"(?:, "[^"]*")?$/;
const OK_AT = '] OK LOGIN: Client "';
const OK_TAIL = /([^"\s]+)"(?:, .*)?$/y;
const COMMAND = /^.*FTP command: Client "([^"\s]+)", "(?:RETR|SIZE|MDTM) (.*)"$/;
const PID = /\[pid \d+\] \[/g;

/**
 * `[USER] OK LOGIN: Client "HOST"[, ...]` ending the line: USER and HOST as `/^.*\[(.*)\] OK LOGIN: Client
 * "([^"\s]+)"(?:, .*)?$/` took them (the last such `] OK LOGIN` whose tail follows, the last `[` before it),
 * without that pattern's quadratic time over a line of `[[[...`.
 */
function okLogin(msg: string): { user: string; host: string } | null {
  if (hasBreak(msg)) return null;
  for (let q = msg.lastIndexOf(OK_AT); q >= 0; q = q > 0 ? msg.lastIndexOf(OK_AT, q - 1) : -1) {
    OK_TAIL.lastIndex = q + OK_AT.length;
    const t = OK_TAIL.exec(msg);
    if (!t) continue;
    const p = q > 0 ? msg.lastIndexOf('[', q - 1) : -1;
    return p < 0 ? null : { user: msg.slice(p + 1, q), host: t[1] as string };
  }
  return null;
}

/**
 * The user of `[pid N] [USER] FAIL LOGIN` (the first `[pid N] [` to the first `] FAIL LOGIN` after it), as
 * `/\[pid \d+\] \[(.*?)\] FAIL LOGIN/` took it from a line FAIL matched (no line break), in linear time.
 */
function failUser(msg: string): string | undefined {
  PID.lastIndex = 0;
  const p = PID.exec(msg);
  if (!p) return undefined;
  const from = p.index + p[0].length;
  const e = msg.indexOf('] FAIL LOGIN', from);
  return e < 0 ? undefined : msg.slice(from, e);
}

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if ((m = FAIL.exec(msg))) {
    const host = hostOf(m[1]);
    const u = failUser(msg);
    return host ? event('bruteforce', 'failure', host, 'vsftpd', line.time, { user: u }) : null;
  }
  const ok = okLogin(msg);
  if (ok) {
    const host = hostOf(ok.host);
    return host ? event('bruteforce', 'success', host, 'vsftpd', line.time, { user: ok.user }) : null;
  }
  // COMMAND ends in `"$`: without it, its `(.*)"$` ran to the end from every `FTP command` of the line.
  if (msg.endsWith('"') && !hasBreak(msg) && (m = COMMAND.exec(msg)) && passwdPath(m[2] as string)) {
    const host = hostOf(m[1]);
    return host ? event('passwd', 'probe', host, 'vsftpd', line.time, { path: m[2] }) : null;
  }
  return null;
}

/** vsftpd extractor. */
export const vsftpd = {
  description: 'vsftpd: FAIL LOGIN / OK LOGIN, RETR of the password file',
  programs: ['vsftpd'],
  needles: ['FAIL LOGIN', 'OK LOGIN', 'FTP command'],
  extract,
} satisfies Extractor;
