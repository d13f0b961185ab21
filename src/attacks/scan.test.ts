import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScan } from '../cli/commands/scan.ts';
import type { Plan, ServicePlan } from '../config/plan.ts';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import { writeJournal } from '../../test/helpers/journal.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tenken-attack-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date(Date.UTC(2024, 5, 30, 12, 0, 0));
const plan: Plan = { services: [], syslogFiles: [], journal: 'off', skipped: [] };

/** `tenken scan --format ndjson` of `files` (or, with none, the plan's sources: the journal of `root`). */
async function scanNdjson(
  files: string[],
  root?: string,
  with_: Plan = plan,
  since?: string,
): Promise<Record<string, unknown>[]> {
  let out = '';
  const io = {
    write: (t: string) => ((out += t), Promise.resolve()),
    error: () => {},
    isTTY: false,
    env: {},
    cwd: root ?? dir,
  };
  const loaded = {
    config: configSchema.parse({}),
    configPath: null,
    host: makeHost({ name: 'srv', ...(root ? { root } : {}), now: NOW, env: { TZ: 'UTC' } }),
    plan: root ? { ...with_, journal: 'on' as const } : with_,
  };
  await runScan(
    loaded,
    files,
    { category: [], all: root !== undefined, ignore: true, ...(since ? { since } : {}) },
    'ndjson',
    { io },
  );
  return out
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function ndjson(file: string, text: string, with_: Plan = plan): Promise<Record<string, unknown>[]> {
  const p = path.join(dir, file);
  writeFileSync(p, Buffer.from(text, 'latin1'));
  utimesSync(p, NOW, NOW);
  return scanNdjson([file], undefined, with_);
}

/** A plan with an Apache service named `httpd` that owns `log`. */
function httpdPlan(log: string): Plan {
  const httpd: ServicePlan = {
    name: 'httpd',
    profile: 'apache',
    title: 'Apache httpd',
    processes: ['httpd'],
    ondemand: false,
    workers: [],
    logs: [path.join(dir, log)],
    syslog: [],
    ports: [80],
    probes: [],
    thresholds: {},
    ignore: [],
    reasons: ['configured'],
  };
  return { ...plan, services: [httpd] };
}

const BASE = ['path', 'line', 'time', 'program', 'categories', 'text'];

describe('tenken scan --format ndjson with the attack detectors', () => {
  it('adds host, user, service and detector to a counted failure', async () => {
    const recs = await ndjson(
      'auth.log',
      'Jun 30 10:00:00 srv sshd[11]: Failed password for invalid user admin from 203.0.113.7 port 4242 ssh2\n',
    );
    expect(recs.map((r) => Object.keys(r))).toEqual([[...BASE, 'host', 'user', 'service', 'detector']]);
    expect(recs[0]).toMatchObject({
      line: 1,
      program: 'sshd',
      categories: ['invalid'],
      host: '203.0.113.7',
      user: 'admin',
      service: 'sshd',
      detector: 'bruteforce',
    });
  });

  it("marks a proxy's relay for an outside client `openproxy`, and its relays for the LAN nothing", async () => {
    mkdirSync(path.join(dir, 'squid'), { recursive: true });
    const recs = await ndjson(
      'squid/access.log',
      [
        '1719748800.123    512 203.0.113.9 TCP_TUNNEL/200 4567 CONNECT smtp.example.org:25 - HIER_DIRECT/192.0.2.25 -',
        '1719748801.123    512 10.0.1.23 TCP_MISS/200 4567 GET http://www.example.com/ - HIER_DIRECT/192.0.2.26 text/html',
        '',
      ].join('\n'),
    );
    expect(recs.map((r) => [r.line, r.host, r.service, r.detector])).toEqual([
      [1, '203.0.113.9', 'proxy', 'openproxy'],
    ]);
    expect(Object.keys(recs[0] ?? {})).toEqual([...BASE, 'host', 'service', 'detector']);
  });

  it("dates Squid's native lines by their epoch stamp, and --since keeps only the recent ones", async () => {
    mkdirSync(path.join(dir, 'squid'), { recursive: true });
    const p = path.join(dir, 'squid/since.log');
    writeFileSync(
      p,
      [
        '1719747600.500    512 203.0.113.8 TCP_TUNNEL/200 4567 CONNECT smtp.example.org:25 - HIER_DIRECT/192.0.2.25 -',
        '1719748740.250    512 203.0.113.9 TCP_TUNNEL/200 4567 CONNECT smtp.example.org:25 - HIER_DIRECT/192.0.2.25 -',
        '',
      ].join('\n'),
    );
    utimesSync(p, NOW, NOW);
    const recs = await scanNdjson(['squid/since.log'], undefined, plan, '5m');
    expect(recs.map((r) => [r.host, r.time, r.detector])).toEqual([
      ['203.0.113.9', '2024-06-30T11:59:00.250Z', 'openproxy'],
    ]);
  });

  it('gives the user in UTF-8 like the line text', async () => {
    const [rec] = await ndjson(
      'utf8.log',
      Buffer.from(
        'Jun 30 10:00:00 srv sshd[11]: Failed password for invalid user café from 203.0.113.7 port 4242 ssh2\n',
      ).toString('latin1'),
    );
    expect([rec?.user, String(rec?.text)]).toEqual(['café', expect.stringContaining('user café from')]);
  });

  it('prints a counted line without any runbook keyword, and no user when the line has none', async () => {
    const recs = await ndjson(
      'auth2.log',
      [
        'Jun 30 10:00:00 srv sshd[12]: Disconnecting: Too many authentication failures [preauth]',
        'Jun 30 10:00:01 srv sshd[12]: Connection closed by ::ffff:198.51.100.9 port 5555 [preauth]',
        'Jun 30 10:00:02 srv sshd[13]: Connection closed by 198.51.100.10 port 5556 [preauth]',
        '',
      ].join('\n'),
    );
    const closed = recs.find((r) => r.line === 2);
    expect(closed).toBeDefined();
    expect(Object.keys(closed ?? {})).toEqual([...BASE, 'host', 'service', 'detector']);
    expect(closed).toMatchObject({
      categories: [],
      host: '198.51.100.9',
      service: 'sshd',
      detector: 'bruteforce',
    });
    // The same message on a connection with no pending failure counts nothing and holds no keyword.
    expect(recs.some((r) => r.line === 3)).toBe(false);
    // The `Too many` line itself holds runbook keywords but its host is not known yet: no detector fields.
    expect(Object.keys(recs.find((r) => r.line === 1) ?? {})).toEqual(BASE);
  });

  it('gives a keyword line no detector counted no detector field', async () => {
    const recs = await ndjson(
      'syslog',
      [
        'Jun 30 10:00:00 srv kernel: [1.0] sd 0:0:0:0: [sda] error on device',
        'Jun 30 10:00:01 srv sshd[14]: Accepted password for bob from 192.0.2.10 port 1 ssh2',
        'Jun 30 10:00:02 srv CRON[15]: pam_unix(cron:session): session opened for user root',
        '',
      ].join('\n'),
    );
    expect(recs.map((r) => r.line)).toEqual([1]);
    expect(Object.keys(recs[0] ?? {})).toEqual(BASE);
    expect(recs[0]?.categories).toEqual(['error']);
  });

  it('reads a named access log as a web log: probes carry the detector, ordinary requests are not printed', async () => {
    const recs = await ndjson(
      'access.log',
      [
        '203.0.113.20 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/test-cgi HTTP/1.0" 200 512 "-" "-"',
        '203.0.113.21 - - [30/Jun/2024:10:00:01 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "-"',
        '',
      ].join('\n'),
    );
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ line: 1, host: '203.0.113.20', service: 'web', detector: 'webprobe' });
    expect(recs[0]?.categories).toEqual(['cgi']);
  });

  it("names the service as the plan does (httpd, as the finding and the scan's summary say, not `web`)", async () => {
    const line =
      '203.0.113.20 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/test-cgi HTTP/1.0" 200 512 "-" "-"\n';
    const [rec] = await ndjson('site-access.log', line, httpdPlan('site-access.log'));
    expect(rec).toMatchObject({ host: '203.0.113.20', service: 'httpd', detector: 'webprobe' });
  });

  it('lists every detector of a line two of them count (a web probe that reads /etc/passwd)', async () => {
    const recs = await ndjson(
      'phf-access.log',
      [
        '203.0.113.22 - - [30/Jun/2024:10:00:00 +0000] "GET /cgi-bin/phf?Qalias=x%0a/bin/cat%20/etc/passwd HTTP/1.0" 200 512 "-" "-"',
        '203.0.113.22 - - [30/Jun/2024:10:00:01 +0000] "GET /.env HTTP/1.1" 404 0 "-" "-"',
        '',
      ].join('\n'),
      httpdPlan('phf-access.log'),
    );
    // `detector` stays the first (what it always said); `detectors` only where there are several.
    expect(recs.map((r) => [r.detector, r.detectors])).toEqual([
      ['passwd', ['passwd', 'webprobe']],
      ['webprobe', undefined],
    ]);
    expect(Object.keys(recs[0] ?? {})).toEqual([...BASE, 'host', 'service', 'detector', 'detectors']);
  });

  it('adds the fields to journal entries too, joining them by their pid (real journal, real journalctl)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-attack-scan-journal-'));
    const at = NOW.getTime() - 3_600_000;
    const entry = (n: number, pid: number, MESSAGE: string) => ({
      at: at + n * 1000,
      _HOSTNAME: 'srv',
      SYSLOG_IDENTIFIER: 'sshd-session',
      SYSLOG_PID: pid,
      MESSAGE,
    });
    writeJournal(path.join(root, 'var/log/journal'), [
      entry(0, 21, 'Failed password for invalid user admin from 203.0.113.7 port 4242 ssh2'),
      entry(1, 22, 'Disconnecting: Too many authentication failures [preauth]'),
      entry(2, 23, 'Connection closed by 203.0.113.8 port 4243 [preauth]'),
      entry(3, 22, 'Connection closed by 203.0.113.9 port 4244 [preauth]'),
    ]);
    const recs = (await scanNdjson([], root)).filter((r) => r.detector !== undefined);
    rmSync(root, { recursive: true, force: true });
    expect(recs.map((r) => [r.path, r.program, r.host, r.user, r.detector])).toEqual([
      ['journal', 'sshd-session', '203.0.113.7', 'admin', 'bruteforce'],
      // Connection 22's held failure, released by its own close (23's close counts nothing).
      ['journal', 'sshd-session', '203.0.113.9', undefined, 'bruteforce'],
    ]);
  });
});
