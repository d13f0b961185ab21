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
 *
 * Also the runbook's port-scan phrases, under any daemon's tag: a connection closed before a word was said,
 * `[SVC/tcp: ]null connection from HOST` and `eof received from HOST[ (port N)]` (a scanner's connect and
 * close). The host is the message's last word (before the port), which the daemon writes.
 */

const LIBWRAP = /^refused connect from (\S+?)(?: \(([^()\s]+)\))?$/;
const INETD = /^refused connection from (\S*?)(?:\(([^()\s]+)\))?, service (\S+) \((?:tcp|udp)6?\)$/;
const SILENT =
  /^(?:([\w.-]+)\/(?:tcp|udp)6?: )?(?:null connection|eof received) from (\S+?)(?: \(port (\d{1,5})\))?\.?$/;

/** Whether a message under any tag may be one of this family's (the accounting's fallback after the tag's own). */
export function tcpdLike(message: string): boolean {
  return (
    message.startsWith('refused conn') ||
    message.includes('null connection from ') ||
    message.includes('eof received from ')
  );
}

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
  m = SILENT.exec(msg);
  if (m) {
    const host = hostOf(m[2]);
    const program = line.program || 'inetd';
    const port = m[3] === undefined ? undefined : Number(m[3]);
    return host
      ? event('portscan', 'refused', host, m[1] === undefined ? program : `${program}/${m[1]}`, line.time, {
          port,
        })
      : null;
  }
  return null;
}

/**
 * tcp_wrappers extractor. Its lines come under any daemon's tag, so the accounting also tries it on a
 * message that the tag's own family did not read (`tcpdLike`, see Accountant.parsed).
 */
export const tcpd = {
  description:
    'tcp_wrappers (tcpd, libwrap daemons, inetd): refused connections per service; null connections, eof received',
  programs: ['tcpd', 'inetd'],
  needles: ['refused connect', 'null connection from ', 'eof received from '],
  extract,
} satisfies Extractor;
