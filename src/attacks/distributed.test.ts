import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import { Accountant, type LocatedEvent } from './account.ts';
import { parseAttacksState } from './check.ts';
import { attacksConfig } from './config.ts';
import { AttackDetectors, type WindowTail } from './detect.ts';
import { BUCKET_SOURCES, DIST_BUCKETS, DistributedWindow, TAIL_BUCKET_SOURCES } from './distributed.ts';
import type { AttackFinding } from './findings.ts';

const NOW = new Date(Date.UTC(2024, 5, 30, 23, 59, 0));
const UTC = makeZone('UTC');
const T0 = Date.UTC(2024, 5, 30, 0, 0, 0);

/** A syslog stamp `sec` seconds after Jun 30 00:00 UTC. */
function stamp(sec: number): string {
  const d = new Date(T0 + sec * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `Jun ${d.getUTCDate()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** One failed sshd password guess by `host` for `user` at `sec`. */
const guess = (sec: number, host: string, user: string, pid: number) =>
  `${stamp(sec)} srv sshd[${pid}]: Failed password for ${user} from ${host} port ${40000 + (pid % 20000)} ssh2`;

/**
 * A botnet: `sources` addresses each guessing `each` times, spread evenly over `spanSec` seconds from
 * `startSec` (addresses interleaved, as a botnet's come).
 */
function botnet(sources: number, each: number, spanSec: number, startSec = 0, net = '198.18'): string[] {
  const total = sources * each;
  const users = ['root', 'admin', 'test', 'oracle'];
  return Array.from({ length: total }, (_, i) => {
    const s = i % sources;
    const sec = startSec + Math.floor((i * spanSec) / total);
    return guess(sec, `${net}.${s >> 8}.${s & 255}`, users[i % users.length] as string, 1000 + i);
  });
}

function run(lines: string[], opts: { history?: WindowTail; cfg?: unknown } = {}) {
  const det = new AttackDetectors(
    attacksConfig.parse(opts.cfg ?? {}),
    opts.history ? { history: opts.history } : {},
  );
  const acc = new Accountant({ now: NOW, zone: UTC, hints: [] });
  acc.scanText(lines.join('\n'), 1, (e: LocatedEvent) => det.add({ ...e, source: '/var/log/auth.log' }));
  const report = det.finish();
  return { report, tail: det.tail() };
}

const distributed = (findings: AttackFinding[]) => findings.filter((f) => f.kind === 'attack-distributed');

describe('distributed brute force', () => {
  it('is a WARNING for 300 failures in an hour from 75 addresses trying 4 times each (under maxretry 5)', () => {
    const { report } = run(botnet(75, 4, 3600, 3600));
    expect(report.findings.filter((f) => f.kind === 'attack-bruteforce')).toEqual([]);
    const [f, ...more] = distributed(report.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('WARNING');
    expect(f?.service).toBe('sshd');
    if (f?.kind !== 'attack-distributed') throw new Error('no distributed finding');
    expect(f.data).toMatchObject({
      count: 300,
      sources: 75,
      sourcesCapped: false,
      window: 3600,
      services: ['sshd'],
      usersTotal: 4,
      succeeded: null,
    });
    expect(f.data.peak).toBeGreaterThanOrEqual(100);
    expect(f.data.users).toEqual([
      { user: 'admin', count: 75 },
      { user: 'oracle', count: 75 },
      { user: 'root', count: 75 },
      { user: 'test', count: 75 },
    ]);
    expect(f.data.top).toHaveLength(5);
    expect(f.data.top[0]?.count).toBe(4);
    expect(f.summary).toMatch(
      /^distributed brute force: 300 failed logins from 75 sources, each under maxretry, on sshd, peak \d+ from \d+ sources in 60 min; users admin 75, oracle 75, root 75, test 75; most from 198\.18\.0\.0 \(4\), 198\.18\.0\.1 \(4\), 198\.18\.0\.10 \(4\), \.\.\.$/,
    );
    expect(f.first).toBe('2024-06-30T01:00:00.000Z');
    expect(f.evidence.length).toBe(5);
  });

  it('stays quiet for the same 300 failures spread over a day, and for 20 addresses trying 4 times', () => {
    expect(distributed(run(botnet(75, 4, 86_000)).report.findings)).toEqual([]);
    expect(distributed(run(botnet(20, 4, 600)).report.findings)).toEqual([]);
    // Internet background noise: a handful of guesses an hour from a few addresses, all day.
    expect(distributed(run(botnet(24, 4, 86_000)).report.findings)).toEqual([]);
  });

  it('is CRITICAL when one of the botnet then logged in, naming it', () => {
    const lines = [
      ...botnet(75, 4, 3600, 3600),
      `${stamp(7300)} srv sshd[9999]: Accepted password for oracle from 198.18.0.42 port 50000 ssh2`,
    ];
    const [f] = distributed(run(lines).report.findings);
    expect(f?.status).toBe('CRITICAL');
    expect(f?.kind === 'attack-distributed' && f.data.succeeded).toEqual({
      host: '198.18.0.42',
      user: 'oracle',
      time: '2024-06-30T02:01:40.000Z',
      service: 'sshd',
    });
    expect(f?.summary).toMatch(/ in 60 min; then 198\.18\.0\.42 logged in as oracle via sshd; users /);
    // A login of an address that is not one of the botnet's is no intrusion of it.
    const other = [
      ...botnet(75, 4, 3600, 3600),
      `${stamp(7300)} srv sshd[9999]: Accepted password for oracle from 192.0.2.1 port 50000 ssh2`,
    ];
    expect(distributed(run(other).report.findings)[0]?.status).toBe('WARNING');
  });

  it('is no intrusion when a public address mistyped its own account once during a campaign, then logged in', () => {
    const accepted = (sec: number, host: string, user: string) =>
      `${stamp(sec)} srv sshd[9999]: Accepted password for ${user} from ${host} port 50000 ssh2`;
    // The admin at home mistypes their password once while a botnet tries root, admin, test and oracle.
    const typo = run([
      ...botnet(75, 4, 3600, 3600),
      guess(5000, '203.0.113.9', 'yanagi', 9000),
      accepted(5010, '203.0.113.9', 'yanagi'),
    ]);
    const [f, ...more] = distributed(typo.report.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('WARNING');
    expect(f?.kind === 'attack-distributed' && f.data.succeeded).toBe(null);
    expect(f?.summary).toContain(
      '; 203.0.113.9 logged in as yanagi via sshd after failing only as that user, whom no other source tried (a mistyped password, not counted as an intrusion)',
    );
    // The same address guessing another account first, or an account the botnet tried, is an intrusion.
    const other = run([
      ...botnet(75, 4, 3600, 3600),
      guess(5000, '203.0.113.9', 'backup', 9000),
      accepted(5010, '203.0.113.9', 'yanagi'),
    ]);
    expect(distributed(other.report.findings).map((x) => x.status)).toEqual(['CRITICAL']);
    const tried = run([
      ...botnet(75, 4, 3600, 3600),
      guess(5000, '203.0.113.9', 'oracle', 9000),
      accepted(5010, '203.0.113.9', 'oracle'),
    ]);
    expect(distributed(tried.report.findings).map((x) => x.status)).toEqual(['CRITICAL']);
    // A typo does not hide a botnet member's login in the same run.
    const both = run([
      ...botnet(75, 4, 3600, 3600),
      guess(5000, '203.0.113.9', 'yanagi', 9000),
      accepted(5010, '203.0.113.9', 'yanagi'),
      accepted(7300, '198.18.0.42', 'oracle'),
    ]);
    const [g] = distributed(both.report.findings);
    expect(g?.status).toBe('CRITICAL');
    expect(g?.kind === 'attack-distributed' && g.data.succeeded?.host).toBe('198.18.0.42');
  });

  it("does not count a source's failures twice: those of a source with its own finding stay out", () => {
    // 20 botnet addresses (80 failures) and one address guessing 50 times: the botnet alone is under 100.
    const loud = Array.from({ length: 50 }, (_, i) => guess(3600 + i * 60, '203.0.113.9', 'root', 5000 + i));
    const quiet = run([...botnet(20, 4, 3600, 3600), ...loud]).report;
    expect(quiet.findings.map((f) => f.kind)).toEqual(['attack-bruteforce']);
    // 60 addresses (240 failures) and the same loud one: the distributed finding counts the 240 only.
    const both = run([...botnet(60, 4, 3600, 3600), ...loud]).report;
    const [f] = distributed(both.findings);
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.sources]).toEqual([240, 60]);
    expect(f?.kind === 'attack-distributed' && f.data.top.map((t) => t.host)).not.toContain('203.0.113.9');
  });

  it('counts the addresses of one IPv6 /64 as one source, as the per-source detector groups them', () => {
    // 9 /64s, 12 addresses each trying once, one try every 5 minutes per /64: 108 failures, 9 sources.
    const v6 = (nets: number) =>
      Array.from({ length: nets * 12 }, (_, i) =>
        guess(
          3600 + Math.floor(i / nets) * 300 + (i % nets),
          `2001:db8:${i % nets}:1::${(i >> 4) + 1}`,
          'root',
          7000 + i,
        ),
      );
    const nine = run(v6(9)).report;
    expect(nine.findings).toEqual([]);
    const eleven = run(v6(11)).report;
    const [f] = distributed(eleven.findings);
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.sources]).toEqual([132, 11]);
    expect(f?.kind === 'attack-distributed' && f.data.top[0]?.host).toMatch(/^2001:db8:\w+:1::\/64$/);
  });

  it('continues the window across runs through the tail, and says a campaign once per run', () => {
    // Run 1: 40 addresses, 2 tries each in 10:00-10:20 (80: quiet). Run 2: 2 more each, 10:20-10:40.
    const first = run(botnet(40, 2, 1200, 36_000));
    expect(distributed(first.report.findings)).toEqual([]);
    expect(first.tail.dist?.reduce((n, b) => n + b.n, 0)).toBe(80);
    const second = run(botnet(40, 2, 1200, 37_200), { history: first.tail });
    const [f, ...more] = distributed(second.report.findings);
    expect(more).toEqual([]);
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.sources]).toEqual([160, 40]);
    // Without the tail, the second run alone is quiet.
    expect(distributed(run(botnet(40, 2, 1200, 37_200)).report.findings)).toEqual([]);
    // Run 3 with nothing new: the campaign is not said again.
    const third = run([], { history: second.tail });
    expect(distributed(third.report.findings)).toEqual([]);
    // A campaign going on for six hours in one run is one finding, for all of it.
    const long = distributed(run(botnet(200, 4, 6 * 3600, 3600)).report.findings);
    expect(long).toHaveLength(1);
    expect(long[0]?.kind === 'attack-distributed' && long[0].data.count).toBe(800);
  });

  it('is CRITICAL when a source of the previous run’s window logs in now', () => {
    const first = run(botnet(75, 4, 3000, 36_000));
    expect(distributed(first.report.findings)[0]?.status).toBe('WARNING');
    const second = run(
      [
        ...botnet(30, 1, 60, 39_100, '198.18'),
        `${stamp(39_200)} srv sshd[9999]: Accepted password for root from 198.18.0.50 port 50000 ssh2`,
      ],
      { history: first.tail },
    );
    const [f] = distributed(second.report.findings);
    expect(f?.status).toBe('CRITICAL');
    expect(f?.kind === 'attack-distributed' && f.data.succeeded?.host).toBe('198.18.0.50');
  });

  it('leaves local sources to the logs check: no member, not counted, their login no intrusion', () => {
    const accepted = (sec: number, host: string, user: string) =>
      `${stamp(sec)} srv sshd[9999]: Accepted password for ${user} from ${host} port 50000 ssh2`;
    // The office user mistypes once from the LAN during a botnet campaign, then logs in: the campaign is a WARNING.
    const typo = run([
      ...botnet(75, 4, 3600, 3600),
      guess(7000, '192.168.1.50', 'alice', 9000),
      accepted(7010, '192.168.1.50', 'alice'),
    ]);
    const [f, ...more] = distributed(typo.report.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('WARNING');
    expect(f?.summary).not.toContain('192.168.1.50');
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.sources]).toEqual([300, 75]);
    // Failures of local sources (private, CGNAT, loopback, link-local, ULA) do not make a campaign.
    const lan = ['10.0.0', '172.16.4', '100.64.0', '169.254.1'].flatMap((net, j) =>
      Array.from({ length: 8 }, (_, i) =>
        guess(3600 + j * 600 + i * 60, `${net}.${i + 1}`, 'bob', 8000 + j * 8 + i),
      ),
    );
    const v6lan = Array.from({ length: 8 }, (_, i) => guess(3700 + i * 60, `fd00:${i}::1`, 'bob', 8100 + i));
    expect(distributed(run([...botnet(20, 4, 3600, 3600), ...lan, ...v6lan]).report.findings)).toEqual([]);
  });

  it('is CRITICAL only for a login from the exact address that failed, not another of its /64', () => {
    const accepted = (sec: number, host: string) =>
      `${stamp(sec)} srv sshd[9999]: Accepted password for carol from ${host} port 50000 ssh2`;
    const lines = [...botnet(75, 4, 3600, 3600), guess(5000, '2001:db8:1:2::7', 'root', 9100)];
    const neighbour = distributed(run([...lines, accepted(7300, '2001:db8:1:2::50')]).report.findings);
    expect(neighbour.map((f) => f.status)).toEqual(['WARNING']);
    const same = distributed(run([...lines, accepted(7300, '2001:db8:1:2::7')]).report.findings);
    expect(same.map((f) => f.status)).toEqual(['CRITICAL']);
    // In the next run, through the carried buckets, the same.
    const first = run(lines);
    expect(first.tail.dist?.some((b) => b.hosts?.includes('2001:db8:1:2::7'))).toBe(true);
    const later = (host: string) =>
      distributed(run([accepted(7300, host)], { history: first.tail }).report.findings).map((f) => f.status);
    expect(later('2001:db8:1:2::50')).toEqual([]);
    expect(later('2001:db8:1:2::7')).toEqual(['CRITICAL']);
  });

  it('is CRITICAL for a login in the next run with no new failures, once, and otherwise says nothing', () => {
    const first = run(botnet(30, 5, 3000, 36_000));
    expect(distributed(first.report.findings).map((f) => f.status)).toEqual(['WARNING']);
    const login = `${stamp(39_200)} srv sshd[9999]: Accepted password for root from 198.18.0.7 port 50000 ssh2`;
    const second = run([login], { history: first.tail });
    const [f, ...more] = distributed(second.report.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('CRITICAL');
    expect(f?.summary).toMatch(/; then 198\.18\.0\.7 logged in as root via sshd; /);
    expect(distributed(run([], { history: second.tail }).report.findings)).toEqual([]);
    // A login of another address, or none: the WARNING is not repeated.
    const other = `${stamp(39_200)} srv sshd[9999]: Accepted password for root from 192.0.2.1 port 50000 ssh2`;
    expect(distributed(run([other], { history: first.tail }).report.findings)).toEqual([]);
    expect(distributed(run([], { history: first.tail }).report.findings)).toEqual([]);
  });

  it('says a campaign an earlier run said again only for a material part of it, with the whole window', () => {
    const first = run(botnet(30, 5, 3000, 36_000));
    expect(distributed(first.report.findings).map((f) => f.status)).toEqual(['WARNING']);
    // One straggler failure (under 10% of perHour): nothing.
    const one = run([guess(39_100, '198.18.0.3', 'alice', 9200)], { history: first.tail });
    expect(distributed(one.report.findings)).toEqual([]);
    // Ten more (10% of perHour): said again, its counts and top sources the whole window's.
    const ten = run(
      Array.from({ length: 10 }, (_, i) => guess(39_100 + i * 10, `198.18.0.${i}`, 'alice', 9300 + i)),
      { history: first.tail },
    );
    const [f, ...more] = distributed(ten.report.findings);
    expect(more).toEqual([]);
    expect(f?.status).toBe('WARNING');
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.sources]).toEqual([160, 30]);
    expect(f?.kind === 'attack-distributed' && f.data.top[0]?.count).toBe(6);
    expect(f?.summary).toContain('; users tried this run: alice 10;');
  });

  it("keeps the window in the check's state, and reads a state saved before it existed", () => {
    const { tail } = run(botnet(40, 2, 1200, 36_000));
    const saved = JSON.parse(JSON.stringify({ version: 1, sources: {}, tail }));
    expect(parseAttacksState(saved)?.tail.dist).toEqual(tail.dist);
    const old = { version: 1, sources: {}, tail: { fail: {}, scan: {}, attackers: {} } };
    expect(parseAttacksState(old)?.tail.dist).toBeUndefined();
    expect(distributed(run(botnet(75, 4, 3600, 3600), { history: old.tail }).report.findings)).toHaveLength(
      1,
    );
  });

  it('configures its thresholds and window', () => {
    const cfg = { distributed: { perHour: 50, sources: 20, window: '2h' } };
    const [f] = distributed(run(botnet(20, 3, 7000), { cfg }).report.findings);
    expect(f?.kind === 'attack-distributed' && [f.data.count, f.data.window]).toEqual([60, 7200]);
    expect(distributed(run(botnet(19, 4, 600), { cfg }).report.findings)).toEqual([]);
    expect(() => attacksConfig.parse({ distributed: { perHour: 0 } })).toThrow();
  });
});

describe('DistributedWindow', () => {
  it('stays bounded under a million distinct sources, counting every failure', () => {
    const w = new DistributedWindow(3600_000);
    const t0 = Date.UTC(2024, 5, 30, 10);
    for (let i = 0; i < 1_000_000; i++) w.add(`s${i}`, t0 + (i % 3_600_000), 1, true);
    const c = w.judge(100, 10);
    expect(c?.count).toBe(1_000_000);
    expect(c?.capped).toBe(true);
    expect(c?.members.size).toBeLessThanOrEqual((DIST_BUCKETS + 1) * BUCKET_SOURCES);
    const tail = w.tail(t0 + 3_599_999);
    expect(tail.length).toBeLessThanOrEqual(DIST_BUCKETS + 1);
    expect(tail.reduce((n, b) => n + b.n, 0)).toBe(1_000_000);
    for (const b of tail) expect(Object.keys(b.sources).length).toBeLessThanOrEqual(TAIL_BUCKET_SOURCES);
  });
});
