import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckOutcome, RunOptions } from '../checks/types.ts';
import type { Plan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { Finding } from '../core/report.ts';
import { encodeRecords, type UtmpRecordInput } from '../logins/utmp.ts';
import { dialupCheck } from './check.ts';
import { parseDialupState } from './state.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const plan: Plan = { services: [], syslogFiles: [], journal: 'off', skipped: [] };
const sec = (iso: string): number => Date.parse(iso) / 1000;
const DSR = 'WARNING: DSR is off - modem turned off or bad cable?';

/** A call answered and handed to login on ttyS0 (mgetty's per-line log lines). */
function call(day: string, time: string, pid: number, user: string): string {
  return [
    '--',
    `05/${day} ${time} yS0  mgetty: interim release 1.2.1`,
    `05/${day} ${time} yS0  user id: 0, pid: ${pid}, parent pid: 1`,
    `05/${day} ${time} yS0  waiting for \`\`CONNECT'' ** found **`,
    `05/${day} ${time} ##### data dev=ttyS0, pid=${pid}, caller='none', conn='', name='', cmd='/bin/login', user='${user}'`,
    '',
  ].join('\n');
}

function tree(): { root: string; log: string; wtmp: (recs: UtmpRecordInput[]) => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'tenken-dialup-state-'));
  roots.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const log = path.join(root, 'var/log/mgetty.ttyS0');
  const wtmpFile = path.join(root, 'var/log/wtmp');
  return { root, log, wtmp: (recs) => writeFileSync(wtmpFile, encodeRecords(recs)) };
}

/** One check run as the runner makes it: the state goes through JSON, as the store keeps it. */
async function check(
  root: string,
  now: string,
  state: unknown,
  options: RunOptions = { all: false },
): Promise<{ out: CheckOutcome; findings: Finding[]; summary: string }> {
  // The logs were last written just before the run (their year is inferred from that).
  for (const f of ['mgetty.ttyS0', 'mgetty.ttyS0.1', 'mgetty.ttyS1']) {
    try {
      utimesSync(path.join(root, 'var/log', f), new Date(now), new Date(now));
    } catch {
      // not in this tree
    }
  }
  const out = await dialupCheck.run({
    host: makeHost({ root, name: 'h', now: new Date(now) }),
    config: configSchema.parse({}),
    plan,
    state: state === undefined ? undefined : (JSON.parse(JSON.stringify(state)) as unknown),
    options,
    signal: AbortSignal.timeout(10_000),
  });
  const result = out.results[0];
  return { out, findings: result?.findings ?? [], summary: result?.summary ?? '' };
}

const reported = (findings: Finding[]): string[] =>
  findings.filter((f) => f.kind !== 'dialup-line-summary').map((f) => `${f.status} ${f.summary}`);

describe('marks later than now', () => {
  it('are not trusted after the clock went back: said, and the line judged afresh so an intrusion shows', async () => {
    const { root, log, wtmp } = tree();
    writeFileSync(log, call('20', '10:00:00', 612, 'yanagi'));
    // A console login while the clock was a day ahead (a dead CMOS battery before NTP synced): wtmp's record,
    // and so the mark of the logins judged, is a day ahead too.
    const logins: UtmpRecordInput[] = [
      { type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:00:20Z') },
      { type: 7, pid: 613, line: 'ttyS0', user: 'root', sec: sec('2026-05-22T11:50:20Z') },
    ];
    wtmp(logins);
    const ahead = await check(root, '2026-05-22T12:00:00Z', undefined);
    expect(reported(ahead.findings)).toEqual([
      expect.stringMatching(/^CRITICAL Login by root on ttyS0 at 2026-05-22 11:50:20 UTC/),
    ]);
    // Back to the right time: an intruder logs in without a call.
    wtmp([
      ...logins,
      { type: 7, pid: 999, line: 'ttyS0', user: 'mallory', sec: sec('2026-05-21T03:00:00Z') },
    ]);
    const back = await check(root, '2026-05-21T04:00:00Z', ahead.out.state);
    expect(reported(back.findings)).toEqual([
      'WARNING The last run judged ttyS0 up to 2026-05-22T11:50:20.000Z, later than now: the clock went back since, or was ahead then; ttyS0 is judged afresh (a finding of an earlier run may come once more)',
      expect.stringMatching(/^CRITICAL Login by mallory on ttyS0 at 2026-05-21 03:00:00 UTC/),
    ]);
    // The marks are now's: the next run is quiet (root's record is judged again once the clock passes it).
    const next = await check(root, '2026-05-21T05:00:00Z', back.out.state);
    expect(reported(next.findings)).toEqual([]);
  });

  it('a run with the clock ahead leaves no mark ahead of the data: the calls logged after it are judged', async () => {
    const { root, log, wtmp } = tree();
    writeFileSync(log, call('20', '10:00:00', 612, 'yanagi'));
    const logins: UtmpRecordInput[] = [
      { type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:00:20Z') },
    ];
    wtmp(logins);
    const first = await check(root, '2026-05-20T12:00:00Z', undefined);
    // The clock three hours ahead for one run; then NTP steps it back.
    const ahead = await check(root, '2026-05-20T15:00:00Z', first.out.state);
    expect(reported(ahead.findings)).toEqual([]);
    // At 13:00 a caller is answered and handed to login, and never logs in; at 13:30 mallory logs in on the
    // line without a call. The next run comes at 16:00, after the mark of the run ahead.
    appendFileSync(log, call('20', '13:00:00', 700, 'yanagi'));
    wtmp([
      ...logins,
      { type: 7, pid: 999, line: 'ttyS0', user: 'mallory', sec: sec('2026-05-20T13:30:00Z') },
    ]);
    const later = await check(root, '2026-05-20T16:00:00Z', ahead.out.state);
    expect(reported(later.findings)).toEqual([
      expect.stringMatching(/^CRITICAL Login by mallory on ttyS0 at 2026-05-20 13:30:00 UTC/),
      expect.stringMatching(/^INFO .*13:00:00/),
    ]);
    expect(later.summary).toMatch(/^1 line, 1 call, /);
  });
});

describe('the dial-up check across runs', () => {
  it('reports a finding once, judges a call whose window is still open later, and counts only new modem lines', async () => {
    const { root, log, wtmp } = tree();
    writeFileSync(log, `${call('20', '10:00:00', 612, 'yanagi')}05/20 11:00:00 yS0  ${DSR}\n`);
    const logins: UtmpRecordInput[] = [
      { type: 7, pid: 612, line: 'ttyS0', user: 'yanagi', sec: sec('2026-05-20T10:00:20Z') },
      { type: 7, pid: 999, line: 'ttyS0', user: 'intruder', sec: sec('2026-05-21T03:00:00Z') },
    ];
    wtmp(logins);

    const first = await check(root, '2026-05-30T00:00:00Z', undefined);
    expect(reported(first.findings)).toEqual([
      expect.stringMatching(/^CRITICAL Login by intruder on ttyS0 at 2026-05-21 03:00:00 UTC/),
      'WARNING Modem on ttyS0: DSR off (modem off or bad cable) at 2026-05-20 11:00:00 UTC',
    ]);
    expect(first.summary).not.toContain('since the last run');

    // The hourly cron job an hour later: nothing new, nothing said again.
    const second = await check(root, '2026-05-30T01:00:00Z', first.out.state);
    expect(reported(second.findings)).toEqual([]);
    expect(second.summary).toBe('1 line, 0 calls, 0 logins matched since the last run');

    // New lines: a DSR warning in the very second of the one counted and one later, a second intruder, and a
    // call answered a minute before the next run whose login has not come (its window is still open).
    appendFileSync(
      log,
      `05/20 11:00:00 yS0  ${DSR}\n05/31 01:00:00 yS0  ${DSR}\n${call('31', '02:59:00', 700, 'kato')}`,
    );
    wtmp([
      ...logins,
      { type: 7, pid: 1000, line: 'ttyS0', user: 'intruder2', sec: sec('2026-05-31T02:00:00Z') },
    ]);
    const third = await check(root, '2026-05-31T03:00:00Z', second.out.state);
    expect(reported(third.findings)).toEqual([
      expect.stringMatching(/^CRITICAL Login by intruder2 on ttyS0/),
      'WARNING Modem on ttyS0: DSR off (modem off or bad cable) 2 times, 2026-05-20 11:00:00 … 2026-05-31 01:00:00 UTC',
    ]);
    expect(third.findings.find((f) => f.kind === 'dialup-line-summary')?.summary).toBe(
      'ttyS0: 0 calls, 1 login (0 matched), 0 failed, 1 call still within the login window, longest session 1h 00m 00s by intruder2 (still on)',
    );

    // Its window closed: judged now, once.
    const fourth = await check(root, '2026-05-31T04:00:00Z', third.out.state);
    expect(reported(fourth.findings)).toEqual([
      'INFO Call on ttyS0 at 2026-05-31 02:59:00 UTC led to no login: login as kato failed (no login record)',
    ]);
    const fifth = await check(root, '2026-05-31T05:00:00Z', fourth.out.state);
    expect(reported(fifth.findings)).toEqual([]);

    // logrotate moves the log (create): the same lines in mgetty.ttyS0.1 are nothing new.
    renameSync(log, `${log}.1`);
    writeFileSync(log, '');
    const rotated = await check(root, '2026-05-31T06:00:00Z', fifth.out.state);
    expect(reported(rotated.findings)).toEqual([]);
  });

  it('looks at the whole history with --all and --since and keeps the saved marks', async () => {
    const { root, log, wtmp } = tree();
    writeFileSync(log, `${call('20', '10:00:00', 612, 'yanagi')}05/20 11:00:00 yS0  ${DSR}\n`);
    wtmp([{ type: 7, pid: 999, line: 'ttyS0', user: 'intruder', sec: sec('2026-05-21T03:00:00Z') }]);
    const first = await check(root, '2026-06-01T00:00:00Z', undefined);
    expect(first.out.state).toBeDefined();
    // The runner gives --all no state; --since gets the saved one, which the check must not use or move.
    const all = await check(root, '2026-06-01T01:00:00Z', undefined, { all: true });
    const since = await check(root, '2026-06-01T01:00:00Z', first.out.state, {
      all: false,
      since: new Date('2026-05-01T00:00:00Z'),
    });
    for (const view of [all, since]) {
      expect(view.out.state).toBeUndefined();
      // The intruder and the DSR warning (the call before wtmp's oldest record is not judged).
      expect(reported(view.findings)).toHaveLength(2);
      expect(view.summary).not.toContain('since the last run');
    }
  });

  it('takes a state that is not its own for a fresh start (the runner sets it aside with a note)', () => {
    expect(dialupCheck.readsState?.({ version: 1, lines: [] })).toBe(true);
    for (const bad of [{}, { version: 2, lines: [] }, { version: 1, lines: { ttyS0: {} } }, [], 'x', null])
      expect(dialupCheck.readsState?.(bad)).toBe(false);
    expect(parseDialupState({ version: 1, lines: [{ line: 'ttyS0', callsTo: 'soon' }] })).toBeUndefined();
  });

  it("keeps a line's marks while its log cannot be read, so nothing of it is lost or said twice", async () => {
    const { root, log, wtmp } = tree();
    writeFileSync(log, call('20', '10:00:00', 612, 'yanagi'));
    const ttyS1 = path.join(root, 'var/log/mgetty.ttyS1');
    writeFileSync(ttyS1, `05/20 11:00:00 yS1  ${DSR}\n`);
    wtmp([]);
    const first = await check(root, '2026-06-01T00:00:00Z', undefined);
    expect(reported(first.findings)).toContain(
      'WARNING Modem on ttyS1: DSR off (modem off or bad cable) at 2026-05-20 11:00:00 UTC',
    );
    rmSync(ttyS1);
    const gone = await check(root, '2026-06-01T01:00:00Z', first.out.state);
    const back = (gone.out.state as { lines: { line: string }[] }).lines.map((l) => l.line);
    expect(back).toEqual(['ttyS0', 'ttyS1']);
    writeFileSync(ttyS1, `05/20 11:00:00 yS1  ${DSR}\n`);
    const again = await check(root, '2026-06-01T02:00:00Z', gone.out.state);
    expect(reported(again.findings)).toEqual([]);
  });
});
