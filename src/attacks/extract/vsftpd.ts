import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';
import { passwdPath } from '../probes.ts';

/**
 * vsftpd: its own log (`[pid N] [user] FAIL LOGIN: Client "HOST"`), the same text through syslog, and with
 * `log_ftp_protocol` the `FTP command: Client "HOST", "RETR /etc/passwd"` lines. The user name in brackets
 * is client data; the client address is the last `Client "..."` of the line, ending it.
 */

const FAIL = /^.*FAIL LOGIN: Client "([^"\s]+)"(?:, "[^"]*")?$/;
const OK = /^.*\[(.*)\] OK LOGIN: Client "([^"\s]+)"(?:, .*)?$/;
const COMMAND = /^.*FTP command: Client "([^"\s]+)", "(?:RETR|SIZE|MDTM) (.*)"$/;
const USER = /\[pid \d+\] \[(.*?)\] FAIL LOGIN/;

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m: RegExpExecArray | null;
  if ((m = FAIL.exec(msg))) {
    const host = hostOf(m[1]);
    const u = USER.exec(msg)?.[1];
    return host ? event('bruteforce', 'failure', host, 'vsftpd', line.time, { user: u }) : null;
  }
  if ((m = OK.exec(msg))) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'success', host, 'vsftpd', line.time, { user: m[1] }) : null;
  }
  if ((m = COMMAND.exec(msg)) && passwdPath(m[2] as string)) {
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
