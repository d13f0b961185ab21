import { describe, expect, it } from 'vitest';
import { makeZone } from '../../core/tz.ts';
import { Accountant } from '../account.ts';
import { attacksConfig } from '../config.ts';
import { AttackDetectors } from '../detect.ts';
import type { LocatedEvent } from '../account.ts';

const NOW = new Date(Date.UTC(2026, 10, 26, 12, 0, 0));

/** Events of lines read as tinyproxy's own log (the plan's hint for its file). */
function ownLog(lines: string[]) {
  const acc = new Accountant({ now: NOW, zone: makeZone('UTC'), hints: ['tinyproxy'] });
  const out: LocatedEvent[] = [];
  acc.scanText(lines.join('\n'), 1, (e) => out.push(e));
  return out;
}

describe('tinyproxy', () => {
  it('counts a client refused by its Allow list as a refused connection, in its own log with its time', () => {
    // The lines tinyproxy 1.11.1 (Debian 12) wrote for a client outside `Allow`, and for an allowed one.
    const got = ownLog([
      'CONNECT   Nov 26 11:59:58.412 [4242]: Connect (file descriptor 5): 192.0.2.9',
      'NOTICE    Nov 26 11:59:58.412 [4242]: Unauthorized connection from "192.0.2.9".',
      'CONNECT   Nov 26 11:59:59.001 [4243]: Connect (file descriptor 5): 127.0.0.1',
      'CONNECT   Nov 26 11:59:59.001 [4243]: Request (file descriptor 5): GET http://example.org/ HTTP/1.1',
    ]);
    expect(got.map((e) => [e.line, e.event.detector, e.event.kind, e.event.host, e.event.service])).toEqual([
      [2, 'portscan', 'refused', '192.0.2.9', 'tinyproxy'],
    ]);
    expect(new Date(got[0]?.event.time ?? 0).toISOString()).toBe('2026-11-26T11:59:58.000Z');
  });

  it("reads it under syslog's tag too, and 1.8's bracketed address rather than the name", () => {
    const acc = new Accountant({ now: NOW, zone: makeZone('UTC') });
    expect(
      acc.line('Nov 26 11:00:00 gw tinyproxy[77]: Unauthorized connection from "192.0.2.10".'),
    ).toMatchObject({ host: '192.0.2.10', service: 'tinyproxy' });
    expect(
      acc.line('Nov 26 11:00:01 gw tinyproxy[77]: Unauthorized connection from "evil.example" [192.0.2.11].'),
    ).toMatchObject({ host: '192.0.2.11' });
    // The quoted text is the last thing on the line: nothing after it can name another host.
    expect(
      acc.line('Nov 26 11:00:02 gw tinyproxy[77]: Unauthorized connection from "192.0.2.12". 1.2.3.4'),
    ).toBeNull();
  });

  it('makes a port-scan finding of an outsider refused again and again (maxretry: 20)', () => {
    const det = new AttackDetectors(attacksConfig.parse({}));
    const lines = Array.from(
      { length: 25 },
      (_, i) =>
        `NOTICE    Nov 26 11:00:${10 + i}.000 [${100 + i}]: Unauthorized connection from "198.51.100.40".`,
    );
    for (const e of ownLog(lines)) det.add({ ...e, source: '/var/log/tinyproxy/tinyproxy.log' });
    const r = det.finish();
    expect(r.findings.map((f) => [f.kind, f.status, f.host])).toEqual([
      ['attack-portscan', 'WARNING', '198.51.100.40'],
    ]);
  });
});
