import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * Tinyproxy (its own log, or syslog's `tinyproxy[pid]:`): a client outside its `Allow` list is refused with
 * `Unauthorized connection from "ADDR".` (1.10+; 1.8 wrote `"NAME" [ADDR].`), an outsider looking for an
 * open proxy: a refused connection, as tcp_wrappers' are. The address is the socket's, written by tinyproxy.
 * Its request lines (`Request (file descriptor 5): GET ...`) carry neither client nor answer, so they are
 * not read.
 */

// Anchored at the end: only the message's last quoted text (and 1.8's bracketed address) is the client's.
const UNAUTHORIZED = /(?:^|\]: )Unauthorized connection from "([^"]*)"(?: \[([^\]]*)\])?\.?$/;

function extract(line: ParsedLine): Extracted {
  const m = UNAUTHORIZED.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2] ?? m[1]);
  return host ? event('portscan', 'refused', host, 'tinyproxy', line.time) : null;
}

/** Tinyproxy's extractor. */
export const tinyproxy = {
  description: 'Tinyproxy: clients refused by its Allow list',
  programs: ['tinyproxy'],
  needles: ['Unauthorized connection from'],
  extract,
} satisfies Extractor;
