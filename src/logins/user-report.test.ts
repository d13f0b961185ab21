import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { displayWidth } from '../core/width.ts';
import { boot, login, loginNamed, logout, makeTree, t } from './fixtures-audit/tree.ts';
import { runLogins } from './fixtures-audit/cli.ts';
import type { Session } from './history.ts';
import { encodeRecords } from './utmp.ts';
import { zoneFromTZ } from '../core/tz.ts';
import {
  buildUserReports,
  durationText,
  htmlDocument,
  renderUserSection,
  renderUserText,
  whenText,
} from './user-report.ts';

const UTC = zoneFromTZ('UTC');

function session(p: Partial<Session> & { user: string; start: number }): Session {
  return {
    userBytes: Buffer.from(p.user, 'utf8').toString('latin1'),
    tty: 'pts/0',
    host: '',
    address: null,
    end: p.start + 600,
    open: false,
    endKind: 'logout',
    pid: 1,
    file: 0,
    index: 0,
    ...p,
  };
}

const EVIL = '<img src=x onerror=alert(1)>\u001b]0;pwn\u0007';

describe('building reports', () => {
  const sessions = [
    session({ user: 'alice', start: t('2026-10-01T09:00'), host: '10.0.0.5', address: '10.0.0.5' }),
    session({ user: 'alice', start: t('2026-11-02T09:00'), host: '10.0.0.5', address: '10.0.0.5' }),
    session({ user: 'alice', start: t('2026-11-03T09:00'), host: '10.0.0.9', address: '10.0.0.9' }),
    session({ user: 'alice', start: t('2026-11-04T09:00'), host: 'x.other.example', address: '192.0.2.1' }),
    session({ user: 'bob', start: t('2026-11-04T10:00'), tty: 'tty1' }),
  ];
  const opts = {
    machine: 'h',
    since: t('2026-11-01T00:00'),
    now: t('2026-11-05T00:00'),
    zone: UTC,
    historyBegins: t('2026-10-01T09:00'),
  };

  it('says in the legend of both marks, host and network, since when the records were looked at', () => {
    const [alice] = buildUserReports(sessions, { ...opts, since: t('2026-09-01T00:00') });
    const text = renderUserText(alice as NonNullable<typeof alice>);
    expect(text).toContain('*  first login from this host (in the records since 2026-10-01)\n');
    expect(text).toContain('** first login from this network (in the records since 2026-10-01)\n');
  });

  it('keeps the period, marks first logins from a host or network over the whole history', () => {
    const [alice, bob] = buildUserReports(sessions, opts);
    expect(alice?.sessions.map((s) => [s.host, s.firstFromHost, s.firstFromNetwork])).toEqual([
      ['10.0.0.5', false, false],
      ['10.0.0.9', true, false],
      ['x.other.example', true, true],
    ]);
    expect(bob?.sessions.map((s) => s.tty)).toEqual(['tty1']);
  });

  it('does not mark hosts the learned model knew before the records begin', () => {
    const learned = {
      alice: {
        logins: 9,
        hours: new Array(24).fill(0),
        hosts: { '192.0.2.1': t('2026-09-01T00:00') },
        nets: { '192.0.2.0/24': t('2026-09-01T00:00') },
        durations: [],
        last: 0,
      },
    };
    const [alice] = buildUserReports(sessions, { ...opts, users: ['alice'], learned });
    expect(alice?.sessions.at(-1)).toMatchObject({ firstFromHost: false, firstFromNetwork: false });
  });

  it('says how a session ended', () => {
    const now = t('2026-11-05T00:00');
    expect(durationText(session({ user: 'a', start: now - 7500, open: true, end: null }), now)).toBe(
      'still logged in (2h 05m)',
    );
    expect(durationText(session({ user: 'a', start: now - 7500, end: now, endKind: 'crash' }), now)).toBe(
      '2h 05m (ended by a crash)',
    );
    expect(durationText(session({ user: 'a', start: now - 90_000, end: now }), now)).toBe('1d 1h');
  });
});

describe('rendering', () => {
  const report = buildUserReports(
    [session({ user: 'alice', start: t('2026-11-02T09:00'), host: EVIL, tty: 'pts/0' })],
    {
      machine: 'h',
      since: t('2026-11-01T00:00'),
      now: t('2026-11-05T00:00'),
      zone: UTC,
      historyBegins: null,
    },
  )[0];

  it('escapes hostile wtmp text in HTML and neutralises it in text', () => {
    if (!report) throw new Error('no report');
    const html = htmlDocument('Logins', [renderUserSection(report)]);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;\\x1b]0;pwn\\x07');
    expect(html).toContain('<style>');
    const text = renderUserText(report);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(text).toContain('Mon 2026-11-02 09:00  pts/0');
  });
});

describe('text columns', () => {
  it('align by display width when hosts hold wide characters (東京 takes 4 columns)', () => {
    const opts = {
      machine: 'h',
      since: t('2026-11-01T00:00'),
      now: t('2026-11-05T00:00'),
      zone: UTC,
      historyBegins: null,
    };
    const [r] = buildUserReports(
      [
        session({
          user: 'yamada',
          start: t('2026-11-02T09:00'),
          host: '東京.example.jp',
          address: '10.1.2.3',
          tty: 'pts/0',
        }),
        session({
          user: 'yamada',
          start: t('2026-11-03T09:00'),
          host: 'osaka.example.jp',
          address: '10.1.2.4',
          tty: 'pts/1',
        }),
      ],
      opts,
    );
    if (!r) throw new Error('no report');
    const lines = renderUserText(r).split('\n');
    // Every row of the sessions table has its Duration at the heading's terminal column.
    const heading = lines.find((l) => l.startsWith('When')) as string;
    const col = displayWidth(heading.slice(0, heading.indexOf('Duration')));
    const rows = lines.filter((l) => /^\w{3} 2026-11-0[23] /.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(displayWidth(row.slice(0, row.lastIndexOf('  ') + 2)), row).toBe(col);
  });
});

describe('a long report (a mail) is bounded', () => {
  // 100,000 logins from 5,000 hosts in a month: the audit's user whose mail was 15.8 MB.
  const many = Array.from({ length: 100_000 }, (_, i) =>
    session({
      user: 'big',
      start: t('2026-10-06T00:00') + i * 25,
      host: `b${i % 5000}.example`,
      tty: `pts/${i % 7}`,
    }),
  );
  const [big] = buildUserReports(many, {
    machine: 'h',
    since: t('2026-10-05T00:00'),
    now: t('2026-11-05T00:00'),
    zone: UTC,
    historyBegins: t('2026-10-06T00:00'),
  });
  if (!big) throw new Error('no report');

  it('renders every one of 150,000 logins when asked for no limit (text and HTML), without overflowing the stack', () => {
    const huge = Array.from({ length: 150_000 }, (_, i) =>
      session({ user: 'auto', start: t('2026-10-06T00:00') + i * 10, host: '10.0.0.5', address: '10.0.0.5' }),
    );
    const [r] = buildUserReports(huge, {
      machine: 'h',
      since: t('2026-10-05T00:00'),
      now: t('2026-11-05T00:00'),
      zone: UTC,
      historyBegins: t('2026-10-06T00:00'),
    });
    if (!r) throw new Error('no report');
    expect(renderUserText(r).split('\n')).toContain('150,000 logins.');
    expect(renderUserSection(r).match(/<tr>/g)?.length).toBe(150_000);
  });

  it('lists the latest sessions and counts every one by where it came from, far under 10 MB', () => {
    const text = renderUserText(big, { limit: 500 });
    const html = htmlDocument('Logins', [renderUserSection(big, { limit: 500 })]);
    expect(text.length + html.length).toBeLessThan(1_000_000);
    const lines = text.split('\n');
    expect(lines).toContain('100,000 logins in the period, by where they came from:');
    expect(lines).toContain('… and 4,500 more places (90,000 logins)');
    expect(lines).toContain('The latest 500:');
    expect(lines).toContain('… and 99,500 more, earlier (counted above).');
    expect(lines).toContain('100,000 logins.');
    // The last session is listed, the 500th from the end too, the 501st not.
    const when = (i: number): string => whenText((many[i] as Session).start, UTC);
    expect(lines.filter((l) => l.startsWith(when(99_999))).length).toBeGreaterThan(0);
    const listed = lines.filter((l) => /^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d  pts\//.test(l));
    expect(listed).toHaveLength(500);
    expect(listed[0]?.startsWith(when(99_500))).toBe(true);
    // Each place's row counts all its logins: b0 came 20 times, over 7 ttys.
    expect(lines.find((l) => l.startsWith('b0.example'))).toMatch(
      /^b0\.example \*\s+20\s+pts\/0, pts\/1, pts\/2 \+4\s/,
    );
    expect(html).toContain('… and 99,500 more, earlier (counted above).');
    expect(html.match(/<tr/g)).toHaveLength(2 + 500 + 500);
  });

  it('prints everything without a limit (logins report), and a short report the same either way', () => {
    expect(
      renderUserText(big)
        .split('\n')
        .filter((l) => l.includes('.example')),
    ).toHaveLength(100_000);
    const small = buildUserReports(many.slice(0, 3), {
      machine: 'h',
      since: t('2026-10-05T00:00'),
      now: t('2026-11-05T00:00'),
      zone: UTC,
      historyBegins: null,
    })[0];
    if (!small) throw new Error('no report');
    expect(renderUserText(small, { limit: 3 })).toBe(renderUserText(small));
    expect(renderUserSection(small, { limit: 3 })).toBe(renderUserSection(small));
  });
});

describe('tenken logins report', () => {
  const root = makeTree({
    wtmp: [
      boot('2026-11-01T08:00'),
      loginNamed('alice', 'pts/0', '2026-11-02T09:00', 'pc5.example.org', '10.0.0.5', 10),
      logout('pts/0', '2026-11-02T10:30', 10),
      login('bob', 'tty1', '2026-11-03T09:00', '', 11),
    ],
  });
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-state-'));
  const now = new Date('2026-11-04T00:00:00Z');

  it('writes JSON with one entry per user', async () => {
    const r = await runLogins(['logins', 'report', '--since', '7d'], { root, now, state, format: 'json' });
    const data = JSON.parse(r.stdout) as {
      host: string;
      reports: {
        user: string;
        sessions: { tty: string; start: string; end: string | null; open: boolean }[];
      }[];
    };
    expect(data.reports.map((u) => u.user)).toEqual(['alice', 'bob']);
    expect(data.reports[0]?.sessions[0]).toMatchObject({
      tty: 'pts/0',
      start: '2026-11-02T09:00:00.000Z',
      end: '2026-11-02T10:30:00.000Z',
    });
    expect(data.reports[1]?.sessions[0]).toMatchObject({ open: true, end: null });
  });

  it('writes one HTML document for several users', async () => {
    const r = await runLogins(['logins', 'report', '--user', 'alice,bob'], {
      root,
      now,
      state,
      format: 'html',
    });
    expect(r.stdout.match(/<section>/g)).toHaveLength(2);
    expect(r.stdout).toContain('first login from this network');
  });

  it('refuses other formats and bad periods in one line', async () => {
    const f = await runLogins(['logins', 'report'], { root, now, state, format: 'nagios' });
    expect([f.code, f.stderr]).toEqual([
      3,
      'tenken: Cannot run tenken logins report: --format nagios is not supported here (text, html, json)\n',
    ]);
    const s = await runLogins(['logins', 'report', '--since', 'lately'], { root, now, state });
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/^tenken: Invalid --since "lately": expected/);
  });

  it('reads the readable part of a wtmp.N.gz cut short, and says it was cut (exit 0)', async () => {
    const old = Array.from({ length: 400 }, (_, i) => [
      login(
        'carol',
        'pts/1',
        new Date(Date.UTC(2026, 9, 10) + i * 60_000).toISOString().slice(0, 19),
        `c${i}.example`,
        500 + i,
      ),
      logout(
        'pts/1',
        new Date(Date.UTC(2026, 9, 10) + i * 60_000 + 30_000).toISOString().slice(0, 19),
        500 + i,
      ),
    ]).flat();
    const whole = zlib.gzipSync(encodeRecords([boot('2026-10-09T08:00'), ...old]));
    const cut = whole.subarray(0, Math.floor(whole.length / 2));
    const readable = Math.floor(
      zlib.gunzipSync(cut, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).length / 384,
    );
    const tree = makeTree({
      wtmp: [boot('2026-11-01T08:00'), login('bob', 'tty1', '2026-11-03T09:00', '', 11)],
      files: { '/var/log/wtmp.2.gz': cut },
    });
    const r = await runLogins(['logins', 'report', '--since', '2026-10-01'], {
      root: tree,
      now,
      state,
      format: 'json',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `tenken: /var/log/wtmp.2.gz is cut short or corrupt (unexpected end of file): read the ${readable} records before that point, as zcat does; any after it are lost\n`,
    );
    const data = JSON.parse(r.stdout) as { reports: { user: string; sessions: unknown[] }[] };
    // The boot, then login/logout pairs: a login whose logout was cut off is a session too.
    expect(data.reports.find((u) => u.user === 'carol')?.sessions).toHaveLength(
      Math.ceil((readable - 1) / 2),
    );
  });

  it('says so for a user without logins, and fails cleanly without a wtmp', async () => {
    const r = await runLogins(['logins', 'report', '--user', 'carol'], { root, now, state });
    expect(r.stderr).toBe('tenken: no logins of carol since 2026-10-05T00:00:00.000Z\n');
    const empty = makeTree({});
    const e = await runLogins(['logins', 'report'], { root: empty, now, state });
    expect([e.code, e.stderr]).toEqual([3, 'tenken: Cannot read /var/log/wtmp: no such file or directory\n']);
  });
});
