import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeZone } from '../core/tz.ts';
import {
  type AuditInput,
  auditLogins,
  capRecord,
  isRemoteHost,
  networkOf,
  Overlaps,
  parsePasswd,
  sessionEvidence,
  systemReason,
} from './audit.ts';
import { loginsConfig } from './config.ts';
import type { LoginsFinding } from './audit-findings.ts';
import { inspectLogins, readState } from './check.ts';
import { boot, contextFor, login, logout, makeTree, routine, writeTree } from './fixtures-audit/tree.ts';
import type { Session } from './history.ts';
import { addrFromText, encodeRecords, type UtmpRecordInput } from './utmp.ts';

async function run(
  records: UtmpRecordInput[],
  now: string,
  opts: Parameters<typeof contextFor>[2] = {},
  root?: string,
) {
  const dir = root ?? makeTree({ wtmp: records });
  if (root) writeTree(root, { wtmp: records });
  const r = await inspectLogins(contextFor(dir, now, { logins: { reconcile: false }, ...opts }));
  return { ...r, root: dir, found: r.findings as unknown as LoginsFinding[] };
}

function kinds<K extends LoginsFinding['kind']>(
  found: LoginsFinding[],
  kind: K,
): Extract<LoginsFinding, { kind: K }>[] {
  return found.filter((f): f is Extract<LoginsFinding, { kind: K }> => f.kind === kind);
}

describe('new host or network', () => {
  it('warns about a login from a network the user never used, with the network', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', 'pc1.office.example', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-10T09:30', '198.51.100.7', 4001),
    ];
    const { found } = await run(recs, '2026-11-11T00:00');
    const nh = kinds(found, 'login-new-host');
    expect(nh).toHaveLength(1);
    expect(nh[0]).toMatchObject({
      status: 'WARNING',
      user: 'alice',
      data: { host: '198.51.100.7', network: '198.51.100.0/24', newNetwork: true, priorLogins: 6 },
    });
    expect(nh[0]?.evidence[0]).toMatchObject({ source: '/var/log/wtmp', line: recs.length });
  });

  it('warns about a host named like a property of every object (constructor, toString)', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', 'pc1.office.example', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-10T09:30', 'constructor', 4001),
      login('alice', 'pts/2', '2026-11-10T09:40', 'toString', 4002),
    ];
    const { found } = await run(recs, '2026-11-11T00:00');
    expect(kinds(found, 'login-new-host').map((f) => [f.status, f.host])).toEqual([
      ['WARNING', 'constructor'],
      ['WARNING', 'toString'],
    ]);
  });

  it("audits a login whose host holds non-ASCII bytes, its network from the record's address", async () => {
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    for (const host of [bytes('東京.example.jp'), 'h\x9bst', bytes('pc 1')]) {
      const recs = [
        boot('2026-11-01T00:00'),
        ...routine('alice', '10.0.0.5', '2026-11-02', 6),
        { ...login('alice', 'pts/1', '2026-11-10T09:30', host, 4001), addr: addrFromText('198.51.100.7') },
      ];
      const nh = kinds((await run(recs, '2026-11-11T00:00')).found, 'login-new-host');
      expect(nh, host).toHaveLength(1);
      expect(nh[0]).toMatchObject({
        status: 'WARNING',
        data: { network: '198.51.100.0/24', newNetwork: true, address: '198.51.100.7' },
      });
    }
    expect([bytes('東京.example.jp'), 'h\x9bst', 'pc1:0'].map(isRemoteHost)).toEqual([true, true, true]);
  });

  it('only notes a new host inside a network the user already uses', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-10T09:30', '10.0.0.77', 4001),
    ];
    const nh = kinds((await run(recs, '2026-11-11T00:00')).found, 'login-new-host');
    expect(nh).toHaveLength(1);
    expect(nh[0]).toMatchObject({ status: 'INFO', data: { newNetwork: false, network: '10.0.0.0/24' } });
  });

  it('does not judge users with too little history, nor console logins', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 2),
      login('alice', 'pts/1', '2026-11-10T09:30', '198.51.100.7', 4001),
      login('bob', 'tty1', '2026-11-10T10:00'),
    ];
    expect(kinds((await run(recs, '2026-11-11T00:00')).found, 'login-new-host')).toEqual([]);
  });

  it('remembers hosts in the state after wtmp was rotated away', async () => {
    const first = [boot('2026-11-01T00:00'), ...routine('alice', '10.0.0.5', '2026-11-02', 6)];
    const r1 = await run(first, '2026-11-09T00:00');
    // The old wtmp is gone (rotated and deleted); a login from the known host is not new, another one is.
    const fresh = [
      login('alice', 'pts/0', '2026-11-10T09:00', '10.0.0.5', 5001),
      login('alice', 'pts/1', '2026-11-10T09:05', '192.0.2.9', 5002),
    ];
    const r2 = await run(fresh, '2026-11-11T00:00', { state: r1.state }, r1.root);
    const nh = kinds(r2.found, 'login-new-host');
    expect(nh.map((f) => f.host)).toEqual(['192.0.2.9']);
  });
});

describe('odd hours', () => {
  it('warns about a login at an hour the user never used, once there is enough history', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 12, '09:00'),
      login('alice', 'pts/1', '2026-11-15T03:10', '10.0.0.5', 4001),
    ];
    const odd = kinds((await run(recs, '2026-11-16T00:00')).found, 'login-odd-hour');
    expect(odd).toHaveLength(1);
    expect(odd[0]).toMatchObject({
      status: 'WARNING',
      data: { hour: 3, usualHours: [9], priorLogins: 12, timeZone: 'UTC' },
    });
  });

  it('uses the host time zone', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 12, '00:00'),
      login('alice', 'pts/1', '2026-11-15T12:00', '10.0.0.5', 4001),
    ];
    const odd = kinds(
      (await run(recs, '2026-11-16T00:00', { logins: { reconcile: false, timeZone: 'Asia/Tokyo' } })).found,
      'login-odd-hour',
    );
    expect(odd[0]?.data).toMatchObject({ hour: 21, usualHours: [9], timeZone: 'Asia/Tokyo' });
  });

  it('says when the history is too short to judge hours', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 3),
      login('alice', 'pts/1', '2026-11-15T03:10', '10.0.0.5', 4001),
    ];
    const { findings } = await run(recs, '2026-11-16T00:00');
    expect(kinds(findings as unknown as LoginsFinding[], 'login-odd-hour')).toEqual([]);
    const note = findings.find((f) => f.kind === 'not-checked');
    expect(note?.summary).toBe(
      'Login hours not judged for alice (3): fewer than 10 earlier logins to compare with',
    );
    expect(note?.status).toBe('INFO');
  });
});

describe('root and system accounts', () => {
  it('flags root over the network as CRITICAL but not root on the console', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      login('root', 'tty1', '2026-11-02T09:00', '', 10),
      logout('tty1', '2026-11-02T09:10', 10),
      login('root', 'pts/0', '2026-11-02T10:00', '203.0.113.9', 11),
    ];
    const rr = kinds((await run(recs, '2026-11-03T00:00')).found, 'login-root-remote');
    expect(rr).toHaveLength(1);
    expect(rr[0]).toMatchObject({ status: 'CRITICAL', host: '203.0.113.9', data: { tty: 'pts/0' } });
  });

  it('flags logins of system uids and nologin shells, not people on an old UID_MIN', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      login('www-data', 'pts/0', '2026-11-02T09:00', '203.0.113.9', 20),
      login('svc', 'pts/1', '2026-11-02T09:01', '', 21),
      login('olduser', 'pts/2', '2026-11-02T09:02', '10.0.0.5', 22),
      login('alice', 'pts/3', '2026-11-02T09:03', '10.0.0.5', 23),
    ];
    const sys = kinds((await run(recs, '2026-11-03T00:00')).found, 'login-system-account');
    expect(sys.map((f) => [f.user, f.data])).toEqual([
      ['www-data', expect.objectContaining({ reason: 'system-uid', uid: 33 })],
      ['svc', expect.objectContaining({ reason: 'nologin-shell', shell: '/usr/sbin/nologin' })],
    ]);
    expect(sys.every((f) => f.status === 'CRITICAL')).toBe(true);
  });

  it('honours UID_MIN from login.defs and the allow list', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      login('olduser', 'pts/2', '2026-11-02T09:02', '', 22),
      login('svc', 'pts/1', '2026-11-02T09:01', '', 21),
    ];
    const root = makeTree({
      wtmp: recs,
      files: {
        '/etc/login.defs': 'UID_MIN\t\t 2000\n',
        '/etc/passwd': 'olduser:x:500:100::/srv/old:/bin/bash\nsvc:x:1002:1002::/srv/svc:/usr/sbin/nologin\n',
      },
    });
    const r = await inspectLogins(
      contextFor(root, '2026-11-03T00:00', { logins: { reconcile: false, allowSystemLogins: ['svc'] } }),
    );
    const sys = kinds(r.findings as unknown as LoginsFinding[], 'login-system-account');
    expect(sys.map((f) => f.user)).toEqual(['olduser']);
  });
});

describe('simultaneous and long sessions', () => {
  it('reports more sessions at once than allowed', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      login('alice', 'pts/0', '2026-11-02T09:00', '10.0.0.5', 1),
      login('alice', 'pts/1', '2026-11-02T09:01', '10.0.0.5', 2),
      login('alice', 'pts/2', '2026-11-02T09:02', '10.0.0.5', 3),
    ];
    const c = kinds((await run(recs, '2026-11-02T10:00')).found, 'login-concurrent');
    expect(c).toHaveLength(1);
    expect(c[0]?.data).toMatchObject({ reason: 'count', limit: 2 });
    expect(c[0]?.data.sessions.map((s) => s.tty)).toEqual(['pts/0', 'pts/1', 'pts/2']);
  });

  it('lists at most 20 of the sessions open at once (a forged wtmp can open thousands)', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...Array.from({ length: 30 }, (_, i) =>
        login('alice', `pts/${i}`, `2026-11-02T09:${String(i).padStart(2, '0')}`, '10.0.0.5', 100 + i),
      ),
    ];
    const c = kinds((await run(recs, '2026-11-02T10:00')).found, 'login-concurrent');
    const last = c.at(-1);
    expect(last?.summary).toContain('30 sessions at once');
    expect(last?.data.sessions).toHaveLength(20);
  });

  it('reports two sessions from different networks at once, not one after the other', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      login('alice', 'pts/0', '2026-11-02T09:00', '10.0.0.5', 1),
      logout('pts/0', '2026-11-02T09:30', 1),
      login('alice', 'pts/0', '2026-11-02T10:00', '192.0.2.1', 2),
      login('alice', 'pts/1', '2026-11-02T10:05', '10.0.0.5', 3),
    ];
    const c = kinds((await run(recs, '2026-11-02T11:00')).found, 'login-concurrent');
    expect(c).toHaveLength(1);
    expect(c[0]?.data).toMatchObject({ reason: 'networks', networks: ['192.0.2.0/24', '10.0.0.0/24'] });
  });

  it('reports a session open far longer than the user usually stays', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    const early = kinds((await run(recs, '2026-11-09T15:00')).found, 'login-long-session');
    expect(early).toEqual([]);
    const late = kinds((await run(recs, '2026-11-10T00:00')).found, 'login-long-session');
    expect(late).toHaveLength(1);
    expect(late[0]?.data).toMatchObject({
      usualSeconds: 3600,
      limitSeconds: 12 * 3600,
      openSeconds: 15 * 3600,
    });
  });
});

describe('a long open session over hourly runs', () => {
  /** Runs the check every hour from `from` to `to` (inclusive) on one tree, the state carried as JSON. */
  async function hourly(recs: UtmpRecordInput[], from: string, to: string, state?: unknown) {
    const root = makeTree({ wtmp: recs });
    const runs: { at: string; long: Extract<LoginsFinding, { kind: 'login-long-session' }>[] }[] = [];
    let saved = state;
    for (let sec = Date.parse(`${from}Z`); sec <= Date.parse(`${to}Z`); sec += 3600_000) {
      const at = new Date(sec).toISOString().slice(0, 16);
      const r = await run(recs, at, saved === undefined ? {} : { state: saved }, root);
      runs.push({ at, long: kinds(r.found, 'login-long-session') });
      saved = JSON.parse(JSON.stringify(r.state));
    }
    return { runs, state: saved as { long?: unknown[] }, root };
  }
  const said = (runs: Awaited<ReturnType<typeof hourly>>['runs']) =>
    runs.flatMap((r) => r.long.map((f) => [r.at, f.data.tty, f.data.openSeconds / 3600]));

  it('says one open session once, and again only when it has been open twice as long', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    // Limit 12 h (1 h usual): over it from 22:00 on; 25 hourly runs up to 37 h open.
    const { runs } = await hourly(recs, '2026-11-09T21:00', '2026-11-10T22:00');
    expect(said(runs)).toEqual([
      ['2026-11-09T22:00', 'pts/1', 13],
      ['2026-11-10T11:00', 'pts/1', 26],
    ]);
    const [first, second] = runs.flatMap((r) => r.long);
    expect(first?.summary).toContain('said again if still open at 1d 2h (in 13h 00m)');
    expect(first?.data).toMatchObject({ reportedAtSeconds: null, againAtSeconds: 26 * 3600 });
    expect(second?.summary).toContain('said before at 13h 00m; said again if still open at 2d 4h');
    expect(second?.data).toMatchObject({ reportedAtSeconds: 13 * 3600, againAtSeconds: 52 * 3600 });
  });

  it('forgets a reported session once it closed', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    const open = await hourly(recs, '2026-11-09T22:00', '2026-11-09T22:00');
    expect(open.state.long).toEqual([
      {
        user: 'alice',
        tty: 'pts/1',
        start: Date.parse('2026-11-09T09:00Z') / 1000,
        pid: 99,
        open: 13 * 3600,
      },
    ]);
    const closed = [...recs, logout('pts/1', '2026-11-09T23:00', 99)];
    const r = await run(closed, '2026-11-10T00:00', { state: open.state }, open.root);
    expect(kinds(r.found, 'login-long-session')).toEqual([]);
    expect(r.state.long).toEqual([]);
  });

  it('says a second long session of the same user as its own WARNING', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
      login('alice', 'pts/2', '2026-11-09T10:00', '10.0.0.5', 100),
    ];
    const { runs } = await hourly(recs, '2026-11-09T21:00', '2026-11-10T06:00');
    expect(said(runs)).toEqual([
      ['2026-11-09T22:00', 'pts/1', 13],
      ['2026-11-09T23:00', 'pts/2', 13],
    ]);
  });

  it('says a new login on the same tty with the same pid as a new session', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    const first = await hourly(recs, '2026-11-09T22:00', '2026-11-09T22:00');
    const again = [
      ...recs,
      logout('pts/1', '2026-11-09T22:30', 99),
      login('alice', 'pts/1', '2026-11-09T22:40', '10.0.0.5', 99),
    ];
    // The closed 13.5 h session made the usual length 13.5 h, the limit 54 h.
    const late = await run(again, '2026-11-12T17:00', { state: first.state }, first.root);
    expect(
      kinds(late.found, 'login-long-session').map((f) => [f.data.start, f.data.reportedAtSeconds]),
    ).toEqual([['2026-11-09T22:40:00Z', null]]);
  });

  it('says a long session once more after a state saved before reported sessions were kept, then not', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    const old = await hourly(recs, '2026-11-09T22:00', '2026-11-09T22:00');
    const { long: _dropped, ...before } = old.state;
    expect(readState(before)).toMatchObject({ v: 1, long: [] });
    expect(readState({ ...before, long: [{ user: 'alice', tty: 'pts/1' }, 'junk', 7] })).toMatchObject({
      long: [],
    });
    const { runs } = await hourly(recs, '2026-11-09T23:00', '2026-11-10T03:00', before);
    expect(said(runs)).toEqual([['2026-11-09T23:00', 'pts/1', 14]]);
  });

  it('shows a long session said before to a look with --since', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '10.0.0.5', 99),
    ];
    const first = await hourly(recs, '2026-11-09T22:00', '2026-11-09T22:00');
    const look = await run(
      recs,
      '2026-11-09T23:00',
      { state: first.state, since: '2026-11-09T00:00' },
      first.root,
    );
    expect(kinds(look.found, 'login-long-session').map((f) => f.data.openSeconds)).toEqual([14 * 3600]);
  });

  it('says why no usual length is known: too few finished sessions', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('carol', '192.0.2.30', '2026-11-02', 4),
      login('carol', 'pts/0', '2026-11-07T10:04', '192.0.2.30', 99),
    ];
    const { found } = await run(recs, '2026-11-09T11:00');
    const long = kinds(found, 'login-long-session');
    expect(long).toHaveLength(1);
    expect(long[0]?.summary).toContain(
      'no usual length known yet (only 4 finished sessions of carol, 5 needed), limit 2d 0h',
    );
    expect(long[0]?.data).toMatchObject({ usualSeconds: null, finishedSessions: 4 });
  });
});

describe('new since the last run', () => {
  it('reports a login once, and a login appended later at the next run', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 6),
      login('alice', 'pts/1', '2026-11-09T09:00', '192.0.2.1', 99),
    ];
    const r1 = await run(recs, '2026-11-09T10:00');
    expect(kinds(r1.found, 'login-new-host')).toHaveLength(1);
    const r2 = await run(recs, '2026-11-09T11:00', { state: r1.state }, r1.root);
    expect(r2.found.filter((f) => f.kind !== 'login-long-session')).toEqual([]);
    expect(r2.newLogins).toBe(0);
    const more = [...recs, login('alice', 'pts/2', '2026-11-09T12:00', '198.51.100.3', 100)];
    const r3 = await run(more, '2026-11-09T13:00', { state: r2.state }, r1.root);
    expect(kinds(r3.found, 'login-new-host').map((f) => f.host)).toEqual(['198.51.100.3']);
    expect(r3.newLogins).toBe(1);
  });

  it('keeps the state small', async () => {
    const recs = [
      boot('2026-11-01T00:00'),
      ...routine('alice', '10.0.0.5', '2026-11-02', 60),
      ...routine('bob', '10.0.0.6', '2026-11-02', 60, '10:00', 'pts/1'),
    ];
    const r = await run(recs, '2027-01-05T00:00');
    expect(JSON.stringify(r.state).length).toBeLessThan(4000);
    expect(r.state.model.alice?.durations).toHaveLength(20);
  });
});

describe('helpers', () => {
  it('tells remote hosts from local displays and multiplexers', () => {
    expect(['10.0.0.5', 'pc1.example', '2001:db8::1'].map(isRemoteHost)).toEqual([true, true, true]);
    expect([':0', '', 'mosh [1234]', 'tmux(77).%0', 'localhost'].map(isRemoteHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
  it('derives networks', () => {
    expect(networkOf('pc1.lo.example.jp', '10.1.2.3')).toBe('10.1.2.0/24');
    expect(networkOf('2001:db8:1:2:3::4', null)).toBe('2001:db8:1:2::/64');
    expect(networkOf('cafe-wifi.example.net', null)).toBe('example.net');
    expect(networkOf('gw', null)).toBeNull();
  });
  it('reads passwd and classifies accounts', () => {
    const a = parsePasswd('root:x:0:0::/root:/bin/bash\nftp:x:14:50::/srv/ftp:/bin/false\n');
    expect(systemReason(a.get('root'), 1000)).toBeNull();
    expect(systemReason(a.get('ftp'), 1000)).toBe('nologin-shell');
  });
  it('handles a wtmp image with a zeroed login between sessions', async () => {
    const img = Buffer.concat([
      encodeRecords([boot('2026-11-01T00:00'), login('alice', 'pts/0', '2026-11-02T09:00', '10.0.0.5', 1)]),
      Buffer.alloc(384),
    ]);
    const r = await inspectLogins(
      contextFor(makeTree({ wtmp: img }), '2026-11-03T00:00', { logins: { reconcile: false } }),
    );
    expect(r.newLogins).toBe(1);
  });
});

describe('the sweeps that keep a big first run linear', () => {
  const session = fc.record({
    user: fc.constantFrom('a', 'b', 'c'),
    start: fc.integer({ min: 0, max: 50 }),
    length: fc.option(fc.integer({ min: 0, max: 30 })),
    open: fc.boolean(),
  });

  /** Sessions of generated records, in start order unless `sorted` is false. */
  const sessionsOf = (
    raw: { user: string; start: number; length: number | null; open: boolean; host?: string }[],
    sorted = true,
  ): Session[] => {
    const list = raw.map(
      (r, i): Session => ({
        user: r.user,
        userBytes: r.user,
        tty: `pts/${i}`,
        host: r.host ?? '',
        address: null,
        start: r.start,
        end: r.length === null ? null : r.start + r.length,
        open: r.length === null && r.open,
        endKind: 'logout',
        pid: i,
        file: 0,
        index: i,
      }),
    );
    return sorted ? list.sort((x, y) => x.start - y.start) : list;
  };
  const HOSTS = ['', '10.0.0.5', '10.0.0.9', '192.0.2.1', 'pc.office.example', 'LAPTOP', 'laptop', ':0'];

  it("finds the same overlapping sessions as filtering all of the user's sessions (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(session, fc.constantFrom(...HOSTS)), { maxLength: 40 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        (raw, sorted, limit, dense) => {
          // Dense: many logins at the same second, so order among equal starts matters.
          const sessions = sessionsOf(
            raw.map(([r, host]) => ({ ...r, start: dense ? r.start % 4 : r.start, host })),
            sorted,
          );
          const sweep = new Overlaps(sessions);
          for (const s of sessions) {
            const naive = sessions.filter(
              (o) =>
                o.user === s.user &&
                o.start <= s.start &&
                (o === s || o.open || (o.end !== null && o.end > s.start)),
            );
            const nets = [
              ...new Set(
                naive
                  .filter((o) => isRemoteHost(o.host))
                  .map((o) => networkOf(o.host, o.address) ?? o.host.toLowerCase()),
              ),
            ];
            const c = sweep.at(s);
            expect(c.count).toBe(naive.length);
            expect(c.networks).toBe(nets.length);
            expect(c.sessions(limit)).toEqual(naive.slice(0, limit));
            expect(c.networkList(limit)).toEqual(nets.slice(0, limit));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('orders networks by their first session, a session closed at once at the same second included', () => {
    // pts/0 (10.0.0.0/24) ended as it began: it counts for itself only, before pts/1's network.
    const sessions = sessionsOf([
      { user: 'a', start: 5, length: 0, open: false, host: '10.0.0.5' },
      { user: 'a', start: 5, length: null, open: true, host: '192.0.2.1' },
      { user: 'a', start: 5, length: null, open: true, host: '10.0.0.9' },
    ]);
    const sweep = new Overlaps(sessions);
    const c = sweep.at(sessions[0] as Session);
    expect([c.count, c.networks]).toEqual([3, 2]);
    expect(c.networkList(5)).toEqual(['10.0.0.0/24', '192.0.2.0/24']);
    expect(c.sessions(2).map((o) => o.tty)).toEqual(['pts/0', 'pts/1']);
    expect(sweep.at(sessions[1] as Session).networkList(5)).toEqual(['192.0.2.0/24', '10.0.0.0/24']);
  });

  /**
   * The simultaneous-session findings as auditLogins made them before the sweep kept counts: the open
   * sessions filtered and mapped to networks for each login. Kept here only as the oracle of the sweep.
   */
  function concurrentByFilter(input: AuditInput): LoginsFinding[] {
    const out: LoginsFinding[] = [];
    for (const s of input.sessions) {
      if (!input.isNew(s)) continue;
      const overlapping = input.sessions.filter(
        (o) =>
          o.user === s.user &&
          o.start <= s.start &&
          (o === s || o.open || (o.end !== null && o.end > s.start)),
      );
      const nets = [
        ...new Set(
          overlapping
            .filter((o) => isRemoteHost(o.host))
            .map((o) => networkOf(o.host, o.address) ?? o.host.toLowerCase()),
        ),
      ];
      const max = input.config.maxConcurrent;
      const reason = overlapping.length > max ? 'count' : nets.length >= 2 ? 'networks' : null;
      if (!reason) continue;
      const what =
        reason === 'count'
          ? `${overlapping.length} sessions at once (more than ${max})`
          : `sessions from ${nets.length} networks at once (${nets.join(', ')})`;
      const from = s.host ? ` from ${s.host}` : '';
      out.push({
        status: 'WARNING',
        service: input.service,
        summary: `${s.user} logged in on ${s.tty}${from} at ${new Date(s.start * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC and had ${what}`,
        evidence: overlapping.slice(0, 10).map((o) => sessionEvidence(o, input.files)),
        first: new Date(s.start * 1000).toISOString().replace('.000', ''),
        last: new Date(s.start * 1000).toISOString().replace('.000', ''),
        user: s.user,
        ...(s.host ? { host: s.host } : {}),
        kind: 'login-concurrent',
        data: {
          user: s.user,
          time: new Date(s.start * 1000).toISOString().replace('.000', ''),
          reason,
          limit: max,
          sessions: overlapping.slice(0, 20).map((o) => ({
            tty: o.tty,
            host: o.host || null,
            start: new Date(o.start * 1000).toISOString().replace('.000', ''),
          })),
          networks: nets,
          networkCount: nets.length,
        },
      });
    }
    return out;
  }

  const auditInput = (sessions: Session[], fresh: (s: Session) => boolean): AuditInput => ({
    sessions,
    files: ['/var/log/wtmp'],
    isNew: fresh,
    learned: undefined,
    lastSec: null,
    now: 1_800_100_000,
    zone: makeZone('UTC'),
    accounts: new Map(),
    uidMin: 1000,
    config: loginsConfig.parse({}),
    service: 'logins',
  });

  it('makes the simultaneous-session findings that filtering every open session made (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(session, fc.constantFrom(...HOSTS), fc.boolean()), { maxLength: 40 }),
        (raw) => {
          const sessions = sessionsOf(
            raw.map(([r, host]) => ({
              ...r,
              start: 1_800_000_000 + r.start * 60,
              length: r.length === null ? null : r.length * 60,
              host,
            })),
          );
          const fresh = new Set(sessions.filter((_, i) => (raw[i] as [unknown, unknown, boolean])[2]));
          const input = auditInput(sessions, (s) => fresh.has(s));
          const found = auditLogins(input).findings.filter((f) => f.kind === 'login-concurrent');
          expect(found).toEqual(concurrentByFilter(input));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('judges 20k logins of one user still open on distinct ttys in bounded time', { timeout: 60_000 }, () => {
    // Every login is still open: each one had all the earlier ones at once.
    const sessions = sessionsOf(
      Array.from({ length: 20_000 }, (_, i) => ({
        user: 'yanagi',
        start: 1_800_000_000 + 2 * i,
        length: null,
        open: true,
        host: `10.0.${i % 4}.${1 + (i % 50)}`,
      })),
    );
    const found = auditLogins(auditInput(sessions, () => true)).findings.filter(
      (f): f is Extract<LoginsFinding, { kind: 'login-concurrent' }> => f.kind === 'login-concurrent',
    );
    // The second login: 2 sessions from 2 networks; every later one: more sessions than 2.
    expect(found).toHaveLength(19_999);
    expect(found[0]?.data).toMatchObject({ reason: 'networks', networks: ['10.0.0.0/24', '10.0.1.0/24'] });
    const last = found.at(-1);
    expect(last?.summary).toContain('had 20000 sessions at once (more than 2)');
    expect(last?.data.sessions).toHaveLength(20);
    expect(last?.data.sessions[0]).toMatchObject({ tty: 'pts/0', host: '10.0.0.1' });
    expect(last?.evidence).toHaveLength(10);
    expect(last?.data).toMatchObject({
      networkCount: 4,
      networks: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'],
    });
  });

  it('lists the first 20 networks of sessions open at once and counts the rest', () => {
    const sessions = sessionsOf(
      Array.from({ length: 30 }, (_, i) => ({
        user: 'yanagi',
        start: 1_800_000_000 + 60 * i,
        length: null,
        open: true,
        host: `192.0.${i}.7`,
      })),
    );
    const input = { ...auditInput(sessions, () => true), config: loginsConfig.parse({ maxConcurrent: 100 }) };
    const last = auditLogins(input)
      .findings.filter((f) => f.kind === 'login-concurrent')
      .at(-1);
    expect(last?.summary).toContain(
      `sessions from 30 networks at once (${Array.from({ length: 20 }, (_, i) => `192.0.${i}.0/24`).join(', ')}, and 10 more)`,
    );
    expect(last?.data).toMatchObject({ networkCount: 30 });
    expect((last?.data as { networks: string[] }).networks).toHaveLength(20);
  });

  it('caps a record to its newest entries as sorting a copy did (property)', () => {
    // Logins come in time order, so each key is set to the newest time yet.
    fc.assert(
      fc.property(fc.array(fc.constantFrom('h1', 'h2', 'h3', 'h4', 'h5', 'h6')), (keys) => {
        let fast: Record<string, number> = {};
        let slow: Record<string, number> = {};
        keys.forEach((k, t) => {
          fast[k] = t;
          slow[k] = t;
          fast = capRecord(fast, 3);
          if (Object.keys(slow).length > 3)
            slow = Object.fromEntries(
              Object.entries(slow)
                .sort((a, b) => b[1] - a[1])
                .slice(0, 3),
            );
        });
        expect(Object.entries(fast).sort()).toEqual(Object.entries(slow).sort());
      }),
      { numRuns: 300 },
    );
  });
});
