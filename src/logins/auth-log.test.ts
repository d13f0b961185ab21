import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { YearContext } from '../core/tz.ts';
import { makeZone } from '../core/tz.ts';
import { parsePrefix } from '../logs/syslog.ts';
import { readAuthLogs } from './auth-log.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins } from './check.ts';
import {
  accepted,
  boot,
  contextFor,
  loginNamed,
  logout,
  makeTree,
  syslogLine,
  t,
  writeTree,
} from './fixtures-audit/tree.ts';
import type { UtmpRecordInput } from './utmp.ts';
import { type AuthEvent, lineOf, mergeCoverage, parseAuthLine } from './reconcile.ts';

const START = syslogLine('2026-11-01T07:59:00', 'CRON[1]: (root) CMD (true)');
const END = syslogLine('2026-11-04T23:59:00', 'CRON[1]: (root) CMD (true)');
const LATER = syslogLine('2026-11-05T00:30:00', 'CRON[1]: (root) CMD (true)');
const WTMP: UtmpRecordInput[] = [
  boot('2026-11-01T08:00'),
  loginNamed('alice', 'pts/0', '2026-11-02T09:00:01', 'pc5.example', '10.0.0.5', 101),
  logout('pts/0', '2026-11-02T10:00', 101),
];
const AUTH = [START, accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101), END];
/** An Accepted line of bob with no wtmp login, after the first run. */
const BOB = accepted('bob', '203.0.113.8', '2026-11-05T00:10:00', 500, 41000);

const log = (root: string, name = 'auth.log') => path.join(root, 'var/log', name);

/** Sets a log's mtime to the end of 2026, for the year inference of its RFC 3164 stamps. */
function stamp(file: string): void {
  const m = new Date('2026-12-31T00:00:00Z');
  fs.utimesSync(file, m, m);
}

function append(root: string, lines: string[], name = 'auth.log'): number {
  const text = `${lines.join('\n')}\n`;
  fs.appendFileSync(log(root, name), text);
  stamp(log(root, name));
  return Buffer.byteLength(text, 'latin1');
}

async function run(
  root: string,
  now: string,
  state?: unknown,
  edit?: (c: ReturnType<typeof contextFor>) => void,
) {
  const ctx = contextFor(root, now, { state });
  edit?.(ctx);
  const r = await inspectLogins(ctx);
  const findings = r.findings as unknown as LoginsFinding[];
  return {
    r,
    unmatched: findings.filter(
      (f): f is Extract<LoginsFinding, { kind: 'login-unmatched' }> => f.kind === 'login-unmatched',
    ),
    notChecked: r.findings.filter(
      (f) => f.kind === 'not-checked' && (f.data as { what?: string }).what === 'auth log',
    ),
  };
}

describe('the reconciliation reads only the auth-log bytes no earlier run read', () => {
  it('reads the whole log on the first run, and only the appended bytes on the second, whose logins it judges', async () => {
    const root = makeTree({ wtmp: WTMP, auth: AUTH });
    const first = await run(root, '2026-11-05T00:00');
    expect(first.r.authBytes).toBe(fs.statSync(log(root)).size);
    expect(first.unmatched).toEqual([]);
    const added = append(root, [BOB, LATER]);
    const second = await run(root, '2026-11-05T01:00', first.r.state);
    expect(second.r.authBytes).toBe(added);
    expect(second.unmatched.map((f) => [f.user, f.data.direction, f.evidence[0]?.line])).toEqual([
      ['bob', 'log-without-wtmp', 4],
    ]);
    // Nothing new: nothing read.
    const third = await run(root, '2026-11-05T02:00', second.r.state);
    expect(third.r.authBytes).toBe(0);
    expect(third.unmatched).toEqual([]);
  });

  it('reads a line written to auth.log after the last run and rotated to auth.log.1 before this one', async () => {
    const root = makeTree({ wtmp: WTMP, auth: AUTH });
    const first = await run(root, '2026-11-05T00:00');
    const added = append(root, [BOB]);
    fs.renameSync(log(root), log(root, 'auth.log.1'));
    fs.writeFileSync(log(root), `${LATER}\n`);
    stamp(log(root));
    const second = await run(root, '2026-11-05T01:00', first.r.state);
    expect(second.r.authBytes).toBe(added + Buffer.byteLength(`${LATER}\n`));
    expect(second.unmatched.map((f) => [f.user, f.evidence[0]?.source, f.evidence[0]?.line])).toEqual([
      ['bob', '/var/log/auth.log.1', 4],
    ]);
    expect(second.notChecked).toEqual([]);
  });

  it('keeps an Accepted line whose wtmp login is not there yet for the next run, which matches it without reading it again', async () => {
    // The log ends 30 s after bob's line: within the match window, so the first run does not judge it.
    const bob = accepted('bob', '10.0.0.9', '2026-11-04T23:59:30', 600);
    const root = makeTree({ wtmp: WTMP, auth: [...AUTH, bob] });
    const first = await run(root, '2026-11-05T00:00');
    expect(first.unmatched).toEqual([]);
    expect(first.r.state.reconciled).toBe(t('2026-11-04T23:58:30'));
    // bob's wtmp record arrives (20 s after his line), and the log goes on.
    writeTree(root, {
      wtmp: [...WTMP, loginNamed('bob', 'pts/1', '2026-11-04T23:59:50', '10.0.0.9', '10.0.0.9', 600)],
    });
    const added = append(root, [LATER]);
    const second = await run(root, '2026-11-05T01:00', first.r.state);
    expect(second.r.authBytes).toBe(added);
    expect(second.unmatched).toEqual([]);
    expect(second.r.summary).toMatch(/\(1 network logins matched\)/);
    expect(second.r.state.reconciled).toBe(t('2026-11-05T00:29:00'));
    // Judged now: no longer carried.
    expect(second.r.state.auth?.carry.filter((e) => e.kind === 'accepted')).toEqual([]);
  });

  it('counts in its summary the network logins this run judged, not those an earlier run matched', async () => {
    // alice's login is judged by the first run; her line stays in the state (the window before the mark).
    const wtmp = [
      ...WTMP,
      loginNamed('alice', 'pts/1', '2026-11-04T23:57:31', '10.0.0.5', '10.0.0.5', 700),
      logout('pts/1', '2026-11-04T23:58:00', 700),
    ];
    const root = makeTree({
      wtmp,
      auth: [...AUTH.slice(0, 2), accepted('alice', '10.0.0.5', '2026-11-04T23:57:30', 700), END],
    });
    const first = await run(root, '2026-11-05T00:00');
    expect(first.r.summary).toMatch(/\(2 network logins matched\)/);
    expect(first.r.state.auth?.carry.map((e) => e.sec)).toEqual([t('2026-11-04T23:57:30')]);
    append(root, [LATER]);
    const second = await run(root, '2026-11-05T01:00', first.r.state);
    expect(second.unmatched).toEqual([]);
    expect(second.r.summary).toMatch(/\(0 network logins matched\)/);
  });

  it('reads a log truncated and rewritten since the last run from its start', async () => {
    const root = makeTree({ wtmp: WTMP, auth: AUTH });
    const first = await run(root, '2026-11-05T00:00');
    const text = `${[BOB, LATER].join('\n')}\n`;
    fs.writeFileSync(log(root), text);
    stamp(log(root));
    const second = await run(root, '2026-11-05T01:00', first.r.state);
    expect(second.r.authBytes).toBe(Buffer.byteLength(text));
    expect(second.unmatched.map((f) => [f.user, f.evidence[0]?.line])).toEqual([['bob', 1]]);
  });

  it('reads an endless last line once (truncate -s), keeps the time before it covered, and goes on after it', async () => {
    const root = makeTree({ wtmp: WTMP, auth: AUTH });
    fs.appendFileSync(log(root), Buffer.alloc(3 << 20));
    stamp(log(root));
    const first = await run(root, '2026-11-05T00:00');
    expect(first.r.authBytes).toBe(fs.statSync(log(root)).size);
    expect(first.notChecked).toEqual([]);
    // The file still covers time (up to its newest auth line: the lines before the endless one are not at
    // hand), so it is reconciled, not taken for a log without dated lines.
    expect(first.r.state.reconciled).toBe(t('2026-11-02T08:59:00'));
    const second = await run(root, '2026-11-05T00:10', first.r.state);
    expect(second.r.authBytes).toBe(0);
    // rsyslog writes after the NULs: the line ends with its first newline, and the lines after it are read.
    const added = append(root, ['', BOB, LATER]);
    const third = await run(root, '2026-11-05T01:00', second.r.state);
    expect(third.r.authBytes).toBe(added);
    expect(third.unmatched.map((f) => f.user)).toEqual(['bob']);
  });

  it('reads at most checks.logs.maxReadPerRun of a log per run, says what was left, and goes on from there', async () => {
    const filler: string[] = [];
    for (let i = 0; i < 30_000; i++)
      filler.push(
        syslogLine(
          new Date((t('2026-11-02T10:00:00') + i * 4) * 1000).toISOString().slice(0, 19),
          `CRON[1]: (root) CMD (${'x'.repeat(60)})`,
        ),
      );
    const late = accepted('bob', '203.0.113.8', '2026-11-04T22:00:00', 500, 41000);
    const root = makeTree({ wtmp: WTMP, auth: [...AUTH.slice(0, 2), ...filler, late, END] });
    const size = fs.statSync(log(root)).size;
    expect(size).toBeGreaterThan(2 << 20);
    const limited = (c: ReturnType<typeof contextFor>) => {
      c.config.checks.logs.maxReadPerRun = 1 << 20;
    };
    let state: unknown;
    const bytes: number[] = [];
    const found: string[][] = [];
    const runs = Math.ceil(size / (1 << 20));
    for (let i = 0; i < runs; i++) {
      const r = await run(root, '2026-11-05T00:00', state, limited);
      state = r.r.state;
      bytes.push(r.r.authBytes);
      found.push(r.unmatched.map((f) => f.user ?? ''));
      const warned = r.notChecked.map((f) => f.summary);
      if (i < runs - 1)
        expect(warned).toEqual([
          expect.stringMatching(
            /^\/var\/log\/auth\.log: \d+(\.\d)? [kM]B not read in this run \(over the 1 MiB per-run limit\); the next run goes on from here: logins in the rest are reconciled with wtmp then$/,
          ),
        ]);
      else expect(warned).toEqual([]);
    }
    expect(bytes.every((b) => b <= 1 << 20)).toBe(true);
    // Each run goes on where the last stopped (the line cut by the limit is read again, whole, by the next).
    const total = bytes.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(size);
    expect(total).toBeLessThan(size + runs * 200);
    // bob's line is in the last part: judged by the run that reads it, once.
    expect(found).toEqual([...Array.from({ length: runs - 1 }, () => []), ['bob']]);
  });
});

/**
 * The oracle: a JavaScript pass over every line of the content (split on LF as latin1, CR dropped): the
 * events, and the first and last dated line. `trailing`: a final line without a newline counts (a rotated
 * member, finished); else it is left for when it is complete (the live file, a daemon mid-write).
 */
function everyLine(content: Buffer, trailing: boolean, ctx: YearContext, source: string) {
  const lines = content.toString('latin1').split('\n');
  if (!trailing || lines[lines.length - 1] === '') lines.pop();
  const events: AuthEvent[] = [];
  let from: number | null = null;
  let to: number | null = null;
  for (const [i, raw] of lines.entries()) {
    const line = lineOf(raw);
    if (line === '') continue;
    const t = parsePrefix(line, ctx).time;
    if (t !== null) {
      from ??= Math.floor(t / 1000);
      to = Math.floor(t / 1000);
    }
    const ev = parseAuthLine(line, ctx, source, i + 1);
    if (ev) events.push(ev);
  }
  return { events, coverage: mergeCoverage([{ from, to }]) };
}

describe('reading an auth log from its start', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-authread-'));
  let n = 0;
  const PIECES = [
    accepted('alice', '10.0.0.5', '2026-11-02T09:00:00', 101),
    accepted('bob', '2001:db8::7', '2026-11-02T10:00:00', 102),
    syslogLine('2026-11-02T09:00:01', 'sshd[101]: subsystem request for sftp by user alice'),
    syslogLine('2026-11-02T09:00:02', 'login[7]: LOGIN ON pts/1 BY carol FROM 192.0.2.9'),
    syslogLine('2026-11-02T09:00:03', "dropbear[9]: Password auth succeeded for 'dave' from 192.0.2.10:2222"),
    syslogLine('2026-11-02T09:00:04', 'kernel: [    0.000000] Linux version 6.1.0'),
    syslogLine('2026-11-02T09:00:05', 'sshd[5]: ACCEPTED password for eve from 192.0.2.11 port 1 ssh2'),
    syslogLine('2026-11-02T09:00:06', 'CRON[1]: (root) CMD (true)'),
    `${accepted('frank', '192.0.2.12', '2026-11-02T11:00:00', 103)}\r`,
    'no stamp at all, Accepted password for x from 1.2.3.4 port 5',
    '',
    `${syslogLine('2026-11-02T12:00:00', 'sshd[6]: ')}${'x'.repeat(20_000)} Accepted`,
  ];
  const zone = makeZone('UTC');

  /** The reader's events and coverage of one file (the live auth.log, or a rotated .gz), and the oracle's. */
  async function both(content: Buffer, gzip: boolean) {
    const sub = path.join(dir, String(n++));
    fs.mkdirSync(sub);
    const file = path.join(sub, gzip ? 'auth.log.1.gz' : 'auth.log');
    fs.writeFileSync(file, gzip ? zlib.gzipSync(content) : content);
    // A rotated member is finished (its last line counts without a newline) when a live file follows it.
    if (gzip) fs.writeFileSync(path.join(sub, 'auth.log'), '');
    const mtime = new Date('2026-11-04T00:00:00Z');
    fs.utimesSync(file, mtime, mtime);
    const read = await readAuthLogs({
      logs: [path.join(sub, 'auth.log')],
      saved: undefined,
      display: () => '/var/log/auth.log',
      root: '/',
      zone,
    });
    const ctx: YearContext = { reference: mtime.getTime(), zone };
    return [
      { events: read.events, coverage: mergeCoverage(read.spans) },
      everyLine(content, gzip, ctx, '/var/log/auth.log'),
    ];
  }

  it('finds what a pass over every line finds: events, line numbers, first and last dated line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0, 70_000),
        async (lines, final, gzip, junk) => {
          // `junk`: undated bytes first (past the 64 KiB head), or an overlong last line (past the 64 KiB tail).
          const body = `${'#'.repeat(junk)}${junk ? '\n' : ''}${lines.join('\n')}${final ? '\n' : ''}`;
          const [read, oracle] = await both(Buffer.from(body, 'latin1'), gzip);
          expect(read).toEqual(oracle);
        },
      ),
      { numRuns: 120 },
    );
    const tailLong = `${PIECES.slice(0, 3).join('\n')}\n${syslogLine('2026-11-03T00:00:00', 'x')}${'y'.repeat(70_000)}\n`;
    const [read, oracle] = await both(Buffer.from(tailLong, 'latin1'), false);
    expect(read).toEqual(oracle);
    expect(read?.coverage).toEqual([{ from: t('2026-11-02T09:00:00'), to: t('2026-11-03T00:00:00') }]);
    expect(read?.events.map((e) => e.kind)).toEqual(['accepted', 'accepted', 'no-tty']);
  });
});

describe('state saved before the auth logs had cursors', () => {
  it('still loads: the auth logs are read whole once, judged from its mark on, then read from their cursors', async () => {
    const root = makeTree({ wtmp: WTMP, auth: [...AUTH, BOB, LATER] });
    const first = await run(root, '2026-11-05T00:00');
    // The state as an older tenken saved it: its marks, no `auth`.
    const { auth: _auth, ...old } = first.r.state;
    const upgraded = await run(root, '2026-11-05T01:00', { ...old, reconciled: t('2026-11-05T00:00:00') });
    expect(upgraded.r.authBytes).toBe(fs.statSync(log(root)).size);
    // bob's line (00:10) is after the old mark: judged now, as the older tenken would have.
    expect(upgraded.unmatched.map((f) => f.user)).toEqual(['bob']);
    expect(upgraded.r.state.auth?.logs['/var/log/auth.log']).toHaveLength(1);
    // Malformed auth-log state is read as none.
    const junk = await run(root, '2026-11-05T02:00', { ...upgraded.r.state, auth: { logs: 7 } });
    expect(junk.r.authBytes).toBe(fs.statSync(log(root)).size);
    const next = await run(root, '2026-11-05T02:00', upgraded.r.state);
    expect(next.r.authBytes).toBe(0);
    expect(next.unmatched).toEqual([]);
  });
});
