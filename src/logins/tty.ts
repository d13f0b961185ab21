/**
 * What kind of line a wtmp `ut_line` (or login(1)'s `LOGIN ON <tty>`) names. The reconciliation with the auth
 * log judges pseudo-terminals only: that is where sshd, telnetd and rlogind put a network login, old ones
 * included (Linux's legacy BSD-style `ttyp0`..`ttyef` before devpts, as on a 1990s host with in.telnetd).
 * Serial lines (`ttyS0`, `ttyUSB0`) belong to the dial-up check, which matches their logins with mgetty's calls
 * (mgetty leaves the caller id or connect string in ut_host, and login(1) logs no `FROM` there); consoles
 * have no remote host; anything else (`ftp1234` of wu-ftpd, `vsftpd:77`) is no terminal login at all.
 */

/** The kinds of line, each with the names it covers (first match wins). */
const TTY_KINDS = {
  /** devpts (`pts/3`) and the legacy BSD-style pairs `/dev/tty[p-za-e][0-9a-f]`. */
  pty: /^(?:pts\/\d+|tty[p-za-e][0-9a-f])$/,
  /** 8250/16550 UARTs, USB serial adapters and modems, ARM UARTs: where mgetty answers calls. */
  serial: /^tty(?:S|USB|ACM|AMA)\d+$/,
  /** Virtual consoles and the system console. */
  console: /^(?:tty\d+|console|vc\/\d+)$/,
} as const;

/** A line's kind, or `other` for one none of them names. */
export type TtyKind = keyof typeof TTY_KINDS | 'other';

/** The kind of a line as wtmp or login(1) writes it (`pts/0`, `ttyp0`, `ttyS0`, `tty1`; `/dev/` allowed). */
export function ttyKind(line: string): TtyKind {
  const name = line.startsWith('/dev/') ? line.slice(5) : line;
  for (const [kind, re] of Object.entries(TTY_KINDS)) if (re.test(name)) return kind as TtyKind;
  return 'other';
}

/** Whether a line is a pseudo-terminal: where a network login (ssh, telnet, rlogin) gets its terminal. */
export function isPseudoTerminal(line: string): boolean {
  return ttyKind(line) === 'pty';
}
