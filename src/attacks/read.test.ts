import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeJournal } from '../../test/helpers/journal.ts';
import { makeZone } from '../core/tz.ts';
import { spawnJournalctl } from '../logs/read/journal.ts';
import { AttackDetectors, type SourcedEvent } from './detect.ts';
import { attacksConfig } from './config.ts';
import { BasicAuthLogins } from './extract/web.ts';
import {
  type AccountReadOptions,
  accountBasicAuthLogins,
  accountJournal,
  accountLog,
  heapPressure,
  selfNames,
} from './read.ts';

const NOW = new Date(Date.UTC(2026, 10, 26));

/** A journal entry of sshd-session (it logs through syslog(3), so SYSLOG_PID is set). */
function entry(n: number, pid: number, message: string) {
  return {
    at: NOW.getTime() - 3_600_000 + n * 1000,
    _HOSTNAME: 'srv',
    SYSLOG_IDENTIFIER: 'sshd-session',
    SYSLOG_PID: pid,
    _PID: pid,
    MESSAGE: message,
  };
}

/** The events of these entries, written to a real journal and read back by the real journalctl. */
async function account(entries: ReturnType<typeof entry>[]): Promise<SourcedEvent[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-journal-'));
  writeJournal(dir, entries);
  const events: SourcedEvent[] = [];
  await accountJournal({
    runner: spawnJournalctl,
    directory: dir,
    start: { all: true },
    now: NOW,
    zone: makeZone('UTC'),
    onEvent: (e) => events.push(e),
  });
  return events;
}

describe('attack accounting over the journal', () => {
  it('joins a held failure with its own connection’s close by the entry’s pid, not the next close of any', async () => {
    // Connection 101 hits the limit (sshd names no host there); connection 202 closes first, then 101.
    const events = await account([
      entry(1, 101, 'Disconnecting: Too many authentication failures [preauth]'),
      entry(2, 202, 'Connection closed by 203.0.113.9 port 5000 [preauth]'),
      entry(3, 101, 'Connection closed by 198.51.100.7 port 4000 [preauth]'),
    ]);
    const counted = events.filter((e) => e.event.attempts > 0).map((e) => e.event.host);
    expect(counted).toContain('198.51.100.7');
    expect(counted).not.toContain('203.0.113.9');
  });
});

describe('accountLog', () => {
  it('never dates a year-less line after the inspection: a future mtime (copied tree) counts as now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-future-'));
    const file = path.join(dir, 'auth.log');
    fs.writeFileSync(
      file,
      'Nov 24 10:00:00 gw sshd[9]: Failed password for root from 203.0.113.7 port 4000 ssh2\n',
    );
    // Written "a year on" by a clock set ahead, or checked out with its time kept.
    const ahead = new Date('2027-11-26T12:00:00Z');
    fs.utimesSync(file, ahead, ahead);
    const events: SourcedEvent[] = [];
    await accountLog(file, {
      mode: { kind: 'whole' },
      now: NOW,
      zone: makeZone('UTC'),
      hints: [],
      display: (p) => p,
      root: '/',
      onEvent: (e) => events.push(e),
    });
    expect(events.map((e) => new Date(e.event.time ?? 0).toISOString())).toEqual([
      '2026-11-24T10:00:00.000Z',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('basic-auth logins in an access log', () => {
  const at = (sec: number) => `30/Jun/2024:10:00:${String(sec).padStart(2, '0')} +0000`;
  const req = (host: string, user: string, sec: number, target: string, status: number) =>
    `${host} - ${user} [${at(sec)}] "GET ${target} HTTP/1.1" ${status} 179 "-" "curl/7.88.1"`;

  /** The events of access logs read as files named on the command line: all first reads, then the second. */
  async function eventsOf(...logs: string[][]): Promise<SourcedEvent[]> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-basic-'));
    const out: SourcedEvent[] = [];
    const basicAuth = new BasicAuthLogins();
    const reads: [string, AccountReadOptions][] = logs.map((lines, i) => {
      const file = path.join(dir, `access${i}.log`);
      fs.writeFileSync(file, `${lines.join('\n')}\n`);
      const opts: AccountReadOptions = {
        mode: { kind: 'whole' },
        now: NOW,
        zone: makeZone('UTC'),
        hints: ['web'],
        display: (p) => p,
        root: '/',
        basicAuth,
        onEvent: (e) => out.push(e),
      };
      return [file, opts];
    });
    for (const [file, opts] of reads) await accountLog(file, opts);
    for (const [file, opts] of reads) await accountBasicAuthLogins(file, opts);
    fs.rmSync(dir, { recursive: true, force: true });
    return out;
  }
  const events = (lines: string[]) => eventsOf(lines);
  const logins = (es: SourcedEvent[]) =>
    es
      .filter((e) => e.event.kind === 'success')
      .map((e) => [e.event.host, e.event.user, e.event.path, e.line]);

  it('reads a 2xx with a user, after that source failed basic auth in the same area, as its login', async () => {
    const es = await events([
      req('203.0.113.9', 'admin', 1, '/private/', 401),
      req('198.51.100.7', '-', 2, '/', 200),
      req('203.0.113.9', 'admin', 3, '/private/index.html', 401),
      req('203.0.113.9', 'alice', 4, '/private/report.pdf?x=1', 200),
    ]);
    expect(es.filter((e) => e.event.kind === 'failure')).toHaveLength(2);
    expect(logins(es)).toEqual([['203.0.113.9', 'alice', '/private/report.pdf?x=1', 4]]);
  });

  it('takes no login from a public page (nginx logs the user of any request that sent one) or another host', async () => {
    const es = await events([
      req('203.0.113.9', 'admin', 1, '/private/', 401),
      // the same source, the same user, a page outside the area that answered 401
      req('203.0.113.9', 'admin', 2, '/', 200),
      req('203.0.113.9', 'admin', 3, '/blog/post', 200),
      // another source whose request names the attacker (an address in the path cannot make it the attacker)
      req('198.51.100.7', 'bob', 4, '/private/203.0.113.9 ', 200),
      // a 401 without a user is a browser's challenge; a 403 or 500 with a user is no login
      req('203.0.113.9', 'admin', 5, '/private/x', 403),
      req('192.0.2.1', '-', 6, '/private/', 401),
      req('192.0.2.1', 'carol', 7, '/private/', 200),
    ]);
    expect(logins(es)).toEqual([]);
  });

  it('a directory asked without its slash is the area itself, a file its directory', async () => {
    const es = await events([
      req('203.0.113.9', 'admin', 1, '/private', 401),
      req('203.0.113.9', 'admin', 2, '/other/', 200),
      req('203.0.113.9', 'admin', 3, '/private/', 304),
      req('198.51.100.7', 'root', 4, '/app/login.php', 401),
      req('198.51.100.7', 'root', 5, '/app/', 200),
    ]);
    expect(logins(es)).toEqual([
      ['203.0.113.9', 'admin', '/private/', 3],
      ['198.51.100.7', 'root', '/app/', 5],
    ]);
  });

  it('sees a login written while the log was being read (the next run would not look for it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-basic-'));
    const file = path.join(dir, 'access.log');
    fs.writeFileSync(file, `${req('203.0.113.9', 'admin', 1, '/private/', 401)}\n`);
    const out: SourcedEvent[] = [];
    const opts: AccountReadOptions = {
      mode: { kind: 'first' },
      now: NOW,
      zone: makeZone('UTC'),
      hints: ['web'],
      display: (p) => p,
      root: '/',
      basicAuth: new BasicAuthLogins(),
      onEvent: (e) => {
        out.push(e);
        if (out.length === 1)
          fs.appendFileSync(file, `${req('203.0.113.9', 'admin', 9, '/private/', 200)}\n`);
      },
    };
    await accountLog(file, opts);
    await accountBasicAuthLogins(file, opts);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(logins(out)).toEqual([['203.0.113.9', 'admin', '/private/', 2]]);
  });

  it('sees a login in one access log after failures in another, whichever is read first', async () => {
    const failures = Array.from({ length: 3 }, (_, i) => req('203.0.113.9', 'admin', i, '/private/', 401));
    const login = [req('203.0.113.9', 'admin', 9, '/private/', 200)];
    expect(logins(await eventsOf(login, failures))).toEqual([['203.0.113.9', 'admin', '/private/', 1]]);
    expect(logins(await eventsOf(failures, login))).toEqual([['203.0.113.9', 'admin', '/private/', 1]]);
  });

  it('keeps what attackers choose bounded: long paths cut to a directory, the most-failing sources looked for', () => {
    const b = new BasicAuthLogins();
    const fail = (host: string, p: string) =>
      b.note({
        detector: 'bruteforce',
        kind: 'failure',
        host,
        service: 'web',
        attempts: 1,
        time: 0,
        status: 401,
        path: p,
      });
    // A 3 KB path without a dot would be its own area: it is cut back to a directory within 200 characters.
    fail('203.0.113.9', `/a/${'x'.repeat(150)}/${'y'.repeat(3000)}`);
    for (let i = 0; i < 50; i++) fail('203.0.113.9', `/area${i}/`);
    const kept = b.kept(() => true)['203.0.113.9'] ?? [];
    expect(kept).toHaveLength(20);
    expect(Math.max(...kept.map((a) => a.length))).toBeLessThanOrEqual(200);
    expect(kept[0]).toBe(`/a/${'x'.repeat(150)}/`);
    // 3000 sources of one /64 with one failure each, and one with five: 1000 looked for, the busiest first.
    for (let i = 0; i < 3000; i++) fail(`2001:db8::${i.toString(16)}`, '/private/');
    for (let i = 0; i < 5; i++) fail('198.51.100.7', '/private/');
    expect(b.hosts()).toHaveLength(1000);
    expect(b.hosts()[0]).toBe('203.0.113.9');
    expect(b.hosts()[1]).toBe('198.51.100.7');
    expect(Object.keys(b.kept(() => true))).toHaveLength(1000);
  });

  it('a source that failed often and then logged in over basic auth is CRITICAL', async () => {
    const lines = Array.from({ length: 8 }, (_, i) => req('203.0.113.9', `u${i}`, i, '/private/', 401));
    lines.push(req('203.0.113.9', 'alice', 20, '/private/', 200));
    const det = new AttackDetectors(attacksConfig.parse({}));
    for (const e of await events(lines)) det.add(e);
    const bf = det.finish().findings.find((f) => f.kind === 'attack-bruteforce');
    expect(bf).toMatchObject({ status: 'CRITICAL', host: '203.0.113.9' });
    expect(bf?.summary).toMatch(/then logged in as alice via web/);
  });
});

describe('heapPressure', () => {
  it('stops the accounting past 60% of the heap limit, saying how much it holds, and not before', () => {
    const limit = 1024 * 2 ** 20;
    expect(heapPressure({ used_heap_size: 600 * 2 ** 20, heap_size_limit: limit })).toBeNull();
    expect(heapPressure({ used_heap_size: 700 * 2 ** 20, heap_size_limit: limit })).toBe(
      'memory: the attack accounting holds 700 MiB of its 1 GiB heap, a flood of distinct sources?',
    );
    // this process, running tests, is far from it
    expect(heapPressure()).toBeNull();
  });
});

describe("the host's own names under --root", () => {
  it("reads the tree's /etc/hosts through an absolute link inside the tree, never the auditing machine's", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tenken-selfnames-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      fs.writeFileSync(path.join(root, 'etc/hosts.tenken-real'), '127.0.1.1 gauntlet.example.net gauntlet\n');
      fs.symlinkSync('/etc/hosts.tenken-real', path.join(root, 'etc/hosts'));
      expect(selfNames({ root, name: 'gauntlet' })).toContain('gauntlet.example.net');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
