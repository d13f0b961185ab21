import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Samba 4 authentication audit lines (`Auth: [SMB2,(null)] user [DOM]\[U] at [...] with [NTLMv2] status
 * [NT_STATUS_WRONG_PASSWORD] workstation [W] remote host [ipv4:ADDR:PORT] ...`). The remote host field is
 * Samba's own; user and workstation are client data before it, so the status and the remote host are read
 * from their fixed order: the first `status [...]` then the first `remote host [...]` after it.
 */

const FAILED_STATUS =
  /status \[NT_STATUS_(WRONG_PASSWORD|NO_SUCH_USER|LOGON_FAILURE|ACCOUNT_LOCKED_OUT|ACCOUNT_DISABLED|PASSWORD_EXPIRED)\] workstation \[.*?\] remote host \[ipv[46]:(.+?):\d+\]/;
const USER = /user \[(.*?)\]\\\[(.*?)\] at \[/;
const OK_STATUS = /status \[NT_STATUS_OK\] workstation \[.*?\] remote host \[ipv[46]:(.+?):\d+\]/;

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  if (!msg.includes('Auth: [') && !msg.includes('Authentication for user')) return null;
  const u = USER.exec(msg)?.[2];
  let m = FAILED_STATUS.exec(msg);
  if (m) {
    const host = hostOf(m[2]);
    return host ? event('bruteforce', 'failure', host, 'samba', line.time, { user: u }) : null;
  }
  m = OK_STATUS.exec(msg);
  if (m && u !== undefined && u !== '' && !u.startsWith('ANONYMOUS')) {
    const host = hostOf(m[1]);
    return host ? event('bruteforce', 'success', host, 'samba', line.time, { user: u }) : null;
  }
  return null;
}

/** Samba extractor. */
export const samba = {
  description: 'Samba: failed SMB/NTLM authentications (auth audit log)',
  programs: ['smbd', 'samba', 'winbindd'],
  needles: ['NT_STATUS_'],
  extract,
} satisfies Extractor;
