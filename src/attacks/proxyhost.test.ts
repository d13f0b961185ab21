import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { makeHost } from '../core/host.ts';
import type { Finding } from '../core/report.ts';
import { servicePlan, testPlan } from '../../test/helpers/plan.ts';
import { attacksCheck } from './check.ts';

/**
 * The open-proxy check on a host whose facts come from files under `--root`: its interfaces (/proc/net) and
 * Squid's configuration (/etc/squid). The host is 192.0.2.2 on 192.0.2.0/24 and 2001:db8:1::2 on
 * 2001:db8:1::/64 (public addresses, as on a small server); 203.0.113.9 is an outsider, and so are its on-link
 * neighbours (192.0.2.50, 2001:db8:1::20: on a rented server, the provider's other customers).
 */

const FIB_TRIE = [
  'Main:',
  '  +-- 0.0.0.0/0 3 0 5',
  '     +-- 192.0.2.0/24 2 0 2',
  '        +-- 192.0.2.0/30 2 0 2',
  '           |-- 192.0.2.0',
  '              /24 link UNICAST',
  '           |-- 192.0.2.2',
  '              /32 host LOCAL',
  '',
].join('\n');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOW = new Date(Date.UTC(2026, 10, 26, 12, 0, 0));
const T = Math.floor(NOW.getTime() / 1000) - 600;
const plan = testPlan(
  [servicePlan('squid', { logs: ['/var/log/squid/access.log'], reasons: ['configured'] })],
  [],
);

const squid = (client: string, url: string, hier = 'HIER_DIRECT/93.184.216.34', i = 0) =>
  `${T + i}.123     12 ${client} TCP_MISS/200 5120 GET ${url} - ${hier} text/html`;

/** A root with the host's /proc/net tables, `files` (root-relative path → text) and Squid's log `lines`. */
function tree(lines: string[], files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tenken-proxyhost-'));
  dirs.push(root);
  const all: Record<string, string> = {
    'proc/net/route': [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      '',
    ].join('\n'),
    'proc/net/fib_trie': FIB_TRIE,
    'proc/net/if_inet6': '20010db8000100000000000000000002 02 40 00 80     eth0\n',
    'etc/hosts': '127.0.0.1 localhost\n127.0.1.1 gauntlet.example.net gauntlet\n',
    'var/log/squid/access.log': `${lines.join('\n')}\n`,
    ...files,
  };
  for (const [p, text] of Object.entries(all)) {
    const f = path.join(root, p);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
    utimesSync(f, NOW, NOW);
  }
  return root;
}

async function check(root: string, allow: string[] = []): Promise<Finding[]> {
  const out = await attacksCheck.run({
    host: makeHost({ root, name: 'gauntlet', now: NOW, env: { TZ: 'UTC' } }),
    config: configSchema.parse({ checks: { attacks: { openproxy: { allow } } } }),
    plan,
    state: undefined,
    options: { all: true },
    signal: new AbortController().signal,
  });
  return out.results.flatMap((r) => r.findings);
}

const summaries = (fs: Finding[]) => fs.map((f) => `${f.status} ${f.summary}`);

describe("open proxy: the host's own networks and a reverse proxy", () => {
  it("counts no relay for this host's own addresses (fib_trie, if_inet6), but counts its on-link neighbours' (IPv4, global IPv6)", async () => {
    const root = tree([
      squid('192.0.2.2', 'http://deb.debian.org/debian/', 'HIER_DIRECT/151.101.2.132', 0),
      squid('2001:db8:1::2', 'http://deb.debian.org/debian/', 'HIER_DIRECT/151.101.2.132', 1),
      squid('192.0.2.50', 'http://www.example.com/', 'HIER_DIRECT/93.184.216.34', 2),
      squid('2001:db8:1::20', 'http://deb.debian.org/debian/', 'HIER_DIRECT/151.101.2.132', 3),
      squid('203.0.113.9', 'http://www.example.com/', 'HIER_DIRECT/93.184.216.34', 4),
    ]);
    expect(summaries(await check(root))).toEqual([
      'CRITICAL open proxy: squid relayed 3 requests for 3 outside clients (192.0.2.50, 2001:db8:1::20, 203.0.113.9) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
  });

  it("reports a VPS's neighbour on the provider's on-link /20 (159.89.0.0/20) as an outsider, silenced by openproxy.allow", async () => {
    const route = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t0100599F\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t0000599F\t00000000\t0001\t0\t0\t0\t00F0FFFF\t0\t0\t0',
      '',
    ].join('\n');
    const root = tree([squid('159.89.3.77', 'http://www.example.com/', 'HIER_DIRECT/93.184.216.34', 0)], {
      'proc/net/route': route,
      'etc/squid/squid.conf': 'http_port 3128\n',
    });
    expect(summaries(await check(root))).toEqual([
      'CRITICAL open proxy: squid relayed 1 request for 1 outside client (159.89.3.77) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
    expect(summaries(await check(root, ['159.89.0.0/20']))).toEqual([]);
  });

  it("counts a forward proxy's relay through a parent on the LAN or to an internal server (a private peer) for an outsider", async () => {
    const root = tree(
      [
        squid('203.0.113.5', 'http://www.example.com/', 'FIRSTUP_PARENT/10.0.0.1', 0),
        squid('203.0.113.6', 'http://10.0.0.5/admin/', 'HIER_DIRECT/10.0.0.5', 1),
        squid('203.0.113.7', 'http://www.example.com/x', 'HIER_DIRECT/192.168.1.10', 2),
      ],
      {
        'etc/squid/squid.conf':
          'http_port 3128\ncache_peer 10.0.0.1 parent 8080 0 no-query default\nhttp_access allow all\n',
      },
    );
    expect(summaries(await check(root))).toEqual([
      'CRITICAL open proxy: squid relayed 3 requests for 3 outside clients (203.0.113.5, 203.0.113.6, 203.0.113.7) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
  });

  it('still takes a fetch from this host by its loopback address or its name for a request to this host, no relay', async () => {
    const root = tree([
      squid('203.0.113.5', 'http://www.example.com/', 'HIER_DIRECT/127.0.0.1', 0),
      squid('203.0.113.6', 'http://www.example.com/about', 'FIRSTUP_PARENT/gauntlet.example.net', 1),
    ]);
    expect(summaries(await check(root))).toEqual([]);
  });

  it('judges an accelerator port with allow-direct (it forwards to any site) as a forward proxy', async () => {
    const root = tree([squid('203.0.113.5', 'http://www.example.com/', 'HIER_DIRECT/93.184.215.14', 0)], {
      'etc/squid/squid.conf': 'http_port 80 accel vhost allow-direct\nhttp_access allow all\n',
    });
    expect(summaries(await check(root))).toEqual([
      'CRITICAL open proxy: squid relayed 1 request for 1 outside client (203.0.113.5) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
  });

  it("reads no relays in an accelerator-only Squid's log (squid.conf and its conf.d includes) and says so as INFO", async () => {
    const lines = [
      squid('203.0.113.5', 'http://www.example.com/index.html', 'HIER_NONE/-', 0),
      squid('203.0.113.6', 'http://www.example.com/about', 'HIER_DIRECT/93.184.216.34', 1),
    ];
    const conf = {
      'etc/squid/squid.conf':
        'http_port 80 accel defaultsite=www.example.com\ninclude /etc/squid/conf.d/*.conf\n',
      'etc/squid/conf.d/site.conf': 'https_port 443 tls-cert=/etc/squid/site.pem vhost\n',
    };
    expect(summaries(await check(tree(lines, conf)))).toEqual([
      'INFO /var/log/squid/access.log: not read for open-proxy relays: Squid is a reverse proxy (every http_port of squid.conf is an accelerator): no relays',
    ]);
    // One forward port in an included file makes it a forward proxy again, whose relays are judged.
    const forward = { ...conf, 'etc/squid/conf.d/zz-forward.conf': 'http_port 3128\n' };
    expect(summaries(await check(tree(lines, forward)))).toEqual([
      'CRITICAL open proxy: squid relayed 2 requests for 2 outside clients (203.0.113.5, 203.0.113.6) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
  });

  it('judges an accelerator-only Squid whose configuration was not read whole as a forward proxy, and says why', async () => {
    const lines = [squid('203.0.113.9', 'http://azenv.net/', 'HIER_DIRECT/93.184.215.14', 0)];
    const critical =
      'CRITICAL open proxy: squid relayed 1 request for 1 outside client (203.0.113.9) (if these clients are yours: checks.attacks.openproxy.allow)';
    const note = (why: string) =>
      `INFO /var/log/squid/access.log: read for open-proxy relays as a forward proxy's: Squid's configuration was not read whole (${why}), and the part read is a reverse proxy's`;
    // An accelerator port, over a MiB of comments, then a forward port past what is read.
    const huge = `http_port 80 accel defaultsite=x\n${'# padding padding padding\n'.repeat(50_000)}http_port 3128\n`;
    expect(summaries(await check(tree(lines, { 'etc/squid/squid.conf': huge })))).toEqual([
      note('/etc/squid/squid.conf is over 1 MiB'),
      critical,
    ]);
    // An include that cannot be read (here a directory) may hold the forward port.
    const root = tree(lines, {
      'etc/squid/squid.conf': 'http_port 80 accel defaultsite=x\ninclude /etc/squid/forward.conf\n',
    });
    mkdirSync(path.join(root, 'etc/squid/forward.conf'));
    expect(summaries(await check(root))).toEqual([
      note('Cannot read /etc/squid/forward.conf: is a directory'),
      critical,
    ]);
  });

  it('reads a squid.conf that is an absolute link inside the tree, as the server would, never outside it', async () => {
    const lines = [squid('203.0.113.9', 'http://azenv.net/', 'HIER_DIRECT/93.184.215.14', 0)];
    // Outside the tree, an accelerator-only file: a link to its absolute path names <root>/that/path.
    const outside = mkdtempSync(path.join(os.tmpdir(), 'tenken-proxyhost-outside-'));
    dirs.push(outside);
    writeFileSync(path.join(outside, 'accel.conf'), 'http_port 80 accel defaultsite=x\n');
    const out = tree(lines, { 'etc/squid/real.conf': 'http_port 3128\n' });
    symlinkSync(path.join(outside, 'accel.conf'), path.join(out, 'etc/squid/squid.conf'));
    expect(summaries(await check(out))).toEqual([
      'CRITICAL open proxy: squid relayed 1 request for 1 outside client (203.0.113.9) (if these clients are yours: checks.attacks.openproxy.allow)',
    ]);
    // The tree's own accelerator-only file, linked by its absolute path on the server (and a conf.d linked to a
    // directory of the tree): a reverse proxy.
    const inside = tree(lines, {
      'srv/squid/site.conf': 'http_port 80 accel defaultsite=x\ninclude /etc/squid/conf.d/*.conf\n',
      'srv/squid/d/a.conf': 'https_port 443 vhost tls-cert=/x.pem\n',
    });
    mkdirSync(path.join(inside, 'etc/squid'));
    symlinkSync('/srv/squid/site.conf', path.join(inside, 'etc/squid/squid.conf'));
    symlinkSync('../../srv/squid/d', path.join(inside, 'etc/squid/conf.d'));
    expect(summaries(await check(inside))).toEqual([
      'INFO /var/log/squid/access.log: not read for open-proxy relays: Squid is a reverse proxy (every http_port of squid.conf is an accelerator): no relays',
    ]);
  });
});
