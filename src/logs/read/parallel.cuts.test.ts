import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicePlan, testPlan } from '../../../test/helpers/plan.ts';
import { summaryJson, totalsOf } from '../../cli/commands/scan.ts';
import { makeHost } from '../../core/host.ts';
import { logsConfig } from '../config.ts';
import { planSources, runEngine } from '../engine.ts';
import { compileRules } from '../scan/rules.ts';
import { scanWorkerPath } from './parallel.ts';

/*
 * Where a big read is cut into parts (parallel.ts) depends on the file's size and the machine's cores, so
 * the `scan --format json` summary must be byte for byte the same wherever the cut falls: here the same
 * log is cut at every line around the awkward ones (a CRLF line, a line longer than the read buffer, lines
 * without a time of their own, equal-count top messages, the hour the clocks fall back over) and each
 * summary compared with the one thread's. The worker is dist/scan-worker.js, built by the tests' setup.
 */

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tenken-cuts-'));
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const plan = testPlan([
  servicePlan('sendmail', { syslog: ['sendmail'] }),
  servicePlan('sshd', { syslog: ['sshd'] }),
]);
const CHUNK = 4096;

/** The summary `tenken scan --all --format json` prints for the live syslog, cut at `at` (none: one thread). */
async function summary(at?: number[]): Promise<string> {
  const host = makeHost({ root, name: 'gw', now: new Date('2026-11-25T00:00:00Z'), env: {} });
  const config = { ...logsConfig.parse({ samples: 3, top: 3 }), unmatched: 'host' as const };
  const rules = compileRules(config);
  const result = await runEngine({
    host,
    plan,
    config,
    rules,
    timeZone: 'Europe/Berlin',
    sources: await planSources(host, plan),
    mode: { kind: 'all' },
    journal: 'off',
    countLines: true,
    consumeTrailing: true,
    noIgnore: false,
    chunk: CHUNK,
    threads: at === undefined ? 1 : 2,
    ...(at !== undefined ? { splitAt: at } : {}),
  });
  return JSON.stringify(summaryJson(result, rules, totalsOf(result.stats, rules), config.top), null, 2);
}

/** Lines of the log, and the indexes of those a cut must be tried around. */
function craft(): { lines: string[]; marks: number[] } {
  const lines: string[] = [];
  const marks: number[] = [];
  const mark = () => marks.push(lines.length);
  // Local times of 25 October 2026 in Berlin: 02:xx comes twice (CEST, then CET). Not yet tried: west of
  // UTC (New York's 1 November 01:xx), a part that starts in the second pass reads its first lines as the
  // first pass, where one thread reads them as the second (ctx.years.last is not carried into a part).
  const stamp = (h: number, m: number) =>
    `Oct 25 ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00 gw`;
  let pid = 100;
  for (let m = 30; m < 60; m += 3) lines.push(`${stamp(1, m)} sshd[${pid++}]: Failed password for root`);
  for (let m = 0; m < 60; m += 6) lines.push(`${stamp(2, m)} sshd[${pid++}]: Failed password for bob`);
  for (let m = 0; m < 60; m += 6) {
    if (m < 20) mark();
    lines.push(`${stamp(2, m)} sshd[${pid++}]: Failed password for alice`);
  }
  // Equal-count messages: the top 3 of 6 ties is decided by the message, never by which part saw it first.
  const ties = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  for (let round = 0; round < 2; round++)
    for (const [i, w] of (round === 0 ? ties : [...ties].reverse()).entries()) {
      mark();
      lines.push(`${stamp(3, i + round * 10)} sendmail[${pid++}]: warning: ${w} timed out`);
    }
  // CRLF lines, and a line without a time of its own after each (it takes the time of the line before).
  for (let i = 0; i < 4; i++) {
    mark();
    lines.push(`${stamp(4, i)} sendmail[${pid++}]: SYSERR(root): timeout waiting for input\r`);
    mark();
    lines.push(`    at smtp.c:${i} error in the line above\r`);
  }
  // A line longer than the read buffer, with keywords at both ends, and a timeless line after it.
  mark();
  lines.push(`${stamp(5, 0)} sshd[${pid++}]: error ${'x'.repeat(3 * CHUNK)} invalid`);
  mark();
  lines.push('    continued: refused');
  // Plain lines, some without a keyword, and lines of no program.
  for (let i = 0; i < 12; i++) {
    if (i % 4 === 0) mark();
    lines.push(
      i % 3 === 0
        ? `${stamp(6, i)} gw kernel: error on sda${i}`
        : i % 3 === 1
          ? `${stamp(6, i)} systemd[1]: Started session ${i}.`
          : `${stamp(6, i)} sshd[${pid++}]: Invalid user u${i} from 192.0.2.${i}`,
    );
  }
  return { lines, marks };
}

describe('a big log read in parts', () => {
  it('prints the same summary as one thread wherever the read is cut', async () => {
    expect(scanWorkerPath()).not.toBeNull();
    const { lines, marks } = craft();
    const text = `${lines.join('\n')}\n`;
    const file = path.join(root, 'var/log/syslog');
    writeFileSync(file, text, 'latin1');
    utimesSync(file, new Date('2026-11-24T23:59:00Z'), new Date('2026-11-24T23:59:00Z'));
    const starts: number[] = [];
    let at = 0;
    for (const l of lines) {
      starts.push(at);
      at += Buffer.byteLength(l, 'latin1') + 1;
    }
    const one = await summary();
    const counted = JSON.parse(one) as { categories: { invalid: { count: number } } };
    expect(counted.categories.invalid.count).toBeGreaterThan(20); // not two empty summaries
    // At each marked line's start, inside it (the cut moves to the next line start), and a line later.
    const cuts = [...new Set(marks.flatMap((i) => [starts[i], (starts[i] as number) + 5, starts[i + 1]]))];
    const differ: number[] = [];
    for (const cut of cuts) if ((await summary([cut as number])) !== one) differ.push(cut as number);
    if (differ.length > 0) expect(await summary([differ[0] as number])).toBe(one);
    expect(differ).toEqual([]);
    // Several cuts at once, as on a machine with more cores.
    expect(await summary(marks.map((i) => starts[i] as number).filter((_, k) => k % 3 === 0))).toBe(one);
  }, 120_000);
});
