/**
 * The FTP probe's PASV check, pure: parse a 227 reply, classify IPv4 addresses, and judge whether clients
 * that use PASV (and honour its address, as curl with --no-ftp-skip-pasv-ip, browsers and many GUI clients
 * do) can open data connections. basic-ftp lists with EPSV, which carries only a port, so a wrong
 * `pasv_address` never shows in the listing.
 */

/** Where an IPv4 address can be reached from. */
export type AddressScope = 'loopback' | 'private' | 'unroutable' | 'public';

/** The address and port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply, null when none. */
export function parsePasv(message: string): { host: string; port: number } | null {
  // Anchored at a number's start (no retry at every digit of a long run); each part at most 3 digits.
  const m = /(?<!\d)(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})(?!\d)/.exec(message);
  if (m === null) return null;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return null;
  return { host: n.slice(0, 4).join('.'), port: (n[4] ?? 0) * 256 + (n[5] ?? 0) };
}

/** `::ffff:1.2.3.4` (a dual-stack socket's IPv4 peer) as `1.2.3.4`; anything else unchanged. */
export function plainIPv4(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/**
 * Classifies a dotted IPv4 address: `loopback` (127/8), `private` (RFC 1918, shared 100.64/10, link-local
 * 169.254/16), `unroutable` (this-network 0/8, the documentation and benchmark nets, IETF 192.0.0/24,
 * multicast and reserved 224/3: no client anywhere reaches a data port there), else `public`.
 */
export function addressScope(ip: string): AddressScope {
  const [a = -1, b = -1, c = -1] = ip.split('.').map(Number);
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if ((a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)) return 'private';
  if (
    a === 0 ||
    a >= 224 ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  )
    return 'unroutable';
  return 'public';
}

/** What connecting to the PASV address from the probe gave: `ok`, or why not (`connection refused`). */
export type Reach = { ok: true } | { ok: false; why: string };

/** The PASV check's verdict: a WARNING text, or a note for the summary (null when nothing to say). */
export interface PasvVerdict {
  warning: string | null;
  note: string | null;
}

const HINT =
  'clients that use PASV cannot open data connections (vsftpd pasv_address, ProFTPD MasqueradeAddress?)';

/** The warning no connection can change: an address no client, or no client outside, can use. */
function staticWarning(pasv: { host: string; port: number }, server: string): string | null {
  const to = addressScope(pasv.host);
  const from = addressScope(server);
  const said = `PASV answers ${pasv.host}:${pasv.port} but the server is ${server}`;
  if (to === 'unroutable') return `${said} (an address no client can reach): ${HINT}`;
  if (to === 'loopback' && from !== 'loopback') return `${said} (a loopback address): ${HINT}`;
  if (to === 'private' && from === 'public') {
    return `${said} (a private address): clients outside its network that use PASV cannot open data connections (vsftpd pasv_address, ProFTPD MasqueradeAddress?)`;
  }
  return null;
}

/**
 * Whether `pasv` is one of this host's own addresses (`local`: its interfaces' addresses, loopback left out)
 * while the probe reached the server over loopback, so that the server is this host. Such a pasv_address
 * (the LAN or public address of the host, the usual setting) serves the clients that come in at it; the
 * probe cannot try it, since vsftpd listens for the data connection on the address the control
 * connection came to (127.0.0.1), where curl over loopback fails as well.
 */
function ownAddress(pasv: { host: string }, server: string, local: ReadonlySet<string>): boolean {
  return addressScope(server) === 'loopback' && local.has(pasv.host);
}

/**
 * Whether judging `pasv` needs a connection to it: a different address that is neither wrong on its
 * face nor this host's own (`local`, see judgePasv).
 */
export function pasvNeedsConnect(
  pasv: { host: string; port: number },
  server: string,
  local: ReadonlySet<string>,
): boolean {
  return pasv.host !== server && !ownAddress(pasv, server, local) && staticWarning(pasv, server) === null;
}

/**
 * Judges a PASV answer `pasv` against `server`, the address the control connection went to. The same
 * address is fine. A different one is a WARNING when no client could use it (an unroutable address, a
 * loopback address of a server reached over the network, a private address of a server reached at a
 * public one), and otherwise only when the probe could not connect to it (`reach`; null when not tried).
 * A public address of a server the probe reached at a private or loopback one is the usual set-up behind
 * NAT: clients outside use it, and a router without hairpin NAT drops or refuses it from inside, so that
 * is a note, not a warning. So is an address of this host's own (`local`: its interfaces' IPv4 addresses)
 * when the probe reached it over loopback: the host's LAN or public address, which its clients use.
 */
export function judgePasv(
  pasv: { host: string; port: number },
  server: string,
  reach: Reach | null,
  local: ReadonlySet<string>,
): PasvVerdict {
  if (pasv.host === server) return { warning: null, note: null };
  const at = `${pasv.host}:${pasv.port}`;
  if (ownAddress(pasv, server, local))
    return { warning: null, note: `PASV answers ${at}, an address of this host` };
  const fixed = staticWarning(pasv, server);
  if (fixed !== null) return { warning: fixed, note: null };
  if (reach === null) return { warning: null, note: `PASV answers ${at} (not tried: no time left)` };
  if (reach.ok) return { warning: null, note: `PASV answers ${at}` };
  if (addressScope(pasv.host) === 'public' && addressScope(server) !== 'public') {
    return { warning: null, note: `PASV answers public ${at} (behind NAT?), ${reach.why} from here` };
  }
  return {
    warning: `PASV answers ${at} but the server is ${server} (${reach.why}): ${HINT}`,
    note: null,
  };
}
