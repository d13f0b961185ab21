import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/** xinetd: `FAIL: SERVICE REASON from=ADDR` (access refused by libwrap, address rules, limits). */

const FAIL =
  /^FAIL: (\S+) (?:address|libwrap|access|time|per_source_limit|connections per second|service_limit)\b.* from=([0-9A-Fa-f:.]+)$/;

function extract(line: ParsedLine): Extracted {
  const m = FAIL.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[2]);
  return host ? event('portscan', 'refused', host, `xinetd/${m[1] as string}`, line.time) : null;
}

/** xinetd extractor. */
export const xinetd = {
  description: 'xinetd: refused connections per service',
  programs: ['xinetd'],
  needles: ['FAIL: '],
  extract,
} satisfies Extractor;
