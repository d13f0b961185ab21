import { describe, expect, it } from 'vitest';
import { correlate } from './correlate.ts';
import { extractCalls, type MgettyEntry, parseMgettyLog, type ParseOptions } from './mgetty.ts';

const MTIME = new Date(Date.UTC(2026, 10, 25, 23, 0, 0));
const SYSLOG: ParseOptions = { source: '/var/log/syslog', mtime: MTIME, timeZone: 'UTC' };
const PER_LINE: ParseOptions = {
  source: '/var/log/mgetty.ttyS0',
  mtime: MTIME,
  timeZone: 'UTC',
  device: 'ttyS0',
};
const N = 400_000;

const p2 = (n: number): string => String(n).padStart(2, '0');
/** `HH:MM:SS` of the n-th second after 10:00:00. */
const clock = (second: number): string =>
  `${p2(10 + Math.floor(second / 3600))}:${p2(Math.floor(second / 60) % 60)}:${p2(second % 60)}`;
const data = (pid: number, dev = 'ttyS0'): string =>
  `data dev=${dev}, pid=${pid}, caller='none', conn='38400/V.32', name='', cmd='/bin/login', user='x'`;

/** Parse, extract and correlate (no logins), as the check does: every call is counted. */
function inspect(entries: MgettyEntry[]): { calls: number; judged: number; lines: number } {
  const { calls, unanswered } = extractCalls(entries);
  const coverage = new Map<string, Date>();
  for (const e of entries) if (e.tty && !coverage.has(e.tty)) coverage.set(e.tty, e.time);
  const lines = correlate(
    { calls, unanswered, records: [], coverage },
    { windowSeconds: 120, now: new Date(Date.UTC(2026, 10, 26)) },
  );
  return {
    calls: calls.length,
    judged: lines.reduce((n, l) => n + l.calls.length, 0),
    lines: lines.length,
  };
}

/**
 * Any local user writes syslog lines (`logger -t 'mgetty[612]' ...`), and a caller's modem can make mgetty log
 * a CONNECT a second: floods that took minutes (every call looked back over every call of its hour). A guard
 * against the hang, with the real counts; the timeout is far from both the old minutes and the new seconds.
 */
describe('a flood of forged or repeated mgetty lines', () => {
  it('400,000 syslog data lines of distinct pids, 20 a second, give 400,000 calls', {
    timeout: 60_000,
  }, () => {
    const lines: string[] = [];
    for (let i = 0; i < N; i++)
      lines.push(`Nov 25 ${clock(Math.floor(i / 20))} host mgetty[${10_000 + i}]: ${data(10_000 + i)}`);
    const result = inspect(parseMgettyLog(lines.join('\n'), SYSLOG));
    expect(result).toEqual({ calls: N, judged: N, lines: 1 });
  });

  it('400,000 per-line CONNECTs in one hour give 400,000 calls', { timeout: 60_000 }, () => {
    const lines = ['--', '11/25 10:00:00 yS0  mgetty: interim release 1.2.1'];
    for (let i = 0; i < N; i++)
      lines.push(`11/25 ${clock(Math.floor(i / 120))} yS0  waiting for \`\`CONNECT'' ** found **`);
    const result = inspect(parseMgettyLog(lines.join('\n'), PER_LINE));
    expect(result).toEqual({ calls: N, judged: N, lines: 1 });
  });

  it('200,000 syslog data lines naming 200,000 lines give one result each', { timeout: 60_000 }, () => {
    // Each line's results cost more than a call: half as many lines, still minutes before.
    const lines: string[] = [];
    for (let i = 0; i < N / 2; i++)
      lines.push(
        `Nov 25 ${clock(Math.floor(i / 20))} host mgetty[${10_000 + i}]: ${data(10_000 + i, `ttyX${i}`)}`,
      );
    const result = inspect(parseMgettyLog(lines.join('\n'), SYSLOG));
    expect(result).toEqual({ calls: N / 2, judged: N / 2, lines: N / 2 });
  });

  it('100,000 calls logged both per line and in syslog (400,000 lines) merge into 100,000', {
    timeout: 60_000,
  }, () => {
    const perLine = ['--', '11/25 10:00:00 yS0  mgetty: interim release 1.2.1'];
    const syslog: string[] = [];
    for (let i = 0; i < N / 4; i++) {
      const second = Math.floor(i / 20);
      const pid = 10_000 + i;
      perLine.push(`11/25 ${clock(second)} yS0  user id: 0, pid: ${pid}, parent pid: 1`);
      perLine.push(`11/25 ${clock(second)} yS0  waiting for \`\`CONNECT'' ** found **`);
      perLine.push(`11/25 ${clock(second + 5)} ##### ${data(pid)}`);
      syslog.push(`Nov 25 ${clock(second + 5 + (i % 3))} host mgetty[${pid}]: ${data(pid)}`);
    }
    const entries = [
      ...parseMgettyLog(perLine.join('\n'), PER_LINE),
      ...parseMgettyLog(syslog.join('\n'), SYSLOG),
    ];
    const { calls } = extractCalls(entries);
    expect(calls).toHaveLength(N / 4);
    expect(calls.every((c) => c.evidence.length === 3)).toBe(true);
  });
});
