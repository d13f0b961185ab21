import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHost } from '../core/host.ts';
import { encodeRecords } from '../logins/utmp.ts';
import { type DialupInspection, inspectDialup } from './check.ts';
import { dialupConfig } from './config.ts';

interface DemoRecord {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  time: string;
}
interface Demo {
  mgettyLogs: Record<string, string>;
  wtmpRecords: DemoRecord[];
  logMtime: string;
}
type DemoFn = (opts: { year: number; month: number; utcOffsetMinutes?: number; boots?: number[] }) => Demo;

const generator = pathToFileURL(path.resolve('examples/demo-root/scripts/demo-dialup.mjs')).href;

/** Writes the generator's output into a fresh tree, as the demo generator does, and inspects it. */
async function inspectTree(
  demo: Demo,
  now: Date,
  tz?: string,
): Promise<{ inspection: DialupInspection; root: string }> {
  const root = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-'));
  for (const [p, text] of Object.entries(demo.mgettyLogs)) {
    const file = path.join(root, p);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, new Date(demo.logMtime), new Date(demo.logMtime));
  }
  const wtmp = encodeRecords(demo.wtmpRecords.map((r) => ({ ...r, sec: Date.parse(r.time) / 1000 })));
  writeFileSync(path.join(root, 'var/log/wtmp'), wtmp);
  if (tz) {
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    writeFileSync(path.join(root, 'etc/timezone'), `${tz}\n`);
  }
  const host = makeHost({ root, name: 'demo', now });
  return { inspection: await inspectDialup(host, dialupConfig.parse({}), undefined), root };
}

describe('the demo generator', () => {
  let demoDialup: DemoFn;
  const roots: string[] = [];
  beforeAll(async () => {
    ({ demoDialup } = (await import(generator)) as { demoDialup: DemoFn });
  });
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('is deterministic and stays inside days 1-25 of the month, as the rest of the demo does', () => {
    const demo = demoDialup({ year: 2026, month: 11 });
    expect(demoDialup({ year: 2026, month: 11 })).toEqual(demo);
    const times = demo.wtmpRecords.map((r) => Date.parse(r.time));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.UTC(2026, 10, 1));
    expect(Math.max(...times, Date.parse(demo.logMtime))).toBeLessThan(Date.UTC(2026, 10, 26));
  });

  for (const [label, offset, tz] of [
    ['UTC', 0, undefined],
    ['Asia/Tokyo', 540, 'Asia/Tokyo'],
  ] as const) {
    it(`yields exactly the planned findings (${label} host)`, async () => {
      const boots = [Date.UTC(2026, 10, 3, 7, 58), Date.UTC(2026, 10, 17, 6, 30)];
      const demo = demoDialup({ year: 2026, month: 11, utcOffsetMinutes: offset, boots });
      const { inspection, root } = await inspectTree(demo, new Date('2026-12-01T00:00:00Z'), tz);
      roots.push(root);
      expect(inspection.problems).toEqual([]);
      const planned = inspection.findings.filter((f) => f.kind !== 'dialup-line-summary');
      expect(planned.map((f) => [f.kind, f.status, f.data.line])).toEqual([
        ['dialup-login-without-call', 'CRITICAL', 'ttyS0'],
        ['dialup-call-without-login', 'INFO', 'ttyS0'],
        ['dialup-modem-trouble', 'WARNING', 'ttyS0'],
        ['dialup-modem-trouble', 'WARNING', 'ttyS0'],
        ['dialup-modem-trouble', 'WARNING', 'ttyS0'],
      ]);
      const [intrusion, failed, ...trouble] = planned;
      expect(intrusion?.user).toBe('operator');
      expect(intrusion?.first).toBe(
        new Date(Date.UTC(2026, 10, 17, 3, 12, 40) - offset * 60_000).toISOString(),
      );
      expect(intrusion?.kind === 'dialup-login-without-call' && intrusion.data.pid).toBe(4444);
      expect(
        failed?.kind === 'dialup-call-without-login' && [failed.data.outcome, failed.data.loginName],
      ).toEqual(['login-failed', 'yanagi']);
      expect(trouble.map((f) => f.kind === 'dialup-modem-trouble' && [f.data.issue, f.data.count])).toEqual([
        ['dsr-off', 4],
        ['no-response', 1],
        ['init-failed', 4],
      ]);
      const dsr = trouble[0];
      expect(dsr?.summary).toMatch(
        /DSR off .* 4 times, 2026-11-10 02:14:06 … 2026-11-10 02:44:06 (UTC|Asia\/Tokyo)$/,
      );
      expect(dsr?.kind === 'dialup-modem-trouble' && dsr.data.advice).toMatch(
        /^check that the modem is powered on .* reset the modem$/,
      );

      // Every other login is matched to its call, by pid.
      const s0 = inspection.lines.find((l) => l.line === 'ttyS0');
      const s1 = inspection.lines.find((l) => l.line === 'ttyS1');
      expect(s0?.logins.length).toBe(15);
      expect(s0?.matches.length).toBe(14);
      expect(s0?.matches.every((m) => m.byPid)).toBe(true);
      expect(s0?.matches.map((m) => m.seconds)).toContain(118);
      expect(s1?.logins.map((l) => l.user)).toEqual(['kato', 'Uhonsha', 'kato']);
      expect(s1?.matches.length).toBe(3);
      expect(s1?.loginsWithoutCall).toEqual([]);
      expect(s1?.callsWithoutLogin).toEqual([]);
      const summaries = inspection.findings.filter((f) => f.kind === 'dialup-line-summary');
      expect(
        summaries.map(
          (f) =>
            f.kind === 'dialup-line-summary' && [
              f.data.line,
              f.data.calls,
              f.data.logins,
              f.data.matched,
              f.data.failures,
              f.data.fax,
              f.data.unanswered,
            ],
        ),
      ).toEqual([
        ['ttyS0', 15, 15, 14, 1, 0, 0],
        ['ttyS1', 4, 3, 3, 0, 1, 1],
      ]);
      const longest = summaries[0]?.kind === 'dialup-line-summary' ? summaries[0].data.longestSession : null;
      expect(longest).toMatchObject({ user: 'yanagi', seconds: 95 * 60, ongoing: false });
    });
  }
});
