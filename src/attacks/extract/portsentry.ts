import { hostOf } from '../host.ts';
import { event, type Extracted, type Extractor, type ParsedLine } from '../types.ts';

/**
 * PortSentry: its history file (`EPOCH - MM/DD/YYYY HH:MM:SS Host: NAME/ADDR Port: N TCP Blocked`) and syslog
 * `attackalert: ... from host: NAME/ADDR to TCP port: N`. NAME is reverse DNS; ADDR follows the last `/`.
 */

const HISTORY =
  /^(\d+) - \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d Host: (?:\S*)\/([^\s/]+) Port: (\d+) (?:TCP|UDP) Blocked$/;
const ALERT = /^attackalert: .* from host: (?:\S*)\/([^\s/]+) to (?:TCP|UDP) port: (\d+)$/;

function extract(line: ParsedLine): Extracted {
  let m = HISTORY.exec(line.message);
  if (m) {
    const host = hostOf(m[2]);
    const time = line.time ?? Number(m[1]) * 1000;
    return host ? event('portscan', 'scan', host, 'portsentry', time, { port: Number(m[3]) }) : null;
  }
  m = ALERT.exec(line.message);
  if (m) {
    const host = hostOf(m[1]);
    return host ? event('portscan', 'scan', host, 'portsentry', line.time, { port: Number(m[2]) }) : null;
  }
  return null;
}

/** PortSentry extractor. */
export const portsentry = {
  description: 'PortSentry: blocked hosts and attack alerts',
  programs: ['portsentry'],
  needles: ['Blocked', 'attackalert'],
  extract,
} satisfies Extractor;
