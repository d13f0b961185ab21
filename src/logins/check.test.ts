import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadAll } from '../config/load.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins, loginsCheck, readAccounts, readState } from './check.ts';
import { makeHost } from '../core/host.ts';
import { runLogins } from './fixtures-audit/cli.ts';
import { boot, contextFor, login, logout, makeTree, routine } from './fixtures-audit/tree.ts';
import type { UtmpRecordInput } from './utmp.ts';
import { MAX_LISTED } from '../core/cap.ts';
import { renderText } from '../report/text.ts';
import type { Report } from '../core/report.ts';

const DEMO = path.resolve(import.meta.dirname, '..', '..', 'examples', 'demo-root');
const NOW = new Date('2026-11-26T00:00:00Z');

async function demoRun(state?: unknown, options: { all: boolean; since?: Date } = { all: false }) {
  const l = loadAll({ root: DEMO, env: {}, now: NOW });
  const out = await loginsCheck.run({
    ...l,
    state,
    options,
    signal: new AbortController().signal,
  });
  const result = out.results[0];
  if (!result) throw new Error('no result');
  return { result, findings: result.findings as unknown as LoginsFinding[], state: out.state };
}

describe('the logins check on the demo tree', () => {
  it('audits what inflates of a .gz backup cut short, says so in one WARNING, and calls no auth-log login removed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-logins-cut-'));
    try {
      fs.cpSync(DEMO, root, { recursive: true });
      const packed = zlib.gzipSync(fs.readFileSync(path.join(root, 'var/log/wtmp.1')));
      fs.rmSync(path.join(root, 'var/log/wtmp.1'));
      fs.writeFileSync(
        path.join(root, 'var/log/wtmp.1.gz'),
        packed.subarray(0, Math.floor((packed.length * 3) / 4)),
      );
      const l = loadAll({ root, env: {}, now: NOW });
      const out = await loginsCheck.run({
        ...l,
        state: undefined,
        options: { all: false },
        signal: new AbortController().signal,
      });
      const all = out.results[0]?.findings ?? [];
      const findings = all as unknown as LoginsFinding[];
      const cut = all.filter((f) => f.kind === 'not-checked' && f.status === 'WARNING');
      expect(cut).toHaveLength(1);
      expect(cut[0]).toMatchObject({
        status: 'WARNING',
        summary: expect.stringMatching(
          /^\/var\/log\/wtmp\.1\.gz is cut short or corrupt \(unexpected end of file\): read the [1-9]\d* records before that point, as zcat does; any after it are lost: the logins in the lost part were not audited, and the auth log is reconciled only from the next file on$/,
        ),
      });
      // The records that inflate were audited (the backup's first logins count) ...
      expect(out.results[0]?.summary).toMatch(/in 2 wtmp files/);
      // ... and the logins lost with the cut part are not reported as removed wtmp records.
      expect(findings.filter((f) => f.kind === 'login-unmatched')).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("shows joe's login from a new host and network, and the zeroed wtmp record", async () => {
    const { result, findings } = await demoRun();
    const cafe = findings.find((f) => f.kind === 'login-new-host' && f.host === 'cafe-wifi.example.net');
    expect(cafe).toMatchObject({
      status: 'WARNING',
      user: 'joe',
      data: { newNetwork: true, tty: 'pts/0', time: '2026-11-21T13:12:00Z' },
    });
    const zeroed = findings.find((f) => f.kind === 'wtmp-tamper' && f.data.check === 'zeroed');
    expect(zeroed).toMatchObject({ status: 'CRITICAL', data: { file: '/var/log/wtmp', count: 1 } });
    // Every wtmp network login has its sshd line in var/log/syslog: nothing unmatched.
    expect(findings.filter((f) => f.kind === 'login-unmatched')).toEqual([]);
    expect(result.status).toBe('CRITICAL');
    expect(result.service).toBe('host');
  });

  it('numbers wtmp records from 1 everywhere: the findings, their evidence and `last --format json`', async () => {
    const { findings } = await demoRun();
    const cafe = findings.find((f) => f.kind === 'login-new-host' && f.host === 'cafe-wifi.example.net');
    const zeroed = findings.find(
      (f): f is Extract<LoginsFinding, { kind: 'wtmp-tamper' }> =>
        f.kind === 'wtmp-tamper' && f.data.check === 'zeroed',
    );
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    const r = await runLogins(['last', '-f', '/var/log/wtmp'], {
      root: DEMO,
      now: NOW,
      state,
      format: 'json',
    });
    const entries = (JSON.parse(r.stdout) as { entries: { user: string; host: string; record: number }[] })
      .entries;
    const joe = entries.find((e) => e.user === 'joe' && e.host === 'cafe-wifi.example.net');
    expect(joe?.record).toBe(cafe?.evidence[0]?.line);
    // The zeroed record is the one right before hasimoto's Nov 25 login (the wiped logout of an earlier one).
    const after = entries.find((e) => e.record === (zeroed?.data.records[0] ?? 0) + 1);
    expect(after?.user).toBe('hasimoto');
    expect(zeroed?.summary).toContain(`(record ${zeroed?.data.records[0]})`);
    expect(zeroed?.evidence[0]?.line).toBe(zeroed?.data.records[0]);
  });

  it('reports nothing new at the next run, and keeps a small state', async () => {
    const first = await demoRun();
    expect(JSON.stringify(first.state).length).toBeLessThan(8000);
    expect(readState(JSON.parse(JSON.stringify(first.state)))?.mark?.file).toBe('/var/log/wtmp');
    const second = await demoRun(JSON.parse(JSON.stringify(first.state)));
    expect(second.findings.filter((f) => f.status !== 'INFO' && f.status !== 'OK')).toEqual([]);
    expect(second.result.summary).toMatch(/^0 new logins by 0 users since the last run/);
  });

  it('moves no mark under --since or --all, so the next plain run still reports what they showed', async () => {
    const look = await demoRun(undefined, { all: false, since: new Date('2026-10-27T00:00:00Z') });
    expect(look.findings.some((f) => f.status === 'CRITICAL')).toBe(true);
    expect(look.state).toBeUndefined();
    expect((await demoRun(undefined, { all: true })).state).toBeUndefined();
    const plain = await demoRun();
    expect(plain.findings.some((f) => f.status === 'CRITICAL')).toBe(true);
    expect(plain.state).toBeDefined();
  });

  it("prints joe's own report with the new hosts marked", async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
    const r = await runLogins(['logins', 'report', '--user', 'joe'], { root: DEMO, now: NOW, state });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Logins of joe on gauntlet from 2026-10-27 to 2026-11-26 (times UTC)');
    expect(r.stdout).toMatch(
      /Sat 2026-11-21 13:12 +pts\/0 +cafe-wifi\.example\.net \(192\.0\.2\.80\) \*\* +35m/,
    );
    expect(r.stdout).toMatch(/Tue 2026-11-24 03:12 +pts\/2 +203\.0\.113\.45 \*\* +9m/);
    expect(r.stdout).not.toContain('kato');
  });
});

describe('the logins check on a wtmp of many logins', () => {
  it('lists the 50 most serious findings and counts the rest, the status and counts from all', async () => {
    // 400 logins of alice, each from a network she never used, then one root login over the network: 401
    // findings, of which the CRITICAL one comes last in time.
    const many: UtmpRecordInput[] = [];
    for (let i = 0; i < 400; i++) {
      const at = new Date(Date.UTC(2026, 10, 10, 0, 0) + i * 60_000).toISOString().slice(0, 16);
      const end = new Date(Date.UTC(2026, 10, 10, 0, 0) + i * 60_000 + 30_000).toISOString().slice(0, 19);
      many.push(login('alice', 'pts/1', at, `100.${64 + (i >> 8)}.${i & 255}.9`, 5000 + i));
      many.push(logout('pts/1', end, 5000 + i));
    }
    const root = makeTree({
      wtmp: [
        boot('2026-11-01T00:00'),
        ...routine('alice', '10.0.0.5', '2026-11-02', 6),
        ...many,
        login('root', 'pts/2', '2026-11-10T23:00', '203.0.113.9', 9000),
      ],
    });
    const ctx = contextFor(root, '2026-11-11T00:00', { logins: { reconcile: false } });
    const all = (await inspectLogins(ctx)).findings;
    expect(all.filter((f) => f.status === 'WARNING')).toHaveLength(400);
    const out = await loginsCheck.run(ctx);
    const result = out.results[0];
    if (!result) throw new Error('no result');
    expect(result.findings).toHaveLength(MAX_LISTED);
    expect(result.findings[0]).toMatchObject({ kind: 'login-root-remote', status: 'CRITICAL' });
    expect(result.status).toBe('CRITICAL');
    expect(result.summary).toMatch(/: 401 findings$/);
    // The rest: the other WARNINGs and any INFO the audit adds, counted by status.
    const rest = all.length - MAX_LISTED;
    expect(result.omitted).toEqual({
      count: rest,
      statuses: { WARNING: 401 - MAX_LISTED, ...(rest > 351 ? { INFO: rest - 351 } : {}) },
    });
    const report: Report = {
      version: 1,
      tool: { name: 'tenken', version: 'test' },
      host: 'testhost',
      root,
      time: '2026-11-11T00:00:00.000Z',
      timeZone: 'UTC',
      durationMs: 0,
      status: result.status,
      summary: '',
      services: [],
      checks: [{ kind: 'logins', status: result.status, summary: '', durationMs: 0, results: [result] }],
    };
    const text = renderText(report, { color: false });
    expect(text).toContain(`… ${rest} more findings not listed (351 warning`);
    expect(text.split('\n').filter((l) => /^ {6}(WARNING|CRITICAL)/.test(l))).toHaveLength(MAX_LISTED);
  });
});

describe("the tree's accounts under --root", () => {
  it('reads /etc/passwd and /etc/login.defs through absolute links inside the tree, as the server would', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-accounts-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      fs.writeFileSync(path.join(root, 'etc/passwd.tenken-real'), 'kato:x:2001:100::/home/kato:/bin/sh\n');
      fs.writeFileSync(path.join(root, 'etc/login.defs.tenken-real'), 'UID_MIN 2000\n');
      fs.symlinkSync('/etc/passwd.tenken-real', path.join(root, 'etc/passwd'));
      fs.symlinkSync('/etc/login.defs.tenken-real', path.join(root, 'etc/login.defs'));
      const host = makeHost({ root, name: 'x' });
      const got = readAccounts(host, { uidMin: 1000 });
      expect([...got.accounts.keys()]).toEqual(['kato']);
      expect(got.uidMin).toBe(2000);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
