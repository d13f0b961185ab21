import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * tcp_wrappers (tcpd and every daemon linked with libwrap: in.telnetd, in.ftpd, ipop3d, in.fingerd, imapd...,
 * under the daemon's own tag) and the inetds that call libwrap themselves (FreeBSD's, NetBSD's,
 * openbsd-inetd). Only refusals count (`connect from` of an allowed connection is not an attack):
 * - libwrap's `refused connect from CLIENT` and, with IPv6 support, `refused connect from CLIENT (ADDR)`;
 * - inetd's `refused connection from CLIENT[(ADDR)], service SVC (tcp|udp[6])`.
 * CLIENT is `[USER@]HOST`: USER comes from the client's identd and HOST from reverse DNS (libwrap prints the
 * address when the name is unknown or does not verify). ADDR, when logged, is the host; else the part of
 * CLIENT after its last `@`. Neither holds a space, so the fixed text around them cannot be forged.
 */

const LIBWRAP = /^refused connect from (\S+?)(?: \(([^()\s]+)\))?$/;
const INETD = /^refused connection from (\S*?)(?:\(([^()\s]+)\))?, service (\S+) \((?:tcp|udp)6?\)$/;

/** The host of a refusal: its address in parentheses, else the client after its last `@`. */
function hostOfClient(client: string, addr: string | undefined): string | null {
  const token = addr ?? client.slice(client.lastIndexOf('@') + 1);
  // libwrap's placeholder when it knows neither name nor address.
  if (token === 'unknown' || token === 'paranoid') return null;
  return hostOf(token);
}

function extract(line: ParsedLine): Extracted {
  const msg = line.message;
  let m = LIBWRAP.exec(msg);
  if (m) {
    const host = hostOfClient(m[1] as string, m[2]);
    return host ? event('portscan', 'refused', host, line.program || 'tcpd', line.time) : null;
  }
  m = INETD.exec(msg);
  if (m) {
    const host = hostOfClient(m[1] as string, m[2]);
    return host
      ? event('portscan', 'refused', host, `${line.program || 'inetd'}/${m[3] as string}`, line.time)
      : null;
  }
  return null;
}

/**
 * tcp_wrappers extractor. Its lines come under any daemon's tag, so the accounting also tries it on a
 * `refused connect...` message that the tag's own family did not read (see Accountant.parsed).
 */
export const tcpd = {
  description: 'tcp_wrappers (tcpd, libwrap daemons, inetd): refused connections per service',
  programs: ['tcpd', 'inetd'],
  needles: ['refused connect'],
  extract,
} satisfies Extractor;
