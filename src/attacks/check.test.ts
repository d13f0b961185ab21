import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckOutcome } from '../checks/types.ts';
import type { Plan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { Finding } from '../core/report.ts';
import { addrFromText, encodeRecords, UT } from '../logins/utmp.ts';
import { JournalAccessError, type JournalRunner, spawnJournalctl } from '../logs/read/journal.ts';
import { attacksCheck, buildResults, MAX_LISTED, makeAttacksCheck } from './check.ts';
import type { AttackFinding } from './findings.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';
import { writeJournal } from '../../test/helpers/journal.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = new Date(Date.UTC(2024, 5, 30, 12, 0, 0));
const plan: Plan = testPlan(
  [servicePlan('sshd', { title: 'OpenSSH', syslog: ['sshd', 'sshd-session'], reasons: [] })],
  ['/var/log/auth.log'],
);

function tree() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-attacks-check-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'var/log'), { recursive: true });
  const auth = path.join(root, 'var/log/auth.log');
  return { root, auth };
}

const fail = (sec: number, host: string, pid = 100 + sec) =>
  `Jun 30 10:${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')} srv sshd[${pid}]: Failed password for invalid user u${sec} from ${host} port ${4000 + sec} ssh2\n`;

function write(file: string, text: string, append = false) {
  if (append) appendFileSync(file, text);
  else writeFileSync(file, text);
  utimesSync(file, NOW, NOW);
}

async function run(
  root: string,
  state: unknown,
  options: { all?: boolean; since?: Date } = {},
  inspected: Plan = plan,
) {
  const out: CheckOutcome = await attacksCheck.run({
    host: makeHost({ root, name: 'srv', now: NOW, env: { TZ: 'UTC' } }),
    config: configSchema.parse({}),
    plan: inspected,
    state,
    options: { all: options.all ?? false, ...(options.since ? { since: options.since } : {}) },
    signal: new AbortController().signal,
  });
  const findings = out.results.flatMap((r) => r.findings);
  return {
    out,
    findings,
    bf: findings.filter(
      (f): f is Extract<Finding, { kind: 'attack-bruteforce' }> => f.kind === 'attack-bruteforce',
    ),
  };
}

describe('attacks check', () => {
  it('reads at most maxReadPerRun of a log per run, says so as a WARNING, and finds the attack past it in the next run', async () => {
    const { root, auth } = tree();
    const filler = 'Jun 30 09:00:00 srv systemd[1]: Started Session 1 of User alice.\n';
    const burst = Array.from({ length: 6 }, (_, i) => fail(i, '198.51.100.7')).join('');
    write(auth, filler.repeat(Math.ceil((1.5 * (1 << 20)) / filler.length)) + burst);
    const check = (state: unknown) =>
      attacksCheck.run({
        host: makeHost({ root, name: 'srv', now: NOW, env: { TZ: 'UTC' } }),
        config: configSchema.parse({ checks: { logs: { maxReadPerRun: '1MiB' } } }),
        plan,
        state,
        options: { all: false },
        signal: new AbortController().signal,
      });
    const first = await check(undefined);
    const said = first.results.flatMap((r) => r.findings);
    expect(said.map((f) => [f.kind, f.status])).toEqual([['not-checked', 'WARNING']]);
    expect(said[0]?.summary).toMatch(
      /^\/var\/log\/auth\.log: \d+ kB not read in this run \(over the 1 MiB per-run limit\); the next run goes on from here$/,
    );
    const second = await check(first.state);
    const found = second.results.flatMap((r) => r.findings);
    expect(found.map((f) => f.kind)).toEqual(['attack-bruteforce']);
    expect(found[0]?.host).toBe('198.51.100.7');
  });

  it('counts each line once across runs and rotation, and continues a burst split by a run', async () => {
    const { root, auth } = tree();
    write(auth, fail(0, '203.0.113.5') + fail(1, '203.0.113.5') + fail(2, '203.0.113.5'));
    const r1 = await run(root, undefined);
    expect(r1.bf).toEqual([]);
    expect(r1.out.results).toEqual([expect.objectContaining({ service: 'host', status: 'OK' })]);

    // Three more within findtime: 6 in 10 minutes across the run boundary, 3 of them new.
    write(auth, fail(60, '203.0.113.5') + fail(61, '203.0.113.5') + fail(62, '203.0.113.5'), true);
    const r2 = await run(root, JSON.parse(JSON.stringify(r1.out.state)));
    expect(r2.bf).toHaveLength(1);
    expect(r2.bf[0]).toMatchObject({ status: 'WARNING', service: 'sshd', host: '203.0.113.5' });
    expect(r2.bf[0]?.data).toMatchObject({ count: 3, peak: 6 });

    // create-style rotation: the old file gets one more line before it moves, the new one starts empty.
    write(auth, fail(63, '198.51.100.1'), true);
    renameSync(auth, `${auth}.1`);
    utimesSync(`${auth}.1`, NOW, NOW);
    write(auth, fail(64, '198.51.100.1') + fail(65, '198.51.100.1'));
    const r3 = await run(root, JSON.parse(JSON.stringify(r2.out.state)));
    const sources = r3.out.results.flatMap((r) => r.findings);
    expect(sources.filter((f) => f.host === '203.0.113.5' && f.kind === 'attack-bruteforce')).toEqual([]);
    // Nothing new since: a run with the state reads nothing.
    const r4 = await run(root, JSON.parse(JSON.stringify(r3.out.state)));
    expect(r4.findings).toEqual([]);
    // --all reads every member from the start and does not return state.
    const all = await run(root, r4.out.state, { all: true });
    expect(all.out.state).toBeUndefined();
    expect(all.bf.find((f) => f.host === '203.0.113.5')?.data.count).toBe(6);
  });

  it('counts btmp failures once (with the log line of the same attempt) and resumes after its offset', async () => {
    const { root, auth } = tree();
    const t0 = Date.UTC(2024, 5, 30, 10, 0, 0) / 1000;
    // Two attempts logged by sshd and recorded in btmp, four only in btmp (the auth log lost them).
    write(auth, fail(0, '192.0.2.66') + fail(1, '192.0.2.66'));
    const btmp = (from: number, n: number) =>
      encodeRecords(
        Array.from({ length: n }, (_, i) => ({
          type: UT.LOGIN_PROCESS,
          pid: 500 + i,
          line: 'ssh:notty',
          user: `guess${from + i}`,
          host: '192.0.2.66',
          addr: addrFromText('192.0.2.66'),
          sec: t0 + from + i,
        })),
      );
    writeFileSync(path.join(root, 'var/log/btmp'), btmp(0, 6));
    const r1 = await run(root, undefined);
    expect(r1.bf).toHaveLength(1);
    expect(r1.bf[0]?.data).toMatchObject({ count: 6 });
    expect(r1.bf[0]?.data.users).toContain('guess5');
    // Nothing new: no finding; two new btmp records alone stay below maxretry.
    const r2 = await run(root, JSON.parse(JSON.stringify(r1.out.state)));
    expect(r2.bf).toEqual([]);
    appendFileSync(path.join(root, 'var/log/btmp'), btmp(6, 2));
    const r3 = await run(root, JSON.parse(JSON.stringify(r2.out.state)));
    expect(r3.bf[0]?.data.count).toBe(2);
  });

  it("reads the log's year-less stamps in the tree's zone under --root (not the auditor's): the login after them is CRITICAL", async () => {
    const { root, auth } = tree();
    mkdirSync(path.join(root, 'etc'));
    symlinkSync('/usr/share/zoneinfo/Asia/Tokyo', path.join(root, 'etc/localtime'));
    // 15:00 JST is 06:00Z; the wtmp login from the same address at 07:00Z comes after the burst.
    write(
      auth,
      Array.from(
        { length: 6 },
        (_, i) =>
          `Jun 30 15:00:0${i} srv sshd[${200 + i}]: Failed password for invalid user u${i} from 203.0.113.60 port ${5000 + i} ssh2\n`,
      ).join(''),
    );
    writeFileSync(
      path.join(root, 'var/log/wtmp'),
      encodeRecords([
        {
          type: UT.USER_PROCESS,
          pid: 9,
          line: 'pts/3',
          user: 'alice',
          host: '203.0.113.60',
          sec: Date.UTC(2024, 5, 30, 7) / 1000,
        },
      ]),
    );
    const out = await attacksCheck.run({
      host: makeHost({ root, name: 'srv', now: NOW, env: { TZ: 'America/New_York' } }),
      config: configSchema.parse({}),
      plan,
      state: undefined,
      options: { all: false },
      signal: new AbortController().signal,
    });
    const bf = out.results.flatMap((r) => r.findings).find((f) => f.kind === 'attack-bruteforce');
    expect([bf?.status, bf?.first]).toEqual(['CRITICAL', '2024-06-30T06:00:00.000Z']);
  });

  it('is CRITICAL when a source that failed 50 times then logged in (wtmp), also in a later run', async () => {
    const { root, auth } = tree();
    write(auth, Array.from({ length: 50 }, (_, i) => fail(i, '203.0.113.50')).join(''));
    const r1 = await run(root, undefined);
    expect(r1.bf[0]).toMatchObject({ status: 'WARNING', host: '203.0.113.50' });
    const login = Date.UTC(2024, 5, 30, 11, 30, 0) / 1000;
    writeFileSync(
      path.join(root, 'var/log/wtmp'),
      encodeRecords([
        { type: UT.USER_PROCESS, pid: 9, line: 'pts/3', user: 'root', host: '203.0.113.50', sec: login },
      ]),
    );
    const r2 = await run(root, JSON.parse(JSON.stringify(r1.out.state)));
    expect(r2.bf).toHaveLength(1);
    expect(r2.bf[0]).toMatchObject({ status: 'CRITICAL', host: '203.0.113.50', user: 'root' });
    expect(r2.bf[0]?.data.count).toBe(50);
    // In one run (no state) the same files give one CRITICAL finding with the 50 failures.
    const fresh = await run(root, undefined);
    expect(fresh.bf[0]).toMatchObject({ status: 'CRITICAL' });
    expect(fresh.bf[0]?.data).toMatchObject({ count: 50, succeeded: { user: 'root' } });
    // The run after that has nothing new: the same login is not reported again.
    const r3 = await run(root, JSON.parse(JSON.stringify(r2.out.state)));
    expect(r3.bf).toEqual([]);
  });

  it("names sshd for a login after a brute force whether the auth log's Accepted line or only wtmp's pts record shows it", async () => {
    const { root, auth } = tree();
    const fails = Array.from({ length: 20 }, (_, i) => fail(i, '203.0.113.51')).join('');
    const login = Date.UTC(2024, 5, 30, 10, 41, 0);
    writeFileSync(
      path.join(root, 'var/log/wtmp'),
      encodeRecords([
        {
          type: UT.USER_PROCESS,
          pid: 46005,
          line: 'pts/3',
          user: 'scanner',
          host: '203.0.113.51',
          sec: login / 1000,
          usec: 200_000,
        },
      ]),
    );
    // The live auth log no longer holds the Accepted line (rotated away, or --since past it): wtmp alone.
    write(auth, fails);
    const fromWtmp = await run(root, undefined, { all: true });
    // The same login in the auth log too.
    write(
      auth,
      `${fails}Jun 30 10:41:00 srv sshd[46005]: Accepted password for scanner from 203.0.113.51 port 51515 ssh2\n`,
    );
    const fromLog = await run(root, undefined, { all: true });
    for (const r of [fromWtmp, fromLog]) {
      expect(r.bf[0]?.status).toBe('CRITICAL');
      expect(r.bf[0]?.summary).toMatch(/; then logged in as scanner via sshd$/);
      expect(r.bf[0]?.data.succeeded).toMatchObject({ user: 'scanner', service: 'sshd' });
    }
  });

  it('is CRITICAL when a source that failed basic auth in one run logs in over it in the next', async () => {
    const { root } = tree();
    const access = path.join(root, 'var/log/nginx/access.log');
    mkdirSync(path.dirname(access), { recursive: true });
    const web = testPlan([servicePlan('nginx', { logs: ['/var/log/nginx/access.log'] })], []);
    const req = (sec: number, user: string, status: number) =>
      `203.0.113.60 - ${user} [30/Jun/2024:10:${String(sec).padStart(2, '0')}:00 +0000] "GET /private/ HTTP/1.1" ${status} 179 "-" "curl/8.5.0"\n`;
    write(access, Array.from({ length: 12 }, (_, i) => req(i, `u${i}`, 401)).join(''));
    const r1 = await run(root, undefined, {}, web);
    expect(r1.bf[0]).toMatchObject({ status: 'WARNING', host: '203.0.113.60' });
    // the next run: the login alone (a public page with a user first, which is no login)
    write(access, `${req(40, 'alice', 200).replace('/private/', '/')}${req(41, 'alice', 200)}`, true);
    const r2 = await run(root, JSON.parse(JSON.stringify(r1.out.state)), {}, web);
    expect(r2.bf).toHaveLength(1);
    expect(r2.bf[0]).toMatchObject({ status: 'CRITICAL', host: '203.0.113.60', user: 'alice' });
    expect(r2.bf[0]?.summary).toMatch(/logged in as alice via nginx after 12 failed logins/);
    // and the run after that has nothing new
    const r3 = await run(root, JSON.parse(JSON.stringify(r2.out.state)), {}, web);
    expect(r3.bf).toEqual([]);
    // nor has a later one where alice goes on browsing (every request of her session logs her): said once
    write(access, `${req(50, 'alice', 200)}${req(51, 'alice', 304)}`, true);
    const r4 = await run(root, JSON.parse(JSON.stringify(r3.out.state)), {}, web);
    expect(r4.bf).toEqual([]);
  });

  it('counts a line that rsyslog wrote to two logs (syslog and mail.log) once', async () => {
    const { root } = tree();
    const sasl = (sec: number) =>
      `Jun 30 10:00:${String(sec).padStart(2, '0')} mx postfix/smtpd[301]: warning: unknown[203.0.113.230]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n`;
    const lines = sasl(1) + sasl(2) + sasl(3);
    write(path.join(root, 'var/log/syslog'), lines);
    write(path.join(root, 'var/log/mail.log'), lines);
    const twoLogs = testPlan([], ['/var/log/syslog', '/var/log/mail.log']);
    const r = await run(root, undefined, {}, twoLogs);
    // Three failures are under maxretry (5): no finding; six (each counted twice) would be one.
    expect(r.bf).toEqual([]);
    write(path.join(root, 'var/log/mail.log'), lines + sasl(4) + sasl(5));
    const r2 = await run(root, undefined, {}, twoLogs);
    expect(r2.bf).toHaveLength(1);
    expect(r2.bf[0]?.data.count).toBe(5);
  });

  it('honours --since: only events at or after it', async () => {
    const { root, auth } = tree();
    write(auth, Array.from({ length: 10 }, (_, i) => fail(i, '203.0.113.9')).join(''));
    const later = await run(root, undefined, { since: new Date(Date.UTC(2024, 5, 30, 11, 0, 0)) });
    expect(later.bf).toEqual([]);
    expect(later.out.state).toBeUndefined();
    const earlier = await run(root, undefined, { since: new Date(Date.UTC(2024, 5, 30, 9, 0, 0)) });
    expect(earlier.bf[0]?.data.count).toBe(10);
  });
});

describe('a journal this run may not read', () => {
  it('is UNKNOWN on a host whose journal is its system log (auto, no syslog file), not a quiet OK', async () => {
    const { root } = tree();
    mkdirSync(path.join(root, 'var/log/journal'), { recursive: true });
    writeFileSync(path.join(root, 'var/log/journal/system.journal'), ''); // a journal is there
    const denied: JournalRunner = async function* () {
      await Promise.resolve();
      yield* [];
      throw new JournalAccessError('permission denied: the system journal is readable only by root');
    };
    const out = await makeAttacksCheck({ journalRunner: denied }).run({
      host: makeHost({ root, name: 'srv', now: NOW, env: { TZ: 'UTC' } }),
      config: configSchema.parse({}),
      plan: { ...plan, journal: 'auto' },
      state: undefined,
      options: { all: false },
      signal: new AbortController().signal,
    });
    const problems = out.results.flatMap((r) => r.findings).filter((f) => f.kind === 'not-checked');
    expect(problems.map((f) => [f.status, f.summary])).toEqual([
      [
        'UNKNOWN',
        'Cannot look for attacks in journal: permission denied: the system journal is readable only by root',
      ],
    ]);
  });
});

describe('a report of a botnet', () => {
  it('lists the most serious findings and counts the rest, so a mailed report stays small', () => {
    const bf = (i: number, count: number, status: 'WARNING' | 'CRITICAL'): AttackFinding => ({
      kind: 'attack-bruteforce',
      status,
      service: 'sshd',
      summary: `198.51.${i >> 8}.${i & 255}: ${count} failed logins`,
      evidence: [],
      host: `198.51.${i >> 8}.${i & 255}`,
      data: {
        host: `198.51.${i >> 8}.${i & 255}`,
        users: [],
        usersTotal: 0,
        count,
        peak: count,
        findtime: 600,
        services: ['sshd'],
        succeeded: null,
      },
    });
    const many = Array.from({ length: 500 }, (_, i) => bf(i, 6 + (i % 7), 'WARNING'));
    many.push(bf(999, 6, 'CRITICAL'));
    const [r] = buildResults(many, [], 1e6);
    expect(r?.findings).toHaveLength(MAX_LISTED);
    expect(r?.findings[0]?.status).toBe('CRITICAL');
    // The biggest attacks come next: 71 sources failed 12 times, the most of the rest.
    expect(r?.findings.slice(1).every((f) => f.kind === 'attack-bruteforce' && f.data.count === 12)).toBe(
      true,
    );
    expect(r?.summary).toMatch(
      /; the 50 most serious listed, 451 more from 451 more sources \(tenken attacks lists them all\)$/,
    );
    expect(r?.status).toBe('CRITICAL');
    // The JSON says how many were left out, per status, not only the summary's words.
    expect(r?.omitted).toEqual({ count: 451, statuses: { WARNING: 451 } });
    // Under --root (and --state), the command it names lists that tree's attacks, pasted as written.
    const [under] = buildResults(many, [], 1e6, ['--root', '/srv/other host', '--state', '/tmp/st']);
    expect(under?.summary).toMatch(
      /\(tenken --root '\/srv\/other host' --state \/tmp\/st attacks lists them all\)$/,
    );
  });
});

/** Ten failed sshd-session logins from `host` in the last hour, in a real journal under the tree. */
function sshdJournal(root: string, pid: number, host: string): void {
  const at = NOW.getTime() - 3600_000;
  writeJournal(
    path.join(root, 'var/log/journal'),
    Array.from({ length: 10 }, (_, i) => ({
      at: at + i * 1000,
      _HOSTNAME: 'srv',
      SYSLOG_IDENTIFIER: 'sshd-session',
      SYSLOG_PID: pid + i,
      MESSAGE: `Failed password for invalid user u${i} from ${host} port ${4000 + i} ssh2`,
    })),
  );
}

describe('a saved journal cursor journalctl refuses', () => {
  it('is dropped and this boot read, not an UNKNOWN on every later run', async () => {
    const { root } = tree();
    sshdJournal(root, 200, '203.0.113.5');
    const inspected: Plan = { ...plan, journal: 'on' };
    const first = await run(root, undefined, {}, inspected);
    expect(first.bf.map((f) => [f.host, f.data.count])).toEqual([['203.0.113.5', 10]]);
    // A state whose cursor journalctl cannot parse (edited by hand, or written by another tool).
    const refused = { ...(first.out.state as object), journal: { cursor: 'not a cursor' } };
    const second = await run(root, refused, {}, inspected);
    expect(second.findings.filter((f) => f.kind === 'not-checked').map((f) => f.summary)).toEqual([]);
    const saved = (second.out.state as { journal?: { cursor: string } }).journal?.cursor;
    expect(saved).toMatch(/^s=/);
    const third = await run(root, second.out.state, {}, inspected);
    expect(third.findings.filter((f) => f.kind === 'not-checked').map((f) => f.summary)).toEqual([]);
  });
});

describe('a journal vacuumed since the last run', () => {
  it("counts the first entry it still holds: the saved cursor's entry is gone, not read again", async () => {
    const { root } = tree();
    const dir = path.join(root, 'var/log/journal');
    const at = NOW.getTime() - 3600_000;
    const failures = (from: number, n: number, host: string) =>
      Array.from({ length: n }, (_, k) => ({
        at: at + (from + k) * 60_000,
        _HOSTNAME: 'srv',
        SYSLOG_IDENTIFIER: 'sshd-session',
        SYSLOG_PID: 500 + from + k,
        MESSAGE: `Failed password for invalid user u${from + k} from ${host} port ${4000 + from + k} ssh2`,
      }));
    const inspected: Plan = { ...plan, journal: 'on' };
    writeJournal(dir, failures(0, 10, '203.0.113.7'), 'system.journal');
    const first = await run(root, undefined, {}, inspected);
    expect(first.bf.map((f) => [f.host, f.data.count])).toEqual([['203.0.113.7', 10]]);
    // journald appends, rotates the file, writes on in a new one; a vacuum deletes the rotated one.
    writeJournal(dir, failures(10, 10, '203.0.113.7'), 'system.journal');
    const archived = path.join(
      dir,
      'system@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-0000000000000001-0000000000000001.journal',
    );
    renameSync(path.join(dir, 'system.journal'), archived);
    writeJournal(dir, failures(20, 10, '203.0.113.8'), 'system.journal');
    rmSync(archived);
    const next = await run(root, first.out.state, {}, inspected);
    // All ten: `--after-cursor` of systemd before 255 skipped u20, the first entry it landed on.
    expect(next.bf.map((f) => [f.host, f.data.count])).toEqual([['203.0.113.8', 10]]);
  });
});

describe('a journalctl that fails part way', () => {
  it('has the entries it printed counted once: the next run reads on after them, not from the old cursor', async () => {
    const { root } = tree();
    sshdJournal(root, 300, '203.0.113.6');
    // journalctl's own output, cut after its sixth entry by an I/O error.
    const cut: JournalRunner = async function* (args, signal) {
      const chunks: Buffer[] = [];
      for await (const c of spawnJournalctl(args, signal)) chunks.push(Buffer.from(c));
      const all = Buffer.concat(chunks);
      let end = 0;
      for (let i = 0; i < 6; i++) end = all.indexOf('\n\n', end) + 2;
      yield all.subarray(0, end);
      throw new Error('Error was encountered while reading the journal: Input/output error');
    };
    const inspected: Plan = { ...plan, journal: 'on' };
    const host = makeHost({ root, name: 'srv', now: NOW, env: { TZ: 'UTC' } });
    const first = await makeAttacksCheck({ journalRunner: cut }).run({
      host,
      config: configSchema.parse({}),
      plan: inspected,
      state: undefined,
      options: { all: false },
      signal: new AbortController().signal,
    });
    expect(first.results.flatMap((r) => r.findings).map((f) => [f.status, f.summary])).toContainEqual([
      'UNKNOWN',
      'Cannot look for attacks in journal: Error was encountered while reading the journal: Input/output error',
    ]);
    const next = await run(root, first.state, {}, inspected);
    // As a burst split by two runs: the 4 new failures, in a window of 10 (the old cursor read 10 again).
    expect(next.bf.map((f) => [f.host, f.data.count, f.data.peak])).toEqual([['203.0.113.6', 4, 10]]);
  });
});
