import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/** scanlogd: `SRC[:PORT] to DST ports P1, P2, ..., FLAGS, TOS xx[, TTL n] @HH:MM:SS`; SRC opens the line. */

const SCAN = /^([0-9A-Fa-f:.]+?)(?::\d+)? to [0-9A-Fa-f:.]+ ports? ((?:\d+, )*(?:\d+|\.\.\.))(?:, .*)?$/;

function extract(line: ParsedLine): Extracted {
  const m = SCAN.exec(line.message);
  if (!m) return null;
  const host = hostOf(m[1]);
  if (!host) return null;
  const ports = (m[2] as string)
    .split(', ')
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  return event('portscan', 'scan', host, 'scanlogd', line.time, { ports });
}

/** scanlogd extractor. */
export const scanlogd = {
  description: 'scanlogd: detected port scans with the ports tried',
  programs: ['scanlogd'],
  // scanlogd always writes `, TOS xx` after the flags; ` to ` alone would hit a tenth of any syslog.
  needles: [', TOS ', ' ports '],
  extract,
} satisfies Extractor;
