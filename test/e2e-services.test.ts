/**
 * Issue 6's "Done when", end to end on this live machine (root `/`), through the CLI in-process: with the
 * real daemons of test/services up, `tenken check` reports each OK through its probe and its process;
 * a stopped daemon turns CRITICAL with the reason; a listener opened by this test shows up as a baseline
 * finding; and an xinetd-style service that is idle with its listener present is OK.
 *
 * Only the per-service results are asserted on the live host: its `host` procs result compares every
 * process of this machine (other sessions' shells, test runners, build tools come and go) with the
 * baseline, so it may be INFO or CRITICAL whatever tenken does right.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { CheckResult, Finding, FindingOf, Report } from '../src/core/report.ts';
import { makeRoot, regenerate, removeRoot, type Spec } from '../src/procs/testing.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { startRenamedDnsmasq } from './helpers/renamed-daemon.ts';
import { freePort, need, privateDaemon } from './services/index.ts';
import type { ServicesInfo } from './services/setup.ts';

/** A service as written in tenken.yaml (only what these tests set). */
interface ServiceYaml {
  title?: string;
  processes?: string[];
  ports?: number[];
  probes?: Record<string, unknown>[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A fresh temp dir, removed after this file's tests. */
function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a tenken.yaml (no detection: only the services given) into a fresh temp dir; returns its path. */
function writeConfig(services: Record<string, ServiceYaml>, checks: Record<string, unknown> = {}): string {
  const file = path.join(scratch('tenken-e2e-config-'), 'tenken.yaml');
  writeFileSync(file, stringify({ detect: false, services, checks }));
  return file;
}

/** Runs `tenken check --format json` in-process and parses the report; stderr must stay empty. */
async function check(args: string[], state: string): Promise<{ code: number; report: Report }> {
  const r = await runCli(['check', '--format', 'json', ...args], { state });
  expect(r.stderr, 'tenken check wrote to stderr').toBe('');
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** One check kind's result for one service (fails the test when the kind or the service is absent). */
function resultOf(report: Report, kind: 'procs' | 'probes', service: string): CheckResult {
  const c = report.checks.find((k) => k.kind === kind);
  if (!c) throw new Error(`no ${kind} check in the report: ${report.checks.map((k) => k.kind).join(', ')}`);
  const r = c.results.find((x) => x.service === service);
  if (!r) throw new Error(`no ${kind} result for ${service}: ${c.results.map((x) => x.service).join(', ')}`);
  return r;
}

/** The findings of one kind in a result. */
function findingsOf<K extends Finding['kind']>(r: CheckResult, kind: K): FindingOf<K>[] {
  return r.findings.filter((f): f is FindingOf<K> => f.kind === kind);
}

/** A result's findings as `status kind: summary` lines, for failure messages. */
function explain(r: CheckResult): string {
  return [`${r.status} ${r.summary}`, ...r.findings.map((f) => `  ${f.status} ${f.kind}: ${f.summary}`)].join(
    '\n',
  );
}

/** The listener key tenken reports for a loopback TCP port. */
const loopbackTcp = (port: number): string => `tcp 127.0.0.1:${port}`;

/**
 * One service per shared daemon: its processes by their /proc/PID/comm names, its test ports, and probes
 * that use it as a client would (the page and its token, a mail round trip, logins, a listing, a lookup).
 */
function daemonServices(s: ServicesInfo): Record<string, Required<ServiceYaml>> {
  const p = s.ports;
  const { ca } = s.certs;
  const f = s.fixture;
  const cred = `${f.mailUser}:${encodeURIComponent(f.mailPassword)}`;
  return {
    'e2e-nginx': {
      title: 'nginx (test instance)',
      processes: ['nginx'],
      ports: [p.http, p.https],
      probes: [
        { url: `http://127.0.0.1:${p.http}/`, expect: f.token },
        { url: `https://localhost:${p.https}/`, ca, expect: f.token },
      ],
    },
    'e2e-postfix': {
      title: 'postfix (test instance)',
      // postfix's master runs as /usr/lib/postfix/sbin/master: its comm is `master`.
      processes: ['master'],
      ports: [p.smtp],
      probes: [
        {
          url: `smtp://127.0.0.1:${p.smtp}`,
          ca,
          expect: 'tenken-test',
          timeout: 15,
          roundtrip: { to: `${f.mailUser}@${f.mailDomain}`, fetch: `imap://${cred}@127.0.0.1:${p.imap}` },
        },
      ],
    },
    'e2e-dovecot': {
      title: 'dovecot (test instance)',
      processes: ['dovecot'],
      ports: [p.pop3, p.imap],
      probes: [
        { url: `pop3://${cred}@127.0.0.1:${p.pop3}`, ca, expect: 'Dovecot' },
        { url: `imap://${cred}@127.0.0.1:${p.imap}`, ca },
      ],
    },
    'e2e-vsftpd': {
      title: 'vsftpd (test instance)',
      processes: ['vsftpd'],
      ports: [p.ftp],
      probes: [{ url: `ftp://anonymous@127.0.0.1:${p.ftp}/pub/`, expect: f.ftpFile }],
    },
    'e2e-smbd': {
      title: 'Samba (test instance)',
      processes: ['smbd'],
      ports: [p.smb, p.netbios],
      probes: [
        { url: `smb://127.0.0.1:${p.smb}`, signing: 'required' },
        { url: `smb://127.0.0.1:${p.netbios}`, netbios: true },
      ],
    },
    'e2e-tinyproxy': {
      title: 'tinyproxy (test instance)',
      processes: ['tinyproxy'],
      ports: [p.proxy],
      probes: [
        {
          url: `http://127.0.0.1:${p.proxy}`,
          kind: 'proxy',
          target: `http://127.0.0.1:${p.http}/`,
          expect: f.token,
        },
      ],
    },
    'e2e-dnsmasq': {
      title: 'dnsmasq (test instance)',
      processes: ['dnsmasq'],
      ports: [p.dns],
      probes: [{ url: `dns://127.0.0.1:${p.dns}/${f.dnsName}`, expect: f.dnsAddress }],
    },
  };
}

/** Asserts a service's procs result is OK through its own process and a listener on each of its ports. */
function expectProcessUp(report: Report, name: string, svc: Pick<ServiceYaml, 'processes' | 'ports'>): void {
  const r = resultOf(report, 'procs', name);
  expect(r.status, explain(r)).toBe('OK');
  const [up] = findingsOf(r, 'service-processes');
  expect(up, explain(r)).toBeDefined();
  expect(up?.data.processes.map((g) => g.name)).toEqual(expect.arrayContaining(svc.processes ?? []));
  expect(up?.data.ondemand).toBeNull();
  for (const port of svc.ports ?? []) expect(up?.data.listeners, explain(r)).toContain(loopbackTcp(port));
}

/** Asserts a service's probes result is OK, one OK `probe` finding per configured probe. */
function expectProbesOk(report: Report, name: string, probes: number): void {
  const r = resultOf(report, 'probes', name);
  expect(r.status, explain(r)).toBe('OK');
  expect(r.findings.map((f) => `${f.kind} ${f.status}`)).toEqual(Array(probes).fill('probe OK'));
}

describe('tenken check against the real daemons on this machine', () => {
  it('reports every daemon OK through its process and through its probes', async () => {
    const s = need('nginx', 'postfix', 'dovecot', 'vsftpd', 'smbd', 'tinyproxy', 'dnsmasq');
    const services = daemonServices(s);
    const config = writeConfig(services);
    const { report } = await check(
      ['--only', 'procs,probes', '--config', config],
      scratch('tenken-e2e-state-'),
    );
    expect(report.root).toBeNull();
    // Per-service results only: the `host` result judges every other process of this machine.
    for (const [name, svc] of Object.entries(services)) {
      expectProcessUp(report, name, svc);
      expectProbesOk(report, name, svc.probes.length);
    }
    // What the probes saw is the daemons' own: nginx's page, postfix's banner, the mail fetched back.
    const smtp = findingsOf(resultOf(report, 'probes', 'e2e-postfix'), 'probe')[0];
    expect(smtp?.summary).toMatch(/round trip delivered in \d+ ms/);
    const web = findingsOf(resultOf(report, 'probes', 'e2e-nginx'), 'probe')[0];
    expect(web?.data.details.httpStatus).toBe(200);
  });

  it('turns a stopped private nginx CRITICAL: connection refused, and its port no longer listens', async () => {
    const { daemon, ports } = await privateDaemon('nginx');
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : daemon.stop()));
    const token = need('nginx').fixture.token;
    // The shared nginx runs under the same process name, so this service is told apart by its own port.
    const svc = {
      title: 'private nginx',
      processes: ['nginx'],
      ports: [ports.http],
      probes: [{ url: `http://127.0.0.1:${ports.http}/`, expect: token, timeout: 5 }],
    };
    const config = writeConfig({ 'e2e-private-web': svc });
    const state = scratch('tenken-e2e-state-');
    const args = ['--only', 'procs,probes', '--config', config];

    const before = await check(args, state);
    expectProcessUp(before.report, 'e2e-private-web', svc);
    expectProbesOk(before.report, 'e2e-private-web', 1);

    await daemon.stop();
    stopped = true;
    const after = await check(args, state);
    const probes = resultOf(after.report, 'probes', 'e2e-private-web');
    expect(probes.status, explain(probes)).toBe('CRITICAL');
    const [probe] = findingsOf(probes, 'probe');
    expect(probe?.data.failure).toBe('refused');
    expect(probes.summary).toBe(`http://127.0.0.1:${ports.http}/: connection refused`);
    const procs = resultOf(after.report, 'procs', 'e2e-private-web');
    // nginx itself still runs (the shared instance): the missing listener is what the procs check names.
    expect(procs.status, explain(procs)).toBe('WARNING');
    const [gone] = findingsOf(procs, 'listener-missing');
    expect(gone?.data).toMatchObject({ proto: 'tcp', port: ports.http, expected: 'service' });
    expect(procs.summary).toBe(`Nothing listens on tcp/${ports.http} although e2e-private-web is running`);
    expect(after.code).toBe(2);
  });

  it('turns a stopped daemon with a process name of its own CRITICAL: process missing, connection refused', async () => {
    const { fixture } = need('dnsmasq');
    const port = await freePort();
    const dns = await startRenamedDnsmasq(scratch('tenken-e2e-dns-'), 'tke2e-dnsmasq', port);
    cleanups.push(() => dns.stop());
    const svc = {
      title: 'Resolver',
      processes: [dns.name],
      ports: [port],
      probes: [{ url: `dns://127.0.0.1:${port}/${fixture.dnsName}`, expect: fixture.dnsAddress, timeout: 5 }],
    };
    const config = writeConfig({ 'e2e-resolver': svc });
    const state = scratch('tenken-e2e-state-');
    const args = ['--only', 'procs,probes', '--config', config];

    const before = await check(args, state);
    expectProcessUp(before.report, 'e2e-resolver', svc);
    const [up] = findingsOf(resultOf(before.report, 'procs', 'e2e-resolver'), 'service-processes');
    expect(up?.data.processes).toEqual([expect.objectContaining({ name: dns.name, pids: [dns.pid] })]);
    expectProbesOk(before.report, 'e2e-resolver', 1);

    await dns.stop();
    const after = await check(args, state);
    const procs = resultOf(after.report, 'procs', 'e2e-resolver');
    expect(procs.status, explain(procs)).toBe('CRITICAL');
    expect(procs.summary).toBe(`Resolver is not running: no ${dns.name} process`);
    expect(findingsOf(procs, 'process-missing')[0]?.data).toEqual({
      process: dns.name,
      user: null,
      expected: 'service',
    });
    const probes = resultOf(after.report, 'probes', 'e2e-resolver');
    expect(probes.status, explain(probes)).toBe('CRITICAL');
    expect(findingsOf(probes, 'probe')[0]?.data.failure).toBe('refused');
    expect(probes.summary).toBe(`dns://127.0.0.1:${port}/${fixture.dnsName}: connection refused`);
    expect(after.code).toBe(2);
    // The text report a cron mail would carry says the same, under the service's heading.
    const text = await runCli(['check', ...args], { state });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/^CRITICAL e2e-resolver$/m);
    expect(text.stdout).toMatch(
      new RegExp(`^  procs +CRITICAL Resolver is not running: no ${dns.name} process$`, 'm'),
    );
    expect(text.stdout).toMatch(
      new RegExp(
        `^  probes +CRITICAL dns://127\\.0\\.0\\.1:${port}/${fixture.dnsName.replaceAll('.', '\\.')}: connection refused$`,
        'm',
      ),
    );
  });
});

describe('tenken check against a recorded baseline on this machine', () => {
  it('reports a listener opened after the baseline, with its port, pid and process', async () => {
    const state = scratch('tenken-e2e-state-');
    const config = writeConfig({});
    const rec = await runCli(['baseline', 'record', '--config', config], { state });
    expect(rec.stderr).toBe('');
    expect(rec.stdout).toMatch(/^Recorded baseline .*baseline\.json: \d+ process groups, \d+ listeners/);

    const server = net.createServer((c) => c.end());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const comm = readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim();

    const { report, code } = await check(['--only', 'procs', '--config', config], state);
    const host = resultOf(report, 'procs', 'host');
    const found = findingsOf(host, 'listener-new').filter((f) => f.data.port === port);
    expect(found, explain(host)).toHaveLength(1);
    const [f] = found;
    expect(f?.status).toBe('CRITICAL');
    expect(f?.data).toMatchObject({
      listener: loopbackTcp(port),
      proto: 'tcp',
      addr: '127.0.0.1',
      port,
      pids: [process.pid],
      processes: [comm],
    });
    expect(f?.summary).toBe(
      `New listener ${loopbackTcp(port)} opened by ${comm} (pid ${process.pid}, user ${f?.data.users[0] ?? '?'}); not in the baseline`,
    );
    expect(host.status).toBe('CRITICAL');
    expect(code).toBe(2);
  });
});

describe('an xinetd service, idle, under --root', () => {
  it('is OK while xinetd holds its listener, and CRITICAL once the listener is gone', async () => {
    // A real listener on loopback stands for what xinetd holds, so the service is probed as well; the
    // generated /proc says xinetd holds that port, and no process of the service itself runs.
    const server = net.createServer((c) => c.end('tkecho ready\r\n'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    let open = true;
    const close = (): Promise<void> =>
      new Promise<void>((resolve) => {
        if (!open) return resolve();
        open = false;
        server.close(() => resolve());
      });
    cleanups.push(close);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const spec = (listening: boolean): Spec => ({
      btime: '2026-11-20T21:03:11Z',
      processes: [
        {
          pid: 1,
          ppid: 0,
          name: 'init',
          uid: 0,
          cmdline: ['init [2]'],
          exe: '/sbin/init',
          started: '2026-11-20T21:03:12Z',
        },
        {
          pid: 455,
          ppid: 1,
          name: 'xinetd',
          uid: 0,
          cmdline: ['/usr/sbin/xinetd', '-pidfile', '/run/xinetd.pid', '-stayalive'],
          exe: '/usr/sbin/xinetd',
          started: '2026-11-20T21:03:22Z',
          listen: listening ? [{ proto: 'tcp', addr: '127.0.0.1', port }] : [],
        },
      ],
    });
    const xinetdFile = [
      '# tkecho: a line of text, then close (test service)',
      'service tkecho',
      '{',
      '\tdisable\t\t= no',
      '\ttype\t\t= UNLISTED',
      '\tsocket_type\t= stream',
      '\tprotocol\t= tcp',
      `\tport\t\t= ${port}`,
      '\tbind\t\t= 127.0.0.1',
      '\twait\t\t= no',
      '\tuser\t\t= nobody',
      '\tserver\t\t= /usr/sbin/in.tkechod',
      '}',
      '',
    ].join('\n');
    const root = makeRoot(spec(true), { files: { 'etc/xinetd.d/tkecho': xinetdFile } });
    cleanups.push(() => removeRoot(root));
    const svc = {
      title: 'tkecho',
      processes: ['in.tkechod'],
      probes: [{ url: `tcp://127.0.0.1:${port}`, expect: 'tkecho ready', timeout: 5 }],
    };
    // The tree under --root stands for this machine here, so its localhost probe is run, not skipped.
    const config = writeConfig({ tkecho: svc }, { probes: { localUnderRoot: true } });
    const state = scratch('tenken-e2e-state-');
    const args = ['--root', root, '--only', 'procs,probes', '--config', config];

    const idle = await check(args, state);
    expect(idle.report.root).toBe(root);
    const procs = resultOf(idle.report, 'procs', 'tkecho');
    expect(procs.status, explain(procs)).toBe('OK');
    expect(procs.summary).toBe(
      `Idle, started on demand (xinetd /etc/xinetd.d/tkecho:2); listening: ${loopbackTcp(port)}`,
    );
    expect(findingsOf(procs, 'service-processes')[0]?.data).toEqual({
      processes: [],
      ondemand: 'xinetd /etc/xinetd.d/tkecho:2',
      listeners: [loopbackTcp(port)],
    });
    expect(findingsOf(procs, 'process-missing')).toEqual([]);
    expectProbesOk(idle.report, 'tkecho', 1);

    regenerate(root, spec(false));
    await close();
    const gone = await check(args, state);
    const after = resultOf(gone.report, 'procs', 'tkecho');
    expect(after.status, explain(after)).toBe('CRITICAL');
    expect(after.summary).toBe(
      `Started on demand (xinetd /etc/xinetd.d/tkecho:2) but nothing listens on tcp/${port}`,
    );
    expect(findingsOf(after, 'listener-missing')[0]?.data).toEqual({
      proto: 'tcp',
      port,
      addr: null,
      expected: 'ondemand',
    });
    const probes = resultOf(gone.report, 'probes', 'tkecho');
    expect(probes.status, explain(probes)).toBe('CRITICAL');
    expect(findingsOf(probes, 'probe')[0]?.data.failure).toBe('refused');
    expect(gone.code).toBe(2);
  });
});
